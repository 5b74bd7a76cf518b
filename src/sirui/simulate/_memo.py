"""Memoised pricing for replays: the same basket, member facts and moment price the same.

A quote is a pure function of the cart, the time and the policies, so a
replay may reuse it for another order whose inputs the policies cannot tell
apart. What the policies can see of an order is decided conservatively:

* the lines (ids, SKUs, quantities, prices) and the fulfillment; the store
  and the channel only when a `StoreIn` or `ChannelIn` condition reads them;
* the member's tier, new-customer flag, and those of their tags that a
  `HasTag` condition in the policies names (the only rule that reads them);
* the coupons available (their ids: a wallet's coupons are its own);
* the *time signature*: for every window, daily slot, member day and member
  week found anywhere inside the scenario's pricing policies, whether ``now``
  falls in it.

If the walk finds a time-bearing value it does not know how to sign (a
datetime outside a `Window`, a time of day outside a `DailySlot`), the memo
turns itself off and every order is priced afresh. Hits and misses are
counted so a report can say how much was reused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from sirui.core.windows import DailySlot, MemberDay, MemberWeek, Validity, Window
from sirui.rules.conditions import ChannelIn, HasTag, StoreIn

__all__ = ["PriceMemo", "time_signature"]

_SIGNED = (Window, DailySlot, MemberDay, MemberWeek, HasTag, StoreIn, ChannelIn)
_READERS = (HasTag, StoreIn, ChannelIn)


def _walk(obj: Any, found: list[Any], seen: set[int]) -> bool:
    """Collect signed time values under ``obj``; False if an unsigned one is met."""
    if id(obj) in seen:
        return True
    seen.add(id(obj))
    if isinstance(obj, _SIGNED):
        found.append(obj)
        return True
    if isinstance(obj, Validity):
        # Coupon validity is checked against the claim, and coupons are in the key.
        return True
    if isinstance(obj, dt.datetime | dt.date | dt.time):
        return False
    if isinstance(obj, str | int | float | bytes | bool) or obj is None:
        return True
    if isinstance(obj, dict):
        return all(_walk(v, found, seen) for v in obj.values())
    if isinstance(obj, list | tuple | frozenset | set):
        return all(_walk(v, found, seen) for v in obj)
    if attrs.has(type(obj)):
        return all(
            _walk(getattr(obj, a.name), found, seen) for a in attrs.fields(type(obj)) if a.init
        )
    # Money, Decimal, enums and other plain values carry no time.
    return True


def _found(policies: Iterable[Any]) -> list[Any] | None:
    found: list[Any] = []
    seen: set[int] = set()
    if not all(_walk(p, found, seen) for p in policies):
        return None
    return found


def time_signature(policies: Iterable[Any]) -> Callable[[Any], tuple[bool, ...]] | None:
    """A function of ``now`` telling every time rule apart, or None if some cannot be."""
    walked = _found(policies)
    if walked is None:
        return None
    found = [f for f in walked if not isinstance(f, _READERS)]

    def sign(now: Any) -> tuple[bool, ...]:
        out = []
        for f in found:
            if isinstance(f, MemberDay):
                out.append(f.is_member_day(now))
            else:
                out.append(f.contains(now))
        return tuple(out)

    return sign


class PriceMemo:
    """A bounded cache of priced results keyed by what the policies can see."""

    def __init__(self, policies: Iterable[Any], size: int = 50_000) -> None:
        policies = tuple(policies)
        self.sign = time_signature(policies)
        walked = _found(policies) or ()
        self.tags = frozenset(f.tag for f in walked if isinstance(f, HasTag))
        self.by_store = any(isinstance(f, StoreIn) for f in walked)
        self.by_channel = any(isinstance(f, ChannelIn) for f in walked)
        self.size = size
        self.cache: dict[Any, Any] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.sign is not None

    def key(self, cart: Any, now: Any, coupons: Iterable[Any]) -> Any:
        if self.sign is None or self.size == 0:
            return None
        m = cart.member
        lines = tuple((ln.id, ln.quantity, ln.unit_price.minor, ln.sku) for ln in cart.lines)
        return (
            lines,
            m.tier,
            m.is_new_customer,
            m.tags & self.tags,
            cart.store if self.by_store else None,
            cart.channel if self.by_channel else None,
            cart.fulfillment,
            tuple(c.id for c in coupons),
            self.sign(now),
        )

    def get(self, key: Any) -> Any:
        if key is None:
            return None
        found = self.cache.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: Any, value: Any) -> None:
        if key is None:
            return
        if len(self.cache) >= self.size:
            self.cache.clear()
        self.cache[key] = value
