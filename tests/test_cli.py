"""The sirui command line, end to end, with its documented exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from sirui.cli import main
from sirui.config import dumps_json
from sirui.rules import TierIn
from sirui.simulate import generate


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


def test_demo_end_to_end(tmp_path: Path) -> None:
    code, text = run("demo", "--out", str(tmp_path))
    assert code == 0
    assert "Quote payable" in text and "What-if" in text and "cost rate" in text
    assert "engine: exact (coupon triggers" in text
    assert "Tier boundary, simplified rules (columnar engine)" in text
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_schema_and_validate(tmp_path: Path, capsys: Any) -> None:
    code, text = run("schema")
    schema = json.loads(text)
    assert code == 0 and "promotion.full_reduction" in schema["$defs"]
    code, text = run("schema", "condition.tier_in")
    assert code == 0 and json.loads(text)["title"] == "condition.tier_in"
    assert run("schema", "nope.nope")[0] == 2
    good = tmp_path / "good.json"
    good.write_text(dumps_json(TierIn({"gold"})), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "condition.tier_in", "tiers": "gold"}', encoding="utf-8")
    code, text = run("validate", str(good))
    assert code == 0 and "ok TierIn sha256:" in text
    code, text = run("validate", str(good), str(bad))
    assert code == 1 and "$.tiers: expected a list" in text
    assert run("validate", str(tmp_path / "missing.json"))[0] == 1
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"policies": [json.loads(dumps_json(TierIn({"gold"})))]}))
    assert run("validate", "--document", str(doc))[0] == 0


def test_simulate_and_compare_files(tmp_path: Path) -> None:
    data = generate("tiny", seed=3).frames()
    data["orders"].to_csv(tmp_path / "orders.csv", index=False)
    data["members"].to_parquet(tmp_path / "members.parquet")
    out = tmp_path / "out"
    code, text = run(
        "simulate",
        "--orders",
        str(tmp_path / "orders.csv"),
        "--members",
        str(tmp_path / "members.parquet"),
        "--scenario",
        "builtin:baseline",
        "--compare",
        "builtin:proposal",
        "--out",
        str(out),
    )
    assert code == 0, text
    assert (out / "report.html").exists() and (out / "baseline_orders.csv").exists()
    summary = json.loads((out / "baseline_summary.json").read_text())
    assert summary["orders"] == data["orders"]["order_id"].nunique()
    code, text = run(
        "simulate",
        "--orders",
        str(tmp_path / "orders.csv"),
        "--members",
        str(tmp_path / "members.parquet"),
        "--scenario",
        "builtin:baseline",
        "--out",
        str(out),
    )
    assert code == 0 and "gmv_fen" in text


def test_simulate_reports_bad_inputs(tmp_path: Path, capsys: Any) -> None:
    data = generate("tiny", seed=3).frames()
    data["orders"].drop(columns=["quantity"]).to_csv(tmp_path / "o.csv", index=False)
    data["members"].to_csv(tmp_path / "m.csv", index=False)
    args = [
        "simulate",
        "--orders",
        str(tmp_path / "o.csv"),
        "--members",
        str(tmp_path / "m.csv"),
        "--out",
        str(tmp_path / "x"),
    ]
    assert run(*args, "--scenario", "builtin:baseline")[0] == 2
    assert "quantity (integer >= 1)" in capsys.readouterr().err
    (tmp_path / "bad.toml").write_text('type = "scenario.bundle"\nname = 5\n')
    assert run(*args, "--scenario", str(tmp_path / "bad.toml"))[0] == 1
    assert "$.name" in capsys.readouterr().err
    o = data["orders"].copy()
    o.loc[o["order_id"] == o["order_id"].iloc[0], "member_id"] = "NOBODY"
    o.to_csv(tmp_path / "o2.csv", index=False)
    code, text = run(
        "simulate",
        "--orders",
        str(tmp_path / "o2.csv"),
        "--members",
        str(tmp_path / "m.csv"),
        "--scenario",
        "builtin:baseline",
        "--out",
        str(tmp_path / "y"),
    )
    assert code == 0 and "rows rejected" in text
    assert "input.unknown_member" in (tmp_path / "y" / "rejected.csv").read_text()


def test_simulate_engine_option(tmp_path: Path, capsys: Any) -> None:
    data = generate("tiny", seed=3).frames()
    data["orders"].to_csv(tmp_path / "o.csv", index=False)
    data["members"].to_csv(tmp_path / "m.csv", index=False)
    args = ["simulate", "--orders", str(tmp_path / "o.csv"), "--members", str(tmp_path / "m.csv")]
    code, text = run(*args, "--scenario", "builtin:simplified", "--out", str(tmp_path / "a"))
    assert code == 0 and "columnar engine" in text
    code, text = run(
        *args, "--scenario", "builtin:simplified", "--engine", "exact", "--out", str(tmp_path / "b")
    )
    assert code == 0 and "exact engine" in text
    fast = (tmp_path / "a" / "simplified_orders.csv").read_text()
    assert fast == (tmp_path / "b" / "simplified_orders.csv").read_text()
    code, _ = run(
        *args, "--scenario", "builtin:baseline", "--engine", "columnar", "--out", str(tmp_path)
    )
    assert code == 2 and "coupon triggers" in capsys.readouterr().err


def test_quote_command(tmp_path: Path, capsys: Any) -> None:
    cart = {
        "now": "2026-11-11T10:00:00+08:00",
        "member": {"id": "m1", "tier": "gold", "paid_orders": 2},
        "store": "S01",
        "lines": [
            {
                "id": "1",
                "sku": "FM1-800",
                "price": "268",
                "quantity": 2,
                "category": "母婴/奶粉/1段",
            }
        ],
    }
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(cart, ensure_ascii=False), encoding="utf-8")
    code, text = run("quote", "--cart", str(path), "--scenario", "builtin:baseline")
    assert code == 0 and "Quote payable" in text
    code, text = run("quote", "--cart", str(path), "--scenario", "builtin:baseline", "--json")
    assert code == 0 and json.loads(text)["payable"]
    cart["now"] = "2026-11-11T10:00:00"
    path.write_text(json.dumps(cart), encoding="utf-8")
    assert run("quote", "--cart", str(path), "--scenario", "builtin:baseline")[0] == 1
    assert (
        run("quote", "--cart", str(tmp_path / "none.json"), "--scenario", "builtin:baseline")[0]
        == 2
    )
    path.write_text("{", encoding="utf-8")
    assert run("quote", "--cart", str(path), "--scenario", "builtin:baseline")[0] == 1


def test_usage_errors_exit_2() -> None:
    assert run()[0] == 2
    assert run("nope")[0] == 2
    with pytest.raises(SystemExit):
        raise SystemExit(main(["--help"], io.StringIO()))


def test_reason_catalogue_for_services() -> None:
    code, text = run("reasons")
    entries = json.loads(text)
    codes = [e["code"] for e in entries]
    assert code == 0 and codes == sorted(codes) and len(codes) > 100
    for expected in ("seckill.sold_out", "coupon.below_threshold", "condition.tier_not_in",
                     "groupbuy.full", "lottery.no_entries"):
        assert expected in codes, expected
    assert all(e["zh"] and e["en"] for e in entries)
    code, text = run("reasons", "seckill.")
    assert {e["code"].split(".")[0] for e in json.loads(text)} == {"seckill"}
