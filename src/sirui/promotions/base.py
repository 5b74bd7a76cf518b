"""The two policy families of promotions and the claimed coupon.

A `Promotion` (促销) is an order- or line-level offer applied at one stage of
the price pipeline (`sirui.rules.pricing.Stage`); a `CouponTemplate`
(优惠券模板) says what a coupon gives and when it may be used; a `Coupon` is
one claimed instance of a template in a member's wallet.

Invariants every concrete class keeps (tested with hypothesis):

* ``price(state)`` only discounts ``state.eligible(stage, scope)``: lines in
  the promotion's scope, open to its stage, with something left to discount;
* the discount is allocated with `sirui.rules.allocate_off`, so the shares
  sum exactly to the adjustment, no line goes below zero, and the result does
  not depend on the order of lines in the cart (states keep lines by id);
* a promotion that does not apply returns ``state.skip(...)`` with the reason
  (outside its window, condition failed, below its threshold and by how much).

The helpers here (`gate`, `make_adjustment`, `cached_fingerprint`) hold the
parts every promotion and template share, so each concrete policy is just its
own arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, as_rate
from sirui.core.registry import policy_family, tag_of
from sirui.core.validators import (
    is_instance_of,
    non_empty_str,
    opt_non_empty_str,
    opt_non_negative_money,
    opt_positive_int,
    optional,
)
from sirui.core.windows import DateTime, Validity, Window, aware
from sirui.core.zh import zh_datetime
from sirui.rules.conditions import Always, Condition
from sirui.rules.pricing import (
    Adjustment,
    FenAdjustment,
    FenState,
    PricedLine,
    PriceState,
    ReasonLike,
    Stage,
    allocate_fen,
    allocate_off,
)
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

__all__ = [
    "Coupon",
    "CouponTemplate",
    "CouponTemplateBase",
    "Promotion",
    "PromotionBase",
    "cached_fingerprint",
    "gate",
    "gate_fen",
    "make_adjustment",
    "prices_in_fen",
    "take_fen",
]

OUTSIDE_WINDOW = reason_code(
    "promotion.outside_window",
    zh="不在活动时间内（{start_zh} 至 {end_zh}）",
    en="Outside the promotion window {start} to {end}",
)
NO_ELIGIBLE_LINES = reason_code(
    "promotion.no_eligible_lines",
    zh="购物车中没有参与该活动的商品",
    en="No item in the cart takes part in this offer",
)
NOTHING_OFF = reason_code(
    "promotion.nothing_off",
    zh="该活动对当前购物车没有优惠",
    en="The offer gives nothing off this cart",
)


@policy_family
class Promotion:
    """An order-level or line-level offer applied at one pipeline stage (促销).

    Every concrete promotion is a frozen attrs policy with at least these
    fields: ``id``, ``name``, ``priority`` (higher applies first within its
    stage), ``group`` (exclusion group: at most one promotion of a group
    applies), ``exclusive`` (when applied, no other promotion of its stage
    applies), ``condition``, ``scope``, ``window`` and
    ``stacks_with_coupons`` (False: lines it discounted are closed to the
    coupon stage).
    """

    __slots__ = ()

    id: str
    name: str
    priority: int
    group: str | None
    exclusive: bool
    condition: Condition
    scope: ItemScope
    window: Window | None
    stacks_with_coupons: bool

    @property
    def stage(self) -> Stage:  # pragma: no cover - abstract
        """The pipeline stage this promotion runs at."""
        raise NotImplementedError

    @property
    def kind(self) -> str:
        """The policy tag (``"promotion.full_reduction"``)."""
        return tag_of(type(self)) or type(self).__name__

    def price(self, state: PriceState) -> PriceState:  # pragma: no cover - abstract
        """Apply to ``state`` and return the new state, or skip with the reason."""
        raise NotImplementedError


@policy_family
class CouponTemplate:
    """What a coupon gives and when it may be used (优惠券模板).

    Fields every template has: ``id``, ``name``, ``slot`` (the kind counted by
    stacking limits: ``"store"``, ``"shipping"``, ``"item"``, ``"exchange"``),
    ``scope``, ``condition``, ``validity``, ``total_quota``,
    ``per_member_limit``, ``stacks_with_promotions`` and ``sale_price`` (a
    coupon sold for money: 1元购100元券).
    """

    __slots__ = ()

    id: str
    name: str
    slot: str
    scope: ItemScope
    condition: Condition
    validity: Validity
    total_quota: int | None
    per_member_limit: int | None
    stacks_with_promotions: bool
    sale_price: Money | None

    @property
    def stage(self) -> Stage:  # pragma: no cover - abstract
        """`Stage.COUPON`, or `Stage.SHIPPING` for free-shipping coupons."""
        raise NotImplementedError

    @property
    def kind(self) -> str:
        """The policy tag (``"coupon.amount_off"``)."""
        return tag_of(type(self)) or type(self).__name__

    def price(self, state: PriceState, coupon: Coupon) -> PriceState:  # pragma: no cover
        """Apply one claimed coupon to ``state``, or skip with the reason."""
        raise NotImplementedError


@attrs.frozen(slots=True)
class Coupon:
    """A claimed coupon in a member's wallet (已领取的优惠券).

    ``valid`` is computed from the template's validity at claim time (use
    `Coupon.claimed`) and never changes afterwards, even if the template's
    validity is later edited.
    """

    id: str = attrs.field(validator=non_empty_str)
    template: CouponTemplate
    member_id: str = attrs.field(validator=non_empty_str)
    claimed_at: DateTime = attrs.field(converter=aware)
    valid: Window

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.template, CouponTemplate):
            raise invalid("template", self.template, "must be a CouponTemplate")
        if not isinstance(self.valid, Window):
            raise invalid("valid", self.valid, "must be a Window")

    @classmethod
    def claimed(
        cls, id: str, template: CouponTemplate, member_id: str, claimed_at: DateTime
    ) -> Coupon:
        """A coupon claimed at ``claimed_at``, valid by the template's validity."""
        return cls(id, template, member_id, claimed_at, template.validity.window_for(claimed_at))

    def is_valid_at(self, now: DateTime) -> bool:
        return self.valid.contains(now)


