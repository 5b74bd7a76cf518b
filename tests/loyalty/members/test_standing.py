"""Member standing: growth earned, refunded, tiers upgraded, reviewed, pinned, in grace."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract import reload
from sirui.core.errors import IdConflictError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.windows import PeriodKind
from sirui.loyalty.members import (
    GRACE_ENDED,
    PIN_ENDED,
    STANDING_TRANSITIONS,
    BelowRetention,
    GrantGrowth,
    GrowthEarned,
    GrowthReversed,
    GrowthRules,
    GrowthSource,
    MemberStanding,
    PinTier,
    RecordActivity,
    RecordOrder,
    RefundOrder,
    ReviewTier,
    SettleTier,
    StandingStatus,
    Tier,
    TierChanged,
    TierGraceEnded,
    TierGraceStarted,
    TierLadder,
    TierMetric,
    TierReviewed,
    TierUnpinned,
    UnpinTier,
    UpgradeMode,
    evaluate,
    metric_at,
)
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected
from sirui.rules.diagrams import state_diagram

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
TIERS = (
    Tier("normal", "普通"),
    Tier("silver", "白银", 500),
    Tier("gold", "黄金", 2000),
    Tier("diamond", "钻石", 8000),
)
LADDER = TierLadder(TIERS, growth=GrowthRules(sign_in=5, review=10, task=20))


def run(s: MemberStanding, ladder: TierLadder, *commands: object, now: pendulum.DateTime = NOW):
    events: list[object] = []
    for c in commands:
        out = s.handle(c, ladder, now=now)  # type: ignore[arg-type]
        assert out.ok, out.reason
        s = out.state
        events.extend(out.events)
    return s, events


def tier_changes(events: list[object]) -> list[tuple[str, str, str]]:
    return [(e.from_tier, e.to_tier, e.reason.code) for e in events if isinstance(e, TierChanged)]


# -- operator rules, with exact figures ----------------------------------------------------


def test_a_2500_yuan_order_upgrades_a_regular_member_straight_to_gold() -> None:
    s, events = run(MemberStanding.new("m1", LADDER), LADDER, RecordOrder("o1", Money.of("2500")))
    assert s.tier == "gold"
    assert tier_changes(events) == [("normal", "gold", "tier.upgraded")]
    changed = next(e for e in events if isinstance(e, TierChanged))
    assert changed.reason.zh == "成长达标，升级为黄金"


def test_refunding_1000_of_a_2500_order_drops_gold_to_silver() -> None:
    s, _ = run(MemberStanding.new("m1", LADDER), LADDER, RecordOrder("o1", Money.of("2500")))
    s, events = run(s, LADDER, RefundOrder("r1", "o1", Money.of("1000")))
    assert s.total_growth == 1500
    assert s.tier == "silver"
    assert tier_changes(events) == [("gold", "silver", "tier.refund_downgraded")]


def test_refund_does_not_downgrade_when_the_operator_says_so() -> None:
    ladder = TierLadder(TIERS, refund_downgrades=False)
    s, _ = run(MemberStanding.new("m1", ladder), ladder, RecordOrder("o1", Money.of("2500")))
    s, events = run(s, ladder, RefundOrder("r1", "o1"))
    assert s.total_growth == 0
    assert s.tier == "gold"
    assert tier_changes(events) == []


def test_sign_in_review_task_and_grant_earn_growth() -> None:
    s, _ = run(
        MemberStanding.new("m1", LADDER), LADDER,
        RecordActivity("a1", GrowthSource.SIGN_IN), RecordActivity("a2", GrowthSource.REVIEW),
        RecordActivity("a3", GrowthSource.TASK), GrantGrowth("g1", 465),
    )
    assert s.total_growth == 500
    assert s.tier == "silver"


def test_replaying_an_order_earns_nothing_twice() -> None:
    s, first = run(MemberStanding.new("m1", LADDER), LADDER, RecordOrder("o1", Money.of("300")))
    out = s.handle(RecordOrder("o1", Money.of("300")), LADDER, now=NOW.add(days=1))
    assert isinstance(out, Accepted)
    assert out.state is s
    assert list(out.events) == first  # the original GrowthEarned, for a lost reply
    stored = reload(s)
    assert stored == s
    again = stored.handle(RecordOrder("o1", Money.of("300")), LADDER, now=NOW.add(days=2))
    assert again.state is stored
    assert list(again.events) == first


def test_same_order_id_with_another_amount_is_a_conflict() -> None:
    s, _ = run(MemberStanding.new("m1", LADDER), LADDER, RecordOrder("o1", Money.of("300")))
    with pytest.raises(IdConflictError, match="o1"):
        s.handle(RecordOrder("o1", Money.of("301")), LADDER, now=NOW)


def test_replayed_refund_takes_back_once_and_conflicting_refund_raises() -> None:
    s, _ = run(MemberStanding.new("m1", LADDER), LADDER, RecordOrder("o1", Money.of("300")))
    s, _ = run(s, LADDER, RefundOrder("r1", "o1", Money.of("100")))
    again = s.handle(RefundOrder("r1", "o1", Money.of("100")), LADDER, now=NOW)
    assert again.state is s
    assert [type(e) for e in again.events] == [GrowthReversed]
    assert s.total_growth == 200
    with pytest.raises(IdConflictError):
        s.handle(RefundOrder("r1", "o1", Money.of("50")), LADDER, now=NOW)


def test_refund_of_unknown_order_or_too_much_is_rejected() -> None:
    s, _ = run(MemberStanding.new("m1", LADDER), LADDER, RecordOrder("o1", Money.of("300")))
    out = s.handle(RefundOrder("r1", "nope"), LADDER, now=NOW)
    assert isinstance(out, Rejected)
    assert out.reason.code == "growth.unknown_order"
    out = s.handle(RefundOrder("r2", "o1", Money.of("300.01")), LADDER, now=NOW)
    assert isinstance(out, Rejected)
    assert out.reason.code == "growth.refund_exceeds"


def test_rolling_window_counts_only_the_last_365_days() -> None:
    ladder = TierLadder(TIERS, window_days=365, review=PeriodKind.YEAR)
    s, _ = run(
        MemberStanding.new("m1", ladder), ladder,
        RecordOrder("o1", Money.of("1500"), at=NOW.subtract(days=400)),
        RecordOrder("o2", Money.of("800"), at=NOW.subtract(days=10)),
    )
    assert metric_at(s, ladder, NOW) == 800
    assert metric_at(s, ladder, NOW.subtract(days=40)) == 1500  # o2 not yet made
    status = evaluate(s, ladder, NOW)
    assert status.qualified.code == "silver"
    assert status.to_next == 1200


YEARLY = TierLadder(TIERS, window_days=365, review=PeriodKind.YEAR)


def _gold_then_quiet(ladder: TierLadder) -> MemberStanding:
    start = pendulum.datetime(2025, 3, 1, tz=TZ)
    s, _ = run(MemberStanding.new("m1", ladder), ladder, RecordOrder("o1", Money.of("2500")),
               now=start)
    assert s.tier == "gold"
    s, _ = run(s, ladder, RecordOrder("o2", Money.of("600")),
               now=pendulum.datetime(2026, 2, 1, tz=TZ))
    return s


END_2026 = pendulum.datetime(2027, 1, 1, tz=TZ)
"""The end of 2026 in the store's zone (31 December at midnight)."""


