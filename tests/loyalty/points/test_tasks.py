"""Tasks (任务体系) and action rewards: once, daily, weekly quests with caps."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidPolicyError
from sirui.loyalty.points import RecordAction, Task, TaskBoard, TaskPeriod, TaskProgress

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
    out = progress.handle(RecordAction(f"a{i}", action), now=now)
    return out.state, sum(e.points for e in out.events)


def test_following_the_account_pays_once() -> None:
    p = TaskProgress("m1", BOARD)
    p, got = points(p, "follow", NOW, 1)
    assert got == 50
    p, got = points(p, "follow", NOW.add(days=30), 2)
    assert got == 0


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
    assert out.events[0].coupon_template == "tpl-newbie"
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

    @initialize()
    def setup(self) -> None:
        self.progress = TaskProgress("m1", BOARD)
        self.now = NOW
        self.counts: dict[tuple[str, str], int] = {}
        self.n = 0

    @rule(action=st.sampled_from(["review", "share", "follow", "profile", "like"]),
          times=st.integers(1, 4))
    def act(self, action: str, times: int) -> None:
        self.n += 1
        out = self.progress.handle(RecordAction(f"a{self.n}", action, times), now=self.now)
        for task in BOARD.tasks:
            if task.action != action:
                continue
            key = (task.code, task.period_key(self.now))
            before = self.counts.get(key, 0)
            after = min(before + times, task.target * task.max_completions)
            self.counts[key] = after
            new = after // task.target - before // task.target
            got = [e for e in out.events if e.task == task.code]
            assert len(got) == new
            assert all(e.points == task.points for e in got)
        self.progress = out.state

    @rule(hours=st.integers(1, 60))
    def later(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @invariant()
    def counts_agree(self) -> None:
        for task in BOARD.tasks:
            key = (task.code, task.period_key(self.now))
            assert self.progress.count(task.code, self.now) == self.counts.get(key, 0)
            assert self.progress.completions(task.code, self.now) <= task.max_completions


TestTaskMachine = TaskMachine.TestCase
