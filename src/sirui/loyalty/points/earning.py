"""消费积分: points earned per yuan actually paid.

An `EarnRule` turns what a shopper paid for each line into points:

1. lines outside the rule's item scope (excluded categories, tags, SKUs) and
   gift lines earn nothing; shipping earns nothing unless ``include_shipping``;
2. the paid yuan are multiplied by ``points_per_yuan`` and by the
   multipliers: the member's tier multiplier and paid-card multiplier (plain
   Decimals from the host or the members module) and any active
   `PointsCampaign` (double-points days, 双倍积分日), combined by ``stacking``;
3. the result is rounded once, for the whole order, by ``rounding`` (down by
   default: 99.90 yuan earns 99 points);
4. the per-order cap, then the daily cap (given what the member already
   earned today) bound it;
5. the points are split over the lines in proportion to what each paid
   (largest remainder), so a refund of one line takes back exactly its share.

Invariants: the per-line shares sum to the points; no excluded line gets a
share; the points never exceed either cap.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding, allocate_int, as_rate, round_decimal
from sirui.core.nouns import Sku
from sirui.core.registry import policy
from sirui.core.validators import opt_positive_int
from sirui.core.windows import DateTime, MemberDay, Window, aware
from sirui.rules.pricing import SHIPPING_LINE, PriceState
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

__all__ = [
    "EarnQuote",
    "EarnRule",
    "MultiplierStacking",
    "PaidLine",
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


class MultiplierStacking(enum.Enum):
    """How tier, card and campaign multipliers combine."""

    MULTIPLY = "multiply"
    """2x tier on a 2x day earns 4x."""
    ADD = "add"
    """Extra parts add up: 2x tier on a 2x day earns 3x (1 + 1 + 1)."""
    BEST = "best"
    """Only the largest applies: 2x."""


def _multiplier(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 1:
        raise invalid(attribute.name, value, "must be >= 1", "e.g. Decimal('2') for double points")


def _positive_rate(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0:
        raise invalid(attribute.name, value, "must be > 0", "e.g. Decimal('1') point per yuan")


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


@policy("points.earn_rule")
@attrs.frozen(slots=True)
class EarnRule:
    """消费积分规则: points per yuan paid, multipliers, exclusions and caps.

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

    def multiplier(
        self, now: DateTime, tier: Decimal = Decimal(1), card: Decimal = Decimal(1)
    ) -> Decimal:
        """The combined multiplier at ``now`` for a member with these multipliers."""
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


@attrs.frozen(slots=True)
class PaidLine:
    """What the shopper actually paid for one line (after every discount)."""

    line_id: str
    sku: Sku
    paid: Money
    gift: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.paid, Money) or self.paid.minor < 0:
            raise invalid("paid", self.paid, "must be Money >= 0")


def paid_lines(state: PriceState) -> tuple[PaidLine, ...]:
    """The lines of a priced cart with what each pays after every stage."""
    return tuple(PaidLine(pl.id, pl.line.sku, pl.amount, pl.line.gift) for pl in state.lines)


@attrs.frozen(slots=True)
class EarnQuote:
    """Points an order earns, per line, and why."""

    points: int
    by_line: tuple[tuple[str, int], ...]
    multiplier: Decimal
    uncapped: int
    reasons: tuple[Reason, ...]

    def share_of(self, line_id: str) -> int:
        return dict(self.by_line).get(line_id, 0)


def quote_earning(
    rule: EarnRule,
    lines: Sequence[PaidLine],
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
    earning = [
        (ln.line_id, ln.paid) for ln in lines
        if not ln.gift and ln.paid.minor > 0 and rule.scope.matches(ln.sku)
    ]
    if rule.include_shipping and shipping is not None and shipping.minor > 0:
        earning.append((SHIPPING_LINE, shipping))
    if not earning:
        return EarnQuote(0, (), mult, 0, (NOTHING_TO_EARN(),))
    paid = sum((m for _, m in earning), Money.zero(earning[0][1].currency))
    raw = round_decimal(paid.amount * rule.points_per_yuan * mult, rule.rounding)
    points = raw
    reasons = [EARNED(paid=paid, multiplier=mult, points=raw)]
    if rule.per_order_cap is not None and points > rule.per_order_cap:
        points = rule.per_order_cap
        reasons.append(ORDER_CAP(cap=rule.per_order_cap))
    if rule.daily_cap is not None and points > rule.daily_cap - earned_today:
        points = max(0, rule.daily_cap - earned_today)
        reasons.append(DAILY_CAP(cap=rule.daily_cap, earned=earned_today))
    shares = allocate_int(points, [m.minor for _, m in earning]) if points else []
    by_line = tuple((lid, n) for (lid, _), n in zip(earning, shares) if n)
    return EarnQuote(points, by_line, mult, raw, tuple(reasons))
