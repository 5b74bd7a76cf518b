"""The columnar engine: the same rules, priced a whole history at a time with numpy.

Theory of operation. The exact engine (`sirui.simulate.engine`) prices one
order at a time through `sirui.checkout.quote`, carrying every member's
state. For a scenario without coupon triggers or commission, an order's
result depends only on the order itself, the member's tier when it was paid
and how many orders they had paid before, so the whole history can be
priced as columns:

1. the member price (会员价) per line: the line amount times the tier's rate
   for the SKU, as an exact rational rounded by the step's mode;
2. every promotion of the promotion stage (满减, 每满减, 打折, 新客立减), in
   the pipeline's order (priority, then id): its window, its scope, its
   condition (evaluated as columns, with the first failing reason), its
   threshold or rate against the eligible lines' current amounts, and the
   allocation over those lines by the largest-remainder method in line-id
   order, exactly as `sirui.rules.allocate_off`; exclusion groups and
   exclusive offers are resolved per order by the option that saves most;
3. the shipping fee: none for pickup, none from the tier's free-shipping
   threshold, else the base fee;
4. points: the earning lines' paid total times the rate and the tier
   multiplier, rounded, capped, and allocated per line in cart order;
5. refunds: each returned unit's share of the line's paid amount and points
   (`Money.split`), and the shipping with the last unit, as the checkout's
   refund does.

Without a tier ladder the tier is the members table's. With one, tiers
follow the orders: `_follow_ladder` prices at assumed tiers, replays each
member's standing through the ladder's own state machine, and repeats for
the members whose tiers came out otherwise until nothing changes.

Every figure is integer arithmetic on fen, and the test suite checks the
result frame equals the exact engine's, column for column, on generated
histories and random scenarios. `columnar_plan` says whether a scenario
qualifies, and if not, why (the exact engine then runs); `simulate` picks
the engine with ``engine="auto"``.

Input is read the same way: rows that pass a vectorised check (canonical
ISO 8601 times with an offset, integer amounts, known members, consistent
order headers) become columns directly; every other order goes through the
exact engine's per-row checks, so a bad row is rejected with the same reason
either way, and an unusual but valid one is still priced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pendulum

from sirui.checkout.stacking import (
    EXCLUDED_BY_EXCLUSIVE,
    EXCLUDED_BY_GROUP,
    EXCLUSIVE_SAVES_LESS,
)
from sirui.commission import AttributionPolicy, ExcludedItems, FixedPerItem, RateRule
from sirui.core.money import MAX_MINOR, Rounding
from sirui.core.nouns import Sku
from sirui.core.windows import DateTime
from sirui.loyalty.members import MemberFacts, benefits_for
from sirui.promotions import (
    FullReduction,
    NewCustomerReduction,
    PercentageDiscount,
    RepeatingReduction,
)
from sirui.promotions.member import NEW_CUSTOMER_APPLIED
from sirui.rules.conditions import (
    BELOW_AMOUNT,
    BELOW_QUANTITY,
    CATEGORY_NOT_IN,
    CHANNEL_NOT_IN,
    EXCLUDED,
    NOT_NEW,
    OUTSIDE_WINDOW,
    SKU_NOT_IN,
    STORE_NOT_IN,
    TAG_MISSING,
    TIER_NOT_IN,
    WRONG_FULFILLMENT,
    AllOf,
    Always,
    AmountAtLeast,
    AnyOf,
    CategoryIn,
    ChannelIn,
    Condition,
    FulfillmentIs,
    HasTag,
    NewCustomer,
    Not,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    WithinWindow,
)
from sirui.simulate.engine import ROW_COLUMNS, Scenario
from sirui.simulate.inputs import (
    MEMBER_COLUMNS,
    ORDER_COLUMNS,
    OrderRecord,
    RejectedRow,
    _check_columns,
    _check_orders,
    _members,
    _text,
    read_table,
)

__all__ = [
    "Batch",
    "ColumnarPlan",
    "batch_from_records",
    "columnar_plan",
    "prepare_batch",
    "price_batch",
]

_NS = 10**9
_LIMIT = 2**62
_FLOAT_EXACT = 2**52
_CANONICAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"


_Kernel = FullReduction | RepeatingReduction | PercentageDiscount | NewCustomerReduction
#: The promotions the columnar engine prices (their exact classes).
_KERNELS = (FullReduction, RepeatingReduction, PercentageDiscount, NewCustomerReduction)


@attrs.frozen
class ColumnarPlan:
    """What the columnar engine runs for a scenario, resolved once."""

    scenario: Scenario
    promotions: tuple[_Kernel, ...]


def columnar_plan(scenario: Scenario) -> tuple[ColumnarPlan | None, str]:
    """The plan for ``scenario``, or None and why the exact engine must run it."""
    sc = scenario
    if sc.triggers:
        return None, "coupon triggers: wallets change with each order"
    if sc.commission is not None:
        for r in sc.commission.rules:
            if type(r) not in (RateRule, FixedPerItem, ExcludedItems):
                return None, f"commission rule {r.id}: {type(r).__name__} has no columnar kernel"
    promos: list[_Kernel] = []
    for p in sc.promotions:
        if type(p) not in _KERNELS:
            return None, f"promotion {p.id}: {type(p).__name__} has no columnar kernel"
        unsupported = _unsupported(p.condition)
        if unsupported is not None:
            return None, f"promotion {p.id}: condition {unsupported} has no columnar kernel"
        promos.append(p)  # type: ignore[arg-type]
    st = sc.stacking
    promos.sort(key=lambda p: (-st.priority_of(p.id, p.priority), p.id))
    return ColumnarPlan(sc, tuple(promos)), ""


# -- the batch: checked orders as columns ------------------------------------------------


@attrs.frozen
class MemberInfo:
    """What the columnar engine reads of the accepted members, by member id."""

    tiers: dict[str, str | None]
    paid_before: dict[str, int] = attrs.Factory(dict)
    tags: dict[str, frozenset[str]] = attrs.Factory(dict)
    guides: dict[str, str | None] = attrs.Factory(dict)
    """Each member's exclusive guide (专属导购), if any."""

    @classmethod
    def of(cls, members: Mapping[str, Any]) -> MemberInfo:
        """From checked `Member` values (``prepare(...).members``)."""
        return cls(
            {k: m.tier for k, m in members.items()},
            {k: m.paid_orders for k, m in members.items()},
            {k: m.tags for k, m in members.items()},
            {k: m.guide for k, m in members.items()},
        )

    def columns(self, member_ids: Any) -> dict[str, Any]:
        """Per order, its member's tier, orders before, tags and guide (as `Batch` fields)."""
        keys = list(self.tiers)
        at = pd.Index(keys, dtype=object).get_indexer(pd.Index(member_ids, dtype=object))
        assert (at >= 0).all(), "every order's member is known"
        tags = _objects_of([self.tags.get(k, frozenset()) for k in keys])
        return {
            "tier": np.array([self.tiers[k] for k in keys], dtype=object)[at],
            "paid_before": np.array(
                [self.paid_before.get(k, 0) for k in keys], dtype=np.int64
            )[at],
            "tags": tags[at],
            "member_guide": np.array([self.guides.get(k) for k in keys], dtype=object)[at],
        }

    def update(self, other: MemberInfo) -> None:
        self.tiers.update(other.tiers)
        self.paid_before.update(other.paid_before)
        self.tags.update(other.tags)
        self.guides.update(other.guides)


