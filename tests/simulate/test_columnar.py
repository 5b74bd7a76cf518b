"""The columnar engine gives the exact engine's answer, order for order, or refuses and says why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import pendulum
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sim_strategies import (
    EVERY_KERNEL_HISTORY,
    every_kernel,
    histories,
    kinds_of,
    scenarios,
)

from examples_budget import scaled
from sirui.checkout import SlotLimit, StackingPolicy
from sirui.checkout.shipping import ShippingPolicy
from sirui.commission import (
    AttributionPolicy,
    CommissionPlan,
    CommissionRule,
    RateRule,
)
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Fulfillment, Sku
from sirui.core.windows import DaysAfterClaim, MemberDay, MemberWeek, Window
from sirui.loyalty.members import (
    BenefitPolicy,
    MemberDiscount,
    Perks,
    Tier,
    TierLadder,
    TierPerks,
)
from sirui.loyalty.points.earning import EarnRule
from sirui.promotions import (
    AfterPaymentGift,
    AmountOffCoupon,
    BundlePrice,
    BuyNGetMFree,
    FreeShippingCoupon,
    FreeShippingOver,
    FullReduction,
    GiftWithPurchase,
    LimitedTimePrice,
    MemberPrice,
    NewMemberGiftPack,
    NoThresholdCoupon,
    NthItemDiscount,
    PercentageDiscount,
    PercentOffCoupon,
    ReductionTier,
    RepeatingReduction,
    RepurchaseIncentive,
)
from sirui.promotions.base import PromotionBase
from sirui.promotions.member import SkuPrice, TierRate
from sirui.rules.conditions import (
    AmountAtLeast,
    CategoryIn,
    ChannelIn,
    Condition,
    FulfillmentIs,
    HasTag,
    InMemberWeek,
    NewCustomer,
    OnMemberDay,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    WithinWindow,
)
from sirui.rules.pricing import Stage
from sirui.rules.scope import ItemScope
from sirui.simulate import Scenario, generate, prepare, simulate
from sirui.simulate.columnar import columnar_plan, prepare_batch

TZ = "Asia/Shanghai"
CATEGORIES = ("母婴/奶粉", "母婴/纸尿裤", "洗护", "辅食", "玩具")


def both(orders: Any, members: Any, scenario: Scenario, **kw: Any) -> tuple[Any, Any]:
    exact = simulate(orders, members, scenario, engine="exact", **kw)
    fast = simulate(orders, members, scenario, engine="columnar", **kw)
    assert fast.engine == "columnar" and exact.engine == "exact"
    return exact, fast


def assert_same(exact: Any, fast: Any) -> None:
    pd.testing.assert_frame_equal(exact.orders, fast.orders, check_dtype=False)
    assert exact.summary == fast.summary
    pd.testing.assert_frame_equal(exact.rejected, fast.rejected, check_dtype=False)


def lines(columns: dict[str, Any]) -> Any:
    """Order lines of member M1; unless given, one unit of SKU "A" paid 1 July 10:00."""
    n = len(columns["order_id"])
    defaults = {
        "member_id": ["M1"] * n,
        "sku": ["A"] * n,
        "paid_at": ["2026-07-01T10:00:00+08:00"] * n,
        "quantity": [1] * n,
    }
    return pd.DataFrame({**defaults, **columns})


def member(tier: str) -> Any:
    """The members table of M1 at ``tier``."""
    return pd.DataFrame({"member_id": ["M1"], "tier": [tier]})


def simplified() -> Scenario:
    """The issue's simplified rules: tiered 满减, a tier discount, points times a tier rate."""
    rates = {"silver": ("0.98", "1"), "gold": ("0.95", "1.5"), "diamond": ("0.90", "2")}
    benefits = BenefitPolicy(
        tuple(
            TierPerks(t, Perks(discount=MemberDiscount(Decimal(r)), points_multiplier=Decimal(m)))
            for t, (r, m) in rates.items()
        )
    )
    fr = FullReduction(
        "fr",
        tiers=tuple(
            ReductionTier(Money.of(a), Money.of(b))
            for a, b in (("199", "20"), ("299", "40"), ("499", "80"))
        ),
    )
    return Scenario("simplified", promotions=(fr,), benefits=benefits, points=EarnRule())


def test_the_builtin_simplified_scenario_is_these_rules() -> None:
    from sirui.simulate.cli import builtin_scenario

    builtin = attrs.evolve(builtin_scenario("simplified"), description="")
    assert builtin.fingerprint == simplified().fingerprint


def test_a_gold_member_on_a_300_yuan_cart() -> None:
    """95折 first: 300 yuan of milk is 285 at the gold price, below 299, so 满199减20: pays 265."""
    orders = lines(
        {
            "order_id": ["O1"],
            "sku": ["FM-1"],
            "quantity": [3],
            "unit_price_fen": [10000],
        }
    )
    members = member("gold")
    exact, fast = both(orders, members, simplified())
    assert_same(exact, fast)
    row = fast.orders.iloc[0]
    assert (row.member_fen, row.promotion_fen, row.payable_fen) == (1500, 2000, 26500)
    assert row.points_earned == 397  # 265 yuan x 1.5, rounded down
    assert row.rules == "fr;member_price"


def test_the_sample_chain_prices_the_same(tiny: dict[str, Any]) -> None:
    exact, fast = both(tiny["orders"], tiny["members"], simplified())
    assert_same(exact, fast)
    assert "(columnar engine)" in fast._repr_html_() and "(exact engine)" in exact._repr_html_()
    assert fast.summary["refund_fen"] > 0  # the sample has refunds, and they agree


def _free_shipping_coupons(baseline: Scenario) -> Scenario:
    """The demo's baseline whose after-payment gift is a free-shipping coupon (免邮券)."""
    ship = FreeShippingCoupon("after-pay", validity=DaysAfterClaim(14))
    return attrs.evolve(baseline, coupons=(ship, *baseline.coupons[1:]))


