"""Stored value rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/loyalty/points/stored_value.py`: the
exact balance may be paid, a refund names what it refuses, and a refund in
another currency stays in it.
"""

from __future__ import annotations

import pendulum
import pytest

from sirui.core.errors import InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.loyalty.points import (
    Pay,
    RefundPayment,
    RefundTopUp,
    SpendingOrder,
    StoredValueAccount,
    StoredValuePolicy,
    StoredValueStatus,
    TopUp,
    TopUpTier,
)
from sirui.rules import Rejected

Y = Money.of
NOW = pendulum.datetime(2026, 5, 1, 10, tz="Asia/Shanghai")
TIERS = (TopUpTier(Y("500"), Y("50")),)


def ok(outcome: object) -> StoredValueAccount:
    assert outcome.ok, outcome  # type: ignore[attr-defined]
    return outcome.state  # type: ignore[attr-defined]


def topped_up(amount: str = "500", **kw: object) -> StoredValueAccount:
    acc = StoredValueAccount.open("m1", StoredValuePolicy(TIERS, SpendingOrder.PROPORTIONAL, **kw))  # type: ignore[arg-type]
    return ok(acc.handle(TopUp("t1", Y(amount)), now=NOW))


def test_the_whole_balance_may_be_quoted_but_not_a_fen_more() -> None:
    acc = topped_up()
    assert acc.balance == Y("550")
    assert acc.quote_payment(Y("550")).amount == Y("550")
    with pytest.raises(InvalidPolicyError) as info:
        acc.quote_payment(Y("550.01"))
    assert (info.value.field, info.value.value) == ("amount", Y("550.01"))
    assert str(info.value) == "amount=Money('550.01', 'CNY'): exceeds the balance ¥550.00"


def paid() -> StoredValueAccount:
    lines = (("formula", Y("268")), ("diapers", Y("129")))
    return ok(topped_up().handle(Pay("p1", Y("330"), lines), now=NOW))


def test_a_refund_of_lines_the_payment_lacks_names_them() -> None:
    with pytest.raises(InvalidCommandError) as info:
        paid().handle(RefundPayment("r1", "p1", frozenset({"milk", "bibs"})), now=NOW)
    assert str(info.value) == "lines=['bibs', 'milk']: not lines of 'p1'"


def test_a_line_refunded_twice_is_refused_naming_the_payment() -> None:
    acc = ok(paid().handle(RefundPayment("r1", "p1", frozenset({"diapers"})), now=NOW))
    out = acc.handle(RefundPayment("r2", "p1", frozenset({"diapers"})), now=NOW)
    assert isinstance(out, Rejected) and out.state is acc
    assert dict(out.reason.params) == {"txn": "p1"}


def test_a_payment_refunded_in_full_is_refunded() -> None:
    acc = ok(paid().handle(RefundPayment("r1", "p1"), now=NOW))
    assert acc.txns.get("p1").status is StoredValueStatus.PAYMENT_REFUNDED  # type: ignore[union-attr]
    assert acc.balance == Y("550")


def test_a_refund_in_dollars_stays_in_dollars() -> None:
    tiers = (TopUpTier(Money(50000, "USD"), Money(5000, "USD")),)
    policy = StoredValuePolicy(tiers, SpendingOrder.PROPORTIONAL)
    zero = Money(0, "USD")
    acc = StoredValueAccount("m1", policy, principal=zero, bonus=zero)
    acc = ok(acc.handle(TopUp("t1", Money(50000, "USD")), now=NOW))
    acc = ok(acc.handle(Pay("p1", Money(1100, "USD")), now=NOW))
    out = acc.handle(RefundPayment("r1", "p1"), now=NOW)
    event = out.events[0]
    assert event.principal.currency == "USD" and event.bonus.currency == "USD"
    assert event.principal + event.bonus == Money(1100, "USD")


def test_a_spent_top_up_is_refused_saying_nothing_is_refundable() -> None:
    acc = ok(topped_up(top_up_refundable=True).handle(Pay("p1", Y("550")), now=NOW))
    out = acc.handle(RefundTopUp("r1", "t1"), now=NOW)
    assert isinstance(out, Rejected) and out.state is acc
    assert dict(out.reason.params) == {"refundable": Y("0")}
