"""满件减 (`QuantityReduction`): a fixed amount off when the order has enough items.

满2件减3元 is a promotion, not only a coupon: tiers count the items (units
of the eligible lines), the highest tier reached applies, the discount never
exceeds what the eligible lines cost and is allocated to them to the fen.
"""

from __future__ import annotations

import random

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examples_budget import scaled
from promotions._shop import NOW, cart, off, paid, shares, skipped, start, y
from sirui.config import dump, load
from sirui.core.errors import ConfigError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.promotions import QuantityReduction, QuantityTier, ReductionTier
from sirui.rules import ItemScope, PriceState

TWO_FOR_3 = QuantityReduction("2items-3off", tiers=(QuantityTier(2, y(3)),))
LADDER = QuantityReduction(
    "items-ladder", tiers=(QuantityTier(2, y(3)), QuantityTier(3, y(8)), QuantityTier(5, y(20)))
)


def test_2_items_3_off_on_two_20_yuan_items_pays_37() -> None:
    s = TWO_FOR_3.price(start(cart(("A", 20, 2))))
    assert paid(s) == y(37)
    assert off(s) == y(3)


def test_the_3_yuan_is_shared_by_line_amount() -> None:
    s = TWO_FOR_3.price(start(cart(("A", 20, 1), ("B", 10, 1))))
    assert shares(s) == {"L-A": y(2), "L-B": y(1)}
    assert paid(s) == y(27)


def test_the_reason_reads_like_the_poster() -> None:
    reason = TWO_FOR_3.price(start(cart(("A", 20, 2)))).adjustments[-1].reason
    assert reason.code == "promotion.quantity_reduction"
    assert reason.zh == "满2件减¥3.00"
    assert reason.en == "¥3.00 off 2 or more items"


def test_one_item_is_one_short() -> None:
    s = TWO_FOR_3.price(start(cart(("A", 20, 1))))
    assert skipped(s) == "promotion.below_quantity"
    assert s.not_applied[-1].reason.zh == "满2件可享优惠，还差1件"


def test_the_highest_tier_reached_applies() -> None:
    assert paid(LADDER.price(start(cart(("A", 10, 3))))) == y(22)   # 满3件减8
    assert paid(LADDER.price(start(cart(("A", 10, 4))))) == y(32)   # still 满3件减8
    assert paid(LADDER.price(start(cart(("A", 10, 6))))) == y(40)   # 满5件减20


def test_next_tier_tells_how_many_more_items() -> None:
    tier, short = LADDER.next_tier(3)  # type: ignore[misc]
    assert (tier.items, tier.off, short) == (5, y(20), 2)
    assert LADDER.next_tier(5) is None


def test_the_discount_never_exceeds_what_the_items_cost() -> None:
    # 满2件减3元 on two 1-yuan items: the items cost 2, so 2 off and they are free.
    s = TWO_FOR_3.price(start(cart(("A", 1, 2))))
    assert off(s) == y(2)
    assert paid(s) == y(0)
    assert s.adjustments[-1].reason.params["off"] == y(2)


def test_only_items_in_scope_count() -> None:
    milk = QuantityReduction(
        "milk-2-3", tiers=(QuantityTier(2, y(3)),),
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    one_milk = cart(("A", 20, 1, "母婴/奶粉/1段"), ("D", 30, 1, "母婴/纸尿裤"))
    assert skipped(milk.price(start(one_milk))) == "promotion.below_quantity"
    two_milk = cart(("A", 20, 2, "母婴/奶粉/1段"), ("D", 30, 1, "母婴/纸尿裤"))
    assert shares(milk.price(start(two_milk))) == {"L-A": y(3)}


def test_a_document_loads_and_dumps() -> None:
    doc = {"type": "promotion.quantity_reduction", "id": "2items-3off",
           "tiers": [{"items": 2, "off": "3"}]}
    assert load(doc) == TWO_FOR_3
    assert dump(TWO_FOR_3)["tiers"] == [{"items": 2, "off": "3.00"}]
    with pytest.raises(ConfigError, match="items"):
        load({**doc, "tiers": [{"items": 0, "off": "3"}]})


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ((), "tiers"),
        ((QuantityTier(3, y(8)), QuantityTier(2, y(3))), "tiers[1].items"),
        ((QuantityTier(2, y(3)), QuantityTier(2, y(5))), "tiers[1].items"),
        ((QuantityTier(2, y(8)), QuantityTier(3, y(8))), "tiers[1].off"),
        ((ReductionTier(y(199), y(20)),), "tiers[0]"),
        ((QuantityTier(2, y(3)), QuantityTier(3, Money.of("8", "USD"))), "tiers[1].off"),
    ],
)
def test_bad_tiers_are_refused_with_the_field(tiers: tuple[object, ...], field: str) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        QuantityReduction("x", tiers=tiers)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize(("items", "amount"), [(0, y(3)), (-1, y(3)), (2, y(0)), (True, y(3))])
def test_a_tier_needs_at_least_one_item_and_something_off(items: int, amount: Money) -> None:
    with pytest.raises(InvalidPolicyError):
        QuantityTier(items, amount)


# -- properties -------------------------------------------------------------------------


@st.composite
def _carts(draw: st.DrawFn) -> Cart:
    n = draw(st.integers(1, 5))
    lines = tuple(
        Line(f"L{i}", Sku(f"S{i}", Money(draw(st.integers(1, 5_000))),
                          category=draw(st.sampled_from(["母婴/奶粉", "洗护"]))),
             draw(st.integers(1, 4)))
        for i in range(n)
    )
    return Cart(Member("m1", paid_orders=1), lines)


@st.composite
def _ladders(draw: st.DrawFn) -> QuantityReduction:
    counts = sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=4)))
    offs = sorted(draw(st.sets(st.integers(1, 30_000), min_size=len(counts),
                               max_size=len(counts))))
    scope = draw(st.sampled_from([ItemScope(), ItemScope(categories=frozenset({"母婴/奶粉"}))]))
    return QuantityReduction(
        "q", tiers=tuple(QuantityTier(c, Money(o)) for c, o in zip(counts, offs, strict=True)),
        scope=scope,
    )


@settings(max_examples=scaled(60), deadline=None)
@given(_carts(), _ladders(), st.randoms(use_true_random=False))
def test_quantity_reduction_is_its_tier_capped_by_the_scope_and_allocated_exactly(
    c: Cart, rule: QuantityReduction, rnd: random.Random
) -> None:
    s = rule.price(PriceState.start(c, NOW))
    in_scope = [ln for ln in c.lines if rule.scope.matches(ln.sku)]
    items = sum(ln.quantity for ln in in_scope)
    scope_total = sum(ln.amount.minor for ln in in_scope)
    tier = rule.tier_for(items)
    if tier is None or not in_scope:
        assert not s.adjustments
        return
    adj = s.adjustments[-1]
    assert adj.amount.minor == min(tier.off.minor, scope_total) <= scope_total
    assert sum(m.minor for _, m in adj.allocations) == adj.amount.minor
    assert {lid for lid, _ in adj.allocations} <= {ln.id for ln in in_scope}
    assert all(0 <= pl.amount.minor <= pl.original.minor for pl in s.lines)
    lines = list(c.lines)
    rnd.shuffle(lines)
    shuffled = rule.price(PriceState.start(attrs.evolve(c, lines=tuple(lines)), NOW))
    assert shuffled.adjustments == s.adjustments


@settings(max_examples=scaled(60), deadline=None)
@given(_ladders())
def test_quantity_reductions_round_trip(rule: QuantityReduction) -> None:
    assert load(dump(rule)) == rule
