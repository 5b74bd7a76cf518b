"""``sirui simulate`` and ``sirui quote``: the analyst's and the integrator's commands.

Exit codes as for every ``sirui`` command (see `sirui.cli`): 0 done; 1 a
scenario, cart or table was read but is invalid, or ``simulate`` rejected a
larger share of rows than ``--max-rejected`` allows (its outputs and
``rejected.csv`` are written all the same); 2 usage: a bad option, a file that
does not exist or cannot be opened, an output folder that cannot be written.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from sirui.cli import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    config_lines,
    load_file,
    output_folder,
    read_data,
    require,
    writing,
)
from sirui.core.errors import ConfigError, InvalidValueError, SiruiError
from sirui.core.nouns import Cart
from sirui.core.windows import DateTime

__all__ = ["builtin_names", "builtin_scenario", "commands", "read_cart"]

TABLE_SUFFIXES = (".parquet", ".csv", ".json", ".jsonl")
DEFAULT_MAX_REJECTED = 0.01


def builtin_names() -> tuple[str, ...]:
    """Names of the scenarios shipped with sirui: ``baseline``, ``proposal``, ``simplified``."""
    folder = resources.files("sirui.simulate").joinpath("scenarios")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def builtin_scenario(name: str) -> Any:
    """A built-in scenario (TOML shipped with sirui); see `builtin_names`.

    An unknown name raises `InvalidValueError` listing the known ones.
    """
    from sirui.config import loads_toml

    known = builtin_names()
    if name not in known:
        raise InvalidValueError(
            f"unknown built-in scenario {name!r}; use one of: {', '.join(known)}",
            field="name",
            value=name,
        )
    text = resources.files("sirui.simulate").joinpath(f"scenarios/{name}.toml").read_text("utf-8")
    return loads_toml(text)


def _scenario(spec: str) -> Any:
    """The scenario an option names: ``builtin:NAME`` or a .toml/.json file."""
    from sirui.simulate.engine import Scenario

    if spec.startswith("builtin:"):
        try:
            return builtin_scenario(spec.split(":", 1)[1])
        except InvalidValueError as exc:
            raise CommandError(EXIT_USAGE, f"{spec}: {exc}") from None
    try:
        return load_file(spec, Scenario)
    except ConfigError as exc:
        raise CommandError(EXIT_INVALID, *config_lines(spec, exc)) from None


# -- simulate --------------------------------------------------------------------------


def _timezone(value: str) -> str:
    from sirui.core.windows import zone

    try:
        zone(value)
    except SiruiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give a share from 0 to 1 (0.01 is 1%)")
    return share


def _add_simulate(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Replay order history through a scenario's real rules (and compare two scenarios). "
        "Rows that cannot be used are written to rejected.csv with the reason and the bad "
        "value; more than --max-rejected of them makes the run fail with exit 1."
    )
    p.add_argument("--orders", required=True, help="order lines: .parquet, .csv, .json or .jsonl")
    p.add_argument("--members", required=True, help="members: .parquet, .csv, .json or .jsonl")
    p.add_argument(
        "--scenario",
        required=True,
        help="scenario .toml/.json (or builtin:baseline, builtin:proposal, builtin:simplified)",
    )
    p.add_argument("--compare", help="a second scenario to compare against the first")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--timezone", type=_timezone, help="IANA zone for timestamps without one (else rejected)"
    )
    p.add_argument(
        "--max-rejected",
        type=_share,
        default=DEFAULT_MAX_REJECTED,
        metavar="SHARE",
        help="largest share of orders (or of members) that may be rejected before the run "
        f"fails with exit 1 (default {DEFAULT_MAX_REJECTED}, i.e. 1%%; 0 allows none)",
    )
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument(
        "--engine",
        choices=("auto", "exact", "columnar"),
        default="auto",
        help="auto: columnar when the scenario allows it (see sirui.simulate.columnar)",
    )


def _check_table(path: str, option: str) -> None:
    if Path(path).suffix.lower() not in TABLE_SUFFIXES:
        raise CommandError(
            EXIT_USAGE, f"{option} {path}: unsupported file type; use {', '.join(TABLE_SUFFIXES)}"
        )
    try:
        with Path(path).open("rb"):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(EXIT_USAGE, f"{option} {path}: cannot read: {reason}") from None


def _check_engine(scenario: Any, engine: str) -> None:
    from sirui.simulate.columnar import columnar_plan

    plan, why = columnar_plan(scenario)
    if engine == "columnar" and plan is None:
        raise CommandError(
            EXIT_USAGE,
            f"scenario {scenario.name!r} cannot run on the columnar engine: {why}; "
            "use --engine exact or auto",
        )


def _run(args: argparse.Namespace, scenario: Any) -> Any:
    from sirui.simulate import simulate
    from sirui.simulate.inputs import InputError

    try:
        return simulate(
            args.orders,
            args.members,
            scenario,
            timezone=args.timezone,
            progress=args.progress,
            engine=args.engine,
        )
    except InputError as exc:
        raise CommandError(EXIT_INVALID, f"cannot use the input: {exc}") from None
    except OverflowError as exc:  # --engine columnar on amounts past its integers
        raise CommandError(EXIT_INVALID, str(exc)) from None


def _write_run(res: Any, folder: Path, out: TextIO) -> None:
    res.orders.to_csv(folder / f"{res.name}_orders.csv", index=False)
    (folder / f"{res.name}_summary.json").write_text(
        json.dumps(res.summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    if len(res.rejected):
        res.rejected.to_csv(folder / "rejected.csv", index=False)
        out.write(f"{len(res.rejected)} rows rejected; see {folder / 'rejected.csv'}\n")


def _rejected_counts(res: Any) -> dict[str, tuple[int, int]]:
    """Per table: (rejected, total); orders count by order id, members by row."""
    rejected = res.rejected["table"].value_counts() if len(res.rejected) else {}
    orders, members = int(rejected.get("orders", 0)), int(rejected.get("members", 0))
    accepted_members = sum(res.summary["members_per_tier"].values())
    return {
        "orders": (orders, orders + int(res.summary["orders"])),
        "members": (members, members + accepted_members),
    }


def _check_rejected(res: Any, allowed: float, folder: Path) -> None:
    over = [
        f"{n} of {total} {table} rejected ({n / total:.1%})"
        for table, (n, total) in _rejected_counts(res).items()
        if total and n / total > allowed
    ]
    if not over:
        return
    codes = res.rejected["code"]
    top = codes.mode().iloc[0]
    example = res.rejected["en"][codes == top].iloc[0]
    raise CommandError(
        EXIT_INVALID,
        f"{', '.join(over)}: more than --max-rejected {allowed:g} allows; "
        f"most often {top} ({example}); all in {folder / 'rejected.csv'}",
    )


def _summary_text(res: Any) -> str:
    lines = [f"{res.name} ({res.fingerprint[:19]}..., {res.engine} engine)"]
    for k, v in res.summary.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        lines.append(f"  {k:<22} {v}")
    return "\n".join(lines) + "\n"


def _compare(args: argparse.Namespace, base: Any, other: Any, folder: Path, out: TextIO) -> None:
    from sirui.simulate import compare

    prop = _run(args, other)
    with writing(folder):
        prop.orders.to_csv(folder / f"{prop.name}_orders.csv", index=False)
        cmp = compare(base, prop)
        cmp.to_html(folder / "report.html")
    out.write(cmp.to_text() + "\n")
    out.write(f"report: {folder / 'report.html'}\n")


def _run_simulate(args: argparse.Namespace, out: TextIO) -> int:
    require("sirui.simulate.engine", "numpy", "pandas")
    _check_table(args.orders, "--orders")
    _check_table(args.members, "--members")
    if any(Path(t).suffix.lower() == ".parquet" for t in (args.orders, args.members)):
        require("pyarrow", what="reading .parquet")
    scenario = _scenario(args.scenario)
    other = _scenario(args.compare) if args.compare else None
    _check_engine(scenario, args.engine)
    if other is not None:
        _check_engine(other, args.engine)
        require("matplotlib", what="--compare")
    if args.progress:
        require("tqdm", what="--progress")
    folder = output_folder(args.out)
    base = _run(args, scenario)
    with writing(folder):
        _write_run(base, folder, out)
    _check_rejected(base, args.max_rejected, folder)
    if other is None:
        out.write(_summary_text(base))
    else:
        _compare(args, base, other, folder, out)
    return EXIT_OK


# -- quote -----------------------------------------------------------------------------


def _structure_now(value: Any) -> tuple[DateTime | None, list[tuple[str, str]]]:
    from sirui.config import converter

    if value is None:
        return None, [("$.now", "required: the pricing time, like '2026-11-11T10:00:00+08:00'")]
    try:
        now: DateTime = converter.structure(value, DateTime)
    except (SiruiError, ValueError, TypeError, OverflowError) as exc:
        return None, [("$.now", str(exc))]
    if not 1 < now.year < 9999:  # a change of zone would leave datetime's range
        return None, [("$.now", f"{value!r} is out of range; give a year from 2 to 9998")]
    return now, []


def _amount_problems(cart: Cart) -> list[tuple[str, str]]:
    for i, ln in enumerate(cart.lines):
        try:
            ln.amount  # noqa: B018 - raises if quantity x price passes Money's bound
        except SiruiError as exc:
            return [(f"$.lines[{i}].quantity", str(exc))]
    try:
        cart.amount  # noqa: B018
    except SiruiError as exc:
        return [("$.lines", f"the cart total is too large: {exc}")]
    return []


def read_cart(data: Any) -> tuple[Cart, DateTime]:
    """A cart and its pricing time from plain data: ``now`` and a `Cart` as `sirui.config` reads it.

    One shape, the converter's (``sirui.config.to_plain(cart)`` writes it),
    equally strict: integers for quantities, money as text, no unknown
    keys. Raises `ConfigError` listing every problem with its path::

        {"now": "2026-11-11T10:00:00+08:00",
         "member": {"id": "m1", "tier": "gold", "paid_orders": 2},
         "store": "S01", "fulfillment": "delivery",
         "lines": [{"id": "1", "quantity": 2,
                    "sku": {"id": "FM1-800", "price": "268", "category": ["母婴", "奶粉"]}}]}
    """
    from sirui.config import load

    if not isinstance(data, Mapping):
        shape = f"expected an object with 'now', 'member' and 'lines', got {type(data).__name__}"
        raise ConfigError([("$", shape)])
    problems: list[tuple[str, str]] = []
    cart: Cart | None = None
    try:
        cart = load({k: v for k, v in data.items() if k != "now"}, Cart)
    except ConfigError as exc:
        problems += exc.problems
    else:
        problems += _amount_problems(cart)
    now, late = _structure_now(data.get("now"))
    problems += late
    if problems or cart is None or now is None:
        raise ConfigError(problems)
    return cart, now


def _add_quote(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Price one cart under a scenario and print the explained quote (or its JSON). "
        "The cart file holds `now` and a cart in the shape sirui.config reads "
        "(see sirui.simulate.cli.read_cart)."
    )
    p.add_argument("--cart", required=True, help="cart .json (or .toml)")
    p.add_argument("--scenario", required=True, help="scenario .toml/.json or builtin:NAME")
    p.add_argument("--json", action="store_true", help="print the quote as JSON")


def _price(cart: Cart, now: DateTime, scenario: Any, where: str) -> Any:
    from sirui.checkout import quote
    from sirui.loyalty.members import MemberFacts, MemberPriceStep, benefits_for

    try:
        steps: tuple[Any, ...] = ()
        if scenario.benefits is not None:
            facts = MemberFacts(cart.member.id, tier=cart.member.tier, tags=cart.member.tags)
            steps = (MemberPriceStep(benefits_for(scenario.benefits, facts, now)),)
        return quote(
            cart,
            now,
            promotions=scenario.promotions,
            steps=steps,
            stacking=scenario.stacking,
            shipping=scenario.shipping,
        )
    except (SiruiError, OverflowError) as exc:  # OverflowError: a date past datetime's range
        raise CommandError(
            EXIT_INVALID,
            f"{where}: cannot price this cart under scenario {scenario.name!r}: {exc}",
        ) from None


def _run_quote(args: argparse.Namespace, out: TextIO) -> int:
    require("sirui.simulate.engine", "sirui.checkout", "sirui.loyalty.members")
    try:
        data = read_data(args.cart)
    except ConfigError as exc:
        raise CommandError(EXIT_INVALID, *config_lines(args.cart, exc)) from None
    scenario = _scenario(args.scenario)
    try:
        cart, now = read_cart(data)
    except ConfigError as exc:
        raise CommandError(EXIT_INVALID, *config_lines(args.cart, exc)) from None
    q = _price(cart, now, scenario, args.cart)
    if args.json:
        out.write(json.dumps(q.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(repr(q) + "\n")
    return EXIT_OK


def commands() -> dict[str, Any]:
    return {
        "simulate": (
            "replay order history through a scenario (and compare two)",
            _add_simulate,
            _run_simulate,
        ),
        "quote": ("price one cart under a scenario, explained", _add_quote, _run_quote),
    }
