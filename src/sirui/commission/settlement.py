"""Settlement (佣金结算): commission records from payment to payout, with refunds.

Theory of operation
-------------------
Every `CommissionLine` (one payee's commission on one order line) becomes a
`CommissionRecord` in a `SettlementLedger`. The host feeds commands with
``ledger.handle(command, now=...)`` and persists the new ledger and the
events, in one transaction:

* `RecordCommission`: the order was paid; its lines enter ``PENDING``.
* `MarkFulfilled`: the order was picked up or delivered; its records are
  ``FROZEN`` for the return window (冻结期, ``return_window_days``), counted
  as ``SettlementPolicy.freeze_from`` says: from this fulfilment (the
  default), or from the payment (``line.paid_at``) but never ending before
  the fulfilment. Either way a record is released only once the order was
  fulfilled: before `MarkFulfilled` it is ``PENDING`` with no release date
  (``unfreeze_at`` is None) and `ReleaseFrozen` passes it by.
* `ReleaseFrozen`: records whose window has passed at ``now`` become
  ``SETTLEABLE`` (refused with ``settlement.nothing_due`` when none has).
* `SettlePayee`: a payee's settleable records are ``SETTLED`` (paid out),
  net of the clawbacks they owe.
* `ApplyRefund`: a refund of some lines. Before settlement the record's
  amount shrinks in proportion to what the line refunded (a fully refunded
  record is ``CANCELLED``); after settlement the same reduction becomes a
  *clawback* (追回) owed by the payee and offset against their next
  settlements.

Status transitions are the table `TRANSITIONS`, keyed by a record's status
and the command type; each command reads it for the records it names before
any business check, and a record the table refuses is not touched (an order
with no record the table takes is refused: ``settlement.not_pending``). A
partial refund keeps the status.

Time changes nothing by itself: a record whose return window has passed
stays ``FROZEN`` until the host's scheduler sends `ReleaseFrozen`.

Commands carry ids and the ledger keeps a `CommandLog` of the ones it
accepted: replaying one returns the original events on the current state
and changes nothing, also after the host saved and reloaded the ledger; the
same id with other content raises `IdConflictError`; a rejected command is
not recorded, so a retry is decided afresh. `PruneLog` forgets ids older
than ``SettlementPolicy.log_retention_days``.

The maps are persistent (`PMap`): a command copies the few records it
touches and two small indexes (the frozen records by unfreeze time, the
settleable records by payee), never the whole ledger.

Invariants
----------
* a record is never released before its order's fulfilment plus the window
  (``freeze_from=FULFILMENT``), nor before the later of payment plus the
  window and the fulfilment (``freeze_from=PAYMENT``);
* reductions are cumulative and exact: after refunds of ``r`` out of a
  line's total ``t`` the record has lost ``round(amount × r / t)`` in all,
  and exactly its whole amount once the line is fully refunded, so a fully
  refunded order nets to zero across all records, whenever it was refunded;
* for every payee, paid out − outstanding clawback = Σ net of settled records;
* a payout is never negative: a clawback larger than the settleable amount
  carries over.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable
from typing import Any, Final, TypeAlias

import attrs

from sirui.commission._common import proportion
from sirui.commission.paid import CommissionRefund
from sirui.commission.rules import CommissionLine
from sirui.core.errors import InvalidCommandError
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.registry import policy
from sirui.core.validators import is_instance_of, non_empty_str, non_negative_int
from sirui.core.windows import DateTime, aware
from sirui.rules.commandlog import CommandLog, PruneLog, transition
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
    "FreezeFrom",
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
NOTHING_DUE = reason_code(
    "settlement.nothing_due",
    zh="没有到期可解冻的佣金",
    en="No frozen commission has reached the end of its return window",
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


class FreezeFrom(enum.Enum):
    """What the return-window freeze (冻结期) is counted from."""

    FULFILMENT = "fulfilment"
    """From the pick-up or delivery the host records with `MarkFulfilled` (确认收货后起算)."""
    PAYMENT = "payment"
    """From the order's payment (支付后起算); released no earlier than the fulfilment."""


