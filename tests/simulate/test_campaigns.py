"""Campaigns in the what-if: stock and limits replayed first come first served, on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pandas as pd
import pendulum
from hypothesis import HealthCheck, given, settings
from sim_strategies import histories, scenarios

from examples_budget import scaled
from sirui.campaigns.groupbuy import GroupBuyPolicy
from sirui.campaigns.lottery import EntryRules, LotteryCampaign, Prize, PrizePool
from sirui.campaigns.lottery._policy import CashReward, ThanksReward
from sirui.campaigns.seckill import PurchaseLimits, SeckillCampaign, SeckillItem, SeckillSlot
from sirui.core.money import Money
from sirui.core.windows import DailySlot
from sirui.simulate import Scenario, compare, simulate
from sirui.simulate.campaigns import replay_campaigns
from sirui.simulate.columnar import columnar_plan

TZ = "Asia/Shanghai"


def both(orders: Any, members: Any, scenario: Scenario) -> tuple[Any, Any]:
    exact = simulate(orders, members, scenario, engine="exact")
    fast = simulate(orders, members, scenario, engine="columnar")
    pd.testing.assert_frame_equal(exact.orders, fast.orders, check_dtype=False)
    assert exact.summary == fast.summary
    return exact, fast


def flash(stock: int, **kw: Any) -> SeckillCampaign:
    """秒杀 of FM1 at 199 (list 268), every day 10:00-11:00, ``stock`` a day."""
    slot = SeckillSlot(
        "ten", (SeckillItem("FM1", Money.of("199"), Money.of("268"), stock),),
        daily=DailySlot(dt.time(10), dt.time(11), tz=TZ),
    )
    return SeckillCampaign("flash", (slot,), **kw)


def orders_at(minutes: list[int], members: list[str], qty: int = 1) -> Any:
    """One FM1 order per entry, placed at 10:00 plus ``minutes`` on 1 July, paid a minute on."""
    at = pendulum.datetime(2026, 7, 1, 10, tz=TZ)
    return pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(len(minutes))],
            "member_id": members,
            "sku": ["FM1"] * len(minutes),
            "placed_at": [at.add(minutes=m).isoformat() for m in minutes],
            "paid_at": [at.add(minutes=m + 1).isoformat() for m in minutes],
            "quantity": [qty] * len(minutes),
            "unit_price_fen": [26800] * len(minutes),
        }
    )


def test_a_flash_sale_of_three_sells_to_the_first_three() -> None:
    """Five buyers for three units: the first three pay 199, the last two are counted sold out;
    their rows stay (zero figures) so two runs still line up."""
    orders = orders_at([0, 1, 2, 3, 4], ["M1", "M2", "M3", "M4", "M5"])
    members = pd.DataFrame({"member_id": [f"M{i}" for i in range(1, 6)]})
    _, fast = both(orders, members, Scenario("flash", seckill=(flash(3),)))
    got = fast.orders.set_index("order_id")
    assert list(got.payable_fen) == [19900, 19900, 19900, 0, 0]
    assert list(got.activity_fen) == [6900, 6900, 6900, 0, 0]
    assert got.reasons["O4"] == "seckill.sold_out" and got.rules["O0"] == "seckill:flash"
    assert fast.summary["orders_lost"] == 2
    assert fast.summary["campaign_outcomes"] == {"seckill.sold": 3, "seckill.sold_out": 2}


def test_what_if_the_flash_sale_had_five_units() -> None:
    """Three units against five: the comparison counts the two orders the sale lost."""
    orders = orders_at([0, 1, 2, 3, 4], ["M1", "M2", "M3", "M4", "M5"])
    members = pd.DataFrame({"member_id": [f"M{i}" for i in range(1, 6)]})
    three = simulate(orders, members, Scenario("three", seckill=(flash(3),)))
    five = simulate(orders, members, Scenario("five", seckill=(flash(5),)))
    cmp = compare(three, five)
    assert cmp.overall.loc["orders_lost", "delta"] == -2
    assert cmp.overall.loc["payable_fen", "delta"] == 2 * 19900


def test_limits_and_a_late_payment_are_refusals_too() -> None:
    """Two units, one per member a day: M1's second order is refused; M2 pays after the
    5-minute window, so M3 at 10:03 finds none left, and M4 at 10:08 gets M2's unit back."""
    orders = orders_at([0, 1, 2, 3, 8], ["M1", "M1", "M2", "M3", "M4"])
    orders.loc[2, "paid_at"] = pendulum.datetime(2026, 7, 1, 10, 30, tz=TZ).isoformat()
    members = pd.DataFrame({"member_id": ["M1", "M2", "M3", "M4"]})
    scenario = Scenario("limits", seckill=(flash(2, limits=PurchaseLimits(per_day=1)),))
    _, fast = both(orders, members, scenario)
    got = fast.orders.set_index("order_id")
    assert got.reasons["O1"] == "seckill.limit_reached"
    assert got.reasons["O2"] == "seckill.payment_timeout"
    assert got.reasons["O3"] == "seckill.sold_out"
    assert list(got.payable_fen[["O0", "O4"]]) == [19900, 19900]
    assert fast.summary["campaign_outcomes"]["seckill.sold"] == 2


