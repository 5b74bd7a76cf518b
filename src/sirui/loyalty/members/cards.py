"""Paid membership cards (付费会员卡): plans, purchase, renewal, refund, expiry, coupon packs.

Theory of operation: a `PaidCard` is a frozen state the host stores per card
id. ``card.handle(command, now=...)`` returns ``Accepted(card, events)`` or
``Rejected(reason, card)`` (the very same card, nothing recorded).

Transitions are the table `TRANSITIONS` from ``(status, trigger)`` to the
status after it; the trigger is a command type, or `END_PASSED`, the clock.
The table is read with the card's status *at now*: an ``ACTIVE`` or
``TRIAL`` card whose end has passed is ``EXPIRED`` whether or not the host
has sent `ExpireCard` yet. A pair missing from the table is refused
(``card.not_allowed`` naming the status; ``card.already_active`` for a
purchase of an active card, ``card.not_ended`` for an expiry before the
end). Business checks (refund rules, coupon periods, the trial) come after.

Expiry is a change of state, so it is only ever part of an ``Accepted``
outcome: the host's delay queue sends `ExpireCard` at ``ends_at`` and gets
`CardExpired`; a command accepted on a card whose end passed before the
host sent it carries `CardExpired` first (a renewal then starts a new run);
a refused command changes nothing, expiry included.

```text
NEW --PurchaseCard--> ACTIVE --RenewCard--> ACTIVE (end extended from the current end)
NEW --StartTrial--> TRIAL --PurchaseCard--> ACTIVE
ACTIVE/TRIAL --(end passes)--> EXPIRED --RenewCard|PurchaseCard--> ACTIVE (new run from now)
ACTIVE --RefundCard--> REFUNDED (terminal)
```

A *run* is an unbroken stretch of paid membership: its ``anchor`` is where
it started and its end is ``anchor + months + days``: a plan of calendar
months (``period_months``) adds months counted from the anchor, so renewing
a card bought on 31 January never drifts; a plan of days (``duration_days``,
e.g. 365) adds days, so each renewal adds exactly that many days to the
current end, leap years or not. Refund rules and coupon-pack periods are
counted within the run.

Invariants: commands are idempotent by id through the card's `CommandLog`
(a replay of an accepted command returns its original events and changes
nothing, also after the host saved and reloaded the card; the same id with
other content raises `IdConflictError`; a rejected command left no trace, so
retrying it is judged afresh), so a card bought twice with the same purchase
id is bought once; `PruneLog` forgets ids older than the plan's
``log_retention_days``. A second purchase of an active card under a new id
is rejected (renew it instead); a refund never exceeds what the run paid and
is never negative; each coupon-pack period grants at most one pack.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import (
    non_empty_str,
    non_negative_int,
    non_negative_money,
    opt_aware_datetime,
    opt_non_negative_money,
    opt_positive_int,
    positive_int,
)
from sirui.core.windows import DateTime, Window, aware
from sirui.core.zh import zh_datetime
from sirui.loyalty.members._card_messages import (
    CardBenefitUsed,
    CardCommand,
    CardExpired,
    CardPurchased,
    CardRefunded,
    CardRenewed,
    CardTrialStarted,
    ClaimCouponPack,
    CouponPackGranted,
    ExpireCard,
    PurchaseCard,
    RecordBenefitUse,
    RefundCard,
    RenewCard,
    StartTrial,
)
from sirui.loyalty.members.perks import Perks
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Outcome, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "END_PASSED",
    "TRANSITIONS",
    "CardBenefitUsed",
    "CardCommand",
    "CardExpired",
    "CardPlan",
    "CardPurchased",
    "CardRefundRule",
    "CardRefunded",
    "CardRenewed",
    "CardStatus",
    "CardTrialStarted",
    "ClaimCouponPack",
    "CouponPackGranted",
    "ExpireCard",
    "PaidCard",
    "PurchaseCard",
    "RecordBenefitUse",
    "RefundCard",
    "RefundMode",
    "RenewCard",
    "StartTrial",
]

NOT_ALLOWED = reason_code(
    "card.not_allowed",
    zh="会员卡{status_zh}，不能{action_zh}",
    en="Cannot {action} a {status} card",
)
ALREADY_ACTIVE = reason_code(
    "card.already_active", zh="会员卡已生效，请续费", en="Card is already active; renew it instead"
)
NO_TRIAL = reason_code("card.no_trial", zh="该会员卡不提供试用", en="This plan has no trial")
NOT_REFUNDABLE = reason_code("card.not_refundable", zh="该会员卡不支持退款", en="Not refundable")
REFUND_WINDOW_PASSED = reason_code(
    "card.refund_window_passed",
    zh="已超过{days}天无理由退款期",
    en="The {days}-day refund window has passed",
)
BENEFITS_USED = reason_code(
    "card.benefits_used", zh="已使用会员权益，不可全额退款", en="Benefits were used; no full refund"
)
NOT_ENDED = reason_code(
    "card.not_ended", zh="会员卡{until_zh}到期", en="Card runs until {until}"
)
ALREADY_EXPIRED = reason_code(
    "card.already_expired", zh="会员卡已于{at_zh}到期", en="The card already expired at {at}"
)
NO_PACK = reason_code(
    "card.no_coupon_pack", zh="该会员卡无月度券包", en="This plan has no coupon pack"
)
PACK_CLAIMED = reason_code(
    "card.pack_claimed",
    zh="本期券包已领取，{next_zh}起可领下期",
    en="Claimed; next pack from {next}",
)
REFUNDED_FULL = reason_code("card.refunded_full", zh="全额退款{amount}", en="Full refund {amount}")
REFUNDED_PRO_RATA = reason_code(
    "card.refunded_pro_rata",
    zh="按剩余时长退款{amount}（已扣权益{used}）",
    en="Pro-rata refund {amount} (benefits used {used} deducted)",
)


#: ``CardPlan.period_months`` when a plan does not set it.
_DEFAULT_MONTHS: Final = 12
#: The longest ``duration_days`` (ten years): longer is a typo.
_MAX_DAYS: Final = 3660


class RefundMode(enum.Enum):
    FULL_WITHIN_DAYS = "full_within_days"
    """Full refund within ``within_days`` of the latest payment if no benefit was used
    (N天无理由退款)."""
    PRO_RATA = "pro_rata"
    """Refund the unused share of the run, minus the value of benefits used (按比例退)."""
    NONE = "none"
    """No refund (不支持退款)."""


@policy("card.refund")
@attrs.frozen(slots=True)
class CardRefundRule:
    """退款规则 of a card plan."""

    mode: RefundMode = RefundMode.FULL_WITHIN_DAYS
    within_days: int = attrs.field(default=7, validator=non_negative_int)


@policy("card.plan")
@attrs.frozen(slots=True)
class CardPlan:
    """付费会员卡方案: e.g. an annual card at ¥99, 12 months, free shipping, 95折.

    A purchase or renewal buys ``period_months`` calendar months, or, when
    ``duration_days`` is set (365天卡), that many days instead; a plan sets
    one of the two (``period_months`` stays at its default with
    ``duration_days``). ``coupon_pack`` is a coupon template granted once per
    ``coupon_pack_every_months`` months of the run (月度券包), each claim
    counting ``coupon_pack_value`` as a benefit used (for refunds).
    """

    code: str = attrs.field(validator=non_empty_str)
    price: Money = attrs.field(validator=non_negative_money)
    period_months: int = attrs.field(default=12, validator=positive_int)
    name: str = ""
    trial_days: int = attrs.field(default=0, validator=non_negative_int)
    perks: Perks = attrs.field(factory=Perks)
    coupon_pack: str | None = None
    coupon_pack_every_months: int = attrs.field(default=1, validator=positive_int)
    coupon_pack_value: Money | None = attrs.field(default=None, validator=opt_non_negative_money)
    refund: CardRefundRule = attrs.field(factory=CardRefundRule)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """How long a card remembers accepted command ids for replays (`PruneLog`)."""
    duration_days: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Days each purchase or renewal buys (e.g. 365), instead of ``period_months``."""

    def __attrs_post_init__(self) -> None:
        if self.coupon_pack_value is not None and (
            self.coupon_pack_value.currency != self.price.currency
        ):
            raise invalid(
                "coupon_pack_value", self.coupon_pack_value, "currency differs from price"
            )
        if self.duration_days is not None and self.period_months != _DEFAULT_MONTHS:
            raise invalid(
                "duration_days", self.duration_days,
                f"contradicts period_months={self.period_months}",
                "a plan runs either calendar months or days: drop one of the two",
            )
        if self.duration_days is not None and self.duration_days > _MAX_DAYS:
            raise invalid("duration_days", self.duration_days, f"must be <= {_MAX_DAYS}",
                          "e.g. 365 for a card that runs a year of days")

    @property
    def term(self) -> tuple[int, int]:
        """``(months, days)`` one purchase or renewal buys."""
        if self.duration_days is not None:
            return 0, self.duration_days
        return self.period_months, 0