@attrs.frozen
class Batch:
    """Checked orders as columns: orders in time order, their lines grouped in cart order."""

    order_id: Any
    member_id: Any
    store_id: Any
    guide_id: Any
    paid_at: Any
    """ISO 8601 text, as the exact engine reports it."""
    paid_ns: Any
    """Payment instants, nanoseconds since the epoch (UTC)."""
    tier: Any
    """The member's tier in the members table."""
    paid_before: Any
    """The member's paid orders before the history (``paid_orders_before``)."""
    tags: Any
    """The member's tags (frozensets)."""
    channel: Any
    fulfillment: Any
    """``"delivery"`` or ``"pickup"``."""
    share_by: Any
    """Whose share link the order came through (分享人), if anyone."""
    guide: Any
    """The order's own guide (``guide_id``)."""
    member_guide: Any
    """The member's exclusive guide from the members table."""
    placed_ns: Any
    """When the order was placed (never after payment): the share link's time."""
    placed_at: Any
    """The placing time as a DateTime where it carries a named zone (``None`` otherwise),
    so a share window in days is counted on the zone's calendar."""
    line_order: Any
    """The order (row position above) each line belongs to."""
    line_id: Any
    line_sku: Any
    """Index into ``skus``."""
    quantity: Any
    unit_price: Any
    refund_qty: Any
    refund_ns: Any
    """When each line's refund happened (its order's payment time if none)."""
    skus: tuple[Sku, ...]

    @property
    def orders(self) -> int:
        return len(self.order_id)


def _sku_key(sku: Sku) -> tuple[Any, ...]:
    return (sku.id, sku.price.minor, sku.spu, sku.category, sku.tags, sku.cost)


def batch_from_records(records: Sequence[OrderRecord], members: MemberInfo) -> Batch:
    """Columns from checked records (any input the exact engine accepts)."""
    tiers, before, tags, guides = members.tiers, members.paid_before, members.tags, members.guides
    sku_index: dict[tuple[Any, ...], int] = {}
    skus: list[Sku] = []
    cols: dict[str, list[Any]] = {
        k: [] for k in ("lo", "lid", "sku", "qty", "price", "rq", "rns")
    }
    for i, rec in enumerate(records):
        back = {lid: (q, _ns(at)) for lid, q, at in rec.refunds}
        for ln in rec.lines:
            key = _sku_key(ln.sku)
            code = sku_index.get(key)
            if code is None:
                code = sku_index[key] = len(skus)
                skus.append(ln.sku)
            cols["lo"].append(i)
            cols["lid"].append(ln.id)
            cols["sku"].append(code)
            cols["qty"].append(ln.quantity)
            cols["price"].append(ln.unit_price.minor)
            q, at = back.get(ln.id, (0, 0))
            cols["rq"].append(q)
            cols["rns"].append(at if q else _ns(rec.paid_at))
    return Batch(
        order_id=np.array([r.order_id for r in records], dtype=object),
        member_id=np.array([r.member_id for r in records], dtype=object),
        store_id=np.array([r.store_id for r in records], dtype=object),
        guide_id=np.array(
            [r.attribution.share_by or r.attribution.guide for r in records], dtype=object
        ),
        paid_at=np.array([r.paid_at.isoformat() for r in records], dtype=object),
        paid_ns=np.array(
            [_ns(r.paid_at) for r in records], dtype=np.int64
        ),
        tier=np.array([tiers.get(r.member_id) for r in records], dtype=object),
        paid_before=np.array([before.get(r.member_id, 0) for r in records], dtype=np.int64),
        tags=_objects_of([tags.get(r.member_id, frozenset()) for r in records]),
        channel=np.array([r.attribution.channel for r in records], dtype=object),
        fulfillment=np.array([r.fulfillment.value for r in records], dtype=object),
        share_by=np.array([r.attribution.share_by for r in records], dtype=object),
        guide=np.array([r.attribution.guide for r in records], dtype=object),
        member_guide=np.array([guides.get(r.member_id) for r in records], dtype=object),
        placed_ns=np.array([_ns(r.placed_at) for r in records], dtype=np.int64),
        placed_at=_objects_of([_zoned(r.placed_at) for r in records]),
        line_order=np.array(cols["lo"], dtype=np.int64),
        line_id=np.array(cols["lid"], dtype=object),
        line_sku=np.array(cols["sku"], dtype=np.int64),
        quantity=np.array(cols["qty"], dtype=np.int64),
        unit_price=np.array(cols["price"], dtype=np.int64),
        refund_qty=np.array(cols["rq"], dtype=np.int64),
        refund_ns=np.array(cols["rns"], dtype=np.int64),
        skus=tuple(skus),
    )


def _zoned(at: DateTime) -> DateTime | None:
    """``at`` if its zone may shift its UTC offset (named zones), else None."""
    tz = at.tzinfo
    return None if tz is None or isinstance(tz, dt.timezone) or _fixed(tz) else at


def _fixed(tz: Any) -> bool:
    return getattr(tz, "name", "").startswith(("+", "-")) or type(tz).__name__ == "FixedTimezone"


