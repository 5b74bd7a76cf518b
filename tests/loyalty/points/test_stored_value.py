"""Stored value (储值): top-up bonuses, spending order, line allocation, refunds."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.loyalty.points import (
    STORED_VALUE_TRANSITIONS,
    Pay,
    RefundPayment,
    RefundTopUp,
    SpendingOrder,
    StoredValueAccount,
    StoredValuePolicy,
    StoredValueStatus,
    ToppedUp,
    TopUp,
    TopUpTier,
    allocate_payment,
)
from sirui.rules import LogPruned, PruneLog
from sirui.rules.commandlog import NOT_IN_TABLE

Y = Money.of
NOW = pendulum.datetime(2026, 5, 1, 10, tz="Asia/Shanghai")
TIERS = (TopUpTier(Y("500"), Y("50")), TopUpTier(Y("1000"), Y("120")))


def account(order: SpendingOrder = SpendingOrder.BONUS_FIRST, **kw: object) -> StoredValueAccount:
    return StoredValueAccount.open("m1", StoredValuePolicy(TIERS, order, **kw))  # type: ignore[arg-type]


def test_top_up_500_get_50() -> None:
    acc = account().handle(TopUp("t1", Y("500")), now=NOW).state
    assert (acc.principal, acc.bonus) == (Y("500"), Y("50"))
    acc = acc.handle(TopUp("t2", Y("1500")), now=NOW).state
    assert acc.bonus == Y("170")  # the highest tier reached: 1,000 gets 120
    assert account(repeat=True).handle(TopUp("t", Y("1500")), now=NOW).state.bonus == Y("170")
    assert account(repeat=True).handle(TopUp("t", Y("2000")), now=NOW).state.bonus == Y("240")
    assert account().handle(TopUp("t", Y("499")), now=NOW).state.bonus == Y("0")


def test_spending_orders() -> None:
    base = [TopUp("t1", Y("500"))]

    def pay(order: SpendingOrder) -> tuple[Money, Money]:
        acc = account(order)
        for c in base:
            acc = acc.handle(c, now=NOW).state
        split = acc.handle(Pay("p1", Y("110")), now=NOW).events[0].split
        return split.principal, split.bonus

    assert pay(SpendingOrder.BONUS_FIRST) == (Y("60"), Y("50"))
    assert pay(SpendingOrder.PRINCIPAL_FIRST) == (Y("110"), Y("0"))
    assert pay(SpendingOrder.PROPORTIONAL) == (Y("100"), Y("10"))


def test_payment_is_allocated_to_lines_and_refunded_to_the_same_split() -> None:
    acc = account(SpendingOrder.PROPORTIONAL).handle(TopUp("t1", Y("500")), now=NOW).state
    out = acc.handle(Pay("p1", Y("330"), (("formula", Y("268")), ("diapers", Y("129")))), now=NOW)
    split = out.events[0].split
    assert sum((lp.amount for lp in split.by_line), Y("0")) == Y("330")
    assert [lp.amount for lp in split.by_line] == [Y("222.77"), Y("107.23")]
    acc = out.state
    back = acc.handle(RefundPayment("r1", "p1", frozenset({"diapers"})), now=NOW)
    diapers = split.by_line[1]
    assert (back.events[0].principal, back.events[0].bonus) == (diapers.principal, diapers.bonus)
    again = back.state.handle(RefundPayment("r2", "p1", frozenset({"diapers"})), now=NOW)
    assert again.reason.code == "stored_value.already_refunded"  # type: ignore[union-attr]
    rest = back.state.handle(RefundPayment("r3", "p1"), now=NOW)
    assert rest.state.balance == Y("550")
    assert (rest.state.principal, rest.state.bonus) == (Y("500"), Y("50"))


def test_refund_of_a_top_up_forfeits_the_bonus_and_deducts_the_spent_bonus() -> None:
    acc = account().handle(TopUp("t1", Y("500")), now=NOW).state
    acc = acc.handle(Pay("p1", Y("30")), now=NOW).state  # bonus first: 30 of the 50 bonus
    out = acc.handle(RefundTopUp("rt1", "t1"), now=NOW)
    ev = out.events[0]
    assert ev.cash_back == Y("470")
    assert ev.bonus_forfeited == Y("20")
    assert ev.spent_bonus_deducted == Y("30")
    assert out.state.balance == Y("0")
    assert out.state.handle(RefundTopUp("rt2", "t1"), now=NOW).ok is False


def test_a_spent_top_up_cannot_be_refunded_and_non_refundable_policies() -> None:
    acc = account(SpendingOrder.PRINCIPAL_FIRST).handle(TopUp("t1", Y("500")), now=NOW).state
    acc = acc.handle(Pay("p1", Y("480")), now=NOW).state  # principal 20 left, bonus 50 left
    assert acc.handle(RefundTopUp("rt", "t1"), now=NOW).events[0].cash_back == Y("20")
    acc2 = account(SpendingOrder.BONUS_FIRST).handle(TopUp("t1", Y("500")), now=NOW).state
    acc2 = acc2.handle(Pay("p1", Y("520")), now=NOW).state  # principal 30 left, bonus 0
    assert acc2.handle(RefundTopUp("rt", "t1"), now=NOW).reason.code == "stored_value.top_up_spent"  # type: ignore[union-attr]
    fixed = account(top_up_refundable=False).handle(TopUp("t1", Y("500")), now=NOW).state
    refused = fixed.handle(RefundTopUp("rt", "t1"), now=NOW)
    assert refused.reason.code == "stored_value.not_refundable"  # type: ignore[union-attr]


def test_a_top_up_whose_principal_left_just_covers_the_spent_bonus_refunds_nothing() -> None:
    acc = account(SpendingOrder.BONUS_FIRST).handle(TopUp("t1", Y("500")), now=NOW).state
    acc = acc.handle(Pay("p1", Y("500")), now=NOW).state  # the 50 bonus, then 450 principal
    out = acc.handle(RefundTopUp("rt", "t1"), now=NOW)
    assert out.ok
    assert (out.events[0].cash_back, out.events[0].spent_bonus_deducted) == (Y("0"), Y("50"))
    assert out.state.balance == Y("0")


def test_insufficient_minimum_and_misuse() -> None:
    acc = account(min_top_up=Y("100")).handle(TopUp("t1", Y("200")), now=NOW).state
    assert acc.handle(Pay("p1", Y("300")), now=NOW).reason.code == "stored_value.insufficient"  # type: ignore[union-attr]
    assert acc.handle(TopUp("t2", Y("50")), now=NOW).reason.code == "stored_value.below_minimum"  # type: ignore[union-attr]
    with pytest.raises(IdConflictError):
        acc.handle(TopUp("t1", Y("300")), now=NOW)
    with pytest.raises(InvalidCommandError):
        acc.handle(RefundPayment("r", "nope"), now=NOW)
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


def _bonus(tiers: tuple[TopUpTier, ...], repeat: bool, fen: int) -> int:
    """The model's 充N送M: the highest tier reached, or greedily every tier that fits."""
    if not repeat:
        return max((t.bonus.minor for t in tiers if t.amount.minor <= fen), default=0)
    bonus = 0
    for t in sorted(tiers, key=lambda t: -t.amount.minor):
        times, fen = divmod(fen, t.amount.minor)
        bonus += times * t.bonus.minor
    return bonus


