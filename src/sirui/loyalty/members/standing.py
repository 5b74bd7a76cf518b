"""A member's standing on a tier ladder: the state machine of growth and tiers.

Theory of operation: `MemberStanding` is a frozen value the host stores per
member: the current tier, the growth ledger (entries by id, each dated),
the refunds applied, an operator pin, a grace deadline and the last review
period. ``standing.handle(command, ladder, now=...)`` returns
``Accepted(new_standing, events)`` or ``Rejected(reason, standing)``; the
host persists both together. Metrics are never stored: they are summed from
the dated entries at ``now`` (all time, or the ladder's rolling window).

Before any command, time-driven changes are settled: an expired pin ends
(the member goes to the tier the metric qualifies for) and an expired grace
period either downgrades the member or ends quietly if they recovered.

If settling produced events and the command itself is then rejected, the
outcome is ``Accepted`` with the settlement events (they must be persisted)
and the rejection's reason in ``reason``; the command was not applied.

Commands and what they do:

| command | effect |
|---|---|
| ``RecordOrder`` | ledger entry with growth by the rules; upgrade (immediate ladders) |
| ``RecordActivity`` | sign-in, review or task growth; upgrade (immediate ladders) |
| ``GrantGrowth`` | operator grant; upgrade (immediate ladders) |
| ``RefundOrder`` | takes growth back from the order; downgrade if below retention |
| ``ReviewTier`` | once per review period: upgrade (review ladders), keep, grace or downgrade |
| ``PinTier``, ``UnpinTier`` | operator pin: the tier is fixed until unpinned or ``until`` |

Invariants: every command is idempotent by id (a replay of an accepted
command is accepted with no events; the same id with other content raises
`IdConflictError`; a rejected command left no trace and is judged afresh if
retried); every tier
change is a `TierChanged` event with its reason; on an immediate ladder with
refund downgrades and default retention, the tier after any sequence of
orders, activities, grants and refunds is the tier the final metric
qualifies for.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from sirui.core.errors import IdConflictError, InvalidCommandError, invalid
from sirui.core.validators import non_empty_str, opt_aware_datetime
from sirui.core.windows import DateTime, aware, period_containing
from sirui.loyalty.members._checks import command_key
from sirui.loyalty.members.growth import (
    GrantGrowth,
    GrowthEarned,
    GrowthEntry,
    GrowthReversed,
    GrowthSource,
    RecordActivity,
    RecordOrder,
    RefundOrder,
    RefundRecord,
)
from sirui.loyalty.members.ladder import BelowRetention, Metric, Tier, TierLadder, UpgradeMode
from sirui.rules.outcome import Accepted, Event, Outcome, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "MemberStanding",
    "PinTier",
    "ReviewTier",
    "StandingCommand",
    "TierChanged",
    "TierGraceStarted",
    "TierPinned",
    "TierStatus",
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
    zh="保级未达标，{until}前达标可保留{tier}",
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
REPLAYED = reason_code("member.replayed", zh="重复请求，已处理", en="Already processed")
NO_REVIEW = reason_code(
    "tier.no_review", zh="该等级体系不做定期评定", en="This ladder has no periodic review"
)
ALREADY_REVIEWED = reason_code(
    "tier.already_reviewed", zh="本期已评定", en="Already reviewed this period"
)
UNKNOWN_ORDER = reason_code(
    "growth.unknown_order",
    zh="未找到订单{order_id}的成长值记录",
    en="No growth recorded for {order_id}",
)
REFUND_EXCEEDS = reason_code(
    "growth.refund_exceeds",
    zh="退款金额超过订单剩余实付{left}",
    en="Refund exceeds what is left of the order ({left})",
)


@attrs.frozen(slots=True)
class PinTier:
    """Operator pin (指定等级): fix the member's tier until unpinned or ``until``."""

    id: str = attrs.field(validator=non_empty_str)
    tier: str = attrs.field(validator=non_empty_str)
    until: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)


@attrs.frozen(slots=True)
class UnpinTier:
    id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(slots=True)
class ReviewTier:
    """Run the periodic review (定期保级评定); at most once per review period."""

    id: str = attrs.field(validator=non_empty_str)


StandingCommand: TypeAlias = (
    RecordOrder | RecordActivity | GrantGrowth | RefundOrder | PinTier | UnpinTier | ReviewTier
)


