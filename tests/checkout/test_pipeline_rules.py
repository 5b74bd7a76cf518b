"""The stage runner (`checkout._pipeline`), rule by rule, on the straightforward path.

Promotions of a stage in priority order, conflicts resolved by the saving at
that stage, pinned coupons admitted in the shopper's order, coupons refused
before pricing (whose wallet, the validity window), and what the search
minimises. Quotes are priced on both paths and must agree; the
straightforward one is where the stage runner runs.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import attrs
import pytest

from checkout._shop import MONTH, NEW, NOW, both, cart, claim, straightforward, y
from checkout._steps import PointsDeduction
from sirui.checkout import (
    ExclusionGroup,
    RulePriority,
    ShippingPolicy,
    SlotLimit,
    StackingPolicy,
    quote,
)
from sirui.checkout._pipeline import (
    Plan,
    admit_pinned,
    apply_coupon,
    cost,
    fingerprint_of,
    kind_of,
    precheck,
    shipping_payable,
)
from sirui.checkout._quote import Quote
from sirui.checkout.shipping import ShippingStep
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Sku
from sirui.core.windows import FixedValidity, Window
from sirui.promotions import (
    AmountOffCoupon,
    FreeShippingCoupon,
    FullReduction,
    NewCustomerReduction,
    NoThresholdCoupon,
    PercentageDiscount,
    ReductionTier,
)
from sirui.rules import ItemScope
from sirui.rules.pricing import PriceState, Stage

FR = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])


def reason(q: Quote, rule: str) -> tuple[str, dict[str, Any]]:
    why = q.why_not(rule)
    assert why is not None, rule
    return why.code, dict(why.params)


def off(tid: str, amount: int, threshold: int = 0, **kw: Any) -> AmountOffCoupon:
    return AmountOffCoupon(tid, validity=MONTH, off=y(amount), threshold=y(threshold), **kw)


def window(start: Any, end: Any) -> FixedValidity:
    return FixedValidity(Window(start, end))


# -- conflicts within a stage -------------------------------------------------------------


def test_of_one_group_the_promotion_saving_more_wins_and_the_other_says_by_how_much() -> None:
    """满299减40 and 9折 in one group on a 300-yuan cart: 40 beats 30, pays 260."""
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))], group="storewide")
    pct = PercentageDiscount("pct90", rate="0.9", group="storewide")
    q = both(cart(("A", 100, 1), ("B", 200, 1)), NOW, promotions=[pct, fr])
    assert q.payable == y(260)
    assert reason(q, "pct90") == ("stacking.excluded_by_group", {
        "group": "storewide", "chosen": "fr", "chosen_saves": y(40), "saves": y(30)})


def test_of_one_group_the_percentage_wins_on_a_bigger_cart() -> None:
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))], group="storewide")
    pct = PercentageDiscount("pct90", rate="0.9", group="storewide")
    q = both(cart(("A", 500, 1)), NOW, promotions=[fr, pct])
    assert q.payable == y(450)
    assert reason(q, "fr") == ("stacking.excluded_by_group", {
        "group": "storewide", "chosen": "pct90", "chosen_saves": y(50), "saves": y(40)})


def test_a_group_tie_goes_to_the_promotion_first_in_priority_order() -> None:
    """Two 满299减40 in one group save alike: the higher priority wins, then the smaller id."""
    a = FullReduction("a", tiers=[ReductionTier(y(299), y(40))], group="g")
    b = FullReduction("b", tiers=[ReductionTier(y(299), y(40))], group="g", priority=5)
    q = both(cart(("A", 300, 1)), NOW, promotions=[a, b])
    assert q.applied("b") and not q.applied("a")
    assert reason(q, "a")[1]["chosen"] == "b"
    c = FullReduction("c", tiers=[ReductionTier(y(299), y(40))], group="g")
    q = both(cart(("A", 300, 1)), NOW, promotions=[c, a])
    assert q.applied("a") and not q.applied("c")


def test_policy_groups_join_promotions_that_have_no_group_of_their_own() -> None:
    """The operator groups 满减 and 新客立减: only the 40 applies, pays 260."""
    newbie = NewCustomerReduction("new3", off=y(3))
    pol = StackingPolicy(exclusion_groups=[ExclusionGroup("one-offer", {"fr-299-40", "new3"})])
    c = cart(("A", 300, 1), member=NEW)
    assert both(c, NOW, promotions=[FR, newbie]).payable == y(257)
    q = both(c, NOW, promotions=[FR, newbie], stacking=pol)
    assert q.payable == y(260)
    assert reason(q, "new3") == ("stacking.excluded_by_group", {
        "group": "one-offer", "chosen": "fr-299-40", "chosen_saves": y(40), "saves": y(3)})


def test_a_promotion_in_two_groups_names_both_and_every_winner() -> None:
    """x conflicts with a (group g1) and b (group g2); a and b stack and together beat x."""
    a = FullReduction("a", tiers=[ReductionTier(y(100), y(20))])
    b = FullReduction("b", tiers=[ReductionTier(y(100), y(25))])
    x = FullReduction("x", tiers=[ReductionTier(y(100), y(30))])
    pol = StackingPolicy(exclusion_groups=[
        ExclusionGroup("g1", {"a", "x"}), ExclusionGroup("g2", {"b", "x"}),
    ])
    q = both(cart(("A", 300, 1)), NOW, promotions=[x, a, b], stacking=pol)
    assert q.payable == y(255)
    assert reason(q, "x") == ("stacking.excluded_by_group", {
        "group": "g1,g2", "chosen": "a,b", "chosen_saves": y(45), "saves": y(30)})


def test_an_exclusive_promotion_applies_alone_when_it_saves_more() -> None:
    """8折 exclusive (60 off) beats 满299减40 + 新客立减3 (43 off): pays 240."""
    excl = PercentageDiscount("pct80", rate="0.8", exclusive=True)
    newbie = NewCustomerReduction("new3", off=y(3))
    q = both(cart(("A", 300, 1), member=NEW), NOW, promotions=[FR, newbie, excl])
    assert q.payable == y(240)
    assert reason(q, "fr-299-40") == ("stacking.excluded_by_exclusive", {
        "chosen": "pct80", "chosen_saves": y(60), "saves": y(43)})
    assert reason(q, "new3") == ("stacking.excluded_by_exclusive", {
        "chosen": "pct80", "chosen_saves": y(60), "saves": y(43)})


def test_an_exclusive_promotion_loses_when_the_others_save_more() -> None:
    """9.5折 exclusive (15 off) loses to 满299减40: pays 260, the 9.5折 says why."""
    excl = PercentageDiscount("pct95", rate="0.95", exclusive=True)
    q = both(cart(("A", 300, 1)), NOW, promotions=[excl, FR])
    assert q.payable == y(260)
    assert reason(q, "pct95") == ("stacking.exclusive_saves_less",
                                  {"saves": y(15), "chosen_saves": y(40)})


def test_of_two_exclusive_promotions_the_loser_is_excluded_by_the_winner() -> None:
    a = PercentageDiscount("a", rate="0.8", exclusive=True)
    b = PercentageDiscount("b", rate="0.9", exclusive=True)
    q = both(cart(("A", 300, 1)), NOW, promotions=[b, a, FR])
    assert q.payable == y(240)
    assert reason(q, "b") == ("stacking.excluded_by_exclusive",
                              {"chosen": "a", "chosen_saves": y(60), "saves": y(30)})
    assert reason(q, "fr-299-40") == ("stacking.excluded_by_exclusive",
                                      {"chosen": "a", "chosen_saves": y(60), "saves": y(40)})


def test_an_exclusive_promotion_that_cannot_apply_gives_its_own_reason() -> None:
    """满999减100 exclusive on a 300 cart: it says how much is missing, not that it lost."""
    big = FullReduction("big", tiers=[ReductionTier(y(999), y(100))], exclusive=True)
    q = both(cart(("A", 300, 1)), NOW, promotions=[big, FR])
    assert q.payable == y(260)
    assert reason(q, "big")[0] == "promotion.below_threshold"


def test_a_group_member_that_cannot_apply_reports_its_own_reason() -> None:
    fr = FullReduction("fr", tiers=[ReductionTier(y(999), y(100))], group="g")
    pct = PercentageDiscount("pct90", rate="0.9", group="g")
    q = both(cart(("A", 300, 1)), NOW, promotions=[fr, pct])
    assert q.payable == y(270)
    assert reason(q, "fr")[0] == "promotion.below_threshold"


def test_a_promotion_outside_every_conflict_stacks_with_the_winner() -> None:
    newbie = NewCustomerReduction("new3", off=y(3))
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))], group="g")
    pct = PercentageDiscount("pct90", rate="0.9", group="g")
    q = both(cart(("A", 300, 1), member=NEW), NOW, promotions=[fr, pct, newbie])
    assert q.applied("fr") and q.applied("new3") and not q.applied("pct90")
    assert q.payable == y(257)


def test_priority_decides_which_promotion_sees_the_full_amount() -> None:
    """9折 first on 210 leaves 189, below 满200减20: pays 189; 满减 first: 190 then 9折 = 171."""
    pct = PercentageDiscount("pct90", rate="0.9", priority=10)
    fr = FullReduction("fr-200-20", tiers=[ReductionTier(y(200), y(20))])
    c = cart(("A", 210, 1))
    q = both(c, NOW, promotions=[fr, pct])
    assert q.payable == y(189)
    assert reason(q, "fr-200-20")[0] == "promotion.below_threshold"
    pol = StackingPolicy(priorities=[RulePriority("fr-200-20", 20)])
    assert both(c, NOW, promotions=[fr, pct], stacking=pol).payable == y(171)


def test_promotions_of_equal_priority_run_in_id_order_whatever_the_order_given() -> None:
    """9折 "a" before 满200减20 "b" on 210: 189, below the threshold; ids decide, not order."""
    a = PercentageDiscount("a", rate="0.9")
    b = FullReduction("b", tiers=[ReductionTier(y(200), y(20))])
    for promos in ([a, b], [b, a]):
        assert both(cart(("A", 210, 1)), NOW, promotions=promos).payable == y(189)


# -- extra steps and the shipping step ----------------------------------------------------


@attrs.frozen
class Tag:
    """A step that records its name in the order steps ran."""

    name: str
    stage: Stage

    def price(self, state: PriceState) -> PriceState:
        return state.with_extra("ran", (*state.extra("ran", ()), self.name))


def test_steps_run_after_their_stages_promotions_in_the_order_given() -> None:
    pol = StackingPolicy()
    steps = [Tag("p2", Stage.POINTS), Tag("a1", Stage.ACTIVITY), Tag("p1", Stage.POINTS),
             Tag("z", Stage.PROMOTION)]
    plan = Plan(pol, [FR], steps, ShippingStep(ShippingPolicy()))
    s = PriceState.start(cart(("A", 300, 1)), NOW)
    for stage in Stage:
        s = plan.run(s, stage)
    assert s.extra("ran") == ("a1", "z", "p2", "p1")
    assert s.stage_total(Stage.PROMOTION) == y(40)
    assert s.shipping_fee == y(0)


def test_the_shipping_fee_is_set_at_the_shipping_stage_only() -> None:
    plan = Plan(StackingPolicy(), [], [], ShippingStep(ShippingPolicy()))
    s = PriceState.start(cart(("A", 50, 1)), NOW)
    s = plan.run(s, Stage.POINTS)
    assert s.shipping_fee is None
    s = plan.run(s, Stage.SHIPPING)
    assert s.shipping_fee == y(10)
    assert shipping_payable(s) == y(10)
    no_fee = Plan(StackingPolicy(), [], [], None).run(PriceState.start(cart(("A", 50, 1)), NOW),
                                                       Stage.SHIPPING)
    assert no_fee.shipping_fee is None
    assert shipping_payable(no_fee) == y(0)


def test_the_search_minimises_goods_before_points_plus_shipping() -> None:
    """Points are the shopper's own value: 30 of them off a 50 cart still cost 50 + ¥10 fee."""
    s = PriceState.start(cart(("A", 50, 1)), NOW)
    s = Plan(StackingPolicy(), [], [PointsDeduction(300, 50)], ShippingStep(ShippingPolicy())).run(
        Plan(StackingPolicy(), [], [PointsDeduction(300, 50)], None).run(s, Stage.POINTS),
        Stage.SHIPPING,
    )
    assert s.subtotal() == y(47)
    assert cost(s) == 6000
    waived = apply_coupon(s, claim("fs", FreeShippingCoupon("fs", validity=MONTH, cap=y(4))),
                          True)
    assert shipping_payable(waived) == y(6)
    assert cost(waived) == 5600


