"""Commission benchmarks: one 20-line order, and a month's statements for 200 guides."""

from __future__ import annotations

import random
from decimal import Decimal

import attrs
import pendulum

from _harness import Case
from sirui.commission import (
    CommissionLine,
    CommissionOrder,
    CommissionOrderLine,
    CommissionPlan,
    CommissionRecord,
    DistributionPlan,
    DistributionRate,
    ExcludedItems,
    FixedPerItem,
    RateRule,
    RecordCommission,
    RecordStatus,
    Role,
    SellerChain,
    SettlementLedger,
    SuperGuideShare,
    guide_statements,
    order_commission,
    store_statements,
)
from sirui.core.money import Money
from sirui.core.nouns import Attribution, Guide, GuideKind, Line, Member, Order, Sku
from sirui.core.windows import PeriodKind, period_containing
from sirui.rules import ItemScope, reason_code

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
CATS = ("母婴/奶粉/1段", "母婴/纸尿裤", "母婴/辅食", "洗护/沐浴")
PLAN = CommissionPlan((
    ExcludedItems("seckill", ItemScope(tags=frozenset({"秒杀"}))),
    RateRule("milk", "0.03", ItemScope(categories=frozenset({"母婴/奶粉"}))),
    FixedPerItem("diaper", Money.of("5"), ItemScope(categories=frozenset({"母婴/纸尿裤"}))),
    RateRule("default", "0.01"),
))


def _order_case() -> object:
    skus = [Sku(f"s{i}", Money(1000 + 37 * i), category=CATS[i % 4],
                tags=frozenset({"秒杀"}) if i % 7 == 0 else frozenset()) for i in range(20)]
    order = Order("o1", Member("m1", guide="g1"), tuple(Line(f"L{i}", s, 1 + i % 3)
                                                         for i, s in enumerate(skus)),
                  placed_at=NOW, paid_at=NOW, store="S01",
                  attribution=Attribution(share_by="e1", shared_at=NOW.subtract(days=1)))
    paid = CommissionOrder(order, tuple(CommissionOrderLine(ln.id, ln.sku, ln.quantity,
                                           ln.amount.times(Decimal("0.9")))
                                  for ln in order.lines), NOW)
    guides = {"e1": Guide("e1", kind=GuideKind.EXTERNAL, super_guide="sg")}
    share = SuperGuideShare(share=Decimal("0.2"))
    dist = DistributionPlan((DistributionRate("all", "0.05", "0.02"),))
    chain = SellerChain("s1", "s0")
    ledger = SettlementLedger()

    def run() -> object:
        lines = order_commission(paid, PLAN, guides=guides, super_guide=share,
                                 distribution=dist, sellers=chain)
        return ledger.handle(RecordCommission("c1", lines), now=NOW)

    return run


def _records(n: int, guides: int) -> list[CommissionRecord]:
    rnd = random.Random(9)
    reason = reason_code("bench.line", zh="基准", en="bench")()
    month = period_containing(PeriodKind.MONTH, NOW)
    span = int((month.end - month.start).total_seconds()) if month.end else 1  # type: ignore[operator]
    statuses = list(RecordStatus)
    out = []
    for i in range(n):
        g = rnd.randrange(guides)
        amount = Money(rnd.randrange(0, 5_000))
        line = CommissionLine(
            f"o{i // 3}", f"L{i % 3}", f"g{g}", Role.GUIDE, f"S{g % 40}", f"s{i % 500}", 1,
            Money(amount.minor * 30), Money(amount.minor * 30), amount,
            ("milk", "diaper", "default", "seckill")[i % 4], reason,
            month.start.add(seconds=rnd.randrange(span)),
        )
        rec = CommissionRecord(line, status=statuses[i % len(statuses)])
        if i % 10 == 0:
            rec = attrs.evolve(rec, reduced=Money(amount.minor // 2))
        out.append(rec)
    return out


def _statement_case() -> object:
    records = _records(100_000, 200)
    month = period_containing(PeriodKind.MONTH, NOW)

    def run() -> object:
        return guide_statements(records, month), store_statements(records, month)

    return run


def cases(quick: bool) -> list[Case]:
    return [
        Case("commission_order", setup=_order_case),  # type: ignore[arg-type]
        Case("commission_statement_100k", setup=_statement_case,  # type: ignore[arg-type]
             number=1, repeats=3 if quick else 7),
    ]
