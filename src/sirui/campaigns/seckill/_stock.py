"""Seckill stock (秒杀库存): reserve, confirm, release, never oversell.

Theory of operation
-------------------
One item's stock in one slot occurrence lives in one or more *buckets*
(分段库存). Each bucket is a `StockCounter`: a handful of integers the host
keeps under one key and one lock (a Redis hash, a database row)::

    stock == available + held + reserved + sold        (always)
    held  <= waiting                                     (always)

``reserved`` is stock taken by unpaid orders, ``sold`` by paid ones,
``held`` is released stock set aside for the waiting list and ``waiting``
the quantity members on the waiting list asked for.

A command never needs every reservation: it needs a `StockSlice`, the three
records (``_records``) the host loads by key before deciding:

* the bucket's `StockCounter` (aggregate counters, O(1) in size);
* the member's `MemberRecord` (their own reservations in this campaign, the
  only thing per-member limits need);
* the `Reservation` already stored for the command's order id, if any
  (idempotency: a replay returns the original outcome, never reserves twice).

Idempotency is keyed by the order id and kept by the reservation itself, not
by a command log: a `Reserve` for an order that has a reservation returns
the original `StockReserved` or `Waitlisted` (the same order id with another
member or quantity raises `IdConflictError`); a command the order's status
already took returns the event it first produced (a released reservation
remembers what released it, ``released_by``, and how many units went to the
waiting list). A `LowStock` warning belongs to the bucket, not the order,
and is not repeated by a replay. Rejected commands change nothing, so a retry
is decided afresh.

``slice.handle(command, now=...)`` returns `Accepted` with the new slice and
the events, or `Rejected` with a reason. The host writes back the three
records in one atomic step (a Lua script, a transaction). Because nothing in
the decision grows with the number of prior reservations, a reserve costs
the same on the first order as on the ten-thousandth; only the member's own
records are scanned.

Reservation states (transitions as a table, `TRANSITIONS`)::

    (new)    --Reserve-->  RESERVED | WAITING (sold out, waiting list on)
    WAITING  --Promote-->  RESERVED (takes held stock)
    WAITING  --Cancel--->  RELEASED (leaves the waiting list)
    RESERVED --Confirm-->  CONFIRMED (paid before expires_at)
    RESERVED --Cancel--->  RELEASED
    RESERVED --Expire--->  RELEASED (at or after expires_at)
    CONFIRMED --SeckillRefund-->  REFUNDED (the paid order was refunded)

A refund (`SeckillRefund`, sent when the host's after-sales refunds a paid order)
does what the campaign chose: with ``refund_returns_stock`` the units go
back to the bucket (``sold`` falls; the waiting list is served first, as
for a release), else they stay sold; with ``refund_returns_quota`` they
stop counting towards the member's limits, else the refunded order keeps
its place in them (so a refund cannot be used to buy past a limit).

Time: the slice checks the payment deadline, never the slot's time. It
does not know when a slot occurrence opens or closes (the counter names it
by ``slot_key`` only), so the host must admit a reserve first:
`SeckillCampaign.admit` (or `SeckillCampaign.reserve`, which admits and
then reserves) refuses a slot that is not open, an item outside it, store
pickup and ineligible members. A `Reserve` handed to the slice directly is
decided on stock and limits alone.

`PruneLog` (the command every machine takes) forgets the member's released
reservations (and refunded ones whose quota came back) made before ``now``
minus ``StockRules.log_retention_days`` (and the slice's order if it is one
of them, so the host deletes that key): a retry of such an order id is
decided afresh. Reserved, waiting, confirmed and quota-keeping refunded
reservations are never forgotten: they hold stock or count towards limits.

Payment timeouts are evaluated at ``now``: a confirm at or after
``expires_at`` is rejected (`PAYMENT_TIMEOUT`), an unpaid reservation
stops counting towards the member's limits once it has expired, and the
stock returns to the bucket when the host's delay queue sends `Expire`.
Released stock goes to the waiting list first (``held``) and only the rest
becomes available to everyone.

Invariants (property-tested): ``sold + reserved + held <= stock`` after any
sequence of commands at any times, refunds included; a member's active
quantity (reserved and unexpired, waiting, confirmed, refunded without the
quota back) never exceeds a limit; one order never exceeds ``per_order``;
replays change
nothing; rebalancing moves only available stock, so the sum of ``stock``
over an item's buckets never changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import attrs
from pendulum import DateTime

from sirui.campaigns._checks import flag
from sirui.campaigns.seckill._messages import (
    Cancel,
    Confirm,
    Expire,
    LowStock,
    Promote,
    Reserve,
    SeckillRefund,
    StockConfirmed,
    StockRefunded,
    StockReleased,
    StockReserved,
    Waitlisted,
    WaitlistLeft,
)
from sirui.campaigns.seckill._records import (
    MemberRecord,
    Reservation,
    ReservationStatus,
    StockCounter,
)
from sirui.core.errors import IdConflictError, InvalidCommandError
from sirui.core.validators import non_negative_int, opt_positive_int, positive_int
from sirui.core.windows import aware, zone
from sirui.core.zh import zh_datetime
from sirui.rules.commandlog import LogPruned, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "TRANSITIONS",
    "MemberRecord",
    "Reservation",
    "ReservationStatus",
    "StockCounter",
    "StockRules",
    "StockSlice",
]

SOLD_OUT = reason_code("seckill.sold_out", zh="已抢光", en="Sold out")
NOT_ENOUGH = reason_code(
    "seckill.not_enough_stock",
    zh="库存不足，仅剩{available}件",
    en="Only {available} left",
)
LIMIT_REACHED = reason_code(
    "seckill.limit_reached",
    zh="超出限购：{scope_zh}限购{limit}件，已购{taken}件",
    en="Limit reached: {limit} per {scope}, already {taken}",
)
ORDER_LIMIT = reason_code(
    "seckill.order_limit",
    zh="每单限购{limit}件，本单{quantity}件",
    en="At most {limit} per order; this order asks for {quantity}",
)
PAYMENT_TIMEOUT = reason_code(
    "seckill.payment_timeout",
    zh="支付已超时（截止{expires_at_zh}），库存将释放",
    en="The payment window closed at {expires_at}; the stock goes back",
)
NOT_PAID = reason_code(
    "seckill.not_paid", zh="订单未支付，无需退款", en="The order is not paid; nothing to refund"
)
REFUNDED = reason_code(
    "seckill.refunded", zh="订单已退款", en="The order was refunded"
)
RELEASED = reason_code(
    "seckill.reservation_released", zh="该订单的库存已释放", en="This order's stock was released"
)
ALREADY_CONFIRMED = reason_code(
    "seckill.already_confirmed", zh="订单已支付，库存已售出", en="The order is paid; stock is sold"
)
STILL_WAITING = reason_code(
    "seckill.still_waiting",
    zh="排队中，暂无释放的库存",
    en="Still on the waiting list; no released stock yet",
)
NOT_DUE = reason_code(
    "seckill.not_due", zh="未到支付截止时间", en="The payment window has not closed yet"
)
NOTHING_TO_MOVE = reason_code(
    "seckill.nothing_to_rebalance",
    zh="来源分段没有剩余库存可调拨",
    en="The source bucket has no available stock to move",
)

_setattr: Final = object.__setattr__
_new: Final = object.__new__
_add: Final = dt.datetime.__add__


@attrs.frozen(slots=True)
class StockRules:
    """What the stock machine enforces, taken from a campaign policy.

    Limits are per item (SKU) and count reserved, waiting and confirmed
    quantities: ``per_slot`` in one slot occurrence, ``per_day`` on one
    local day of ``tz``, ``per_campaign`` over the whole campaign;
    ``per_order`` caps the quantity of one order. ``None`` leaves a limit
    open. ``refund_returns_stock`` / ``refund_returns_quota``: whether a
    refunded paid order gives its units back to the bucket / to the
    member's limits. ``log_retention_days``: how long released reservations
    are kept for replays before `PruneLog` forgets them.
    """

    payment_timeout_minutes: int = attrs.field(default=5, validator=positive_int)
    per_slot: int | None = attrs.field(default=None, validator=opt_positive_int)
    per_day: int | None = attrs.field(default=None, validator=opt_positive_int)
    per_campaign: int | None = attrs.field(default=None, validator=opt_positive_int)
    waiting_list: bool = False
    low_stock_threshold: int | None = attrs.field(default=None, validator=opt_positive_int)
    tz: str = "Asia/Shanghai"
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    per_order: int | None = attrs.field(default=None, validator=opt_positive_int)
    refund_returns_stock: bool = attrs.field(default=False, validator=flag)
    refund_returns_quota: bool = attrs.field(default=False, validator=flag)
    # Derived once here so the hot path does no lookups.
    timeout: dt.timedelta = attrs.field(init=False, eq=False, repr=False)
    zone: dt.tzinfo = attrs.field(init=False, eq=False, repr=False)
    has_limits: bool = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _setattr(self, "zone", zone(self.tz))
        _setattr(self, "timeout", dt.timedelta(minutes=self.payment_timeout_minutes))
        _setattr(self, "has_limits", any(
            x is not None for x in (self.per_slot, self.per_day, self.per_campaign)))


_ORDER_COMMANDS: Final = frozenset({Confirm, Cancel, Expire, Promote, SeckillRefund})
_RESERVED: Final = ReservationStatus.RESERVED


Command = Reserve | Confirm | Cancel | Expire | Promote | SeckillRefund

#: The transition table: (status, command) -> status after acceptance. Anything
#: missing is refused (or, for the status a command leads to, a replay).
TRANSITIONS: Final[dict[tuple[ReservationStatus | None, type[Any]], ReservationStatus]] = {
    (None, Reserve): ReservationStatus.RESERVED,
    (ReservationStatus.WAITING, Promote): ReservationStatus.RESERVED,
    (ReservationStatus.WAITING, Cancel): ReservationStatus.RELEASED,
    (ReservationStatus.RESERVED, Confirm): ReservationStatus.CONFIRMED,
    (ReservationStatus.RESERVED, Cancel): ReservationStatus.RELEASED,
    (ReservationStatus.RESERVED, Expire): ReservationStatus.RELEASED,
    (ReservationStatus.CONFIRMED, SeckillRefund): ReservationStatus.REFUNDED,
}


Outcome = Accepted["StockSlice"] | Rejected["StockSlice"]


@attrs.frozen(slots=True)
class StockSlice:
    """What one command needs: a bucket, the member's record and the order's reservation.

    ``member`` is the record of the member who owns (or, for `Reserve`,
    places) the order; ``order`` is the reservation stored under the
    command's order id, or None if there is none. Every command returns all
    three updated, and the host writes them back together.
    """

    rules: StockRules
    counter: StockCounter
    member: MemberRecord
    order: Reservation | None = None

    def handle(
        self, command: Command | PruneLog, *, now: DateTime
    ) -> Accepted[StockSlice] | Rejected[StockSlice]:
        """Apply ``command`` at ``now``; see the module docstring for the table."""
        # equivalent mutants: a fast path; aware() returns an aware DateTime as it is
        if type(now) is not DateTime or now.tzinfo is None:  # pragma: no mutate
            now = aware(now)
        if isinstance(command, PruneLog):
            return self._prune(command, now)
        order = self.order
        if order is not None and order.order_id != command.order_id:
            raise InvalidCommandError(
                f"order={order.order_id!r}: the slice holds another order than "
                f"command.order_id={command.order_id!r}; load the reservation by order id"
            )
        if type(command) is Reserve:
            return self._reserve(command, now)
        if type(command) not in _ORDER_COMMANDS:
            raise InvalidCommandError(
                f"command={command!r}: not a stock command; use Reserve, Confirm, Cancel, "
                "Expire, Promote or SeckillRefund"
            )
        if order is None:
            raise InvalidCommandError(
                f"order_id={command.order_id!r}: no reservation for this order; "
                f"{type(command).__name__} needs one made by Reserve"
            )
        c = self.counter
        if order.slot_key != c.slot_key or order.sku != c.sku or order.bucket != c.bucket:
            raise InvalidCommandError(
                f"counter={c.key!r}: order {order.order_id!r} is in bucket "
                f"{order.slot_key}|{order.sku}#{order.bucket}; load that bucket"
            )
        if self.member.member_id != order.member_id:
            raise InvalidCommandError(
                f"member={self.member.member_id!r}: order {order.order_id!r} "
                f"belongs to {order.member_id!r}"
            )
        target = transition(TRANSITIONS, order.status, command)
        if target is None:
            return self._settled(command, order, now)
        if type(command) is Confirm:
            return self._confirm(order, now)
        if type(command) is Promote:
            return self._promote(order, now)
        if type(command) is SeckillRefund:
            return self._refund(order)
        if type(command) is Expire:
            assert order.expires_at is not None
            if now < order.expires_at:
                return Rejected(NOT_DUE(), self)
            return self._release(order, "timeout")
        return self._release(order, "cancel")

    # -- reserve ---------------------------------------------------------------------

    def _reserve(self, cmd: Reserve, now: DateTime) -> Outcome:
        member = self.member
        if member.member_id != cmd.member_id:
            raise InvalidCommandError(
                f"member={member.member_id!r}: Reserve for "
                f"{cmd.member_id!r} needs that member's MemberRecord"
            )
        order = self.order
        if order is not None:
            return self._replay_reserve(cmd, order)
        rules, c = self.rules, self.counter
        qty = cmd.quantity
        if rules.per_order is not None and qty > rules.per_order:
            return Rejected(ORDER_LIMIT(limit=rules.per_order, quantity=qty), self)
        day = dt.datetime.date(dt.datetime.astimezone(now, rules.zone))
        if rules.has_limits:
            refused = self._check_limits(member, c, qty, now, day)
            if refused is not None:
                return refused
        available = c.available
        if qty > available:
            if rules.waiting_list and available == 0:
                return self._wait(cmd, now, day)
            if available == 0:
                return Rejected(SOLD_OUT(), self)
            return Rejected(NOT_ENOUGH(available=available), self)
        expires = _add(now, rules.timeout)
        res = _new(Reservation)
        _setattr(res, "order_id", cmd.order_id)
        _setattr(res, "member_id", cmd.member_id)
        _setattr(res, "slot_key", c.slot_key)
        _setattr(res, "sku", c.sku)
        _setattr(res, "bucket", c.bucket)
        _setattr(res, "quantity", qty)
        _setattr(res, "status", _RESERVED)
        _setattr(res, "day", day)
        _setattr(res, "reserved_at", now)
        _setattr(res, "expires_at", expires)
        _setattr(res, "ticket", 0)
        _setattr(res, "released_by", None)
        _setattr(res, "to_waiting_list", 0)
        _setattr(res, "stock_returned", False)
        _setattr(res, "quota_returned", False)
        counter = c._with(c.stock, c.reserved + qty, c.sold, c.waiting, c.held, c.tickets)
        event = StockReserved(cmd.order_id, cmd.member_id, c.slot_key, c.sku, c.bucket, qty,
                              expires)
        low = _low_stock(rules, c, counter)
        events = (event,) if low is None else (event, low)
        return Accepted(self._next(counter, member._put(res), res), events)

    def _check_limits(
        self, member: MemberRecord, c: StockCounter, qty: int, now: DateTime, day: dt.date
    ) -> Rejected[StockSlice] | None:
        # Only the scopes with a limit are counted, each over the member's own records.
        rules = self.rules
        for scope, limit, slot_key, on_day in (
            ("slot", rules.per_slot, c.slot_key, None),
            ("day", rules.per_day, None, day),
            ("campaign", rules.per_campaign, None, None),
        ):
            if limit is None:
                continue
            taken = member.taken(c.sku, now, slot_key, on_day)
            if taken + qty > limit:
                return Rejected(LIMIT_REACHED(scope=scope, scope_zh=_SCOPE_ZH[scope], limit=limit,
                                              taken=taken), self)
        return None

    def _wait(self, cmd: Reserve, now: DateTime, day: dt.date) -> Accepted[StockSlice]:
        c = self.counter
        ticket = c.tickets + 1
        res = Reservation(
            cmd.order_id, cmd.member_id, c.slot_key, c.sku, c.bucket, cmd.quantity,
            ReservationStatus.WAITING, day, now, None, ticket,
        )
        counter = c._with(c.stock, c.reserved, c.sold, c.waiting + cmd.quantity, c.held, ticket)
        ev = Waitlisted(cmd.order_id, cmd.member_id, c.slot_key, c.sku, c.bucket,
                        cmd.quantity, ticket)
        return Accepted(self._next(counter, self.member._put(res), res), (ev,))

    def _replay_reserve(self, cmd: Reserve, order: Reservation) -> Accepted[StockSlice]:
        if order.member_id != cmd.member_id or order.quantity != cmd.quantity:
            raise IdConflictError(
                f"order_id={cmd.order_id!r} was reserved for member {order.member_id!r} "
                f"x{order.quantity}; the replay asks for {cmd.member_id!r} x{cmd.quantity}"
            )
        # The original outcome: a waiting-list ticket, or stock until the first deadline.
        if order.ticket or order.expires_at is None:
            ev: Event = Waitlisted(order.order_id, order.member_id, order.slot_key, order.sku,
                                   order.bucket, order.quantity, order.ticket)
        else:
            ev = StockReserved(order.order_id, order.member_id, order.slot_key, order.sku,
                               order.bucket, order.quantity, order.expires_at)
        return Accepted(self, (ev,))

    # -- transitions on an existing order --------------------------------------------

    def _confirm(self, order: Reservation, now: DateTime) -> Outcome:
        assert order.expires_at is not None
        if now >= order.expires_at:
            return Rejected(self._timeout(order.expires_at), self)
        c, q = self.counter, order.quantity
        counter = c._with(c.stock, c.reserved - q, c.sold + q, c.waiting, c.held, c.tickets)
        res = order._to(ReservationStatus.CONFIRMED)
        ev = StockConfirmed(order.order_id, order.slot_key, order.sku, order.bucket, q)
        return Accepted(self._next(counter, self._member_put(res), res), (ev,))

    def _promote(self, order: Reservation, now: DateTime) -> Outcome:
        c, q = self.counter, order.quantity
        if c.held < q:
            return Rejected(STILL_WAITING(), self)
        expires = _add(now, self.rules.timeout)
        counter = c._with(c.stock, c.reserved + q, c.sold, c.waiting - q, c.held - q, c.tickets)
        res = order._to(ReservationStatus.RESERVED, expires)
        ev = StockReserved(order.order_id, order.member_id, order.slot_key, order.sku,
                           order.bucket, q, expires)
        return Accepted(self._next(counter, self._member_put(res), res), (ev,))

    def _refund(self, order: Reservation) -> Accepted[StockSlice]:
        rules, c, q = self.rules, self.counter, order.quantity
        to_list = 0
        counter = c
        if rules.refund_returns_stock:
            # Returned units serve the waiting list first, like a release.
            to_list = min(q, c.waiting - c.held)
            counter = c._with(c.stock, c.reserved, c.sold - q, c.waiting, c.held + to_list,
                              c.tickets)
        res = order._refunded(rules.refund_returns_stock, rules.refund_returns_quota, to_list)
        return Accepted(self._next(counter, self._member_put(res), res), (_refunded_event(res),))

    def _timeout(self, expires_at: DateTime) -> Reason:
        return PAYMENT_TIMEOUT(expires_at=expires_at,
                               expires_at_zh=zh_datetime(expires_at, self.rules.tz))

    def _release(self, order: Reservation, cause: str) -> Accepted[StockSlice]:
        c, q = self.counter, order.quantity
        if order.status is ReservationStatus.WAITING:
            waiting = c.waiting - q
            counter = c._with(c.stock, c.reserved, c.sold, waiting, min(c.held, waiting), c.tickets)
            res = order._released("left")
            return Accepted(self._next(counter, self._member_put(res), res),
                            (WaitlistLeft(order.order_id, q),))
        # Released units go to the waiting list first, up to what it still lacks.
        to_list = min(q, c.waiting - c.held)
        counter = c._with(c.stock, c.reserved - q, c.sold, c.waiting, c.held + to_list, c.tickets)
        res = order._released(cause, to_list)
        return Accepted(self._next(counter, self._member_put(res), res), (_released_event(res),))

    def _settled(
        self, command: Command, order: Reservation, now: DateTime
    ) -> Accepted[StockSlice] | Rejected[StockSlice]:
        """A command the order's status does not take: a replay, or a refusal."""
        s, kind = order.status, type(command)
        if s is ReservationStatus.CONFIRMED:
            if kind is Confirm:
                return Accepted(self, (StockConfirmed(order.order_id, order.slot_key, order.sku,
                                                      order.bucket, order.quantity),))
            return Rejected(ALREADY_CONFIRMED(), self)
        if s is ReservationStatus.RELEASED:
            # equivalent mutants: no cause is named "XXXX" either
            if _RELEASED_BY.get(order.released_by or "") is kind:  # pragma: no mutate
                return Accepted(self, (_released_event(order),))
            if kind is Confirm and order.expires_at is not None and now >= order.expires_at:
                return Rejected(self._timeout(order.expires_at), self)
            return Rejected(RELEASED(), self)
        if s is ReservationStatus.REFUNDED:
            if kind is SeckillRefund:
                return Accepted(self, (_refunded_event(order),))
            if kind is Confirm:
                # The order was paid before its refund: a late retry of that payment.
                return Accepted(self, (StockConfirmed(order.order_id, order.slot_key, order.sku,
                                                      order.bucket, order.quantity),))
            return Rejected(REFUNDED(), self)
        if kind is SeckillRefund:
            return Rejected(NOT_PAID(), self)
        if s is ReservationStatus.WAITING:
            return Rejected(NOT_DUE() if kind is Expire else STILL_WAITING(), self)
        # RESERVED and Promote: already promoted; a replay.
        assert order.expires_at is not None
        return Accepted(self, (StockReserved(order.order_id, order.member_id, order.slot_key,
                                             order.sku, order.bucket, order.quantity,
                                             order.expires_at),))

    # -- the log's retention ---------------------------------------------------------

    def _prune(self, command: PruneLog, now: DateTime) -> Accepted[StockSlice]:
        """Forget released reservations made before the retention (see the module docstring)."""
        days = command.retention_days
        before = now - dt.timedelta(days=self.rules.log_retention_days if days is None else days)
        rs = self.member.reservations
        kept = tuple(r for r in rs if not _forgettable(r, before))
        order = self.order
        if order is not None and _forgettable(order, before):
            order = None
        # pragma: no mutate start (equivalent: a fresh record of the same reservations is equal)
        member = self.member if len(kept) == len(rs) else MemberRecord(self.member.member_id, kept)
        # pragma: no mutate end
        state = StockSlice(self.rules, self.counter, member, order)
        return Accepted(state, (LogPruned(before, len(rs) - len(kept)),))

    def _member_put(self, res: Reservation) -> MemberRecord:
        return self.member._put(res)

    def _next(self, counter: StockCounter, member: MemberRecord,
              order: Reservation) -> StockSlice:
        s = _new(StockSlice)
        _setattr(s, "rules", self.rules)
        _setattr(s, "counter", counter)
        _setattr(s, "member", member)
        _setattr(s, "order", order)
        return s


