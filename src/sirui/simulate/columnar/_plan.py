"""Which scenarios the columnar engine prices, and why not the others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from sirui.campaigns.groupbuy import GroupBuyPolicy
from sirui.campaigns.seckill import SeckillCampaign
from sirui.checkout.stacking import stacking_options
from sirui.commission import ExcludedItems, FixedPerItem, RateRule
from sirui.promotions import (
    BuyNGetMFree,
    FreeShippingOver,
    NthItemDiscount,
    PercentageDiscount,
    RoundingScope,
)
from sirui.rules.conditions import AllOf, AnyOf, Not
from sirui.rules.pricing import Stage
from sirui.simulate.columnar._conditions import _LEAF_CODES, _unsupported
from sirui.simulate.columnar._coupons import (
    COUPON_KERNELS,
    TRIGGER_KERNELS,
    VALIDITY_KERNELS,
    CouponPlan,
    coupon_plan,
)
from sirui.simulate.columnar._stage import _KERNELS, _Kernel
from sirui.simulate.engine import Scenario

#: Commission rules the columnar engine prices (their exact classes).
COMMISSION_KERNELS = (RateRule, FixedPerItem, ExcludedItems)

#: The campaigns whose prices the columnar engine computes (`_campaigns`); their stock is
#: replayed once for both engines (`sirui.simulate.campaigns`).
CAMPAIGN_KERNELS = (SeckillCampaign, GroupBuyPolicy)

#: Every class the columnar engine has a kernel for: promotions, the shipping stage's offers,
#: conditions (leaves and combinators), commission rules, coupon templates, their validity,
#: the issuing triggers and the campaign prices. The differential test must draw each of them.
KERNELS: tuple[type, ...] = (
    *_KERNELS, FreeShippingOver, *_LEAF_CODES, AllOf, AnyOf, Not, *COMMISSION_KERNELS,
    *COUPON_KERNELS, *VALIDITY_KERNELS, *TRIGGER_KERNELS, *CAMPAIGN_KERNELS,
)


@attrs.frozen
class ColumnarPlan:
    """What the columnar engine runs for a scenario, resolved once."""

    scenario: Scenario
    promotions: tuple[_Kernel, ...]
    """The promotion stage's, in stage order."""
    activity: tuple[_Kernel, ...] = ()
    """The activity stage's (限时价), in stage order."""
    member: tuple[_Kernel, ...] = ()
    """The member stage's (会员价 promotions, before the tier benefits), in stage order."""
    free_shipping: tuple[FreeShippingOver, ...] = ()
    """The shipping stage's 满额包邮 offers, in stage order."""
    coupons: CouponPlan | None = None
    """The coupon triggers' templates and wallets (None: no trigger issues a coupon)."""


def columnar_plan(scenario: Scenario) -> tuple[ColumnarPlan | None, str]:
    """The plan for ``scenario``, or None and why the exact engine must run it."""
    sc = scenario
    coupons = None
    if sc.triggers:
        coupons, why = coupon_plan(sc.triggers, sc.coupons, sc.stacking)
        if coupons is None:
            return None, why
        if not coupons.templates:
            coupons = None
    why = _unpriced_options(sc)
    if why:
        return None, why
    if sc.commission is not None:
        for r in sc.commission.rules:
            if type(r) not in COMMISSION_KERNELS:
                return None, f"commission rule {r.id}: {type(r).__name__} has no columnar kernel"
    promos: list[_Kernel] = []
    free_shipping: list[FreeShippingOver] = []
    for p in sc.promotions:
        if type(p) not in (*_KERNELS, FreeShippingOver):
            return None, f"promotion {p.id}: {type(p).__name__} has no columnar kernel"
        unsupported = _unsupported(p.condition)
        if unsupported is not None:
            return None, f"promotion {p.id}: condition {unsupported} has no columnar kernel"
        why = _unpriced_promotion_option(p)
        if why:
            return None, f"promotion {p.id}: {why}"
        if isinstance(p, FreeShippingOver):
            free_shipping.append(p)
        else:
            promos.append(p)  # type: ignore[arg-type]
    st = sc.stacking

    def ordered(stage: Stage, items: Sequence[Any]) -> tuple[Any, ...]:
        chosen = [p for p in items if p.stage is stage]
        return tuple(sorted(chosen, key=lambda p: (-st.priority_of(p.id, p.priority), p.id)))

    shipping = ordered(Stage.SHIPPING, free_shipping)
    if stacking_options(shipping, st) is not None:
        return None, "exclusion groups or exclusive offers among free-shipping offers"
    return ColumnarPlan(
        sc,
        ordered(Stage.PROMOTION, promos),
        free_shipping=shipping,
        activity=ordered(Stage.ACTIVITY, promos),
        member=ordered(Stage.MEMBER, promos),
        coupons=coupons,
    ), ""


def _unpriced_promotion_option(p: object) -> str:
    """An option of a promotion with a kernel that the kernel does not price yet, or ``""``."""
    if isinstance(p, BuyNGetMFree) and p.max_sets is not None:
        return "a limit of sets per order (max_sets) has no columnar kernel"
    if (
        isinstance(p, PercentageDiscount | NthItemDiscount)
        and p.rounding_scope is not RoundingScope.PER_ORDER
    ):
        return f"rounding_scope {p.rounding_scope.name} has no columnar kernel"
    return ""


def _unpriced_options(sc: Scenario) -> str:
    """Options of the points, commission and shipping rules the columnar kernels do not price yet.

    The exact engine prices them; refusing here keeps the two engines equal
    (a scenario that uses one runs on the exact engine, and says why).
    """
    from sirui.core.money import Rounding

    earn = sc.points
    if earn is not None and earn.min_order is not None:
        return "points: a minimum order to earn (min_order) has no columnar kernel"
    if earn is not None and earn.item_multipliers:
        return "points: item multipliers have no columnar kernel"
    plan = sc.commission
    if plan is not None and plan.rounding is not Rounding.HALF_UP:
        return f"commission: rounding {plan.rounding.name} has no columnar kernel"
    if plan is not None and plan.counts_shipping:
        return "commission: shipping in the base (counts_shipping) has no columnar kernel"
    ship = sc.shipping
    if ship is not None and ship.minimums:
        return "shipping: a delivery minimum (minimums) has no columnar kernel"
    if ship is not None and ship.routed:
        return "shipping: fees by distance or zone (distance_tiers, zones) have no columnar kernel"
    return ""
