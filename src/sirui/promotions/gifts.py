"""Gift with purchase (满赠): spend a threshold, get a gift line at zero price.

Theory of operation: the gift is a `Line` with ``gift=True`` and a zero unit
price, added to ``PriceState.gifts`` (never to the priced lines, so no
discount or refund is ever allocated to it). The promotion records an
`Adjustment` of zero (so the quote lists it as applied, with its
fingerprint) and the stock it used as the extra
``("gift_used", (promotion_id, sku_id, quantity))``.

Gift stock: the quote passes the remaining stock of every gift promotion as
the extra ``("gift_stock", {promotion_id: units})``; a promotion absent from
that mapping falls back to its configured ``stock`` (``None``: unlimited).
With less stock than earned, the shopper gets what is left (the reason says
so); with none left the promotion is skipped with ``promotion.gift_out_of_stock``.

Invariants: a gift never changes what the shopper pays; the gift quantity is
never above the remaining stock; the gift line id is ``"gift:<promotion id>"``,
so it is the same whatever the order of the cart.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.nouns import Line, Sku
from sirui.core.registry import policy
from sirui.core.validators import positive_int, positive_money
from sirui.promotions.base import PromotionBase, cached_fingerprint, gate_fen
from sirui.promotions.reductions import BELOW_THRESHOLD
from sirui.rules.pricing import Adjustment, FenAdjustment, FenState, PriceState, Stage
from sirui.rules.reasons import reason_code

__all__ = ["GIFT_STOCK", "GIFT_USED", "GiftWithPurchase", "gift_stock_used"]

GIFT_STOCK = "gift_stock"
"""Extra key of the remaining gift stock: ``{promotion_id: units}``."""
GIFT_USED = "gift_used"
"""Extra key of each gift given: ``(promotion_id, sku_id, quantity)``."""

GIFT_ADDED = reason_code(
    "promotion.gift",
    zh="满{threshold}赠{gift}×{quantity}",
    en="Spend {threshold}, get {gift} x{quantity} free",
)
GIFT_PARTIAL = reason_code(
    "promotion.gift_partial",
    zh="满{threshold}赠{gift}，赠品库存仅剩{quantity}件",
    en="Spend {threshold}, get {gift}: only {quantity} left in stock",
)
GIFT_OUT_OF_STOCK = reason_code(
    "promotion.gift_out_of_stock", zh="赠品{gift}已赠完", en="The gift {gift} is out of stock"
)


@policy("promotion.gift")
@attrs.frozen(slots=True)
class GiftWithPurchase(PromotionBase):
    """满赠: spend ``threshold`` on eligible items, get ``quantity`` of ``gift`` free.

    With ``repeat=True`` the gift is given for every full threshold (每满赠),
    up to ``max_sets``.
    """

    threshold: Money = attrs.field(kw_only=True, validator=positive_money)
    gift: Sku = attrs.field(kw_only=True)
    quantity: int = attrs.field(default=1, kw_only=True, validator=positive_int)
    repeat: bool = attrs.field(default=False, kw_only=True)
    max_sets: int | None = attrs.field(default=None, kw_only=True)
    stock: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.gift, Sku):
            raise invalid("gift", self.gift, "must be a Sku")
        if self.max_sets is not None and (type(self.max_sets) is not int or self.max_sets < 1):
            raise invalid("max_sets", self.max_sets, "must be an int >= 1 or None")
        if self.stock is not None and (type(self.stock) is not int or self.stock < 0):
            raise invalid("stock", self.stock, "must be an int >= 0 or None (unlimited)")

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def earned(self, base: Money) -> int:
        """Gift units earned by an eligible subtotal of ``base``, before stock."""
        if base < self.threshold:
            return 0
        sets = base.minor // self.threshold.minor if self.repeat else 1
        if self.max_sets is not None:
            sets = min(sets, self.max_sets)
        return sets * self.quantity

    def remaining_stock(self, state: PriceState | FenState) -> int | None:
        stock: Mapping[str, int] = state.extra(GIFT_STOCK, {}) or {}
        left = stock.get(self.id, self.stock)
        if left is None:
            return None
        return left - gift_stock_used(state, self.id)

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        base = state.subtotal(lines)
        earned = self.earned(base)
        if earned == 0:
            reason = BELOW_THRESHOLD(threshold=self.threshold, short=self.threshold - base)
            return state.skip(self.id, self.stage, reason, self.kind)
        left = self.remaining_stock(state)
        give = earned if left is None else min(earned, left)
        gift_name = self.gift.name or self.gift.id
        if give <= 0:
            return state.skip(self.id, self.stage, GIFT_OUT_OF_STOCK(gift=gift_name), self.kind)
        if give < earned:
            reason = GIFT_PARTIAL(threshold=self.threshold, gift=gift_name, quantity=give)
        else:
            reason = GIFT_ADDED(threshold=self.threshold, gift=gift_name, quantity=give)
        line = Line(
            f"gift:{self.id}", self.gift, give, Money.zero(self.gift.price.currency), gift=True
        )
        adj = Adjustment(
            rule=self.id, stage=self.stage, amount=Money.zero(state.currency), allocations=(),
            reason=reason, kind=self.kind, fingerprint=cached_fingerprint(self),
        )
        state = attrs.evolve(state.apply(adj), gifts=(*state.gifts, line))
        return state.with_extra(GIFT_USED, (self.id, self.gift.id, give))

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        base = fs.subtotal(idx)
        threshold = self.threshold
        earned = self.earned(Money._raw(base, fs.currency))
        if earned == 0:
            short = Money._raw(threshold.minor - base, threshold.currency)
            fs.skip(self.id, self.stage, lambda: BELOW_THRESHOLD(threshold=threshold, short=short),
                    self.kind)
            return
        left = self.remaining_stock(fs)
        give = earned if left is None else min(earned, left)
        name = self.gift.name or self.gift.id
        if give <= 0:
            fs.skip(self.id, self.stage, lambda: GIFT_OUT_OF_STOCK(gift=name), self.kind)
            return
        code = GIFT_PARTIAL if give < earned else GIFT_ADDED
        fs.apply(FenAdjustment(
            self.id, self.stage, 0, (), lambda: code(threshold=threshold, gift=name, quantity=give),
            self.kind, self,
        ))
        fs.gifts = (*fs.gifts, Line(
            f"gift:{self.id}", self.gift, give, Money.zero(self.gift.price.currency), gift=True
        ))
        fs.with_extra(GIFT_USED, (self.id, self.gift.id, give))


def gift_stock_used(state: PriceState | FenState, promotion_id: str) -> int:
    """Gift units ``promotion_id`` has given so far in this quote."""
    return sum(
        v[2] for k, v in state.extras if k == GIFT_USED and v[0] == promotion_id
    )