def _objects_of(values: Sequence[Any]) -> Any:
    """An object array holding ``values`` as they are (frozensets stay whole)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _ns(at: dt.datetime) -> int:
    delta = at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1000


# -- pricing -------------------------------------------------------------------------------


def _ratio(rate: Decimal) -> tuple[int, int]:
    p, q = rate.as_integer_ratio()
    return p, q


def _round_div(num: Any, den: Any, rounding: Rounding) -> Any:
    """``num / den`` rounded to an integer by ``rounding`` (num >= 0, den > 0, int64)."""
    q, r = np.divmod(num, den)
    if rounding is Rounding.DOWN:
        return q
    if rounding is Rounding.UP:
        return q + (r > 0)
    twice = 2 * r
    if rounding is Rounding.HALF_UP:
        return q + (twice >= den)
    return q + ((twice > den) | ((twice == den) & (q % 2 == 1)))  # HALF_EVEN


def _starts(counts: Any) -> Any:
    out = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def _allocate(
    total: Any, weights: Any, group: Any, position: Any, n_groups: int
) -> Any:
    """`allocate_int` per group, vectorised: ``total`` per group over lines' ``weights``.

    Lines with zero weight get nothing; ties in remainder go to the lower
    ``position`` within the group. ``group`` must be sorted (lines grouped).
    """
    wsum = np.bincount(group, weights=weights, minlength=n_groups).astype(np.int64)
    t = total[group]
    safe = np.where(wsum[group] > 0, wsum[group], 1)
    prod = _times_checked(t, weights)
    parts = prod // safe
    rem = prod % safe
    left = total - np.bincount(group, weights=parts, minlength=n_groups).astype(np.int64)
    if not left.any():
        return parts
    order = np.lexsort((position, -rem, group))
    counts = np.bincount(group, minlength=n_groups)
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - np.repeat(_starts(counts), counts)
    return parts + (rank < left[group])


def _times_checked(a: Any, b: Any) -> Any:
    """``a * b`` elementwise (non-negative int64), or OverflowError if it could wrap.

    The bound is checked in Python integers before numpy multiplies, so a
    product never silently wraps; the caller falls back to the exact engine.
    """
    if len(a) and len(b) and int(np.max(a)) * int(np.max(b)) >= _LIMIT:
        raise OverflowError("amounts too large for the columnar engine")
    return a * b


class _Codes:
    """Reason codes and rule ids seen per order, as bit sets joined into text at the end."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.names: list[str] = []
        self.bits: list[Any] = []

    def add(self, name: str, mask: Any) -> None:
        if name in self.names:
            self.bits[self.names.index(name)] |= mask
        else:
            self.names.append(name)
            self.bits.append(np.asarray(mask, dtype=bool).copy())

    def text(self) -> Any:
        if not self.names:
            return np.full(self.n, "", dtype=object)
        order = sorted(range(len(self.names)), key=self.names.__getitem__)
        key = np.zeros(self.n, dtype=np.int64)
        for k, i in enumerate(order):
            key |= self.bits[i].astype(np.int64) << k
        out = np.empty(self.n, dtype=object)
        for v in np.unique(key):
            out[key == v] = ";".join(
                self.names[i] for k, i in enumerate(order) if (int(v) >> k) & 1
            )
        return out


@attrs.frozen
class _Priced:
    """Per-order figures of one pricing pass (arrays over the batch's orders)."""

    original: Any
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


def _price(plan: ColumnarPlan, batch: Batch, tier: Any) -> _Priced:
    """Price every order with the member's tier in ``tier`` (one per order)."""
    sc = plan.scenario
    n, nl = batch.orders, len(batch.line_order)
    lo = batch.line_order
    amount = _times_checked(batch.unit_price, batch.quantity)
    if n and np.bincount(lo, weights=amount, minlength=n).max() >= _FLOAT_EXACT:
        # Per-order sums go through float64 bincounts: exact below 2**53 fen.
        raise OverflowError("order totals too large for the columnar engine")
    cur = amount.copy()
    rules = _Codes(n)
    reasons = _Codes(n)
    tier_codes, tier_values = pd.factorize(pd.Series(tier, dtype=object), use_na_sentinel=False)
    tier_codes = np.asarray(tier_codes, dtype=np.int64)
    line_tier = tier_codes[lo]
    mult_by_tier = [Decimal(1)] * len(tier_values)
    member_off = np.zeros(n, dtype=np.int64)
    if sc.benefits is not None:
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
        ln_num = num[line_tier, batch.line_sku]
        ln_den = den[line_tier, batch.line_sku]
        member_price = _round_div(_times_checked(amount, ln_num), ln_den, Rounding.HALF_UP)
        off = amount - member_price
        cur = member_price
        member_off = np.bincount(lo, weights=off, minlength=n).astype(np.int64)
        got = np.bincount(lo, weights=off > 0, minlength=n) > 0
        rules.add("member_price", got)
        reasons.add("benefit.member_price", got)
        reasons.add("benefit.no_member_price", ~got)
    ctx = _Stage(batch, tier, _positions(lo, batch.line_id), None)
    if any(
        isinstance(p, NewCustomerReduction) or _reads(p.condition, NewCustomer)
        for p in plan.promotions
    ):
        ctx = attrs.evolve(ctx, count=batch.paid_before + _cumcount(batch.member_id))
    cur, promo_off = _promotion_stage(plan, ctx, cur, rules, reasons)
    original = np.bincount(lo, weights=amount, minlength=n).astype(np.int64)
    paid = np.bincount(lo, weights=cur, minlength=n).astype(np.int64)
    shipping = _shipping(plan, batch, tier, paid)
    points = np.zeros(n, dtype=np.int64)
    line_points = np.zeros(nl, dtype=np.int64)
    if sc.points is not None:
        rule = sc.points
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
            by_tier = [
                _ratio(rule.multiplier(_at(0), m) * rule.points_per_yuan) for m in mult_by_tier
            ]
            p_num = np.array([a for a, _ in by_tier], dtype=np.int64)[tier_codes]
            p_den = np.array([b for _, b in by_tier], dtype=np.int64)[tier_codes] * 100
        _times_checked(p_den, np.array([2]))
        points = _round_div(_times_checked(base, p_num), p_den, rule.rounding)
        for cap in (rule.per_order_cap, rule.daily_cap):
            if cap is not None:
                points = np.minimum(points, cap)
        per_order = np.bincount(lo, minlength=n)
        cart_pos = np.arange(nl) - np.repeat(_starts(per_order), per_order)
        line_points = _allocate(points, np.where(earns, cur, 0), lo, cart_pos, n)
    commission_lines = _commission(plan, batch, cur)
    commission = np.bincount(lo, weights=commission_lines, minlength=n).astype(np.int64)
    commission_back = np.zeros(n, dtype=np.int64)
    refund = np.zeros(n, dtype=np.int64)
    points_back = np.zeros(n, dtype=np.int64)
    back_fen = np.zeros(nl, dtype=np.int64)
    rq = batch.refund_qty
    if rq.any():
        qty = batch.quantity
        back_fen = _units_back(cur, rq, qty)
        refund = np.bincount(lo, weights=back_fen, minlength=n).astype(np.int64)
        back_pts = _units_back(line_points, rq, qty)
        points_back = np.bincount(lo, weights=back_pts, minlength=n).astype(np.int64)
        back_commission = _units_back(commission_lines, rq, qty)
        commission_back = np.bincount(lo, weights=back_commission, minlength=n).astype(np.int64)
        # Shipping comes back with the refund that returns the last unit.
        kept = np.bincount(lo, weights=batch.quantity - rq, minlength=n)
        refund += np.where(kept == 0, shipping, 0)
    return _Priced(
        original=original,
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
        rules=rules.text(),
        reasons=reasons.text(),
    )


