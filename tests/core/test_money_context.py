"""Money does not depend on the caller's decimal context.

A host may set ``decimal.getcontext().prec = 6`` for its own reports, or
trap ``Inexact`` to catch its own rounding. None of that may change a price:
every money operation gives the same result (or the same error) in any
context as in the default one, and leaves the caller's context untouched.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import CurrencyMismatchError, InvalidMoneyError, MoneyTypeError
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

ROUNDINGS = [
    decimal.ROUND_UP,
    decimal.ROUND_DOWN,
    decimal.ROUND_CEILING,
    decimal.ROUND_FLOOR,
    decimal.ROUND_HALF_UP,
    decimal.ROUND_HALF_DOWN,
    decimal.ROUND_HALF_EVEN,
    decimal.ROUND_05UP,
]
SIGNALS = [
    decimal.Clamped,
    decimal.DivisionByZero,
    decimal.Inexact,
    decimal.Rounded,
    decimal.Subnormal,
    decimal.Overflow,
    decimal.Underflow,
    decimal.InvalidOperation,
    decimal.FloatOperation,
]


def default_context() -> decimal.Context:
    """The decimal module's documented defaults, spelled out (DefaultContext may be changed)."""
    return decimal.Context(
        prec=28,
        rounding=decimal.ROUND_HALF_EVEN,
        Emin=-999_999,
        Emax=999_999,
        capitals=1,
        clamp=0,
        flags=[],
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


contexts = st.builds(
    lambda prec, rounding, traps, emax, capitals, clamp: decimal.Context(
        prec=prec,
        rounding=rounding,
        Emin=-emax,
        Emax=emax,
        capitals=capitals,
        clamp=clamp,
        flags=[],
        traps=traps,
    ),
    st.integers(1, 50),
    st.sampled_from(ROUNDINGS),
    st.lists(st.sampled_from(SIGNALS), unique=True),
    st.sampled_from([999_999, 60, 20, 5]),
    st.integers(0, 1),
    st.integers(0, 1),
)

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
roundings = st.sampled_from(list(Rounding))
amounts = st.builds(
    Money,
    st.one_of(st.integers(-MAX_MINOR, MAX_MINOR), st.integers(-(10**6), 10**6)),
    currencies,
)


def long_decimals(max_exponent: int = 20, signed: bool = True) -> st.SearchStrategy[Decimal]:
    """Decimals with up to 60 digits (past 28 and 50) and exponents that may be absurd."""
    return st.builds(
        lambda sign, digits, exp: Decimal((sign, tuple(digits), exp)),
        st.integers(0, 1 if signed else 0),
        st.lists(st.integers(0, 9), min_size=1, max_size=60),
        st.integers(-70, max_exponent),
    )


rates = st.one_of(
    long_decimals(),
    st.decimals(-10, 10, places=4, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("1E+100"), Decimal("1E-100")]),
)
specs = st.sampled_from(["f", ".0f", ".1f", ",.2f", ".3e", "e", ".5g", "+.1f", "%"])


Outcome = tuple[Any, ...]


def in_context(ctx: decimal.Context, op: Callable[[], object]) -> Outcome:
    """What ``op`` gives in ``ctx``: its value, or its error's type and message.

    The value's repr is taken back in the default context (a Decimal's repr
    follows the context's ``capitals``), so ``Decimal('1.0')`` and
    ``Decimal('1.00')`` differ but nothing else about the context shows.
    """
    with decimal.localcontext(ctx) as inside:
        try:
            value = op()
        except (InvalidMoneyError, MoneyTypeError, CurrencyMismatchError) as exc:
            result: Outcome = ("error", type(exc), str(exc))
        else:
            result = ("value", value)
        touched = [s.__name__ for s in SIGNALS if inside.flags[s]]
    assert not touched, f"money raised flags {touched} in the caller's context"
    if result[0] == "value":
        with decimal.localcontext(default_context()):
            result = ("value", repr(value), value)
    return result


def assert_same_everywhere(ctx: decimal.Context, ops: dict[str, Callable[[], object]]) -> None:
    for name, op in ops.items():
        expected = in_context(default_context(), op)
        assert in_context(ctx, op) == expected, name


def test_times_ignores_the_callers_precision() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 6
        assert Money(123456789).times(Decimal("0.95")) == Money(117283950)
        assert Money(123456789) * Decimal("0.95") == Money(117283950)
        ctx.rounding = decimal.ROUND_DOWN
        assert Money(1005).times(Decimal("0.5")) == Money(503)  # still half-up
        assert Money(123456789).amount == Decimal("1234567.89")
        assert str(Money(123456789)) == "¥1,234,567.89"
        assert repr(Money(-123456789)) == "Money('-1234567.89', 'CNY')"


