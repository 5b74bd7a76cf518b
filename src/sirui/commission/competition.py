"""Guide competitions (导购竞赛): rank guides over a period by one metric.

Metrics: sales (paid amount, refunds count negative), new members
recruited, shares of mall pages. Activities outside the contest window, or
by guides not taking part, are ignored.

Tie-break rule (documented and stable): a higher score ranks first; at equal
scores the guide who *reached* their final score first ranks first (the
time of their last counted activity, earlier wins: they got there sooner);
if that is equal too, guide ids in ascending order. Ranks are therefore
unique, 1..n, and the ranking does not depend on the input order.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, non_negative_int
from sirui.core.windows import DateTime, Window, aware

__all__ = ["Activity", "Competition", "CompetitionMetric", "Standing"]


class CompetitionMetric(enum.Enum):
    SALES = "sales"
    """Paid amount in fen (销售额)."""
    NEW_MEMBERS = "new_members"
    """Members recruited (拉新)."""
    SHARES = "shares"
    """Shares of mall pages (分享次数)."""


@attrs.frozen(slots=True)
class Activity:
    """One scored event of a guide: a sale (fen), a new member (1) or a share (1)."""

    guide: str = attrs.field(validator=non_empty_str)
    metric: CompetitionMetric
    value: int
    at: DateTime = attrs.field(converter=aware)

    def __attrs_post_init__(self) -> None:
        if type(self.value) is not int:
            raise invalid("value", self.value, "must be an int (fen for sales, counts otherwise)")

    @classmethod
    def sale(cls, guide: str, amount: Money, at: DateTime) -> Activity:
        return cls(guide, CompetitionMetric.SALES, amount.minor, at)

    @classmethod
    def new_member(cls, guide: str, at: DateTime) -> Activity:
        return cls(guide, CompetitionMetric.NEW_MEMBERS, 1, at)

    @classmethod
    def share(cls, guide: str, at: DateTime) -> Activity:
        return cls(guide, CompetitionMetric.SHARES, 1, at)


@attrs.frozen(slots=True)
class Standing:
    """A guide's place: unique rank, score and when the score was reached."""

    rank: int
    guide: str
    score: int
    reached_at: DateTime


@policy("competition.contest")
@attrs.frozen(slots=True)
class Competition:
    """A guide contest over ``[start, end)`` on one metric (导购竞赛).

    ``guides`` limits who takes part (empty: everyone with an activity);
    ``top`` keeps only the first N standings (0: all).
    """

    id: str = attrs.field(validator=non_empty_str)
    metric: CompetitionMetric
    start: DateTime = attrs.field(converter=aware)
    end: DateTime = attrs.field(converter=aware)
    guides: frozenset[str] = frozenset()
    top: int = attrs.field(default=0, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise invalid("end", self.end, f"must be after start={self.start}")

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)

    def rank(self, activities: Iterable[Activity]) -> tuple[Standing, ...]:
        """Standings by score, then earliest time reaching it, then guide id."""
        score: dict[str, int] = {}
        reached: dict[str, DateTime] = {}
        for a in activities:
            if a.metric is not self.metric or not (self.start <= a.at < self.end):
                continue
            if self.guides and a.guide not in self.guides:
                continue
            score[a.guide] = score.get(a.guide, 0) + a.value
            last = reached.get(a.guide)
            if last is None or a.at > last:
                reached[a.guide] = a.at
        order = sorted(score, key=lambda g: (-score[g], reached[g], g))
        if self.top:
            order = order[: self.top]
        return tuple(Standing(i + 1, g, score[g], reached[g]) for i, g in enumerate(order))
