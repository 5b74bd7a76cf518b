"""会员储值: stored value with top-up bonuses, principal and bonus, and refunds.

Theory of operation
-------------------
A `StoredValueAccount` holds two amounts: *principal* (the cash the member
paid in) and *bonus* (what top-up rules gave on top: 充500送50). `TopUp`
adds both, by the `StoredValuePolicy` tiers. `Pay` spends stored value on
an order, split between principal and bonus by the spending order (bonus
first, principal first, or in proportion to the balances) and allocated to
the order's lines in proportion to what each line still has to pay, so a
refund of one line can go back exactly where it came from.

Refunds:

* `RefundPayment` (an order refund) puts the principal and bonus of the
  refunded lines back into the same pots;
* `RefundTopUp` gives the top-up's principal back in cash; its bonus is
  forfeited, and any of that bonus already spent is deducted from the cash
  refund (principal back, bonus forfeited, spent bonus deducted). The pool
  is shared, so "already spent" means the top-up's bonus is no longer in the
  bonus pot.

The machine contract (`sirui.rules.commandlog`): ``handle(command, now=...)``
records accepted command ids in a `CommandLog`, so a replay returns the
original events and changes nothing, also after a save and reload; the same
id with other content raises `IdConflictError`; a refusal is not recorded.
`PruneLog` forgets ids older than ``StoredValuePolicy.log_retention_days``.
Top-ups and payments are also kept for good as `StoredValueTxn` records
(what later refunds need), whose statuses follow the table
`STORED_VALUE_TRANSITIONS`, read before any business check::

    (new)      --TopUp--------->  TOPPED_UP  --RefundTopUp---->  TOP_UP_REFUNDED
    (new)      --Pay----------->  PAID       --RefundPayment-->  PAYMENT_REFUNDED
    PAYMENT_REFUNDED --RefundPayment-->  PAYMENT_REFUNDED   (more of its lines)

A creating command looks up the record its own id names (none, for a new
one: a retry from beyond the log's retention is refused, not paid twice);
a refund looks up the record it refunds, and one naming no record at all
is misuse and raises. Stored value never expires, so nothing changes with
time alone.

Invariants: principal and bonus are never negative; every payment's
principal and bonus parts sum to its amount, and its line parts sum to both;
the balance always equals top-ups minus payments plus refunded payments
minus what top-up refunds removed; commands are idempotent by id.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.registry import policy
from sirui.core.validators import non_empty_id, non_negative_int, non_negative_money, positive_money
from sirui.core.windows import DateTime, aware
from sirui.rules.commandlog import NOT_IN_TABLE, CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import reason_code

__all__ = [
    "STORED_VALUE_TRANSITIONS",
    "LinePayment",
    "Pay",
    "PaymentRefunded",
    "PaymentSplit",
    "RefundPayment",
    "RefundTopUp",
    "SpendingOrder",
    "StoredValueAccount",
    "StoredValuePaid",
    "StoredValuePolicy",
    "StoredValueStatus",
    "StoredValueTxn",
    "TopUp",
    "TopUpRefunded",
    "TopUpTier",
    "ToppedUp",
    "allocate_payment",
]

ORDER_LINE = "__order__"
"""Pseudo line id for a payment made without per-line amounts."""

INSUFFICIENT = reason_code(
    "stored_value.insufficient",
    zh="储值余额不足：余额{balance}，需要{amount}",
    en="Not enough stored value: {balance} left, {amount} needed",
)
BELOW_MINIMUM = reason_code(
    "stored_value.below_minimum", zh="单次充值至少{minimum}", en="Top up at least {minimum}"
)
NOT_REFUNDABLE = reason_code(
    "stored_value.not_refundable", zh="储值不可退", en="Top-ups are not refundable"
)
ALREADY_REFUNDED = reason_code(
    "stored_value.already_refunded", zh="{txn}已退款", en="{txn} was already refunded"
)
TXN_ID_TAKEN = reason_code(
    "stored_value.txn_id_taken",
    zh="交易号{txn}已入账（{status_zh}），不能再用于新的交易",
    en="Transaction id {txn} is already on the account ({status}); use a new id",
)
TOP_UP_SPENT = reason_code(
    "stored_value.top_up_spent",
    zh="该笔充值已被使用，无法退款（可退{refundable}）",
    en="This top-up has been spent and cannot be refunded (refundable: {refundable})",
)


class SpendingOrder(enum.Enum):
    """Which pot a payment draws from first."""

    BONUS_FIRST = "bonus_first"
    PRINCIPAL_FIRST = "principal_first"
    PROPORTIONAL = "proportional"
    """In proportion to the two balances at the time of payment."""


@policy("stored_value.top_up_tier")
@attrs.frozen(slots=True)
class TopUpTier:
    """充{amount}送{bonus}: a top-up of at least ``amount`` gets ``bonus``."""

    amount: Money = attrs.field(validator=positive_money)
    bonus: Money = attrs.field(validator=non_negative_money)


@policy("stored_value.policy")
@attrs.frozen(slots=True)
class StoredValuePolicy:
    """储值规则: bonus tiers, spending order, minimum top-up, refundability.

    With ``repeat=False`` the highest tier reached applies once (1,500 with
    tiers 500/1,000 gets the 1,000 bonus); with ``repeat=True`` tiers apply
    greedily as often as they fit (1,500 gets the 1,000 bonus plus the 500 one).
    """

    tiers: tuple[TopUpTier, ...] = ()
    spending_order: SpendingOrder = SpendingOrder.BONUS_FIRST
    repeat: bool = False
    min_top_up: Money | None = None
    top_up_refundable: bool = True
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days the account remembers accepted command ids (`PruneLog`); retries must come sooner."""

    def __attrs_post_init__(self) -> None:
        amounts = [t.amount for t in self.tiers]
        if any(b <= a for a, b in itertools.pairwise(amounts)):
            raise invalid(
                "tiers", [str(a) for a in amounts], "amounts must strictly increase",
                "list tiers from the smallest top-up to the largest",
            )
        if self.min_top_up is not None:
            field = attrs.fields(StoredValuePolicy).min_top_up
            # equivalent mutants: the validator does not read its instance argument
            positive_money(self, field, self.min_top_up)  # pragma: no mutate

    def bonus_for(self, amount: Money) -> Money:
        """The bonus a top-up of ``amount`` earns."""
        bonus = Money.zero(amount.currency)
        left = amount
        for tier in reversed(self.tiers):
            if tier.amount <= left:
                if not self.repeat:
                    return tier.bonus
                times = left.minor // tier.amount.minor
                bonus += tier.bonus * times
                left -= tier.amount * times
        return bonus


