"""The activity-price adjustment shared by seckill and limited-time discounts (private).

Both price steps work out, line by line, how much each line is off; what
they record is then the same: one `Adjustment` at `Stage.ACTIVITY` whose
``activity`` is the rule id (so later activities leave those lines alone),
with the policy's fingerprint and the stages the activity closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sirui.config import fingerprint
from sirui.core.money import Money
from sirui.rules.pricing import Adjustment, PriceState, Stage
from sirui.rules.reasons import Reason

__all__ = ["apply_activity"]


def apply_activity(
    state: PriceState,
    rule: str,
    kind: str,
    allocations: Sequence[tuple[str, Money]],
    *,
    reason: Reason,
    policy: Any,
    blocks: frozenset[Stage],
) -> PriceState:
    """``state`` with the activity price applied: ``allocations`` (line id, amount off).

    ``allocations`` must not be empty; the caller skips with its own reason
    when no line is priced.
    """
    total = sum((m for _, m in allocations), Money.zero(state.currency))
    return state.apply(Adjustment(
        rule=rule,
        stage=Stage.ACTIVITY,
        amount=total,
        allocations=tuple(allocations),
        reason=reason,
        kind=kind,
        fingerprint=fingerprint(policy),
        blocks=blocks,
        activity=rule,
    ))
