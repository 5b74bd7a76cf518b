"""打折, N元任选, 第二件半价, 买N送M with exact yuan figures."""

from __future__ import annotations

import pytest

from promotions._shop import cart, off, paid, shares, skipped, start, y
from sirui.core.errors import InvalidPolicyError
from sirui.promotions import (
    BundlePrice,
    BuyNGetMFree,
    NthItemDiscount,
    PercentageDiscount,
    RoundingScope,
)


def test_ten_percent_off_capped_at_20() -> None:
    rule = PercentageDiscount("9zhe", rate="0.9", cap=y(20))
    assert off(rule.price(start(cart(("A", 150, 1))))) == y(15)
    assert paid(rule.price(start(cart(("A", 300, 1))))) == y(280)


def test_95_percent_rounds_half_up_to_the_fen() -> None:
    rule = PercentageDiscount("95", rate="0.95")
    # 9.99 * 0.95 = 9.4905 -> pays 9.49, 0.50 off
    assert off(rule.price(start(cart(("A", "9.99", 1))))) == y("0.50")


def test_any_3_for_99_on_three_49_yuan_items_pays_99() -> None:
    rule = BundlePrice("3for99", n=3, price_per_bundle=y(99))
    s = rule.price(start(cart(("A", 49, 3))))
    assert paid(s) == y(99)
    assert off(s) == y(48)


def test_any_3_for_99_bundles_the_dearest_three_and_leaves_the_fourth() -> None:
    rule = BundlePrice("3for99", n=3, price_per_bundle=y(99))
    s = rule.price(start(cart(("A", 60, 1), ("B", 50, 1), ("C", 40, 1), ("D", 10, 1))))
    # 60 + 50 + 40 = 150 bundled for 99 (51 off); D stays at 10.
    assert paid(s) == y(109)
    assert "L-D" not in shares(s)
    assert shares(s) == {"L-A": y("20.40"), "L-B": y(17), "L-C": y("13.60")}


def test_any_3_for_99_with_two_items_is_one_short() -> None:
    s = BundlePrice("3for99", n=3, price_per_bundle=y(99)).price(start(cart(("A", 49, 2))))
    assert skipped(s) == "promotion.below_quantity"
    assert s.not_applied[-1].reason.params["short"] == 1


def test_second_item_half_price_on_two_80_yuan_items_pays_120() -> None:
    rule = NthItemDiscount("2nd-half", n=2, rate="0.5")
    s = rule.price(start(cart(("A", 80, 2))))
    assert paid(s) == y(120)


def test_second_item_half_price_on_two_pairs_of_9_99_rounds_once_or_per_line() -> None:
    pairs = cart(("A", "9.99", 2), ("B", "9.99", 2))
    per_order = NthItemDiscount("2nd-half", n=2, rate="0.5")
    assert off(per_order.price(start(pairs))) == y("9.99")  # 19.98 at half, rounded once
    per_line = NthItemDiscount("2nd-half", n=2, rate="0.5", rounding_scope=RoundingScope.PER_LINE)
    s = per_line.price(start(pairs))
    assert shares(s) == {"L-A": y("5.00"), "L-B": y("5.00")}  # 4.995 -> 5.00 on each line


def test_second_item_half_price_pooled_halves_the_cheaper_item() -> None:
    rule = NthItemDiscount("2nd-half", n=2, rate="0.5", per_sku=False)
    s = rule.price(start(cart(("A", 100, 1), ("B", 60, 1))))
    assert shares(s) == {"L-B": y(30)}


def test_second_item_half_price_per_sku_needs_two_of_the_same() -> None:
    rule = NthItemDiscount("2nd-half", n=2, rate="0.5")
    s = rule.price(start(cart(("A", 100, 1), ("B", 60, 1))))
    assert skipped(s) == "promotion.below_quantity"


def test_buy_2_get_1_free_on_six_30_yuan_items_pays_120() -> None:
    rule = BuyNGetMFree("b2g1", buy=2, free=1)
    assert paid(rule.price(start(cart(("A", 30, 3))))) == y(60)
    assert paid(rule.price(start(cart(("A", 30, 6))))) == y(120)


def test_buy_1_get_1_free_pooled_frees_the_cheaper_of_each_pair() -> None:
    rule = BuyNGetMFree("b1g1", buy=1, free=1, per_sku=False)
    c = cart(("A", 100, 1), ("B", 80, 1), ("C", 60, 1), ("D", 40, 1))
    s = rule.price(start(c))
    assert shares(s) == {"L-B": y(80), "L-D": y(40)}
    assert paid(s) == y(160)


def test_rates_outside_zero_to_one_are_refused() -> None:
    for bad in ("0", "1.5", "-0.1"):
        with pytest.raises(InvalidPolicyError, match="rate"):
            PercentageDiscount("x", rate=bad)
    with pytest.raises(TypeError):
        PercentageDiscount("x", rate=0.9)  # floats are not exact


def test_counts_that_cannot_work_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="n="):
        NthItemDiscount("x", n=1, rate="0.5")
    with pytest.raises(InvalidPolicyError, match="n="):
        BundlePrice("x", n=1, price_per_bundle=y(10))
    with pytest.raises(InvalidPolicyError, match="free"):
        BuyNGetMFree("x", buy=2, free=0)
