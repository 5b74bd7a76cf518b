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