def test_auto_takes_the_columnar_engine_only_when_it_may(
    tiny: dict[str, Any], baseline: Any
) -> None:
    assert simulate(tiny["orders"], tiny["members"], simplified()).engine == "columnar"
    assert simulate(tiny["orders"], tiny["members"], baseline).engine == "columnar"
    shipping = _free_shipping_coupons(baseline)
    assert simulate(tiny["orders"], tiny["members"], shipping).engine == "exact"
    hook = simulate(tiny["orders"], tiny["members"], simplified(), elasticity=lambda o, q: o)
    assert hook.engine == "exact"
    with pytest.raises(ValueError, match="FreeShippingCoupon has no columnar kernel"):
        simulate(tiny["orders"], tiny["members"], shipping, engine="columnar")
    with pytest.raises(ValueError, match="elasticity"):
        simulate(
            tiny["orders"], tiny["members"], simplified(), engine="columnar",
            elasticity=lambda o, q: o,
        )
    with pytest.raises(ValueError, match="engine='fastest'"):
        simulate(tiny["orders"], tiny["members"], simplified(), engine="fastest")


def test_the_plan_says_why_a_scenario_needs_the_exact_engine(baseline: Any) -> None:
    base = simplified()
    fr = base.promotions[0]
    assert isinstance(fr, FullReduction)
    item = AmountOffCoupon(
        "item", off=Money.of("5"), slot="item", validity=DaysAfterClaim(7),
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    cases = {
        "FreeShippingCoupon has no columnar kernel": _free_shipping_coupons(baseline),
        "may combine on one order": attrs.evolve(
            baseline,
            coupons=(*baseline.coupons, item),
            triggers=(*baseline.triggers, AfterPaymentGift("item-gift", templates=("item",))),
        ),
        "template nowhere is not in the scenario": attrs.evolve(
            baseline, triggers=(RepurchaseIncentive("r", templates=("nowhere",)),)
        ),
        "free-shipping offers": Scenario(
            "s",
            promotions=(
                FreeShippingOver("a", threshold=Money.of("59"), exclusive=True),
                FreeShippingOver("b", threshold=Money.of("99")),
            ),
        ),
    }
    for why, scenario in cases.items():
        plan, reason = columnar_plan(scenario)
        assert plan is None and why in reason, (why, reason)
    assert columnar_plan(base)[0] is not None
    assert columnar_plan(baseline)[0] is not None


def test_bad_rows_are_rejected_alike(tiny: dict[str, Any]) -> None:
    o = tiny["orders"].copy()
    m = tiny["members"].copy()
    ids = list(dict.fromkeys(o["order_id"]))
    at = {oid: o.index[o["order_id"] == oid] for oid in ids[:12]}
    o.loc[at[ids[0]], "member_id"] = "NOBODY"
    o.loc[at[ids[1]][0], "unit_price_fen"] = -5
    o.loc[at[ids[2]], "paid_at"] = "2026-07-01T10:00:00"  # naive
    o.loc[at[ids[3]][0], "refunded_quantity"] = 1
    o.loc[at[ids[3]][0], "refunded_at"] = "2020-01-01T00:00:00+08:00"
    o.loc[at[ids[4]][0], "quantity"] = 0
    o.loc[at[ids[5]], "paid_at"] = "2026-07-02T10:00:00.5+08:00"  # valid, not canonical
    o.loc[at[ids[6]][0], "order_id"] = ""
    o.loc[at[ids[7]], "line_id"] = "1"  # duplicate line ids
    o.loc[at[ids[8]][0], "fulfillment"] = "drone"
    o.loc[at[ids[9]][0], "store_id"] = "S99"  # header differs between rows
    o.loc[at[ids[10]][0], "refunded_quantity"] = 99
    o.loc[at[ids[11]], "paid_at"] = "2026-07-03 09:00:00+08:00"  # space, still ISO 8601
    o.loc[at[ids[11]], "sku"] = "ONLY-IN-A-DOUBTED-ORDER"
    m = pd.concat([m, m.iloc[[0]]], ignore_index=True)  # duplicate member
    m.loc[1, "birthday"] = "1990-02-30"
    m.loc[2, "joined_at"] = "yesterday"
    for tz in (None, TZ):
        exact, fast = both(o, m, simplified(), timezone=tz)
        assert_same(exact, fast)
        assert len(fast.rejected) >= 8


def test_every_source_gives_the_same_result(tiny: dict[str, Any], tmp_path: Path) -> None:
    import polars as pl
    import pyarrow as pa

    exact = simulate(tiny["orders"], tiny["members"], simplified(), engine="exact")
    tiny["orders"].to_csv(tmp_path / "o.csv", index=False)
    tiny["orders"].to_parquet(tmp_path / "o.parquet")
    tiny["members"].to_csv(tmp_path / "m.csv", index=False)
    objects = tiny["orders"].astype({"order_id": object, "sku": object})
    for src in (
        tmp_path / "o.csv",
        tmp_path / "o.parquet",
        pl.from_pandas(tiny["orders"]),
        pa.Table.from_pandas(tiny["orders"]),
        objects,
    ):
        fast = simulate(src, tmp_path / "m.csv", simplified(), engine="columnar")
        assert fast.is_polars == isinstance(src, pl.DataFrame)  # polars in, polars out
        assert_same(exact, fast.to_pandas())


def test_datetime_columns_take_the_exact_checks(tiny: dict[str, Any]) -> None:
    o = tiny["orders"].copy()
    o["paid_at"] = pd.to_datetime(o["paid_at"], format="ISO8601").dt.tz_convert(TZ)
    assert_same(*both(o, tiny["members"], simplified()))


def test_amounts_beyond_int64_fall_back_to_the_exact_engine() -> None:
    orders = lines(
        {
            "order_id": ["O1"],
            "sku": ["GOLD-BAR"],
            "quantity": [9],
            "unit_price_fen": [10**14],
        }
    )
    members = member("gold")
    result = simulate(orders, members, simplified())
    assert result.engine == "exact"
    assert result.orders["original_fen"].iloc[0] == 9 * 10**14
    with pytest.raises(OverflowError, match="engine='exact'"):
        simulate(orders, members, simplified(), engine="columnar")


def test_prepare_batch_accepts_what_prepare_accepts(tiny: dict[str, Any]) -> None:
    batch, tiers, rejected = prepare_batch(tiny["orders"], tiny["members"])
    exact = prepare(tiny["orders"], tiny["members"])
    assert list(batch.order_id) == [r.order_id for r in exact.orders]
    assert tiers == {k: v.tier for k, v in exact.members.items()}
    assert rejected == exact.rejected


# -- random scenarios ------------------------------------------------------------------------


@settings(max_examples=scaled(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.booleans().flatmap(lambda c: scenarios(coupons=c)), seed=st.integers(0, 5))
def test_random_scenarios_price_the_sample_chain_the_same(scenario: Scenario, seed: int) -> None:
    frames = generate({"stores": 2, "guides": 4, "members": 40, "orders": 120}, seed=seed).frames()
    assert columnar_plan(scenario)[0] is not None
    assert_same(*both(frames["orders"], frames["members"], scenario))


#: Scenarios every differential run prices, whatever Hypothesis draws: together they hold
#: each kernel the strategies know, so the coverage check below never depends on luck.
EVERY_KERNEL = every_kernel()


def test_random_scenarios_and_histories_price_the_same() -> None:
    """Exact and columnar engines agree on drawn scenarios (coupon triggers included) and
    drawn histories; and the run drew every kernel and condition the columnar engine has."""
    drawn: set[str] = set()

    @settings(
        max_examples=scaled(40), deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(scenario=scenarios(coupons=True, campaigns=True), history=histories())
    def check(scenario: Scenario, history: tuple[Any, Any]) -> None:
        drawn.update(kinds_of(scenario))
        assert columnar_plan(scenario)[0] is not None
        assert_same(*both(*history, scenario))

    for scenario in EVERY_KERNEL:
        check = example(scenario=scenario, history=EVERY_KERNEL_HISTORY)(check)
    check()
    missing = columnar_kernels() - drawn
    assert not missing, f"the differential test never drew {sorted(missing)}"


def columnar_kernels() -> set[str]:
    """Every kernel and condition the columnar engine has, read from its own tables."""
    from sirui.simulate.columnar import KERNELS

    return {cls.__name__ for cls in KERNELS}


def test_the_columnar_kernels_are_read_from_the_code() -> None:
    """The list the coverage check compares with is the engine's, not a copy of it."""
    from sirui.simulate.columnar._conditions import _LEAF_CODES
    from sirui.simulate.columnar._coupons import COUPON_KERNELS, TRIGGER_KERNELS
    from sirui.simulate.columnar._plan import CAMPAIGN_KERNELS
    from sirui.simulate.columnar._stage import _KERNELS

    names = columnar_kernels()
    for table in (_KERNELS, COUPON_KERNELS, TRIGGER_KERNELS, CAMPAIGN_KERNELS, tuple(_LEAF_CODES)):
        assert {cls.__name__ for cls in table} <= names
    assert {"FreeShippingOver", "AllOf", "AnyOf", "Not", "RateRule"} <= names


def test_guide_commission_and_its_refunds_as_in_the_exact_replay(
    tiny: dict[str, Any], baseline: Any
) -> None:
    """The demo's commission plan (rates by category, share links first) on the columnar engine."""
    scenario = attrs.evolve(
        simplified(), commission=baseline.commission, attribution=baseline.attribution
    )
    exact, fast = both(tiny["orders"], tiny["members"], scenario)
    assert_same(exact, fast)
    assert fast.summary["commission_fen"] > 0


def test_tiers_move_with_orders_and_refunds_as_in_the_exact_replay(
    tiny: dict[str, Any], baseline: Any
) -> None:
    """A tier ladder on the columnar engine: upgrades price later orders at the new tier."""
    scenario = attrs.evolve(simplified(), ladder=baseline.ladder)
    exact, fast = both(tiny["orders"], tiny["members"], scenario)
    assert_same(exact, fast)
    moved = fast.orders[fast.orders.tier_before != fast.orders.tier_after]
    assert len(moved) > 0


def test_a_refund_that_drops_the_tier_prices_the_next_order_lower() -> None:
    """Gold from 500: 600 yuan makes M1 gold, a full refund drops them, the next order pays list."""
    ladder = TierLadder((Tier("normal"), Tier("gold", threshold=500)))
    scenario = attrs.evolve(simplified(), ladder=ladder, promotions=())
    orders = lines(
        {
            "order_id": ["O1", "O2", "O3"],
            "paid_at": [
                "2026-07-01T10:00:00+08:00",
                "2026-07-02T10:00:00+08:00",
                "2026-07-04T10:00:00+08:00",
            ],
            "quantity": [6, 1, 1],
            "unit_price_fen": [10000] * 3,
            "refunded_quantity": [6, 0, 0],
            "refunded_at": ["2026-07-03T10:00:00+08:00", "", ""],
        }
    )
    members = member("normal")
    exact, fast = both(orders, members, scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.tier_before) == ["normal", "gold", "normal"]
    # An order's tier_after is the tier after its own refunds: O1's refund dropped M1.
    assert list(got.tier_after) == ["normal", "gold", "normal"]
    assert list(got.payable_fen) == [60000, 9500, 10000]  # gold pays 95折 on O2 only


def test_the_odd_fen_goes_to_the_lowest_line_id_as_text() -> None:
    """满200减0.01 over two 100-yuan lines: line "10" sorts before "9" and takes the fen."""
    orders = lines(
        {
            "order_id": ["O1", "O1"],
            "line_id": ["9", "10"],
            "sku": ["A", "B"],
            "unit_price_fen": [10000, 10000],
            "refunded_quantity": [1, 0],
            "refunded_at": ["2026-07-02T10:00:00+08:00", ""],
        }
    )
    members = member("normal")
    fr = FullReduction("fr", tiers=(ReductionTier(Money.of("200"), Money(1)),))
    scenario = Scenario("fen", promotions=(fr,), points=EarnRule())
    exact, fast = both(orders, members, scenario)
    assert_same(exact, fast)
    row = fast.orders.iloc[0]
    assert (row.payable_fen, row.refund_fen) == (19999, 10000)
    assert row.points_earned == 199 - 100  # 199 points split 100/99 by paid, in cart order


def test_an_order_total_in_yuan_not_fen_is_rejected_not_a_crash() -> None:
    """2 x 10^15 fen (20 trillion yuan) is a unit mistake: the row is rejected, the run goes on."""
    orders = lines(
        {
            "order_id": ["O1", "O2"],
            "quantity": [2, 1],
            "unit_price_fen": [10**15, 100],
        }
    )
    members = member("gold")
    exact, fast = both(orders, members, simplified())
    assert_same(exact, fast)
    assert list(fast.orders.order_id) == ["O2"]
    assert fast.rejected.to_dict("records")[0]["code"] == "input.bad_value"


def test_shuffled_rows_and_numeric_ids_price_alike(tiny: dict[str, Any]) -> None:
    """Interleaved order lines and integer ids are unusual, not wrong: same answer either way."""
    shuffled = tiny["orders"].sample(frac=1, random_state=3)
    assert_same(*both(shuffled, tiny["members"], simplified()))
    numeric_o = tiny["orders"].assign(member_id=tiny["orders"]["member_id"].str[1:].astype(int))
    numeric_m = tiny["members"].assign(member_id=tiny["members"]["member_id"].str[1:].astype(int))
    exact, fast = both(numeric_o, numeric_m, simplified())
    assert_same(exact, fast)
    assert len(fast.orders) == tiny["orders"]["order_id"].nunique()


@pytest.mark.parametrize(
    ("rate", "paid", "winner", "losers"),
    [
        # 每满100减15 saves 45 on 300 yuan: 满199减20 (same group) and 9折 (exclusive) lose.
        ("0.9", 25500, "every", {"stacking.excluded_by_group", "stacking.exclusive_saves_less"}),
        # 5折 alone saves 150: both reductions give way to the exclusive offer.
        ("0.5", 15000, "half", {"stacking.excluded_by_exclusive"}),
    ],
)
def test_exclusion_groups_and_exclusive_offers_pick_the_best_for_each_order(
    rate: str, paid: int, winner: str, losers: set[str]
) -> None:
    promos = (
        FullReduction("fr", tiers=(ReductionTier(Money.of("199"), Money.of("20")),), group="g"),
        RepeatingReduction("every", every=Money.of("100"), off=Money.of("15"), group="g"),
        PercentageDiscount("half", rate=Decimal(rate), exclusive=True),
    )
    orders = lines(
        {
            "order_id": ["O1"],
            "quantity": [3],
            "unit_price_fen": [10000],
        }
    )
    members = member("normal")
    exact, fast = both(orders, members, Scenario("stack", promotions=promos))
    assert_same(exact, fast)
    row = fast.orders.iloc[0]
    assert (row.payable_fen, row.rules) == (paid, winner)
    assert losers <= set(row.reasons.split(";"))


def test_shipping_free_over_99_or_49_for_gold_and_back_on_a_full_refund() -> None:
    """满99免邮 (gold from 49): 90 yuan delivered pays 10 shipping; gold, pickup pay none."""
    shipping = ShippingPolicy(
        base_fee=Money.of("10"), free_over=Money.of("99"), tier_free_over={"gold": Money.of("49")}
    )
    orders = lines(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "member_id": ["M1", "M2", "M1", "M1"],
            "paid_at": [f"2026-07-0{d}T10:00:00+08:00" for d in (1, 2, 3, 4)],
            "unit_price_fen": [9000] * 4,
            "fulfillment": ["delivery", "delivery", "pickup", "delivery"],
            "refunded_quantity": [0, 0, 0, 1],
            "refunded_at": ["", "", "", "2026-07-05T10:00:00+08:00"],
        }
    )
    members = pd.DataFrame({"member_id": ["M1", "M2"], "tier": ["normal", "gold"]})
    exact, fast = both(orders, members, Scenario("ship", shipping=shipping))
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.shipping_fen) == [1000, 0, 0, 1000]
    assert list(got.payable_fen) == [10000, 9000, 9000, 10000]
    assert got.refund_fen["O4"] == 10000  # the last unit back brings the shipping back


_LEAVES: dict[str, Condition] = {
    "tier": TierIn({"gold", "silver"}),
    "tag": HasTag("pregnant"),
    "new": NewCustomer(),
    "store": StoreIn({"S01"}),
    "channel": ChannelIn({"group", "live"}),
    "fulfillment": FulfillmentIs(Fulfillment.PICKUP),
    "amount": AmountAtLeast(Money.of("300")),
    "quantity": QuantityAtLeast(3),
    "category": CategoryIn({"母婴/奶粉"}),
    "sku": SkuIn({"FM3-800", "DP-XL"}),
    "window": WithinWindow(Window(pendulum.datetime(2026, 8, 1, tz=TZ))),
    "member day": OnMemberDay(MemberDay(weekday=3)),
    "member week": InMemberWeek(MemberWeek(10, 5)),
}


@pytest.mark.parametrize("name", sorted(_LEAVES))
def test_every_condition_prices_alike_alone_and_negated(tiny: dict[str, Any], name: str) -> None:
    """Each condition gates a 满减 on the sample chain: same rows, same first reason."""
    leaf = _LEAVES[name]
    fr = simplified().promotions[0]
    assert isinstance(fr, FullReduction)
    promos = (
        FullReduction("if", tiers=fr.tiers, condition=leaf),
        PercentageDiscount("unless", rate=Decimal("0.97"), condition=~leaf & _LEAVES["store"]),
    )
    scenario = attrs.evolve(simplified(), promotions=promos)
    exact, fast = both(tiny["orders"], tiny["members"], scenario)
    assert_same(exact, fast)
    assert fast.orders["rules"].str.contains("if").any()


def test_host_defined_rules_are_left_to_the_exact_engine() -> None:
    """A condition or commission rule the engine has no kernel for: refused, by name."""

    @attrs.frozen
    class Rainy(Condition):
        def evaluate(self, facts: Any) -> Any:  # pragma: no cover - never priced here
            raise NotImplementedError

    @attrs.frozen
    class Bonus(CommissionRule):
        id: str = "bonus"
        scope: ItemScope = attrs.field(factory=ItemScope)

    fr = simplified().promotions[0]
    assert isinstance(fr, FullReduction)
    rainy = Scenario("r", promotions=(attrs.evolve(fr, condition=TierIn({"gold"}) & Rainy()),))
    assert columnar_plan(rainy) == (None, "promotion fr: condition Rainy has no columnar kernel")
    bonus = Scenario("b", commission=CommissionPlan((Bonus(),)))
    assert columnar_plan(bonus) == (None, "commission rule bonus: Bonus has no columnar kernel")

    @attrs.frozen
    class Lucky(PromotionBase):
        @property
        def stage(self) -> Stage:
            return Stage.PROMOTION

    lucky = Scenario("l", promotions=(Lucky("lucky"),))
    assert columnar_plan(lucky) == (None, "promotion lucky: Lucky has no columnar kernel")


def test_naive_times_read_in_a_named_zone_price_alike(
    tiny: dict[str, Any], baseline: Any
) -> None:
    """Naive times read in Asia/Shanghai (`timezone=`): every order takes the exact checks."""
    o = tiny["orders"].copy()
    for col in ("paid_at", "placed_at", "refunded_at"):
        o[col] = o[col].str.slice(0, 19)
    scenario = attrs.evolve(
        simplified(), commission=baseline.commission, attribution=baseline.attribution
    )
    exact, fast = both(o, tiny["members"], scenario, timezone=TZ)
    assert_same(exact, fast)
    assert fast.summary["commission_fen"] > 0 and len(fast.rejected) == 0


@given(
    num=st.integers(0, 10**15),
    den=st.integers(1, 10**6),
    rounding=st.sampled_from(list(Rounding)),
)
def test_integer_rounding_matches_decimal_rounding(num: int, den: int, rounding: Rounding) -> None:
    import numpy as np

    from sirui.core.money import round_decimal
    from sirui.simulate.columnar._arith import _round_div

    got = _round_div(np.array([num], dtype=np.int64), den, rounding)[0]
    assert got == round_decimal(Decimal(num) / Decimal(den), rounding)


def test_second_tin_half_price() -> None:
    """第二件半价 per SKU: two tins of 248 and one of 100: the second 248 tin is 124 off."""
    orders = lines(
        {
            "order_id": ["O1", "O1"],
            "line_id": ["1", "2"],
            "sku": ["FM-1", "WP-1"],
            "quantity": [2, 1],
            "unit_price_fen": [24800, 10000],
            "refunded_quantity": [1, 0],
            "refunded_at": ["2026-07-02T10:00:00+08:00", ""],
        }
    )
    members = member("normal")
    nth = NthItemDiscount("half", n=2, rate=Decimal("0.5"))
    exact, fast = both(orders, members, Scenario("nth", promotions=(nth,)))
    assert_same(exact, fast)
    row = fast.orders.iloc[0]
    assert (row.promotion_fen, row.payable_fen, row.rules) == (12400, 47200, "half")
    assert row.refund_fen == 18600  # one of two tins back: half of what the line paid


@given(
    rooms=st.lists(st.integers(1, 500), min_size=1, max_size=6),
    weights=st.lists(st.integers(1, 500), min_size=6, max_size=6),
    take=st.integers(0, 100),
)
def test_weighted_allocation_never_takes_a_line_below_zero_as_allocate_off(
    rooms: list[int], weights: list[int], take: int
) -> None:
    """Explicit weights may ask more of a line than it has: the excess moves on in id order."""
    import numpy as np

    from sirui.core.nouns import Line, Sku
    from sirui.rules.pricing import PricedLine, allocate_off
    from sirui.simulate.columnar._arith import _allocate
    from sirui.simulate.columnar._stage import _move_excess

    ids = [str(10 + i) for i in range(len(rooms))]
    lines = [PricedLine(Line(i, Sku("A", Money(r)), 1), Money(r)) for i, r in zip(ids, rooms)]
    w = weights[: len(rooms)]
    amount = sum(rooms) * take // 100
    shares = allocate_off(Money(amount), lines, [Money(x) for x in w])
    expected = {k: m.minor for k, m in shares}

    cur = np.array(rooms, dtype=np.int64)
    group = np.zeros(len(rooms), dtype=np.int64)
    position = np.arange(len(rooms))
    share = _allocate(np.array([amount]), np.array(w, dtype=np.int64), group, position, 1)

    class Ctx:
        class batch:
            line_order = group

        id_pos = position

    share = _move_excess(share, cur, np.ones(len(rooms), dtype=bool), Ctx, np.array([0]))
    assert {k: int(v) for k, v in zip(ids, share) if v} == expected
    assert (share <= cur).all() and share.sum() == amount


@given(
    lines=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 2**40), st.integers(0, 30)),
        min_size=0, max_size=40,
    ),
    huge=st.booleans(),
)
def test_lines_ranked_by_remainder_as_the_lexsort_ranks_them(
    lines: list[tuple[int, int, int]], huge: bool
) -> None:
    """The combined-key sort gives `np.lexsort`'s order, ties included; keys too wide for one
    int64 take the lexsort itself."""
    import numpy as np

    from sirui.simulate.columnar._arith import _by_remainder

    lines = sorted(lines, key=lambda x: x[0])  # grouped, as the engine's lines are
    group = np.array([g for g, _, _ in lines], dtype=np.int64)
    rem = np.array([r for _, r, _ in lines], dtype=np.int64)
    position = np.array([p for _, _, p in lines], dtype=np.int64)
    n_groups = 2**30 if huge else 6
    got = _by_remainder(group, rem, position, n_groups)
    assert got.tolist() == np.lexsort((position, -rem, group)).tolist()


