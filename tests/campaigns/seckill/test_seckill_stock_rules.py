"""Seckill stock rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/campaigns/seckill/_stock.py`: what the
operator promises (a replay answers exactly what the first call answered, a
refusal changes nothing, released and refunded stock serves the waiting list
first and only up to what it lacks) stated on small, exact scenarios.
"""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from seckill_helpers import at

from sirui.campaigns.seckill import (
    Cancel,
    Confirm,
    Expire,
    MemberRecord,
    Promote,
    ReservationStatus,
    Reserve,
    SeckillRefund,
    StockConfirmed,
    StockCounter,
    StockRefunded,
    StockReleased,
    StockReserved,
    StockRules,
    StockSlice,
    Waitlisted,
)
from sirui.core.errors import InvalidCommandError, NaiveDatetimeError
from sirui.core.zh import zh_datetime
from sirui.rules import Accepted, PruneLog, Rejected

KEY = "double11/am@2026-11-11T10:00:00+08:00"


def ok(outcome: Accepted[StockSlice] | Rejected[StockSlice]) -> StockSlice:
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def slice_for(s: StockSlice, order_id: str, member: MemberRecord) -> StockSlice:
    """What the host loads for ``order_id``: that member's record and the reservation."""
    res = next((r for r in member.reservations if r.order_id == order_id), None)
    return StockSlice(s.rules, s.counter, member, res)


def start(stock: int = 10, **rules: object) -> StockSlice:
    return StockSlice(StockRules(**rules), StockCounter(KEY, "milk", stock), MemberRecord("m1"))  # type: ignore[arg-type]


def reserved(qty: int = 1, **rules: object) -> StockSlice:
    return ok(start(**rules).handle(Reserve("o1", "m1", qty), now=at(10)))


def confirmed(**rules: object) -> StockSlice:
    return ok(reserved(**rules).handle(Confirm("o1"), now=at(10, 1)))


# -- a refusal changes nothing -----------------------------------------------------------


def refusal(s: StockSlice, command: object, now: object) -> Rejected[StockSlice]:
    out = s.handle(command, now=now)  # type: ignore[arg-type]
    assert isinstance(out, Rejected), out
    assert out.state is s and out.events == ()
    return out


def test_an_order_above_the_per_order_cap_is_refused_and_at_the_cap_accepted() -> None:
    s = start(per_order=2)
    out = refusal(s, Reserve("o1", "m1", 3), at(10))
    assert out.reason.code == "seckill.order_limit"
    assert dict(out.reason.params) == {"limit": 2, "quantity": 3}
    assert ok(s.handle(Reserve("o1", "m1", 2), now=at(10))).counter.reserved == 2


def test_sold_out_and_not_enough_stock_change_nothing() -> None:
    s = reserved(10)
    assert refusal(slice_for(s, "o2", s.member), Reserve("o2", "m1"), at(10)).reason.code == (
        "seckill.sold_out"
    )
    few = reserved(8)
    out = refusal(slice_for(few, "o2", few.member), Reserve("o2", "m1", 3), at(10))
    assert out.reason.code == "seckill.not_enough_stock" and dict(out.reason.params) == {
        "available": 2
    }


def test_a_confirm_exactly_at_the_payment_deadline_is_refused_naming_it() -> None:
    s = reserved()
    out = refusal(s, Confirm("o1"), at(10, 5))
    assert out.reason.code == "seckill.payment_timeout"
    assert dict(out.reason.params) == {
        "expires_at": at(10, 5),
        "expires_at_zh": "2026年11月11日 10:05",
    }
    # the deadline is written in the campaign's zone
    utc = reserved(tz="UTC")
    out = refusal(utc, Confirm("o1"), at(10, 5))
    assert out.reason.params["expires_at_zh"] == zh_datetime(at(10, 5), "UTC")
    assert out.reason.params["expires_at_zh"] == "2026年11月11日 02:05"


