"""Seckill options (issue 20): 每单限购, refunds of paid orders, a slot that has just closed.

Operator rules with exact figures; the refund machine's invariants are in
``test_seckill_refund_machine.py``.
"""

from __future__ import annotations

import pytest
from seckill_helpers import at, daily_campaign

import sirui.config
from contract import reload
from sirui.campaigns.seckill import (
    TRANSITIONS,
    Cancel,
    Confirm,
    MemberRecord,
    Promote,
    PurchaseLimits,
    ReservationStatus,
    Reserve,
    SeckillCampaign,
    SeckillRefund,
    SlotPhase,
    StockConfirmed,
    StockCounter,
    StockRefunded,
    StockRules,
    StockSlice,
)
from sirui.core.errors import InvalidPolicyError
from sirui.core.nouns import Member
from sirui.core.windows import Window
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected

KEY = "double11/am@2026-11-11T10:00:00+08:00"
SHOPPER = Member("m1")


def ok(outcome: Accepted[StockSlice] | Rejected[StockSlice]) -> StockSlice:
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def refused(outcome: Accepted[StockSlice] | Rejected[StockSlice]) -> str:
    assert isinstance(outcome, Rejected), outcome
    return outcome.reason.code


def slice_of(rules: StockRules, stock: int = 10, member: str = "m1",
             counter: StockCounter | None = None) -> StockSlice:
    return StockSlice(rules, counter or StockCounter(KEY, "milk", stock), MemberRecord(member))


def paid(rules: StockRules, qty: int = 1, stock: int = 10) -> StockSlice:
    """m1 reserved ``qty`` at 10:00 and paid at 10:01."""
    s = ok(slice_of(rules, stock).handle(Reserve("o1", "m1", qty), now=at(10)))
    return ok(s.handle(Confirm("o1"), now=at(10, 1)))


def next_order(s: StockSlice, order_id: str, member: MemberRecord | None = None) -> StockSlice:
    """The slice the host loads for a new order of the same (or another) member."""
    return StockSlice(s.rules, s.counter, member or s.member)


# -- 每单限购 ---------------------------------------------------------------------------


def test_two_per_order_refuses_an_order_of_three_and_reserves_two() -> None:
    campaign = daily_campaign(limits=PurchaseLimits(per_order=2))
    rules = campaign.stock_rules()
    assert rules.per_order == 2
    three = slice_of(rules).handle(Reserve("o1", "m1", 3), now=at(10))
    assert refused(three) == "seckill.order_limit"
    assert isinstance(three, Rejected)
    assert three.reason.zh == "每单限购2件，本单3件"
    assert three.reason.en == "At most 2 per order; this order asks for 3"
    assert three.state.counter.available == 10
    two = ok(slice_of(rules).handle(Reserve("o1", "m1", 2), now=at(10)))
    assert (two.counter.available, two.counter.reserved) == (8, 2)


def test_the_order_cap_is_per_order_not_per_member() -> None:
    # 每单限购2件, no per-member limit: two orders of 2 are both reserved.
    rules = StockRules(per_order=2)
    s = ok(slice_of(rules).handle(Reserve("o1", "m1", 2), now=at(10)))
    s = ok(next_order(s, "o2").handle(Reserve("o2", "m1", 2), now=at(10, 1)))
    assert s.counter.reserved == 4


def test_the_order_cap_sits_beside_the_member_limits() -> None:
    # 每单限购2件, 每场限购3件: after an order of 2, an order of 2 breaks the slot limit.
    rules = StockRules(per_order=2, per_slot=3)
    s = ok(slice_of(rules).handle(Reserve("o1", "m1", 2), now=at(10)))
    again = next_order(s, "o2").handle(Reserve("o2", "m1", 2), now=at(10, 1))
    assert refused(again) == "seckill.limit_reached"
    assert ok(next_order(s, "o3").handle(Reserve("o3", "m1", 1), now=at(10, 1))).counter.reserved \
        == 3


# -- refunds ----------------------------------------------------------------------------


def test_a_refund_with_refund_returns_stock_returns_one_unit_to_the_bucket() -> None:
    rules = StockRules(refund_returns_stock=True)
    s = paid(rules)
    assert (s.counter.available, s.counter.sold) == (9, 1)
    out = s.handle(SeckillRefund("o1"), now=at(12))
    assert isinstance(out, Accepted)
    assert out.events == (StockRefunded("o1", KEY, "milk", 0, 1, stock_returned=True,
                                        quota_returned=False),)
    after = out.state
    assert (after.counter.available, after.counter.sold) == (10, 0)
    assert after.order is not None
    assert after.order.status is ReservationStatus.REFUNDED


def test_a_refund_by_default_keeps_the_unit_sold_and_counted() -> None:
    # 秒杀订单退款: the unit does not go back on sale and the member's limit stays used.
    rules = StockRules(per_slot=1)
    s = ok(paid(rules).handle(SeckillRefund("o1"), now=at(12)))
    assert (s.counter.available, s.counter.sold) == (9, 1)
    again = next_order(s, "o2").handle(Reserve("o2", "m1"), now=at(12, 1))
    assert refused(again) == "seckill.limit_reached"