def test_yearly_review_drops_a_quiet_gold_member_to_the_tier_their_year_qualifies() -> None:
    s = _gold_then_quiet(YEARLY)
    # Review of 2025, run on 2026-03-02: the 2,500 yuan of 2025 keep gold.
    kept, events = run(s, YEARLY, ReviewTier("rv2025"), now=pendulum.datetime(2026, 3, 2, tz=TZ))
    assert kept.tier == "gold"
    assert events == [TierReviewed("m1", pendulum.datetime(2026, 1, 1, tz=TZ), 2500, "gold")]
    # Review of 2026, run on 2027-01-03: the year as of 31 December holds only ¥600.
    s, events = run(kept, YEARLY, ReviewTier("rv2026"), now=END_2026.add(days=2))
    assert s.tier == "silver"
    assert tier_changes(events) == [("gold", "silver", "tier.review_downgraded")]
    assert events[0].reason.zh == "保级未达标（600/2000），降为白银"


def test_review_drop_one_level_and_keep() -> None:
    drop_one = TierLadder(TIERS, window_days=365, review=PeriodKind.YEAR,
                          below_retention=BelowRetention.DROP_ONE)
    s = _gold_then_quiet(drop_one)
    s2, _ = run(s, drop_one, ReviewTier("rv"), now=END_2026.add(days=5))
    assert s2.tier == "silver"  # one level down from gold
    keep = TierLadder(TIERS, window_days=365, review=PeriodKind.YEAR,
                      below_retention=BelowRetention.KEEP)
    s3, events = run(_gold_then_quiet(keep), keep, ReviewTier("rv"), now=END_2026.add(days=5))
    assert s3.tier == "gold"
    assert events == [TierReviewed("m1", END_2026, 600, "gold")]