def test_buy_two_get_one_and_three_for_99() -> None:
    """买二送一 gives the cheapest of three; 3件99元 bundles the three dearest for 99 yuan."""
    orders = lines(
        {
            "order_id": ["O1", "O1", "O1"],
            "line_id": ["1", "2", "3"],
            "sku": ["A", "B", "C"],
            "quantity": [1, 1, 2],
            "unit_price_fen": [5000, 4000, 3000],
        }
    )
    members = member("normal")
    bogo = BuyNGetMFree("bogo", buy=2, free=1, per_sku=False)
    exact, fast = both(orders, members, Scenario("bogo", promotions=(bogo,)))
    assert_same(exact, fast)
    assert fast.orders.iloc[0].promotion_fen == 3000  # 50, 40, 30 | 30: the third unit is free
    bundle = BundlePrice("set", n=3, price_per_bundle=Money.of("99"))
    exact, fast = both(orders, members, Scenario("set", promotions=(bundle,)))
    assert_same(exact, fast)
    assert fast.orders.iloc[0].promotion_fen == 12000 - 9900  # 50 + 40 + 30 for 99


def test_free_shipping_over_59_waives_the_fee() -> None:
    """满59包邮 on a 10-yuan fee: 60 yuan of goods ships free, 50 pays the fee."""
    shipping = ShippingPolicy(base_fee=Money.of("10"), free_over=Money.of("99"))
    orders = lines(
        {
            "order_id": ["O1", "O2"],
            "paid_at": ["2026-07-01T10:00:00+08:00", "2026-07-02T10:00:00+08:00"],
            "quantity": [6, 5],
            "unit_price_fen": [1000, 1000],
        }
    )
    members = member("normal")
    scenario = Scenario(
        "ship", shipping=shipping, promotions=(FreeShippingOver("f59", threshold=Money.of("59")),)
    )
    exact, fast = both(orders, members, scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.shipping_fen) == [0, 1000]
    assert got.rules["O1"] == "f59" and "promotion.below_threshold" in got.reasons["O2"]


