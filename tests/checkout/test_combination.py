"""Best coupon combination: exact examples in yuan, and brute force on small wallets."""

from __future__ import annotations

import itertools
from unittest.mock import patch

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout._shop import GOLD, MONTH, NOW, cart, claim, straightforward, y
from sirui.checkout import ShippingPolicy, SlotLimit, StackingPolicy, quote
from sirui.checkout._fast import FastModel
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Member
from sirui.core.windows import DaysAfterClaim
from sirui.promotions import (
    AmountOffCoupon,
    ExchangeCoupon,
    FreeShippingCoupon,
    FullReduction,
    NoThresholdCoupon,
    PercentOffCoupon,
    ReductionTier,
)
from sirui.rules import ItemScope
from sirui.testing import CATEGORIES, carts, members
from sirui.testing.promotions import coupon_templates

FR = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])
TWO_STORE = StackingPolicy(
    slot_limits=[SlotLimit({"store"}, 2), SlotLimit({"item", "exchange"}, 2)]
)


def off(cid: str, amount: int, threshold: int = 0, **kw: object) -> AmountOffCoupon:
    return AmountOffCoupon(cid, validity=MONTH, off=y(amount), threshold=y(threshold), **kw)  # type: ignore[arg-type]


def test_store_and_item_coupon_stack_after_the_full_reduction() -> None:
    """300 cart, 满299减40 → 260; item 无门槛5 → 255; store 满250减30 → 225."""
    wallet = [
        claim("c-30", off("t30", 30, 250)),
        claim("c-10", off("t10", 10, 100)),
        claim("c-5", NoThresholdCoupon("t5", validity=MONTH, off=y(5), slot="item")),
    ]
    q = quote(cart(("A", 100, 1), ("B", 200, 1)), NOW, promotions=[FR], coupons=wallet)
    assert q.payable == y(225)
    assert q.coupons_used == ("c-30", "c-5")
    why = q.why_not("c-10")
    assert why is not None
    assert why.code == "stacking.slot_full"
    assert why.params["alone"] == y(10)
    assert why.params["combination"] == y(35)


def test_percentage_coupon_wins_when_it_saves_more() -> None:
    """450 cart: 9折 capped at 50 saves 45, 满300减40 saves 40; pays 405."""
    wallet = [
        claim("pct", PercentOffCoupon("p90", validity=MONTH, rate="0.9", cap=y(50))),
        claim("amt", off("t40", 40, 300)),
    ]
    q = quote(cart(("A", 450, 1)), NOW, coupons=wallet)
    assert q.payable == y(405)
    assert q.coupons_used == ("pct",)


def test_exchange_coupon_and_item_coupon_share_one_slot() -> None:
    """A 39.90 bib is free with the exchange coupon, better than 无门槛20 (item): pays 100."""
    wallet = [
        claim("ex", ExchangeCoupon("ex-bib", validity=MONTH, sku="BIB")),
        claim("i20", NoThresholdCoupon("t20", validity=MONTH, off=y(20), slot="item")),
    ]
    q = quote(cart(("A", 100, 1), ("BIB", "39.9", 2)), NOW, coupons=wallet)
    assert q.payable == y("139.9")
    assert q.coupons_used == ("ex",)
    assert q.why_not("i20").code == "stacking.slot_full"  # type: ignore[union-attr]


def test_two_coupons_of_one_template_use_the_one_expiring_first() -> None:
    t = off("t10", 10, 100)
    wallet = [claim("later", t, days_ago=1), claim("sooner", t, days_ago=20)]
    q = quote(cart(("A", 150, 1)), NOW, coupons=wallet)
    assert q.payable == y(140)
    assert q.coupons_used == ("sooner",)
    assert q.why_not("later").code == "stacking.same_template"  # type: ignore[union-attr]


def test_slot_limit_of_two_store_coupons() -> None:
    """Policy allows 2 store coupons: 300 cart, 满200减20 then 满250减30 on 280 → pays 250."""
    wallet = [claim("a", off("t20", 20, 200)), claim("b", off("t30", 30, 250))]
    pol = StackingPolicy(slot_limits=[SlotLimit({"store"}, 2)])
    assert quote(cart(("A", 300, 1)), NOW, coupons=wallet).payable == y(270)
    q = quote(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=pol)
    assert q.payable == y(250)
    assert q.coupons_used == ("a", "b")


def test_one_coupon_per_order_keeps_the_best_single() -> None:
    wallet = [
        claim("s", off("t30", 30, 250)),
        claim("i", NoThresholdCoupon("t15", validity=MONTH, off=y(15), slot="item")),
    ]
    q = quote(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=StackingPolicy(max_coupons=1))
    assert q.payable == y(270)
    assert q.why_not("i").code == "stacking.order_limit"  # type: ignore[union-attr]


