"""积分流水: the transactions a points ledger takes, and the events it emits.

Every transaction has an ``id`` chosen by the host (an order id plus a
suffix, a sign-in id, an operator ticket): the ledger's command log records
it, so a replay returns the original events and the same id with other
content is a conflict. Events are named in the past tense and carry the
transaction id, so a host's event store can de-duplicate them too.

Earns, spends and adjustments stay on the ledger as `LedgerTxn` records
(what later refunds reverse), with the statuses of `TXN_TRANSITIONS`.
"""

from __future__ import annotations

import enum
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import invalid
from sirui.core.validators import non_empty_str, positive_int
from sirui.core.windows import DateTime
from sirui.rules.outcome import Event

__all__ = [
    "TXN_TRANSITIONS",
    "Adjust",
    "Consumption",
    "Earn",
    "LedgerCommand",
    "LedgerTxn",
    "PointsAdjusted",
    "PointsEarned",
    "PointsExpired",
    "PointsReturned",
    "PointsSpent",
    "PointsTakenBack",
    "ReturnSpent",
    "Spend",
    "Sweep",
    "TakeBack",
    "TxnStatus",
]


# -- commands ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Earn:
    """Credit points. With ``order_id`` they are pending for ``pending_days``."""

    id: str = attrs.field(validator=non_empty_str)
    points: int = attrs.field(validator=positive_int)
    source: str = "earn"
    """Why the points were earned: ``"order"``, ``"signin"``, ``"review"``, ``"task"``..."""
    order_id: str | None = None
    hold: bool | None = None
    """Force pending (True) or immediate (False); None: pending iff ``order_id``."""


@attrs.frozen(slots=True)
class Spend:
    """Use points (checkout deduction, points mall, make-up sign-in, lottery)."""

    id: str = attrs.field(validator=non_empty_str)
    points: int = attrs.field(validator=positive_int)
    purpose: str = "deduction"
    order_id: str | None = None


@attrs.frozen(slots=True)
class Adjust:
    """A manual correction by an operator: positive credits, negative debits."""

    id: str = attrs.field(validator=non_empty_str)
    points: int
    note: str = ""

    def __attrs_post_init__(self) -> None:
        if type(self.points) is not int or self.points == 0:
            raise invalid("points", self.points, "must be a non-zero int")


@attrs.frozen(slots=True)
class TakeBack:
    """Reverse (part of) an earn: the refund of lines that earned points."""

    id: str = attrs.field(validator=non_empty_str)
    earn_id: str = attrs.field(validator=non_empty_str)
    points: int = attrs.field(validator=positive_int)


@attrs.frozen(slots=True)
class ReturnSpent:
    """Give back (part of) what a spend consumed: the refund of lines paid with points."""

    id: str = attrs.field(validator=non_empty_str)
    spend_id: str = attrs.field(validator=non_empty_str)
    points: int = attrs.field(validator=positive_int)


@attrs.frozen(slots=True)
class Sweep:
    """Remove expired buckets and emit `PointsExpired` for each (optional)."""

    id: str = attrs.field(validator=non_empty_str)


LedgerCommand: TypeAlias = Earn | Spend | Adjust | TakeBack | ReturnSpent | Sweep


# -- events -----------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Consumption:
    """Points a spend took from one bucket."""

    bucket_id: str
    points: int
    expires_at: DateTime | None
    earned_at: DateTime


@attrs.frozen(slots=True)
class PointsEarned(Event):
    txn_id: str
    member_id: str
    points: int
    settled_debt: int
    available_at: DateTime
    expires_at: DateTime | None
    source: str
    order_id: str | None


@attrs.frozen(slots=True)
class PointsSpent(Event):
    txn_id: str
    member_id: str
    points: int
    consumed: tuple[Consumption, ...]
    purpose: str
    order_id: str | None


@attrs.frozen(slots=True)
class PointsAdjusted(Event):
    txn_id: str
    member_id: str
    points: int
    note: str


@attrs.frozen(slots=True)
class PointsTakenBack(Event):
    txn_id: str
    member_id: str
    earn_id: str
    points: int
    taken: int
    debt_added: int


@attrs.frozen(slots=True)
class PointsReturned(Event):
    txn_id: str
    member_id: str
    spend_id: str
    points: int
    restored: int
    forfeited: int
    settled_debt: int


@attrs.frozen(slots=True)
class PointsExpired(Event):
    txn_id: str
    member_id: str
    bucket_id: str
    points: int
    expires_at: DateTime | None


# -- transactions on the ledger ---------------------------------------------------------


class TxnStatus(enum.Enum):
    """Where an earn, spend or adjustment is in its life (what a refund may still do)."""

    EARNED = "earned"
    TAKEN_BACK = "taken_back"
    """Partly or wholly taken back (`TakeBack`); ``reversed`` says how much."""
    SPENT = "spent"
    RETURNED = "returned"
    """Partly or wholly given back (`ReturnSpent`); ``reversed`` says how much."""
    ADJUSTED = "adjusted"
    """An operator's correction: never reversed, kept so its id is never reused."""


#: ``(status, command type) -> status``: for a creating command the status of the
#: transaction its own id names (None: none yet); for a reversal, of the one it reverses.
TXN_TRANSITIONS: Final[dict[tuple[TxnStatus | None, type[Any]], TxnStatus]] = {
    (None, Earn): TxnStatus.EARNED,
    (None, Spend): TxnStatus.SPENT,
    (None, Adjust): TxnStatus.ADJUSTED,
    (TxnStatus.EARNED, TakeBack): TxnStatus.TAKEN_BACK,
    (TxnStatus.TAKEN_BACK, TakeBack): TxnStatus.TAKEN_BACK,
    (TxnStatus.SPENT, ReturnSpent): TxnStatus.RETURNED,
    (TxnStatus.RETURNED, ReturnSpent): TxnStatus.RETURNED,
}

@attrs.frozen(slots=True)
class LedgerTxn:
    """An earn, spend or adjustment as later refunds need it.

    ``points`` it moved, ``reversed`` of them taken back or returned so far,
    the ``bucket_key`` an earn credited and what a spend ``consumed``.
    """

    status: TxnStatus
    points: int
    reversed: int = 0
    bucket_key: tuple[int, int] | None = None
    consumed: tuple[Consumption, ...] = ()