def test_money_works_when_the_caller_traps_every_signal() -> None:
    with decimal.localcontext() as ctx:
        for signal in SIGNALS:
            ctx.traps[signal] = True
        ctx.prec = 1
        assert Money(1001).times(Decimal("0.333")) == Money(333)
        assert Money.parse("¥1,234.56") == Money(123456)
        assert Money(100).allocate([Decimal("0.3333"), Decimal("0.6667")]) == [Money(33), Money(67)]
        assert Money(1).ratio_to(Money(3)) == Decimal("0.3333333333333333333333333333")
        assert f"{Money(1225):.1f}" == "12.3"
        assert as_rate("0.95") == Decimal("0.95")
        with pytest.raises(InvalidMoneyError):
            as_rate("abc")
        with pytest.raises(InvalidMoneyError):
            Money.of(Decimal("NaN"))


def test_a_caller_who_traps_nothing_still_gets_typed_errors() -> None:
    with decimal.localcontext() as ctx:
        for signal in SIGNALS:
            ctx.traps[signal] = False
        with pytest.raises(InvalidMoneyError, match="not a number"):
            as_rate("abc")
        with pytest.raises(InvalidMoneyError):
            as_rate("1E+999999999999999999")
        with pytest.raises(InvalidMoneyError):
            Money(1).times(Decimal("1E+999999"))
        with pytest.raises(InvalidMoneyError, match="division by zero"):
            Money(1).ratio_to(Money(0))


@given(contexts, amounts, rates, roundings)
def test_multiplying_gives_the_same_in_every_context(
    ctx: decimal.Context, m: Money, rate: Decimal, mode: Rounding
) -> None:
    text = str(rate)  # here, not in ctx: str() of a Decimal follows the context's capitals
    assert_same_everywhere(
        ctx,
        {
            "times": lambda: m.times(rate, mode),
            "times default rounding": lambda: m.times(rate),
            "times text": lambda: m.times(text, mode),
            "mul": lambda: m * rate,
            "rmul": lambda: rate * m,
            "round_decimal": lambda: round_decimal(rate, mode),
            "as_rate": lambda: as_rate(text),
        },
    )


@given(contexts, long_decimals(), currencies, st.one_of(st.none(), roundings))
def test_building_from_decimals_gives_the_same_in_every_context(
    ctx: decimal.Context, amount: Decimal, currency: str, mode: Rounding | None
) -> None:
    text = f"{amount:f}"
    assert_same_everywhere(
        ctx,
        {
            "from_decimal": lambda: Money.from_decimal(amount, currency, mode),
            "of": lambda: Money.of(amount, currency),
            "parse plain": lambda: Money.parse(text, currency),
        },
    )


@given(contexts, amounts, specs)
def test_showing_and_parsing_give_the_same_in_every_context(
    ctx: decimal.Context, m: Money, spec: str
) -> None:
    assert_same_everywhere(
        ctx,
        {
            "amount": lambda: m.amount,
            "str": lambda: str(m),
            "repr": lambda: repr(m),
            "plain": m.to_plain,
            "format": lambda: m.format(symbol=False),
            "spec": lambda: format(m, spec),
            "parse str": lambda: Money.parse(str(m)),
            "parse plain": lambda: Money.parse(m.to_plain()),
            "of text": lambda: Money.of(m.format(symbol=False), m.currency),
            "of amount": lambda: Money.of(m.amount, m.currency),
            "negate": lambda: -m,
        },
    )


@given(
    contexts,
    amounts,
    st.lists(st.one_of(long_decimals(max_exponent=5, signed=False), st.integers(0, 10**6))),
    st.integers(1, 40),
    amounts,
)
def test_splitting_and_ratios_give_the_same_in_every_context(
    ctx: decimal.Context, m: Money, weights: list[Decimal | int], n: int, other: Money
) -> None:
    assert_same_everywhere(
        ctx,
        {
            "allocate": lambda: m.allocate(weights),
            "split": lambda: m.split(n),
            "allocate_int": lambda: allocate_int(m.minor, [n, 1, 0]),
            "ratio_to": lambda: m.ratio_to(other),
            "sum": lambda: total([m, m.split(2)[0]]) if abs(m.minor) < MAX_MINOR // 2 else m,
            "clamp": lambda: m.clamp(-abs(m), abs(m)),
        },
    )
