"""Promotion conditions evaluated as columns, with the first failing reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pandas as pd

from sirui.rules.conditions import (
    BELOW_AMOUNT,
    BELOW_QUANTITY,
    CATEGORY_NOT_IN,
    CHANNEL_NOT_IN,
    EXCLUDED,
    NOT_MEMBER_DAY,
    NOT_MEMBER_WEEK,
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
    InMemberWeek,
    NewCustomer,
    Not,
    OnMemberDay,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    WithinWindow,
)
from sirui.simulate.columnar._arith import _local_days, _within
from sirui.simulate.columnar._batch import Batch, _at

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
    OnMemberDay: NOT_MEMBER_DAY.code,
    InMemberWeek: NOT_MEMBER_WEEK.code,
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


def _evaluate(c: Condition, f: _Facts) -> tuple[Any, Any]:  # noqa: C901 - a branch per leaf kind
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
    elif isinstance(c, OnMemberDay):
        ok = _by_local_date(b.paid_ns, c.day.tz, c.day.is_member_day)
    elif isinstance(c, InMemberWeek):
        ok = _by_local_date(b.paid_ns, c.week.tz, c.week.contains)
    else:
        assert isinstance(c, WithinWindow)
        ok = _within(c.window, b.paid_ns)
    return ok, np.where(ok, 0, _CODES.index(_LEAF_CODES[type(c)]))


def _by_local_date(paid_ns: Any, tz: str, test: Callable[[Any], bool]) -> Any:
    """``test`` per order, for a test that reads only the local date in ``tz``.

    Asked once per distinct date (a quarter has about ninety), with one of
    that date's own payment times.
    """
    key = _local_days(paid_ns, tz)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    answers = np.array([test(_at(int(paid_ns[i]))) for i in first.tolist()], dtype=bool)
    return answers[np.asarray(inverse).reshape(-1)]