def test_a_group_of_three_that_gets_two_fails() -> None:
    """拼团 of three at 218: T1 fills (three orders, priced at 218), T2 has two and fails at
    its deadline: both its orders did not happen."""
    policy = GroupBuyPolicy(
        "team", "FM1", Money.of("268"), Money.of("218"), 3,
        starts_at=pendulum.datetime(2026, 6, 1, tz=TZ),
        ends_at=pendulum.datetime(2026, 9, 1, tz=TZ),
        time_limit_minutes=60,
    )
    orders = orders_at([0, 1, 2, 10, 11], ["M1", "M2", "M3", "M4", "M5"])
    orders["group_id"] = ["T1", "T1", "T1", "T2", "T2"]
    members = pd.DataFrame({"member_id": [f"M{i}" for i in range(1, 6)]})
    _, fast = both(orders, members, Scenario("team", group_buys=(policy,)))
    got = fast.orders.set_index("order_id")
    assert list(got.payable_fen) == [21800, 21800, 21800, 0, 0]
    assert got.reasons["O3"] == got.reasons["O4"] == "groupbuy.group_failed"
    assert fast.summary["campaign_outcomes"] == {
        "groupbuy.group_failed": 2, "groupbuy.succeeded": 3,
    }


def test_a_lottery_pool_gives_what_its_inventory_holds() -> None:
    """满199抽奖, two 5-yuan red packets in the pool: five entries win at most two; the draws
    are seeded by the campaign, so the same history draws the same way every run."""
    pool = PrizePool(
        "pool",
        prizes=(
            Prize("red", CashReward(Money.of("5")), weight=9, inventory=2),
            Prize("thanks", ThanksReward(), weight=1),
        ),
        consolation_id="thanks",
    )
    lottery = LotteryCampaign("draw", pool, EntryRules(order_threshold=Money.of("199")))
    orders = orders_at([0, 1, 2, 3, 4], ["M1", "M2", "M3", "M4", "M5"])
    members = pd.DataFrame({"member_id": [f"M{i}" for i in range(1, 6)]})
    _, fast = both(orders, members, Scenario("draw", lotteries=(lottery,)))
    s = fast.summary
    assert (s["lottery_entries"], s["lottery_draws"]) == (5, 5)
    assert s["lottery_prizes"]["red"] == 2 and s["lottery_cost_fen"] == 1000


@settings(max_examples=scaled(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(coupons=True, campaigns=True), history=histories())
def test_campaigns_price_the_same_on_both_engines(scenario: Scenario, history: Any) -> None:
    assert columnar_plan(scenario)[0] is not None
    both(*history, scenario)


@settings(max_examples=scaled(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(campaigns=True), history=histories(max_orders=16))
def test_a_stock_of_n_never_sells_more_than_n(scenario: Scenario, history: Any) -> None:
    """Units sold per slot occurrence and SKU never pass the item's stock, refunds and
    returned stock included (sold minus returned, in time order)."""
    scenario = attrs.evolve(
        scenario, seckill=tuple(attrs.evolve(c, refund_returns_stock=False)
                                for c in scenario.seckill),
    )
    replay = replay_campaigns(scenario, *history, None)
    sold: dict[tuple[str, str], int] = {}
    stock: dict[tuple[str, str], int] = {}
    for steps in replay.steps.values():
        for step in steps:
            if not hasattr(step, "reservations"):
                continue
            item = {it.sku: it for s in step.campaign.slots for it in s.items}
            for res in step.reservations:
                key = (res.slot_key, res.sku)
                sold[key] = sold.get(key, 0) + res.quantity
                stock[key] = item[res.sku].stock
    assert all(sold[k] <= stock[k] for k in sold), (sold, stock)
