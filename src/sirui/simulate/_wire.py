"""A partition's priced rows, compact for the trip from a Dask worker to the driver.

`simulate_dask` ships every partition's result frame to the driver, which
merges them into the single-process order. Sent as they are, a million rows
are about 350 MB of Arrow strings and 64-bit integers, and moving them costs
the driver more than merging them. `pack` (on the worker) sends each column
as little as it takes: a text column of few distinct values as Arrow
dictionary codes, an integer column in the smallest integer type its values
fit, anything else as it is. `merged` (on the driver) interleaves the
partitions in the given order and gives every column back its own type, so
the frame is equal, values and column types, to concatenating the frames
and taking the rows in that order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["Packed", "id_hashes", "merge_order", "merged", "pack", "unique_ids"]

_INTS = ("int8", "int16", "int32")
_SAMPLE = 1024


class Packed:
    """One partition's result frame, column by column (see the module's docstring).

    ``columns`` maps each column's name to ``(kind, dtype, payload)``:
    ``"int"`` (a numpy array, its values the column's), ``"codes"`` (an Arrow
    dictionary array), ``"text"`` (an Arrow string array) or ``"series"``
    (the column as it was, for any other type).
    """

    __slots__ = ("columns", "rows")

    def __init__(self, rows: int, columns: dict[Any, tuple[str, Any, Any]]) -> None:
        self.rows = rows
        self.columns = columns

    def __len__(self) -> int:
        return self.rows

    def __reduce__(self) -> tuple[Any, ...]:
        return (Packed, (self.rows, self.columns))

    @property
    def simple(self) -> bool:
        """Every column packed (integers or text), none as it was."""
        return all(kind != "series" for kind, _, _ in self.columns.values())

    def column(self, name: Any) -> Any:
        """The column ``name`` as the frame had it (a pandas Series)."""
        import pandas as pd

        kind, dtype, payload = self.columns[name]
        if kind == "series":
            return payload
        if kind == "int":
            return pd.Series(payload.astype(dtype), name=name)
        if kind == "codes":
            payload = payload.dictionary_decode()
        return pd.Series(pd.array(payload, dtype=dtype), name=name)

    def frame(self) -> Any:
        """The frame as it was packed."""
        import pandas as pd

        return pd.DataFrame({name: self.column(name) for name in self.columns})


def pack(frame: Any) -> Packed:
    """``frame`` (a pandas DataFrame of unique column names) packed."""
    frame = frame.reset_index(drop=True)
    return Packed(len(frame), {name: _packed(frame[name]) for name in frame.columns})


def _packed(col: Any) -> tuple[str, Any, Any]:
    import numpy as np

    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype == np.int64 and len(col):
        values = col.to_numpy()
        low, high = int(values.min()), int(values.max())
        for small in _INTS:
            info = np.iinfo(small)
            if info.min <= low and high <= info.max:
                return ("int", dtype, values.astype(small))
        return ("int", dtype, values)
    if _is_arrow_text(dtype):
        import pyarrow as pa

        text = pa.array(col.array)
        # Few distinct values among the first rows: few in all, as codes and those values.
        if len(text) >= _SAMPLE and len(text.slice(0, _SAMPLE).unique()) <= _SAMPLE // 4:
            return ("codes", dtype, _small_codes(text.dictionary_encode()))
        return ("text", dtype, text)
    return ("series", dtype, col)


def _is_arrow_text(dtype: Any) -> bool:
    import pandas as pd

    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _small_codes(encoded: Any) -> Any:
    """A dictionary array with the narrowest indices its dictionary allows."""
    import pyarrow as pa

    size = len(encoded.dictionary)
    narrow = pa.int8() if size < 2**7 else pa.int16() if size < 2**15 else pa.int32()
    return pa.DictionaryArray.from_arrays(encoded.indices.cast(narrow), encoded.dictionary)


def merged(parts: list[Packed], ns: Any) -> Any:
    """The partitions' rows in the single-process order: a DataFrame.

    ``ns``: every row's payment instant (nanoseconds), the partitions' one
    after the other; rows paid at one instant go by order id. Each column
    keeps its type when every partition has it in the same type and packed
    (`Packed.simple`); otherwise the frames are concatenated as they were
    and their column types inferred as one frame of all the rows would have
    them.
    """
    import numpy as np
    import pandas as pd

    names = list(parts[0].columns)
    same = all(
        p.simple and list(p.columns) == names
        and all(p.columns[n][1] == parts[0].columns[n][1] for n in names)
        for p in parts
    )
    if not same:
        whole = pd.concat([p.frame() for p in parts], ignore_index=True).infer_objects()
        ids = whole["order_id"]
        order = merge_order(ns, lambda rows: ids.take(rows).to_numpy())
        return whole.take(order).reset_index(drop=True)
    cols = {n: [p.columns[n] for p in parts] for n in names}
    if all(kind in {"text", "codes"} for kind, _, _ in cols["order_id"]):
        order = merge_order(ns, lambda rows: _text_at(cols["order_id"], rows))
    else:
        order = merge_order(ns, lambda rows: _merged_column(cols["order_id"], rows).to_numpy())
    # The integer columns in one block, as a frame built at once holds them: every fresh
    # megabyte costs here (the first touch of memory is slow on some virtual machines).
    ints = [n for n in names if cols[n][0][0] == "int"]
    block = np.empty((len(ints), len(order)), dtype=np.int64)

    def fill(i: int) -> None:
        block[i] = _taken(cols[ints[i]], order)

    texts = [n for n in names if n not in set(ints)]
    # Two threads: Arrow's and numpy's takes let go of the GIL, and the workers are idle now.
    with ThreadPoolExecutor(2) as pool:
        filled = pool.map(fill, range(len(ints)))
        taken = pool.map(lambda n: _merged_column(cols[n], order), texts)
        others = dict(zip(texts, taken, strict=True))
        list(filled)
    pieces = [pd.DataFrame(others, copy=False)] if others else []
    if ints:
        pieces.append(pd.DataFrame(block.T, columns=ints, copy=False))
    return pd.concat(pieces, axis=1)[names]


def merge_order(ns: Any, ids_at: Any) -> Any:
    """Positions of rows paid at instants ``ns`` in the single-process order: payment
    instant, then order id (``ids_at(positions)``: those rows' order ids, a numpy or an
    Arrow array)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    order = np.argsort(ns, kind="stable")
    s = ns[order]
    tie = np.zeros(len(s), dtype=bool)
    same = s[1:] == s[:-1]
    tie[1:] |= same
    tie[:-1] |= same
    if tie.any():  # orders paid at one instant: by order id among themselves
        at = np.flatnonzero(tie)
        rows = order[at]
        ids = ids_at(rows)
        if isinstance(ids, pa.Array):  # sorted by Arrow, on the UTF-8 bytes (code points)
            keys = pa.table({"ns": s[at], "id": ids})
            by = pc.sort_indices(keys, sort_keys=[("ns", "ascending"), ("id", "ascending")])
            order[at] = rows[by.to_numpy()]
        else:
            keyed = pd.DataFrame({"ns": s[at], "id": ids, "row": rows})
            order[at] = keyed.sort_values(["ns", "id"], kind="stable")["row"].to_numpy()
    return order


