"""Care triggers: birthday, recall of dormant high-value members, no login, replenishment."""

from __future__ import annotations

import datetime as dt

import pendulum
from hypothesis import given
from hypothesis import strategies as st

from sirui.loyalty.members import (
    BeforeSale,
    BirthdayCare,
    CarePolicy,
    ItemPurchases,
    LongNoLogin,
    MemberFacts,
    RecallDormant,
    Replenishment,
    care_batch,
    care_due,
)

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
DOUBLE11 = pendulum.datetime(2026, 11, 11, 0, tz=TZ)

POLICY = CarePolicy(
    (
        BirthdayCare(template="BDAY-20", days_before=3),
        RecallDormant(template="RECALL-30", after_days=60),
        Replenishment(template="REFILL-10", default_cycle_days=30, remind_before_days=3,
                      items=frozenset({"FM-1"})),
        LongNoLogin(after_days=30),
        BeforeSale(node="双12", starts_at=pendulum.datetime(2026, 12, 12, tz=TZ), days_before=3),
    ),
    max_per_member=2,
)


def codes(facts: MemberFacts, now: pendulum.DateTime = NOW, policy: CarePolicy = POLICY):
    return [d.rule for d in care_due(policy, facts, now)]


def test_birthday_in_three_days_sends_the_birthday_coupon() -> None:
    d = care_due(POLICY, MemberFacts("m", birthday=dt.date(1990, 11, 14)), NOW)
    assert [x.rule for x in d] == ["birthday"]
    assert d[0].template == "BDAY-20"
    assert d[0].reason.zh == "3天后生日（2026年11月14日）"
    assert codes(MemberFacts("m", birthday=dt.date(1990, 11, 15))) == []


def test_29_february_birthday_is_cared_for_on_28_february_in_common_years() -> None:
    facts = MemberFacts("m", birthday=dt.date(2000, 2, 29))
    one_day = CarePolicy((BirthdayCare(),))
    assert codes(facts, pendulum.datetime(2027, 2, 28, 9, tz=TZ), one_day) == ["birthday"]
    assert codes(facts, pendulum.datetime(2028, 2, 28, 9, tz=TZ), one_day) == []
    assert codes(facts, pendulum.datetime(2028, 2, 29, 9, tz=TZ), one_day) == ["birthday"]


def test_important_member_quiet_for_60_days_is_recalled_but_a_general_one_is_not() -> None:
    quiet = NOW.subtract(days=60)
    vip = MemberFacts("m", last_order_at=quiet, segment="important_keep")
    assert codes(vip) == ["recall"]
    general = MemberFacts("m", last_order_at=quiet, segment="general_keep")
    assert codes(general) == []
    recent = MemberFacts("m", last_order_at=NOW.subtract(days=59), segment="important_keep")
    assert codes(recent) == []


def test_cooldown_stops_a_second_recall_within_30_days() -> None:
    vip = MemberFacts("m", last_order_at=NOW.subtract(days=90), segment="important_value",
                      last_care=(("recall", NOW.subtract(days=10)),))
    assert codes(vip) == []
    vip = MemberFacts("m", last_order_at=NOW.subtract(days=90), segment="important_value",
                      last_care=(("recall", NOW.subtract(days=31)),))
    assert codes(vip) == ["recall"]


def test_formula_bought_every_20_days_is_due_for_a_refill_reminder() -> None:
    bought = tuple(NOW.subtract(days=d) for d in (57, 37, 17))
    facts = MemberFacts("m", purchases=(ItemPurchases("FM-1", bought),))
    (d,) = care_due(POLICY, facts, NOW)
    assert d.rule == "replenish"
    assert d.item == "FM-1"
    assert d.reason.params["cycle"] == 20
    # Reminded after the last purchase: not again.
    done = MemberFacts("m", purchases=(ItemPurchases("FM-1", bought, NOW.subtract(days=1)),))
    assert codes(done) == []
    # One purchase only: the default 30-day cycle, not due yet.
    once = MemberFacts("m", purchases=(ItemPurchases("FM-1", (NOW.subtract(days=17),)),))
    assert codes(once) == []


def test_long_no_login_and_before_sale_and_the_per_member_limit() -> None:
    facts = MemberFacts("m", last_login_at=NOW.subtract(days=45), birthday=dt.date(1990, 11, 11))
    assert codes(facts) == ["birthday", "no_login"]  # two at most, in rule order
    pre_sale = pendulum.datetime(2026, 12, 10, tz=TZ)
    assert codes(MemberFacts("m"), pre_sale) == ["before_sale"]


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400),
                          st.sampled_from(["important_value", "general_keep", None])),
                max_size=30))
def test_batch_gives_each_member_what_care_due_gives(
    rows: list[tuple[int, int, str | None]],
) -> None:
    members = [
        MemberFacts(f"m{i}", last_order_at=NOW.subtract(days=o),
                    last_login_at=NOW.subtract(days=lg), segment=seg,
                    birthday=dt.date(1990, 1 + i % 12, 1 + i % 28))
        for i, (o, lg, seg) in enumerate(rows)
    ]
    batch = care_batch(POLICY, members, NOW)
    one_by_one = [d for m in members for d in care_due(POLICY, m, NOW)]
    assert batch == one_by_one
    assert all(len(care_due(POLICY, m, NOW)) <= 2 for m in members)
