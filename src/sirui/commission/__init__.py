"""Commission (佣金/提成): store guides, staff distribution, referral rewards,
settlement, monthly statements, WeChat Pay profit sharing (分账) and guide
competitions.

Everything starts from a `PaidOrder` (what each line actually paid, built by
the checkout or the host) and is reversed from a `Refund`:

* `attribution`: whom an order belongs to (share link, exclusive guide, store);
* `rules`: commission per line (rate by item, fixed per item, exclusions);
* `targets`, `boost`: monthly targets with tiered rates, the launch boost;
* `distribution`: super guides over external staff, two-level distribution;
* `referral`: invite rewards N days after the invitee's first order is fulfilled;
* `settlement`: pending → frozen → settleable → settled, refunds and clawbacks;
* `statement`: monthly statements per guide and per store;
* `sharing`: profit sharing within the 30% cap, fees, reserve, reversal;
* `competition`: guide rankings with a documented tie-break.
"""

from sirui.commission.attribution import (
    Attributed,
    AttributionPolicy,
    AttributionSource,
    Precedence,
)
from sirui.commission.boost import BoostPeriod, BoostResult, LaunchBoost, OverlappingBoostError
from sirui.commission.competition import Activity, Competition, Metric, Standing
from sirui.commission.distribution import (
    DistributionDepthError,
    DistributionPlan,
    DistributionRate,
    SellerChain,
    SuperGuideShare,
    order_commission,
)
from sirui.commission.paid import LineRefund, PaidLine, PaidOrder, Refund
from sirui.commission.referral import (
    InviteeFirstOrder,
    ReferralDecision,
    ReferralReward,
    ReferralStatus,
    RewardKind,
)
from sirui.commission.rules import (
    CommissionLine,
    CommissionPlan,
    CommissionRule,
    ExcludedItems,
    FixedPerItem,
    RateRule,
    Role,
    guide_commission,
)
from sirui.commission.settlement import (
    TRANSITIONS,
    ApplyRefund,
    ClawbackCreated,
    ClawbackOffset,
    CommissionCancelled,
    CommissionFrozen,
    CommissionRecord,
    CommissionRecorded,
    CommissionReduced,
    CommissionSettleable,
    CommissionSettled,
    MarkFulfilled,
    RecordCommission,
    RecordStatus,
    ReleaseFrozen,
    SettlementCommand,
    SettlementLedger,
    SettlementPolicy,
    SettlePayee,
)
from sirui.commission.sharing import (
    FeeBearer,
    Receiver,
    ReceiverRole,
    Share,
    SharingPlan,
    SharingPolicy,
    SharingReversal,
)
from sirui.commission.statement import (
    Bonus,
    Statement,
    StatementLevel,
    guide_statements,
    store_statements,
)
from sirui.commission.targets import (
    Sale,
    Target,
    TargetLevel,
    TargetResult,
    Tier,
    TieredCommission,
    TierLadder,
    TierMode,
    evaluate_targets,
    sales_of,
)

__all__ = [
    "TRANSITIONS",
    "Activity",
    "ApplyRefund",
    "Attributed",
    "AttributionPolicy",
    "AttributionSource",
    "Bonus",
    "BoostPeriod",
    "BoostResult",
    "ClawbackCreated",
    "ClawbackOffset",
    "CommissionCancelled",
    "CommissionFrozen",
    "CommissionLine",
    "CommissionPlan",
    "CommissionRecord",
    "CommissionRecorded",
    "CommissionReduced",
    "CommissionRule",
    "CommissionSettleable",
    "CommissionSettled",
    "Competition",
    "DistributionDepthError",
    "DistributionPlan",
    "DistributionRate",
    "ExcludedItems",
    "FeeBearer",
    "FixedPerItem",
    "InviteeFirstOrder",
    "LaunchBoost",
    "LineRefund",
    "MarkFulfilled",
    "Metric",
    "OverlappingBoostError",
    "PaidLine",
    "PaidOrder",
    "Precedence",
    "RateRule",
    "Receiver",
    "ReceiverRole",
    "RecordCommission",
    "RecordStatus",
    "ReferralDecision",
    "ReferralReward",
    "ReferralStatus",
    "Refund",
    "ReleaseFrozen",
    "RewardKind",
    "Role",
    "Sale",
    "SellerChain",
    "SettlePayee",
    "SettlementCommand",
    "SettlementLedger",
    "SettlementPolicy",
    "Share",
    "SharingPlan",
    "SharingPolicy",
    "SharingReversal",
    "Standing",
    "Statement",
    "StatementLevel",
    "SuperGuideShare",
    "Target",
    "TargetLevel",
    "TargetResult",
    "Tier",
    "TierLadder",
    "TierMode",
    "TieredCommission",
    "evaluate_targets",
    "guide_commission",
    "guide_statements",
    "order_commission",
    "sales_of",
    "store_statements",
]
