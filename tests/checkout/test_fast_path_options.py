"""The fen path prices the options of issue 20 as the straightforward path does.

`BuyNGetMFree.max_sets`, `PercentageDiscount.rounding_scope` and
`QuantityReduction` each price in fen (`price_fen`) as well as on
`PriceState`; a quote with them runs in fen and must be the very quote the
straightforward path gives, mixed with the other promotions, coupons and
stacking rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from checkout._shop import cart, y
from checkout.test_fast_path import SHIPPINGS, same_both_ways, stackings
from examples_budget import scaled
from sirui.core.money import Money
from sirui.promotions import (
    BuyNGetMFree,
    FullReduction,
    PercentageDiscount,
    QuantityReduction,
    QuantityTier,
    ReductionTier,
    RoundingScope,
)
from sirui.promotions.base import prices_in_fen
from sirui.rules import ItemScope
from sirui.testing import carts, members

_scopes = st.sampled_from([ItemScope(), ItemScope(categories=frozenset({"母婴"}))])


@st.composite
def _options(draw: st.DrawFn, i: int) -> Any:
    kind = draw(st.sampled_from(["bogo", "pct", "qty", "fr"]))
    common: dict[str, Any] = {
        "scope": draw(_scopes),
        "group": draw(st.none() | st.sampled_from(["g1", "g2"])),
        "exclusive": draw(st.booleans()),
        "stacks_with_coupons": draw(st.booleans()),
    }
    if kind == "bogo":
        return BuyNGetMFree(f"bogo{i}", buy=draw(st.integers(1, 3)), free=draw(st.integers(1, 2)),
                            per_sku=draw(st.booleans()),
                            max_sets=draw(st.none() | st.integers(1, 3)), **common)
    if kind == "pct":
        return PercentageDiscount(
            f"pct{i}", rate=Decimal(draw(st.integers(50, 99))) / 100,
            cap=draw(st.none() | st.integers(1, 5_000).map(Money)),
            rounding_scope=draw(st.sampled_from(RoundingScope)), **common,
        )
    if kind == "qty":
        counts = sorted(draw(st.sets(st.integers(1, 6), min_size=1, max_size=3)))
        offs = sorted(draw(st.sets(st.integers(1, 20_000), min_size=len(counts),
                                   max_size=len(counts))))
        return QuantityReduction(
            f"qty{i}",
            tiers=tuple(QuantityTier(c, Money(o)) for c, o in zip(counts, offs, strict=True)),
            **common,
        )
    return FullReduction(f"fr{i}", tiers=(ReductionTier(y(99), y(10)),), **common)


@st.composite
def _orders(draw: st.DrawFn) -> dict[str, Any]:
    member = draw(members())
    c = draw(carts(max_lines=6, member=st.just(member)))
    promos = [draw(_options(i)) for i in range(draw(st.integers(1, 4)))]
    return {
        "cart": c,
        "promotions": promos,
        "stacking": draw(stackings([p.id for p in promos])),
        "shipping": draw(st.sampled_from(SHIPPINGS)),
    }


def test_the_new_options_price_in_fen() -> None:
    for p in (
        BuyNGetMFree("b", buy=2, free=1, max_sets=1),
        PercentageDiscount("p", rate="0.88", rounding_scope=RoundingScope.PER_LINE),
        QuantityReduction("q", tiers=(QuantityTier(2, y(3)),)),
    ):
        assert prices_in_fen(p)


@settings(max_examples=scaled(60), deadline=None)
@given(_orders())
def test_fen_and_straightforward_quotes_agree_on_the_new_options(order: dict[str, Any]) -> None:
    same_both_ways(order["cart"], **{k: v for k, v in order.items() if k != "cart"})


def test_a_quote_with_all_three_options_in_yuan() -> None:
    # 买2送1 once on six 10-yuan A (10 off: 50 left), then 满2件减3元 over 53.35 (2.81 from
    # A, 0.19 from B), then 88折 per line on B: 3.16 at 0.88 is 2.7808 -> 2.78 (0.38 off).
    promos = [
        BuyNGetMFree("b2g1-once", buy=2, free=1, max_sets=1, priority=3,
                     scope=ItemScope(skus=frozenset({"A"}))),
        QuantityReduction("2items-3off", tiers=(QuantityTier(2, y(3)),), priority=2),
        PercentageDiscount("88-line", rate="0.88", rounding_scope=RoundingScope.PER_LINE,
                           scope=ItemScope(skus=frozenset({"B"}))),
    ]
    c = cart(("A", 10, 6), ("B", "3.35", 1))
    fast = same_both_ways(c, promotions=promos)
    applied = {a.rule: a.amount for a in fast.adjustments}
    assert applied["b2g1-once"] == y(10)
    assert applied["2items-3off"] == y(3)
    assert applied["88-line"] == y("0.38")
    assert fast.payable == y("49.97")
