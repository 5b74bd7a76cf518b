"""Points deduction at checkout (积分抵现), stage 5 of the price pipeline."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.loyalty.points import (
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
