"""Referral reward (好友邀请奖励): pay the inviter once the invitee's first order sticks.

The rule operators write is 好友邀请下单并提货后N天后发放奖励: a member who
invited a new member is rewarded when the invitee's *first* order has been
picked up (or delivered) for ``days_after_fulfilment`` days and has not been
refunded. The reward is points, a coupon (by template id) or cash.

`ReferralReward.evaluate` is a pure decision on the facts the host knows
(`InviteeFirstOrder`) at ``now``: due (with the reward), not yet (with the
date it becomes due), never (refunded, not a first order, self-invite),
already granted, or to be clawed back.

A refund carries its date (``refunded_at``) and the facts say whether and
when the reward was granted (``granted_at``):

* refunded before the reward was granted: the reward is void (``NEVER``,
  ``referral.refunded``), as it always was;
* refunded after the reward was granted: the reward is taken back
  (``CLAWBACK``, ``referral.clawback``). The decision carries what to take
  back: the points (`sirui.loyalty.points` ``TakeBack``), the coupon (revoke
  it if unused) or the cash, which becomes a debt of the inviter
  (`ReferralDecision.debt`, fed to their `WithdrawalAccount` as
  ``RecordDebt``) so that it is netted from what they can withdraw;
* a refund dated after ``now`` has not happened yet at ``now`` (what-if
  replays of past days see the facts as they were).

Invariants: exactly one reward kind is configured; a reward is never due
before ``fulfilled_at + days``; a refunded first order never pays, and a
reward already granted is clawed back, never silently kept.
"""

from __future__ import annotations

import enum

import attrs

from sirui.commission._common import zh_date
from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, non_negative_int
from sirui.core.windows import DateTime, aware
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "InviteeFirstOrder",
    "ReferralDecision",
    "ReferralReward",
    "ReferralStatus",
    "RewardKind",
]

DUE = reason_code(
    "referral.due",
    zh="好友首单已提货满{days}天，发放奖励", en="Invitee's first order kept {days} days: reward due"
)
WAITING = reason_code(
    "referral.waiting",
    zh="好友首单提货满{days}天后（{due_on}）发放",
    en="Reward due at {due_at} ({days} days after fulfilment)"
)
NOT_FULFILLED = reason_code(
    "referral.not_fulfilled",
    zh="好友首单尚未提货或送达", en="The invitee's first order is not fulfilled yet"
)
REFUNDED = reason_code(
    "referral.refunded",
    zh="好友首单已退款，不发放奖励", en="The invitee's first order was refunded: no reward"
)
NOT_FIRST = reason_code(
    "referral.not_first_order",
    zh="不是好友的首单", en="Not the invitee's first order"
)
GRANTED = reason_code(
    "referral.granted",
    zh="奖励已于{granted_on}发放", en="The reward was granted at {granted_at}"
)
CLAWBACK = reason_code(
    "referral.clawback",
    zh="好友首单于{refunded_on}退款，已发放的奖励需追回",
    en="The invitee's first order was refunded at {refunded_at}, after the reward was "
       "granted at {granted_at}: take the reward back",
)
SELF_INVITE = reason_code(
    "referral.self_invite",
    zh="不能邀请自己", en="A member cannot invite themself"
)


class RewardKind(enum.Enum):
    POINTS = "points"
    COUPON = "coupon"
    CASH = "cash"


class ReferralStatus(enum.Enum):
    DUE = "due"
    """Grant the reward now."""
    WAITING = "waiting"
    """Not yet (``due_at`` says when, once the order is fulfilled)."""
    NEVER = "never"
    """No reward: refunded before the grant, not a first order, or a self-invite."""
    GRANTED = "granted"
    """Granted already (``granted_at`` in the facts); nothing to do."""
    CLAWBACK = "clawback"
    """Granted, then the order was refunded: take the reward back (追回)."""


@attrs.frozen(slots=True)
class InviteeFirstOrder:
    """What the host knows about an invitee's order at decision time."""

    inviter: str = attrs.field(validator=non_empty_str)
    invitee: str = attrs.field(validator=non_empty_str)
    order_id: str = attrs.field(validator=non_empty_str)
    first_order: bool = True
    fulfilled_at: DateTime | None = None
    """When it was picked up (提货) or delivered; None while not yet."""
    refunded: bool = False
    """Refunded, date unknown: voids a reward not yet granted, claws back a granted one.

    Prefer ``refunded_at``, which also lets a what-if replay see the refund only from
    its date on."""
    refunded_at: DateTime | None = None
    """When the order was refunded (退款时间); None if it was not."""
    granted_at: DateTime | None = None
    """When the host granted the inviter's reward; None if it has not."""

    def __attrs_post_init__(self) -> None:
        for name in ("fulfilled_at", "refunded_at", "granted_at"):
            value = getattr(self, name)
            if value is not None:
                aware(value, name)

    def refunded_by(self, now: DateTime) -> bool:
        """True if the order was refunded at or before ``now``."""
        return self.refunded or (self.refunded_at is not None and self.refunded_at <= now)


