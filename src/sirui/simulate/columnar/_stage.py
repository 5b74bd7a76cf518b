"""The promotion stage as columns: one promotion's gate and kernel, and stacking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from sirui.checkout.stacking import (
    EXCLUDED_BY_EXCLUSIVE,
    EXCLUDED_BY_GROUP,
    EXCLUSIVE_SAVES_LESS,
    StackingPolicy,
    stacking_options,
)
from sirui.core.money import Rounding
from sirui.promotions import (
    FullReduction,
    NewCustomerReduction,
    NthItemDiscount,
    PercentageDiscount,
    RepeatingReduction,
)
from sirui.promotions.base import NO_ELIGIBLE_LINES, NOTHING_OFF, OUTSIDE_WINDOW
from sirui.promotions.discounts import (
    BELOW_QUANTITY,
    BUNDLE_APPLIED,
    FREE_APPLIED,
    NTH_APPLIED,
    PERCENTAGE_APPLIED,
    BundlePrice,
    BuyNGetMFree,
)
from sirui.promotions.gifts import (
    GIFT_ADDED,
    GIFT_OUT_OF_STOCK,
    GIFT_PARTIAL,
    GiftWithPurchase,
)
from sirui.promotions.member import (
    LIMITED_TIME_APPLIED,
    MEMBER_PRICE_APPLIED,
    NEW_CUSTOMER_APPLIED,
    NO_MEMBER_PRICE,
    LimitedTimePrice,
    MemberPrice,
)
from sirui.promotions.reductions import BELOW_THRESHOLD, REDUCTION_APPLIED, REPEATING_APPLIED
from sirui.promotions.shipping import FREE_SHIPPING, NO_SHIPPING_FEE, FreeShippingOver
from sirui.rules.conditions import NOT_NEW, Always
from sirui.simulate.columnar._arith import (
    _allocate,
    _Codes,
    _ratio,
    _round_div,
    _starts,
    _times_checked,
    _within,
)
from sirui.simulate.columnar._batch import Batch
from sirui.simulate.columnar._conditions import _CODES, _evaluate, _Facts

_UnitKernel = NthItemDiscount | BuyNGetMFree | BundlePrice
_UNIT_KERNELS = (NthItemDiscount, BuyNGetMFree, BundlePrice)
_Kernel = (
    FullReduction | RepeatingReduction | PercentageDiscount | NewCustomerReduction | _UnitKernel
    | MemberPrice | LimitedTimePrice | GiftWithPurchase
)
#: The promotions the columnar engine prices (their exact classes).
_KERNELS = (
    FullReduction, RepeatingReduction, PercentageDiscount, NewCustomerReduction, *_UNIT_KERNELS,
    MemberPrice, LimitedTimePrice, GiftWithPurchase,
)


_CodesPair = tuple[_Codes, _Codes]
"""(rule ids, reason codes)."""


@attrs.frozen
class _Stage:
    """What every promotion of the stage reads besides the running line amounts."""

    batch: Batch
    tier: Any
    id_pos: Any
    """Each line's rank by line id within its order (allocation order)."""
    count: Any
    """Paid orders before each order (only when a rule reads it)."""


@attrs.frozen
class _Ran:
    """One promotion run over every order from given line amounts."""

    cur: Any
    """Line amounts after it."""
    total: Any
    """What it took off each order."""
    applied: Any
    skip: Any
    """Per order: the reason code it was skipped with, or ``""``."""
    code: str
    """Its reason code when applied."""
    codes: Any = None
    """Per order, when the applied reason varies (a gift given in part)."""
    gift: Any = None
    """Per order, the value of the gifts it gave (满赠; cost, else price)."""


def _gate(
    p: _Kernel | FreeShippingOver, cur: Any, ctx: _Stage, skip: Any, open_: Any
) -> tuple[Any, Any, Any]:
    """`sirui.promotions.gate` per order: window, eligible lines, condition.

    Returns (still open, eligible lines, their current subtotal); ``skip``
    receives the reason of every order it stops.
    """
    batch = ctx.batch
    n, lo = batch.orders, batch.line_order
    in_scope = np.array([p.scope.matches(s) for s in batch.skus], dtype=bool)
    if p.window is not None:
        inside = _within(p.window, batch.paid_ns)
        skip[open_ & ~inside] = OUTSIDE_WINDOW.code
        open_ = open_ & inside
    elig = in_scope[batch.line_sku] & (cur > 0) & open_[lo]
    has = np.bincount(lo, weights=elig, minlength=n) > 0
    skip[open_ & ~has] = NO_ELIGIBLE_LINES.code
    open_ = open_ & has
    base = np.bincount(lo, weights=np.where(elig, cur, 0), minlength=n).astype(np.int64)
    if not isinstance(p.condition, Always):
        ok, why = _evaluate(p.condition, _Facts(batch, ctx.tier, ctx.count, base, elig))
        failed = open_ & ~ok
        skip[failed] = np.array(_CODES, dtype=object)[why[failed]]
        open_ = open_ & ok
    return open_, elig, base


