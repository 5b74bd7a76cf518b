"""Operating metrics: their identities hold on the sample chain."""

from __future__ import annotations

from typing import Any

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
    cuts = rfm_cuts(RfmPolicy(), list(table["recency_days"]), list(table["frequency"]),
                    list(table["monetary_fen"]))
    for _, row in table.iterrows():
        one = rfm_segment(row["recency_days"], row["frequency"], row["monetary_fen"], cuts)
        assert one.value == row["segment"]
    assert (table["recency_days"] >= 0).all()
