"""Coupon templates used on a cart: thresholds, caps, shipping, exchange, ownership, validity."""

from __future__ import annotations

import pendulum
import pytest

from promotions._shop import NOW, WEEK, cart, off, paid, shares, skipped, start, y
from sirui.core.errors import InvalidPolicyError
from sirui.core.windows import DaysAfterClaim, FixedValidity, Window
from sirui.promotions import (
    AmountOffCoupon,
    Coupon,
    ExchangeCoupon,
    FreeShippingCoupon,
    FullReduction,
    NoThresholdCoupon,
    PercentOffCoupon,
    ReductionTier,
)
from sirui.rules import ItemScope, Stage

M100_10 = AmountOffCoupon("m100-10", validity=WEEK, off=y(10), threshold=y(100))


def mine(template: object, member: str = "m1", claimed_at: object = None) -> Coupon:
    return Coupon.claimed("cp1", template, member, claimed_at or NOW.subtract(days=1))  # type: ignore[arg-type]


def test_100_minus_10_coupon_on_120_pays_110() -> None:
    s = M100_10.price(start(cart(("A", 120, 1))), mine(M100_10))
    assert paid(s) == y(110)
    adj = s.adjustments[-1]
    assert (adj.rule, adj.kind, adj.stage) == ("cp1", "coupon.amount_off", Stage.COUPON)


def test_100_minus_10_coupon_on_90_is_10_short() -> None:
    s = M100_10.price(start(cart(("A", 90, 1))), mine(M100_10))
    assert skipped(s) == "coupon.below_threshold"
    assert s.not_applied[-1].reason.params["short"] == y(10)
    assert s.not_applied[-1].rule == "cp1"


def test_threshold_counts_the_amount_after_promotions() -> None:
    # 105 - 10 (满100减10 promotion) = 95: the 满100减10 coupon no longer reaches.
    s = FullReduction("p", tiers=(ReductionTier(y(100), y(10)),)).price(start(cart(("A", 105, 1))))
    s = M100_10.price(s, mine(M100_10))
    assert skipped(s) == "coupon.below_threshold"


def test_no_threshold_5_yuan_coupon_on_a_3_yuan_cart_pays_zero_not_minus_two() -> None:
    t = NoThresholdCoupon("free5", validity=WEEK, off=y(5))
    s = t.price(start(cart(("A", 3, 1))), mine(t))
    assert off(s) == y(3)
    assert paid(s) == y(0)


def test_95_percent_coupon_capped_at_20() -> None:
    t = PercentOffCoupon("95", validity=WEEK, rate="0.95", cap=y(20))
    assert off(t.price(start(cart(("A", 200, 1))), mine(t))) == y(10)
    assert off(t.price(start(cart(("A", 1000, 1))), mine(t))) == y(20)


def test_free_shipping_coupon_waives_8_yuan_or_up_to_its_cap() -> None:
    t = FreeShippingCoupon("ship", validity=WEEK)
    s = t.price(start(cart(("A", 30, 1)), shipping=y(8)), mine(t))
    assert off(s) == y(8)
    assert s.adjustments[-1].stage is Stage.SHIPPING
    capped = FreeShippingCoupon("ship5", validity=WEEK, cap=y(5))
    assert off(capped.price(start(cart(("A", 30, 1)), shipping=y(8)), mine(capped))) == y(5)
    assert t.slot == "shipping"


def test_exchange_coupon_frees_one_35_yuan_unit_of_its_sku() -> None:
    t = ExchangeCoupon("swap", validity=WEEK, sku="A")
    s = t.price(start(cart(("A", 35, 2), ("B", 10, 1))), mine(t))
    assert shares(s) == {"L-A": y(35)}
    assert paid(s) == y(45)
    s2 = t.price(start(cart(("B", 10, 1))), mine(t))
    assert skipped(s2) == "coupon.no_exchange_item"


