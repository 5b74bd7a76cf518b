"""Profit-sharing rules as the operator states them: the plan's figures, refunds that
reverse it, the rate template's requests, and what each refusal says (issue 19)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sirui.commission import (
    ExpireSharing,
    FeeBearer,
    FinishSharing,
    Receiver,
    ReceiverRole,
    RequestSplit,
    ReturnSplit,
    SharingOrder,
    SharingPolicy,
    SplitTo,
)
from sirui.core.errors import InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.rules import LogPruned, PruneLog

from ._shop import NOW, yuan

R = ReceiverRole
TWO = (
    Receiver("guide-g1", R.GUIDE, Decimal("0.1")),
    Receiver("store-S01", R.STORE, Decimal("0.2")),
)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


# -- the plan --------------------------------------------------------------------------------


def test_every_figure_of_the_plan_is_in_the_orders_currency() -> None:
    plan = SharingPolicy(TWO, auto_withdraw=False).split(usd("100"))
    assert [(s.account, s.role, s.gross, s.net) for s in plan.shares] == [
        ("guide-g1", R.GUIDE, usd("10"), usd("10")),
        ("store-S01", R.STORE, usd("20"), usd("20")),
    ]
    assert (plan.fee, plan.merchant_gross, plan.merchant_fee, plan.merchant_net) == (
        usd("0.60"), usd("70"), usd("0.60"), usd("69.40"))
    assert plan.reserve == usd("10")
    rev = plan.reverse(usd("50"))
    assert dict(rev.receivers) == {"guide-g1": usd("5"), "store-S01": usd("10")}
    assert (rev.refund, rev.fee, rev.merchant) == (usd("50"), usd("0.30"), usd("34.70"))


def test_the_merchant_keeps_the_order_less_the_shares_before_the_fee() -> None:
    plan = SharingPolicy(TWO, fee_bearer=FeeBearer.RECEIVERS).split(yuan("300"))
    assert plan.merchant_gross == yuan("210")
    assert (plan.merchant_fee, plan.merchant_net) == (yuan("0"), yuan("210"))



def test_receivers_who_get_nothing_bear_no_fee() -> None:
    # 0.1% of 1 yuan rounds down to nothing shared; the 1-fen fee stays with the merchant.
    pol = SharingPolicy((Receiver("guide-g1", R.GUIDE, "0.001"),), fee_bearer=FeeBearer.RECEIVERS)
    plan = pol.split(yuan("1"))
    assert (plan.fee, plan.shared, plan.merchant_fee) == (Money(1), Money(0), Money(1))
    assert [(s.gross, s.fee, s.net) for s in plan.shares] == [(Money(0), Money(0), Money(0))]

def test_the_refund_reserve_is_rounded_down_to_the_fen() -> None:
    # 10% of 3.35 yuan is 33.5 fen: 33 fen stay as balance, never 34.
    plan = SharingPolicy(TWO, auto_withdraw=False).split(yuan("3.35"))
    assert plan.reserve == Money(33)


def test_an_amount_to_split_must_be_money_and_not_negative() -> None:
    pol = SharingPolicy(TWO)
    for bad in (Money(-1), 100):
        with pytest.raises(InvalidPolicyError, match="must be Money >= 0") as info:
            pol.split(bad)  # type: ignore[arg-type]
        assert (info.value.field, info.value.value) == ("amount", bad)
        assert str(info.value) == f"amount={bad!r}: must be Money >= 0"


def test_share_of_an_account_that_is_not_a_receiver_is_an_error() -> None:
    plan = SharingPolicy(TWO).split(yuan("100"))
    with pytest.raises(InvalidPolicyError, match="not a receiver of this plan") as info:
        plan.share_of("hq")
    assert (info.value.field, info.value.value) == ("account", "hq")
    assert str(info.value) == "account='hq': not a receiver of this plan"


# -- refunds reverse the plan ----------------------------------------------------------------


def test_a_full_refund_in_one_go_takes_back_every_share() -> None:
    plan = SharingPolicy(TWO).split(yuan("33.33"))
    rev = plan.reverse(plan.amount)
    assert dict(rev.receivers) == {s.account: s.net for s in plan.shares}
    assert (rev.fee, rev.merchant, rev.total) == (plan.fee, plan.merchant_net, plan.amount)


def test_a_first_refund_counts_from_nothing_refunded() -> None:
    # 0.1 × 3.33 = 0.333 yuan: the guide's share is 33 fen; one yuan back takes 9 fen
    # (33 × 100 / 333 = 9.9, rounded down), not the 10 of a second yuan.
    plan = SharingPolicy(TWO).split(yuan("3.33"))
    assert plan.share_of("guide-g1").net == Money(33)
    first = plan.reverse(yuan("1"))
    assert dict(first.receivers)["guide-g1"] == Money(9)
    assert first == plan.reverse(yuan("1"), already_refunded=yuan("0"))


def test_a_negative_refund_or_refunded_before_is_refused() -> None:
    plan = SharingPolicy(TWO).split(yuan("100"))
    with pytest.raises(InvalidPolicyError, match=r"refunded before, must stay within ¥100\.00"
                       ) as info:
        plan.reverse(Money(-1))
    assert (info.value.field, info.value.value) == ("refund", Money(-1))
    assert str(info.value).startswith("refund=Money('-0.01', 'CNY'): with ¥0.00 refunded")
    with pytest.raises(InvalidPolicyError):
        plan.reverse(Money(1), already_refunded=Money(-1))


def test_when_a_receiver_holds_the_whole_order_each_refunded_fen_comes_back_from_it() -> None:
    # A channel without a fee and a 100% cap: the receiver holds every fen.
    pol = SharingPolicy((Receiver("hq", R.HEADQUARTERS, "1"),), cap="1", fee_rate="0")
    plan = pol.split(Money(100))
    assert dict(plan.reverse(Money(1)).receivers) == {"hq": Money(1)}
    one_fen = pol.split(Money(1))
    assert dict(one_fen.reverse(Money(1)).receivers) == {"hq": Money(1)}


# -- the rate template's requests -------------------------------------------------------------


def test_the_template_request_keeps_roles_and_finishes_only_when_asked() -> None:
    pol = SharingPolicy(TWO)
    req = pol.request("s1", yuan("100"))
    assert req.finish is False
    assert [(r.account, r.role, r.amount) for r in req.receivers] == [
        ("guide-g1", R.GUIDE, yuan("10")), ("store-S01", R.STORE, yuan("20"))]
    assert pol.request("s2", yuan("100"), finish=True).finish is True


# -- the machine: what each refusal says ------------------------------------------------------


def _order(**policy: object) -> SharingOrder:
    pol = SharingPolicy(**policy)  # type: ignore[arg-type]
    o = SharingOrder("4200001", yuan("100"), NOW, pol)
    out = o.handle(RequestSplit("s1", (SplitTo("store-S01", R.STORE, yuan("20")),
                                       SplitTo("guide-g1", R.GUIDE, yuan("5"), True))),
                   now=NOW)
    assert out.ok
    return out.state


def test_return_refusals_name_the_receiver_the_split_and_the_limits() -> None:
    o = _order(max_returns=1)
    personal = o.handle(ReturnSplit("r1", "s1", "guide-g1", yuan("1")), now=NOW)
    assert personal.reason.en == ("guide-g1 is a personal receiver: WeChat Pay does not "
                                  "return from personal receivers")
    late = o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("1")), now=NOW.add(days=180))
    assert late.reason.en == ("A split can be returned within 180 days, until "
                              f"{NOW.add(days=180).isoformat()}")
    above = o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("21")), now=NOW)
    assert above.reason.en == ("store-S01 got ¥20.00 in s1, returned ¥0.00; at most ¥20.00 "
                               "more, ¥21.00 asked")
    o = o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("1")), now=NOW).state
    again = o.handle(ReturnSplit("r2", "s1", "store-S01", yuan("1")), now=NOW)
    assert again.reason.zh == "同一笔分账最多回退1次"


def test_an_unknown_split_id_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="s9"):
        _order().split("s9")


def test_a_split_the_fee_leaves_no_room_for_says_how_much_room_is_left() -> None:
    o = SharingOrder("4200001", yuan("100"), NOW, SharingPolicy(cap="1"))
    out = o.handle(RequestSplit("s1", (SplitTo("store-S01", R.STORE, yuan("99.41")),)), now=NOW)
    assert out.reason.zh == "订单扣除手续费¥0.60后仅剩¥99.40可分，不足本次¥99.41"


def test_amounts_in_another_currency_than_the_order_are_misuse() -> None:
    o = SharingOrder("4200001", yuan("100"), NOW)
    with pytest.raises(InvalidCommandError, match="amounts in USD, the order is in CNY"):
        o.handle(RequestSplit("s1", (SplitTo("store-S01", R.STORE, usd("1")),)), now=NOW)


def test_an_order_in_dollars_splits_and_returns_in_dollars() -> None:
    o = SharingOrder("4200001", usd("100"), NOW)
    o = o.handle(RequestSplit("s1", (SplitTo("store-S01", R.STORE, usd("20")),)), now=NOW).state
    assert (o.held, o.returned_total, o.room) == (usd("20"), usd("0"), usd("10"))
    o = o.handle(ReturnSplit("r1", "s1", "store-S01", usd("5")), now=NOW).state
    assert (o.held, o.returned_total) == (usd("15"), usd("5"))


def test_a_return_on_an_earlier_split_leaves_the_later_splits_as_they_were() -> None:
    o = _order()
    o = o.handle(RequestSplit("s2", (SplitTo("hq", R.HEADQUARTERS, yuan("3")),)), now=NOW).state
    o = o.handle(RequestSplit("s3", (SplitTo("hq", R.HEADQUARTERS, yuan("2")),)), now=NOW).state
    o = o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("4")), now=NOW).state
    assert [s.id for s in o.splits] == ["s1", "s2", "s3"]
    assert (o.split_total, o.held) == (yuan("30"), yuan("26"))


def test_refusals_of_a_finished_or_expired_order_name_the_order_and_the_deadline() -> None:
    o = _order()
    deadline = NOW.add(days=30).isoformat()
    late = o.handle(RequestSplit("s2", (SplitTo("hq", R.HEADQUARTERS, yuan("1")),)),
                    now=NOW.add(days=30))
    assert late.reason.en == (f"The sharing deadline {deadline} has passed; the rest was "
                              "unfrozen to the merchant")
    early = o.handle(ExpireSharing("e1"), now=NOW)
    assert early.reason.en == f"The funds stay frozen until {deadline}"
    done = o.handle(FinishSharing("f1"), now=NOW).state
    again = done.handle(RequestSplit("s2", (SplitTo("hq", R.HEADQUARTERS, yuan("1")),)), now=NOW)
    assert again.reason.en == ("Sharing of order 4200001 is finished (merchant); RequestSplit "
                               "is not allowed")


def test_prune_forgets_ids_older_than_the_policys_retention() -> None:
    o = _order(log_retention_days=10)                     # s1 accepted at NOW
    out = o.handle(PruneLog("p1"), now=NOW.add(days=12))
    assert out.events == (LogPruned(NOW.add(days=2), 1),)
    assert "s1" not in out.state.log and "p1" in out.state.log


def test_misuse_of_the_machine_and_the_policy_says_what_to_do() -> None:
    with pytest.raises(InvalidCommandError,
                       match="use RequestSplit, ReturnSplit, FinishSharing or ExpireSharing"):
        _order().handle("split it", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError) as info:
        SharingPolicy((Receiver("a", R.GUIDE, "0.1"), Receiver("a", R.STORE, "0.1")))
    assert (info.value.field, info.value.value) == ("receivers", ["a", "a"])
    assert str(info.value) == "receivers=['a', 'a']: an account appears twice; merge its rates"
    with pytest.raises(InvalidPolicyError) as info:
        SharingPolicy((*TWO, Receiver("hq", R.HEADQUARTERS, "0.01")))
    assert (info.value.field, info.value.value) == ("receivers", Decimal("0.31"))
    assert str(info.value).endswith(
        "lower the rates (WeChat Pay shares at most 30% of an order)")


@pytest.mark.parametrize("amount", [Money(0), Money(-100), 100])
def test_a_sharing_order_is_for_a_positive_amount_of_money(amount: object) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        SharingOrder("4200001", amount, NOW)  # type: ignore[arg-type]
    assert (info.value.field, info.value.value) == ("amount", amount)
    assert str(info.value) == f"amount={amount!r}: must be Money > 0"
