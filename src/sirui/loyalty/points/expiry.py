"""积分有效期: when earned points expire.

An expiry policy maps the moment points were earned to the first instant
they are no longer usable (``None``: never). Expiry instants fall on local
day boundaries in the store's zone, so "valid until 2027-12-31" means usable
through 2027-12-31 23:59:59 and gone at 2028-01-01 00:00.

Invariants: the expiry is never before the earning moment; it is monotone
(points earned later never expire earlier), which is why the ledger can keep
buckets in expiry order and spend from the front.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pendulum

from sirui.core.errors import invalid
from sirui.core.registry import policy, policy_family
from sirui.core.validators import non_negative_int, positive_int
from sirui.core.windows import DEFAULT_TZ, DateTime, aware, local_date, tz_name, zone

__all__ = [
    "ExpireAfterDays",
    "ExpireAtMonthEnd",
    "ExpireAtQuarterEnd",
    "ExpireAtYearEnd",
    "ExpiryPolicy",
    "NeverExpire",
]


def _day_start(d: dt.date, tz: str) -> DateTime:
    return pendulum.datetime(d.year, d.month, d.day, tz=zone(tz))


def _month_start_after(d: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` months after ``d``'s month."""
    index = d.year * 12 + d.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _at_most(limit: int, fix: str) -> Callable[[object, attrs.Attribute[int], int], None]:
    """A validator: an int in ``0..limit``."""

    def check(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
        non_negative_int(_inst, attribute, value)
        if value > limit:
            raise invalid(attribute.name, value, f"must be <= {limit}", fix)

    return check


@policy_family
class ExpiryPolicy:
    """How long earned points stay usable. Subclasses are policies."""

    __slots__ = ()

    def expires_at(self, earned_at: DateTime) -> DateTime | None:  # pragma: no cover
        """The first instant the points are gone (exclusive), or None for never."""
        raise NotImplementedError


@policy("points.never_expire")
@attrs.frozen(slots=True)
class NeverExpire(ExpiryPolicy):
    """积分永久有效: points never expire."""

    def expires_at(self, earned_at: DateTime) -> DateTime | None:
        aware(earned_at, "earned_at")
        return None


@policy("points.expire_after_days")
@attrs.frozen(slots=True)
class ExpireAfterDays(ExpiryPolicy):
    """获得后N天有效: usable through the ``days``-th local day after earning.

    Points earned 2026-03-10 15:00 with ``days=365`` are usable through
    2027-03-10 and gone at 2027-03-11 00:00 (store zone).
    """

    days: int = attrs.field(validator=positive_int)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def expires_at(self, earned_at: DateTime) -> DateTime | None:
        day = local_date(earned_at, self.tz)
        return _day_start(day + dt.timedelta(days=self.days + 1), self.tz)


@policy("points.expire_at_year_end")
@attrs.frozen(slots=True)
class ExpireAtYearEnd(ExpiryPolicy):
    """次年年底清零: points of year Y expire at the end of year Y + ``years_after``.

    With the default ``years_after=1``, points earned any time in 2026 are
    usable through 2027-12-31 23:59:59 and gone at 2028-01-01 00:00.
    ``years_after=0`` clears them at the end of the year they were earned.
    """

    years_after: int = attrs.field(default=1, validator=non_negative_int)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def __attrs_post_init__(self) -> None:
        if self.years_after > 50:
            raise invalid("years_after", self.years_after, "must be <= 50", "use NeverExpire")

    def expires_at(self, earned_at: DateTime) -> DateTime | None:
        year = local_date(earned_at, self.tz).year
        return _day_start(dt.date(year + self.years_after + 1, 1, 1), self.tz)


@policy("points.expire_at_month_end")
@attrs.frozen(slots=True)
class ExpireAtMonthEnd(ExpiryPolicy):
    """N个月后月底清零: points of month M expire at the end of month M + ``months_after``.

    With ``months_after=1``, points earned 2026-03-15 (any day of March, in
    the store's zone) are usable through 2026-04-30 23:59:59 and gone at
    2026-05-01 00:00. ``months_after=0`` clears them at the end of the month
    they were earned (当月月底清零).
    """

    months_after: int = attrs.field(
        default=1, validator=_at_most(600, "use NeverExpire")
    )
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def expires_at(self, earned_at: DateTime) -> DateTime | None:
        day = local_date(earned_at, self.tz)
        return _day_start(_month_start_after(day, self.months_after + 1), self.tz)


@policy("points.expire_at_quarter_end")
@attrs.frozen(slots=True)
class ExpireAtQuarterEnd(ExpiryPolicy):
    """N个季度后季末清零: points of quarter Q expire at the end of quarter Q + ``quarters_after``.

    Quarters are calendar quarters (January-March, ...). With
    ``quarters_after=1``, points earned 2026-03-15 (first quarter) are usable
    through 2026-06-30 23:59:59 and gone at 2026-07-01 00:00 (store zone);
    ``quarters_after=0`` clears them at the end of the quarter they were earned.
    """

    quarters_after: int = attrs.field(
        default=1, validator=_at_most(200, "use NeverExpire")
    )
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def expires_at(self, earned_at: DateTime) -> DateTime | None:
        day = local_date(earned_at, self.tz)
        quarter_start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        months = 3 * (self.quarters_after + 1)
        return _day_start(_month_start_after(quarter_start, months), self.tz)
