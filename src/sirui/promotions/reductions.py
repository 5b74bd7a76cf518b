"""Full reduction (满减): tiered and repeating, over the eligible lines' current amounts.

* `FullReduction` (阶梯满减): 满199减20 / 满299减40 / 满499减80. The highest
  tier reached applies; thresholds and discounts rise strictly from tier to
  tier and no tier takes off more than its threshold.
* `RepeatingReduction` (每满减): 每满100减10, optionally capped (最多减50).
* `QuantityReduction` (满件减): 满2件减3元 / 满3件减8元, tiers by the number of
  eligible items instead of the amount; the highest tier reached applies.

Invariants: the base is the current subtotal of the eligible lines (after
activity and member prices), so a reduction never counts money the shopper
is no longer paying; the discount never exceeds that base (a 满件减 tier
worth more than the items it counts takes off what they cost); it is
allocated over the eligible lines in proportion to their current amounts.
Items counted by `QuantityReduction` are the units of the eligible lines
(lines in scope with something left to pay).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import opt_positive_money, positive_int, positive_money
from sirui.promotions.base import PromotionBase, gate_fen, take_fen
from sirui.promotions.discounts import BELOW_QUANTITY
from sirui.rules.pricing import FenState, PriceState, Stage
from sirui.rules.reasons import reason_code

__all__ = [
    "FullReduction",
    "QuantityReduction",
    "QuantityTier",
    "ReductionTier",
    "RepeatingReduction",
]

BELOW_THRESHOLD = reason_code(
    "promotion.below_threshold",
    zh="满{threshold}可享优惠，还差{short}",
    en="Spend {threshold} to get the offer; {short} to go",
)
REDUCTION_APPLIED = reason_code(
    "promotion.full_reduction",
    zh="满{threshold}减{off}",
    en="{off} off orders of {threshold} or more",
)
REPEATING_APPLIED = reason_code(
    "promotion.repeating_reduction",
    zh="每满{every}减{per}，共减{off}",
    en="{per} off every {every}: {off} off",
)
QUANTITY_APPLIED = reason_code(
    "promotion.quantity_reduction",
    zh="满{n}件减{off}",
    en="{off} off {n} or more items",
)


@attrs.frozen(slots=True)
class ReductionTier:
    """One tier of a full reduction: spend ``threshold``, get ``off`` (满X减Y)."""

    threshold: Money = attrs.field(validator=positive_money)
    off: Money = attrs.field(validator=positive_money)

    def __attrs_post_init__(self) -> None:
        if self.off.currency != self.threshold.currency:
            raise invalid("off", self.off, f"currency differs from threshold={self.threshold}")
        if self.off > self.threshold:
            raise invalid(
                "off", self.off, f"is above its threshold {self.threshold}",
                "a tier cannot take off more than the amount that reaches it",
            )


def _rising(
    tiers: tuple[Any, ...], key: str, currency_of: Callable[[Any], str], order_hint: str
) -> None:
    """Each tier's ``key`` and ``off`` above the previous tier's, in one currency."""
    for i, (lo, hi) in enumerate(itertools.pairwise(tiers), start=1):
        if currency_of(lo) != currency_of(hi):
            field = "threshold" if key == "threshold" else "off"
            raise invalid(f"tiers[{i}].{field}", getattr(hi, field), "mixes currencies")
        if getattr(hi, key) <= getattr(lo, key):
            raise invalid(
                f"tiers[{i}].{key}", getattr(hi, key),
                f"must be above the previous tier's {getattr(lo, key)} "
                "(tiers overlap or go down)",
                order_hint,
            )
        if hi.off <= lo.off:
            raise invalid(
                f"tiers[{i}].off", hi.off,
                f"must be above the previous tier's {lo.off}",
                "a higher tier must give more",
            )


def _tiers(value: Iterable[ReductionTier]) -> tuple[ReductionTier, ...]:
    tiers = tuple(value)
    if not tiers:
        raise invalid("tiers", tiers, "needs at least one tier", "e.g. (ReductionTier(199, 20),)")
    for i, t in enumerate(tiers):
        if not isinstance(t, ReductionTier):
            raise invalid(f"tiers[{i}]", t, "must be a ReductionTier")
    _rising(tiers, "threshold", lambda t: t.threshold.currency,
            "list tiers from the lowest threshold to the highest")
    return tiers


@policy("promotion.full_reduction")
@attrs.frozen(slots=True)
class FullReduction(PromotionBase):
    """阶梯满减: tiered full reduction; the highest tier reached applies.

    >>> from sirui.core import Money
    >>> p = FullReduction("fr", tiers=(ReductionTier(Money.of("199"), Money.of("20")),
    ...                                ReductionTier(Money.of("299"), Money.of("40"))))
    >>> p.discount_for(Money.of("300"))
    Money('40.00', 'CNY')
    """

    tiers: tuple[ReductionTier, ...] = attrs.field(kw_only=True, converter=_tiers)

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def tier_for(self, base: Money) -> ReductionTier | None:
        """The highest tier ``base`` reaches, if any."""
        reached = None
        for t in self.tiers:
            if base >= t.threshold:
                reached = t
        return reached

    def tier_for_fen(self, base: int) -> ReductionTier | None:
        """`tier_for` of an amount in fen of the tiers' currency."""
        reached = None
        for t in self.tiers:
            if base >= t.threshold.minor:
                reached = t
        return reached

    def next_tier(self, base: Money) -> tuple[ReductionTier, Money] | None:
        """The next tier above ``base`` and how much more reaches it (凑单提示), if any.

        >>> from sirui.core import Money
        >>> p = FullReduction("fr", tiers=(ReductionTier(Money.of("199"), Money.of("20")),
        ...                                ReductionTier(Money.of("299"), Money.of("40"))))
        >>> tier, short = p.next_tier(Money.of("250"))
        >>> (tier.off, short)
        (Money('40.00', 'CNY'), Money('49.00', 'CNY'))
        """
        for t in self.tiers:
            if base < t.threshold:
                return t, t.threshold - base
        return None

    def discount_for(self, base: Money) -> Money:
        t = self.tier_for(base)
        return Money.zero(base.currency) if t is None else t.off

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        base = state.subtotal(lines)
        tier = self.tier_for(base)
        if tier is None:
            first = self.tiers[0].threshold
            return state.skip(
                self.id, self.stage, BELOW_THRESHOLD(threshold=first, short=first - base), self.kind
            )
        reason = REDUCTION_APPLIED(threshold=tier.threshold, off=tier.off)
        return self._apply(state, tier.off, lines, reason=reason)

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        base = fs.subtotal(idx)
        tier = self.tier_for_fen(base)
        if tier is None:
            first = self.tiers[0].threshold
            short = Money._raw(first.minor - base, first.currency)
            fs.skip(self.id, self.stage, lambda: BELOW_THRESHOLD(threshold=first, short=short),
                    self.kind)
            return
        take_fen(self, fs, self.stage, tier.off.minor, idx,
                 reason=lambda: REDUCTION_APPLIED(threshold=tier.threshold, off=tier.off),
                 blocks=self.blocks)


