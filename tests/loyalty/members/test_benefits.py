"""Member benefits: tier and paid-card perks combined by the operator's rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Sku
from sirui.core.windows import MemberDay, MemberWeek
from sirui.loyalty.members import (
    BenefitPolicy,
    BirthdayGift,
    BirthdayWindow,
    CardPlan,
    CombineRule,
    MemberDiscount,
    MemberFacts,
    PaidCard,
    Perks,
    PurchaseCard,
    TierPerks,
    benefits_for,
    birthday_in,
)
from sirui.rules import ItemScope

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 18, 10, tz=TZ)  # a Wednesday, the 18th
MILK = Sku("FM-1", Money.of("268"), category="母婴/奶粉/1段")
TOY = Sku("TOY-1", Money.of("59"), category="玩具")

GOLD = Perks(
    discount=MemberDiscount("0.95"),
    free_shipping_threshold=Money.of("49"),
    points_multiplier=Decimal("1.5"),
    birthday_gift=BirthdayGift(coupon_pack="BDAY-GOLD", points=200),
    member_day_coupon="MD-10",
    member_week_coupon="MW-5",
    exclusive_scope=ItemScope(tags=frozenset({"会员专享"})),
    seckill_early_minutes=5,
)
POLICY = BenefitPolicy(
    (TierPerks("normal"), TierPerks("gold", GOLD)),
    member_day=MemberDay(day_of_month=18),
    member_week=MemberWeek(start_day=15, length_days=7),
)
CARD_PLAN = CardPlan(
    "annual", Money.of("99"),
    perks=Perks(discount=MemberDiscount("0.9", ItemScope(categories=frozenset({"母婴/奶粉"}))),
                free_shipping_threshold=Money.of("0"), points_multiplier=Decimal("2"),
                seckill_early_minutes=10),
)


def _card(now: pendulum.DateTime | None = None) -> PaidCard:
    now = NOW.subtract(days=30) if now is None else now
    out = PaidCard.new("c1", "m1", CARD_PLAN).handle(PurchaseCard("p1"), now=now)
    return out.state


def test_gold_member_without_card_gets_the_gold_perks() -> None:
    b = benefits_for(POLICY, MemberFacts("m1", tier="gold"), NOW)
    assert b.rate_for(MILK) == Decimal("0.95")
    assert b.free_shipping_threshold == Money.of("49")
    assert b.points_multiplier == Decimal("1.5")
    assert b.member_day_coupons == ("MD-10",)  # the 18th is member day
    assert b.member_week_coupons == ("MW-5",)  # 15th-21st is member week
    assert b.seckill_early_minutes == 5
    assert b.may_buy_exclusive(Sku("X", Money.of("1"), tags=frozenset({"会员专享"})))
    assert not b.may_buy_exclusive(TOY)
    assert b.sources == ("tier:gold",)


def test_best_of_gold_95_and_card_90_on_milk_gives_90_and_95_on_toys() -> None:
    b = benefits_for(POLICY, MemberFacts("m1", tier="gold"), NOW, cards=[_card()])
    assert b.rate_for(MILK) == Decimal("0.9")
    assert b.rate_for(TOY) == Decimal("0.95")  # the card covers milk only
    assert b.free_shipping_threshold == Money.of("0")
    assert b.points_multiplier == Decimal("2")
    assert b.seckill_early_minutes == 10
    assert b.sources == ("tier:gold", "card:annual")


def test_stacking_95_and_90_gives_855_and_multipliers_multiply() -> None:
    stacked = BenefitPolicy(POLICY.tiers, combine=CombineRule.STACK)
    b = benefits_for(stacked, MemberFacts("m1", tier="gold"), NOW, cards=[_card()])
    assert b.rate_for(MILK) == Decimal("0.855")
    assert b.rate_for(TOY) == Decimal("0.95")
    assert b.points_multiplier == Decimal("3.0")


def test_expired_card_gives_nothing() -> None:
    old = _card(NOW.subtract(years=2))
    b = benefits_for(POLICY, MemberFacts("m1", tier="normal"), NOW, cards=[old])
    assert b.rate_for(MILK) is None
    assert b.sources == ("tier:normal",)


def test_member_day_coupon_only_on_the_first_visit_of_the_day() -> None:
    facts = MemberFacts("m1", tier="gold", member_day_coupon_at=NOW.subtract(hours=1))
    assert benefits_for(POLICY, facts, NOW).member_day_coupons == ()
    facts = MemberFacts("m1", tier="gold", member_day_coupon_at=NOW.subtract(months=1))
    assert benefits_for(POLICY, facts, NOW).member_day_coupons == ("MD-10",)
    assert benefits_for(POLICY, facts, NOW.add(days=1)).member_day_coupons == ()


def test_member_week_coupon_once_per_member_week() -> None:
    facts = MemberFacts("m1", tier="gold", member_week_coupon_at=NOW.subtract(days=2))
    assert benefits_for(POLICY, facts, NOW).member_week_coupons == ()
    later = NOW.add(days=30)  # 18 December, in December's member week
    assert benefits_for(POLICY, facts, later).member_week_coupons == ("MW-5",)


def test_birthday_gift_in_the_birthday_month_once_a_year() -> None:
    facts = MemberFacts("m1", tier="gold", birthday=dt.date(1990, 11, 2))
    b = benefits_for(POLICY, facts, NOW)
    assert b.birthday_gift_due
    assert b.birthday_gifts == (GOLD.birthday_gift,)
    assert b.birthday_gift_year == 2026
    granted = MemberFacts("m1", tier="gold", birthday=dt.date(1990, 11, 2), birthday_gift_year=2026)
    assert not benefits_for(POLICY, granted, NOW).birthday_gift_due
    assert not benefits_for(POLICY, facts, NOW.add(months=1)).birthday_gift_due


def _gift_policy(window: BirthdayWindow) -> BenefitPolicy:
    return BenefitPolicy((TierPerks("gold", Perks(birthday_gift=BirthdayGift(
        coupon_pack="B", window=window))),))


def test_29_february_birthday_gift_falls_in_february_every_year() -> None:
    facts = MemberFacts("m1", tier="gold", birthday=dt.date(2000, 2, 29))
    on_day = _gift_policy(BirthdayWindow.DAY)
    in_month = _gift_policy(BirthdayWindow.MONTH)
    def due(policy: BenefitPolicy, month: int, day: int) -> bool:
        at = pendulum.datetime(year, month, day, 12, tz=TZ)
        return benefits_for(policy, facts, at).birthday_gift_due

    for year in range(2025, 2033):
        leap = year % 4 == 0
        assert due(on_day, 2, 28) is not leap
        if leap:
            assert due(on_day, 2, 29)
        assert not due(on_day, 3, 1)
        assert due(in_month, 2, 1)
        assert not due(in_month, 3, 1)


@given(st.dates(dt.date(1950, 1, 1), dt.date(2020, 12, 31)), st.integers(2000, 2100))
def test_birthday_in_any_year_keeps_the_month(born: dt.date, year: int) -> None:
    d = birthday_in(born, year)
    assert d.year == year
    assert d.month == born.month
    assert d.day == born.day or (born.month, born.day, d.day) == (2, 29, 28)


def test_birthday_week_straddling_new_year() -> None:
    week = _gift_policy(BirthdayWindow.WEEK)
    facts = MemberFacts("m1", tier="gold", birthday=dt.date(1990, 12, 31))
    # 31 Dec 2025 is a Wednesday; its ISO week runs to Sunday 4 January 2026.
    b = benefits_for(week, facts, pendulum.datetime(2026, 1, 2, tz=TZ))
    assert b.birthday_gift_due
    assert b.birthday_gift_year == 2025


def test_duplicate_tier_perks_and_bad_rates_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="duplicate tier"):
        BenefitPolicy((TierPerks("gold"), TierPerks("gold")))
    with pytest.raises(InvalidPolicyError, match="multiplier"):
        MemberDiscount("1.2")
    with pytest.raises(InvalidPolicyError, match="multiplier"):
        MemberDiscount("0")
    with pytest.raises(InvalidPolicyError, match="multiplier"):
        Perks(points_multiplier="0.5")
    with pytest.raises(InvalidPolicyError, match="coupon pack or points"):
        BirthdayGift()
