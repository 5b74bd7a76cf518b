"""Commission rules: rate by item/category/default, fixed per item, exclusions, the base."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    CommissionPlan,
    ExcludedItems,
    FixedPerItem,
    PaidLine,
    RateRule,
    guide_commission,
)
from sirui.core.errors import InvalidPolicyError, InvalidValueError, MoneyTypeError
from sirui.core.money import Money
from sirui.rules import ItemScope

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
        PaidLine("L1", MILK, 0, yuan("1"))


@given(st.integers(0, 10**7), st.decimals(0, 1, places=4), st.integers(1, 20))
def test_line_commission_is_between_zero_and_the_base(fen: int, rate: Decimal, q: int) -> None:
    line = PaidLine("L1", MILK, q, Money(fen))
    for plan in (CommissionPlan((RateRule("r", rate),)),
                 CommissionPlan((FixedPerItem("f", Money(fen // 3 + 7)),))):
        amount, _, _ = plan.line_commission(line)
        assert Money(0) <= amount <= Money(fen)
