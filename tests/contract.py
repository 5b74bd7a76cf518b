"""The one state-machine contract, as a harness every machine's cases feed.

Each ``tests/machine_cases_<package>.py`` exports ``CASES``: a
list of `MachineCase`, one or more per machine class. The conformance test
(`tests/test_machine_contract.py`) enumerates every class in ``sirui`` that
has a ``handle`` method and fails for a class that no case covers, so a new
machine cannot be forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pendulum import DateTime


@dataclass(frozen=True)
class MachineCase:
    """One machine in one state, with the commands the contract needs.

    - ``accept``: a command ``state`` accepts, with at least one event.
    - ``conflict``: a command with ``accept``'s id and other content.
    - ``reject``: a command ``state`` refuses for a business reason, or None
      when the machine has no business refusal reachable from ``state``.
    - ``illegal``: a command the transition table has no entry for in
      ``state`` (refused with a reason, not decided by an if-chain), or None.
    - ``kwargs``: extra keyword arguments of ``handle`` (``rng``, policies).
    """

    name: str
    state: Any
    now: DateTime
    accept: Any
    conflict: Any
    reject: Any | None = None
    illegal: Any | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    handle: Callable[..., Any] | None = None
    """How to call the machine, when it is not ``state.handle(cmd, now=now, **kwargs)``."""

    def run(self, state: Any, command: Any, now: DateTime | None = None) -> Any:
        when = self.now if now is None else now
        if self.handle is not None:
            return self.handle(state, command, now=when, **self.kwargs)
        return state.handle(command, now=when, **self.kwargs)

    @property
    def machine(self) -> type[Any]:
        return type(self.state)


def reload(value: Any) -> Any:
    """``value`` saved as JSON text through the one codec and loaded back."""
    from sirui.config import dump, load

    text = json.dumps(dump(value), ensure_ascii=False)
    return load(json.loads(text), type(value))
