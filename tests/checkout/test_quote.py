"""The quote: pipeline order, per-line allocation, explanations, and its invariants."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout._shop import MONTH, NEW, NOW, cart, claim, y
from checkout._steps import PointsDeduction
from sirui.checkout import Quote, ShippingPolicy, quote
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Member, Sku
from sirui.promotions import (
    AmountOffCoupon,
    FullReduction,
    GiftWithPurchase,
    LimitedTimePrice,
    MemberPrice,
    NewCustomerReduction,
    NoThresholdCoupon,
    ReductionTier,
    SkuPrice,
    TierRate,
)
from sirui.rules import SHIPPING_LINE, Stage
from sirui.testing import carts
from sirui.testing.promotions import coupon_templates, promotions

FR = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])


def test_full_reduction_is_split_over_lines_by_their_amounts() -> None:
    """满299减40 on 100 + 200: the lines pay 86.67 and 173.33, 260 in all."""
    q = quote(cart(("A", 100, 1), ("B", 200, 1)), NOW, promotions=[FR])
    assert q.payable == y(260)
    assert q.line("L-A").paid == y("86.67")
    assert q.line("L-B").paid == y("173.33")
    assert q.stage_total(Stage.PROMOTION) == y(40)


def test_pipeline_runs_in_design_order() -> None:
    """Limited-time price 80 → member 9.5折 → 满100减10 → coupon 5 → 300 points → shipping.

    A x2 at 100: activity 160, member 152, 满减 142, coupon 137, points 3 → 134 cash.
    """
    from sirui.core.windows import Window

    win = Window(NOW.subtract(hours=1), NOW.add(hours=1))
    ltp = LimitedTimePrice("flash", prices=[SkuPrice("A", y(80))], window=win)
    member = MemberPrice("gold95", rates=[TierRate("gold", "0.95")])
    fr = FullReduction("fr-100-10", tiers=[ReductionTier(y(100), y(10))])
    wallet = [claim("c5", NoThresholdCoupon("t5", validity=MONTH, off=y(5)))]
    q = quote(
        cart(("A", 100, 2)), NOW, promotions=[fr, member, ltp], coupons=wallet,
        steps=[PointsDeduction(300)], shipping=ShippingPolicy(),
    )
    totals = dict(q.stage_totals)
    assert totals[Stage.ACTIVITY] == y(40)
    assert totals[Stage.MEMBER] == y(8)
    assert totals[Stage.PROMOTION] == y(10)
    assert totals[Stage.COUPON] == y(5)
    assert totals[Stage.POINTS] == y(3)
    assert q.goods_payable == y(134)
    assert q.shipping_fee == y(0)
    assert q.payable == y(134)
    assert q.points_used == 300
    assert q.line("L-A").points == 300


def test_gift_line_appears_at_zero_after_the_cart_lines() -> None:
    gift = GiftWithPurchase("gift", threshold=y(199), gift=Sku("BIB", y(29), name="围兜"))
    q = quote(cart(("A", 200, 1)), NOW, promotions=[gift])
    assert next(ln.id for ln in q.lines) == "L-A"
    g = q.lines[-1]
    assert g.gift
    assert g.paid == y(0)
    assert g.original == y(0)
    assert q.payable == y(200)


def test_points_are_split_over_lines_by_their_deduction() -> None:
    q = quote(cart(("A", 100, 1), ("B", 200, 1)), NOW, steps=[PointsDeduction(1000)])
    assert dict(q.points_by_line()) == {"L-A": 333, "L-B": 667}
    assert sum(p for _, p in q.points_by_line()) == q.points_used == 1000
    assert dict(q.paid_by_line()) == {"L-A": y("96.67"), "L-B": y("193.33")}


def test_new_customer_first_order_three_yuan_off() -> None:
    newbie = NewCustomerReduction("new3", off=y(3))
    assert quote(cart(("A", 50, 1), member=NEW), NOW, promotions=[newbie]).payable == y(47)
    assert quote(cart(("A", 50, 1)), NOW, promotions=[newbie]).payable == y(50)


def test_quote_explains_itself_in_text_html_and_plain_data() -> None:
    wallet = [claim("c10", AmountOffCoupon("t10", validity=MONTH, off=y(10), threshold=y(500)))]
    q = quote(cart(("A", 100, 1), ("B", 200, 1)), NOW, promotions=[FR], coupons=wallet,
              shipping=ShippingPolicy())
    text = repr(q)
    assert "payable ¥260.00" in text
    assert "fr-299-40" in text
    assert "c10" in text
    html = q._repr_html_()
    assert "<table>" in html
    assert "应付" in html
    assert "还差" in html
    data = q.to_dict()
    json.dumps(data)
    assert data["payable"] == "260.00"
    assert data["lines"][0]["paid"] == "86.67"
    assert data["not_applied"][0]["reason"]["code"] == "coupon.below_threshold"
    assert data["fingerprints"]["fr-299-40"].startswith("sha256:")
    assert "stacking.policy" in data["fingerprints"]
    assert "shipping.policy" in data["fingerprints"]


def test_duplicate_promotion_ids_and_non_promotions_are_misuse() -> None:
    with pytest.raises(InvalidValueError):
        quote(cart(("A", 1, 1)), NOW, promotions=[FR, FR])
    with pytest.raises(InvalidValueError):
        quote(cart(("A", 1, 1)), NOW, promotions=["fr"])
    with pytest.raises(InvalidValueError):
        quote(cart(("A", 1, 1)), NOW, steps=[object()])  # type: ignore[list-item]


def test_naive_now_is_refused() -> None:
    import datetime as dt

    from sirui.core.errors import NaiveDatetimeError

    with pytest.raises(NaiveDatetimeError):
        quote(cart(("A", 1, 1)), dt.datetime(2026, 11, 11))  # type: ignore[arg-type]


def test_currency_mismatch_never_prices() -> None:
    from sirui.core.errors import CurrencyMismatchError

    usd = Cart(Member("m1"), [cart(("A", 1, 1)).lines[0].__class__(
        "L1", Sku("A", Money(100, "USD")), 1)])
    with pytest.raises((CurrencyMismatchError, InvalidValueError)):
        quote(usd, NOW, promotions=[FR])


# -- properties ---------------------------------------------------------------------------

MEMBER = Member("m1", tier="gold", paid_orders=0)


@st.composite
def priced(draw: st.DrawFn) -> tuple[Cart, list[object], list[object]]:
    c = draw(carts(max_lines=5, member=st.just(MEMBER)))
    promos = draw(st.lists(promotions(), max_size=4, unique_by=lambda p: p.id))
    templates = draw(st.lists(coupon_templates(), max_size=4))
    wallet = [claim(f"c{i}", t, days_ago=draw(st.integers(0, 5))) for i, t in enumerate(templates)]
    return c, promos, wallet


def _check(q: Quote) -> None:
    fee = q.shipping_fee
    assert Money(0) <= q.payable <= q.original + fee
    assert q.payable == q.goods_payable + q.shipping_fee - q.shipping_discount
    per_rule: dict[str, Money] = defaultdict(lambda: Money(0))
    for ln in q.lines:
        assert ln.paid.minor >= 0
        assert ln.original - sum((s.amount for s in ln.shares), Money(0)) == ln.paid
        for s in ln.shares:
            per_rule[(s.rule, s.stage)] += s.amount  # type: ignore[index]
    for a in q.adjustments:
        ship = a.share_of(SHIPPING_LINE)
        assert per_rule.get((a.rule, a.stage), Money(0)) + ship == a.amount  # type: ignore[call-overload]
    assert sum((ln.paid for ln in q.lines), Money(0)) == q.goods_payable


@given(priced())
def test_payable_bounds_and_exact_allocations(
    case: tuple[Cart, list[object], list[object]],
) -> None:
    c, promos, wallet = case
    _check(quote(c, NOW, promotions=promos, coupons=wallet, shipping=ShippingPolicy()))


@given(priced(), st.randoms(use_true_random=False))
def test_permuting_lines_changes_nothing(  # type: ignore[no-untyped-def]
    case: tuple[Cart, list[object], list[object]], rnd,
) -> None:
    c, promos, wallet = case
    lines = list(c.lines)
    rnd.shuffle(lines)
    shuffled = Cart(c.member, tuple(lines), c.store, c.channel, c.fulfillment)
    rp, rw = list(promos), list(wallet)
    rnd.shuffle(rp)
    rnd.shuffle(rw)
    a = quote(c, NOW, promotions=promos, coupons=wallet, shipping=ShippingPolicy())
    b = quote(shuffled, NOW, promotions=rp, coupons=rw, shipping=ShippingPolicy())
    assert a.by_line == b.by_line
    assert a.payable == b.payable
    assert a.adjustments == b.adjustments
    assert a.coupons_used == b.coupons_used
    assert sorted(map(repr, a.not_applied)) == sorted(map(repr, b.not_applied))


def test_gift_stock_is_passed_to_the_gift_promotion() -> None:
    """满199赠围兜, 2 sets earned on 400 but 1 left in stock: one bib; none left: a reason."""
    gift = GiftWithPurchase("gift", threshold=y(199), gift=Sku("BIB", y(29), name="围兜"),
                            repeat=True)
    c = cart(("A", 400, 1))
    q = quote(c, NOW, promotions=[gift], extras={"gift_stock": {"gift": 1}})
    assert q.lines[-1].quantity == 1
    assert q.extra("gift_used") == ("gift", "BIB", 1)
    empty = quote(c, NOW, promotions=[gift], extras={"gift_stock": {"gift": 0}})
    assert empty.why_not("gift").code == "promotion.gift_out_of_stock"  # type: ignore[union-attr]
    assert all(not ln.gift for ln in empty.lines)
