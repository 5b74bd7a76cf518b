"""The wallet against a model: never used twice, never lost, quota never exceeded.

A `RuleBasedStateMachine` drives two members' wallets and a shared quota
with random claims, locks, unlocks, uses, returns, expiry sweeps, clock
advances and replays of earlier commands, and checks every outcome against
a plain-dict model of the rules.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from promotions._shop import NOW, y
from sirui.core.windows import DaysAfterClaim
from sirui.promotions import (
    AmountOffCoupon,
    ClaimCoupon,
    CouponQuota,
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

MEMBERS = ("m1", "m2")
ORDERS = ("o1", "o2", "o3")
TEMPLATES = (
    AmountOffCoupon("t-limit", validity=DaysAfterClaim(3), off=y(10), threshold=y(100),
                    per_member_limit=3),
    AmountOffCoupon("t-quota", validity=DaysAfterClaim(1), off=y(20), threshold=y(200),
                    total_quota=4),
)
A, L, U, E = (CouponStatus.AVAILABLE, CouponStatus.LOCKED, CouponStatus.USED,
              CouponStatus.EXPIRED)


class WalletMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.quota = CouponQuota()
        self.wallets = {m: Wallet(m) for m in MEMBERS}
        # model: coupon id -> [member, template, status, order, valid_end]
        self.model: dict[str, list[Any]] = {}
        self.claims: dict[str, int] = {}
        self.done: list[tuple[str, Any, tuple[Any, ...]]] = []
        self.uses: dict[str, int] = {}
        self.returns: dict[str, int] = {}
        self.n = 0

    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _valid(self, cid: str) -> bool:
        return self.now < self.model[cid][4]

    def _record(self, member: str, cmd: Any, out: Any) -> None:
        if out.ok:
            self.done.append((member, cmd, out.events))
            for ev in out.events:
                if isinstance(ev, CouponUsed):
                    self.uses[ev.coupon_id] = self.uses.get(ev.coupon_id, 0) + 1

    @rule(member=st.sampled_from(MEMBERS), t=st.sampled_from(TEMPLATES))
    def claim(self, member: str, t: AmountOffCoupon) -> None:
        cid = self._next("c")
        cmd = ClaimCoupon(self._next("k"), cid, t)
        out = claim_coupon(self.quota, self.wallets[member], cmd, now=self.now)
        mine = sum(1 for v in self.model.values() if v[0] == member and v[1] == t.id)
        expect = (t.per_member_limit is None or mine < t.per_member_limit) and (
            t.total_quota is None or self.claims.get(t.id, 0) < t.total_quota
        )
        assert out.ok == expect, out
        self.quota, self.wallets[member] = out.state.quota, out.state.wallet
        if out.ok:
            self.claims[t.id] = self.claims.get(t.id, 0) + 1
            end = t.validity.window_for(self.now).end
            self.model[cid] = [member, t.id, A, None, end]
        self._record(member, cmd, out)

    def _pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.model)))

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS), as_other=st.booleans())
    def lock(self, data: st.DataObject, order: str, as_other: bool) -> None:
        cid = self._pick(data)
        owner = self.model[cid][0]
        member = next(m for m in MEMBERS if m != owner) if as_other else owner
        cmd = LockCoupon(self._next("k"), cid, order)
        out = self.wallets[member].handle(cmd, now=self.now)
        m = self.model[cid]
        expect = member == owner and m[2] is A and self._valid(cid)
        assert out.ok == expect, (out, m)
        if as_other and member != owner:
            assert out.reason.code == "coupon.not_in_wallet"
        if out.ok:
            m[2], m[3] = L, order
        self.wallets[member] = out.state
        self._record(member, cmd, out)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS))
    def unlock(self, data: st.DataObject, order: str) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        cmd = UnlockCoupon(self._next("k"), cid, order)
        out = self.wallets[m[0]].handle(cmd, now=self.now)
        assert out.ok == (m[2] is L and m[3] == order), (out, m)
        if out.ok:
            m[2], m[3] = A, None
        self.wallets[m[0]] = out.state
        self._record(m[0], cmd, out)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS))
    def use(self, data: st.DataObject, order: str) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        cmd = UseCoupon(self._next("k"), cid, order)
        out = self.wallets[m[0]].handle(cmd, now=self.now)
        expect = (m[2] is L and m[3] == order) or (m[2] is A and self._valid(cid))
        assert out.ok == expect, (out, m)
        if out.ok:
            m[2], m[3] = U, order
        self.wallets[m[0]] = out.state
        self._record(m[0], cmd, out)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), order=st.sampled_from(ORDERS))
    def refund(self, data: st.DataObject, order: str) -> None:
        cid = self._pick(data)
        m = self.model[cid]
        cmd = ReturnCoupon(self._next("k"), cid, order)
        out = self.wallets[m[0]].handle(cmd, now=self.now)
        assert out.ok == (m[2] is U and m[3] == order), (out, m)
        if out.ok:
            self.returns[cid] = self.returns.get(cid, 0) + 1
            m[2], m[3] = (A, None) if self._valid(cid) else (E, order)
        self.wallets[m[0]] = out.state
        self._record(m[0], cmd, out)

    @rule(member=st.sampled_from(MEMBERS))
    def expire(self, member: str) -> None:
        out = self.wallets[member].handle(ExpireCoupons(self._next("k")), now=self.now)
        assert out.ok
        for v in self.model.values():
            if v[0] == member and v[2] is A and self.now >= v[4]:
                v[2] = E
        self.wallets[member] = out.state

    @rule(hours=st.integers(1, 30))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        member, cmd, events = data.draw(st.sampled_from(self.done))
        before = self.wallets[member]
        if isinstance(cmd, ClaimCoupon):
            out = claim_coupon(self.quota, before, cmd, now=self.now)
            assert out.ok
            assert out.events == events
            assert out.state.quota == self.quota
            assert out.state.wallet is before
        else:
            out2 = before.handle(cmd, now=self.now)
            assert out2.ok
            assert out2.events == events
            assert out2.state is before

    @invariant()
    def matches_the_model(self) -> None:
        for cid, (member, _t, status, _order, _end) in self.model.items():
            assert self.wallets[member].status_of(cid) is status
            other = next(m for m in MEMBERS if m != member)
            assert self.wallets[other].status_of(cid) is None

    @invariant()
    def never_lost(self) -> None:
        held = [cid for w in self.wallets.values() for cid in w.entries]
        assert sorted(held) == sorted(self.model)
        for w in self.wallets.values():
            for status in CouponStatus:
                assert all(w.status_of(c.id) is status for c in w.coupons(status))
            assert sum(len(w.coupons(s)) for s in CouponStatus) == len(w.entries)

    @invariant()
    def never_used_twice(self) -> None:
        for cid, n in self.uses.items():
            assert n <= 1 + self.returns.get(cid, 0)

    @invariant()
    def quota_never_exceeded(self) -> None:
        for t in TEMPLATES:
            if t.total_quota is not None:
                assert self.quota.issued_of(t.id) == self.claims.get(t.id, 0) <= t.total_quota


WalletMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40)
test_wallet_machine = WalletMachine.TestCase
