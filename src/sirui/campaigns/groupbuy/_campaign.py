"""The group-buy campaign state: its groups, its stock and each member's usage.

Theory of operation: `GroupBuyCampaign.handle` takes a command and ``now``.
It replays a command id it has seen (same events, no new effect), lets the
clock act on the group concerned (`Group.settle`), then checks the command
against the campaign window, the group's status, the member's eligibility,
the per-member limits and the stock, in that order, and applies it. The
campaign's ledger (units held, per-member counts) is derived from the events
alone, so it cannot drift from the groups: a seat held adds to it, a seat
released or refunded on failure takes back from it.

A rejection may still carry events: the time-driven ones (released seats, a
failed group) that ``now`` produced before the command was refused. Persist
the returned state and events in both cases.

Invariants: stock held never exceeds ``stock``; a member's open-or-succeeded
groups opened, groups joined and units never exceed their limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from sirui.campaigns._replay import replay
from sirui.campaigns.groupbuy._events import (
    GroupOpened,
    GroupTick,
    JoinGroup,
    LeaveGroup,
    MemberJoined,
    OpenGroup,
    PaySeat,
    RefundDue,
    RefundKind,
    SeatReleased,
)
from sirui.campaigns.groupbuy._group import Group, GroupStatus, Seat
from sirui.campaigns.groupbuy._policy import GroupBuyPolicy
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.nouns import Fulfillment
from sirui.core.windows import DateTime, aware
from sirui.rules import Accepted, Facts, Outcome, Reason, Rejected, reason_code

__all__ = [
    "ALREADY_JOINED",
    "ALREADY_PAID",
    "CLOSED",
    "ENDED",
    "EXPIRED",
    "FULL",
    "GROUPBUY_REASONS",
    "LEADER_CANNOT_LEAVE",
    "LEADER_UNPAID",
    "LIMIT_REACHED",
    "NOT_ELIGIBLE",
    "NOT_IN_GROUP",
    "NOT_STARTED",
    "PAYMENT_EXPIRED",
    "PICKUP_ONLY",
    "SOLD_OUT",
    "GroupBuyCampaign",
    "MemberUsage",
]

NOT_STARTED = reason_code("groupbuy.not_started", zh="拼团活动{start}开始",
                          en="The group-buy starts at {start}")
ENDED = reason_code("groupbuy.ended", zh="拼团活动已结束", en="The group-buy has ended")
EXPIRED = reason_code("groupbuy.expired", zh="该团已过期（截止{deadline}）",
                      en="This group expired at {deadline}")
CLOSED = reason_code("groupbuy.closed", zh="该团已{status}", en="This group is {status}")
FULL = reason_code("groupbuy.full", zh="该团已满{size}人", en="This group is full ({size} members)")
LEADER_UNPAID = reason_code("groupbuy.leader_unpaid", zh="团长支付后才能参团",
                            en="Members may join once the leader has paid")
ALREADY_JOINED = reason_code("groupbuy.already_joined", zh="您已在该团中",
                             en="You are already in this group")
PICKUP_ONLY = reason_code("groupbuy.pickup_only", zh="该拼团仅限到店自提",
                          en="This group-buy is store pickup only")
NOT_ELIGIBLE = reason_code("groupbuy.not_eligible", zh="不满足参团条件（{because}）",
                           en="Not eligible ({because})")
LIMIT_REACHED = reason_code("groupbuy.limit_reached", zh="已达每人限{limit}（最多{max}）",
                            en="Per-member limit reached: {limit} (max {max})")
SOLD_OUT = reason_code("groupbuy.sold_out", zh="活动库存不足（剩余{left}件）",
                       en="Not enough campaign stock ({left} left)")
PAYMENT_EXPIRED = reason_code("groupbuy.payment_expired", zh="支付超时，名额已释放",
                              en="Payment timed out; the seat was released")
ALREADY_PAID = reason_code("groupbuy.already_paid", zh="该名额已支付",
                           en="This seat is already paid")
LEADER_CANNOT_LEAVE = reason_code("groupbuy.leader_cannot_leave", zh="已有成员参团，团长不能退出",
                                  en="The leader cannot leave once others have joined")
NOT_IN_GROUP = reason_code("groupbuy.not_in_group", zh="您不在该团中",
                           en="You are not in this group")

#: Every rejection code of the group-buy state machine, by code.
GROUPBUY_REASONS = {r.code: r for r in (
    NOT_STARTED, ENDED, EXPIRED, CLOSED, FULL, LEADER_UNPAID, ALREADY_JOINED, PICKUP_ONLY,
    NOT_ELIGIBLE, LIMIT_REACHED, SOLD_OUT, PAYMENT_EXPIRED, ALREADY_PAID, LEADER_CANNOT_LEAVE,
    NOT_IN_GROUP,
)}

_LIMIT_NAMES = {"opened": "开团次数", "joined": "参团次数", "quantity": "购买件数"}


@attrs.frozen(slots=True)
class MemberUsage:
    """A member's live usage: groups opened and joined, units held (open or succeeded)."""

    opened: int = 0
    joined: int = 0
    quantity: int = 0


