"""Conformance cases for the campaign machines (see `tests/test_machine_contract.py`)."""

from __future__ import annotations

import pendulum

from contract import MachineCase
from sirui.campaigns.seckill import (
    Cancel,
    Confirm,
    MemberRecord,
    Promote,
    Reserve,
    StockCounter,
    StockRules,
    StockSlice,
)

TZ = "Asia/Shanghai"


def _lottery_cases() -> list[MachineCase]:
    return []


def _seckill_cases() -> list[MachineCase]:
    """A member on the waiting list of a sold-out bucket leaves it (the order id is the id)."""
    now = pendulum.datetime(2026, 11, 11, 10, 1, tz=TZ)
    key = "double11/am@2026-11-11T10:00:00+08:00"
    rules = StockRules(waiting_list=True)
    sold_out = StockCounter(key, "milk", 1, reserved=1)
    waiting = StockSlice(rules, sold_out, MemberRecord("m1")).handle(
        Reserve("o1", "m1"), now=now.subtract(minutes=1)).state
    return [
        MachineCase(
            name="StockSlice",
            state=waiting,
            now=now,
            accept=Cancel("o1"),                  # leaves the waiting list
            conflict=Reserve("o1", "m1", 2),      # the same order id for another quantity
            reject=Promote("o1"),                 # nothing held for the list yet
            illegal=Confirm("o1"),                # a waiting order cannot be paid
        ),
    ]


CASES = [*_lottery_cases(), *_seckill_cases()]
