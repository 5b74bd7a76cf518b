"""Stateful test of the seckill stock machine against a simple model.

Many members reserve, pay, cancel, time out, join and leave the waiting list
across three buckets of one item while the clock moves (across midnight) and
stock is rebalanced between buckets. The host here is a dict keyed like a
real store: counters by bucket, member records by member, reservations by
order id; each command loads just its slice. Replays must give back the
events first produced; the host may save and reload every record (JSON
through the one codec) or prune released reservations at any step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from seckill_helpers import at

from contract import reload
from sirui.campaigns.seckill import (
    Cancel,
    Confirm,
    Expire,
    MemberRecord,
    Promote,
    Rebalance,
    Reservation,
    Reserve,
    StockCounter,
    StockRules,
    StockSlice,
    rebalance,
    split_stock,
)
from sirui.core.windows import local_date
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected

KEY = "c/am@2026-11-11T23:00:00+08:00"
MEMBERS = tuple(f"m{i}" for i in range(6))
BUCKETS = 3
STOCK = 10


@attrs.define
class ModelOrder:
    member: str
    bucket: int
    qty: int
    status: str
    day: dt.date
    expires: dt.datetime | None
    at: dt.datetime
    released_by: str | None = None


class StockMachine(RuleBasedStateMachine):
    RULES: ClassVar[StockRules] = StockRules(payment_timeout_minutes=5, per_slot=4, per_day=3)

    def __init__(self) -> None:
        super().__init__()
        self.now = at(23)
        self.counters: list[StockCounter] = list(split_stock(KEY, "milk", STOCK, BUCKETS))
        self.members = {m: MemberRecord(m) for m in MEMBERS}
        self.orders: dict[str, Reservation] = {}
        self.model: dict[str, ModelOrder] = {}
        self.stock = [c.stock for c in self.counters]
        self.held = [0] * BUCKETS
        self.ids = 0
        self.rebalances = 0
        self.prunes = 0
        self.first: dict[tuple[str, str], tuple[Any, ...]] = {}
        """The events each accepted (order, command kind) first produced."""

    # -- the model -----------------------------------------------------------------------

    def active(self, o: ModelOrder) -> bool:
        if o.status == "reserved":
            return o.expires is not None and self.now < o.expires
        return o.status in ("confirmed", "waiting")

    def total(self, bucket: int, status: str) -> int:
        return sum(o.qty for o in self.model.values() if o.bucket == bucket and o.status == status)

    def available(self, b: int) -> int:
        return (self.stock[b] - self.total(b, "reserved") - self.total(b, "confirmed")
                - self.held[b])

    def expect_reserve(self, member: str, bucket: int, qty: int) -> str:
        mine = [o for o in self.model.values() if o.member == member and self.active(o)]
        today = local_date(self.now)
        if sum(o.qty for o in mine) + qty > 4:
            return "seckill.limit_reached"
        if sum(o.qty for o in mine if o.day == today) + qty > 3:
            return "seckill.limit_reached"
        avail = self.available(bucket)
        if qty <= avail:
            return "reserved"
        if self.RULES.waiting_list and avail == 0:
            return "waiting"
        return "seckill.sold_out" if avail == 0 else "seckill.not_enough_stock"

    def expect(self, kind: str, o: ModelOrder) -> str:
        s = o.status
        if s == "confirmed":
            return "replay" if kind == "confirm" else "seckill.already_confirmed"
        if s == "released":
            if (kind, o.released_by) in (("cancel", "cancel"), ("cancel", "left"),
                                         ("expire", "timeout")):
                return "replay"
            if kind == "confirm" and o.expires is not None and self.now >= o.expires:
                return "seckill.payment_timeout"
            return "seckill.reservation_released"
        if s == "waiting":
            if kind == "cancel":
                return "released"
            if kind == "promote":
                return "reserved" if self.held[o.bucket] >= o.qty else "seckill.still_waiting"
            return "seckill.not_due" if kind == "expire" else "seckill.still_waiting"
        assert o.expires is not None
        if kind == "confirm":
            return "confirmed" if self.now < o.expires else "seckill.payment_timeout"
        if kind == "expire":
            return "released" if self.now >= o.expires else "seckill.not_due"
        return "replay" if kind == "promote" else "released"

    # -- the host ------------------------------------------------------------------------

    def slice_for(self, order_id: str) -> StockSlice:
        r = self.orders[order_id]
        return StockSlice(self.RULES, self.counters[r.bucket], self.members[r.member_id], r)

    def persist(self, s: StockSlice) -> None:
        self.counters[s.counter.bucket] = s.counter
        self.members[s.member.member_id] = s.member
        if s.order is not None:
            self.orders[s.order.order_id] = s.order

    # -- rules ---------------------------------------------------------------------------

    @rule(member=st.sampled_from(MEMBERS), bucket=st.integers(0, BUCKETS - 1),
          qty=st.integers(1, 3))
    def reserve(self, member: str, bucket: int, qty: int) -> None:
        self.ids += 1
        oid = f"o{self.ids}"
        expected = self.expect_reserve(member, bucket, qty)
        s = StockSlice(self.RULES, self.counters[bucket], self.members[member])
        out = s.handle(Reserve(oid, member, qty), now=self.now)
        if isinstance(out, Rejected):
            assert out.reason.code == expected
            assert out.state is s
            return
        assert out.state.order is not None
        assert out.state.order.status.value == expected
        self.persist(out.state)
        self.model[oid] = ModelOrder(member, bucket, qty, expected, local_date(self.now),
                                     out.state.order.expires_at, self.now)
        self.first[(oid, "reserve")] = out.events

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def replay_reserve(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(sorted(self.orders)))
        r = self.orders[oid]
        s = self.slice_for(oid)
        out = s.handle(Reserve(oid, r.member_id, r.quantity), now=self.now)
        assert isinstance(out, Accepted)
        assert out.state is s
        assert out.events == self.first[(oid, "reserve")]

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), kind=st.sampled_from(["confirm", "cancel", "expire", "promote"]))
    def act(self, data: st.DataObject, kind: str) -> None:
        oid = data.draw(st.sampled_from(sorted(self.orders)))
        o = self.model[oid]
        expected = self.expect(kind, o)
        command = {"confirm": Confirm, "cancel": Cancel, "expire": Expire, "promote": Promote}
        s = self.slice_for(oid)
        before = s.counter
        out = s.handle(command[kind](oid), now=self.now)
        if expected.startswith("seckill."):
            assert isinstance(out, Rejected)
            assert out.reason.code == expected
            assert out.state is s
            return
        assert isinstance(out, Accepted), (kind, o, out)
        if expected == "replay":
            assert out.state is s
            # Promote on an order reserved outright answers with its reservation.
            assert out.events == (self.first.get((oid, kind)) or self.first[(oid, "reserve")])
            return
        self.first[(oid, kind)] = out.events
        after = out.state.counter
        if expected == "released" and o.status == "reserved":
            # Released stock is available again (held for the waiting list first).
            assert after.available + after.held == before.available + before.held + o.qty
            self.held[o.bucket] += min(o.qty, self.total(o.bucket, "waiting") - self.held[o.bucket])
        if expected == "reserved":
            self.held[o.bucket] -= o.qty
            assert out.state.order is not None
            o.expires = out.state.order.expires_at
        if expected == "released":
            o.released_by = {"waiting": "left", "reserved": kind.replace("expire", "timeout")}[
                o.status]
        o.status = expected
        if expected == "released" and kind == "cancel" and before.waiting > after.waiting:
            self.held[o.bucket] = min(self.held[o.bucket], self.total(o.bucket, "waiting"))
        self.persist(out.state)

    @rule()
    def save_and_reload(self) -> None:
        """The host stores every record as JSON and loads it back: nothing changes."""
        for i, c in enumerate(self.counters):
            self.counters[i] = again = reload(c)
            assert again == c
        for m, record in self.members.items():
            self.members[m] = again = reload(record)
            assert again == record
        for oid, r in self.orders.items():
            self.orders[oid] = again = reload(r)
            assert again == r

    @rule(member=st.sampled_from(MEMBERS), bucket=st.integers(0, BUCKETS - 1))
    def prune(self, member: str, bucket: int) -> None:
        """Forget the member's released reservations made before now (retention 0 days)."""
        self.prunes += 1
        s = StockSlice(self.RULES, self.counters[bucket], self.members[member])
        out = s.handle(PruneLog(f"prune-{self.prunes}", retention_days=0), now=self.now)
        gone = sorted(oid for oid, o in self.model.items()
                      if o.member == member and o.status == "released" and o.at < self.now)
        assert isinstance(out, Accepted)
        assert out.events == (LogPruned(self.now, len(gone)),)
        assert out.state.counter is s.counter
        assert {r.order_id for r in out.state.member.reservations}.isdisjoint(gone)
        self.members[member] = out.state.member
        for oid in gone:
            del self.orders[oid], self.model[oid]

    # Whole minutes make "exactly at the payment deadline" common; odd seconds cover the rest.
    @rule(seconds=st.sampled_from([60, 120, 240, 300, 600, 3600]) | st.integers(0, 900))
    def advance(self, seconds: int) -> None:
        self.now = self.now.add(seconds=seconds)

    @rule(src=st.integers(0, BUCKETS - 1), dst=st.integers(0, BUCKETS - 1),
          qty=st.none() | st.integers(1, 5))
    def move(self, src: int, dst: int, qty: int | None) -> None:
        if src == dst:
            return
        self.rebalances += 1
        out = rebalance(self.counters[src], self.counters[dst],
                        Rebalance(f"r{self.rebalances}", qty))
        n = self.available(src) if qty is None else min(qty, self.available(src))
        if n == 0:
            assert isinstance(out, Rejected)
            return
        assert isinstance(out, Accepted)
        self.counters[src], self.counters[dst] = out.state
        self.stock[src] -= n
        self.stock[dst] += n
        self.held[dst] += min(n, self.total(dst, "waiting") - self.held[dst])

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def never_oversell(self) -> None:
        assert sum(c.stock for c in self.counters) == STOCK
        for b, c in enumerate(self.counters):
            assert c.sold + c.reserved + c.held <= c.stock
            assert c.stock == c.available + c.held + c.reserved + c.sold
            assert c.held <= c.waiting
            assert (c.stock, c.reserved, c.sold, c.waiting, c.held) == (
                self.stock[b], self.total(b, "reserved"), self.total(b, "confirmed"),
                self.total(b, "waiting"), self.held[b],
            )

    @invariant()
    def never_exceed_a_member_limit(self) -> None:
        for m, record in self.members.items():
            active = [r for r in record.reservations if r.active(self.now)]
            assert sum(r.quantity for r in active) <= 4
            for day in {r.day for r in active}:
                assert sum(r.quantity for r in active if r.day == day) <= 3
            for r in record.reservations:
                assert self.orders[r.order_id] == r
                assert r.member_id == m


class WaitingListMachine(StockMachine):
    RULES: ClassVar[StockRules] = StockRules(
        payment_timeout_minutes=5, per_slot=4, per_day=3, waiting_list=True
    )


_settings = settings(stateful_step_count=40)
TestStockMachine = StockMachine.TestCase
TestStockMachine.settings = _settings
TestWaitingListMachine = WaitingListMachine.TestCase
TestWaitingListMachine.settings = _settings
