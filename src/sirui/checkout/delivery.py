"""Delivery minimum (起送金额) and delivery range (配送范围) of a `ShippingPolicy`.

The values here are the parts of a shipping policy that can refuse a quote:

* `OrderMinimum`: the goods amount an order must reach before the store
  delivers it (起送金额), per store and per fulfilment method. Store pickup
  (到店自提) has no minimum unless one is configured for it. Which goods
  amount counts is `MinOrderBasis`: by default the amount after promotions
  and coupons, before points deduction and before the shipping fee (how
  yudao and CRMEB operators count it); ``GOODS_AT_LIST_PRICE`` counts the
  cart at its prices instead (how food-delivery platforms count it).
* `DistanceTier`: the fee of a band of distances (0-3 km ¥5, 3-5 km ¥8);
  beyond the last band the store does not deliver. The host measures the
  distance and passes it in whole metres; sirui never geocodes. A tier's
  upper bound belongs to it: 3 km exactly (3000 m) is in the 0-3 km tier,
  3001 m in the next one.
* `DeliveryZone`: a fee per delivery zone the host resolves the address to
  (a zone not listed is not delivered to).
* `Destination`: what the host passes to `sirui.checkout.quote`: the
  distance in metres or the zone id.

A refusal is a business outcome: the quote is still priced (the shopper sees
the total and what is missing) and `Quote.refusals` says why it cannot be
placed (``checkout.below_delivery_minimum`` 差¥2.00起送,
``checkout.out_of_range``, ``checkout.out_of_zone``).

Invariants: tiers' bounds strictly increase and a farther tier never costs
less, so the fee never falls as the distance grows and is never negative;
the amount a below-minimum refusal names is exactly the minimum minus the
counted goods amount.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment
from sirui.core.registry import policy
from sirui.core.validators import non_negative_money, positive_int
from sirui.rules.reasons import reason_code

__all__ = [
    "DeliveryZone",
    "Destination",
    "DistanceTier",
    "MinOrderBasis",
    "OrderMinimum",
    "km",
]

BELOW_DELIVERY_MINIMUM = reason_code(
    "checkout.below_delivery_minimum",
    zh="差{short}起送（起送金额{minimum}）",
    en="{short} more to reach the delivery minimum of {minimum}",
)
BELOW_PICKUP_MINIMUM = reason_code(
    "checkout.below_pickup_minimum",
    zh="差{short}可自提（自提满{minimum}起）",
    en="{short} more to reach the pickup minimum of {minimum}",
)
OUT_OF_RANGE = reason_code(
    "checkout.out_of_range",
    zh="距离{distance_km}公里，超出配送范围（{max_km}公里内配送）",
    en="{distance_km} km is beyond the delivery range of {max_km} km",
)
OUT_OF_ZONE = reason_code(
    "checkout.out_of_zone",
    zh="收货地址不在配送区域内",
    en="Zone {zone} is outside the delivery area",
)
DISTANCE_FEE = reason_code(
    "checkout.shipping_distance",
    zh="距离{distance_km}公里，运费{fee}",
    en="Shipping {fee} for {distance_km} km",
)
DISTANCE_FEE_SHORT = reason_code(
    "checkout.shipping_distance_short",
    zh="距离{distance_km}公里，运费{fee}（满{threshold}免运费，还差{short}）",
    en="Shipping {fee} for {distance_km} km (free from {threshold}; {short} to go)",
)
ZONE_FEE = reason_code(
    "checkout.shipping_zone", zh="配送区域运费{fee}", en="Shipping {fee} to zone {zone}"
)
ZONE_FEE_SHORT = reason_code(
    "checkout.shipping_zone_short",
    zh="配送区域运费{fee}（满{threshold}免运费，还差{short}）",
    en="Shipping {fee} to zone {zone} (free from {threshold}; {short} to go)",
)


def km(metres: int) -> str:
    """Metres as kilometres for a message, without trailing zeros.

    >>> km(4200), km(5010), km(3000), km(0)
    ('4.2', '5.01', '3', '0')
    """
    text = f"{Decimal(metres) / 1000:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class MinOrderBasis(enum.Enum):
    """Which goods amount a delivery minimum is compared with."""

    GOODS_AFTER_DISCOUNTS = "goods_after_discounts"
    """After promotions and coupons, before points deduction and shipping (the default)."""
    GOODS_AT_LIST_PRICE = "goods_at_list_price"
    """The cart's goods at their cart prices, before any discount (gift lines excluded)."""


