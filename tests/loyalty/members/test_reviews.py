"""Tier reviews judged as of the period's end: any window, any period, late runs change nothing.

"年度保级，按近365天消费": the host's job may run on 3 January; the member gets
the tier a review at 31 December midnight would have given.
"""

from __future__ import annotations

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract import reload
from sirui.core.money import Money
from sirui.core.windows import PeriodKind
from sirui.loyalty.members import (
    BelowRetention,
    GrantGrowth,
    MemberStanding,
    RecordOrder,
    ReviewTier,
    SettleTier,
    Tier,
    TierChanged,
    TierGraceEnded,
    TierGraceStarted,
    TierLadder,
    TierMetric,
    TierReviewed,
    UpgradeMode,
)
from sirui.rules import Accepted, Rejected
from sirui.testing.loyalty import tier_ladders

TZ = "Asia/Shanghai"
SPEND_TIERS = (
    Tier("normal", "普通"),
    Tier("silver", "白银", 50_000),      # ¥500
    Tier("gold", "黄金", 200_000),       # ¥2,000
    Tier("diamond", "钻石", 800_000),    # ¥8,000
)
YEARLY = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, window_days=365, review=PeriodKind.YEAR)
END_2026 = pendulum.datetime(2027, 1, 1, tz=TZ)
"""31 December 2026 at midnight in the store's zone: the end of the year under review."""


def at(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=TZ)


def play(ladder: TierLadder, *steps: tuple[object, pendulum.DateTime]) -> MemberStanding:
    s = MemberStanding.new("m1", ladder)
    for command, now in steps:
        out = s.handle(command, ladder, now=now)  # type: ignore[arg-type]
        assert isinstance(out, Accepted), out
        s = out.state
    return s


def review(s: MemberStanding, ladder: TierLadder, now: pendulum.DateTime) -> Accepted:
    out = s.handle(ReviewTier(f"rv-{now.isoformat()}"), ladder, now=now)
    assert isinstance(out, Accepted), out
    return out


# -- operator examples -------------------------------------------------------------------------


def test_a_review_run_late_gives_the_same_tier() -> None:
    # Gold in 2025; ¥1,500 on 2 January 2026 and ¥1,000 on 20 December 2026: ¥2,500 in 2026.
    s = play(
        YEARLY,
        (RecordOrder("o1", Money.of("2500")), at(2025, 6, 1)),
        (RecordOrder("o2", Money.of("1500")), at(2026, 1, 2, 12)),
        (RecordOrder("o3", Money.of("1000")), at(2026, 12, 20)),
    )
    assert s.tier == "gold"
    on_time = review(s, YEARLY, END_2026)
    late = review(s, YEARLY, at(2027, 1, 3, 9))
    # Both judge 2026 as it stood at midnight: ¥2,500 keeps gold. (Judged on 3 January,
    # the last 365 days would have lost the ¥1,500 of 2 January: silver.)
    assert on_time.state.tier == late.state.tier == "gold"
    assert on_time.events == late.events == (TierReviewed("m1", END_2026, 250_000, "gold"),)


def test_a_late_review_drops_exactly_as_an_on_time_one_and_says_so_in_yuan() -> None:
    s = play(
        YEARLY,
        (RecordOrder("o1", Money.of("8500")), at(2025, 3, 1)),
        (RecordOrder("o2", Money.of("3000")), at(2026, 12, 1)),
    )
    ladder = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, window_days=365,
                        review=PeriodKind.YEAR, below_retention=BelowRetention.DROP_ONE)
    on_time, late = review(s, ladder, END_2026), review(s, ladder, at(2027, 2, 14))
    assert on_time.state.tier == late.state.tier == "gold"
    changed = late.events[0]
    assert isinstance(changed, TierChanged)
    assert changed.reason.zh == "保级未达标（¥3,000.00/¥8,000.00），降为黄金"
    assert changed.at == at(2027, 2, 14)  # the tier changed when the review ran


