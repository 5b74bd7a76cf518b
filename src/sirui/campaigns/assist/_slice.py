"""The friend-assistance state machine: one command decided on one `TaskSlice`.

Theory of operation
-------------------
A member starts a task; friends help it through a shared link; when
``helps_required`` valid helps have arrived the task completes and the
member is due the prize while prize stock lasts.

A command never needs the whole campaign. It needs a `TaskSlice`: the small
values the host loads by key before deciding and writes back in one
transaction afterwards:

* the campaign's `AssistPolicy` (read only);
* the campaign's `AssistCounters` (prizes given: the prize stock);
* the `AssistTask` the command names (None before `StartTask`), with its
  own `CommandLog` (idempotency is per task);
* the `AssistUsage` records `TaskSlice.members_for` lists: the owner for
  `StartTask`; the helper and the task's owner for `HelpTask` (the help
  counts against the helper's limit, and a completing help ends the
  owner's task in progress); nobody for `AssistTick`.

``slice.handle(command, now=...)``: a command of another type, a slice
holding another task or missing usage is misuse (an exception); a command
id the task accepted before is a replay (the original events, the same
slice; `IdConflictError` for other content); `ASSIST_TRANSITIONS` decides
whether the task's status takes the command type (a completed or expired
task takes nothing); then the business checks, in order: the deadline, the
owner's own help, a repeat, the helper's limit, the helper condition.
Accepted, the new slice carries the task with the command in its log; a
completing help moves the task on to COMPLETED (the consequence row of the
table) with `AssistCompleted` and `PrizeDue` (or `PrizeOutOfStock`).

Expiry: from its deadline a task takes no help (``assist.expired``), but a
refusal changes nothing, so the task stays ACTIVE in storage until the
host's delay queue sends `AssistTick` at the deadline; the tick is accepted
with `TaskExpired`. A member's task in progress ends with its completion or
its deadline (`AssistUsage`), so no tick is needed to start another.

Invariants: a task completes exactly once, at exactly ``helps_required``
valid helps; prizes awarded never exceed ``prize_stock``; a member helps a
task at most once and never their own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, Final

import attrs

from sirui.campaigns.assist._messages import (
    AssistCompleted,
    AssistHelped,
    AssistTick,
    HelpTask,
    PrizeDue,
    PrizeOutOfStock,
    StartTask,
    TaskExpired,
    TaskStarted,
)
from sirui.campaigns.assist._policy import AssistPolicy
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.nouns import Member
from sirui.core.validators import non_empty_id, non_negative_int
from sirui.core.windows import DEFAULT_TZ, DateTime, aware
from sirui.core.zh import zh_datetime
from sirui.rules import (
    Accepted,
    CommandLog,
    Condition,
    Facts,
    PruneLog,
    Reason,
    Rejected,
    reason_code,
    transition,
)

__all__ = [
    "ASSIST_REASONS",
    "ASSIST_TRANSITIONS",
    "AssistCounters",
    "AssistStatus",
    "AssistTask",
    "AssistUsage",
    "TaskSlice",
]

NOT_STARTED = reason_code("assist.not_started", zh="助力活动{start_zh}开始",
                          en="The assistance campaign starts at {start}")
ENDED = reason_code("assist.ended", zh="助力活动已结束", en="The assistance campaign has ended")
EXPIRED = reason_code("assist.expired", zh="助力已过期（截止{deadline_zh}）",
                      en="This task expired at {deadline}")
COMPLETED = reason_code("assist.completed", zh="助力已完成", en="This task is already complete")
SELF_HELP = reason_code("assist.self_help", zh="不能为自己助力", en="You cannot help your own task")
ALREADY_HELPED = reason_code("assist.already_helped", zh="您已为TA助力过",
                             en="You have already helped this task")
NOT_ELIGIBLE = reason_code("assist.not_eligible", zh="不满足助力条件（{because_zh}）",
                           en="Not eligible to help ({because})")
LIMIT_REACHED = reason_code("assist.limit_reached", zh="已达每人限{limit_zh}（最多{max}次）",
                            en="Limit reached: {limit} (max {max})")
ALREADY_STARTED = reason_code("assist.already_started", zh="您已有进行中的助力任务",
                              en="You already have a task in progress")
OUT_OF_STOCK = reason_code("assist.prize_out_of_stock", zh="奖品已领完",
                           en="The prizes have run out")
NOT_DUE = reason_code("assist.not_due", zh="助力进行中（截止{deadline_zh}）",
                      en="The task runs until {deadline}")

#: Every rejection code of the assistance state machine, by code.
ASSIST_REASONS = {r.code: r for r in (
    NOT_STARTED, ENDED, EXPIRED, COMPLETED, SELF_HELP, ALREADY_HELPED, NOT_ELIGIBLE,
    LIMIT_REACHED, ALREADY_STARTED, OUT_OF_STOCK, NOT_DUE,
)}


class AssistStatus(enum.Enum):
    ACTIVE = "active"
    """Taking helps (助力中)."""
    COMPLETED = "completed"
    """Enough helps arrived: the prize is due (or out of stock)."""
    EXPIRED = "expired"
    """The deadline passed short of the helps required."""


_ACTIVE: Final = AssistStatus.ACTIVE

#: ``(status, command type)``: the commands a task takes in each status (None:
#: no task yet) and the status the command leaves it in; ``(status,
#: consequence)``: where a consequence of an accepted help moves it. A command
#: missing here is refused; nothing leaves a completed or expired task.
ASSIST_TRANSITIONS: Final[dict[tuple[AssistStatus | None, Any], AssistStatus]] = {
    (None, StartTask): _ACTIVE,
    (_ACTIVE, HelpTask): _ACTIVE,
    (_ACTIVE, AssistTick): AssistStatus.EXPIRED,
    (_ACTIVE, "enough_helps"): AssistStatus.COMPLETED,
}


@attrs.frozen(slots=True)
class AssistTask:
    """One member's task (助力任务): who helped so far, the commands it took."""

    id: str
    owner: str
    started_at: DateTime
    deadline: DateTime
    helpers: tuple[str, ...] = ()
    status: AssistStatus = AssistStatus.ACTIVE
    log: CommandLog = attrs.field(factory=CommandLog)

    def with_log(self, log: CommandLog) -> AssistTask:
        return attrs.evolve(self, log=log)


