"""The campaign strategies of `sirui.testing.campaigns`: valid, round-tripping, and useful.

Each test draws values, checks that registered policies load back from their
config form, and exercises one invariant of the mechanic with them.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pendulum
from hypothesis import given
from hypothesis import strategies as st

import sirui.config
from contract import reload
from sirui.campaigns.bargain import draw_cut
from sirui.campaigns.groupbuy import (
    DifferenceDue,
    GroupBuyCampaign,
    GroupMemberJoined,
    GroupStatus,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    OpenGroup,
    PaySeat,
    RefundDue,
    SeatPaid,
)
from sirui.campaigns.limited_time import LimitedTimePriceStep
from sirui.campaigns.lottery import Drawn, MemberDraws, PoolState, draw
from sirui.campaigns.seckill import (
    MemberRecord,
    Reserve,
    SlotPhase,
    StockReserved,
    StockSlice,
    bucket_for,
)
from sirui.core.money import Money
from sirui.rules.outcome import Accepted
from sirui.rules.pricing import PriceState
from sirui.testing import TIERS, aware_datetimes, carts, members
from sirui.testing.campaigns import (
    assist_campaigns,
    assist_policies,
    bargain_campaigns,
    bargain_policies,
    group_buy_campaigns,
    group_buy_policies,
    limited_time_discounts,
    lottery_campaigns,
    prize_pools,
    red_packets,
    seckill_campaigns,
)

NOW = pendulum.datetime(2026, 11, 11, 10, 5, tz="Asia/Shanghai")


def round_trips(policy: object) -> None:
    assert sirui.config.load(sirui.config.dump(policy)) == policy


@given(seckill_campaigns(live_at=NOW), st.sampled_from((None, *TIERS)), st.integers(-600, 600))
def test_seckill_status_agrees_with_its_countdown(campaign, tier, offset_minutes):
    round_trips(campaign)
    now = NOW.add(minutes=offset_minutes)
    for slot in campaign.slots:
        st_ = campaign.status(slot.id, now, tier)
        if st_.phase is SlotPhase.ENDED:
            assert st_.occurrence is None
            continue
        assert st_.occurrence is not None and st_.opens_at is not None
        assert now < st_.occurrence.end
        assert st_.slot_key == campaign.slot_key(slot.id, st_.occurrence)
        if st_.phase is SlotPhase.OPEN:
            assert st_.countdown_seconds == 0 and st_.opens_at <= now
        else:
            assert st_.opens_at > now and st_.countdown_seconds > 0


@given(limited_time_discounts(live_at=NOW), carts())
def test_limited_time_discount_never_raises_or_negates_a_line(discount, cart):
    round_trips(discount)
    before = PriceState.start(cart, NOW)
    after = LimitedTimePriceStep(discount).price(before)
    for old, new in zip(before.lines, after.lines, strict=True):
        assert 0 <= new.amount.minor <= old.amount.minor
        item = discount.item(old.line.sku.id)
        if item is None:
            assert new.amount == old.amount


@given(group_buy_policies())
def test_group_prices_never_rise_with_more_members(policy):
    round_trips(policy)
    prices = [policy.tier_price(n).minor for n in range(1, policy.capacity + 3)]
    assert prices == sorted(prices, reverse=True)
    assert prices[-1] >= 1
    for leader in (True, False):
        assert 0 <= policy.join_price(leader).minor <= policy.original_price.minor
    assert policy.join_price(True) <= policy.join_price(False)


@given(bargain_policies(), st.integers(0, 2**32))
def test_bargain_cuts_reach_the_floor_exactly(policy, seed):
    round_trips(policy)
    rng = random.Random(seed)
    remaining = policy.room.minor
    for left in range(policy.helpers_expected, 0, -1):
        cut = draw_cut(remaining, left, policy.generosity, rng)
        assert 1 <= cut <= remaining - (left - 1)
        remaining -= cut
    assert remaining == 0


@given(assist_policies(), st.integers(0, 10**6))
def test_assist_deadlines_fall_within_the_campaign(policy, permille):
    round_trips(policy)
    span = policy.ends_at - policy.starts_at
    started = policy.starts_at.add(seconds=int(span.total_seconds() * permille / 10**6))
    if started >= policy.ends_at:
        return
    assert started < policy.deadline_for(started) <= policy.ends_at


@given(prize_pools(), st.integers(0, 2**32), aware_datetimes())
def test_prize_pool_never_awards_beyond_inventory_caps_or_limits(pool, seed, now):
    round_trips(pool)
    rng = random.Random(seed)
    state = PoolState.open(pool, now)
    members = {m: MemberDraws.new(m, pool) for m in ("m1", "m2", "m3")}
    for k in range(40):
        mid = ("m1", "m2", "m3")[k % 3]
        out = draw(state, members[mid], rng, now)
        if not isinstance(out, Drawn):
            continue
        state, members[mid] = out.pool, out.member
    for i, prize in enumerate(pool.prizes):
        if prize.inventory is not None:
            assert state.awarded[i] <= prize.inventory
        if prize.daily_cap is not None:
            assert state.won_today[i] <= prize.daily_cap
        if prize.per_member_limit is not None:
            assert all(m.wins[i] <= prize.per_member_limit for m in members.values())
    assert sum(state.awarded) == sum(sum(m.wins) for m in members.values())


@given(lottery_campaigns())
def test_lottery_campaigns_round_trip(campaign):
    round_trips(campaign)
    chances = campaign.pool.probabilities()
    assert all(0 <= c <= 1 for c in chances)
    assert abs(sum(chances) - 1) < Decimal("1e-20")


@given(red_packets(), st.integers(0, 2**32))
def test_red_packet_parts_sum_to_the_total(packet, seed):
    round_trips(packet)
    split = packet.split(random.Random(seed))
    assert len(split.parts) == packet.count
    assert split.total == packet.total
    assert min(p.minor for p in split.parts) >= 1
    assert split.parts[split.best_hand] == max(split.parts)


def _winnable_guaranteed(state: PoolState, member: MemberDraws) -> bool:
    """Can ``member`` still win one of the pool's guaranteed prizes right now?"""
    pool = state.pool
    assert pool.guarantee is not None
    for pid in pool.guarantee.prize_ids:
        i = pool.index[pid]
        p = pool.prizes[i]
        if (
            pool.weights[i] > 0
            and (p.inventory is None or state.awarded[i] < p.inventory)
            and (p.daily_cap is None or state.won_today[i] < p.daily_cap)
            and (p.per_member_limit is None or member.wins[i] < p.per_member_limit)
        ):
            return True
    return False


