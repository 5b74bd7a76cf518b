"""周期购: what is sold (`SubscriptionOffer`), how often (`Cadence`) and the store's rules.

A subscription offer is "N deliveries of an item, every period, for one
price paid up front": one month of milk, a bottle every morning; formula
every other week; nappies on the 1st of every month; bread on Mondays and
Thursdays. Its price is the list price of each delivery times N, with the
plan's discount (a rate such as 9折, or a fixed plan price, 一口价), and that
price is allocated to the deliveries with the largest-remainder method, so
the parts sum exactly to what the member pays and a refund can be counted
per delivery, to the fen.

The calendar is the store's: deliveries are local dates in the
`SubscriptionPolicy`'s zone, each scheduled at ``delivery_time``, and each
closes for changes ``cutoff_hours`` before that (截单时间).

Invariants: ``sum(quote.per_delivery) == quote.total`` and
``quote.total + quote.discount == quote.list_total``; cadence dates strictly
increase; a monthly cadence anchored on the 31st falls on the last day of
shorter months and comes back to the 31st (it never drifts).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final

import attrs
import pendulum
from pendulum import DateTime

from sirui.core.errors import invalid
from sirui.core.money import Money, as_rate
from sirui.core.registry import policy
from sirui.core.validators import (
    non_empty_id,
    non_negative_int,
    opt_non_negative_int,
    positive_int,
    positive_money,
    rate_in_open_unit_interval,
)
from sirui.core.windows import DEFAULT_TZ, aware, local_date, zone

__all__ = [
    "MAX_DELIVERIES",
    "Cadence",
    "Frequency",
    "SubscriptionOffer",
    "SubscriptionPolicy",
    "SubscriptionQuote",
    "as_day",
]

#: The most deliveries one plan may hold (a daily plan of almost three years).
MAX_DELIVERIES: Final = 1000

_ONE_DAY: Final = dt.timedelta(days=1)


def as_day(value: Any, field: str = "date") -> dt.date:
    """``value`` as a plain calendar date; a datetime (or anything else) raises.

    Subscription dates are local calendar days in the store's zone, so a
    datetime (which is a date subclass in Python) is refused rather than cut.
    """
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise invalid(field, value, "must be a datetime.date (a local calendar day)",
                      "e.g. datetime.date(2026, 11, 11)")
    return dt.date(value.year, value.month, value.day)


def _add_months(day: dt.date, months: int) -> dt.date:
    # pendulum clamps to the month's end: Jan 31 + 1 month is Feb 28 (29).
    d = pendulum.date(day.year, day.month, day.day).add(months=months)
    return dt.date(d.year, d.month, d.day)


class Frequency(enum.Enum):
    """How often a plan delivers."""

    DAILY = "daily"
    """Every ``every`` days (每天 / 隔天)."""
    WEEKLY = "weekly"
    """Every ``every`` weeks, on the first delivery's weekday (每周)."""
    MONTHLY = "monthly"
    """Every ``every`` months, on the first delivery's day of month (每月)."""
    WEEKDAYS = "weekdays"
    """On chosen weekdays every week (每周一、四)."""