def _text_at(cols: list[tuple[str, Any, Any]], rows: Any) -> Any:
    """A text column's values, the partitions' one after the other, at ``rows``: Arrow."""
    import pyarrow as pa

    chunks = [p.dictionary_decode() if kind == "codes" else p for kind, _, p in cols]
    return pa.chunked_array(chunks).take(pa.array(rows)).combine_chunks()


def _taken(cols: list[tuple[str, Any, Any]], order: Any) -> Any:
    """An integer column's values, the partitions' one after the other, at ``order``."""
    import numpy as np

    return np.concatenate([payload for _, _, payload in cols])[order]


def _merged_column(cols: list[tuple[str, Any, Any]], order: Any) -> Any:
    """A column, the partitions' one after the other, at ``order``: a Series of its type."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    kinds = {kind for kind, _, _ in cols}
    dtype = cols[0][1]
    if kinds == {"int"}:
        return pd.Series(_taken(cols, order).astype(dtype))
    if kinds == {"codes"}:
        # Each partition's codes shifted past the dictionaries before it: one dictionary.
        shifted, dictionaries, offset = [], [], 0
        wide = np.int32 if sum(len(p.dictionary) for _, _, p in cols) < 2**31 else np.int64
        for _, _, payload in cols:
            codes = payload.indices.fill_null(-1).to_numpy().astype(wide)
            shifted.append(np.where(codes < 0, -1, codes + offset).astype(wide, copy=False))
            dictionaries.append(payload.dictionary)
            offset += len(payload.dictionary)
        codes = np.concatenate(shifted)[order]
        text = pa.concat_arrays(dictionaries).take(pa.array(codes, mask=codes < 0))
    else:
        text = _text_at(cols, order)
    return pd.Series(pd.array(text, dtype=dtype))


_BASE = 0x100000001B3
"""The polynomial's base (odd): a byte's weight is this to the power of its place."""
_LENGTH = 0x9E3779B97F4A7C15
"""What a value's length in bytes is weighted by (odd)."""
_CHUNK = 2**16
"""Bytes of text hashed at a time: the temporaries stay small and in cache."""


