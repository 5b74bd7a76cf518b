"""Launch boost: online sales count double for 2 months; inflation capped at 150%."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    BoostPeriod,
    LaunchBoost,
    OverlappingBoostError,
    Sale,
    Target,
    TargetLadder,
    TargetTier,
    TierMode,
)
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Store
from sirui.core.windows import PeriodKind, period_containing

from ._shop import MILK, yuan

TZ = "Asia/Shanghai"
STORE = Store("S09", online_since=pendulum.datetime(2026, 9, 1, tz=TZ))
BOOST = LaunchBoost((BoostPeriod.launch(STORE),))
SEPT = period_containing(PeriodKind.MONTH, pendulum.datetime(2026, 9, 15, tz=TZ))
NOV = period_containing(PeriodKind.MONTH, pendulum.datetime(2026, 11, 15, tz=TZ))
LADDER = TargetLadder((TargetTier("0", "0.01"), TargetTier("0.8", "0.02"), TargetTier("1", "0.03")))
TARGET = Target("g1", "g1", yuan("10000"), LADDER)


def sale(amount: str, day: int, online: bool = True, month: int = 9) -> Sale:
    return Sale("g1", "S09", MILK, yuan(amount), pendulum.datetime(2026, month, day, tz=TZ),
                online)


def test_the_launch_window_is_two_months_from_going_online() -> None:
    (p,) = BOOST.periods
    assert (p.start, p.end) == (STORE.online_since, pendulum.datetime(2026, 11, 1, tz=TZ))


def test_online_sales_count_double_and_the_inflation_is_capped_at_150_percent() -> None:
    # 3000 online + 4000 offline: real 7000 (70%, 1% = 70); boosted 10000 (100%, 3% = 300);
    # capped at 150% of 70 = 105.
    r = BOOST.target_commission(TARGET, [sale("3000", 5), sale("4000", 6, online=False)], SEPT)
    assert r.unboosted.amount == yuan("70.00")
    assert r.boosted.amount == yuan("300.00")
    assert r.amount == yuan("105.00")
    assert r.capped
    assert r.reason.code == "commission.boost_capped"


def test_a_boost_below_the_cap_is_paid_in_full() -> None:
    # 500 online + 8000 offline: real 8500 (85%, 2% = 170); boosted 9000 (90%, 2% = 180).
    r = BOOST.target_commission(TARGET, [sale("500", 5), sale("8000", 6, online=False)], SEPT)
    assert (r.unboosted.amount, r.amount, r.capped) == (yuan("170.00"), yuan("180.00"), False)


def test_no_boost_after_the_window() -> None:
    r = BOOST.target_commission(TARGET, [sale("3000", 5, month=11)], NOV)
    assert r.amount == r.unboosted.amount == yuan("30.00")


def test_overlapping_boost_periods_are_a_typed_error() -> None:
    other = BoostPeriod("S09", pendulum.datetime(2026, 10, 15, tz=TZ),
                        pendulum.datetime(2026, 12, 1, tz=TZ))
    with pytest.raises(OverlappingBoostError, match="S09"):
        LaunchBoost((BoostPeriod.launch(STORE), other))
    # Back to back is fine, and other stores never clash.
    after = BoostPeriod("S09", pendulum.datetime(2026, 11, 1, tz=TZ),
                        pendulum.datetime(2026, 12, 1, tz=TZ))
    elsewhere = BoostPeriod("S10", other.start, other.end)
    assert len(LaunchBoost((BoostPeriod.launch(STORE), after, elsewhere)).periods) == 3


def test_bad_boost_settings() -> None:
    with pytest.raises(InvalidPolicyError):
        BoostPeriod.launch(Store("S1"))
    with pytest.raises(InvalidPolicyError):
        BoostPeriod.launch(STORE, cap=Decimal("0.9"))
    with pytest.raises(InvalidPolicyError):
        BoostPeriod.launch(STORE, online_multiplier=Decimal("0.5"))


@given(st.lists(st.tuples(st.integers(0, 2_000_000), st.integers(1, 30), st.booleans()),
                max_size=8),
       st.integers(1, 3_000_000), st.sampled_from(list(TierMode)),
       st.sampled_from(["1", "1.2", "1.5", "2"]), st.sampled_from(["1", "2", "3"]))
def test_boosted_commission_never_exceeds_the_cap_times_unboosted(
    items: list[tuple[int, int, bool]], target: int, mode: TierMode, cap: str, mult: str
) -> None:
    boost = LaunchBoost((BoostPeriod.launch(STORE, cap=Decimal(cap),
                                            online_multiplier=Decimal(mult)),))
    tgt = Target("g1", "g1", Money(target), TargetLadder(LADDER.tiers, mode))
    sales = [Sale("g1", "S09", MILK, Money(f), pendulum.datetime(2026, 9, d, tz=TZ), on)
             for f, d, on in items]
    r = boost.target_commission(tgt, sales, SEPT)
    assert r.unboosted.amount <= r.amount
    assert r.amount.minor <= r.unboosted.amount.minor * Decimal(cap)
    if Decimal(cap) == Decimal("1.5"):
        assert r.amount.minor * 2 <= r.unboosted.amount.minor * 3
