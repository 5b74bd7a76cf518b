"""Refunds: take back earned points, return spent ones, per line and to the point."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidValueError
from sirui.loyalty.points import Earn, OrderPoints, PointsLedger, Spend

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")


def test_refunding_one_of_two_tins_takes_back_half_the_line() -> None:
    rec = OrderPoints.of(
        "o1", {"formula": 2, "diapers": 1}, earn_id="o1:earn",
        earned={"formula": 536, "diapers": 129}, spend_id="o1:spend",
        spent={"formula": 1000, "diapers": 501},
    )
    plan = rec.refund("rf1", {"formula": 1})
    assert (plan.take_back, plan.return_spent) == (268, 500)
    assert [(c.id, c.points) for c in plan.commands] == [
        ("rf1:take_back", 268), ("rf1:return", 500)
    ]
    rest = plan.order.refund_all("rf2")
    assert (rest.take_back, rest.return_spent) == (536 + 129 - 268, 1501 - 500)


def test_a_refund_through_the_ledger_restores_the_balance() -> None:
    led = PointsLedger.open("m1").handle(Earn("signup", 5000, source="signup"), now=NOW).state
    led = led.handle(Spend("o1:spend", 3000, order_id="o1"), now=NOW).state
    led = led.handle(Earn("o1:earn", 297, order_id="o1"), now=NOW).state
    rec = OrderPoints.of("o1", {"1": 1, "2": 1}, earn_id="o1:earn", earned={"1": 200, "2": 97},
                         spend_id="o1:spend", spent={"1": 2000, "2": 1000})
    for cmd in rec.refund_all("rf1").commands:
        led = led.handle(cmd, now=NOW.add(days=1)).state
    assert led.balance(NOW.add(days=30)) == 5000


def test_over_refund_is_misuse() -> None:
    rec = OrderPoints.of("o1", {"1": 1}, earn_id="e", earned={"1": 10})
    with pytest.raises(InvalidValueError):
        rec.refund("rf", {"1": 2})
    with pytest.raises(InvalidValueError):
        rec.refund("rf", {"9": 1})
    with pytest.raises(InvalidValueError):
        OrderPoints.of("o1", {"1": 1}, earned={"2": 10})


@given(st.data())
def test_any_sequence_of_partial_refunds_ends_exactly_at_the_totals(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 4))
    qty = {f"L{i}": data.draw(st.integers(1, 5)) for i in range(n)}
    earned = {k: data.draw(st.integers(0, 999)) for k in qty}
    spent = {k: data.draw(st.integers(0, 9999)) for k in qty}
    rec = OrderPoints.of("o", qty, earn_id="e", earned=earned, spend_id="s", spent=spent)
    took = gave = 0
    step = 0
    while any(ln.refunded < ln.quantity for ln in rec.lines):
        open_lines = [ln for ln in rec.lines if ln.refunded < ln.quantity]
        ln = data.draw(st.sampled_from(open_lines))
        k = data.draw(st.integers(1, ln.quantity - ln.refunded))
        plan = rec.refund(f"r{step}", {ln.line_id: k})
        # a partial refund never takes more than its exact proportional share rounded up
        assert plan.take_back <= ln.earned * k // ln.quantity + 1
        took += plan.take_back
        gave += plan.return_spent
        rec = plan.order
        step += 1
    assert took == sum(earned.values())
    assert gave == sum(spent.values())
