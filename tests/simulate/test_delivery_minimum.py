"""A what-if of a delivery minimum (起送金额): the exact replay counts the orders it refuses."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sirui.checkout import OrderMinimum, ShippingPolicy
from sirui.core import Money
from sirui.simulate import Scenario, simulate
from sirui.simulate.columnar import columnar_plan

CODE = "checkout.below_delivery_minimum"


def _orders() -> Any:
    """Three delivery orders of 18, 25 and 30 yuan and one 12-yuan pickup, member M1."""
    return pd.DataFrame({
        "order_id": ["O1", "O2", "O3", "O4"],
        "member_id": ["M1"] * 4,
        "sku": ["A"] * 4,
        "paid_at": [f"2026-07-0{d}T10:00:00+08:00" for d in (1, 2, 3, 4)],
        "quantity": [1] * 4,
        "unit_price_fen": [1800, 2500, 3000, 1200],
        "fulfillment": ["delivery", "delivery", "delivery", "pickup"],
    })


def test_raising_the_minimum_to_26_yuan_would_refuse_two_delivery_orders() -> None:
    """起送¥26: the 18- and 25-yuan deliveries fall short; the 30-yuan one and the pickup pass."""
    members = pd.DataFrame({"member_id": ["M1"], "tier": ["normal"]})
    scenario = Scenario("min-26", shipping=ShippingPolicy(minimums=[OrderMinimum(Money.of("26"))]))
    assert columnar_plan(scenario)[0] is None  # the exact engine prices minimums
    result = simulate(_orders(), members, scenario)
    assert result.engine == "exact"
    assert result.summary["orders_by_reason"].get(CODE) == 2
    refused = result.orders[result.orders.reasons.str.contains(CODE, regex=False)]
    assert sorted(refused.order_id) == ["O1", "O2"]

    baseline = simulate(_orders(), members, Scenario("no-minimum"))
    assert CODE not in baseline.summary["orders_by_reason"]
