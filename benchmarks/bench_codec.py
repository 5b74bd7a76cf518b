"""Codec benchmarks: saving and reloading a state, as a host does on every request.

``ledger_dump_load_1k``: a points ledger of 1,000 buckets through
``dump -> json.dumps -> json.loads -> load``; ``plain_json_1k`` is
``json.dumps`` + ``json.loads`` of the very same plain data, the floor any
codec pays; their ratio is what the typed codec costs on top of JSON.
"""

from __future__ import annotations

import json

import pendulum

from _harness import Case, ratio
from sirui.config import dump, load
from sirui.loyalty.points import Earn, ExpireAfterDays, LedgerPolicy, PointsLedger

T0 = pendulum.datetime(2020, 1, 1, 10, tz="Asia/Shanghai")


def ledger_with(buckets: int) -> PointsLedger:
    """A ledger of ``buckets`` earned buckets (with their command log)."""
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(3650)))
    for i in range(buckets):
        led = led.handle(Earn(f"e{i}", 100, source="signin"), now=T0.add(hours=6 * i)).state
    return led


def _round_trip() -> object:
    led = ledger_with(1_000)

    def run() -> PointsLedger:
        return load(json.loads(json.dumps(dump(led))), PointsLedger)

    assert run() == led
    return run


def _plain_json() -> object:
    data = dump(ledger_with(1_000))

    def run() -> object:
        return json.loads(json.dumps(data))

    return run


def _dump_only() -> object:
    led = ledger_with(1_000)
    return lambda: dump(led)


def _load_only() -> object:
    led = ledger_with(1_000)
    data = json.loads(json.dumps(dump(led)))
    return lambda: load(data, PointsLedger)


def cases(quick: bool) -> list[Case]:
    return [
        Case("ledger_dump_load_1k", setup=_round_trip),
        Case("plain_json_1k", setup=_plain_json),
        Case("ledger_dump_1k", setup=_dump_only),
        Case("ledger_load_1k", setup=_load_only),
    ]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    return ratio(medians, "ledger_dump_load_1k", "plain_json_1k")
