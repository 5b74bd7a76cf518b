"""Pricing a batch: member prices, promotions, shipping, points, commission, refunds, ladders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd

from sirui.commission import AttributionPolicy, ExcludedItems, FixedPerItem, RateRule
from sirui.core.money import Rounding
from sirui.loyalty.members import MemberFacts, benefits_for
from sirui.loyalty.members.price import MEMBER_PRICE, NO_MEMBER_PRICE
from sirui.promotions import NewCustomerReduction
from sirui.rules.conditions import NewCustomer
from sirui.simulate.columnar._arith import (
    _FLOAT_EXACT,
    _allocate,
    _Codes,
    _cumcount,
    _months,
    _positions,
    _ratio,
    _round_div,
    _starts,
    _times_checked,
    _units_back,
)
from sirui.simulate.columnar._batch import _NS, Batch, _at, _ns, _take
from sirui.simulate.columnar._campaigns import campaign_prices
from sirui.simulate.columnar._conditions import _reads
from sirui.simulate.columnar._coupons import coupon_stage, quota_refusals, quotas_of
from sirui.simulate.columnar._plan import ColumnarPlan
from sirui.simulate.columnar._stage import _free_shipping, _run_stage, _Stage
from sirui.simulate.engine import ROW_COLUMNS


@attrs.frozen
class _Priced:
    """Per-order figures of one pricing pass (arrays over the batch's orders)."""

    original: Any
    gift_value: Any
    """Gifts given (满赠), at cost where known, else price."""
    activity_off: Any
    member_off: Any
    promo_off: Any
    paid: Any
    """Goods paid."""
    shipping: Any
    """The shipping fee paid."""
    points: Any
    """Points earned before refunds."""
    commission: Any
    """Commission earned before refunds."""
    refund: Any
    points_back: Any
    commission_back: Any
    line_refund: Any
    """Goods refunded per line (each line's refund is one refund event)."""
    rules: Any
    reasons: Any
    coupon_off: Any
    coupons_used: Any
    coupons_issued: Any
    quota_claims: Any
    """Per order, its claims of coupons with a total quota (or None), for `quota_refusals`."""


def _price(
    plan: ColumnarPlan, batch: Batch, tier: Any, refused: frozenset[str] = frozenset()
) -> _Priced:
    """Price every order with the member's tier in ``tier`` (one per order).

    ``refused``: coupon claims a template's total quota refuses.
    """
    sc = plan.scenario
    n = batch.orders
    lo = batch.line_order
    amount = _times_checked(batch.unit_price, batch.quantity)
    if n and np.bincount(lo, weights=amount, minlength=n).max() >= _FLOAT_EXACT:
        # Per-order sums go through float64 bincounts: exact below 2**53 fen.
        raise OverflowError("order totals too large for the columnar engine")
    cur = amount.copy()
    rules = _Codes(n)
    reasons = _Codes(n)
    ctx = _Stage(batch, tier, _positions(lo, batch.line_id), None)
    cp = plan.coupons
    every = (
        *plan.activity, *plan.member, *plan.promotions, *plan.free_shipping,
        *(cp.templates if cp is not None else ()),
    )
    if any(isinstance(p, NewCustomerReduction) or _reads(p.condition, NewCustomer) for p in every):
        ctx = attrs.evolve(ctx, count=batch.paid_before + _cumcount(batch.member_id))
    st = sc.stacking
    closed = np.zeros(len(lo), dtype=bool) if cp is not None else None
    # (campaign prices close lines to coupons too: `closed` is only read by coupons)
    codes = (rules, reasons)
    before_activity = cur
    cur, activity_off, gifts = _run_stage(plan.activity, st, ctx, cur, codes=codes, blocked=closed)
    if batch.campaign_ref is not None:  # seckill and group seats, after the activity promotions
        cur, campaign_off = campaign_prices(
            batch, cur, ctx.id_pos, priced=cur < before_activity, closed=closed, codes=codes
        )
        activity_off = activity_off + campaign_off
    cur, member_off, more = _run_stage(plan.member, st, ctx, cur, codes=codes, blocked=closed)
    gifts = gifts + more
    cur, step_off, mult, tier_codes = _member_step(plan, batch, tier, cur, (rules, reasons))
    member_off = member_off + step_off
    before_promotions = cur
    cur, promo_off, more = _run_stage(plan.promotions, st, ctx, cur, codes=codes, blocked=closed)
    gifts = gifts + more
    zeros = np.zeros(n, dtype=np.int64)
    coupon_off, coupons_used, coupons_issued, coupon_ids = zeros, zeros, zeros, None
    claims = np.full(n, None, dtype=object)
    if cp is not None:

        def pays_shipping(c: Any) -> Any:
            goods = np.bincount(lo, weights=c, minlength=n).astype(np.int64)
            fee = _shipping(plan, batch, tier, goods)
            return _free_shipping(plan.free_shipping, c, fee, ctx, codes=None)

        done = coupon_stage(
            cp, ctx, cur, closed=closed, touched=cur < before_promotions,
            shipping=pays_shipping, codes=codes, refused=refused,
        )
        cur, coupon_off, coupons_used = done.cur, done.off, done.used
        coupons_issued, coupon_ids = done.issued, done.coupon_ids
        if done.attempts is not None:
            claims = done.attempts
    original = np.bincount(lo, weights=amount, minlength=n).astype(np.int64)
    paid = np.bincount(lo, weights=cur, minlength=n).astype(np.int64)
    fee = _shipping(plan, batch, tier, paid)
    shipping = _free_shipping(plan.free_shipping, cur, fee, ctx, codes=(rules, reasons))
    points, line_points = _points(plan, batch, cur, mult, tier_codes)
    commission_lines = _commission(plan, batch, cur)
    commission = np.bincount(lo, weights=commission_lines, minlength=n).astype(np.int64)
    # Refunds: each line's returned units carry their share of what it paid,
    # its points and its commission; the shipping comes back with the last unit.
    rq, qty = batch.refund_qty, batch.quantity

    def back(per_line: Any) -> Any:
        return np.bincount(lo, weights=_units_back(per_line, rq, qty), minlength=n).astype(
            np.int64
        )

    back_fen = _units_back(cur, rq, qty)
    kept = np.bincount(lo, weights=qty - rq, minlength=n)
    refund = back(cur) + np.where(kept == 0, shipping, 0)
    points_back, commission_back = back(line_points), back(commission_lines)
    return _Priced(
        original=original,
        gift_value=gifts,
        activity_off=activity_off,
        member_off=member_off,
        promo_off=promo_off,
        paid=paid,
        shipping=shipping,
        commission=commission,
        commission_back=commission_back,
        points=points,
        refund=refund,
        points_back=points_back,
        line_refund=back_fen,
        rules=_with_coupons(rules.text(), coupon_ids),
        reasons=reasons.text(),
        coupon_off=coupon_off,
        coupons_used=coupons_used,
        coupons_issued=coupons_issued,
        quota_claims=claims,
    )


def _with_coupons(text: Any, coupon_ids: Any) -> Any:
    """Each order's rules with the id of the coupon it used (a coupon's rule is its id)."""
    if coupon_ids is None:
        return text
    out = text.copy()
    for i in np.flatnonzero([c is not None for c in coupon_ids]).tolist():
        base = out[i]
        out[i] = ";".join(sorted([*(base.split(";") if base else ()), coupon_ids[i]]))
    return out


def _member_step(
    plan: ColumnarPlan, batch: Batch, tier: Any, cur: Any, codes: tuple[_Codes, _Codes]
) -> tuple[Any, Any, list[Decimal], Any]:
    """The tier benefits' member price (`MemberPriceStep`): each line at its SKU's rate.

    Returns the line amounts after it, what it took off each order, each
    tier's points multiplier and each order's tier code (for `_points`).
    """
    sc = plan.scenario
    n, lo = batch.orders, batch.line_order
    rules, reasons = codes
    tier_codes, tier_values = pd.factorize(pd.Series(tier, dtype=object), use_na_sentinel=False)
    tier_codes = np.asarray(tier_codes, dtype=np.int64)
    mult_by_tier = [Decimal(1)] * len(tier_values)
    if sc.benefits is None:
        return cur, np.zeros(n, dtype=np.int64), mult_by_tier, tier_codes
    num = np.ones((len(tier_values), len(batch.skus)), dtype=np.int64)
    den = np.ones_like(num)
    for t, code in enumerate(tier_values):
        facts = MemberFacts("-", tier=None if pd.isna(code) else code)
        ben = benefits_for(sc.benefits, facts, _at(0))
        mult_by_tier[t] = ben.points_multiplier
        for s, sku in enumerate(batch.skus):
            rate = ben.rate_for(sku)
            if rate is not None and rate < 1:
                num[t, s], den[t, s] = _ratio(rate)
    line_tier = tier_codes[lo]
    ln_num = num[line_tier, batch.line_sku]
    ln_den = den[line_tier, batch.line_sku]
    member_price = _round_div(_times_checked(cur, ln_num), ln_den, Rounding.HALF_UP)
    off = cur - member_price
    got = np.bincount(lo, weights=off > 0, minlength=n) > 0
    rules.add("member_price", got)
    reasons.add(MEMBER_PRICE.code, got)
    reasons.add(NO_MEMBER_PRICE.code, ~got)
    taken = np.bincount(lo, weights=off, minlength=n).astype(np.int64)
    return member_price, taken, mult_by_tier, tier_codes


def _points(
    plan: ColumnarPlan, batch: Batch, cur: Any, mult_by_tier: list[Decimal], tier_codes: Any
) -> tuple[Any, Any]:
    """`quote_earning` per order (before refunds), and its allocation to lines in cart order."""
    rule = plan.scenario.points
    n, nl, lo = batch.orders, len(batch.line_order), batch.line_order
    if rule is None:
        return np.zeros(n, dtype=np.int64), np.zeros(nl, dtype=np.int64)
    earns = np.array([rule.scope.matches(s) for s in batch.skus], dtype=bool)[batch.line_sku]
    earns &= cur > 0
    base = np.bincount(lo, weights=np.where(earns, cur, 0), minlength=n).astype(np.int64)
    if rule.campaigns:
        mults = [
            rule.multiplier(_at(ns), mult_by_tier[t])
            for ns, t in zip(batch.paid_ns.tolist(), tier_codes.tolist())
        ]
        pairs = [_ratio(m * rule.points_per_yuan) for m in mults]
        p_num = np.array([a for a, _ in pairs], dtype=np.int64)
        p_den = np.array([b for _, b in pairs], dtype=np.int64) * 100
    else:
        by_tier = [_ratio(rule.multiplier(_at(0), m) * rule.points_per_yuan) for m in mult_by_tier]
        p_num = np.array([a for a, _ in by_tier], dtype=np.int64)[tier_codes]
        p_den = np.array([b for _, b in by_tier], dtype=np.int64)[tier_codes] * 100
    _times_checked(p_den, np.array([2]))
    points = _round_div(_times_checked(base, p_num), p_den, rule.rounding)
    for cap in (rule.per_order_cap, rule.daily_cap):
        if cap is not None:
            points = np.minimum(points, cap)
    per_order = np.bincount(lo, minlength=n)
    cart_pos = np.arange(nl) - np.repeat(_starts(per_order), per_order)
    return points, _allocate(points, np.where(earns, cur, 0), lo, cart_pos, n)


def _attributed(policy: AttributionPolicy, batch: Batch) -> Any:
    """Per order: whether `AttributionPolicy.attribute` names a guide (no guide table)."""
    share = np.array([s is not None for s in batch.share_by], dtype=bool)
    end = batch.placed_ns + policy.share_window_days * 86_400 * _NS
    zoned = np.flatnonzero(np.array([z is not None for z in batch.placed_at], dtype=bool))
    for i in zoned.tolist():  # a day on a named zone's calendar may not be 24 hours
        end[i] = _ns(batch.placed_at[i].add(days=policy.share_window_days))
    link = share & (batch.placed_ns <= batch.paid_ns) & (batch.paid_ns <= end)
    exclusive = np.array(
        [m is not None or g is not None for m, g in zip(batch.member_guide, batch.guide)],
        dtype=bool,
    )
    # Either precedence names a guide when a link or an exclusive guide exists; which
    # guide it is does not change the amount (commission rules do not read the payee).
    return link | exclusive


def _commission(plan: ColumnarPlan, batch: Batch, paid: Any) -> Any:
    """The guide's commission per line: the first rule covering the SKU, on what it paid."""
    commission_plan = plan.scenario.commission
    n_lines = len(batch.line_order)
    if commission_plan is None:
        return np.zeros(n_lines, dtype=np.int64)
    first = [commission_plan.rule_for(s) for s in batch.skus]
    out = np.zeros(n_lines, dtype=np.int64)
    rules = commission_plan.rules
    which = np.array([rules.index(r) if r is not None else -1 for r in first], dtype=np.int64)
    line_rule = which[batch.line_sku]
    for k, rule in enumerate(rules):
        at = line_rule == k
        if not at.any() or isinstance(rule, ExcludedItems):
            continue
        if isinstance(rule, RateRule):
            num, den = _ratio(rule.rate)
            amount = _round_div(_times_checked(paid, np.array([num])), den, Rounding.HALF_UP)
        else:
            assert isinstance(rule, FixedPerItem)
            amount = np.minimum(_times_checked(batch.quantity, np.array([rule.each.minor])), paid)
        out = np.where(at, amount, out)
    guided = _attributed(plan.scenario.attribution, batch)
    return np.where(guided[batch.line_order], out, 0)


def _shipping(plan: ColumnarPlan, batch: Batch, tier: Any, goods: Any) -> Any:
    """`ShippingPolicy.fee` per order: pickup free, free over the tier's threshold, else base."""
    policy = plan.scenario.shipping
    n = batch.orders
    if policy is None:
        return np.zeros(n, dtype=np.int64)
    codes, values = pd.factorize(pd.Series(tier, dtype=object), use_na_sentinel=False)
    limits = [policy.threshold_for(None if pd.isna(t) else t) for t in values]
    limit = np.array([-1 if m is None else m.minor for m in limits], dtype=np.int64)[codes]
    fee = np.where((limit >= 0) & (goods >= limit), 0, policy.base_fee.minor)
    if policy.pickup_free:
        fee = np.where(batch.fulfillment == "pickup", 0, fee)
    return fee.astype(np.int64)


def price_batch(
    plan: ColumnarPlan, batch: Batch, tz: str = "Asia/Shanghai"
) -> tuple[Any, dict[str, str | None]]:
    """Result rows (the exact engine's columns) and each ordering member's final tier.

    Without a tier ladder every order is priced at the member's tier from the
    members table. With one, tiers follow the orders: see `_follow_ladder`.
    """
    frame, final, _ = price_rounds(plan, batch, tz)
    return frame, final


def price_rounds(
    plan: ColumnarPlan, batch: Batch, tz: str = "Asia/Shanghai",
    refused: frozenset[str] | None = None,
) -> tuple[Any, dict[str, str | None], list[tuple[tuple[Any, ...], str, str]]]:
    """`price_batch`, with the claims of coupons that have a total quota.

    ``refused=None`` settles the quotas here, among this batch's members;
    a set prices once with those claims refused (a driver settles quotas
    over several batches), and the claims returned say what to settle.
    """
    cp = plan.coupons
    quotas = quotas_of(cp.templates) if cp is not None else {}
    settle = refused is None
    refused = refused or frozenset()
    while True:
        # Coupon quotas shared by every member: price, hand each template's quota to the
        # first claims in the replay's order, and price again with the others refused
        # until nothing changes (each round settles at least the next claim in time).
        if plan.scenario.ladder is None:
            priced = _price(plan, batch, batch.tier, refused)
            before = after = batch.tier
            final: dict[str, str | None] = {}
        else:
            priced, before, after, final = _follow_ladder(plan, batch, refused)
        claims = [a for tried in priced.quota_claims if tried for a in tried]
        if not quotas or not settle:
            break
        settled = quota_refusals(claims, quotas)
        if settled == refused:
            break
        refused = settled
    n = batch.orders
    zeros = np.zeros(n, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "order_id": batch.order_id,
            "member_id": batch.member_id,
            "store_id": batch.store_id,
            "guide_id": batch.guide_id,
            "paid_at": batch.paid_at,
            "month": _months(batch.paid_ns, tz),
            "tier_before": before,
            "tier_after": after,
            "original_fen": priced.original,
            "activity_fen": priced.activity_off,
            "member_fen": priced.member_off,
            "promotion_fen": priced.promo_off,
            "coupon_fen": priced.coupon_off,
            "points_deduction_fen": zeros,
            "shipping_fen": priced.shipping,
            "payable_fen": priced.paid + priced.shipping,
            "goods_paid_fen": priced.paid,
            "discount_fen": priced.original - priced.paid,
            "gift_value_fen": priced.gift_value,
            "refund_fen": priced.refund,
            "points_earned": priced.points - priced.points_back,
            "points_spent": zeros,
            "coupons_used": priced.coupons_used,
            "coupons_issued": priced.coupons_issued,
            "commission_fen": priced.commission - priced.commission_back,
            "rules": priced.rules,
            "reasons": priced.reasons,
        },
        columns=list(ROW_COLUMNS),
    )
    return frame, final, claims