def test_orders_after_the_period_end_count_for_the_next_review_not_this_one() -> None:
    ladder = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, upgrade=UpgradeMode.AT_REVIEW,
                        review=PeriodKind.YEAR)
    s = play(
        ladder,
        (RecordOrder("o1", Money.of("600")), at(2026, 5, 1)),
        (RecordOrder("o2", Money.of("5000")), at(2027, 1, 2)),  # after the year ended
    )
    out = review(s, ladder, at(2027, 1, 3))
    assert out.state.tier == "silver"  # ¥600 in 2026 (all time to its end)
    assert out.events[-1] == TierReviewed("m1", END_2026, 60_000, "silver")
    nxt = review(out.state, ladder, at(2028, 1, 1))
    assert nxt.state.tier == "gold"  # ¥5,600 to the end of 2027


def test_an_order_after_the_end_still_upgrades_after_a_late_review_on_an_immediate_ladder() -> None:
    s = play(
        YEARLY,
        (RecordOrder("o1", Money.of("2500")), at(2025, 6, 1)),
        (RecordOrder("o2", Money.of("5000")), at(2027, 1, 2)),   # gold already, still gold
    )
    # On time: 2026 held nothing, so normal at midnight; the 2 January order then lifts
    # the member to gold. Run late, the review lands at the same tier.
    on_time = review(play(YEARLY, (RecordOrder("o1", Money.of("2500")), at(2025, 6, 1))),
                     YEARLY, END_2026).state
    assert on_time.tier == "normal"
    on_time = on_time.handle(RecordOrder("o2", Money.of("5000")), YEARLY, now=at(2027, 1, 2)).state
    late = review(s, YEARLY, at(2027, 1, 3))
    assert late.state.tier == on_time.tier == "gold"
    assert [(e.from_tier, e.to_tier, e.reason.code) for e in late.events
            if isinstance(e, TierChanged)] == [
        ("gold", "normal", "tier.review_downgraded"), ("normal", "gold", "tier.upgraded"),
    ]


def test_a_member_upgraded_after_the_end_is_not_judged_by_the_late_review() -> None:
    ladder = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, window_days=365,
                        review=PeriodKind.YEAR, grace_days=30)
    # New member: nothing in 2026, ¥2,500 on 2 January 2027 makes them gold at once.
    s = play(ladder, (RecordOrder("o1", Money.of("2500")), at(2027, 1, 2)))
    assert (s.tier, s.tier_since) == ("gold", at(2027, 1, 2))
    out = review(s, ladder, at(2027, 1, 3))
    # On time (1 January 00:00) the review judged a normal member; the upgrade came
    # after it. Late, it does not start a grace period on the new gold tier.
    assert out.state.tier == "gold" and out.state.grace_until is None
    assert out.events == (TierReviewed("m1", END_2026, 0, "gold"),)
    # The next year's review judges it as usual.
    nxt = review(out.state, ladder, at(2028, 1, 1))
    assert nxt.state.tier == "gold" and nxt.events[-1].metric == 250_000


def test_a_400_day_window_reviewed_yearly_counts_the_last_weeks_of_the_year_before() -> None:
    long = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, window_days=400, review=PeriodKind.YEAR)
    steps = ((RecordOrder("o1", Money.of("2500")), at(2025, 12, 1)),)
    out = review(play(long, *steps), long, at(2027, 1, 4))
    # 400 days back from 2027-01-01 reach 2025-11-27: the December order keeps gold.
    assert out.state.tier == "gold"
    assert out.events == (TierReviewed("m1", END_2026, 250_000, "gold"),)
    # A 365-day window would not reach it: normal.
    assert review(play(YEARLY, *steps), YEARLY, at(2027, 1, 4)).state.tier == "normal"


