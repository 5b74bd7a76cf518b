"""Issue 20: the commission freeze counted from the payment or from the fulfilment, as chosen."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract import reload
from sirui.commission import (
    CommissionPlan,
    MarkFulfilled,
    RateRule,
    RecordCommission,
    RecordStatus,
    ReleaseFrozen,
    SettlementLedger,
    SettlementPolicy,
    guide_commission,
)
from sirui.commission.settlement import FreezeFrom
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.rules import Accepted, Rejected

from ._shop import MILK, TZ, paid_order

S = RecordStatus
PLAN = CommissionPlan((RateRule("all", "0.1"),))
PAID = pendulum.datetime(2026, 11, 11, 10, tz=TZ)


def _ledger(policy: SettlementPolicy, paid_at: pendulum.DateTime = PAID) -> SettlementLedger:
    lines = guide_commission(paid_order([(MILK, 1, "260")], paid_at=paid_at), PLAN)
    out = SettlementLedger(policy).handle(RecordCommission("rec", lines), now=paid_at)
    assert isinstance(out, Accepted)
    return out.state


def _fulfilled(policy: SettlementPolicy, at: pendulum.DateTime) -> SettlementLedger:
    out = _ledger(policy).handle(MarkFulfilled("ful", "o1", at), now=at)
    assert isinstance(out, Accepted)
    return out.state


def test_the_default_counts_from_fulfilment_as_before() -> None:
    assert SettlementPolicy().freeze_from is FreezeFrom.FULFILMENT
    assert SettlementPolicy(7) == SettlementPolicy(7, freeze_from=FreezeFrom.FULFILMENT)


def test_seven_days_from_fulfilment_paid_nov_11_delivered_nov_14_released_nov_21() -> None:
    # The operator's rule: a 7-day freeze from fulfilment. Paid Nov 11, delivered Nov 14
    # (recorded at midnight), released from Nov 21 00:00 Asia/Shanghai, not a second sooner.
    policy = SettlementPolicy(7, freeze_from=FreezeFrom.FULFILMENT)
    delivered = pendulum.datetime(2026, 11, 14, tz=TZ)
    led = _fulfilled(policy, delivered)
    (rec,) = led.all_records()
    assert rec.unfreeze_at == pendulum.datetime(2026, 11, 21, tz=TZ)
    early = led.handle(ReleaseFrozen("rel"), now=pendulum.datetime(2026, 11, 20, 23, 59, 59,
                                                                   tz=TZ))
    assert isinstance(early, Rejected) and early.state is led
    assert early.reason.code == "settlement.nothing_due"
    out = led.handle(ReleaseFrozen("rel"), now=pendulum.datetime(2026, 11, 21, tz=TZ))
    assert isinstance(out, Accepted)
    assert {r.status for r in out.state.all_records()} == {S.SETTLEABLE}


def test_seven_days_from_payment_paid_nov_11_delivered_nov_14_released_nov_18() -> None:
    policy = SettlementPolicy(7, freeze_from=FreezeFrom.PAYMENT)
    led = _fulfilled(policy, pendulum.datetime(2026, 11, 14, 15, tz=TZ))
    (rec,) = led.all_records()
    assert rec.unfreeze_at == pendulum.datetime(2026, 11, 18, 10, tz=TZ)
    assert isinstance(led.handle(ReleaseFrozen("r"), now=pendulum.datetime(2026, 11, 18, 9,
                                                                            tz=TZ)), Rejected)
    out = led.handle(ReleaseFrozen("r"), now=pendulum.datetime(2026, 11, 18, 10, tz=TZ))
    assert isinstance(out, Accepted)


def test_from_payment_a_late_delivery_is_released_on_delivery_not_before() -> None:
    # Delivered Nov 20, after the window from payment (Nov 18) has passed.
    policy = SettlementPolicy(7, freeze_from=FreezeFrom.PAYMENT)
    delivered = pendulum.datetime(2026, 11, 20, 12, tz=TZ)
    led = _fulfilled(policy, delivered)
    assert led.all_records()[0].unfreeze_at == delivered
    out = led.handle(ReleaseFrozen("r"), now=delivered)
    assert isinstance(out, Accepted)


@pytest.mark.parametrize("freeze_from", list(FreezeFrom))
def test_before_fulfilment_nothing_has_a_release_date_and_release_is_refused(
    freeze_from: FreezeFrom,
) -> None:
    led = _ledger(SettlementPolicy(7, freeze_from=freeze_from))
    (rec,) = led.all_records()
    assert (rec.status, rec.unfreeze_at) == (S.PENDING, None)
    # Even long after the window from payment: undelivered commission is not released.
    out = led.handle(ReleaseFrozen("r"), now=PAID.add(days=60))
    assert isinstance(out, Rejected)
    assert out.state is led
    assert out.reason.code == "settlement.nothing_due"
    assert "r" not in led.log


def test_freeze_from_is_validated() -> None:
    with pytest.raises(InvalidPolicyError, match="freeze_from='payment': must be a FreezeFrom"):
        SettlementPolicy(7, freeze_from="payment")  # type: ignore[arg-type]


@pytest.mark.parametrize("freeze_from", list(FreezeFrom))
def test_policy_and_ledger_round_trip_through_the_codec(freeze_from: FreezeFrom) -> None:
    policy = SettlementPolicy(5, 10, freeze_from)
    assert load(dump(policy)) == policy
    assert load(dump(policy), SettlementPolicy) == policy
    led = _fulfilled(policy, PAID.add(days=2))
    assert reload(led) == led


@given(
    window=st.integers(0, 15),
    freeze_from=st.sampled_from(FreezeFrom),
    delivered_after=st.integers(0, 30 * 24 * 60),
    release_after=st.lists(st.integers(0, 60 * 24 * 60), min_size=1, max_size=5),
)
def test_release_never_happens_before_fulfilment_plus_the_freeze(
    window: int, freeze_from: FreezeFrom, delivered_after: int, release_after: list[int],
) -> None:
    """Released exactly when due: fulfilled_at + window (from fulfilment), or the later of
    paid_at + window and fulfilled_at (from payment); never before fulfilled_at."""
    policy = SettlementPolicy(window, freeze_from=freeze_from)
    delivered = PAID.add(minutes=delivered_after)
    led = _fulfilled(policy, delivered)
    due = (max(PAID.add(days=window), delivered) if freeze_from is FreezeFrom.PAYMENT
           else delivered.add(days=window))
    for i, minutes in enumerate(sorted(release_after)):
        now = delivered.add(minutes=minutes)
        out = led.handle(ReleaseFrozen(f"rel{i}"), now=now)
        if isinstance(out, Accepted):
            assert now >= due >= delivered
            if freeze_from is FreezeFrom.FULFILMENT:
                assert now >= delivered.add(days=window)
            assert {r.status for r in out.state.all_records()} == {S.SETTLEABLE}
            return
        assert now < due
