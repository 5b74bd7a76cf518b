"""The loyalty strategies of `sirui.testing.loyalty`: valid, round-tripping, and useful.

Each test draws values, checks that registered policies load back from their
config form, and exercises one invariant of the mechanic with them.
"""

from __future__ import annotations

from decimal import Decimal

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

import sirui.config
from examples_budget import scaled
from sirui.core.money import Money
from sirui.loyalty.members import (
    CardRefunded,
    ClaimCouponPack,
    CombineRule,
    CouponPackGranted,
    MemberFacts,
    PaidCard,
    PurchaseCard,
    RecordBenefitUse,
    RefundCard,
    RenewCard,
    StartTrial,
    benefits_for,
    rfm_segments,
)
from sirui.loyalty.points import Pay as PayStoredValue
from sirui.loyalty.points import (
    PaymentRefunded,
    PointsDeductionStep,
    RefundPayment,
    RefundTopUp,
    SignIn,
    SigninCalendar,
    StoredValueAccount,
    StoredValuePaid,
    ToppedUp,
    TopUp,
    TopUpRefunded,
    paid_lines,
    quote_earning,
)
from sirui.rules.outcome import Accepted
from sirui.rules.pricing import PriceState, Stage
from sirui.testing import TIERS, aware_datetimes, carts, money, skus
from sirui.testing.loyalty import (
    benefit_policies,
    card_plans,
    deduction_policies,
    earn_rules,
    expiry_policies,
    growth_rules,
    ledger_policies,
    rfm_policies,
    signin_policies,
    stored_value_policies,
    tier_ladders,
)

FEW = settings(max_examples=scaled(30))
_NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")


def round_trips(policy: object) -> None:
    assert sirui.config.load(sirui.config.dump(policy)) == policy


@FEW
@given(tier_ladders(), st.lists(st.integers(0, 2_500_000), min_size=2, max_size=6))
def test_tier_ladders_qualify_monotonically(ladder, metrics):
    round_trips(ladder)
    assert ladder.qualified(0) == ladder.base
    for tier in ladder.tiers:
        assert ladder.qualified(tier.threshold) == tier
    ranks = [ladder.index(ladder.qualified(m).code) for m in sorted(metrics)]
    assert ranks == sorted(ranks)


@FEW
@given(growth_rules(), money(0, 500_000), money(0, 500_000))
def test_growth_rules_never_pay_less_for_more(rules, a, b):
    round_trips(rules)
    lo, hi = sorted((a, b))
    assert 0 <= rules.for_order(lo) <= rules.for_order(hi)
    assert rules.for_order(hi, first_order=True) == rules.for_order(hi) + rules.first_order_bonus


@FEW
@given(benefit_policies(), card_plans(), st.sampled_from(TIERS), skus(), aware_datetimes())
def test_benefits_give_rates_in_range_and_multipliers_at_least_one(policy, plan, tier, sku, now):
    round_trips(policy)
    bought = PaidCard.new("c1", "m1", plan).handle(PurchaseCard("buy-1"), now=now)
    assert isinstance(bought, Accepted)
    got = benefits_for(policy, MemberFacts("m1", tier=tier), now, [bought.state])
    assert got.points_multiplier >= 1
    assert all(Decimal(0) < d.rate <= 1 for d in got.discounts)
    rate = got.rate_for(sku)
    covering = [d.rate for d in got.discounts if d.scope.matches(sku)]
    assert (rate is None) == (not covering)
    if rate is not None:
        assert Decimal(0) < rate <= 1
        if policy.combine is CombineRule.BEST_OF:
            assert rate == min(covering)


@FEW
@given(card_plans(), aware_datetimes(), st.integers(0, 800))
def test_card_refund_never_exceeds_what_was_paid(plan, now, days_later):
    round_trips(plan)
    out = PaidCard.new("c1", "m1", plan).handle(PurchaseCard("buy-1"), now=now)
    assert isinstance(out, Accepted)
    due = out.state.refund_due(now.add(days=days_later))
    assert due is None or Money.zero() <= due <= plan.price


