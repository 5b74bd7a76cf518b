"""Commands the host sends to a group-buy campaign and the events it gets back.

Commands are imperatives carrying a unique ``id`` (replaying an id is
idempotent); events are past tense and carry everything the host must
persist or act on (refund a payment, pay a red packet, charge a difference).
"""

from __future__ import annotations

import enum

import attrs

from sirui.campaigns._checks import is_member
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment, Member
from sirui.core.validators import non_empty_id, positive_int
from sirui.core.windows import DateTime
from sirui.rules import Event

__all__ = [
    "DifferenceDue",
    "GroupCancelled",
    "GroupDeadlineSet",
    "GroupFailed",
    "GroupMemberJoined",
    "GroupOpened",
    "GroupSucceeded",
    "GroupTick",
    "JoinGroup",
    "LeaderChanged",
    "LeaveGroup",
    "OpenGroup",
    "PaySeat",
    "RedPacketDue",
    "RefundDue",
    "RefundKind",
    "ReleaseWhy",
    "SeatPaid",
    "SeatReleased",
]


# -- commands ------------------------------------------------------------------------


@attrs.frozen(slots=True)
class OpenGroup:
    """The leader opens a group (开团), reserving the leader's seat until paid."""

    id: str = attrs.field(validator=non_empty_id)
    group_id: str = attrs.field(validator=non_empty_id)
    member: Member = attrs.field(validator=is_member)
    quantity: int = attrs.field(default=1, validator=positive_int)
    fulfillment: Fulfillment = Fulfillment.DELIVERY


@attrs.frozen(slots=True)
class JoinGroup:
    """A member joins an open group (参团), reserving a seat until paid."""

    id: str = attrs.field(validator=non_empty_id)
    group_id: str = attrs.field(validator=non_empty_id)
    member: Member = attrs.field(validator=is_member)
    quantity: int = attrs.field(default=1, validator=positive_int)
    fulfillment: Fulfillment = Fulfillment.DELIVERY


@attrs.frozen(slots=True)
class PaySeat:
    """The host confirms payment for the seat reserved by command ``join_id``."""

    id: str = attrs.field(validator=non_empty_id)
    group_id: str = attrs.field(validator=non_empty_id)
    join_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class LeaveGroup:
    """A member leaves before paying; a leader alone in the group cancels it.

    With ``leader_handover`` a leader may also leave a group others have
    joined: the leader's payment is refunded and the earliest paid member
    leads from then on.
    """

    id: str = attrs.field(validator=non_empty_id)
    group_id: str = attrs.field(validator=non_empty_id)
    member_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class GroupTick:
    """The host's delay queue: let the clock act on group ``group_id`` at ``now``.

    Releases seats whose payment window has passed, completes a group by
    auto-fill near its deadline, and at the deadline succeeds or fails the
    group. Send one at each seat's ``pay_by``, at ``deadline -
    auto_fill.minutes_before_deadline`` and at the group's deadline; a tick
    with nothing due is refused (``groupbuy.nothing_due``) and changes nothing.
    """

    id: str = attrs.field(validator=non_empty_id)
    group_id: str = attrs.field(validator=non_empty_id)


# -- events --------------------------------------------------------------------------


class ReleaseWhy(enum.Enum):
    """Why a reserved seat was given back."""

    PAYMENT_TIMEOUT = "payment_timeout"
    LEFT = "left"
    DEADLINE = "deadline"
    CANCELLED = "cancelled"


class RefundKind(enum.Enum):
    """Why money goes back to a member."""

    GROUP_FAILED = "group_failed"
    GROUP_CANCELLED = "group_cancelled"
    PRICE_DIFFERENCE = "price_difference"
    """A ladder group reached a cheaper tier than the member paid for."""
    LEADER_LEFT = "leader_left"
    """The leader left a group others had joined, handing leadership on (团长转让)."""


@attrs.frozen(slots=True)
class GroupOpened(Event):
    group_id: str
    leader: str
    deadline: DateTime
    at: DateTime


@attrs.frozen(slots=True)
class GroupMemberJoined(Event):
    group_id: str
    member_id: str
    join_id: str
    quantity: int
    unit_price: Money
    pay_by: DateTime
    leader: bool


@attrs.frozen(slots=True)
class SeatPaid(Event):
    group_id: str
    member_id: str
    join_id: str
    amount: Money
    at: DateTime


@attrs.frozen(slots=True)
class SeatReleased(Event):
    group_id: str
    member_id: str
    join_id: str
    quantity: int
    why: ReleaseWhy


@attrs.frozen(slots=True)
class GroupSucceeded(Event):
    """The group is complete: ``members`` real paid members plus ``filled`` auto-filled seats."""

    group_id: str
    members: int
    filled: int
    final_price: Money
    at: DateTime


@attrs.frozen(slots=True)
class GroupFailed(Event):
    group_id: str
    paid_members: int
    at: DateTime


@attrs.frozen(slots=True)
class GroupDeadlineSet(Event):
    """The leader paid: the group's time limit now runs to ``deadline``.

    Only with ``deadline_from=LEADER_PAYMENT``; schedule the deadline tick
    for this time (the one `GroupOpened` gave was provisional).
    """

    group_id: str
    deadline: DateTime
    at: DateTime


@attrs.frozen(slots=True)
class LeaderChanged(Event):
    """The leader ``previous`` left; ``leader`` (the earliest paid member) leads now.

    The new leader keeps the price they paid; the leader's red packet, if
    any, goes to them on success.
    """

    group_id: str
    previous: str
    leader: str
    at: DateTime


@attrs.frozen(slots=True)
class GroupCancelled(Event):
    group_id: str
    at: DateTime


@attrs.frozen(slots=True)
class RefundDue(Event):
    """Pay ``amount`` back to the member for the seat reserved by ``join_id``."""

    group_id: str
    member_id: str
    join_id: str
    amount: Money
    kind: RefundKind


@attrs.frozen(slots=True)
class DifferenceDue(Event):
    """Charge the member ``amount`` more: the ladder tier reached costs more than paid."""

    group_id: str
    member_id: str
    join_id: str
    amount: Money


@attrs.frozen(slots=True)
class RedPacketDue(Event):
    """Pay the leader a cash red packet for a successful group (拼团成功得现金红包)."""

    group_id: str
    member_id: str
    amount: Money
