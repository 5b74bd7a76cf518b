"""The points ledger: expiry, pending points, FIFO spending, reversals, replays."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.config import dump, load
from sirui.core.errors import (
    IdConflictError,
    InvalidCommandError,
    InvalidPolicyError,
    NaiveDatetimeError,
)
from sirui.loyalty.points import (
    TXN_TRANSITIONS,
    Adjust,
    Earn,
    ExpireAfterDays,
    ExpireAtYearEnd,
    LedgerPolicy,
    LedgerTxn,
    NeverExpire,
    PointsLedger,
    PointsRefundPolicy,
    ReturnedExpiry,
    ReturnSpent,
    Shortfall,
    Spend,
    Sweep,
    TakeBack,
    TxnStatus,
)
from sirui.loyalty.points.ledger import REVERSAL_EXCEEDS, TXN_ID_TAKEN
from sirui.rules import LogPruned, PruneLog
from sirui.rules.commandlog import NOT_IN_TABLE

TZ = "Asia/Shanghai"
T0 = pendulum.datetime(2026, 3, 1, 10, tz=TZ)


def at(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=TZ)


def test_points_of_2026_expire_at_the_end_of_2027() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAtYearEnd()))
    led = led.handle(Earn("e1", 100, source="review"), now=at(2026, 5, 1)).state
    assert led.balance(at(2027, 12, 31, 23, 59, 59)) == 100
    assert led.balance(at(2028, 1, 1)) == 0


def test_expire_after_days_counts_local_days() -> None:
    pol = ExpireAfterDays(365)
    assert pol.expires_at(at(2026, 3, 10, 15)) == at(2027, 3, 11)


def test_order_points_are_pending_until_the_return_window_closes() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(pending_days=7))
    led = led.handle(Earn("e1", 268, order_id="o1"), now=T0).state
    assert led.balance(T0) == 0
    assert led.pending_points(T0) == 268
    assert led.balance(T0.add(days=7)) == 268
    out = led.handle(Spend("s1", 100), now=T0.add(days=1))
    assert not out.ok
    assert out.reason.code == "points.insufficient"
    assert led.handle(Spend("s1", 100), now=T0.add(days=7)).ok


def test_spend_takes_the_soonest_expiring_points_first() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(30)))
    led = led.handle(Earn("old", 100, source="signin"), now=T0).state
    led = led.handle(Earn("new", 100, source="signin"), now=T0.add(days=10)).state
    out = led.handle(Spend("s1", 150), now=T0.add(days=11))
    spent = out.events[0]
    assert [(c.bucket_id, c.points) for c in spent.consumed] == [("old", 100), ("new", 50)]
    # 50 left, expiring 40 days after T0's day
    assert out.state.balance(T0.add(days=40)) == 50
    assert out.state.balance(at(2026, 4, 11)) == 0


def test_a_replay_returns_the_original_events_and_credits_once() -> None:
    led = PointsLedger.open("m1")
    first = led.handle(Earn("e1", 100, source="share"), now=T0)
    again = first.state.handle(Earn("e1", 100, source="share"), now=T0.add(hours=1))
    assert again.events == first.events
    assert again.state is first.state
    assert again.state.balance(T0) == 100


def test_the_same_id_with_other_content_is_a_conflict() -> None:
    led = PointsLedger.open("m1").handle(Earn("e1", 100), now=T0).state
    with pytest.raises(IdConflictError, match="e1"):
        led.handle(Earn("e1", 200), now=T0)


def test_misuse_is_a_typed_error() -> None:
    with pytest.raises(InvalidPolicyError):
        Earn("e1", -5)
    with pytest.raises(InvalidPolicyError):
        Earn("e1", 0)
    with pytest.raises(InvalidPolicyError):
        Adjust("a1", 0)
    with pytest.raises(InvalidPolicyError):
        LedgerPolicy(pending_days=-1)
    with pytest.raises(NaiveDatetimeError):
        PointsLedger.open("m1").handle(Earn("e1", 1), now=dt.datetime(2026, 1, 1))  # type: ignore[arg-type]
    led = PointsLedger.open("m1").handle(Earn("e1", 1), now=T0).state
    with pytest.raises(InvalidCommandError, match="time order"):
        led.handle(Earn("e2", 1), now=T0.subtract(days=1))
    with pytest.raises(InvalidCommandError, match="no Spend"):
        led.handle(ReturnSpent("r1", "nothing", 1), now=T0)
    with pytest.raises(InvalidCommandError, match="not a points ledger command"):
        led.handle("earn 5", now=T0)  # type: ignore[arg-type]


def test_the_transaction_table_decides_what_a_refund_may_reverse() -> None:
    led = PointsLedger.open("m1").handle(Earn("e1", 100), now=T0).state
    led = led.handle(Spend("s1", 40), now=T0).state
    assert led.txns.get("e1").status is TxnStatus.EARNED
    assert TXN_TRANSITIONS[(TxnStatus.EARNED, TakeBack)] is TxnStatus.TAKEN_BACK
    # a spend cannot be taken back, nor an earn returned: refused, state untouched
    wrong = led.handle(TakeBack("t1", "s1", 10), now=T0)
    assert wrong.reason == NOT_IN_TABLE(state="spent", command="TakeBack")
    assert wrong.state is led
    assert led.handle(ReturnSpent("r1", "e1", 10), now=T0).reason.code == "machine.not_in_table"
    part = led.handle(TakeBack("t1", "e1", 30), now=T0).state
    assert part.txns.get("e1") == LedgerTxn(TxnStatus.TAKEN_BACK, 100, reversed=30,
                                             bucket_key=led.txns.get("e1").bucket_key)
    rest = part.handle(TakeBack("t2", "e1", 71), now=T0)
    assert rest.reason == REVERSAL_EXCEEDS(txn="e1", left=70)
    assert part.handle(TakeBack("t2", "e1", 70), now=T0).ok


def test_a_retry_from_beyond_the_retention_is_refused_not_credited_twice() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(log_retention_days=7))
    led = led.handle(Earn("e1", 100), now=T0).state
    later = T0.add(days=8)
    pruned = led.handle(PruneLog("p1"), now=later)
    assert pruned.events == (LogPruned(T0.add(days=1), 1),)
    assert "e1" not in pruned.state.log
    retry = pruned.state.handle(Earn("e1", 100), now=later)
    assert retry.reason == TXN_ID_TAKEN(txn="e1", status="earned", status_zh="积分已入账")
    assert retry.state.balance(later) == 100
    # the earn is still there to be taken back
    assert pruned.state.handle(TakeBack("t1", "e1", 100), now=later).ok


def test_a_ledger_saved_and_loaded_replays_and_reverses() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(30), pending_days=7))
    led = led.handle(Earn("e1", 300, order_id="o1"), now=T0).state
    led = led.handle(Earn("e2", 200), now=T0).state
    led = led.handle(Spend("s1", 150), now=T0.add(days=1)).state
    stored = reload(led)
    assert stored == led
    assert stored.balance(T0.add(days=8)) == led.balance(T0.add(days=8)) == 350
    replay = stored.handle(Spend("s1", 150), now=T0.add(days=2))
    assert replay.state is stored
    assert replay.events == led.handle(Spend("s1", 150), now=T0.add(days=2)).events
    back = stored.handle(ReturnSpent("r1", "s1", 150), now=T0.add(days=2))
    assert back.state.balance(T0.add(days=2)) == 200


def test_take_back_of_spent_points_becomes_a_debt_settled_by_later_earnings() -> None:
    led = PointsLedger.open("m1")
    led = led.handle(Earn("e1", 300, order_id="o1", hold=False), now=T0).state
    led = led.handle(Spend("s1", 250), now=T0).state
    out = led.handle(TakeBack("t1", "e1", 300), now=T0.add(days=1))
    assert out.events[0].taken == 50
    assert out.events[0].debt_added == 250
    led = out.state
    assert led.balance(T0.add(days=1)) == 0
    assert led.debt == 250
    led = led.handle(Earn("e2", 400, source="signin"), now=T0.add(days=2)).state
    assert led.debt == 0
    assert led.balance(T0.add(days=2)) == 150


def test_negative_balance_policy_shows_the_shortfall() -> None:
    pol = LedgerPolicy(refunds=PointsRefundPolicy(shortfall=Shortfall.NEGATIVE_BALANCE))
    led = PointsLedger.open("m1", pol)
    led = led.handle(Earn("e1", 300, hold=False), now=T0).state
    led = led.handle(Spend("s1", 300), now=T0).state
    led = led.handle(TakeBack("t1", "e1", 300), now=T0).state
    assert led.balance(T0) == -300


def test_write_off_policy_forgives_the_shortfall() -> None:
    pol = LedgerPolicy(refunds=PointsRefundPolicy(shortfall=Shortfall.WRITE_OFF))
    led = PointsLedger.open("m1", pol).handle(Earn("e1", 300, hold=False), now=T0).state
    led = led.handle(Spend("s1", 300), now=T0).state
    led = led.handle(TakeBack("t1", "e1", 300), now=T0).state
    assert led.balance(T0) == 0
    assert led.debt == 0


def test_returned_points_keep_their_expiry_and_expired_ones_are_not_revived() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(10)))
    led = led.handle(Earn("e1", 100, source="signin"), now=T0).state
    led = led.handle(Spend("s1", 100), now=T0).state
    out = led.handle(ReturnSpent("r1", "s1", 100), now=T0.add(days=20))
    assert out.events[0].forfeited == 100
    assert out.state.balance(T0.add(days=20)) == 0
    revive = LedgerPolicy(
        expiry=ExpireAfterDays(10), refunds=PointsRefundPolicy(revive_expired=True)
    )
    led2 = attrs_evolve_policy(led, revive)
    out = led2.handle(ReturnSpent("r1", "s1", 100), now=T0.add(days=20))
    assert out.state.balance(T0.add(days=20)) == 100
    renew = LedgerPolicy(
        expiry=ExpireAfterDays(10), refunds=PointsRefundPolicy(returned_expiry=ReturnedExpiry.RENEW)
    )
    out = attrs_evolve_policy(led, renew).handle(ReturnSpent("r1", "s1", 40), now=T0.add(days=5))
    assert out.state.balance(T0.add(days=15)) == 40


def attrs_evolve_policy(led: PointsLedger, pol: LedgerPolicy) -> PointsLedger:
    import attrs

    return attrs.evolve(led, policy=pol)


def test_reversals_cannot_exceed_the_original() -> None:
    led = PointsLedger.open("m1").handle(Earn("e1", 100, hold=False), now=T0).state
    led = led.handle(TakeBack("t1", "e1", 60), now=T0).state
    out = led.handle(TakeBack("t2", "e1", 41), now=T0)
    assert not out.ok
    assert out.reason.code == "points.reversal_exceeds"


def test_sweep_emits_expiry_events_without_changing_the_balance() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(1)))
    led = led.handle(Earn("e1", 70, source="signin"), now=T0).state
    led = led.handle(Earn("e2", 30, source="signin"), now=T0.add(days=5)).state
    later = T0.add(days=5)
    before = led.balance(later)
    out = led.handle(Sweep("sw1"), now=later)
    assert [(e.bucket_id, e.points) for e in out.events] == [("e1", 70)]
    assert out.state.balance(later) == before == 30


@given(
    pending_days=st.integers(0, 30),
    days=st.integers(1, 400),
    years_after=st.integers(0, 3),
    shortfall=st.sampled_from(Shortfall),
    renew=st.sampled_from(ReturnedExpiry),
    revive=st.booleans(),
    which=st.sampled_from(["never", "days", "year"]),
)
def test_ledger_policy_round_trips(
    pending_days: int, days: int, years_after: int, shortfall: Shortfall,
    renew: ReturnedExpiry, revive: bool, which: str,
) -> None:
    expiry = {
        "never": NeverExpire(), "days": ExpireAfterDays(days), "year": ExpireAtYearEnd(years_after)
    }[which]
    p = LedgerPolicy(expiry, pending_days, PointsRefundPolicy(shortfall, renew, revive))
    assert load(dump(p)) == p


# -- properties -------------------------------------------------------------------------

ops = st.lists(
    st.tuples(st.sampled_from(["earn", "order", "spend"]), st.integers(1, 500), st.integers(0, 72)),
    max_size=40,
)


def _run(seq: list[tuple[str, int, int]]) -> tuple[PointsLedger, pendulum.DateTime, list[object]]:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(5), pending_days=2))
    now = T0
    events: list[object] = []
    for i, (kind, n, hours) in enumerate(seq):
        now = now.add(hours=hours)
        cmd = Spend(f"c{i}", n) if kind == "spend" else Earn(
            f"c{i}", n, order_id=f"o{i}" if kind == "order" else None
        )
        out = led.handle(cmd, now=now)
        led = out.state
        events += [(now, e) for e in out.events]
    return led, now, events


@given(ops, st.integers(0, 24 * 30))
def test_balance_is_the_sum_of_live_buckets_at_any_moment(
    seq: list[tuple[str, int, int]], ahead: int
) -> None:
    led, now, _ = _run(seq)
    t = now.add(hours=ahead)
    live = [b for b in led.buckets(t) if b.available_at <= t]
    assert led.balance(t) == sum(b.points for b in live)
    assert all(b.expires_at is None or b.expires_at > t for b in led.buckets(t))


@given(ops)
def test_never_spends_an_expired_or_pending_point_and_spends_fifo(
    seq: list[tuple[str, int, int]],
) -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(5), pending_days=2))
    now = T0
    for i, (kind, n, hours) in enumerate(seq):
        now = now.add(hours=hours)
        if kind == "spend":
            before = led.buckets(now)
            out = led.handle(Spend(f"c{i}", n), now=now)
            if out.ok:
                consumed = out.events[0].consumed
                assert all(c.expires_at is None or c.expires_at > now for c in consumed)
                last = max(c.expires_at for c in consumed)  # type: ignore[type-var]
                untouched = {b.id for b in before} - {c.bucket_id for c in consumed}
                for b in before:
                    if b.id in untouched and b.available_at <= now:
                        assert b.expires_at >= last  # type: ignore[operator]
                ids = {b.id: b for b in before}
                assert all(ids[c.bucket_id].available_at <= now for c in consumed)
            led = out.state
        else:
            led = led.handle(Earn(f"c{i}", n, order_id=f"o{i}" if kind == "order" else None),
                             now=now).state


@given(ops, st.integers(1, 2000), st.integers(0, 2000), st.integers(0, 40))
def test_a_full_refund_restores_the_ledger(
    seq: list[tuple[str, int, int]], earn: int, spend: int, hours: int
) -> None:
    led, now, _ = _run(seq)
    out = led.handle(Earn("order-earn", earn, order_id="X"), now=now)
    led2 = out.state
    if spend:
        sp = led2.handle(Spend("order-spend", spend, order_id="X"), now=now)
        if not sp.ok:
            spend = 0
        led2 = sp.state
    later = now.add(hours=hours)
    led2 = led2.handle(TakeBack("rb-earn", "order-earn", earn), now=later).state
    if spend:
        led2 = led2.handle(ReturnSpent("rb-spend", "order-spend", spend), now=later).state
    # the ledger as it was before the order, seen at the same moment
    assert led2.points_by_expiry(later) == led.points_by_expiry(later)
    assert led2.pending_points(later) == led.pending_points(later)
    assert led2.debt == 0


@given(ops)
def test_replaying_every_command_changes_nothing(seq: list[tuple[str, int, int]]) -> None:
    led, now, _ = _run(seq)
    replayed = led
    for i, (kind, n, _) in enumerate(seq):
        cmd = Spend(f"c{i}", n) if kind == "spend" else Earn(
            f"c{i}", n, order_id=f"o{i}" if kind == "order" else None
        )
        if f"c{i}" in led.log:
            replayed = replayed.handle(cmd, now=now).state
    assert replayed is led


# -- the state machine against a naive model ---------------------------------------------

DAY_US = 86_400 * 1_000_000


class Model:
    """A list of buckets, scanned in full every time: obviously right, obviously slow."""

    def __init__(self, policy: LedgerPolicy) -> None:
        self.policy = policy
        self.buckets: list[dict[str, object]] = []
        self.debt = 0
        self.seq = 0
        self.spends: dict[str, list[tuple[object, int]]] = {}
        self.earns: dict[str, tuple[int, object]] = {}
        self.reversed: dict[str, int] = {}

    def live(self, now: pendulum.DateTime, pending: bool = False) -> list[dict[str, object]]:
        out = [
            b for b in self.buckets
            if b["points"] and _gt(b["exp"], now) and (pending or b["avail"] <= now)  # type: ignore[operator]
        ]
        return sorted(out, key=lambda b: (_k(b["exp"]), b["seq"]))

    def available(self, now: pendulum.DateTime) -> int:
        return sum(b["points"] for b in self.live(now))  # type: ignore[misc]

    def credit(self, points: int, now: pendulum.DateTime, exp: object, avail: object) -> object:
        settle = min(self.debt, points)
        self.debt -= settle
        if points - settle:
            b = {"points": points - settle, "exp": exp, "avail": avail, "seq": self.seq}
            self.seq += 1
            self.buckets.append(b)
            return b
        return None

    def take(self, bs: list[dict[str, object]], left: int) -> tuple[int, list[tuple[object, int]]]:
        parts = []
        for b in bs:
            t = min(b["points"], left)  # type: ignore[type-var]
            if t:
                b["points"] -= t  # type: ignore[operator]
                left -= t
                parts.append((b["exp"], t))
        return left, parts


def _k(exp: object) -> float:
    return float("inf") if exp is None else exp.timestamp()  # type: ignore[attr-defined]


def _gt(exp: object, now: pendulum.DateTime) -> bool:
    return exp is None or exp > now  # type: ignore[operator]


def _around(left: int) -> st.SearchStrategy[int]:
    """Points to reverse: often exactly what is left or one more, else anything."""
    edges = [n for n in (left, left + 1) if n >= 1]
    return st.one_of(st.sampled_from(edges), st.integers(1, 300))


class LedgerMachine(RuleBasedStateMachine):
    @initialize(
        shortfall=st.sampled_from(Shortfall),
        returned=st.sampled_from(ReturnedExpiry),
        revive=st.booleans(),
        days=st.integers(1, 20),
        retention=st.integers(0, 10),
    )
    def setup(
        self, shortfall: Shortfall, returned: ReturnedExpiry, revive: bool, days: int,
        retention: int,
    ) -> None:
        self.policy = LedgerPolicy(
            ExpireAfterDays(days), 3, PointsRefundPolicy(shortfall, returned, revive),
            log_retention_days=retention,
        )
        self.led = PointsLedger.open("m1", self.policy)
        self.model = Model(self.policy)
        self.now = T0
        self.n = 0
        self.earned = 0
        # accepted commands still in the log: id -> (command, events, accepted at)
        self.logged: dict[str, tuple[object, tuple[object, ...], pendulum.DateTime]] = {}
        # earns, spends and adjustments the log forgot: their ids stay taken
        self.forgotten: list[object] = []

    def _id(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def _took(self, cmd: object, out: object, expect: str | None) -> None:
        """``out`` is accepted iff ``expect`` is None, else refused with that code."""
        if expect is None:
            assert out.ok, out  # type: ignore[attr-defined]
            self.logged[cmd.id] = (cmd, out.events, self.now)  # type: ignore[attr-defined]
            self.led = out.state  # type: ignore[attr-defined]
            return
        assert not out.ok, out  # type: ignore[attr-defined]
        assert out.reason.code == expect  # type: ignore[attr-defined]
        assert out.state is self.led and not out.events  # type: ignore[attr-defined]
        again = self.led.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert not again.ok, "a refusal is not recorded; its retry is decided afresh"

    @rule(points=st.integers(1, 300), order=st.booleans())
    def earn(self, points: int, order: bool) -> None:
        cmd = Earn(self._id(), points, order_id="o" if order else None)
        self._took(cmd, self.led.handle(cmd, now=self.now), None)
        avail = self.now.add(days=3) if order else self.now
        b = self.model.credit(points, self.now, self.policy.expiry.expires_at(self.now), avail)
        self.model.earns[cmd.id] = (points, b)
        self.earned += points

    @rule(points=st.integers(1, 600))
    def spend(self, points: int) -> None:
        cmd = Spend(self._id(), points)
        out = self.led.handle(cmd, now=self.now)
        avail = self.model.available(self.now)
        self._took(cmd, out, None if points <= avail else "points.insufficient")
        if out.ok:
            left, parts = self.model.take(self.model.live(self.now), points)
            assert left == 0
            self.model.spends[cmd.id] = parts
            assert [(c.expires_at, c.points) for c in out.events[0].consumed] == parts

    @precondition(lambda self: self.model.earns)
    @rule(data=st.data())
    def take_back(self, data: st.DataObject) -> None:
        earn_id = data.draw(st.sampled_from(sorted(self.model.earns)))
        earned, own = self.model.earns[earn_id]
        done = self.model.reversed.get(earn_id, 0)
        points = data.draw(_around(earned - done))
        cmd = TakeBack(self._id(), earn_id, points)
        out = self.led.handle(cmd, now=self.now)
        self._took(cmd, out, None if done + points <= earned else "points.reversal_exceeds")
        if not out.ok:
            return
        assert self.led.txns.get(earn_id).status is TxnStatus.TAKEN_BACK
        self.model.reversed[earn_id] = done + points
        self.earned -= points
        left = points
        if own is not None and _gt(own["exp"], self.now):  # type: ignore[index]
            left, _ = self.model.take([own], left)  # type: ignore[list-item]
        left, _ = self.model.take(self.model.live(self.now), left)
        pend = [b for b in self.model.live(self.now, pending=True) if b["avail"] > self.now]  # type: ignore[operator]
        left, _ = self.model.take(pend, left)
        if self.policy.refunds.shortfall is not Shortfall.WRITE_OFF:
            self.model.debt += left

    @precondition(lambda self: self.model.spends)
    @rule(data=st.data())
    def return_spent(self, data: st.DataObject) -> None:
        spend_id = data.draw(st.sampled_from(sorted(self.model.spends)))
        parts = self.model.spends[spend_id]
        spent = sum(n for _, n in parts)
        done = self.model.reversed.get(spend_id, 0)
        points = data.draw(_around(spent - done))
        cmd = ReturnSpent(self._id(), spend_id, points)
        out = self.led.handle(cmd, now=self.now)
        self._took(cmd, out, None if done + points <= spent else "points.reversal_exceeds")
        if not out.ok:
            return
        self.model.reversed[spend_id] = done + points
        fresh = self.policy.expiry.expires_at(self.now)
        skip, left = done, points
        grants: dict[float, tuple[object, int]] = {}
        for exp, n in reversed(parts):
            d = min(skip, n)
            skip -= d
            n = min(n - d, left)
            if n <= 0:
                continue
            left -= n
            e = exp if self.policy.refunds.returned_expiry is ReturnedExpiry.ORIGINAL else fresh
            if not _gt(e, self.now):
                if not self.policy.refunds.revive_expired:
                    continue
                e = fresh
            grants[_k(e)] = (e, grants.get(_k(e), (e, 0))[1] + n)
        for _, (e, n) in sorted(grants.items()):
            self.model.credit(n, self.now, e, self.now)

    @precondition(lambda self: self.model.earns or self.model.spends)
    @rule(data=st.data())
    def reverse_the_wrong_kind(self, data: st.DataObject) -> None:
        """A take-back of a spend or a return of an earn: the table refuses it."""
        txn = data.draw(st.sampled_from(sorted([*self.model.earns, *self.model.spends])))
        cmd: object = (ReturnSpent(self._id(), txn, 1) if txn in self.model.earns
                       else TakeBack(self._id(), txn, 1))
        self._took(cmd, self.led.handle(cmd, now=self.now), "machine.not_in_table")  # type: ignore[arg-type]

    @rule(points=st.integers(-300, 300).filter(bool))
    def adjust(self, points: int) -> None:
        cmd = Adjust(self._id(), points, note="ops")
        out = self.led.handle(cmd, now=self.now)
        ok = points > 0 or -points <= self.model.available(self.now)
        self._took(cmd, out, None if ok else "points.insufficient")
        if points > 0:
            self.model.credit(points, self.now, self.policy.expiry.expires_at(self.now), self.now)
        elif out.ok:
            left, _ = self.model.take(self.model.live(self.now), -points)
            assert left == 0

    @rule(hours=st.integers(0, 24 * 12))
    def time_travel(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule()
    def sweep(self) -> None:
        before = self.led.balance(self.now)
        cmd = Sweep(self._id())
        out = self.led.handle(cmd, now=self.now)
        self._took(cmd, out, None)
        assert self.led.balance(self.now) == before

    @rule()
    def prune(self) -> None:
        cmd = PruneLog(self._id())
        out = self.led.handle(cmd, now=self.now)
        before = self.now.subtract(days=self.policy.log_retention_days)
        gone = [i for i, (_, _, at) in self.logged.items() if at < before]
        assert out.events == (LogPruned(before, len(gone)),)
        for i in gone:
            old = self.logged.pop(i)[0]
            if isinstance(old, Earn | Spend | Adjust):
                self.forgotten.append(old)
        self._took(cmd, out, None)
        assert len(self.led.log) == len(self.logged)

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.led)
        assert stored == self.led
        self.led = stored

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events, _ = self.logged[data.draw(st.sampled_from(sorted(self.logged)))]
        again = self.led.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert again.state is self.led
        assert again.events == events

    @precondition(lambda self: self.forgotten)
    @rule(data=st.data())
    def retry_beyond_the_retention(self, data: st.DataObject) -> None:
        cmd = data.draw(st.sampled_from(self.forgotten))
        self._took(cmd, self.led.handle(cmd, now=self.now), "points.txn_id_taken")  # type: ignore[arg-type]

    @precondition(lambda self: any(isinstance(c, Earn) for c, _, _ in self.logged.values()))
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cmd = data.draw(st.sampled_from(
            [c for c, _, _ in self.logged.values() if isinstance(c, Earn)]))
        with pytest.raises(IdConflictError):
            self.led.handle(Earn(cmd.id, cmd.points + 1), now=self.now)  # type: ignore[attr-defined]

    @invariant()
    def agrees_with_the_model(self) -> None:
        for ahead in (0, 2, 9):
            t = self.now.add(days=ahead)
            assert self.led.available(t) == self.model.available(t)
        assert self.led.debt == self.model.debt
        assert self.led.earned_total == self.earned
        if self.model.debt:
            assert self.led.available(self.now) == 0
        shown = self.led.balance(self.now)
        if self.policy.refunds.shortfall is Shortfall.NEGATIVE_BALANCE:
            assert shown == self.model.available(self.now) - self.model.debt
        else:
            assert shown == self.model.available(self.now) >= 0


TestLedgerMachine = LedgerMachine.TestCase


def test_points_expiring_soon_for_reminders() -> None:
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAtYearEnd(years_after=0)))
    led = led.handle(Earn("e2026", 300, source="signin"), now=at(2026, 6, 1)).state
    led = led.handle(Earn("e2027", 200, source="signin"), now=at(2027, 1, 5)).state
    # nothing of 2026 is left by 2027; of 2027's points, all expire before 2028-01-01
    assert led.points_by_expiry(at(2027, 1, 5)) == ((at(2028, 1, 1), 200),)
    assert led.expiring_before(at(2027, 12, 1), at(2028, 1, 1)) == 200
    assert led.expiring_before(at(2027, 12, 1), at(2027, 12, 31)) == 0
    assert led.earned_total == 500


def test_the_docs_diagram_is_the_transaction_table() -> None:
    from pathlib import Path

    from sirui.rules import state_diagram

    page = Path(__file__).resolve().parents[3] / "docs" / "mechanics" / "points.md"
    assert state_diagram(TXN_TRANSITIONS) in page.read_text("utf-8")
