"""Stateful test of seckill stock with refunds and a per-order cap, against a plain model.

Extends the stock machine of ``test_seckill_machine.py`` (same host, same
rules for reserve, pay, cancel, time out, the waiting list, rebalancing,
reloads and prunes) with `SeckillRefund` on paid orders under each choice of
``refund_returns_stock`` / ``refund_returns_quota``, and 每单限购2件. The
model predicts every accept and refusal; the invariants say a seckill with
refunds never oversells and never lets a member past a limit.
"""

from __future__ import annotations

from typing import ClassVar

import test_seckill_machine as base
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from sirui.campaigns.seckill import SeckillRefund, StockRules
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected

PER_ORDER = 2


class RefundMachine(base.StockMachine):
    RULES: ClassVar[StockRules] = StockRules(
        payment_timeout_minutes=5, per_slot=4, per_day=3, per_order=PER_ORDER,
        waiting_list=True,
    )

    def __init__(self) -> None:
        super().__init__()
        self.kept_sold = [0] * base.BUCKETS
        """Units of refunded orders that stayed sold (refund_returns_stock off)."""
        self.quota_back: set[str] = set()
        """Refunded orders whose quota came back."""

    # -- the model, with refunds -----------------------------------------------------------

    def active(self, o: base.ModelOrder) -> bool:
        if o.status == "refunded":
            return not self.RULES.refund_returns_quota
        return super().active(o)

    def available(self, b: int) -> int:
        return super().available(b) - self.kept_sold[b]

    def expect_reserve(self, member: str, bucket: int, qty: int) -> str:
        if qty > PER_ORDER:
            return "seckill.order_limit"
        return super().expect_reserve(member, bucket, qty)

    def expect(self, kind: str, o: base.ModelOrder) -> str:
        if o.status == "refunded":
            if kind in ("refund", "confirm"):
                return "replay"
            return "seckill.refunded"
        if kind != "refund":
            return super().expect(kind, o)
        if o.status == "confirmed":
            return "refunded"
        return "seckill.reservation_released" if o.status == "released" else "seckill.not_paid"

    # -- rules -------------------------------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        # Paid orders most of the time, first those whose bucket has members waiting.
        paid = sorted(oid for oid, o in self.model.items() if o.status == "confirmed")
        queued = [oid for oid in paid
                  if self.total(self.model[oid].bucket, "waiting") > self.held[
                      self.model[oid].bucket]]
        pool = sorted(self.orders)
        if paid and data.draw(st.booleans()):
            pool = queued if queued and data.draw(st.booleans()) else paid
        oid = data.draw(st.sampled_from(pool))
        o = self.model[oid]
        expected = self.expect("refund", o)
        s = self.slice_for(oid)
        out = s.handle(SeckillRefund(oid), now=self.now)
        if expected.startswith("seckill."):
            assert isinstance(out, Rejected)
            assert out.reason.code == expected
            assert out.state is s
            return
        assert isinstance(out, Accepted)
        if expected == "replay":
            assert out.state is s
            assert out.events == self.first[(oid, "refund")]
            return
        self.first[(oid, "refund")] = out.events
        (ev,) = out.events
        returns = self.RULES.refund_returns_stock
        assert (ev.stock_returned, ev.quota_returned) == (returns, self.RULES.refund_returns_quota)
        if returns:
            to_list = min(o.qty, self.total(o.bucket, "waiting") - self.held[o.bucket])
            assert ev.to_waiting_list == to_list
            self.held[o.bucket] += to_list
        else:
            self.kept_sold[o.bucket] += o.qty
        if self.RULES.refund_returns_quota:
            self.quota_back.add(oid)
        o.status = "refunded"
        self.persist(out.state)

    @rule(member=st.sampled_from(base.MEMBERS), bucket=st.integers(0, base.BUCKETS - 1))
    def prune(self, member: str, bucket: int) -> None:
        """Forget released reservations and refunds that gave the quota back."""
        self.prunes += 1
        s = base.StockSlice(self.RULES, self.counters[bucket], self.members[member])
        out = s.handle(PruneLog(f"prune-{self.prunes}", retention_days=0), now=self.now)
        gone = sorted(
            oid for oid, o in self.model.items()
            if o.member == member and o.at < self.now
            and (o.status == "released" or (o.status == "refunded" and oid in self.quota_back))
        )
        assert isinstance(out, Accepted)
        assert out.events == (LogPruned(self.now, len(gone)),)
        self.members[member] = out.state.member
        for oid in gone:
            del self.orders[oid], self.model[oid]

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def never_oversell(self) -> None:
        assert sum(c.stock for c in self.counters) == base.STOCK
        for b, c in enumerate(self.counters):
            assert c.sold + c.reserved + c.held <= c.stock
            assert c.stock == c.available + c.held + c.reserved + c.sold
            assert c.held <= c.waiting
            assert (c.stock, c.reserved, c.sold, c.waiting, c.held) == (
                self.stock[b], self.total(b, "reserved"),
                self.total(b, "confirmed") + self.kept_sold[b],
                self.total(b, "waiting"), self.held[b],
            )

    @invariant()
    def no_order_above_the_cap(self) -> None:
        assert all(o.qty <= PER_ORDER for o in self.model.values())

    @invariant()
    def refunded_orders_count_as_chosen(self) -> None:
        for record in self.members.values():
            for r in record.reservations:
                if r.status.value == "refunded":
                    assert r.active(self.now) is not self.RULES.refund_returns_quota
                    assert r.stock_returned is self.RULES.refund_returns_stock


class StockBackMachine(RefundMachine):
    RULES: ClassVar[StockRules] = StockRules(
        payment_timeout_minutes=5, per_slot=4, per_day=3, per_order=PER_ORDER,
        waiting_list=True, refund_returns_stock=True,
    )


class QuotaBackMachine(RefundMachine):
    RULES: ClassVar[StockRules] = StockRules(
        payment_timeout_minutes=5, per_slot=4, per_day=3, per_order=PER_ORDER,
        refund_returns_quota=True,
    )


class BothBackMachine(RefundMachine):
    RULES: ClassVar[StockRules] = StockRules(
        payment_timeout_minutes=5, per_slot=4, per_day=3, per_order=PER_ORDER,
        waiting_list=True, refund_returns_stock=True, refund_returns_quota=True,
    )


_settings = settings(stateful_step_count=40)
TestRefundKeepsAll = RefundMachine.TestCase
TestRefundKeepsAll.settings = _settings
TestRefundReturnsStock = StockBackMachine.TestCase
TestRefundReturnsStock.settings = _settings
TestRefundReturnsQuota = QuotaBackMachine.TestCase
TestRefundReturnsQuota.settings = _settings
TestRefundReturnsBoth = BothBackMachine.TestCase
TestRefundReturnsBoth.settings = _settings
