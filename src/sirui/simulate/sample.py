"""A deterministic synthetic mother-and-baby chain: stores, guides, members, orders.

`generate(size or counts, seed)` returns the same data for the same arguments
on every machine: one `random.Random(seed)` drives every draw, in a fixed
order. Sizes: ``"small"`` (the built-in dataset used by ``sirui demo`` and the
docs), ``"medium"``, or explicit counts.

Realism that rules depend on:

* baskets of formula (by stage), diapers, wipes, baby food, care and toys,
  with prices and costs like a regional 母婴 chain;
* members with tiers, tags (QR-code source store, baby age, pregnancy),
  birthdays, an exclusive guide, and a replenishment rhythm for formula;
* orders over one quarter in Asia/Shanghai, delivery or store pickup,
  attributed to a guide by exclusive relation or share link, a share of them
  refunded in part or in full within the return window;
* daily traffic (visits, add-to-cart, orders created, orders paid) per store
  and weekly guide activity, for the funnel metrics.

Amounts are integer fen (``*_fen`` columns), never floats.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any, Final

import attrs
import pendulum

__all__ = ["CATALOGUE", "SIZES", "SampleData", "generate"]

#: (sku, spu, name, category, price_fen, cost_fen, tags)
CATALOGUE: Final[tuple[tuple[str, str, str, str, int, int, str], ...]] = (
    ("FM1-800", "FM1", "婴儿奶粉1段 800g", "母婴/奶粉/1段", 26800, 19800, "爆款"),
    ("FM2-800", "FM2", "较大婴儿奶粉2段 800g", "母婴/奶粉/2段", 28800, 21200, "爆款"),
    ("FM3-800", "FM3", "幼儿奶粉3段 800g", "母婴/奶粉/3段", 24800, 18100, ""),
    ("FMO-800", "FMO", "有机奶粉2段 800g", "母婴/奶粉/2段", 39800, 28500, "新品"),
    ("DP-S", "DP", "纸尿裤 S 72片", "母婴/纸尿裤", 12900, 8200, ""),
    ("DP-M", "DP", "纸尿裤 M 62片", "母婴/纸尿裤", 12900, 8200, ""),
    ("DP-L", "DP", "纸尿裤 L 54片", "母婴/纸尿裤", 13900, 8900, "爆款"),
    ("DP-XL", "DP", "纸尿裤 XL 44片", "母婴/纸尿裤", 13900, 8900, ""),
    ("PT-L", "PT", "拉拉裤 L 40片", "母婴/纸尿裤", 11900, 7600, ""),
    ("WP-80", "WP", "婴儿湿巾 80抽", "母婴/湿巾", 1990, 900, "9.9专区"),
    ("WP-80x6", "WP6", "婴儿湿巾 80抽x6包", "母婴/湿巾", 8900, 5100, ""),
    ("RC-225", "RC", "高铁米粉 225g", "母婴/辅食", 3990, 2100, ""),
    ("PR-113", "PR", "果泥 113g", "母婴/辅食", 1290, 650, "9.9专区"),
    ("NB-240", "NB", "宽口径奶瓶 240ml", "母婴/喂养", 8900, 4200, ""),
    ("VD-60", "VD", "维生素D滴剂 60粒", "母婴/营养品", 7900, 4600, ""),
    ("BW-300", "BW", "婴儿沐浴露 300ml", "洗护/沐浴", 5900, 2900, ""),
    ("BL-200", "BL", "婴儿润肤乳 200ml", "洗护/护肤", 6900, 3300, "新品"),
    ("TY-RT", "TY", "摇铃玩具套装", "玩具/早教", 4900, 2000, ""),
    ("CL-BS", "CL", "纯棉连体衣", "服饰/婴儿服", 9900, 4100, ""),
    ("MK-PW", "MK", "孕妇奶粉 900g", "孕产/营养", 22800, 16500, ""),
)

TIERS: Final = ("normal", "silver", "gold", "diamond")
CHANNELS: Final = ("miniapp", "group", "live")
SIZES: Final[dict[str, dict[str, int]]] = {
    "tiny": {"stores": 2, "guides": 4, "members": 60, "orders": 200},
    "small": {"stores": 4, "guides": 12, "members": 600, "orders": 2500},
    "medium": {"stores": 40, "guides": 200, "members": 20000, "orders": 100000},
}
QUARTER_START: Final = pendulum.datetime(2026, 7, 1, tz="Asia/Shanghai")
QUARTER_DAYS: Final = 92


@attrs.frozen
class SampleData:
    """Records (lists of dicts) of one synthetic chain; ``frames()`` gives pandas."""

    stores: tuple[dict[str, Any], ...]
    guides: tuple[dict[str, Any], ...]
    members: tuple[dict[str, Any], ...]
    orders: tuple[dict[str, Any], ...]
    """One row per order line (order columns repeated), the analysts' usual grain."""
    traffic: tuple[dict[str, Any], ...]
    guide_activity: tuple[dict[str, Any], ...]
    seed: int

    def frames(self) -> dict[str, Any]:
        """Each table as a pandas DataFrame (needs the ``analysis`` extra)."""
        import pandas as pd

        return {
            name: pd.DataFrame(list(getattr(self, name)))
            for name in ("stores", "guides", "members", "orders", "traffic", "guide_activity")
        }


