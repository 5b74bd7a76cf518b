"""积分账本: the points ledger of one member.

Theory of operation
-------------------
The ledger is append-only: every change is a command with a unique id
(earn, spend, adjust, take back, return, sweep, prune). ``handle`` keeps
the one machine contract (`sirui.rules.commandlog`): the accepted ids live
in a `CommandLog`; replaying an id returns the original events and leaves
the state as it is, also after the host saved and reloaded the ledger; the
same id with other content raises `IdConflictError`; a rejected command is
not recorded, so its retry is decided afresh. `PruneLog` forgets ids older
than ``LedgerPolicy.log_retention_days``.

Earns, spends and adjustments are also *transactions* the ledger keeps
for good (`LedgerTxn`, in ``txns``): what a later refund reverses, and how
much of it was reversed already. Their statuses form the table
`TXN_TRANSITIONS`, keyed by ``(status, command type)``, which ``handle``
reads before any business check::

    (new)      --Earn-------->  EARNED      --TakeBack---->  TAKEN_BACK (again: TakeBack)
    (new)      --Spend------->  SPENT       --ReturnSpent->  RETURNED   (again: ReturnSpent)
    (new)      --Adjust------>  ADJUSTED

A creating command looks up the transaction its own id names (none, for a
new one); a reversal looks up the transaction it reverses. So a take-back
of a spend, or an earn whose id the log has pruned but a transaction still
holds (a retry from beyond the retention), is refused by the table, never
credited twice. A reversal naming no transaction at all is misuse and
raises. `Sweep` and `PruneLog` touch no transaction and are always taken.

Earned points live in *buckets*, each with its own expiry (from the
`ExpiryPolicy`) and availability: points earned on an order are *pending*
until the return window (``pending_days``) has passed. The balance is never
stored: it is the sum of the buckets that are available and not expired at
the ``now`` you ask about, so a balance asked a year ahead is already right
without any sweep. `Sweep` exists for hosts that want `PointsExpired` events
and a smaller state.

Spending consumes the soonest-expiring live buckets first (FIFO by expiry,
ties by earning order). Available buckets sit in a `SortedRun` keyed by
``(expiry, sequence)`` with chunk sums, so a spend finds the first live
bucket by bisection and touches only the buckets it consumes: it never scans
the whole ledger. Pending buckets are few (one per recent order) and are
moved into the run when they mature.

Reversals (a refund): `TakeBack` removes points an earn credited, first from
that earn's own bucket, then from the other buckets; what cannot be found
becomes ``debt`` (shown as a negative balance or kept as a debt, by policy)
that later credits settle first. `ReturnSpent` gives back points a spend
consumed, most recently consumed first, with their original expiry or a new
one, by policy; expired ones stay expired unless the policy revives them.

Time: ``now`` must not go back before the last accepted command
(``as_of``); pending buckets mature inside whichever command comes first
after their ``available_at`` (an `Accepted`, with its own events), and
expired buckets simply stop counting, so no refusal ever carries a changed
state.

Invariants: the balance equals the sum of live available buckets (minus
debt when the policy shows a negative balance); no spend ever takes an
expired or pending point; no reversal takes back or returns more than its
original transaction moved; debt > 0 only when no bucket holds points.
"""

from __future__ import annotations

import calendar
import enum
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.persistent import PMap, SortedRun
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, non_negative_int
from sirui.core.windows import DateTime, aware
from sirui.loyalty.points.expiry import ExpiryPolicy, NeverExpire
from sirui.loyalty.points.transactions import (
    TXN_TRANSITIONS,
    Adjust,
    Consumption,
    Earn,
    LedgerCommand,
    LedgerTxn,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsReturned,
    PointsSpent,
    PointsTakenBack,
    ReturnSpent,
    Spend,
    Sweep,
    TakeBack,
    TxnStatus,
)
from sirui.rules.commandlog import NOT_IN_TABLE, CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Rejected
from sirui.rules.reasons import reason_code

__all__ = [
    "Bucket",
    "LedgerPolicy",
    "PointsLedger",
    "PointsRefundPolicy",
    "ReturnedExpiry",
    "Shortfall",
]

