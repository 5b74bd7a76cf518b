"""Monthly targets with tiered rates by achievement (目标达成阶梯提成).

A `TargetLadder` maps achievement (performance / target) to a rate, e.g.
below 80% of target 1%, from 80% 2%, from 100% 3%. A tier's ``floor`` is
inclusive: exactly 80% earns 2%, exactly 100% earns 3%. Two modes, the
operator's choice:

* ``WHOLE`` (全额累进): the rate of the tier reached applies to all sales;
* ``BANDED`` (超额累进): each band of sales is paid at its own rate, like a
  tax bracket.

A `Target` is a ladder plus a target amount for one owner over one month:
a guide (per guide, optionally per item scope: 单品目标) or a store
(门店目标). `evaluate_targets` sums `Sale` records into each target's
performance and prices it.

Invariants: a target of zero is refused; floors start at 0 and strictly
increase; rates are in [0, 1] and never decrease up the ladder, which makes
the commission monotone in sales in both modes (more sales never pay less);
the result is rounded once, half up, to the fen.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

import attrs

from sirui.commission._common import ZERO_RATE, check_rate, to_rate
from sirui.commission.paid import CommissionOrder
from sirui.commission.rules import EVERYTHING
from sirui.core.errors import CurrencyMismatchError, invalid
from sirui.core.money import Money, round_decimal
from sirui.core.nouns import Sku
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, positive_money
from sirui.core.windows import DateTime, Window, aware
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

__all__ = [
    "Sale",
    "Target",
    "TargetLadder",
    "TargetLevel",
    "TargetResult",
    "TargetTier",
    "TierMode",
    "TieredCommission",
    "evaluate_targets",
    "sales_of",
]

TIER_REACHED = reason_code(
    "commission.tier_reached",
    zh="目标达成率{achievement}，适用第{tier}档费率{rate}",
    en="Achievement {achievement}: tier {tier} at {rate}",
)


class TierMode(enum.Enum):
    WHOLE = "whole"
    """The reached tier's rate applies to all sales (全额累进)."""
    BANDED = "banded"
    """Each band of sales at its own rate (超额累进)."""


@attrs.frozen(slots=True)
class TargetTier:
    """From ``floor`` achievement (0.8 = 80% of target) upward, ``rate`` applies."""

    floor: Decimal = attrs.field(converter=to_rate)
    rate: Decimal = attrs.field(converter=to_rate)

    def __attrs_post_init__(self) -> None:
        if self.floor < 0:
            raise invalid("floor", self.floor, "must be >= 0 (0.8 means 80% of target)")
        check_rate("rate", self.rate)


def _tiers(value: Iterable[TargetTier]) -> tuple[TargetTier, ...]:
    tiers = tuple(value)
    if not tiers:
        raise invalid("tiers", tiers, "need at least one tier", "start with TargetTier('0', rate)")
    if tiers[0].floor != 0:
        raise invalid("tiers[0].floor", tiers[0].floor, "the first tier must start at 0")
    for i in range(1, len(tiers)):
        if tiers[i].floor <= tiers[i - 1].floor:
            raise invalid(f"tiers[{i}].floor", tiers[i].floor, "floors must strictly increase")
        if tiers[i].rate < tiers[i - 1].rate:
            raise invalid(
                f"tiers[{i}].rate", tiers[i].rate,
                "rates must not decrease up the ladder (more sales must never pay less)",
            )
    return tiers


@attrs.frozen(slots=True)
class TieredCommission:
    """A ladder's answer for one performance figure."""

    performance: Money
    achievement: Decimal
    tier: int
    """Index of the tier reached (0-based)."""
    rate: Decimal
    amount: Money
    reason: Reason


