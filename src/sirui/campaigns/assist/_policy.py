"""Friend assistance / task fission (助力 / 任务宝): invite N friends, win a prize.

A member starts a task; friends help it through a shared link; when
``helps_required`` valid helps have arrived the task completes and the
member is due the prize (a coupon template, a free item: the prize is a code
the host resolves), while prize stock lasts.

Theory of operation: `AssistCampaign.handle` replays a command id it has
seen, lets the clock act (a task past its deadline expires), then checks
and applies the command. Valid helps are counted per task; a help is
refused, with a reason, when it is the owner's own, a repeat, from someone
the policy does not accept (``helper_condition``, e.g. new customers only),
or over the helper's limit.

Invariants: a task completes exactly once, at exactly ``helps_required``
valid helps; prizes awarded never exceed ``prize_stock``; a member helps a
task at most once and never their own.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from sirui.campaigns._checks import is_condition, is_member
from sirui.campaigns._replay import first_logged, move, replay, settle_each
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.nouns import Member
from sirui.core.registry import policy
from sirui.core.validators import (
    aware_datetime,
    int_at_least,
    non_empty_id,
    non_empty_str,
    opt_non_negative_int,
    opt_positive_int,
)
from sirui.core.windows import DateTime, aware
from sirui.rules import (
    Accepted,
    Always,
    Condition,
    Event,
    Facts,
    Outcome,
    Reason,
    Rejected,
    reason_code,
)

__all__ = [
    "ASSIST_REASONS",
    "ASSIST_TRANSITIONS",
    "AssistCampaign",
    "AssistHelped",
    "AssistPolicy",
    "AssistStatus",
    "AssistTask",
    "AssistTick",
    "HelpTask",
    "PrizeDue",
    "PrizeOutOfStock",
    "StartTask",
    "TaskCompleted",
    "TaskExpired",
    "TaskStarted",
]

NOT_STARTED = reason_code("assist.not_started", zh="助力活动{start}开始",
                          en="The assistance campaign starts at {start}")
ENDED = reason_code("assist.ended", zh="助力活动已结束", en="The assistance campaign has ended")
EXPIRED = reason_code("assist.expired", zh="助力已过期（截止{deadline}）",
                      en="This task expired at {deadline}")
COMPLETED = reason_code("assist.completed", zh="助力已完成", en="This task is already complete")
SELF_HELP = reason_code("assist.self_help", zh="不能为自己助力", en="You cannot help your own task")
ALREADY_HELPED = reason_code("assist.already_helped", zh="您已为TA助力过",
                             en="You have already helped this task")
NOT_ELIGIBLE = reason_code("assist.not_eligible", zh="不满足助力条件（{because}）",
                           en="Not eligible to help ({because})")
LIMIT_REACHED = reason_code("assist.limit_reached", zh="已达每人限{limit}（最多{max}次）",
                            en="Limit reached: {limit} (max {max})")
ALREADY_STARTED = reason_code("assist.already_started", zh="您已有进行中的助力任务",
                              en="You already have a task in progress")
OUT_OF_STOCK = reason_code("assist.prize_out_of_stock", zh="奖品已领完",
                           en="The prizes have run out")

#: Every rejection code of the assistance state machine, by code.
ASSIST_REASONS = {r.code: r for r in (
    NOT_STARTED, ENDED, EXPIRED, COMPLETED, SELF_HELP, ALREADY_HELPED, NOT_ELIGIBLE,
    LIMIT_REACHED, ALREADY_STARTED, OUT_OF_STOCK,
)}




_ALWAYS: Condition = Always()


@policy("assist.campaign")
@attrs.frozen(slots=True)
class AssistPolicy:
    """A task-fission campaign (任务宝 / 好友助力).

    ``helps_required`` friends must help within ``time_limit_minutes`` of the
    task's start (never past ``ends_at``); the owner then wins ``prize`` (a
    code the host resolves: a coupon template id, a free-item SKU) while
    ``prize_stock`` lasts. ``helper_condition=NewCustomer()`` accepts only
    new customers' helps (拉新助力).
    """

    id: str = attrs.field(validator=non_empty_str)
    prize: str = attrs.field(validator=non_empty_str)
    helps_required: int = attrs.field(validator=int_at_least(1))
    starts_at: DateTime = attrs.field(validator=aware_datetime)
    ends_at: DateTime = attrs.field(validator=aware_datetime)
    time_limit_minutes: int = attrs.field(default=24 * 60, validator=int_at_least(1))
    prize_stock: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    helper_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    owner_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    max_helps_per_helper: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Helps one person may give in the whole campaign (``None``: no limit)."""
    max_tasks_per_member: int | None = attrs.field(default=1, validator=opt_positive_int)
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise invalid("ends_at", self.ends_at, f"must be after starts_at={self.starts_at}",
                          "swap the two or extend the campaign")

    def deadline_for(self, started_at: DateTime) -> DateTime:
        return min(started_at.add(minutes=self.time_limit_minutes), self.ends_at)