#: The zh name of each limit scope (``seckill.limit_reached``).
_SCOPE_ZH: Final = {"slot": "每场", "day": "每天", "campaign": "本活动"}

#: The command that a release by each cause answers as a replay.
_RELEASED_BY: Final[dict[str, type[Any]]] = {"cancel": Cancel, "left": Cancel, "timeout": Expire}


def _released_event(order: Reservation) -> StockReleased | WaitlistLeft:
    """The event the release of ``order`` produced (for the release and its replays)."""
    if order.released_by == "left":
        return WaitlistLeft(order.order_id, order.quantity)
    assert order.released_by is not None
    return StockReleased(order.order_id, order.slot_key, order.sku, order.bucket, order.quantity,
                         order.released_by, order.to_waiting_list)


def _refunded_event(order: Reservation) -> StockRefunded:
    """The event the refund of ``order`` produced (for the refund and its replays)."""
    return StockRefunded(order.order_id, order.slot_key, order.sku, order.bucket,
                         order.quantity, order.stock_returned, order.quota_returned,
                         order.to_waiting_list)


def _forgettable(r: Reservation, before: DateTime) -> bool:
    # A refund that kept the quota still counts towards limits: never forgotten.
    done = r.status is ReservationStatus.RELEASED or (
        r.status is ReservationStatus.REFUNDED and r.quota_returned)
    return done and r.reserved_at < before


def _low_stock(rules: StockRules, before: StockCounter, after: StockCounter) -> LowStock | None:
    t = rules.low_stock_threshold
    if t is None:
        return None
    if before.available >= t > after.available:
        return LowStock(after.slot_key, after.sku, after.bucket, after.available, t)
    return None