def test_points_do_not_change_which_coupon_is_best() -> None:
    wallet = [claim("c30", off("t30", 30, 250)), claim("c10", off("t10", 10, 100))]
    q = quote(cart(("A", 300, 1)), NOW, coupons=wallet, steps=[PointsDeduction(500, 10)],
              shipping=ShippingPolicy())
    assert q.coupons_used == ("c30",)
    assert q.payable == y(265)
    assert q.points_used == 500


# -- coupons: whose wallet, when, and on which lines --------------------------------------


def test_a_coupon_is_usable_from_the_first_instant_of_its_window_until_just_before_its_end(
) -> None:
    start, end = NOW, NOW.add(days=1)
    c = claim("c", AmountOffCoupon("t", validity=window(start, end), off=y(5)))
    assert precheck(c, "m1", start) is None
    assert precheck(c, "m1", end.subtract(microseconds=1)) is None
    expired = precheck(c, "m1", end)
    assert expired is not None
    assert (expired.rule, expired.stage, expired.kind) == ("c", Stage.COUPON, "coupon.amount_off")
    assert expired.reason.code == "checkout.coupon_expired"
    assert expired.reason.params == {"end": end, "end_zh": "2026年11月12日 10:00"}
    early = precheck(c, "m1", start.subtract(microseconds=1))
    assert early is not None
    assert early.reason.code == "checkout.coupon_not_yet_valid"
    assert early.reason.params == {"start": start, "start_zh": "2026年11月11日 10:00"}
    q = both(cart(("A", 50, 1)), start, coupons=[c])
    assert q.coupons_used == ("c",)