@attrs.frozen(slots=True)
class LinePayment:
    """Stored value paid for one line, split into principal and bonus."""

    line_id: str
    principal: Money
    bonus: Money

    @property
    def amount(self) -> Money:
        return self.principal + self.bonus


@attrs.frozen(slots=True)
class PaymentSplit:
    amount: Money
    principal: Money
    bonus: Money
    by_line: tuple[LinePayment, ...]


def allocate_payment(
    amount: Money, payables: Sequence[tuple[str, Money]], principal: Money
) -> tuple[LinePayment, ...]:
    """Allocate a stored-value payment of ``amount`` (``principal`` of it) to lines.

    ``payables`` are what each line still has to pay; the amount is split in
    proportion to them, then each line's part between principal and bonus in
    proportion too. Every part sums exactly.
    """
    # equivalent mutants: payables is never empty, and 0 + Money is the Money
    total = sum((m for _, m in payables), Money.zero(amount.currency))  # pragma: no mutate
    if amount > total:
        raise invalid("amount", amount, f"exceeds what the lines have to pay ({total})")
    if not principal.minor <= amount.minor:
        raise invalid("principal", principal, f"exceeds the amount {amount}")
    if amount.is_zero():
        return ()
    parts = amount.allocate([m for _, m in payables])
    # pragma: no mutate start (equivalent: a zero principal allocates to zeros either way)
    principals = principal.allocate(parts) if principal else [principal] * len(parts)
    # pragma: no mutate end
    return tuple(
        LinePayment(lid, p, part - p)
        for (lid, _), part, p in zip(payables, parts, principals) if part
    )


