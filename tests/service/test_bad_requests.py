"""Bad requests get a 4xx with a reason (never a 500) and leave every table as it was."""

from __future__ import annotations

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


def post(path: str, body: Any = None, key: str | None = "bad-1", raw: bytes | None = None,
         **params: Any) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    if raw is not None:
        headers["Content-Type"] = "application/json"
        return {"method": "POST", "url": path, "content": raw, "headers": headers,
                "params": params}
    return {"method": "POST", "url": path, "json": body, "headers": headers, "params": params}


GOOD = cart("m1", ("FM1-800", 1), ("WP-80", 2))


def bad_requests(other_coupon: str) -> list[tuple[str, dict[str, Any], int, str | None]]:
    """(name, request, expected status, expected code or None)."""
    wrong_type = {**GOOD, "lines": [{**GOOD["lines"][0], "quantity": "two"}]}
    negative = {**GOOD, "lines": [{**GOOD["lines"][0], "quantity": -1}]}
    huge_int = {**GOOD, "lines": [{**GOOD["lines"][0], "quantity": 10**30}]}
    zero = {**GOOD, "lines": [{**GOOD["lines"][0], "quantity": 0}]}
    float_price = {**GOOD, "lines": [{**GOOD["lines"][0], "sku": {"id": "FM1-800",
                                                                  "price": 1.5}}]}
    unknown_key = {**GOOD, "coupon": "free"}
    invalid = "request.invalid_content"
    return [
        ("malformed JSON, quote", post("/quote", raw=b'{"member": {"id": "m1"}, "lines": [',
                                       key=None), 422, invalid),
        ("malformed JSON, order", post("/orders", raw=b'{"member": '), 422, invalid),
        ("not JSON at all", post("/orders", raw=b"member=m1&sku=FM1-800"), 422, invalid),
        ("not UTF-8", post("/orders", raw=b'{"member": {"id": "\xff\xfe"}}'), 422, invalid),
        ("nested 100,000 deep", post("/orders", raw=b"[" * 100_000), 422, invalid),
        ("empty body", post("/orders", raw=b""), 422, invalid),
        ("a list, not a cart", post("/orders", [1, 2, 3]), 422, invalid),
        ("wrong type: quantity as text", post("/orders", wrong_type), 422, invalid),
        ("wrong type: float money", post("/orders", float_price), 422, invalid),
        ("wrong type: points as text", post("/quote", GOOD, key=None, points="many"), 422,
         invalid),
        ("unknown field", post("/orders", unknown_key), 422, invalid),
        ("negative quantity", post("/orders", negative), 422, invalid),
        ("zero quantity", post("/orders", zero), 422, invalid),
        ("quantity beyond 64 bits", post("/orders", huge_int), 422, invalid),
        ("negative points", post("/orders", GOOD, points=-100), 422,
         "request.negative_points"),
        ("unknown member", post("/orders", cart("nobody", ("FM1-800", 1))), 404,
         "service.unknown_member"),
        ("unknown member, quote", post("/quote", cart("nobody", ("FM1-800", 1)), key=None), 404,
         "service.unknown_member"),
        ("unknown SKU", post("/orders", cart("m1", ("NOPE-1", 1))), 422, "service.unknown_sku"),
        ("a coupon of another member", post("/orders", GOOD, coupons=other_coupon), 409,
         "checkout.coupon_not_in_wallet"),
        ("a coupon that does not exist", post("/orders", GOOD, coupons="cp-none"), 409,
         "checkout.coupon_not_in_wallet"),
        ("claim: unknown template", post("/members/m1/coupons", {"template": "nope"}), 404,
         "service.unknown_template"),
        ("claim: template as a number", post("/members/m1/coupons", {"template": 5}), 422,
         invalid),
        ("claim for an unknown member", post("/members/nobody/coupons",
                                             {"template": "after-pay"}), 404,
         "service.unknown_member"),
        ("no Idempotency-Key", post("/orders", GOOD, key=None), 400,
         "request.missing_idempotency_key"),
        ("a key that is not an id", post("/orders", GOOD, key="a b/c"), 422, "service.bad_id"),
        ("a reused key with another body", post("/orders", cart("m1", ("WP-80", 1)),
                                                key="o-good"), 400,
         "request.idempotency_key_reused"),
        ("pay an unknown order", post("/orders/o-none/pay", key="pay-none"), 404,
         "service.unknown_order"),
        ("refund an unpaid order", post("/orders/o-good/refunds", {"lines": {"L1": 1}},
                                        key="bad-rf-1"), 409, "service.order_not_paid"),
        ("refund more than bought", post("/orders/o-paid/refunds", {"lines": {"L2": 3}},
                                         key="bad-rf-2"), 422, invalid),
        ("refund an unknown line", post("/orders/o-paid/refunds", {"lines": {"L9": 1}},
                                        key="bad-rf-3"), 422, invalid),
        ("refund a negative quantity", post("/orders/o-paid/refunds", {"lines": {"L1": -1}},
                                            key="bad-rf-4"), 422, invalid),
        ("unknown seckill campaign", post("/orders", GOOD, seckill="nope/am"), 404,
         "service.unknown_campaign"),
        ("seckill without its SKU", post("/orders", cart("m1", ("WP-80", 1)),
                                         seckill="double11/am"), 422, "service.activity_line"),
        ("seckill before it opens", post("/orders", cart("m1", ("FM1-800", 1)),
                                         seckill="double11/pm"), 409, "seckill.not_started"),
        ("pay twice under a new key", post("/orders/o-paid/pay", key="pay-again"), 409,
         "service.order_not_open"),
        ("lottery: unknown campaign", post("/lottery/nope/draw", {"member_id": "m1"}), 404,
         "service.unknown_campaign"),
        ("points grant: float points", post("/members/m1/points",
                                            raw=b'{"id": "g9", "points": 1.5}'), 422, invalid),
        ("no such route", post("/nowhere", {}), 404, "request.no_route"),
        ("clock backwards", post("/admin/clock", {"advance_seconds": -60}, key=None), 400,
         "request.misuse"),
    ]


