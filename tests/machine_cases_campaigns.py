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
    SeckillRefund,
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
        _seckill_refund_case(),
    ]


def _seckill_refund_case() -> MachineCase:
    """A paid order is refunded; its unit and the quota come back (so PruneLog may forget it)."""
    now = pendulum.datetime(2026, 11, 11, 10, 1, tz=TZ)
    key = "double11/am@2026-11-11T10:00:00+08:00"
    rules = StockRules(per_order=2, refund_returns_stock=True, refund_returns_quota=True)
    paid = StockSlice(rules, StockCounter(key, "milk", 5), MemberRecord("m1")).handle(
        Reserve("o1", "m1"), now=now).state.handle(Confirm("o1"), now=now).state
    return MachineCase(
        name="StockSlice-paid",
        state=paid,
        now=now.add(hours=2),
        accept=SeckillRefund("o1"),
        conflict=Reserve("o1", "m1", 2),      # the same order id for another quantity
        illegal=Cancel("o1"),                 # a paid order is refunded, not cancelled
    )


def _fission_cases() -> list[MachineCase]:
    """Group-buy, bargain and assistance: one slice per command, and the whole campaign."""
    return [*_groupbuy_cases(), *_bargain_cases(), *_assist_cases()]


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
        _groupbuy_handover_case(),
    ]


def _groupbuy_handover_case() -> MachineCase:
    """With leader_handover, the leader of a group a paid member joined may leave."""
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

    t0 = pendulum.datetime(2026, 11, 1, 10, tz=TZ)
    policy = GroupBuyPolicy("gb", "milk", Money.of("99"), Money.of("59"), 3, t0,
                            t0.add(days=10), leader_handover=True)
    camp = GroupBuyCampaign.start(policy)
    for cmd in (OpenGroup("o", "g", Member("lily")), PaySeat("p", "g", "o"),
                JoinGroup("j", "g", Member("ming")), PaySeat("pj", "g", "j")):
        camp = camp.handle(cmd, now=t0).state
    leave = LeaveGroup("l", "g", "lily")
    return MachineCase(
        name="GroupSlice-handover",
        state=camp.slice_for(leave),
        now=t0.add(minutes=5),
        accept=leave,                                  # ming leads from now on
        conflict=LeaveGroup("l", "g", "ming"),
        reject=LeaveGroup("l2", "g", "ming"),          # a paid member cannot leave
    )


def _bargain_cases() -> list[MachineCase]:
    import random

    from sirui.campaigns.bargain import (
        BargainCampaign,
        BargainPolicy,
        BuyBargain,
        HelpBargain,
        StartBargain,
    )
    from sirui.core.money import Money
    from sirui.core.nouns import Member
    from sirui.rules import PruneLog

    t0 = pendulum.datetime(2026, 11, 1, 10, tz=TZ)
    policy = BargainPolicy("cut", "stroller", Money.of("99"), Money.of("9.90"), 5, t0,
                           t0.add(days=7))
    camp = BargainCampaign.start(policy)
    for cmd in (StartBargain("s", "k", Member("lily")), StartBargain("s2", "k2", Member("wei")),
                BuyBargain("b2", "k2")):
        camp = camp.handle(cmd, now=t0).state
    now = t0.add(minutes=1)
    help_ = HelpBargain("h1", "k", Member("ming"))
    live = camp.slice_for(help_)
    live = type(live)(live.policy, live.counters, live.bargain,
                      (*live.usage, camp.usage_of("lily")))
    rng = {"rng": random.Random(2026)}
    return [
        MachineCase(
            name="BargainSlice",
            state=live,
            now=now,
            accept=help_,
            conflict=HelpBargain("h1", "k", Member("fang")),
            reject=HelpBargain("h2", "k", Member("lily")),          # the starter herself
            kwargs=rng,
        ),
        MachineCase(
            name="BargainSlice-bought",
            state=camp.slice_for(BuyBargain("b3", "k2")),
            now=now,
            accept=PruneLog("prune-b"),
            conflict=PruneLog("prune-b", retention_days=0),
            illegal=BuyBargain("b3", "k2"),                          # bought already
        ),
        MachineCase(
            name="BargainCampaign",
            state=camp,
            now=now,
            accept=help_,
            conflict=HelpBargain("h1", "k", Member("fang")),
            reject=HelpBargain("h2", "k", Member("lily")),
            illegal=HelpBargain("h3", "k2", Member("ming")),
            kwargs=rng,
        ),
        _bargain_succeeded_case(),
    ]


def _bargain_succeeded_case() -> MachineCase:
    """Two helpers made the bargain succeed above the floor (success_helpers=2)."""
    import random

    from sirui.campaigns.bargain import BargainCampaign, BargainPolicy, HelpBargain, StartBargain
    from sirui.core.money import Money
    from sirui.core.nouns import Member
    from sirui.rules import PruneLog

    t0 = pendulum.datetime(2026, 11, 1, 10, tz=TZ)
    policy = BargainPolicy("cut", "stroller", Money.of("99"), Money.of("9.90"), 5, t0,
                           t0.add(days=7), success_helpers=2)
    camp = BargainCampaign.start(policy)
    rng = random.Random(7)
    for cmd in (StartBargain("s", "k", Member("lily")), HelpBargain("h1", "k", Member("ming")),
                HelpBargain("h2", "k", Member("fang"))):
        camp = camp.handle(cmd, now=t0, rng=rng).state
    more = HelpBargain("h3", "k", Member("wei"))
    return MachineCase(
        name="BargainSlice-succeeded",
        state=camp.slice_for(more),
        now=t0.add(minutes=1),
        accept=PruneLog("prune-s"),
        conflict=PruneLog("prune-s", retention_days=0),
        illegal=more,                                  # a succeeded bargain takes no help
        kwargs={"rng": random.Random(1)},
    )

def _assist_cases() -> list[MachineCase]:
    from sirui.campaigns.assist import AssistCampaign, AssistPolicy, AssistTick, HelpTask, StartTask
    from sirui.core.nouns import Member
    from sirui.rules import PruneLog

    t0 = pendulum.datetime(2026, 11, 1, 10, tz=TZ)
    policy = AssistPolicy("wipes", "sku:wipes-free", 2, t0, t0.add(days=14), prize_stock=10)
    camp = AssistCampaign.start(policy)
    for cmd in (StartTask("s", "t", Member("lily")), StartTask("s2", "t2", Member("wei")),
                HelpTask("x1", "t2", Member("hua")), HelpTask("x2", "t2", Member("fang"))):
        camp = camp.handle(cmd, now=t0).state
    now = t0.add(minutes=1)
    help_ = HelpTask("h1", "t", Member("ming"))
    return [
        MachineCase(
            name="TaskSlice",
            state=camp.slice_for(help_),
            now=now,
            accept=help_,
            conflict=HelpTask("h1", "t", Member("fang")),
            reject=HelpTask("h2", "t", Member("lily")),              # the owner herself
        ),
        MachineCase(
            name="TaskSlice-completed",
            state=camp.slice_for(AssistTick("x3", "t2")),
            now=now,
            accept=PruneLog("prune-t"),
            conflict=PruneLog("prune-t", retention_days=0),
            illegal=AssistTick("x3", "t2"),                           # completed already
        ),
        MachineCase(
            name="AssistCampaign",
            state=camp,
            now=now,
            accept=help_,
            conflict=HelpTask("h1", "t", Member("fang")),
            reject=HelpTask("h2", "t", Member("lily")),
            illegal=HelpTask("h3", "t2", Member("ming")),
        ),
    ]

CASES = [*_lottery_cases(), *_seckill_cases(), *_fission_cases()]
