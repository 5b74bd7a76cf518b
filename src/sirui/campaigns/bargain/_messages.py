"""Commands the host sends to a bargain and the events it gets back.

Commands are imperatives carrying an ``id`` chosen by the host (a retry
repeats it); events are past tense and carry what the host persists or acts
on (show the cut, take the order at the price reached).
"""

from __future__ import annotations

import attrs

from sirui.campaigns._checks import is_member
from sirui.core.money import Money
from sirui.core.nouns import Member
from sirui.core.validators import non_empty_id
from sirui.core.windows import DateTime
from sirui.rules import Event

__all__ = [
    "BargainExpired",
    "BargainHelped",
    "BargainPurchased",
    "BargainReachedFloor",
    "BargainStarted",
    "BargainSucceeded",
    "BargainTick",
    "BuyBargain",
    "HelpBargain",
    "StartBargain",
]


@attrs.frozen(slots=True)
class StartBargain:
    """A member starts a bargain (发起砍价) on the campaign's item."""

    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)
    member: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class HelpBargain:
    """A friend helps (帮砍): cuts an amount drawn from the host's ``rng``."""

    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)
    helper: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class BuyBargain:
    """The starter buys at the price reached."""

    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class BargainTick:
    """The host's delay queue: expire bargain ``bargain_id`` at its deadline.

    A tick before the deadline is refused (``bargain.not_due``) and changes
    nothing; send it at the deadline `BargainStarted` reports.
    """

    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class BargainStarted(Event):
    bargain_id: str
    member_id: str
    price: Money
    deadline: DateTime


@attrs.frozen(slots=True)
class BargainHelped(Event):
    bargain_id: str
    helper_id: str
    cut: Money
    price: Money
    """The price after this cut."""


@attrs.frozen(slots=True)
class BargainReachedFloor(Event):
    bargain_id: str
    price: Money
    at: DateTime


@attrs.frozen(slots=True)
class BargainSucceeded(Event):
    """``helpers`` friends helped (``success_helpers``): the bargain succeeded at ``price``.

    The price may still be above the floor; the starter may buy at it. A
    bargain that reaches the floor succeeds with `BargainReachedFloor`.
    """

    bargain_id: str
    price: Money
    helpers: int
    at: DateTime


@attrs.frozen(slots=True)
class BargainPurchased(Event):
    bargain_id: str
    member_id: str
    price: Money
    at: DateTime


@attrs.frozen(slots=True)
class BargainExpired(Event):
    bargain_id: str
    price: Money
    at: DateTime
