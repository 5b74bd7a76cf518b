"""积分退还: what a refund does to the points an order earned and spent.

An order moves points twice: it *earns* some (split over its lines by
`quote_earning`) and it may *spend* some (split over its lines by
`PointsDeductionStep`). `OrderPoints` records both splits, per line, with
each line's quantity. Refunding some quantity of some lines takes back the
earned share and returns the spent share of exactly those units.

Shares are cumulative and rounded down ("to the point"): after refunding
``k`` of ``n`` units of a line that earned ``E``, ``E * k // n`` points have
been taken back in total, so refunding the rest of the line, in any number
of steps, takes back exactly ``E``. A full refund therefore reverses the
whole order, and the ledger returns to its state before the order (apart
from points that expired meanwhile).

The plan yields ledger commands (`TakeBack`, `ReturnSpent`) with ids derived
from the refund id, so replaying the refund replays the same commands.
What happens when the earned points are already spent, and which expiry
returned points get, is the ledger's `PointsRefundPolicy`.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.loyalty.points.ledger import PointsRefundPolicy, ReturnedExpiry, Shortfall
from sirui.loyalty.points.transactions import ReturnSpent, TakeBack

__all__ = [
    "LinePoints",
    "OrderPoints",
    "PointsRefundPlan",
    "PointsRefundPolicy",
    "ReturnedExpiry",
    "Shortfall",
]


@attrs.frozen(slots=True)
class LinePoints:
    """One order line's points: units bought, earned and spent shares, units refunded."""

    line_id: str
    quantity: int
    earned: int = 0
    spent: int = 0
    refunded: int = 0

    def __attrs_post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity < 1:
            raise invalid("quantity", self.quantity, "must be an int >= 1")
        for name in ("earned", "spent", "refunded"):
            v = getattr(self, name)
            if type(v) is not int or v < 0:
                raise invalid(name, v, "must be an int >= 0")
        if self.refunded > self.quantity:
            raise invalid("refunded", self.refunded, f"exceeds the quantity {self.quantity}")

    def _share(self, points: int, units: int) -> int:
        return points * units // self.quantity


@attrs.frozen(slots=True)
class PointsRefundPlan:
    """What one refund does to points, and the ledger commands that do it."""

    order: OrderPoints
    """The order's record after this refund (store it for the next one)."""
    take_back: int
    return_spent: int
    by_line: tuple[tuple[str, int, int], ...]
    """``(line_id, taken back, returned)`` per refunded line."""
    commands: tuple[TakeBack | ReturnSpent, ...]


@attrs.frozen(slots=True)
class OrderPoints:
    """The points one order earned and spent, per line (订单积分明细).

    >>> rec = OrderPoints.of("o1", {"L1": 2, "L2": 1}, earn_id="o1:earn",
    ...                      earned={"L1": 200, "L2": 99})
    >>> rec.refund("rf1", {"L1": 1}).take_back
    100
    """

    order_id: str
    lines: tuple[LinePoints, ...]
    earn_id: str | None = None
    spend_id: str | None = None

    @classmethod
    def of(
        cls,
        order_id: str,
        quantities: Mapping[str, int],
        *,
        earn_id: str | None = None,
        earned: Mapping[str, int] | None = None,
        spend_id: str | None = None,
        spent: Mapping[str, int] | None = None,
    ) -> OrderPoints:
        """Build from line quantities and the per-line splits (`EarnQuote.by_line`,
        the ``points_used_by_line`` extra of the priced state)."""
        earned, spent = dict(earned or {}), dict(spent or {})
        for name, split in (("earned", earned), ("spent", spent)):
            unknown = set(split) - set(quantities)
            if unknown:
                raise invalid(name, sorted(unknown), "names lines that are not in the order")
        return cls(
            order_id,
            tuple(
                LinePoints(lid, q, earned.get(lid, 0), spent.get(lid, 0))
                for lid, q in sorted(quantities.items())
            ),
            earn_id,
            spend_id,
        )

    def refund(self, refund_id: str, units: Mapping[str, int]) -> PointsRefundPlan:
        """Refund ``units[line_id]`` more units of each line named."""
        lines = {ln.line_id: ln for ln in self.lines}
        new = dict(lines)
        by_line = []
        take = give = 0
        for lid, n in sorted(units.items()):
            ln = lines.get(lid)
            if ln is None:
                raise InvalidValueError(f"units[{lid!r}]: no such line in order {self.order_id!r}")
            if type(n) is not int or n < 1 or ln.refunded + n > ln.quantity:
                raise invalid(
                    f"units[{lid!r}]", n,
                    f"must be an int in 1..{ln.quantity - ln.refunded} (units not yet refunded)",
                )
            after = ln.refunded + n
            t = ln._share(ln.earned, after) - ln._share(ln.earned, ln.refunded)
            g = ln._share(ln.spent, after) - ln._share(ln.spent, ln.refunded)
            new[lid] = attrs.evolve(ln, refunded=after)
            by_line.append((lid, t, g))
            take += t
            give += g
        commands: list[TakeBack | ReturnSpent] = []
        if take:
            if self.earn_id is None:
                raise InvalidValueError("earn_id: the order earned points but no earn id is known")
            commands.append(TakeBack(f"{refund_id}:take_back", self.earn_id, take))
        if give:
            if self.spend_id is None:
                raise InvalidValueError("spend_id: the order spent points but no spend id is known")
            commands.append(ReturnSpent(f"{refund_id}:return", self.spend_id, give))
        record = attrs.evolve(self, lines=tuple(new[ln.line_id] for ln in self.lines))
        return PointsRefundPlan(record, take, give, tuple(by_line), tuple(commands))

    def refund_all(self, refund_id: str) -> PointsRefundPlan:
        """Refund every unit not refunded yet."""
        left = {ln.line_id: ln.quantity - ln.refunded for ln in self.lines}
        return self.refund(refund_id, {k: v for k, v in left.items() if v})

    @property
    def earned(self) -> int:
        return sum(ln.earned for ln in self.lines)

    @property
    def spent(self) -> int:
        return sum(ln.spent for ln in self.lines)