def cached_fingerprint(policy_obj: Any) -> str:
    """`sirui.config.fingerprint` (memoised by identity there)."""
    from sirui.config import fingerprint

    return fingerprint(policy_obj)


def _window_reason(window: Window) -> Reason:
    end = window.end.isoformat() if window.end is not None else "-"
    end_zh = zh_datetime(window.end) if window.end is not None else "不限"
    return OUTSIDE_WINDOW(start=window.start.isoformat(), end=end,
                          start_zh=zh_datetime(window.start), end_zh=end_zh)


def gate(
    rule: Promotion | CouponTemplate,
    state: PriceState,
    stage: Stage,
    window: Window | None = None,
) -> tuple[tuple[PricedLine, ...], PriceState | None]:
    """The checks every rule shares: window, eligible lines, condition.

    Returns ``(eligible lines, None)`` when the rule may go on, or
    ``((), skipped state)`` with the reason it stops. The condition sees
    facts over the eligible lines only, so ``AmountAtLeast`` inside a
    scoped rule compares the scoped subtotal.
    """
    if window is not None and not window.contains(state.now):
        return (), state.skip(rule.id, stage, _window_reason(window), rule.kind)
    scope = rule.scope
    lines = state.eligible(stage, None if scope.is_everything else scope)
    if not lines:
        return (), state.skip(rule.id, stage, NO_ELIGIBLE_LINES(), rule.kind)
    if not isinstance(rule.condition, Always):
        verdict = rule.condition.evaluate(state.facts(lines))
        if not verdict.ok:
            reason = verdict.reasons[0] if verdict.reasons else NOTHING_OFF()
            return (), state.skip(rule.id, stage, reason, rule.kind)
    return lines, None


