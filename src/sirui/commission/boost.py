"""Launch boost (新店冲刺/业绩膨胀): online sales count extra while a store is new.

For the first months after a store goes online (``Store.online_since``,
two months by default), online sales count ``online_multiplier`` times
(double) toward performance. Commission is then priced on the boosted
performance, but the inflation is capped: the boosted commission never
exceeds ``cap`` (150%) of the commission the real sales would have earned
(导提最高膨胀基数150%).

Invariants: periods of one store never overlap (a typed error at
construction); the multiplier and the cap are >= 1, so a boost never lowers
commission; the paid commission is at most ``floor(cap × un-boosted)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from decimal import Decimal

import attrs

from sirui.commission._common import to_rate
from sirui.commission.targets import Sale, Target, TieredCommission, counts_toward
from sirui.core.errors import CurrencyMismatchError, InvalidPolicyError, invalid
from sirui.core.money import Money, Rounding, round_decimal
from sirui.core.nouns import Store
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str
from sirui.core.windows import DateTime, Window, aware
from sirui.rules.reasons import Reason, reason_code

__all__ = ["BoostPeriod", "BoostResult", "LaunchBoost", "OverlappingBoostError"]

BOOST_CAPPED = reason_code(
    "commission.boost_capped",
    zh="新店业绩膨胀后提成{boosted}超过上限{cap}（未膨胀{unboosted}的{ratio}）",
    en="Boosted commission {boosted} capped at {cap} ({ratio} of un-boosted {unboosted})",
)
BOOSTED = reason_code(
    "commission.boosted",
    zh="新店线上业绩按{multiplier}倍计：提成{unboosted} → {boosted}",
    en="Online sales count {multiplier}×: commission {unboosted} → {boosted}",
)


class OverlappingBoostError(InvalidPolicyError):
    """Two boost periods of the same store overlap."""


def _ge_one(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 1:
        raise invalid(attribute.name, value, "must be >= 1", "a boost never lowers performance")


@policy("commission.boost_period")
@attrs.frozen(slots=True)
class BoostPeriod:
    """One store's boost window ``[start, end)`` with its multiplier and cap."""

    store: str = attrs.field(validator=non_empty_str)
    start: DateTime = attrs.field(converter=aware)
    end: DateTime = attrs.field(converter=aware)
    online_multiplier: Decimal = attrs.field(default=Decimal(2), converter=to_rate,
                                             validator=_ge_one)
    cap: Decimal = attrs.field(default=Decimal("1.5"), converter=to_rate, validator=_ge_one)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise invalid("end", self.end, f"must be after start={self.start}")

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)

    @classmethod
    def launch(
        cls,
        store: Store,
        months: int = 2,
        online_multiplier: Decimal = Decimal(2),
        cap: Decimal = Decimal("1.5"),
    ) -> BoostPeriod:
        """The first ``months`` after ``store.online_since`` (新店上线前两个月)."""
        if store.online_since is None:
            raise invalid("store.online_since", None, "the store is not online yet",
                          "set Store.online_since")
        if type(months) is not int or months < 1:
            raise invalid("months", months, "must be an int >= 1")
        start = store.online_since
        return cls(store.id, start, start.add(months=months), online_multiplier, cap)


def _periods(value: Iterable[BoostPeriod]) -> tuple[BoostPeriod, ...]:
    periods = tuple(sorted(value, key=lambda p: (p.store, p.start)))
    for a, b in itertools.pairwise(periods):
        if a.store == b.store and b.start < a.end:
            raise OverlappingBoostError(
                f"periods: store {a.store!r} has overlapping boosts "
                f"[{a.start}, {a.end}) and [{b.start}, {b.end}); merge them or move one",
                field="periods",
                value=(a, b),
            )
    return periods


@attrs.frozen(slots=True)
class BoostResult:
    """Un-boosted and boosted commission of a target, and what is paid."""

    unboosted: TieredCommission
    boosted: TieredCommission
    amount: Money
    capped: bool
    reason: Reason


@policy("commission.launch_boost")
@attrs.frozen(slots=True)
class LaunchBoost:
    """The boost periods of a chain (新店业绩膨胀), at most one at a time per store."""

    periods: tuple[BoostPeriod, ...] = attrs.field(converter=_periods)

    def period_for(self, store: str | None, at: DateTime) -> BoostPeriod | None:
        for p in self.periods:
            if p.store == store and p.start <= at < p.end:
                return p
        return None

    def weight(self, sale: Sale) -> Decimal:
        """How many times ``sale`` counts toward performance."""
        if not sale.online:
            return Decimal(1)
        p = self.period_for(sale.store, sale.at)
        return Decimal(1) if p is None else p.online_multiplier

    def performance(
        self, sales: Iterable[Sale], currency: str = "CNY"
    ) -> tuple[Money, Money, BoostPeriod | None]:
        """``(real, boosted)`` performance of ``sales`` and the period that boosted it.

        When sales fall in several periods (of several stores), the period
        with the lowest cap is returned, so the cap applied is the strictest.
        """
        real = boosted = 0
        strictest: BoostPeriod | None = None
        for s in sales:
            if s.amount.currency != currency:
                raise CurrencyMismatchError(
                    f"sale of {s.sku.id} is in {s.amount.currency}, the target in {currency}"
                )
            real += s.amount.minor
            p = self.period_for(s.store, s.at) if s.online else None
            if p is None:
                boosted += s.amount.minor
                continue
            boosted += round_decimal(Decimal(s.amount.minor) * p.online_multiplier)
            if strictest is None or p.cap < strictest.cap:
                strictest = p
        return Money(real, currency), Money(boosted, currency), strictest

    def target_commission(self, target: Target, sales: Iterable[Sale], month: Window
                          ) -> BoostResult:
        """Price ``target`` on boosted performance, capped at ``cap ×`` the un-boosted price."""
        mine = [s for s in sales if month.contains(s.at) and counts_toward(target, s)]
        real, boosted_perf, period = self.performance(mine, target.amount.currency)
        cap = period.cap if period is not None else Decimal(1)
        plain = target.ladder.commission(real, target.amount)
        boosted = target.ladder.commission(boosted_perf, target.amount)
        limit = Money(round_decimal(Decimal(plain.amount.minor) * cap, Rounding.DOWN),
                      plain.amount.currency)
        if boosted.amount > limit:
            reason = BOOST_CAPPED(boosted=boosted.amount, cap=limit, ratio=cap,
                                  unboosted=plain.amount)
            return BoostResult(plain, boosted, limit, True, reason)
        mult = period.online_multiplier if period is not None else Decimal(1)
        reason = BOOSTED(multiplier=mult, unboosted=plain.amount, boosted=boosted.amount)
        return BoostResult(plain, boosted, boosted.amount, False, reason)