def test_a_refund_with_refund_returns_quota_lets_the_member_buy_again() -> None:
    # 每场限购1件; refunded with the quota back, the member buys one more (stock stays sold).
    rules = StockRules(per_slot=1, refund_returns_quota=True)
    s = ok(paid(rules).handle(SeckillRefund("o1"), now=at(12)))
    assert s.member.taken("milk", at(12)) == 0
    again = ok(next_order(s, "o2").handle(Reserve("o2", "m1"), now=at(12, 1)))
    assert (again.counter.available, again.counter.sold, again.counter.reserved) == (8, 1, 1)


def test_a_returned_unit_goes_to_the_waiting_list_first() -> None:
    # One unit, sold; m2 waits. The refund returns it and holds it for m2.
    rules = StockRules(waiting_list=True, refund_returns_stock=True)
    s = paid(rules, stock=1)
    waiting = ok(next_order(s, "o2", MemberRecord("m2")).handle(Reserve("o2", "m2"),
                                                                 now=at(10, 2)))
    assert waiting.order is not None
    assert waiting.order.status is ReservationStatus.WAITING
    s = StockSlice(rules, waiting.counter, s.member, s.order)
    out = s.handle(SeckillRefund("o1"), now=at(12))
    assert isinstance(out, Accepted)
    (ev,) = out.events
    assert isinstance(ev, StockRefunded)
    assert ev.to_waiting_list == 1
    c = out.state.counter
    assert (c.sold, c.held, c.available) == (0, 1, 0)
    promoted = StockSlice(rules, c, waiting.member, waiting.order).handle(Promote("o2"),
                                                                          now=at(12, 1))
    assert ok(promoted).counter.reserved == 1


def test_refunding_an_unpaid_order_is_refused() -> None:
    s = ok(slice_of(StockRules()).handle(Reserve("o1", "m1"), now=at(10)))
    out = s.handle(SeckillRefund("o1"), now=at(10, 1))
    assert refused(out) == "seckill.not_paid"
    assert out.state is s


def test_a_refund_replayed_returns_its_event_and_changes_nothing() -> None:
    s = ok(paid(StockRules(refund_returns_stock=True)).handle(SeckillRefund("o1"), now=at(12)))
    first = StockRefunded("o1", KEY, "milk", 0, 1, True, False)
    again = s.handle(SeckillRefund("o1"), now=at(13))
    assert isinstance(again, Accepted)
    assert again.state is s
    assert again.events == (first,)
    # A late retry of the payment answers with the payment's own event.
    pay = s.handle(Confirm("o1"), now=at(13))
    assert isinstance(pay, Accepted)
    assert pay.events == (StockConfirmed("o1", KEY, "milk", 0, 1),)
    assert pay.state is s
    assert refused(s.handle(Cancel("o1"), now=at(13))) == "seckill.refunded"
    # Saved and loaded back, the refund still replays.
    loaded = StockSlice(s.rules, reload(s.counter), reload(s.member), reload(s.order))
    assert loaded == s
    replay = loaded.handle(SeckillRefund("o1"), now=at(14))
    assert isinstance(replay, Accepted)
    assert replay.events == (first,)


def test_prune_forgets_a_refund_that_gave_the_quota_back_but_keeps_one_that_did_not() -> None:
    back = ok(paid(StockRules(refund_returns_quota=True)).handle(SeckillRefund("o1"), now=at(12)))
    kept = ok(paid(StockRules()).handle(SeckillRefund("o1"), now=at(12)))
    for s, left in ((back, 0), (kept, 1)):
        out = s.handle(PruneLog("p1", retention_days=0), now=at(13))
        assert isinstance(out, Accepted)
        assert out.events == (LogPruned(at(13), 1 - left),)
        assert len(out.state.member.reservations) == left


@pytest.mark.parametrize("status", list(ReservationStatus))
def test_refund_follows_the_table(status: ReservationStatus) -> None:
    rules = StockRules(waiting_list=True, refund_returns_stock=True)
    if status is ReservationStatus.WAITING:
        sold_out = StockCounter(KEY, "milk", 1, reserved=1)
        s = ok(slice_of(rules, counter=sold_out).handle(Reserve("o1", "m1"), now=at(10)))
    else:
        s = ok(slice_of(rules, stock=1).handle(Reserve("o1", "m1"), now=at(10)))
        steps = {ReservationStatus.CONFIRMED: [Confirm],
                 ReservationStatus.RELEASED: [Cancel],
                 ReservationStatus.REFUNDED: [Confirm, SeckillRefund]}.get(status, [])
        for step in steps:
            s = ok(s.handle(step("o1"), now=at(10, 1)))
    assert s.order is not None
    assert s.order.status is status
    out = s.handle(SeckillRefund("o1"), now=at(10, 2))
    target = TRANSITIONS.get((status, SeckillRefund))
    if target is None:
        assert out.state is s
    else:
        assert ok(out).order.status is target  # type: ignore[union-attr]


