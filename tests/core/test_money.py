"""Money: exact fen, refused floats, explicit rounding, exact allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import (
    CurrencyMismatchError,
    InvalidMoneyError,
    InvalidValueError,
    MoneyTypeError,
    SiruiError,
)
from sirui.core.money import MAX_MINOR, Money, Rounding, allocate_int, as_rate, total
from sirui.testing import money


def test_twelve_thirty_three_ways() -> None:
    assert Money.of("12.3") == Money.of(1230) == Money.of(Decimal("12.30")) == Money(1230)
    assert Money.parse("¥12.30") == Money.parse("12.30元") == Money.parse("￥12.3") == Money(1230)


def test_parse_thousands_sign_and_codes() -> None:
    assert Money.parse("-¥1,234.50") == Money(-123450)
    assert Money.parse("12.30 USD") == Money(1230, "USD")
    assert Money.parse("500", "JPY") == Money(500, "JPY")
    with pytest.raises(CurrencyMismatchError):
        Money.parse("$5", "CNY")
    with pytest.raises(InvalidMoneyError, match="names two currencies"):
        Money.parse("$5元")


@pytest.mark.parametrize("text", ["", "abc", "12.3.4", "¥", "1e5", "NaN", "--1"])
def test_unparseable_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidMoneyError):
        Money.parse(text)


def test_floats_nan_infinity_and_absurd_amounts_are_refused() -> None:
    with pytest.raises(MoneyTypeError, match="floats"):
        Money.of(12.3)
    with pytest.raises(MoneyTypeError):
        Money(12.3)  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        Money.of(True)
    with pytest.raises(InvalidMoneyError):
        Money.of(Decimal("NaN"))
    with pytest.raises(InvalidMoneyError):
        Money.of(Decimal("Infinity"))
    with pytest.raises(InvalidMoneyError, match="unit mistake"):
        Money(MAX_MINOR + 1)
    with pytest.raises(InvalidMoneyError):
        Money.of(Decimal("1E+50"))
    with pytest.raises(InvalidMoneyError, match="finer than one minor unit"):
        Money.of(Decimal("0.001"))
    with pytest.raises(InvalidMoneyError, match="unknown currency"):
        Money(1, "XXX")
    with pytest.raises(MoneyTypeError):
        Money.of([1])


def test_errors_are_sirui_errors_and_builtins() -> None:
    with pytest.raises(ValueError):
        Money.of("abc")
    with pytest.raises(TypeError):
        Money.of(1.5)
    with pytest.raises(SiruiError):
        Money(1) + Money(1, "USD")


def test_arithmetic_and_comparison() -> None:
    a, b = Money.of("10.05"), Money.of("3.10")
    assert a + b == Money.of("13.15")
    assert a - b == Money.of("6.95")
    assert -a == Money(-1005) and abs(-a) == a and +a == a
    assert a * 3 == 3 * a == Money.of("30.15")
    assert a > b and b < a and a >= a and a <= a
    assert sum([a, b]) == Money.of("13.15")
    assert total([], "USD") == Money(0, "USD")
    assert a.min(b) == b and a.max(b) == a
    assert Money(-5).clamp(Money(0), Money(10)) == Money(0)
    assert not Money(0) and Money(1)
    assert a.ratio_to(Money.of("20.10")) == Decimal("0.5")
    with pytest.raises(CurrencyMismatchError):
        _ = a < Money(1, "USD")
    with pytest.raises(MoneyTypeError):
        _ = a < 5
    with pytest.raises(MoneyTypeError):
        _ = a * 1.5
    with pytest.raises(InvalidValueError):
        a.ratio_to(Money(0))


def test_rounding_modes_are_explicit() -> None:
    m = Money.of("10.05")
    assert m.times(Decimal("0.5")) == Money(503)
    assert m.times(Decimal("0.5"), Rounding.DOWN) == Money(502)
    assert m.times(Decimal("0.5"), Rounding.UP) == Money(503)
    assert m.times(Decimal("0.5"), Rounding.HALF_EVEN) == Money(502)
    assert Money(1001).times("0.5", Rounding.HALF_EVEN) == Money(500)
    assert Money.from_decimal(Decimal("1.005"), rounding=Rounding.HALF_UP) == Money(101)
    assert m * Decimal("0.95") == Money(955)


def test_formatting() -> None:
    assert str(Money.of("12.3")) == "¥12.30"
    assert str(Money(-1230)) == "-¥12.30"
    assert str(Money.of("1234567.8")) == "¥1,234,567.80"
    assert Money(500, "JPY").format() == "JP¥500"
    assert Money(1234, "KWD").format() == "1.234 KWD"
    assert Money(1230).format(symbol=False) == "12.30"
    assert repr(Money(1230)) == "Money('12.30', 'CNY')"
    assert Money(1230).to_plain() == "12.30" and Money(1230, "USD").to_plain() == "12.30 USD"
    assert f"{Money(1230):.1f}" == "12.3"


def test_allocate_forty_yuan_over_three_lines() -> None:
    parts = Money.of("40").allocate([Money.of("536"), Money.of("129"), Money.of("59.70")])
    assert parts == [Money.of("29.58"), Money.of("7.12"), Money.of("3.30")]
    assert Money.of("100").split(3) == [Money.of("33.34"), Money.of("33.33"), Money.of("33.33")]
    assert Money(-100).split(3) == [Money(-34), Money(-33), Money(-33)]
    assert Money(10).allocate([Decimal("0.5"), Decimal("0.25"), 0]) == [
        Money(7),
        Money(3),
        Money(0),
    ]


def test_allocate_refuses_bad_weights() -> None:
    with pytest.raises(InvalidValueError):
        Money(10).allocate([])
    with pytest.raises(InvalidValueError, match="all zero"):
        Money(10).allocate([0, 0])
    with pytest.raises(InvalidValueError):
        Money(10).allocate([1, -1])
    with pytest.raises(MoneyTypeError):
        Money(10).allocate([0.5, 0.5])  # type: ignore[list-item]
    with pytest.raises(CurrencyMismatchError):
        Money(10).allocate([Money(1, "USD")])
    with pytest.raises(InvalidValueError):
        Money(10).split(0)


def test_as_rate() -> None:
    assert as_rate("0.95") == Decimal("0.95")
    assert as_rate(1) == Decimal(1)
    with pytest.raises(MoneyTypeError, match="floats"):
        as_rate(0.95)
    with pytest.raises(InvalidValueError):
        as_rate("abc")
    with pytest.raises(InvalidValueError):
        as_rate(Decimal("NaN"))
    with pytest.raises(MoneyTypeError):
        as_rate(True)
    with pytest.raises(MoneyTypeError):
        as_rate(None)


weights_st = st.lists(st.integers(0, 10**6), min_size=1, max_size=30).filter(any)


@given(st.integers(-(10**12), 10**12), weights_st)
def test_allocation_sums_exactly_and_is_within_one_unit(amount: int, weights: list[int]) -> None:
    parts = allocate_int(amount, weights)
    assert sum(parts) == amount
    wsum = sum(weights)
    for part, w in zip(parts, weights):
        exact = Fraction(amount * w, wsum)
        assert abs(part - exact) < 1
        if w == 0:
            assert part == 0


@given(st.integers(0, 10**9), weights_st)
def test_allocation_is_deterministic_and_ties_go_first(amount: int, weights: list[int]) -> None:
    assert allocate_int(amount, weights) == allocate_int(amount, list(weights))
    equal = allocate_int(amount, [1] * len(weights))
    assert equal == sorted(equal, reverse=True)


@given(money(-(10**12), 10**12))
def test_money_round_trips_through_text(m: Money) -> None:
    assert Money.parse(m.to_plain()) == m
    assert Money.parse(str(m)) == m
    assert Money.of(m.amount) == m


@given(money(-(10**9), 10**9), money(-(10**9), 10**9))
def test_addition_and_subtraction_are_exact(a: Money, b: Money) -> None:
    assert (a + b) - b == a
    assert (a + b).minor == a.minor + b.minor


@given(money(0, 10**9), st.decimals(0, 10, places=4), st.sampled_from(list(Rounding)))
def test_times_is_within_one_unit(m: Money, rate: Decimal, mode: Rounding) -> None:
    exact = Decimal(m.minor) * rate
    assert abs(Decimal(m.times(rate, mode).minor) - exact) < 1
