"""Reading and checking order history: frames, Arrow tables or files -> order records.

Accepted sources: a pandas DataFrame, a polars DataFrame, a pyarrow Table, or
a path to a ``.parquet``, ``.csv``, ``.json`` (records) or ``.jsonl`` (JSON
Lines) file. Columns are checked up front: a missing column or a column of
the wrong type raises `InputError` naming the column and the expected type.
Row problems never crash a run and are never dropped silently: each bad row
becomes a `RejectedRow` with a reason code and the bad value, counted in the
summary.

Order lines (one row per line):

| column | type | required |
|---|---|---|
| order_id, member_id, sku | text | yes |
| paid_at | ISO 8601 datetime with offset (or naive + ``timezone=``) | yes |
| quantity | int >= 1 | yes |
| unit_price_fen | int >= 0 (fen) | yes |
| line_id, store_id, guide_id, share_by, channel, fulfillment, spu, category, tags | text | no |
| group_id (the group-buy group an order joined, for `Scenario.group_buys`) | text | no |
| placed_at, refunded_at | datetime | no |
| unit_cost_fen, refunded_quantity | int >= 0 | no |

Members: ``member_id`` (required), ``tier``, ``joined_at``, ``home_store``,
``guide_id``, ``tags`` (``;``-separated), ``birthday``, ``paid_orders_before``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Container, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs
import pendulum

from sirui.core.errors import SiruiError
from sirui.core.money import MAX_MINOR, Money
from sirui.core.nouns import Attribution, Fulfillment, Line, Member, Sku
from sirui.core.windows import DateTime
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "MEMBER_COLUMNS",
    "ORDER_COLUMNS",
    "ROW_COLUMNS",
    "InputError",
    "OrderRecord",
    "Prepared",
    "RejectedRow",
    "prepare",
    "prepare_members",
    "read_table",
]

#: column -> (expected type description, required)
#: The per-order result columns a run returns, in order.
ROW_COLUMNS = (
    "order_id", "member_id", "store_id", "guide_id", "paid_at", "month",
    "tier_before", "tier_after", "original_fen", "activity_fen", "member_fen",
    "promotion_fen", "coupon_fen", "points_deduction_fen", "shipping_fen",
    "payable_fen", "goods_paid_fen", "discount_fen", "gift_value_fen", "refund_fen",
    "points_earned", "points_spent", "coupons_used", "coupons_issued",
    "commission_fen", "rules", "reasons",
)

ORDER_COLUMNS: Final[dict[str, tuple[str, bool]]] = {
    "order_id": ("text", True),
    "member_id": ("text", True),
    "sku": ("text", True),
    "paid_at": ("ISO 8601 datetime with offset", True),
    "quantity": ("integer >= 1", True),
    "unit_price_fen": ("integer fen >= 0", True),
    "line_id": ("text", False),
    "store_id": ("text", False),
    "guide_id": ("text", False),
    "share_by": ("text", False),
    "channel": ("text", False),
    "fulfillment": ("'delivery' or 'pickup'", False),
    "placed_at": ("ISO 8601 datetime with offset", False),
    "spu": ("text", False),
    "category": ("text path like 母婴/奶粉", False),
    "tags": ("text, ';'-separated", False),
    "unit_cost_fen": ("integer fen >= 0", False),
    "refunded_quantity": ("integer >= 0", False),
    "refunded_at": ("ISO 8601 datetime with offset", False),
    "group_id": ("text", False),
}
MEMBER_COLUMNS: Final[dict[str, tuple[str, bool]]] = {
    "member_id": ("text", True),
    "tier": ("text", False),
    "joined_at": ("ISO 8601 datetime with offset", False),
    "home_store": ("text", False),
    "guide_id": ("text", False),
    "tags": ("text, ';'-separated", False),
    "birthday": ("date YYYY-MM-DD", False),
    "paid_orders_before": ("integer >= 0", False),
}
_INT_COLUMNS: Final = {
    "quantity",
    "unit_price_fen",
    "unit_cost_fen",
    "refunded_quantity",
    "paid_orders_before",
}

UNKNOWN_MEMBER = reason_code(
    "input.unknown_member",
    zh="订单的会员{member_id}不存在",
    en="Order references unknown member {member_id}",
)
NEGATIVE = reason_code(
    "input.negative_amount", zh="{column}为负数：{value}", en="{column} is negative: {value}"
)
BAD_VALUE = reason_code(
    "input.bad_value",
    zh="{column}的值无效：{value}（应为{expected}）",
    en="{column} has an invalid value {value} (expected {expected})",
)
DUPLICATE = reason_code(
    "input.duplicate_order",
    zh="订单{order_id}重复（行{line_id}）",
    en="Duplicate order {order_id} (line {line_id})",
)
NAIVE_TIME = reason_code(
    "input.naive_timestamp",
    zh="{column}没有时区；请用--timezone指定",
    en="{column} has no time zone; pass --timezone to decide",
)
REFUND_BEFORE = reason_code(
    "input.refund_before_order", zh="退款时间早于支付时间", en="Refunded before the order was paid"
)
REFUND_TOO_MANY = reason_code(
    "input.refund_exceeds_quantity",
    zh="退款数量超过购买数量",
    en="Refunded quantity exceeds the quantity bought",
)


class InputError(SiruiError, ValueError):
    """The input as a whole cannot be used: unreadable, empty, a column missing or mistyped."""


@attrs.frozen(slots=True)
class RejectedRow:
    """A row left out of the run, and why."""

    table: str
    ref: str
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "ref": self.ref, **self.reason.to_dict()}


@attrs.frozen(slots=True)
class OrderRecord:
    """One historical order, checked and typed, ready to be priced."""

    order_id: str
    member_id: str
    paid_at: DateTime
    placed_at: DateTime
    lines: tuple[Line, ...]
    store_id: str | None
    fulfillment: Fulfillment
    attribution: Attribution
    refunds: tuple[tuple[str, int, DateTime], ...] = ()
    """(line id, quantity, refunded at) per refunded line."""


@attrs.frozen(slots=True)
class Prepared:
    """Checked input: members by id, orders in time order, and what was rejected."""

    members: Mapping[str, Member]
    orders: tuple[OrderRecord, ...]
    rejected: tuple[RejectedRow, ...]


def read_table(source: Any, what: str = "orders") -> Any:
    """Any accepted source as a pandas DataFrame (raises `InputError` if unusable)."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        df = source
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise InputError(f"{what}: file {path} does not exist")
        try:
            if path.suffix.lower() == ".parquet":
                df = pd.read_parquet(path)
            elif path.suffix.lower() == ".csv":
                df = pd.read_csv(path, dtype=str, keep_default_na=False)
            elif path.suffix.lower() in (".json", ".jsonl"):
                df = pd.read_json(path, lines=path.suffix.lower() == ".jsonl", dtype=False)
            else:
                raise InputError(
                    f"{what}: unsupported file type {path.suffix!r}; "
                    "use .parquet, .csv, .json or .jsonl"
                )
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{what}: cannot read {path}: {exc}") from None
    elif hasattr(source, "to_pandas"):  # polars DataFrame, pyarrow Table
        df = source.to_pandas()
    else:
        raise InputError(
            f"{what}: expected a pandas/polars DataFrame, a pyarrow Table or a file path, "
            f"got {type(source).__name__}"
        )
    if len(df) == 0:
        raise InputError(f"{what}: the table is empty")
    return df


