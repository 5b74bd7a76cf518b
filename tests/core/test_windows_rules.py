"""Time rules pinned by mutation testing (`python scripts/mutation.py src/sirui/core/windows.py`).

Every boundary is stated at the exact instant: windows are half-open, a
calendar rule is evaluated in the store's zone, and each refusal names the
field it is about.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pendulum
import pytest

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
    zone,
)

SH = "Asia/Shanghai"


def at(*args: int, tz: str = SH) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=tz)


def assert_refusal(error: BaseException, field: str, value: object, rule: str) -> None:
    """The whole message: the field, the value as given, and the rule broken."""
    assert isinstance(error, InvalidPolicyError)
    assert (error.field, error.value) == (field, value)
    assert str(error) == f"{field}={value!r}: {rule}"


# -- zones and aware datetimes ---------------------------------------------------------


def test_an_unknown_zone_is_refused_naming_tz() -> None:
    with pytest.raises(InvalidValueError) as info:
        zone("Mars/Olympus")
    assert info.value.field == "tz" and info.value.value == "Mars/Olympus"
    assert "tz='Mars/Olympus': unknown time zone; use an IANA name such as 'Asia/Shanghai'" in str(
        info.value
    )


def test_a_zone_that_is_not_text_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        DailySlot(dt.time(10), dt.time(11), tz=8)  # type: ignore[arg-type]
    assert info.value.field == "tz" and info.value.value == 8
    assert "must be an IANA zone name like 'Asia/Shanghai'" in str(info.value)


def test_a_naive_datetime_is_refused_with_the_argument_and_an_example() -> None:
    naive = dt.datetime(2026, 11, 11, 10)
    with pytest.raises(NaiveDatetimeError) as info:
        aware(naive, "paid_at")
    message = str(info.value)
    assert message.startswith("paid_at=datetime.datetime(2026, 11, 11, 10, 0): ")
    assert "datetime has no time zone; pass an aware datetime, e.g. " in message
    assert "pendulum.datetime(2026, 11, 11, 10, tz='Asia/Shanghai')" in message
    with pytest.raises(NaiveDatetimeError, match=r"^now="):
        aware(naive)
    with pytest.raises(NaiveDatetimeError) as info:
        aware(pendulum.naive(2026, 11, 11, 10), "paid_at")
    assert str(info.value).startswith("paid_at=")


def test_a_value_that_is_no_datetime_is_refused_naming_its_type() -> None:
    with pytest.raises(NaiveDatetimeError) as info:
        aware("2026-11-11", "paid_at")
    assert str(info.value) == "paid_at='2026-11-11': expected a tz-aware datetime, got str"


def test_a_datetime_whose_zone_gives_no_offset_is_naive() -> None:
    class NoOffset(dt.tzinfo):
        def utcoffset(self, _d: dt.datetime | None) -> None:
            return None

    with pytest.raises(NaiveDatetimeError):
        aware(dt.datetime(2026, 11, 11, tzinfo=NoOffset()))


def test_a_standard_aware_datetime_becomes_a_pendulum_one_at_the_same_instant() -> None:
    value = dt.datetime(2026, 11, 11, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    got = aware(value)
    assert isinstance(got, pendulum.DateTime) and got == at(2026, 11, 11, 10)


def test_a_window_names_a_naive_bound_as_datetime() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"^datetime="):
        Window(dt.datetime(2026, 11, 11))  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError, match=r"^datetime="):
        Window(at(2026, 11, 11), dt.datetime(2026, 11, 12))  # type: ignore[arg-type]


def test_the_local_date_is_the_stores_date() -> None:
    # 2026-11-10 17:00 UTC is already the 11th in Shanghai.
    t = at(2026, 11, 10, 17, tz="UTC")
    assert local_date(t) == pendulum.date(2026, 11, 11)
    assert local_date(t, "UTC") == pendulum.date(2026, 11, 10)
    with pytest.raises(NaiveDatetimeError, match=r"^t="):
        local_date(dt.datetime(2026, 11, 11))  # type: ignore[arg-type]


# -- windows ---------------------------------------------------------------------------


def test_a_window_must_end_after_it_starts() -> None:
    start = at(2026, 11, 11, 10)
    with pytest.raises(InvalidPolicyError) as info:
        Window(start, start)
    assert info.value.field == "end" and info.value.value == start
    assert "must be after start=" in str(info.value) and "swap start and end" in str(info.value)
    assert Window(start, start.add(microseconds=1)).duration == pendulum.duration(microseconds=1)


def test_a_window_is_open_at_its_start_and_closed_at_its_end() -> None:
    w = Window(at(2026, 11, 11, 10), at(2026, 11, 11, 10, 30))
    assert w.contains(at(2026, 11, 11, 10))
    assert not w.contains(at(2026, 11, 11, 10).subtract(microseconds=1))
    assert not w.contains(at(2026, 11, 11, 10, 30))
    assert not w.is_after(at(2026, 11, 11, 10)) and w.is_after(at(2026, 11, 11, 9, 59))
    assert w.is_before(at(2026, 11, 11, 10, 30))
    assert not w.is_before(at(2026, 11, 11, 10, 30).subtract(microseconds=1))
    open_ended = Window(at(2026, 11, 11, 10))
    assert open_ended.contains(at(2099, 1, 1)) and not open_ended.is_before(at(2099, 1, 1))
    assert open_ended.duration is None and open_ended.remaining(at(2026, 11, 11, 11)) is None
    with pytest.raises(NaiveDatetimeError, match=r"^t="):
        w.contains(dt.datetime(2026, 11, 11, 10, 5))  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError, match=r"^t="):
        w.is_before(dt.datetime(2026, 11, 11, 10, 5))  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError, match=r"^t="):
        w.is_after(dt.datetime(2026, 11, 11, 10, 5))  # type: ignore[arg-type]


def test_time_remaining_counts_from_the_start_and_is_zero_at_the_end() -> None:
    w = Window(at(2026, 11, 11, 10), at(2026, 11, 11, 10, 30))
    assert w.remaining(at(2026, 11, 11, 9)) == pendulum.duration(minutes=30)
    assert w.remaining(at(2026, 11, 11, 10, 20)) == pendulum.duration(minutes=10)
    assert w.remaining(at(2026, 11, 11, 10, 30)) == pendulum.duration()
    assert w.remaining(at(2026, 11, 11, 12)) == pendulum.duration()
    assert w.duration == pendulum.duration(minutes=30)


def test_windows_that_only_touch_do_not_overlap() -> None:
    a = Window(at(2026, 11, 11, 10), at(2026, 11, 11, 11))
    b = Window(at(2026, 11, 11, 11), at(2026, 11, 11, 12))
    assert not a.overlaps(b) and not b.overlaps(a)
    assert a.intersect(b) is None and b.intersect(a) is None
    c = Window(at(2026, 11, 11, 10, 59), at(2026, 11, 11, 12))
    assert a.overlaps(c) and c.overlaps(a)
    assert a.intersect(c) == Window(at(2026, 11, 11, 10, 59), at(2026, 11, 11, 11))
    assert c.intersect(a) == Window(at(2026, 11, 11, 10, 59), at(2026, 11, 11, 11))


def test_an_open_ended_window_overlaps_what_comes_after_it() -> None:
    a = Window(at(2026, 11, 11, 10))
    b = Window(at(2026, 11, 12, 10), at(2026, 11, 13))
    c = Window(at(2026, 11, 1), at(2026, 11, 11, 10))
    assert a.overlaps(b) and b.overlaps(a)
    assert not a.overlaps(c) and not c.overlaps(a)
    assert a.intersect(b) == b and b.intersect(a) == b
    assert a.intersect(Window(at(2026, 11, 12))) == Window(at(2026, 11, 12))
    assert a.intersect(Window(at(2026, 11, 1), at(2026, 11, 12))) == Window(
        at(2026, 11, 11, 10), at(2026, 11, 12)
    )


# -- daily slots ----------------------------------------------------------------------


def test_a_daily_slot_needs_plain_times_of_different_values() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        DailySlot(dt.time(10), dt.time(10))
    assert info.value.field == "end"
    assert "must differ from start; a slot needs a duration" in str(info.value)
    with pytest.raises(InvalidPolicyError) as info:
        DailySlot(dt.time(10, tzinfo=dt.UTC), dt.time(11))
    assert info.value.field == "start"
    assert "must be a datetime.time without tzinfo (zone is `tz`)" in str(info.value)
    with pytest.raises(InvalidPolicyError) as info:
        DailySlot(dt.time(10), "11:00")  # type: ignore[arg-type]
    assert info.value.field == "end"


def test_weekdays_are_a_non_empty_subset_of_one_to_seven() -> None:
    for bad in (frozenset(), frozenset({0}), frozenset({8}), frozenset({1, 8})):
        with pytest.raises(InvalidPolicyError) as info:
            DailySlot(dt.time(10), dt.time(11), weekdays=bad)
        assert info.value.field == "weekdays" and info.value.value == sorted(bad)
        assert "must be a non-empty subset of 1..7 (Mon=1)" in str(info.value)
    assert DailySlot(dt.time(10), dt.time(11), weekdays={1, 7}).weekdays == frozenset({1, 7})


def test_a_slot_opens_and_closes_at_the_second_and_microsecond() -> None:
    slot = DailySlot(dt.time(10, 0, 5, 7), dt.time(10, 30, 9, 11))
    # 2026-11-11 is a Wednesday.
    w = slot.next_occurrence(at(2026, 11, 11, 9))
    assert w.start == at(2026, 11, 11, 10, 0, 5, 7) and w.end == at(2026, 11, 11, 10, 30, 9, 11)
    assert slot.contains(at(2026, 11, 11, 10, 0, 5, 7))
    assert not slot.contains(at(2026, 11, 11, 10, 0, 5, 6))
    assert not slot.contains(at(2026, 11, 11, 10, 30, 9, 11))
    assert slot.contains(at(2026, 11, 11, 10, 30, 9, 10))


def test_a_slot_crossing_midnight_belongs_to_the_weekday_it_opened_on() -> None:
    # 22:00-02:00 on Wednesdays only: open on Thursday 01:00, closed on Wednesday 01:00.
    slot = DailySlot(dt.time(22), dt.time(2), weekdays={3})
    assert slot.occurrence_at(at(2026, 11, 12, 1)) == Window(
        at(2026, 11, 11, 22), at(2026, 11, 12, 2)
    )
    assert slot.occurrence_at(at(2026, 11, 11, 1)) is None
    assert slot.occurrence_at(at(2026, 11, 12, 2)) is None
    assert slot.occurrence_at(at(2026, 11, 11, 23)) == Window(
        at(2026, 11, 11, 22), at(2026, 11, 12, 2)
    )


def test_the_next_occurrence_skips_to_the_next_allowed_weekday() -> None:
    slot = DailySlot(dt.time(10), dt.time(11), weekdays={1})  # Mondays
    # Wednesday 2026-11-11 12:00 -> Monday 2026-11-16 10:00.
    assert slot.next_occurrence(at(2026, 11, 11, 12)) == Window(
        at(2026, 11, 16, 10), at(2026, 11, 16, 11)
    )
    # Monday after the slot closed -> next Monday, seven days on.
    assert slot.next_occurrence(at(2026, 11, 16, 11)).start == at(2026, 11, 23, 10)
    # Exactly at the opening instant: that occurrence.
    assert slot.next_occurrence(at(2026, 11, 16, 10)).start == at(2026, 11, 16, 10)
    daily = DailySlot(dt.time(10), dt.time(11))
    assert daily.next_occurrence(at(2026, 11, 11, 9, 59)).start == at(2026, 11, 11, 10)
    assert daily.next_occurrence(at(2026, 11, 11, 11)).start == at(2026, 11, 12, 10)


def test_the_next_start_while_open_is_the_following_opening() -> None:
    slot = DailySlot(dt.time(10), dt.time(11))
    assert slot.next_start(at(2026, 11, 11, 10)) == at(2026, 11, 11, 10)
    assert slot.next_start(at(2026, 11, 11, 10, 30)) == at(2026, 11, 12, 10)
    assert slot.next_start(at(2026, 11, 11, 9)) == at(2026, 11, 11, 10)


def test_the_countdown_is_zero_while_open_and_counts_down_before() -> None:
    slot = DailySlot(dt.time(10), dt.time(11))
    assert slot.countdown(at(2026, 11, 11, 9, 45)) == pendulum.duration(minutes=15)
    assert slot.countdown(at(2026, 11, 11, 10)) == pendulum.duration()
    assert slot.countdown(at(2026, 11, 11, 10, 59)) == pendulum.duration()
    assert slot.countdown(at(2026, 11, 11, 11)) == pendulum.duration(hours=23)


def test_a_slot_is_read_in_its_own_zone() -> None:
    slot = DailySlot(dt.time(10), dt.time(11), tz="UTC")
    assert slot.contains(at(2026, 11, 11, 10, 30, tz="UTC"))
    assert not slot.contains(at(2026, 11, 11, 10, 30))  # 02:30 UTC


# -- validity -------------------------------------------------------------------------


def test_a_fixed_validity_is_its_window_whenever_claimed_but_never_naive() -> None:
    w = Window(at(2026, 11, 1), at(2026, 12, 1))
    assert FixedValidity(w).window_for(at(2027, 1, 1)) == w
    with pytest.raises(NaiveDatetimeError, match=r"^claimed_at="):
        FixedValidity(w).window_for(dt.datetime(2026, 11, 2))  # type: ignore[arg-type]


def test_days_after_claim_counts_the_claim_day_or_not() -> None:
    claimed = at(2026, 11, 26, 15)
    assert DaysAfterClaim(7).window_for(claimed) == Window(claimed, at(2026, 12, 3))
    assert DaysAfterClaim(7, claim_day_counts=False).window_for(claimed) == Window(
        claimed, at(2026, 12, 4)
    )
    assert DaysAfterClaim(1).window_for(claimed) == Window(claimed, at(2026, 11, 27))
    with pytest.raises(NaiveDatetimeError, match=r"^claimed_at="):
        DaysAfterClaim(7).window_for(dt.datetime(2026, 11, 2))  # type: ignore[arg-type]


def test_valid_from_the_next_day_starts_at_that_days_midnight() -> None:
    claimed = at(2026, 11, 26, 15)
    assert DaysAfterClaim(7, starts_after_days=1).window_for(claimed) == Window(
        at(2026, 11, 27), at(2026, 12, 4)
    )
    assert DaysAfterClaim(3, starts_after_days=2, claim_day_counts=False).window_for(
        claimed
    ) == Window(at(2026, 11, 28), at(2026, 12, 2))


def test_days_after_claim_ends_at_midnight_in_its_own_zone() -> None:
    claimed = at(2026, 11, 26, 15)  # 07:00 UTC
    assert DaysAfterClaim(1, tz="UTC").window_for(claimed).end == at(2026, 11, 27, tz="UTC")


def test_days_must_be_at_least_one_and_the_delay_at_least_zero() -> None:
    for bad in (0, -1, True, "7"):
        with pytest.raises(InvalidPolicyError) as info:
            DaysAfterClaim(bad)  # type: ignore[arg-type]
        assert info.value.field == "days" and "must be an int >= 1" in str(info.value)
    for bad in (-1, True, "1"):
        with pytest.raises(InvalidPolicyError) as info:
            DaysAfterClaim(1, starts_after_days=bad)  # type: ignore[arg-type]
        assert info.value.field == "starts_after_days"
        assert "must be an int >= 0" in str(info.value)
    assert DaysAfterClaim(1, starts_after_days=0).starts_after_days == 0
    with pytest.raises(InvalidPolicyError, match="days"):
        RollingDays(0)


# -- calendar periods -----------------------------------------------------------------


def test_a_week_starts_on_the_chosen_weekday() -> None:
    wed = at(2026, 11, 11, 12)
    assert period_containing(PeriodKind.WEEK, wed) == Window(at(2026, 11, 9), at(2026, 11, 16))
    assert period_containing(PeriodKind.WEEK, wed, week_start=7) == Window(
        at(2026, 11, 8), at(2026, 11, 15)
    )
    assert period_containing(PeriodKind.WEEK, wed, week_start=3) == Window(
        at(2026, 11, 11), at(2026, 11, 18)
    )
    for bad in (0, 8):
        with pytest.raises(InvalidPolicyError) as info:
            period_containing(PeriodKind.WEEK, wed, week_start=bad)
        assert info.value.field == "week_start" and "must be an ISO weekday 1..7" in str(info.value)


def test_months_quarters_and_years_run_midnight_to_midnight_in_the_store_zone() -> None:
    t = at(2026, 12, 31, 23, 59)
    assert period_containing(PeriodKind.DAY, t) == Window(at(2026, 12, 31), at(2027, 1, 1))
    assert period_containing(PeriodKind.MONTH, t) == Window(at(2026, 12, 1), at(2027, 1, 1))
    assert period_containing(PeriodKind.QUARTER, t) == Window(at(2026, 10, 1), at(2027, 1, 1))
    assert period_containing(PeriodKind.YEAR, t) == Window(at(2026, 1, 1), at(2027, 1, 1))
    jan = at(2026, 1, 31)
    assert period_containing(PeriodKind.MONTH, jan) == Window(at(2026, 1, 1), at(2026, 2, 1))
    assert period_containing(PeriodKind.QUARTER, jan) == Window(at(2026, 1, 1), at(2026, 4, 1))
    assert period_containing(PeriodKind.QUARTER, at(2026, 3, 31)).end == at(2026, 4, 1)
    assert period_containing(PeriodKind.QUARTER, at(2026, 4, 1)) == Window(
        at(2026, 4, 1), at(2026, 7, 1)
    )
    assert period_containing(PeriodKind.QUARTER, at(2026, 9, 30)) == Window(
        at(2026, 7, 1), at(2026, 10, 1)
    )
    utc = period_containing(PeriodKind.DAY, t, "UTC")
    assert utc == Window(at(2026, 12, 31, tz="UTC"), at(2027, 1, 1, tz="UTC"))


def test_a_rolling_window_ends_now_and_reaches_back_n_days() -> None:
    now = at(2026, 11, 11, 10)
    assert RollingDays(30).window_ending(now) == Window(at(2026, 10, 12, 10), now)
    with pytest.raises(NaiveDatetimeError, match=r"^now="):
        RollingDays(3).window_ending(dt.datetime(2026, 11, 11))  # type: ignore[arg-type]


# -- member days and weeks -------------------------------------------------------------


def test_a_member_day_is_exactly_one_of_a_date_or_a_weekday() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        MemberDay()
    assert info.value.field == "day_of_month"
    assert "set exactly one of day_of_month (e.g. 18) or weekday (e.g. 3)" in str(info.value)
    with pytest.raises(InvalidPolicyError):
        MemberDay(day_of_month=18, weekday=3)
    for bad in (0, 32):
        with pytest.raises(InvalidPolicyError) as info:
            MemberDay(day_of_month=bad)
        assert info.value.field == "day_of_month" and "must be 1..31" in str(info.value)
    for bad in (0, 8):
        with pytest.raises(InvalidPolicyError) as info:
            MemberDay(weekday=bad)
        assert info.value.field == "weekday"
        assert "must be an ISO weekday 1..7 (Mon=1)" in str(info.value)
    assert MemberDay(day_of_month=1).day_of_month == 1
    assert MemberDay(day_of_month=31).day_of_month == 31
    assert MemberDay(weekday=1).weekday == 1 and MemberDay(weekday=7).weekday == 7


def test_the_thirty_first_falls_on_the_last_day_of_a_short_month() -> None:
    day = MemberDay(day_of_month=31)
    assert day.is_member_day(at(2026, 2, 28, 12))
    assert not day.is_member_day(at(2026, 2, 27, 12))
    assert day.is_member_day(at(2026, 12, 31)) and not day.is_member_day(at(2026, 12, 30))
    assert day.window_containing(at(2026, 2, 28, 12)) == Window(at(2026, 2, 28), at(2026, 3, 1))
    assert day.window_containing(at(2026, 2, 27, 12)) is None
    assert MemberDay(day_of_month=18).is_member_day(at(2026, 2, 18))


def test_a_weekly_member_day_is_read_in_the_store_zone() -> None:
    wednesday = MemberDay(weekday=3)
    assert wednesday.is_member_day(at(2026, 11, 11))
    assert not wednesday.is_member_day(at(2026, 11, 12))
    # Tuesday 17:00 UTC is Wednesday 01:00 in Shanghai.
    assert wednesday.is_member_day(at(2026, 11, 10, 17, tz="UTC"))
    assert not MemberDay(weekday=3, tz="UTC").is_member_day(at(2026, 11, 10, 17, tz="UTC"))


def test_a_member_week_runs_length_days_from_its_start_day() -> None:
    week = MemberWeek(start_day=25, length_days=10)
    # The 25th of October to the 3rd of November, inclusive: ten days.
    assert week.window_containing(at(2026, 10, 25)) == Window(at(2026, 10, 25), at(2026, 11, 4))
    assert week.window_containing(at(2026, 11, 3, 23)) == Window(at(2026, 10, 25), at(2026, 11, 4))
    assert not week.contains(at(2026, 11, 4)) and week.contains(at(2026, 11, 3, 23, 59))
    assert week.contains(at(2026, 11, 25)) and not week.contains(at(2026, 11, 24, 23, 59))
    first = MemberWeek()
    assert first.window_containing(at(2026, 11, 7)) == Window(at(2026, 11, 1), at(2026, 11, 8))
    assert not first.contains(at(2026, 11, 8))


def test_a_member_week_starts_on_a_day_every_month_has_and_lasts_at_most_28_days() -> None:
    for bad in (0, 29):
        with pytest.raises(InvalidPolicyError) as info:
            MemberWeek(start_day=bad)
        assert info.value.field == "start_day"
        assert "must be 1..28 so every month has it" in str(info.value)
    with pytest.raises(InvalidPolicyError) as info:
        MemberWeek(length_days=29)
    assert info.value.field == "length_days" and "must be <= 28" in str(info.value)
    assert MemberWeek(start_day=28, length_days=28).length_days == 28
    assert MemberWeek(start_day=1).start_day == 1


# -- whole refusal messages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "value", "rule"),
    [
        (
            lambda: DailySlot(dt.time(10), dt.time(11), tz=8),
            "tz",
            8,
            "must be an IANA zone name like 'Asia/Shanghai'",
        ),
        (
            lambda: DailySlot(dt.time(10), dt.time(11), weekdays={0, 3}),
            "weekdays",
            [0, 3],
            "must be a non-empty subset of 1..7 (Mon=1)",
        ),
        (lambda: DaysAfterClaim(0), "days", 0, "must be an int >= 1"),
        (
            lambda: DaysAfterClaim(1, starts_after_days=-2),
            "starts_after_days",
            -2,
            "must be an int >= 0",
        ),
        (
            lambda: period_containing(PeriodKind.WEEK, at(2026, 11, 11), week_start=8),
            "week_start",
            8,
            "must be an ISO weekday 1..7",
        ),
        (
            lambda: DailySlot(dt.time(10), "11:00"),
            "end",
            "11:00",
            "must be a datetime.time without tzinfo (zone is `tz`)",
        ),
        (
            lambda: DailySlot(dt.time(10), dt.time(10)),
            "end",
            dt.time(10),
            "must differ from start; a slot needs a duration",
        ),
        (lambda: MemberDay(day_of_month=32), "day_of_month", 32, "must be 1..31"),
        (lambda: MemberDay(weekday=0), "weekday", 0, "must be an ISO weekday 1..7 (Mon=1)"),
        (
            lambda: MemberWeek(start_day=29),
            "start_day",
            29,
            "must be 1..28 so every month has it",
        ),
        (lambda: MemberWeek(length_days=29), "length_days", 29, "must be <= 28"),
        (
            lambda: Window(at(2026, 11, 11, 10), at(2026, 11, 11, 10)),
            "end",
            at(2026, 11, 11, 10),
            "must be after start=2026-11-11 10:00:00+08:00; swap start and end",
        ),
    ],
)
def test_a_refusal_is_field_value_and_rule(
    build: object, field: str, value: object, rule: str
) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        build()  # type: ignore[operator]
    assert_refusal(info.value, field, value, rule)


def test_member_day_needs_exactly_one_of_its_two_fields_says_so() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        MemberDay()
    assert str(info.value) == (
        "MemberDay: set exactly one of day_of_month (e.g. 18) or weekday (e.g. 3)"
    )


def test_a_naive_pendulum_datetime_is_shown_in_the_refusal() -> None:
    with pytest.raises(NaiveDatetimeError) as info:
        aware(pendulum.naive(2026, 11, 11, 10), "paid_at")
    assert str(info.value).startswith("paid_at=DateTime(2026, 11, 11, 10, 0, 0): datetime has no")


def test_a_datetime_in_an_iana_zone_is_aware() -> None:
    value = dt.datetime(2026, 11, 11, 10, tzinfo=ZoneInfo(SH))
    assert aware(value) == at(2026, 11, 11, 10)


# -- calendar rules in a zone other than the default ------------------------------------
# 2026-11-10 17:00 UTC is already 2026-11-11 01:00 in Shanghai.
LATE_UTC = (2026, 11, 10, 17)


def test_a_period_is_the_calendar_period_of_its_own_zone() -> None:
    t = at(*LATE_UTC, tz="UTC")
    assert period_containing(PeriodKind.DAY, t, "UTC") == Window(
        at(2026, 11, 10, tz="UTC"), at(2026, 11, 11, tz="UTC")
    )


def test_a_slot_in_utc_opens_by_the_utc_date() -> None:
    # 23:00-20:00 UTC crosses midnight: the one that opened on the 9th is open at 17:00 on the 10th.
    long_slot = DailySlot(dt.time(23), dt.time(20), tz="UTC")
    assert long_slot.occurrence_at(at(*LATE_UTC, tz="UTC")) == Window(
        at(2026, 11, 9, 23, tz="UTC"), at(2026, 11, 10, 20, tz="UTC")
    )
    evening = DailySlot(dt.time(20), dt.time(21), tz="UTC")
    assert evening.next_occurrence(at(*LATE_UTC, tz="UTC")) == Window(
        at(2026, 11, 10, 20, tz="UTC"), at(2026, 11, 10, 21, tz="UTC")
    )


def test_a_slot_opens_at_its_minute() -> None:
    slot = DailySlot(dt.time(10, 30), dt.time(11, 15))
    assert slot.next_occurrence(at(2026, 11, 11, 9)) == Window(
        at(2026, 11, 11, 10, 30), at(2026, 11, 11, 11, 15)
    )
    assert not slot.contains(at(2026, 11, 11, 10, 29))


def test_days_after_claim_counts_days_in_its_own_zone() -> None:
    claimed = at(*LATE_UTC, tz="UTC")
    assert DaysAfterClaim(1, tz="UTC").window_for(claimed) == Window(
        claimed, at(2026, 11, 11, tz="UTC")
    )


def test_a_member_day_window_is_the_day_in_its_own_zone() -> None:
    tuesday_utc = MemberDay(weekday=2, tz="UTC")  # the 10th is a Tuesday
    assert tuesday_utc.window_containing(at(*LATE_UTC, tz="UTC")) == Window(
        at(2026, 11, 10, tz="UTC"), at(2026, 11, 11, tz="UTC")
    )


def test_a_member_week_is_read_in_its_own_zone() -> None:
    eleventh = MemberWeek(start_day=11, length_days=1, tz="UTC")
    assert eleventh.window_containing(at(*LATE_UTC, tz="UTC")) is None
    assert eleventh.contains(at(2026, 11, 11, 17, tz="UTC"))