def test_refund_options_are_validated_and_round_trip() -> None:
    with pytest.raises(InvalidPolicyError, match="refund_returns_stock"):
        StockRules(refund_returns_stock="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="per_order"):
        PurchaseLimits(per_order=0)
    with pytest.raises(InvalidPolicyError, match="refund_returns_quota"):
        daily_campaign(refund_returns_quota=1)
    c = daily_campaign(limits=PurchaseLimits(per_slot=2, per_order=1),
                       refund_returns_stock=True, refund_returns_quota=True)
    assert sirui.config.load(sirui.config.dump(c), SeckillCampaign) == c
    rules = c.stock_rules()
    assert (rules.per_order, rules.refund_returns_stock, rules.refund_returns_quota) == (
        1, True, True)
    defaults = daily_campaign().stock_rules()
    assert (defaults.per_order, defaults.refund_returns_stock,
            defaults.refund_returns_quota) == (None, False, False)


# -- a daily slot that has just closed ---------------------------------------------------


def test_a_daily_slot_just_closed_says_it_ended_and_when_the_next_opens() -> None:
    c = daily_campaign()
    closed = c.admit(SHOPPER, "milk", "am", now=at(10, 30))
    assert closed.reason is not None
    assert closed.reason.code == "seckill.slot_ended"
    assert closed.reason.params["opens_at"] == at(10, day=12)
    assert closed.reason.zh == "本场秒杀已结束，下一场2026年11月12日 10:00开抢"
    assert closed.reason.en.startswith("This slot has ended; the next one opens at 2026-11-12")
    st_ = c.status("am", at(23, 59))
    assert st_.phase is SlotPhase.CLOSED
    assert st_.opens_at == at(10, day=12)
    assert st_.countdown_seconds == 10 * 3600 + 60


def test_after_midnight_the_next_slot_has_not_started_yet() -> None:
    c = daily_campaign()
    assert c.status("am", at(0, 1, day=12)).phase is SlotPhase.UPCOMING
    early = c.admit(SHOPPER, "milk", "am", now=at(0, 1, day=12))
    assert early.reason is not None
    assert early.reason.code == "seckill.not_started"
    assert early.reason.zh == "秒杀未开始，2026年11月12日 10:00开抢"
    # The preview hour before 10:00 shows the countdown as before.
    assert c.status("am", at(9, 30, day=12)).phase is SlotPhase.PREVIEW


def test_a_slot_closed_today_but_previewing_the_next_shows_the_preview() -> None:
    # 10:00-10:30 and 20:00-20:30: the pm slot has no preview, the am slot an hour.
    c = daily_campaign()
    assert c.status("pm", at(20, 30)).phase is SlotPhase.CLOSED
    assert c.status("pm", at(19, 59)).phase is SlotPhase.UPCOMING


def test_the_first_day_of_the_period_has_not_started_rather_than_ended() -> None:
    # The period starts on the 11th: at 11:00 on the 11th the 10:00 occurrence of that day
    # belongs to the period and has ended; on the 10th nothing has run yet.
    c = daily_campaign(period=Window(at(10, 15), at(0, day=14)))
    assert c.status("am", at(12)).phase is SlotPhase.UPCOMING
    assert c.status("am", at(10, 31, day=12)).phase is SlotPhase.CLOSED


def test_the_stock_slice_leaves_the_slot_time_to_admit() -> None:
    # The host must admit first: the slice alone decides on stock and limits only.
    c = daily_campaign()
    counter = c.counters("am", Window(at(10), at(10, 30)))["milk"][0]
    s = StockSlice(c.stock_rules(), counter, MemberRecord("m1"))
    late = c.reserve(s, Reserve("o1", "m1"), member=SHOPPER, slot_id="am", now=at(11))
    assert refused(late) == "seckill.slot_ended"
    assert isinstance(s.handle(Reserve("o1", "m1"), now=at(11)), Accepted)


def test_every_new_command_and_event_reloads_equal() -> None:
    s = ok(paid(StockRules(refund_returns_stock=True)).handle(SeckillRefund("o1"), now=at(12)))
    for value in (SeckillRefund("o1"), s.order, s.member, s.counter,
                  StockRefunded("o1", KEY, "milk", 0, 1, True, True, 1)):
        assert reload(value) == value


def test_the_campaign_names_how_long_released_reservations_are_kept() -> None:
    """保留7天: a campaign keeping its log a week hands that retention to its stock machine,
    and the default PruneLog of a slice forgets a released reservation only after it."""
    week = daily_campaign(log_retention_days=7, refund_returns_quota=True)
    assert week.stock_rules().log_retention_days == 7
    assert daily_campaign().stock_rules().log_retention_days == 30
    with pytest.raises(InvalidPolicyError):
        daily_campaign(log_retention_days=-1)
    back = ok(paid(week.stock_rules()).handle(SeckillRefund("o1"), now=at(12)))
    kept = back.handle(PruneLog("p1"), now=at(12).add(days=6))
    assert isinstance(kept, Accepted) and kept.events == (LogPruned(at(12).add(days=-1), 0),)
    gone = back.handle(PruneLog("p2"), now=at(12).add(days=8))
    assert isinstance(gone, Accepted) and len(gone.state.member.reservations) == 0
