"""The member's coupon wallet (卡包) as a state machine, and the total quota of a template.

Theory of operation
-------------------
A `Wallet` holds one member's claimed coupons, each in exactly one status::

    claim ──> AVAILABLE ──lock(order)──> LOCKED ──use(order)──> USED
                  ^  │                     │                      │
                  │  └──────use(order)─────┼──────────────────────┤
                  │                        │                      │
                  └──────unlock(order)─────┘                      │
                  └──────return(order), still valid ──────────────┘
    AVAILABLE ──expire (end of validity)──> EXPIRED
    USED ──return(order), validity over──> EXPIRED

* **claim**: a template's coupon enters the wallet as AVAILABLE, valid by the
  template's validity from the claim time. A sold coupon (1元购100元券)
  needs the payment of its ``sale_price``. The per-member limit counts every
  coupon of the template ever claimed into this wallet (returned or used
  ones included). A template with a ``total_quota`` is claimed through
  `claim_coupon`, which also holds the `CouponQuota` (the count across all
  members); claiming it with `Wallet.handle` alone raises, because the
  wallet cannot see other members' claims.
* **lock**: an unpaid order holds the coupon; it must be AVAILABLE and valid
  at ``now``. **unlock**: the order was cancelled or timed out; the coupon is
  AVAILABLE again. **use**: the order was paid (from LOCKED by the same
  order, or straight from AVAILABLE while valid). **return**: a full refund
  gives the coupon back if it is still valid, else it expires.
  **expire**: every AVAILABLE coupon whose validity has ended becomes
  EXPIRED (LOCKED ones wait for their order to be paid or cancelled).

Cost: a command copies the wallet's coupon and command maps (O(coupons +
commands of this member)); a wallet is one member's, so both stay small.
Hosts that keep years of history can start a fresh `Wallet` from the
current entries (``Wallet(member_id, entries, claimed)``) to drop old
command ids once replays of them can no longer arrive.

Every command has an ``id``. Replaying an accepted command returns the same
outcome (``Accepted`` with the events it produced, the current state
unchanged); the same id with different content raises `IdConflictError`.
A rejected command leaves no trace: retrying it evaluates it again.

Invariants (tested by a hypothesis state machine against a model): a coupon
is never used twice without a return in between; every claimed coupon is in
exactly one status; a coupon id not in this wallet (another member's) is
rejected; the quota is never exceeded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.windows import DateTime, aware
from sirui.promotions.base import Coupon, CouponTemplate
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


#: ``(status, action) -> new status``; a pair missing here is refused with a reason.
TRANSITIONS: Final[dict[tuple[CouponStatus, str], CouponStatus]] = {
    (CouponStatus.AVAILABLE, "lock"): CouponStatus.LOCKED,
    (CouponStatus.LOCKED, "unlock"): CouponStatus.AVAILABLE,
    (CouponStatus.LOCKED, "use"): CouponStatus.USED,
    (CouponStatus.AVAILABLE, "use"): CouponStatus.USED,
    (CouponStatus.USED, "return"): CouponStatus.AVAILABLE,
    (CouponStatus.USED, "return_expired"): CouponStatus.EXPIRED,
    (CouponStatus.AVAILABLE, "expire"): CouponStatus.EXPIRED,
}

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

_COMMANDS = (ClaimCoupon, LockCoupon, UnlockCoupon, UseCoupon, ReturnCoupon, ExpireCoupons)

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


# -- state ------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class WalletEntry:
    """A coupon in the wallet, its status and the order holding or using it."""

    coupon: Coupon
    status: CouponStatus = CouponStatus.AVAILABLE
    order_id: str | None = None


@attrs.frozen(slots=True)
class _Record:
    command: Any
    events: tuple[Any, ...]


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # A read-only view: hosts may read a wallet's entries but never change them.
    return MappingProxyType(dict(value))


WalletOutcome: TypeAlias = Accepted["Wallet"] | Rejected["Wallet"]


@attrs.frozen(slots=True, eq=False)
class Wallet:
    """One member's coupons (会员卡包). Build with ``Wallet("m1")``; change with `handle`."""

    member_id: str = attrs.field(validator=_cmd_id)
    entries: Mapping[str, WalletEntry] = attrs.field(factory=dict, converter=_frozen_map)
    claimed: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_map)
    """Coupons ever claimed per template id (for the per-member limit)."""
    log: Mapping[str, _Record] = attrs.field(factory=dict, converter=_frozen_map, repr=False)

    # -- queries --------------------------------------------------------------------------

    def status_of(self, coupon_id: str) -> CouponStatus | None:
        entry = self.entries.get(coupon_id)
        return None if entry is None else entry.status

    def coupons(self, status: CouponStatus | None = None) -> tuple[Coupon, ...]:
        """Coupons in ``status`` (all when None), by coupon id."""
        return tuple(
            e.coupon for _, e in sorted(self.entries.items())
            if status is None or e.status is status
        )

    def available(self, now: DateTime) -> tuple[Coupon, ...]:
        """AVAILABLE coupons valid at ``now``: what the checkout may choose from."""
        now = aware(now)
        return tuple(
            e.coupon for _, e in sorted(self.entries.items())
            if e.status is CouponStatus.AVAILABLE and e.coupon.valid.contains(now)
        )

    def claimed_count(self, template_id: str) -> int:
        return self.claimed.get(template_id, 0)

    # -- commands -------------------------------------------------------------------------

    def handle(self, command: WalletCommand, *, now: DateTime) -> WalletOutcome:
        """Apply ``command`` at ``now``: Accepted(new wallet, events) or Rejected(reason)."""
        now = aware(now)
        if not isinstance(command, _COMMANDS):
            raise InvalidCommandError(
                f"command={command!r}: a Wallet takes ClaimCoupon, LockCoupon, UnlockCoupon, "
                "UseCoupon, ReturnCoupon or ExpireCoupons"
            )
        replay = self._replay(command)
        if replay is not None:
            return replay
        if isinstance(command, ClaimCoupon):
            if command.template.total_quota is not None:
                raise InvalidCommandError(
                    f"template={command.template.id!r} has total_quota="
                    f"{command.template.total_quota}; claim it through "
                    "claim_coupon(quota, wallet, command, now=...) so the quota is kept"
                )
            return self._claim(command, now)
        if isinstance(command, ExpireCoupons):
            return self._expire(command, now)
        return self._move(command, now)

    def _replay(self, command: WalletCommand) -> WalletOutcome | None:
        record = self.log.get(command.id)
        if record is None:
            return None
        if record.command != command:
            raise IdConflictError(
                f"command id={command.id!r} was used for {record.command!r}; "
                f"now given {command!r}. Use a new id for a new command"
            )
        return Accepted(self, record.events)

    def _accept(
        self,
        command: WalletCommand,
        events: tuple[Any, ...],
        entries: dict[str, WalletEntry] | None = None,
        claimed: dict[str, int] | None = None,
    ) -> Accepted[Wallet]:
        log = dict(self.log)
        log[command.id] = _Record(command, events)
        new = Wallet(
            self.member_id,
            self.entries if entries is None else entries,
            self.claimed if claimed is None else claimed,
            log,
        )
        return Accepted(new, events)

    def _claim(self, cmd: ClaimCoupon, now: DateTime) -> WalletOutcome:
        t = cmd.template
        if cmd.coupon_id in self.entries:
            raise InvalidCommandError(
                f"coupon_id={cmd.coupon_id!r} is already in wallet {self.member_id!r}; "
                "give every claimed coupon its own id"
            )
        reason = self.claim_refusal(cmd, now)
        if reason is not None:
            return Rejected(reason, self)
        coupon = Coupon.claimed(cmd.coupon_id, t, self.member_id, now)
        entries = dict(self.entries)
        entries[coupon.id] = WalletEntry(coupon)
        claimed = dict(self.claimed)
        claimed[t.id] = claimed.get(t.id, 0) + 1
        event = CouponClaimed(
            self.member_id, coupon.id, t.id, coupon.valid.start, coupon.valid.end, cmd.paid
        )
        return self._accept(cmd, (event,), entries, claimed)

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

    def _move(
        self, cmd: LockCoupon | UnlockCoupon | UseCoupon | ReturnCoupon, now: DateTime
    ) -> WalletOutcome:
        entry = self.entries.get(cmd.coupon_id)
        if entry is None:
            return Rejected(NOT_IN_WALLET(coupon=cmd.coupon_id), self)
        reason = _refusal(entry, cmd, now)
        if reason is not None:
            return Rejected(reason, self)
        action, event = _action_and_event(self.member_id, entry, cmd, now)
        status = TRANSITIONS[(entry.status, action)]
        order_id = None if status is CouponStatus.AVAILABLE else cmd.order_id
        if status is CouponStatus.EXPIRED:
            order_id = entry.order_id
        entries = dict(self.entries)
        entries[cmd.coupon_id] = WalletEntry(entry.coupon, status, order_id)
        return self._accept(cmd, (event,), entries)

    def _expire(self, cmd: ExpireCoupons, now: DateTime) -> WalletOutcome:
        ended = [
            cid for cid, e in sorted(self.entries.items())
            if e.status is CouponStatus.AVAILABLE and e.coupon.valid.is_before(now)
        ]
        if not ended:
            return self._accept(cmd, ())
        entries = dict(self.entries)
        for cid in ended:
            e = entries[cid]
            entries[cid] = WalletEntry(e.coupon, TRANSITIONS[(e.status, "expire")], e.order_id)
        events = tuple(CouponExpired(self.member_id, cid) for cid in ended)
        return self._accept(cmd, events, entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Wallet):
            return NotImplemented
        return (self.member_id, self.entries, self.claimed) == (
            other.member_id, other.entries, other.claimed
        )

    def __hash__(self) -> int:
        return hash((self.member_id, len(self.entries)))


