"""消费积分: points earned per yuan actually paid.

An `EarnRule` turns what a shopper paid for each line into points:

0. an order whose goods paid less than ``min_order`` (起积金额, shipping not
   counted) earns nothing;
1. lines outside the rule's item scope (excluded categories, tags, SKUs) and
   gift lines earn nothing; shipping earns nothing unless ``include_shipping``;
2. each earning line's paid yuan are weighted by its item multiplier: the
   active `ItemMultiplier` rules whose scope covers the line (品类/商品多倍积分,
   e.g. 奶粉 x2), combined by ``combine`` (the best one, or their product);
   1 when none covers it;
3. the weighted yuan are multiplied by ``points_per_yuan`` and by the order
   multiplier: the member's tier multiplier and paid-card multiplier (plain
   Decimals from the host or the members module) and any active
   `PointsCampaign` (double-points days, 双倍积分日), combined by ``stacking``;
4. the result is rounded once, for the whole order, by ``rounding`` (down by
   default: 99.90 yuan earns 99 points);
5. the per-order cap, then the daily cap (given what the member already
   earned today) bound it;
6. the points are split over the lines in proportion to what each paid times
   its item multiplier (largest remainder), so a refund of one line takes
   back exactly its share.

Invariants: the points are never negative; the per-line shares sum to the
points; no excluded line gets a share; the points never exceed either cap.
With no ``min_order`` and no item multipliers (the defaults) the figures are
those of a plain per-yuan rule.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from decimal import Decimal
from math import lcm

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding, allocate_int, as_rate, round_decimal
from sirui.core.nouns import Sku
from sirui.core.registry import policy
from sirui.core.validators import is_instance_of, opt_positive_int, opt_positive_money, optional
from sirui.core.windows import DateTime, MemberDay, Window, aware
from sirui.rules.pricing import SHIPPING_LINE, PriceState
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

__all__ = [
    "EarnQuote",
    "EarnRule",
    "EarningLine",
    "ItemMultiplier",
    "MultiplierCombine",
    "MultiplierStacking",
    "PointsCampaign",
    "paid_lines",
    "quote_earning",
]

EARNED = reason_code(
    "points.earned_on_order",
    zh="实付{paid}，积分倍率{multiplier}，得{points}积分",
    en="Paid {paid} at {multiplier}x: {points} points",
)
NOTHING_TO_EARN = reason_code(
    "points.nothing_to_earn", zh="本单没有可积分的商品", en="Nothing in this order earns points"
)
ORDER_CAP = reason_code(
    "points.order_cap", zh="每单最多得{cap}积分", en="At most {cap} points per order"
)
DAILY_CAP = reason_code(
    "points.daily_cap",
    zh="每日最多得{cap}积分，今日已得{earned}",
    en="At most {cap} points a day; {earned} earned today",
)
BELOW_MIN_ORDER = reason_code(
    "points.below_min_order",
    zh="订单实付满{minimum}才可积分，本单实付{paid}",
    en="Orders earn points from {minimum} paid; this one paid {paid}",
)
ITEM_MULTIPLIED = reason_code(
    "points.item_multiplier",
    zh="{multiplier}倍积分商品实付{paid}",
    en="{paid} paid on items earning {multiplier}x",
)


class MultiplierStacking(enum.Enum):
    """How tier, card and campaign multipliers combine."""

    MULTIPLY = "multiply"
    """2x tier on a 2x day earns 4x."""
    ADD = "add"
    """Extra parts add up: 2x tier on a 2x day earns 3x (1 + 1 + 1)."""
    BEST = "best"
    """Only the largest applies: 2x."""


class MultiplierCombine(enum.Enum):
    """How the item multipliers of several `ItemMultiplier` rules covering one line combine."""

    BEST = "best"
    """The largest applies (取最高): 奶粉 x2 and 母婴 x1.5 on a tin of formula earn 2x."""
    MULTIPLY = "multiply"
    """They multiply (叠加): 奶粉 x2 and 母婴 x1.5 on a tin of formula earn 3x."""


def _multiplier(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 1:
        raise invalid(attribute.name, value, "must be >= 1", "e.g. Decimal('2') for double points")


def _positive_rate(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0:
        raise invalid(attribute.name, value, "must be > 0", "e.g. Decimal('1') point per yuan")


def _item_factor(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0 or value > 100:
        raise invalid(
            attribute.name, value, "must be > 0 and <= 100",
            "e.g. Decimal('2') for double points, Decimal('0.5') for half points",
        )


def _narrow_scope(_inst: object, attribute: attrs.Attribute[ItemScope], value: ItemScope) -> None:
    if not isinstance(value, ItemScope):
        raise invalid(attribute.name, value, "must be an ItemScope")
    if value.is_everything:
        raise invalid(
            attribute.name, value, "covers every item",
            "name the categories or SKUs (ItemScope(categories={'母婴/奶粉'})), "
            "or use a PointsCampaign for the whole order",
        )


@policy("points.campaign")
@attrs.frozen(slots=True)
class PointsCampaign:
    """多倍积分: a points multiplier within a window and/or on member days."""

    multiplier: Decimal = attrs.field(converter=as_rate, validator=_multiplier)
    window: Window | None = None
    member_day: MemberDay | None = None
    name: str = ""

    def active(self, now: DateTime) -> bool:
        now = aware(now)
        if self.window is not None and not self.window.contains(now):
            return False
        return self.member_day is None or self.member_day.is_member_day(now)


@policy("points.item_multiplier")
@attrs.frozen(slots=True)
class ItemMultiplier:
    """品类/商品多倍积分: lines in ``scope`` earn ``multiplier`` times, e.g. 奶粉 x2.

    ``scope`` names categories, SKUs or tags (a scope covering everything is
    refused: that is a `PointsCampaign`); ``window``, if set, is when the
    rule runs (本周奶粉双倍积分). A multiplier below 1 earns less (特价商品积分减半:
    ``Decimal('0.5')``).

    >>> milk = ItemMultiplier(ItemScope(categories={"母婴/奶粉"}), Decimal(2), name="奶粉双倍")
    >>> milk.multiplier
    Decimal('2')
    """

    scope: ItemScope = attrs.field(validator=_narrow_scope)
    multiplier: Decimal = attrs.field(converter=as_rate, validator=_item_factor)
    window: Window | None = attrs.field(
        default=None, validator=optional(is_instance_of(Window, "a Window", "or None: always"))
    )
    name: str = attrs.field(default="", validator=is_instance_of(str, "a str"))

    def applies(self, sku: Sku, now: DateTime) -> bool:
        """True if this rule multiplies ``sku``'s points at ``now``."""
        return (self.window is None or self.window.contains(now)) and self.scope.matches(sku)


