"""Time: aware only, half-open windows, daily slots, validity, periods."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidPolicyError, InvalidValueError, NaiveDatetimeError
from sirui.core.windows import (
    DailySlot,
    DaysAfterClaim,
    FixedValidity,
    MemberDay,
    MemberWeek,
    PeriodKind,
    RollingDays,
    Window,
    aware,
    local_date,
    period_containing,
)
from sirui.testing import aware_datetimes

SH = "Asia/Shanghai"


def at(*args: int, tz: str = SH) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=tz)


def test_naive_datetimes_are_refused_with_the_argument_named() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"now=.*no time zone"):
        aware(dt.datetime(2026, 11, 11, 10))
    with pytest.raises(NaiveDatetimeError, match="claimed_at"):
        DaysAfterClaim(7).window_for(dt.datetime(2026, 11, 11))  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError):
        aware("2026-11-11")
    assert aware(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == at(2026, 1, 1, tz="UTC")


@given(st.datetimes())
def test_any_naive_datetime_is_refused(value: dt.datetime) -> None:
    with pytest.raises(NaiveDatetimeError):
        aware(value)
    with pytest.raises(NaiveDatetimeError):
        Window(value, None)  # type: ignore[arg-type]


def test_window_is_half_open() -> None:
    w = Window(at(2026, 11, 11, 10), at(2026, 11, 11, 10, 30))
    assert w.contains(at(2026, 11, 11, 10))
    assert w.contains(at(2026, 11, 11, 10, 29, 59, 999999))
    assert not w.contains(at(2026, 11, 11, 10, 30))
    assert w.is_before(at(2026, 11, 11, 10, 30)) and w.is_after(at(2026, 11, 11, 9))
    assert w.remaining(at(2026, 11, 11, 10, 20)).in_minutes() == 10
    assert w.remaining(at(2026, 11, 11, 11)).in_seconds() == 0
    assert w.duration is not None and w.duration.in_minutes() == 30
    with pytest.raises(InvalidPolicyError, match="must be after start"):
        Window(at(2026, 11, 11, 10), at(2026, 11, 11, 10))


def test_window_overlap_and_intersection_across_zones() -> None:
    a = Window(at(2026, 11, 11, 10), at(2026, 11, 11, 12))
    b = Window(at(2026, 11, 11, 3, tz="UTC"), None)  # 11:00 in Shanghai
    assert a.overlaps(b) and b.overlaps(a)
    assert a.intersect(b) == Window(at(2026, 11, 11, 11), at(2026, 11, 11, 12))
    assert a.intersect(Window(at(2026, 11, 12), at(2026, 11, 13))) is None
    assert Window(at(2026, 1, 1)).remaining(at(2026, 2, 1)) is None


def test_daily_slot_ten_to_ten_thirty() -> None:
    slot = DailySlot(dt.time(10), dt.time(10, 30))
    assert slot.contains(at(2026, 11, 11, 10, 29, 59, 999000))
    assert not slot.contains(at(2026, 11, 11, 10, 30))
    assert slot.next_start(at(2026, 11, 11, 9, 59)) == at(2026, 11, 11, 10)
    assert slot.next_start(at(2026, 11, 11, 10, 5)) == at(2026, 11, 12, 10)
    assert slot.countdown(at(2026, 11, 11, 9, 0)).in_minutes() == 60
    assert slot.countdown(at(2026, 11, 11, 10, 1)).in_seconds() == 0
    # 02:00 UTC is 10:00 in Shanghai.
    assert slot.contains(at(2026, 11, 11, 2, 15, tz="UTC"))


def test_daily_slot_crossing_midnight_and_weekdays() -> None:
    night = DailySlot(dt.time(22), dt.time(2))
    assert night.contains(at(2026, 11, 12, 1, 59))
    assert night.occurrence_at(at(2026, 11, 12, 1)) == Window(
        at(2026, 11, 11, 22), at(2026, 11, 12, 2)
    )
    weekend = DailySlot(dt.time(20), dt.time(20, 30), weekdays=frozenset({6, 7}))
    # 2026-11-11 is a Wednesday; the next slot is Saturday 14th.
    assert weekend.next_start(at(2026, 11, 11, 21)) == at(2026, 11, 14, 20)
    with pytest.raises(InvalidPolicyError):
        DailySlot(dt.time(10), dt.time(10))
    with pytest.raises(InvalidPolicyError):
        DailySlot(dt.time(10), dt.time(11), weekdays=frozenset({0}))
    with pytest.raises(InvalidValueError, match="unknown time zone"):
        DailySlot(dt.time(10), dt.time(11), tz="Mars/Olympus")


@given(aware_datetimes(tz=None))
def test_next_occurrence_is_open_or_ahead(now: pendulum.DateTime) -> None:
    slot = DailySlot(dt.time(10), dt.time(10, 30))
    w = slot.next_occurrence(now)
    assert w.contains(now) or w.start > now
    assert (w.start - now).in_hours() <= 24
    assert slot.countdown(now).in_seconds() >= 0


def test_coupon_valid_seven_days_from_claim() -> None:
    v = DaysAfterClaim(7).window_for(at(2026, 11, 26, 15))
    assert v == Window(at(2026, 11, 26, 15), at(2026, 12, 3))
    v2 = DaysAfterClaim(7, claim_day_counts=False).window_for(at(2026, 11, 26, 15))
    assert v2.end == at(2026, 12, 4)
    nextday = DaysAfterClaim(1, starts_after_days=1).window_for(at(2026, 11, 26, 23, 59))
    assert nextday == Window(at(2026, 11, 27), at(2026, 11, 28))
    # Claimed at 23:30 UTC is already the next day in Shanghai.
    assert DaysAfterClaim(1).window_for(at(2026, 11, 26, 23, 30, tz="UTC")).end == at(2026, 11, 28)
    fixed = FixedValidity(Window(at(2026, 11, 1), at(2026, 12, 1)))
    assert fixed.window_for(at(2026, 11, 20)) == fixed.window
    with pytest.raises(InvalidPolicyError):
        DaysAfterClaim(0)


def test_calendar_periods() -> None:
    t = at(2026, 11, 11, 15)  # Wednesday
    assert period_containing(PeriodKind.DAY, t) == Window(at(2026, 11, 11), at(2026, 11, 12))
    assert period_containing(PeriodKind.WEEK, t) == Window(at(2026, 11, 9), at(2026, 11, 16))
    assert period_containing(PeriodKind.WEEK, t, week_start=7).start == at(2026, 11, 8)
    assert period_containing(PeriodKind.MONTH, t) == Window(at(2026, 11, 1), at(2026, 12, 1))
    assert period_containing(PeriodKind.QUARTER, t) == Window(at(2026, 10, 1), at(2027, 1, 1))
    assert period_containing(PeriodKind.YEAR, t) == Window(at(2026, 1, 1), at(2027, 1, 1))
    assert period_containing(PeriodKind.MONTH, at(2026, 12, 31, 23)).end == at(2027, 1, 1)
    assert RollingDays(30).window_ending(t).start == at(2026, 10, 12, 15)
    assert local_date(at(2026, 11, 11, 17, tz="UTC")) == dt.date(2026, 11, 12)
    with pytest.raises(InvalidPolicyError):
        period_containing(PeriodKind.WEEK, t, week_start=8)


@given(aware_datetimes(tz=None), st.sampled_from(list(PeriodKind)))
def test_period_contains_its_instant(t: pendulum.DateTime, kind: PeriodKind) -> None:
    w = period_containing(kind, t)
    assert w.contains(t)


def test_member_day_and_week() -> None:
    day18 = MemberDay(day_of_month=18)
    assert day18.is_member_day(at(2026, 11, 18, 23, 59))
    assert not day18.is_member_day(at(2026, 11, 18, 16, tz="UTC"))  # 00:00 on the 19th in Shanghai
    last = MemberDay(day_of_month=31)
    assert last.is_member_day(at(2026, 2, 28, 12))
    wednesdays = MemberDay(weekday=3)
    assert wednesdays.window_containing(at(2026, 11, 11, 9)) == Window(
        at(2026, 11, 11), at(2026, 11, 12)
    )
    assert wednesdays.window_containing(at(2026, 11, 12, 9)) is None
    with pytest.raises(InvalidPolicyError):
        MemberDay()
    with pytest.raises(InvalidPolicyError):
        MemberDay(day_of_month=1, weekday=1)
    with pytest.raises(InvalidPolicyError):
        MemberDay(weekday=9)
    week = MemberWeek(start_day=1, length_days=7)
    assert week.contains(at(2026, 11, 7, 23))
    assert not week.contains(at(2026, 11, 8))
    late = MemberWeek(start_day=28, length_days=7)
    assert late.window_containing(at(2026, 12, 2)) == Window(at(2026, 11, 28), at(2026, 12, 5))
    with pytest.raises(InvalidPolicyError):
        MemberWeek(start_day=30)
