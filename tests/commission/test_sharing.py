"""Profit sharing (分账): the rate plan, and the per-order machine of WeChat Pay's API.

The plan: within the 30% cap, 0.6% fee, exact to the fen, reserve, reversal.
The machine: amounts in fen, the cap as a refusal, 50 receivers and 50
requests, returns, finish and the 30-day automatic unfreeze.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    SHARING_TRANSITIONS,
    ExpireSharing,
    FeeBearer,
    FinishCause,
    FinishSharing,
    Receiver,
    ReceiverRole,
    RequestSplit,
    ReturnSplit,
    SharingFinished,
    SharingOrder,
    SharingPolicy,
    SharingStatus,
    SplitMade,
    SplitReturned,
    SplitTo,
)
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.windows import DateTime
from sirui.rules import Accepted, Rejected, state_diagram

from ._shop import NOW, yuan

R = ReceiverRole
FOUR = (
    Receiver("guide-g1", R.GUIDE, Decimal("0.05")),
    Receiver("store-S01", R.STORE, Decimal("0.10")),
    Receiver("hq", R.HEADQUARTERS, Decimal("0.10")),
    Receiver("partner-p", R.PARTNER, Decimal("0.05")),
)


def test_a_300_yuan_order_shared_30_percent_merchant_pays_the_fee() -> None:
    plan = SharingPolicy(FOUR).split(yuan("300"))
    assert [(s.account, s.net) for s in plan.shares] == [
        ("guide-g1", yuan("15.00")), ("store-S01", yuan("30.00")),
        ("hq", yuan("30.00")), ("partner-p", yuan("15.00")),
    ]
    assert plan.fee == yuan("1.80")          # 0.6% of 300
    assert plan.shared == yuan("90.00")      # exactly the 30% cap
    assert plan.merchant_net == yuan("208.20")
    assert plan.reserve == yuan("0")         # automatic withdrawal is on


def test_receivers_bear_the_fee_in_proportion() -> None:
    plan = SharingPolicy(FOUR, fee_bearer=FeeBearer.RECEIVERS).split(yuan("300"))
    assert [s.fee for s in plan.shares] == [yuan("0.30"), yuan("0.60"), yuan("0.60"),
                                            yuan("0.30")]
    assert plan.merchant_net == yuan("210.00")


def test_everyone_bears_the_fee_pro_rata() -> None:
    plan = SharingPolicy(FOUR, fee_bearer=FeeBearer.PRO_RATA).split(yuan("300"))
    assert plan.merchant_fee == yuan("1.26")
    assert sum((s.fee for s in plan.shares), Money(0)) == yuan("0.54")


def test_rounding_goes_down_against_the_cap_and_sums_exactly() -> None:
    plan = SharingPolicy(FOUR).split(Money(3333))   # 33.33 yuan
    assert plan.shared == Money(999)                 # 30% of 3333 fen is 999.9
    total = sum((s.net for s in plan.shares), plan.merchant_net + plan.fee)
    assert total == Money(3333)


def test_shares_summing_above_the_cap_are_a_typed_error() -> None:
    with pytest.raises(InvalidPolicyError, match="above the cap"):
        SharingPolicy((*FOUR, Receiver("extra", R.PARTNER, Decimal("0.01"))))
    # The cap is configurable (downward, or up for other payment channels).
    SharingPolicy((*FOUR, Receiver("extra", R.PARTNER, Decimal("0.01"))), cap=Decimal("0.4"))
    with pytest.raises(InvalidPolicyError):
        SharingPolicy(FOUR, cap=Decimal("1.2"))
    with pytest.raises(InvalidPolicyError):
        SharingPolicy((Receiver("a", R.GUIDE, "0.1"), Receiver("a", R.STORE, "0.1")))


def test_without_automatic_withdrawal_a_reserve_stays_for_refunds() -> None:
    plan = SharingPolicy(FOUR, auto_withdraw=False, reserve_rate=Decimal("0.1")).split(
        yuan("300"))
    assert plan.reserve == yuan("30.00")
    assert plan.withdrawable == yuan("178.20")


def test_partial_then_full_refund_reverses_exactly() -> None:
    plan = SharingPolicy(FOUR).split(yuan("300"))
    first = plan.reverse(yuan("100"))
    assert dict(first.receivers) == {"guide-g1": yuan("5.00"), "store-S01": yuan("10.00"),
                                     "hq": yuan("10.00"), "partner-p": yuan("5.00")}
    assert first.fee == yuan("0.60")
    assert first.total == yuan("100")
    rest = plan.reverse(yuan("200"), already_refunded=yuan("100"))
    for account, back in rest.receivers:
        assert back + dict(first.receivers)[account] == plan.share_of(account).net
    assert first.fee + rest.fee == plan.fee
    assert first.merchant + rest.merchant == plan.merchant_net
    with pytest.raises(InvalidPolicyError):
        plan.reverse(yuan("1"), already_refunded=yuan("300"))


receivers_st = st.lists(
    st.tuples(st.sampled_from(list(ReceiverRole)), st.integers(0, 100)), min_size=1, max_size=5
).filter(lambda rs: sum(r for _, r in rs) <= 300)


def _policy(rs: list[tuple[ReceiverRole, int]], bearer: FeeBearer, auto: bool) -> SharingPolicy:
    return SharingPolicy(
        tuple(Receiver(f"a{i}", role, Decimal(r) / 1000) for i, (role, r) in enumerate(rs)),
        fee_bearer=bearer, auto_withdraw=auto,
    )


@given(receivers_st, st.sampled_from(list(FeeBearer)), st.booleans(), st.integers(0, 10**8))
def test_sharing_never_exceeds_the_cap_and_sums_exactly(
    rs: list[tuple[ReceiverRole, int]], bearer: FeeBearer, auto: bool, fen: int
) -> None:
    pol = _policy(rs, bearer, auto)
    plan = pol.split(Money(fen))
    assert plan.shared.minor * 10 <= fen * 3
    assert plan.fee == Money(fen).times(Decimal("0.006"))
    assert sum((s.net for s in plan.shares), plan.merchant_net + plan.fee) == Money(fen)
    assert all(s.net.minor >= 0 and s.gross == s.net + s.fee for s in plan.shares)
    assert Money(0) <= plan.reserve <= plan.merchant_net


@given(receivers_st, st.sampled_from(list(FeeBearer)), st.integers(1, 10**7),
       st.lists(st.integers(1, 100), min_size=1, max_size=5))
def test_refunds_reverse_sharing_exactly(
    rs: list[tuple[ReceiverRole, int]], bearer: FeeBearer, fen: int, cuts: list[int]
) -> None:
    plan = _policy(rs, bearer, True).split(Money(fen))
    parts = Money(fen).allocate(cuts)
    done = Money(0)
    back = {s.account: Money(0) for s in plan.shares}
    fee = merchant = Money(0)
    for p in parts:
        rev = plan.reverse(p, already_refunded=done)
        assert rev.total == p
        for account, m in rev.receivers:
            assert m.minor >= 0
            back[account] += m
        fee += rev.fee
        merchant += rev.merchant
        done += p
    assert all(back[s.account] == s.net for s in plan.shares)
    assert (fee, merchant) == (plan.fee, plan.merchant_net)


# -- the per-order machine: WeChat Pay's API, in fen ---------------------------------------

PAID = NOW
ASCII_LETTER = re.compile(r"[A-Za-z]")


def order(amount: str = "100", **policy: object) -> SharingOrder:
    return SharingOrder("4200001", yuan(amount), PAID, SharingPolicy(**policy))  # type: ignore[arg-type]


def to(account: str, amount: str, role: ReceiverRole = R.STORE, personal: bool = False
       ) -> SplitTo:
    return SplitTo(account, role, yuan(amount), personal)


def split(o: SharingOrder, sid: str, *receivers: SplitTo, finish: bool = False,
          at: DateTime = PAID) -> Accepted[SharingOrder] | Rejected[SharingOrder]:
    return o.handle(RequestSplit(sid, receivers, finish), now=at)


def test_a_100_yuan_order_with_a_30_percent_cap_refuses_a_31_yuan_split() -> None:
    o = order()
    out = split(o, "s1", to("guide-g1", "31", R.GUIDE))
    assert not out.ok and out.state is o and not out.events
    assert out.reason.code == "sharing.above_cap"
    assert out.reason.zh == "订单¥100.00最多分账30%即¥30.00，已分¥0.00，本次¥31.00超出上限"
    ok = split(o, "s1", to("guide-g1", "30", R.GUIDE))
    assert ok.events == (SplitMade("4200001", "s1", (("guide-g1", yuan("30")),), yuan("30"),
                                   yuan("30")),)


def test_the_cap_counts_every_request_of_the_order() -> None:
    o = split(order(), "s1", to("store-S01", "20")).state
    o = split(o, "s2", to("guide-g1", "10", R.GUIDE, personal=True)).state
    assert (o.split_total, o.room) == (yuan("30"), yuan("0"))
    assert split(o, "s3", to("hq", "0.01", R.HEADQUARTERS)).reason.code == "sharing.above_cap"


def test_at_most_50_receivers_per_request_and_50_requests_per_order() -> None:
    o = order()
    many = tuple(to(f"p{i}", "0.01", R.PARTNER) for i in range(51))
    out = split(o, "s1", *many)
    assert out.reason.code == "sharing.too_many_receivers"
    assert out.reason.zh == "每次分账最多50个接收方，本次51个"
    assert split(o, "s1", *many[:50]).ok
    for i in range(50):
        o = split(o, f"s{i}", to("store-S01", "0.01")).state
    out = split(o, "s50", to("store-S01", "0.01"))
    assert out.reason.zh == "同一订单最多分账50次，已分账50次"


def test_a_cap_of_100_percent_still_leaves_the_fee_with_the_merchant() -> None:
    o = order(cap="1")                                       # fee 0.60: 99.40 can be split
    assert split(o, "s1", to("store-S01", "99.41")).reason.code == "sharing.not_enough"
    assert split(o, "s1", to("store-S01", "99.40")).ok


def test_returns_partial_then_whole_never_more_than_was_split() -> None:
    o = split(order(), "s1", to("store-S01", "20"), to("guide-g1", "5", R.GUIDE, True)).state
    back = o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("8")), now=PAID.add(days=3))
    assert back.events == (SplitReturned("4200001", "r1", "s1", "store-S01", yuan("8")),)
    o = back.state
    too_much = o.handle(ReturnSplit("r2", "s1", "store-S01", yuan("12.01")), now=PAID)
    assert too_much.reason.zh == (
        "该接收方本次分得¥20.00，已回退¥8.00，最多还可回退¥12.00，本次¥12.01超出")
    o = o.handle(ReturnSplit("r2", "s1", "store-S01", yuan("12")), now=PAID).state
    assert o.split("s1").shares[0].held == yuan("0")
    # Returned money goes to the merchant, not back under the cap.
    assert (o.held, o.returned_total, o.room) == (yuan("5"), yuan("20"), yuan("5"))


def test_wechat_does_not_return_from_personal_receivers_nor_after_180_days() -> None:
    o = split(order(), "s1", to("store-S01", "20"), to("guide-g1", "5", R.GUIDE, True)).state
    personal = o.handle(ReturnSplit("r1", "s1", "guide-g1", yuan("1")), now=PAID)
    assert personal.reason.code == "sharing.personal_no_return"
    late = o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("1")), now=PAID.add(days=180))
    assert late.reason.zh == "分账回退须在分账后180天内（截至2027年5月10日）"
    assert o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("1")),
                    now=PAID.add(days=179)).ok


def test_finishing_gives_the_rest_to_the_merchant_and_ends_splitting() -> None:
    o = split(order(), "s1", to("store-S01", "20"), to("guide-g1", "5", R.GUIDE)).state
    out = o.handle(FinishSharing("f1"), now=PAID.add(days=1))
    assert out.events == (SharingFinished("4200001", FinishCause.MERCHANT, yuan("74.40")),)
    o = out.state                                             # 100 − 0.60 fee − 25 split
    assert (o.status, o.frozen, o.unfrozen, o.merchant_rest) == (
        SharingStatus.FINISHED, yuan("0"), yuan("74.40"), yuan("75"))
    again = split(o, "s2", to("store-S01", "1"))
    assert again.reason.code == "sharing.finished"
    assert again.reason.zh == "该订单分账已完结（商户已完结分账），不能再分账"
    # returns still work after the finish
    assert o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("20")), now=PAID).ok


def test_a_request_can_unfreeze_the_rest_itself() -> None:
    out = split(order(), "s1", to("store-S01", "30"), finish=True)
    assert [type(e) for e in out.events] == [SplitMade, SharingFinished]
    assert out.state.unfrozen == yuan("69.40")
    assert out.state.finished_by is FinishCause.REQUEST


def test_thirty_days_after_payment_the_rest_unfreezes_by_itself() -> None:
    o = order()
    assert o.deadline == PAID.add(days=30)
    early = o.handle(ExpireSharing("e1"), now=PAID.add(days=29))
    assert early.reason.zh == "资金冻结至2026年12月11日，未到自动解冻时间"
    late = split(o, "s1", to("store-S01", "1"), at=PAID.add(days=30))
    assert late.reason.code == "sharing.deadline_passed"
    assert late.reason.zh == "已过分账期限（2026年12月11日），剩余资金已自动解冻给商户"
    assert late.state is o
    out = o.handle(ExpireSharing("e1"), now=PAID.add(days=30))
    assert out.events == (SharingFinished("4200001", FinishCause.DEADLINE, yuan("99.40")),)
    # the freeze period is the operator's to configure
    assert order(unfreeze_after_days=15).deadline == PAID.add(days=15)


def test_the_rate_template_makes_a_request_in_fen() -> None:
    req = SharingPolicy(FOUR).request("s1", yuan("300"))
    assert [(r.account, r.amount) for r in req.receivers] == [
        ("guide-g1", yuan("15")), ("store-S01", yuan("30")), ("hq", yuan("30")),
        ("partner-p", yuan("15"))]
    assert SharingOrder("4200002", yuan("300"), PAID, SharingPolicy(FOUR)).handle(
        req, now=PAID).ok


def test_sharing_commands_are_idempotent_and_misuse_raises() -> None:
    o = order()
    first = split(o, "s1", to("store-S01", "20"))
    assert split(first.state, "s1", to("store-S01", "20")).events == first.events
    with pytest.raises(IdConflictError):
        split(first.state, "s1", to("store-S01", "21"))
    with pytest.raises(InvalidCommandError, match="no split request"):
        first.state.handle(ReturnSplit("r1", "nope", "store-S01", yuan("1")), now=PAID)
    with pytest.raises(InvalidCommandError, match="not a receiver"):
        first.state.handle(ReturnSplit("r1", "s1", "hq", yuan("1")), now=PAID)
    with pytest.raises(InvalidPolicyError, match="twice"):
        RequestSplit("s2", (to("hq", "1"), to("hq", "2")))
    with pytest.raises(InvalidPolicyError):
        to("hq", "0")


def test_zh_messages_carry_no_english_id_or_timestamp() -> None:
    o = split(order(), "s1", to("store-S01", "20"), to("guide-g1", "5", R.GUIDE, True)).state
    done = o.handle(FinishSharing("f1"), now=PAID).state
    refusals = [
        split(o, "s2", to("hq", "5.01")),
        split(o, "s2", to("hq", "1"), at=PAID.add(days=31)),
        o.handle(ExpireSharing("e1"), now=PAID),
        o.handle(ReturnSplit("r1", "s1", "guide-g1", yuan("1")), now=PAID),
        o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("21")), now=PAID),
        o.handle(ReturnSplit("r1", "s1", "store-S01", yuan("1")), now=PAID.add(days=200)),
        done.handle(ExpireSharing("e2"), now=PAID.add(days=40)),
        split(order(), "s1", *(to(f"p{i}", "0.01") for i in range(51))),
    ]
    for out in refusals:
        assert not out.ok
        assert not ASCII_LETTER.search(out.reason.zh), out.reason.zh


def test_the_docs_diagram_is_the_table() -> None:
    page = Path(__file__).resolve().parents[2] / "docs/mechanics/commission.md"
    assert state_diagram(SHARING_TRANSITIONS) in page.read_text("utf-8")


@given(
    st.integers(1, 10**7),
    st.integers(0, 1000).map(lambda n: Decimal(n) / 1000),
    st.lists(st.one_of(
        st.tuples(st.just("split"), st.lists(st.integers(1, 10**6), min_size=1, max_size=4)),
        st.tuples(st.just("return"), st.lists(st.integers(1, 10**6), min_size=1, max_size=1)),
    ), max_size=12),
    st.booleans(),
)
def test_splits_and_returns_stay_within_the_cap_and_sum_to_the_order(
    fen: int, cap: Decimal, steps: list[tuple[str, list[int]]], finish: bool
) -> None:
    o = SharingOrder("t1", Money(fen), PAID, SharingPolicy(cap=cap))
    for i, (kind, amounts) in enumerate(steps):
        if kind == "split":
            cmd: object = RequestSplit(f"s{i}", tuple(
                SplitTo(f"a{k}", R.PARTNER, Money(a)) for k, a in enumerate(amounts)))
        elif o.splits:
            record = o.splits[i % len(o.splits)]
            cmd = ReturnSplit(f"r{i}", record.id, record.shares[0].account, Money(amounts[0]))
        else:
            continue
        o = o.handle(cmd, now=PAID.add(hours=i)).state  # type: ignore[arg-type]
        assert o.split_total <= o.cap_amount
        assert o.split_total <= o.amount - o.fee
        assert all(Money(0) <= sh.returned <= sh.amount for s in o.splits for sh in s.shares)
        assert o.held + o.returned_total + o.merchant_rest == o.amount
        assert o.fee + o.frozen + o.unfrozen == o.merchant_rest
    if finish:
        o = o.handle(FinishSharing("fin"), now=PAID).state
        assert o.held + o.returned_total + o.fee + o.unfrozen == o.amount
