"""Shared validators of the members package (private)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, as_rate
from sirui.core.windows import aware


def non_empty_str(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise invalid(attribute.name, value, "must be a non-empty string")


def non_negative_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 0:
        raise invalid(attribute.name, value, "must be an int >= 0")


def positive_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 1:
        raise invalid(attribute.name, value, "must be an int >= 1")


def opt_positive_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        positive_int(_inst, attribute, value)


def non_negative_money(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.minor < 0:
        raise invalid(attribute.name, value, "must be Money >= 0", "e.g. Money.of('99')")


def opt_money(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        non_negative_money(_inst, attribute, value)


def aware_field(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    aware(value, attribute.name)


def opt_aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        aware(value, attribute.name)


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


def command_key(command: Any) -> tuple[str, str]:
    """``(id, canonical content)`` of a command, kept in states for idempotency.

    Plain strings (not the command objects) so a stored state round-trips
    through JSON; datetimes compare by their ISO form with offset, money by
    its text, so a state restored from storage recognises a replay.
    """
    from sirui.config import to_plain

    body = to_plain(command)
    return command.id, f"{type(command).__name__}:{json.dumps(body, sort_keys=True)}"


def str_set(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)
