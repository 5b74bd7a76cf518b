"""Lifecycle stages (会员生命周期): new, active, dormant (沉睡), churned (流失).

The stage follows from days since the member's last order (or, before any
order, since joining), with the operator's boundaries:

* NEW: at most one order, and the first order (or joining, before any
  order) is within ``new_days``;
* ACTIVE: last order within ``active_days``;
* DORMANT: last order within ``dormant_days``;
* CHURNED: anything older.

A member with no date at all (neither joined nor ordered) is NEW. Days are
whole elapsed days: ``now - t >= N days`` means "N days or more ago".
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

from sirui.core.errors import invalid
from sirui.core.registry import policy
from sirui.core.validators import positive_int
from sirui.core.windows import DateTime, aware
from sirui.loyalty.members.facts import MemberFacts

__all__ = ["LifecyclePolicy", "LifecycleStage", "lifecycle_stage", "prepare"]


class LifecycleStage(enum.Enum):
    NEW = "new"
    """新客."""
    ACTIVE = "active"
    """活跃."""
    DORMANT = "dormant"
    """沉睡."""
    CHURNED = "churned"
    """流失."""


@policy("segment.lifecycle")
@attrs.frozen(slots=True)
class LifecyclePolicy:
    """生命周期规则: ``new_days`` / ``active_days`` / ``dormant_days`` boundaries."""

    new_days: int = attrs.field(default=30, validator=positive_int)
    active_days: int = attrs.field(default=90, validator=positive_int)
    dormant_days: int = attrs.field(default=180, validator=positive_int)

    def __attrs_post_init__(self) -> None:
        if self.dormant_days <= self.active_days:
            raise invalid(
                "dormant_days", self.dormant_days, f"must be above active_days={self.active_days}",
                "a member is dormant after being active",
            )


def lifecycle_stage(policy: LifecyclePolicy, facts: MemberFacts, now: DateTime) -> LifecycleStage:
    """The member's lifecycle stage at ``now``.

    For many members, call ``prepare(policy, now)`` once and the returned
    function per member: it computes the day cut-offs once.
    """
    return prepare(policy, aware(now))(facts)


def prepare(policy: LifecyclePolicy, now: DateTime) -> Callable[[MemberFacts], LifecycleStage]:
    """A per-member stage function with the cut-offs for ``now`` computed once."""
    now = aware(now)
    return _Staging(
        now.subtract(days=policy.new_days),
        now.subtract(days=policy.active_days),
        now.subtract(days=policy.dormant_days),
    )


@attrs.frozen(slots=True)
class _Staging:
    new_after: DateTime
    active_after: DateTime
    dormant_after: DateTime

    def __call__(self, facts: MemberFacts) -> LifecycleStage:
        last = facts.last_order_at
        if facts.orders <= 1:
            first = facts.first_order_at or last or facts.joined_at
            if first is None or first > self.new_after:
                return LifecycleStage.NEW
        ref = last or facts.joined_at
        if ref is None:
            return LifecycleStage.NEW
        if ref > self.active_after:
            return LifecycleStage.ACTIVE
        if ref > self.dormant_after:
            return LifecycleStage.DORMANT
        return LifecycleStage.CHURNED
