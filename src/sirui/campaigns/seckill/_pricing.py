"""The seckill price as a pricing step at the activity stage (活动价).

A line is priced at the seckill price for as many units as the order holds
a live reservation for (reserved and unexpired at the quote's ``now``, or
confirmed). The adjustment carries ``activity="seckill:<campaign id>"`` and
closes the priced lines to coupons and points unless the campaign lets them
stack. A pickup cart is not priced (``seckill.pickup_not_allowed``).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from sirui.campaigns._activity import apply_activity
from sirui.campaigns.seckill._policy import PICKUP_NOT_ALLOWED, SeckillCampaign
from sirui.campaigns.seckill._stock import Reservation, ReservationStatus
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment
from sirui.rules.pricing import PriceState, Stage
from sirui.rules.reasons import reason_code

__all__ = ["SeckillPriceStep", "activity_blocks", "live_units"]

PRICED = reason_code(
    "seckill.priced", zh="秒杀价（{campaign}）", en="Seckill price ({campaign})"
)
NO_RESERVATION = reason_code(
    "seckill.no_reservation",
    zh="没有有效的秒杀库存预占，按原价计算",
    en="No live seckill reservation for these items; regular price applies",
)


def activity_blocks(stack_coupons: bool, stack_points: bool) -> frozenset[Stage]:
    """The stages an activity price closes its lines to."""
    blocked = set()
    if not stack_coupons:
        blocked.add(Stage.COUPON)
    if not stack_points:
        blocked.add(Stage.POINTS)
    return frozenset(blocked)


def live_units(
    reservations: Iterable[Reservation], state: PriceState, key_prefix: str = ""
) -> dict[str, int]:
    """Units per SKU held by reservations live at the quote's ``now`` (keys under a prefix)."""
    units: dict[str, int] = {}
    for r in reservations:
        if not r.slot_key.startswith(key_prefix):
            continue
        live = r.status is ReservationStatus.CONFIRMED or (
            r.status is ReservationStatus.RESERVED and r.active(state.now)
        )
        if live:
            units[r.sku] = units.get(r.sku, 0) + r.quantity
    return units


def _reservations(value: Iterable[Reservation]) -> tuple[Reservation, ...]:
    return tuple(value)


@attrs.frozen(slots=True)
class SeckillPriceStep:
    """Price a cart's seckill lines (a `sirui.rules.PricingStep` at `Stage.ACTIVITY`).

    ``reservations`` are the order's reservations in ``slot_id`` (from
    `StockSlice.handle`); units without a live reservation keep their price.
    """

    campaign: SeckillCampaign
    slot_id: str
    reservations: tuple[Reservation, ...] = attrs.field(converter=_reservations)

    @property
    def stage(self) -> Stage:
        return Stage.ACTIVITY

    @property
    def rule(self) -> str:
        return f"seckill:{self.campaign.id}"

    def price(self, state: PriceState) -> PriceState:
        c = self.campaign
        if state.cart.fulfillment is Fulfillment.PICKUP and not c.allow_pickup:
            return state.skip(self.rule, Stage.ACTIVITY, PICKUP_NOT_ALLOWED(), "seckill.campaign")
        slot = c.slot(self.slot_id)
        units = live_units(self.reservations, state, f"{c.id}/{self.slot_id}@")
        allocations: list[tuple[str, Money]] = []
        for pl in state.eligible(Stage.ACTIVITY):
            item = slot.item(pl.line.sku.id)
            left = units.get(pl.line.sku.id, 0)
            if item is None or left == 0 or pl.activity is not None:
                continue
            n = min(left, pl.line.quantity)
            units[item.sku] = left - n
            per_unit = max(pl.line.unit_price.minor - item.price.minor, 0)
            off = Money(min(per_unit * n, pl.amount.minor), pl.amount.currency)
            allocations.append((pl.id, off))
        if not allocations:
            return state.skip(self.rule, Stage.ACTIVITY, NO_RESERVATION(), "seckill.campaign")
        return apply_activity(
            state, self.rule, "seckill.campaign", allocations,
            reason=PRICED(campaign=c.name or c.id), policy=c,
            blocks=activity_blocks(c.stack_coupons, c.stack_points),
        )
