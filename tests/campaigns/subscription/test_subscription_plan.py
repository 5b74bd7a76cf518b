"""The subscription plan, as the operator states its rules (exact yuan figures).

The month of milk: 30 mornings of 12 yuan at 9折 from Sunday Nov 1, 2026,
delivered at 08:00, changes closing at 20:00 the evening before; three
skips, ten days of pause and a week of postponement per plan.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from subscription_helpers import NOV_1, NOW, RULES, at, deliver, milk, nov, started, y

from contract import reload
from sirui.campaigns.subscription import (
    DELIVERY_TRANSITIONS,
    PLAN_TRANSITIONS,
    SUBSCRIPTION_REASONS,
    Cadence,
    DeliveryDue,
    DeliveryMade,
    DeliveryMoved,
    DeliveryPostponed,
    DeliveryRefunded,
    DeliveryScheduled,
    DeliverySkipped,
    DeliveryStatus,
    MarkDelivered,
    MarkDeliveryDue,
    PausePlan,
    PlanEnded,
    PlanPaused,
    PlanRefunded,
    PlanResumed,
    PlanStarted,
    PlanStatus,
    PostponeDelivery,
    RefundDeliveries,
    ResumePlan,
    SkipDelivery,
    StartPlan,
    SubscriptionOffer,
    SubscriptionPlan,
    SubscriptionPolicy,
    start_plan,
)
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.rules import LogPruned, PruneLog, Reason, state_diagram

S = DeliveryStatus
DOCS = Path(__file__).resolve().parents[3] / "docs" / "mechanics" / "subscription.md"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")


def refused(out: object, code: str) -> Reason:
    assert not out.ok, out  # type: ignore[attr-defined]
    reason: Reason = out.reason  # type: ignore[attr-defined]
    assert reason.code == code, reason
    assert not out.events  # type: ignore[attr-defined]
    assert not re.search(r"[A-Za-z]", reason.zh), reason.zh   # no enum value, id or ISO text
    assert not ISO.search(reason.zh), reason.zh
    return reason


# -- the headline figures -----------------------------------------------------------------


def test_ten_delivered_then_the_rest_refunded_returns_216() -> None:
    """Pays 324; after 10 delivered, a refund of the rest returns 216."""
    plan = started()
    assert plan.paid == y("324")
    plan, now = deliver(plan, *range(1, 11))
    assert plan.delivered_amount == y("108")
    assert plan.refund_quote(now=now) == y("216")
    out = plan.handle(RefundDeliveries("refund-rest"), now=now)
    assert out.ok
    refunded = out.events[-2]
    assert refunded == PlanRefunded("plan-1", tuple(range(11, 31)), y("216"))
    assert out.events[-1] == PlanEnded("plan-1", 10, 20, y("108"), y("216"))
    assert [e.number for e in out.events if isinstance(e, DeliveryRefunded)] == list(
        range(11, 31))
    end = out.state
    assert end.status is PlanStatus.ENDED
    assert end.delivered_amount + end.refunded_amount == end.paid


def test_a_refund_of_everything_returns_everything() -> None:
    out = started().handle(RefundDeliveries("refund-all"), now=NOW)
    assert out.state.refunded_amount == y("324")
    assert out.events[-1] == PlanEnded("plan-1", 0, 30, y("0"), y("324"))


def test_a_partial_refund_takes_the_last_deliveries() -> None:
    """Refund five mornings: the last five go, 54 back, the plan goes on."""
    out = started().handle(RefundDeliveries("refund-5", 5), now=NOW)
    assert out.events[-1] == PlanRefunded("plan-1", (26, 27, 28, 29, 30), y("54"))
    plan = out.state
    assert plan.status is PlanStatus.ACTIVE
    assert [d.number for d in plan.with_status(S.REFUNDED)] == [26, 27, 28, 29, 30]
    assert plan.dates[-1] == nov(25)
    too_many = plan.handle(RefundDeliveries("refund-26", 26), now=NOW)
    assert refused(too_many, "subscription.not_enough_to_refund").zh == "仅剩25期可退款，申请退26期"


def test_uneven_shares_are_refunded_at_their_own_price() -> None:
    """30 × 9.90 at 88折 = 261.36; the first six cost 8.72, the rest 8.71."""
    plan = started(milk(price="9.90", rate="0.88"))
    plan, now = deliver(plan, *range(1, 7))
    assert plan.delivered_amount == y("52.32")
    out = plan.handle(RefundDeliveries("refund"), now=now)
    assert out.events[-2].amount == y("209.04") == y("261.36") - y("52.32")


def test_a_locked_delivery_is_not_refunded() -> None:
    """At 20:00 on Oct 31 the first morning is locked: a refund returns the other 29."""
    plan = started()
    now = at(31, 20, month=10)
    assert plan.refund_quote(now=now) == y("313.20")
    out = plan.handle(RefundDeliveries("refund"), now=now)
    assert out.state.status is PlanStatus.ACTIVE          # delivery 1 still goes out
    due = out.state.handle(MarkDeliveryDue("due-1", 1), now=now).state
    done = due.handle(MarkDelivered("delivered-1", 1), now=at(1, 8))
    assert done.events[-1] == PlanEnded("plan-1", 1, 29, y("10.80"), y("313.20"))


# -- starting -----------------------------------------------------------------------------


def test_start_reports_every_delivery_to_reserve() -> None:
    offer = milk()
    out = start_plan(StartPlan("start-1", "plan-1", "m1", offer, NOV_1, y("324")),
                     policy=RULES, now=NOW)
    assert out.events[0] == PlanStarted("plan-1", "m1", "milk-30", "milk", 30, y("324"), nov(1),
                                        nov(30))
    assert out.events[1:] == tuple(
        DeliveryScheduled("plan-1", n, nov(n), "milk", 1, y("10.80")) for n in range(1, 31))
    plan = out.state
    assert plan.handle(StartPlan("start-1", "plan-1", "m1", offer, NOV_1, y("324")),
                       now=NOW).events == out.events
    with pytest.raises(InvalidCommandError, match="has started"):
        plan.handle(StartPlan("start-2", "plan-1", "m1", offer, NOV_1, y("324")), now=NOW)


def test_start_refuses_a_wrong_payment_and_a_first_day_past_its_cutoff() -> None:
    offer = milk()
    wrong = start_plan(StartPlan("s", "p", "m", offer, NOV_1, y("360")), policy=RULES, now=NOW)
    assert refused(wrong, "subscription.payment_mismatch").zh == "周期购应付¥324.00，实付¥360.00"
    assert wrong.state is None
    late = start_plan(StartPlan("s", "p", "m", offer, NOV_1, y("324")), policy=RULES,
                      now=at(31, 20, month=10))
    r = refused(late, "subscription.first_delivery_too_soon")
    assert r.zh == "首期最早2026年11月2日配送"
    assert r.params["earliest"] == nov(2)
    bread = SubscriptionOffer("bread-8", "bread", 8, Cadence.on_weekdays(1, 4), y("6"))
    monday = start_plan(StartPlan("s", "p", "m", bread, nov(2), y("48")), policy=RULES,
                        now=at(1, 20))
    assert refused(monday, "subscription.first_delivery_too_soon").params["earliest"] == nov(5)
    with pytest.raises(InvalidCommandError):
        start_plan(SkipDelivery("x", 1), policy=RULES, now=NOW)  # type: ignore[arg-type]


def test_commands_are_validated_when_built() -> None:
    with pytest.raises(InvalidPolicyError):
        SkipDelivery("k", 0)
    with pytest.raises(InvalidPolicyError):
        PausePlan("p", nov(3), 0)
    with pytest.raises(InvalidPolicyError, match=r"datetime\.date"):
        PostponeDelivery("p", 1, at(3))   # a datetime is not a calendar day
    with pytest.raises(InvalidPolicyError):
        RefundDeliveries("r", 0)


# -- skip ---------------------------------------------------------------------------------


def test_a_skipped_morning_moves_to_the_end() -> None:
    """Skip Nov 5: deliveries 5..30 move one day on (顺延); the plan ends Dec 1."""
    out = started().handle(SkipDelivery("skip-5", 5), now=NOW)
    assert out.events[0] == DeliverySkipped("plan-1", 5, nov(5), 1)
    assert out.events[1:] == tuple(
        DeliveryMoved("plan-1", n, nov(n), nov(n + 1)) for n in range(5, 31))
    plan = out.state
    assert nov(5) not in plan.dates
    assert plan.dates[-1] == dt.date(2026, 12, 1)
    assert len(plan.deliveries) == 30 and plan.skips_used == 1


def test_a_weekly_skip_moves_only_what_it_must() -> None:
    """Weekly on Wednesdays: postpone the 2nd to Saturday, then skip it."""
    plan = started(milk(4, cadence=Cadence.weekly()), first=nov(4))
    assert plan.dates == (nov(4), nov(11), nov(18), nov(25))
    moved = plan.handle(PostponeDelivery("pp-2", 2, nov(14)), now=NOW)
    assert moved.events == (DeliveryPostponed("plan-1", 2, nov(11), nov(14)),
                            DeliveryMoved("plan-1", 2, nov(11), nov(14)))
    plan = moved.state
    assert plan.dates == (nov(4), nov(14), nov(18), nov(25))
    plan = plan.handle(SkipDelivery("skip-2", 2), now=NOW).state
    assert plan.dates == (nov(4), nov(18), nov(25), dt.date(2026, 12, 2))


def test_at_most_three_skips() -> None:
    plan = started()
    for n in (3, 4, 5):
        plan = plan.handle(SkipDelivery(f"skip-{n}", n), now=NOW).state
    out = plan.handle(SkipDelivery("skip-6", 6), now=NOW)
    assert refused(out, "subscription.skip_limit_reached").zh == "每个周期购最多跳过3期，已跳过3期"
    assert out.state is plan


def test_a_delivery_cannot_change_after_its_cutoff() -> None:
    """Nov 5's milk can be skipped until 20:00 on Nov 4."""
    plan = started()
    assert plan.handle(SkipDelivery("skip", 5), now=at(4, 19, 59)).ok
    out = plan.handle(SkipDelivery("skip", 5), now=at(4, 20))
    r = refused(out, "subscription.cutoff_passed")
    assert r.zh == "第5期（2026年11月5日配送）已过截单时间2026年11月4日 20:00，不能再修改"
    assert r.en == ("Delivery 5 on 2026-11-05 can no longer be changed: changes closed at "
                    "2026-11-04T20:00:00+08:00")
    assert out.state is plan