@attrs.frozen(slots=True)
class TierChanged(Event):
    """The member's tier changed (notify them with ``reason``)."""

    member_id: str
    from_tier: str
    to_tier: str
    reason: Reason
    at: DateTime


@attrs.frozen(slots=True)
class TierGraceStarted(Event):
    member_id: str
    tier: str
    until: DateTime
    reason: Reason


@attrs.frozen(slots=True)
class TierPinned(Event):
    member_id: str
    tier: str
    until: DateTime | None


@attrs.frozen(slots=True)
class MemberStanding:
    """会员等级状态: tier, dated growth ledger, refunds, pin, grace and review marks.

    Build the first one with `MemberStanding.new`.
    """

    member_id: str = attrs.field(validator=non_empty_str)
    tier: str = attrs.field(validator=non_empty_str)
    entries: tuple[GrowthEntry, ...] = ()
    refunds: tuple[RefundRecord, ...] = ()
    pinned: str | None = None
    pinned_until: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    grace_until: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    reviewed_period: DateTime | None = attrs.field(default=None, validator=opt_aware_datetime)
    """Start of the review period last reviewed."""
    admin: tuple[tuple[str, str], ...] = ()
    """``(id, content)`` of the pin, unpin and review commands handled (idempotency)."""

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

    def handle(
        self, command: StandingCommand, ladder: TierLadder, *, now: DateTime
    ) -> Outcome[MemberStanding]:
        """Apply ``command`` at ``now`` on ``ladder``; see the module docstring."""
        now = aware(now)
        ladder.index(self.tier)
        replay = self._replay(command, ladder)
        if replay is not None:
            return replay
        state, events = _settle(self, ladder, now)
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise InvalidCommandError(
                f"command={command!r}: not a standing command; use one of "
                f"{', '.join(t.__name__ for t in _HANDLERS)}"
            )
        out = handler(state, command, ladder, now)
        if isinstance(out, Rejected):
            return Rejected(out.reason, self) if not events else Accepted(state, tuple(events),
                                                                          out.reason)
        return Accepted(out.state, (*events, *out.events), out.reason)

    # -- idempotency --------------------------------------------------------------------

    def _replay(
        self, command: StandingCommand, ladder: TierLadder
    ) -> Accepted[MemberStanding] | None:
        if isinstance(command, RefundOrder):
            for r in self.refunds:
                if r.id == command.id:
                    if r.order_id != command.order_id or (
                        command.amount is not None and command.amount.minor != r.amount
                    ):
                        raise _conflict(command, r)
                    return Accepted(self, (), REPLAYED())
            return None
        if isinstance(command, PinTier | UnpinTier | ReviewTier):
            key = command_key(command)
            for cid, content in self.admin:
                if cid == command.id:
                    if content != key[1]:
                        raise _conflict(command, content)
                    return Accepted(self, (), REPLAYED())
            return None
        e = self.entry(command.id)
        if e is None:
            return None
        if not _same_entry(e, command, ladder):
            raise _conflict(command, e)
        return Accepted(self, (), REPLAYED())


def _conflict(command: Any, existing: Any) -> IdConflictError:
    return IdConflictError(
        f"id={command.id!r} was already used for {existing!r}; got {command!r}. "
        "Use a new id for a new command."
    )


def _same_entry(e: GrowthEntry, command: StandingCommand, ladder: TierLadder) -> bool:
    if getattr(command, "at", None) is not None and command.at != e.at:  # type: ignore[union-attr]
        return False
    if isinstance(command, RecordOrder):
        return (
            e.source is GrowthSource.ORDER and e.spend == command.paid.minor
            and e.points == command.points
            and e.growth == ladder.growth.for_order(command.paid, command.first_order)
        )
    if isinstance(command, RecordActivity):
        return e.source is command.source
    if isinstance(command, GrantGrowth):
        return e.source is GrowthSource.GRANT and e.growth == command.growth
    return False


# -- metric ---------------------------------------------------------------------------


