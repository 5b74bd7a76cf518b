"""Paid membership cards: purchase, renewal, trial, coupon packs, refunds, expiry."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract import reload
from sirui.core.errors import IdConflictError, InvalidPolicyError
from sirui.core.money import Money
from sirui.loyalty.members import (
    TRANSITIONS,
    CardExpired,
    CardPlan,
    CardRefundRule,
    CardStatus,
    ClaimCouponPack,
    CouponPackGranted,
    ExpireCard,
    PaidCard,
    PurchaseCard,
    RecordBenefitUse,
    RefundCard,
    RefundMode,
    RenewCard,
    StartTrial,
)
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected
from sirui.rules.diagrams import state_diagram

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 1, 31, 10, tz=TZ)
ANNUAL = CardPlan("annual", Money.of("99"), period_months=12, coupon_pack="VIP-MONTHLY",
                  coupon_pack_value=Money.of("10"), trial_days=7)
PRO_RATA = CardPlan("annual", Money.of("120"), period_months=12,
                    refund=CardRefundRule(RefundMode.PRO_RATA))


def bought(plan: CardPlan = ANNUAL, now: pendulum.DateTime = NOW) -> PaidCard:
    out = PaidCard.new("c1", "m1", plan).handle(PurchaseCard("pay-1"), now=now)
    assert isinstance(out, Accepted)
    return out.state


def test_a_99_yuan_annual_card_bought_on_31_january_runs_a_year() -> None:
    card = bought()
    assert card.status is CardStatus.ACTIVE
    assert card.ends_at == pendulum.datetime(2027, 1, 31, 10, tz=TZ)
    assert card.is_active(NOW.add(months=11))
    assert not card.is_active(pendulum.datetime(2027, 1, 31, 10, tz=TZ))


def test_renewal_extends_from_the_current_end_without_drift() -> None:
    monthly = CardPlan("monthly", Money.of("15"), period_months=1)
    card = bought(monthly)  # 31 January
    assert card.ends_at == pendulum.datetime(2026, 2, 28, 10, tz=TZ)
    card = card.handle(RenewCard("pay-2"), now=NOW.add(days=20)).state
    # Anchored on 31 January: two months end on 31 March, not 28 March.
    assert card.ends_at == pendulum.datetime(2026, 3, 31, 10, tz=TZ)
    assert card.total_paid == Money.of("30")


def test_renewal_after_expiry_starts_a_new_run_from_now() -> None:
    card = bought()
    later = NOW.add(years=1, days=10)
    out = card.handle(RenewCard("pay-2"), now=later)
    assert isinstance(out, Accepted)
    assert isinstance(out.events[0], CardExpired)
    assert out.state.anchor == later
    assert out.state.ends_at == later.add(months=12)
    assert out.state.run_paid == Money.of("99")
    assert out.state.total_paid == Money.of("198")


def test_buying_twice_with_the_same_id_is_one_purchase() -> None:
    first = PaidCard.new("c1", "m1", ANNUAL).handle(PurchaseCard("pay-1"), now=NOW)
    card = first.state
    again = card.handle(PurchaseCard("pay-1"), now=NOW.add(days=1))
    assert isinstance(again, Accepted)
    assert again.state is card
    assert again.events == first.events  # the original CardPurchased, for a lost reply
    stored = reload(card)
    assert stored == card
    assert stored.handle(PurchaseCard("pay-1"), now=NOW.add(days=2)).events == first.events
    with pytest.raises(IdConflictError, match="pay-1"):
        card.handle(PurchaseCard("pay-1", price=Money.of("88")), now=NOW)
    other = card.handle(PurchaseCard("pay-9"), now=NOW)
    assert isinstance(other, Rejected)
    assert other.reason.code == "card.already_active"


def test_full_refund_within_7_days_if_no_benefit_used() -> None:
    card = bought()
    out = card.handle(RefundCard("rf-1"), now=NOW.add(days=6))
    assert isinstance(out, Accepted)
    assert out.events[0].amount == Money.of("99")
    assert out.state.status is CardStatus.REFUNDED
    assert not out.state.is_active(NOW.add(days=6))


def test_no_full_refund_after_7_days_or_after_using_a_benefit() -> None:
    card = bought()
    late = card.handle(RefundCard("rf-1"), now=NOW.add(days=8))
    assert isinstance(late, Rejected)
    assert late.reason.code == "card.refund_window_passed"
    used = card.handle(RecordBenefitUse("use-1", Money.of("6")), now=NOW.add(days=1)).state
    out = used.handle(RefundCard("rf-1"), now=NOW.add(days=2))
    assert isinstance(out, Rejected)
    assert out.reason.code == "card.benefits_used"


def test_pro_rata_refund_of_a_120_yuan_card_after_a_quarter_minus_12_used_is_78() -> None:
    start = pendulum.datetime(2026, 1, 1, tz=TZ)
    card = bought(PRO_RATA, start)
    card = card.handle(RecordBenefitUse("ship-1", Money.of("12")), now=start.add(days=5)).state
    # 2026 has 365 days; after 90 days, 275/365 of ¥120 is ¥90.41, less ¥12 used.
    out = card.handle(RefundCard("rf"), now=start.add(days=90))
    assert isinstance(out, Accepted)
    assert out.events[0].amount == Money.of("78.41")
    assert card.refund_due(start.add(days=90)) == Money.of("78.41")


def test_no_refund_plan() -> None:
    card = bought(CardPlan("x", Money.of("9.9"), refund=CardRefundRule(RefundMode.NONE)))
    out = card.handle(RefundCard("rf"), now=NOW)
    assert isinstance(out, Rejected)
    assert out.reason.code == "card.not_refundable"


def test_monthly_coupon_pack_once_per_month_of_the_run() -> None:
    card = bought()
    out = card.handle(ClaimCouponPack("k1"), now=NOW.add(days=1))
    assert isinstance(out, Accepted)
    (granted,) = out.events
    assert isinstance(granted, CouponPackGranted)
    assert granted.period == 0
    assert granted.window.end == pendulum.datetime(2026, 2, 28, 10, tz=TZ)
    card = out.state
    assert card.benefits_used == Money.of("10")
    again = card.handle(ClaimCouponPack("k2"), now=NOW.add(days=10))
    assert isinstance(again, Rejected)
    assert again.reason.code == "card.pack_claimed"
    march = card.handle(ClaimCouponPack("k3"), now=pendulum.datetime(2026, 3, 1, tz=TZ))
    assert isinstance(march, Accepted)
    assert march.events[0].period == 1


def test_trial_then_purchase() -> None:
    card = PaidCard.new("c1", "m1", ANNUAL)
    card = card.handle(StartTrial("t1"), now=NOW).state
    assert card.status is CardStatus.TRIAL
    assert card.is_active(NOW.add(days=6))
    pack = card.handle(ClaimCouponPack("k"), now=NOW)
    assert isinstance(pack, Rejected)
    assert pack.reason.code == "card.not_allowed"
    card = card.handle(PurchaseCard("pay"), now=NOW.add(days=3)).state
    assert card.status is CardStatus.ACTIVE
    assert card.ends_at == NOW.add(days=3).add(months=12)


def test_expire_only_after_the_end_and_only_once() -> None:
    card = bought()
    early = card.handle(ExpireCard("e1"), now=NOW.add(days=1))
    assert isinstance(early, Rejected)
    assert early.reason.code == "card.not_ended"
    end = NOW.add(years=1)
    assert card.status_at(end.subtract(seconds=1)) is CardStatus.ACTIVE
    assert card.status_at(end) is CardStatus.EXPIRED
    out = card.handle(ExpireCard("e2"), now=end)
    assert isinstance(out, Accepted)
    assert out.state.status is CardStatus.EXPIRED
    assert out.events == (CardExpired("c1", "m1", end),)
    twice = out.state.handle(ExpireCard("e3"), now=end.add(days=1))
    assert isinstance(twice, Rejected)
    assert twice.reason.code == "card.already_expired"
    assert out.state.handle(ExpireCard("e2"), now=end.add(days=1)).events == out.events


def test_a_refused_command_on_a_lapsed_card_changes_nothing() -> None:
    # The end passed and the host has not sent ExpireCard yet: a refusal leaves the card
    # exactly as stored (its expiry is reported by the next accepted command).
    card = bought()
    later = NOW.add(years=1, days=3)
    for cmd in (ClaimCouponPack("k1"), RecordBenefitUse("u1", Money.of("5")), RefundCard("r1")):
        out = card.handle(cmd, now=later)
        assert isinstance(out, Rejected)
        assert out.state is card
        assert out.events == ()
        assert out.reason.code == "card.not_allowed"
        assert out.reason.params["status"] == "expired"
    assert card.status is CardStatus.ACTIVE
    bought_again = card.handle(PurchaseCard("pay-2"), now=later)
    assert [type(e).__name__ for e in bought_again.events] == ["CardExpired", "CardPurchased"]


def test_prune_forgets_ids_older_than_the_plans_retention() -> None:
    plan = CardPlan("monthly", Money.of("15"), period_months=1, log_retention_days=10)
    card = bought(plan)
    card = card.handle(RenewCard("pay-2"), now=NOW.add(days=20)).state
    out = card.handle(PruneLog("prune-1"), now=NOW.add(days=25))
    assert isinstance(out, Accepted)
    assert out.events == (LogPruned(NOW.add(days=15), 1),)
    assert "pay-1" not in out.state.log and "pay-2" in out.state.log
    # pay-1 is forgotten: decided afresh (the card is active, so it is refused).
    again = out.state.handle(PurchaseCard("pay-1", price=Money.of("1")), now=NOW.add(days=25))
    assert isinstance(again, Rejected)
    assert again.reason.code == "card.already_active"
    with pytest.raises(InvalidPolicyError, match="log_retention_days"):
        CardPlan("x", Money.of("1"), log_retention_days=-1)


def test_the_diagram_is_the_table() -> None:
    diagram = state_diagram(TRANSITIONS)
    assert "    ACTIVE --> EXPIRED: end_passed" in diagram.splitlines()
    assert "    EXPIRED --> ACTIVE: RenewCard" in diagram.splitlines()
    page = (Path(__file__).parents[3] / "docs/mechanics/paid-cards.md").read_text("utf-8")
    assert f"```mermaid\n{diagram}\n```" in page


def test_refunded_card_takes_nothing_more() -> None:
    card = bought().handle(RefundCard("rf"), now=NOW).state
    for cmd in (RenewCard("r"), PurchaseCard("p"), ClaimCouponPack("k"), RefundCard("rf2")):
        out = card.handle(cmd, now=NOW.add(days=1))
        assert isinstance(out, Rejected)
        assert out.reason.code == "card.not_allowed"
    assert not any(status is CardStatus.REFUNDED for status, _ in TRANSITIONS)


# -- stateful test against a model ------------------------------------------------------------


class CardMachine(RuleBasedStateMachine):
    """A card through trial, purchase, renewal, benefit use, packs, refund and expiry.

    The model keeps the stored status and the end; the status at ``now`` is
    derived as the machine's is, so every accept, refusal and `CardExpired`
    is predicted. The host may replay, reload or prune at any step.
    """

    plan = CardPlan("quarterly", Money.of("30"), period_months=3, trial_days=7,
                    refund=CardRefundRule(RefundMode.PRO_RATA), coupon_pack="Q",
                    coupon_pack_value=Money.of("2"))
    term = (3, 0)
    """Calendar months and days one purchase or renewal buys (the model's own copy)."""

    def __init__(self) -> None:
        super().__init__()
        self.card = PaidCard.new("c", "m", self.plan)
        self.now = pendulum.datetime(2026, 1, 1, tz=TZ)
        self.n = 0
        self.stored = "new"
        self.end: pendulum.DateTime | None = None
        self.trial_used = False
        self.paid = 0
        self.refunded = 0
        self.accepted: list[tuple[object, tuple[object, ...]]] = []
        self.run_start: pendulum.DateTime | None = None
        self.run_paid = 0
        self.used = 0
        self.packs: set[int] = set()
        self.months = 0
        self.days = 0

    def status(self) -> str:
        """The model's status at now."""
        assert self.stored == "new" or self.end is not None
        if self.stored in ("active", "trial") and self.end is not None and self.now >= self.end:
            return "expired"
        return self.stored

    def _new_run(self) -> None:
        self.stored = "active"
        self.run_start = self.now
        self.months, self.days = self.term
        self.end = self.now.add(months=self.months).add(days=self.days)
        self.run_paid = 3000
        self.paid += 3000
        self.used = 0
        self.packs = set()

    def _do(self, cmd: object, accept: bool) -> Accepted[PaidCard] | Rejected[PaidCard]:
        lapsed = self.status() != self.stored
        before = self.card
        out = self.card.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert out.ok == accept, (cmd, self.stored, self.status(), out)
        if isinstance(out, Rejected):
            assert out.state is before
            assert out.events == ()
            return out
        # An accepted command on a lapsed card reports the expiry first.
        assert isinstance(out.events[0], CardExpired) == lapsed
        if lapsed:
            self.stored = "expired"
        self.accepted.append((cmd, out.events))
        self.card = out.state
        return out

    def _id(self) -> str:
        self.n += 1
        return f"x{self.n}"

    @rule(days=st.integers(0, 120))
    def wait(self, days: int) -> None:
        self.now = self.now.add(days=days)

    @rule()
    def trial(self) -> None:
        ok = self.status() == "new" and not self.trial_used
        self._do(StartTrial(self._id()), ok)
        if ok:
            self.stored, self.end, self.trial_used = "trial", self.now.add(days=7), True

    @rule()
    def purchase(self) -> None:
        ok = self.status() in ("new", "trial", "expired")
        out = self._do(PurchaseCard(self._id()), ok)
        if ok:
            self._new_run()
        elif self.status() == "active":
            assert out.reason is not None
            assert out.reason.code == "card.already_active"

    @rule()
    def renew(self) -> None:
        status = self.status()
        self._do(RenewCard(self._id()), status in ("active", "expired"))
        if status == "active":
            assert self.run_start is not None
            self.paid += 3000
            self.run_paid += 3000
            self.months += self.term[0]
            self.days += self.term[1]
            # From the run's anchor: months first (no drift), then days.
            self.end = self.run_start.add(months=self.months).add(days=self.days)
        elif status == "expired":
            self._new_run()

    @rule(yuan=st.integers(0, 20))
    def use(self, yuan: int) -> None:
        ok = self.status() == "active"
        self._do(RecordBenefitUse(self._id(), Money.of(str(yuan))), ok)
        if ok:
            self.used += yuan * 100

    @rule()
    def claim(self) -> None:
        k = None
        if self.status() == "active":
            assert self.run_start is not None
            k = 0
            while self.run_start.add(months=k + 1) <= self.now:
                k += 1
        ok = k is not None and k not in self.packs
        out = self._do(ClaimCouponPack(self._id()), ok)
        if ok:
            assert k is not None
            self.packs.add(k)
            self.used += 200
        elif k is not None:
            assert out.reason is not None
            assert out.reason.code == "card.pack_claimed"

    @rule()
    def refund(self) -> None:
        ok = self.status() == "active"
        out = self._do(RefundCard(self._id()), ok)
        if ok:
            assert self.end is not None
            assert self.run_start is not None
            total = int((self.end - self.run_start).total_seconds())
            left = int((self.end - self.now).total_seconds())
            expected = max(self.run_paid * left // total - self.used, 0)
            amount = out.events[-1].amount
            assert amount == Money(expected)
            assert Money(0) <= amount <= Money(self.run_paid)
            self.refunded += amount.minor
            self.stored = "refunded"
            self.end = self.now

    @rule()
    def expire(self) -> None:
        status, stored = self.status(), self.stored
        ok = status == "expired" and stored != "expired"
        out = self._do(ExpireCard(self._id()), ok)
        if not ok:
            assert out.reason is not None
            code = {"active": "card.not_ended", "trial": "card.not_ended",
                    "expired": "card.already_expired"}.get(status, "card.not_allowed")
            assert out.reason.code == code
        else:
            assert [type(e) for e in out.events] == [CardExpired]

    @precondition(lambda self: self.accepted)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.accepted))
        before = self.card
        out = self.card.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert isinstance(out, Accepted)
        assert out.state is before
        assert out.events == events

    @rule()
    def save_and_reload(self) -> None:
        again = reload(self.card)
        assert again == self.card
        self.card = again

    @rule(days=st.integers(0, 200))
    def prune(self, days: int) -> None:
        cmd = PruneLog(self._id(), retention_days=days)
        out = self.card.handle(cmd, now=self.now)
        before = self.now.subtract(days=days)
        gone = [e for e in self.card.log if e.at < before]
        assert out.events == (LogPruned(before, len(gone)),)
        forgotten = {e.command.id for e in gone}  # type: ignore[attr-defined]
        self.accepted = [(c, ev) for c, ev in self.accepted
                         if c.id not in forgotten]  # type: ignore[attr-defined]
        self.card = out.state

    @invariant()
    def matches_model(self) -> None:
        status = self.status()
        assert self.card.status_at(self.now).value == status
        assert self.card.status.value == self.stored
        assert self.card.is_active(self.now) == (status in ("active", "trial"))
        if self.stored != "new":
            assert self.card.ends_at == self.end
        assert self.card.total_paid.minor == self.paid
        assert self.refunded <= self.paid


CardMachine.TestCase.settings = settings(stateful_step_count=25)
TestCardMachine = CardMachine.TestCase


class DayCardMachine(CardMachine):
    """The same card machine for a plan of days (90天卡): each payment adds 90 days."""

    plan = CardPlan("90-days", Money.of("30"), duration_days=90, trial_days=7,
                    refund=CardRefundRule(RefundMode.PRO_RATA), coupon_pack="Q",
                    coupon_pack_value=Money.of("2"))
    term = (0, 90)


DayCardMachine.TestCase.settings = settings(stateful_step_count=25)
TestDayCardMachine = DayCardMachine.TestCase
