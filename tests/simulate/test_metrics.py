"""Operating metrics: their identities hold on the sample chain."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from sirui.simulate import metrics


def test_weekly_figures_add_up(tiny: dict[str, Any]) -> None:
    w = metrics.weekly_figures(tiny["orders"])
    o = tiny["orders"]
    assert w["orders"].sum() == o["order_id"].nunique()
    assert w["sales_fen"].sum() == (o["unit_price_fen"] * o["quantity"]).sum()
    assert (w["valid_orders"] <= w["orders"]).all()
    assert ((w["repurchase_rate"] >= 0) & (w["repurchase_rate"] <= 1)).all()
    assert w["repurchase_rate"].iloc[0] == 0  # nobody has bought before the first week
    assert ((w["gross_margin"] > 0) & (w["gross_margin"] < 1)).all()


def test_funnel_rates_multiply_to_conversion(tiny: dict[str, Any]) -> None:
    f = metrics.funnel(tiny["traffic"])
    row = f.iloc[0]
    assert row["cart_rate"] * row["order_rate"] * row["pay_rate"] == pytest.approx(
        row["conversion"]
    )
    by_store = metrics.funnel(tiny["traffic"], by="store_id")
    assert by_store["visitors"].sum() == tiny["traffic"]["visitors"].sum()


def test_gmv_decomposition_multiplies_back(tiny: dict[str, Any]) -> None:
    g = metrics.gmv_decomposition(tiny["orders"], tiny["traffic"])
    assert (g["check_gmv_yuan"] - g["gmv_fen"] / 100).abs().max() < 1e-6
    assert (g["orders_per_buyer"] >= 1).all()


def test_retention_only_for_observed_horizons(tiny: dict[str, Any]) -> None:
    r = metrics.retention_by_cohort(tiny["orders"], days=(30, 90, 180))
    assert r["d180"].isna().all()  # a quarter of data cannot show 180-day retention
    assert ((r["d30"].dropna() >= 0) & (r["d30"].dropna() <= 1)).all()
    assert r["members"].sum() == tiny["orders"]["member_id"].nunique()


def test_guide_rates(tiny: dict[str, Any]) -> None:
    g = metrics.guide_rates(tiny["guide_activity"])
    assert ((g["login_rate"] >= 0) & (g["login_rate"] <= 1)).all()
    assert (g["share_rate"] <= g["login_rate"] + 1e-9).all()


def test_rfm_table_agrees_with_one_member_scoring(tiny: dict[str, Any]) -> None:
    import pendulum

    from sirui.loyalty.members import RfmPolicy, rfm_cuts, rfm_segment

    now = pendulum.datetime(2026, 10, 1, tz="Asia/Shanghai")
    table = metrics.rfm_table(tiny["orders"], now)
    assert len(table) == tiny["orders"]["member_id"].nunique()
    assert table["segment"].nunique() > 3
    cuts = rfm_cuts(
        RfmPolicy(),
        list(table["recency_days"]),
        list(table["frequency"]),
        list(table["monetary_fen"]),
    )
    for _, row in table.iterrows():
        one = rfm_segment(row["recency_days"], row["frequency"], row["monetary_fen"], cuts)
        assert one.value == row["segment"]
    assert (table["recency_days"] >= 0).all()


def test_polars_in_gives_polars_out_with_the_same_figures(tiny: dict[str, Any]) -> None:
    import pendulum
    import polars as pl

    lines, traffic = pl.from_pandas(tiny["orders"]), pl.from_pandas(tiny["traffic"])
    activity = pl.from_pandas(tiny["guide_activity"])
    now = pendulum.datetime(2026, 10, 1, tz="Asia/Shanghai")
    pairs = [
        ("week", metrics.weekly_figures(tiny["orders"]), metrics.weekly_figures(lines)),
        (None, metrics.funnel(tiny["traffic"]), metrics.funnel(traffic)),
        (
            "store_id",
            metrics.funnel(tiny["traffic"], by="store_id"),
            metrics.funnel(traffic, by="store_id"),
        ),
        (
            "month",
            metrics.gmv_decomposition(tiny["orders"], tiny["traffic"]),
            metrics.gmv_decomposition(lines, traffic),
        ),
        ("cohort", metrics.retention_by_cohort(tiny["orders"]), metrics.retention_by_cohort(lines)),
        ("guide_id", metrics.guide_rates(tiny["guide_activity"]), metrics.guide_rates(activity)),
        ("member_id", metrics.rfm_table(tiny["orders"], now), metrics.rfm_table(lines, now)),
        (None, metrics.order_table(tiny["orders"]), metrics.order_table(lines)),
    ]
    for key, pandas_out, polars_out in pairs:
        assert isinstance(pandas_out, pd.DataFrame)
        assert isinstance(polars_out, pl.DataFrame), key
        if key is not None:
            assert polars_out.columns[0] == key
        for col in pandas_out.columns:
            if col == "paid_at":
                continue
            got, want = polars_out[str(col)].to_list(), list(pandas_out[col])
            if _numeric(want):  # a figure not observed (NaN) is a null in polars
                want = [None if v != v else v for v in want]
                assert [g is None for g in got] == [w is None for w in want], col
                pairs_ = [(g, w) for g, w in zip(got, want, strict=True) if w is not None]
                assert [g for g, _ in pairs_] == pytest.approx([w for _, w in pairs_]), col
            else:
                assert got == want, col
    orders = metrics.order_table(lines)
    assert orders["sales_fen"].dtype == pl.Int64  # fen stay integers


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