def test_retention_threshold_keeps_gold_at_1500() -> None:
    tiers = (Tier("normal"), Tier("silver", threshold=500),
             Tier("gold", threshold=2000, retention=1500))
    ladder = TierLadder(tiers, window_days=365, review=PeriodKind.YEAR)
    s, _ = run(MemberStanding.new("m1", ladder), ladder, RecordOrder("o1", Money.of("2000")),
               now=pendulum.datetime(2025, 1, 10, tz=TZ))
    s, _ = run(s, ladder, RecordOrder("o2", Money.of("1500")),
               now=pendulum.datetime(2025, 6, 1, tz=TZ))
    s, events = run(s, ladder, ReviewTier("rv"), now=pendulum.datetime(2026, 1, 2, tz=TZ))
    assert s.tier == "gold"
    assert [type(e) for e in events] == [TierReviewed]  # reviewed, kept
    assert events[0].metric == 3500  # above the retention of 1,500


def test_review_runs_once_per_period() -> None:
    s = _gold_then_quiet(YEARLY)
    s, first = run(s, YEARLY, ReviewTier("rv1"), now=pendulum.datetime(2026, 3, 2, tz=TZ))
    out = s.handle(ReviewTier("rv2"), YEARLY, now=pendulum.datetime(2026, 8, 2, tz=TZ))
    assert isinstance(out, Rejected)
    assert out.reason.code == "tier.already_reviewed"
    out = s.handle(ReviewTier("rv1"), YEARLY, now=pendulum.datetime(2026, 8, 2, tz=TZ))
    assert out.ok  # a replay of the same review id
    assert list(out.events) == first


def test_ladder_without_review_rejects_review() -> None:
    out = MemberStanding.new("m1", LADDER).handle(ReviewTier("rv"), LADDER, now=NOW)
    assert isinstance(out, Rejected)
    assert out.reason.code == "tier.no_review"


