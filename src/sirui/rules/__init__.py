"""The rules core: reasons, outcomes, conditions and item scopes.

Every mechanic speaks these: a `Condition` decides eligibility and says why
not; an `ItemScope` says which items a rule covers; a `Reason` explains any
decision in Chinese and English; an `Outcome` is what a state-machine command
returns.
"""

from sirui.rules.commandlog import (
    CommandLog,
    LoggedCommand,
    LogPruned,
    PruneLog,
    command_id,
    transition,
)
from sirui.rules.conditions import (
    AllOf,
    Always,
    AmountAtLeast,
    AnyOf,
    CategoryIn,
    ChannelIn,
    Condition,
    Facts,
    FulfillmentIs,
    HasTag,
    InMemberWeek,
    NewCustomer,
    Not,
    OnMemberDay,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    Verdict,
    WithinWindow,
)
from sirui.rules.diagrams import state_diagram
from sirui.rules.outcome import Accepted, Event, Outcome, Rejected, event_to_dict
from sirui.rules.pricing import (
    SHIPPING_LINE,
    Adjustment,
    NotApplied,
    PricedLine,
    PriceState,
    PricingStep,
    Stage,
    allocate_off,
)
from sirui.rules.reasons import CATALOGUE, Reason, ReasonCode, reason_code
from sirui.rules.scope import ItemScope

__all__ = [
    "CATALOGUE",
    "SHIPPING_LINE",
    "Accepted",
    "Adjustment",
    "AllOf",
    "Always",
    "AmountAtLeast",
    "AnyOf",
    "CategoryIn",
    "ChannelIn",
    "CommandLog",
    "Condition",
    "Event",
    "Facts",
    "FulfillmentIs",
    "HasTag",
    "InMemberWeek",
    "ItemScope",
    "LogPruned",
    "LoggedCommand",
    "NewCustomer",
    "Not",
    "NotApplied",
    "OnMemberDay",
    "Outcome",
    "PriceState",
    "PricedLine",
    "PricingStep",
    "PruneLog",
    "QuantityAtLeast",
    "Reason",
    "ReasonCode",
    "Rejected",
    "SkuIn",
    "Stage",
    "StoreIn",
    "TierIn",
    "Verdict",
    "WithinWindow",
    "allocate_off",
    "command_id",
    "event_to_dict",
    "reason_code",
    "state_diagram",
    "transition",
]
