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

Invariants: units sold never exceed stock; a member never holds more than
the per-member limit (cancelled units free the limit again); replays return
the original events.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from sirui.core.errors import IdConflictError, InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import int_at_least, opt_positive_int
from sirui.core.windows import DailySlot, DateTime, Window, aware
from sirui.core.persistent import PMap
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import reason_code

__all__ = [
    "CancelRedemption",
    "MallCatalogue",
    "MallItem",
    "PointsMall",
    "Redeem",
    "Redeemed",
    "RedemptionCancelled",
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
    items: tuple[MallItem, ...] = attrs.field(default=(), converter=_items)

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

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    member_id: str
    item_id: str
    available_points: int = attrs.field(validator=int_at_least(0))
    quantity: int = attrs.field(default=1, validator=int_at_least(1))


@attrs.frozen(slots=True)
class CancelRedemption:
    id: str = attrs.field(validator=attrs.validators.min_len(1))
    redemption_id: str


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


def _records() -> PMap[str, tuple[Any, tuple[Any, ...]]]:
    return PMap()


def _counts() -> PMap[Any, int]:
    return PMap()


@attrs.frozen(slots=True)
class PointsMall:
    """The points mall's sales state. Build with `PointsMall.open`."""

    catalogue: MallCatalogue
    sold: PMap[Any, int] = attrs.field(factory=_counts, repr=False)
    """Units sold per item id and per ``(item id, member id)``."""
    records: PMap[str, tuple[Any, tuple[Any, ...]]] = attrs.field(factory=_records, repr=False)

    @classmethod
    def open(cls, catalogue: MallCatalogue) -> PointsMall:
        return cls(catalogue)

    def left(self, item_id: str) -> int:
        return self.catalogue.item(item_id).stock - (self.sold.get(item_id, 0) or 0)

    def held(self, item_id: str, member_id: str) -> int:
        return self.sold.get((item_id, member_id), 0) or 0

    def handle(
        self, command: MallCommand, *, now: DateTime
    ) -> Accepted[PointsMall] | Rejected[PointsMall]:
        now = aware(now)
        known = self.records.get(command.id)
        if known is not None:
            if known[0] != command:
                raise IdConflictError(f"id={command.id!r}: already used by {known[0]!r}")
            return Accepted(self, known[1])
        if isinstance(command, Redeem):
            result = self._redeem(command, now)
        elif isinstance(command, CancelRedemption):
            result = self._cancel(command)
        else:
            raise InvalidCommandError(f"command={command!r}: not a points mall command")
        if isinstance(result, Rejected):
            return result
        new, events = result
        return Accepted(
            attrs.evolve(new, records=new.records.set(command.id, (command, events))), events
        )

    def _count(self, item_id: str, member_id: str, delta: int) -> PMap[Any, int]:
        sold = self.sold.set(item_id, (self.sold.get(item_id, 0) or 0) + delta)
        return sold.set((item_id, member_id), self.held(item_id, member_id) + delta)

    def _redeem(
        self, c: Redeem, now: DateTime
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
        new = attrs.evolve(self, sold=self._count(item.id, c.member_id, c.quantity))
        ev = Redeemed(c.id, c.member_id, item.id, c.quantity, points, item.cash * c.quantity)
        return new, (ev,)

    def _cancel(self, c: CancelRedemption) -> tuple[PointsMall, tuple[Any, ...]] | Rejected[Any]:
        known = self.records.get(c.redemption_id)
        if known is None or not isinstance(known[0], Redeem):
            raise InvalidCommandError(f"redemption_id={c.redemption_id!r}: no such redemption")
        key = ("cancelled", c.redemption_id)
        if key in self.sold:
            return Rejected(ALREADY_CANCELLED(), self)
        r: Redeemed = known[1][0]
        sold = self._count(r.item_id, r.member_id, -r.quantity).set(key, 1)
        ev = RedemptionCancelled(
            c.id, c.redemption_id, r.member_id, r.item_id, r.quantity, r.points, r.cash
        )
        return attrs.evolve(self, sold=sold), (ev,)
