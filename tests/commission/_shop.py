"""Shared fixtures for the commission tests: a small mother-and-baby shop."""

from __future__ import annotations

from collections.abc import Sequence

import pendulum

from sirui.commission import CommissionOrder, CommissionOrderLine
from sirui.core.money import Money
from sirui.core.nouns import Attribution, Line, Member, Order, Sku
from sirui.core.windows import DateTime

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
MONTH = pendulum.datetime(2026, 11, 1, tz=TZ)

MILK = Sku("milk", Money.of("300"), category="母婴/奶粉/1段", name="奶粉1段")
DIAPER = Sku("diaper", Money.of("100"), category="母婴/纸尿裤", name="纸尿裤")
WIPES = Sku("wipes", Money.of("20"), category="洗护/湿巾", tags={"秒杀"}, name="湿巾")


def yuan(text: str) -> Money:
    return Money.of(text)


def paid_order(
    lines: Sequence[tuple[Sku, int, str]],
    *,
    order_id: str = "o1",
    member: Member | None = None,
    store: str | None = "S01",
    share_by: str | None = None,
    shared_at: DateTime | None = None,
    paid_at: DateTime = NOW,
    points: Sequence[str] | None = None,
    stored: Sequence[str] | None = None,
    online: bool = True,
) -> CommissionOrder:
    """An order whose line i paid ``lines[i][2]`` yuan in cash."""
    mem = member or Member("m1", guide="g1")
    order = Order(
        order_id,
        mem,
        tuple(Line(f"L{i + 1}", sku, q) for i, (sku, q, _) in enumerate(lines)),
        placed_at=paid_at,
        paid_at=paid_at,
        store=store,
        attribution=Attribution(share_by=share_by, shared_at=shared_at),
    )
    paid = tuple(
        CommissionOrderLine(
            f"L{i + 1}", sku, q, yuan(p),
            points_value=yuan(points[i]) if points else Money.ZERO,
            stored_value=yuan(stored[i]) if stored else Money.ZERO,
        )
        for i, (sku, q, p) in enumerate(lines)
    )
    return CommissionOrder(order, paid, paid_at, online)
