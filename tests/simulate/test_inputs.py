"""Bad input rows are rejected with reasons and counted, never dropped silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sirui.simulate import InputError, prepare, simulate


def codes(p: Any) -> dict[str, str]:
    return {r.ref: r.reason.code for r in p.rejected}


def test_clean_sample_has_no_rejections(tiny: dict[str, Any]) -> None:
    p = prepare(tiny["orders"], tiny["members"])
    assert not p.rejected
    assert len(p.orders) == tiny["orders"]["order_id"].nunique()
    times = [o.paid_at for o in p.orders]
    assert times == sorted(times)


def test_each_bad_row_has_its_reason(tiny: dict[str, Any]) -> None:
    o = tiny["orders"].copy()
    ids = list(dict.fromkeys(o["order_id"]))
    first = {oid: o.index[o["order_id"] == oid][0] for oid in ids[:6]}
    o.loc[first[ids[0]], "member_id"] = "NOBODY"
    o.loc[o["order_id"] == ids[0], "member_id"] = "NOBODY"
    o.loc[first[ids[1]], "unit_price_fen"] = -5
    o.loc[o["order_id"] == ids[2], "paid_at"] = "2026-07-01T10:00:00"
    o.loc[first[ids[3]], "refunded_quantity"] = 1
    o.loc[first[ids[3]], "refunded_at"] = "2020-01-01T00:00:00+08:00"
    dup = o[o["order_id"] == ids[4]].copy()
    dup["member_id"] = tiny["members"]["member_id"].iloc[-1]
    o = pd.concat([o, dup], ignore_index=True)
    o.loc[first[ids[5]], "quantity"] = 0
    p = prepare(o, tiny["members"])
    assert codes(p) == {
        ids[0]: "input.unknown_member",
        ids[1]: "input.negative_amount",
        ids[2]: "input.naive_timestamp",
        ids[3]: "input.refund_before_order",
        ids[4]: "input.duplicate_order",
        ids[5]: "input.bad_value",
    }
    assert len(p.orders) == o["order_id"].nunique() - 6
    # A zone for naive timestamps admits that order.
    p2 = prepare(o, tiny["members"], timezone="Asia/Shanghai")
    assert ids[2] not in codes(p2)
    result = simulate(o, tiny["members"], _scenario())
    assert result.summary["rejected_rows"] == 6 and len(result.rejected) == 6


def _scenario() -> Any:
    from sirui.simulate import Scenario

    return Scenario("empty")


def test_whole_input_problems_raise_input_error(tiny: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing column\(s\): quantity \(integer >= 1\)"):
        prepare(tiny["orders"].drop(columns=["quantity"]), tiny["members"])
    with pytest.raises(InputError, match="empty"):
        prepare(tiny["orders"].head(0), tiny["members"])
    with pytest.raises(InputError, match="floats"):
        prepare(tiny["orders"].astype({"unit_price_fen": float}), tiny["members"])
    with pytest.raises(InputError, match="does not exist"):
        prepare(tmp_path / "nope.csv", tiny["members"])
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(InputError, match="unsupported"):
        prepare(tmp_path / "x.xlsx", tiny["members"])
    with pytest.raises(InputError, match="expected a pandas"):
        prepare(42, tiny["members"])
    with pytest.raises(InputError, match="member_id"):
        prepare(tiny["orders"], tiny["members"].drop(columns=["member_id"]))


def test_files_polars_and_arrow_give_the_same_records(tiny: dict[str, Any], tmp_path: Path) -> None:
    import polars as pl
    import pyarrow as pa

    base = prepare(tiny["orders"], tiny["members"])
    tiny["orders"].to_csv(tmp_path / "o.csv", index=False)
    tiny["orders"].to_parquet(tmp_path / "o.parquet")
    tiny["members"].to_csv(tmp_path / "m.csv", index=False)
    for src in (
        tmp_path / "o.csv",
        tmp_path / "o.parquet",
        pl.from_pandas(tiny["orders"]),
        pa.Table.from_pandas(tiny["orders"]),
    ):
        assert prepare(src, tmp_path / "m.csv").orders == base.orders
