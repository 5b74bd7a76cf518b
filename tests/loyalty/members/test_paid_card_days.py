"""Paid cards that run a number of days (365天卡), and card messages in Chinese."""

from __future__ import annotations

import json
import re

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract import reload
from sirui.config import dump, load
from sirui.core import ConfigError
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money
from sirui.loyalty.members import (
    CardPlan,
    CardRefundRule,
    ClaimCouponPack,
    ExpireCard,
    PaidCard,
    PurchaseCard,
    RefundCard,
    RefundMode,
    RenewCard,
)
from sirui.rules import Accepted, Rejected
from sirui.testing import aware_datetimes

TZ = "Asia/Shanghai"
DAYS_365 = CardPlan("annual-365", Money.of("99"), duration_days=365, coupon_pack="VIP",
                    refund=CardRefundRule(RefundMode.PRO_RATA))


def at(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=TZ)


def bought(plan: CardPlan, now: pendulum.DateTime) -> PaidCard:
    out = PaidCard.new("c1", "m1", plan).handle(PurchaseCard("pay-1"), now=now)
    assert isinstance(out, Accepted)
    return out.state


def test_a_365_day_card_runs_365_days_also_across_a_leap_day() -> None:
    card = bought(DAYS_365, at(2026, 1, 31, 10))
    assert card.ends_at == at(2027, 1, 31, 10)
    assert (card.months, card.days) == (0, 365)
    leap = bought(DAYS_365, at(2028, 1, 1, 10))
    assert leap.ends_at == at(2028, 12, 31, 10)  # 2028 has 366 days
    months = bought(CardPlan("annual", Money.of("99"), period_months=12), at(2028, 1, 1, 10))
    assert months.ends_at == at(2029, 1, 1, 10)


def test_a_renewal_adds_365_days_to_the_current_end() -> None:
    card = bought(DAYS_365, at(2026, 1, 31, 10))
    card = card.handle(RenewCard("pay-2"), now=at(2026, 8, 1)).state
    assert card.ends_at == at(2028, 1, 31, 10)  # 2027-01-31 + 365 days
    assert (card.days, card.total_paid, card.run_paid) == (730, Money.of("198"), Money.of("198"))
    card = card.handle(RenewCard("pay-3"), now=at(2027, 12, 1)).state
    assert card.ends_at == at(2029, 1, 30, 10)  # + 365 days over 29 February 2028


def test_a_renewal_after_the_card_lapsed_starts_a_new_run_from_now() -> None:
    card = bought(DAYS_365, at(2026, 1, 31, 10))
    out = card.handle(RenewCard("pay-2"), now=at(2027, 3, 1, 9))
    assert isinstance(out, Accepted)
    assert out.state.anchor == at(2027, 3, 1, 9)
    assert out.state.ends_at == at(2028, 2, 29, 9)
    assert out.state.days == 365


def test_a_pro_rata_refund_of_a_99_yuan_day_card_after_73_days_is_79_20() -> None:
    card = bought(DAYS_365, at(2026, 1, 1))
    # 292 of 365 days left: 9,900 fen x 292 / 365 = 7,920 fen.
    assert card.refund_due(at(2026, 3, 15)) == Money.of("79.20")
    out = card.handle(RefundCard("rf-1"), now=at(2026, 3, 15))
    assert out.events[0].amount == Money.of("79.20")


def test_coupon_packs_of_a_day_card_come_monthly_from_the_purchase_until_its_end() -> None:
    card = bought(DAYS_365, at(2026, 1, 31, 10))
    first = card.handle(ClaimCouponPack("k1"), now=at(2026, 2, 1))
    assert first.events[0].period == 0
    assert first.events[0].window.end == at(2026, 2, 28, 10)
    last = first.state.handle(ClaimCouponPack("k2"), now=at(2027, 1, 31, 9))
    assert last.events[0].period == 11
    assert last.events[0].window.end == at(2027, 1, 31, 10)
    # Over a leap year, 365 days end a day before twelve months would: the last
    # pack's month is cut at the card's end.
    leap = bought(DAYS_365, at(2028, 1, 1, 10))
    out = leap.handle(ClaimCouponPack("k3"), now=at(2028, 12, 20))
    assert out.events[0].period == 11
    assert out.events[0].window.end == at(2028, 12, 31, 10)