def test_an_open_ended_coupon_never_expires() -> None:
    c = claim("c", AmountOffCoupon("t", validity=window(NOW, None), off=y(5)))
    assert precheck(c, "m1", NOW.add(years=50)) is None


def test_another_members_coupon_is_refused_naming_its_owner() -> None:
    c = claim("c", FreeShippingCoupon("fs", validity=MONTH), member="m9")
    why = precheck(c, "m1", NOW)
    assert why is not None
    assert (why.rule, why.stage, why.kind) == ("c", Stage.SHIPPING, "coupon.free_shipping")
    assert why.reason.code == "checkout.coupon_other_member"
    assert why.reason.params == {"owner": "m9"}
    assert precheck(c, "m9", NOW) is None


def test_a_coupon_not_stacking_with_promotions_only_sees_undiscounted_lines() -> None:
    """满299减40 on milk only; a non-stacking 无门槛10 applies to the diapers: pays 250+90."""
    milk_fr = FullReduction(
        "milk-fr", tiers=[ReductionTier(y(299), y(40))],
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10), stacks_with_promotions=False)
    c = cart(("MILK", 300, 1), ("DIAPER", 100, 1, "母婴/纸尿裤"))
    q = both(c, NOW, promotions=[milk_fr], coupons=[claim("c10", c10)])
    assert q.payable == y(350)
    assert q.line("L-DIAPER").paid == y(90)
    assert q.line("L-MILK").paid == y(260)
    q2 = both(cart(("MILK", 300, 1)), NOW, promotions=[milk_fr], coupons=[claim("c10", c10)])
    assert q2.payable == y(260)
    assert q2.coupons_used == ()
    assert q2.why_not("c10") is not None


