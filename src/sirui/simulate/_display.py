"""How simulation figures read on screen: yuan, percentages, counts and labels.

Display only: frames and summaries keep integer fen and float rates; these
helpers turn them into text for the notebook and terminal reprs and the
HTML report.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "LABELS",
    "count",
    "formatter",
    "is_rate",
    "pct",
    "points",
    "rows_html",
    "rows_text",
    "summary_rows",
    "yuan",
]

#: Readable names of the summary's figures, in the order they are shown.
LABELS: Mapping[str, str] = {
    "orders": "orders",
    "rejected_rows": "rejected rows",
    "gmv_fen": "GMV (goods at list price)",
    "discount_fen": "discount cost",
    "cost_rate": "cost rate",
    "gift_value_fen": "gifts given (at cost)",
    "payable_fen": "paid",
    "refund_fen": "refunded",
    "net_fen": "net sales",
    "points_issued": "points issued",
    "points_spent": "points spent",
    "points_outstanding": "points outstanding (liability)",
    "points_liability_fen": "points liability (value)",
    "commission_fen": "commission",
    "coupons_issued": "coupons issued",
    "coupons_used": "coupons used",
    "members_per_tier": "members per tier",
    "orders_by_reason": "orders by reason",
}

_RATES = frozenset({"cost_rate"})
_LONG = frozenset({"orders_by_reason"})  # one count per reason code: in ``summary``, not the reprs


def yuan(fen: Any, signed: bool = False) -> str:
    """Integer fen as yuan: ``123456`` -> ``¥1,234.56`` (``+¥1,234.56`` if ``signed``)."""
    try:
        v = int(fen)
    except (TypeError, ValueError):
        return str(fen)
    sign = "-" if v < 0 else "+" if signed and v > 0 else ""
    return f"{sign}¥{abs(v) // 100:,}.{abs(v) % 100:02d}"


def pct(rate: Any, signed: bool = False) -> str:
    """A rate (a fraction) as a percentage: ``0.0523`` -> ``5.23%``."""
    try:
        v = float(rate)
    except (TypeError, ValueError):
        return str(rate)
    return f"{v * 100:+.2f}%" if signed and v else f"{v * 100:.2f}%"


def count(v: Any, signed: bool = False) -> str:
    """A count with thousands separators: ``12345`` -> ``12,345``."""
    try:
        n = int(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{n:+,}" if signed and n else f"{n:,}"


def points(rate: Any, signed: bool = False) -> str:
    """A difference of two rates in percentage points: ``-0.003`` -> ``-0.30 pp``."""
    try:
        v = float(rate)
    except (TypeError, ValueError):
        return str(rate)
    return f"{v * 100:+.2f} pp" if signed and v else f"{v * 100:.2f} pp"


def is_rate(key: str) -> bool:
    """True for a figure that is a rate (a fraction shown as a percentage)."""
    return key in _RATES or key.endswith("_rate")


def formatter(key: str) -> Callable[..., str]:
    """How a figure named ``key`` reads: yuan for ``*_fen``, a percentage for rates, a count."""
    if key.endswith("_fen"):
        return yuan
    if is_rate(key):
        return pct
    return count


def _mapping_text(values: Mapping[Any, Any]) -> str:
    return ", ".join(f"{k} {count(v)}" for k, v in values.items()) or "—"


def summary_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The summary as (label, text) pairs: money in yuan, rates in %, counts grouped."""
    rows = []
    for key, value in summary.items():
        if key in _LONG:
            continue
        label = LABELS.get(key, key.replace("_", " "))
        if isinstance(value, Mapping):
            rows.append((label, _mapping_text(value)))
        else:
            rows.append((label, formatter(key)(value)))
    return rows


def rows_html(rows: list[tuple[str, str]]) -> str:
    """(label, text) pairs as a two-column HTML table, numbers right-aligned."""
    body = "".join(
        f"<tr><td style='text-align:left'>{html.escape(k)}</td>"
        f"<td style='text-align:right'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"


def rows_text(rows: list[tuple[str, str]]) -> str:
    """(label, text) pairs as aligned plain-text lines."""
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
