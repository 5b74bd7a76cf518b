"""Comparing two simulations: differences overall and by store, tier and month; charts; HTML.

`compare(baseline, proposal)` takes two `SimulationResult` values run on the
same orders and lines them up order by order. A scenario compared with
itself shows zero difference everywhere (tested). Charts use matplotlib's
Agg backend (no display needed); the HTML report embeds them as PNG.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sirui.simulate.engine import SimulationResult

__all__ = ["Comparison", "compare"]

_FIGURES = (
    ("orders", "orders"),
    ("gmv_fen", "GMV (goods at list price)"),
    ("discount_fen", "discount cost"),
    ("gift_value_fen", "gifts given (at cost)"),
    ("payable_fen", "paid"),
    ("refund_fen", "refunded"),
    ("net_fen", "net sales"),
    ("points_issued", "points issued"),
    ("points_outstanding", "points outstanding (liability)"),
    ("commission_fen", "commission"),
    ("coupons_issued", "coupons issued"),
    ("coupons_used", "coupons used"),
)
_MONEY_COLS = ("original_fen", "discount_fen", "payable_fen", "refund_fen", "commission_fen")


def _yuan(fen: Any) -> str:
    try:
        v = int(fen)
        return f"{'-' if v < 0 else ''}¥{abs(v) / 100:,.2f}"
    except (TypeError, ValueError):
        return str(fen)


class Comparison:
    """Baseline vs proposal on the same orders: tables, charts and a report."""

    def __init__(self, baseline: SimulationResult, proposal: SimulationResult) -> None:
        import pandas as pd

        self.baseline = baseline
        self.proposal = proposal
        b, p = baseline.orders, proposal.orders
        if list(b["order_id"]) != list(p["order_id"]):
            raise ValueError("compare() needs two runs over the same orders in the same order")
        rows = []
        for key, label in _FIGURES:
            bv, pv = baseline.summary[key], proposal.summary[key]
            rows.append(
                {
                    "figure": label,
                    "key": key,
                    "baseline": bv,
                    "proposal": pv,
                    "delta": pv - bv,
                    "delta_pct": (pv - bv) / bv * 100 if bv else 0.0,
                }
            )
        bcr, pcr = baseline.summary["cost_rate"], proposal.summary["cost_rate"]
        rows.append(
            {
                "figure": "cost rate",
                "key": "cost_rate",
                "baseline": bcr,
                "proposal": pcr,
                "delta": pcr - bcr,
                "delta_pct": (pcr - bcr) / bcr * 100 if bcr else 0.0,
            }
        )
        self.overall = pd.DataFrame(rows).set_index("key")
        joined = b[["order_id", "store_id", "month", "tier_before", *_MONEY_COLS]].merge(
            p[["order_id", *_MONEY_COLS]], on="order_id", suffixes=("_base", "_prop")
        )
        for col in _MONEY_COLS:
            joined[f"{col}_delta"] = joined[f"{col}_prop"] - joined[f"{col}_base"]
        self.orders = joined
        self.by_store = self._by("store_id")
        self.by_tier = self._by("tier_before")
        self.by_month = self._by("month")
        ordered = joined.reindex(
            joined["payable_fen_delta"].abs().sort_values(ascending=False).index
        )
        self.top_changes = ordered.head(20)[
            [
                "order_id",
                "store_id",
                "tier_before",
                "original_fen_base",
                "payable_fen_base",
                "payable_fen_prop",
                "payable_fen_delta",
            ]
        ]

    def _by(self, col: str) -> Any:
        g = self.orders.groupby(col, dropna=False)
        out = g[
            [
                f"{c}_{s}"
                for c in ("discount_fen", "payable_fen", "commission_fen")
                for s in ("base", "prop", "delta")
            ]
        ].sum()
        out.insert(0, "orders", g.size())
        return out

    @property
    def is_zero(self) -> bool:
        """True when the proposal changes nothing at all."""
        return bool((self.overall["delta"] == 0).all()) and bool(
            (self.orders[[f"{c}_delta" for c in _MONEY_COLS]] == 0).all().all()
        )

    # -- charts -----------------------------------------------------------------------

    def charts(self) -> dict[str, bytes]:
        """PNG bytes of: cost by month, tier distribution, points liability by month."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out: dict[str, bytes] = {}
        fig, ax = plt.subplots(figsize=(7, 3.2))
        m = self.by_month
        x = range(len(m))
        ax.bar([i - 0.2 for i in x], m["discount_fen_base"] / 100, width=0.4, label="baseline")
        ax.bar([i + 0.2 for i in x], m["discount_fen_prop"] / 100, width=0.4, label="proposal")
        ax.set_xticks(list(x), [str(i) for i in m.index])
        ax.set_ylabel("discount cost (yuan)")
        ax.set_title("Discount cost by month")
        ax.legend()
        out["cost_by_month"] = _png(fig, plt)

        fig, ax = plt.subplots(figsize=(7, 3.2))
        tb = self.baseline.summary["members_per_tier"]
        tp = self.proposal.summary["members_per_tier"]
        tiers = [*tb, *(t for t in tp if t not in tb)]  # ladder order, as summarised
        x = range(len(tiers))
        ax.bar([i - 0.2 for i in x], [tb.get(t, 0) for t in tiers], width=0.4, label="baseline")
        ax.bar([i + 0.2 for i in x], [tp.get(t, 0) for t in tiers], width=0.4, label="proposal")
        ax.set_xticks(list(x), [str(t) for t in tiers])
        ax.set_ylabel("members")
        ax.set_title("Members per tier at the end")
        ax.legend()
        out["tier_distribution"] = _png(fig, plt)

        fig, ax = plt.subplots(figsize=(7, 3.2))
        for label, res in (("baseline", self.baseline), ("proposal", self.proposal)):
            liab = res.points_by_month()
            ax.plot([str(i) for i in liab.index], liab.values, marker="o", label=label)
        ax.set_ylabel("points outstanding")
        ax.set_title("Points liability at month end")
        ax.legend()
        out["points_liability"] = _png(fig, plt)
        return out

    # -- output -----------------------------------------------------------------------

    def _overall_html(self) -> str:
        rows = []
        for key, r in self.overall.iterrows():
            fmt = _formatter(str(key))
            rows.append(
                f"<tr><td>{html.escape(str(r['figure']))}</td><td>{fmt(r['baseline'])}</td>"
                f"<td>{fmt(r['proposal'])}</td><td>{fmt(r['delta'])}</td>"
                f"<td>{r['delta_pct']:+.2f}%</td></tr>"
            )
        return (
            "<table><thead><tr><th>figure</th><th>baseline</th><th>proposal</th>"
            "<th>delta</th><th>delta %</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<h4>{html.escape(self.baseline.name)} → {html.escape(self.proposal.name)}</h4>"
            + self._overall_html()
        )

    def to_text(self) -> str:
        """A plain-text summary for terminals (``sirui demo``)."""
        lines = [f"{'figure':<32} {'baseline':>16} {'proposal':>16} {'delta':>16}"]
        for key, r in self.overall.iterrows():
            money = str(key).endswith("_fen")
            if money:
                vals = [_yuan(r[c]) for c in ("baseline", "proposal", "delta")]
            elif key == "cost_rate":
                vals = [f"{r[c] * 100:.2f}%" for c in ("baseline", "proposal", "delta")]
            else:
                vals = [f"{int(r[c]):,}" for c in ("baseline", "proposal", "delta")]
            lines.append(f"{r['figure']:<32} {vals[0]:>16} {vals[1]:>16} {vals[2]:>16}")
        return "\n".join(lines)

    def to_html(self, path: str | Path | None = None) -> str:
        """The full report as HTML (charts embedded); written to ``path`` if given."""
        charts = self.charts()
        imgs = "".join(
            f'<figure><img alt="{name}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}"/></figure>'
            for name, png in charts.items()
        )
        sections = [
            ("By store", self.by_store),
            ("By tier", self.by_tier),
            ("By month", self.by_month),
            ("Orders whose price changed most", self.top_changes),
        ]
        body = "".join(f"<h2>{t}</h2>{_in_yuan(df).to_html(border=0)}" for t, df in sections)
        b, p = self.baseline, self.proposal
        doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>sirui what-if: {html.escape(b.name)} vs {html.escape(p.name)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{padding:.25em .6em;
border-bottom:1px solid #ddd;text-align:right}}td:first-child,th:first-child{{text-align:left}}
figure{{display:inline-block;margin:.5em}}</style></head><body>
<h1>What-if: {html.escape(b.name)} → {html.escape(p.name)}</h1>
<p>Baseline fingerprint <code>{b.fingerprint}</code>; proposal <code>{p.fingerprint}</code>.
Assumption: demand does not react to the rule change (no price elasticity).
Amounts in yuan.</p>
<h2>Overall</h2>{self._overall_html()}{imgs}{body}</body></html>"""
        if path is not None:
            Path(path).write_text(doc, encoding="utf-8")
        return doc


def _formatter(key: str) -> Any:
    """How a figure of the overall table reads: yuan, a percentage, or a count."""
    if key.endswith("_fen"):
        return _yuan
    if key == "cost_rate":
        return lambda v: f"{v * 100:.2f}%"
    return lambda v: f"{int(v):,}"


def _in_yuan(df: Any) -> Any:
    """A copy for display: ``*_fen`` columns as yuan with two decimals, renamed."""
    out = df.copy()
    for col in list(out.columns):
        if str(col).endswith("_fen") or "_fen_" in str(col):
            out[col] = out[col].map(lambda v: f"{int(v) / 100:,.2f}")
            out = out.rename(columns={col: str(col).replace("_fen", "")})
    return out


def _png(fig: Any, plt: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def compare(baseline: SimulationResult, proposal: SimulationResult) -> Comparison:
    """Line up two runs over the same orders; see `Comparison`."""
    return Comparison(baseline, proposal)