INSUFFICIENT = reason_code(
    "points.insufficient",
    zh="积分不足：可用{available}，需要{requested}",
    en="Not enough points: {available} available, {requested} needed",
)
REVERSAL_EXCEEDS = reason_code(
    "points.reversal_exceeds",
    zh="交易{txn}最多还可冲回{left}积分",
    en="Transaction {txn} has only {left} points left to reverse",
)
TXN_ID_TAKEN = reason_code(
    "points.txn_id_taken",
    zh="交易号{txn}已入账（{status_zh}），不能再用于新的交易",
    en="Transaction id {txn} is already on the ledger ({status}); a new transaction needs a new id",
)

_NEVER: Final = 2**62
_LAST_SEQ: Final = 2**62


def _us(t: DateTime | None) -> int:
    """Microseconds since the epoch, exactly (no float)."""
    if t is None:
        return _NEVER
    return calendar.timegm(t.utctimetuple()) * 1_000_000 + t.microsecond


#: How zh messages name a transaction's status (``points.txn_id_taken``).
_TXN_STATUS_ZH: Final = {
    TxnStatus.EARNED: "积分已入账", TxnStatus.TAKEN_BACK: "积分已扣回",
    TxnStatus.SPENT: "积分已使用", TxnStatus.RETURNED: "积分已退回",
    TxnStatus.ADJUSTED: "积分已调整",
}


class Shortfall(enum.Enum):
    """What a take-back does when the earned points are already spent."""

    NEGATIVE_BALANCE = "negative_balance"
    """The balance goes below zero (负积分); later credits fill it first."""
    DEBT = "debt"
    """Take what is left; the rest is a debt settled from future credits (积分欠款)."""
    WRITE_OFF = "write_off"
    """Take what is left and forgive the rest."""


class ReturnedExpiry(enum.Enum):
    """Which expiry returned (refunded) spent points get."""

    ORIGINAL = "original"
    """They keep the expiry of the bucket they were spent from."""
    RENEW = "renew"
    """They expire as if earned at the moment of the return."""


@policy("points.refund")
@attrs.frozen(slots=True)
class PointsRefundPolicy:
    """How a refund reverses points: shortfall handling and expiry of returned points."""

    shortfall: Shortfall = Shortfall.DEBT
    returned_expiry: ReturnedExpiry = ReturnedExpiry.ORIGINAL
    revive_expired: bool = False
    """Give expired returned points a fresh expiry instead of forfeiting them."""


@policy("points.ledger")
@attrs.frozen(slots=True)
class LedgerPolicy:
    """积分规则: expiry, the return window for order points, refund handling."""

    expiry: ExpiryPolicy = attrs.field(factory=NeverExpire)
    pending_days: int = attrs.field(default=0, validator=non_negative_int)
    """Order points become available this many days after payment (退货期)."""
    refunds: PointsRefundPolicy = attrs.field(factory=PointsRefundPolicy)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days the ledger remembers accepted command ids (`PruneLog`); retries must come sooner."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.expiry, ExpiryPolicy):
            raise invalid("expiry", self.expiry, "must be an ExpiryPolicy", "e.g. NeverExpire()")
        if self.pending_days > 365:
            raise invalid("pending_days", self.pending_days, "must be <= 365")


@attrs.frozen(slots=True)
class Bucket:
    """Points earned together, with one expiry and one availability moment."""

    id: str
    seq: int
    points: int
    earned_at: DateTime
    expires_at: DateTime | None
    available_at: DateTime
    source: str = "earn"
    _expiry_us: int = attrs.field(init=False, eq=False, repr=False)
    _available_us: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_expiry_us", _us(self.expires_at))
        object.__setattr__(self, "_available_us", _us(self.available_at))

    @property
    def key(self) -> tuple[int, int]:
        return (self._expiry_us, self.seq)

    def live_at(self, now_us: int) -> bool:
        return self._available_us <= now_us < self._expiry_us

    def expired_at(self, now_us: int) -> bool:
        return self._expiry_us <= now_us


