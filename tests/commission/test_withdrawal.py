"""Withdrawals (提现): minimum, fee and its rounding, daily limits, debt netting, the table."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract import reload
from sirui.commission import (
    WITHDRAWAL_TRANSITIONS,
    ApplyWithdrawal,
    ApproveWithdrawal,
    ClearDebt,
    Credit,
    DebtOffset,
    MarkWithdrawalPaid,
    MarkWithdrawalReturned,
    OffsetDebt,
    RecordDebt,
    RejectWithdrawal,
    WithdrawalAccount,
    WithdrawalApplied,
    WithdrawalPaid,
    WithdrawalPolicy,
    WithdrawalRejected,
    WithdrawalReturned,
    WithdrawalStatus,
)
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money, Rounding
from sirui.rules import Accepted, PruneLog, Rejected, state_diagram

from ._shop import NOW, yuan

POLICY = WithdrawalPolicy(minimum=yuan("10"), fee_rate="0.006", daily_count=2,
                          daily_amount=yuan("500"))
ASCII_LETTER = re.compile(r"[A-Za-z]")


def account(balance: str = "300", debt: str = "0", policy: WithdrawalPolicy = POLICY
            ) -> WithdrawalAccount:
    acc = WithdrawalAccount("g1", policy)
    acc = acc.handle(Credit("settle-1", yuan(balance)), now=NOW).state
    if Money.of(debt):
        acc = acc.handle(RecordDebt("claw-1", yuan(debt)), now=NOW).state
    return acc


def apply(acc: WithdrawalAccount, wid: str, amount: str, at: pendulum.DateTime = NOW
          ) -> Accepted[WithdrawalAccount] | Rejected[WithdrawalAccount]:
    return acc.handle(ApplyWithdrawal(wid, yuan(amount)), now=at)


# -- the operator's rules, in yuan --------------------------------------------------------


def test_a_100_yuan_withdrawal_at_0_6_percent_pays_99_40() -> None:
    out = apply(account(), "w1", "100")
    assert out.ok
    assert out.events == (WithdrawalApplied("g1", "w1", yuan("100"), yuan("0.60"),
                                            yuan("99.40"), yuan("200")),)
    assert out.reason.zh == "提现¥100.00，手续费¥0.60（0.6%），实际到账¥99.40"
    acc = out.state
    assert (acc.balance, acc.pending, acc.withdrawable) == (yuan("200"), yuan("100"), yuan("200"))


def test_the_minimum_of_10_yuan_refuses_9_99() -> None:
    acc = account()
    out = apply(acc, "w1", "9.99")
    assert not out.ok
    assert out.state is acc
    assert out.reason.code == "withdrawal.below_minimum"
    assert out.reason.zh == "单笔提现不少于¥10.00，本次¥9.99"
    assert apply(acc, "w1", "10").ok


def test_a_maximum_of_200_yuan_per_withdrawal() -> None:
    acc = account(policy=WithdrawalPolicy(minimum=yuan("1"), maximum=yuan("200")))
    assert apply(acc, "w1", "200.01").reason.code == "withdrawal.above_maximum"
    assert apply(acc, "w1", "200").ok


@pytest.mark.parametrize(("rounding", "fee"), [
    (Rounding.HALF_UP, "0.07"), (Rounding.DOWN, "0.06"), (Rounding.UP, "0.07"),
    (Rounding.HALF_EVEN, "0.06"),
])
def test_the_fee_of_0_5_percent_on_13_yuan_is_rounded_as_configured(
    rounding: Rounding, fee: str
) -> None:
    # 0.5% of 13.00 is 0.065 yuan.
    policy = WithdrawalPolicy(minimum=yuan("1"), fee_rate="0.005", fee_rounding=rounding)
    assert policy.fee(yuan("13")) == (yuan(fee), yuan("13") - yuan(fee))


def test_two_withdrawals_a_day_the_third_waits_for_tomorrow_in_shanghai() -> None:
    acc = account("1000", policy=WithdrawalPolicy(minimum=yuan("10"), daily_count=2))
    late = pendulum.datetime(2026, 11, 11, 23, 30, tz="Asia/Shanghai")
    acc = apply(acc, "w1", "10", late.subtract(hours=12)).state
    acc = apply(acc, "w2", "10", late).state
    third = apply(acc, "w3", "10", late.add(minutes=29))
    assert third.reason.code == "withdrawal.daily_count"
    assert third.reason.zh == "每天最多提现2次，2026年11月11日已提现2次"
    # 00:00 in Shanghai is still 16:00 of the 11th in UTC: the store's day decides.
    midnight = pendulum.datetime(2026, 11, 11, 16, tz="UTC")
    assert apply(acc, "w3", "10", midnight).ok


def test_500_yuan_a_day_refuses_250_after_300() -> None:
    acc = account("1000")
    acc = apply(acc, "w1", "300").state
    out = apply(acc, "w2", "250")
    assert out.reason.code == "withdrawal.daily_amount"
    assert out.reason.zh == "每天最多提现¥500.00，2026年11月11日已提现¥300.00，本次¥250.00超出"
    assert apply(acc, "w2", "200").ok


def test_a_rejected_withdrawal_stops_counting_for_the_day() -> None:
    acc = account("1000")
    acc = apply(acc, "w1", "300").state
    acc = acc.handle(RejectWithdrawal("no-w1", "w1", note="银行卡信息有误"), now=NOW).state
    assert acc.usage(NOW.date()).count == 0
    assert apply(acc, "w2", "500").ok


def test_50_yuan_of_clawback_debt_holds_back_part_of_a_300_yuan_balance() -> None:
    acc = account("300", debt="50")
    assert acc.withdrawable == yuan("250")
    out = apply(acc, "w1", "260")
    assert out.reason.code == "withdrawal.debt_holds_back"
    assert out.reason.zh == "余额¥300.00须先抵扣待追回佣金¥50.00，可提现¥250.00，不足¥260.00"
    assert apply(acc, "w1", "250").ok


def test_without_debt_the_refusal_names_the_balance() -> None:
    out = apply(account("100"), "w1", "100.01")
    assert out.reason.code == "withdrawal.insufficient"
    assert out.reason.zh == "可提现余额¥100.00，不足¥100.01"


def test_debt_recorded_after_the_application_blocks_its_approval() -> None:
    acc = apply(account("300"), "w1", "250").state              # 50 left
    acc = acc.handle(RecordDebt("claw-2", yuan("80"), source="refund o7"), now=NOW).state
    out = acc.handle(ApproveWithdrawal("ok-w1", "w1"), now=NOW)
    assert out.reason.code == "withdrawal.debt_uncovered"
    assert out.state is acc
    back = acc.handle(RejectWithdrawal("no-w1", "w1"), now=NOW)
    assert back.events == (WithdrawalRejected("g1", "w1", yuan("250"), yuan("300"), ""),)
    assert back.state.withdrawable == yuan("220")               # 300 less 80 owed


def test_applied_approved_paid_then_the_bank_returns_it() -> None:
    acc = apply(account("300"), "w1", "100").state
    acc = acc.handle(ApproveWithdrawal("ok-w1", "w1"), now=NOW).state
    paid = acc.handle(MarkWithdrawalPaid("paid-w1", "w1"), now=NOW.add(hours=2))
    assert paid.events == (WithdrawalPaid("g1", "w1", yuan("100"), yuan("0.60"), yuan("99.40")),)
    acc = paid.state
    assert (acc.balance, acc.pending, acc.withdrawn) == (yuan("200"), yuan("0"), yuan("100"))
    back = acc.handle(MarkWithdrawalReturned("bounce-w1", "w1", "账户已注销"), now=NOW.add(days=1))
    assert back.events == (WithdrawalReturned("g1", "w1", yuan("100"), yuan("300"), "账户已注销"),)
    assert back.state.withdrawal("w1").status is WithdrawalStatus.RETURNED
    assert (back.state.balance, back.state.withdrawn) == (yuan("300"), yuan("0"))


def test_offset_nets_the_debt_against_the_balance() -> None:
    acc = account("30", debt="50")
    out = acc.handle(OffsetDebt("net-1"), now=NOW)
    assert out.events == (DebtOffset("g1", yuan("30"), yuan("0"), yuan("20")),)
    assert out.state.handle(OffsetDebt("net-2"), now=NOW).reason.code == (
        "withdrawal.nothing_to_offset")


def test_clearing_more_debt_than_is_owed_is_refused() -> None:
    acc = account("30", debt="50")
    assert acc.handle(ClearDebt("c1", yuan("50.01")), now=NOW).reason.code == (
        "withdrawal.clear_too_much")
    assert acc.handle(ClearDebt("c1", yuan("50")), now=NOW).state.debt == yuan("0")


def test_the_table_decides_before_the_business_rules() -> None:
    acc = apply(account("300"), "w1", "100").state
    out = acc.handle(MarkWithdrawalPaid("paid-w1", "w1"), now=NOW)
    assert out.reason.code == "withdrawal.not_allowed"
    assert out.reason.zh == "该提现申请待审核，不能确认打款"
    assert out.state is acc
    # the same withdrawal id applied for again (after its log entry was pruned)
    pruned = acc.handle(PruneLog("p1", retention_days=0), now=NOW.add(days=1)).state
    assert "w1" not in pruned.log
    again = apply(pruned, "w1", "100", NOW.add(days=1))
    assert again.reason.code == "withdrawal.not_allowed"


def test_replays_return_the_original_events_and_conflicts_raise() -> None:
    acc = account("300")
    first = apply(acc, "w1", "100")
    again = first.state.handle(ApplyWithdrawal("w1", yuan("100")), now=NOW.add(hours=1))
    assert again.ok and again.events == first.events and again.state is first.state
    stored = reload(first.state)
    assert stored == first.state
    assert stored.handle(ApplyWithdrawal("w1", yuan("100")), now=NOW).events == first.events
    with pytest.raises(IdConflictError):
        stored.handle(ApplyWithdrawal("w1", yuan("101")), now=NOW)


def test_misuse_raises() -> None:
    acc = account()
    with pytest.raises(InvalidCommandError, match="no such withdrawal"):
        acc.handle(ApproveWithdrawal("ok", "nope"), now=NOW)
    with pytest.raises(InvalidCommandError, match="currency"):
        acc.handle(Credit("c2", Money.of("1", "HKD")), now=NOW)
    with pytest.raises(InvalidPolicyError):
        WithdrawalPolicy(fee_rate="1")
    with pytest.raises(InvalidPolicyError):
        WithdrawalPolicy(minimum=yuan("10"), maximum=yuan("5"))
    with pytest.raises(InvalidPolicyError):
        Credit("c3", yuan("0"))


def test_prune_forgets_old_days_and_ids() -> None:
    acc = apply(account("300"), "w1", "100").state
    later = NOW.add(days=40)
    out = acc.handle(PruneLog("p1"), now=later)
    assert out.state.usage(NOW.date()).count == 0
    assert len(out.state.log) == 1                       # the prune itself
    assert out.state.withdrawal("w1").status is WithdrawalStatus.APPLIED


def test_zh_messages_carry_no_english_id_or_timestamp() -> None:
    acc = apply(account("300", debt="50"), "w1", "100").state
    refusals = [
        apply(acc, "w2", "5"), apply(acc, "w2", "200"),
        acc.handle(MarkWithdrawalReturned("x", "w1"), now=NOW),
        acc.handle(ClearDebt("c", yuan("60")), now=NOW),
        apply(apply(acc, "w2", "10").state, "w3", "10"),
    ]
    for out in refusals:
        assert not out.ok
        assert not ASCII_LETTER.search(out.reason.zh), out.reason.zh


def test_the_docs_diagram_is_the_table() -> None:
    page = Path(__file__).resolve().parents[2] / "docs/mechanics/commission.md"
    assert state_diagram(WITHDRAWAL_TRANSITIONS) in page.read_text("utf-8")


# -- properties -------------------------------------------------------------------------


policies = st.builds(
    WithdrawalPolicy,
    minimum=st.integers(1, 10_000).map(Money),
    fee_rate=st.integers(0, 999).map(lambda n: Decimal(n) / 1000),
    fee_rounding=st.sampled_from(Rounding),
)


@given(policies, st.integers(1, 10**9))
def test_fee_plus_net_is_the_amount_exactly(policy: WithdrawalPolicy, fen: int) -> None:
    fee, net = policy.fee(Money(fen))
    assert fee + net == Money(fen)
    assert fee.minor >= 0 and net.minor >= 0


@given(st.lists(st.tuples(st.sampled_from(["credit", "debt", "apply"]),
                          st.integers(1, 50_000)), max_size=20))
def test_an_application_never_takes_more_than_the_balance_less_the_debt(
    steps: list[tuple[str, int]]
) -> None:
    acc = WithdrawalAccount("g1", WithdrawalPolicy(minimum=Money(1), fee_rate="0.01"))
    for i, (kind, fen) in enumerate(steps):
        cmd = {"credit": Credit, "debt": RecordDebt, "apply": ApplyWithdrawal}[kind](
            f"k{i}", Money(fen))
        out = acc.handle(cmd, now=NOW)
        if kind == "apply":
            assert out.ok == (fen <= acc.balance.minor - acc.debt.minor)
            if out.ok:
                (ev,) = out.events
                assert ev.fee + ev.net == ev.amount
        acc = out.state
        assert acc.balance.minor >= 0
    credited = sum(f for k, f in steps if k == "credit")
    assert acc.balance + acc.pending == Money(credited)
    assert acc.withdrawable == (acc.balance - acc.debt).max(Money(0))
