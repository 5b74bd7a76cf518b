"""Options the columnar kernels do not price send the scenario to the exact engine.

Two engines, one answer: a rule option that only the checkout prices must
not be priced differently by the columnar engine, so `columnar_plan`
refuses it and says why, and ``engine="auto"`` runs the exact engine.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sirui.checkout import DeliveryZone, DistanceTier, OrderMinimum, ShippingPolicy
from sirui.commission import CommissionPlan, RateRule
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Fulfillment
from sirui.loyalty.points import EarnRule, ItemMultiplier
from sirui.promotions import (
    BuyNGetMFree,
    PercentageDiscount,
    Promotion,
    QuantityReduction,
    QuantityTier,
    RoundingScope,
)
from sirui.rules import ItemScope
from sirui.simulate import Scenario
from sirui.simulate.columnar import columnar_plan

MILK_X2 = ItemMultiplier(ItemScope(categories={"母婴/奶粉"}), Decimal(2), name="奶粉双倍")


@pytest.mark.parametrize(
    ("scenario", "why"),
    [
        (Scenario("min", points=EarnRule(min_order=Money.of("50"))), "min_order"),
        (Scenario("x2", points=EarnRule(item_multipliers=(MILK_X2,))), "item multipliers"),
        (Scenario("floor", commission=CommissionPlan((RateRule("all", "0.05"),),
                                                    rounding=Rounding.DOWN)), "rounding DOWN"),
        (Scenario("ship", commission=CommissionPlan((RateRule("all", "0.05"),),
                                                   counts_shipping=True)), "counts_shipping"),
    ],
)
def test_unpriced_options_are_refused_with_a_reason(scenario: Scenario, why: str) -> None:
    plan, reason = columnar_plan(scenario)
    assert plan is None
    assert why in reason


@pytest.mark.parametrize(
    ("promotion", "why"),
    [
        (BuyNGetMFree("b2g1-once", buy=2, free=1, max_sets=1), "max_sets"),
        (PercentageDiscount("88-line", rate="0.88", rounding_scope=RoundingScope.PER_LINE),
         "rounding_scope PER_LINE"),
        (QuantityReduction("2items-3off", tiers=(QuantityTier(2, Money.of("3")),)),
         "QuantityReduction has no columnar kernel"),
    ],
)
def test_unpriced_promotion_options_are_refused_by_name(promotion: Promotion, why: str) -> None:
    plan, reason = columnar_plan(Scenario("promo", promotions=(promotion,)))
    assert plan is None
    assert why in reason
    assert promotion.id in reason


def test_the_promotion_defaults_stay_on_the_columnar_engine() -> None:
    plan, reason = columnar_plan(Scenario("promo", promotions=(
        BuyNGetMFree("b2g1", buy=2, free=1),
        PercentageDiscount("88", rate="0.88", rounding_scope=RoundingScope.PER_ORDER),
    )))
    assert plan is not None and reason == ""


@pytest.mark.parametrize(
    ("shipping", "why"),
    [
        (ShippingPolicy(minimums=Money.of("20")), "delivery minimum"),
        (ShippingPolicy(minimums=[OrderMinimum(Money.of("20"), fulfillment=Fulfillment.PICKUP)]),
         "minimums"),
        (ShippingPolicy(distance_tiers=[DistanceTier(3000, Money.of("5"))]), "distance_tiers"),
        (ShippingPolicy(zones=[DeliveryZone("east", Money.of("6"))]), "zones"),
    ],
)
def test_delivery_minimum_and_range_go_to_the_exact_engine(
    shipping: ShippingPolicy, why: str
) -> None:
    plan, reason = columnar_plan(Scenario("ship", shipping=shipping))
    assert plan is None
    assert why in reason and reason.startswith("shipping:")


def test_a_plain_shipping_policy_stays_on_the_columnar_engine() -> None:
    plan, reason = columnar_plan(Scenario("ship", shipping=ShippingPolicy()))
    assert plan is not None and reason == ""


def test_the_defaults_stay_on_the_columnar_engine() -> None:
    plan, reason = columnar_plan(
        Scenario("plain", points=EarnRule(), commission=CommissionPlan((RateRule("all", "0.05"),)))
    )
    assert plan is not None and reason == ""
