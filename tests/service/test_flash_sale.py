"""A flash sale against the real server: 100 units, 50 clients, 1,000 reservations with retries.

Exactly 100 units are reserved and paid, no member goes above the per-slot
limit, every retry of a command id gets its original answer, and once the
unpaid orders time out their units sell again. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service._harness import Database, Server, cart, problem_ok

POLICIES = """
chain = "builtin:baseline"

[[seckill]]
type = "seckill.campaign"
id = "flash"
name = "奶粉闪购"
payment_timeout_minutes = 5

[[seckill.slots]]
type = "seckill.slot"
id = "am"

[[seckill.slots.items]]
type = "seckill.item"
sku = "FM1-800"
price = "99.00"
original_price = "268.00"
stock = 100
buckets = 4

[seckill.slots.daily]
start = "10:00:00"
end = "12:00:00"

[seckill.limits]
type = "seckill.limits"
per_slot = 2
"""

STOCK, LIMIT, CLIENTS, PER_CLIENT, MEMBERS = 100, 2, 50, 20, 80
REFUSALS = {"seckill.sold_out", "seckill.limit_reached"}


@pytest.fixture(scope="module")
def server(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("flash")
    policies = Path(tmp / "flash.toml")
    policies.write_text(POLICIES, encoding="utf-8")
    srv = Server(db, tmp, policies)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class Ledger:
    """Every answer a client saw, by command id: the first one and all the retries."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[int, str]] = {}
        self.retries: list[tuple[str, int, str, bool]] = []

    def record(self, key: str, resp: httpx.Response) -> None:
        assert resp.status_code < 500, resp.text[:300]
        if key in self.first:
            self.retries.append((key, resp.status_code, resp.text,
                                 resp.headers.get("idempotent-replayed") == "true"))
        else:
            self.first[key] = (resp.status_code, resp.text)

    def check_retries(self) -> int:
        """An accepted command answers its stored answer byte for byte; a refused one is
        refused again (a refusal writes nothing, so its retry is decided afresh: its reason
        may move on, sold out first and over the limit later, but no unit frees meanwhile)."""
        for key, status, text, replayed in self.retries:
            first_status, first_text = self.first[key]
            assert status == first_status, (key, first_status, status, text[:300])
            if status < 300:
                assert replayed and text == first_text, key
            else:
                assert problem_code(text) in REFUSALS, key
        return len(self.retries)


def problem_code(text: str) -> str:
    import json

    return str(json.loads(text)["code"])