class AssistStatus(enum.Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"


#: The only status changes a task makes, by trigger.
ASSIST_TRANSITIONS: dict[tuple[AssistStatus, str], AssistStatus] = {
    (AssistStatus.ACTIVE, "enough_helps"): AssistStatus.COMPLETED,
    (AssistStatus.ACTIVE, "deadline"): AssistStatus.EXPIRED,
}


@attrs.frozen(slots=True)
class StartTask:
    id: str = attrs.field(validator=non_empty_id)
    task_id: str = attrs.field(validator=non_empty_id)
    member: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class HelpTask:
    id: str = attrs.field(validator=non_empty_id)
    task_id: str = attrs.field(validator=non_empty_id)
    helper: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class AssistTick:
    """The host's timer: expire tasks past their deadline (all when ``task_id`` is None)."""

    task_id: str | None = None


@attrs.frozen(slots=True)
class TaskStarted(Event):
    task_id: str
    member_id: str
    deadline: DateTime


@attrs.frozen(slots=True)
class AssistHelped(Event):
    task_id: str
    helper_id: str
    helps: int
    """Valid helps so far, this one included."""


@attrs.frozen(slots=True)
class TaskCompleted(Event):
    task_id: str
    member_id: str
    at: DateTime


@attrs.frozen(slots=True)
class PrizeDue(Event):
    """Give ``prize`` to the member (issue the coupon, ship the free item)."""

    task_id: str
    member_id: str
    prize: str


@attrs.frozen(slots=True)
class PrizeOutOfStock(Event):
    """The task completed after the last prize was given: tell the member, give nothing."""

    task_id: str
    member_id: str


@attrs.frozen(slots=True)
class TaskExpired(Event):
    task_id: str
    helps: int
    at: DateTime


@attrs.frozen(slots=True)
class AssistTask:
    """One member's task (助力任务): who helped so far."""

    id: str
    owner: str
    started_at: DateTime
    deadline: DateTime
    helpers: tuple[str, ...] = ()
    status: AssistStatus = AssistStatus.ACTIVE
    log: tuple[tuple[Any, tuple[Any, ...]], ...] = ()

    def logged(self, command_id: str) -> tuple[Any, tuple[Any, ...]] | None:
        return first_logged(self.log, command_id)

    def _move(self, trigger: str, **changes: Any) -> AssistTask:
        return move(self, ASSIST_TRANSITIONS, trigger, "task", **changes)

    def settle(self, now: DateTime) -> tuple[AssistTask, list[Any]]:
        if self.status is AssistStatus.ACTIVE and now >= self.deadline:
            return self._move("deadline"), [TaskExpired(self.id, len(self.helpers), self.deadline)]
        return self, []


Command = StartTask | HelpTask | AssistTick


@attrs.frozen(slots=True)
class AssistCampaign:
    """The live state of a task-fission campaign: tasks, helpers' usage, prizes given."""

    policy: AssistPolicy
    tasks: Mapping[str, AssistTask] = attrs.field(factory=dict)
    helps_given: Mapping[str, int] = attrs.field(factory=dict)
    tasks_started: Mapping[str, int] = attrs.field(factory=dict)
    latest: Mapping[str, str] = attrs.field(factory=dict)
    """Each member's most recent task id (the only one that can be in progress)."""
    prizes_given: int = 0

    @classmethod
    def start(cls, policy: AssistPolicy) -> AssistCampaign:
        if not isinstance(policy, AssistPolicy):
            raise invalid("policy", policy, "must be an AssistPolicy")
        return cls(policy)

    @property
    def prizes_left(self) -> int | None:
        stock = self.policy.prize_stock
        return None if stock is None else stock - self.prizes_given

    def task(self, task_id: str) -> AssistTask:
        found = self.tasks.get(task_id)
        if found is None:
            raise InvalidCommandError(f"task_id={task_id!r}: no such task; "
                                      "start it with StartTask first")
        return found

    def handle(self, command: Command, *, now: DateTime) -> Outcome[AssistCampaign]:
        """Apply ``command`` at ``now``."""
        now = aware(now)
        if isinstance(command, AssistTick):
            ids = [command.task_id] if command.task_id is not None else list(self.tasks)
            changed, events = settle_each(ids, lambda tid: self.task(tid).settle(now))
            if not changed:
                return Accepted(self, ())
            return Accepted(attrs.evolve(self, tasks={**self.tasks, **changed}), tuple(events))
        if not isinstance(command, StartTask | HelpTask):
            raise InvalidCommandError(f"command={command!r}: not an assistance command")
        existing = self.tasks.get(command.task_id)
        if existing is not None:
            replayed = replay(self, command, existing.logged(command.id))
            if replayed is not None:
                return replayed
        if isinstance(command, StartTask):
            if existing is not None:
                raise InvalidCommandError(f"task_id={command.task_id!r} already exists")
            return self._start(command, now)
        task, pre = self.task(command.task_id).settle(now)
        state = self._store(task) if pre else self
        return state._help(task, command, now, pre)

    def _start(self, cmd: StartTask, now: DateTime) -> Outcome[AssistCampaign]:
        p, member = self.policy, cmd.member.id
        count = self.tasks_started.get(member, 0)
        reason: Reason | None
        if now < p.starts_at:
            reason = NOT_STARTED(start=p.starts_at)
        elif now >= p.ends_at:
            reason = ENDED()
        elif self.prizes_left == 0:
            reason = OUT_OF_STOCK()
        elif self._in_progress(member, now):
            reason = ALREADY_STARTED()
        elif p.max_tasks_per_member is not None and count >= p.max_tasks_per_member:
            reason = LIMIT_REACHED(limit="发起任务", max=p.max_tasks_per_member)
        else:
            reason = _condition_reason(p.owner_condition, cmd.member, now)
        if reason is not None:
            return Rejected(reason, self)
        deadline = p.deadline_for(now)
        events = (TaskStarted(cmd.task_id, member, deadline),)
        task = AssistTask(cmd.task_id, member, now, deadline, log=((cmd, events),))
        state = attrs.evolve(self, tasks_started={**self.tasks_started, member: count + 1},
                             latest={**self.latest, member: task.id})
        return Accepted(state._store(task), events)

    def _in_progress(self, member_id: str, now: DateTime) -> bool:
        last = self.tasks.get(self.latest.get(member_id, ""))
        return last is not None and last.status is AssistStatus.ACTIVE and now < last.deadline

    def _help(self, task: AssistTask, cmd: HelpTask, now: DateTime,
              pre: list[Any]) -> Outcome[AssistCampaign]:
        p, helper = self.policy, cmd.helper.id
        given = self.helps_given.get(helper, 0)
        reason: Reason | None
        if task.status is AssistStatus.EXPIRED:
            reason = EXPIRED(deadline=task.deadline)
        elif task.status is AssistStatus.COMPLETED:
            reason = COMPLETED()
        elif helper == task.owner:
            reason = SELF_HELP()
        elif helper in task.helpers:
            reason = ALREADY_HELPED()
        elif p.max_helps_per_helper is not None and given >= p.max_helps_per_helper:
            reason = LIMIT_REACHED(limit="助力", max=p.max_helps_per_helper)
        else:
            reason = _condition_reason(p.helper_condition, cmd.helper, now)
        if reason is not None:
            return Rejected(reason, self, tuple(pre))
        helpers = (*task.helpers, helper)
        events: list[Any] = [*pre, AssistHelped(task.id, helper, len(helpers))]
        state = attrs.evolve(self, helps_given={**self.helps_given, helper: given + 1})
        task = attrs.evolve(task, helpers=helpers)
        if len(helpers) == p.helps_required:
            task = task._move("enough_helps")
            events.append(TaskCompleted(task.id, task.owner, now))
            if state.prizes_left == 0:
                events.append(PrizeOutOfStock(task.id, task.owner))
            else:
                events.append(PrizeDue(task.id, task.owner, p.prize))
                state = attrs.evolve(state, prizes_given=state.prizes_given + 1)
        evs = tuple(events)
        task = attrs.evolve(task, log=(*task.log, (cmd, evs)))
        return Accepted(state._store(task), evs)

    def _store(self, task: AssistTask) -> AssistCampaign:
        return attrs.evolve(self, tasks={**self.tasks, task.id: task})


def _condition_reason(condition: Condition, member: Member, now: DateTime) -> Reason | None:
    verdict = condition.evaluate(Facts(now, member))
    if verdict.ok:
        return None
    return NOT_ELIGIBLE(because=tuple(r.code for r in verdict.reasons))
