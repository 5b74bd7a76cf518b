"""Outcomes of commands: accepted with a new state and events, or rejected with a reason.

Theory of operation: a stateful mechanic is a frozen state value plus
commands. ``state.handle(command, now=...)`` never mutates; it returns an
`Accepted` carrying the new state and the domain events the host must
persist, or a `Rejected` carrying the unchanged state and the `Reason`.
Misuse (a command the state can never take) raises instead.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeAlias, TypeVar

import attrs

from sirui.rules.reasons import Reason

__all__ = ["Accepted", "Event", "Outcome", "Rejected", "event_to_dict"]

S = TypeVar("S")


class Event:
    """Base of domain events: small frozen classes named in the past tense."""

    __slots__ = ()


@attrs.frozen(slots=True)
class Accepted(Generic[S]):
    """The command was applied: persist ``state`` and ``events`` together."""

    state: S
    events: tuple[Any, ...] = ()
    reason: Reason | None = None
    ok: Literal[True] = attrs.field(default=True, init=False)


@attrs.frozen(slots=True)
class Rejected(Generic[S]):
    """The command was refused for a business reason; ``state`` is unchanged."""

    reason: Reason
    state: S
    events: tuple[Any, ...] = ()
    ok: Literal[False] = attrs.field(default=False, init=False)


_HOOKED: list[bool] = []

Outcome: TypeAlias = Accepted[S] | Rejected[S]


def event_to_dict(event: Any) -> dict[str, Any]:
    """An event as plain data: ``{"event": "StockReserved", ...fields}``."""
    from sirui.config import converter, to_plain

    if not _HOOKED:
        converter.register_unstructure_hook(Reason, Reason.to_dict)
        _HOOKED.append(True)
    body = to_plain(event)
    if not isinstance(body, dict):
        body = {"value": body}
    body.pop("type", None)
    return {"event": type(event).__name__, **body}
