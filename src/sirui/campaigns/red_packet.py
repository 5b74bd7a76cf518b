"""Red packets (拼手气红包): split a sum among N members at random, exactly.

Three split rules:

* `SplitRule.DOUBLE_MEAN` (二倍均值, the common rule and the default): each
  grabber but the last takes a uniform random amount in
  ``[1, 2 * remaining / people_left - 1]`` fen (never more than leaves 1 fen
  for each later grabber); the last takes the rest. Every grabber's expected
  amount is the mean, whatever their position.
* `SplitRule.UNIFORM`: a composition of the total into N positive parts
  chosen uniformly among all compositions (N-1 distinct cut points drawn
  without replacement from the T-1 gaps between fen).
* `SplitRule.EQUAL`: a fixed split (普通红包); leftover fen go to the first
  grabbers (largest remainder, `Money.split`).

Invariants: every part is at least 1 fen and the parts sum exactly to the
total. Parts are listed in grab order. The best hand (手气最佳) is the
largest part; ties go to the earliest grabber (the lowest index), so there
is always exactly one best hand.

Randomness is the ``rng`` argument: ``secrets.SystemRandom()`` in
production, a seeded ``random.Random`` in tests.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.registry import policy

__all__ = ["Grab", "RedPacket", "RedPacketSplit", "SplitRule", "best_hand", "split_amount"]


class SplitRule(enum.Enum):
    """How a red packet's total is split."""

    DOUBLE_MEAN = "double_mean"
    """二倍均值: each grab uniform in [1, 2x the remaining mean - 1] fen."""
    UNIFORM = "uniform"
    """A uniformly random composition of the total into N positive parts."""
    EQUAL = "equal"
    """Equal parts (普通红包), leftover fen to the first grabbers."""


def _check_split(total: Money, count: int) -> None:
    if not isinstance(total, Money):
        raise invalid("total", total, "must be Money", "e.g. Money.of('8.88')")
    if type(count) is not int or count < 1:
        raise invalid("count", count, "must be an int >= 1", "a red packet needs a grabber")
    if total.minor < count:
        raise invalid(
            "total", total, f"must be at least 1 fen per grabber ({count} fen for count={count})",
            "raise the total or lower the count",
        )


def split_amount(
    total: Money, count: int, rng: random.Random, rule: SplitRule = SplitRule.DOUBLE_MEAN
) -> tuple[Money, ...]:
    """Split ``total`` into ``count`` parts (grab order), each >= 1 fen, summing exactly.

    >>> import random
    >>> parts = split_amount(Money.of("10"), 3, random.Random(7))
    >>> sum(parts) == Money.of("10") and min(parts) >= Money(1)
    True
    """
    _check_split(total, count)
    cur, t = total.currency, total.minor
    if rule is SplitRule.EQUAL:
        return tuple(total.split(count))
    if rule is SplitRule.UNIFORM:
        cuts = sorted(rng.sample(range(1, t), count - 1))
        edges = [0, *cuts, t]
        return tuple(Money(edges[k + 1] - edges[k], cur) for k in range(count))
    parts: list[Money] = []
    left = t
    for k in range(count, 1, -1):
        # 二倍均值: uniform on [1, 2*left/k - 1], capped so each later grabber keeps >= 1 fen.
        high = min(max(1, 2 * left // k - 1), left - (k - 1))
        amount = rng.randint(1, high)
        parts.append(Money(amount, cur))
        left -= amount
    parts.append(Money(left, cur))
    return tuple(parts)


def best_hand(parts: Sequence[Money]) -> int:
    """Index of the best hand (手气最佳): the largest part, earliest grabber on ties."""
    if not parts:
        raise invalid("parts", parts, "need at least one part")
    best = 0
    for i in range(1, len(parts)):
        if parts[i].minor > parts[best].minor:
            best = i
    return best


@attrs.frozen(slots=True)
class Grab:
    """One member's grab from a red packet."""

    member_id: str
    amount: Money
    best_hand: bool


@attrs.frozen(slots=True)
class RedPacketSplit:
    """The parts of a red packet in grab order, and its best hand."""

    parts: tuple[Money, ...]

    @property
    def best_hand(self) -> int:
        return best_hand(self.parts)

    @property
    def total(self) -> Money:
        return sum(self.parts, Money.zero(self.parts[0].currency))

    def assign(self, member_ids: Sequence[str]) -> tuple[Grab, ...]:
        """Pair parts with members in grab order (first grabber takes part 0)."""
        if len(member_ids) > len(self.parts):
            raise invalid(
                "member_ids", len(member_ids), f"more grabbers than parts ({len(self.parts)})"
            )
        best = self.best_hand
        return tuple(
            Grab(m, self.parts[i], i == best and len(member_ids) == len(self.parts))
            for i, m in enumerate(member_ids)
        )


@policy("red_packet.group")
@attrs.frozen(slots=True)
class RedPacket:
    """A group red packet (群红包 / 拼手气红包): ``total`` split among ``count`` members.

    ``best_hand_claim_days``: if set, the best hand wins a gift to claim in
    store within that many days (手气最佳到店领取); the host records the claim.
    """

    total: Money
    count: int
    rule: SplitRule = SplitRule.DOUBLE_MEAN
    best_hand_claim_days: int | None = None

    def __attrs_post_init__(self) -> None:
        _check_split(self.total, self.count)
        d = self.best_hand_claim_days
        if d is not None and (type(d) is not int or d < 1):
            raise invalid("best_hand_claim_days", d, "must be None or an int >= 1")

    def split(self, rng: random.Random) -> RedPacketSplit:
        """Split by this packet's rule."""
        return RedPacketSplit(split_amount(self.total, self.count, rng, self.rule))
