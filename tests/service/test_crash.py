"""SIGKILL the server in the middle of a run, restart it, finish the run: nothing lost or doubled.

30 members each go through a day (points granted, a coupon claimed, an
order with points and the best coupon, its payment, a seckill order paid
or cancelled, two partial refunds, an unpaid order, a lottery draw). Every
client retries each command with its own id until it gets an answer, as a
mobile client does over a flaky network. The server is killed with SIGKILL
once 40% of the commands were answered, and started again on the same
database. Afterwards the rows, the outbox and the answers must agree: no
order, coupon, point, stock unit or commission lost or doubled, one copy of
each event, and every command answered the same when it is sent again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service._harness import Database, Server, cart

MEMBERS = [f"c{i:02d}" for i in range(30)]
KILL_AT = 0.4


@pytest.fixture(scope="module")
def server(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(db, tmp_path_factory.mktemp("crash"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def script(m: str, i: int) -> list[tuple[str, str, str, Any, dict[str, str]]]:
    """A member's day: (key, method, path, body, query) in order."""
    steps: list[tuple[str, str, str, Any, dict[str, str]]] = [
        (f"put-{m}", "PUT", f"/members/{m}", {"id": m, "guide": f"G00{1 + i % 3}"}, {}),
        (f"grant-{m}", "POST", f"/members/{m}/points",
         {"id": f"grant-{m}", "points": 2000, "source": "gift"}, {}),
        (f"claim-{m}", "POST", f"/members/{m}/coupons", {"template": "after-pay"}, {}),
        (f"A-{m}", "POST", "/orders", cart(m, ("FM2-800", 1), ("WP-80", 2)), {"points": "1000"}),
        (f"payA-{m}", "POST", f"/orders/A-{m}/pay", None, {}),
        (f"S-{m}", "POST", "/orders", cart(m, ("FM1-800", 1)), {"seckill": "double11/am"}),
    ]
    if i % 2 == 0:
        steps.append((f"payS-{m}", "POST", f"/orders/S-{m}/pay", None, {}))
    else:
        steps.append((f"cxS-{m}", "POST", f"/orders/S-{m}/cancel", None, {}))
    steps += [
        (f"rfA-{m}", "POST", f"/orders/A-{m}/refunds", {"lines": {"L2": 1}}, {}),
        (f"B-{m}", "POST", "/orders", cart(m, ("DP-L", 1)), {}),
        (f"rfA2-{m}", "POST", f"/orders/A-{m}/refunds", {"lines": {"L1": 1}}, {}),
        (f"draw-{m}", "POST", "/lottery/daily-draw/draw", {"member_id": m}, {}),
    ]
    return steps


