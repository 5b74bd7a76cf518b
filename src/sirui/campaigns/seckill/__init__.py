"""Seckill (秒杀): time slots of ultra-low-price items, stock that never oversells.

The mechanic in three parts:

* **Policy** (`SeckillCampaign`): slots that recur daily in the store's zone
  (每日10:00 and 20:00, 30 minutes each) or run once, the items of each slot
  with a seckill price and a stock per occurrence, a preview period and
  countdown, per-member limits per slot / day / campaign, eligibility
  (conditions, early access minutes per tier), delivery only by default
  (抢购商品不允许到店自提), coupons and points not stacking by default.
* **Stock** (`StockSlice`): reserve on order creation, confirm on payment,
  release on cancel or payment timeout, refund a paid order (stock and quota
  back as the operator chose), optional waiting list, a per-order cap. The host
  stores aggregate counters per bucket (`StockCounter`), one record per
  member (`MemberRecord`) and one `Reservation` per order id; a decision
  loads just those three, so a reserve is O(1) in the number of prior
  reservations (only the member's own records are scanned). Stock can be
  split into buckets (分段库存) and leftovers moved with `rebalance`.
* **Price** (`SeckillPriceStep`): the seckill price as an adjustment at the
  activity stage of the checkout pipeline.

Invariants: ``sold + reserved + held <= stock`` in every bucket after any
sequence of commands at any times; ``stock == available + held + reserved +
sold``; a member's active quantity never exceeds a limit; commands are
idempotent by order id. See ``docs/mechanics/seckill.md``.
"""

from sirui.campaigns.seckill._buckets import Rebalance, bucket_for, rebalance, split_stock
from sirui.campaigns.seckill._messages import (
    Cancel,
    Confirm,
    Expire,
    LowStock,
    Promote,
    Reserve,
    SeckillRefund,
    StockConfirmed,
    StockRebalanced,
    StockRefunded,
    StockReleased,
    StockReserved,
    Waitlisted,
    WaitlistLeft,
)
from sirui.campaigns.seckill._policy import (
    Admission,
    EarlyAccess,
    PurchaseLimits,
    SeckillCampaign,
    SeckillItem,
    SeckillSlot,
    SlotPhase,
    SlotStatus,
)
from sirui.campaigns.seckill._pricing import SeckillPriceStep, activity_blocks, live_units
from sirui.campaigns.seckill._records import (
    MemberRecord,
    Reservation,
    ReservationStatus,
    StockCounter,
)
from sirui.campaigns.seckill._stock import TRANSITIONS, StockRules, StockSlice
from sirui.core.registry import renamed as _renamed

__all__ = [
    "TRANSITIONS",
    "Admission",
    "Cancel",
    "Confirm",
    "EarlyAccess",
    "Expire",
    "LowStock",
    "MemberRecord",
    "Promote",
    "PurchaseLimits",
    "Rebalance",
    "Reservation",
    "ReservationStatus",
    "Reserve",
    "SeckillCampaign",
    "SeckillItem",
    "SeckillPriceStep",
    "SeckillRefund",
    "SeckillSlot",
    "SlotPhase",
    "SlotStatus",
    "StockConfirmed",
    "StockCounter",
    "StockRebalanced",
    "StockRefunded",
    "StockReleased",
    "StockReserved",
    "StockRules",
    "StockSlice",
    "WaitlistLeft",
    "Waitlisted",
    "activity_blocks",
    "bucket_for",
    "live_units",
    "rebalance",
    "split_stock",
]

#: Old names kept one release (see CHANGELOG); each warns and names the new one.
__getattr__ = _renamed(__name__, {"Refund": "SeckillRefund"})
