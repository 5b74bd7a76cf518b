"""Profit sharing (分账): within the 30% cap, 0.6% fee, exact to the fen, reserve, reversal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import FeeBearer, Receiver, ReceiverRole, SharingPolicy
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money

from ._shop import yuan

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
