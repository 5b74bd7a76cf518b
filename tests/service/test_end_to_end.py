"""One cart through quote, order, payment and two partial refunds: HTTP says what sirui says.

The in-process side is written here from the library alone, as the backend
guide does it (no code of the service is imported): the sample chain's
rules (``builtin:baseline``), its catalogue, the default points policy, the
same clock. Every figure the server answers must be the library's: the
quote document itself (payable, per-line shares, points, coupons), the
points earned and the balance, the tier, the commission, and each refund.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pendulum
import pytest

from service._harness import REPO, Database, Server, cart
from sirui.checkout import quote, refund
from sirui.commission import (
    ApplyRefund,
    CommissionOrder,
    CommissionOrderLine,
    CommissionRefund,
    LineRefund,
    RecordCommission,
    SettlementLedger,
    guide_commission,
)
from sirui.config import dump, load, loads_toml
from sirui.core import Attribution, Cart, Line, Member, Money, Order, Sku
from sirui.loyalty.members import (
    MemberFacts,
    MemberPriceStep,
    MemberStanding,
    RecordOrder,
    RefundOrder,
    benefits_for,
)
from sirui.loyalty.points import (
    DeductionPolicy,
    Earn,
    EarningLine,
    OrderPoints,
    PointsDeductionStep,
    PointsLedger,
    Spend,
    quote_earning,
)
from sirui.promotions import ClaimCoupon, LockCoupon, UseCoupon, Wallet
from sirui.simulate.sample import CATALOGUE


@pytest.fixture
def server(shared: Server) -> Server:
    return shared


@pytest.fixture
def db(shared: Server) -> Database:
    return shared.db


def library() -> dict[str, Any]:
    chain = loads_toml(resources.files("sirui.simulate").joinpath(
        "scenarios/baseline.toml").read_text("utf-8"))
    doc = tomllib.loads((REPO / "examples/service/policies.toml").read_text("utf-8"))
    skus = {sku: Sku(sku, Money(price), spu=spu, category=cat, cost=Money(cost), name=name,
                     tags=frozenset(t for t in [tags] if t))
            for sku, spu, name, cat, price, cost, tags in CATALOGUE}
    return {"chain": chain, "deduction": load(doc["deduction"], DeductionPolicy), "skus": skus}


def lean(doc: dict[str, Any]) -> dict[str, Any]:
    """A quote document without its header and its inputs (the server answers without them)."""
    return {k: v for k, v in doc.items() if k not in ("inputs", "type", "schema")}


def test_http_figures_are_the_library_figures(server: Server, db: Database) -> None:
    lib = library()
    chain, skus = lib["chain"], lib["skus"]
    with server.client() as http:  # the shared server's test clock (other tests may move it)
        now = pendulum.parse(http.get("/admin/clock").json()["now"])
    body = cart("e1", ("FM1-800", 1), ("DP-L", 2), ("FMO-800", 1))

    # -- over HTTP ------------------------------------------------------------------------
    with server.client() as http:
        assert http.put("/members/e1", json={"id": "e1", "guide": "G901"}).status_code == 201
        assert http.post("/members/e1/points", json={"id": "grant-e1", "points": 5000,
                                                     "source": "gift"},
                         headers={"Idempotency-Key": "grant-e1"}).status_code == 201
        assert http.post("/members/e1/coupons", json={"template": "after-pay"},
                         headers={"Idempotency-Key": "claim-e1"}).status_code == 201
        quoted = http.post("/quote", json=body, params={"points": 3000})
        assert quoted.status_code == 200, quoted.text
        placed = http.post("/orders", json=body, params={"points": 3000},
                           headers={"Idempotency-Key": "e2e-o1"})
        assert placed.status_code == 201, placed.text
        paid = http.post("/orders/e2e-o1/pay", headers={"Idempotency-Key": "e2e-pay"})
        assert paid.status_code == 200, paid.text
        refunded_1 = http.post("/orders/e2e-o1/refunds", json={"lines": {"L2": 1}},
                               headers={"Idempotency-Key": "rf-1"})
        assert refunded_1.status_code == 201, refunded_1.text
        refunded_2 = http.post("/orders/e2e-o1/refunds", json={"lines": {"L1": 1}},
                               headers={"Idempotency-Key": "rf-2"})
        assert refunded_2.status_code == 201, refunded_2.text
        statement = http.get("/members/e1/statement").json()
        month = f"{now.year:04d}-{now.month:02d}"
        commission = http.get("/guides/G901/statement", params={"month": month}).json()

    # -- in process -----------------------------------------------------------------------
    ledger = PointsLedger.open("e1").handle(Earn("grant-e1", 5000, source="gift"), now=now).state
    template = next(t for t in chain.coupons if t.id == "after-pay")
    wallet = Wallet("e1").handle(ClaimCoupon("claim-e1", "claim-e1", template), now=now).state
    standing = MemberStanding.new("e1", chain.ladder)
    member = Member("e1", tier=standing.tier, guide="G901")
    the_cart = Cart(member, [Line("L1", skus["FM1-800"], 1), Line("L2", skus["DP-L"], 2),
                             Line("L3", skus["FMO-800"], 1)], "S01")
    benefits = benefits_for(chain.benefits, MemberFacts("e1", tier=standing.tier), now)
    steps = [MemberPriceStep(benefits),
             PointsDeductionStep(lib["deduction"], available=ledger.available(now),
                                 requested=3000)]
    q = quote(the_cart, now, promotions=chain.promotions, coupons=wallet.available(now),
              steps=steps, stacking=chain.stacking, shipping=chain.shipping)

    # the quote: the same document, figure for figure
    expected_quote = lean(dump(q))
    assert lean(quoted.json()) == expected_quote
    assert lean(placed.json()["quote"]) == expected_quote
    assert q.points_used == 3000
    assert q.coupons_used == ("claim-e1",)

    # payment: coupons, points, tier, commission
    for cid in q.coupons_used:
        wallet = wallet.handle(LockCoupon(f"e2e-o1:lock:{cid}", cid, "e2e-o1"), now=now).state
        wallet = wallet.handle(UseCoupon(f"e2e-o1:use:{cid}", cid, "e2e-o1"), now=now).state
    ledger = ledger.handle(Spend("e2e-o1:spend", 3000, order_id="e2e-o1"), now=now).state
    earned = quote_earning(chain.points, [EarningLine(ln.id, ln.sku, q.line(ln.id).paid)
                                          for ln in the_cart.lines],
                           now=now, tier_multiplier=benefits.points_multiplier)
    ledger = ledger.handle(Earn("e2e-o1:earn", earned.points, order_id="e2e-o1"), now=now).state
    grown = standing.handle(RecordOrder("e2e-o1", q.goods_payable, first_order=True,
                                        points=earned.points, at=now), chain.ladder, now=now)
    standing = grown.state
    order = Order("e2e-o1", member, the_cart.lines, now, now, "S01",
                  attribution=Attribution(guide="G901"))
    lines = guide_commission(CommissionOrder(order, [CommissionOrderLine(ln.id, ln.sku, ln.quantity,
                                                        q.line(ln.id).paid)
                                               for ln in the_cart.lines], now),
                             chain.commission, chain.attribution)
    settlement = SettlementLedger().handle(
        RecordCommission("e2e-o1:commission", [c for c in lines if c.payee]), now=now).state

    got = paid.json()
    assert got["points_earned"] == earned.points
    assert got["tier_after"] == standing.tier
    assert got["commission"] == [_plain(c) for c in lines]
    assert standing.tier != "normal"  # the order was enough to grow a tier

    # two partial refunds
    record = OrderPoints.of("e2e-o1", {"L1": 1, "L2": 2, "L3": 1}, earn_id="e2e-o1:earn",
                            earned=dict(earned.by_line), spend_id="e2e-o1:spend",
                            spent=dict(q.points_by_line()))
    done: list[Any] = []
    for key, returns in (("rf-1", {"L2": 1}), ("rf-2", {"L1": 1})):
        rid = f"e2e-o1:refund:{key}"
        result = refund(q, returns, done)
        done.append(result)
        plan = record.refund(rid, returns)
        record = plan.order
        for cmd in plan.commands:
            ledger = ledger.handle(cmd, now=now).state
        standing = standing.handle(RefundOrder(rid, "e2e-o1", result.goods), chain.ladder,
                                   now=now).state
        settlement = settlement.handle(ApplyRefund(rid, CommissionRefund(
            rid, "e2e-o1", [LineRefund(rl.id, rl.quantity, rl.amount) for rl in result.lines],
            at=now)), now=now).state
    after = refunded_2.json()
    assert after["refunds"] == [_plain(r) for r in done]
    assert [r["amount"] for r in after["refunds"]] == [_plain(r.amount) for r in done]

    # what the member and the guide see now
    assert statement["points_balance"] == ledger.balance(now)
    assert statement["tier"] == standing.tier
    assert statement["growth"] == standing.total_growth
    coupons = {c["id"]: c["status"] for c in statement["coupons"]}
    assert coupons["claim-e1"] == "used"
    net = {r["line"]["line_id"]: r for r in commission["records"]
           if r["line"]["order_id"] == "e2e-o1"}
    for rec in settlement.records_of("e2e-o1"):
        assert _plain(rec) == net[rec.line.line_id]
    assert commission["owner"] == "G901"


def _plain(value: Any) -> Any:
    """A nested value as the codec writes it inside a document (no header)."""
    doc = dump(value)
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k not in ("type", "schema")}
    return doc