def _units_back(amount: Any, returned: Any, quantity: Any) -> Any:
    """The share of ``amount`` the first ``returned`` of ``quantity`` units carry (exact)."""
    return returned * (amount // quantity) + np.minimum(returned, amount % quantity)


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
    if plan.scenario.ladder is None:
        priced = _price(plan, batch, batch.tier)
        before = after = batch.tier
        final: dict[str, str | None] = {}
    else:
        priced, before, after, final = _follow_ladder(plan, batch)
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
            "activity_fen": zeros,
            "member_fen": priced.member_off,
            "promotion_fen": priced.promo_off,
            "coupon_fen": zeros,
            "points_deduction_fen": zeros,
            "shipping_fen": priced.shipping,
            "payable_fen": priced.paid + priced.shipping,
            "goods_paid_fen": priced.paid,
            "discount_fen": priced.original - priced.paid,
            "gift_value_fen": zeros,
            "refund_fen": priced.refund,
            "points_earned": priced.points - priced.points_back,
            "points_spent": zeros,
            "coupons_used": zeros,
            "coupons_issued": zeros,
            "commission_fen": priced.commission - priced.commission_back,
            "rules": priced.rules,
            "reasons": priced.reasons,
        },
        columns=list(ROW_COLUMNS),
    )
    return frame, final


