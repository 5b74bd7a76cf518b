"""Lottery events: what the host persists and acts on (credit, refund, notify)."""

from __future__ import annotations

import enum

import attrs

from sirui.campaigns.lottery._policy import Reward
from sirui.core.money import Money
from sirui.core.windows import DateTime
from sirui.rules.outcome import Event

__all__ = [
    "DrawLost",
    "EntriesGranted",
    "EntryExpired",
    "EntrySource",
    "OrderFreeRefundDue",
    "PointsSpentOnEntries",
    "PrizeClaimDue",
    "PrizeClaimExpired",
    "PrizeClaimed",
    "PrizeWon",
]


class EntrySource(enum.Enum):
    """Where an entry (抽奖机会) came from."""

    FREE_DAILY = "free_daily"
    ORDER = "order"
    POINTS = "points"
    SHARE = "share"
    REVIEW = "review"


@attrs.frozen(slots=True)
class EntriesGranted(Event):
    """Entries were granted; each lasts until ``expires_at``."""

    member_id: str
    entry_ids: tuple[str, ...]
    source: EntrySource
    expires_at: DateTime
    order_id: str | None = None


@attrs.frozen(slots=True)
class PointsSpentOnEntries(Event):
    """The host must debit ``points`` from the member's points ledger."""

    member_id: str
    points: int
    entries: int


@attrs.frozen(slots=True)
class EntryExpired(Event):
    """An unused entry lapsed."""

    member_id: str
    entry_id: str
    source: EntrySource
    expired_at: DateTime


@attrs.frozen(slots=True)
class PrizeWon(Event):
    """A draw won a prize (中奖): the host issues ``reward`` (coupon, points, cash, item)."""

    member_id: str
    draw_id: str
    entry_id: str
    prize_id: str
    reward: Reward
    guaranteed: bool = False


@attrs.frozen(slots=True)
class DrawLost(Event):
    """A draw landed on "thanks for taking part" (谢谢参与)."""

    member_id: str
    draw_id: str
    entry_id: str
    prize_id: str


@attrs.frozen(slots=True)
class OrderFreeRefundDue(Event):
    """The order that granted the winning entry is refunded (免单), capped by the prize."""

    member_id: str
    draw_id: str
    order_id: str
    amount: Money


@attrs.frozen(slots=True)
class PrizeClaimDue(Event):
    """The prize must be claimed in store before ``due_by`` (到店领取)."""

    member_id: str
    claim_id: str
    prize_id: str
    due_by: DateTime


@attrs.frozen(slots=True)
class PrizeClaimed(Event):
    """The member claimed the prize in store."""

    member_id: str
    claim_id: str
    prize_id: str
    store_id: str
    claimed_at: DateTime


@attrs.frozen(slots=True)
class PrizeClaimExpired(Event):
    """The claim period passed without a claim; the prize is forfeited."""

    member_id: str
    claim_id: str
    prize_id: str
    due_by: DateTime
