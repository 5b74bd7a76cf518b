"""Comparing two simulations: differences overall and by store, tier and month; charts; HTML.

`compare(baseline, proposal)` takes two `SimulationResult` values run on the
same orders and lines them up order by order. A scenario compared with
itself shows zero difference everywhere (tested). Charts are matplotlib
`Figure` objects built without pyplot, so the session's backend is never
touched; the HTML report embeds them as PNG (`figure_png`). Frames keep
integer fen; the reprs and the report show yuan and percentages.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sirui.simulate._display import count, formatter, is_rate, pct, points, yuan
from sirui.simulate._frames import to_pandas, to_polars

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sirui.simulate.engine import SimulationResult

__all__ = ["Comparison", "compare", "figure_png"]

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
#: Figures of scenarios with campaigns (`sirui.simulate.campaigns`), compared when either has them.
_CAMPAIGN_FIGURES = (
    ("orders_lost", "orders campaigns refused (sold out, limits, failed groups)"),
    ("lottery_draws", "lottery draws"),
    ("lottery_cost_fen", "lottery prizes (cost)"),
)
_MONEY_COLS = ("original_fen", "discount_fen", "payable_fen", "refund_fen", "commission_fen")


class Comparison:
    """Baseline vs proposal on the same orders: tables, charts and a report.

    ``overall``, ``orders``, ``by_store``, ``by_tier``, ``by_month`` and
    ``top_changes`` are pandas DataFrames (``overall`` indexed by figure,
    the breakdowns by their key); when either run's frames are polars they
    are polars DataFrames, the key as the first column. Amounts are integer
    fen throughout.
    """

    def __init__(self, baseline: SimulationResult, proposal: SimulationResult) -> None:
        import pandas as pd

        self.baseline = baseline
        self.proposal = proposal
        b, p = to_pandas(baseline.orders), to_pandas(proposal.orders)
        if list(b["order_id"]) != list(p["order_id"]):
            raise ValueError("compare() needs two runs over the same orders in the same order")
        rows = []
        extra = tuple(
            (k, label) for k, label in _CAMPAIGN_FIGURES
            if k in baseline.summary or k in proposal.summary
        )
        for key, label in _FIGURES + extra:
            bv, pv = baseline.summary.get(key, 0), proposal.summary.get(key, 0)
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
        joined = b[["order_id", "store_id", "month", "tier_before", *_MONEY_COLS]].merge(
            p[["order_id", *_MONEY_COLS]], on="order_id", suffixes=("_base", "_prop")
        )
        for col in _MONEY_COLS:
            joined[f"{col}_delta"] = joined[f"{col}_prop"] - joined[f"{col}_base"]
        ordered = joined.reindex(
            joined["payable_fen_delta"].abs().sort_values(ascending=False).index
        )
        top = ordered.head(20)[
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
        # The pandas frames the tables, charts and reprs read; the public ones may be polars.
        self._frames: dict[str, Any] = {
            "overall": pd.DataFrame(rows).set_index("key"),
            "orders": joined,
            "by_store": _by(joined, "store_id"),
            "by_tier": _by(joined, "tier_before"),
            "by_month": _by(joined, "month"),
            "top_changes": top,
        }
        polars = baseline.is_polars or proposal.is_polars
        f = {k: to_polars(v) if polars else v for k, v in self._frames.items()}
        self.overall = f["overall"]
        self.orders = f["orders"]
        self.by_store = f["by_store"]
        self.by_tier = f["by_tier"]
        self.by_month = f["by_month"]
        self.top_changes = f["top_changes"]

    @property
    def is_zero(self) -> bool:
        """True when the proposal changes nothing at all."""
        overall, orders = self._frames["overall"], self._frames["orders"]
        return bool((overall["delta"] == 0).all()) and bool(
            (orders[[f"{c}_delta" for c in _MONEY_COLS]] == 0).all().all()
        )

    # -- charts -----------------------------------------------------------------------

    def charts(self) -> dict[str, Figure]:
        """Matplotlib figures: cost by month, tier distribution, points liability by month.

        Built with the object API (`matplotlib.figure.Figure`): no pyplot,
        no change of the session's backend, nothing left open. A notebook
        shows a figure as it is; `figure_png` turns one into PNG bytes.
        """
        from matplotlib.ticker import FuncFormatter

        m = self._frames["by_month"]
        fig, ax = _figure("Discount cost by month")
        _bars(
            ax,
            [str(i) for i in m.index],
            m["discount_fen_base"] / 100,
            m["discount_fen_prop"] / 100,
        )
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"¥{v:,.0f}"))
        ax.set_ylabel("discount cost (yuan)")
        _legend(fig)
        out = {"cost_by_month": fig}

        tb = self.baseline.summary["members_per_tier"]
        tp = self.proposal.summary["members_per_tier"]
        tiers = [*tb, *(t for t in tp if t not in tb)]  # ladder order, as summarised
        fig, ax = _figure("Members per tier at the end")
        _bars(
            ax,
            [str(t) for t in tiers],
            [tb.get(t, 0) for t in tiers],
            [tp.get(t, 0) for t in tiers],
        )
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel("members")
        _legend(fig)
        out["tier_distribution"] = fig

        fig, ax = _figure("Points liability at month end")
        # The proposal underneath, wide and solid; the baseline on top, dashed with
        # hollow markers: where the two lines coincide both stay visible.
        for side, res in (("proposal", self.proposal), ("baseline", self.baseline)):
            liab = res.to_pandas().points_by_month()
            ax.plot([str(i) for i in liab.index], liab.values, label=side, **_LINE[side])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel("points outstanding")
        _legend(fig)
        out["points_liability"] = fig
        return out

    # -- output -----------------------------------------------------------------------

    def _overall_rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for key, r in self._frames["overall"].iterrows():
            fmt = formatter(str(key))
            change = points if is_rate(str(key)) else fmt  # a rate changes by points
            rows.append(
                (
                    str(r["figure"]),
                    fmt(r["baseline"]),
                    fmt(r["proposal"]),
                    change(r["delta"], signed=True),
                    pct(r["delta_pct"] / 100, signed=True),
                )
            )
        return rows

    def _overall_html(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self._overall_rows()
        )
        return (
            "<table><thead><tr><th>figure</th><th>baseline</th><th>proposal</th>"
            "<th>change</th><th>change %</th></tr></thead><tbody>" + rows + "</tbody></table>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<h4>{html.escape(self.baseline.name)} → {html.escape(self.proposal.name)}</h4>"
            + self._overall_html()
        )

    def to_text(self) -> str:
        """A plain-text summary for terminals (``sirui demo``): yuan, percentages, counts."""
        lines = [f"{'figure':<32} {'baseline':>16} {'proposal':>16} {'delta':>16}"]
        for label, base, prop, delta, _ in self._overall_rows():
            lines.append(f"{label:<32} {base:>16} {prop:>16} {delta:>16}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Comparison {self.baseline.name} → {self.proposal.name}\n{self.to_text()}>"

    def to_html(self, path: str | Path | None = None) -> str:
        """The full report as HTML (charts embedded); written to ``path`` if given."""
        imgs = "".join(
            f'<figure><img alt="{name}" src="data:image/png;base64,'
            f'{base64.b64encode(figure_png(fig)).decode()}"/></figure>'
            for name, fig in self.charts().items()
        )
        f = self._frames
        sections = [
            ("By store", f["by_store"]),
            ("By tier", f["by_tier"]),
            ("By month", f["by_month"]),
            ("Orders whose price changed most", f["top_changes"]),
        ]
        body = "".join(f"<h2>{t}</h2>{_table_html(df)}" for t, df in sections)
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
Amounts in yuan (¥).</p>
<h2>Overall</h2>{self._overall_html()}{imgs}{body}</body></html>"""
        if path is not None:
            Path(path).write_text(doc, encoding="utf-8")
        return doc


