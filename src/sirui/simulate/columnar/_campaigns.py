"""Campaign prices on the columnar engine: seckill and group seats, as their price steps run.

The campaigns themselves are replayed once over the history
(`sirui.simulate.campaigns.replay_campaigns`); here the batch drops the
orders that did not happen and prices the accepted units in the activity
stage, after the activity promotions, as `SeckillPriceStep` and
`GroupBuyPriceStep` do: a seckill's units go to the order's lines of the
SKU in line-id order, skipping lines an activity already priced, each unit
at most its list price less the seckill price; a group seat's line comes
down to the seat's price times its quantity. Lines priced are closed to
coupons when the campaign says so.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from sirui.campaigns.groupbuy._pricing import GROUP_PRICE
from sirui.campaigns.seckill._pricing import NO_RESERVATION, PRICED
from sirui.simulate.columnar._arith import _Codes, _times_checked
from sirui.simulate.columnar._batch import Batch, _take


def with_campaigns(batch: Batch, replay: Any) -> tuple[Batch, Any, Any]:
    """The batch without the orders that did not happen, its lines marked with their campaign
    price; and the positions (in ``batch``) of the orders kept and of the orders lost."""
    n = batch.orders
    ids = batch.order_id.tolist()
    lost = np.array([oid in replay.lost for oid in ids], dtype=bool)
    kept = np.flatnonzero(~lost)
    out, _ = _take(batch, kept)
    nl = len(out.line_order)
    ref = np.full(nl, -1, dtype=np.int64)
    units = np.zeros(nl, dtype=np.int64)
    price = np.zeros(nl, dtype=np.int64)
    if replay.seckill or replay.group:
        oids = out.order_id[out.line_order].tolist()
        skus = [out.skus[k].id for k in out.line_sku.tolist()]
        lids = out.line_id.tolist()
        for i, (oid, sku, lid) in enumerate(zip(oids, skus, lids, strict=True)):
            hit = replay.group.get((oid, lid))
            if hit is not None:
                ref[i], price[i] = hit
                continue
            sold = replay.seckill.get((oid, sku))
            if sold is not None:
                ref[i], units[i], price[i] = sold
    del n
    return (
        attrs.evolve(
            out, campaign_ref=ref, campaign_units=units, campaign_price=price,
            offers=tuple(replay.offers),
        ),
        kept,
        np.flatnonzero(lost),
    )


def campaign_prices(
    batch: Batch, cur: Any, id_pos: Any, *, priced: Any, closed: Any, codes: tuple[_Codes, _Codes]
) -> tuple[Any, Any]:
    """The campaigns' activity prices: new line amounts and what they took off each order.

    ``priced``: lines an activity promotion already priced (a seckill leaves
    them alone); ``closed`` (changed in place, or None) receives the lines
    closed to coupons.
    """
    n, lo = batch.orders, batch.line_order
    off = np.zeros(n, dtype=np.int64)
    ref = batch.campaign_ref
    if ref is None or not (ref >= 0).any():
        return cur, off
    rules, reasons = codes
    cur = cur.copy()
    for k, offer in enumerate(batch.offers):
        mine = ref == k
        if not mine.any():
            continue
        if offer.kind == "seckill":
            share, allocated = _seckill(batch, cur, id_pos, mine & ~priced)
            has_step = np.bincount(lo, weights=mine, minlength=n) > 0
            got = np.bincount(lo, weights=allocated, minlength=n) > 0
            rules.add(offer.rule, got)
            reasons.add(PRICED.code, got)
            reasons.add(NO_RESERVATION.code, has_step & ~got)
        else:
            target = _times_checked(batch.campaign_price, batch.quantity)
            share = np.where(mine, np.maximum(cur - target, 0), 0)
            allocated = share > 0
            got = np.bincount(lo, weights=allocated, minlength=n) > 0
            rules.add(offer.rule, got)
            reasons.add(GROUP_PRICE.code, got)
        if closed is not None and offer.closes_coupons:
            closed |= allocated
        cur = cur - share
        off = off + np.bincount(lo, weights=share, minlength=n).astype(np.int64)
    return cur, off


def _seckill(batch: Batch, cur: Any, id_pos: Any, open_: Any) -> tuple[Any, Any]:
    """`SeckillPriceStep` on the lines ``open_`` to it: the share off each line, and the lines
    its units went to (by SKU, in line-id order, lines with nothing left to take skipped)."""
    lo, qty = batch.line_order, batch.quantity
    eligible = open_ & (cur > 0)
    lines = np.flatnonzero(eligible)
    share = np.zeros(len(lo), dtype=np.int64)
    allocated = np.zeros(len(lo), dtype=bool)
    if not len(lines):
        return share, allocated
    # Units per (order, SKU) are taken line by line in id order.
    order = np.lexsort((id_pos[lines], batch.line_sku[lines], lo[lines]))
    at = lines[order]
    key = lo[at] * (len(batch.skus) + 1) + batch.line_sku[at]
    taken = qty[at]
    cum = np.cumsum(taken)
    starts = np.r_[True, key[1:] != key[:-1]]
    base = np.maximum.accumulate(np.where(starts, cum - taken, 0))
    before = cum - taken - base
    n = np.clip(batch.campaign_units[at] - before, 0, taken)
    per_unit = np.maximum(batch.unit_price[at] - batch.campaign_price[at], 0)
    share[at] = np.minimum(_times_checked(per_unit, n), cur[at])
    allocated[at] = n > 0
    return share, allocated