def _free_shipping(
    promos: Sequence[FreeShippingOver], cur: Any, fee: Any, ctx: _Stage, *,
    codes: _CodesPair | None,
) -> Any:
    """满额包邮 offers in stage order (`FreeShippingOver.price`): the fee each order still pays.

    ``codes`` receive the rules and reasons; None prices without recording
    (a coupon's trial leaf).
    """
    n = ctx.batch.orders
    left = fee.copy()
    for p in promos:
        skip = np.full(n, "", dtype=object)
        has_fee = left > 0
        skip[~has_fee] = NO_SHIPPING_FEE.code
        open_, _, base = _gate(p, cur, ctx, skip, has_fee)
        below = open_ & (base < p.threshold.minor)
        skip[below] = BELOW_THRESHOLD.code
        applied = open_ & ~below
        if codes is not None:
            ran = _Ran(cur, np.where(applied, left, 0), applied, skip, FREE_SHIPPING.code)
            _record(p, ran, np.ones(n, dtype=bool), *codes)
        left = np.where(applied, 0, left)
    return left


def _promote(p: _Kernel, cur: Any, ctx: _Stage) -> _Ran:
    """``p.price`` on every order: gate (window, eligible lines, condition), kernel, allocation."""
    batch = ctx.batch
    n, lo = batch.orders, batch.line_order
    skip = np.full(n, "", dtype=object)
    open_ = np.ones(n, dtype=bool)
    if isinstance(p, NewCustomerReduction):  # checked before the gate, on the member
        open_ = ctx.count == 0
        skip[~open_] = NOT_NEW.code
    open_, elig, base = _gate(p, cur, ctx, skip, open_)
    if isinstance(p, MemberPrice | LimitedTimePrice):
        return _by_targets(p, cur, ctx, open_=open_, elig=elig, skip=skip)
    if isinstance(p, GiftWithPurchase):
        return _gift(p, cur, base, open_=open_, skip=skip)
    if isinstance(p, _UNIT_KERNELS):
        return _by_units(p, cur, ctx, open_=open_, elig=elig, skip=skip)
    zero = BELOW_THRESHOLD.code
    if isinstance(p, NewCustomerReduction):
        off = np.full(n, p.off.minor, dtype=np.int64)
        code = NEW_CUSTOMER_APPLIED.code
    elif isinstance(p, FullReduction):
        off = np.zeros(n, dtype=np.int64)
        for step in p.tiers:
            off = np.where(base >= step.threshold.minor, step.off.minor, off)
        code = REDUCTION_APPLIED.code
    elif isinstance(p, RepeatingReduction):
        off = (base // p.every.minor) * p.off.minor
        if p.cap is not None:
            off = np.minimum(off, p.cap.minor)
        code = REPEATING_APPLIED.code
    else:  # PercentageDiscount: the base at the rate, rounded half up, capped
        num_r, den_r = _ratio(p.rate)
        off = base - _round_div(_times_checked(base, np.array([num_r])), den_r, Rounding.HALF_UP)
        if p.cap is not None:
            off = np.minimum(off, p.cap.minor)
        code, zero = PERCENTAGE_APPLIED.code, NOTHING_OFF.code
    applied = open_ & (off > 0)
    skip[open_ & (off == 0)] = zero
    total = np.where(applied, np.minimum(off, base), 0)
    weights = np.where(elig & applied[lo], cur, 0)
    share = _allocate(total, weights, lo, ctx.id_pos, n)
    return _Ran(cur - share, total, applied, skip, code)


def _by_units(p: _UnitKernel, cur: Any, ctx: _Stage, *, open_: Any, elig: Any, skip: Any) -> _Ran:
    """第N件X折, 买N送M and N元任选 as the promotions price them: by units.

    Each eligible line is cut into units (its current amount split with the
    first ``amount mod quantity`` units a fen dearer). Units are grouped per
    order (and per SKU id with ``per_sku``) and ranked dearest first, then by
    line id and unit position. 第N件X折 takes every n-th unit at ``1 - rate``
    of its value and 买N送M the units past ``buy`` in each set of
    ``buy + free``; the discount is that exact sum rounded half up, each line
    weighing its own part rounded half up (at least 1 fen). N元任选 bundles
    the dearest ``n`` units per set (up to ``max_bundles``) for the bundle
    price; each bundled line weighs its bundled value. The discount is
    allocated by those weights, a line never below zero.
    """
    batch = ctx.batch
    n, lo = batch.orders, batch.line_order
    qty = batch.quantity
    lines = np.flatnonzero(elig)
    per = qty[lines]
    unit_line = np.repeat(lines, per)
    position = np.arange(len(unit_line)) - np.repeat(_starts(per), per)
    value = cur[unit_line] // qty[unit_line] + (position < cur[unit_line] % qty[unit_line])
    unit_order = lo[unit_line]
    if getattr(p, "per_sku", False):
        sku_ids = pd.factorize(pd.Series([s.id for s in batch.skus], dtype=object))[0]
        group = np.unique(
            unit_order * (len(batch.skus) + 1) + np.asarray(sku_ids)[batch.line_sku[unit_line]],
            return_inverse=True,
        )[1].reshape(-1)
    else:
        group = unit_order
    rank_order = np.lexsort((position, ctx.id_pos[unit_line], -value, group))
    sizes = np.bincount(group) if len(group) else np.zeros(0, dtype=np.int64)
    rank = np.empty(len(group), dtype=np.int64)
    rank[rank_order] = np.arange(len(group)) - np.repeat(_starts(sizes), sizes)
    nl = len(lo)
    if isinstance(p, BundlePrice):
        units = np.bincount(unit_order, minlength=n)
        bundles = units // p.n
        if p.max_bundles is not None:
            bundles = np.minimum(bundles, p.max_bundles)
        picked = rank < (bundles * p.n)[unit_order]
        has_pick = bundles > 0
        picked_value = np.bincount(unit_line, weights=value * picked, minlength=nl).astype(np.int64)
        order_value = np.bincount(lo, weights=picked_value, minlength=n).astype(np.int64)
        bundle_price = _times_checked(bundles, np.array([p.price_per_bundle.minor]))
        off = np.maximum(order_value - bundle_price, 0)
        chosen = np.bincount(unit_line, weights=picked, minlength=nl) > 0
        weights = np.where(chosen, picked_value, 0)
        code = BUNDLE_APPLIED.code
    else:
        if isinstance(p, NthItemDiscount):
            picked = rank % p.n == p.n - 1
            num, den = _ratio(1 - p.rate)
            code = NTH_APPLIED.code
        else:
            picked = rank % (p.buy + p.free) >= p.buy
            num, den = 1, 1
            code = FREE_APPLIED.code
        has_pick = np.bincount(unit_order, weights=picked, minlength=n) > 0
        picked_value = np.bincount(unit_line, weights=value * picked, minlength=nl).astype(np.int64)
        order_value = np.bincount(lo, weights=picked_value, minlength=n).astype(np.int64)
        off = _round_div(_times_checked(order_value, np.array([num])), den, Rounding.HALF_UP)
        chosen = picked_value > 0
        part = _round_div(_times_checked(picked_value, np.array([num])), den, Rounding.HALF_UP)
        weights = np.where(chosen, np.maximum(part, 1), 0)
    skip[open_ & ~has_pick] = BELOW_QUANTITY.code
    live = open_ & has_pick
    skip[live & (off == 0)] = NOTHING_OFF.code
    applied = live & (off > 0)
    chosen &= applied[lo]
    weights = np.where(chosen, weights, 0)
    rooms = np.bincount(lo, weights=np.where(chosen, cur, 0), minlength=n).astype(np.int64)
    total = np.where(applied, np.minimum(off, rooms), 0)
    share = _allocate(total, weights, lo, ctx.id_pos, n)
    over = share > cur
    if over.any():  # explicit weights may ask more of a line than it has: see allocate_off
        share = _move_excess(share, cur, chosen, ctx, np.unique(lo[over]))
    return _Ran(cur - share, total, applied, skip, code)


def _gift(p: GiftWithPurchase, cur: Any, base: Any, *, open_: Any, skip: Any) -> _Ran:
    """满赠 as it prices: gift units earned by the eligible subtotal, up to the stock.

    The stock is the configured one for every order (the simulation does not
    carry gift stock between orders, as the exact engine does not); the gift
    saves nothing, so it records a zero adjustment, and its value (cost, else
    price) goes to ``gift_value_fen``.
    """
    n = len(base)
    threshold = p.threshold.minor
    sets = np.where(base >= threshold, base // threshold if p.repeat else 1, 0)
    if p.max_sets is not None:
        sets = np.minimum(sets, p.max_sets)
    earned = _times_checked(sets, np.array([p.quantity]))
    skip[open_ & (earned == 0)] = BELOW_THRESHOLD.code
    give = earned if p.stock is None else np.minimum(earned, p.stock)
    skip[open_ & (earned > 0) & (give <= 0)] = GIFT_OUT_OF_STOCK.code
    applied = open_ & (give > 0)
    codes = np.where(give < earned, GIFT_PARTIAL.code, GIFT_ADDED.code).astype(object)
    each = (p.gift.cost or p.gift.price).minor
    gift = np.where(applied, _times_checked(give, np.array([each])), 0)
    zero = np.zeros(n, dtype=np.int64)
    return _Ran(cur, zero, applied, skip, GIFT_ADDED.code, codes=codes, gift=gift)


def _by_targets(
    p: MemberPrice | LimitedTimePrice, cur: Any, ctx: _Stage, *, open_: Any, elig: Any, skip: Any
) -> _Ran:
    """会员价 and 限时价 as they price: each eligible line down to its target amount.

    `MemberPrice`: the tier's special unit price times the quantity, else the
    tier's rate on the line (half up). `LimitedTimePrice`: the special price
    for up to ``limit_per_order`` units, the other units keeping their
    largest-remainder share of the line. A line already at or below its
    target is left alone; the discount is what the lines come down.
    """
    batch = ctx.batch
    n, lo, qty = batch.orders, batch.line_order, batch.quantity
    sku_ids = [s.id for s in batch.skus]
    target = np.full(len(lo), -1, dtype=np.int64)
    if isinstance(p, MemberPrice):
        per_order, tiers = pd.factorize(pd.Series(ctx.tier, dtype=object), use_na_sentinel=False)
        line_tier = np.asarray(per_order, dtype=np.int64)[lo]
        for t, name in enumerate(tiers.tolist()):
            tier = None if pd.isna(name) else name
            unit = {sp.sku: sp.price.minor for sp in p.prices if sp.tier == tier}
            rate = next((r.rate for r in p.rates if r.tier == tier), None)
            special = np.array([unit.get(i, -1) for i in sku_ids], dtype=np.int64)[batch.line_sku]
            at = line_tier == t
            has = at & (special >= 0)
            target = np.where(has, _times_checked(special, qty), target)
            if rate is not None:
                num, den = _ratio(rate)
                by_rate = _round_div(_times_checked(cur, np.array([num])), den, Rounding.HALF_UP)
                target = np.where(at & ~has, by_rate, target)
        code, zero = MEMBER_PRICE_APPLIED.code, NO_MEMBER_PRICE.code
    else:
        unit = {sp.sku: sp.price.minor for sp in p.prices}
        special = np.array([unit.get(i, -1) for i in sku_ids], dtype=np.int64)[batch.line_sku]
        units = qty if p.limit_per_order is None else np.minimum(qty, p.limit_per_order)
        # The units past the limit keep their share: allocate_int(cur, [units, rest]).
        others = qty - units
        low = _times_checked(cur, others) // qty
        first_rem = _times_checked(cur, units) % qty
        other_rem = _times_checked(cur, others) % qty
        left = cur - _times_checked(cur, units) // qty - low
        rest = low + ((left > 0) & (other_rem > first_rem))
        target = np.where(special >= 0, _times_checked(special, units) + rest, -1)
        code, zero = LIMITED_TIME_APPLIED.code, NOTHING_OFF.code
    weights = np.where(elig & (target >= 0) & (target < cur), cur - target, 0)
    total = np.bincount(lo, weights=weights, minlength=n).astype(np.int64)
    skip[open_ & (total == 0)] = zero
    applied = open_ & (total > 0)
    share = np.where(applied[lo], weights, 0)
    return _Ran(cur - share, np.where(applied, total, 0), applied, skip, code)


def _move_excess(share: Any, cur: Any, chosen: Any, ctx: _Stage, orders: Any) -> Any:
    """`allocate_off`'s second step, for the few orders that need it: cap, then fill in id order."""
    share = share.copy()
    lo, id_pos = ctx.batch.line_order, ctx.id_pos
    for o in orders.tolist():
        idx = np.flatnonzero((lo == o) & chosen)
        idx = idx[np.argsort(id_pos[idx], kind="stable")]
        excess = int(np.maximum(share[idx] - cur[idx], 0).sum())
        share[idx] = np.minimum(share[idx], cur[idx])
        for i in idx.tolist():
            take = min(int(cur[i] - share[i]), excess)
            share[i] += take
            excess -= take
    return share


def _record(
    p: _Kernel | FreeShippingOver, ran: _Ran, where: Any, rules: _Codes, reasons: _Codes
) -> None:
    """What ``ran`` adds to the quotes of the orders in ``where``: its rule or its skip."""
    rules.add(p.id, ran.applied & where)
    if ran.codes is None:
        reasons.add(ran.code, ran.applied & where)
    else:
        for code in set(ran.codes[ran.applied & where].tolist()):
            reasons.add(code, ran.applied & where & (ran.codes == code))
    for code in set(ran.skip[where].tolist()) - {""}:
        reasons.add(code, where & (ran.skip == code))


def _run_stage(
    promos: Sequence[_Kernel], stacking: StackingPolicy, ctx: _Stage, cur: Any, *,
    codes: _CodesPair, blocked: Any = None,
) -> tuple[Any, Any, Any]:
    """One stage's promotions as the checkout's `Plan` runs them: in order, or the best option.

    Without exclusion groups or exclusive promotions every promotion runs in
    turn. Otherwise each option (every choice of at most one promotion per
    group with the free ones, then each exclusive promotion alone) runs from
    the same amounts, each order takes the option that saves most (ties to the
    earlier option), and the promotions left out say why: their own skip in
    the best option that held them, or the stacking reason.

    ``blocked`` (a line mask, changed in place) receives the lines that a
    promotion not stacking with coupons discounted: the coupon stage skips them.
    """
    st = stacking
    rules, reasons = codes
    n, lo = ctx.batch.orders, ctx.batch.line_order
    everywhere = np.ones(n, dtype=bool)
    found = stacking_options(promos, st)
    if found is None:
        off = np.zeros(n, dtype=np.int64)
        gifts = np.zeros(n, dtype=np.int64)
        for p in promos:
            ran = _promote(p, cur, ctx)
            _record(p, ran, everywhere, rules, reasons)
            if blocked is not None and not p.stacks_with_coupons:
                blocked |= ran.cur < cur
            cur, off = ran.cur, off + ran.total
            if ran.gift is not None:
                gifts = gifts + ran.gift
        return cur, off, gifts
    options, exclusive = found.options, found.exclusive
    runs: list[tuple[Any, dict[str, _Ran], Any]] = []
    savings = np.zeros((len(options), n), dtype=np.int64)
    given = np.zeros((len(options), n), dtype=np.int64)
    for k, opt in enumerate(options):
        c, ran_by = cur, {}
        closed = np.zeros(len(lo), dtype=bool)
        for p in opt:
            ran_by[p.id] = ran = _promote(p, c, ctx)
            if not p.stacks_with_coupons:
                closed |= ran.cur < c
            c = ran.cur
            savings[k] += ran.total
            if ran.gift is not None:
                given[k] += ran.gift
        runs.append((c, ran_by, closed))
    best = np.argmax(savings, axis=0)  # the first of equal savings, as (saving, -i) picks
    new_cur = cur
    for k, (c, ran_by, closed) in enumerate(runs):
        chosen = best == k
        new_cur = np.where(chosen[lo], c, new_cur)
        if blocked is not None:
            blocked |= closed & chosen[lo]
        for p in options[k]:
            _record(p, ran_by[p.id], chosen, rules, reasons)
    chosen_exclusive = best >= found.shared
    for p in promos:
        holding = [k for k, opt in enumerate(options) if p in opt]
        own = np.asarray(holding)[np.argmax(savings[holding], axis=0)]
        left_out = ~np.isin(best, holding)
        own_applied = np.zeros(n, dtype=bool)
        own_skip = np.full(n, "", dtype=object)
        for k in holding:
            at = own == k
            own_applied[at] = runs[k][1][p.id].applied[at]
            own_skip[at] = runs[k][1][p.id].skip[at]
        for code in set(own_skip[left_out & ~own_applied].tolist()) - {""}:
            reasons.add(code, left_out & ~own_applied & (own_skip == code))
        beaten = left_out & own_applied
        other = EXCLUSIVE_SAVES_LESS.code if p in exclusive else EXCLUDED_BY_GROUP.code
        reasons.add(EXCLUDED_BY_EXCLUSIVE.code, beaten & chosen_exclusive)
        reasons.add(other, beaten & ~chosen_exclusive)
    return new_cur, savings[best, np.arange(n)], given[best, np.arange(n)]
