"""Settlement rules as the operator states them: what each command reports, refunds by
units or by money, clawbacks after payout, and the ledger's indexes (issue 19)."""

from __future__ import annotations

import pytest

from sirui.commission import (
    ApplyRefund,
    ClawbackCreated,
    ClawbackOffset,
    CommissionCancelled,
    CommissionFrozen,
    CommissionLine,
    CommissionPlan,
    CommissionRecorded,
    CommissionReduced,
    CommissionRefund,
    CommissionSettleable,
    CommissionSettled,
    MarkFulfilled,
    RateRule,
    RecordCommission,
    RecordStatus,
    ReleaseFrozen,
    Role,
    SettlementLedger,
    SettlePayee,
    guide_commission,
)
from sirui.core.errors import InvalidCommandError
from sirui.rules import Accepted, Rejected, reason_code

from ._shop import DIAPER, MILK, NOW, paid_order, yuan

S = RecordStatus
PLAN = CommissionPlan((RateRule("all", "0.1"),))
MILK_KEY, DIAPER_KEY = "o1/L1/guide/g1", "o1/L2/guide/g1"
RULE_REASON = reason_code("test.settlement_rules", zh="规则", en="rule")()


def ok(outcome):  # type: ignore[no-untyped-def]
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def recorded(order_id: str = "o1") -> SettlementLedger:
    # Milk paid 260 (commission 26.00), diapers 2 × 45 = 90 (commission 9.00), guide g1.
    lines = guide_commission(paid_order([(MILK, 1, "260"), (DIAPER, 2, "90")],
                                        order_id=order_id), PLAN)
    return ok(SettlementLedger().handle(RecordCommission("c1", lines), now=NOW))


