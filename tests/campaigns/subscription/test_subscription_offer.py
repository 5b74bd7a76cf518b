"""周期购 offers and rules: cadences on the store's calendar, prices allocated to the fen."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from subscription_helpers import TZ, milk, nov, y

from sirui.campaigns.subscription import (
    MAX_DELIVERIES,
    Cadence,
    Frequency,
    SubscriptionOffer,
    SubscriptionPolicy,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError, InvalidValueError, MoneyTypeError
from sirui.core.money import Money
from sirui.testing.subscription import cadences, subscription_offers, subscription_policies

# -- prices -------------------------------------------------------------------------------


def test_a_month_of_milk_at_ninety_percent() -> None:
    """30 deliveries of 12 yuan with 10% off: the member pays 324, 10.80 a delivery."""
    q = milk().quote()
    assert (q.list_price, q.list_total, q.total, q.discount) == (y("12"), y("360"), y("324"),
                                                                  y("36"))
    assert q.per_delivery == (y("10.80"),) * 30
    assert q.discounts == (y("1.20"),) * 30


def test_an_uneven_split_gives_the_leftover_fen_to_the_first_deliveries() -> None:
    """30 deliveries of 9.90 at 88折: 297 list, 261.36 to pay, 8.712 a delivery."""
    q = milk(price="9.90", rate="0.88").quote()
    assert q.total == y("261.36")
    assert q.per_delivery == (y("8.72"),) * 6 + (y("8.71"),) * 24
    assert sum(p.minor for p in q.per_delivery) == q.total.minor
    assert sum(d.minor for d in q.discounts) == q.discount.minor == 3564


def test_the_rate_rounds_half_up_once_on_the_whole_plan() -> None:
    q = SubscriptionOffer("bread", "bread", 7, Cadence.daily(), y("3.33"), rate="0.95").quote()
    assert q.list_total == y("23.31")
    assert q.total == y("22.14")              # 22.1445 -> 22.14
    assert q.per_delivery == (y("3.17"), y("3.17"), y("3.16"), y("3.16"), y("3.16"),
                              y("3.16"), y("3.16"))


def test_a_fixed_plan_price() -> None:
    """Nappies once a month for four months, 129 each, 399 for the plan (一口价)."""
    nappies = SubscriptionOffer("nappies-4", "nappies", 4, Cadence.monthly(), y("129"),
                                plan_price=y("399"))
    q = nappies.quote()
    assert (q.list_total, q.total, q.discount) == (y("516"), y("399"), y("117"))
    assert q.per_delivery == (y("99.75"),) * 4
    three = SubscriptionOffer("x", "x", 3, Cadence.weekly(), y("50"), plan_price=y("100"))
    assert three.quote().per_delivery == (y("33.34"), y("33.33"), y("33.33"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"deliveries": 0}, "deliveries"),
        ({"deliveries": MAX_DELIVERIES + 1}, "deliveries"),
        ({"price": y("0")}, "price"),
        ({"rate": "1.1"}, "rate"),
        ({"rate": "0"}, "rate"),
        ({"rate": "0.9", "plan_price": y("100")}, "plan_price"),
        ({"plan_price": y("361")}, "plan_price"),
        ({"plan_price": Money.of("100", "USD")}, "plan_price"),
        ({"quantity": 0}, "quantity"),
        ({"cadence": "daily"}, "cadence"),
    ],
)
def test_an_invalid_offer_cannot_be_built(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"id": "milk", "sku": "milk", "deliveries": 30,
                               "cadence": Cadence.daily(), "price": y("12")}
    with pytest.raises(InvalidPolicyError) as err:
        SubscriptionOffer(**{**base, **kwargs})  # type: ignore[arg-type]
    assert err.value.field == field


def test_a_float_rate_is_refused() -> None:
    with pytest.raises(MoneyTypeError, match="floats are not exact"):
        SubscriptionOffer("m", "m", 3, Cadence.daily(), y("12"), rate=0.9)  # type: ignore[arg-type]


# -- cadences -----------------------------------------------------------------------------


def test_daily_and_every_other_day() -> None:
    assert Cadence.daily().dates(nov(1), 30) == tuple(nov(d) for d in range(1, 31))
    assert Cadence.daily(2).dates(nov(1), 4) == (nov(1), nov(3), nov(5), nov(7))


def test_weekly_on_the_first_delivery_weekday() -> None:
    assert Cadence.weekly().dates(nov(4), 4) == (nov(4), nov(11), nov(18), nov(25))
    assert Cadence.weekly(2).dates(nov(4), 3) == (nov(4), nov(18), nov(32))


def test_monthly_from_the_31st_never_drifts() -> None:
    jan31 = dt.date(2026, 1, 31)
    assert Cadence.monthly().dates(jan31, 4) == (
        jan31, dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30))
    assert Cadence.monthly(2).dates(jan31, 3) == (
        jan31, dt.date(2026, 3, 31), dt.date(2026, 5, 31))
    assert Cadence.monthly().next_after(jan31, dt.date(2026, 2, 28)) == dt.date(2026, 3, 31)


def test_chosen_weekdays() -> None:
    """Bread on Mondays and Thursdays, ordered on Sunday Nov 1."""
    bread = Cadence.on_weekdays(1, 4)
    assert bread.frequency is Frequency.WEEKDAYS
    assert bread.dates(nov(1), 4) == (nov(2), nov(5), nov(9), nov(12))
    assert bread.next_after(nov(1), nov(5)) == nov(9)


def test_before_the_anchor_the_first_slot_is_the_anchor() -> None:
    assert Cadence.monthly().next_after(nov(15), nov(1)) == nov(15)
    assert Cadence.daily(3).first_on_or_after(nov(1), nov(5)) == nov(7)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Cadence(Frequency.WEEKDAYS),
        lambda: Cadence(Frequency.WEEKDAYS, weekdays={0}),
        lambda: Cadence(Frequency.WEEKDAYS, 2, {1}),
        lambda: Cadence(Frequency.DAILY, weekdays={1}),
        lambda: Cadence(Frequency.DAILY, 0),
        lambda: Cadence("daily"),  # type: ignore[arg-type]
    ],
)
def test_an_invalid_cadence_cannot_be_built(build: object) -> None:
    with pytest.raises(InvalidPolicyError):
        build()  # type: ignore[operator]


# -- the store's rules --------------------------------------------------------------------


def test_cutoff_is_counted_back_from_the_delivery_time_in_the_store_zone() -> None:
    rules = SubscriptionPolicy(cutoff_hours=12, delivery_time=dt.time(8), tz=TZ)
    assert rules.delivery_at(nov(1)) == pendulum.datetime(2026, 11, 1, 8, tz=TZ)
    assert rules.cutoff(nov(1)) == pendulum.datetime(2026, 10, 31, 20, tz=TZ)
    before = pendulum.datetime(2026, 10, 31, 11, 59, tz="UTC")     # 19:59 in Shanghai
    assert rules.earliest_day(before) == nov(1)
    assert rules.earliest_day(before.add(minutes=1)) == nov(2)
    assert rules.today(pendulum.datetime(2026, 10, 31, 16, 30, tz="UTC")) == nov(1)


def test_an_invalid_policy_cannot_be_built() -> None:
    with pytest.raises(InvalidPolicyError):
        SubscriptionPolicy(cutoff_hours=-1)
    with pytest.raises(InvalidPolicyError):
        SubscriptionPolicy(log_retention_days=-1)
    with pytest.raises(InvalidPolicyError):
        SubscriptionPolicy(delivery_time=dt.time(8, tzinfo=dt.UTC))
    with pytest.raises(InvalidValueError):
        SubscriptionPolicy(tz="Mars/Olympus")


def test_offers_and_rules_are_data() -> None:
    offer = milk()
    assert dump(offer)["type"] == "subscription.offer"
    assert load(dump(offer)) == offer
    rules = SubscriptionPolicy(cutoff_hours=12, max_skips=3)
    assert load(dump(rules)) == rules


# -- properties ---------------------------------------------------------------------------


@given(subscription_offers())
def test_the_parts_sum_exactly_to_the_plan_price(offer: SubscriptionOffer) -> None:
    q = offer.quote()
    assert len(q.per_delivery) == offer.deliveries
    assert sum(p.minor for p in q.per_delivery) == q.total.minor
    assert q.total + q.discount == q.list_total
    assert sum(d.minor for d in q.discounts) == q.discount.minor
    exact = Decimal(q.total.minor) / offer.deliveries
    assert all(abs(p.minor - exact) < 1 for p in q.per_delivery)
    assert not q.total.is_negative() and q.total <= q.list_total


@given(subscription_offers(), subscription_policies())
def test_offers_and_rules_load_back_equal(offer: SubscriptionOffer,
                                          rules: SubscriptionPolicy) -> None:
    assert load(dump(offer)) == offer
    assert load(dump(rules)) == rules


@given(cadences(), st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)), st.integers(1, 40))
def test_cadence_dates_strictly_increase_and_next_after_is_the_next_one(
    cadence: Cadence, anchor: dt.date, n: int
) -> None:
    dates = cadence.dates(anchor, n)
    assert len(dates) == n
    assert dates[0] >= anchor
    assert all(a < b for a, b in itertools.pairwise(dates))
    for a, b in itertools.pairwise(dates):
        assert cadence.next_after(anchor, a) == b
        # any day between two slots leads to the later one
        assert cadence.next_after(anchor, b - dt.timedelta(days=1)) == b
