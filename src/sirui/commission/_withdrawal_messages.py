"""Withdrawal messages: commands, events and reasons (private).

Everything here is exported by `sirui.commission.withdrawal`, where the
theory of operation lives.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from sirui.core.money import Money
from sirui.core.validators import non_empty_id, positive_money
from sirui.rules.outcome import Event
from sirui.rules.reasons import reason_code

BELOW_MINIMUM = reason_code(
    "withdrawal.below_minimum",
    zh="单笔提现不少于{minimum}，本次{amount}",
    en="A withdrawal is at least {minimum}; asked {amount}",
)
ABOVE_MAXIMUM = reason_code(
    "withdrawal.above_maximum",
    zh="单笔提现不超过{maximum}，本次{amount}",
    en="A withdrawal is at most {maximum}; asked {amount}",
)
NOTHING_AFTER_FEE = reason_code(
    "withdrawal.nothing_after_fee",
    zh="提现{amount}扣除手续费{fee}后无可到账金额",
    en="Nothing arrives from {amount} after the fee {fee}",
)
DAILY_COUNT = reason_code(
    "withdrawal.daily_count",
    zh="每天最多提现{limit}次，{day_zh}已提现{taken}次",
    en="At most {limit} withdrawals a day; {taken} already on {day}",
)
DAILY_AMOUNT = reason_code(
    "withdrawal.daily_amount",
    zh="每天最多提现{limit}，{day_zh}已提现{taken}，本次{amount}超出",
    en="At most {limit} a day; {taken} already on {day}, {amount} would exceed it",
)
INSUFFICIENT = reason_code(
    "withdrawal.insufficient",
    zh="可提现余额{available}，不足{amount}",
    en="Only {available} can be withdrawn; asked {amount}",
)
DEBT_HOLDS_BACK = reason_code(
    "withdrawal.debt_holds_back",
    zh="余额{balance}须先抵扣待追回佣金{debt}，可提现{available}，不足{amount}",
    en="The balance {balance} less the clawback debt {debt} leaves {available}; asked {amount}",
)
DEBT_UNCOVERED = reason_code(
    "withdrawal.debt_uncovered",
    zh="待追回佣金{debt}已超过剩余余额{balance}，请先驳回该提现或抵扣欠款",
    en="The clawback debt {debt} exceeds the remaining balance {balance}; reject the "
       "withdrawal or settle the debt first",
)
CLEAR_TOO_MUCH = reason_code(
    "withdrawal.clear_too_much",
    zh="待追回佣金仅{debt}，不能核销{amount}",
    en="Only {debt} is owed; cannot clear {amount}",
)
NOTHING_TO_OFFSET = reason_code(
    "withdrawal.nothing_to_offset",
    zh="没有可用余额抵扣的待追回佣金（余额{balance}，待追回{debt}）",
    en="Nothing to offset (balance {balance}, debt {debt})",
)
NOT_ALLOWED = reason_code(
    "withdrawal.not_allowed",
    zh="该提现申请{status_zh}，不能{action_zh}",
    en="Withdrawal {withdrawal} is {status}; {command} is not allowed",
)
APPLIED_NET = reason_code(
    "withdrawal.applied",
    zh="提现{amount}，手续费{fee}（{rate}），实际到账{net}",
    en="Withdraw {amount}: fee {fee} ({rate}), {net} arrives",
)


# -- commands -------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Credit:
    """Credit ``amount`` to the balance (入账): settled commission, a cash reward."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money = attrs.field(validator=positive_money)
    source: str = ""
    """What it is, for the host's statement (a settlement id, a referral)."""


@attrs.frozen(slots=True)
class RecordDebt:
    """Record a clawback the payee owes (待追回): a refund after payout, a reward taken back."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money = attrs.field(validator=positive_money)
    source: str = ""


@attrs.frozen(slots=True)
class ClearDebt:
    """Part of the debt was settled elsewhere (repaid, or offset by a later settlement)."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money = attrs.field(validator=positive_money)
    source: str = ""


@attrs.frozen(slots=True)
class OffsetDebt:
    """Net the debt against the balance (余额抵扣): both fall by the smaller of the two."""

    id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class ApplyWithdrawal:
    """Apply to withdraw ``amount`` (申请提现); ``id`` is the withdrawal's id."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money = attrs.field(validator=positive_money)


@attrs.frozen(slots=True)
class ApproveWithdrawal:
    """The operator approves the withdrawal (审核通过)."""

    id: str = attrs.field(validator=non_empty_id)
    withdrawal_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class RejectWithdrawal:
    """The operator rejects it (驳回): the amount goes back to the balance."""

    id: str = attrs.field(validator=non_empty_id)
    withdrawal_id: str = attrs.field(validator=non_empty_id)
    note: str = ""


@attrs.frozen(slots=True)
class MarkWithdrawalPaid:
    """The payment channel transferred the net (打款成功)."""

    id: str = attrs.field(validator=non_empty_id)
    withdrawal_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class MarkWithdrawalReturned:
    """The transfer bounced (退票): the amount goes back to the balance."""

    id: str = attrs.field(validator=non_empty_id)
    withdrawal_id: str = attrs.field(validator=non_empty_id)
    note: str = ""


WithdrawalCommand: TypeAlias = (
    Credit | RecordDebt | ClearDebt | OffsetDebt | ApplyWithdrawal | ApproveWithdrawal
    | RejectWithdrawal | MarkWithdrawalPaid | MarkWithdrawalReturned
)

# -- events ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class BalanceCredited(Event):
    payee: str
    amount: Money
    balance: Money
    source: str


@attrs.frozen(slots=True)
class DebtRecorded(Event):
    payee: str
    amount: Money
    debt: Money
    source: str


@attrs.frozen(slots=True)
class DebtCleared(Event):
    payee: str
    amount: Money
    debt: Money
    source: str


@attrs.frozen(slots=True)
class DebtOffset(Event):
    """``amount`` of the debt was paid from the balance."""

    payee: str
    amount: Money
    balance: Money
    debt: Money


@attrs.frozen(slots=True)
class WithdrawalApplied(Event):
    payee: str
    withdrawal_id: str
    amount: Money
    fee: Money
    net: Money
    balance: Money


@attrs.frozen(slots=True)
class WithdrawalApproved(Event):
    payee: str
    withdrawal_id: str


@attrs.frozen(slots=True)
class WithdrawalRejected(Event):
    payee: str
    withdrawal_id: str
    amount: Money
    balance: Money
    note: str


@attrs.frozen(slots=True)
class WithdrawalPaid(Event):
    payee: str
    withdrawal_id: str
    amount: Money
    fee: Money
    net: Money


@attrs.frozen(slots=True)
class WithdrawalReturned(Event):
    payee: str
    withdrawal_id: str
    amount: Money
    balance: Money
    note: str


