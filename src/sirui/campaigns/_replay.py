"""Idempotent commands and status moves shared by the social campaigns (private).

Assistance tasks, bargains and group-buy groups are each an entity with a
status, a transition table and a log of the commands it took with the
events they produced. The three campaigns answer a replayed command id the
same way (the logged events again, or `IdConflictError` when the content
differs), move an entity's status only through its table, and let a tick
expire every entity whose deadline has passed. Those rules live here once;
what each campaign checks and emits stays in its own module.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import attrs

from sirui.core.errors import IdConflictError, InvalidCommandError
from sirui.rules import Accepted

__all__ = ["first_logged", "move", "replay", "settle_each"]

S = TypeVar("S")
E = TypeVar("E", bound="_Entity")

LogEntry = tuple[Any, tuple[Any, ...]]
"""``(command, events)``: a command an entity took and what it produced."""


class _Entity(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def status(self) -> enum.Enum: ...


def first_logged(log: Iterable[LogEntry], command_id: str) -> LogEntry | None:
    """The entry of the command with ``command_id`` in ``log``, if any."""
    for entry in log:
        if entry[0].id == command_id:
            return entry
    return None


def replay(state: S, command: Any, logged: LogEntry | None) -> Accepted[S] | None:
    """The outcome of a command id seen before, or ``None`` for a new id.

    A replay returns the events first produced, unchanged state; the same
    id with other content is a host bug and raises `IdConflictError`.
    """
    if logged is None:
        return None
    earlier, events = logged
    if earlier != command:
        raise IdConflictError(
            f"command id {command.id!r} was used for {earlier!r}; give this command a new id"
        )
    return Accepted(state, events)


def move(
    entity: E,
    transitions: Mapping[tuple[Any, str], Any],
    trigger: str,
    noun: str,
    **changes: Any,
) -> E:
    """``entity`` in the status ``transitions`` gives for ``trigger``, with ``changes``.

    Raises `InvalidCommandError` for a move the table does not have: the
    callers check the status first, so this is a guard against a bug.
    """
    target = transitions.get((entity.status, trigger))
    if target is None:
        raise InvalidCommandError(
            f"{noun} {entity.id!r} is {entity.status.value}; it cannot take {trigger!r}"
        )
    return attrs.evolve(entity, status=target, **changes)  # type: ignore[misc]


def settle_each(
    ids: Iterable[str], settle: Callable[[str], tuple[E, list[Any]]]
) -> tuple[dict[str, E], list[Any]]:
    """Let the clock act on each entity: the ones that changed, and their events in order."""
    changed: dict[str, E] = {}
    events: list[Any] = []
    for key in ids:
        entity, evs = settle(key)
        if evs:
            changed[key] = entity
            events += evs
    return changed, events
