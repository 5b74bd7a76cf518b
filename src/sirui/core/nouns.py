"""The shared nouns every mechanic speaks: members, products, lines, carts, orders.

All are frozen, slotted attrs classes validated on construction: a line with
zero quantity, a cart with duplicate line ids or mixed currencies, an order
paid before it was placed cannot exist.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.windows import DEFAULT_TZ, DateTime, aware, tz_name

__all__ = [
    "Attribution",
    "Cart",
    "Fulfillment",
    "Guide",
    "GuideKind",
    "Line",
    "Member",
    "Order",
    "Sku",
    "Store",
    "StoreKind",
    "category_in",
]


def _non_empty_str(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise invalid(attribute.name, value, "must be a non-empty string", cls=InvalidValueError)


def _opt_str(_inst: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise invalid(attribute.name, value, "must be a non-empty string or None")


def _aware_opt(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        aware(value, attribute.name)


def _aware_req(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    aware(value, attribute.name)


def _strs(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise invalid("tags", value, "must be a collection of strings, not one string")
    return frozenset(value)


def _money(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money):
        raise invalid(
            attribute.name,
            value,
            "must be Money",
            "build it with Money.of('12.30')",
            cls=InvalidValueError,
        )
    if value.minor < 0:
        raise invalid(attribute.name, value, "must not be negative", cls=InvalidValueError)


def _money_opt(_inst: object, attribute: attrs.Attribute[Money | None], value: object) -> None:
    if value is not None:
        _money(_inst, attribute, value)  # type: ignore[arg-type]


class Fulfillment(enum.Enum):
    """How an order reaches the shopper."""

    DELIVERY = "delivery"
    """Shipped or delivered (快递/同城配送)."""
    PICKUP = "pickup"
    """Picked up in store (到店自提)."""


class StoreKind(enum.Enum):
    DIRECT = "direct"
    """Directly run (直营)."""
    FRANCHISE = "franchise"
    """Franchised (加盟)."""


class GuideKind(enum.Enum):
    STAFF = "staff"
    """A store's own shopping guide (导购)."""
    EXTERNAL = "external"
    """An external promoter (外部员工), usually under a super guide."""
    SUPER = "super"
    """A super guide (超级导购) with external staff under them."""


@attrs.frozen(slots=True)
class Store:
    """A store of the chain (门店)."""

    id: str = attrs.field(validator=_non_empty_str)
    name: str = ""
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    kind: StoreKind = StoreKind.DIRECT
    online_since: DateTime | None = attrs.field(default=None, validator=_aware_opt)
    region: str | None = None


@attrs.frozen(slots=True)
class Guide:
    """A shopping guide (导购), external promoter or super guide."""

    id: str = attrs.field(validator=_non_empty_str)
    store: str | None = None
    kind: GuideKind = GuideKind.STAFF
    super_guide: str | None = attrs.field(default=None, validator=_opt_str)
    member_id: str | None = None
    """The guide's own member id, to recognise self-purchases."""


@attrs.frozen(slots=True)
class Member:
    """A member (会员) as the rules see them at one moment.

    ``paid_orders`` and ``first_paid_at`` are the first-order facts: a member
    with no paid order is a new customer (新客).
    """

    id: str = attrs.field(validator=_non_empty_str)
    tier: str | None = None
    joined_at: DateTime | None = attrs.field(default=None, validator=_aware_opt)
    home_store: str | None = None
    guide: str | None = None
    """Exclusive guide (专属导购)."""
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_strs)
    birthday: dt.date | None = None
    paid_orders: int = 0
    first_paid_at: DateTime | None = attrs.field(default=None, validator=_aware_opt)
    paid_cards: frozenset[str] = attrs.field(default=frozenset(), converter=_strs)
    """Codes of paid membership cards held and active (付费会员卡)."""
    invited_by: str | None = None

    def __attrs_post_init__(self) -> None:
        if type(self.paid_orders) is not int or self.paid_orders < 0:
            raise invalid("paid_orders", self.paid_orders, "must be an int >= 0")
        if self.birthday is not None and (
            not isinstance(self.birthday, dt.date) or isinstance(self.birthday, dt.datetime)
        ):
            raise invalid("birthday", self.birthday, "must be a datetime.date")

    @property
    def is_new_customer(self) -> bool:
        """True before the first paid order (新客)."""
        return self.paid_orders == 0


def _category(value: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p for p in value.split("/") if p)
    return tuple(value)


@attrs.frozen(slots=True)
class Sku:
    """A sellable item (SKU) of a product (SPU).

    ``category`` is a path from the root (``("母婴", "奶粉", "1段")``, or the
    string ``"母婴/奶粉/1段"``); a rule on ``"母婴/奶粉"`` matches every SKU
    below it.
    """

    id: str = attrs.field(validator=_non_empty_str)
    price: Money = attrs.field(validator=_money)
    spu: str | None = None
    category: tuple[str, ...] = attrs.field(default=(), converter=_category)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_strs)
    cost: Money | None = attrs.field(default=None, validator=_money_opt)
    name: str = ""

    @property
    def category_path(self) -> str:
        """The category as ``"母婴/奶粉/1段"``."""
        return "/".join(self.category)

    def in_category(self, path: str | tuple[str, ...]) -> bool:
        """True if the SKU is in ``path`` or below it (``"母婴/奶粉"``)."""
        if isinstance(path, str):
            return category_in(self.category_path, path)
        return self.category[: len(path)] == path


