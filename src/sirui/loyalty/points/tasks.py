"""任务体系: action rewards and quests (once, daily, weekly, monthly) with caps.

Theory of operation
-------------------
A `Task` rewards an *action* the host reports (``"review"``, ``"share"``,
``"follow"``, ``"profile"``, ``"first_order"``, ``"invite"``, or any name
the host uses). It completes every ``target`` times the action is done in
its period, at most ``max_completions`` times per period, and each
completion pays ``points`` (and may name a coupon template). Periods are
calendar periods in the store's zone: `TaskPeriod.ONCE` is the member's
whole life (follow the account: 50 points, once), ``DAILY`` resets at
local midnight (3 reviews a day at 10 points each), ``WEEKLY`` on Monday.

The action rewards of a mall are tasks with ``target=1``: reviews, shares,
following the official account, completing the profile, the first order.

`TaskProgress` is one member's progress: `RecordAction` adds to every task
that counts the action and emits `TaskCompleted` for each new completion;
the host credits the points to the ledger (``Earn(f"{txn}:{task}",
points, source="task")``). Only the current period of each task is kept.

Invariants: completions per period never exceed ``max_completions``; a
replayed action id counts once.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from sirui.core.errors import IdConflictError, invalid
from sirui.core.registry import policy
from sirui.core.validators import int_at_least
from sirui.core.windows import (
    DEFAULT_TZ,
    DateTime,
    PeriodKind,
    Window,
    _check_tz,
    aware,
    period_containing,
)
from sirui.core.persistent import PMap
from sirui.rules.outcome import Accepted, Event

__all__ = [
    "RecordAction",
    "Task",
    "TaskBoard",
    "TaskCompleted",
    "TaskPeriod",
    "TaskProgress",
]


class TaskPeriod(enum.Enum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


_KINDS = {
    TaskPeriod.DAILY: PeriodKind.DAY,
    TaskPeriod.WEEKLY: PeriodKind.WEEK,
    TaskPeriod.MONTHLY: PeriodKind.MONTH,
}


@policy("task.quest")
@attrs.frozen(slots=True)
class Task:
    """A quest or action reward: do ``action`` ``target`` times in a period, get ``points``."""

    code: str = attrs.field(validator=attrs.validators.min_len(1))
    action: str = attrs.field(validator=attrs.validators.min_len(1))
    points: int = attrs.field(validator=int_at_least(0))
    period: TaskPeriod = TaskPeriod.ONCE
    target: int = attrs.field(default=1, validator=int_at_least(1))
    max_completions: int = attrs.field(default=1, validator=int_at_least(1))
    """Completions paid per period (e.g. reviews pay at most 5 times a day)."""
    coupon_template: str | None = None
    window: Window | None = None
    """The quest runs only within this window (an activity's task list)."""
    tz: str = attrs.field(default=DEFAULT_TZ, validator=_check_tz)

    def __attrs_post_init__(self) -> None:
        if not self.points and not self.coupon_template:
            raise invalid("points", self.points, "a task needs points or a coupon_template")

    def period_key(self, now: DateTime) -> str:
        if self.period is TaskPeriod.ONCE:
            return "once"
        return period_containing(_KINDS[self.period], now, self.tz).start.to_date_string()


@policy("task.board")
@attrs.frozen(slots=True)
class TaskBoard:
    """The tasks a mall runs (任务列表)."""

    tasks: tuple[Task, ...] = ()

    def __attrs_post_init__(self) -> None:
        codes = [t.code for t in self.tasks]
        if len(set(codes)) != len(codes):
            raise invalid("tasks", codes, "task codes must be unique")


@attrs.frozen(slots=True)
class RecordAction:
    """The member did ``action`` ``times`` times (a review posted, a share made)."""

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    action: str = attrs.field(validator=attrs.validators.min_len(1))
    times: int = attrs.field(default=1, validator=int_at_least(1))


@attrs.frozen(slots=True)
class TaskCompleted(Event):
    """Credit ``points`` (and issue ``coupon_template``) for one completion."""

    txn_id: str
    member_id: str
    task: str
    period: str
    completion: int
    points: int
    coupon_template: str | None


def _records() -> PMap[str, tuple[Any, tuple[Any, ...]]]:
    return PMap()


@attrs.frozen(slots=True)
class TaskProgress:
    """One member's task progress: ``(task code, period key, count)`` per task."""

    member_id: str
    board: TaskBoard
    counts: tuple[tuple[str, str, int], ...] = ()
    records: PMap[str, tuple[Any, tuple[Any, ...]]] = attrs.field(factory=_records, repr=False)

    def count(self, task: str, now: DateTime) -> int:
        """Times the task's action was counted in its current period."""
        key = next(t for t in self.board.tasks if t.code == task).period_key(now)
        return next((n for c, p, n in self.counts if c == task and p == key), 0)

    def completions(self, task: str, now: DateTime) -> int:
        t = next(t for t in self.board.tasks if t.code == task)
        return min(self.count(task, now) // t.target, t.max_completions)

    def handle(self, command: RecordAction, *, now: DateTime) -> Accepted[TaskProgress]:
        """Count the action for every open task that tracks it; always accepted."""
        now = aware(now)
        known = self.records.get(command.id)
        if known is not None:
            if known[0] != command:
                raise IdConflictError(f"id={command.id!r}: already used by {known[0]!r}")
            return Accepted(self, known[1])
        current = {c: (p, n) for c, p, n in self.counts}
        events: list[TaskCompleted] = []
        for task in self.board.tasks:
            if task.action != command.action:
                continue
            if task.window is not None and not task.window.contains(now):
                continue
            key = task.period_key(now)
            p, n = current.get(task.code, (key, 0))
            before = n if p == key else 0
            cap = task.target * task.max_completions
            after = min(before + command.times, cap)
            done_before = before // task.target
            for k in range(done_before + 1, after // task.target + 1):
                events.append(TaskCompleted(
                    command.id, self.member_id, task.code, key, k, task.points,
                    task.coupon_template,
                ))
            current[task.code] = (key, after)
        counts = tuple(sorted((c, p, n) for c, (p, n) in current.items()))
        evs = tuple(events)
        records = self.records.set(command.id, (command, evs))
        new = attrs.evolve(self, counts=counts, records=records)
        return Accepted(new, evs)
