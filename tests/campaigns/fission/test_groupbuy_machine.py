"""Groups under random joins, payments, leaves, timeouts and deadlines, against a model.

A `RuleBasedStateMachine` drives one campaign with commands in random order
and at random times. A plain model (mutable dicts, the operator's rules
written out once more) predicts every outcome: accepted, or refused with
which reason. After every step the campaign must agree with the model on
each group's status and seats, the stock held and every member's usage; and
from the events alone: a failed or cancelled group refunded every paid
member exactly once; a succeeded group has its size (or the auto-fill
rule's, or a ladder tier) of paid members. Rules also replay accepted
commands (same events, nothing changes) and save and reload the campaign
through the codec. The policy may count the time limit from the leader's
payment and let a leaving leader hand over to the earliest paid member.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.campaigns.groupbuy import (
    GROUPBUY_REASONS,
    AutoFill,
    DeadlineFrom,
    GroupBuyCampaign,
    GroupBuyPolicy,
    GroupCancelled,
    GroupFailed,
    GroupMemberJoined,
    GroupStatus,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    LadderTier,
    LeaderChanged,
    LeaveGroup,
    MemberUsage,
    OpenGroup,
    PaySeat,
    RefundDue,
    RefundKind,
    SeatPaid,
    SeatReleased,
)
from sirui.core.windows import DateTime

from ._helpers import END, T0, member, yuan

MEMBERS = [f"m{i}" for i in range(6)]
STEP = st.integers(0, 2) | st.integers(3, 30)


# -- the model ------------------------------------------------------------------------


@dataclass
class MSeat:
    join_id: str
    member: str
    qty: int
    leader: bool
    pay_by: DateTime
    paid: bool = False
    paid_at: DateTime | None = None


@dataclass
class MGroup:
    id: str
    leader: str
    deadline: DateTime
    seats: list[MSeat]
    status: str = "open"
    filled: int = 0
    joins: set[str] = field(default_factory=set)


class Model:
    """The campaign as plain mutable data; `expect` predicts, `commit` applies."""

    def __init__(self, p: GroupBuyPolicy) -> None:
        self.p = p
        self.groups: dict[str, MGroup] = {}
        self.held = 0
        self.usage: dict[str, list[int]] = {}
        self._pending: tuple[MGroup, int, dict[str, list[int]]] | None = None

    # the ledger of a working copy
    def _take(self, ledger: dict[str, list[int]], s: MSeat, sign: int) -> int:
        u = ledger.setdefault(s.member, [0, 0, 0])
        u[0 if s.leader else 1] += sign
        u[2] += sign * s.qty
        return sign * s.qty

    def _settle(self, g: MGroup, now: DateTime, ledger: dict[str, list[int]]) -> tuple[int, bool]:
        """Let the clock act on ``g`` (a copy); (held delta, changed)."""
        if g.status != "open":
            return 0, False
        p, delta = self.p, 0
        at_deadline = now >= g.deadline
        expired = [s for s in g.seats if not s.paid and (at_deadline or s.pay_by <= now)]
        for s in expired:
            g.seats.remove(s)
            delta += self._take(ledger, s, -1)
        if any(s.leader for s in expired):
            g.status = "cancelled"
            return delta, True
        paid = sum(s.paid for s in g.seats)
        fill = p.auto_fill
        if at_deadline:
            if p.ladder and paid >= p.group_size:
                g.status = "succeeded"
            elif fill is not None and paid >= fill.min_real_members:
                g.status, g.filled = "succeeded", p.group_size - paid
            else:
                g.status = "failed"
                for s in g.seats:
                    if s.paid:
                        delta += self._take(ledger, s, -1)
            return delta, True
        if (fill is not None and now >= g.deadline.subtract(minutes=fill.minutes_before_deadline)
                and paid == len(g.seats) and fill.min_real_members <= paid < p.group_size):
            g.status, g.filled = "succeeded", p.group_size - paid
            return delta, True
        return delta, bool(expired)

    @staticmethod
    def _closed(g: MGroup) -> str | None:
        if g.status == "failed":
            return "groupbuy.expired"
        return None if g.status == "open" else "groupbuy.closed"

    def _limits(self, ledger: dict[str, list[int]], held: int, mid: str, qty: int,
                leader: bool) -> str | None:
        p = self.p
        u = ledger.get(mid, [0, 0, 0])
        limit = p.max_groups_opened_per_member if leader else p.max_groups_joined_per_member
        if limit is not None and u[0 if leader else 1] + 1 > limit:
            return "groupbuy.limit_reached"
        if p.max_quantity_per_member is not None and u[2] + qty > p.max_quantity_per_member:
            return "groupbuy.limit_reached"
        if p.stock is not None and qty > p.stock - held:
            return "groupbuy.sold_out"
        return None

    def expect(self, cmd: Any, now: DateTime) -> str:
        """The predicted outcome: ``"ok"`` or the reason code; stages the change."""
        self._pending = None
        ledger = copy.deepcopy(self.usage)
        if isinstance(cmd, OpenGroup):
            return self._open(cmd, now, ledger)
        g = copy.deepcopy(self.groups[cmd.group_id])
        closed = self._closed(g)
        if closed is not None:
            return closed                      # the table: a closed group takes nothing
        delta, changed = self._settle(g, now, ledger)
        held = self.held + delta
        if isinstance(cmd, GroupTick):
            code = "ok" if changed else "groupbuy.nothing_due"
        elif isinstance(cmd, JoinGroup):
            code = self._join(g, cmd, now, ledger, held)
            held += cmd.quantity if code == "ok" else 0
        elif isinstance(cmd, PaySeat):
            code = self._pay(g, cmd, now)
        else:
            code, gone = self._leave(g, cmd, ledger)
            held += gone
        if code == "ok":
            self._pending = (g, held, ledger)
        return code

    def _open(self, cmd: OpenGroup, now: DateTime, ledger: dict[str, list[int]]) -> str:
        p = self.p
        if now < p.starts_at:
            return "groupbuy.not_started"
        if now >= p.ends_at:
            return "groupbuy.ended"
        refused = self._limits(ledger, self.held, cmd.member.id, cmd.quantity, True)
        if refused is not None:
            return refused
        deadline = min(now.add(minutes=p.time_limit_minutes), p.ends_at)
        seat = MSeat(cmd.id, cmd.member.id, cmd.quantity, True,
                     min(now.add(minutes=p.payment_timeout_minutes), deadline))
        self._take(ledger, seat, 1)
        g = MGroup(cmd.group_id, cmd.member.id, deadline, [seat], joins={cmd.id})
        self._pending = (g, self.held + cmd.quantity, ledger)
        return "ok"

    def _join(self, g: MGroup, cmd: JoinGroup, now: DateTime, ledger: dict[str, list[int]],
              held: int) -> str:
        p = self.p
        closed = self._closed(g)
        if closed is not None:
            return closed
        if now >= p.ends_at:
            return "groupbuy.ended"
        if not any(s.member == g.leader and s.paid for s in g.seats):
            return "groupbuy.leader_unpaid"
        if any(s.member == cmd.member.id for s in g.seats):
            return "groupbuy.already_joined"
        if len(g.seats) >= p.capacity:
            return "groupbuy.full"
        refused = self._limits(ledger, held, cmd.member.id, cmd.quantity, False)
        if refused is not None:
            return refused
        seat = MSeat(cmd.id, cmd.member.id, cmd.quantity, False,
                     min(now.add(minutes=p.payment_timeout_minutes), g.deadline))
        g.seats.append(seat)
        g.joins.add(cmd.id)
        self._take(ledger, seat, 1)
        return "ok"

    def _pay(self, g: MGroup, cmd: PaySeat, now: DateTime) -> str:
        seat = next((s for s in g.seats if s.join_id == cmd.join_id), None)
        if seat is None:
            assert cmd.join_id in g.joins
            return self._closed(g) or "groupbuy.payment_expired"
        if seat.paid:
            return "groupbuy.already_paid"
        closed = self._closed(g)
        if closed is not None:
            return closed
        seat.paid, seat.paid_at = True, now
        if seat.leader and self.p.deadline_from is DeadlineFrom.LEADER_PAYMENT:
            g.deadline = min(now.add(minutes=self.p.time_limit_minutes), self.p.ends_at)
        if sum(s.paid for s in g.seats) == self.p.capacity:
            g.status = "succeeded"
        return "ok"

    def _leave(self, g: MGroup, cmd: LeaveGroup, ledger: dict[str, list[int]]) -> tuple[str, int]:
        closed = self._closed(g)
        if closed is not None:
            return closed, 0
        seat = next((s for s in g.seats if s.member == cmd.member_id), None)
        if seat is None:
            return "groupbuy.not_in_group", 0
        leads = seat.member == g.leader
        heirs = sorted(((s.paid_at, i, s.member) for i, s in enumerate(g.seats)
                        if s.paid_at is not None and s is not seat))
        if leads and len(g.seats) > 1 and not (self.p.leader_handover and heirs):
            return "groupbuy.leader_cannot_leave", 0
        if seat.paid and not leads:
            return "groupbuy.already_paid", 0
        if leads and len(g.seats) == 1:
            g.status = "cancelled"
        else:
            g.seats.remove(seat)
            if leads:
                g.leader = heirs[0][2]
        return "ok", self._take(ledger, seat, -1)

    def commit(self) -> None:
        assert self._pending is not None
        g, self.held, self.usage = self._pending
        self.groups[g.id] = g


# -- the machine ----------------------------------------------------------------------


class GroupBuyMachine(RuleBasedStateMachine):
    state: GroupBuyCampaign

    @initialize(
        size=st.integers(2, 3),
        ladder=st.booleans(),
        fill=st.booleans(),
        stock=st.none() | st.integers(3, 12),
        joined_limit=st.none() | st.integers(1, 2),
        quantity_limit=st.none() | st.integers(2, 4),
        from_payment=st.booleans(),
        handover=st.booleans(),
    )
    def setup(self, size: int, ladder: bool, fill: bool, stock: int | None,
              joined_limit: int | None, quantity_limit: int | None, from_payment: bool,
              handover: bool) -> None:
        self.policy = GroupBuyPolicy(
            "gb", "milk", yuan("99"), yuan("59"), size, T0, END,
            time_limit_minutes=240, payment_timeout_minutes=15, stock=stock,
            max_groups_joined_per_member=joined_limit, max_quantity_per_member=quantity_limit,
            ladder=(LadderTier(size + 2, yuan("49")),) if ladder else (),
            auto_fill=AutoFill(30, 1) if fill else None,
            deadline_from=DeadlineFrom.LEADER_PAYMENT if from_payment else DeadlineFrom.OPENING,
            leader_handover=handover,
        )
        self.state = GroupBuyCampaign.start(self.policy)
        self.model = Model(self.policy)
        self.minute = 0
        self.n = 0
        self.codes: Counter[str] = Counter()
        self.history: list[tuple[Any, Any]] = []          # (command, accepted outcome)
        self.refunds: Counter[tuple[str, RefundKind]] = Counter()
        self.paid: set[str] = set()
        self.seats: dict[str, set[str]] = {}             # group -> held join ids, from events
        self.endings: Counter[str] = Counter()           # group -> closing events seen
        self.handovers: Counter[str] = Counter()         # group -> LeaderChanged seen

    def _run(self, cmd: Any, step: int) -> Any:
        self.minute += step
        now = T0.add(minutes=self.minute)
        expected = self.model.expect(cmd, now)
        out = self.state.handle(cmd, now=now)
        code = "ok" if out.ok else out.reason.code
        assert code == expected, (cmd, code, expected)
        self.codes[code] += 1
        if not out.ok:
            assert out.reason.code in GROUPBUY_REASONS
            assert out.state is self.state and out.events == ()
            return out
        self.model.commit()
        for ev in out.events:
            self._book(ev)
        self.state = out.state
        self.history.append((cmd, out))
        return out

    def _book(self, ev: Any) -> None:
        if isinstance(ev, RefundDue) and ev.kind is not RefundKind.PRICE_DIFFERENCE:
            self.refunds[(ev.join_id, ev.kind)] += 1
        if isinstance(ev, RefundDue) and ev.kind is RefundKind.LEADER_LEFT:
            # The leader handed over: the paid seat left the group.
            self.seats[ev.group_id].remove(ev.join_id)
            self.paid.remove(ev.join_id)
        if isinstance(ev, LeaderChanged):
            self.handovers[ev.group_id] += 1
        if isinstance(ev, GroupMemberJoined):
            self.seats.setdefault(ev.group_id, set()).add(ev.join_id)
        if isinstance(ev, SeatReleased):
            self.seats[ev.group_id].remove(ev.join_id)
        if isinstance(ev, GroupSucceeded | GroupFailed | GroupCancelled):
            self.endings[ev.group_id] += 1
        if isinstance(ev, SeatPaid):
            assert ev.join_id not in self.paid
            self.paid.add(ev.join_id)

    def _id(self) -> str:
        self.n += 1
        return f"c{self.n}"

    def _open_groups(self) -> list[str]:
        return sorted(gid for gid, g in self.model.groups.items() if g.status == "open")

    @precondition(lambda self: len(self._open_groups()) < 2)
    @rule(mid=st.sampled_from(MEMBERS), qty=st.integers(1, 2), step=STEP, pay=st.booleans(),
          pay_after=st.sampled_from([0, 0, 1, 7, 14]))
    def open(self, mid: str, qty: int, step: int, pay: bool, pay_after: int) -> None:
        gid = f"g{self.n}"
        cmd = OpenGroup(self._id(), gid, member(mid), qty)
        if self._run(cmd, step).ok and pay:
            self._run(PaySeat(self._id(), gid, cmd.id), pay_after)

    @precondition(lambda self: bool(self.model.groups))
    @rule(data=st.data(), mid=st.sampled_from(MEMBERS), qty=st.integers(1, 2), step=STEP,
          pay=st.booleans())
    def join(self, data: st.DataObject, mid: str, qty: int, step: int, pay: bool) -> None:
        gid = data.draw(st.sampled_from(self._open_groups() or sorted(self.model.groups)))
        cmd = JoinGroup(self._id(), gid, member(mid), qty)
        if self._run(cmd, step).ok and pay:
            self._run(PaySeat(self._id(), gid, cmd.id), 0)

    @precondition(lambda self: bool(self._open_groups()))
    @rule(data=st.data(), a=st.sampled_from(MEMBERS), b=st.sampled_from(MEMBERS))
    def two_joins_together(self, data: st.DataObject, a: str, b: str) -> None:
        """The last two joins arrive in the same instant: at most one seat may remain."""
        gid = data.draw(st.sampled_from(self._open_groups()))
        for mid in (a, b):
            self._run(JoinGroup(self._id(), gid, member(mid)), 0)

    @precondition(lambda self: bool(self.model.groups))
    @rule(data=st.data(), step=STEP, held=st.booleans())
    def pay(self, data: st.DataObject, step: int, held: bool) -> None:
        unpaid = [(g.id, s.join_id) for g in self.model.groups.values() if g.status == "open"
                  for s in g.seats if not s.paid]
        every = [(g.id, j) for g in self.model.groups.values() for j in sorted(g.joins)]
        gid, join_id = data.draw(st.sampled_from(unpaid if held and unpaid else every))
        self._run(PaySeat(self._id(), gid, join_id), step)

    @precondition(lambda self: bool(self.model.groups))
    @rule(data=st.data(), mid=st.sampled_from(MEMBERS), step=STEP)
    def leave(self, data: st.DataObject, mid: str, step: int) -> None:
        gid = data.draw(st.sampled_from(self._open_groups() or sorted(self.model.groups)))
        self._run(LeaveGroup(self._id(), gid, mid), step)

    @precondition(lambda self: bool(self._open_groups()))
    @rule(data=st.data(), step=STEP)
    def leader_leaves(self, data: st.DataObject, step: int) -> None:
        """The leader of an open group leaves (handing over, or refused, or cancelling)."""
        gid = data.draw(st.sampled_from(self._open_groups()))
        self._run(LeaveGroup(self._id(), gid, self.model.groups[gid].leader), step)

    @precondition(lambda self: bool(self.model.groups))
    @rule(step=st.integers(0, 10) | st.integers(10, 240), data=st.data())
    def tick(self, step: int, data: st.DataObject) -> None:
        """The host's delay queue fires for one group (often an open one)."""
        gid = data.draw(st.sampled_from(self._open_groups() or sorted(self.model.groups)))
        self._run(GroupTick(self._id(), gid), step)

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, out = data.draw(st.sampled_from(self.history))
        again = self.state.handle(cmd, now=T0.add(minutes=self.minute))
        assert again.ok
        assert again.events == out.events
        assert again.state is self.state

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.state)
        assert stored == self.state
        self.state = stored

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def the_campaign_is_the_model(self) -> None:
        m = self.model
        assert len(self.state.groups) == len(m.groups)
        for gid, mg in m.groups.items():
            g = self.state.group(gid)
            assert g.status.value == mg.status
            assert (g.leader, g.deadline) == (mg.leader, mg.deadline)
            assert [(s.join_id, s.paid) for s in g.seats if g.status is not GroupStatus.CANCELLED
                    ] == [(s.join_id, s.paid) for s in mg.seats if mg.status != "cancelled"]
            assert g.filled == mg.filled
        assert self.state.held == m.held
        for mid in MEMBERS:
            assert self.state.usage_of(mid) == MemberUsage(mid, *m.usage.get(mid, [0, 0, 0]))

    @invariant()
    def never_more_members_than_the_size_nor_stock_below_zero(self) -> None:
        for _, g in self.state.groups.items():
            assert len(g.seats) <= self.policy.capacity
        left = self.state.stock_left
        assert left is None or left >= 0

    @invariant()
    def seats_match_the_join_and_release_events(self) -> None:
        for gid, g in self.state.groups.items():
            if g.status is not GroupStatus.CANCELLED:
                assert {s.join_id for s in g.seats} == self.seats[gid]
            assert self.endings[gid] == (0 if g.is_open else 1)
        on_seats = {s.join_id for _, g in self.state.groups.items() for s in g.seats if s.paid}
        assert on_seats == self.paid

    @invariant()
    def closed_groups_refunded_every_paid_member_exactly_once(self) -> None:
        for _, g in self.state.groups.items():
            for s in g.seats:
                failed = self.refunds[(s.join_id, RefundKind.GROUP_FAILED)]
                cancelled = self.refunds[(s.join_id, RefundKind.GROUP_CANCELLED)]
                expect_failed = int(g.status is GroupStatus.FAILED and s.paid)
                expect_cancelled = int(g.status is GroupStatus.CANCELLED and s.paid)
                assert (failed, cancelled) == (expect_failed, expect_cancelled)

    @invariant()
    def a_leader_hands_over_only_when_allowed_and_is_refunded_once(self) -> None:
        if not self.policy.leader_handover:
            assert not self.handovers
        for (_, kind), n in self.refunds.items():
            assert n == 1 or kind is not RefundKind.LEADER_LEFT

    @invariant()
    def succeeded_groups_have_their_size(self) -> None:
        p = self.policy
        for _, g in self.state.groups.items():
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


GroupBuyMachine.TestCase.settings = settings(stateful_step_count=50)
TestGroupBuyMachine = GroupBuyMachine.TestCase


def test_the_model_sees_joins_accepted_and_refused_as_full() -> None:
    """A machine refusing every join (or accepting every one) cannot pass the model."""
    p = GroupBuyPolicy("gb", "milk", yuan("99"), yuan("59"), 2, T0, END)
    model, state = Model(p), GroupBuyCampaign.start(p)
    for cmd in (OpenGroup("o", "g", member("a")), PaySeat("p", "g", "o"),
                JoinGroup("j1", "g", member("b")), JoinGroup("j2", "g", member("c"))):
        expected = model.expect(cmd, T0)
        out = state.handle(cmd, now=T0)
        assert ("ok" if out.ok else out.reason.code) == expected
        if out.ok:
            model.commit()
            state = out.state
    assert expected == "groupbuy.full"