def _weekdays(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


@attrs.frozen(slots=True)
class Cadence:
    """The rhythm of deliveries, anchored on the plan's first date.

    ``Cadence(Frequency.DAILY)`` delivers every day, ``Cadence(Frequency.DAILY,
    every=2)`` every other day, ``Cadence(Frequency.WEEKDAYS, weekdays={1, 4})``
    on Mondays and Thursdays (ISO weekdays, Monday=1). Slots are computed
    from the anchor, never from the previous slot, so a monthly plan begun on
    the 31st delivers on Feb 28 and then on Mar 31.
    """

    frequency: Frequency
    every: int = attrs.field(default=1, validator=positive_int)
    weekdays: frozenset[int] = attrs.field(factory=frozenset, converter=_weekdays)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.frequency, Frequency):
            raise invalid("frequency", self.frequency, "must be a Frequency",
                          "e.g. Frequency.DAILY")
        if self.frequency is Frequency.WEEKDAYS:
            days = self.weekdays
            if not days or not all(type(d) is int and 1 <= d <= 7 for d in days):
                raise invalid("weekdays", sorted(days, key=str),
                              "must be a non-empty set of ISO weekdays 1..7 (Monday=1)",
                              "e.g. {1, 4} for Mondays and Thursdays")
            if self.every != 1:
                raise invalid("every", self.every, "must be 1 with chosen weekdays")
        elif self.weekdays:
            raise invalid("weekdays", sorted(self.weekdays),
                          f"only apply to Frequency.WEEKDAYS, not {self.frequency.name}",
                          "leave weekdays empty")

    @classmethod
    def daily(cls, every: int = 1) -> Cadence:
        return cls(Frequency.DAILY, every)

    @classmethod
    def weekly(cls, every: int = 1) -> Cadence:
        return cls(Frequency.WEEKLY, every)

    @classmethod
    def monthly(cls, every: int = 1) -> Cadence:
        return cls(Frequency.MONTHLY, every)

    @classmethod
    def on_weekdays(cls, *weekdays: int) -> Cadence:
        return cls(Frequency.WEEKDAYS, 1, frozenset(weekdays))

    def next_after(self, anchor: dt.date, day: dt.date) -> dt.date:
        """The first slot of the cadence anchored at ``anchor`` strictly after ``day``."""
        f = self.frequency
        if f is Frequency.WEEKDAYS:
            d = max(day + _ONE_DAY, anchor)
            while d.isoweekday() not in self.weekdays:
                d += _ONE_DAY
            return d
        if day < anchor:
            return anchor
        if f is Frequency.MONTHLY:
            months = (day.year - anchor.year) * 12 + day.month - anchor.month
            k = months // self.every
            d = _add_months(anchor, k * self.every)
            while d <= day:
                k += 1
                d = _add_months(anchor, k * self.every)
            return d
        step = self.every * (7 if f is Frequency.WEEKLY else 1)
        k = (day - anchor).days // step + 1
        return anchor + dt.timedelta(days=k * step)

    def first_on_or_after(self, anchor: dt.date, day: dt.date) -> dt.date:
        """The first slot on or after ``day``."""
        return self.next_after(anchor, day - _ONE_DAY)

    def dates(self, anchor: dt.date, count: int) -> tuple[dt.date, ...]:
        """The first ``count`` slots from ``anchor`` (the plan's dates before any change)."""
        out = [self.first_on_or_after(anchor, anchor)]
        while len(out) < count:
            out.append(self.next_after(anchor, out[-1]))
        return tuple(out)


@attrs.frozen(slots=True)
class SubscriptionQuote:
    """The price of a plan: list, discount, total, and the total per delivery.

    ``per_delivery`` is ``total`` allocated by the deliveries' list prices
    (largest remainder, earlier deliveries take the leftover fen), so it
    sums exactly to ``total``.
    """

    list_price: Money
    """One delivery at list price (单期原价)."""
    list_total: Money
    """Every delivery at list price."""
    total: Money
    """What the member pays for the whole plan (周期购总价)."""
    discount: Money
    """``list_total - total``."""
    per_delivery: tuple[Money, ...]
    """Each delivery's share of ``total`` (分摊到每期)."""

    @property
    def discounts(self) -> tuple[Money, ...]:
        """Each delivery's share of the discount; sums exactly to ``discount``."""
        return tuple(self.list_price - p for p in self.per_delivery)


def _deliveries(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int or not 1 <= value <= MAX_DELIVERIES:
        raise invalid(attribute.name, value, f"must be an int from 1 to {MAX_DELIVERIES}")


def _opt_money(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, Money) or value.minor <= 0):
        raise invalid(attribute.name, value, "must be Money > 0 or None", "e.g. Money.of('299')")


