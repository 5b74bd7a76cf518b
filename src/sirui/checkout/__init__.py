"""The checkout (结算): cart -> quote -> paid order -> refunds.

Layer 3 of sirui. It composes the mechanics' policies into one price:

* `quote` runs the price pipeline (activity, member, promotions, coupons,
  points, shipping) and returns a `Quote` with every line's allocation;
* `StackingPolicy` says which promotions and coupons combine;
* the best coupon combination of a wallet is found exactly
  (`sirui.checkout.combination`);
* `ShippingPolicy` prices shipping (free over a threshold, by tier, by
  distance or zone) and refuses a delivery below its minimum (起送金额) or
  out of range (`sirui.checkout.delivery`);
* `refund` pays back returned lines from the quote's per-line allocation.
"""

from sirui.checkout.delivery import (
    DeliveryZone,
    Destination,
    DistanceTier,
    MinOrderBasis,
    OrderMinimum,
)
from sirui.checkout.quoting import LineShare, Quote, QuoteInputs, QuoteLine, quote
from sirui.checkout.refunds import (
    CouponReturn,
    PaidLine,
    PaidOrder,
    RefundLine,
    RefundPolicy,
    RefundResult,
    ShippingRefund,
    ThresholdLoss,
    refund,
)
from sirui.checkout.shipping import ShippingPolicy, ShippingStep, TierThreshold
from sirui.checkout.stacking import (
    DEFAULT_COUPON_ORDER,
    DEFAULT_SLOT_LIMITS,
    ExclusionGroup,
    RulePriority,
    SlotLimit,
    StackingPolicy,
)

__all__ = [
    "DEFAULT_COUPON_ORDER",
    "DEFAULT_SLOT_LIMITS",
    "CouponReturn",
    "DeliveryZone",
    "Destination",
    "DistanceTier",
    "ExclusionGroup",
    "LineShare",
    "MinOrderBasis",
    "OrderMinimum",
    "PaidLine",
    "PaidOrder",
    "Quote",
    "QuoteInputs",
    "QuoteLine",
    "RefundLine",
    "RefundPolicy",
    "RefundResult",
    "RulePriority",
    "ShippingPolicy",
    "ShippingRefund",
    "ShippingStep",
    "SlotLimit",
    "StackingPolicy",
    "ThresholdLoss",
    "TierThreshold",
    "quote",
    "refund",
]
