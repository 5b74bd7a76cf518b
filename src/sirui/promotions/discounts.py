"""Discounts by rate and by item count: 折扣, N元任选, 第N件X折, 买N送M.

* `PercentageDiscount` (打折): the eligible lines at ``rate`` (0.9 is 9折),
  the discount optionally capped (最高减50).
* `BundlePrice` (N元任选): any ``n`` eligible items for ``price``; the most
  expensive items are bundled first (the shopper's best choice), as many
  bundles as the items allow (or ``max_bundles``).
* `NthItemDiscount` (第N件X折, 第二件半价): every ``n``-th item at ``rate``;
  within each group the dearer items count first, so the discounted ones are
  the cheaper of each set.
* `BuyNGetMFree` (买N送M): in each set of ``buy + free`` items, the ``free``
  cheapest are free.

Items are units of lines. A line's current amount is split equally over its
units (largest remainder, so the units sum to the line exactly). Groups are
per SKU by default (``per_sku=True``: 同款第二件半价); ``per_sku=False`` pools
every eligible item (任选). Units sort by value, then line id, then position,
so the result never depends on cart order. The discount is computed exactly,
rounded once (half-up), then allocated over the lines that contributed, in
proportion to what each contributed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding, round_decimal
from sirui.core.registry import policy
from sirui.core.validators import opt_positive_money, positive_int, positive_money
from sirui.promotions.base import NOTHING_OFF, PromotionBase, pay_rate
from sirui.rules.pricing import PricedLine, PriceState, Stage
from sirui.rules.reasons import reason_code

__all__ = ["BundlePrice", "BuyNGetMFree", "NthItemDiscount", "PercentageDiscount", "units_of"]

BELOW_QUANTITY = reason_code(
    "promotion.below_quantity",
    zh="满{n}件可享优惠，还差{short}件",
    en="Buy {n} items to get the offer; {short} to go",
)
PERCENTAGE_APPLIED = reason_code(
    "promotion.percentage", zh="{rate}折，减{off}", en="Pay {rate} of the price: {off} off"
)
BUNDLE_APPLIED = reason_code(
    "promotion.bundle_price",
    zh="{price}任选{n}件（{bundles}组），减{off}",
    en="Any {n} for {price} ({bundles} sets): {off} off",
)
NTH_APPLIED = reason_code(
    "promotion.nth_item",
    zh="第{n}件{rate}折（{count}件），减{off}",
    en="Every item number {n} at {rate} ({count} items): {off} off",
)
FREE_APPLIED = reason_code(
    "promotion.buy_n_get_m",
    zh="买{buy}送{free}（{count}件免费），减{off}",
    en="Buy {buy} get {free} free ({count} items free): {off} off",
)


def _zhe(rate: Decimal) -> str:
    """9.5折 style of a pay rate (0.95 -> 9.5)."""
    return f"{(rate * 10).normalize():f}"


@attrs.frozen(slots=True)
class _Unit:
    value: int
    line: PricedLine
    position: int


def units_of(lines: Iterable[PricedLine]) -> list[_Unit]:
    """Every unit of ``lines`` with its share of the line's current amount (fen)."""
    out: list[_Unit] = []
    for pl in lines:
        q = pl.line.quantity
        base, extra = divmod(pl.amount.minor, q)
        out.extend(_Unit(base + (1 if i < extra else 0), pl, i) for i in range(q))
    return out


def _sort(units: list[_Unit]) -> list[_Unit]:
    return sorted(units, key=lambda u: (-u.value, u.line.id, u.position))


def _groups(units: list[_Unit], per_sku: bool) -> list[list[_Unit]]:
    if not per_sku:
        return [_sort(units)]
    by_sku: dict[str, list[_Unit]] = {}
    for u in units:
        by_sku.setdefault(u.line.line.sku.id, []).append(u)
    return [_sort(by_sku[k]) for k in sorted(by_sku)]


def _spread(
    parts: dict[str, Decimal], lines: Sequence[PricedLine], currency: str
) -> tuple[Money, list[PricedLine], list[Money]]:
    """Round the exact total once; weights per contributing line, in line order."""
    total = Money(round_decimal(sum(parts.values(), Decimal(0)), Rounding.HALF_UP), currency)
    chosen = [pl for pl in lines if parts.get(pl.id, Decimal(0)) > 0]
    weights = [
        Money(max(round_decimal(parts[pl.id], Rounding.HALF_UP), 1), currency) for pl in chosen
    ]
    return total, chosen, weights


@policy("promotion.percentage")
@attrs.frozen(slots=True)
class PercentageDiscount(PromotionBase):
    """打折: the eligible lines at ``rate`` of their price, the discount capped at ``cap``."""

    rate: Decimal = attrs.field(kw_only=True, converter=pay_rate)
    cap: Money | None = attrs.field(default=None, kw_only=True, validator=opt_positive_money)

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def discount_for(self, base: Money) -> Money:
        off = base - base.times(self.rate)
        return off if self.cap is None else off.min(self.cap)

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        off = self.discount_for(state.subtotal(lines))
        if off.is_zero():
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        reason = PERCENTAGE_APPLIED(rate=_zhe(self.rate), off=off)
        return self._apply(state, off, lines, reason=reason)


