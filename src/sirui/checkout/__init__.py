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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sirui.checkout.delivery import (
    DeliveryZone,
    Destination,
    DistanceTier,
    MinOrderBasis,
    OrderMinimum,
)
from sirui.checkout.quoting import LineShare, Quote, QuoteInputs, QuoteLine, quote
from sirui.checkout.shipping import ShippingPolicy, ShippingStep, TierThreshold
from sirui.checkout.stacking import (
    DEFAULT_COUPON_ORDER,
    DEFAULT_SLOT_LIMITS,
    ExclusionGroup,
    RulePriority,
    SlotLimit,
    StackingPolicy,
)

if TYPE_CHECKING:
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

_REFUNDS = frozenset({
    "CouponReturn", "PaidLine", "PaidOrder", "RefundLine", "RefundPolicy", "RefundResult",
    "ShippingRefund", "ThresholdLoss", "refund",
})
"""Loaded on first use: a backend that only quotes does not import the refunds."""


def __getattr__(name: str) -> Any:
    if name in _REFUNDS:
        return getattr(importlib.import_module("sirui.checkout.refunds"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
