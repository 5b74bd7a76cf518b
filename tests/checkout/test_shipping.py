"""Shipping: base fee, free over a threshold by tier, pickup, free-shipping offers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout._shop import MONTH, NOW, cart, claim, y
from checkout._steps import PointsDeduction
from sirui.checkout import ShippingPolicy, TierThreshold, quote
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.nouns import Fulfillment, Member
from sirui.promotions import FreeShippingCoupon, FreeShippingOver
from sirui.rules import SHIPPING_LINE, Stage
from sirui.testing import TIERS, money

SILVER = Member("m1", tier="silver", paid_orders=1)


def test_below_the_threshold_pays_the_base_fee() -> None:
    """包邮99, fee 10: an 80-yuan cart pays 90."""
    q = quote(cart(("A", 80, 1)), NOW, shipping=ShippingPolicy())
    assert (q.goods_payable, q.shipping_fee, q.payable) == (y(80), y(10), y(90))
    assert q.shipping_reason is not None
    assert q.shipping_reason.params["short"] == y(19)


def test_gold_members_ship_free_from_49() -> None:
    """Gold free from 49, others from 99: a 60-yuan cart is free for gold, 70 for silver."""
    pol = ShippingPolicy(tier_free_over={"gold": y(49)})
    assert quote(cart(("A", 60, 1)), NOW, shipping=pol).payable == y(60)
    assert quote(cart(("A", 60, 1), member=SILVER), NOW, shipping=pol).payable == y(70)


def test_pickup_orders_pay_no_shipping() -> None:
    q = quote(cart(("A", 20, 1), fulfillment=Fulfillment.PICKUP), NOW, shipping=ShippingPolicy())
    assert q.payable == y(20)
    assert q.shipping_reason.code == "checkout.shipping_pickup"


def test_free_shipping_promotion_waives_the_fee_to_the_shipping_line() -> None:
    """满59包邮 promotion under a 99 mall threshold: a 60-yuan cart pays 60."""
    promo = FreeShippingOver("ship59", threshold=y(59))
    q = quote(cart(("A", 60, 1)), NOW, promotions=[promo], shipping=ShippingPolicy())
    assert q.payable == y(60)
    adj = q.adjustments[-1]
    assert adj.stage is Stage.SHIPPING
    assert adj.allocations == ((SHIPPING_LINE, y(10)),)


def test_promotion_first_then_no_fee_left_for_the_coupon() -> None:
    promo = FreeShippingOver("ship0", threshold=y(0))
    wallet = [claim("ship", FreeShippingCoupon("fs", validity=MONTH))]
    c = cart(("A", 60, 1))
    q = quote(c, NOW, promotions=[promo], coupons=wallet, shipping=ShippingPolicy())
    assert q.payable == y(60)
    assert q.coupons_used == ()
    assert q.why_not("ship").code == "promotion.no_shipping_fee"  # type: ignore[union-attr]


def test_points_never_push_the_order_below_free_shipping() -> None:
    """100-yuan cart, 1000 points (10 yuan) deducted: goods 90 cash, still ships free."""
    q = quote(cart(("A", 100, 1)), NOW, steps=[PointsDeduction(1000)], shipping=ShippingPolicy())
    assert (q.goods_payable, q.shipping_fee, q.payable, q.points_used) == (y(90), y(0), y(90), 1000)


def test_no_policy_means_no_shipping() -> None:
    assert quote(cart(("A", 1, 1)), NOW).shipping_fee == y(0)


def test_never_free_when_threshold_is_none() -> None:
    q = quote(cart(("A", 500, 1)), NOW, shipping=ShippingPolicy(free_over=None))
    assert q.payable == y(510)


def test_bad_shipping_policies_are_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        ShippingPolicy(base_fee=y(-1))
    with pytest.raises(InvalidPolicyError):
        ShippingPolicy(tier_free_over=[TierThreshold("gold", y(1)), TierThreshold("gold", y(2))])
    with pytest.raises(InvalidPolicyError):
        TierThreshold("", y(1))


@given(
    money(0, 5_000), st.none() | money(0, 50_000),
    st.dictionaries(st.sampled_from(TIERS), money(0, 50_000), max_size=3), st.booleans(),
)
def test_shipping_policy_round_trips(fee, free_over, tiers, pickup) -> None:  # type: ignore[no-untyped-def]
    pol = ShippingPolicy(fee, free_over, tiers, pickup)
    assert load(dump(pol)) == pol


@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_fee_never_rises_with_the_goods_amount(a: int, b: int) -> None:
    pol = ShippingPolicy(tier_free_over={"gold": y(49)})
    c = cart(("A", 1, 1))
    lo, hi = sorted((a, b))
    assert pol.fee(c, y(0) + y(0).__class__(hi))[0] <= pol.fee(c, y(0).__class__(lo))[0]
