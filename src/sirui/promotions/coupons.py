"""Coupon templates (优惠券模板): what a claimed coupon takes off, and when it may.

Kinds:

* `AmountOffCoupon` (满减券): ``off`` when the eligible lines reach
  ``threshold`` (满100减10); a threshold of zero is a no-threshold coupon.
* `NoThresholdCoupon` (无门槛券): ``off`` on any order (capped at the lines).
* `PercentOffCoupon` (折扣券): the eligible lines at ``rate`` (9.5折),
  the discount capped at ``cap``, above an optional threshold.
* `FreeShippingCoupon` (免邮券): waives the shipping fee (up to ``cap``)
  at the shipping stage; slot ``"shipping"``.
* `ExchangeCoupon` (兑换券): one (or ``quantity``) unit of one SKU free;
  slot ``"exchange"``.

Scoped coupons (商品券, 品类券) are any of these with a ``scope`` (and,
by convention, ``slot="item"``). A sold coupon (1元购100元券) carries a
``sale_price``: the wallet only issues it against that payment.

Every template's ``price(state, coupon)`` checks, in order, and skips with
the reason at the first failure: the coupon is of this template, it belongs
to the cart's member, ``now`` is within its validity, some line is
eligible, the condition holds, the eligible lines' *current* amounts reach
the threshold. The adjustment's ``rule`` is the coupon id (two coupons of one
template are two rules), its ``kind`` the template's tag, its fingerprint the
template's.

Invariants: a coupon never takes off more than its eligible lines' current
amounts (or the shipping fee left); a threshold coupon never gives more than
its threshold (refused at construction).
"""

from __future__ import annotations

import bisect
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, allocate_int
from sirui.core.registry import policy
from sirui.core.validators import (
    non_negative_money,
    opt_positive_money,
    positive_int,
    positive_money,
)
from sirui.core.zh import zh_datetime
from sirui.promotions.base import (
    NOTHING_OFF,
    Coupon,
    CouponTemplateBase,
    cached_fingerprint,
    gate,
    gate_fen,
    make_adjustment,
    pay_rate,
    solo_lines_fen,
    take_fen,
)
from sirui.promotions.shipping import (
    NO_SHIPPING_FEE,
    remaining_shipping_fee,
    waive_shipping,
    waive_shipping_fen,
)
from sirui.rules.pricing import FenState, PricedLine, PriceState, ReasonLike, Stage, times_fen
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "AmountOffCoupon",
    "ExchangeCoupon",
    "FreeShippingCoupon",
    "NoThresholdCoupon",
    "PercentOffCoupon",
    "check_coupon",
    "check_coupon_fen",
]

WRONG_TEMPLATE = reason_code(
    "coupon.wrong_template",
    zh="优惠券{coupon}不属于该券模板",
    en="Coupon {coupon} is not of this template",
)
NOT_OWNER = reason_code(
    "coupon.not_owner",
    zh="优惠券{coupon}不属于当前会员",
    en="Coupon {coupon} belongs to another member",
)
NOT_YET_VALID = reason_code(
    "coupon.not_yet_valid", zh="优惠券{start_zh}起可用", en="The coupon is usable from {start}"
)
EXPIRED = reason_code("coupon.expired", zh="优惠券已于{end_zh}过期",
                      en="The coupon expired at {end}")
BELOW_THRESHOLD = reason_code(
    "coupon.below_threshold",
    zh="订单满{threshold}可用，还差{short}",
    en="Usable on orders of {threshold} or more; {short} to go",
)
AMOUNT_OFF = reason_code(
    "coupon.amount_off", zh="满{threshold}减{off}券", en="{off} off on {threshold} or more"
)
NO_THRESHOLD = reason_code("coupon.no_threshold", zh="无门槛减{off}券", en="{off} off, no minimum")
PERCENT_OFF = reason_code(
    "coupon.percent_off", zh="{rate}折券，减{off}", en="Pay {rate} of the price: {off} off"
)
FREE_SHIPPING = reason_code("coupon.free_shipping", zh="免邮券", en="Free-shipping coupon")
EXCHANGE = reason_code(
    "coupon.exchange",
    zh="兑换券：{sku}×{quantity}免费",
    en="Exchange coupon: {sku} x{quantity} free",
)
NO_EXCHANGE_ITEM = reason_code(
    "coupon.no_exchange_item",
    zh="购物车中没有可兑换商品{sku}",
    en="The cart has no {sku} to exchange",
)