def _follow_ladder(
    plan: ColumnarPlan, batch: Batch
) -> tuple[_Priced, Any, Any, dict[str, str | None]]:
    """Price with tiers that move as orders and refunds arrive, to a fixed point.

    Every order is priced at an assumed tier (at first, the member's tier
    before any order); the member's standing is then replayed through the
    ladder's own state machine (`MemberStanding`) on the exact engine's
    timeline — orders and refunds in time order, an order before a refund
    at the same instant — which gives the tier each order really met. Members
    whose orders met other tiers than assumed are priced again at those tiers
    and replayed again. An order's price depends only on the orders before
    it, so each round fixes at least the next order of every such member, and
    the rounds stop when nothing changes: the result is the exact replay's.
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
    assumed = np.array([start[m] for m in members], dtype=object)
    before = assumed.copy()
    after = assumed.copy()
    final: dict[str, str | None] = {}
    # Where each member's replay resumes: the event index of the first order
    # priced at the wrong tier, with the standing, order count and refund
    # counts just before it (everything earlier stays as it was).
    resume: dict[str, tuple[int, Any, int, dict[int, int]]] = {}
    todo = list(by_member)
    while True:
        priced = _price(plan, batch, assumed)
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


# -- the promotion stage --------------------------------------------------------------------


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


def _promote(p: _Kernel, cur: Any, ctx: _Stage) -> _Ran:
    """``p.price`` on every order: gate (window, eligible lines, condition), kernel, allocation."""
    batch = ctx.batch
    n, lo = batch.orders, batch.line_order
    skip = np.full(n, "", dtype=object)
    in_scope = np.array([p.scope.matches(s) for s in batch.skus], dtype=bool)
    open_ = np.ones(n, dtype=bool)
    if isinstance(p, NewCustomerReduction):  # checked before the gate, on the member
        open_ = ctx.count == 0
        skip[~open_] = NOT_NEW.code
    if p.window is not None:
        inside = _within(p.window, batch.paid_ns)
        skip[open_ & ~inside] = "promotion.outside_window"
        open_ = open_ & inside
    elig = in_scope[batch.line_sku] & (cur > 0) & open_[lo]
    has = np.bincount(lo, weights=elig, minlength=n) > 0
    skip[open_ & ~has] = "promotion.no_eligible_lines"
    open_ &= has
    base = np.bincount(lo, weights=np.where(elig, cur, 0), minlength=n).astype(np.int64)
    if not isinstance(p.condition, Always):
        ok, why = _evaluate(p.condition, _Facts(batch, ctx.tier, ctx.count, base, elig))
        failed = open_ & ~ok
        skip[failed] = np.array(_CODES, dtype=object)[why[failed]]
        open_ &= ok
    zero = "promotion.below_threshold"
    if isinstance(p, NewCustomerReduction):
        off = np.full(n, p.off.minor, dtype=np.int64)
        code = NEW_CUSTOMER_APPLIED.code
    elif isinstance(p, FullReduction):
        off = np.zeros(n, dtype=np.int64)
        for step in p.tiers:
            off = np.where(base >= step.threshold.minor, step.off.minor, off)
        code = "promotion.full_reduction"
    elif isinstance(p, RepeatingReduction):
        off = (base // p.every.minor) * p.off.minor
        if p.cap is not None:
            off = np.minimum(off, p.cap.minor)
        code = "promotion.repeating_reduction"
    else:  # PercentageDiscount: the base at the rate, rounded half up, capped
        num_r, den_r = _ratio(p.rate)
        off = base - _round_div(_times_checked(base, np.array([num_r])), den_r, Rounding.HALF_UP)
        if p.cap is not None:
            off = np.minimum(off, p.cap.minor)
        code, zero = "promotion.percentage", "promotion.nothing_off"
    applied = open_ & (off > 0)
    skip[open_ & (off == 0)] = zero
    total = np.where(applied, np.minimum(off, base), 0)
    weights = np.where(elig & applied[lo], cur, 0)
    share = _allocate(total, weights, lo, ctx.id_pos, n)
    return _Ran(cur - share, total, applied, skip, code)


def _record(p: _Kernel, ran: _Ran, where: Any, rules: _Codes, reasons: _Codes) -> None:
    """What ``ran`` adds to the quotes of the orders in ``where``: its rule or its skip."""
    rules.add(p.id, ran.applied & where)
    reasons.add(ran.code, ran.applied & where)
    for code in set(ran.skip[where].tolist()) - {""}:
        reasons.add(code, where & (ran.skip == code))


def _promotion_stage(
    plan: ColumnarPlan, ctx: _Stage, cur: Any, rules: _Codes, reasons: _Codes
) -> tuple[Any, Any]:
    """The promotion stage as the checkout's `Plan` runs it: in order, or the best option.

    Without exclusion groups or exclusive promotions every promotion runs in
    turn. Otherwise each option (every choice of at most one promotion per
    group with the free ones, then each exclusive promotion alone) runs from
    the same amounts, each order takes the option that saves most (ties to the
    earlier option), and the promotions left out say why: their own skip in
    the best option that held them, or the stacking reason.
    """
    st = plan.scenario.stacking
    promos = plan.promotions
    n, lo = ctx.batch.orders, ctx.batch.line_order
    everywhere = np.ones(n, dtype=bool)
    exclusive = [p for p in promos if st.is_exclusive(p.id, p.exclusive)]
    grouped = [(p, st.groups_of(p.id, p.group)) for p in promos if p not in exclusive]
    if not exclusive and all(not g for _, g in grouped):
        off = np.zeros(n, dtype=np.int64)
        for p in promos:
            ran = _promote(p, cur, ctx)
            _record(p, ran, everywhere, rules, reasons)
            cur, off = ran.cur, off + ran.total
        return cur, off
    free = [p for p, g in grouped if not g]
    conflicting = [(p, g) for p, g in grouped if g]
    options: list[tuple[_Kernel, ...]] = []

    def choose(i: int, used: frozenset[str], picked: tuple[_Kernel, ...]) -> None:
        if i == len(conflicting):
            chosen = set(picked) | set(free)
            options.append(tuple(p for p in promos if p in chosen))
            return
        p, groups = conflicting[i]
        if not (groups & used):
            choose(i + 1, used | groups, (*picked, p))
        choose(i + 1, used, picked)

    choose(0, frozenset(), ())
    options += [(e,) for e in exclusive]
    runs: list[tuple[Any, dict[str, _Ran]]] = []
    savings = np.zeros((len(options), n), dtype=np.int64)
    for k, opt in enumerate(options):
        c, ran_by = cur, {}
        for p in opt:
            ran_by[p.id] = ran = _promote(p, c, ctx)
            c = ran.cur
            savings[k] += ran.total
        runs.append((c, ran_by))
    best = np.argmax(savings, axis=0)  # the first of equal savings, as (saving, -i) picks
    new_cur = cur
    for k, (c, ran_by) in enumerate(runs):
        chosen = best == k
        new_cur = np.where(chosen[lo], c, new_cur)
        for p in options[k]:
            _record(p, ran_by[p.id], chosen, rules, reasons)
    shared = len(options) - len(exclusive)
    chosen_exclusive = best >= shared
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
    return new_cur, savings[best, np.arange(n)]


# -- conditions ------------------------------------------------------------------------------

#: Each leaf condition the columnar engine evaluates, with the reason code it fails with.
_LEAF_CODES: dict[type, str] = {
    TierIn: TIER_NOT_IN.code,
    HasTag: TAG_MISSING.code,
    NewCustomer: NOT_NEW.code,
    StoreIn: STORE_NOT_IN.code,
    ChannelIn: CHANNEL_NOT_IN.code,
    FulfillmentIs: WRONG_FULFILLMENT.code,
    AmountAtLeast: BELOW_AMOUNT.code,
    QuantityAtLeast: BELOW_QUANTITY.code,
    CategoryIn: CATEGORY_NOT_IN.code,
    SkuIn: SKU_NOT_IN.code,
    WithinWindow: OUTSIDE_WINDOW.code,
}
_CODES: list[str] = ["", *sorted(set(_LEAF_CODES.values())), EXCLUDED.code]


def _unsupported(c: Condition) -> str | None:
    """The first part of ``c`` the columnar engine cannot evaluate (its class name), if any."""
    if isinstance(c, Always) or type(c) in _LEAF_CODES:
        return None
    if isinstance(c, AllOf | AnyOf):
        return next((u for u in map(_unsupported, c.items) if u is not None), None)
    if isinstance(c, Not):
        return _unsupported(c.of)
    return type(c).__name__


def _reads(c: Condition, kind: type) -> bool:
    if isinstance(c, kind):
        return True
    if isinstance(c, AllOf | AnyOf):
        return any(_reads(i, kind) for i in c.items)
    return isinstance(c, Not) and _reads(c.of, kind)


@attrs.frozen
class _Facts:
    """What a promotion's condition sees, per order: `sirui.rules.Facts` as columns."""

    batch: Batch
    tier: Any
    count: Any
    """Paid orders before this one."""
    amount: Any
    """The eligible lines' current subtotal."""
    eligible: Any
    """Per line: open to the promotion (the condition's ``facts.lines``)."""


def _any_line(f: _Facts, per_sku: Any) -> Any:
    hit = f.eligible & per_sku[f.batch.line_sku]
    return np.bincount(f.batch.line_order, weights=hit, minlength=f.batch.orders) > 0


