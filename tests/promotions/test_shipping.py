"""满额包邮: free shipping over a threshold of what the shopper pays for goods."""

from __future__ import annotations

from promotions._shop import cart, off, paid, skipped, start, y
from sirui.promotions import FreeShippingOver, FullReduction, ReductionTier
from sirui.rules import SHIPPING_LINE

FREE99 = FreeShippingOver("free99", threshold=y(99))


def test_free_shipping_over_99_waives_a_10_yuan_fee_on_120() -> None:
    s = FREE99.price(start(cart(("A", 120, 1)), shipping=y(10)))
    assert off(s) == y(10)
    assert s.adjustments[-1].allocations == ((SHIPPING_LINE, y(10)),)
    assert paid(s) == y(120)


def test_an_80_yuan_cart_is_19_short_and_pays_the_fee() -> None:
    s = FREE99.price(start(cart(("A", 80, 1)), shipping=y(10)))
    assert s.not_applied[-1].reason.params["short"] == y(19)
    assert paid(s) == y(90)


def test_the_threshold_counts_what_is_paid_after_reductions() -> None:
    # 105 - 10 (满100减10) = 95 < 99: no free shipping.
    s = start(cart(("A", 105, 1)), shipping=y(10))
    s = FullReduction("r", tiers=(ReductionTier(y(100), y(10)),)).price(s)
    s = FREE99.price(s)
    assert skipped(s) == "promotion.below_threshold"
    assert paid(s) == y(105)


def test_no_fee_nothing_to_waive() -> None:
    s = FREE99.price(start(cart(("A", 120, 1))))
    assert skipped(s) == "promotion.no_shipping_fee"
