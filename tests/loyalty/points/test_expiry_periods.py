"""Points that expire at the end of a month or a quarter after earning (月底/季末清零)."""

from __future__ import annotations

import json

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, load
from sirui.core import ConfigError
from sirui.core.errors import InvalidPolicyError
from sirui.loyalty.points import (
    Earn,
    ExpireAtMonthEnd,
    ExpireAtQuarterEnd,
    ExpiryPolicy,
    LedgerPolicy,
    PointsLedger,
)
from sirui.testing import aware_datetimes, zones
from sirui.testing.loyalty import expiry_policies

TZ = "Asia/Shanghai"


def at(*args: int, tz: str = TZ) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=tz)


# -- operator examples, exact instants ---------------------------------------------------------


def test_points_earned_15_march_with_end_of_month_plus_one_expire_after_30_april() -> None:
    policy = ExpireAtMonthEnd(months_after=1, tz=TZ)
    gone = policy.expires_at(at(2026, 3, 15, 14, 30))
    assert gone == at(2026, 5, 1)  # usable through 2026-04-30 23:59:59 Asia/Shanghai
    ledger = PointsLedger.open("m1", LedgerPolicy(expiry=policy))
    earned = at(2026, 3, 15, 14, 30)
    ledger = ledger.handle(Earn("review-1", 100, source="review"), now=earned).state
    assert ledger.balance(at(2026, 4, 30, 23, 59, 59)) == 100
    assert ledger.balance(at(2026, 5, 1)) == 0
    assert ledger.expiring_before(at(2026, 4, 1), until=at(2026, 5, 1)) == 100


def test_every_day_of_a_month_expires_together_and_december_rolls_into_january() -> None:
    policy = ExpireAtMonthEnd(1, TZ)
    assert policy.expires_at(at(2026, 3, 1)) == policy.expires_at(at(2026, 3, 31, 23, 59)) == (
        at(2026, 5, 1))
    assert policy.expires_at(at(2026, 12, 5)) == at(2027, 2, 1)  # through 2027-01-31
    assert ExpireAtMonthEnd(0, TZ).expires_at(at(2026, 2, 10)) == at(2026, 3, 1)  # 当月月底
    assert ExpireAtMonthEnd(11, TZ).expires_at(at(2026, 3, 15)) == at(2027, 3, 1)


def test_the_month_is_the_store_zones_month() -> None:
    policy = ExpireAtMonthEnd(1, TZ)
    # 17:00 UTC on 31 March is 01:00 on 1 April in Shanghai: an April point.
    utc = pendulum.datetime(2026, 3, 31, 17, tz="UTC")
    assert policy.expires_at(utc) == at(2026, 6, 1)
    assert policy.expires_at(pendulum.datetime(2026, 3, 31, 15, tz="UTC")) == at(2026, 5, 1)


def test_quarter_end_after_earning() -> None:
    policy = ExpireAtQuarterEnd(quarters_after=1, tz=TZ)
    assert policy.expires_at(at(2026, 3, 15)) == at(2026, 7, 1)  # through 2026-06-30
    assert policy.expires_at(at(2026, 1, 1)) == at(2026, 7, 1)
    assert policy.expires_at(at(2026, 4, 1)) == at(2026, 10, 1)
    assert policy.expires_at(at(2026, 11, 20)) == at(2027, 4, 1)  # through 2027-03-31
    assert ExpireAtQuarterEnd(0, TZ).expires_at(at(2026, 3, 15)) == at(2026, 4, 1)


def test_bad_policies_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidPolicyError, match="months_after"):
        ExpireAtMonthEnd(-1)
    with pytest.raises(InvalidPolicyError, match="months_after"):
        ExpireAtMonthEnd(601)
    with pytest.raises(InvalidPolicyError, match="quarters_after"):
        ExpireAtQuarterEnd(201)
    with pytest.raises(InvalidPolicyError, match="months_after"):
        ExpireAtMonthEnd(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tz='Mars/Olympus'"):
        ExpireAtQuarterEnd(1, tz="Mars/Olympus")


def test_operator_documents_load_by_their_tags() -> None:
    doc = {"type": "points.ledger", "expiry": {"type": "points.expire_at_month_end",
                                               "months_after": 1}}
    assert load(doc) == LedgerPolicy(expiry=ExpireAtMonthEnd(1))
    quarter = {"type": "points.expire_at_quarter_end", "quarters_after": 2, "tz": "UTC"}
    assert load(quarter) == ExpireAtQuarterEnd(2, "UTC")
    with pytest.raises(ConfigError, match="months_after"):
        load({"type": "points.expire_at_month_end", "months_after": -1})


# -- properties --------------------------------------------------------------------------------


@given(expiry_policies())
def test_expiry_policies_round_trip_through_json_text(policy: ExpiryPolicy) -> None:
    assert load(json.loads(json.dumps(dump(policy))), ExpiryPolicy) == policy


period_policies = st.one_of(
    st.builds(ExpireAtMonthEnd, st.integers(0, 600), zones),
    st.builds(ExpireAtQuarterEnd, st.integers(0, 200), zones),
)


@given(period_policies, aware_datetimes(), st.integers(0, 60 * 24 * 800))
def test_expiry_is_never_before_earning_and_never_earlier_for_later_points(
    policy: ExpireAtMonthEnd | ExpireAtQuarterEnd, earned: pendulum.DateTime, minutes: int
) -> None:
    first = policy.expires_at(earned)
    later = policy.expires_at(earned.add(minutes=minutes))
    assert first is not None and later is not None
    assert earned < first <= later
    # Gone at midnight on the first day of a month in the store's zone.
    local = first.in_timezone(policy.tz)
    assert (local.day, local.hour, local.minute, local.second) == (1, 0, 0, 0)
    if isinstance(policy, ExpireAtQuarterEnd):
        assert local.month in (1, 4, 7, 10)


@given(st.integers(0, 600), aware_datetimes())
def test_month_end_is_n_months_after_the_earning_month(n: int, earned: pendulum.DateTime) -> None:
    policy = ExpireAtMonthEnd(n, TZ)
    local = earned.in_timezone(TZ)
    gone = policy.expires_at(earned)
    assert gone is not None
    months = (gone.year - local.year) * 12 + gone.month - local.month
    assert months == n + 1
