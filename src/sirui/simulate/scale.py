"""Scale-out: the same simulation over a Dask DataFrame, partitioned by member.

The member pass only ever reads one member's state, so each member's whole
history is moved into one partition (a shuffle on ``member_id``), every
partition runs the ordinary single-process engine on its members, and the
driver merges the rows in the single-process order (payment time, then order
id). Results are identical to `sirui.simulate.simulate` on the same data;
the test suite checks it on a ``dask.distributed`` LocalCluster with two
workers.

Point it at a real cluster by creating a ``dask.distributed.Client`` for the
scheduler's address before calling `simulate` (or `simulate_dask`); the
members table and the scenario are shipped to the workers with each task.
"""

from __future__ import annotations

from typing import Any

from sirui.simulate.engine import (
    ROW_COLUMNS,
    Scenario,
    SimulationResult,
    final_tiers,
    run_prepared,
    summarize,
)
from sirui.simulate.inputs import (
    DUPLICATE,
    ORDER_COLUMNS,
    InputError,
    RejectedRow,
    prepare,
    prepare_members,
    read_table,
)

__all__ = ["is_dask_frame", "simulate_dask"]


def is_dask_frame(obj: Any) -> bool:
    """True for a Dask DataFrame (without importing Dask when it is not in use)."""
    mod = type(obj).__module__
    return mod.startswith("dask") and hasattr(obj, "npartitions")


def _partition(
    orders: Any, members: Any, scenario: Scenario, timezone: str | None, tz: str
) -> tuple[Any, list[dict[str, Any]], dict[str, str | None], str]:
    import pandas as pd

    if len(orders) == 0:
        return pd.DataFrame(columns=list(ROW_COLUMNS)), [], {}, ""
    ids = set(orders["member_id"].astype(str))
    # Every partition checks the members it needs plus none of the others', so a
    # members-table problem is reported once, by the driver, not per partition.
    subset = members[members["member_id"].astype(str).isin(ids)]
    if len(subset) == 0:
        subset = members.head(1)
    from sirui.simulate.columnar import columnar_plan, run_columnar

    plan, _ = columnar_plan(scenario)
    done = run_columnar(plan, orders, subset, timezone, tz) if plan is not None else None
    if done is not None:
        frame, tiers, found = done
        return frame, [r.to_dict() for r in found if r.table == "orders"], tiers, "columnar"
    prepared = prepare(orders, subset, timezone)
    rows, tiers = run_prepared(prepared, scenario, tz=tz)
    rejected = [r.to_dict() for r in prepared.rejected if r.table == "orders"]
    return pd.DataFrame(rows, columns=list(ROW_COLUMNS)), rejected, tiers, "exact"


def _compute(parts: list[Any], progress: bool, desc: str) -> tuple[Any, ...]:
    """Compute the partitions' tasks; with ``progress``, a bar ticks as each one finishes."""
    import dask

    if not progress:
        return dask.compute(*parts)  # type: ignore[attr-defined,no-untyped-call,no-any-return]
    from tqdm.auto import tqdm  # a widget in notebooks, text in terminals

    with tqdm(total=len(parts), desc=desc, unit="partition") as bar:
        try:
            from distributed import as_completed, default_client

            client = default_client()  # type: ignore[no-untyped-call]
        except (ImportError, ValueError):  # no distributed, or no client: a local scheduler
            client = None
        if client is not None:
            futures = client.compute(parts)
            for _ in as_completed(futures):  # type: ignore[no-untyped-call]
                bar.update(1)
            return tuple(client.gather(futures))
        from dask.callbacks import Callback

        keys = {p.key for p in parts}

        class _Tick(Callback):
            def _posttask(self, key: Any, *_: Any) -> None:
                if key in keys:
                    bar.update(1)

        with _Tick():  # type: ignore[no-untyped-call]
            return dask.compute(*parts)  # type: ignore[attr-defined,no-untyped-call,no-any-return]


def simulate_dask(
    orders: Any,
    members: Any,
    scenario: Scenario,
    *,
    timezone: str | None = None,
    tz: str = "Asia/Shanghai",
    npartitions: int | None = None,
    progress: bool = False,
) -> SimulationResult:
    """`simulate` over a Dask DataFrame of order lines; identical results.

    Args:
        orders: a Dask DataFrame of order lines (columns as `simulate`).
        members: the members table (pandas, polars, Arrow or a path): small
            enough to ship to every worker.
        scenario: the policies to apply.
        timezone: zone for timestamps without one.
        tz: the zone months are reported in.
        npartitions: partitions after the shuffle (default: as given).
        progress: show a ``tqdm.auto`` bar that advances as each partition is
            priced (on a ``dask.distributed`` client or a local scheduler).
    """
    import dask
    import pandas as pd

    missing = [c for c, (_, req) in ORDER_COLUMNS.items() if req and c not in orders.columns]
    if missing:
        raise InputError(f"orders: missing column(s): {', '.join(missing)}")
    mdf = read_table(members, "members")
    # Members-table problems and cross-member duplicates are decided once, here.
    head = prepare_members(mdf, timezone)
    member_rejects = [r.to_dict() for r in head.rejected]
    owners = orders.groupby("order_id")["member_id"].nunique().compute()
    split = set(owners[owners > 1].index.astype(str))
    clean = orders[~orders["order_id"].astype(str).isin(list(split))] if split else orders
    shuffled = clean.shuffle(on="member_id", npartitions=npartitions or clean.npartitions)
    # One task each for the members table and the scenario, shared by every partition.
    shared_members = dask.delayed(mdf)  # type: ignore[attr-defined]
    shared_scenario = dask.delayed(scenario)  # type: ignore[attr-defined]
    parts = [
        dask.delayed(_partition)(p, shared_members, shared_scenario, timezone, tz)  # type: ignore[attr-defined]
        for p in shuffled.to_delayed()
    ]
    results = _compute(parts, progress, scenario.name)
    frame = pd.concat([f for f, *_ in results], ignore_index=True)
    engines = {e for *_, e in results if e}
    rejected = member_rejects + [r for _, rej, *_ in results for r in rej]
    rejected += [
        RejectedRow(
            "orders", oid, DUPLICATE(order_id=oid, line_id="member_id differs between rows")
        ).to_dict()
        for oid in sorted(split)
    ]
    tiers = final_tiers(head, scenario)
    for _, _, part_tiers, _ in results:
        tiers.update(part_tiers)
    if len(frame):
        # The single-process order: payment time, then order id (vectorised).
        when = pd.to_datetime(frame["paid_at"], utc=True, format="ISO8601")
        frame = (
            frame.assign(_when=when)
            .sort_values(["_when", "order_id"], kind="stable")
            .drop(columns="_when")
            .reset_index(drop=True)
        )
    rej = pd.DataFrame(rejected)
    return SimulationResult(
        scenario.name,
        scenario.fingerprint,
        frame,
        summarize(frame, scenario, tiers, len(rejected)),
        rej,
        engines.pop() if len(engines) == 1 else "exact" if not engines else "mixed",
    )
