"""Tier ladders (会员等级): ordered tiers, a qualification metric, thresholds, reviews.

A ladder names its tiers from the lowest (the base tier every member starts
at, threshold 0) to the highest, the metric that qualifies a member
(growth value 成长值, points earned, paid spend or order count), over all
time or a rolling window, and how tiers move:

* upgrade at once when the metric crosses a threshold (`UpgradeMode.IMMEDIATE`)
  or only at the periodic review (`UpgradeMode.AT_REVIEW`);
* at each review (end of a calendar day, week, month, quarter or year), a
  member whose metric is below their tier's *retention* threshold (保级门槛,
  defaults to the tier's threshold) keeps the tier, drops one level, or
  drops to the tier the metric qualifies for (`BelowRetention`), after an
  optional grace period.

A review judges the period that ended: the metric is taken *at the period's
end* (`TierLadder.review_end`), over the rolling window ending there, so a
review the host runs late gives the tier an on-time review would have given.
Any window goes with any review period: a 400-day window reviewed yearly
looks back 400 days from each 31 December midnight, so consecutive reviews
see the same 35 days twice, which is what an operator who chose it wants.

Invariants enforced on construction: at least one tier; codes unique;
thresholds start at 0 and strictly increase; a retention threshold is
between 0 and its tier's threshold.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from sirui.core.errors import invalid
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, non_negative_int, opt_positive_int
from sirui.core.windows import DEFAULT_TZ, DateTime, PeriodKind, aware, period_containing, tz_name
from sirui.loyalty.members.growth import GrowthRules

__all__ = ["BelowRetention", "Tier", "TierLadder", "TierMetric", "UpgradeMode"]


class TierMetric(enum.Enum):
    """What qualifies a member for a tier."""

    GROWTH = "growth"
    """Growth value (成长值)."""
    POINTS = "points"
    """Points earned (累计获得积分), not the balance."""
    SPEND = "spend"
    """Paid spend net of refunds, in fen (累计消费; 100000 is ¥1,000)."""
    ORDERS = "orders"
    """Paid orders not fully refunded (消费次数)."""


class UpgradeMode(enum.Enum):
    IMMEDIATE = "immediate"
    """Upgrade as soon as the metric crosses a threshold (实时升级)."""
    AT_REVIEW = "at_review"
    """Upgrade only at the periodic review (定期评定)."""


class BelowRetention(enum.Enum):
    """What a review does to a member below their tier's retention threshold."""

    KEEP = "keep"
    """Never downgrade by review (只升不降)."""
    DROP_ONE = "drop_one"
    """Drop one level (降一级)."""
    DROP_TO_QUALIFIED = "drop_to_qualified"
    """Drop to the tier the metric qualifies for (按实际成长值重新定级)."""


@policy("tier.tier")
@attrs.frozen(slots=True)
class Tier:
    """One rung of a ladder (等级), e.g. ``Tier("gold", "黄金", 2000)``.

    ``threshold`` is in the ladder's metric units (fen for spend);
    ``retention`` is the metric needed to keep the tier at review (保级),
    ``None`` meaning the threshold itself.
    """

    code: str = attrs.field(validator=non_empty_str)
    name: str = ""
    threshold: int = attrs.field(default=0, validator=non_negative_int)
    retention: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.retention is not None and (
            type(self.retention) is not int or not 0 <= self.retention <= self.threshold
        ):
            raise invalid(
                "retention", self.retention, f"must be an int in 0..threshold ({self.threshold})",
                "a retention above the threshold would fail a member the day they upgrade",
            )

    @property
    def keep_at(self) -> int:
        """The metric needed to keep this tier at review."""
        return self.threshold if self.retention is None else self.retention

    @property
    def label(self) -> str:
        return self.name or self.code


def _tier_tuple(value: Iterable[Tier]) -> tuple[Tier, ...]:
    return tuple(value)


@policy("tier.ladder")
@attrs.frozen(slots=True)
class TierLadder:
    """会员等级体系: ordered tiers, their metric and how members move between them.

    >>> ladder = TierLadder((Tier("normal", "普通"), Tier("silver", "白银", 500),
    ...                      Tier("gold", "黄金", 2000), Tier("diamond", "钻石", 8000)))
    >>> ladder.qualified(2500).code
    'gold'
    """

    tiers: tuple[Tier, ...] = attrs.field(converter=_tier_tuple)
    metric: TierMetric = TierMetric.GROWTH
    window_days: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Rolling window of the metric (近N天); ``None`` counts all time. Any length goes
    with any review period."""
    upgrade: UpgradeMode = UpgradeMode.IMMEDIATE
    review: PeriodKind | None = None
    """Calendar period after which tiers are reviewed (in ``tz``); ``None`` never reviews."""
    below_retention: BelowRetention = BelowRetention.DROP_TO_QUALIFIED
    grace_days: int = attrs.field(default=0, validator=non_negative_int)
    """Days a member below retention keeps the tier after a review (保级宽限期)."""
    refund_downgrades: bool = True
    """A refund that takes the metric below retention drops the tier at once."""
    growth: GrowthRules = attrs.field(factory=GrowthRules)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """How long a `MemberStanding` remembers accepted command ids for replays (`PruneLog`)."""
    _thresholds: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)
    _index: Mapping[str, int] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.tiers:
            raise invalid("tiers", (), "a ladder needs at least one tier", "add a base tier")
        codes: set[str] = set()
        for i, t in enumerate(self.tiers):
            if not isinstance(t, Tier):
                raise invalid(f"tiers[{i}]", t, "must be a Tier")
            if t.code in codes:
                raise invalid(f"tiers[{i}].code", t.code, "duplicate tier code",
                              "give every tier its own code")
            codes.add(t.code)
            if i == 0 and t.threshold != 0:
                raise invalid("tiers[0].threshold", t.threshold,
                              "the base tier's threshold must be 0",
                              "every member starts on the first tier")
            if i > 0 and t.threshold <= self.tiers[i - 1].threshold:
                raise invalid(f"tiers[{i}].threshold", t.threshold,
                              f"must be above tiers[{i - 1}].threshold="
                              f"{self.tiers[i - 1].threshold}",
                              "list tiers from lowest to highest with increasing thresholds")
        object.__setattr__(self, "_thresholds", tuple(t.threshold for t in self.tiers))
        object.__setattr__(self, "_index",
                           MappingProxyType({t.code: i for i, t in enumerate(self.tiers)}))

    @property
    def base(self) -> Tier:
        return self.tiers[0]

    def index(self, code: str) -> int:
        """Position of tier ``code`` (0 is the base); unknown codes raise."""
        try:
            return self._index[code]
        except KeyError:
            raise invalid("tier", code, f"not on this ladder ({', '.join(self._index)})") from None

    def tier(self, code: str) -> Tier:
        return self.tiers[self.index(code)]

    def qualified(self, metric: int) -> Tier:
        """The highest tier whose threshold ``metric`` reaches."""
        return self.tiers[max(bisect.bisect_right(self._thresholds, metric) - 1, 0)]

    def review_end(self, now: DateTime) -> DateTime | None:
        """The end of the latest review period that has ended at ``now`` (None: no review).

        A review run at ``now`` judges that period, as of that instant: run on
        2027-01-03 or at 2027-01-01 00:00 (31 December at midnight), a yearly
        review in Asia/Shanghai judges 2026 as it stood at 2027-01-01 00:00.
        """
        if self.review is None:
            return None
        return period_containing(self.review, aware(now), self.tz).start

    def next_above(self, code: str) -> Tier | None:
        i = self.index(code)
        return self.tiers[i + 1] if i + 1 < len(self.tiers) else None
