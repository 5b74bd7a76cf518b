"""Member-facing prices: new-customer first order, member price per tier, limited-time price.

* `NewCustomerReduction` (新客首单立减3元): a fixed amount off the first
  order of a member with no paid order yet; runs with the order promotions.
* `MemberPrice` (会员价): per tier, a special price for some SKUs and/or a
  rate for everything in scope (黄金会员9.5折); runs at the member stage.
* `LimitedTimePrice` (限时价): a price per SKU within a window, optionally
  for the first ``limit_per_order`` units of a line only; runs at the activity
  stage and marks the lines it priced with its id.

Invariants: a special price only ever lowers a line (a line already cheaper
than the special price keeps its amount); each line's discount is its own,
so the allocation is exactly per line; outside its window a limited-time
price is skipped with the window in the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, allocate_int
from sirui.core.nouns import Line
from sirui.core.registry import policy
from sirui.core.validators import positive_money
from sirui.promotions.base import NOTHING_OFF, PromotionBase, gate_fen, pay_rate, take_fen
from sirui.rules.conditions import NewCustomer
from sirui.rules.pricing import FenState, PricedLine, PriceState, Stage, times_fen
from sirui.rules.reasons import reason_code

__all__ = [
    "LimitedTimePrice",
    "MemberPrice",
    "NewCustomerReduction",
    "SkuPrice",
    "TierRate",
    "TierSkuPrice",
]

NEW_CUSTOMER_APPLIED = reason_code(
    "promotion.new_customer", zh="新客首单立减{off}", en="{off} off a new customer's first order"
)
MEMBER_PRICE_APPLIED = reason_code(
    "promotion.member_price", zh="{tier}会员价，省{off}", en="{tier} member price: {off} off"
)
NO_MEMBER_PRICE = reason_code(
    "promotion.no_member_price", zh="{tier}等级没有会员价", en="No member price for tier {tier}"
)
LIMITED_TIME_APPLIED = reason_code(
    "promotion.limited_time_price", zh="限时价，省{off}", en="Limited-time price: {off} off"
)

_NEW = NewCustomer()


@policy("promotion.new_customer")
@attrs.frozen(slots=True)
class NewCustomerReduction(PromotionBase):
    """新客首单立减: ``off`` off the first order of a new customer."""

    off: Money = attrs.field(kw_only=True, validator=positive_money)

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def price(self, state: PriceState) -> PriceState:
        verdict = _NEW.evaluate(state.facts())
        if not verdict.ok:
            return state.skip(self.id, self.stage, verdict.reasons[0], self.kind)
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        return self._apply(state, self.off, lines, reason=NEW_CUSTOMER_APPLIED(off=self.off))

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        verdict = _NEW.evaluate(fs.facts())
        if not verdict.ok:
            fs.skip(self.id, self.stage, verdict.reasons[0], self.kind)
            return
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        take_fen(self, fs, self.stage, self.off.minor, idx, blocks=self.blocks,
                 reason=lambda: NEW_CUSTOMER_APPLIED(off=self.off))


@attrs.frozen(slots=True)
class TierRate:
    """Members of ``tier`` pay ``rate`` of the price (黄金会员9.5折)."""

    tier: str
    rate: Decimal = attrs.field(converter=pay_rate)


@attrs.frozen(slots=True)
class TierSkuPrice:
    """Members of ``tier`` pay ``price`` per unit of ``sku``."""

    tier: str
    sku: str
    price: Money = attrs.field(validator=positive_money)


@attrs.frozen(slots=True)
class SkuPrice:
    """A special unit ``price`` for ``sku``."""

    sku: str
    price: Money = attrs.field(validator=positive_money)


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    # A Python converter: attrs reads a builtin's signature by tokenizing it.
    return tuple(value)


def _unique(what: str, keys: Iterable[object]) -> None:
    seen: set[object] = set()
    for k in keys:
        if k in seen:
            raise invalid(what, k, "is listed twice", "keep one entry per key")
        seen.add(k)


def _per_line_apply(
    state: PriceState,
    lines: tuple[PricedLine, ...],
    targets: dict[str, Money],
) -> tuple[Money, list[PricedLine], list[Money]]:
    """Discount per line = current amount above its target, never below zero."""
    chosen: list[PricedLine] = []
    weights: list[Money] = []
    for pl in lines:
        target = targets.get(pl.id)
        if target is not None and target < pl.amount:
            chosen.append(pl)
            weights.append(pl.amount - target)
    total = sum(weights, Money.zero(state.currency))
    return total, chosen, weights


def _per_line_fen(
    fs: FenState, idx: list[int], targets: list[int | None]
) -> tuple[int, list[int], list[int]]:
    """`_per_line_apply` in fen, on the line indices ``idx``."""
    amounts = fs.amounts
    chosen: list[int] = []
    weights: list[int] = []
    for i, target in zip(idx, targets, strict=True):
        if target is not None and target < amounts[i]:
            chosen.append(i)
            weights.append(amounts[i] - target)
    return sum(weights), chosen, weights


@policy("promotion.member_price")
@attrs.frozen(slots=True)
class MemberPrice(PromotionBase):
    """会员价: per tier, special unit prices for SKUs, else a rate on everything in scope."""

    rates: tuple[TierRate, ...] = attrs.field(default=(), kw_only=True, converter=_tuple)
    prices: tuple[TierSkuPrice, ...] = attrs.field(default=(), kw_only=True, converter=_tuple)

    def __attrs_post_init__(self) -> None:
        if not self.rates and not self.prices:
            raise invalid("rates", (), "set at least one tier rate or tier price")
        _unique("rates.tier", (r.tier for r in self.rates))
        _unique("prices", ((p.tier, p.sku) for p in self.prices))

    @property
    def stage(self) -> Stage:
        return Stage.MEMBER

    def targets(self, tier: str | None, lines: Iterable[PricedLine]) -> dict[str, Money]:
        """The member-price amount of each line for a member of ``tier``."""
        rate = next((r.rate for r in self.rates if r.tier == tier), None)
        unit = {p.sku: p.price for p in self.prices if p.tier == tier}
        out: dict[str, Money] = {}
        for pl in lines:
            special = unit.get(pl.line.sku.id)
            if special is not None:
                out[pl.id] = special * pl.line.quantity
            elif rate is not None:
                out[pl.id] = pl.amount.times(rate)
        return out

    def targets_fen(
        self, tier: str | None, fs: FenState, idx: Sequence[int]
    ) -> list[int | None]:
        """`targets` in fen, for the lines ``idx`` (None: no member price for the line)."""
        rate = next((r.rate for r in self.rates if r.tier == tier), None)
        unit = {p.sku: p.price.minor for p in self.prices if p.tier == tier}
        amounts = fs.amounts
        if not unit:
            if rate is None:
                return [None] * len(idx)
            p, q = rate.as_integer_ratio()
            # `times_fen` for every line, the rate's ratio taken once.
            return [(2 * amounts[i] * p + q) // (2 * q) for i in idx]
        out: list[int | None] = []
        for i in idx:
            line, amount = fs.base.lines[i], amounts[i]
            special = unit.get(line.sku.id)
            if special is not None:
                out.append(special * line.quantity)
            elif rate is not None:
                out.append(times_fen(amount, rate))
            else:
                out.append(None)
        return out

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        tier = fs.base.cart.member.tier
        total, chosen, weights = _per_line_fen(fs, idx, self.targets_fen(tier, fs, idx))
        shown = tier or "-"
        if total == 0:
            fs.skip(self.id, self.stage, lambda: NO_MEMBER_PRICE(tier=shown), self.kind)
            return
        off = Money._raw(total, fs.currency)
        take_fen(self, fs, self.stage, total, chosen, weights=weights, blocks=self.blocks,
                 reason=lambda: MEMBER_PRICE_APPLIED(tier=shown, off=off), exact=True)

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        tier = state.cart.member.tier
        total, chosen, weights = _per_line_apply(state, lines, self.targets(tier, lines))
        if total.is_zero():
            reason = NO_MEMBER_PRICE(tier=tier or "-")
            return state.skip(self.id, self.stage, reason, self.kind)
        reason = MEMBER_PRICE_APPLIED(tier=tier or "-", off=total)
        return self._apply(state, total, chosen, reason=reason, weights=weights)


@policy("promotion.limited_time_price")
@attrs.frozen(slots=True)
class LimitedTimePrice(PromotionBase):
    """限时价: ``prices`` per SKU while ``window`` is open (the window is required).

    ``limit_per_order`` caps how many units of a line get the price (限购);
    the rest of the line stays at its current price.
    """

    prices: tuple[SkuPrice, ...] = attrs.field(kw_only=True, converter=_tuple)
    limit_per_order: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.window is None:
            raise invalid("window", None, "a limited-time price needs a window",
                          "set window=Window(start, end)")
        if not self.prices:
            raise invalid("prices", (), "needs at least one SkuPrice")
        _unique("prices.sku", (p.sku for p in self.prices))
        if self.limit_per_order is not None and (
            type(self.limit_per_order) is not int or self.limit_per_order < 1
        ):
            raise invalid("limit_per_order", self.limit_per_order, "must be an int >= 1 or None")

    @property
    def stage(self) -> Stage:
        return Stage.ACTIVITY

    def targets(self, lines: Iterable[PricedLine]) -> dict[str, Money]:
        unit = {p.sku: p.price for p in self.prices}
        out: dict[str, Money] = {}
        for pl in lines:
            special = unit.get(pl.line.sku.id)
            if special is None:
                continue
            q = pl.line.quantity
            n = q if self.limit_per_order is None else min(q, self.limit_per_order)
            # The units beyond the limit keep their share of the current amount.
            rest = pl.amount.allocate([n, q - n])[1] if n < q else Money.zero(pl.amount.currency)
            out[pl.id] = special * n + rest
        return out

    def targets_fen(self, lines: Sequence[Line], amounts: Sequence[int]) -> list[int | None]:
        """`targets` in fen, per line (None: no special price for the line)."""
        unit = {p.sku: p.price.minor for p in self.prices}
        out: list[int | None] = []
        for line, amount in zip(lines, amounts, strict=True):
            special = unit.get(line.sku.id)
            if special is None:
                out.append(None)
                continue
            q = line.quantity
            n = q if self.limit_per_order is None else min(q, self.limit_per_order)
            rest = allocate_int(amount, [n, q - n])[1] if n < q else 0
            out.append(special * n + rest)
        return out

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        b, amounts = fs.base, fs.amounts
        targets = self.targets_fen([b.lines[i] for i in idx], [amounts[i] for i in idx])
        total, chosen, weights = _per_line_fen(fs, idx, targets)
        if total == 0:
            fs.skip(self.id, self.stage, NOTHING_OFF, self.kind)
            return
        off = Money._raw(total, fs.currency)
        take_fen(self, fs, self.stage, total, chosen, weights=weights, blocks=self.blocks,
                 reason=lambda: LIMITED_TIME_APPLIED(off=off), activity=self.id, exact=True)

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        total, chosen, weights = _per_line_apply(state, lines, self.targets(lines))
        if total.is_zero():
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        return self._apply(
            state, total, chosen, reason=LIMITED_TIME_APPLIED(off=total), weights=weights,
            activity=self.id,
        )
