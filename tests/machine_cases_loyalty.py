"""Conformance cases for the loyalty machines (see `tests/test_machine_contract.py`).

One function per sub-package; `CASES` joins them.
"""

from __future__ import annotations

import pendulum

from contract import MachineCase

TZ = "Asia/Shanghai"


def _points_cases() -> list[MachineCase]:
    """The points machines of `sirui.loyalty.points`."""
    return [*_ledger_cases()]


def _ledger_cases() -> list[MachineCase]:
    from sirui.loyalty.points import (
        Earn,
        ExpireAfterDays,
        LedgerPolicy,
        PointsLedger,
        Spend,
        TakeBack,
    )

    now = pendulum.datetime(2026, 3, 1, 10, tz=TZ)
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(365), pending_days=7))
    led = led.handle(Earn("signup", 500, source="follow"), now=now).state
    led = led.handle(Earn("o1:earn", 268, order_id="o1"), now=now).state   # pending
    led = led.handle(Spend("lottery-1", 100, purpose="lottery"), now=now).state
    return [
        MachineCase(
            name="PointsLedger",
            state=led,
            now=now.add(days=1),
            accept=Spend("o2:spend", 300, order_id="o2"),
            conflict=Spend("o2:spend", 301, order_id="o2"),
            reject=Spend("o3:spend", 401),                # 400 available; 268 still pending
            illegal=TakeBack("rf-1", "lottery-1", 50),    # a spend cannot be taken back
        ),
    ]


CASES: list[MachineCase] = [*_points_cases()]
