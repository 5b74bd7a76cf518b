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

from typing import Any

__all__ = ["Packed", "merge_order", "merged", "pack"]

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
    order = merge_order(
        ns, lambda rows: _merged_column("order_id", cols["order_id"], rows).to_numpy()
    )
    return pd.DataFrame({n: _merged_column(n, cols[n], order) for n in names})


def merge_order(ns: Any, ids_at: Any) -> Any:
    """Positions of rows paid at instants ``ns`` in the single-process order: payment
    instant, then order id (``ids_at(positions)``: those rows' order ids)."""
    import numpy as np
    import pandas as pd

    order = np.argsort(ns, kind="stable")
    s = ns[order]
    tie = np.zeros(len(s), dtype=bool)
    same = s[1:] == s[:-1]
    tie[1:] |= same
    tie[:-1] |= same
    if tie.any():  # orders paid at one instant: by order id among themselves
        at = np.flatnonzero(tie)
        rows = order[at]
        keyed = pd.DataFrame({"ns": s[at], "id": ids_at(rows), "row": rows})
        order[at] = keyed.sort_values(["ns", "id"], kind="stable")["row"].to_numpy()
    return order


def _merged_column(name: str, cols: list[tuple[str, Any, Any]], order: Any) -> Any:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    kinds = {kind for kind, _, _ in cols}
    dtype = cols[0][1]
    if kinds == {"int"}:
        values = np.concatenate([payload for _, _, payload in cols])[order]
        return pd.Series(values.astype(dtype), name=name)
    if kinds == {"codes"}:
        # Each partition's codes shifted past the dictionaries before it: one dictionary.
        shifted, dictionaries, offset = [], [], 0
        for _, _, payload in cols:
            codes = payload.indices.fill_null(-1).to_numpy().astype(np.int64)
            shifted.append(np.where(codes < 0, -1, codes + offset))
            dictionaries.append(payload.dictionary)
            offset += len(payload.dictionary)
        codes = np.concatenate(shifted)[order]
        where = pa.array(codes, mask=codes < 0)
        text = pa.concat_arrays(dictionaries).take(where)
    else:
        chunks = [
            payload.dictionary_decode() if kind == "codes" else payload
            for kind, _, payload in cols
        ]
        text = pa.chunked_array(chunks).take(pa.array(order))
    return pd.Series(pd.array(text, dtype=dtype), name=name)
