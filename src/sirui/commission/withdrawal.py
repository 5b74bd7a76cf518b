"""Withdrawals (提现): a payee's balance, the clawbacks they owe, and the withdrawal machine.

Theory of operation
-------------------
Commission that settlement paid out (``CommissionSettled.paid``) and cash
referral rewards are credited to the payee's `WithdrawalAccount`: one small
value per payee (a guide, a seller, an inviter) that the host keeps under
one key and one lock. The payee applies to withdraw to their WeChat change
or bank card; the operator approves or rejects the application; the payment
channel reports the transfer paid, or returned when the bank bounced it.
``account.handle(command, now=...)`` returns `Accepted` (the new account and
its events) or `Rejected` (a reason and the very same account).

Money in the account::

    balance      = credited − applied (not rejected or returned) − debt offset
    debt         = clawbacks recorded − cleared − offset
    withdrawable = max(balance − debt, 0)

*Debt* is commission taken back after it was paid out: a refund after
settlement (``ClawbackCreated``), a referral reward clawed back
(`ReferralDecision.debt`). The host records it with `RecordDebt`; it is
netted: a withdrawal never takes more than the balance less the debt, and
an approval is refused while the debt exceeds what is left of the balance.
`OffsetDebt` nets it for good (the debt is paid from the balance);
`ClearDebt` records a debt settled elsewhere (repaid in cash, or offset by
the settlement ledger's next payout, ``ClawbackOffset``; feed that event
here so the two do not net the same clawback twice).

A withdrawal (`Withdrawal`) moves through `WITHDRAWAL_TRANSITIONS`, keyed
by its status and the command type, read before any business check::

    (new)    --ApplyWithdrawal-->         APPLIED   (amount leaves the balance)
    APPLIED  --ApproveWithdrawal-->       APPROVED
    APPLIED  --RejectWithdrawal-->        REJECTED  (amount back to the balance)
    APPROVED --RejectWithdrawal-->        REJECTED  (amount back to the balance)
    APPROVED --MarkWithdrawalPaid-->      PAID      (net sent, fee kept)
    PAID     --MarkWithdrawalReturned-->  RETURNED  (bank bounced: amount back)

A miss is refused (``withdrawal.not_allowed``). The balance commands
(`Credit`, `RecordDebt`, `ClearDebt`, `OffsetDebt`) are legal in every
state of the account. Business refusals after the table: below the minimum,
above the maximum, nothing left after the fee, the day's count or amount
reached (days are the store's local days, ``WithdrawalPolicy.tz``; a
rejected or returned withdrawal stops counting), not enough withdrawable.

The fee is ``amount × fee_rate`` rounded by ``fee_rounding``; the payee
receives ``net = amount − fee``, so fee + net = amount exactly. A returned
withdrawal gives the whole amount back (no fee is charged for a transfer
that did not arrive).

Commands carry ids (an `ApplyWithdrawal`'s id is the withdrawal's id) and
the account keeps a `CommandLog`: a replay returns the original events and
changes nothing, also after save and reload; the same id with other content
raises `IdConflictError`; a refusal is not recorded. `PruneLog` forgets ids
older than ``log_retention_days`` and the daily counters of days before
then; withdrawals themselves are kept (a paid one may still bounce).

Invariants (property-tested): balance and debt are never negative; no
accepted application exceeds the balance less the debt; fee + net =
amount; credited = balance + pending + withdrawn + offset at all times.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, Final, TypeAlias

import attrs

from sirui.commission._common import to_rate, zh_date, zh_percent
from sirui.commission._withdrawal_messages import (
    ABOVE_MAXIMUM,
    APPLIED_NET,
    BELOW_MINIMUM,
    CLEAR_TOO_MUCH,
    DAILY_AMOUNT,
    DAILY_COUNT,
    DEBT_HOLDS_BACK,
    DEBT_UNCOVERED,
    INSUFFICIENT,
    NOT_ALLOWED,
    NOTHING_AFTER_FEE,
    NOTHING_TO_OFFSET,
    ApplyWithdrawal,
    ApproveWithdrawal,
    BalanceCredited,
    ClearDebt,
    Credit,
    DebtCleared,
    DebtOffset,
    DebtRecorded,
    MarkWithdrawalPaid,
    MarkWithdrawalReturned,
    OffsetDebt,
    RecordDebt,
    RejectWithdrawal,
    WithdrawalApplied,
    WithdrawalApproved,
    WithdrawalCommand,
    WithdrawalPaid,
    WithdrawalRejected,
    WithdrawalReturned,
)
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money, Rounding
from sirui.core.persistent import PMap
from sirui.core.registry import policy
from sirui.core.validators import (
    non_empty_id,
    non_negative_int,
    opt_positive_int,
    opt_positive_money,
    positive_money,
)
from sirui.core.windows import DateTime, aware, zone
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Rejected
from sirui.rules.reasons import Reason

__all__ = [
    "WITHDRAWAL_TRANSITIONS",
    "ApplyWithdrawal",
    "ApproveWithdrawal",
    "BalanceCredited",
    "ClearDebt",
    "Credit",
    "DayUsage",
    "DebtCleared",
    "DebtOffset",
    "DebtRecorded",
    "MarkWithdrawalPaid",
    "MarkWithdrawalReturned",
    "OffsetDebt",
    "RecordDebt",
    "RejectWithdrawal",
    "Withdrawal",
    "WithdrawalAccount",
    "WithdrawalApplied",
    "WithdrawalApproved",
    "WithdrawalCommand",
    "WithdrawalPaid",
    "WithdrawalPolicy",
    "WithdrawalRejected",
    "WithdrawalReturned",
    "WithdrawalStatus",
]

class WithdrawalStatus(enum.Enum):
    """Where one withdrawal stands (提现状态)."""

    APPLIED = "applied"
    """Applied for, awaiting review (待审核); the amount has left the balance."""
    APPROVED = "approved"
    """Approved, awaiting the transfer (待打款)."""
    PAID = "paid"
    """Transferred (已打款): the net arrived, the fee was kept."""
    REJECTED = "rejected"
    """Rejected (已驳回): the amount went back to the balance."""
    RETURNED = "returned"
    """Paid, then bounced by the bank (已退回): the amount went back to the balance."""


_STATUS_ZH: Final = {
    WithdrawalStatus.APPLIED: "待审核",
    WithdrawalStatus.APPROVED: "已审核待打款",
    WithdrawalStatus.PAID: "已打款",
    WithdrawalStatus.REJECTED: "已驳回",
    WithdrawalStatus.RETURNED: "已退回",
}


def _fee_rate(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value < 1:
        raise invalid(attribute.name, value, "must be a Decimal rate in [0, 1)",
                      "e.g. Decimal('0.006') for 0.6%")


@policy("commission.withdrawal")
@attrs.frozen(slots=True)
class WithdrawalPolicy:
    """The operator's withdrawal rules (提现规则).

    ``minimum`` / ``maximum``: per withdrawal (最低/最高提现金额); ``fee_rate``
    and ``fee_rounding``: the fee (提现手续费); ``daily_count`` and
    ``daily_amount``: limits per local day of ``tz`` (每日提现次数/金额, None
    for none); ``log_retention_days``: how long command ids are remembered.

    >>> WithdrawalPolicy(minimum=Money.of("10"), fee_rate="0.006").fee(Money.of("100"))
    (Money('0.60', 'CNY'), Money('99.40', 'CNY'))
    """

    minimum: Money = attrs.field(default=Money.of("1"), validator=positive_money)
    maximum: Money | None = attrs.field(default=None, validator=opt_positive_money)
    fee_rate: Decimal = attrs.field(default=Decimal(0), converter=to_rate, validator=_fee_rate)
    fee_rounding: Rounding = Rounding.HALF_UP
    daily_count: int | None = attrs.field(default=None, validator=opt_positive_int)
    daily_amount: Money | None = attrs.field(default=None, validator=opt_positive_money)
    tz: str = "Asia/Shanghai"
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        zone(self.tz)
        cur = self.minimum.currency
        for name in ("maximum", "daily_amount"):
            m = getattr(self, name)
            if m is not None and m.currency != cur:
                raise invalid(name, m, f"currency differs from minimum ({cur})")
        if self.maximum is not None and self.maximum < self.minimum:
            raise invalid("maximum", self.maximum, f"is below minimum={self.minimum}")

    @property
    def currency(self) -> str:
        return self.minimum.currency

    def fee(self, amount: Money) -> tuple[Money, Money]:
        """``(fee, net)`` of withdrawing ``amount``: fee + net == amount exactly."""
        fee = amount.times(self.fee_rate, self.fee_rounding).min(amount)
        return fee, amount - fee


@attrs.frozen(slots=True)
class Withdrawal:
    """One application and what became of it (提现申请)."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money
    fee: Money
    net: Money
    status: WithdrawalStatus
    applied_at: DateTime = attrs.field(converter=aware)
    day: dt.date
    """The store's local day of the application (for the daily limits)."""


