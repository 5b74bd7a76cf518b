"""Play a flash sale against a running reference service and print throughput and latencies.

Usage (from the repository root, with the server running on this machine)::

    python -m examples.service --port 8000 --clock 2026-11-11T10:00:00+08:00 \\
        --database-url sqlite:///flash.db &
    python -m examples.service.load --base http://127.0.0.1:8000 --clients 50 --requests 2000

Registers ``--members`` members, then ``--clients`` concurrent clients send
``--requests`` seckill orders in all (a random member each, a retried
command id now and then, as a double tap would), and pay every order that
got stock. Stops at ``--requests`` or after ``--seconds``, whichever comes
first. Prints requests per second and p50/p90/p99 latency per kind of
request. Only talks to 127.0.0.1 / localhost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import sys
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlsplit

import httpx


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[tuple[str, int]] = Counter()

    def add(self, kind: str, seconds: float, status: int) -> None:
        self.latency[kind].append(seconds)
        self.status[(kind, status)] += 1

    def report(self, wall: float) -> str:
        total = sum(len(v) for v in self.latency.values())
        lines = [f"{total} requests in {wall:.2f} s: {total / wall:.0f} requests/s"]
        lines.append(f"{'kind':<10}{'n':>7}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}"
                     f"{'max ms':>10}  statuses")
        every: list[float] = []
        for kind, values in sorted(self.latency.items()):
            every += values
            statuses = ", ".join(f"{s}: {n}" for (k, s), n in sorted(self.status.items())
                                 if k == kind)
            lines.append(f"{kind:<10}{len(values):>7}{percentile(values, 50) * 1e3:>10.1f}"
                         f"{percentile(values, 90) * 1e3:>10.1f}"
                         f"{percentile(values, 99) * 1e3:>10.1f}{max(values) * 1e3:>10.1f}"
                         f"  {statuses}")
        lines.append(f"{'all':<10}{len(every):>7}{percentile(every, 50) * 1e3:>10.1f}"
                     f"{percentile(every, 90) * 1e3:>10.1f}{percentile(every, 99) * 1e3:>10.1f}"
                     f"{max(every) * 1e3:>10.1f}")
        if every:
            lines.append(f"mean {statistics.fmean(every) * 1e3:.1f} ms")
        return "\n".join(lines)


async def timed(http: httpx.AsyncClient, stats: Stats, kind: str, method: str, path: str,
                **kw: Any) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        resp = await http.request(method, path, **kw)
    except httpx.TransportError:
        stats.add(kind, time.perf_counter() - t0, 0)
        return None
    stats.add(kind, time.perf_counter() - t0, resp.status_code)
    return resp


async def run(args: argparse.Namespace) -> Stats:
    run_id = secrets.token_hex(3)
    rng = random.Random(args.seed)
    members = [f"ld{run_id}-{i}" for i in range(args.members)]
    stats = Stats()
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=args.base, timeout=60, limits=limits) as http:
        sem = asyncio.Semaphore(args.clients)

        async def register(m: str, i: int) -> None:
            async with sem:
                await http.put(f"/members/{m}", json={"id": m, "guide": f"G00{1 + i % 4}"})

        await asyncio.gather(*(register(m, i) for i, m in enumerate(members)))
        budget = iter(range(args.requests))
        deadline = time.perf_counter() + args.seconds

        async def client(c: int) -> None:
            crng = random.Random(rng.random())
            for n in budget:
                if time.perf_counter() > deadline:
                    return
                key = f"{run_id}-{c}-{n}"
                body = {"member": {"id": crng.choice(members)},
                        "lines": [{"id": "L1", "sku": {"id": args.sku, "price": "0"},
                                   "quantity": 1}]}
                for _ in range(2 if crng.random() < args.retry else 1):
                    resp = await timed(http, stats, "reserve", "POST", "/orders",
                                       params={"seckill": args.seckill}, json=body,
                                       headers={"Idempotency-Key": key})
                if resp is not None and resp.status_code == 201 and args.pay:
                    await timed(http, stats, "pay", "POST", f"/orders/{key}/pay",
                                headers={"Idempotency-Key": f"pay-{key}"})

        t0 = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(args.clients)))
        stats.wall = time.perf_counter() - t0  # type: ignore[attr-defined]
    return stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m examples.service.load",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default="http://127.0.0.1:8000")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=2000, help="seckill orders to send in all")
    p.add_argument("--seconds", type=float, default=60.0, help="stop after this long")
    p.add_argument("--members", type=int, default=500)
    p.add_argument("--seckill", default="double11/am", help="campaign/slot")
    p.add_argument("--sku", default="FM1-800")
    p.add_argument("--retry", type=float, default=0.1, help="share of orders sent twice")
    p.add_argument("--no-pay", dest="pay", action="store_false")
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args(argv)
    host = urlsplit(args.base).hostname
    if host not in ("127.0.0.1", "localhost"):
        print(f"--base {args.base}: the load script only talks to 127.0.0.1", file=sys.stderr)
        return 2
    if not (1 <= args.clients <= 1000 and 1 <= args.requests <= 1_000_000
            and 0 < args.seconds <= 3600):
        print("clients in 1..1000, requests in 1..1e6, seconds in (0, 3600]", file=sys.stderr)
        return 2
    stats = asyncio.run(run(args))
    print(stats.report(stats.wall))  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