@policy("settlement.policy")
@attrs.frozen(slots=True)
class SettlementPolicy:
    """How long commission stays frozen, and from when (退货冻结期).

    ``freeze_from``: count ``return_window_days`` from the fulfilment (the
    default) or from the payment. ``log_retention_days``: how long the
    ledger remembers accepted command ids for replays (`PruneLog` forgets
    older ones).

    >>> import pendulum
    >>> paid = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
    >>> delivered = pendulum.datetime(2026, 11, 14, 15, tz="Asia/Shanghai")
    >>> SettlementPolicy(7).release_at(paid, delivered).isoformat()
    '2026-11-21T15:00:00+08:00'
    >>> SettlementPolicy(7, freeze_from=FreezeFrom.PAYMENT).release_at(paid, delivered).isoformat()
    '2026-11-18T10:00:00+08:00'
    """

    return_window_days: int = attrs.field(default=7, validator=non_negative_int)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    freeze_from: FreezeFrom = attrs.field(
        default=FreezeFrom.FULFILMENT,
        validator=is_instance_of(FreezeFrom, "a FreezeFrom", "FreezeFrom.PAYMENT"))

    def release_at(self, paid_at: DateTime, fulfilled_at: DateTime) -> DateTime:
        """When a record paid at ``paid_at`` and fulfilled at ``fulfilled_at`` unfreezes."""
        if self.freeze_from is FreezeFrom.PAYMENT:
            return max(paid_at.add(days=self.return_window_days), fulfilled_at)
        return fulfilled_at.add(days=self.return_window_days)


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
    """The order was picked up (提货) or delivered at ``at``: freeze its records.

    The window runs from ``at``, or from the payment under ``FreezeFrom.PAYMENT``
    (ending no earlier than ``at``).
    """

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
    refund: CommissionRefund


SettlementCommand: TypeAlias = (
    RecordCommission | MarkFulfilled | ReleaseFrozen | SettlePayee | ApplyRefund
)

#: ``(record status, command type) -> status after it``; a record the table refuses is
#: left as it is. ``None`` is a record not yet in the ledger. `ApplyRefund` leads there
#: when it refunds the line in full (a partial refund keeps the status; after settlement
#: the reduction is a clawback; on a cancelled record only the refunded units count).
TRANSITIONS: Final[dict[tuple[RecordStatus | None, type[Any]], RecordStatus]] = {
    (None, RecordCommission): S.PENDING,
    (S.PENDING, MarkFulfilled): S.FROZEN,
    (S.FROZEN, ReleaseFrozen): S.SETTLEABLE,
    (S.SETTLEABLE, SettlePayee): S.SETTLED,
    (S.PENDING, ApplyRefund): S.CANCELLED,
    (S.FROZEN, ApplyRefund): S.CANCELLED,
    (S.SETTLEABLE, ApplyRefund): S.CANCELLED,
    (S.SETTLED, ApplyRefund): S.SETTLED,
    (S.CANCELLED, ApplyRefund): S.CANCELLED,
}
_COMMANDS: Final = frozenset(kind for _, kind in TRANSITIONS)

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


Outcome: TypeAlias = Accepted["SettlementLedger"] | Rejected["SettlementLedger"]

#: The frozen records, by the time their window ends: ``(unfreeze_at, key)`` in order.
_Frozen: TypeAlias = tuple[tuple[DateTime, str], ...]