@attrs.frozen(slots=True)
class DayUsage:
    """Withdrawals applied on one local day that still count (not rejected or returned)."""

    count: int = attrs.field(default=0, validator=non_negative_int)
    amount: Money = Money.ZERO


_W = WithdrawalStatus

#: ``(withdrawal status, command type) -> status after it``; ``None`` is a withdrawal not
#: yet applied for. Anything missing is refused with ``withdrawal.not_allowed``.
WITHDRAWAL_TRANSITIONS: Final[dict[tuple[WithdrawalStatus | None, type[Any]], WithdrawalStatus]] = {
    (None, ApplyWithdrawal): _W.APPLIED,
    (_W.APPLIED, ApproveWithdrawal): _W.APPROVED,
    (_W.APPLIED, RejectWithdrawal): _W.REJECTED,
    (_W.APPROVED, RejectWithdrawal): _W.REJECTED,
    (_W.APPROVED, MarkWithdrawalPaid): _W.PAID,
    (_W.PAID, MarkWithdrawalReturned): _W.RETURNED,
}
_ACCOUNT_COMMANDS: Final = frozenset({Credit, RecordDebt, ClearDebt, OffsetDebt})
_WITHDRAWAL_COMMANDS: Final = frozenset(kind for _, kind in WITHDRAWAL_TRANSITIONS)
_ACTION_ZH: Final = {
    ApplyWithdrawal: "再次申请",
    ApproveWithdrawal: "审核通过",
    RejectWithdrawal: "驳回",
    MarkWithdrawalPaid: "确认打款",
    MarkWithdrawalReturned: "退回",
}

