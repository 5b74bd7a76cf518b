"""Monthly targets: tiered rates by achievement, whole-tier or banded; store targets."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    Sale,
    Target,
    TargetLadder,
    TargetLevel,
    TargetTier,
    TierMode,
    evaluate_targets,
    sales_of,
)
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.windows import PeriodKind, period_containing
from sirui.rules import ItemScope

from ._shop import DIAPER, MILK, NOW, paid_order, yuan

# Below 80% of target 1%, 80-100% 2%, from 100% 3%.
TIERS = (TargetTier("0", "0.01"), TargetTier("0.8", "0.02"), TargetTier("1", "0.03"))
WHOLE = TargetLadder(TIERS)
BANDED = TargetLadder(TIERS, TierMode.BANDED)
TARGET = yuan("10000")


@pytest.mark.parametrize(("sales", "whole", "banded"), [
    ("7000", "70.00", "70.00"),       # 70%: tier 1 either way
    ("8000", "160.00", "80.00"),      # exactly 80% reaches tier 2
    ("9000", "180.00", "100.00"),     # 8000×1% + 1000×2%
    ("10000", "300.00", "120.00"),    # exactly 100% reaches tier 3
    ("12000", "360.00", "180.00"),    # 80 + 40 + 2000×3%
])
def test_whole_tier_and_banded(sales: str, whole: str, banded: str) -> None:
    assert WHOLE.commission(yuan(sales), TARGET).amount == yuan(whole)
    assert BANDED.commission(yuan(sales), TARGET).amount == yuan(banded)


def test_result_says_which_tier_was_reached() -> None:
    r = WHOLE.commission(yuan("9000"), TARGET)
    assert r.tier == 1
    assert r.rate == Decimal("0.02")
    assert r.reason.code == "commission.tier_reached"
    assert "0.9" in r.reason.en


def test_a_target_of_zero_is_a_typed_error() -> None:
    with pytest.raises(InvalidPolicyError, match="amount"):
        Target("t", "g1", Money(0), WHOLE)
    with pytest.raises(InvalidPolicyError, match="target"):
        WHOLE.commission(yuan("1"), Money(0))


@pytest.mark.parametrize("tiers", [
    (),
    (TargetTier("0.5", "0.01"),),
    (TargetTier("0", "0.01"), TargetTier("0", "0.02")),
    (TargetTier("0", "0.02"), TargetTier("0.8", "0.01")),
])
def test_bad_ladders_are_refused(tiers: tuple[TargetTier, ...]) -> None:
    with pytest.raises(InvalidPolicyError):
        TargetLadder(tiers)


def test_rate_above_one_is_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        TargetTier("0", "1.01")


MONTH = period_containing(PeriodKind.MONTH, NOW)


def test_targets_per_guide_per_item_and_per_store() -> None:
    sales = (
        sales_of(paid_order([(MILK, 2, "520"), (DIAPER, 1, "90")]), "g1", "S01")
        + sales_of(paid_order([(MILK, 10, "2600")]), "g2", "S01")
        + (Sale("g1", "S01", MILK, yuan("999"), NOW.subtract(months=1)),)  # last month
    )
    targets = (
        Target("g1-all", "g1", yuan("1000"), WHOLE),
        Target("g1-milk", "g1", yuan("500"), WHOLE, scope=ItemScope(skus=frozenset({"milk"}))),
        Target("store", "S01", yuan("4000"), WHOLE, level=TargetLevel.STORE),
    )
    got = {r.target: (r.performance, r.commission.amount) for r in
           evaluate_targets(targets, sales, MONTH)}
    assert got == {
        "g1-all": (yuan("610"), yuan("6.10")),      # 61%: 1%
        "g1-milk": (yuan("520"), yuan("15.60")),    # 104%: 3%
        "store": (yuan("3210"), yuan("64.20")),     # 80.25%: 2%
    }


@given(st.integers(0, 5_000_000), st.integers(0, 5_000_000), st.integers(1, 3_000_000),
       st.sampled_from([WHOLE, BANDED]))
def test_tiered_commission_is_monotone_in_sales(a: int, b: int, target: int,
                                                 ladder: TargetLadder) -> None:
    lo, hi = sorted((a, b))
    t = Money(target)
    assert ladder.commission(Money(lo), t).amount <= ladder.commission(Money(hi), t).amount


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30)), min_size=1, max_size=5),
       st.integers(0, 5_000_000), st.integers(0, 5_000_000), st.integers(1, 3_000_000),
       st.sampled_from(list(TierMode)))
def test_any_valid_ladder_is_monotone(steps: list[tuple[int, int]], a: int, b: int,
                                      target: int, mode: TierMode) -> None:
    floors, rates, f, r = [], [], 0, 0
    for df, dr in steps:
        floors.append(f)
        rates.append(r)
        f += df + 1
        r = min(r + dr, 100)
    ladder = TargetLadder(tuple(TargetTier(Decimal(x) / 100, Decimal(y) / 100)
                              for x, y in zip(floors, rates, strict=True)), mode)
    lo, hi = sorted((a, b))
    t = Money(target)
    assert ladder.commission(Money(lo), t).amount <= ladder.commission(Money(hi), t).amount


def test_sales_outside_the_month_do_not_count() -> None:
    dec = pendulum.datetime(2026, 12, 1, tz="Asia/Shanghai")
    res = evaluate_targets((Target("t", "g1", yuan("100"), WHOLE),),
                           (Sale("g1", "S01", MILK, yuan("50"), dec),), MONTH)
    assert res[0].performance == yuan("0")
