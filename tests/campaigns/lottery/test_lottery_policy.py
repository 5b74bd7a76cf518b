"""Prize pool policies: odds, bad input, round trips through config."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given

from sirui.campaigns.lottery import (
    CouponReward,
    EntryRules,
    Guarantee,
    LotteryCampaign,
    OrderEntryMode,
    PointsReward,
    Prize,
    PrizePool,
    RunOut,
    ThanksReward,
)
from sirui.config import dump, load, loads_json
from sirui.core.errors import ConfigError, InvalidPolicyError, MoneyTypeError
from sirui.core.money import Money

from ._strategies import campaigns, pools

THANKS = Prize("thanks", ThanksReward())


def test_probabilities_leave_the_rest_to_thanks_for_taking_part() -> None:
    # 一等奖 1%, 二等奖 9%, the remaining 90% is 谢谢参与.
    pool = PrizePool(
        "p",
        (
            Prize("first", CouponReward("c50"), probability=Decimal("0.01")),
            Prize("second", PointsReward(100), probability=Decimal("0.09")),
            THANKS,
        ),
        consolation_id="thanks",
    )
    assert pool.weights == (1, 9, 90)
    assert pool.probabilities() == (Decimal("0.01"), Decimal("0.09"), Decimal("0.9"))


def test_weights_are_relative() -> None:
    pool = PrizePool("p", (Prize("a", PointsReward(5), weight=1),
                           Prize("t", ThanksReward(), weight=3)))
    assert pool.probabilities() == (Decimal("0.25"), Decimal("0.75"))


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Prize("a", PointsReward(5), weight=-1), "weight"),
        (lambda: PrizePool("p", ()), "prizes"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), probability=Decimal("0.7")),
                                 Prize("b", PointsReward(5), probability=Decimal("0.4"))),
                           ), "prizes"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), probability=Decimal("0.5")),)),
         "consolation_id"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), weight=0),)), "prizes"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), weight=1),
                                 Prize("a", PointsReward(6), weight=1))), "prizes[1].id"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), weight=1),),
                           on_run_out=RunOut.CONSOLATION), "consolation_id"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), weight=1, inventory=3),),
                           consolation_id="a"), "consolation_id"),
        (lambda: PrizePool("p", (Prize("a", PointsReward(5), weight=1),
                                 Prize("t", ThanksReward(), weight=1)),
                           guarantee=Guarantee(5, frozenset({"t"}))), "guarantee.prize_ids"),
        (lambda: Prize("a", PointsReward(5), weight=1, probability=Decimal("0.1")), "weight"),
        (lambda: Prize("a", PointsReward(0), weight=1), "points"),
        (lambda: Prize("a", PointsReward(5), probability=Decimal("1.5")), "probability"),
    ],
)
def test_bad_pools_raise_typed_errors_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field
    assert "=" in str(info.value)


def test_float_probability_is_refused() -> None:
    with pytest.raises(MoneyTypeError):
        Prize("a", PointsReward(5), probability=0.1)  # type: ignore[arg-type]


def test_order_entries_one_per_full_hundred() -> None:
    # 下单满100元抽奖, 每满100元一次, 最多3次: 250 -> 2, 99.99 -> 0, 1000 -> 3.
    rules = EntryRules(order_threshold=Money.of("100"),
                       order_mode=OrderEntryMode.PER_FULL_THRESHOLD, max_entries_per_order=3)
    assert rules.entries_for_order(Money.of("250")) == 2
    assert rules.entries_for_order(Money.of("99.99")) == 0
    assert rules.entries_for_order(Money.of("1000")) == 3
    assert EntryRules(order_threshold=Money.of("100")).entries_for_order(Money.of("1000")) == 1


def test_pool_loads_from_json_by_tag() -> None:
    doc = """{"type": "lottery.pool", "id": "p", "consolation_id": "t",
              "prizes": [{"id": "a", "reward": {"type": "lottery.points", "points": 5},
                          "probability": "0.25"},
                         {"id": "t", "reward": {"type": "lottery.thanks"}}]}"""
    pool = loads_json(doc)
    assert isinstance(pool, PrizePool)
    assert pool.weights == (25, 75)
    with pytest.raises(ConfigError):
        loads_json(doc.replace('"0.25"', '"1.25"'))


@given(pools())
def test_pools_round_trip(pool: PrizePool) -> None:
    assert load(dump(pool)) == pool
    assert load(dump(pool)).weights == pool.weights


@given(campaigns)
def test_campaigns_round_trip(campaign: LotteryCampaign) -> None:
    assert load(dump(campaign)) == campaign