@attrs.frozen(slots=True)
class TopUp:
    """充值 ``amount`` of cash; the policy's tiers add the bonus."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money = attrs.field(validator=positive_money)


@attrs.frozen(slots=True)
class Pay:
    """Pay ``amount`` with stored value; ``lines`` are the lines' payable amounts."""

    id: str = attrs.field(validator=non_empty_id)
    amount: Money = attrs.field(validator=positive_money)
    lines: tuple[tuple[str, Money], ...] = attrs.field(default=(), converter=tuple)
    order_id: str | None = None


@attrs.frozen(slots=True)
class RefundPayment:
    """Refund the lines ``lines`` of payment ``payment_id`` (all lines if empty)."""

    id: str = attrs.field(validator=non_empty_id)
    payment_id: str = attrs.field(validator=non_empty_id)
    lines: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class RefundTopUp:
    """Refund top-up ``top_up_id`` in cash (principal back, bonus forfeited)."""

    id: str = attrs.field(validator=non_empty_id)
    top_up_id: str = attrs.field(validator=non_empty_id)


StoredValueCommand: TypeAlias = TopUp | Pay | RefundPayment | RefundTopUp


class StoredValueStatus(enum.Enum):
    """Where a top-up or a payment is in its life."""

    TOPPED_UP = "topped_up"
    TOP_UP_REFUNDED = "top_up_refunded"
    PAID = "paid"
    PAYMENT_REFUNDED = "payment_refunded"
    """Some or all of its lines were refunded (``refunded_lines``)."""


#: How zh messages name a transaction's status (``stored_value.txn_id_taken``).
_STATUS_ZH: Final = {
    StoredValueStatus.TOPPED_UP: "充值已到账", StoredValueStatus.TOP_UP_REFUNDED: "充值已退款",
    StoredValueStatus.PAID: "已支付", StoredValueStatus.PAYMENT_REFUNDED: "支付已退款",
}


_SV = StoredValueStatus

#: ``(status, command type) -> status``: for TopUp and Pay the status of the record
#: their own id names (None: none yet); for a refund, of the record it refunds.
STORED_VALUE_TRANSITIONS: Final[dict[tuple[StoredValueStatus | None, type[Any]],
                                     StoredValueStatus]] = {
    (None, TopUp): _SV.TOPPED_UP,
    (None, Pay): _SV.PAID,
    (_SV.TOPPED_UP, RefundTopUp): _SV.TOP_UP_REFUNDED,
    (_SV.PAID, RefundPayment): _SV.PAYMENT_REFUNDED,
    (_SV.PAYMENT_REFUNDED, RefundPayment): _SV.PAYMENT_REFUNDED,
}


@attrs.frozen(slots=True)
class StoredValueTxn:
    """A top-up or a payment as later refunds need it.

    ``principal`` and ``bonus`` it added (top-up) or drew (payment); a
    payment's ``by_line`` split and the lines refunded so far.
    """

    status: StoredValueStatus
    principal: Money
    bonus: Money
    by_line: tuple[LinePayment, ...] = ()
    refunded_lines: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class ToppedUp(Event):
    txn_id: str
    member_id: str
    principal: Money
    bonus: Money


@attrs.frozen(slots=True)
class StoredValuePaid(Event):
    txn_id: str
    member_id: str
    split: PaymentSplit
    order_id: str | None


@attrs.frozen(slots=True)
class PaymentRefunded(Event):
    txn_id: str
    member_id: str
    payment_id: str
    principal: Money
    bonus: Money
    lines: tuple[str, ...]


@attrs.frozen(slots=True)
class TopUpRefunded(Event):
    """Pay ``cash_back`` to the member; the pots lost the principal and bonus removed."""

    txn_id: str
    member_id: str
    top_up_id: str
    cash_back: Money
    principal_removed: Money
    bonus_forfeited: Money
    spent_bonus_deducted: Money


