"""Exact money: integer minor units (fen) and an ISO currency.

Invariants:

* an amount is an ``int`` number of minor units; floats, NaN and infinities
  are refused with a typed error, never rounded silently;
* amounts of different currencies never mix (`CurrencyMismatchError`);
* every multiplication names its rounding (half-up by default, the retail
  convention) and rounds exactly once, from the exact product: a rate of
  any length is never cut to 28 digits first;
* no result depends on the caller's `decimal` context. Nothing here reads
  ``decimal.getcontext()``'s precision, rounding or traps: products,
  quotients and scalings are computed exactly with integers, and the two
  steps that must round a Decimal (`Money.ratio_to`, a format spec in
  ``f"{m:.1f}"``) run in a private context;
* `Money.allocate` splits an amount by weights with the largest-remainder
  method: the parts always sum exactly to the whole, each part is within one
  minor unit of its exact share, and ties go to the earliest weight, so the
  result is deterministic;
* bad input raises `InvalidMoneyError` (a ``ValueError``) or `MoneyTypeError`
  (a ``TypeError``), and mixing currencies `CurrencyMismatchError`; no raw
  ``decimal.InvalidOperation``, ``OverflowError`` or ``ZeroDivisionError``
  leaves this module.
"""

from __future__ import annotations

import decimal
import enum
import math
import operator
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Final, SupportsIndex

import attrs

from sirui.core.errors import (
    CurrencyMismatchError,
    InvalidMoneyError,
    MoneyTypeError,
)

__all__ = [
    "CURRENCY_EXPONENTS",
    "DEFAULT_CURRENCY",
    "MAX_MINOR",
    "Money",
    "Rounding",
    "allocate_int",
    "as_rate",
    "round_decimal",
    "split_int",
    "total",
]

DEFAULT_CURRENCY: Final = "CNY"

