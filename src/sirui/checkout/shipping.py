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

A delivery may also be priced by where it goes (`DistanceTier` bands of
metres, or `DeliveryZone` fees): the band's fee replaces the base fee and the
threshold still waives it. What can refuse an order lives here too, in
`sirui.checkout.delivery`'s values: a delivery minimum (起送金额, per store
and fulfilment; pickup exempt unless configured) and the range (beyond the
last band, or a zone not listed). A refusal does not stop the pricing: the
step records it and `Quote.refusals` carries it.

Invariants: the fee is >= 0; it never rises when the goods amount rises,
nor falls when the distance grows (within range); an order out of range has
no fee; a below-minimum refusal changes no figure of the quote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from sirui.checkout.delivery import (
    BELOW_DELIVERY_MINIMUM,
    BELOW_PICKUP_MINIMUM,
    DISTANCE_FEE,
    DISTANCE_FEE_SHORT,
    OUT_OF_RANGE,
    OUT_OF_ZONE,
    ZONE_FEE,
    ZONE_FEE_SHORT,
    DeliveryZone,
    Destination,
    DistanceTier,
    MinOrderBasis,
    OrderMinimum,
    km,
    to_distance_tiers,
    to_minimums,
    to_zones,
)
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment
from sirui.core.registry import policy
from sirui.core.validators import non_negative_money, opt_non_negative_money
from sirui.rules.pricing import FenState, PriceState, ReasonLike, Stage, reason_of
from sirui.rules.reasons import Reason, ReasonCode, reason_code

__all__ = ["ShippingPolicy", "ShippingStep", "TierThreshold", "destination_of"]

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

DESTINATION: Final = "destination"
"""The state extra under which `sirui.checkout.quote` passes the `Destination`."""
REFUSALS: Final = "shipping_refusals"
"""The state extra under which the shipping step records why the order cannot be placed."""


def _basis(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, MinOrderBasis):
        raise invalid(attribute.name, value, "must be a MinOrderBasis",
                      "e.g. MinOrderBasis.GOODS_AFTER_DISCOUNTS")


def _money_reason(code: ReasonCode, **params: tuple[int, str] | str) -> ReasonLike:
    """A reason built when read; ``(minor, currency)`` params become `Money`."""
    return lambda: code(**{k: Money._raw(v[0], v[1]) if isinstance(v, tuple) else v
                           for k, v in params.items()})


