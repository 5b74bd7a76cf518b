"""Care triggers (会员关怀): which care action is due for a member now, and why.

A `CarePolicy` holds `CareRule` values in priority order. Given a member's
`MemberFacts` and ``now``, each rule decides whether its action is due and
returns a `CareDecision` (the coupon template to issue and the message code
to send, with a `Reason`) — a decision, never a message sent. The host
issues it and records ``(rule code, now)`` in the member's ``last_care``,
which drives each rule's cooldown.

Rules:

* `BirthdayCare` (生日关怀): the birthday is today or within ``days_before``
  days (29 February is 28 February in common years);
* `RecallDormant` (沉睡召回): no order for ``after_days`` or more, optionally
  only for some RFM segments (the high-value ones by default);
* `LongNoLogin` (久未登录): no login for ``after_days`` or more;
* `Replenishment` (补货提醒): an item's next purchase is due from the
  member's own purchase cycle (mean interval, once they bought it twice) or
  the item's default cycle, ``remind_before_days`` ahead, once per purchase;
* `BeforeSale` (大促预热): within ``days_before`` days before a sale node.

Invariants: a rule in cooldown never fires; at most ``max_per_member``
decisions per member, the earlier rules first; the batch function gives,
for each member, exactly what `care_due` gives.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Sequence

import attrs

from sirui.core.errors import invalid
from sirui.core.registry import policy, policy_family
from sirui.core.validators import (
    aware_datetime,
    non_empty_str,
    non_negative_int,
    positive_int,
    str_frozenset,
)
from sirui.core.windows import DEFAULT_TZ, DateTime, aware, local_date, tz_name
from sirui.core.zh import zh_date, zh_datetime
from sirui.loyalty.members.facts import MemberFacts
from sirui.loyalty.members.rfm import RfmSegment
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "BeforeSale",
    "BirthdayCare",
    "CareDecision",
    "CarePolicy",
    "CareRule",
    "LongNoLogin",
    "RecallDormant",
    "Replenishment",
    "care_batch",
    "care_due",
]

BIRTHDAY = reason_code(
    "care.birthday", zh="{days}天后生日（{date_zh}）", en="Birthday in {days} days ({date})"
)
RECALL = reason_code(
    "care.recall_dormant",
    zh="{segment_zh}会员已{days}天未下单",
    en="{segment} member has not ordered for {days}+ days",
)
NO_LOGIN = reason_code(
    "care.no_login", zh="已{days}天未登录", en="No login for {days}+ days"
)
REPLENISH = reason_code(
    "care.replenish",
    zh="常购商品按{cycle}天周期应于{due_zh}补货",
    en="{item} runs out around {due} ({cycle}-day cycle)",
)
BEFORE_SALE = reason_code(
    "care.before_sale", zh="{node}将于{starts_at_zh}开始", en="{node} starts at {starts_at}"
)

def _segment_zh(segment: str | None) -> str:
    """The operator's name of an RFM segment code (重要保持), or the host's own label."""
    if segment is None:
        return ""
    try:
        return RfmSegment(segment).zh
    except ValueError:
        return segment


_IMPORTANT = frozenset({"important_value", "important_develop", "important_keep",
                        "important_retain"})


@attrs.frozen(slots=True)
class CareDecision:
    """A care action due for a member: issue ``template`` and send ``message``."""

    member_id: str
    rule: str
    template: str | None
    message: str
    reason: Reason
    item: str | None = None


_Check = Callable[[MemberFacts], tuple[Reason, str | None] | None]


@attrs.frozen(slots=True)
class _Ctx:
    now: DateTime
    today: dt.date
    tz: str


@policy_family
class CareRule:
    """A care trigger. ``code`` names it in ``last_care``; ``cooldown_days`` spaces it."""

    __slots__ = ()
    code: str
    template: str | None
    message: str
    cooldown_days: int

    def prepare(self, ctx: _Ctx) -> _Check:  # pragma: no cover - abstract
        raise NotImplementedError


@policy("care.birthday")
@attrs.frozen(slots=True)
class BirthdayCare(CareRule):
    """生日关怀: birthday today or within ``days_before`` days."""

    code: str = attrs.field(default="birthday", validator=non_empty_str)
    template: str | None = None
    message: str = "care.birthday"
    cooldown_days: int = attrs.field(default=300, validator=non_negative_int)
    days_before: int = attrs.field(default=0, validator=non_negative_int)

    def prepare(self, ctx: _Ctx) -> _Check:
        days: dict[tuple[int, int], Reason] = {}
        for k in range(self.days_before, -1, -1):
            d = ctx.today + dt.timedelta(days=k)
            days[(d.month, d.day)] = BIRTHDAY(days=k, date=d, date_zh=zh_date(d))
            if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
                days[(2, 29)] = days[(2, 28)]

        def check(f: MemberFacts) -> tuple[Reason, str | None] | None:
            b = f.birthday
            if b is None:
                return None
            hit = days.get((b.month, b.day))
            return None if hit is None else (hit, None)

        return check


@policy("care.recall_dormant")
@attrs.frozen(slots=True)
class RecallDormant(CareRule):
    """沉睡召回: no order for ``after_days``+, in ``segments`` (empty: every member)."""

    code: str = attrs.field(default="recall", validator=non_empty_str)
    template: str | None = None
    message: str = "care.recall_dormant"
    cooldown_days: int = attrs.field(default=30, validator=non_negative_int)
    after_days: int = attrs.field(default=60, validator=positive_int)
    segments: frozenset[str] = attrs.field(default=_IMPORTANT, converter=str_frozenset)

    def prepare(self, ctx: _Ctx) -> _Check:
        cutoff = ctx.now.subtract(days=self.after_days)
        segments = self.segments
        reasons: dict[str | None, Reason] = {}  # one Reason per segment, built once

        def check(f: MemberFacts) -> tuple[Reason, str | None] | None:
            last = f.last_order_at
            if last is None or last > cutoff:
                return None
            seg = f.segment
            if segments and seg not in segments:
                return None
            reason = reasons.get(seg)
            if reason is None:
                reason = reasons[seg] = RECALL(segment=seg or "-", segment_zh=_segment_zh(seg),
                                               days=self.after_days)
            return reason, None

        return check


@policy("care.no_login")
@attrs.frozen(slots=True)
class LongNoLogin(CareRule):
    """久未登录: no login for ``after_days`` or more."""

    code: str = attrs.field(default="no_login", validator=non_empty_str)
    template: str | None = None
    message: str = "care.no_login"
    cooldown_days: int = attrs.field(default=30, validator=non_negative_int)
    after_days: int = attrs.field(default=30, validator=positive_int)

    def prepare(self, ctx: _Ctx) -> _Check:
        cutoff = ctx.now.subtract(days=self.after_days)
        reason = NO_LOGIN(days=self.after_days)

        def check(f: MemberFacts) -> tuple[Reason, str | None] | None:
            last = f.last_login_at
            return (reason, None) if last is not None and last <= cutoff else None

        return check


@policy("care.replenish")
@attrs.frozen(slots=True)
class Replenishment(CareRule):
    """补货提醒: remind ``remind_before_days`` before an item is expected to run out.

    The cycle is the member's mean interval between purchases of the item
    (whole days, floored) once they bought it ``min_purchases`` times, else
    ``default_cycle_days``. A reminder is due from ``last + cycle -
    remind_before_days`` until ``last + cycle + stale_after_days``, once per
    last purchase. ``items`` limits the rule (empty: every item).
    """

    code: str = attrs.field(default="replenish", validator=non_empty_str)
    template: str | None = None
    message: str = "care.replenish"
    cooldown_days: int = attrs.field(default=0, validator=non_negative_int)
    default_cycle_days: int = attrs.field(default=30, validator=positive_int)
    remind_before_days: int = attrs.field(default=3, validator=non_negative_int)
    stale_after_days: int = attrs.field(default=30, validator=non_negative_int)
    min_purchases: int = attrs.field(default=2, validator=positive_int)
    items: frozenset[str] = attrs.field(default=frozenset(), converter=str_frozenset)

    def __attrs_post_init__(self) -> None:
        if self.min_purchases < 2:
            raise invalid("min_purchases", self.min_purchases, "must be >= 2 to have a cycle")

    def cycle_days(self, bought_at: Sequence[DateTime]) -> int:
        """The purchase cycle in days for these (sorted) purchase times."""
        if len(bought_at) < self.min_purchases:
            return self.default_cycle_days
        # datetime's own subtraction: exact elapsed time, without pendulum's
        # calendar-aware Interval (too slow for a 100k-member batch).
        span = _elapsed(bought_at[-1], bought_at[0])
        return max(span // 86400 // (len(bought_at) - 1), 1)

    def prepare(self, ctx: _Ctx) -> _Check:
        now = ctx.now
        early = self.remind_before_days * 86400
        late = self.stale_after_days * 86400

        def check(f: MemberFacts) -> tuple[Reason, str | None] | None:
            for p in f.purchases:
                if (self.items and p.item not in self.items) or not p.bought_at:
                    continue
                last = p.bought_at[-1]
                if p.reminded_at is not None and p.reminded_at >= last:
                    continue
                cycle = self.cycle_days(p.bought_at)
                # Due from (cycle - remind_before) days after the last purchase,
                # until stale_after days past the expected run-out.
                elapsed = _elapsed(now, last)
                if cycle * 86400 - early <= elapsed < cycle * 86400 + late:
                    due = local_date(last, ctx.tz) + dt.timedelta(days=cycle)
                    reason = REPLENISH(item=p.item, cycle=cycle, due=due, due_zh=zh_date(due))
                    return reason, p.item
            return None

        return check


def _elapsed(later: DateTime, earlier: DateTime) -> int:
    """Whole seconds from ``earlier`` to ``later``."""
    return int(dt.datetime.__sub__(later, earlier).total_seconds())


@policy("care.before_sale")
@attrs.frozen(slots=True)
class BeforeSale(CareRule):
    """大促预热: ``days_before`` days before ``starts_at`` of sale node ``node``."""

    node: str = attrs.field(validator=non_empty_str)
    starts_at: DateTime = attrs.field(validator=aware_datetime)
    code: str = attrs.field(default="before_sale", validator=non_empty_str)
    template: str | None = None
    message: str = "care.before_sale"
    cooldown_days: int = attrs.field(default=0, validator=non_negative_int)
    days_before: int = attrs.field(default=3, validator=positive_int)
    segments: frozenset[str] = attrs.field(default=frozenset(), converter=str_frozenset)

    def prepare(self, ctx: _Ctx) -> _Check:
        if not self.starts_at.subtract(days=self.days_before) <= ctx.now < self.starts_at:
            return lambda f: None
        reason = BEFORE_SALE(node=self.node, starts_at=self.starts_at,
                             starts_at_zh=zh_datetime(self.starts_at, ctx.tz))
        segments = self.segments

        def check(f: MemberFacts) -> tuple[Reason, str | None] | None:
            if segments and f.segment not in segments:
                return None
            return reason, None

        return check


def _unique_codes(_inst: object, _attr: object, rules: tuple[CareRule, ...]) -> None:
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if not isinstance(r, CareRule):
            raise invalid(f"rules[{i}]", r, "must be a CareRule")
        if r.code in seen:
            raise invalid(f"rules[{i}].code", r.code, "duplicate rule code",
                          "cooldowns are kept by code; give each rule its own")
        seen.add(r.code)


@policy("care.policy")
@attrs.frozen(slots=True)
class CarePolicy:
    """关怀策略: rules in priority order, at most ``max_per_member`` decisions per member."""

    rules: tuple[CareRule, ...] = attrs.field(converter=tuple, validator=_unique_codes)
    max_per_member: int = attrs.field(default=1, validator=positive_int)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)


def _prepared(
    policy: CarePolicy, now: DateTime
) -> list[tuple[CareRule, _Check, DateTime]]:
    now = aware(now)
    ctx = _Ctx(now, local_date(now, policy.tz), policy.tz)
    return [(r, r.prepare(ctx), now.subtract(days=r.cooldown_days)) for r in policy.rules]


def _decide(
    prepared: list[tuple[CareRule, _Check, DateTime]], limit: int, facts: MemberFacts
) -> list[CareDecision]:
    out: list[CareDecision] = []
    for rule, check, cool in prepared:
        if rule.cooldown_days and facts.last_care:
            last = facts.last_care_at(rule.code)
            if last is not None and last > cool:
                continue
        hit = check(facts)
        if hit is None:
            continue
        reason, item = hit
        out.append(CareDecision(facts.member_id, rule.code, rule.template, rule.message,
                                reason, item))
        if len(out) >= limit:
            break
    return out


def care_due(policy: CarePolicy, facts: MemberFacts, now: DateTime) -> tuple[CareDecision, ...]:
    """The care actions due for one member at ``now``, in rule priority order."""
    return tuple(_decide(_prepared(policy, now), policy.max_per_member, facts))


def care_batch(
    policy: CarePolicy, members: Iterable[MemberFacts], now: DateTime
) -> list[CareDecision]:
    """Care decisions for many members at ``now`` (rules prepared once), member by member."""
    prepared = _prepared(policy, now)
    limit = policy.max_per_member
    out: list[CareDecision] = []
    for f in members:
        out.extend(_decide(prepared, limit, f))
    return out
