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


@pytest.fixture(scope="module")
def cluster() -> Any:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed.Client(local),
    ):
        yield local


def _scenario(name: str) -> Any:
    import attrs

    from sirui.simulate.cli import builtin_scenario

    if name == "simplified+ladder":
        return attrs.evolve(
            builtin_scenario("simplified"), ladder=builtin_scenario("baseline").ladder
        )
    return builtin_scenario(name)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "engine"),
    [("baseline", "exact"), ("simplified", "columnar"), ("simplified+ladder", "columnar")],
)
def test_dask_equals_single_process(
    tiny: dict[str, Any], cluster: Any, name: str, engine: str
) -> None:
    scenario = _scenario(name)
    orders = tiny["orders"].copy()
    # A bad row must be rejected the same way in both runs.
    orders.loc[orders.index[0], "unit_price_fen"] = -1
    single = simulate(orders, tiny["members"], scenario)
    spread = simulate(dd.from_pandas(orders, npartitions=4), tiny["members"], scenario)
    assert single.engine == spread.engine == engine
    assert spread.orders.equals(single.orders)
    assert spread.summary == single.summary
    assert _sorted(spread.rejected).equals(_sorted(single.rejected))
