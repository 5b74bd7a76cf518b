"""Strict parsing: text becomes money only when it means exactly one amount.

``"1,00"`` might be one yuan (European comma) or a hundred (a lost digit);
``"1.005"`` is not a whole number of fen; ``"٣"`` is a digit most shop
staff cannot read. Each is refused with an `InvalidMoneyError` that names
the text and says how to write it. Full-width digits, ``．``, ``，``, ``－``,
``＋`` and ``￥`` are what a Chinese IME types, so they read as ASCII.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sirui.core.errors import CurrencyMismatchError, InvalidMoneyError, MoneyTypeError
from sirui.core.money import CURRENCY_EXPONENTS, MAX_MINOR, Money, as_rate

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
amounts = st.builds(Money, st.integers(-MAX_MINOR, MAX_MINOR), currencies)

#: ASCII to full-width, as an IME in full-width mode types it.
TO_FULLWIDTH = str.maketrans("0123456789.,-+¥", "０１２３４５６７８９．，－＋￥")


# -- what parses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1,000", 100000),
        ("12,345.67", 1234567),
        ("1,234,567.8", 123456780),
        ("-¥1,234.50", -123450),
        ("1.500", 150),
        ("1.50000000000000000000000000000000000000", 150),
        ("0.10", 10),
        (".5", 50),
        ("007", 700),
        ("+3", 300),
        ("  ¥ 12.30  ", 1230),
        ("12.30元", 1230),
        ("RMB 12.30", 1230),
        ("CNY12.30", 1230),
        ("-0", 0),
    ],
)
def test_well_formed_text_parses_exactly(text: str, minor: int) -> None:
    assert Money.parse(text) == Money(minor)
    assert Money.of(text) == Money(minor)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１００", Money(10000)),
        ("￥１００．５", Money(10050)),
        ("¥１００．５", Money(10050)),
        ("１，２３４．５０元", Money(123450)),
        ("－１２．３", Money(-1230)),
        ("＋１", Money(100)),
        ("　１２．３０　", Money(1230)),  # ideographic spaces around
        ("１２．３０ USD", Money(1230, "USD")),
    ],
)
def test_full_width_digits_and_marks_from_an_ime_read_as_ascii(text: str, expected: Money) -> None:
    assert Money.parse(text) == expected
    assert Money.of(text, expected.currency) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$5", Money(500, "USD")),
        ("US$5", Money(500, "USD")),
        ("HK$5", Money(500, "HKD")),
        ("NT$5", Money(500, "TWD")),
        ("MOP$5", Money(500, "MOP")),
        ("JP¥500", Money(500, "JPY")),
        ("₩500", Money(500, "KRW")),
        ("€5", Money(500, "EUR")),
        ("£5", Money(500, "GBP")),
        ("5 KWD", Money(5000, "KWD")),
        ("USD 5", Money(500, "USD")),
    ],
)
def test_a_symbol_or_code_sets_the_currency(text: str, expected: Money) -> None:
    assert Money.parse(text) == expected
    assert Money.parse(text, expected.currency) == expected


# -- what is refused, and what the error says -------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1,00", "comma"),
        ("1,,,0", "comma"),
        (",100", "comma"),
        ("100,", "comma"),
        ("0,100", "comma"),
        ("1,0000", "comma"),
        ("12,34.5", "comma"),
        ("1,000.000,5", "comma"),
        ("1.005", "finer than one minor unit"),
        ("0.001", "finer than one minor unit"),
        ("٣", "ARABIC-INDIC DIGIT THREE"),
        ("३", "DEVANAGARI DIGIT THREE"),
        ("๓", "THAI DIGIT THREE"),
        ("𝟑", "not an ASCII digit"),
        ("１٣", "not an ASCII digit"),
        ("12.", "decimal point must be followed by digits"),
        ("1.2.3", "more than one decimal point"),
        ("", "empty"),
        ("   ", "empty"),
        ("1e5", "not an amount"),
        ("NaN", "not an amount"),
        ("Infinity", "not an amount"),
        ("1_000", "not an amount"),
        ("1 000", "not an amount"),
        ("--1", "not an amount"),
        ("¥-5", "not an amount"),
        ("0x10", "not an amount"),
        ("³", "not an amount"),
        ("①", "not an amount"),
        ("12。5", "not an amount"),
        ("12 ＵＳＤ", "not an amount"),
        ("$5元", "names two currencies"),
        ("5 XXX", "unknown currency"),
        ("10,000,000,000,000.01", "above the largest amount"),
        ("9" * 5000, "above the largest amount"),
    ],
)
def test_ambiguous_or_inexact_text_is_refused_naming_the_text(text: str, says: str) -> None:
    with pytest.raises(InvalidMoneyError, match=re.escape(says)) as caught:
        Money.parse(text)
    assert caught.value.field == "text" and caught.value.value == text
    assert repr(text)[:20] in str(caught.value)
    with pytest.raises(InvalidMoneyError):
        Money.of(text)


def test_each_refusal_says_how_to_write_it() -> None:
    def message(text: str, currency: str | None = None) -> str:
        with pytest.raises(InvalidMoneyError) as caught:
            Money.parse(text, currency)
        return str(caught.value)

    assert "write '1.00', not '1,00'" in message("1,00")
    assert "'1,000'" in message("1,00")
    assert "write at most 2 decimals" in message("1.005")
    assert "Money.from_decimal" in message("1.005")
    assert "JPY has no minor unit" in message("1.5", "JPY")
    assert "write amounts with 0-9" in message("٣")
    assert "write '12'" in message("12.")
    assert "'¥12.30'" in message("abc")


def test_the_currency_asked_for_must_agree_with_the_text() -> None:
    with pytest.raises(CurrencyMismatchError, match="USD"):
        Money.parse("$5", "CNY")
    with pytest.raises(CurrencyMismatchError):
        Money.of("5 USD", "CNY")
    with pytest.raises(InvalidMoneyError, match="unknown currency"):
        Money.parse("5", "XXX")
    with pytest.raises(MoneyTypeError):
        Money.parse(b"5")  # type: ignore[arg-type]


def test_rates_are_ascii_numbers_too() -> None:
    assert as_rate("0.95") == as_rate(" ０．９５ ") == Decimal("0.95")
    assert as_rate("1E-3") == Decimal("0.001")
    for junk in ("٠.٩٥", "0.9_5", "95%", "", "0,95"):
        with pytest.raises(InvalidMoneyError, match="not a number"):
            as_rate(junk)


# -- properties -----------------------------------------------------------------------


@given(amounts)
def test_every_amount_reads_back_from_each_way_it_is_shown(m: Money) -> None:
    assert Money.parse(str(m)) == m
    assert Money.parse(m.to_plain()) == m
    assert Money.parse(m.format(symbol=False), m.currency) == m
    assert Money.of(m.amount, m.currency) == m
    assert Money.parse(f"{m.amount:f}", m.currency) == m


@given(amounts)
def test_every_amount_reads_back_when_typed_full_width(m: Money) -> None:
    assert Money.parse(str(m).translate(TO_FULLWIDTH)) == m
    assert Money.parse(m.format(symbol=False).translate(TO_FULLWIDTH), m.currency) == m


def valid_grouping(integer_part: str) -> bool:
    """The comma rule, as an oracle: groups of three after a first group of 1-3 digits."""
    if "," not in integer_part:
        return True
    first, *rest = integer_part.split(",")  # ",1" and "1," give an empty group
    return 1 <= len(first) <= 3 and first[0] != "0" and all(len(g) == 3 for g in rest)


@given(
    st.text(alphabet="0123456789,", min_size=1, max_size=12),
    st.text(alphabet="0123456789", max_size=4),
)
def test_commas_are_accepted_exactly_where_they_separate_thousands(
    integer_part: str, fraction: str
) -> None:
    assume(any(c.isdigit() for c in integer_part))
    text = f"{integer_part}.{fraction}" if fraction else integer_part
    plain = text.replace(",", "")
    if not valid_grouping(integer_part):
        with pytest.raises(InvalidMoneyError, match="comma"):
            Money.parse(text)
    elif len(fraction.rstrip("0")) > 2:
        with pytest.raises(InvalidMoneyError, match="finer than one minor unit"):
            Money.parse(text)
    else:
        parsed = Money.parse(text)
        assert parsed == Money.parse(plain)
        assert parsed.amount == Decimal(plain)


@given(
    st.integers(-(10**12), 10**12),
    st.integers(0, 6),
    currencies,
)
def test_text_parses_exactly_when_it_is_a_whole_number_of_minor_units(
    coefficient: int, places: int, currency: str
) -> None:
    value = Decimal(coefficient).scaleb(-places)
    text = f"{value:f}"
    scaled = value.scaleb(CURRENCY_EXPONENTS[currency])
    if scaled == scaled.to_integral_value():
        assert Money.parse(text, currency).minor == int(scaled)
    else:
        with pytest.raises(InvalidMoneyError, match="finer than one minor unit"):
            Money.parse(text, currency)


junk_alphabet = st.sampled_from(
    [*"0123456789.,-+ ¥$€£₩元块RMBUSDJPYNT eE_%", "٣", "३", "１", "．", "，", "￥", "－", "\n"]
)


@given(st.one_of(st.text(), st.text(junk_alphabet, max_size=16)))
def test_junk_is_refused_only_with_the_typed_error(text: str) -> None:
    try:
        m = Money.parse(text)
    except InvalidMoneyError as exc:
        refused: InvalidMoneyError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.value == text
        return
    # Whatever parses means one amount: it reads back the same from its own form.
    assert Money.parse(str(m)) == m
    assert Money.parse(m.to_plain()) == m


@given(st.text(junk_alphabet, max_size=16), currencies)
def test_junk_with_a_currency_is_refused_only_with_typed_errors(text: str, currency: str) -> None:
    try:
        m = Money.parse(text, currency)
    except (InvalidMoneyError, CurrencyMismatchError):
        return
    assert m.currency == currency
