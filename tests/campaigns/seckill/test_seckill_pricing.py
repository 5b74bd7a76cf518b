"""The seckill price at the activity stage, tested on PriceState directly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from seckill_helpers import at, daily_campaign

from sirui.campaigns.seckill import (
    MemberRecord,
    Reservation,
    Reserve,
    SeckillPriceStep,
    StockCounter,
    StockRules,
    StockSlice,
)
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment, Line, Member, Sku
from sirui.rules import Accepted, PriceState, PricingStep, Stage

KEY = "double11/am@2026-11-11T10:00:00+08:00"
MILK = Sku("milk", Money.of("59"))
WIPES = Sku("wipes", Money.of("15"))


def reservation(qty: int = 1, now: object = None, key: str = KEY) -> Reservation:
    s = StockSlice(StockRules(), StockCounter(key, "milk", 10), MemberRecord("m1"))
    out = s.handle(Reserve("o1", "m1", qty), now=now or at(10, 1))  # type: ignore[arg-type]
    assert isinstance(out, Accepted)
    assert out.state.order is not None
    return out.state.order


def quote(*lines: Line, fulfillment: Fulfillment = Fulfillment.DELIVERY,
          now: object = None) -> PriceState:
    cart = Cart(Member("m1"), lines, fulfillment=fulfillment)
    return PriceState.start(cart, now or at(10, 2))  # type: ignore[arg-type]


def test_a_59_yuan_tin_at_seckill_pays_9_90_and_closes_coupons_and_points() -> None:
    step = SeckillPriceStep(daily_campaign(), "am", (reservation(),))
    assert isinstance(step, PricingStep)
    assert step.stage is Stage.ACTIVITY
    state = step.price(quote(Line("L1", MILK, 1), Line("L2", WIPES, 2)))
    (adj,) = state.adjustments
    assert adj.amount == Money.of("49.10")
    assert adj.activity == "seckill:double11"
    assert adj.blocks == frozenset({Stage.COUPON, Stage.POINTS})
    assert adj.fingerprint is not None
    assert adj.fingerprint.startswith("sha256:")
    milk, wipes = state.line("L1"), state.line("L2")
    assert milk.amount == Money.of("9.90")
    assert not milk.open_to(Stage.COUPON)
    assert wipes.amount == Money.of("30")
    assert wipes.open_to(Stage.COUPON)
    assert state.subtotal() == Money.of("39.90")


def test_stacking_coupons_when_the_operator_allows_it() -> None:
    step = SeckillPriceStep(daily_campaign(stack_coupons=True), "am", (reservation(),))
    state = step.price(quote(Line("L1", MILK, 1)))
    assert state.line("L1").open_to(Stage.COUPON)
    assert not state.line("L1").open_to(Stage.POINTS)


def test_only_reserved_units_get_the_seckill_price() -> None:
    step = SeckillPriceStep(daily_campaign(), "am", (reservation(1),))
    state = step.price(quote(Line("L1", MILK, 2)))
    assert state.line("L1").amount == Money.of("68.90")  # 9.90 + 59


def test_an_expired_reservation_prices_nothing() -> None:
    step = SeckillPriceStep(daily_campaign(), "am", (reservation(1, now=at(10)),))
    state = step.price(quote(Line("L1", MILK, 1), now=at(10, 5)))
    assert not state.adjustments
    assert state.not_applied[0].reason.code == "seckill.no_reservation"


def test_a_reservation_of_another_slot_prices_nothing() -> None:
    other = reservation(key="double11/pm@2026-11-11T20:00:00+08:00")
    state = SeckillPriceStep(daily_campaign(), "am", (other,)).price(quote(Line("L1", MILK, 1)))
    assert not state.adjustments


def test_pickup_cart_is_not_priced() -> None:
    step = SeckillPriceStep(daily_campaign(), "am", (reservation(),))
    state = step.price(quote(Line("L1", MILK, 1), fulfillment=Fulfillment.PICKUP))
    assert not state.adjustments
    assert state.not_applied[0].reason.code == "seckill.pickup_not_allowed"


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 20_000))
def test_seckill_never_prices_below_the_seckill_price_nor_above_the_list_price(
    qty: int, reserved: int, list_fen: int
) -> None:
    sku = Sku("milk", Money(list_fen))
    step = SeckillPriceStep(daily_campaign(), "am", (reservation(reserved),))
    state = quote(Line("L1", sku, qty))
    priced = step.price(state)
    n = min(qty, reserved)
    seckill = min(list_fen, 990)
    assert priced.line("L1").amount == Money(seckill * n + list_fen * (qty - n))
    assert Money.zero() <= priced.line("L1").amount <= state.line("L1").amount