def _counts(size: str | Mapping[str, int]) -> dict[str, int]:
    if isinstance(size, str):
        if size not in SIZES:
            raise ValueError(f"size={size!r}: use one of {sorted(SIZES)} or a mapping of counts")
        return dict(SIZES[size])
    counts = {**SIZES["small"], **size}
    for k, v in counts.items():
        if type(v) is not int or v < 1:
            raise ValueError(f"{k}={v!r}: counts must be ints >= 1")
    return counts


def generate(size: str | Mapping[str, int] = "small", seed: int = 20260701) -> SampleData:
    """Generate a chain of the given size; the same arguments give the same data."""
    n = _counts(size)
    rng = random.Random(seed)
    stores = [
        {
            "store_id": f"S{i + 1:02d}",
            "name": f"{'城区' if i % 3 else '镇'}店{i + 1:02d}",
            "kind": "direct" if i % 4 else "franchise",
            "online_since": QUARTER_START.subtract(days=rng.choice([20, 45, 200, 400])).isoformat(),
            "region": rng.choice(["城区", "乡镇"]),
        }
        for i in range(n["stores"])
    ]
    guides = [
        {
            "guide_id": f"G{i + 1:03d}",
            "store_id": stores[i % len(stores)]["store_id"],
            "kind": "staff" if i % 10 else "super",
            "super_guide": None,
        }
        for i in range(n["guides"])
    ]
    members = [_member(i, rng, stores, guides) for i in range(n["members"])]
    orders = _orders(n["orders"], rng, members, guides)
    traffic = _traffic(rng, stores, orders)
    activity = _guide_activity(rng, guides, orders)
    return SampleData(
        tuple(stores),
        tuple(guides),
        tuple(members),
        tuple(orders),
        tuple(traffic),
        tuple(activity),
        seed,
    )


def _member(
    i: int, rng: random.Random, stores: list[dict[str, Any]], guides: list[dict[str, Any]]
) -> dict[str, Any]:
    store = rng.choice(stores)["store_id"]
    store_guides = [g["guide_id"] for g in guides if g["store_id"] == store] or [
        guides[0]["guide_id"]
    ]
    tier = rng.choices(TIERS, weights=(55, 25, 15, 5))[0]
    joined = QUARTER_START.subtract(days=rng.randint(1, 900))
    baby_days = rng.randint(-120, 1000)  # negative: still pregnant
    tags = [f"qr:{store}"]
    if baby_days < 0:
        tags.append("pregnant")
    else:
        tags.append(
            f"baby_birthday:{(QUARTER_START.date() - dt.timedelta(days=baby_days)).isoformat()}"
        )
    if rng.random() < 0.2:
        tags.append("vip")
    return {
        "member_id": f"M{i + 1:06d}",
        "tier": tier,
        "joined_at": joined.isoformat(),
        "home_store": store,
        "guide_id": rng.choice(store_guides) if rng.random() < 0.8 else None,
        "tags": ";".join(tags),
        "birthday": dt.date(
            rng.randint(1985, 2002), rng.randint(1, 12), rng.randint(1, 28)
        ).isoformat(),
        "paid_orders_before": 0 if rng.random() < 0.25 else rng.randint(1, 30),
        "baby_stage": 1 if baby_days < 180 else 2 if baby_days < 365 else 3,
        "activity": rng.choice((1, 1, 2, 3, 5, 8)),
    }


