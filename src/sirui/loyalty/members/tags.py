"""Automatic member tags (自动标签) from rules: QR-code source store, baby age, pregnancy.

Each `TagRule` reads `MemberFacts` at ``now`` and yields tags; `AutoTagRules`
runs them all and returns the union. Tags are plain strings with a prefix
(``"qr:S01"``, ``"baby:6-12m"``, ``"pregnant:mid"``), so `HasTag` conditions
and coupon eligibility can use them directly.

Definitions: a baby's age is whole months from the baby birthday to today's
date in the rule's zone (a birthday on the 31st counts a month on the last
day of shorter months); a baby not born yet gets no baby tag. Pregnancy
weeks are ``40 - ceil(days to due date / 7)``; early is weeks < 14, mid
14–27, late 28 and above; no tag once the due date has passed or when the
due date is more than 42 weeks away (bad data).
"""

from __future__ import annotations

import datetime as dt

import attrs

from sirui.core.errors import invalid
from sirui.core.registry import policy, policy_family
from sirui.core.validators import non_empty_str, non_negative_int
from sirui.core.windows import DEFAULT_TZ, DateTime, aware, local_date, tz_name
from sirui.loyalty.members.facts import MemberFacts

__all__ = [
    "AgeBand",
    "AutoTagRules",
    "BabyAgeTag",
    "PregnancyTag",
    "QrStoreTag",
    "TagRule",
    "auto_tags",
    "months_between",
]


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    # A month is complete on the same day of month, or on the month's last
    # day when the start day does not exist in it (31 Jan -> 28 Feb).
    last_day = (dt.date(end.year + end.month // 12, end.month % 12 + 1, 1)
                - dt.timedelta(days=1)).day
    if end.day < min(start.day, last_day):
        months -= 1
    return months


@policy_family
class TagRule:
    """A rule that derives tags from a member's facts."""

    __slots__ = ()

    def tags(self, facts: MemberFacts, today: dt.date) -> frozenset[str]:  # pragma: no cover
        raise NotImplementedError


@policy("segment.qr_store_tag")
@attrs.frozen(slots=True)
class QrStoreTag(TagRule):
    """来源门店标签: ``"qr:S01"`` for a member who registered through store S01's QR code."""

    prefix: str = "qr:"

    def tags(self, facts: MemberFacts, today: dt.date) -> frozenset[str]:
        return frozenset((self.prefix + facts.qr_store,)) if facts.qr_store else frozenset()


@policy("segment.age_band")
@attrs.frozen(slots=True)
class AgeBand:
    """Months ``[from_months, to_months)`` tagged ``label`` (``to_months=None``: no end)."""

    label: str = attrs.field(validator=non_empty_str)
    from_months: int = attrs.field(default=0, validator=non_negative_int)
    to_months: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.to_months is not None and self.to_months <= self.from_months:
            raise invalid(
                "to_months", self.to_months, f"must be above from_months={self.from_months}"
            )


_DEFAULT_BANDS = (
    AgeBand("0-6m", 0, 6),
    AgeBand("6-12m", 6, 12),
    AgeBand("1-3y", 12, 36),
    AgeBand("3y+", 36, None),
)


@policy("segment.baby_age_tag")
@attrs.frozen(slots=True)
class BabyAgeTag(TagRule):
    """宝宝月龄标签 from the baby birthday: ``"baby:0-6m"``, ``"baby:6-12m"``, ..."""

    bands: tuple[AgeBand, ...] = attrs.field(default=_DEFAULT_BANDS, converter=tuple)
    prefix: str = "baby:"

    def __attrs_post_init__(self) -> None:
        if not self.bands:
            raise invalid("bands", (), "needs at least one band")

    def tags(self, facts: MemberFacts, today: dt.date) -> frozenset[str]:
        born = facts.baby_birthday
        if born is None or born > today:
            return frozenset()
        age = months_between(born, today)
        return frozenset(
            self.prefix + b.label for b in self.bands
            if b.from_months <= age and (b.to_months is None or age < b.to_months)
        )


@policy("segment.pregnancy_tag")
@attrs.frozen(slots=True)
class PregnancyTag(TagRule):
    """孕期标签 from the due date: ``"pregnant:early"`` / ``"mid"`` / ``"late"``."""

    prefix: str = "pregnant:"

    def tags(self, facts: MemberFacts, today: dt.date) -> frozenset[str]:
        due = facts.due_date
        if due is None or due <= today:
            return frozenset()
        days_left = (due - today).days
        if days_left > 42 * 7:
            return frozenset()
        weeks = 40 - -(-days_left // 7)
        stage = "early" if weeks < 14 else "mid" if weeks < 28 else "late"
        return frozenset((self.prefix + stage,))


@policy("segment.auto_tags")
@attrs.frozen(slots=True)
class AutoTagRules:
    """自动打标规则: every rule runs; the tags are their union."""

    rules: tuple[TagRule, ...] = attrs.field(converter=tuple)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)


def auto_tags(rules: AutoTagRules, facts: MemberFacts, now: DateTime) -> frozenset[str]:
    """The tags ``rules`` give this member at ``now`` (today's date in the rules' zone)."""
    today = local_date(aware(now), rules.tz)
    out: set[str] = set()
    for r in rules.rules:
        out |= r.tags(facts, today)
    return frozenset(out)