# -- postpone -----------------------------------------------------------------------------


def test_postponing_a_morning_pushes_the_rest_along() -> None:
    out = started().handle(PostponeDelivery("pp-3", 3, nov(6)), now=NOW)
    plan = out.state
    assert plan.dates[:4] == (nov(1), nov(2), nov(6), nov(7))
    assert plan.dates[-1] == dt.date(2026, 12, 3)
    assert len([e for e in out.events if isinstance(e, DeliveryMoved)]) == 28


def test_postpone_limits() -> None:
    plan = started()
    too_far = plan.handle(PostponeDelivery("pp", 3, nov(11)), now=NOW)
    assert refused(too_far, "subscription.postpone_too_far").zh == "每期最多延后7天（本次8天）"
    same = plan.handle(PostponeDelivery("pp", 3, nov(3)), now=NOW)
    assert refused(same, "subscription.not_later").zh == "延期后的日期须晚于原配送日期2026年11月3日"
    assert plan.handle(PostponeDelivery("pp", 3, nov(10)), now=NOW).ok


# -- pause and resume ---------------------------------------------------------------------


def test_a_five_day_pause() -> None:
    """Away Nov 10-14: deliveries 10..30 go to Nov 15..Dec 5; resume on Nov 15."""
    out = started().handle(PausePlan("pause", nov(10), 5), now=NOW)
    assert out.events[0] == PlanPaused("plan-1", nov(10), nov(15), 5, 5)
    plan = out.state
    assert plan.status is PlanStatus.PAUSED
    assert plan.dates[8:10] == (nov(9), nov(15))
    assert plan.dates[-1] == dt.date(2026, 12, 5)
    assert not any(nov(10) <= d < nov(15) for d in plan.dates)

    skip = plan.handle(SkipDelivery("skip", 20), now=NOW)
    assert refused(skip, "subscription.paused").zh == (
        "周期购暂停中（2026年11月15日恢复），恢复后才能修改")
    early = plan.handle(ResumePlan("resume"), now=at(14, 23, 59))
    assert refused(early, "subscription.still_paused").zh == "配送暂停中，2026年11月15日起才能恢复"

    # while paused, the mornings before the pause still go out
    plan, _ = deliver(plan, 1, 2)
    back = plan.handle(ResumePlan("resume"), now=at(15))
    assert back.events == (PlanResumed("plan-1", nov(10), nov(15)),)
    assert back.state.status is PlanStatus.ACTIVE
    assert back.state.paused_until is None


