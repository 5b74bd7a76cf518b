"""Hypothesis strategies for host apps to property-test their own integration.

Needs the ``testing`` extra (``pip install 'sirui[testing]'``). Every
strategy builds valid sirui values; pass them to your code and state your
invariants::

    from hypothesis import given
    from sirui.testing import carts, aware_datetimes

    @given(carts(), aware_datetimes())
    def test_my_checkout_never_charges_negative(cart, now):
        ...

Strategies for mechanic policies live beside these (for example
`sirui.testing.promotions`) as the mechanics land.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from sirui.core.money import CURRENCY_EXPONENTS, MAX_MINOR, Money
from sirui.core.nouns import Attribution, Cart, Fulfillment, Line, Member, Order, Sku
from sirui.core.windows import DEFAULT_TZ, Window
from sirui.rules.conditions import (
    AllOf,
    Always,
    AmountAtLeast,
    AnyOf,
    CategoryIn,
    ChannelIn,
    Condition,
    FulfillmentIs,
    HasTag,
    NewCustomer,
    Not,
    QuantityAtLeast,
    SkuIn,
    StoreIn,
    TierIn,
    WithinWindow,
)

__all__ = [
    "CATEGORIES",
    "TAGS",
    "TIERS",
    "aware_datetimes",
    "carts",
    "conditions",
    "lines",
    "members",
    "money",
    "orders",
    "rates",
    "skus",
    "windows",
    "zones",
]

#: Sample vocabularies that make generated carts hit each other's rules often.
TIERS = ("normal", "silver", "gold", "diamond")
TAGS = ("qr:store-01", "baby:0-6m", "baby:6-12m", "pregnant", "vip", "new")
CATEGORIES = ("母婴/奶粉/1段", "母婴/奶粉/2段", "母婴/纸尿裤", "母婴/辅食", "洗护/沐浴")
STORES = ("S01", "S02", "S03")
CHANNELS = ("miniapp", "group", "live")

zones = st.sampled_from(["Asia/Shanghai", "Asia/Hong_Kong", "UTC", "America/New_York"])


def money(
    min_fen: int = 0, max_fen: int = 1_000_000, currency: str = "CNY"
) -> st.SearchStrategy[Money]:
    """Money between ``min_fen`` and ``max_fen`` minor units (inclusive)."""
    if currency not in CURRENCY_EXPONENTS:
        raise ValueError(f"currency={currency!r} is not supported")
    lo, hi = max(min_fen, -MAX_MINOR), min(max_fen, MAX_MINOR)
    return st.integers(lo, hi).map(lambda n: Money(n, currency))


def rates(
    min_value: str = "0.01", max_value: str = "1", places: int = 2
) -> st.SearchStrategy[Decimal]:
    """Exact Decimal rates in ``[min_value, max_value]`` with ``places`` decimals."""
    return st.decimals(
        Decimal(min_value), Decimal(max_value), places=places, allow_nan=False, allow_infinity=False
    )


def aware_datetimes(
    min_value: dt.datetime = dt.datetime(2024, 1, 1),
    max_value: dt.datetime = dt.datetime(2028, 12, 31),
    tz: str | None = DEFAULT_TZ,
) -> st.SearchStrategy[Any]:
    """Tz-aware pendulum datetimes (in ``tz``, or in random zones when ``tz=None``)."""
    import pendulum

    zone_st = st.just(tz) if tz is not None else zones
    return st.builds(
        lambda d, z: pendulum.instance(d.replace(tzinfo=dt.UTC)).in_timezone(z),
        st.datetimes(min_value, max_value),
        zone_st,
    )


def windows(tz: str = DEFAULT_TZ) -> st.SearchStrategy[Window]:
    """Half-open windows of 1 minute to 60 days."""
    return st.builds(
        lambda start, minutes: Window(start, start.add(minutes=minutes)),
        aware_datetimes(tz=tz),
        st.integers(1, 60 * 24 * 60),
    )


def members(new: bool | None = None) -> st.SearchStrategy[Member]:
    """Members with a tier, tags and first-order facts (``new`` forces a new customer)."""
    orders_st = st.just(0) if new else st.integers(1, 50) if new is False else st.integers(0, 50)
    return st.builds(
        Member,
        id=st.text("abcdef0123456789", min_size=4, max_size=8).map(lambda s: "m" + s),
        tier=st.sampled_from(TIERS),
        home_store=st.sampled_from(STORES),
        guide=st.none() | st.sampled_from(["g1", "g2", "g3"]),
        tags=st.frozensets(st.sampled_from(TAGS), max_size=3),
        birthday=st.none() | st.dates(dt.date(1970, 1, 1), dt.date(2008, 12, 31)),
        paid_orders=orders_st,
    )


def skus(max_price_fen: int = 50_000) -> st.SearchStrategy[Sku]:
    """SKUs with a price, category path, tags and a cost below the price."""

    def build(i: int, price: int, cat: str, tags: frozenset[str], margin: int) -> Sku:
        return Sku(
            id=f"sku{i}",
            spu=f"spu{i // 3}",
            price=Money(price),
            category=cat,
            tags=tags,
            cost=Money(price * margin // 100),
            name=f"item {i}",
        )

    return st.builds(
        build,
        st.integers(1, 40),
        st.integers(1, max_price_fen),
        st.sampled_from(CATEGORIES),
        st.frozensets(st.sampled_from(("特价", "新品", "爆款", "9.9专区")), max_size=2),
        st.integers(30, 90),
    )


def lines(max_lines: int = 8, max_quantity: int = 5) -> st.SearchStrategy[tuple[Line, ...]]:
    """Tuples of lines with unique ids and distinct SKUs."""
    return st.lists(
        st.tuples(skus(), st.integers(1, max_quantity)),
        min_size=1,
        max_size=max_lines,
        unique_by=lambda t: t[0].id,
    ).map(lambda items: tuple(Line(f"L{i}", s, q) for i, (s, q) in enumerate(items)))


def carts(
    max_lines: int = 8, member: st.SearchStrategy[Member] | None = None
) -> st.SearchStrategy[Cart]:
    """Carts for a member, in a store and channel, delivery or pickup."""
    return st.builds(
        Cart,
        member=member if member is not None else members(),
        lines=lines(max_lines),
        store=st.sampled_from(STORES),
        channel=st.sampled_from(CHANNELS),
        fulfillment=st.sampled_from(Fulfillment),
    )


def orders(max_lines: int = 8, paid: bool = True) -> st.SearchStrategy[Order]:
    """Orders placed in 2024-2028, paid a few minutes later when ``paid``."""

    def build(cart: Cart, placed: Any, n: int, delay: int, guide: str | None) -> Order:
        return Order(
            id=f"o{n}",
            member=cart.member,
            lines=cart.lines,
            placed_at=placed,
            paid_at=placed.add(seconds=delay) if paid else None,
            store=cart.store,
            fulfillment=cart.fulfillment,
            attribution=Attribution(guide=guide, channel=cart.channel),
        )

    return st.builds(
        build,
        carts(max_lines),
        aware_datetimes(),
        st.integers(1, 10**9),
        st.integers(0, 900),
        st.none() | st.sampled_from(["g1", "g2", "g3"]),
    )


def _leaf_conditions() -> st.SearchStrategy[Condition]:
    return st.one_of(
        st.just(Always()),
        st.builds(TierIn, st.frozensets(st.sampled_from(TIERS), min_size=1)),
        st.builds(HasTag, st.sampled_from(TAGS)),
        st.just(NewCustomer()),
        st.builds(StoreIn, st.frozensets(st.sampled_from(STORES), min_size=1)),
        st.builds(CategoryIn, st.frozensets(st.sampled_from(CATEGORIES), min_size=1)),
        st.builds(SkuIn, st.frozensets(st.integers(1, 40).map(lambda i: f"sku{i}"), min_size=1)),
        st.builds(AmountAtLeast, money(0, 200_000)),
        st.builds(QuantityAtLeast, st.integers(1, 10)),
        st.builds(WithinWindow, windows()),
        st.builds(ChannelIn, st.frozensets(st.sampled_from(CHANNELS), min_size=1)),
        st.builds(FulfillmentIs, st.sampled_from(Fulfillment)),
    )


def conditions(max_leaves: int = 6) -> st.SearchStrategy[Condition]:
    """Condition trees of leaves combined by ``&``, ``|`` and ``~``."""
    return st.recursive(
        _leaf_conditions(),
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=3).map(lambda cs: AllOf(tuple(cs))),
            st.lists(children, min_size=1, max_size=3).map(lambda cs: AnyOf(tuple(cs))),
            children.map(Not),
        ),
        max_leaves=max_leaves,
    )
