"""The wallet against a model: never used twice, never lost, quota never exceeded.

A `RuleBasedStateMachine` drives two members' wallets and a shared quota
with random claims, locks, unlocks, uses, returns, expiry sweeps, clock
advances, log prunes, saves and reloads, replays of earlier commands and
conflicting reuses of their ids, and predicts every outcome (accepted, or
refused with which reason code, and the events) from a plain-dict model of
the rules. A wallet that refused everything, or accepted everything, fails.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract import reload
from promotions._shop import NOW, y
from sirui.core.errors import IdConflictError
from sirui.core.windows import DateTime, DaysAfterClaim, FixedValidity, Window
from sirui.promotions import (
    AmountOffCoupon,
    ClaimCoupon,
    CouponExpired,
    CouponQuota,
    CouponReturned,
    CouponStatus,
    CouponUsed,
    ExpireCoupons,
    LockCoupon,
    ReturnCoupon,
    UnlockCoupon,
    UseCoupon,
    Wallet,
    claim_coupon,
)
from sirui.rules import LogPruned, PruneLog

MEMBERS = ("m1", "m2")
ORDERS = ("o1", "o2", "o3")
TEMPLATES = (
    AmountOffCoupon("t-limit", validity=DaysAfterClaim(3), off=y(10), threshold=y(100),
                    per_member_limit=3),
    AmountOffCoupon("t-quota", validity=DaysAfterClaim(1), off=y(20), threshold=y(200),
                    total_quota=4),
    # one per member, valid from the day after the claim (次日生效)
    AmountOffCoupon("t-next", validity=DaysAfterClaim(2, starts_after_days=1), off=y(5),
                    threshold=y(50), per_member_limit=1),
    # a fixed window that opens 12 hours from the start and closes two days later
    AmountOffCoupon("t-fixed", off=y(8), threshold=y(80),
                    validity=FixedValidity(Window(NOW.add(hours=12), NOW.add(days=2)))),
)
A, L, U, E = (CouponStatus.AVAILABLE, CouponStatus.LOCKED, CouponStatus.USED,
              CouponStatus.EXPIRED)


@attrs.define
class Model:
    """One claimed coupon as the rules see it."""

    member: str
    template: str
    status: CouponStatus
    order: str | None
    start: DateTime
    end: DateTime


class WalletMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.quota = CouponQuota()
        self.wallets = {m: Wallet(m) for m in MEMBERS}
        self.model: dict[str, Model] = {}
        self.claims: dict[str, int] = {}
        # accepted commands that may be replayed: (member, command, events)
        self.done: list[tuple[str, Any, tuple[Any, ...]]] = []
        # every id each wallet's log holds, with when it was accepted
        self.logged: dict[str, dict[str, DateTime]] = {m: {} for m in MEMBERS}
        self.uses: dict[str, int] = {}
        self.returns: dict[str, int] = {}
        self.n = 0

    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _apply(self, member: str, cmd: Any, out: Any, expect: str | None) -> None:
        """Check ``out`` against the model's verdict ``expect`` (None: accepted)."""
        before = self.wallets[member]
        if expect is None:
            assert out.ok, out
            self.done.append((member, cmd, out.events))
            self.logged[member][cmd.id] = self.now
            for ev in out.events:
                if isinstance(ev, CouponUsed):
                    self.uses[ev.coupon_id] = self.uses.get(ev.coupon_id, 0) + 1
            self.wallets[member] = out.state
        else:
            assert not out.ok, out
            assert out.reason.code == expect, (out.reason, expect)
            assert not out.events
            assert out.state is before

    def _refused(self, member: str, cmd: Any, out: Any) -> None:
        """A refusal returns the very same wallet, and a retry is decided afresh."""
        if not out.ok:
            wallet = self.wallets[member]
            assert out.state is wallet
            assert not wallet.handle(cmd, now=self.now).ok

    # -- claims ---------------------------------------------------------------------

    def _claim_verdict(self, member: str, t: AmountOffCoupon) -> str | None:
        mine = sum(1 for m in self.model.values() if m.member == member and m.template == t.id)
        if t.per_member_limit is not None and mine >= t.per_member_limit:
            return "coupon.member_limit_reached"
        if t.validity.window_for(self.now).is_before(self.now):
            return "coupon.claim_closed"
        if t.total_quota is not None and self.claims.get(t.id, 0) >= t.total_quota:
            return "coupon.quota_exhausted"
        return None

    @rule(member=st.sampled_from(MEMBERS), t=st.sampled_from(TEMPLATES), direct=st.booleans())
    def claim(self, member: str, t: AmountOffCoupon, direct: bool) -> None:
        cid = self._next("c")
        cmd = ClaimCoupon(self._next("k"), cid, t)
        expect = self._claim_verdict(member, t)
        if direct and t.total_quota is None:
            out: Any = self.wallets[member].handle(cmd, now=self.now)
            self._refused(member, cmd, out)
        else:
            out = claim_coupon(self.quota, self.wallets[member], cmd, now=self.now)
            if not out.ok:
                assert out.state.wallet is self.wallets[member]
                assert out.state.quota is self.quota
            self.quota = out.state.quota
            out = attrs.evolve(out, state=out.state.wallet)
        self._apply(member, cmd, out, expect)
        if expect is None:
            self.claims[t.id] = self.claims.get(t.id, 0) + 1
            w = t.validity.window_for(self.now)
            assert w.end is not None
            self.model[cid] = Model(member, t.id, A, None, w.start, w.end)

    # -- moves on one coupon --------------------------------------------------------

    def _pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.model)))

    def _validity(self, m: Model) -> str | None:
        if self.now < m.start:
            return "coupon.not_started"
        if self.now >= m.end:
            return "coupon.wallet_expired"
        return None

    def _lock_verdict(self, m: Model, as_owner: bool) -> str | None:
        if not as_owner:
            return "coupon.not_in_wallet"
        return {U: "coupon.already_used", E: "coupon.wallet_expired",
                L: "coupon.locked"}.get(m.status) or self._validity(m)

    def _unlock_verdict(self, m: Model, order: str) -> str | None:
        if m.status is L and m.order == order:
            return None
        return {U: "coupon.already_used", E: "coupon.wallet_expired"}.get(
            m.status, "coupon.not_locked_by_order")

    def _use_verdict(self, m: Model, order: str) -> str | None:
        if m.status is L:
            return None if m.order == order else "coupon.locked"
        return {U: "coupon.already_used", E: "coupon.wallet_expired"}.get(
            m.status) or self._validity(m)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS), as_other=st.booleans())
    def lock(self, data: st.DataObject, order: str, as_other: bool) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        member = next(x for x in MEMBERS if x != m.member) if as_other else m.member
        cmd = LockCoupon(self._next("k"), cid, order)
        out = self.wallets[member].handle(cmd, now=self.now)
        self._refused(member, cmd, out)
        self._apply(member, cmd, out, self._lock_verdict(m, not as_other))
        if out.ok:
            m.status, m.order = L, order

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS))
    def unlock(self, data: st.DataObject, order: str) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        cmd = UnlockCoupon(self._next("k"), cid, order)
        out = self.wallets[m.member].handle(cmd, now=self.now)
        self._refused(m.member, cmd, out)
        self._apply(m.member, cmd, out, self._unlock_verdict(m, order))
        if out.ok:
            m.status, m.order = A, None

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS))
    def use(self, data: st.DataObject, order: str) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        cmd = UseCoupon(self._next("k"), cid, order)
        out = self.wallets[m.member].handle(cmd, now=self.now)
        self._refused(m.member, cmd, out)
        self._apply(m.member, cmd, out, self._use_verdict(m, order))
        if out.ok:
            m.status, m.order = U, order

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS))
    def refund(self, data: st.DataObject, order: str) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        cmd = ReturnCoupon(self._next("k"), cid, order)
        out = self.wallets[m.member].handle(cmd, now=self.now)
        ok = m.status is U and m.order == order
        self._refused(m.member, cmd, out)
        self._apply(m.member, cmd, out, None if ok else "coupon.not_used_by_order")
        if out.ok:
            self.returns[cid] = self.returns.get(cid, 0) + 1
            m.status, m.order = (A, None) if self.now < m.end else (E, order)
            assert out.events == (CouponReturned(m.member, cid, order, m.status),)

    # -- wallet-wide commands -------------------------------------------------------

    @rule(member=st.sampled_from(MEMBERS))
    def expire(self, member: str) -> None:
        cmd = ExpireCoupons(self._next("k"))
        out = self.wallets[member].handle(cmd, now=self.now)
        ended = sorted(
            cid for cid, m in self.model.items()
            if m.member == member and m.status is A and self.now >= m.end
        )
        assert out.events == tuple(CouponExpired(member, cid) for cid in ended)
        self._apply(member, cmd, out, None)
        for cid in ended:
            self.model[cid].status = E

    @rule(member=st.sampled_from(MEMBERS), days=st.sampled_from([None, 0, 1]))
    def prune(self, member: str, days: int | None) -> None:
        cmd = PruneLog(self._next("p"), retention_days=days)
        out = self.wallets[member].handle(cmd, now=self.now)
        before = self.now.subtract(days=30 if days is None else days)
        gone = {cid for cid, at in self.logged[member].items() if at < before}
        assert out.events == (LogPruned(before, len(gone)),)
        assert len(out.state.log) == len(self.logged[member]) - len(gone) + 1
        for cid in gone:
            del self.logged[member][cid]
        self.done = [d for d in self.done if not (d[0] == member and d[1].id in gone)]
        self._apply(member, cmd, out, None)

    @rule(hours=st.integers(1, 30))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule()
    def save_and_reload(self) -> None:
        for member, wallet in self.wallets.items():
            stored = reload(wallet)
            assert stored == wallet
            self.wallets[member] = stored
        stored_quota = reload(self.quota)
        assert stored_quota == self.quota
        self.quota = stored_quota

    # -- replays and conflicts ------------------------------------------------------

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        member, cmd, events = data.draw(st.sampled_from(self.done))
        before = self.wallets[member]
        if isinstance(cmd, ClaimCoupon):
            out = claim_coupon(self.quota, before, cmd, now=self.now)
            assert out.ok
            assert out.events == events
            assert out.state.quota is self.quota
            assert out.state.wallet is before
        out2 = before.handle(cmd, now=self.now)
        assert out2.ok
        assert out2.events == events
        assert out2.state is before

    @precondition(lambda self: any(not isinstance(d[1], ExpireCoupons) for d in self.done))
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        member, cmd, _ = data.draw(st.sampled_from(
            [d for d in self.done if not isinstance(d[1], ExpireCoupons)]))
        if isinstance(cmd, ClaimCoupon):
            other: Any = attrs.evolve(cmd, coupon_id=cmd.coupon_id + "x")
        elif isinstance(cmd, PruneLog):
            other = attrs.evolve(cmd, retention_days=7)
        else:
            other = attrs.evolve(cmd, order_id=cmd.order_id + "x")
        with pytest.raises(IdConflictError):
            self.wallets[member].handle(other, now=self.now)

    # -- invariants -----------------------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        for cid, m in self.model.items():
            assert self.wallets[m.member].status_of(cid) is m.status
            other = next(x for x in MEMBERS if x != m.member)
            assert self.wallets[other].status_of(cid) is None

    @invariant()
    def never_lost(self) -> None:
        held = [cid for w in self.wallets.values() for cid, _ in w.entries.items()]
        assert sorted(held) == sorted(self.model)
        for w in self.wallets.values():
            for status in CouponStatus:
                assert all(w.status_of(c.id) is status for c in w.coupons(status))
            assert sum(len(w.coupons(s)) for s in CouponStatus) == len(w.entries)

    @invariant()
    def log_holds_what_was_accepted(self) -> None:
        for member, wallet in self.wallets.items():
            assert len(wallet.log) == len(self.logged[member])
            assert all(cid in wallet.log for cid in self.logged[member])

    @invariant()
    def never_used_twice(self) -> None:
        for cid, n in self.uses.items():
            assert n <= 1 + self.returns.get(cid, 0)

    @invariant()
    def quota_never_exceeded(self) -> None:
        for t in TEMPLATES:
            if t.total_quota is not None:
                assert self.quota.issued_of(t.id) == self.claims.get(t.id, 0) <= t.total_quota


WalletMachine.TestCase.settings = settings(stateful_step_count=40)
test_wallet_machine = WalletMachine.TestCase
