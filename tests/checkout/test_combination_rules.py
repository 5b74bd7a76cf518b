"""Best coupon combination, rule by rule, on the straightforward path (`combination.Search`).

Each example states one rule of the search as an operator would say it. The
quote is priced on both paths: the straightforward one (every policy's
``price`` on `PriceState` objects, where `combination.Search` runs) and the
one in fen; they must agree to the last reason, and the straightforward
quote is the one checked.
"""

from __future__ import annotations

import itertools
from typing import Any
from unittest.mock import patch

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout._shop import MONTH, NOW, both, cart, claim, straightforward, y
from examples_budget import scaled
from sirui.checkout import ShippingPolicy, SlotLimit, StackingPolicy, combination, quote
from sirui.checkout._fast import FastModel
from sirui.checkout._quote import Quote
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.core.windows import DaysAfterClaim, FixedValidity, Window
from sirui.promotions import (
    AmountOffCoupon,
    ExchangeCoupon,
    FreeShippingCoupon,
    FullReduction,
    NoThresholdCoupon,
    PercentOffCoupon,
    ReductionTier,
)
from sirui.promotions.shipping import NO_SHIPPING_FEE
from sirui.rules import Adjustment, allocate_off, reason_code
from sirui.rules.pricing import PriceState, Stage

MIN_20 = ShippingPolicy(minimums=y(20))
NEW_M1 = Member("m1")
BONUS = reason_code("testbonus.no_coupon", zh="不用券立减50", en="¥50 off without coupons")
TWO_STORE = StackingPolicy(slot_limits=[SlotLimit({"store"}, 2)])


def off(tid: str, amount: int | str, threshold: int = 0, **kw: Any) -> AmountOffCoupon:
    """满``threshold``减``amount`` (a store coupon unless ``slot`` says otherwise)."""
    return AmountOffCoupon(tid, validity=MONTH, off=y(amount), threshold=y(threshold), **kw)


def item(tid: str, amount: int) -> NoThresholdCoupon:
    """无门槛``amount`` in the item slot."""
    return NoThresholdCoupon(tid, validity=MONTH, off=y(amount), slot="item")


def modelled(*args: Any, **kwargs: Any) -> Quote:
    """The straightforward quote, the integer model ranking the goods coupons."""
    with straightforward():
        return quote(*args, **kwargs)


def templates_only(*args: Any, **kwargs: Any) -> Quote:
    """The straightforward quote with the integer model switched off (templates rank)."""
    with straightforward(), patch.object(FastModel, "compile", lambda *a: False):
        return quote(*args, **kwargs)


def reason(q: Quote, cid: str) -> tuple[str, dict[str, Any]]:
    why = q.why_not(cid)
    assert why is not None, cid
    return why.code, dict(why.params)


# -- which coupon of several alike ------------------------------------------------------


def test_of_two_coupons_of_one_template_the_one_expiring_first_is_used() -> None:
    """Same 满100减10 twice: the one claimed 20 days ago ends first, so it is used, even
    though the other's id sorts first; the other says which coupon of its kind is used."""
    t = off("t10", 10, 100)
    wallet = [claim("a-later", t, days_ago=1), claim("z-sooner", t, days_ago=20)]
    for q in (both(cart(("A", 150, 1)), NOW, coupons=wallet),
              templates_only(cart(("A", 150, 1)), NOW, coupons=wallet)):
        assert q.coupons_used == ("z-sooner",)
        assert reason(q, "a-later") == ("stacking.same_template", {"chosen": "z-sooner"})


