"""The fen fast path on drawn shipping rules, routed ones with a destination drawn to match.

`sirui.testing.checkout.shipping_policies` draws fees, thresholds, pickup and
delivery minimums (both `MinOrderBasis`); ``routed=True`` adds distance tiers
or zones, and `destinations` draws where the delivery goes for them (in
range, on a band's bound, one metre past it, beyond; a listed zone or not).
The promotions come from `sirui.testing.promotions`, with the options of
issue 20 (``max_sets``, ``rounding_scope``, `QuantityReduction`). Both paths
must give the very same quote, refusals included.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout._shop import NOW, straightforward
from checkout.test_fast_path import orders, same_both_ways
from examples_budget import scaled
from sirui.checkout import ShippingPolicy, quote
from sirui.core.errors import InvalidValueError
from sirui.core.nouns import Fulfillment
from sirui.testing import carts
from sirui.testing.checkout import shipping_policies

_SHIPPINGS = st.one_of(shipping_policies(), shipping_policies(routed=True))


@settings(max_examples=scaled(60))
@given(orders(_SHIPPINGS))
def test_fen_and_straightforward_quotes_agree_on_drawn_shipping(order: dict[str, Any]) -> None:
    fast = same_both_ways(order["cart"], **{k: v for k, v in order.items() if k != "cart"})
    assert fast.shipping_fee.minor >= 0


@settings(max_examples=scaled(20))
@given(carts(max_lines=3), shipping_policies(routed=True))
def test_a_routed_delivery_without_destination_raises_on_both_paths(
    cart: Any, shipping: ShippingPolicy
) -> None:
    if cart.fulfillment is not Fulfillment.DELIVERY:
        return
    with pytest.raises(InvalidValueError):
        quote(cart, NOW, shipping=shipping)
    with straightforward(), pytest.raises(InvalidValueError):
        quote(cart, NOW, shipping=shipping)