def test_pause_limits() -> None:
    plan = started()
    past = plan.handle(PausePlan("pause", dt.date(2026, 10, 29), 3), now=NOW)
    assert refused(past, "subscription.pause_in_past").zh == (
        "暂停须从今天（2026年10月30日）或以后开始")
    long = plan.handle(PausePlan("pause", nov(10), 11), now=NOW)
    assert refused(long, "subscription.pause_limit_reached").zh == (
        "累计暂停不能超过10天（已暂停0天，本次申请11天）")
    first = plan.handle(PausePlan("pause-1", nov(10), 6), now=NOW).state
    first = first.handle(ResumePlan("resume-1"), now=at(16)).state
    again = first.handle(PausePlan("pause-2", nov(20), 5), now=at(16))
    assert refused(again, "subscription.pause_limit_reached").params["used"] == 6
    assert first.handle(PausePlan("pause-2", nov(20), 4), now=at(16)).ok


def test_a_pause_must_hold_a_changeable_delivery() -> None:
    weekly = started(milk(4, cadence=Cadence.weekly()), first=nov(4))
    empty = weekly.handle(PausePlan("pause", nov(5), 3), now=NOW)
    assert refused(empty, "subscription.nothing_to_pause").zh == (
        "2026年11月5日至2026年11月7日没有待配送的订单")
    plan = started()
    locked = plan.handle(PausePlan("pause", nov(1), 3), now=at(31, 21, month=10))
    assert refused(locked, "subscription.cutoff_passed").params["number"] == 1
    due = plan.handle(MarkDeliveryDue("due-1", 1), now=at(31, 21, month=10)).state
    locked = due.handle(PausePlan("pause", nov(1), 3), now=at(31, 21, month=10))
    assert refused(locked, "subscription.cutoff_passed").params["number"] == 1


