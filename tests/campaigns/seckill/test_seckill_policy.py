"""Seckill campaign policy: slot edges, time zones, preview, eligibility, bad input."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from seckill_helpers import at, daily_campaign, milk

from sirui.campaigns.seckill import (
    EarlyAccess,
    PurchaseLimits,
    SeckillCampaign,
    SeckillItem,
    SeckillSlot,
    SlotPhase,
)
from sirui.config import dump, load
from sirui.core import ConfigError
from sirui.core.errors import InvalidCommandError, InvalidPolicyError, NaiveDatetimeError
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment, Member
from sirui.core.windows import DailySlot, Window
from sirui.rules import NewCustomer, TierIn

SHOPPER = Member("m1", tier="silver", paid_orders=3)


def one_off(start: pendulum.DateTime, minutes: int = 30) -> Window:
    return Window(start, start.add(minutes=minutes))


# -- slot edges ------------------------------------------------------------------------


def test_daily_slot_ending_1030_sells_at_102959999_and_not_at_1030() -> None:
    c = daily_campaign()
    assert c.admit(SHOPPER, "milk", "am", now=at(10, 29, 59, 999_000)).ok
    closed = c.admit(SHOPPER, "milk", "am", now=at(10, 30))
    # Today's occurrence has ended; the reason names the next one, tomorrow at 10:00.
    assert closed.reason is not None
    assert closed.reason.code == "seckill.slot_ended"
    assert closed.reason.params["opens_at"] == at(10, day=12)


def test_one_off_slot_ending_1030_is_ended_at_1030_exactly() -> None:
    slot = SeckillSlot("flash", (milk(),), window=one_off(at(10)))
    c = SeckillCampaign("c1", (slot,))
    assert c.admit(SHOPPER, "milk", "flash", now=at(10, 29, 59, 999_999)).ok
    ended = c.admit(SHOPPER, "milk", "flash", now=at(10, 30))
    assert ended.reason is not None
    assert ended.reason.code == "seckill.ended"
    assert c.status("flash", at(10, 30)).phase is SlotPhase.ENDED


def test_slot_opens_at_1000_exactly() -> None:
    c = daily_campaign()
    early = c.admit(SHOPPER, "milk", "am", now=at(9, 59, 59, 999_000))
    assert early.reason is not None
    assert early.reason.code == "seckill.not_started"
    assert c.admit(SHOPPER, "milk", "am", now=at(10)).ok


def test_gold_members_buy_five_minutes_early() -> None:
    c = daily_campaign(early_access={"gold": 5, "diamond": 10})
    gold = Member("g1", tier="gold")
    assert c.admit(gold, "milk", "am", now=at(9, 55)).ok
    assert not c.admit(gold, "milk", "am", now=at(9, 54, 59, 999_000)).ok
    assert c.admit(Member("d1", tier="diamond"), "milk", "am", now=at(9, 50)).ok
    assert not c.admit(SHOPPER, "milk", "am", now=at(9, 55)).ok
    # The early buyer reserves the 10:00 occurrence's stock.
    adm = c.admit(gold, "milk", "am", now=at(9, 57))
    assert adm.slot_key == "double11/am@2026-11-11T10:00:00+08:00"
    assert c.early_access == (EarlyAccess("diamond", 10), EarlyAccess("gold", 5))


# -- time zones ------------------------------------------------------------------------


def test_slot_is_in_the_stores_zone_whatever_zone_now_is_given_in() -> None:
    c = daily_campaign()
    # 10:29:59.999 in Shanghai is 02:29:59.999 UTC and 21:29:59.999 the day before in New York.
    utc = pendulum.datetime(2026, 11, 11, 2, 29, 59, 999_000, tz="UTC")
    ny = utc.in_timezone("America/New_York")
    assert ny.day == 10
    assert c.admit(SHOPPER, "milk", "am", now=utc).ok
    assert c.admit(SHOPPER, "milk", "am", now=ny).ok
    assert not c.admit(SHOPPER, "milk", "am", now=utc.add(microseconds=1000)).ok


def test_a_slot_in_another_zone_keeps_its_own_clock() -> None:
    slot = SeckillSlot("hk", (milk(),), daily=DailySlot(dt.time(10), dt.time(10, 30), tz="UTC"))
    c = SeckillCampaign("c1", (slot,))
    assert not c.admit(SHOPPER, "milk", "hk", now=at(10)).ok
    assert c.admit(SHOPPER, "milk", "hk", now=at(18)).ok  # 10:00 UTC


def test_naive_now_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        daily_campaign().admit(SHOPPER, "milk", "am", now=dt.datetime(2026, 11, 11, 10))


# -- preview and countdown -------------------------------------------------------------


def test_preview_hour_and_countdown() -> None:
    c = daily_campaign()
    s = c.status("am", at(8, 59, 59))
    assert s.phase is SlotPhase.UPCOMING
    assert s.countdown_seconds == 3601
    s = c.status("am", at(9, 30))
    assert s.phase is SlotPhase.PREVIEW
    assert s.countdown_seconds == 1800
    assert s.opens_at == at(10)
    assert s.occurrence == one_off(at(10))
    # A half-second left still shows one second on the countdown.
    assert c.status("am", at(9, 59, 59, 500_000)).countdown_seconds == 1
    s = c.status("am", at(10, 15))
    assert s.phase is SlotPhase.OPEN
    assert s.countdown_seconds == 0
    assert c.status("am", at(10, 30)).occurrence == one_off(at(10, day=12))


def test_campaign_period_ends_daily_slots() -> None:
    c = daily_campaign(period=Window(at(0, day=9), at(0, day=12)))
    assert c.admit(SHOPPER, "milk", "am", now=at(10, 5, day=11)).ok
    assert c.status("am", at(11, day=11)).phase is SlotPhase.ENDED
    # Before the period, the first occurrence is the period's first day.
    assert c.status("am", at(12, day=5)).opens_at == at(10, day=9)


# -- who may buy -----------------------------------------------------------------------


def test_pickup_orders_are_refused_unless_allowed() -> None:
    c = daily_campaign()
    r = c.admit(SHOPPER, "milk", "am", now=at(10, 1), fulfillment=Fulfillment.PICKUP)
    assert r.reason is not None
    assert r.reason.code == "seckill.pickup_not_allowed"
    assert r.reason.zh == "抢购商品不允许到店自提"
    allowed = daily_campaign(allow_pickup=True)
    assert allowed.admit(SHOPPER, "milk", "am", now=at(10, 1), fulfillment=Fulfillment.PICKUP).ok


def test_new_customer_only_seckill() -> None:
    c = daily_campaign(eligibility=NewCustomer() | TierIn(frozenset({"diamond"})))
    r = c.admit(SHOPPER, "milk", "am", now=at(10, 1))
    assert r.reason is not None
    assert r.reason.code == "seckill.not_eligible"
    assert "condition.not_new_customer" in r.reason.params["detail"]
    assert c.admit(Member("new"), "milk", "am", now=at(10, 1)).ok


def test_item_not_in_slot_and_unknown_slot() -> None:
    c = daily_campaign()
    r = c.admit(SHOPPER, "diapers", "am", now=at(10, 1))
    assert r.reason is not None
    assert r.reason.code == "seckill.not_in_slot"
    with pytest.raises(InvalidCommandError, match="no such slot"):
        c.admit(SHOPPER, "milk", "noon", now=at(10, 1))


# -- bad input -------------------------------------------------------------------------


def test_overlapping_daily_slots_for_the_same_item_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="overlap"):
        SeckillCampaign("c", (
            SeckillSlot("a", (milk(),), daily=DailySlot(dt.time(10), dt.time(10, 30))),
            SeckillSlot("b", (milk(),), daily=DailySlot(dt.time(10, 29), dt.time(11))),
        ))
    # Back to back is fine: windows are half-open.
    SeckillCampaign("c", (
        SeckillSlot("a", (milk(),), daily=DailySlot(dt.time(10), dt.time(10, 30))),
        SeckillSlot("b", (milk(),), daily=DailySlot(dt.time(10, 30), dt.time(11))),
    ))


def test_overlap_across_midnight_zones_and_one_off_slots() -> None:
    night = SeckillSlot("n", (milk(),), daily=DailySlot(dt.time(23), dt.time(1)))
    with pytest.raises(InvalidPolicyError, match="overlap"):
        SeckillCampaign("c", (night, SeckillSlot(
            "o", (milk(),), window=one_off(at(0, 30, day=20)))))
    with pytest.raises(InvalidPolicyError, match="overlap"):
        SeckillCampaign("c", (night, SeckillSlot(
            "u", (milk(),), daily=DailySlot(dt.time(16, 30), dt.time(17), tz="UTC"))))
    with pytest.raises(InvalidPolicyError, match="overlap"):
        SeckillCampaign("c", (
            SeckillSlot("x", (milk(),), window=one_off(at(10), 60)),
            SeckillSlot("y", (milk(),), window=one_off(at(10, 59))),
        ))
    # Different items may share a time.
    other = SeckillItem("diapers", Money.of("19.9"), Money.of("89"), 10)
    SeckillCampaign("c", (night, SeckillSlot("z", (other,), window=one_off(at(0, 30, day=20)))))


def test_bad_slots_and_items_raise_typed_errors() -> None:
    with pytest.raises(InvalidPolicyError, match="end"):
        Window(at(10, 30), at(10))
    with pytest.raises(NaiveDatetimeError):
        Window(dt.datetime(2026, 11, 11, 10), dt.datetime(2026, 11, 11, 11))
    with pytest.raises(InvalidPolicyError, match="stock"):
        SeckillItem("milk", Money.of("9.9"), Money.of("59"), -1)
    with pytest.raises(InvalidPolicyError, match="above original_price"):
        SeckillItem("milk", Money.of("69"), Money.of("59"), 10)
    with pytest.raises(InvalidPolicyError, match="per_slot=0"):
        PurchaseLimits(per_slot=0)
    with pytest.raises(InvalidPolicyError, match="exactly one"):
        SeckillSlot("s", (milk(),))
    with pytest.raises(InvalidPolicyError, match="needs an end"):
        SeckillSlot("s", (milk(),), window=Window(at(10)))
    with pytest.raises(InvalidPolicyError, match="twice"):
        SeckillSlot("s", (milk(), milk()), window=one_off(at(10)))
    with pytest.raises(InvalidPolicyError, match="buckets"):
        SeckillItem("milk", Money.of("9.9"), Money.of("59"), 3, buckets=4)
    with pytest.raises(InvalidPolicyError, match="id"):
        SeckillSlot("a/b", (milk(),), window=one_off(at(10)))
    with pytest.raises(InvalidPolicyError, match="payment_timeout_minutes"):
        daily_campaign(payment_timeout_minutes=0)


def test_bad_documents_name_the_field() -> None:
    doc = dump(daily_campaign())
    doc["limits"] = {"type": "seckill.limits", "per_day": 0}
    with pytest.raises(ConfigError, match="per_day"):
        load(doc)
    doc = dump(daily_campaign())
    doc["slots"][0]["items"][0]["price"] = "99"
    with pytest.raises(ConfigError, match="above original_price"):
        load(doc)


# -- round trip ------------------------------------------------------------------------

limits_st = st.builds(
    PurchaseLimits,
    st.none() | st.integers(1, 5), st.none() | st.integers(1, 9), st.none() | st.integers(1, 20),
)


@st.composite
def campaigns(draw: st.DrawFn) -> SeckillCampaign:
    n = draw(st.integers(1, 3))
    slots = []
    for i in range(n):
        price = draw(st.integers(1, 5_000))
        item = SeckillItem(f"sku{i}", Money(price), Money(price + draw(st.integers(0, 5_000))),
                           draw(st.integers(0, 500)), 1)
        if draw(st.booleans()):
            slots.append(SeckillSlot(f"s{i}", (item,),
                                     daily=DailySlot(dt.time(i * 3), dt.time(i * 3 + 1)),
                                     preview_minutes=draw(st.integers(0, 120))))
        else:
            slots.append(SeckillSlot(f"s{i}", (item,), window=one_off(at(10 + i), 30)))
    return SeckillCampaign(
        "c", tuple(slots), limits=draw(limits_st),
        early_access=draw(st.dictionaries(st.sampled_from(["gold", "diamond"]),
                                          st.integers(1, 30))),
        allow_pickup=draw(st.booleans()), stack_coupons=draw(st.booleans()),
        waiting_list=draw(st.booleans()),
        low_stock_threshold=draw(st.none() | st.integers(1, 10)),
        eligibility=draw(st.sampled_from([NewCustomer(), TierIn(frozenset({"gold"}))])),
    )


@given(campaigns())
def test_campaigns_round_trip_through_config(c: SeckillCampaign) -> None:
    assert load(dump(c)) == c
