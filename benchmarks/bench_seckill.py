"""Seckill benchmarks: reservation decisions per second on one core.

``seckill_reserve`` times one reserve decision on a slot that already holds
10,000 reservations: the decision reads the bucket's aggregate counter and
the member's own record only, so it costs the same as the first one.
``seckill_reserve_confirm_10k`` runs 10,000 members reserving and paying
through a dict-backed host (the shape of a Redis-backed one).
Target: 100,000 reservation decisions per second.
"""

from __future__ import annotations

import pendulum

from _harness import Case
from sirui.campaigns.seckill import (
    Confirm,
    MemberRecord,
    Reservation,
    Reserve,
    StockCounter,
    StockRules,
    StockSlice,
)

KEY = "double11/am@2026-11-11T10:00:00+08:00"
NOW = pendulum.datetime(2026, 11, 11, 10, 0, 1, tz="Asia/Shanghai")
RULES = StockRules(payment_timeout_minutes=5, per_slot=2, per_day=4, per_campaign=6)


def _reserve_case() -> object:
    # 10,000 prior reservations live in the aggregate; the member has one of their own.
    counter = StockCounter(KEY, "milk", 20_000, reserved=6_000, sold=4_000)
    own = StockSlice(RULES, StockCounter(KEY, "milk", 10), MemberRecord("m1")).handle(
        Reserve("o0", "m1"), now=NOW
    )
    member = own.state.member
    state = StockSlice(RULES, counter, member)
    cmd = Reserve("o1", "m1")
    return lambda: state.handle(cmd, now=NOW)


def _reserve_confirm_10k() -> object:
    members = [f"m{i}" for i in range(10_000)]
    reserves = [Reserve(f"o{i}", m) for i, m in enumerate(members)]
    confirms = [Confirm(f"o{i}") for i in range(10_000)]
    pay_at = NOW.add(minutes=1)

    def run() -> None:
        counter = StockCounter(KEY, "milk", 10_000)
        records: dict[str, MemberRecord] = {}
        orders: dict[str, Reservation] = {}
        for r, c in zip(reserves, confirms, strict=True):
            rec = records.get(r.member_id) or MemberRecord(r.member_id)
            out = StockSlice(RULES, counter, rec, orders.get(r.order_id)).handle(r, now=NOW)
            s = out.state
            paid = s.handle(c, now=pay_at).state
            counter = paid.counter
            records[r.member_id] = paid.member
            assert paid.order is not None
            orders[r.order_id] = paid.order
        assert counter.sold == 10_000

    return run


def cases(quick: bool) -> list[Case]:
    return [
        Case("seckill_reserve", setup=_reserve_case),  # type: ignore[arg-type]
        Case("seckill_reserve_confirm_10k", setup=_reserve_confirm_10k,  # type: ignore[arg-type]
             number=1, repeats=3 if quick else 5),
    ]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    if medians.get("seckill_reserve"):
        out["seckill_reserve_decisions_per_s"] = 1 / medians["seckill_reserve"]
    if medians.get("seckill_reserve_confirm_10k"):
        out["seckill_reserve_confirm_pairs_per_s"] = 10_000 / medians["seckill_reserve_confirm_10k"]
    return out