def unique_ids(ids: Any) -> Any:
    """The distinct non-missing values of a column of order ids, as text (an Arrow array)."""
    import pandas as pd
    import pyarrow as pa

    ids = ids[ids.notna()]
    if not _is_arrow_text(ids.dtype):
        ids = ids.astype(str)
    return pa.array(pd.unique(ids), type=pa.large_string())


def id_hashes(ids: Any) -> Any:
    """64-bit hashes of text values (no missing ones), the same in every process.

    A polynomial over each value's UTF-8 bytes, then mixed: computed on the
    Arrow buffers, with no Python object per value, 64 KB of text at a
    time. Two values may share a hash; `simulate_dask` confirms a shared
    hash on the values.
    """
    import numpy as np
    import pyarrow as pa

    text = ids if isinstance(ids, pa.Array) else pa.array(ids, type=pa.large_string())
    text = text.cast(pa.large_string())
    if len(text) == 0:
        return np.zeros(0, dtype=np.uint64)
    _, offsets_buf, data_buf = text.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[text.offset: text.offset + len(text) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else (
        np.zeros(0, np.uint8)
    )
    lengths = np.diff(offsets)
    weights = np.full(int(lengths.max()) + 1, _BASE, dtype=np.uint64)
    weights[0] = 1
    powers = np.cumprod(weights, dtype=np.uint64)  # wraps around 2**64, as the sums do
    h = np.empty(len(text), dtype=np.uint64)
    first, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    cuts = np.searchsorted(offsets[:-1], first + np.arange(_CHUNK, size, _CHUNK))
    bounds = np.unique(np.concatenate([[0], cuts, [len(text)]]))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        h[a:b] = _polynomial(data, offsets[a: b + 1], powers)
    h ^= lengths.astype(np.uint64) * np.uint64(_LENGTH)
    # splitmix64's finaliser: every bit of the sum moves every bit of the hash.
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _polynomial(data: Any, offsets: Any, powers: Any) -> Any:
    """Sum over each value's bytes of (byte + 1) * base ** place, modulo 2**64."""
    import numpy as np

    low = int(offsets[0])
    local = offsets - low
    place = np.arange(int(local[-1])) - np.repeat(local[:-1], np.diff(local))
    sums = np.zeros(len(place) + 1, dtype=np.uint64)
    np.cumsum((data[low: low + len(place)].astype(np.uint64) + np.uint64(1)) * powers[place],
              out=sums[1:])
    return sums[local[1:]] - sums[local[:-1]]
