"""积分商城: items exchanged for points plus cash, with stock, limits and opening times.

Theory of operation
-------------------
A `PointsMall` holds the catalogue (`MallItem` policies) and what has been
redeemed: units sold per item and per member. `Redeem` checks, in order,
that the item is open at ``now`` (its window and its daily slot), that stock
is left, that the member's limit allows the quantity, and that the member
has the points (``available_points``, the ledger's spendable balance), then
records the sale. The host then spends the points on the member's ledger
(``Spend(id, points, purpose="points_mall")``) and collects the cash part
(积分+现金) in the same transaction. `CancelRedemption` puts the units back
in stock and says how many points and how much cash to return.

The machine contract (`sirui.rules.commandlog`): accepted command ids live
in a `CommandLog`, so a replay returns the original events and changes
nothing, also after a save and reload; the same id with other content raises
`IdConflictError`; a refusal is not recorded; `PruneLog` forgets ids older
than ``MallCatalogue.log_retention_days``. Each redemption is kept for good
(`Redemption`, what a cancellation needs), and its status follows the table
`MALL_TRANSITIONS`, read before the business checks::

    (new)     --Redeem------------>  REDEEMED
    REDEEMED  --CancelRedemption-->  CANCELLED

A second cancellation is refused by the table (``points_mall.already_cancelled``),
and a `Redeem` retried after its id left the log finds its redemption and is
refused (``points_mall.redemption_exists``), never sold twice. A
cancellation naming no redemption, or an item not in the catalogue, is
misuse and raises. Opening times are read at ``now``; nothing changes with
time alone.

Invariants: units sold never exceed stock; a member never holds more than
the per-member limit (cancelled units free the limit again); replays return
the original events.
"""

from __future__ import annotations

import enum
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.registry import policy
from sirui.core.validators import int_at_least, non_empty_id, non_negative_int, opt_positive_int
from sirui.core.windows import DailySlot, DateTime, Window, aware
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "MALL_TRANSITIONS",
    "CancelRedemption",
    "MallCatalogue",
    "MallItem",
    "PointsMall",
    "Redeem",
    "Redeemed",
    "Redemption",
    "RedemptionCancelled",
    "RedemptionStatus",
]

NOT_OPEN = reason_code(
    "points_mall.not_open", zh="{item}当前未开放兑换", en="{item} is not open for exchange now"
)
SOLD_OUT = reason_code(
    "points_mall.sold_out", zh="{item}库存不足，剩余{left}", en="{item}: only {left} left"
)
LIMIT = reason_code(
    "points_mall.limit_reached",
    zh="{item}每人限兑{limit}件，已兑{held}件",
    en="{item}: at most {limit} per member; {held} already",
)
NOT_ENOUGH_POINTS = reason_code(
    "points_mall.insufficient_points",
    zh="兑换需要{points}积分，当前可用{available}",
    en="Needs {points} points; {available} available",
)
ALREADY_CANCELLED = reason_code(
    "points_mall.already_cancelled", zh="该兑换已取消", en="This redemption was already cancelled"
)
REDEMPTION_EXISTS = reason_code(
    "points_mall.redemption_exists",
    zh="兑换单{redemption}已存在（{status_zh}），新的兑换需要新的单号",
    en="Redemption {redemption} already exists ({status}); a new one needs a new id",
)


@policy("points_mall.item")
@attrs.frozen(slots=True)
class MallItem:
    """积分商品: ``points`` plus ``cash`` per unit, ``stock`` units, opening times."""

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    points: int = attrs.field(validator=int_at_least(0))
    stock: int = attrs.field(validator=int_at_least(0))
    cash: Money = Money.ZERO
    per_member_limit: int | None = attrs.field(default=None, validator=opt_positive_int)
    window: Window | None = None
    daily: DailySlot | None = None
    """Opens every day in this slot only (每日10点开抢)."""
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.cash, Money) or self.cash.minor < 0:
            raise invalid("cash", self.cash, "must be Money >= 0")
        if not self.points and not self.cash:
            raise invalid("points", 0, "an item needs a price in points or cash")

    def is_open(self, now: DateTime) -> bool:
        now = aware(now)
        if self.window is not None and not self.window.contains(now):
            return False
        return self.daily is None or self.daily.contains(now)


