"""Properties of every promotion and coupon template, on generated carts and policies.

* one promotion never takes a line below zero or above its original amount,
  and payable stays within [0, original + shipping];
* each adjustment's allocations sum exactly to it and touch only lines open
  to its stage and in its scope (shipping: only the shipping pseudo line);
* permuting the cart's lines changes nothing;
* any sequence of promotions then coupons keeps all of the above.
"""

from __future__ import annotations

import random

import attrs
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from examples_budget import scaled
from sirui.core.money import Money
from sirui.core.nouns import Cart
from sirui.core.windows import DateTime
from sirui.promotions import Coupon, CouponTemplate, Promotion
from sirui.rules import SHIPPING_LINE, PriceState, Stage
from sirui.testing import aware_datetimes, carts, money
from sirui.testing.promotions import coupon_templates, promotions


def _start(cart: Cart, now: DateTime, fee: Money) -> PriceState:
    return attrs.evolve(PriceState.start(cart, now), shipping_fee=fee)


def _claimed(t: CouponTemplate, cart: Cart, now: DateTime, i: int = 0) -> Coupon:
    return Coupon.claimed(f"cp{i}", t, cart.member.id, now.subtract(hours=1))


def _check_step(before: PriceState, after: PriceState, stage: Stage, scope: object) -> None:
    new = after.adjustments[len(before.adjustments):]
    skipped = after.not_applied[len(before.not_applied):]
    assert len(new) + len(skipped) == 1, "a rule applies or says why not, once"
    open_ids = {pl.id for pl in before.eligible(stage, scope)}  # type: ignore[arg-type]
    for adj in new:
        total = sum((m for _, m in adj.allocations), Money(0))
        assert total == adj.amount
        ids = {lid for lid, _ in adj.allocations}
        if stage is Stage.SHIPPING:
            assert ids <= {SHIPPING_LINE}
        else:
            assert ids <= open_ids
    for pl in after.lines:
        assert 0 <= pl.amount.minor <= pl.original.minor
    _check_payable(after)


def _check_payable(s: PriceState) -> None:
    fee = s.shipping_fee or Money(0)
    payable = s.subtotal() + fee - s.stage_total(Stage.SHIPPING)
    assert Money(0) <= payable <= s.cart.amount + fee


def _comparable(s: PriceState) -> tuple[object, ...]:
    return (s.lines, s.adjustments, s.not_applied, s.gifts, s.extras)


def _shuffled(cart: Cart, seed: int) -> Cart:
    lines = list(cart.lines)
    random.Random(seed).shuffle(lines)
    return attrs.evolve(cart, lines=tuple(reversed(lines)))


NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
nows = st.just(NOW) | aware_datetimes()


@given(carts(), promotions(live_at=NOW), nows, money(0, 2_000))
def test_one_promotion_keeps_lines_in_bounds_and_allocations_exact(
    cart: Cart, promo: Promotion, now: DateTime, fee: Money
) -> None:
    before = _start(cart, now, fee)
    _check_step(before, promo.price(before), promo.stage, promo.scope)


@given(carts(), coupon_templates(live_at=NOW), nows, money(0, 2_000))
def test_one_coupon_keeps_lines_in_bounds_and_allocations_exact(
    cart: Cart, template: CouponTemplate, now: DateTime, fee: Money
) -> None:
    before = _start(cart, now, fee)
    after = template.price(before, _claimed(template, cart, now))
    _check_step(before, after, template.stage, template.scope)


@given(carts(), promotions(live_at=NOW), nows, st.integers(0, 10**6))
def test_permuting_lines_changes_no_promotion(
    cart: Cart, promo: Promotion, now: DateTime, seed: int
) -> None:
    a = promo.price(_start(cart, now, Money(800)))
    b = promo.price(_start(_shuffled(cart, seed), now, Money(800)))
    assert _comparable(a) == _comparable(b)


@given(carts(), coupon_templates(live_at=NOW), nows, st.integers(0, 10**6))
def test_permuting_lines_changes_no_coupon(
    cart: Cart, template: CouponTemplate, now: DateTime, seed: int
) -> None:
    coupon = _claimed(template, cart, now)
    a = template.price(_start(cart, now, Money(800)), coupon)
    b = template.price(_start(_shuffled(cart, seed), now, Money(800)), coupon)
    assert _comparable(a) == _comparable(b)


@settings(max_examples=scaled(40))
@given(
    carts(),
    st.lists(promotions(live_at=NOW), max_size=4),
    st.lists(coupon_templates(live_at=NOW), max_size=3),
    nows,
    money(0, 2_000),
)
def test_promotions_then_coupons_in_stage_order_keep_every_invariant(
    cart: Cart,
    promos: list[Promotion],
    templates: list[CouponTemplate],
    now: DateTime,
    fee: Money,
) -> None:
    state = _start(cart, now, fee)
    steps: list[tuple[Stage, int, object]] = [(p.stage, i, p) for i, p in enumerate(promos)]
    steps += [(t.stage, 100 + i, t) for i, t in enumerate(templates)]
    for stage, i, rule in sorted(steps, key=lambda s: (s[0], s[1])):
        before = state
        if isinstance(rule, Promotion):
            state = rule.price(state)
        else:
            assert isinstance(rule, CouponTemplate)
            state = rule.price(state, _claimed(rule, cart, now, i))
        _check_step(before, state, stage, rule.scope)  # type: ignore[attr-defined]
    assert sum((a.amount for a in state.adjustments), Money(0)) == (
        cart.amount - state.subtotal() + state.stage_total(Stage.SHIPPING)
    )
