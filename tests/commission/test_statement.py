"""Monthly statements per guide and per store: totals by status and rule, every line traceable."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    ApplyRefund,
    Bonus,
    CommissionPlan,
    CommissionRefund,
    ExcludedItems,
    MarkFulfilled,
    RateRule,
    RecordCommission,
    RecordStatus,
    ReleaseFrozen,
    SettlementLedger,
    SettlePayee,
    SuperGuideShare,
    guide_commission,
    guide_statements,
    store_statements,
)
from sirui.core.money import Money
from sirui.core.nouns import Guide, GuideKind, Member
from sirui.core.windows import PeriodKind, period_containing
from sirui.rules import ItemScope

from ._shop import DIAPER, MILK, NOW, WIPES, paid_order, yuan

S = RecordStatus
MONTH = period_containing(PeriodKind.MONTH, NOW)
PLAN = CommissionPlan((
    ExcludedItems("seckill", ItemScope(tags=frozenset({"秒杀"}))),
    RateRule("milk", "0.03", ItemScope(categories=frozenset({"母婴/奶粉"}))),
    RateRule("default", "0.01"),
))


def month_ledger() -> SettlementLedger:
    led = SettlementLedger()
    guides = {"e1": Guide("e1", kind=GuideKind.EXTERNAL, super_guide="sg")}
    orders = [
        paid_order([(MILK, 1, "260"), (WIPES, 1, "9.90")], order_id="o1"),
        paid_order([(DIAPER, 2, "180")], order_id="o2"),
        paid_order([(MILK, 2, "520")], order_id="o3", member=Member("m3"), share_by="e1",
                   shared_at=NOW.subtract(days=1)),
        paid_order([(MILK, 1, "260")], order_id="o4", store="S02",
                   paid_at=NOW.subtract(months=1)),
    ]
    share = SuperGuideShare(share=Decimal("0.2"))
    for o in orders:
        lines = share.apply(guide_commission(o, PLAN), guides)
        led = led.handle(RecordCommission(f"rec-{o.id}", lines), now=NOW).state
    led = led.handle(MarkFulfilled("f1", "o1", NOW), now=NOW).state
    led = led.handle(MarkFulfilled("f2", "o2", NOW), now=NOW).state
    led = led.handle(ReleaseFrozen("r1"), now=NOW.add(days=7)).state
    led = led.handle(SettlePayee("s1", "g1"), now=NOW.add(days=7)).state
    # Half the diapers come back after settlement: 0.90 clawed back from g1.
    refund = CommissionRefund.of("rf", "o2", NOW.add(days=8), [("L1", 1, yuan("90"))])
    return led.handle(ApplyRefund("a1", refund), now=NOW.add(days=8)).state


def test_guide_statement_totals_by_status_and_rule() -> None:
    st_ = guide_statements(month_ledger().all_records(), MONTH)
    assert sorted(st_) == ["e1", "g1", "sg"]
    g1 = st_["g1"]
    # o1: milk 7.80 + wipes 0 (seckill); o2: diapers 1.80 then 0.90 clawed back; all settled.
    assert g1.by_status == ((S.SETTLED, yuan("8.70")),)
    assert dict(g1.by_rule) == {"milk": yuan("7.80"), "seckill": yuan("0"), "default": yuan("0.90")}
    assert g1.earned == yuan("9.60")
    assert g1.total_net == yuan("8.70")
    e1 = st_["e1"]
    assert e1.by_status == ((S.PENDING, yuan("15.60")),)
    assert st_["sg"].total_net == yuan("3.12")


def test_every_order_line_is_traceable() -> None:
    g1 = guide_statements(month_ledger().all_records(), MONTH)["g1"]
    (rec,) = g1.trace("o2", "L1")
    assert rec.line.rule == "default"
    assert rec.clawed_back == yuan("0.90")
    assert rec.line.reason.code == "commission.rate"
    (wipes,) = g1.trace("o1", "L2")
    assert wipes.line.reason.code == "commission.excluded"


def test_store_statement_covers_every_payee_on_the_stores_orders() -> None:
    stores = store_statements(month_ledger().all_records(), MONTH)
    assert sorted(stores) == ["S01"]  # o4 (S02) was paid last month
    s01 = stores["S01"]
    assert s01.total_net == yuan("8.70") + yuan("15.60") + yuan("3.12")
    # o1: milk and wipes (g1); o2: diapers (g1); o3: milk (e1) and the super guide's share.
    assert len(s01.records) == 5


def test_bonuses_join_the_statement_by_rule() -> None:
    bonus = Bonus("g1", "target:g1", yuan("180"))
    g1 = guide_statements(month_ledger().all_records(), MONTH, bonuses=[bonus])["g1"]
    assert g1.rule_total("target:g1") == yuan("180")
    assert g1.total_net == yuan("188.70")
    assert g1.lines_net == yuan("8.70")


@given(st.lists(st.tuples(st.sampled_from(["g1", "g2", "g3"]), st.integers(0, 100_000),
                          st.integers(0, 2)), min_size=1, max_size=15))
def test_totals_agree_by_status_rule_and_store(rows: list[tuple[str, int, int]]) -> None:
    led = SettlementLedger()
    for i, (guide, fen, refunded) in enumerate(rows):
        order = paid_order([(MILK, 2, f"{Decimal(fen) / 100}")], order_id=f"o{i}",
                           member=Member(f"m{i}", guide=guide), store=f"S{i % 2}")
        led = led.handle(RecordCommission(f"r{i}", guide_commission(order, PLAN)), now=NOW).state
        if refunded:
            rf = CommissionRefund.of(f"rf{i}", order.id, NOW, [("L1", refunded, order.lines[0].total
                                                      if refunded == 2 else Money(fen // 2))])
            led = led.handle(ApplyRefund(f"a{i}", rf), now=NOW).state
    recs = list(led.all_records())
    by_guide = guide_statements(recs, MONTH)
    by_store = store_statements(recs, MONTH)
    net = sum((r.net for r in recs), Money(0))
    assert sum((s.total_net for s in by_guide.values()), Money(0)) == net
    assert sum((s.total_net for s in by_store.values()), Money(0)) == net
    for s in by_guide.values():
        assert sum((m for _, m in s.by_rule), Money(0)) == s.total_net