def test_free_shipping_for_new_customers_only(tiny: dict[str, Any]) -> None:
    """新客包邮: a free-shipping offer whose condition reads the member's order count."""
    scenario = attrs.evolve(
        simplified(),
        shipping=ShippingPolicy(base_fee=Money.of("8"), free_over=Money.of("299")),
        promotions=(FreeShippingOver("new-free", threshold=Money(0), condition=NewCustomer()),),
    )
    exact, fast = both(tiny["orders"], tiny["members"], scenario)
    assert_same(exact, fast)
    assert "new-free" in set(fast.orders.rules) and (fast.orders.shipping_fen > 0).any()


def test_activity_then_member_then_promotion_prices() -> None:
    """限时价199 (one per order), then gold 95折 (会员价), then 满299减40 on what is left."""
    window = Window(pendulum.datetime(2026, 7, 1, tz=TZ), pendulum.datetime(2026, 7, 8, tz=TZ))
    promos = (
        LimitedTimePrice(
            "flash", prices=(SkuPrice("FM-1", Money.of("199")),), limit_per_order=1, window=window
        ),
        MemberPrice("gold-95", rates=(TierRate("gold", Decimal("0.95")),)),
        FullReduction("fr", tiers=(ReductionTier(Money.of("299"), Money.of("40")),)),
    )
    orders = lines(
        {
            "order_id": ["O1"],
            "sku": ["FM-1"],
            "paid_at": ["2026-07-02T10:00:00+08:00"],
            "quantity": [2],
            "unit_price_fen": [24800],
        }
    )
    members = member("gold")
    exact, fast = both(orders, members, Scenario("stages", promotions=promos))
    assert_same(exact, fast)
    row = fast.orders.iloc[0]
    assert row.activity_fen == 4900  # one tin at 199 instead of 248
    assert row.member_fen == 2235  # 5% of 447, half up
    assert (row.promotion_fen, row.payable_fen) == (4000, 49600 - 4900 - 2235 - 4000)


