"""Best coupon combination (最优用券组合): exact branch and bound over a member's wallet.

Theory of operation. Coupons are priced after the promotion stage, slot by
slot in the stacking policy's order (exchange and item coupons, then store
coupons; shipping coupons at the shipping stage). The search:

1. checks every coupon on its own: whose wallet, its validity window, then
   its template's rules on the state after promotions (its *solo* saving, or
   its skip reason);
2. keeps one coupon per template (the one expiring first): two coupons of
   one template are interchangeable, and using the sooner one is better for
   the shopper;
3. walks the slot groups in application order, trying for each group every
   admissible set of coupons (at most the group's limit), biggest solo
   savings first, and prunes a branch when even the best solo savings of the
   groups left could not beat the best combination found so far;
4. at each leaf runs the rest of the pipeline (points, shipping fee,
   shipping promotions, the best shipping coupons) and scores the leaf by
   goods before points plus shipping payable.

Exactness rests on one property of coupons, true of every built-in kind: a
coupon never saves more on a lower amount than on a higher one (a fixed
amount needs its threshold, a rate gives less on less, an exchange coupon
frees at most a unit). Under it the bound is valid and the result is the
true optimum. Ties go to the combination that takes more off the goods
(less of the cost is shipping), then to the first found (bigger coupons
first, then sooner expiry, then id), so the answer is deterministic and does
not depend on wallet or cart order, nor on how the search is run: a bound
never cuts a tie that would win, since a leaf's cost is at least its goods.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from sirui.checkout._pipeline import (
    CouponLike,
    apply_coupon,
    cost,
    fingerprint_of,
    kind_of,
    precheck,
    shipping_payable,
)
from sirui.checkout.shipping import REFUSALS
from sirui.checkout.stacking import (
    COMBINATION_SAVES_MORE,
    KEEPS_ORDER_MINIMUM,
    ORDER_LIMIT,
    SAME_TEMPLATE,
    SLOT_FULL,
    StackingPolicy,
    slot_label_zh,
)
from sirui.core.money import Money
from sirui.rules.pricing import NotApplied, PriceState, Stage
from sirui.rules.reasons import Reason, ReasonCode, reason_code

if TYPE_CHECKING:
    from sirui.checkout._fast import FastModel

__all__ = ["CouponOption", "Search", "coupon_groups", "expiry_key"]

NOTHING_OFF = reason_code(
    "checkout.coupon_nothing_off",
    zh="该券对当前订单没有优惠",
    en="This coupon takes nothing off this order",
)

class _ModelDisagrees(Exception):
    """The integer model and a template disagree: search through the templates."""


class CouponOption(NamedTuple):
    """One coupon the search considered: its slot, stage and saving on its own."""

    coupon: Any
    slot: str
    stage: Stage
    stacks: bool
    solo: int = 0
    """Fen saved on the state after promotions (COUPON stage only)."""


_EXPIRY: dict[int, tuple[object, tuple[Any, ...]]] = {}


def expiry_key(c: CouponLike) -> tuple[Any, ...]:
    """Sooner expiry first, then id (memoised by identity: coupons are immutable)."""
    hit = _EXPIRY.get(id(c))  # pragma: no mutate (equivalent: a memo miss recomputes the key)
    if hit is not None and hit[0] is c:
        return hit[1]
    end = c.valid.end
    key = (0, end.timestamp(), c.id) if end is not None else (1, 0.0, c.id)
    # pragma: no mutate start (equivalent: when the memo is emptied only bounds its size)
    if len(_EXPIRY) >= 8192:
        _EXPIRY.clear()
    # pragma: no mutate end
    _EXPIRY[id(c)] = (c, key)  # pragma: no mutate (equivalent: a memo; a miss recomputes)
    return key


class _Group(NamedTuple):
    slots: frozenset[str]
    limit: int
    stage: Stage
    subsets: tuple[tuple[CouponOption, ...], ...]
    sums: tuple[int, ...]
    """Each subset's solo savings, descending (the empty subset last, 0)."""
    best: int
    """Upper bound of this group's saving: its top ``limit`` solo savings."""


