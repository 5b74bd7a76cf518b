"""The service's own values: requests, records and answers, all through sirui's codec.

Where sirui has a type, the service uses it as it is (a `Cart` is the body
of ``/quote`` and ``/orders``, an `Earn` the body of a points grant, a
`Quote` is stored in each order). The few values sirui has no type for are
frozen attrs classes here, loaded and dumped by the same codec
(`sirui.config.load` / `dump`), so the wire format, the strictness (unknown
keys refused, every problem with its path) and the JSON Schemas
(`sirui.config.json_schema`) are the library's.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs
from pendulum import DateTime

from sirui.checkout import Quote, RefundResult
from sirui.commission import CommissionLine
from sirui.core import Cart, Member, Money
from sirui.loyalty.points import OrderPoints
from sirui.rules import Reason

# -- requests ---------------------------------------------------------------------------


@attrs.frozen
class ClaimRequest:
    """Claim one coupon of a template (领券); the command id names the coupon."""

    template: str


@attrs.frozen
class RefundRequest:
    """Units returned now, per order line id (部分退款)."""

    lines: dict[str, int]


@attrs.frozen
class DrawRequest:
    """One lottery draw for a member (抽奖)."""

    member_id: str


@attrs.frozen
class BargainStart:
    """A member starts a bargain (发起砍价)."""

    member_id: str
    bargain_id: str


@attrs.frozen
class BargainHelp:
    """A friend helps a bargain (帮砍一刀)."""

    member_id: str


@attrs.frozen
class ClockRequest:
    """Move the test clock forward (only with ``--clock``)."""

    advance_seconds: int = 0


# -- records ----------------------------------------------------------------------------


class OrderStatus(enum.Enum):
    PLACED = "placed"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@attrs.frozen
class SeckillHold:
    """The seckill stock an order reserved: which campaign, slot occurrence and bucket."""

    campaign: str
    slot: str
    slot_key: str
    sku: str
    bucket: int
    quantity: int

    @property
    def bucket_key(self) -> str:
        return f"{self.slot_key}|{self.sku}#{self.bucket}"


@attrs.frozen
class GroupSeat:
    """The group-buy seat an order holds (its join id is the order id)."""

    campaign: str
    group_id: str
    leader: bool


@attrs.frozen
class ServiceOrder:
    """One order as the service stores it: the cart, its quote and what it holds."""

    id: str
    member_id: str
    cart: Cart
    quote: Quote
    status: OrderStatus
    placed_at: DateTime
    pay_by: DateTime
    seckill: SeckillHold | None = None
    group: GroupSeat | None = None
    paid_at: DateTime | None = None
    closed_at: DateTime | None = None
    payment_id: str | None = None
    tier_before: str | None = None
    tier_after: str | None = None
    points: OrderPoints | None = None
    points_earned: int = 0
    commission: tuple[CommissionLine, ...] = ()
    settlement_shards: tuple[str, ...] = ()
    coupons_issued: tuple[str, ...] = ()
    refunds: tuple[RefundResult, ...] = ()
    refund_ids: tuple[str, ...] = ()

    @property
    def refunded(self) -> Money:
        return sum((r.amount for r in self.refunds), Money.zero(self.quote.currency))


@attrs.frozen
class OrderIndex:
    """A member's order ids, newest last (for the statement)."""

    member_id: str
    order_ids: tuple[str, ...] = ()


@attrs.frozen
class OrderSummary:
    id: str
    status: OrderStatus
    payable: Money
    refunded: Money
    points_used: int
    points_earned: int
    placed_at: DateTime


@attrs.frozen
class CouponLine:
    id: str
    template: str
    status: str
    valid_until: DateTime | None


@attrs.frozen
class MemberStatement:
    """A member's page: profile, tier and growth, points, coupons, orders (会员账户)."""

    member: Member
    tier: str | None
    growth: int
    points_balance: int
    points_pending: int
    coupons: tuple[CouponLine, ...]
    orders: tuple[OrderSummary, ...]
    as_of: DateTime


@attrs.frozen
class Problem:
    """The body of every 4xx (and 5xx) answer: a stable code and a message in zh and en.

    ``reason`` is sirui's own `Reason` when a rule refused (its code is
    ``code``); ``problems`` lists ``(path, message)`` pairs of invalid content.
    """

    status: int
    code: str
    zh: str
    en: str
    reason: Reason | None = None
    problems: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Outcome:
    """The answer of a command on a campaign state: what it emitted and the state after."""

    command_id: str
    events: tuple[Any, ...]
    state: Any
