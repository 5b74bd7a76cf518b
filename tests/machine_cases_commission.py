"""Conformance cases for the commission machines (see `tests/test_machine_contract.py`)."""

from __future__ import annotations

import pendulum

from contract import MachineCase
from sirui.commission import (
    CommissionOrder,
    CommissionOrderLine,
    CommissionPlan,
    MarkFulfilled,
    RateRule,
    RecordCommission,
    SettlementLedger,
    SettlePayee,
    guide_commission,
)
from sirui.core.money import Money
from sirui.core.nouns import Line, Member, Order, Sku

TZ = "Asia/Shanghai"


def _paid(order_id: str, at: pendulum.DateTime) -> CommissionOrder:
    milk = Sku("milk", Money.of("300"), category="母婴/奶粉")
    order = Order(order_id, Member("m1", guide="g1"), (Line("L1", milk, 1),),
                  placed_at=at, paid_at=at, store="S01")
    return CommissionOrder(order, (CommissionOrderLine("L1", milk, 1, Money.of("260")),), at)


def _settlement_cases() -> list[MachineCase]:
    """Two paid orders of guide g1: o2 picked up already, o1 picked up now."""
    now = pendulum.datetime(2026, 11, 12, 10, tz=TZ)
    plan = CommissionPlan((RateRule("all", "0.1"),))
    ledger = SettlementLedger()
    paid = now.subtract(days=1)
    for i, oid in enumerate(("o1", "o2")):
        lines = guide_commission(_paid(oid, paid), plan)
        ledger = ledger.handle(RecordCommission(f"rec-{oid}", lines), now=paid).state
        if i:
            ledger = ledger.handle(MarkFulfilled(f"ful-{oid}", oid, paid), now=paid).state
    return [
        MachineCase(
            name="SettlementLedger",
            state=ledger,
            now=now,
            accept=MarkFulfilled("ful-o1", "o1", now),
            conflict=MarkFulfilled("ful-o1", "o1", now.add(hours=1)),
            reject=SettlePayee("pay-1", "g1"),            # nothing settleable yet
            illegal=MarkFulfilled("ful-o2b", "o2", now),  # o2's records are frozen already
        ),
    ]


CASES: list[MachineCase] = [*_settlement_cases()]
