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
standing to a fixed point). ``simulate_100k_orders_coupons`` adds the demo's
coupon triggers (支付有礼 满299减30 after orders of 199, 复购激励 满199减20 at 25
days): per-member wallets and the checkout's choice of coupon, on the columnar
engine; ``simulate_10k_orders_coupons_exact`` replays 10,000 orders of the
same chain on the exact engine (100,000 would take minutes), and
``exact_over_fast_coupons`` is the exact engine's time per order over the
columnar engine's (how many times faster the columnar engine is). After the
exact run the columnar engine prices the same 10,000 orders, untimed, and
the two results must be equal row for row.

``simulate_1m_orders`` prices a million orders read from one Parquet file in
one process; ``simulate_1m_orders_dask`` prices the same orders on a Dask
LocalCluster of two single-threaded worker processes, read from Parquet
partitioned by member (`partition_by_member`, done once, untimed): each
worker reads and prices its files, no shuffle. The two are timed in
alternating pairs (each repeat runs both, in turn first), so a change in the
machine's load cannot skew ``dask_over_single_1m`` (orders per second with
Dask over orders per second in one process), and each pair's results must
be equal (checked untimed). Before the first pair, both sides price a small
chain once, untimed: the workers import sirui and warm up as the benchmark
process already has. The workers run with the allocator settings of the
single process (``distributed`` otherwise sets ``MALLOC_TRIM_THRESHOLD_``
for them, which costs the engine about a fifth more CPU time; see the
analyst guide). The exact, ladder, coupon and million-order cases are heavy:
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


def with_coupons() -> Scenario:
    """The simplified rules plus the demo's coupon templates and triggers."""
    import attrs

    base = builtin_scenario("baseline")
    scenario: Scenario = attrs.evolve(simplified(), coupons=base.coupons, triggers=base.triggers)
    return scenario


def _coupons_timer(orders: int, engine: str) -> Any:
    data = _lazy(orders)
    scenario = with_coupons()

    def run() -> float:
        frames = data()
        t0 = time.perf_counter()
        result = simulate(frames["orders"], frames["members"], scenario, engine=engine)
        elapsed = time.perf_counter() - t0
        assert result.engine == engine
        assert result.summary["coupons_used"] > 0
        if engine == "exact":  # untimed: the columnar engine gives the same rows
            fast = simulate(frames["orders"], frames["members"], scenario, engine="columnar")
            _same(result, fast)
        return elapsed

    return run


def _same(a: Any, b: Any) -> None:
    """Two runs' results are equal: every order row and the summary."""
    import pandas as pd

    pd.testing.assert_frame_equal(a.orders, b.orders, check_dtype=False)
    assert a.summary == b.summary


