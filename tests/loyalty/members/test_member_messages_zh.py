"""Chinese messages of the members package: no English enum values, raw ids or ISO timestamps.

Each message below is the one a shopper or an operator sees; the plain
parameters still carry the values (ids, instants, codes) for hosts.
"""

from __future__ import annotations

import datetime as dt
import re

import pendulum

from sirui.core.money import Money
from sirui.core.windows import PeriodKind
from sirui.loyalty.members import (
    BeforeSale,
    BirthdayCare,
    CarePolicy,
    GrowthSource,
    ItemPurchases,
    MemberFacts,
    MemberStanding,
    RecallDormant,
    RecordActivity,
    RecordOrder,
    RefundOrder,
    Replenishment,
    ReviewTier,
    Tier,
    TierGraceStarted,
    TierLadder,
    TierMetric,
    care_due,
)
from sirui.loyalty.members.standing import ALREADY_RECORDED
from sirui.rules import PruneLog, Rejected
from sirui.rules.reasons import Reason

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}|T\d{2}:|\+08:00")
_ASCII_WORD = re.compile(r"[A-Za-z_]{2,}")


def clean(reason: Reason) -> str:
    text = reason.zh
    assert not _ISO.search(text), text
    assert not _ASCII_WORD.search(text), text
    return text


TIERS = (Tier("normal", "普通"), Tier("silver", "白银", 50_000), Tier("gold", "黄金", 200_000))


def test_growth_refusals_name_no_ids() -> None:
    ladder = TierLadder(TIERS, metric=TierMetric.SPEND, log_retention_days=1)
    s = MemberStanding.new("m-8812", ladder).handle(
        RecordOrder("SO20261111-0042", Money.of("300")), ladder, now=NOW).state
    unknown = s.handle(RefundOrder("RF-1", "SO-nope"), ladder, now=NOW)
    assert isinstance(unknown, Rejected)
    assert clean(unknown.reason) == "未找到该订单的成长值记录"
    assert unknown.reason.params["order_id"] == "SO-nope"
    too_much = s.handle(RefundOrder("RF-2", "SO20261111-0042", Money.of("300.01")), ladder, now=NOW)
    assert isinstance(too_much, Rejected)
    assert clean(too_much.reason) == "退款金额超过订单剩余实付¥300.00"
    pruned = s.handle(PruneLog("p1"), ladder, now=NOW.add(days=3)).state
    again = pruned.handle(RecordOrder("SO20261111-0042", Money.of("300")), ladder,
                          now=NOW.add(days=3))
    assert isinstance(again, Rejected)
    assert again.reason.code == ALREADY_RECORDED.code
    assert clean(again.reason) == "该成长值记录已存在，不再重复计入"
    assert again.reason.params["entry_id"] == "SO20261111-0042"


def test_review_messages_show_yuan_and_chinese_dates() -> None:
    ladder = TierLadder(TIERS, metric=TierMetric.SPEND, window_days=365, review=PeriodKind.YEAR,
                        grace_days=30)
    s = MemberStanding.new("m1", ladder)
    s = s.handle(RecordOrder("o1", Money.of("2500")), ladder,
                 now=pendulum.datetime(2025, 6, 1, tz=TZ)).state
    s = s.handle(RecordActivity("a1", GrowthSource.SIGN_IN), ladder,
                 now=pendulum.datetime(2026, 6, 1, tz=TZ)).state
    out = s.handle(ReviewTier("rv"), ladder, now=pendulum.datetime(2027, 1, 2, tz=TZ))
    grace = out.events[0]
    assert isinstance(grace, TierGraceStarted)
    assert clean(grace.reason) == "保级未达标，2027年1月31日前达标可保留黄金"
    assert grace.reason.params["until"] == pendulum.datetime(2027, 1, 31, tz=TZ)


def test_care_messages_show_dates_segments_and_no_item_ids() -> None:
    def due(rule: object, facts: MemberFacts) -> Reason:
        (decision,) = care_due(CarePolicy((rule,)), facts, NOW)  # type: ignore[arg-type]
        return decision.reason

    birthday = due(BirthdayCare(days_before=3), MemberFacts("m1", birthday=dt.date(1992, 11, 13)))
    assert clean(birthday) == "2天后生日（2026年11月13日）"
    dormant = MemberFacts("m2", segment="important_keep", last_order_at=NOW.subtract(days=75))
    assert clean(due(RecallDormant(after_days=60), dormant)) == "重要保持会员已60天未下单"
    sale = BeforeSale(node="双12", starts_at=pendulum.datetime(2026, 12, 12, 20, tz=TZ),
                      days_before=32)
    assert clean(due(sale, dormant)) == "双12将于2026年12月12日 20:00开始"
    bought = tuple(NOW.subtract(days=d) for d in (57, 37, 17))
    mum = MemberFacts("m3", purchases=(ItemPurchases("FM-1", bought),))
    refill = due(Replenishment(items=frozenset({"FM-1"})), mum)
    assert clean(refill) == "常购商品按20天周期应于2026年11月14日补货"
    assert refill.params["item"] == "FM-1"
