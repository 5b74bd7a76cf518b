"""Delivery minimum (起送金额) and delivery range by distance or zone, as operators set them."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout._shop import MONTH, NOW, both, cart, claim, y
from checkout._steps import PointsDeduction
from examples_budget import scaled
from sirui.checkout import (
    DeliveryZone,
    Destination,
    DistanceTier,
    MinOrderBasis,
    OrderMinimum,
    ShippingPolicy,
    quote,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError, InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment
from sirui.promotions import AmountOffCoupon, FullReduction, ReductionTier

PICKUP = Fulfillment.PICKUP
MIN_20 = ShippingPolicy(minimums=y(20))
TIERS = ShippingPolicy(distance_tiers=[DistanceTier(3000, y(5)), DistanceTier(5000, y(8))])


def at(metres: int) -> Destination:
    return Destination(distance_m=metres)


def in_store(c: Cart, store: str) -> Cart:
    return attrs.evolve(c, store=store)


# -- the delivery minimum ---------------------------------------------------------------


def test_an_18_yuan_delivery_is_refused_2_yuan_short_of_the_20_yuan_minimum() -> None:
    """起送¥20: an 18-yuan delivery order is refused, 差¥2起送; picked up, it is accepted."""
    q = quote(cart(("A", 18, 1)), NOW, shipping=MIN_20)
    assert not q.accepted
    (why,) = q.refusals
    assert why.code == "checkout.below_delivery_minimum"
    assert why.params["short"] == y(2)
    assert "差¥2.00起送" in why.zh
    assert why.en.startswith("¥2.00 more to reach the delivery minimum")
    # Still priced: the shopper sees the total next to what is missing.
    assert q.payable == y(28)

    picked_up = quote(cart(("A", 18, 1), fulfillment=PICKUP), NOW, shipping=MIN_20)
    assert picked_up.accepted and picked_up.refusals == ()
    assert picked_up.payable == y(18)


def test_exactly_the_minimum_is_delivered() -> None:
    assert quote(cart(("A", 20, 1)), NOW, shipping=MIN_20).accepted
    assert not quote(cart(("A", "19.99", 1)), NOW, shipping=MIN_20).accepted


def test_the_minimum_counts_goods_after_discounts_before_shipping_and_points() -> None:
    """满30减5 on a 30-yuan cart leaves 25: short of 起送¥26 by ¥1; shipping and points aside."""
    fr = FullReduction("fr", tiers=[ReductionTier(y(30), y(5))])
    pol = ShippingPolicy(minimums=y(26))
    q = quote(cart(("A", 30, 1)), NOW, promotions=[fr], shipping=pol)
    assert q.goods_payable == y(25) and q.shipping_fee == y(10)
    assert q.refusals[0].params["short"] == y(1)
    # ¥6 of points (at most 20%) on a 30-yuan cart: 24 in cash, still 30 of goods.
    q = quote(cart(("A", 30, 1)), NOW, steps=[PointsDeduction(600, 20)], shipping=pol)
    assert q.goods_payable == y(24) and q.accepted


def test_a_coupon_counts_too_but_not_at_list_price() -> None:
    """A ¥5 coupon on a 22-yuan cart leaves 17, 差¥3起送; at list price the cart makes 20."""
    wallet = [claim("c1", AmountOffCoupon("five", validity=MONTH, off=y(5)))]
    q = quote(cart(("A", 22, 1)), NOW, coupons=wallet, chosen_coupons=["c1"], shipping=MIN_20)
    assert q.refusals[0].params["short"] == y(3)
    listed = attrs.evolve(MIN_20, min_order_basis=MinOrderBasis.GOODS_AT_LIST_PRICE)
    q = quote(cart(("A", 22, 1)), NOW, coupons=wallet, chosen_coupons=["c1"], shipping=listed)
    assert q.accepted and q.payable == y(27)


def test_each_store_has_its_own_minimum_and_pickup_only_when_configured() -> None:
    pol = ShippingPolicy(minimums=[
        OrderMinimum(y(20)), OrderMinimum(y(50), store="S02"),
        OrderMinimum(y(30), store="S02", fulfillment=PICKUP),
    ])
    c = cart(("A", 40, 1))
    assert quote(in_store(c, "S01"), NOW, shipping=pol).accepted
    (why,) = quote(in_store(c, "S02"), NOW, shipping=pol).refusals
    assert why.params["short"] == y(10)
    picked = cart(("A", 25, 1), fulfillment=PICKUP)
    (why,) = quote(in_store(picked, "S02"), NOW, shipping=pol).refusals
    assert why.code == "checkout.below_pickup_minimum" and why.params["short"] == y(5)
    assert quote(in_store(picked, "S01"), NOW, shipping=pol).accepted


# -- distance tiers and zones -----------------------------------------------------------


def test_4_2_km_is_in_the_3_to_5_km_tier_and_pays_8_yuan() -> None:
    q = quote(cart(("A", 30, 1)), NOW, shipping=TIERS, destination=at(4200))
    assert q.accepted
    assert (q.shipping_fee, q.payable) == (y(8), y(38))
    assert q.shipping_reason is not None
    assert q.shipping_reason.zh.startswith("距离4.2公里，运费¥8.00")


def test_5_01_km_is_out_of_range() -> None:
    q = quote(cart(("A", 30, 1)), NOW, shipping=TIERS, destination=at(5010))
    assert not q.accepted
    (why,) = q.refusals
    assert why.code == "checkout.out_of_range"
    assert why.zh == "距离5.01公里，超出配送范围（5公里内配送）"
    assert q.shipping_fee == y(0) and q.payable == y(30)


@pytest.mark.parametrize(
    ("metres", "fee"),
    [(0, 5), (2999, 5), (3000, 5), (3001, 8), (5000, 8)],
)
def test_a_tier_includes_its_upper_bound(metres: int, fee: int) -> None:
    """0-3 km ¥5, 3-5 km ¥8: exactly 3 km is in the first tier, a metre more in the second."""
    q = quote(cart(("A", 30, 1)), NOW, shipping=TIERS, destination=at(metres))
    assert q.accepted and q.shipping_fee == y(fee)


def test_the_free_shipping_threshold_still_waives_a_distance_fee() -> None:
    assert quote(cart(("A", 99, 1)), NOW, shipping=TIERS, destination=at(4200)).shipping_fee == y(0)


def test_pickup_needs_no_destination() -> None:
    q = quote(cart(("A", 30, 1), fulfillment=PICKUP), NOW, shipping=TIERS)
    assert q.accepted and q.payable == y(30)


def test_zones_price_by_the_zone_the_host_resolves() -> None:
    pol = ShippingPolicy(free_over=None, zones=[DeliveryZone("east", y(6))])
    q = quote(cart(("A", 30, 1)), NOW, shipping=pol, destination=Destination(zone="east"))
    assert q.accepted and q.shipping_fee == y(6)
    q = quote(cart(("A", 30, 1)), NOW, shipping=pol, destination=Destination(zone="north"))
    assert [r.code for r in q.refusals] == ["checkout.out_of_zone"]
    assert "north" not in q.refusals[0].zh


def test_out_of_range_and_below_the_minimum_are_both_said() -> None:
    pol = attrs.evolve(TIERS, minimums=(OrderMinimum(y(20)),))
    q = quote(cart(("A", 18, 1)), NOW, shipping=pol, destination=at(6000))
    assert [r.code for r in q.refusals] == [
        "checkout.out_of_range", "checkout.below_delivery_minimum",
    ]
    assert q.to_dict()["accepted"] is False


# -- misuse -----------------------------------------------------------------------------


def test_a_routed_delivery_without_its_destination_is_a_host_bug() -> None:
    with pytest.raises(InvalidValueError, match="distance_m"):
        quote(cart(("A", 30, 1)), NOW, shipping=TIERS)
    with pytest.raises(InvalidValueError, match="zone"):
        quote(cart(("A", 30, 1)), NOW, shipping=ShippingPolicy(zones=[DeliveryZone("e", y(1))]),
              destination=at(100))
    with pytest.raises(InvalidValueError, match="Destination"):
        quote(cart(("A", 30, 1)), NOW, shipping=TIERS, destination=4200)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Destination(distance_m=4.2),
        lambda: Destination(distance_m=-1),
        lambda: Destination(distance_m=True),
        Destination,
        lambda: Destination(zone=""),
    ],
)
def test_bad_destinations_are_refused(build: object) -> None:
    with pytest.raises(InvalidValueError):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    "build",
    [
        lambda: DistanceTier(0, y(5)),
        lambda: DistanceTier(3.0, y(5)),
        lambda: DistanceTier(3000, 5.0),
        lambda: DistanceTier(3000, y(-1)),
        lambda: ShippingPolicy(distance_tiers=[DistanceTier(3000, y(5)), DistanceTier(3000, y(8))]),
        lambda: ShippingPolicy(distance_tiers=[DistanceTier(3000, y(8)), DistanceTier(5000, y(5))]),
        lambda: ShippingPolicy(distance_tiers=[DistanceTier(3000, y(5))],
                               zones=[DeliveryZone("e", y(1))]),
        lambda: ShippingPolicy(zones=[DeliveryZone("e", y(1)), DeliveryZone("e", y(2))]),
        lambda: ShippingPolicy(minimums=[OrderMinimum(y(1)), OrderMinimum(y(2))]),
        lambda: ShippingPolicy(minimums=[y(20)]),
        lambda: ShippingPolicy(min_order_basis="goods_after_discounts"),
        lambda: OrderMinimum(20.0),
        lambda: OrderMinimum(y(20), fulfillment="pickup"),
        lambda: OrderMinimum(y(20), store=""),
        lambda: DeliveryZone("", y(1)),
    ],
)
def test_bad_delivery_rules_are_refused_on_construction(build: object) -> None:
    with pytest.raises(InvalidPolicyError):
        build()  # type: ignore[operator]


def test_a_farther_cheaper_tier_says_how_to_fix_it() -> None:
    with pytest.raises(InvalidPolicyError, match="at least the fee of the tier before"):
        ShippingPolicy(distance_tiers=[DistanceTier(3000, y(8)), DistanceTier(5000, y(5))])


def test_delivery_rules_load_and_dump() -> None:
    pol = ShippingPolicy(
        minimums=[OrderMinimum(y(20)), OrderMinimum(y(30), store="S02", fulfillment=PICKUP)],
        min_order_basis=MinOrderBasis.GOODS_AT_LIST_PRICE,
        distance_tiers=[DistanceTier(5000, y(8)), DistanceTier(3000, y(5))],
    )
    assert load(dump(pol)) == pol
    assert dump(pol)["distance_tiers"][0]["up_to_m"] == 3000
    zoned = ShippingPolicy(zones=[DeliveryZone("east", y(6))])
    assert load(dump(zoned)) == zoned
    # A policy saved before these options loads with none of them.
    assert load({"type": "shipping.policy"}) == ShippingPolicy()


# -- properties -------------------------------------------------------------------------


@st.composite
def tier_ladders(draw: st.DrawFn) -> ShippingPolicy:
    bounds = sorted(draw(st.sets(st.integers(1, 20_000), min_size=1, max_size=5)))
    steps = draw(st.lists(st.integers(0, 1_000), min_size=len(bounds), max_size=len(bounds)))
    fees, total = [], 0
    for s in steps:
        total += s
        fees.append(total)
    free_over = draw(st.none() | st.integers(0, 20_000).map(Money))
    return ShippingPolicy(
        free_over=free_over,
        distance_tiers=[DistanceTier(b, Money(f)) for b, f in zip(bounds, fees, strict=True)],
    )


@given(tier_ladders(), st.integers(0, 25_000), st.integers(0, 25_000), st.integers(0, 30_000))
def test_the_fee_never_falls_as_the_distance_grows_and_is_never_negative(
    pol: ShippingPolicy, a: int, b: int, goods: int
) -> None:
    c = cart(("A", 1, 1))
    near, far = sorted((a, b))
    last = pol.distance_tiers[-1].up_to_m
    fee_near, _, refused_near = pol.decide_fen(c, goods, at(near))
    fee_far, _, refused_far = pol.decide_fen(c, goods, at(far))
    assert fee_near >= 0 and fee_far >= 0
    assert bool(refused_near) == (near > last) and bool(refused_far) == (far > last)
    if far <= last:
        assert fee_near <= fee_far


@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_the_refusal_names_exactly_what_is_missing(minimum: int, goods: int) -> None:
    pol = ShippingPolicy(minimums=Money(minimum))
    _, _, refusals = pol.decide(cart(("A", 1, 1)), Money(goods))
    if goods >= minimum:
        assert refusals == ()
    else:
        (why,) = refusals
        assert why.params["short"] == Money(minimum - goods)
        assert why.params["short"] + Money(goods) == why.params["minimum"]


@settings(max_examples=scaled(30))
@given(st.integers(1, 60), st.integers(1, 5), st.integers(0, 9_000), st.integers(0, 8_000))
def test_a_quote_is_refused_exactly_when_the_goods_fall_short(
    price: int, qty: int, minimum: int, metres: int
) -> None:
    pol = attrs.evolve(TIERS, minimums=(OrderMinimum(Money(minimum * 10)),))
    q = quote(cart(("A", price, qty)), NOW, shipping=pol, destination=at(metres))
    goods = q.goods_payable.minor
    short = [r.params["short"].minor for r in q.refusals
             if r.code == "checkout.below_delivery_minimum"]
    assert short == ([minimum * 10 - goods] if goods < minimum * 10 else [])
    assert q.accepted == (not short and metres <= 5000)




# -- the best-coupon search keeps the order deliverable --------------------------------


def test_the_search_does_not_pick_a_coupon_that_takes_the_order_below_the_minimum() -> None:
    """起送¥20, a 22-yuan cart and a ¥5 coupon: 17 would be refused, so the coupon waits."""
    wallet = [claim("c1", AmountOffCoupon("five", validity=MONTH, off=y(5)))]
    q = both(cart(("A", 22, 1)), NOW, coupons=wallet, shipping=MIN_20)
    assert q.accepted and q.coupons_used == ()
    assert q.payable == y(32)  # 22 + ¥10 delivery


def test_the_search_takes_the_biggest_coupon_that_keeps_the_order_deliverable() -> None:
    """¥5 would leave 17 (refused); ¥2 leaves exactly 20, 起送¥20: the ¥2 coupon is used."""
    wallet = [
        claim("c1", AmountOffCoupon("five", validity=MONTH, off=y(5))),
        claim("c2", AmountOffCoupon("two", validity=MONTH, off=y(2))),
    ]
    q = both(cart(("A", 22, 1)), NOW, coupons=wallet, shipping=MIN_20)
    assert q.accepted and q.coupons_used == ("c2",)
    assert q.goods_payable == y(20)
    # The ¥5 coupon says why it waits: the minimum, not "the combination saves more".
    why = q.why_not("c1")
    assert why is not None and why.code == "stacking.keeps_order_minimum"
    assert why.zh == (
        "用此券后订单低于起送（起购）金额，已改选满足的组合（组合省¥2.00，本券单用省¥5.00）"
    )


def test_when_no_choice_is_deliverable_the_cheapest_refused_quote_is_shown() -> None:
    """An 18-yuan cart is short with or without a coupon: the ¥5 coupon still shows 13."""
    wallet = [claim("c1", AmountOffCoupon("five", validity=MONTH, off=y(5)))]
    q = both(cart(("A", 18, 1)), NOW, coupons=wallet, shipping=MIN_20)
    assert not q.accepted and q.coupons_used == ("c1",)
    assert q.refusals[0].params["short"] == y(7)


@settings(max_examples=scaled(30))
@given(
    price=st.integers(1, 60),
    offs=st.lists(st.integers(1, 30), min_size=1, max_size=4),
    minimum=st.integers(1, 60),
)
def test_an_accepted_order_stays_accepted_whatever_the_wallet(
    price: int, offs: list[int], minimum: int
) -> None:
    """If the cart is deliverable without coupons, the chosen coupons keep it deliverable,
    and both paths choose alike."""
    pol = ShippingPolicy(minimums=y(minimum))
    wallet = [claim(f"c{i}", AmountOffCoupon(f"t{i}", validity=MONTH, off=y(off)))
              for i, off in enumerate(offs)]
    bare = quote(cart(("A", price, 1)), NOW, shipping=pol)
    q = both(cart(("A", price, 1)), NOW, coupons=wallet, shipping=pol)
    if bare.accepted:
        assert q.accepted
        assert q.goods_payable >= y(minimum)
    assert q.payable <= bare.payable or not bare.accepted
