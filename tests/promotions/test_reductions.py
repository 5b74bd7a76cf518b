"""满减 as operators write it: tiered and repeating full reduction."""

from __future__ import annotations

import pytest

from promotions._shop import NOW, around, cart, off, paid, shares, skipped, start, y
from sirui.core.errors import CurrencyMismatchError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Sku
from sirui.promotions import FullReduction, ReductionTier, RepeatingReduction
from sirui.rules import ItemScope, Stage, TierIn

LADDER = FullReduction(
    "double11",
    tiers=(
        ReductionTier(y(199), y(20)),
        ReductionTier(y(299), y(40)),
        ReductionTier(y(499), y(80)),
    ),
)


def test_299_minus_40_on_a_300_yuan_cart_pays_260() -> None:
    s = LADDER.price(start(cart(("A", 300, 1))))
    assert off(s) == y(40)
    assert paid(s) == y(260)
    assert s.adjustments[-1].reason.zh == "满¥299.00减¥40.00"


def test_499_minus_80_on_a_520_yuan_cart_pays_440() -> None:
    s = LADDER.price(start(cart(("A", 260, 2))))
    assert paid(s) == y(440)


def test_198_yuan_is_one_yuan_short_of_the_first_tier() -> None:
    s = LADDER.price(start(cart(("A", 198, 1))))
    assert not s.adjustments
    assert skipped(s) == "promotion.below_threshold"
    assert s.not_applied[-1].reason.params["short"] == y(1)


def test_the_40_off_is_shared_by_line_amount_200_and_100() -> None:
    s = LADDER.price(start(cart(("A", 200, 1), ("B", 100, 1))))
    assert shares(s) == {"L-A": y("26.67"), "L-B": y("13.33")}


def test_only_milk_powder_counts_towards_a_milk_powder_reduction() -> None:
    milk = FullReduction(
        "milk", tiers=(ReductionTier(y(199), y(20)),),
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    c = cart(("A", 150, 1), ("D", 100, 1, "母婴/纸尿裤"))
    s = milk.price(start(c))
    assert skipped(s) == "promotion.below_threshold"  # 150 of milk < 199
    c2 = cart(("A", 250, 1), ("D", 100, 1, "母婴/纸尿裤"))
    s2 = milk.price(start(c2))
    assert shares(s2) == {"L-A": y(20)}
    assert paid(s2) == y(330)


def test_every_100_minus_10_capped_at_50() -> None:
    rule = RepeatingReduction("each100", every=y(100), off=y(10), cap=y(50))
    assert paid(rule.price(start(cart(("A", 350, 1))))) == y(320)
    assert paid(rule.price(start(cart(("A", 720, 1))))) == y(670)
    s = rule.price(start(cart(("A", 99, 1))))
    assert skipped(s) == "promotion.below_threshold"


def test_outside_its_window_the_reduction_is_skipped_with_the_window() -> None:
    later = FullReduction(
        "later", tiers=(ReductionTier(y(100), y(10)),), window=around(NOW.add(days=10))
    )
    s = later.price(start(cart(("A", 300, 1))))
    assert skipped(s) == "promotion.outside_window"


def test_gold_only_reduction_tells_a_silver_member_why() -> None:
    gold = FullReduction(
        "gold", tiers=(ReductionTier(y(100), y(10)),), condition=TierIn(frozenset({"gold"}))
    )
    from promotions._shop import NEW

    s = gold.price(start(cart(("A", 300, 1), member=NEW)))
    assert skipped(s) == "condition.tier_not_in"
    assert paid(gold.price(start(cart(("A", 300, 1))))) == y(290)


def test_a_reduction_that_does_not_stack_closes_its_lines_to_coupons() -> None:
    solo = FullReduction("solo", tiers=(ReductionTier(y(100), y(10)),), stacks_with_coupons=False)
    s = solo.price(start(cart(("A", 300, 1))))
    assert s.eligible(Stage.COUPON) == ()


def test_a_reduction_never_takes_a_cart_below_zero() -> None:
    # 满10减10 on a cart already worth 10: the line goes to exactly zero.
    rule = FullReduction("all", tiers=(ReductionTier(y(10), y(10)),))
    s = rule.price(start(cart(("A", 10, 1))))
    assert paid(s) == y(0)


def test_tiers_that_overlap_or_go_down_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match=r"tiers\[1\]\.threshold"):
        FullReduction("x", tiers=(ReductionTier(y(199), y(20)), ReductionTier(y(199), y(30))))
    with pytest.raises(InvalidPolicyError, match=r"tiers\[1\]\.threshold"):
        FullReduction("x", tiers=(ReductionTier(y(299), y(40)), ReductionTier(y(199), y(20))))
    with pytest.raises(InvalidPolicyError, match=r"tiers\[1\]\.off"):
        FullReduction("x", tiers=(ReductionTier(y(199), y(40)), ReductionTier(y(299), y(40))))
    with pytest.raises(InvalidPolicyError, match="tiers"):
        FullReduction("x", tiers=())


def test_a_tier_cannot_give_more_than_its_threshold() -> None:
    with pytest.raises(InvalidPolicyError, match=r"off=.*above its threshold"):
        ReductionTier(y(100), y(120))


def test_repeating_reduction_checks_step_and_cap() -> None:
    with pytest.raises(InvalidPolicyError, match="off"):
        RepeatingReduction("x", every=y(100), off=y(120))
    with pytest.raises(InvalidPolicyError, match="cap"):
        RepeatingReduction("x", every=y(100), off=y(10), cap=y(5))


def test_a_cny_reduction_on_a_usd_cart_is_a_typed_error() -> None:
    usd = Sku("U", Money(10_000, "USD"))
    c = Cart(cart(("A", 1, 1)).member, (Line("L1", usd, 1),))
    with pytest.raises(CurrencyMismatchError):
        LADDER.price(start(c))


def test_a_250_yuan_cart_is_49_short_of_299_minus_40() -> None:
    tier, short = LADDER.next_tier(y(250))  # type: ignore[misc]
    assert (tier.threshold, tier.off, short) == (y(299), y(40), y(49))
    assert LADDER.next_tier(y(500)) is None
