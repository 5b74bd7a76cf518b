"""RFM segmentation (RFM模型): recency, frequency and monetary into eight classic segments.

Each member is *high* or *low* on R (bought recently), F (buys often) and M
(spends much); the eight combinations are the classic segments
(重要价值客户 ... 一般挽留客户). The cut between high and low is either the
operator's thresholds (`RfmThresholds`) or a quantile of the population
being scored (`RfmPolicy.quantile`, the median by default).

Definitions, so every member's segment is defined and deterministic:

* recency is whole days since the last order in the store's zone
  (`recency_days`); R is high when ``recency <= cuts.recent_within_days``;
* F is high when ``frequency >= cuts.frequency_at_least``; M is high when
  ``monetary (fen) >= cuts.monetary_at_least``;
* quantile cuts: with the population's values sorted ascending, the cut
  value ``c`` is the element at index ``floor(q * (n - 1))``; a member is
  high only when *strictly better* than ``c`` (F, M above it; recency
  below it), so ties at the cut are low and a population of equal members
  is all low;
* the batch function `rfm_segments` works on plain columns (lists or
  tuples) and, when numpy is importable, may use it: both paths give the
  same segments, element for element.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import non_negative_int, non_negative_money
from sirui.core.windows import DEFAULT_TZ, DateTime, local_date

__all__ = [
    "RfmCuts",
    "RfmPolicy",
    "RfmSegment",
    "RfmThresholds",
    "recency_days",
    "rfm_cuts",
    "rfm_segment",
    "rfm_segments",
]


class RfmSegment(enum.Enum):
    """The eight classic RFM segments; ``zh`` gives the operator's name."""

    IMPORTANT_VALUE = "important_value"
    """R high, F high, M high (重要价值客户)."""
    IMPORTANT_DEVELOP = "important_develop"
    """R high, F low, M high (重要发展客户)."""
    IMPORTANT_KEEP = "important_keep"
    """R low, F high, M high (重要保持客户)."""
    IMPORTANT_RETAIN = "important_retain"
    """R low, F low, M high (重要挽留客户)."""
    GENERAL_VALUE = "general_value"
    """R high, F high, M low (一般价值客户)."""
    GENERAL_DEVELOP = "general_develop"
    """R high, F low, M low (一般发展客户)."""
    GENERAL_KEEP = "general_keep"
    """R low, F high, M low (一般保持客户)."""
    GENERAL_RETAIN = "general_retain"
    """R low, F low, M low (一般挽留客户)."""

    @property
    def zh(self) -> str:
        return _ZH[self]

    @property
    def important(self) -> bool:
        """High monetary value (重要)."""
        return self.value.startswith("important")


_ZH: Final = {
    RfmSegment.IMPORTANT_VALUE: "重要价值",
    RfmSegment.IMPORTANT_DEVELOP: "重要发展",
    RfmSegment.IMPORTANT_KEEP: "重要保持",
    RfmSegment.IMPORTANT_RETAIN: "重要挽留",
    RfmSegment.GENERAL_VALUE: "一般价值",
    RfmSegment.GENERAL_DEVELOP: "一般发展",
    RfmSegment.GENERAL_KEEP: "一般保持",
    RfmSegment.GENERAL_RETAIN: "一般挽留",
}

#: Segment by code ``R*4 + F*2 + M`` (1 = high).
_BY_CODE: Final[tuple[RfmSegment, ...]] = (
    RfmSegment.GENERAL_RETAIN,  # 000
    RfmSegment.IMPORTANT_RETAIN,  # 001
    RfmSegment.GENERAL_KEEP,  # 010
    RfmSegment.IMPORTANT_KEEP,  # 011
    RfmSegment.GENERAL_DEVELOP,  # 100
    RfmSegment.IMPORTANT_DEVELOP,  # 101
    RfmSegment.GENERAL_VALUE,  # 110
    RfmSegment.IMPORTANT_VALUE,  # 111
)


@policy("segment.rfm_thresholds")
@attrs.frozen(slots=True)
class RfmThresholds:
    """Operator thresholds: 近30天内购买, 购买≥3次, 消费≥¥1,000 are high."""

    recent_within_days: int = attrs.field(validator=non_negative_int)
    frequency_at_least: int = attrs.field(validator=non_negative_int)
    monetary_at_least: Money = attrs.field(validator=non_negative_money)

    def cuts(self) -> RfmCuts:
        return RfmCuts(self.recent_within_days, self.frequency_at_least,
                       self.monetary_at_least.minor)