def test_a_non_stacking_coupon_keeps_the_promotions_and_the_state_it_did_not_touch() -> None:
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10), stacks_with_promotions=False)
    milk_fr = FullReduction(
        "milk-fr", tiers=[ReductionTier(y(299), y(40))],
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    s = PriceState.start(cart(("MILK", 300, 1), ("DIAPER", 100, 1, "母婴/纸尿裤")), NOW)
    s = attrs.evolve(milk_fr.price(s), shipping_fee=y(10), extras=(("k", 1),))
    after = apply_coupon(s, claim("c10", c10), False)
    assert [a.rule for a in after.adjustments] == ["milk-fr", "c10"]
    assert after.line("L-MILK").amount == y(260)
    assert after.line("L-DIAPER").amount == y(90)
    assert after.line("L-MILK").blocked == s.line("L-MILK").blocked
    assert after.shipping_fee == y(10)
    assert after.extra("k") == 1
    refused = apply_coupon(s, claim("c20", off("t20", 20, 200, stacks_with_promotions=False)),
                           False)
    assert refused.adjustments == s.adjustments
    assert [(na.rule, na.reason.code) for na in refused.not_applied[len(s.not_applied):]] == [
        ("c20", "coupon.below_threshold")]
    stacking = apply_coupon(s, claim("c10", c10), True)
    assert stacking.line("L-MILK").amount + stacking.line("L-DIAPER").amount == y(350)


def test_the_mall_can_forbid_coupons_on_promoted_lines() -> None:
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10))
    c = cart(("A", 300, 1))
    pol = StackingPolicy(coupons_with_promotions=False)
    assert both(c, NOW, promotions=[FR], coupons=[claim("c", c10)]).payable == y(250)
    q = both(c, NOW, promotions=[FR], coupons=[claim("c", c10)], stacking=pol)
    assert q.payable == y(260)
    assert q.why_not("c") is not None


