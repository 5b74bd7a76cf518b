"""Settlement (佣金结算): commission records from payment to payout, with refunds.

Theory of operation
-------------------
Every `CommissionLine` (one payee's commission on one order line) becomes a
`CommissionRecord` in a `SettlementLedger`. The host feeds commands and
persists the new ledger and the events, in one transaction:

* `RecordCommission`: the order was paid; its lines enter ``PENDING``.
* `MarkFulfilled`: the order was picked up or delivered; its records are
  ``FROZEN`` for the return window (冻结期, ``return_window_days``).
* `ReleaseFrozen`: records whose window has passed at ``now`` become
  ``SETTLEABLE``.
* `SettlePayee`: a payee's settleable records are ``SETTLED`` (paid out),
  net of the clawbacks they owe.
* `ApplyRefund`: a refund of some lines. Before settlement the record's
  amount shrinks in proportion to what the line refunded (a fully refunded
  record is ``CANCELLED``); after settlement the same reduction becomes a
  *clawback* (追回) owed by the payee and offset against their next
  settlements.

Status transitions are the table `TRANSITIONS`; a partial refund keeps the
status. Commands carry ids: replaying one returns the original events and
reason on the current state without applying anything twice; the same id
with other content raises `IdConflictError`.

Invariants
----------
* reductions are cumulative and exact: after refunds of ``r`` out of a
  line's total ``t`` the record has lost ``round(amount × r / t)`` in all,
  and exactly its whole amount once the line is fully refunded, so a fully
  refunded order nets to zero across all records, whenever it was refunded;
* for every payee, paid out − outstanding clawback = Σ net of settled records;
* a payout is never negative: a clawback larger than the settleable amount
  carries over.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from sirui.commission._common import proportion
from sirui.commission.paid import Refund
from sirui.commission.rules import CommissionLine
from sirui.core.errors import IdConflictError, InvalidCommandError
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, non_negative_int
from sirui.core.windows import DateTime, aware
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "TRANSITIONS",
    "ApplyRefund",
    "ClawbackCreated",
    "ClawbackOffset",
    "CommissionCancelled",
    "CommissionFrozen",
    "CommissionRecord",
    "CommissionRecorded",
    "CommissionReduced",
    "CommissionSettleable",
    "CommissionSettled",
    "MarkFulfilled",
    "RecordCommission",
    "RecordStatus",
    "ReleaseFrozen",
    "SettlePayee",
    "SettlementCommand",
    "SettlementLedger",
    "SettlementPolicy",
]

NOT_PENDING = reason_code(
    "settlement.not_pending",
    zh="订单{order}的佣金已不在待结算状态",
    en="Commission of order {order} is no longer pending",
)
NOTHING_TO_SETTLE = reason_code(
    "settlement.nothing_to_settle",
    zh="{payee}没有可结算的佣金",
    en="{payee} has nothing to settle"
)
SETTLED_NET = reason_code(
    "settlement.settled",
    zh="结算{gross}，抵扣追回{offset}，实发{paid}",
    en="Settled {gross}, clawback {offset}, paid {paid}",
)


class RecordStatus(enum.Enum):
    """Where a commission record stands (佣金状态)."""

    PENDING = "pending"
    """Paid, not yet picked up or delivered (待确认)."""
    FROZEN = "frozen"
    """Fulfilled; within the return window (冻结中)."""
    SETTLEABLE = "settleable"
    """Return window passed; can be paid out (可结算)."""
    SETTLED = "settled"
    """Paid out (已结算); later refunds become clawbacks."""
    CANCELLED = "cancelled"
    """Fully refunded before settlement (已取消)."""


S = RecordStatus
#: ``(status, action) -> new status``; anything missing is not allowed.
TRANSITIONS: Final[dict[tuple[RecordStatus, str], RecordStatus]] = {
    (S.PENDING, "fulfil"): S.FROZEN,
    (S.FROZEN, "release"): S.SETTLEABLE,
    (S.SETTLEABLE, "settle"): S.SETTLED,
    (S.PENDING, "refund_all"): S.CANCELLED,
    (S.FROZEN, "refund_all"): S.CANCELLED,
    (S.SETTLEABLE, "refund_all"): S.CANCELLED,
    (S.SETTLED, "refund_all"): S.SETTLED,
}


@policy("settlement.policy")
@attrs.frozen(slots=True)
class SettlementPolicy:
    """How long commission stays frozen after fulfilment (退货冻结期)."""

    return_window_days: int = attrs.field(default=7, validator=non_negative_int)


@attrs.frozen(slots=True)
class CommissionRecord:
    """One commission line and everything that happened to it."""

    line: CommissionLine
    status: RecordStatus = RecordStatus.PENDING
    reduced: Money = attrs.field(
        default=attrs.Factory(lambda s: s.line.amount * 0, takes_self=True))
    """Taken off before settlement."""
    clawed_back: Money = attrs.field(
        default=attrs.Factory(lambda s: s.line.amount * 0, takes_self=True))
    """Owed back after settlement."""
    refunded_quantity: int = 0
    refunded_amount: Money = attrs.field(
        default=attrs.Factory(lambda s: s.line.amount * 0, takes_self=True))
    unfreeze_at: DateTime | None = None
    settlement: str | None = None

    @property
    def key(self) -> str:
        return self.line.key

    @property
    def amount(self) -> Money:
        """Commission still owed before settlement (original − pre-settlement reductions)."""
        return self.line.amount - self.reduced

    @property
    def net(self) -> Money:
        """What the payee keeps in the end: original − every reduction and clawback."""
        return self.line.amount - self.reduced - self.clawed_back

    def fully_refunded(self, qty: int, amount: Money) -> bool:
        """True once every unit, or the line's whole (non-zero) total, came back."""
        ln = self.line
        return qty >= ln.quantity or (ln.line_total.minor > 0 and amount >= ln.line_total)

    def target_reduction(self, qty: int, amount: Money) -> Money:
        """Total reduction owed after cumulative refunds of ``qty`` units and ``amount``."""
        ln = self.line
        if self.fully_refunded(qty, amount):
            return ln.amount
        if ln.line_total.minor > 0:
            return proportion(ln.amount, amount.minor, ln.line_total.minor)
        return proportion(ln.amount, qty, ln.quantity)


