"""Limited-time discount (限时折扣): price or rate in a window, limits, stock warning."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seckill_helpers import at

from sirui.campaigns.limited_time import (
    UNLIMITED,
    DiscountItem,
    LimitedTimeDiscount,
    LimitedTimePriceStep,
    LowStock,
)
from sirui.campaigns.seckill import MemberRecord, Reserve, StockSlice
from sirui.config import dump, load
from sirui.core import ConfigError
from sirui.core.errors import InvalidPolicyError, MoneyTypeError, NaiveDatetimeError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.core.windows import Window
from sirui.rules import Accepted, PriceState, Rejected, Stage, TierIn

WINDOW = Window(at(0), at(0, day=12))  # all of 11.11 in Shanghai
LOTION = Sku("lotion", Money.of("99"))
BOTTLE = Sku("bottle", Money.of("8.88"))


def discount(**kw: object) -> LimitedTimeDiscount:
    items = (DiscountItem("lotion", rate=Decimal("0.8"), stock=20),
             DiscountItem("bottle", rate="0.85"),
             DiscountItem("wipes", price=Money.of("9.9")))
    args: dict[str, object] = {"low_stock_threshold": 5}
    args.update(kw)
    return LimitedTimeDiscount("d11", WINDOW, items, **args)  # type: ignore[arg-type]


def priced(*lines: Line, now: object = None, step: LimitedTimePriceStep | None = None,
           member: Member | None = None) -> PriceState:
    cart = Cart(member or Member("m1"), lines)
    state = PriceState.start(cart, now or at(12))  # type: ignore[arg-type]
    return (step or LimitedTimePriceStep(discount())).price(state)


def test_8_zhe_on_a_99_yuan_lotion_pays_79_20() -> None:
    state = priced(Line("L1", LOTION, 1))
    assert state.line("L1").amount == Money.of("79.20")
    (adj,) = state.adjustments
    assert adj.activity == "limited_time:d11"
    assert adj.blocks == frozenset()
    assert state.line("L1").open_to(Stage.COUPON)


def test_rate_rounds_half_up_to_the_fen_and_fixed_price_applies_per_unit() -> None:
    # 8.88 x 0.85 = 7.548 -> 7.55 each
    state = priced(Line("L1", BOTTLE, 2), Line("L2", Sku("wipes", Money.of("15")), 3))
    assert state.line("L1").amount == Money.of("15.10")
    assert state.line("L2").amount == Money.of("29.70")


def test_window_edges() -> None:
    assert priced(Line("L1", LOTION, 1), now=at(23, 59, 59, 999_999)).adjustments
    after = priced(Line("L1", LOTION, 1), now=at(0, day=12))
    assert not after.adjustments
    assert after.not_applied[0].reason.code == "limited_time.ended"
    before = priced(Line("L1", LOTION, 1), now=at(23, 59, 59, day=10))
    assert before.not_applied[0].reason.code == "limited_time.not_started"


def test_eligibility_and_blocking_are_configurable() -> None:
    step = LimitedTimePriceStep(discount(eligibility=TierIn(frozenset({"gold"})),
                                         stack_coupons=False))
    assert priced(Line("L1", LOTION, 1), step=step).not_applied[0].reason.code == \
        "limited_time.not_eligible"
    gold = priced(Line("L1", LOTION, 1), step=step, member=Member("g", tier="gold"))
    assert not gold.line("L1").open_to(Stage.COUPON)


def test_stock_warning_when_remaining_falls_below_five() -> None:
    d = discount()
    (counter,) = d.counters("lotion")
    rules = d.stock_rules()
    warnings = []
    for i in range(16):
        out = StockSlice(rules, counter, MemberRecord(f"m{i}")).handle(
            Reserve(f"o{i}", f"m{i}"), now=at(12))
        assert isinstance(out, Accepted)
        counter = out.state.counter
        warnings += [e for e in out.events if isinstance(e, LowStock)]
    assert counter.available == 4
    assert warnings == [LowStock(d.slot_key, "lotion", 0, 4, 5)]


def test_per_member_limit_and_reserved_units_only() -> None:
    d = discount(per_member=2)
    (counter,) = d.counters("bottle")
    assert counter.stock == UNLIMITED
    s = StockSlice(d.stock_rules(), counter, MemberRecord("m1"))
    out = s.handle(Reserve("o1", "m1", 2), now=at(12))
    assert isinstance(out, Accepted)
    assert out.state.order is not None
    more = StockSlice(d.stock_rules(), out.state.counter, out.state.member).handle(
        Reserve("o2", "m1"), now=at(12, 10))
    assert isinstance(more, Rejected)
    assert more.reason.code == "seckill.limit_reached"
    step = LimitedTimePriceStep(d, (out.state.order,))
    state = priced(Line("L1", BOTTLE, 3), step=step)
    assert state.line("L1").amount == Money.of("23.98")  # 7.55 x 2 + 8.88


def test_bad_input_raises_typed_errors() -> None:
    with pytest.raises(InvalidPolicyError, match="exactly one"):
        DiscountItem("x", price=Money.of("1"), rate=Decimal("0.5"))
    with pytest.raises(InvalidPolicyError, match="between 0 and 1"):
        DiscountItem("x", rate=Decimal("1"))
    with pytest.raises(MoneyTypeError):
        DiscountItem("x", rate=0.8)  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="stock"):
        DiscountItem("x", rate="0.8", stock=-1)
    with pytest.raises(InvalidPolicyError, match="per_member=0"):
        discount(per_member=0)
    with pytest.raises(InvalidPolicyError, match="with an end"):
        LimitedTimeDiscount("d", Window(at(0)), (DiscountItem("x", rate="0.8"),))
    with pytest.raises(NaiveDatetimeError):
        Window(dt.datetime(2026, 11, 11), dt.datetime(2026, 11, 12))
    with pytest.raises(ConfigError, match="rate"):
        load({**dump(discount()), "items": [{"type": "limited_time.item", "sku": "a",
                                             "rate": 0.8}]})


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 99)), min_size=1,
             max_size=3, unique_by=lambda t: t[0]),
    st.none() | st.integers(1, 9), st.none() | st.integers(1, 9), st.booleans(),
)
def test_discounts_round_trip_through_config(
    items: list[tuple[str, int]], per_day: int | None, per_member: int | None, stack: bool
) -> None:
    def item(sku: str, n: int) -> DiscountItem:
        if n % 2:
            return DiscountItem(sku, rate=Decimal(n) / 100, stock=n)
        return DiscountItem(sku, price=Money(n * 10))

    d = LimitedTimeDiscount(
        "d", WINDOW, tuple(item(s, r) for s, r in items),
        per_day=per_day, per_member=per_member, stack_coupons=stack,
    )
    assert load(dump(d)) == d


def test_a_discount_names_how_long_released_reservations_are_kept() -> None:
    assert discount(log_retention_days=3).stock_rules().log_retention_days == 3
    assert discount().stock_rules().log_retention_days == 30
    assert "log_retention_days" not in dump(discount())  # the default keeps old fingerprints