def _evaluate(c: Condition, f: _Facts) -> tuple[Any, Any]:
    """(holds, index in `_CODES` of the first failing reason) per order, as ``evaluate`` does."""
    b = f.batch
    n = b.orders
    if isinstance(c, Always):
        return np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64)
    if isinstance(c, AllOf | AnyOf):
        parts = [_evaluate(i, f) for i in c.items]
        if isinstance(c, AllOf):
            ok = np.logical_and.reduce([p[0] for p in parts])
            why = np.zeros(n, dtype=np.int64)
            for item_ok, item_why in parts:  # the first failing item's reason comes first
                why = np.where((why == 0) & ~item_ok, item_why, why)
            return ok, why
        ok = np.logical_or.reduce([p[0] for p in parts])
        return ok, np.where(ok, 0, parts[0][1])
    if isinstance(c, Not):
        held, _ = _evaluate(c.of, f)
        return ~held, np.where(held, _CODES.index(EXCLUDED.code), 0)
    if isinstance(c, TierIn):
        ok = pd.Series(f.tier, dtype=object).isin(c.tiers).to_numpy(dtype=bool)
    elif isinstance(c, HasTag):
        ok = np.array([c.tag in t for t in b.tags], dtype=bool)
    elif isinstance(c, NewCustomer):
        ok = f.count == 0
    elif isinstance(c, StoreIn):
        ok = pd.Series(b.store_id, dtype=object).isin(c.stores).to_numpy(dtype=bool)
    elif isinstance(c, ChannelIn):
        ok = pd.Series(b.channel, dtype=object).isin(c.channels).to_numpy(dtype=bool)
    elif isinstance(c, FulfillmentIs):
        ok = b.fulfillment == c.mode.value
    elif isinstance(c, AmountAtLeast):
        ok = f.amount >= c.threshold.minor
    elif isinstance(c, QuantityAtLeast):
        qty = np.where(f.eligible, b.quantity, 0)
        ok = np.bincount(b.line_order, weights=qty, minlength=n) >= c.n
    elif isinstance(c, CategoryIn):
        table = [any(s.in_category(p) for p in c.categories) for s in b.skus]
        ok = _any_line(f, np.array(table, dtype=bool))
    elif isinstance(c, SkuIn):
        ok = _any_line(f, np.array([s.id in c.skus for s in b.skus], dtype=bool))
    else:
        assert isinstance(c, WithinWindow)
        ok = _within(c.window, b.paid_ns)
    return ok, np.where(ok, 0, _CODES.index(_LEAF_CODES[type(c)]))


def _within(window: Any, paid_ns: Any) -> Any:
    """``window.contains`` per order: ``[start, end)``."""
    inside = paid_ns >= _ns(window.start)
    if window.end is not None:
        inside &= paid_ns < _ns(window.end)
    return inside


def _cumcount(keys: Any) -> Any:
    """How many earlier rows share each row's key (rows in time order)."""
    return pd.Series(keys, dtype=object).groupby(keys).cumcount().to_numpy(dtype=np.int64)


def _at(ns: int) -> DateTime:
    """The instant ``ns`` (nanoseconds since the epoch) as a UTC pendulum DateTime."""
    seconds, micro = divmod(ns // 1000, 1_000_000)
    d = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return pendulum.DateTime(
        d.year, d.month, d.day, d.hour, d.minute, d.second, micro, tzinfo=pendulum.UTC
    )


def _positions(group: Any, ids: Any) -> Any:
    """Each line's rank by id (string order) within its group."""
    frame = pd.DataFrame({"g": group, "id": ids, "i": np.arange(len(group))})
    frame = frame.sort_values(["g", "id"], kind="stable")
    pos = np.empty(len(group), dtype=np.int64)
    counts = np.bincount(group, minlength=int(group.max()) + 1 if len(group) else 0)
    pos[frame["i"].to_numpy()] = np.arange(len(group)) - np.repeat(_starts(counts), counts)
    return pos


def _months(paid_ns: Any, tz: str) -> Any:
    local = pd.to_datetime(paid_ns, utc=True).tz_convert(tz)
    ym = np.asarray(local.year, dtype=np.int64) * 100 + np.asarray(local.month, dtype=np.int64)
    uniq, inv = np.unique(ym, return_inverse=True)
    names = np.array([f"{v // 100:04d}-{v % 100:02d}" for v in uniq.tolist()], dtype=object)
    return names[inv]


# -- input: vectorised checks, the exact checks for the rest ---------------------------


def _plain_text(s: Any) -> bool:
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return True
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def _missing(s: Any) -> Any:
    """Rows ``_text`` reads as None: null or empty text."""
    return (s.isna() | s.eq("")).to_numpy(dtype=bool, na_value=True)


def _objects(s: Any) -> Any:
    """Text values as an object array, None where ``_text`` would give None."""
    out = s.to_numpy(dtype=object, na_value=None).copy()
    out[_missing(s)] = None
    return out


def _codes(s: Any) -> Any:
    """Integer codes of the values; -1 for missing (null or empty)."""
    codes = np.asarray(pd.factorize(s)[0], dtype=np.int64)
    codes[_missing(s)] = -1
    return codes


def _int_col(s: Any) -> tuple[Any, Any, Any]:
    """(values, ok, missing): plain non-negative integers, and the rows left empty."""
    n = len(s)
    missing = _missing(s) if not pd.api.types.is_integer_dtype(s.dtype) else s.isna().to_numpy()
    if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals = s.to_numpy(dtype=np.int64, na_value=-1)
        return vals, ~missing & (vals >= 0), missing
    if _plain_text(s):
        ok = s.str.fullmatch(r"\d{1,15}").to_numpy(dtype=bool, na_value=False)
        vals = np.zeros(n, dtype=np.int64)
        vals[ok] = s[ok].astype(np.int64).to_numpy()
        return vals, ok, missing
    return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), missing


def _times(s: Any) -> tuple[Any, Any]:
    """(UTC nanoseconds, ok) for canonical ISO 8601 text with an offset."""
    ok = s.str.fullmatch(_CANONICAL_TIME).to_numpy(dtype=bool, na_value=False).copy()
    ns = np.zeros(len(s), dtype=np.int64)
    if ok.any():
        parsed = pd.to_datetime(s[ok], format="%Y-%m-%dT%H:%M:%S%z", utc=True, errors="coerce")
        good = parsed.notna().to_numpy()
        vals = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        idx = np.flatnonzero(ok)
        ns[idx[good]] = vals[good]
        ok[idx[~good]] = False
    return ns, ok


_ORDER_TEXT = (
    "order_id", "member_id", "sku", "store_id", "guide_id", "share_by", "channel",
    "fulfillment", "line_id", "placed_at", "paid_at", "refunded_at", "spu", "category",
    "tags", "name",
)
_MEMBER_TEXT = ("member_id", "tier", "joined_at", "home_store", "guide_id", "tags", "birthday")


