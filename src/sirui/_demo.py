"""``sirui demo``: a guided run over the built-in sample data.

Each section shows one mechanic on the sample chain. Sections are plain
functions taking the output stream; the demo runs them in order.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

import pendulum

from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.rules.conditions import AmountAtLeast, Facts, NewCustomer, TierIn

__all__ = ["run_demo", "sample_cart"]

NOW = pendulum.datetime(2026, 11, 11, 10, 5, tz="Asia/Shanghai")


def sample_cart() -> Cart:
    """A mother-and-baby cart: two tins of stage-1 formula, diapers and wipes."""
    member = Member("m001", tier="gold", home_store="S01", guide="g01", paid_orders=3)
    formula = Sku(
        "FM-1", Money.of("268"), spu="FM", category="母婴/奶粉/1段", name="婴儿奶粉1段 800g"
    )
    diapers = Sku("DP-L", Money.of("129"), spu="DP", category="母婴/纸尿裤", name="纸尿裤 L 54片")
    wipes = Sku("WP-80", Money.of("19.9"), spu="WP", category="母婴/湿巾", name="婴儿湿巾 80抽")
    return Cart(
        member,
        (Line("1", formula, 2), Line("2", diapers, 1), Line("3", wipes, 3)),
        store="S01",
        channel="miniapp",
    )


def _heading(out: TextIO, title: str) -> None:
    out.write(f"\n== {title}\n")


def section_foundation(out: TextIO) -> None:
    cart = sample_cart()
    _heading(out, "Sample cart (2026-11-11 10:05 Asia/Shanghai)")
    for ln in cart.lines:
        out.write(f"  {ln.sku.name:<24} {ln.quantity} x {ln.unit_price} = {ln.amount}\n")
    out.write(f"  {'total':<24} {cart.amount}\n")
    rule = TierIn(frozenset({"gold", "diamond"})) & AmountAtLeast(Money.of("299")) | NewCustomer()
    verdict = rule.evaluate(Facts.of_cart(cart, NOW))
    out.write(f"  eligible for '{rule.describe()}': {verdict.ok}\n")
    parts = Money.of("40").allocate([ln.amount for ln in cart.lines])
    out.write("  ¥40 off allocated to lines: " + ", ".join(str(p) for p in parts) + "\n")


def section_quote(out: TextIO) -> None:
    from sirui.checkout import quote
    from sirui.loyalty.members import MemberFacts, MemberPriceStep, benefits_for
    from sirui.simulate.cli import builtin_scenario

    scenario = builtin_scenario("baseline")
    cart = sample_cart()
    facts = MemberFacts(cart.member.id, tier=cart.member.tier)
    step = MemberPriceStep(benefits_for(scenario.benefits, facts, NOW))
    q = quote(
        cart,
        NOW,
        promotions=scenario.promotions,
        steps=(step,),
        stacking=scenario.stacking,
        shipping=scenario.shipping,
    )
    _heading(out, "The same cart quoted under the baseline rules (gold member)")
    out.write(repr(q) + "\n")


def section_members(out: TextIO) -> None:
    from sirui.loyalty.members import (
        GrowthRules,
        MemberStanding,
        RecordOrder,
        RefundOrder,
        Tier,
        TierChanged,
        TierLadder,
    )

    ladder = TierLadder(
        (
            Tier("normal", "普通"),
            Tier("silver", "白银", 500),
            Tier("gold", "黄金", 2000),
            Tier("diamond", "钻石", 8000),
        ),
        growth=GrowthRules(per_yuan=1, first_order_bonus=50),
    )
    _heading(out, "Tier ladder 普通/白银/黄金/钻石 on growth value (1 per yuan, +50 first order)")
    s = MemberStanding.new("m001", ladder)
    for cmd, label in (
        (RecordOrder("order-1", Money.of("2450"), first_order=True), "pays ¥2,450"),
        (RefundOrder("refund-1", "order-1", Money.of("1225")), "refunds ¥1,225"),
    ):
        outcome = s.handle(cmd, ladder, now=NOW)
        s = outcome.state
        changes = [e for e in outcome.events if isinstance(e, TierChanged)]
        why = f" -> {changes[0].to_tier}: {changes[0].reason.zh}" if changes else ""
        out.write(f"  {label}: growth {s.total_growth}, tier {s.tier}{why}\n")


def section_points(out: TextIO) -> None:
    from decimal import Decimal

    from sirui.loyalty.points import (
        DeductionPolicy,
        Earn,
        EarnRule,
        ExpireAtYearEnd,
        LedgerPolicy,
        PointsDeductionStep,
        PointsLedger,
        Spend,
        paid_lines,
        quote_earning,
    )
    from sirui.rules import PriceState, Stage

    cart = sample_cart()
    _heading(out, "Points: 100 points = 1 yuan (at most 50% of the order), 1 point per yuan paid")
    ledger = PointsLedger.open(cart.member.id, LedgerPolicy(ExpireAtYearEnd(), pending_days=7))
    ledger = ledger.handle(Earn("welcome", 12_000, source="follow"), now=NOW).state
    step = PointsDeductionStep(
        DeductionPolicy(max_share=Decimal("0.5")), available=ledger.available(NOW)
    )
    priced = step.price(PriceState.start(cart, NOW))
    ledger = ledger.handle(Spend("o1:spend", priced.points_used, order_id="o1"), now=NOW).state
    earn = quote_earning(EarnRule(), paid_lines(priced), now=NOW, tier_multiplier=Decimal("1.5"))
    ledger = ledger.handle(Earn("o1:earn", earn.points, order_id="o1"), now=NOW).state
    out.write(
        f"  used {priced.points_used} points = {priced.stage_total(Stage.POINTS)} off, "
        f"pays {priced.subtotal()}, earns {earn.points} (gold 1.5x, pending 7 days)\n"
    )
    out.write(
        f"  balance now {ledger.balance(NOW)}, "
        f"after the return window {ledger.balance(NOW.add(days=7))}\n"
    )


def section_seckill(out: TextIO) -> None:
    import datetime as dt
    from collections import Counter

    from sirui.campaigns.seckill import (
        MemberRecord,
        PurchaseLimits,
        Reserve,
        SeckillCampaign,
        SeckillItem,
        SeckillSlot,
        StockSlice,
    )
    from sirui.core.windows import DailySlot

    tin = SeckillItem("milk", price=Money.of("9.90"), original_price=Money.of("59"), stock=100)
    campaign = SeckillCampaign(
        "double11",
        slots=(SeckillSlot("am", (tin,), daily=DailySlot(dt.time(10), dt.time(10, 30))),),
        limits=PurchaseLimits(per_slot=1),
    )
    at = NOW.replace(minute=0)
    occurrence = campaign.status("am", at).occurrence
    assert occurrence is not None
    (counter,) = campaign.counters("am", occurrence)["milk"]
    rules = campaign.stock_rules()
    outcomes: Counter[str] = Counter()
    for i in range(150):
        out_ = StockSlice(rules, counter, MemberRecord(f"m{i:03d}")).handle(
            Reserve(f"o{i:03d}", f"m{i:03d}"), now=at.add(seconds=i)
        )
        if out_.ok:
            counter = out_.state.counter
            outcomes["reserved"] += 1
        else:
            outcomes[out_.reason.code] += 1
    _heading(out, "Seckill 10:00 slot: 150 members press buy for 100 tins at ¥9.90")
    out.write(
        f"  {dict(outcomes)}; counter: reserved {counter.reserved}, "
        f"available {counter.available} (never oversold)\n"
    )


def section_red_packet(out: TextIO) -> None:
    import random

    from sirui.campaigns.red_packet import SplitRule, best_hand, split_amount

    parts = split_amount(Money.of("88"), 8, random.Random(2026), SplitRule.DOUBLE_MEAN)
    best = best_hand(parts)
    _heading(out, "Group red packet: ¥88 among 8 (拼手气, seeded rng)")
    out.write(
        "  " + ", ".join(str(p) for p in parts) + f"  sum {sum(parts, Money(0))}; "
        f"best hand: grabber {best + 1}\n"
    )


def section_what_if(out: TextIO, folder: str, size: str) -> None:
    from pathlib import Path

    from sirui.simulate import compare, generate, simulate
    from sirui.simulate.cli import builtin_scenario
    from sirui.simulate.columnar import columnar_plan

    data = generate(size).frames()
    base, prop = builtin_scenario("baseline"), builtin_scenario("proposal")
    _heading(out, f"What-if over a quarter of orders ({len(data['orders'])} order lines)")
    out.write(f"  baseline: {base.description}\n  proposal: {prop.description}\n\n")
    b = simulate(data["orders"], data["members"], base)
    p = simulate(data["orders"], data["members"], prop)
    cmp = compare(b, p)
    out.write(cmp.to_text() + "\n")
    why = columnar_plan(base)[1]
    out.write(f"  engine: {b.engine}" + (f" ({why})" if why else "") + "\n")
    section_tier_boundary(out, data, base.ladder)
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    cmp.to_html(path / "report.html")
    out.write(f"\n  HTML report written to {path / 'report.html'}\n")


def section_tier_boundary(out: TextIO, data: Any, ladder: Any) -> None:
    """A tier-boundary what-if on the simplified rules: the columnar engine's kind of run."""
    import attrs

    from sirui.simulate import simulate
    from sirui.simulate.cli import builtin_scenario

    def silver_from(growth: int) -> Any:
        tiers = tuple(
            attrs.evolve(t, threshold=growth) if t.code == "silver" else t for t in ladder.tiers
        )
        return attrs.evolve(
            builtin_scenario("simplified"), ladder=attrs.evolve(ladder, tiers=tiers)
        )

    now = simulate(data["orders"], data["members"], silver_from(500))
    lower = simulate(data["orders"], data["members"], silver_from(300))
    up = now.summary["members_per_tier"]["normal"] - lower.summary["members_per_tier"]["normal"]
    cost = Money(lower.summary["discount_fen"] - now.summary["discount_fen"])
    out.write(
        f"\n  Tier boundary, simplified rules ({now.engine} engine): silver from 500 to 300 "
        f"growth moves {up} members up and costs {cost} more in member discounts\n"
    )


def run_demo(out: TextIO, args: argparse.Namespace | None = None) -> int:
    """Every section in order; ``args.out`` and ``args.size`` as ``sirui demo`` takes them.

    The size is checked before anything runs (`InvalidValueError` if unknown).
    """
    from sirui.core.errors import InvalidValueError
    from sirui.simulate.sample import SIZES

    folder = getattr(args, "out", "sirui-report")
    size = getattr(args, "size", "small")
    if size not in SIZES:
        raise InvalidValueError(
            f"size={size!r}: use one of {', '.join(SIZES)}", field="size", value=size
        )
    out.write("sirui demo: private-domain retail rules on a sample mother-and-baby chain\n")
    sections: list[Callable[[TextIO], None]] = [
        section_foundation,
        section_quote,
        section_members,
        section_points,
        section_seckill,
        section_red_packet,
    ]
    for section in sections:
        section(out)
    section_what_if(out, folder, size)
    return 0
