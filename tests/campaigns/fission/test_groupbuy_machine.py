"""Groups under random joins, payments, leaves, timeouts and deadlines.

A `RuleBasedStateMachine` drives one campaign with commands in random order
and at random times, and checks after every step, against a model built
from the events alone: no group over its capacity; the ledger (stock held,
per-member usage) equals what the live seats say; a failed or cancelled
group refunded every paid member exactly once; a succeeded group has its
size (or the auto-fill rule's, or a ladder tier) of paid members; stock
never negative; replays give the same events.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sirui.campaigns.groupbuy import (
    GROUPBUY_REASONS,
    AutoFill,
    GroupBuyCampaign,
    GroupBuyPolicy,
    GroupCancelled,
    GroupFailed,
    GroupStatus,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    LadderTier,
    LeaveGroup,
    MemberJoined,
    MemberUsage,
    OpenGroup,
    PaySeat,
    RefundDue,
    RefundKind,
    SeatPaid,
    SeatReleased,
)

from ._helpers import END, T0, member, yuan

MEMBERS = [f"m{i}" for i in range(6)]
STEP = st.integers(0, 2) | st.integers(3, 30)


class GroupBuyMachine(RuleBasedStateMachine):
    state: GroupBuyCampaign

    @initialize(
        size=st.integers(2, 3),
        ladder=st.booleans(),
        fill=st.booleans(),
        stock=st.none() | st.integers(3, 12),
        joined_limit=st.none() | st.integers(1, 2),
    )
    def setup(self, size: int, ladder: bool, fill: bool, stock: int | None,
              joined_limit: int | None) -> None:
        self.policy = GroupBuyPolicy(
            "gb", "milk", yuan("99"), yuan("59"), size, T0, END,
            time_limit_minutes=240, payment_timeout_minutes=15, stock=stock,
            max_groups_joined_per_member=joined_limit,
            ladder=(LadderTier(size + 2, yuan("49")),) if ladder else (),
            auto_fill=AutoFill(30, 1) if fill else None,
        )
        self.state = GroupBuyCampaign.start(self.policy)
        self.minute = 0
        self.n = 0
        self.joins: list[tuple[str, str]] = []           # (group, join command id)
        self.history: list[tuple[Any, Any, Any]] = []    # (command, now, outcome)
        self.refunds: Counter[tuple[str, RefundKind]] = Counter()
        self.paid: set[str] = set()
        self.seats: dict[str, set[str]] = {}             # group -> held join ids, from events
        self.endings: Counter[str] = Counter()           # group -> closing events seen

    def _run(self, cmd: Any, step: int) -> Any:
        self.minute += step
        now = T0.add(minutes=self.minute)
        out = self.state.handle(cmd, now=now)
        if not out.ok:
            assert out.reason.code in GROUPBUY_REASONS
        for ev in out.events:
            if isinstance(ev, RefundDue) and ev.kind is not RefundKind.PRICE_DIFFERENCE:
                self.refunds[(ev.join_id, ev.kind)] += 1
            if isinstance(ev, MemberJoined):
                self.seats.setdefault(ev.group_id, set()).add(ev.join_id)
            if isinstance(ev, SeatReleased):
                self.seats[ev.group_id].remove(ev.join_id)
            if isinstance(ev, GroupSucceeded | GroupFailed | GroupCancelled):
                self.endings[ev.group_id] += 1
            if isinstance(ev, SeatPaid):
                assert ev.join_id not in self.paid
                self.paid.add(ev.join_id)
        self.state = out.state
        self.history.append((cmd, now, out))
        return out

    def _id(self) -> str:
        self.n += 1
        return f"c{self.n}"

    def _open_groups(self) -> list[str]:
        return [gid for gid, g in self.state.groups.items() if g.is_open]

    @precondition(lambda self: len(self._open_groups()) < 2)
    @rule(mid=st.sampled_from(MEMBERS), qty=st.integers(1, 2), step=STEP, pay=st.booleans())
    def open(self, mid: str, qty: int, step: int, pay: bool) -> None:
        gid = f"g{len(self.state.groups) + len(self.history)}"
        cmd = OpenGroup(self._id(), gid, member(mid), qty)
        if self._run(cmd, step).ok:
            self.joins.append((gid, cmd.id))
            if pay:
                self._run(PaySeat(self._id(), gid, cmd.id), 0)

    @precondition(lambda self: bool(self.state.groups))
    @rule(data=st.data(), mid=st.sampled_from(MEMBERS), qty=st.integers(1, 2), step=STEP,
          pay=st.booleans())
    def join(self, data: st.DataObject, mid: str, qty: int, step: int, pay: bool) -> None:
        gid = data.draw(st.sampled_from(self._open_groups() or sorted(self.state.groups)))
        cmd = JoinGroup(self._id(), gid, member(mid), qty)
        if self._run(cmd, step).ok:
            self.joins.append((gid, cmd.id))
            if pay:
                self._run(PaySeat(self._id(), gid, cmd.id), 0)

    @precondition(lambda self: bool(self._open_groups()))
    @rule(data=st.data(), a=st.sampled_from(MEMBERS), b=st.sampled_from(MEMBERS))
    def two_joins_together(self, data: st.DataObject, a: str, b: str) -> None:
        """The last two joins arrive in the same instant: at most one seat may remain."""
        gid = data.draw(st.sampled_from(self._open_groups()))
        for mid in (a, b):
            cmd = JoinGroup(self._id(), gid, member(mid))
            if self._run(cmd, 0).ok:
                self.joins.append((gid, cmd.id))

    @precondition(lambda self: bool(self.joins))
    @rule(data=st.data(), step=STEP, held=st.booleans())
    def pay(self, data: st.DataObject, step: int, held: bool) -> None:
        unpaid = [(gid, s.join_id) for gid, g in self.state.groups.items() if g.is_open
                  for s in g.seats if not s.paid]
        gid, join_id = data.draw(st.sampled_from(unpaid if held and unpaid else self.joins))
        self._run(PaySeat(self._id(), gid, join_id), step)

    @precondition(lambda self: bool(self.state.groups))
    @rule(data=st.data(), mid=st.sampled_from(MEMBERS), step=STEP)
    def leave(self, data: st.DataObject, mid: str, step: int) -> None:
        gid = data.draw(st.sampled_from(self._open_groups() or sorted(self.state.groups)))
        self._run(LeaveGroup(self._id(), gid, mid), step)

    @rule(step=st.integers(0, 10) | st.integers(10, 240), one=st.booleans())
    def tick(self, step: int, one: bool) -> None:
        target = sorted(self.state.groups)[0] if one and self.state.groups else None
        self._run(GroupTick(target), step)

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, _, out = data.draw(st.sampled_from(self.history))
        if isinstance(cmd, GroupTick) or not out.ok:
            return
        again = self.state.handle(cmd, now=T0.add(minutes=self.minute))
        assert again.ok
        assert again.events == out.events
        assert again.state == self.state

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def never_more_members_than_the_size(self) -> None:
        for g in self.state.groups.values():
            assert len(g.seats) <= self.policy.capacity

    @invariant()
    def stock_and_usage_match_the_live_seats(self) -> None:
        usage: dict[str, list[int]] = {}
        held = 0
        for g in self.state.groups.values():
            if g.status in (GroupStatus.FAILED, GroupStatus.CANCELLED):
                continue
            for s in g.seats:
                u = usage.setdefault(s.member_id, [0, 0, 0])
                u[0 if s.leader else 1] += 1
                u[2] += s.quantity
                held += s.quantity
        assert self.state.held == held
        left = self.state.stock_left
        assert left is None or left >= 0
        for mid in MEMBERS:
            assert self.state.usage_of(mid) == MemberUsage(*usage.get(mid, [0, 0, 0]))
            limit = self.policy.max_groups_joined_per_member
            assert limit is None or self.state.usage_of(mid).joined <= limit

    @invariant()
    def seats_match_the_join_and_release_events(self) -> None:
        for gid, g in self.state.groups.items():
            if g.status is not GroupStatus.CANCELLED:
                assert {s.join_id for s in g.seats} == self.seats[gid]
            assert self.endings[gid] == (0 if g.is_open else 1)

    @invariant()
    def paid_seats_match_the_payment_events(self) -> None:
        on_seats = {s.join_id for g in self.state.groups.values() for s in g.seats if s.paid}
        assert on_seats == self.paid

    @invariant()
    def closed_groups_refunded_every_paid_member_exactly_once(self) -> None:
        for g in self.state.groups.values():
            for s in g.seats:
                failed = self.refunds[(s.join_id, RefundKind.GROUP_FAILED)]
                cancelled = self.refunds[(s.join_id, RefundKind.GROUP_CANCELLED)]
                expect_failed = int(g.status is GroupStatus.FAILED and s.paid)
                expect_cancelled = int(g.status is GroupStatus.CANCELLED and s.paid)
                assert (failed, cancelled) == (expect_failed, expect_cancelled)

    @invariant()
    def succeeded_groups_have_their_size(self) -> None:
        p = self.policy
        for g in self.state.groups.values():
            if g.status is not GroupStatus.SUCCEEDED:
                continue
            paid = g.paid_count
            assert paid == len(g.seats)
            if g.filled:
                assert p.auto_fill is not None
                assert paid >= p.auto_fill.min_real_members
                assert paid + g.filled == p.group_size
            elif p.ladder:
                assert p.group_size <= paid <= p.capacity
            else:
                assert paid == p.group_size
            assert g.final_price == p.tier_price(paid + g.filled)


GroupBuyMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=50,
                                             deadline=None)
TestGroupBuyMachine = GroupBuyMachine.TestCase
