"""Red packets (拼手气红包): exact splits, at least 1 fen each, best hand ties."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.campaigns.red_packet import (
    Grab,
    RedPacket,
    RedPacketSplit,
    SplitRule,
    best_hand,
    split_amount,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money

from .test_lottery_fairness import CRITICAL_001


def test_88_yuan_among_8_members_double_mean() -> None:
    # 群红包88元, 8人拼手气: parts sum to exactly 88 yuan, everyone gets at least 1 fen.
    parts = split_amount(Money.of("88"), 8, random.Random(2026))
    assert len(parts) == 8
    assert sum(parts) == Money.of("88")
    assert min(parts) >= Money.of("0.01")
    # Double the remaining mean: the first grabber gets less than 2 x 11 yuan.
    assert parts[0] < Money.of("22")


def test_equal_split_gives_leftover_fen_to_first_grabbers() -> None:
    assert split_amount(Money.of("1"), 3, random.Random(1), SplitRule.EQUAL) == (
        Money.of("0.34"), Money.of("0.33"), Money.of("0.33"))


def test_three_fen_among_three_members_is_one_fen_each() -> None:
    for rule in SplitRule:
        assert split_amount(Money(3), 3, random.Random(1), rule) == (Money(1),) * 3


def test_best_hand_ties_go_to_the_earliest_grabber() -> None:
    parts = (Money.of("2"), Money.of("5"), Money.of("1"), Money.of("5"))
    assert best_hand(parts) == 1
    grabs = RedPacketSplit(parts).assign(["a", "b", "c", "d"])
    assert [g.best_hand for g in grabs] == [False, True, False, False]
    assert grabs[1] == Grab("b", Money.of("5"), True)
    # Until everyone has grabbed, nobody is the best hand yet.
    assert not any(g.best_hand for g in RedPacketSplit(parts).assign(["a", "b"]))


@pytest.mark.parametrize(
    ("total", "count", "field"),
    [(Money(2), 3, "total"), (Money(100), 0, "count"), (Money(100), -1, "count"),
     (Money(0), 1, "total")],
)
def test_impossible_packets_raise(total: Money, count: int, field: str) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        RedPacket(total, count)
    assert info.value.field == field
    with pytest.raises(InvalidPolicyError):
        split_amount(total, count, random.Random(1))


@given(st.integers(1, 200), st.integers(0, 100_000), st.sampled_from(SplitRule),
       st.randoms(use_true_random=False))
def test_parts_sum_exactly_and_each_is_at_least_one_fen(
    count: int, extra: int, rule: SplitRule, rng: random.Random
) -> None:
    total = Money(count + extra)
    packet = RedPacket(total, count, rule)
    split = packet.split(rng)
    assert len(split.parts) == count
    assert split.total == total
    assert all(p.minor >= 1 for p in split.parts)
    b = split.best_hand
    assert all(p <= split.parts[b] for p in split.parts)
    assert all(p < split.parts[b] for p in split.parts[:b])


@given(st.builds(RedPacket, st.integers(10, 100_000).map(Money), st.integers(1, 10),
                 st.sampled_from(SplitRule), st.none() | st.integers(1, 3)))
def test_red_packet_round_trips(packet: RedPacket) -> None:
    assert load(dump(packet)) == packet


def test_uniform_composition_is_uniform() -> None:
    # 5 fen among 3: C(4, 2) = 6 compositions, each with probability 1/6 (chi-square, df 5).
    rng = random.Random(42)
    counts: dict[tuple[int, ...], int] = {}
    n = 30_000
    for _ in range(n):
        key = tuple(p.minor for p in split_amount(Money(5), 3, rng, SplitRule.UNIFORM))
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6
    stat = sum((c - n / 6) ** 2 / (n / 6) for c in counts.values())
    assert stat < CRITICAL_001[5]


def test_double_mean_is_fair_to_every_position() -> None:
    # Each grabber's expected amount is the mean (10 yuan), whatever the grab order.
    rng = random.Random(7)
    sums = [0] * 5
    runs = 4000
    for _ in range(runs):
        for i, p in enumerate(split_amount(Money.of("50"), 5, rng)):
            sums[i] += p.minor
    means = [s / runs for s in sums]
    assert all(abs(m - 1000) < 50 for m in means), means
