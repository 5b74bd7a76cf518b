"""Tasks (任务体系) and action rewards: once, daily, weekly quests with caps."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.windows import Window
from sirui.loyalty.points import (
    TASK_TRANSITIONS,
    RecordAction,
    Task,
    TaskBoard,
    TaskCompleted,
    TaskPeriod,
    TaskProgress,
    TaskProgressed,
    TaskStatus,
)
from sirui.rules import LogPruned, PruneLog

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")  # a Wednesday
BOARD = TaskBoard((
    Task("follow", "follow", 50),
    Task("profile", "profile", 30),
    Task("first_order", "first_order", 100, coupon_template="tpl-newbie"),
    Task("review", "review", 10, TaskPeriod.DAILY, max_completions=3),
    Task("share3", "share", 20, TaskPeriod.DAILY, target=3),
    Task("weekly_share", "share", 100, TaskPeriod.WEEKLY, target=10),
))


def points(progress: TaskProgress, action: str, now: pendulum.DateTime, i: int) -> tuple[
    TaskProgress, int
]:
    """The progress after the action, and the points its completions pay (0 if refused)."""
    out = progress.handle(RecordAction(f"a{i}", action), now=now)
    return out.state, sum(e.points for e in out.events if isinstance(e, TaskCompleted))


def test_following_the_account_pays_once() -> None:
    p = TaskProgress("m1", BOARD)
    p, got = points(p, "follow", NOW, 1)
    assert got == 50
    assert p.status("follow", NOW.add(days=30)) is TaskStatus.CAPPED
    again = p.handle(RecordAction("a2", "follow"), now=NOW.add(days=30))
    assert again.reason.code == "task.capped"
    assert again.state is p


def test_an_action_no_task_counts_is_refused_and_not_recorded() -> None:
    p = TaskProgress("m1", BOARD)
    out = p.handle(RecordAction("a1", "like"), now=NOW)
    assert out.reason.code == "task.not_tracked"
    assert out.state is p and "a1" not in p.log
    late = TaskBoard((Task("d11", "share", 5, window=Window(NOW.subtract(days=2), NOW)),))
    closed = TaskProgress("m1", late).handle(RecordAction("a1", "share"), now=NOW)
    assert closed.reason.code == "task.not_open"


def test_progress_is_an_event_and_the_table_skips_capped_tasks() -> None:
    assert (TaskStatus.CAPPED, RecordAction) not in TASK_TRANSITIONS
    p = TaskProgress("m1", BOARD)
    out = p.handle(RecordAction("a1", "share"), now=NOW)
    assert out.events == (
        TaskProgressed("a1", "m1", "share3", "2026-11-11", 1, 3),
        TaskProgressed("a1", "m1", "weekly_share", "2026-11-09", 1, 10),
    )
    out = out.state.handle(RecordAction("a2", "share", times=5), now=NOW)
    # share3 caps at 3 (one completion); the weekly quest counts on alone afterwards
    assert [type(e).__name__ for e in out.events] == [
        "TaskProgressed", "TaskCompleted", "TaskProgressed",
    ]
    assert out.state.status("share3", NOW) is TaskStatus.CAPPED
    more = out.state.handle(RecordAction("a3", "share"), now=NOW)
    assert [e.task for e in more.events] == ["weekly_share"]


def test_a_progress_saved_and_loaded_replays() -> None:
    out = TaskProgress("m1", BOARD).handle(RecordAction("a1", "review"), now=NOW)
    stored = reload(out.state)
    assert stored == out.state
    again = stored.handle(RecordAction("a1", "review"), now=NOW.add(hours=1))
    assert again.state is stored and again.events == out.events
    with pytest.raises(InvalidCommandError, match="not a task command"):
        stored.handle("review", now=NOW)  # type: ignore[arg-type]


def test_reviews_pay_10_points_up_to_3_times_a_day() -> None:
    p = TaskProgress("m1", BOARD)
    total = 0
    for i in range(5):
        p, got = points(p, "review", NOW.add(minutes=i), i)
        total += got
    assert total == 30
    p, got = points(p, "review", NOW.add(days=1), 9)
    assert got == 10


def test_share_three_times_a_day_and_ten_times_a_week() -> None:
    p = TaskProgress("m1", BOARD)
    paid = []
    for i in range(12):
        day = NOW.add(days=i // 3)  # 3 shares a day, Wed..Sat
        p, got = points(p, "share", day.add(minutes=i), i)
        paid.append(got)
    # every third share completes the daily quest; the 10th of the week adds 100
    assert paid == [0, 0, 20, 0, 0, 20, 0, 0, 20, 100, 0, 20]
    # next Monday starts a new week
    assert p.count("weekly_share", NOW.add(days=5)) == 0


def test_first_order_names_a_coupon_and_replays_count_once() -> None:
    p = TaskProgress("m1", BOARD)
    out = p.handle(RecordAction("o1", "first_order"), now=NOW)
    assert out.events[1].coupon_template == "tpl-newbie"
    again = out.state.handle(RecordAction("o1", "first_order"), now=NOW)
    assert again.state is out.state
    assert again.events == out.events
    with pytest.raises(IdConflictError):
        out.state.handle(RecordAction("o1", "review"), now=NOW)


def test_bad_tasks_are_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        Task("x", "share", 0)
    with pytest.raises(InvalidPolicyError):
        Task("x", "share", 10, target=0)
    with pytest.raises(InvalidPolicyError):
        TaskBoard((Task("x", "a", 1), Task("x", "b", 1)))


@given(st.lists(st.tuples(st.sampled_from(["review", "share", "follow"]), st.integers(1, 4),
                          st.integers(0, 30)), max_size=30))
def test_completions_never_exceed_the_caps(actions: list[tuple[str, int, int]]) -> None:
    p = TaskProgress("m1", BOARD)
    now = NOW
    paid: dict[tuple[str, str], int] = {}
    for i, (action, times, hours) in enumerate(actions):
        now = now.add(hours=hours)
        out = p.handle(RecordAction(f"a{i}", action, times), now=now)
        for e in out.events:
            if isinstance(e, TaskCompleted):
                paid[(e.task, e.period)] = paid.get((e.task, e.period), 0) + 1
        p = out.state
    caps = {t.code: t.max_completions for t in BOARD.tasks}
    assert all(n <= caps[task] for (task, _), n in paid.items())


@given(st.sampled_from(TaskPeriod), st.integers(1, 10), st.integers(1, 5), st.integers(0, 99))
def test_task_board_round_trips(period: TaskPeriod, target: int, cap: int, pts: int) -> None:
    board = TaskBoard((Task("t", "share", pts + 1, period, target, cap, "tpl"),))
    assert load(dump(board)) == board


class TaskMachine(RuleBasedStateMachine):
    """Random actions over days and weeks against per-period counters."""

    @initialize(retention=st.integers(0, 3))
    def setup(self, retention: int) -> None:
        # a one-week quest with a window, besides the board's tasks
        promo = Task("promo", "like", 5, TaskPeriod.DAILY, target=2, max_completions=2,
                     window=Window(NOW.add(days=1), NOW.add(days=8)))
        self.board = TaskBoard((*BOARD.tasks, promo), log_retention_days=retention)
        self.progress = TaskProgress("m1", self.board)
        self.now = NOW
        self.counts: dict[tuple[str, str], int] = {}
        self.logged: dict[str, tuple[object, tuple[object, ...], object]] = {}
        self.n = 0

    def _verdict(self, action: str) -> tuple[str | None, list[Task]]:
        tracking = [t for t in self.board.tasks if t.action == action]
        cap = {t.code: t.target * t.max_completions for t in tracking}
        legal = [t for t in tracking
                 if self.counts.get((t.code, t.period_key(self.now)), 0) < cap[t.code]]
        running = [t for t in legal if t.window is None or t.window.contains(self.now)]
        if running:
            return None, running
        if not tracking:
            return "task.not_tracked", []
        return ("task.capped" if not legal else "task.not_open"), []

    @rule(action=st.sampled_from(["review", "share", "follow", "profile", "like", "poke"]),
          times=st.integers(1, 4))
    def act(self, action: str, times: int) -> None:
        self.n += 1
        cmd = RecordAction(f"a{self.n}", action, times)
        out = self.progress.handle(cmd, now=self.now)
        expect, running = self._verdict(action)
        if expect is not None:
            assert not out.ok and out.reason.code == expect, (out, expect)
            assert out.state is self.progress and not out.events
            return
        assert out.ok, out
        for task in running:
            key = (task.code, task.period_key(self.now))
            before = self.counts.get(key, 0)
            cap = task.target * task.max_completions
            after = min(before + times, cap)
            self.counts[key] = after
            new = after // task.target - before // task.target
            mine = [e for e in out.events if e.task == task.code]
            assert mine[0] == TaskProgressed(cmd.id, "m1", task.code, key[1], after, cap)
            assert len(mine) == 1 + new
            assert all(e.points == task.points for e in mine[1:])
        assert {e.task for e in out.events} == {t.code for t in running}
        self.logged[cmd.id] = (cmd, out.events, self.now)
        self.progress = out.state

    @rule(hours=st.integers(1, 60))
    def later(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule()
    def prune(self) -> None:
        self.n += 1
        out = self.progress.handle(PruneLog(f"p{self.n}"), now=self.now)
        before = self.now.subtract(days=self.board.log_retention_days)
        gone = [i for i, (_, _, at) in self.logged.items() if at < before]  # type: ignore[operator]
        assert out.events == (LogPruned(before, len(gone)),)
        for i in gone:
            del self.logged[i]
        self.progress = out.state
        self.logged[f"p{self.n}"] = (PruneLog(f"p{self.n}"), out.events, self.now)
        assert len(self.progress.log) == len(self.logged)

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.progress)
        assert stored == self.progress
        self.progress = stored

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events, _ = self.logged[data.draw(st.sampled_from(sorted(self.logged)))]
        again = self.progress.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert again.state is self.progress and again.events == events

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(sorted(self.logged)))
        with pytest.raises(IdConflictError):
            self.progress.handle(RecordAction(cid, "never-sent", 9), now=self.now)

    @invariant()
    def counts_agree(self) -> None:
        for task in self.board.tasks:
            key = (task.code, task.period_key(self.now))
            assert self.progress.count(task.code, self.now) == self.counts.get(key, 0)
            assert self.progress.completions(task.code, self.now) <= task.max_completions


TestTaskMachine = TaskMachine.TestCase


def test_the_docs_diagram_is_the_table() -> None:
    from pathlib import Path

    from sirui.rules import state_diagram

    page = Path(__file__).resolve().parents[3] / "docs" / "mechanics" / "signin.md"
    assert state_diagram(TASK_TRANSITIONS) in page.read_text("utf-8")
