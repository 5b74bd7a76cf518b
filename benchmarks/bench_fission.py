"""Social fission benchmarks: group-buy, bargain and assistance commands at 100 and 20,000 entities.

A command touches one group (bargain, task), its members' usage and the
campaign counters, so it must cost the same whatever the number of other
entities: each ``*_20k_over_100`` ratio should stay near 1 (target <= 1.5).
The cases go through the whole-campaign convenience value (persistent maps),
the heavier of the two paths; a host deciding on slices pays less.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pendulum

from _harness import Case
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
NOW = T0.add(minutes=1)
SIZES = {"100": 100, "20k": 20_000}


def _groupbuy_campaign(groups: int) -> GroupBuyCampaign:
    policy = GroupBuyPolicy("gb", "milk", Money.of("99"), Money.of("59"), 100, T0,
                            T0.add(days=10), stock=1_000_000)
    state = GroupBuyCampaign.start(policy)
    for g in range(groups):
        state = state.handle(OpenGroup(f"o{g}", f"g{g}", Member(f"L{g}")), now=NOW).state
    return state


def _groupbuy_open(groups: int) -> Callable[[], Callable[[], object]]:
    """A campaign with ``groups`` open groups; a new leader opens one more."""

    def setup() -> Callable[[], object]:
        base = _groupbuy_campaign(groups)
        cmd = OpenGroup("ox", "gx", Member("newcomer"))

        def run() -> object:
            return base.handle(cmd, now=NOW)

        return run

    return setup


def _groupbuy_join_pay() -> Callable[[], object]:
    """A campaign with 100 open groups; one member joins a 100-seat group of 10 and pays."""
    state = _groupbuy_campaign(100)
    for g in range(100):
        state = state.handle(PaySeat(f"p{g}", f"g{g}", f"o{g}"), now=NOW).state
    for i in range(9):
        state = state.handle(JoinGroup(f"j{i}", "g0", Member(f"m{i}")), now=NOW).state
        state = state.handle(PaySeat(f"q{i}", "g0", f"j{i}"), now=NOW).state
    join = JoinGroup("jx", "g0", Member("newcomer"))
    pay = PaySeat("px", "g0", "jx")
    later = NOW.add(minutes=2)
    base = state

    def run() -> object:
        joined = base.handle(join, now=later)
        return joined.state.handle(pay, now=later)

    return run


def cases(quick: bool) -> list[Case]:
    out = [Case("groupbuy_join_pay", setup=_groupbuy_join_pay)]
    for label, n in SIZES.items():
        out.append(Case(f"groupbuy_open_at_{label}_groups", setup=_groupbuy_open(n)))
    return out


def ratios(medians: dict[str, float]) -> dict[str, float]:
    pairs = {
        "groupbuy_20k_over_100": ("groupbuy_open_at_20k_groups", "groupbuy_open_at_100_groups"),
    }
    return {name: medians[a] / medians[b] for name, (a, b) in pairs.items()
            if a in medians and b in medians and medians[b] > 0}
