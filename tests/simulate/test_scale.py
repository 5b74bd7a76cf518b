"""Dask scale-out gives exactly the single-process results (a LocalCluster with two workers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from sirui.simulate import partition_by_member, read_orders, simulate  # noqa: E402
from sirui.simulate.scale import is_partitioned_by_member  # noqa: E402


def _sorted(df: Any) -> Any:
    cols = ["table", "ref", "code", "en"]
    return df[cols].sort_values(cols).reset_index(drop=True) if len(df) else df


@pytest.fixture(scope="module")
def cluster() -> Any:
    # Threads, not processes: the partitions are the same tasks, and the suite stays quick.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        distributed.Client(local),
    ):
        yield local


def _scenario(name: str) -> Any:
    from sirui.simulate.cli import builtin_scenario

    if name == "simplified+ladder":
        return attrs.evolve(
            builtin_scenario("simplified"), ladder=builtin_scenario("baseline").ladder
        )
    if name == "baseline+shipping-coupon":  # a coupon the columnar engine leaves to the exact
        from sirui.core.windows import DaysAfterClaim
        from sirui.promotions import FreeShippingCoupon

        base = builtin_scenario("baseline")
        ship = FreeShippingCoupon("after-pay", validity=DaysAfterClaim(14))
        return attrs.evolve(base, coupons=(ship, *base.coupons[1:]))
    return builtin_scenario(name)


def _same(single: Any, spread: Any) -> None:
    assert spread.engine == single.engine
    assert spread.orders.equals(single.orders)
    assert spread.summary == single.summary
    assert _sorted(spread.rejected).equals(_sorted(single.rejected))


@pytest.fixture(scope="module")
def members(tiny: dict[str, Any]) -> Any:
    """The sample's members with a duplicated row and an impossible birthday."""
    import pandas as pd

    m = pd.concat([tiny["members"], tiny["members"].iloc[[3]]], ignore_index=True)
    m.loc[7, "birthday"] = "1990-02-30"
    return m


@pytest.fixture(scope="module")
def dirty(tiny: dict[str, Any]) -> Any:
    """The sample chain with a bad row and an order whose two lines name two members."""
    import pandas as pd

    orders = tiny["orders"].copy()
    orders.loc[orders.index[0], "unit_price_fen"] = -1
    # The first member's first order gets a line of the last member: two partitions apart.
    first, last = orders["member_id"].min(), orders["member_id"].max()
    split = orders[orders["member_id"] == first].iloc[[0]].assign(line_id="99", member_id=last)
    return pd.concat([orders, split], ignore_index=True)


@pytest.mark.parametrize(
    ("name", "engine"),
    [
        ("baseline", "columnar"),
        ("simplified+ladder", "columnar"),
        ("baseline+shipping-coupon", "exact"),
    ],
)
def test_member_partitioned_parquet_equals_single_process(
    members: Any, dirty: Any, cluster: Any, tmp_path: Path, name: str, engine: str
) -> None:
    scenario = _scenario(name)
    single = simulate(dirty, members, scenario)
    assert single.engine == engine
    path = partition_by_member(dirty, tmp_path / "orders", npartitions=3)
    orders = read_orders(path)
    assert is_partitioned_by_member(orders) and orders.npartitions == 3
    ends = orders.divisions
    assert dirty["member_id"].min() < ends[1] and dirty["member_id"].max() >= ends[-2]
    _same(single, simulate(orders, members, scenario))
    assert (single.rejected["code"] == "input.duplicate_order").sum() == 2  # a member, an order
    assert (single.rejected["table"] == "members").sum() == 2


def test_any_dask_frame_is_shuffled_by_member_first(
    members: Any, dirty: Any, cluster: Any
) -> None:
    scenario = _scenario("baseline")
    orders = dd.from_pandas(dirty, npartitions=4)
    assert not is_partitioned_by_member(orders)
    _same(simulate(dirty, members, scenario), simulate(orders, members, scenario))


