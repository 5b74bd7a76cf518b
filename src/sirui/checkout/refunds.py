"""Refunds (退款): money, points and coupons back for returned lines, from the quote's allocation.

Theory of operation. A paid order is its per-line cash paid and points spent
(the quote's allocation, or a `PaidOrder` built from stored figures). A line
of quantity Q paid P is split into Q unit amounts with the largest-remainder
method (`Money.allocate` with equal weights: the first ``P mod Q`` units
carry one more fen). Returned units are taken in unit order across
refunds, so:

* several partial refunds never pay back more than was paid, and
  returning everything pays back exactly what was paid (the unit amounts
  sum to P);
* points come back the same way (`allocate_int` per unit).

Shipping is refunded only when the last unit is returned (configurable);
the coupons used come back only on a full refund (configurable: the wallet
then decides whether they are still valid). When a refund leaves lines
that no longer reach a promotion's or coupon's threshold, the result lists
those rules; with `ThresholdLoss.RECOMPUTE` the remaining lines are
re-priced with the same rules and the discount they lost is deducted from
the refund (given back if a later refund returns everything).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence

import attrs

from sirui.checkout.quoting import Quote, quote
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Line
from sirui.core.registry import policy
from sirui.rules.pricing import NotApplied, Stage
from sirui.rules.reasons import reason_code

__all__ = [
    "CouponReturn",
    "PaidLine",
    "PaidOrder",
    "RefundLine",
    "RefundPolicy",
    "RefundResult",
    "ShippingRefund",
    "ThresholdLoss",
    "refund",
]

RULE_LOST = reason_code(
    "checkout.refund_rule_lost",
    zh="退货后剩余商品不再满足“{rule}”的条件",
    en="After the return, the remaining items no longer qualify for {rule}",
)


class ShippingRefund(enum.Enum):
    """When the shipping paid comes back."""

    ALL_RETURNED = "all_returned"
    """With the refund that returns the last unit (the default)."""
    NEVER = "never"
    """Never: shipping was a service already delivered."""


class CouponReturn(enum.Enum):
    """When the coupons used come back to the wallet."""

    FULL_REFUND = "full_refund"
    """Only when every unit is returned (the default)."""
    NEVER = "never"
    ANY_REFUND = "any_refund"
    """With the first refund of any line."""


class ThresholdLoss(enum.Enum):
    """What to do when the remaining lines no longer meet a threshold."""

    KEEP_ALLOCATION = "keep_allocation"
    """Refund each returned unit's allocated amount (the default; what large malls do)."""
    RECOMPUTE = "recompute"
    """Re-price the remaining lines and deduct the discount they lost."""


@policy("checkout.refund_policy")
@attrs.frozen(slots=True)
class RefundPolicy:
    """How refunds pay back (退款规则)."""

    shipping: ShippingRefund = ShippingRefund.ALL_RETURNED
    coupons: CouponReturn = CouponReturn.FULL_REFUND
    threshold_loss: ThresholdLoss = ThresholdLoss.KEEP_ALLOCATION


