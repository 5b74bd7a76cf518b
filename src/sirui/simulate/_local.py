"""The single-process run: the columnar engine when the scenario qualifies, else the exact one.

`sirui.simulate.simulate` calls this for an in-memory frame (and
`sirui.simulate.scale` for a Dask frame). It sits above both engines, so
neither imports the other: `sirui.simulate.columnar` builds on
`sirui.simulate.engine`, and only this module chooses between them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sirui.simulate._frames import is_polars, to_pandas
from sirui.simulate.engine import (
    ROW_COLUMNS,
    Scenario,
    SimulationResult,
    final_tiers,
    run_prepared,
    summarize,
)
from sirui.simulate.inputs import OrderRecord, RejectedRow, prepare

__all__ = ["simulate"]


def simulate(
    orders: Any,
    members: Any,
    scenario: Scenario,
    *,
    timezone: str | None = None,
    tz: str = "Asia/Shanghai",
    progress: bool = False,
    elasticity: Callable[[OrderRecord, Any], OrderRecord | None] | None = None,
    engine: str = "auto",
) -> SimulationResult:
    """Replay ``orders`` of ``members`` through ``scenario``.

    Args:
        orders: order lines: a pandas or polars DataFrame, a pyarrow Table, or
            a ``.parquet``/``.csv``/``.json`` path (columns in `sirui.simulate.inputs`).
            A polars DataFrame gives a result with polars frames; anything
            else gives pandas.
        members: the members table, same kinds of source.
        scenario: the policies to apply.
        timezone: zone for timestamps without one (otherwise such rows are rejected).
        tz: the zone months are reported in.
        progress: show a progress bar (``tqdm.auto``: a widget in a notebook):
            per event on the exact engine, per stage on the columnar one.
        elasticity: optional hook ``(order, quote) -> order or None`` to model
            demand reacting to price (None drops the order). Off by default.
        engine: ``"exact"`` replays order by order through `sirui.checkout.quote`;
            ``"columnar"`` prices the whole history with numpy
            (`sirui.simulate.columnar`; raises `ValueError` if the scenario
            does not qualify); ``"auto"`` (the default) takes the columnar
            engine whenever the scenario qualifies and no elasticity hook is
            given. Both give the same result frame.
    """
    import pandas as pd

    if engine not in ("auto", "exact", "columnar"):
        raise ValueError(f"engine={engine!r}: use 'auto', 'exact' or 'columnar'")
    campaigns = None
    from sirui.simulate.campaigns import has_campaigns

    if has_campaigns(scenario):
        # Campaigns couple members (first come, first served): replayed over the whole
        # history first; the member pass then prices what they decided.
        from sirui.simulate.campaigns import replay_campaigns
        from sirui.simulate.inputs import read_table

        orders = read_table(orders, "orders") if not is_polars(orders) else orders
        source = to_pandas(orders) if is_polars(orders) else orders
        campaigns = replay_campaigns(scenario, source, read_table(members, "members"), timezone)
    if engine != "exact":
        from sirui.simulate.columnar import columnar_plan, columnar_run  # numpy: on first use

        plan, why = columnar_plan(scenario)
        if engine == "columnar" and (plan is None or elasticity is not None):
            raise ValueError(
                f"scenario {scenario.name!r} cannot run on the columnar engine: "
                f"{why or 'an elasticity hook'}; use engine='exact' or 'auto'"
            )
        if plan is not None and elasticity is None:
            done = columnar_run(
                plan, orders, members, timezone, tz, progress=progress, campaigns=campaigns
            )
            if done is not None:
                result = _result(
                    scenario, done.rejected, done.frame, done.tiers, "columnar",
                    campaigns=campaigns,
                )
                return result.to_polars() if is_polars(orders) else result
            if engine == "columnar":
                raise OverflowError(
                    "amounts too large for the columnar engine; use engine='exact' or 'auto'"
                )
    prepared = prepare(orders, members, timezone)
    rows, final = run_prepared(
        prepared, scenario, tz=tz, progress=progress, elasticity=elasticity, campaigns=campaigns
    )
    position = {rec.order_id: i for i, rec in enumerate(prepared.orders)}
    rows.sort(key=lambda r: position[r["order_id"]])
    tiers = {**final_tiers(prepared, scenario), **final}
    frame = pd.DataFrame(rows, columns=list(ROW_COLUMNS))
    result = _result(scenario, prepared.rejected, frame, tiers, "exact", campaigns=campaigns)
    return result.to_polars() if is_polars(orders) else result


def _result(
    scenario: Scenario,
    rejected_rows: Sequence[RejectedRow],
    frame: Any,
    tiers: Mapping[str, str | None],
    engine: str,
    *,
    campaigns: Any = None,
) -> SimulationResult:
    import pandas as pd

    rejected = pd.DataFrame([r.to_dict() for r in rejected_rows])
    return SimulationResult(
        scenario.name,
        scenario.fingerprint,
        frame,
        summarize(frame, scenario, tiers, len(rejected_rows), campaigns),
        rejected,
        engine,
    )
