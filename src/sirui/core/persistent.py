"""Small persistent (copy-on-write) collections for the hot paths of the ledgers.

A frozen state cannot mutate, and copying a 10,000-entry dict or tuple for
every command would make each command O(n). These two structures copy only
a small part per update:

* `PMap`: a map split by key hash into 64 x 64 leaves; ``set`` copies one
  leaf dict and two 64-slot tuples, whatever the size.
* `SortedRun`: a sequence of items sorted by an ``(int, int)`` key, held in
  chunks of 128 to 256 items with per-chunk sums and suffix sums of a weight, so
  "sum of weights from the first key above t" and "take from the front,
  starting at key t" cost O(log n + chunk) plus O(n / 64) tuple pointers,
  never a Python loop over every item.

Both compare by content, so two states built by different histories with the
same content are equal.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Generic, Protocol, TypeVar

__all__ = ["PMap", "SortedRun"]

K = TypeVar("K")
V = TypeVar("V")

_FAN = 64
_EMPTY_MID: tuple[dict[object, object] | None, ...] = (None,) * _FAN


class PMap(Generic[K, V]):
    """A persistent map: ``set`` returns a new map and leaves this one untouched."""

    __slots__ = ("_len", "_root")

    _root: tuple[tuple[dict[K, V] | None, ...] | None, ...]
    _len: int

    def __init__(self) -> None:
        self._root = (None,) * _FAN
        self._len = 0

    @classmethod
    def from_items(cls, items: Iterable[tuple[K, V]]) -> PMap[K, V]:
        """A map of ``items`` built in one pass (a later duplicate key wins).

        What loading a stored state uses: O(n), with no copy per key.
        """
        mids: list[list[dict[K, V] | None] | None] = [None] * _FAN
        for key, value in items:
            h = hash(key)
            hi, lo = (h >> 6) & 63, h & 63
            mid = mids[hi]
            if mid is None:
                mid = mids[hi] = [None] * _FAN
            leaf = mid[lo]
            if leaf is None:
                leaf = mid[lo] = {}
            leaf[key] = value
        out: PMap[K, V] = PMap.__new__(PMap)
        out._root = tuple(None if m is None else tuple(m) for m in mids)
        out._len = sum(len(leaf) for m in mids if m is not None for leaf in m if leaf)
        return out

    def get(self, key: K, default: V | None = None) -> V | None:
        h = hash(key)
        mid = self._root[(h >> 6) & 63]
        if mid is None:
            return default
        leaf = mid[h & 63]
        if leaf is None:
            return default
        return leaf.get(key, default)

    def __contains__(self, key: object) -> bool:
        h = hash(key)
        mid = self._root[(h >> 6) & 63]
        leaf = None if mid is None else mid[h & 63]
        return leaf is not None and key in leaf

    def set(self, key: K, value: V) -> PMap[K, V]:
        h = hash(key)
        hi, lo = (h >> 6) & 63, h & 63
        mid = self._root[hi]
        leaf = None if mid is None else mid[lo]
        new_leaf: dict[K, V] = {} if leaf is None else dict(leaf)
        grew = key not in new_leaf
        new_leaf[key] = value
        base = mid if mid is not None else _EMPTY_MID
        new_mid = (*base[:lo], new_leaf, *base[lo + 1 :])
        out: PMap[K, V] = PMap.__new__(PMap)
        out._root = (*self._root[:hi], new_mid, *self._root[hi + 1 :])
        out._len = self._len + grew
        return out

    def items(self) -> Iterator[tuple[K, V]]:
        for mid in self._root:
            if mid is None:
                continue
            for leaf in mid:
                if leaf:
                    yield from leaf.items()

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PMap):
            return NotImplemented
        return self._len == other._len and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PMap({len(self)} entries)"


class Keyed(Protocol):
    @property
    def key(self) -> tuple[int, int]: ...

    @property
    def points(self) -> int: ...


T = TypeVar("T", bound=Keyed)

_CHUNK = 128


class SortedRun(Generic[T]):
    """Items sorted by ``key`` in chunks, with suffix sums of ``points``."""

    __slots__ = ("_chunks", "_firsts", "_lasts", "_suffix", "_totals")

    _chunks: tuple[tuple[T, ...], ...]
    _lasts: tuple[tuple[int, int], ...]
    _firsts: tuple[tuple[int, int], ...]
    _totals: tuple[int, ...]
    _suffix: tuple[int, ...]

    def __init__(self, items: tuple[T, ...] = ()) -> None:
        ordered = tuple(sorted(items, key=_key))
        chunks = tuple(ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK))
        self._chunks = chunks
        self._lasts = tuple(c[-1].key for c in chunks)
        self._firsts = tuple(c[0].key for c in chunks)
        self._totals = tuple(sum(b.points for b in c) for c in chunks)
        self._suffix = (*accumulate(reversed(self._totals), initial=0),)[::-1]

    def _splice(
        self, ci: int, cj: int, new: tuple[tuple[T, ...], ...], total: int | None = None
    ) -> SortedRun[T]:
        """A run with chunks ``[ci:cj]`` replaced by ``new``; only ``new`` is summed.

        ``total``, if given, is the points of ``new`` when it is a single chunk.
        """
        new = tuple(c for c in new if c)
        sums: tuple[int, ...]
        if total is not None and len(new) == 1:
            sums = (total,)
        else:
            sums = tuple(sum(b.points for b in c) for c in new)
        out: SortedRun[T] = SortedRun.__new__(SortedRun)
        out._chunks = (*self._chunks[:ci], *new, *self._chunks[cj:])
        out._lasts = (*self._lasts[:ci], *(c[-1].key for c in new), *self._lasts[cj:])
        out._firsts = (*self._firsts[:ci], *(c[0].key for c in new), *self._firsts[cj:])
        out._totals = (
            *self._totals[:ci], *sums, *self._totals[cj:]
        )
        out._suffix = (*accumulate(reversed(out._totals), initial=0),)[::-1]
        return out

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks)

    def __iter__(self) -> Iterator[T]:
        for c in self._chunks:
            yield from c

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SortedRun):
            return NotImplemented
        return tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SortedRun({len(self)} items, {self._suffix[0] if self._suffix else 0} points)"

    def _locate(self, key: tuple[int, int]) -> tuple[int, int]:
        """(chunk, offset) of the first item whose key is > ``key``."""
        ci = bisect_right(self._lasts, key)
        if ci == len(self._chunks):
            return ci, 0
        return ci, bisect_right(self._chunks[ci], key, key=_key)

    def total_after(self, key: tuple[int, int]) -> int:
        """Sum of ``points`` of the items whose key is > ``key``."""
        ci, off = self._locate(key)
        if ci == len(self._chunks):
            return 0
        chunk = self._chunks[ci]
        # sum the shorter side of the split chunk; the chunk total gives the other
        if off <= len(chunk) // 2:
            part = self._totals[ci] - sum(b.points for b in chunk[:off])
        else:
            part = sum(b.points for b in chunk[off:])
        return part + self._suffix[ci + 1]

    def iter_after(self, key: tuple[int, int]) -> Iterator[T]:
        ci, off = self._locate(key)
        for i in range(ci, len(self._chunks)):
            yield from self._chunks[i][off if i == ci else 0 :]

    def items_upto(self, key: tuple[int, int]) -> tuple[T, ...]:
        """The items whose key is <= ``key``."""
        ci, off = self._locate(key)
        head = [b for c in self._chunks[:ci] for b in c]
        if ci < len(self._chunks):
            head += self._chunks[ci][:off]
        return tuple(head)

    def drop_upto(self, key: tuple[int, int]) -> SortedRun[T]:
        ci, off = self._locate(key)
        if ci == len(self._chunks):
            return self._splice(0, ci, ())
        return self._splice(0, ci + 1, (self._chunks[ci][off:],))

    def insert(self, item: T) -> SortedRun[T]:
        k = item.key
        if not self._chunks:
            return self._splice(0, 0, ((item,),))
        ci = min(bisect_left(self._lasts, k), len(self._chunks) - 1)
        chunk = self._chunks[ci]
        off = bisect_left(chunk, k, key=_key)
        new = (*chunk[:off], item, *chunk[off:])
        parts = (new,) if len(new) <= 2 * _CHUNK else (new[:_CHUNK], new[_CHUNK:])
        return self._splice(ci, ci + 1, parts)

    def find(self, key: tuple[int, int]) -> T | None:
        ci = bisect_left(self._lasts, key)
        if ci == len(self._chunks) or self._firsts[ci] > key:
            return None
        for b in self._chunks[ci]:
            if b.key == key:
                return b
        return None

    def replace(self, key: tuple[int, int], item: T | None) -> SortedRun[T]:
        """Replace the item with ``key`` by ``item`` (same key), or remove it if None."""
        ci = bisect_left(self._lasts, key)
        chunk = self._chunks[ci]
        off = [b.key for b in chunk].index(key)
        new = (*chunk[:off], *(() if item is None else (item,)), *chunk[off + 1 :])
        return self._splice(ci, ci + 1, (new,))

    def take_after(
        self, key: tuple[int, int], points: int, shrink: Callable[[T, int], T]
    ) -> tuple[SortedRun[T], list[tuple[T, int]]]:
        """Take ``points`` from the items after ``key``, in key order.

        Emptied items are removed; a partly taken item is replaced by
        ``shrink(item, taken)``. Returns the new run and ``(item, taken)``
        pairs. Only the chunks touched are rebuilt.
        """
        ci, off = self._locate(key)
        taken: list[tuple[T, int]] = []
        left = points
        rebuilt: list[tuple[T, ...]] = []
        sums: list[int] = []
        i = ci
        while left > 0 and i < len(self._chunks):
            chunk = self._chunks[i]
            before = left
            start = off if i == ci else 0
            keep: list[T] = list(chunk[:start])
            j = start
            while j < len(chunk) and left > 0:
                b = chunk[j]
                t = min(b.points, left)
                if t:
                    taken.append((b, t))
                    left -= t
                if t < b.points:
                    keep.append(shrink(b, t) if t else b)
                j += 1
            keep.extend(chunk[j:])
            rebuilt.append(tuple(keep))
            sums.append(self._totals[i] - (before - left))
            i += 1
        if not rebuilt:
            return self, taken
        return self._splice_sums(ci, i, rebuilt, sums), taken

    def _splice_sums(
        self, ci: int, cj: int, new: list[tuple[T, ...]], sums: list[int]
    ) -> SortedRun[T]:
        kept = [(c, t) for c, t in zip(new, sums) if c]
        out: SortedRun[T] = SortedRun.__new__(SortedRun)
        out._chunks = (*self._chunks[:ci], *(c for c, _ in kept), *self._chunks[cj:])
        out._lasts = (*self._lasts[:ci], *(c[-1].key for c, _ in kept), *self._lasts[cj:])
        out._firsts = (*self._firsts[:ci], *(c[0].key for c, _ in kept), *self._firsts[cj:])
        out._totals = (*self._totals[:ci], *(t for _, t in kept), *self._totals[cj:])
        out._suffix = (*accumulate(reversed(out._totals), initial=0),)[::-1]
        return out


def _key(item: Keyed) -> tuple[int, int]:
    return item.key
