"""Social fission benchmarks: a group-buy join and payment, a bargain cut."""

from __future__ import annotations

import random
from collections.abc import Callable

import pendulum

from _harness import Case
from sirui.campaigns.bargain import BargainCampaign, BargainPolicy, HelpBargain, StartBargain
from sirui.campaigns.groupbuy import (
    GroupBuyCampaign,
    GroupBuyPolicy,
    JoinGroup,
    OpenGroup,
    PaySeat,
)
from sirui.core.money import Money
from sirui.core.nouns import Member

T0 = pendulum.datetime(2026, 11, 1, 10, tz="Asia/Shanghai")


def _groupbuy_case() -> Callable[[], object]:
    """A campaign with 100 open groups; one member joins a 100-seat group of 10 and pays."""
    policy = GroupBuyPolicy("gb", "milk", Money.of("99"), Money.of("59"), 100, T0,
                            T0.add(days=10), stock=100_000)
    state = GroupBuyCampaign.start(policy)
    now = T0.add(minutes=1)
    for g in range(100):
        state = state.handle(OpenGroup(f"o{g}", f"g{g}", Member(f"L{g}")), now=now).state
        state = state.handle(PaySeat(f"p{g}", f"g{g}", f"o{g}"), now=now).state
    for i in range(9):
        state = state.handle(JoinGroup(f"j{i}", "g0", Member(f"m{i}")), now=now).state
        state = state.handle(PaySeat(f"q{i}", "g0", f"j{i}"), now=now).state
    join = JoinGroup("jx", "g0", Member("newcomer"))
    pay = PaySeat("px", "g0", "jx")
    later = now.add(minutes=2)
    base = state

    def run() -> object:
        joined = base.handle(join, now=later)
        return joined.state.handle(pay, now=later)

    return run


def _bargain_case() -> Callable[[], object]:
    """A bargain with 5 of 10 helpers in; one more helper cuts."""
    policy = BargainPolicy("b", "stroller", Money.of("99"), Money.of("9.90"), 10, T0,
                           T0.add(days=10))
    rng = random.Random(1)
    now = T0.add(minutes=1)
    state = BargainCampaign.start(policy)
    state = state.handle(StartBargain("s", "k", Member("me")), now=now).state
    for i in range(5):
        state = state.handle(HelpBargain(f"h{i}", "k", Member(f"f{i}")), now=now, rng=rng).state
    cmd = HelpBargain("hx", "k", Member("friend"))
    base = state

    def run() -> object:
        return base.handle(cmd, now=now, rng=rng)

    return run


def cases(quick: bool) -> list[Case]:
    return [
        Case("groupbuy_join_pay", setup=_groupbuy_case),
        Case("bargain_cut", setup=_bargain_case),
    ]
