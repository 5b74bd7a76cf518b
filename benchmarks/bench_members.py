"""Members benchmarks: one member's tier status, RFM and care triggers over 100,000 members."""

from __future__ import annotations

import datetime as dt
import random

import pendulum

from _harness import Case
from sirui.core.money import Money
from sirui.core.windows import PeriodKind
from sirui.loyalty.members import (
    BeforeSale,
    BirthdayCare,
    CarePolicy,
    GrowthSource,
    ItemPurchases,
    LongNoLogin,
    MemberFacts,
    MemberStanding,
    RecallDormant,
    RecordActivity,
    RecordOrder,
    Replenishment,
    RfmPolicy,
    Tier,
    TierLadder,
    care_batch,
    evaluate,
    rfm_segments,
)

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
N = 100_000
SEGMENTS = ("important_value", "important_keep", "general_keep", "general_retain", None)


def _tier_case() -> object:
    ladder = TierLadder(
        (Tier("normal"), Tier("silver", threshold=500), Tier("gold", threshold=2000),
         Tier("diamond", threshold=8000)),
        window_days=365, review=PeriodKind.YEAR,
    )
    s = MemberStanding.new("m1", ladder)
    for i in range(40):
        at = NOW.subtract(days=9 * i)
        s = s.handle(RecordOrder(f"o{i}", Money(10_000 + 37 * i), at=at), ladder, now=NOW).state
        s = s.handle(RecordActivity(f"s{i}", GrowthSource.SIGN_IN, at=at), ladder, now=NOW).state
    return lambda: evaluate(s, ladder, NOW)


def _rfm_case() -> object:
    rng = random.Random(7)
    recency = [rng.randrange(0, 400) for _ in range(N)]
    frequency = [rng.randrange(0, 30) for _ in range(N)]
    monetary = [rng.randrange(0, 2_000_000) for _ in range(N)]
    policy = RfmPolicy()
    return lambda: rfm_segments(policy, recency, frequency, monetary)


def _care_case() -> object:
    rng = random.Random(11)
    members = []
    for i in range(N):
        bought = tuple(NOW.subtract(days=d) for d in sorted(rng.sample(range(1, 120), 3)))
        members.append(MemberFacts(
            f"m{i}",
            birthday=dt.date(1990, rng.randrange(1, 13), rng.randrange(1, 29)),
            last_login_at=NOW.subtract(days=rng.randrange(0, 90)),
            last_order_at=NOW.subtract(days=rng.randrange(0, 200)),
            segment=rng.choice(SEGMENTS),
            purchases=(ItemPurchases("FM-1", bought),) if i % 4 == 0 else (),
        ))
    policy = CarePolicy((
        BirthdayCare(days_before=3),
        RecallDormant(after_days=60),
        Replenishment(items=frozenset({"FM-1"})),
        LongNoLogin(after_days=30),
        BeforeSale(node="双12", starts_at=pendulum.datetime(2026, 12, 12, tz=TZ)),
    ))
    return lambda: care_batch(policy, members, NOW)


def cases(quick: bool) -> list[Case]:
    return [
        Case("tier_evaluate", setup=_tier_case),  # type: ignore[arg-type]
        Case("rfm_segment_100k", setup=_rfm_case, number=1,  # type: ignore[arg-type]
             repeats=3 if quick else 5),
        Case("care_triggers_100k", setup=_care_case, number=1,  # type: ignore[arg-type]
             repeats=3 if quick else 5),
    ]