@FEW
@given(
    rfm_policies(),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 30), st.integers(0, 1_000_000)),
             max_size=30),
)
def test_rfm_segments_are_the_same_with_and_without_numpy(policy, rows):
    round_trips(policy)
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], []]
    plain = rfm_segments(policy, *cols, use_numpy=False)
    assert plain == rfm_segments(policy, *cols, use_numpy=True)
    assert len(plain) == len(rows)


@FEW
@given(earn_rules(), carts(), aware_datetimes(), st.integers(0, 5_000))
def test_earned_points_split_exactly_and_respect_caps(rule, cart, now, earned_today):
    round_trips(rule)
    quote = quote_earning(rule, paid_lines(PriceState.start(cart, now)), now=now,
                          earned_today=earned_today)
    assert sum(n for _, n in quote.by_line) == quote.points >= 0
    if rule.per_order_cap is not None:
        assert quote.points <= rule.per_order_cap
    if rule.daily_cap is not None:
        assert quote.points <= max(0, rule.daily_cap - earned_today)


@FEW
@given(ledger_policies(), expiry_policies(), aware_datetimes(), st.integers(0, 60 * 24 * 800))
def test_points_earned_later_never_expire_earlier(ledger, expiry, earned, minutes_later):
    round_trips(ledger)
    round_trips(expiry)
    later = earned.add(minutes=minutes_later)
    for pol in (expiry, ledger.expiry):
        first, second = pol.expires_at(earned), pol.expires_at(later)
        assert (first is None) == (second is None)
        if first is not None and second is not None:
            assert earned < first <= second


@FEW
@given(deduction_policies(), carts(), aware_datetimes(), st.integers(0, 100_000))
def test_deduction_stays_within_balance_and_share(policy, cart, now, balance):
    round_trips(policy)
    state = PriceState.start(cart, now)
    after = PointsDeductionStep(policy, balance).price(state)
    used = after.points_used
    assert used % policy.unit == 0 and 0 <= used <= balance
    if policy.max_points is not None:
        assert used <= policy.max_points
    taken = state.subtotal().minor - after.subtotal().minor
    assert taken == policy.value_of(used).minor
    payable = state.subtotal(state.eligible(Stage.POINTS, policy.scope)).minor
    assert taken <= payable * policy.max_share


@FEW
@given(signin_policies(), aware_datetimes(), st.integers(1, 40))
def test_daily_sign_ins_build_a_streak_paid_by_the_ladder(policy, start, days):
    round_trips(policy)
    cal = SigninCalendar.open("m1", policy)
    for k in range(days):
        out = cal.handle(SignIn(f"s{k}"), now=start.add(days=k))
        assert isinstance(out, Accepted)
        cal = out.state
        signed = out.events[0]
        assert signed.points == policy.reward_for(k + 1)[1]
        assert signed.points in policy.ladder
    assert cal.streak(start.add(days=days - 1)) == days


@FEW
@given(stored_value_policies(), money(1, 200_000), st.integers(1, 100))
def test_top_up_bonus_is_below_the_top_up_and_payments_balance(policy, amount, pay_share):
    round_trips(policy)
    bonus = policy.bonus_for(amount)
    assert Money.zero() <= bonus <= amount
    out = StoredValueAccount.open("m1", policy).handle(TopUp("t1", amount), now=_NOW)
    if not isinstance(out, Accepted):
        assert policy.min_top_up is not None and amount < policy.min_top_up
        return
    acct = out.state
    assert acct.balance == amount + bonus
    pay = Money(max(1, acct.balance.minor * pay_share // 100))
    paid = acct.handle(PayStoredValue("p1", pay), now=_NOW)
    assert isinstance(paid, Accepted)
    assert paid.state.balance == acct.balance - pay
    assert paid.state.principal.minor >= 0 and paid.state.bonus.minor >= 0


_sv_ops = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(1, 100_000)),
        st.tuples(st.just("pay"), st.integers(1, 100)),
        st.tuples(st.just("refund_payment"), st.integers(0, 10)),
        st.tuples(st.just("refund_top_up"), st.integers(0, 10)),
    ),
    max_size=12,
)


