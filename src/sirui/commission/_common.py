"""Rate checks and small helpers shared by the commission modules (private).

The common validators (ids, counts, money) are in `sirui.core.validators`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, as_rate, round_decimal
from sirui.core.windows import DateTime, zone

ZERO_RATE = Decimal(0)
ONE = Decimal(1)


def rate_field(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A rate must be a Decimal in [0, 1]."""
    check_rate(attribute.name, value)


def check_rate(name: str, value: object) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 1:
        raise invalid(
            name, value, "must be a Decimal rate in [0, 1]", "e.g. Decimal('0.03') for 3%"
        )
    return value


def to_rate(value: object) -> Decimal:
    """Converter: accept Decimal, int or str rates (floats are refused by `as_rate`)."""
    return as_rate(value)


def proportion(amount: Money, numerator: int, denominator: int) -> Money:
    """``amount * numerator / denominator`` rounded half-up; exact at the ends.

    ``numerator == denominator`` gives ``amount`` itself and zero gives zero,
    so cumulative proportional reductions end exactly at the whole.
    """
    if denominator <= 0 or numerator <= 0:
        return Money.zero(amount.currency)
    if numerator >= denominator:
        return amount
    return Money(
        round_decimal(Decimal(amount.minor) * numerator / Decimal(denominator)), amount.currency
    )


def zh_date(t: DateTime | dt.date, tz: str | None = None) -> str:
    """``2026年11月11日``: the calendar date of ``t`` (in ``tz``, else its own zone) for zh text.

    Chinese messages show dates this way, never as ISO timestamps. A plain
    date is shown as it is.
    """
    local = t.in_timezone(zone(tz)) if tz is not None and isinstance(t, DateTime) else t
    return f"{local.year}年{local.month}月{local.day}日"


def zh_item(name: str) -> str:
    """How a zh message names an item: ``商品「奶粉1段」``, or ``该商品`` without a name.

    Chinese messages never show a raw SKU id.
    """
    return f"商品「{name}」" if name else "该商品"


def zh_percent(rate: Decimal) -> str:
    """``30%`` or ``0.6%``: a rate as a percentage for zh and en text."""
    return f"{(rate * 100).normalize():f}%"
