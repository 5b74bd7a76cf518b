"""The package surface: exports, policy documents, schemas, events as plain data."""

from __future__ import annotations

import importlib

import pendulum
import pytest

import sirui.loyalty.points as points
from sirui.config import json_schema, load
from sirui.core import ConfigError
from sirui.core.money import Money
from sirui.core.registry import policy_types
from sirui.rules import event_to_dict

MODULES = (
    "ledger", "transactions", "expiry", "earning", "deduction", "refunds", "signin", "tasks",
    "mall", "stored_value",
)


def test_every_public_name_of_every_module_is_re_exported() -> None:
    for name in MODULES:
        mod = importlib.import_module(f"sirui.loyalty.points.{name}")
        missing = set(mod.__all__) - set(points.__all__)
        assert not missing, f"{name}: {sorted(missing)} not in sirui.loyalty.points.__all__"
    for name in points.__all__:
        assert hasattr(points, name)


def test_policy_tags_live_under_the_package_prefixes() -> None:
    ours = {t: c for t, c in policy_types().items() if c.__module__.startswith(points.__name__)}
    assert {t.split(".")[0] for t in ours} == {
        "points", "signin", "task", "points_mall", "stored_value"
    }
    for cls in ours.values():
        assert json_schema(cls)


def test_a_policy_document_loads_by_its_tag() -> None:
    doc = {
        "type": "points.ledger",
        "pending_days": 7,
        "expiry": {"type": "points.expire_at_year_end", "years_after": 1},
        "refunds": {"shortfall": "negative_balance"},
    }
    pol = load(doc)
    assert pol == points.LedgerPolicy(
        points.ExpireAtYearEnd(1), 7,
        points.PointsRefundPolicy(shortfall=points.Shortfall.NEGATIVE_BALANCE),
    )
    with pytest.raises(ConfigError, match="pending_days"):
        load({"type": "points.ledger", "pending_days": -1})
    with pytest.raises(ConfigError):
        load({"type": "points.deduction", "points_per_yuan": 0})


def test_events_are_plain_data() -> None:
    now = pendulum.datetime(2026, 3, 1, tz="Asia/Shanghai")
    led = points.PointsLedger.open("m1").handle(points.Earn("e1", 100), now=now)
    spent = led.state.handle(points.Spend("s1", 60, order_id="o1"), now=now)
    d = event_to_dict(spent.events[0])
    assert d["event"].rpartition(".")[2] == "PointsSpent"
    assert d["consumed"] == [
        {"bucket_id": "e1", "points": 60, "expires_at": None,
         "earned_at": "2026-03-01T00:00:00+08:00"}
    ]
    acc = points.StoredValueAccount.open("m1").handle(points.TopUp("t1", Money.of("500")), now=now)
    assert event_to_dict(acc.events[0])["principal"] == "500.00"
