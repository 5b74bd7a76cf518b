"""Hypothesis strategies for checkout policies: shipping rules and where a delivery goes.

`shipping_policies` draws the fee rule (base fee, free-shipping threshold,
per-tier thresholds, pickup) with its delivery minimums (起送金额, per store
and fulfilment, counted on either `MinOrderBasis`). Routed rules, priced by
distance (`DistanceTier`) or delivery zone (`DeliveryZone`), are opt-in: a
delivery under them needs a `Destination`, and a quote without one raises,
so ``shipping_policies()`` never draws them and ``shipping_policies(routed=True)``
always does. Draw the destination for a routed rule with `destinations`
(mostly in range, often exactly on a band's bound, sometimes beyond), or
both at once with `routed_shipping`::

    from hypothesis import given
    from sirui.checkout import quote
    from sirui.testing import carts
    from sirui.testing.checkout import routed_shipping

    @given(carts(), routed_shipping())
    def test_out_of_range_has_no_fee(cart, routed):
        shipping, destination = routed
        q = quote(cart, NOW, shipping=shipping, destination=destination)
        ...

Every strategy builds valid values only (the policies load back from their
config form). Amounts are CNY, sized like the carts of `sirui.testing`.
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from sirui.checkout import (
    DeliveryZone,
    Destination,
    DistanceTier,
    MinOrderBasis,
    OrderMinimum,
    ShippingPolicy,
)
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment
from sirui.testing import STORES, TIERS, money

__all__ = [
    "ZONE_IDS",
    "delivery_zones",
    "destinations",
    "distance_tiers",
    "order_minimums",
    "routed_shipping",
    "shipping_policies",
]

#: Zone ids `delivery_zones` lists; `destinations` also draws ``"far"``, listed by none.
ZONE_IDS = ("east", "west", "north", "south")
_UNLISTED_ZONE = "far"


def _order_minimum() -> st.SearchStrategy[OrderMinimum]:
    return st.builds(
        OrderMinimum,
        money(0, 30_000),
        store=st.none() | st.sampled_from(STORES),
        fulfillment=st.sampled_from(
            [Fulfillment.DELIVERY, Fulfillment.DELIVERY, Fulfillment.PICKUP]
        ),
    )


def order_minimums() -> st.SearchStrategy[Money | tuple[OrderMinimum, ...]]:
    """起送金额 as `ShippingPolicy.minimums` takes them: none (often), one Money, or a list.

    A list holds at most one minimum per store (or every store) and fulfilment,
    mostly for delivery, some for pickup.
    """
    return st.one_of(
        st.just(()),
        st.just(()),
        money(0, 30_000),
        st.lists(
            _order_minimum(), min_size=1, max_size=4,
            unique_by=lambda m: (m.store or "", m.fulfillment.value),
        ).map(tuple),
    )


@st.composite
def distance_tiers(draw: st.DrawFn, max_tiers: int = 4) -> tuple[DistanceTier, ...]:
    """Bands of 0.5-10 km: strictly rising bounds, each fee at least the nearer band's."""
    n = draw(st.integers(1, max_tiers))
    bounds = sorted(draw(st.sets(st.integers(500, 10_000), min_size=n, max_size=n)))
    fees = sorted(draw(st.lists(st.integers(0, 2_000), min_size=n, max_size=n)))
    return tuple(DistanceTier(b, Money(f)) for b, f in zip(bounds, fees, strict=True))


def delivery_zones(max_zones: int = 3) -> st.SearchStrategy[tuple[DeliveryZone, ...]]:
    """One to ``max_zones`` zones of `ZONE_IDS`, each with its fee (0-20 yuan)."""
    return st.lists(
        st.builds(DeliveryZone, st.sampled_from(ZONE_IDS), money(0, 2_000)),
        min_size=1, max_size=max_zones, unique_by=lambda z: z.id,
    ).map(tuple)


@st.composite
def shipping_policies(draw: st.DrawFn, routed: bool = False) -> ShippingPolicy:
    """Shipping rules with their fee, thresholds, pickup and delivery minimums.

    ``routed=True`` draws rules priced by distance tiers or by zones (half
    each); a quote of a delivery under them needs a `Destination` (see
    `destinations`). The default draws none: a delivery quotes without one.
    """
    free_over = draw(st.one_of(st.just(Money(9_900)), st.none(), money(0, 30_000)))
    policy = ShippingPolicy(
        base_fee=draw(money(0, 2_000)),
        free_over=free_over,
        tier_free_over=draw(st.dictionaries(st.sampled_from(TIERS), money(0, 30_000),
                                            max_size=2)),
        pickup_free=draw(st.sampled_from([True, True, False])),
        minimums=draw(order_minimums()),
        min_order_basis=draw(st.sampled_from(MinOrderBasis)),
    )
    if not routed:
        return policy
    if draw(st.booleans()):
        return attrs.evolve(policy, distance_tiers=draw(distance_tiers()))
    return attrs.evolve(policy, zones=draw(delivery_zones()))


def destinations(policy: ShippingPolicy | None = None) -> st.SearchStrategy[Destination]:
    """Where a delivery goes, drawn to match ``policy`` when it is routed.

    Under distance tiers: a distance in range (mostly), exactly on a band's
    upper bound or one metre past it, or beyond the last band (refused).
    Under zones: a listed zone (mostly) or ``"far"``, listed by none
    (refused). Without a routed policy: a distance, a zone, or both.
    """
    if policy is not None and policy.distance_tiers:
        bounds = [t.up_to_m for t in policy.distance_tiers]
        last = bounds[-1]
        metres = st.one_of(
            st.integers(0, last), st.integers(0, last),
            st.sampled_from(bounds), st.sampled_from([b + 1 for b in bounds]),
            st.integers(last + 1, last + 5_000),
        )
        return st.builds(Destination, distance_m=metres)
    if policy is not None and policy.zones:
        ids = [z.id for z in policy.zones]
        return st.builds(Destination, zone=st.sampled_from([*ids, *ids, _UNLISTED_ZONE]))
    distance = st.integers(0, 15_000)
    zone = st.sampled_from([*ZONE_IDS, _UNLISTED_ZONE])
    return st.one_of(
        st.builds(Destination, distance_m=distance),
        st.builds(Destination, zone=zone),
        st.builds(Destination, distance_m=distance, zone=zone),
    )


def routed_shipping() -> st.SearchStrategy[tuple[ShippingPolicy, Destination]]:
    """A routed shipping rule (``shipping_policies(routed=True)``) and a destination for it."""
    return shipping_policies(routed=True).flatmap(
        lambda p: st.tuples(st.just(p), destinations(p))
    )