_NO_USAGE = MemberUsage()
Command = OpenGroup | JoinGroup | PaySeat | LeaveGroup | GroupTick


@attrs.frozen(slots=True)
class GroupBuyCampaign:
    """The live state of one group-buy campaign (拼团活动): groups, stock, usage.

    Build with `GroupBuyCampaign.start`, then feed commands to `handle`.
    Each command copies the campaign's two maps (groups, usage) once; hosts
    with very large campaigns can keep one campaign value per shard of groups.
    """

    policy: GroupBuyPolicy
    groups: Mapping[str, Group] = attrs.field(factory=dict)
    usage: Mapping[str, MemberUsage] = attrs.field(factory=dict)
    held: int = 0
    """Units held by reserved or paid seats of open and succeeded groups."""

    @classmethod
    def start(cls, policy: GroupBuyPolicy) -> GroupBuyCampaign:
        if not isinstance(policy, GroupBuyPolicy):
            raise invalid("policy", policy, "must be a GroupBuyPolicy")
        return cls(policy)

    @property
    def stock_left(self) -> int | None:
        return None if self.policy.stock is None else self.policy.stock - self.held

    def group(self, group_id: str) -> Group:
        found = self.groups.get(group_id)
        if found is None:
            raise InvalidCommandError(f"group_id={group_id!r}: no such group in campaign "
                                      f"{self.policy.id!r}; open it with OpenGroup first")
        return found

    def usage_of(self, member_id: str) -> MemberUsage:
        return self.usage.get(member_id, _NO_USAGE)

    # -- the one entry point ----------------------------------------------------------

    def handle(self, command: Command, *, now: DateTime) -> Outcome[GroupBuyCampaign]:
        """Apply ``command`` at ``now``; see the module docstring for the order of checks."""
        now = aware(now)
        if isinstance(command, GroupTick):
            return self._tick(command, now)
        if not isinstance(command, OpenGroup | JoinGroup | PaySeat | LeaveGroup):
            raise InvalidCommandError(f"command={command!r}: not a group-buy command")
        existing = self.groups.get(command.group_id)
        if existing is not None:
            entry = existing.logged(command.id)
            if entry is not None:
                replayed = replay(self, command, (entry.command, entry.events))
                if replayed is not None:
                    return replayed
        if isinstance(command, OpenGroup):
            if existing is not None:
                raise InvalidCommandError(f"group_id={command.group_id!r} already exists; "
                                          "open a new group under a new id")
            return self._open(command, now)
        group, pre = self.group(command.group_id).settle(self.policy, now)
        state = self._with(group, pre)
        if isinstance(command, JoinGroup):
            return state._join(group, command, now, pre)
        if isinstance(command, PaySeat):
            return state._pay(group, command, now, pre)
        return state._leave(group, command, now, pre)

    # -- commands ---------------------------------------------------------------------

    def _tick(self, command: GroupTick, now: DateTime) -> Outcome[GroupBuyCampaign]:
        ids = [command.group_id] if command.group_id is not None else list(self.groups)
        changes = []
        for gid in ids:
            group, evs = self.group(gid).settle(self.policy, now)
            if evs:
                changes.append((group, evs))
        if not changes:
            return Accepted(self, ())
        return Accepted(self._with_all(changes), tuple(e for _, evs in changes for e in evs))

    def _window_reason(self, now: DateTime) -> Reason | None:
        p = self.policy
        if now < p.starts_at:
            return NOT_STARTED(start=p.starts_at)
        if now >= p.ends_at:
            return ENDED()
        return None

    def _member_reason(
        self, cmd: OpenGroup | JoinGroup, now: DateTime, leader: bool
    ) -> Reason | None:
        p = self.policy
        if p.pickup_only and cmd.fulfillment is not Fulfillment.PICKUP:
            return PICKUP_ONLY()
        condition = p.open_condition if leader else p.join_condition
        verdict = condition.evaluate(Facts(now, cmd.member, fulfillment=cmd.fulfillment))
        if not verdict.ok:
            return NOT_ELIGIBLE(because=tuple(r.code for r in verdict.reasons))
        use = self.usage_of(cmd.member.id)
        checks = (
            ("opened" if leader else "joined",
             use.opened if leader else use.joined, 1,
             p.max_groups_opened_per_member if leader else p.max_groups_joined_per_member),
            ("quantity", use.quantity, cmd.quantity, p.max_quantity_per_member),
        )
        for name, used, adding, limit in checks:
            if limit is not None and used + adding > limit:
                return LIMIT_REACHED(limit=_LIMIT_NAMES[name], max=limit)
        left = self.stock_left
        if left is not None and cmd.quantity > left:
            return SOLD_OUT(left=left)
        return None

    def _seat(self, cmd: OpenGroup | JoinGroup, now: DateTime, deadline: DateTime,
              leader: bool) -> Seat:
        pay_by = min(now.add(minutes=self.policy.payment_timeout_minutes), deadline)
        return Seat(cmd.id, cmd.member.id, cmd.quantity, self.policy.join_price(leader),
                    now, pay_by, leader)

    def _open(self, cmd: OpenGroup, now: DateTime) -> Outcome[GroupBuyCampaign]:
        reason = self._window_reason(now) or self._member_reason(cmd, now, leader=True)
        if reason is not None:
            return Rejected(reason, self)
        deadline = self.policy.deadline_for(now)
        seat = self._seat(cmd, now, deadline, leader=True)
        group = Group(cmd.group_id, cmd.member.id, now, deadline, (seat,))
        events: list[Any] = [GroupOpened(group.id, seat.member_id, deadline, now),
                             _joined(group.id, seat)]
        return self._done(group, cmd, events)

    def _join(self, group: Group, cmd: JoinGroup, now: DateTime,
              pre: list[Any]) -> Outcome[GroupBuyCampaign]:
        reason = (self._closed_reason(group, now) or self._window_reason(now)
                  or self._join_reason(group, cmd)
                  or self._member_reason(cmd, now, leader=False))
        if reason is not None:
            return Rejected(reason, self, tuple(pre))
        seat = self._seat(cmd, now, group.deadline, leader=False)
        return self._done(group.add_seat(seat), cmd, [_joined(group.id, seat)], pre)

    def _join_reason(self, group: Group, cmd: JoinGroup) -> Reason | None:
        leader = group.seat_of(group.leader)
        if leader is None or not leader.paid:
            return LEADER_UNPAID()
        if group.seat_of(cmd.member.id) is not None:
            return ALREADY_JOINED()
        if len(group.seats) >= self.policy.capacity:
            return FULL(size=self.policy.capacity)
        return None

    def _closed_reason(self, group: Group, now: DateTime) -> Reason | None:
        if group.status is GroupStatus.FAILED:
            return EXPIRED(deadline=group.deadline)
        if not group.is_open:
            return CLOSED(status=group.status.value)
        return None

    def _pay(self, group: Group, cmd: PaySeat, now: DateTime,
             pre: list[Any]) -> Outcome[GroupBuyCampaign]:
        seat = group.seat_for(cmd.join_id)
        if seat is None:
            if group.logged(cmd.join_id) is None:
                raise InvalidCommandError(f"join_id={cmd.join_id!r}: no seat was reserved "
                                          f"by that command in group {group.id!r}")
            return Rejected(self._closed_reason(group, now) or PAYMENT_EXPIRED(), self, tuple(pre))
        if seat.paid:
            return Rejected(ALREADY_PAID(), self, tuple(pre))
        reason = self._closed_reason(group, now)
        if reason is not None:
            return Rejected(reason, self, tuple(pre))
        new_group, events = group.pay(self.policy, seat, now)
        return self._done(new_group, cmd, events, pre)

    def _leave(self, group: Group, cmd: LeaveGroup, now: DateTime,
               pre: list[Any]) -> Outcome[GroupBuyCampaign]:
        seat = group.seat_of(cmd.member_id)
        reason = self._closed_reason(group, now)
        if reason is None:
            if seat is None:
                reason = NOT_IN_GROUP()
            elif seat.leader and len(group.seats) > 1:
                reason = LEADER_CANNOT_LEAVE()
            elif seat.paid and not seat.leader:
                reason = ALREADY_PAID()
        if reason is not None or seat is None:
            return Rejected(reason or NOT_IN_GROUP(), self, tuple(pre))
        new_group, events = group.leave(seat, now)
        return self._done(new_group, cmd, events, pre)

    # -- bookkeeping ------------------------------------------------------------------

    def _done(
        self, group: Group, cmd: Any, events: list[Any], pre: list[Any] | None = None
    ) -> Accepted[GroupBuyCampaign]:
        """Store ``group`` with ``cmd`` logged; ``pre`` (the clock's events) is already booked."""
        evs = (*(pre or ()), *events)
        return Accepted(self._with(group.recorded(cmd, evs), events), evs)

    def _with(self, group: Group, events: list[Any]) -> GroupBuyCampaign:
        """The campaign with ``group`` stored and the ledger moved by ``events``."""
        if not events and self.groups.get(group.id) is group:
            return self
        return self._with_all([(group, events)])

    def _with_all(self, changes: list[tuple[Group, list[Any]]]) -> GroupBuyCampaign:
        """Store every changed group and book its events, copying each map at most once."""
        groups = dict(self.groups)
        usage: dict[str, MemberUsage] | None = None
        held = self.held
        for group, events in changes:
            groups[group.id] = group
            for ev in events:
                sign, member, qty, leader = _ledger_delta(ev, group)
                if not sign:
                    continue
                if usage is None:
                    usage = dict(self.usage)
                old = usage.get(member, _NO_USAGE)
                usage[member] = MemberUsage(
                    old.opened + sign * leader, old.joined + sign * (1 - leader),
                    old.quantity + sign * qty,
                )
                held += sign * qty
        return attrs.evolve(self, groups=groups, usage=self.usage if usage is None else usage,
                            held=held)


def _joined(group_id: str, seat: Seat) -> MemberJoined:
    return MemberJoined(group_id, seat.member_id, seat.join_id, seat.quantity,
                        seat.unit_price, seat.pay_by, seat.leader)


_RELEASING = frozenset({RefundKind.GROUP_FAILED, RefundKind.GROUP_CANCELLED})


def _ledger_delta(ev: Any, group: Group) -> tuple[int, str, int, int]:
    """(sign, member, units, is-leader) an event moves the ledger by; sign 0 for none."""
    if isinstance(ev, MemberJoined):
        return 1, ev.member_id, ev.quantity, int(ev.leader)
    if isinstance(ev, SeatReleased):
        return -1, ev.member_id, ev.quantity, int(ev.member_id == group.leader)
    if isinstance(ev, RefundDue) and ev.kind in _RELEASING:
        seat = group.seat_for(ev.join_id)
        qty = seat.quantity if seat is not None else 0
        return -1, ev.member_id, qty, int(ev.member_id == group.leader)
    return 0, "", 0, 0
