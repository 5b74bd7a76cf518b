"""Coupon triggers on the columnar engine: per-member wallets, one best coupon per order.

Theory of operation. A coupon's saving on an order depends only on the
order's state after the promotion stage, which the columnar engine already
has for every order at once. So each template the triggers issue is priced
on every order as columns (`_template_runs`: its gate, threshold, what it
takes off, the allocation over the lines, and the shipping the order would
pay after it), and so is the order without a coupon. What cannot be columns
is the wallet: which coupons a member holds at each order depends on their
earlier orders. `_replay` walks each member's orders in time order with a
small wallet of plain values (coupon id, template, validity, available or
used), issuing exactly what the exact engine's triggers issue
(`NewMemberGiftPack` at joining, `RepurchaseIncentive` from the last
payment, `AfterPaymentGift` on the goods paid), with the wallet's claim
refusals (per-member limit, sold coupons, validity over), coupons given back
by a full refund at the refund's instant, and the checkout's choice: the
coupons valid at the payment, one per template (the one expiring first),
each template's saving alone on the order, then the first of the candidates
ordered by saving (then expiry, then id), and no coupon last, with the
least cost (goods plus shipping), then the most off the goods
(`sirui.checkout.combination`). Every coupon left unused gets the reason the
checkout gives it (its template's skip, ``stacking.same_template``,
``stacking.slot_full``, ``stacking.order_limit`` or
``stacking.combination_saves_more``).

The engine takes this path when at most one goods coupon fits an order (the
issued templates share one slot limit of one, or ``max_coupons`` is one), the
templates are the built-in amount-off, no-threshold and percent-off kinds with
conditions the columnar engine evaluates, their validity is a fixed window or
days after claim, and the triggers carry no condition; `coupon_plan` says why
otherwise, and the exact engine runs the scenario.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from sirui.checkout.stacking import (
    COMBINATION_SAVES_MORE,
    ORDER_LIMIT,
    SAME_TEMPLATE,
    SLOT_FULL,
    StackingPolicy,
)
from sirui.core.money import Rounding
from sirui.core.windows import DaysAfterClaim, FixedValidity
from sirui.promotions import (
    AfterPaymentGift,
    AmountOffCoupon,
    CouponTemplate,
    NewMemberGiftPack,
    NoThresholdCoupon,
    PercentOffCoupon,
    RepurchaseIncentive,
)
from sirui.promotions.base import NO_ELIGIBLE_LINES, NOTHING_OFF
from sirui.promotions.coupons import AMOUNT_OFF, BELOW_THRESHOLD, NO_THRESHOLD, PERCENT_OFF
from sirui.rules.conditions import Always
from sirui.simulate.columnar._arith import (
    _allocate,
    _Codes,
    _local_days,
    _ratio,
    _round_div,
    _times_checked,
)
from sirui.simulate.columnar._batch import _NS, Batch, _at, _ns
from sirui.simulate.columnar._conditions import _CODES, _evaluate, _Facts, _unsupported

#: The coupon templates the columnar engine prices (their exact classes).
COUPON_KERNELS = (AmountOffCoupon, NoThresholdCoupon, PercentOffCoupon)
#: The issuing triggers the simulation replays (their exact classes).
TRIGGER_KERNELS = (NewMemberGiftPack, RepurchaseIncentive, AfterPaymentGift)
#: The coupon validities the columnar engine computes windows for.
VALIDITY_KERNELS = (FixedValidity, DaysAfterClaim)

_DAY = 86_400 * _NS
_NEVER = 2**62
"""An end past every instant: a coupon valid without an end."""


@attrs.frozen
class CouponPlan:
    """The triggers and templates a scenario issues, resolved once for the columnar engine."""

    templates: tuple[CouponTemplate, ...]
    """Every template a trigger issues (by id), in first-issued order."""
    before: tuple[tuple[str, str, int, int, tuple[int, ...]], ...]
    """Triggers looked at before an order, in scenario order:
    (kind ``"join"`` or ``"repurchase"``, trigger id, after days, window days, templates)."""
    after: tuple[tuple[str, int, tuple[int, ...]], ...]
    """After-payment triggers: (trigger id, minimum goods paid in fen, templates)."""
    stacks: tuple[bool, ...]
    """Per template: whether it stacks with promotions under the stacking policy."""
    group_limit: int
    """The slot limit the templates share."""
    max_coupons: int | None

    @property
    def limit(self) -> int:
        """Coupons one order may use: 0 or 1 on this path."""
        cap = self.group_limit if self.max_coupons is None else min(
            self.group_limit, self.max_coupons
        )
        return min(cap, 1)


def coupon_plan(
    triggers: Sequence[Any], coupons: Sequence[CouponTemplate], stacking: StackingPolicy
) -> tuple[CouponPlan | None, str]:
    """The plan for these triggers and templates, or None and why the exact engine runs them."""
    by_id = {t.id: t for t in coupons}
    order: list[str] = []
    before: list[tuple[str, str, int, int, tuple[int, ...]]] = []
    after: list[tuple[str, int, tuple[int, ...]]] = []

    def index(tid: str) -> int:
        if tid not in order:
            order.append(tid)
        return order.index(tid)

    for trig in triggers:
        if type(trig) not in TRIGGER_KERNELS:
            continue  # the simulation has no signal for the others: they never issue
        if not isinstance(trig.condition, Always):
            return None, f"coupon trigger {trig.id}: a condition has no columnar kernel"
        missing = [tid for tid in trig.templates if tid not in by_id]
        if missing:
            return None, f"coupon trigger {trig.id}: template {missing[0]} is not in the scenario"
        idx = tuple(index(tid) for tid in trig.templates)
        if isinstance(trig, NewMemberGiftPack):
            before.append(("join", trig.id, 0, 0, idx))
        elif isinstance(trig, RepurchaseIncentive):
            before.append(("repurchase", trig.id, trig.after_days, trig.window_days, idx))
        else:
            after.append((trig.id, trig.min_paid.minor, idx))
    templates = tuple(by_id[tid] for tid in order)
    groups = set()
    for t in templates:
        if type(t) not in COUPON_KERNELS:
            return None, f"coupon {t.id}: {type(t).__name__} has no columnar kernel"
        unsupported = _unsupported(t.condition)
        if unsupported is not None:
            return None, f"coupon {t.id}: condition {unsupported} has no columnar kernel"
        if type(t.validity) not in VALIDITY_KERNELS:
            return None, f"coupon {t.id}: validity {type(t.validity).__name__} has no kernel"
        groups.add(stacking.limit_group(t.slot))
    limit = next(iter(groups))[1] if len(groups) == 1 else 0
    cap = limit if stacking.max_coupons is None else min(limit, stacking.max_coupons)
    if len(groups) > 1 or cap > 1:
        return None, "coupons that may combine on one order (slot limits) need the exact engine"
    plan = CouponPlan(
        templates,
        tuple(before),
        tuple(after),
        tuple(stacking.coupon_stacks(t.stacks_with_promotions) for t in templates),
        limit,
        stacking.max_coupons,
    )
    return plan, ""


#: Why a template does not apply to an order, by index (0: it applies): `_TemplateRun.skip`.
_SKIPS: tuple[str, ...] = (
    "", NO_ELIGIBLE_LINES.code, BELOW_THRESHOLD.code, NOTHING_OFF.code,
    *(c for c in _CODES if c),
)


@attrs.frozen
class _TemplateRun:
    """One template priced alone on every order (after the promotion stage)."""

    solo: Any
    """Fen it takes off each order (0: it does not apply)."""
    skip: Any
    """Per order, the index in `_SKIPS` of the reason it does not apply (0 where it applies)."""
    cur: Any
    """Line amounts after it."""
    code: str
    """Its reason code when applied."""


def _template_run(
    t: CouponTemplate, stacks: bool, ctx: Any, cur: Any, *, closed: Any, touched: Any
) -> _TemplateRun:
    """``template.price_fen`` on every order, as `check_coupon_fen` and `take_fen` run it."""
    batch: Batch = ctx.batch
    n, lo = batch.orders, batch.line_order
    in_scope = np.array([t.scope.matches(s) for s in batch.skus], dtype=bool)
    open_lines = ~closed if stacks else ~(closed | touched)
    elig = in_scope[batch.line_sku] & (cur > 0) & open_lines
    has = np.bincount(lo, weights=elig, minlength=n) > 0
    skip = np.zeros(n, dtype=np.int64)
    skip[~has] = 1
    open_ = has
    base = np.bincount(lo, weights=np.where(elig, cur, 0), minlength=n).astype(np.int64)
    if not isinstance(t.condition, Always):
        ok, why = _evaluate(t.condition, _Facts(batch, ctx.tier, ctx.count, base, elig))
        failed = open_ & ~ok
        skip[failed] = np.array([_SKIPS.index(c) for c in _CODES], dtype=np.int64)[why[failed]]
        open_ = open_ & ok
    threshold = getattr(t, "threshold", None)
    if threshold is not None:
        below = open_ & (base < threshold.minor)
        skip[below] = 2
        open_ = open_ & ~below
    if isinstance(t, PercentOffCoupon):
        num, den = _ratio(t.rate)
        off = base - _round_div(_times_checked(base, np.array([num])), den, Rounding.HALF_UP)
        if t.cap is not None:
            off = np.minimum(off, t.cap.minor)
        code = PERCENT_OFF.code
    else:
        assert isinstance(t, AmountOffCoupon | NoThresholdCoupon)
        off = np.full(n, t.off.minor, dtype=np.int64)
        plain = isinstance(t, NoThresholdCoupon) or t.threshold.minor == 0
        code = NO_THRESHOLD.code if plain else AMOUNT_OFF.code
    nothing = open_ & (off <= 0)
    skip[nothing] = 3
    applied = open_ & ~nothing
    total = np.where(applied, np.minimum(off, base), 0)
    # Allocated over the orders it applies to only (the others keep their lines).
    orders = np.flatnonzero(applied)
    out = cur.copy()
    if len(orders):
        lines = np.flatnonzero(applied[lo])
        renumber = np.cumsum(applied) - 1
        share = _allocate(
            total[orders], np.where(elig[lines], cur[lines], 0), renumber[lo[lines]],
            ctx.id_pos[lines], len(orders),
        )
        out[lines] -= share
    return _TemplateRun(total, skip, out, code)


@attrs.frozen
class CouponOutcome:
    """What the coupon stage did to each order."""

    cur: Any
    """Line amounts after it."""
    off: Any
    """Coupon discount per order."""
    used: Any
    """Coupons used per order (0 or 1)."""
    issued: Any
    """Coupons issued per order (before it and after its payment)."""
    coupon_ids: Any
    """Per order, the id of the coupon used (None if none): a rule of the quote."""
    attempts: Any = None
    """Per order, its claims of templates with a total quota (see `Replayed.attempts`)."""


def _validity(t: CouponTemplate, claim_ns: Any) -> tuple[Any, Any]:
    """(start, end) instants of coupons claimed at ``claim_ns`` (``template.validity.window_for``).

    A validity of days after claim ends at the start of a local day: the same
    for every claim on one local date, so it is asked once per date.
    """
    v = t.validity
    if isinstance(v, FixedValidity):
        w = v.window
        last = _NEVER if w.end is None else _ns(w.end)
        n = len(claim_ns)
        return np.full(n, _ns(w.start), np.int64), np.full(n, last, np.int64)
    assert isinstance(v, DaysAfterClaim)
    if len(claim_ns) == 0:
        return claim_ns.copy(), claim_ns.copy()
    key = _local_days(claim_ns, v.tz)
    days, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    bounds = []
    for day, i in zip(days.tolist(), first.tolist(), strict=True):
        hit = _DAY_WINDOWS.get((v, day))
        if hit is None:
            w = v.window_for(_at(int(claim_ns[i])))
            assert w.end is not None
            hit = _DAY_WINDOWS[(v, day)] = (_ns(w.start), _ns(w.end))
            if len(_DAY_WINDOWS) > 100_000:
                _DAY_WINDOWS.clear()
        bounds.append(hit)
    inverse = np.asarray(inverse).reshape(-1)
    end = np.array([b for _, b in bounds], dtype=np.int64)[inverse]
    if v.starts_after_days:
        start = np.array([a for a, _ in bounds], dtype=np.int64)[inverse]
    else:
        start = claim_ns.copy()
    return start, end


_DAY_WINDOWS: dict[tuple[DaysAfterClaim, int], tuple[int, int]] = {}
"""Validity windows by (validity, local claim date): the end is the same for the whole day
(and so is the start of a validity that starts on a later day)."""


def _repurchase_bounds(
    batch: Batch, prev: Any, after_days: int, window_days: int
) -> tuple[Any, Any]:
    """[at, at + window) per order, ``at`` = the previous payment plus ``after_days``.

    Days are calendar days of the previous payment's zone, as pendulum adds
    them: 24 hours each on a fixed offset.
    """
    has = prev >= 0
    start = np.where(has, batch.paid_ns[np.maximum(prev, 0)] + after_days * _DAY, 0)
    end = start + window_days * _DAY
    zoned = np.flatnonzero(has & np.array([z is not None for z in batch.paid_zoned])[
        np.maximum(prev, 0)
    ])
    for i in zoned.tolist():
        at = batch.paid_zoned[int(prev[i])].add(days=after_days)
        start[i] = _ns(at)
        end[i] = _ns(at.add(days=window_days))
    return start, end


#: The stacking reasons a coupon left out may carry, in `_replay`'s bit order.
_STACKING = (SAME_TEMPLATE.code, SLOT_FULL.code, ORDER_LIMIT.code, COMBINATION_SAVES_MORE.code)


def coupon_stage(
    cp: CouponPlan,
    ctx: Any,
    cur: Any,
    *,
    closed: Any,
    touched: Any,
    shipping: Any,
    codes: tuple[_Codes, _Codes],
    refused: frozenset[str] = frozenset(),
) -> CouponOutcome:
    """The coupon stage on every order: wallets replayed, the checkout's choice, its reasons.

    ``closed``: lines a promotion closed to coupons; ``touched``: lines the
    promotion stage discounted (closed to coupons that do not stack);
    ``shipping(cur)``: the shipping each order pays on line amounts ``cur``.
    """
    batch: Batch = ctx.batch
    n, lo = batch.orders, batch.line_order
    goods0 = np.bincount(lo, weights=cur, minlength=n).astype(np.int64)
    runs = [
        _template_run(t, stacks, ctx, cur, closed=closed, touched=touched)
        for t, stacks in zip(cp.templates, cp.stacks, strict=True)
    ]
    cost0 = goods0 + shipping(cur)
    cost = [
        goods0 - r.solo + (shipping(r.cur) if r.solo.any() else cost0 - goods0) for r in runs
    ]
    done = _replay(cp, batch, runs, goods0=goods0, cost0=cost0, cost=cost, refused=refused)
    chosen, masks = done.chosen, done.masks
    out = cur.copy()
    off = np.zeros(n, dtype=np.int64)
    rules, reasons = codes
    for k, r in enumerate(runs):
        mine = chosen == k
        if mine.any():
            out = np.where(mine[lo], r.cur, out)
            off = np.where(mine, r.solo, off)
            reasons.add(r.code, mine)
    for bit, code in enumerate((*_STACKING, *_SKIPS)):
        has = (masks >> bit) & 1 > 0
        if has.any():
            reasons.add(code, has)
    del rules  # the coupon's id is its rule: joined into the text by the caller
    return CouponOutcome(
        out, off, (chosen >= 0).astype(np.int64), done.issued, done.coupon_ids, done.attempts
    )


@attrs.frozen
class Replayed:
    """What the wallets did, per order, and the claims that met a total quota."""

    chosen: Any
    """The index of the template used (-1: none)."""
    coupon_ids: Any
    issued: Any
    masks: Any
    """Reason bits: the stacking reasons, then `_SKIPS`."""
    attempts: Any = None
    """Per order, the claims of templates with a total quota it made (or None):
    (processing key, coupon id, template id) each."""


def _replay(
    cp: CouponPlan, batch: Batch, runs: list[_TemplateRun], *, goods0: Any, cost0: Any,
    cost: list[Any], refused: frozenset[str] = frozenset(),
) -> Replayed:
    """Each member's wallet through their orders: the coupon each order uses, and why not others.

    ``refused``: coupon ids whose claim the template's total quota refuses
    (`quota_refusals` decides them over every member's attempts).
    """
    n = batch.orders
    empty = Replayed(
        np.full(n, -1, dtype=np.int64), np.full(n, None, dtype=object),
        np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
    )
    if n == 0 or not cp.templates:
        return empty
    walk = _Walk(cp, batch, runs, goods0=goods0, cost0=cost0, cost=cost, refused=refused)
    if not walk.active:
        return empty
    for m in walk.active:
        walk.member(m)
    ids = np.empty(n, dtype=object)
    ids[:] = walk.ids
    attempts = np.full(n, None, dtype=object)
    for o, tried in walk.attempts.items():
        attempts[o] = tuple(tried)
    return Replayed(
        np.asarray(walk.chosen, dtype=np.int64), ids, np.asarray(walk.issued, dtype=np.int64),
        np.asarray(walk.masks, dtype=np.int64), attempts,
    )


class _Walk:
    """The per-member walk of `_replay`: plain lists read once, one member at a time."""

    def __init__(
        self, cp: CouponPlan, batch: Batch, runs: list[_TemplateRun], *, goods0: Any,
        cost0: Any, cost: list[Any], refused: frozenset[str],
    ) -> None:
        n = batch.orders
        codes, uniques = pd.factorize(pd.Series(batch.member_id, dtype=object))
        codes = np.asarray(codes, dtype=np.int64)
        by_member = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=len(uniques))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        first_of = np.zeros(n, dtype=bool)
        first_of[by_member[starts[counts > 0]]] = True
        prev = np.full(n, -1, dtype=np.int64)
        same = codes[by_member[1:]] == codes[by_member[:-1]]
        prev[by_member[1:][same]] = by_member[:-1][same]
        joined = np.array([j if j is not None else -1 for j in batch.joined_ns], dtype=np.int64)
        known = np.array([j is not None for j in batch.joined_ns], dtype=bool)
        paid_ns = batch.paid_ns
        # Which members can hold a coupon at all: a first order after joining, a
        # repurchase within its window, or goods paid above an after-payment minimum
        # (a coupon never raises what an order pays). The others keep empty wallets.
        before = np.zeros(n, dtype=bool)
        self.bounds: dict[str, tuple[list[int], list[int]]] = {}
        for kind, tid, after_days, window_days, _ in cp.before:
            if kind == "join":
                before |= first_of & known & (joined <= paid_ns)
            else:
                lo_, hi_ = _repurchase_bounds(batch, prev, after_days, window_days)
                self.bounds[tid] = (lo_.tolist(), hi_.tolist())
                before |= (prev >= 0) & (lo_ <= paid_ns) & (paid_ns < hi_)
        after = np.zeros(n, dtype=bool)
        for _tid, min_paid, _ in cp.after:
            after |= goods0 >= min_paid
        may = before | after
        # Orders where a trigger may issue at all (the walk looks closer only there).
        self.before_may, self.after_may = before.tolist(), after.tolist()
        self.active: list[int] = np.unique(codes[may]).tolist()
        self.chosen = [-1] * n
        self.ids: list[str | None] = [None] * n
        self.issued = [0] * n
        self.masks = [0] * n
        self.attempts: dict[int, list[tuple[tuple[Any, ...], str, str]]] = {}
        if not self.active:
            return
        # Windows of coupons claimed at each payment, and at each first order's join.
        at_paid = [_validity(t, paid_ns) for t in cp.templates]
        at_join = [_validity(t, np.where(known & first_of, joined, paid_ns)) for t in cp.templates]
        self.at_paid = ([s.tolist() for s, _ in at_paid], [e.tolist() for _, e in at_paid])
        self.at_join = ([s.tolist() for s, _ in at_join], [e.tolist() for _, e in at_join])
        self.skip = [(r.skip + len(_STACKING)).tolist() for r in runs]
        self.solo = [r.solo.tolist() for r in runs]
        self.costs = [c.tolist() for c in cost]
        self.goods = [(goods0 - r.solo).tolist() for r in runs]
        self.cost0, self.goods0 = cost0.tolist(), goods0.tolist()
        self.paid, self.joined, self.known = paid_ns.tolist(), joined.tolist(), known.tolist()
        self.paid_text = batch.paid_at.tolist()
        self.order_ids = batch.order_id.tolist()
        self.member_ids = batch.member_id.tolist()
        self.limits = [t.per_member_limit for t in cp.templates]
        self.sold = [t.sale_price is not None and t.sale_price.minor > 0 for t in cp.templates]
        self.quota = [t.total_quota is not None for t in cp.templates]
        self.tids = [t.id for t in cp.templates]
        self.full = _full_refunds(batch)
        self.refused = refused
        self.cp = cp
        self.by_member = by_member.tolist()
        self.starts, self.counts = starts.tolist(), counts.tolist()
        self.may, self.prev = may.tolist(), prev.tolist()
        # The reason a candidate left out gets, by how many coupons the order uses (0 or 1).
        self.left_out = [
            1 << 1 if taken >= cp.group_limit
            else 1 << 2 if cp.max_coupons is not None and taken >= cp.max_coupons
            else 1 << 3
            for taken in (0, 1)
        ]

    def member(self, m: int) -> None:
        """Walk member ``m``'s orders from the first that could issue a coupon."""
        positions = self.by_member[self.starts[m] : self.starts[m] + self.counts[m]]
        k = 0
        while not self.may[positions[k]]:  # before it, the wallet stays empty
            k += 1
        last = self.prev[positions[k]]
        # A coupon: [id, template, start, end, available (not used)].
        wallet: list[list[Any]] = []
        claimed = [0] * len(self.tids)
        returns: list[tuple[int, list[Any]]] = []
        paid, goods, goods0, full = self.paid, self.goods, self.goods0, self.full
        before_may, after_may, issued = self.before_may, self.after_may, self.issued
        for o in positions[k:]:
            now = paid[o]
            if returns:
                for r in returns:
                    if r[0] < now:  # a refund at the payment's instant comes after it
                        r[1][4] = True
                returns = [r for r in returns if r[0] >= now]
            got = self._before(o, last, now, wallet, claimed) if before_may[o] else 0
            pick = -1
            if wallet:
                wallet = [c for c in wallet if c[3] > now]  # past its end, never back
                pick, coupon = self._choose(o, now, wallet)
                if coupon is not None and full[o] >= 0:
                    returns.append((full[o], coupon))
            if after_may[o]:
                paid_goods = goods[pick][o] if pick >= 0 else goods0[o]
                got += self._after(o, now, paid_goods, wallet, claimed)
            issued[o] = got
            last = o

    def _before(
        self, o: int, last: int, now: int, wallet: list[list[Any]], claimed: list[int]
    ) -> int:
        """Claims the triggers make before order ``o``: the gift pack, a repurchase coupon."""
        got = 0
        for phase, (kind, trig_id, _a, _w, temps) in enumerate(self.cp.before):
            if kind == "join":
                if last >= 0 or not self.known[o] or self.joined[o] > now:
                    continue
                key, at = f"{trig_id}:{self.member_ids[o]}", self.joined[o]
                bounds = self.at_join
            else:
                lo_b, hi_b = self.bounds[trig_id]
                if last < 0 or not lo_b[o] <= now < hi_b[o]:
                    continue
                key, at = f"{trig_id}:{self.member_ids[o]}:{self.paid_text[last]}", now
                bounds = self.at_paid
            got += self._claim(
                o, (0, phase), key, at=at, temps=temps, bounds=bounds, wallet=wallet,
                claimed=claimed,
            )
        return got

    def _after(
        self, o: int, now: int, paid_goods: int, wallet: list[list[Any]], claimed: list[int]
    ) -> int:
        """Claims the after-payment gifts make on the goods order ``o`` paid."""
        got = 0
        for phase, (trig_id, min_paid, temps) in enumerate(self.cp.after):
            if paid_goods >= min_paid:
                key = f"{trig_id}:{self.order_ids[o]}"
                got += self._claim(
                    o, (1, phase), key, at=now, temps=temps, bounds=self.at_paid, wallet=wallet,
                    claimed=claimed,
                )
        return got

    def _claim(
        self, o: int, phase: tuple[int, int], key: str, *, at: int, temps: tuple[int, ...],
        bounds: tuple[list[list[int]], list[list[int]]], wallet: list[list[Any]],
        claimed: list[int],
    ) -> int:
        """`IssueDecision.claims` into the wallet (`Wallet.claim_refusal`, then the quota)."""
        got = 0
        starts, ends = bounds
        for i, t in enumerate(temps):
            lim = self.limits[t]
            if (lim is not None and claimed[t] >= lim) or self.sold[t] or ends[t][o] <= at:
                continue
            cid = f"{key}:{i}:{self.tids[t]}"
            if self.quota[t]:
                # In the exact replay's order: the payment, its order id, then this claim.
                key_ = (self.paid[o], self.order_ids[o], *phase, i)
                self.attempts.setdefault(o, []).append((key_, cid, self.tids[t]))
                if cid in self.refused:
                    continue
            claimed[t] += 1
            wallet.append([cid, t, starts[t][o], ends[t][o], True])
            got += 1
        return got

    def _choose(self, o: int, now: int, wallet: list[list[Any]]) -> tuple[int, list[Any] | None]:
        """The checkout's coupon for order ``o`` from the wallet (`FenSearch`), and its reasons."""
        reps: dict[int, list[Any]] = {}
        held: dict[int, int] = {}
        for c in wallet:
            if c[4] and c[2] <= now:
                t = c[1]
                rep = reps.get(t)
                if rep is None:
                    reps[t] = c
                    held[t] = 1
                else:  # one per template: the one expiring first, then by id
                    held[t] += 1
                    if (c[3], c[0]) < (rep[3], rep[0]):
                        reps[t] = c
        if not reps:
            return -1, None
        mask = 0
        cands = []
        for t, c in reps.items():
            s = self.solo[t][o]
            if s > 0:
                cands.append((self.costs[t][o], self.goods[t][o], -s, c[3], c[0], t))
            else:
                mask |= 1 << self.skip[t][o]
        pick = -1
        if cands and self.cp.limit:
            # The first by saving, expiry, id among the cheapest (cost, goods); no coupon last.
            best = min(cands)
            if best[:2] <= (self.cost0[o], self.goods0[o]):
                pick = best[5]
        if len(cands) > (pick >= 0):
            mask |= self.left_out[pick >= 0]
        coupon = None
        if pick >= 0:
            coupon = reps[pick]
            coupon[4] = False
            self.chosen[o] = pick
            self.ids[o] = coupon[0]
            if held[pick] > 1:
                mask |= 1  # stacking.same_template
        self.masks[o] = mask
        return pick, coupon


def quota_refusals(
    attempts: Iterable[tuple[tuple[Any, ...], str, str]], quotas: Mapping[str, int]
) -> frozenset[str]:
    """The claims a template's total quota refuses: every one past the quota, first come first.

    ``attempts`` are (processing key, coupon id, template id) from every
    member; in the replay's order (the key: payment instant, order id, then
    the claim's place in that order) the first ``quotas[template]`` claims
    are issued, as `claim_coupon` issues them, and the rest refused.
    """
    left = dict(quotas)
    out = set()
    for _key, cid, tid in sorted(attempts, key=lambda a: a[0]):
        if left[tid] > 0:
            left[tid] -= 1
        else:
            out.add(cid)
    return frozenset(out)


def quotas_of(templates: Iterable[Any]) -> dict[str, int]:
    """Each template's total quota, by id (templates without one left out)."""
    return {t.id: t.total_quota for t in templates if t.total_quota is not None}


def _full_refunds(batch: Batch) -> list[int]:
    """Per order, the instant its last unit was refunded (-1 if not every unit was).

    The checkout's refund gives the coupons back with the refund that
    returns the last unit (`CouponReturn.FULL_REFUND`).
    """
    n, lo = batch.orders, batch.line_order
    short = np.bincount(lo, weights=batch.quantity - batch.refund_qty, minlength=n) > 0
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, lo, batch.refund_ns)
    return np.where(short, -1, last).tolist()  # type: ignore[no-any-return]
