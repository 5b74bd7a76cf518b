"""Scale-out: the same simulation over a Dask DataFrame, partitioned by member.

The member pass only ever reads one member's state, so a partition that
holds whole members can be priced on its own: each partition runs the
ordinary single-process engine (the columnar one whenever the scenario
qualifies) on its members, and the driver merges the rows in the
single-process order (payment time, then order id). Results are identical
to `sirui.simulate.simulate` on the same data; the test suite checks it on a
``dask.distributed`` LocalCluster.

Where the partitions come from:

* **already partitioned by member** — a Dask DataFrame indexed by
  ``member_id`` with known divisions, such as `read_orders` gives for a
  Parquet dataset written by `partition_by_member`: every member is in one
  partition, so each worker reads its files and prices them, with no
  shuffle;
* **anything else** — the orders are shuffled on ``member_id`` first, on
  every run. For a history simulated more than once, run
  `partition_by_member` once and read the result with `read_orders`.

Orders whose rows name different members are rejected, as the
single-process run rejects them: the driver finds an order id in two
partitions from hashes the workers return, and prices those partitions
again without it (a second round only when it happens).

Point it at a real cluster by creating a ``dask.distributed.Client`` for the
scheduler's address (``Client("tcp://scheduler:8786")``) before calling
`simulate` (or `simulate_dask`); the members table and the scenario are
shipped to the workers once, and each worker reads its own Parquet files
(they must be on storage every worker sees: a shared file system or object
storage such as ``s3://``, with ``storage_options``). Every worker needs the
same sirui as the driver: it unpickles the scenario and runs the engine.
Each partition's priced rows come back to the driver as soon as it is done,
packed compact (`sirui.simulate._wire`: about a third of the bytes), and
the driver interleaves them column by column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sirui.simulate.engine import (
    ROW_COLUMNS,
    Scenario,
    SimulationResult,
    run_prepared,
    start_tiers,
    summarize,
)
from sirui.simulate.inputs import (
    DUPLICATE,
    MEMBER_COLUMNS,
    ORDER_COLUMNS,
    InputError,
    RejectedRow,
    _check_columns,
    prepare,
    read_table,
)

__all__ = ["is_dask_frame", "partition_by_member", "read_orders", "simulate_dask"]

def _cell_meta() -> Any:
    import pandas as pd

    return pd.DataFrame({"result": pd.Series([], dtype=object)})


#: The column `partition_by_member` keeps each row's place in with (lines keep their order).
_SEQ = "_sirui_row"
_ONE_GROUP = 2**31 - 1
"""Rows per Parquet row group: enough for any one partition."""


def is_dask_frame(obj: Any) -> bool:
    """True for a Dask DataFrame (without importing Dask when it is not in use)."""
    mod = type(obj).__module__
    return mod.startswith("dask") and hasattr(obj, "npartitions")


def is_partitioned_by_member(orders: Any) -> bool:
    """True when every member's rows are in one partition: indexed by member id (text),
    divisions known."""
    import pandas as pd

    index = orders.index
    return bool(
        index.name == "member_id"
        and orders.known_divisions
        and pd.api.types.is_string_dtype(index.dtype)
    )


def partition_by_member(
    orders: Any,
    path: str | Path,
    *,
    npartitions: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> str:
    """Write order lines as Parquet partitioned by member, once; read them with `read_orders`.

    The one-off repartitioning step for histories simulated more than once:
    the rows are cut by ``member_id`` into ``npartitions`` files, each holding
    a range of member ids (so every member's history is in one file and a
    later run needs no shuffle), the rows of each file in the order they
    came (a history in payment order stays so, which the engine prices
    fastest; each order's lines keep their order).

    Args:
        orders: order lines (any source `simulate` reads, or a Dask DataFrame).
        path: a directory (local, or a URL such as ``s3://bucket/orders`` that
            every worker can read).
        npartitions: files to write (default: about 250,000 rows each).
        storage_options: for a URL ``path``, the file system's options
            (credentials, endpoint), as ``dask.dataframe.to_parquet`` takes
            them; give `read_orders` the same.
    """
    import dask.dataframe as dd
    import numpy as np

    if is_dask_frame(orders):
        sizes = orders.map_partitions(len).compute()
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
        parts = [
            _numbered(p, off) for p, off in zip(orders.to_delayed(), offsets, strict=True)
        ]
        ddf = dd.from_delayed(parts, meta=orders._meta.assign(**{_SEQ: np.int64(0)}))
        ddf = ddf.assign(member_id=ddf["member_id"].astype(str))
        n = npartitions or max(1, int(sum(sizes)) // 250_000)
        ddf = ddf.set_index("member_id", npartitions=n).map_partitions(_by_row)
    else:
        df = read_table(orders, "orders")
        if "member_id" not in df.columns:
            raise InputError("orders: missing column(s): member_id (text)")
        df = df.assign(**{_SEQ: np.arange(len(df), dtype=np.int64)})
        df["member_id"] = df["member_id"].astype(str)
        df = df.sort_values(["member_id", _SEQ], kind="stable").set_index("member_id")
        n = npartitions or max(1, len(df) // 250_000)
        ddf = dd.from_pandas(df, npartitions=n, sort=True)  # type: ignore[no-untyped-call]
        ddf = ddf.map_partitions(_by_row)
    # One row group per file: its member-id statistics bound the whole file, rows in any
    # order, which is what `read_orders` takes the partitions' divisions from.
    ddf.to_parquet(
        str(path), write_index=True, row_group_size=_ONE_GROUP, storage_options=storage_options
    )
    return str(path)


def _numbered(part: Any, offset: int) -> Any:
    import dask
    import numpy as np

    def number(p: Any, start: int) -> Any:
        return p.assign(**{_SEQ: np.arange(len(p), dtype=np.int64) + start})

    return dask.delayed(number)(part, offset)  # type: ignore[attr-defined]


def _by_row(part: Any) -> Any:
    """A partition's rows in their first order (its member-id range is what makes it)."""
    return part.sort_values(_SEQ, kind="stable") if len(part) else part


def read_orders(path: str | Path, **kwargs: Any) -> Any:
    """Order lines written by `partition_by_member`, as a Dask DataFrame partitioned by member.

    One partition per file, indexed by ``member_id`` with known divisions:
    `simulate` prices each partition where it is read, with no shuffle.
    ``kwargs`` go to ``dask.dataframe.read_parquet`` (``storage_options``
    for object storage, for example).
    """
    import dask.dataframe as dd

    return dd.read_parquet(
        str(path), index="member_id", calculate_divisions=True, split_row_groups=False,
        **kwargs,
    )


def _partition(
    orders: Any,
    members: Any,
    scenario: Scenario,
    timezone: str | None,
    tz: str,
    *,
    exclude: frozenset[str] = frozenset(),
    own_members: bool = False,
    refused: frozenset[str] | None = None,
    campaigns: Any = None,
) -> dict[str, Any]:
    """Price one partition's members: rows, payment instants, rejects, tiers, order-id hashes.

    With ``own_members`` the members table given is this partition's share of
    it (every member in its range, ordering or not): its problems and its
    members' tiers are reported here. Otherwise it is the whole table, of
    which only the ordering members are read, and the driver reports the rest.
    ``refused``: the coupon claims the driver refuses for the templates' total
    quotas (None: no quota to share); the claims made come back in ``claims``.
    ``campaigns``: what the driver's campaign replay decided (`replay_campaigns`).
    """
    import numpy as np
    import pandas as pd

    if orders.index.name == "member_id":
        orders = orders.reset_index()
    if _SEQ in orders.columns:  # rows come in member order, each order's lines in theirs
        orders = orders.drop(columns=_SEQ)
    if exclude:
        orders = orders[~orders["order_id"].astype(str).isin(exclude)]
    from sirui.simulate._wire import id_hashes, unique_ids

    hashes = id_hashes(unique_ids(orders["order_id"]))
    if own_members:
        subset = members
    else:
        wanted = set(orders["member_id"].astype(str))
        subset = members[members["member_id"].astype(str).isin(wanted)]
    out: dict[str, Any] = {
        "ids": hashes, "engine": "", "ns": np.zeros(0, np.int64), "claims": [],
    }
    out["frame"] = pd.DataFrame(columns=list(ROW_COLUMNS))
    if len(subset) == 0:
        if len(orders) == 0:
            return {**out, "rejected": [], "tiers": {}}
        # Every order here names a member the table lacks: rejected as the exact checks do.
        nobody = pd.DataFrame({"member_id": ["\x00nobody"]})
        prepared = prepare(orders, nobody, timezone)
        rejected = [r.to_dict() for r in prepared.rejected if r.table == "orders"]
        return {**out, "rejected": rejected, "tiers": {}}
    if len(orders) == 0:  # a share of the members table and no orders: check it alone
        from sirui.simulate.columnar._input import _member_info

        info, found = _member_info(subset, timezone)
        return {
            **out, "rejected": [r.to_dict() for r in found],
            "tiers": start_tiers(info.tiers, scenario),
        }
    keep = (lambda r: True) if own_members else (lambda r: r.table == "orders")
    from sirui.simulate.columnar import columnar_plan, columnar_run

    plan, _ = columnar_plan(scenario)
    done = (
        columnar_run(plan, orders, subset, timezone, tz, refused=refused, campaigns=campaigns)
        if plan is not None else None
    )
    if done is not None:
        return {
            **out, "frame": done.frame, "ns": done.paid_ns, "tiers": done.tiers,
            "engine": "columnar", "claims": done.claims,
            "rejected": [r.to_dict() for r in done.rejected if keep(r)],
        }
    prepared = prepare(orders, subset, timezone)
    claims: list[Any] = []
    rows, final = run_prepared(
        prepared, scenario, tz=tz, refused=refused, quota_claims=claims, campaigns=campaigns
    )
    position = {rec.order_id: i for i, rec in enumerate(prepared.orders)}
    rows.sort(key=lambda r: position[r["order_id"]])
    from sirui.simulate.columnar._batch import _ns
    from sirui.simulate.engine import final_tiers

    return {
        **out,
        "frame": pd.DataFrame(rows, columns=list(ROW_COLUMNS)),
        "ns": np.array([_ns(rec.paid_at) for rec in prepared.orders], dtype=np.int64),
        "rejected": [r.to_dict() for r in prepared.rejected if keep(r)],
        "tiers": {**final_tiers(prepared, scenario), **final} if own_members else final,
        "engine": "exact",
        "claims": claims,
    }


def _ship(values: list[Any]) -> list[Any]:
    """``values`` where every task can use them: sent to each worker once with a
    ``dask.distributed`` client (not through the scheduler), else in the graph."""
    import uuid

    import dask

    try:
        from distributed import default_client

        client = default_client()  # type: ignore[no-untyped-call]
    except (ImportError, ValueError):
        client = None
    if client is None:
        return [
            dask.delayed(v, name=f"sirui-shared-{uuid.uuid4().hex}")  # type: ignore[attr-defined]
            for v in values
        ]
    # Each value whole (a list too), one future each.
    return [client.scatter([v], broadcast=True, hash=False)[0] for v in values]


def _cell(  # noqa: PLR0917 - map_partitions passes its arguments by position
    part: Any, shares: list[Any], scenario: Scenario, timezone: str | None, tz: str,
    exclude: frozenset[str], own: bool, refused: frozenset[str] | None, campaigns: Any,
    which: tuple[int, ...], partition_info: dict[str, Any] | None = None,
) -> Any:
    """`_partition` as a one-row frame (what ``map_partitions`` hands back), its share of the
    members table picked by the partition's number among ``which``."""
    import pandas as pd

    assert partition_info is not None
    members = shares[which[partition_info["number"]]] if own else shares[0]
    out = _partition(
        part, members, scenario, timezone, tz, exclude=exclude, own_members=own,
        refused=refused, campaigns=campaigns,
    )
    import numpy as np

    from sirui.simulate._wire import pack

    # Compact for the trip to the driver: moving the rows costs more than merging them.
    out["frame"] = pack(out["frame"])
    held = np.empty(1, dtype=object)
    held[0] = out
    return pd.DataFrame({"result": pd.Series(held, dtype=object)})


def _member_shares(members: Any, divisions: tuple[Any, ...]) -> list[Any]:
    """The members table cut at the partitions' member-id boundaries: one share per partition.

    A member's row goes with the partition that holds (or would hold) its
    orders, so each row is checked once; rows without an id go to the first.
    """
    import numpy as np

    ids = members["member_id"]
    text = np.asarray(ids.astype(str).to_numpy(dtype=object), dtype=object)
    inner = np.asarray([str(d) for d in divisions[1:-1]], dtype=object)
    where = np.searchsorted(inner, text, side="right") if len(inner) else np.zeros(len(text), int)
    where = np.where(ids.isna().to_numpy() | (text == ""), 0, where)
    return [members[where == k] for k in range(len(divisions) - 1)]


def _compute(parts: list[Any], progress: bool, desc: str) -> tuple[Any, ...]:
    """Compute the partitions' tasks; with ``progress``, a bar ticks as each one finishes.

    On a ``dask.distributed`` client each partition's result is fetched as
    soon as its task finishes, so the driver receives one partition's rows
    while the workers are still pricing the others.
    """
    import dask

    try:
        from distributed import as_completed, default_client

        client = default_client()  # type: ignore[no-untyped-call]
    except (ImportError, ValueError):  # no distributed, or no client: a local scheduler
        client = None
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm  # a widget in notebooks, text in terminals

        bar = tqdm(total=len(parts), desc=desc, unit="partition")
    try:
        if client is not None:
            futures = client.compute(parts)
            got: dict[Any, Any] = {}
            # Each result is fetched as its task ends, several at once when they end together.
            for done, result in as_completed(futures, with_results=True):  # type: ignore[no-untyped-call]
                got[done.key] = result
                if bar is not None:
                    bar.update(1)
            return tuple(got[f.key] for f in futures)
        if bar is None:
            return dask.compute(*parts)  # type: ignore[attr-defined,no-untyped-call,no-any-return]
        from dask.callbacks import Callback

        keys = {p.key for p in parts}

        class _Tick(Callback):
            def _posttask(self, key: Any, *_: Any) -> None:
                if key in keys:
                    bar.update(1)

        with _Tick():  # type: ignore[no-untyped-call]
            return dask.compute(*parts)  # type: ignore[attr-defined,no-untyped-call,no-any-return]
    finally:
        if bar is not None:
            bar.close()


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
        orders: a Dask DataFrame of order lines (columns as `simulate`); one
            partitioned by member (`read_orders`) is priced without a shuffle.
        members: the members table (pandas, polars, Arrow or a path): small
            enough to ship to every worker.
        scenario: the policies to apply.
        timezone: zone for timestamps without one.
        tz: the zone months are reported in.
        npartitions: partitions after the shuffle, when one is needed
            (default: as given).
        progress: show a ``tqdm.auto`` bar that advances as each partition is
            priced (on a ``dask.distributed`` client or a local scheduler).
    """
    import numpy as np
    import pandas as pd

    from sirui.simulate._wire import id_hashes, merged
    from sirui.simulate.columnar._coupons import quota_refusals, quotas_of
    from sirui.simulate.columnar._input import _member_info

    columns = set(orders.columns) | ({orders.index.name} - {None})
    missing = [c for c, (_, req) in ORDER_COLUMNS.items() if req and c not in columns]
    if missing:
        raise InputError(f"orders: missing column(s): {', '.join(missing)}")
    mdf = read_table(members, "members")
    _check_columns(mdf, MEMBER_COLUMNS, "members")
    own = is_partitioned_by_member(orders)
    tiers: dict[str, str | None] = {}
    rejected: list[dict[str, Any]] = []
    if own:
        # Each partition holds a range of member ids: it takes that share of the members
        # table too, checks it and reports its tiers, so no step runs on the whole table.
        spread = orders
        shares = _member_shares(mdf, orders.divisions)
    else:
        # Members-table problems are decided once, here; partitions read their members.
        info, found = _member_info(mdf, timezone)
        tiers = start_tiers(info.tiers, scenario)
        rejected = [r.to_dict() for r in found]
        spread = orders.shuffle(on="member_id", npartitions=npartitions or orders.npartitions)
        shares = [mdf]
    campaigns = _replay_on_driver(orders, mdf, scenario, timezone)
    # Sent to the workers once; each task reads its partition and prices it in one step.
    shared_members, shared_scenario, shared_campaigns = _ship([shares, scenario, campaigns])

    # Coupon quotas are shared by every member, so by every partition: the driver hands
    # them out, first come first served over every partition's claims (see below).
    quotas = quotas_of(scenario.coupons)
    refused: frozenset[str] | None = frozenset() if quotas else None
    split: frozenset[str] = frozenset()

    def run(which: list[int], results: list[Any]) -> None:
        # Partitions ``which`` of ``spread``, each told its number there (its members share).
        cells = spread.partitions[which].map_partitions(
            _cell, shared_members, shared_scenario, timezone, tz, split, own, refused,
            shared_campaigns, tuple(which), meta=_cell_meta(), enforce_metadata=False,
            align_dataframes=False,
        )
        parts = cells.to_delayed()
        for k, r in zip(which, _compute(parts, progress, scenario.name), strict=True):
            results[k] = r["result"].iloc[0]

    results: list[Any] = [None] * spread.npartitions
    run(list(range(spread.npartitions)), results)
    pieces = spread.to_delayed()
    split = frozenset(_split_cross(results, pieces))
    if split:
        # Orders whose rows name members in two partitions: priced again without them.
        hashes = id_hashes(sorted(split))
        run([k for k, r in enumerate(results) if np.isin(r["ids"], hashes).any()], results)
    while refused is not None:
        # Each round settles at least the next claim in time; partitions whose claims
        # changed sides are priced again, until nothing changes.
        settled = quota_refusals((c for r in results for c in r["claims"]), quotas)
        moved = settled ^ refused
        if not moved:
            break
        refused = settled
        run([k for k, r in enumerate(results) if any(c[1] in moved for c in r["claims"])],
            results)
    priced = [r for r in results if len(r["frame"])]
    frame = (
        # The partitions' rows interleaved in the single-process order, each column of the
        # type one frame of all the rows has.
        merged([r["frame"] for r in priced], np.concatenate([r["ns"] for r in priced]))
        if priced else pd.DataFrame(columns=list(ROW_COLUMNS))
    )
    engines = {r["engine"] for r in results if r["engine"]}
    rejected += [row for r in results for row in r["rejected"]]
    rejected += [
        RejectedRow(
            "orders", oid, DUPLICATE(order_id=oid, line_id="member_id differs between rows")
        ).to_dict()
        for oid in sorted(split)
    ]
    for r in results:
        tiers.update(r["tiers"])
    return SimulationResult(
        scenario.name,
        scenario.fingerprint,
        frame,
        summarize(frame, scenario, tiers, len(rejected), campaigns),
        pd.DataFrame(rejected),
        engines.pop() if len(engines) == 1 else "exact" if not engines else "mixed",
    )


def _replay_on_driver(orders: Any, members: Any, scenario: Scenario, timezone: str | None) -> Any:
    """The campaigns' replay over the whole history (they couple members): the orders holding
    a campaign SKU are fetched to the driver and replayed there, first come first served."""
    from sirui.simulate.campaigns import campaign_skus, has_campaigns, replay_campaigns

    if not has_campaigns(scenario):
        return None
    skus = sorted(campaign_skus(scenario))
    if orders.index.name == "member_id":
        orders = orders.reset_index()
    if not skus:
        return replay_campaigns(scenario, orders.head(0), members, timezone)
    ids = orders.loc[orders["sku"].astype(str).isin(skus), "order_id"].unique().compute()
    rows = orders[orders["order_id"].isin(list(ids))].compute()
    return replay_campaigns(scenario, rows, members, timezone)


def _split_cross(results: list[dict[str, Any]], pieces: list[Any]) -> set[str]:
    """Order ids in two partitions, from the hashes; confirmed on the ids (rare, so computed)."""
    import numpy as np
    import pandas as pd

    every = np.concatenate([r["ids"] for r in results]) if results else np.zeros(0, np.uint64)
    # A hash table, not a sort: the driver looks at every order id of the history here.
    twice = np.unique(every[pd.Series(every).duplicated().to_numpy()])
    if len(twice) == 0:
        return set()
    import dask

    def ids_with(part: Any, hashes: Any) -> list[str]:
        import pyarrow as pa

        from sirui.simulate._wire import id_hashes, unique_ids

        if part.index.name == "member_id":
            part = part.reset_index()
        ids = unique_ids(part["order_id"])
        hit = np.isin(id_hashes(ids), hashes)
        return [str(i) for i in ids.filter(pa.array(hit)).to_pylist()]

    found = dask.compute(*[dask.delayed(ids_with)(p, twice) for p in pieces])  # type: ignore[attr-defined,no-untyped-call]
    seen: dict[str, int] = {}
    for ids in found:
        for i in ids:
            seen[i] = seen.get(i, 0) + 1
    return {i for i, n in seen.items() if n > 1}
