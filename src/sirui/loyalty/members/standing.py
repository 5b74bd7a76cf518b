"""A member's standing on a tier ladder: the state machine of growth and tiers.

Theory of operation: `MemberStanding` is a frozen value the host stores per
member: the current tier, the growth ledger (entries by id, each dated), an
operator pin, a grace deadline, the last review period and the `CommandLog`
of the commands it accepted. ``standing.handle(command, ladder, now=...)``
returns ``Accepted(new_standing, events)`` or ``Rejected(reason, standing)``
(the very same value: nothing changed, nothing recorded); the host persists
the new standing and the events together. Metrics are never stored: they
are summed from the dated entries at ``now`` (all time, or the ladder's
rolling window).

The standing's status (`StandingStatus`) is ``PINNED`` while an operator pin
holds, ``IN_GRACE`` while a grace period runs, else ``FOLLOWING`` (the tier
follows the metric). Legality is the table `TRANSITIONS` from ``(status,
trigger)`` to the status a trigger leads to (business checks may keep the
status: a review below retention without grace days drops the tier and stays
``FOLLOWING``); the triggers are the command types and the clock
(`PIN_ENDED`, `GRACE_ENDED`). The table is read with the status *at now*:
an expired pin has ended (the member goes to the tier the metric qualifies
for) and an expired grace period has either downgraded the member or ended
quietly if they recovered. Those clock moves change the standing, so they
only happen inside an ``Accepted``: the host sends `SettleTier` from its
delay queue at ``pinned_until`` or ``grace_until``, and any command accepted
later reports them first; a refused command changes nothing.

Commands and what they do:

| command | effect |
|---|---|
| ``RecordOrder`` | ledger entry with growth by the rules; upgrade (immediate ladders) |
| ``RecordActivity`` | sign-in, review or task growth; upgrade (immediate ladders) |
| ``GrantGrowth`` | operator grant; upgrade (immediate ladders) |
| ``RefundOrder`` | takes growth back from the order; downgrade if below retention |
| ``ReviewTier`` | once per period, as of its end: upgrade, keep, grace or downgrade |
| ``PinTier``, ``UnpinTier`` | operator pin: the tier is fixed until unpinned or ``until`` |
| ``SettleTier`` | applies an ended pin or grace period (refused when nothing is due) |
| ``PruneLog`` | forgets command ids older than the ladder's ``log_retention_days`` |

Reviews and grace periods are anchored to the calendar, not to when the
host's job runs: ``ReviewTier`` at ``now`` judges the latest period that has
ended (`TierLadder.review_end`) with the metric as of its end; grace runs
``grace_days`` from that end and is judged with the metric at ``grace_until``.
So a review run on 3 January gives the tier one at 1 January 00:00 gives
(refunds of older orders booked in between aside), a review whose grace has
run out settles it at once, a tier reached after the end (``tier_since``) is
not judged by it, and what was earned after the end still upgrades.

Invariants: every command is idempotent by id (a replay of an accepted
command returns its original events and changes nothing, also after the
host saved and reloaded the standing; the same id with other content raises
`IdConflictError`; a rejected command left no trace and is judged afresh if
retried; a ledger entry whose command id was pruned still refuses a second
entry with its id); every tier change is a `TierChanged` event with its
reason; on an immediate ladder with refund downgrades and default retention,
the tier after any sequence of orders, activities, grants and refunds is the
tier the final metric qualifies for.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.validators import non_empty_str, opt_aware_datetime
from sirui.core.windows import DateTime, aware
from sirui.core.zh import zh_date
from sirui.loyalty.members._tier_messages import (
    PinTier,
    ReviewTier,
    SettleTier,
    StandingCommand,
    TierChanged,
    TierGraceEnded,
    TierGraceStarted,
    TierPinned,
    TierReviewed,
    TierUnpinned,
    UnpinTier,
)
from sirui.loyalty.members.growth import (
    GrantGrowth,
    GrowthEarned,
    GrowthEntry,
    GrowthReversed,
    GrowthSource,
    RecordActivity,
    RecordOrder,
    RefundOrder,
)
from sirui.loyalty.members.ladder import BelowRetention, Tier, TierLadder, TierMetric, UpgradeMode
from sirui.rules.commandlog import NOT_IN_TABLE, CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Outcome, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "GRACE_ENDED",
    "PIN_ENDED",
    "STANDING_TRANSITIONS",
    "MemberStanding",
    "PinTier",
    "ReviewTier",
    "SettleTier",
    "StandingCommand",
    "StandingStatus",
    "TierChanged",
    "TierGraceEnded",
    "TierGraceStarted",
    "TierPinned",
    "TierReviewed",
    "TierStatus",
    "TierUnpinned",
    "UnpinTier",
    "evaluate",
    "metric_at",
]

UPGRADED = reason_code("tier.upgraded", zh="成长达标，升级为{to}", en="Qualified for {to}")
REVIEW_UPGRADED = reason_code(
    "tier.review_upgraded", zh="定级评定升级为{to}", en="Upgraded to {to} at review"
)
REVIEW_DOWNGRADED = reason_code(
    "tier.review_downgraded",
    zh="保级未达标（{metric}/{keep_at}），降为{to}",
    en="Below retention ({metric}/{keep_at}); now {to}",
)
GRACE_STARTED = reason_code(
    "tier.grace_started",
    zh="保级未达标，{until_zh}前达标可保留{tier}",
    en="Below retention; reach it before {until} to keep {tier}",
)
GRACE_EXPIRED = reason_code(
    "tier.grace_expired",
    zh="宽限期结束仍未达标，降为{to}",
    en="Grace ended below retention; now {to}",
)
REFUND_DOWNGRADED = reason_code(
    "tier.refund_downgraded", zh="订单退款后成长值不足，调整为{to}", en="Refund took you to {to}"
)
PINNED = reason_code("tier.pinned", zh="运营指定等级{to}", en="Tier set to {to} by the operator")
UNPINNED = reason_code(
    "tier.unpinned",
    zh="指定等级结束，按成长值定级为{to}",
    en="Pin ended; tier follows metric: {to}",
)
NOT_PINNED = reason_code("tier.not_pinned", zh="当前未指定等级", en="No tier is pinned")
NOTHING_DUE = reason_code(
    "tier.nothing_due", zh="没有到期的指定等级或宽限期", en="No pin or grace period has ended"
)
ALREADY_RECORDED = reason_code(
    "growth.already_recorded",
    zh="该成长值记录已存在，不再重复计入",
    en="Growth entry {entry_id} is already recorded",
)
NO_REVIEW = reason_code(
    "tier.no_review", zh="该等级体系不做定期评定", en="This ladder has no periodic review"
)
ALREADY_REVIEWED = reason_code(
    "tier.already_reviewed", zh="本期已评定", en="Already reviewed this period"
)
UNKNOWN_ORDER = reason_code(
    "growth.unknown_order",
    zh="未找到该订单的成长值记录",
    en="No growth recorded for {order_id}",
)
REFUND_EXCEEDS = reason_code(
    "growth.refund_exceeds",
    zh="退款金额超过订单剩余实付{left}",
    en="Refund exceeds what is left of the order ({left})",
)


class StandingStatus(enum.Enum):
    """What decides the member's tier now."""

    FOLLOWING = "following"
    """The tier follows the metric (by the ladder's rules)."""
    IN_GRACE = "in_grace"
    """Below retention at a review; the tier is kept until ``grace_until`` (保级宽限期)."""
    PINNED = "pinned"
    """An operator fixed the tier (指定等级)."""


