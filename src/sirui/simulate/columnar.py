"""The columnar engine: the same rules, priced a whole history at a time with numpy.

Theory of operation. The exact engine (`sirui.simulate.engine`) prices one
order at a time through `sirui.checkout.quote`, carrying every member's
state. For a scenario whose rules keep no state between a member's orders
(no tier ladder, no coupon triggers, no commission) every order's result
depends only on the order itself and the member's tier from the members
table, so the whole history can be priced as columns:

1. the member price (会员价) per line: the line amount times the tier's rate
   for the SKU, as an exact rational rounded by the step's mode;
2. every promotion of the promotion stage, in the pipeline's order
   (priority, then id): its window, its scope, its threshold against the
   eligible lines' current amounts, and the allocation over those lines by
   the largest-remainder method in line-id order, exactly as
   `sirui.rules.allocate_off`;
3. points: the earning lines' paid total times the rate and the tier
   multiplier, rounded, capped, and allocated per line in cart order;
4. refunds: each returned unit's share of the line's paid amount and points
   (`Money.split`), as the checkout's refund does.

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

from sirui.core.money import Rounding
from sirui.core.nouns import Sku
from sirui.loyalty.members import MemberFacts, benefits_for
from sirui.promotions import FullReduction, RepeatingReduction
from sirui.rules.conditions import Always
from sirui.simulate.engine import ROW_COLUMNS, Scenario, final_tiers
from sirui.simulate.inputs import (
    MEMBER_COLUMNS,
    ORDER_COLUMNS,
    OrderRecord,
    Prepared,
    RejectedRow,
    _check_columns,
    _members,
    _order,
    _RowError,
    _text,
    read_table,
)

__all__ = ["Batch", "ColumnarPlan", "columnar_plan", "price_batch", "prepare_batch"]

_NS = 10**9
_LIMIT = 2**62
_CANONICAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"


@attrs.frozen
class ColumnarPlan:
    """What the columnar engine runs for a scenario, resolved once."""

    scenario: Scenario
    promotions: tuple[FullReduction | RepeatingReduction, ...]


def columnar_plan(scenario: Scenario) -> tuple[ColumnarPlan | None, str]:
    """The plan for ``scenario``, or None and why the exact engine must run it."""
    sc = scenario
    if sc.ladder is not None:
        return None, "a tier ladder: tiers move with each order"
    if sc.triggers:
        return None, "coupon triggers: wallets change with each order"
    if sc.commission is not None:
        return None, "commission: targets and tiers depend on a guide's month"
    if sc.shipping is not None:
        return None, "a shipping policy"
    st = sc.stacking
    if st.priorities or st.exclusion_groups or st.exclusive:
        return None, "stacking overrides"
    promos: list[FullReduction | RepeatingReduction] = []
    for p in sc.promotions:
        if type(p) not in (FullReduction, RepeatingReduction):
            return None, f"promotion {p.id}: {type(p).__name__} has no columnar kernel"
        if p.group is not None or p.exclusive or not isinstance(p.condition, Always):
            return None, f"promotion {p.id}: a group, exclusive flag or condition"
        promos.append(p)  # type: ignore[arg-type]
    promos.sort(key=lambda p: (-p.priority, p.id))
    return ColumnarPlan(sc, tuple(promos)), ""


# -- the batch: checked orders as columns ------------------------------------------------


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
    line_order: Any
    """The order (row position above) each line belongs to."""
    line_id: Any
    line_sku: Any
    """Index into ``skus``."""
    quantity: Any
    unit_price: Any
    refund_qty: Any
    skus: tuple[Sku, ...]

    @property
    def orders(self) -> int:
        return len(self.order_id)


def _sku_key(sku: Sku) -> tuple[Any, ...]:
    return (sku.id, sku.price.minor, sku.spu, sku.category, sku.tags, sku.cost)


def batch_from_records(
    records: Sequence[OrderRecord], tiers: Mapping[str, str | None]
) -> Batch:
    """Columns from checked records (any input the exact engine accepts)."""
    sku_index: dict[tuple[Any, ...], int] = {}
    skus: list[Sku] = []
    cols: dict[str, list[Any]] = {
        k: [] for k in ("lo", "lid", "sku", "qty", "price", "rq")
    }
    for i, rec in enumerate(records):
        back = {lid: q for lid, q, _ in rec.refunds}
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
            cols["rq"].append(back.get(ln.id, 0))
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
        line_order=np.array(cols["lo"], dtype=np.int64),
        line_id=np.array(cols["lid"], dtype=object),
        line_sku=np.array(cols["sku"], dtype=np.int64),
        quantity=np.array(cols["qty"], dtype=np.int64),
        unit_price=np.array(cols["price"], dtype=np.int64),
        refund_qty=np.array(cols["rq"], dtype=np.int64),
        skus=tuple(skus),
    )


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
    prod = t * weights
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


def _check_range(*arrays: Any) -> None:
    for a in arrays:
        if len(a) and int(np.abs(a).max()) >= _LIMIT:
            raise OverflowError("amounts too large for the columnar engine")


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


def price_batch(plan: ColumnarPlan, batch: Batch, tz: str = "Asia/Shanghai") -> Any:
    """Result rows (a DataFrame, the exact engine's columns) for ``batch`` under ``plan``."""
    sc = plan.scenario
    n, nl = batch.orders, len(batch.line_order)
    lo = batch.line_order
    amount = batch.unit_price * batch.quantity
    _check_range(amount)
    cur = amount.copy()
    rules = _Codes(n)
    reasons = _Codes(n)
    tier_codes, tier_values = pd.factorize(pd.Series(batch.tier, dtype=object), use_na_sentinel=False)
    tier_codes = np.asarray(tier_codes, dtype=np.int64)
    line_tier = tier_codes[lo]
    mult_by_tier = [Decimal(1)] * len(tier_values)
    member_off = np.zeros(n, dtype=np.int64)
    if sc.benefits is not None:
        num = np.ones((len(tier_values), len(batch.skus)), dtype=np.int64)
        den = np.ones_like(num)
        for t, tier in enumerate(tier_values):
            facts = MemberFacts("-", tier=None if pd.isna(tier) else tier)
            ben = benefits_for(sc.benefits, facts, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            mult_by_tier[t] = ben.points_multiplier
            for s, sku in enumerate(batch.skus):
                rate = ben.rate_for(sku)
                if rate is not None and rate < 1:
                    num[t, s], den[t, s] = _ratio(rate)
        ln_num = num[line_tier, batch.line_sku]
        ln_den = den[line_tier, batch.line_sku]
        _check_range(amount * ln_num)
        rounding = Rounding.HALF_UP
        member_price = _round_div(amount * ln_num, ln_den, rounding)
        off = amount - member_price
        cur = member_price
        member_off = np.bincount(lo, weights=off, minlength=n).astype(np.int64)
        got = np.bincount(lo, weights=off > 0, minlength=n) > 0
        rules.add("member_price", got)
        reasons.add("benefit.member_price", got)
        reasons.add("benefit.no_member_price", ~got)
    id_pos = _positions(lo, batch.line_id)
    promo_off = np.zeros(n, dtype=np.int64)
    for p in plan.promotions:
        in_scope = np.array([p.scope.matches(s) for s in batch.skus], dtype=bool)
        open_ = np.ones(n, dtype=bool)
        if p.window is not None:
            start = _ns(p.window.start)
            end = _ns(p.window.end) if p.window.end is not None else None
            open_ = batch.paid_ns >= start
            if end is not None:
                open_ &= batch.paid_ns < end
            reasons.add("promotion.outside_window", ~open_)
        elig = in_scope[batch.line_sku] & (cur > 0) & open_[lo]
        has = np.bincount(lo, weights=elig, minlength=n) > 0
        reasons.add("promotion.no_eligible_lines", open_ & ~has)
        base = np.bincount(lo, weights=np.where(elig, cur, 0), minlength=n).astype(np.int64)
        if isinstance(p, FullReduction):
            off_o = np.zeros(n, dtype=np.int64)
            for t in p.tiers:
                off_o = np.where(base >= t.threshold.minor, t.off.minor, off_o)
            code = "promotion.full_reduction"
        else:
            times = base // p.every.minor
            off_o = times * p.off.minor
            if p.cap is not None:
                off_o = np.minimum(off_o, p.cap.minor)
            code = "promotion.repeating_reduction"
        applies = open_ & has & (off_o > 0)
        reasons.add("promotion.below_threshold", open_ & has & (off_o == 0))
        rules.add(p.id, applies)
        reasons.add(code, applies)
        total = np.where(applies, np.minimum(off_o, base), 0)
        weights = np.where(elig & applies[lo], cur, 0)
        _check_range(total[lo] * weights)
        share = _allocate(total, weights, lo, id_pos, n)
        cur = cur - share
        promo_off += total
    original = np.bincount(lo, weights=amount, minlength=n).astype(np.int64)
    paid = np.bincount(lo, weights=cur, minlength=n).astype(np.int64)
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
            by_tier = [_ratio(rule.multiplier(_at(0), m) * rule.points_per_yuan) for m in mult_by_tier]
            p_num = np.array([a for a, _ in by_tier], dtype=np.int64)[tier_codes]
            p_den = np.array([b for _, b in by_tier], dtype=np.int64)[tier_codes] * 100
        _check_range(base * p_num, p_den)
        points = _round_div(base * p_num, p_den, rule.rounding)
        for cap in (rule.per_order_cap, rule.daily_cap):
            if cap is not None:
                points = np.minimum(points, cap)
        cart_pos = np.arange(nl) - np.repeat(_starts(np.bincount(lo, minlength=n)), np.bincount(lo, minlength=n))
        line_points = _allocate(points, np.where(earns, cur, 0), lo, cart_pos, n)
    refund = np.zeros(n, dtype=np.int64)
    points_back = np.zeros(n, dtype=np.int64)
    rq = batch.refund_qty
    if rq.any():
        qty = batch.quantity
        back_fen = rq * (cur // qty) + np.minimum(rq, cur % qty)
        back_pts = rq * (line_points // qty) + np.minimum(rq, line_points % qty)
        refund = np.bincount(lo, weights=back_fen, minlength=n).astype(np.int64)
        points_back = np.bincount(lo, weights=back_pts, minlength=n).astype(np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    month = _months(batch.paid_ns, tz)
    frame = pd.DataFrame(
        {
            "order_id": batch.order_id,
            "member_id": batch.member_id,
            "store_id": batch.store_id,
            "guide_id": batch.guide_id,
            "paid_at": batch.paid_at,
            "month": month,
            "tier_before": batch.tier,
            "tier_after": batch.tier,
            "original_fen": original,
            "activity_fen": zeros,
            "member_fen": member_off,
            "promotion_fen": promo_off,
            "coupon_fen": zeros,
            "points_deduction_fen": zeros,
            "shipping_fen": zeros,
            "payable_fen": paid,
            "goods_paid_fen": paid,
            "discount_fen": original - paid,
            "gift_value_fen": zeros,
            "refund_fen": refund,
            "points_earned": points - points_back,
            "points_spent": zeros,
            "coupons_used": zeros,
            "coupons_issued": zeros,
            "commission_fen": zeros,
            "rules": rules.text(),
            "reasons": reasons.text(),
        },
        columns=list(ROW_COLUMNS),
    )
    return frame


def _at(ns: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ns // 1000)


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


def _is_text(s: Any) -> bool:
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return True
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def _text_col(df: Any, col: str) -> Any:
    """``_text`` of every row as an object array (None for missing), or None if not plain text."""
    if col not in df.columns:
        return np.full(len(df), None, dtype=object)
    s = df[col]
    if not _is_text(s):
        return None
    out = s.to_numpy(dtype=object, na_value=None)
    empty = pd.isna(s).to_numpy() | (s == "").fillna(False).to_numpy(dtype=bool)
    out = out.copy()
    out[empty] = None
    return out


def _int_col(df: Any, col: str) -> tuple[Any, Any]:
    """(values, ok): integer values where the row holds a plain non-negative integer."""
    s = df[col]
    if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals = s.to_numpy(dtype=np.int64, na_value=-1) if s.hasnans else s.to_numpy(np.int64)
        return vals, ~pd.isna(s).to_numpy() & (vals >= 0)
    if _is_text(s):
        ok = s.str.fullmatch(r"\d{1,15}").fillna(False).to_numpy(dtype=bool)
        vals = np.zeros(len(s), dtype=np.int64)
        vals[ok] = s[ok].astype(np.int64).to_numpy()
        return vals, ok
    return np.zeros(len(s), dtype=np.int64), np.zeros(len(s), dtype=bool)


def _times(text: Any) -> tuple[Any, Any]:
    """(UTC nanoseconds, ok) for canonical ISO 8601 text with an offset."""
    s = pd.Series(text, dtype=object)
    ok = s.str.fullmatch(_CANONICAL_TIME).fillna(False).to_numpy(dtype=bool).copy()
    ns = np.zeros(len(s), dtype=np.int64)
    if ok.any():
        parsed = pd.to_datetime(s[ok], format="%Y-%m-%dT%H:%M:%S%z", utc=True, errors="coerce")
        good = parsed.notna().to_numpy()
        vals = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        idx = np.flatnonzero(ok)
        ns[idx[good]] = vals[good]
        ok[idx[~good]] = False
    return ns, ok


def _same_as_first(values: Any, first: Any) -> Any:
    return np.array([a == b for a, b in zip(values, first)], dtype=bool)


def prepare_batch(
    orders: Any, members: Any, timezone: str | None = None
) -> tuple[Batch, Prepared]:
    """Check the input like `sirui.simulate.inputs.prepare`, giving columns.

    The `Prepared` returned holds the members and the rejected rows (its
    ``orders`` is empty: they are in the batch). Orders that fail the
    vectorised check are checked by the exact engine's per-order code, so the
    accepted orders and the rejection reasons are the same as ``prepare``'s.
    """
    from sirui.simulate.inputs import BAD_VALUE

    odf = read_table(orders, "orders")
    mdf = read_table(members, "members")
    _check_columns(odf, ORDER_COLUMNS, "orders")
    _check_columns(mdf, MEMBER_COLUMNS, "members")
    member_map, rejected = _members(mdf, timezone)
    tiers = {mid: m.tier for mid, m in member_map.items()}
    odf = odf.reset_index(drop=True)
    n = len(odf)
    oid = _text_col(odf, "order_id")
    text = {c: _text_col(odf, c) for c in (
        "member_id", "sku", "store_id", "guide_id", "share_by", "channel", "fulfillment",
        "line_id", "placed_at", "paid_at", "refunded_at", "spu", "category", "tags",
        "unit_cost_fen", "refunded_quantity",
    )}
    if oid is None or any(v is None for k, v in text.items() if k not in (
        "unit_cost_fen", "refunded_quantity"
    )):
        # Not plain text columns: every order takes the exact checks.
        from sirui.simulate.inputs import prepare

        prep = prepare(odf, mdf, timezone)
        return batch_from_records(prep.orders, tiers), attrs.evolve(prep, orders=())
    no_oid = np.array([v is None for v in oid], dtype=bool)
    for _ in np.flatnonzero(no_oid):
        rejected.append(
            RejectedRow("orders", "?", BAD_VALUE(column="order_id", value="(empty)", expected="text"))
        )
    keep = np.flatnonzero(~no_oid)
    codes_all, uniques = pd.factorize(pd.Series(oid[keep], dtype=object))
    codes = np.asarray(codes_all, dtype=np.int64)
    n_orders = len(uniques)
    bad = np.zeros(len(keep), dtype=bool)
    # Row-level checks.
    qty, ok_q = _int_col(odf, "quantity")
    price, ok_p = _int_col(odf, "unit_price_fen")
    bad |= ~(ok_q & ok_p)[keep] | (qty[keep] < 1)
    if "unit_cost_fen" in odf.columns:
        cost_raw = odf["unit_cost_fen"]
        cost, ok_c = _int_col(odf, "unit_cost_fen")
        missing = pd.isna(cost_raw).to_numpy() | (cost_raw.astype(str) == "").to_numpy()
        bad |= ~(ok_c | missing)[keep]
        cost_opt = np.where(missing, -1, cost)
    else:
        cost_opt = np.full(n, -1, dtype=np.int64)
    if "refunded_quantity" in odf.columns:
        rq_raw = odf["refunded_quantity"]
        rq, ok_r = _int_col(odf, "refunded_quantity")
        missing = pd.isna(rq_raw).to_numpy() | (rq_raw.astype(str) == "").to_numpy()
        rq = np.where(missing, 0, rq)
        bad |= ~(ok_r | missing)[keep] | (rq > qty)[keep]
    else:
        rq = np.zeros(n, dtype=np.int64)
    paid_ns, ok_paid = _times(text["paid_at"])
    bad |= ~ok_paid[keep]
    placed = text["placed_at"]
    _, ok_placed = _times(placed)
    bad |= ~(ok_placed | np.array([v is None for v in placed], dtype=bool))[keep]
    ref_ns, ok_ref = _times(text["refunded_at"])
    no_ref_at = np.array([v is None for v in text["refunded_at"]], dtype=bool)
    ref_ns = np.where(no_ref_at, paid_ns, ref_ns)
    bad |= ((rq > 0) & ~(ok_ref | no_ref_at))[keep] | ((rq > 0) & (ref_ns < paid_ns))[keep]
    bad |= np.array([v is None for v in text["sku"]], dtype=bool)[keep]
    ful = text["fulfillment"]
    bad |= ~np.array([v is None or v in ("delivery", "pickup") for v in ful], dtype=bool)[keep]
    # Order-level checks: one header per order, known member, line ids.
    first_of = np.unique(codes, return_index=True)[1]
    first_row = keep[first_of[codes]]
    for col in ("member_id", "paid_at", "store_id"):
        vals = text[col]
        bad |= ~_same_as_first(vals[keep], vals[first_row])
    bad |= ~np.array([v in member_map for v in text["member_id"][keep]], dtype=bool)
    lid = text["line_id"][keep]
    lid_missing = np.array([v is None for v in lid], dtype=bool)
    per_order_missing = np.bincount(codes, weights=lid_missing, minlength=n_orders)
    per_order_rows = np.bincount(codes, minlength=n_orders)
    mixed = (per_order_missing > 0) & (per_order_missing < per_order_rows)
    dup = pd.DataFrame({"c": codes, "l": lid}).duplicated().to_numpy() & ~lid_missing
    bad |= mixed[codes] | dup
    bad_order = np.bincount(codes, weights=bad, minlength=n_orders) > 0
    # The exact checks for every order that failed a vectorised one.
    slow_records: list[OrderRecord] = []
    if bad_order.any():
        from sirui.simulate.inputs import _records

        sub = odf.iloc[keep[bad_order[codes]]]
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in _records(sub):
            groups.setdefault(str(_text(r.get("order_id"))), []).append(r)
        skus_cache: dict[tuple[Any, ...], Sku] = {}
        for o, rows in groups.items():
            try:
                slow_records.append(_order(o, rows, member_map, skus_cache, timezone))
            except _RowError as exc:
                rejected.append(RejectedRow("orders", o, exc.reason))
            except (ValueError, TypeError) as exc:
                col = str(exc) if str(exc) in ORDER_COLUMNS else "row"
                expected = ORDER_COLUMNS[col][0] if col in ORDER_COLUMNS else "see the column table"
                rejected.append(
                    RejectedRow(
                        "orders", o, BAD_VALUE(column=col, value=str(exc)[:80], expected=expected)
                    )
                )
    rows = keep[~bad_order[codes]]
    good_codes = codes[~bad_order[codes]]
    fast = _fast_batch(odf, rows, good_codes, text, qty, price, cost_opt, rq, paid_ns, tiers)
    slow = batch_from_records(slow_records, tiers)
    prepared = Prepared(member_map, (), tuple(rejected))
    return _sorted(_concat(fast, slow)), prepared


def _fast_batch(
    odf: Any, rows: Any, codes: Any, text: Mapping[str, Any], qty: Any, price: Any,
    cost: Any, rq: Any, paid_ns: Any, tiers: Mapping[str, str | None],
) -> Batch:
    """Columns for rows that passed every vectorised check (grouped by order code)."""
    from sirui.core.money import Money

    order = np.argsort(codes, kind="stable")
    rows = rows[order]
    codes = codes[order]
    uniq, first, counts = np.unique(codes, return_index=True, return_counts=True)
    head = rows[first]
    lo = np.repeat(np.arange(len(uniq)), counts)
    lid = text["line_id"][rows]
    missing = np.array([v is None for v in lid], dtype=bool)
    if missing.any():
        within = np.arange(len(rows)) - np.repeat(first, counts) + 1
        lid = lid.copy()
        lid[missing] = within[missing].astype(str).astype(object)
    key = pd.DataFrame({
        "sku": text["sku"][rows], "price": price[rows], "cost": cost[rows],
        "category": text["category"][rows], "tags": text["tags"][rows], "spu": text["spu"][rows],
    })
    sku_codes, _ = pd.factorize(pd.MultiIndex.from_frame(key.fillna({"category": "", "tags": "", "spu": ""})))
    first_of = np.unique(sku_codes, return_index=True)[1]
    skus = []
    names = _text_col(odf, "name") if "name" in odf.columns else None
    for i in first_of.tolist():
        r = int(rows[i])
        tags = frozenset(t for t in (text["tags"][r] or "").split(";") if t)
        name = names[r] if names is not None else None
        skus.append(
            Sku(
                str(text["sku"][r]),
                Money(int(price[r])),
                spu=text["spu"][r],
                category=text["category"][r] or (),
                tags=tags,
                cost=Money(int(cost[r])) if cost[r] >= 0 else None,
                name=name or "",
            )
        )
    share = text["share_by"][head]
    guide = text["guide_id"][head]
    member = text["member_id"][head]
    return Batch(
        order_id=np.asarray(odf["order_id"].to_numpy(dtype=object)[head], dtype=object),
        member_id=member,
        store_id=text["store_id"][head],
        guide_id=np.where(np.array([s is not None for s in share], dtype=bool), share, guide),
        paid_at=text["paid_at"][head],
        paid_ns=paid_ns[head],
        tier=np.array([tiers.get(m) for m in member], dtype=object),
        line_order=lo.astype(np.int64),
        line_id=lid,
        line_sku=np.asarray(sku_codes, dtype=np.int64),
        quantity=qty[rows],
        unit_price=price[rows],
        refund_qty=rq[rows],
        skus=tuple(skus),
    )


_ORDER_FIELDS = ("order_id", "member_id", "store_id", "guide_id", "paid_at", "paid_ns", "tier")
_LINE_FIELDS = ("line_id", "line_sku", "quantity", "unit_price", "refund_qty")


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
