"""Commission rules: rate by item/category/default, fixed per item, exclusions, the base.

The base counts points, stored value and shipping as the plan says; the plan
names its rounding.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    CommissionOrder,
    CommissionOrderLine,
    CommissionPlan,
    ExcludedItems,
    FixedPerItem,
    RateRule,
    guide_commission,
    line_bases,
)
from sirui.core.errors import InvalidPolicyError, InvalidValueError, MoneyTypeError
from sirui.core.money import Money, Rounding
from sirui.rules import ItemScope
from sirui.testing.commission import commission_orders

from ._shop import DIAPER, MILK, WIPES, paid_order, yuan

PLAN = CommissionPlan((
    ExcludedItems("seckill", ItemScope(tags=frozenset({"秒杀"}))),
    RateRule("milk-1", "0.05", ItemScope(skus=frozenset({"milk"}))),
    RateRule("milk", "0.03", ItemScope(categories=frozenset({"母婴/奶粉"}))),
    FixedPerItem("diaper", yuan("5"), ItemScope(categories=frozenset({"母婴/纸尿裤"}))),
    RateRule("default", "0.01"),
))


def amounts(order_lines: list[tuple[object, int, str]], plan: CommissionPlan = PLAN,
            **kw: object) -> list[tuple[str, Money]]:
    order = paid_order(order_lines, **kw)  # type: ignore[arg-type]
    return [(c.rule, c.amount) for c in guide_commission(order, plan)]


def test_sku_rule_listed_first_beats_the_category_rule() -> None:
    # 5% of the 260 yuan actually paid for the milk (list price 300).
    assert amounts([(MILK, 1, "260")]) == [("milk-1", yuan("13.00"))]


def test_category_rule_when_no_sku_rule() -> None:
    plan = CommissionPlan(PLAN.rules[:1] + PLAN.rules[2:])
    assert amounts([(MILK, 1, "260")], plan) == [("milk", yuan("7.80"))]


def test_fixed_five_yuan_per_diaper_pack() -> None:
    assert amounts([(DIAPER, 3, "270")]) == [("diaper", yuan("15.00"))]


def test_fixed_amount_is_capped_at_what_was_paid() -> None:
    order = paid_order([(DIAPER, 2, "6")])
    (line,) = guide_commission(order, PLAN)
    assert line.amount == yuan("6")
    assert line.reason.code == "commission.fixed_capped"


def test_seckill_items_earn_nothing_but_stay_traceable() -> None:
    out = guide_commission(paid_order([(WIPES, 2, "9.90"), (MILK, 1, "260")]), PLAN)
    assert [(c.line_id, c.rule, c.amount) for c in out] == [
        ("L1", "seckill", yuan("0")),
        ("L2", "milk-1", yuan("13.00")),
    ]
    assert out[0].reason.code == "commission.excluded"


def test_no_rule_matches() -> None:
    milk = ItemScope(categories=frozenset({"母婴/奶粉"}))
    plan = CommissionPlan((RateRule("milk", "0.03", milk),))
    (line,) = guide_commission(paid_order([(DIAPER, 1, "90")]), plan)
    assert line.amount == yuan("0")
    assert line.rule == ""
    assert line.reason.code == "commission.no_rule"


def test_points_and_stored_value_count_as_paid_by_policy() -> None:
    # 200 cash + 10 yuan of points + 50 of stored value on one milk line.
    lines = [(MILK, 1, "200")]
    kw = {"points": ["10"], "stored": ["50"]}
    rate = (RateRule("all", "0.1"),)
    assert amounts(lines, CommissionPlan(rate), **kw) == [("all", yuan("25.00"))]
    assert amounts(lines, CommissionPlan(rate, counts_points=True), **kw) == [
        ("all", yuan("26.00"))]
    assert amounts(lines, CommissionPlan(rate, counts_stored_value=False), **kw) == [
        ("all", yuan("20.00"))]


def test_rates_outside_zero_one_are_typed_errors() -> None:
    with pytest.raises(InvalidPolicyError, match="rate"):
        RateRule("x", "1.5")
    with pytest.raises(InvalidPolicyError, match="rate"):
        RateRule("x", "-0.01")
    with pytest.raises(MoneyTypeError):
        RateRule("x", 0.03)  # type: ignore[arg-type]


def test_duplicate_rule_ids_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="duplicate"):
        CommissionPlan((RateRule("a", "0.01"), RateRule("a", "0.02")))


def test_negative_fixed_amount_is_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        FixedPerItem("x", Money(-1))


def test_paid_line_refuses_zero_quantity() -> None:
    with pytest.raises(InvalidValueError):
        CommissionOrderLine("L1", MILK, 0, yuan("1"))


@given(st.integers(0, 10**7), st.decimals(0, 1, places=4), st.integers(1, 20))
def test_line_commission_is_between_zero_and_the_base(fen: int, rate: Decimal, q: int) -> None:
    line = CommissionOrderLine("L1", MILK, q, Money(fen))
    for plan in (CommissionPlan((RateRule("r", rate),)),
                 CommissionPlan((FixedPerItem("f", Money(fen // 3 + 7)),))):
        amount, _, _ = plan.line_commission(line)
        assert Money(0) <= amount <= Money(fen)


# -- rounding per plan, shipping in the base ------------------------------------------------


@pytest.mark.parametrize(("rounding", "milk", "diaper"), [
    (Rounding.HALF_UP, "0.30", "2.51"),     # 3% of 9.99 = 0.2997; 1% of 250.50 = 2.505
    (Rounding.DOWN, "0.29", "2.50"),        # floor = truncate for commission (never negative)
    (Rounding.UP, "0.30", "2.51"),
    (Rounding.HALF_EVEN, "0.30", "2.50"),
])
def test_the_plan_names_its_rounding(rounding: Rounding, milk: str, diaper: str) -> None:
    plan = CommissionPlan((RateRule("milk", "0.03", ItemScope(skus=frozenset({"milk"}))),
                           RateRule("rest", "0.01")), rounding=rounding)
    got = amounts([(MILK, 1, "9.99"), (DIAPER, 3, "250.50")], plan)
    assert got == [("milk", yuan(milk)), ("rest", yuan(diaper))]


def test_half_up_stays_the_default() -> None:
    assert CommissionPlan((RateRule("r", "0.01"),)).rounding is Rounding.HALF_UP
    assert amounts([(DIAPER, 3, "250.50")], CommissionPlan((RateRule("r", "0.01"),))) == [
        ("r", yuan("2.51"))]


def with_shipping(order: CommissionOrder, shipping: str) -> CommissionOrder:
    return attrs.evolve(order, order=attrs.evolve(order.order, shipping=yuan(shipping)))


def test_10_yuan_of_shipping_counts_in_the_base_when_the_plan_says_so() -> None:
    order = with_shipping(paid_order([(MILK, 1, "250"), (DIAPER, 1, "150")]), "10")
    rules = (RateRule("milk", "0.03", ItemScope(skus=frozenset({"milk"}))),
             RateRule("rest", "0.01"))
    # 10 yuan spread 250:150 = 6.25 + 3.75.
    plan = CommissionPlan(rules, counts_shipping=True)
    assert plan.bases(order) == (yuan("256.25"), yuan("153.75"))
    lines = guide_commission(order, plan)
    assert [(c.base, c.amount) for c in lines] == [
        (yuan("256.25"), yuan("7.69")),     # 3% of 256.25 = 7.6875
        (yuan("153.75"), yuan("1.54")),     # 1% of 153.75 = 1.5375
    ]
    # Not counted by default: today's figures.
    assert [c.amount for c in guide_commission(order, CommissionPlan(rules))] == [
        yuan("7.50"), yuan("1.50")]


def test_shipping_on_an_order_paid_entirely_by_discounts_goes_by_quantity() -> None:
    order = with_shipping(paid_order([(MILK, 1, "0"), (DIAPER, 3, "0")]), "8")
    assert line_bases(order, counts_shipping=True) == (yuan("2"), yuan("6"))


@given(commission_orders(), st.integers(0, 5_000), st.sampled_from(Rounding),
       st.decimals(0, 1, places=4))
def test_shipping_is_spread_exactly_and_commission_stays_within_the_base(
    order: CommissionOrder, ship: int, rounding: Rounding, rate: Decimal
) -> None:
    order = attrs.evolve(order, order=attrs.evolve(order.order, shipping=Money(ship)))
    plain = line_bases(order)
    bases = line_bases(order, counts_shipping=True)
    assert sum(bases, Money(0)) == sum(plain, Money(0)) + Money(ship)
    assert all(b >= p for b, p in zip(bases, plain, strict=True))
    plan = CommissionPlan((RateRule("r", rate),), rounding=rounding, counts_shipping=True)
    for ln, base in zip(order.lines, bases, strict=True):
        amount, _, _ = plan.line_commission(ln, base)
        assert Money(0) <= amount <= base
        down = CommissionPlan((RateRule("r", rate),), rounding=Rounding.DOWN)
        up = CommissionPlan((RateRule("r", rate),), rounding=Rounding.UP)
        assert (down.line_commission(ln, base)[0] <= amount <= up.line_commission(ln, base)[0])


def test_zh_reasons_name_items_and_rates_not_ids() -> None:
    out = guide_commission(paid_order([(WIPES, 2, "9.90"), (MILK, 1, "260")]), PLAN)
    assert out[0].reason.zh == "商品「湿巾」不计提成"
    assert out[1].reason.zh == "按5%计提：¥260.00 → ¥13.00"
    nameless = attrs.evolve(DIAPER, name="")
    plan = CommissionPlan((RateRule("milk", "0.03", ItemScope(skus=frozenset({"milk"}))),))
    (line,) = guide_commission(paid_order([(nameless, 1, "90")]), plan)
    assert line.reason.zh == "该商品没有适用的提成规则"