def check_coupon(
    template: CouponTemplateBase, state: PriceState, coupon: Coupon, stage: Stage
) -> tuple[tuple[PricedLine, ...], PriceState | None]:
    """Ownership, validity, eligibility and condition; ``(lines, None)`` if usable."""
    reason: Reason | None = None
    if coupon.template is not template and coupon.template != template:
        reason = WRONG_TEMPLATE(coupon=coupon.id)
    elif coupon.member_id != state.cart.member.id:
        reason = NOT_OWNER(coupon=coupon.id)
    elif coupon.valid.is_after(state.now):
        reason = NOT_YET_VALID(start=coupon.valid.start.isoformat(),
                               start_zh=zh_datetime(coupon.valid.start))
    elif coupon.valid.is_before(state.now):
        end = coupon.valid.end
        reason = EXPIRED(end=end.isoformat() if end is not None else "-",
                         end_zh=zh_datetime(end) if end is not None else "-")
    if reason is not None:
        return (), state.skip(coupon.id, stage, reason, template.kind)
    lines, skipped = gate(template, state, stage)
    if skipped is not None:
        # gate records the template id; the coupon id is the rule here.
        last = skipped.not_applied[-1]
        return (), state.skip(coupon.id, stage, last.reason, template.kind)
    return lines, None


def check_coupon_fen(
    template: CouponTemplateBase, fs: FenState, coupon: Coupon, stage: Stage
) -> list[int] | None:
    """`check_coupon` in fen: the usable line indices, or None once the skip is recorded."""
    reason: ReasonLike | None = None
    valid, now = coupon.valid, fs.base.now
    if coupon.template is not template and coupon.template != template:
        reason = WRONG_TEMPLATE(coupon=coupon.id)
    elif coupon.member_id != fs.base.cart.member.id:
        reason = NOT_OWNER(coupon=coupon.id)
    # `Window.is_after` / `is_before` without re-checking that ``now`` is aware.
    elif now < valid.start:
        reason = NOT_YET_VALID(start=valid.start.isoformat(), start_zh=zh_datetime(valid.start))
    elif valid.end is not None and now >= valid.end:
        reason = EXPIRED(end=valid.end.isoformat(), end_zh=zh_datetime(valid.end))
    if reason is not None:
        fs.skip(coupon.id, stage, reason, template.kind)
        return None
    idx = gate_fen(template, fs, stage)
    if idx is None:
        # gate records the template id; the coupon id is the rule here.
        fs.not_applied = (*fs.not_applied[:-1], fs.not_applied[-1]._replace(rule=coupon.id))
    return idx


def _below(
    template: CouponTemplateBase, state: PriceState, coupon: Coupon, threshold: Money,
    base: Money,
) -> PriceState | None:
    if base >= threshold:
        return None
    reason = BELOW_THRESHOLD(threshold=threshold, short=threshold - base)
    return state.skip(coupon.id, template.stage, reason, template.kind)