@policy("promotion.repeating_reduction")
@attrs.frozen(slots=True)
class RepeatingReduction(PromotionBase):
    """每满减: ``off`` for every full ``every`` of the eligible subtotal, up to ``cap``.

    >>> from sirui.core import Money
    >>> p = RepeatingReduction("r", every=Money.of("100"), off=Money.of("10"), cap=Money.of("50"))
    >>> p.discount_for(Money.of("350")), p.discount_for(Money.of("900"))
    (Money('30.00', 'CNY'), Money('50.00', 'CNY'))
    """

    every: Money = attrs.field(kw_only=True, validator=positive_money)
    off: Money = attrs.field(kw_only=True, validator=positive_money)
    cap: Money | None = attrs.field(default=None, kw_only=True, validator=opt_positive_money)

    def __attrs_post_init__(self) -> None:
        if self.off.currency != self.every.currency:
            raise invalid("off", self.off, f"currency differs from every={self.every}")
        if self.off > self.every:
            raise invalid("off", self.off, f"is above every={self.every}", "每满X减Y needs Y <= X")
        if self.cap is not None:
            if self.cap.currency != self.off.currency:
                raise invalid("cap", self.cap, f"currency differs from off={self.off}")
            if self.cap < self.off:
                raise invalid("cap", self.cap, f"is below one step off={self.off}",
                              "raise the cap or drop it")

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def discount_for(self, base: Money) -> Money:
        times = base.minor // self.every.minor if base.minor > 0 else 0
        off = self.off * times
        return off if self.cap is None else off.min(self.cap)

    def discount_for_fen(self, base: int) -> int:
        """`discount_for` in fen."""
        off = self.off.minor * (base // self.every.minor if base > 0 else 0)
        return off if self.cap is None else min(off, self.cap.minor)

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        base = state.subtotal(lines)
        if base < self.every:
            return state.skip(
                self.id, self.stage,
                BELOW_THRESHOLD(threshold=self.every, short=self.every - base), self.kind,
            )
        off = self.discount_for(base)
        reason = REPEATING_APPLIED(every=self.every, per=self.off, off=off)
        return self._apply(state, off, lines, reason=reason)

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        base = fs.subtotal(idx)
        every, cur = self.every, self.every.currency
        if base < every.minor:
            short = Money._raw(every.minor - base, cur)
            fs.skip(self.id, self.stage, lambda: BELOW_THRESHOLD(threshold=every, short=short),
                    self.kind)
            return
        off = self.discount_for_fen(base)
        take_fen(self, fs, self.stage, off, idx,
                 reason=lambda: REPEATING_APPLIED(every=every, per=self.off,
                                                  off=Money._raw(off, cur)),
                 blocks=self.blocks)


@attrs.frozen(slots=True)
class QuantityTier:
    """One tier of a quantity reduction: buy ``items`` or more, get ``off`` (满N件减Y)."""

    items: int = attrs.field(validator=positive_int)
    off: Money = attrs.field(validator=positive_money)


def _quantity_tiers(value: Iterable[QuantityTier]) -> tuple[QuantityTier, ...]:
    tiers = tuple(value)
    if not tiers:
        raise invalid("tiers", tiers, "needs at least one tier",
                      "e.g. (QuantityTier(2, Money.of('3')),) for 满2件减3元")
    for i, t in enumerate(tiers):
        if not isinstance(t, QuantityTier):
            raise invalid(f"tiers[{i}]", t, "must be a QuantityTier",
                          "a money threshold is a FullReduction's ReductionTier")
    _rising(tiers, "items", lambda t: t.off.currency,
            "list tiers from the fewest items to the most")
    return tiers


@policy("promotion.quantity_reduction")
@attrs.frozen(slots=True)
class QuantityReduction(PromotionBase):
    """满件减: a fixed amount off when the order has enough eligible items.

    Tiers count items (units of the eligible lines), not money; the highest
    tier reached applies, and the discount is at most what those lines cost.

    >>> from sirui.core import Money
    >>> p = QuantityReduction("2for3", tiers=(QuantityTier(2, Money.of("3")),
    ...                                       QuantityTier(3, Money.of("8"))))
    >>> p.tier_for(2).off, p.tier_for(5).off, p.tier_for(1)
    (Money('3.00', 'CNY'), Money('8.00', 'CNY'), None)
    """

    tiers: tuple[QuantityTier, ...] = attrs.field(kw_only=True, converter=_quantity_tiers)

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def tier_for(self, items: int) -> QuantityTier | None:
        """The highest tier ``items`` reaches, if any."""
        reached = None
        for t in self.tiers:
            if items >= t.items:
                reached = t
        return reached

    def next_tier(self, items: int) -> tuple[QuantityTier, int] | None:
        """The next tier above ``items`` and how many more items reach it (凑单提示), if any."""
        for t in self.tiers:
            if items < t.items:
                return t, t.items - items
        return None

    def discount_for_fen(self, items: int, base: int) -> int:
        """The discount in fen for ``items`` eligible items worth ``base`` fen."""
        t = self.tier_for(items)
        return 0 if t is None else min(t.off.minor, max(base, 0))

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        items = sum(pl.line.quantity for pl in lines)
        tier = self.tier_for(items)
        if tier is None:
            first = self.tiers[0].items
            reason = BELOW_QUANTITY(n=first, short=first - items)
            return state.skip(self.id, self.stage, reason, self.kind)
        off = tier.off.min(state.subtotal(lines))
        reason = QUANTITY_APPLIED(n=tier.items, off=off)
        return self._apply(state, off, lines, reason=reason)

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        lines = fs.base.lines
        items = sum(lines[i].quantity for i in idx)
        tier = self.tier_for(items)
        if tier is None:
            first = self.tiers[0].items
            short = first - items
            fs.skip(self.id, self.stage, lambda: BELOW_QUANTITY(n=first, short=short), self.kind)
            return
        off = self.discount_for_fen(items, fs.subtotal(idx))
        cur = tier.off.currency
        take_fen(self, fs, self.stage, off, idx, blocks=self.blocks,
                 reason=lambda: QUANTITY_APPLIED(n=tier.items, off=Money._raw(off, cur)))