def test_quarterly_reviews_over_a_365_day_window() -> None:
    ladder = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, window_days=365,
                        review=PeriodKind.QUARTER, upgrade=UpgradeMode.AT_REVIEW)
    s = play(ladder, (RecordOrder("o1", Money.of("2100")), at(2026, 2, 10)))
    q1 = review(s, ladder, at(2026, 4, 2))
    assert q1.state.tier == "gold"
    assert q1.events[-1].period == at(2026, 4, 1)
    again = q1.state.handle(ReviewTier("rv-again"), ladder, now=at(2026, 6, 30))
    assert isinstance(again, Rejected) and again.reason.code == "tier.already_reviewed"
    # A year on, the order has left the window: the review of Q1 2027 drops the member.
    assert review(q1.state, ladder, at(2027, 4, 1)).state.tier == "normal"


def test_a_review_so_late_that_its_grace_ran_out_settles_it_at_once() -> None:
    ladder = TierLadder(SPEND_TIERS, metric=TierMetric.SPEND, window_days=365,
                        review=PeriodKind.YEAR, grace_days=30)
    s = play(
        ladder,
        (RecordOrder("o1", Money.of("2500")), at(2025, 6, 1)),
        (RecordOrder("o2", Money.of("600")), at(2026, 3, 1)),
    )
    out = review(s, ladder, at(2027, 2, 5))  # grace would have ended on 31 January
    assert [type(e) for e in out.events] == [
        TierGraceStarted, TierReviewed, TierChanged, TierGraceEnded,
    ]
    assert out.state.tier == "silver" and out.state.grace_until is None
    # On time, the host's delay queue would have settled it on 31 January: the same tier.
    on_time = review(s, ladder, END_2026).state
    assert on_time.grace_until == at(2027, 1, 31)
    settled = on_time.handle(SettleTier("t1"), ladder, now=at(2027, 1, 31)).state
    assert settled.tier == out.state.tier


def test_a_grace_period_is_judged_as_it_ended_however_late_it_is_settled() -> None:
    # Gold is kept with ¥1,500 (保级门槛) and reached with ¥2,000.
    tiers = (*SPEND_TIERS[:2], Tier("gold", "黄金", 200_000, retention=150_000))
    ladder = TierLadder(tiers, metric=TierMetric.SPEND, window_days=365, review=PeriodKind.YEAR,
                        grace_days=30)
    s = play(
        ladder,
        (RecordOrder("o1", Money.of("2500")), at(2025, 6, 1)),
        (RecordOrder("o2", Money.of("600")), at(2026, 3, 1)),
    )
    s = review(s, ladder, END_2026).state
    assert s.grace_until == at(2027, 1, 31)
    # ¥1,000 on 2 February, after the grace ended on 31 January, come too late to keep gold
    # (¥1,600 would have kept it) and are not enough to reach it again.
    out = s.handle(RecordOrder("o3", Money.of("1000")), ladder, now=at(2027, 2, 2))
    assert out.state.tier == "silver"
    assert [type(e) for e in out.events][:2] == [TierChanged, TierGraceEnded]
    # Within the grace period, they keep it.
    kept = s.handle(RecordOrder("o3", Money.of("1000")), ladder, now=at(2027, 1, 20)).state
    assert kept.handle(SettleTier("t1"), ladder, now=at(2027, 2, 2)).state.tier == "gold"


# -- properties --------------------------------------------------------------------------------

_SHORTEST = {PeriodKind.DAY: 1, PeriodKind.WEEK: 7, PeriodKind.MONTH: 28,
             PeriodKind.QUARTER: 89, PeriodKind.YEAR: 365}