def _merge(whole: _Priced, part: _Priced, orders: Any, lines: Any) -> _Priced:
    """``whole`` with the figures of ``orders`` (and their ``lines``) replaced by ``part``'s."""
    fields: dict[str, Any] = {}
    for f in attrs.fields(_Priced):
        merged = getattr(whole, f.name).copy()
        merged[lines if f.name in _LINE_LEVEL else orders] = getattr(part, f.name)
        fields[f.name] = merged
    return _Priced(**fields)


#: The `_Priced` fields that hold one value per line (the others: one per order).
_LINE_LEVEL = frozenset({"line_refund"})


def _guess_tiers(
    plan: ColumnarPlan, batch: Batch, start: Any, refused: frozenset[str] = frozenset()
) -> Any:
    """A first guess of the tier each order meets, so the replay has less to correct.

    Prices once at the starting tiers, then climbs each member's ladder with
    the running metric (orders in time order, immediate upgrades, refunds and
    windows ignored). Only a guess: `_follow_ladder` replays the real state
    machine and corrects every order it got wrong.
    """
    from sirui.loyalty.members import TierMetric, UpgradeMode

    ladder = plan.scenario.ladder
    assert ladder is not None
    if ladder.upgrade is not UpgradeMode.IMMEDIATE or batch.orders == 0:
        return start
    priced = _price(plan, batch, start, refused)
    if ladder.metric is TierMetric.SPEND:
        step = priced.paid
    elif ladder.metric is TierMetric.ORDERS:
        step = np.ones(batch.orders, dtype=np.int64)
    elif ladder.metric is TierMetric.POINTS:
        step = priced.points
    else:
        num, den = _ratio(ladder.growth.per_yuan)
        step = _times_checked(priced.paid, np.array([num])) // (den * 100)
        first = (batch.paid_before + _cumcount(batch.member_id)) == 0
        step = step + np.where(first, ladder.growth.first_order_bonus, 0)
    # The metric before each order: what the member's earlier orders brought.
    running = pd.Series(step).groupby(batch.member_id).cumsum().to_numpy() - step
    codes = [t.code for t in ladder.tiers]
    thresholds = np.array([t.threshold for t in ladder.tiers], dtype=np.int64)
    reached = np.searchsorted(thresholds, running, side="right") - 1
    at_start = np.array([codes.index(t) for t in start.tolist()], dtype=np.int64)
    return np.array(codes, dtype=object)[np.maximum(reached, at_start)]


