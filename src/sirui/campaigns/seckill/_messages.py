"""Seckill stock commands (what the host asks) and events (what it persists)."""

from __future__ import annotations

import attrs
from pendulum import DateTime

from sirui.core.validators import non_empty_id, positive_int
from sirui.rules.outcome import Event

__all__ = [
    "Cancel",
    "Confirm",
    "Expire",
    "LowStock",
    "Promote",
    "Reserve",
    "SeckillRefund",
    "StockConfirmed",
    "StockRebalanced",
    "StockRefunded",
    "StockReleased",
    "StockReserved",
    "WaitlistLeft",
    "Waitlisted",
]


# -- commands ------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Reserve:
    """Take stock for an order when it is created (下单锁库存)."""

    order_id: str = attrs.field(validator=non_empty_id)
    member_id: str = attrs.field(validator=non_empty_id)
    quantity: int = attrs.field(default=1, validator=positive_int)


@attrs.frozen(slots=True)
class Confirm:
    """The order was paid: the reserved stock is sold (支付扣库存)."""

    order_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class Cancel:
    """The order was cancelled (or the member left the waiting list)."""

    order_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class Expire:
    """The payment timeout passed (sent by the host's delay queue)."""

    order_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class Promote:
    """Give held (released) stock to a member on the waiting list."""

    order_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class SeckillRefund:
    """A paid order was refunded (退款): stock and quota come back as the campaign chose.

    ``refund_returns_stock`` puts the units back in the bucket (the waiting
    list first); ``refund_returns_quota`` stops them counting towards the
    member's limits. Either way the reservation becomes REFUNDED.
    """

    order_id: str = attrs.field(validator=non_empty_id)


# -- events --------------------------------------------------------------------------


@attrs.frozen(slots=True)
class StockReserved(Event):
    """Stock was reserved for an order until ``expires_at``."""

    order_id: str
    member_id: str
    slot_key: str
    sku: str
    bucket: int
    quantity: int
    expires_at: DateTime


@attrs.frozen(slots=True)
class Waitlisted(Event):
    """Sold out: the order joined the waiting list with ``ticket``."""

    order_id: str
    member_id: str
    slot_key: str
    sku: str
    bucket: int
    quantity: int
    ticket: int


@attrs.frozen(slots=True)
class WaitlistLeft(Event):
    """The order left the waiting list without stock."""

    order_id: str
    quantity: int


@attrs.frozen(slots=True)
class StockConfirmed(Event):
    """The order was paid; its stock is sold."""

    order_id: str
    slot_key: str
    sku: str
    bucket: int
    quantity: int


@attrs.frozen(slots=True)
class StockReleased(Event):
    """Reserved stock went back: ``cause`` is ``"cancel"`` or ``"timeout"``.

    ``to_waiting_list`` of the units were held for the waiting list.
    """

    order_id: str
    slot_key: str
    sku: str
    bucket: int
    quantity: int
    cause: str
    to_waiting_list: int = 0


@attrs.frozen(slots=True)
class LowStock(Event):
    """Remaining stock fell below the warning threshold (库存预警)."""

    slot_key: str
    sku: str
    bucket: int
    remaining: int
    threshold: int


@attrs.frozen(slots=True)
class StockRebalanced(Event):
    """``quantity`` available units moved from bucket ``source`` to ``target``."""

    rebalance_id: str
    slot_key: str
    sku: str
    source: int
    target: int
    quantity: int


@attrs.frozen(slots=True)
class StockRefunded(Event):
    """A paid order was refunded.

    ``stock_returned``: its units went back to the bucket (``to_waiting_list``
    of them held for the waiting list); else they stay sold. ``quota_returned``:
    they no longer count towards the member's limits.
    """

    order_id: str
    slot_key: str
    sku: str
    bucket: int
    quantity: int
    stock_returned: bool
    quota_returned: bool
    to_waiting_list: int = 0
