"""Points (积分): ledger, expiry, earning, sign-in, tasks, deduction, points mall, refunds,
and stored value (储值).

Every policy here is data (registered under the ``points``, ``signin``, ``task``,
``points_mall`` and ``stored_value`` tag prefixes); every ledger is a frozen
state with ``handle(command, now=...)``.
"""

from sirui.loyalty.points.deduction import DeductionPlan, DeductionPolicy, PointsDeductionStep
from sirui.loyalty.points.earning import (
    EarnQuote,
    EarnRule,
    MultiplierStacking,
    PaidLine,
    PointsCampaign,
    paid_lines,
    quote_earning,
)
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
from sirui.loyalty.points.refunds import LinePoints, OrderPoints, PointsRefundPlan

__all__ = [
    "Adjust",
    "Bucket",
    "Consumption",
    "DeductionPlan",
    "DeductionPolicy",
    "Earn",
    "EarnQuote",
    "EarnRule",
    "ExpireAfterDays",
    "ExpireAtYearEnd",
    "ExpiryPolicy",
    "LedgerCommand",
    "LedgerPolicy",
    "LinePoints",
    "MultiplierStacking",
    "NeverExpire",
    "OrderPoints",
    "PaidLine",
    "PointsAdjusted",
    "PointsCampaign",
    "PointsDeductionStep",
    "PointsEarned",
    "PointsExpired",
    "PointsLedger",
    "PointsRefundPlan",
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
    "paid_lines",
    "quote_earning",
]
