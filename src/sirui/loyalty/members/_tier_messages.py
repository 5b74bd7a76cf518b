"""Commands and events of a member's standing (`sirui.loyalty.members.standing`).

Commands are what the host asks (``PinTier``, ...); events are what happened
(``TierChanged``, ...): small frozen values, plain data on the wire.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from sirui.core.validators import non_empty_str, opt_aware_datetime
from sirui.core.windows import DateTime
from sirui.loyalty.members.growth import GrantGrowth, RecordActivity, RecordOrder, RefundOrder
from sirui.rules.outcome import Event
from sirui.rules.reasons import Reason

__all__ = [
    "PinTier",
    "ReviewTier",
    "SettleTier",
    "StandingCommand",
    "TierChanged",
    "TierGraceEnded",
    "TierGraceStarted",
    "TierPinned",
    "TierReviewed",
    "TierUnpinned",
    "UnpinTier",
]


@attrs.frozen(slots=True)
class PinTier:
    """Operator pin (指定等级): fix the member's tier until unpinned or ``until``."""

    id: str = attrs.field(validator=non_empty_str)
    tier: str = attrs.field(validator=non_empty_str)
    until: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)


@attrs.frozen(slots=True)
class UnpinTier:
    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class ReviewTier:
    """Run the periodic review (定期保级评定); at most once per review period."""

    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class SettleTier:
    """Apply what time decided: an ended pin or grace period (from the host's delay queue)."""

    id: str = attrs.field(validator=non_empty_str)


StandingCommand: TypeAlias = (
    RecordOrder | RecordActivity | GrantGrowth | RefundOrder | PinTier | UnpinTier | ReviewTier
    | SettleTier
)


@attrs.frozen(slots=True)
class TierChanged(Event):
    """The member's tier changed (notify them with ``reason``)."""

    member_id: str
    from_tier: str
    to_tier: str
    reason: Reason
    at: DateTime


@attrs.frozen(slots=True)
class TierGraceStarted(Event):
    member_id: str
    tier: str
    until: DateTime
    reason: Reason


@attrs.frozen(slots=True)
class TierPinned(Event):
    member_id: str
    tier: str
    until: DateTime | None


@attrs.frozen(slots=True)
class TierUnpinned(Event):
    """The operator's pin ended (unpinned, or ``until`` passed); ``tier`` follows the metric."""

    member_id: str
    tier: str


@attrs.frozen(slots=True)
class TierGraceEnded(Event):
    """The grace period ended: ``kept`` if the member recovered, else they were downgraded."""

    member_id: str
    tier: str
    kept: bool


@attrs.frozen(slots=True)
class TierReviewed(Event):
    """The review of the period starting ``period`` ran; ``tier`` is the tier after it."""

    member_id: str
    period: DateTime
    metric: int
    tier: str
