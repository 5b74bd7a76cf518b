"""Free shipping over a threshold (满额包邮).

The shipping stage runs last: by then the checkout has set
``PriceState.shipping_fee``. `FreeShippingOver` compares the current
subtotal of its eligible lines (after every discount, as malls do: 实付满99包邮)
with its threshold and, when reached, takes off what is left of the fee,
allocated to the pseudo line `sirui.rules.SHIPPING_LINE`.

Invariants: never more than the fee left after earlier shipping adjustments;
no fee, nothing to waive (skipped with ``promotion.no_shipping_fee``).
"""

from __future__ import annotations

import attrs

from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import non_negative_money
from sirui.promotions.base import PromotionBase, cached_fingerprint, gate_fen
from sirui.promotions.reductions import BELOW_THRESHOLD
from sirui.rules.pricing import (
    SHIPPING_INDEX,
    SHIPPING_LINE,
    Adjustment,
    FenAdjustment,
    FenState,
    PriceState,
    ReasonLike,
    Stage,
)
from sirui.rules.reasons import Reason, reason_code

__all__ = ["FreeShippingOver", "remaining_shipping_fee", "waive_shipping", "waive_shipping_fen"]

NO_SHIPPING_FEE = reason_code(
    "promotion.no_shipping_fee", zh="本单无运费", en="No shipping fee to waive"
)
FREE_SHIPPING = reason_code(
    "promotion.free_shipping", zh="满{threshold}包邮", en="Free shipping on {threshold} or more"
)


def remaining_shipping_fee(state: PriceState) -> Money:
    """The shipping fee not yet waived by earlier shipping adjustments."""
    fee = state.shipping_fee or Money.zero(state.currency)
    waived = sum(
        (a.share_of(SHIPPING_LINE) for a in state.adjustments), Money.zero(state.currency)
    )
    return fee - waived


def waive_shipping(
    state: PriceState, *, rule: str, kind: str, fingerprint: str, reason: Reason,
    cap: Money | None = None,
) -> PriceState:
    """Take the remaining fee (up to ``cap``) off as a shipping adjustment."""
    left = remaining_shipping_fee(state)
    off = left if cap is None else left.min(cap)
    if off.minor <= 0:
        return state.skip(rule, Stage.SHIPPING, NO_SHIPPING_FEE(), kind)
    adj = Adjustment(
        rule=rule, stage=Stage.SHIPPING, amount=off, allocations=((SHIPPING_LINE, off),),
        reason=reason, kind=kind, fingerprint=fingerprint,
    )
    return state.apply(adj)


def waive_shipping_fen(
    fs: FenState, *, rule: str, kind: str, policy: object, reason: ReasonLike,
    cap: Money | None = None,
) -> None:
    """`waive_shipping` in fen; ``policy`` gives the adjustment its fingerprint."""
    left = fs.shipping_left()
    off = left if cap is None else min(left, cap.minor)
    if off <= 0:
        fs.skip(rule, Stage.SHIPPING, NO_SHIPPING_FEE, kind)
        return
    fs.apply(FenAdjustment(rule, Stage.SHIPPING, off, ((SHIPPING_INDEX, off),), reason, kind,
                           policy))


@policy("promotion.free_shipping")
@attrs.frozen(slots=True)
class FreeShippingOver(PromotionBase):
    """满额包邮: the shipping fee is waived when the eligible lines reach ``threshold``.

    ``threshold`` zero means free shipping on every order (全场包邮).
    """

    threshold: Money = attrs.field(kw_only=True, validator=non_negative_money)

    @property
    def stage(self) -> Stage:
        return Stage.SHIPPING

    def price(self, state: PriceState) -> PriceState:
        if remaining_shipping_fee(state).minor <= 0:
            return state.skip(self.id, self.stage, NO_SHIPPING_FEE(), self.kind)
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        base = state.subtotal(lines)
        if base < self.threshold:
            reason = BELOW_THRESHOLD(threshold=self.threshold, short=self.threshold - base)
            return state.skip(self.id, self.stage, reason, self.kind)
        return waive_shipping(
            state, rule=self.id, kind=self.kind, fingerprint=cached_fingerprint(self),
            reason=FREE_SHIPPING(threshold=self.threshold),
        )

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        if fs.shipping_left() <= 0:
            fs.skip(self.id, self.stage, NO_SHIPPING_FEE, self.kind)
            return
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        base = fs.subtotal(idx)
        threshold = self.threshold
        if base < threshold.minor:
            short = Money._raw(threshold.minor - base, threshold.currency)
            fs.skip(self.id, self.stage, lambda: BELOW_THRESHOLD(threshold=threshold, short=short),
                    self.kind)
            return
        waive_shipping_fen(fs, rule=self.id, kind=self.kind, policy=self,
                           reason=lambda: FREE_SHIPPING(threshold=threshold))
