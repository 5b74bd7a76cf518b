"""State diagrams drawn from transition tables, so the docs cannot drift from the code.

Each state machine keeps its transitions as data, ``{(state, trigger): state}``
(``None`` as the source means "a new record"). `state_diagram` renders such a
table as Mermaid ``stateDiagram-v2`` text; the docs embed it and a test checks
that every embedded diagram equals the one rendered from the table today.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

__all__ = ["state_diagram"]


def _state(value: Any) -> str:
    if value is None:
        return "[*]"
    if isinstance(value, enum.Enum):
        return str(value.name)
    return str(value)


def _trigger(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(getattr(value, "__name__", value))


def state_diagram(table: Mapping[tuple[Any, Any], Any]) -> str:
    """Mermaid ``stateDiagram-v2`` text of a ``{(state, trigger): state}`` table.

    Entries whose target is not a state (a handler function, say) are left
    out; rows come out in the table's order.

    >>> import enum
    >>> class S(enum.Enum):
    ...     OPEN = "open"
    ...     DONE = "done"
    >>> print(state_diagram({(None, "start"): S.OPEN, (S.OPEN, "finish"): S.DONE}))
    stateDiagram-v2
        [*] --> OPEN: start
        OPEN --> DONE: finish
    """
    lines = ["stateDiagram-v2"]
    for (source, trigger), target in table.items():
        if target is not None and not isinstance(target, enum.Enum):
            continue
        lines.append(f"    {_state(source)} --> {_state(target)}: {_trigger(trigger)}")
    return "\n".join(lines)