class Run:
    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: dict[str, tuple[int, str]] = {}
        self.total = sum(len(script(m, i)) for i, m in enumerate(MEMBERS))
        self.transport_errors = 0

    async def send(self, http: httpx.AsyncClient, step: tuple[str, str, str, Any,
                                                              dict[str, str]]) -> httpx.Response:
        key, method, path, body, params = step
        headers = {} if method == "PUT" else {"Idempotency-Key": key}
        deadline = time.monotonic() + 120
        while True:
            try:
                resp = await http.request(method, path, json=body, params=params,
                                          headers=headers)
                if resp.status_code != 503:
                    assert resp.status_code < 500, (key, resp.status_code, resp.text[:300])
                    return resp
            except httpx.TransportError:
                self.transport_errors += 1
            assert time.monotonic() < deadline, f"{key}: no answer in 120 s"
            await asyncio.sleep(0.05)

    async def member(self, http: httpx.AsyncClient, m: str, i: int) -> None:
        for step in script(m, i):
            resp = await self.send(http, step)
            self.answers[step[0]] = (resp.status_code, resp.text)

    async def all(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as http:
            await asyncio.gather(*(self.member(http, m, i) for i, m in enumerate(MEMBERS)))


def test_a_sigkill_mid_run_loses_and_doubles_nothing(server: Server, db: Database) -> None:
    run = Run(server.base)
    worker = threading.Thread(target=lambda: asyncio.run(run.all()))
    worker.start()
    while len(run.answers) < run.total * KILL_AT and worker.is_alive():
        time.sleep(0.01)
    answered_before_kill = len(run.answers)
    server.kill()
    time.sleep(0.5)
    server.start()
    worker.join(300)
    assert not worker.is_alive()
    assert 0 < answered_before_kill < run.total
    assert len(run.answers) == run.total
    assert run.transport_errors > 0  # the kill was felt by the clients

    # every command has its expected answer
    for i, m in enumerate(MEMBERS):
        for key, *_ in script(m, i):
            status, text = run.answers[key]
            assert status in (200, 201), (key, status, text[:300])

    # sent again, every command gets the answer it got the first time (from the commands table)
    with server.client() as http:
        for i, m in enumerate(MEMBERS):
            for key, method, path, body, params in script(m, i):
                if method == "PUT":
                    continue
                again = http.request(method, path, json=body, params=params,
                                     headers={"Idempotency-Key": key})
                assert (again.status_code, again.text) == run.answers[key], key
                assert again.headers.get("idempotent-replayed") == "true"

    orders = db.states("order:")
    assert len(orders) == 3 * len(MEMBERS)
    statuses = Counter((k.split(":")[1].split("-")[0], o["status"]) for k, o in orders.items())
    half = len(MEMBERS) // 2
    assert statuses == {("A", "paid"): len(MEMBERS), ("S", "paid"): half,
                        ("S", "cancelled"): half, ("B", "placed"): len(MEMBERS)}

    # stock: the paid seckill orders and nothing else
    buckets = db.states("seckill:bucket:")
    assert sum(b.get("sold", 0) for b in buckets.values()) == half
    assert sum(b.get("reserved", 0) for b in buckets.values()) == 0
    assert sum(b["stock"] for b in buckets.values()) == 100

    # the outbox: one copy of each event
    outbox = db.rows("SELECT command_id, n, event, body FROM outbox")
    bodies = Counter((r.event, r.body) for r in outbox)
    doubled = [b for b, n in bodies.items() if n > 1]
    assert not doubled, doubled[:3]
    events: dict[str, list[dict[str, Any]]] = {}
    for r in outbox:
        events.setdefault(r.event, []).append(json.loads(r.body))

    check_points(db, orders, events)
    check_coupons(db, orders, run)
    check_commission(db, orders, events)
    assert "Traceback" not in server.output()


def check_points(db: Database, orders: dict[str, Any],
                 events: dict[str, list[dict[str, Any]]]) -> None:
    """Every ledger equals what its events say, and each order earned and spent once."""
    ledgers = db.states("points:")
    for i, m in enumerate(MEMBERS):
        mine = {e: [d for d in ds if d.get("member_id") == m] for e, ds in events.items()}
        net = (sum(d["points"] for d in mine.get("loyalty.points.PointsEarned", []))
               - sum(d["points"] for d in mine.get("loyalty.points.PointsSpent", []))
               + sum(d["restored"] for d in mine.get("loyalty.points.PointsReturned", []))
               - sum(d["taken"] for d in mine.get("loyalty.points.PointsTakenBack", [])))
        assert balance(ledgers[f"points:{m}"]) == net, m
        a = orders[f"order:A-{m}"]
        earns = [d for d in mine["loyalty.points.PointsEarned"] if d["txn_id"] == f"A-{m}:earn"]
        assert [d["points"] for d in earns] == [a["points_earned"]]
        spends = [d for d in mine["loyalty.points.PointsSpent"] if d["order_id"] == f"A-{m}"]
        assert [d["points"] for d in spends] == [a["quote"]["points_used"]] == [1000]
        s = orders[f"order:S-{m}"]
        assert (s["status"] == "paid") == (i % 2 == 0)
        assert len(a["refunds"]) == 2


def check_coupons(db: Database, orders: dict[str, Any], run: Run) -> None:
    """The claimed coupon, the gift for the paid order and a lottery prize, each once."""
    for m in MEMBERS:
        wallet = db.states(f"wallet:{m}")[f"wallet:{m}"]
        ids = list(wallet["entries"])
        a = orders[f"order:A-{m}"]
        expected = {f"claim-{m}", *a["coupons_issued"]}
        drawn = json.loads(run.answers[f"draw-{m}"][1])
        if any(e.get("prize_id") == "coupon" for e in drawn["events"]):
            expected.add(f"lot-draw-{m}")
        assert set(ids) == expected, (m, ids, expected)


def check_commission(db: Database, orders: dict[str, Any],
                     events: dict[str, list[dict[str, Any]]]) -> None:
    """One commission record per paid order line, in exactly one shard."""
    recorded: Counter[tuple[str, str]] = Counter()
    for shard in db.states("settlement:").values():
        for rec in settlement_records(shard):
            recorded[(rec["line"]["order_id"], rec["line"]["line_id"])] += 1
    expected_lines: Counter[tuple[str, str]] = Counter()
    for o in orders.values():
        if o["status"] == "paid":
            for c in o.get("commission", []):
                if c.get("payee") is not None:
                    expected_lines[(c["order_id"], c["line_id"])] += 1
    assert recorded == expected_lines
    assert sum(1 for _ in events.get("commission.CommissionRecorded", [])) == sum(
        expected_lines.values())


def balance(ledger: dict[str, Any]) -> int:
    """The ledger's balance, through sirui (the codec gives the value back)."""
    import pendulum

    from sirui.config import load
    from sirui.loyalty.points import PointsLedger

    value = load(ledger, PointsLedger)
    return value.balance(pendulum.datetime(2026, 11, 12, tz="Asia/Shanghai"))


def settlement_records(shard: dict[str, Any]) -> list[dict[str, Any]]:
    return list(shard.get("records", {}).values())
