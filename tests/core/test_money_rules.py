"""Money rules pinned by mutation testing (`python scripts/mutation.py src/sirui/core/money.py`).

Each refusal names the argument (``field``), keeps the offending value
(``value``), shows it in the message and says how to fix it: a host turns
these into form errors, so a wrong field or a lost hint is a bug.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from sirui.core.errors import CurrencyMismatchError, InvalidMoneyError, MoneyTypeError
from sirui.core.money import MAX_MINOR, Money, Rounding, allocate_int, as_rate, round_decimal, total

_NO_FIELD = object()

# (id, call, error type, field, value, fragments of the message; "...$": it ends the message)
REFUSALS: list[tuple[str, Callable[[], Any], type[Exception], object, object, tuple[str, ...]]] = [
    # round_decimal
    (
        "round a str",
        lambda: round_decimal("1"),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("value='1': expected Decimal, got str",),
    ),
    (
        "round NaN",
        lambda: round_decimal(Decimal("NaN")),
        InvalidMoneyError,
        "value",
        Decimal("NaN"),
        ("value=Decimal('NaN'): NaN and infinities are not a number to round",),
    ),
    (
        "round 10^41",
        lambda: round_decimal(Decimal("1E+41")),
        InvalidMoneyError,
        "value",
        Decimal("1E+41"),
        ("value=Decimal('1E+41'): magnitude 10^41 is absurd for a number to round",),
    ),
    # as_rate
    (
        "a bool rate",
        lambda: as_rate(True),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("rate=True: a bool is not a rate",),
    ),
    (
        "an int rate of 10^41",
        lambda: as_rate(10**41),
        InvalidMoneyError,
        "rate",
        10**41,
        (f"rate={10**41}: magnitude is absurd for a rate; check the units",),
    ),
    (
        "a float rate",
        lambda: as_rate(0.1, "discount"),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("discount=0.1: floats are not exact; pass Decimal('0.1') or the string '0.1'",),
    ),
    (
        "a rate that is not a number",
        lambda: as_rate("abc"),
        InvalidMoneyError,
        "rate",
        "abc",
        ("rate='abc': not a number",),
    ),
    (
        "a rate with an absurd exponent",
        lambda: as_rate("1E+99999999999999999999"),
        InvalidMoneyError,
        "rate",
        "1E+99999999999999999999",
        ("rate='1E+99999999999999999999': exponent out of range",),
    ),
    (
        "a list as a rate",
        lambda: as_rate([1], "discount"),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("discount=[1]: expected Decimal, int or str, got list",),
    ),
    (
        "a NaN rate",
        lambda: as_rate(Decimal("NaN"), "discount"),
        InvalidMoneyError,
        "discount",
        Decimal("NaN"),
        ("discount=Decimal('NaN'): NaN and infinities are not a rate",),
    ),
    # text
    (
        "an Arabic-Indic digit",
        lambda: Money.parse("٣"),
        InvalidMoneyError,
        "text",
        "٣",
        (
            "(ARABIC-INDIC DIGIT THREE) is not an ASCII digit",
            "ASCII digit; write amounts with 0-9 (full-width ０-９ are also accepted)$",
        ),
    ),
    (
        "a misplaced comma",
        lambda: Money.parse("1,00"),
        InvalidMoneyError,
        "text",
        "1,00",
        (
            "misplaced comma in '1,00'",
            "separate groups of three digits ('1,000', '12,345.67'), and the decimal point",
            "is '.' (write '1.00', not '1,00')$",
        ),
    ),
    (
        "parse a non-str",
        lambda: Money.parse(12),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("text=12: expected str, got int",),
    ),
    (
        "two currencies in one text",
        lambda: Money.parse("$5元"),
        InvalidMoneyError,
        "text",
        "$5元",
        ("text='$5元': names two currencies (CNY, USD); keep one symbol or code",),
    ),
    (
        "an unknown code in the text",
        lambda: Money.parse("5 XYZ"),
        InvalidMoneyError,
        "text",
        "5 XYZ",
        ("unknown currency 'XYZ'; use one of AUD, BHD, CNY,",),
    ),
    (
        "a text in another currency than asked",
        lambda: Money.parse("$5", "CNY"),
        CurrencyMismatchError,
        _NO_FIELD,
        None,
        ("text='$5' is USD, not the requested CNY; drop the symbol or ask for the matching",),
    ),
    (
        "yen with decimals",
        lambda: Money.parse("1.5", "JPY"),
        InvalidMoneyError,
        "text",
        "1.5",
        ("JPY has no minor unit, the text 1; write at most 0 decimals",),
    ),
    (
        "fen finer than a fen",
        lambda: Money.parse("1.005"),
        InvalidMoneyError,
        "text",
        "1.005",
        ("CNY has 2 decimal places, the text 3; write at most 2 decimals",),
    ),
    (
        "text above the largest amount",
        lambda: Money.parse("10000000000001"),
        InvalidMoneyError,
        "text",
        "10000000000001",
        (
            "above the largest amount, 1000000000000000 minor units of CNY; this is almost",
            "this is almost certainly a unit mistake (yuan vs fen)$",
        ),
    ),
    # Money.of
    (
        "Money.of with another currency",
        lambda: Money.of(Money(1), "USD"),
        CurrencyMismatchError,
        _NO_FIELD,
        None,
        ("is CNY, not the requested USD; convert it, or omit currency= to keep it",),
    ),
    (
        "Money.of a bool",
        lambda: Money.of(True),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("value=True: a bool is not money",),
    ),
    (
        "Money.of a float",
        lambda: Money.of(0.5),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("value=0.5: floats are refused", "pass the string '0.5' or Decimal('0.5')"),
    ),
    (
        "Money.of a list",
        lambda: Money.of([1]),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("value=[1]: expected int (fen), Decimal (yuan) or str, got list",),
    ),
    # from_decimal
    (
        "from_decimal of a str",
        lambda: Money.from_decimal("1"),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("amount='1': expected Decimal, got str",),
    ),
    (
        "from_decimal of NaN",
        lambda: Money.from_decimal(Decimal("NaN")),
        InvalidMoneyError,
        "amount",
        Decimal("NaN"),
        ("amount=Decimal('NaN'): NaN and infinities are not money",),
    ),
    (
        "from_decimal of 10^14 yuan",
        lambda: Money.from_decimal(Decimal("1E+14")),
        InvalidMoneyError,
        "amount",
        Decimal("1E+14"),
        (
            "amount=Decimal('1E+14'): above the largest amount, 1000000000000000 minor units",
            "unit mistake (yuan vs fen)",
        ),
    ),
    (
        "from_decimal finer than a fen",
        lambda: Money.from_decimal(Decimal("1.005")),
        InvalidMoneyError,
        "amount",
        Decimal("1.005"),
        (
            "amount=Decimal('1.005'): finer than one minor unit of CNY; "
            "pass rounding=Rounding.HALF_UP (or another mode) to round it",
        ),
    ),
    (
        "from_decimal of twenty trillion fen",
        lambda: Money.from_decimal(Decimal("20000000000000")),
        InvalidMoneyError,
        "minor",
        2 * MAX_MINOR,
        (
            "amount=Decimal('20000000000000') is 2000000000000000 minor units of CNY, "
            "beyond MAX_MINOR = 1000000000000000; this is almost certainly a unit mistake",
            "unit mistake (yuan vs fen)$",
        ),
    ),
    # arithmetic past MAX_MINOR
    (
        "a sum past the largest amount",
        lambda: Money(MAX_MINOR) + Money(1),
        InvalidMoneyError,
        "minor",
        MAX_MINOR + 1,
        (
            "Money('10000000000000.00', 'CNY') + Money('0.01', 'CNY') is "
            "1000000000000001 minor units of CNY",
        ),
    ),
    (
        "a difference past the largest amount",
        lambda: Money(-MAX_MINOR) - Money(1, "CNY"),
        InvalidMoneyError,
        "minor",
        -MAX_MINOR - 1,
        (
            "Money('-10000000000000.00', 'CNY') - Money('0.01', 'CNY') is "
            "-1000000000000001 minor units of CNY",
        ),
    ),
    (
        "a product past the largest amount",
        lambda: Money(MAX_MINOR, "USD") * 2,
        InvalidMoneyError,
        "minor",
        2 * MAX_MINOR,
        ("Money('10000000000000.00', 'USD') * 2 is 2000000000000000 minor units of USD",),
    ),
    (
        "times past the largest amount",
        lambda: Money(MAX_MINOR, "USD").times("1.5"),
        InvalidMoneyError,
        "minor",
        MAX_MINOR * 3 // 2,
        (".times('1.5') is 1500000000000000 minor units of USD",),
    ),
    (
        "a float factor",
        lambda: Money(100) * 1.5,
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("* 1.5: floats are refused; multiply by Decimal('1.5')",),
    ),
    (
        "times by text that is not a number",
        lambda: Money(100).times("abc"),
        InvalidMoneyError,
        "factor",
        "abc",
        ("factor='abc': not a number",),
    ),
    (
        "times with a rounding that is not a Rounding",
        lambda: Money(100).times("0.5", "half_up"),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("rounding='half_up': expected a Rounding",),
    ),
    # mixing currencies and types
    (
        "adding another currency",
        lambda: Money(1) + Money(1, "USD"),
        CurrencyMismatchError,
        _NO_FIELD,
        None,
        ("cannot combine Money('0.01', 'CNY') and Money('0.01', 'USD'): convert one currency",),
    ),
    (
        "subtracting another currency",
        lambda: Money(100) - Money(1, "USD"),
        CurrencyMismatchError,
        _NO_FIELD,
        None,
        ("cannot combine Money('1.00', 'CNY') and Money('0.01', 'USD')",),
    ),
    (
        "ratio to a number",
        lambda: Money(100).ratio_to(5),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("Money('1.00', 'CNY').ratio_to(5): expected Money, got int",),
    ),
    (
        "ratio to zero",
        lambda: Money(100).ratio_to(Money(0)),
        InvalidMoneyError,
        "other",
        Money(0),
        ("Money('1.00', 'CNY').ratio_to(Money('0.00', 'CNY')): division by zero",),
    ),
    (
        "min of a number",
        lambda: Money(100).min(5),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("Money('1.00', 'CNY').min(5): expected Money",),
    ),
    (
        "max of a number",
        lambda: Money(100).max(5),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("Money('1.00', 'CNY').max(5): expected Money",),
    ),
    (
        "clamp with a number low",
        lambda: Money(100).clamp(5, Money(1)),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("Money('1.00', 'CNY').clamp(5): expected Money",),
    ),
    (
        "clamp with a number high",
        lambda: Money(100).clamp(Money(1), 5),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("Money('1.00', 'CNY').clamp(5): expected Money",),
    ),
    (
        "clamp with low above high",
        lambda: Money(100).clamp(Money(9), Money(1)),
        InvalidMoneyError,
        "low",
        Money(9),
        ("low is above high; swap them",),
    ),
    (
        "comparing with a number",
        lambda: Money(100) < 5,
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("cannot compare Money('1.00', 'CNY') with 5; compare Money with Money",),
    ),
    (
        "a bad format spec",
        lambda: format(Money(100), "Q"),
        InvalidMoneyError,
        "spec",
        "Q",
        ("format spec 'Q' for Money('1.00', 'CNY')", "; use a Decimal spec like '.2f' or ',.2f'$"),
    ),
    # splitting
    (
        "split by a bool",
        lambda: Money(100).split(True),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("n=True: a bool is not a count; pass an int >= 1",),
    ),
    (
        "split by a str",
        lambda: Money(100).split("2"),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("n='2': expected an int count, got str",),
    ),
    (
        "split into none",
        lambda: Money(100).split(0),
        InvalidMoneyError,
        "n",
        0,
        ("n=0: must be >= 1",),
    ),
    (
        "allocate_int of a str total",
        lambda: allocate_int("9", [1]),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("total='9': expected int, got str",),
    ),
    (
        "allocate_int by no sequence",
        lambda: allocate_int(9, 5),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("weights=5: expected a sequence of ints",),
    ),
    (
        "allocate_int by Decimal weights",
        lambda: allocate_int(9, [Decimal("0.5")]),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("weights=[Decimal('0.5')]: expected ints (floats and Decimals are refused)",),
    ),
    (
        "allocate_int by all-zero weights",
        lambda: allocate_int(9, [0, 0]),
        InvalidMoneyError,
        "weights",
        [0, 0],
        ("weights=[0, 0]: weights must be >= 0 and not all zero",),
    ),
    (
        "a total of something that is not money",
        lambda: total([Money(1), 2]),
        MoneyTypeError,
        _NO_FIELD,
        None,
        ("amounts[1]=2: expected Money, got int",),
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "field", "value", "fragments"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
def test_a_refusal_names_the_field_keeps_the_value_and_says_how_to_fix_it(
    call: Callable[[], Any],
    error: type[Exception],
    field: object,
    value: object,
    fragments: tuple[str, ...],
) -> None:
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        if fragment.endswith("$"):  # the message ends with it
            assert message.endswith(fragment[:-1])
        else:
            assert fragment in message
    if field is not _NO_FIELD:
        assert info.value.field == field  # type: ignore[attr-defined]
        assert repr(info.value.value) == repr(value)  # type: ignore[attr-defined]


def test_a_rate_exponent_out_of_range_is_refused_whatever_the_callers_traps() -> None:
    # A host that silenced InvalidOperation still gets the exponent refusal, not a NaN.
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.InvalidOperation] = False
        with pytest.raises(InvalidMoneyError, match="exponent out of range"):
            as_rate("1E+99999999999999999999")


def test_the_largest_rate_and_amount_are_accepted_one_digit_more_is_not() -> None:
    assert as_rate(10**41 - 1) == Decimal(10**41 - 1)
    assert as_rate(10**40) == Decimal(10**40)
    assert round_decimal(Decimal("9.9E+40")) == 99 * 10**39
    assert round_decimal(Decimal("1E+40")) == 10**40


def test_an_amount_of_another_currency_keeps_that_currency() -> None:
    assert Money.of(100, "USD").currency == "USD"
    assert Money.of(100, "JPY") == Money(100, "JPY")


def test_formatting_without_a_spec_is_the_plain_string() -> None:
    assert f"{Money(1230)}" == "¥12.30"
    assert format(Money(-5, "USD"), "") == "-$0.05"


def test_leading_zeros_do_not_count_toward_the_largest_amount() -> None:
    assert Money.parse("00000000000000000012.30") == Money(1230)
    assert Money.parse("0000000000000000000.10") == Money(10)


def test_sums_and_differences_may_reach_the_largest_amount_exactly() -> None:
    assert Money(-MAX_MINOR + 1) + Money(-1) == Money(-MAX_MINOR)
    assert Money(MAX_MINOR - 1) - Money(-1) == Money(MAX_MINOR)
    assert Money(MAX_MINOR) - Money(0) == Money(MAX_MINOR)
    assert Money(-MAX_MINOR) + Money(0) == Money(-MAX_MINOR)


def test_a_tiny_rate_on_a_large_amount_rounds_from_the_exact_product() -> None:
    # 1,000,000,000 fen x 9.9E-10 = 0.99 fen: one fen half-up, not a shortcut to zero.
    assert Money(10**9).times(Decimal("9.9E-10")) == Money(1)
    assert Money(10**9).times(Decimal("9.9E-10"), Rounding.DOWN) == Money(0)
    assert Money(-(10**9)).times(Decimal("9.9E-10")) == Money(-1)


def test_splitting_into_one_part_gives_the_whole() -> None:
    assert Money(1001).split(1) == [Money(1001)]