@attrs.frozen(slots=True)
class AssistCounters:
    """The campaign's counters (one small record per campaign): prizes given."""

    campaign_id: str = attrs.field(validator=non_empty_id)
    prizes_given: int = attrs.field(default=0, validator=non_negative_int)


@attrs.frozen(slots=True)
class AssistUsage:
    """One member's usage of an assistance campaign, as owner and as helper.

    ``active_id`` is the member's task in progress until ``active_until``
    (its deadline) or its completion.
    """

    member_id: str = attrs.field(validator=non_empty_id)
    tasks_started: int = attrs.field(default=0, validator=non_negative_int)
    active_id: str | None = None
    active_until: DateTime | None = None
    helps_given: int = attrs.field(default=0, validator=non_negative_int)

    def in_progress(self, now: DateTime) -> bool:
        """True if the member's last task is still running at ``now``."""
        return self.active_until is not None and now < self.active_until


def _usage_tuple(value: Iterable[AssistUsage]) -> tuple[AssistUsage, ...]:
    return tuple(value)


Command = StartTask | HelpTask | AssistTick | PruneLog
Outcome = Accepted["TaskSlice"] | Rejected["TaskSlice"]


@attrs.frozen(slots=True)
class TaskSlice:
    """What one assistance command needs: the policy, the counters, one task, its members' usage.

    ``task`` is the task the command names, or None for `StartTask`;
    ``usage`` holds the `AssistUsage` of each id `members_for` lists
    (``AssistUsage(member_id)`` for a member with no record yet). The host
    writes back the task, the counters and the usage records of an accepted
    command together.
    """

    policy: AssistPolicy
    counters: AssistCounters
    task: AssistTask | None = None
    usage: tuple[AssistUsage, ...] = attrs.field(default=(), converter=_usage_tuple)

    def __attrs_post_init__(self) -> None:
        if self.counters.campaign_id != self.policy.id:
            raise invalid("counters.campaign_id", self.counters.campaign_id,
                          f"belongs to another campaign than policy.id={self.policy.id!r}",
                          "load the counters stored under the policy's id")
        ids = [u.member_id for u in self.usage]
        if len(set(ids)) != len(ids):
            raise invalid("usage", ids, "holds two records of one member",
                          "load one AssistUsage per member")

    @staticmethod
    def members_for(command: Any, task: AssistTask | None) -> tuple[str, ...]:
        """The members whose `AssistUsage` the slice for ``command`` must hold."""
        if isinstance(command, StartTask):
            return (command.member.id,)
        if isinstance(command, HelpTask):
            helper = command.helper.id
            owner = None if task is None else task.owner
            return (helper,) if owner in (None, helper) else (helper, owner)
        return ()

    @property
    def prizes_left(self) -> int | None:
        stock = self.policy.prize_stock
        return None if stock is None else stock - self.counters.prizes_given

    def usage_of(self, member_id: str) -> AssistUsage:
        for u in self.usage:
            if u.member_id == member_id:
                return u
        raise InvalidCommandError(
            f"member_id={member_id!r}: the slice holds no AssistUsage for this member; "
            "load the records TaskSlice.members_for(command, task) names "
            "(AssistUsage(member_id) for a member with none)"
        )

    # -- the one entry point ----------------------------------------------------------

    def handle(self, command: Command, *, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``; see the module docstring for the steps."""
        now = aware(now)
        if type(command) is PruneLog:
            return self._prune(command, now)
        if not isinstance(command, StartTask | HelpTask | AssistTick):
            raise InvalidCommandError(
                f"command={command!r}: not an assistance command; use StartTask, HelpTask, "
                "AssistTick or PruneLog"
            )
        task = self.task
        if task is not None:
            if task.id != command.task_id:
                raise InvalidCommandError(
                    f"task={task.id!r}: the slice holds another task than "
                    f"command.task_id={command.task_id!r}; load the task by its id"
                )
            replayed = task.log.replay(self, command)
            if replayed is not None:
                return replayed
            if isinstance(command, StartTask):
                raise InvalidCommandError(f"task_id={command.task_id!r} already exists; "
                                          "start a new task under a new id")
        elif not isinstance(command, StartTask):
            raise InvalidCommandError(f"task_id={command.task_id!r}: no such task; "
                                      "start it with StartTask first")
        for member_id in self.members_for(command, task):
            self.usage_of(member_id)
        if transition(ASSIST_TRANSITIONS, None if task is None else task.status,
                      command) is None:
            assert task is not None
            closed = _expired(task.deadline) if task.status is AssistStatus.EXPIRED \
                else COMPLETED()
            return Rejected(closed, self)
        if isinstance(command, StartTask):
            return self._start(command, now)
        assert task is not None
        if isinstance(command, AssistTick):
            return self._tick(task, command, now)
        return self._help(task, command, now)

    # -- commands ---------------------------------------------------------------------

    def _start(self, cmd: StartTask, now: DateTime) -> Outcome:
        p, use = self.policy, self.usage_of(cmd.member.id)
        reason: Reason | None
        if now < p.starts_at:
            reason = NOT_STARTED(start=p.starts_at, start_zh=zh_datetime(p.starts_at, DEFAULT_TZ))
        elif now >= p.ends_at:
            reason = ENDED()
        elif self.prizes_left == 0:
            reason = OUT_OF_STOCK()
        elif use.in_progress(now):
            reason = ALREADY_STARTED()
        elif p.max_tasks_per_member is not None and use.tasks_started >= p.max_tasks_per_member:
            reason = LIMIT_REACHED(limit="tasks started", limit_zh="发起任务",
                                   max=p.max_tasks_per_member)
        else:
            reason = _condition_reason(p.owner_condition, cmd.member, now)
        if reason is not None:
            return Rejected(reason, self)
        deadline = p.deadline_for(now)
        task = AssistTask(cmd.task_id, use.member_id, now, deadline)
        use = attrs.evolve(use, tasks_started=use.tasks_started + 1, active_id=task.id,
                           active_until=deadline)
        return self._accept(task, cmd, (TaskStarted(task.id, use.member_id, deadline),), now,
                            changed=(use,))

    def _help(self, task: AssistTask, cmd: HelpTask, now: DateTime) -> Outcome:
        p, use = self.policy, self.usage_of(cmd.helper.id)
        helper = use.member_id
        reason: Reason | None
        if now >= task.deadline:
            reason = _expired(task.deadline)
        elif helper == task.owner:
            reason = SELF_HELP()
        elif helper in task.helpers:
            reason = ALREADY_HELPED()
        elif p.max_helps_per_helper is not None and use.helps_given >= p.max_helps_per_helper:
            reason = LIMIT_REACHED(limit="helps", limit_zh="助力", max=p.max_helps_per_helper)
        else:
            reason = _condition_reason(p.helper_condition, cmd.helper, now)
        if reason is not None:
            return Rejected(reason, self)
        helpers = (*task.helpers, helper)
        events: tuple[Any, ...] = (AssistHelped(task.id, helper, len(helpers)),)
        changed = [attrs.evolve(use, helps_given=use.helps_given + 1)]
        task = attrs.evolve(task, helpers=helpers)
        counters = self.counters
        if len(helpers) == p.helps_required:
            task = attrs.evolve(task, status=ASSIST_TRANSITIONS[(task.status, "enough_helps")])
            prize: Any = PrizeDue(task.id, task.owner, p.prize)
            if self.prizes_left == 0:
                prize = PrizeOutOfStock(task.id, task.owner)
            else:
                counters = AssistCounters(counters.campaign_id, counters.prizes_given + 1)
            events = (*events, AssistCompleted(task.id, task.owner, now), prize)
            owner = self.usage_of(task.owner)
            if owner.active_id == task.id:
                changed.append(attrs.evolve(owner, active_id=None, active_until=None))
        return self._accept(task, cmd, events, now, changed=tuple(changed), counters=counters)

    def _tick(self, task: AssistTask, cmd: AssistTick, now: DateTime) -> Outcome:
        if now < task.deadline:
            return Rejected(NOT_DUE(deadline=task.deadline,
                                    deadline_zh=zh_datetime(task.deadline, DEFAULT_TZ)), self)
        expired = attrs.evolve(task, status=ASSIST_TRANSITIONS[(task.status, AssistTick)])
        return self._accept(expired, cmd, (TaskExpired(task.id, len(task.helpers),
                                                       task.deadline),), now)

    def _prune(self, cmd: PruneLog, now: DateTime) -> Outcome:
        task = self.task
        if task is None:
            raise InvalidCommandError("PruneLog prunes the log of the task a slice holds; "
                                      "load the task to prune")
        replayed = task.log.replay(self, cmd)
        if replayed is not None:
            return replayed
        log, events = task.log.prune(cmd, now, self.policy.log_retention_days)
        return Accepted(attrs.evolve(self, task=task.with_log(log)), events)

    def _accept(
        self, task: AssistTask, cmd: Any, events: tuple[Any, ...], now: DateTime, *,
        changed: tuple[AssistUsage, ...] = (), counters: AssistCounters | None = None,
    ) -> Accepted[TaskSlice]:
        new = {u.member_id: u for u in changed}
        usage = tuple(new.get(u.member_id, u) for u in self.usage)
        recorded = task.with_log(task.log.record(cmd, events, now))
        return Accepted(TaskSlice(self.policy, counters or self.counters, recorded, usage),
                        events)


def _condition_reason(condition: Condition, member: Member, now: DateTime) -> Reason | None:
    verdict = condition.evaluate(Facts(now, member))
    if verdict.ok:
        return None
    return NOT_ELIGIBLE(because=tuple(r.code for r in verdict.reasons),
                        because_zh="；".join(r.zh for r in verdict.reasons))


def _expired(deadline: DateTime) -> Reason:
    """``assist.expired``; zh shows the deadline in the store's zone (Asia/Shanghai)."""
    return EXPIRED(deadline=deadline, deadline_zh=zh_datetime(deadline, DEFAULT_TZ))
