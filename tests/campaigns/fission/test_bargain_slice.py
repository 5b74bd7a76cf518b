"""The host's view of a bargain: one small `BargainSlice` per command, stored by key."""

from __future__ import annotations

import random
from typing import Any

import pytest

from contract import reload
from sirui.campaigns.bargain import (
    Bargain,
    BargainCampaign,
    BargainCounters,
    BargainPolicy,
    BargainSlice,
    BargainUsage,
    BuyBargain,
    HelpBargain,
    StartBargain,
)
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.rules import Accepted, LogPruned, PruneLog

from ._helpers import END, T0, member, yuan


def policy(**kw: Any) -> BargainPolicy:
    base: dict[str, Any] = {
        "id": "b1", "sku": "stroller", "original_price": yuan("99"),
        "floor_price": yuan("9.90"), "helpers_expected": 5, "starts_at": T0, "ends_at": END,
    }
    base.update(kw)
    return BargainPolicy(**base)


class Host:
    def __init__(self, p: BargainPolicy) -> None:
        self.policy, self.counters = p, BargainCounters(p.id)
        self.bargains: dict[str, Bargain] = {}
        self.usage: dict[str, BargainUsage] = {}
        self.rng = random.Random(5)

    def handle(self, cmd: Any, minute: float) -> Any:
        bargain = self.bargains.get(cmd.bargain_id)
        ids = BargainSlice.members_for(cmd, bargain)
        sl = BargainSlice(self.policy, self.counters, bargain,
                          [self.usage.get(m, BargainUsage(m)) for m in ids])
        out = sl.handle(cmd, now=T0.add(seconds=int(minute * 60)), rng=self.rng)
        if out.ok:
            self.counters = out.state.counters
            self.bargains[cmd.bargain_id] = out.state.bargain
            self.usage.update({u.member_id: u for u in out.state.usage})
        else:
            assert out.state is sl and out.events == ()
        return out


def test_a_host_loads_one_bargain_and_one_member_per_command() -> None:
    h = Host(policy(stock=1))
    assert BargainSlice.members_for(StartBargain("s", "k", member("lily")), None) == ("lily",)
    h.handle(StartBargain("s", "k", member("lily")), 0)
    assert BargainSlice.members_for(HelpBargain("h", "k", member("ming")), h.bargains["k"]) == (
        "ming",)
    cut = h.handle(HelpBargain("h", "k", member("ming")), 1).events[0].cut
    assert h.bargains["k"].price == yuan("99") - cut
    assert h.usage["ming"].helps == 1
    assert BargainSlice.members_for(BuyBargain("b", "k"), h.bargains["k"]) == ("lily",)
    h.handle(BuyBargain("b", "k"), 2)
    assert h.counters.sold == 1
    assert h.usage["lily"].active_id is None       # free to start another
    assert h.handle(StartBargain("s2", "k2", member("lily")), 3).reason.code == "bargain.sold_out"


def test_a_replay_after_reload_returns_the_recorded_cut_without_drawing() -> None:
    c = BargainCampaign.start(policy())
    rng = random.Random(1)
    c = c.handle(StartBargain("s", "k", member("lily")), now=T0).state
    first = c.handle(HelpBargain("h", "k", member("ming")), now=T0, rng=rng)
    stored = reload(first.state)
    assert stored == first.state
    before = rng.getstate()
    again = stored.handle(HelpBargain("h", "k", member("ming")), now=T0.add(hours=1), rng=rng)
    assert isinstance(again, Accepted)
    assert again.events == first.events and again.state is stored
    assert rng.getstate() == before
    with pytest.raises(IdConflictError):
        stored.handle(HelpBargain("h", "k", member("wei")), now=T0, rng=rng)
    sl = stored.slice_for(BuyBargain("b", "k"))
    assert reload(sl) == sl
    assert hash(reload(sl)) == hash(sl)             # a slice is a plain frozen value


def test_prune_forgets_old_ids() -> None:
    c = BargainCampaign.start(policy(log_retention_days=2))
    c = c.handle(StartBargain("s", "k", member("lily")), now=T0).state
    out = c.slice_for(BuyBargain("b", "k")).handle(PruneLog("p"), now=T0.add(days=3))
    assert out.events == (LogPruned(T0.add(days=1), 1),)
    whole = c.handle(PruneLog("p", retention_days=0), now=T0.add(days=3))
    assert whole.events == (LogPruned(T0.add(days=3), 1),)
    assert "s" not in whole.state.bargain("k").log


def test_misuse_names_what_to_load() -> None:
    p = policy()
    sl = BargainSlice(p, BargainCounters(p.id), None, [BargainUsage("lily")])
    started = sl.handle(StartBargain("s", "k", member("lily")), now=T0).state
    rng = random.Random(2)
    with pytest.raises(InvalidCommandError, match="BargainUsage"):
        started.handle(HelpBargain("h", "k", member("ming")), now=T0, rng=rng)
    with pytest.raises(InvalidCommandError, match="another bargain"):
        started.handle(BuyBargain("b", "other"), now=T0)
    with pytest.raises(InvalidCommandError, match="no such bargain"):
        sl.handle(BuyBargain("b", "k"), now=T0)
    with pytest.raises(InvalidCommandError, match="already exists"):
        started.handle(StartBargain("s2", "k", member("lily")), now=T0)
    with pytest.raises(InvalidPolicyError, match="campaign_id"):
        BargainSlice(p, BargainCounters("other"))