def _value(e: GrowthEntry, metric: Metric) -> int:
    if metric is Metric.GROWTH:
        return e.net_growth
    if metric is Metric.SPEND:
        return e.net_spend
    if metric is Metric.ORDERS:
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
    """Metric still needed for the next tier (0 at the top)."""
    keep_gap: int
    """Metric still needed to keep the current tier at review (0 if safe)."""
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
    return attrs.evolve(s, tier=to.code, grace_until=None)


def _settle(
    s: MemberStanding, ladder: TierLadder, now: DateTime
) -> tuple[MemberStanding, list[Event]]:
    events: list[Event] = []
    if s.pinned is not None and s.pinned_until is not None and now >= s.pinned_until:
        s = attrs.evolve(s, pinned=None, pinned_until=None)
        q = ladder.qualified(metric_at(s, ladder, now))
        s = _change(s, q, UNPINNED(to=q.label), now, events)
    if s.grace_until is not None and now >= s.grace_until:
        metric = metric_at(s, ladder, now)
        current = ladder.tier(s.tier)
        if metric < current.keep_at and s.pinned is None:
            to = _below_retention_target(ladder, current, metric)
            s = _change(s, to, GRACE_EXPIRED(to=to.label), now, events)
        s = attrs.evolve(s, grace_until=None)
    return s, events


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
        return Rejected(REFUND_EXCEEDS(left=entry.net_spend), s)
    new_entry = entry.refund(amount)
    taken = new_entry.growth_reversed - entry.growth_reversed
    entries = (*s.entries[:idx], new_entry, *s.entries[idx + 1:])
    s = attrs.evolve(
        s, entries=entries, refunds=(*s.refunds, RefundRecord(c.id, c.order_id, amount, taken))
    )
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
    if ladder.review is None:
        return Rejected(NO_REVIEW(), s)
    period = period_containing(ladder.review, now, ladder.tz).start
    if s.reviewed_period is not None and s.reviewed_period >= period:
        return Rejected(ALREADY_REVIEWED(), s)
    s = attrs.evolve(s, reviewed_period=period, admin=(*s.admin, command_key(c)))
    events: list[Event] = []
    if s.pinned is not None:
        return Accepted(s, ())
    metric = metric_at(s, ladder, now)
    current = ladder.tier(s.tier)
    q = ladder.qualified(metric)
    if ladder.index(q.code) > ladder.index(current.code):
        s = _change(s, q, REVIEW_UPGRADED(to=q.label), now, events)
    elif metric < current.keep_at and ladder.below_retention is not BelowRetention.KEEP:
        if ladder.grace_days and s.grace_until is None:
            until = now.add(days=ladder.grace_days)
            s = attrs.evolve(s, grace_until=until)
            events.append(TierGraceStarted(s.member_id, s.tier, until,
                                           GRACE_STARTED(until=until, tier=current.label)))
        else:
            to = _below_retention_target(ladder, current, metric)
            s = _change(
                s, to, REVIEW_DOWNGRADED(metric=metric, keep_at=current.keep_at, to=to.label),
                now, events,
            )
    return Accepted(s, tuple(events))


def _pin(
    s: MemberStanding, c: PinTier, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    to = ladder.tier(c.tier)
    if c.until is not None and c.until <= now:
        raise invalid("until", c.until, f"must be after now={now}", "pin until a future time")
    events: list[Event] = []
    s = _change(s, to, PINNED(to=to.label), now, events)
    s = attrs.evolve(s, pinned=to.code, pinned_until=c.until, admin=(*s.admin, command_key(c)))
    events.append(TierPinned(s.member_id, to.code, c.until))
    return Accepted(s, tuple(events))


def _unpin(
    s: MemberStanding, c: UnpinTier, ladder: TierLadder, now: DateTime
) -> Outcome[MemberStanding]:
    events: list[Event] = []
    was_pinned = s.pinned is not None
    s = attrs.evolve(s, pinned=None, pinned_until=None, admin=(*s.admin, command_key(c)))
    if was_pinned:
        q = ladder.qualified(metric_at(s, ladder, now))
        s = _change(s, q, UNPINNED(to=q.label), now, events)
    return Accepted(s, tuple(events))


_HANDLERS: dict[type[Any], Any] = {
    RecordOrder: _record_order,
    RecordActivity: _record_activity,
    GrantGrowth: _grant,
    RefundOrder: _refund,
    ReviewTier: _review,
    PinTier: _pin,
    UnpinTier: _unpin,
}
