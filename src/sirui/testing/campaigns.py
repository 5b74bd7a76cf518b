"""Hypothesis strategies for campaigns: seckill, limited-time discounts, group-buys,
bargains, friend assistance, lotteries and red packets.

Besides policies, ``group_buy_campaigns``, ``bargain_campaigns`` and
``assist_campaigns`` give live states: a campaign after a few random
commands, each decided by the state machine (refusals skipped), so every
value is one a host could hold. ``campaign.slice_for(command)`` turns one
into the slice a host would load for its next command.

Host apps use them to property-test their own campaign integration::

    import random
    from hypothesis import given
    from sirui.testing.campaigns import red_packets

    @given(red_packets())
    def test_my_wallet_credits_the_whole_packet(packet):
        parts = packet.split(random.Random(7)).parts
        assert my_wallet_total(parts) == packet.total

Every strategy builds valid policies only (each loads back from its config
form). SKU ids are those of `sirui.testing.skus`, so campaigns hit generated
carts; times are tz-aware and within the years `sirui.testing` generates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import strategies as st

from sirui.campaigns.assist import AssistCampaign, AssistPolicy, AssistTick, HelpTask, StartTask
from sirui.campaigns.bargain import (
    BargainCampaign,
    BargainPolicy,
    BargainTick,
    BuyBargain,
    CutRange,
    HelpBargain,
    StartBargain,
)
from sirui.campaigns.groupbuy import (
    AutoFill,
    DeadlineFrom,
    GroupBuyCampaign,
    GroupBuyPolicy,
    GroupTick,
    JoinGroup,
    LadderSettlement,
    LadderTier,
    OpenGroup,
    PaySeat,
)
from sirui.campaigns.limited_time import DiscountItem, LimitedTimeDiscount
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
from sirui.campaigns.red_packet import RedPacket, SplitRule
from sirui.campaigns.seckill import (
    EarlyAccess,
    PurchaseLimits,
    SeckillCampaign,
    SeckillItem,
    SeckillSlot,
)
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment, Member
from sirui.core.windows import DEFAULT_TZ, DailySlot, DateTime, Window, zone
from sirui.rules.conditions import Always, Condition, NewCustomer, TierIn
from sirui.rules.pricing import Stage
from sirui.testing import TIERS, aware_datetimes, conditions, members, money, rates, windows
from sirui.testing.promotions import sku_ids, windows_around

__all__ = [
    "assist_campaigns",
    "assist_policies",
    "bargain_campaigns",
    "bargain_policies",
    "entry_rules",
    "group_buy_campaigns",
    "group_buy_policies",
    "ladder_tiers",
    "limited_time_discounts",
    "lottery_campaigns",
    "prize_pools",
    "red_packets",
    "rewards",
    "seckill_campaigns",
    "seckill_items",
]

_ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)


# Built once: composites draw from it many times, and a fresh recursive
# strategy would be validated again on every draw.
_CONDITIONS: st.SearchStrategy[Condition] = st.one_of(
    st.just(Always()), st.just(Always()), st.just(NewCustomer()),
    st.builds(TierIn, st.frozensets(st.sampled_from(TIERS), min_size=1)),
    conditions(max_leaves=3),
)


def _conditions() -> st.SearchStrategy[Condition]:
    return _CONDITIONS


def _local_time(t: DateTime) -> dt.time:
    """``t``'s wall-clock time in the store's zone (daily slots are in that zone)."""
    return t.astimezone(zone(DEFAULT_TZ)).time()


def _span(live_at: DateTime | None) -> st.SearchStrategy[tuple[DateTime, DateTime]]:
    """``(starts_at, ends_at)`` of 1 hour to 30 days (containing ``live_at`` when given)."""
    w = windows() if live_at is None else windows_around(live_at)
    return w.map(lambda win: (win.start, win.end if win.end is not None else win.start.add(days=1)))


# -- seckill ---------------------------------------------------------------------------


@st.composite
def seckill_items(draw: st.DrawFn, sku: str | None = None) -> SeckillItem:
    """A seckill item: a price at most the original, stock 0-20 in 1-3 buckets."""
    original = draw(st.integers(1, 50_000))
    stock = draw(st.integers(0, 20))
    return SeckillItem(
        sku=sku if sku is not None else draw(sku_ids),
        price=Money(draw(st.integers(1, original))),
        original_price=Money(original),
        stock=stock,
        buckets=draw(st.integers(1, max(1, min(stock, 3)))),
    )


def _slot_items() -> st.SearchStrategy[tuple[SeckillItem, ...]]:
    return st.lists(sku_ids, min_size=1, max_size=3, unique=True).flatmap(
        lambda skus: st.tuples(*(seckill_items(s) for s in skus))
    )


@st.composite
def _daily_slots(draw: st.DrawFn, live_at: DateTime | None) -> tuple[SeckillSlot, ...]:
    # Distinct start hours and durations under an hour: slots never overlap,
    # whatever SKUs they share.
    hours = draw(st.sets(st.integers(0, 23), min_size=1, max_size=3))
    if live_at is not None and draw(st.booleans()):
        hours.add(_local_time(live_at).hour)  # one slot is the hour of ``live_at``
    slots = []
    for h in sorted(hours):
        minutes = draw(st.integers(10, 59))
        slots.append(SeckillSlot(
            f"d{h:02d}", draw(_slot_items()),
            daily=DailySlot(dt.time(h), dt.time(h, minutes)),
            preview_minutes=draw(st.integers(0, 60)),
        ))
    return tuple(slots)


@st.composite
def _oneoff_slots(draw: st.DrawFn, live_at: DateTime | None) -> tuple[SeckillSlot, ...]:
    # Back-to-back one-off windows: each starts at or after the previous end.
    start = (live_at.subtract(minutes=draw(st.integers(0, 30))) if live_at is not None
             else draw(aware_datetimes()))
    slots = []
    for i in range(draw(st.integers(1, 3))):
        start = start.add(minutes=draw(st.integers(0, 120)) if i else 0)
        end = start.add(minutes=draw(st.integers(10, 180)))
        slots.append(SeckillSlot(f"s{i}", draw(_slot_items()), window=Window(start, end),
                                 preview_minutes=draw(st.integers(0, 60))))
        start = end
    return tuple(slots)


@st.composite
def seckill_campaigns(draw: st.DrawFn, live_at: DateTime | None = None) -> SeckillCampaign:
    """Seckill campaigns (秒杀) whose slots never overlap.

    Either daily slots at distinct hours (each under an hour long, often one
    in the hour of ``live_at``) or back-to-back one-off windows (the first one
    starting up to 30 minutes before ``live_at``), so slots are often open then.
    """
    slots = draw(st.one_of(_daily_slots(live_at), _oneoff_slots(live_at)))
    return SeckillCampaign(
        id=draw(_ids),
        slots=slots,
        period=draw(st.none() | (windows() if live_at is None else windows_around(live_at))),
        limits=draw(st.builds(PurchaseLimits, st.none() | st.integers(1, 3),
                              st.none() | st.integers(1, 5), st.none() | st.integers(1, 10),
                              st.none() | st.integers(1, 3))),
        eligibility=draw(_conditions()),
        early_access=tuple(draw(st.lists(
            st.builds(EarlyAccess, st.sampled_from(TIERS), st.integers(1, 30)),
            max_size=2, unique_by=lambda e: e.tier))),
        allow_pickup=draw(st.booleans()),
        stack_coupons=draw(st.booleans()),
        stack_points=draw(st.booleans()),
        payment_timeout_minutes=draw(st.integers(1, 30)),
        waiting_list=draw(st.booleans()),
        low_stock_threshold=draw(st.none() | st.integers(1, 5)),
        name=draw(st.sampled_from(["", "每日秒杀"])),
        refund_returns_stock=draw(st.booleans()),
        refund_returns_quota=draw(st.booleans()),
    )


# -- limited-time discount ---------------------------------------------------------------


def limited_time_discounts(live_at: DateTime | None = None) -> st.SearchStrategy[Any]:
    """Limited-time discounts (限时折扣): fixed prices or 5-9.9折 rates on 1-6 SKUs."""
    item = st.one_of(
        st.builds(DiscountItem, sku_ids, price=money(1, 50_000),
                  stock=st.none() | st.integers(0, 20)),
        st.builds(DiscountItem, sku_ids, rate=rates("0.5", "0.99"),
                  stock=st.none() | st.integers(0, 20)),
    )
    return st.builds(
        LimitedTimeDiscount,
        _ids,
        window=windows() if live_at is None else windows_around(live_at),
        items=st.lists(item, min_size=1, max_size=6, unique_by=lambda it: it.sku).map(tuple),
        per_day=st.none() | st.integers(1, 5),
        per_member=st.none() | st.integers(1, 10),
        low_stock_threshold=st.none() | st.integers(1, 5),
        eligibility=_conditions(),
        stack_coupons=st.booleans(),
        stack_points=st.booleans(),
        payment_timeout_minutes=st.integers(1, 30),
        name=st.sampled_from(["", "限时8折"]),
    )


# -- group-buy -----------------------------------------------------------------------------


@st.composite
def ladder_tiers(
    draw: st.DrawFn, group_size: int, group_price: Money, max_tiers: int = 3
) -> tuple[LadderTier, ...]:
    """Ladder-group tiers (阶梯团) above ``group_size``: sizes rise, prices fall."""
    out: list[LadderTier] = []
    size, price = group_size, group_price.minor
    for _ in range(draw(st.integers(0, max_tiers))):
        if price <= 1:
            break
        size = draw(st.integers(max(size + 1, 3), size + 10))
        price = draw(st.integers(max(1, price // 2), price - 1))
        out.append(LadderTier(size, Money(price)))
    return tuple(out)


@st.composite
def group_buy_policies(draw: st.DrawFn, live_at: DateTime | None = None) -> GroupBuyPolicy:
    """Group-buy campaigns (拼团) incl. leader benefits, ladder groups and auto-fill."""
    start, end = draw(_span(live_at))
    original = draw(st.integers(2, 50_000))
    group_price = Money(draw(st.integers(1, original)))
    size = draw(st.integers(2, 6))
    leader = draw(st.sampled_from(["none", "free", "discount"]))
    return GroupBuyPolicy(
        id=draw(_ids),
        sku=draw(sku_ids),
        original_price=Money(original),
        group_price=group_price,
        group_size=size,
        starts_at=start,
        ends_at=end,
        time_limit_minutes=draw(st.integers(10, 48 * 60)),
        payment_timeout_minutes=draw(st.integers(1, 30)),
        stock=draw(st.none() | st.integers(0, 50)),
        max_groups_opened_per_member=draw(st.none() | st.integers(1, 3)),
        max_groups_joined_per_member=draw(st.none() | st.integers(1, 3)),
        max_quantity_per_member=draw(st.none() | st.integers(1, 5)),
        open_condition=draw(_conditions()),
        join_condition=draw(_conditions()),
        leader_discount=draw(money(1, 2_000)) if leader == "discount" else None,
        leader_free=leader == "free",
        ladder=draw(st.just(()) | ladder_tiers(size, group_price)),
        ladder_settlement=draw(st.sampled_from(LadderSettlement)),
        pickup_only=draw(st.booleans()),
        leader_red_packet=draw(st.none() | money(1, 2_000)),
        auto_fill=draw(st.none() | st.builds(AutoFill, st.integers(0, 120),
                                             st.integers(1, size - 1))),
        closed_stages=draw(st.frozensets(st.sampled_from([Stage.COUPON, Stage.POINTS]))),
        name=draw(st.sampled_from(["", "两人团"])),
        log_retention_days=draw(st.integers(0, 90)),
        deadline_from=draw(st.sampled_from(DeadlineFrom)),
        leader_handover=draw(st.booleans()),
    )


# -- bargain and assist --------------------------------------------------------------------


@st.composite
def bargain_policies(draw: st.DrawFn, live_at: DateTime | None = None) -> BargainPolicy:
    """Bargains (砍价): a floor below the original, 1-20 helpers, at least 1 fen each."""
    start, end = draw(_span(live_at))
    original = draw(st.integers(2, 50_000))
    floor = draw(st.integers(0, original - 1))
    room = original - floor
    helpers = draw(st.integers(1, min(20, room)))
    low = draw(st.integers(1, room // helpers))
    cut_range = CutRange(low, draw(st.integers(max(low, -(-room // helpers)), room)))
    return BargainPolicy(
        id=draw(_ids),
        sku=draw(sku_ids),
        original_price=Money(original),
        floor_price=Money(floor),
        helpers_expected=helpers,
        success_helpers=draw(st.none() | st.integers(1, max(1, helpers - 1)))
        if helpers > 1 else None,
        cut_range=draw(st.sampled_from([None, cut_range])),
        new_user_first_cut=draw(st.none() | st.builds(
            lambda a, b: CutRange(a, a + b), st.integers(1, room), st.integers(0, room))),
        starts_at=start,
        ends_at=end,
        time_limit_minutes=draw(st.integers(10, 48 * 60)),
        generosity=draw(rates("0", "4", places=1)),
        buy_at_floor_only=draw(st.booleans()),
        starter_condition=draw(_conditions()),
        helper_condition=draw(_conditions()),
        max_helps_per_helper_per_day=draw(st.none() | st.integers(1, 3)),
        max_helps_per_helper=draw(st.none() | st.integers(1, 10)),
        max_bargains_per_member=draw(st.none() | st.integers(1, 3)),
        stock=draw(st.none() | st.integers(0, 20)),
        closed_stages=draw(st.frozensets(st.sampled_from([Stage.COUPON, Stage.POINTS]))),
        log_retention_days=draw(st.integers(0, 90)),
    )


@st.composite
def assist_policies(draw: st.DrawFn, live_at: DateTime | None = None) -> AssistPolicy:
    """Friend-assistance tasks (好友助力): 1-10 helps within a time limit, a prize stock."""
    start, end = draw(_span(live_at))
    return AssistPolicy(
        id=draw(_ids),
        prize=draw(st.sampled_from(["tpl-10off", "gift1", "sku3"])),
        helps_required=draw(st.integers(1, 10)),
        starts_at=start,
        ends_at=end,
        time_limit_minutes=draw(st.integers(10, 48 * 60)),
        prize_stock=draw(st.none() | st.integers(0, 20)),
        helper_condition=draw(_conditions()),
        owner_condition=draw(_conditions()),
        max_helps_per_helper=draw(st.none() | st.integers(1, 5)),
        max_tasks_per_member=draw(st.none() | st.integers(1, 3)),
        log_retention_days=draw(st.integers(0, 90)),
    )


# -- live group-buy, bargain and assist states ----------------------------------------------


def _people(draw: st.DrawFn) -> list[Member]:
    return draw(st.lists(members(), min_size=2, max_size=8, unique_by=lambda m: m.id))


_STEPS = st.sampled_from([0, 0, 1, 2, 5, 16, 31, 120])
"""Minutes between two commands: mostly close together, sometimes past a timeout."""


def _open_to_all(draw: st.DrawFn) -> bool:
    """Whether a live-state strategy lets everyone take part (most draws: more accepts)."""
    return bool(draw(st.integers(0, 2)))


@st.composite
def group_buy_campaigns(
    draw: st.DrawFn, live_at: DateTime | None = None, max_commands: int = 20
) -> GroupBuyCampaign:
    """Group-buy campaigns after up to ``max_commands`` random opens, joins, payments, ticks."""
    policy = draw(group_buy_policies(live_at))
    if _open_to_all(draw):
        policy = attrs.evolve(policy, open_condition=Always(), join_condition=Always())
    camp, now, people = GroupBuyCampaign.start(policy), policy.starts_at, _people(draw)
    how = Fulfillment.PICKUP if policy.pickup_only else Fulfillment.DELIVERY
    joins: list[tuple[str, str]] = []
    for k in range(draw(st.integers(0, max_commands))):
        now = now.add(minutes=draw(_STEPS))
        groups = sorted(gid for gid, g in camp.groups.items() if g.is_open) or sorted(
            gid for gid, _ in camp.groups.items())
        kind = draw(st.sampled_from(["open", "join", "join", "pay", "tick"] if groups
                                    else ["open"]))
        cmd: Any
        if kind in ("open", "join"):
            who, qty = draw(st.sampled_from(people)), draw(st.integers(1, 2))
            cmd = (OpenGroup(f"c{k}", f"g{k}", who, qty, how) if kind == "open"
                   else JoinGroup(f"c{k}", draw(st.sampled_from(groups)), who, qty, how))
        elif kind == "pay" and joins:
            cmd = PaySeat(f"c{k}", *draw(st.sampled_from(joins)))
        else:
            cmd = GroupTick(f"c{k}", draw(st.sampled_from(groups)))
        out = camp.handle(cmd, now=now)
        if out.ok:
            camp = out.state
        if out.ok and kind in ("open", "join"):
            joins.append((cmd.group_id, cmd.id))
            if draw(st.booleans()):                   # most members pay at once
                camp = camp.handle(PaySeat(f"p{k}", cmd.group_id, cmd.id), now=now).state
    return camp


@st.composite
def bargain_campaigns(
    draw: st.DrawFn, live_at: DateTime | None = None, max_commands: int = 20
) -> BargainCampaign:
    """Bargain campaigns after up to ``max_commands`` random starts, helps, buys and ticks."""
    policy = draw(bargain_policies(live_at))
    if _open_to_all(draw):
        policy = attrs.evolve(policy, starter_condition=Always(), helper_condition=Always())
    camp, now, people = BargainCampaign.start(policy), policy.starts_at, _people(draw)
    rng = draw(st.randoms(use_true_random=False))
    for k in range(draw(st.integers(0, max_commands))):
        now = now.add(minutes=draw(_STEPS))
        ids = sorted(bid for bid, _ in camp.bargains.items())
        kind = draw(st.sampled_from(["start", "help", "help", "help", "buy", "tick"] if ids
                                    else ["start"]))
        cmd: Any
        if kind == "start":
            cmd = StartBargain(f"c{k}", f"k{k}", draw(st.sampled_from(people)))
        elif kind == "help":
            cmd = HelpBargain(f"c{k}", draw(st.sampled_from(ids)), draw(st.sampled_from(people)))
        else:
            make = BuyBargain if kind == "buy" else BargainTick
            cmd = make(f"c{k}", draw(st.sampled_from(ids)))
        out = camp.handle(cmd, now=now, rng=rng)
        camp = out.state if out.ok else camp
    return camp


@st.composite
def assist_campaigns(
    draw: st.DrawFn, live_at: DateTime | None = None, max_commands: int = 20
) -> AssistCampaign:
    """Assistance campaigns after up to ``max_commands`` random starts, helps and ticks."""
    policy = draw(assist_policies(live_at))
    if _open_to_all(draw):
        policy = attrs.evolve(policy, owner_condition=Always(), helper_condition=Always())
    camp, now, people = AssistCampaign.start(policy), policy.starts_at, _people(draw)
    for k in range(draw(st.integers(0, max_commands))):
        now = now.add(minutes=draw(_STEPS))
        ids = sorted(tid for tid, _ in camp.tasks.items())
        kind = draw(st.sampled_from(["start", "help", "help", "help", "tick"] if ids
                                    else ["start"]))
        cmd: Any
        if kind == "start":
            cmd = StartTask(f"c{k}", f"t{k}", draw(st.sampled_from(people)))
        elif kind == "help":
            cmd = HelpTask(f"c{k}", draw(st.sampled_from(ids)), draw(st.sampled_from(people)))
        else:
            cmd = AssistTick(f"c{k}", draw(st.sampled_from(ids)))
        out = camp.handle(cmd, now=now)
        camp = out.state if out.ok else camp
    return camp


# -- lottery ---------------------------------------------------------------------------------


def rewards() -> st.SearchStrategy[Reward]:
    """Lottery rewards that are wins: coupons, points, items, cash, order-free (capped or not)."""
    return st.one_of(
        st.builds(CouponReward, st.sampled_from(["tpl-10off", "tpl-freeship"])),
        st.builds(PointsReward, st.integers(1, 500)),
        st.builds(ItemReward, sku_ids, st.integers(1, 2)),
        st.builds(CashReward, money(1, 10_000)),
        st.builds(OrderFreeReward, st.none() | money(1, 20_000)),
    )


_limits: dict[str, st.SearchStrategy[Any]] = {
    "inventory": st.none() | st.integers(0, 5),
    "per_member_limit": st.none() | st.integers(1, 3),
    "daily_cap": st.none() | st.integers(1, 5),
    "claim_in_store_days": st.none() | st.integers(1, 7),
}


@st.composite
def prize_pools(draw: st.DrawFn, max_prizes: int = 5) -> PrizePool:
    """Prize pools (奖池) by weights or by probabilities, often with 谢谢参与 and 保底.

    Probability pools sum to at most 1 with the rest on the consolation prize;
    the consolation prize is always unlimited; a guarantee names winnable
    prizes with a positive chance.
    """
    n = draw(st.integers(1, max_prizes))
    by_probability = draw(st.booleans())
    with_thanks = by_probability or draw(st.booleans())
    prizes: list[Prize] = []
    left = 100  # probabilities in whole percent, so they sum to at most 1
    for i in range(n):
        limits = {k: draw(v) for k, v in _limits.items()}
        if by_probability:
            pct = draw(st.integers(0, left))
            left -= pct
            odds: dict[str, Any] = {"probability": f"{pct / 100:.2f}"}
        else:
            odds = {"weight": draw(st.integers(0 if i else 1, 100))}
        prizes.append(Prize(f"p{i}", draw(rewards()), name=f"奖品{i}", **odds, **limits))
    if with_thanks:
        thanks_weight: int = 0 if by_probability else draw(st.integers(1, 500))
        prizes.append(Prize("thanks", ThanksReward(), weight=thanks_weight, name="谢谢参与"))
    pool_prizes: tuple[Prize, ...] = tuple(prizes)
    consolation = "thanks" if with_thanks else None
    # PrizePool and Guarantee convert with ``tuple`` / ``frozenset``, which the
    # attrs mypy plugin cannot type; the arguments here are already of that type.
    weights = PrizePool("probe", pool_prizes, consolation_id=consolation).weights  # type: ignore[arg-type]
    winnable: list[str] = [p.id for p, w in zip(pool_prizes, weights, strict=True)
                           if w and not p.reward.is_loss]
    guarantee: Guarantee | None = None
    wants_guarantee: bool = draw(st.booleans())
    if winnable and wants_guarantee:
        ids: list[str] = draw(st.lists(st.sampled_from(winnable), min_size=1, unique=True))
        guarantee = Guarantee(draw(st.integers(1, 10)), frozenset(ids))  # type: ignore[arg-type]
    return PrizePool(
        id=draw(_ids),
        prizes=pool_prizes,  # type: ignore[arg-type]
        on_run_out=draw(st.sampled_from(RunOut)) if with_thanks else RunOut.REDISTRIBUTE,
        consolation_id=consolation,
        guarantee=guarantee,
    )


def entry_rules() -> st.SearchStrategy[EntryRules]:
    """Entry rules (抽奖机会): free daily draws, order, points, share and review entries."""
    return st.builds(
        EntryRules,
        free_daily=st.integers(0, 3),
        order_threshold=st.none() | money(1, 30_000),
        order_mode=st.sampled_from(OrderEntryMode),
        max_entries_per_order=st.none() | st.integers(1, 5),
        points_per_entry=st.none() | st.integers(1, 500),
        points_entries_per_day=st.integers(1, 5),
        share_entries=st.integers(0, 2),
        shares_per_day=st.integers(1, 3),
        review_entries=st.integers(0, 2),
        reviews_per_day=st.integers(1, 3),
        entry_valid_days=st.integers(1, 30),
    )


def lottery_campaigns(live_at: DateTime | None = None) -> st.SearchStrategy[LotteryCampaign]:
    """Lottery campaigns (抽奖活动): a pool, entry rules and an optional window."""
    w = windows() if live_at is None else windows_around(live_at)
    return st.builds(LotteryCampaign, _ids, prize_pools(), entry_rules(), st.none() | w)


# -- red packets -----------------------------------------------------------------------------


@st.composite
def red_packets(draw: st.DrawFn) -> RedPacket:
    """Group red packets (拼手气红包): 1-20 grabbers, at least 1 fen each."""
    count = draw(st.integers(1, 20))
    return RedPacket(
        total=Money(draw(st.integers(count, 20_000))),
        count=count,
        rule=draw(st.sampled_from(SplitRule)),
        best_hand_claim_days=draw(st.none() | st.integers(1, 7)),
    )