def settled() -> SettlementLedger:
    led = ok(recorded().handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    led = ok(led.handle(ReleaseFrozen("r"), now=NOW.add(days=7)))
    return ok(led.handle(SettlePayee("s1", "g1"), now=NOW.add(days=7)))


def refund(led: SettlementLedger, cid: str, line: str, qty: int, amount: str):  # type: ignore[no-untyped-def]
    at = NOW.add(days=10)
    back = CommissionRefund.of(f"r-{cid}", "o1", at, [(line, qty, yuan(amount))])
    return led.handle(ApplyRefund(cid, back), now=at)


def one_line(total: str, quantity: int, commission: str) -> SettlementLedger:
    """A ledger holding one commission line of ``quantity`` units paid ``total`` in all."""
    line = CommissionLine("o1", "L1", "g1", Role.GUIDE, "S01", "gift", quantity, yuan(total),
                          yuan(total), yuan(commission), "bonus", RULE_REASON, NOW)
    return ok(SettlementLedger().handle(RecordCommission("c1", (line,)), now=NOW))


# -- what each command reports ------------------------------------------------------------


def test_each_step_reports_every_record_it_moved() -> None:
    lines = guide_commission(paid_order([(MILK, 1, "260"), (DIAPER, 2, "90")]), PLAN)
    out = SettlementLedger().handle(RecordCommission("c1", lines), now=NOW)
    assert out.events == (CommissionRecorded(MILK_KEY, "g1", yuan("26.00")),
                          CommissionRecorded(DIAPER_KEY, "g1", yuan("9.00")))
    delivered = NOW.add(days=1)
    out = out.state.handle(MarkFulfilled("f", "o1", delivered), now=delivered)
    until = delivered.add(days=7)
    assert out.events == (CommissionFrozen(MILK_KEY, until), CommissionFrozen(DIAPER_KEY, until))
    out = out.state.handle(ReleaseFrozen("r"), now=until)
    assert out.events == (CommissionSettleable(MILK_KEY), CommissionSettleable(DIAPER_KEY))
    out = out.state.handle(SettlePayee("s1", "g1"), now=until)
    (paid,) = out.events
    assert paid == CommissionSettled("s1", "g1", (MILK_KEY, DIAPER_KEY), yuan("35.00"),
                                     yuan("0"), yuan("35.00"), out.reason)
    assert out.reason.zh == "结算¥35.00，抵扣追回¥0.00，实发¥35.00"
    assert out.reason.en == "Settled ¥35.00, clawback ¥0.00, paid ¥35.00"


def test_refusals_name_the_order_and_the_payee() -> None:
    led = ok(recorded().handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    again = led.handle(MarkFulfilled("f2", "o1", NOW), now=NOW)
    assert isinstance(again, Rejected)
    assert again.reason.zh == "订单o1的佣金已不在待结算状态"
    nothing = led.handle(SettlePayee("s", "g1"), now=NOW)
    assert isinstance(nothing, Rejected)
    assert nothing.reason.zh == "g1没有可结算的佣金"
    assert nothing.reason.en == "g1 has nothing to settle"


def test_a_settled_record_remembers_the_settlement_that_paid_it() -> None:
    led = settled()
    assert {r.settlement for r in led.all_records()} == {"s1"}
    assert recorded().record(MILK_KEY).settlement is None


def test_payouts_add_up_over_settlements() -> None:
    led = settled()
    more = guide_commission(paid_order([(DIAPER, 2, "90")], order_id="o2"), PLAN)
    led = ok(led.handle(RecordCommission("c2", more), now=NOW.add(days=8)))
    led = ok(led.handle(MarkFulfilled("f2", "o2", NOW.add(days=8)), now=NOW.add(days=8)))
    led = ok(led.handle(ReleaseFrozen("r2"), now=NOW.add(days=15)))
    led = ok(led.handle(SettlePayee("s2", "g1"), now=NOW.add(days=15)))
    assert led.paid_out.get("g1") == yuan("44.00")


def test_settled_and_released_records_leave_the_indexes() -> None:
    led = ok(recorded().handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    assert [k for _, k in led.frozen] == [MILK_KEY, DIAPER_KEY]
    led = ok(led.handle(ReleaseFrozen("r"), now=NOW.add(days=7)))
    assert led.frozen == ()
    assert led.settleable.get("g1") == (MILK_KEY, DIAPER_KEY)
    led = ok(led.handle(SettlePayee("s1", "g1"), now=NOW.add(days=7)))
    assert led.settleable.get("g1") == ()


def test_records_of_an_order_come_in_the_order_they_were_recorded() -> None:
    led = recorded()
    assert [r.key for r in led.records_of("o1")] == [MILK_KEY, DIAPER_KEY]
    assert led.records_of("o2") == ()
    with pytest.raises(KeyError, match="o9/L1/guide/g1"):
        led.record("o9/L1/guide/g1")


# -- refunds before settlement -------------------------------------------------------------


def test_a_full_refund_before_settlement_reduces_to_zero_and_cancels() -> None:
    out = refund(recorded(), "a1", "L2", 1, "45")
    assert out.events == (CommissionReduced(DIAPER_KEY, yuan("4.50"), yuan("4.50"), "r-a1"),)
    out = refund(out.state, "a2", "L2", 1, "45")
    assert out.events == (CommissionReduced(DIAPER_KEY, yuan("4.50"), yuan("0"), "r-a2"),
                          CommissionCancelled(DIAPER_KEY, "r-a2"))
    # A refund before settlement owes nothing back: no clawback is opened.
    assert "g1" not in out.state.clawbacks


def test_refunding_all_the_money_cancels_even_if_the_goods_were_kept() -> None:
    # 仅退款: the whole 90 yuan of the diapers back, both packs kept.
    out = refund(recorded(), "a1", "L2", 0, "90")
    rec = out.state.record(DIAPER_KEY)
    assert (rec.status, rec.amount) == (S.CANCELLED, yuan("0"))
    assert CommissionCancelled(DIAPER_KEY, "r-a1") in out.events


def test_the_reduction_follows_the_money_refunded_not_the_units() -> None:
    # A one-fen line of two units: a unit back with no money back takes nothing off.
    led = one_line("0.01", 2, "1.00")
    rec = ok(refund(led, "a1", "L1", 1, "0")).record("o1/L1/guide/g1")
    assert (rec.amount, rec.status) == (yuan("1.00"), S.PENDING)
    # The fen back is the whole line: the whole commission goes, the record is cancelled.
    rec = ok(refund(led, "a1", "L1", 0, "0.01")).record("o1/L1/guide/g1")
    assert (rec.amount, rec.status) == (yuan("0"), S.CANCELLED)


def test_a_free_line_is_reduced_by_units() -> None:
    # A gift line paid nothing but earning a 5.00 bonus over two units.
    led = one_line("0", 2, "5.00")
    led = ok(refund(led, "a1", "L1", 1, "0"))
    rec = led.record("o1/L1/guide/g1")
    assert (rec.amount, rec.status) == (yuan("2.50"), S.PENDING)
    led = ok(refund(led, "a2", "L1", 1, "0"))
    rec = led.record("o1/L1/guide/g1")
    assert (rec.amount, rec.status) == (yuan("0"), S.CANCELLED)


def test_fulfilment_and_release_pass_over_a_cancelled_line() -> None:
    # The milk was refunded in full before delivery: only the diapers freeze.
    led = ok(refund(recorded(), "a1", "L1", 1, "260"))
    out = led.handle(MarkFulfilled("f", "o1", NOW), now=NOW)
    assert out.events == (CommissionFrozen(DIAPER_KEY, NOW.add(days=7)),)
    # Both frozen, then the milk refunded in full: only the diapers are released.
    led = ok(recorded().handle(MarkFulfilled("f", "o1", NOW), now=NOW))
    led = ok(refund(led, "a1", "L1", 1, "260"))
    out = led.handle(ReleaseFrozen("r"), now=NOW.add(days=7))
    assert out.events == (CommissionSettleable(DIAPER_KEY),)
    assert out.state.record(MILK_KEY).status is S.CANCELLED


def test_a_refund_never_returns_more_money_than_the_line_was_paid() -> None:
    led = recorded()
    with pytest.raises(InvalidCommandError, match=r"refund 'r-a1'.*more than it was paid"):
        refund(led, "a1", "L1", 1, "260.01")
    led = ok(refund(led, "a1", "L1", 0, "200"))
    with pytest.raises(InvalidCommandError, match=r"refund 'r-a2'.*more than it was paid"):
        refund(led, "a2", "L1", 0, "60.01")


# -- refunds after settlement: clawbacks -----------------------------------------------------


def test_after_payout_every_unit_back_claws_back_the_whole_commission() -> None:
    led = ok(refund(settled(), "a1", "L2", 1, "45"))
    assert led.clawbacks.get("g1") == yuan("4.50")
    # The second pack comes back with only 40 yuan refunded: all units are back.
    out = refund(led, "a2", "L2", 1, "40")
    assert out.events == (ClawbackCreated(DIAPER_KEY, "g1", yuan("4.50"), "r-a2"),)
    rec = out.state.record(DIAPER_KEY)
    assert (rec.refunded_quantity, rec.refunded_amount, rec.net) == (2, yuan("85"), yuan("0"))


def test_after_payout_all_the_money_back_claws_back_the_whole_commission() -> None:
    led = ok(refund(settled(), "a1", "L2", 0, "45"))
    out = refund(led, "a2", "L2", 0, "45")
    assert out.events == (ClawbackCreated(DIAPER_KEY, "g1", yuan("4.50"), "r-a2"),)
    assert out.state.clawbacks.get("g1") == yuan("9.00")
    assert out.state.record(DIAPER_KEY).refunded_amount == yuan("90")


def test_a_refund_too_small_to_move_a_fen_of_commission_creates_no_clawback() -> None:
    out = refund(settled(), "a1", "L2", 0, "0.01")   # 9.00 × 0.01 / 90 rounds to 0
    assert out.events == ()
    assert out.state.clawbacks.get("g1") == yuan("0")


def test_the_next_settlement_offsets_the_clawback_and_says_so() -> None:
    led = ok(refund(settled(), "a1", "L1", 1, "260"))         # 26.00 owed back
    more = guide_commission(paid_order([(DIAPER, 2, "90")], order_id="o2"), PLAN)
    led = ok(led.handle(RecordCommission("c2", more), now=NOW.add(days=10)))
    led = ok(led.handle(MarkFulfilled("f2", "o2", NOW.add(days=10)), now=NOW.add(days=10)))
    led = ok(led.handle(ReleaseFrozen("r2"), now=NOW.add(days=17)))
    out = led.handle(SettlePayee("s2", "g1"), now=NOW.add(days=17))
    assert out.events == (
        ClawbackOffset("g1", yuan("9.00"), yuan("17.00")),
        CommissionSettled("s2", "g1", ("o2/L1/guide/g1",), yuan("9.00"), yuan("9.00"),
                          yuan("0"), out.reason),
    )
    assert out.reason.zh == "结算¥9.00，抵扣追回¥9.00，实发¥0.00"


# -- misuse ------------------------------------------------------------------------------------


def test_misuse_says_what_to_do() -> None:
    led = recorded()
    with pytest.raises(InvalidCommandError, match=r"; send RecordCommission first$"):
        led.handle(MarkFulfilled("x", "nope", NOW), now=NOW)
    with pytest.raises(InvalidCommandError, match="not a settlement command"):
        led.handle("settle everything", now=NOW)  # type: ignore[arg-type]

