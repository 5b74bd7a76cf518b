"""Shared nouns are validated on construction."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from sirui.core.errors import InvalidValueError, NaiveDatetimeError, SiruiError
from sirui.core.money import Money
from sirui.core.nouns import Attribution, Cart, Fulfillment, Guide, Line, Member, Order, Sku, Store

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
FORMULA = Sku("FM-1", Money.of("268"), spu="FM", category="母婴/奶粉/1段", tags={"爆款"})


def test_sku_category_paths() -> None:
    assert FORMULA.category == ("母婴", "奶粉", "1段")
    assert FORMULA.in_category("母婴/奶粉") and FORMULA.in_category(("母婴",))
    assert not FORMULA.in_category("母婴/奶") and not FORMULA.in_category("洗护")
    assert FORMULA.category_path == "母婴/奶粉/1段"
    with pytest.raises(InvalidValueError):
        Sku("", Money(1))
    with pytest.raises(InvalidValueError, match="must not be negative"):
        Sku("x", Money(-1))
    with pytest.raises(InvalidValueError, match="must be Money"):
        Sku("x", 12)  # type: ignore[arg-type]
    with pytest.raises(SiruiError):
        Sku("x", Money(1), tags="爆款")


def test_line_amount_and_validation() -> None:
    line = Line("1", FORMULA, 2)
    assert line.amount == Money.of("536") and line.unit_price == FORMULA.price
    assert Line("2", FORMULA, 1, Money.of("199")).amount == Money.of("199")
    for bad in (0, -1, True, 1.0):
        with pytest.raises(InvalidValueError, match="quantity"):
            Line("1", FORMULA, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        Line("1", FORMULA, 1, Money(100, "USD"))


def test_cart_refuses_duplicate_ids_and_mixed_currencies() -> None:
    m = Member("m1")
    cart = Cart(m, [Line("1", FORMULA, 2), Line("2", FORMULA, 1)])
    assert cart.amount == Money.of("804") and cart.quantity == 3
    assert cart.line("2").quantity == 1
    with pytest.raises(InvalidValueError, match="no such line"):
        cart.line("9")
    with pytest.raises(InvalidValueError, match="duplicate line id"):
        Cart(m, [Line("1", FORMULA, 1), Line("1", FORMULA, 2)])
    usd = Sku("U", Money(100, "USD"))
    with pytest.raises(InvalidValueError, match="currencies"):
        Cart(m, [Line("1", FORMULA, 1), Line("2", usd, 1)])
    with pytest.raises(InvalidValueError):
        Cart(m, ["not a line"])  # type: ignore[list-item]
    assert Cart(m, ()).amount == Money(0)


def test_member_first_order_facts() -> None:
    assert Member("m1").is_new_customer
    assert not Member("m1", paid_orders=1, first_paid_at=NOW).is_new_customer
    with pytest.raises(InvalidValueError):
        Member("m1", paid_orders=-1)
    with pytest.raises(NaiveDatetimeError):
        Member("m1", joined_at=dt.datetime(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        Member("m1", birthday=dt.datetime(2000, 1, 1))  # type: ignore[arg-type]
    assert Member("m1", tags=["a", "a"]).tags == frozenset({"a"})


def test_order_times_and_cart_view() -> None:
    m = Member("m1")
    order = Order(
        "o1",
        m,
        [Line("1", FORMULA, 1)],
        placed_at=NOW,
        paid_at=NOW.add(minutes=1),
        store="S01",
        fulfillment=Fulfillment.PICKUP,
        attribution=Attribution(guide="g1", channel="group"),
    )
    assert order.is_paid and order.amount == Money.of("268")
    assert order.as_cart().fulfillment is Fulfillment.PICKUP and order.as_cart().channel == "group"
    with pytest.raises(InvalidValueError, match="before placed_at"):
        Order("o1", m, [Line("1", FORMULA, 1)], placed_at=NOW, paid_at=NOW.subtract(seconds=1))
    with pytest.raises(InvalidValueError, match="at least one line"):
        Order("o1", m, [], placed_at=NOW)


def test_store_and_guide() -> None:
    assert Store("S01", tz="Asia/Shanghai").tz == "Asia/Shanghai"
    with pytest.raises(InvalidValueError):
        Store("S01", tz="Nowhere/City")
    assert Guide("g1", store="S01").super_guide is None
    with pytest.raises(InvalidValueError):
        Guide("g1", super_guide="")
