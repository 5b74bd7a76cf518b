"""Commands a subscription plan takes and the events it reports.

Commands are imperatives the host sends (the member's requests, and the
time-driven steps its scheduler sends: `MarkDeliveryDue` at a delivery's
cutoff, `ResumePlan` at the end of a pause); events are what happened, in
the past tense, for the host to persist and act on. The stock events are
per delivery: `DeliveryScheduled` (reserve ``quantity`` of ``sku`` for
``date``), `DeliveryMoved` (move that reservation), `DeliveryRefunded`
(release it), `DeliveryDue` (it is locked: pick and send it).
"""

from __future__ import annotations

import datetime as dt

import attrs

from sirui.campaigns.subscription._policy import SubscriptionOffer, as_day
from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.validators import non_empty_id, opt_positive_int, positive_int
from sirui.rules.outcome import Event

__all__ = [
    "DeliveryDue",
    "DeliveryMade",
    "DeliveryMoved",
    "DeliveryPostponed",
    "DeliveryRefunded",
    "DeliveryScheduled",
    "DeliverySkipped",
    "MarkDelivered",
    "MarkDeliveryDue",
    "PausePlan",
    "PlanEnded",
    "PlanPaused",
    "PlanRefunded",
    "PlanResumed",
    "PlanStarted",
    "PostponeDelivery",
    "RefundDeliveries",
    "ResumePlan",
    "SkipDelivery",
    "StartPlan",
]


def _day(value: object) -> dt.date:
    return as_day(value)


def _money(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money):
        raise invalid(attribute.name, value, "must be Money", "e.g. Money.of('324')")


# -- commands ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class StartPlan:
    """The member bought ``offer`` and paid ``paid``; deliveries start on ``first_date``.

    Handled by `start_plan` (there is no plan before it). With chosen
    weekdays the first delivery is the first chosen weekday on or after
    ``first_date``.
    """

    id: str = attrs.field(validator=non_empty_id)
    plan_id: str = attrs.field(validator=non_empty_id)
    member_id: str = attrs.field(validator=non_empty_id)
    offer: SubscriptionOffer = attrs.field()
    first_date: dt.date = attrs.field(converter=_day)
    paid: Money = attrs.field(validator=_money)


@attrs.frozen(slots=True)
class SkipDelivery:
    """Skip delivery ``number`` (跳过本期): it moves to the next slot, later ones along (顺延)."""

    id: str = attrs.field(validator=non_empty_id)
    number: int = attrs.field(validator=positive_int)


@attrs.frozen(slots=True)
class PostponeDelivery:
    """Postpone delivery ``number`` to the later day ``to`` (延期配送); later ones keep order."""

    id: str = attrs.field(validator=non_empty_id)
    number: int = attrs.field(validator=positive_int)
    to: dt.date = attrs.field(converter=_day)


@attrs.frozen(slots=True)
class PausePlan:
    """Pause deliveries for ``days`` days from ``start`` (暂停配送); they resume after."""

    id: str = attrs.field(validator=non_empty_id)
    start: dt.date = attrs.field(converter=_day)
    days: int = attrs.field(validator=positive_int)


@attrs.frozen(slots=True)
class ResumePlan:
    """End a pause, on or after its last day (the host's scheduler sends it)."""

    id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class MarkDeliveryDue:
    """Delivery ``number`` reached its cutoff: lock it and send it (截单备货)."""

    id: str = attrs.field(validator=non_empty_id)
    number: int = attrs.field(validator=positive_int)


@attrs.frozen(slots=True)
class MarkDelivered:
    """Delivery ``number`` reached the member (已送达)."""

    id: str = attrs.field(validator=non_empty_id)
    number: int = attrs.field(validator=positive_int)


@attrs.frozen(slots=True)
class RefundDeliveries:
    """Refund the last ``count`` changeable deliveries; None: all of them (退剩余期数)."""

    id: str = attrs.field(validator=non_empty_id)
    count: int | None = attrs.field(default=None, validator=opt_positive_int)


# -- events -----------------------------------------------------------------------------


@attrs.frozen(slots=True)
class PlanStarted(Event):
    plan_id: str
    member_id: str
    offer_id: str
    sku: str
    deliveries: int
    paid: Money
    first_date: dt.date
    last_date: dt.date


@attrs.frozen(slots=True)
class DeliveryScheduled(Event):
    """Reserve ``quantity`` of ``sku`` for ``date``."""

    plan_id: str
    number: int
    date: dt.date
    sku: str
    quantity: int
    price: Money


@attrs.frozen(slots=True)
class DeliveryMoved(Event):
    """Move the stock reserved for delivery ``number`` from ``from_date`` to ``to_date``."""

    plan_id: str
    number: int
    from_date: dt.date
    to_date: dt.date


@attrs.frozen(slots=True)
class DeliverySkipped(Event):
    plan_id: str
    number: int
    date: dt.date
    """The day given up."""
    skips_used: int


@attrs.frozen(slots=True)
class DeliveryPostponed(Event):
    plan_id: str
    number: int
    from_date: dt.date
    to_date: dt.date


@attrs.frozen(slots=True)
class PlanPaused(Event):
    plan_id: str
    start: dt.date
    until: dt.date
    """The first day after the pause."""
    days: int
    pause_days_used: int


@attrs.frozen(slots=True)
class PlanResumed(Event):
    plan_id: str
    start: dt.date
    until: dt.date


@attrs.frozen(slots=True)
class DeliveryDue(Event):
    """Delivery ``number`` is locked: pick ``quantity`` of ``sku`` for ``date``."""

    plan_id: str
    number: int
    date: dt.date
    sku: str
    quantity: int


@attrs.frozen(slots=True)
class DeliveryMade(Event):
    plan_id: str
    number: int
    date: dt.date
    price: Money


@attrs.frozen(slots=True)
class DeliveryRefunded(Event):
    """Release the stock reserved for delivery ``number``; ``price`` goes back."""

    plan_id: str
    number: int
    date: dt.date
    price: Money


@attrs.frozen(slots=True)
class PlanRefunded(Event):
    plan_id: str
    numbers: tuple[int, ...]
    amount: Money
    """What goes back to the member: the refunded deliveries' allocated prices."""


@attrs.frozen(slots=True)
class PlanEnded(Event):
    """No delivery is left open: every one was delivered or refunded."""

    plan_id: str
    delivered: int
    refunded: int
    delivered_amount: Money
    refunded_amount: Money