# -- display helpers ------------------------------------------------------------------

_KEYS = {
    "order_id": "Order",
    "store_id": "Store",
    "tier_before": "Tier (before the order)",
    "month": "Month",
    "orders": "Orders",
}
_AMOUNTS = {
    "original_fen": "List price",
    "discount_fen": "Discount",
    "payable_fen": "Paid",
    "commission_fen": "Commission",
}
_SIDES = {"base": "baseline", "prop": "proposal", "delta": "change"}


def _label(col: str) -> str:
    """A report column's heading: ``discount_fen_delta`` -> ``Discount, change (¥)``."""
    if col in _KEYS:
        return _KEYS[col]
    stem, _, side = col.rpartition("_")
    if stem in _AMOUNTS and side in _SIDES:
        if stem == "original_fen":  # the same on both sides: the orders' list price
            return f"{_AMOUNTS[stem]} (¥)"
        return f"{_AMOUNTS[stem]}, {_SIDES[side]} (¥)"
    return col.replace("_", " ")


def _missing(v: Any) -> bool:
    """None or NaN (a member without a tier groups as NaN)."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def _table_html(df: Any) -> str:
    """A breakdown as an HTML table: keys as columns, readable headings, amounts in yuan."""
    named = [n for n in df.index.names if n is not None]
    out = df.reset_index() if named else df.reset_index(drop=True)
    for col in list(out.columns):
        c = str(col)
        if c.endswith(("_base", "_prop", "_delta")) and "_fen_" in c:
            signed = c.endswith("_delta")
            out[col] = out[col].map(lambda v, s=signed: yuan(v, signed=s).replace("¥", ""))
        elif c == "orders":
            out[col] = out[col].map(count)
        else:
            out[col] = out[col].map(lambda v: "—" if _missing(v) else str(v))
    out.columns = [_label(str(c)) for c in out.columns]
    return str(out.to_html(index=False, border=0, escape=True))


_BAR = {
    "baseline": {"color": "#9aa5b1", "edgecolor": "#52606d", "hatch": "//", "linewidth": 0.8},
    "proposal": {"color": "#1f77b4", "edgecolor": "#1f77b4", "linewidth": 0.8},
}
_LINE = {
    "proposal": {
        "color": "#1f77b4",
        "alpha": 0.5,
        "linewidth": 5.0,
        "marker": "o",
        "markersize": 10,
        "zorder": 2,
    },
    "baseline": {
        "color": "#1f2933",
        "linewidth": 1.8,
        "linestyle": (0, (4, 2.5)),
        "marker": "s",
        "markersize": 5,
        "markerfacecolor": "white",
        "zorder": 3,
    },
}


def _figure(title: str) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title, loc="left", fontweight="bold")
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _bars(ax: Any, labels: list[str], base: Any, prop: Any) -> None:
    x = list(range(len(labels)))
    ax.bar([i - 0.2 for i in x], list(base), width=0.4, label="baseline", **_BAR["baseline"])
    ax.bar([i + 0.2 for i in x], list(prop), width=0.4, label="proposal", **_BAR["proposal"])
    ax.set_xticks(x, labels)


def _legend(fig: Figure) -> None:
    """The legend above the plot, outside it: it never covers a bar or a line."""
    handles, labels = fig.axes[0].get_legend_handles_labels()
    pairs = sorted(zip(labels, handles), key=lambda lh: lh[0] != "baseline")
    fig.legend(
        [h for _, h in pairs],
        [lb for lb, _ in pairs],
        loc="outside upper right",
        ncols=2,
        frameon=False,
    )


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """A chart of `Comparison.charts` as PNG bytes (what the HTML report embeds)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _by(orders: Any, col: str) -> Any:
    g = orders.groupby(col, dropna=False)
    out = g[
        [
            f"{c}_{s}"
            for c in ("discount_fen", "payable_fen", "commission_fen")
            for s in ("base", "prop", "delta")
        ]
    ].sum()
    out.insert(0, "orders", g.size())
    return out


def compare(baseline: SimulationResult, proposal: SimulationResult) -> Comparison:
    """Line up two runs over the same orders; see `Comparison`."""
    return Comparison(baseline, proposal)
