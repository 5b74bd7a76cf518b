"""Every commission policy round-trips through plain dicts and JSON: load(dump(p)) == p."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jsonschema
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    AttributionPolicy,
    BoostPeriod,
    CommissionPlan,
    Competition,
    CompetitionMetric,
    DistributionPlan,
    DistributionRate,
    ExcludedItems,
    FeeBearer,
    FixedPerItem,
    LaunchBoost,
    Precedence,
    RateRule,
    Receiver,
    ReceiverRole,
    ReferralReward,
    SettlementPolicy,
    SharingPolicy,
    SuperGuideShare,
    Target,
    TargetLadder,
    TargetLevel,
    TargetTier,
    TierMode,
)
from sirui.config import (
    dump,
    dumps_json,
    fingerprint,
    json_schema,
    load,
    loads_json,
)
from sirui.core import ConfigError
from sirui.rules import ItemScope
from sirui.testing import CATEGORIES, aware_datetimes, money

rates = st.decimals(0, 1, places=3)
ids = st.text("abcdefgh-", min_size=1, max_size=6)
scopes = st.builds(
    ItemScope,
    skus=st.frozensets(st.sampled_from(["milk", "diaper", "wipes"]), max_size=2),
    categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=2),
    exclude_tags=st.frozensets(st.sampled_from(["秒杀", "特价"]), max_size=1),
)
rules = st.one_of(
    st.builds(RateRule, ids, rates, scopes),
    st.builds(FixedPerItem, ids, money(0, 10_000), scopes),
    st.builds(ExcludedItems, ids, scopes),
)
plans = st.builds(
    CommissionPlan,
    st.lists(rules, max_size=4, unique_by=lambda r: r.id).map(tuple),
    st.booleans(), st.booleans(),
)
ladders = st.builds(
    lambda steps, mode: TargetLadder(
        tuple(TargetTier(Decimal(i) / 10, min(Decimal(i) / 100, Decimal(1))) for i in steps), mode),
    st.lists(st.integers(1, 30), max_size=3, unique=True).map(lambda xs: [0, *sorted(xs)]),
    st.sampled_from(list(TierMode)),
)
targets = st.builds(Target, ids, ids, money(1, 10**8), ladders, st.sampled_from(list(TargetLevel)),
                    scopes)
periods = st.builds(
    lambda store, start, days, mult, cap: BoostPeriod(store, start, start.add(days=days), mult,
                                                      cap),
    ids, aware_datetimes(), st.integers(1, 90), st.sampled_from(["1", "2", "1.5"]),
    st.sampled_from(["1", "1.5", "2"]),
)
boosts = st.lists(periods, max_size=3, unique_by=lambda p: p.store).map(LaunchBoost)
sharing = st.builds(
    lambda rs, bearer, auto, reserve: SharingPolicy(
        tuple(Receiver(f"acct{i}", role, Decimal(r) / 1000) for i, (role, r) in enumerate(rs)),
        fee_bearer=bearer, auto_withdraw=auto, reserve_rate=reserve),
    st.lists(st.tuples(st.sampled_from(list(ReceiverRole)), st.integers(0, 75)), max_size=4),
    st.sampled_from(list(FeeBearer)), st.booleans(), rates,
)
referrals = st.one_of(
    st.builds(ReferralReward, st.integers(0, 30), st.integers(1, 10_000)),
    st.builds(lambda d, t: ReferralReward(d, coupon_template=t), st.integers(0, 30), ids),
    st.builds(lambda d, m: ReferralReward(d, cash=m), st.integers(0, 30), money(1, 10_000)),
)
competitions = st.builds(
    lambda i, m, start, days, gs, top: Competition(i, m, start, start.add(days=days), gs, top),
    ids, st.sampled_from(list(CompetitionMetric)), aware_datetimes(), st.integers(1, 60),
    st.frozensets(ids, max_size=3), st.integers(0, 10),
)
policies = st.one_of(
    plans,
    rules,
    ladders,
    targets,
    boosts,
    sharing,
    referrals,
    competitions,
    st.builds(AttributionPolicy, st.sampled_from(list(Precedence)), st.integers(0, 60),
              st.booleans()),
    st.builds(SettlementPolicy, st.integers(0, 30)),
    st.one_of(st.builds(lambda r, f: SuperGuideShare(share=r, from_promoter=f), rates,
                        st.booleans()),
              st.builds(lambda r: SuperGuideShare(rate=r), rates)),
    st.builds(DistributionPlan,
              st.lists(st.builds(DistributionRate, ids, st.decimals(0, "0.5", places=2),
                                 st.decimals(0, "0.5", places=2), scopes), max_size=3)
              .map(tuple), st.integers(1, 2)),
)


@given(policies)
def test_policies_round_trip(p: Any) -> None:
    assert load(dump(p)) == p
    assert loads_json(dumps_json(p)) == p
    assert fingerprint(load(dump(p))) == fingerprint(p)


def test_a_plan_document_reads_like_the_operator_wrote_it() -> None:
    doc = {
        "type": "commission.plan",
        "rules": [
            {"type": "commission.excluded", "id": "seckill", "scope": {"tags": ["秒杀"]}},
            {"type": "commission.rate", "id": "milk", "rate": "0.03",
             "scope": {"categories": ["母婴/奶粉"]}},
            {"type": "commission.rate", "id": "default", "rate": "0.01"},
        ],
    }
    plan = load(doc)
    assert isinstance(plan, CommissionPlan)
    assert plan.rules[1] == RateRule("milk", "0.03", ItemScope(categories=frozenset({"母婴/奶粉"})))
    assert dump(plan)["rules"][2] == doc["rules"][2]   # defaults stay out of documents
    assert dump(plan)["rules"][1]["scope"]["categories"] == ["母婴/奶粉"]


@pytest.mark.parametrize("doc", [
    {"type": "commission.rate", "id": "x", "rate": "1.5"},
    {"type": "commission.distribution", "rates": [], "levels": 3},
    {"type": "commission.tier_ladder", "tiers": [{"floor": "0", "rate": "0.03"},
                                                 {"floor": "0.8", "rate": "0.01"}]},
    {"type": "commission.target", "id": "t", "owner": "g1", "amount": "0",
     "ladder": {"tiers": [{"floor": "0", "rate": "0.01"}]}},
    {"type": "sharing.policy", "receivers": [
        {"account": "a", "role": "guide", "rate": "0.2"},
        {"account": "b", "role": "store", "rate": "0.2"}]},
    {"type": "commission.launch_boost", "periods": [
        {"store": "S1", "start": "2026-09-01T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"},
        {"store": "S1", "start": "2026-10-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"},
    ]},
])
def test_bad_documents_are_config_errors(doc: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        load(doc)


def test_datetimes_in_documents_keep_their_instant() -> None:
    p = BoostPeriod("S1", pendulum.datetime(2026, 9, 1, tz="Asia/Shanghai"),
                    pendulum.datetime(2026, 11, 1, tz="Asia/Shanghai"))
    assert dump(p)["start"] == "2026-09-01T00:00:00+08:00"
    assert load(dump(p)) == p


@given(policies)
def test_dumped_documents_validate_against_the_json_schema(p: Any) -> None:
    schema = json_schema(type(p))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(dump(p))
