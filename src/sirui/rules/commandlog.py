"""The command log: one idempotency contract for every state machine.

Theory of operation
-------------------
Every stateful mechanic answers ``state.handle(command, *, now, ...)`` with
an `Accepted` (new state, events) or a `Rejected` (reason, the very same
state). Hosts retry: a request times out, a queue redelivers, a worker dies
after the commit and before the reply. So a command carries an ``id`` chosen
by the host, and the state keeps a `CommandLog` of the ids it accepted:

* an id the log does not hold is decided afresh;
* an id it holds, with the same content, is a replay: the original events
  come back, with the current state, and nothing changes, also after the
  host saved the state as JSON and loaded it again (the log is part of the
  state and goes through the same codec);
* the same id with other content is a host bug and raises
  `IdConflictError` (a new command needs a new id);
* rejected commands are never recorded: a retry of a refusal is decided
  afresh (the stock may have come back meanwhile).

The log does not grow without bound: each entry keeps the time it was
accepted, and the `PruneLog` command (handled by every machine) forgets the
ids accepted before ``now`` minus the retention its policy names. A retry
older than the retention is decided afresh, so the retention must outlast
the host's longest retry window.

Legality is a table keyed by ``(state, command type)``; `transition` reads
it, and a miss is the refusal path. The table is data, so the docs draw it
(`sirui.rules.state_diagram`) and the conformance tests check that
behaviour follows it.

The log is a persistent map (`sirui.core.persistent.PMap`): recording an id
copies a small leaf, whatever the size of the log, so a machine that keeps
a long log still takes O(1) per command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, TypeVar

import attrs
from pendulum import DateTime

from sirui.core.errors import IdConflictError, InvalidCommandError, invalid
from sirui.core.persistent import PMap
from sirui.core.validators import non_empty_id
from sirui.core.windows import aware
from sirui.rules.outcome import Accepted, Event
from sirui.rules.reasons import reason_code

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "NOT_IN_TABLE",
    "CommandLog",
    "LogPruned",
    "LoggedCommand",
    "PruneLog",
    "command_id",
    "transition",
]

S = TypeVar("S")
K = TypeVar("K")

#: How long a machine remembers accepted ids when its policy names no retention.
DEFAULT_RETENTION_DAYS: Final = 30

NOT_IN_TABLE = reason_code(
    "machine.not_in_table",
    zh="当前状态不接受该操作",
    en="In state {state}, {command} is not allowed",
)


def command_id(command: Any) -> str:
    """The id of ``command``; a command without a non-empty string id is misuse."""
    cid = getattr(command, "id", None)
    if not isinstance(cid, str) or not cid:
        raise InvalidCommandError(
            f"command={command!r}: every command needs a non-empty string id, chosen by the "
            "host and reused for retries of the same command (an order id, a request id)"
        )
    return cid


@attrs.frozen(slots=True)
class LoggedCommand:
    """An accepted command, the events it produced, and when it was accepted."""

    command: Any
    events: tuple[Any, ...] = attrs.field(converter=tuple)
    at: DateTime = attrs.field(converter=aware)


@attrs.frozen(slots=True)
class PruneLog:
    """Forget the command ids accepted before ``now`` minus the retention.

    ``retention_days`` overrides the policy's retention for this one prune
    (``None``: the policy's, or `DEFAULT_RETENTION_DAYS`).
    """

    id: str = attrs.field(validator=non_empty_id)
    retention_days: int | None = None

    def __attrs_post_init__(self) -> None:
        r = self.retention_days
        if r is not None and (type(r) is not int or r < 0):
            raise invalid("retention_days", r, "must be an int >= 0 or None",
                          "pass the number of days to keep, e.g. 30")


@attrs.frozen(slots=True)
class LogPruned(Event):
    """Command ids accepted before ``before`` were forgotten."""

    before: DateTime
    removed: int


class CommandLog:
    """The ids a state accepted, with their commands and events (immutable)."""

    __slots__ = ("_map",)

    _map: PMap[str, LoggedCommand]

    def __init__(self, entries: Iterable[LoggedCommand] = ()) -> None:
        pairs = [(command_id(e.command), e) for e in entries]
        m = PMap.from_items(pairs)
        if len(m) != len(pairs):
            ids = [cid for cid, _ in pairs]
            twice = next(cid for cid in ids if ids.count(cid) > 1)
            raise invalid("entries", twice, "holds the same command id twice",
                          "keep one entry per command id")
        self._map = m

    @classmethod
    def _of(cls, m: PMap[str, LoggedCommand]) -> CommandLog:
        out = cls.__new__(cls)
        out._map = m
        return out

    # -- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, cid: object) -> bool:
        return cid in self._map

    def __iter__(self) -> Iterator[LoggedCommand]:
        """Entries in the order they were accepted (then by id)."""
        return iter(sorted((e for _, e in self._map.items()),
                           key=lambda e: (e.at, command_id(e.command))))

    def get(self, cid: str) -> LoggedCommand | None:
        return self._map.get(cid)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CommandLog):
            return NotImplemented
        return self._map == other._map

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._map.items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        return f"CommandLog({len(self)} ids)"

    # -- the contract ---------------------------------------------------------------------

    def seen(self, command: Any) -> tuple[Any, ...] | None:
        """The events ``command`` produced if its id was accepted before, else None.

        Raises `IdConflictError` when the id was accepted for other content.
        """
        cid = command_id(command)
        entry = self._map.get(cid)
        if entry is None:
            return None
        if entry.command != command:
            raise IdConflictError(
                f"command id {cid!r} was accepted for {entry.command!r}; now given "
                f"{command!r}. A new command needs a new id; a retry must repeat the "
                "original exactly"
            )
        return entry.events

    def replay(self, state: S, command: Any) -> Accepted[S] | None:
        """``Accepted(state, original events)`` for a replay, None for a new id."""
        events = self.seen(command)
        return None if events is None else Accepted(state, events)

    def record(self, command: Any, events: Iterable[Any], now: DateTime) -> CommandLog:
        """This log with ``command`` accepted at ``now`` producing ``events``."""
        cid = command_id(command)
        return CommandLog._of(self._map.set(cid, LoggedCommand(command, tuple(events), now)))

    def pruned(self, before: DateTime) -> tuple[CommandLog, int]:
        """This log without the ids accepted before ``before``, and how many went."""
        kept = [(k, e) for k, e in self._map.items() if e.at >= before]
        if len(kept) == len(self._map):
            return self, 0
        return CommandLog._of(PMap.from_items(kept)), len(self._map) - len(kept)

    def prune(
        self, command: PruneLog, now: DateTime, retention_days: int | None = None
    ) -> tuple[CommandLog, tuple[LogPruned]]:
        """Apply `PruneLog` at ``now``: the pruned log (recording the prune itself)."""
        days = command.retention_days
        if days is None:
            days = DEFAULT_RETENTION_DAYS if retention_days is None else retention_days
        before = aware(now) - dt.timedelta(days=days)
        log, removed = self.pruned(before)
        events = (LogPruned(before, removed),)
        return log.record(command, events, now), events


def transition(
    table: Mapping[tuple[Any, type[Any]], K], state: Any, command: Any
) -> K | None:
    """The target ``table`` gives for ``(state, type(command))``; None is the refusal path."""
    return table.get((state, type(command)))