def test_bad_requests_answer_4xx_with_a_reason_and_write_nothing(server: Server,
                                                                 db: Database) -> None:
    with server.client() as http:
        given(http)
        assert http.post("/orders", json=GOOD,
                         headers={"Idempotency-Key": "o-good"}).status_code == 201
        assert http.post("/orders", json=cart("m1", ("WP-80", 2)),
                         headers={"Idempotency-Key": "o-paid"}).status_code == 201
        assert http.post("/orders/o-paid/pay",
                         headers={"Idempotency-Key": "pay-o-paid"}).status_code == 200

        before = db.dump()
        for name, req, status, code in bad_requests("cp-of-m2"):
            resp = http.request(**req)
            body = problem_ok(resp)
            assert resp.status_code == status, (name, resp.status_code, resp.text[:400])
            if code is not None:
                assert body["code"] == code, (name, body)
        # a 10 MB body is refused before it is read into a command
        big = http.post("/orders", content=b"{" + b" " * 10_000_000 + b"}",
                        headers={"Idempotency-Key": "big", "Content-Type": "application/json"})
        assert problem_ok(big)["code"] == "request.too_large"
        assert big.status_code == 413
        assert http.get("/health").status_code == 200
        assert db.dump() == before
    assert "Traceback" not in server.output()


def given(http: httpx.Client) -> None:
    """Members m1 and m2, and a coupon in m2's wallet (replay-safe: tests may run apart)."""
    for m in ("m1", "m2"):
        assert http.put(f"/members/{m}", json={"id": m, "guide": "G001"}).status_code in (200,
                                                                                         201)
    claimed = http.post("/members/m2/coupons", json={"template": "after-pay"},
                        headers={"Idempotency-Key": "cp-of-m2"})
    assert claimed.status_code == 201, claimed.text


def test_the_other_members_coupon_is_named_in_the_refusal(server: Server) -> None:
    with server.client() as http:
        given(http)
        resp = http.post("/orders", json=GOOD, params={"coupons": "cp-of-m2"},
                         headers={"Idempotency-Key": "o-theirs"})
        body = problem_ok(resp)
        assert resp.status_code == 409
        assert body["code"] == "checkout.coupon_not_in_wallet", body
        assert "cp-of-m2" in str(body["reason"]), body
        quoted = http.post("/quote", json=GOOD, params={"coupons": "cp-of-m2"})
        assert quoted.status_code == 200
        assert "cp-of-m2" not in quoted.json()["coupons_used"]