@pytest.mark.parametrize(
    ("setup", "command", "code"),
    [
        (confirmed, Cancel("o1"), "seckill.already_confirmed"),
        (reserved, SeckillRefund("o1"), "seckill.not_paid"),
        (reserved, Expire("o1"), "seckill.not_due"),
        (reserved, Promote("o1"), None),  # a replay of the reserve
    ],
)
def test_commands_the_status_does_not_take(setup: object, command: object, code: str) -> None:
    s = setup()  # type: ignore[operator]
    if code is None:
        out = s.handle(command, now=at(10, 2))
        assert isinstance(out, Accepted) and out.state is s
        assert out.events == (StockReserved("o1", "m1", KEY, "milk", 0, 1, at(10, 5)),)
        return
    assert refusal(s, command, at(10, 2)).reason.code == code


def test_a_refunded_order_refuses_a_cancel_and_a_cancelled_one_a_refund() -> None:
    refunded = ok(confirmed().handle(SeckillRefund("o1"), now=at(10, 2)))
    assert refusal(refunded, Cancel("o1"), at(10, 3)).reason.code == "seckill.refunded"
    cancelled = ok(reserved().handle(Cancel("o1"), now=at(10, 1)))
    # a released order answers "released" to anything but its own replay
    assert refusal(cancelled, SeckillRefund("o1"), at(10, 3)).reason.code == (
        "seckill.reservation_released"
    )
    assert refusal(cancelled, Confirm("o1"), at(10, 3)).reason.code == (
        "seckill.reservation_released"
    )


def waiting() -> StockSlice:
    """m1 holds all the stock; m2 is on the waiting list for 1."""
    first = reserved(10, waiting_list=True)
    m2 = MemberRecord("m2")
    return ok(StockSlice(first.rules, first.counter, m2).handle(Reserve("w1", "m2"), now=at(10)))


def test_a_waiting_order_cannot_expire_or_pay_yet() -> None:
    w = waiting()
    assert refusal(w, Expire("w1"), at(10, 6)).reason.code == "seckill.not_due"
    assert refusal(w, Confirm("w1"), at(10, 1)).reason.code == "seckill.still_waiting"
    assert refusal(w, Promote("w1"), at(10, 1)).reason.code == "seckill.still_waiting"
    assert refusal(w, SeckillRefund("w1"), at(10, 1)).reason.code == "seckill.not_paid"


# -- a replay answers what the first call answered ---------------------------------------


def test_every_replay_returns_the_original_events_and_changes_nothing() -> None:
    s = start(waiting_list=True)
    first = s.handle(Reserve("o1", "m1", 2), now=at(10))
    after = ok(first)
    again = after.handle(Reserve("o1", "m1", 2), now=at(10, 1))
    assert (
        again.events == first.events == (StockReserved("o1", "m1", KEY, "milk", 0, 2, at(10, 5)),)
    )
    assert again.state is after
    for command, when in ((Confirm("o1"), at(10, 1)), (SeckillRefund("o1"), at(10, 2))):
        first = after.handle(command, now=when)
        after = ok(first)
        again = after.handle(command, now=when.add(minutes=1))
        assert isinstance(again, Accepted) and again.state is after
        assert again.events == first.events
    assert first.events == (StockRefunded("o1", KEY, "milk", 0, 2, False, False, 0),)
    # a late retry of the payment of a refunded order answers the original confirm
    late = after.handle(Confirm("o1"), now=at(10, 4))
    assert late.events == (StockConfirmed("o1", KEY, "milk", 0, 2),)


def test_a_replayed_waiting_list_reserve_returns_its_ticket() -> None:
    w = waiting()
    again = w.handle(Reserve("w1", "m2"), now=at(10, 1))
    assert isinstance(again, Accepted) and again.state is w
    assert again.events == (Waitlisted("w1", "m2", KEY, "milk", 0, 1, 1),)


def test_a_replayed_release_returns_its_cause() -> None:
    s = reserved()
    first = s.handle(Expire("o1"), now=at(10, 5))
    after = ok(first)
    assert first.events == (StockReleased("o1", KEY, "milk", 0, 1, "timeout", 0),)
    assert after.handle(Expire("o1"), now=at(10, 9)).events == first.events
    assert refusal(after, Cancel("o1"), at(10, 9)).reason.code == "seckill.reservation_released"