class StoredValueMachine(RuleBasedStateMachine):
    """Every outcome predicted from two integers and two dicts."""

    @initialize(order=st.sampled_from(SpendingOrder), repeat=st.booleans(),
                refundable=st.booleans(), retention=st.integers(0, 3))
    def setup(self, order: SpendingOrder, repeat: bool, refundable: bool, retention: int) -> None:
        self.policy = StoredValuePolicy(TIERS, order, repeat, top_up_refundable=refundable,
                                        log_retention_days=retention)
        self.acc = StoredValueAccount.open("m1", self.policy)
        self.now = NOW
        self.principal = self.bonus = 0
        self.n = 0
        # payment id -> {line: (principal, bonus)}, refunded lines
        self.payments: dict[str, tuple[dict[str, tuple[int, int]], set[str]]] = {}
        # top-up id -> [principal, bonus, refunded]
        self.top_ups: dict[str, list[int]] = {}
        self.logged: dict[str, tuple[object, tuple[object, ...], object]] = {}
        self.forgotten: list[object] = []

    def _id(self) -> str:
        self.n += 1
        return f"c{self.n}"

    def _took(self, cmd: object, expect: str | None) -> object:
        out = self.acc.handle(cmd, now=self.now)  # type: ignore[arg-type]
        if expect is None:
            assert out.ok, out
            self.logged[cmd.id] = (cmd, out.events, self.now)  # type: ignore[attr-defined]
            self.acc = out.state
        else:
            assert not out.ok, (out, expect)
            assert out.reason.code == expect, (out.reason, expect)
            assert out.state is self.acc and not out.events
            assert not self.acc.handle(cmd, now=self.now).ok  # type: ignore[arg-type]
        return out

    @rule(fen=st.integers(1, 200_000))
    def top_up(self, fen: int) -> None:
        cmd = TopUp(self._id(), Money(fen))
        bonus = _bonus(TIERS, self.policy.repeat, fen)
        out = self._took(cmd, None)
        assert out.events == (ToppedUp(cmd.id, "m1", Money(fen), Money(bonus)),)  # type: ignore[attr-defined]
        self.principal += fen
        self.bonus += bonus
        self.top_ups[cmd.id] = [fen, bonus, 0]

    @rule(fen=st.integers(1, 200_000), lines=st.lists(st.integers(1, 90_000), max_size=3))
    def pay(self, fen: int, lines: list[int]) -> None:
        payables = tuple((f"L{j}", Money(x)) for j, x in enumerate(lines))
        if payables:
            fen = min(fen, sum(lines))
        cmd = Pay(self._id(), Money(fen), payables)
        ok = fen <= self.principal + self.bonus
        out = self._took(cmd, None if ok else "stored_value.insufficient")
        if not ok:
            return
        order = self.policy.spending_order
        if order is SpendingOrder.BONUS_FIRST:
            b = min(fen, self.bonus)
            p = fen - b
        elif order is SpendingOrder.PRINCIPAL_FIRST:
            p = min(fen, self.principal)
            b = fen - p
        else:
            p, b = (m.minor for m in Money(fen).allocate([Money(self.principal),
                                                           Money(self.bonus)]))
        split = out.events[0].split  # type: ignore[attr-defined]
        assert (split.principal, split.bonus) == (Money(p), Money(b))
        assert sum(lp.principal.minor for lp in split.by_line) == p
        self.principal -= p
        self.bonus -= b
        by_line = {lp.line_id: (lp.principal.minor, lp.bonus.minor) for lp in split.by_line}
        self.payments[cmd.id] = (by_line, set())

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def refund_payment(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(self.payments)))
        by_line, done = self.payments[pid]
        lines = data.draw(st.frozensets(st.sampled_from(sorted(by_line)), max_size=2)
                          if by_line else st.just(frozenset()))
        wanted = set(lines) or set(by_line) - done
        ok = bool(wanted) and not wanted & done
        self._took(RefundPayment(self._id(), pid, lines),
                   None if ok else "stored_value.already_refunded")
        if ok:
            self.principal += sum(by_line[x][0] for x in wanted)
            self.bonus += sum(by_line[x][1] for x in wanted)
            done |= wanted

    @precondition(lambda self: self.top_ups)
    @rule(data=st.data())
    def refund_top_up(self, data: st.DataObject) -> None:
        tid = data.draw(st.sampled_from(sorted(self.top_ups)))
        tp, tb, refunded = self.top_ups[tid]
        forfeited = min(tb, self.bonus)
        removed = min(tp, self.principal)
        cash = removed - (tb - forfeited)
        expect = ("stored_value.already_refunded" if refunded
                  else "stored_value.not_refundable" if not self.policy.top_up_refundable
                  else "stored_value.top_up_spent" if cash < 0 else None)
        out = self._took(RefundTopUp(self._id(), tid), expect)
        if expect is None:
            assert out.events[0].cash_back == Money(cash)  # type: ignore[attr-defined]
            self.principal -= removed
            self.bonus -= forfeited
            self.top_ups[tid][2] = 1

    @precondition(lambda self: self.payments or self.top_ups)
    @rule(data=st.data())
    def refund_the_wrong_kind(self, data: st.DataObject) -> None:
        tid = data.draw(st.sampled_from(sorted([*self.payments, *self.top_ups])))
        cmd: object = (RefundTopUp(self._id(), tid) if tid in self.payments
                       else RefundPayment(self._id(), tid))
        self._took(cmd, "machine.not_in_table")

    @rule(hours=st.integers(1, 48))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule()
    def prune(self) -> None:
        cmd = PruneLog(self._id())
        before = self.now.subtract(days=self.policy.log_retention_days)
        gone = [i for i, (_, _, at) in self.logged.items() if at < before]  # type: ignore[operator]
        out = self._took(cmd, None)
        assert out.events == (LogPruned(before, len(gone)),)  # type: ignore[attr-defined]
        for i in gone:
            old = self.logged.pop(i)[0]
            if isinstance(old, TopUp | Pay):
                self.forgotten.append(old)
        assert len(self.acc.log) == len(self.logged)

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.acc)
        assert stored == self.acc
        self.acc = stored

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events, _ = self.logged[data.draw(st.sampled_from(sorted(self.logged)))]
        again = self.acc.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert again.state is self.acc and again.events == events

    @precondition(lambda self: self.forgotten)
    @rule(data=st.data())
    def retry_beyond_the_retention(self, data: st.DataObject) -> None:
        self._took(data.draw(st.sampled_from(self.forgotten)), "stored_value.txn_id_taken")

    @precondition(lambda self: any(isinstance(c, TopUp) for c, _, _ in self.logged.values()))
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cmd = data.draw(st.sampled_from(
            [c for c, _, _ in self.logged.values() if isinstance(c, TopUp)]))
        with pytest.raises(IdConflictError):
            self.acc.handle(TopUp(cmd.id, cmd.amount + Money(1)), now=self.now)  # type: ignore[attr-defined]

    @invariant()
    def pots_match_the_model(self) -> None:
        assert (self.acc.principal, self.acc.bonus) == (Money(self.principal), Money(self.bonus))
        assert self.acc.principal.minor >= 0
        assert self.acc.bonus.minor >= 0
        assert self.acc.balance == Money(self.principal + self.bonus)


