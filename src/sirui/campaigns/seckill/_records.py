"""Seckill stock records (秒杀库存记录): what the host stores under its own keys.

A bucket's `StockCounter`, a member's `MemberRecord` and one `Reservation`
per order id: the three small values a `StockSlice` decision reads and
returns (see `sirui.campaigns.seckill._stock` for the machine). Each checks
its own invariants on construction; the machine's hot path builds them with
trusted constructors that keep those invariants by arithmetic.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Final

import attrs
from pendulum import DateTime

from sirui.core.errors import invalid
from sirui.core.validators import non_empty_id, non_negative_int, positive_int
from sirui.core.windows import aware

__all__ = ["MemberRecord", "Reservation", "ReservationStatus", "StockCounter"]

_setattr: Final = object.__setattr__
_new: Final = object.__new__


class ReservationStatus(enum.Enum):
    """Where one order's stock stands."""

    WAITING = "waiting"
    """On the waiting list (排队中): sold out when ordered."""
    RESERVED = "reserved"
    """Stock taken, awaiting payment until ``expires_at`` (待支付)."""
    CONFIRMED = "confirmed"
    """Paid: the stock is sold (已支付)."""
    RELEASED = "released"
    """Cancelled, timed out or left the waiting list: the stock went back."""
    REFUNDED = "refunded"
    """Paid, then refunded (已退款): stock and quota come back as the campaign chose."""


@attrs.frozen(slots=True)
class StockCounter:
    """One bucket of one item's stock in one slot occurrence (分段库存的一段).

    ``slot_key`` names the slot occurrence (``SeckillCampaign.slot_key``),
    ``bucket`` the bucket number (0 when not split). ``held`` is released
    stock kept for the waiting list; ``waiting`` what the list asked for.
    """

    slot_key: str = attrs.field(validator=non_empty_id)
    sku: str = attrs.field(validator=non_empty_id)
    stock: int = attrs.field(validator=non_negative_int)
    bucket: int = attrs.field(default=0, validator=non_negative_int)
    reserved: int = attrs.field(default=0, validator=non_negative_int)
    sold: int = attrs.field(default=0, validator=non_negative_int)
    waiting: int = attrs.field(default=0, validator=non_negative_int)
    held: int = attrs.field(default=0, validator=non_negative_int)
    tickets: int = attrs.field(default=0, validator=non_negative_int)
    """Waiting-list tickets issued so far (a ticket is the queue position)."""
    last_rebalance_id: str | None = None
    last_rebalance_quantity: int = 0

    def __attrs_post_init__(self) -> None:
        if self.reserved + self.sold + self.held > self.stock:
            raise invalid(
                "stock", self.stock,
                f"is below reserved={self.reserved} + sold={self.sold} + held={self.held}",
            )
        if self.held > self.waiting:
            raise invalid("held", self.held, f"exceeds waiting={self.waiting}")

    @property
    def key(self) -> str:
        """The host's storage key for this bucket (``"<slot_key>|<sku>#<bucket>"``)."""
        return f"{self.slot_key}|{self.sku}#{self.bucket}"

    @property
    def available(self) -> int:
        """Units anyone may reserve now."""
        return self.stock - self.reserved - self.sold - self.held

    def _with(  # noqa: PLR0917 - trusted positional constructor on the hot path
        self, stock: int, reserved: int, sold: int, waiting: int, held: int, tickets: int,
        rebalance: tuple[str | None, int] | None = None,
    ) -> StockCounter:
        # Trusted constructor for the hot path: the arithmetic of the callers
        # keeps the invariants, so validators would only cost time.
        c = _new(StockCounter)
        _setattr(c, "slot_key", self.slot_key)
        _setattr(c, "sku", self.sku)
        _setattr(c, "stock", stock)
        _setattr(c, "bucket", self.bucket)
        _setattr(c, "reserved", reserved)
        _setattr(c, "sold", sold)
        _setattr(c, "waiting", waiting)
        _setattr(c, "held", held)
        _setattr(c, "tickets", tickets)
        rb = rebalance or (self.last_rebalance_id, self.last_rebalance_quantity)
        _setattr(c, "last_rebalance_id", rb[0])
        _setattr(c, "last_rebalance_quantity", rb[1])
        return c


