"""Hypothesis strategies for lottery policies, shared by the lottery tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from sirui.campaigns.lottery import (
    CashReward,
    CouponReward,
    EntryRules,
    Guarantee,
    ItemReward,
    LotteryCampaign,
    OrderEntryMode,
    OrderFreeReward,
    PointsReward,
    Prize,
    PrizePool,
    Reward,
    RunOut,
    ThanksReward,
)
from sirui.core.money import Money

rewards: st.SearchStrategy[Reward] = st.one_of(
    st.builds(CouponReward, st.sampled_from(["c5", "c10", "c20"])),
    st.builds(PointsReward, st.integers(1, 500)),
    st.builds(ItemReward, st.sampled_from(["sku-wipes", "sku-bottle"]), st.integers(1, 3)),
    st.builds(CashReward, st.integers(1, 10_000).map(Money)),
    st.builds(OrderFreeReward, st.none() | st.integers(1, 50_000).map(Money)),
)


@st.composite
def pools(
    draw: st.DrawFn,
    max_prizes: int = 6,
    probabilities: bool | None = None,
    guarantee: bool | None = None,
) -> PrizePool:
    """Pools of winning prizes plus an unlimited 谢谢参与 consolation prize."""
    n = draw(st.integers(1, max_prizes))
    use_probs = draw(st.booleans()) if probabilities is None else probabilities
    prizes = []
    if use_probs:
        cents = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    for i in range(n):
        odds = (
            {"probability": Decimal(cents[i]) / 100}
            if use_probs
            else {"weight": draw(st.integers(0, 30))}
        )
        prizes.append(Prize(
            f"p{i}",
            draw(rewards),
            inventory=draw(st.none() | st.integers(0, 12)),
            per_member_limit=draw(st.none() | st.integers(1, 3)),
            daily_cap=draw(st.none() | st.integers(1, 5)),
            claim_in_store_days=draw(st.none() | st.integers(1, 3)),
            **odds,
        ))
    thanks = (
        Prize("thanks", ThanksReward())
        if use_probs
        else Prize("thanks", ThanksReward(), weight=draw(st.integers(1, 60)))
    )
    prizes.append(thanks)
    g = None
    want_g = draw(st.booleans()) if guarantee is None else guarantee
    winners = [
        p.id for p in prizes[:-1] if p.weight or (p.probability is not None and p.probability)
    ]
    if want_g and winners:
        ids = draw(st.frozensets(st.sampled_from(winners), min_size=1))
        g = Guarantee(draw(st.integers(1, 6)), ids)
    return PrizePool(
        "pool",
        tuple(prizes),
        on_run_out=draw(st.sampled_from(RunOut)),
        consolation_id="thanks",
        guarantee=g,
    )


entry_rules = st.builds(
    EntryRules,
    free_daily=st.integers(0, 3),
    order_threshold=st.none() | st.integers(1, 50_000).map(Money),
    order_mode=st.sampled_from(OrderEntryMode),
    max_entries_per_order=st.none() | st.integers(1, 5),
    points_per_entry=st.none() | st.integers(1, 1000),
    points_entries_per_day=st.integers(1, 5),
    share_entries=st.integers(0, 2),
    shares_per_day=st.integers(1, 3),
    review_entries=st.integers(0, 2),
    reviews_per_day=st.integers(1, 3),
    entry_valid_days=st.integers(1, 10),
)

campaigns = st.builds(LotteryCampaign, st.just("lucky-draw"), pools(), entry_rules)
