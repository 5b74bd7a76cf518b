"""Member benefits (会员权益): what a member gets now, from their tier and paid cards.

One query, `benefits_for(policy, facts, now, cards)`, answers "what does this
member get now?" as a plain `MemberBenefits` value that other modules
consume without importing anything else from here: discount rates with their
item scopes, free-shipping threshold, points multiplier, the birthday gift
and member-day / member-week coupons that are due, exclusive item scopes and
seckill early-access minutes.

Tier perks and paid-card perks combine by the operator's `CombineRule`:

* ``BEST_OF`` (取最优): per item the lowest discount rate; the lowest
  free-shipping threshold; the highest points multiplier;
* ``STACK`` (叠加): per item the product of the rates in scope
  (95折 tier × 9折 card = 85.5折); multipliers multiply (1.5 × 2 = 3);
  the lowest free-shipping threshold.

Under both rules, coupon and gift entitlements are granted by each source
(they are things to issue, not rates), exclusive scopes unite and
early-access minutes take the larger.

Birthday gifts fall in the birthday's day, ISO week or month in the policy's
zone. A birthday of 29 February is defined: in a year without 29 February
the birthday is 28 February, so the gift always falls in February.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.nouns import Sku
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str
from sirui.core.windows import DEFAULT_TZ, DateTime, MemberDay, MemberWeek, aware, tz_name
from sirui.core.windows import local_date as _local_date
from sirui.loyalty.members.cards import PaidCard
from sirui.loyalty.members.facts import MemberFacts
from sirui.loyalty.members.perks import BirthdayGift, BirthdayWindow, Perks
from sirui.rules.scope import ItemScope

__all__ = [
    "BenefitPolicy",
    "CombineRule",
    "MemberBenefits",
    "SourcedDiscount",
    "TierPerks",
    "benefits_for",
    "birthday_in",
]


class CombineRule(enum.Enum):
    """How tier perks and paid-card perks combine."""

    BEST_OF = "best_of"
    """The better of the two, per benefit (取最优)."""
    STACK = "stack"
    """Both apply: rates and multipliers multiply (叠加)."""


@policy("benefit.tier")
@attrs.frozen(slots=True)
class TierPerks:
    """The perks of one tier on the ladder."""

    tier: str = attrs.field(validator=non_empty_str)
    perks: Perks = attrs.field(factory=Perks)


def _unique_tiers(_inst: object, _attr: object, value: tuple[TierPerks, ...]) -> None:
    seen: set[str] = set()
    for i, tp in enumerate(value):
        if not isinstance(tp, TierPerks):
            raise invalid(f"tiers[{i}]", tp, "must be a TierPerks")
        if tp.tier in seen:
            raise invalid(f"tiers[{i}].tier", tp.tier, "duplicate tier", "one entry per tier")
        seen.add(tp.tier)


@policy("benefit.policy")
@attrs.frozen(slots=True)
class BenefitPolicy:
    """会员权益配置: perks per tier, the combine rule and the member day/week calendar."""

    tiers: tuple[TierPerks, ...] = attrs.field(converter=tuple, validator=_unique_tiers)
    combine: CombineRule = CombineRule.BEST_OF
    member_day: MemberDay | None = None
    member_week: MemberWeek | None = None
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)

    def perks_of(self, tier: str | None) -> Perks | None:
        for tp in self.tiers:
            if tp.tier == tier:
                return tp.perks
        return None


@attrs.frozen(slots=True)
class SourcedDiscount:
    """A discount and where it comes from (``"tier:gold"``, ``"card:annual"``)."""

    rate: Decimal
    scope: ItemScope
    source: str


@attrs.frozen(slots=True)
class MemberBenefits:
    """What a member gets at one moment: plain values for the other modules."""

    member_id: str
    tier: str | None
    combine: CombineRule = CombineRule.BEST_OF
    discounts: tuple[SourcedDiscount, ...] = ()
    free_shipping_threshold: Money | None = None
    points_multiplier: Decimal = Decimal(1)
    birthday_gifts: tuple[BirthdayGift, ...] = ()
    """Birthday gifts due now (not yet granted this year)."""
    birthday_gift_year: int | None = None
    """The birthday year the due gifts belong to (record it once granted)."""
    member_day_coupons: tuple[str, ...] = ()
    """Member-day coupon templates due now (first visit on member day)."""
    member_week_coupons: tuple[str, ...] = ()
    exclusive_scopes: tuple[ItemScope, ...] = ()
    seckill_early_minutes: int = 0
    sources: tuple[str, ...] = ()
    """Where the perks came from, in order (``("tier:gold", "card:annual")``)."""

    def rate_for(self, sku: Sku) -> Decimal | None:
        """The member price multiplier for ``sku`` (``None`` when no discount covers it)."""
        rates = [d.rate for d in self.discounts if d.scope.matches(sku)]
        if not rates:
            return None
        if self.combine is CombineRule.BEST_OF:
            return min(rates)
        out = Decimal(1)
        for r in rates:
            out *= r
        return out

    def may_buy_exclusive(self, sku: Sku) -> bool:
        """True if one of the member's exclusive scopes covers ``sku``."""
        return any(s.matches(sku) for s in self.exclusive_scopes)

    @property
    def birthday_gift_due(self) -> bool:
        return bool(self.birthday_gifts)


