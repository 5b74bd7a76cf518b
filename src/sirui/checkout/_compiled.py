"""Policies compiled once into a plan that prices in fen: the checkout's fast path.

Theory of operation. A host quotes many carts against the same few policy
objects, so `compiled` looks a quote's stacking policy, shipping policy and
promotions up by identity and, the first time only, checks them, sorts each
stage's promotions (priority, then id), works out the stacking options of
each stage, and notes whether every policy prices in fen
(`sirui.promotions.base.prices_in_fen`) and in which currencies its amounts
are. `FenPlan.run` is `_pipeline.Plan.run` on a `FenState`: the same
stages, the same conflict resolution (every admissible option priced from
the same state, the best for the shopper kept, the losers explained), on
ints, with every reason left to be built when the quote is read.

A plan is only used when everything it runs prices in fen and every amount
is in the cart's currency; anything else takes the straightforward path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from sirui.checkout._pipeline import PromotionLike, kind_of, sort_key
from sirui.checkout.shipping import ShippingPolicy, ShippingStep
from sirui.checkout.stacking import (
    EXCLUDED_BY_EXCLUSIVE,
    EXCLUDED_BY_GROUP,
    EXCLUSIVE_SAVES_LESS,
    StackingOptions,
    StackingPolicy,
    stacking_options,
)
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.rules.pricing import FenSkip, FenState, ReasonLike, Stage

__all__ = ["FenPlan", "check_promotions", "compiled", "fen_ready"]


def _pricing(obj: object) -> bool:
    # A structural check, much cheaper than isinstance() on a runtime Protocol.
    return callable(getattr(obj, "price", None)) and hasattr(obj, "stage")


def check_promotions(promotions: Iterable[Any]) -> tuple[PromotionLike, ...]:
    """The promotions as a tuple, or a typed error naming the first misuse."""
    out = tuple(promotions)
    ids: set[str] = set()
    for i, p in enumerate(out):
        if not (_pricing(p) and hasattr(p, "id") and hasattr(p, "priority")):
            raise invalid(f"promotions[{i}]", p, "must be a Promotion", cls=InvalidValueError)
        if p.id in ids:
            raise invalid(
                f"promotions[{i}].id", p.id, "two promotions share an id",
                "give every promotion its own id", cls=InvalidValueError,
            )
        ids.add(p.id)
    return out


def _currencies(obj: object, out: set[str]) -> None:
    """Add the currency of every amount inside ``obj`` (attrs values, tuples, sets)."""
    if isinstance(obj, Money):
        out.add(obj.currency)
    elif isinstance(obj, tuple | list | frozenset | set):
        for x in obj:
            _currencies(x, out)
    elif attrs.has(type(obj)):
        for a in attrs.fields(type(obj)):  # type: ignore[arg-type]
            _currencies(getattr(obj, a.name), out)


_READY: dict[int, tuple[object, frozenset[str] | None]] = {}


def fen_ready(policy_obj: object) -> frozenset[str] | None:
    """The currencies of a policy that prices in fen (memoised by identity), else None."""
    hit = _READY.get(id(policy_obj))
    if hit is not None and hit[0] is policy_obj:
        return hit[1]
    # Imported here: the promotions package is the caller's, and heavy to import.
    from sirui.promotions.base import prices_in_fen

    found: set[str] = set()
    _currencies(policy_obj, found)
    ready = frozenset(found) if prices_in_fen(policy_obj) else None
    if len(_READY) >= 4096:
        _READY.clear()
    _READY[id(policy_obj)] = (policy_obj, ready)
    return ready


class FenPlan:
    """What runs at each stage, resolved once for a set of policies."""

    __slots__ = ("currencies", "fen", "options", "promos", "promotions", "shipping", "stacking")

    def __init__(
        self,
        stacking: StackingPolicy,
        promotions: tuple[PromotionLike, ...],
        shipping: ShippingPolicy | None,
    ) -> None:
        self.stacking = stacking
        self.promotions = promotions
        by_stage: dict[Stage, list[PromotionLike]] = {}
        for p in promotions:
            by_stage.setdefault(p.stage, []).append(p)
        self.promos: dict[Stage, tuple[PromotionLike, ...]] = {
            s: tuple(sorted(ps, key=lambda p: sort_key(stacking, p)))
            for s, ps in by_stage.items()
        }
        self.options: dict[Stage, StackingOptions[PromotionLike] | None] = {
            s: stacking_options(ps, stacking) for s, ps in self.promos.items()
        }
        self.shipping = ShippingStep(shipping) if shipping is not None else None
        currencies: set[str] = set()
        fen = shipping is None or type(shipping) is ShippingPolicy
        if shipping is not None:
            _currencies(shipping, currencies)
        for p in promotions:
            ready = fen_ready(p)
            if ready is None:
                fen = False
            else:
                currencies |= ready
        self.fen = fen
        """Every promotion and the shipping policy price in fen."""
        self.currencies = frozenset(currencies)

    def run(self, fs: FenState, stage: Stage) -> FenState:
        """Run ``stage`` on ``fs`` (changed in place, or replaced by the best option's state)."""
        if stage is Stage.SHIPPING and self.shipping is not None:
            self.shipping.price_fen(fs)
        promos = self.promos.get(stage)
        if promos:
            found = self.options[stage]
            if found is None:
                for p in promos:
                    p.price_fen(fs)  # type: ignore[attr-defined]
            else:
                fs = self._resolve(fs, stage, promos, found)
        return fs

    # -- conflict resolution ------------------------------------------------------------

    def _resolve(
        self,
        fs: FenState,
        stage: Stage,
        promos: Sequence[PromotionLike],
        found: StackingOptions[PromotionLike],
    ) -> FenState:
        options = found.options
        base_total = fs.stage_total(stage)
        results: list[tuple[int, FenState]] = []
        for opt in options:
            s = fs.copy()
            for p in opt:
                p.price_fen(s)  # type: ignore[attr-defined]
            results.append((s.stage_total(stage) - base_total, s))
        best_i = max(range(len(results)), key=lambda i: (results[i][0], -i))
        best_saving, best = results[best_i]
        chosen = options[best_i]
        n_shared = len(options) - len(found.exclusive)
        best_shared = max((results[i][0] for i in range(n_shared)), default=0)
        cur = fs.currency
        saving, shared = Money._raw(best_saving, cur), Money._raw(best_shared, cur)
        n0, k0 = len(fs.not_applied), len(fs.adjustments)
        chosen_ids = {p.id for p in chosen}
        chosen_exclusive = len(chosen) == 1 and chosen[0] in found.exclusive
        extra: list[FenSkip] = []
        for p in promos:
            if p.id in chosen_ids:
                continue
            # The option that did best with p in it tells its own story.
            idx = max(
                (i for i, opt in enumerate(options) if p in opt),
                key=lambda i: (results[i][0], -i),
            )
            own_saving, own = results[idx]
            if not any(a.rule == p.id for a in own.adjustments[k0:]):
                mine = [na for na in own.not_applied[n0:] if na.rule == p.id]
                if mine:
                    extra.append(mine[-1])
                    continue
            saves = Money._raw(own_saving, cur)
            reason: ReasonLike
            if chosen_exclusive:
                reason = _reason(EXCLUDED_BY_EXCLUSIVE, chosen=chosen[0].id,
                                 chosen_saves=saving, saves=saves)
            elif p in found.exclusive:
                reason = _reason(EXCLUSIVE_SAVES_LESS, saves=saves, chosen_saves=shared)
            else:
                groups = self.stacking.groups_of(p.id, p.group)
                winners = [q.id for q, g in found.conflicting if q.id in chosen_ids and g & groups]
                reason = _reason(
                    EXCLUDED_BY_GROUP, group=",".join(sorted(groups)),
                    chosen=",".join(winners) or "-", chosen_saves=saving, saves=saves,
                )
            extra.append(FenSkip(p.id, stage, reason, kind_of(p)))
        best.not_applied = (*best.not_applied, *extra)
        return best


def _reason(code: Any, **params: Any) -> ReasonLike:
    return lambda: code(**params)


_PLANS: dict[tuple[int, ...], tuple[tuple[object, ...], FenPlan]] = {}


def compiled(
    stacking: StackingPolicy, promotions: Iterable[Any], shipping: ShippingPolicy | None
) -> FenPlan:
    """The plan of these policies, compiled on first use and then found by identity.

    Policies are immutable, so checking and sorting them once is enough; a
    misuse (not a promotion, two promotions with one id) raises every time.
    """
    promos = tuple(promotions)
    key = (id(stacking), id(shipping), *map(id, promos))
    hit = _PLANS.get(key)
    if hit is not None and all(
        a is b for a, b in zip(hit[0], (stacking, shipping, *promos), strict=True)
    ):
        return hit[1]
    plan = FenPlan(stacking, check_promotions(promos), shipping)
    if len(_PLANS) >= 256:
        _PLANS.clear()
    _PLANS[key] = ((stacking, shipping, *promos), plan)
    return plan
