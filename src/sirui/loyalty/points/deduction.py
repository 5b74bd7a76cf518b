"""积分抵现: paying part of an order with points, as stage 5 of the price pipeline.

`PointsDeductionStep` is a `sirui.rules.PricingStep`: it reads the running
`PriceState`, works out how many points the shopper may use, takes their cash
value off the lines open to the points stage (allocated like any discount),
and records ``points_used`` on the state.

The rules, in order (e.g. 100 points = 1 yuan, whole yuan only, at most 50%
of what is payable, at least 1,000 points per use):

1. the payable amount is the current amount of the lines open to the points
   stage and in the policy's scope;
2. the cap in money is ``max_share`` of it, rounded down to the fen;
3. points go in whole units (``unit_points``, one yuan's worth by default);
   the units used are the fewest of: what the cap allows, what the member
   has, what they asked for, and the per-order maximum;
4. below ``min_points`` nothing is deducted, and the state says why;
5. a request for more than the order can take is trimmed to what it can
   take, and said so: `DeductionPlan.trimmed` and the priced state's
   ``points_deduction_trimmed`` extra (``Quote.extra`` at checkout) hold a
   ``points.deduction_trimmed`` reason with the points ``requested``, the
   points ``allowed`` (what was used) and the order's ``cap`` (the share cap
   and ``max_points``, before the balance). A request that only loses its
   odd points to whole units (1,250 points as 1,200) is not a trim.

Invariants: the deduction never exceeds the cap, the balance or the request;
``points_used`` is always a whole number of units; the money taken off is
exactly ``points_used`` at the conversion rate; allocations sum exactly.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from sirui.config import fingerprint
from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding, allocate_int, as_rate, round_decimal
from sirui.core.registry import policy
from sirui.core.validators import non_negative_int, positive_int, rate_in_open_unit_interval
from sirui.rules.pricing import Adjustment, PriceState, Stage, allocate_off
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

__all__ = ["TRIMMED_EXTRA", "DeductionPlan", "DeductionPolicy", "PointsDeductionStep"]

DEDUCTED = reason_code(
    "points.deducted", zh="使用{points}积分抵扣{amount}", en="{points} points take {amount} off"
)
BELOW_MINIMUM = reason_code(
    "points.below_minimum",
    zh="满{minimum}积分才可抵扣，本单最多可用{usable}",
    en="At least {minimum} points per use; {usable} usable on this order",
)
NOTHING_TO_DEDUCT = reason_code(
    "points.nothing_to_deduct", zh="本单不可使用积分抵扣", en="No points can be used on this order"
)
NOT_REQUESTED = reason_code(
    "points.not_requested", zh="未选择使用积分", en="Points were not chosen for this order"
)
TRIMMED = reason_code(
    "points.deduction_trimmed",
    zh="申请使用{requested}积分，本单最多可用{allowed}积分（每单上限{cap}积分），"
    "已按{allowed}积分抵扣",
    en="{requested} points asked; this order takes at most {allowed} (cap {cap}), "
    "so {allowed} were used",
)

#: The extra of a priced state (and of a checkout `Quote`) that holds the trim reason.
TRIMMED_EXTRA = "points_deduction_trimmed"


@policy("points.deduction")
@attrs.frozen(slots=True)
class DeductionPolicy:
    """积分抵现规则: the conversion rate, the unit, the minimum and the caps.

    >>> DeductionPolicy(points_per_yuan=100, max_share=Decimal("0.5")).fen_per_unit
    100
    """

    points_per_yuan: int = attrs.field(default=100, validator=positive_int)
    unit_points: int | None = None
    """Points are used in multiples of this; None means one yuan's worth."""
    min_points: int = attrs.field(default=0, validator=non_negative_int)
    max_points: int | None = None
    max_share: Decimal = attrs.field(
        default=Decimal(1), converter=as_rate, validator=rate_in_open_unit_interval
    )
    """At most this share of the payable amount (e.g. 0.5)."""
    scope: ItemScope = attrs.field(factory=ItemScope)

    def __attrs_post_init__(self) -> None:
        unit = self.unit
        if type(unit) is not int or unit < 1:
            raise invalid("unit_points", self.unit_points, "must be None or an int >= 1")
        if (unit * 100) % self.points_per_yuan:
            raise invalid(
                "unit_points", unit,
                f"is not a whole number of fen at {self.points_per_yuan} points per yuan",
                "pick a unit that is worth whole fen",
            )
        if self.max_points is not None and (
            type(self.max_points) is not int or self.max_points < max(unit, self.min_points)
        ):
            raise invalid(
                "max_points", self.max_points,
                f"must be an int >= min_points ({self.min_points}) and >= one unit ({unit})",
                "raise the cap or lower the minimum",
            )

    @property
    def unit(self) -> int:
        return self.points_per_yuan if self.unit_points is None else self.unit_points

    @property
    def fen_per_unit(self) -> int:
        return self.unit * 100 // self.points_per_yuan

    def value_of(self, points: int, currency: str = "CNY") -> Money:
        """The cash value of ``points`` (whole units only)."""
        if type(points) is not int or points < 0 or points % self.unit:
            raise invalid("points", points, f"must be a non-negative multiple of {self.unit}")
        return Money(points // self.unit * self.fen_per_unit, currency)


@attrs.frozen(slots=True)
class DeductionPlan:
    """How many points a cart can take, and how many it will."""

    usable: int
    """The most points this cart could take given the caps and the balance."""
    points: int
    amount: Money
    cap: int | None = None
    """The order's cap in points (share of the payable and ``max_points``), before the balance."""
    trimmed: Reason | None = None
    """``points.deduction_trimmed`` when the request asked for more than ``usable``."""


@attrs.frozen(slots=True)
class PointsDeductionStep:
    """Stage 5 of the pipeline: use ``requested`` points (all usable if None).

    ``available`` is the member's spendable balance (`PointsLedger.available`).
    """

    policy: DeductionPolicy
    available: int = attrs.field(validator=non_negative_int)
    requested: int | None = None
    rule: str = "points"

    def __attrs_post_init__(self) -> None:
        if self.requested is not None:
            non_negative_int(self, attrs.fields(PointsDeductionStep).requested, self.requested)

    @property
    def stage(self) -> Stage:
        return Stage.POINTS

    def plan(self, state: PriceState) -> DeductionPlan:
        p = self.policy
        lines = state.eligible(Stage.POINTS, p.scope)
        payable = state.subtotal(lines)
        cap_fen = round_decimal(Decimal(payable.minor) * p.max_share, Rounding.DOWN)
        cap_units = cap_fen // p.fen_per_unit
        if p.max_points is not None:
            cap_units = min(cap_units, p.max_points // p.unit)
        units = min(cap_units, self.available // p.unit)
        usable = units * p.unit
        if self.requested is not None:
            units = min(units, self.requested // p.unit)
        if units * p.unit < p.min_points:
            units = 0
        points = units * p.unit
        trimmed = None
        if points and self.requested is not None and self.requested > usable:
            trimmed = TRIMMED(requested=self.requested, allowed=points, cap=cap_units * p.unit)
        return DeductionPlan(
            usable, points, Money(units * p.fen_per_unit, state.currency), cap_units * p.unit,
            trimmed,
        )

    def price(self, state: PriceState) -> PriceState:
        plan = self.plan(state)
        if not plan.points:
            if self.requested == 0:
                reason = NOT_REQUESTED()
            elif self.policy.min_points > 0 and plan.usable < self.policy.min_points:
                reason = BELOW_MINIMUM(minimum=self.policy.min_points, usable=plan.usable)
            else:
                reason = NOTHING_TO_DEDUCT()
            return state.skip(self.rule, Stage.POINTS, reason, "points.deduction")
        lines = state.eligible(Stage.POINTS, self.policy.scope)
        allocations = allocate_off(plan.amount, lines)
        adj = Adjustment(
            self.rule, Stage.POINTS, plan.amount, allocations,
            DEDUCTED(points=plan.points, amount=plan.amount), kind="points.deduction",
            fingerprint=fingerprint(self.policy),
        )
        by_line = tuple(
            zip((lid for lid, _ in allocations),
                allocate_int(plan.points, [m.minor for _, m in allocations]))
        )
        out = state.apply(adj).with_extra("points_used_by_line", by_line)
        if plan.trimmed is not None:
            out = out.with_extra(TRIMMED_EXTRA, plan.trimmed)
        return attrs.evolve(out, points_used=state.points_used + plan.points)