TestStoredValueMachine = StoredValueMachine.TestCase


def test_the_docs_diagram_is_the_table() -> None:
    from pathlib import Path

    from sirui.rules import state_diagram

    page = Path(__file__).resolve().parents[3] / "docs" / "mechanics" / "stored-value.md"
    assert state_diagram(STORED_VALUE_TRANSITIONS) in page.read_text("utf-8")


def test_refunds_follow_the_table_and_a_late_retry_is_refused() -> None:
    acc = account().handle(TopUp("t1", Y("500")), now=NOW).state
    acc = acc.handle(Pay("p1", Y("30")), now=NOW).state
    assert acc.txns.get("t1").status is StoredValueStatus.TOPPED_UP
    wrong = acc.handle(RefundPayment("r1", "t1"), now=NOW)
    assert wrong.reason == NOT_IN_TABLE(state="topped_up", command="RefundPayment")
    assert wrong.state is acc
    assert acc.handle(RefundTopUp("r1", "p1"), now=NOW).reason.code == "machine.not_in_table"
    later = NOW.add(days=31)
    pruned = acc.handle(PruneLog("prune-1"), now=later).state
    assert "t1" not in pruned.log
    retry = pruned.handle(TopUp("t1", Y("500")), now=later)
    assert retry.reason.code == "stored_value.txn_id_taken"
    assert pruned.handle(RefundTopUp("r2", "t1"), now=later).ok


def test_handle_needs_now_and_an_id() -> None:
    with pytest.raises(TypeError):
        account().handle(TopUp("t1", Y("500")))  # type: ignore[call-arg]
    with pytest.raises(InvalidPolicyError):
        TopUp("", Y("500"))
    with pytest.raises(InvalidCommandError, match="not a stored value command"):
        account().handle("top up 500", now=NOW)  # type: ignore[arg-type]