def _shrink(b: Bucket, taken: int) -> Bucket:
    """``b`` with ``taken`` points fewer (a hot path: skips re-validation and re-keying)."""
    out = object.__new__(Bucket)
    for name in _BUCKET_SLOTS:
        object.__setattr__(out, name, getattr(b, name))
    object.__setattr__(out, "points", b.points - taken)
    return out


_BUCKET_SLOTS: Final = tuple(a.name for a in attrs.fields(Bucket))


#: The field a reversal names its transaction by, and that transaction's command.
_REVERSES: Final[dict[type[Any], tuple[str, type[Any]]]] = {
    TakeBack: ("earn_id", Earn),
    ReturnSpent: ("spend_id", Spend),
}


def _empty_txns() -> PMap[str, LedgerTxn]:
    return PMap()


@attrs.frozen(slots=True)
class PointsLedger:
    """One member's points (积分账户). Build with `PointsLedger.open`.

    >>> import pendulum
    >>> now = pendulum.datetime(2026, 3, 1, tz="Asia/Shanghai")
    >>> led = PointsLedger.open("m1").handle(Earn("e1", 500, source="signup"), now=now).state
    >>> led.balance(now)
    500
    """

    member_id: str = attrs.field(validator=non_empty_str)
    policy: LedgerPolicy = attrs.field(factory=LedgerPolicy)
    run: SortedRun[Bucket] = attrs.field(factory=SortedRun, repr=False)
    pending: tuple[Bucket, ...] = ()
    debt: int = 0
    as_of: DateTime | None = None
    seq: int = 0
    earned_total: int = 0
    """Lifetime points earned (`Earn` minus `TakeBack`): for 累计积分 tier rules."""
    txns: PMap[str, LedgerTxn] = attrs.field(factory=_empty_txns, repr=False)
    """Earns, spends and adjustments by id, kept for refunds (never pruned)."""
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    @classmethod
    def open(cls, member_id: str, policy: LedgerPolicy | None = None) -> PointsLedger:
        return cls(member_id, policy or LedgerPolicy())

    # -- views ----------------------------------------------------------------------

    def available(self, now: DateTime) -> int:
        """Points that can be spent at ``now``: available, not expired."""
        now_us = _us(aware(now))
        pend = sum(b.points for b in self.pending if b.live_at(now_us))
        return self.run.total_after((now_us, _LAST_SEQ)) + pend

    def balance(self, now: DateTime) -> int:
        """The balance shown at ``now``; negative only under `Shortfall.NEGATIVE_BALANCE`.

        Valid for any ``now`` at or after the last transaction (`as_of`): the
        ledger answers for the present and the future, not for its past.
        """
        live = self.available(now)
        if self.policy.refunds.shortfall is Shortfall.NEGATIVE_BALANCE:
            return live - self.debt
        return live

    def pending_points(self, now: DateTime) -> int:
        """Points earned but still inside the return window at ``now`` (待入账)."""
        now_us = _us(aware(now))
        return sum(
            b.points for b in self.pending if b._available_us > now_us and not b.expired_at(now_us)
        )

    def buckets(self, now: DateTime) -> tuple[Bucket, ...]:
        """Live buckets at ``now`` (available or pending), soonest expiry first."""
        now_us = _us(aware(now))
        live = [*self.run.iter_after((now_us, _LAST_SEQ))]
        live += [b for b in self.pending if not b.expired_at(now_us)]
        return tuple(sorted((b for b in live if b.points), key=lambda b: b.key))

    def points_by_expiry(self, now: DateTime) -> tuple[tuple[DateTime | None, int], ...]:
        """Available points at ``now`` grouped by expiry (for "expiring soon" notices)."""
        now_us = _us(aware(now))
        out: dict[int, tuple[DateTime | None, int]] = {}
        for b in self.buckets(now):
            if b.live_at(now_us):
                _, n = out.get(b.key[0], (b.expires_at, 0))
                out[b.key[0]] = (b.expires_at, n + b.points)
        return tuple(v for _, v in sorted(out.items()))

    def expiring_before(self, now: DateTime, until: DateTime) -> int:
        """Available points at ``now`` that expire before ``until`` (即将过期)."""
        cut = _us(aware(until, "until"))
        return sum(n for exp, n in self.points_by_expiry(now) if _us(exp) <= cut)

    # -- commands -------------------------------------------------------------------

    def handle(
        self, command: LedgerCommand | PruneLog, *, now: DateTime
    ) -> Accepted[PointsLedger] | Rejected[PointsLedger]:
        """Apply ``command`` at ``now``; replaying an id returns the original events."""
        now = aware(now)
        if type(command) not in _HANDLERS:
            raise InvalidCommandError(
                f"command={command!r}: not a points ledger command; use Earn, Spend, Adjust, "
                "TakeBack, ReturnSpent, Sweep or PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        if self.as_of is not None and now < self.as_of:
            raise InvalidCommandError(
                f"now={now}: before the ledger's last transaction at {self.as_of}; "
                "apply commands in time order"
            )
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.policy.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        target = self._target(command)
        if isinstance(target, Rejected):
            return target
        result = _HANDLERS[type(command)](self._mature(_us(now)), command, now, target)
        if isinstance(result, Rejected):
            return Rejected(result.reason, self)
        new, events = result
        new = attrs.evolve(new, as_of=now, log=self.log.record(command, events, now))
        return Accepted(new, events)

    def _target(self, command: LedgerCommand) -> TxnStatus | Rejected[PointsLedger] | None:
        """The transaction's status after ``command`` by the table, or the table's refusal."""
        if type(command) is Sweep:
            return None
        reverses = _REVERSES.get(type(command))
        tid = command.id if reverses is None else getattr(command, reverses[0])
        txn = self.txns.get(tid)
        if txn is None and reverses is not None:
            raise InvalidCommandError(
                f"{reverses[0]}={tid!r}: no {reverses[1].__name__} with this id in the "
                f"ledger of {self.member_id!r}"
            )
        status = None if txn is None else txn.status
        target = transition(TXN_TRANSITIONS, status, command)
        if target is not None:
            return target
        assert status is not None  # every creating command has a row from None
        if reverses is None:
            return Rejected(TXN_ID_TAKEN(txn=tid, status=status.value,
                                         status_zh=_TXN_STATUS_ZH[status]), self)
        return Rejected(NOT_IN_TABLE(state=status.value, command=type(command).__name__), self)

    def _mature(self, now_us: int) -> PointsLedger:
        if not self.pending or all(b._available_us > now_us for b in self.pending):
            return self
        run = self.run
        keep = []
        for b in self.pending:
            if b._available_us <= now_us:
                run = run.insert(b)
            else:
                keep.append(b)
        return attrs.evolve(self, run=run, pending=tuple(keep))

    def _credit(
        self, txn: str, points: int, now: DateTime, *, expires_at: DateTime | None,
        available_at: DateTime, source: str,
    ) -> tuple[PointsLedger, int, tuple[int, int] | None]:
        """Settle debt first, then add a bucket. Returns (state, settled, bucket key)."""
        settled = min(self.debt, points)
        rest = points - settled
        if not rest:
            return attrs.evolve(self, debt=self.debt - settled), settled, None
        b = Bucket(txn, self.seq, rest, now, expires_at, available_at, source)
        # equivalent mutants: a bucket available at this very instant is live either way
        if b._available_us > _us(now):  # pragma: no mutate
            pending = tuple(sorted((*self.pending, b), key=lambda x: x.key))
            new = attrs.evolve(self, pending=pending)
        else:
            new = attrs.evolve(self, run=self.run.insert(b))
        return attrs.evolve(new, debt=self.debt - settled, seq=self.seq + 1), settled, b.key

    def _take(self, now_us: int, points: int) -> tuple[PointsLedger, list[tuple[Bucket, int]]]:
        run, taken = self.run.take_after((now_us, _LAST_SEQ), points, _shrink)
        return attrs.evolve(self, run=run), taken


_Result: TypeAlias = tuple[PointsLedger, tuple[Any, ...]] | Rejected[PointsLedger]


def _new_txn(s: PointsLedger, tid: str, txn: LedgerTxn) -> PointsLedger:
    return attrs.evolve(s, txns=s.txns.set(tid, txn))


def _earn(s: PointsLedger, c: Earn, now: DateTime, target: TxnStatus) -> _Result:
    hold = c.order_id is not None if c.hold is None else c.hold
    available_at = now.add(days=s.policy.pending_days) if hold else now
    expires_at = s.policy.expiry.expires_at(now)
    new, settled, key = s._credit(
        c.id, c.points, now, expires_at=expires_at, available_at=available_at, source=c.source
    )
    ev = PointsEarned(
        c.id, s.member_id, c.points, settled, available_at, expires_at, c.source, c.order_id
    )
    new = attrs.evolve(new, earned_total=s.earned_total + c.points)
    return _new_txn(new, c.id, LedgerTxn(target, c.points, bucket_key=key)), (ev,)


def _spend(s: PointsLedger, c: Spend, now: DateTime, target: TxnStatus) -> _Result:
    avail = s.available(now)
    if c.points > avail:
        return Rejected(INSUFFICIENT(available=avail, requested=c.points), s)
    new, taken = s._take(_us(now), c.points)
    consumed = tuple(Consumption(b.id, n, b.expires_at, b.earned_at) for b, n in taken)
    ev = PointsSpent(c.id, s.member_id, c.points, consumed, c.purpose, c.order_id)
    return _new_txn(new, c.id, LedgerTxn(target, c.points, consumed=consumed)), (ev,)


def _adjust(s: PointsLedger, c: Adjust, now: DateTime, target: TxnStatus) -> _Result:
    ev = PointsAdjusted(c.id, s.member_id, c.points, c.note)
    if c.points > 0:  # pragma: no mutate (equivalent: Adjust refuses 0 points)
        new, _, key = s._credit(
            c.id, c.points, now, expires_at=s.policy.expiry.expires_at(now),
            available_at=now, source="adjust",
        )
        return _new_txn(new, c.id, LedgerTxn(target, c.points, bucket_key=key)), (ev,)
    avail = s.available(now)
    if -c.points > avail:
        return Rejected(INSUFFICIENT(available=avail, requested=-c.points), s)
    new, taken = s._take(_us(now), -c.points)
    consumed = tuple(Consumption(b.id, n, b.expires_at, b.earned_at) for b, n in taken)
    return _new_txn(new, c.id, LedgerTxn(target, c.points, consumed=consumed)), (ev,)


def _reversal(
    s: PointsLedger, txn_id: str, points: int
) -> tuple[LedgerTxn, int] | Rejected[PointsLedger]:
    """The transaction ``txn_id`` and what it had reversed, or the refusal of ``points`` more."""
    txn = s.txns.get(txn_id)
    assert txn is not None  # the table looked it up
    if txn.reversed + points > txn.points:
        return Rejected(REVERSAL_EXCEEDS(txn=txn_id, left=txn.points - txn.reversed), s)
    return txn, txn.reversed


def _reversed(txn: LedgerTxn, target: TxnStatus, points: int) -> LedgerTxn:
    return attrs.evolve(txn, status=target, reversed=txn.reversed + points)


def _take_own(s: PointsLedger, key: tuple[int, int] | None, left: int, now_us: int
              ) -> tuple[PointsLedger, int]:
    """Take up to ``left`` from the bucket an earn credited, wherever it is, if not expired."""
    if key is None:
        return s, left
    own = s.run.find(key)
    if own is not None and not own.expired_at(now_us):
        t = min(own.points, left)
        # equivalent mutants: a bucket shrunk to 0 points counts and lists as no bucket
        run = s.run.replace(key, _shrink(own, t) if t < own.points else None)  # pragma: no mutate
        return attrs.evolve(s, run=run), left - t
    for i, b in enumerate(s.pending):
        if b.key == key and not b.expired_at(now_us):
            t = min(b.points, left)
            # equivalent mutants: a bucket shrunk to 0 points counts and lists as no bucket
            rest = (_shrink(b, t),) if t < b.points else ()  # pragma: no mutate
            return attrs.evolve(s, pending=(*s.pending[:i], *rest, *s.pending[i + 1 :])), left - t
    return s, left


def _take_pending(s: PointsLedger, left: int, now_us: int) -> tuple[PointsLedger, int]:
    pend = []
    for b in s.pending:
        t = min(b.points, left) if not b.expired_at(now_us) else 0
        left -= t
        if t < b.points:  # pragma: no mutate (equivalent: a 0-point bucket counts as none)
            pend.append(_shrink(b, t) if t else b)
    return attrs.evolve(s, pending=tuple(pend)), left


def _take_back(s: PointsLedger, c: TakeBack, now: DateTime, target: TxnStatus) -> _Result:
    found = _reversal(s, c.earn_id, c.points)
    if isinstance(found, Rejected):
        return found
    txn, _ = found
    now_us = _us(now)
    # 1. the earn's own bucket; 2. other available buckets, soonest expiry first;
    # 3. other pending buckets
    new, left = _take_own(s, txn.bucket_key, c.points, now_us)
    if left:
        new, taken = new._take(now_us, left)
        left -= sum(n for _, n in taken)
    if left:
        new, left = _take_pending(new, left, now_us)
    debt_added = 0 if s.policy.refunds.shortfall is Shortfall.WRITE_OFF else left
    new = attrs.evolve(
        new, debt=new.debt + debt_added, earned_total=new.earned_total - c.points,
        txns=new.txns.set(c.earn_id, _reversed(txn, target, c.points)),
    )
    ev = PointsTakenBack(c.id, s.member_id, c.earn_id, c.points, c.points - left, debt_added)
    return new, (ev,)


def _return_spent(s: PointsLedger, c: ReturnSpent, now: DateTime, target: TxnStatus) -> _Result:
    found = _reversal(s, c.spend_id, c.points)
    if isinstance(found, Rejected):
        return found
    txn, done = found
    pol = s.policy.refunds
    now_us = _us(now)
    fresh = s.policy.expiry.expires_at(now)
    # Walk the consumption backwards (most recently consumed, longest-lived first),
    # skipping what earlier returns already gave back.
    skip, left = done, c.points
    grants: dict[int, tuple[DateTime | None, int]] = {}
    forfeited = 0
    for part in reversed(txn.consumed):
        n = part.points
        drop = min(skip, n)
        skip -= drop
        n = min(n - drop, left)
        if n <= 0:
            continue
        left -= n
        exp = part.expires_at if pol.returned_expiry is ReturnedExpiry.ORIGINAL else fresh
        if _us(exp) <= now_us:
            if not pol.revive_expired:
                forfeited += n
                continue
            exp = fresh
        _, have = grants.get(_us(exp), (exp, 0))
        grants[_us(exp)] = (exp, have + n)
    new, settled = s, 0
    for i, (_, (exp, n)) in enumerate(sorted(grants.items())):
        new, st, _ = new._credit(
            f"{c.id}#{i}", n, now, expires_at=exp, available_at=now, source="return"
        )
        settled += st
    new = attrs.evolve(new, txns=new.txns.set(c.spend_id, _reversed(txn, target, c.points)))
    ev = PointsReturned(
        c.id, s.member_id, c.spend_id, c.points, c.points - forfeited, forfeited, settled
    )
    return new, (ev,)


def _sweep(s: PointsLedger, c: Sweep, now: DateTime, _target: None) -> _Result:
    now_us = _us(now)
    cut = (now_us, _LAST_SEQ)
    gone = [*s.run.items_upto(cut), *(b for b in s.pending if b.expired_at(now_us))]
    events = tuple(
        PointsExpired(c.id, s.member_id, b.id, b.points, b.expires_at) for b in gone if b.points
    )
    new = attrs.evolve(
        s, run=s.run.drop_upto(cut),
        pending=tuple(b for b in s.pending if not b.expired_at(now_us)),
    )
    return new, events


_HANDLERS: Final[dict[type[Any], Any]] = {
    Earn: _earn,
    Spend: _spend,
    Adjust: _adjust,
    TakeBack: _take_back,
    ReturnSpent: _return_spent,
    Sweep: _sweep,
    PruneLog: None,
}
