"""Automatic tags: QR-code source store, baby age bands, pregnancy stage."""

from __future__ import annotations

import datetime as dt

import pendulum
from hypothesis import given
from hypothesis import strategies as st

from sirui.loyalty.members import (
    AutoTagRules,
    BabyAgeTag,
    MemberFacts,
    PregnancyTag,
    QrStoreTag,
    auto_tags,
    months_between,
)

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
RULES = AutoTagRules((QrStoreTag(), BabyAgeTag(), PregnancyTag()))


def test_member_from_store_s01_qr_code_with_an_8_month_old_baby() -> None:
    facts = MemberFacts("m", qr_store="S01", baby_birthday=dt.date(2026, 3, 1))
    assert auto_tags(RULES, facts, NOW) == {"qr:S01", "baby:6-12m"}


def test_baby_age_band_changes_on_the_month_day() -> None:
    facts = MemberFacts("m", baby_birthday=dt.date(2026, 5, 11))
    assert auto_tags(RULES, facts, NOW) == {"baby:6-12m"}  # 6 months today
    assert auto_tags(RULES, facts, NOW.subtract(days=1)) == {"baby:0-6m"}


def test_pregnancy_stages_by_weeks_to_the_due_date() -> None:
    today = dt.date(2026, 11, 11)

    def tags(days_to_due: int) -> frozenset[str]:
        return auto_tags(RULES, MemberFacts("m", due_date=today + dt.timedelta(days_to_due)), NOW)

    assert tags(30 * 7) == {"pregnant:early"}  # week 10
    assert tags(20 * 7) == {"pregnant:mid"}  # week 20
    assert tags(5 * 7) == {"pregnant:late"}  # week 35
    assert tags(0) == frozenset()  # due date reached
    assert tags(50 * 7) == frozenset()  # more than 42 weeks away: bad data


def test_31_january_baby_is_one_month_old_on_28_february() -> None:
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 1
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 2, 27)) == 0
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 3, 30)) == 1
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 3, 31)) == 2


@given(st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)), st.integers(0, 3000))
def test_months_between_is_monotone(start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    assert months_between(start, end) <= months_between(start, end + dt.timedelta(days=1))
    assert 0 <= months_between(start, end) <= days // 28 + 1
