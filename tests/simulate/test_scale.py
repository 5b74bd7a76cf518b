"""Dask scale-out gives exactly the single-process results (LocalCluster, 2 workers)."""

from __future__ import annotations

from typing import Any

import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from sirui.simulate import simulate  # noqa: E402


def _sorted(df: Any) -> Any:
    cols = ["table", "ref", "code", "en"]
    return df[cols].sort_values(cols).reset_index(drop=True) if len(df) else df


@pytest.mark.slow
def test_dask_equals_single_process(tiny: dict[str, Any], baseline: Any) -> None:
    orders = tiny["orders"].copy()
    # A bad row must be rejected the same way in both runs.
    orders.loc[orders.index[0], "unit_price_fen"] = -1
    single = simulate(orders, tiny["members"], baseline)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        ddf = dd.from_pandas(orders, npartitions=4)
        spread = simulate(ddf, tiny["members"], baseline)
    assert spread.orders.equals(single.orders)
    assert spread.summary == single.summary
    assert _sorted(spread.rejected).equals(_sorted(single.rejected))


@pytest.mark.slow
def test_dask_on_the_columnar_engine_equals_single_process(tiny: dict[str, Any]) -> None:
    from sirui.simulate.cli import builtin_scenario

    simplified = builtin_scenario("simplified")
    orders = tiny["orders"].copy()
    orders.loc[orders.index[0], "unit_price_fen"] = -1
    single = simulate(orders, tiny["members"], simplified)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        spread = simulate(dd.from_pandas(orders, npartitions=4), tiny["members"], simplified)
    assert single.engine == spread.engine == "columnar"
    assert spread.orders.equals(single.orders)
    assert spread.summary == single.summary
    assert _sorted(spread.rejected).equals(_sorted(single.rejected))
