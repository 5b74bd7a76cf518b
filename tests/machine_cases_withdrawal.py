"""Conformance cases for withdrawals and profit sharing (see `tests/test_machine_contract.py`)."""

from __future__ import annotations

import pendulum

from contract import MachineCase

TZ = "Asia/Shanghai"


def _withdrawal_cases() -> list[MachineCase]:
    """Guide g1 has 300 yuan, owes 50, and one application of 100 awaiting review."""
    from sirui.commission import (
        ApplyWithdrawal,
        ApproveWithdrawal,
        Credit,
        MarkWithdrawalPaid,
        RecordDebt,
        WithdrawalAccount,
        WithdrawalPolicy,
    )
    from sirui.core.money import Money

    now = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
    policy = WithdrawalPolicy(minimum=Money.of("10"), fee_rate="0.006", daily_count=3)
    acc = WithdrawalAccount("g1", policy)
    acc = acc.handle(Credit("settle-1", Money.of("300")), now=now).state
    acc = acc.handle(RecordDebt("claw-1", Money.of("50")), now=now).state
    acc = acc.handle(ApplyWithdrawal("w1", Money.of("100")), now=now).state
    return [
        MachineCase(
            name="WithdrawalAccount",
            state=acc,
            now=now.add(hours=1),
            accept=ApplyWithdrawal("w2", Money.of("120")),
            conflict=ApplyWithdrawal("w2", Money.of("121")),
            reject=ApplyWithdrawal("w3", Money.of("160")),   # 200 left less 50 owed: 150
            illegal=MarkWithdrawalPaid("pay-w1", "w1"),      # not approved yet
        ),
        MachineCase(
            name="WithdrawalAccount-review",
            state=acc,
            now=now.add(hours=1),
            accept=ApproveWithdrawal("ok-w1", "w1"),
            conflict=ApproveWithdrawal("ok-w1", "w1x"),
        ),
    ]


def _sharing_cases() -> list[MachineCase]:
    """A 100-yuan order, 20 yuan already split to the store."""
    from sirui.commission import (
        ExpireSharing,
        FinishSharing,
        ReceiverRole,
        RequestSplit,
        SharingOrder,
        SplitTo,
    )
    from sirui.core.money import Money

    paid = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
    order = SharingOrder("4200001", Money.of("100"), paid)
    order = order.handle(RequestSplit("s1", (SplitTo("store-S01", ReceiverRole.STORE,
                                                     Money.of("20")),)), now=paid).state
    finished = order.handle(FinishSharing("f1"), now=paid.add(days=1)).state
    guide = (SplitTo("guide-g1", ReceiverRole.GUIDE, Money.of("10"), personal=True),)
    return [
        MachineCase(
            name="SharingOrder",
            state=order,
            now=paid.add(days=1),
            accept=RequestSplit("s2", guide),
            conflict=RequestSplit("s2", guide, finish=True),
            reject=RequestSplit("s3", (SplitTo("guide-g1", ReceiverRole.GUIDE,
                                               Money.of("10.01")),)),   # 30 cap, 20 split
        ),
        MachineCase(
            name="SharingOrder-finished",
            state=finished,
            now=paid.add(days=2),
            accept=_return("r1"),
            conflict=_return("r1", "3"),
            reject=_return("r2", "20.01"),
            illegal=ExpireSharing("e1"),
        ),
    ]


def _return(rid: str, amount: str = "5") -> object:
    from sirui.commission import ReturnSplit
    from sirui.core.money import Money

    return ReturnSplit(rid, "s1", "store-S01", Money.of(amount))


CASES: list[MachineCase] = [*_withdrawal_cases(), *_sharing_cases()]