class _DiscountCoupon(CouponTemplateBase):
    """Shared pricing of the coupons that discount lines at the coupon stage."""

    __slots__ = ()

    @property
    def stage(self) -> Stage:
        return Stage.COUPON

    def _threshold(self) -> Money | None:
        return None

    def _off(self, base: Money) -> tuple[Money, Reason]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _off_fen(self, base: int, currency: str) -> tuple[int, ReasonLike]:
        off, reason = self._off(Money._raw(base, currency))
        return off.minor, reason

    def _offer_fen(self, base: int, currency: str) -> tuple[int, ReasonLike]:
        """What this coupon takes off eligible lines of ``base`` fen, and why (0: why not)."""
        threshold = self._threshold()
        if threshold is not None and base < threshold.minor:
            short = Money._raw(threshold.minor - base, threshold.currency)
            return 0, lambda: BELOW_THRESHOLD(threshold=threshold, short=short)
        off, reason = self._off_fen(base, currency)
        return off, reason if off else NOTHING_OFF

    def price_fen(self, fs: FenState, coupon: Coupon) -> None:
        """`price` in fen."""
        idx = check_coupon_fen(self, fs, coupon, self.stage)
        if idx is None:
            return
        off, reason = self._offer_fen(fs.subtotal(idx), fs.currency)
        if off == 0:
            fs.skip(coupon.id, self.stage, reason, self.kind)
            return
        take_fen(self, fs, self.stage, off, idx, reason=reason, rule_id=coupon.id)

    def solo_fen(self, fs: FenState, coupon: Coupon) -> int | None:
        """The fen this coupon alone would take off ``fs``, or None to ask `price_fen`.

        The best-coupon search ranks every coupon by what it saves on its own;
        this is that figure without allocating it, for a coupon the checkout
        has already checked (its owner, its validity window) on a state where
        it stacks. None means "price me to find out" (the coupon may take
        nothing, and only `price_fen` says why); a number equals what
        `price_fen` would take off a dry copy of ``fs``. The checkout asks only
        a class that defines ``solo_fen`` next to its ``price_fen``.
        """
        idx = solo_lines_fen(self, fs)
        if idx is None:
            return None
        base = fs.subtotal(idx)
        off = min(self._offer_fen(base, fs.currency)[0], base)
        return off if off > 0 else None

    def price(self, state: PriceState, coupon: Coupon) -> PriceState:
        lines, skipped = check_coupon(self, state, coupon, self.stage)
        if skipped is not None:
            return skipped
        base = state.subtotal(lines)
        threshold = self._threshold()
        if threshold is not None:
            below = _below(self, state, coupon, threshold, base)
            if below is not None:
                return below
        off, reason = self._off(base)
        if off.is_zero():
            return state.skip(coupon.id, self.stage, NOTHING_OFF(), self.kind)
        return make_adjustment(
            self, state, self.stage, off, lines, reason=reason, rule_id=coupon.id
        )


@policy("coupon.amount_off")
@attrs.frozen(slots=True)
class AmountOffCoupon(_DiscountCoupon):
    """满减券: ``off`` when the eligible lines reach ``threshold`` (满100减10)."""

    off: Money = attrs.field(kw_only=True, validator=positive_money)
    threshold: Money = attrs.field(
        kw_only=True, factory=lambda: Money(0), validator=non_negative_money
    )

    def __attrs_post_init__(self) -> None:
        if self.off.currency != self.threshold.currency:
            raise invalid("off", self.off, f"currency differs from threshold={self.threshold}")
        if self.threshold.minor > 0 and self.off > self.threshold:
            raise invalid(
                "off", self.off, f"is above the threshold {self.threshold}",
                "a threshold coupon cannot give more than the amount that unlocks it",
            )

    def _threshold(self) -> Money | None:
        return self.threshold

    def _off(self, base: Money) -> tuple[Money, Reason]:
        if self.threshold.is_zero():
            return self.off, NO_THRESHOLD(off=self.off)
        return self.off, AMOUNT_OFF(threshold=self.threshold, off=self.off)

    def _off_fen(self, base: int, currency: str) -> tuple[int, ReasonLike]:
        if self.threshold.minor == 0:
            return self.off.minor, lambda: NO_THRESHOLD(off=self.off)
        return self.off.minor, lambda: AMOUNT_OFF(threshold=self.threshold, off=self.off)


@policy("coupon.no_threshold")
@attrs.frozen(slots=True)
class NoThresholdCoupon(_DiscountCoupon):
    """无门槛券: ``off`` on any order, never more than the eligible lines."""

    off: Money = attrs.field(kw_only=True, validator=positive_money)

    def _off(self, base: Money) -> tuple[Money, Reason]:
        return self.off, NO_THRESHOLD(off=self.off)

    def _off_fen(self, base: int, currency: str) -> tuple[int, ReasonLike]:
        return self.off.minor, lambda: NO_THRESHOLD(off=self.off)


