"""The member's coupon wallet (卡包) as a state machine, and the total quota of a template.

Theory of operation
-------------------
A `Wallet` holds one member's claimed coupons, each in exactly one status.
Legality is the table `TRANSITIONS`, keyed by ``(status, command type)``
(``None`` is "no coupon with this id yet"); ``handle`` looks it up before
any business check, and a pair missing from it is refused with a reason::

    (new)     --ClaimCoupon-->   AVAILABLE
    AVAILABLE --LockCoupon--->   LOCKED     (an unpaid order holds it)
    LOCKED    --UnlockCoupon->   AVAILABLE  (the order was cancelled / timed out)
    LOCKED    --UseCoupon---->   USED       (the holding order was paid)
    AVAILABLE --UseCoupon---->   USED       (paid without a lock)
    USED      --ReturnCoupon->   AVAILABLE  (full refund; see below)
    AVAILABLE --ExpireCoupons->  EXPIRED    (validity over)

After the table come the business checks, each a `Rejected` with its own
reason: a claim within the per-member limit, paid at the sale price if the
coupon is sold (1元购100元券), before the template's validity is over;
lock and a direct use only while the coupon is valid at ``now`` (not before
its start, not after its end); unlock and use of a LOCKED coupon only by the
order holding it; return only by the order that used it. A return lands the
coupon in AVAILABLE; when its validity is already over the expire row
applies in the same outcome (AVAILABLE -> EXPIRED) and `CouponReturned`
says EXPIRED. Expiry of untouched coupons is the explicit `ExpireCoupons`
command, which the host sends (from its delay queue or a nightly job); no
other command changes a coupon's status on the side.

* **claim**: the per-member limit counts every coupon of the template ever
  claimed into this wallet (returned, used and expired ones included). A
  template with a ``total_quota`` is claimed through `claim_coupon`, which
  also holds the `CouponQuota` (the count across all members); claiming it
  with `Wallet.handle` alone raises, because the wallet cannot see other
  members' claims. Reusing a coupon id raises too: both are host bugs.
* **lock** again for the order already holding the coupon is refused
  (``coupon.locked``): a host retry must reuse the original command id,
  which replays the original outcome.

Every command has an ``id`` and the wallet keeps a `CommandLog` of the ones
it accepted: replaying one returns ``Accepted`` with the events it
produced and the current wallet unchanged, also after the host saved the
wallet as JSON and loaded it back; the same id with other content raises
`IdConflictError`. A rejected command leaves no trace, so retrying it is
decided afresh. `PruneLog` forgets ids accepted more than its
``retention_days`` (default 30) before ``now``.

Cost: coupons, claim counts and the log are persistent maps (`PMap`), so a
command copies a small leaf, never the whole wallet.

Invariants (tested by a hypothesis state machine against a model): a coupon
is never used twice without a return in between; every claimed coupon is in
exactly one status; a coupon id not in this wallet (another member's) is
rejected; the quota is never exceeded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.windows import DateTime, aware
from sirui.promotions.base import Coupon, CouponTemplate
from sirui.rules.commandlog import NOT_IN_TABLE, CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "TRANSITIONS",
    "ClaimCoupon",
    "Claimed",
    "CouponClaimed",
    "CouponExpired",
    "CouponLocked",
    "CouponQuota",
    "CouponReturned",
    "CouponStatus",
    "CouponUnlocked",
    "CouponUsed",
    "ExpireCoupons",
    "LockCoupon",
    "ReturnCoupon",
    "UnlockCoupon",
    "UseCoupon",
    "Wallet",
    "WalletCommand",
    "WalletEntry",
    "WalletOutcome",
    "claim_coupon",
]


class CouponStatus(enum.Enum):
    """Where a claimed coupon is in its life."""

    AVAILABLE = "available"
    """In the wallet, usable while valid (可用)."""
    LOCKED = "locked"
    """Held by an unpaid order (已锁定)."""
    USED = "used"
    """Spent on a paid order (已使用)."""
    EXPIRED = "expired"
    """Validity over, never used (已过期)."""


NOT_IN_WALLET = reason_code(
    "coupon.not_in_wallet",
    zh="优惠券{coupon}不在该会员的卡包中",
    en="Coupon {coupon} is not in this member's wallet",
)
ALREADY_USED = reason_code(
    "coupon.already_used", zh="优惠券{coupon}已使用", en="Coupon {coupon} has already been used"
)
LOCKED_BY_OTHER = reason_code(
    "coupon.locked",
    zh="优惠券{coupon}已被订单{order}占用",
    en="Coupon {coupon} is held by order {order}",
)
NOT_LOCKED_BY = reason_code(
    "coupon.not_locked_by_order",
    zh="优惠券{coupon}未被订单{order}占用",
    en="Coupon {coupon} is not held by order {order}",
)
NOT_USED_BY = reason_code(
    "coupon.not_used_by_order",
    zh="优惠券{coupon}未用于订单{order}",
    en="Coupon {coupon} was not used on order {order}",
)
WALLET_EXPIRED = reason_code(
    "coupon.wallet_expired", zh="优惠券{coupon}已过期", en="Coupon {coupon} has expired"
)
NOT_STARTED = reason_code(
    "coupon.not_started", zh="优惠券{coupon}尚未生效", en="Coupon {coupon} is not valid yet"
)
LIMIT_REACHED = reason_code(
    "coupon.member_limit_reached",
    zh="每人限领{limit}张",
    en="Limit of {limit} per member reached",
)
QUOTA_EXHAUSTED = reason_code(
    "coupon.quota_exhausted", zh="优惠券已领完（共{quota}张）", en="All {quota} coupons are claimed"
)
PAYMENT_MISMATCH = reason_code(
    "coupon.payment_mismatch",
    zh="该券售价{price}，实付{paid}",
    en="The coupon sells for {price}; paid {paid}",
)
CLAIM_CLOSED = reason_code(
    "coupon.claim_closed",
    zh="优惠券有效期已结束，无法领取",
    en="The coupon's validity is over; it can no longer be claimed",
)


# -- commands ---------------------------------------------------------------------------


def _cmd_id(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise invalid(attribute.name, value, "must be a non-empty string", cls=InvalidValueError)


@attrs.frozen(slots=True)
class ClaimCoupon:
    """Claim a coupon of ``template`` as ``coupon_id`` (领券); ``paid`` for a sold coupon."""

    id: str = attrs.field(validator=_cmd_id)
    coupon_id: str = attrs.field(validator=_cmd_id)
    template: CouponTemplate
    paid: Money | None = None


@attrs.frozen(slots=True)
class LockCoupon:
    """An unpaid order ``order_id`` holds the coupon (下单锁券)."""

    id: str = attrs.field(validator=_cmd_id)
    coupon_id: str = attrs.field(validator=_cmd_id)
    order_id: str = attrs.field(validator=_cmd_id)


@attrs.frozen(slots=True)
class UnlockCoupon:
    """The order was cancelled or timed out: release the coupon (取消订单退券)."""

    id: str = attrs.field(validator=_cmd_id)
    coupon_id: str = attrs.field(validator=_cmd_id)
    order_id: str = attrs.field(validator=_cmd_id)


@attrs.frozen(slots=True)
class UseCoupon:
    """The order was paid: the coupon is spent (核销)."""

    id: str = attrs.field(validator=_cmd_id)
    coupon_id: str = attrs.field(validator=_cmd_id)
    order_id: str = attrs.field(validator=_cmd_id)


@attrs.frozen(slots=True)
class ReturnCoupon:
    """The order was fully refunded: give the coupon back if still valid (退券)."""

    id: str = attrs.field(validator=_cmd_id)
    coupon_id: str = attrs.field(validator=_cmd_id)
    order_id: str = attrs.field(validator=_cmd_id)


@attrs.frozen(slots=True)
class ExpireCoupons:
    """Expire every available coupon whose validity has ended at ``now``."""

    id: str = attrs.field(validator=_cmd_id)


WalletCommand: TypeAlias = (
    ClaimCoupon | LockCoupon | UnlockCoupon | UseCoupon | ReturnCoupon | ExpireCoupons
)
_Move: TypeAlias = LockCoupon | UnlockCoupon | UseCoupon | ReturnCoupon

_COMMANDS: Final = (
    ClaimCoupon, LockCoupon, UnlockCoupon, UseCoupon, ReturnCoupon, ExpireCoupons, PruneLog,
)

_A, _L, _U, _E = (CouponStatus.AVAILABLE, CouponStatus.LOCKED, CouponStatus.USED,
                  CouponStatus.EXPIRED)

#: ``(status, command type) -> status after acceptance``; ``None``: no such coupon yet.
#: A pair missing here is refused with a reason before any business check.
TRANSITIONS: Final[dict[tuple[CouponStatus | None, type[Any]], CouponStatus]] = {
    (None, ClaimCoupon): _A,
    (_A, LockCoupon): _L,
    (_L, UnlockCoupon): _A,
    (_L, UseCoupon): _U,
    (_A, UseCoupon): _U,
    (_U, ReturnCoupon): _A,
    (_A, ExpireCoupons): _E,
}

# -- events -----------------------------------------------------------------------------


@attrs.frozen(slots=True)
class CouponClaimed(Event):
    member_id: str
    coupon_id: str
    template_id: str
    valid_from: DateTime
    valid_until: DateTime | None
    paid: Money | None = None


@attrs.frozen(slots=True)
class CouponLocked(Event):
    member_id: str
    coupon_id: str
    order_id: str


@attrs.frozen(slots=True)
class CouponUnlocked(Event):
    member_id: str
    coupon_id: str
    order_id: str


@attrs.frozen(slots=True)
class CouponUsed(Event):
    member_id: str
    coupon_id: str
    order_id: str


@attrs.frozen(slots=True)
class CouponReturned(Event):
    member_id: str
    coupon_id: str
    order_id: str
    status: CouponStatus
    """AVAILABLE if still valid, else EXPIRED."""


@attrs.frozen(slots=True)
class CouponExpired(Event):
    member_id: str
    coupon_id: str


_MOVE_EVENTS: Final[dict[type[Any], type[CouponLocked | CouponUnlocked | CouponUsed]]] = {
    LockCoupon: CouponLocked,
    UnlockCoupon: CouponUnlocked,
    UseCoupon: CouponUsed,
}

# -- state ------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class WalletEntry:
    """A coupon in the wallet, its status and the order holding or using it."""

    coupon: Coupon
    status: CouponStatus = CouponStatus.AVAILABLE
    order_id: str | None = None


def _pmap(value: Mapping[str, Any] | PMap[str, Any]) -> PMap[str, Any]:
    """A persistent map of ``value`` (hosts may build a wallet from plain dicts)."""
    if isinstance(value, PMap):
        return value
    out: PMap[str, Any] = PMap()
    for k, v in value.items():
        out = out.set(k, v)
    return out


def _entries() -> PMap[str, WalletEntry]:
    return PMap()


def _counts() -> PMap[str, int]:
    return PMap()


WalletOutcome: TypeAlias = Accepted["Wallet"] | Rejected["Wallet"]


@attrs.frozen(slots=True, unsafe_hash=False)
class Wallet:
    """One member's coupons (会员卡包). Build with ``Wallet("m1")``; change with `handle`.

    Two wallets are equal when their member, coupons, claim counts and
    command logs are; a wallet holds maps, so it is not hashable.
    """

    member_id: str = attrs.field(validator=_cmd_id)
    entries: PMap[str, WalletEntry] = attrs.field(factory=_entries, converter=_pmap)
    claimed: PMap[str, int] = attrs.field(factory=_counts, converter=_pmap)
    """Coupons ever claimed per template id (for the per-member limit)."""
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    # -- queries --------------------------------------------------------------------------

    def status_of(self, coupon_id: str) -> CouponStatus | None:
        entry = self.entries.get(coupon_id)
        return None if entry is None else entry.status

    def coupons(self, status: CouponStatus | None = None) -> tuple[Coupon, ...]:
        """Coupons in ``status`` (all when None), by coupon id."""
        return tuple(
            # equivalent mutants: ids are unique, so sorting the pairs sorts by id anyway
            e.coupon for _, e in sorted(self.entries.items(), key=_by_id)  # pragma: no mutate
            if status is None or e.status is status
        )

    def available(self, now: DateTime) -> tuple[Coupon, ...]:
        """AVAILABLE coupons valid at ``now``: what the checkout may choose from."""
        now = aware(now)
        return tuple(
            # equivalent mutants: ids are unique, so sorting the pairs sorts by id anyway
            e.coupon for _, e in sorted(self.entries.items(), key=_by_id)  # pragma: no mutate
            if e.status is CouponStatus.AVAILABLE and e.coupon.valid.contains(now)
        )

    def claimed_count(self, template_id: str) -> int:
        return self.claimed.get(template_id, 0) or 0  # pragma: no mutate (equivalent: `or 0`)

    # -- commands -------------------------------------------------------------------------

    def handle(self, command: WalletCommand | PruneLog, *, now: DateTime) -> WalletOutcome:
        """Apply ``command`` at ``now``: Accepted(new wallet, events) or Rejected(reason)."""
        now = aware(now)
        if not isinstance(command, _COMMANDS):
            raise InvalidCommandError(
                f"command={command!r}: a Wallet takes ClaimCoupon, LockCoupon, UnlockCoupon, "
                "UseCoupon, ReturnCoupon, ExpireCoupons or PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now)
            return Accepted(Wallet(self.member_id, self.entries, self.claimed, log), pruned)
        if isinstance(command, ClaimCoupon):
            _check_no_quota(command)
            return self._claim(command, now)
        if isinstance(command, ExpireCoupons):
            return self._expire(command, now)
        return self._move(command, now)

    def _accept(
        self,
        command: WalletCommand,
        events: tuple[Any, ...],
        now: DateTime,
        entries: PMap[str, WalletEntry] | None = None,
        claimed: PMap[str, int] | None = None,
    ) -> Accepted[Wallet]:
        new = Wallet(
            self.member_id,
            # equivalent mutants: every caller passes entries
            self.entries if entries is None else entries,  # pragma: no mutate
            self.claimed if claimed is None else claimed,
            self.log.record(command, events, now),
        )
        return Accepted(new, events)

    def _claim(self, cmd: ClaimCoupon, now: DateTime) -> WalletOutcome:
        if cmd.coupon_id in self.entries:
            raise InvalidCommandError(
                f"coupon_id={cmd.coupon_id!r} is already in wallet {self.member_id!r}; "
                "give every claimed coupon its own id"
            )
        status = TRANSITIONS[(None, ClaimCoupon)]
        reason = self.claim_refusal(cmd, now)
        if reason is not None:
            return Rejected(reason, self)
        t = cmd.template
        coupon = Coupon.claimed(cmd.coupon_id, t, self.member_id, now)
        # equivalent mutants: a WalletEntry starts AVAILABLE, which is `status`
        entries = self.entries.set(coupon.id, WalletEntry(coupon, status))  # pragma: no mutate
        claimed = self.claimed.set(t.id, self.claimed_count(t.id) + 1)
        event = CouponClaimed(
            self.member_id, coupon.id, t.id, coupon.valid.start, coupon.valid.end, cmd.paid
        )
        return self._accept(cmd, (event,), now, entries, claimed)

    def claim_refusal(self, cmd: ClaimCoupon, now: DateTime) -> Reason | None:
        """Why the wallet refuses ``cmd`` (limit, payment, validity over), or None."""
        t = cmd.template
        limit = t.per_member_limit
        if limit is not None and self.claimed_count(t.id) >= limit:
            return LIMIT_REACHED(limit=limit)
        price = t.sale_price
        if price is not None and price.is_positive() and cmd.paid != price:
            return PAYMENT_MISMATCH(price=price, paid=cmd.paid or Money.zero(price.currency))
        if (price is None or price.is_zero()) and cmd.paid is not None and cmd.paid.is_positive():
            return PAYMENT_MISMATCH(price=Money.zero(cmd.paid.currency), paid=cmd.paid)
        if t.validity.window_for(now).is_before(now):
            return CLAIM_CLOSED()
        return None

    def _move(self, cmd: _Move, now: DateTime) -> WalletOutcome:
        entry = self.entries.get(cmd.coupon_id)
        target = transition(TRANSITIONS, None if entry is None else entry.status, cmd)
        if entry is None or target is None:
            return Rejected(_miss(entry, cmd), self)
        reason = _refusal(entry, cmd, now)
        if reason is not None:
            return Rejected(reason, self)
        event, moved = _moved(self.member_id, entry, target, cmd, now)
        return self._accept(cmd, (event,), now, self.entries.set(cmd.coupon_id, moved))

    def _expire(self, cmd: ExpireCoupons, now: DateTime) -> WalletOutcome:
        entries, events = self.entries, []
        # equivalent mutants: ids are unique, so sorting the pairs sorts by id anyway
        for cid, e in sorted(self.entries.items(), key=_by_id):  # pragma: no mutate
            target = transition(TRANSITIONS, e.status, cmd)
            if target is None or not e.coupon.valid.is_before(now):
                continue
            # pragma: no mutate start (equivalent: only AVAILABLE coupons, holding no order, expire)
            entries = entries.set(cid, WalletEntry(e.coupon, target, e.order_id))
            # pragma: no mutate end
            events.append(CouponExpired(self.member_id, cid))
        return self._accept(cmd, tuple(events), now, entries)


def _by_id(item: tuple[str, WalletEntry]) -> str:
    return item[0]


def _check_no_quota(cmd: ClaimCoupon) -> None:
    quota = cmd.template.total_quota
    if quota is not None:
        raise InvalidCommandError(
            f"template={cmd.template.id!r} has total_quota={quota}; claim it through "
            "claim_coupon(quota, wallet, command, now=...) so the quota is kept"
        )


def _miss(entry: WalletEntry | None, cmd: _Move) -> Reason:
    """Why the table has no row for ``cmd`` on ``entry``, as specific as it can say."""
    cid = cmd.coupon_id
    if entry is None:
        return NOT_IN_WALLET(coupon=cid)
    status = entry.status
    if isinstance(cmd, ReturnCoupon):
        return NOT_USED_BY(coupon=cid, order=cmd.order_id)
    if status is _U:
        return ALREADY_USED(coupon=cid)
    if status is _E:
        return WALLET_EXPIRED(coupon=cid)
    if isinstance(cmd, UnlockCoupon):
        return NOT_LOCKED_BY(coupon=cid, order=cmd.order_id)
    # equivalent mutants: with the table as it is, only a lock reaches here on LOCKED
    if isinstance(cmd, LockCoupon) and status is _L:  # pragma: no mutate
        # Locking again for the order already holding it is refused too: a host
        # retry reuses the original command id, which replays the lock.
        return LOCKED_BY_OTHER(coupon=cid, order=entry.order_id)
    # unreachable with the table as it is (every other pair is a row or named above)
    return NOT_IN_TABLE(state=status.value, command=type(cmd).__name__)  # pragma: no mutate


def _refusal(entry: WalletEntry, cmd: _Move, now: DateTime) -> Reason | None:
    """The business checks once the table allowed ``cmd``: validity and the order."""
    cid = cmd.coupon_id
    if entry.status is _A:  # lock, or use without a lock: the coupon must be valid now
        valid = entry.coupon.valid
        if valid.is_after(now):
            return NOT_STARTED(coupon=cid)
        if valid.is_before(now):
            return WALLET_EXPIRED(coupon=cid)
        return None
    if entry.order_id == cmd.order_id:  # LOCKED or USED, by this very order
        return None
    if isinstance(cmd, UnlockCoupon):
        return NOT_LOCKED_BY(coupon=cid, order=cmd.order_id)
    if isinstance(cmd, ReturnCoupon):
        return NOT_USED_BY(coupon=cid, order=cmd.order_id)
    return LOCKED_BY_OTHER(coupon=cid, order=entry.order_id)


def _moved(
    member_id: str, entry: WalletEntry, target: CouponStatus, cmd: _Move, now: DateTime
) -> tuple[Event, WalletEntry]:
    """The event and the new entry for an allowed ``cmd`` reaching ``target``."""
    cid, order = cmd.coupon_id, cmd.order_id
    event: Event
    if isinstance(cmd, ReturnCoupon):
        if entry.coupon.valid.is_before(now):
            # Back in AVAILABLE with its validity over: the expire row applies at once.
            target = TRANSITIONS[(target, ExpireCoupons)]
        event = CouponReturned(member_id, cid, order, target)
    else:
        event = _MOVE_EVENTS[type(cmd)](member_id, cid, order)
    return event, WalletEntry(entry.coupon, target, None if target is _A else order)


# -- total quota ------------------------------------------------------------------------


@attrs.frozen(slots=True, unsafe_hash=False)
class CouponQuota:
    """Coupons issued per template across all members (发放总量).

    A small state the host keeps next to its templates; `claim_coupon`
    checks and advances it together with the wallet.
    """

    issued: PMap[str, int] = attrs.field(factory=_counts, converter=_pmap)

    def issued_of(self, template_id: str) -> int:
        return self.issued.get(template_id, 0) or 0  # pragma: no mutate (equivalent: `or 0`)

    def remaining(self, template: CouponTemplate) -> int | None:
        """Coupons of ``template`` still claimable (None: no total quota)."""
        if template.total_quota is None:
            return None
        return max(template.total_quota - self.issued_of(template.id), 0)


@attrs.frozen(slots=True)
class Claimed:
    """The two states a quota-checked claim changes together."""

    quota: CouponQuota
    wallet: Wallet


def claim_coupon(
    quota: CouponQuota, wallet: Wallet, command: ClaimCoupon, *, now: DateTime
) -> Accepted[Claimed] | Rejected[Claimed]:
    """Claim with the template's total quota and the member's limit checked together.

    A replay of an accepted claim returns the same events and leaves both
    states as they are (the quota is not counted twice); the wallet's log
    is the one that remembers it.
    """
    now = aware(now)
    if not isinstance(command, ClaimCoupon):
        raise InvalidCommandError(f"command={command!r}: claim_coupon takes a ClaimCoupon")
    both = Claimed(quota, wallet)
    replay = wallet.log.replay(both, command)
    if replay is not None:
        return replay
    t = command.template
    # The member's own limit first: "you already have one" says more than "all gone".
    refusal = wallet.claim_refusal(command, now)
    if refusal is not None:
        return Rejected(refusal, both)
    left = quota.remaining(t)
    if left is not None and left <= 0:
        assert t.total_quota is not None
        return Rejected(QUOTA_EXHAUSTED(quota=t.total_quota), both)
    out = wallet._claim(command, now)
    # unreachable: claim_refusal above already said no; kept for the type checker
    if isinstance(out, Rejected):  # pragma: no mutate
        return Rejected(out.reason, both)  # pragma: no mutate
    issued = CouponQuota(quota.issued.set(t.id, quota.issued_of(t.id) + 1))
    return Accepted(Claimed(issued, out.state), out.events)