def test_gift_with_purchase_counts_its_value_and_stock() -> None:
    """满199赠 a bib (cost 8 yuan), two per set, every 199, stock 3: 420 yuan gets 3."""
    bib = Sku("BIB", Money.of("29.90"), cost=Money.of("8"))
    gift = GiftWithPurchase(
        "bib", threshold=Money.of("199"), gift=bib, quantity=2, repeat=True, stock=3
    )
    orders = lines(
        {
            "order_id": ["O1", "O2"],
            "paid_at": ["2026-07-01T10:00:00+08:00", "2026-07-02T10:00:00+08:00"],
            "unit_price_fen": [42000, 10000],
        }
    )
    members = member("normal")
    exact, fast = both(orders, members, Scenario("gift", promotions=(gift,)))
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.gift_value_fen) == [3 * 800, 0]
    assert "promotion.gift_partial" in got.reasons["O1"] and got.rules["O1"] == "bib"
    assert list(got.payable_fen) == [42000, 10000]  # a gift never changes what is paid


def test_orders_priced_again_refund_at_their_new_price() -> None:
    """Gold from 452 growth: a full refund drops M1, so O2 is re-priced at list and its refund
    must take back the growth of the list price (100), not of the gold price first assumed."""
    ladder = TierLadder((Tier("normal"), Tier("gold", threshold=452)))
    scenario = attrs.evolve(simplified(), ladder=ladder, promotions=())
    day = "2026-07-0{}T10:00:00+08:00"
    orders = lines(
        {
            "order_id": ["O1", "O2", "O3"],
            "paid_at": [day.format(1), day.format(3), day.format(4)],
            "unit_price_fen": [60000, 10000, 45000],
            "refunded_quantity": [1, 1, 0],
            "refunded_at": [day.format(2), day.format(5), ""],
        }
    )
    members = member("normal")
    exact, fast = both(orders, members, scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.tier_before) == ["normal", "normal", "normal"]
    assert got.tier_after["O2"] == "normal"  # 550 - 100 = 450, below 452
    assert fast.summary["members_per_tier"] == {"normal": 1}


