"""Promotions (促销) and coupons (优惠券): order offers, coupon templates, wallets, triggers.

Layer 2 of sirui: policies only. The checkout (`sirui.checkout`) composes
them into quotes; this package never imports it.
"""

from sirui.promotions.base import Coupon, CouponTemplate, Promotion

__all__ = ["Coupon", "CouponTemplate", "Promotion"]
