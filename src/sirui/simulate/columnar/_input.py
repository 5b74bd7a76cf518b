"""Reading orders and members into a batch: vectorised checks, exact checks for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sirui.core.money import MAX_MINOR
from sirui.core.nouns import Sku
from sirui.simulate.columnar._batch import Batch, MemberInfo, _concat, _sorted, batch_from_records
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

_CANONICAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"


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
        # the exact reader's range (years 2 to 9998 as written): outside it the exact checks
        # decide, whatever range this pandas version's timestamps reach
        year = np.zeros(len(s), dtype=np.int64)
        year[ok] = s[ok].str.slice(0, 4).astype(np.int64).to_numpy()
        ok &= (year > 1) & (year < 9999)
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
    joined_ns = np.zeros(n, dtype=np.int64)
    joined_ok = np.zeros(n, dtype=bool)
    if "joined_at" in mdf.columns:
        joined = mdf["joined_at"]
        joined_ns, joined_ok = _times(joined)
        slow |= ~(joined_ok | _missing(joined))
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
        dict(zip(keys, _tag_sets(tag_text))),
        dict(zip(keys, list(guide))),
        dict(zip(keys, [
            int(v) if ok else None
            for v, ok in zip(joined_ns[fast].tolist(), joined_ok[fast].tolist())
        ])),
    )
    if not slow.any():
        return info, []
    found, doubted = _members(mdf[slow], tz)
    info.update(MemberInfo.of(found))
    return info, doubted


def _tag_sets(texts: Any) -> list[frozenset[str]]:
    """Each ``;``-separated tags text as a frozenset (members share few distinct texts)."""
    seen: dict[Any, frozenset[str]] = {}
    out = []
    for v in texts:
        tags = seen.get(v)
        if tags is None:
            tags = seen[v] = frozenset(t for t in (v or "").split(";") if t)
        out.append(tags)
    return out


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
        # Renumber after each column so the combined key stays below rows x values.
        key = np.asarray(pd.factorize(key * (int(part.max()) + 2) + part + 1)[0], np.int64)
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
        paid_zoned=np.full(len(head), None, dtype=object),
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