#: Minor-unit exponent per ISO 4217 currency (2 means 1 unit = 100 minor units).
CURRENCY_EXPONENTS: Final[dict[str, int]] = {
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

_SYMBOLS: Final[dict[str, str]] = {
    "CNY": "¥",
    "HKD": "HK$",
    "MOP": "MOP$",
    "TWD": "NT$",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "JP¥",
    "KRW": "₩",
}

#: Largest absolute amount accepted, in minor units (10^15 fen = 10 trillion yuan).
#: Anything larger is a unit mistake (yuan given as fen twice) rather than an order.
MAX_MINOR: Final = 10**15

#: A non-zero Decimal amount, rate or weight of 10^41 or more (or, for amounts
#: and weights, below 10^-40) is a mistake, not a price; refusing it also keeps
#: the exact integer arithmetic below small.
_MAX_ADJUSTED: Final = 40


class Rounding(enum.Enum):
    """How a fractional minor unit is resolved."""

    HALF_UP = "half_up"
    """0.5 rounds away from zero (the retail convention, 四舍五入)."""
    HALF_EVEN = "half_even"
    """0.5 rounds to the even neighbour (banker's rounding)."""
    DOWN = "down"
    """Toward zero (truncate, 舍去)."""
    UP = "up"
    """Away from zero (进一)."""

    @property
    def decimal_mode(self) -> str:
        return _DECIMAL_MODES[self]


_DECIMAL_MODES: Final[dict[Rounding, str]] = {
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.DOWN: decimal.ROUND_DOWN,
    Rounding.UP: decimal.ROUND_UP,
}


def _context(rounding: str) -> decimal.Context:
    # Every field spelled out: nothing is inherited from decimal.DefaultContext,
    # which a host may have changed before importing sirui.
    # pragma: no mutate block (runs only at import, before mutmut switches a mutant on)
    return decimal.Context(
        prec=28,
        rounding=rounding,
        Emin=-999_999,
        Emax=999_999,
        capitals=1,
        clamp=0,
        flags=[],
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


#: `Money.ratio_to`: 28 significant digits, half-even (what the decimal module's
#: default context gives), whatever context the caller has set.
_RATIO_CTX: Final = _context(decimal.ROUND_HALF_EVEN)
#: Format specs with a precision (``f"{m:.1f}"``) round half-up, the retail convention.
_FORMAT_CTX: Final = _context(decimal.ROUND_HALF_UP)
#: Turning validated text into a Decimal (the constructor is exact; the context
#: only decides whether an absurd exponent raises).
_PARSE_CTX: Final = _context(decimal.ROUND_HALF_EVEN)


def _show(value: object) -> str:
    """``repr(value)`` for error messages: shortened in the middle when long, and the
    same whatever the caller's context (which decides ``1E+5`` or ``1e+5``)."""
    with decimal.localcontext(_RATIO_CTX):
        r = repr(value)
    return r if len(r) <= 80 else f"{r[:50]}...{r[-20:]} ({len(r)} characters)"


# -- exact integer rounding ----------------------------------------------------------


def _check_rounding(rounding: object) -> Rounding:
    if rounding.__class__ is not Rounding:
        raise MoneyTypeError(
            f"rounding={rounding!r}: expected a Rounding, like Rounding.HALF_UP or Rounding.DOWN"
        )
    return rounding


def _div_round(num: int, den: int, rounding: Rounding) -> int:
    """``num / den`` (``den > 0``) rounded to an int by ``rounding``, exactly."""
    q, r = divmod(-num if num < 0 else num, den)  # pragma: no mutate (equivalent: -0 == 0)
    if r:
        if rounding is Rounding.HALF_UP:
            q += 2 * r >= den
        elif rounding is Rounding.HALF_EVEN:
            q += 2 * r > den or (2 * r == den and q & 1 == 1)
        elif rounding is Rounding.UP:
            q += 1
    return -q if num < 0 else q  # pragma: no mutate (equivalent: -0 == 0)


def _product(n: int, d: Decimal) -> tuple[int, int] | None:
    """``n * d`` exactly as ``(numerator, denominator > 0)``; None if ``0 < |n * d| < 0.1``.

    ``d`` is finite and below 10^41 (callers check). A tiny ``d`` such as
    ``1E-999999`` is answered by None without building 10^999999.
    """
    if n == 0 or not d:  # pragma: no mutate (equivalent: the exact path also gives 0)
        return 0, 1  # pragma: no mutate (equivalent: 0/2 is 0 too)
    # |n| < 10^(bits//3 + 1) and |d| < 10^(adjusted + 1), so |n*d| < 0.1 here.
    # a stricter shortcut gives the same answer by the exact path below
    if d.adjusted() <= -3 - abs(n).bit_length() // 3:  # pragma: no mutate (see above)
        return None
    p, q = d.as_integer_ratio()
    return n * p, q


def _round_product(n: int, d: Decimal, rounding: Rounding) -> int:
    """``n * d`` rounded once, exactly, to an int by ``rounding``."""
    frac = _product(n, d)
    if frac is None:  # 0 < |n * d| < 0.1: only UP moves it off zero
        if rounding is Rounding.UP:
            # equivalent mutants: n is never 0 here
            return -1 if (n < 0) != d.is_signed() else 1  # pragma: no mutate
        return 0
    return _div_round(frac[0], frac[1], rounding)


def _finite_decimal(value: object, field: str, what: str) -> Decimal:
    """``value`` as a finite Decimal whose magnitude is below 10^41, or a typed error."""
    if not isinstance(value, Decimal):
        raise MoneyTypeError(
            f"{field}={_show(value)}: expected Decimal, got {type(value).__name__}"
        )
    if not value.is_finite():
        raise InvalidMoneyError(
            f"{field}={_show(value)}: NaN and infinities are not {what}", field=field, value=value
        )
    if value and value.adjusted() > _MAX_ADJUSTED:
        raise InvalidMoneyError(
            f"{field}={_show(value)}: magnitude 10^{value.adjusted()} is absurd for {what}; "
            f"check the units (at most 10^{_MAX_ADJUSTED})",
            field=field,
            value=value,
        )
    return value


def round_decimal(value: Decimal, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Round a Decimal to an int with an explicit mode, exactly, whatever the decimal context.

    >>> round_decimal(Decimal("2.5")), round_decimal(Decimal("2.5"), Rounding.HALF_EVEN)
    (3, 2)

    NaN, infinities and magnitudes of 10^41 or more raise `InvalidMoneyError`.
    """
    d = _finite_decimal(value, "value", "a number to round")
    return _round_product(1, d, _check_rounding(rounding))


# -- text -----------------------------------------------------------------------------

#: The full-width forms a Chinese IME types (digits, ．，－＋ and ￥), mapped to
#: their NFKC forms. Only these are translated: every other non-ASCII digit
#: (Arabic-Indic ٣, Devanagari ३, ...) is refused.
_FULLWIDTH: Final = str.maketrans(
    {c: unicodedata.normalize("NFKC", c) for c in "０１２３４５６７８９．，－＋￥"}
)

_RATE_RE: Final = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def as_rate(value: object, field: str = "rate") -> Decimal:
    """Turn a rate given as ``Decimal``, ``int`` or ``str`` into a finite Decimal.

    Floats are refused: ``0.1`` is not one tenth in binary, and a rate that
    prices money must be exact. Pass ``"0.1"`` or ``Decimal("0.1")``. Text is
    ASCII digits with an optional sign, point and exponent (``"0.95"``,
    ``"1E-3"``; full-width digits are accepted as in `Money.parse`). NaN,
    infinities and magnitudes of 10^41 or more raise `InvalidMoneyError`.
    """
    if isinstance(value, bool):
        raise MoneyTypeError(f"{field}={_show(value)}: a bool is not a rate; pass a Decimal or str")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        if abs(value) >= 10 ** (_MAX_ADJUSTED + 1):
            raise InvalidMoneyError(
                f"{field}={_show(value)}: magnitude is absurd for a rate; check the units",
                field=field,
                value=value,
            )
        d = Decimal(value)
    elif isinstance(value, float):
        raise MoneyTypeError(
            f"{field}={_show(value)}: floats are not exact; pass Decimal({str(value)!r}) "
            f"or the string {str(value)!r}"
        )
    elif isinstance(value, str):
        text = value.strip().translate(_FULLWIDTH)
        if _RATE_RE.fullmatch(text) is None:
            raise InvalidMoneyError(
                f"{field}={_show(value)}: not a number; write it like '0.95' with ASCII digits",
                field=field,
                value=value,
            )
        try:
            with decimal.localcontext(_PARSE_CTX):
                d = Decimal(text)
        except decimal.DecimalException:
            raise InvalidMoneyError(
                f"{field}={_show(value)}: exponent out of range; write it like '0.95'",
                field=field,
                value=value,
            ) from None
    else:
        raise MoneyTypeError(
            f"{field}={_show(value)}: expected Decimal, int or str, got {type(value).__name__}"
        )
    return _finite_decimal(d, field, "a rate")


_NUM: Final = r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+"
_SYM: Final = r"US\$|HK\$|NT\$|MOP\$|JP¥|RMB|[A-Z]{3}|¥|\$|€|£|₩"
_SUFFIX: Final = r"元|块|rmb|RMB|[A-Z]{3}"
_PARSE_RE: Final = re.compile(
    rf"\s*(?P<sign>[-+])?\s*(?:(?P<sym>{_SYM})\s*)?(?P<num>{_NUM})\s*(?P<suffix>{_SUFFIX})?\s*"
)
#: The same shape with a loose number, to say what is wrong with one that failed.
_LOOSE_RE: Final = re.compile(
    rf"\s*(?P<sign>[-+])?\s*(?:(?P<sym>{_SYM})\s*)?(?P<num>[0-9.,]*[0-9][0-9.,]*)\s*"
    rf"(?P<suffix>{_SUFFIX})?\s*"
)

_SYMBOL_CURRENCY: Final[dict[str, str]] = {
    "¥": "CNY",
    "RMB": "CNY",
    "元": "CNY",
    "块": "CNY",
    "rmb": "CNY",
    "$": "USD",
    "US$": "USD",
    "HK$": "HKD",
    "NT$": "TWD",
    "MOP$": "MOP",
    "JP¥": "JPY",
    "₩": "KRW",
    "€": "EUR",
    "£": "GBP",
}

_EXAMPLES: Final = "write it like '12.30', '¥12.30', '1,234.50', '12.30元' or '12.30 USD'"


def _unparseable(text: str, normal: str) -> InvalidMoneyError:
    """The most useful error for text that `_PARSE_RE` refused."""

    def err(why: str) -> InvalidMoneyError:
        return InvalidMoneyError(f"text={_show(text)}: {why}", field="text", value=text)

    if not normal.strip():
        return err(f"empty; {_EXAMPLES}")
    for ch in normal:
        # equivalent mutants on the next two lines: every non-ASCII Nd character is
        # above "Z" and has a Unicode name (checked over the whole of Unicode)
        if unicodedata.category(ch) == "Nd" and not "0" <= ch <= "9":  # pragma: no mutate
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")  # pragma: no mutate
            return err(
                f"{ch!r} ({name}) is not an ASCII digit; write amounts with 0-9 "
                "(full-width ０-９ are also accepted)"
            )
    loose = _LOOSE_RE.fullmatch(normal)
    if loose is not None:
        num = loose["num"]
        if num.count(".") > 1:
            return err(f"more than one decimal point in {num!r}; {_EXAMPLES}")
        if "," in num:
            return err(
                f"misplaced comma in {num!r}: a comma may only separate groups of three "
                "digits ('1,000', '12,345.67'), and the decimal point is '.' "
                "(write '1.00', not '1,00')"
            )
        if num.endswith("."):
            return err(f"a decimal point must be followed by digits; write {num[:-1]!r}")
    return err(f"not an amount; {_EXAMPLES}")


def _check_currency(currency: object) -> str:
    if not isinstance(currency, str) or currency not in CURRENCY_EXPONENTS:
        raise InvalidMoneyError(
            f"currency={currency!r}: unknown currency; use one of "
            f"{', '.join(sorted(CURRENCY_EXPONENTS))}",
            field="currency",
            value=currency,
        )
    return currency


def _check_minor(_inst: object, _attr: object, value: Any) -> None:
    if type(value) is not int:
        if isinstance(value, float):
            raise MoneyTypeError(
                f"minor={_show(value)}: floats are refused; pass int minor units (fen) or use "
                f"Money.of('{value}') for a decimal amount"
            )
        raise MoneyTypeError(
            f"minor={_show(value)}: expected int minor units (fen), got {type(value).__name__}"
        )
    if not -MAX_MINOR <= value <= MAX_MINOR:
        raise InvalidMoneyError(
            f"minor={_show(value)}: magnitude above {MAX_MINOR} minor units; "
            "this is almost certainly a unit mistake (yuan vs fen)",
            field="minor",
            value=value,
        )


def _check_currency_attr(_inst: object, _attr: object, value: Any) -> None:
    _check_currency(value)


def _out_of_range(minor: int, currency: str, expr: str) -> InvalidMoneyError:
    return InvalidMoneyError(
        f"{expr} is {minor} minor units of {currency}, beyond MAX_MINOR = {MAX_MINOR}; "
        "this is almost certainly a unit mistake (yuan vs fen)",
        field="minor",
        value=minor,
    )


def _digits(minor_abs: int, exponent: int, grouped: bool) -> str:
    """``1234567`` with exponent 2 as ``"12345.67"`` (``"12,345.67"`` grouped), from ints."""
    if exponent == 0:
        return f"{minor_abs:,}" if grouped else str(minor_abs)
    whole, frac = divmod(minor_abs, 10**exponent)
    head = f"{whole:,}" if grouped else str(whole)
    return f"{head}.{frac:0{exponent}d}"


@attrs.frozen(slots=True, eq=True, order=False, repr=False, cache_hash=False)
class Money:
    """An exact amount: ``minor`` integer units of ``currency`` (fen for CNY).

    >>> Money.of("12.30")
    Money('12.30', 'CNY')
    >>> str(Money(1230))
    '¥12.30'
    >>> sum([Money(1), Money(2)]) == Money(3)
    True
    >>> Money.of("100").allocate([1, 1, 1])
    [Money('33.34', 'CNY'), Money('33.33', 'CNY'), Money('33.33', 'CNY')]
    """

    minor: int = attrs.field(validator=_check_minor)
    currency: str = attrs.field(default=DEFAULT_CURRENCY, validator=_check_currency_attr)

    ZERO: ClassVar[Money]

    # -- construction -----------------------------------------------------------------

    @classmethod
    def _raw(cls, minor: int, currency: str) -> Money:
        """Build without validation (inputs already checked by the caller)."""
        m = _new(cls)
        _set_minor(m, minor)
        _set_currency(m, currency)
        return m

    @classmethod
    def of(cls, value: object, currency: str | None = None) -> Money:
        """Build from int minor units, a Decimal of major units, or text.

        * ``int``: minor units (``Money.of(1230)`` is ¥12.30);
        * ``Decimal``: major units (``Money.of(Decimal("12.3"))`` is ¥12.30);
        * ``str``: parsed strictly by `Money.parse` (``"12.3"``, ``"¥12.30"``, ``"12.30元"``);
        * ``Money``: returned as is; if ``currency`` is given it must be the
          amount's currency (`CurrencyMismatchError` otherwise; nothing is converted).

        Floats are refused. More decimals than the currency has raise
        `InvalidMoneyError`; round explicitly with `Money.from_decimal`.
        """
        if currency is not None:
            _check_currency(currency)
        if isinstance(value, Money):
            if currency is not None and value.currency != currency:
                raise CurrencyMismatchError(
                    f"{value!r} is {value.currency}, not the requested {currency}; "
                    "convert it, or omit currency= to keep it"
                )
            return value
        cur = DEFAULT_CURRENCY if currency is None else currency
        if isinstance(value, bool):
            raise MoneyTypeError(f"value={_show(value)}: a bool is not money")
        if isinstance(value, int):
            return cls(value, cur)
        if isinstance(value, Decimal):
            return cls.from_decimal(value, cur)
        if isinstance(value, str):
            return cls.parse(value, currency)
        if isinstance(value, float):
            raise MoneyTypeError(
                f"value={_show(value)}: floats are refused because they are not exact; "
                f"pass the string {str(value)!r} or Decimal({str(value)!r})"
            )
        raise MoneyTypeError(
            f"value={_show(value)}: expected int (fen), Decimal (yuan) or str, "
            f"got {type(value).__name__}"
        )

    @classmethod
    def fen(cls, minor: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Build from integer minor units (an alias of the constructor that reads well)."""
        return cls(minor, currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        # equivalent mutants: equal zeros
        return cls(0, currency) if currency != DEFAULT_CURRENCY else cls.ZERO  # pragma: no mutate

    @classmethod
    def from_decimal(
        cls,
        amount: Decimal,
        currency: str = DEFAULT_CURRENCY,
        rounding: Rounding | None = None,
    ) -> Money:
        """Build from a Decimal of major units (yuan), exactly.

        Without ``rounding``, an amount finer than the currency's minor unit
        raises (``Decimal("1.500")`` is 150 fen, ``Decimal("1.005")`` raises);
        with it, the amount is rounded once by that mode, however many digits
        it has.
        """
        cur = _check_currency(currency)
        if rounding is not None:
            _check_rounding(rounding)
        d = _finite_decimal(amount, "amount", "money")
        exp = CURRENCY_EXPONENTS[cur]
        if d and d.adjusted() + exp > 15:
            raise InvalidMoneyError(
                f"amount={_show(amount)}: above the largest amount, {MAX_MINOR} minor units of "
                f"{cur}; this is almost certainly a unit mistake (yuan vs fen)",
                field="amount",
                value=amount,
            )
        frac = _product(10**exp, d)  # None: a non-zero amount below 0.1 minor units
        if frac is not None and frac[0] % frac[1] == 0:
            m = frac[0] // frac[1]
        elif rounding is None:
            raise InvalidMoneyError(
                f"amount={_show(amount)}: finer than one minor unit of {cur}; "
                "pass rounding=Rounding.HALF_UP (or another mode) to round it",
                field="amount",
                value=amount,
            )
        else:
            m = _round_product(10**exp, d, rounding)
        if not -MAX_MINOR <= m <= MAX_MINOR:
            raise _out_of_range(m, cur, f"amount={_show(amount)}")
        return cls._raw(m, cur)

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> Money:
        """Parse ``"12.3"``, ``"¥12.30"``, ``"12.30元"``, ``"-¥1,234.50"``, ``"12.30 USD"``.

        A symbol or code in the text sets the currency; if ``currency`` is also
        given they must agree (`CurrencyMismatchError`). Parsing is strict and
        never rounds; each refusal is an `InvalidMoneyError` that names the text
        and says how to fix it:

        * digits are ASCII ``0-9``. Full-width ``０-９``, ``．``, ``，``, ``－``,
          ``＋`` and ``￥`` (what a Chinese IME types) are read as their ASCII
          forms (``"￥１００．５"`` is ¥100.50); every other digit (``"٣"``,
          ``"३"``) is refused;
        * a comma only separates groups of three digits: ``"1,000"`` and
          ``"12,345.67"`` parse; ``"1,00"``, ``"1,,0"``, ``",100"`` and
          ``"100,"`` do not;
        * the amount must be a whole number of minor units: ``"1.500"`` is
          150 fen, ``"1.005"`` is refused (round on purpose with
          `Money.from_decimal`);
        * no exponents, ``NaN`` or trailing point (``"1e5"``, ``"12."``).

        Symbols: ``¥`` (CNY), ``$`` / ``US$``, ``HK$``, ``NT$``, ``MOP$``,
        ``JP¥``, ``₩``, ``€``, ``£``; ISO codes before or after the number;
        ``元``, ``块``, ``RMB`` for CNY. ``Money.parse(str(m)) == m`` for every ``m``.
        """
        if not isinstance(text, str):
            raise MoneyTypeError(f"text={_show(text)}: expected str, got {type(text).__name__}")
        if currency is not None:
            _check_currency(currency)
        normal = text.translate(_FULLWIDTH)
        m = _PARSE_RE.fullmatch(normal)
        if m is None:
            raise _unparseable(text, normal)
        found = {
            _SYMBOL_CURRENCY.get(tok, tok)
            for tok in (m.group("sym"), m.group("suffix"))
            if tok is not None
        }
        if len(found) > 1:
            raise InvalidMoneyError(
                f"text={_show(text)}: names two currencies ({', '.join(sorted(found))}); "
                "keep one symbol or code",
                field="text",
                value=text,
            )
        cur = found.pop() if found else (currency or DEFAULT_CURRENCY)
        if cur not in CURRENCY_EXPONENTS:
            raise InvalidMoneyError(
                f"text={_show(text)}: unknown currency {cur!r}; use one of "
                f"{', '.join(sorted(CURRENCY_EXPONENTS))}",
                field="text",
                value=text,
            )
        if currency is not None and cur != currency:
            raise CurrencyMismatchError(
                f"text={_show(text)} is {cur}, not the requested {currency}; "
                "drop the symbol or ask for the matching currency"
            )
        whole, _, frac = m.group("num").replace(",", "").partition(".")
        # equivalent mutants: both hold digits only, so "XX0XX" strips the same as "0"
        whole, frac = whole.lstrip("0"), frac.rstrip("0")  # pragma: no mutate
        exp = CURRENCY_EXPONENTS[cur]
        if len(frac) > exp:
            unit = "no minor unit" if exp == 0 else f"{exp} decimal places"
            raise InvalidMoneyError(
                f"text={_show(text)}: finer than one minor unit: {cur} has {unit}, the text "
                f"{len(frac)}; write at most {exp} decimals, or round on purpose with "
                f"Money.from_decimal(Decimal(...), {cur!r}, rounding=Rounding.HALF_UP)",
                field="text",
                value=text,
            )
        # A shortcut: at least 10^16 minor units, so no need to build the int. Equivalent
        # mutants: a looser test builds the int, which the check below refuses as well.
        if len(whole) + exp > 16:  # pragma: no mutate
            minor = MAX_MINOR + 1  # pragma: no mutate
        else:
            minor = int((whole or "0") + frac.ljust(exp, "0"))
        if minor > MAX_MINOR:
            raise InvalidMoneyError(
                f"text={_show(text)}: above the largest amount, {MAX_MINOR} minor units of {cur}; "
                "this is almost certainly a unit mistake (yuan vs fen)",
                field="text",
                value=text,
            )
        return cls._raw(-minor if m.group("sign") == "-" else minor, cur)

    # -- views ------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    @property
    def amount(self) -> Decimal:
        """The amount in major units as an exact Decimal (``Decimal('12.30')``)."""
        sign, digits, _ = Decimal(self.minor).as_tuple()
        return Decimal((sign, digits, -self.exponent))

    def is_zero(self) -> bool:
        return self.minor == 0

    def is_positive(self) -> bool:
        return self.minor > 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def to_plain(self) -> str:
        """``"12.30"`` for CNY, ``"12.30 USD"`` otherwise: the config/JSON form."""
        s = ("-" if self.minor < 0 else "") + _digits(abs(self.minor), self.exponent, False)
        return s if self.currency == DEFAULT_CURRENCY else f"{s} {self.currency}"

    def format(self, symbol: bool = True) -> str:
        """``¥12.30`` (or ``12.30`` with ``symbol=False``); negatives as ``-¥12.30``.

        Zero is always ``¥0.00``, never ``-¥0.00``.
        """
        body = _digits(abs(self.minor), self.exponent, True)
        sign = "-" if self.minor < 0 else ""
        if not symbol:
            return f"{sign}{body}"
        sym = _SYMBOLS.get(self.currency)
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        sign = "-" if self.minor < 0 else ""
        return f"Money('{sign}{_digits(abs(self.minor), self.exponent, False)}', '{self.currency}')"

    def __format__(self, spec: str) -> str:
        """A Decimal format spec applied to `amount`; a precision rounds half-up.

        >>> f"{Money(1225):.1f}"
        '12.3'
        """
        if not spec:
            return str(self)
        try:
            with decimal.localcontext(_FORMAT_CTX):
                return format(self.amount, spec)
        except (ValueError, decimal.DecimalException) as exc:
            raise InvalidMoneyError(
                f"format spec {spec!r} for {self!r}: {exc}; "
                "use a Decimal spec like '.2f' or ',.2f'",
                field="spec",
                value=spec,
            ) from None

    # -- arithmetic -------------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self!r} and {_show(other)}: convert one currency first"
            )

    def _money(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise MoneyTypeError(
                f"{self!r}.{op}({_show(other)}): expected Money, got {type(other).__name__}"
            )
        self._same(other)
        return other

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            if other.currency != self.currency:
                self._same(other)
            m = self.minor + other.minor
            if -MAX_MINOR <= m <= MAX_MINOR:
                return Money._raw(m, self.currency)
            raise _out_of_range(m, self.currency, f"{self!r} + {_show(other)}")
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # Lets the builtin sum() start from 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            if other.currency != self.currency:
                self._same(other)
            m = self.minor - other.minor
            if -MAX_MINOR <= m <= MAX_MINOR:
                return Money._raw(m, self.currency)
            raise _out_of_range(m, self.currency, f"{self!r} - {_show(other)}")
        return NotImplemented

    def __neg__(self) -> Money:
        return Money._raw(-self.minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._raw(abs(self.minor), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool):
            return NotImplemented
        if isinstance(factor, int):
            m = self.minor * factor
            if -MAX_MINOR <= m <= MAX_MINOR:
                return Money._raw(m, self.currency)
            raise _out_of_range(m, self.currency, f"{self!r} * {_show(factor)}")
        if isinstance(factor, Decimal):
            return self.times(factor)
        if isinstance(factor, float):
            raise MoneyTypeError(
                f"{self!r} * {factor!r}: floats are refused; multiply by Decimal({str(factor)!r})"
            )
        return NotImplemented

    __rmul__ = __mul__

    def times(self, factor: Decimal | int | str, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Multiply by an exact factor and round to the minor unit by ``rounding``.

        The product is exact and rounded once, whatever the decimal context
        and however many digits the factor has.

        >>> Money.of("10.05").times(Decimal("0.5"))
        Money('5.03', 'CNY')
        >>> Money.of("10.05").times(Decimal("0.5"), Rounding.DOWN)
        Money('5.02', 'CNY')
        """
        # pragma: no mutate start (equivalent: a fast path; as_rate returns the same Decimal)
        if type(factor) is Decimal and factor.is_finite() and factor.adjusted() <= _MAX_ADJUSTED:
            # pragma: no mutate end
            rate = factor
        else:
            rate = as_rate(factor, "factor")
        if rounding.__class__ is not Rounding:
            _check_rounding(rounding)
        m = _round_product(self.minor, rate, rounding)
        if -MAX_MINOR <= m <= MAX_MINOR:
            return Money._raw(m, self.currency)
        raise _out_of_range(m, self.currency, f"{self!r}.times({_show(factor)})")

    def ratio_to(self, other: Money) -> Decimal:
        """``self / other`` as a Decimal of 28 significant digits (for rates and reports).

        Rounded half-even to 28 digits (the decimal module's default), whatever
        context the caller has set; exact whenever the quotient fits.
        """
        other = self._money(other, "ratio_to")
        if other.minor == 0:
            raise InvalidMoneyError(
                f"{self!r}.ratio_to({_show(other)}): division by zero; check for zero first",
                field="other",
                value=other,
            )
        with decimal.localcontext(_RATIO_CTX):
            return Decimal(self.minor) / Decimal(other.minor)

    def min(self, other: Money) -> Money:
        other = self._money(other, "min")
        # equivalent mutants: equal amounts
        return self if self.minor <= other.minor else other  # pragma: no mutate

    def max(self, other: Money) -> Money:
        other = self._money(other, "max")
        # equivalent mutants: equal amounts
        return self if self.minor >= other.minor else other  # pragma: no mutate

    def clamp(self, low: Money, high: Money) -> Money:
        """Bound into ``[low, high]``; ``low`` above ``high`` raises `InvalidMoneyError`."""
        low, high = self._money(low, "clamp"), self._money(high, "clamp")
        if low.minor > high.minor:
            raise InvalidMoneyError(
                f"clamp(low={low!r}, high={high!r}): low is above high; swap them",
                field="low",
                value=low,
            )
        return self.max(low).min(high)

    # -- comparison -------------------------------------------------------------------

    def _cmp(self, other: object) -> int:
        if not isinstance(other, Money):
            raise MoneyTypeError(
                f"cannot compare {self!r} with {_show(other)}; compare Money with Money"
            )
        self._same(other)
        return (self.minor > other.minor) - (self.minor < other.minor)

    def __lt__(self, other: object) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: object) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: object) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: object) -> bool:
        return self._cmp(other) >= 0

    def __bool__(self) -> bool:
        return self.minor != 0

    # -- splitting --------------------------------------------------------------------

    def allocate(self, weights: Sequence[int | Decimal | Money]) -> list[Money]:
        """Split into parts proportional to ``weights`` (largest remainder).

        Parts sum exactly to ``self``; each is within one minor unit of its
        exact share; leftover units go to the largest remainders, ties to the
        earliest weight. Weights are non-negative ints, Decimals or Money of
        this currency; at least one must be positive. A weight of zero
        always gets zero. Negative amounts split symmetrically. Decimal
        weights are scaled to integers exactly (no rounding, whatever the
        decimal context); NaN, infinite or negative weights raise
        `InvalidMoneyError`.
        """
        ws = _weights(weights, self.currency)
        cur = self.currency
        return [Money._raw(p, cur) for p in allocate_int(self.minor, ws)]

    def split(self, n: SupportsIndex) -> list[Money]:
        """Split into ``n`` near-equal parts; the first parts take the leftover units."""
        if isinstance(n, bool):
            raise MoneyTypeError(f"n={_show(n)}: a bool is not a count; pass an int >= 1")
        try:
            count = operator.index(n)
        except TypeError:
            raise MoneyTypeError(
                f"n={_show(n)}: expected an int count, got {type(n).__name__}"
            ) from None
        if count < 1:
            raise InvalidMoneyError(f"n={count!r}: must be >= 1", field="n", value=count)
        return self.allocate([1] * count)  # pragma: no mutate (equivalent: any equal weights)


Money.ZERO = Money(0)
# The slots' own setters: `Money._raw` skips the frozen class's __setattr__ lookups.
_new = object.__new__
_set_minor = Money.__dict__["minor"].__set__
_set_currency = Money.__dict__["currency"].__set__


def _weights(weights: Iterable[int | Decimal | Money], currency: str) -> list[int]:
    """Exact non-negative integer weights proportional to ``weights``."""
    try:
        items = list(weights)
    except TypeError:
        raise MoneyTypeError(
            f"weights={_show(weights)}: expected a sequence of int, Decimal or Money"
        ) from None
    if not items:
        raise InvalidMoneyError("weights=[]: need at least one weight", field="weights", value=[])
    nums: list[int] = []
    dens: list[int] = []
    for i, w in enumerate(items):
        field = f"weights[{i}]"
        if isinstance(w, Money):
            if w.currency != currency:
                raise CurrencyMismatchError(f"{field}={_show(w)} is not {currency}")
            p, q = w.minor, 1
        elif isinstance(w, bool) or not isinstance(w, int | Decimal):
            raise MoneyTypeError(
                f"{field}={_show(w)}: expected int, Decimal or Money (floats are refused)"
            )
        elif isinstance(w, int):
            p, q = w, 1
        else:
            d = _finite_decimal(w, field, "a weight")
            if d and d.adjusted() < -_MAX_ADJUSTED:
                raise InvalidMoneyError(
                    f"{field}={_show(w)}: magnitude 10^{d.adjusted()} is absurd for a weight; "
                    "scale the weights up",
                    field=field,
                    value=w,
                )
            p, q = d.as_integer_ratio()
        if p < 0:
            raise InvalidMoneyError(
                f"{field}={_show(w)}: weights must be >= 0", field=field, value=w
            )
        nums.append(p)
        dens.append(q)
    # Bring Decimal weights to one denominator so the integer split stays exact.
    common = math.lcm(*dens)
    out = nums if common == 1 else [p * (common // q) for p, q in zip(nums, dens, strict=True)]
    if not any(out):
        raise InvalidMoneyError(
            f"weights={_show(items)}: all zero; at least one weight must be positive",
            field="weights",
            value=items,
        )
    return out


def allocate_int(total: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split of an integer by non-negative integer weights.

    Exact (parts sum to ``total``), deterministic (ties to the lower index),
    each part within 1 of ``total * w / sum(w)``. Weights must be ints >= 0,
    not all zero (`InvalidMoneyError` / `MoneyTypeError` otherwise).
    """
    if type(total) is not int:
        raise MoneyTypeError(f"total={_show(total)}: expected int, got {type(total).__name__}")
    try:
        wsum = sum(weights)
    except TypeError:
        raise MoneyTypeError(f"weights={_show(weights)}: expected a sequence of ints") from None
    if type(wsum) is not int:
        raise MoneyTypeError(
            f"weights={_show(weights)}: expected ints (floats and Decimals are refused)"
        )
    if wsum <= 0 or min(weights) < 0:
        raise InvalidMoneyError(
            f"weights={_show(weights)}: weights must be >= 0 and not all zero",
            field="weights",
            value=weights,
        )
    if total < 0:
        return [-p for p in split_int(-total, weights, wsum)]
    return split_int(total, weights, wsum)


def split_int(total: int, weights: Sequence[int], wsum: int) -> list[int]:
    """`allocate_int` of ``total >= 0`` by checked weights (ints >= 0, summing to ``wsum > 0``).

    For callers that hold checked integers (the checkout's fen arithmetic);
    anyone else calls `allocate_int`, which checks them.
    """
    parts = [total * w // wsum for w in weights]
    left = total - sum(parts)
    if left:
        # Sort by remainder descending, index ascending (stable, deterministic).
        neg_remainders = [-((total * w) % wsum) for w in weights]
        order = sorted(range(len(weights)), key=neg_remainders.__getitem__)
        for i in order[:left]:
            parts[i] += 1
    return parts


def total(amounts: Iterable[Money], currency: str = DEFAULT_CURRENCY) -> Money:
    """Sum amounts; an empty iterable gives zero of ``currency``."""
    acc: Money | None = None
    for i, a in enumerate(amounts):
        if not isinstance(a, Money):
            raise MoneyTypeError(f"amounts[{i}]={_show(a)}: expected Money, got {type(a).__name__}")
        acc = a if acc is None else acc + a
    return Money.zero(currency) if acc is None else acc
