"""Bucketed stock (分段库存): split one item's stock over N counters, move leftovers.

Each bucket is an ordinary `StockCounter` with its own key, so a host can
put each behind its own lock (or Redis key) and spread a hot item's load.
Every bucket keeps ``sold + reserved + held <= stock`` by itself, and
buckets only ever trade *available* units, so the item as a whole can
never oversell: the sum of ``stock`` over its buckets is constant.
"""

from __future__ import annotations

import zlib

import attrs

from sirui.campaigns.seckill._messages import StockRebalanced
from sirui.campaigns.seckill._stock import NOTHING_TO_MOVE, StockCounter
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.validators import non_empty_id, opt_positive_int
from sirui.rules.outcome import Accepted, Rejected

__all__ = ["Rebalance", "bucket_for", "rebalance", "split_stock"]


def split_stock(slot_key: str, sku: str, stock: int, buckets: int) -> tuple[StockCounter, ...]:
    """Split ``stock`` into ``buckets`` counters as evenly as possible (分段库存).

    >>> tuple(c.stock for c in split_stock("c1/s10", "A1", 10, 3))
    (4, 3, 3)
    """
    if type(buckets) is not int or buckets < 1:
        raise invalid("buckets", buckets, "must be an int >= 1")
    if type(stock) is not int or stock < 0:
        raise invalid("stock", stock, "must be an int >= 0")
    parts = [stock // buckets + (1 if i < stock % buckets else 0) for i in range(buckets)]
    return tuple(StockCounter(slot_key, sku, p, bucket=i) for i, p in enumerate(parts))


def bucket_for(member_id: str, buckets: int) -> int:
    """A stable bucket for a member (CRC-32 of the id), so one member hits one key."""
    if type(buckets) is not int or buckets < 1:
        raise invalid("buckets", buckets, "must be an int >= 1")
    return zlib.crc32(member_id.encode("utf-8")) % buckets


@attrs.frozen(slots=True)
class Rebalance:
    """Move up to ``quantity`` available units (all of them if None) between buckets."""

    id: str = attrs.field(validator=non_empty_id)
    quantity: int | None = attrs.field(default=None, validator=opt_positive_int)


def rebalance(
    source: StockCounter, target: StockCounter, command: Rebalance
) -> Accepted[tuple[StockCounter, StockCounter]] | Rejected[tuple[StockCounter, StockCounter]]:
    """Move leftover (available) stock from ``source`` to ``target``.

    Only available units move, so neither bucket can oversell; the sum of
    ``stock`` is unchanged. Units arriving in a bucket with a waiting list
    are held for it first. Idempotent by ``command.id``: both counters
    remember the last rebalance they took part in.
    """
    if (source.slot_key, source.sku) != (target.slot_key, target.sku):
        raise InvalidCommandError(
            f"target={target.key!r}: buckets of different items ({source.key!r}) cannot trade stock"
        )
    if source.bucket == target.bucket:
        raise InvalidCommandError(f"target={target.key!r}: source and target are the same bucket")
    pair = (source, target)
    seen = (source.last_rebalance_id == command.id, target.last_rebalance_id == command.id)
    if all(seen):
        ev = StockRebalanced(command.id, source.slot_key, source.sku, source.bucket,
                             target.bucket, source.last_rebalance_quantity)
        return Accepted(pair, (ev,))
    if any(seen):
        raise InvalidCommandError(
            f"rebalance id={command.id!r} was applied to one bucket only; persist both "
            "counters in one atomic step"
        )
    n = source.available if command.quantity is None else min(command.quantity, source.available)
    if n == 0:
        return Rejected(NOTHING_TO_MOVE(), pair)
    tag = (command.id, n)
    s = source._with(source.stock - n, source.reserved, source.sold, source.waiting,
                     source.held, source.tickets, tag)
    to_list = min(n, target.waiting - target.held)
    t = target._with(target.stock + n, target.reserved, target.sold, target.waiting,
                     target.held + to_list, target.tickets, tag)
    ev = StockRebalanced(command.id, source.slot_key, source.sku, source.bucket, target.bucket, n)
    return Accepted((s, t), (ev,))
