"""The group-buy state machine: one command decided on one `GroupSlice`.

Theory of operation
-------------------
A command never needs the whole campaign. It needs a `GroupSlice`: the
small values the host loads by key before deciding and writes back in one
transaction afterwards:

* the campaign's `GroupBuyPolicy` (read only);
* the campaign's `GroupBuyCounters` (units held, one small record per
  campaign: the stock check);
* the `Group` the command names (None before `OpenGroup`), with its own
  `CommandLog` (idempotency is per group);
* the `MemberUsage` of each member holding a seat in that group, plus the
  member an `OpenGroup` or `JoinGroup` names (`GroupSlice.members_for`
  lists them): the per-member limits, and the usage a released or refunded
  seat gives back.

``slice.handle(command, now=...)`` takes these steps, in order:

1. a command of another type, a slice holding another group, or missing
   usage records is misuse (`InvalidCommandError`);
2. a command id the group accepted before is a replay: the original events,
   the same slice (`IdConflictError` for the same id with other content);
3. `GROUP_TRANSITIONS` decides whether the group's status takes the command
   type at all (a closed group takes nothing: ``groupbuy.closed``, or
   ``groupbuy.expired`` after a failure);
4. the group is settled at ``now`` (`Group.settle`: payment timeouts,
   auto-fill, the deadline) and the command is checked against the settled
   group, the campaign window, the member's eligibility, the per-member
   limits and the stock, in that order;
5. accepted: the new slice carries the settled group with the command in
   its log, and the events are what the clock did followed by what the
   command did; refused: `Rejected` with the very same slice and no events.

Expiry therefore happens in one of two ways, both accepted outcomes: the
command that notices it (a join after a seat's payment window passed
releases that seat and takes the place), or a `GroupTick` from the host's
delay queue (send one at each seat's ``pay_by``, before the deadline for
auto-fill, and at the deadline). A refused command never expires anything:
a join refused because the group's deadline passed leaves it open until its
tick arrives.

The ledger (units held, each member's groups opened and joined and units)
moves by the events alone: a seat taken adds to it; a seat released, or a
paid seat of a failed or cancelled group, takes back from it. Because
nothing in a decision grows with the number of groups, a command costs the
same in the first group as in the twenty-thousandth.

Invariants: stock held never exceeds ``stock``; a member's groups opened,
groups joined and units (in open or succeeded groups) never exceed their
limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

from sirui.campaigns.groupbuy._events import (
    GroupMemberJoined,
    GroupOpened,
    GroupTick,
    JoinGroup,
    LeaveGroup,
    OpenGroup,
    PaySeat,
    RefundDue,
    RefundKind,
    SeatReleased,
)
from sirui.campaigns.groupbuy._group import GROUP_TRANSITIONS, Group, GroupStatus, Seat
from sirui.campaigns.groupbuy._policy import GroupBuyPolicy
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.nouns import Fulfillment
from sirui.core.validators import non_empty_id, non_negative_int
from sirui.core.windows import DateTime, aware
from sirui.core.zh import zh_datetime
from sirui.rules import Accepted, Facts, PruneLog, Reason, Rejected, reason_code, transition

__all__ = [
    "GROUPBUY_REASONS",
    "GroupBuyCounters",
    "GroupSlice",
    "MemberUsage",
]

NOT_STARTED = reason_code("groupbuy.not_started", zh="拼团活动{start_zh}开始",
                          en="The group-buy starts at {start}")
ENDED = reason_code("groupbuy.ended", zh="拼团活动已结束", en="The group-buy has ended")
EXPIRED = reason_code("groupbuy.expired", zh="该团已过期（截止{deadline_zh}）",
                      en="This group expired at {deadline}")
CLOSED = reason_code("groupbuy.closed", zh="该团{status_zh}", en="This group is {status}")
FULL = reason_code("groupbuy.full", zh="该团已满{size}人", en="This group is full ({size} members)")
LEADER_UNPAID = reason_code("groupbuy.leader_unpaid", zh="团长支付后才能参团",
                            en="Members may join once the leader has paid")
ALREADY_JOINED = reason_code("groupbuy.already_joined", zh="您已在该团中",
                             en="You are already in this group")
PICKUP_ONLY = reason_code("groupbuy.pickup_only", zh="该拼团仅限到店自提",
                          en="This group-buy is store pickup only")
NOT_ELIGIBLE = reason_code("groupbuy.not_eligible", zh="不满足参团条件（{because_zh}）",
                           en="Not eligible ({because})")
LIMIT_REACHED = reason_code("groupbuy.limit_reached", zh="已达每人限{limit_zh}（最多{max}）",
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
NOTHING_DUE = reason_code("groupbuy.nothing_due", zh="该团暂无到期事项",
                          en="Nothing is due in this group yet")

#: Every rejection code of the group-buy state machine, by code.
GROUPBUY_REASONS = {r.code: r for r in (
    NOT_STARTED, ENDED, EXPIRED, CLOSED, FULL, LEADER_UNPAID, ALREADY_JOINED, PICKUP_ONLY,
    NOT_ELIGIBLE, LIMIT_REACHED, SOLD_OUT, PAYMENT_EXPIRED, ALREADY_PAID, LEADER_CANNOT_LEAVE,
    NOT_IN_GROUP, NOTHING_DUE,
)}

_LIMIT_NAMES: Final = {"opened": "开团次数", "joined": "参团次数", "quantity": "购买件数"}
_LIMIT_EN: Final = {"opened": "groups opened", "joined": "groups joined", "quantity": "units"}
#: The zh wording of each closed status (``groupbuy.closed``).
_STATUS_ZH: Final = {GroupStatus.OPEN: "拼团中", GroupStatus.SUCCEEDED: "已拼团成功",
                     GroupStatus.FAILED: "已拼团失败", GroupStatus.CANCELLED: "已取消"}


@attrs.frozen(slots=True)
class GroupBuyCounters:
    """The campaign's counters (one small record per campaign): units held.

    ``held`` counts the units of reserved or paid seats in open and
    succeeded groups; ``stock - held`` is what new seats may take.
    """

    campaign_id: str = attrs.field(validator=non_empty_id)
    held: int = attrs.field(default=0, validator=non_negative_int)


@attrs.frozen(slots=True)
class MemberUsage:
    """A member's live usage in one campaign: groups opened and joined, units held.

    Counts seats in open or succeeded groups; a seat released, or refunded
    because its group failed or was cancelled, no longer counts.
    """

    member_id: str = attrs.field(validator=non_empty_id)
    opened: int = attrs.field(default=0, validator=non_negative_int)
    joined: int = attrs.field(default=0, validator=non_negative_int)
    quantity: int = attrs.field(default=0, validator=non_negative_int)


def _usage_tuple(value: Iterable[MemberUsage]) -> tuple[MemberUsage, ...]:
    return tuple(value)


Command = OpenGroup | JoinGroup | PaySeat | LeaveGroup | GroupTick | PruneLog
_GROUP_COMMANDS: Final = (OpenGroup, JoinGroup, PaySeat, LeaveGroup, GroupTick)
_RELEASING: Final = frozenset({RefundKind.GROUP_FAILED, RefundKind.GROUP_CANCELLED,
                               RefundKind.LEADER_LEFT})


class _Book:
    """The slice's held units and usage records while a command is decided (local)."""

    __slots__ = ("held", "usage")

    def __init__(self, sl: GroupSlice) -> None:
        self.held = sl.counters.held
        self.usage = {u.member_id: u for u in sl.usage}

    def book(self, group: Group, events: Iterable[Any]) -> _Book:
        """Move the ledger by ``events`` of ``group``."""
        for ev in events:
            sign, member, qty, leader = _ledger_delta(ev, group)
            if not sign:
                continue
            old = self.usage[member]
            self.usage[member] = MemberUsage(
                member, old.opened + sign * leader, old.joined + sign * (1 - leader),
                old.quantity + sign * qty,
            )
            self.held += sign * qty
        return self