def test_grace_of_30_days_then_downgrade_unless_recovered() -> None:
    ladder = TierLadder(TIERS, window_days=365, review=PeriodKind.YEAR, grace_days=30)
    s = _gold_then_quiet(ladder)
    # Run two days late: the grace period still counts from the end of 2026.
    s, events = run(s, ladder, ReviewTier("rv"), now=END_2026.add(days=2))
    review_at = END_2026
    assert s.tier == "gold"
    assert [type(e) for e in events] == [TierGraceStarted, TierReviewed]
    assert s.grace_until == review_at.add(days=30)
    assert events[0].reason.zh == "保级未达标，2027年1月31日前达标可保留黄金"
    assert s.status is StandingStatus.IN_GRACE
    # Nothing bought in the grace period: the host's delay queue settles the drop ...
    assert code(s.handle(SettleTier("t0"), ladder, now=review_at.add(days=29))) == (
        "tier.nothing_due")
    late, events = run(s, ladder, SettleTier("t1"), now=review_at.add(days=30))
    assert late.tier == "silver"
    assert tier_changes(events) == [("gold", "silver", "tier.grace_expired")]
    assert events[-1] == TierGraceEnded("m1", "silver", kept=False)
    # ... or the next accepted command reports it first.
    later, events = run(s, ladder, RecordActivity("a1", GrowthSource.SIGN_IN),
                        now=review_at.add(days=31))
    assert later.tier == "silver"
    assert [type(e) for e in events] == [TierChanged, TierGraceEnded, GrowthEarned]
    # Bought enough within the grace period: keeps gold.
    ok, _ = run(s, ladder, RecordOrder("o3", Money.of("1500")), now=review_at.add(days=10))
    ok, events = run(ok, ladder, RecordActivity("a1", GrowthSource.SIGN_IN),
                     now=review_at.add(days=31))
    assert ok.tier == "gold"
    assert ok.grace_until is None
    assert tier_changes(events) == []
    assert events[0] == TierGraceEnded("m1", "gold", kept=True)


def test_upgrade_at_review_waits_for_the_review() -> None:
    ladder = TierLadder(TIERS, upgrade=UpgradeMode.AT_REVIEW, review=PeriodKind.MONTH)
    s, events = run(MemberStanding.new("m1", ladder), ladder, RecordOrder("o1", Money.of("2500")))
    assert s.tier == "normal"
    assert tier_changes(events) == []
    s, events = run(s, ladder, ReviewTier("rv"), now=NOW.add(months=1))
    assert s.tier == "gold"
    assert tier_changes(events) == [("normal", "gold", "tier.review_upgraded")]


def test_pinned_tier_holds_until_the_pin_ends() -> None:
    s, events = run(MemberStanding.new("m1", LADDER), LADDER,
                    PinTier("p1", "diamond", until=NOW.add(days=30)))
    assert s.tier == "diamond"
    assert tier_changes(events) == [("normal", "diamond", "tier.pinned")]
    s, events = run(s, LADDER, RecordOrder("o1", Money.of("600")), now=NOW.add(days=1))
    assert s.tier == "diamond"
    s, events = run(s, LADDER, RecordActivity("a1", GrowthSource.SIGN_IN), now=NOW.add(days=31))
    assert s.tier == "silver"
    assert tier_changes(events) == [("diamond", "silver", "tier.unpinned")]
    assert TierUnpinned("m1", "silver") in events


def test_unpin_returns_to_the_qualified_tier() -> None:
    s, _ = run(MemberStanding.new("m1", LADDER), LADDER, PinTier("p1", "gold"),
               RecordOrder("o1", Money.of("100")))
    s, events = run(s, LADDER, UnpinTier("u1"))
    assert s.tier == "normal"
    assert s.pinned is None
    assert events[-1] == TierUnpinned("m1", "normal")
    assert code(s.handle(UnpinTier("u2"), LADDER, now=NOW)) == "tier.not_pinned"
    with pytest.raises(InvalidPolicyError):
        s.handle(PinTier("p2", "gold", until=NOW.subtract(days=1)), LADDER, now=NOW)


# -- properties ----------------------------------------------------------------------------

ladders = st.lists(st.integers(1, 5000), min_size=1, max_size=4, unique=True).map(
    lambda ts: TierLadder(
        (Tier("t0"), *(Tier(f"t{i + 1}", threshold=t) for i, t in enumerate(sorted(ts)))),
        metric=TierMetric.GROWTH,
    )
)

commands = st.lists(
    st.one_of(
        # Few keys, so refunds and replays usually hit an order that exists.
        st.tuples(st.just("order"), st.integers(0, 3), st.integers(1, 300_000), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 3), st.integers(0, 100_000), st.booleans()),
        st.tuples(st.just("grant"), st.integers(0, 3), st.integers(1, 3000), st.booleans()),
        st.tuples(st.just("sign_in"), st.integers(0, 3), st.integers(0, 0), st.booleans()),
    ),
    max_size=25,
)


