"""An integer model of the built-in coupon templates, for the best-combination search.

The search tries many combinations; pricing each through
``template.price`` (states, allocations, reasons) is exact but slow. For
the built-in kinds without an extra condition (`AmountOffCoupon`,
`NoThresholdCoupon`, `PercentOffCoupon`, `ExchangeCoupon`), this module
computes the same discount and the same per-line allocation on a plain list
of line amounts in fen. The search only uses it to rank combinations; the
winner is always priced again through the templates, and a disagreement
makes the search fall back to the templates (it never changes a price).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sirui.core.money import allocate_int
from sirui.rules.conditions import Always
from sirui.rules.pricing import PriceState, Stage, times_fen

__all__ = ["FastModel"]

_AMOUNT, _PERCENT, _EXCHANGE = 1, 2, 3


class FastModel:
    """Line amounts as ints, and a compiled rule per supported coupon template."""

    __slots__ = ("_open", "_scopes", "amounts", "ids", "qty", "rules", "skus")

    def __init__(self, start: PriceState) -> None:
        self.ids = [pl.id for pl in start.lines]
        self.amounts = [pl.amount.minor for pl in start.lines]
        self.qty = [pl.line.quantity for pl in start.lines]
        self.skus = [pl.line.sku.id for pl in start.lines]
        self.rules: dict[str, tuple[Any, ...]] = {}
        self._open = tuple(i for i, pl in enumerate(start.lines) if pl.open_to(Stage.COUPON))
        self._scopes: dict[int, tuple[int, ...]] = {}

    def compile(self, coupon_id: str, template: Any, stacks: bool, start: PriceState) -> bool:
        """Compile ``template`` for ``coupon_id``; False when the template is not modelled."""
        from sirui.promotions.coupons import (
            AmountOffCoupon,
            ExchangeCoupon,
            NoThresholdCoupon,
            PercentOffCoupon,
        )

        kind = type(template)
        if kind not in (AmountOffCoupon, NoThresholdCoupon, PercentOffCoupon, ExchangeCoupon):
            return False
        if not isinstance(template.condition, Always) or template.stage is not Stage.COUPON:
            return False
        touched: set[str] = set()
        if not stacks:
            touched = {
                lid for a in start.adjustments if a.stage is Stage.PROMOTION
                for lid, _ in a.allocations
            }
        scope = template.scope
        # By identity: templates share scope objects, and hashing a scope costs more.
        in_scope = self._scopes.get(id(scope))
        if in_scope is None:
            in_scope = self._open if scope.is_everything else tuple(
                i for i in self._open if scope.matches(start.lines[i].line.sku)
            )
            self._scopes[id(scope)] = in_scope
        elig = tuple(i for i in in_scope if self.ids[i] not in touched) if touched else in_scope
        cur = start.currency
        if kind is ExchangeCoupon:
            self.rules[coupon_id] = (_EXCHANGE, elig, template.sku, template.quantity)
            return True
        if kind is PercentOffCoupon:
            if template.threshold.currency != cur or (
                template.cap is not None and template.cap.currency != cur
            ):
                return False
            cap = None if template.cap is None else template.cap.minor
            self.rules[coupon_id] = (
                _PERCENT, elig, template.threshold.minor, template.rate, cap,
            )
            return True
        threshold = template.threshold.minor if kind is AmountOffCoupon else 0
        if template.off.currency != cur:
            return False
        self.rules[coupon_id] = (_AMOUNT, elig, threshold, template.off.minor)
        return True

    def apply(self, amounts: Sequence[int], coupon_id: str) -> list[int] | None:
        """The amounts after the coupon, or None when it gives nothing here."""
        rule = self.rules[coupon_id]
        elig = [i for i in rule[1] if amounts[i] > 0]
        if not elig:
            return None
        out = list(amounts)
        if rule[0] == _EXCHANGE:
            return self._exchange(out, elig, rule[2], rule[3])
        base = sum(amounts[i] for i in elig)
        if rule[0] == _PERCENT:
            if base < rule[2]:
                return None
            rate: Decimal = rule[3]
            off = base - times_fen(base, rate)
            if rule[4] is not None:
                off = min(off, rule[4])
        else:
            if base < rule[2]:
                return None
            off = rule[3]
        off = min(off, base)
        if off <= 0:
            return None
        parts = allocate_int(off, [amounts[i] for i in elig])
        for i, p in zip(elig, parts, strict=True):
            out[i] -= p
        return out

    def _exchange(
        self, out: list[int], elig: list[int], sku: str, quantity: int
    ) -> list[int] | None:
        mine = [i for i in elig if self.skus[i] == sku]
        if not mine:
            return None
        mine.sort(key=lambda i: (-out[i] * 1_000_000 // self.qty[i], self.ids[i]))
        left, taken = quantity, 0
        for i in mine:
            if left == 0:
                break
            n = min(left, self.qty[i])
            share = out[i] if n == self.qty[i] else allocate_int(out[i], [n, self.qty[i] - n])[0]
            out[i] -= share
            taken += share
            left -= n
        return out if taken > 0 else None