class _Million:
    """The million-order chain on disk, and a two-worker cluster: built once, untimed."""

    def __init__(self, orders: int) -> None:
        self.orders = orders
        self.folder: Any = None
        self.members: Any = None
        self.cluster: Any = None
        self.client: Any = None
        self.measured: dict[str, list[float]] = {"single": [], "dask": []}
        self.results: dict[str, Any] = {}
        self.turn = 0

    def ready(self) -> None:
        if self.folder is not None:
            return
        import tempfile
        from pathlib import Path

        import dask
        from distributed import Client, LocalCluster

        from sirui.simulate import partition_by_member, read_orders

        frames = _data(self.orders)
        folder = Path(tempfile.mkdtemp(prefix="sirui-bench-1m-"))
        frames["orders"].to_parquet(folder / "orders.parquet")
        # The one-off repartitioning step: every member's history in one of two files.
        partition_by_member(frames["orders"], folder / "by_member", npartitions=2)
        self.members = frames["members"]
        # No memory limit: a worker keeps its partition's rows in memory instead of spilling
        # them to disk between pricing and handing them to the driver. No
        # MALLOC_TRIM_THRESHOLD_: the workers allocate as the single process does.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            self.cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                memory_limit=0,
            )
        self.client = Client(self.cluster)
        self.folder = folder
        import atexit

        atexit.register(self.close)
        # Warm-up, untimed: a small chain priced once on each side (imports, first calls).
        small = _data(2_000)
        small["orders"].to_parquet(folder / "warm.parquet")
        partition_by_member(small["orders"], folder / "warm", npartitions=2)
        warm = simulate(read_orders(folder / "warm"), small["members"], simplified())
        _same(simulate(folder / "warm.parquet", small["members"], simplified()), warm)

    def close(self) -> None:
        import shutil

        self.client.close()
        self.cluster.close()
        shutil.rmtree(self.folder, ignore_errors=True)  # the chain on disk (about 100 MB)

    def single(self) -> float:
        t0 = time.perf_counter()
        result = simulate(self.folder / "orders.parquet", self.members, simplified())
        elapsed = time.perf_counter() - t0
        assert result.engine == "columnar"
        assert len(result.orders) == self.orders
        self.results["single"] = result
        return elapsed

    def dask(self) -> float:
        from sirui.simulate import read_orders

        t0 = time.perf_counter()
        result = simulate(read_orders(self.folder / "by_member"), self.members, simplified())
        elapsed = time.perf_counter() - t0
        assert result.engine == "columnar"
        assert len(result.orders) == self.orders
        self.results["dask"] = result
        return elapsed

    def timer(self, which: str) -> Any:
        """Each repeat times both runs, in alternating order; the other's time waits for it."""
        other = "dask" if which == "single" else "single"

        def run() -> float:
            if self.measured[which]:
                return self.measured[which].pop(0)
            self.ready()
            self.turn += 1
            if self.turn % 2:
                mine, theirs = getattr(self, which)(), getattr(self, other)()
            else:
                theirs, mine = getattr(self, other)(), getattr(self, which)()
            self.measured[other].append(theirs)
            _same(self.results.pop("single"), self.results.pop("dask"))  # untimed
            return float(mine)

        return run


#: Orders per run; ``--quick`` shrinks the single-process run to keep it short.
SIZES = {
    "simulate_100k_orders": 100_000,
    "simulate_100k_orders_exact": 100_000,
    "simulate_100k_orders_ladder": 100_000,
    "simulate_100k_orders_coupons": 100_000,
    "simulate_10k_orders_coupons_exact": 10_000,
    "numpy_simplified_100k": 100_000,
    "simulate_1m_orders": 1_000_000,
    "simulate_1m_orders_dask": 1_000_000,
}


def cases(quick: bool) -> list[Case]:
    if quick:
        SIZES["simulate_100k_orders"] = SIZES["numpy_simplified_100k"] = 20_000
    n = SIZES["simulate_100k_orders"]
    million = _Million(SIZES["simulate_1m_orders"])
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
            "simulate_100k_orders_coupons",
            timer=_coupons_timer(SIZES["simulate_100k_orders_coupons"], "columnar"),
            repeats=3,
            heavy=True,
        ),
        Case(
            "simulate_10k_orders_coupons_exact",
            timer=_coupons_timer(SIZES["simulate_10k_orders_coupons_exact"], "exact"),
            repeats=1,
            heavy=True,
        ),
        Case("simulate_1m_orders", timer=million.timer("single"), repeats=3, heavy=True),
        Case("simulate_1m_orders_dask", timer=million.timer("dask"), repeats=3, heavy=True),
    ]


def _per_order(medians: dict[str, float], name: str) -> float:
    return medians[name] / SIZES[name]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in (
        "simulate_100k_orders",
        "simulate_100k_orders_exact",
        "simulate_100k_orders_ladder",
        "simulate_100k_orders_coupons",
        "simulate_10k_orders_coupons_exact",
        "simulate_1m_orders",
        "simulate_1m_orders_dask",
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
    fast, exact = "simulate_100k_orders_coupons", "simulate_10k_orders_coupons_exact"
    if fast in medians and exact in medians:
        out["exact_over_fast_coupons"] = _per_order(medians, exact) / _per_order(medians, fast)
    if "simulate_1m_orders" in medians and "simulate_1m_orders_dask" in medians:
        # Orders per second with Dask over orders per second in one process.
        out["dask_over_single_1m"] = (
            medians["simulate_1m_orders"] / medians["simulate_1m_orders_dask"]
        )
    return out
