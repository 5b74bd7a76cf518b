"""Points deduction at checkout (积分抵现), stage 5 of the price pipeline."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.checkout import quote
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.loyalty.points import (
    TRIMMED_EXTRA,
    DeductionPolicy,
    EarnRule,
    PointsDeductionStep,
    paid_lines,
    quote_earning,
)
from sirui.rules import ItemScope, PriceState, PricingStep, Stage

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
FORMULA = Sku("FM-1", Money.of("268"), category="母婴/奶粉/1段")
DIAPERS = Sku("DP-L", Money.of("129"), category="母婴/纸尿裤")


def state(*amounts: str) -> PriceState:
    skus = [FORMULA, DIAPERS]
    lines = [
        Line(str(i + 1), Sku(f"s{i}", Money.of(a), category=skus[i % 2].category_path), 1)
        for i, a in enumerate(amounts)
    ]
    return PriceState.start(Cart(Member("m1"), lines), NOW)


HALF = DeductionPolicy(points_per_yuan=100, max_share=Decimal("0.5"))


def test_the_step_is_a_pricing_step_at_the_points_stage() -> None:
    step = PointsDeductionStep(HALF, available=5000)
    assert isinstance(step, PricingStep)
    assert step.stage is Stage.POINTS


def test_100_points_take_1_yuan_off_capped_at_half_the_payable() -> None:
    # a 300-yuan cart, 50,000 points: at most 150 yuan = 15,000 points
    out = PointsDeductionStep(HALF, available=50_000).price(state("200", "100"))
    assert out.points_used == 15_000
    assert out.subtotal() == Money.of("150")
    adj = out.adjustments[-1]
    assert adj.allocations == (("1", Money.of("100")), ("2", Money.of("50")))
    assert out.extra("points_used_by_line") == (("1", 10_000), ("2", 5_000))


def test_whole_yuan_only_and_the_request_is_respected() -> None:
    out = PointsDeductionStep(HALF, available=1_250).price(state("300"))
    assert out.points_used == 1_200
    out = PointsDeductionStep(HALF, available=9_000, requested=2_050).price(state("300"))
    assert out.points_used == 2_000
    assert out.subtotal() == Money.of("280")


def test_below_the_minimum_nothing_is_deducted_and_the_state_says_why() -> None:
    pol = DeductionPolicy(min_points=1_000)
    out = PointsDeductionStep(pol, available=900).price(state("300"))
    assert out.points_used == 0
    assert out.adjustments == ()
    assert out.not_applied[-1].reason.code == "points.below_minimum"
    chose_none = PointsDeductionStep(pol, available=9000, requested=0).price(state("300"))
    assert chose_none.not_applied[-1].reason.code == "points.not_requested"


def test_per_order_maximum_and_scope() -> None:
    pol = DeductionPolicy(max_points=3_000, scope=ItemScope(categories=frozenset({"母婴/奶粉"})))
    out = PointsDeductionStep(pol, available=99_999).price(state("200", "100"))
    assert out.points_used == 3_000
    assert out.adjustments[-1].allocations == (("1", Money.of("30")),)


def test_ten_points_for_a_dime() -> None:
    pol = DeductionPolicy(points_per_yuan=100, unit_points=10)
    out = PointsDeductionStep(pol, available=1_234).price(state("300"))
    assert out.points_used == 1_230
    assert out.subtotal() == Money.of("287.70")


def test_bad_policies_are_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        DeductionPolicy(points_per_yuan=0)
    with pytest.raises(InvalidPolicyError):
        DeductionPolicy(min_points=500, max_points=400)  # cap below the minimum
    with pytest.raises(InvalidPolicyError):
        DeductionPolicy(points_per_yuan=300, unit_points=100)  # 1/3 yuan is not whole fen
    with pytest.raises(InvalidPolicyError):
        DeductionPolicy(max_share=Decimal(0))
    with pytest.raises(InvalidPolicyError):
        PointsDeductionStep(HALF, available=-1)


def test_earning_preview_from_the_priced_cart() -> None:
    out = PointsDeductionStep(HALF, available=10_000).price(state("268", "129"))
    quote = quote_earning(EarnRule(), paid_lines(out), now=NOW)
    assert out.subtotal() == Money.of("297")
    assert quote.points == 297


@given(
    st.lists(st.integers(0, 100_000), min_size=1, max_size=5),
    st.integers(0, 200_000),
    st.none() | st.integers(0, 200_000),
    st.sampled_from(["0.1", "0.3", "0.5", "1"]),
    st.sampled_from([(100, None), (100, 10), (10, None), (50, 50)]),
    st.integers(0, 2000),
)
def test_deduction_invariants(
    fens: list[int], available: int, requested: int | None, share: str,
    rate: tuple[int, int | None], minimum: int,
) -> None:
    pol = DeductionPolicy(rate[0], rate[1], minimum, None, Decimal(share))
    st0 = state(*[str(Money(f).amount) for f in fens])
    out = PointsDeductionStep(pol, available, requested).price(st0)
    used = out.points_used
    assert used % pol.unit == 0
    assert used <= available
    assert requested is None or used <= requested
    assert used == 0 or used >= minimum
    off = st0.subtotal() - out.subtotal()
    assert off == pol.value_of(used)
    assert off.minor <= sum(fens) * Decimal(share)
    if used:
        assert sum(n for _, n in out.extra("points_used_by_line")) == used


@given(st.integers(1, 1000), st.integers(0, 5000), st.sampled_from(["0.2", "0.5", "1"]))
def test_deduction_policy_round_trips(rate: int, minimum: int, share: str) -> None:
    unit = rate * 2
    pol = DeductionPolicy(rate, unit, minimum, max(unit, minimum) + 7, Decimal(share),
                          ItemScope(exclude_tags=frozenset({"特价"})))
    assert load(dump(pol)) == pol


def test_the_adjustment_records_the_policy_fingerprint() -> None:
    from sirui.config import fingerprint

    out = PointsDeductionStep(HALF, available=5000).price(state("100"))
    assert out.adjustments[-1].fingerprint == fingerprint(HALF)
    assert out.adjustments[-1].kind == "points.deduction"


# -- a request above the cap is trimmed, and says so ---------------------------------------------


def test_asking_for_20000_points_on_a_half_capped_300_yuan_order_uses_15000_and_says_why() -> None:
    step = PointsDeductionStep(HALF, available=50_000, requested=20_000)
    plan = step.plan(state("200", "100"))
    assert (plan.points, plan.usable, plan.cap) == (15_000, 15_000, 15_000)
    assert plan.trimmed is not None
    assert plan.trimmed.code == "points.deduction_trimmed"
    assert plan.trimmed.params == {"requested": 20_000, "allowed": 15_000, "cap": 15_000}
    assert plan.trimmed.zh == (
        "申请使用20000积分，本单最多可用15000积分（每单上限15000积分），已按15000积分抵扣")
    assert plan.trimmed.en == (
        "20000 points asked; this order takes at most 15000 (cap 15000), so 15000 were used")
    out = step.price(state("200", "100"))
    assert out.points_used == 15_000
    assert out.extra(TRIMMED_EXTRA) == plan.trimmed
    assert out.extra(TRIMMED_EXTRA).code == "points.deduction_trimmed"


def test_the_checkout_quote_carries_the_trim() -> None:
    cart = Cart(Member("m1"), (Line("1", FORMULA, 1), Line("2", DIAPERS, 1)))  # 397 yuan
    q = quote(cart, NOW, steps=(PointsDeductionStep(HALF, available=50_000, requested=30_000),))
    assert q.points_used == 19_800  # 198 yuan: half of 397, whole yuan
    trimmed = q.extra(TRIMMED_EXTRA)
    assert trimmed is not None
    assert trimmed.params == {"requested": 30_000, "allowed": 19_800, "cap": 19_800}


def test_a_balance_below_the_request_is_a_trim_under_the_cap() -> None:
    plan = PointsDeductionStep(HALF, available=8_000, requested=12_000).plan(state("300"))
    assert plan.points == 8_000
    assert plan.trimmed is not None
    assert plan.trimmed.params == {"requested": 12_000, "allowed": 8_000, "cap": 15_000}


def test_requests_within_the_cap_are_not_trims() -> None:
    within = PointsDeductionStep(HALF, available=50_000, requested=10_000).price(state("300"))
    assert within.points_used == 10_000
    assert within.extra(TRIMMED_EXTRA) is None
    # Odd points go in whole units: 1,250 asked, 1,200 used, no trim.
    odd = PointsDeductionStep(HALF, available=50_000, requested=1_250).plan(state("300"))
    assert (odd.points, odd.trimmed) == (1_200, None)
    # All usable points (no request) is never a trim.
    assert PointsDeductionStep(HALF, available=50_000).plan(state("300")).trimmed is None


def test_a_trim_below_the_minimum_deducts_nothing_and_says_below_minimum() -> None:
    pol = DeductionPolicy(max_share=Decimal("0.1"), min_points=1_000)
    out = PointsDeductionStep(pol, available=9_000, requested=5_000).price(state("50"))
    assert out.points_used == 0
    assert out.extra(TRIMMED_EXTRA) is None
    assert out.not_applied[-1].reason.code == "points.below_minimum"


@given(
    st.lists(st.integers(0, 100_000), min_size=1, max_size=5),
    st.integers(0, 200_000),
    st.integers(0, 200_000),
    st.sampled_from(["0.1", "0.5", "1"]),
    st.none() | st.integers(100, 50_000),
)
def test_a_trim_is_reported_exactly_when_the_request_exceeds_what_the_order_takes(
    fens: list[int], available: int, requested: int, share: str, max_points: int | None,
) -> None:
    pol = DeductionPolicy(points_per_yuan=100, max_share=Decimal(share), max_points=max_points)
    st0 = state(*[str(Money(f).amount) for f in fens])
    plan = PointsDeductionStep(pol, available, requested).plan(st0)
    assert plan.cap is not None and plan.usable <= plan.cap
    assert (plan.trimmed is not None) == (plan.points > 0 and requested > plan.usable)
    if plan.trimmed is not None:
        assert plan.trimmed.params == {
            "requested": requested, "allowed": plan.points, "cap": plan.cap,
        }
        assert plan.points == plan.usable < requested