# -- pinned coupons ---------------------------------------------------------------------


def test_pinned_coupons_are_admitted_in_the_shoppers_order_and_applied_in_slot_order() -> None:
    pol = StackingPolicy(slot_limits=[SlotLimit({"store"}, 2), SlotLimit({"item"}, 1)])
    wallet = [
        claim("s1", off("t1", 10)), claim("s2", off("t2", 20)), claim("s3", off("t3", 30)),
        claim("i1", NoThresholdCoupon("i1", validity=MONTH, off=y(5), slot="item")),
        claim("f1", FreeShippingCoupon("fs", validity=MONTH)),
        claim("spare", off("t9", 9)),
    ]
    admitted, reports = admit_pinned(pol, wallet, ["s3", "f1", "s1", "s2", "i1", "gone"])
    assert [c.id for c in admitted] == ["i1", "s1", "s3", "f1"]
    by_rule = {na.rule: na for na in reports}
    assert sorted(by_rule) == ["gone", "s2", "spare"]
    assert by_rule["gone"].stage is Stage.COUPON
    assert by_rule["s2"].reason.code == "stacking.pinned_over_limit"
    assert by_rule["s2"].reason.params == {
        "slot": "store", "slot_zh": "店铺券", "limit": 2, "chosen": "s3,s1"}
    assert (by_rule["s2"].stage, by_rule["s2"].kind) == (Stage.COUPON, "coupon.amount_off")
    assert by_rule["gone"].reason.code == "checkout.coupon_not_in_wallet"
    assert by_rule["gone"].reason.params == {"coupon": "gone"}
    assert by_rule["spare"].reason.code == "checkout.coupon_not_chosen"
    assert by_rule["spare"].kind == "coupon.amount_off"


