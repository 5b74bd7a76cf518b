"""Every members policy round-trips through plain dicts: load(dump(p)) == p."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, dumps_json, load, loads_json
from sirui.core import ConfigError
from sirui.core.money import Money
from sirui.core.windows import MemberDay, MemberWeek, PeriodKind
from sirui.loyalty.members import (
    AgeBand,
    AutoTagRules,
    BabyAgeTag,
    BeforeSale,
    BelowRetention,
    BenefitPolicy,
    BirthdayCare,
    BirthdayGift,
    BirthdayWindow,
    CardPlan,
    CardRefundRule,
    CarePolicy,
    CombineRule,
    GrowthRules,
    LifecyclePolicy,
    LongNoLogin,
    MemberDiscount,
    Perks,
    PregnancyTag,
    QrStoreTag,
    RecallDormant,
    RefundMode,
    Replenishment,
    RfmPolicy,
    RfmThresholds,
    Tier,
    TierLadder,
    TierMetric,
    TierPerks,
    UpgradeMode,
)
from sirui.rules import ItemScope
from sirui.testing import aware_datetimes

money = st.integers(0, 10**7).map(Money)
rates = st.decimals("0.01", "1", places=2)
codes = st.text("abcdefgh", min_size=1, max_size=6)


@st.composite
def ladders(draw: st.DrawFn) -> TierLadder:
    ts = sorted(draw(st.lists(st.integers(1, 10**6), max_size=4, unique=True)))
    tiers = [Tier("t0", "基础")]
    for i, t in enumerate(ts):
        keep = draw(st.none() | st.integers(0, t))
        tiers.append(Tier(f"t{i + 1}", f"L{i + 1}", t, keep))
    review = draw(st.none() | st.sampled_from([PeriodKind.MONTH, PeriodKind.QUARTER,
                                                PeriodKind.YEAR]))
    window = draw(st.none() | st.integers(1, 28))
    return TierLadder(
        tuple(tiers), draw(st.sampled_from(TierMetric)), window, draw(st.sampled_from(UpgradeMode)),
        review, draw(st.sampled_from(BelowRetention)), draw(st.integers(0, 60)),
        draw(st.booleans()),
        GrowthRules(draw(st.decimals("0", "5", places=1)), draw(st.integers(0, 100)),
                    draw(st.integers(0, 10))),
    )


scopes = st.builds(ItemScope, categories=st.frozensets(st.sampled_from(["母婴/奶粉", "玩具"])),
                   tags=st.frozensets(st.sampled_from(["会员专享", "特价"])))
perks = st.builds(
    Perks,
    discount=st.none() | st.builds(MemberDiscount, rates, scopes),
    free_shipping_threshold=st.none() | money,
    points_multiplier=st.decimals("1", "5", places=1),
    birthday_gift=st.none() | st.builds(BirthdayGift, codes, st.integers(0, 500),
                                        st.sampled_from(BirthdayWindow)),
    member_day_coupon=st.none() | codes,
    member_week_coupon=st.none() | codes,
    exclusive_scope=st.none() | scopes,
    seckill_early_minutes=st.integers(0, 30),
)
benefit_policies = st.builds(
    BenefitPolicy,
    st.lists(st.builds(TierPerks, codes, perks), max_size=3, unique_by=lambda t: t.tier),
    st.sampled_from(CombineRule),
    st.none() | st.builds(MemberDay, day_of_month=st.integers(1, 31)),
    st.none() | st.builds(MemberWeek, st.integers(1, 28), st.integers(1, 7)),
)
card_plans = st.builds(
    CardPlan, codes, money, st.integers(1, 24), st.text(max_size=4), st.integers(0, 30), perks,
    st.none() | codes, st.integers(1, 3), st.none() | money,
    st.builds(CardRefundRule, st.sampled_from(RefundMode), st.integers(0, 30)),
)
rfm = st.builds(RfmPolicy, st.none() | st.builds(RfmThresholds, st.integers(0, 400),
                                                  st.integers(0, 50), money),
                st.decimals("0", "1", places=2))
lifecycle = st.integers(1, 100).flatmap(lambda a: st.builds(
    LifecyclePolicy, st.integers(1, 60), st.just(a), st.integers(a + 1, 400)))
tag_rules = st.builds(AutoTagRules, st.lists(st.one_of(
    st.builds(QrStoreTag, codes),
    st.builds(BabyAgeTag, st.just((AgeBand("0-1y", 0, 12), AgeBand("1y+", 12)))),
    st.builds(PregnancyTag, codes),
), max_size=3).map(tuple))
care = st.builds(CarePolicy, st.tuples(
    st.builds(BirthdayCare, template=st.none() | codes, days_before=st.integers(0, 7)),
    st.builds(RecallDormant, after_days=st.integers(1, 200),
              segments=st.frozensets(st.sampled_from(["important_value", "general_keep"]))),
    st.builds(LongNoLogin, after_days=st.integers(1, 90)),
    st.builds(Replenishment, default_cycle_days=st.integers(1, 90),
              items=st.frozensets(codes, max_size=2)),
    st.builds(BeforeSale, node=codes, starts_at=aware_datetimes()),
), st.integers(1, 3))


@given(st.one_of(ladders(), benefit_policies, card_plans, rfm, lifecycle, tag_rules, care))
def test_members_policies_round_trip(policy: object) -> None:
    assert load(dump(policy)) == policy
    assert loads_json(dumps_json(policy)) == policy


def test_ladder_document_with_unordered_thresholds_lists_the_path() -> None:
    doc = {"type": "tier.ladder", "tiers": [
        {"type": "tier.tier", "code": "normal"},
        {"type": "tier.tier", "code": "gold", "threshold": 2000},
        {"type": "tier.tier", "code": "silver", "threshold": 500},
    ]}
    with pytest.raises(ConfigError, match="threshold"):
        load(doc)


def test_operator_ladder_from_json() -> None:
    ladder = loads_json("""{
      "type": "tier.ladder", "metric": "spend", "window_days": 365, "review": "year",
      "below_retention": "drop_one",
      "tiers": [{"code": "normal", "name": "普通"},
                {"code": "silver", "name": "白银", "threshold": 100000},
                {"code": "gold", "name": "黄金", "threshold": 500000, "retention": 300000}]
    }""")
    assert isinstance(ladder, TierLadder)
    assert ladder.qualified(500000).code == "gold"
    assert ladder.tier("gold").keep_at == 300000


def test_dates_and_rates_in_documents() -> None:
    plan = CardPlan("annual", Money.of("99"), perks=Perks(discount=MemberDiscount(Decimal("0.9"))))
    assert dump(plan)["perks"]["discount"]["rate"] == "0.9"
    sale = BeforeSale(node="双11", starts_at=pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
    assert load(dump(sale)) == sale


def _standing_and_card() -> tuple[object, object, list[object]]:
    from sirui.loyalty.members import (
        ClaimCouponPack,
        GrowthSource,
        MemberStanding,
        PaidCard,
        PinTier,
        PurchaseCard,
        RecordActivity,
        RecordOrder,
        RefundOrder,
        ReviewTier,
    )

    now = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
    ladder = TierLadder((Tier("normal"), Tier("gold", threshold=2000)), review=PeriodKind.YEAR,
                        growth=GrowthRules(sign_in=5))
    s = MemberStanding.new("m1", ladder)
    events: list[object] = []
    for c in (RecordOrder("o1", Money.of("2500"), first_order=True),
              RecordActivity("a1", GrowthSource.SIGN_IN),
              RefundOrder("r1", "o1", Money.of("9.99")),
              ReviewTier("rv"), PinTier("p1", "gold", until=now.add(days=3))):
        out = s.handle(c, ladder, now=now)  # type: ignore[arg-type]
        s = out.state
        events.extend(out.events)
    plan = CardPlan("annual", Money.of("99"), coupon_pack="VIP")
    card = PaidCard.new("c1", "m1", plan)
    for c in (PurchaseCard("pay"), ClaimCouponPack("k1")):
        out = card.handle(c, now=now)  # type: ignore[arg-type]
        card = out.state
        events.extend(out.events)
    return s, card, events


def test_stored_states_round_trip_through_json_and_still_recognise_replays() -> None:
    from contract import reload
    from sirui.loyalty.members import ClaimCouponPack, PinTier

    s, card, _ = _standing_and_card()
    s2 = reload(s)
    assert s2 == s
    card2 = reload(card)
    assert card2 == card
    now = pendulum.datetime(2026, 11, 11, 11, tz="Asia/Shanghai")
    ladder = TierLadder((Tier("normal"), Tier("gold", threshold=2000)), review=PeriodKind.YEAR,
                        growth=GrowthRules(sign_in=5))
    pin = PinTier("p1", "gold", until=pendulum.datetime(2026, 11, 14, 10, tz="Asia/Shanghai"))
    entry = s.log.get(pin.id)
    assert entry is not None
    replay = s2.handle(pin, ladder, now=now)
    assert replay.state is s2
    assert replay.events == entry.events
    claim = card.log.get("k1")
    assert claim is not None
    again = card2.handle(ClaimCouponPack("k1"), now=now)
    assert again.state is card2
    assert again.events == claim.events


def test_events_are_plain_dicts() -> None:
    import json

    from sirui.rules import event_to_dict

    _, _, events = _standing_and_card()
    names = {event_to_dict(e)["event"].rsplit(".", 1)[-1] for e in events}
    assert {"GrowthEarned", "TierChanged", "GrowthReversed", "TierPinned", "CardPurchased",
            "CouponPackGranted"} <= names
    for e in events:
        json.dumps(event_to_dict(e), ensure_ascii=False)


def test_every_members_policy_has_a_json_schema() -> None:
    from sirui.config import json_schema, policy_types

    mine = {t: c for t, c in policy_types().items()
            if t.split(".")[0] in {"tier", "benefit", "card", "segment", "care", "growth"}}
    assert {"tier.ladder", "growth.rules", "benefit.policy", "card.plan", "segment.rfm",
            "segment.lifecycle", "segment.auto_tags", "care.policy"} <= set(mine)
    for tag, cls in mine.items():
        schema = json_schema(cls)
        assert schema["title"] == tag
    ladder = json_schema(TierLadder)["$defs"]["tier.ladder"]["properties"]
    assert "_thresholds" not in ladder
    assert "thresholds" not in ladder