def make_adjustment(
    rule: Promotion | CouponTemplate,
    state: PriceState,
    stage: Stage,
    amount: Money,
    lines: Sequence[PricedLine],
    *,
    reason: Reason,
    weights: Sequence[Money] | None = None,
    blocks: frozenset[Stage] = frozenset(),
    activity: str | None = None,
    rule_id: str | None = None,
) -> PriceState:
    """Allocate ``amount`` over ``lines`` and apply it, or skip if nothing is off.

    The amount is capped at the lines' current total by `allocate_off`, so
    the adjustment recorded is what the lines actually lost.
    """
    allocations = allocate_off(amount, lines, weights)
    rid = rule_id or rule.id
    if not allocations:
        return state.skip(rid, stage, NOTHING_OFF(), rule.kind)
    total = Money(sum(m.minor for _, m in allocations), amount.currency)
    adj = Adjustment(
        rule=rid,
        stage=stage,
        amount=total,
        allocations=allocations,
        reason=reason,
        kind=rule.kind,
        fingerprint=cached_fingerprint(rule),
        blocks=blocks,
        activity=activity,
    )
    return state.apply(adj)


_FEN_TWINS = (("price", "price_fen"), ("_off", "_off_fen"))


def prices_in_fen(policy_obj: object) -> bool:
    """True if ``policy_obj`` prices in fen exactly as its class prices with ``price``.

    Each method the price depends on must come with its fen twin from the
    same class: a subclass that overrides ``price`` (or a coupon's ``_off``)
    without its twin must not inherit its parent's integer pricing.
    """
    mro = type(policy_obj).__mro__
    for name, twin in _FEN_TWINS:
        owner = next((k for k in mro if name in k.__dict__), None)
        if owner is None:
            if name == "price":
                return False
            continue
        if twin not in owner.__dict__:
            return False
    return True


def solo_lines_fen(template: CouponTemplate, fs: FenState) -> list[int] | None:
    """`gate_fen` for a coupon's ``solo_fen``: the eligible lines, or None to ask `price_fen`.

    Nothing is recorded: a coupon with no eligible line, or with a condition
    to evaluate, is priced in full, which says why.
    """
    if not isinstance(template.condition, Always):
        return None
    return fs.eligible(template.stage, template.scope) or None


def gate_fen(
    rule: Promotion | CouponTemplate,
    fs: FenState,
    stage: Stage,
    window: Window | None = None,
) -> list[int] | None:
    """`gate` in fen: the eligible line indices, or None once the skip is recorded."""
    if window is not None and not window.contains(fs.base.now):
        fs.skip(rule.id, stage, lambda: _window_reason(window), rule.kind)
        return None
    scope = rule.scope
    idx = fs.eligible(stage, scope)
    if not idx:
        fs.skip(rule.id, stage, NO_ELIGIBLE_LINES, rule.kind)
        return None
    if not isinstance(rule.condition, Always):
        verdict = rule.condition.evaluate(fs.facts(idx))
        if not verdict.ok:
            reason = verdict.reasons[0] if verdict.reasons else NOTHING_OFF()
            fs.skip(rule.id, stage, reason, rule.kind)
            return None
    return idx


def take_fen(
    rule: Promotion | CouponTemplate,
    fs: FenState,
    stage: Stage,
    amount: int,
    idx: Sequence[int],
    *,
    reason: ReasonLike,
    weights: Sequence[int] | None = None,
    blocks: frozenset[Stage] = frozenset(),
    activity: str | None = None,
    rule_id: str | None = None,
    exact: bool = False,
) -> None:
    """`make_adjustment` in fen: allocate ``amount`` over the lines ``idx`` and apply it.

    ``idx`` is in line order (as `FenState.eligible` gives it). ``exact``
    says the ``weights`` are the shares already: each positive, within its
    line's amount, and summing to ``amount`` (a discount line by line, which
    is what allocating it would give).
    """
    amounts = fs.amounts
    rid = rule_id or rule.id
    if exact and weights is not None and not fs.dry:
        fs.apply(FenAdjustment(
            rid, stage, amount, tuple(zip(idx, weights, strict=True)), reason, rule.kind, rule,
            blocks, activity,
        ))
        return
    if fs.dry:
        total = min(amount, fs.subtotal(idx))
        if total <= 0:
            fs.skip(rid, stage, NOTHING_OFF, rule.kind)
        else:
            fs.adjustments = (*fs.adjustments, FenAdjustment(
                rid, stage, total, (), reason, rule.kind, rule, blocks, activity
            ))
        return
    shares = allocate_fen(amount, [amounts[i] for i in idx], weights)
    pairs = tuple([(i, f) for i, f in zip(idx, shares, strict=True) if f])
    if not pairs:
        fs.skip(rid, stage, NOTHING_OFF, rule.kind)
        return
    fs.apply(FenAdjustment(
        rid, stage, sum(shares), pairs, reason, rule.kind, rule, blocks, activity
    ))