def _member_info(mdf: Any, tz: str | None) -> tuple[MemberInfo, list[RejectedRow]]:
    """Each accepted member's tier, orders before and tags; doubtful rows take `_members`."""
    if not all(_plain_text(mdf[c]) for c in _MEMBER_TEXT if c in mdf.columns):
        found, rejected = _members(mdf, tz)
        return MemberInfo.of(found), rejected
    n = len(mdf)
    mid = mdf["member_id"]
    slow = _missing(mid) | mid.duplicated(keep=False).to_numpy(dtype=bool)
    if "joined_at" in mdf.columns:
        joined = mdf["joined_at"]
        slow |= ~(_times(joined)[1] | _missing(joined))
    if "birthday" in mdf.columns:
        bday = mdf["birthday"]
        shaped = bday.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool, na_value=False)
        valid = pd.to_datetime(bday.where(shaped), format="%Y-%m-%d", errors="coerce").notna()
        slow |= ~((shaped & valid.to_numpy()) | _missing(bday))
    before = np.zeros(n, dtype=np.int64)
    if "paid_orders_before" in mdf.columns:
        vals, ok, missing = _int_col(mdf["paid_orders_before"])
        slow |= ~(ok | missing)
        before = np.where(missing, 0, vals)
    fast = ~slow
    ids = mid[fast].to_numpy(dtype=object)
    tier = (
        _objects(mdf["tier"])[fast] if "tier" in mdf.columns else np.full(n, None)[fast]
    )
    keys = ids.tolist()
    tag_text = _objects(mdf["tags"])[fast] if "tags" in mdf.columns else [None] * len(keys)
    guide = _objects(mdf["guide_id"])[fast] if "guide_id" in mdf.columns else [None] * len(keys)
    info = MemberInfo(
        dict(zip(keys, tier.tolist())),
        dict(zip(keys, before[fast].tolist())),
        {k: frozenset(t for t in (v or "").split(";") if t) for k, v in zip(keys, tag_text)},
        dict(zip(keys, list(guide))),
    )
    if not slow.any():
        return info, []
    found, doubted = _members(mdf[slow], tz)
    info.update(MemberInfo.of(found))
    return info, doubted


