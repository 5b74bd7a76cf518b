"""Growth rules: per yuan paid, first-order bonus, activities; proportional take-back."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.loyalty.members import (
    GrantGrowth,
    GrowthEntry,
    GrowthRules,
    GrowthSource,
    RecordActivity,
)

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")


def test_one_growth_per_yuan_drops_fractions() -> None:
    rules = GrowthRules()
    assert rules.for_order(Money.of("99.90")) == 99
    assert rules.for_order(Money.of("0.99")) == 0


def test_first_order_bonus_of_50_on_a_300_yuan_first_order_gives_350() -> None:
    rules = GrowthRules(per_yuan=Decimal(1), first_order_bonus=50)
    assert rules.for_order(Money.of("300"), first_order=True) == 350
    assert rules.for_order(Money.of("300")) == 300


def test_two_growth_per_yuan() -> None:
    assert GrowthRules(per_yuan="2").for_order(Money.of("12.34")) == 24


def test_activity_growth() -> None:
    rules = GrowthRules(sign_in=5, review=10, task=3)
    assert rules.for_activity(GrowthSource.SIGN_IN) == 5
    assert rules.for_activity(GrowthSource.REVIEW) == 10
    assert rules.for_activity(GrowthSource.TASK) == 3
    assert rules.for_activity(GrowthSource.ORDER) == 0


def test_negative_growth_is_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        GrowthRules(per_yuan="-1")
    with pytest.raises(InvalidPolicyError):
        GrowthRules(sign_in=-5)
    with pytest.raises(InvalidPolicyError, match="growth"):
        GrantGrowth("g1", growth=-10)
    with pytest.raises(InvalidPolicyError, match="growth"):
        GrantGrowth("g1", growth=0)
    with pytest.raises(InvalidPolicyError, match="source"):
        RecordActivity("a1", GrowthSource.ORDER)


def test_half_refund_of_a_300_yuan_order_takes_back_150() -> None:
    e = GrowthEntry("o1", NOW, GrowthSource.ORDER, 300, spend=30000, orders=1)
    half = e.refund(15000)
    assert half.net_growth == 150
    assert half.net_orders == 1
    full = half.refund(15000)
    assert full.net_growth == 0
    assert full.net_orders == 0
    assert full.fully_refunded


@given(
    st.integers(1, 10**7), st.integers(0, 10**5), st.integers(0, 10**4),
    st.lists(st.integers(1, 10**6), max_size=6),
)
def test_any_split_of_a_full_refund_takes_back_exactly_the_growth(
    spend: int, growth: int, points: int, cuts: list[int]
) -> None:
    e = GrowthEntry("o", NOW, GrowthSource.ORDER, growth, spend=spend, orders=1, points=points)
    left = spend
    prev = e.net_growth
    for c in cuts:
        part = min(c, left)
        e = e.refund(part)
        left -= part
        assert e.net_growth <= prev  # take-back is monotone
        prev = e.net_growth
    e = e.refund(left)
    assert e.net_growth == 0
    assert e.net_points == 0
    assert e.net_spend == 0
