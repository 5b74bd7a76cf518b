"""Growth value (成长值): how it is earned, recorded per source, and taken back on refund.

A member's growth ledger is a tuple of `GrowthEntry` values keyed by id: one
per paid order, sign-in, review or operator grant. An order entry also
carries the order's paid spend (fen), its order count and the points it
earned, so a tier ladder on any metric reads the same ledger.

Invariants:

* growth is earned only by `GrowthRules` (per yuan paid, first-order bonus,
  sign-in, review, task) or an operator grant, and is never negative;
* a refund reduces the *original* entry (it keeps its date), so a rolling
  window sees the order as it finally stood, wherever the refund falls;
* partial refunds take back growth in proportion to the cumulative amount
  refunded, floored, so that refunding an order in full — in one refund or
  in many — takes back exactly the growth it earned.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding, round_decimal
from sirui.core.registry import policy
from sirui.core.validators import (
    aware_datetime,
    non_empty_str,
    non_negative_int,
    non_negative_money,
    positive_int,
)
from sirui.core.windows import DateTime
from sirui.loyalty.members._checks import rate
from sirui.rules.outcome import Event

__all__ = [
    "GrowthEntry",
    "GrowthRules",
    "GrowthSource",
]


class GrowthSource(enum.Enum):
    """Where a ledger entry's growth came from."""

    ORDER = "order"
    """A paid order (下单消费)."""
    SIGN_IN = "sign_in"
    """A daily sign-in (签到)."""
    REVIEW = "review"
    """A product review (评价)."""
    TASK = "task"
    """A completed task (任务)."""
    GRANT = "grant"
    """An operator grant (后台赠送)."""