def category_in(own: str, path: str) -> bool:
    """True if the category ``own`` is ``path`` or below it (both as ``"母婴/奶粉"``)."""
    return own == path or own.startswith(path + "/")


@attrs.frozen(slots=True)
class Line:
    """A cart or order line: a quantity of one SKU at a unit price.

    ``unit_price`` defaults to the SKU's list price. ``gift`` lines are added
    by gift promotions at zero price.
    """

    id: str = attrs.field(validator=_non_empty_str)
    sku: Sku
    quantity: int
    unit_price: Money = attrs.field(
        default=attrs.Factory(lambda self: self.sku.price, takes_self=True), validator=_money
    )
    gift: bool = False

    def __attrs_post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity < 1:
            raise invalid(
                "quantity",
                self.quantity,
                "must be an int >= 1",
                "remove the line instead",
                cls=InvalidValueError,
            )
        if self.unit_price.currency != self.sku.price.currency:
            raise invalid("unit_price", self.unit_price, "currency differs from the SKU's price")

    @property
    def amount(self) -> Money:
        """``unit_price * quantity``."""
        return self.unit_price * self.quantity


def _line_tuple(value: Iterable[Line]) -> tuple[Line, ...]:
    return tuple(value)


def _check_lines(lines: tuple[Line, ...]) -> None:
    seen: set[str] = set()
    currencies: set[str] = set()
    for i, line in enumerate(lines):
        if not isinstance(line, Line):
            raise invalid(f"lines[{i}]", line, "must be a Line", cls=InvalidValueError)
        if line.id in seen:
            raise invalid(
                f"lines[{i}].id",
                line.id,
                "duplicate line id",
                "give every line its own id",
                cls=InvalidValueError,
            )
        seen.add(line.id)
        currencies.add(line.unit_price.currency)
    if len(currencies) > 1:
        raise invalid("lines", sorted(currencies), "mix currencies", cls=InvalidValueError)


@attrs.frozen(slots=True)
class Attribution:
    """Who an order came through (归属): guide, share link, channel."""

    guide: str | None = None
    """Guide recorded on the order (e.g. the member's exclusive guide at the time)."""
    share_by: str | None = None
    """Guide or seller whose share link the order came through."""
    shared_at: DateTime | None = attrs.field(default=None, validator=_aware_opt)
    channel: str | None = None


@attrs.frozen(slots=True)
class Cart:
    """What a member is about to buy, and how (the input of a quote)."""

    member: Member
    lines: tuple[Line, ...] = attrs.field(converter=_line_tuple)
    store: str | None = None
    channel: str | None = None
    fulfillment: Fulfillment = Fulfillment.DELIVERY

    def __attrs_post_init__(self) -> None:
        _check_lines(self.lines)

    @property
    def currency(self) -> str:
        return self.lines[0].unit_price.currency if self.lines else "CNY"

    @property
    def amount(self) -> Money:
        return Money(sum(ln.unit_price.minor * ln.quantity for ln in self.lines), self.currency)

    @property
    def quantity(self) -> int:
        return sum(ln.quantity for ln in self.lines)

    def line(self, line_id: str) -> Line:
        for ln in self.lines:
            if ln.id == line_id:
                return ln
        raise invalid("line_id", line_id, "no such line in the cart", cls=InvalidValueError)


@attrs.frozen(slots=True)
class Order:
    """A placed (and perhaps paid) order."""

    id: str = attrs.field(validator=_non_empty_str)
    member: Member
    lines: tuple[Line, ...] = attrs.field(converter=_line_tuple)
    placed_at: DateTime = attrs.field(validator=_aware_req)
    paid_at: DateTime | None = attrs.field(default=None, validator=_aware_opt)
    store: str | None = None
    fulfillment: Fulfillment = Fulfillment.DELIVERY
    attribution: Attribution = Attribution()
    shipping: Money | None = attrs.field(default=None, validator=_money_opt)

    def __attrs_post_init__(self) -> None:
        _check_lines(self.lines)
        if not self.lines:
            raise invalid("lines", (), "an order needs at least one line", cls=InvalidValueError)
        if self.paid_at is not None and self.paid_at < self.placed_at:
            raise invalid("paid_at", self.paid_at, f"is before placed_at={self.placed_at}")

    @property
    def currency(self) -> str:
        return self.lines[0].unit_price.currency

    @property
    def amount(self) -> Money:
        return Money(sum(ln.unit_price.minor * ln.quantity for ln in self.lines), self.currency)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def as_cart(self) -> Cart:
        return Cart(self.member, self.lines, self.store, self.attribution.channel, self.fulfillment)