@given(prize_pools().filter(lambda p: p.guarantee is not None), st.integers(0, 2**32),
       aware_datetimes())
def test_guarantee_ends_every_losing_streak_while_it_can(pool, seed, now):
    assert pool.guarantee is not None
    n = pool.guarantee.within_draws
    rng = random.Random(seed)
    state, member = PoolState.open(pool, now), MemberDraws.new("m1", pool)
    for _ in range(30):
        due = member.losses_in_a_row >= n - 1 and _winnable_guaranteed(state, member)
        out = draw(state, member, rng, now)
        if not isinstance(out, Drawn):
            assert not due
            continue
        if due:
            assert out.prize.id in pool.guarantee.prize_ids and out.guaranteed
        state, member = out.pool, out.member


@given(
    seckill_campaigns(live_at=NOW),
    st.lists(members(), min_size=1, max_size=3, unique_by=lambda m: m.id),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 3)), max_size=15),
)
def test_seckill_reservations_never_oversell_or_pass_limits(campaign, people, attempts):
    rules = campaign.stock_rules()
    open_slots = [
        (slot, st_) for slot in campaign.slots
        if (st_ := campaign.status(slot.id, NOW)).phase is SlotPhase.OPEN
    ]
    if not open_slots:
        return
    slot, status = open_slots[0]
    assert status.occurrence is not None
    counters = {
        (c.sku, c.bucket): c
        for cs in campaign.counters(slot.id, status.occurrence).values() for c in cs
    }
    records = {m.id: MemberRecord(m.id) for m in people}
    taken: dict[tuple[str, str], int] = {}
    for k, (who, which, qty) in enumerate(attempts):
        member = people[who % len(people)]
        item = slot.items[which % len(slot.items)]
        key = (item.sku, bucket_for(member.id, item.buckets))
        stock = StockSlice(rules, counters[key], records[member.id])
        out = campaign.reserve(stock, Reserve(f"o{k}", member.id, qty), member=member,
                               slot_id=slot.id, now=NOW)
        counters[key], records[member.id] = out.state.counter, out.state.member
        for ev in out.events if isinstance(out, Accepted) else ():
            if isinstance(ev, StockReserved):
                taken[member.id, ev.sku] = taken.get((member.id, ev.sku), 0) + ev.quantity
    for c in counters.values():
        assert c.sold + c.reserved + c.held <= c.stock
    limit = min(x for x in (campaign.limits.per_slot, campaign.limits.per_day,
                            campaign.limits.per_campaign, 10**9) if x is not None)
    assert all(q <= limit for q in taken.values())


