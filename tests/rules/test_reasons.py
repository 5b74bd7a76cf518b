"""Reasons: stable codes, parameters, zh/en messages, plain dicts."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest

from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.rules import CATALOGUE, Accepted, Reason, Rejected, event_to_dict, reason_code

OFF = reason_code("test.full_reduction", zh="满{threshold}减{off}", en="{off} off over {threshold}")


def test_messages_in_both_languages() -> None:
    r = OFF(threshold=Money.of("299"), off=Money.of("40"))
    assert r.zh == "满¥299.00减¥40.00" and r.en == "¥40.00 off over ¥299.00"
    assert r.message("en-US") == r.en and str(r).startswith("test.full_reduction: ")
    assert r.params == {"off": Money.of("40"), "threshold": Money.of("299")}
    assert r.to_dict() == {
        "code": "test.full_reduction",
        "params": {"off": "40.00", "threshold": "299.00"},
        "zh": "满¥299.00减¥40.00",
        "en": "¥40.00 off over ¥299.00",
    }


def test_codes_are_validated_and_stable() -> None:
    with pytest.raises(InvalidValueError, match="needs parameters"):
        OFF(threshold=Money(1))
    with pytest.raises(InvalidValueError, match="dotted"):
        reason_code("nodots", zh="", en="")
    with pytest.raises(InvalidValueError, match="already defined"):
        reason_code("test.full_reduction", zh="x", en="y")
    assert reason_code("test.full_reduction", zh=OFF.zh, en=OFF.en) == OFF
    assert CATALOGUE["test.full_reduction"] is not None
    assert Reason("unknown.code").zh == "unknown.code"


def test_parameter_rendering() -> None:
    show = reason_code("test.show", zh="{a}|{b}|{c}", en="{a}|{b}|{c}")
    now = pendulum.datetime(2026, 1, 1, tz="UTC")
    r = show(a=Decimal("0.950"), b=frozenset({"y", "x"}), c=now)
    assert r.en == "0.95|x, y|2026-01-01T00:00:00+00:00"
    assert r.to_dict()["params"] == {"a": "0.950", "b": ["x", "y"], "c": now.isoformat()}


def test_outcomes_and_events_as_dicts() -> None:
    import attrs

    @attrs.frozen
    class StockReserved:
        order_id: str
        quantity: int
        amount: Money
        reason: Reason

    ev = StockReserved("o1", 2, Money.of("9.9"), OFF(threshold=Money(1), off=Money(1)))
    d = event_to_dict(ev)
    # a class outside sirui is named by its module path; sirui's own by their wire names
    assert d["event"].endswith(".StockReserved") and d["amount"] == "9.90"
    assert d["reason"]["code"] == "test.full_reduction"
    acc: Accepted[int] = Accepted(1, (ev,))
    rej: Rejected[int] = Rejected(OFF(threshold=Money(1), off=Money(1)), 1)
    assert acc.ok and not rej.ok and rej.state == 1