class CardStatus(enum.Enum):
    NEW = "new"
    TRIAL = "trial"
    ACTIVE = "active"
    EXPIRED = "expired"
    REFUNDED = "refunded"


# -- state ------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class PaidCard:
    """One member's paid card (a state value). Build it with `PaidCard.new`."""

    card_id: str = attrs.field(validator=non_empty_str)
    member_id: str = attrs.field(validator=non_empty_str)
    plan: CardPlan
    status: CardStatus = CardStatus.NEW
    anchor: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    """Start of the current run (or of the trial)."""
    months: int = 0
    """Months paid in the current run."""
    days: int = attrs.field(default=0, validator=non_negative_int)
    """Days paid in the current run (plans with ``duration_days``)."""
    ends_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    last_paid_at: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    run_paid: Money = attrs.field(default=Money.ZERO, validator=non_negative_money)
    total_paid: Money = attrs.field(default=Money.ZERO, validator=non_negative_money)
    benefits_used: Money = attrs.field(default=Money.ZERO, validator=non_negative_money)
    packs_claimed: frozenset[int] = frozenset()
    trial_used: bool = False
    log: CommandLog = attrs.field(factory=CommandLog)
    """The commands the card accepted, with their events (idempotency)."""

    @classmethod
    def new(cls, card_id: str, member_id: str, plan: CardPlan) -> PaidCard:
        zero = Money.zero(plan.price.currency)
        return cls(card_id, member_id, plan, run_paid=zero, total_paid=zero, benefits_used=zero)

    def is_active(self, now: DateTime) -> bool:
        """True while the card (or its trial) gives its perks at ``now``."""
        return (
            self.status in (CardStatus.ACTIVE, CardStatus.TRIAL)
            and self.ends_at is not None and aware(now) < self.ends_at
        )

    def status_at(self, now: DateTime) -> CardStatus:
        """The status at ``now``: ``EXPIRED`` once the end of an active card or trial passed."""
        if TRANSITIONS.get((self.status, END_PASSED)) is not None and (
            self.ends_at is not None and aware(now) >= self.ends_at
        ):
            return CardStatus.EXPIRED
        return self.status

    def handle(self, command: CardCommand | PruneLog, *, now: DateTime) -> Outcome[PaidCard]:
        """Apply ``command`` at ``now`` through `TRANSITIONS` (see the module docstring)."""
        now = aware(now)
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.plan.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        if type(command) not in _ACTIONS:
            raise InvalidCommandError(f"command={command!r}: not a card command")
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        card, settled = self._settle(now)
        if transition(TRANSITIONS, card.status, command) is None:
            return Rejected(_refusal(card, command), self)
        if type(command) is ExpireCard and not settled:
            assert card.ends_at is not None
            return Rejected(ALREADY_EXPIRED(at=card.ends_at, at_zh=zh_datetime(card.ends_at)), self)
        out = _HANDLERS[type(command)](card, command, now)
        if isinstance(out, Rejected):
            return Rejected(out.reason, self)
        events = (*settled, *out.events)
        new = attrs.evolve(out.state, log=self.log.record(command, events, now))
        return Accepted(new, events, out.reason)

    def _settle(self, now: DateTime) -> tuple[PaidCard, tuple[Event, ...]]:
        """The card at ``now`` with the clock's transition applied, and its event."""
        status = self.status_at(now)
        if status is self.status:
            return self, ()
        assert self.ends_at is not None
        return (attrs.evolve(self, status=status),
                (CardExpired(self.card_id, self.member_id, self.ends_at),))

    def coupon_period(self, now: DateTime) -> tuple[int, Window] | None:
        """The coupon-pack period of the run that contains ``now``, if the card is active."""
        if not self.is_active(now) or self.anchor is None or self.status is not CardStatus.ACTIVE:
            return None
        every = self.plan.coupon_pack_every_months
        k = 0
        while self.anchor.add(months=(k + 1) * every) <= now:
            k += 1
        start = self.anchor.add(months=k * every)
        end = self.anchor.add(months=(k + 1) * every)
        assert self.ends_at is not None
        return k, Window(start, min(end, self.ends_at))

    def refund_due(self, now: DateTime) -> Money | None:
        """What `RefundCard` would pay at ``now`` (``None`` if refused)."""
        out = _refund_amount(self, aware(now))
        return out if isinstance(out, Money) else None