def _quantile(_inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        raise invalid(attribute.name, value, "must be in [0, 1]", "the median is '0.5'")


@policy("segment.rfm")
@attrs.frozen(slots=True)
class RfmPolicy:
    """RFM模型: fixed thresholds, or cuts at ``quantile`` of the scored population."""

    thresholds: RfmThresholds | None = None
    quantile: Decimal = attrs.field(default=Decimal("0.5"), validator=_quantile)


@attrs.frozen(slots=True)
class RfmCuts:
    """The cuts actually applied (``recent_within_days`` may be -1: nobody is recent)."""

    recent_within_days: int
    frequency_at_least: int
    monetary_at_least: int
    """In fen."""


def recency_days(last_order_at: DateTime, now: DateTime, tz: str = DEFAULT_TZ) -> int:
    """Whole calendar days from the last order to ``now`` in zone ``tz`` (0 = today)."""
    return max((local_date(now, tz) - local_date(last_order_at, tz)).days, 0)


def rfm_segment(recency: int, frequency: int, monetary: int, cuts: RfmCuts) -> RfmSegment:
    """One member's segment under ``cuts`` (monetary in fen)."""
    code = (
        ((recency <= cuts.recent_within_days) << 2)
        | ((frequency >= cuts.frequency_at_least) << 1)
        | (monetary >= cuts.monetary_at_least)
    )
    return _BY_CODE[code]


def _check_column(name: str, values: Sequence[int], n: int) -> None:
    if len(values) != n:
        raise InvalidValueError(
            f"{name}: {len(values)} values for {n} members; columns must have equal length",
            field=name,
        )
    if n and min(values) < 0:
        raise InvalidValueError(f"{name}: values must be >= 0, got {min(values)}", field=name)


def _cut_index(q: Decimal, n: int) -> int:
    return int((q * (n - 1)).to_integral_value(rounding=ROUND_FLOOR))


def rfm_cuts(
    policy: RfmPolicy,
    recency: Sequence[int],
    frequency: Sequence[int],
    monetary: Sequence[int],
) -> RfmCuts:
    """The cuts ``policy`` gives for this population (thresholds, or quantiles of it)."""
    if policy.thresholds is not None:
        return policy.thresholds.cuts()
    n = len(recency)
    if n == 0:
        return RfmCuts(-1, 1, 1)
    i = _cut_index(policy.quantile, n)
    r = sorted(recency)[i]
    f = sorted(frequency)[i]
    m = sorted(monetary)[i]
    return RfmCuts(r - 1, f + 1, m + 1)


def _numpy() -> Any:
    try:
        import numpy
    except ModuleNotFoundError:  # pragma: no cover - numpy is an optional extra
        return None
    return numpy


def rfm_segments(
    policy: RfmPolicy,
    recency: Sequence[int],
    frequency: Sequence[int],
    monetary: Sequence[int],
    *,
    use_numpy: bool | None = None,
) -> list[RfmSegment]:
    """Segments of a population given as columns (recency days, orders, fen).

    ``use_numpy=None`` uses numpy when it is importable and the population
    is large; ``True`` requires it; ``False`` stays in plain Python. The
    result is the same either way.
    """
    n = len(recency)
    for name, col in (("frequency", frequency), ("monetary", monetary)):
        _check_column(name, col, n)
    _check_column("recency", recency, n)
    np = _numpy() if use_numpy is not False else None
    if use_numpy and np is None:
        raise InvalidValueError("use_numpy=True but numpy is not installed", field="use_numpy")
    if np is not None and (use_numpy or n >= 5000):
        return _segments_numpy(np, policy, recency, frequency, monetary)
    cuts = rfm_cuts(policy, recency, frequency, monetary)
    rc, fc, mc = cuts.recent_within_days, cuts.frequency_at_least, cuts.monetary_at_least
    table = _BY_CODE
    return [
        table[((r <= rc) << 2) | ((f >= fc) << 1) | (m >= mc)]
        for r, f, m in zip(recency, frequency, monetary)
    ]


def _segments_numpy(
    np: Any, policy: RfmPolicy, recency: Sequence[int], frequency: Sequence[int],
    monetary: Sequence[int],
) -> list[RfmSegment]:
    r = np.asarray(recency, dtype=np.int64)
    f = np.asarray(frequency, dtype=np.int64)
    m = np.asarray(monetary, dtype=np.int64)
    if policy.thresholds is not None:
        cuts = policy.thresholds.cuts()
    elif len(r) == 0:
        return []
    else:
        i = _cut_index(policy.quantile, len(r))
        # np.partition puts the i-th smallest at index i, as sorted()[i] does.
        cuts = RfmCuts(
            int(np.partition(r, i)[i]) - 1,
            int(np.partition(f, i)[i]) + 1,
            int(np.partition(m, i)[i]) + 1,
        )
    codes = (
        (r <= cuts.recent_within_days).astype(np.int8) * 4
        + (f >= cuts.frequency_at_least).astype(np.int8) * 2
        + (m >= cuts.monetary_at_least).astype(np.int8)
    )
    table = _BY_CODE
    return [table[c] for c in codes.tolist()]