#: The clock's triggers in `STANDING_TRANSITIONS`.
PIN_ENDED: Final = "pin_ended"
GRACE_ENDED: Final = "grace_ended"

_F, _G, _P = StandingStatus.FOLLOWING, StandingStatus.IN_GRACE, StandingStatus.PINNED
_EARN: Final = (RecordOrder, RecordActivity, GrantGrowth, RefundOrder)

#: ``(status, command type or clock trigger) -> status it leads to``; a miss is refused.
STANDING_TRANSITIONS: Final[dict[tuple[StandingStatus, Any], StandingStatus]] = {
    **{(_F, c): _F for c in _EARN},
    (_F, ReviewTier): _G,
    (_F, PinTier): _P,
    (_F, SettleTier): _F,
    **{(_G, c): _G for c in _EARN},
    (_G, ReviewTier): _F,
    (_G, PinTier): _P,
    (_G, GRACE_ENDED): _F,
    **{(_P, c): _P for c in _EARN},
    (_P, ReviewTier): _P,
    (_P, PinTier): _P,
    (_P, UnpinTier): _F,
    (_P, PIN_ENDED): _F,
}


@attrs.frozen(slots=True)
class MemberStanding:
    """会员等级状态: tier, dated growth ledger, pin, grace, review mark and command log.

    Build the first one with `MemberStanding.new`.
    """

    member_id: str = attrs.field(validator=non_empty_str)
    tier: str = attrs.field(validator=non_empty_str)
    entries: tuple[GrowthEntry, ...] = ()
    pinned: str | None = None
    pinned_until: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    grace_until: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    reviewed_period: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    """The end of the review period last judged (the start of the period after it)."""
    log: CommandLog = attrs.field(factory=CommandLog)
    """The commands this standing accepted, with their events (idempotency)."""
    tier_since: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    """When the current tier was reached (None: the tier the standing started on)."""

    @classmethod
    def new(cls, member_id: str, ladder: TierLadder) -> MemberStanding:
        """A member on the ladder's base tier with an empty ledger."""
        return cls(member_id, ladder.base.code)

    def entry(self, entry_id: str) -> GrowthEntry | None:
        for e in self.entries:
            if e.id == entry_id:
                return e
        return None

    @property
    def total_growth(self) -> int:
        """Net growth over all time (refunds taken back)."""
        return sum(e.net_growth for e in self.entries)

    @property
    def status(self) -> StandingStatus:
        """``PINNED``, ``IN_GRACE`` or ``FOLLOWING`` (as stored; see `status_at`)."""
        if self.pinned is not None:
            return _P
        return _F if self.grace_until is None else _G

    def status_at(self, ladder: TierLadder, now: DateTime) -> StandingStatus:
        """The status at ``now``, once ended pins and grace periods are applied."""
        return _settle(self, ladder, aware(now))[0].status

    def handle(
        self, command: StandingCommand | PruneLog, ladder: TierLadder, *, now: DateTime
    ) -> Outcome[MemberStanding]:
        """Apply ``command`` at ``now`` on ``ladder``; see the module docstring."""
        now = aware(now)
        ladder.index(self.tier)
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, ladder.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise InvalidCommandError(
                f"command={command!r}: not a standing command; use one of "
                f"{', '.join(t.__name__ for t in _HANDLERS)}"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        state, settled = _settle(self, ladder, now)
        if transition(STANDING_TRANSITIONS, state.status, command) is None:
            return Rejected(_refusal(state, command), self)
        if type(command) is SettleTier and not settled:
            return Rejected(NOTHING_DUE(), self)
        out = handler(state, command, ladder, now)
        if isinstance(out, Rejected):
            return Rejected(out.reason, self)
        events = (*settled, *out.events)
        return Accepted(out.state._logged(self.log.record(command, events, now)), events,
                        out.reason)

    def _logged(self, log: CommandLog) -> MemberStanding:
        # Trusted copy with a new log: every other field was validated already, and
        # attrs.evolve (which validates again) would cost a member's replay dearly.
        new = _new(MemberStanding)
        for name in _FIELDS:
            _setattr(new, name, getattr(self, name))
        _setattr(new, "log", log)
        return new


_FIELDS: Final = tuple(a.name for a in attrs.fields(MemberStanding))
_new: Final = object.__new__
_setattr: Final = object.__setattr__


def _refusal(s: MemberStanding, command: Any) -> Reason:
    """Why ``command`` is not in the table for the standing's status at now."""
    if type(command) is UnpinTier:
        return NOT_PINNED()
    if type(command) is SettleTier:
        return NOTHING_DUE()
    return NOT_IN_TABLE(state=s.status.value, command=type(command).__name__)


# -- metric ---------------------------------------------------------------------------


def _value(e: GrowthEntry, metric: TierMetric) -> int:
    if metric is TierMetric.GROWTH:
        return e.net_growth
    if metric is TierMetric.SPEND:
        return e.net_spend
    if metric is TierMetric.ORDERS:
        return e.net_orders
    return e.net_points


def metric_at(standing: MemberStanding, ladder: TierLadder, now: DateTime) -> int:
    """The ladder's metric for this member at ``now``, from the dated entries.

    Entries dated after ``now`` do not count; with a rolling window only
    entries in ``(now - window_days, now]`` count.
    """
    now = aware(now)
    start = now.subtract(days=ladder.window_days) if ladder.window_days is not None else None
    m = ladder.metric
    return sum(
        _value(e, m) for e in standing.entries
        if e.at <= now and (start is None or e.at > start)
    )


@attrs.frozen(slots=True)
class TierStatus:
    """What a member's tier looks like at ``now`` (for a member centre page)."""

    tier: Tier
    metric: int
    qualified: Tier
    next_tier: Tier | None
    to_next: int
    """TierMetric still needed for the next tier (0 at the top)."""
    keep_gap: int
    """TierMetric still needed to keep the current tier at review (0 if safe)."""
    pinned: bool
    grace_until: DateTime | None


def evaluate(standing: MemberStanding, ladder: TierLadder, now: DateTime) -> TierStatus:
    """The member's tier, metric, next tier and gaps at ``now`` (a query; no change)."""
    metric = metric_at(standing, ladder, now)
    tier = ladder.tier(standing.tier)
    nxt = ladder.next_above(tier.code)
    return TierStatus(
        tier=tier,
        metric=metric,
        qualified=ladder.qualified(metric),
        next_tier=nxt,
        to_next=max(nxt.threshold - metric, 0) if nxt is not None else 0,
        keep_gap=max(tier.keep_at - metric, 0),
        pinned=standing.pinned is not None,
        grace_until=standing.grace_until,
    )


# -- transitions ----------------------------------------------------------------------


def _change(
    s: MemberStanding, to: Tier, reason: Reason, now: DateTime, events: list[Event]
) -> MemberStanding:
    if to.code == s.tier:
        return s
    events.append(TierChanged(s.member_id, s.tier, to.code, reason, now))
    return attrs.evolve(s, tier=to.code, grace_until=None, tier_since=now)


def _settle(
    s: MemberStanding, ladder: TierLadder, now: DateTime
) -> tuple[MemberStanding, tuple[Event, ...]]:
    """``s`` at ``now`` with the clock's transitions applied, and their events."""
    events: list[Event] = []
    if s.pinned is not None and s.pinned_until is not None and now >= s.pinned_until:
        s = _end_pin(s, ladder, now, events)
    if s.grace_until is not None and now >= s.grace_until:
        # Judged as the grace period ended, however late the host reports it.
        current = ladder.tier(s.tier)
        metric = metric_at(s, ladder, s.grace_until)
        kept = s.pinned is not None or metric >= current.keep_at
        if not kept:
            to = _below_retention_target(ladder, current, metric)
            s = _change(s, to, GRACE_EXPIRED(to=to.label), now, events)
        s = attrs.evolve(s, grace_until=None)
        events.append(TierGraceEnded(s.member_id, s.tier, kept))
    return s, tuple(events)


def _shown(ladder: TierLadder, value: int) -> int | Money:
    """A metric value as a message shows it: spend in yuan (``¥3000.00``), others as counts."""
    return Money(value) if ladder.metric is TierMetric.SPEND else value


def _below_retention_target(ladder: TierLadder, current: Tier, metric: int) -> Tier:
    if ladder.below_retention is BelowRetention.DROP_ONE:
        return ladder.tiers[max(ladder.index(current.code) - 1, 0)]
    if ladder.below_retention is BelowRetention.KEEP:
        return current
    return ladder.qualified(metric)


def _upgrade(
    s: MemberStanding, ladder: TierLadder, now: DateTime, events: list[Event]
) -> MemberStanding:
    if s.pinned is not None or ladder.upgrade is not UpgradeMode.IMMEDIATE:
        return s
    q = ladder.qualified(metric_at(s, ladder, now))
    if ladder.index(q.code) > ladder.index(s.tier):
        s = _change(s, q, UPGRADED(to=q.label), now, events)
    return s


def _earn(
    s: MemberStanding, entry: GrowthEntry, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    if s.entry(entry.id) is not None:  # its command id was pruned from the log
        return Rejected(ALREADY_RECORDED(entry_id=entry.id), s)
    s = attrs.evolve(s, entries=(*s.entries, entry))
    events: list[Event] = [
        GrowthEarned(s.member_id, entry.id, entry.source, entry.growth, s.total_growth)
    ]
    s = _upgrade(s, ladder, now, events)
    return Accepted(s, tuple(events))


def _record_order(
    s: MemberStanding, c: RecordOrder, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    growth = ladder.growth.for_order(c.paid, c.first_order)
    entry = GrowthEntry(
        c.id, aware(c.at, "at") if c.at is not None else now, GrowthSource.ORDER, growth,
        spend=c.paid.minor, orders=1, points=c.points,
    )
    return _earn(s, entry, ladder, now)


def _record_activity(
    s: MemberStanding, c: RecordActivity, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    at = aware(c.at, "at") if c.at is not None else now
    return _earn(s, GrowthEntry(c.id, at, c.source, ladder.growth.for_activity(c.source)),
                 ladder, now)


def _grant(
    s: MemberStanding, c: GrantGrowth, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    at = aware(c.at, "at") if c.at is not None else now
    return _earn(s, GrowthEntry(c.id, at, GrowthSource.GRANT, c.growth), ladder, now)


def _refund(
    s: MemberStanding, c: RefundOrder, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    idx = next((i for i, e in enumerate(s.entries) if e.id == c.order_id), None)
    if idx is None or s.entries[idx].source is not GrowthSource.ORDER:
        return Rejected(UNKNOWN_ORDER(order_id=c.order_id), s)
    entry = s.entries[idx]
    amount = entry.net_spend if c.amount is None else c.amount.minor
    if amount > entry.net_spend:
        currency = c.amount.currency if c.amount is not None else "CNY"
        return Rejected(REFUND_EXCEEDS(left=Money(entry.net_spend, currency)), s)
    new_entry = entry.refund(amount)
    taken = new_entry.growth_reversed - entry.growth_reversed
    entries = (*s.entries[:idx], new_entry, *s.entries[idx + 1:])
    s = attrs.evolve(s, entries=entries)
    events: list[Event] = [GrowthReversed(s.member_id, c.id, c.order_id, taken, s.total_growth)]
    if ladder.refund_downgrades and s.pinned is None:
        metric = metric_at(s, ladder, now)
        current = ladder.tier(s.tier)
        if metric < current.keep_at:
            q = ladder.qualified(metric)
            s = _change(s, q, REFUND_DOWNGRADED(to=q.label), now, events)
    return Accepted(s, tuple(events))


def _review(
    s: MemberStanding, c: ReviewTier, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    end = ladder.review_end(now)
    if end is None:
        return Rejected(NO_REVIEW(), s)
    if s.reviewed_period is not None and s.reviewed_period >= end:
        return Rejected(ALREADY_REVIEWED(), s)
    s = attrs.evolve(s, reviewed_period=end)
    events: list[Event] = []
    # As of the period's end, not of now: a late review judges what an on-time one would.
    metric = metric_at(s, ladder, end)
    if s.pinned is None:
        s = _review_tier(s, ladder, metric, end=end, now=now, events=events)
    events.append(TierReviewed(s.member_id, end, metric, s.tier))
    if s.grace_until is not None and now >= s.grace_until:
        # So late that the grace it started has run out already: settle it now.
        s, ended = _settle(s, ladder, now)
        events.extend(ended)
    # What was earned after the period's end still upgrades (immediate ladders), as it
    # would have after an on-time review.
    s = _upgrade(s, ladder, now, events)
    return Accepted(s, tuple(events))


def _review_tier(
    s: MemberStanding, ladder: TierLadder, metric: int, *, end: DateTime, now: DateTime,
    events: list[Event],
) -> MemberStanding:
    current = ladder.tier(s.tier)
    q = ladder.qualified(metric)
    if ladder.index(q.code) > ladder.index(current.code):
        return _change(s, q, REVIEW_UPGRADED(to=q.label), now, events)
    if s.tier_since is not None and s.tier_since > end:
        # Reached after the judged period ended (an upgrade since): an on-time review
        # judged the tier before it, and that change came after; nothing to retain yet.
        return s
    if metric >= current.keep_at or ladder.below_retention is BelowRetention.KEEP:
        return s
    if ladder.grace_days and s.grace_until is None:
        until = end.add(days=ladder.grace_days)
        reason = GRACE_STARTED(until=until, until_zh=zh_date(until, ladder.tz),
                               tier=current.label)
        events.append(TierGraceStarted(s.member_id, s.tier, until, reason))
        return attrs.evolve(s, grace_until=until)
    to = _below_retention_target(ladder, current, metric)
    reason = REVIEW_DOWNGRADED(metric=_shown(ladder, metric),
                               keep_at=_shown(ladder, current.keep_at), to=to.label)
    return attrs.evolve(_change(s, to, reason, now, events), grace_until=None)


def _pin(
    s: MemberStanding, c: PinTier, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    to = ladder.tier(c.tier)
    if c.until is not None and c.until <= now:
        raise invalid("until", c.until, f"must be after now={now}", "pin until a future time")
    events: list[Event] = []
    s = _change(s, to, PINNED(to=to.label), now, events)
    # A pin overrides a running grace period.
    s = attrs.evolve(s, pinned=to.code, pinned_until=c.until, grace_until=None)
    events.append(TierPinned(s.member_id, to.code, c.until))
    return Accepted(s, tuple(events))


def _unpin(
    s: MemberStanding, c: UnpinTier, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    events: list[Event] = []
    return Accepted(_end_pin(s, ladder, now, events), tuple(events))


def _end_pin(
    s: MemberStanding, ladder: TierLadder, now: DateTime, events: list[Event]
) -> MemberStanding:
    """Unpinned (by command or at ``pinned_until``): back to the tier the metric qualifies for."""
    s = attrs.evolve(s, pinned=None, pinned_until=None)
    q = ladder.qualified(metric_at(s, ladder, now))
    s = _change(s, q, UNPINNED(to=q.label), now, events)
    events.append(TierUnpinned(s.member_id, s.tier))
    return s


def _settle_tier(
    s: MemberStanding, c: SettleTier, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    # The clock's moves were applied before the table was read; this records them.
    return Accepted(s, ())


_Handler: TypeAlias = Callable[[MemberStanding, Any, TierLadder, DateTime],
                               Outcome[MemberStanding]]

_HANDLERS: Final[dict[type[Any], _Handler]] = {
    RecordOrder: _record_order,
    RecordActivity: _record_activity,
    GrantGrowth: _grant,
    RefundOrder: _refund,
    ReviewTier: _review,
    PinTier: _pin,
    UnpinTier: _unpin,
    SettleTier: _settle_tier,
}