# -- transitions ------------------------------------------------------------------------


def _price(card: PaidCard, price: Money | None) -> Money:
    p = card.plan.price if price is None else price
    if p.currency != card.plan.price.currency:
        raise invalid("price", p, f"currency differs from the plan's {card.plan.price.currency}")
    return p


def _run_end(anchor: DateTime, months: int, days: int) -> DateTime:
    """The end of a run of ``months`` calendar months and ``days`` days from ``anchor``.

    Months first, counted from the anchor (no drift); days then add to that end.
    """
    return anchor.add(months=months).add(days=days)


def _start_run(card: PaidCard, price: Money, now: DateTime) -> PaidCard:
    months, days = card.plan.term
    return attrs.evolve(
        card, status=CardStatus.ACTIVE, anchor=now, months=months, days=days,
        ends_at=_run_end(now, months, days), last_paid_at=now, run_paid=price,
        total_paid=card.total_paid + price, benefits_used=Money.zero(price.currency),
        packs_claimed=frozenset(),
    )


def _purchase(card: PaidCard, c: PurchaseCard, now: DateTime) -> Outcome[PaidCard]:
    new = _start_run(card, _price(card, c.price), now)
    assert new.ends_at is not None
    return Accepted(new, (CardPurchased(card.card_id, card.member_id, card.plan.code,
                                        new.run_paid, now, new.ends_at),))


