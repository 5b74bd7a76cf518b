"""Issuing triggers (发券触发): which coupon templates to issue, to whom and when.

A trigger is a policy that looks at one *signal* the host observed (a member
joined, an order was paid, content was shared, an order sits unpaid, a
member's last order ages, an invitee registered or bought) and returns an
`IssueDecision`: issue now, not yet (with the time to look again), or no
(with the reason). Triggers decide; they never claim. The host turns an
issuing decision into wallet claims with `IssueDecision.claims`, whose
command ids derive from the decision's ``key``, so re-running a trigger on
the same signal claims nothing twice (the wallet is idempotent by id).

Triggers: `NewMemberGiftPack` (新会员礼包), `AfterPaymentGift` (支付有礼),
`ShareToGet` (分享得券), `UnpaidOrderReminder` (未付款提醒券),
`RepurchaseIncentive` (复购激励券), `InviteReward` (邀请有礼).

Invariants: a decision's key is a pure function of the trigger and the
signal (never of ``now``), so a retried signal maps to the same claims;
``now`` only decides *whether* and *when*.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Member, Order
from sirui.core.registry import policy, policy_family, tag_of
from sirui.core.validators import non_empty_str, non_negative_money, positive_int
from sirui.core.windows import DateTime, aware
from sirui.core.zh import zh_datetime
from sirui.promotions.base import CouponTemplate
from sirui.promotions.wallet import ClaimCoupon
from sirui.rules.conditions import Always, Condition, Facts
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "AfterPaymentGift",
    "ContentShared",
    "Decision",
    "InviteReward",
    "IssueDecision",
    "IssueTrigger",
    "LastOrderAged",
    "MemberInvited",
    "MemberJoined",
    "NewMemberGiftPack",
    "OrderPaid",
    "OrderUnpaid",
    "RepurchaseIncentive",
    "ShareToGet",
    "UnpaidOrderReminder",
]

ISSUE = reason_code("trigger.issue", zh="发放：{what}", en="Issue: {what}")
NOT_NEW_MEMBER = reason_code(
    "trigger.not_new_member",
    zh="会员注册已超过{hours}小时",
    en="The member joined more than {hours} hours ago",
)
NOT_PAID = reason_code("trigger.not_paid", zh="订单未支付", en="The order is not paid")
BELOW_AMOUNT = reason_code(
    "trigger.below_amount", zh="实付满{threshold}才发券", en="Needs {threshold} paid or more"
)
DAILY_LIMIT = reason_code(
    "trigger.daily_limit",
    zh="今日分享奖励已达{limit}次",
    en="Share reward limit {limit} reached today",
)
ALREADY_PAID = reason_code(
    "trigger.already_paid", zh="订单已支付，无需提醒", en="The order is paid; no reminder"
)
TOO_EARLY = reason_code(
    "trigger.too_early", zh="{at_zh}后再判断", en="Look again at {at}"
)
TOO_LATE = reason_code(
    "trigger.too_late", zh="已过发放时限", en="Past the time to issue"
)
NOT_INVITED = reason_code(
    "trigger.not_invited_by",
    zh="被邀请人不是由{inviter}邀请",
    en="The invitee was not invited by {inviter}",
)
INVITEE_NOT_BOUGHT = reason_code(
    "trigger.invitee_no_order",
    zh="被邀请人尚未完成首单",
    en="The invitee has not paid a first order yet",
)
CONDITION_FAILED = reason_code(
    "trigger.condition_failed", zh="不满足发券条件", en="The issuing condition does not hold"
)



def _too_early(at: DateTime) -> Reason:
    """``trigger.too_early``: zh shows ``at`` as ``2026年11月11日 10:00``, never ISO."""
    return TOO_EARLY(at=at.isoformat(), at_zh=zh_datetime(at))

class Decision(enum.Enum):
    ISSUE = "issue"
    NOT_YET = "not_yet"
    NO = "no"


@attrs.frozen(slots=True)
class IssueDecision:
    """What a trigger decided: ``decision``, for ``member_id``, which ``templates``, why.

    ``at`` is when to look again for `Decision.NOT_YET`. ``key`` is stable
    for a trigger and signal; claims built from it are idempotent.
    """

    trigger: str
    decision: Decision
    member_id: str
    templates: tuple[str, ...]
    reason: Reason
    key: str
    at: DateTime | None = None

    @property
    def issue(self) -> bool:
        return self.decision is Decision.ISSUE

    def claims(self, templates: Mapping[str, CouponTemplate]) -> tuple[ClaimCoupon, ...]:
        """Wallet claim commands for this decision (none unless it issues).

        ``templates`` maps template ids to templates; a missing id raises,
        since the trigger is configured against the host's templates.
        """
        if not self.issue:
            return ()
        out = []
        for i, tid in enumerate(self.templates):
            t = templates.get(tid)
            if t is None:
                raise InvalidCommandError(
                    f"template={tid!r} (trigger {self.trigger!r}) is not among the templates "
                    "given; pass every template the trigger issues"
                )
            cid = f"{self.key}:{i}:{tid}"
            out.append(ClaimCoupon(cid, cid, t))
        return tuple(out)


# -- signals ----------------------------------------------------------------------------


@attrs.frozen(slots=True)
class MemberJoined:
    """A member registered (``member.joined_at`` set)."""

    member: Member


@attrs.frozen(slots=True)
class OrderPaid:
    """An order was paid; ``paid`` is what the shopper actually paid."""

    order: Order
    paid: Money


@attrs.frozen(slots=True)
class ContentShared:
    """``member_id`` shared something (``share_id``); ``rewarded_today`` shares already paid."""

    member_id: str
    share_id: str
    rewarded_today: int = 0


@attrs.frozen(slots=True)
class OrderUnpaid:
    """An order placed and (perhaps) still unpaid."""

    order: Order


@attrs.frozen(slots=True)
class LastOrderAged:
    """A member's last paid order was at ``last_paid_at``."""

    member_id: str
    last_paid_at: DateTime = attrs.field(converter=aware)


