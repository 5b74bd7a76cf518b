"""Social fission benchmarks: group-buy, bargain and assistance at 100 and 20,000 entities.

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
from sirui.campaigns.assist import AssistCampaign, AssistPolicy, HelpTask, StartTask
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


def _bargain_policy() -> BargainPolicy:
    return BargainPolicy("b", "stroller", Money.of("99"), Money.of("9.90"), 10, T0,
                         T0.add(days=10))


def _bargain_start(bargains: int) -> Callable[[], Callable[[], object]]:
    """A campaign with ``bargains`` bargains in progress; a new member starts one more."""

    def setup() -> Callable[[], object]:
        state = BargainCampaign.start(_bargain_policy())
        for b in range(bargains):
            state = state.handle(StartBargain(f"s{b}", f"k{b}", Member(f"m{b}")), now=NOW).state
        cmd = StartBargain("sx", "kx", Member("newcomer"))
        base = state

        def run() -> object:
            return base.handle(cmd, now=NOW)

        return run

    return setup


def _bargain_cut() -> Callable[[], object]:
    """A bargain with 5 of 10 helpers in; one more helper cuts."""
    rng = random.Random(1)
    state = BargainCampaign.start(_bargain_policy())
    state = state.handle(StartBargain("s", "k", Member("me")), now=NOW).state
    for i in range(5):
        state = state.handle(HelpBargain(f"h{i}", "k", Member(f"f{i}")), now=NOW, rng=rng).state
    cmd = HelpBargain("hx", "k", Member("friend"))
    base = state

    def run() -> object:
        return base.handle(cmd, now=NOW, rng=rng)

    return run


def _assist_start(tasks: int) -> Callable[[], Callable[[], object]]:
    """A campaign with ``tasks`` tasks in progress; a new member starts one more."""

    def setup() -> Callable[[], object]:
        policy = AssistPolicy("a", "tpl-10off", 3, T0, T0.add(days=10), prize_stock=1_000_000)
        state = AssistCampaign.start(policy)
        for t in range(tasks):
            state = state.handle(StartTask(f"s{t}", f"t{t}", Member(f"m{t}")), now=NOW).state
        state = state.handle(HelpTask("h", "t0", Member("f")), now=NOW).state
        cmd = StartTask("sx", "tx", Member("newcomer"))
        base = state

        def run() -> object:
            return base.handle(cmd, now=NOW)

        return run

    return setup


def cases(quick: bool) -> list[Case]:
    out = [Case("groupbuy_join_pay", setup=_groupbuy_join_pay),
           Case("bargain_cut", setup=_bargain_cut)]
    for label, n in SIZES.items():
        out.append(Case(f"groupbuy_open_at_{label}_groups", setup=_groupbuy_open(n)))
        out.append(Case(f"bargain_start_at_{label}_bargains", setup=_bargain_start(n)))
        out.append(Case(f"assist_start_at_{label}_tasks", setup=_assist_start(n)))
    return out


def ratios(medians: dict[str, float]) -> dict[str, float]:
    pairs = {
        "groupbuy_20k_over_100": ("groupbuy_open_at_20k_groups", "groupbuy_open_at_100_groups"),
        "bargain_20k_over_100": ("bargain_start_at_20k_bargains",
                                 "bargain_start_at_100_bargains"),
        "assist_20k_over_100": ("assist_start_at_20k_tasks", "assist_start_at_100_tasks"),
    }
    return {name: medians[a] / medians[b] for name, (a, b) in pairs.items()
            if a in medians and b in medians and medians[b] > 0}