@attrs.frozen(slots=True)
class Reservation:
    """One order's claim on one bucket (one per order id)."""

    order_id: str = attrs.field(validator=non_empty_id)
    member_id: str = attrs.field(validator=non_empty_id)
    slot_key: str = attrs.field(validator=non_empty_id)
    sku: str = attrs.field(validator=non_empty_id)
    bucket: int = attrs.field(validator=non_negative_int)
    quantity: int = attrs.field(validator=positive_int)
    status: ReservationStatus
    day: dt.date
    """The local day of the reservation (for per-day limits)."""
    reserved_at: DateTime = attrs.field(converter=aware)
    expires_at: DateTime | None = None
    """Payment deadline (None while waiting)."""
    ticket: int = 0
    """Waiting-list position (0 if never waited)."""
    released_by: str | None = None
    """What released it: ``"cancel"``, ``"timeout"``, ``"left"`` (the waiting list)
    or ``"refund"``."""
    to_waiting_list: int = 0
    """Units of its release (or refund) held for the waiting list."""
    stock_returned: bool = False
    """Refunded: its units went back to the bucket (``refund_returns_stock``)."""
    quota_returned: bool = False
    """Refunded: its units no longer count towards limits (``refund_returns_quota``)."""

    def active(self, now: DateTime) -> bool:
        """True if it counts towards limits at ``now``.

        Reserved and unpaid before ``expires_at``, waiting, confirmed, and
        refunded unless the refund gave the quota back.
        """
        s = self.status
        if s is ReservationStatus.RESERVED:
            return self.expires_at is not None and now < self.expires_at
        if s is ReservationStatus.REFUNDED:
            return not self.quota_returned
        return s is ReservationStatus.CONFIRMED or s is ReservationStatus.WAITING

    def _to(self, status: ReservationStatus, expires_at: DateTime | None = None) -> Reservation:
        r = _new(Reservation)
        for name in _RES_FIELDS:
            _setattr(r, name, getattr(self, name))
        _setattr(r, "status", status)
        if expires_at is not None:
            _setattr(r, "expires_at", expires_at)
        return r

    def _released(self, by: str, to_waiting_list: int = 0) -> Reservation:
        r = self._to(ReservationStatus.RELEASED)
        _setattr(r, "released_by", by)
        _setattr(r, "to_waiting_list", to_waiting_list)
        return r

    def _refunded(self, stock: bool, quota: bool, to_waiting_list: int) -> Reservation:
        r = self._to(ReservationStatus.REFUNDED)
        _setattr(r, "released_by", "refund")
        _setattr(r, "to_waiting_list", to_waiting_list)
        _setattr(r, "stock_returned", stock)
        _setattr(r, "quota_returned", quota)
        return r


_RES_FIELDS: Final = tuple(a.name for a in attrs.fields(Reservation))


def _reservations(value: Iterable[Reservation]) -> tuple[Reservation, ...]:
    return tuple(value)


@attrs.frozen(slots=True)
class MemberRecord:
    """A member's own reservations in one campaign (per-member limits read only these)."""

    member_id: str = attrs.field(validator=non_empty_id)
    reservations: tuple[Reservation, ...] = attrs.field(default=(), converter=_reservations)

    def __attrs_post_init__(self) -> None:
        for i, r in enumerate(self.reservations):
            if r.member_id != self.member_id:
                raise invalid(f"reservations[{i}].member_id", r.member_id,
                              f"belongs to another member than {self.member_id!r}")

    def taken(self, sku: str, now: DateTime, slot_key: str | None = None,
              day: dt.date | None = None) -> int:
        """Active quantity of ``sku`` (in ``slot_key`` / on ``day`` if given) at ``now``.

        What the limits count: reserved and unpaid before ``expires_at``,
        waiting, confirmed, and refunded without the quota given back; never
        released or timed-out quantities.
        """
        n = 0
        for r in self.reservations:
            if (r.sku == sku and (slot_key is None or r.slot_key == slot_key)
                    and (day is None or r.day == day) and r.active(now)):
                n += r.quantity
        return n

    def _put(self, res: Reservation) -> MemberRecord:
        rs = self.reservations
        for i, r in enumerate(rs):
            if r.order_id == res.order_id:
                rs = (*rs[:i], res, *rs[i + 1:])
                break
        else:
            rs = (*rs, res)
        m = _new(MemberRecord)
        _setattr(m, "member_id", self.member_id)
        _setattr(m, "reservations", rs)
        return m
