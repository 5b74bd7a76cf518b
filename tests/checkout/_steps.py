"""A points-deduction step as another package would plug it in (100 points = 1 yuan)."""

from __future__ import annotations

import attrs

from sirui.core.money import Money
from sirui.rules import Adjustment, PriceState, Stage, allocate_off, reason_code

POINTS_OFF = reason_code(
    "testpoints.deducted", zh="积分抵扣{points}分", en="{points} points deducted"
)


@attrs.frozen(slots=True)
class PointsDeduction:
    """Spend up to ``balance`` points, 100 points a yuan, at most ``cap_percent`` of the goods."""

    balance: int
    cap_percent: int = 10

    @property
    def stage(self) -> Stage:
        return Stage.POINTS

    def price(self, state: PriceState) -> PriceState:
        lines = state.eligible(Stage.POINTS)
        goods = state.subtotal(lines)
        cap = goods.minor * self.cap_percent // 100
        fen = min(self.balance, cap)  # 1 point = 1 fen
        allocations = allocate_off(Money(fen), lines)
        if not allocations:
            return state
        total = sum((m for _, m in allocations), Money(0))
        adj = Adjustment("points", Stage.POINTS, total, allocations, POINTS_OFF(points=total.minor))
        return attrs.evolve(state.apply(adj), points_used=total.minor)
