"""Small builders so the example tests read like the operator's rule."""

from __future__ import annotations

import pendulum

from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.core.windows import DateTime, DaysAfterClaim, Window
from sirui.rules import PriceState, Stage

NOW: DateTime = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
GOLD = Member("m1", tier="gold", paid_orders=3)
NEW = Member("m2", tier="normal", paid_orders=0)
WEEK = DaysAfterClaim(7)


def y(amount: str | int) -> Money:
    """Yuan: ``y(299)`` is ¥299.00, ``y("26.67")`` is ¥26.67."""
    return Money.of(str(amount))


def sku(sku_id: str, price: str | int, category: str = "母婴/奶粉/1段", **kw: object) -> Sku:
    return Sku(sku_id, y(price), category=category, **kw)  # type: ignore[arg-type]


def cart(*items: tuple[str, str | int, int] | tuple[str, str | int, int, str],
         member: Member = GOLD) -> Cart:
    """``cart(("A", 150, 1), ("B", 75, 2))``: lines L-A, L-B of SKUs A, B (category optional)."""
    lines = []
    for item in items:
        sku_id, price, qty = item[0], item[1], item[2]
        cat = item[3] if len(item) > 3 else "母婴/奶粉/1段"  # type: ignore[misc]
        lines.append(Line(f"L-{sku_id}", sku(sku_id, price, cat), qty))
    return Cart(member, tuple(lines))


def start(c: Cart, now: DateTime = NOW, shipping: Money | None = None) -> PriceState:
    s = PriceState.start(c, now)
    if shipping is not None:
        import attrs

        s = attrs.evolve(s, shipping_fee=shipping)
    return s


def paid(state: PriceState) -> Money:
    """What the shopper pays for the goods plus shipping left."""
    goods = state.subtotal()
    fee = state.shipping_fee or Money(0)
    return goods + fee - state.stage_total(Stage.SHIPPING)


def off(state: PriceState) -> Money:
    """The last adjustment's amount."""
    return state.adjustments[-1].amount


def shares(state: PriceState) -> dict[str, Money]:
    return dict(state.adjustments[-1].allocations)


def skipped(state: PriceState) -> str:
    """The code of the last reason a rule was not applied."""
    return state.not_applied[-1].reason.code


def around(now: DateTime = NOW, days: int = 1) -> Window:
    return Window(now.subtract(days=days), now.add(days=days))
