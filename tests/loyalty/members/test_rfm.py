"""RFM: eight segments from operator thresholds or population quantiles."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidPolicyError, InvalidValueError
from sirui.core.money import Money
from sirui.loyalty.members import (
    RfmPolicy,
    RfmSegment,
    RfmThresholds,
    recency_days,
    rfm_cuts,
    rfm_segment,
    rfm_segments,
)

# 近30天买过、买过3次及以上、累计消费满1000元 are "high".
OPERATOR = RfmPolicy(RfmThresholds(30, 3, Money.of("1000")))


def test_operator_thresholds_give_the_eight_classic_segments() -> None:
    cuts = OPERATOR.thresholds.cuts()  # type: ignore[union-attr]
    yuan = 100
    cases = {
        (10, 5, 2000 * yuan): ("important_value", "重要价值"),
        (10, 1, 2000 * yuan): ("important_develop", "重要发展"),
        (90, 5, 2000 * yuan): ("important_keep", "重要保持"),
        (90, 1, 2000 * yuan): ("important_retain", "重要挽留"),
        (10, 5, 500 * yuan): ("general_value", "一般价值"),
        (10, 1, 500 * yuan): ("general_develop", "一般发展"),
        (90, 5, 500 * yuan): ("general_keep", "一般保持"),
        (90, 1, 500 * yuan): ("general_retain", "一般挽留"),
    }
    for (r, f, m), (code, zh) in cases.items():
        seg = rfm_segment(r, f, m, cuts)
        assert (seg.value, seg.zh) == (code, zh)
    # Boundaries are inclusive: 30 days, 3 orders, exactly ¥1,000 are high.
    assert rfm_segment(30, 3, 1000 * yuan, cuts) is RfmSegment.IMPORTANT_VALUE
    assert rfm_segment(31, 2, 1000 * yuan - 1, cuts) is RfmSegment.GENERAL_RETAIN


def test_median_cuts_ties_go_low() -> None:
    recency = [1, 5, 10, 40, 90]
    frequency = [1, 1, 2, 6, 9]
    monetary = [100, 5000, 20000, 80000, 300]
    segs = rfm_segments(RfmPolicy(), recency, frequency, monetary, use_numpy=False)
    # Median recency 10, frequency 2, monetary 5000: strictly better is high.
    assert [s.zh for s in segs] == ["一般发展", "一般发展", "重要挽留", "重要保持", "一般保持"]


def test_everyone_equal_is_all_general_retain() -> None:
    segs = rfm_segments(RfmPolicy(), [7] * 4, [2] * 4, [100] * 4)
    assert set(segs) == {RfmSegment.GENERAL_RETAIN}


def test_columns_of_different_length_or_negative_values_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="equal length"):
        rfm_segments(RfmPolicy(), [1, 2], [1], [1, 2])
    with pytest.raises(InvalidValueError, match=">= 0"):
        rfm_segments(RfmPolicy(), [1, -2], [1, 1], [1, 2])
    with pytest.raises(InvalidPolicyError):
        RfmPolicy(quantile=Decimal("1.5"))


def test_recency_counts_calendar_days_in_the_store_zone() -> None:
    now = pendulum.datetime(2026, 11, 11, 0, 30, tz="Asia/Shanghai")
    last = pendulum.datetime(2026, 11, 10, 23, 50, tz="Asia/Shanghai")
    assert recency_days(last, now) == 1
    assert recency_days(now, now) == 0


population = st.integers(0, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 400), min_size=n, max_size=n),
    st.lists(st.integers(0, 30), min_size=n, max_size=n),
    st.lists(st.integers(0, 10**7), min_size=n, max_size=n),
))
policies = st.one_of(
    st.builds(RfmPolicy, quantile=st.decimals("0", "1", places=2)),
    st.builds(lambda r, f, m: RfmPolicy(RfmThresholds(r, f, Money(m))),
              st.integers(0, 400), st.integers(0, 30), st.integers(0, 10**7)),
)


@given(policies, population)
def test_every_member_gets_one_defined_segment_deterministically(
    policy: RfmPolicy, cols: tuple[list[int], list[int], list[int]]
) -> None:
    r, f, m = cols
    first = rfm_segments(policy, r, f, m, use_numpy=False)
    assert len(first) == len(r)
    assert all(isinstance(s, RfmSegment) for s in first)
    assert rfm_segments(policy, tuple(r), tuple(f), tuple(m), use_numpy=False) == first
    # Member by member under the population's cuts gives the same answer.
    cuts = rfm_cuts(policy, r, f, m)
    assert [rfm_segment(a, b, c, cuts) for a, b, c in zip(r, f, m)] == first
    # Order of members does not change anyone's segment.
    rev = rfm_segments(policy, r[::-1], f[::-1], m[::-1], use_numpy=False)
    assert rev[::-1] == first


@given(policies, population)
def test_numpy_path_gives_the_same_segments(
    policy: RfmPolicy, cols: tuple[list[int], list[int], list[int]]
) -> None:
    pytest.importorskip("numpy")
    r, f, m = cols
    assert rfm_segments(policy, r, f, m, use_numpy=True) == rfm_segments(
        policy, r, f, m, use_numpy=False
    )


@given(population, st.integers(0, 5))
def test_more_spend_never_lowers_the_segment_under_thresholds(
    cols: tuple[list[int], list[int], list[int]], bump: int
) -> None:
    r, f, m = cols
    cuts = OPERATOR.thresholds.cuts()  # type: ignore[union-attr]
    for a, b, c in zip(r, f, m):
        if rfm_segment(a, b, c, cuts).important:
            assert rfm_segment(a, b + bump, c + 1, cuts).important
