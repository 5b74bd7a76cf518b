"""Seckill stock: reserve, confirm, release, payment timeouts, limits, waiting list, buckets."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seckill_helpers import at, daily_campaign

from contract import reload
from sirui.campaigns.seckill import (
    TRANSITIONS,
    Cancel,
    Confirm,
    Expire,
    LowStock,
    MemberRecord,
    Promote,
    Rebalance,
    ReservationStatus,
    Reserve,
    SeckillRefund,
    StockCounter,
    StockRebalanced,
    StockReleased,
    StockReserved,
    StockRules,
    StockSlice,
    Waitlisted,
    WaitlistLeft,
    bucket_for,
    rebalance,
    split_stock,
)
from sirui.core.errors import (
    IdConflictError,
    InvalidCommandError,
    InvalidPolicyError,
    NaiveDatetimeError,
)
from sirui.core.nouns import Member
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected, event_to_dict

KEY = "double11/am@2026-11-11T10:00:00+08:00"


def fresh(stock: int = 10, rules: StockRules | None = None, member: str = "m1") -> StockSlice:
    return StockSlice(rules or StockRules(), StockCounter(KEY, "milk", stock), MemberRecord(member))


def ok(outcome: Accepted[StockSlice] | Rejected[StockSlice]) -> StockSlice:
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def code(outcome: Accepted[StockSlice] | Rejected[StockSlice]) -> str:
    assert isinstance(outcome, Rejected), outcome
    return outcome.reason.code


def for_order(s: StockSlice, order_id: str, member: MemberRecord | None = None) -> StockSlice:
    """What the host loads for a command on ``order_id``: the slice with that reservation."""
    m = member or s.member
    res = next((r for r in m.reservations if r.order_id == order_id), None)
    return StockSlice(s.rules, s.counter, m, res)


# -- the happy path and payment timeouts -------------------------------------------------


def test_reserve_then_pay_sells_one_unit() -> None:
    out = fresh().handle(Reserve("o1", "m1"), now=at(10, 0, 1))
    assert isinstance(out, Accepted)
    (ev,) = out.events
    assert ev == StockReserved("o1", "m1", KEY, "milk", 0, 1, at(10, 5, 1))
    s = out.state
    assert (s.counter.available, s.counter.reserved) == (9, 1)
    s = ok(s.handle(Confirm("o1"), now=at(10, 5, 0, 999_999)))
    assert (s.counter.available, s.counter.reserved, s.counter.sold) == (9, 0, 1)
    assert s.order is not None
    assert s.order.status is ReservationStatus.CONFIRMED


def test_payment_at_the_five_minute_mark_is_too_late() -> None:
    s = ok(fresh().handle(Reserve("o1", "m1"), now=at(10)))
    late = s.handle(Confirm("o1"), now=at(10, 5))
    assert code(late) == "seckill.payment_timeout"
    assert late.state is s


def test_expire_releases_stock_only_once_due() -> None:
    s = ok(fresh(stock=1).handle(Reserve("o1", "m1"), now=at(10)))
    assert code(s.handle(Expire("o1"), now=at(10, 4, 59, 999_999))) == "seckill.not_due"
    out = s.handle(Expire("o1"), now=at(10, 5))
    assert isinstance(out, Accepted)
    assert out.events == (StockReleased("o1", KEY, "milk", 0, 1, "timeout"),)
    assert out.state.counter.available == 1
    # The released unit sells again.
    other = StockSlice(out.state.rules, out.state.counter, MemberRecord("m2"))
    assert ok(other.handle(Reserve("o2", "m2"), now=at(10, 5))).counter.available == 0
    # Paying after the release is refused with the timeout reason.
    assert code(out.state.handle(Confirm("o1"), now=at(10, 6))) == "seckill.payment_timeout"


def test_cancel_returns_stock_and_a_custom_timeout() -> None:
    rules = StockRules(payment_timeout_minutes=15)
    s = ok(fresh(rules=rules).handle(Reserve("o1", "m1", 3), now=at(20)))
    assert s.order is not None
    assert s.order.expires_at == at(20, 15)
    out = s.handle(Cancel("o1"), now=at(20, 1))
    assert isinstance(out, Accepted)
    assert out.events[0].cause == "cancel"
    assert out.state.counter.available == 10


def test_sold_out_and_not_enough_stock() -> None:
    s = ok(fresh(stock=2).handle(Reserve("o1", "m1"), now=at(10)))
    s2 = StockSlice(s.rules, s.counter, MemberRecord("m2"))
    assert code(s2.handle(Reserve("o2", "m2", 2), now=at(10))) == "seckill.not_enough_stock"
    s3 = ok(s2.handle(Reserve("o2", "m2"), now=at(10)))
    s4 = StockSlice(s.rules, s3.counter, MemberRecord("m3"))
    out = s4.handle(Reserve("o3", "m3"), now=at(10))
    assert code(out) == "seckill.sold_out"
    assert out.reason.zh == "已抢光"


# -- per-member limits -------------------------------------------------------------------


def test_one_per_slot_counts_unpaid_and_paid_but_not_expired_or_cancelled() -> None:
    rules = daily_campaign().stock_rules()  # 1 per slot, 2 per day
    s = ok(fresh(rules=rules).handle(Reserve("o1", "m1"), now=at(10)))
    again = for_order(s, "o2").handle(Reserve("o2", "m1"), now=at(10, 1))
    assert code(again) == "seckill.limit_reached"
    assert again.reason.params == {"scope": "slot", "scope_zh": "每场", "limit": 1, "taken": 1}
    # Once o1's payment window has passed, it no longer counts (even before Expire runs).
    assert ok(for_order(s, "o2").handle(Reserve("o2", "m1"), now=at(10, 5))).counter.reserved == 2
    cancelled = ok(s.handle(Cancel("o1"), now=at(10, 1)))
    assert ok(for_order(cancelled, "o3").handle(Reserve("o3", "m1"), now=at(10, 2)))
    paid = ok(s.handle(Confirm("o1"), now=at(10, 1)))
    assert code(for_order(paid, "o4").handle(Reserve("o4", "m1"), now=at(10, 20))) == \
        "seckill.limit_reached"


def test_per_day_limit_uses_the_stores_calendar_day() -> None:
    rules = StockRules(per_day=1)
    s = ok(fresh(rules=rules).handle(Reserve("o1", "m1"), now=at(23, 59, 59)))
    s = ok(s.handle(Confirm("o1"), now=at(23, 59, 59, 500_000)))
    s = StockSlice(rules, s.counter, s.member)
    assert code(s.handle(Reserve("o2", "m1"), now=at(23, 59, 59, 999_999))) == \
        "seckill.limit_reached"
    # Midnight in Shanghai is 16:00 UTC: a new day for the limit.
    assert ok(s.handle(Reserve("o2", "m1"), now=at(16, day=11, tz="UTC")))


def test_per_campaign_limit_spans_slots() -> None:
    rules = StockRules(per_campaign=2)
    am = ok(fresh(rules=rules).handle(Reserve("o1", "m1", 2), now=at(10)))
    am = ok(am.handle(Confirm("o1"), now=at(10, 1)))
    pm = StockSlice(rules, StockCounter("double11/pm@x", "milk", 10), am.member)
    assert code(pm.handle(Reserve("o2", "m1"), now=at(20))) == "seckill.limit_reached"
    other_item = StockSlice(rules, StockCounter("double11/pm@x", "diapers", 10), am.member)
    assert ok(other_item.handle(Reserve("o3", "m1"), now=at(20)))


# -- idempotency and misuse --------------------------------------------------------------


def test_replays_return_the_original_outcome_and_change_nothing() -> None:
    first = fresh().handle(Reserve("o1", "m1", 2), now=at(10))
    s = ok(first)
    replay = s.handle(Reserve("o1", "m1", 2), now=at(10, 3))
    assert isinstance(replay, Accepted)
    assert replay.state is s
    assert replay.events == first.events
    paid = s.handle(Confirm("o1"), now=at(10, 1))
    again = ok(paid).handle(Confirm("o1"), now=at(10, 9))
    assert isinstance(again, Accepted)
    assert again.state is ok(paid)
    assert again.events == paid.events
    cancelled = s.handle(Cancel("o1"), now=at(10, 1))
    released = ok(cancelled)
    twice = released.handle(Cancel("o1"), now=at(10, 2))
    assert isinstance(twice, Accepted)
    assert twice.state is released
    assert twice.events == cancelled.events == (StockReleased("o1", KEY, "milk", 0, 2, "cancel"),)
    # The delay queue's Expire after a cancel is not a replay: refused, nothing changes.
    late = released.handle(Expire("o1"), now=at(10, 20))
    assert code(late) == "seckill.reservation_released"
    assert late.state is released


def test_a_replay_after_save_and_reload_gives_the_original_events() -> None:
    rules = StockRules(waiting_list=True)
    a = ok(fresh(stock=1, rules=rules, member="a").handle(Reserve("oa", "a"), now=at(10)))
    w = ok(StockSlice(rules, a.counter, MemberRecord("w")).handle(Reserve("ow", "w"), now=at(10)))
    cancel = StockSlice(rules, w.counter, a.member, a.order).handle(Cancel("oa"), now=at(10, 1))
    assert cancel.events == (StockReleased("oa", KEY, "milk", 0, 1, "cancel", 1),)
    stored = reload(ok(cancel))
    assert stored == cancel.state
    again = stored.handle(Cancel("oa"), now=at(10, 2))
    assert isinstance(again, Accepted)
    assert again.state is stored
    assert again.events == cancel.events
    left = StockSlice(rules, stored.counter, w.member, w.order).handle(Cancel("ow"), now=at(10, 2))
    assert left.events == (WaitlistLeft("ow", 1),)
    assert reload(ok(left)).handle(Cancel("ow"), now=at(10, 3)).events == left.events


def test_same_order_id_with_other_content_is_a_conflict() -> None:
    s = ok(fresh().handle(Reserve("o1", "m1", 2), now=at(10)))
    with pytest.raises(IdConflictError, match="o1"):
        s.handle(Reserve("o1", "m1", 1), now=at(10))


def test_misuse_raises() -> None:
    s = ok(fresh().handle(Reserve("o1", "m1"), now=at(10)))
    with pytest.raises(InvalidCommandError, match="no reservation"):
        fresh().handle(Confirm("o9"), now=at(10))
    with pytest.raises(InvalidCommandError, match="another order"):
        s.handle(Confirm("o2"), now=at(10))
    with pytest.raises(InvalidCommandError, match="bucket"):
        StockSlice(s.rules, StockCounter(KEY, "milk", 5, bucket=1), s.member, s.order).handle(
            Confirm("o1"), now=at(10))
    with pytest.raises(InvalidCommandError, match="MemberRecord"):
        fresh(member="m2").handle(Reserve("o1", "m1"), now=at(10))
    with pytest.raises(NaiveDatetimeError):
        fresh().handle(Reserve("o1", "m1"), now=dt.datetime(2026, 11, 11, 10))  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="quantity"):
        Reserve("o1", "m1", 0)
    with pytest.raises(InvalidPolicyError, match="stock"):
        StockCounter(KEY, "milk", 1, reserved=2)
    with pytest.raises(InvalidPolicyError, match="per_slot"):
        StockRules(per_slot=0)


def test_a_counter_never_holds_more_than_its_stock() -> None:
    # stock == available + held + reserved + sold, so the three taken parts fit in stock.
    full = StockCounter(KEY, "milk", 6, reserved=2, sold=2, held=2, waiting=2)
    assert full.available == 0
    for over in ({"reserved": 3, "sold": 2, "held": 2}, {"reserved": 2, "sold": 3, "held": 2},
                 {"reserved": 2, "sold": 2, "held": 3}):
        with pytest.raises(InvalidPolicyError, match="stock") as err:
            StockCounter(KEY, "milk", 6, waiting=3, **over)
        assert "is below reserved=" in str(err.value)


def test_held_stock_never_exceeds_what_the_waiting_list_asked_for() -> None:
    assert StockCounter(KEY, "milk", 5, held=2, waiting=2).available == 3
    with pytest.raises(InvalidPolicyError, match="held") as err:
        StockCounter(KEY, "milk", 5, held=3, waiting=2)
    assert "exceeds waiting=2" in str(err.value)


def test_a_member_record_holds_only_that_members_reservations() -> None:
    s = ok(fresh().handle(Reserve("o1", "m1"), now=at(10)))
    assert s.order is not None
    assert MemberRecord("m1", (s.order,)).reservations == (s.order,)
    with pytest.raises(InvalidPolicyError, match=r"reservations\[0\]\.member_id") as err:
        MemberRecord("m2", (s.order,))
    assert "belongs to another member than 'm2'" in str(err.value)
    # The host must load the record of the member who owns the order.
    with pytest.raises(InvalidCommandError, match="belongs to 'm1'"):
        StockSlice(s.rules, s.counter, MemberRecord("m2"), s.order).handle(
            Confirm("o1"), now=at(10, 1))


def test_limits_count_every_active_reservation_of_the_member() -> None:
    rules = StockRules(per_slot=4, per_day=5, per_campaign=6)
    s = fresh(stock=50, rules=rules)

    def reserve(state: StockSlice, oid: str, qty: int, when: dt.datetime,
                counter: StockCounter | None = None) -> Accepted[StockSlice] | Rejected[StockSlice]:
        slot = StockSlice(rules, counter or state.counter, state.member)
        return slot.handle(Reserve(oid, "m1", qty), now=when)  # type: ignore[arg-type]

    def pay(state: StockSlice, oid: str, when: dt.datetime) -> StockSlice:
        return ok(for_order(state, oid).handle(Confirm(oid), now=when))  # type: ignore[arg-type]

    # In this slot: o0 lapsed unpaid, o1 paid, o2 and o3 unpaid, o4 cancelled.
    s = ok(reserve(s, "o0", 1, at(9, 50)))
    s = pay(ok(reserve(s, "o1", 1, at(10))), "o1", at(10, 1))
    s = ok(reserve(s, "o2", 1, at(10, 1)))
    s = ok(reserve(s, "o3", 1, at(10, 2)))
    s = ok(reserve(s, "o4", 1, at(10, 2)))
    s = ok(for_order(s, "o4").handle(Cancel("o4"), now=at(10, 3)))
    assert s.member.taken("milk", at(10, 3)) == 3
    refused = reserve(s, "o5", 2, at(10, 3))
    assert code(refused) == "seckill.limit_reached"
    assert refused.reason.params == {"scope": "slot", "scope_zh": "每场", "limit": 4, "taken": 3}
    s = ok(reserve(s, "o5", 1, at(10, 3)))
    full = reserve(s, "o6", 1, at(10, 5, 59))
    assert full.reason.params == {"scope": "slot", "scope_zh": "每场", "limit": 4, "taken": 4}
    # At 10:06, o2's payment window has closed: it stops counting before any Expire.
    assert s.member.taken("milk", at(10, 6)) == 3
    s = ok(reserve(s, "o6", 1, at(10, 6)))
    for oid in ("o3", "o5", "o6"):
        s = pay(s, oid, at(10, 6, 30))
    # The evening slot of the same day: the day limit binds with four paid today.
    pm = StockCounter("double11/pm@x", "milk", 50)
    day = reserve(s, "o7", 2, at(20), pm)
    assert day.reason.params == {"scope": "day", "scope_zh": "每天", "limit": 5, "taken": 4}
    s = pay(ok(reserve(s, "o7", 1, at(20), pm)), "o7", at(20, 1))
    # The next day: the campaign limit binds with five paid over both days.
    nxt = StockCounter("double11/am@next", "milk", 50)
    camp = reserve(s, "o8", 2, at(10, day=12), nxt)
    assert camp.reason.params == {"scope": "campaign", "scope_zh": "本活动", "limit": 6, "taken": 5}
    assert ok(reserve(s, "o8", 1, at(10, day=12), nxt)).member.taken("milk", at(10, day=12)) == 6


def test_a_confirm_exactly_at_the_deadline_is_too_late_whatever_happened_since() -> None:
    s = ok(fresh().handle(Reserve("o1", "m1"), now=at(10)))
    assert s.order is not None
    deadline = s.order.expires_at
    assert deadline == at(10, 5)
    assert ok(s.handle(Confirm("o1"), now=deadline.subtract(microseconds=1))).counter.sold == 1
    assert code(s.handle(Confirm("o1"), now=deadline)) == "seckill.payment_timeout"
    # Released at the deadline by the delay queue, the confirm still names the timeout ...
    expired = ok(s.handle(Expire("o1"), now=deadline))
    assert code(expired.handle(Confirm("o1"), now=deadline)) == "seckill.payment_timeout"
    # ... while an order cancelled before its deadline is simply released.
    cancelled = ok(s.handle(Cancel("o1"), now=at(10, 1)))
    assert code(cancelled.handle(Confirm("o1"), now=at(10, 2))) == "seckill.reservation_released"
    assert code(cancelled.handle(Confirm("o1"), now=deadline)) == "seckill.payment_timeout"


def test_prune_forgets_released_reservations_only() -> None:
    s = ok(fresh().handle(Reserve("o1", "m1"), now=at(10)))
    s = ok(s.handle(Cancel("o1"), now=at(10, 1)))
    kept = ok(for_order(s, "o2").handle(Reserve("o2", "m1"), now=at(10, 2)))
    month = at(10).add(days=30)
    out = kept.handle(PruneLog("p1"), now=month)  # 30 days: o1 was made exactly then, kept
    assert out.events == (LogPruned(at(10), 0),)
    out = for_order(kept, "o1").handle(PruneLog("p2"), now=month.add(seconds=1))
    assert isinstance(out, Accepted)
    assert out.events == (LogPruned(at(10, 0, 1), 1),)
    pruned = out.state
    assert pruned.order is None  # the host deletes o1's key
    assert [r.order_id for r in pruned.member.reservations] == ["o2"]
    assert pruned.counter is kept.counter
    # Forgotten: the same order id is decided afresh (here: a new reservation).
    again = pruned.handle(Reserve("o1", "m1", 2), now=month)
    assert isinstance(again, Accepted)
    assert again.state.counter.reserved == 3
    # An explicit retention overrides the rules'.
    short = for_order(kept, "o1").handle(PruneLog("p3", retention_days=0), now=at(10, 3))
    assert short.events == (LogPruned(at(10, 3), 1),)


def test_campaign_reserve_checks_time_and_occurrence() -> None:
    c = daily_campaign()
    counters = c.counters("am", c.status("am", at(10)).occurrence)  # type: ignore[arg-type]
    s = StockSlice(c.stock_rules(), counters["milk"][0], MemberRecord("m1"))
    shopper = Member("m1")
    early = c.reserve(s, Reserve("o1", "m1"), member=shopper, slot_id="am", now=at(9, 59))
    assert code(early) == "seckill.not_started"
    done = ok(c.reserve(s, Reserve("o1", "m1"), member=shopper, slot_id="am", now=at(10)))
    # A replay after the slot closed still returns the original outcome.
    replay = c.reserve(for_order(done, "o1"), Reserve("o1", "m1"), member=shopper, slot_id="am",
                       now=at(10, 31))
    assert isinstance(replay, Accepted)
    tomorrow = StockSlice(s.rules, s.counter, MemberRecord("m1"))
    with pytest.raises(InvalidCommandError, match="occurrence"):
        c.reserve(tomorrow, Reserve("o2", "m1"), member=shopper, slot_id="am", now=at(10, day=12))


# -- waiting list and stock warning ------------------------------------------------------


def test_waiting_list_gets_released_stock_first() -> None:
    rules = StockRules(waiting_list=True)
    a = ok(fresh(stock=1, rules=rules, member="a").handle(Reserve("oa", "a"), now=at(10)))
    b = StockSlice(rules, a.counter, MemberRecord("b"))
    out = b.handle(Reserve("ob", "b"), now=at(10, 1))
    assert isinstance(out, Accepted)
    assert out.events == (Waitlisted("ob", "b", KEY, "milk", 0, 1, 1),)
    counter = out.state.counter
    assert (counter.waiting, counter.tickets) == (1, 1)
    # a cancels: the unit is held for b, not offered to c.
    released = ok(StockSlice(rules, counter, a.member, a.order).handle(Cancel("oa"), now=at(10, 2)))
    assert released.counter.held == 1
    assert released.counter.available == 0
    c = StockSlice(rules, released.counter, MemberRecord("c"))
    joined = ok(c.handle(Reserve("oc", "c"), now=at(10, 2)))
    assert joined.order is not None
    assert joined.order.status is ReservationStatus.WAITING
    # b is promoted and has five minutes from now to pay.
    promoted = StockSlice(rules, joined.counter, out.state.member, out.state.order).handle(
        Promote("ob"), now=at(10, 3))
    assert isinstance(promoted, Accepted)
    assert promoted.events == (StockReserved("ob", "b", KEY, "milk", 0, 1, at(10, 8)),)
    p = promoted.state
    assert (p.counter.reserved, p.counter.held, p.counter.waiting) == (1, 0, 1)
    # c is still waiting; leaving the list frees nothing (nothing was held for c).
    still = StockSlice(rules, p.counter, joined.member, joined.order)
    assert code(still.handle(Promote("oc"), now=at(10, 4))) == "seckill.still_waiting"
    assert code(still.handle(Confirm("oc"), now=at(10, 4))) == "seckill.still_waiting"
    left = still.handle(Cancel("oc"), now=at(10, 4))
    assert isinstance(left, Accepted)
    assert left.events == (WaitlistLeft("oc", 1),)
    assert left.state.counter.waiting == 0


def test_leaving_the_waiting_list_returns_held_stock_to_everyone() -> None:
    rules = StockRules(waiting_list=True)
    a = ok(fresh(stock=1, rules=rules, member="a").handle(Reserve("oa", "a"), now=at(10)))
    w = ok(StockSlice(rules, a.counter, MemberRecord("w")).handle(Reserve("ow", "w"), now=at(10)))
    held = ok(StockSlice(rules, w.counter, a.member, a.order).handle(Cancel("oa"), now=at(10, 1)))
    assert (held.counter.held, held.counter.available) == (1, 0)
    left = ok(StockSlice(rules, held.counter, w.member, w.order).handle(
        Cancel("ow"), now=at(10, 2)))
    assert (left.counter.held, left.counter.waiting, left.counter.available) == (0, 0, 1)


def test_low_stock_warning_fires_once_when_crossing_the_threshold() -> None:
    rules = StockRules(low_stock_threshold=3)
    s = fresh(stock=5, rules=rules)
    warnings = []
    for i in range(5):
        out = StockSlice(rules, s.counter, MemberRecord(f"m{i}")).handle(
            Reserve(f"o{i}", f"m{i}"), now=at(10))
        s = ok(out)
        warnings += [e for e in out.events if isinstance(e, LowStock)]
    assert warnings == [LowStock(KEY, "milk", 0, 2, 3)]


def test_events_are_plain_data() -> None:
    out = fresh().handle(Reserve("o1", "m1"), now=at(10))
    d = event_to_dict(out.events[0])
    assert d["event"].endswith("StockReserved")  # the wire name
    assert d["expires_at"] == "2026-11-11T10:05:00+08:00"


# -- buckets ---------------------------------------------------------------------------


def test_split_and_pick_buckets() -> None:
    buckets = split_stock(KEY, "milk", 10, 3)
    assert [b.stock for b in buckets] == [4, 3, 3]
    assert next(b.key for b in buckets) == f"{KEY}|milk#0"
    assert bucket_for("m1", 3) == bucket_for("m1", 3)
    assert {bucket_for(f"m{i}", 4) for i in range(50)} == {0, 1, 2, 3}


def test_rebalance_moves_leftover_stock_between_buckets() -> None:
    b0, b1 = split_stock(KEY, "milk", 10, 2)
    b0 = ok(StockSlice(StockRules(), b0, MemberRecord("m1")).handle(
        Reserve("o1", "m1", 2), now=at(10))).counter
    out = rebalance(b0, b1, Rebalance("r1"))
    assert isinstance(out, Accepted)
    s, t = out.state
    assert (s.stock, s.available, t.stock, t.available) == (2, 0, 8, 8)
    assert out.events == (StockRebalanced("r1", KEY, "milk", 0, 1, 3),)
    again = rebalance(s, t, Rebalance("r1"))
    assert isinstance(again, Accepted)
    assert again.state == (s, t)
    assert again.events == out.events
    assert rebalance(s, t, Rebalance("r2")).reason.code == "seckill.nothing_to_rebalance"
    back = rebalance(t, s, Rebalance("r3", quantity=5))
    assert isinstance(back, Accepted)
    assert back.state[1].stock == 7
    with pytest.raises(InvalidCommandError, match="one bucket only"):
        rebalance(s, b1, Rebalance("r1"))
    with pytest.raises(InvalidCommandError, match="different items"):
        rebalance(s, StockCounter(KEY, "diapers", 3, bucket=1), Rebalance("r4"))


def test_rebalance_into_a_bucket_with_a_waiting_list_holds_for_it() -> None:
    src = StockCounter(KEY, "milk", 5, bucket=0)
    dst = StockCounter(KEY, "milk", 1, bucket=1, reserved=1, waiting=2)
    out = rebalance(src, dst, Rebalance("r1", quantity=3))
    assert isinstance(out, Accepted)
    assert (out.state[1].held, out.state[1].available) == (2, 1)


@given(st.integers(0, 1000), st.integers(1, 16))
def test_split_stock_conserves_and_is_even(stock: int, n: int) -> None:
    parts = [b.stock for b in split_stock(KEY, "milk", stock, n)]
    assert sum(parts) == stock
    assert max(parts) - min(parts) <= 1


def test_an_unknown_command_is_misuse() -> None:
    with pytest.raises(InvalidCommandError, match="not a stock command"):
        fresh().handle(Rebalance("r1"), now=at(10))  # type: ignore[arg-type]


def _in_status(status: ReservationStatus) -> StockSlice:
    rules = StockRules(waiting_list=True)
    if status is ReservationStatus.WAITING:
        held = StockCounter(KEY, "milk", 1, reserved=1)
        return ok(StockSlice(rules, held, MemberRecord("m1")).handle(
            Reserve("o1", "m1"), now=at(10)))
    s = ok(StockSlice(rules, StockCounter(KEY, "milk", 5), MemberRecord("m1")).handle(
        Reserve("o1", "m1"), now=at(10)))
    if status is ReservationStatus.CONFIRMED:
        return ok(s.handle(Confirm("o1"), now=at(10, 1)))
    if status is ReservationStatus.RELEASED:
        return ok(s.handle(Cancel("o1"), now=at(10, 1)))
    if status is ReservationStatus.REFUNDED:
        paid = ok(s.handle(Confirm("o1"), now=at(10, 1)))
        return ok(paid.handle(SeckillRefund("o1"), now=at(10, 2)))
    return s


@pytest.mark.parametrize("status", list(ReservationStatus))
@pytest.mark.parametrize("command", [Confirm, Cancel, Expire, Promote])
def test_the_transition_table_is_what_handle_does(
    status: ReservationStatus, command: type[Confirm]
) -> None:
    s = _in_status(status)
    out = s.handle(command("o1"), now=at(10, 6))  # after the payment deadline
    target = TRANSITIONS.get((status, command))
    if target is None or isinstance(out, Rejected):
        assert out.state is s  # refused, or replayed: nothing changes
    else:
        assert out.state.order is not None
        assert out.state.order.status is target