def test_two_templates_set_up_alike_are_one_kind() -> None:
    """满100减10 set up twice, separately: still one kind, so the sooner coupon is used."""
    wallet = [claim("a-later", off("t10", 10, 100), days_ago=1),
              claim("z-sooner", off("t10", 10, 100), days_ago=20)]
    q = both(cart(("A", 150, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    assert q.coupons_used == ("z-sooner",)
    assert reason(q, "a-later") == ("stacking.same_template", {"chosen": "z-sooner"})


def test_three_coupons_of_one_template_left_unused_all_say_why() -> None:
    """满500减50 three times on a 150 cart: none is used, and each one, the duplicates too,
    says how much is missing."""
    t = off("t50", 50, 500)
    wallet = [claim(f"c{i}", t, days_ago=i) for i in range(3)]
    q = both(cart(("A", 150, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ()
    for cid in ("c0", "c1", "c2"):
        assert reason(q, cid) == ("coupon.below_threshold",
                                  {"threshold": y(500), "short": y(350)})


def test_an_open_ended_coupon_waits_for_one_that_expires() -> None:
    """Two ¥10 store coupons, one never expiring: the one that expires is used first."""
    forever = AmountOffCoupon(
        "forever", validity=FixedValidity(Window(NOW.subtract(days=5), None)), off=y(10),
    )
    wallet = [claim("a-forever", forever), claim("z-month", off("month", 10))]
    q = both(cart(("A", 150, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("z-month",)
    assert reason(q, "a-forever")[0] == "stacking.slot_full"


def test_two_open_ended_coupons_saving_alike_go_by_id() -> None:
    """Neither expires and both save ¥10: the smaller id is used."""
    v = FixedValidity(Window(NOW.subtract(days=5), None))
    wallet = [
        claim("c2", AmountOffCoupon("t2", validity=v, off=y(10))),
        claim("c1", AmountOffCoupon("t1", validity=v, off=y(10), threshold=y(100))),
    ]
    q = both(cart(("A", 150, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("c1",)


def test_two_coupons_saving_alike_go_to_the_sooner_expiry_then_the_smaller_id() -> None:
    wallet = [
        claim("c3", off("t3", 10), days_ago=1),
        claim("c2", off("t2", 10, 100), days_ago=2),
        claim("c1", off("t1", 10, 50), days_ago=2),
    ]
    q = both(cart(("A", 150, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("c1",)
    wallet = [claim("c1", off("t1", 10), days_ago=1), claim("c2", off("t2", 10), days_ago=2)]
    assert both(cart(("A", 150, 1)), NOW, coupons=wallet).coupons_used == ("c2",)


def test_a_coupon_of_an_unregistered_template_is_its_own_kind() -> None:
    """Templates the config codec does not know are told apart by identity."""
    t1, t2 = off("t", 10), off("t", 10, 100)
    with patch("sirui.checkout.combination.fingerprint_of", lambda _: None):
        q = both(cart(("A", 150, 1)), NOW, coupons=[claim("c1", t1), claim("c2", t2)],
                 stacking=TWO_STORE)
    assert q.coupons_used == ("c1", "c2")
    assert q.payable == y(130)


# -- slots, the order cap, and why a coupon was left --------------------------------------


def test_a_full_slot_names_the_chosen_coupon_and_both_savings() -> None:
    """300 cart, one store coupon: 满250减30 is used; 满100减10 says the slot is full."""
    wallet = [claim("c10", off("t10", 10, 100)), claim("c30", off("t30", 30, 250))]
    q = both(cart(("A", 300, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("c30",)
    code, params = reason(q, "c10")
    assert code == "stacking.slot_full"
    assert params == {"slot": "store", "slot_zh": "店铺券", "limit": 1, "chosen": "c30",
                      "combination": y(30), "alone": y(10)}


def test_when_two_coupons_do_not_fit_together_the_one_left_says_the_combination_saves_more(
) -> None:
    """Two store coupons allowed. 满250减30 first leaves 270, below 满280减20's threshold:
    the pair fails, 30 alone beats 20 alone, and the slot is not full."""
    wallet = [claim("a30", off("t30", 30, 250)), claim("b20", off("t20", 20, 280))]
    q = both(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    assert q.coupons_used == ("a30",)
    assert reason(q, "b20") == ("stacking.combination_saves_more",
                                {"combination": y(30), "alone": y(20)})


def test_the_order_cap_keeps_the_best_coupons_up_to_the_cap() -> None:
    """Two store and two item coupons allowed, at most two a order: the two that save most."""
    pol = StackingPolicy(
        slot_limits=[SlotLimit({"store"}, 2), SlotLimit({"item", "exchange"}, 2)], max_coupons=2,
    )
    wallet = [
        claim("s30", off("t30", 30)), claim("s5", off("t5", 5)),
        claim("i20", item("i20", 20)), claim("i3", item("i3", 3)),
    ]
    q = both(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=pol)
    assert q.coupons_used == ("i20", "s30")
    assert q.payable == y(250)
    for cid in ("s5", "i3"):
        assert reason(q, cid) == ("stacking.order_limit", {"limit": 2})


def test_a_cap_of_one_coupon_a_order_says_so_to_the_coupon_of_another_slot() -> None:
    wallet = [claim("s", off("t30", 30, 250)), claim("i", item("t15", 15))]
    q = both(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=StackingPolicy(max_coupons=1))
    assert q.coupons_used == ("s",)
    assert q.payable == y(270)
    assert reason(q, "i") == ("stacking.order_limit", {"limit": 1})


def test_a_slot_of_two_takes_the_best_pair_applied_in_slot_order() -> None:
    """满200减20 then 满250减30 on 280 → 250, better than any single."""
    wallet = [claim("b", off("t30", 30, 250)), claim("a", off("t20", 20, 200)),
              claim("c", off("t5", 5))]
    q = both(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    assert q.coupons_used == ("a", "b")
    assert q.payable == y(250)
    assert reason(q, "c") == ("stacking.slot_full", {
        "slot": "store", "slot_zh": "店铺券", "limit": 2, "chosen": "a,b",
        "combination": y(50), "alone": y(5)})


def test_goods_coupons_apply_item_slot_before_store_slot() -> None:
    """260 cart: item 15 pushes it to 245, below 满250减30; item 15 + 满200减20 pays 225."""
    wallet = [
        claim("big", off("t30", 30, 250)),
        claim("mid", off("t20", 20, 200)),
        claim("item", item("t15", 15)),
    ]
    for q in (both(cart(("A", 260, 1)), NOW, coupons=wallet),
              templates_only(cart(("A", 260, 1)), NOW, coupons=wallet)):
        assert q.payable == y(225)
        assert q.coupons_used == ("item", "mid")
        assert reason(q, "big")[0] == "stacking.slot_full"


def test_exchange_and_item_coupons_share_one_slot() -> None:
    """A 39.90 bib free with the exchange coupon beats 无门槛20 (item): pays 139.90."""
    wallet = [
        claim("ex", ExchangeCoupon("ex-bib", validity=MONTH, sku="BIB")),
        claim("i20", item("t20", 20)),
    ]
    q = both(cart(("A", 100, 1), ("BIB", "39.9", 2)), NOW, coupons=wallet)
    assert q.payable == y("139.9")
    assert q.coupons_used == ("ex",)
    assert reason(q, "i20")[0] == "stacking.slot_full"


def test_a_coupon_that_takes_nothing_off_says_why() -> None:
    """An exchange coupon for a SKU not in the cart, a coupon below its threshold."""
    wallet = [claim("ex", ExchangeCoupon("ex-bib", validity=MONTH, sku="BIB")),
              claim("c", off("t10", 10, 100))]
    q = both(cart(("A", 80, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ()
    assert reason(q, "c") == ("coupon.below_threshold", {"threshold": y(100), "short": y(20)})
    assert q.why_not("ex") is not None


def test_a_percentage_coupon_saves_on_the_amount_after_promotions() -> None:
    """450 cart, 满299减40 → 410; 9折 capped at 50 saves 41 against 满300减40's 40."""
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))])
    wallet = [
        claim("pct", PercentOffCoupon("p90", validity=MONTH, rate="0.9", cap=y(50))),
        claim("amt", off("t40", 40, 300)),
    ]
    for q in (both(cart(("A", 450, 1)), NOW, promotions=[fr], coupons=wallet),
              templates_only(cart(("A", 450, 1)), NOW, promotions=[fr], coupons=wallet)):
        assert q.payable == y(369)
        assert q.coupons_used == ("pct",)
        assert reason(q, "amt") == ("stacking.slot_full", {
            "slot": "store", "slot_zh": "店铺券", "limit": 1, "chosen": "pct",
            "combination": y(41), "alone": y(40)})


# -- refusals before any pricing --------------------------------------------------------


def test_a_coupon_refused_before_pricing_says_why_in_the_templates_words() -> None:
    """Another member's, an expired and a not-yet-valid coupon, goods and shipping alike."""
    short = DaysAfterClaim(3)
    later = FixedValidity(Window(NOW.add(days=2), NOW.add(days=9)))
    wallet = [
        claim("theirs", off("t10", 10), member="m9"),
        claim("old", AmountOffCoupon("t3", validity=short, off=y(10)), days_ago=10),
        claim("soon", AmountOffCoupon("t9", validity=later, off=y(10))),
        claim("ship-old", FreeShippingCoupon("fs3", validity=short), days_ago=10),
        claim("ship-theirs", FreeShippingCoupon("fs", validity=MONTH), member="m9"),
    ]
    q = both(cart(("A", 50, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.payable == y(60)
    assert q.coupons_used == ()
    assert reason(q, "theirs")[0] == "coupon.not_owner"
    assert reason(q, "old")[0] == "coupon.expired"
    assert reason(q, "soon")[0] == "coupon.not_yet_valid"
    assert reason(q, "ship-old")[0] == "coupon.expired"
    assert reason(q, "ship-theirs")[0] == "coupon.not_owner"


def test_a_template_with_no_words_of_its_own_gets_the_checkouts_refusal() -> None:
    """A template that prices an expired coupon without complaint: the checkout says expired."""
    t = AmountOffCoupon("t3", validity=DaysAfterClaim(3), off=y(10))
    fr = FullReduction("fr", tiers=[ReductionTier(y(299), y(40))])
    with patch.object(AmountOffCoupon, "price", lambda self, state, c: state):
        q = templates_only(cart(("A", 50, 1)), NOW, promotions=[fr],
                           coupons=[claim("old", t, days_ago=10)])
    assert reason(q, "fr")[0] == "promotion.below_threshold"
    assert reason(q, "old")[0] == "checkout.coupon_expired"


def test_a_shipping_template_is_shown_a_fee_when_asked_why_it_was_refused() -> None:
    """A shipping template that checks for a fee before anything else still gets to say
    the coupon is expired: it is shown a token fee, as no fee is not the coupon's problem."""

    def fee_first(self: Any, state: Any, coupon: Any) -> Any:
        if state.shipping_fee is None or state.shipping_fee.minor <= 0:
            return state.skip(coupon.id, self.stage, NO_SHIPPING_FEE(), self.kind)
        return state

    t = FreeShippingCoupon("fs3", validity=DaysAfterClaim(3))
    with patch.object(FreeShippingCoupon, "price", fee_first):
        q = templates_only(cart(("A", 50, 1)), NOW, coupons=[claim("old", t, days_ago=10)],
                           shipping=ShippingPolicy())
    assert reason(q, "old")[0] == "checkout.coupon_expired"


# -- shipping ---------------------------------------------------------------------------


def test_a_free_shipping_coupon_waives_the_fee_below_the_threshold() -> None:
    """80 cart below 包邮99, fee 10: 无门槛5 and the 免邮券 → pays 75."""
    wallet = [
        claim("ship", FreeShippingCoupon("free-ship", validity=MONTH)),
        claim("c5", NoThresholdCoupon("t5", validity=MONTH, off=y(5))),
    ]
    q = both(cart(("A", 80, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.payable == y(75)
    assert (q.shipping_fee, q.shipping_discount) == (y(10), y(10))
    assert q.coupons_used == ("c5", "ship")


def test_of_two_shipping_coupons_the_one_waiving_more_is_used() -> None:
    """One shipping coupon a order: 免邮 (the whole ¥10) beats 免邮 up to ¥5; the capped one
    says the slot is full and what it would have saved alone."""
    wallet = [
        claim("a-cap5", FreeShippingCoupon("fs5", validity=MONTH, cap=y(5))),
        claim("b-full", FreeShippingCoupon("fs", validity=MONTH)),
    ]
    q = both(cart(("A", 80, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.coupons_used == ("b-full",)
    assert q.payable == y(80)
    code, params = reason(q, "a-cap5")
    assert code == "stacking.slot_full"
    assert (params["alone"], params["chosen"], params["limit"]) == (y(5), "b-full", 1)


def test_a_shipping_coupon_with_no_fee_to_waive_says_so() -> None:
    """120 cart, 包邮99: nothing to waive; the coupon says there is no fee."""
    wallet = [claim("ship", FreeShippingCoupon("free-ship", validity=MONTH))]
    q = both(cart(("A", 120, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.coupons_used == ()
    assert reason(q, "ship")[0] == "promotion.no_shipping_fee"


def test_a_shipping_coupon_below_its_threshold_says_how_much_is_missing() -> None:
    wallet = [claim("ship", FreeShippingCoupon("fs60", validity=MONTH, threshold=y(60)))]
    q = both(cart(("A", 50, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.coupons_used == ()
    assert reason(q, "ship") == ("coupon.below_threshold", {"threshold": y(60), "short": y(10)})


def test_a_cap_of_one_coupon_ties_go_to_more_off_the_goods() -> None:
    """95 cart + ¥10 fee, one coupon a order: ¥10 off the goods and 免邮 both make 95;
    the goods coupon wins, and the 免邮券 says the order allows one coupon."""
    wallet = [
        claim("a-ship", FreeShippingCoupon("free-ship", validity=MONTH)),
        claim("z-ten", off("t10", 10)),
    ]
    pol = StackingPolicy(max_coupons=1)
    q = both(cart(("A", 95, 1)), NOW, coupons=wallet, shipping=ShippingPolicy(), stacking=pol)
    assert q.payable == y(95)
    assert q.coupons_used == ("z-ten",)
    assert q.goods_payable == y(85)
    assert reason(q, "a-ship") == ("stacking.order_limit", {"limit": 1})


def test_a_goods_coupon_that_would_cost_free_shipping_is_left_unused() -> None:
    """105 cart, 包邮99: 满100减8 leaves 97 + 10 shipping = 107 > 105, so no coupon."""
    wallet = [claim("c8", off("t8", 8, 100))]
    q = both(cart(("A", 105, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.payable == y(105)
    assert q.coupons_used == ()
    assert reason(q, "c8") == ("stacking.combination_saves_more",
                               {"combination": y(0), "alone": y(8)})


def test_a_goods_coupon_and_a_shipping_coupon_together_beat_keeping_free_shipping() -> None:
    """105 cart, 包邮99: 满100减8 leaves 97 + fee 10, but the 免邮券 waives it: pays 97."""
    wallet = [claim("c8", off("t8", 8, 100)),
              claim("ship", FreeShippingCoupon("free-ship", validity=MONTH))]
    q = both(cart(("A", 105, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.payable == y(97)
    assert q.coupons_used == ("c8", "ship")


# -- the delivery minimum ---------------------------------------------------------------


def test_the_search_does_not_pick_a_coupon_that_takes_the_order_below_the_minimum() -> None:
    """起送¥20, a 22-yuan cart and a ¥5 coupon: 17 would be refused, so the coupon waits."""
    wallet = [claim("c1", off("five", 5))]
    for q in (both(cart(("A", 22, 1)), NOW, coupons=wallet, shipping=MIN_20),
              templates_only(cart(("A", 22, 1)), NOW, coupons=wallet, shipping=MIN_20)):
        assert q.accepted and q.coupons_used == ()
        assert q.payable == y(32)
        code, params = reason(q, "c1")
        assert code == "stacking.keeps_order_minimum"
        assert params == {"combination": y(0), "alone": y(5)}


def test_the_search_takes_the_biggest_coupon_that_keeps_the_order_deliverable() -> None:
    """¥5 would leave 17 (refused); ¥2 leaves exactly 20, 起送¥20: the ¥2 coupon is used."""
    wallet = [claim("c1", off("five", 5)), claim("c2", off("two", 2))]
    for q in (both(cart(("A", 22, 1)), NOW, coupons=wallet, shipping=MIN_20),
              templates_only(cart(("A", 22, 1)), NOW, coupons=wallet, shipping=MIN_20)):
        assert q.accepted and q.coupons_used == ("c2",)
        assert q.goods_payable == y(20)
        assert q.payable == y(30)


def test_when_no_choice_is_deliverable_the_cheapest_refused_quote_is_shown() -> None:
    """An 18-yuan cart is short with or without a coupon: the ¥5 coupon still shows 13."""
    wallet = [claim("c1", off("five", 5)),
              claim("ship", FreeShippingCoupon("free-ship", validity=MONTH, cap=y(4)))]
    for q in (both(cart(("A", 18, 1)), NOW, coupons=wallet, shipping=MIN_20),
              templates_only(cart(("A", 18, 1)), NOW, coupons=wallet, shipping=MIN_20)):
        assert not q.accepted and q.coupons_used == ("c1", "ship")
        assert q.goods_payable == y(13)
        assert q.payable == y(19)
        assert q.refusals[0].params["short"] == y(7)


def test_a_refused_order_without_coupons_is_not_searched_again() -> None:
    """Below the minimum with no coupon that helps: the one search is all there is."""
    wallet = [claim("c", off("t10", 10, 100))]
    with patch.object(combination.Search, "_rerun_accepted_only") as rerun:
        q = both(cart(("A", 18, 1)), NOW, coupons=wallet, shipping=MIN_20)
    assert not q.accepted
    rerun.assert_not_called()


# -- the search itself -------------------------------------------------------------------


def test_when_the_integer_model_disagrees_the_templates_decide() -> None:
    """A model that claims more off than the template gives is caught and ignored."""
    wallet = [claim("a", off("t20", 20, 200)), claim("b", off("t30", 30, 250))]
    real_apply = FastModel.apply

    def generous(self: FastModel, amounts: list[int], cid: str) -> list[int] | None:
        out = real_apply(self, amounts, cid)
        return None if out is None else [max(a - 1, 0) for a in out]

    with patch.object(FastModel, "apply", generous):
        q = modelled(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    assert q.payable == y(250)
    assert q.coupons_used == ("a", "b")
    assert q.search_exact
    # The search starts over through the templates alone: it counts their nodes only.
    alone = templates_only(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    assert alone == q
    assert q.search_nodes == alone.search_nodes


def test_the_search_budget_falls_back_to_the_best_found() -> None:
    """Rates save less together than alone: 100 nodes are not enough for 30 coupons."""
    wallet = [
        claim(f"c{i:02d}", PercentOffCoupon(f"t{i}", validity=MONTH, rate=f"0.{70 + i}"))
        for i in range(30)
    ]
    store3 = [SlotLimit({"store"}, 3)]
    for run in (both, templates_only):
        q = run(cart(("A", 1000, 1)), NOW, coupons=wallet,
                stacking=StackingPolicy(slot_limits=store3, max_search_nodes=100))
        assert q.search_exact is False
        # The search stops where the budget runs out (it once went on to 4,528
        # nodes): one node past it, and the integer model's second pass one more.
        assert 101 <= q.search_nodes <= 102
        assert 1 <= len(q.coupons_used) <= 3
    exact = both(cart(("A", 1000, 1)), NOW, coupons=wallet,
                 stacking=StackingPolicy(slot_limits=store3))
    assert exact.search_exact
    assert exact.coupons_used == ("c00", "c01", "c02")


@pytest.mark.parametrize("run", [modelled, templates_only])
def test_a_budget_of_exactly_the_nodes_needed_is_enough_and_one_less_is_not(run: Any) -> None:
    wallet = [
        claim(f"c{i:02d}", PercentOffCoupon(f"t{i}", validity=MONTH, rate=f"0.{70 + i}"))
        for i in range(10)
    ]
    store3 = [SlotLimit({"store"}, 3)]
    needed = run(cart(("A", 1000, 1)), NOW, coupons=wallet,
                 stacking=StackingPolicy(slot_limits=store3)).search_nodes
    assert needed > 100
    q = run(cart(("A", 1000, 1)), NOW, coupons=wallet,
            stacking=StackingPolicy(slot_limits=store3, max_search_nodes=needed))
    assert q.search_exact and q.search_nodes == needed
    assert q.coupons_used == ("c00", "c01", "c02")
    short = run(cart(("A", 1000, 1)), NOW, coupons=wallet,
                stacking=StackingPolicy(slot_limits=store3, max_search_nodes=needed - 1))
    assert not short.search_exact


def test_a_wallet_the_budget_covers_is_searched_exactly() -> None:
    wallet = [claim(f"c{i}", off(f"t{i}", i + 1)) for i in range(5)]
    for run in (both, templates_only):
        q = run(cart(("A", 100, 1)), NOW, coupons=wallet,
                stacking=StackingPolicy(max_search_nodes=100))
        assert q.search_exact
        assert q.coupons_used == ("c4",)


@st.composite
def wallets(draw: st.DrawFn) -> tuple[Any, list[Any], ShippingPolicy]:
    price = draw(st.integers(20, 320))
    lines = [("A", price, 1)]
    if draw(st.booleans()):
        lines.append(("B", draw(st.integers(5, 60)), draw(st.integers(1, 3)), "母婴/纸尿裤"))
    templates = draw(st.lists(st.one_of(
        st.builds(lambda o, t: off("a", o, t), st.integers(1, 40), st.sampled_from([0, 100, 250])),
        st.builds(lambda o: item("n", o), st.integers(1, 20)),
        st.builds(lambda r: PercentOffCoupon("p", validity=MONTH, rate=r),
                  st.sampled_from(["0.8", "0.9", "0.95"])),
        st.builds(lambda c: FreeShippingCoupon("f", validity=MONTH, cap=c),
                  st.none() | st.integers(1, 10).map(y)),
    ), min_size=1, max_size=5))
    wallet = [
        claim(f"c{i}", t.__class__(**{**_fields(t), "id": f"t{i}"}),
              days_ago=draw(st.integers(0, 3)))
        for i, t in enumerate(templates)
    ]
    ship = ShippingPolicy(minimums=y(draw(st.sampled_from([0, 20, 60]))) or ())
    return cart(*lines), wallet, ship


def _fields(t: Any) -> dict[str, Any]:
    return {a.name: getattr(t, a.name) for a in attrs.fields(type(t)) if a.init}


@settings(max_examples=scaled(15))
@given(wallets(), st.sampled_from([StackingPolicy(), TWO_STORE, StackingPolicy(max_coupons=1)]))
def test_no_allowed_choice_of_coupons_pays_less_than_the_search(case: Any, pol: Any) -> None:
    """Every admissible set of up to three coupons, pinned, pays at least the search's payable,
    among the choices that keep the order as deliverable as the search's."""
    c, wallet, ship = case
    best = templates_only(c, NOW, coupons=wallet, shipping=ship, stacking=pol)
    with straightforward():
        modelled = quote(c, NOW, coupons=wallet, shipping=ship, stacking=pol)
    assert modelled == best
    assert best.search_exact
    in_fen = quote(c, NOW, coupons=wallet, shipping=ship, stacking=pol)
    assert in_fen == best
    if any(w.template.stage is Stage.COUPON for w in wallet):
        # Without the integer model it is the same search as in fen, node for node.
        assert best.search_nodes == in_fen.search_nodes
    ids = [w.id for w in wallet]
    for k in range(0, min(3, len(ids)) + 1):
        for pick in itertools.combinations(ids, k):
            with straightforward():
                pinned = quote(c, NOW, coupons=wallet, shipping=ship, stacking=pol,
                               chosen_coupons=pick)
            if pinned.accepted or not best.accepted:
                assert best.payable <= pinned.payable, (pick, best.coupons_used)
    assert set(ids) - set(best.coupons_used) <= {na.rule for na in best.not_applied}


def test_the_best_item_coupon_and_the_best_store_coupon_are_used_together() -> None:
    """One item and one store coupon a order: 无门槛20 and 满250减30 from a wallet of four."""
    wallet = [claim("i3", item("i3", 3)), claim("i20", item("i20", 20)),
              claim("s5", off("t5", 5)), claim("s30", off("t30", 30, 250))]
    for run in (both, templates_only):
        q = run(cart(("A", 300, 1)), NOW, coupons=wallet)
        assert q.coupons_used == ("i20", "s30")
        assert q.payable == y(250)
        assert reason(q, "i3")[1]["chosen"] == "i20"
        assert reason(q, "s5")[1]["chosen"] == "s30"


def test_a_search_is_deterministic_whatever_the_wallet_order() -> None:
    wallet = [claim("a", off("t20", 20, 200)), claim("b", off("t30", 30, 250)),
              claim("c", item("i5", 5)), claim("d", off("t10", 10), days_ago=3)]
    first = both(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    again = both(cart(("A", 300, 1)), NOW, coupons=wallet[::-1], stacking=TWO_STORE)
    assert first == again
    assert first.coupons_used == ("a", "b", "c")


@pytest.mark.parametrize("days", [1, 2])
def test_expiry_order_is_remembered_per_coupon_not_per_slot_in_memory(days: int) -> None:
    """The expiry order of a coupon never leaks to another coupon, even one alike."""
    t = off("t10", 10)
    first = claim("x", t, days_ago=days)
    second = claim("x", t, days_ago=3 - days)
    assert combination.expiry_key(first) != combination.expiry_key(second)
    assert combination.expiry_key(first) == combination.expiry_key(claim("x", t, days_ago=days))
    end = first.valid.end
    assert end is not None
    assert combination.expiry_key(first) == (0, end.timestamp(), "x")


def test_open_ended_coupons_sort_after_every_coupon_that_ends() -> None:
    v = FixedValidity(Window(NOW.subtract(days=5), None))
    forever = claim("a", AmountOffCoupon("t", validity=v, off=y(1)))
    far = claim("z", AmountOffCoupon("u", validity=FixedValidity(
        Window(NOW.subtract(days=5), pendulum.datetime(2099, 1, 1, tz="UTC"))), off=y(1)))
    assert combination.expiry_key(forever) == (1, 0.0, "a")
    assert combination.expiry_key(far) < combination.expiry_key(forever)


def test_a_small_item_coupon_that_would_spoil_the_store_coupons_threshold_is_left_out() -> None:
    """260 cart: 无门槛5 (item) leaves 255, below 满258减30; the store coupon alone pays 230."""
    wallet = [claim("i5", item("i5", 5)), claim("s30", off("t30", 30, 258))]
    for run in (both, templates_only):
        q = run(cart(("A", 260, 1)), NOW, coupons=wallet)
        assert q.coupons_used == ("s30",)
        assert q.payable == y(230)
        assert reason(q, "i5") == ("stacking.combination_saves_more",
                                   {"combination": y(30), "alone": y(5)})


@pytest.mark.parametrize("wallet", [
    [("s1", 10, 0), ("s2", 10, 0)],
    [("s1", 10, 0), ("s2", 10, 0), ("i1", 5, None), ("i2", 5, None)],
    [("s1", 30, 250), ("s2", 20, 200), ("s3", 20, 0), ("i1", 15, None)],
])
def test_the_search_through_the_templates_explores_what_the_search_in_fen_does(
    wallet: list[tuple[str, int, int | None]],
) -> None:
    """Ties included: a branch that can at best equal the best found is not explored."""
    coupons = [claim(cid, item(cid, amount) if threshold is None else off(cid, amount, threshold))
               for cid, amount, threshold in wallet]
    q = templates_only(cart(("A", 300, 1)), NOW, coupons=coupons)
    in_fen = quote(cart(("A", 300, 1)), NOW, coupons=coupons)
    assert q == in_fen
    assert q.search_nodes == in_fen.search_nodes


def test_refusals_are_filed_under_the_coupon_even_when_the_template_names_itself() -> None:
    """A template that files its refusals under its own id: the checkout files them under
    the coupon, for a coupon refused before pricing and for a shipping coupon left unused."""
    theirs = NO_SHIPPING_FEE()

    def self_named(self: Any, state: Any, coupon: Any) -> Any:
        return state.skip(self.id, self.stage, theirs, self.kind)

    wallet = [
        claim("old", AmountOffCoupon("t3", validity=DaysAfterClaim(3), off=y(10)), days_ago=10),
        claim("fresh", AmountOffCoupon("t4", validity=MONTH, off=y(10))),
        claim("ship", FreeShippingCoupon("fs", validity=MONTH)),
    ]
    with patch.object(AmountOffCoupon, "price", self_named), \
            patch.object(FreeShippingCoupon, "price", self_named):
        q = templates_only(cart(("A", 50, 1)), NOW, coupons=wallet, shipping=ShippingPolicy())
    assert q.coupons_used == ()
    assert q.why_not("old") == q.why_not("fresh") == q.why_not("ship") == theirs
    assert {na.rule for na in q.not_applied} >= {"old", "fresh", "ship"}


def test_a_coupon_whose_template_neither_applies_nor_says_why_takes_nothing_off() -> None:
    t = AmountOffCoupon("t4", validity=MONTH, off=y(10))
    with patch.object(AmountOffCoupon, "price", lambda self, state, c: state):
        q = templates_only(cart(("A", 50, 1)), NOW, coupons=[claim("c", t), claim("d", t)])
    assert q.coupons_used == ()
    assert [(na.rule, na.stage, na.reason.code, na.kind) for na in q.not_applied] == [
        (cid, Stage.COUPON, "checkout.coupon_nothing_off", "coupon.amount_off")
        for cid in ("c", "d")
    ]


def test_when_the_model_fails_midway_every_coupon_is_credited_its_templates_saving() -> None:
    """The model overstates 满200减20 and cannot price 满250减30: the templates take over,
    and the coupon left unused is credited the ¥20 its template gives, not the model's ¥25."""
    wallet = [claim("a", off("t20", 20, 200)), claim("b", off("t30", 30, 250))]
    real_apply = FastModel.apply

    def wrong(self: FastModel, amounts: list[int], cid: str) -> list[int] | None:
        out = real_apply(self, amounts, cid)
        if cid == "b" or out is None:
            return None
        return [out[0] - 500, *out[1:]]

    with patch.object(FastModel, "apply", wrong):
        q = modelled(cart(("A", 300, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("b",)
    assert reason(q, "a")[1]["alone"] == y(20)


def test_explanations_are_in_the_carts_currency() -> None:
    """A dollar cart: the unused coupons' figures are dollars, goods and shipping alike."""
    usd = Cart(NEW_M1, (Line("L-A", Sku("A", Money(8000, "USD")), 1),))
    ship = ShippingPolicy(base_fee=Money(1000, "USD"), free_over=None)
    wallet = [
        claim("a", AmountOffCoupon("ta", validity=MONTH, off=Money(1000, "USD"),
                                   threshold=Money(0, "USD"))),
        claim("b", AmountOffCoupon("tb", validity=MONTH, off=Money(300, "USD"),
                                   threshold=Money(0, "USD"))),
        claim("f", FreeShippingCoupon("ff", validity=MONTH, threshold=Money(0, "USD"))),
        claim("g", FreeShippingCoupon("fg", validity=MONTH, cap=Money(200, "USD"),
                                      threshold=Money(0, "USD"))),
    ]
    q = both(usd, NOW, coupons=wallet, shipping=ship)
    assert q.coupons_used == ("a", "f")
    assert q.payable == Money(7000, "USD")
    assert reason(q, "b")[1]["alone"] == Money(300, "USD")
    assert reason(q, "g")[1]["alone"] == Money(200, "USD")


def test_three_slots_of_goods_coupons_are_searched_together() -> None:
    """300 cart; 无门槛20 (item) would leave 280, below 满290减30 (store); with 无门槛50 on a
    platform slot of its own, 满290减30 and the ¥50 make 220, the best of all."""
    wallet = [claim("i20", item("i20", 20)), claim("s30", off("t30", 30, 290)),
              claim("p50", off("p50", 50, slot="platform"))]
    for run in (both, templates_only):
        q = run(cart(("A", 300, 1)), NOW, coupons=wallet)
        assert q.coupons_used == ("p50", "s30") or q.coupons_used == ("s30", "p50")
        assert q.payable == y(220)


@attrs.frozen
class NoCouponBonus:
    """A step at the coupon stage: ``off`` yuan off an order that uses no coupon."""

    off: int = 50

    @property
    def stage(self) -> Stage:
        return Stage.COUPON

    def price(self, state: PriceState) -> PriceState:
        if any(a.stage is Stage.COUPON for a in state.adjustments):
            return state
        allocations = allocate_off(y(self.off), state.eligible(Stage.COUPON))
        total = sum((m for _, m in allocations), y(0))
        return state.apply(Adjustment("bonus", Stage.COUPON, total, allocations, BONUS()))


def test_with_a_step_at_the_coupon_stage_every_combination_is_priced_to_the_end() -> None:
    """A step the search cannot bound (¥50 off when no coupon is used) beats a ¥10 coupon."""
    wallet = [claim("c10", off("t10", 10))]
    q = quote(cart(("A", 300, 1)), NOW, coupons=wallet, steps=[NoCouponBonus()])
    assert q.coupons_used == ()
    assert q.payable == y(250)


def test_a_tie_goes_to_the_choice_that_takes_more_off_the_goods_even_when_found_last() -> None:
    """115 cart, 包邮99, a step giving ¥25 off orders without coupons: ¥15 off leaves 100 with
    free shipping, no coupon leaves 90 + ¥10 fee; both cost 100, and 90 of goods wins."""
    wallet = [claim("c15", off("t15", 15))]
    q = quote(cart(("A", 115, 1)), NOW, coupons=wallet, steps=[NoCouponBonus(25)],
              shipping=ShippingPolicy())
    assert q.coupons_used == ()
    assert (q.goods_payable, q.payable) == (y(90), y(100))


def test_a_duplicate_of_a_coupon_left_unused_says_what_its_twin_says() -> None:
    t10 = off("t10", 10, 100)
    wallet = [claim("a", t10, days_ago=3), claim("b", t10, days_ago=1),
              claim("c30", off("t30", 30, 250))]
    q = both(cart(("A", 300, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("c30",)
    assert reason(q, "b") == reason(q, "a")
    assert reason(q, "a")[0] == "stacking.slot_full"


def test_coupons_sharing_a_slot_limit_apply_in_slot_order_then_id() -> None:
    """Store and platform coupons share a limit of two; store coupons apply first: 满290减30
    on 300, then 无门槛20 → 250 (the other order would spoil the threshold)."""
    pol = StackingPolicy(slot_limits=[SlotLimit({"store", "platform"}, 2)])
    wallet = [claim("z-s", off("t30", 30, 290)), claim("a-p", off("p20", 20, slot="platform"))]
    for run in (both, templates_only):
        q = run(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=pol)
        assert q.payable == y(250)
        assert set(q.coupons_used) == {"z-s", "a-p"}


def test_even_a_one_fen_fee_is_worth_a_free_shipping_coupon() -> None:
    ship = ShippingPolicy(base_fee=Money(1), free_over=None)
    wallet = [claim("f", FreeShippingCoupon("fs", validity=MONTH))]
    q = both(cart(("A", 50, 1)), NOW, coupons=wallet, shipping=ship)
    assert q.coupons_used == ("f",)
    assert q.payable == y(50)


def test_shipping_coupons_fill_what_the_order_cap_leaves() -> None:
    """Two coupons a order, two shipping coupons allowed: the goods coupon and the better
    shipping coupon (¥6 of the ¥10 fee) are used."""
    pol = StackingPolicy(slot_limits=[SlotLimit({"shipping"}, 2)], max_coupons=2)
    ship = ShippingPolicy(free_over=None)
    wallet = [claim("c5", off("t5", 5)),
              claim("f4", FreeShippingCoupon("fs4", validity=MONTH, cap=y(4))),
              claim("f6", FreeShippingCoupon("fs6", validity=MONTH, cap=y(6)))]
    for run in (both, templates_only):
        q = run(cart(("A", 50, 1)), NOW, coupons=wallet, shipping=ship, stacking=pol)
        assert q.coupons_used == ("c5", "f6")
        assert q.payable == y(49)
        assert reason(q, "f4") == ("stacking.order_limit", {"limit": 2})


def test_with_no_fee_left_the_model_prices_one_combination_through_the_templates() -> None:
    """The integer model ranks the goods combinations; when the best leaves no shipping fee,
    no other combination can cost less, so the templates price that one alone."""
    wallet = [claim(f"c{i}", off(f"t{i}", amount, threshold))
              for i, (amount, threshold) in enumerate([(30, 250), (20, 200), (10, 0), (5, 0)])]
    with patch.object(combination.Search, "_evaluate", autospec=True,
                      side_effect=combination.Search._evaluate) as evaluate:
        q = modelled(cart(("A", 300, 1)), NOW, coupons=wallet, stacking=TWO_STORE)
    assert q.coupons_used == ("c0", "c1")
    assert q.payable == y(250)
    assert evaluate.call_count == 1
