"""What a quote is: `Quote`, its `QuoteLine` and `LineShare` values, and `QuoteInputs`.

The values live apart from the two paths that build them (`sirui.checkout.quoting`
and the fen path `sirui.checkout._fastquote`), so neither path imports the other;
`sirui.checkout.quoting` exports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from sirui.checkout import _render
from sirui.checkout.shipping import ShippingPolicy
from sirui.checkout.stacking import StackingPolicy
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Cart
from sirui.core.windows import DateTime
from sirui.rules.pricing import Adjustment, NotApplied, Stage
from sirui.rules.reasons import Reason

__all__ = ["LAZY_FIELDS", "LineShare", "Quote", "QuoteInputs", "QuoteLine"]

LAZY_FIELDS = frozenset(
    {"lines", "adjustments", "not_applied", "fingerprints", "extras", "shipping_reason", "inputs",
     "refusals"}
)
"""The `Quote` fields a fast quote builds when they are first read."""


@attrs.frozen(slots=True)
class LineShare:
    """One rule's share of one line's discount."""

    rule: str
    stage: Stage
    amount: Money
    kind: str = ""


@attrs.frozen(slots=True, repr=False)
class QuoteLine:
    """A priced line: what it cost, what each rule took off, what is paid."""

    id: str
    sku_id: str
    name: str
    quantity: int
    unit_price: Money
    original: Money
    shares: tuple[LineShare, ...]
    paid: Money
    """Cash paid for the line (after every discount and points deduction)."""
    points: int = 0
    """Points spent on this line (its share of the order's points)."""
    gift: bool = False

    @property
    def discount(self) -> Money:
        return self.original - self.paid

    def stage_discount(self, stage: Stage) -> Money:
        zero = Money.zero(self.paid.currency)
        return sum((s.amount for s in self.shares if s.stage is stage), zero)

    def __repr__(self) -> str:
        return _render.line_repr(self)


@attrs.frozen(slots=True, eq=False)
class QuoteInputs:
    """What priced a quote, kept for refunds that recompute (not compared, not dumped)."""

    cart: Cart
    now: DateTime
    promotions: tuple[Any, ...]
    coupons: tuple[Any, ...]
    """The coupons used."""
    steps: tuple[Any, ...]
    stacking: StackingPolicy
    shipping: ShippingPolicy | None
    extras: tuple[tuple[str, Any], ...]


@attrs.frozen(slots=True, repr=False)
class Quote:
    """A priced cart: lines, per-stage totals, payable and every reason.

    ``lines`` keep the cart's order (gift lines last) for display; use
    `Quote.line` or `Quote.by_line` to look one up.
    """

    currency: str
    lines: tuple[QuoteLine, ...]
    original: Money
    """Goods at their cart prices."""
    stage_totals: tuple[tuple[Stage, Money], ...]
    goods_payable: Money
    shipping_fee: Money
    shipping_discount: Money
    payable: Money
    points_used: int
    adjustments: tuple[Adjustment, ...]
    not_applied: tuple[NotApplied, ...]
    coupons_used: tuple[str, ...]
    fingerprints: tuple[tuple[str, str], ...]
    extras: tuple[tuple[str, Any], ...] = attrs.field(default=(), eq=False)
    shipping_reason: Reason | None = None
    refusals: tuple[Reason, ...] = ()
    """Why the order cannot be placed as quoted (差¥2.00起送, out of range); empty: it can."""
    search_exact: bool = True
    search_nodes: int = attrs.field(default=0, eq=False)
    """Nodes the best-combination search explored: how it worked, not what it found."""
    inputs: QuoteInputs | None = attrs.field(default=None, eq=False)
    _pending: Any = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)
    """What a quote priced in fen still has to build (see ``__getattr__``)."""

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only reached for an empty slot: a quote priced in fen builds its
            # lines, adjustments and reasons the first time they are read.
            if name in LAZY_FIELDS:
                pending = object.__getattribute__(self, "_pending")
                if pending is not None:
                    return pending.build(self, name)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- views ------------------------------------------------------------------------

    @property
    def by_line(self) -> dict[str, QuoteLine]:
        return {ln.id: ln for ln in self.lines}

    def line(self, line_id: str) -> QuoteLine:
        for ln in self.lines:
            if ln.id == line_id:
                return ln
        raise invalid("line_id", line_id, "no such line in the quote", cls=InvalidValueError)

    def stage_total(self, stage: Stage) -> Money:
        for s, m in self.stage_totals:
            if s is stage:
                return m
        return Money.zero(self.currency)

    @property
    def discount(self) -> Money:
        """Everything taken off goods and shipping, points deduction included."""
        return sum((m for _, m in self.stage_totals), Money.zero(self.currency))

    @property
    def accepted(self) -> bool:
        """Whether the order can be placed as quoted (no refusal in `refusals`)."""
        return not self.refusals

    @property
    def shipping_payable(self) -> Money:
        return self.shipping_fee - self.shipping_discount

    def paid_by_line(self) -> tuple[tuple[str, Money], ...]:
        """``(line_id, cash paid)`` per line in id order: for commission and refunds."""
        return tuple(sorted((ln.id, ln.paid) for ln in self.lines))

    def points_by_line(self) -> tuple[tuple[str, int], ...]:
        """``(line_id, points spent)`` per line in id order: for the points ledger."""
        return tuple(sorted((ln.id, ln.points) for ln in self.lines))

    def applied(self, rule: str) -> bool:
        return any(a.rule == rule for a in self.adjustments)

    def why_not(self, rule: str) -> Reason | None:
        for na in self.not_applied:
            if na.rule == rule:
                return na.reason
        return None

    def extra(self, key: str, default: Any = None) -> Any:
        for k, v in reversed(self.extras):
            if k == key:
                return v
        return default

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for services (amounts as ``"12.30"`` strings)."""
        return _render.to_dict(self)

    def __repr__(self) -> str:
        return _render.quote_repr(self)

    def _repr_html_(self) -> str:
        return _render.quote_html(self)
