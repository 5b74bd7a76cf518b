"""Stacking: exclusion groups, exclusive promotions, priorities, policy as data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout._shop import NEW, NOW, cart, y
from sirui.checkout import (
    ExclusionGroup,
    RulePriority,
    SlotLimit,
    StackingPolicy,
    quote,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.promotions import (
    FullReduction,
    NewCustomerReduction,
    PercentageDiscount,
    ReductionTier,
)

FR = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])


def test_group_picks_the_full_reduction_when_it_saves_more() -> None:
    """满299减40 and 9折 in one group on a 300-yuan cart: 40 beats 30, pays 260."""
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))], group="storewide")
    pct = PercentageDiscount("pct90", rate="0.9", group="storewide")
    q = quote(cart(("A", 100, 1), ("B", 200, 1)), NOW, promotions=[pct, fr])
    assert q.payable == y(260)
    assert q.applied("fr")
    assert not q.applied("pct90")
    why = q.why_not("pct90")
    assert why is not None
    assert why.code == "stacking.excluded_by_group"
    assert why.params["chosen_saves"] == y(40)
    assert why.params["saves"] == y(30)


def test_group_picks_the_percentage_when_it_saves_more() -> None:
    """Same group on a 500-yuan cart: 9折 saves 50, more than 40; pays 450."""
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))], group="storewide")
    pct = PercentageDiscount("pct90", rate="0.9", group="storewide")
    q = quote(cart(("A", 500, 1)), NOW, promotions=[fr, pct])
    assert q.payable == y(450)
    assert q.why_not("fr") is not None


def test_policy_group_excludes_promotions_without_their_own_group() -> None:
    """The operator groups 满减 and 新客立减 in the policy: only the 40 applies, pays 260."""
    newbie = NewCustomerReduction("new3", off=y(3))
    pol = StackingPolicy(exclusion_groups=[ExclusionGroup("one-offer", {"fr-299-40", "new3"})])
    c = cart(("A", 300, 1), member=NEW)
    assert quote(c, NOW, promotions=[FR, newbie]).payable == y(257)
    q = quote(c, NOW, promotions=[FR, newbie], stacking=pol)
    assert q.payable == y(260)
    assert q.why_not("new3").code == "stacking.excluded_by_group"  # type: ignore[union-attr]


def test_exclusive_promotion_applies_alone_when_it_saves_more() -> None:
    """8折 exclusive (60 off) beats 满299减40 + 新客立减3 (43 off): pays 240."""
    excl = PercentageDiscount("pct80", rate="0.8", exclusive=True)
    newbie = NewCustomerReduction("new3", off=y(3))
    q = quote(cart(("A", 300, 1), member=NEW), NOW, promotions=[FR, newbie, excl])
    assert q.payable == y(240)
    for rule in ("fr-299-40", "new3"):
        why = q.why_not(rule)
        assert why is not None
        assert why.code == "stacking.excluded_by_exclusive"
        assert why.params["chosen"] == "pct80"


def test_exclusive_promotion_loses_when_the_others_save_more() -> None:
    """9.5折 exclusive (15 off) loses to 满299减40: pays 260, the 9.5折 says why."""
    excl = PercentageDiscount("pct95", rate="0.95", exclusive=True)
    q = quote(cart(("A", 300, 1)), NOW, promotions=[excl, FR])
    assert q.payable == y(260)
    why = q.why_not("pct95")
    assert why is not None
    assert why.code == "stacking.exclusive_saves_less"
    assert why.params == {"saves": y(15), "chosen_saves": y(40)}


def test_policy_marks_a_promotion_exclusive() -> None:
    pct = PercentageDiscount("pct80", rate="0.8")
    pol = StackingPolicy(exclusive=frozenset({"pct80"}))
    c = cart(("A", 300, 1))
    assert quote(c, NOW, promotions=[FR, pct]).payable == y("208")  # 260 * 0.8
    assert quote(c, NOW, promotions=[FR, pct], stacking=pol).payable == y(240)


def test_priority_decides_which_promotion_sees_the_full_amount() -> None:
    """9折 first on 210 leaves 189, below 满200减20: pays 189; 满减 first: 190 then 9折 = 171."""
    pct = PercentageDiscount("pct90", rate="0.9", priority=10)
    fr = FullReduction("fr-200-20", tiers=[ReductionTier(y(200), y(20))])
    c = cart(("A", 210, 1))
    q = quote(c, NOW, promotions=[fr, pct])
    assert q.payable == y(189)
    assert q.why_not("fr-200-20").code == "promotion.below_threshold"  # type: ignore[union-attr]
    pol = StackingPolicy(priorities=[RulePriority("fr-200-20", 20)])
    assert quote(c, NOW, promotions=[fr, pct], stacking=pol).payable == y(171)


def test_a_group_member_that_cannot_apply_reports_its_own_reason() -> None:
    fr = FullReduction("fr", tiers=[ReductionTier(y(999), y(100))], group="g")
    pct = PercentageDiscount("pct90", rate="0.9", group="g")
    q = quote(cart(("A", 300, 1)), NOW, promotions=[fr, pct])
    assert q.payable == y(270)
    assert q.why_not("fr").code == "promotion.below_threshold"  # type: ignore[union-attr]


def test_policy_defaults_match_common_mall_rules() -> None:
    pol = StackingPolicy()
    assert pol.limit_group("store") == (frozenset({"store"}), 1)
    assert pol.limit_group("item") == (frozenset({"item", "exchange"}), 1)
    assert pol.limit_group("shipping") == (frozenset({"shipping"}), 1)
    assert pol.limit_group("birthday") == (frozenset({"birthday"}), 1)
    assert pol.coupon_stacks(True)
    assert not pol.coupon_stacks(False)
    assert not StackingPolicy(coupons_with_promotions=False).coupon_stacks(True)
    assert pol.slot_rank("item") < pol.slot_rank("store") < pol.slot_rank("zzz")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"slot_limits": [SlotLimit({"store"}, 1), SlotLimit({"store", "item"}, 2)]},
        {"priorities": [RulePriority("a", 1), RulePriority("a", 2)]},
        {"other_slot_limit": -1},
        {"coupon_order": ("store", "store")},
        {"max_search_nodes": 5},
    ],
)
def test_bad_stacking_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicyError):
        StackingPolicy(**kwargs)  # type: ignore[arg-type]


def test_bad_slot_limit_is_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        SlotLimit(frozenset(), 1)
    with pytest.raises(InvalidPolicyError):
        SlotLimit({"store"}, -1)


_slots = st.sampled_from(["store", "item", "exchange", "shipping", "birthday"])


@st.composite
def stacking_policies(draw: st.DrawFn) -> StackingPolicy:
    slots = draw(st.lists(_slots, unique=True, max_size=5))
    limits, i = [], 0
    while i < len(slots):
        k = draw(st.integers(1, 2))
        limits.append(SlotLimit(frozenset(slots[i:i + k]), draw(st.integers(0, 3))))
        i += k
    rules = st.text("abcdef", min_size=1, max_size=4)
    return StackingPolicy(
        priorities=[RulePriority(r, draw(st.integers(-5, 5)))
                    for r in draw(st.lists(rules, unique=True, max_size=3))],
        exclusion_groups=[ExclusionGroup(n, draw(st.frozensets(rules, min_size=1, max_size=3)))
                          for n in draw(st.lists(rules, unique=True, max_size=2))],
        exclusive=draw(st.frozensets(rules, max_size=2)),
        coupons_with_promotions=draw(st.booleans()),
        slot_limits=limits,
        other_slot_limit=draw(st.integers(0, 3)),
        max_coupons=draw(st.none() | st.integers(0, 5)),
        coupon_order=tuple(draw(st.permutations(["exchange", "item", "store", "shipping"]))),
        max_search_nodes=draw(st.integers(100, 10**6)),
    )


@given(stacking_policies())
def test_stacking_policy_round_trips_through_config(pol: StackingPolicy) -> None:
    assert load(dump(pol)) == pol


def test_rates_stay_decimal() -> None:
    assert PercentageDiscount("p", rate="0.9").rate == Decimal("0.9")
