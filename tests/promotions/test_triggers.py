"""Issuing triggers: decisions (issue, not yet, no) and idempotent claims."""

from __future__ import annotations

import pytest

from promotions._shop import NOW, WEEK, y
from sirui.core.errors import InvalidCommandError
from sirui.core.nouns import Line, Member, Order, Sku
from sirui.promotions import (
    AfterPaymentGift,
    AmountOffCoupon,
    ContentShared,
    Decision,
    InviteReward,
    LastOrderAged,
    MemberInvited,
    MemberJoined,
    NewMemberGiftPack,
    NoThresholdCoupon,
    OrderPaid,
    OrderUnpaid,
    RepurchaseIncentive,
    ShareToGet,
    UnpaidOrderReminder,
    Wallet,
)

TEMPLATES = {
    "new-10": AmountOffCoupon("new-10", validity=WEEK, off=y(10), threshold=y(99)),
    "new-5": NoThresholdCoupon("new-5", validity=WEEK, off=y(5)),
}
M = Member("m1", joined_at=NOW.subtract(hours=2))


def order(paid: bool = True, placed_minutes_ago: int = 20) -> Order:
    placed = NOW.subtract(minutes=placed_minutes_ago)
    return Order("o1", M, (Line("L1", Sku("A", y(120)), 1),), placed,
                 paid_at=placed.add(minutes=1) if paid else None)


def test_new_member_gift_pack_is_issued_once_and_claims_idempotently() -> None:
    pack = NewMemberGiftPack("welcome", templates=("new-10", "new-5"))
    d = pack.decide(MemberJoined(M), now=NOW)
    assert d.issue
    assert d.member_id == "m1"
    assert d.templates == ("new-10", "new-5")
    w = Wallet("m1")
    for cmd in d.claims(TEMPLATES):
        w = w.handle(cmd, now=NOW).state
    again = pack.decide(MemberJoined(M), now=NOW.add(hours=1))
    for cmd in again.claims(TEMPLATES):
        w = w.handle(cmd, now=NOW.add(hours=1)).state
    assert len(w.coupons()) == 2
    late = pack.decide(MemberJoined(M), now=NOW.add(days=2))
    assert late.decision is Decision.NO
    assert late.reason.code == "trigger.not_new_member"
    assert late.claims(TEMPLATES) == ()


def test_after_payment_gift_needs_99_paid() -> None:
    gift = AfterPaymentGift("paygift", templates=("new-5",), min_paid=y(99))
    assert gift.decide(OrderPaid(order(), y(120)), now=NOW).issue
    low = gift.decide(OrderPaid(order(), y(80)), now=NOW)
    assert low.reason.code == "trigger.below_amount"
    unpaid = gift.decide(OrderPaid(order(paid=False), y(120)), now=NOW)
    assert unpaid.reason.code == "trigger.not_paid"


def test_share_to_get_once_a_day() -> None:
    share = ShareToGet("share", templates=("new-5",), max_per_day=1)
    assert share.decide(ContentShared("m1", "s1", rewarded_today=0), now=NOW).issue
    assert share.decide(ContentShared("m1", "s2", rewarded_today=1), now=NOW).decision is (
        Decision.NO
    )


def test_unpaid_order_reminder_after_15_minutes_until_30() -> None:
    remind = UnpaidOrderReminder("nudge", templates=("new-5",), after_minutes=15,
                                 close_after_minutes=30)
    early = remind.decide(OrderUnpaid(order(paid=False, placed_minutes_ago=5)), now=NOW)
    assert early.decision is Decision.NOT_YET
    assert early.at == NOW.add(minutes=10)
    assert remind.decide(OrderUnpaid(order(paid=False, placed_minutes_ago=20)), now=NOW).issue
    late = remind.decide(OrderUnpaid(order(paid=False, placed_minutes_ago=40)), now=NOW)
    assert late.reason.code == "trigger.too_late"
    paid = remind.decide(OrderUnpaid(order(paid=True)), now=NOW)
    assert paid.reason.code == "trigger.already_paid"
    with pytest.raises(Exception, match="close_after_minutes"):
        UnpaidOrderReminder("x", templates=("new-5",), after_minutes=30, close_after_minutes=30)


def test_repurchase_coupon_25_days_after_the_last_order_for_a_week() -> None:
    rep = RepurchaseIncentive("again", templates=("new-10",), after_days=25, window_days=7)
    assert rep.decide(LastOrderAged("m1", NOW.subtract(days=10)), now=NOW).decision is (
        Decision.NOT_YET
    )
    assert rep.decide(LastOrderAged("m1", NOW.subtract(days=26)), now=NOW).issue
    assert rep.decide(LastOrderAged("m1", NOW.subtract(days=40)), now=NOW).decision is Decision.NO


def test_invite_reward_goes_to_the_inviter_after_the_invitees_first_order() -> None:
    invite = InviteReward("invite", templates=("new-5",), on_first_order=True)
    fresh = Member("m9", invited_by="m1")
    wait = invite.decide(MemberInvited("m1", fresh), now=NOW)
    assert wait.decision is Decision.NOT_YET
    bought = Member("m9", invited_by="m1", paid_orders=1)
    d = invite.decide(MemberInvited("m1", bought), now=NOW)
    assert d.issue
    assert d.member_id == "m1"
    stranger = invite.decide(MemberInvited("m7", bought), now=NOW)
    assert stranger.reason.code == "trigger.not_invited_by"


def test_a_trigger_given_the_wrong_signal_or_unknown_template_raises() -> None:
    pack = NewMemberGiftPack("welcome", templates=("missing",))
    with pytest.raises(InvalidCommandError):
        pack.decide(ContentShared("m1", "s"), now=NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidCommandError, match="missing"):
        pack.decide(MemberJoined(M), now=NOW).claims(TEMPLATES)