def _opt_store(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise invalid(attribute.name, value, "must be a store id or None (every store)")


def _fulfillment(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Fulfillment):
        raise invalid(
            attribute.name, value, "must be a Fulfillment",
            "pass Fulfillment.DELIVERY or Fulfillment.PICKUP",
        )


@policy("shipping.order_minimum")
@attrs.frozen(slots=True)
class OrderMinimum:
    """起送金额: orders below ``amount`` are not delivered (or not prepared for pickup).

    ``store`` None applies to every store without a minimum of its own;
    ``fulfillment`` says which orders it binds (delivery by default: pickup
    is exempt unless a minimum names it).

    >>> OrderMinimum(Money.of("20"), store="S01").fulfillment
    <Fulfillment.DELIVERY: 'delivery'>
    """

    amount: Money = attrs.field(validator=non_negative_money)
    store: str | None = attrs.field(default=None, validator=_opt_store)
    fulfillment: Fulfillment = attrs.field(default=Fulfillment.DELIVERY, validator=_fulfillment)


@policy("shipping.distance_tier")
@attrs.frozen(slots=True)
class DistanceTier:
    """A band of delivery distances up to ``up_to_m`` metres (inclusive) and its fee.

    >>> DistanceTier(3000, Money.of("5")).fee
    Money('5.00', 'CNY')
    """

    up_to_m: int = attrs.field(validator=positive_int)
    fee: Money = attrs.field(validator=non_negative_money)


@policy("shipping.delivery_zone")
@attrs.frozen(slots=True)
class DeliveryZone:
    """A delivery zone the host resolves addresses to, and its fee."""

    id: str
    fee: Money = attrs.field(validator=non_negative_money)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise invalid("id", self.id, "must be a non-empty zone id")


def _opt_metres(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (type(value) is not int or value < 0):
        raise invalid(
            attribute.name, value, "must be whole metres, an int >= 0, or None",
            "round the measured distance to metres, e.g. 4200 for 4.2 km",
            cls=InvalidValueError,
        )


def _opt_zone(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise invalid(attribute.name, value, "must be a zone id or None", cls=InvalidValueError)


@attrs.frozen(slots=True)
class Destination:
    """Where a delivery goes, as the host measured it: metres from the store, or a zone id.

    >>> Destination(distance_m=4200).distance_m
    4200
    """

    distance_m: int | None = attrs.field(default=None, validator=_opt_metres)
    zone: str | None = attrs.field(default=None, validator=_opt_zone)

    def __attrs_post_init__(self) -> None:
        if self.distance_m is None and self.zone is None:
            raise invalid(
                "destination", self, "names neither a distance nor a zone",
                "pass Destination(distance_m=...) or Destination(zone=...)",
                cls=InvalidValueError,
            )


def to_minimums(value: Money | Iterable[OrderMinimum]) -> tuple[OrderMinimum, ...]:
    """``OrderMinimum`` values in a stable order; one Money is every store's delivery minimum."""
    items = [OrderMinimum(value)] if isinstance(value, Money) else list(value)
    for i, m in enumerate(items):
        if not isinstance(m, OrderMinimum):
            raise invalid(
                f"minimums[{i}]", m, "must be an OrderMinimum",
                "e.g. OrderMinimum(Money.of('20'), store='S01')",
            )
    keys = [(m.store or "", m.fulfillment.value) for m in items]
    if len(keys) != len(set(keys)):
        raise invalid(
            "minimums", sorted(keys), "a store and fulfilment have two minimums",
            "keep one OrderMinimum per store and fulfilment",
        )
    return tuple(sorted(items, key=lambda m: (m.store or "", m.fulfillment.value)))


def to_distance_tiers(value: Iterable[DistanceTier]) -> tuple[DistanceTier, ...]:
    """Tiers by distance; bounds strictly increase and a farther tier never costs less."""
    items = list(value)
    for i, t in enumerate(items):
        if not isinstance(t, DistanceTier):
            raise invalid(
                f"distance_tiers[{i}]", t, "must be a DistanceTier",
                "e.g. DistanceTier(3000, Money.of('5'))",
            )
    items.sort(key=lambda t: t.up_to_m)
    for a, b in itertools.pairwise(items):
        if a.up_to_m == b.up_to_m:
            raise invalid("distance_tiers", a.up_to_m, "two tiers end at the same distance",
                          "keep one tier per upper bound")
        if b.fee < a.fee:
            raise invalid(
                "distance_tiers", [a, b], "a farther tier costs less than a nearer one",
                "make each tier's fee at least the fee of the tier before it",
            )
    return tuple(items)


def to_zones(value: Iterable[DeliveryZone]) -> tuple[DeliveryZone, ...]:
    """Zones by id; an id appears once."""
    items = list(value)
    for i, z in enumerate(items):
        if not isinstance(z, DeliveryZone):
            raise invalid(f"zones[{i}]", z, "must be a DeliveryZone",
                          "e.g. DeliveryZone('east', Money.of('6'))")
    ids = [z.id for z in items]
    if len(ids) != len(set(ids)):
        raise invalid("zones", sorted(ids), "a zone is listed twice", "list each zone once")
    return tuple(sorted(items, key=lambda z: z.id))