@attrs.frozen(slots=True)
class MemberInvited:
    """``invitee`` joined through ``inviter_id``'s invitation (its state as of now)."""

    inviter_id: str
    invitee: Member


# -- the family and its triggers --------------------------------------------------------


def _template_ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    items = tuple(value)
    if not items or not all(isinstance(t, str) and t for t in items):
        raise invalid("templates", items, "must be one or more template ids", "e.g. ('new-10',)")
    return items


@policy_family
class IssueTrigger:
    """A policy deciding when to issue which templates (发券规则)."""

    __slots__ = ()

    id: str
    templates: tuple[str, ...]

    def decide(self, signal: Any, *, now: DateTime) -> IssueDecision:  # pragma: no cover
        raise NotImplementedError

    def _decision(
        self, decision: Decision, member_id: str, reason: Reason, key: str,
        at: DateTime | None = None,
    ) -> IssueDecision:
        return IssueDecision(self.id, decision, member_id, self.templates, reason, key, at)

    def _issue(self, member_id: str, key: str) -> IssueDecision:
        what = ", ".join(self.templates)
        return self._decision(Decision.ISSUE, member_id, ISSUE(what=what), key)

    def _expect(self, signal: Any, kind: type[Any]) -> None:
        if not isinstance(signal, kind):
            raise InvalidCommandError(
                f"{tag_of(type(self))} decides on {kind.__name__}, got {type(signal).__name__}"
            )


@attrs.frozen(slots=True)
class _TriggerBase(IssueTrigger):
    id: str = attrs.field(validator=non_empty_str)
    templates: tuple[str, ...] = attrs.field(kw_only=True, converter=_template_ids)
    condition: Condition = attrs.field(factory=Always, kw_only=True)


@policy("trigger.new_member_gift_pack")
@attrs.frozen(slots=True)
class NewMemberGiftPack(_TriggerBase):
    """新会员礼包: issue the pack once to a member who joined within ``within_hours``."""

    within_hours: int = attrs.field(default=24, kw_only=True, validator=positive_int)

    def decide(self, signal: MemberJoined, *, now: DateTime) -> IssueDecision:
        self._expect(signal, MemberJoined)
        now = aware(now)
        m = signal.member
        key = f"{self.id}:{m.id}"
        if m.joined_at is None or now >= m.joined_at.add(hours=self.within_hours):
            reason = NOT_NEW_MEMBER(hours=self.within_hours)
            return self._decision(Decision.NO, m.id, reason, key)
        verdict = self.condition.evaluate(Facts(now, m))
        if not verdict.ok:
            return self._decision(Decision.NO, m.id, verdict.reasons[0], key)
        return self._issue(m.id, key)


@policy("trigger.after_payment")
@attrs.frozen(slots=True)
class AfterPaymentGift(_TriggerBase):
    """支付有礼: after an order paid at least ``min_paid``, issue the templates."""

    min_paid: Money = attrs.field(factory=lambda: Money(0), kw_only=True,
                                  validator=non_negative_money)

    def decide(self, signal: OrderPaid, *, now: DateTime) -> IssueDecision:
        self._expect(signal, OrderPaid)
        order = signal.order
        mid, key = order.member.id, f"{self.id}:{order.id}"
        if not order.is_paid:
            return self._decision(Decision.NO, mid, NOT_PAID(), key)
        if signal.paid < self.min_paid:
            return self._decision(Decision.NO, mid, BELOW_AMOUNT(threshold=self.min_paid), key)
        verdict = self.condition.evaluate(Facts.of_order(order, aware(now)))
        if not verdict.ok:
            return self._decision(Decision.NO, mid, verdict.reasons[0], key)
        return self._issue(mid, key)


