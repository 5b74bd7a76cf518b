"""The best coupon combination in fen: `sirui.checkout.combination` on a `FenState`.

Same rules, same order, same answer as `combination.Search` (see its
module doc): coupons checked (whose wallet, validity), one per template
(the one expiring first), each priced alone on the state after promotions,
grouped by slot limit, then a depth-first walk over each group's subsets,
biggest solo savings first, cut when even the best solo savings left cannot
beat the best cost found. The difference is that every node and every leaf
(the rest of the pipeline, shipping coupons included) is priced on ints, so
one pass finds the optimum and its ties break the documented way: least
cost, then most off the goods, then first found.

Explanations (why each unused coupon was not chosen) are built by
`FenSearch.explain` when the quote's ``not_applied`` is first read.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from sirui.checkout._compiled import FenPlan
from sirui.checkout._pipeline import CouponLike, fingerprint_of, kind_of, precheck
from sirui.checkout.combination import (
    NOTHING_OFF,
    CouponOption,
    _Group,
    coupon_groups,
    expiry_key,
)
from sirui.checkout.shipping import REFUSALS
from sirui.checkout.stacking import (
    COMBINATION_SAVES_MORE,
    KEEPS_ORDER_MINIMUM,
    ORDER_LIMIT,
    SAME_TEMPLATE,
    SLOT_FULL,
    slot_label_zh,
)
from sirui.core.money import Money
from sirui.rules.pricing import FenSkip, FenState, NotApplied, Stage, reason_of
from sirui.rules.reasons import Reason, ReasonCode

__all__ = ["FenSearch", "apply_coupon_fen", "cost_fen", "finish_fen", "not_applied"]


def apply_coupon_fen(fs: FenState, coupon: CouponLike, stacks: bool) -> None:
    """`_pipeline.apply_coupon` in fen: a non-stacking coupon only sees untouched lines."""
    template: Any = coupon.template
    if stacks:
        template.price_fen(fs, coupon)
        return
    touched = {
        i for a in fs.adjustments if a.stage is Stage.PROMOTION for i, _ in a.shares
    }
    if not touched:
        template.price_fen(fs, coupon)
        return
    own = fs.blocked
    bit = 1 << Stage.COUPON
    fs.blocked = [b | bit if i in touched else b for i, b in enumerate(own)]
    template.price_fen(fs, coupon)
    fs.blocked = own


def solos_in_fen(template: object) -> bool:
    """True if ``template`` has a ``solo_fen`` from the class that defines its ``price_fen``.

    A subclass that prices differently must not inherit its parent's shortcut.
    """
    cls = type(template)
    hit = _SOLO_READY.get(cls)
    if hit is None:
        price = next((k for k in cls.__mro__ if "price_fen" in k.__dict__), None)
        hit = _SOLO_READY[cls] = price is not None and "solo_fen" in price.__dict__
    return hit


_SOLO_READY: dict[type, bool] = {}


def finish_fen(plan: FenPlan, state: FenState) -> FenState:
    """The stages after the goods coupons, on a copy of ``state``."""
    s = state.copy()
    for stage in (Stage.COUPON, Stage.POINTS, Stage.SHIPPING):
        s = plan.run(s, stage)
    return s


def cost_fen(fs: FenState) -> int:
    """`_pipeline.cost`: goods before points plus shipping payable, in fen."""
    return fs.subtotal() + fs.stage_total(Stage.POINTS) + fs.shipping_left()


def not_applied(skip: FenSkip) -> NotApplied:
    return NotApplied(skip.rule, skip.stage, reason_of(skip.reason), skip.kind)


class FenSearch:
    """One run of the best-combination search on ints (internal state of one quote)."""

    def __init__(self, plan: FenPlan, start: FenState, coupons: Sequence[CouponLike]) -> None:
        self.plan = plan
        self.stacking = plan.stacking
        self.start = start
        self.reasons: dict[str, FenSkip] = {}
        self.refused: dict[str, tuple[CouponLike, NotApplied]] = {}
        self.duplicate_of: dict[str, str] = {}
        self.options: dict[str, CouponOption] = {}
        self.nodes = 0
        self.exact = True
        self.accepted_only = False
        self.held_back: frozenset[str] = frozenset()
        self.best_cost: int | None = None
        self.best_goods = 0
        self.best_state: FenState | None = None
        self.best_pre: FenState | None = None
        self.best_combo: tuple[CouponOption, ...] = ()
        self.groups = self._prepare(coupons)

    # -- preparation ------------------------------------------------------------------

    def _prepare(self, coupons: Sequence[CouponLike]) -> tuple[_Group, ...]:
        pol, start = self.stacking, self.start
        member, now = start.base.cart.member.id, start.base.now
        by_template: dict[str, list[CouponLike]] = {}
        for c in coupons:
            early = precheck(c, member, now)
            if early is not None:
                self.refused[c.id] = (c, early)
                continue
            t = c.template
            key = fingerprint_of(t) or f"id:{id(t)}"
            same = by_template.get(key)
            if same is None:
                by_template[key] = [c]
            else:
                same.append(c)
        reps: list[CouponOption] = []
        options = self.options
        # One dry probe serves every solo: a goods coupon only adds an
        # adjustment or a skip, so resetting those two resets the probe.
        probe = start.dry_copy()
        n, m = len(start.adjustments), len(start.not_applied)
        # A coupon that does not stack sees only the lines no promotion touched.
        touched = any(a.stage is Stage.PROMOTION for a in start.adjustments)
        stacks_of, goods = pol.coupon_stacks, Stage.COUPON
        for same in by_template.values():
            if len(same) > 1:
                same.sort(key=expiry_key)
                for dup in same[1:]:
                    self.duplicate_of[dup.id] = same[0].id
            rep = same[0]
            t = rep.template
            stage = t.stage
            stacks = stacks_of(t.stacks_with_promotions)
            solo = 0
            if stage is goods:
                # The template's own shortcut where it has one (checked
                # coupons, nothing blocked), else the dry probe.
                shortcut: Any = t  # `solos_in_fen` checks that it has one
                quick = (
                    shortcut.solo_fen(start, rep)
                    if (stacks or not touched) and solos_in_fen(t) else None
                )
                if quick is None:
                    probe.adjustments, probe.not_applied = start.adjustments, start.not_applied
                    apply_coupon_fen(probe, rep, stacks)
                    if len(probe.adjustments) == n:
                        why = probe.not_applied[m:]
                        for c in same:
                            self.reasons[c.id] = (
                                why[-1]._replace(rule=c.id) if why
                                else FenSkip(c.id, stage, NOTHING_OFF, kind_of(t))
                            )
                        continue
                    new = probe.adjustments[n:]
                    quick = new[0].amount if len(new) == 1 else sum(a.amount for a in new)
                solo = quick
            opt = CouponOption(rep, t.slot, stage, stacks, solo)
            reps.append(opt)
            options[rep.id] = opt
        return coupon_groups(pol, reps)

    # -- search -----------------------------------------------------------------------

    def run(self) -> None:
        goods = [g for g in self.groups if g.stage is Stage.COUPON]
        self.ship_groups = [g for g in self.groups if g.stage is not Stage.COUPON]
        rem = [0] * (len(goods) + 1)
        for i in range(len(goods) - 1, -1, -1):
            rem[i] = rem[i + 1] + goods[i].best
        self._goods, self._rem = goods, rem
        self._dfs(0, self.start, ())
        if self.best_state is not None and self.best_combo and self.best_state.extra(REFUSALS):
            # As `combination.Search`: the cheapest accepted combination, if any.
            kept = (self.best_cost, self.best_goods, self.best_state, self.best_combo,
                    self.best_pre)
            self.best_cost, self.best_state, self.best_combo = None, None, ()
            self.accepted_only = True
            self._dfs(0, self.start, ())
            if self.best_state is None:
                (self.best_cost, self.best_goods, self.best_state, self.best_combo,
                 self.best_pre) = kept
            self.held_back = frozenset(
                o.coupon.id for o in kept[3] if o not in self.best_combo
            )

    def _dfs(self, gi: int, state: FenState, combo: tuple[CouponOption, ...]) -> None:
        self.nodes += 1
        if self._spent():
            return
        if gi == len(self._goods):
            self._leaf(state, combo)
            return
        goods = state.subtotal()
        best = self.best_cost
        if best is not None and goods - self._rem[gi] >= best:
            return
        cap = self.stacking.max_coupons
        group, rest = self._goods[gi], self._rem[gi + 1]
        for subset, solo in zip(group.subsets, group.sums, strict=True):
            # Subsets come by solo savings, descending: once one cannot beat
            # the bound, none after it can.
            best = self.best_cost
            if best is not None and goods - solo - rest >= best:
                break
            if cap is not None and len(combo) + len(subset) > cap:
                continue
            s = state
            if subset:
                s = state.copy()
                for o in subset:
                    n = len(s.adjustments)
                    apply_coupon_fen(s, o.coupon, o.stacks)
                    if len(s.adjustments) == n:
                        break
                else:
                    self._dfs(gi + 1, s, (*combo, *subset))
                    if self._spent():  # the budget ran out below: stop here too
                        return
                continue
            self._dfs(gi + 1, s, combo)
            if self._spent():
                return

    def _spent(self) -> bool:
        """`combination.Search._spent`: the budget is spent with a combination in hand."""
        if self.nodes > self.stacking.max_search_nodes and self.best_state is not None:
            self.exact = False
            return True
        return False

    def finish(self, state: FenState) -> FenState:
        return finish_fen(self.plan, state)

    def _leaf(self, state: FenState, combo: tuple[CouponOption, ...]) -> None:
        pre = self.finish(state)
        cap = self.stacking.max_coupons
        final, used = self._best_shipping(pre, None if cap is None else cap - len(combo))
        if self.accepted_only and final.extra(REFUSALS):
            return
        c = cost_fen(final)
        goods = c - final.shipping_left()
        if self.best_cost is None or (c, goods) < (self.best_cost, self.best_goods):
            self.best_cost, self.best_goods, self.best_state = c, goods, final
            self.best_combo = (*combo, *used)
            self.best_pre = pre

    def _best_shipping(
        self, pre: FenState, left: int | None
    ) -> tuple[FenState, tuple[CouponOption, ...]]:
        # No fee left: no shipping coupon can lower the cost.
        if not self.ship_groups or pre.shipping_left() <= 0:
            return pre, ()
        best_state, best_cost = pre, cost_fen(pre)
        best_used: tuple[CouponOption, ...] = ()
        for choice in itertools.product(*(g.subsets for g in self.ship_groups)):
            flat = tuple(o for sub in choice for o in sub)
            if not flat or (left is not None and len(flat) > left):
                continue
            s = pre.copy()
            for o in flat:
                apply_coupon_fen(s, o.coupon, o.stacks)
            c = cost_fen(s)
            if c < best_cost:
                best_state, best_used, best_cost = s, flat, c
        return best_state, best_used

    # -- explanation ------------------------------------------------------------------

    def explain(self, saved: Money) -> list[NotApplied]:
        """A reason for every coupon not used, in wallet id order."""
        used = {o.coupon.id for o in self.best_combo}
        used_slots: dict[frozenset[str], list[str]] = {}
        for o in self.best_combo:
            used_slots.setdefault(self.stacking.limit_group(o.slot)[0], []).append(o.coupon.id)
        out = {cid: not_applied(skip) for cid, skip in self.reasons.items()}
        for cid, (c, early) in self.refused.items():
            out[cid] = self._refusal(c, early)
        cur = saved.currency
        for cid, opt in self.options.items():
            if cid not in used:
                out[cid] = self._why(opt, used_slots, saved, cur)
        for dup, rep in self.duplicate_of.items():
            if rep in used:
                opt = self.options[rep]
                out[dup] = NotApplied(dup, opt.stage, SAME_TEMPLATE(chosen=rep), _kind(opt))
            elif rep in out:
                r = out[rep]
                out[dup] = NotApplied(dup, r.stage, r.reason, r.kind)
        return [out[k] for k in sorted(out)]

    def _refusal(self, c: CouponLike, early: NotApplied) -> NotApplied:
        # The template words its own refusal; ours is the fallback. A shipping
        # template is shown a token fee so that it gets past "no fee to waive"
        # to the coupon's own problem.
        probe = self.start.copy()
        template: Any = c.template
        if template.stage is Stage.SHIPPING:
            probe.shipping_fee = 1
        n = len(probe.not_applied)
        template.price_fen(probe, c)
        own = probe.not_applied[n:]
        return not_applied(own[-1]._replace(rule=c.id)) if own else early

    def _why(
        self,
        opt: CouponOption,
        used_slots: dict[frozenset[str], list[str]],
        saved: Money,
        cur: str,
    ) -> NotApplied:
        cid = opt.coupon.id
        alone = Money._raw(opt.solo, cur)
        pre = self.best_pre
        if opt.stage is not Stage.COUPON and pre is not None:
            trial = pre.copy()
            apply_coupon_fen(trial, opt.coupon, opt.stacks)
            mine = trial.not_applied[len(pre.not_applied):]
            if len(trial.adjustments) == len(pre.adjustments) and mine:
                return not_applied(mine[-1]._replace(rule=cid))
            alone = Money._raw(max(cost_fen(pre) - cost_fen(trial), 0), cur)
        slots, limit = self.stacking.limit_group(opt.slot)
        taken = used_slots.get(slots, [])
        reason: Reason
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
    return Reason(code.code, tuple(sorted(params.items())))


def _kind(opt: CouponOption) -> str:
    return kind_of(opt.coupon.template)
