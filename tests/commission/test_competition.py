"""Guide competitions: rankings by sales, new members, shares; the tie-break rule."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import Activity, Competition, CompetitionMetric
from sirui.core.errors import InvalidPolicyError

from ._shop import NOW, yuan

START, END = NOW.subtract(days=10), NOW.add(days=10)


def contest(metric: CompetitionMetric, **kw: object) -> Competition:
    return Competition("double-11", metric, START, END, **kw)  # type: ignore[arg-type]


def test_sales_ranking_counts_refunds_and_ignores_activity_outside_the_period() -> None:
    acts = [
        Activity.sale("g1", yuan("500"), NOW),
        Activity.sale("g2", yuan("800"), NOW),
        Activity.sale("g2", yuan("-400"), NOW.add(hours=1)),     # refund
        Activity.sale("g3", yuan("9999"), END),                  # too late
        Activity.new_member("g3", NOW),                          # other metric
    ]
    got = [(s.rank, s.guide, s.score) for s in contest(CompetitionMetric.SALES).rank(acts)]
    assert got == [(1, "g1", 50000), (2, "g2", 40000)]


def test_ties_go_to_whoever_reached_the_score_first_then_by_id() -> None:
    acts = [
        Activity.new_member("g2", NOW.subtract(days=2)),
        Activity.new_member("g2", NOW),              # g2 reaches 2 at NOW
        Activity.new_member("g1", NOW.subtract(days=1)),
        Activity.new_member("g1", NOW.subtract(hours=1)),  # g1 reaches 2 an hour earlier
        Activity.new_member("g4", NOW.subtract(days=3)),
        Activity.new_member("g3", NOW.subtract(days=3)),   # g3 and g4 tie fully: by id
    ]
    got = [(s.rank, s.guide) for s in contest(CompetitionMetric.NEW_MEMBERS).rank(acts)]
    assert got == [(1, "g1"), (2, "g2"), (3, "g3"), (4, "g4")]


def test_participants_and_top_n() -> None:
    acts = [Activity.share(g, NOW) for g in ("g1", "g2", "g2", "g3", "g3", "g3")]
    c = contest(CompetitionMetric.SHARES, guides=frozenset({"g1", "g2"}))
    assert [s.guide for s in c.rank(acts)] == ["g2", "g1"]
    assert [s.guide for s in contest(CompetitionMetric.SHARES, top=1).rank(acts)] == ["g3"]


def test_a_contest_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidPolicyError):
        Competition("x", CompetitionMetric.SALES, END, START)


@given(st.lists(st.tuples(st.sampled_from(["g1", "g2", "g3", "g4"]), st.integers(-5, 50),
                          st.integers(0, 48)), max_size=20), st.randoms())
def test_ranking_is_unique_sorted_and_independent_of_input_order(
    rows: list[tuple[str, int, int]], rnd: random.Random
) -> None:
    acts = [Activity(g, CompetitionMetric.SHARES, v, START.add(hours=h)) for g, v, h in rows]
    c = contest(CompetitionMetric.SHARES)
    standings = c.rank(acts)
    shuffled = list(acts)
    rnd.shuffle(shuffled)
    assert c.rank(shuffled) == standings
    assert [s.rank for s in standings] == list(range(1, len(standings) + 1))
    keys = [(-s.score, s.reached_at, s.guide) for s in standings]
    assert keys == sorted(keys)
