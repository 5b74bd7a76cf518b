"""The group-buy price as a step of the checkout's activity stage (活动价).

The step prices one cart line at the seat's unit price and records the
difference from the line's current amount as an `Adjustment` whose
``activity`` is ``"groupbuy:<campaign id>"``. It never raises the price and
skips, with a reason, a line of another SKU or a delivery order of a
pickup-only campaign.
"""

from __future__ import annotations

import attrs

from sirui.campaigns.groupbuy._group import Seat
from sirui.campaigns.groupbuy._policy import GroupBuyPolicy
from sirui.campaigns.groupbuy._slice import PICKUP_ONLY
from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment
from sirui.core.registry import tag_of
from sirui.rules import Adjustment, PriceState, Stage, reason_code

__all__ = ["GROUP_PRICE", "NOT_THIS_ITEM", "GroupBuyPriceStep"]

GROUP_PRICE = reason_code("groupbuy.group_price", zh="拼团价{price}（原价{original}）",
                          en="Group price {price} (was {original})")
NOT_THIS_ITEM = reason_code("groupbuy.not_this_item", zh="该商品不参与此拼团",
                            en="This item is not in the group-buy")


@attrs.frozen(slots=True)
class GroupBuyPriceStep:
    """Price ``line_id`` at ``unit_price`` (the seat's price) in the activity stage."""

    policy: GroupBuyPolicy
    line_id: str
    unit_price: Money

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.unit_price, Money) or self.unit_price.minor < 0:
            raise invalid("unit_price", self.unit_price, "must be Money >= 0")

    @classmethod
    def for_seat(cls, policy: GroupBuyPolicy, seat: Seat, line_id: str) -> GroupBuyPriceStep:
        """The step for a reserved seat: the member pays what the seat was reserved at."""
        return cls(policy, line_id, seat.unit_price)

    @classmethod
    def for_member(
        cls, policy: GroupBuyPolicy, line_id: str, *, leader: bool = False
    ) -> GroupBuyPriceStep:
        """The step before a seat exists (a quote shown on the product page)."""
        return cls(policy, line_id, policy.join_price(leader))

    @property
    def stage(self) -> Stage:
        return Stage.ACTIVITY

    @property
    def activity(self) -> str:
        return f"groupbuy:{self.policy.id}"

    def price(self, state: PriceState) -> PriceState:
        rule = self.activity
        pl = state.line(self.line_id)
        if pl.line.sku.id != self.policy.sku:
            return state.skip(rule, self.stage, NOT_THIS_ITEM(), tag_of(GroupBuyPolicy) or "")
        if self.policy.pickup_only and state.cart.fulfillment is not Fulfillment.PICKUP:
            return state.skip(rule, self.stage, PICKUP_ONLY(), tag_of(GroupBuyPolicy) or "")
        target = self.unit_price * pl.line.quantity
        off = (pl.amount - target).max(Money.zero(state.currency))
        if not pl.open_to(self.stage) or off.is_zero():
            return state
        reason = GROUP_PRICE(price=self.unit_price, original=pl.line.unit_price)
        return state.apply(Adjustment(
            rule, self.stage, off, ((pl.id, off),), reason,
            kind=tag_of(GroupBuyPolicy) or "", blocks=self.policy.closed_stages,
            activity=rule,
        ))