def test_importing_the_simulation_loads_no_numpy_or_pandas() -> None:
    """The engines' heavy imports wait until a run: `import sirui.simulate` stays light."""
    import subprocess
    import sys

    code = "import sys, sirui.simulate; print(sorted({'numpy', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_share_window_across_summer_time_counts_calendar_days() -> None:
    """Berlin moves its clocks on 29 March: 15 days after 20 March 12:00 ends on 4 April 12:00
    local, one hour before 15 x 24 hours; a payment at 12:30 is outside the link's window."""
    orders = lines(
        {
            "order_id": ["O1", "O2"],
            "share_by": ["G1", "G1"],
            "placed_at": ["2026-03-20T12:00:00", "2026-03-20T12:00:00"],
            "paid_at": ["2026-04-04T12:30:00", "2026-04-04T11:30:00"],
            "unit_price_fen": [10000, 10000],
        }
    )
    members = member("normal")
    scenario = Scenario(
        "link",
        commission=CommissionPlan((RateRule("all", "0.05"),)),
        attribution=AttributionPolicy(share_window_days=15),
    )
    exact, fast = both(orders, members, scenario, timezone="Europe/Berlin")
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert (got.commission_fen["O1"], got.commission_fen["O2"]) == (0, 500)


def test_a_large_catalogue_keeps_every_sku_apart() -> None:
    """1,600 SKUs, each with its own price, cost, category, tags and SPU: no two are confused."""
    n = 1600
    orders = lines(
        {
            "order_id": [f"O{i}" for i in range(n)],
            "member_id": ["M1"] * n,
            "sku": [f"S{i}" for i in range(n)],
            "spu": [f"P{i}" for i in range(n)],
            "category": [f"母婴/C{i}" for i in range(n)],
            "tags": [f"T{i}" for i in range(n)],
            "paid_at": ["2026-07-01T10:00:00+08:00"] * n,
            "quantity": [1] * n,
            "unit_price_fen": [10000 + i for i in range(n)],
            "unit_cost_fen": [5000 + i for i in range(n)],
        }
    )
    members = member("gold")
    batch, _, _ = prepare_batch(orders, members)
    assert len(batch.skus) == n
    assert_same(*both(orders, members, simplified()))


