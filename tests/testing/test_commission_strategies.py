"""The commission strategies of `sirui.testing.commission`: valid, round-tripping, and useful.

Each test draws values, checks that registered policies load back from their
config form, and exercises one invariant of the mechanic with them.
"""

from __future__ import annotations

from hypothesis import given, settings

import sirui.config
from examples_budget import scaled
from sirui.commission import AttributionSource, guide_commission
from sirui.testing import money
from sirui.testing.commission import (
    attribution_policies,
    commission_orders,
    commission_plans,
    sharing_policies,
    target_ladders,
    targets,
)

FEW = settings(max_examples=scaled(30))


def round_trips(policy: object) -> None:
    assert sirui.config.load(sirui.config.dump(policy)) == policy


@FEW
@given(commission_orders())
def test_paid_orders_settle_each_line_for_at_most_its_amount(order):
    assert [ln.line_id for ln in order.lines] == [ln.id for ln in order.order.lines]
    for paid, line in zip(order.lines, order.order.lines, strict=True):
        assert paid.total <= line.amount
    assert order.paid_at == order.order.paid_at


@FEW
@given(commission_orders(), commission_plans(), attribution_policies())
def test_line_commission_stays_within_its_base(order, plan, attribution):
    round_trips(plan)
    lines = guide_commission(order, plan, attribution)
    assert [c.line_id for c in lines] == [ln.line_id for ln in order.lines]
    for c, ln in zip(lines, order.lines, strict=True):
        assert 0 <= c.amount.minor <= c.base.minor <= ln.total.minor
        if c.payee is None:
            assert c.amount.minor == 0


@FEW
@given(commission_orders(), attribution_policies())
def test_attribution_keeps_the_store_and_says_why(order, policy):
    round_trips(policy)
    got = policy.attribute(order)
    if order.order.store is not None:
        assert got.store == order.order.store
    assert got.reason is not None
    if got.source is AttributionSource.STORE:
        assert got.guide is None


@FEW
@given(target_ladders(), money(100_000, 10_000_000), money(0, 20_000_000),
       money(0, 20_000_000))
def test_target_commission_never_falls_as_performance_rises(ladder, target, a, b):
    round_trips(ladder)
    lo, hi = sorted((a, b))
    low, high = ladder.commission(lo, target), ladder.commission(hi, target)
    assert 0 <= low.amount.minor <= high.amount.minor
    assert low.tier <= high.tier


@FEW
@given(targets())
def test_targets_round_trip(target):
    round_trips(target)
    assert target.amount.minor > 0


@FEW
@given(sharing_policies(), money(0, 1_000_000))
def test_sharing_splits_exactly_within_the_cap(policy, amount):
    round_trips(policy)
    plan = policy.split(amount)
    gross = sum(s.gross.minor for s in plan.shares)
    assert gross + plan.merchant_gross.minor == amount.minor
    assert gross <= amount.minor * policy.cap
    assert sum(s.fee.minor for s in plan.shares) + plan.merchant_fee.minor == plan.fee.minor
    assert all(s.net.minor >= 0 for s in plan.shares)
    assert 0 <= plan.reserve.minor <= max(plan.merchant_net.minor, 0)
