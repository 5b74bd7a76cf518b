"""The shared validators accept what they should and name the field when they refuse."""

from __future__ import annotations

import doctest
import re
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sirui.core.validators as v
from sirui.core.errors import InvalidPolicyError, NaiveDatetimeError
from sirui.core.money import Money
from sirui.core.validators import Validator


def _holder(validator: Validator, converter: Any = None) -> type:
    """A one-field frozen class whose field ``limit_x`` uses ``validator``."""
    if converter is None:
        field = attrs.field(validator=validator)
    else:
        field = attrs.field(validator=validator, converter=converter)
    return attrs.make_class("Holder", {"limit_x": field}, frozen=True, slots=True)


def _refuses(validator: Validator, value: Any, rule: str) -> None:
    pattern = rf"^limit_x={re.escape(repr(value))}: {rule}"
    with pytest.raises(InvalidPolicyError, match=pattern) as info:
        _holder(validator)(value)
    assert info.value.field == "limit_x"
    assert info.value.value == value or info.value.value is value


_CASES: list[tuple[Validator, list[Any], list[Any], str]] = [
    (v.non_empty_str, ["a", " b "], ["", "  ", None, 3], "must be a non-empty string"),
    (v.opt_non_empty_str, [None, "a"], ["", " ", 3], "must be a non-empty string or None"),
    (v.non_empty_id, ["o1", " "], ["", None, 1], "must be a non-empty string id"),
    (v.positive_int, [1, 10**12], [0, -1, True, 1.0, "1", None], r"must be an int >= 1"),
    (v.non_negative_int, [0, 5], [-1, True, 0.0, None], r"must be an int >= 0"),
    (v.opt_positive_int, [None, 1], [0, True, 1.5], r"must be an int >= 1 or None \(no limit\)"),
    (v.opt_non_negative_int, [None, 0], [-1, False, "0"], r"must be an int >= 0 or None"),
    (v.positive_money, [Money(1)], [Money(0), Money(-1), 10, None], "must be Money > 0"),
    (v.non_negative_money, [Money(0), Money(3)], [Money(-1), 0, None], "must be Money >= 0"),
    (v.opt_positive_money, [None, Money(1)], [Money(0), 5], "must be Money > 0 or None"),
    (v.opt_non_negative_money, [None, Money(0)], [Money(-1), 0], "must be Money >= 0 or None"),
    (
        v.rate_in_open_unit_interval,
        [Decimal("1"), Decimal("0.01")],
        [Decimal(0), Decimal("1.01"), Decimal("-0.5"), Decimal("NaN"), 0.5, 1],
        r"must be in \(0, 1\]; e\.g\. Decimal",
    ),
    (v.is_instance_of(Money, "Money", "e.g. Money.of('5')"), [Money(0)], [5], "must be Money"),
    (v.int_at_least(2), [2, 30], [1, 0, True, "2"], r"must be an int >= 2"),
    (v.int_at_least(1), [1], [0], r"must be an int >= 1$"),
    (v.optional(v.positive_int), [None, 2], [0, "x"], r"must be an int >= 1"),
]


@pytest.mark.parametrize(("validator", "good", "bad", "rule"), _CASES)
def test_accepts_and_refuses_naming_the_field(
    validator: Validator, good: list[Any], bad: list[Any], rule: str
) -> None:
    holder = _holder(validator)
    for value in good:
        assert holder(value).limit_x is value
    for value in bad:
        _refuses(validator, value, rule)


def test_the_fix_follows_the_rule() -> None:
    with pytest.raises(InvalidPolicyError, match=r"price=Money.*: must be Money > 0; e\.g\. Money"):
        attrs.make_class("P", {"price": attrs.field(validator=v.positive_money)})(Money(0))
    check = v.is_instance_of(int, "a count", "e.g. 3")
    with pytest.raises(InvalidPolicyError, match=r"^n='3': must be a count; e\.g\. 3$"):
        attrs.make_class("C", {"n": attrs.field(validator=check)})("3")


def test_aware_datetimes() -> None:
    at = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
    for validator in (v.aware_datetime, v.opt_aware_datetime):
        holder = _holder(validator)
        assert holder(at).limit_x == at
        with pytest.raises(NaiveDatetimeError, match=r"limit_x=.*no time zone"):
            holder(pendulum.naive(2026, 11, 11))
        with pytest.raises(NaiveDatetimeError, match="limit_x="):
            holder("2026-11-11")
    assert _holder(v.opt_aware_datetime)(None).limit_x is None
    with pytest.raises(NaiveDatetimeError, match="limit_x="):
        _holder(v.aware_datetime)(None)


@given(st.one_of(st.text(max_size=3), st.lists(st.text(max_size=3), max_size=4)))
def test_string_converters_keep_a_bare_string_whole(value: str | list[str]) -> None:
    expected = [value] if isinstance(value, str) else value
    assert v.str_tuple(value) == tuple(expected)
    assert v.str_frozenset(value) == frozenset(expected)


@given(st.integers())
def test_int_rules_match_their_bounds(n: int) -> None:
    for validator, low in ((v.positive_int, 1), (v.non_negative_int, 0)):
        if n >= low:
            _holder(validator)(n)
        else:
            with pytest.raises(InvalidPolicyError, match="limit_x="):
                _holder(validator)(n)


def test_module_examples() -> None:
    result = doctest.testmod(v)
    assert result.attempted >= 2
    assert result.failed == 0