def coupon_groups(pol: StackingPolicy, reps: list[CouponOption]) -> tuple[_Group, ...]:
    """The options by slot limit group, each with its admissible subsets, in search order."""
    by_slot: dict[str, list[CouponOption]] = {}
    for o in reps:
        by_slot.setdefault(o.slot, []).append(o)
    buckets: dict[frozenset[str], list[CouponOption]] = {}
    limits: dict[frozenset[str], int] = {}
    for slot, same in by_slot.items():
        slots, limits[slots] = pol.limit_group(slot)
        buckets.setdefault(slots, []).extend(same)
    groups = []
    for slots, opts in buckets.items():
        opts.sort(key=_SOLO, reverse=True)
        solos = [o.solo for o in opts]  # descending, whichever way ties then go
        if len(set(solos)) < len(solos):  # ties: the one expiring sooner first
            opts.sort(key=_solo_then_expiry)
        limit = min(limits[slots], len(opts))
        if pol.max_coupons is not None:
            limit = min(limit, pol.max_coupons)
        if limit == 1:
            # Already by solo saving: the subsets of one coupon need no sorting.
            subsets: tuple[tuple[CouponOption, ...], ...] = (*[(o,) for o in opts], ())
            sums: tuple[int, ...] = (*solos, 0)
        else:
            combos: list[tuple[CouponOption, ...]] = []
            for k in range(limit, 0, -1):
                combos += itertools.combinations(opts, k)
            # Within a subset, coupons apply in slot order then id; subsets by
            # their solo sum so the best-looking branch is explored first.
            keyed = [
                (sum(o.solo for o in c), tuple(
                    sorted(c, key=lambda o: (pol.slot_rank(o.slot), o.coupon.id))
                ))
                for c in combos
            ]
            keyed.sort(key=lambda k: -k[0])
            subsets = (*(c for _, c in keyed), ())
            sums = (*(k for k, _ in keyed), 0)
        best = sum(solos[:limit])
        groups.append(_Group(slots, limit, opts[0].stage, subsets, sums, best))
    groups.sort(key=lambda g: (g.stage, min(pol.slot_rank(s) for s in g.slots)))
    return tuple(groups)


_SOLO = operator.attrgetter("solo")


def _solo_then_expiry(o: CouponOption) -> tuple[int, tuple[Any, ...]]:
    """Biggest solo saving first, then `expiry_key`."""
    return -o.solo, expiry_key(o.coupon)


