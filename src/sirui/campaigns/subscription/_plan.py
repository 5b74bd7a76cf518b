"""The subscription plan (周期购订单) as a state machine.

Theory of operation
-------------------
A member buys a `SubscriptionOffer` ("30 mornings of milk, 9折") and pays
for the whole plan at once; `start_plan` turns the paid `StartPlan` into a
`SubscriptionPlan`: N `Delivery` values, each with a local date in the
store's zone, its share of the price (allocated to the fen, largest
remainder) and a status. The host keeps the plan under one key and feeds
it commands with ``plan.handle(command, now=...)``; it persists the new
plan and the events in one transaction.

Two tables decide legality, both keyed by ``(status, command type)`` and
read before any business check: `PLAN_TRANSITIONS` for the plan's status
and `DELIVERY_TRANSITIONS` for the status of each delivery a command
touches. A miss is a `Rejected` whose reason names the status in words
(``subscription.ended``, ``subscription.paused``,
``subscription.delivery_state``)::

    plan:      (new) --StartPlan--> ACTIVE --PausePlan--> PAUSED --ResumePlan--> ACTIVE
               ACTIVE | PAUSED --(last open delivery closed: PlanEnded)--> ENDED
    delivery:  (new) --StartPlan--> SCHEDULED --MarkDeliveryDue--> DUE --MarkDelivered--> DELIVERED
               SCHEDULED --RefundDeliveries--> REFUNDED
               SCHEDULED --SkipDelivery | PostponeDelivery | PausePlan--> SCHEDULED (new date)

The business checks that follow: a SCHEDULED delivery can be changed
(skipped, postponed, paused, refunded) only before its cutoff,
``SubscriptionPolicy.cutoff_hours`` before its delivery time; the plan's
limits (``max_skips``, ``max_pause_days``, ``max_postpone_days``); a pause
starts today or later and covers at least one delivery.

Dates. Every change keeps the dates of the deliveries that are not
refunded strictly increasing, and never changes the number of deliveries:

* **skip** moves the delivery to the next cadence slot after its date
  (顺延), and each later delivery that would now fall on or before its
  predecessor moves to the next slot after that predecessor;
* **postpone** moves it to the member's later day, later ones along the
  same way;
* **pause** ``[start, start + days)`` moves the first delivery in the
  window to the first slot on or after its end, and the rest along; the plan
  is PAUSED until `ResumePlan`, which the host's scheduler sends on the
  pause's last day + 1 (refused before). While PAUSED, deliveries outside
  the window still come due and are delivered, and refunds are taken;
  skips, postpones and another pause wait for the resume.

Time changes nothing by itself: a delivery stays SCHEDULED past its cutoff
until the host sends `MarkDeliveryDue` (refused before the cutoff), and is
DELIVERED on `MarkDelivered`. Past its cutoff a SCHEDULED delivery is
locked all the same: it can no longer be changed or refunded.

Money. ``paid`` is allocated to the deliveries once, at the start. A
refund (`RefundDeliveries`) returns the allocated prices of the last
``count`` deliveries that can still change (all of them when ``count`` is
None), so refunding everything before the first cutoff returns exactly
what was paid, and a plan ends (PlanEnded) when no delivery is open, with
``delivered_amount + refunded_amount == paid``.

Stock is the host's: the plan reports per delivery what to reserve
(`DeliveryScheduled`), move (`DeliveryMoved`), release (`DeliveryRefunded`)
and send (`DeliveryDue`).

Idempotency: the plan keeps a `CommandLog` of accepted command ids
(`StartPlan`'s included); a replay returns the original events with the
plan unchanged, also after a save and reload; the same id with other
content raises `IdConflictError`; a refused command is not recorded, so a
retry is decided afresh. `PruneLog` forgets ids older than
``SubscriptionPolicy.log_retention_days``.

Size: a plan holds at most `MAX_DELIVERIES` deliveries in a tuple; a
command copies that tuple once.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Iterable
from typing import Any, Final, TypeAlias

import attrs
from pendulum import DateTime

from sirui.campaigns.subscription import _reasons as R
from sirui.campaigns.subscription._messages import (
    DeliveryDue,
    DeliveryMade,
    DeliveryMoved,
    DeliveryPostponed,
    DeliveryRefunded,
    DeliveryScheduled,
    DeliverySkipped,
    MarkDelivered,
    MarkDeliveryDue,
    PausePlan,
    PlanEnded,
    PlanPaused,
    PlanRefunded,
    PlanResumed,
    PlanStarted,
    PostponeDelivery,
    RefundDeliveries,
    ResumePlan,
    SkipDelivery,
    StartPlan,
)
from sirui.campaigns.subscription._policy import SubscriptionOffer, SubscriptionPolicy, as_day
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.validators import non_empty_id, non_negative_int, positive_int
from sirui.core.windows import aware
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason

__all__ = [
    "DELIVERY_TRANSITIONS",
    "PLAN_TRANSITIONS",
    "Delivery",
    "DeliveryStatus",
    "PlanCommand",
    "PlanStatus",
    "SubscriptionPlan",
    "start_plan",
]


class PlanStatus(enum.Enum):
    """Where a plan stands."""

    ACTIVE = "active"
    """Delivering (配送中)."""
    PAUSED = "paused"
    """Deliveries paused for a window (暂停中)."""
    ENDED = "ended"
    """Every delivery delivered or refunded (已结束)."""


class DeliveryStatus(enum.Enum):
    """Where one delivery stands."""

    SCHEDULED = "scheduled"
    """Has a date; changeable until its cutoff (待配送)."""
    DUE = "due"
    """Cutoff passed: locked, being picked and sent (备货中)."""
    DELIVERED = "delivered"
    """Reached the member (已送达)."""
    REFUNDED = "refunded"
    """Refunded before its cutoff (已退款)."""


_ACTIVE, _PAUSED, _ENDED = PlanStatus.ACTIVE, PlanStatus.PAUSED, PlanStatus.ENDED
_SCHEDULED, _DUE, _DELIVERED, _REFUNDED = (
    DeliveryStatus.SCHEDULED, DeliveryStatus.DUE, DeliveryStatus.DELIVERED,
    DeliveryStatus.REFUNDED,
)

#: The plan's status: ``(status, command type) -> status after acceptance``; ``None``
#: is "no plan yet". The `PlanEnded` row applies in the same outcome as the command
#: that closed the last open delivery.
PLAN_TRANSITIONS: Final[dict[tuple[PlanStatus | None, type[Any]], PlanStatus]] = {
    (None, StartPlan): _ACTIVE,
    (_ACTIVE, SkipDelivery): _ACTIVE,
    (_ACTIVE, PostponeDelivery): _ACTIVE,
    (_ACTIVE, PausePlan): _PAUSED,
    (_PAUSED, ResumePlan): _ACTIVE,
    (_ACTIVE, MarkDeliveryDue): _ACTIVE,
    (_PAUSED, MarkDeliveryDue): _PAUSED,
    (_ACTIVE, MarkDelivered): _ACTIVE,
    (_PAUSED, MarkDelivered): _PAUSED,
    (_ACTIVE, RefundDeliveries): _ACTIVE,
    (_PAUSED, RefundDeliveries): _PAUSED,
    (_ACTIVE, PlanEnded): _ENDED,
    (_PAUSED, PlanEnded): _ENDED,
}

#: Each delivery's status: ``(status, command type) -> status after acceptance``,
#: read for every delivery a command touches (a pause: those in its window).
DELIVERY_TRANSITIONS: Final[dict[tuple[DeliveryStatus | None, type[Any]], DeliveryStatus]] = {
    (None, StartPlan): _SCHEDULED,
    (_SCHEDULED, SkipDelivery): _SCHEDULED,
    (_SCHEDULED, PostponeDelivery): _SCHEDULED,
    (_SCHEDULED, PausePlan): _SCHEDULED,
    (_SCHEDULED, MarkDeliveryDue): _DUE,
    (_DUE, MarkDelivered): _DELIVERED,
    (_SCHEDULED, RefundDeliveries): _REFUNDED,
}

PlanCommand: TypeAlias = (
    SkipDelivery | PostponeDelivery | PausePlan | ResumePlan | MarkDeliveryDue | MarkDelivered
    | RefundDeliveries
)
_Numbered: TypeAlias = SkipDelivery | PostponeDelivery | MarkDeliveryDue | MarkDelivered
_COMMANDS: Final = (
    StartPlan, SkipDelivery, PostponeDelivery, PausePlan, ResumePlan, MarkDeliveryDue,
    MarkDelivered, RefundDeliveries, PruneLog,
)
_OPEN: Final = frozenset({_SCHEDULED, _DUE})

_STATE_ZH: Final = {_SCHEDULED: "待配送", _DUE: "已截单备货", _DELIVERED: "已送达",
                    _REFUNDED: "已退款"}
_ACTION: Final[dict[type[Any], tuple[str, str]]] = {
    SkipDelivery: ("跳过", "skipped"),
    PostponeDelivery: ("延期", "postponed"),
    PausePlan: ("暂停", "paused"),
    MarkDeliveryDue: ("截单备货", "marked due"),
    MarkDelivered: ("确认送达", "marked delivered"),
    RefundDeliveries: ("退款", "refunded"),
}


def _day(value: object) -> dt.date:
    return as_day(value)


@attrs.frozen(slots=True)
class Delivery:
    """One delivery of a plan: its number (1..N), local date, allocated price, status."""

    number: int = attrs.field(validator=positive_int)
    date: dt.date = attrs.field(converter=_day)
    price: Money = attrs.field()
    status: DeliveryStatus = DeliveryStatus.SCHEDULED

    def _to(self, status: DeliveryStatus) -> Delivery:
        return Delivery(self.number, self.date, self.price, status)

    def _on(self, date: dt.date) -> Delivery:
        return Delivery(self.number, date, self.price, self.status)


def _deliveries(value: Iterable[Delivery]) -> tuple[Delivery, ...]:
    return tuple(value)


def _opt_day(value: object) -> dt.date | None:
    return None if value is None else as_day(value)


Outcome: TypeAlias = Accepted["SubscriptionPlan"] | Rejected["SubscriptionPlan"]


@attrs.frozen(slots=True)
class SubscriptionPlan:
    """One member's subscription plan (周期购订单). Build it with `start_plan`.

    ``first_date`` anchors the cadence; ``paid`` is what the member paid,
    allocated over ``deliveries``.
    """

    id: str = attrs.field(validator=non_empty_id)
    member_id: str = attrs.field(validator=non_empty_id)
    offer: SubscriptionOffer = attrs.field()
    policy: SubscriptionPolicy = attrs.field()
    first_date: dt.date = attrs.field(converter=_day)
    paid: Money = attrs.field()
    deliveries: tuple[Delivery, ...] = attrs.field(converter=_deliveries)
    status: PlanStatus = PlanStatus.ACTIVE
    skips_used: int = attrs.field(default=0, validator=non_negative_int)
    pause_days_used: int = attrs.field(default=0, validator=non_negative_int)
    paused_from: dt.date | None = attrs.field(default=None, converter=_opt_day)
    paused_until: dt.date | None = attrs.field(default=None, converter=_opt_day)
    """The pause window ``[paused_from, paused_until)`` while PAUSED."""
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    def __attrs_post_init__(self) -> None:
        ds = self.deliveries
        if len(ds) != self.offer.deliveries:
            raise invalid("deliveries", len(ds),
                          f"must hold offer.deliveries={self.offer.deliveries} deliveries")
        if [d.number for d in ds] != list(range(1, len(ds) + 1)):
            raise invalid("deliveries", [d.number for d in ds], "must be numbered 1..N in order")
        if sum(d.price.minor for d in ds) != self.paid.minor:
            raise invalid("paid", self.paid, "must equal the sum of the deliveries' prices")
        dates = [d.date for d in ds if d.status is not _REFUNDED]
        if any(a >= b for a, b in itertools.pairwise(dates)):
            raise invalid("deliveries", dates, "dates must strictly increase")
        paused = self.paused_from is not None and self.paused_until is not None
        if (self.status is _PAUSED and not paused) or (self.status is _ACTIVE and (
                self.paused_from is not None or self.paused_until is not None)):
            raise invalid("paused_until", self.paused_until,
                          f"and paused_from are set exactly while PAUSED (status {self.status})")

    # -- queries ------------------------------------------------------------------------

    def delivery(self, number: int) -> Delivery:
        """Delivery ``number`` (1..N); another number is misuse."""
        if type(number) is not int or not 1 <= number <= len(self.deliveries):
            raise InvalidCommandError(
                f"number={number!r}: plan {self.id!r} has deliveries 1..{len(self.deliveries)}"
            )
        return self.deliveries[number - 1]

    def cutoff(self, number: int) -> DateTime:
        """The moment delivery ``number`` stops taking changes (截单时间)."""
        return self.policy.cutoff(self.delivery(number).date)

    def changeable(self, delivery: Delivery, now: DateTime) -> bool:
        """True if ``delivery`` is SCHEDULED and before its cutoff at ``now``."""
        return delivery.status is _SCHEDULED and aware(now) < self.policy.cutoff(delivery.date)

    def with_status(self, status: DeliveryStatus) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.status is status)

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """The dates of the deliveries not refunded, in order (they strictly increase)."""
        return tuple(d.date for d in self.deliveries if d.status is not _REFUNDED)

    def amount(self, *statuses: DeliveryStatus) -> Money:
        """The allocated prices of the deliveries in ``statuses``."""
        return Money(sum(d.price.minor for d in self.deliveries if d.status in statuses),
                     self.paid.currency)

    @property
    def delivered_amount(self) -> Money:
        return self.amount(_DELIVERED)

    @property
    def refunded_amount(self) -> Money:
        return self.amount(_REFUNDED)

    def refund_quote(self, count: int | None = None, *, now: DateTime) -> Money:
        """What `RefundDeliveries(count)` would return at ``now`` (zero if refused)."""
        chosen = self._refundable(count, aware(now))
        return Money.zero(self.paid.currency) if isinstance(chosen, Reason) else _sum(
            chosen, self.paid)

    # -- the one entry point ------------------------------------------------------------

    def handle(self, command: PlanCommand | StartPlan | PruneLog, *, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``: Accepted(new plan, events) or Rejected(reason, self)."""
        now = aware(now)
        if not isinstance(command, _COMMANDS):
            raise InvalidCommandError(
                f"command={command!r}: a SubscriptionPlan takes SkipDelivery, PostponeDelivery, "
                "PausePlan, ResumePlan, MarkDeliveryDue, MarkDelivered, RefundDeliveries or "
                "PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.policy.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        if isinstance(command, StartPlan):
            raise InvalidCommandError(
                f"plan {self.id!r} has started; a StartPlan with a new id "
                f"({command.id!r}) starts another plan under a new plan id"
            )
        if transition(PLAN_TRANSITIONS, self.status, command) is None:
            return Rejected(self._plan_refusal(command), self)
        return self._decide(command, now)

    def _decide(self, cmd: PlanCommand, now: DateTime) -> Outcome:
        if isinstance(cmd, ResumePlan):
            return self._resume(cmd, now)
        if isinstance(cmd, PausePlan):
            return self._pause(cmd, now)
        if isinstance(cmd, RefundDeliveries):
            return self._refund(cmd, now)
        d = self.delivery(cmd.number)
        target = transition(DELIVERY_TRANSITIONS, d.status, cmd)
        if target is None:
            return Rejected(self._state_reason(d, cmd), self)
        if isinstance(cmd, MarkDeliveryDue):
            return self._due(cmd, d, target, now)
        if isinstance(cmd, MarkDelivered):
            ev = DeliveryMade(self.id, d.number, d.date, d.price)
            return self._accept(cmd, now, (ev,), self._put(d._to(target)))
        if now >= self.policy.cutoff(d.date):
            return Rejected(self._cutoff_reason(d), self)
        if isinstance(cmd, SkipDelivery):
            return self._skip(cmd, d, now)
        return self._postpone(cmd, d, now)

    # -- refusals -----------------------------------------------------------------------

    def _plan_refusal(self, cmd: Any) -> Reason:
        if self.status is _ENDED:
            return R.PLAN_ENDED()
        if self.status is _PAUSED:
            until = self.paused_until
            assert until is not None
            return R.PLAN_PAUSED(until=until, until_zh=R.zh_day(until))
        return R.NOT_PAUSED()

    def _state_reason(self, d: Delivery, cmd: Any) -> Reason:
        zh, en = _ACTION[type(cmd)]
        return R.DELIVERY_STATE(number=d.number, state=d.status.value,
                                state_zh=_STATE_ZH[d.status], action=en, action_zh=zh)

    def _cutoff_reason(self, d: Delivery) -> Reason:
        cut = self.policy.cutoff(d.date)
        return R.CUTOFF_PASSED(number=d.number, date=d.date, date_zh=R.zh_day(d.date),
                               cutoff=cut, cutoff_zh=R.zh_time(cut))

    def _refusal_to_move(self, d: Delivery, cmd: Any, now: DateTime) -> Reason | None:
        """Why ``d`` cannot take a new date for ``cmd`` (the table, then the cutoff)."""
        if transition(DELIVERY_TRANSITIONS, d.status, cmd) is None:
            if d.status is _DUE:
                return self._cutoff_reason(d)
            return self._state_reason(d, cmd)
        if now >= self.policy.cutoff(d.date):
            return self._cutoff_reason(d)
        return None

    # -- decisions ----------------------------------------------------------------------

    def _skip(self, cmd: SkipDelivery, d: Delivery, now: DateTime) -> Outcome:
        limit = self.policy.max_skips
        if limit is not None and self.skips_used >= limit:
            return Rejected(R.SKIP_LIMIT(limit=limit, used=self.skips_used), self)
        new = self.offer.cadence.next_after(self.first_date, d.date)
        moved = self._redate(d.number - 1, new, cmd, now)
        if isinstance(moved, Reason):
            return Rejected(moved, self)
        used = self.skips_used + 1
        events = (DeliverySkipped(self.id, d.number, d.date, used), *moved[1])
        return self._accept(cmd, now, events, moved[0], skips_used=used)

    def _postpone(self, cmd: PostponeDelivery, d: Delivery, now: DateTime) -> Outcome:
        if cmd.to <= d.date:
            return Rejected(R.NOT_LATER(date=d.date, date_zh=R.zh_day(d.date)), self)
        days, limit = (cmd.to - d.date).days, self.policy.max_postpone_days
        if limit is not None and days > limit:
            return Rejected(R.POSTPONE_LIMIT(limit=limit, days=days), self)
        moved = self._redate(d.number - 1, cmd.to, cmd, now)
        if isinstance(moved, Reason):
            return Rejected(moved, self)
        events = (DeliveryPostponed(self.id, d.number, d.date, cmd.to), *moved[1])
        return self._accept(cmd, now, events, moved[0])

    def _pause(self, cmd: PausePlan, now: DateTime) -> Outcome:
        p, start = self.policy, cmd.start
        today = p.today(now)
        if start < today:
            return Rejected(R.PAUSE_IN_PAST(today=today, today_zh=R.zh_day(today)), self)
        limit, used = p.max_pause_days, self.pause_days_used
        if limit is not None and used + cmd.days > limit:
            return Rejected(R.PAUSE_LIMIT(limit=limit, used=used, days=cmd.days), self)
        until = start + dt.timedelta(days=cmd.days)
        inside = [d for d in self.deliveries if d.status in _OPEN and start <= d.date < until]
        if not inside:
            last = until - dt.timedelta(days=1)
            return Rejected(R.NOTHING_TO_PAUSE(start=start, start_zh=R.zh_day(start), last=last,
                                               last_zh=R.zh_day(last)), self)
        for d in inside:
            reason = self._refusal_to_move(d, cmd, now)
            if reason is not None:
                return Rejected(reason, self)
        new = self.offer.cadence.first_on_or_after(self.first_date, until)
        moved = self._redate(inside[0].number - 1, new, cmd, now)
        if isinstance(moved, Reason):
            return Rejected(moved, self)
        events = (PlanPaused(self.id, start, until, cmd.days, used + cmd.days), *moved[1])
        return self._accept(cmd, now, events, moved[0], pause_days_used=used + cmd.days,
                            paused_from=start, paused_until=until)

    def _resume(self, cmd: ResumePlan, now: DateTime) -> Outcome:
        start, until = self.paused_from, self.paused_until
        assert start is not None
        assert until is not None
        if self.policy.today(now) < until:
            return Rejected(R.STILL_PAUSED(until=until, until_zh=R.zh_day(until)), self)
        return self._accept(cmd, now, (PlanResumed(self.id, start, until),),
                            paused_from=None, paused_until=None)

    def _due(self, cmd: MarkDeliveryDue, d: Delivery, target: DeliveryStatus,
             now: DateTime) -> Outcome:
        cut = self.policy.cutoff(d.date)
        if now < cut:
            return Rejected(R.NOT_DUE(number=d.number, date=d.date, date_zh=R.zh_day(d.date),
                                      cutoff=cut, cutoff_zh=R.zh_time(cut)), self)
        o = self.offer
        ev = DeliveryDue(self.id, d.number, d.date, o.sku, o.quantity)
        return self._accept(cmd, now, (ev,), self._put(d._to(target)))

    def _refundable(self, count: int | None, now: DateTime) -> tuple[Delivery, ...] | Reason:
        left = tuple(d for d in self.deliveries if self.changeable(d, now))
        asked = len(left) if count is None else count
        if not left:
            return R.NOTHING_TO_REFUND()
        if asked > len(left):
            return R.NOT_ENOUGH_TO_REFUND(left=len(left), asked=asked)
        return left[len(left) - asked:]

    def _refund(self, cmd: RefundDeliveries, now: DateTime) -> Outcome:
        chosen = self._refundable(cmd.count, now)
        if isinstance(chosen, Reason):
            return Rejected(chosen, self)
        ds = list(self.deliveries)
        events: list[Event] = []
        for d in chosen:
            target = DELIVERY_TRANSITIONS[(d.status, RefundDeliveries)]
            ds[d.number - 1] = d._to(target)
            events.append(DeliveryRefunded(self.id, d.number, d.date, d.price))
        events.append(PlanRefunded(self.id, tuple(d.number for d in chosen),
                                   _sum(chosen, self.paid)))
        return self._accept(cmd, now, tuple(events), tuple(ds))

    # -- building the next plan ---------------------------------------------------------

    def _put(self, d: Delivery) -> tuple[Delivery, ...]:
        ds = self.deliveries
        i = d.number - 1
        return (*ds[:i], d, *ds[i + 1:])

    def _redate(
        self, index: int, new: dt.date, cmd: Any, now: DateTime
    ) -> tuple[tuple[Delivery, ...], tuple[DeliveryMoved, ...]] | Reason:
        """Delivery ``index`` on ``new``; each later one that would not come after its
        predecessor moves to the next cadence slot after it (顺延)."""
        ds = list(self.deliveries)
        cadence, anchor = self.offer.cadence, self.first_date
        moves: list[DeliveryMoved] = []
        i, day = index, new
        while True:
            d = ds[i]
            reason = self._refusal_to_move(d, cmd, now)
            if reason is not None:
                return reason
            moves.append(DeliveryMoved(self.id, d.number, d.date, day))
            ds[i] = d._on(day)
            i += 1
            if i == len(ds) or ds[i].status is _REFUNDED or ds[i].date > day:
                return tuple(ds), tuple(moves)
            day = cadence.next_after(anchor, day)

    def _accept(self, cmd: PlanCommand, now: DateTime, events: tuple[Event, ...],
                deliveries: tuple[Delivery, ...] | None = None, **changes: Any) -> Accepted[
                    SubscriptionPlan]:
        status = PLAN_TRANSITIONS[(self.status, type(cmd))]
        ds = self.deliveries if deliveries is None else deliveries
        if not any(d.status in _OPEN for d in ds):
            status = PLAN_TRANSITIONS[(status, PlanEnded)]
            delivered = [d for d in ds if d.status is _DELIVERED]
            refunded = [d for d in ds if d.status is _REFUNDED]
            events = (*events, PlanEnded(self.id, len(delivered), len(refunded),
                                         _sum(delivered, self.paid), _sum(refunded, self.paid)))
        new = attrs.evolve(self, deliveries=ds, status=status,
                           log=self.log.record(cmd, events, now), **changes)
        return Accepted(new, events)


def _sum(ds: Iterable[Delivery], like: Money) -> Money:
    return Money(sum(d.price.minor for d in ds), like.currency)


def start_plan(
    command: StartPlan, *, policy: SubscriptionPolicy, now: DateTime
) -> Accepted[SubscriptionPlan] | Rejected[None]:
    """Start the plan ``command`` bought: every delivery SCHEDULED, ``paid`` allocated.

    Refused when ``paid`` is not the offer's price (``subscription.payment_mismatch``)
    or the first delivery is already past its cutoff at ``now``
    (``subscription.first_delivery_too_soon``; `SubscriptionPolicy.earliest_day`
    says which first day a shop may offer). The plan's log holds the command,
    so ``plan.handle(command, now=...)`` replays it.
    """
    now = aware(now)
    if not isinstance(command, StartPlan):
        raise InvalidCommandError(f"command={command!r}: start_plan takes a StartPlan")
    if not isinstance(policy, SubscriptionPolicy):
        raise InvalidCommandError(f"policy={policy!r}: expected a SubscriptionPolicy")
    offer = command.offer
    quote = offer.quote()
    if command.paid != quote.total:
        return Rejected(R.PAYMENT_MISMATCH(price=quote.total, paid=command.paid), None)
    dates = offer.cadence.dates(command.first_date, offer.deliveries)
    if policy.cutoff(dates[0]) <= now:
        day = policy.earliest_day(now)
        earliest = offer.cadence.first_on_or_after(day, day)
        return Rejected(R.FIRST_TOO_SOON(earliest=earliest, earliest_zh=R.zh_day(earliest)),
                        None)
    status = DELIVERY_TRANSITIONS[(None, StartPlan)]
    deliveries = tuple(Delivery(i + 1, day, price, status)
                       for i, (day, price) in enumerate(zip(dates, quote.per_delivery,
                                                            strict=True)))
    events: tuple[Event, ...] = (
        PlanStarted(command.plan_id, command.member_id, offer.id, offer.sku, offer.deliveries,
                    command.paid, dates[0], dates[-1]),
        *(DeliveryScheduled(command.plan_id, d.number, d.date, offer.sku, offer.quantity, d.price)
          for d in deliveries),
    )
    plan = SubscriptionPlan(
        command.plan_id, command.member_id, offer, policy, command.first_date, command.paid,
        deliveries, PLAN_TRANSITIONS[(None, StartPlan)],
        log=CommandLog().record(command, events, now),
    )
    return Accepted(plan, events)