def test_a_plan_runs_months_or_days_not_both() -> None:
    with pytest.raises(InvalidPolicyError, match="duration_days"):
        CardPlan("x", Money.of("99"), period_months=6, duration_days=180)
    with pytest.raises(InvalidPolicyError, match="duration_days"):
        CardPlan("x", Money.of("99"), duration_days=0)
    with pytest.raises(InvalidPolicyError, match="duration_days"):
        CardPlan("x", Money.of("99"), duration_days=-30)
    with pytest.raises(InvalidPolicyError, match="duration_days"):
        CardPlan("x", Money.of("99"), duration_days=36_500)
    assert CardPlan("x", Money.of("99"), period_months=12, duration_days=365).term == (0, 365)
    assert CardPlan("x", Money.of("99"), period_months=3).term == (3, 0)


def test_an_operator_document_of_a_day_card_loads_and_round_trips() -> None:
    doc = {"type": "card.plan", "code": "annual-365", "price": "99", "duration_days": 365}
    plan = load(doc)
    assert plan == CardPlan("annual-365", Money.of("99"), duration_days=365)
    assert load(json.loads(json.dumps(dump(plan))), CardPlan) == plan
    with pytest.raises(ConfigError, match="duration_days"):
        load({**doc, "duration_days": 0})
    card = bought(plan, at(2026, 1, 1)).handle(RenewCard("pay-2"), now=at(2026, 2, 1)).state
    assert reload(card) == card


@given(st.integers(1, 800), aware_datetimes(), st.lists(st.integers(0, 400), max_size=5))
def test_each_renewal_adds_exactly_the_plans_days_to_the_current_end(
    days: int, start: pendulum.DateTime, waits: list[int]
) -> None:
    plan = CardPlan("d", Money.of("10"), duration_days=days)
    card = bought(plan, start)
    assert card.ends_at == start.add(days=days)
    now = start
    for k, wait in enumerate(waits):
        now = now.add(days=wait)
        before = card
        out = card.handle(RenewCard(f"r{k}"), now=now)
        assert isinstance(out, Accepted)
        card = out.state
        assert card.ends_at is not None and before.ends_at is not None
        if now < before.ends_at:
            assert card.ends_at == before.ends_at.add(days=days)
            assert card.anchor == before.anchor
        else:
            assert (card.anchor, card.ends_at) == (now, now.add(days=days))
        assert card.ends_at > now


# -- messages in Chinese -----------------------------------------------------------------------

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}|T\d{2}:")
_ASCII_WORD = re.compile(r"[A-Za-z_]{3,}")


def _clean_zh(text: str) -> None:
    assert not _ISO.search(text), text
    assert not _ASCII_WORD.search(text), text


def test_card_refusals_in_chinese_show_dates_and_statuses_in_chinese() -> None:
    card = bought(DAYS_365, at(2026, 1, 31, 10))
    not_ended = card.handle(ExpireCard("x1"), now=at(2026, 3, 1))
    assert isinstance(not_ended, Rejected)
    assert not_ended.reason.zh == "会员卡2027年1月31日 10:00到期"
    claimed = card.handle(ClaimCouponPack("k1"), now=at(2026, 2, 1)).state
    again = claimed.handle(ClaimCouponPack("k2"), now=at(2026, 2, 2))
    assert isinstance(again, Rejected)
    assert again.reason.zh == "本期券包已领取，2026年2月28日 10:00起可领下期"
    refunded = card.handle(RefundCard("rf"), now=at(2026, 2, 1)).state
    renew = refunded.handle(RenewCard("pay-9"), now=at(2026, 2, 2))
    assert isinstance(renew, Rejected)
    assert renew.reason.zh == "会员卡已退款，不能续费"
    assert renew.reason.en == "Cannot renew a refunded card"
    expired = card.handle(ExpireCard("x2"), now=at(2027, 2, 1)).state
    twice = expired.handle(ExpireCard("x3"), now=at(2027, 2, 2))
    assert isinstance(twice, Rejected)
    assert twice.reason.zh == "会员卡已于2027年1月31日 10:00到期"
    new = PaidCard.new("c2", "m1", DAYS_365).handle(ClaimCouponPack("k"), now=at(2026, 1, 1))
    assert isinstance(new, Rejected)
    assert new.reason.zh == "会员卡尚未开通，不能领取券包"
    for r in (not_ended, again, renew, twice, new):
        assert isinstance(r, Rejected)
        _clean_zh(r.reason.zh)
