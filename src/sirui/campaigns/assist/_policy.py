"""The friend-assistance campaign policy (任务宝 / 好友助力)."""

from __future__ import annotations

import attrs

from sirui.campaigns._checks import is_condition
from sirui.core.errors import invalid
from sirui.core.registry import policy
from sirui.core.validators import (
    aware_datetime,
    int_at_least,
    non_empty_str,
    non_negative_int,
    opt_non_negative_int,
    opt_positive_int,
)
from sirui.core.windows import DateTime
from sirui.rules import Always, Condition

__all__ = ["AssistPolicy"]

_ALWAYS: Condition = Always()


@policy("assist.campaign")
@attrs.frozen(slots=True)
class AssistPolicy:
    """A task-fission campaign (任务宝 / 好友助力).

    ``helps_required`` friends must help within ``time_limit_minutes`` of the
    task's start (never past ``ends_at``); the owner then wins ``prize`` (a
    code the host resolves: a coupon template id, a free-item SKU) while
    ``prize_stock`` lasts. ``helper_condition=NewCustomer()`` accepts only
    new customers' helps (拉新助力). ``log_retention_days`` is how long a
    task remembers the command ids it accepted; it must outlast the host's
    longest retry.
    """

    id: str = attrs.field(validator=non_empty_str)
    prize: str = attrs.field(validator=non_empty_str)
    helps_required: int = attrs.field(validator=int_at_least(1))
    starts_at: DateTime = attrs.field(validator=aware_datetime)
    ends_at: DateTime = attrs.field(validator=aware_datetime)
    time_limit_minutes: int = attrs.field(default=24 * 60, validator=int_at_least(1))
    prize_stock: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    helper_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    owner_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    max_helps_per_helper: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Helps one person may give in the whole campaign (``None``: no limit)."""
    max_tasks_per_member: int | None = attrs.field(default=1, validator=opt_positive_int)
    name: str = ""
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days a task remembers the command ids it accepted (`PruneLog` forgets older ones)."""

    def __attrs_post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise invalid("ends_at", self.ends_at, f"must be after starts_at={self.starts_at}",
                          "swap the two or extend the campaign")

    def deadline_for(self, started_at: DateTime) -> DateTime:
        return min(started_at.add(minutes=self.time_limit_minutes), self.ends_at)
