"""sirui's quote against a hand-written integer pricer of the same rules, on drawn carts.

`benchmarks/bench_handwritten.py` holds the pricer a competent engineer
writes for exactly one rule set (gold 95折; 满199减20 / 满299减40 / 满499减80;
the best of 8 coupons: store amount-off and percent-off, item coupons by
category, an exchange coupon; one store and one item-or-exchange coupon per
order; every discount split to lines by largest remainder). The benchmark
compares speeds on one cart; this test holds the two to the same payable and
the same per-line paid amounts on every cart Hypothesis draws, on both of
sirui's paths (fen and straightforward).
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from checkout._shop import straightforward
from sirui.checkout import quote
from sirui.core import Cart, Line, Member, Money, Sku

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_checkout import NOW
from bench_handwritten import CATEGORIES, handwritten, promotions, wallet

PROMOTIONS, WALLET = promotions(), wallet()


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    n = draw(st.integers(1, 12))
    lines = []
    for i in range(n):
        sku = draw(st.sampled_from(["SKU07", *(f"SKU{k:02d}" for k in range(12))]))
        price = Money(draw(st.integers(1, 40_000)))
        cat = draw(st.sampled_from(CATEGORIES))
        lines.append(Line(f"L{i:02d}", Sku(sku, price, category=cat), draw(st.integers(1, 3))))
    tier = draw(st.sampled_from(["gold", "normal"]))
    return Cart(Member("m001", tier=tier, paid_orders=3), tuple(lines), store="S01")


def _sirui(cart: Cart) -> tuple[int, dict[str, int]]:
    q = quote(cart, NOW, promotions=PROMOTIONS, coupons=WALLET)
    return q.payable.minor, {ln.id: ln.paid.minor for ln in q.lines}


@settings(deadline=None)  # the profile's full count
@given(cart=carts())
def test_sirui_prices_every_cart_as_the_hand_written_pricer_does(cart: Cart) -> None:
    expected = handwritten(cart)
    assert _sirui(cart) == expected
    with straightforward():
        assert _sirui(cart) == expected


def test_the_benchmark_cart_agrees_too() -> None:
    from bench_checkout import sample_cart

    cart = sample_cart()
    assert _sirui(cart) == handwritten(cart)
    assert handwritten(cart)[0] < sum(ln.unit_price.minor * ln.quantity for ln in cart.lines)