@policy("coupon.percent_off")
@attrs.frozen(slots=True)
class PercentOffCoupon(_DiscountCoupon):
    """折扣券: the eligible lines at ``rate`` (0.95 is 9.5折), the discount capped at ``cap``."""

    rate: Decimal = attrs.field(kw_only=True, converter=pay_rate)
    cap: Money | None = attrs.field(default=None, kw_only=True, validator=opt_positive_money)
    threshold: Money = attrs.field(
        kw_only=True, factory=lambda: Money(0), validator=non_negative_money
    )

    def __attrs_post_init__(self) -> None:
        if self.rate == 1:
            raise invalid("rate", self.rate, "must be below 1 to give anything", "e.g. '0.95'")

    def _threshold(self) -> Money | None:
        return self.threshold

    def _off(self, base: Money) -> tuple[Money, Reason]:
        off = base - base.times(self.rate)
        if self.cap is not None:
            off = off.min(self.cap)
        rate = f"{(self.rate * 10).normalize():f}"
        return off, PERCENT_OFF(rate=rate, off=off)

    def off_fen(self, base: int) -> int:
        """What ``_off`` takes off ``base`` fen, in fen."""
        off = base - times_fen(base, self.rate)
        return off if self.cap is None else min(off, self.cap.minor)

    def _off_fen(self, base: int, currency: str) -> tuple[int, ReasonLike]:
        off = self.off_fen(base)
        return off, lambda: PERCENT_OFF(
            rate=f"{(self.rate * 10).normalize():f}", off=Money._raw(off, currency)
        )


@policy("coupon.free_shipping")
@attrs.frozen(slots=True)
class FreeShippingCoupon(CouponTemplateBase):
    """免邮券: waives the shipping fee (up to ``cap``) when the lines reach ``threshold``."""

    slot: str = attrs.field(default="shipping", kw_only=True)
    threshold: Money = attrs.field(
        kw_only=True, factory=lambda: Money(0), validator=non_negative_money
    )
    cap: Money | None = attrs.field(default=None, kw_only=True, validator=opt_positive_money)

    @property
    def stage(self) -> Stage:
        return Stage.SHIPPING

    def price(self, state: PriceState, coupon: Coupon) -> PriceState:
        lines, skipped = check_coupon(self, state, coupon, self.stage)
        if skipped is not None:
            return skipped
        if remaining_shipping_fee(state).minor <= 0:
            return state.skip(coupon.id, self.stage, NO_SHIPPING_FEE(), self.kind)
        below = _below(self, state, coupon, self.threshold, state.subtotal(lines))
        if below is not None:
            return below
        return waive_shipping(
            state, rule=coupon.id, kind=self.kind, fingerprint=cached_fingerprint(self),
            reason=FREE_SHIPPING(), cap=self.cap,
        )

    def price_fen(self, fs: FenState, coupon: Coupon) -> None:
        """`price` in fen."""
        idx = check_coupon_fen(self, fs, coupon, self.stage)
        if idx is None:
            return
        if fs.shipping_left() <= 0:
            fs.skip(coupon.id, self.stage, NO_SHIPPING_FEE, self.kind)
            return
        base, threshold = fs.subtotal(idx), self.threshold
        if base < threshold.minor:
            short = Money._raw(threshold.minor - base, threshold.currency)
            fs.skip(coupon.id, self.stage,
                    lambda: BELOW_THRESHOLD(threshold=threshold, short=short), self.kind)
            return
        waive_shipping_fen(fs, rule=coupon.id, kind=self.kind, policy=self,
                           reason=FREE_SHIPPING, cap=self.cap)