def _check_columns(df: Any, spec: Mapping[str, tuple[str, bool]], what: str) -> None:
    missing = [c for c, (_, req) in spec.items() if req and c not in df.columns]
    if missing:
        details = ", ".join(f"{c} ({spec[c][0]})" for c in missing)
        raise InputError(f"{what}: missing column(s): {details}")
    for col in _INT_COLUMNS & set(df.columns) & set(spec):
        kind = getattr(df[col].dtype, "kind", "O")
        if kind == "f":
            raise InputError(
                f"{what}: column {col} holds floats; expected {spec[col][0]} "
                "(amounts are integer fen)"
            )


def _records(df: Any) -> list[dict[str, Any]]:
    # Column lists give plain Python values (no numpy scalars) and are faster
    # than to_dict("records") on wide frames.
    cols = [str(c) for c in df.columns]
    columns = []
    for c in df.columns:
        col = df[c]
        if col.hasnans:  # NaN, None or pd.NA (Arrow-backed columns) all become None
            col = col.astype(object).where(col.notna(), None)
        columns.append(col.tolist())
    return [dict(zip(cols, row)) for row in zip(*columns)]


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        return None
    return str(v)


def _int(v: Any, column: str) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lstrip("-").isdecimal():
        return int(v)
    if hasattr(v, "item") and isinstance(v.item(), int) and not isinstance(v.item(), bool):
        return int(v.item())  # numpy integer
    expected = {**ORDER_COLUMNS, **MEMBER_COLUMNS}[column][0]
    shown = "(empty)" if _text(v) is None else str(v)[:80]
    raise _RowError(BAD_VALUE(column=column, value=shown, expected=expected))


