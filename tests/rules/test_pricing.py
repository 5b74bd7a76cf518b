"""The pricing contract: allocations are exact, bounded and order-independent."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member
from sirui.rules import (
    SHIPPING_LINE,
    Adjustment,
    ItemScope,
    PriceState,
    PricingStep,
    Stage,
    allocate_off,
    reason_code,
)
from sirui.rules.pricing import FenCart
from sirui.testing import CATEGORIES, carts, money
from sirui.testing.promotions import item_scopes

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
OFF = reason_code("test.pricing_off", zh="减{off}", en="{off} off")


@given(carts(), money(0, 500_000))
def test_allocation_is_exact_bounded_and_order_free(cart: Cart, amount: Money) -> None:
    state = PriceState.start(cart, NOW)
    lines = state.eligible(Stage.PROMOTION)
    shares = allocate_off(amount, lines)
    total = sum((m for _, m in shares), Money(0))
    assert total == amount.min(state.subtotal(lines))
    by_id = {pl.id: pl.amount for pl in lines}
    assert all(m <= by_id[lid] and m.minor > 0 for lid, m in shares)
    assert allocate_off(amount, tuple(reversed(lines))) == shares
    after = state.apply(Adjustment("r", Stage.PROMOTION, total, shares, OFF(off=total)))
    assert after.subtotal() == state.subtotal() - total
    assert all(pl.amount.minor >= 0 for pl in after.lines)


@given(carts(), st.lists(st.integers(0, 100), min_size=1, max_size=8), money(0, 500_000))
def test_explicit_weights_never_push_a_line_below_zero(
    cart: Cart, raw: list[int], amount: Money
) -> None:
    state = PriceState.start(cart, NOW)
    lines = state.lines
    weights = [Money(raw[i % len(raw)]) for i in range(len(lines))]
    shares = allocate_off(amount, lines, weights)
    assert sum((m for _, m in shares), Money(0)) == amount.min(state.subtotal())
    by_id = {pl.id: pl.amount for pl in lines}
    assert all(m <= by_id[lid] for lid, m in shares)


def _state() -> PriceState:
    from sirui.core.nouns import Sku

    a, b = Sku("A", Money.of("100")), Sku("B", Money.of("50"), tags={"特价"})
    return PriceState.start(Cart(Member("m"), [Line("2", b, 1), Line("1", a, 1)]), NOW)


def test_state_basics_and_misuse() -> None:
    s = _state()
    assert [pl.id for pl in s.lines] == ["1", "2"]  # canonical order
    assert s.line("2").original == Money.of("50")
    with pytest.raises(InvalidValueError):
        s.line("9")
    assert s.eligible(Stage.COUPON, ItemScope(exclude_tags={"特价"}))[0].id == "1"
    assert s.facts().total == Money.of("150")
    blocked = s.apply(
        Adjustment(
            "sk",
            Stage.ACTIVITY,
            Money.of("10"),
            (("1", Money.of("10")),),
            OFF(off=Money.of("10")),
            blocks=frozenset({Stage.COUPON}),
            activity="seckill:1",
        )
    )
    assert [pl.id for pl in blocked.eligible(Stage.COUPON)] == ["2"]
    assert blocked.line("1").activity == "seckill:1"
    assert blocked.stage_total(Stage.ACTIVITY) == Money.of("10")
    with pytest.raises(InvalidValueError, match="closed to stage COUPON"):
        blocked.apply(Adjustment("c", Stage.COUPON, Money(1), (("1", Money(1)),), OFF(off=1)))
    with pytest.raises(InvalidValueError, match="exceeds"):
        s.apply(
            Adjustment("x", Stage.PROMOTION, Money.of("60"), (("2", Money.of("60")),), OFF(off=1))
        )
    with pytest.raises(InvalidValueError, match="unknown line"):
        s.apply(Adjustment("x", Stage.PROMOTION, Money(1), (("9", Money(1)),), OFF(off=1)))
    with pytest.raises(InvalidValueError, match="shipping"):
        s.apply(Adjustment("x", Stage.SHIPPING, Money(1), ((SHIPPING_LINE, Money(1)),), OFF(off=1)))
    with pytest.raises(InvalidValueError, match="sum to"):
        Adjustment("x", Stage.PROMOTION, Money(2), (("1", Money(1)),), OFF(off=1))
    skipped = s.skip("r", Stage.PROMOTION, OFF(off=1)).with_extra("k", 1)
    assert skipped.not_applied[0].rule == "r" and skipped.extra("k") == 1
    assert skipped.extra("nope", 5) == 5
    assert Stage.COUPON.zh == "优惠券"
    assert not isinstance(object(), PricingStep)


_PATHS = st.sampled_from((*CATEGORIES, "母婴", "母婴/奶粉", "洗护"))
_CATEGORY_SCOPES = st.builds(
    ItemScope,
    categories=st.frozensets(_PATHS, max_size=2),
    exclude_categories=st.frozensets(_PATHS, max_size=2),
)


@given(carts(), st.lists(item_scopes() | _CATEGORY_SCOPES, min_size=1, max_size=4))
def test_the_fen_cart_finds_exactly_the_lines_each_scope_matches(
    cart: Cart, scopes: list[ItemScope]
) -> None:
    fen = FenCart(cart, pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
    for scope in scopes:
        expected = tuple(
            i for i, ln in enumerate(fen.lines) if not ln.gift and scope.matches(ln.sku)
        )
        assert fen.in_scope(scope) == expected
        assert fen.in_scope(scope) == expected  # and again, from the cart's memo


def test_a_category_scope_answers_per_category_whichever_sku_objects_carry_it() -> None:
    milk = ItemScope(
        categories=frozenset({"母婴/奶粉"}), exclude_categories=frozenset({"母婴/奶粉/3段"})
    )
    assert milk.category_only and not ItemScope(skus=frozenset({"A"})).category_only
    assert milk.covers_category(("母婴", "奶粉", "1段"))
    assert not milk.covers_category(("母婴", "奶粉", "3段"))
    assert not milk.covers_category(("母婴", "奶粉粉"))  # a prefix of the name is not a parent
    assert ItemScope().covers_category(("洗护",))
