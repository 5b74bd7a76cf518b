"""Conformance cases for the subscription plan (see `tests/test_machine_contract.py`)."""

from __future__ import annotations

import datetime as dt

import pendulum

from contract import MachineCase
from sirui.campaigns.subscription import (
    Cadence,
    MarkDeliveryDue,
    PausePlan,
    PostponeDelivery,
    RefundDeliveries,
    ResumePlan,
    SkipDelivery,
    StartPlan,
    SubscriptionOffer,
    SubscriptionPolicy,
    start_plan,
)
from sirui.core.money import Money

TZ = "Asia/Shanghai"


def _plan_cases() -> list[MachineCase]:
    """A month of daily milk from Nov 1 (changes close at 20:00 the evening before)."""
    now = pendulum.datetime(2026, 10, 30, 15, tz=TZ)
    offer = SubscriptionOffer("milk-30", "milk", 30, Cadence.daily(), Money.of("12"), rate="0.9")
    rules = SubscriptionPolicy(cutoff_hours=12, max_skips=2, max_pause_days=10,
                               max_postpone_days=7, tz=TZ)
    start = StartPlan("start-1", "plan-1", "m1", offer, dt.date(2026, 11, 1), Money.of("324"))
    plan = start_plan(start, policy=rules, now=now).state
    paused = plan.handle(PausePlan("pause-1", dt.date(2026, 11, 5), 3), now=now).state
    return [
        MachineCase(
            name="SubscriptionPlan",
            state=plan,
            now=now,
            accept=SkipDelivery("skip-1", 5),
            conflict=SkipDelivery("skip-1", 6),                      # same id, another delivery
            reject=PostponeDelivery("postpone-1", 3, dt.date(2026, 11, 20)),  # beyond 7 days
            illegal=ResumePlan("resume-1"),                          # ACTIVE has no resume row
        ),
        MachineCase(
            name="SubscriptionPlan-paused",
            state=paused,
            now=now,
            accept=RefundDeliveries("refund-1", 2),
            conflict=RefundDeliveries("refund-1", 3),
            reject=ResumePlan("resume-1"),                           # paused until Nov 8
            illegal=SkipDelivery("skip-2", 20),                      # PAUSED takes no skip
        ),
        MachineCase(
            name="SubscriptionPlan-due",
            state=plan,
            now=pendulum.datetime(2026, 10, 31, 20, tz=TZ),           # delivery 1's cutoff
            accept=MarkDeliveryDue("due-1", 1),
            conflict=MarkDeliveryDue("due-1", 2),
            reject=MarkDeliveryDue("due-2", 2),                      # not before Nov 1 20:00
            illegal=None,
        ),
    ]


CASES: list[MachineCase] = [*_plan_cases()]