def _follow_ladder(
    plan: ColumnarPlan, batch: Batch, refused: frozenset[str] = frozenset()
) -> tuple[_Priced, Any, Any, dict[str, str | None]]:
    """Price with tiers that move as orders and refunds arrive, to a fixed point.

    Every order is priced at an assumed tier (at first `_guess_tiers`: the
    ladder climbed with the running metric); the member's standing is then
    replayed through the ladder's own state machine (`MemberStanding`) on
    the exact engine's timeline — orders and refunds in time order, an order
    before a refund at the same instant — which gives the tier each order
    really met. The orders of members who met other tiers than assumed are
    priced again at those tiers, and those members replayed again from their
    first wrong order. An order's price depends only on the events before
    it, so each round fixes at least the next order of every such member, and
    the rounds stop when nothing changes: the result is the exact replay's,
    whatever the guess.
    """
    from sirui.core.money import Money
    from sirui.loyalty.members import MemberStanding, RecordOrder, RefundOrder

    ladder = plan.scenario.ladder
    assert ladder is not None
    known = {t.code for t in ladder.tiers}
    n = batch.orders
    # The timeline, once: (instant, kind, order id, index) as the exact engine's heap orders it.
    lines = np.flatnonzero(batch.refund_qty > 0)
    kind = np.concatenate([np.zeros(n, np.int64), np.ones(len(lines), np.int64)])
    when = np.concatenate([batch.paid_ns, batch.refund_ns[lines]])
    oid = np.concatenate([batch.order_id, batch.order_id[batch.line_order[lines]]])
    starts = _starts(np.bincount(batch.line_order, minlength=n))
    sub = np.concatenate([np.zeros(n, np.int64), lines - starts[batch.line_order[lines]]])
    ref = np.concatenate([np.arange(n), lines])
    order = np.lexsort((sub, oid.astype(str), kind, when))
    events = list(zip(kind[order].tolist(), ref[order].tolist()))
    moments = {int(v): _at(int(v)) for v in np.unique(when)}
    at_of = [moments[int(v)] for v in when[order].tolist()]
    members = batch.member_id.tolist()
    by_member: dict[str, list[int]] = {}
    for k, (_, r) in enumerate(events):
        o = r if events[k][0] == 0 else int(batch.line_order[r])
        by_member.setdefault(members[o], []).append(k)
    start = {
        m: (t if t in known else ladder.base.code)
        for m, t in zip(members, batch.tier.tolist())
    }
    assumed = _guess_tiers(
        plan, batch, np.array([start[m] for m in members], dtype=object), refused
    )
    before = assumed.copy()
    after = assumed.copy()
    final: dict[str, str | None] = {}
    # Where each member's replay resumes: the event index of the first order
    # priced at the wrong tier, with the standing, order count and refund
    # counts just before it (everything earlier stays as it was).
    resume: dict[str, tuple[int, Any, int, dict[int, int]]] = {}
    todo = list(by_member)
    priced = _price(plan, batch, assumed, refused)
    while True:
        paid, points, goods = priced.paid.tolist(), priced.points.tolist(), priced.line_refund
        changed: list[str] = []
        for m in todo:
            ks = by_member[m]
            if m in resume:
                pos, standing, count, refunds = resume.pop(m)
                refunds = dict(refunds)
            else:
                first = events[ks[0]][1]  # a member's first event is an order
                table_tier = batch.tier[first]
                standing = (
                    MemberStanding(m, table_tier)
                    if table_tier in known
                    else MemberStanding.new(m, ladder)
                )
                pos, count, refunds = 0, int(batch.paid_before[first]), {}
            checkpoint = None
            for idx in range(pos, len(ks)):
                k = ks[idx]
                ev, r = events[k]
                at = at_of[k]
                if ev == 0:
                    if standing.tier != assumed[r]:
                        if checkpoint is None:
                            checkpoint = (idx, standing, count, dict(refunds))
                        assumed[r] = standing.tier
                    before[r] = standing.tier
                    standing = standing.handle(
                        RecordOrder(
                            str(batch.order_id[r]),
                            Money(paid[r]),
                            first_order=count == 0,
                            points=points[r],
                            at=at,
                        ),
                        ladder,
                        now=at,
                    ).state
                    after[r] = standing.tier
                    count += 1
                else:
                    o = int(batch.line_order[r])
                    refunds[o] = refunds.get(o, 0) + 1
                    standing = standing.handle(
                        RefundOrder(
                            f"{batch.order_id[o]}/refund/{refunds[o]}",
                            str(batch.order_id[o]),
                            Money(int(goods[r])),
                        ),
                        ladder,
                        now=at,
                    ).state
                    after[o] = standing.tier
            final[m] = standing.tier
            if checkpoint is not None:
                resume[m] = checkpoint
                changed.append(m)
        if not changed:
            return priced, before, after, final
        todo = changed
        # Only the members who moved are priced again: their orders, at their new tiers.
        redo = np.flatnonzero(pd.Series(batch.member_id).isin(set(changed)).to_numpy())
        part, lines = _take(batch, redo)
        priced = _merge(priced, _price(plan, part, assumed[redo], refused), redo, lines)