@given(
    tier_ladders().filter(lambda ladder: ladder.review is not None),
    st.lists(st.tuples(st.integers(0, 900 * 24), st.integers(1, 500_000)), max_size=8),
    st.integers(0, 10**6),
    st.integers(0, 3),
)
def test_a_late_review_equals_an_on_time_review(
    ladder: TierLadder, orders: list[tuple[int, int]], lateness: int, grants: int
) -> None:
    assert ladder.review is not None
    end = ladder.review_end(at(2027, 3, 1))
    assert end is not None
    # Orders (and grants) dated before the period's end, recorded in time order.
    steps: list[tuple[object, pendulum.DateTime]] = []
    for i, (hours_before, fen) in enumerate(sorted(orders, reverse=True)):
        when = end.subtract(hours=hours_before + 1)
        steps.append((RecordOrder(f"o{i}", Money(fen), at=when), when))
    steps += [(GrantGrowth(f"g{i}", 100 * (i + 1), at=end.subtract(days=i + 1)),
               end.subtract(days=i + 1)) for i in range(grants)]
    steps.sort(key=lambda s: s[1])
    s = play(ladder, *steps)
    # Late by up to (nearly) the shortest length of the next period.
    late_at = end.add(seconds=lateness % (_SHORTEST[ladder.review] * 86_400))
    on_time = review(s, ladder, end)
    late = review(s, ladder, late_at)
    reviewed_on_time = [e for e in on_time.events if isinstance(e, TierReviewed)]
    reviewed_late = [e for e in late.events if isinstance(e, TierReviewed)]
    assert reviewed_on_time == reviewed_late
    # Bring the on-time standing to the late instant as the host's delay queue would.
    caught_up = on_time.state
    if caught_up.grace_until is not None and late_at >= caught_up.grace_until:
        caught_up = caught_up.handle(SettleTier("t"), ladder, now=late_at).state
    assert caught_up.tier == late.state.tier
    assert caught_up.grace_until == late.state.grace_until
    assert late.state.reviewed_period == on_time.state.reviewed_period == end
    assert reload(late.state) == late.state


# -- stateful test: grants, reviews, grace and time against a model -----------------------------