@policy("commission.tier_ladder")
@attrs.frozen(slots=True)
class TargetLadder:
    """Rates by target achievement (阶梯费率).

    >>> tiers = (TargetTier("0", "0.01"), TargetTier("0.8", "0.02"), TargetTier("1", "0.03"))
    >>> ladder = TargetLadder(tiers)
    >>> ladder.commission(Money.of("9000"), Money.of("10000")).amount
    Money('180.00', 'CNY')
    """

    tiers: tuple[TargetTier, ...] = attrs.field(converter=_tiers)
    mode: TierMode = TierMode.WHOLE

    def tier_index(self, achievement: Decimal) -> int:
        idx = 0
        for i, t in enumerate(self.tiers):
            if achievement >= t.floor:
                idx = i
        return idx

    def commission(self, performance: Money, target: Money) -> TieredCommission:
        """Price ``performance`` against ``target`` (negative performance counts as zero)."""
        if target.minor <= 0:
            raise invalid("target", target, "must be > 0", "a target of zero has no achievement")
        paid = max(performance.minor, 0)
        achievement = Decimal(paid) / Decimal(target.minor)
        idx = self.tier_index(achievement)
        rate = self.tiers[idx].rate
        if self.mode is TierMode.WHOLE:
            exact = Decimal(paid) * rate
        else:
            exact = ZERO_RATE
            for i, t in enumerate(self.tiers):
                lo = t.floor * target.minor
                hi = self.tiers[i + 1].floor * target.minor if i + 1 < len(self.tiers) else None
                top = Decimal(paid) if hi is None else min(Decimal(paid), hi)
                if top > lo:
                    exact += (top - lo) * t.rate
        amount = Money(round_decimal(exact), target.currency)
        reason = TIER_REACHED(achievement=achievement.quantize(Decimal("0.0001")),
                              tier=idx + 1, rate=rate)
        return TieredCommission(performance, achievement, idx, rate, amount, reason)


class TargetLevel(enum.Enum):
    GUIDE = "guide"
    """A guide's own target (导购目标)."""
    STORE = "store"
    """The store's target (门店目标), paid to the store's pool."""


@policy("commission.target")
@attrs.frozen(slots=True)
class Target:
    """A monthly target for one guide or store, over an item scope (月度目标)."""

    id: str = attrs.field(validator=non_empty_str)
    owner: str = attrs.field(validator=non_empty_str)
    amount: Money = attrs.field(validator=positive_money)
    ladder: TargetLadder
    level: TargetLevel = TargetLevel.GUIDE
    scope: ItemScope = EVERYTHING
    """Items whose sales count (单品目标); everything by default."""


@attrs.frozen(slots=True)
class Sale:
    """One performance record: a guide's (and store's) sale of an item at a time."""

    guide: str | None
    store: str | None
    sku: Sku
    amount: Money
    at: DateTime = attrs.field(converter=aware)
    online: bool = True


def sales_of(order: CommissionOrder, guide: str | None, store: str | None) -> tuple[Sale, ...]:
    """The order's lines as performance records (cash + stored value, points excluded)."""
    return tuple(
        Sale(guide, store, ln.sku, ln.paid + ln.stored_value, order.paid_at, order.online)
        for ln in order.lines
    )


@attrs.frozen(slots=True)
class TargetResult:
    """A target's month: performance, achievement and commission."""

    target: str
    owner: str
    level: TargetLevel
    performance: Money
    commission: TieredCommission


def counts_toward(target: Target, sale: Sale) -> bool:
    """True if ``sale`` belongs to ``target``'s owner and item scope."""
    owner = sale.guide if target.level is TargetLevel.GUIDE else sale.store
    return owner == target.owner and target.scope.matches(sale.sku)


def evaluate_targets(
    targets: Iterable[Target], sales: Iterable[Sale], month: Window
) -> tuple[TargetResult, ...]:
    """Sum each target's sales inside ``month`` and price it by its ladder."""
    ts = tuple(targets)
    perf = {t.id: 0 for t in ts}
    currency = {t.id: t.amount.currency for t in ts}
    for s in sales:
        if not month.contains(s.at):
            continue
        for t in ts:
            if counts_toward(t, s):
                if s.amount.currency != currency[t.id]:
                    raise CurrencyMismatchError(
                        f"sale of {s.sku.id} is in {s.amount.currency}, target {t.id!r} in "
                        f"{currency[t.id]}"
                    )
                perf[t.id] += s.amount.minor
    out = []
    for t in ts:
        p = Money(perf[t.id], currency[t.id])
        out.append(TargetResult(t.id, t.owner, t.level, p, t.ladder.commission(p, t.amount)))
    return tuple(out)
