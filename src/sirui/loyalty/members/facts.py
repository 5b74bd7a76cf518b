"""What the member rules read about one member: `MemberFacts`, a plain frozen value.

The host assembles facts from its own tables (member profile, last order,
last login, grants already made) and passes them with ``now``; benefits,
lifecycle, tags and care rules only read them. Every field but
``member_id`` is optional: a rule whose fact is missing simply does not fire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from sirui.core.errors import invalid
from sirui.core.validators import non_empty_str, non_negative_int, opt_aware_datetime, str_frozenset
from sirui.core.windows import DateTime

__all__ = ["ItemPurchases", "MemberFacts"]


def _date_opt(_inst: object, attribute: attrs.Attribute[dt.date | None], value: object) -> None:
    if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
        raise invalid(attribute.name, value, "must be a datetime.date or None")


def _dates(value: Iterable[DateTime]) -> tuple[DateTime, ...]:
    items = tuple(value)
    for i, v in enumerate(items):
        opt_aware_datetime(None, attrs.fields(ItemPurchases).bought_at, v)
        if v is None:
            raise invalid(f"bought_at[{i}]", v, "must be a tz-aware datetime")
    return tuple(sorted(items))


@attrs.frozen(slots=True)
class ItemPurchases:
    """When a member bought one item (or category): the basis of 补货提醒."""

    item: str = attrs.field(validator=non_empty_str)
    bought_at: tuple[DateTime, ...] = attrs.field(converter=_dates)
    reminded_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    """When the last replenishment reminder for this item went out."""


@attrs.frozen(slots=True)
class MemberFacts:
    """会员画像事实: one member's facts as the member rules read them."""

    member_id: str = attrs.field(validator=non_empty_str)
    tier: str | None = None
    birthday: dt.date | None = attrs.field(default=None, validator=_date_opt)
    joined_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    last_login_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    first_order_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    last_order_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    orders: int = attrs.field(default=0, validator=non_negative_int)
    spend: int = attrs.field(default=0, validator=non_negative_int)
    """Paid spend in fen (for RFM's monetary)."""
    segment: str | None = None
    """RFM segment code (``"important_value"``) if the host has scored the member."""
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=str_frozenset)
    qr_store: str | None = None
    """Store of the parameterised QR code the member registered through (带参二维码)."""
    baby_birthday: dt.date | None = attrs.field(default=None, validator=_date_opt)
    due_date: dt.date | None = attrs.field(default=None, validator=_date_opt)
    """Expected delivery date when pregnant (预产期)."""
    purchases: tuple[ItemPurchases, ...] = attrs.field(default=(), converter=tuple)
    birthday_gift_year: int | None = None
    """Year of the last birthday gift granted."""
    member_day_coupon_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    member_week_coupon_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    last_care: tuple[tuple[str, DateTime], ...] = attrs.field(default=(), converter=tuple)
    """``(care rule code, when it last fired)`` pairs, for cooldowns."""

    def last_care_at(self, code: str) -> DateTime | None:
        found: DateTime | None = None
        for c, at in self.last_care:
            if c == code and (found is None or at > found):
                found = at
        return found
