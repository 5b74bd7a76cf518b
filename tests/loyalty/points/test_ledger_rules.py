"""Points ledger rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/loyalty/points/ledger.py`: boundaries
stated at the exact instant and the exact point, and a refusal that changes
nothing.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pendulum
import pytest

from sirui.core.errors import InvalidCommandError, InvalidPolicyError, NaiveDatetimeError
from sirui.loyalty.points import (
    Adjust,
    Earn,
    ExpireAfterDays,
    ExpireAtYearEnd,
    LedgerPolicy,
    PointsLedger,
    PointsRefundPolicy,
    ReturnSpent,
    Shortfall,
    Spend,
    Sweep,
    TakeBack,
)
from sirui.loyalty.points.transactions import (
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsReturned,
    PointsTakenBack,
)
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


def two_years() -> PointsLedger:
    """100 points expiring 2028-01-01 (e1), then 50 expiring 2029-01-01 (e2)."""
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAtYearEnd()))
    led = ok(led.handle(Earn("e1", 100), now=at(2026, 5, 1)))
    return ok(led.handle(Earn("e2", 50), now=at(2027, 2, 1)))


def test_a_take_back_takes_the_earns_own_points_first() -> None:
    led = two_years()
    out = led.handle(TakeBack("tb1", "e1", 60), now=at(2027, 3, 1))
    after = ok(out)
    assert out.events == (PointsTakenBack("tb1", "m1", "e1", 60, 60, 0),)
    assert after.points_by_expiry(at(2027, 3, 1)) == ((at(2028, 1, 1), 40), (at(2029, 1, 1), 50))
    assert after.earned_total == 90


def test_a_take_back_of_spent_points_takes_the_rest_elsewhere_then_owes_it() -> None:
    now = at(2027, 3, 1)
    led = ok(two_years().handle(Spend("s1", 80), now=now))  # 80 of e1's 100
    out = led.handle(TakeBack("tb1", "e1", 100), now=now)
    after = ok(out)
    assert out.events == (PointsTakenBack("tb1", "m1", "e1", 100, 70, 30),)
    assert after.available(now) == 0 and after.debt == 30
    forgive = LedgerPolicy(
        expiry=ExpireAtYearEnd(), refunds=PointsRefundPolicy(shortfall=Shortfall.WRITE_OFF)
    )
    led_w = attrs.evolve(led, policy=forgive)
    out_w = led_w.handle(TakeBack("tb1", "e1", 100), now=now)
    assert out_w.events == (PointsTakenBack("tb1", "m1", "e1", 100, 70, 0),)
    assert ok(out_w).debt == 0


def test_a_take_back_of_pending_points_leaves_the_other_orders_pending() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(pending_days=7))
    led = ok(led.handle(Earn("e1", 100, order_id="o1"), now=T0))
    led = ok(led.handle(Earn("e2", 50, order_id="o2"), now=T0))
    after = ok(led.handle(TakeBack("tb1", "e1", 100), now=T0.add(days=1)))
    assert after.pending_points(T0.add(days=1)) == 50
    assert after.available(T0.add(days=7)) == 50
    partial = ok(led.handle(TakeBack("tb2", "e1", 30), now=T0.add(days=1)))
    assert partial.pending_points(T0.add(days=1)) == 120


def test_returned_points_come_back_last_spent_first_with_their_own_expiry() -> None:
    now = at(2027, 3, 1)
    led = ok(two_years().handle(Spend("s1", 120), now=now))  # e1's 100, then 20 of e2
    out = led.handle(ReturnSpent("r1", "s1", 30), now=now)
    after = ok(out)
    assert out.events == (PointsReturned("r1", "m1", "s1", 30, 30, 0, 0),)
    assert after.points_by_expiry(now) == ((at(2028, 1, 1), 10), (at(2029, 1, 1), 50))
    rest = ok(after.handle(ReturnSpent("r2", "s1", 90), now=now))
    assert rest.points_by_expiry(now) == ((at(2028, 1, 1), 100), (at(2029, 1, 1), 50))


def test_returned_points_already_expired_are_forfeited_unless_revived() -> None:
    spent = ok(two_years().handle(Spend("s1", 100), now=at(2027, 3, 1)))
    late = at(2028, 2, 1)
    out = spent.handle(ReturnSpent("r1", "s1", 100), now=late)
    assert out.events == (PointsReturned("r1", "m1", "s1", 100, 0, 100, 0),)
    assert ok(out).available(late) == 50
    revive = LedgerPolicy(expiry=ExpireAtYearEnd(), refunds=PointsRefundPolicy(revive_expired=True))
    back = attrs.evolve(spent, policy=revive).handle(ReturnSpent("r1", "s1", 100), now=late)
    assert back.events == (PointsReturned("r1", "m1", "s1", 100, 100, 0, 0),)
    assert ok(back).points_by_expiry(late) == ((at(2029, 1, 1), 50), (at(2030, 1, 1), 100))


def test_a_sweep_reports_each_expired_bucket_once() -> None:
    led = two_years()
    out = led.handle(Sweep("sw1"), now=at(2028, 1, 1))
    assert out.events == (PointsExpired("sw1", "m1", "e1", 100, at(2028, 1, 1)),)
    again = ok(out).handle(Sweep("sw2"), now=at(2028, 6, 1))
    assert again.events == ()


def test_a_take_back_of_a_later_earn_takes_that_earns_points_not_the_soonest() -> None:
    after = ok(two_years().handle(TakeBack("tb1", "e2", 20), now=at(2027, 3, 1)))
    assert after.points_by_expiry(at(2027, 3, 1)) == ((at(2028, 1, 1), 100), (at(2029, 1, 1), 30))


def test_a_take_back_of_spent_points_takes_other_pending_points_before_owing() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(pending_days=7))
    led = ok(led.handle(Earn("e1", 100), now=T0))
    led = ok(led.handle(Spend("s1", 100), now=T0))
    led = ok(led.handle(Earn("e2", 80, order_id="o2"), now=T0))
    out = led.handle(TakeBack("tb1", "e1", 50), now=T0.add(days=1))
    assert out.events == (PointsTakenBack("tb1", "m1", "e1", 50, 50, 0),)
    assert ok(out).pending_points(T0.add(days=1)) == 30
    assert ok(out).debt == 0


def test_returned_points_come_back_as_returned_buckets() -> None:
    now = at(2027, 3, 1)
    led = ok(two_years().handle(Spend("s1", 30), now=now))
    after = ok(led.handle(ReturnSpent("r1", "s1", 30), now=now))
    assert sorted(b.source for b in after.buckets(now)) == ["earn", "earn", "return"]


def test_points_returned_exactly_at_their_expiry_are_forfeited() -> None:
    spent = ok(two_years().handle(Spend("s1", 100), now=at(2027, 3, 1)))
    out = spent.handle(ReturnSpent("r1", "s1", 100), now=at(2028, 1, 1))
    assert out.events == (PointsReturned("r1", "m1", "s1", 100, 0, 100, 0),)


def test_every_expired_part_of_a_return_is_forfeited() -> None:
    spent = ok(two_years().handle(Spend("s1", 120), now=at(2027, 3, 1)))
    out = spent.handle(ReturnSpent("r1", "s1", 120), now=at(2029, 2, 1))
    assert out.events == (PointsReturned("r1", "m1", "s1", 120, 0, 120, 0),)


def test_an_earn_says_when_its_points_become_available_and_expire() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAtYearEnd(), pending_days=7))
    out = led.handle(Earn("e1", 100, source="order", order_id="o1"), now=T0)
    assert out.events == (
        PointsEarned("e1", "m1", 100, 0, T0.add(days=7), at(2028, 1, 1), "order", "o1"),
    )
    # an explicit hold wins over "order points wait for the return window"
    now_too = led.handle(Earn("e2", 5, order_id="o2", hold=False), now=T0)
    assert ok(now_too).available(T0) == 5
    held = led.handle(Earn("e3", 5, hold=True), now=T0)
    assert ok(held).available(T0) == 0 and ok(held).pending_points(T0) == 5


def test_order_points_wait_to_the_microsecond() -> None:
    paid = T0.add(microseconds=500)
    led = ok(
        PointsLedger.open("m1", LedgerPolicy(pending_days=7)).handle(
            Earn("e1", 10, order_id="o1"), now=paid
        )
    )
    opens = paid.add(days=7)
    assert led.available(opens.subtract(microseconds=1)) == 0
    assert led.available(opens) == 10
    assert ok(led.handle(Spend("s1", 10), now=opens)).available(opens) == 0


def test_a_spend_names_its_order_and_a_refusal_the_points_available() -> None:
    out = earned(100).handle(Spend("s1", 40, order_id="o1"), now=T0)
    assert out.events[0].order_id == "o1" and out.events[0].purpose == "deduction"
    short = earned(100).handle(Spend("s2", 101), now=T0)
    assert dict(short.reason.params) == {"available": 100, "requested": 101}


def test_misuse_is_said_with_the_fix() -> None:
    led = earned(100)
    with pytest.raises(InvalidCommandError) as info:
        led.handle(TakeBack("tb1", "e9", 1), now=T0)
    assert str(info.value) == "earn_id='e9': no Earn with this id in the ledger of 'm1'"
    with pytest.raises(InvalidCommandError) as info:
        led.handle(Spend("s1", 1), now=T0.subtract(seconds=1))
    assert str(info.value).endswith("; apply commands in time order")
    with pytest.raises(InvalidCommandError) as info:
        led.handle("spend", now=T0)  # type: ignore[arg-type]
    assert str(info.value) == (
        "command='spend': not a points ledger command; use Earn, Spend, Adjust, "
        "TakeBack, ReturnSpent, Sweep or PruneLog"
    )
