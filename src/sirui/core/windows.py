"""Time that is never naive: windows, daily slots, validity rules and periods.

Invariants:

* every datetime sirui accepts carries a zone; a naive one raises
  `NaiveDatetimeError` naming the argument (sirui never guesses a zone);
* windows are half-open, ``[start, end)``: a slot ending at 10:30 is closed at
  10:30:00.000 and open at 10:29:59.999999;
* calendar rules (end of day, member day, month, year) are evaluated in the
  store's zone, ``Asia/Shanghai`` by default and overridable everywhere;
* nothing here reads a clock: ``now`` is always an argument.
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import lru_cache
from typing import Final

import attrs
import pendulum
from pendulum import DateTime, Duration

from sirui.core.errors import InvalidPolicyError, InvalidValueError, NaiveDatetimeError, invalid
from sirui.core.registry import policy, policy_family

__all__ = [
    "DEFAULT_TZ",
    "DailySlot",
    "DateTime",
    "DaysAfterClaim",
    "Duration",
    "FixedValidity",
    "MemberDay",
    "MemberWeek",
    "PeriodKind",
    "RollingDays",
    "Validity",
    "Window",
    "aware",
    "local_date",
    "period_containing",
    "tz_name",
    "zone",
]

DEFAULT_TZ: Final = "Asia/Shanghai"


@lru_cache(maxsize=64)
def zone(name: str) -> pendulum.Timezone | pendulum.FixedTimezone:
    """The pendulum zone for an IANA name; unknown names raise `InvalidValueError`."""
    try:
        return pendulum.timezone(name)
    except Exception:
        raise InvalidValueError(
            f"tz={name!r}: unknown time zone; use an IANA name such as 'Asia/Shanghai'",
            field="tz",
            value=name,
        ) from None


def tz_name(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    """attrs validator: an IANA time zone name this machine knows (``"Asia/Shanghai"``)."""
    if not isinstance(value, str):
        raise invalid(attribute.name, value, "must be an IANA zone name like 'Asia/Shanghai'")
    zone(value)


def aware(value: object, field: str = "now") -> DateTime:
    """Return ``value`` as a tz-aware pendulum DateTime, refusing naive ones.

    Accepts a pendulum DateTime or a standard ``datetime`` with a zone.
    """
    if isinstance(value, DateTime):
        if value.tzinfo is None:
            raise NaiveDatetimeError(_naive_msg(field, value))
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise NaiveDatetimeError(_naive_msg(field, value))
        return pendulum.instance(value)
    raise NaiveDatetimeError(
        f"{field}={value!r}: expected a tz-aware datetime, got {type(value).__name__}"
    )


def _naive_msg(field: str, value: object) -> str:
    return (
        f"{field}={value!r}: datetime has no time zone; pass an aware datetime, e.g. "
        f"pendulum.datetime(2026, 11, 11, 10, tz='Asia/Shanghai')"
    )


def _to_aware(value: object) -> DateTime:
    return aware(value, "datetime")


def _to_aware_opt(value: object) -> DateTime | None:
    return None if value is None else aware(value, "datetime")


def local_date(t: DateTime, tz: str = DEFAULT_TZ) -> pendulum.Date:
    """The calendar date of ``t`` in zone ``tz``."""
    return aware(t, "t").in_timezone(zone(tz)).date()


def _start_of_day(d: dt.date, tz: str) -> DateTime:
    return pendulum.datetime(d.year, d.month, d.day, tz=zone(tz))


@attrs.frozen(slots=True)
class Window:
    """A half-open time window ``[start, end)``; ``end=None`` means open-ended.

    >>> import pendulum
    >>> w = Window(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"),
    ...            pendulum.datetime(2026, 11, 11, 10, 30, tz="Asia/Shanghai"))
    >>> w.contains(pendulum.datetime(2026, 11, 11, 10, 30, tz="Asia/Shanghai"))
    False
    """

    start: DateTime = attrs.field(converter=_to_aware)
    end: DateTime | None = attrs.field(default=None, converter=_to_aware_opt)

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise invalid(
                "end", self.end, f"must be after start={self.start}", "swap start and end"
            )

    def contains(self, t: DateTime) -> bool:
        t = aware(t, "t")
        return self.start <= t and (self.end is None or t < self.end)

    __contains__ = contains

    def is_before(self, t: DateTime) -> bool:
        """True if the window has ended at ``t``."""
        return self.end is not None and aware(t, "t") >= self.end

    def is_after(self, t: DateTime) -> bool:
        """True if the window has not started at ``t``."""
        return aware(t, "t") < self.start

    @property
    def duration(self) -> Duration | None:
        return None if self.end is None else self.end - self.start

    def remaining(self, now: DateTime) -> Duration | None:
        """Time left until the end (zero once ended, None if open-ended)."""
        now = aware(now)
        if self.end is None:
            return None
        # pragma: no mutate block (equivalent: at the end both branches give zero)
        return pendulum.duration() if now >= self.end else self.end - max(now, self.start)

    def overlaps(self, other: Window) -> bool:
        a_end_after = other.end is None or self.start < other.end
        b_end_after = self.end is None or other.start < self.end
        return a_end_after and b_end_after

    def intersect(self, other: Window) -> Window | None:
        if not self.overlaps(other):
            return None
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        return Window(start, min(ends) if ends else None)


_ALL_WEEKDAYS: Final = frozenset(range(1, 8))


def _check_weekdays(_inst: object, _attr: object, value: frozenset[int]) -> None:
    if not value or not value <= _ALL_WEEKDAYS:
        raise invalid("weekdays", sorted(value), "must be a non-empty subset of 1..7 (Mon=1)")


@attrs.frozen(slots=True)
class DailySlot:
    """A slot that recurs every day at the same local time (每日10:00-10:30).

    ``end <= start`` means the slot crosses midnight (22:00-02:00).
    ``weekdays`` restricts it to ISO weekdays (Monday=1 ... Sunday=7).
    """

    start: dt.time
    end: dt.time
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    weekdays: frozenset[int] = attrs.field(
        default=_ALL_WEEKDAYS, converter=frozenset, validator=_check_weekdays
    )

    def __attrs_post_init__(self) -> None:
        for name in ("start", "end"):
            v = getattr(self, name)
            if not isinstance(v, dt.time) or v.tzinfo is not None:
                raise invalid(name, v, "must be a datetime.time without tzinfo (zone is `tz`)")
        if self.start == self.end:
            raise invalid("end", self.end, "must differ from start; a slot needs a duration")

    def _occurrence_on(self, day: dt.date) -> Window:
        start = _start_of_day(day, self.tz).at(
            self.start.hour, self.start.minute, self.start.second, self.start.microsecond
        )
        # equivalent mutants: start == end is refused on construction
        end_day = day if self.end > self.start else day + dt.timedelta(days=1)  # pragma: no mutate
        end = _start_of_day(end_day, self.tz).at(
            self.end.hour, self.end.minute, self.end.second, self.end.microsecond
        )
        return Window(start, end)

    def occurrence_at(self, now: DateTime) -> Window | None:
        """The occurrence open at ``now``, if any."""
        today = local_date(now, self.tz)
        for day in (today - dt.timedelta(days=1), today):
            if day.isoweekday() in self.weekdays:
                w = self._occurrence_on(day)
                if w.contains(now):
                    return w
        return None

    def contains(self, now: DateTime) -> bool:
        return self.occurrence_at(now) is not None

    def next_occurrence(self, now: DateTime) -> Window:
        """The occurrence open at ``now``, else the next one to open."""
        current = self.occurrence_at(now)
        if current is not None:
            return current
        day = local_date(now, self.tz)
        for _ in range(9):  # pragma: no mutate (equivalent: found within 8 days)
            if day.isoweekday() in self.weekdays:
                w = self._occurrence_on(day)
                # equivalent mutants: one opening exactly at now was returned above
                if w.start >= now:  # pragma: no mutate
                    return w
            day += dt.timedelta(days=1)
        raise AssertionError("unreachable: weekdays is non-empty")  # pragma: no cover, no mutate

    def next_start(self, now: DateTime) -> DateTime:
        """Start of the first occurrence that opens at or after ``now``."""
        w = self.next_occurrence(now)
        if w.start >= now:
            return w.start
        # pragma: no mutate block (equivalent: a slot's occurrence always has an end)
        return self.next_occurrence(w.end).start if w.end is not None else w.start

    def countdown(self, now: DateTime) -> Duration:
        """Time until the slot opens; zero while it is open (倒计时)."""
        w = self.next_occurrence(now)
        # equivalent mutants: opening at now, both branches give zero
        return pendulum.duration() if w.start <= now else w.start - now  # pragma: no mutate


@policy_family
class Validity:
    """How long a claimed coupon (or entitlement) stays valid. Subclasses are policies."""

    __slots__ = ()

    def window_for(self, claimed_at: DateTime) -> Window:  # pragma: no cover - abstract
        raise NotImplementedError


@policy("validity.fixed")
@attrs.frozen(slots=True)
class FixedValidity(Validity):
    """Valid within a fixed window, whenever claimed (固定日期)."""

    window: Window

    def window_for(self, claimed_at: DateTime) -> Window:
        aware(claimed_at, "claimed_at")
        return self.window


def _positive_int(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 1:
        raise invalid(attribute.name, value, "must be an int >= 1")


def _non_negative_int(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise invalid(attribute.name, value, "must be an int >= 0")


@policy("validity.days_after_claim")
@attrs.frozen(slots=True)
class DaysAfterClaim(Validity):
    """Valid for N days after claim, ending at the end of a day in ``tz`` (领取后N天内有效).

    With ``claim_day_counts=True`` (the common mall rule) the claim day is
    day 1: claimed 2026-11-26 15:00 with ``days=7`` is valid until
    2026-12-03 00:00 (exclusive). ``starts_after_days=1`` makes it valid from
    the next day's start (次日生效).
    """

    days: int = attrs.field(validator=_positive_int)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    claim_day_counts: bool = True
    starts_after_days: int = attrs.field(default=0, validator=_non_negative_int)

    def window_for(self, claimed_at: DateTime) -> Window:
        claimed_at = aware(claimed_at, "claimed_at")
        day = local_date(claimed_at, self.tz)
        if self.starts_after_days:
            first = day + dt.timedelta(days=self.starts_after_days)
            start = _start_of_day(first, self.tz)
        else:
            first, start = day, claimed_at
        last = first + dt.timedelta(days=self.days - (1 if self.claim_day_counts else 0))
        return Window(start, _start_of_day(last + dt.timedelta(days=1), self.tz))


class PeriodKind(enum.Enum):
    """Calendar periods used by limits, reviews and reports."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def period_containing(
    kind: PeriodKind, t: DateTime, tz: str = DEFAULT_TZ, week_start: int = 1
) -> Window:
    """The calendar period of ``kind`` that contains ``t`` in zone ``tz``.

    Weeks start on ISO weekday ``week_start`` (Monday=1 by default).
    """
    d = local_date(t, tz)
    if kind is PeriodKind.DAY:
        first, nxt = d, d + dt.timedelta(days=1)
    elif kind is PeriodKind.WEEK:
        if not 1 <= week_start <= 7:
            raise invalid("week_start", week_start, "must be an ISO weekday 1..7")
        first = d - dt.timedelta(days=(d.isoweekday() - week_start) % 7)
        nxt = first + dt.timedelta(days=7)
    elif kind is PeriodKind.MONTH:
        first = d.replace(day=1)
        # equivalent mutants: 28..34 days on from the 1st is always next month
        nxt = (first + dt.timedelta(days=32)).replace(day=1)  # pragma: no mutate
    elif kind is PeriodKind.QUARTER:
        first = d.replace(month=3 * ((d.month - 1) // 3) + 1, day=1)
        # equivalent mutants: 93..121 days on from a quarter's 1st is the next quarter's month
        nxt = (first + dt.timedelta(days=95)).replace(day=1)  # pragma: no mutate
    else:
        first, nxt = d.replace(month=1, day=1), d.replace(year=d.year + 1, month=1, day=1)
    return Window(_start_of_day(first, tz), _start_of_day(nxt, tz))


@attrs.frozen(slots=True)
class RollingDays:
    """A rolling window of the last N days ending at ``now`` (近N天), half-open."""

    days: int = attrs.field(validator=_positive_int)

    def window_ending(self, now: DateTime) -> Window:
        now = aware(now)
        return Window(now.subtract(days=self.days), now)


@attrs.frozen(slots=True)
class MemberDay:
    """A recurring member day (会员日): a day of the month, or a weekday, in ``tz``.

    Exactly one of ``day_of_month`` (1..31; in shorter months the last day
    stands in) and ``weekday`` (ISO, Monday=1) is set.
    """

    day_of_month: int | None = None
    weekday: int | None = None
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def __attrs_post_init__(self) -> None:
        if (self.day_of_month is None) == (self.weekday is None):
            raise InvalidPolicyError(
                "MemberDay: set exactly one of day_of_month (e.g. 18) or weekday (e.g. 3)",
                field="day_of_month",
            )
        if self.day_of_month is not None and not 1 <= self.day_of_month <= 31:
            raise invalid("day_of_month", self.day_of_month, "must be 1..31")
        if self.weekday is not None and not 1 <= self.weekday <= 7:
            raise invalid("weekday", self.weekday, "must be an ISO weekday 1..7 (Mon=1)")

    def is_member_day(self, t: DateTime) -> bool:
        d = local_date(t, self.tz)
        if self.weekday is not None:
            return d.isoweekday() == self.weekday
        assert self.day_of_month is not None
        # pragma: no mutate start (equivalent: day 1..2 plus 28..33 days lands in next month)
        last = (d.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        # pragma: no mutate end
        return d.day == min(self.day_of_month, last.day)

    def window_containing(self, t: DateTime) -> Window | None:
        """The member day's full-day window if ``t`` falls on one."""
        return period_containing(PeriodKind.DAY, t, self.tz) if self.is_member_day(t) else None


@attrs.frozen(slots=True)
class MemberWeek:
    """A member week (会员周): ``length_days`` days from ``start_day`` of every month."""

    start_day: int = 1
    length_days: int = attrs.field(default=7, validator=_positive_int)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.start_day <= 28:
            raise invalid("start_day", self.start_day, "must be 1..28 so every month has it")
        if self.length_days > 28:
            raise invalid("length_days", self.length_days, "must be <= 28")

    def window_containing(self, t: DateTime) -> Window | None:
        d = local_date(t, self.tz)
        # pragma: no mutate start (equivalent: any day of this or last month; start_day follows)
        for month_start in (d.replace(day=1), (d.replace(day=1) - dt.timedelta(days=1))):
            # pragma: no mutate end
            first = month_start.replace(day=self.start_day)
            if first <= d < first + dt.timedelta(days=self.length_days):
                return Window(
                    _start_of_day(first, self.tz),
                    _start_of_day(first + dt.timedelta(days=self.length_days), self.tz),
                )
        return None

    def contains(self, t: DateTime) -> bool:
        return self.window_containing(t) is not None