def _item_tuple(value: Sequence[ItemMultiplier]) -> tuple[ItemMultiplier, ...]:
    out = tuple(value)
    for i, m in enumerate(out):
        if not isinstance(m, ItemMultiplier):
            raise invalid(f"item_multipliers[{i}]", m, "must be an ItemMultiplier")
    return out


@policy("points.earn_rule")
@attrs.frozen(slots=True)
class EarnRule:
    """消费积分规则: points per yuan paid, multipliers, exclusions, a minimum and caps.

    >>> rule = EarnRule(points_per_yuan=Decimal("1"))
    """

    points_per_yuan: Decimal = attrs.field(
        default=Decimal(1), converter=as_rate, validator=_positive_rate
    )
    rounding: Rounding = Rounding.DOWN
    include_shipping: bool = False
    scope: ItemScope = attrs.field(factory=ItemScope)
    """Items that earn; exclude categories here (``exclude_categories``)."""
    campaigns: tuple[PointsCampaign, ...] = attrs.field(default=(), converter=tuple)
    stacking: MultiplierStacking = MultiplierStacking.MULTIPLY
    per_order_cap: int | None = attrs.field(default=None, validator=opt_positive_int)
    daily_cap: int | None = attrs.field(default=None, validator=opt_positive_int)
    min_order: Money | None = attrs.field(default=None, validator=opt_positive_money)
    """起积金额: an order whose goods paid less than this earns nothing (shipping not counted)."""
    item_multipliers: tuple[ItemMultiplier, ...] = attrs.field(
        default=(), converter=_item_tuple
    )
    """Per-category or per-SKU multipliers (奶粉 x2), on top of the order multiplier."""
    combine: MultiplierCombine = attrs.field(
        default=MultiplierCombine.BEST,
        validator=is_instance_of(MultiplierCombine, "a MultiplierCombine",
                                 "MultiplierCombine.BEST or MultiplierCombine.MULTIPLY"),
    )
    """How the item multipliers of several rules covering one line combine."""

    def multiplier(
        self, now: DateTime, tier: Decimal = Decimal(1), card: Decimal = Decimal(1)
    ) -> Decimal:
        """The combined order multiplier at ``now`` for a member with these multipliers."""
        factors = [as_rate(tier, "tier_multiplier"), as_rate(card, "card_multiplier")]
        for name, f in zip(("tier_multiplier", "card_multiplier"), factors):
            if f <= 0:
                raise invalid(name, f, "must be > 0", "pass Decimal('1') for no multiplier")
        factors += [c.multiplier for c in self.campaigns if c.active(now)]
        if self.stacking is MultiplierStacking.MULTIPLY:
            out = Decimal(1)
            for f in factors:
                out *= f
            return out
        if self.stacking is MultiplierStacking.ADD:
            return 1 + sum((f - 1 for f in factors), Decimal(0))
        return max([Decimal(1), *factors])

    def item_multiplier(self, sku: Sku, now: DateTime) -> Decimal:
        """The item multiplier of ``sku`` at ``now``: 1 when no `ItemMultiplier` covers it."""
        found = [m.multiplier for m in self.item_multipliers if m.applies(sku, now)]
        if not found:
            return Decimal(1)
        if self.combine is MultiplierCombine.BEST:
            return max(found)
        out = Decimal(1)
        for f in found:
            out *= f
        return out


