"""One order's profit sharing against a plain model: every accept and refusal predicted.

A `RuleBasedStateMachine` sends split requests (some above the cap, some
with too many receivers, some finishing), returns (partial, whole, too
much, from personal receivers, too late), finishes and expiries around the
30-day deadline, prunes, saves and reloads, replays and conflicting id
reuses. A plain model of WeChat Pay's rules predicts each outcome; the
money of the order always sums exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract import reload
from sirui.commission import (
    ExpireSharing,
    FinishCause,
    FinishSharing,
    ReceiverRole,
    RequestSplit,
    ReturnSplit,
    SharingFinished,
    SharingOrder,
    SharingPolicy,
    SharingStatus,
    SplitMade,
    SplitReturned,
    SplitTo,
)
from sirui.core.errors import IdConflictError
from sirui.core.money import Money
from sirui.core.windows import DateTime
from sirui.rules import PruneLog

from ._shop import NOW

AMOUNT = 10_000                      # a 100-yuan order
POLICY = SharingPolicy(cap=Decimal("0.3"), max_receivers=3, max_requests=4, max_returns=2,
                       unfreeze_after_days=30, return_within_days=60)
CAP = 3000
FEE = 60                             # 0.6% of 100 yuan
ACCOUNTS = ("store-S01", "hq", "guide-g1", "guide-g2")
PERSONAL = frozenset({"guide-g1", "guide-g2"})


@attrs.define
class Part:
    amount: int
    returned: int = 0
    returns: int = 0


@attrs.define
class Split:
    at: DateTime
    parts: dict[str, Part]


class SharingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now: DateTime = NOW
        self.order = SharingOrder("4200001", Money(AMOUNT), NOW, POLICY)
        self.splits: dict[str, Split] = {}
        self.finished: FinishCause | None = None
        self.unfrozen = 0
        self.done: list[tuple[Any, tuple[Any, ...]]] = []
        self.logged: dict[str, DateTime] = {}
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    @property
    def split_total(self) -> int:
        return sum(p.amount for s in self.splits.values() for p in s.parts.values())

    def _run(self, cmd: Any, expect: str | None) -> tuple[Any, ...]:
        before = self.order
        out = before.handle(cmd, now=self.now)
        if expect is None:
            assert out.ok, out.reason
            self.order = out.state
            self.done.append((cmd, out.events))
            self.logged[cmd.id] = self.now
            return out.events
        assert not out.ok, (cmd, expect)
        assert out.reason.code == expect, (out.reason, expect)
        assert out.state is before and not out.events
        return ()

    def _finish(self, cause: FinishCause) -> SharingFinished:
        self.finished = cause
        self.unfrozen = AMOUNT - FEE - self.split_total
        return SharingFinished("4200001", cause, Money(self.unfrozen))

    # -- splits ---------------------------------------------------------------------------

    def _split_verdict(self, amounts: dict[str, int]) -> str | None:
        if self.finished is not None:
            return "sharing.finished"
        if self.now >= NOW.add(days=30):
            return "sharing.deadline_passed"
        if len(self.splits) >= 4:
            return "sharing.too_many_requests"
        if len(amounts) > 3:
            return "sharing.too_many_receivers"
        if self.split_total + sum(amounts.values()) > CAP:
            return "sharing.above_cap"
        return None

    @rule(amounts=st.dictionaries(st.sampled_from(ACCOUNTS), st.integers(1, 900),
                                  min_size=1, max_size=4),
          finish=st.sampled_from([False, False, False, True]))
    def request(self, amounts: dict[str, int], finish: bool) -> None:
        sid = self._id("s")
        to = tuple(SplitTo(a, ReceiverRole.PARTNER, Money(f), a in PERSONAL)
                   for a, f in amounts.items())
        expect = self._split_verdict(amounts)
        events = self._run(RequestSplit(sid, to, finish), expect)
        if expect is not None:
            return
        self.splits[sid] = Split(self.now, {a: Part(f) for a, f in amounts.items()})
        made = SplitMade("4200001", sid, tuple((a, Money(f)) for a, f in amounts.items()),
                         Money(sum(amounts.values())), Money(self.split_total))
        assert events == ((made, self._finish(FinishCause.REQUEST)) if finish else (made,))

    @rule(over=st.integers(-200, 200), account=st.sampled_from(ACCOUNTS))
    def split_around_the_room(self, over: int, account: str) -> None:
        """Ask for about what the cap still allows."""
        self.request({account: max(CAP - self.split_total + over, 1)}, False)

    # -- returns --------------------------------------------------------------------------

    def _return_verdict(self, s: Split, account: str, fen: int) -> str | None:
        part = s.parts[account]
        if account in PERSONAL:
            return "sharing.personal_no_return"
        if self.now >= s.at.add(days=60):
            return "sharing.return_too_late"
        if sum(p.returns for p in s.parts.values()) >= 2:
            return "sharing.too_many_returns"
        if fen > part.amount - part.returned:
            return "sharing.return_above_split"
        return None

    @precondition(lambda self: self.splits)
    @rule(data=st.data(), whole=st.booleans(), extra=st.integers(-300, 300))
    def give_back(self, data: st.DataObject, whole: bool, extra: int) -> None:
        sid = data.draw(st.sampled_from(sorted(self.splits)))
        s = self.splits[sid]
        account = data.draw(st.sampled_from(sorted(s.parts)))
        part = s.parts[account]
        fen = max(part.amount - part.returned + (0 if whole else extra), 1)
        rid = self._id("r")
        expect = self._return_verdict(s, account, fen)
        events = self._run(ReturnSplit(rid, sid, account, Money(fen)), expect)
        if expect is None:
            part.returned += fen
            part.returns += 1
            assert events == (SplitReturned("4200001", rid, sid, account, Money(fen)),)

    # -- finish and the deadline ---------------------------------------------------------------

    @rule(by_merchant=st.booleans())
    def close(self, by_merchant: bool) -> None:
        """The merchant finishes, or the host's delay queue reports the deadline."""
        due = self.now >= NOW.add(days=30)
        if by_merchant:
            cmd: Any = FinishSharing(self._id("f"))
            expect = "sharing.deadline_passed" if due else None
        else:
            cmd = ExpireSharing(self._id("e"))
            expect = None if due else "sharing.not_due"
        if self.finished is not None:
            expect = "sharing.finished"
        events = self._run(cmd, expect)
        if expect is None:
            cause = FinishCause.MERCHANT if by_merchant else FinishCause.DEADLINE
            assert events == (self._finish(cause),)

    @rule(hours=st.sampled_from([1, 24, 24 * 10, 24 * 29, 24 * 61]))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    # -- the log, storage, replays ---------------------------------------------------------

    @rule(days=st.sampled_from([None, 0, 5]))
    def prune(self, days: int | None) -> None:
        cmd = PruneLog(self._id("p"), retention_days=days)
        before = self.now.subtract(days=30 if days is None else days)
        gone = {cid for cid, at in self.logged.items() if at < before}
        out = self.order.handle(cmd, now=self.now)
        assert out.ok
        for cid in gone:
            del self.logged[cid]
        self.logged[cmd.id] = self.now
        self.done = [d for d in self.done if d[0].id not in gone]
        self.order = out.state

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.order)
        assert stored == self.order
        self.order = stored

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.done))
        out = self.order.handle(cmd, now=self.now)
        assert out.ok and out.events == events and out.state is self.order

    @precondition(lambda self: any(isinstance(c, RequestSplit | ReturnSplit)
                                   for c, _ in self.done))
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cmd, _ = data.draw(st.sampled_from(
            [d for d in self.done if isinstance(d[0], RequestSplit | ReturnSplit)]))
        other = (attrs.evolve(cmd, finish=not cmd.finish) if isinstance(cmd, RequestSplit)
                 else attrs.evolve(cmd, amount=cmd.amount + Money(1)))
        with pytest.raises(IdConflictError):
            self.order.handle(other, now=self.now)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        o = self.order
        assert o.status is (SharingStatus.OPEN if self.finished is None
                            else SharingStatus.FINISHED)
        assert o.finished_by is self.finished
        assert o.split_total == Money(self.split_total)
        for sid, s in self.splits.items():
            got = {sh.account: (sh.amount.minor, sh.returned.minor, sh.returns)
                   for sh in o.split(sid).shares}
            assert got == {a: (p.amount, p.returned, p.returns) for a, p in s.parts.items()}
        assert len(o.log) == len(self.logged)

    @invariant()
    def the_money_of_the_order_sums_exactly(self) -> None:
        o = self.order
        returned = sum(p.returned for s in self.splits.values() for p in s.parts.values())
        assert self.split_total <= CAP
        assert o.returned_total == Money(returned)
        assert o.held + o.returned_total + o.merchant_rest == Money(AMOUNT)
        frozen = 0 if self.finished is not None else AMOUNT - FEE - self.split_total
        assert (o.fee, o.frozen, o.unfrozen) == (Money(FEE), Money(frozen), Money(self.unfrozen))
        assert o.fee + o.frozen + o.unfrozen == o.merchant_rest


SharingMachine.TestCase.settings = settings(stateful_step_count=40)
test_sharing_machine = SharingMachine.TestCase
