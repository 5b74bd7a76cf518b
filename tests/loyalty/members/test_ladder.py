"""Tier ladders: an operator's ladder is validated on construction."""

from __future__ import annotations

import pytest

from sirui.core.errors import InvalidPolicyError
from sirui.core.windows import PeriodKind
from sirui.loyalty.members import Tier, TierLadder, TierMetric

LADDER = TierLadder((
    Tier("normal", "普通"),
    Tier("silver", "白银", 500),
    Tier("gold", "黄金", 2000),
    Tier("diamond", "钻石", 8000),
))


def test_growth_2500_qualifies_for_gold_and_1999_for_silver() -> None:
    assert LADDER.qualified(2500).code == "gold"
    assert LADDER.qualified(1999).code == "silver"
    assert LADDER.qualified(2000).code == "gold"
    assert LADDER.qualified(0).code == "normal"
    assert LADDER.qualified(10**9).code == "diamond"


def test_next_tier_and_index() -> None:
    assert LADDER.next_above("gold") == LADDER.tier("diamond")
    assert LADDER.next_above("diamond") is None
    assert LADDER.index("silver") == 1


def test_unknown_tier_names_the_ladder() -> None:
    with pytest.raises(InvalidPolicyError, match="platinum"):
        LADDER.index("platinum")


def test_unordered_thresholds_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidPolicyError, match=r"tiers\[2\]\.threshold=400"):
        TierLadder((Tier("a"), Tier("b", threshold=500), Tier("c", threshold=400)))


def test_equal_thresholds_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="threshold"):
        TierLadder((Tier("a"), Tier("b", threshold=500), Tier("c", threshold=500)))


def test_duplicate_codes_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="duplicate tier code"):
        TierLadder((Tier("a"), Tier("a", threshold=5)))


def test_base_tier_must_start_at_zero_and_ladder_not_empty() -> None:
    with pytest.raises(InvalidPolicyError, match="base tier"):
        TierLadder((Tier("a", threshold=5),))
    with pytest.raises(InvalidPolicyError, match="at least one tier"):
        TierLadder(())


def test_negative_threshold_and_retention_above_threshold_are_refused() -> None:
    with pytest.raises(InvalidPolicyError, match="threshold"):
        Tier("a", threshold=-1)
    with pytest.raises(InvalidPolicyError, match="retention"):
        Tier("gold", threshold=2000, retention=2500)


def test_any_window_goes_with_any_review_period() -> None:
    tiers = LADDER.tiers
    # 近400天消费, reviewed yearly: refused before, an operator's choice now.
    long = TierLadder(tiers, window_days=400, review=PeriodKind.YEAR, metric=TierMetric.SPEND)
    assert long.window_days == 400 and long.review is PeriodKind.YEAR
    quarterly = TierLadder(tiers, window_days=365, review=PeriodKind.QUARTER)
    assert quarterly.review is PeriodKind.QUARTER
    assert TierLadder(tiers, window_days=1000, review=PeriodKind.DAY).window_days == 1000


def test_retention_defaults_to_threshold() -> None:
    assert Tier("gold", threshold=2000).keep_at == 2000
    assert Tier("gold", threshold=2000, retention=1500).keep_at == 1500