class ReviewMachine(RuleBasedStateMachine):
    """Monthly reviews over a 45-day window with a 10-day grace, against a plain model.

    The model keeps dated grants, the tier, the grace deadline and the last
    period judged; it predicts every accept and refusal of reviews and
    settlements, the tier after each, and the `TierReviewed` figures, however
    late the review runs. Replays, reloads and prunes may come at any step.
    """

    ladder = TierLadder(
        (Tier("normal"), Tier("silver", threshold=300), Tier("gold", threshold=1000,
                                                             retention=800)),
        window_days=45, review=PeriodKind.MONTH, grace_days=10,
    )

    def __init__(self) -> None:
        super().__init__()
        self.s = MemberStanding.new("m", self.ladder)
        self.now = at(2026, 1, 10, 9)
        self.grants: list[tuple[pendulum.DateTime, int]] = []
        self.tier = 0
        self.since: pendulum.DateTime | None = None
        self.grace: pendulum.DateTime | None = None
        self.judged: pendulum.DateTime | None = None
        self.n = 0
        self.accepted: list[tuple[object, tuple[object, ...]]] = []

    # -- the model ---------------------------------------------------------------------

    def metric(self, t: pendulum.DateTime) -> int:
        days = self.ladder.window_days
        return sum(g for when, g in self.grants
                   if when <= t and (days is None or when > t.subtract(days=days)))

    def qualified(self, metric: int) -> int:
        return max(i for i, t in enumerate(self.ladder.tiers) if t.threshold <= metric)

    def below(self, metric: int) -> int:
        """Where a member below retention goes."""
        rule = self.ladder.below_retention
        if rule is BelowRetention.KEEP:
            return self.tier
        if rule is BelowRetention.DROP_ONE:
            return max(self.tier - 1, 0)
        return self.qualified(metric)

    def keep_at(self) -> int:
        return self.ladder.tiers[self.tier].keep_at

    def move(self, tier: int) -> None:
        """A tier change: it ends any grace period and dates the tier."""
        if tier != self.tier:
            self.tier, self.grace, self.since = tier, None, self.now

    def settle(self) -> bool:
        """Apply an ended grace period (judged at its end); True if one ended."""
        if self.grace is None or self.now < self.grace:
            return False
        m = self.metric(self.grace)
        if m < self.keep_at():
            self.move(self.below(m))
        self.grace = None
        return True

    def upgrade(self) -> None:
        if self.ladder.upgrade is UpgradeMode.IMMEDIATE:
            self.move(max(self.tier, self.qualified(self.metric(self.now))))

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _do(self, cmd: object, accept: bool) -> Accepted | Rejected:
        before = self.s
        out = before.handle(cmd, self.ladder, now=self.now)  # type: ignore[arg-type]
        assert out.ok == accept, (cmd, out)
        if isinstance(out, Rejected):
            assert out.state is before and out.events == ()
            return out
        self.accepted.append((cmd, out.events))
        self.s = out.state
        return out

    # -- rules -------------------------------------------------------------------------

    @rule(growth=st.integers(1, 700))
    def grant(self, growth: int) -> None:
        self._do(GrantGrowth(self._id("g"), growth), True)
        self.settle()
        self.grants.append((self.now, growth))
        self.upgrade()

    @rule(hours=st.integers(1, 24 * 25))
    def wait(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule()
    def review(self) -> None:
        end = self.ladder.review_end(self.now)
        assert end is not None
        fresh = self.judged is None or end > self.judged
        out = self._do(ReviewTier(self._id("rv")), fresh)
        if not fresh:
            assert isinstance(out, Rejected) and out.reason.code == "tier.already_reviewed"
            return
        self.settle()
        self.judged = end
        m = self.metric(end)
        q = self.qualified(m)
        if q > self.tier:
            self.move(q)
        elif self.since is not None and self.since > end:
            pass  # a tier reached after the judged period: not judged by it
        elif m < self.keep_at() and self.ladder.below_retention is not BelowRetention.KEEP:
            if self.ladder.grace_days and self.grace is None:
                self.grace = end.add(days=self.ladder.grace_days)
            else:
                self.move(self.below(m))
                self.grace = None
        reviewed = [e for e in out.events if isinstance(e, TierReviewed)]
        assert [(e.period, e.metric) for e in reviewed] == [(end, m)]
        self.settle()
        self.upgrade()

    @rule()
    def settle_tier(self) -> None:
        due = self.grace is not None and self.now >= self.grace
        out = self._do(SettleTier(self._id("t")), due)
        if due:
            self.settle()
        else:
            assert isinstance(out, Rejected) and out.reason.code == "tier.nothing_due"

    @precondition(lambda self: self.accepted)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.accepted))
        out = self.s.handle(cmd, self.ladder, now=self.now)  # type: ignore[arg-type]
        assert out.state is self.s and out.events == events

    @rule()
    def save_and_reload(self) -> None:
        again = reload(self.s)
        assert again == self.s
        self.s = again

    @invariant()
    def matches_model(self) -> None:
        assert self.s.tier == self.ladder.tiers[self.tier].code
        assert self.s.reviewed_period == self.judged
        # The stored grace deadline is the model's until the next accepted command
        # settles an ended one.
        assert self.s.grace_until == self.grace
        assert self.s.tier_since == self.since


ReviewMachine.TestCase.settings = settings(stateful_step_count=30)
TestReviewMachine = ReviewMachine.TestCase


class DropOneReviewMachine(ReviewMachine):
    """Upgrades only at review, drop one level, all-time metric, no grace."""

    ladder = TierLadder(
        (Tier("normal"), Tier("silver", threshold=300), Tier("gold", threshold=1000)),
        review=PeriodKind.WEEK, upgrade=UpgradeMode.AT_REVIEW,
        below_retention=BelowRetention.DROP_ONE,
    )


DropOneReviewMachine.TestCase.settings = settings(stateful_step_count=30)
TestDropOneReviewMachine = DropOneReviewMachine.TestCase