def test_seventy_promotions_name_every_rule_they_apply() -> None:
    """More rules than a 64-bit mask holds: each order still lists every rule and reason."""

    def low(i: int) -> int:  # the first three and the last six need only 101 fen
        return 101 if i < 3 or i >= 64 else 170

    promos = tuple(
        FullReduction(f"fr{i:02d}", tiers=(ReductionTier(Money(low(i)), Money(1)),))
        for i in range(70)
    )
    orders = lines(
        {
            "order_id": ["O1", "O2"],
            "paid_at": ["2026-07-01T10:00:00+08:00", "2026-07-02T10:00:00+08:00"],
            "unit_price_fen": [10000, 150],
        }
    )
    members = member("normal")
    exact, fast = both(orders, members, Scenario("many", promotions=promos))
    assert_same(exact, fast)
    assert len(fast.orders.rules.iloc[0].split(";")) == 70
    # 150 fen reaches only the rules at 101 fen, some of them past a 64-bit mask.
    reached = [f"fr{i:02d}" for i in (0, 1, 2, 64, 65, 66, 67, 68, 69)]
    assert fast.orders.rules.iloc[1].split(";") == reached


# -- coupon triggers -----------------------------------------------------------------------


def test_the_demo_scenarios_use_their_coupons_alike(
    tiny: dict[str, Any], baseline: Any, proposal: Any
) -> None:
    """支付有礼 and 复购激励 on the sample chain: same rows on both engines, coupons used."""
    for scenario in (baseline, proposal):
        exact, fast = both(tiny["orders"], tiny["members"], scenario)
        assert_same(exact, fast)
        assert fast.summary["coupons_used"] > 0 and fast.summary["coupons_issued"] > 0
        used = fast.orders[fast.orders.coupons_used > 0]
        # A coupon's rule is its id: the trigger, what it was issued for, the template.
        assert used.rules.str.contains(r"(?:after-pay-gift|repurchase-25d):").all()


def _joined(days_before: int = 1) -> Any:
    at = pendulum.datetime(2026, 7, 1, 10, tz=TZ).subtract(days=days_before)
    return pd.DataFrame({"member_id": ["M1"], "tier": ["normal"], "joined_at": [at.isoformat()]})


def _day(d: int, hour: int = 10) -> str:
    return f"2026-07-{d:02d}T{hour:02d}:00:00+08:00"


def test_a_coupon_that_would_cost_the_free_shipping_stays_in_the_wallet() -> None:
    """新人券 5 yuan off, 满99包邮 (fee 10): on 100 yuan the coupon would make it 95 + 10,
    so the checkout keeps it for the 150-yuan order the next day."""
    gift = NoThresholdCoupon("new-5", off=Money.of("5"), validity=DaysAfterClaim(7))
    scenario = Scenario(
        "ship",
        coupons=(gift,),
        triggers=(NewMemberGiftPack("pack", templates=("new-5",)),),
        shipping=ShippingPolicy(base_fee=Money.of("10"), free_over=Money.of("99")),
    )
    orders = lines(
        {
            "order_id": ["O1", "O2"],
            "paid_at": [_day(1), _day(2)],
            "unit_price_fen": [10000, 15000],
        }
    )
    exact, fast = both(orders, _joined(), scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.coupon_fen) == [0, 500]
    assert list(got.payable_fen) == [10000, 14500]
    assert "stacking.combination_saves_more" in got.reasons["O1"]
    assert got.rules["O2"] == "pack:M1:0:new-5"
    assert list(got.coupons_issued) == [1, 0]


