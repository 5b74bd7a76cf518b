"""``sirui simulate`` and ``sirui quote``: the analyst's and the integrator's commands.

Exit codes: 0 done (rejected rows, if any, are reported and written to
``rejected.csv``); 1 a scenario or cart file is invalid; 2 usage error or an
unreadable or unusable input (missing column, empty table, missing file).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

__all__ = ["builtin_scenario", "commands", "read_cart"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def builtin_scenario(name: str) -> Any:
    """A built-in scenario (TOML shipped with sirui): ``baseline``, ``proposal``, ``simplified``."""
    from sirui.config import loads_toml

    text = resources.files("sirui.simulate").joinpath(f"scenarios/{name}.toml").read_text("utf-8")
    return loads_toml(text)


def _scenario(path: str) -> Any:
    from sirui.config import load_path
    from sirui.simulate.engine import Scenario

    if path.startswith("builtin:"):
        return builtin_scenario(path.split(":", 1)[1])
    return load_path(path, Scenario)


def _add_simulate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--orders", required=True, help="order lines: .parquet, .csv or .json")
    p.add_argument("--members", required=True, help="members: .parquet, .csv or .json")
    p.add_argument(
        "--scenario",
        required=True,
        help="scenario .toml/.json (or builtin:baseline, builtin:proposal, builtin:simplified)",
    )
    p.add_argument("--compare", help="a second scenario to compare against the first")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--timezone", help="zone for timestamps without one (else rejected)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument(
        "--engine",
        choices=("auto", "exact", "columnar"),
        default="auto",
        help="auto: columnar when the scenario allows it (see sirui.simulate.columnar)",
    )


def _run_simulate(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.config import ConfigError
    from sirui.simulate import compare, simulate
    from sirui.simulate.inputs import InputError

    try:
        scenario = _scenario(args.scenario)
        other = _scenario(args.compare) if args.compare else None
    except ConfigError as exc:
        print(f"invalid scenario:\n{exc}", file=sys.stderr)
        return EXIT_INVALID
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    options = {"timezone": args.timezone, "progress": args.progress, "engine": args.engine}
    try:
        base = simulate(args.orders, args.members, scenario, **options)
        prop = simulate(args.orders, args.members, other, **options) if other else None
    except InputError as exc:
        print(f"cannot use the input: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # engine="columnar" on a scenario that needs the exact engine
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    base.orders.to_csv(folder / f"{base.name}_orders.csv", index=False)
    (folder / f"{base.name}_summary.json").write_text(
        json.dumps(base.summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    if len(base.rejected):
        base.rejected.to_csv(folder / "rejected.csv", index=False)
        out.write(f"{len(base.rejected)} rows rejected; see {folder / 'rejected.csv'}\n")
    if prop is None:
        out.write(_summary_text(base))
        return EXIT_OK
    prop.orders.to_csv(folder / f"{prop.name}_orders.csv", index=False)
    cmp = compare(base, prop)
    cmp.to_html(folder / "report.html")
    out.write(cmp.to_text() + "\n")
    out.write(f"report: {folder / 'report.html'}\n")
    return EXIT_OK


def _summary_text(res: Any) -> str:
    lines = [f"{res.name} ({res.fingerprint[:19]}..., {res.engine} engine)"]
    for k, v in res.summary.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        lines.append(f"  {k:<22} {v}")
    return "\n".join(lines) + "\n"


def read_cart(data: dict[str, Any]) -> tuple[Any, Any]:
    """A cart and its pricing time from plain JSON data.

    ``{"now": "2026-11-11T10:00:00+08:00", "member": {"id": "m1", "tier": "gold",
    "paid_orders": 2}, "store": "S01", "fulfillment": "delivery", "lines": [{"id": "1",
    "sku": "FM1-800", "price": "268", "quantity": 2, "category": "母婴/奶粉/1段"}]}``
    """
    import datetime as dt

    import pendulum

    from sirui.core.money import Money
    from sirui.core.nouns import Cart, Fulfillment, Line, Member, Sku

    m = data.get("member") or {}
    member = Member(
        str(m.get("id", "guest")),
        tier=m.get("tier"),
        tags=frozenset(m.get("tags", ())),
        paid_orders=int(m.get("paid_orders", 0)),
    )
    lines = []
    for i, ln in enumerate(data.get("lines") or []):
        sku = Sku(
            str(ln["sku"]),
            Money.parse(str(ln["price"])),
            spu=ln.get("spu"),
            category=ln.get("category", ""),
            tags=frozenset(ln.get("tags", ())),
            name=ln.get("name", ""),
        )
        lines.append(Line(str(ln.get("id", i + 1)), sku, int(ln["quantity"])))
    cart = Cart(
        member,
        lines,
        data.get("store"),
        data.get("channel"),
        Fulfillment(data.get("fulfillment", "delivery")),
    )
    parsed = dt.datetime.fromisoformat(str(data["now"]))
    if parsed.tzinfo is None:
        raise ValueError("now: give a datetime with an offset, like 2026-11-11T10:00:00+08:00")
    return cart, pendulum.instance(parsed)


def _add_quote(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cart", required=True, help="cart .json (see `read_cart`)")
    p.add_argument("--scenario", required=True, help="scenario .toml/.json or builtin:NAME")
    p.add_argument("--json", action="store_true", help="print the quote as JSON")


def _run_quote(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.checkout import quote
    from sirui.config import ConfigError
    from sirui.core.errors import SiruiError
    from sirui.loyalty.members import MemberFacts, MemberPriceStep, benefits_for

    try:
        scenario = _scenario(args.scenario)
    except ConfigError as exc:
        print(f"invalid scenario:\n{exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        data = json.loads(Path(args.cart).read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"cannot read {args.cart}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"{args.cart} is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        cart, now = read_cart(data)
    except (KeyError, ValueError, TypeError, SiruiError) as exc:
        print(f"invalid cart: {exc}", file=sys.stderr)
        return EXIT_INVALID
    steps: tuple[Any, ...] = ()
    if scenario.benefits is not None:
        facts = MemberFacts(cart.member.id, tier=cart.member.tier, tags=cart.member.tags)
        steps = (MemberPriceStep(benefits_for(scenario.benefits, facts, now)),)
    q = quote(
        cart,
        now,
        promotions=scenario.promotions,
        steps=steps,
        stacking=scenario.stacking,
        shipping=scenario.shipping,
    )
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