def _basket(rng: random.Random, stage: int) -> list[tuple[int, int]]:
    """(catalogue index, quantity) pairs for one order."""
    items: dict[int, int] = {}
    if rng.random() < 0.7:
        idx = {1: 0, 2: 1, 3: 2}[stage] if rng.random() < 0.85 else 3
        items[idx] = rng.choice((1, 1, 1, 2, 2, 3))
    if rng.random() < 0.55:
        items[rng.choice((4, 5, 6, 7, 8))] = rng.choice((1, 1, 2, 3))
    for idx, p in (
        (9, 0.35),
        (10, 0.1),
        (11, 0.15),
        (12, 0.2),
        (13, 0.05),
        (14, 0.1),
        (15, 0.12),
        (16, 0.1),
        (17, 0.05),
        (18, 0.06),
        (19, 0.02),
    ):
        if rng.random() < p:
            items[idx] = rng.choice((1, 1, 1, 2, 3))
    if not items:
        items[9] = 1
    return sorted(items.items())


def _orders(
    count: int, rng: random.Random, members: list[dict[str, Any]], guides: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    weights = [m["activity"] for m in members]
    chosen = rng.choices(range(len(members)), weights=weights, k=count)
    stamps = sorted((rng.randint(0, QUARTER_DAYS * 86400 - 1), i) for i in range(count))
    rows: list[dict[str, Any]] = []
    guide_ids = [g["guide_id"] for g in guides]
    for seq, (offset, k) in enumerate(stamps):
        member = members[chosen[k]]
        # Daytime-heavy: fold night-time seconds into 09:00-22:00.
        day, sec = divmod(offset, 86400)
        sec = 9 * 3600 + sec % (13 * 3600)
        placed = QUARTER_START.add(days=day, seconds=sec)
        paid = placed.add(seconds=rng.randint(5, 600))
        share_by = rng.choice(guide_ids) if rng.random() < 0.3 else None
        channel = rng.choices(CHANNELS, weights=(70, 20, 10))[0]
        fulfillment = "pickup" if rng.random() < 0.3 else "delivery"
        refund_kind = rng.random()
        order_id = f"O{seq + 1:07d}"
        basket = _basket(rng, member["baby_stage"])
        for line_no, (idx, qty) in enumerate(basket, start=1):
            sku, spu, name, cat, price, cost, tags = CATALOGUE[idx]
            refunded = 0
            if refund_kind < 0.02 or (refund_kind < 0.05 and line_no == 1):
                refunded = qty if refund_kind < 0.035 else rng.randint(1, qty)
            rows.append(
                {
                    "order_id": order_id,
                    "member_id": member["member_id"],
                    "store_id": member["home_store"],
                    "guide_id": member["guide_id"],
                    "share_by": share_by,
                    "channel": channel,
                    "fulfillment": fulfillment,
                    "placed_at": placed.isoformat(),
                    "paid_at": paid.isoformat(),
                    "line_id": str(line_no),
                    "sku": sku,
                    "spu": spu,
                    "name": name,
                    "category": cat,
                    "tags": tags,
                    "quantity": qty,
                    "unit_price_fen": price,
                    "unit_cost_fen": cost,
                    "refunded_quantity": refunded,
                    "refunded_at": paid.add(days=rng.randint(1, 7)).isoformat()
                    if refunded
                    else None,
                }
            )
    return rows


def _traffic(
    rng: random.Random, stores: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    paid: dict[tuple[str, str], set[str]] = {}
    for r in orders:
        paid.setdefault((r["store_id"], r["paid_at"][:10]), set()).add(r["order_id"])
    rows = []
    for day in range(QUARTER_DAYS):
        date = QUARTER_START.add(days=day).date().isoformat()
        for s in stores:
            n_paid = len(paid.get((s["store_id"], date), ()))
            created = n_paid + rng.randint(0, max(1, n_paid // 4))
            carts = created * rng.randint(2, 4) + rng.randint(0, 5)
            visitors = carts * rng.randint(3, 6) + rng.randint(5, 30)
            rows.append(
                {
                    "date": date,
                    "store_id": s["store_id"],
                    "visitors": visitors,
                    "add_to_cart": carts,
                    "orders_created": created,
                    "orders_paid": n_paid,
                }
            )
    return rows


def _guide_activity(
    rng: random.Random, guides: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    opened: dict[tuple[str, int], set[str]] = {}
    for r in orders:
        g = r["share_by"] or r["guide_id"]
        if g:
            week = (dt.date.fromisoformat(r["paid_at"][:10]) - QUARTER_START.date()).days // 7
            opened.setdefault((g, week), set()).add(r["order_id"])
    rows = []
    for week in range((QUARTER_DAYS + 6) // 7):
        for g in guides:
            logged_in = rng.random() < 0.85
            shares = rng.randint(0, 25) if logged_in else 0
            rows.append(
                {
                    "week": week,
                    "guide_id": g["guide_id"],
                    "logged_in": logged_in,
                    "shares": shares,
                    "orders_opened": len(opened.get((g["guide_id"], week), ())),
                }
            )
    return rows