def test_the_coupon_expiring_first_is_used_and_its_twin_waits() -> None:
    """Two 满100减10 from two paid orders: the third order uses the older one (it ends first)."""
    ten = AmountOffCoupon(
        "ten", off=Money.of("10"), threshold=Money.of("100"), validity=DaysAfterClaim(7)
    )
    scenario = Scenario(
        "twins", coupons=(ten,), triggers=(AfterPaymentGift("paid", templates=("ten",)),)
    )
    orders = lines(
        {
            "order_id": ["O1", "O2", "O3"],
            "paid_at": [_day(1), _day(2), _day(3)],
            "unit_price_fen": [5000, 5000, 12000],
        }
    )
    exact, fast = both(orders, member("normal"), scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert got.rules["O2"] == "" and "coupon.below_threshold" in got.reasons["O2"]
    assert got.rules["O3"] == "paid:O1:0:ten"
    assert "stacking.same_template" in got.reasons["O3"]
    assert list(got.coupons_issued) == [1, 1, 1]


def test_a_full_refund_gives_the_coupon_back_for_a_later_order() -> None:
    """O1 uses the gift pack's coupon and is refunded whole on 3 July: O2 on 4 July uses it
    again; O3 at the very instant of O2's own full refund comes first and finds none."""
    gift = NoThresholdCoupon("new-5", off=Money.of("5"), validity=DaysAfterClaim(14))
    scenario = Scenario(
        "back", coupons=(gift,), triggers=(NewMemberGiftPack("pack", templates=("new-5",)),)
    )
    orders = lines(
        {
            "order_id": ["O1", "O2", "O3"],
            "paid_at": [_day(1), _day(4), _day(5)],
            "unit_price_fen": [10000, 10000, 10000],
            "refunded_quantity": [1, 1, 0],
            "refunded_at": [_day(3), _day(5), ""],
        }
    )
    exact, fast = both(orders, _joined(), scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.coupon_fen) == [500, 500, 0]
    assert list(got.refund_fen) == [9500, 9500, 0]


def test_a_repurchase_coupon_only_within_its_window() -> None:
    """复购激励 at 25 days for 7: O2 at day 26 gets one (and uses it), O3 two days later gets
    none (its last order is O2), O4 at day 70 is past O3's window."""
    back = AmountOffCoupon(
        "back", off=Money.of("20"), threshold=Money.of("199"), validity=DaysAfterClaim(7)
    )
    scenario = Scenario(
        "repurchase", coupons=(back,),
        triggers=(RepurchaseIncentive("r25", templates=("back",)),),
    )
    paid = pendulum.datetime(2026, 7, 1, 10, tz=TZ)
    orders = lines(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "paid_at": [paid.add(days=d).isoformat() for d in (0, 26, 28, 70)],
            "unit_price_fen": [20000] * 4,
        }
    )
    exact, fast = both(orders, member("normal"), scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.coupons_issued) == [0, 1, 0, 0]
    assert got.rules["O2"] == f"r25:M1:{paid.isoformat()}:0:back"
    assert list(got.payable_fen) == [20000, 18000, 20000, 20000]


@pytest.mark.parametrize(
    ("stacking", "code", "off"),
    [
        (StackingPolicy(max_coupons=0), "stacking.order_limit", 0),
        (StackingPolicy(slot_limits=(SlotLimit({"store"}, 0),)), "stacking.slot_full", 0),
        (StackingPolicy(), "stacking.slot_full", 1000),  # 9折 saves 10, 5 off loses
    ],
)
def test_a_coupon_left_out_says_which_limit(stacking: StackingPolicy, code: str, off: int) -> None:
    """Two templates, one order: the better one is used unless no coupon may be."""
    five = NoThresholdCoupon("five", off=Money.of("5"), validity=DaysAfterClaim(7))
    pct = PercentOffCoupon("pct", rate=Decimal("0.9"), validity=DaysAfterClaim(7))
    scenario = Scenario(
        "limits", coupons=(five, pct), stacking=stacking,
        triggers=(NewMemberGiftPack("pack", templates=("five", "pct")),),
    )
    orders = lines({"order_id": ["O1"], "unit_price_fen": [10000]})
    exact, fast = both(orders, _joined(), scenario)
    assert_same(exact, fast)
    row = fast.orders.iloc[0]
    assert code in row.reasons
    assert row.coupon_fen == off


def test_a_total_quota_goes_to_the_first_claims_of_every_member() -> None:
    """满100减10, 2 in total (发放总量): M1 and M2 claim on 1 July, M3 on 2 July gets none;
    when M1's coupon would be refused the replay gives the quota to the next claim in time."""
    ten = AmountOffCoupon(
        "ten", off=Money.of("10"), threshold=Money.of("100"), validity=DaysAfterClaim(7),
        total_quota=2,
    )
    scenario = Scenario(
        "quota", coupons=(ten,), triggers=(AfterPaymentGift("paid", templates=("ten",)),)
    )
    orders = lines(
        {
            "order_id": ["A1", "B1", "C1", "A2", "B2", "C2"],
            "member_id": ["M1", "M2", "M3", "M1", "M2", "M3"],
            "paid_at": [_day(1, 9), _day(1, 10), _day(2), _day(3), _day(3), _day(3)],
            "unit_price_fen": [12000] * 6,
        }
    )
    members = pd.DataFrame({"member_id": ["M1", "M2", "M3"], "tier": ["normal"] * 3})
    exact, fast = both(orders, members, scenario)
    assert_same(exact, fast)
    got = fast.orders.set_index("order_id")
    assert list(got.coupons_issued) == [1, 1, 0, 0, 0, 0]
    assert list(got.coupon_fen[["A2", "B2", "C2"]]) == [1000, 1000, 0]


def test_quotas_with_a_ladder_price_alike(tiny: dict[str, Any], baseline: Any) -> None:
    """The demo's after-payment coupon limited to 25 for everyone, tiers moving with orders."""
    after, again = baseline.coupons
    scenario = attrs.evolve(baseline, coupons=(attrs.evolve(after, total_quota=25), again))
    exact, fast = both(tiny["orders"], tiny["members"], scenario)
    assert_same(exact, fast)
    assert fast.summary["coupons_issued"] < both(tiny["orders"], tiny["members"], baseline)[
        1
    ].summary["coupons_issued"]