# -- shared fields and validators of the concrete policies ----------------------------


def _int(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int:
        raise invalid(attribute.name, value, "must be an int")


_condition = is_instance_of(Condition, "a Condition", "e.g. TierIn({'gold'})")
_scope = is_instance_of(ItemScope, "an ItemScope", "e.g. ItemScope(skus={'A1'})")
_opt_window = optional(is_instance_of(Window, "a Window or None"))


def pay_rate(value: object) -> Decimal:
    """Converter and check for a pay rate in (0, 1] (``"0.95"`` is 9.5折)."""
    rate = as_rate(value, "rate")
    if not Decimal(0) < rate <= Decimal(1):
        raise invalid(
            "rate", value, "must be in (0, 1]: the share of the price the shopper pays",
            "write 9.5折 as '0.95' and 半价 as '0.5'",
        )
    return rate


@attrs.frozen(slots=True)
class PromotionBase(Promotion):
    """The fields every built-in promotion shares (not a policy itself).

    ``id`` is positional; the rest are keyword-only with the defaults of the
    interface: no condition, every item, no schedule, stacks with coupons.
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(default="", kw_only=True)
    priority: int = attrs.field(default=0, kw_only=True, validator=_int)
    group: str | None = attrs.field(default=None, kw_only=True, validator=opt_non_empty_str)
    exclusive: bool = attrs.field(default=False, kw_only=True)
    condition: Condition = attrs.field(factory=Always, kw_only=True, validator=_condition)
    scope: ItemScope = attrs.field(factory=ItemScope, kw_only=True, validator=_scope)
    window: Window | None = attrs.field(default=None, kw_only=True, validator=_opt_window)
    stacks_with_coupons: bool = attrs.field(default=True, kw_only=True)

    @property
    def blocks(self) -> frozenset[Stage]:
        """Stages the lines this promotion discounts are closed to afterwards."""
        return frozenset() if self.stacks_with_coupons else _COUPON_ONLY

    def _gate(self, state: PriceState) -> tuple[tuple[PricedLine, ...], PriceState | None]:
        return gate(self, state, self.stage, self.window)

    def _apply(
        self,
        state: PriceState,
        amount: Money,
        lines: Sequence[PricedLine],
        *,
        reason: Reason,
        weights: Sequence[Money] | None = None,
        activity: str | None = None,
    ) -> PriceState:
        return make_adjustment(
            self, state, self.stage, amount, lines,
            reason=reason, weights=weights, blocks=self.blocks, activity=activity,
        )


_COUPON_ONLY = frozenset({Stage.COUPON})


_validity = is_instance_of(
    Validity, "a Validity", "e.g. DaysAfterClaim(7) or FixedValidity(Window(start, end))"
)


def _slot(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise invalid(attribute.name, value, "must be a non-empty slot name like 'store'")


@attrs.frozen(slots=True)
class CouponTemplateBase(CouponTemplate):
    """The fields every built-in coupon template shares (not a policy itself).

    ``id`` is positional; the rest are keyword-only. ``validity`` is required:
    a coupon without an end date is a liability on the books.
    """

    id: str = attrs.field(validator=non_empty_str)
    validity: Validity = attrs.field(kw_only=True, validator=_validity)
    name: str = attrs.field(default="", kw_only=True)
    slot: str = attrs.field(default="store", kw_only=True, validator=_slot)
    scope: ItemScope = attrs.field(factory=ItemScope, kw_only=True, validator=_scope)
    condition: Condition = attrs.field(factory=Always, kw_only=True, validator=_condition)
    total_quota: int | None = attrs.field(default=None, kw_only=True, validator=opt_positive_int)
    per_member_limit: int | None = attrs.field(
        default=None, kw_only=True, validator=opt_positive_int
    )
    stacks_with_promotions: bool = attrs.field(default=True, kw_only=True)
    sale_price: Money | None = attrs.field(
        default=None, kw_only=True, validator=opt_non_negative_money
    )
