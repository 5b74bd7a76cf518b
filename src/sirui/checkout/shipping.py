"""Shipping fee (运费): a base fee, free over a threshold that may depend on the tier.

`ShippingPolicy` decides the fee of an order; `ShippingStep` is its pricing
step, run first at `Stage.SHIPPING`: it sets `PriceState.shipping_fee`.
Free-shipping promotions and coupons then discount that fee at the same
stage, allocating to `sirui.rules.SHIPPING_LINE`.

Rules, in order: a pickup order (到店自提) pays no shipping; an order whose
goods amount reaches the free-shipping threshold (免邮门槛, by tier when the
member's tier has its own) pays none; otherwise the base fee. The threshold
is compared with the goods amount after coupons and *before* points
deduction, so spending points never makes the shopper pay shipping.

Invariants: the fee is >= 0; it never rises when the goods amount rises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment
from sirui.core.registry import policy
from sirui.core.validators import non_negative_money, opt_non_negative_money
from sirui.rules.pricing import FenState, PriceState, ReasonLike, Stage
from sirui.rules.reasons import Reason, reason_code

__all__ = ["ShippingPolicy", "ShippingStep", "TierThreshold"]

PICKUP_FREE = reason_code(
    "checkout.shipping_pickup", zh="到店自提，免运费", en="Store pickup: no shipping fee"
)
FREE_OVER = reason_code(
    "checkout.shipping_free_over",
    zh="满{threshold}免运费",
    en="Free shipping on orders of {threshold} or more",
)
BASE_FEE = reason_code(
    "checkout.shipping_fee",
    zh="运费{fee}（满{threshold}免运费，还差{short}）",
    en="Shipping {fee} (free from {threshold}; {short} to go)",
)
FLAT_FEE = reason_code("checkout.shipping_flat", zh="运费{fee}", en="Shipping {fee}")


@policy("shipping.tier_threshold")
@attrs.frozen(slots=True)
class TierThreshold:
    """The free-shipping threshold of one tier (e.g. gold members free from 49 yuan)."""

    tier: str
    free_over: Money = attrs.field(validator=non_negative_money)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.tier, str) or not self.tier:
            raise invalid("tier", self.tier, "must be a non-empty string")


def _tiers(
    value: Mapping[str, Money] | Iterable[TierThreshold],
) -> tuple[TierThreshold, ...]:
    items = (
        [TierThreshold(k, v) for k, v in value.items()]
        if isinstance(value, Mapping)
        else list(value)
    )
    for i, t in enumerate(items):
        if not isinstance(t, TierThreshold):
            raise invalid(f"tier_free_over[{i}]", t, "must be a TierThreshold or a tier->Money map")
    tiers = [t.tier for t in items]
    if len(tiers) != len(set(tiers)):
        raise invalid("tier_free_over", sorted(tiers), "a tier has two thresholds")
    return tuple(sorted(items, key=lambda t: t.tier))


_DEFAULT_FEE: Final = Money(1000)
_DEFAULT_FREE_OVER: Final = Money(9900)


@policy("shipping.policy")
@attrs.frozen(slots=True)
class ShippingPolicy:
    """The shipping fee rule of a mall (运费规则).

    Attributes:
        base_fee: the fee below the threshold (default 10 yuan).
        free_over: goods amount from which shipping is free (default 99 yuan;
            None: never free by amount).
        tier_free_over: per-tier thresholds (``{"gold": Money.of("49")}``);
            a tier not listed uses ``free_over``.
        pickup_free: store pickup orders pay no shipping (default True).

    >>> from sirui.core.money import Money
    >>> ShippingPolicy(tier_free_over={"gold": Money.of("49")}).threshold_for("gold")
    Money('49.00', 'CNY')
    """

    base_fee: Money = attrs.field(default=_DEFAULT_FEE, validator=non_negative_money)
    free_over: Money | None = attrs.field(
        default=_DEFAULT_FREE_OVER, validator=opt_non_negative_money
    )
    tier_free_over: tuple[TierThreshold, ...] = attrs.field(default=(), converter=_tiers)
    pickup_free: bool = True

    def threshold_for(self, tier: str | None) -> Money | None:
        """The free-shipping threshold for a member of ``tier``."""
        for t in self.tier_free_over:
            if t.tier == tier:
                return t.free_over
        return self.free_over

    def fee_fen(self, cart: Cart, goods: int) -> tuple[int, ReasonLike]:
        """`fee` in fen of the cart's currency (the policy's amounts are in it)."""
        if self.pickup_free and cart.fulfillment is Fulfillment.PICKUP:
            return 0, PICKUP_FREE
        threshold = self.threshold_for(cart.member.tier)
        base = self.base_fee
        if threshold is None:
            return base.minor, lambda: FLAT_FEE(fee=base)
        if goods >= threshold.minor:
            return 0, lambda: FREE_OVER(threshold=threshold)
        short = Money._raw(threshold.minor - goods, threshold.currency)
        return base.minor, lambda: BASE_FEE(fee=base, threshold=threshold, short=short)

    def fee(self, cart: Cart, goods: Money) -> tuple[Money, Reason]:
        """The fee for ``cart`` whose goods come to ``goods``, and why."""
        if self.pickup_free and cart.fulfillment is Fulfillment.PICKUP:
            return Money.zero(goods.currency), PICKUP_FREE()
        threshold = self.threshold_for(cart.member.tier)
        if threshold is None:
            return self.base_fee, FLAT_FEE(fee=self.base_fee)
        if threshold.currency != goods.currency or self.base_fee.currency != goods.currency:
            raise invalid(
                "shipping", threshold, f"currency differs from the cart's {goods.currency}"
            )
        if goods >= threshold:
            return Money.zero(goods.currency), FREE_OVER(threshold=threshold)
        short = threshold - goods
        return self.base_fee, BASE_FEE(fee=self.base_fee, threshold=threshold, short=short)


@attrs.frozen(slots=True)
class ShippingStep:
    """The pricing step of a `ShippingPolicy`: sets the fee at `Stage.SHIPPING`.

    The reason is recorded as the ``("shipping_reason", Reason)`` extra.
    """

    policy: ShippingPolicy

    @property
    def stage(self) -> Stage:
        return Stage.SHIPPING

    def price(self, state: PriceState) -> PriceState:
        # Points are added back: the threshold is on the amount before points.
        goods = state.subtotal() + state.stage_total(Stage.POINTS)
        fee, reason = self.policy.fee(state.cart, goods)
        return attrs.evolve(
            state, shipping_fee=fee, extras=(*state.extras, ("shipping_reason", reason))
        )

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen; the reason extra is built when read."""
        goods = fs.subtotal() + fs.stage_total(Stage.POINTS)
        fee, reason = self.policy.fee_fen(fs.base.cart, goods)
        fs.shipping_fee = fee
        fs.with_extra("shipping_reason", reason)
