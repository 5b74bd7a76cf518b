"""积分账本: the points ledger of one member.

Theory of operation
-------------------
The ledger is append-only: every change is a command with a unique id
(earn, spend, adjust, take back, return, sweep), and ``handle`` records the
accepted command with the events it produced. Replaying an id returns the
original events and leaves the state as it is; the same id with other
content raises `IdConflictError`.

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

from sirui.core.errors import IdConflictError, InvalidCommandError, invalid
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, non_negative_int
from sirui.core.windows import DateTime, aware
from sirui.core.persistent import PMap, SortedRun
from sirui.loyalty.points.expiry import ExpiryPolicy, NeverExpire
from sirui.loyalty.points.transactions import (
    Adjust,
    Consumption,
    Earn,
    LedgerCommand,
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
)
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

_NEVER: Final = 2**62
_LAST_SEQ: Final = 2**62


def _us(t: DateTime | None) -> int:
    """Microseconds since the epoch, exactly (no float)."""
    if t is None:
        return _NEVER
    return calendar.timegm(t.utctimetuple()) * 1_000_000 + t.microsecond


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


@attrs.frozen(slots=True)
class _Record:
    command: Any
    events: tuple[Any, ...]
    points: int = 0
    bucket_key: tuple[int, int] | None = None
    consumed: tuple[Consumption, ...] = ()


def _empty_records() -> PMap[str, _Record]:
    return PMap()


def _empty_counts() -> PMap[str, int]:
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
    records: PMap[str, _Record] = attrs.field(factory=_empty_records, repr=False)
    reversed_points: PMap[str, int] = attrs.field(factory=_empty_counts, repr=False)

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
        self, command: LedgerCommand, *, now: DateTime
    ) -> Accepted[PointsLedger] | Rejected[PointsLedger]:
        """Apply ``command`` at ``now``; replaying an id returns the original events."""
        now = aware(now)
        known = self.records.get(command.id)
        if known is not None:
            if known.command != command:
                raise IdConflictError(
                    f"id={command.id!r}: already used by {known.command!r}; "
                    f"got {command!r}; give every transaction its own id"
                )
            return Accepted(self, known.events)
        if self.as_of is not None and now < self.as_of:
            raise InvalidCommandError(
                f"now={now}: before the ledger's last transaction at {self.as_of}; "
                "apply commands in time order"
            )
        state = self._mature(_us(now))
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise InvalidCommandError(f"command={command!r}: not a points ledger command")
        result = handler(state, command, now)
        if isinstance(result, Rejected):
            return Rejected(result.reason, self)
        new, record = result
        new = attrs.evolve(new, as_of=now, records=new.records.set(command.id, record))
        return Accepted(new, record.events)

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
        if b._available_us > _us(now):
            pending = tuple(sorted((*self.pending, b), key=lambda x: x.key))
            new = attrs.evolve(self, pending=pending)
        else:
            new = attrs.evolve(self, run=self.run.insert(b))
        return attrs.evolve(new, debt=self.debt - settled, seq=self.seq + 1), settled, b.key

    def _take(self, now_us: int, points: int) -> tuple[PointsLedger, list[tuple[Bucket, int]]]:
        run, taken = self.run.take_after((now_us, _LAST_SEQ), points, _shrink)
        return attrs.evolve(self, run=run), taken


_Result: TypeAlias = tuple[PointsLedger, _Record] | Rejected[PointsLedger]


def _earn(s: PointsLedger, c: Earn, now: DateTime) -> _Result:
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
    return new, _Record(c, (ev,), c.points, bucket_key=key)


def _spend(s: PointsLedger, c: Spend, now: DateTime) -> _Result:
    avail = s.available(now)
    if c.points > avail:
        return Rejected(INSUFFICIENT(available=avail, requested=c.points), s)
    new, taken = s._take(_us(now), c.points)
    consumed = tuple(Consumption(b.id, n, b.expires_at, b.earned_at) for b, n in taken)
    ev = PointsSpent(c.id, s.member_id, c.points, consumed, c.purpose, c.order_id)
    return new, _Record(c, (ev,), c.points, consumed=consumed)


def _adjust(s: PointsLedger, c: Adjust, now: DateTime) -> _Result:
    ev = PointsAdjusted(c.id, s.member_id, c.points, c.note)
    if c.points > 0:
        new, _, key = s._credit(
            c.id, c.points, now, expires_at=s.policy.expiry.expires_at(now),
            available_at=now, source="adjust",
        )
        return new, _Record(c, (ev,), c.points, bucket_key=key)
    avail = s.available(now)
    if -c.points > avail:
        return Rejected(INSUFFICIENT(available=avail, requested=-c.points), s)
    new, taken = s._take(_us(now), -c.points)
    consumed = tuple(Consumption(b.id, n, b.expires_at, b.earned_at) for b, n in taken)
    return new, _Record(c, (ev,), c.points, consumed=consumed)


def _original(s: PointsLedger, txn: str, kind: type[Any], field: str) -> _Record:
    rec = s.records.get(txn)
    if rec is None or not isinstance(rec.command, kind):
        raise InvalidCommandError(
            f"{field}={txn!r}: no {kind.__name__} with this id in the ledger of {s.member_id!r}"
        )
    return rec


def _take_back(s: PointsLedger, c: TakeBack, now: DateTime) -> _Result:
    rec = _original(s, c.earn_id, Earn, "earn_id")
    done = s.reversed_points.get(c.earn_id, 0) or 0
    if done + c.points > rec.points:
        return Rejected(REVERSAL_EXCEEDS(txn=c.earn_id, left=rec.points - done), s)
    now_us = _us(now)
    left = c.points
    new = s
    # 1. the earn's own bucket, wherever it is (pending or available), if not expired
    key = rec.bucket_key
    if key is not None:
        own = new.run.find(key)
        if own is not None and not own.expired_at(now_us):
            t = min(own.points, left)
            new = attrs.evolve(
                new, run=new.run.replace(key, _shrink(own, t) if t < own.points else None)
            )
            left -= t
        else:
            for i, b in enumerate(new.pending):
                if b.key == key and not b.expired_at(now_us):
                    t = min(b.points, left)
                    rest = (_shrink(b, t),) if t < b.points else ()
                    new = attrs.evolve(
                        new, pending=(*new.pending[:i], *rest, *new.pending[i + 1 :])
                    )
                    left -= t
                    break
    # 2. other available buckets, soonest expiry first; 3. other pending buckets
    if left:
        new, taken = new._take(now_us, left)
        left -= sum(n for _, n in taken)
    if left:
        pend = []
        for b in new.pending:
            t = min(b.points, left) if not b.expired_at(now_us) else 0
            left -= t
            if t < b.points:
                pend.append(_shrink(b, t) if t else b)
        new = attrs.evolve(new, pending=tuple(pend))
    debt_added = 0 if s.policy.refunds.shortfall is Shortfall.WRITE_OFF else left
    new = attrs.evolve(
        new, debt=new.debt + debt_added, earned_total=new.earned_total - c.points,
        reversed_points=new.reversed_points.set(c.earn_id, done + c.points),
    )
    ev = PointsTakenBack(c.id, s.member_id, c.earn_id, c.points, c.points - left, debt_added)
    return new, _Record(c, (ev,), c.points)


def _return_spent(s: PointsLedger, c: ReturnSpent, now: DateTime) -> _Result:
    rec = _original(s, c.spend_id, Spend, "spend_id")
    done = s.reversed_points.get(c.spend_id, 0) or 0
    if done + c.points > rec.points:
        return Rejected(REVERSAL_EXCEEDS(txn=c.spend_id, left=rec.points - done), s)
    pol = s.policy.refunds
    now_us = _us(now)
    fresh = s.policy.expiry.expires_at(now)
    # Walk the consumption backwards (most recently consumed, longest-lived first),
    # skipping what earlier returns already gave back.
    skip, left = done, c.points
    grants: dict[int, tuple[DateTime | None, int]] = {}
    forfeited = 0
    for part in reversed(rec.consumed):
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
    new = attrs.evolve(new, reversed_points=new.reversed_points.set(c.spend_id, done + c.points))
    ev = PointsReturned(
        c.id, s.member_id, c.spend_id, c.points, c.points - forfeited, forfeited, settled
    )
    return new, _Record(c, (ev,), c.points)


def _sweep(s: PointsLedger, c: Sweep, now: DateTime) -> _Result:
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
    return new, _Record(c, events, sum(e.points for e in events))


_HANDLERS: Final[dict[type[Any], Any]] = {
    Earn: _earn,
    Spend: _spend,
    Adjust: _adjust,
    TakeBack: _take_back,
    ReturnSpent: _return_spent,
    Sweep: _sweep,
}
