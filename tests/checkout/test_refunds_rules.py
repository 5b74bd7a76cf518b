"""Refund rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/checkout/refunds.py`: each refusal
names the field and the value, an order keeps its currency, shipping and
coupons come back once however many refunds follow, and a deduction is
spread over the lines it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from checkout._shop import NOW, cart, y
from checkout._steps import PointsDeduction
from sirui.checkout import (
    CouponReturn,
    PaidLine,
    PaidOrder,
    RefundPolicy,
    RefundResult,
    ThresholdLoss,
    quote,
    refund,
)
from sirui.checkout.refunds import RefundLine
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.promotions import FullReduction, ReductionTier

RECOMPUTE = RefundPolicy(threshold_loss=ThresholdLoss.RECOMPUTE)


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def paid_order() -> PaidOrder:
    return PaidOrder((PaidLine("A", 2, y(100)), PaidLine("G", 2, y(0), gift=True)), y(10), ("c1",))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: PaidLine("A", 0, y(1)), "quantity=0: must be an int >= 1"),
        (lambda: PaidLine("A", True, y(1)), "quantity=True: must be an int >= 1"),
        (lambda: PaidLine("A", 1, y(-1)), "paid=Money('-1.00', 'CNY'): must be Money >= 0"),
        (lambda: PaidLine("A", 1, 100), "paid=100: must be Money >= 0"),
        (lambda: PaidLine("A", 1, y(1), points=-1), "points=-1: must be an int >= 0"),
        (lambda: PaidLine("A", 1, y(1), points=1.0), "points=1.0: must be an int >= 0"),
        (
            lambda: PaidOrder((PaidLine("A", 1, y(1)), PaidLine("A", 2, y(1)))),
            "lines=['A', 'A']: duplicate line id",
        ),
        (lambda: PaidOrder(()), "lines=(): a paid order needs at least one line"),
        (
            lambda: PaidOrder((PaidLine("A", 1, y(1)),), shipping=y(-1)),
            "shipping=Money('-1.00', 'CNY'): must be Money >= 0",
        ),
        (lambda: paid_order().line("Z"), "returns='Z': no such line in the order"),
        (
            lambda: refund(paid_order(), {}),
            "returns={}: must map line ids to quantities; e.g. {'L1': 1}",
        ),
        (
            lambda: refund(paid_order(), [("A", 1)]),
            "returns=[('A', 1)]: must map line ids to quantities; e.g. {'L1': 1}",
        ),
        (lambda: refund(paid_order(), {"A": 0}), "returns['A']=0: must be an int >= 1"),
        (
            lambda: refund(paid_order(), {"A": 3}),
            "returns['A']=3: returns more than bought (0 of 2 already returned)",
        ),
        (
            lambda: refund(paid_order(), {"A": 1}, policy=RECOMPUTE),
            "paid='PaidOrder': recomputing needs the order's Quote; "
            "pass the Quote, or use ThresholdLoss.KEEP_ALLOCATION",
        ),
    ],
)
def test_a_refusal_is_the_field_the_value_and_the_rule(
    call: Callable[[], Any], message: str
) -> None:
    with pytest.raises(InvalidValueError) as info:
        call()
    assert type(info.value) is InvalidValueError
    assert str(info.value) == message
    field = message.split("=", 1)[0]
    assert info.value.field == field


def test_more_than_bought_counts_what_earlier_refunds_returned() -> None:
    first = refund(paid_order(), {"A": 1})
    with pytest.raises(InvalidValueError) as info:
        refund(paid_order(), {"A": 2}, [first])
    assert str(info.value) == "returns['A']=2: returns more than bought (1 of 2 already returned)"


def test_an_order_in_dollars_is_refunded_in_dollars() -> None:
    order = PaidOrder((PaidLine("A", 3, usd(1000)), PaidLine("B", 1, usd(500))), usd(300))
    partial = refund(order, {"A": 1})
    assert partial.lines == (RefundLine("A", 1, usd(334), 0),)
    assert (partial.goods, partial.deduction, partial.shipping, partial.amount) == (
        usd(334),
        usd(0),
        usd(0),
        usd(334),
    )
    rest = refund(order, {"A": 2, "B": 1}, [partial])
    assert (rest.goods, rest.shipping, rest.amount) == (usd(1166), usd(300), usd(1466))


def test_shipping_and_coupons_come_back_once_however_many_refunds_follow() -> None:
    # Returning the paid line is a full refund (a gift need not come back); the
    # gift units returned later bring neither shipping nor coupons again.
    order = paid_order()
    full = refund(order, {"A": 2})
    assert full.full and full.shipping == y(10) and full.coupons_returned == ("c1",)
    gift_one = refund(order, {"G": 1}, [full])
    assert gift_one.full and gift_one.shipping == y(0) and gift_one.coupons_returned == ()
    gift_two = refund(order, {"G": 1}, [full, gift_one])
    assert gift_two.shipping == y(0) and gift_two.coupons_returned == ()
    assert gift_two.amount == y(0)


def test_coupons_come_back_with_the_first_refund_when_any_refund_returns_them() -> None:
    any_refund = RefundPolicy(coupons=CouponReturn.ANY_REFUND)
    order = paid_order()
    first = refund(order, {"A": 1}, policy=any_refund)
    assert first.coupons_returned == ("c1",)
    second = refund(order, {"G": 1}, [first], policy=any_refund)
    third = refund(order, {"A": 1}, [first, second], policy=any_refund)
    assert second.coupons_returned == () and third.coupons_returned == ()


def result(lines: tuple[RefundLine, ...], deduction: Money) -> RefundResult:
    goods = Money(sum(rl.amount.minor for rl in lines))
    return RefundResult(lines, goods, deduction, y(0), goods - deduction, 0, (), False)


def test_a_deduction_is_spread_over_the_lines_by_their_amounts() -> None:
    r = result((RefundLine("A", 1, Money(300)), RefundLine("B", 1, Money(100))), Money(40))
    assert r.net_by_line() == (("A", Money(270)), ("B", Money(90)))


def test_a_deduction_given_back_on_free_lines_is_spread_by_quantity() -> None:
    r = result((RefundLine("A", 1, Money(0)), RefundLine("B", 3, Money(0))), Money(-4))
    assert r.net_by_line() == (("A", Money(1)), ("B", Money(3)))


def test_a_refund_without_lines_nets_nothing() -> None:
    r = RefundResult((), y(0), Money(-5), y(10), y(15), 0, (), True)
    assert r.net_by_line() == ()
    plain = result((RefundLine("A", 2, Money(300)),), Money(0))
    assert plain.net_by_line() == (("A", Money(300)),)


def test_recomputed_deductions_add_up_over_refunds() -> None:
    """满299减40 on 100 + 100 + 200: each return of a 100 line is priced against what is left."""
    fr = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])
    q = quote(cart(("A", 100, 1), ("B", 100, 1), ("C", 200, 1)), NOW, promotions=[fr])
    first = refund(q, {"L-A": 1}, policy=RECOMPUTE)
    second = refund(q, {"L-B": 1}, [first], policy=RECOMPUTE)
    last = refund(q, {"L-C": 1}, [first, second], policy=RECOMPUTE)
    assert first.amount + second.amount + last.amount == q.payable
    assert first.deduction + second.deduction + last.deduction == y(0)
    assert last.full


def test_points_value_counts_in_what_the_remaining_lines_kept() -> None:
    """Points paid part of the order: the remaining line kept their money's worth too."""
    fr = FullReduction("fr-299-40", tiers=[ReductionTier(y(299), y(40))])
    q = quote(
        cart(("A", 100, 1), ("B", 250, 1)), NOW, promotions=[fr], steps=[PointsDeduction(1000)]
    )
    order = PaidOrder.of_quote(q)
    assert any(pl.points_value is not None and pl.points_value.minor for pl in order.lines)
    r = refund(q, {"L-A": 1}, policy=RECOMPUTE)
    assert r.deduction >= y(0) and r.amount <= r.goods
    keep = refund(q, {"L-A": 1})
    assert keep.broken_rules and r.broken_rules == keep.broken_rules


def test_a_full_refund_breaks_no_rule() -> None:
    r = refund(paid_order(), {"A": 2})
    assert r.full and r.broken_rules == ()


def test_a_dollar_deduction_given_back_on_free_lines_stays_in_dollars() -> None:
    lines = (RefundLine("A", 1, usd(0)), RefundLine("B", 3, usd(0)))
    r = RefundResult(lines, usd(0), usd(-4), usd(0), usd(4), 0, (), False)
    assert r.net_by_line() == (("A", usd(1)), ("B", usd(3)))
