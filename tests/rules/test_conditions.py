"""Conditions combine and explain why they fail."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given

from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment, Line, Member, Sku
from sirui.core.windows import MemberDay, MemberWeek, Window
from sirui.rules import (
    AllOf,
    Always,
    AmountAtLeast,
    AnyOf,
    CategoryIn,
    ChannelIn,
    Condition,
    Facts,
    FulfillmentIs,
    HasTag,
    InMemberWeek,
    ItemScope,
    NewCustomer,
    Not,
    OnMemberDay,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    WithinWindow,
)
from sirui.testing import carts, conditions

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")  # a Wednesday
FORMULA = Sku("FM-1", Money.of("268"), spu="FM", category="母婴/奶粉/1段", tags={"爆款"})
WIPES = Sku("WP", Money.of("19.9"), category="母婴/湿巾", tags={"特价"})
GOLD = Member("m1", tier="gold", tags={"vip"}, paid_orders=2)


def facts(member: Member | None = GOLD, **kw: object) -> Facts:
    lines = (Line("1", FORMULA, 1), Line("2", WIPES, 2))
    return Facts(
        NOW, member, lines, store="S01", channel="miniapp", fulfillment=Fulfillment.DELIVERY, **kw
    )  # type: ignore[arg-type]


def test_gold_member_over_299_or_new_customer() -> None:
    rule = TierIn({"gold", "diamond"}) & AmountAtLeast(Money.of("299")) | NewCustomer()
    assert rule.evaluate(facts()).ok  # 268 + 39.80 = 307.80
    v = rule.evaluate(facts(Member("m2", tier="silver", paid_orders=1)))
    assert not v.ok
    assert [r.code for r in v.reasons] == ["condition.tier_not_in", "condition.not_new_customer"]


def test_threshold_reason_tells_the_shortfall() -> None:
    v = AmountAtLeast(Money.of("399")).evaluate(facts())
    assert not v and v.reasons[0].params["short"] == Money.of("91.20")
    assert v.reasons[0].zh == "金额满¥399.00可用，还差¥91.20"
    assert v.reasons[0].en == "Needs ¥399.00 or more; ¥91.20 to go"
    assert AmountAtLeast(Money.of("399")).evaluate(facts(amount=Money.of("400"))).ok


def test_each_predicate() -> None:
    f = facts()
    assert HasTag("vip").holds(f) and not HasTag("pregnant").holds(f)
    assert StoreIn({"S01"}).holds(f) and not StoreIn({"S02"}).holds(f)
    assert CategoryIn({"母婴/奶粉"}).holds(f) and not CategoryIn({"洗护"}).holds(f)
    assert SkuIn({"WP"}).holds(f) and not SkuIn({"X"}).holds(f)
    assert QuantityAtLeast(3).holds(f) and not QuantityAtLeast(4).holds(f)
    assert ChannelIn({"miniapp"}).holds(f) and not ChannelIn({"live"}).holds(f)
    assert FulfillmentIs(Fulfillment.DELIVERY).holds(f)
    assert not FulfillmentIs(Fulfillment.PICKUP).holds(f)
    assert WithinWindow(Window(NOW, NOW.add(hours=1))).holds(f)
    assert not WithinWindow(Window(NOW.add(hours=1), None)).holds(f)
    assert OnMemberDay(MemberDay(weekday=3)).holds(f)
    assert not OnMemberDay(MemberDay(day_of_month=18)).holds(f)
    assert InMemberWeek(MemberWeek(8, 7)).holds(f) and not InMemberWeek(MemberWeek(1, 7)).holds(f)
    assert Always().holds(f)


def test_member_conditions_without_member_say_so() -> None:
    for c in (TierIn({"gold"}), HasTag("vip"), NewCustomer()):
        v = c.evaluate(facts(member=None))
        assert v.reasons[0].code == "condition.no_member"


def test_operators_flatten_and_negate() -> None:
    a, b, c = TierIn({"gold"}), HasTag("vip"), StoreIn({"S01"})
    assert (a & b & c) == AllOf((a, b, c))
    assert (a | b | c) == AnyOf((a, b, c))
    assert ~~a == a and isinstance(~a, Not)
    v = (~a).evaluate(facts())
    assert v.reasons[0].code == "condition.excluded" and "tier in" in v.reasons[0].en
    with pytest.raises(InvalidPolicyError):
        AllOf(())
    with pytest.raises(InvalidPolicyError):
        TierIn(frozenset())
    with pytest.raises(InvalidPolicyError):
        QuantityAtLeast(0)
    with pytest.raises(InvalidPolicyError):
        AmountAtLeast(Money(-1))
    with pytest.raises(InvalidPolicyError):
        CategoryIn({"/"})
    with pytest.raises(InvalidPolicyError):
        a & "x"  # type: ignore[operator]


def test_gift_lines_do_not_count() -> None:
    gift = Line("g", FORMULA, 5, Money(0), gift=True)
    f = Facts(NOW, GOLD, (Line("1", WIPES, 1), gift))
    assert not QuantityAtLeast(2).holds(f)
    assert not SkuIn({"FM-1"}).holds(f) and not CategoryIn({"母婴/奶粉"}).holds(f)


def test_item_scope_includes_then_excludes() -> None:
    milk_not_special = ItemScope(categories={"母婴"}, exclude_tags={"特价"})
    assert milk_not_special.matches(FORMULA) and not milk_not_special.matches(WIPES)
    assert ItemScope().is_everything and ItemScope().matches(WIPES)
    assert ItemScope(spus={"FM"}).matches(FORMULA) and not ItemScope(spus={"FM"}).matches(WIPES)
    assert ItemScope(tags={"特价"}).lines(facts().lines) == (facts().lines[1],)
    assert not ItemScope(skus={"FM-1"}, exclude_skus={"FM-1"}).matches(FORMULA)


@given(conditions(), carts())
def test_evaluate_and_holds_agree_and_failures_explain(cond: Condition, cart: Cart) -> None:
    f = Facts.of_cart(cart, NOW)
    v = cond.evaluate(f)
    assert v.ok == cond.holds(f)
    assert v.ok or v.reasons, "a failed condition must say why"
    assert (~cond).holds(f) != v.ok
    for r in v.reasons:
        assert r.zh and r.en and r.code.startswith("condition.")