def _apply(s: MemberStanding, ladder: TierLadder, ops: list[tuple[str, int, int, bool]]):
    n = 0
    for kind, key, amount, flag in ops:
        n += 1
        if kind == "order":
            c: object = RecordOrder(f"o{key}", Money(amount), first_order=flag)
        elif kind == "refund":
            c = RefundOrder(f"r{n}", f"o{key}", None if flag else Money(amount))
        elif kind == "grant":
            c = GrantGrowth(f"g{key}", amount)
        else:
            c = RecordActivity(f"s{key}", GrowthSource.SIGN_IN)
        try:
            out = s.handle(c, ladder, now=NOW)  # type: ignore[arg-type]
        except IdConflictError:
            continue
        s = out.state
    return s


@given(ladders, st.integers(0, 100), commands)
def test_tier_after_any_sequence_equals_tier_from_scratch(
    ladder: TierLadder, bonus: int, ops: list[tuple[str, int, int, bool]]
) -> None:
    ladder = TierLadder(ladder.tiers, growth=GrowthRules(first_order_bonus=bonus, sign_in=7))
    s = _apply(MemberStanding.new("m", ladder), ladder, ops)
    assert s.tier == ladder.qualified(metric_at(s, ladder, NOW)).code
    assert s.total_growth == metric_at(s, ladder, NOW) >= 0


@given(ladders, st.lists(st.integers(1, 500_000), max_size=8), st.integers(0, 5),
       st.randoms(use_true_random=False))
