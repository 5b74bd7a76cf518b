"""Lifecycle: new, active, dormant, churned by days since the last order."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidPolicyError
from sirui.loyalty.members import LifecyclePolicy, LifecycleStage, MemberFacts, lifecycle_stage

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
P = LifecyclePolicy(new_days=30, active_days=90, dormant_days=180)


def ago(days: int) -> pendulum.DateTime:
    return NOW.subtract(days=days)


def test_operator_stages() -> None:
    assert lifecycle_stage(P, MemberFacts("m", joined_at=ago(3)), NOW) is LifecycleStage.NEW
    first = MemberFacts("m", orders=1, first_order_at=ago(10), last_order_at=ago(10))
    assert lifecycle_stage(P, first, NOW) is LifecycleStage.NEW
    regular = MemberFacts("m", orders=4, first_order_at=ago(300), last_order_at=ago(89))
    assert lifecycle_stage(P, regular, NOW) is LifecycleStage.ACTIVE
    quiet = MemberFacts("m", orders=4, first_order_at=ago(300), last_order_at=ago(90))
    assert lifecycle_stage(P, quiet, NOW) is LifecycleStage.DORMANT
    gone = MemberFacts("m", orders=4, first_order_at=ago(300), last_order_at=ago(180))
    assert lifecycle_stage(P, gone, NOW) is LifecycleStage.CHURNED


def test_registered_but_never_bought_goes_dormant_then_churned() -> None:
    assert lifecycle_stage(P, MemberFacts("m", joined_at=ago(100)), NOW) is LifecycleStage.DORMANT
    assert lifecycle_stage(P, MemberFacts("m", joined_at=ago(400)), NOW) is LifecycleStage.CHURNED
    assert lifecycle_stage(P, MemberFacts("m"), NOW) is LifecycleStage.NEW


def test_boundaries_must_increase() -> None:
    with pytest.raises(InvalidPolicyError, match="dormant_days"):
        LifecyclePolicy(active_days=90, dormant_days=90)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_a_later_last_order_never_makes_a_regular_member_less_active(a: int, b: int) -> None:
    order = [LifecycleStage.ACTIVE, LifecycleStage.DORMANT, LifecycleStage.CHURNED]
    s1 = lifecycle_stage(P, MemberFacts("m", orders=5, last_order_at=ago(max(a, b))), NOW)
    s2 = lifecycle_stage(P, MemberFacts("m", orders=5, last_order_at=ago(min(a, b))), NOW)
    assert order.index(s2) <= order.index(s1)
