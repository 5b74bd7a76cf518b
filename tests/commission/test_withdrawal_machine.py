"""The withdrawal account against a plain model: every accept and refusal predicted.

A `RuleBasedStateMachine` credits, records and clears debt, offsets it,
applies, approves, rejects, pays and returns withdrawals at random times
(crossing local midnights in Shanghai), prunes the log, saves and reloads,
replays accepted commands and reuses their ids with other content. A plain
model of the rules predicts each outcome: accepted (with its events) or
refused with which reason code. An account that refused everything, or
accepted everything, fails.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract import reload
from sirui.commission import (
    WITHDRAWAL_TRANSITIONS,
    ApplyWithdrawal,
    ApproveWithdrawal,
    ClearDebt,
    Credit,
    DebtCleared,
    DebtOffset,
    DebtRecorded,
    MarkWithdrawalPaid,
    MarkWithdrawalReturned,
    OffsetDebt,
    RecordDebt,
    RejectWithdrawal,
    WithdrawalAccount,
    WithdrawalApplied,
    WithdrawalApproved,
    WithdrawalPaid,
    WithdrawalPolicy,
    WithdrawalRejected,
    WithdrawalReturned,
    WithdrawalStatus,
)
from sirui.core.errors import IdConflictError
from sirui.core.money import Money
from sirui.core.windows import DateTime
from sirui.rules import LogPruned, PruneLog

from ._shop import NOW

S = WithdrawalStatus
POLICY = WithdrawalPolicy(minimum=Money(1000), maximum=Money(50_000), fee_rate="0.006",
                          daily_count=3, daily_amount=Money(80_000))
AMOUNTS = st.sampled_from([999, 1000, 5000, 12_345, 30_000, 50_000, 50_001]) | st.integers(
    1000, 40_000)
STEP = (ApproveWithdrawal, RejectWithdrawal, MarkWithdrawalPaid, MarkWithdrawalReturned)


@attrs.define
class W:
    amount: int
    status: S
    day: dt.date


class WithdrawalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now: DateTime = NOW
        self.acc = WithdrawalAccount("g1", POLICY)
        self.balance = self.debt = self.pending = self.withdrawn = 0
        self.credited = self.offset = 0
        self.ws: dict[str, W] = {}
        self.days: dict[dt.date, tuple[int, int]] = {}
        self.done: list[tuple[Any, tuple[Any, ...]]] = []
        self.logged: dict[str, DateTime] = {}
        self.n = 0
        self.credit(60_000)

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    @property
    def today(self) -> dt.date:
        d = self.now.in_timezone("Asia/Shanghai").date()
        return dt.date(d.year, d.month, d.day)

    def _run(self, cmd: Any, expect: str | None) -> tuple[Any, ...]:
        """Send ``cmd``; check the verdict (None: accepted) and return the events."""
        before = self.acc
        out = before.handle(cmd, now=self.now)
        if expect is None:
            assert out.ok, out.reason
            self.acc = out.state
            self.done.append((cmd, out.events))
            self.logged[cmd.id] = self.now
            return out.events
        assert not out.ok, (cmd, expect)
        assert out.reason.code == expect, (out.reason, expect)
        assert out.state is before and not out.events
        assert not before.handle(cmd, now=self.now).ok, "a refusal is decided afresh"
        return ()

    # -- balance and debt -----------------------------------------------------------------

    @rule(fen=st.integers(1, 40_000))
    def credit(self, fen: int) -> None:
        self.balance += fen
        self.credited += fen
        events = self._run(Credit(self._id("c"), Money(fen), "settlement"), None)
        assert events[0].balance == Money(self.balance)

    @rule(fen=st.integers(1, 40_000))
    def record_debt(self, fen: int) -> None:
        self.debt += fen
        assert self._run(RecordDebt(self._id("d"), Money(fen)), None) == (
            DebtRecorded("g1", Money(fen), Money(self.debt), ""),)

    @rule(fen=st.integers(1, 20_000))
    def clear_debt(self, fen: int) -> None:
        ok = fen <= self.debt
        events = self._run(ClearDebt(self._id("x"), Money(fen)),
                           None if ok else "withdrawal.clear_too_much")
        if ok:
            self.debt -= fen
            assert events == (DebtCleared("g1", Money(fen), Money(self.debt), ""),)

    @rule()
    def offset_debt(self) -> None:
        part = min(self.debt, self.balance)
        events = self._run(OffsetDebt(self._id("o")),
                           None if part else "withdrawal.nothing_to_offset")
        if part:
            self.balance -= part
            self.debt -= part
            self.offset += part
            assert events == (DebtOffset("g1", Money(part), Money(self.balance),
                                         Money(self.debt)),)

    # -- withdrawals ------------------------------------------------------------------------

    def _apply_verdict(self, fen: int) -> str | None:
        if fen < POLICY.minimum.minor:
            return "withdrawal.below_minimum"
        if POLICY.maximum is not None and fen > POLICY.maximum.minor:
            return "withdrawal.above_maximum"
        count, amount = self.days.get(self.today, (0, 0))
        if count >= 3:
            return "withdrawal.daily_count"
        if amount + fen > 80_000:
            return "withdrawal.daily_amount"
        if fen > max(self.balance - self.debt, 0):
            return "withdrawal.debt_holds_back" if self.debt else "withdrawal.insufficient"
        return None

    @rule(fen=AMOUNTS)
    def apply(self, fen: int) -> None:
        wid = self._id("w")
        expect = self._apply_verdict(fen)
        events = self._run(ApplyWithdrawal(wid, Money(fen)), expect)
        if expect is None:
            assert fen <= self.balance - self.debt, "never more than the balance less the debt"
            self.balance -= fen
            self.pending += fen
            self.ws[wid] = W(fen, S.APPLIED, self.today)
            count, amount = self.days.get(self.today, (0, 0))
            self.days[self.today] = (count + 1, amount + fen)
            (ev,) = events
            assert isinstance(ev, WithdrawalApplied)
            assert ev.fee == Money(fen).times(POLICY.fee_rate)
            assert ev.fee + ev.net == Money(fen)
            assert ev.balance == Money(self.balance)

    def _give_back(self, w: W) -> None:
        self.balance += w.amount
        if w.day in self.days:
            count, amount = self.days[w.day]
            self.days[w.day] = (count - 1, amount - w.amount)

    @precondition(lambda self: self.ws)
    @rule(data=st.data(), kind=st.sampled_from(STEP))
    def step(self, data: st.DataObject, kind: type[Any]) -> None:
        """Any command on any withdrawal: the table says whether it is legal."""
        self._step(data.draw(st.sampled_from(sorted(self.ws))), kind)

    def _in(self, *statuses: S) -> list[str]:
        return sorted(wid for wid, w in self.ws.items() if w.status in statuses)

    @precondition(lambda self: self._in(S.APPLIED))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        self._step(data.draw(st.sampled_from(self._in(S.APPLIED))), ApproveWithdrawal)

    @precondition(lambda self: self._in(S.APPLIED, S.APPROVED))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        self._step(data.draw(st.sampled_from(self._in(S.APPLIED, S.APPROVED))), RejectWithdrawal)

    @precondition(lambda self: self._in(S.APPROVED))
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        self._step(data.draw(st.sampled_from(self._in(S.APPROVED))), MarkWithdrawalPaid)

    @precondition(lambda self: self._in(S.PAID))
    @rule(data=st.data())
    def bounce(self, data: st.DataObject) -> None:
        self._step(data.draw(st.sampled_from(self._in(S.PAID))), MarkWithdrawalReturned)

    @precondition(lambda self: self._in(S.APPLIED))
    @rule(data=st.data(), extra=st.integers(0, 5000))
    def debt_arrives_during_review(self, data: st.DataObject, extra: int) -> None:
        """A refund after payout lands while an application waits: the approval must wait."""
        self.record_debt(max(self.balance - self.debt, 0) + extra + 1)
        self._step(data.draw(st.sampled_from(self._in(S.APPLIED))), ApproveWithdrawal)

    @rule(owed=st.integers(1, 20_000), over=st.integers(-500, 500))
    def apply_around_the_debt(self, owed: int, over: int) -> None:
        """Debt holds back part of the balance; ask for about what is left."""
        self.record_debt(owed)
        self.apply(max(self.balance - self.debt + over, 1))

    def _step(self, wid: str, kind: type[Any]) -> None:
        w = self.ws[wid]
        target = WITHDRAWAL_TRANSITIONS.get((w.status, kind))
        expect = None if target is not None else "withdrawal.not_allowed"
        if kind is ApproveWithdrawal and target is not None and self.debt > self.balance:
            expect = "withdrawal.debt_uncovered"
        events = self._run(kind(self._id("s"), wid), expect)
        if expect is not None:
            return
        assert target is not None
        fen = Money(w.amount)
        if kind is ApproveWithdrawal:
            assert events == (WithdrawalApproved("g1", wid),)
        elif kind is MarkWithdrawalPaid:
            self.pending -= w.amount
            self.withdrawn += w.amount
            fee = fen.times(POLICY.fee_rate)
            assert events == (WithdrawalPaid("g1", wid, fen, fee, fen - fee),)
        elif kind is RejectWithdrawal:
            self.pending -= w.amount
            self._give_back(w)
            assert events == (WithdrawalRejected("g1", wid, fen, Money(self.balance), ""),)
        else:
            self.withdrawn -= w.amount
            self._give_back(w)
            assert events == (WithdrawalReturned("g1", wid, fen, Money(self.balance), ""),)
        w.status = target

    # -- time, the log, storage --------------------------------------------------------------

    @rule(hours=st.sampled_from([1, 5, 13, 24, 24 * 20]))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule(days=st.sampled_from([None, 0, 3]))
    def prune(self, days: int | None) -> None:
        cmd = PruneLog(self._id("p"), retention_days=days)
        before = self.now.subtract(days=30 if days is None else days)
        gone = {cid for cid, at in self.logged.items() if at < before}
        out = self.acc.handle(cmd, now=self.now)
        assert out.ok and out.events == (LogPruned(before, len(gone)),)
        cutoff = before.in_timezone("Asia/Shanghai").date()
        self.days = {d: u for d, u in self.days.items() if d >= cutoff}
        for cid in gone:
            del self.logged[cid]
        self.logged[cmd.id] = self.now
        self.done = [d for d in self.done if d[0].id not in gone]
        self.acc = out.state

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.acc)
        assert stored == self.acc
        self.acc = stored

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.done))
        out = self.acc.handle(cmd, now=self.now)
        assert out.ok and out.events == events and out.state is self.acc

    @precondition(lambda self: any(hasattr(c, "amount") for c, _ in self.done))
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cmd, _ = data.draw(st.sampled_from([d for d in self.done if hasattr(d[0], "amount")]))
        with pytest.raises(IdConflictError):
            self.acc.handle(attrs.evolve(cmd, amount=cmd.amount + Money(1)), now=self.now)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        acc = self.acc
        assert (acc.balance, acc.debt, acc.pending, acc.withdrawn) == (
            Money(self.balance), Money(self.debt), Money(self.pending), Money(self.withdrawn))
        for wid, w in self.ws.items():
            assert acc.withdrawal(wid).status is w.status
        for day, (count, amount) in self.days.items():
            assert (acc.usage(day).count, acc.usage(day).amount) == (count, Money(amount))
        assert len(acc.log) == len(self.logged)

    @invariant()
    def money_is_conserved(self) -> None:
        assert self.balance >= 0 and self.debt >= 0
        assert self.credited == self.balance + self.pending + self.withdrawn + self.offset


WithdrawalMachine.TestCase.settings = settings(stateful_step_count=40)
test_withdrawal_machine = WithdrawalMachine.TestCase