@policy("trigger.share_to_get")
@attrs.frozen(slots=True)
class ShareToGet(_TriggerBase):
    """分享得券: a share earns the templates, at most ``max_per_day`` times a day."""

    max_per_day: int = attrs.field(default=1, kw_only=True, validator=positive_int)

    def decide(self, signal: ContentShared, *, now: DateTime) -> IssueDecision:
        self._expect(signal, ContentShared)
        key = f"{self.id}:{signal.member_id}:{signal.share_id}"
        if signal.rewarded_today >= self.max_per_day:
            reason = DAILY_LIMIT(limit=self.max_per_day)
            return self._decision(Decision.NO, signal.member_id, reason, key)
        return self._issue(signal.member_id, key)


@policy("trigger.unpaid_order_reminder")
@attrs.frozen(slots=True)
class UnpaidOrderReminder(_TriggerBase):
    """未付款提醒券: an order unpaid ``after_minutes`` after placing gets a nudge coupon.

    No coupon once ``close_after_minutes`` have passed (the order is closing).
    """

    after_minutes: int = attrs.field(default=15, kw_only=True, validator=positive_int)
    close_after_minutes: int = attrs.field(default=30, kw_only=True, validator=positive_int)

    def __attrs_post_init__(self) -> None:
        if self.close_after_minutes <= self.after_minutes:
            raise invalid(
                "close_after_minutes", self.close_after_minutes,
                f"must be after after_minutes={self.after_minutes}",
            )

    def decide(self, signal: OrderUnpaid, *, now: DateTime) -> IssueDecision:
        self._expect(signal, OrderUnpaid)
        now = aware(now)
        order = signal.order
        mid, key = order.member.id, f"{self.id}:{order.id}"
        if order.is_paid:
            return self._decision(Decision.NO, mid, ALREADY_PAID(), key)
        at = order.placed_at.add(minutes=self.after_minutes)
        if now < at:
            return self._decision(Decision.NOT_YET, mid, _too_early(at), key, at)
        if now >= order.placed_at.add(minutes=self.close_after_minutes):
            return self._decision(Decision.NO, mid, TOO_LATE(), key)
        return self._issue(mid, key)


@policy("trigger.repurchase")
@attrs.frozen(slots=True)
class RepurchaseIncentive(_TriggerBase):
    """复购激励券: ``after_days`` after the last paid order, for ``window_days`` more.

    Past the window the member is lapsing and belongs to a recall campaign.
    """

    after_days: int = attrs.field(default=25, kw_only=True, validator=positive_int)
    window_days: int = attrs.field(default=7, kw_only=True, validator=positive_int)

    def decide(self, signal: LastOrderAged, *, now: DateTime) -> IssueDecision:
        self._expect(signal, LastOrderAged)
        now = aware(now)
        mid = signal.member_id
        key = f"{self.id}:{mid}:{signal.last_paid_at.isoformat()}"
        at = signal.last_paid_at.add(days=self.after_days)
        if now < at:
            return self._decision(Decision.NOT_YET, mid, _too_early(at), key, at)
        if now >= at.add(days=self.window_days):
            return self._decision(Decision.NO, mid, TOO_LATE(), key)
        return self._issue(mid, key)


@policy("trigger.invite_reward")
@attrs.frozen(slots=True)
class InviteReward(_TriggerBase):
    """邀请有礼: the inviter gets the templates once per invitee.

    With ``on_first_order=True`` the reward waits until the invitee has paid
    a first order (邀请下单有礼); otherwise registration is enough.
    """

    on_first_order: bool = attrs.field(default=False, kw_only=True)

    def decide(self, signal: MemberInvited, *, now: DateTime) -> IssueDecision:
        self._expect(signal, MemberInvited)
        inviter, invitee = signal.inviter_id, signal.invitee
        key = f"{self.id}:{invitee.id}"
        if invitee.invited_by != inviter or invitee.id == inviter:
            return self._decision(Decision.NO, inviter, NOT_INVITED(inviter=inviter), key)
        if self.on_first_order and invitee.paid_orders == 0:
            return self._decision(Decision.NOT_YET, inviter, INVITEE_NOT_BOUGHT(), key)
        return self._issue(inviter, key)
