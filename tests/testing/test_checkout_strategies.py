"""The strategies for the options of issue 20: valid, round-tripping, and reaching every option.

`sirui.testing.promotions` draws ``BuyNGetMFree.max_sets``,
``PercentageDiscount.rounding_scope`` and `QuantityReduction`;
`sirui.testing.checkout` draws shipping rules with delivery minimums, both
minimum bases, and (opt-in) distance tiers or zones with a destination to
match.
"""

from __future__ import annotations

from hypothesis import find, given, settings

import sirui.config
from checkout._shop import NOW
from examples_budget import scaled
from sirui.checkout import (
    Destination,
    MinOrderBasis,
    OrderMinimum,
    ShippingPolicy,
    quote,
)
from sirui.config import dumps_json, loads_json
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment
from sirui.promotions import BuyNGetMFree, PercentageDiscount, QuantityReduction, RoundingScope
from sirui.testing import carts
from sirui.testing.checkout import (
    destinations,
    order_minimums,
    routed_shipping,
    shipping_policies,
)
from sirui.testing.promotions import promotions, quantity_tiers

FEW = settings(max_examples=scaled(30))


def round_trips(value: object) -> None:
    assert sirui.config.load(sirui.config.dump(value)) == value
    assert loads_json(dumps_json(value), type(value)) == value


@FEW
@given(shipping_policies())
def test_default_shipping_policies_are_not_routed_and_round_trip(policy: ShippingPolicy) -> None:
    assert not policy.routed
    round_trips(policy)


@FEW
@given(routed_shipping())
def test_routed_policies_round_trip_and_their_destination_matches(
    routed: tuple[ShippingPolicy, Destination],
) -> None:
    policy, destination = routed
    assert policy.routed
    assert not (policy.distance_tiers and policy.zones)
    round_trips(policy)
    if policy.distance_tiers:
        assert destination.distance_m is not None
    else:
        assert destination.zone is not None


@FEW
@given(destinations())
def test_destinations_without_a_policy_name_a_distance_or_a_zone(d: Destination) -> None:
    assert d.distance_m is not None or d.zone is not None


@FEW
@given(carts(max_lines=4), routed_shipping())
def test_a_routed_quote_with_its_destination_prices_and_refuses_without_raising(
    cart: object, routed: tuple[ShippingPolicy, Destination]
) -> None:
    policy, destination = routed
    q = quote(cart, NOW, shipping=policy, destination=destination)  # type: ignore[arg-type]
    assert q.shipping_fee.minor >= 0
    if q.refusals and any(r.code in ("checkout.out_of_range", "checkout.out_of_zone")
                          for r in q.refusals):
        assert q.shipping_fee.minor == 0


@FEW
@given(quantity_tiers())
def test_quantity_tiers_rise_in_items_and_amount(tiers: tuple[object, ...]) -> None:
    QuantityReduction("q", tiers=tiers)  # the validator accepts them


@FEW
@given(promotions(live_at=NOW))
def test_promotions_round_trip_with_their_options(p: object) -> None:
    round_trips(p)


# -- every option is reached -------------------------------------------------------------

def test_promotions_draw_every_new_option() -> None:
    find(promotions(), lambda p: isinstance(p, BuyNGetMFree) and p.max_sets is not None)
    find(promotions(), lambda p: isinstance(p, BuyNGetMFree) and p.max_sets is None)
    find(promotions(), lambda p: isinstance(p, PercentageDiscount)
         and p.rounding_scope is RoundingScope.PER_LINE)
    find(promotions(), lambda p: isinstance(p, PercentageDiscount)
         and p.rounding_scope is RoundingScope.PER_ORDER)
    find(promotions(), lambda p: isinstance(p, QuantityReduction) and len(p.tiers) > 1)


def test_shipping_policies_draw_every_new_option() -> None:
    find(order_minimums(), lambda m: isinstance(m, Money))
    find(order_minimums(), lambda m: isinstance(m, tuple) and any(
        isinstance(x, OrderMinimum) and x.fulfillment is Fulfillment.PICKUP
        and x.store is not None for x in m))
    find(shipping_policies(), lambda p: bool(p.minimums)
         and p.min_order_basis is MinOrderBasis.GOODS_AT_LIST_PRICE)
    find(shipping_policies(routed=True), lambda p: len(p.distance_tiers) > 1)
    find(shipping_policies(routed=True), lambda p: len(p.zones) > 1)
    find(routed_shipping(), lambda r: bool(r[0].distance_tiers) and r[1].distance_m is not None
         and r[1].distance_m > r[0].distance_tiers[-1].up_to_m)
    find(routed_shipping(), lambda r: bool(r[0].distance_tiers) and r[1].distance_m
         in {t.up_to_m for t in r[0].distance_tiers})
    find(routed_shipping(), lambda r: bool(r[0].zones) and r[1].zone not in {
        z.id for z in r[0].zones})

