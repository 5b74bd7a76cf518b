"""The input of every commission computation: a paid order, line by line, and its refunds.

The checkout (which sits above this package) or a host builds a `CommissionOrder`
from its quote: for every line, what the shopper actually paid for it after
every discount (``paid``, cash through WeChat Pay), what points deduction
covered (``points_value``) and what stored value covered (``stored_value``).
Shipping is not a line and never earns commission. Refunds come in as
`CommissionRefund` values: per line, the quantity and the amount given back.

Invariants: line ids are unique; every amount is non-negative and of one
currency; a refund never returns more than a line's quantity or its total
(``paid + points_value + stored_value``).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Order, Sku
from sirui.core.validators import non_empty_str
from sirui.core.windows import DateTime, aware

__all__ = ["CommissionOrder", "CommissionOrderLine", "CommissionRefund", "LineRefund"]


def _money_ge0(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or value.minor < 0:
        raise invalid(
            attribute.name, value, "must be Money >= 0", "e.g. Money.of('12.30')",
            cls=InvalidValueError,
        )


def _money_or_fen(value: object) -> Money:
    # Lets callers write points_value=0 for "none".
    if type(value) is int and value == 0:
        return Money.ZERO
    return value  # type: ignore[return-value]


@attrs.frozen(slots=True)
class CommissionOrderLine:
    """One paid order line (已支付订单行) with its money split by source.

    Attributes:
        line_id: the order line's id.
        sku: the item.
        quantity: units bought (>= 1).
        paid: cash actually paid for the line after every discount.
        points_value: the part covered by points deduction (积分抵扣).
        stored_value: the part covered by stored value (储值).
        share_by: guide or seller whose share link this line came through,
            when it differs from the order's.
        shared_at: when that link was opened.
    """

    line_id: str = attrs.field(validator=non_empty_str)
    sku: Sku
    quantity: int
    paid: Money = attrs.field(validator=_money_ge0)
    points_value: Money = attrs.field(default=Money.ZERO, converter=_money_or_fen,
                                      validator=_money_ge0)
    stored_value: Money = attrs.field(default=Money.ZERO, converter=_money_or_fen,
                                      validator=_money_ge0)
    share_by: str | None = None
    shared_at: DateTime | None = None

    def __attrs_post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity < 1:
            raise invalid("quantity", self.quantity, "must be an int >= 1", cls=InvalidValueError)
        cur = self.paid.currency
        for name in ("points_value", "stored_value"):
            m: Money = getattr(self, name)
            if m.minor and m.currency != cur:
                raise invalid(name, m, f"currency differs from paid ({cur})", cls=InvalidValueError)
        if self.shared_at is not None:
            aware(self.shared_at, "shared_at")

    @property
    def total(self) -> Money:
        """Cash + points value + stored value: what the line was settled for."""
        return self.paid + self.points_value + self.stored_value



def _tuple_of_paidline(value: Iterable[CommissionOrderLine]) -> tuple[CommissionOrderLine, ...]:
    return tuple(value)

@attrs.frozen(slots=True)
class CommissionOrder:
    """A paid order as commission sees it (已支付订单).

    ``online`` says whether the sale was made online (mini-program mall);
    the launch boost counts online sales double toward performance.
    """

    order: Order
    lines: tuple[CommissionOrderLine, ...] = attrs.field(converter=_tuple_of_paidline)
    paid_at: DateTime = attrs.field(converter=aware)
    online: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.lines:
            raise invalid("lines", (), "a paid order needs at least one line",
                          cls=InvalidValueError)
        seen: set[str] = set()
        for i, ln in enumerate(self.lines):
            if not isinstance(ln, CommissionOrderLine):
                raise invalid(
                    f"lines[{i}]", ln, "must be a CommissionOrderLine", cls=InvalidValueError
                )
            if ln.line_id in seen:
                raise invalid(f"lines[{i}].line_id", ln.line_id, "duplicate line id",
                              cls=InvalidValueError)
            seen.add(ln.line_id)
            if ln.paid.currency != self.lines[0].paid.currency:
                raise invalid(f"lines[{i}].paid", ln.paid, "mixes currencies",
                              cls=InvalidValueError)

    @property
    def id(self) -> str:
        return self.order.id

    @property
    def currency(self) -> str:
        return self.lines[0].paid.currency

    @property
    def paid(self) -> Money:
        """Cash paid over all lines (shipping excluded)."""
        return sum((ln.paid for ln in self.lines), Money.zero(self.currency))

    def line(self, line_id: str) -> CommissionOrderLine:
        for ln in self.lines:
            if ln.line_id == line_id:
                return ln
        raise invalid("line_id", line_id, f"no such line in order {self.id}", cls=InvalidValueError)


@attrs.frozen(slots=True)
class LineRefund:
    """What one refund gives back on one line: a quantity and an amount (of the line's total)."""

    line_id: str = attrs.field(validator=non_empty_str)
    quantity: int
    amount: Money = attrs.field(validator=_money_ge0)

    def __attrs_post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity < 0:
            raise invalid("quantity", self.quantity, "must be an int >= 0", cls=InvalidValueError)



def _tuple_of_linerefund(value: Iterable[LineRefund]) -> tuple[LineRefund, ...]:
    return tuple(value)

@attrs.frozen(slots=True)
class CommissionRefund:
    """A refund (退款) of some lines of one order, by id (replays are recognised by it)."""

    id: str = attrs.field(validator=non_empty_str)
    order_id: str = attrs.field(validator=non_empty_str)
    lines: tuple[LineRefund, ...] = attrs.field(converter=_tuple_of_linerefund)
    at: DateTime = attrs.field(converter=aware)

    def __attrs_post_init__(self) -> None:
        ids = [ln.line_id for ln in self.lines]
        if len(set(ids)) != len(ids):
            raise invalid("lines", ids, "a line appears twice in one refund", cls=InvalidValueError)

    @classmethod
    def full(cls, id: str, order: CommissionOrder, at: DateTime) -> CommissionRefund:
        """CommissionRefund every line of ``order`` in full."""
        items = [LineRefund(ln.line_id, ln.quantity, ln.total) for ln in order.lines]
        return cls(id, order.id, items, at)

    @classmethod
    def of(cls, id: str, order_id: str, at: DateTime, items: Iterable[tuple[str, int, Money]]
           ) -> CommissionRefund:
        refunds = [LineRefund(a, q, m) for a, q, m in items]
        return cls(id, order_id, refunds, at)
