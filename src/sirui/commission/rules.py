"""Commission rules (提成规则): what a guide earns on each paid line.

A `CommissionPlan` is an ordered list of rules; for each line the first rule
whose item scope matches the SKU decides (so list SKU rules before category
rules before the default). Rule kinds:

* `RateRule`: a rate of the line's base (按比例, e.g. 3% of milk powder);
* `FixedPerItem`: a fixed amount per unit (按件, 5 yuan per diaper pack);
* `ExcludedItems`: no commission (不计提成, e.g. seckill items).

The *base* is what the shopper actually paid for the line after every
discount: cash, plus stored value if ``counts_stored_value``, plus the
points deduction if ``counts_points``. Shipping is never a line; with
``counts_shipping`` the shipping the order paid (``Order.shipping``) is
spread over the lines in proportion to their bases (largest remainder, by
quantity when every base is zero) and added to them, so the parts sum to
the shipping exactly.

Every rate is rounded to the fen once, by the plan's ``rounding``
(`sirui.core.money.Rounding`): ``HALF_UP`` (四舍五入, the default),
``DOWN`` (舍去: floor and truncate are the same for commission, which is
never negative), ``UP`` (进一) or ``HALF_EVEN``.

Invariants: a line's commission is never negative and never above its base
(a fixed amount larger than what was paid is capped, with a reason); every
line of the order gets exactly one `CommissionLine`, zero ones included, so
statements can trace every line.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from sirui.commission._common import rate_field, to_rate, zh_item, zh_percent
from sirui.commission.attribution import Attributed, AttributionPolicy
from sirui.commission.paid import CommissionOrder, CommissionOrderLine
from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Guide, Sku
from sirui.core.registry import policy, policy_family
from sirui.core.validators import non_empty_str, non_negative_money
from sirui.core.windows import DateTime
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

EVERYTHING = ItemScope()
"""The default scope: every item."""

__all__ = [
    "CommissionLine",
    "CommissionPlan",
    "CommissionRule",
    "ExcludedItems",
    "FixedPerItem",
    "RateRule",
    "Role",
    "guide_commission",
    "line_bases",
]

BY_RATE = reason_code(
    "commission.rate",
    zh="按{percent}计提：{base} → {amount}",
    en="{rate} of {base} = {amount}"
)
BY_FIXED = reason_code(
    "commission.fixed",
    zh="每件{each}，共{quantity}件：{amount}",
    en="{each} per item × {quantity} = {amount}",
)
FIXED_CAPPED = reason_code(
    "commission.fixed_capped",
    zh="按件提成{wanted}超过实付{base}，按实付封顶",
    en="Fixed {wanted} exceeds the base {base}; capped",
)
EXCLUDED = reason_code(
    "commission.excluded",
    zh="{item}不计提成",
    en="Item {sku} earns no commission"
)
NO_RULE = reason_code(
    "commission.no_rule",
    zh="{item}没有适用的提成规则",
    en="No commission rule covers {sku}"
)


class Role(enum.Enum):
    """Why a payee is on a commission line."""

    GUIDE = "guide"
    """The attributed guide or external promoter (导购/外部员工)."""
    SUPER_GUIDE = "super_guide"
    """The super guide above an external promoter (超级导购)."""
    DIRECT_SELLER = "direct_seller"
    """The seller who sold it (直接销售员, level 1)."""
    INDIRECT_SELLER = "indirect_seller"
    """The seller who recruited the direct seller (间接销售员, level 2)."""


@policy_family
class CommissionRule:
    """A rule that prices one line's commission. Subclasses are policies."""

    __slots__ = ()

    id: str
    scope: ItemScope

    def matches(self, sku: Sku) -> bool:
        return self.scope.matches(sku)

    def commission(
        self, line: CommissionOrderLine, base: Money, rounding: Rounding = Rounding.HALF_UP
    ) -> tuple[Money, Reason]:
        """The commission on ``line`` for ``base``, rates rounded by ``rounding``, and why."""
        raise NotImplementedError  # pragma: no cover - abstract