@policy("promotion.bundle_price")
@attrs.frozen(slots=True)
class BundlePrice(PromotionBase):
    """N元任选: any ``n`` eligible items for ``price`` (3件99元), repeated per set."""

    n: int = attrs.field(kw_only=True, validator=positive_int)
    price_per_bundle: Money = attrs.field(kw_only=True, validator=positive_money)
    max_bundles: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.max_bundles is not None and (
            type(self.max_bundles) is not int or self.max_bundles < 1
        ):
            raise invalid("max_bundles", self.max_bundles, "must be an int >= 1 or None")
        if self.n < 2:
            raise invalid(
                "n", self.n, "must be >= 2 for a bundle", "use a member or activity price"
            )

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        units = _sort(units_of(lines))
        bundles = len(units) // self.n
        if self.max_bundles is not None:
            bundles = min(bundles, self.max_bundles)
        if bundles == 0:
            return state.skip(
                self.id, self.stage, BELOW_QUANTITY(n=self.n, short=self.n - len(units)), self.kind
            )
        bundled = units[: bundles * self.n]
        value = sum(u.value for u in bundled)
        off_minor = value - self.price_per_bundle.minor * bundles
        if off_minor <= 0:
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        parts: dict[str, Decimal] = {}
        for u in bundled:
            parts[u.line.id] = parts.get(u.line.id, Decimal(0)) + u.value
        chosen = [pl for pl in lines if pl.id in parts]
        weights = [Money(int(parts[pl.id]), state.currency) for pl in chosen]
        off = Money(off_minor, state.currency)
        reason = BUNDLE_APPLIED(price=self.price_per_bundle, n=self.n, bundles=bundles, off=off)
        return self._apply(state, off, chosen, reason=reason, weights=weights)


@policy("promotion.nth_item")
@attrs.frozen(slots=True)
class NthItemDiscount(PromotionBase):
    """第N件X折: every ``n``-th item at ``rate`` (第二件半价: ``n=2, rate=0.5``)."""

    n: int = attrs.field(kw_only=True, validator=positive_int)
    rate: Decimal = attrs.field(kw_only=True, converter=pay_rate)
    per_sku: bool = attrs.field(default=True, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.n < 2:
            raise invalid(
                "n", self.n, "must be >= 2", "for every item at a rate use PercentageDiscount"
            )
        if self.rate == 1:
            raise invalid("rate", self.rate, "must be below 1 to give anything")

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        groups = _groups(units_of(lines), self.per_sku)
        picked = [u for g in groups for u in g[self.n - 1 :: self.n]]
        if not picked:
            most = max(len(g) for g in groups)
            return state.skip(
                self.id, self.stage, BELOW_QUANTITY(n=self.n, short=self.n - most), self.kind
            )
        off_rate = 1 - self.rate
        parts: dict[str, Decimal] = {}
        for u in picked:
            parts[u.line.id] = parts.get(u.line.id, Decimal(0)) + u.value * off_rate
        total, chosen, weights = _spread(parts, lines, state.currency)
        if total.is_zero():
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        reason = NTH_APPLIED(n=self.n, rate=_zhe(self.rate), count=len(picked), off=total)
        return self._apply(state, total, chosen, reason=reason, weights=weights)


@policy("promotion.buy_n_get_m")
@attrs.frozen(slots=True)
class BuyNGetMFree(PromotionBase):
    """买N送M: in each set of ``buy + free`` items the ``free`` cheapest cost nothing."""

    buy: int = attrs.field(kw_only=True, validator=positive_int)
    free: int = attrs.field(kw_only=True, validator=positive_int)
    per_sku: bool = attrs.field(default=True, kw_only=True)

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        size = self.buy + self.free
        picked: list[_Unit] = []
        for g in _groups(units_of(lines), self.per_sku):
            for start in range(0, len(g), size):
                chunk = g[start : start + size]
                picked.extend(chunk[self.buy :])
        if not picked:
            most = max(len(g) for g in _groups(units_of(lines), self.per_sku))
            need = self.buy + 1
            return state.skip(
                self.id, self.stage, BELOW_QUANTITY(n=need, short=need - most), self.kind
            )
        parts: dict[str, Decimal] = {}
        for u in picked:
            parts[u.line.id] = parts.get(u.line.id, Decimal(0)) + u.value
        total, chosen, weights = _spread(parts, lines, state.currency)
        if total.is_zero():
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        reason = FREE_APPLIED(buy=self.buy, free=self.free, count=len(picked), off=total)
        return self._apply(state, total, chosen, reason=reason, weights=weights)