def test_sku_scoped_coupon_counts_only_its_sku_towards_the_threshold() -> None:
    t = AmountOffCoupon(
        "milk", validity=WEEK, off=y(10), threshold=y(100), scope=ItemScope(skus={"A"}), slot="item"
    )
    assert skipped(t.price(start(cart(("A", 90, 1), ("B", 50, 1))), mine(t))) == (
        "coupon.below_threshold"
    )
    s = t.price(start(cart(("A", 120, 1), ("B", 50, 1))), mine(t))
    assert shares(s) == {"L-A": y(10)}


def test_another_members_coupon_is_not_applied() -> None:
    s = M100_10.price(start(cart(("A", 120, 1))), mine(M100_10, member="someone-else"))
    assert skipped(s) == "coupon.not_owner"
    assert not s.adjustments


def test_expired_and_not_yet_valid_coupons_say_when() -> None:
    old = mine(M100_10, claimed_at=NOW.subtract(days=30))
    assert skipped(M100_10.price(start(cart(("A", 120, 1))), old)) == "coupon.expired"
    tomorrow = DaysAfterClaim(7, starts_after_days=1)
    t = AmountOffCoupon("next", validity=tomorrow, off=y(10), threshold=y(100))
    fresh = Coupon.claimed("cp2", t, "m1", NOW)
    assert skipped(t.price(start(cart(("A", 120, 1))), fresh)) == "coupon.not_yet_valid"


def test_a_coupon_of_another_template_is_refused() -> None:
    other = AmountOffCoupon("other", validity=WEEK, off=y(5), threshold=y(50))
    s = M100_10.price(start(cart(("A", 120, 1))), mine(other))
    assert skipped(s) == "coupon.wrong_template"


def test_seven_days_after_claim_ends_at_midnight_shanghai() -> None:
    claimed = pendulum.datetime(2026, 11, 26, 15, tz="Asia/Shanghai")
    c = Coupon.claimed("cp", M100_10, "m1", claimed)
    assert c.valid.start == claimed
    assert c.valid.end == pendulum.datetime(2026, 12, 3, tz="Asia/Shanghai")


def test_fixed_validity_for_double_11() -> None:
    w = Window(pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"),
               pendulum.datetime(2026, 11, 12, tz="Asia/Shanghai"))
    t = AmountOffCoupon("d11", validity=FixedValidity(w), off=y(10), threshold=y(100))
    c = Coupon.claimed("cp", t, "m1", pendulum.datetime(2026, 11, 1, tz="Asia/Shanghai"))
    assert c.valid == w


def test_discount_above_threshold_and_bad_rates_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="above the threshold"):
        AmountOffCoupon("bad", validity=WEEK, off=y(120), threshold=y(100))
    for bad in ("0", "1", "1.2"):
        with pytest.raises(InvalidPolicyError, match="rate"):
            PercentOffCoupon("bad", validity=WEEK, rate=bad)
    with pytest.raises(InvalidPolicyError, match="validity"):
        AmountOffCoupon("bad", validity=None, off=y(10))  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="total_quota"):
        NoThresholdCoupon("bad", validity=WEEK, off=y(10), total_quota=0)


def test_bad_carts_never_reach_a_price() -> None:
    from sirui.core.errors import CurrencyMismatchError, InvalidValueError
    from sirui.core.money import Money
    from sirui.core.nouns import Cart, Line, Member, Sku

    a = Sku("A", y(10))
    with pytest.raises(InvalidValueError, match="quantity"):
        Line("L1", a, 0)
    with pytest.raises(InvalidValueError, match="quantity"):
        Line("L1", a, -1)
    with pytest.raises(InvalidValueError, match="duplicate line id"):
        Cart(Member("m1"), (Line("L1", a, 1), Line("L1", a, 2)))
    usd = Cart(Member("m1"), (Line("L1", Sku("U", Money(20_000, "USD")), 1),))
    with pytest.raises(CurrencyMismatchError):
        M100_10.price(start(usd), mine(M100_10))