@attrs.frozen(slots=True)
class SettlementLedger:
    """All commission records of a chain (or a shard of it) and the clawbacks owed.

    ``records``, ``by_order`` (record keys per order), ``clawbacks``
    (outstanding per payee, offset against future settlements) and
    ``paid_out`` (everything paid to each payee) are persistent maps: read
    them with ``.get(key)``, or with `record`, `records_of` and `all_records`.

    >>> ledger = SettlementLedger()
    >>> len(ledger.records)
    0
    """

    policy: SettlementPolicy = SettlementPolicy()
    records: PMap[str, CommissionRecord] = attrs.field(factory=PMap)
    by_order: PMap[str, tuple[str, ...]] = attrs.field(factory=PMap)
    clawbacks: PMap[str, Money] = attrs.field(factory=PMap)
    """Outstanding clawback per payee, to offset against future settlements."""
    paid_out: PMap[str, Money] = attrs.field(factory=PMap)
    """Everything paid to each payee so far."""
    frozen: _Frozen = ()
    """``(unfreeze_at, key)`` of the records made ``FROZEN``, in time order (an index)."""
    settleable: PMap[str, tuple[str, ...]] = attrs.field(factory=PMap)
    """Keys made ``SETTLEABLE`` per payee, not yet settled (an index)."""
    log: CommandLog = attrs.field(factory=CommandLog)
    """The commands the ledger accepted, with their events (idempotency)."""

    def record(self, key: str) -> CommissionRecord:
        """The record of ``key`` (``"<order>/<line>/<role>/<payee>"``); KeyError if none."""
        rec = self.records.get(key)
        if rec is None:
            raise KeyError(key)
        return rec

    def records_of(self, order_id: str) -> tuple[CommissionRecord, ...]:
        """The order's records, in the order they were recorded."""
        return tuple(self.record(k) for k in self.by_order.get(order_id, ()) or ())

    def all_records(self) -> tuple[CommissionRecord, ...]:
        """Every record, by key (for statements: `guide_statements(ledger.all_records(), ...)`)."""
        return tuple(r for _, r in sorted(self.records.items(), key=lambda kv: kv[0]))

    def handle(self, command: SettlementCommand | PruneLog, *, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``; see the module docstring."""
        now = aware(now)
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.policy.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        if type(command) not in _COMMANDS:
            raise InvalidCommandError(f"command={command!r}: not a settlement command")
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        result = self._apply(command, now)
        if isinstance(result, Rejected):
            return Rejected(result.reason, self)
        new = attrs.evolve(result.state, log=self.log.record(command, result.events, now))
        return Accepted(new, result.events, result.reason)

    # -- transitions ------------------------------------------------------------------

    def _apply(self, cmd: SettlementCommand, now: DateTime) -> Outcome:
        if isinstance(cmd, RecordCommission):
            return self._record(cmd)
        if isinstance(cmd, MarkFulfilled):
            return self._fulfil(cmd)
        if isinstance(cmd, ReleaseFrozen):
            return self._release(cmd, now)
        if isinstance(cmd, SettlePayee):
            return self._settle(cmd)
        return self._refund(cmd)

    def _keys(self, order_id: str) -> tuple[str, ...]:
        keys = self.by_order.get(order_id)
        if keys is None:
            raise InvalidCommandError(
                f"order_id={order_id!r}: no commission recorded for this order; "
                "send RecordCommission first"
            )
        return keys

    def _record(self, cmd: RecordCommission) -> Outcome:
        records, by_order = self.records, self.by_order
        events: list[Event] = []
        status = transition(TRANSITIONS, None, cmd)
        assert status is not None
        for ln in cmd.lines:
            if ln.key in records:
                raise InvalidCommandError(
                    f"lines: record {ln.key!r} already exists; each order line is recorded once"
                )
            zero = Money.zero(ln.amount.currency)
            records = records.set(ln.key, CommissionRecord(ln, status, zero, zero, 0, zero))
            by_order = by_order.set(ln.order_id, (*(by_order.get(ln.order_id) or ()), ln.key))
            events.append(CommissionRecorded(ln.key, ln.payee, ln.amount))
        return Accepted(attrs.evolve(self, records=records, by_order=by_order), tuple(events))

    def _fulfil(self, cmd: MarkFulfilled) -> Outcome:
        records, frozen = self.records, list(self.frozen)
        events: list[Event] = []
        for k in self._keys(cmd.order_id):
            rec = self.record(k)
            target = transition(TRANSITIONS, rec.status, cmd)
            if target is None:
                continue
            until = self.policy.release_at(rec.line.paid_at, cmd.at)
            records = records.set(k, attrs.evolve(rec, status=target, unfreeze_at=until))
            bisect.insort(frozen, (until, k))
            events.append(CommissionFrozen(k, until))
        if not events:
            # equivalent mutants: handle() answers a refusal with Rejected(reason, self) itself
            return Rejected(NOT_PENDING(order=cmd.order_id), self)  # pragma: no mutate
        return Accepted(attrs.evolve(self, records=records, frozen=tuple(frozen)), tuple(events))

    def _release(self, cmd: ReleaseFrozen, now: DateTime) -> Outcome:
        # The index is in time order: what is due is a prefix. A record a refund has
        # cancelled meanwhile is still in it; the table skips it.
        due = bisect.bisect_right(self.frozen, now, key=lambda fk: fk[0])
        records, settleable = self.records, self.settleable
        events: list[Event] = []
        for _, k in self.frozen[:due]:
            rec = self.record(k)
            target = transition(TRANSITIONS, rec.status, cmd)
            if target is None:
                continue
            records = records.set(k, attrs.evolve(rec, status=target))
            payee = rec.line.payee
            if payee is not None:
                settleable = settleable.set(payee, (*(settleable.get(payee) or ()), k))
            events.append(CommissionSettleable(k))
        if not events:
            # equivalent mutants: handle() answers a refusal with Rejected(reason, self) itself
            return Rejected(NOTHING_DUE(), self)  # pragma: no mutate
        state = attrs.evolve(self, records=records, frozen=self.frozen[due:],
                             settleable=settleable)
        return Accepted(state, tuple(events))

    def _settle(self, cmd: SettlePayee) -> Outcome:
        due = [(rec, target) for rec in map(self.record, self.settleable.get(cmd.payee) or ())
               if (target := transition(TRANSITIONS, rec.status, cmd)) is not None]
        if not due:
            # equivalent mutants: handle() answers a refusal with Rejected(reason, self) itself
            return Rejected(NOTHING_TO_SETTLE(payee=cmd.payee), self)  # pragma: no mutate
        cur = due[0][0].line.amount.currency
        # equivalent mutants: due is never empty, and 0 + Money is the Money
        gross = sum((r.amount for r, _ in due), Money.zero(cur))  # pragma: no mutate
        owed = self.clawbacks.get(cmd.payee) or Money.zero(cur)
        offset = owed.min(gross)
        paid = gross - offset
        records = self.records
        for r, target in due:
            records = records.set(r.key, attrs.evolve(r, status=target, settlement=cmd.id))
        paid_before = self.paid_out.get(cmd.payee) or Money.zero(cur)
        reason = SETTLED_NET(gross=gross, offset=offset, paid=paid)
        events: list[Event] = []
        if offset:
            events.append(ClawbackOffset(cmd.payee, offset, owed - offset))
        events.append(CommissionSettled(cmd.id, cmd.payee, tuple(r.key for r, _ in due), gross,
                                        offset, paid, reason))
        state = attrs.evolve(
            self, records=records, clawbacks=self.clawbacks.set(cmd.payee, owed - offset),
            paid_out=self.paid_out.set(cmd.payee, paid_before + paid),
            settleable=self.settleable.set(cmd.payee, ()),
        )
        return Accepted(state, tuple(events), reason)

    def _refund(self, cmd: ApplyRefund) -> Outcome:
        refund = cmd.refund
        by_line: dict[str, list[str]] = {}
        for k in self._keys(refund.order_id):
            by_line.setdefault(self.record(k).line.line_id, []).append(k)
        records, clawbacks = self.records, self.clawbacks
        events: list[Event] = []
        for lr in refund.lines:
            line_keys = by_line.get(lr.line_id)
            if line_keys is None:
                raise InvalidCommandError(
                    f"refund.lines: line_id={lr.line_id!r} is not in order {refund.order_id!r}"
                )
            for k in line_keys:
                rec = _refunded(self.record(k), lr.quantity, lr.amount, refund.id)
                target = transition(TRANSITIONS, rec.status, cmd)
                assert target is not None  # every status takes a refund
                rec, evs, claw = _reduce(rec, rec.refunded_quantity + lr.quantity,
                                         rec.refunded_amount + lr.amount, refund.id, target)
                records = records.set(k, rec)
                events.extend(evs)
                if claw and rec.line.payee is not None:
                    p = rec.line.payee
                    clawbacks = clawbacks.set(p, (clawbacks.get(p) or Money.zero(claw.currency))
                                              + claw)
        return Accepted(attrs.evolve(self, records=records, clawbacks=clawbacks), tuple(events))


def _refunded(rec: CommissionRecord, qty: int, amount: Money, refund_id: str) -> CommissionRecord:
    """``rec``, checked that a further refund of ``qty`` units and ``amount`` fits the line."""
    q, a = rec.refunded_quantity + qty, rec.refunded_amount + amount
    if q > rec.line.quantity or a > rec.line.line_total:
        raise InvalidCommandError(
            f"refund {refund_id!r}: line {rec.line.line_id!r} would refund {q} units / "
            f"{a}, more than it was paid ({rec.line.quantity} / {rec.line.line_total})"
        )
    return rec


def _reduce(rec: CommissionRecord, qty: int, amt: Money, refund_id: str, full_target: RecordStatus
            ) -> tuple[CommissionRecord, list[Event], Money]:
    """Apply cumulative refunds to one record; return it, its events and any clawback.

    ``full_target`` is the status the table gives a full refund of the record.
    """
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
    cancel = full and rec.status is not full_target
    rec = attrs.evolve(rec, refunded_quantity=qty, refunded_amount=amt,
                       reduced=rec.reduced + delta, status=full_target if full else rec.status)
    if delta:
        events.append(CommissionReduced(rec.key, delta, rec.amount, refund_id))
    if cancel:
        events.append(CommissionCancelled(rec.key, refund_id))
    return rec, events, zero
