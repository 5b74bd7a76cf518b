"""Shared attrs validators and converters for policies, states and commands.

Every mechanic validates its fields on construction, and most fields obey
one of a handful of rules: a non-empty id, a count of at least one, an
optional limit, an amount of money at or above zero, an aware datetime.
These are those rules, written once. Each validator has the attrs
signature ``(instance, attribute, value)`` and raises through
`sirui.core.errors.invalid`, so the message names the field
(``attribute.name``), the value, the rule broken and, where it helps, the
fix::

    >>> import attrs
    >>> from sirui.core.validators import positive_int
    >>> @attrs.frozen
    ... class Limit:
    ...     per_member: int = attrs.field(validator=positive_int)
    >>> Limit(0)
    Traceback (most recent call last):
    ...
    sirui.core.errors.InvalidPolicyError: per_member=0: must be an int >= 1

Ints are checked with ``type(value) is int`` so ``True`` is not a count.
Validators take ``value: Any`` (not ``object``) so mypy's attrs plugin keeps
the field's declared type; the converters are not generic for the same
reason.

A rule that only one mechanic has (a floor below the price, tiers in
order) stays in that mechanic; this module holds what several share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.windows import aware

__all__ = [
    "Validator",
    "aware_datetime",
    "int_at_least",
    "is_instance_of",
    "non_empty_id",
    "non_empty_str",
    "non_negative_int",
    "non_negative_money",
    "opt_aware_datetime",
    "opt_non_empty_str",
    "opt_non_negative_int",
    "opt_non_negative_money",
    "opt_positive_int",
    "opt_positive_money",
    "optional",
    "positive_int",
    "positive_money",
    "rate_in_open_unit_interval",
    "str_frozenset",
    "str_tuple",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
"""The attrs validator signature: ``(instance, attribute, value) -> None``."""


# -- strings -------------------------------------------------------------------------


def non_empty_str(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A ``str`` with something besides whitespace (names, codes, member ids)."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(attribute.name, value, "must be a non-empty string")


def opt_non_empty_str(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None``, or a `non_empty_str`."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise invalid(attribute.name, value, "must be a non-empty string or None")


def non_empty_id(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty ``str`` id, taken as given (the host's ids may be any text).

    Unlike `non_empty_str`, an id of spaces is accepted: ids come from the
    host's storage and are compared, never shown.
    """
    if not isinstance(value, str) or not value:
        raise invalid(attribute.name, value, "must be a non-empty string id")


# -- counts ----------------------------------------------------------------------------


def positive_int(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An ``int`` >= 1 (quantities, group sizes, days)."""
    if type(value) is not int or value < 1:
        raise invalid(attribute.name, value, "must be an int >= 1")


def non_negative_int(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An ``int`` >= 0 (counters, stock, points balances)."""
    if type(value) is not int or value < 0:
        raise invalid(attribute.name, value, "must be an int >= 0")


def int_at_least(minimum: int) -> Validator:
    """A validator for an ``int`` >= ``minimum`` (a group of at least 2, say).

    ``int_at_least(1)`` refuses with the same message as `positive_int`.
    """
    rule = f"must be an int >= {minimum}"

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not int or value < minimum:
            raise invalid(attribute.name, value, rule)

    return check


def opt_positive_int(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` (no limit) or an ``int`` >= 1: a per-member or per-order limit."""
    if value is not None and (type(value) is not int or value < 1):
        raise invalid(attribute.name, value, "must be an int >= 1 or None (no limit)")


def opt_non_negative_int(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` (unlimited) or an ``int`` >= 0: a stock where 0 means sold out."""
    if value is not None and (type(value) is not int or value < 0):
        raise invalid(attribute.name, value, "must be an int >= 0 or None (unlimited)")


# -- money -----------------------------------------------------------------------------


def positive_money(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """`Money` strictly above zero (prices, thresholds)."""
    if not isinstance(value, Money) or value.minor <= 0:
        raise invalid(attribute.name, value, "must be Money > 0", "e.g. Money.of('10')")


def non_negative_money(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """`Money` at or above zero (fees, amounts already paid)."""
    if not isinstance(value, Money) or value.minor < 0:
        raise invalid(attribute.name, value, "must be Money >= 0", "e.g. Money.of('0')")


def opt_positive_money(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None``, or `Money` strictly above zero (an optional cap)."""
    if value is not None and (not isinstance(value, Money) or value.minor <= 0):
        raise invalid(attribute.name, value, "must be Money > 0 or None", "e.g. Money.of('10')")


def opt_non_negative_money(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None``, or `Money` at or above zero."""
    if value is not None and (not isinstance(value, Money) or value.minor < 0):
        raise invalid(attribute.name, value, "must be Money >= 0 or None", "e.g. Money.of('0')")


# -- rates -----------------------------------------------------------------------------


def rate_in_open_unit_interval(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A ``Decimal`` rate ``r`` with ``0 < r <= 1`` (a share that cannot be nothing).

    Pair it with a converter such as `sirui.core.money.as_rate` so text like
    ``"0.95"`` is accepted.
    """
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 < value <= 1:
        raise invalid(attribute.name, value, "must be in (0, 1]", "e.g. Decimal('0.5')")


# -- time ------------------------------------------------------------------------------


def aware_datetime(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A tz-aware datetime; raises `sirui.core.errors.NaiveDatetimeError` otherwise."""
    aware(value, attribute.name)


def opt_aware_datetime(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None``, or a tz-aware datetime."""
    if value is not None:
        aware(value, attribute.name)


# -- combinators -----------------------------------------------------------------------


def is_instance_of(cls: type | tuple[type, ...], what: str, fix: str = "") -> Validator:
    """A validator refusing anything but an instance of ``cls``.

    Args:
        cls: the class (or classes) accepted.
        what: how the message names it, with its article (``"a Condition"``).
        fix: an example of a good value (``"e.g. NewCustomer()"``).

    >>> check = is_instance_of(Money, "Money", "e.g. Money.of('5')")
    >>> import attrs
    >>> @attrs.frozen
    ... class Fee:
    ...     amount: Money = attrs.field(validator=check)
    >>> Fee(5)
    Traceback (most recent call last):
    ...
    sirui.core.errors.InvalidPolicyError: amount=5: must be Money; e.g. Money.of('5')
    """
    rule = f"must be {what}"

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, cls):
            raise invalid(attribute.name, value, rule, fix)

    return check


def optional(validator: Validator) -> Validator:
    """Let ``None`` through and check anything else with ``validator``."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validator(inst, attribute, value)

    return check


# -- converters ------------------------------------------------------------------------


def str_frozenset(value: str | Iterable[str]) -> frozenset[str]:
    """A ``frozenset`` of strings; a bare string is one element, not its letters."""
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


def str_tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    """A ``tuple`` of strings; a bare string is one element, not its letters."""
    if isinstance(value, str):
        return (value,)
    return tuple(value)