async def reserve_wave(base: str, ledger: Ledger, clients: int, per_client: int,
                       members: list[str], tag: str, seed: int) -> None:
    """``clients`` concurrent clients, each placing ``per_client`` seckill orders with retries."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def client(c: int) -> None:
            rng = random.Random(seed * 1000 + c)
            pending: list[tuple[str, dict[str, Any]]] = []
            sent = 0
            while sent < per_client or pending:
                if pending and (sent >= per_client or rng.random() < 0.3):
                    key, body = pending.pop(rng.randrange(len(pending)))
                else:
                    key = f"{tag}-{c}-{sent}"
                    body = cart(rng.choice(members), ("FM1-800", 1))
                    sent += 1
                    for _ in range(rng.choice((0, 0, 1, 2))):  # the client will retry this one
                        pending.append((key, body))
                resp = await send(http, "/orders", key, body, {"seckill": "flash/am"})
                ledger.record(key, resp)

        await asyncio.gather(*(client(c) for c in range(clients)))


async def pay_all(base: str, ledger: Ledger, order_ids: list[str], seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        sem = asyncio.Semaphore(CLIENTS)

        async def pay(oid: str) -> None:
            async with sem:
                for _ in range(rng.choice((1, 1, 2))):  # a retried payment callback
                    resp = await send(http, f"/orders/{oid}/pay", f"pay-{oid}")
                    ledger.record(f"pay-{oid}", resp)

        await asyncio.gather(*(pay(o) for o in order_ids))


async def send(http: httpx.AsyncClient, path: str, key: str, body: Any = None,
               params: dict[str, str] | None = None) -> httpx.Response:
    """POST with an Idempotency-Key; a dropped connection is retried with the same key."""
    for attempt in range(20):
        try:
            return await http.post(path, params=params, json=body,
                                   headers={"Idempotency-Key": key})
        except httpx.TransportError:
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError(f"{path}: no answer after 20 attempts")


def accepted(ledger: Ledger, prefix: str) -> list[str]:
    return sorted(k for k, (s, _) in ledger.first.items() if k.startswith(prefix) and s == 201)


def test_flash_sale_never_oversells_and_resells_timed_out_units(server: Server,
                                                                db: Database) -> None:
    members = [f"fm{i:02d}" for i in range(MEMBERS)]
    with server.client() as http:
        for i, m in enumerate(members):
            r = http.put(f"/members/{m}", json={"id": m, "guide": f"G00{1 + i % 4}"})
            assert r.status_code == 201, r.text
    ledger = Ledger()

    # 1,000 reservations from 50 clients, with retries of the same command id
    asyncio.run(reserve_wave(server.base, ledger, CLIENTS, PER_CLIENT, members, "fs", 1))
    first = accepted(ledger, "fs-")
    assert len(first) == STOCK
    codes = Counter(problem_code(t) for k, (s, t) in ledger.first.items() if s == 409)
    assert set(codes) <= REFUSALS, codes
    assert sum(codes.values()) == CLIENTS * PER_CLIENT - STOCK

    # 80 are paid (payment callbacks retried too); 20 are left unpaid
    paid_first = first[:80]
    asyncio.run(pay_all(server.base, ledger, paid_first, 2))
    assert all(ledger.first[f"pay-{o}"][0] == 200 for o in paid_first)

    with server.client() as http:
        # the unpaid 20 time out: the delay queue's sweep releases their units
        assert http.post("/admin/clock", json={"advance_seconds": 301}).status_code == 200
        swept = http.post("/admin/sweep").json()
        assert swept == {"expired": STOCK - 80}
        late = http.post(f"/orders/{first[-1]}/pay", headers={"Idempotency-Key": "late-pay"})
        assert problem_ok(late)["code"] == "service.order_not_open"

    # the freed units sell again, and only those
    asyncio.run(reserve_wave(server.base, ledger, CLIENTS, 4, members, "again", 3))
    second = accepted(ledger, "again-")
    assert len(second) == STOCK - 80
    asyncio.run(pay_all(server.base, ledger, second, 4))
    assert ledger.check_retries() > 100

    # what the database says
    buckets = db.states("seckill:bucket:")
    assert len(buckets) == 4
    assert sum(b.get("sold", 0) for b in buckets.values()) == STOCK
    assert sum(b.get("reserved", 0) for b in buckets.values()) == 0
    assert sum(b["stock"] for b in buckets.values()) == STOCK
    orders = db.states("order:")
    statuses = Counter(o["status"] for o in orders.values())
    assert statuses == {"paid": STOCK, "expired": STOCK - 80}
    per_member = Counter(o["member_id"] for o in orders.values() if o["status"] == "paid")
    assert max(per_member.values()) <= LIMIT
    for rec in db.states("seckill:member:").values():
        confirmed = [r for r in rec["reservations"] if r["status"] == "confirmed"]
        assert sum(r["quantity"] for r in confirmed) <= LIMIT
    events = Counter(r.event for r in db.rows("SELECT event FROM outbox"))
    assert events["campaigns.seckill.StockReserved"] == STOCK + (STOCK - 80)
    assert events["campaigns.seckill.StockConfirmed"] == STOCK
    assert events["campaigns.seckill.StockReleased"] == STOCK - 80
    assert "Traceback" not in server.output()
