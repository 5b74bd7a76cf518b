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
from sirui.promotions.triggers import (
    AfterPaymentGift,
    ContentShared,
    Decision,
    InviteReward,
    IssueDecision,
    IssueTrigger,
    LastOrderAged,
    MemberInvited,
    MemberJoined,
    NewMemberGiftPack,
    OrderPaid,
    OrderUnpaid,
    RepurchaseIncentive,
    ShareToGet,
    UnpaidOrderReminder,
)
from sirui.promotions.wallet import (
    TRANSITIONS,
    ClaimCoupon,
    Claimed,
    CouponClaimed,
    CouponExpired,
    CouponLocked,
    CouponQuota,
    CouponReturned,
    CouponStatus,
    CouponUnlocked,
    CouponUsed,
    ExpireCoupons,
    LockCoupon,
    ReturnCoupon,
    UnlockCoupon,
    UseCoupon,
    Wallet,
    WalletCommand,
    WalletEntry,
    claim_coupon,
)

__all__ = [
    "GIFT_STOCK",
    "GIFT_USED",
    "TRANSITIONS",
    "AfterPaymentGift",
    "AmountOffCoupon",
    "BundlePrice",
    "BuyNGetMFree",
    "ClaimCoupon",
    "Claimed",
    "ContentShared",
    "Coupon",
    "CouponClaimed",
    "CouponExpired",
    "CouponLocked",
    "CouponQuota",
    "CouponReturned",
    "CouponStatus",
    "CouponTemplate",
    "CouponTemplateBase",
    "CouponUnlocked",
    "CouponUsed",
    "Decision",
    "ExchangeCoupon",
    "ExpireCoupons",
    "FreeShippingCoupon",
    "FreeShippingOver",
    "FullReduction",
    "GiftWithPurchase",
    "InviteReward",
    "IssueDecision",
    "IssueTrigger",
    "LastOrderAged",
    "LimitedTimePrice",
    "LockCoupon",
    "MemberInvited",
    "MemberJoined",
    "MemberPrice",
    "NewCustomerReduction",
    "NewMemberGiftPack",
    "NoThresholdCoupon",
    "NthItemDiscount",
    "OrderPaid",
    "OrderUnpaid",
    "PercentOffCoupon",
    "PercentageDiscount",
    "Promotion",
    "PromotionBase",
    "ReductionTier",
    "RepeatingReduction",
    "RepurchaseIncentive",
    "ReturnCoupon",
    "ShareToGet",
    "SkuPrice",
    "TierRate",
    "TierSkuPrice",
    "UnlockCoupon",
    "UnpaidOrderReminder",
    "UseCoupon",
    "Wallet",
    "WalletCommand",
    "WalletEntry",
    "claim_coupon",
]