@attrs.frozen(slots=True)
class ReferralDecision:
    """Due now, due later (``due_at``), or never; with the reward and the reason."""

    status: ReferralStatus
    reason: Reason
    kind: RewardKind
    points: int = 0
    coupon_template: str | None = None
    cash: Money | None = None
    due_at: DateTime | None = None

    @property
    def due(self) -> bool:
        return self.status is ReferralStatus.DUE

    @property
    def clawback(self) -> bool:
        """True when a granted reward must be taken back."""
        return self.status is ReferralStatus.CLAWBACK

    @property
    def debt(self) -> Money | None:
        """The cash the inviter owes back (a clawed-back cash reward), else None."""
        return self.cash if self.clawback else None


@policy("referral.reward")
@attrs.frozen(slots=True)
class ReferralReward:
    """The invite reward rule (邀请有礼): N days after pickup, points, coupon or cash.

    >>> ReferralReward(days_after_fulfilment=7, points=200).kind
    <RewardKind.POINTS: 'points'>
    """

    days_after_fulfilment: int = attrs.field(default=7, validator=non_negative_int)
    points: int = attrs.field(default=0, validator=non_negative_int)
    coupon_template: str | None = None
    cash: Money | None = None

    def __attrs_post_init__(self) -> None:
        set_ = [self.points > 0, self.coupon_template is not None, self.cash is not None]
        if sum(set_) != 1:
            raise invalid("points", self.points,
                          "set exactly one reward: points > 0, coupon_template or cash",
                          "e.g. points=200")
        if self.coupon_template is not None and not self.coupon_template.strip():
            raise invalid("coupon_template", self.coupon_template, "must be a template id")
        if self.cash is not None and (not isinstance(self.cash, Money) or self.cash.minor <= 0):
            raise invalid("cash", self.cash, "must be Money > 0")

    @property
    def kind(self) -> RewardKind:
        if self.points:
            return RewardKind.POINTS
        return RewardKind.COUPON if self.coupon_template is not None else RewardKind.CASH

    def _decision(self, status: ReferralStatus, reason: Reason,
                  due_at: DateTime | None = None) -> ReferralDecision:
        return ReferralDecision(status, reason, self.kind, self.points, self.coupon_template,
                                self.cash, due_at)

    def evaluate(self, facts: InviteeFirstOrder, now: DateTime) -> ReferralDecision:
        """Decide at ``now`` whether the inviter's reward is due, granted or clawed back."""
        now = aware(now)
        granted = facts.granted_at is not None and facts.granted_at <= now
        if granted:
            return self._after_grant(facts, now)
        if facts.inviter == facts.invitee:
            return self._decision(ReferralStatus.NEVER, SELF_INVITE())
        if not facts.first_order:
            return self._decision(ReferralStatus.NEVER, NOT_FIRST())
        if facts.refunded_by(now):
            return self._decision(ReferralStatus.NEVER, REFUNDED())
        if facts.fulfilled_at is None:
            return self._decision(ReferralStatus.WAITING, NOT_FULFILLED())
        due_at = facts.fulfilled_at.add(days=self.days_after_fulfilment)
        if now < due_at:
            return self._decision(ReferralStatus.WAITING, WAITING(
                days=self.days_after_fulfilment, due_at=due_at, due_on=zh_date(due_at)), due_at)
        return self._decision(ReferralStatus.DUE, DUE(days=self.days_after_fulfilment), due_at)

    def _after_grant(self, facts: InviteeFirstOrder, now: DateTime) -> ReferralDecision:
        """The reward was granted: kept, or clawed back by a refund known at ``now``."""
        granted_at = facts.granted_at
        assert granted_at is not None
        if facts.refunded_by(now):
            # A refund without a date is known now; one dated before the grant means the
            # reward went out by mistake: either way it comes back.
            at = facts.refunded_at if facts.refunded_at is not None else now
            return self._decision(ReferralStatus.CLAWBACK, CLAWBACK(
                refunded_at=at, refunded_on=zh_date(at), granted_at=granted_at))
        return self._decision(ReferralStatus.GRANTED, GRANTED(
            granted_at=granted_at, granted_on=zh_date(granted_at)))
