"""Money: exact fen, refused floats, explicit rounding, exact allocation."""

from __future__ import annotations

from collections.abc import Callable
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
from sirui.core.money import (
    CURRENCY_EXPONENTS,
    MAX_MINOR,
    Money,
    Rounding,
    allocate_int,
    as_rate,
    round_decimal,
    total,
)
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


# -- rules pinned against known mutation survivors ------------------------------------


def test_currency_exponents_and_the_largest_amount_are_pinned() -> None:
    assert CURRENCY_EXPONENTS == {
        "CNY": 2,
        "HKD": 2,
        "MOP": 2,
        "TWD": 2,
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "SGD": 2,
        "AUD": 2,
        "JPY": 0,
        "KRW": 0,
        "BHD": 3,
        "KWD": 3,
    }
    assert MAX_MINOR == 10**15  # ten trillion yuan, in fen


@pytest.mark.parametrize(
    ("currency", "text", "minor", "shown"),
    [
        ("TWD", "1.5", 150, "NT$1.50"),
        ("GBP", "1.5", 150, "£1.50"),
        ("KRW", "1500", 1500, "₩1,500"),
        ("JPY", "1500", 1500, "JP¥1,500"),
        ("KWD", "1.5", 1500, "1.500 KWD"),
    ],
)
def test_a_currencys_exponent_decides_its_minor_units(
    currency: str, text: str, minor: int, shown: str
) -> None:
    assert Money.parse(text, currency) == Money(minor, currency)
    assert Money.from_decimal(Decimal(text), currency) == Money(minor, currency)
    assert Money(minor, currency).format() == shown
    assert Money(minor, currency).exponent == CURRENCY_EXPONENTS[currency]


@pytest.mark.parametrize("currency", ["KRW", "JPY"])
def test_a_currency_without_minor_units_refuses_decimals(currency: str) -> None:
    with pytest.raises(InvalidMoneyError, match="no minor unit"):
        Money.parse("1.5", currency)
    with pytest.raises(InvalidMoneyError, match="finer than one minor unit"):
        Money.from_decimal(Decimal("1.5"), currency)
    assert Money.from_decimal(Decimal("1.5"), currency, Rounding.HALF_UP) == Money(2, currency)
    assert Money(5, currency).amount == Decimal(5)


