"""Settlement: pending → frozen → settleable → settled; refunds before and after settlement."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from contract import reload
from sirui.commission import (
    TRANSITIONS,
    ApplyRefund,
    ClawbackCreated,
    CommissionLine,
    CommissionPlan,
    CommissionRefund,
    MarkFulfilled,
    RateRule,
    RecordCommission,
    RecordStatus,
    ReleaseFrozen,
    Role,
    SettlementLedger,
    SettlementPolicy,
    SettlePayee,
    guide_commission,
)
from sirui.commission.settlement import FreezeFrom
from sirui.core.errors import IdConflictError, InvalidCommandError
from sirui.core.money import Money
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected, reason_code

from ._shop import DIAPER, MILK, NOW, paid_order, yuan

S = RecordStatus
PLAN = CommissionPlan((RateRule("all", "0.1"),))


def ok(outcome):  # type: ignore[no-untyped-def]
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def recorded() -> SettlementLedger:
    # Milk paid 260 (commission 26.00), diapers 2 × 45 = 90 (commission 9.00), guide g1.
    lines = guide_commission(paid_order([(MILK, 1, "260"), (DIAPER, 2, "90")]), PLAN)
    return ok(SettlementLedger().handle(RecordCommission("c1", lines), now=NOW))


def test_happy_path_pending_frozen_settleable_settled() -> None:
    led = recorded()
    assert {r.status for r in led.all_records()} == {S.PENDING}
    led = ok(led.handle(MarkFulfilled("c2", "o1", NOW.add(days=1)), now=NOW.add(days=1)))
    assert {r.status for r in led.all_records()} == {S.FROZEN}
    # Still frozen one second before the 7-day window ends: nothing is due.
    early = led.handle(ReleaseFrozen("c3"), now=NOW.add(days=8).subtract(seconds=1))
    assert isinstance(early, Rejected)
    assert early.reason.code == "settlement.nothing_due"
    assert early.state is led
    # The refused id was not recorded: the scheduler's retry is decided afresh.
    led = ok(led.handle(ReleaseFrozen("c3"), now=NOW.add(days=8)))
    assert {r.status for r in led.all_records()} == {S.SETTLEABLE}
    out = led.handle(SettlePayee("c5", "g1"), now=NOW.add(days=8))
    assert isinstance(out, Accepted)
    (settled,) = out.events
    assert (settled.gross, settled.paid) == (yuan("35.00"), yuan("35.00"))
    assert out.state.paid_out.get("g1") == yuan("35.00")
    assert {r.status for r in out.state.all_records()} == {S.SETTLED}


def test_refund_before_settlement_reduces_in_proportion_per_line() -> None:
    led = recorded()
    # One of the two diaper packs comes back: 45 of 90 yuan, so 4.50 of 9.00 commission.
    refund = CommissionRefund.of("r1", "o1", NOW.add(days=2), [("L2", 1, yuan("45"))])
    out = led.handle(ApplyRefund("c2", refund), now=NOW.add(days=2))
    led = ok(out)
    rec = led.record("o1/L2/guide/g1")
    assert (rec.amount, rec.status) == (yuan("4.50"), S.PENDING)
    assert led.record("o1/L1/guide/g1").amount == yuan("26.00")
    # The other pack too: the record is cancelled at exactly zero.
    refund2 = CommissionRefund.of("r2", "o1", NOW.add(days=3), [("L2", 1, yuan("45"))])
    led = ok(led.handle(ApplyRefund("c3", refund2), now=NOW.add(days=3)))
    rec = led.record("o1/L2/guide/g1")
    assert (rec.amount, rec.status) == (yuan("0"), S.CANCELLED)


def test_refund_after_settlement_is_clawed_back_from_the_next_settlement() -> None:
    led = recorded()
    led = ok(led.handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    led = ok(led.handle(ReleaseFrozen("r"), now=NOW.add(days=7)))
    led = ok(led.handle(SettlePayee("s1", "g1"), now=NOW.add(days=7)))
    out = led.handle(ApplyRefund("c9", CommissionRefund.of("r1", "o1", NOW.add(days=9),
                                                 [("L1", 1, yuan("260"))])), now=NOW.add(days=9))
    led = ok(out)
    assert out.events == (ClawbackCreated("o1/L1/guide/g1", "g1", yuan("26.00"), "r1"),)
    assert led.clawbacks.get("g1") == yuan("26.00")
    assert led.record("o1/L1/guide/g1").net == yuan("0")
    # Next month g1 earns 9.00 on another order: all of it offsets the clawback.
    more = guide_commission(paid_order([(DIAPER, 2, "90")], order_id="o2"), PLAN)
    led = ok(led.handle(RecordCommission("c10", more), now=NOW.add(days=10)))
    led = ok(led.handle(MarkFulfilled("f2", "o2", NOW.add(days=10)), now=NOW.add(days=10)))
    led = ok(led.handle(ReleaseFrozen("r2"), now=NOW.add(days=17)))
    out = led.handle(SettlePayee("s2", "g1"), now=NOW.add(days=17))
    assert isinstance(out, Accepted)
    assert out.reason is not None
    assert out.reason.code == "settlement.settled"
    settled = out.events[-1]
    assert (settled.gross, settled.clawback_offset, settled.paid) == (
        yuan("9.00"), yuan("9.00"), yuan("0"))
    assert out.state.clawbacks.get("g1") == yuan("17.00")


def test_nothing_to_settle_and_double_fulfilment_are_rejections() -> None:
    led = recorded()
    out = led.handle(SettlePayee("s", "g1"), now=NOW)
    assert isinstance(out, Rejected)
    assert out.reason.code == "settlement.nothing_to_settle"
    led = ok(led.handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    again = led.handle(MarkFulfilled("f2", "o1", NOW), now=NOW)
    assert isinstance(again, Rejected)
    assert again.reason.code == "settlement.not_pending"


def test_commands_are_idempotent_by_id() -> None:
    led = recorded()
    cmd = ApplyRefund("c2", CommissionRefund.of("r1", "o1", NOW, [("L2", 1, yuan("45"))]))
    first = led.handle(cmd, now=NOW)
    led = ok(first)
    replay = led.handle(cmd, now=NOW.add(days=1))
    assert replay.events == first.events
    assert replay.state is led
    assert led.record("o1/L2/guide/g1").amount == yuan("4.50")
    stored = reload(led)
    assert stored == led
    assert stored.handle(cmd, now=NOW.add(days=2)).events == first.events
    with pytest.raises(IdConflictError):
        led.handle(ApplyRefund("c2", CommissionRefund.of("r1", "o1", NOW, [("L2", 2, yuan("90"))])),
                   now=NOW)


def test_misuse_raises() -> None:
    led = recorded()
    with pytest.raises(InvalidCommandError, match="no commission recorded"):
        led.handle(MarkFulfilled("x", "nope", NOW), now=NOW)
    with pytest.raises(InvalidCommandError, match="more than it was paid"):
        led.handle(ApplyRefund("y", CommissionRefund.of("r", "o1", NOW, [("L1", 2, yuan("260"))])),
                   now=NOW)
    refund = CommissionRefund.of("r", "o1", NOW, [("L9", 1, yuan("1"))])
    with pytest.raises(InvalidCommandError, match="not in order"):
        led.handle(ApplyRefund("z", refund), now=NOW)
    with pytest.raises(InvalidCommandError, match="already exists"):
        led.handle(RecordCommission("again", tuple(r.line for r in led.all_records())),
                   now=NOW)


def test_transition_table_reads_as_the_issue_says() -> None:
    assert TRANSITIONS[(None, RecordCommission)] is S.PENDING
    assert TRANSITIONS[(S.PENDING, MarkFulfilled)] is S.FROZEN
    assert TRANSITIONS[(S.FROZEN, ReleaseFrozen)] is S.SETTLEABLE
    assert TRANSITIONS[(S.SETTLEABLE, SettlePayee)] is S.SETTLED
    assert (S.SETTLED, SettlePayee) not in TRANSITIONS
    assert TRANSITIONS[(S.SETTLED, ApplyRefund)] is S.SETTLED  # a clawback, not a cancel


def test_handle_takes_now_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        recorded().handle(ReleaseFrozen("r"), NOW)  # type: ignore[misc]


def test_a_rejected_command_is_not_recorded_and_is_decided_afresh() -> None:
    # Issue 18: a refused id used to be logged and refused for ever.
    led = recorded()
    first = led.handle(SettlePayee("pay-1", "g1"), now=NOW)
    assert isinstance(first, Rejected)
    assert first.state is led
    assert "pay-1" not in led.log
    led = ok(led.handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    led = ok(led.handle(ReleaseFrozen("r"), now=NOW.add(days=7)))
    out = led.handle(SettlePayee("pay-1", "g1"), now=NOW.add(days=7))
    assert isinstance(out, Accepted)
    assert out.events[-1].paid == yuan("35.00")


def test_prune_forgets_ids_older_than_the_policys_retention() -> None:
    led = SettlementLedger(SettlementPolicy(log_retention_days=10))
    lines = guide_commission(paid_order([(MILK, 1, "260")]), PLAN)
    led = ok(led.handle(RecordCommission("c1", lines), now=NOW))
    led = ok(led.handle(MarkFulfilled("f1", "o1", NOW.add(days=5)), now=NOW.add(days=5)))
    out = led.handle(PruneLog("p1"), now=NOW.add(days=12))
    assert isinstance(out, Accepted)
    assert out.events == (LogPruned(NOW.add(days=2), 1),)
    assert "c1" not in out.state.log and "f1" in out.state.log
    stored = reload(out.state)
    assert stored == out.state
    # c1 is forgotten: a retry is decided afresh (the lines exist: misuse, not a replay).
    with pytest.raises(InvalidCommandError, match="already exists"):
        stored.handle(RecordCommission("c1", lines), now=NOW.add(days=12))


# -- a fully refunded order nets to zero, whenever its refunds came ---------------------

@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(0, 100_000)), min_size=1, max_size=4),
    st.decimals(0, 1, places=3),
    st.data(),
)
def test_a_fully_refunded_order_nets_to_zero(
    lines: list[tuple[int, int]], rate: Decimal, data: st.DataObject
) -> None:
    order = paid_order([(MILK, q, f"{Decimal(fen) / 100}") for q, fen in lines])
    plan = CommissionPlan((RateRule("r", rate),))
    led = ok(SettlementLedger(SettlementPolicy(3)).handle(
        RecordCommission("rec", guide_commission(order, plan)), now=NOW))
    settle_after = data.draw(st.integers(0, 10), "settle after refund #")
    step = 0
    t = NOW
    for pl in order.lines:
        left_q, left_m = pl.quantity, pl.total.minor
        while left_q or left_m:
            q = data.draw(st.integers(0, left_q)) if left_q > 1 else left_q
            m = data.draw(st.integers(0, left_m)) if q < left_q else left_m
            left_q, left_m = left_q - q, left_m - m
            step += 1
            t = t.add(days=1)
            if step == settle_after:
                led = led.handle(MarkFulfilled(f"f{step}", order.id, t), now=t).state
                t = t.add(days=3)
                led = led.handle(ReleaseFrozen(f"r{step}"), now=t).state
                led = led.handle(SettlePayee(f"s{step}", "g1"), now=t).state
            refund = CommissionRefund.of(f"rf{step}", order.id, t, [(pl.line_id, q, Money(m))])
            led = ok(led.handle(ApplyRefund(f"a{step}", refund), now=t))
    records = led.records_of(order.id)
    assert sum((r.net for r in records), Money(0)) == Money(0)
    assert all(r.status in (S.CANCELLED, S.SETTLED) for r in records)
    paid = led.paid_out.get("g1") or Money(0)
    assert paid - (led.clawbacks.get("g1") or Money(0)) == Money(0)


# -- the state machine against a simple model -------------------------------------------

MODEL_REASON = reason_code("test.settlement_model", zh="模型", en="model")()


def _round(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@attrs.define
class _Rec:
    payee: str
    amount: int
    qty: int
    total: int
    status: RecordStatus = S.PENDING
    rq: int = 0
    rm: int = 0
    unfreeze: object = None
    reduced: int = 0
    clawed: int = 0

    def target(self) -> int:
        if self.rq >= self.qty or (self.total and self.rm >= self.total):
            return self.amount
        if self.total:
            return _round(Decimal(self.amount) * self.rm / self.total)
        return _round(Decimal(self.amount) * self.rq / self.qty)


class SettlementMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    @initialize(amounts=st.lists(st.integers(0, 5_000), min_size=6, max_size=6),
                totals=st.lists(st.integers(0, 50_000), min_size=3, max_size=3),
                window=st.integers(0, 5), freeze_from=st.sampled_from(FreezeFrom))
    def setup(self, amounts: list[int], totals: list[int], window: int,
              freeze_from: FreezeFrom) -> None:
        self.ledger = SettlementLedger(SettlementPolicy(window, freeze_from=freeze_from))
        self.window = window
        self.freeze_from = freeze_from
        self.now = NOW
        self.model: dict[str, _Rec] = {}
        self.pending_orders: list[tuple[str, tuple[CommissionLine, ...]]] = []
        self.paid: dict[str, int] = {}
        self.owed: dict[str, int] = {}
        self.accepted: list[tuple[object, object]] = []
        self.n = 0
        for o in range(3):
            lines = []
            for i, (payee, role) in enumerate((("g1", Role.GUIDE), ("g2", Role.SUPER_GUIDE))):
                lines.append(CommissionLine(
                    f"o{o}", "L1", payee, role, "S01", "milk", 1 + o, Money(totals[o]),
                    Money(totals[o]), Money(amounts[2 * o + i]), "all", MODEL_REASON, NOW))
            self.pending_orders.append((f"o{o}", tuple(lines)))

    def _id(self) -> str:
        self.n += 1
        return f"cmd{self.n}"

    def _run(self, cmd):  # type: ignore[no-untyped-def]
        before = self.ledger
        out = before.handle(cmd, now=self.now)
        if isinstance(out, Rejected):
            assert out.state is before
            assert out.events == ()
            # Not recorded: the same id at the same time is refused again, afresh.
            assert isinstance(before.handle(cmd, now=self.now), Rejected)
        else:
            self.accepted.append((cmd, out.events))
        self.ledger = out.state
        return out

    @precondition(lambda self: bool(self.pending_orders))
    @rule(target=orders)
    def record(self) -> str:
        oid, lines = self.pending_orders.pop(0)
        self._run(RecordCommission(self._id(), lines))
        for ln in lines:
            self.model[ln.key] = _Rec(ln.payee or "", ln.amount.minor, ln.quantity,
                                      ln.line_total.minor)
        return oid

    @rule(oid=orders)
    def fulfil(self, oid: str) -> None:
        out = self._run(MarkFulfilled(self._id(), oid, self.now))
        mine = [r for k, r in self.model.items() if k.startswith(oid + "/")]
        pending = [r for r in mine if r.status is S.PENDING]
        assert out.ok == bool(pending)
        # Every line was paid at NOW; from payment, the window never ends before fulfilment.
        until = (max(NOW.add(days=self.window), self.now)
                 if self.freeze_from is FreezeFrom.PAYMENT else self.now.add(days=self.window))
        for r in pending:
            r.status, r.unfreeze = S.FROZEN, until

    @rule(days=st.integers(0, 4))
    def wait(self, days: int) -> None:
        self.now = self.now.add(days=days)

    @rule()
    def release(self) -> None:
        out = self._run(ReleaseFrozen(self._id()))
        due = [r for r in self.model.values()
               if r.status is S.FROZEN and r.unfreeze <= self.now]  # type: ignore[operator]
        assert out.ok == bool(due)
        for r in due:
            r.status = S.SETTLEABLE

    @rule(payee=st.sampled_from(["g1", "g2"]))
    def settle(self, payee: str) -> None:
        out = self._run(SettlePayee(self._id(), payee))
        due = [r for r in self.model.values() if r.payee == payee and r.status is S.SETTLEABLE]
        assert out.ok == bool(due)
        for r in due:
            r.status = S.SETTLED
        if due:
            gross = sum(r.amount - r.reduced for r in due)
            offset = min(self.owed.get(payee, 0), gross)
            self.owed[payee] = self.owed.get(payee, 0) - offset
            self.paid[payee] = self.paid.get(payee, 0) + gross - offset
            assert out.events[-1].paid.minor == gross - offset

    @rule(oid=orders, data=st.data())
    def refund(self, oid: str, data: st.DataObject) -> None:
        rec = self.model[f"{oid}/L1/guide/g1"]
        left_q, left_m = rec.qty - rec.rq, rec.total - rec.rm
        q = data.draw(st.integers(0, left_q))
        m = data.draw(st.integers(0, left_m))
        refund = CommissionRefund.of(self._id(), oid, self.now, [("L1", q, Money(m))])
        self._run(ApplyRefund(self._id(), refund))
        for k, r in self.model.items():
            if not k.startswith(oid + "/"):
                continue
            r.rq, r.rm = r.rq + q, r.rm + m
            delta = r.target() - r.reduced - r.clawed
            assert delta >= 0
            if r.status is S.SETTLED:
                r.clawed += delta
                self.owed[r.payee] = self.owed.get(r.payee, 0) + delta
            else:
                r.reduced += delta
            full = r.rq >= r.qty or (r.total and r.rm >= r.total)
            if full and r.status in (S.PENDING, S.FROZEN, S.SETTLEABLE):
                r.status = S.CANCELLED

    @precondition(lambda self: getattr(self, "accepted", None))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.accepted))
        before = self.ledger
        again = self.ledger.handle(cmd, now=self.now.add(days=1))  # type: ignore[arg-type]
        assert isinstance(again, Accepted)
        assert again.state is before
        assert again.events == events

    @precondition(lambda self: hasattr(self, "ledger"))
    @rule()
    def save_and_reload(self) -> None:
        again = reload(self.ledger)
        assert again == self.ledger
        self.ledger = again

    @precondition(lambda self: hasattr(self, "ledger"))
    @rule(days=st.integers(0, 10))
    def prune(self, days: int) -> None:
        out = self.ledger.handle(PruneLog(self._id(), retention_days=days), now=self.now)
        before = self.now.subtract(days=days)
        gone = {e.command.id for e in self.ledger.log if e.at < before}
        assert out.events == (LogPruned(before, len(gone)),)
        self.accepted = [(c, ev) for c, ev in self.accepted
                         if c.id not in gone]  # type: ignore[attr-defined]
        self.ledger = out.state

    @invariant()
    def records_match_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        assert {k for k, _ in self.ledger.records.items()} == set(self.model)
        for k, m in self.model.items():
            r = self.ledger.record(k)
            assert r.status is m.status, k
            assert r.unfreeze_at == m.unfreeze, k
            assert r.net.minor == m.amount - m.target(), k
            assert r.reduced.minor >= 0
            assert r.clawed_back.minor >= 0

    @invariant()
    def payouts_balance(self) -> None:
        if not hasattr(self, "model"):
            return
        for payee in ("g1", "g2"):
            paid = (self.ledger.paid_out.get(payee) or Money(0)).minor
            assert paid == self.paid.get(payee, 0)
            owed = (self.ledger.clawbacks.get(payee) or Money(0)).minor
            assert owed == self.owed.get(payee, 0) >= 0
            settled_net = sum(m.amount - m.target() for m in self.model.values()
                              if m.payee == payee and m.status is S.SETTLED)
            assert paid - owed == settled_net


SettlementMachine.TestCase.settings = settings(stateful_step_count=30)
TestSettlementMachine = SettlementMachine.TestCase


def test_events_are_plain_data_for_the_host() -> None:
    from sirui.rules import event_to_dict

    led = recorded()
    refund = CommissionRefund.of("r1", "o1", NOW, [("L2", 1, yuan("45"))])
    out = led.handle(ApplyRefund("c2", refund), now=NOW)
    body = event_to_dict(out.events[0])
    assert body.pop("event").endswith("CommissionReduced")  # the wire name
    assert body == {"key": "o1/L2/guide/g1", "by": "4.50", "amount": "4.50", "refund_id": "r1"}


def test_the_ledger_cannot_be_mutated_from_outside() -> None:
    led = recorded()
    with pytest.raises(TypeError):
        led.records["x"] = led.records["o1/L1/guide/g1"]  # type: ignore[index]