def _txns() -> PMap[str, StoredValueTxn]:
    return PMap()


#: The field a refund names its record by, and what it must be.
_REFUNDS: Final[dict[type[Any], tuple[str, str]]] = {
    RefundPayment: ("payment_id", "payment"),
    RefundTopUp: ("top_up_id", "top-up"),
}


@attrs.frozen(slots=True)
class StoredValueAccount:
    """One member's stored value (储值账户): principal and bonus pots."""

    member_id: str
    policy: StoredValuePolicy = attrs.field(factory=StoredValuePolicy)
    principal: Money = Money.ZERO
    bonus: Money = Money.ZERO
    txns: PMap[str, StoredValueTxn] = attrs.field(factory=_txns, repr=False)
    """Top-ups and payments by id, kept for refunds (never pruned)."""
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    @classmethod
    def open(cls, member_id: str, policy: StoredValuePolicy | None = None) -> StoredValueAccount:
        return cls(member_id, policy or StoredValuePolicy())

    @property
    def balance(self) -> Money:
        return self.principal + self.bonus

    def split(self, amount: Money) -> tuple[Money, Money]:
        """``(principal, bonus)`` a payment of ``amount`` would draw."""
        order = self.policy.spending_order
        if order is SpendingOrder.BONUS_FIRST:
            b = amount.min(self.bonus)
            return amount - b, b
        if order is SpendingOrder.PRINCIPAL_FIRST:
            p = amount.min(self.principal)
            return p, amount - p
        p, b = amount.allocate([self.principal, self.bonus])
        return p, b

    def quote_payment(
        self, amount: Money, lines: Sequence[tuple[str, Money]] = ()
    ) -> PaymentSplit:
        """The split of a payment, without paying (for the checkout page)."""
        if amount > self.balance:
            raise invalid("amount", amount, f"exceeds the balance {self.balance}")
        p, b = self.split(amount)
        payables = tuple(lines) or ((ORDER_LINE, amount),)
        return PaymentSplit(amount, p, b, allocate_payment(amount, payables, p))

    def handle(
        self, command: StoredValueCommand | PruneLog, *, now: DateTime
    ) -> Accepted[StoredValueAccount] | Rejected[StoredValueAccount]:
        """Apply ``command`` at ``now`` (stored value never expires; ``now`` dates the log)."""
        now = aware(now)
        if type(command) not in _HANDLERS:
            raise InvalidCommandError(
                f"command={command!r}: not a stored value command; use TopUp, Pay, "
                "RefundPayment, RefundTopUp or PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.policy.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        target = self._target(command)
        if isinstance(target, Rejected):
            return target
        result = _HANDLERS[type(command)](self, command, target)
        if isinstance(result, Rejected):
            return result
        new, events = result
        return Accepted(attrs.evolve(new, log=self.log.record(command, events, now)), events)

    def _target(
        self, command: StoredValueCommand
    ) -> StoredValueStatus | Rejected[StoredValueAccount]:
        """The record's status after ``command`` by the table, or the table's refusal."""
        refunds = _REFUNDS.get(type(command))
        tid = command.id if refunds is None else getattr(command, refunds[0])
        txn = self.txns.get(tid)
        if txn is None and refunds is not None:
            raise InvalidCommandError(f"{refunds[0]}={tid!r}: no such {refunds[1]}")
        status = None if txn is None else txn.status
        target = transition(STORED_VALUE_TRANSITIONS, status, command)
        if target is not None:
            return target
        assert status is not None  # TopUp and Pay have a row from None
        if refunds is None:
            return Rejected(TXN_ID_TAKEN(txn=tid, status=status.value,
                                         status_zh=_STATUS_ZH[status]), self)
        if status is _SV.TOP_UP_REFUNDED and type(command) is RefundTopUp:
            return Rejected(ALREADY_REFUNDED(txn=tid), self)
        return Rejected(NOT_IN_TABLE(state=status.value, command=type(command).__name__), self)

    def _top_up(self, c: TopUp, target: StoredValueStatus) -> _Result:
        if self.policy.min_top_up is not None and c.amount < self.policy.min_top_up:
            return Rejected(BELOW_MINIMUM(minimum=self.policy.min_top_up), self)
        bonus = self.policy.bonus_for(c.amount)
        new = attrs.evolve(
            self, principal=self.principal + c.amount, bonus=self.bonus + bonus,
            txns=self.txns.set(c.id, StoredValueTxn(target, c.amount, bonus)),
        )
        return new, (ToppedUp(c.id, self.member_id, c.amount, bonus),)

    def _pay(self, c: Pay, target: StoredValueStatus) -> _Result:
        if c.amount > self.balance:
            return Rejected(INSUFFICIENT(balance=self.balance, amount=c.amount), self)
        split = self.quote_payment(c.amount, c.lines)
        txn = StoredValueTxn(target, split.principal, split.bonus, split.by_line)
        new = attrs.evolve(
            self, principal=self.principal - split.principal, bonus=self.bonus - split.bonus,
            txns=self.txns.set(c.id, txn),
        )
        return new, (StoredValuePaid(c.id, self.member_id, split, c.order_id),)

    def _refund_payment(self, c: RefundPayment, target: StoredValueStatus) -> _Result:
        txn = self.txns.get(c.payment_id)
        assert txn is not None  # the table looked it up
        ids = {lp.line_id for lp in txn.by_line}
        unknown = c.lines - ids
        if unknown:
            raise InvalidCommandError(f"lines={sorted(unknown)!r}: not lines of {c.payment_id!r}")
        done = txn.refunded_lines
        wanted = c.lines or frozenset(ids - done)
        if wanted & done or not wanted:
            return Rejected(ALREADY_REFUNDED(txn=c.payment_id), self)
        back = [lp for lp in txn.by_line if lp.line_id in wanted]
        zero = Money.zero(txn.principal.currency)
        # equivalent mutants on the next two lines: `back` is never empty, and a sum
        # started from 0 gives the same Money (0 + Money is the Money)
        p = sum((lp.principal for lp in back), zero)  # pragma: no mutate
        b = sum((lp.bonus for lp in back), zero)  # pragma: no mutate
        refunded = attrs.evolve(txn, status=target, refunded_lines=done | wanted)
        new = attrs.evolve(
            self, principal=self.principal + p, bonus=self.bonus + b,
            txns=self.txns.set(c.payment_id, refunded),
        )
        lines = tuple(sorted(wanted))
        return new, (PaymentRefunded(c.id, self.member_id, c.payment_id, p, b, lines),)

    def _refund_top_up(self, c: RefundTopUp, target: StoredValueStatus) -> _Result:
        txn = self.txns.get(c.top_up_id)
        assert txn is not None  # the table looked it up
        if not self.policy.top_up_refundable:
            return Rejected(NOT_REFUNDABLE(), self)
        forfeited = txn.bonus.min(self.bonus)
        spent_bonus = txn.bonus - forfeited
        removed = txn.principal.min(self.principal)
        cash = removed - spent_bonus
        if cash.minor < 0:
            return Rejected(TOP_UP_SPENT(refundable=Money.zero(cash.currency)), self)
        new = attrs.evolve(
            self, principal=self.principal - removed, bonus=self.bonus - forfeited,
            txns=self.txns.set(c.top_up_id, attrs.evolve(txn, status=target)),
        )
        out = TopUpRefunded(
            c.id, self.member_id, c.top_up_id, cash, removed, forfeited, spent_bonus
        )
        return new, (out,)


_Result: TypeAlias = tuple[StoredValueAccount, tuple[Any, ...]] | Rejected[StoredValueAccount]

_HANDLERS: Final[dict[type[Any], Any]] = {
    TopUp: StoredValueAccount._top_up,
    Pay: StoredValueAccount._pay,
    RefundPayment: StoredValueAccount._refund_payment,
    RefundTopUp: StoredValueAccount._refund_top_up,
    PruneLog: None,
}
