"""Fuzzing the command line: no file content and no argument gives a traceback.

Whatever bytes, text, JSON or TOML a file holds (deep nesting, invalid UTF-8,
huge numbers, floats, wrong shapes, wrong currencies) and whatever the
arguments, every subcommand returns 0, 1 or 2 (see ``docs/guides/cli.md``); a
failure says why on stderr, one line per problem starting ``sirui COMMAND:``
(or argparse's usage message), and never as a traceback. Example counts come
from the active Hypothesis profile (``tests/conftest.py``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sirui.cli import DEMO_SIZES, main
from sirui.simulate import generate

# capsys, tmp_path and monkeypatch are reset by hand in each example.
FUZZ = settings(
    suppress_health_check=[*settings().suppress_health_check, HealthCheck.function_scoped_fixture]
)

HUGE = st.sampled_from(
    ["1e400", "-1e400", "9" * 5000, "NaN", "Infinity", "-0.0", "1e-400", str(10**30), str(2**63)]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**15, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["268", "268 USD", "-1", "0.001", "2026-11-11T10:00:00", "gold", ""]),
    st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-02-30"]),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.dates().map(str),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
TOML_KEYS = st.from_regex(r"[a-z_]{1,10}", fullmatch=True)
TOML_VALUES = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TOML_KEYS, inner, max_size=3),
    max_leaves=8,
)
POLICY_TYPES = st.sampled_from(
    ["scenario.bundle", "condition.tier_in", "promotion.full_reduction", "tier.ladder", "x.y"]
)
TOML_TEXT = st.one_of(
    st.dictionaries(TOML_KEYS, TOML_VALUES, max_size=5).map(tomli_w.dumps),
    st.tuples(POLICY_TYPES, st.dictionaries(TOML_KEYS, TOML_VALUES, max_size=4)).map(
        lambda t: tomli_w.dumps({"type": t[0], **t[1]})
    ),
    st.integers(100, 60_000).map(lambda n: "a = " + "[" * n),
    st.sampled_from(["x = 1e400", "x = 99999999999999999999999", "[[[", "name = 5\n" * 3]),
)
JSON_TEXT = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.tuples(POLICY_TYPES, st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)).map(
        lambda t: json.dumps({"type": t[0], **t[1]})
    ),
    st.integers(100, 60_000).map(lambda n: "[" * n),
    st.integers(100, 60_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    HUGE,
)
HOSTILE = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=50).map(lambda b: b"\xff" + b),  # never UTF-8
    st.sampled_from([b"\xef\xbb\xbf{}", b"\xc3\x28", b"\xed\xa0\x80", b"\x00" * 8, b""]),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    JSON_TEXT.map(str.encode),
    TOML_TEXT.map(str.encode),
)


def _run(capsys: Any, argv: list[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(argv, io.StringIO())
    return code, capsys.readouterr().err


def _check(code: int, err: str, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    assert code in allowed, (code, err)
    assert "Traceback" not in err, err
    if code == 0:
        return
    assert err.strip(), "a failure must say why on stderr"
    if "usage:" not in err:  # argparse's own usage errors aside
        bad = [line for line in err.splitlines() if not line.startswith("sirui ")]
        assert not bad, err


@pytest.fixture(scope="module")
def tables(tmp_path_factory: Any) -> Path:
    folder: Path = tmp_path_factory.mktemp("tables")
    data = generate("tiny", seed=5).frames()
    orders = data["orders"]
    one = orders[orders["order_id"] == orders["order_id"].iloc[0]]
    one.to_csv(folder / "one_order.csv", index=False)
    data["members"].to_csv(folder / "members.csv", index=False)
    return folder


@FUZZ
@given(content=HOSTILE, suffix=st.sampled_from([".json", ".toml"]), document=st.booleans())
def test_validate_any_file(
    tmp_path: Path, capsys: Any, content: bytes, suffix: str, document: bool
) -> None:
    path = tmp_path / f"policy{suffix}"
    path.write_bytes(content)
    code, err = _run(capsys, ["validate", str(path), *(["--document"] if document else [])])
    _check(code, err, (0, 1))


@FUZZ
@given(content=HOSTILE)
def test_quote_any_cart_file(tmp_path: Path, capsys: Any, content: bytes) -> None:
    path = tmp_path / "cart.json"
    path.write_bytes(content)
    code, err = _run(capsys, ["quote", "--cart", str(path), "--scenario", "builtin:baseline"])
    _check(code, err, (1,))


CART_PATHS = [
    (),
    ("now",),
    ("member",),
    ("member", "id"),
    ("member", "tier"),
    ("member", "tags"),
    ("member", "paid_orders"),
    ("member", "joined_at"),
    ("member", "birthday"),
    ("member", "first_paid_at"),
    ("member", "paid_cards"),
    ("channel",),
    ("store",),
    ("fulfillment",),
    ("lines",),
    ("lines", 0),
    ("lines", 0, "id"),
    ("lines", 0, "quantity"),
    ("lines", 0, "unit_price"),
    ("lines", 0, "sku"),
    ("lines", 0, "sku", "price"),
    ("lines", 0, "sku", "category"),
    ("lines", 0, "sku", "cost"),
    ("lines", 0, "gift"),
    ("lines", 0, "extra"),
]


def _cart() -> dict[str, Any]:
    return {
        "now": "2026-11-11T10:00:00+08:00",
        "member": {"id": "m1", "tier": "gold", "paid_orders": 2},
        "lines": [
            {"id": "1", "quantity": 2, "sku": {"id": "FM1", "price": "268", "category": ["母婴"]}},
            {"id": "2", "quantity": 1, "sku": {"id": "DP", "price": "129"}},
        ],
    }


def _set(cart: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node: Any = cart
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return cart


@FUZZ
@given(
    path=st.sampled_from(CART_PATHS),
    value=JSON_VALUES,
    scenario=st.sampled_from(["builtin:baseline", "builtin:proposal", "builtin:simplified"]),
)
def test_quote_mutated_carts(
    tmp_path: Path, capsys: Any, path: tuple[Any, ...], value: Any, scenario: str
) -> None:
    cart = tmp_path / "cart.json"
    cart.write_text(json.dumps(_set(_cart(), path, value)), encoding="utf-8")
    code, err = _run(capsys, ["quote", "--cart", str(cart), "--scenario", scenario, "--json"])
    _check(code, err, (0, 1))


@FUZZ
@given(content=HOSTILE, suffix=st.sampled_from([".json", ".toml"]))
def test_quote_any_scenario_file(tmp_path: Path, capsys: Any, content: bytes, suffix: str) -> None:
    cart = tmp_path / "cart.json"
    cart.write_text(json.dumps(_cart()), encoding="utf-8")
    scenario = tmp_path / f"scenario{suffix}"
    scenario.write_bytes(content)
    code, err = _run(capsys, ["quote", "--cart", str(cart), "--scenario", str(scenario)])
    _check(code, err, (0, 1))


@FUZZ
@given(
    content=HOSTILE,
    suffix=st.sampled_from([".csv", ".json", ".jsonl", ".parquet"]),
    as_members=st.booleans(),
)
def test_simulate_any_table_file(
    tmp_path: Path, tables: Path, capsys: Any, content: bytes, suffix: str, as_members: bool
) -> None:
    table = tmp_path / f"table{suffix}"
    table.write_bytes(content)
    orders = table if not as_members else tables / "one_order.csv"
    members = table if as_members else tables / "members.csv"
    argv = ["simulate", "--orders", str(orders), "--members", str(members)]
    argv += ["--scenario", "builtin:baseline", "--out", str(tmp_path / "out")]
    code, err = _run(capsys, argv)
    _check(code, err, (1,))


ORDER_CELLS = [
    "paid_at",
    "placed_at",
    "quantity",
    "unit_price_fen",
    "unit_cost_fen",
    "member_id",
    "order_id",
    "sku",
    "refunded_quantity",
    "refunded_at",
    "fulfillment",
    "category",
]


@FUZZ
@given(
    column=st.sampled_from(ORDER_CELLS),
    value=JSON_VALUES | HUGE,
    suffix=st.sampled_from([".csv", ".jsonl"]),
    engine=st.sampled_from(["auto", "exact"]),
)
def test_simulate_hostile_cells(
    tmp_path: Path, tables: Path, capsys: Any, column: str, value: Any, suffix: str, engine: str
) -> None:
    import pandas as pd

    rows = pd.read_csv(tables / "one_order.csv", dtype=str, keep_default_na=False)
    records = rows.to_dict("records")
    records[0][column] = value
    path = tmp_path / f"orders{suffix}"
    if suffix == ".csv":
        pd.DataFrame(records).to_csv(path, index=False)
    else:
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    argv = ["simulate", "--orders", str(path), "--members", str(tables / "members.csv")]
    argv += ["--scenario", "builtin:baseline", "--out", str(tmp_path / "out"), "--engine", engine]
    code, err = _run(capsys, argv)
    _check(code, err, (0, 1))


OPTIONS = st.sampled_from(
    [
        "--orders",
        "--members",
        "--scenario",
        "--compare",
        "--out",
        "--timezone",
        "--max-rejected",
        "--engine",
        "--cart",
        "--json",
        "--document",
        "--size",
        "--help",
        "--version",
        "-h",
        "--",
        "builtin:baseline",
        "builtin:",
        "x.csv",
        ".",
        "",
        "\x00",
        "nan",
        "-1",
    ]
)


@FUZZ
@given(
    command=st.sampled_from(["validate", "quote", "simulate", "schema", "reasons", "demo", "zz"]),
    rest=st.lists(OPTIONS | st.text(max_size=10), max_size=7),
)
def test_any_arguments(
    tmp_path: Path, capsys: Any, monkeypatch: Any, command: str, rest: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    if command == "demo":
        rest = [*rest, "--size", "not-a-size"]  # never run the whole demo here
    code, err = _run(capsys, [command, *rest])
    _check(code, err)


@FUZZ
@given(size=st.text(max_size=10).filter(lambda s: s not in DEMO_SIZES), with_size=st.booleans())
def test_demo_arguments(tmp_path: Path, capsys: Any, size: str, with_size: bool) -> None:
    a_file = tmp_path / "a-file"  # --out names a file: refused before the demo starts
    a_file.write_text("x")
    argv = ["demo", "--out", str(a_file), *(["--size", size] if with_size else [])]
    code, err = _run(capsys, argv)
    _check(code, err, (2,))


@FUZZ
@given(name=st.text(max_size=30))
def test_schema_and_reasons_any_name(capsys: Any, name: str) -> None:
    code, err = _run(capsys, ["schema", "--", name])
    _check(code, err, (0, 2))
    code, err = _run(capsys, ["reasons", "--", name])
    _check(code, err, (0,))