def birthday_in(birthday: dt.date, year: int) -> dt.date:
    """The birthday's date in ``year``: 29 February is 28 February in common years.

    >>> birthday_in(dt.date(2000, 2, 29), 2027)
    datetime.date(2027, 2, 28)
    """
    if birthday.month == 2 and birthday.day == 29:
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def _birthday_year(gift: BirthdayGift, birthday: dt.date, today: dt.date) -> int | None:
    """The year whose birthday gift window contains ``today``, if any."""
    # A week window can straddle new year (a 31 December birthday's week may
    # end in January), so the neighbouring years are checked too.
    years = (
        (today.year - 1, today.year, today.year + 1)
        if gift.window is BirthdayWindow.WEEK else (today.year,)
    )
    for y in years:
        if not dt.MINYEAR < y < dt.MAXYEAR:
            continue
        day = birthday_in(birthday, y)
        if gift.window is BirthdayWindow.DAY:
            hit = today == day
        elif gift.window is BirthdayWindow.WEEK:
            hit = today.isocalendar()[:2] == day.isocalendar()[:2]
        else:
            hit = today.month == day.month
        if hit:
            return y
    return None


def _member_day_due(policy: BenefitPolicy, facts: MemberFacts, now: DateTime) -> bool:
    md = policy.member_day
    if md is None or not md.is_member_day(now):
        return False
    last = facts.member_day_coupon_at
    return last is None or _local_date(last, md.tz) != _local_date(now, md.tz)


def _member_week_due(policy: BenefitPolicy, facts: MemberFacts, now: DateTime) -> bool:
    mw = policy.member_week
    if mw is None:
        return False
    window = mw.window_containing(now)
    if window is None:
        return False
    last = facts.member_week_coupon_at
    return last is None or not window.contains(last)


def _sources(
    policy: BenefitPolicy, facts: MemberFacts, now: DateTime, cards: Iterable[PaidCard]
) -> list[tuple[str, Perks]]:
    out: list[tuple[str, Perks]] = []
    tier_perks = policy.perks_of(facts.tier)
    if tier_perks is not None:
        out.append((f"tier:{facts.tier}", tier_perks))
    for card in sorted(cards, key=lambda c: c.card_id):
        if card.is_active(now):
            out.append((f"card:{card.plan.code}", card.plan.perks))
    return out


def benefits_for(
    policy: BenefitPolicy,
    facts: MemberFacts,
    now: DateTime,
    cards: Iterable[PaidCard] = (),
) -> MemberBenefits:
    """What ``facts.member_id`` gets at ``now`` from their tier and active paid cards.

    Cards that are not active at ``now`` (expired, refunded, not yet bought)
    give nothing. The result is deterministic: sources are taken tier first,
    then cards by card id.
    """
    now = aware(now)
    sources = _sources(policy, facts, now, cards)
    today = _local_date(now, policy.tz)
    best = policy.combine is CombineRule.BEST_OF
    discounts: list[SourcedDiscount] = []
    threshold: Money | None = None
    mult = Decimal(1)
    gifts: list[BirthdayGift] = []
    day_coupons: list[str] = []
    week_coupons: list[str] = []
    scopes: list[ItemScope] = []
    early = 0
    gift_year: int | None = None
    day_due = _member_day_due(policy, facts, now)
    week_due = _member_week_due(policy, facts, now)
    for name, p in sources:
        if p.discount is not None:
            discounts.append(SourcedDiscount(p.discount.rate, p.discount.scope, name))
        if p.free_shipping_threshold is not None:
            threshold = (
                p.free_shipping_threshold if threshold is None
                else threshold.min(p.free_shipping_threshold)
            )
        mult = max(mult, p.points_multiplier) if best else mult * p.points_multiplier
        if p.birthday_gift is not None and facts.birthday is not None:
            y = _birthday_year(p.birthday_gift, facts.birthday, today)
            if y is not None and y != facts.birthday_gift_year:
                gifts.append(p.birthday_gift)
                gift_year = y
        if p.member_day_coupon is not None and day_due:
            day_coupons.append(p.member_day_coupon)
        if p.member_week_coupon is not None and week_due:
            week_coupons.append(p.member_week_coupon)
        if p.exclusive_scope is not None:
            scopes.append(p.exclusive_scope)
        early = max(early, p.seckill_early_minutes)
    return MemberBenefits(
        member_id=facts.member_id,
        tier=facts.tier,
        combine=policy.combine,
        discounts=tuple(discounts),
        free_shipping_threshold=threshold,
        points_multiplier=mult,
        birthday_gifts=tuple(gifts),
        birthday_gift_year=gift_year,
        member_day_coupons=tuple(day_coupons),
        member_week_coupons=tuple(week_coupons),
        exclusive_scopes=tuple(scopes),
        seckill_early_minutes=early,
        sources=tuple(n for n, _ in sources),
    )