# -- due and delivered --------------------------------------------------------------------


def test_due_at_the_cutoff_then_delivered() -> None:
    plan = started()
    early = plan.handle(MarkDeliveryDue("due-1", 1), now=at(31, 19, 59, month=10))
    assert refused(early, "subscription.not_due").zh == (
        "第1期（2026年11月1日配送）的截单时间2026年10月31日 20:00未到")
    not_yet = plan.handle(MarkDelivered("dl-1", 1), now=at(1, 8))
    assert refused(not_yet, "subscription.delivery_state").zh == "第1期待配送，不能确认送达"
    due = plan.handle(MarkDeliveryDue("due-1", 1), now=at(31, 20, month=10))
    assert due.events == (DeliveryDue("plan-1", 1, nov(1), "milk", 1),)
    skip = due.state.handle(SkipDelivery("skip-1", 1), now=at(31, 20, month=10))
    assert refused(skip, "subscription.delivery_state").zh == "第1期已截单备货，不能跳过"
    made = due.state.handle(MarkDelivered("dl-1", 1), now=at(1, 8))
    assert made.events == (DeliveryMade("plan-1", 1, nov(1), y("10.80")),)
    again = made.state.handle(MarkDelivered("dl-again", 1), now=at(1, 9))
    assert refused(again, "subscription.delivery_state").en == (
        "Delivery 1 is delivered; it cannot be marked delivered")


def test_an_ended_plan_takes_nothing_but_a_prune() -> None:
    plan, now = deliver(started(milk(2)), 1, 2)
    assert plan.status is PlanStatus.ENDED
    assert plan.delivered_amount == plan.paid == y("21.60")
    out = plan.handle(RefundDeliveries("refund"), now=now)
    assert refused(out, "subscription.ended").zh == "周期购已结束"
    assert plan.handle(PruneLog("prune"), now=now).ok