def _refusal(
    entry: WalletEntry, cmd: LockCoupon | UnlockCoupon | UseCoupon | ReturnCoupon, now: DateTime
) -> Reason | None:
    cid, status, order = cmd.coupon_id, entry.status, cmd.order_id
    if isinstance(cmd, ReturnCoupon):
        if status is CouponStatus.USED and entry.order_id == order:
            return None
        return NOT_USED_BY(coupon=cid, order=order)
    if status is CouponStatus.USED:
        return ALREADY_USED(coupon=cid)
    if status is CouponStatus.EXPIRED:
        return WALLET_EXPIRED(coupon=cid)
    if isinstance(cmd, UnlockCoupon):
        if status is CouponStatus.LOCKED and entry.order_id == order:
            return None
        return NOT_LOCKED_BY(coupon=cid, order=order)
    if status is CouponStatus.LOCKED:
        if entry.order_id != order:
            return LOCKED_BY_OTHER(coupon=cid, order=entry.order_id)
        # Locking again for the same order is a host retry with a new id: refuse
        # plainly; paying (use) the holding order is the normal path.
        return None if isinstance(cmd, UseCoupon) else LOCKED_BY_OTHER(coupon=cid, order=order)
    # AVAILABLE: lock and use need the coupon valid now.
    valid = entry.coupon.valid
    if valid.is_after(now):
        return NOT_STARTED(coupon=cid)
    if valid.is_before(now):
        return WALLET_EXPIRED(coupon=cid)
    return None


