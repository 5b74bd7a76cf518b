"""Frames at the edge: polars in, polars out; pandas inside.

The simulation and the metrics compute with pandas. A caller who hands in
a polars DataFrame gets polars frames back: the conversion happens once,
where results leave the package, and never changes a value (integer fen
stay integer fen). A pandas index that means something (a store, a month)
becomes an ordinary first column, since polars frames have no index.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_polars", "to_pandas", "to_polars"]


def is_polars(frame: Any) -> bool:
    """True for a polars DataFrame (or Series), without importing polars."""
    return type(frame).__module__.split(".", 1)[0] == "polars"


def to_pandas(frame: Any) -> Any:
    """``frame`` as pandas: a polars frame converted, anything else as it is."""
    return frame.to_pandas() if is_polars(frame) else frame


def to_polars(frame: Any, index_name: str | None = None) -> Any:
    """A pandas frame as polars; a named index (or ``index_name``) becomes the first column.

    An unnamed index (a plain row number) is dropped. A polars frame comes
    back as it is.
    """
    if is_polars(frame):
        return frame
    import polars as pl

    names = [n for n in frame.index.names if n is not None]
    if index_name is not None and not names:
        frame = frame.rename_axis(index_name)
        names = [index_name]
    flat = frame.reset_index(drop=not names)
    flat.columns = [str(c) for c in flat.columns]
    return pl.from_pandas(flat)
