"""Referral reward: N days after the invitee's first order is picked up, if not refunded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import InviteeFirstOrder, ReferralReward, ReferralStatus, RewardKind
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