@attrs.frozen(slots=True)
class EarningLine:
    """What the shopper actually paid for one line (after every discount)."""

    line_id: str
    sku: Sku
    paid: Money
    gift: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.paid, Money) or self.paid.minor < 0:
            raise invalid("paid", self.paid, "must be Money >= 0")


def paid_lines(state: PriceState) -> tuple[EarningLine, ...]:
    """The lines of a priced cart with what each pays after every stage."""
    return tuple(EarningLine(pl.id, pl.line.sku, pl.amount, pl.line.gift) for pl in state.lines)


@attrs.frozen(slots=True)
class EarnQuote:
    """Points an order earns, per line, and why."""

    points: int
    by_line: tuple[tuple[str, int], ...]
    multiplier: Decimal
    """The order multiplier (tier, card and campaigns); item multipliers are per line."""
    uncapped: int
    reasons: tuple[Reason, ...]

    def share_of(self, line_id: str) -> int:
        return dict(self.by_line).get(line_id, 0)


def _earning_lines(
    rule: EarnRule, lines: Sequence[EarningLine], now: DateTime, shipping: Money | None
) -> list[tuple[str, Money, Decimal]]:
    """``(line id, paid, item multiplier)`` of every line that earns."""
    out = [
        (ln.line_id, ln.paid, rule.item_multiplier(ln.sku, now)) for ln in lines
        if not ln.gift and ln.paid.minor > 0 and rule.scope.matches(ln.sku)
    ]
    if rule.include_shipping and shipping is not None and shipping.minor > 0:
        out.append((SHIPPING_LINE, shipping, Decimal(1)))
    return out


def _below_minimum(rule: EarnRule, lines: Sequence[EarningLine]) -> Reason | None:
    """Why the order earns nothing under ``min_order``, or None if it reaches it."""
    minimum = rule.min_order
    if minimum is None:
        return None
    paid = Money.zero(minimum.currency)
    for ln in lines:
        if not ln.gift:
            paid = paid + ln.paid
    return BELOW_MIN_ORDER(minimum=minimum, paid=paid) if paid < minimum else None


def _weights(earning: list[tuple[str, Money, Decimal]]) -> list[int]:
    """Each line's paid fen times its item multiplier, as exact integers on one scale."""
    ratios = [f.as_integer_ratio() for _, _, f in earning]
    scale = lcm(*(q for _, q in ratios))
    return [m.minor * p * (scale // q) for (_, m, _), (p, q) in zip(earning, ratios)]


def _item_reasons(earning: list[tuple[str, Money, Decimal]]) -> list[Reason]:
    """One reason per item multiplier other than 1, with what its lines paid."""
    paid: dict[Decimal, Money] = {}
    for _, m, f in earning:
        if f != 1:
            paid[f] = paid[f] + m if f in paid else m
    return [ITEM_MULTIPLIED(multiplier=f, paid=paid[f]) for f in sorted(paid)]


def quote_earning(
    rule: EarnRule,
    lines: Sequence[EarningLine],
    *,
    now: DateTime,
    shipping: Money | None = None,
    tier_multiplier: Decimal = Decimal(1),
    card_multiplier: Decimal = Decimal(1),
    earned_today: int = 0,
) -> EarnQuote:
    """How many points an order paying ``lines`` earns at ``now``.

    ``earned_today`` is what the member already earned today by this rule,
    for the daily cap.
    """
    now = aware(now)
    if type(earned_today) is not int or earned_today < 0:
        raise invalid("earned_today", earned_today, "must be an int >= 0")
    mult = rule.multiplier(now, tier_multiplier, card_multiplier)
    below = _below_minimum(rule, lines)
    if below is not None:
        return EarnQuote(0, (), mult, 0, (below,))
    earning = _earning_lines(rule, lines, now, shipping)
    if not earning:
        return EarnQuote(0, (), mult, 0, (NOTHING_TO_EARN(),))
    paid = sum((m for _, m, _ in earning), Money.zero(earning[0][1].currency))
    weighted = sum((m.amount * f for _, m, f in earning), Decimal(0))
    raw = round_decimal(weighted * rule.points_per_yuan * mult, rule.rounding)
    points = raw
    reasons = [EARNED(paid=paid, multiplier=mult, points=raw), *_item_reasons(earning)]
    if rule.per_order_cap is not None and points > rule.per_order_cap:
        points = rule.per_order_cap
        reasons.append(ORDER_CAP(cap=rule.per_order_cap))
    if rule.daily_cap is not None and points > rule.daily_cap - earned_today:
        points = max(0, rule.daily_cap - earned_today)
        reasons.append(DAILY_CAP(cap=rule.daily_cap, earned=earned_today))
    shares = allocate_int(points, _weights(earning)) if points else []
    by_line = tuple((lid, n) for (lid, _, _), n in zip(earning, shares) if n)
    return EarnQuote(points, by_line, mult, raw, tuple(reasons))