@policy("shipping.policy")
@attrs.frozen(slots=True)
class ShippingPolicy:
    """The shipping fee rule of a mall (运费规则), its delivery minimum and range.

    Attributes:
        base_fee: the fee below the threshold (default 10 yuan).
        free_over: goods amount from which shipping is free (default 99 yuan;
            None: never free by amount).
        tier_free_over: per-tier thresholds (``{"gold": Money.of("49")}``);
            a tier not listed uses ``free_over``.
        pickup_free: store pickup orders pay no shipping (default True).
        minimums: delivery minimums (起送金额) per store and fulfilment
            (`OrderMinimum`; one Money is every store's delivery minimum).
            Pickup has none unless one names it.
        min_order_basis: which goods amount a minimum is compared with
            (default: after promotions and coupons, before points and shipping).
        distance_tiers: fees by distance (`DistanceTier`); a delivery then
            needs ``Destination(distance_m=...)`` and beyond the last tier is
            refused. The tier's fee replaces ``base_fee``; ``free_over`` still
            waives it.
        zones: fees by delivery zone (`DeliveryZone`); a delivery then needs
            ``Destination(zone=...)`` and a zone not listed is refused.
            Configure distance tiers or zones, not both.

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
    minimums: tuple[OrderMinimum, ...] = attrs.field(default=(), converter=to_minimums)
    min_order_basis: MinOrderBasis = attrs.field(
        default=MinOrderBasis.GOODS_AFTER_DISCOUNTS, validator=_basis
    )
    distance_tiers: tuple[DistanceTier, ...] = attrs.field(
        default=(), converter=to_distance_tiers
    )
    zones: tuple[DeliveryZone, ...] = attrs.field(default=(), converter=to_zones)

    def __attrs_post_init__(self) -> None:
        if self.distance_tiers and self.zones:
            raise invalid(
                "zones", [z.id for z in self.zones], "given together with distance_tiers",
                "price delivery by distance_tiers or by zones, not both",
            )

    def threshold_for(self, tier: str | None) -> Money | None:
        """The free-shipping threshold for a member of ``tier``."""
        for t in self.tier_free_over:
            if t.tier == tier:
                return t.free_over
        return self.free_over

    def minimum_for(self, store: str | None, fulfillment: Fulfillment) -> OrderMinimum | None:
        """The minimum binding an order of ``store`` fulfilled by ``fulfillment``, if any.

        A store's own minimum wins over the every-store one (``store=None``).
        """
        general = None
        for m in self.minimums:
            if m.fulfillment is fulfillment:
                if m.store is not None and m.store == store:
                    return m
                if m.store is None:
                    general = m
        return general

    @property
    def routed(self) -> bool:
        """Whether a delivery's fee depends on where it goes (distance tiers or zones)."""
        return bool(self.distance_tiers or self.zones)

    # -- the decision, in fen ---------------------------------------------------------

    def _route(
        self, cart: Cart, destination: Destination | None
    ) -> tuple[int | None, str, Any]:
        """The delivery's base fee (None: not delivered), and how it was found.

        The second item is ``"flat"``, ``"km"`` or ``"zone"``; the third the
        distance in km (text), the zone id, or the refusal when not delivered.
        """
        if cart.fulfillment is not Fulfillment.DELIVERY or not self.routed:
            return self.base_fee.minor, "flat", None
        if self.distance_tiers:
            if destination is None or destination.distance_m is None:
                raise _no_destination("distance_m", destination)
            d = destination.distance_m
            for t in self.distance_tiers:
                if d <= t.up_to_m:
                    return t.fee.minor, "km", km(d)
            far = km(self.distance_tiers[-1].up_to_m)
            return None, "km", lambda: OUT_OF_RANGE(
                distance_km=km(d), max_km=far, distance_m=d
            )
        if destination is None or destination.zone is None:
            raise _no_destination("zone", destination)
        zone = destination.zone
        for z in self.zones:
            if z.id == zone:
                return z.fee.minor, "zone", zone
        return None, "zone", lambda: OUT_OF_ZONE(zone=zone)

    def decide_fen(
        self, cart: Cart, goods: int, destination: Destination | None = None
    ) -> tuple[int, ReasonLike, tuple[ReasonLike, ...]]:
        """The fee in fen, why, and why the order cannot be placed (empty: it can).

        ``goods`` is the goods amount after coupons, before points, in fen of
        the cart's currency (the policy's amounts are in it).
        """
        refusals: list[ReasonLike] = []
        fee, reason = self._fee_fen(cart, goods, destination, refusals)
        m = self.minimum_for(cart.store, cart.fulfillment)
        if m is not None:
            counted = goods if self.min_order_basis is MinOrderBasis.GOODS_AFTER_DISCOUNTS else (
                sum(ln.unit_price.minor * ln.quantity for ln in cart.lines if not ln.gift)
            )
            if counted < m.amount.minor:
                code = (BELOW_PICKUP_MINIMUM if cart.fulfillment is Fulfillment.PICKUP
                        else BELOW_DELIVERY_MINIMUM)
                cur = m.amount.currency
                refusals.append(_money_reason(
                    code, short=(m.amount.minor - counted, cur), minimum=(m.amount.minor, cur)
                ))
        return fee, reason, tuple(refusals)

    def _fee_fen(
        self, cart: Cart, goods: int, destination: Destination | None,
        refusals: list[ReasonLike],
    ) -> tuple[int, ReasonLike]:
        if self.pickup_free and cart.fulfillment is Fulfillment.PICKUP:
            return 0, PICKUP_FREE
        base, how, what = self._route(cart, destination)
        if base is None:
            refusals.append(what)
            return 0, what
        threshold = self.threshold_for(cart.member.tier)
        cur = self.base_fee.currency if threshold is None else threshold.currency
        if threshold is None:
            if how == "km":
                return base, _money_reason(DISTANCE_FEE, fee=(base, cur), distance_km=what)
            if how == "zone":
                return base, _money_reason(ZONE_FEE, fee=(base, cur), zone=what)
            return base, _money_reason(FLAT_FEE, fee=(base, cur))
        if goods >= threshold.minor:
            return 0, lambda: FREE_OVER(threshold=threshold)
        short = (threshold.minor - goods, cur)
        money = {"fee": (base, cur), "threshold": (threshold.minor, cur), "short": short}
        if how == "km":
            return base, _money_reason(DISTANCE_FEE_SHORT, distance_km=what, **money)
        if how == "zone":
            return base, _money_reason(ZONE_FEE_SHORT, zone=what, **money)
        return base, _money_reason(BASE_FEE, **money)

    # -- the same in Money ------------------------------------------------------------

    def decide(
        self, cart: Cart, goods: Money, destination: Destination | None = None
    ) -> tuple[Money, Reason, tuple[Reason, ...]]:
        """`decide_fen` in `Money` of the goods' currency, reasons built."""
        found: set[str] = set()
        _amounts(self, found)
        if not found <= {goods.currency}:
            raise invalid(
                "shipping", sorted(found), f"currency differs from the cart's {goods.currency}",
                "give the shipping policy's amounts in the cart's currency",
            )
        fee, reason, refusals = self.decide_fen(cart, goods.minor, destination)
        return (
            Money(fee, goods.currency), reason_of(reason), tuple(reason_of(r) for r in refusals)
        )

    def fee_fen(
        self, cart: Cart, goods: int, destination: Destination | None = None
    ) -> tuple[int, ReasonLike]:
        """The fee in fen of the cart's currency, and why."""
        fee, reason, _ = self.decide_fen(cart, goods, destination)
        return fee, reason

    def fee(
        self, cart: Cart, goods: Money, destination: Destination | None = None
    ) -> tuple[Money, Reason]:
        """The fee for ``cart`` whose goods come to ``goods``, and why."""
        fee, reason, _ = self.decide(cart, goods, destination)
        return fee, reason

    def refusals(
        self, cart: Cart, goods: Money, destination: Destination | None = None
    ) -> tuple[Reason, ...]:
        """Why ``cart`` cannot be placed (below the minimum, out of range); empty if it can."""
        return self.decide(cart, goods, destination)[2]


