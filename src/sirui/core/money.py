"""Exact money: integer minor units (fen) and an ISO currency.

Invariants:

* an amount is an ``int`` number of minor units; floats, NaN and infinities
  are refused with a typed error, never rounded silently;
* amounts of different currencies never mix (`CurrencyMismatchError`);
* every multiplication names its rounding (half-up by default, the retail
  convention);
* `Money.allocate` splits an amount by weights with the largest-remainder
  method: the parts always sum exactly to the whole, each part is within one
  minor unit of its exact share, and ties go to the earliest weight, so the
  result is deterministic.
"""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Final, SupportsIndex

import attrs

from sirui.core.errors import (
    CurrencyMismatchError,
    InvalidMoneyError,
    InvalidValueError,
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

_CTX: Final = decimal.Context(prec=60, traps=[decimal.InvalidOperation])


def round_decimal(value: Decimal, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Round a Decimal to an int with an explicit mode."""
    return int(value.quantize(Decimal(1), rounding=rounding.decimal_mode, context=_CTX))


def as_rate(value: object, field: str = "rate") -> Decimal:
    """Turn a rate given as ``Decimal``, ``int`` or ``str`` into a finite Decimal.

    Floats are refused: ``0.1`` is not one tenth in binary, and a rate that
    prices money must be exact. Pass ``"0.1"`` or ``Decimal("0.1")``.
    """
    if isinstance(value, bool):
        raise MoneyTypeError(f"{field}={value!r}: a bool is not a rate; pass a Decimal or str")
    if isinstance(value, float):
        raise MoneyTypeError(
            f"{field}={value!r}: floats are not exact; pass Decimal({str(value)!r}) "
            f"or the string {str(value)!r}"
        )
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InvalidValueError(
                f"{field}={value!r}: not a number; write it like '0.95'", field=field, value=value
            ) from None
    else:
        raise MoneyTypeError(
            f"{field}={value!r}: expected Decimal, int or str, got {type(value).__name__}"
        )
    if not d.is_finite():
        raise InvalidValueError(f"{field}={value!r}: must be finite", field=field, value=value)
    return d


_PARSE_RE: Final = re.compile(
    r"""^\s*(?P<sign>[-+])?\s*
    (?:(?P<sym>¥|￥|RMB|CNY|\$|US\$|HK\$|€|£)\s*)?
    (?P<num>\d[\d,]*(?:\.\d*)?|\.\d+)\s*
    (?P<suffix>元|块|rmb|RMB|[A-Z]{3})?\s*$""",
    re.VERBOSE,
)

_SYMBOL_CURRENCY: Final[dict[str, str]] = {
    "¥": "CNY",
    "￥": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "元": "CNY",
    "块": "CNY",
    "rmb": "CNY",
    "$": "USD",
    "US$": "USD",
    "HK$": "HKD",
    "€": "EUR",
    "£": "GBP",
}


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
                f"minor={value!r}: floats are refused; pass int minor units (fen) or use "
                f"Money.of('{value}') for a decimal amount"
            )
        raise MoneyTypeError(
            f"minor={value!r}: expected int minor units (fen), got {type(value).__name__}"
        )
    if not -MAX_MINOR <= value <= MAX_MINOR:
        raise InvalidMoneyError(
            f"minor={value!r}: magnitude above {MAX_MINOR} minor units; "
            "this is almost certainly a unit mistake (yuan vs fen)",
            field="minor",
            value=value,
        )


def _check_currency_attr(_inst: object, _attr: object, value: Any) -> None:
    _check_currency(value)


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
        m = object.__new__(cls)
        object.__setattr__(m, "minor", minor)
        object.__setattr__(m, "currency", currency)
        return m

    @classmethod
    def of(cls, value: object, currency: str | None = None) -> Money:
        """Build from int minor units, a Decimal of major units, or text.

        * ``int``: minor units (``Money.of(1230)`` is ¥12.30);
        * ``Decimal``: major units (``Money.of(Decimal("12.3"))`` is ¥12.30);
        * ``str``: parsed by `Money.parse` (``"12.3"``, ``"¥12.30"``, ``"12.30元"``);
        * ``Money``: returned as is (currency must agree if given).

        Floats are refused. More decimals than the currency has raise
        `InvalidMoneyError`; round explicitly with `Money.from_decimal`.
        """
        if isinstance(value, Money):
            if currency is not None and value.currency != currency:
                raise CurrencyMismatchError(
                    f"{value!r} is {value.currency}, not the requested {currency}"
                )
            return value
        cur = DEFAULT_CURRENCY if currency is None else currency
        if isinstance(value, bool):
            raise MoneyTypeError(f"value={value!r}: a bool is not money")
        if isinstance(value, int):
            return cls(value, _check_currency(cur))
        if isinstance(value, Decimal):
            return cls.from_decimal(value, cur)
        if isinstance(value, str):
            return cls.parse(value, currency)
        if isinstance(value, float):
            raise MoneyTypeError(
                f"value={value!r}: floats are refused because they are not exact; "
                f"pass the string {str(value)!r} or Decimal({str(value)!r})"
            )
        raise MoneyTypeError(
            f"value={value!r}: expected int (fen), Decimal (yuan) or str, "
            f"got {type(value).__name__}"
        )

    @classmethod
    def fen(cls, minor: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Build from integer minor units (an alias of the constructor that reads well)."""
        return cls(minor, currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency) if currency != DEFAULT_CURRENCY else cls.ZERO

    @classmethod
    def from_decimal(
        cls,
        amount: Decimal,
        currency: str = DEFAULT_CURRENCY,
        rounding: Rounding | None = None,
    ) -> Money:
        """Build from a Decimal of major units (yuan).

        Without ``rounding``, an amount finer than the currency's minor unit
        raises; with it, the amount is rounded by that mode.
        """
        cur = _check_currency(currency)
        if not isinstance(amount, Decimal):
            raise MoneyTypeError(f"amount={amount!r}: expected Decimal")
        if not amount.is_finite():
            raise InvalidMoneyError(
                f"amount={amount!r}: NaN and infinities are not money", field="amount", value=amount
            )
        if abs(amount.adjusted()) > 40:
            raise InvalidMoneyError(
                f"amount={amount!r}: magnitude is absurd for money", field="amount", value=amount
            )
        scaled = amount.scaleb(CURRENCY_EXPONENTS[cur], context=_CTX)
        if scaled != scaled.to_integral_value(context=_CTX):
            if rounding is None:
                raise InvalidMoneyError(
                    f"amount={amount!r}: finer than one minor unit of {cur}; "
                    "pass rounding=Rounding.HALF_UP (or another mode) to round it",
                    field="amount",
                    value=amount,
                )
            return cls(round_decimal(scaled, rounding), cur)
        return cls(int(scaled), cur)

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> Money:
        """Parse ``"12.3"``, ``"¥12.30"``, ``"12.30元"``, ``"-¥1,234.50"``, ``"12.30 USD"``.

        A symbol or code in the text sets the currency; if ``currency`` is also
        given they must agree.
        """
        if not isinstance(text, str):
            raise MoneyTypeError(f"text={text!r}: expected str")
        m = _PARSE_RE.match(text)
        if m is None:
            raise InvalidMoneyError(
                f"text={text!r}: not an amount; write it like '12.30', '¥12.30' or '12.30元'",
                field="text",
                value=text,
            )
        found = {
            _SYMBOL_CURRENCY.get(tok, tok)
            for tok in (m.group("sym"), m.group("suffix"))
            if tok is not None
        }
        if len(found) > 1:
            raise InvalidMoneyError(
                f"text={text!r}: names two currencies", field="text", value=text
            )
        cur = found.pop() if found else (currency or DEFAULT_CURRENCY)
        if currency is not None and cur != currency:
            raise CurrencyMismatchError(f"text={text!r} is {cur}, not the requested {currency}")
        num = m.group("num").replace(",", "")
        amount = Decimal(num)
        if m.group("sign") == "-":
            amount = -amount
        return cls.from_decimal(amount, cur)

    # -- views ------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    @property
    def amount(self) -> Decimal:
        """The amount in major units as an exact Decimal (``Decimal('12.30')``)."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def is_zero(self) -> bool:
        return self.minor == 0

    def is_positive(self) -> bool:
        return self.minor > 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def to_plain(self) -> str:
        """``"12.30"`` for CNY, ``"12.30 USD"`` otherwise: the config/JSON form."""
        s = f"{self.amount:f}"
        return s if self.currency == DEFAULT_CURRENCY else f"{s} {self.currency}"

    def format(self, symbol: bool = True) -> str:
        """``¥12.30`` (or ``12.30`` with ``symbol=False``); negatives as ``-¥12.30``."""
        body = f"{abs(self.amount):,f}"
        sign = "-" if self.minor < 0 else ""
        if not symbol:
            return f"{sign}{body}"
        sym = _SYMBOLS.get(self.currency)
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Money('{self.amount:f}', '{self.currency}')"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return format(self.amount, spec)

    # -- arithmetic -------------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self!r} and {other!r}: convert one currency first"
            )

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            if other.currency != self.currency:
                self._same(other)
            m = self.minor + other.minor
            return Money._raw(m, self.currency) if -MAX_MINOR <= m <= MAX_MINOR else Money(m)
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
            return Money._raw(m, self.currency) if -MAX_MINOR <= m <= MAX_MINOR else Money(m)
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
            return Money._raw(m, self.currency) if -MAX_MINOR <= m <= MAX_MINOR else Money(m)
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

        >>> Money.of("10.05").times(Decimal("0.5"))
        Money('5.03', 'CNY')
        >>> Money.of("10.05").times(Decimal("0.5"), Rounding.DOWN)
        Money('5.02', 'CNY')
        """
        rate = (
            factor if type(factor) is Decimal and factor.is_finite() else as_rate(factor, "factor")
        )
        m = round_decimal(Decimal(self.minor) * rate, rounding)
        return Money._raw(m, self.currency) if -MAX_MINOR <= m <= MAX_MINOR else Money(m)

    def ratio_to(self, other: Money) -> Decimal:
        """``self / other`` as an exact-as-possible Decimal (for rates and reports)."""
        self._same(other)
        if other.minor == 0:
            raise InvalidValueError(f"ratio_to({other!r}): division by zero", field="other")
        return Decimal(self.minor) / Decimal(other.minor)

    def min(self, other: Money) -> Money:
        self._same(other)
        return self if self.minor <= other.minor else other

    def max(self, other: Money) -> Money:
        self._same(other)
        return self if self.minor >= other.minor else other

    def clamp(self, low: Money, high: Money) -> Money:
        """Bound into ``[low, high]``."""
        return self.max(low).min(high)

    # -- comparison -------------------------------------------------------------------

    def _cmp(self, other: object) -> int:
        if not isinstance(other, Money):
            raise MoneyTypeError(
                f"cannot compare {self!r} with {other!r}; compare Money with Money"
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
        always gets zero. Negative amounts split symmetrically.
        """
        ws = _weights(weights, self.currency)
        cur = self.currency
        return [Money._raw(p, cur) for p in allocate_int(self.minor, ws)]

    def split(self, n: SupportsIndex) -> list[Money]:
        """Split into ``n`` near-equal parts; the first parts take the leftover units."""
        count = int(n)
        if count < 1:
            raise InvalidValueError(f"n={count!r}: must be >= 1", field="n", value=count)
        return self.allocate([1] * count)


Money.ZERO = Money(0)


def _weights(weights: Sequence[int | Decimal | Money], currency: str) -> list[int]:
    if len(weights) == 0:
        raise InvalidValueError("weights=[]: need at least one weight", field="weights", value=[])
    out: list[Any] = []
    has_decimal = False
    for i, w in enumerate(weights):
        if isinstance(w, Money):
            if w.currency != currency:
                raise CurrencyMismatchError(f"weights[{i}]={w!r} is not {currency}")
            v: int | Decimal = w.minor
        elif isinstance(w, bool) or not isinstance(w, int | Decimal):
            raise MoneyTypeError(
                f"weights[{i}]={w!r}: expected int, Decimal or Money (floats are refused)"
            )
        else:
            v = w
            if isinstance(w, Decimal):
                if not w.is_finite():
                    raise InvalidValueError(f"weights[{i}]={w!r}: must be finite")
                has_decimal = True
        if v < 0:
            raise InvalidValueError(
                f"weights[{i}]={w!r}: weights must be >= 0", field=f"weights[{i}]", value=w
            )
        out.append(v)
    if has_decimal:
        # Scale to integers exactly so the integer algorithm below stays exact.
        exp = min(int(Decimal(v).as_tuple().exponent) for v in out)
        scale = 10 ** (-int(exp)) if int(exp) < 0 else 1
        out = [int(Decimal(v) * scale) for v in out]
    if not any(out):
        raise InvalidValueError(
            f"weights={list(weights)!r}: all zero; at least one weight must be positive",
            field="weights",
        )
    return out


def allocate_int(total: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split of an integer by non-negative integer weights.

    Exact (parts sum to ``total``), deterministic (ties to the lower index),
    each part within 1 of ``total * w / sum(w)``. Weights must not all be zero.
    """
    wsum = sum(weights)
    sign = -1 if total < 0 else 1
    t = abs(total)
    parts = [t * w // wsum for w in weights]
    left = t - sum(parts)
    if left:
        # Sort by remainder descending, index ascending (stable, deterministic).
        neg_remainders = [-((t * w) % wsum) for w in weights]
        order = sorted(range(len(weights)), key=neg_remainders.__getitem__)
        for i in order[:left]:
            parts[i] += 1
    return [sign * p for p in parts] if sign < 0 else parts


def total(amounts: Iterable[Money], currency: str = DEFAULT_CURRENCY) -> Money:
    """Sum amounts; an empty iterable gives zero of ``currency``."""
    acc: Money | None = None
    for a in amounts:
        acc = a if acc is None else acc + a
    return Money.zero(currency) if acc is None else acc
