"""Stored value (储值): top-up bonuses, spending order, line allocation, refunds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.loyalty.points import (
    Pay,
    RefundPayment,
    RefundTopUp,
    SpendingOrder,
    StoredValueAccount,
    StoredValuePolicy,
    TopUp,
    TopUpTier,
    allocate_payment,
)

Y = Money.of
TIERS = (TopUpTier(Y("500"), Y("50")), TopUpTier(Y("1000"), Y("120")))


def account(order: SpendingOrder = SpendingOrder.BONUS_FIRST, **kw: object) -> StoredValueAccount:
    return StoredValueAccount.open("m1", StoredValuePolicy(TIERS, order, **kw))  # type: ignore[arg-type]


def test_top_up_500_get_50() -> None:
    acc = account().handle(TopUp("t1", Y("500"))).state
    assert (acc.principal, acc.bonus) == (Y("500"), Y("50"))
    acc = acc.handle(TopUp("t2", Y("1500"))).state
    assert acc.bonus == Y("170")  # the highest tier reached: 1,000 gets 120
    assert account(repeat=True).handle(TopUp("t", Y("1500"))).state.bonus == Y("170")
    assert account(repeat=True).handle(TopUp("t", Y("2000"))).state.bonus == Y("240")
    assert account().handle(TopUp("t", Y("499"))).state.bonus == Y("0")


def test_spending_orders() -> None:
    base = [TopUp("t1", Y("500"))]

    def pay(order: SpendingOrder) -> tuple[Money, Money]:
        acc = account(order)
        for c in base:
            acc = acc.handle(c).state
        split = acc.handle(Pay("p1", Y("110"))).events[0].split
        return split.principal, split.bonus

    assert pay(SpendingOrder.BONUS_FIRST) == (Y("60"), Y("50"))
    assert pay(SpendingOrder.PRINCIPAL_FIRST) == (Y("110"), Y("0"))
    assert pay(SpendingOrder.PROPORTIONAL) == (Y("100"), Y("10"))


def test_payment_is_allocated_to_lines_and_refunded_to_the_same_split() -> None:
    acc = account(SpendingOrder.PROPORTIONAL).handle(TopUp("t1", Y("500"))).state
    out = acc.handle(Pay("p1", Y("330"), (("formula", Y("268")), ("diapers", Y("129")))))
    split = out.events[0].split
    assert sum((lp.amount for lp in split.by_line), Y("0")) == Y("330")
    assert [lp.amount for lp in split.by_line] == [Y("222.77"), Y("107.23")]
    acc = out.state
    back = acc.handle(RefundPayment("r1", "p1", frozenset({"diapers"})))
    diapers = split.by_line[1]
    assert (back.events[0].principal, back.events[0].bonus) == (diapers.principal, diapers.bonus)
    again = back.state.handle(RefundPayment("r2", "p1", frozenset({"diapers"})))
    assert again.reason.code == "stored_value.already_refunded"  # type: ignore[union-attr]
    rest = back.state.handle(RefundPayment("r3", "p1"))
    assert rest.state.balance == Y("550")
    assert (rest.state.principal, rest.state.bonus) == (Y("500"), Y("50"))


def test_refund_of_a_top_up_forfeits_the_bonus_and_deducts_the_spent_bonus() -> None:
    acc = account().handle(TopUp("t1", Y("500"))).state
    acc = acc.handle(Pay("p1", Y("30"))).state  # bonus first: 30 of the 50 bonus
    out = acc.handle(RefundTopUp("rt1", "t1"))
    ev = out.events[0]
    assert ev.cash_back == Y("470")
    assert ev.bonus_forfeited == Y("20")
    assert ev.spent_bonus_deducted == Y("30")
    assert out.state.balance == Y("0")
    assert out.state.handle(RefundTopUp("rt2", "t1")).ok is False


def test_a_spent_top_up_cannot_be_refunded_and_non_refundable_policies() -> None:
    acc = account(SpendingOrder.PRINCIPAL_FIRST).handle(TopUp("t1", Y("500"))).state
    acc = acc.handle(Pay("p1", Y("480"))).state  # principal 20 left, bonus 50 left
    assert acc.handle(RefundTopUp("rt", "t1")).events[0].cash_back == Y("20")
    acc2 = account(SpendingOrder.BONUS_FIRST).handle(TopUp("t1", Y("500"))).state
    acc2 = acc2.handle(Pay("p1", Y("520"))).state  # principal 30 left, bonus 0
    assert acc2.handle(RefundTopUp("rt", "t1")).reason.code == "stored_value.top_up_spent"  # type: ignore[union-attr]
    fixed = account(top_up_refundable=False).handle(TopUp("t1", Y("500"))).state
    assert fixed.handle(RefundTopUp("rt", "t1")).reason.code == "stored_value.not_refundable"  # type: ignore[union-attr]


def test_insufficient_minimum_and_misuse() -> None:
    acc = account(min_top_up=Y("100")).handle(TopUp("t1", Y("200"))).state
    assert acc.handle(Pay("p1", Y("300"))).reason.code == "stored_value.insufficient"  # type: ignore[union-attr]
    assert acc.handle(TopUp("t2", Y("50"))).reason.code == "stored_value.below_minimum"  # type: ignore[union-attr]
    with pytest.raises(IdConflictError):
        acc.handle(TopUp("t1", Y("300")))
    with pytest.raises(InvalidCommandError):
        acc.handle(RefundPayment("r", "nope"))
    with pytest.raises(InvalidPolicyError):
        TopUp("t", Y("-1"))
    with pytest.raises(InvalidPolicyError):
        StoredValuePolicy((TopUpTier(Y("1000"), Y("1")), TopUpTier(Y("500"), Y("1"))))


@given(
    st.integers(1, 10**6), st.lists(st.integers(0, 10**6), min_size=1, max_size=6), st.data()
)
def test_allocation_parts_sum_exactly(amount: int, lines: list[int], data: st.DataObject) -> None:
    total = sum(lines)
    if total == 0:
        return
    amount = min(amount, total)
    principal = data.draw(st.integers(0, amount))
    parts = allocate_payment(
        Money(amount), [(f"L{i}", Money(f)) for i, f in enumerate(lines)], Money(principal)
    )
    assert sum(lp.principal.minor for lp in parts) == principal
    assert sum(lp.amount.minor for lp in parts) == amount
    assert all(lp.bonus.minor >= 0 and lp.principal.minor >= 0 for lp in parts)
    payable = {f"L{i}": f for i, f in enumerate(lines)}
    assert all(lp.amount.minor <= payable[lp.line_id] for lp in parts)


@given(st.sampled_from(SpendingOrder), st.booleans(), st.integers(1, 5000))
def test_policy_round_trips(order: SpendingOrder, repeat: bool, minimum: int) -> None:
    pol = StoredValuePolicy(TIERS, order, repeat, Money(minimum), False)
    assert load(dump(pol)) == pol


class StoredValueMachine(RuleBasedStateMachine):
    @initialize(order=st.sampled_from(SpendingOrder), repeat=st.booleans())
    def setup(self, order: SpendingOrder, repeat: bool) -> None:
        self.acc = StoredValueAccount.open("m1", StoredValuePolicy(TIERS, order, repeat))
        self.expected = 0
        self.n = 0
        self.payments: list[str] = []
        self.top_ups: list[str] = []

    def _id(self) -> str:
        self.n += 1
        return f"c{self.n}"

    @rule(fen=st.integers(1, 200_000))
    def top_up(self, fen: int) -> None:
        i = self._id()
        out = self.acc.handle(TopUp(i, Money(fen)))
        self.expected += fen + out.events[0].bonus.minor
        self.acc = out.state
        self.top_ups.append(i)

    @rule(fen=st.integers(1, 200_000), lines=st.lists(st.integers(1, 90_000), max_size=3))
    def pay(self, fen: int, lines: list[int]) -> None:
        payables = tuple((f"L{j}", Money(x)) for j, x in enumerate(lines))
        if payables:
            fen = min(fen, sum(lines))
        i = self._id()
        out = self.acc.handle(Pay(i, Money(fen), payables))
        assert out.ok == (fen <= self.expected)
        if out.ok:
            split = out.events[0].split
            assert split.principal + split.bonus == Money(fen)
            self.expected -= fen
            self.payments.append(i)
        self.acc = out.state

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def refund_payment(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(self.payments))
        out = self.acc.handle(RefundPayment(self._id(), pid))
        if out.ok:
            self.expected += (out.events[0].principal + out.events[0].bonus).minor
        self.acc = out.state

    @precondition(lambda self: self.top_ups)
    @rule(data=st.data())
    def refund_top_up(self, data: st.DataObject) -> None:
        tid = data.draw(st.sampled_from(self.top_ups))
        out = self.acc.handle(RefundTopUp(self._id(), tid))
        if out.ok:
            ev = out.events[0]
            assert ev.cash_back == ev.principal_removed - ev.spent_bonus_deducted
            self.expected -= (ev.principal_removed + ev.bonus_forfeited).minor
        self.acc = out.state

    @invariant()
    def pots_sum_to_the_balance(self) -> None:
        assert self.acc.principal.minor >= 0
        assert self.acc.bonus.minor >= 0
        assert self.acc.principal + self.acc.bonus == self.acc.balance == Money(self.expected)


TestStoredValueMachine = StoredValueMachine.TestCase
