"""Paid membership cards: purchase, renewal, trial, coupon packs, refunds, expiry."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sirui.core.errors import IdConflictError
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
from sirui.rules import Accepted, Rejected

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
    card = bought()
    again = card.handle(PurchaseCard("pay-1"), now=NOW.add(days=1))
    assert again.state == card
    assert again.events == ()
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


def test_expire_only_after_the_end() -> None:
    card = bought()
    early = card.handle(ExpireCard("e1"), now=NOW.add(days=1))
    assert isinstance(early, Rejected)
    assert early.reason.code == "card.not_ended"
    out = card.handle(ExpireCard("e2"), now=NOW.add(years=1))
    assert isinstance(out, Accepted)
    assert out.state.status is CardStatus.EXPIRED
    assert [type(e) for e in out.events] == [CardExpired]


def test_refunded_card_takes_nothing_more() -> None:
    card = bought().handle(RefundCard("rf"), now=NOW).state
    for cmd in (RenewCard("r"), PurchaseCard("p"), ClaimCouponPack("k"), RefundCard("rf2")):
        out = card.handle(cmd, now=NOW.add(days=1))
        assert isinstance(out, Rejected)
        assert out.reason.code == "card.not_allowed"
    assert not any(status is CardStatus.REFUNDED for status, _ in TRANSITIONS)


# -- stateful test against a model ------------------------------------------------------------


class CardMachine(RuleBasedStateMachine):
    """A card through purchase, renewal, benefit use, refund and expiry, against a model."""

    plan = CardPlan("quarterly", Money.of("30"), period_months=3,
                    refund=CardRefundRule(RefundMode.PRO_RATA), coupon_pack="Q",
                    coupon_pack_value=Money.of("2"))

    def __init__(self) -> None:
        super().__init__()
        self.card = PaidCard.new("c", "m", self.plan)
        self.now = pendulum.datetime(2026, 1, 1, tz=TZ)
        self.n = 0
        self.model_status = "new"
        self.model_end: pendulum.DateTime | None = None
        self.paid = 0
        self.refunded = 0
        self.commands: list[object] = []
        self.run_start: pendulum.DateTime | None = None
        self.run_paid = 0
        self.used = 0
        self.packs: set[int] = set()
        self.months = 0

    def _new_run(self) -> None:
        self.model_status = "active"
        self.run_start = self.now
        self.model_end = self.now.add(months=3)
        self.run_paid = 3000
        self.paid += 3000
        self.used = 0
        self.packs = set()
        self.months = 3

    def _do(self, cmd: object) -> Accepted[PaidCard] | Rejected[PaidCard]:
        out = self.card.handle(cmd, now=self.now)  # type: ignore[arg-type]
        if out.ok:
            # A rejection leaves no trace, so only accepted commands replay as no-ops.
            self.commands.append(cmd)
        self.card = out.state
        return out

    def _settle(self) -> None:
        if self.model_status == "active" and self.model_end is not None and (
            self.now >= self.model_end
        ):
            self.model_status = "expired"

    def _id(self) -> str:
        self.n += 1
        return f"x{self.n}"

    @rule(days=st.integers(0, 120))
    def wait(self, days: int) -> None:
        self.now = self.now.add(days=days)

    @rule()
    def purchase(self) -> None:
        self._settle()
        out = self._do(PurchaseCard(self._id()))
        assert out.ok == (self.model_status in ("new", "expired"))
        if isinstance(out, Accepted) and out.reason is None:
            self._new_run()

    @rule()
    def renew(self) -> None:
        self._settle()
        out = self._do(RenewCard(self._id()))
        if self.model_status == "active":
            assert self.model_end is not None
            assert out.ok
            self.paid += 3000
            self.run_paid += 3000
            assert self.run_start is not None
            self.months += 3
            self.model_end = self.run_start.add(months=self.months)  # from the run's anchor
        elif self.model_status == "expired":
            assert out.ok
            self._new_run()
        else:
            assert out.reason is not None

    @rule(yuan=st.integers(0, 20))
    def use(self, yuan: int) -> None:
        self._settle()
        out = self._do(RecordBenefitUse(self._id(), Money.of(str(yuan))))
        assert (out.ok and out.reason is None) == (self.model_status == "active")
        if self.model_status == "active":
            self.used += yuan * 100

    @rule()
    def claim(self) -> None:
        self._settle()
        out = self._do(ClaimCouponPack(self._id()))
        if self.model_status != "active":
            assert out.reason is not None
            return
        assert self.run_start is not None
        k = 0
        while self.run_start.add(months=k + 1) <= self.now:
            k += 1
        assert (out.ok and out.reason is None) == (k not in self.packs)
        if k not in self.packs:
            self.packs.add(k)
            self.used += 200

    @rule()
    def refund(self) -> None:
        self._settle()
        out = self._do(RefundCard(self._id()))
        if self.model_status == "active":
            assert out.ok
            assert self.model_end is not None
            assert self.run_start is not None
            total = int((self.model_end - self.run_start).total_seconds())
            left = int((self.model_end - self.now).total_seconds())
            expected = max(self.run_paid * left // total - self.used, 0)
            amount = out.events[-1].amount
            assert amount == Money(expected)
            assert Money(0) <= amount <= Money(self.run_paid)
            self.refunded += amount.minor
            self.model_status = "refunded"
        else:
            assert out.reason is not None

    @rule()
    def replay_last(self) -> None:
        if not self.commands:
            return
        before = self.card
        out = self.card.handle(self.commands[-1], now=self.now)  # type: ignore[arg-type]
        assert out.state == before
        assert out.events == ()

    @invariant()
    def matches_model(self) -> None:
        self._settle()
        active = self.model_status == "active"
        assert self.card.is_active(self.now) == active
        if active:
            assert self.card.ends_at == self.model_end
        assert self.card.total_paid.minor == self.paid
        assert self.refunded <= self.paid
        assert self.card.packs_claimed <= set(range(0, 200))


CardMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestCardMachine = CardMachine.TestCase
