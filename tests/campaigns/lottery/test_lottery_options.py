"""Lottery options (issue 20): a free order without an invented cap, uncapped order entries.

Today a 免单 prize needs ``max_refund`` and order entries stop at
``max_entries_per_order`` (1 by default); both now take None for "no cap".
The stateful model (``test_lottery_machine.py``) runs an uncapped campaign too.
"""

from __future__ import annotations

import random
from typing import Any

import pendulum
import pytest

from contract import reload
from sirui.campaigns.lottery import (
    Action,
    ClaimPrize,
    Draw,
    EntryRules,
    GrantActionEntries,
    GrantOrderEntries,
    ItemReward,
    LotteryCampaign,
    LotteryState,
    MemberLottery,
    OrderEntryMode,
    OrderFreeRefundDue,
    OrderFreeReward,
    PoolState,
    Prize,
    PrizePool,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money

NOW = pendulum.datetime(2026, 11, 26, 10, tz="Asia/Shanghai")


def _state(pool: PrizePool, rules: EntryRules) -> LotteryState:
    campaign = LotteryCampaign("c", pool, rules)
    return LotteryState(campaign, PoolState.open(pool, NOW), MemberLottery.new("m1", campaign))


def _ok(state: LotteryState, cmd: Any, at: pendulum.DateTime = NOW) -> tuple[LotteryState, Any]:
    out = state.handle(cmd, now=at, rng=random.Random(1))
    assert out.ok, out
    return out.state, out.events


def _no(state: LotteryState, cmd: Any, at: pendulum.DateTime = NOW) -> Any:
    out = state.handle(cmd, now=at, rng=random.Random(1))
    assert not out.ok
    assert out.state is state
    return out.reason


def test_the_whole_order_is_free_without_a_cap() -> None:
    # 抽中一等奖该笔订单免单 (整单免单): a 1,288-yuan order gets 1,288 yuan back.
    pool = PrizePool("p", (Prize("first", OrderFreeReward(), weight=1),))
    state = _state(pool, EntryRules(order_threshold=Money.of("100")))
    state, _ = _ok(state, GrantOrderEntries("g1", "o-1288", Money.of("1288")))
    state, events = _ok(state, Draw("d1"))
    assert events[1] == OrderFreeRefundDue("m1", "d1", "o-1288", Money.of("1288"))


def test_a_cap_still_caps() -> None:
    assert OrderFreeReward(Money.of("200")).refund_for(Money.of("300")) == Money.of("200")
    assert OrderFreeReward(Money.of("200")).refund_for(Money.of("150")) == Money.of("150")
    assert OrderFreeReward().refund_for(Money.of("300")) == Money.of("300")


def test_one_entry_per_full_100_yuan_without_a_ceiling() -> None:
    # 满100元得1次, no ceiling: a 1,050-yuan order earns 10 entries; by default only 1.
    uncapped = EntryRules(order_threshold=Money.of("100"),
                          order_mode=OrderEntryMode.PER_FULL_THRESHOLD,
                          max_entries_per_order=None)
    assert uncapped.entries_for_order(Money.of("1050")) == 10
    default = EntryRules(order_threshold=Money.of("100"),
                         order_mode=OrderEntryMode.PER_FULL_THRESHOLD)
    assert default.entries_for_order(Money.of("1050")) == 1
    pool = PrizePool("p", (Prize("gift", ItemReward("sku-gift"), weight=1),))
    _, events = _ok(_state(pool, uncapped), GrantOrderEntries("g1", "o1", Money.of("1050")))
    assert len(events[0].entry_ids) == 10


def test_options_are_validated_and_round_trip() -> None:
    with pytest.raises(InvalidPolicyError, match="max_refund"):
        OrderFreeReward(Money(0))
    with pytest.raises(InvalidPolicyError, match="max_entries_per_order"):
        EntryRules(max_entries_per_order=0)
    pool = PrizePool("p", (Prize("first", OrderFreeReward(), weight=1),))
    campaign = LotteryCampaign("c", pool, EntryRules(max_entries_per_order=None))
    assert load(dump(campaign), LotteryCampaign) == campaign
    assert reload(OrderFreeReward()) == OrderFreeReward()


def test_zh_messages_name_sources_and_dates_in_chinese() -> None:
    pool = PrizePool("p", (Prize("gift", ItemReward("sku-gift"), weight=1,
                                 claim_in_store_days=2),))
    state = _state(pool, EntryRules(share_entries=1))
    reason = _no(state, GrantActionEntries("r1", Action.REVIEW))
    assert reason.zh == "本活动不支持评价获得抽奖机会"
    assert reason.en == "review entries are not offered"
    state, _ = _ok(state, GrantActionEntries("s1", Action.SHARE))
    assert _no(state, GrantActionEntries("s2", Action.SHARE)).zh == "今日分享抽奖机会已达上限1次"
    state, _ = _ok(state, Draw("d1"))
    late = _no(state, ClaimPrize("c1", "d1", "S01"), at=NOW.add(days=3))
    assert late.zh == "领奖期限已过（截止2026年11月28日 00:00）"