@pytest.mark.parametrize("currency", ["CNY", "USD", "KRW", "KWD"])
def test_results_landing_exactly_on_the_bound_are_amounts_of_the_same_currency(
    currency: str,
) -> None:
    top, bottom, one = Money(MAX_MINOR, currency), Money(-MAX_MINOR, currency), Money(1, currency)
    assert Money(MAX_MINOR - 1, currency) + one == top
    assert Money(-MAX_MINOR + 1, currency) - one == bottom
    assert Money(MAX_MINOR // 5, currency) * 5 == top
    assert 5 * Money(-MAX_MINOR // 5, currency) == bottom
    assert Money(MAX_MINOR // 4, currency).times(Decimal(4)) == top
    assert Money(-MAX_MINOR // 2, currency).times("2") == bottom
    assert top.times(Decimal("1.0000000000000004")) == top  # rounds back onto the bound
    assert -top == bottom and abs(bottom) == top
    assert Money.parse(str(top)) == top and Money.parse(str(bottom)) == bottom
    assert Money.from_decimal(bottom.amount, currency) == bottom
    assert [top, bottom] == [Money.fen(MAX_MINOR, currency), Money.fen(-MAX_MINOR, currency)]


@pytest.mark.parametrize("currency", ["CNY", "USD", "KRW"])
def test_one_minor_unit_past_the_bound_is_refused_and_named(currency: str) -> None:
    top, bottom, one = Money(MAX_MINOR, currency), Money(-MAX_MINOR, currency), Money(1, currency)
    past: list[Callable[[], object]] = [
        lambda: top + one,
        lambda: bottom - one,
        lambda: top * 2,
        lambda: 2 * bottom,
        lambda: top.times(Decimal("1.0000000000000005")),
        lambda: bottom.times("1.0000000000000005"),
        lambda: Money.from_decimal(top.amount + Decimal(1).scaleb(-top.exponent), currency),
    ]
    for op in past:
        with pytest.raises(InvalidMoneyError, match=f"{MAX_MINOR + 1}|{currency}"):
            op()
    for minor in (MAX_MINOR + 1, -MAX_MINOR - 1):
        with pytest.raises(InvalidMoneyError, match="unit mistake"):
            Money(minor, currency)


@pytest.mark.parametrize(
    ("minor", "zero", "positive", "negative"),
    [(0, True, False, False), (1, False, True, False), (-1, False, False, True)],
)
def test_an_amount_is_exactly_one_of_zero_positive_or_negative(
    minor: int, zero: bool, positive: bool, negative: bool
) -> None:
    m = Money.fen(minor)
    assert m == Money(minor, "CNY")
    assert (m.is_zero(), m.is_positive(), m.is_negative()) == (zero, positive, negative)
    assert bool(m) is not zero


def test_fen_builds_from_minor_units_in_the_given_currency() -> None:
    assert Money.fen(1230) == Money(1230, "CNY")
    assert Money.fen(5, "USD") == Money(5, "USD") != Money(5, "CNY")
    with pytest.raises(MoneyTypeError):
        Money.fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidMoneyError, match="unknown currency"):
        Money.fen(5, "XXX")


ZEROS = {
    "constructed": Money(0),
    "negated": -Money(0),
    "difference": Money(5) - Money(5),
    "negative times a small rate": Money(-4).times(Decimal("0.1")),
    "negative times zero": Money(-5) * 0,
    "negative times negative zero": Money(-5).times(Decimal("-0")),
    "parsed '-0'": Money.parse("-0"),
    "parsed '-¥0.00'": Money.parse("-¥0.00"),
    "Decimal('-0.00')": Money.of(Decimal("-0.00")),
    "rounded '-0.004'": Money.from_decimal(Decimal("-0.004"), rounding=Rounding.HALF_UP),
    "last part of -3 in 4": Money(-3).split(4)[3],
}


@pytest.mark.parametrize("zero", ZEROS.values(), ids=ZEROS.keys())
def test_zero_never_formats_with_a_minus_sign(zero: Money) -> None:
    assert zero.minor == 0 and zero.is_zero()
    assert str(zero) == "¥0.00"
    assert zero.format(symbol=False) == "0.00"
    assert zero.to_plain() == "0.00"
    assert repr(zero) == "Money('0.00', 'CNY')"
    assert not zero.amount.is_signed()


def test_money_plus_or_times_a_non_amount_is_a_type_error() -> None:
    one = Money(1)
    attempts: list[Callable[[], object]] = [
        lambda: one + 1,
        lambda: 1 + one,
        lambda: one - 1,
        lambda: 1 - one,  # type: ignore[operator]
        lambda: one + Decimal(1),
        lambda: one * True,
        lambda: True * one,
        lambda: one * False,
        lambda: one * one,
        lambda: one * "2",
        lambda: one * Fraction(1, 2),
        lambda: one * None,
    ]
    for attempt in attempts:
        with pytest.raises(TypeError):
            attempt()
    # Money defers to the other operand, so Python's TypeError is the answer, not None.
    assert one.__add__(1) is NotImplemented
    assert one.__mul__(True) is NotImplemented
    assert 0 + one == one  # only the 0 that sum() starts from is accepted


def test_an_amount_is_not_less_than_itself_but_at_most_itself() -> None:
    a, same = Money(5), Money(5)
    assert not a < a and not a > a
    assert a <= a and a >= a
    assert not a < same and a <= same and a >= same and not a > same
    small, big = Money(4), Money(5)
    assert small < big and not big < small
    assert small <= big and not big <= small
    assert big > small and not small > big
    assert big >= small and not small >= big
    assert Money(-1) < Money(0) < Money(1)


def test_money_of_money_returns_it_and_never_converts() -> None:
    usd = Money(5, "USD")
    assert Money.of(usd) is usd
    assert Money.of(usd, "USD") is usd
    with pytest.raises(CurrencyMismatchError, match="USD"):
        Money.of(usd, "CNY")
    with pytest.raises(InvalidMoneyError, match="unknown currency"):
        Money.of(usd, "XXX")


def test_min_max_clamp_and_ratio_take_only_money_of_the_same_currency() -> None:
    a = Money(5)
    for op in (a.min, a.max, a.ratio_to):
        with pytest.raises(MoneyTypeError):
            op(5)  # type: ignore[arg-type]
        with pytest.raises(CurrencyMismatchError):
            op(Money(5, "USD"))
    assert a.clamp(Money(0), Money(3)) == Money(3)
    assert a.clamp(Money(5), Money(5)) == a
    with pytest.raises(InvalidMoneyError, match="low is above high"):
        a.clamp(Money(3), Money(0))


@pytest.mark.parametrize(
    "bad",
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("-0.01"),
        -1,
        Money(-1),
        Decimal("1E+41"),
        Decimal("1E-41"),
    ],
    ids=str,
)
def test_a_nan_infinite_negative_or_absurd_weight_is_refused_by_name(bad: object) -> None:
    with pytest.raises(InvalidMoneyError, match=r"weights\[1\]"):
        Money(100).allocate([1, bad])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [0.5, True, "1", None, Fraction(1, 2)], ids=repr)
def test_a_weight_of_another_type_is_a_money_type_error(bad: object) -> None:
    with pytest.raises(MoneyTypeError, match=r"weights\[1\]"):
        Money(100).allocate([1, bad])  # type: ignore[list-item]


def test_allocate_int_refuses_what_it_cannot_split_exactly() -> None:
    with pytest.raises(InvalidMoneyError):
        allocate_int(10, [])
    with pytest.raises(InvalidMoneyError):
        allocate_int(10, [0, 0])
    with pytest.raises(InvalidMoneyError):
        allocate_int(10, [2, -1])
    with pytest.raises(MoneyTypeError):
        allocate_int(10, [0.5, 0.5])  # type: ignore[list-item]
    with pytest.raises(MoneyTypeError):
        allocate_int(10, [Decimal(1)])  # type: ignore[list-item]
    with pytest.raises(MoneyTypeError):
        allocate_int(10.0, [1])  # type: ignore[arg-type]


def test_split_takes_a_whole_count() -> None:
    assert Money(7).split(2) == [Money(4), Money(3)]
    with pytest.raises(MoneyTypeError):
        Money(7).split(2.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        Money(7).split(True)
    with pytest.raises(InvalidMoneyError):
        Money(7).split(-1)


decimal_weights = st.lists(
    st.decimals(0, 10**6, allow_nan=False, allow_infinity=False, places=4), min_size=1, max_size=20
).filter(any)


@given(money(-MAX_MINOR, MAX_MINOR), decimal_weights)
def test_allocate_by_decimals_sums_exactly_and_is_within_one_unit(
    m: Money, weights: list[Decimal]
) -> None:
    parts = m.allocate(weights)
    assert len(parts) == len(weights)
    assert sum(parts, Money.zero()) == m
    wsum = sum(Fraction(w) for w in weights)
    for part, w in zip(parts, weights, strict=True):
        assert part.currency == m.currency
        assert abs(part.minor - m.minor * Fraction(w) / wsum) < 1
        if not w:
            assert part.minor == 0


@given(money(-MAX_MINOR, MAX_MINOR, "USD"), st.lists(money(0, 10**9, "USD"), min_size=1))
def test_allocate_by_amounts_sums_exactly(m: Money, weights: list[Money]) -> None:
    if not any(weights):
        with pytest.raises(InvalidMoneyError, match="all zero"):
            m.allocate(weights)
        return
    parts = m.allocate(weights)
    assert sum(parts, Money.zero("USD")) == m
    assert all(p.currency == "USD" for p in parts)


def test_total_refuses_what_is_not_money() -> None:
    with pytest.raises(MoneyTypeError, match=r"amounts\[0\]"):
        total([5])  # type: ignore[list-item]
    with pytest.raises(MoneyTypeError, match=r"amounts\[1\]"):
        total([Money(1), 5])  # type: ignore[list-item]
    assert total([Money(1, "USD"), Money(2, "USD")]) == Money(3, "USD")


# -- exact multiplication ---------------------------------------------------------------


def test_a_rate_longer_than_28_digits_is_rounded_once_from_the_exact_product() -> None:
    just_below_half = Decimal("0.4" + "9" * 40)  # 28 digits would round it to 0.5 first
    assert Money(1).times(just_below_half) == Money(0)
    assert Money(1).times(just_below_half, Rounding.UP) == Money(1)
    just_above_half = Decimal("0.5" + "0" * 40 + "1")
    assert Money(1).times(just_above_half, Rounding.HALF_EVEN) == Money(1)
    assert Money(-1).times(just_above_half, Rounding.HALF_EVEN) == Money(-1)
    assert round_decimal(Decimal("2.4" + "9" * 40)) == 2
    assert Money.from_decimal(Decimal("0.004" + "9" * 40), rounding=Rounding.HALF_UP) == Money(0)
    with pytest.raises(InvalidMoneyError, match="finer than one minor unit"):
        Money.from_decimal(Decimal("1." + "0" * 60 + "1"))


@pytest.mark.parametrize(
    "rate",
    [
        Decimal("1E+100"),
        Decimal("1E+999999"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "1E+100",
        "1E+999999999999999999",
        "NaN",
        "inf",
        "1_0",
        10**41,
    ],
    ids=repr,
)
def test_an_absurd_or_non_finite_rate_is_an_invalid_money_error(rate: object) -> None:
    with pytest.raises(InvalidMoneyError):
        as_rate(rate)
    with pytest.raises(InvalidMoneyError):
        Money(100).times(rate)  # type: ignore[arg-type]
    with pytest.raises(InvalidMoneyError):
        Money(0).times(rate)  # type: ignore[arg-type]
    if isinstance(rate, Decimal):
        with pytest.raises(InvalidMoneyError):
            _ = Money(100) * rate
        with pytest.raises(InvalidMoneyError):
            round_decimal(rate)


def test_tiny_rates_are_exact_without_building_huge_numbers() -> None:
    tiny = Decimal("1E-999999")
    assert Money(5).times(tiny) == Money(0)
    assert Money(5).times(tiny, Rounding.UP) == Money(1)
    assert Money(-5).times(tiny, Rounding.UP) == Money(-1)
    assert Money(5).times(-tiny, Rounding.UP) == Money(-1)
    assert round_decimal(tiny, Rounding.UP) == 1 and round_decimal(-tiny) == 0
    assert Money.from_decimal(tiny, rounding=Rounding.UP) == Money(1)
    with pytest.raises(InvalidMoneyError, match="finer than one minor unit"):
        Money.from_decimal(tiny)


def test_rounding_must_be_a_rounding() -> None:
    with pytest.raises(MoneyTypeError, match=r"Rounding\.HALF_UP"):
        Money(1).times("0.5", "half_up")  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        round_decimal(Decimal("0.5"), "down")  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        Money.from_decimal(Decimal("0.005"), rounding="up")  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        round_decimal(1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("2.5", Rounding.HALF_UP, 3),
        ("-2.5", Rounding.HALF_UP, -3),
        ("2.5", Rounding.HALF_EVEN, 2),
        ("3.5", Rounding.HALF_EVEN, 4),
        ("-3.5", Rounding.HALF_EVEN, -4),
        ("2.49", Rounding.HALF_UP, 2),
        ("2.51", Rounding.HALF_EVEN, 3),
        ("2.1", Rounding.UP, 3),
        ("-2.1", Rounding.UP, -3),
        ("2.9", Rounding.DOWN, 2),
        ("-2.9", Rounding.DOWN, -2),
        ("7", Rounding.UP, 7),
        ("0", Rounding.UP, 0),
    ],
)
def test_each_rounding_mode_rounds_like_its_name(value: str, mode: Rounding, expected: int) -> None:
    assert round_decimal(Decimal(value), mode) == expected
    assert Money(int(Decimal(value) * 100)).times(Decimal("0.01"), mode) == Money(expected)


def test_a_format_spec_with_a_precision_rounds_half_up() -> None:
    assert f"{Money(1225):.1f}" == "12.3"
    assert f"{Money(-1225):.1f}" == "-12.3"
    assert f"{Money(123456789):,.0f}" == "1,234,568"
    with pytest.raises(InvalidMoneyError, match="format spec"):
        format(Money(1), "zz")
