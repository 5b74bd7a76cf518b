"""Checks and helpers only the members package uses (private).

The common validators (ids, counts, money, datetimes) are in
`sirui.core.validators`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import as_rate


def rate(value: object) -> Decimal:
    return as_rate(value, "rate")


def opt_rate(value: object) -> Decimal | None:
    return None if value is None else as_rate(value, "rate")


def discount_rate(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A price multiplier (0.95 is 95折): in (0, 1]."""
    if value is not None and not (isinstance(value, Decimal) and 0 < value <= 1):
        raise invalid(
            attribute.name, value, "must be a price multiplier in (0, 1]",
            "write 95折 as Decimal('0.95')",
        )


def multiplier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not (isinstance(value, Decimal) and 1 <= value <= 100):
        raise invalid(attribute.name, value, "must be a multiplier in [1, 100]", "e.g. '1.5'")

