"""The bargained price as a step of the checkout's activity stage (活动价)."""

from __future__ import annotations

import attrs

from sirui.campaigns.bargain._policy import BargainPolicy
from sirui.campaigns.bargain._slice import NOT_AT_FLOOR, Bargain
from sirui.core.money import Money
from sirui.core.registry import tag_of
from sirui.rules import Adjustment, PriceState, Stage, reason_code

__all__ = ["BargainPriceStep"]

PRICE = reason_code("bargain.price", zh="砍价价{price}（原价{original}）",
                    en="Bargain price {price} (was {original})")
NOT_THIS_ITEM = reason_code("bargain.not_this_item", zh="该商品不参与此砍价",
                            en="This item is not in the bargain")


@attrs.frozen(slots=True)
class BargainPriceStep:
    """Price a cart line at the bargain's current price (activity stage, 活动价).

    Records an `Adjustment` with ``activity="bargain:<campaign id>"``; skips,
    with a reason, a line of another SKU or a floor-only bargain not yet at
    its floor.
    """

    policy: BargainPolicy
    bargain: Bargain
    line_id: str

    @property
    def stage(self) -> Stage:
        return Stage.ACTIVITY

    @property
    def activity(self) -> str:
        return f"bargain:{self.policy.id}"

    def price(self, state: PriceState) -> PriceState:
        rule, kind = self.activity, tag_of(BargainPolicy) or ""
        pl = state.line(self.line_id)
        if pl.line.sku.id != self.policy.sku:
            return state.skip(rule, self.stage, NOT_THIS_ITEM(), kind)
        price = self.bargain.price
        if self.policy.buy_at_floor_only and price > self.policy.floor_price:
            return state.skip(rule, self.stage,
                              NOT_AT_FLOOR(floor=self.policy.floor_price, price=price), kind)
        off = (pl.amount - price * pl.line.quantity).max(Money.zero(state.currency))
        if not pl.open_to(self.stage) or off.is_zero():
            return state
        reason = PRICE(price=price, original=pl.line.unit_price)
        return state.apply(Adjustment(rule, self.stage, off, ((pl.id, off),), reason, kind=kind,
                                      blocks=self.policy.closed_stages, activity=rule))
