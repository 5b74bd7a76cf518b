"""One group (团) of a group-buy campaign: seats, payment, success and failure.

Theory of operation: a group is a frozen value with its own `CommandLog`
(the commands it accepted, for idempotent replays). `settle` is the clock:
at ``now``, seats whose payment window has passed are released, auto-fill
may complete the group near its deadline, and at the deadline the group
succeeds (a ladder tier reached, or auto-fill) or fails. `GroupSlice`
decides every command on the group as it stands once settled; only an
accepted command stores the settled group (its events then include what the
clock did), so a refused command leaves the stored group as it was.

Status moves follow `GROUP_TRANSITIONS`: ``(status, command type)`` rows
say which commands a group takes in each status (anything else is refused
before any business check); ``(status, consequence)`` rows say where a
consequence of an accepted command moves it (the last seat paid, the
deadline, the leader leaving alone, or handing over with ``leader_handover``).

``Group.leader`` is the member who leads now; ``Seat.leader`` marks the seat
that opened the group (its leader price, and the opened-groups count of its
member). They differ only after a handover: the new leader keeps the seat
and price they joined with.

With ``deadline_from=LEADER_PAYMENT`` the deadline set at opening is
provisional (it bounds the leader's payment window); the leader's payment
resets it to the time limit after that payment (`GroupDeadlineSet`).

Invariants (whatever the order of commands and times):

* a group never holds more seats (reserved or paid) than the policy's capacity;
* it succeeds the moment its last seat is paid (a ladder group: at its
  capacity, or at the deadline with at least the base size paid);
* when it fails or is cancelled, every paid seat gets exactly one `RefundDue`;
* a succeeded group holds exactly ``group_size`` paid members, or
  ``group_size`` counting auto-filled seats with at least
  ``auto_fill.min_real_members`` real ones, or (ladder) between the base
  size and the capacity.
"""

from __future__ import annotations

import enum
from typing import Any, Final

import attrs

from sirui.campaigns.groupbuy._events import (
    DifferenceDue,
    GroupCancelled,
    GroupDeadlineSet,
    GroupFailed,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    LeaderChanged,
    LeaveGroup,
    OpenGroup,
    PaySeat,
    RedPacketDue,
    RefundDue,
    RefundKind,
    ReleaseWhy,
    SeatPaid,
    SeatReleased,
)
from sirui.campaigns.groupbuy._policy import DeadlineFrom, GroupBuyPolicy
from sirui.core.money import Money
from sirui.core.windows import DateTime
from sirui.rules import CommandLog

__all__ = ["GROUP_TRANSITIONS", "Group", "GroupStatus", "Seat"]


class GroupStatus(enum.Enum):
    """Where a group is in its life."""

    OPEN = "open"
    """Taking joins and payments (拼团中)."""
    SUCCEEDED = "succeeded"
    """Complete (拼团成功): ship the goods."""
    FAILED = "failed"
    """Deadline passed short of the size (拼团失败): every paid member is refunded."""
    CANCELLED = "cancelled"
    """The leader left or never paid."""


_OPEN, _SUCCEEDED = GroupStatus.OPEN, GroupStatus.SUCCEEDED
_FAILED, _CANCELLED = GroupStatus.FAILED, GroupStatus.CANCELLED

#: ``(status, command type)``: the commands a group takes in each status (None:
#: no group yet), and the status the command leaves it in; ``(status,
#: consequence)``: where a consequence of an accepted command moves it. A
#: command missing here is refused; nothing leaves a closed group.
GROUP_TRANSITIONS: Final[dict[tuple[GroupStatus | None, Any], GroupStatus]] = {
    (None, OpenGroup): _OPEN,
    (_OPEN, JoinGroup): _OPEN,
    (_OPEN, PaySeat): _OPEN,
    (_OPEN, LeaveGroup): _OPEN,
    (_OPEN, GroupTick): _OPEN,
    (_OPEN, "last_seat_paid"): _SUCCEEDED,
    (_OPEN, "tier_reached_at_deadline"): _SUCCEEDED,
    (_OPEN, "auto_filled"): _SUCCEEDED,
    (_OPEN, "deadline_short"): _FAILED,
    (_OPEN, "leader_handed_over"): _OPEN,
    (_OPEN, "leader_left"): _CANCELLED,
    (_OPEN, "leader_unpaid"): _CANCELLED,
}