def test_coupon_not_stacking_with_promotions_only_sees_undiscounted_lines() -> None:
    """满299减40 on milk only; a non-stacking 无门槛10 applies to the diapers: pays 250+90."""
    milk_fr = FullReduction(
        "milk-fr", tiers=[ReductionTier(y(299), y(40))],
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10), stacks_with_promotions=False)
    c = cart(("MILK", 300, 1), ("DIAPER", 100, 1, "母婴/纸尿裤"))
    q = quote(c, NOW, promotions=[milk_fr], coupons=[claim("c10", c10)])
    assert q.payable == y(350)
    assert q.line("L-DIAPER").paid == y(90)
    assert q.line("L-MILK").paid == y(260)
    only_milk = cart(("MILK", 300, 1))
    q2 = quote(only_milk, NOW, promotions=[milk_fr], coupons=[claim("c10", c10)])
    assert q2.payable == y(260)
    assert q2.coupons_used == ()


def test_mall_policy_can_forbid_coupons_on_promoted_lines() -> None:
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10))
    c = cart(("A", 300, 1))
    pol = StackingPolicy(coupons_with_promotions=False)
    assert quote(c, NOW, promotions=[FR], coupons=[claim("c", c10)]).payable == y(250)
    assert quote(c, NOW, promotions=[FR], coupons=[claim("c", c10)], stacking=pol).payable == y(260)


def test_promotion_that_does_not_stack_with_coupons_blocks_its_lines() -> None:
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))], stacks_with_coupons=False)
    c10 = NoThresholdCoupon("t10", validity=MONTH, off=y(10))
    q = quote(cart(("A", 300, 1)), NOW, promotions=[fr], coupons=[claim("c", c10)])
    assert q.payable == y(260)
    assert q.why_not("c") is not None


def test_another_members_coupon_is_refused_with_a_reason() -> None:
    wallet = [claim("theirs", off("t10", 10, 100), member="m9")]
    q = quote(cart(("A", 150, 1)), NOW, coupons=wallet)
    assert q.payable == y(150)
    assert q.why_not("theirs").code == "coupon.not_owner"  # type: ignore[union-attr]


def test_expired_coupon_is_refused_with_a_reason() -> None:
    t = AmountOffCoupon("t10", validity=DaysAfterClaim(3), off=y(10), threshold=y(100))
    q = quote(cart(("A", 150, 1)), NOW, coupons=[claim("old", t, days_ago=10)])
    assert q.payable == y(150)
    assert q.why_not("old").code == "coupon.expired"  # type: ignore[union-attr]


def test_below_threshold_coupon_says_how_much_is_missing() -> None:
    q = quote(cart(("A", 80, 1)), NOW, coupons=[claim("c", off("t10", 10, 100))])
    why = q.why_not("c")
    assert why is not None
    assert why.code == "coupon.below_threshold"
    assert why.params["short"] == y(20)


def test_pinned_choice_is_respected_and_invalid_pins_reported() -> None:
    """The shopper picks 满100减10 over the better 满250减30: pays 290; bad pins are listed."""
    wallet = [
        claim("c10", off("t10", 10, 100)),
        claim("c30", off("t30", 30, 250)),
        claim("c500", off("t50", 50, 500)),
    ]
    c = cart(("A", 300, 1))
    q = quote(c, NOW, coupons=wallet, chosen_coupons=["c10"])
    assert q.payable == y(290)
    assert q.why_not("c30").code == "checkout.coupon_not_chosen"  # type: ignore[union-attr]
    q2 = quote(c, NOW, coupons=wallet, chosen_coupons=["c30", "c10", "nope"])
    assert q2.payable == y(270)  # the first pick of the full store slot wins
    codes = {na.rule: na.reason.code for na in q2.not_applied}
    assert codes["nope"] == "checkout.coupon_not_in_wallet"
    assert codes["c10"] == "stacking.pinned_over_limit"
    q3 = quote(c, NOW, coupons=wallet, chosen_coupons=["c500"])
    assert q3.payable == y(300)
    assert q3.why_not("c500").code == "coupon.below_threshold"  # type: ignore[union-attr]


def test_a_coupon_offered_or_chosen_twice_is_misuse() -> None:
    c = claim("c", off("t10", 10, 100))
    with pytest.raises(InvalidValueError):
        quote(cart(("A", 300, 1)), NOW, coupons=[c, c])
    with pytest.raises(InvalidValueError):
        quote(cart(("A", 300, 1)), NOW, coupons=[c], chosen_coupons=["c", "c"])


# -- brute force ------------------------------------------------------------------------


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[object, list[object]]:
    member = draw(members()).__class__("m1", tier="gold", paid_orders=2)
    c = draw(carts(max_lines=4, member=st.just(member)))
    templates = draw(st.lists(coupon_templates(), min_size=1, max_size=5))
    wallet = [claim(f"c{i}", t, days_ago=draw(st.integers(0, 3))) for i, t in enumerate(templates)]
    return c, wallet


