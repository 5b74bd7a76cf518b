"""Hypothesis strategies for the simulation tests: scenarios, coupon setups and histories.

Small and shrinkable: a history is a handful of members and orders drawn
value by value, so a failing comparison shrinks to the few orders that tell
the engines apart. `kinds_of` names every kernel a drawn scenario holds, so
the differential test can check it drew each one the columnar engine has.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pendulum
from hypothesis import strategies as st

from sirui.checkout import StackingPolicy
from sirui.checkout.shipping import ShippingPolicy
from sirui.checkout.stacking import ExclusionGroup, RulePriority, SlotLimit
from sirui.commission import (
    AttributionPolicy,
    CommissionPlan,
    ExcludedItems,
    FixedPerItem,
    Precedence,
    RateRule,
)
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Fulfillment, Sku
from sirui.core.windows import (
    DaysAfterClaim,
    FixedValidity,
    MemberDay,
    MemberWeek,
    PeriodKind,
    Window,
)
from sirui.loyalty.members import (
    BenefitPolicy,
    CombineRule,
    GrowthRules,
    MemberDiscount,
    Perks,
    Tier,
    TierLadder,
    TierMetric,
    TierPerks,
    UpgradeMode,
)
from sirui.loyalty.points.earning import EarnRule, PointsCampaign
from sirui.promotions import (
    AfterPaymentGift,
    AmountOffCoupon,
    BundlePrice,
    BuyNGetMFree,
    FreeShippingOver,
    FullReduction,
    GiftWithPurchase,
    LimitedTimePrice,
    MemberPrice,
    NewCustomerReduction,
    NewMemberGiftPack,
    NoThresholdCoupon,
    NthItemDiscount,
    PercentageDiscount,
    PercentOffCoupon,
    ReductionTier,
    RepeatingReduction,
    RepurchaseIncentive,
)
from sirui.promotions.member import SkuPrice, TierRate, TierSkuPrice
from sirui.rules.conditions import (
    AllOf,
    Always,
    AmountAtLeast,
    AnyOf,
    CategoryIn,
    ChannelIn,
    Condition,
    FulfillmentIs,
    HasTag,
    InMemberWeek,
    NewCustomer,
    Not,
    OnMemberDay,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    WithinWindow,
)
from sirui.rules.pricing import Stage
from sirui.rules.scope import ItemScope
from sirui.simulate import Scenario

TZ = "Asia/Shanghai"
CATEGORIES = ("母婴/奶粉", "母婴/纸尿裤", "洗护", "辅食", "玩具")

_START = pendulum.datetime(2026, 6, 20, tz=TZ)


@st.composite
def scopes(draw: st.DrawFn) -> ItemScope:
    kind = draw(st.sampled_from(["all", "in", "out"]))
    cats = frozenset(draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2)))
    if kind == "in":
        return ItemScope(categories=cats)
    if kind == "out":
        return ItemScope(exclude_categories=cats)
    return ItemScope()


@st.composite
def windows(draw: st.DrawFn) -> Window | None:
    if draw(st.booleans()):
        return None
    start = _START.add(days=draw(st.integers(0, 90)), minutes=draw(st.integers(0, 1439)))
    end = start.add(days=draw(st.integers(1, 60))) if draw(st.booleans()) else None
    return Window(start, end)


@st.composite
def leaves(draw: st.DrawFn) -> Condition:
    kind = draw(st.integers(0, 12))
    if kind == 11:
        day = draw(st.integers(1, 31))
        return OnMemberDay(MemberDay(day) if day <= 28 else MemberDay(weekday=day - 24))
    if kind == 12:
        return InMemberWeek(MemberWeek(draw(st.integers(1, 28)), draw(st.integers(1, 10))))
    if kind == 0:
        return TierIn(draw(st.sets(st.sampled_from(["normal", "silver", "gold"]), min_size=1)))
    if kind == 1:
        return HasTag(draw(st.sampled_from(["pregnant", "qr:S01", "vip"])))
    if kind == 2:
        return NewCustomer()
    if kind == 3:
        return StoreIn({draw(st.sampled_from(["S01", "S02"]))})
    if kind == 4:
        return ChannelIn(draw(st.sets(st.sampled_from(["miniapp", "group", "live"]), min_size=1)))
    if kind == 5:
        return FulfillmentIs(draw(st.sampled_from(list(Fulfillment))))
    if kind == 6:
        return AmountAtLeast(Money(draw(st.integers(0, 600)) * 100))
    if kind == 7:
        return QuantityAtLeast(draw(st.integers(1, 6)))
    if kind == 8:
        return CategoryIn(draw(st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=2)))
    if kind == 9:
        return SkuIn(draw(st.sets(st.sampled_from(["FM3-800", "WP-80", "DP-XL"]), min_size=1)))
    window = draw(windows())
    return WithinWindow(window if window is not None else Window(_START))


def conditions() -> st.SearchStrategy[Condition]:
    return st.recursive(
        leaves(),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: AllOf(tuple(xs))),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
            inner.map(Not),
        ),
        max_leaves=4,
    )


@st.composite
def promotions(draw: st.DrawFn, i: int) -> Any:
    common: dict[str, Any] = {
        "scope": draw(scopes()),
        "window": draw(windows()),
        "priority": draw(st.integers(0, 2)),
    }
    if draw(st.booleans()):
        common["condition"] = draw(conditions())
    if draw(st.integers(0, 3)) == 0:
        common["exclusive"] = True
    else:
        common["group"] = draw(st.none() | st.sampled_from(["g1", "g2"]))
    if draw(st.integers(0, 3)) == 0:
        common["stacks_with_coupons"] = False  # its lines are closed to coupons
    kind = draw(
        st.sampled_from(
            [
                "full", "repeating", "percentage", "new", "nth", "free", "bundle", "member",
                "limited", "gift",
            ]
        )
    )
    if kind == "gift":
        cost = draw(st.none() | st.integers(0, 3000))
        return GiftWithPurchase(
            f"gift{i}",
            threshold=Money(draw(st.integers(1, 500)) * 100),
            gift=Sku("GIFT", Money(2990), cost=Money(cost) if cost is not None else None),
            quantity=draw(st.integers(1, 2)),
            repeat=draw(st.booleans()),
            max_sets=draw(st.none() | st.integers(1, 3)),
            stock=draw(st.none() | st.integers(0, 3)),
            **common,
        )
    if kind == "member":
        return MemberPrice(
            f"mp{i}",
            rates=tuple(
                TierRate(t, Decimal(r))
                for t, r in draw(st.dictionaries(
                    st.sampled_from(["normal", "silver", "gold"]),
                    st.sampled_from(["0.9", "0.95", "0.88"]),
                )).items()
            ),
            prices=tuple(
                TierSkuPrice(t, sku, Money(price))
                for (t, sku), price in draw(st.dictionaries(
                    st.tuples(st.sampled_from(["gold", "diamond"]),
                              st.sampled_from(["FM3-800", "WP-80", "DP-XL"])),
                    st.integers(100, 30000),
                    min_size=1,
                )).items()
            ),
            **common,
        )
    if kind == "limited":
        return LimitedTimePrice(
            f"ltp{i}",
            prices=tuple(
                SkuPrice(sku, Money(price))
                for sku, price in draw(st.dictionaries(
                    st.sampled_from(["FM3-800", "WP-80", "DP-XL", "FM1-800"]),
                    st.integers(100, 30000),
                    min_size=1,
                )).items()
            ),
            limit_per_order=draw(st.none() | st.integers(1, 2)),
            **{**common, "window": common["window"] or Window(_START)},
        )
    if kind == "free":
        return BuyNGetMFree(
            f"bogo{i}",
            buy=draw(st.integers(1, 2)),
            free=draw(st.integers(1, 2)),
            per_sku=draw(st.booleans()),
            **common,
        )
    if kind == "bundle":
        return BundlePrice(
            f"set{i}",
            n=draw(st.integers(2, 3)),
            price_per_bundle=Money(draw(st.integers(100, 40000))),
            max_bundles=draw(st.none() | st.integers(1, 2)),
            **common,
        )
    if kind == "nth":
        return NthItemDiscount(
            f"nth{i}",
            n=draw(st.integers(2, 3)),
            rate=Decimal(draw(st.sampled_from(["0.5", "0.8", "0.01", "0.333"]))),
            per_sku=draw(st.booleans()),
            **common,
        )
    if kind == "new":
        return NewCustomerReduction(f"nc{i}", off=Money(draw(st.integers(1, 3000))), **common)
    if kind == "percentage":
        rate = draw(st.sampled_from(["0.5", "0.88", "0.9", "0.95", "0.999", "1"]))
        cap = draw(st.none() | st.integers(1, 5000))
        return PercentageDiscount(
            f"pd{i}", rate=Decimal(rate), cap=Money(cap) if cap else None, **common
        )
    if kind == "full":
        thresholds = sorted(draw(st.sets(st.integers(50, 800), min_size=1, max_size=3)))
        offs = sorted(draw(st.sets(st.integers(1, 49), min_size=len(thresholds),
                                   max_size=len(thresholds))))
        tiers = tuple(
            ReductionTier(Money(t * 100), Money(o * 100)) for t, o in zip(thresholds, offs)
        )
        return FullReduction(f"fr{i}", tiers=tiers, **common)
    every = draw(st.integers(50, 300))
    off = draw(st.integers(1, every))
    cap = draw(st.none() | st.integers(off, off * 5))
    return RepeatingReduction(
        f"rr{i}", every=Money(every * 100), off=Money(off * 97),
        cap=Money(cap * 100) if cap is not None else None, **common,
    )


@st.composite
def scenarios(draw: st.DrawFn, coupons: bool = False, campaigns: bool = False) -> Scenario:
    """A random scenario the columnar engine prices; with ``coupons``, coupon triggers too;
    with ``campaigns``, flash sales, group-buys and lotteries."""
    benefits = None
    if draw(st.booleans()):
        perks = []
        for tier in draw(st.sets(st.sampled_from(["normal", "silver", "gold", "diamond"]))):
            rate = draw(st.sampled_from(["0.88", "0.9", "0.95", "0.975", "0.983", "1"]))
            perks.append(
                TierPerks(
                    tier,
                    Perks(
                        discount=MemberDiscount(Decimal(rate), draw(scopes()))
                        if draw(st.booleans()) else None,
                        points_multiplier=Decimal(draw(st.sampled_from(["1", "1.2", "1.5", "3"]))),
                    ),
                )
            )
        benefits = BenefitPolicy(tuple(perks), combine=draw(st.sampled_from(list(CombineRule))))
    promos = tuple(draw(promotions(i)) for i in range(draw(st.integers(0, 3))))
    points = None
    if draw(st.booleans()):
        campaigns = ()
        if draw(st.booleans()):
            campaigns = (PointsCampaign(Decimal(2), window=draw(windows())),)
        points = EarnRule(
            points_per_yuan=Decimal(draw(st.sampled_from(["1", "0.5", "2", "1.25"]))),
            rounding=draw(st.sampled_from(list(Rounding))),
            scope=draw(scopes()),
            campaigns=campaigns,
            per_order_cap=draw(st.none() | st.integers(1, 2000)),
            daily_cap=draw(st.none() | st.integers(1, 2000)),
        )
    ladder = draw(st.none() | ladders())
    stacking = StackingPolicy()
    if promos and draw(st.booleans()):
        stacking = StackingPolicy(
            priorities=(RulePriority(promos[0].id, draw(st.integers(-3, 3))),),
            exclusion_groups=(ExclusionGroup("og", frozenset(p.id for p in promos[-2:])),)
            if len(promos) > 1 else (),
            exclusive=frozenset({promos[-1].id}) if draw(st.booleans()) else frozenset(),
        )
    commission, attribution = None, AttributionPolicy()
    if draw(st.booleans()):
        commission = draw(commission_plans())
        attribution = AttributionPolicy(
            precedence=draw(st.sampled_from(list(Precedence))),
            share_window_days=draw(st.sampled_from([0, 1, 15])),
        )
    shipping = None
    if draw(st.booleans()):
        shipping = ShippingPolicy(
            base_fee=Money(draw(st.sampled_from([0, 600, 1000]))),
            free_over=draw(st.none() | st.sampled_from([Money(9900), Money(19900)])),
            tier_free_over={"gold": Money(4900)} if draw(st.booleans()) else {},
            pickup_free=draw(st.booleans()),
        )
    if draw(st.booleans()):  # the shipping stage's offers, outside the stacking above
        promos += tuple(
            FreeShippingOver(
                f"ship{i}",
                threshold=Money(draw(st.integers(0, 300)) * 100),
                scope=draw(scopes()),
                window=draw(windows()),
                condition=draw(conditions()) if draw(st.booleans()) else Always(),
            )
            for i in range(draw(st.integers(1, 2)))
        )
    templates: tuple[Any, ...] = ()
    triggers: tuple[Any, ...] = ()
    if coupons:
        templates, triggers, stacking = draw(coupon_setups(stacking))
    flash: tuple[Any, ...] = ()
    groups: tuple[Any, ...] = ()
    draws: tuple[Any, ...] = ()
    if campaigns:
        flash = tuple(draw(seckill_campaigns(i)) for i in range(draw(st.integers(0, 2))))
        groups = tuple(draw(group_buys(i)) for i in range(draw(st.integers(0, 2))))
        draws = tuple(draw(lotteries(i)) for i in range(draw(st.integers(0, 1))))
    return Scenario(
        "random", promotions=promos, benefits=benefits, points=points, ladder=ladder,
        stacking=stacking, shipping=shipping, commission=commission, attribution=attribution,
        coupons=templates, triggers=triggers, seckill=flash, group_buys=groups, lotteries=draws,
    )


@st.composite
def commission_plans(draw: st.DrawFn) -> CommissionPlan:
    rules: list[Any] = []
    for i in range(draw(st.integers(1, 3))):
        scope = draw(scopes())
        kind = draw(st.sampled_from(["rate", "fixed", "excluded"]))
        if kind == "rate":
            rate = draw(st.sampled_from(["0.01", "0.03", "0.055", "0.125"]))
            rules.append(RateRule(f"r{i}", rate, scope))
        elif kind == "fixed":
            rules.append(FixedPerItem(f"f{i}", Money(draw(st.integers(0, 3000))), scope))
        else:
            rules.append(ExcludedItems(f"x{i}", scope))
    return CommissionPlan(tuple(rules))


@st.composite
def ladders(draw: st.DrawFn) -> TierLadder:
    metric = draw(st.sampled_from(list(TierMetric)))
    scale = {TierMetric.GROWTH: 1, TierMetric.POINTS: 1, TierMetric.SPEND: 100,
             TierMetric.ORDERS: 0}[metric]
    steps = sorted(draw(st.sets(st.integers(1, 12), min_size=3, max_size=3)))
    thresholds = [s * 150 * scale if scale else s for s in steps]
    retention = draw(st.booleans())
    tiers = (
        Tier("normal"),
        *(
            Tier(code, threshold=t, retention=t // 2 if retention else None)
            for code, t in zip(("silver", "gold", "diamond"), thresholds)
        ),
    )
    at_review = draw(st.booleans()) and not retention
    return TierLadder(
        tiers,
        metric=metric,
        window_days=draw(st.none() | st.sampled_from([30, 60])) if not at_review else None,
        upgrade=UpgradeMode.AT_REVIEW if at_review else UpgradeMode.IMMEDIATE,
        review=PeriodKind.QUARTER if at_review or retention else None,
        refund_downgrades=draw(st.booleans()),
        grace_days=draw(st.sampled_from([0, 7])) if retention else 0,
        growth=GrowthRules(
            per_yuan=Decimal(draw(st.sampled_from(["1", "0.5", "2"]))),
            first_order_bonus=draw(st.sampled_from([0, 100])),
        ),
    )




# -- coupons -----------------------------------------------------------------------------------


@st.composite
def validities(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 3)) == 0:
        start = _START.add(days=draw(st.integers(0, 60)))
        end = start.add(days=draw(st.integers(1, 60))) if draw(st.integers(0, 4)) else None
        return FixedValidity(Window(start, end))
    return DaysAfterClaim(
        draw(st.integers(1, 14)),
        claim_day_counts=draw(st.booleans()),
        starts_after_days=draw(st.sampled_from([0, 0, 1])),
    )


@st.composite
def coupon_templates(draw: st.DrawFn, i: int) -> Any:
    """An amount-off, no-threshold or percent-off template in the store slot."""
    common: dict[str, Any] = {
        "validity": draw(validities()),
        "per_member_limit": draw(st.none() | st.integers(1, 3)),
        "stacks_with_promotions": draw(st.booleans()),
    }
    if draw(st.integers(0, 2)) == 0:
        common["scope"] = draw(scopes())
    if draw(st.integers(0, 2)) == 0:
        common["condition"] = draw(conditions())
    if draw(st.integers(0, 9)) == 0:
        common["sale_price"] = Money(100)  # sold coupons: a trigger never issues one
    if draw(st.integers(0, 3)) == 0:
        common["total_quota"] = draw(st.integers(1, 4))  # shared by every member
    kind = draw(st.sampled_from(["amount", "none", "percent"]))
    if kind == "amount":
        threshold = draw(st.sampled_from([0, 5000, 9900, 19900, 29900]))
        off = draw(st.integers(1, max(threshold, 6000) // 100)) * 100
        return AmountOffCoupon(
            f"c{i}", off=Money(min(off, threshold) if threshold else off),
            threshold=Money(threshold), **common,
        )
    if kind == "none":
        return NoThresholdCoupon(f"c{i}", off=Money(draw(st.integers(1, 80)) * 100), **common)
    cap = draw(st.none() | st.integers(1, 5000))
    return PercentOffCoupon(
        f"c{i}",
        rate=Decimal(draw(st.sampled_from(["0.5", "0.8", "0.88", "0.95", "0.999"]))),
        cap=Money(cap) if cap is not None else None,
        threshold=Money(draw(st.sampled_from([0, 9900, 19900]))),
        **common,
    )


@st.composite
def coupon_setups(draw: st.DrawFn, stacking: StackingPolicy) -> tuple[Any, Any, StackingPolicy]:
    """Templates, the triggers that issue them, and the coupon part of the stacking policy."""
    templates = tuple(draw(coupon_templates(i)) for i in range(draw(st.integers(1, 3))))
    ids = [t.id for t in templates]

    def some() -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2)))

    triggers: list[Any] = []
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["join", "after", "repurchase"]))
        if kind == "join":
            triggers.append(NewMemberGiftPack(f"t{k}", templates=some()))
        elif kind == "after":
            triggers.append(
                AfterPaymentGift(
                    f"t{k}", templates=some(),
                    min_paid=Money(draw(st.sampled_from([0, 5000, 19900]))),
                )
            )
        else:
            triggers.append(
                RepurchaseIncentive(
                    f"t{k}", templates=some(),
                    after_days=draw(st.sampled_from([1, 3, 25])),
                    window_days=draw(st.sampled_from([1, 7])),
                )
            )
    store_limit = draw(st.sampled_from([1, 1, 1, 2, 0]))
    max_coupons = draw(st.sampled_from([None, None, 1, 0]))
    if store_limit > 1 and max_coupons is None:
        max_coupons = 1  # one coupon per order: the columnar engine's case
    stacking = attrs.evolve(
        stacking,
        slot_limits=(
            SlotLimit(frozenset({"store"}), store_limit),
            SlotLimit(frozenset({"item", "exchange"}), 1),
            SlotLimit(frozenset({"shipping"}), 1),
        ),
        max_coupons=max_coupons,
        coupons_with_promotions=draw(st.booleans()) if draw(st.integers(0, 3)) == 0 else True,
    )
    return templates, tuple(triggers), stacking


# -- histories ---------------------------------------------------------------------------------

#: (sku, category, price in fen, tags)
CATALOGUE = (
    ("FM3-800", "母婴/奶粉/3段", 24800, "爆款"),
    ("FM1-800", "母婴/奶粉/1段", 26800, ""),
    ("DP-XL", "母婴/纸尿裤", 13900, ""),
    ("WP-80", "母婴/湿巾", 1990, "9.9专区"),
    ("RC-225", "辅食", 3990, ""),
    ("TY-RT", "玩具", 4900, ""),
)
_HISTORY_START = pendulum.datetime(2026, 7, 1, tz=TZ)


def _iso(at: Any) -> str:
    return str(at.in_timezone(TZ).isoformat())


@st.composite
def histories(draw: st.DrawFn, max_orders: int = 12) -> tuple[Any, Any]:
    """(order lines, members): a few members and orders over a quarter, some refunded.

    Payments fall on a few times of day, so orders share instants; gaps run
    from none to months, so repurchase windows and coupon validities open and
    close between orders.
    """
    n_members = draw(st.sampled_from([1, 1, 2, 3]))
    ids = [f"M{i + 1}" for i in range(n_members)]
    members = []
    for mid in ids:
        joined = draw(st.none() | st.integers(-40, 40))
        members.append(
            {
                "member_id": mid,
                "tier": draw(st.sampled_from(["normal", "silver", "gold", "diamond", ""])),
                "joined_at": ""
                if joined is None
                else _iso(_HISTORY_START.add(days=joined, minutes=draw(st.sampled_from([0, 601])))),
                "tags": draw(st.sampled_from(["", "pregnant", "qr:S01;vip"])),
                "guide_id": draw(st.sampled_from(["", "G1"])),
                "paid_orders_before": draw(st.sampled_from([0, 0, 2])),
            }
        )
    rows = []
    day = 0
    for k in range(draw(st.integers(1, max_orders))):
        day += draw(st.sampled_from([0, 0, 0, 1, 2, 3, 6, 13, 25, 27, 40]))
        paid = _HISTORY_START.add(days=day, minutes=draw(st.sampled_from([0, 600, 601, 1439])))
        placed = paid.subtract(minutes=draw(st.sampled_from([0, 5, 2000])))
        header = {
            "order_id": f"O{k:03d}",
            "member_id": draw(st.sampled_from(ids)),
            "paid_at": _iso(paid),
            "placed_at": _iso(placed),
            "store_id": draw(st.sampled_from(["S01", "S02"])),
            "channel": draw(st.sampled_from(["miniapp", "group", "live"])),
            "fulfillment": draw(st.sampled_from(["delivery", "delivery", "pickup"])),
            "share_by": draw(st.sampled_from(["", "", "G2"])),
            "guide_id": draw(st.sampled_from(["", "G1"])),
            "group_id": draw(st.sampled_from(["", "", "T1", "T2", "T3"])),
        }
        picked = draw(st.lists(st.sampled_from(CATALOGUE), min_size=1, max_size=3, unique=True))
        refund_after = draw(st.none() | st.sampled_from([0, 1, 10]))
        for j, (sku, category, price, tags) in enumerate(picked):
            qty = draw(st.integers(1, 3))
            back = 0
            if refund_after is not None:
                back = draw(st.integers(0, qty))
            rows.append(
                {
                    **header,
                    "line_id": str(j + 1),
                    "sku": sku,
                    "category": category,
                    "tags": tags,
                    "quantity": qty,
                    "unit_price_fen": price,
                    "refunded_quantity": back,
                    "refunded_at": _iso(paid.add(days=refund_after or 0)) if back else "",
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(members)


# -- what a scenario holds -------------------------------------------------------------------


def _condition_kinds(c: Condition) -> set[str]:
    out = {type(c).__name__}
    if isinstance(c, AllOf | AnyOf):
        for item in c.items:
            out |= _condition_kinds(item)
    elif isinstance(c, Not):
        out |= _condition_kinds(c.of)
    return out


def kinds_of(scenario: Scenario) -> set[str]:
    """Every kernel a scenario holds, by class name: rules, conditions, coupons, triggers."""
    out: set[str] = set()
    for p in scenario.promotions:
        out.add(type(p).__name__)
        out |= _condition_kinds(p.condition)
    for t in scenario.coupons:
        out.add(type(t).__name__)
        out.add(type(t.validity).__name__)
        out |= _condition_kinds(t.condition)
    for trig in scenario.triggers:
        out.add(type(trig).__name__)
    if scenario.commission is not None:
        out |= {type(r).__name__ for r in scenario.commission.rules}
    for c in (*scenario.seckill, *scenario.group_buys, *scenario.lotteries):
        out.add(type(c).__name__)
    return out


def every_kernel() -> tuple[Scenario, ...]:
    """Scenarios that between them hold every kernel the strategies draw (explicit examples)."""
    day = MemberDay(weekday=3)
    leaves_ = (
        TierIn({"gold", "silver"}), HasTag("pregnant"), NewCustomer(), StoreIn({"S01"}),
        ChannelIn({"group", "live"}), FulfillmentIs(Fulfillment.PICKUP),
        AmountAtLeast(Money(30000)), QuantityAtLeast(3), CategoryIn({"母婴/奶粉"}),
        SkuIn({"FM3-800", "DP-XL"}), WithinWindow(Window(_HISTORY_START.add(days=20))),
        OnMemberDay(day), InMemberWeek(MemberWeek(10, 5)),
    )
    tiers = (ReductionTier(Money(19900), Money(2000)), ReductionTier(Money(29900), Money(4000)))
    first = (
        LimitedTimePrice("ltp", prices=(SkuPrice("FM3-800", Money(19900)),),
                         window=Window(_START), limit_per_order=1),
        MemberPrice("mp", rates=(TierRate("gold", Decimal("0.95")),),
                    prices=(TierSkuPrice("diamond", "DP-XL", Money(9900)),)),
        FullReduction("fr", tiers=tiers, condition=AnyOf(leaves_)),
        RepeatingReduction("rr", every=Money(10000), off=Money(500), condition=Not(leaves_[0])),
        PercentageDiscount("pd", rate=Decimal("0.95"), stacks_with_coupons=False,
                           condition=AllOf(leaves_[5:8])),
        NewCustomerReduction("nc", off=Money(300)),
        GiftWithPurchase("gift", threshold=Money(19900), gift=Sku("GIFT", Money(2990)), stock=2),
        FreeShippingOver("ship", threshold=Money(9900)),
    )
    second = (
        NthItemDiscount("nth", n=2, rate=Decimal("0.5"), group="g"),
        BuyNGetMFree("bogo", buy=2, free=1, group="g"),
        BundlePrice("set", n=2, price_per_bundle=Money(20000), exclusive=True),
    )
    coupons = (
        AmountOffCoupon("amount", off=Money(3000), threshold=Money(19900),
                        validity=DaysAfterClaim(14)),
        NoThresholdCoupon("plain", off=Money(500), validity=DaysAfterClaim(3),
                          condition=leaves_[2]),
        PercentOffCoupon("rate", rate=Decimal("0.9"), cap=Money(2000),
                         validity=FixedValidity(Window(_START, _START.add(days=120)))),
    )
    triggers = (
        NewMemberGiftPack("join", templates=("plain", "rate")),
        RepurchaseIncentive("back", templates=("rate",), after_days=3, window_days=7),
        AfterPaymentGift("paid", templates=("amount",), min_paid=Money(5000)),
    )
    commission = CommissionPlan((
        RateRule("milk", "0.03", ItemScope(categories=frozenset({"母婴/奶粉"}))),
        FixedPerItem("each", Money(100), ItemScope(categories=frozenset({"母婴/纸尿裤"}))),
        ExcludedItems("none", ItemScope()),
    ))
    shipping = ShippingPolicy(base_fee=Money(1000), free_over=Money(9900))
    import datetime as dt

    from sirui.campaigns.groupbuy import GroupBuyPolicy
    from sirui.campaigns.seckill import SeckillCampaign, SeckillItem, SeckillSlot
    from sirui.core.windows import DailySlot

    flash = SeckillCampaign("flash", (SeckillSlot(
        "ten", (SeckillItem("FM1-800", Money(19900), Money(26800), 2),),
        daily=DailySlot(dt.time(9), dt.time(11), tz=TZ),
    ),), allow_pickup=True, payment_timeout_minutes=60)
    team = GroupBuyPolicy(
        "team", "DP-XL", Money(13900), Money(9900), 2, starts_at=_HISTORY_START.subtract(days=1),
        ends_at=_HISTORY_START.add(days=60), closed_stages=frozenset({Stage.COUPON}),
    )
    return (
        Scenario("every-1", promotions=first, coupons=coupons, triggers=triggers,
                 commission=commission, shipping=shipping, points=EarnRule(), seckill=(flash,)),
        Scenario("every-2", promotions=second, coupons=coupons, triggers=triggers[1:],
                 group_buys=(team,)),
    )


def _every_kernel_history() -> tuple[Any, Any]:
    rows = []
    for k, (member, day, lines, refund) in enumerate((
        ("M1", 0, (("FM3-800", 2), ("DP-XL", 1)), 0),
        ("M1", 4, (("FM1-800", 1), ("WP-80", 3)), 0),
        ("M2", 4, (("DP-XL", 3),), 1),
        ("M1", 9, (("FM3-800", 1),), 0),
        ("M2", 30, (("RC-225", 2), ("TY-RT", 2)), 0),
        ("M2", 31, (("DP-XL", 1),), 0),
        ("M1", 31, (("DP-XL", 2),), 0),
    )):
        paid = _HISTORY_START.add(days=day, hours=10)
        for j, (sku, qty) in enumerate(lines):
            _, category, price, tags = next(c for c in CATALOGUE if c[0] == sku)
            rows.append({
                "order_id": f"O{k}", "member_id": member, "paid_at": _iso(paid),
                "store_id": "S01", "channel": "group", "fulfillment": "delivery",
                "line_id": str(j + 1), "sku": sku, "category": category, "tags": tags,
                "quantity": qty, "unit_price_fen": price,
                "refunded_quantity": qty if refund else 0,
                "refunded_at": _iso(paid.add(days=1)) if refund else "",
                "group_id": "T1" if sku == "DP-XL" and day == 31 else "",
            })
    members = pd.DataFrame({
        "member_id": ["M1", "M2"], "tier": ["gold", "normal"],
        "joined_at": [_iso(_HISTORY_START.subtract(days=1)), ""], "tags": ["pregnant", ""],
    })
    return pd.DataFrame(rows), members


EVERY_KERNEL_HISTORY = _every_kernel_history()


# -- campaigns ---------------------------------------------------------------------------------

_CAMPAIGN_SKUS = ("FM3-800", "DP-XL", "WP-80")


@st.composite
def seckill_campaigns(draw: st.DrawFn, i: int) -> Any:
    """A flash sale of one or two catalogue items, a few units per occurrence."""
    import datetime as dt

    from sirui.campaigns.seckill import (
        EarlyAccess,
        PurchaseLimits,
        SeckillCampaign,
        SeckillItem,
        SeckillSlot,
    )
    from sirui.core.windows import DailySlot

    items = []
    for sku in draw(st.lists(st.sampled_from(_CAMPAIGN_SKUS), min_size=1, max_size=2,
                             unique=True)):
        listed = next(price for s_, _c, price, _t in CATALOGUE if s_ == sku)
        stock = draw(st.integers(0, 5))
        items.append(SeckillItem(
            sku, Money(draw(st.integers(1, listed))), Money(listed), stock,
            buckets=draw(st.integers(1, max(1, min(stock, 2)))),
        ))
    if draw(st.booleans()):
        slot = SeckillSlot("daily", tuple(items),
                           daily=DailySlot(dt.time(9, 0), dt.time(draw(st.sampled_from([11, 22]))),
                                           tz=TZ))
    else:
        start = _HISTORY_START.add(days=draw(st.integers(0, 20)))
        slot = SeckillSlot("once", tuple(items),
                           window=Window(start, start.add(days=draw(st.integers(1, 30)))))
    return SeckillCampaign(
        f"flash{i}", (slot,),
        limits=PurchaseLimits(
            per_slot=draw(st.none() | st.integers(1, 3)),
            per_day=draw(st.none() | st.integers(1, 3)),
            per_campaign=draw(st.none() | st.integers(1, 4)),
            per_order=draw(st.none() | st.integers(1, 2)),
        ),
        eligibility=draw(st.sampled_from([Always(), TierIn({"gold", "silver", "diamond"})])),
        early_access=(EarlyAccess("gold", 60),) if draw(st.booleans()) else (),
        allow_pickup=draw(st.booleans()),
        stack_coupons=draw(st.booleans()),
        payment_timeout_minutes=draw(st.sampled_from([5, 60])),
        waiting_list=draw(st.integers(0, 4)) == 0,
        refund_returns_stock=draw(st.booleans()),
        refund_returns_quota=draw(st.booleans()),
    )


@st.composite
def group_buys(draw: st.DrawFn, i: int) -> Any:
    """A group-buy on a catalogue item for the history's ``group_id`` groups."""
    from sirui.campaigns.groupbuy import GroupBuyPolicy

    sku = draw(st.sampled_from(_CAMPAIGN_SKUS[:2]))
    listed = next(price for s_, _c, price, _t in CATALOGUE if s_ == sku)
    price = draw(st.integers(100, listed))
    return GroupBuyPolicy(
        f"team{i}", sku, Money(listed), Money(price), draw(st.integers(2, 3)),
        starts_at=_HISTORY_START.subtract(days=1), ends_at=_HISTORY_START.add(days=200),
        time_limit_minutes=draw(st.sampled_from([60, 3 * 24 * 60])),
        payment_timeout_minutes=draw(st.sampled_from([5, 60])),
        stock=draw(st.none() | st.integers(0, 8)),
        max_groups_joined_per_member=draw(st.none() | st.integers(1, 2)),
        max_quantity_per_member=draw(st.none() | st.integers(1, 4)),
        leader_discount=Money(draw(st.integers(1, 50))) if draw(st.booleans()) else None,
        closed_stages=frozenset({Stage.COUPON}) if draw(st.booleans()) else frozenset(),
    )


@st.composite
def lotteries(draw: st.DrawFn, i: int) -> Any:
    """A lottery on paid orders: red packets, free orders and thanks, a few of each."""
    from sirui.campaigns.lottery import EntryRules, LotteryCampaign, Prize, PrizePool
    from sirui.campaigns.lottery._policy import CashReward, OrderFreeReward, ThanksReward

    pool = PrizePool(
        f"pool{i}",
        prizes=(
            Prize("red", CashReward(Money(draw(st.integers(100, 2000)))), weight=2,
                  inventory=draw(st.integers(0, 3)), per_member_limit=draw(st.none() | st.just(1))),
            Prize("free", OrderFreeReward(Money(5000)), weight=1,
                  inventory=draw(st.integers(0, 2))),
            Prize("thanks", ThanksReward(), weight=draw(st.integers(1, 6))),
        ),
        consolation_id="thanks",
    )
    return LotteryCampaign(
        f"draw{i}", pool, EntryRules(order_threshold=Money(draw(st.integers(1, 300)) * 100))
    )
