"""Checked orders as columns (`Batch`), built from records, merged and sorted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pendulum

from sirui.core.nouns import Sku
from sirui.core.windows import DateTime
from sirui.simulate.inputs import OrderRecord

_NS = 10**9


@attrs.frozen
class MemberInfo:
    """What the columnar engine reads of the accepted members, by member id."""

    tiers: dict[str, str | None]
    paid_before: dict[str, int] = attrs.Factory(dict)
    tags: dict[str, frozenset[str]] = attrs.Factory(dict)
    guides: dict[str, str | None] = attrs.Factory(dict)
    """Each member's exclusive guide (专属导购), if any."""
    joined: dict[str, int | None] = attrs.Factory(dict)
    """When each member joined (nanoseconds since the epoch), if known."""

    @classmethod
    def of(cls, members: Mapping[str, Any]) -> MemberInfo:
        """From checked `Member` values (``prepare(...).members``)."""
        return cls(
            {k: m.tier for k, m in members.items()},
            {k: m.paid_orders for k, m in members.items()},
            {k: m.tags for k, m in members.items()},
            {k: m.guide for k, m in members.items()},
            {k: None if m.joined_at is None else _ns(m.joined_at) for k, m in members.items()},
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
            "joined_ns": _objects_of([self.joined.get(k) for k in keys])[at],
        }

    def update(self, other: MemberInfo) -> None:
        self.tiers.update(other.tiers)
        self.paid_before.update(other.paid_before)
        self.tags.update(other.tags)
        self.guides.update(other.guides)
        self.joined.update(other.joined)


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
    paid_zoned: Any
    """The payment time as a DateTime where it carries a named zone (``None`` otherwise),
    so days after a payment (复购激励) are counted on the zone's calendar."""
    joined_ns: Any
    """When the member joined (nanoseconds since the epoch, int), or None."""
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
    campaign_ref: Any = None
    """Per line, the index in ``offers`` of the campaign price it gets (-1: none); None
    when no campaign runs (see `with_campaigns`)."""
    campaign_units: Any = None
    """Per line: a seckill's units sold for the line's SKU in its order (pooled over the
    order's lines of that SKU)."""
    campaign_price: Any = None
    """Per line: the seckill price, or the group seat's unit price, in fen."""
    offers: tuple[Any, ...] = ()
    """The campaign prices (`sirui.simulate.campaigns.Offer`) the lines refer to."""

    @property
    def orders(self) -> int:
        return len(self.order_id)


def _sku_key(sku: Sku) -> tuple[Any, ...]:
    return (sku.id, sku.price.minor, sku.spu, sku.category, sku.tags, sku.cost)


def batch_from_records(records: Sequence[OrderRecord], members: MemberInfo) -> Batch:
    """Columns from checked records (any input the exact engine accepts)."""
    tiers, before, tags, guides = members.tiers, members.paid_before, members.tags, members.guides
    joined = members.joined
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
        paid_zoned=_objects_of([_zoned(r.paid_at) for r in records]),
        joined_ns=_objects_of([joined.get(r.member_id) for r in records]),
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
    return None if tz is None or isinstance(tz, dt.timezone | pendulum.FixedTimezone) else at


def _objects_of(values: Sequence[Any]) -> Any:
    """An object array holding ``values`` as they are (frozensets stay whole)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _ns(at: dt.datetime) -> int:
    delta = at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1000


def _at(ns: int) -> DateTime:
    """The instant ``ns`` (nanoseconds since the epoch) as a UTC pendulum DateTime."""
    seconds, micro = divmod(ns // 1000, 1_000_000)
    d = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return pendulum.DateTime(
        d.year, d.month, d.day, d.hour, d.minute, d.second, micro, tzinfo=pendulum.UTC
    )


_ORDER_FIELDS = (
    "order_id", "member_id", "store_id", "guide_id", "paid_at", "paid_ns", "tier", "paid_before",
    "tags", "channel", "fulfillment", "share_by", "guide", "member_guide", "placed_ns",
    "placed_at", "paid_zoned", "joined_ns",
)


_LINE_FIELDS = ("line_id", "line_sku", "quantity", "unit_price", "refund_qty", "refund_ns")
_CAMPAIGN_FIELDS = ("campaign_ref", "campaign_units", "campaign_price")


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


def _take(b: Batch, orders: Any) -> tuple[Batch, Any]:
    """The batch of ``orders`` (ascending positions) and the positions of their lines."""
    keep = np.zeros(b.orders, dtype=bool)
    keep[orders] = True
    lines = np.flatnonzero(keep[b.line_order])
    renumber = np.cumsum(keep) - 1
    fields: dict[str, Any] = {f: getattr(b, f)[orders] for f in _ORDER_FIELDS}
    fields.update({f: getattr(b, f)[lines] for f in _LINE_FIELDS})
    fields["line_order"] = renumber[b.line_order[lines]]
    if b.campaign_ref is not None:
        fields.update({f: getattr(b, f)[lines] for f in _CAMPAIGN_FIELDS})
    return Batch(**fields, skus=b.skus, offers=b.offers), lines