def test_pinned_coupons_beyond_the_order_cap_are_refused() -> None:
    pol = StackingPolicy(slot_limits=[SlotLimit({"store"}, 3)], max_coupons=2)
    wallet = [claim("a", off("ta", 10)), claim("b", off("tb", 20)), claim("c", off("tc", 5))]
    admitted, reports = admit_pinned(pol, [*wallet, claim("f", FreeShippingCoupon(
        "fs", validity=MONTH))], ["c", "a", "f", "b"])
    assert [c.id for c in admitted] == ["a", "c"]
    assert [(na.rule, na.stage, na.reason.code, dict(na.reason.params), na.kind)
            for na in reports] == [
        ("f", Stage.SHIPPING, "stacking.order_limit", {"limit": 2}, "coupon.free_shipping"),
        ("b", Stage.COUPON, "stacking.order_limit", {"limit": 2}, "coupon.amount_off"),
    ]
    q = both(cart(("A", 100, 1)), NOW, coupons=wallet, stacking=pol, chosen_coupons=["c", "a", "b"])
    assert q.coupons_used == ("a", "c")
    assert q.payable == y(85)


def test_a_pinned_choice_is_a_list_of_distinct_ids() -> None:
    wallet = [claim("c", off("t", 10))]
    with pytest.raises(InvalidValueError) as one:
        admit_pinned(StackingPolicy(), wallet, "c")
    assert type(one.value) is InvalidValueError  # the shopper's input, not a policy
    assert str(one.value) == "chosen_coupons='c': must be a list of coupon ids, not one string"
    assert (one.value.field, one.value.value) == ("chosen_coupons", "c")
    with pytest.raises(InvalidValueError) as twice:
        admit_pinned(StackingPolicy(), wallet, ("c", "c"))
    assert str(twice.value) == (
        "chosen_coupons=['c', 'c']: names a coupon twice; a coupon can be used once"
    )
    assert (twice.value.field, twice.value.value) == ("chosen_coupons", ["c", "c"])
    assert type(twice.value) is InvalidValueError
    assert admit_pinned(StackingPolicy(), wallet, []) == (
        [], [admit_pinned(StackingPolicy(), wallet, [])[1][0]])


def test_nothing_pinned_reports_every_coupon_as_not_chosen() -> None:
    wallet = [claim("c", off("t", 10)), claim("f", FreeShippingCoupon("fs", validity=MONTH))]
    admitted, reports = admit_pinned(StackingPolicy(), wallet, [])
    assert admitted == []
    assert [(na.rule, na.stage, na.reason.code, na.kind) for na in reports] == [
        ("c", Stage.COUPON, "checkout.coupon_not_chosen", "coupon.amount_off"),
        ("f", Stage.SHIPPING, "checkout.coupon_not_chosen", "coupon.free_shipping"),
    ]


def test_a_pinned_shipping_coupon_waives_the_fee_after_the_goods_coupons() -> None:
    wallet = [claim("c5", off("t5", 5)), claim("f", FreeShippingCoupon("fs", validity=MONTH))]
    q = both(cart(("A", 80, 1)), NOW, coupons=wallet, shipping=ShippingPolicy(),
             chosen_coupons=["f", "c5"])
    assert q.coupons_used == ("c5", "f")
    assert q.payable == y(75)


# -- naming ---------------------------------------------------------------------------------


def test_a_registered_policy_is_known_by_its_tag_and_fingerprint_others_by_class() -> None:
    assert kind_of(off("t", 1)) == "coupon.amount_off"
    assert kind_of(Tag("x", Stage.POINTS)) == "Tag"
    assert fingerprint_of(Tag("x", Stage.POINTS)) is None
    fp = fingerprint_of(off("t", 1))
    assert isinstance(fp, str) and fp
    assert fingerprint_of(off("t", 1)) == fp
    assert fingerprint_of(off("t", 2)) != fp


def test_money_amounts_stay_in_the_carts_currency() -> None:
    """A dollar cart owes dollars of shipping, not yuan."""
    usd = Cart(NEW, (Line("L-A", Sku("A", Money(5000, "USD")), 1),))
    s = PriceState.start(usd, NOW)
    assert shipping_payable(s) == Money(0, "USD")
    s = attrs.evolve(s, shipping_fee=Money(700, "USD"))
    assert shipping_payable(s) == Money(700, "USD")
    assert cost(s) == 5700


