"""Builders so the checkout examples read like the operator's rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import pendulum

from sirui.checkout import Quote, quote
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment, Line, Member, Sku
from sirui.core.windows import DateTime, DaysAfterClaim
from sirui.promotions import Coupon, CouponTemplate

NOW: DateTime = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
GOLD = Member("m1", tier="gold", paid_orders=3)
NEW = Member("m1", tier="normal", paid_orders=0)
MONTH = DaysAfterClaim(30)


def y(amount: str | int) -> Money:
    """Yuan: ``y(299)`` is ¥299.00."""
    return Money.of(str(amount))


def cart(
    *items: tuple[Any, ...], member: Member = GOLD,
    fulfillment: Fulfillment = Fulfillment.DELIVERY,
) -> Cart:
    """``cart(("A", 100, 1), ("B", 200, 1, "母婴/纸尿裤"))``: lines L-A, L-B."""
    lines = []
    for item in items:
        sku_id, price, qty = item[0], item[1], item[2]
        cat = item[3] if len(item) > 3 else "母婴/奶粉/1段"
        lines.append(Line(f"L-{sku_id}", Sku(sku_id, y(price), category=cat, name=sku_id), qty))
    return Cart(member, tuple(lines), fulfillment=fulfillment)


def claim(cid: str, template: CouponTemplate, member: str = "m1", days_ago: int = 1) -> Coupon:
    return Coupon.claimed(cid, template, member, NOW.subtract(days=days_ago))


@contextmanager
def straightforward() -> Iterator[None]:
    """Quote through every policy's ``price`` on `PriceState`s: the path fen is checked against."""
    with patch("sirui.checkout.quoting._in_fen", lambda *_: False):
        yield


def both(*args: Any, **kwargs: Any) -> Quote:
    """The straightforward quote, after checking the fen path gives the same one."""
    with straightforward():
        slow = quote(*args, **kwargs)
    fast = quote(*args, **kwargs)
    assert slow == fast
    assert slow.coupons_used == fast.coupons_used
    return slow
