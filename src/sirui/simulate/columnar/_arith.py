"""Exact integer arithmetic on columns: rounding, largest-remainder allocation, codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from sirui.core.money import Rounding
from sirui.simulate.columnar._batch import _ns

_LIMIT = 2**62


_FLOAT_EXACT = 2**52


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
    # Only the groups with fen left over need their lines ranked by remainder.
    lines = np.flatnonzero(left[group] > 0)
    sub = group[lines]
    order = _by_remainder(sub, rem[lines], position[lines], n_groups)
    counts = np.bincount(sub, minlength=n_groups)
    rank = np.empty(len(lines), dtype=np.int64)
    rank[order] = np.arange(len(lines)) - np.repeat(_starts(counts), counts)
    out = parts.copy()
    out[lines] += rank < left[sub]
    return out


def _by_remainder(group: Any, rem: Any, position: Any, n_groups: int) -> Any:
    """The lines' order by group, remainder (largest first), then position: what
    ``np.lexsort((position, -rem, group))`` gives, as one stable sort of a combined
    int64 key when the three fit in one (several times faster), else that lexsort."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    rspan, pspan = int(rem.max()) + 1, int(position.max()) + 1
    if int(rem.min()) >= 0 and int(position.min()) >= 0 and n_groups * rspan * pspan < 2**62:
        return np.argsort((group * rspan + (rspan - 1 - rem)) * pspan + position, kind="stable")
    return np.lexsort((position, -rem, group))


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
        names = sorted(self.names)
        bits = [self.bits[self.names.index(name)] for name in names]
        # Each order's set of names as 62-bit words, one word per 62 names.
        words = []
        for start in range(0, len(bits), 62):
            word = np.zeros(self.n, dtype=np.int64)
            for k, b in enumerate(bits[start : start + 62]):
                word |= b.astype(np.int64) << k
            words.append(word)
        which = (
            pd.factorize(words[0])[0] if len(words) == 1
            else pd.MultiIndex.from_arrays(words).factorize()[0]
        )
        _, first = np.unique(which, return_index=True)
        text = np.array(
            [";".join(nm for nm, b in zip(names, bits) if b[i]) for i in first.tolist()],
            dtype=object,
        )
        return text[which]


def _units_back(amount: Any, returned: Any, quantity: Any) -> Any:
    """The share of ``amount`` the first ``returned`` of ``quantity`` units carry (exact)."""
    return returned * (amount // quantity) + np.minimum(returned, amount % quantity)


def _within(window: Any, paid_ns: Any) -> Any:
    """``window.contains`` per order: ``[start, end)``."""
    inside = paid_ns >= _ns(window.start)
    if window.end is not None:
        inside &= paid_ns < _ns(window.end)
    return inside


def _cumcount(keys: Any) -> Any:
    """How many earlier rows share each row's key (rows in time order)."""
    return pd.Series(keys, dtype=object).groupby(keys).cumcount().to_numpy(dtype=np.int64)


def _positions(group: Any, ids: Any) -> Any:
    """Each line's rank by id (string order) within its group."""
    frame = pd.DataFrame({"g": group, "id": ids, "i": np.arange(len(group))})
    frame = frame.sort_values(["g", "id"], kind="stable")
    pos = np.empty(len(group), dtype=np.int64)
    counts = np.bincount(group, minlength=int(group.max()) + 1 if len(group) else 0)
    pos[frame["i"].to_numpy()] = np.arange(len(group)) - np.repeat(_starts(counts), counts)
    return pos


def _local(ns: Any, tz: str) -> Any:
    """The instants ``ns`` (nanoseconds since the epoch) as a DatetimeIndex in zone ``tz``."""
    utc = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))
    return utc.tz_localize("UTC").tz_convert(tz)


def _local_days(ns: Any, tz: str) -> Any:
    """Each instant's local date in ``tz`` as an int ``YYYYMMDD``."""
    local = _local(ns, tz)
    return (
        np.asarray(local.year, dtype=np.int64) * 10_000
        + np.asarray(local.month, dtype=np.int64) * 100
        + np.asarray(local.day, dtype=np.int64)
    )


def _months(paid_ns: Any, tz: str) -> Any:
    local = _local(paid_ns, tz)
    ym = np.asarray(local.year, dtype=np.int64) * 100 + np.asarray(local.month, dtype=np.int64)
    uniq, inv = np.unique(ym, return_inverse=True)
    names = np.array([f"{v // 100:04d}-{v % 100:02d}" for v in uniq.tolist()], dtype=object)
    return names[inv]