class Search:
    """One run of the best-combination search (internal state of one quote)."""

    def __init__(
        self,
        *,
        stacking: StackingPolicy,
        start: PriceState,
        coupons: Sequence[CouponLike],
        finish: Callable[[PriceState], PriceState],
        ship_finish: Callable[[PriceState, Sequence[CouponOption]], PriceState],
        bound_ok: bool,
    ) -> None:
        self.stacking = stacking
        self.start = start
        self.finish = finish
        self.ship_finish = ship_finish
        self.bound_ok = bound_ok
        self.reasons: dict[str, NotApplied] = {}
        self.duplicate_of: dict[str, str] = {}
        self.options: dict[str, CouponOption] = {}
        self.nodes = 0
        self.exact = True
        # pragma: no mutate start (equivalent: None is as false as False; set before read)
        self.accepted_only = False
        self.best_pre_shipping: PriceState | None = None
        self.held_back: frozenset[str] = frozenset()
        """Coupons of the cheapest combination, left out to keep the order's minimum."""
        # pragma: no mutate end
        self.best_cost: int | None = None
        # pragma: no mutate start (equivalent: the first leaf sets these before they are read)
        self.best_goods = 0
        self.best_state: PriceState | None = None
        self.best_combo: tuple[CouponOption, ...] = ()
        self._fast_best: tuple[int, tuple[CouponOption, ...]] | None = None
        # pragma: no mutate end
        self._prepare(coupons)

    # -- preparation ------------------------------------------------------------------

    def _prepare(self, coupons: Sequence[CouponLike]) -> None:
        pol, start = self.stacking, self.start
        by_template: dict[str, list[CouponLike]] = {}
        for c in coupons:
            early = precheck(c, start.cart.member.id, start.now)
            if early is not None:
                self.reasons[c.id] = self._refusal(c, early)
                continue
            key = fingerprint_of(c.template) or f"id:{id(c.template)}"
            by_template.setdefault(key, []).append(c)
        candidates: list[tuple[CouponOption, list[CouponLike]]] = []
        for same in by_template.values():
            same.sort(key=expiry_key)
            rep = same[0]
            for dup in same[1:]:
                self.duplicate_of[dup.id] = rep.id
            t = rep.template
            opt = CouponOption(rep, t.slot, t.stage, pol.coupon_stacks(t.stacks_with_promotions))
            candidates.append((opt, same))
        # The integer model ranks combinations when every goods coupon is modelled.
        from sirui.checkout._fast import FastModel

        fast: FastModel | None = FastModel(start) if self.bound_ok else None
        for opt, _ in candidates:
            if (
                fast is not None and opt.stage is Stage.COUPON
                and not fast.compile(opt.coupon.id, opt.coupon.template, opt.stacks, start)
            ):
                fast = None
        self.fast = fast  # pragma: no mutate (equivalent: without the model, the same answer)
        reps: list[CouponOption] = []
        for opt, same in candidates:
            rep, t = opt.coupon, opt.coupon.template
            if opt.stage is Stage.COUPON:
                saved = None
                if fast is not None:
                    after_fast = fast.apply(fast.amounts, rep.id)
                    if after_fast is not None:
                        saved = sum(fast.amounts) - sum(after_fast)
                if saved is None:
                    n = len(start.adjustments)
                    after = apply_coupon(start, rep, opt.stacks)
                    if len(after.adjustments) > n:
                        # The model disagrees with the template: trust the template.
                        self.fast = fast = None
                        saved = sum(a.amount.minor for a in after.adjustments[n:])
                    else:
                        why = after.not_applied[len(start.not_applied):]
                        for c in same:
                            self.reasons[c.id] = (
                                attrs.evolve(why[-1], rule=c.id) if why
                                else NotApplied(c.id, opt.stage, NOTHING_OFF(), kind_of(t))
                            )
                        continue
                # Direct construction: attrs.evolve is slow on this hot path.
                opt = CouponOption(opt.coupon, opt.slot, opt.stage, opt.stacks, saved)
            reps.append(opt)
            self.options[rep.id] = opt
        if self.fast is None:
            # Solos from the model are the templates' own figures only if it held.
            reps = [self._real_solo(o) for o in reps]
            self.options = {o.coupon.id: o for o in reps}
        self.groups = self._groups(reps)

    def _refusal(self, c: CouponLike, early: NotApplied) -> NotApplied:
        # The template words its own refusal; ours is the fallback. A shipping
        # template is shown a token fee so that it gets past "no fee to waive"
        # to the coupon's own problem.
        start = probe = self.start
        if c.template.stage is Stage.SHIPPING:
            probe = attrs.evolve(start, shipping_fee=Money(1, start.currency))
        n = len(probe.not_applied)
        own = c.template.price(probe, c).not_applied[n:]
        return attrs.evolve(own[-1], rule=c.id) if own else early

    def _real_solo(self, opt: CouponOption) -> CouponOption:
        if opt.stage is not Stage.COUPON:
            return opt
        n = len(self.start.adjustments)
        after = apply_coupon(self.start, opt.coupon, opt.stacks)
        return opt._replace(solo=sum(a.amount.minor for a in after.adjustments[n:]))

    def _groups(self, reps: list[CouponOption]) -> tuple[_Group, ...]:
        return coupon_groups(self.stacking, reps)

    # -- search -----------------------------------------------------------------------

    def run(self) -> None:
        goods = [g for g in self.groups if g.stage is Stage.COUPON]
        self.ship_groups = [g for g in self.groups if g.stage is not Stage.COUPON]
        rem = [0] * (len(goods) + 1)
        for i in range(len(goods) - 1, -1, -1):
            rem[i] = rem[i + 1] + goods[i].best
        self._goods, self._rem = goods, rem
        self._search()
        if self.best_state is not None and self.best_combo and self.best_state.extra(REFUSALS):
            self._rerun_accepted_only()

    def _search(self) -> None:
        if self.fast is not None:
            try:
                self._run_fast(self.fast)
                return
            except _ModelDisagrees:
                self.fast = None  # pragma: no mutate (equivalent: not read after the search)
                self.best_cost, self.best_state, self.best_combo = None, None, ()
                self.nodes = 0
        self._dfs(0, self.start, ())

    def _rerun_accepted_only(self) -> None:
        # The cheapest combination leaves the order refused (below the delivery
        # minimum): the cheapest one that keeps it accepted wins, if any does.
        # Refused leaves never set the bound, so the cut stays sound.
        kept = (self.best_cost, self.best_goods, self.best_state, self.best_combo,
                self.best_pre_shipping)
        self.best_cost, self.best_state, self.best_combo = None, None, ()
        self.accepted_only = True
        self._dfs(0, self.start, ())
        if self.best_state is None:
            (self.best_cost, self.best_goods, self.best_state, self.best_combo,
             self.best_pre_shipping) = kept
        # Restored, none is held back; else those the chosen one leaves out.
        self.held_back = frozenset(o.coupon.id for o in kept[3] if o not in self.best_combo)

    def _run_fast(self, fast: FastModel) -> None:
        # Pass 1 ranks goods combinations on integers alone. Shipping payable is
        # >= 0, so the cheapest goods total is a lower bound of every cost: its
        # full cost (pass 2's first bound) prunes all leaves whose goods total
        # cannot beat it, and in the common case (no fee left) nothing remains.
        self._fast_best = None
        self._fast_dfs(fast, 0, fast.amounts, (), None)
        found = self._goods_best()
        # Never None: pass 1 always reaches a leaf (the empty choice is always tried).
        if found is None:
            self._leaf(self.start, ())  # pragma: no mutate (equivalent: dead, see above)
            return
        first = found[1]
        self._evaluate(fast, first)
        self._fast_dfs(fast, 0, fast.amounts, (), first)

    def _goods_best(self) -> tuple[int, tuple[CouponOption, ...]] | None:
        return self._fast_best

    def _fast_dfs(
        self,
        fast: FastModel,
        gi: int,
        amounts: list[int],
        combo: tuple[CouponOption, ...],
        done: tuple[CouponOption, ...] | None,
    ) -> None:
        self.nodes += 1
        if self._spent(done is None):
            return
        goods = sum(amounts)
        if done is None:
            bound = self._fast_best[0] if self._fast_best is not None else None
        else:
            bound = self.best_cost
        if bound is not None and goods - self._rem[gi] >= bound:
            return
        if gi == len(self._goods):
            if done is None:
                self._fast_best = (goods, combo)
            elif combo != done:
                self._evaluate(fast, combo)
            return
        cap = self.stacking.max_coupons
        group, rest = self._goods[gi], self._rem[gi + 1]
        for subset, solo in zip(group.subsets, group.sums, strict=True):
            # Subsets come by solo savings, descending: once one cannot beat
            # the bound, none after it can.
            if bound is not None and goods - solo - rest >= bound:
                break  # pragma: no mutate (equivalent: nothing follows the loop)
            if cap is not None and len(combo) + len(subset) > cap:
                continue
            cur: list[int] | None = amounts
            for o in subset:
                cur = fast.apply(cur, o.coupon.id) if cur is not None else None
            if cur is not None:
                self._fast_dfs(fast, gi + 1, cur, (*combo, *subset), done)
                if self._spent(done is None):  # the budget ran out below: stop here too
                    return

    def _evaluate(self, fast: FastModel, combo: tuple[CouponOption, ...]) -> None:
        """Price ``combo`` through the templates and score it with the rest of the pipeline."""
        s = self.start
        amounts = fast.amounts
        for o in combo:
            n = len(s.adjustments)  # pragma: no mutate (equivalent: the lines are compared below)
            s = apply_coupon(s, o.coupon, o.stacks)
            after = fast.apply(amounts, o.coupon.id)
            if len(s.adjustments) == n or after is None:
                raise _ModelDisagrees
            amounts = after
        if [pl.amount.minor for pl in s.lines] != amounts:
            raise _ModelDisagrees
        self._leaf(s, combo)

    def _dfs(self, gi: int, state: PriceState, combo: tuple[CouponOption, ...]) -> None:
        self.nodes += 1
        if self._spent():
            return
        if gi == len(self._goods):
            self._leaf(state, combo)
            return
        if (
            self.bound_ok and self.best_cost is not None
            and state.subtotal().minor - self._rem[gi] >= self.best_cost
        ):
            return
        cap = self.stacking.max_coupons
        group, rest = self._goods[gi], self._rem[gi + 1]
        goods = state.subtotal().minor
        for subset, solo in zip(group.subsets, group.sums, strict=True):
            if (
                self.bound_ok and self.best_cost is not None
                and goods - solo - rest >= self.best_cost
            ):
                break  # pragma: no mutate (equivalent: nothing follows the loop)
            if cap is not None and len(combo) + len(subset) > cap:
                continue
            s = state
            for o in subset:
                n = len(s.adjustments)
                s = apply_coupon(s, o.coupon, o.stacks)
                if len(s.adjustments) == n:
                    break
            else:
                self._dfs(gi + 1, s, (*combo, *subset))
                if self._spent():  # the budget ran out below: stop here too
                    return

    def _spent(self, on_model: bool = False) -> bool:
        """Whether the node budget is spent with a combination in hand: the search
        stops, inexact. ``on_model``: `_fast_dfs`'s first pass (its own best)."""
        found = self._fast_best if on_model else self.best_state
        if self.nodes > self.stacking.max_search_nodes and found is not None:
            self.exact = False
            return True
        return False

    def _leaf(self, state: PriceState, combo: tuple[CouponOption, ...]) -> None:
        pre = self.finish(state)
        left = None if self.stacking.max_coupons is None else self.stacking.max_coupons - len(combo)
        final, used = self._best_shipping(pre, left)
        if self.accepted_only and final.extra(REFUSALS):
            return
        c = cost(final)
        goods = c - shipping_payable(final).minor
        # Ties go to more off the goods, then to the first found (see the module doc).
        if self.best_cost is None or (c, goods) < (self.best_cost, self.best_goods):
            self.best_cost, self.best_goods, self.best_state = c, goods, final
            self.best_combo = (*combo, *used)
            self.best_pre_shipping = pre

    def _best_shipping(
        self, pre: PriceState, left: int | None
    ) -> tuple[PriceState, tuple[CouponOption, ...]]:
        best_state = self.ship_finish(pre, ())
        best_used: tuple[CouponOption, ...] = ()
        # No fee left: no shipping coupon can lower the cost.
        if not self.ship_groups or shipping_payable(best_state).minor <= 0:
            return best_state, best_used
        best_cost = cost(best_state)
        for choice in itertools.product(*(g.subsets for g in self.ship_groups)):
            flat = tuple(o for sub in choice for o in sub)
            if not flat or (left is not None and len(flat) > left):
                continue
            s = self.ship_finish(pre, flat)
            if cost(s) < best_cost:
                best_state, best_used, best_cost = s, flat, cost(s)
        return best_state, best_used

    # -- explanation ------------------------------------------------------------------

    def explain(self, saved: Money) -> list[NotApplied]:
        """A reason for every coupon not used, in wallet id order."""
        used = {o.coupon.id for o in self.best_combo}
        used_slots: dict[frozenset[str], list[str]] = {}
        for o in self.best_combo:
            used_slots.setdefault(self.stacking.limit_group(o.slot)[0], []).append(o.coupon.id)
        out: dict[str, NotApplied] = dict(self.reasons)
        cur = saved.currency
        for cid, opt in self.options.items():
            if cid in used:
                continue
            out[cid] = self._why(opt, used_slots, saved, cur)
        for dup, rep in self.duplicate_of.items():
            if rep in used:
                opt = self.options[rep]
                out[dup] = NotApplied(dup, opt.stage, SAME_TEMPLATE(chosen=rep), _kind(opt))
            elif rep in out:
                out[dup] = attrs.evolve(out[rep], rule=dup)
        return [out[k] for k in sorted(out)]

    def _ship_base(self, pre: PriceState) -> PriceState:
        # pragma: no mutate start (equivalent: a memo; a miss recomputes the same state)
        cached = getattr(self, "_ship_base_state", None)
        if cached is None or cached[0] is not pre:
            cached = (pre, self.ship_finish(pre, ()))
            self._ship_base_state = cached
        # pragma: no mutate end
        return cached[1]

    def _why(
        self,
        opt: CouponOption,
        used_slots: dict[frozenset[str], list[str]],
        saved: Money,
        cur: str,
    ) -> NotApplied:
        cid = opt.coupon.id
        alone = Money(opt.solo, cur)
        if opt.stage is not Stage.COUPON:
            pre = self.best_pre_shipping
            if pre is not None:
                base = self._ship_base(pre)
                trial = self.ship_finish(pre, (opt,))
                mine = list(trial.not_applied[len(base.not_applied):])
                applied = len(trial.adjustments) > len(base.adjustments)
                if not applied and mine:
                    return attrs.evolve(mine[-1], rule=cid)
                alone = Money(max(cost(base) - cost(trial), 0), cur)
        slots, limit = self.stacking.limit_group(opt.slot)
        taken = used_slots.get(slots, [])
        if cid in self.held_back:
            reason = _reason(KEEPS_ORDER_MINIMUM, combination=saved, alone=alone)
        elif len(taken) >= limit:
            reason = _reason(
                SLOT_FULL,
                slot="/".join(sorted(slots)), slot_zh=slot_label_zh(slots), limit=limit,
                chosen=",".join(taken),
                combination=saved, alone=alone,
            )
        elif (
            self.stacking.max_coupons is not None
            and sum(len(v) for v in used_slots.values()) >= self.stacking.max_coupons
        ):
            reason = ORDER_LIMIT(limit=self.stacking.max_coupons)
        else:
            reason = _reason(COMBINATION_SAVES_MORE, combination=saved, alone=alone)
        return NotApplied(cid, opt.stage, reason, _kind(opt))


def _reason(code: ReasonCode, **params: Any) -> Reason:
    # What ReasonCode.__call__ builds, without re-parsing the message
    # templates on every call: explanations run for every unused coupon.
    return Reason(code.code, tuple(sorted(params.items())))


def _kind(opt: CouponOption) -> str:
    return kind_of(opt.coupon.template)