def _action_and_event(
    member_id: str,
    entry: WalletEntry,
    cmd: LockCoupon | UnlockCoupon | UseCoupon | ReturnCoupon,
    now: DateTime,
) -> tuple[str, Event]:
    cid, order = cmd.coupon_id, cmd.order_id
    if isinstance(cmd, LockCoupon):
        return "lock", CouponLocked(member_id, cid, order)
    if isinstance(cmd, UnlockCoupon):
        return "unlock", CouponUnlocked(member_id, cid, order)
    if isinstance(cmd, UseCoupon):
        return "use", CouponUsed(member_id, cid, order)
    if entry.coupon.valid.contains(now):
        return "return", CouponReturned(member_id, cid, order, CouponStatus.AVAILABLE)
    return "return_expired", CouponReturned(member_id, cid, order, CouponStatus.EXPIRED)


# -- total quota ------------------------------------------------------------------------


@attrs.frozen(slots=True, eq=True, hash=False)
class CouponQuota:
    """Coupons issued per template across all members (发放总量).

    A small state the host keeps next to its templates; `claim_coupon`
    checks and advances it together with the wallet.
    """

    issued: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_map)

    def issued_of(self, template_id: str) -> int:
        return self.issued.get(template_id, 0)

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
    states as they are (the quota is not counted twice).
    """
    now = aware(now)
    both = Claimed(quota, wallet)
    replay = wallet._replay(command)
    if replay is not None:
        return Accepted(both, replay.events)
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
    if not out.ok:
        return Rejected(out.reason, both)
    issued = dict(quota.issued)
    issued[t.id] = issued.get(t.id, 0) + 1
    return Accepted(Claimed(CouponQuota(issued), out.state), out.events)