@attrs.frozen(slots=True)
class Seat:
    """A reserved (and maybe paid) place in a group."""

    join_id: str
    member_id: str
    quantity: int
    unit_price: Money
    reserved_at: DateTime
    pay_by: DateTime
    leader: bool = False
    """This seat opened the group (it pays the leader price)."""
    paid_at: DateTime | None = None

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    @property
    def amount(self) -> Money:
        """What the seat costs at join: ``unit_price * quantity``."""
        return self.unit_price * self.quantity


@attrs.frozen(slots=True)
class Group:
    """A group (团): the leader's seat first, then joiners in order."""

    id: str
    leader: str
    opened_at: DateTime
    deadline: DateTime
    seats: tuple[Seat, ...]
    status: GroupStatus = GroupStatus.OPEN
    filled: int = 0
    """Seats completed by auto-fill (凑团), paid by no one."""
    final_price: Money | None = None
    closed_at: DateTime | None = None
    log: CommandLog = attrs.field(factory=CommandLog)
    """The commands this group accepted, with their events (idempotent replays)."""

    # -- views ------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status is GroupStatus.OPEN

    @property
    def member_ids(self) -> tuple[str, ...]:
        """The members holding a seat, in seat order."""
        return tuple(s.member_id for s in self.seats)

    @property
    def paid_seats(self) -> tuple[Seat, ...]:
        return tuple(s for s in self.seats if s.paid)

    @property
    def paid_count(self) -> int:
        return sum(1 for s in self.seats if s.paid)

    def seat_of(self, member_id: str) -> Seat | None:
        for s in self.seats:
            if s.member_id == member_id:
                return s
        return None

    def seat_for(self, join_id: str) -> Seat | None:
        for s in self.seats:
            if s.join_id == join_id:
                return s
        return None

    # -- transitions ------------------------------------------------------------------

    def _move(self, trigger: str, now: DateTime, **changes: Any) -> Group:
        return attrs.evolve(self, status=GROUP_TRANSITIONS[(self.status, trigger)],
                            closed_at=now, **changes)

    def settle(self, policy: GroupBuyPolicy, now: DateTime) -> tuple[Group, list[Any]]:
        """The group as the clock leaves it at ``now``: timeouts, auto-fill, the deadline."""
        if not self.is_open:
            return self, []
        at_deadline = now >= self.deadline
        expired = [s for s in self.seats if not s.paid and (at_deadline or s.pay_by <= now)]
        group, events = self, []
        if expired:
            why = ReleaseWhy.DEADLINE if at_deadline else ReleaseWhy.PAYMENT_TIMEOUT
            keep = tuple(s for s in self.seats if s not in expired)
            events = [SeatReleased(self.id, s.member_id, s.join_id, s.quantity, why)
                      for s in expired]
            group = attrs.evolve(self, seats=keep)
            leader = next((s for s in expired if s.leader), None)
            if leader is not None:
                # Dated when the leader's payment window closed, however late the tick.
                return group._cancel(leader.pay_by, "leader_unpaid", events)
        if at_deadline:
            return group._at_deadline(policy, self.deadline, events)
        return group._maybe_auto_fill(policy, now, events)

    def _at_deadline(
        self, policy: GroupBuyPolicy, now: DateTime, events: list[Any]
    ) -> tuple[Group, list[Any]]:
        paid = self.paid_count
        if policy.ladder and paid >= policy.group_size:
            return self._succeed(policy, now, "tier_reached_at_deadline", 0, events)
        fill = policy.auto_fill
        if fill is not None and paid >= fill.min_real_members:
            return self._succeed(policy, now, "auto_filled", policy.group_size - paid, events)
        refunds = [RefundDue(self.id, s.member_id, s.join_id, s.amount, RefundKind.GROUP_FAILED)
                   for s in self.seats if s.paid]
        group = self._move("deadline_short", now)
        return group, [*events, *refunds, GroupFailed(self.id, paid, now)]

    def _maybe_auto_fill(
        self, policy: GroupBuyPolicy, now: DateTime, events: list[Any]
    ) -> tuple[Group, list[Any]]:
        fill = policy.auto_fill
        if fill is None or now < self.deadline.subtract(minutes=fill.minutes_before_deadline):
            return self, events
        paid = self.paid_count
        # Only a settled group is topped up: a member still paying keeps the seat.
        if paid != len(self.seats) or paid < fill.min_real_members or paid >= policy.group_size:
            return self, events
        return self._succeed(policy, now, "auto_filled", policy.group_size - paid, events)

    def _cancel(self, now: DateTime, trigger: str, events: list[Any]) -> tuple[Group, list[Any]]:
        out = list(events)
        for s in self.seats:
            if s.paid:
                out.append(RefundDue(self.id, s.member_id, s.join_id, s.amount,
                                     RefundKind.GROUP_CANCELLED))
            else:
                out.append(SeatReleased(self.id, s.member_id, s.join_id, s.quantity,
                                        ReleaseWhy.CANCELLED))
        out.append(GroupCancelled(self.id, now))
        return self._move(trigger, now), out

    def _succeed(
        self, policy: GroupBuyPolicy, now: DateTime, trigger: str, filled: int,
        events: list[Any],
    ) -> tuple[Group, list[Any]]:
        final = policy.tier_price(self.paid_count + filled)
        out = list(events)
        out.append(GroupSucceeded(self.id, self.paid_count, filled, final, now))
        if policy.ladder:
            out += self._settle_ladder(policy, final)
        if policy.leader_red_packet is not None:
            out.append(RedPacketDue(self.id, self.leader, policy.leader_red_packet))
        return self._move(trigger, now, filled=filled, final_price=final), out

    def _settle_ladder(self, policy: GroupBuyPolicy, final: Money) -> list[Any]:
        out: list[Any] = []
        for s in self.seats:
            due = (policy.leader_price(final) if s.leader else final) * s.quantity
            diff = s.amount - due
            if diff.is_positive():
                out.append(RefundDue(self.id, s.member_id, s.join_id, diff,
                                     RefundKind.PRICE_DIFFERENCE))
            elif diff.is_negative():
                out.append(DifferenceDue(self.id, s.member_id, s.join_id, -diff))
        return out

    # -- commands (the slice checks eligibility, limits and stock first) -------------

    def add_seat(self, seat: Seat) -> Group:
        return attrs.evolve(self, seats=(*self.seats, seat))

    def pay(
        self, policy: GroupBuyPolicy, seat: Seat, now: DateTime
    ) -> tuple[Group, list[Any]]:
        paid = attrs.evolve(seat, paid_at=now)
        group = attrs.evolve(self, seats=tuple(paid if s is seat else s for s in self.seats))
        events: list[Any] = [SeatPaid(self.id, seat.member_id, seat.join_id, seat.amount, now)]
        if seat.leader and policy.deadline_from is DeadlineFrom.LEADER_PAYMENT:
            # The time limit runs from the leader's payment; joiners come only after it.
            group = attrs.evolve(group, deadline=policy.deadline_for(now))
            events.append(GroupDeadlineSet(self.id, group.deadline, now))
        if group.paid_count == policy.capacity:
            return group._succeed(policy, now, "last_seat_paid", 0, events)
        return group, events

    def successor(self) -> Seat | None:
        """The earliest paid member other than the leader (who leads after a handover)."""
        paid = [(s.paid_at, i, s) for i, s in enumerate(self.seats)
                if s.paid_at is not None and s.member_id != self.leader]
        return min(paid, key=lambda t: (t[0], t[1]))[2] if paid else None

    def leave(self, seat: Seat, now: DateTime) -> tuple[Group, list[Any]]:
        if seat.member_id == self.leader:
            heir = self.successor()
            if heir is None:
                return self._cancel(now, "leader_left", [])
            return self._hand_over(seat, heir, now)
        keep = tuple(s for s in self.seats if s is not seat)
        released = SeatReleased(self.id, seat.member_id, seat.join_id, seat.quantity,
                                ReleaseWhy.LEFT)
        return attrs.evolve(self, seats=keep), [released]

    def _hand_over(self, seat: Seat, heir: Seat, now: DateTime) -> tuple[Group, list[Any]]:
        if seat.paid:
            gone: Any = RefundDue(self.id, seat.member_id, seat.join_id, seat.amount,
                                  RefundKind.LEADER_LEFT)
        else:
            gone = SeatReleased(self.id, seat.member_id, seat.join_id, seat.quantity,
                                ReleaseWhy.LEFT)
        keep = tuple(s for s in self.seats if s is not seat)
        status = GROUP_TRANSITIONS[(self.status, "leader_handed_over")]
        group = attrs.evolve(self, seats=keep, leader=heir.member_id, status=status)
        return group, [gone, LeaderChanged(self.id, seat.member_id, heir.member_id, now)]

    def recorded(self, command: Any, events: tuple[Any, ...], now: DateTime) -> Group:
        """This group with ``command`` accepted at ``now`` in its log."""
        return attrs.evolve(self, log=self.log.record(command, events, now))

    def with_log(self, log: CommandLog) -> Group:
        return attrs.evolve(self, log=log)
