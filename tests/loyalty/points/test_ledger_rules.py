"""Points ledger rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/loyalty/points/ledger.py`: boundaries
stated at the exact instant and the exact point, and a refusal that changes
nothing.
"""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from sirui.core.errors import NaiveDatetimeError
from sirui.loyalty.points import Adjust, Earn, LedgerPolicy, PointsLedger, Spend
from sirui.loyalty.points.transactions import PointsAdjusted
from sirui.rules import Rejected

TZ = "Asia/Shanghai"
T0 = pendulum.datetime(2026, 3, 1, 10, tz=TZ)


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