def test_resume_of_an_active_plan_is_not_in_the_table() -> None:
    out = started().handle(ResumePlan("resume"), now=NOW)
    assert refused(out, "subscription.not_paused").zh == "周期购未暂停"


# -- the contract -------------------------------------------------------------------------


def test_replays_and_conflicts() -> None:
    plan = started()
    first = plan.handle(SkipDelivery("skip-5", 5), now=NOW)
    stored = reload(first.state)
    assert stored == first.state
    again = stored.handle(SkipDelivery("skip-5", 5), now=at(20))
    assert again.events == first.events and again.state is stored
    with pytest.raises(IdConflictError):
        stored.handle(SkipDelivery("skip-5", 6), now=NOW)
    with pytest.raises(InvalidCommandError, match=r"deliveries 1\.\.30"):
        plan.handle(SkipDelivery("skip-31", 31), now=NOW)
    with pytest.raises(InvalidCommandError, match="takes"):
        plan.handle("skip", now=NOW)  # type: ignore[arg-type]


def test_a_refusal_is_not_recorded() -> None:
    plan = started()
    out = plan.handle(SkipDelivery("skip-5", 5), now=at(4, 20))
    assert out.state is plan
    assert plan.handle(SkipDelivery("skip-5", 5), now=at(4, 19)).ok  # decided afresh


def test_prune_uses_the_policy_retention() -> None:
    plan = started().handle(SkipDelivery("skip-5", 5), now=NOW).state
    assert "start-1" in plan.log and "skip-5" in plan.log
    out = plan.handle(PruneLog("prune"), now=NOW.add(days=31))
    assert out.events == (LogPruned(NOW.add(days=1), 2),)
    assert "skip-5" not in out.state.log
    kept = plan.handle(PruneLog("prune"), now=NOW.add(days=29))
    assert kept.events[0].removed == 0
    short = SubscriptionPolicy(cutoff_hours=12, log_retention_days=1)
    plan2 = started(rules=short)
    assert plan2.handle(PruneLog("prune"), now=NOW.add(days=2)).events[0].removed == 1


def test_a_plan_cannot_hold_an_inconsistent_schedule() -> None:
    plan = started(milk(3))
    ds = plan.deliveries
    with pytest.raises(InvalidPolicyError, match="strictly increase"):
        SubscriptionPlan("p", "m", plan.offer, plan.policy, NOV_1, plan.paid,
                         (ds[0], ds[1]._on(nov(1)), ds[2]))
    with pytest.raises(InvalidPolicyError, match="sum"):
        SubscriptionPlan("p", "m", plan.offer, plan.policy, NOV_1, y("1"), ds)
    with pytest.raises(InvalidPolicyError):
        SubscriptionPlan("p", "m", plan.offer, plan.policy, NOV_1, plan.paid, ds[:2])


# -- tables, diagrams, reasons ------------------------------------------------------------


def test_the_docs_draw_both_tables() -> None:
    page = DOCS.read_text("utf-8")
    for table in (PLAN_TRANSITIONS, DELIVERY_TRANSITIONS):
        assert f"```mermaid\n{state_diagram(table)}\n```" in page
    assert "    ACTIVE --> ENDED: PlanEnded" in state_diagram(PLAN_TRANSITIONS)


def test_every_reason_has_chinese_without_latin_text() -> None:
    for code, entry in SUBSCRIPTION_REASONS.items():
        assert code.startswith("subscription.")
        template = re.sub(r"\{[a-z_]+_zh\}|\{(limit|used|days|number|left|asked|price|paid)\}",
                          "", entry.zh)
        assert not re.search(r"[A-Za-z{]", template), (code, entry.zh)


def test_an_offer_with_chosen_weekdays_starts_on_the_first_of_them() -> None:
    bread = SubscriptionOffer("bread-8", "bread", 8, Cadence.on_weekdays(1, 4), y("6"))
    plan = started(bread)
    assert plan.dates[:3] == (nov(2), nov(5), nov(9))
    assert plan.delivery(1).status is S.SCHEDULED