@policy("coupon.exchange")
@attrs.frozen(slots=True)
class ExchangeCoupon(CouponTemplateBase):
    """兑换券: ``quantity`` unit(s) of ``sku`` in the cart become free.

    The value taken off is the current amount of those units (their share of
    the line after earlier stages), so an exchange coupon never pays money out.
    """

    sku: str = attrs.field(kw_only=True)
    quantity: int = attrs.field(default=1, kw_only=True, validator=positive_int)
    slot: str = attrs.field(default="exchange", kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.sku, str) or not self.sku:
            raise invalid("sku", self.sku, "must be a SKU id")

    @property
    def stage(self) -> Stage:
        return Stage.COUPON

    def price(self, state: PriceState, coupon: Coupon) -> PriceState:
        lines, skipped = check_coupon(self, state, coupon, self.stage)
        if skipped is not None:
            return skipped
        mine = [pl for pl in lines if pl.line.sku.id == self.sku]
        if not mine:
            return state.skip(coupon.id, self.stage, NO_EXCHANGE_ITEM(sku=self.sku), self.kind)
        # Free the units of the dearest line first (then by id): best for the shopper.
        mine.sort(key=lambda pl: (-pl.amount.minor * 1_000_000 // pl.line.quantity, pl.id))
        left = self.quantity
        chosen: list[PricedLine] = []
        weights: list[Money] = []
        for pl in mine:
            if left == 0:
                break
            n = min(left, pl.line.quantity)
            share = pl.amount if n == pl.line.quantity else pl.amount.allocate(
                [n, pl.line.quantity - n]
            )[0]
            chosen.append(pl)
            weights.append(share)
            left -= n
        off = sum(weights, Money.zero(state.currency))
        reason = EXCHANGE(sku=self.sku, quantity=self.quantity - left)
        return make_adjustment(
            self, state, self.stage, off, chosen, reason=reason, weights=weights, rule_id=coupon.id
        )

    def _units_fen(self, fs: FenState, idx: list[int]) -> tuple[list[int], list[int], int]:
        """The lines (in line order) whose units go free, each one's share, and how many units.

        The units of the dearest line go first (then by id): best for the shopper.
        """
        lines, amounts = fs.base.lines, fs.amounts
        # ``idx`` is in line order: find the SKU's lines in it by bisection.
        mine = [
            i for i in fs.base.of_sku(self.sku)
            if (k := bisect.bisect_left(idx, i)) < len(idx) and idx[k] == i
        ]
        if len(mine) > 1:
            ids = fs.base.ids
            mine.sort(key=lambda i: (-amounts[i] * 1_000_000 // lines[i].quantity, ids[i]))
        left = self.quantity
        chosen: list[int] = []
        weights: list[int] = []
        for i in mine:
            if left == 0:
                break
            q = lines[i].quantity
            n = min(left, q)
            chosen.append(i)
            weights.append(amounts[i] if n == q else allocate_int(amounts[i], [n, q - n])[0])
            left -= n
        if len(chosen) > 1:
            order = sorted(range(len(chosen)), key=chosen.__getitem__)
            chosen, weights = [chosen[k] for k in order], [weights[k] for k in order]
        return chosen, weights, self.quantity - left

    def price_fen(self, fs: FenState, coupon: Coupon) -> None:
        """`price` in fen."""
        idx = check_coupon_fen(self, fs, coupon, self.stage)
        if idx is None:
            return
        chosen, weights, given = self._units_fen(fs, idx)
        if not chosen:
            fs.skip(coupon.id, self.stage, lambda: NO_EXCHANGE_ITEM(sku=self.sku), self.kind)
            return
        take_fen(self, fs, self.stage, sum(weights), chosen, weights=weights, rule_id=coupon.id,
                 reason=lambda: EXCHANGE(sku=self.sku, quantity=given))

    def solo_fen(self, fs: FenState, coupon: Coupon) -> int | None:
        """`_DiscountCoupon.solo_fen`: the value of the units it frees."""
        idx = solo_lines_fen(self, fs)
        if idx is None:
            return None
        # Each unit's share is within its line's amount: nothing to cap.
        off = sum(self._units_fen(fs, idx)[1])
        return off if off > 0 else None