@given(
    group_buy_policies(),
    st.lists(members(), min_size=1, max_size=8, unique_by=lambda m: m.id),
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.integers(1, 3),
)
def test_group_buy_money_settles_to_the_final_price_or_to_nothing(policy, people, pays, qty):
    camp = GroupBuyCampaign.start(policy)
    now = policy.starts_at
    net: dict[str, int] = {}
    leader_join: set[str] = set()
    final: list[Money] = []

    def run(cmd: object) -> bool:
        nonlocal camp
        out = camp.handle(cmd, now=now)  # type: ignore[arg-type]
        camp = out.state
        for ev in out.events:
            if isinstance(ev, GroupMemberJoined) and ev.leader:
                leader_join.add(ev.join_id)
            elif isinstance(ev, SeatPaid):
                net[ev.join_id] = net.get(ev.join_id, 0) + ev.amount.minor
            elif isinstance(ev, RefundDue):
                net[ev.join_id] = net.get(ev.join_id, 0) - ev.amount.minor
            elif isinstance(ev, DifferenceDue):
                net[ev.join_id] = net.get(ev.join_id, 0) + ev.amount.minor
            elif isinstance(ev, GroupSucceeded):
                final.append(ev.final_price)
        return isinstance(out, Accepted)

    leader, *others = people
    run(OpenGroup("open", "g", leader, qty))
    if "g" not in camp.groups:
        return
    run(PaySeat("pay-open", "g", "open"))
    for k, (m, pay) in enumerate(zip(others, pays, strict=False)):
        if run(JoinGroup(f"j{k}", "g", m, qty)) and pay:
            run(PaySeat(f"p{k}", "g", f"j{k}"))
    now = camp.group("g").deadline.add(minutes=1)
    run(GroupTick("tick", "g"))
    assert camp.group("g").status is not GroupStatus.OPEN
    assert all(v >= 0 for v in net.values())
    if not final:
        assert all(v == 0 for v in net.values())
        return
    for join_id, paid in net.items():
        leads = join_id in leader_join
        unit = policy.leader_price(final[0]) if leads else final[0]
        assert paid == unit.minor * qty, (join_id, paid, unit)


@given(group_buy_campaigns())
def test_live_group_buys_hold_their_seats_stock_and_usage_and_reload_equal(camp):
    assert reload(camp) == camp
    held, usage = 0, {}
    for _, g in camp.groups.items():
        assert len(g.seats) <= camp.policy.capacity
        if g.status in (GroupStatus.FAILED, GroupStatus.CANCELLED):
            continue
        for s in g.seats:
            held += s.quantity
            usage[s.member_id] = usage.get(s.member_id, 0) + s.quantity
    assert camp.held == held
    assert camp.stock_left is None or camp.stock_left >= 0
    assert {m: u.quantity for m, u in camp.usage.items() if u.quantity} == usage


@given(bargain_campaigns())
def test_live_bargains_follow_their_cuts_and_reload_equal(camp):
    assert reload(camp) == camp
    p = camp.policy
    for _, b in camp.bargains.items():
        assert b.price == p.original_price - sum((c.amount for c in b.cuts), Money(0))
        assert p.floor_price <= b.price
        assert (b.price == p.floor_price) == (len(b.cuts) == p.helpers_expected)
    assert p.stock is None or camp.sold <= p.stock


@given(assist_campaigns())
def test_live_assist_tasks_complete_at_their_helps_and_reload_equal(camp):
    assert reload(camp) == camp
    p = camp.policy
    done = 0
    for _, t in camp.tasks.items():
        assert t.owner not in t.helpers and len(set(t.helpers)) == len(t.helpers)
        complete = t.status.value == "completed"
        assert complete == (len(t.helpers) == p.helps_required)
        done += complete
    assert camp.prizes_given <= done
    assert p.prize_stock is None or camp.prizes_given <= p.prize_stock
