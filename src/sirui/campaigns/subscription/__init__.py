"""Subscription purchase (周期购): a plan of N deliveries paid at once, delivered per period.

"One month of milk ordered at once": the member buys a `SubscriptionOffer`
(30 deliveries of 12 yuan, every morning, 9折) and pays 324 yuan up front;
the plan delivers on the store's calendar and the member may skip, postpone
or pause deliveries until each one's cutoff, and have the undelivered rest
refunded to the fen.

The mechanic in three parts:

* **Offer** (`SubscriptionOffer`, `Cadence`): what is sold and how often
  (daily, weekly, monthly, every N of those, or chosen weekdays), its list
  price per delivery and the plan's discount (a rate or a fixed plan
  price); `SubscriptionOffer.quote` allocates the plan's price to the
  deliveries with the largest-remainder method, so every split sums exactly.
* **Rules** (`SubscriptionPolicy`): the store's zone and delivery time,
  the cutoff before each delivery, and the limits on skips, pause days and
  postpones.
* **Plan** (`SubscriptionPlan`, started by `start_plan`): the state
  machine. Its tables, `PLAN_TRANSITIONS` and `DELIVERY_TRANSITIONS`, decide
  which commands each status takes; skips, postpones and pauses re-date the
  deliveries (dates always strictly increase, the number of deliveries never
  changes); refunds return the allocated prices of the undelivered
  deliveries; the events tell the host which stock to reserve, move, release
  and send, per delivery.

Invariants: the deliveries' prices sum to what was paid; delivered +
refunded + still open == paid at all times (so delivered + refunded == paid
once the plan has ended); dates of the deliveries not refunded strictly
increase; a plan never holds more deliveries than its offer. See
``docs/mechanics/subscription.md``.
"""

from sirui.campaigns.subscription._messages import (
    DeliveryDue,
    DeliveryMade,
    DeliveryMoved,
    DeliveryPostponed,
    DeliveryRefunded,
    DeliveryScheduled,
    DeliverySkipped,
    MarkDelivered,
    MarkDeliveryDue,
    PausePlan,
    PlanEnded,
    PlanPaused,
    PlanRefunded,
    PlanResumed,
    PlanStarted,
    PostponeDelivery,
    RefundDeliveries,
    ResumePlan,
    SkipDelivery,
    StartPlan,
)
from sirui.campaigns.subscription._plan import (
    DELIVERY_TRANSITIONS,
    PLAN_TRANSITIONS,
    Delivery,
    DeliveryStatus,
    PlanCommand,
    PlanStatus,
    SubscriptionPlan,
    start_plan,
)
from sirui.campaigns.subscription._policy import (
    MAX_DELIVERIES,
    Cadence,
    Frequency,
    SubscriptionOffer,
    SubscriptionPolicy,
    SubscriptionQuote,
)
from sirui.campaigns.subscription._reasons import SUBSCRIPTION_REASONS

__all__ = [
    "DELIVERY_TRANSITIONS",
    "MAX_DELIVERIES",
    "PLAN_TRANSITIONS",
    "SUBSCRIPTION_REASONS",
    "Cadence",
    "Delivery",
    "DeliveryDue",
    "DeliveryMade",
    "DeliveryMoved",
    "DeliveryPostponed",
    "DeliveryRefunded",
    "DeliveryScheduled",
    "DeliverySkipped",
    "DeliveryStatus",
    "Frequency",
    "MarkDelivered",
    "MarkDeliveryDue",
    "PausePlan",
    "PlanCommand",
    "PlanEnded",
    "PlanPaused",
    "PlanRefunded",
    "PlanResumed",
    "PlanStarted",
    "PlanStatus",
    "PostponeDelivery",
    "RefundDeliveries",
    "ResumePlan",
    "SkipDelivery",
    "StartPlan",
    "SubscriptionOffer",
    "SubscriptionPlan",
    "SubscriptionPolicy",
    "SubscriptionQuote",
    "start_plan",
]
