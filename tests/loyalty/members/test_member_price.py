"""The member-price stage on a price state: 95折 on eligible lines, to the fen."""

from __future__ import annotations

from decimal import Decimal

import pendulum
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.money import Money, Rounding
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.loyalty.members import (
    CombineRule,
    MemberBenefits,
    MemberPriceStep,
    SourcedDiscount,
)
from sirui.rules import Adjustment, ItemScope, PriceState, PricingStep, Reason, Stage, reason_code
from sirui.testing import carts

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
MILK = Sku("FM-1", Money.of("268"), category="母婴/奶粉/1段")
WIPES = Sku("WP-80", Money.of("19.9"), category="母婴/湿巾")
ALL = ItemScope()
MILK_ONLY = ItemScope(categories=frozenset({"母婴/奶粉"}))


def benefits(*discounts: tuple[str, ItemScope], combine: CombineRule = CombineRule.BEST_OF):
    return MemberBenefits(
        "m1", "gold", combine,
        discounts=tuple(SourcedDiscount(Decimal(r), s, f"src{i}") for i, (r, s) in
                        enumerate(discounts)),
    )


def cart() -> Cart:
    return Cart(Member("m1", tier="gold"), (Line("1", MILK, 2), Line("2", WIPES, 3)))


def test_step_is_a_pricing_step_at_the_member_stage() -> None:
    step = MemberPriceStep(benefits(("0.95", ALL)))
    assert isinstance(step, PricingStep)
    assert step.stage is Stage.MEMBER


def test_gold_95_on_two_tins_of_milk_and_wipes_takes_29_78_off() -> None:
    state = PriceState.start(cart(), NOW)
    out = MemberPriceStep(benefits(("0.95", ALL))).price(state)
    # 536.00 x 0.95 = 509.20 (26.80 off); 59.70 x 0.95 = 56.715 -> 56.72 (2.98 off)
    assert out.line("1").amount == Money.of("509.20")
    assert out.line("2").amount == Money.of("56.72")
    (adj,) = out.adjustments
    assert adj.amount == Money.of("29.78")
    assert adj.reason.code == "benefit.member_price"
    assert adj.reason.zh == "会员价：9.5折，共优惠¥29.78"


def test_rounding_down_the_member_price_favours_the_shopper() -> None:
    out = MemberPriceStep(benefits(("0.95", ALL)), rounding=Rounding.DOWN).price(
        PriceState.start(cart(), NOW))
    assert out.line("2").amount == Money.of("56.71")


def test_card_discount_on_milk_only_leaves_wipes_alone() -> None:
    out = MemberPriceStep(benefits(("0.9", MILK_ONLY))).price(PriceState.start(cart(), NOW))
    assert out.line("1").amount == Money.of("482.40")
    assert out.line("2").amount == Money.of("59.70")
    assert out.adjustments[0].allocations == (("1", Money.of("53.60")),)


def test_no_discount_is_recorded_as_not_applied() -> None:
    out = MemberPriceStep(benefits()).price(PriceState.start(cart(), NOW))
    assert out.adjustments == ()
    assert out.not_applied[0].reason.code == "benefit.no_member_price"


def test_lines_closed_to_the_member_stage_are_not_discounted() -> None:
    state = PriceState.start(cart(), NOW)
    seckill = Adjustment("seckill", Stage.ACTIVITY, Money.of("100"), (("1", Money.of("100")),),
                         reason=_reason(),
                         blocks=frozenset({Stage.MEMBER}))
    state = state.apply(seckill)
    out = MemberPriceStep(benefits(("0.95", ALL))).price(state)
    assert out.line("1").amount == Money.of("436")
    assert out.line("2").amount == Money.of("56.72")


def _reason() -> Reason:
    return reason_code("test.seckill", zh="秒杀", en="seckill")()


@given(carts(), st.lists(st.decimals("0.01", "1", places=2), min_size=1, max_size=3),
       st.sampled_from(CombineRule), st.sampled_from(Rounding))
def test_member_price_never_below_zero_and_allocations_sum(
    c: Cart, rates: list[Decimal], combine: CombineRule, rounding: Rounding
) -> None:
    b = benefits(*((str(r), ALL) for r in rates), combine=combine)
    state = PriceState.start(c, NOW)
    out = MemberPriceStep(b, rounding=rounding).price(state)
    for before, after in zip(state.lines, out.lines):
        assert Money(0) <= after.amount <= before.amount
        rate = b.rate_for(before.line.sku)
        assert rate is not None
        assert after.amount == before.amount.times(rate, rounding)
    total_off = state.subtotal() - out.subtotal()
    assert total_off == out.stage_total(Stage.MEMBER)