# -- commands -------------------------------------------------------------------------



def _tuple_of_commissionline(value: Iterable[CommissionLine]) -> tuple[CommissionLine, ...]:
    return tuple(value)

@attrs.frozen(slots=True)
class RecordCommission:
    """Record the commission lines of a paid order (all in ``PENDING``)."""

    id: str = attrs.field(validator=non_empty_str)
    lines: tuple[CommissionLine, ...] = attrs.field(converter=_tuple_of_commissionline)


@attrs.frozen(slots=True)
class MarkFulfilled:
    """The order was picked up (提货) or delivered at ``at``: start the return window."""

    id: str = attrs.field(validator=non_empty_str)
    order_id: str = attrs.field(validator=non_empty_str)
    at: DateTime = attrs.field(converter=aware)


@attrs.frozen(slots=True)
class ReleaseFrozen:
    """Move every frozen record whose window has passed to ``SETTLEABLE``."""

    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class SettlePayee:
    """Pay out ``payee``'s settleable records, net of clawbacks (结算)."""

    id: str = attrs.field(validator=non_empty_str)
    payee: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class ApplyRefund:
    """Reduce (or claw back) the commission of the refunded lines."""

    id: str = attrs.field(validator=non_empty_str)
    refund: Refund


SettlementCommand: TypeAlias = (
    RecordCommission | MarkFulfilled | ReleaseFrozen | SettlePayee | ApplyRefund
)

# -- events ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class CommissionRecorded(Event):
    key: str
    payee: str | None
    amount: Money


@attrs.frozen(slots=True)
class CommissionFrozen(Event):
    key: str
    unfreeze_at: DateTime


@attrs.frozen(slots=True)
class CommissionSettleable(Event):
    key: str


@attrs.frozen(slots=True)
class CommissionReduced(Event):
    key: str
    by: Money
    amount: Money
    refund_id: str


@attrs.frozen(slots=True)
class CommissionCancelled(Event):
    key: str
    refund_id: str


@attrs.frozen(slots=True)
class ClawbackCreated(Event):
    key: str
    payee: str
    amount: Money
    refund_id: str


@attrs.frozen(slots=True)
class ClawbackOffset(Event):
    payee: str
    amount: Money
    outstanding: Money


@attrs.frozen(slots=True)
class CommissionSettled(Event):
    settlement_id: str
    payee: str
    keys: tuple[str, ...]
    gross: Money
    clawback_offset: Money
    paid: Money
    reason: Reason


@attrs.frozen(slots=True)
class _Seen:
    command: Any
    ok: bool
    events: tuple[Any, ...]
    reason: Reason | None


Outcome: TypeAlias = Accepted["SettlementLedger"] | Rejected["SettlementLedger"]


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # A read-only view, O(1): the ledger's maps are rebuilt per command, never mutated.
    if isinstance(value, MappingProxyType):
        return value
    return MappingProxyType(value if isinstance(value, dict) else dict(value))