@policy("commission.rate")
@attrs.frozen(slots=True)
class RateRule(CommissionRule):
    """A rate of the line's base (按比例提成): ``RateRule("milk", "0.03", milk_scope)``."""

    id: str = attrs.field(validator=non_empty_str)
    rate: Decimal = attrs.field(converter=to_rate, validator=rate_field)
    scope: ItemScope = EVERYTHING

    def commission(
        self, line: CommissionOrderLine, base: Money, rounding: Rounding = Rounding.HALF_UP
    ) -> tuple[Money, Reason]:
        amount = base.times(self.rate, rounding)
        return amount, BY_RATE(rate=self.rate, percent=zh_percent(self.rate), base=base,
                               amount=amount)


@policy("commission.fixed_per_item")
@attrs.frozen(slots=True)
class FixedPerItem(CommissionRule):
    """A fixed amount per unit sold (按件提成), capped at the line's base."""

    id: str = attrs.field(validator=non_empty_str)
    each: Money = attrs.field(validator=non_negative_money)
    scope: ItemScope = EVERYTHING

    def commission(
        self, line: CommissionOrderLine, base: Money, rounding: Rounding = Rounding.HALF_UP
    ) -> tuple[Money, Reason]:
        wanted = self.each * line.quantity
        if wanted > base:
            return base, FIXED_CAPPED(wanted=wanted, base=base)
        return wanted, BY_FIXED(each=self.each, quantity=line.quantity, amount=wanted)


@policy("commission.excluded")
@attrs.frozen(slots=True)
class ExcludedItems(CommissionRule):
    """Items that earn no commission (不计提成商品); list it before broader rules."""

    id: str = attrs.field(validator=non_empty_str)
    scope: ItemScope = EVERYTHING

    def commission(
        self, line: CommissionOrderLine, base: Money, rounding: Rounding = Rounding.HALF_UP
    ) -> tuple[Money, Reason]:
        return Money.zero(base.currency), EXCLUDED(sku=line.sku.id, item=zh_item(line.sku.name))


def _rules(value: Iterable[CommissionRule]) -> tuple[CommissionRule, ...]:
    items = tuple(value)
    ids: set[str] = set()
    for i, r in enumerate(items):
        if not isinstance(r, CommissionRule):
            raise invalid(f"rules[{i}]", r, "must be a CommissionRule")
        if r.id in ids:
            raise invalid(f"rules[{i}].id", r.id, "duplicate rule id", "give every rule its own id")
        ids.add(r.id)
    return items


@attrs.frozen(slots=True)
class CommissionLine:
    """One payee's commission on one order line: the unit of settlement and statements.

    ``line_total`` and ``quantity`` are the line's, so refunds can reduce the
    commission in proportion. ``payee`` is ``None`` for a line nobody earns
    on (kept so that every order line stays traceable).
    """

    order_id: str
    line_id: str
    payee: str | None
    role: Role
    store: str | None
    sku_id: str
    quantity: int
    line_total: Money
    base: Money
    amount: Money
    rule: str
    reason: Reason
    paid_at: DateTime
    key: str = attrs.field(init=False, eq=False, repr=False)
    """Stable record id: ``order/line/role/payee``."""

    def __attrs_post_init__(self) -> None:
        key = f"{self.order_id}/{self.line_id}/{self.role.value}/{self.payee or '-'}"
        object.__setattr__(self, "key", key)


