"""The sirui command line, end to end, with its documented exit codes.

0 done; 1 invalid input (or rejected rows above --max-rejected); 2 usage.
Every failure is one line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sirui._demo import sample_cart
from sirui.cli import DEMO_SIZES, build_parser, main
from sirui.config import dumps_json, to_plain
from sirui.rules import TierIn
from sirui.simulate import generate
from sirui.simulate.cli import read_cart
from sirui.simulate.sample import SIZES

NOW = "2026-11-11T10:00:00+08:00"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


def failed(capsys: Any, command: str) -> str:
    """stderr of a failed command: one line per problem, each naming the command."""
    err: str = capsys.readouterr().err
    assert err and "Traceback" not in err
    assert all(line.startswith(f"sirui {command}: ") for line in err.splitlines()), err
    return err


def test_demo_end_to_end(tmp_path: Path) -> None:
    code, text = run("demo", "--out", str(tmp_path))
    assert code == 0
    assert "Quote payable" in text and "What-if" in text and "cost rate" in text
    assert "engine: columnar" in text
    assert "Tier boundary, simplified rules (columnar engine)" in text
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_demo_refuses_before_running(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    assert tuple(SIZES) == DEMO_SIZES
    code, text = run("demo", "--size", "huge", "--out", str(tmp_path))
    assert code == 2 and text == "" and "invalid choice: 'huge'" in capsys.readouterr().err
    a_file = tmp_path / "report.txt"
    a_file.write_text("x")
    code, text = run("demo", "--out", str(a_file))
    assert code == 2 and text == ""
    assert "is not a folder" in failed(capsys, "demo")
    monkeypatch.setitem(sys.modules, "sirui.simulate", None)  # a core-only install
    code, text = run("demo", "--out", str(tmp_path / "r"))
    assert code == 2 and text == "" and not (tmp_path / "r").exists()
    assert "pip install 'sirui[analysis]'" in failed(capsys, "demo")


def test_schema_and_validate(tmp_path: Path, capsys: Any) -> None:
    code, text = run("schema")
    schema = json.loads(text)
    assert code == 0 and "promotion.full_reduction" in schema["$defs"]
    code, text = run("schema", "condition.tier_in")
    assert code == 0 and json.loads(text)["title"] == "condition.tier_in"
    assert run("schema", "promotion.ful_reduction")[0] == 2
    assert "did you mean promotion.full_reduction" in failed(capsys, "schema")
    good = tmp_path / "good.json"
    good.write_text(dumps_json(TierIn({"gold"})), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "condition.tier_in", "tiers": "gold"}', encoding="utf-8")
    code, text = run("validate", str(good))
    assert code == 0 and "ok TierIn sha256:" in text
    code, text = run("validate", str(good), str(bad))
    assert code == 1 and "$.tiers: expected a list" in text
    assert "1 of 2 file(s) invalid" in failed(capsys, "validate")
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"policies": [json.loads(dumps_json(TierIn({"gold"})))]}))
    assert run("validate", "--document", str(doc))[0] == 0
    toml = tmp_path / "tier.toml"
    toml.write_text('type = "condition.tier_in"\ntiers = ["gold"]\n', encoding="utf-8")
    assert run("validate", str(toml))[0] == 0


def test_validate_missing_file_is_usage(tmp_path: Path, capsys: Any) -> None:
    assert run("validate", str(tmp_path / "missing.json"))[0] == 2
    assert "missing.json: cannot read: No such file" in failed(capsys, "validate")
    assert run("validate", str(tmp_path))[0] == 2  # a folder
    failed(capsys, "validate")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{", "$: not UTF-8 text"),
        (b"[" * 100_000, "$: not valid JSON: nested too deeply"),
        (b'{"type": "condition.quantity_at_least", "n": 1e400}', "$.n: "),
        (b'{"type": "condition.quantity_at_least", "n": 2.5}', "$.n: "),
        (b"9" * 5000, "not valid JSON"),
        (b"null", "$: expected an object"),
    ],
)
def test_validate_hostile_files_are_invalid(
    tmp_path: Path, capsys: Any, content: bytes, message: str
) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(content)
    code, text = run("validate", str(path))
    assert code == 1 and message in text
    failed(capsys, "validate")


def _tables(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate("tiny", seed=3).frames()
    data["orders"].to_csv(tmp_path / "o.csv", index=False)
    data["members"].to_csv(tmp_path / "m.csv", index=False)
    return data["orders"], data["members"]


def _simulate(tmp_path: Path, orders: str = "o.csv", members: str = "m.csv", *extra: str) -> int:
    argv = ["simulate", "--orders", str(tmp_path / orders), "--members", str(tmp_path / members)]
    if "--scenario" not in extra:
        argv += ["--scenario", "builtin:baseline"]
    if "--out" not in extra:
        argv += ["--out", str(tmp_path / "out")]
    return run(*argv, *extra)[0]


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
    orders, _ = _tables(tmp_path)
    orders.drop(columns=["quantity"]).to_csv(tmp_path / "o1.csv", index=False)
    assert _simulate(tmp_path, "o1.csv") == 1
    assert "quantity (integer >= 1)" in failed(capsys, "simulate")
    (tmp_path / "bad.toml").write_text('type = "scenario.bundle"\nname = 5\n')
    assert _simulate(tmp_path, "o.csv", "m.csv", "--scenario", str(tmp_path / "bad.toml")) == 1
    assert "bad.toml: $.name: " in failed(capsys, "simulate")
    o = orders.copy()
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
    assert code == 0 and "1 rows rejected" in text  # 1 of 200 orders: within the 1% allowed
    assert "input.unknown_member" in (tmp_path / "y" / "rejected.csv").read_text()


def test_simulate_fails_when_too_many_rows_are_rejected(tmp_path: Path, capsys: Any) -> None:
    orders, _ = _tables(tmp_path)
    naive = orders.copy()
    for col in ("paid_at", "placed_at"):
        naive[col] = naive[col].str[:19]
    naive.to_csv(tmp_path / "naive.csv", index=False)
    assert _simulate(tmp_path, "naive.csv") == 1
    err = failed(capsys, "simulate")
    assert "200 of 200 orders rejected (100.0%)" in err and "input.naive_timestamp" in err
    assert "naive_timestamp" in (tmp_path / "out" / "rejected.csv").read_text()
    assert _simulate(tmp_path, "naive.csv", "m.csv", "--timezone", "Asia/Shanghai") == 0
    assert _simulate(tmp_path, "naive.csv", "m.csv", "--max-rejected", "1") == 0
    # the orders file given as --members: most "members" are duplicates
    assert _simulate(tmp_path, "o.csv", "o.csv") == 1
    assert "members rejected" in failed(capsys, "simulate")
    one_bad = orders.copy()
    one_bad.loc[one_bad["order_id"] == one_bad["order_id"].iloc[0], "member_id"] = "NOBODY"
    one_bad.to_csv(tmp_path / "one_bad.csv", index=False)
    assert _simulate(tmp_path, "one_bad.csv") == 0
    assert _simulate(tmp_path, "one_bad.csv", "m.csv", "--max-rejected", "0") == 1
    assert "1 of 200 orders rejected" in failed(capsys, "simulate")


def test_simulate_checks_options_up_front(tmp_path: Path, capsys: Any) -> None:
    _tables(tmp_path)
    assert _simulate(tmp_path, "o.csv", "m.csv", "--timezone", "Asia/Shangai") == 2
    assert "unknown time zone" in capsys.readouterr().err
    for share in ("2", "-0.1", "nan", "lots"):
        assert _simulate(tmp_path, "o.csv", "m.csv", "--max-rejected", share) == 2
        assert "--max-rejected" in capsys.readouterr().err
    assert _simulate(tmp_path, "o.csv", "m.csv", "--scenario", "builtin:nope") == 2
    err = failed(capsys, "simulate")
    assert "unknown built-in scenario 'nope'; use one of: baseline, proposal" in err
    assert "scenarios/" not in err and "site-packages" not in err
    assert _simulate(tmp_path, "missing.csv") == 2
    assert "--orders" in failed(capsys, "simulate")
    (tmp_path / "o.txt").write_text("x")
    assert _simulate(tmp_path, "o.txt") == 2
    assert "unsupported file type" in failed(capsys, "simulate")
    assert _simulate(tmp_path, "o.csv", "m.csv", "--out", str(tmp_path / "o.csv")) == 2
    assert "is not a folder" in failed(capsys, "simulate")
    assert _simulate(tmp_path, "o.csv", "m.csv", "--out", str(tmp_path / "o.csv" / "x")) == 2
    assert "cannot create the output folder" in failed(capsys, "simulate")


def test_simulate_unwritable_output(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    _tables(tmp_path)

    def refuse(self: Any, path: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    assert _simulate(tmp_path) == 2
    assert "baseline_orders.csv: cannot write: Permission denied" in failed(capsys, "simulate")


def test_rejected_csv_shows_the_bad_value(tmp_path: Path) -> None:
    orders, _ = _tables(tmp_path)
    o = orders.astype({"quantity": str})
    o.loc[0, "quantity"] = "2.5"
    far = o["order_id"] == o["order_id"].iloc[-1]
    o.loc[far, "paid_at"] = o.loc[far, "placed_at"] = "9999-12-31T23:59:59-14:00"
    o.to_csv(tmp_path / "o3.csv", index=False)
    for engine in ("exact", "auto"):
        assert _simulate(tmp_path, "o3.csv", "m.csv", "--engine", engine) == 0
        rejected = pd.read_csv(tmp_path / "out" / "rejected.csv")
        assert rejected["en"].tolist() == [
            "quantity has an invalid value 2.5 (expected integer >= 1)",
            "paid_at has an invalid value 9999-12-31T23:59:59-14:00 "
            "(expected a datetime in the years 2 to 9998)",
        ]


def test_simulate_reads_json_lines(tmp_path: Path) -> None:
    orders, _ = _tables(tmp_path)
    orders.to_json(tmp_path / "o.jsonl", orient="records", lines=True, force_ascii=False)
    assert _simulate(tmp_path, "o.csv", "m.csv", "--out", str(tmp_path / "a")) == 0
    assert _simulate(tmp_path, "o.jsonl", "m.csv", "--out", str(tmp_path / "b")) == 0
    for name in ("baseline_summary.json", "baseline_orders.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


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
    # an option only the exact engine prices: the columnar engine refuses it, saying why
    import attrs

    from sirui.config import dumps_json
    from sirui.core.money import Money
    from sirui.loyalty.points import EarnRule
    from sirui.simulate.cli import builtin_scenario

    base = builtin_scenario("baseline")
    earn = attrs.evolve(base.points or EarnRule(), min_order=Money.of("50"))
    (tmp_path / "min.json").write_text(dumps_json(attrs.evolve(base, points=earn)), "utf-8")
    code, _ = run(
        *args, "--scenario", str(tmp_path / "min.json"), "--engine", "columnar",
        "--out", str(tmp_path),
    )
    assert code == 2 and "min_order" in failed(capsys, "simulate")


def _cart() -> dict[str, Any]:
    return {
        "now": NOW,
        "member": {"id": "m1", "tier": "gold", "paid_orders": 2},
        "store": "S01",
        "lines": [
            {
                "id": "1",
                "quantity": 2,
                "sku": {"id": "FM1-800", "price": "268", "category": ["母婴", "奶粉", "1段"]},
            }
        ],
    }


def _quote(tmp_path: Path, cart: Any, *extra: str) -> tuple[int, str]:
    path = tmp_path / "cart.json"
    text = cart if isinstance(cart, str) else json.dumps(cart, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return run("quote", "--cart", str(path), "--scenario", "builtin:baseline", *extra)


def test_quote_command(tmp_path: Path, capsys: Any) -> None:
    code, text = _quote(tmp_path, _cart())
    assert code == 0 and "Quote payable" in text
    code, text = _quote(tmp_path, _cart(), "--json")
    assert code == 0 and json.loads(text)["payable"]
    assert _quote(tmp_path, _with("now", "2026-11-11T10:00:00"))[0] == 1
    assert "cart.json: $.now: " in failed(capsys, "quote")
    missing = ["quote", "--cart", str(tmp_path / "none.json"), "--scenario", "builtin:baseline"]
    assert run(*missing)[0] == 2
    assert "none.json: cannot read" in failed(capsys, "quote")
    assert _quote(tmp_path, "{")[0] == 1
    assert "$: not valid JSON" in failed(capsys, "quote")


def test_quote_reads_the_converters_cart(tmp_path: Path) -> None:
    """One shape: what sirui.config writes for a Cart, plus `now`, is what quote reads."""
    data = {"now": NOW, **to_plain(sample_cart())}
    cart, now = read_cart(data)
    assert cart == sample_cart() and now.isoformat() == NOW
    code, text = _quote(tmp_path, data)
    assert code == 0 and "Quote payable" in text


def _with(path: str, value: Any) -> dict[str, Any]:
    """The valid cart with the value at a dotted path (``lines.0.quantity``) replaced."""
    cart = _cart()
    *parents, last = path.split(".")
    node: Any = cart
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return cart


@pytest.mark.parametrize(
    ("cart", "names"),
    [
        (_with("lines.0.quantity", 2.7), ("$.lines[0].quantity: ", "2.7")),
        (_with("member.paid_orders", 0.5), ("$.member.paid_orders: ", "0.5")),
        (_with("lines.0.sku.price", 268.0), ("$.lines[0].sku.price: ", "268.0")),
        (_with("lines.0.qty", 2), ("$.lines[0].qty: ", "unknown")),
        (_with("coupon", "X"), ("$.coupon: ", "unknown")),
        (_with("member", "m1"), ("$.member",)),
        (_with("member", []), ("$.member",)),
        (_with("lines", {}), ("$.lines: ",)),
        (_with("lines.0.quantity", 10**16), ("$.lines[0].quantity: ", "MAX_MINOR")),
        (_with("lines.0.quantity", 0), ("$.lines[0].quantity",)),
        (_with("now", None), ("$.now: required",)),
        (_with("now", "2026-11-11T10:00:00"), ("$.now: ", "offset")),
        (_with("now", "9999-12-31T23:59:59-14:00"), ("$.now: ", "out of range")),
        ('{"now": 1e400}', ("$.now: ", "inf")),
        ('{"now": "2026-11-11T10:00:00+08:00", "lines": [{"quantity": 1e400}]}', ("inf",)),
        ("[]", ("$: expected an object with 'now', 'member' and 'lines', got list",)),
        ("null", ("$: expected an object",)),
        ('"cart"', ("$: expected an object",)),
    ],
)
def test_quote_refuses_what_the_converter_refuses(
    tmp_path: Path, capsys: Any, cart: Any, names: tuple[str, ...]
) -> None:
    assert _quote(tmp_path, cart)[0] == 1
    err = failed(capsys, "quote")
    assert all(name in err for name in names), err


def test_quote_a_cart_that_cannot_be_priced(tmp_path: Path, capsys: Any) -> None:
    assert _quote(tmp_path, _with("lines.0.sku.price", "268 USD"))[0] == 1
    assert "cannot price this cart under scenario 'baseline': cannot combine" in failed(
        capsys, "quote"
    )


def test_usage_errors_exit_2(capsys: Any) -> None:
    assert run()[0] == 2
    assert run("nope")[0] == 2
    assert run("schema", "--nope")[0] == 2
    assert run("quote", "--cart")[0] == 2
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        raise SystemExit(main(["--help"], io.StringIO()))


def test_version_and_python_m(capsys: Any) -> None:
    assert run("--version")[0] == 0
    assert capsys.readouterr().out.strip() == f"sirui {version('sirui')}"
    done = subprocess.run(
        [sys.executable, "-m", "sirui", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == f"sirui {version('sirui')}"


def test_every_subcommand_has_a_help_page(capsys: Any) -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    names = sorted(sub.choices)  # type: ignore[arg-type]
    assert {"demo", "quote", "reasons", "schema", "simulate", "validate"} <= set(names)
    for name in names:
        assert run(name, "--help")[0] == 0
        page = capsys.readouterr().out
        description = page.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), (name, page)


def test_commands_of_the_analysis_extra_say_how_to_install_it(
    capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(sys.modules, "sirui.simulate", None)  # a core-only install
    assert run("quote", "--cart", "c.json", "--scenario", "builtin:baseline")[0] == 2
    assert "pip install 'sirui[analysis]'" in failed(capsys, "quote")
    assert run("simulate", "--orders", "o.csv")[0] == 2
    assert "pip install 'sirui[analysis]'" in failed(capsys, "simulate")
    assert run("schema", "condition.tier_in")[0] == 0


def test_commands_check_their_dependencies_first(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # the toolkit imports, pandas does not
    argv = ["--orders", "o.csv", "--members", "m.csv", "--scenario", "x", "--out", "y"]
    assert run("simulate", *argv)[0] == 2
    assert "needs pandas, which is not installed: pip install" in failed(capsys, "simulate")
    assert run("demo", "--out", "y")[0] == 2
    assert "needs pandas" in failed(capsys, "demo")


def test_reason_catalogue_for_services() -> None:
    code, text = run("reasons")
    entries = json.loads(text)
    codes = [e["code"] for e in entries]
    assert code == 0 and codes == sorted(codes) and len(codes) > 100
    for expected in (
        "seckill.sold_out",
        "coupon.below_threshold",
        "condition.tier_not_in",
        "groupbuy.full",
        "lottery.no_entries",
    ):
        assert expected in codes, expected
    assert all(e["zh"] and e["en"] for e in entries)
    code, text = run("reasons", "seckill.")
    assert {e["code"].split(".")[0] for e in json.loads(text)} == {"seckill"}


def test_schema_covers_every_value_type(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from sirui.cli import main

    assert main(["schema", "--list"]) == 0
    names = capsys.readouterr().out.split()
    assert {"core.Cart", "checkout.Quote", "loyalty.points.PointsLedger"} <= set(names)
    assert main(["schema", "loyalty.points.PointsLedger"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "loyalty.points.PointsLedger"
    assert main(["schema", "--all"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == set(names)
    assert main(["schema", "loyalty.points.PointsLedgr"]) == 2
    assert "did you mean loyalty.points.PointsLedger" in capsys.readouterr().err