def _ledger_delta(ev: Any, group: Group) -> tuple[int, str, int, int]:
    """(sign, member, units, is-leader) an event moves the ledger by; sign 0 for none."""
    if isinstance(ev, GroupMemberJoined):
        return 1, ev.member_id, ev.quantity, int(ev.leader)
    if isinstance(ev, SeatReleased):
        return -1, ev.member_id, ev.quantity, int(ev.member_id == group.leader)
    if isinstance(ev, RefundDue) and ev.kind in _RELEASING:
        # The seat that opened the group counts as opened, whoever leads now.
        seat = group.seat_for(ev.join_id)
        if seat is None:
            return 0, "", 0, 0
        return -1, ev.member_id, seat.quantity, int(seat.leader)
    return 0, "", 0, 0


Outcome = Accepted["GroupSlice"] | Rejected["GroupSlice"]


@attrs.frozen(slots=True)
class GroupSlice:
    """What one group-buy command needs: the policy, the counters, one group, its members' usage.

    ``group`` is the group the command names, or None for `OpenGroup`.
    ``usage`` holds a `MemberUsage` for every id `members_for` lists (a
    member with no record yet gets ``MemberUsage(member_id)``); records of
    other members are carried through unchanged. Every accepted command
    returns the slice updated, and the host writes back the group, the
    counters and the usage records together.
    """

    policy: GroupBuyPolicy
    counters: GroupBuyCounters
    group: Group | None = None
    usage: tuple[MemberUsage, ...] = attrs.field(default=(), converter=_usage_tuple)

    def __attrs_post_init__(self) -> None:
        if self.counters.campaign_id != self.policy.id:
            raise invalid("counters.campaign_id", self.counters.campaign_id,
                          f"belongs to another campaign than policy.id={self.policy.id!r}",
                          "load the counters stored under the policy's id")
        ids = [u.member_id for u in self.usage]
        if len(set(ids)) != len(ids):
            raise invalid("usage", ids, "holds two records of one member",
                          "load one MemberUsage per member")

    @staticmethod
    def members_for(command: Any, group: Group | None) -> tuple[str, ...]:
        """The members whose `MemberUsage` the slice for ``command`` must hold.

        Every member with a seat in ``group`` (a released or refunded seat
        gives their usage back), and the member an `OpenGroup` or
        `JoinGroup` names.
        """
        ids = [] if group is None else [s.member_id for s in group.seats]
        named = getattr(command, "member", None)
        if named is not None and named.id not in ids:
            ids.append(named.id)
        return tuple(ids)

    @property
    def stock_left(self) -> int | None:
        """Units new seats may still take (None: no campaign stock limit)."""
        stock = self.policy.stock
        return None if stock is None else stock - self.counters.held

    def usage_of(self, member_id: str) -> MemberUsage:
        for u in self.usage:
            if u.member_id == member_id:
                return u
        raise InvalidCommandError(
            f"member_id={member_id!r}: the slice holds no MemberUsage for this member; "
            "load the records GroupSlice.members_for(command, group) names "
            "(MemberUsage(member_id) for a member with none)"
        )

    # -- the one entry point ----------------------------------------------------------

    def handle(self, command: Command, *, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``; see the module docstring for the steps."""
        now = aware(now)
        group = self.group
        if type(command) is PruneLog:
            return self._prune(command, now)
        if not isinstance(command, _GROUP_COMMANDS):
            raise InvalidCommandError(
                f"command={command!r}: not a group-buy command; use OpenGroup, JoinGroup, "
                "PaySeat, LeaveGroup, GroupTick or PruneLog"
            )
        if group is not None:
            if group.id != command.group_id:
                raise InvalidCommandError(
                    f"group={group.id!r}: the slice holds another group than "
                    f"command.group_id={command.group_id!r}; load the group by its id"
                )
            replayed = group.log.replay(self, command)
            if replayed is not None:
                return replayed
            if isinstance(command, OpenGroup):
                raise InvalidCommandError(f"group_id={command.group_id!r} already exists; "
                                          "open a new group under a new id")
        elif not isinstance(command, OpenGroup):
            raise InvalidCommandError(
                f"group_id={command.group_id!r}: no such group in campaign "
                f"{self.policy.id!r}; open it with OpenGroup first"
            )
        for member_id in self.members_for(command, group):
            self.usage_of(member_id)
        if transition(GROUP_TRANSITIONS, None if group is None else group.status,
                      command) is None:
            assert group is not None
            return Rejected(_closed_reason(group, self.policy.tz) or _closed(group), self)
        decide: Callable[[GroupSlice, Any, DateTime], Outcome] = _DECIDE[type(command)]
        return decide(self, command, now)

    # -- commands ---------------------------------------------------------------------

    def _open(self, cmd: OpenGroup, now: DateTime) -> Outcome:
        book = _Book(self)
        reason = self._window_reason(now) or self._member_reason(cmd, now, True, book)
        if reason is not None:
            return Rejected(reason, self)
        deadline = self.policy.deadline_for(now)
        seat = self._seat(cmd, now, deadline, leader=True)
        group = Group(cmd.group_id, cmd.member.id, now, deadline, (seat,))
        joined = _joined(group.id, seat)
        book.book(group, (joined,))
        return self._accept(group, book, cmd, (GroupOpened(group.id, seat.member_id,
                                                           deadline, now), joined), now)

    def _join(self, cmd: JoinGroup, now: DateTime) -> Outcome:
        group, pre = self._settled(now)
        reason = (_closed_reason(group, self.policy.tz) or self._window_reason(now)
                  or self._join_reason(group, cmd))
        if reason is not None:
            return Rejected(reason, self)
        book = _Book(self).book(group, pre)
        reason = self._member_reason(cmd, now, False, book)
        if reason is not None:
            return Rejected(reason, self)
        seat = self._seat(cmd, now, group.deadline, leader=False)
        joined = _joined(group.id, seat)
        group = group.add_seat(seat)
        book.book(group, (joined,))
        return self._accept(group, book, cmd, (*pre, joined), now)

    def _pay(self, cmd: PaySeat, now: DateTime) -> Outcome:
        group, pre = self._settled(now)
        seat = group.seat_for(cmd.join_id)
        if seat is None:
            if cmd.join_id not in group.log:
                raise InvalidCommandError(f"join_id={cmd.join_id!r}: no seat was reserved "
                                          f"by that command in group {group.id!r}")
            return Rejected(_closed_reason(group, self.policy.tz) or PAYMENT_EXPIRED(), self)
        if seat.paid:
            return Rejected(ALREADY_PAID(), self)
        reason = _closed_reason(group, self.policy.tz)
        if reason is not None:
            return Rejected(reason, self)
        book = _Book(self).book(group, pre)
        paid, events = group.pay(self.policy, seat, now)
        book.book(paid, events)
        return self._accept(paid, book, cmd, (*pre, *events), now)

    def _leave(self, cmd: LeaveGroup, now: DateTime) -> Outcome:
        group, pre = self._settled(now)
        seat = group.seat_of(cmd.member_id)
        reason = _closed_reason(group, self.policy.tz) or self._leave_reason(group, seat)
        if reason is not None or seat is None:
            return Rejected(reason or NOT_IN_GROUP(), self)
        book = _Book(self).book(group, pre)
        left, events = group.leave(seat, now)
        # Booked against the group before the leave: it still holds the seat that went.
        book.book(group, events)
        return self._accept(left, book, cmd, (*pre, *events), now)

    def _leave_reason(self, group: Group, seat: Seat | None) -> Reason | None:
        if seat is None:
            return NOT_IN_GROUP()
        if seat.member_id == group.leader:
            if len(group.seats) > 1 and not (self.policy.leader_handover
                                             and group.successor() is not None):
                return LEADER_CANNOT_LEAVE()
            return None
        return ALREADY_PAID() if seat.paid else None

    def _tick(self, cmd: GroupTick, now: DateTime) -> Outcome:
        group, pre = self._settled(now)
        if not pre:
            return Rejected(NOTHING_DUE(), self)
        return self._accept(group, _Book(self).book(group, pre), cmd, tuple(pre), now)

    def _prune(self, cmd: PruneLog, now: DateTime) -> Outcome:
        group = self.group
        if group is None:
            raise InvalidCommandError("PruneLog prunes the log of the group a slice holds; "
                                      "load the group to prune")
        replayed = group.log.replay(self, cmd)
        if replayed is not None:
            return replayed
        log, events = group.log.prune(cmd, now, self.policy.log_retention_days)
        return Accepted(attrs.evolve(self, group=group.with_log(log)), events)

    # -- checks -----------------------------------------------------------------------

    def _settled(self, now: DateTime) -> tuple[Group, list[Any]]:
        assert self.group is not None
        return self.group.settle(self.policy, now)

    def _window_reason(self, now: DateTime) -> Reason | None:
        p = self.policy
        if now < p.starts_at:
            return NOT_STARTED(start=p.starts_at, start_zh=zh_datetime(p.starts_at, p.tz))
        if now >= p.ends_at:
            return ENDED()
        return None

    def _member_reason(
        self, cmd: OpenGroup | JoinGroup, now: DateTime, leader: bool, book: _Book
    ) -> Reason | None:
        p = self.policy
        if p.pickup_only and cmd.fulfillment is not Fulfillment.PICKUP:
            return PICKUP_ONLY()
        condition = p.open_condition if leader else p.join_condition
        verdict = condition.evaluate(Facts(now, cmd.member, fulfillment=cmd.fulfillment))
        if not verdict.ok:
            return NOT_ELIGIBLE(because=tuple(r.code for r in verdict.reasons),
                                because_zh="；".join(r.zh for r in verdict.reasons))
        use = book.usage[cmd.member.id]
        checks = (
            ("opened" if leader else "joined",
             use.opened if leader else use.joined, 1,
             p.max_groups_opened_per_member if leader else p.max_groups_joined_per_member),
            ("quantity", use.quantity, cmd.quantity, p.max_quantity_per_member),
        )
        for name, used, adding, limit in checks:
            if limit is not None and used + adding > limit:
                return LIMIT_REACHED(limit=_LIMIT_EN[name], limit_zh=_LIMIT_NAMES[name], max=limit)
        if p.stock is not None and cmd.quantity > p.stock - book.held:
            return SOLD_OUT(left=p.stock - book.held)
        return None

    def _join_reason(self, group: Group, cmd: JoinGroup) -> Reason | None:
        leader = group.seat_of(group.leader)
        if leader is None or not leader.paid:
            return LEADER_UNPAID()
        if group.seat_of(cmd.member.id) is not None:
            return ALREADY_JOINED()
        if len(group.seats) >= self.policy.capacity:
            return FULL(size=self.policy.capacity)
        return None

    def _seat(self, cmd: OpenGroup | JoinGroup, now: DateTime, deadline: DateTime,
              leader: bool) -> Seat:
        pay_by = min(now.add(minutes=self.policy.payment_timeout_minutes), deadline)
        return Seat(cmd.id, cmd.member.id, cmd.quantity, self.policy.join_price(leader),
                    now, pay_by, leader)

    # -- the new slice ----------------------------------------------------------------

    def _accept(self, group: Group, book: _Book, cmd: Any, events: tuple[Any, ...],
                now: DateTime) -> Accepted[GroupSlice]:
        c = self.counters
        counters = c if book.held == c.held else GroupBuyCounters(c.campaign_id, book.held)
        usage = tuple(book.usage[u.member_id] for u in self.usage)
        out = GroupSlice(self.policy, counters, group.recorded(cmd, events, now), usage)
        return Accepted(out, events)


def _closed_reason(group: Group, tz: str) -> Reason | None:
    if group.status is GroupStatus.FAILED:
        return EXPIRED(deadline=group.deadline, deadline_zh=zh_datetime(group.deadline, tz))
    if not group.is_open:
        return _closed(group)
    return None


def _closed(group: Group) -> Reason:
    return CLOSED(status=group.status.value, status_zh=_STATUS_ZH[group.status])


def _joined(group_id: str, seat: Seat) -> GroupMemberJoined:
    return GroupMemberJoined(group_id, seat.member_id, seat.join_id, seat.quantity,
                        seat.unit_price, seat.pay_by, seat.leader)


_DECIDE: Final[dict[type[Any], Callable[[GroupSlice, Any, DateTime], Outcome]]] = {
    OpenGroup: GroupSlice._open,
    JoinGroup: GroupSlice._join,
    PaySeat: GroupSlice._pay,
    LeaveGroup: GroupSlice._leave,
    GroupTick: GroupSlice._tick,
}