def _renew(card: PaidCard, c: RenewCard, now: DateTime) -> Outcome[PaidCard]:
    price = _price(card, c.price)
    if card.status is CardStatus.EXPIRED:
        new = _start_run(card, price, now)
    else:
        assert card.anchor is not None
        more_months, more_days = card.plan.term
        months, days = card.months + more_months, card.days + more_days
        new = attrs.evolve(
            card, months=months, days=days, ends_at=_run_end(card.anchor, months, days),
            last_paid_at=now, run_paid=card.run_paid + price, total_paid=card.total_paid + price,
        )
    assert new.ends_at is not None
    return Accepted(new, (CardRenewed(card.card_id, card.member_id, price, new.ends_at),))


def _trial(card: PaidCard, c: StartTrial, now: DateTime) -> Outcome[PaidCard]:
    if card.plan.trial_days == 0 or card.trial_used:
        return Rejected(NO_TRIAL(), card)
    ends = now.add(days=card.plan.trial_days)
    new = attrs.evolve(card, status=CardStatus.TRIAL, anchor=now, ends_at=ends, trial_used=True)
    return Accepted(new, (CardTrialStarted(card.card_id, card.member_id, ends),))


def _use(card: PaidCard, c: RecordBenefitUse, now: DateTime) -> Outcome[PaidCard]:
    used = card.benefits_used + c.value
    return Accepted(attrs.evolve(card, benefits_used=used),
                    (CardBenefitUsed(card.card_id, c.value, used),))


def _claim(card: PaidCard, c: ClaimCouponPack, now: DateTime) -> Outcome[PaidCard]:
    template = card.plan.coupon_pack
    if template is None:
        return Rejected(NO_PACK(), card)
    period = card.coupon_period(now)
    assert period is not None  # ACTIVE and settled, so the card is active at now
    k, window = period
    if k in card.packs_claimed:
        assert window.end is not None  # a run always ends
        return Rejected(PACK_CLAIMED(next=window.end, next_zh=zh_datetime(window.end)), card)
    value = card.plan.coupon_pack_value or Money.zero(card.plan.price.currency)
    new = attrs.evolve(card, packs_claimed=card.packs_claimed | {k},
                       benefits_used=card.benefits_used + value)
    return Accepted(new, (CouponPackGranted(card.card_id, card.member_id, template, k, window),))


def _refund_amount(card: PaidCard, now: DateTime) -> Money | Reason:
    """The refund at ``now``, or the rejection reason."""
    rule = card.plan.refund
    if card.status is not CardStatus.ACTIVE or not card.is_active(now):
        return _not_allowed(card.status, RefundCard)
    assert card.anchor is not None
    assert card.ends_at is not None
    assert card.last_paid_at is not None
    if rule.mode is RefundMode.NONE:
        return NOT_REFUNDABLE()
    if rule.mode is RefundMode.FULL_WITHIN_DAYS:
        if now >= card.last_paid_at.add(days=rule.within_days):
            return REFUND_WINDOW_PASSED(days=rule.within_days)
        if card.benefits_used.minor or card.packs_claimed:
            return BENEFITS_USED()
        return card.run_paid
    total_s = (card.ends_at - card.anchor).total_seconds()
    left_s = (card.ends_at - now).total_seconds()
    # Exact integer arithmetic on whole seconds; the shopper's share rounds down.
    unused = card.run_paid.minor * int(left_s) // int(total_s)
    return Money(max(unused - card.benefits_used.minor, 0), card.run_paid.currency)