@FEW
@given(stored_value_policies(), _sv_ops)
def test_stored_value_pots_stay_non_negative_and_balance(policy, ops):
    acct = StoredValueAccount.open("m1", policy)
    top_ups: list[str] = []
    payments: list[str] = []
    expected = 0
    for k, (op, n) in enumerate(ops):
        cid = f"c{k}"
        if op == "top_up":
            cmd: object = TopUp(cid, Money(n))
        elif op == "pay":
            if acct.balance.minor == 0:
                continue
            amount = max(1, acct.balance.minor * n // 100)
            half = amount // 2
            cmd = PayStoredValue(cid, Money(amount),
                                 (("L1", Money(half)), ("L2", Money(amount - half))))
        elif op == "refund_payment":
            if not payments:
                continue
            cmd = RefundPayment(cid, payments[n % len(payments)])
        else:
            if not top_ups:
                continue
            cmd = RefundTopUp(cid, top_ups[n % len(top_ups)])
        out = acct.handle(cmd, now=_NOW)  # type: ignore[arg-type]
        if not isinstance(out, Accepted):
            continue
        acct = out.state
        for ev in out.events:
            if isinstance(ev, ToppedUp):
                top_ups.append(cid)
                expected += ev.principal.minor + ev.bonus.minor
            elif isinstance(ev, StoredValuePaid):
                payments.append(cid)
                split = ev.split
                assert split.principal + split.bonus == split.amount
                assert sum(lp.principal.minor + lp.bonus.minor for lp in split.by_line) \
                    == split.amount.minor
                expected -= split.amount.minor
            elif isinstance(ev, PaymentRefunded):
                expected += ev.principal.minor + ev.bonus.minor
            elif isinstance(ev, TopUpRefunded):
                assert ev.cash_back.minor >= 0
                expected -= ev.principal_removed.minor + ev.bonus_forfeited.minor
        assert acct.principal.minor >= 0 and acct.bonus.minor >= 0
        assert acct.balance.minor == expected


_card_ops = st.lists(
    st.tuples(
        st.sampled_from(["purchase", "renew", "trial", "use", "claim", "refund"]),
        st.integers(0, 60 * 24 * 45),  # minutes until the command
        st.integers(0, 5_000),  # benefit value in fen
    ),
    max_size=12,
)


@FEW
@given(card_plans(), aware_datetimes(), _card_ops)
def test_card_refunds_stay_within_the_run_and_packs_come_once_a_period(plan, start, ops):
    card = PaidCard.new("c1", "m1", plan)
    now = start
    packs: set[tuple[object, int]] = set()
    for k, (op, minutes, value) in enumerate(ops):
        now = now.add(minutes=minutes)
        cmd = {
            "purchase": PurchaseCard(f"c{k}"), "renew": RenewCard(f"c{k}"),
            "trial": StartTrial(f"c{k}"), "use": RecordBenefitUse(f"c{k}", Money(value)),
            "claim": ClaimCouponPack(f"c{k}"), "refund": RefundCard(f"c{k}"),
        }[op]
        before = card
        out = card.handle(cmd, now=now)  # type: ignore[arg-type]
        card = out.state
        for ev in out.events if isinstance(out, Accepted) else ():
            if isinstance(ev, CardRefunded):
                assert 0 <= ev.amount.minor <= before.run_paid.minor
            if isinstance(ev, CouponPackGranted):
                assert ev.window.contains(now)
                key = (before.anchor, ev.period)
                assert key not in packs
                packs.add(key)
        assert card.total_paid.minor >= card.run_paid.minor >= 0