@attrs.frozen(slots=True, eq=False)
class SettlementLedger:
    """All commission records of a chain (or a shard of it) and the clawbacks owed.

    >>> ledger = SettlementLedger()
    >>> len(ledger.records)
    0
    """

    policy: SettlementPolicy = SettlementPolicy()
    records: Mapping[str, CommissionRecord] = attrs.field(factory=dict, converter=_frozen_map)
    by_order: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_frozen_map)
    clawbacks: Mapping[str, Money] = attrs.field(factory=dict, converter=_frozen_map)
    """Outstanding clawback per payee, to offset against future settlements."""
    paid_out: Mapping[str, Money] = attrs.field(factory=dict, converter=_frozen_map)
    """Everything paid to each payee so far."""
    seen: Mapping[str, _Seen] = attrs.field(factory=dict, converter=_frozen_map, repr=False)

    def records_of(self, order_id: str) -> tuple[CommissionRecord, ...]:
        return tuple(self.records[k] for k in self.by_order.get(order_id, ()))

    def handle(self, command: SettlementCommand, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``; see the module docstring."""
        now = aware(now)
        prior = self.seen.get(command.id)
        if prior is not None:
            if prior.command != command:
                raise IdConflictError(
                    f"command id={command.id!r} was used for {type(prior.command).__name__} "
                    "with other content; use a new id"
                )
            if prior.ok:
                return Accepted(self, prior.events, prior.reason)
            assert prior.reason is not None
            return Rejected(prior.reason, self)
        result = self._apply(command, now)
        seen = dict(self.seen)
        seen[command.id] = _Seen(command, result.ok, result.events, result.reason)
        new = attrs.evolve(result.state, seen=seen)
        if isinstance(result, Accepted):
            return Accepted(new, result.events, result.reason)
        return Rejected(result.reason, new)

    # -- transitions ------------------------------------------------------------------

    def _apply(self, cmd: SettlementCommand, now: DateTime) -> Outcome:
        if isinstance(cmd, RecordCommission):
            return self._record(cmd)
        if isinstance(cmd, MarkFulfilled):
            return self._fulfil(cmd)
        if isinstance(cmd, ReleaseFrozen):
            return self._release(now)
        if isinstance(cmd, SettlePayee):
            return self._settle(cmd)
        if isinstance(cmd, ApplyRefund):
            return self._refund(cmd)
        raise InvalidCommandError(f"command={cmd!r}: not a settlement command")

    def _keys(self, order_id: str) -> tuple[str, ...]:
        keys = self.by_order.get(order_id)
        if keys is None:
            raise InvalidCommandError(
                f"order_id={order_id!r}: no commission recorded for this order; "
                "send RecordCommission first"
            )
        return keys

    def _record(self, cmd: RecordCommission) -> Outcome:
        records = dict(self.records)
        new_keys: dict[str, list[str]] = {}
        events: list[Event] = []
        for ln in cmd.lines:
            if ln.key in records:
                raise InvalidCommandError(
                    f"lines: record {ln.key!r} already exists; each order line is recorded once"
                )
            zero = Money.zero(ln.amount.currency)
            records[ln.key] = CommissionRecord(ln, S.PENDING, zero, zero, 0, zero)
            new_keys.setdefault(ln.order_id, []).append(ln.key)
            events.append(CommissionRecorded(ln.key, ln.payee, ln.amount))
        by_order = dict(self.by_order)
        for order_id, keys in new_keys.items():
            by_order[order_id] = (*by_order.get(order_id, ()), *keys)
        return Accepted(attrs.evolve(self, records=records, by_order=by_order), tuple(events))

    def _fulfil(self, cmd: MarkFulfilled) -> Outcome:
        keys = self._keys(cmd.order_id)
        pending = [k for k in keys if self.records[k].status is S.PENDING]
        if not pending:
            return Rejected(NOT_PENDING(order=cmd.order_id), self)
        until = cmd.at.add(days=self.policy.return_window_days)
        records = dict(self.records)
        events: list[Event] = []
        for k in pending:
            records[k] = attrs.evolve(records[k], status=TRANSITIONS[(S.PENDING, "fulfil")],
                                      unfreeze_at=until)
            events.append(CommissionFrozen(k, until))
        return Accepted(attrs.evolve(self, records=records), tuple(events))

    def _release(self, now: DateTime) -> Outcome:
        records = dict(self.records)
        events: list[Event] = []
        for k, r in self.records.items():
            if r.status is S.FROZEN and r.unfreeze_at is not None and r.unfreeze_at <= now:
                records[k] = attrs.evolve(r, status=TRANSITIONS[(S.FROZEN, "release")])
                events.append(CommissionSettleable(k))
        return Accepted(attrs.evolve(self, records=records), tuple(events))

    def _settle(self, cmd: SettlePayee) -> Outcome:
        due = [r for r in self.records.values()
               if r.status is S.SETTLEABLE and r.line.payee == cmd.payee]
        if not due:
            return Rejected(NOTHING_TO_SETTLE(payee=cmd.payee), self)
        cur = due[0].line.amount.currency
        gross = sum((r.amount for r in due), Money.zero(cur))
        owed = self.clawbacks.get(cmd.payee, Money.zero(cur))
        offset = owed.min(gross)
        paid = gross - offset
        records = dict(self.records)
        for r in due:
            records[r.key] = attrs.evolve(r, status=TRANSITIONS[(S.SETTLEABLE, "settle")],
                                          settlement=cmd.id)
        clawbacks = dict(self.clawbacks)
        clawbacks[cmd.payee] = owed - offset
        paid_out = dict(self.paid_out)
        paid_out[cmd.payee] = paid_out.get(cmd.payee, Money.zero(cur)) + paid
        reason = SETTLED_NET(gross=gross, offset=offset, paid=paid)
        events: list[Event] = []
        if offset:
            events.append(ClawbackOffset(cmd.payee, offset, owed - offset))
        events.append(CommissionSettled(cmd.id, cmd.payee, tuple(r.key for r in due), gross,
                                        offset, paid, reason))
        state = attrs.evolve(self, records=records, clawbacks=clawbacks, paid_out=paid_out)
        return Accepted(state, tuple(events), reason)

    def _refund(self, cmd: ApplyRefund) -> Outcome:
        refund = cmd.refund
        keys = self._keys(refund.order_id)
        by_line: dict[str, list[str]] = {}
        for k in keys:
            by_line.setdefault(self.records[k].line.line_id, []).append(k)
        records = dict(self.records)
        clawbacks = dict(self.clawbacks)
        events: list[Event] = []
        for lr in refund.lines:
            line_keys = by_line.get(lr.line_id)
            if line_keys is None:
                raise InvalidCommandError(
                    f"refund.lines: line_id={lr.line_id!r} is not in order {refund.order_id!r}"
                )
            for k in line_keys:
                rec = records[k]
                qty = rec.refunded_quantity + lr.quantity
                amt = rec.refunded_amount + lr.amount
                if qty > rec.line.quantity or amt > rec.line.line_total:
                    raise InvalidCommandError(
                        f"refund {refund.id!r}: line {lr.line_id!r} would refund {qty} units / "
                        f"{amt}, more than it was paid ({rec.line.quantity} / "
                        f"{rec.line.line_total})"
                    )
                rec, evs, claw = _reduce(rec, qty, amt, refund.id)
                records[k] = rec
                events.extend(evs)
                if claw and rec.line.payee is not None:
                    p = rec.line.payee
                    clawbacks[p] = clawbacks.get(p, Money.zero(claw.currency)) + claw
        return Accepted(attrs.evolve(self, records=records, clawbacks=clawbacks), tuple(events))


def _reduce(rec: CommissionRecord, qty: int, amt: Money, refund_id: str
            ) -> tuple[CommissionRecord, list[Event], Money]:
    """Apply cumulative refunds to one record; return it, its events and any clawback."""
    target = rec.target_reduction(qty, amt)
    delta = target - rec.reduced - rec.clawed_back
    full = rec.fully_refunded(qty, amt)
    zero = delta * 0
    events: list[Event] = []
    if rec.status is S.SETTLED:
        rec = attrs.evolve(rec, refunded_quantity=qty, refunded_amount=amt,
                           clawed_back=rec.clawed_back + delta)
        if delta and rec.line.payee is not None:
            events.append(ClawbackCreated(rec.key, rec.line.payee, delta, refund_id))
        return rec, events, delta
    cancel = full and rec.status is not S.CANCELLED
    status = TRANSITIONS[(rec.status, "refund_all")] if cancel else rec.status
    rec = attrs.evolve(rec, refunded_quantity=qty, refunded_amount=amt,
                       reduced=rec.reduced + delta, status=status)
    if delta:
        events.append(CommissionReduced(rec.key, delta, rec.amount, refund_id))
    if cancel:
        events.append(CommissionCancelled(rec.key, refund_id))
    return rec, events, zero