def test_a_promoted_order_replays_its_promotion() -> None:
    w = waiting()
    m2 = w.member
    holder = slice_for(w, "o1", MemberRecord("m1", (reserved(10).order,)))
    released = ok(holder.handle(Cancel("o1"), now=at(10, 1)))
    assert released.counter.held == 1
    promote = slice_for(released, "w1", m2)
    first = promote.handle(Promote("w1"), now=at(10, 2))
    after = ok(first)
    assert first.events == (StockReserved("w1", "m2", KEY, "milk", 0, 1, at(10, 7)),)
    assert after.handle(Promote("w1"), now=at(10, 3)).events == first.events
    # the promoted order is RESERVED until its own deadline, in the member's record too
    assert after.order is not None and after.order.status is ReservationStatus.RESERVED
    assert after.order.expires_at == at(10, 7)
    assert after.member.reservations == (after.order,)
    assert (after.counter.reserved, after.counter.held, after.counter.waiting) == (1, 0, 0)
    assert (after.counter.sold, after.counter.tickets, after.counter.stock) == (0, 1, 10)


# -- a fresh reservation and what the counters become ------------------------------------


def test_a_fresh_reservation_owes_nothing_to_the_waiting_list_and_returned_nothing() -> None:
    r = reserved().order
    assert r is not None
    assert (r.ticket, r.released_by, r.to_waiting_list) == (0, None, 0)
    assert (r.stock_returned, r.quota_returned) == (False, False)


def test_a_confirm_keeps_the_waiting_list_tickets() -> None:
    w = waiting()
    holder = slice_for(w, "o1", MemberRecord("m1", (reserved(10).order,)))
    paid = ok(holder.handle(Confirm("o1"), now=at(10, 1)))
    assert paid.counter == StockCounter(KEY, "milk", 10, sold=10, waiting=1, tickets=1)


def test_released_stock_serves_the_waiting_list_only_up_to_what_it_lacks() -> None:
    rules = StockRules(waiting_list=True)
    s = StockSlice(rules, StockCounter(KEY, "milk", 3), MemberRecord("m1"))
    s1 = ok(s.handle(Reserve("o1", "m1", 2), now=at(10)))
    s2 = ok(
        StockSlice(rules, s1.counter, MemberRecord("m2")).handle(Reserve("o2", "m2"), now=at(10))
    )
    s3 = ok(
        StockSlice(rules, s2.counter, MemberRecord("m3")).handle(Reserve("w1", "m3", 2), now=at(10))
    )
    assert (s3.counter.waiting, s3.counter.held) == (2, 0)
    c2 = ok(StockSlice(rules, s3.counter, s2.member, s2.order).handle(Cancel("o2"), now=at(10, 1)))
    assert (c2.counter.held, c2.counter.available) == (1, 0)
    # o1 releases 2 while the list lacks only 1: one is held, one is for everyone
    c1 = ok(StockSlice(rules, c2.counter, s1.member, s1.order).handle(Cancel("o1"), now=at(10, 1)))
    assert c1.counter == StockCounter(KEY, "milk", 3, waiting=2, held=2, tickets=1)
    assert c1.counter.available == 1
    assert c1.order is not None and c1.order.to_waiting_list == 1


def test_refunded_stock_serves_the_waiting_list_first_when_it_comes_back() -> None:
    rules = StockRules(waiting_list=True, refund_returns_stock=True)
    s = StockSlice(rules, StockCounter(KEY, "milk", 3), MemberRecord("m1"))
    s1 = ok(ok(s.handle(Reserve("o1", "m1", 2), now=at(10))).handle(Confirm("o1"), now=at(10)))
    s2 = ok(
        StockSlice(rules, s1.counter, MemberRecord("m2")).handle(Reserve("o2", "m2"), now=at(10))
    )
    s2 = ok(s2.handle(Confirm("o2"), now=at(10)))
    s3 = ok(
        StockSlice(rules, s2.counter, MemberRecord("m3")).handle(Reserve("w1", "m3", 2), now=at(10))
    )
    r2 = ok(StockSlice(rules, s3.counter, s2.member, s2.order)
            .handle(SeckillRefund("o2"), now=at(10, 1)))
    assert r2.counter == StockCounter(KEY, "milk", 3, sold=2, waiting=2, held=1, tickets=1)
    r1 = StockSlice(rules, r2.counter, s1.member, s1.order).handle(
        SeckillRefund("o1"), now=at(10, 2))
    after = ok(r1)
    assert after.counter == StockCounter(KEY, "milk", 3, waiting=2, held=2, tickets=1)
    assert r1.events == (StockRefunded("o1", KEY, "milk", 0, 2, True, False, 1),)
    assert after.order is not None and after.order.status is ReservationStatus.REFUNDED
    assert (after.order.stock_returned, after.order.quota_returned) == (True, False)
    assert after.member.reservations == (after.order,)


