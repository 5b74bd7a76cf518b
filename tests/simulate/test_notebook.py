"""Notebook manners: the backend is left alone, charts are figures, polars stays polars,
reprs read in yuan and percentages, report tables have labels and no index."""

from __future__ import annotations

import re
from typing import Any

import matplotlib
import pandas as pd
import polars as pl
import pytest
from matplotlib.figure import Figure

from sirui.simulate import compare, simulate
from sirui.simulate.cli import builtin_scenario
from sirui.simulate.report import figure_png


@pytest.fixture(scope="module")
def runs(tiny: dict[str, Any], baseline: Any, proposal: Any) -> tuple[Any, Any]:
    return (
        simulate(tiny["orders"], tiny["members"], baseline),
        simulate(tiny["orders"], tiny["members"], proposal),
    )


@pytest.fixture(scope="module")
def cmp(runs: tuple[Any, Any]) -> Any:
    return compare(*runs)


def test_charts_leave_the_backend_alone_and_are_figures(cmp: Any) -> None:
    before = matplotlib.get_backend()
    try:
        matplotlib.use("svg")
        charts = cmp.charts()
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert set(charts) == {"cost_by_month", "tier_distribution", "points_liability"}
    for fig in charts.values():
        assert isinstance(fig, Figure)
        assert figure_png(fig).startswith(b"\x89PNG\r\n\x1a\n")


def test_legend_sits_above_the_plot_and_the_baseline_line_on_top(runs: tuple[Any, Any]) -> None:
    same = compare(runs[0], runs[0])  # identical lines: the worst case for hiding one
    for fig in same.charts().values():
        fig.draw_without_rendering()  # lays the figure out
        (ax,) = fig.axes
        assert ax.get_legend() is None and len(fig.legends) == 1
        legend = fig.legends[0]
        assert [t.get_text() for t in legend.get_texts()] == ["baseline", "proposal"]
        box, plot = legend.get_window_extent(), ax.get_window_extent()
        assert box.y0 >= plot.y1  # outside the plot area, above it
    lines = {ln.get_label(): ln for ln in same.charts()["points_liability"].axes[0].lines}
    base, prop = lines["baseline"], lines["proposal"]
    assert base.get_zorder() > prop.get_zorder()
    assert base.get_linestyle() != prop.get_linestyle()
    assert list(base.get_ydata()) == list(prop.get_ydata())


def test_polars_in_gives_polars_out(
    tiny: dict[str, Any], baseline: Any, runs: tuple[Any, Any]
) -> None:
    orders = pl.from_pandas(tiny["orders"])
    res = simulate(orders, tiny["members"], baseline)
    assert isinstance(res.orders, pl.DataFrame) and isinstance(res.rejected, pl.DataFrame)
    assert res.is_polars and not runs[0].is_polars
    assert res.orders.equals(pl.from_pandas(runs[0].orders))  # the same numbers
    assert res.summary == runs[0].summary
    assert res.to_pandas().orders.equals(runs[0].orders.astype(res.to_pandas().orders.dtypes))
    liab = res.points_by_month()
    assert isinstance(liab, pl.DataFrame)
    assert liab["points_outstanding"].to_list() == list(runs[0].points_by_month())
    # The columnar engine's results convert at the same edge.
    simplified = builtin_scenario("simplified")
    fast = simulate(orders, tiny["members"], simplified)
    assert fast.engine == "columnar" and isinstance(fast.orders, pl.DataFrame)
    # A comparison of polars runs has polars frames, its keys as first columns.
    cmp = compare(res, simulate(orders, tiny["members"], baseline))
    assert cmp.is_zero
    for name in ("overall", "orders", "by_store", "by_tier", "by_month", "top_changes"):
        assert isinstance(getattr(cmp, name), pl.DataFrame), name
    assert cmp.by_month.columns[0] == "month" and cmp.by_store.columns[0] == "store_id"
    assert cmp.overall.columns[0] == "key"
    pandas_cmp = compare(*runs)
    assert cmp.by_month["month"].to_list() == list(pandas_cmp.by_month.index)
    assert "<table" in cmp.to_html()


def test_pandas_in_keeps_pandas_out(runs: tuple[Any, Any], cmp: Any) -> None:
    assert isinstance(runs[0].orders, pd.DataFrame)
    assert isinstance(runs[0].points_by_month(), pd.Series)
    assert isinstance(cmp.by_month, pd.DataFrame) and cmp.by_month.index.name == "month"
    assert cmp.overall.index.name == "key"


def _raw_fen(summary: Any) -> list[str]:
    """The summary's money as raw fen, as it would print unformatted."""
    return [str(v) for k, v in summary.items() if k.endswith("_fen") and abs(v) >= 1000]


def test_result_reprs_read_in_yuan_and_percent(runs: tuple[Any, Any]) -> None:
    res = runs[0]
    s = res.summary
    raw = _raw_fen(s)
    assert raw
    for text in (res._repr_html_(), repr(res), res.to_text()):
        assert "¥" in text and "%" in text
        assert f"{s['cost_rate'] * 100:.2f}%" in text
        gmv = s["gmv_fen"]
        assert f"¥{gmv // 100:,}.{gmv % 100:02d}" in text
        for fen in raw:
            assert not re.search(rf"(?<![\d,.]){fen}(?![\d,.])", text), fen
        assert "gmv_fen" not in text and "GMV" in text
    assert f"({res.engine} engine)" in res._repr_html_()
    assert len(repr(res)) < 2000  # the summary, not the frames


def test_comparison_reprs_read_in_yuan_and_percent(cmp: Any, runs: tuple[Any, Any]) -> None:
    raw = _raw_fen(runs[0].summary) + _raw_fen(runs[1].summary)
    for text in (cmp._repr_html_(), cmp.to_text(), repr(cmp)):
        assert "¥" in text and "%" in text
        for fen in raw:
            assert not re.search(rf"(?<![\d,.]){fen}(?![\d,.])", text), fen
    assert " pp" in cmp.to_text()  # a rate changes by percentage points
    assert cmp.overall.loc["gmv_fen", "baseline"] == runs[0].summary["gmv_fen"]  # still fen


def test_report_tables_have_labels_and_no_index(cmp: Any) -> None:
    doc = cmp.to_html()
    tables = re.findall(r"<table.*?</table>", doc, flags=re.S)
    assert len(tables) == 5  # overall, store, tier, month, top changes
    for table in tables:
        body = re.search(r"<tbody>(.*?)</tbody>", table, flags=re.S)
        assert body is not None
        assert "<th" not in body.group(1)  # no index cells
        heads = re.findall(r"<th[^>]*>(.*?)</th>", table, flags=re.S)
        assert heads and all(h.strip() for h in heads)  # no blank index header
        assert not any("_fen" in h or "_base" in h for h in heads), heads
    assert "<th>Store</th>" in doc and "<th>Month</th>" in doc
    assert "<th>Discount, change (¥)</th>" in doc and "<th>Order</th>" in doc


def test_progress_bar_is_tqdm_auto(
    tiny: dict[str, Any], baseline: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tqdm.auto

    used: list[int] = []

    def fake(iterable: Any, **kw: Any) -> Any:
        used.append(kw["total"])
        return iterable

    monkeypatch.setattr(tqdm.auto, "tqdm", fake)
    orders = tiny["orders"].head(30)
    simulate(orders, tiny["members"], baseline, progress=True, engine="exact")
    assert used and used[0] > 0