def _amounts(obj: object, out: set[str]) -> None:
    if isinstance(obj, Money):
        out.add(obj.currency)
    elif isinstance(obj, tuple):
        for x in obj:
            _amounts(x, out)
    elif attrs.has(type(obj)):
        for a in attrs.fields(type(obj)):  # type: ignore[arg-type]
            _amounts(getattr(obj, a.name), out)


def _no_destination(need: str, destination: object) -> InvalidValueError:
    return invalid(
        "destination", destination,
        f"a delivery under this ShippingPolicy is priced by {need}",
        f"pass quote(..., destination=Destination({need}=...)) measured by the host",
        cls=InvalidValueError,
    )


def destination_of(extra: object) -> Destination | None:
    """The `Destination` a state carries under the ``"destination"`` extra."""
    if extra is None or isinstance(extra, Destination):
        return extra
    raise invalid(
        "destination", extra, "must be a Destination",
        "pass Destination(distance_m=4200) or Destination(zone='east')", cls=InvalidValueError,
    )


@attrs.frozen(slots=True)
class ShippingStep:
    """The pricing step of a `ShippingPolicy`: sets the fee at `Stage.SHIPPING`.

    The reason is recorded as the ``("shipping_reason", Reason)`` extra, and
    any refusal (below the minimum, out of range) as ``("shipping_refusals",
    (Reason, ...))``.
    """

    policy: ShippingPolicy

    @property
    def stage(self) -> Stage:
        return Stage.SHIPPING

    def price(self, state: PriceState) -> PriceState:
        # Points are added back: the threshold is on the amount before points.
        goods = state.subtotal() + state.stage_total(Stage.POINTS)
        dest = destination_of(state.extra(DESTINATION))
        fee, reason, refusals = self.policy.decide(state.cart, goods, dest)
        extras = (*state.extras, ("shipping_reason", reason))
        if refusals:
            extras = (*extras, (REFUSALS, refusals))
        return attrs.evolve(state, shipping_fee=fee, extras=extras)

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen; the reasons are built when read."""
        goods = fs.subtotal() + fs.stage_total(Stage.POINTS)
        dest = destination_of(fs.extra(DESTINATION))
        fee, reason, refusals = self.policy.decide_fen(fs.base.cart, goods, dest)
        fs.shipping_fee = fee
        fs.with_extra("shipping_reason", reason)
        if refusals:
            fs.with_extra(REFUSALS, refusals)
