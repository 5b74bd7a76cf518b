"""Seckill records rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/campaigns/seckill/_records.py`: the three
small values a host stores (a bucket's counter, a member's record, one
reservation per order) and what each one refuses or counts.
"""

from __future__ import annotations

import datetime as dt

import pytest
from seckill_helpers import at

from sirui.campaigns.seckill import MemberRecord, ReservationStatus, StockCounter
from sirui.campaigns.seckill._records import Reservation
from sirui.core.errors import InvalidPolicyError

KEY = "double11/am@2026-11-11T10:00:00+08:00"
DAY = dt.date(2026, 11, 11)


def res(
    order_id: str = "o1",
    status: ReservationStatus = ReservationStatus.RESERVED,
    *,
    member_id: str = "m1",
    sku: str = "milk",
    slot_key: str = KEY,
    quantity: int = 1,
    day: dt.date = DAY,
    expires_at: object = None,
    quota_returned: bool = False,
) -> Reservation:
    return Reservation(
        order_id,
        member_id,
        slot_key,
        sku,
        0,
        quantity,
        status,
        day,
        at(10),
        expires_at if expires_at is not None else at(10, 15),  # type: ignore[arg-type]
        quota_returned=quota_returned,
    )


def test_a_bucket_is_stored_under_slot_sku_and_bucket_number() -> None:
    assert StockCounter(KEY, "milk", 5).key == f"{KEY}|milk#0"
    assert StockCounter(KEY, "milk", 5, bucket=3).key == f"{KEY}|milk#3"


def test_available_stock_is_what_is_neither_reserved_sold_nor_held() -> None:
    c = StockCounter(KEY, "milk", 10, reserved=2, sold=3, held=1, waiting=1)
    assert c.available == 4


def test_stock_below_what_was_taken_is_refused_with_the_parts_named() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        StockCounter(KEY, "milk", 5, reserved=2, sold=3, held=1, waiting=1)
    assert (info.value.field, info.value.value) == ("stock", 5)
    assert str(info.value) == "stock=5: is below reserved=2 + sold=3 + held=1"
    # exactly as much stock as was taken is fine
    assert StockCounter(KEY, "milk", 6, reserved=2, sold=3, held=1, waiting=1).available == 0


def test_held_stock_beyond_what_the_waiting_list_asked_for_is_refused() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        StockCounter(KEY, "milk", 5, held=2, waiting=1)
    assert (info.value.field, info.value.value) == ("held", 2)
    assert str(info.value) == "held=2: exceeds waiting=1"
    assert StockCounter(KEY, "milk", 5, held=2, waiting=2).held == 2


@pytest.mark.parametrize("field", ["slot_key", "sku"])
def test_an_empty_bucket_id_is_refused(field: str) -> None:
    args = {"slot_key": KEY, "sku": "milk", "stock": 1, field: ""}
    with pytest.raises(InvalidPolicyError, match=f"^{field}='': must be a non-empty string id"):
        StockCounter(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["stock", "bucket", "reserved", "sold", "waiting", "held"])
def test_a_negative_counter_is_refused(field: str) -> None:
    args: dict[str, object] = {"slot_key": KEY, "sku": "milk", "stock": 1, field: -1}
    with pytest.raises(InvalidPolicyError, match=f"^{field}=-1: must be an int >= 0"):
        StockCounter(**args)  # type: ignore[arg-type]


def test_a_reservation_counts_towards_limits_until_its_payment_deadline() -> None:
    r = res(expires_at=at(10, 15))
    assert r.active(at(10, 14, 59, 999999))
    assert not r.active(at(10, 15))  # exactly at the deadline it has lapsed
    assert not r.active(at(10, 16))


def test_what_counts_towards_limits_by_status() -> None:
    now = at(10, 5)
    assert res(status=ReservationStatus.WAITING).active(now)
    assert res(status=ReservationStatus.CONFIRMED).active(now)
    assert not res(status=ReservationStatus.RELEASED).active(now)
    assert res(status=ReservationStatus.REFUNDED).active(now)
    assert not res(status=ReservationStatus.REFUNDED, quota_returned=True).active(now)


def test_a_reserved_order_without_a_deadline_does_not_count() -> None:
    r = res()
    object.__setattr__(r, "expires_at", None)
    assert not r.active(at(10, 5))


def test_a_reservation_of_another_member_is_refused_with_its_place() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        MemberRecord("m1", (res("o1"), res("o2", member_id="m2")))
    assert (info.value.field, info.value.value) == ("reservations[1].member_id", "m2")
    assert str(info.value) == "reservations[1].member_id='m2': belongs to another member than 'm1'"


def test_taken_counts_active_units_of_the_sku_in_the_slot_and_on_the_day() -> None:
    other_day = dt.date(2026, 11, 12)
    record = MemberRecord(
        "m1",
        (
            res("o1", quantity=2),
            res("o2", quantity=3, sku="diapers"),
            res("o3", quantity=4, slot_key="double11/pm"),
            res("o4", quantity=5, day=other_day),
            res("o5", ReservationStatus.RELEASED, quantity=7),
            res("o6", ReservationStatus.CONFIRMED, quantity=11),
        ),
    )
    now = at(10, 5)
    assert record.taken("milk", now) == 2 + 4 + 5 + 11
    assert record.taken("milk", now, slot_key=KEY) == 2 + 5 + 11
    assert record.taken("milk", now, day=DAY) == 2 + 4 + 11
    assert record.taken("milk", now, slot_key=KEY, day=DAY) == 2 + 11
    assert record.taken("diapers", now) == 3
    # the unpaid ones lapse at their deadline; the paid one still counts
    assert record.taken("milk", at(10, 15), slot_key=KEY, day=DAY) == 11


def test_storing_a_reservation_replaces_the_one_of_that_order() -> None:
    record = MemberRecord("m1", (res("o1"), res("o2")))
    confirmed = res("o1", ReservationStatus.CONFIRMED)
    after = record._put(confirmed)
    assert after.reservations == (confirmed, res("o2"))
    assert after.member_id == "m1"
    added = record._put(res("o3"))
    assert added.reservations == (res("o1"), res("o2"), res("o3"))
    last = record._put(res("o2", ReservationStatus.CONFIRMED))
    assert last.reservations == (res("o1"), res("o2", ReservationStatus.CONFIRMED))


def test_a_released_reservation_remembers_what_released_it() -> None:
    r = res()._released("timeout", 1)
    assert (r.status, r.released_by, r.to_waiting_list) == (
        ReservationStatus.RELEASED,
        "timeout",
        1,
    )
    assert res()._released("cancel").to_waiting_list == 0
    refunded = res(status=ReservationStatus.CONFIRMED)._refunded(True, False, 2)
    assert (refunded.status, refunded.released_by) == (ReservationStatus.REFUNDED, "refund")
    assert (refunded.stock_returned, refunded.quota_returned, refunded.to_waiting_list) == (
        True,
        False,
        2,
    )
    promoted = res(status=ReservationStatus.WAITING)._to(ReservationStatus.RESERVED, at(10, 30))
    assert (promoted.status, promoted.expires_at) == (ReservationStatus.RESERVED, at(10, 30))
    kept = res()._to(ReservationStatus.CONFIRMED)
    assert kept.expires_at == at(10, 15) and kept.order_id == "o1" and kept.quantity == 1