Outcome: TypeAlias = Accepted["WithdrawalAccount"] | Rejected["WithdrawalAccount"]


def _zero_of_policy(account: Any) -> Money:
    return Money.zero(account.policy.currency)


@attrs.frozen(slots=True)
class WithdrawalAccount:
    """One payee's withdrawable money, debt and withdrawals (提现账户).

    ``pending`` is what applied and approved withdrawals hold; ``withdrawn``
    what was paid out (returned ones excluded), fees included.

    >>> acc = WithdrawalAccount("g1", WithdrawalPolicy())
    >>> acc.withdrawable
    Money('0.00', 'CNY')
    """

    payee: str = attrs.field(validator=non_empty_id)
    policy: WithdrawalPolicy = WithdrawalPolicy()
    balance: Money = attrs.field(default=attrs.Factory(_zero_of_policy, takes_self=True))
    debt: Money = attrs.field(default=attrs.Factory(_zero_of_policy, takes_self=True))
    pending: Money = attrs.field(default=attrs.Factory(_zero_of_policy, takes_self=True))
    withdrawn: Money = attrs.field(default=attrs.Factory(_zero_of_policy, takes_self=True))
    withdrawals: PMap[str, Withdrawal] = attrs.field(factory=PMap)
    days: PMap[str, DayUsage] = attrs.field(factory=PMap)
    """Usage per local day (ISO date), for the daily limits."""
    log: CommandLog = attrs.field(factory=CommandLog)

    def __attrs_post_init__(self) -> None:
        for name in ("balance", "debt", "pending", "withdrawn"):
            m = getattr(self, name)
            if not isinstance(m, Money) or m.minor < 0 or m.currency != self.policy.currency:
                raise invalid(name, m, f"must be Money >= 0 in {self.policy.currency}")

    @property
    def withdrawable(self) -> Money:
        """What can be applied for now: the balance less the debt, never below zero."""
        return (self.balance - self.debt).max(Money.zero(self.policy.currency))

    def withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """The withdrawal of that id; KeyError if none."""
        w = self.withdrawals.get(withdrawal_id)
        if w is None:
            raise KeyError(withdrawal_id)
        return w

    def usage(self, day: dt.date) -> DayUsage:
        """What counts against the daily limits on ``day``."""
        return self.days.get(day.isoformat()) or DayUsage(0, Money.zero(self.policy.currency))

    # -- the contract ---------------------------------------------------------------

    def handle(self, command: WithdrawalCommand | PruneLog, *, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``; see the module docstring."""
        now = aware(now)
        if isinstance(command, PruneLog):
            return self._prune(command, now)
        kind = type(command)
        if kind not in _ACCOUNT_COMMANDS and kind not in _WITHDRAWAL_COMMANDS:
            raise InvalidCommandError(
                f"command={command!r}: not a withdrawal command; use Credit, RecordDebt, "
                "ClearDebt, OffsetDebt, ApplyWithdrawal, ApproveWithdrawal, RejectWithdrawal, "
                "MarkWithdrawalPaid or MarkWithdrawalReturned"
            )
        self._check_currency(command)
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        out = self._decide(command, now)
        if isinstance(out, Rejected):
            return out
        state = attrs.evolve(out.state, log=self.log.record(command, out.events, now))
        return Accepted(state, out.events, out.reason)

    def _check_currency(self, command: Any) -> None:
        amount = getattr(command, "amount", None)
        if amount is not None and amount.currency != self.policy.currency:
            raise InvalidCommandError(
                f"amount={amount!r}: the account is in {self.policy.currency}; "
                "give the amount in that currency"
            )

    def _decide(self, cmd: WithdrawalCommand, now: DateTime) -> Outcome:
        if isinstance(cmd, Credit):
            balance = self.balance + cmd.amount
            return Accepted(attrs.evolve(self, balance=balance),
                            (BalanceCredited(self.payee, cmd.amount, balance, cmd.source),))
        if isinstance(cmd, RecordDebt):
            debt = self.debt + cmd.amount
            return Accepted(attrs.evolve(self, debt=debt),
                            (DebtRecorded(self.payee, cmd.amount, debt, cmd.source),))
        if isinstance(cmd, ClearDebt):
            return self._clear(cmd)
        if isinstance(cmd, OffsetDebt):
            return self._offset()
        return self._withdrawal_command(cmd, now)

    def _clear(self, cmd: ClearDebt) -> Outcome:
        if cmd.amount > self.debt:
            return Rejected(CLEAR_TOO_MUCH(debt=self.debt, amount=cmd.amount), self)
        debt = self.debt - cmd.amount
        return Accepted(attrs.evolve(self, debt=debt),
                        (DebtCleared(self.payee, cmd.amount, debt, cmd.source),))

    def _offset(self) -> Outcome:
        part = self.debt.min(self.balance)
        if not part:
            return Rejected(NOTHING_TO_OFFSET(balance=self.balance, debt=self.debt), self)
        balance, debt = self.balance - part, self.debt - part
        return Accepted(attrs.evolve(self, balance=balance, debt=debt),
                        (DebtOffset(self.payee, part, balance, debt),))

    # -- withdrawals --------------------------------------------------------------------

    def _withdrawal_command(self, cmd: WithdrawalCommand, now: DateTime) -> Outcome:
        wid = cmd.id if isinstance(cmd, ApplyWithdrawal) else getattr(cmd, "withdrawal_id", "")
        current = self.withdrawals.get(wid)
        if current is None and not isinstance(cmd, ApplyWithdrawal):
            raise InvalidCommandError(
                f"withdrawal_id={wid!r}: no such withdrawal for payee {self.payee!r}; "
                "apply for it first (ApplyWithdrawal)"
            )
        status = None if current is None else current.status
        target = transition(WITHDRAWAL_TRANSITIONS, status, cmd)
        if target is None:
            assert status is not None
            return Rejected(NOT_ALLOWED(
                withdrawal=wid, status=status.value, status_zh=_STATUS_ZH[status],
                command=type(cmd).__name__, action_zh=_ACTION_ZH[type(cmd)]), self)
        if isinstance(cmd, ApplyWithdrawal):
            return self._apply(cmd, now)
        assert current is not None
        if isinstance(cmd, ApproveWithdrawal):
            return self._approve(current, target)
        if isinstance(cmd, MarkWithdrawalPaid):
            w = attrs.evolve(current, status=target)
            state = attrs.evolve(self, withdrawals=self.withdrawals.set(w.id, w),
                                 pending=self.pending - w.amount,
                                 withdrawn=self.withdrawn + w.amount)
            return Accepted(state, (WithdrawalPaid(self.payee, w.id, w.amount, w.fee, w.net),))
        return self._give_back(current, target, cmd)

    def _apply(self, cmd: ApplyWithdrawal, now: DateTime) -> Outcome:
        pol, amount = self.policy, cmd.amount
        local = now.in_timezone(zone(pol.tz))
        day = dt.date(local.year, local.month, local.day)
        refused = self._limits(amount, day)
        if refused is not None:
            return Rejected(refused, self)
        fee, net = pol.fee(amount)
        w = Withdrawal(cmd.id, amount, fee, net, WithdrawalStatus.APPLIED, now, day)
        used = self.usage(day)
        balance = self.balance - amount
        state = attrs.evolve(
            self, balance=balance, pending=self.pending + amount,
            withdrawals=self.withdrawals.set(w.id, w),
            days=self.days.set(day.isoformat(), DayUsage(used.count + 1, used.amount + amount)),
        )
        reason = APPLIED_NET(amount=amount, fee=fee, net=net, rate=zh_percent(pol.fee_rate))
        return Accepted(state, (WithdrawalApplied(self.payee, w.id, amount, fee, net, balance),),
                        reason)

    def _limits(self, amount: Money, day: dt.date) -> Reason | None:
        """The first business rule ``amount`` breaks on ``day``, or None."""
        pol = self.policy
        if amount < pol.minimum:
            return BELOW_MINIMUM(minimum=pol.minimum, amount=amount)
        if pol.maximum is not None and amount > pol.maximum:
            return ABOVE_MAXIMUM(maximum=pol.maximum, amount=amount)
        fee, net = pol.fee(amount)
        if not net.minor:
            return NOTHING_AFTER_FEE(amount=amount, fee=fee)
        used = self.usage(day)
        day_zh = zh_date(day)
        if pol.daily_count is not None and used.count >= pol.daily_count:
            return DAILY_COUNT(limit=pol.daily_count, taken=used.count, day=day, day_zh=day_zh)
        if pol.daily_amount is not None and used.amount + amount > pol.daily_amount:
            return DAILY_AMOUNT(limit=pol.daily_amount, taken=used.amount, amount=amount,
                                day=day, day_zh=day_zh)
        if amount > self.withdrawable:
            if self.debt.minor:
                return DEBT_HOLDS_BACK(balance=self.balance, debt=self.debt,
                                       available=self.withdrawable, amount=amount)
            return INSUFFICIENT(available=self.withdrawable, amount=amount)
        return None

    def _approve(self, w: Withdrawal, target: WithdrawalStatus) -> Outcome:
        # The amount left the balance at application; a debt recorded since must still be
        # covered by what remains, or this payout would exceed the balance less the debt.
        if self.debt > self.balance:
            return Rejected(DEBT_UNCOVERED(debt=self.debt, balance=self.balance), self)
        w = attrs.evolve(w, status=target)
        return Accepted(attrs.evolve(self, withdrawals=self.withdrawals.set(w.id, w)),
                        (WithdrawalApproved(self.payee, w.id),))

    def _give_back(
        self, w: Withdrawal, target: WithdrawalStatus,
        cmd: RejectWithdrawal | MarkWithdrawalReturned | Any,
    ) -> Outcome:
        """Reject or return ``w``: its whole amount goes back to the balance."""
        balance = self.balance + w.amount
        key = w.day.isoformat()
        days = self.days
        used = days.get(key)
        if used is not None:
            days = days.set(key, DayUsage(max(used.count - 1, 0),
                                          (used.amount - w.amount).max(w.amount * 0)))
        done = attrs.evolve(w, status=target)
        state = attrs.evolve(self, balance=balance, days=days,
                             withdrawals=self.withdrawals.set(w.id, done))
        if isinstance(cmd, RejectWithdrawal):
            state = attrs.evolve(state, pending=self.pending - w.amount)
            return Accepted(state, (WithdrawalRejected(self.payee, w.id, w.amount, balance,
                                                       cmd.note),))
        state = attrs.evolve(state, withdrawn=self.withdrawn - w.amount)
        return Accepted(state, (WithdrawalReturned(self.payee, w.id, w.amount, balance,
                                                   cmd.note),))

    # -- the log's retention --------------------------------------------------------------

    def _prune(self, command: PruneLog, now: DateTime) -> Accepted[WithdrawalAccount]:
        log, events = self.log.prune(command, now, self.policy.log_retention_days)
        cutoff = events[0].before.in_timezone(zone(self.policy.tz)).date().isoformat()
        days = self.days
        if any(k < cutoff for k, _ in days.items()):
            days = PMap.from_items((k, u) for k, u in days.items() if k >= cutoff)
        return Accepted(attrs.evolve(self, log=log, days=days), events)