def test_a_refund_keeps_the_stock_sold_unless_the_campaign_returns_it() -> None:
    kept = confirmed(refund_returns_quota=True)
    out = kept.handle(SeckillRefund("o1"), now=at(10, 2))
    after = ok(out)
    assert after.counter == kept.counter
    assert out.events == (StockRefunded("o1", KEY, "milk", 0, 1, False, True, 0),)
    assert after.order is not None and after.order.quota_returned


# -- the log's retention ------------------------------------------------------------------


def test_prune_forgets_a_released_order_but_never_a_refund_that_kept_the_quota() -> None:
    cancelled = ok(reserved().handle(Cancel("o1"), now=at(10, 1)))
    pruned = ok(cancelled.handle(PruneLog("p1", retention_days=1), now=at(10, day=13)))
    assert pruned.order is None and pruned.member.reservations == ()
    kept_quota = ok(confirmed().handle(SeckillRefund("o1"), now=at(10, 2)))
    kept = ok(kept_quota.handle(PruneLog("p1", retention_days=1), now=at(10, day=13)))
    assert kept.order == kept_quota.order and kept.member == kept_quota.member
    back = ok(confirmed(refund_returns_quota=True).handle(SeckillRefund("o1"), now=at(10, 2)))
    gone = ok(back.handle(PruneLog("p1", retention_days=1), now=at(10, day=13)))
    assert gone.order is None and gone.member.reservations == ()
    recent = ok(cancelled.handle(PruneLog("p1", retention_days=1), now=at(10, day=11)))
    assert recent.order == cancelled.order


# -- what the host must load ----------------------------------------------------------------


def test_an_order_of_another_item_in_the_same_slot_and_bucket_is_refused() -> None:
    s = reserved()
    diapers = StockCounter(KEY, "diapers", 10)
    with pytest.raises(InvalidCommandError, match="is in bucket"):
        StockSlice(s.rules, diapers, s.member, s.order).handle(Confirm("o1"), now=at(10, 1))


def test_a_command_without_its_reservation_says_which_command_needs_one() -> None:
    with pytest.raises(InvalidCommandError) as info:
        start().handle(Confirm("o9"), now=at(10))
    assert str(info.value) == (
        "order_id='o9': no reservation for this order; Confirm needs one made by Reserve"
    )
    with pytest.raises(InvalidCommandError) as info:
        start().handle("reserve", now=at(10))  # type: ignore[arg-type]
    assert str(info.value).endswith(
        ": not a stock command; use Reserve, Confirm, Cancel, Expire, Promote or SeckillRefund"
    )


def test_now_may_be_a_standard_aware_datetime_but_never_naive() -> None:
    now = dt.datetime(2026, 11, 11, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
    s = ok(start().handle(Reserve("o1", "m1"), now=now))
    assert s.order is not None and s.order.expires_at == at(10, 5)
    assert type(s.order.reserved_at) is pendulum.DateTime
    with pytest.raises(NaiveDatetimeError):
        start().handle(Reserve("o1", "m1"), now=dt.datetime(2026, 11, 11, 10))


def test_a_limit_refusal_changes_nothing() -> None:
    s = reserved(2, per_slot=2)
    out = refusal(slice_for(s, "o2", s.member), Reserve("o2", "m1"), at(10, 1))
    assert out.reason.code == "seckill.limit_reached"
    assert out.reason.params["taken"] == 2 and out.reason.params["limit"] == 2


def test_a_replayed_reserve_of_a_promoted_order_still_answers_its_ticket() -> None:
    w = waiting()
    holder = slice_for(w, "o1", MemberRecord("m1", (reserved(10).order,)))
    released = ok(holder.handle(Cancel("o1"), now=at(10, 1)))
    promoted = ok(slice_for(released, "w1", w.member).handle(Promote("w1"), now=at(10, 2)))
    again = promoted.handle(Reserve("w1", "m2"), now=at(10, 3))
    assert again.events == (Waitlisted("w1", "m2", KEY, "milk", 0, 1, 1),)