@policy("subscription.offer")
@attrs.frozen(slots=True)
class SubscriptionOffer:
    """A subscription product (周期购商品): ``deliveries`` × ``quantity`` of ``sku``.

    ``price`` is one delivery at list price. The plan's discount is either a
    ``rate`` (the share paid: ``Decimal("0.9")`` is 9折, 10% off; rounded
    half-up once, on the whole plan) or a fixed ``plan_price`` for the whole
    plan (一口价); not both.

    >>> from decimal import Decimal
    >>> milk = SubscriptionOffer("milk-30", "milk", 30, Cadence.daily(), Money.of("12"),
    ...                          rate=Decimal("0.9"))
    >>> q = milk.quote()
    >>> str(q.total), str(q.per_delivery[0]), str(q.discount)
    ('¥324.00', '¥10.80', '¥36.00')
    """

    id: str = attrs.field(validator=non_empty_id)
    sku: str = attrs.field(validator=non_empty_id)
    deliveries: int = attrs.field(validator=_deliveries)
    cadence: Cadence = attrs.field()
    price: Money = attrs.field(validator=positive_money)
    rate: Decimal = attrs.field(
        default=Decimal(1), converter=as_rate, validator=rate_in_open_unit_interval
    )
    plan_price: Money | None = attrs.field(default=None, validator=_opt_money)
    quantity: int = attrs.field(default=1, validator=positive_int)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.cadence, Cadence):
            raise invalid("cadence", self.cadence, "must be a Cadence", "e.g. Cadence.daily()")
        pp = self.plan_price
        if pp is None:
            return
        if self.rate != 1:
            raise invalid("plan_price", pp, f"and rate={self.rate} are both set",
                          "give a discount rate or a fixed plan price, not both")
        if pp.currency != self.price.currency:
            raise invalid("plan_price", pp, f"is not in {self.price.currency}")
        if pp > self.list_total:
            raise invalid("plan_price", pp, f"is above the list total {self.list_total}",
                          "a plan price is a discount on deliveries × price")

    @property
    def list_total(self) -> Money:
        return Money(self.price.minor * self.deliveries, self.price.currency)

    def quote(self) -> SubscriptionQuote:
        """The plan's price and its exact allocation per delivery."""
        list_total = self.list_total
        total = self.plan_price if self.plan_price is not None else list_total.times(self.rate)
        parts = tuple(total.allocate([self.price] * self.deliveries))
        return SubscriptionQuote(self.price, list_total, total, list_total - total, parts)


@policy("subscription.policy")
@attrs.frozen(slots=True)
class SubscriptionPolicy:
    """The store's rules for changing a plan (周期购规则).

    * ``cutoff_hours``: a delivery can be skipped, postponed, paused or
      refunded until this many hours before ``delivery_time`` on its day
      (截单时间; 12 hours before 08:00 is 20:00 the evening before); after
      that it is locked and goes out.
    * ``max_skips``: skips per plan (None: no limit; 0: none allowed).
    * ``max_pause_days``: days of pause per plan, all pauses together.
    * ``max_postpone_days``: how far one postpone may move a delivery.
    * ``tz``: the store's zone; ``log_retention_days``: how long accepted
      command ids are kept for replays before `PruneLog` forgets them.
    """

    cutoff_hours: int = attrs.field(default=24, validator=non_negative_int)
    delivery_time: dt.time = attrs.field(default=dt.time(8))
    max_skips: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    max_pause_days: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    max_postpone_days: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    tz: str = attrs.field(default=DEFAULT_TZ)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        t = self.delivery_time
        if not isinstance(t, dt.time) or t.tzinfo is not None:
            raise invalid("delivery_time", t, "must be a datetime.time without tzinfo",
                          "the zone is `tz`; e.g. datetime.time(8)")
        if not isinstance(self.tz, str):
            raise invalid("tz", self.tz, "must be an IANA zone name like 'Asia/Shanghai'")
        zone(self.tz)

    def delivery_at(self, day: dt.date) -> DateTime:
        """When the delivery of local day ``day`` is scheduled."""
        t = self.delivery_time
        return pendulum.datetime(day.year, day.month, day.day, t.hour, t.minute, t.second,
                                 tz=zone(self.tz))

    def cutoff(self, day: dt.date) -> DateTime:
        """The last moment the delivery of ``day`` can be changed (exclusive)."""
        return self.delivery_at(day).subtract(hours=self.cutoff_hours)

    def today(self, now: DateTime) -> dt.date:
        """The local calendar day of ``now`` in the store's zone."""
        d = local_date(aware(now), self.tz)
        return dt.date(d.year, d.month, d.day)

    def earliest_day(self, now: DateTime) -> dt.date:
        """The first day whose delivery is still before its cutoff at ``now``."""
        now = aware(now)
        day = self.today(now)
        while self.cutoff(day) <= now:
            day += _ONE_DAY
        return day
