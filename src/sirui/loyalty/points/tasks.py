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
that counts the action, emits `TaskProgressed` for each task it counted and
`TaskCompleted` for each new completion; the host credits the points to the
ledger (``Earn(f"{txn}:{task}", points, source="task")``). Only the current
period of each task is kept.

In its current period a task is ``OPEN`` (it may count more) or ``CAPPED``
(``target * max_completions`` reached: it counts nothing more until the
next period; a ``ONCE`` task stays capped for good). The table
`TASK_TRANSITIONS`, keyed by ``(task status, command type)``, decides first
which tasks may take the action; a capped task has no row. The count
decides whether a task stays ``OPEN`` or becomes ``CAPPED``. The business
check follows: the task's window, if it has one, is open at ``now``. An
action that no task counts is refused (``task.not_tracked``,
``task.capped``, ``task.not_open``) and not recorded; hosts may report
every action and let the board decide.

The machine contract (`sirui.rules.commandlog`): accepted ids live in a
`CommandLog`; a replay returns the original events and changes nothing, also
after a save and reload; the same id with other content raises
`IdConflictError`; `PruneLog` forgets ids older than
``TaskBoard.log_retention_days``. A new period starts inside the first
accepted action in it; nothing changes with time alone.

Invariants: completions per period never exceed ``max_completions``; a
replayed action id counts once.
"""

from __future__ import annotations

import enum
from typing import Any, Final

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.registry import policy
from sirui.core.validators import int_at_least, non_empty_id, non_negative_int
from sirui.core.windows import (
    DEFAULT_TZ,
    DateTime,
    PeriodKind,
    Window,
    aware,
    period_containing,
    tz_name,
)
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "TASK_TRANSITIONS",
    "RecordAction",
    "Task",
    "TaskBoard",
    "TaskCompleted",
    "TaskPeriod",
    "TaskProgress",
    "TaskProgressed",
    "TaskStatus",
]

NOT_TRACKED = reason_code(
    "task.not_tracked", zh="没有任务统计该行为", en="No task counts {action}"
)
CAPPED = reason_code(
    "task.capped",
    zh="统计该行为的任务本期已完成（{tasks}）",
    en="Every task counting this action is done for its period ({tasks})",
)
NOT_OPEN = reason_code(
    "task.not_open", zh="任务未在进行中（{tasks}）", en="The tasks are not running now ({tasks})"
)


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
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

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
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days a member's progress remembers accepted action ids (`PruneLog`)."""

    def __attrs_post_init__(self) -> None:
        codes = [t.code for t in self.tasks]
        if len(set(codes)) != len(codes):
            raise invalid("tasks", codes, "task codes must be unique")


@attrs.frozen(slots=True)
class RecordAction:
    """The member did ``action`` ``times`` times (a review posted, a share made)."""

    id: str = attrs.field(validator=non_empty_id)
    action: str = attrs.field(validator=attrs.validators.min_len(1))
    times: int = attrs.field(default=1, validator=int_at_least(1))


class TaskStatus(enum.Enum):
    """A task in its current period."""

    OPEN = "open"
    """It may count more (nothing counted yet this period is OPEN too)."""
    CAPPED = "capped"
    """``target * max_completions`` reached: nothing more counts this period."""


#: ``(task status, command type) -> status``. A CAPPED task has no row; whether a
#: counted task stays OPEN or becomes CAPPED is the count's business.
TASK_TRANSITIONS: Final[dict[tuple[TaskStatus, type[Any]], TaskStatus]] = {
    (TaskStatus.OPEN, RecordAction): TaskStatus.OPEN,
}


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


@attrs.frozen(slots=True)
class TaskProgressed(Event):
    """``task`` counted the action: ``count`` of ``target`` x ``max_completions`` so far."""

    txn_id: str
    member_id: str
    task: str
    period: str
    count: int
    cap: int


@attrs.frozen(slots=True)
class TaskProgress:
    """One member's task progress: ``(task code, period key, count)`` per task."""

    member_id: str
    board: TaskBoard
    counts: tuple[tuple[str, str, int], ...] = ()
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    def count(self, task: str, now: DateTime) -> int:
        """Times the task's action was counted in its current period."""
        key = next(t for t in self.board.tasks if t.code == task).period_key(now)
        return next((n for c, p, n in self.counts if c == task and p == key), 0)

    def completions(self, task: str, now: DateTime) -> int:
        t = next(t for t in self.board.tasks if t.code == task)
        return min(self.count(task, now) // t.target, t.max_completions)

    def status(self, task: str, now: DateTime) -> TaskStatus:
        """OPEN, or CAPPED once the period's count reached ``target * max_completions``."""
        t = next(t for t in self.board.tasks if t.code == task)
        full = self.count(task, now) >= t.target * t.max_completions
        return TaskStatus.CAPPED if full else TaskStatus.OPEN

    def handle(
        self, command: RecordAction | PruneLog, *, now: DateTime
    ) -> Accepted[TaskProgress] | Rejected[TaskProgress]:
        """Count the action for every open task that tracks it (see the module docstring)."""
        now = aware(now)
        if not isinstance(command, RecordAction | PruneLog):
            raise InvalidCommandError(
                f"command={command!r}: not a task command; use RecordAction or PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.board.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        tracking = [t for t in self.board.tasks if t.action == command.action]
        legal = [t for t in tracking
                 if transition(TASK_TRANSITIONS, self.status(t.code, now), command) is not None]
        running = [t for t in legal if t.window is None or t.window.contains(now)]
        if not running:
            return Rejected(_refusal(command, tracking, legal), self)
        counts, events = self._count(command, running, now)
        log = self.log.record(command, events, now)
        return Accepted(attrs.evolve(self, counts=counts, log=log), events)

    def _count(
        self, command: RecordAction, tasks: list[Task], now: DateTime
    ) -> tuple[tuple[tuple[str, str, int], ...], tuple[Event, ...]]:
        current = {c: (p, n) for c, p, n in self.counts}
        events: list[Event] = []
        for task in tasks:
            key = task.period_key(now)
            p, n = current.get(task.code, (key, 0))
            before = n if p == key else 0
            cap = task.target * task.max_completions
            after = min(before + command.times, cap)
            events.append(TaskProgressed(command.id, self.member_id, task.code, key, after, cap))
            for k in range(before // task.target + 1, after // task.target + 1):
                events.append(TaskCompleted(
                    command.id, self.member_id, task.code, key, k, task.points,
                    task.coupon_template,
                ))
            current[task.code] = (key, after)
        return tuple(sorted((c, p, n) for c, (p, n) in current.items())), tuple(events)


def _refusal(command: RecordAction, tracking: list[Task], legal: list[Task]) -> Reason:
    """Why no task counted ``command``: none tracks it, all are capped, or none is running."""
    if not tracking:
        return NOT_TRACKED(action=command.action)
    if not legal:
        return CAPPED(tasks=tuple(t.code for t in tracking))
    return NOT_OPEN(tasks=tuple(t.code for t in legal))