def prepare_batch(
    orders: Any, members: Any, timezone: str | None = None
) -> tuple[Batch, dict[str, str | None], tuple[RejectedRow, ...]]:
    """Check the input like `sirui.simulate.inputs.prepare`, giving columns.

    Returns the batch, each accepted member's tier, and the rejected rows.
    Orders that fail the vectorised check are checked by the exact engine's
    per-order code, so the accepted orders and the rejection reasons are the
    same as ``prepare``'s.
    """
    from sirui.simulate.inputs import BAD_VALUE, _records, prepare

    odf = read_table(orders, "orders")
    mdf = read_table(members, "members")
    _check_columns(odf, ORDER_COLUMNS, "orders")
    _check_columns(mdf, MEMBER_COLUMNS, "members")
    info, rejected = _member_info(mdf, timezone)
    tiers = info.tiers
    odf = odf.reset_index(drop=True)
    if not all(_plain_text(odf[c]) for c in _ORDER_TEXT if c in odf.columns):
        # Not plain text columns: every order takes the exact checks.
        prep = prepare(odf, mdf, timezone)
        return batch_from_records(prep.orders, info), tiers, prep.rejected
    col = {c: odf[c] for c in _ORDER_TEXT if c in odf.columns}
    no_oid = _missing(col["order_id"])
    for _ in range(int(no_oid.sum())):
        rejected.append(
            RejectedRow(
                "orders", "?", BAD_VALUE(column="order_id", value="(empty)", expected="text")
            )
        )
    keep = np.flatnonzero(~no_oid)
    codes = np.asarray(pd.factorize(col["order_id"].iloc[keep])[0], dtype=np.int64)
    n_orders = int(codes.max()) + 1 if len(codes) else 0
    first = keep[np.unique(codes, return_index=True)[1]]  # each order's first row
    head_of = first[codes]
    bad = np.zeros(len(odf), dtype=bool)
    qty, ok_q, _ = _int_col(odf["quantity"])
    price, ok_p, _ = _int_col(odf["unit_price_fen"])
    bad |= ~(ok_q & ok_p) | (qty < 1)
    # Order totals past Money's bound (a price in yuan, not fen?) take the exact checks.
    bad |= (price > MAX_MINOR) | (qty > MAX_MINOR // np.maximum(price, 1))
    line_amount = np.where(bad, 0, price * np.where(bad, 0, qty))
    cost = np.full(len(odf), -1, dtype=np.int64)
    if "unit_cost_fen" in odf.columns:
        vals, ok, missing = _int_col(odf["unit_cost_fen"])
        bad |= ~(ok | missing)
        cost = np.where(missing, -1, vals)
    rq = np.zeros(len(odf), dtype=np.int64)
    if "refunded_quantity" in odf.columns:
        vals, ok, missing = _int_col(odf["refunded_quantity"])
        rq = np.where(missing, 0, vals)
        bad |= ~(ok | missing) | (rq > qty)
    bad |= _missing(col["sku"])
    for c in ("member_id", "paid_at", "store_id"):
        if c in col:
            cc = _codes(col[c])
            bad[keep] |= cc[keep] != cc[head_of]
    # Header fields are read from each order's first row.
    paid_ns = np.zeros(len(odf), dtype=np.int64)
    ns, ok = _times(col["paid_at"].iloc[first])
    paid_ns[first] = ns
    bad[first] |= ~ok
    placed_ns = paid_ns.copy()
    if "placed_at" in col:
        placed = col["placed_at"].iloc[first]
        p_ns, p_ok = _times(placed)
        bad[first] |= ~(p_ok | _missing(placed))
        placed_ns[first] = np.where(p_ok, np.minimum(p_ns, paid_ns[first]), paid_ns[first])
    if "fulfillment" in col:
        ful = col["fulfillment"].iloc[first]
        bad[first] |= ~(ful.isin(("delivery", "pickup")).to_numpy(dtype=bool) | _missing(ful))
    known = pd.Index(list(tiers), dtype=object)
    bad[first] |= known.get_indexer(col["member_id"].iloc[first].to_numpy(dtype=object)) < 0
    refund_ns = np.zeros(len(odf), dtype=np.int64)
    refund_ns[keep] = paid_ns[head_of]  # no refund time given: refunded when paid
    refunded = keep[rq[keep] > 0]
    if len(refunded) and "refunded_at" in col:
        r_at = col["refunded_at"].iloc[refunded]
        r_ns, r_ok = _times(r_at)
        bad[refunded] |= ~(r_ok | _missing(r_at)) | (r_ok & (r_ns < refund_ns[refunded]))
        refund_ns[refunded[r_ok]] = r_ns[r_ok]
    if "line_id" in col:
        lid_missing = _missing(col["line_id"])[keep]
        rows_per = np.bincount(codes, minlength=n_orders)
        missing_per = np.bincount(codes, weights=lid_missing, minlength=n_orders)
        mixed = (missing_per > 0) & (missing_per < rows_per)
        dup = pd.DataFrame({"o": codes, "l": _codes(col["line_id"])[keep]}).duplicated()
        bad[keep] |= mixed[codes] | (dup.to_numpy(dtype=bool) & ~lid_missing)
    order_total = np.bincount(codes, weights=line_amount[keep], minlength=n_orders)
    bad_order = np.bincount(codes, weights=bad[keep], minlength=n_orders) > 0
    bad_order |= order_total >= MAX_MINOR
    slow_records: list[OrderRecord] = []
    if bad_order.any():  # the exact checks decide these orders
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in _records(odf.iloc[keep[bad_order[codes]]]):
            groups.setdefault(str(_text(r.get("order_id"))), []).append(r)
        slow_records, doubted = _check_orders(groups, tiers.keys(), timezone)
        rejected += doubted
    good = ~bad_order[codes]
    ints = {
        "qty": qty, "price": price, "cost": cost, "rq": rq, "refund_ns": refund_ns,
        "placed_ns": placed_ns,
    }
    fast = _fast_batch(odf, keep[good], codes[good], ints=ints, paid_ns=paid_ns, info=info)
    slow = batch_from_records(slow_records, info)
    return _sorted(_concat(fast, slow)), tiers, tuple(rejected)


def _fast_batch(
    odf: Any,
    rows: Any,
    codes: Any,
    *,
    ints: Mapping[str, Any],
    paid_ns: Any,
    info: MemberInfo,
) -> Batch:
    """Columns for the orders that passed every vectorised check."""
    from sirui.core.money import Money

    if len(rows) == 0:
        return batch_from_records((), info)
    order = np.argsort(codes, kind="stable")
    rows = rows[order]
    _, first, counts = np.unique(codes[order], return_index=True, return_counts=True)
    head = rows[first]
    lo = np.repeat(np.arange(len(first)), counts)

    def text(c: str, at: Any) -> Any:
        if c not in odf.columns:
            return np.full(len(at), None, dtype=object)
        return _objects(odf[c].iloc[at])

    lid = text("line_id", rows)
    missing = np.array([v is None for v in lid], dtype=bool)
    if missing.any():
        within = np.arange(len(rows)) - np.repeat(first, counts) + 1
        lid[missing] = within[missing].astype(str).astype(object)
    # One Sku per distinct (sku, price, cost, category, tags, spu), as `_line` caches them.
    price, cost = ints["price"][rows], ints["cost"][rows]
    key = np.zeros(len(rows), dtype=np.int64)
    for part in (
        *(_codes(odf[c].iloc[rows]) if c in odf.columns else np.zeros(len(rows), np.int64)
          for c in ("sku", "category", "tags", "spu")),
        np.unique(price, return_inverse=True)[1].astype(np.int64),
        np.unique(cost, return_inverse=True)[1].astype(np.int64),
    ):
        key = key * (int(part.max()) + 2) + part + 1
    _, sku_first, sku_code = np.unique(key, return_index=True, return_inverse=True)
    at = rows[sku_first]
    sku_text = {c: text(c, at) for c in ("sku", "spu", "category", "tags", "name")}
    skus = tuple(
        Sku(
            str(sku_text["sku"][k]),
            Money(int(price[i])),
            spu=sku_text["spu"][k],
            category=sku_text["category"][k] or (),
            tags=frozenset(t for t in (sku_text["tags"][k] or "").split(";") if t),
            cost=Money(int(cost[i])) if cost[i] >= 0 else None,
            name=sku_text["name"][k] or "",
        )
        for k, i in enumerate(sku_first.tolist())
    )
    share, guide = text("share_by", head), text("guide_id", head)
    member = text("member_id", head)
    return Batch(
        order_id=text("order_id", head),
        member_id=member,
        store_id=text("store_id", head),
        guide_id=np.where(np.array([s is not None for s in share], dtype=bool), share, guide),
        paid_at=text("paid_at", head),
        paid_ns=paid_ns[head],
        **info.columns(member),
        channel=text("channel", head),
        share_by=share,
        guide=guide,
        placed_ns=ints["placed_ns"][head],
        placed_at=np.full(len(head), None, dtype=object),
        fulfillment=np.array(
            [f or "delivery" for f in text("fulfillment", head).tolist()], dtype=object
        ),
        line_order=lo.astype(np.int64),
        line_id=lid,
        line_sku=np.asarray(sku_code, dtype=np.int64).reshape(-1),
        quantity=ints["qty"][rows],
        unit_price=price,
        refund_qty=ints["rq"][rows],
        refund_ns=ints["refund_ns"][rows],
        skus=skus,
    )


_ORDER_FIELDS = (
    "order_id", "member_id", "store_id", "guide_id", "paid_at", "paid_ns", "tier", "paid_before",
    "tags", "channel", "fulfillment", "share_by", "guide", "member_guide", "placed_ns",
    "placed_at",
)
_LINE_FIELDS = ("line_id", "line_sku", "quantity", "unit_price", "refund_qty", "refund_ns")


def _concat(a: Batch, b: Batch) -> Batch:
    if b.orders == 0:
        return a
    if a.orders == 0:
        return b
    index = {_sku_key(s): i for i, s in enumerate(a.skus)}
    skus = list(a.skus)
    remap = []
    for s in b.skus:
        k = _sku_key(s)
        if k not in index:
            index[k] = len(skus)
            skus.append(s)
        remap.append(index[k])
    fields: dict[str, Any] = {
        f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in _ORDER_FIELDS + _LINE_FIELDS
    }
    fields["line_sku"] = np.concatenate([a.line_sku, np.asarray(remap, dtype=np.int64)[b.line_sku]])
    fields["line_order"] = np.concatenate([a.line_order, b.line_order + a.orders])
    return Batch(**fields, skus=tuple(skus))


def _sorted(b: Batch) -> Batch:
    """Orders by payment time, then order id (the exact engine's replay order)."""
    if b.orders == 0:
        return b
    order = np.lexsort((b.order_id.astype(str), b.paid_ns))
    if (order == np.arange(b.orders)).all():
        return b
    rank = np.empty_like(order)
    rank[order] = np.arange(b.orders)
    line_rank = rank[b.line_order]
    lines = np.argsort(line_rank, kind="stable")
    fields: dict[str, Any] = {f: getattr(b, f)[order] for f in _ORDER_FIELDS}
    fields.update({f: getattr(b, f)[lines] for f in _LINE_FIELDS})
    fields["line_order"] = line_rank[lines]
    return Batch(**fields, skus=b.skus)
