"""The reference service (examples/service) over HTTP: what a request costs end to end.

``service_quote_http``: one ``POST /quote`` (a 3-line cart of the sample
chain, member price, promotions, points) over a kept-alive connection to a
server with one uvicorn worker on SQLite. ``service_reserve_http``: one
seckill order (``POST /orders?seckill=...``): the codec, the stock bucket,
the member's record, the reservation, the order row, the outbox and the
stored answer, committed. ``service_quote_inprocess``: the same quote by
`sirui.checkout.quote` in this process (a fresh cart each call, no codec, no
database); the ratio
``service_over_inprocess_quote`` is what the HTTP door and the database
add to a quote.

The server runs as a subprocess on 127.0.0.1 (started by the first case's
setup, stopped at exit) on a temporary SQLite file. Needs the ``service``
extra; skipped without it.
"""

from __future__ import annotations

import atexit
import itertools
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import Case, ratio

REPO = Path(__file__).resolve().parent.parent
CLOCK = "2026-11-11T10:00:00+08:00"
POLICIES = """
chain = "builtin:baseline"

[deduction]
type = "points.deduction"
max_share = "0.5"

[[seckill]]
type = "seckill.campaign"
id = "bench"

[[seckill.slots]]
type = "seckill.slot"
id = "am"

[[seckill.slots.items]]
type = "seckill.item"
sku = "FM1-800"
price = "99.00"
original_price = "268.00"
stock = 10000000
buckets = 8

[seckill.slots.daily]
start = "10:00:00"
end = "12:00:00"
"""
CART = {"member": {"id": "b0"}, "store": "S01", "lines": [
    {"id": "L1", "sku": {"id": "FM1-800", "price": "0"}, "quantity": 1},
    {"id": "L2", "sku": {"id": "DP-L", "price": "0"}, "quantity": 2},
    {"id": "L3", "sku": {"id": "WP-80", "price": "0"}, "quantity": 3},
]}
MEMBERS = 1000

_server: dict[str, Any] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base() -> str:
    """Start the server once (one worker, SQLite), register members; stop it at exit."""
    if "base" in _server:
        return str(_server["base"])
    import httpx

    tmp = Path(tempfile.mkdtemp(prefix="sirui-bench-service-"))
    (tmp / "policies.toml").write_text(POLICIES, encoding="utf-8")
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.service", "--port", str(port), "--database-url",
         f"sqlite:///{tmp / 'bench.db'}", "--policies", str(tmp / "policies.toml"),
         "--clock", CLOCK, "--sweep-seconds", "0"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    atexit.register(lambda: (proc.terminate(), proc.wait(10)))
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError((tmp / "server.log").read_text()[-2000:])
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    with httpx.Client(base_url=base) as http:
        for i in range(MEMBERS):
            http.put(f"/members/b{i}", json={"id": f"b{i}", "guide": f"G00{1 + i % 4}"})
        http.post("/members/b0/points", json={"id": "bench-grant", "points": 100_000},
                  headers={"Idempotency-Key": "bench-grant"})
    _server["base"] = base
    return base


def _quote_http() -> Any:
    import httpx

    http = httpx.Client(base_url=_base(), timeout=30)
    atexit.register(http.close)

    def run() -> None:
        r = http.post("/quote", json=CART, params={"points": "2000"})
        assert r.status_code == 200, r.text

    run()
    return run


def _reserve_http() -> Any:
    import httpx

    http = httpx.Client(base_url=_base(), timeout=30)
    atexit.register(http.close)
    n = itertools.count()

    def run() -> None:
        i = next(n)
        body = {"member": {"id": f"b{i % MEMBERS}"},
                "lines": [{"id": "L1", "sku": {"id": "FM1-800", "price": "0"}, "quantity": 1}]}
        r = http.post("/orders", json=body, params={"seckill": "bench/am"},
                      headers={"Idempotency-Key": f"bench-{i}"})
        assert r.status_code == 201, r.text

    run()
    return run


def _quote_inprocess() -> Any:
    """The server's quote, in this process: the same chain, member step and points step."""
    import tomllib
    from importlib import resources

    import pendulum

    from sirui.checkout import quote
    from sirui.config import load, loads_toml
    from sirui.core import Cart, Line, Member, Money, Sku
    from sirui.loyalty.members import MemberFacts, MemberPriceStep, benefits_for
    from sirui.loyalty.points import DeductionPolicy, PointsDeductionStep
    from sirui.simulate.sample import CATALOGUE

    chain = loads_toml(resources.files("sirui.simulate").joinpath(
        "scenarios/baseline.toml").read_text("utf-8"))
    deduction = load(tomllib.loads(POLICIES)["deduction"], DeductionPolicy)
    skus = {sku: Sku(sku, Money(price), spu=spu, category=cat, cost=Money(cost), name=name)
            for sku, spu, name, cat, price, cost, _tags in CATALOGUE}
    now = pendulum.parse(CLOCK)
    member = Member("b0", tier="normal", guide="G001")
    benefits = benefits_for(chain.benefits, MemberFacts("b0", tier="normal"), now)

    def run() -> None:
        cart = Cart(member, [Line(ln["id"], skus[ln["sku"]["id"]], ln["quantity"])
                             for ln in CART["lines"]], "S01")
        steps = [MemberPriceStep(benefits),
                 PointsDeductionStep(deduction, available=100_000, requested=2000)]
        quote(cart, now, promotions=chain.promotions, steps=steps, stacking=chain.stacking,
              shipping=chain.shipping)

    return run


def cases(quick: bool) -> list[Case]:
    repeats = 3 if quick else 7
    return [
        Case("service_quote_inprocess", setup=_quote_inprocess),
        Case("service_quote_http", setup=_quote_http, repeats=repeats),
        Case("service_reserve_http", setup=_reserve_http, repeats=repeats),
    ]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    out = ratio(medians, "service_quote_http", "service_quote_inprocess")
    return {"service_over_inprocess_quote": next(iter(out.values()))} if out else {}