class _RowError(Exception):
    def __init__(self, reason: Reason) -> None:
        self.reason = reason


def _time(v: Any, column: str, tz: str | None) -> DateTime:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        raise _RowError(
            BAD_VALUE(column=column, value="(empty)", expected=ORDER_COLUMNS[column][0])
        )
    if isinstance(v, dt.datetime):
        parsed = v
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(v))
        except ValueError:
            raise _RowError(
                BAD_VALUE(column=column, value=str(v), expected="ISO 8601 datetime")
            ) from None
    if not 1 < parsed.year < 9999:  # a change of zone would leave datetime's range
        raise _RowError(
            BAD_VALUE(column=column, value=str(v), expected="a datetime in the years 2 to 9998")
        )
    if parsed.tzinfo is None:
        if tz is None:
            raise _RowError(NAIVE_TIME(column=column))
        return pendulum.instance(parsed, tz=tz)
    return pendulum.instance(parsed)


def _members(df: Any, tz: str | None) -> tuple[dict[str, Member], list[RejectedRow]]:
    out: dict[str, Member] = {}
    rejected: list[RejectedRow] = []
    for r in _records(df):
        mid = _text(r.get("member_id"))
        if mid is None:
            rejected.append(
                RejectedRow(
                    "members", "?", BAD_VALUE(column="member_id", value="(empty)", expected="text")
                )
            )
            continue
        try:
            tags = frozenset(t for t in (_text(r.get("tags")) or "").split(";") if t)
            birthday = _text(r.get("birthday"))
            joined = _text(r.get("joined_at"))
            before = r.get("paid_orders_before")
            member = Member(
                mid,
                tier=_text(r.get("tier")),
                joined_at=_time(joined, "placed_at", tz) if joined else None,
                home_store=_text(r.get("home_store")),
                guide=_text(r.get("guide_id")),
                tags=tags,
                birthday=dt.date.fromisoformat(birthday) if birthday else None,
                paid_orders=_int(before, "paid_orders_before") if _text(before) else 0,
            )
        except _RowError as exc:
            rejected.append(RejectedRow("members", mid, exc.reason))
            continue
        except (ValueError, TypeError) as exc:
            rejected.append(
                RejectedRow(
                    "members",
                    mid,
                    BAD_VALUE(
                        column=str(exc).split("=")[0] or "row",
                        value=str(exc)[:80],
                        expected="see the members column table",
                    ),
                )
            )
            continue
        if mid in out:
            rejected.append(RejectedRow("members", mid, DUPLICATE(order_id=mid, line_id="-")))
            continue
        out[mid] = member
    return out, rejected


def _line(r: Mapping[str, Any], skus: dict[tuple[Any, ...], Sku], index: int) -> Line:
    qty = _int(r["quantity"], "quantity")
    price = _int(r["unit_price_fen"], "unit_price_fen")
    cost_raw = r.get("unit_cost_fen")
    cost = _int(cost_raw, "unit_cost_fen") if _text(cost_raw) is not None else None
    for col, value in (("quantity", qty), ("unit_price_fen", price), ("unit_cost_fen", cost)):
        if value is not None and value < 0:
            raise _RowError(NEGATIVE(column=col, value=value))
    if qty < 1:
        raise _RowError(BAD_VALUE(column="quantity", value=qty, expected="integer >= 1"))
    key = (r["sku"], price, cost, r.get("category"), r.get("tags"), r.get("spu"))
    sku = skus.get(key)
    if sku is None:
        tags = frozenset(t for t in (_text(r.get("tags")) or "").split(";") if t)
        sku = Sku(
            str(r["sku"]),
            Money(price),
            spu=_text(r.get("spu")),
            category=_text(r.get("category")) or (),
            tags=tags,
            cost=Money(cost) if cost is not None else None,
            name=_text(r.get("name")) or "",
        )
        skus[key] = sku
    return Line(_text(r.get("line_id")) or str(index), sku, qty)


def prepare_members(members: Any, timezone: str | None = None) -> Prepared:
    """Check the members table alone (no orders): for drivers that split the orders."""
    mdf = read_table(members, "members")
    _check_columns(mdf, MEMBER_COLUMNS, "members")
    member_map, rejected = _members(mdf, timezone)
    return Prepared(member_map, (), tuple(rejected))


