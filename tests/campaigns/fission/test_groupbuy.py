"""Group-buy (拼团) rules as operators state them, with exact yuan figures."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.campaigns.groupbuy import (
    GROUP_TRANSITIONS,
    AutoFill,
    DifferenceDue,
    GroupBuyCampaign,
    GroupBuyPolicy,
    GroupBuyPriceStep,
    GroupFailed,
    GroupStatus,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    LadderSettlement,
    LadderTier,
    LeaveGroup,
    OpenGroup,
    PaySeat,
    RedPacketDue,
    RefundDue,
    RefundKind,
    ReleaseWhy,
    SeatReleased,
)
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment, Line, Sku
from sirui.rules import Always, NewCustomer, PriceState, Stage, TierIn

from ._helpers import END, T0, codes, member, yuan


def policy(**kw: Any) -> GroupBuyPolicy:
    base: dict[str, Any] = {
        "id": "gb1", "sku": "milk", "original_price": yuan("99"), "group_price": yuan("59"),
        "group_size": 3, "starts_at": T0, "ends_at": END,
    }
    base.update(kw)
    return GroupBuyPolicy(**base)


class Driver:
    """Feeds commands at minutes after T0 and keeps the accepted state."""

    def __init__(self, p: GroupBuyPolicy) -> None:
        self.state = GroupBuyCampaign.start(p)
        self.n = 0

    def run(self, cmd: Any, minute: float) -> Any:
        out = self.state.handle(cmd, now=T0.add(seconds=int(minute * 60)))
        self.state = out.state
        return out

    def open(self, gid: str, mid: str, minute: float = 1, **kw: Any) -> Any:
        return self.run(OpenGroup(f"open-{gid}", gid, member(mid, **kw.pop("m", {})), **kw),
                        minute)

    def join(self, gid: str, mid: str, minute: float = 2, **kw: Any) -> Any:
        return self.run(JoinGroup(f"join-{gid}-{mid}", gid, member(mid, **kw.pop("m", {})), **kw),
                        minute)

    def pay(self, gid: str, join_id: str, minute: float = 3) -> Any:
        self.n += 1
        return self.run(PaySeat(f"pay{self.n}", gid, join_id), minute)

    def tick(self, minute: float, gid: str = "g1") -> Any:
        self.n += 1
        return self.run(GroupTick(f"tick{self.n}", gid), minute)

    def full_group(self, gid: str, mids: list[str], minute: float = 1) -> Any:
        self.open(gid, mids[0], minute)
        out = self.pay(gid, f"open-{gid}", minute)
        for mid in mids[1:]:
            self.join(gid, mid, minute)
            out = self.pay(gid, f"join-{gid}-{mid}", minute)
        return out


def test_three_person_group_at_59_succeeds_when_the_last_seat_is_paid() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    d.join("g1", "a")
    d.join("g1", "b")
    d.pay("g1", "join-g1-a")
    assert d.state.group("g1").status is GroupStatus.OPEN
    out = d.pay("g1", "join-g1-b")
    assert codes(out.events) == ["SeatPaid", "GroupSucceeded"]
    ok = out.events[1]
    assert (ok.members, ok.filled, ok.final_price) == (3, 0, yuan("59"))
    assert [s.amount for s in d.state.group("g1").seats] == [yuan("59")] * 3


def test_a_group_short_at_its_deadline_fails_and_refunds_every_paid_member_once() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    d.join("g1", "a")
    d.pay("g1", "join-g1-a")
    d.join("g1", "b", minute=60)            # never pays
    out = d.tick(24 * 60 + 1)               # 24 hours after opening at minute 1
    refunds = [e for e in out.events if isinstance(e, RefundDue)]
    assert [(r.member_id, r.amount, r.kind) for r in refunds] == [
        ("leader", yuan("59"), RefundKind.GROUP_FAILED), ("a", yuan("59"), RefundKind.GROUP_FAILED)]
    assert [type(e) for e in out.events][-1] is GroupFailed
    assert d.state.group("g1").status is GroupStatus.FAILED
    again = d.tick(24 * 60 + 30)
    assert (again.ok, again.events) == (False, ())
    assert again.reason.code == "groupbuy.expired"
    assert d.state.held == 0
    assert d.state.usage_of("a").joined == 0


def test_an_unpaid_seat_is_released_after_the_payment_timeout_and_can_be_taken() -> None:
    d = Driver(policy(group_size=2))
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    d.join("g1", "slow", minute=2)
    assert d.join("g1", "fast", minute=10).reason.code == "groupbuy.full"
    out = d.join("g1", "fast", minute=17)          # 15 minutes after 'slow' joined
    assert out.ok
    timeout = ReleaseWhy.PAYMENT_TIMEOUT
    assert out.events[0] == SeatReleased("g1", "slow", "join-g1-slow", 1, timeout)
    late = d.pay("g1", "join-g1-slow", minute=18)
    assert late.reason.code == "groupbuy.payment_expired"
    assert codes(d.pay("g1", "join-g1-fast", minute=18).events) == ["SeatPaid", "GroupSucceeded"]


def test_a_full_group_refuses_the_next_join() -> None:
    d = Driver(policy(group_size=2))
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    assert d.join("g1", "a").ok
    assert d.join("g1", "b").reason.code == "groupbuy.full"


def test_members_join_only_after_the_leader_paid_and_only_once() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    assert d.join("g1", "a").reason.code == "groupbuy.leader_unpaid"
    d.pay("g1", "open-g1")
    assert d.join("g1", "a").ok
    assert d.run(JoinGroup("again", "g1", member("a")), 3).reason.code == "groupbuy.already_joined"


def test_a_leader_alone_who_leaves_cancels_the_group_and_gets_the_59_back() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    out = d.run(LeaveGroup("bye", "g1", "leader"), 5)
    assert codes(out.events) == ["RefundDue", "GroupCancelled"]
    assert out.events[0].amount == yuan("59")
    assert out.events[0].kind is RefundKind.GROUP_CANCELLED
    assert d.state.group("g1").status is GroupStatus.CANCELLED
    assert d.join("g1", "a", minute=6).reason.code == "groupbuy.closed"


def test_the_leader_cannot_leave_once_someone_joined_and_a_paid_member_cannot_leave() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    d.join("g1", "a")
    assert d.run(LeaveGroup("l1", "g1", "leader"), 3).reason.code == "groupbuy.leader_cannot_leave"
    d.pay("g1", "join-g1-a")
    assert d.run(LeaveGroup("l2", "g1", "a"), 4).reason.code == "groupbuy.already_paid"
    assert d.run(LeaveGroup("l3", "g1", "zed"), 4).reason.code == "groupbuy.not_in_group"


def test_a_leader_who_never_pays_cancels_the_group() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    out = d.tick(20)
    assert codes(out.events) == ["SeatReleased", "GroupCancelled"]
    assert d.state.held == 0


def test_leader_free_pays_nothing_and_leader_discount_takes_10_off() -> None:
    free = Driver(policy(leader_free=True))
    assert free.open("g1", "leader").events[1].unit_price == yuan("0")
    disc = Driver(policy(leader_discount=yuan("10")))
    assert disc.open("g1", "leader").events[1].unit_price == yuan("49")
    assert disc.full_group("g2", ["l2", "a", "b"], minute=2).events[-1].final_price == yuan("59")


LADDER = {"group_size": 2, "group_price": yuan("59"),
              "ladder": (LadderTier(5, yuan("49")), LadderTier(10, yuan("39")))}


def test_ladder_group_of_six_settles_at_49_and_refunds_10_to_each_member() -> None:
    d = Driver(policy(**LADDER))
    d.open("g1", "m0")
    d.pay("g1", "open-g1")
    for i in range(1, 6):
        d.join("g1", f"m{i}")
        d.pay("g1", f"join-g1-m{i}")
    assert d.state.group("g1").status is GroupStatus.OPEN   # waits for its deadline
    out = d.tick(24 * 60 + 1)
    ok = next(e for e in out.events if isinstance(e, GroupSucceeded))
    assert (ok.members, ok.final_price) == (6, yuan("49"))
    refunds = [e for e in out.events if isinstance(e, RefundDue)]
    assert len(refunds) == 6
    assert {(r.amount, r.kind) for r in refunds} == {(yuan("10"), RefundKind.PRICE_DIFFERENCE)}


def test_ladder_group_charging_the_difference_collects_10_from_each_member() -> None:
    d = Driver(policy(**LADDER, ladder_settlement=LadderSettlement.CHARGE_DIFFERENCE))
    d.open("g1", "m0")
    assert d.state.group("g1").seats[0].unit_price == yuan("39")
    d.pay("g1", "open-g1")
    for i in range(1, 5):
        d.join("g1", f"m{i}")
        d.pay("g1", f"join-g1-m{i}")
    out = d.tick(24 * 60 + 1)
    assert next(e for e in out.events if isinstance(e, GroupSucceeded)).final_price == yuan("49")
    charges = [e for e in out.events if isinstance(e, DifferenceDue)]
    assert [c.amount for c in charges] == [yuan("10")] * 5


def test_ladder_group_succeeds_at_once_when_its_last_tier_fills() -> None:
    d = Driver(policy(**LADDER))
    out = d.full_group("g1", [f"m{i}" for i in range(10)])
    ok = next(e for e in out.events if isinstance(e, GroupSucceeded))
    assert (ok.members, ok.final_price) == (10, yuan("39"))
    assert [e.amount for e in out.events if isinstance(e, RefundDue)] == [yuan("20")] * 10


def test_ladder_group_below_its_base_size_fails() -> None:
    d = Driver(policy(**LADDER))
    d.open("g1", "m0")
    d.pay("g1", "open-g1")
    out = d.tick(24 * 60 + 1)
    assert codes(out.events) == ["RefundDue", "GroupFailed"]


def test_new_customer_group_refuses_an_old_customer() -> None:
    d = Driver(policy(join_condition=NewCustomer()))
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    out = d.join("g1", "old")
    assert out.reason.code == "groupbuy.not_eligible"
    assert out.reason.params["because"] == ("condition.not_new_customer",)
    assert d.join("g1", "new", m={"paid_orders": 0}).ok


def test_only_gold_members_may_open() -> None:
    d = Driver(policy(open_condition=TierIn(frozenset({"gold"}))))
    assert d.open("g1", "silver", m={"tier": "silver"}).reason.code == "groupbuy.not_eligible"
    assert d.open("g2", "gold", m={"tier": "gold"}).ok


def test_hundred_person_group_is_pickup_only() -> None:
    d = Driver(policy(group_size=100, group_price=yuan("9.90"), pickup_only=True))
    assert d.open("g1", "leader").reason.code == "groupbuy.pickup_only"
    assert d.open("g1", "leader", fulfillment=Fulfillment.PICKUP).ok


def test_the_leader_gets_a_5_yuan_red_packet_when_the_group_succeeds() -> None:
    d = Driver(policy(leader_red_packet=yuan("5")))
    out = d.full_group("g1", ["leader", "a", "b"])
    assert out.events[-1] == RedPacketDue("g1", "leader", yuan("5"))


def test_auto_fill_completes_a_group_of_5_with_3_paid_an_hour_before_the_deadline() -> None:
    d = Driver(policy(group_size=5, auto_fill=AutoFill(60, 3)))
    d.open("g1", "m0", minute=0)
    d.pay("g1", "open-g1", minute=0)
    for mid in ("m1", "m2"):
        d.join("g1", mid, minute=1)
        d.pay("g1", f"join-g1-{mid}", minute=1)
    early = d.tick(22 * 60)
    assert (early.ok, early.events, early.reason.code) == (False, (), "groupbuy.nothing_due")
    out = d.tick(23 * 60)
    ok = out.events[0]
    assert isinstance(ok, GroupSucceeded)
    assert (ok.members, ok.filled) == (3, 2)


def test_auto_fill_needs_its_minimum_of_real_members() -> None:
    d = Driver(policy(group_size=5, auto_fill=AutoFill(60, 3)))
    d.open("g1", "m0", minute=0)
    d.pay("g1", "open-g1", minute=0)
    d.join("g1", "m1", minute=1)
    d.pay("g1", "join-g1-m1", minute=1)
    assert d.tick(23 * 60 + 30).events == ()
    assert codes(d.tick(24 * 60).events)[-1] == "GroupFailed"


def test_campaign_stock_of_2_units_stops_the_third_seat_until_one_is_released() -> None:
    d = Driver(policy(stock=2))
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    d.join("g1", "a", minute=2)
    assert d.state.stock_left == 0
    assert d.join("g1", "b", minute=3).reason.code == "groupbuy.sold_out"
    assert d.join("g1", "b", minute=18).ok    # 'a' timed out at minute 17


def test_per_member_limits_on_groups_opened_joined_and_quantity() -> None:
    d = Driver(policy(max_groups_opened_per_member=1, max_groups_joined_per_member=1,
                      max_quantity_per_member=2))
    d.open("g1", "x")
    d.pay("g1", "open-g1")
    out = d.open("g2", "x")
    assert out.reason.code == "groupbuy.limit_reached"
    assert out.reason.params["max"] == 1
    d.open("g3", "y")
    d.pay("g3", "open-g3")
    assert d.join("g1", "z").ok
    assert d.join("g3", "z").reason.code == "groupbuy.limit_reached"
    assert d.join("g3", "x", quantity=2).reason.params["max"] == 2   # x holds 1 already


def test_the_campaign_window_bounds_opening_and_a_group_deadline() -> None:
    d = Driver(policy())
    assert d.open("g1", "a", minute=-5).reason.code == "groupbuy.not_started"
    assert d.open("g1", "a", minute=10 * 24 * 60).reason.code == "groupbuy.ended"
    d.open("g2", "b", minute=10 * 24 * 60 - 30)
    assert d.state.group("g2").deadline == END


def test_commands_are_idempotent_by_id() -> None:
    d = Driver(policy())
    first = d.open("g1", "leader")
    paid = d.pay("g1", "open-g1")
    replay = d.state.handle(OpenGroup("open-g1", "g1", member("leader")), now=T0.add(hours=1))
    assert replay.ok
    assert replay.events == first.events
    assert replay.state == d.state
    again = d.state.handle(PaySeat("pay1", "g1", "open-g1"), now=T0.add(hours=1))
    assert again.events == paid.events
    assert again.state == d.state
    with pytest.raises(IdConflictError):
        d.state.handle(PaySeat("pay1", "g1", "other"), now=T0.add(hours=1))
    with pytest.raises(InvalidCommandError):
        d.state.handle(PaySeat("pay9", "g1", "nobody"), now=T0.add(hours=1))
    with pytest.raises(InvalidCommandError):
        d.state.handle(JoinGroup("j", "nope", member("a")), now=T0.add(hours=1))


@pytest.mark.parametrize("bad", [
    {"group_size": 1},
    {"group_price": yuan("100")},
    {"ends_at": T0},
    {"ladder": (LadderTier(5, yuan("49")), LadderTier(4, yuan("39")))},
    {"ladder": (LadderTier(5, yuan("49")), LadderTier(10, yuan("49")))},
    {"leader_free": True, "leader_discount": yuan("5")},
    {"auto_fill": AutoFill(60, 3)},
    {"payment_timeout_minutes": 0},
    {"stock": -1},
])
def test_bad_policies_raise_typed_errors_naming_the_field(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidPolicyError) as err:
        policy(**bad)
    assert err.value.field


def test_transitions_only_leave_open() -> None:
    assert {src for src, _ in GROUP_TRANSITIONS} == {None, GroupStatus.OPEN}


policies = st.builds(
    policy,
    group_size=st.integers(2, 100),
    group_price=st.integers(2, 9900).map(lambda f: yuan(f"{f / 100:.2f}")),
    leader_discount=st.none() | st.just(yuan("1")),
    pickup_only=st.booleans(),
    stock=st.none() | st.integers(0, 1000),
    leader_red_packet=st.none() | st.just(yuan("5")),
    join_condition=st.sampled_from([Always(), NewCustomer(), TierIn(frozenset({"gold"}))]),
    closed_stages=st.frozensets(st.sampled_from([Stage.PROMOTION, Stage.COUPON])),
)


@given(policies, st.booleans())
def test_policies_round_trip_through_config(p: GroupBuyPolicy, ladder: bool) -> None:
    if ladder:
        p = policy(group_size=p.group_size, group_price=p.group_price,
                   ladder=(LadderTier(p.group_size + 1, yuan("0.01")),),
                   ladder_settlement=LadderSettlement.CHARGE_DIFFERENCE,
                   auto_fill=AutoFill(30, 1))
    assert load(dump(p)) == p


# -- the activity price ---------------------------------------------------------------


def _state(fulfillment: Fulfillment = Fulfillment.DELIVERY) -> PriceState:
    milk = Sku("milk", yuan("99"))
    wipes = Sku("wipes", yuan("20"))
    cart = Cart(member("m"), (Line("L1", milk, 2), Line("L2", wipes, 1)),
                fulfillment=fulfillment)
    return PriceState.start(cart, T0.add(hours=1))


def test_price_step_sells_two_99_yuan_tins_at_59_each() -> None:
    p = policy(closed_stages=frozenset({Stage.COUPON}))
    out = GroupBuyPriceStep.for_member(p, "L1").price(_state())
    adj = out.adjustments[0]
    assert (adj.amount, adj.stage, adj.activity) == (yuan("80"), Stage.ACTIVITY, "groupbuy:gb1")
    assert out.line("L1").amount == yuan("118")
    assert out.line("L2").amount == yuan("20")
    assert not out.line("L1").open_to(Stage.COUPON)
    assert adj.reason.code == "groupbuy.group_price"


def test_price_step_uses_the_seat_price_for_a_free_leader() -> None:
    d = Driver(policy(leader_free=True))
    d.open("g1", "leader")
    seat = d.state.group("g1").seats[0]
    out = GroupBuyPriceStep.for_seat(d.state.policy, seat, "L1").price(_state())
    assert out.line("L1").amount == yuan("0")


def test_price_step_skips_other_items_and_delivery_on_a_pickup_only_campaign() -> None:
    other = GroupBuyPriceStep.for_member(policy(), "L2").price(_state())
    assert other.adjustments == ()
    assert other.not_applied[0].reason.code == "groupbuy.not_this_item"
    pick = GroupBuyPriceStep.for_member(policy(pickup_only=True), "L1")
    assert pick.price(_state()).not_applied[0].reason.code == "groupbuy.pickup_only"
    assert pick.price(_state(Fulfillment.PICKUP)).line("L1").amount == yuan("118")


def test_commands_are_validated_on_construction() -> None:
    with pytest.raises(InvalidPolicyError):
        JoinGroup("", "g1", member("a"))
    with pytest.raises(InvalidPolicyError):
        OpenGroup("o", "g1", "lily")  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError):
        JoinGroup("j", "g1", member("a"), quantity=0)


def test_deadline_outcomes_are_dated_at_the_deadline_however_late_the_tick() -> None:
    d = Driver(policy())
    d.open("g1", "leader")
    d.pay("g1", "open-g1")
    out = d.tick(3 * 24 * 60)
    failed = out.events[-1]
    assert isinstance(failed, GroupFailed)
    assert failed.at == T0.add(minutes=1 + 24 * 60)
    assert d.state.group("g1").closed_at == failed.at


@given(st.integers(1, 20_000), st.integers(1, 20_000), st.integers(1, 5), st.booleans())
def test_the_price_step_never_raises_a_price_and_lands_on_the_seat_price(
    list_fen: int, seat_fen: int, quantity: int, leader_free: bool,
) -> None:
    p = policy(original_price=Money(20_000), group_price=Money(20_000), leader_free=leader_free)
    cart = Cart(member("m"), (Line("L1", Sku("milk", Money(list_fen)), quantity),))
    state = PriceState.start(cart, T0)
    out = GroupBuyPriceStep(p, "L1", Money(seat_fen)).price(state)
    expected = min(list_fen, seat_fen) * quantity
    assert out.line("L1").amount == Money(expected)
    assert out.stage_total(Stage.ACTIVITY) == Money(list_fen * quantity - expected)
