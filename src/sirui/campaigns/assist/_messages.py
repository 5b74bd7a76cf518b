"""Commands the host sends to an assistance task and the events it gets back."""

from __future__ import annotations

import attrs

from sirui.campaigns._checks import is_member
from sirui.core.nouns import Member
from sirui.core.validators import non_empty_id
from sirui.core.windows import DateTime
from sirui.rules import Event

__all__ = [
    "AssistCompleted",
    "AssistHelped",
    "AssistTick",
    "HelpTask",
    "PrizeDue",
    "PrizeOutOfStock",
    "StartTask",
    "TaskExpired",
    "TaskStarted",
]


@attrs.frozen(slots=True)
class StartTask:
    """A member starts a task (发起助力) and shares its link."""

    id: str = attrs.field(validator=non_empty_id)
    task_id: str = attrs.field(validator=non_empty_id)
    member: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class HelpTask:
    """A friend helps the task (助力)."""

    id: str = attrs.field(validator=non_empty_id)
    task_id: str = attrs.field(validator=non_empty_id)
    helper: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class AssistTick:
    """The host's delay queue: expire task ``task_id`` at its deadline.

    A tick before the deadline is refused (``assist.not_due``) and changes
    nothing; send it at the deadline `TaskStarted` reports.
    """

    id: str = attrs.field(validator=non_empty_id)
    task_id: str = attrs.field(validator=non_empty_id)


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
class AssistCompleted(Event):
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