def _refund(card: PaidCard, c: RefundCard, now: DateTime) -> Outcome[PaidCard]:
    amount = _refund_amount(card, now)
    if not isinstance(amount, Money):
        return Rejected(amount, card)
    if card.plan.refund.mode is RefundMode.FULL_WITHIN_DAYS:
        reason = REFUNDED_FULL(amount=amount)
    else:
        reason = REFUNDED_PRO_RATA(amount=amount, used=card.benefits_used)
    new = attrs.evolve(card, status=CardStatus.REFUNDED, ends_at=now)
    return Accepted(new, (CardRefunded(card.card_id, card.member_id, amount, reason),), reason)


def _expire(card: PaidCard, c: ExpireCard, now: DateTime) -> Outcome[PaidCard]:
    # The clock moved the card (its CardExpired comes from the settlement); this records it.
    return Accepted(card, ())


def _refusal(card: PaidCard, command: CardCommand) -> Reason:
    """Why ``command`` is not in the table for the card's status at now."""
    status, kind = card.status, type(command)
    if status is CardStatus.ACTIVE and kind is PurchaseCard:
        return ALREADY_ACTIVE()
    if kind is ExpireCard and status in (CardStatus.ACTIVE, CardStatus.TRIAL):
        assert card.ends_at is not None
        return NOT_ENDED(until=card.ends_at, until_zh=zh_datetime(card.ends_at))
    return _not_allowed(status, kind)


def _not_allowed(status: CardStatus, kind: type[Any]) -> Reason:
    """``card.not_allowed`` with the status and the action in English and in Chinese."""
    action, action_zh = _ACTIONS[kind]
    return NOT_ALLOWED(status=status.value, status_zh=_STATUS_ZH[status], action=action,
                       action_zh=action_zh)


_ACTIONS: dict[type[Any], tuple[str, str]] = {
    PurchaseCard: ("purchase", "开通"),
    RenewCard: ("renew", "续费"),
    StartTrial: ("start a trial", "试用"),
    RecordBenefitUse: ("use benefits", "使用权益"),
    ClaimCouponPack: ("claim a coupon pack", "领取券包"),
    RefundCard: ("refund", "退款"),
    ExpireCard: ("expire", "到期处理"),
}

_STATUS_ZH: Final[dict[CardStatus, str]] = {
    CardStatus.NEW: "尚未开通",
    CardStatus.TRIAL: "试用中",
    CardStatus.ACTIVE: "生效中",
    CardStatus.EXPIRED: "已过期",
    CardStatus.REFUNDED: "已退款",
}

_N, _A, _T, _E = CardStatus.NEW, CardStatus.ACTIVE, CardStatus.TRIAL, CardStatus.EXPIRED

#: The clock's trigger in `TRANSITIONS`: the card's (or trial's) end has passed.
END_PASSED: Final = "end_passed"

#: ``(status, command type or END_PASSED) -> status``; a missing pair is refused.
TRANSITIONS: Final[dict[tuple[CardStatus, Any], CardStatus]] = {
    (_N, PurchaseCard): _A,
    (_N, StartTrial): _T,
    (_T, PurchaseCard): _A,
    (_T, END_PASSED): _E,
    (_A, RenewCard): _A,
    (_A, RecordBenefitUse): _A,
    (_A, ClaimCouponPack): _A,
    (_A, RefundCard): CardStatus.REFUNDED,
    (_A, END_PASSED): _E,
    (_E, ExpireCard): _E,
    (_E, PurchaseCard): _A,
    (_E, RenewCard): _A,
}

_Transition: TypeAlias = Callable[[PaidCard, Any, DateTime], Outcome[PaidCard]]

_HANDLERS: Final[dict[type[Any], _Transition]] = {
    PurchaseCard: _purchase,
    RenewCard: _renew,
    StartTrial: _trial,
    RecordBenefitUse: _use,
    ClaimCouponPack: _claim,
    RefundCard: _refund,
    ExpireCard: _expire,
}
