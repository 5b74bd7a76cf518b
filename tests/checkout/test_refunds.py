"""Refunds: per-line money back from the allocation, shipping, coupons, lost thresholds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout._shop import MONTH, NOW, cart, claim, y
from checkout._steps import PointsDeduction
from sirui.checkout import (
    CouponReturn,
    PaidLine,
    PaidOrder,
    RefundPolicy,
    RefundResult,
    ShippingPolicy,
    ShippingRefund,
    ThresholdLoss,
    quote,
    refund,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.promotions import AmountOffCoupon, FullReduction, ReductionTier

FR = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])
RECOMPUTE = RefundPolicy(threshold_loss=ThresholdLoss.RECOMPUTE)


def _order():  # type: ignore[no-untyped-def]
    """满299减40 on milk 100 + diapers 200: paid 86.67 + 173.33 = 260."""
    return quote(cart(("A", 100, 1), ("B", 200, 1)), NOW, promotions=[FR])


def test_returning_one_line_pays_back_its_allocated_amount() -> None:
    r = refund(_order(), {"L-A": 1})
    assert r.amount == y("86.67")
    assert r.deduction == y(0)
    assert not r.full
    lost = [na.rule for na in r.broken_rules]
    assert lost == ["fr-299-40"]
    assert r.broken_rules[0].reason.params["short"] == y(99)


def test_recompute_deducts_the_discount_the_rest_lost_then_gives_it_back() -> None:
    """Return milk: diapers alone lose 满减 (200 vs 173.33 kept) → 86.67 - 26.67 = 60.

    Then return diapers: 173.33 + the 26.67 deducted earlier = 200; 260 in all.
    """
    q = _order()
    first = refund(q, {"L-A": 1}, policy=RECOMPUTE)
    assert (first.goods, first.deduction, first.amount) == (y("86.67"), y("26.67"), y(60))
    second = refund(q, {"L-B": 1}, [first], policy=RECOMPUTE)
    assert second.amount == y(200)
    assert second.full
    assert first.amount + second.amount == q.payable


def test_partial_quantity_is_split_per_unit_to_the_fen() -> None:
    """3 tins paid 100.00: units 33.34, 33.33, 33.33."""
    fr = FullReduction("fr", tiers=[ReductionTier(y(120), y(20))])
    q = quote(cart(("A", 40, 3)), NOW, promotions=[fr])
    assert q.payable == y(100)
    one = refund(q, {"L-A": 1})
    two = refund(q, {"L-A": 2}, [one])
    assert (one.amount, two.amount) == (y("33.34"), y("66.66"))
    assert two.full


def test_unit_split_matches_money_allocate() -> None:
    paid = Money(10_001)
    units = paid.allocate([1] * 7)
    order = PaidOrder([PaidLine("L", 7, paid)])
    got = [
        refund(order, {"L": 1}, [refund(order, {"L": i})] if i else []).amount
        for i in range(7)
    ]
    assert got == units


def test_shipping_comes_back_only_with_the_last_unit() -> None:
    q = quote(cart(("A", 30, 1), ("B", 40, 1)), NOW, shipping=ShippingPolicy())
    assert q.payable == y(80)
    a = refund(q, {"L-A": 1})
    b = refund(q, {"L-B": 1}, [a])
    assert (a.shipping, b.shipping) == (y(0), y(10))
    assert a.amount + b.amount == y(80)
    never = RefundPolicy(shipping=ShippingRefund.NEVER)
    assert refund(q, {"L-A": 1, "L-B": 1}, policy=never).amount == y(70)


def test_coupon_returns_only_on_a_full_refund_by_default() -> None:
    wallet = [claim("c10", AmountOffCoupon("t10", validity=MONTH, off=y(10), threshold=y(50)))]
    q = quote(cart(("A", 30, 1), ("B", 40, 1)), NOW, coupons=wallet)
    assert q.coupons_used == ("c10",)
    a = refund(q, {"L-A": 1})
    assert a.coupons_returned == ()
    assert refund(q, {"L-B": 1}, [a]).coupons_returned == ("c10",)
    anyway = RefundPolicy(coupons=CouponReturn.ANY_REFUND)
    first = refund(q, {"L-A": 1}, policy=anyway)
    assert first.coupons_returned == ("c10",)
    assert refund(q, {"L-B": 1}, [first], policy=anyway).coupons_returned == ()
    never = RefundPolicy(coupons=CouponReturn.NEVER)
    assert refund(q, {"L-A": 1, "L-B": 1}, policy=never).coupons_returned == ()


def test_points_spent_come_back_with_the_units() -> None:
    q = quote(cart(("A", 100, 2)), NOW, steps=[PointsDeduction(1001)])
    assert q.points_used == 1001
    a = refund(q, {"L-A": 1})
    b = refund(q, {"L-A": 1}, [a])
    assert (a.points, b.points) == (501, 500)


def test_bad_returns_are_misuse() -> None:
    q = _order()
    for bad in ({"L-A": 0}, {"L-A": 2}, {"nope": 1}, {}, {"L-A": -1}):
        with pytest.raises(InvalidValueError):
            refund(q, bad)
    a = refund(q, {"L-A": 1})
    with pytest.raises(InvalidValueError):
        refund(q, {"L-A": 1}, [a])
    with pytest.raises(InvalidValueError):
        refund(PaidOrder.of_quote(q), {"L-A": 1}, policy=RECOMPUTE)


def test_net_by_line_spreads_the_deduction() -> None:
    q = _order()
    r = refund(q, {"L-A": 1}, policy=RECOMPUTE)
    assert dict(r.net_by_line()) == {"L-A": y(60)}


@given(
    st.sampled_from(ShippingRefund), st.sampled_from(CouponReturn),
    st.sampled_from(ThresholdLoss),
)
def test_refund_policy_round_trips(s, c, t) -> None:  # type: ignore[no-untyped-def]
    pol = RefundPolicy(s, c, t)
    assert load(dump(pol)) == pol


# -- properties -----------------------------------------------------------------------------


@st.composite
def orders_and_returns(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 4))
    items = [(f"S{i}", draw(st.integers(1, 400)), draw(st.integers(1, 4))) for i in range(n)]
    promos = [FR, FullReduction("rep", tiers=[ReductionTier(y(150), y(15))], group="g")]
    wallet = [claim("c", AmountOffCoupon("t", validity=MONTH, off=y(20), threshold=y(100)))]
    q = quote(cart(*items), NOW, promotions=promos, coupons=wallet, shipping=ShippingPolicy())
    units = [f"L-S{i}" for i, (_, _, qty) in enumerate(items) for _ in range(qty)]
    order = draw(st.permutations(units))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(order) - 1, 1)), max_size=4)))
    batches, prev = [], 0
    for c in [*cuts, len(order)]:
        if c > prev:
            batch: dict[str, int] = {}
            for lid in order[prev:c]:
                batch[lid] = batch.get(lid, 0) + 1
            batches.append(batch)
            prev = c
    stop = draw(st.integers(1, len(batches)))
    return q, batches, stop


@given(orders_and_returns(), st.sampled_from([RefundPolicy(), RECOMPUTE]))
def test_partial_refunds_never_exceed_and_full_refunds_equal_the_paid(case, pol) -> None:  # type: ignore[no-untyped-def]
    q, batches, stop = case
    done: list[RefundResult] = []
    for batch in batches[:stop]:
        r = refund(q, batch, done, policy=pol)
        assert r.amount.minor >= 0
        done.append(r)
        assert sum((d.amount for d in done), Money(0)) <= q.payable
    total = sum((d.amount for d in done), Money(0))
    if stop == len(batches):
        assert done[-1].full
        assert total == q.payable
        assert sum(d.points for d in done) == q.points_used
