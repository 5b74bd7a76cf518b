"""买N送M limited per order and 打折 rounded per line or per order, in the operator's words.

* `BuyNGetMFree.max_sets` (每单限N次): only that many sets get free items,
  the ones that save most; ``None`` keeps the unlimited rule.
* `PercentageDiscount.rounding_scope`: `RoundingScope.PER_ORDER` (the
  default) rounds once on the eligible subtotal and allocates exactly;
  `RoundingScope.PER_LINE` rounds each line's discount and keeps it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examples_budget import scaled
from promotions._shop import NOW, cart, off, paid, shares, skipped, start, y
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.promotions import BuyNGetMFree, PercentageDiscount, RoundingScope
from sirui.rules import PriceState

# -- 买N送M, limited per order ----------------------------------------------------------


def test_buy_2_get_1_once_per_order_on_six_10_yuan_items_pays_50() -> None:
    once = BuyNGetMFree("b2g1-once", buy=2, free=1, max_sets=1)
    s = once.price(start(cart(("A", 10, 6))))
    assert paid(s) == y(50)
    assert off(s) == y(10)
    assert s.adjustments[-1].reason.params["count"] == 1


def test_without_a_limit_the_same_cart_pays_40() -> None:
    assert paid(BuyNGetMFree("b2g1", buy=2, free=1).price(start(cart(("A", 10, 6))))) == y(40)


def test_buy_2_get_1_twice_per_order_on_nine_items_pays_70() -> None:
    twice = BuyNGetMFree("b2g1-twice", buy=2, free=1, max_sets=2)
    assert paid(twice.price(start(cart(("A", 10, 9))))) == y(70)


def test_a_limit_above_the_sets_the_cart_makes_changes_nothing() -> None:
    rule = BuyNGetMFree("b2g1-5", buy=2, free=1, max_sets=5)
    assert paid(rule.price(start(cart(("A", 10, 6))))) == y(40)


def test_once_per_order_gives_the_set_that_saves_most() -> None:
    # 同款买2送1, once: three 30-yuan A and three 10-yuan B; the free A saves most.
    once = BuyNGetMFree("b2g1-once", buy=2, free=1, max_sets=1)
    s = once.price(start(cart(("A", 30, 3), ("B", 10, 3))))
    assert shares(s) == {"L-A": y(30)}
    assert paid(s) == y(90)


def test_once_per_order_pooled_frees_the_cheapest_of_the_dearest_set() -> None:
    # 任选买1送1, once: 100, 100, 10, 10 -> the first set (100, 100) gives 100 free.
    once = BuyNGetMFree("b1g1-once", buy=1, free=1, per_sku=False, max_sets=1)
    s = once.price(start(cart(("A", 100, 2), ("B", 10, 2))))
    assert paid(s) == y(120)
    assert shares(s) == {"L-A": y(100)}


def test_a_limited_rule_still_says_how_many_items_are_missing() -> None:
    once = BuyNGetMFree("b2g1-once", buy=2, free=1, max_sets=1)
    s = once.price(start(cart(("A", 10, 2))))
    assert skipped(s) == "promotion.below_quantity"
    assert s.not_applied[-1].reason.params == {"n": 3, "short": 1}


@pytest.mark.parametrize("bad", [0, -1, True, "1", 1.0])
def test_max_sets_must_be_a_positive_int_or_none(bad: object) -> None:
    with pytest.raises(InvalidPolicyError, match="max_sets") as info:
        BuyNGetMFree("x", buy=2, free=1, max_sets=bad)  # type: ignore[arg-type]
    assert "once per order" in str(info.value)


# -- 打折, rounded per order or per line -------------------------------------------------


def test_88_zhe_per_order_on_three_lines_of_3_33_takes_1_20_shared_equally() -> None:
    # 9.99 at 0.88 is 8.7912 -> 8.79: 1.20 off, allocated 0.40 to each line.
    rule = PercentageDiscount("88", rate="0.88")
    assert rule.rounding_scope is RoundingScope.PER_ORDER
    s = rule.price(start(cart(("A", "3.33", 1), ("B", "3.33", 1), ("C", "3.33", 1))))
    assert off(s) == y("1.20")
    assert shares(s) == {"L-A": y("0.40"), "L-B": y("0.40"), "L-C": y("0.40")}
    assert paid(s) == y("8.79")


def test_88_zhe_per_line_on_three_lines_of_3_35_takes_0_40_a_line() -> None:
    # Each 3.35 at 0.88 is 2.948 -> 2.95 (0.40 off); per order 10.05 -> 8.844 -> 8.84 (1.21).
    lines = (("A", "3.35", 1), ("B", "3.35", 1), ("C", "3.35", 1))
    per_line = PercentageDiscount("88-line", rate="0.88", rounding_scope=RoundingScope.PER_LINE)
    s = per_line.price(start(cart(*lines)))
    assert off(s) == y("1.20")
    assert shares(s) == {"L-A": y("0.40"), "L-B": y("0.40"), "L-C": y("0.40")}
    assert paid(s) == y("8.85")
    assert paid(PercentageDiscount("88", rate="0.88").price(start(cart(*lines)))) == y("8.84")


def test_95_zhe_per_line_on_a_1_05_line_takes_5_fen_where_per_order_takes_16() -> None:
    lines = (("A", "1.05", 1), ("B", "1.05", 1), ("C", "1.05", 1))
    per_line = PercentageDiscount("95-line", rate="0.95", rounding_scope=RoundingScope.PER_LINE)
    assert off(per_line.price(start(cart(*lines)))) == y("0.15")
    assert off(PercentageDiscount("95", rate="0.95").price(start(cart(*lines)))) == y("0.16")


def test_per_line_lines_too_cheap_to_round_to_a_fen_off_are_left_out() -> None:
    # 0.05 at 0.95 is 0.0475 -> 0.05: nothing off that line; 20.00 -> 19.00.
    per_line = PercentageDiscount("95-line", rate="0.95", rounding_scope=RoundingScope.PER_LINE)
    s = per_line.price(start(cart(("A", "0.05", 1), ("B", 20, 1))))
    assert shares(s) == {"L-B": y(1)}


def test_per_line_nothing_off_anywhere_is_skipped_with_the_reason() -> None:
    per_line = PercentageDiscount("95-line", rate="0.95", rounding_scope=RoundingScope.PER_LINE)
    s = per_line.price(start(cart(("A", "0.05", 1), ("B", "0.05", 1))))
    assert skipped(s) == "promotion.nothing_off"


def test_per_line_cap_is_on_the_total_and_shared_by_each_line_s_discount() -> None:
    # 9折最高减20: 150 and 90 give 15 and 9 off (24), capped at 20 -> 12.50 and 7.50.
    rule = PercentageDiscount("9zhe", rate="0.9", cap=y(20), rounding_scope=RoundingScope.PER_LINE)
    s = rule.price(start(cart(("A", 150, 1), ("B", 90, 1))))
    assert off(s) == y(20)
    assert shares(s) == {"L-A": y("12.50"), "L-B": y("7.50")}


def test_the_applied_reason_reads_the_same_either_way() -> None:
    per_line = PercentageDiscount("88-line", rate="0.88", rounding_scope=RoundingScope.PER_LINE)
    reason = per_line.price(start(cart(("A", 100, 1)))).adjustments[-1].reason
    assert reason.zh == "8.8折，减¥12.00"
    assert reason.en == "Pay 8.8 of the price: ¥12.00 off"


@pytest.mark.parametrize("bad", ["per_line", "PER_LINE", None, 1])
def test_rounding_scope_must_be_a_rounding_scope(bad: object) -> None:
    with pytest.raises(InvalidPolicyError, match="rounding_scope") as info:
        PercentageDiscount("x", rate="0.9", rounding_scope=bad)  # type: ignore[arg-type]
    assert "RoundingScope.PER_LINE" in str(info.value)


# -- properties -------------------------------------------------------------------------

_prices = st.integers(1, 50_000)


@st.composite
def _carts(draw: st.DrawFn) -> Cart:
    n = draw(st.integers(1, 5))
    skus = draw(st.lists(st.sampled_from("ABC"), min_size=n, max_size=n))
    lines = tuple(
        Line(f"L{i}", Sku(s, Money(draw(_prices))), draw(st.integers(1, 7)))
        for i, s in enumerate(skus)
    )
    return Cart(Member("m1", tier="gold", paid_orders=1), lines)


def _start(c: Cart) -> PriceState:
    return PriceState.start(c, NOW)


@settings(max_examples=scaled(60), deadline=None)
@given(_carts(), st.integers(1, 3), st.integers(1, 3), st.booleans(), st.integers(1, 3))
def test_a_limited_buy_n_get_m_frees_at_most_its_sets_and_saves_no_more_than_unlimited(
    c: Cart, buy: int, free: int, per_sku: bool, max_sets: int
) -> None:
    limited = BuyNGetMFree("lim", buy=buy, free=free, per_sku=per_sku, max_sets=max_sets)
    unlimited = BuyNGetMFree("all", buy=buy, free=free, per_sku=per_sku)
    s, u = limited.price(_start(c)), unlimited.price(_start(c))
    if not s.adjustments:
        assert not u.adjustments
        return
    adj = s.adjustments[-1]
    assert adj.reason.params["count"] <= max_sets * free
    assert sum(m.minor for _, m in adj.allocations) == adj.amount.minor
    assert 0 < adj.amount.minor <= u.adjustments[-1].amount.minor <= c.amount.minor
    assert all(0 <= pl.amount.minor <= pl.original.minor for pl in s.lines)


@settings(max_examples=scaled(60), deadline=None)
@given(_carts(), st.integers(1, 99).map(lambda k: Decimal(k) / 100),
       st.none() | st.integers(1, 5_000).map(Money))
def test_percentage_either_way_is_exact_bounded_and_rounds_within_a_fen_a_line(
    c: Cart, rate: Decimal, cap: Money | None
) -> None:
    found = {}
    for scope in RoundingScope:
        rule = PercentageDiscount("p", rate=rate, cap=cap, rounding_scope=scope)
        s = rule.price(_start(c))
        if not s.adjustments:
            found[scope] = 0
            continue
        adj = s.adjustments[-1]
        assert sum(m.minor for _, m in adj.allocations) == adj.amount.minor
        assert 0 < adj.amount.minor <= c.amount.minor
        if cap is not None:
            assert adj.amount <= cap
        assert all(0 <= pl.amount.minor <= pl.original.minor for pl in s.lines)
        found[scope] = adj.amount.minor
    exact = c.amount.minor * (1 - rate)
    if cap is None:
        # Per order is the exact discount to half a fen; per line to half a fen a line.
        assert abs(found[RoundingScope.PER_ORDER] - exact) <= Decimal("0.5")
        assert abs(found[RoundingScope.PER_LINE] - exact) <= Decimal("0.5") * len(c.lines)
    else:
        assert max(found.values()) <= cap.minor


@settings(max_examples=scaled(60), deadline=None)
@given(_carts(), st.integers(1, 99).map(lambda k: Decimal(k) / 100))
def test_per_line_gives_each_line_its_own_discount_exactly(c: Cart, rate: Decimal) -> None:
    rule = PercentageDiscount("p", rate=rate, rounding_scope=RoundingScope.PER_LINE)
    s = rule.price(_start(c))
    got = dict(s.adjustments[-1].allocations) if s.adjustments else {}
    for line in c.lines:
        own = line.amount - line.amount.times(rate)
        assert got.get(line.id, Money(0)) == own


@settings(max_examples=scaled(60), deadline=None)
@given(st.none() | st.integers(1, 5), st.sampled_from(RoundingScope),
       st.none() | st.integers(1, 5_000).map(Money))
def test_the_new_fields_round_trip_through_config(
    max_sets: int | None, scope: RoundingScope, cap: Money | None
) -> None:
    from sirui.config import dump, fingerprint, load

    bogo = BuyNGetMFree("b", buy=2, free=1, max_sets=max_sets)
    pct = PercentageDiscount("p", rate="0.88", cap=cap, rounding_scope=scope)
    for p in (bogo, pct):
        assert load(dump(p)) == p
        assert fingerprint(load(dump(p))) == fingerprint(p)
    assert ("max_sets" in dump(bogo)) == (max_sets is not None)
    assert dump(pct).get("rounding_scope", "per_order") == scope.value


def test_a_document_without_the_new_fields_loads_as_before() -> None:
    from sirui.config import load

    assert load({"type": "promotion.buy_n_get_m", "id": "b", "buy": 2, "free": 1}).max_sets is None
    doc = {"type": "promotion.percentage", "id": "p", "rate": "0.88"}
    assert load(doc).rounding_scope is RoundingScope.PER_ORDER
    assert load({**doc, "rounding_scope": "per_line"}).rounding_scope is RoundingScope.PER_LINE