def prepare(orders: Any, members: Any, timezone: str | None = None) -> Prepared:
    """Check and type the input; bad rows are rejected with reasons, never dropped silently."""
    odf = read_table(orders, "orders")
    mdf = read_table(members, "members")
    _check_columns(odf, ORDER_COLUMNS, "orders")
    _check_columns(mdf, MEMBER_COLUMNS, "members")
    member_map, rejected = _members(mdf, timezone)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in _records(odf):
        oid = _text(r.get("order_id"))
        if oid is None:
            rejected.append(
                RejectedRow(
                    "orders", "?", BAD_VALUE(column="order_id", value="(empty)", expected="text")
                )
            )
            continue
        groups.setdefault(oid, []).append(r)
    records, bad = _check_orders(groups, member_map, timezone)
    rejected += bad
    records.sort(key=lambda o: (o.paid_at, o.order_id))
    return Prepared(member_map, tuple(records), tuple(rejected))


def _check_orders(
    groups: Mapping[str, list[dict[str, Any]]], members: Container[str], tz: str | None
) -> tuple[list[OrderRecord], list[RejectedRow]]:
    """Each order's rows through `_order`: the records, and the rejections in group order."""
    records: list[OrderRecord] = []
    rejected: list[RejectedRow] = []
    skus: dict[tuple[Any, ...], Sku] = {}
    for oid, rows in groups.items():
        try:
            records.append(_order(oid, rows, members, skus, tz))
        except _RowError as exc:
            rejected.append(RejectedRow("orders", oid, exc.reason))
        except (ValueError, TypeError) as exc:
            col = str(exc) if str(exc) in ORDER_COLUMNS else "row"
            expected = ORDER_COLUMNS[col][0] if col in ORDER_COLUMNS else "see the column table"
            rejected.append(
                RejectedRow(
                    "orders", oid, BAD_VALUE(column=col, value=str(exc)[:80], expected=expected)
                )
            )
    return records, rejected


def _same(rows: Iterable[Mapping[str, Any]], column: str) -> bool:
    return len({_text(r.get(column)) for r in rows}) <= 1


def _order(
    oid: str,
    rows: list[dict[str, Any]],
    members: Container[str],
    skus: dict[tuple[Any, ...], Sku],
    tz: str | None,
) -> OrderRecord:
    first = rows[0]
    for col in ("member_id", "paid_at", "store_id"):
        if not _same(rows, col):
            raise _RowError(DUPLICATE(order_id=oid, line_id=f"{col} differs between rows"))
    line_ids = [_text(r.get("line_id")) for r in rows]
    if None not in line_ids and len(set(line_ids)) != len(line_ids):
        dup = next(x for x in line_ids if line_ids.count(x) > 1)
        raise _RowError(DUPLICATE(order_id=oid, line_id=dup))
    mid = str(first["member_id"])
    if mid not in members:
        raise _RowError(UNKNOWN_MEMBER(member_id=mid))
    paid_at = _time(first.get("paid_at"), "paid_at", tz)
    placed_raw = first.get("placed_at")
    placed_at = _time(placed_raw, "placed_at", tz) if _text(placed_raw) else paid_at
    placed_at = min(placed_at, paid_at)
    lines = tuple(_line(r, skus, i + 1) for i, r in enumerate(rows))
    total = sum(ln.quantity * ln.unit_price.minor for ln in lines)
    if total > MAX_MINOR:
        raise _RowError(
            BAD_VALUE(
                column="unit_price_fen",
                value=total,
                expected=f"an order total of at most {MAX_MINOR} fen (prices in yuan?)",
            )
        )
    refunds = []
    for r, ln in zip(rows, lines):
        q_raw = r.get("refunded_quantity")
        q = _int(q_raw, "refunded_quantity") if _text(q_raw) is not None else 0
        if q < 0:
            raise _RowError(NEGATIVE(column="refunded_quantity", value=q))
        if q > ln.quantity:
            raise _RowError(REFUND_TOO_MANY())
        if q:
            at_raw = r.get("refunded_at")
            at = _time(at_raw, "refunded_at", tz) if _text(at_raw) else paid_at
            if at < paid_at:
                raise _RowError(REFUND_BEFORE())
            refunds.append((ln.id, q, at))
    mode = _text(first.get("fulfillment")) or "delivery"
    try:
        fulfillment = Fulfillment(mode)
    except ValueError:
        raise _RowError(
            BAD_VALUE(column="fulfillment", value=mode, expected="'delivery' or 'pickup'")
        ) from None
    attribution = Attribution(
        guide=_text(first.get("guide_id")),
        share_by=_text(first.get("share_by")),
        shared_at=placed_at if _text(first.get("share_by")) else None,
        channel=_text(first.get("channel")),
    )
    return OrderRecord(
        oid,
        mid,
        paid_at,
        placed_at,
        lines,
        _text(first.get("store_id")),
        fulfillment,
        attribution,
        tuple(refunds),
    )
