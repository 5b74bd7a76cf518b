"""Earning points per yuan paid: rounding, multipliers, campaigns, exclusions, caps."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Sku
from sirui.core.windows import MemberDay, Window
from sirui.loyalty.points import (
    EarningLine,
    EarnRule,
    MultiplierStacking,
    PointsCampaign,
    quote_earning,
)
from sirui.rules import ItemScope

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
FORMULA = Sku("FM-1", Money.of("268"), category="母婴/奶粉/1段")
DIAPERS = Sku("DP-L", Money.of("129"), category="母婴/纸尿裤")
CARD = Sku("GIFT-CARD", Money.of("100"), category="礼品卡")


def line(lid: str, sku: Sku, paid: str) -> EarningLine:
    return EarningLine(lid, sku, Money.of(paid))


def test_one_point_per_yuan_rounds_down() -> None:
    q = quote_earning(EarnRule(), [line("1", FORMULA, "99.90")], now=NOW)
    assert q.points == 99


def test_shipping_earns_nothing_by_default() -> None:
    lines = [line("1", FORMULA, "88")]
    assert quote_earning(EarnRule(), lines, now=NOW, shipping=Money.of("10")).points == 88
    rule = EarnRule(include_shipping=True)
    assert quote_earning(rule, lines, now=NOW, shipping=Money.of("10")).points == 98


def test_gold_tier_double_points_on_a_double_points_day_earns_four_times() -> None:
    day = PointsCampaign(Decimal(2), window=Window(NOW.start_of("day"), NOW.end_of("day")))
    rule = EarnRule(campaigns=(day,))
    lines = [line("1", FORMULA, "100")]
    assert quote_earning(rule, lines, now=NOW, tier_multiplier=Decimal(2)).points == 400
    add = EarnRule(campaigns=(day,), stacking=MultiplierStacking.ADD)
    assert quote_earning(add, lines, now=NOW, tier_multiplier=Decimal(2)).points == 300
    best = EarnRule(campaigns=(day,), stacking=MultiplierStacking.BEST)
    assert quote_earning(best, lines, now=NOW, tier_multiplier=Decimal("1.5")).points == 200
    assert quote_earning(rule, lines, now=NOW.add(days=1)).points == 100


def test_member_day_campaign() -> None:
    rule = EarnRule(campaigns=(PointsCampaign(Decimal(3), member_day=MemberDay(day_of_month=11)),))
    assert quote_earning(rule, [line("1", DIAPERS, "129")], now=NOW).points == 387


def test_excluded_categories_earn_nothing() -> None:
    rule = EarnRule(scope=ItemScope(exclude_categories=frozenset({"礼品卡"})))
    q = quote_earning(rule, [line("1", FORMULA, "268"), line("2", CARD, "100")], now=NOW)
    assert q.points == 268
    assert q.by_line == (("1", 268),)


def test_per_order_and_daily_caps() -> None:
    rule = EarnRule(per_order_cap=500, daily_cap=800)
    big = [line("1", FORMULA, "1072")]
    q = quote_earning(rule, big, now=NOW)
    assert q.points == 500
    assert [r.code for r in q.reasons] == ["points.earned_on_order", "points.order_cap"]
    q = quote_earning(rule, big, now=NOW, earned_today=600)
    assert q.points == 200
    assert q.reasons[-1].code == "points.daily_cap"


def test_points_split_over_lines_by_what_they_paid() -> None:
    q = quote_earning(
        EarnRule(), [line("1", FORMULA, "536"), line("2", DIAPERS, "129")], now=NOW
    )
    assert q.points == 665
    assert q.by_line == (("1", 536), ("2", 129))


def test_bad_rules_are_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        EarnRule(points_per_yuan=Decimal(0))
    with pytest.raises(InvalidPolicyError):
        EarnRule(per_order_cap=0)
    with pytest.raises(InvalidPolicyError):
        PointsCampaign(Decimal("0.5"))
    with pytest.raises(InvalidPolicyError):
        quote_earning(EarnRule(), [], now=NOW, tier_multiplier=Decimal(0))


paid = st.lists(st.integers(0, 200_000), min_size=1, max_size=6)


@given(paid, st.integers(1, 5), st.none() | st.integers(1, 3000), st.integers(0, 3000))
def test_shares_sum_to_the_points_and_caps_hold(
    fens: list[int], mult: int, cap: int | None, today: int
) -> None:
    rule = EarnRule(per_order_cap=cap, daily_cap=2000)
    lines = [EarningLine(f"L{i}", FORMULA, Money(f)) for i, f in enumerate(fens)]
    q = quote_earning(rule, lines, now=NOW, tier_multiplier=Decimal(mult), earned_today=today)
    assert sum(n for _, n in q.by_line) == q.points
    assert q.points <= max(0, 2000 - today)
    assert cap is None or q.points <= cap
    assert q.points <= sum(fens) * mult // 100


@given(
    st.decimals("0.1", "10", places=1), st.sampled_from(Rounding), st.booleans(),
    st.sampled_from(MultiplierStacking), st.none() | st.integers(1, 10_000),
    st.lists(st.integers(1, 5), max_size=2),
)
def test_earn_rule_round_trips(
    rate: Decimal, rounding: Rounding, ship: bool, stacking: MultiplierStacking,
    cap: int | None, mults: list[int],
) -> None:
    rule = EarnRule(
        rate, rounding, ship, ItemScope(exclude_categories=frozenset({"礼品卡"})),
        tuple(PointsCampaign(Decimal(m), member_day=MemberDay(weekday=3)) for m in mults),
        stacking, cap, cap,
    )
    assert load(dump(rule)) == rule