def test_pinned_coupons_apply_in_slot_order_not_id_order() -> None:
    """An item coupon applies before a store coupon whatever their ids: 无门槛20 on 260 leaves
    240, below 满250减30; the store coupon then says how much is missing."""
    wallet = [claim("a-store", off("t30", 30, 250)),
              claim("z-item", NoThresholdCoupon("i20", validity=MONTH, off=y(20), slot="item"))]
    admitted, _ = admit_pinned(StackingPolicy(), wallet, ["a-store", "z-item"])
    assert [c.id for c in admitted] == ["z-item", "a-store"]
    q = both(cart(("A", 260, 1)), NOW, coupons=wallet, chosen_coupons=["a-store", "z-item"])
    assert q.coupons_used == ("z-item",)
    assert q.payable == y(240)


def test_a_pin_over_a_shared_slot_limit_names_the_whole_slot_group() -> None:
    """Exchange and item coupons share one slot: the second pin names both kinds."""
    from sirui.promotions import ExchangeCoupon

    wallet = [claim("ex", ExchangeCoupon("ex-bib", validity=MONTH, sku="BIB")),
              claim("i5", NoThresholdCoupon("i5", validity=MONTH, off=y(5), slot="item"))]
    _, reports = admit_pinned(StackingPolicy(), wallet, ["ex", "i5"])
    assert [(na.rule, na.reason.code, dict(na.reason.params)) for na in reports] == [
        ("i5", "stacking.pinned_over_limit", {
            "slot": "exchange/item", "slot_zh": "兑换券/商品券", "limit": 1, "chosen": "ex"}),
    ]


def test_a_coupon_not_stacking_with_promotions_applies_everywhere_when_none_applied() -> None:
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10), stacks_with_promotions=False)
    s = PriceState.start(cart(("A", 300, 1)), NOW)
    after = apply_coupon(s, claim("c10", c10), False)
    assert after.subtotal() == y(290)
    q = both(cart(("A", 300, 1)), NOW, coupons=[claim("c10", c10)])
    assert q.payable == y(290)


def test_a_non_stacking_coupon_keeps_everything_its_template_did() -> None:
    """Whatever else the template records (extras, gifts, points, the fee) is kept."""
    real = NoThresholdCoupon.price

    def busy(self: Any, state: PriceState, coupon: Any) -> PriceState:
        res = real(self, state, coupon)
        gift = Line("G-1", Sku("GIFT", y(1)), 1)
        return attrs.evolve(res, extras=(*res.extras, ("stamp", coupon.id)),
                            gifts=(*res.gifts, gift), points_used=7, shipping_fee=y(6))

    milk_fr = FullReduction(
        "milk-fr", tiers=[ReductionTier(y(299), y(40))],
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10), stacks_with_promotions=False)
    s = PriceState.start(cart(("MILK", 300, 1), ("DIAPER", 100, 1, "母婴/纸尿裤")), NOW)
    s = milk_fr.price(s)
    with patch.object(NoThresholdCoupon, "price", busy):
        after = apply_coupon(s, claim("c10", c10), False)
    assert after.extra("stamp") == "c10"
    assert [g.id for g in after.gifts] == ["G-1"]
    assert (after.points_used, after.shipping_fee) == (7, y(6))
    assert after.line("L-DIAPER").amount == y(90)


def test_every_promotion_that_lost_says_why_not_only_the_first() -> None:
    """满999减100 cannot apply, 9折 saves less than 满299减40; all three in one group."""
    a = FullReduction("a", tiers=[ReductionTier(y(999), y(100))], group="g")
    b = PercentageDiscount("b", rate="0.9", group="g")
    c = FullReduction("c", tiers=[ReductionTier(y(299), y(40))], group="g")
    q = both(cart(("A", 300, 1)), NOW, promotions=[c, b, a])
    assert q.payable == y(260)
    assert reason(q, "a")[0] == "promotion.below_threshold"
    assert reason(q, "b") == ("stacking.excluded_by_group", {
        "group": "g", "chosen": "c", "chosen_saves": y(40), "saves": y(30)})


