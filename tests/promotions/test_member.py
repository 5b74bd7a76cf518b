"""新客首单立减, 会员价 per tier, 限时价 within a window."""

from __future__ import annotations

import pytest

from promotions._shop import GOLD, NEW, NOW, around, cart, off, paid, shares, skipped, start, y
from sirui.core.errors import InvalidPolicyError
from sirui.core.nouns import Member
from sirui.promotions import (
    LimitedTimePrice,
    MemberPrice,
    NewCustomerReduction,
    SkuPrice,
    TierRate,
    TierSkuPrice,
)
from sirui.rules import Stage


def test_new_customer_first_order_3_yuan_off() -> None:
    rule = NewCustomerReduction("new3", off=y(3))
    assert paid(rule.price(start(cart(("A", 50, 1), member=NEW)))) == y(47)
    s = rule.price(start(cart(("A", 50, 1), member=GOLD)))
    assert skipped(s) == "condition.not_new_customer"


def test_gold_members_pay_95_percent_and_88_for_the_featured_sku() -> None:
    rule = MemberPrice(
        "vip", rates=(TierRate("gold", "0.95"),), prices=(TierSkuPrice("gold", "F", y(88)),)
    )
    s = rule.price(start(cart(("A", 200, 1), ("F", 100, 2))))
    assert s.adjustments[-1].stage is Stage.MEMBER
    assert shares(s) == {"L-A": y(10), "L-F": y(24)}
    assert paid(s) == y(366)


def test_a_tier_without_a_member_price_is_told_so() -> None:
    rule = MemberPrice("vip", rates=(TierRate("gold", "0.95"),))
    silver = Member("m3", tier="silver")
    s = rule.price(start(cart(("A", 200, 1), member=silver)))
    assert skipped(s) == "promotion.no_member_price"


def test_member_price_never_raises_a_line() -> None:
    rule = MemberPrice("vip", prices=(TierSkuPrice("gold", "A", y(120)),))
    s = rule.price(start(cart(("A", 100, 1))))
    assert not s.adjustments


def test_limited_time_59_instead_of_99_limit_one_per_order() -> None:
    rule = LimitedTimePrice(
        "flash", prices=(SkuPrice("A", y(59)),), window=around(), limit_per_order=1
    )
    s = rule.price(start(cart(("A", 99, 2))))
    assert off(s) == y(40)
    assert paid(s) == y(158)
    assert s.line("L-A").activity == "flash"
    assert s.adjustments[-1].stage is Stage.ACTIVITY


def test_limited_time_price_after_its_window_is_skipped() -> None:
    rule = LimitedTimePrice("flash", prices=(SkuPrice("A", y(59)),), window=around(NOW, 1))
    s = rule.price(start(cart(("A", 99, 1)), now=NOW.add(days=2)))
    assert skipped(s) == "promotion.outside_window"


def test_member_and_limited_time_prices_validate() -> None:
    with pytest.raises(InvalidPolicyError, match="window"):
        LimitedTimePrice("flash", prices=(SkuPrice("A", y(59)),))
    with pytest.raises(InvalidPolicyError, match="rates"):
        MemberPrice("vip")
    with pytest.raises(InvalidPolicyError, match="twice"):
        MemberPrice("vip", rates=(TierRate("gold", "0.9"), TierRate("gold", "0.8")))
