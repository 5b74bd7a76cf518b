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
    allocate_payment,
)
from sirui.rules import PruneLog, Rejected

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


def test_a_payment_cannot_exceed_what_the_lines_owe_nor_its_principal_the_payment() -> None:
    lines = (("formula", Y("100")), ("diapers", Y("50")))
    with pytest.raises(InvalidPolicyError) as info:
        allocate_payment(Y("150.01"), lines, Y("0"))
    assert (info.value.field, info.value.value) == ("amount", Y("150.01"))
    assert str(info.value) == (
        "amount=Money('150.01', 'CNY'): exceeds what the lines have to pay (¥150.00)"
    )
    with pytest.raises(InvalidPolicyError) as info:
        allocate_payment(Y("150"), lines, Y("150.01"))
    assert (info.value.field, info.value.value) == ("principal", Y("150.01"))
    assert str(info.value) == "principal=Money('150.01', 'CNY'): exceeds the amount ¥150.00"
    assert len(allocate_payment(Y("150"), lines, Y("150"))) == 2


def test_paying_exactly_the_balance_is_accepted_a_fen_more_is_refused() -> None:
    acc = topped_up()
    out = acc.handle(Pay("p1", Y("550"), order_id="o1"), now=NOW)
    assert ok(out).balance == Y("0")
    assert out.events[0].order_id == "o1"
    short = acc.handle(Pay("p2", Y("550.01")), now=NOW)
    assert isinstance(short, Rejected) and short.state is acc
    assert dict(short.reason.params) == {"balance": Y("550"), "amount": Y("550.01")}


def test_a_top_up_of_exactly_the_minimum_is_accepted_below_it_refused() -> None:
    acc = StoredValueAccount.open("m1", StoredValuePolicy(TIERS, min_top_up=Y("100")))
    assert ok(acc.handle(TopUp("t1", Y("100")), now=NOW)).principal == Y("100")
    out = acc.handle(TopUp("t2", Y("99.99")), now=NOW)
    assert isinstance(out, Rejected) and out.state is acc
    assert dict(out.reason.params) == {"minimum": Y("100")}


def test_tiers_must_strictly_increase_and_the_minimum_be_positive() -> None:
    same = (TopUpTier(Y("500"), Y("50")), TopUpTier(Y("500"), Y("60")))
    with pytest.raises(InvalidPolicyError) as info:
        StoredValuePolicy(same)
    assert (info.value.field, info.value.value) == ("tiers", ["¥500.00", "¥500.00"])
    assert str(info.value) == (
        "tiers=['¥500.00', '¥500.00']: amounts must strictly increase; "
        "list tiers from the smallest top-up to the largest"
    )
    with pytest.raises(InvalidPolicyError, match=r"^min_top_up="):
        StoredValuePolicy(TIERS, min_top_up=Y("0"))


def test_a_refund_of_an_unknown_or_reused_id_says_which() -> None:
    acc = paid()
    with pytest.raises(InvalidCommandError) as info:
        acc.handle(RefundPayment("r1", "p9"), now=NOW)
    assert str(info.value) == "payment_id='p9': no such payment"
    with pytest.raises(InvalidCommandError) as info:
        acc.handle(RefundTopUp("r1", "t9"), now=NOW)
    assert str(info.value) == "top_up_id='t9': no such top-up"
    # once the log forgot p1, its id is still taken by the payment record
    later = NOW.add(days=1)
    pruned = ok(acc.handle(PruneLog("prune", retention_days=0), now=later))
    taken = pruned.handle(TopUp("p1", Y("100")), now=later)
    assert isinstance(taken, Rejected) and taken.state is pruned
    assert taken.reason.params["txn"] == "p1"
    assert taken.reason.params["status"] == "paid"
    assert taken.reason.params["status_zh"]
    refunded = ok(acc.handle(RefundPayment("r1", "p1"), now=NOW))
    again = refunded.handle(RefundPayment("r2", "p1"), now=NOW)
    assert isinstance(again, Rejected) and dict(again.reason.params) == {"txn": "p1"}


def test_a_command_that_is_not_for_stored_value_is_misuse() -> None:
    with pytest.raises(InvalidCommandError) as info:
        topped_up().handle("pay", now=NOW)  # type: ignore[arg-type]
    assert str(info.value) == (
        "command='pay': not a stored value command; use TopUp, Pay, "
        "RefundPayment, RefundTopUp or PruneLog"
    )


def test_a_top_up_refunded_twice_is_refused_naming_it() -> None:
    acc = ok(topped_up(top_up_refundable=True).handle(RefundTopUp("r1", "t1"), now=NOW))
    out = acc.handle(RefundTopUp("r2", "t1"), now=NOW)
    assert isinstance(out, Rejected) and out.state is acc
    assert out.reason.code == "stored_value.already_refunded"
    assert dict(out.reason.params) == {"txn": "t1"}
