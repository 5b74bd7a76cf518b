"""Options the columnar kernels do not price send the scenario to the exact engine.

Two engines, one answer: a rule option that only the checkout prices must
not be priced differently by the columnar engine, so `columnar_plan`
refuses it and says why, and ``engine="auto"`` runs the exact engine.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sirui.commission import CommissionPlan, RateRule
from sirui.core.money import Money, Rounding
from sirui.loyalty.points import EarnRule, ItemMultiplier
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


def test_the_defaults_stay_on_the_columnar_engine() -> None:
    plan, reason = columnar_plan(
        Scenario("plain", points=EarnRule(), commission=CommissionPlan((RateRule("all", "0.05"),)))
    )
    assert plan is not None and reason == ""
