"""Points (积分): ledger, expiry, earning, sign-in, tasks, deduction, points mall, refunds,
and stored value (储值).

Every policy here is data (registered under the ``points``, ``signin``, ``task``,
``points_mall`` and ``stored_value`` tag prefixes); every ledger is a frozen
state with ``handle(command, now=...)``.
"""

from sirui.loyalty.points.expiry import ExpireAfterDays, ExpireAtYearEnd, ExpiryPolicy, NeverExpire
from sirui.loyalty.points.ledger import (
    Adjust,
    Bucket,
    Consumption,
    Earn,
    LedgerCommand,
    LedgerPolicy,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsLedger,
    PointsRefundPolicy,
    PointsReturned,
    PointsSpent,
    PointsTakenBack,
    ReturnedExpiry,
    ReturnSpent,
    Shortfall,
    Spend,
    Sweep,
    TakeBack,
)

__all__ = [
    "Adjust",
    "Bucket",
    "Consumption",
    "Earn",
    "ExpireAfterDays",
    "ExpireAtYearEnd",
    "ExpiryPolicy",
    "LedgerCommand",
    "LedgerPolicy",
    "NeverExpire",
    "PointsAdjusted",
    "PointsEarned",
    "PointsExpired",
    "PointsLedger",
    "PointsRefundPolicy",
    "PointsReturned",
    "PointsSpent",
    "PointsTakenBack",
    "ReturnSpent",
    "ReturnedExpiry",
    "Shortfall",
    "Spend",
    "Sweep",
    "TakeBack",
]
