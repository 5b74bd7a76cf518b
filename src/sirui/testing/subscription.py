"""Hypothesis strategies for subscription purchase (周期购): cadences, offers, rules, plans.

Host apps use them to property-test their own integration::

    from hypothesis import given
    from sirui.testing.subscription import subscription_offers

    @given(subscription_offers())
    def test_my_order_lines_sum_to_the_plan(offer):
        q = offer.quote()
        assert sum(my_line_amounts(q)) == q.total.minor

Every strategy builds valid values (each policy loads back from its config
form); SKU ids are those of `sirui.testing.promotions.sku_ids`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from sirui.campaigns.subscription import (
    Cadence,
    Frequency,
    StartPlan,
    SubscriptionOffer,
    SubscriptionPlan,
    SubscriptionPolicy,
    start_plan,
)
from sirui.core.money import Money
from sirui.core.windows import DEFAULT_TZ
from sirui.testing import money, rates
from sirui.testing.promotions import sku_ids

__all__ = ["cadences", "started_plans", "subscription_offers", "subscription_policies"]


def cadences(max_every: int = 3) -> st.SearchStrategy[Cadence]:
    """Daily, weekly and monthly cadences (every 1..``max_every``) and chosen weekdays."""
    every = st.integers(1, max_every)
    return st.one_of(
        st.builds(Cadence, st.sampled_from(
            [Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY]), every),
        st.frozensets(st.integers(1, 7), min_size=1).map(lambda d: Cadence.on_weekdays(*d)),
    )


@st.composite
def subscription_offers(
    draw: st.DrawFn, max_deliveries: int = 60, cadence: Cadence | None = None
) -> SubscriptionOffer:
    """Offers of 1..``max_deliveries`` deliveries, priced by a rate or a fixed plan price."""
    n = draw(st.integers(1, max_deliveries))
    price = draw(money(1, 50_000))
    kind = draw(st.sampled_from(["rate", "plan_price", "none"]))
    extra: dict[str, Any] = {}
    if kind == "rate":
        extra["rate"] = draw(rates("0.5", "1", places=3))
    elif kind == "plan_price":
        extra["plan_price"] = Money(draw(st.integers(1, price.minor * n)), price.currency)
    return SubscriptionOffer(
        draw(st.text("abcdefghij0123456789-", min_size=1, max_size=12)),
        draw(sku_ids),
        n,
        cadence if cadence is not None else draw(cadences()),
        price,
        quantity=draw(st.integers(1, 3)),
        **extra,
    )


def subscription_policies(tz: str = DEFAULT_TZ) -> st.SearchStrategy[SubscriptionPolicy]:
    """Store rules with cutoffs of 0..48 hours and optional limits."""
    limit = st.none() | st.integers(0, 5)
    return st.builds(
        SubscriptionPolicy,
        cutoff_hours=st.integers(0, 48),
        delivery_time=st.times().map(lambda t: t.replace(microsecond=0)),
        max_skips=limit,
        max_pause_days=st.none() | st.integers(0, 30),
        max_postpone_days=st.none() | st.integers(0, 30),
        tz=st.just(tz),
        log_retention_days=st.integers(0, 60),
    )


@st.composite
def started_plans(
    draw: st.DrawFn, max_deliveries: int = 60, policy: SubscriptionPolicy | None = None
) -> tuple[SubscriptionPlan, Any]:
    """A plan just started by `start_plan`, with the ``now`` it was started at."""
    rules = policy if policy is not None else draw(subscription_policies())
    offer = draw(subscription_offers(max_deliveries))
    first = draw(st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)))
    before = draw(st.integers(1, 24 * 10))
    now = rules.cutoff(first).subtract(hours=before)
    paid = offer.quote().total
    out = start_plan(StartPlan("start", "plan", "member", offer, first, paid),
                     policy=rules, now=now)
    assert isinstance(out.state, SubscriptionPlan), out
    return out.state, now
