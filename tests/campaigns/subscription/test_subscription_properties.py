"""Properties of any plan under any sequence of commands (hypothesis, profile-driven counts).

* the deliveries' prices sum exactly to what was paid;
* delivered + refunded + still open == paid at every step, so delivered +
  refunded == paid once the plan has ended;
* the dates of the deliveries not refunded strictly increase, and respect
  each skip (the day given up stays free), postpone (the delivery lands on
  the day asked) and pause (no open delivery in the window);
* never more deliveries than the plan, never delivered twice.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sirui.campaigns.subscription import (
    DeliveryStatus,
    MarkDelivered,
    MarkDeliveryDue,
    PausePlan,
    PlanRefunded,
    PlanStatus,
    PostponeDelivery,
    RefundDeliveries,
    ResumePlan,
    SkipDelivery,
    SubscriptionPlan,
)
from sirui.testing.subscription import started_plans

S = DeliveryStatus
DAY = dt.timedelta(days=1)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("skip"), st.integers(1, 40)),
        st.tuples(st.just("postpone"), st.integers(1, 40), st.integers(1, 10)),
        st.tuples(st.just("pause"), st.integers(0, 20), st.integers(1, 10)),
        st.tuples(st.just("resume")),
        st.tuples(st.just("advance"), st.integers(1, 72)),
        st.tuples(st.just("refund"), st.none() | st.integers(1, 5)),
        st.tuples(st.just("due")),
        st.tuples(st.just("deliver")),
    ),
    max_size=30,
)


def _command(plan: SubscriptionPlan, op: tuple[Any, ...], i: int, now: Any) -> Any:
    n = len(plan.deliveries)
    kind = op[0]
    if kind == "skip":
        return SkipDelivery(f"c{i}", (op[1] - 1) % n + 1)
    if kind == "postpone":
        number = (op[1] - 1) % n + 1
        return PostponeDelivery(f"c{i}", number, plan.delivery(number).date + op[2] * DAY)
    if kind == "pause":
        return PausePlan(f"c{i}", plan.policy.today(now) + op[1] * DAY, op[2])
    if kind == "resume":
        return ResumePlan(f"c{i}")
    if kind == "refund":
        return RefundDeliveries(f"c{i}", op[1])
    status = S.SCHEDULED if kind == "due" else S.DUE
    first = next((d.number for d in plan.deliveries if d.status is status), 1)
    return (MarkDeliveryDue if kind == "due" else MarkDelivered)(f"c{i}", first)


def _check(plan: SubscriptionPlan, n: int) -> None:
    assert len(plan.deliveries) == n
    assert sum(d.price.minor for d in plan.deliveries) == plan.paid.minor
    open_ = plan.amount(S.SCHEDULED, S.DUE)
    assert plan.delivered_amount + plan.refunded_amount + open_ == plan.paid
    assert all(a < b for a, b in itertools.pairwise(plan.dates))
    if plan.status is PlanStatus.ENDED:
        assert plan.delivered_amount + plan.refunded_amount == plan.paid


def _respected(before: SubscriptionPlan, after: SubscriptionPlan, cmd: Any) -> None:
    """The change the command asked for is the change made."""
    if isinstance(cmd, SkipDelivery):
        gone = before.delivery(cmd.number).date
        assert gone not in after.dates
        assert after.delivery(cmd.number).date > gone
    elif isinstance(cmd, PostponeDelivery):
        assert after.delivery(cmd.number).date == cmd.to
    elif isinstance(cmd, PausePlan):
        until = cmd.start + cmd.days * DAY
        assert not any(cmd.start <= d.date < until for d in after.deliveries
                       if d.status is S.SCHEDULED)
        assert after.pause_days_used <= (after.policy.max_pause_days or after.pause_days_used)
    if isinstance(cmd, SkipDelivery | PostponeDelivery | PausePlan):
        # deliveries dated before the change keep their dates and statuses
        first = (before.delivery(cmd.number).date if not isinstance(cmd, PausePlan)
                 else cmd.start)
        for b, a in zip(before.deliveries, after.deliveries, strict=True):
            if b.date < first and b.status is not S.REFUNDED:
                assert a == b


@given(started_plans(max_deliveries=40), ops)
def test_any_sequence_keeps_the_money_and_the_calendar(started: Any, steps: Any) -> None:
    plan, now = started
    n = len(plan.deliveries)
    _check(plan, n)
    for i, op in enumerate(steps):
        if op[0] == "advance":
            now = now.add(hours=op[1])
            continue
        cmd = _command(plan, op, i, now)
        out = plan.handle(cmd, now=now)
        if not out.ok:
            assert out.state is plan
            continue
        _respected(plan, out.state, cmd)
        for e in out.events:
            if isinstance(e, PlanRefunded):
                assert e.amount == plan.refund_quote(cmd.count, now=now)
        plan = out.state
        _check(plan, n)
        skips = plan.policy.max_skips
        assert skips is None or plan.skips_used <= skips


@given(started_plans(max_deliveries=40), st.integers(0, 40))
def test_deliver_some_then_refund_the_rest_returns_paid_minus_delivered(
    started: Any, k: int
) -> None:
    plan, _ = started
    k = min(k, len(plan.deliveries))
    now: Any = None
    for d in plan.deliveries[:k]:
        plan = plan.handle(MarkDeliveryDue(f"due{d.number}", d.number),
                           now=plan.policy.cutoff(d.date)).state
        now = plan.policy.delivery_at(d.date)
        plan = plan.handle(MarkDelivered(f"dl{d.number}", d.number), now=now).state
    delivered = plan.delivered_amount
    assert len(plan.with_status(S.DELIVERED)) == k
    if k == len(plan.deliveries):
        assert plan.status is PlanStatus.ENDED and delivered == plan.paid
        return
    # refund right after the last delivery (before the next cutoff, if it is not at once)
    when = now if now is not None else started[1]
    if when >= plan.cutoff(k + 1):
        return
    out = plan.handle(RefundDeliveries("refund"), now=when)
    assert out.ok
    assert out.events[-2].amount == plan.paid - delivered
    assert out.state.status is PlanStatus.ENDED


@given(started_plans(max_deliveries=40))
def test_a_refund_of_everything_returns_everything(started: Any) -> None:
    plan, now = started
    out = plan.handle(RefundDeliveries("refund-all"), now=now)
    assert out.events[-2].amount == plan.paid
    assert out.state.refunded_amount == plan.paid
    assert out.state.status is PlanStatus.ENDED
