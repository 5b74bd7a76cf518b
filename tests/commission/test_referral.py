"""Referral reward: N days after the first order is picked up; refunds void or claw back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    Credit,
    InviteeFirstOrder,
    RecordDebt,
    ReferralReward,
    ReferralStatus,
    RewardKind,
    WithdrawalAccount,
    WithdrawalPolicy,
)
from sirui.core.errors import InvalidPolicyError

from ._shop import NOW, yuan

RULE = ReferralReward(days_after_fulfilment=7, points=200)


def facts(**kw: object) -> InviteeFirstOrder:
    base: dict[str, object] = {"inviter": "m1", "invitee": "m2", "order_id": "o9",
                               "fulfilled_at": NOW}
    base.update(kw)
    return InviteeFirstOrder(**base)  # type: ignore[arg-type]


def test_picked_up_seven_days_ago_pays_200_points() -> None:
    d = RULE.evaluate(facts(), NOW.add(days=7))
    assert d.due
    assert d.status is ReferralStatus.DUE
    assert (d.kind, d.points) == (RewardKind.POINTS, 200)
    assert d.reason.code == "referral.due"


def test_six_days_after_pickup_it_waits_and_says_until_when() -> None:
    d = RULE.evaluate(facts(), NOW.add(days=6))
    assert d.status is ReferralStatus.WAITING
    assert d.due_at == NOW.add(days=7)
    assert d.reason.code == "referral.waiting"


def test_not_picked_up_yet_waits() -> None:
    d = RULE.evaluate(facts(fulfilled_at=None), NOW.add(days=30))
    assert d.status is ReferralStatus.WAITING
    assert d.reason.code == "referral.not_fulfilled"


@pytest.mark.parametrize(("kw", "code"), [
    ({"refunded": True}, "referral.refunded"),
    ({"first_order": False}, "referral.not_first_order"),
    ({"invitee": "m1"}, "referral.self_invite"),
])
def test_never_paid(kw: dict[str, object], code: str) -> None:
    d = RULE.evaluate(facts(**kw), NOW.add(days=30))
    assert d.status is ReferralStatus.NEVER
    assert d.reason.code == code


def test_coupon_or_cash_rewards() -> None:
    coupon = ReferralReward(days_after_fulfilment=3, coupon_template="no-threshold-10")
    assert coupon.evaluate(facts(), NOW.add(days=3)).coupon_template == "no-threshold-10"
    cash = ReferralReward(days_after_fulfilment=0, cash=yuan("5"))
    d = cash.evaluate(facts(), NOW)
    assert d.due
    assert d.kind is RewardKind.CASH
    assert d.cash == yuan("5")


def test_exactly_one_reward_kind() -> None:
    with pytest.raises(InvalidPolicyError):
        ReferralReward()
    with pytest.raises(InvalidPolicyError):
        ReferralReward(points=10, cash=yuan("1"))
    with pytest.raises(InvalidPolicyError):
        ReferralReward(days_after_fulfilment=-1, points=10)


@given(st.integers(0, 60), st.integers(-10 * 24, 90 * 24), st.booleans(), st.booleans(),
       st.booleans())
def test_never_due_early_and_never_after_a_refund(
    days: int, hours_after: int, fulfilled: bool, refunded: bool, first: bool
) -> None:
    rule = ReferralReward(days_after_fulfilment=days, points=1)
    f = facts(fulfilled_at=NOW if fulfilled else None, refunded=refunded, first_order=first)
    at = NOW.add(hours=hours_after)
    d = rule.evaluate(f, at)
    assert d.due == (fulfilled and not refunded and first and at >= NOW.add(days=days))
    if d.status is ReferralStatus.WAITING and fulfilled:
        assert d.due_at == NOW.add(days=days)


# -- a refund carries its date: before the grant it voids, after it claws back -----------

CASH = ReferralReward(days_after_fulfilment=7, cash=yuan("5"))
GRANTED_AT = NOW.add(days=7)                                  # 2026-11-18 10:00


def test_waiting_says_the_date_in_chinese_without_a_timestamp() -> None:
    d = RULE.evaluate(facts(), NOW.add(days=6))
    assert d.reason.zh == "好友首单提货满7天后（2026年11月18日）发放"


def test_a_refund_before_the_grant_still_voids_the_reward() -> None:
    d = CASH.evaluate(facts(refunded_at=NOW.add(days=4)), NOW.add(days=30))
    assert d.status is ReferralStatus.NEVER
    assert d.reason.code == "referral.refunded"
    assert d.debt is None


def test_a_refund_after_the_5_yuan_grant_claws_it_back_as_debt() -> None:
    d = CASH.evaluate(facts(granted_at=GRANTED_AT, refunded_at=NOW.add(days=9)), NOW.add(days=10))
    assert d.status is ReferralStatus.CLAWBACK and d.clawback
    assert d.debt == yuan("5")
    assert d.reason.code == "referral.clawback"
    assert d.reason.zh == "好友首单于2026年11月20日退款，已发放的奖励需追回"
    # The debt nets against what the inviter can withdraw.
    acc = WithdrawalAccount("m1", WithdrawalPolicy())
    acc = acc.handle(Credit("reward-o9", yuan("5"), source="referral"), now=GRANTED_AT).state
    assert d.debt is not None
    acc = acc.handle(RecordDebt("claw-o9", d.debt, source="referral o9"), now=NOW.add(days=10)
                     ).state
    assert acc.withdrawable == yuan("0")


def test_points_and_coupon_rewards_are_clawed_back_too() -> None:
    d = RULE.evaluate(facts(granted_at=GRANTED_AT, refunded=True), NOW.add(days=12))
    assert (d.status, d.points, d.debt) == (ReferralStatus.CLAWBACK, 200, None)


def test_granted_and_kept() -> None:
    d = CASH.evaluate(facts(granted_at=GRANTED_AT), NOW.add(days=8))
    assert d.status is ReferralStatus.GRANTED
    assert d.reason.zh == "奖励已于2026年11月18日发放"


def test_a_refund_dated_after_now_has_not_happened_yet() -> None:
    later = facts(granted_at=GRANTED_AT, refunded_at=NOW.add(days=20))
    assert CASH.evaluate(later, NOW.add(days=10)).status is ReferralStatus.GRANTED
    assert CASH.evaluate(later, NOW.add(days=20)).status is ReferralStatus.CLAWBACK
    not_yet = facts(refunded_at=NOW.add(days=20))
    assert CASH.evaluate(not_yet, NOW.add(days=7)).due


@given(st.integers(0, 30), st.none() | st.integers(0, 40 * 24), st.none() | st.integers(0, 40 * 24),
       st.integers(0, 40 * 24))
def test_a_granted_reward_is_never_kept_after_a_refund_and_never_paid_after_one(
    days: int, granted_h: int | None, refunded_h: int | None, now_h: int
) -> None:
    rule = ReferralReward(days_after_fulfilment=days, cash=yuan("5"))
    granted = None if granted_h is None else NOW.add(hours=granted_h)
    refunded = None if refunded_h is None else NOW.add(hours=refunded_h)
    at = NOW.add(hours=now_h)
    d = rule.evaluate(facts(granted_at=granted, refunded_at=refunded), at)
    was_granted = granted is not None and granted <= at
    was_refunded = refunded is not None and refunded <= at
    assert d.clawback == (was_granted and was_refunded)
    assert (d.debt is not None) == d.clawback
    if was_refunded and not was_granted:
        assert d.status is ReferralStatus.NEVER
    if d.due:
        assert not was_refunded and not was_granted
    assert not re.search(r"[A-Za-z]", d.reason.zh), d.reason.zh