@policy("commission.plan")
@attrs.frozen(slots=True)
class CommissionPlan:
    """An ordered set of commission rules and what counts as paid (提成方案).

    >>> from sirui.rules import ItemScope
    >>> plan = CommissionPlan((
    ...     ExcludedItems("seckill", ItemScope(tags=frozenset({"秒杀"}))),
    ...     RateRule("milk", "0.03", ItemScope(categories=frozenset({"母婴/奶粉"}))),
    ...     RateRule("default", "0.01"),
    ... ))
    """

    rules: tuple[CommissionRule, ...] = attrs.field(converter=_rules)
    counts_points: bool = False
    """Points deduction (积分抵扣) counts as paid."""
    counts_stored_value: bool = True
    """Stored value (储值) counts as paid: it is the member's own money."""
    rounding: Rounding = Rounding.HALF_UP
    """How a rate's fraction of a fen is rounded (四舍五入 by default; DOWN is 舍去)."""
    counts_shipping: bool = False
    """The shipping the order paid (运费) counts as paid, spread over the lines."""

    def base_of(self, line: CommissionOrderLine) -> Money:
        """The line's base without shipping (shipping needs the whole order: `bases`)."""
        base = line.paid
        if self.counts_points:
            base += line.points_value
        if self.counts_stored_value:
            base += line.stored_value
        return base

    def bases(self, order: CommissionOrder) -> tuple[Money, ...]:
        """Each line's base, in line order, with its part of the shipping if counted."""
        return line_bases(order, counts_points=self.counts_points,
                          counts_stored_value=self.counts_stored_value,
                          counts_shipping=self.counts_shipping)

    def rule_for(self, sku: Sku) -> CommissionRule | None:
        for r in self.rules:
            if r.matches(sku):
                return r
        return None

    def line_commission(
        self, line: CommissionOrderLine, base: Money | None = None
    ) -> tuple[Money, str, Reason]:
        """The commission on one line, the id of the rule that decided it, and why.

        ``base`` defaults to `base_of` (no shipping); `compute` passes the
        line's part of `bases`.
        """
        if base is None:
            base = self.base_of(line)
        rule = self.rule_for(line.sku)
        if rule is None:
            why = NO_RULE(sku=line.sku.id, item=zh_item(line.sku.name))
            return Money.zero(base.currency), "", why
        amount, reason = rule.commission(line, base, self.rounding)
        return amount, rule.id, reason

    def compute(
        self, order: CommissionOrder, owners: Mapping[str, Attributed] | Attributed
    ) -> tuple[CommissionLine, ...]:
        """One `CommissionLine` per order line for its attributed guide.

        ``owners`` is one `Attributed` for the whole order, or one per line id.
        A line with no guide gets a zero line carrying the attribution reason.
        """
        out: list[CommissionLine] = []
        for ln, base in zip(order.lines, self.bases(order), strict=True):
            who = owners if isinstance(owners, Attributed) else owners[ln.line_id]
            if who.guide is None:
                amount, rule, reason = Money.zero(base.currency), "", who.reason
            else:
                amount, rule, reason = self.line_commission(ln, base)
            out.append(CommissionLine(
                order.id, ln.line_id, who.guide, Role.GUIDE, who.store, ln.sku.id,
                ln.quantity, ln.total, base, amount, rule, reason, order.paid_at,
            ))
        return tuple(out)


def line_bases(
    order: CommissionOrder,
    *,
    counts_points: bool = False,
    counts_stored_value: bool = True,
    counts_shipping: bool = False,
) -> tuple[Money, ...]:
    """What each line of ``order`` counts as paid, in line order (提成基数).

    Cash, plus the points deduction and stored value if they count; with
    ``counts_shipping`` the order's shipping (``order.order.shipping``) is
    allocated over the lines by those bases (by quantity if they are all
    zero), so the bases sum to the goods plus the shipping exactly.
    """
    bases = []
    for ln in order.lines:
        base = ln.paid
        if counts_points:
            base += ln.points_value
        if counts_stored_value:
            base += ln.stored_value
        bases.append(base)
    shipping = order.order.shipping
    if not counts_shipping or shipping is None or not shipping.minor:
        return tuple(bases)
    if shipping.currency != order.currency:
        raise invalid("order.shipping", shipping, f"currency differs from the lines' "
                      f"({order.currency})", "give the shipping in the order's currency")
    weights: list[int] = [b.minor for b in bases]
    if not any(weights):
        weights = [ln.quantity for ln in order.lines]
    parts = shipping.allocate(weights)
    return tuple(b + p for b, p in zip(bases, parts, strict=True))


def guide_commission(
    order: CommissionOrder,
    plan: CommissionPlan,
    attribution: AttributionPolicy | None = None,
    guides: Mapping[str, Guide] | None = None,
) -> tuple[CommissionLine, ...]:
    """Attribute each line (line share links honoured) and price its commission."""
    pol = attribution or AttributionPolicy()
    whole = pol.attribute(order, guides)
    if all(ln.share_by is None for ln in order.lines):
        return plan.compute(order, whole)
    owners = {ln.line_id: whole if ln.share_by is None else pol.attribute_line(order, ln, guides)
              for ln in order.lines}
    return plan.compute(order, owners)
