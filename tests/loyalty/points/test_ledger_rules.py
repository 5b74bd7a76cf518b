"""Points ledger rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/loyalty/points/ledger.py`: boundaries
stated at the exact instant and the exact point, and a refusal that changes
nothing.
"""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from sirui.core.errors import InvalidPolicyError, NaiveDatetimeError
from sirui.loyalty.points import (
    Adjust,
    Earn,
    ExpireAfterDays,
    ExpireAtYearEnd,
    LedgerPolicy,
    PointsLedger,
    Spend,
)
from sirui.loyalty.points.transactions import PointsAdjusted
from sirui.rules import Rejected

TZ = "Asia/Shanghai"
T0 = pendulum.datetime(2026, 3, 1, 10, tz=TZ)


def at(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=TZ)


def ok(outcome: object) -> PointsLedger:
    assert outcome.ok, outcome  # type: ignore[attr-defined]
    return outcome.state  # type: ignore[attr-defined]


def earned(points: int = 100, **kw: object) -> PointsLedger:
    led = PointsLedger.open("m1", LedgerPolicy(**kw))  # type: ignore[arg-type]
    return ok(led.handle(Earn("e1", points), now=T0))


def test_order_points_stop_being_pending_exactly_when_the_return_window_closes() -> None:
    led = ok(
        PointsLedger.open("m1", LedgerPolicy(pending_days=7)).handle(
            Earn("e1", 268, order_id="o1"), now=T0
        )
    )
    closes = T0.add(days=7)
    assert led.pending_points(closes.subtract(microseconds=1)) == 268
    assert led.pending_points(closes) == 0
    assert led.available(closes) == 268


def test_expiring_before_refuses_a_naive_until_by_name() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"^until="):
        earned().expiring_before(T0, dt.datetime(2027, 1, 1))  # type: ignore[arg-type]


def test_an_adjustment_up_credits_a_bucket_of_its_own() -> None:
    out = earned().handle(Adjust("a1", 1, note="goodwill"), now=T0.add(days=1))
    led = ok(out)
    assert out.events == (PointsAdjusted("a1", "m1", 1, "goodwill"),)
    assert led.available(T0.add(days=1)) == 101
    credited = [b for b in led.buckets(T0.add(days=1)) if b.source == "adjust"]
    assert [b.points for b in credited] == [1]
    txn = led.txns.get("a1")
    assert txn is not None and txn.bucket_key == credited[0].key


def test_an_adjustment_down_may_take_the_whole_balance_but_not_a_point_more() -> None:
    led = earned(100)
    out = led.handle(Adjust("a1", -101), now=T0)
    assert isinstance(out, Rejected) and out.state is led
    assert out.reason.code == "points.insufficient"
    assert dict(out.reason.params) == {"available": 100, "requested": 101}
    emptied = ok(led.handle(Adjust("a2", -100, note="fraud"), now=T0))
    assert emptied.available(T0) == 0
    assert emptied.txns.get("a2") is not None


def test_a_spend_of_exactly_the_balance_is_accepted() -> None:
    led = earned(100)
    assert ok(led.handle(Spend("s1", 100), now=T0)).available(T0) == 0
    out = led.handle(Spend("s2", 101), now=T0)
    assert isinstance(out, Rejected) and out.state is led


def test_a_ledger_policy_names_a_bad_expiry_and_caps_the_return_window() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        LedgerPolicy(expiry="never")  # type: ignore[arg-type]
    assert (info.value.field, info.value.value) == ("expiry", "never")
    assert str(info.value) == "expiry='never': must be an ExpiryPolicy; e.g. NeverExpire()"
    with pytest.raises(InvalidPolicyError) as info:
        LedgerPolicy(pending_days=366)
    assert str(info.value) == "pending_days=366: must be <= 365"
    assert LedgerPolicy(pending_days=365).pending_days == 365


def test_points_expire_exactly_at_their_expiry_instant() -> None:
    led = earned(100, expiry=ExpireAfterDays(10))
    end = led.buckets(T0)[0].expires_at
    assert end is not None
    assert led.available(end.subtract(microseconds=1)) == 100
    assert led.available(end) == 0
    assert led.buckets(end) == ()


def test_points_expiring_together_are_counted_together_soonest_first() -> None:
    pol = LedgerPolicy(expiry=ExpireAtYearEnd())
    led = PointsLedger.open("m1", pol)
    led = ok(led.handle(Earn("e1", 100), now=at(2026, 5, 1)))
    led = ok(led.handle(Earn("e2", 50), now=at(2026, 6, 1)))
    led = ok(led.handle(Earn("e3", 7), now=at(2027, 2, 1)))
    now = at(2027, 3, 1)
    assert led.points_by_expiry(now) == (
        (at(2028, 1, 1), 150),
        (at(2029, 1, 1), 7),
    )
    assert [b.points for b in led.buckets(now)] == [100, 50, 7]
    assert led.expiring_before(now, at(2028, 1, 1)) == 150
    assert led.expiring_before(now, at(2027, 12, 31)) == 0
    assert led.expiring_before(now, at(2029, 1, 1)) == 157


def test_a_spent_bucket_is_no_longer_listed() -> None:
    led = ok(earned(100).handle(Spend("s1", 100), now=T0))
    assert led.buckets(T0) == ()
    assert led.points_by_expiry(T0) == ()