def _per_yuan(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 0:
        raise invalid(attribute.name, value, "must be >= 0", "e.g. Decimal('1') per yuan")


@policy("growth.rules")
@attrs.frozen(slots=True)
class GrowthRules:
    """成长值规则: growth earned per yuan paid and per activity.

    ``per_yuan=1`` is "每消费1元得1成长值"; fractions of a growth point are
    dropped (a 99.90-yuan order earns 99). ``first_order_bonus`` is added to
    the member's first paid order.
    """

    per_yuan: Decimal = attrs.field(default=Decimal(1), converter=rate, validator=_per_yuan)
    first_order_bonus: int = attrs.field(default=0, validator=non_negative_int)
    sign_in: int = attrs.field(default=0, validator=non_negative_int)
    review: int = attrs.field(default=0, validator=non_negative_int)
    task: int = attrs.field(default=0, validator=non_negative_int)

    def for_order(self, paid: Money, first_order: bool = False) -> int:
        """Growth for an order that paid ``paid`` (``first_order`` adds the bonus).

        >>> GrowthRules(per_yuan=Decimal("1"), first_order_bonus=50).for_order(
        ...     Money.of("99.90"), first_order=True)
        149
        """
        base = round_decimal(paid.amount * self.per_yuan, Rounding.DOWN)
        return base + (self.first_order_bonus if first_order else 0)

    def for_activity(self, source: GrowthSource) -> int:
        """Growth for a sign-in, review or task (0 for sources that are not activities)."""
        if source is GrowthSource.SIGN_IN:
            return self.sign_in
        if source is GrowthSource.REVIEW:
            return self.review
        if source is GrowthSource.TASK:
            return self.task
        return 0


@attrs.frozen(slots=True)
class GrowthEntry:
    """One dated line of a member's growth ledger, with what refunds took back.

    ``spend`` is the paid amount in fen; ``refunded`` the fen refunded so
    far. ``growth_reversed`` and ``points_reversed`` are what refunds have
    taken back, so the entry's net values are always derivable.
    """

    id: str = attrs.field(validator=non_empty_str)
    at: DateTime = attrs.field(validator=aware_datetime)
    source: GrowthSource
    growth: int = attrs.field(validator=non_negative_int)
    spend: int = attrs.field(default=0, validator=non_negative_int)
    orders: int = attrs.field(default=0, validator=non_negative_int)
    points: int = attrs.field(default=0, validator=non_negative_int)
    refunded: int = attrs.field(default=0, validator=non_negative_int)
    growth_reversed: int = attrs.field(default=0, validator=non_negative_int)
    points_reversed: int = attrs.field(default=0, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        if self.refunded > self.spend:
            raise invalid("refunded", self.refunded, f"exceeds the spend {self.spend}")
        if self.growth_reversed > self.growth:
            raise invalid("growth_reversed", self.growth_reversed, "exceeds the growth")

    @property
    def net_growth(self) -> int:
        return self.growth - self.growth_reversed

    @property
    def net_spend(self) -> int:
        return self.spend - self.refunded

    @property
    def net_orders(self) -> int:
        """An order counts until it is refunded in full."""
        return self.orders if self.refunded < self.spend or self.spend == 0 else 0

    @property
    def net_points(self) -> int:
        return self.points - self.points_reversed

    @property
    def fully_refunded(self) -> bool:
        return self.spend > 0 and self.refunded == self.spend

    def refund(self, amount: int) -> GrowthEntry:
        """The entry after a further refund of ``amount`` fen (proportional take-back)."""
        total = self.refunded + amount
        if amount < 0 or total > self.spend:
            raise invalid("amount", amount, f"refund exceeds what is left ({self.net_spend} fen)")
        growth_back = self.growth * total // self.spend if self.spend else 0
        points_back = self.points * total // self.spend if self.spend else 0
        if total == self.spend:
            # Full refund takes back everything, whatever the earlier floors left.
            growth_back, points_back = self.growth, self.points
        return attrs.evolve(
            self, refunded=total, growth_reversed=growth_back, points_reversed=points_back
        )


# -- commands -------------------------------------------------------------------------


@attrs.frozen(slots=True)
class RecordOrder:
    """Record a paid order: earns growth by the rules, adds spend, count and points.

    ``id`` is the order id (the ledger entry id); ``at`` defaults to ``now``.
    """

    id: str = attrs.field(validator=non_empty_str)
    paid: Money = attrs.field(validator=non_negative_money)
    first_order: bool = False
    points: int = attrs.field(default=0, validator=non_negative_int)
    at: DateTime | None = None


@attrs.frozen(slots=True)
class RecordActivity:
    """Record a sign-in, review or task: earns the growth the rules give it."""

    id: str = attrs.field(validator=non_empty_str)
    source: GrowthSource
    at: DateTime | None = None

    def __attrs_post_init__(self) -> None:
        if self.source not in (GrowthSource.SIGN_IN, GrowthSource.REVIEW, GrowthSource.TASK):
            raise invalid(
                "source", self.source, "must be SIGN_IN, REVIEW or TASK",
                "record orders with RecordOrder and grants with GrantGrowth",
            )


@attrs.frozen(slots=True)
class GrantGrowth:
    """An operator grant of growth (后台赠送成长值). Growth is never negative:
    deductions only come from refunds."""

    id: str = attrs.field(validator=non_empty_str)
    growth: int = attrs.field(validator=positive_int)
    note: str = ""
    at: DateTime | None = None


@attrs.frozen(slots=True)
class RefundOrder:
    """A refund of (part of) a recorded order; ``amount=None`` refunds what is left."""

    id: str = attrs.field(validator=non_empty_str)
    order_id: str = attrs.field(validator=non_empty_str)
    amount: Money | None = None

    def __attrs_post_init__(self) -> None:
        if self.amount is not None:
            non_negative_money(self, attrs.fields(RefundOrder).amount, self.amount)


# -- events ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class GrowthEarned(Event):
    """Growth (and spend, points) recorded for a member."""

    member_id: str
    entry_id: str
    source: GrowthSource
    growth: int
    total_growth: int


@attrs.frozen(slots=True)
class GrowthReversed(Event):
    """A refund took growth back from an order entry."""

    member_id: str
    refund_id: str
    order_id: str
    growth: int
    total_growth: int