def _qty(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 1:
        raise invalid(attribute.name, value, "must be an int >= 1", cls=InvalidValueError)


def _nonneg_money(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or value.minor < 0:
        raise invalid(attribute.name, value, "must be Money >= 0", cls=InvalidValueError)


def _nonneg_int(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise invalid(attribute.name, value, "must be an int >= 0", cls=InvalidValueError)


@attrs.frozen(slots=True)
class PaidLine:
    """What one line of a paid order cost the shopper: cash and points."""

    id: str
    quantity: int = attrs.field(validator=_qty)
    paid: Money = attrs.field(validator=_nonneg_money)
    points: int = attrs.field(default=0, validator=_nonneg_int)
    points_value: Money | None = None
    """Money the points stood for (to recompute thresholds before points)."""
    gift: bool = False
    """A gift line: returning it is allowed, keeping it does not stop a full refund."""


def _paid_lines(value: Sequence[PaidLine]) -> tuple[PaidLine, ...]:
    lines = tuple(sorted(value, key=lambda pl: pl.id))
    ids = [pl.id for pl in lines]
    if len(ids) != len(set(ids)):
        raise invalid("lines", ids, "duplicate line id", cls=InvalidValueError)
    if not lines:
        raise invalid("lines", (), "a paid order needs at least one line", cls=InvalidValueError)
    return lines


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(slots=True)
class PaidOrder:
    """A paid order as refunds need it (from `PaidOrder.of_quote` or stored figures)."""

    lines: tuple[PaidLine, ...] = attrs.field(converter=_paid_lines)
    shipping: Money = attrs.field(default=Money(0), validator=_nonneg_money)
    coupons: tuple[str, ...] = attrs.field(default=(), converter=_ids)

    @classmethod
    def of_quote(cls, q: Quote) -> PaidOrder:
        return cls(
            tuple(
                PaidLine(
                    ln.id, ln.quantity, ln.paid, ln.points, ln.stage_discount(Stage.POINTS),
                    ln.gift,
                )
                for ln in q.lines
            ),
            q.shipping_payable,
            q.coupons_used,
        )

    @property
    def total(self) -> Money:
        return sum((pl.paid for pl in self.lines), self.shipping)

    def line(self, line_id: str) -> PaidLine:
        for pl in self.lines:
            if pl.id == line_id:
                return pl
        raise invalid("returns", line_id, "no such line in the order", cls=InvalidValueError)


@attrs.frozen(slots=True)
class RefundLine:
    """Money and points back for the units of one line returned by one refund."""

    id: str
    quantity: int
    amount: Money
    points: int = 0


@attrs.frozen(slots=True)
class RefundResult:
    """One refund: per-line money and points back, shipping, coupons, lost thresholds.

    ``amount = goods - deduction + shipping`` is what the shopper receives.
    ``deduction`` is the discount lost by the remaining lines under
    `ThresholdLoss.RECOMPUTE` (negative when a later full return gives an
    earlier deduction back); it is zero under the default policy.
    """

    lines: tuple[RefundLine, ...]
    goods: Money
    deduction: Money
    shipping: Money
    amount: Money
    points: int
    coupons_returned: tuple[str, ...]
    full: bool
    """Everything has been returned once this refund is done."""
    broken_rules: tuple[NotApplied, ...] = ()
    """Rules the remaining lines no longer qualify for, with the reason."""

    @property
    def returns(self) -> dict[str, int]:
        return {rl.id: rl.quantity for rl in self.lines}

    def net_by_line(self) -> tuple[tuple[str, Money], ...]:
        """Money back per line with the deduction spread over the lines (for commission)."""
        if self.deduction.is_zero() or not self.lines:
            return tuple((rl.id, rl.amount) for rl in self.lines)
        weights = [rl.amount for rl in self.lines]
        if not any(w.minor for w in weights):
            weights = [Money(rl.quantity, self.goods.currency) for rl in self.lines]
        parts = self.deduction.allocate(weights)
        # pragma: no mutate block (equivalent: one part per line, so `strict` never fires)
        return tuple((rl.id, rl.amount - p) for rl, p in zip(self.lines, parts, strict=True))


def _units(total: int, quantity: int, start: int, count: int) -> int:
    """Sum of units ``[start, start+count)`` of ``total`` split into ``quantity`` equal units.

    The same split as ``allocate_int(total, [1] * quantity)``: the first
    ``total % quantity`` units carry one more minor unit. O(1).
    """
    base, extra = divmod(total, quantity)
    end = start + count
    return base * count + max(0, min(end, extra) - start)


def _check_returns(
    order: PaidOrder, returns: Mapping[str, int], before: Mapping[str, int]
) -> dict[str, int]:
    if not isinstance(returns, Mapping) or not returns:
        raise invalid(
            "returns", returns, "must map line ids to quantities", "e.g. {'L1': 1}",
            cls=InvalidValueError,
        )
    out: dict[str, int] = {}
    for lid, q in returns.items():
        line = order.line(lid)
        if type(q) is not int or q < 1:
            raise invalid(f"returns[{lid!r}]", q, "must be an int >= 1", cls=InvalidValueError)
        if before.get(lid, 0) + q > line.quantity:
            raise invalid(
                f"returns[{lid!r}]", q,
                f"returns more than bought ({before.get(lid, 0)} of {line.quantity} "
                "already returned)",
                cls=InvalidValueError,
            )
        out[lid] = q
    return out


def refund(
    paid: Quote | PaidOrder,
    returns: Mapping[str, int],
    previous_refunds: Sequence[RefundResult] = (),
    policy: RefundPolicy | None = None,
) -> RefundResult:
    """Refund ``returns`` (line id -> units) of a paid order.

    Args:
        paid: the order's `Quote` (needed by `ThresholdLoss.RECOMPUTE` and to
            report lost thresholds) or a `PaidOrder`.
        returns: units returned now, per line id.
        previous_refunds: earlier refunds of the same order, in any order.
        policy: the refund rules (default `RefundPolicy()`).
    """
    pol = policy if policy is not None else RefundPolicy()
    order = PaidOrder.of_quote(paid) if isinstance(paid, Quote) else paid
    # pragma: no mutate start (equivalent: a PaidOrder always has lines; shipping's is unused)
    cur = order.shipping.currency if not order.lines else order.lines[0].paid.currency
    # pragma: no mutate end
    before: dict[str, int] = {}
    prev_deduction = 0
    shipping_done = coupons_done = False
    for r in previous_refunds:
        for rl in r.lines:
            before[rl.id] = before.get(rl.id, 0) + rl.quantity
        prev_deduction += r.deduction.minor
        shipping_done |= not r.shipping.is_zero()
        coupons_done |= bool(r.coupons_returned)
    now = _check_returns(order, returns, before)
    lines = []
    for pl in order.lines:
        q = now.get(pl.id)
        if not q:
            continue
        start = before.get(pl.id, 0)
        amount = _units(pl.paid.minor, pl.quantity, start, q)
        points = _units(pl.points, pl.quantity, start, q)
        lines.append(RefundLine(pl.id, q, Money(amount, cur), points))
    goods = sum(rl.amount.minor for rl in lines)
    after = {pl.id: before.get(pl.id, 0) + now.get(pl.id, 0) for pl in order.lines}
    full = all(after[pl.id] == pl.quantity for pl in order.lines if not pl.gift)
    shipping = 0
    if full and pol.shipping is ShippingRefund.ALL_RETURNED and not shipping_done:
        shipping = order.shipping.minor
    coupons: tuple[str, ...] = ()
    if not coupons_done and (
        (pol.coupons is CouponReturn.FULL_REFUND and full)
        or pol.coupons is CouponReturn.ANY_REFUND
    ):
        coupons = order.coupons
    broken: tuple[NotApplied, ...] = ()
    target = 0
    if not full and isinstance(paid, Quote) and paid.inputs is not None:
        broken, target = _recheck(paid, order, after)
    if pol.threshold_loss is ThresholdLoss.RECOMPUTE:
        if not isinstance(paid, Quote) or paid.inputs is None:
            raise invalid(
                "paid", type(paid).__name__, "recomputing needs the order's Quote",
                "pass the Quote, or use ThresholdLoss.KEEP_ALLOCATION", cls=InvalidValueError,
            )
        # Never deduct more than this refund pays for goods; a later refund
        # recovers the rest, and a full return gives every deduction back.
        deduction = min(target - prev_deduction, goods)
    else:
        deduction = 0
    return RefundResult(
        lines=tuple(lines),
        goods=Money(goods, cur),
        deduction=Money(deduction, cur),
        shipping=Money(shipping, cur),
        amount=Money(goods - deduction + shipping, cur),
        points=sum(rl.points for rl in lines),
        coupons_returned=coupons,
        full=full,
        broken_rules=broken,
    )


def _recheck(
    q: Quote, order: PaidOrder, after: Mapping[str, int]
) -> tuple[tuple[NotApplied, ...], int]:
    """Re-price the lines left after the returns: rules lost and discount lost (fen)."""
    inputs = q.inputs
    assert inputs is not None
    cart = inputs.cart
    kept: list[Line] = []
    kept_value = 0
    for ln in cart.lines:
        pl = order.line(ln.id)
        left = pl.quantity - after.get(ln.id, 0)
        if left <= 0:
            continue
        kept.append(attrs.evolve(ln, quantity=left))
        # Value kept before points: cash plus the points' money, unit by unit.
        pre = pl.paid.minor + (pl.points_value.minor if pl.points_value is not None else 0)
        kept_value += _units(pre, pl.quantity, after.get(ln.id, 0), left)
    remaining = attrs.evolve(cart, lines=tuple(kept))
    again = quote(
        remaining,
        inputs.now,
        promotions=inputs.promotions,
        coupons=inputs.coupons,
        steps=inputs.steps,
        stacking=inputs.stacking,
        shipping=None,
        chosen_coupons=[c.id for c in inputs.coupons],
        extras=dict(inputs.extras),
    )
    applied_before = {a.rule for a in q.adjustments if a.stage is not Stage.SHIPPING}
    applied_now = {a.rule for a in again.adjustments}
    lost = []
    for rule in sorted(applied_before - applied_now):
        why = next((na for na in again.not_applied if na.rule == rule), None)
        if why is None:
            stage = next(a.stage for a in q.adjustments if a.rule == rule)
            why = NotApplied(rule, stage, RULE_LOST(rule=rule))
        lost.append(why)
    new_value = again.goods_payable.minor + again.stage_total(Stage.POINTS).minor
    return tuple(lost), max(0, new_value - kept_value)