@given(small_cases())
def test_best_combination_beats_every_single_and_pair(case: tuple[object, list[object]]) -> None:
    c, wallet = case
    ship = ShippingPolicy()
    best = quote(c, NOW, coupons=wallet, shipping=ship)  # type: ignore[arg-type]
    ids = [w.id for w in wallet]  # type: ignore[attr-defined]
    for k in (1, 2):
        for pick in itertools.combinations(ids, k):
            pinned = quote(c, NOW, coupons=wallet, shipping=ship, chosen_coupons=pick)  # type: ignore[arg-type]
            assert best.payable <= pinned.payable, (pick, best, pinned)
    assert best.payable <= quote(c, NOW, shipping=ship).payable  # type: ignore[arg-type]
    assert set(best.coupons_used) <= set(ids)
    # every coupon not used is explained
    explained = {na.rule for na in best.not_applied}
    assert set(ids) - set(best.coupons_used) <= explained


def test_gold_member_fixture_is_the_wallet_owner() -> None:
    assert GOLD.id == "m1"
    assert Money.of("1") == y(1)


@st.composite
def wallets_of_modelled_kinds(draw: st.DrawFn) -> tuple[object, list[object]]:
    member = Member("m1", tier="gold", paid_orders=2)
    c = draw(carts(max_lines=6, member=st.just(member)))
    skus = [ln.sku.id for ln in c.lines]
    v = DaysAfterClaim(30)
    kinds = st.one_of(
        st.builds(lambda o, t: AmountOffCoupon("a", validity=v, off=Money(min(o, t) if t else o),
                                               threshold=Money(t)),
                  st.integers(1, 20_000), st.just(0) | st.integers(100, 200_000)),
        st.builds(lambda o: NoThresholdCoupon("n", validity=v, off=Money(o), slot="item"),
                  st.integers(1, 5_000)),
        st.builds(lambda r, cap, t: PercentOffCoupon("p", validity=v, rate=r, cap=cap,
                                                     threshold=Money(t)),
                  st.sampled_from(["0.5", "0.85", "0.9", "0.95"]),
                  st.none() | st.integers(1, 10_000).map(Money), st.integers(0, 100_000)),
        st.builds(lambda s, q: ExchangeCoupon("e", validity=v, sku=s, quantity=q),
                  st.sampled_from(skus), st.integers(1, 2)),
        st.builds(lambda cats: NoThresholdCoupon(
            "s", validity=v, off=Money(500), scope=ItemScope(categories=cats)),
            st.frozensets(st.sampled_from(CATEGORIES), min_size=1, max_size=2)),
    )
    templates = draw(st.lists(kinds, min_size=1, max_size=8))
    wallet = [
        claim(f"c{i}", attrs.evolve(t, id=f"t{i}"), days_ago=draw(st.integers(0, 3)))
        for i, t in enumerate(templates)
    ]
    return c, wallet


@given(wallets_of_modelled_kinds(), st.sampled_from([StackingPolicy(), TWO_STORE]))
def test_integer_model_finds_what_the_templates_find(case, pol) -> None:  # type: ignore[no-untyped-def]
    """The straightforward path's integer ranking never changes its answer."""
    c, wallet = case
    with straightforward():
        fast = quote(c, NOW, coupons=wallet, stacking=pol, shipping=ShippingPolicy())
        with patch.object(FastModel, "compile", lambda *a: False):
            slow = quote(c, NOW, coupons=wallet, stacking=pol, shipping=ShippingPolicy())
    assert fast == slow
    assert fast.search_exact
    assert slow.search_exact


def test_search_budget_falls_back_to_the_best_found() -> None:
    # Rates save less together than alone, so the bound cuts little and the
    # budget runs out long before the 4,526 admissible sets are tried.
    wallet = [
        claim(f"c{i:02d}", PercentOffCoupon(f"t{i}", validity=MONTH, rate=f"0.{70 + i}"))
        for i in range(30)
    ]
    pol = StackingPolicy(slot_limits=[SlotLimit({"store"}, 3)], max_search_nodes=100)
    q = quote(cart(("A", 1000, 1)), NOW, coupons=wallet, stacking=pol)
    assert not q.search_exact
    assert len(q.coupons_used) <= 3
    exact = quote(cart(("A", 1000, 1)), NOW, coupons=wallet,
                  stacking=StackingPolicy(slot_limits=[SlotLimit({"store"}, 3)]))
    assert exact.search_exact
    assert exact.coupons_used == ("c00", "c01", "c02")
    assert q.payable >= exact.payable


def test_expired_shipping_coupon_says_expired_not_no_fee() -> None:
    t = FreeShippingCoupon("fs", validity=DaysAfterClaim(3))
    q = quote(cart(("A", 50, 1)), NOW, coupons=[claim("old", t, days_ago=10)],
              shipping=ShippingPolicy())
    assert q.payable == y(60)
    assert q.why_not("old").code == "coupon.expired"  # type: ignore[union-attr]
