"""Promotions (促销) and coupons (优惠券): order offers, coupon templates, wallets, triggers.

Layer 2 of sirui: policies only. The checkout (`sirui.checkout`) composes
them into quotes; this package never imports it.

* order promotions: `FullReduction`, `RepeatingReduction`,
  `PercentageDiscount`, `BundlePrice`, `NthItemDiscount`, `BuyNGetMFree`,
  `GiftWithPurchase`, `FreeShippingOver`, `NewCustomerReduction`,
  `MemberPrice`, `LimitedTimePrice`;
* coupon templates: `AmountOffCoupon`, `NoThresholdCoupon`,
  `PercentOffCoupon`, `FreeShippingCoupon`, `ExchangeCoupon`; a claimed
  `Coupon`;
* the member's wallet state machine: `Wallet`, `CouponQuota`, `claim_coupon`;
* issuing triggers: `NewMemberGiftPack`, `AfterPaymentGift`, `ShareToGet`,
  `UnpaidOrderReminder`, `RepurchaseIncentive`, `InviteReward`.
"""

from sirui.promotions.base import (
    Coupon,
    CouponTemplate,
    CouponTemplateBase,
    Promotion,
    PromotionBase,
)
from sirui.promotions.coupons import (
    AmountOffCoupon,
    ExchangeCoupon,
    FreeShippingCoupon,
    NoThresholdCoupon,
    PercentOffCoupon,
)
from sirui.promotions.discounts import (
    BundlePrice,
    BuyNGetMFree,
    NthItemDiscount,
    PercentageDiscount,
)
from sirui.promotions.gifts import GIFT_STOCK, GIFT_USED, GiftWithPurchase
from sirui.promotions.member import (
    LimitedTimePrice,
    MemberPrice,
    NewCustomerReduction,
    SkuPrice,
    TierRate,
    TierSkuPrice,
)
from sirui.promotions.reductions import FullReduction, ReductionTier, RepeatingReduction
from sirui.promotions.shipping import FreeShippingOver

__all__ = [
    "GIFT_STOCK",
    "GIFT_USED",
    "AmountOffCoupon",
    "BundlePrice",
    "BuyNGetMFree",
    "Coupon",
    "CouponTemplate",
    "CouponTemplateBase",
    "ExchangeCoupon",
    "FreeShippingCoupon",
    "FreeShippingOver",
    "FullReduction",
    "GiftWithPurchase",
    "LimitedTimePrice",
    "MemberPrice",
    "NewCustomerReduction",
    "NoThresholdCoupon",
    "NthItemDiscount",
    "PercentOffCoupon",
    "PercentageDiscount",
    "Promotion",
    "PromotionBase",
    "ReductionTier",
    "RepeatingReduction",
    "SkuPrice",
    "TierRate",
    "TierSkuPrice",
]