def test_a_losing_promotion_that_cannot_apply_says_so_even_beside_one_that_does() -> None:
    """新客立减3 stacks with either; 满999减100 in the group with 9折 cannot apply."""
    newbie = NewCustomerReduction("new3", off=y(3))
    fr = FullReduction("fr", tiers=[ReductionTier(y(999), y(100))], group="g")
    pct = PercentageDiscount("pct90", rate="0.9", group="g")
    q = both(cart(("A", 300, 1), member=NEW), NOW, promotions=[fr, pct, newbie])
    assert q.applied("pct90") and q.applied("new3")
    assert reason(q, "fr")[0] == "promotion.below_threshold"


def test_a_promotion_names_only_the_winners_of_its_own_groups() -> None:
    """Two separate groups: x loses to a in g1; b wins g2 but is no rival of x."""
    a = FullReduction("a", tiers=[ReductionTier(y(100), y(40))])
    x = FullReduction("x", tiers=[ReductionTier(y(100), y(30))])
    b = FullReduction("b", tiers=[ReductionTier(y(100), y(25))])
    z = FullReduction("z", tiers=[ReductionTier(y(100), y(5))])
    pol = StackingPolicy(exclusion_groups=[
        ExclusionGroup("g1", {"a", "x"}), ExclusionGroup("g2", {"b", "z"}),
    ])
    q = both(cart(("A", 300, 1)), NOW, promotions=[a, x, b, z], stacking=pol)
    assert q.payable == y(235)
    assert reason(q, "x") == ("stacking.excluded_by_group", {
        "group": "g1", "chosen": "a", "chosen_saves": y(65), "saves": y(55)})
    assert reason(q, "z") == ("stacking.excluded_by_group", {
        "group": "g2", "chosen": "b", "chosen_saves": y(65), "saves": y(45)})


def test_a_losing_promotion_is_credited_with_its_best_option() -> None:
    """x loses g1 to a; of x's own options, the one with b (g2's winner) saves most."""
    a = FullReduction("a", tiers=[ReductionTier(y(100), y(40))])
    x = FullReduction("x", tiers=[ReductionTier(y(100), y(30))])
    b = FullReduction("b", tiers=[ReductionTier(y(100), y(10))])
    z = FullReduction("z", tiers=[ReductionTier(y(100), y(4))])
    pol = StackingPolicy(exclusion_groups=[
        ExclusionGroup("g1", {"a", "x"}), ExclusionGroup("g2", {"b", "z"}),
    ])
    for order in ([a, x, b, z], [z, b, x, a]):
        q = both(cart(("A", 300, 1)), NOW, promotions=order, stacking=pol)
        assert q.payable == y(250)
        assert reason(q, "x")[1]["saves"] == y(40)
        assert reason(q, "z")[1]["saves"] == y(44)


def test_promotion_figures_are_in_the_carts_currency() -> None:
    """A dollar cart: 9.5折 exclusive loses to $40 off, both said in dollars."""
    usd = Cart(NEW, (Line("L-A", Sku("A", Money(30000, "USD")), 1),))
    excl = PercentageDiscount("pct95", rate="0.95", exclusive=True)
    fr = FullReduction("fr", tiers=[ReductionTier(Money(29900, "USD"), Money(4000, "USD"))])
    with straightforward():
        q = quote(usd, NOW, promotions=[excl, fr])
    assert q.payable == Money(26000, "USD")
    assert reason(q, "pct95") == ("stacking.exclusive_saves_less",
                                  {"saves": Money(1500, "USD"), "chosen_saves": Money(4000, "USD")})
    g1 = FullReduction("g1", tiers=[ReductionTier(Money(10000, "USD"), Money(500, "USD"))],
                       group="g")
    g2 = FullReduction("g2", tiers=[ReductionTier(Money(10000, "USD"), Money(300, "USD"))],
                       group="g")
    with straightforward():
        q = quote(usd, NOW, promotions=[g1, g2])
    assert reason(q, "g2") == ("stacking.excluded_by_group", {
        "group": "g", "chosen": "g1", "chosen_saves": Money(500, "USD"),
        "saves": Money(300, "USD")})