def _items(value: Any) -> tuple[MallItem, ...]:
    return tuple(value)


@policy("points_mall.catalogue")
@attrs.frozen(slots=True)
class MallCatalogue:
    """积分商城: the items on offer, and how long the mall remembers command ids."""

    items: tuple[MallItem, ...] = attrs.field(default=(), converter=_items)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days the mall remembers accepted command ids (`PruneLog`); retries must come sooner."""

    def __attrs_post_init__(self) -> None:
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise invalid("items", ids, "item ids must be unique")

    def item(self, item_id: str) -> MallItem:
        for i in self.items:
            if i.id == item_id:
                return i
        raise InvalidCommandError(f"item_id={item_id!r}: not in the points mall catalogue")


@attrs.frozen(slots=True)
class Redeem:
    """兑换 ``quantity`` of ``item_id``; ``available_points`` is the member's balance."""

    id: str = attrs.field(validator=non_empty_id)
    member_id: str = attrs.field(validator=non_empty_id)
    item_id: str = attrs.field(validator=non_empty_id)
    available_points: int = attrs.field(validator=int_at_least(0))
    quantity: int = attrs.field(default=1, validator=int_at_least(1))


@attrs.frozen(slots=True)
class CancelRedemption:
    """Cancel redemption ``redemption_id``: restock, give back its points and cash."""

    id: str = attrs.field(validator=non_empty_id)
    redemption_id: str = attrs.field(validator=non_empty_id)


MallCommand: TypeAlias = Redeem | CancelRedemption


@attrs.frozen(slots=True)
class Redeemed(Event):
    """Spend ``points`` and collect ``cash`` from the member, then ship the item."""

    txn_id: str
    member_id: str
    item_id: str
    quantity: int
    points: int
    cash: Money


@attrs.frozen(slots=True)
class RedemptionCancelled(Event):
    """Return ``points`` (ledger `ReturnSpent`) and refund ``cash``."""

    txn_id: str
    redemption_id: str
    member_id: str
    item_id: str
    quantity: int
    points: int
    cash: Money


class RedemptionStatus(enum.Enum):
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"


#: ``(status, command type) -> status``: for `Redeem` the status of the redemption its
#: own id names (None: none yet); for `CancelRedemption`, of the one it cancels.
MALL_TRANSITIONS: Final[dict[tuple[RedemptionStatus | None, type[Any]], RedemptionStatus]] = {
    (None, Redeem): RedemptionStatus.REDEEMED,
    (RedemptionStatus.REDEEMED, CancelRedemption): RedemptionStatus.CANCELLED,
}


@attrs.frozen(slots=True)
class Redemption:
    """One redemption: who took how many of what, for how many points and how much cash."""

    status: RedemptionStatus
    member_id: str
    item_id: str
    quantity: int
    points: int
    cash: Money


def _counts() -> PMap[str, int]:
    return PMap()


def _by_member() -> PMap[tuple[str, str], int]:
    return PMap()


def _redemptions() -> PMap[str, Redemption]:
    return PMap()


