"""Shared builders for the subscription tests: the operator's month of milk."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from sirui.campaigns.subscription import (
    Cadence,
    MarkDelivered,
    MarkDeliveryDue,
    StartPlan,
    SubscriptionOffer,
    SubscriptionPlan,
    SubscriptionPolicy,
    start_plan,
)
from sirui.core.money import Money

TZ = "Asia/Shanghai"
#: The member orders on the afternoon of Oct 30; deliveries start on Nov 1.
NOW = pendulum.datetime(2026, 10, 30, 15, tz=TZ)
NOV_1 = dt.date(2026, 11, 1)


def at(day: int, h: int = 0, m: int = 0, month: int = 11) -> pendulum.DateTime:
    return pendulum.datetime(2026, month, day, h, m, tz=TZ)


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day) if day <= 30 else dt.date(2026, 12, day - 30)


def y(text: str) -> Money:
    return Money.of(text)


def milk(deliveries: int = 30, rate: str = "0.9", cadence: Cadence | None = None,
         price: str = "12") -> SubscriptionOffer:
    """A bottle of fresh milk every morning, 12 yuan each, 9折 for the plan."""
    return SubscriptionOffer("milk-30", "milk", deliveries, cadence or Cadence.daily(),
                             y(price), rate=rate)


#: Changes close at 20:00 the evening before an 08:00 delivery; three skips, ten days
#: of pause and a week of postponement per plan.
RULES = SubscriptionPolicy(cutoff_hours=12, delivery_time=dt.time(8), max_skips=3,
                           max_pause_days=10, max_postpone_days=7, tz=TZ)


def started(offer: SubscriptionOffer | None = None, rules: SubscriptionPolicy = RULES,
            first: dt.date = NOV_1, now: pendulum.DateTime = NOW) -> SubscriptionPlan:
    offer = offer or milk()
    out = start_plan(StartPlan("start-1", "plan-1", "m1", offer, first, offer.quote().total),
                     policy=rules, now=now)
    assert isinstance(out.state, SubscriptionPlan), out
    return out.state


def deliver(plan: SubscriptionPlan, *numbers: int) -> tuple[SubscriptionPlan, Any]:
    """Mark each delivery due at its cutoff and delivered at its delivery time."""
    now: Any = NOW
    for n in numbers:
        day = plan.delivery(n).date
        out = plan.handle(MarkDeliveryDue(f"due-{n}", n), now=plan.policy.cutoff(day))
        assert out.ok, out
        now = plan.policy.delivery_at(day)
        out = out.state.handle(MarkDelivered(f"delivered-{n}", n), now=now)
        assert out.ok, out
        plan = out.state
    return plan, now
