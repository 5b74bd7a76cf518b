"""Conformance cases for the campaign machines (see `tests/test_machine_contract.py`)."""

from __future__ import annotations

import random

import pendulum

from contract import MachineCase
from sirui.campaigns.lottery import (
    Action,
    ClaimPrize,
    Draw,
    EntryRules,
    GrantActionEntries,
    ItemReward,
    LotteryCampaign,
    LotteryState,
    MemberLottery,
    PoolState,
    Prize,
    PrizePool,
)
from sirui.campaigns.seckill import (
    Cancel,
    Confirm,
    MemberRecord,
    Promote,
    Reserve,
    StockCounter,
    StockRules,
    StockSlice,
)

TZ = "Asia/Shanghai"


def _lottery_cases() -> list[MachineCase]:
    """A member who has collected a gift shares the campaign for a new entry."""
    now = pendulum.datetime(2026, 11, 26, 10, tz=TZ)
    pool = PrizePool("p", (Prize("gift", ItemReward("sku-gift"), weight=1,
                                 claim_in_store_days=2),))
    campaign = LotteryCampaign("double11", pool, EntryRules(share_entries=1, shares_per_day=2))
    state = LotteryState(campaign, PoolState.open(pool, now), MemberLottery.new("m1", campaign))
    rng = random.Random(1)
    for cmd in (GrantActionEntries("s0", Action.SHARE), Draw("d0"), ClaimPrize("c0", "d0", "S01")):
        state = state.handle(cmd, now=now, rng=rng).state
    return [
        MachineCase(
            name="LotteryState",
            state=state,
            now=now.add(hours=1),
            accept=GrantActionEntries("s1", Action.SHARE),
            conflict=GrantActionEntries("s1", Action.REVIEW),
            reject=Draw("d1"),                         # no entry left
            illegal=ClaimPrize("c1", "d0", "S01"),     # the claim is CLAIMED already
            kwargs={"rng": random.Random(1)},
        ),
    ]


def _seckill_cases() -> list[MachineCase]:
    """A member on the waiting list of a sold-out bucket leaves it (the order id is the id)."""
    now = pendulum.datetime(2026, 11, 11, 10, 1, tz=TZ)
    key = "double11/am@2026-11-11T10:00:00+08:00"
    rules = StockRules(waiting_list=True)
    sold_out = StockCounter(key, "milk", 1, reserved=1)
    waiting = StockSlice(rules, sold_out, MemberRecord("m1")).handle(
        Reserve("o1", "m1"), now=now.subtract(minutes=1)).state
    return [
        MachineCase(
            name="StockSlice",
            state=waiting,
            now=now,
            accept=Cancel("o1"),                  # leaves the waiting list
            conflict=Reserve("o1", "m1", 2),      # the same order id for another quantity
            reject=Promote("o1"),                 # nothing held for the list yet
            illegal=Confirm("o1"),                # a waiting order cannot be paid
        ),
    ]


def _fission_cases() -> list[MachineCase]:
    """Group-buy, bargain and assistance: one slice per command, and the whole campaign."""
    return [*_groupbuy_cases()]


def _groupbuy_cases() -> list[MachineCase]:
    from sirui.campaigns.groupbuy import (
        GroupBuyCampaign,
        GroupBuyPolicy,
        JoinGroup,
        LeaveGroup,
        OpenGroup,
        PaySeat,
    )
    from sirui.core.money import Money
    from sirui.core.nouns import Member
    from sirui.rules import PruneLog

    t0 = pendulum.datetime(2026, 11, 1, 10, tz=TZ)
    policy = GroupBuyPolicy("gb", "milk", Money.of("99"), Money.of("59"), 2, t0,
                            t0.add(days=10), stock=2)
    camp = GroupBuyCampaign.start(policy)
    for cmd in (OpenGroup("o", "g", Member("lily")), PaySeat("p", "g", "o"),
                OpenGroup("o2", "done", Member("wei")), LeaveGroup("l2", "done", "wei")):
        camp = camp.handle(cmd, now=t0).state
    now = t0.add(minutes=1)
    join = JoinGroup("j1", "g", Member("ming"))
    open_slice = camp.slice_for(join)
    closed_slice = camp.slice_for(PaySeat("p2", "done", "o2"))
    return [
        MachineCase(
            name="GroupSlice",
            state=open_slice,
            now=now,
            accept=join,                                           # the last seat
            conflict=JoinGroup("j1", "g", Member("ming"), quantity=2),
            reject=JoinGroup("j2", "g", Member("ming"), quantity=2),   # 1 unit left
        ),
        MachineCase(
            name="GroupSlice-cancelled",
            state=closed_slice,
            now=now,
            accept=PruneLog("prune-a"),
            conflict=PruneLog("prune-a", retention_days=0),
            illegal=PaySeat("p2", "done", "o2"),                   # a cancelled group
        ),
        MachineCase(
            name="GroupBuyCampaign",
            state=camp,
            now=now,
            accept=join,
            conflict=JoinGroup("j1", "g", Member("ming"), quantity=2),
            reject=JoinGroup("j2", "g", Member("ming"), quantity=2),
            illegal=JoinGroup("j3", "done", Member("ming")),
        ),
    ]


CASES = [*_lottery_cases(), *_seckill_cases(), *_fission_cases()]
