"""The analyst toolkit: what-if simulation over order history, metrics and reports.

* `simulate(orders, members, scenario)` replays history through a
  `Scenario`'s real rules (pandas, polars, Arrow, Parquet/CSV, or a Dask
  DataFrame for scale-out) and returns a `SimulationResult`;
* `compare(baseline, proposal)` lines two runs up and reports the
  differences with charts (matplotlib Figures; the session's backend is
  left alone) and an HTML report; results and comparisons show yuan and
  percentages in a notebook, and polars orders give polars frames back;
* `sirui.simulate.metrics`: funnel, GMV decomposition, weekly figures,
  cohort retention, guide rates;
* `sirui.simulate.sample`: a deterministic synthetic chain to try it all;
* `sirui.simulate.campaigns`: flash sales, group-buys and lotteries in the
  what-if, replayed first come first served through the campaign machines;
* `partition_by_member` / `read_orders`: Parquet partitioned by member, so a
  Dask run reads and prices each partition where it is, with no shuffle;
* `sirui.simulate.experiments`: A/B tests (实验): deterministic arms,
  per-arm metrics, differences with intervals and p-values, sample sizes.

Needs the ``analysis`` extra (pandas, pyarrow, polars, matplotlib, tqdm);
Dask runs need the ``dask`` extra.
"""

from __future__ import annotations

from typing import Any

from sirui.simulate._local import simulate as _simulate_local
from sirui.simulate.engine import Scenario, SimulationResult, summarize
from sirui.simulate.experiments import (
    Experiment,
    ExperimentResult,
    analyze_experiment,
    assign_arms,
    sample_size_means,
    sample_size_proportions,
)
from sirui.simulate.inputs import InputError, RejectedRow, prepare
from sirui.simulate.report import Comparison, compare
from sirui.simulate.sample import SampleData, generate
from sirui.simulate.scale import is_dask_frame, partition_by_member, read_orders, simulate_dask

__all__ = [
    "Comparison",
    "Experiment",
    "ExperimentResult",
    "InputError",
    "RejectedRow",
    "SampleData",
    "Scenario",
    "SimulationResult",
    "analyze_experiment",
    "assign_arms",
    "cli_commands",
    "compare",
    "generate",
    "partition_by_member",
    "prepare",
    "read_orders",
    "sample_size_means",
    "sample_size_proportions",
    "simulate",
    "simulate_dask",
    "summarize",
]


def simulate(
    orders: Any,
    members: Any,
    scenario: Scenario,
    *,
    timezone: str | None = None,
    tz: str = "Asia/Shanghai",
    progress: bool = False,
    elasticity: Any = None,
    engine: str = "auto",
) -> SimulationResult:
    """Replay ``orders`` through ``scenario``; a Dask DataFrame runs on the cluster.

    See `sirui.simulate._local.simulate` for the arguments. With a Dask
    DataFrame the run is partitioned by member and gives identical results
    (``progress`` counts partitions there; ``elasticity`` is a single-process option).
    """
    if is_dask_frame(orders):
        return simulate_dask(
            orders, members, scenario, timezone=timezone, tz=tz, progress=progress
        )
    return _simulate_local(
        orders,
        members,
        scenario,
        timezone=timezone,
        tz=tz,
        progress=progress,
        elasticity=elasticity,
        engine=engine,
    )


def cli_commands() -> dict[str, Any]:
    """The ``sirui simulate`` and ``sirui quote`` subcommands (see `sirui.simulate.cli`)."""
    from sirui.simulate.cli import commands

    return commands()
