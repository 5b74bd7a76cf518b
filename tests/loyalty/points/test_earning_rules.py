"""Earning rules operators configure: a minimum order, category and SKU multipliers, combined.

"奶粉双倍积分" (formula earns double), "满50元才积分" (orders under 50 yuan earn
nothing), several item rules on one line combined best-of or multiplied.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, load
from sirui.core import ConfigError
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money, Rounding, round_decimal
from sirui.core.nouns import Cart, Sku
from sirui.core.windows import Window
from sirui.loyalty.points import (
    EarningLine,
    EarnRule,
    ItemMultiplier,
    MultiplierCombine,
    PointsCampaign,
    quote_earning,
)
from sirui.rules import ItemScope
from sirui.testing import aware_datetimes, carts
from sirui.testing.loyalty import earn_rules, item_multipliers

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
FORMULA = Sku("FM-1", Money.of("268"), category="母婴/奶粉/1段")
DIAPERS = Sku("DP-L", Money.of("129"), category="母婴/纸尿裤")
CLEARANCE = Sku("WP-80", Money.of("9.9"), category="母婴/湿巾", tags=frozenset({"特价"}))
CARD = Sku("GIFT-CARD", Money.of("100"), category="礼品卡")

MILK_X2 = ItemMultiplier(
    ItemScope(categories=frozenset({"母婴/奶粉"})), Decimal(2), name="奶粉双倍积分"
)
BABY_X1_5 = ItemMultiplier(ItemScope(categories=frozenset({"母婴"})), Decimal("1.5"))


def line(lid: str, sku: Sku, paid: str, gift: bool = False) -> EarningLine:
    return EarningLine(lid, sku, Money.of(paid), gift)


# -- operator examples, exact figures ----------------------------------------------------------


def test_formula_earns_double_a_200_yuan_milk_order_earns_400_points() -> None:
    rule = EarnRule(item_multipliers=(MILK_X2,))
    q = quote_earning(rule, [line("1", FORMULA, "200")], now=NOW)
    assert q.points == 400
    assert q.by_line == (("1", 400),)
    assert [r.zh for r in q.reasons] == [
        "实付¥200.00，积分倍率1，得400积分", "2倍积分商品实付¥200.00",
    ]
    # Diapers are not formula: one point per yuan.
    assert quote_earning(rule, [line("1", DIAPERS, "129")], now=NOW).points == 129


def test_a_milk_and_diapers_order_splits_the_points_by_what_each_line_earned() -> None:
    rule = EarnRule(item_multipliers=(MILK_X2,))
    q = quote_earning(rule, [line("1", FORMULA, "200"), line("2", DIAPERS, "100")], now=NOW)
    assert q.points == 500
    assert q.by_line == (("1", 400), ("2", 100))  # a refund of the milk takes back 400


def test_two_rules_on_one_line_best_one_wins_or_they_multiply() -> None:
    lines = [line("1", FORMULA, "200"), line("2", DIAPERS, "100")]
    best = EarnRule(item_multipliers=(MILK_X2, BABY_X1_5))
    assert best.combine is MultiplierCombine.BEST
    q = quote_earning(best, lines, now=NOW)
    # Milk: 200 x max(2, 1.5) = 400; diapers: 100 x 1.5 = 150.
    assert (q.points, q.by_line) == (550, (("1", 400), ("2", 150)))
    both = EarnRule(item_multipliers=(MILK_X2, BABY_X1_5), combine=MultiplierCombine.MULTIPLY)
    q = quote_earning(both, lines, now=NOW)
    # Milk: 200 x 2 x 1.5 = 600; diapers: 100 x 1.5 = 150.
    assert (q.points, q.by_line) == (750, (("1", 600), ("2", 150)))


def test_item_multipliers_multiply_the_tier_and_campaign_multiplier() -> None:
    day = PointsCampaign(Decimal(2), window=Window(NOW.start_of("day"), NOW.add(days=1)))
    rule = EarnRule(item_multipliers=(MILK_X2,), campaigns=(day,))
    # A gold member (1.5x) on a double-points day buying formula (2x): 200 x 3 x 2 = 1,200.
    q = quote_earning(rule, [line("1", FORMULA, "200")], now=NOW, tier_multiplier=Decimal("1.5"))
    assert q.points == 1200
    assert q.multiplier == 3  # the order multiplier; the item multiplier is per line


def test_rounding_happens_once_for_the_whole_order() -> None:
    rule = EarnRule(item_multipliers=(BABY_X1_5,))
    # 0.99 x 1.5 + 0.99 x 1.5 = 2.97: 2 points, not 1 + 1.
    q = quote_earning(rule, [line("1", DIAPERS, "0.99"), line("2", DIAPERS, "0.99")], now=NOW)
    assert q.points == 2
    up = EarnRule(item_multipliers=(BABY_X1_5,), rounding=Rounding.UP)
    assert quote_earning(up, [line("1", DIAPERS, "0.99")], now=NOW).points == 2


def test_clearance_items_earn_half_points() -> None:
    half = ItemMultiplier(ItemScope(tags=frozenset({"特价"})), Decimal("0.5"), name="特价减半")
    rule = EarnRule(item_multipliers=(half,))
    q = quote_earning(rule, [line("1", CLEARANCE, "39.60"), line("2", DIAPERS, "100")], now=NOW)
    assert q.points == 119  # 39.60 x 0.5 = 19.80, plus 100: 119.80 rounds down
    assert q.share_of("1") + q.share_of("2") == 119


def test_an_item_rule_with_a_window_runs_only_in_it() -> None:
    week = Window(pendulum.datetime(2026, 11, 9, tz=TZ), pendulum.datetime(2026, 11, 16, tz=TZ))
    rule = EarnRule(item_multipliers=(ItemMultiplier(MILK_X2.scope, Decimal(3), window=week),))
    lines = [line("1", FORMULA, "100")]
    assert quote_earning(rule, lines, now=NOW).points == 300
    assert quote_earning(rule, lines, now=pendulum.datetime(2026, 11, 16, tz=TZ)).points == 100


def test_orders_under_50_yuan_earn_nothing_and_say_why() -> None:
    rule = EarnRule(min_order=Money.of("50"))
    q = quote_earning(rule, [line("1", DIAPERS, "49.90")], now=NOW, shipping=Money.of("8"))
    assert (q.points, q.by_line, q.uncapped) == (0, (), 0)
    assert q.reasons[0].code == "points.below_min_order"
    assert q.reasons[0].zh == "订单实付满¥50.00才可积分，本单实付¥49.90"
    assert q.reasons[0].en == "Orders earn points from ¥50.00 paid; this one paid ¥49.90"
    assert quote_earning(rule, [line("1", DIAPERS, "50")], now=NOW).points == 50


def test_the_minimum_counts_the_whole_order_but_not_gifts_or_shipping() -> None:
    rule = EarnRule(
        min_order=Money.of("100"), scope=ItemScope(exclude_categories=frozenset({"礼品卡"})),
        include_shipping=True,
    )
    # A gift card earns nothing but counts toward the order's 100 yuan.
    lines = [line("1", DIAPERS, "60"), line("2", CARD, "40"), line("3", FORMULA, "0", gift=True)]
    assert quote_earning(rule, lines, now=NOW, shipping=Money.of("10")).points == 70
    # Shipping does not lift a 95-yuan order over the minimum.
    short = [line("1", DIAPERS, "95")]
    assert quote_earning(rule, short, now=NOW, shipping=Money.of("10")).points == 0


def test_defaults_keep_todays_figures() -> None:
    rule = EarnRule()
    assert rule.min_order is None and rule.item_multipliers == ()
    q = quote_earning(rule, [line("1", FORMULA, "536"), line("2", DIAPERS, "129")], now=NOW)
    assert (q.points, q.by_line) == (665, (("1", 536), ("2", 129)))
    assert [r.code for r in q.reasons] == ["points.earned_on_order"]


# -- validation and config ---------------------------------------------------------------------


def test_bad_item_rules_and_minimums_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidPolicyError, match="scope"):
        ItemMultiplier(ItemScope(), Decimal(2))  # every item: that is a PointsCampaign
    with pytest.raises(InvalidPolicyError, match="multiplier"):
        ItemMultiplier(MILK_X2.scope, Decimal(0))
    with pytest.raises(InvalidPolicyError, match="multiplier"):
        ItemMultiplier(MILK_X2.scope, Decimal(101))
    with pytest.raises(InvalidPolicyError, match="min_order"):
        EarnRule(min_order=Money.of("0"))
    with pytest.raises(InvalidPolicyError, match="min_order"):
        EarnRule(min_order=50)  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match=r"item_multipliers\[1\]"):
        EarnRule(item_multipliers=(MILK_X2, "x2"))  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="combine"):
        EarnRule(combine="best")  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="window"):
        ItemMultiplier(MILK_X2.scope, Decimal(2), window="this week")  # type: ignore[arg-type]


def test_an_operator_document_loads_and_bad_documents_name_the_path() -> None:
    doc = {
        "type": "points.earn_rule",
        "min_order": "50",
        "combine": "multiply",
        "item_multipliers": [
            {"scope": {"categories": ["母婴/奶粉"]}, "multiplier": "2", "name": "奶粉双倍积分"},
        ],
    }
    rule = load(doc)
    assert rule == EarnRule(min_order=Money.of("50"), item_multipliers=(MILK_X2,),
                            combine=MultiplierCombine.MULTIPLY)
    with pytest.raises(ConfigError, match="min_order"):
        load({**doc, "min_order": "-1"})
    with pytest.raises(ConfigError, match="item_multipliers"):
        load({**doc, "item_multipliers": [{"scope": {}, "multiplier": "2"}]})
    with pytest.raises(ConfigError, match="combine"):
        load({**doc, "combine": "sum"})


@given(earn_rules())
def test_earn_rules_round_trip_through_json_text(rule: EarnRule) -> None:
    assert load(json.loads(json.dumps(dump(rule))), EarnRule) == rule


@given(item_multipliers())
def test_item_multipliers_round_trip(rule: ItemMultiplier) -> None:
    assert load(json.loads(json.dumps(dump(rule))), ItemMultiplier) == rule


# -- properties --------------------------------------------------------------------------------


@given(earn_rules(), carts(), aware_datetimes(), st.integers(0, 5_000),
       st.sampled_from(["1", "1.5", "2"]))
def test_earned_points_are_never_negative_and_split_exactly(
    rule: EarnRule, cart: Cart, now: pendulum.DateTime, today: int, tier: str
) -> None:
    lines = [EarningLine(ln.id, ln.sku, ln.sku.price * ln.quantity) for ln in cart.lines]
    q = quote_earning(rule, lines, now=now, tier_multiplier=Decimal(tier), earned_today=today)
    assert q.points >= 0
    assert sum(n for _, n in q.by_line) == q.points
    assert all(n > 0 for _, n in q.by_line)
    earning = {ln.line_id for ln in lines if rule.scope.matches(ln.sku) and ln.paid.minor}
    assert {lid for lid, _ in q.by_line} <= earning
    if rule.min_order is not None and sum(ln.paid.minor for ln in lines) < rule.min_order.minor:
        assert q.points == 0 and q.reasons[0].code == "points.below_min_order"


@given(st.lists(st.tuples(st.sampled_from([FORMULA, DIAPERS, CLEARANCE]),
                          st.integers(0, 100_000)), min_size=1, max_size=6),
       st.sampled_from(MultiplierCombine), st.sampled_from(Rounding))
def test_points_follow_the_weighted_formula(
    rows: list[tuple[Sku, int]], combine: MultiplierCombine, rounding: Rounding
) -> None:
    half = ItemMultiplier(ItemScope(tags=frozenset({"特价"})), Decimal("0.5"))
    rule = EarnRule(item_multipliers=(MILK_X2, BABY_X1_5, half), combine=combine,
                    rounding=rounding)
    lines = [EarningLine(str(i), sku, Money(fen)) for i, (sku, fen) in enumerate(rows)]
    weighted = Decimal(0)
    for sku, fen in rows:
        factors = [m.multiplier for m in rule.item_multipliers if m.scope.matches(sku)]
        if combine is MultiplierCombine.BEST:
            f = max(factors)
        else:
            f = Decimal(1)
            for x in factors:
                f *= x
        weighted += Decimal(fen) / 100 * f
    q = quote_earning(rule, lines, now=NOW)
    assert q.points == (round_decimal(weighted, rounding) if weighted else 0)
    # A line's share is within one point of its own weighted yuan's share.
    if q.points:
        for lid, n in q.by_line:
            sku, fen = rows[int(lid)]
            own = Decimal(fen) / 100 * rule.item_multiplier(sku, NOW)
            assert abs(n - q.points * own / weighted) <= 1


@given(st.lists(st.integers(0, 200_000), min_size=1, max_size=6), st.integers(1, 5),
       st.sampled_from(Rounding))
def test_without_the_new_rules_the_figures_are_the_plain_formula(
    fens: list[int], mult: int, rounding: Rounding
) -> None:
    rule = EarnRule(rounding=rounding)
    lines = [EarningLine(f"L{i}", DIAPERS, Money(f)) for i, f in enumerate(fens)]
    q = quote_earning(rule, lines, now=NOW, tier_multiplier=Decimal(mult))
    expected = round_decimal(Decimal(sum(fens)) / 100 * mult, rounding) if sum(fens) else 0
    assert q.points == expected
