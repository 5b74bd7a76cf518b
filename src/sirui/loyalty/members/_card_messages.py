"""Commands and events of a paid card (`sirui.loyalty.members.cards`).

Commands are what the host asks (``PurchaseCard``, ...); events are what
happened (``CardPurchased``, ...): small frozen values, plain data on the wire.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from sirui.core.money import Money
from sirui.core.validators import non_empty_str, non_negative_money, opt_non_negative_money
from sirui.core.windows import DateTime, Window
from sirui.rules.outcome import Event
from sirui.rules.reasons import Reason

__all__ = [
    "CardBenefitUsed",
    "CardCommand",
    "CardExpired",
    "CardPurchased",
    "CardRefunded",
    "CardRenewed",
    "CardTrialStarted",
    "ClaimCouponPack",
    "CouponPackGranted",
    "ExpireCard",
    "PurchaseCard",
    "RecordBenefitUse",
    "RefundCard",
    "RenewCard",
    "StartTrial",
]


# -- commands ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class PurchaseCard:
    """Buy the card (开卡); ``price`` defaults to the plan's price."""

    id: str = attrs.field(validator=non_empty_str)
    price: Money | None = attrs.field(default=None, validator=opt_non_negative_money)


@attrs.frozen(slots=True)
class RenewCard:
    """Renew for one more period (续费): from the current end, or from now if lapsed."""

    id: str = attrs.field(validator=non_empty_str)
    price: Money | None = attrs.field(default=None, validator=opt_non_negative_money)


@attrs.frozen(slots=True)
class StartTrial:
    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class RecordBenefitUse:
    """A benefit of the card was used, worth ``value`` (e.g. the free shipping saved)."""

    id: str = attrs.field(validator=non_empty_str)
    value: Money = attrs.field(validator=non_negative_money)


@attrs.frozen(slots=True)
class ClaimCouponPack:
    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class RefundCard:
    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class ExpireCard:
    """Record that the card's end has passed (sent by the host's delay queue at ``ends_at``)."""

    id: str = attrs.field(validator=non_empty_str)


CardCommand: TypeAlias = (
    PurchaseCard | RenewCard | StartTrial | RecordBenefitUse | ClaimCouponPack | RefundCard
    | ExpireCard
)

# -- events -----------------------------------------------------------------------------


@attrs.frozen(slots=True)
class CardPurchased(Event):
    card_id: str
    member_id: str
    plan: str
    price: Money
    starts_at: DateTime
    ends_at: DateTime


@attrs.frozen(slots=True)
class CardRenewed(Event):
    card_id: str
    member_id: str
    price: Money
    ends_at: DateTime


@attrs.frozen(slots=True)
class CardTrialStarted(Event):
    card_id: str
    member_id: str
    ends_at: DateTime


@attrs.frozen(slots=True)
class CardBenefitUsed(Event):
    card_id: str
    value: Money
    used_total: Money


@attrs.frozen(slots=True)
class CouponPackGranted(Event):
    """Issue coupon template ``template`` to the member for ``period`` (index in the run)."""

    card_id: str
    member_id: str
    template: str
    period: int
    window: Window


@attrs.frozen(slots=True)
class CardRefunded(Event):
    card_id: str
    member_id: str
    amount: Money
    reason: Reason


@attrs.frozen(slots=True)
class CardExpired(Event):
    card_id: str
    member_id: str
    at: DateTime