@attrs.frozen(slots=True)
class PointsMall:
    """The points mall's sales state. Build with `PointsMall.open`."""

    catalogue: MallCatalogue
    sold: PMap[str, int] = attrs.field(factory=_counts, repr=False)
    """Units sold per item id (cancelled ones not counted)."""
    by_member: PMap[tuple[str, str], int] = attrs.field(factory=_by_member, repr=False)
    """Units held per ``(item id, member id)`` (cancelled ones not counted)."""
    redemptions: PMap[str, Redemption] = attrs.field(factory=_redemptions, repr=False)
    """Every redemption by id, kept for cancellations (never pruned)."""
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    @classmethod
    def open(cls, catalogue: MallCatalogue) -> PointsMall:
        return cls(catalogue)

    def left(self, item_id: str) -> int:
        return self.catalogue.item(item_id).stock - (self.sold.get(item_id, 0) or 0)

    def held(self, item_id: str, member_id: str) -> int:
        return self.by_member.get((item_id, member_id), 0) or 0

    def handle(
        self, command: MallCommand | PruneLog, *, now: DateTime
    ) -> Accepted[PointsMall] | Rejected[PointsMall]:
        now = aware(now)
        if not isinstance(command, Redeem | CancelRedemption | PruneLog):
            raise InvalidCommandError(
                f"command={command!r}: not a points mall command; use Redeem, "
                "CancelRedemption or PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.catalogue.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        rid = command.id if isinstance(command, Redeem) else command.redemption_id
        known = self.redemptions.get(rid)
        if known is None and isinstance(command, CancelRedemption):
            raise InvalidCommandError(f"redemption_id={rid!r}: no such redemption")
        status = None if known is None else known.status
        target = transition(MALL_TRANSITIONS, status, command)
        if target is None:
            return Rejected(_miss(rid, status, command), self)
        if isinstance(command, Redeem):
            result = self._redeem(command, now, target)
        else:
            assert known is not None
            result = self._cancel(command, known, target)
        if isinstance(result, Rejected):
            return result
        new, events = result
        return Accepted(attrs.evolve(new, log=self.log.record(command, events, now)), events)

    def _counted(self, r: Redemption, delta: int, rid: str) -> PointsMall:
        item, member = r.item_id, r.member_id
        return attrs.evolve(
            self,
            sold=self.sold.set(item, (self.sold.get(item, 0) or 0) + delta),
            by_member=self.by_member.set((item, member), self.held(item, member) + delta),
            redemptions=self.redemptions.set(rid, r),
        )

    def _redeem(
        self, c: Redeem, now: DateTime, target: RedemptionStatus
    ) -> tuple[PointsMall, tuple[Any, ...]] | Rejected[PointsMall]:
        item = self.catalogue.item(c.item_id)
        label = item.name or item.id
        if not item.is_open(now):
            return Rejected(NOT_OPEN(item=label), self)
        left = self.left(item.id)
        if c.quantity > left:
            return Rejected(SOLD_OUT(item=label, left=left), self)
        held = self.held(item.id, c.member_id)
        if item.per_member_limit is not None and held + c.quantity > item.per_member_limit:
            return Rejected(LIMIT(item=label, limit=item.per_member_limit, held=held), self)
        points = item.points * c.quantity
        if points > c.available_points:
            return Rejected(NOT_ENOUGH_POINTS(points=points, available=c.available_points), self)
        r = Redemption(target, c.member_id, item.id, c.quantity, points, item.cash * c.quantity)
        ev = Redeemed(c.id, c.member_id, item.id, c.quantity, points, r.cash)
        return self._counted(r, c.quantity, c.id), (ev,)

    def _cancel(
        self, c: CancelRedemption, r: Redemption, target: RedemptionStatus
    ) -> tuple[PointsMall, tuple[Any, ...]]:
        ev = RedemptionCancelled(
            c.id, c.redemption_id, r.member_id, r.item_id, r.quantity, r.points, r.cash
        )
        return self._counted(attrs.evolve(r, status=target), -r.quantity, c.redemption_id), (ev,)


def _miss(rid: str, status: RedemptionStatus | None, command: MallCommand) -> Reason:
    """The reason the table has no row for ``command`` on redemption ``rid``."""
    assert status is not None  # Redeem has a row from None
    if isinstance(command, CancelRedemption):
        return ALREADY_CANCELLED()
    shown = "已兑换" if status is RedemptionStatus.REDEEMED else "已取消"
    return REDEMPTION_EXISTS(redemption=rid, status=status.value, status_zh=shown)