def test_a_dask_frame_partitioned_by_member_is_not_shuffled(
    tiny: dict[str, Any], cluster: Any, tmp_path: Path
) -> None:
    """The graph of a run over `read_orders` has no shuffle: each partition is read and priced."""
    from sirui.simulate import scale

    path = partition_by_member(dd.from_pandas(tiny["orders"], npartitions=3), tmp_path / "o")
    orders = read_orders(path)
    shuffled = []
    real = type(orders).shuffle

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        shuffled.append(1)
        return real(self, *args, **kwargs)

    type(orders).shuffle = spy  # type: ignore[method-assign]
    try:
        spread = scale.simulate_dask(orders, tiny["members"], _scenario("simplified"))
    finally:
        type(orders).shuffle = real  # type: ignore[method-assign]
    assert not shuffled
    single = simulate(tiny["orders"], tiny["members"], _scenario("simplified"))
    _same(single, spread)


def test_partitioned_orders_on_a_url_are_read_and_priced_there(
    tiny: dict[str, Any], cluster: Any
) -> None:
    """Object storage stand-in: a ``memory://`` URL (the suite's workers are threads, so they
    see it), written and read with storage options, as an ``s3://`` one would be."""
    import uuid

    url = f"memory://sirui-{uuid.uuid4().hex}/by-member"
    frame = dd.from_pandas(tiny["orders"], npartitions=2)  # a Dask frame in, as from a URL
    assert partition_by_member(frame, url, npartitions=2, storage_options={}) == url
    orders = read_orders(url, storage_options={})
    assert is_partitioned_by_member(orders) and orders.npartitions == 2
    single = simulate(tiny["orders"], tiny["members"], _scenario("simplified"))
    _same(single, simulate(orders, tiny["members"], _scenario("simplified")))


@pytest.mark.parametrize("name", ["baseline", "baseline+shipping-coupon"])
def test_coupon_quotas_are_shared_across_partitions(
    tiny: dict[str, Any], cluster: Any, tmp_path: Path, name: str
) -> None:
    """发放总量 25 for the after-payment coupon: the first 25 claims over all partitions, as in
    one process, whichever engine prices the partitions."""
    scenario = _scenario(name)
    first, *rest = scenario.coupons
    scenario = attrs.evolve(scenario, coupons=(attrs.evolve(first, total_quota=25), *rest))
    single = simulate(tiny["orders"], tiny["members"], scenario)
    path = partition_by_member(tiny["orders"], tmp_path / "o", npartitions=3)
    spread = simulate(read_orders(path), tiny["members"], scenario)
    _same(single, spread)
    unlimited = simulate(tiny["orders"], tiny["members"], _scenario(name))
    assert single.summary["coupons_issued"] < unlimited.summary["coupons_issued"]


def test_campaigns_are_replayed_once_for_every_partition(
    tiny: dict[str, Any], cluster: Any, tmp_path: Path
) -> None:
    """A flash sale and a group-buy couple members in different partitions: the driver
    replays them over the whole history, first come first served, as one process does."""
    import datetime as dt

    import pendulum

    from sirui.campaigns.groupbuy import GroupBuyPolicy
    from sirui.campaigns.seckill import SeckillCampaign, SeckillItem, SeckillSlot
    from sirui.core.money import Money
    from sirui.core.windows import DailySlot

    tz = "Asia/Shanghai"
    orders = tiny["orders"].copy()
    diapers = orders.loc[orders["sku"].str.startswith("DP"), "order_id"].unique()
    orders["group_id"] = orders["order_id"].map(
        {oid: f"G{i // 2}" for i, oid in enumerate(diapers)}
    ).fillna("")
    flash = SeckillCampaign("flash", (SeckillSlot(
        "day", (SeckillItem("FM3-800", Money.of("199"), Money.of("248"), 2),),
        daily=DailySlot(dt.time(8), dt.time(22), tz=tz),
    ),), allow_pickup=True, payment_timeout_minutes=30)
    team = GroupBuyPolicy(
        "team", "DP-L", Money.of("139"), Money.of("99"), 2, stock=6,
        starts_at=pendulum.datetime(2026, 6, 1, tz=tz),
        ends_at=pendulum.datetime(2026, 12, 1, tz=tz),
    )
    scenario = attrs.evolve(_scenario("baseline"), seckill=(flash,), group_buys=(team,))
    single = simulate(orders, tiny["members"], scenario)
    path = partition_by_member(orders, tmp_path / "o", npartitions=3)
    _same(single, simulate(read_orders(path), tiny["members"], scenario))
    assert single.summary["orders_lost"] > 0