def test_refunding_all_orders_returns_growth_to_where_it_was(
    ladder: TierLadder, paid: list[int], sign_ins: int, rnd: object
) -> None:
    s = MemberStanding.new("m", ladder)
    s, _ = run(s, ladder, *(RecordActivity(f"s{i}", GrowthSource.SIGN_IN) for i in range(sign_ins)))
    before, tier_before = s.total_growth, s.tier
    s, _ = run(s, ladder, *(RecordOrder(f"o{i}", Money(p)) for i, p in enumerate(paid)))
    refunds = [RefundOrder(f"ra{i}", f"o{i}", Money(p // 3)) for i, p in enumerate(paid)]
    refunds += [RefundOrder(f"rb{i}", f"o{i}") for i in range(len(paid))]
    rnd.shuffle(refunds)  # type: ignore[attr-defined]
    for r in refunds:
        out = s.handle(r, ladder, now=NOW)
        s = out.state
    # Partial refunds that came after the full one were rejected; the rest summed up.
    assert s.total_growth == before
    assert s.tier == tier_before == ladder.qualified(before).code


@given(ladders, commands)
def test_every_command_replays_to_the_same_state(
    ladder: TierLadder, ops: list[tuple[str, int, int, bool]]
) -> None:
    s = _apply(MemberStanding.new("m", ladder), ladder, ops)
    assert len(s.log) == len({e.command.id for e in s.log})
    stored = reload(s)
    for entry in s.log:
        for state in (s, stored):
            out = state.handle(entry.command, ladder, now=NOW.add(days=3))
            assert out.state is state
            assert out.events == entry.events


# -- stateful test against a simple model ---------------------------------------------------


class StandingMachine(RuleBasedStateMachine):
    """Orders, partial refunds, sign-ins, pins and time against a model of fen and pins.

    The model predicts every accept and refusal; replays must give the original
    events back, and the host may save and reload or prune at any step.
    """

    ladder = TierLadder(
        (Tier("normal"), Tier("silver", threshold=300), Tier("gold", threshold=1500)),
        growth=GrowthRules(per_yuan=Decimal(1), sign_in=10),
    )

    def __init__(self) -> None:
        super().__init__()
        self.s = MemberStanding.new("m", self.ladder)
        self.now = NOW
        self.paid: dict[str, int] = {}
        self.refunded: dict[str, int] = {}
        self.sign_ins = 0
        self.n = 0
        self.pin: tuple[str, pendulum.DateTime | None] | None = None
        self.accepted: list[tuple[object, tuple[object, ...]]] = []

    def _id(self) -> str:
        self.n += 1
        return str(self.n)

    def _pin_ended(self) -> bool:
        return self.pin is not None and self.pin[1] is not None and self.now >= self.pin[1]

    def _do(self, cmd: object, accept: bool) -> Accepted[MemberStanding] | Rejected[MemberStanding]:
        ended = self._pin_ended()
        before = self.s
        out = before.handle(cmd, self.ladder, now=self.now)  # type: ignore[arg-type]
        assert out.ok == accept, (cmd, out)
        if isinstance(out, Rejected):
            assert out.state is before
            assert out.events == ()
            return out
        # An accepted command reports an ended pin first.
        assert any(isinstance(e, TierUnpinned) for e in out.events) == (
            ended or isinstance(cmd, UnpinTier))
        if ended:
            self.pin = None
        self.accepted.append((cmd, out.events))
        self.s = out.state
        return out

    @rule(yuan=st.integers(1, 2000))
    def order(self, yuan: int) -> None:
        oid = "o" + self._id()
        self._do(RecordOrder(oid, Money.of(str(yuan))), True)
        self.paid[oid] = yuan * 100
        self.refunded[oid] = 0

    @precondition(lambda self: self.paid)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(sorted(self.paid)))
        left = self.paid[oid] - self.refunded[oid]
        amount = data.draw(st.integers(0, left + 100))
        out = self._do(RefundOrder("r" + self._id(), oid, Money(amount)), amount <= left)
        if out.ok:
            self.refunded[oid] += amount
        else:
            assert out.reason.code == "growth.refund_exceeds"

    @rule()
    def sign_in(self) -> None:
        self._do(RecordActivity("s" + self._id(), GrowthSource.SIGN_IN), True)
        self.sign_ins += 1

    @rule(tier=st.sampled_from(["normal", "silver", "gold"]), days=st.none() | st.integers(1, 5))
    def pin_tier(self, tier: str, days: int | None) -> None:
        until = None if days is None else self.now.add(days=days)
        self._do(PinTier("p" + self._id(), tier, until), True)
        self.pin = (tier, until)

    @rule()
    def unpin(self) -> None:
        pinned = self.pin is not None and not self._pin_ended()
        out = self._do(UnpinTier("u" + self._id()), pinned)
        if pinned:
            self.pin = None
        else:
            assert out.reason.code == "tier.not_pinned"

    @rule()
    def settle(self) -> None:
        out = self._do(SettleTier("t" + self._id()), self._pin_ended())
        if not out.ok:
            assert out.reason.code == "tier.nothing_due"

    @rule(hours=st.integers(1, 72))
    def wait(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @precondition(lambda self: self.accepted)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.accepted))
        out = self.s.handle(cmd, self.ladder, now=self.now)  # type: ignore[arg-type]
        assert out.state is self.s
        assert out.events == events

    @rule()
    def save_and_reload(self) -> None:
        again = reload(self.s)
        assert again == self.s
        self.s = again

    @rule(days=st.integers(0, 10))
    def prune(self, days: int) -> None:
        out = self.s.handle(PruneLog("x" + self._id(), retention_days=days), self.ladder,
                            now=self.now)
        before = self.now.subtract(days=days)
        gone = {e.command.id for e in self.s.log if e.at < before}  # type: ignore[attr-defined]
        assert out.events == (LogPruned(before, len(gone)),)
        self.accepted = [(c, ev) for c, ev in self.accepted
                         if c.id not in gone]  # type: ignore[attr-defined]
        self.s = out.state

    @invariant()
    def matches_model(self) -> None:
        growth = 10 * self.sign_ins + sum(
            (self.paid[o] // 100) * (self.paid[o] - self.refunded[o]) // self.paid[o]
            if self.refunded[o] < self.paid[o] else 0
            for o in self.paid
        )
        # The model floors the kept share; the ledger floors the taken-back share, so
        # it may keep at most one growth point more per order.
        assert growth <= self.s.total_growth <= growth + len(self.paid)
        if self.pin is not None:
            assert (self.s.tier, self.s.pinned_until) == self.pin
        else:
            assert self.s.tier == self.ladder.qualified(self.s.total_growth).code
        expected = StandingStatus.FOLLOWING if self.pin is None or self._pin_ended() else (
            StandingStatus.PINNED)
        assert self.s.status_at(self.ladder, self.now) is expected


StandingMachine.TestCase.settings = settings(stateful_step_count=20)
TestStandingMachine = StandingMachine.TestCase


def test_replaying_an_order_as_a_first_order_is_a_conflict() -> None:
    ladder = TierLadder(TIERS, growth=GrowthRules(first_order_bonus=50))
    s, _ = run(MemberStanding.new("m1", ladder), ladder, RecordOrder("o1", Money.of("300")))
    with pytest.raises(IdConflictError):
        s.handle(RecordOrder("o1", Money.of("300"), first_order=True), ladder, now=NOW)


def test_a_rejected_command_after_an_expired_pin_changes_nothing() -> None:
    # The pin ended by the clock; a refused command leaves the standing as stored,
    # and the host's SettleTier (or the next accepted command) reports the end.
    s, _ = run(MemberStanding.new("m1", LADDER), LADDER,
               PinTier("p1", "gold", until=NOW.add(days=1)))
    later = NOW.add(days=2)
    assert s.status_at(LADDER, later) is StandingStatus.FOLLOWING
    out = s.handle(RefundOrder("r1", "nope"), LADDER, now=later)
    assert isinstance(out, Rejected)
    assert out.reason.code == "growth.unknown_order"
    assert out.state is s
    assert out.events == ()
    assert code(s.handle(UnpinTier("u1"), LADDER, now=later)) == "tier.not_pinned"
    settled, events = run(s, LADDER, SettleTier("t1"), now=later)
    assert tier_changes(events) == [("gold", "normal", "tier.unpinned")]
    assert events[-1] == TierUnpinned("m1", "normal")
    assert settled.pinned is None
    assert code(settled.handle(SettleTier("t2"), LADDER, now=later)) == "tier.nothing_due"


def test_prune_forgets_ids_but_a_recorded_order_stays_recorded() -> None:
    ladder = TierLadder(TIERS, log_retention_days=7)
    s, _ = run(MemberStanding.new("m1", ladder), ladder, RecordOrder("o1", Money.of("300")))
    s, _ = run(s, ladder, GrantGrowth("g1", 10), now=NOW.add(days=5))
    out = s.handle(PruneLog("prune-1"), ladder, now=NOW.add(days=8))
    assert isinstance(out, Accepted)
    assert out.events == (LogPruned(NOW.add(days=1), 1),)
    assert "o1" not in out.state.log and "g1" in out.state.log
    refused = out.state.handle(RecordOrder("o1", Money.of("300")), ladder, now=NOW.add(days=8))
    assert code(refused) == "growth.already_recorded"
    with pytest.raises(InvalidPolicyError, match="log_retention_days"):
        TierLadder(TIERS, log_retention_days=-1)


def test_the_table_lists_what_each_status_takes() -> None:
    assert STANDING_TRANSITIONS[(StandingStatus.PINNED, UnpinTier)] is StandingStatus.FOLLOWING
    assert (StandingStatus.FOLLOWING, UnpinTier) not in STANDING_TRANSITIONS
    assert STANDING_TRANSITIONS[(StandingStatus.IN_GRACE, GRACE_ENDED)] is (
        StandingStatus.FOLLOWING)
    assert STANDING_TRANSITIONS[(StandingStatus.PINNED, PIN_ENDED)] is StandingStatus.FOLLOWING
    page = (Path(__file__).parents[3] / "docs/mechanics/members.md").read_text("utf-8")
    assert f"```mermaid\n{state_diagram(STANDING_TRANSITIONS)}\n```" in page


def code(out: object) -> str:
    assert isinstance(out, Rejected), out
    return out.reason.code
