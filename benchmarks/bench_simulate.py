"""Analyst toolkit benchmarks: simulate throughput and the numpy limit.

``simulate_100k_orders`` replays 100,000 orders through the *simplified
rules* (tiered full reduction 满199减20/299减40/499减80, a tier discount, one
point per yuan times a tier multiplier) in one process; the figure per call
is the whole run. ``numpy_simplified_100k`` computes the same simplified
rules hand-vectorised with numpy on the same orders (no explanations, no
state machines, no allocation): the lower bound Python can reach.
``simulate_over_numpy_limit`` is their ratio. The simplified rules keep no
state between orders, so ``simulate`` runs them on the columnar engine
(`sirui.simulate.columnar`); ``simulate_100k_orders_exact`` replays the same
orders order by order (``engine="exact"``) and ``exact_over_columnar`` is the
speed-up. ``simulate_100k_orders_ladder`` adds the demo's tier ladder, so
tiers move with the orders (the columnar engine replays each member's
standing to a fixed point). ``simulate_1m_orders`` runs a million orders on
a two-worker Dask LocalCluster. The exact, ladder and Dask cases are heavy:
``--quick`` skips them.
"""

from __future__ import annotations

import time
from typing import Any

from _harness import Case
from sirui.simulate import Scenario, generate, simulate
from sirui.simulate.cli import builtin_scenario

RATES = {
    "normal": ("1", "1"),
    "silver": ("0.98", "1"),
    "gold": ("0.95", "1.5"),
    "diamond": ("0.90", "2"),
}
TIERS = ((199, 20), (299, 40), (499, 80))


def simplified() -> Scenario:
    """The built-in ``simplified`` scenario: the rules below, as TOML."""
    scenario: Scenario = builtin_scenario("simplified")
    return scenario


def _data(orders: int) -> dict[str, Any]:
    members = max(100, orders // 5)
    return generate(
        {"stores": 20, "guides": 100, "members": members, "orders": orders}, seed=11
    ).frames()


def numpy_simplified(frames: dict[str, Any]) -> Any:
    """The simplified rules, vectorised: member rate per line, full reduction on the order."""
    import numpy as np
    import pandas as pd

    o = frames["orders"]
    tier = o["member_id"].map(frames["members"].set_index("member_id")["tier"])
    rate = tier.map({k: float(v[0]) for k, v in RATES.items()}).to_numpy()
    mult = tier.map({k: float(v[1]) for k, v in RATES.items()}).to_numpy()
    amount = (o["unit_price_fen"] * o["quantity"]).to_numpy()
    member_price = np.floor(amount * rate + 0.5)
    codes, _ = pd.factorize(o["order_id"])
    order_amt = np.bincount(codes, weights=member_price)
    off = np.zeros_like(order_amt)
    for threshold, value in TIERS:
        off = np.where(order_amt >= threshold * 100, value * 100, off)
    paid = order_amt - off
    order_mult = np.bincount(codes, weights=mult) / np.bincount(codes)
    points = np.floor(paid / 100 * order_mult)
    return paid.sum(), points.sum()


def _lazy(orders: int) -> Any:
    box: dict[str, Any] = {}

    def get() -> dict[str, Any]:
        if "frames" not in box:
            box["frames"] = _data(orders)
        return box["frames"]

    return get


def with_ladder() -> Scenario:
    """The simplified rules plus the demo's tier ladder: tiers move as orders arrive."""
    import attrs

    scenario: Scenario = attrs.evolve(simplified(), ladder=builtin_scenario("baseline").ladder)
    return scenario


def _simulate_timer(orders: int, engine: str = "auto", ladder: bool = False) -> Any:
    data = _lazy(orders)
    scenario = with_ladder() if ladder else simplified()

    def run() -> float:
        frames = data()
        t0 = time.perf_counter()
        result = simulate(frames["orders"], frames["members"], scenario, engine=engine)
        elapsed = time.perf_counter() - t0
        assert engine != "auto" or result.engine == "columnar"
        return elapsed

    return run


def _numpy_timer(orders: int) -> Any:
    data = _lazy(orders)

    def run() -> float:
        frames = data()
        t0 = time.perf_counter()
        numpy_simplified(frames)
        return time.perf_counter() - t0

    return run


def _dask_timer(orders: int) -> Any:
    data = _lazy(orders)
    scenario = simplified()

    def run() -> float:
        frames = data()
        import tempfile
        from pathlib import Path

        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        folder = Path(tempfile.mkdtemp())
        frames["orders"].to_parquet(folder / "orders.parquet", row_group_size=125_000)
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster),
        ):
            # Read by the workers, as on a real cluster, instead of shipping a frame in the graph.
            ddf = dd.read_parquet(folder / "orders.parquet", split_row_groups=True)
            t0 = time.perf_counter()
            simulate(ddf, frames["members"], scenario)
            return time.perf_counter() - t0

    return run


#: Orders per run; ``--quick`` shrinks the single-process run to keep it short.
SIZES = {
    "simulate_100k_orders": 100_000,
    "simulate_100k_orders_exact": 100_000,
    "simulate_100k_orders_ladder": 100_000,
    "numpy_simplified_100k": 100_000,
    "simulate_1m_orders": 1_000_000,
}


def cases(quick: bool) -> list[Case]:
    if quick:
        SIZES["simulate_100k_orders"] = SIZES["numpy_simplified_100k"] = 20_000
    n = SIZES["simulate_100k_orders"]
    return [
        Case("simulate_100k_orders", timer=_simulate_timer(n), repeats=3),
        Case(
            "simulate_100k_orders_exact",
            timer=_simulate_timer(SIZES["simulate_100k_orders_exact"], "exact"),
            repeats=1,
            heavy=True,
        ),
        Case("numpy_simplified_100k", timer=_numpy_timer(n), repeats=3),
        Case(
            "simulate_100k_orders_ladder",
            timer=_simulate_timer(SIZES["simulate_100k_orders_ladder"], ladder=True),
            repeats=1,
            heavy=True,
        ),
        Case(
            "simulate_1m_orders",
            timer=_dask_timer(SIZES["simulate_1m_orders"]),
            repeats=1,
            heavy=True,
        ),
    ]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in (
        "simulate_100k_orders",
        "simulate_100k_orders_exact",
        "simulate_100k_orders_ladder",
        "simulate_1m_orders",
    ):
        if name in medians:
            out[name.replace("orders", "orders_per_second")] = SIZES[name] / medians[name]
    if "simulate_100k_orders" in medians and "numpy_simplified_100k" in medians:
        out["simulate_over_numpy_limit"] = (
            medians["simulate_100k_orders"] / medians["numpy_simplified_100k"]
        )
    if "simulate_100k_orders" in medians and "simulate_100k_orders_exact" in medians:
        out["exact_over_columnar"] = (
            medians["simulate_100k_orders_exact"] / medians["simulate_100k_orders"]
        )
    return out
