"""Group-buy, bargain, lottery and a cancelled order over HTTP, with the default policies."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from service._harness import Database, Server, cart, problem_ok


@pytest.fixture
def server(shared: Server) -> Server:
    return shared


@pytest.fixture
def db(shared: Server) -> Database:
    return shared.db


def post(http: httpx.Client, path: str, key: str, body: Any = None, **params: Any) -> Any:
    resp = http.post(path, json=body, params=params, headers={"Idempotency-Key": key})
    assert resp.status_code in (200, 201), (path, resp.status_code, resp.text[:400])
    return resp.json()


def test_group_buy_bargain_lottery_and_a_cancelled_order(server: Server, db: Database) -> None:
    with server.client() as http:
        for m in ("g1", "g2", "g3", "g4"):
            assert http.put(f"/members/{m}", json={"id": m, "guide": "G002"}).status_code == 201

        # group-buy: open, pay, two joins paid -> the group succeeds at the group price
        opened = post(http, "/orders", "go-1", cart("g1", ("FM2-800", 1)),
                      group_open="milk-3/grp1")
        shares = {sh["rule"]: sh["amount"] for sh in opened["quote"]["lines"][0]["shares"]}
        assert shares["groupbuy:milk-3"] == "50.00"  # 288 -> the group price 238
        post(http, "/orders/go-1/pay", "pay-go-1")
        for m in ("g2", "g3"):
            post(http, "/orders", f"gj-{m}", cart(m, ("FM2-800", 1)), group_join="milk-3/grp1")
            post(http, f"/orders/gj-{m}/pay", f"pay-gj-{m}")
        late = http.post("/orders", json=cart("g4", ("FM2-800", 1)),
                         params={"group_join": "milk-3/grp1"},
                         headers={"Idempotency-Key": "gj-g4"})
        assert problem_ok(late)["code"] in ("groupbuy.closed", "groupbuy.full")
        group = db.states("groupbuy:group:milk-3:grp1")["groupbuy:group:milk-3:grp1"]
        assert group["status"] == "succeeded"

        # bargain: a friend helps once; the starter cannot help
        started = post(http, "/bargain/rattle-cut/bargains", "bs-1",
                       {"member_id": "g1", "bargain_id": "k1"})
        assert started["state"]["price"] == "49.00"
        helped = post(http, "/bargain/rattle-cut/bargains/k1/help", "bh-1", {"member_id": "g2"})
        cut = next(e for e in helped["events"] if "cut" in e)["cut"]
        assert helped["state"]["price"] != "49.00" and cut != "0.00"
        again = post(http, "/bargain/rattle-cut/bargains/k1/help", "bh-1", {"member_id": "g2"})
        assert again == helped  # the retried help: the same cut, not a second draw
        twice = http.post("/bargain/rattle-cut/bargains/k1/help", json={"member_id": "g2"},
                          headers={"Idempotency-Key": "bh-2"})
        assert problem_ok(twice)["code"] == "bargain.already_helped"
        own = http.post("/bargain/rattle-cut/bargains/k1/help", json={"member_id": "g1"},
                        headers={"Idempotency-Key": "bh-3"})
        assert problem_ok(own)["code"] == "bargain.self_help"

        # lottery: one free draw a day; the retry answers the same prize
        drawn = post(http, "/lottery/daily-draw/draw", "d-1", {"member_id": "g3"})
        assert post(http, "/lottery/daily-draw/draw", "d-1", {"member_id": "g3"}) == drawn
        none_left = http.post("/lottery/daily-draw/draw", json={"member_id": "g3"},
                              headers={"Idempotency-Key": "d-2"})
        assert problem_ok(none_left)["code"].startswith("lottery.")

        # an order holding a coupon is cancelled: the coupon is available again
        post(http, "/members/g4/coupons", "cp-g4", {"template": "after-pay"})
        big = cart("g4", ("FMO-800", 1))
        placed = post(http, "/orders", "o-g4", big, coupons="cp-g4")
        assert placed["quote"]["coupons_used"] == ["cp-g4"]
        statement = http.get("/members/g4/statement").json()
        assert {c["id"]: c["status"] for c in statement["coupons"]} == {"cp-g4": "locked"}
        post(http, "/orders/o-g4/cancel", "cx-g4")
        statement = http.get("/members/g4/statement").json()
        assert {c["id"]: c["status"] for c in statement["coupons"]} == {"cp-g4": "available"}
        assert statement["orders"][0]["status"] == "cancelled"

        # a group that stays short fails at its deadline, and its paid seat is refunded
        post(http, "/orders", "go-4", cart("g4", ("FM2-800", 1)), group_open="milk-3/grp2")
        post(http, "/orders/go-4/pay", "pay-go-4")
        early = http.post("/groupbuy/milk-3/groups/grp2/tick",
                          headers={"Idempotency-Key": "tick-early"})
        assert problem_ok(early)["code"] == "groupbuy.nothing_due"
        assert http.post("/admin/clock",
                         json={"advance_seconds": 24 * 3600}).status_code == 200
        ticked = post(http, "/groupbuy/milk-3/groups/grp2/tick", "tick-grp2")
        names = [e["type"].rsplit(".", 1)[1] for e in ticked["events"]]
        assert "GroupFailed" in names and "RefundDue" in names
        refunded = http.get("/orders/go-4").json()
        assert [r["amount"] for r in refunded["refunds"]] == [refunded["quote"]["payable"]]

    events = Counter(r.event for r in db.rows("SELECT event FROM outbox"))
    assert events["campaigns.groupbuy.GroupSucceeded"] == 1
    assert events["campaigns.groupbuy.GroupFailed"] == 1
    assert events["campaigns.bargain.BargainHelped"] == 1
    assert "Traceback" not in server.output()
