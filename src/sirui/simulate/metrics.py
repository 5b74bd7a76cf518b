"""Operating metrics over order-line frames: the figures operators review weekly.

Inputs are the frames of `sirui.simulate.sample` (or a host's own with the
same columns), as pandas or polars DataFrames: order lines with
``order_id, member_id, store_id, paid_at, quantity, unit_price_fen,
unit_cost_fen, refunded_quantity`` and, for the funnel, daily traffic with
``date, visitors, add_to_cart, orders_created, orders_paid``. Amounts stay
integer fen in the frames; rates are floats (they are reporting figures,
never fed back into pricing). Polars in gives polars out, with the same
figures: the pandas index (the week, the store, the cohort) becomes the
first column.

Definitions (documented because operators argue about them):

* *sales* = paid amount of the period's orders before refunds; *net sales*
  subtracts refunded lines;
* *valid order* = an order not refunded in full;
* *refund rate* = refunded amount / sales;
* *repurchase rate* = share of the period's buyers who had a paid order
  before the period (in the data, or ``paid_orders_before > 0`` in members);
* *retention at N days* = share of a cohort (month of first order) that paid
  again within N days after their first order, counted only for cohorts
  observed for at least N days.
"""

from __future__ import annotations

from typing import Any

from sirui.simulate._frames import is_polars, to_pandas, to_polars

__all__ = [
    "funnel",
    "gmv_decomposition",
    "guide_rates",
    "order_table",
    "retention_by_cohort",
    "rfm_table",
    "weekly_figures",
]


def _pd() -> Any:
    import pandas as pd

    return pd


def _out(frame: Any, polars: bool, index_name: str | None = None) -> Any:
    """The result as the caller's kind of frame (computed with pandas)."""
    return to_polars(frame, index_name) if polars else frame


def order_table(lines: Any, amount_col: str = "paid_fen") -> Any:
    """Collapse order lines to one row per order with amounts in fen.

    Uses ``amount_col`` when present (a simulation's payable per line), else
    ``unit_price_fen * quantity``. Refunded amounts are pro rata by quantity.
    """
    pd = _pd()
    polars = is_polars(lines)
    df = to_pandas(lines).copy()
    if amount_col not in df.columns:
        df[amount_col] = df["unit_price_fen"] * df["quantity"]
    df["cost_fen"] = df.get("unit_cost_fen", 0) * df["quantity"]
    refunded_q = df["refunded_quantity"] if "refunded_quantity" in df.columns else 0
    df["refund_fen"] = (df[amount_col] * refunded_q // df["quantity"]).astype("int64")
    df["full_refund"] = refunded_q == df["quantity"]
    df["paid_at"] = pd.to_datetime(df["paid_at"], utc=True, format="ISO8601")
    agg = df.groupby("order_id", sort=True).agg(
        member_id=("member_id", "first"),
        store_id=("store_id", "first"),
        paid_at=("paid_at", "first"),
        sales_fen=(amount_col, "sum"),
        cost_fen=("cost_fen", "sum"),
        refund_fen=("refund_fen", "sum"),
        full_refund=("full_refund", "all"),
    )
    return _out(agg.reset_index(), polars)


def weekly_figures(lines: Any, tz: str = "Asia/Shanghai", amount_col: str = "paid_fen") -> Any:
    """Orders, valid orders, sales, AOV, gross margin, refund rate, repurchase rate per week."""
    pd = _pd()
    polars = is_polars(lines)
    orders = order_table(to_pandas(lines), amount_col)
    local = orders["paid_at"].dt.tz_convert(tz)
    orders["week"] = local.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date
    first_week = orders.groupby("member_id")["week"].transform("min")
    orders["returning"] = orders["week"] > first_week
    g = orders.groupby("week")
    out = pd.DataFrame(
        {
            "orders": g.size(),
            "valid_orders": g["full_refund"].apply(lambda s: int((~s).sum())),
            "sales_fen": g["sales_fen"].sum(),
            "refund_fen": g["refund_fen"].sum(),
            "cost_fen": g["cost_fen"].sum(),
            "buyers": g["member_id"].nunique(),
            "returning_buyers": g.apply(
                lambda d: d.loc[d["returning"], "member_id"].nunique(), include_groups=False
            ),
        }
    )
    out["net_sales_fen"] = out["sales_fen"] - out["refund_fen"]
    out["aov_yuan"] = out["sales_fen"] / out["orders"] / 100
    out["gross_margin"] = (out["sales_fen"] - out["cost_fen"]) / out["sales_fen"]
    out["refund_rate"] = out["refund_fen"] / out["sales_fen"]
    out["repurchase_rate"] = out["returning_buyers"] / out["buyers"]
    return _out(out, polars)


def funnel(traffic: Any, by: str | None = None) -> Any:
    """Visit -> add to cart -> order -> pay (浏览→加购→下单→支付) with each step's rate."""
    pd = _pd()
    polars = is_polars(traffic)
    traffic = to_pandas(traffic)
    cols = ["visitors", "add_to_cart", "orders_created", "orders_paid"]
    t = traffic.groupby(by)[cols].sum() if by else traffic[cols].sum().to_frame().T
    out = pd.DataFrame(t)
    out["cart_rate"] = out["add_to_cart"] / out["visitors"]
    out["order_rate"] = out["orders_created"] / out["add_to_cart"]
    out["pay_rate"] = out["orders_paid"] / out["orders_created"]
    out["conversion"] = out["orders_paid"] / out["visitors"]
    return _out(out, polars)


def gmv_decomposition(
    lines: Any, traffic: Any, tz: str = "Asia/Shanghai", amount_col: str = "paid_fen"
) -> Any:
    """GMV = visitors x conversion x AOV, and buyers x orders per buyer x AOV, by month.

    The factors multiply back to GMV exactly (up to float rounding), so a
    change can be attributed to traffic, conversion, basket or repurchase.
    """
    pd = _pd()
    polars = is_polars(lines) or is_polars(traffic)
    orders = order_table(to_pandas(lines), amount_col)
    orders["month"] = orders["paid_at"].dt.tz_convert(tz).dt.strftime("%Y-%m")
    t = to_pandas(traffic).copy()
    t["month"] = t["date"].astype(str).str[:7]
    visitors = t.groupby("month")["visitors"].sum()
    g = orders.groupby("month")
    out = pd.DataFrame(
        {
            "gmv_fen": g["sales_fen"].sum(),
            "orders": g.size(),
            "buyers": g["member_id"].nunique(),
        }
    )
    out["visitors"] = visitors.reindex(out.index).fillna(0).astype("int64")
    out["conversion"] = out["orders"] / out["visitors"]
    out["aov_yuan"] = out["gmv_fen"] / out["orders"] / 100
    out["orders_per_buyer"] = out["orders"] / out["buyers"]
    out["check_gmv_yuan"] = out["visitors"] * out["conversion"] * out["aov_yuan"]
    return _out(out, polars)


def retention_by_cohort(
    lines: Any, days: tuple[int, ...] = (30, 90, 180), tz: str = "Asia/Shanghai"
) -> Any:
    """Share of each first-order cohort (by month) buying again within N days.

    A cohort/horizon pair not fully observed in the data is left empty (NaN)
    rather than understated.
    """
    pd = _pd()
    polars = is_polars(lines)
    orders = order_table(to_pandas(lines))
    orders = orders.sort_values(["member_id", "paid_at"])
    first = orders.groupby("member_id")["paid_at"].min().rename("first_at")
    o = orders.join(first, on="member_id")
    o["gap_days"] = (o["paid_at"] - o["first_at"]).dt.total_seconds() / 86400
    end = orders["paid_at"].max()
    cohorts = first.dt.tz_convert(tz).dt.strftime("%Y-%m")
    rows = {}
    for cohort, members in first.groupby(cohorts):
        ids = set(members.index)
        row: dict[str, float] = {"members": float(len(ids))}
        for n in days:
            observed = [m for m in ids if (end - first[m]).days >= n]
            if not observed:
                row[f"d{n}"] = float("nan")
                continue
            again = o[(o["member_id"].isin(observed)) & (o["gap_days"] > 0) & (o["gap_days"] <= n)]
            row[f"d{n}"] = again["member_id"].nunique() / len(observed)
        rows[cohort] = row
    return _out(pd.DataFrame.from_dict(rows, orient="index"), polars, "cohort")


def guide_rates(activity: Any) -> Any:
    """Guide rates (导购三率) per guide: login rate, share rate, order-opening rate."""
    polars = is_polars(activity)
    activity = to_pandas(activity)
    g = activity.assign(
        shared=activity["shares"] > 0, opened=activity["orders_opened"] > 0
    ).groupby("guide_id")
    out = g.agg(
        weeks=("week", "count"),
        login_rate=("logged_in", "mean"),
        share_rate=("shared", "mean"),
        opening_rate=("opened", "mean"),
        shares=("shares", "sum"),
        orders_opened=("orders_opened", "sum"),
    )
    return _out(out, polars)


def rfm_table(lines: Any, now: Any, policy: Any = None, tz: str = "Asia/Shanghai") -> Any:
    """RFM segments in batch: one row per member with recency, frequency, monetary, segment.

    Recency is whole days from the member's last paid order to ``now`` (a
    tz-aware datetime) in ``tz``; frequency counts orders; monetary is paid
    fen. ``policy`` is a `sirui.loyalty.members.RfmPolicy` (default: cuts at
    the population's median), so the batch and a single member's
    `rfm_segment` always agree.
    """
    import pandas as pd

    from sirui.core.windows import aware
    from sirui.loyalty.members import RfmPolicy, rfm_segments

    now = aware(now)
    polars = is_polars(lines)
    orders = order_table(to_pandas(lines))
    g = orders.groupby("member_id")
    last = g["paid_at"].max().dt.tz_convert(tz).dt.normalize()
    today = pd.Timestamp(now.in_timezone(tz).date()).tz_localize(tz)
    recency = [max(int(d), 0) for d in (today - last).dt.days]
    frequency = [int(v) for v in g.size()]
    monetary = [int(v) for v in g["sales_fen"].sum()]
    segments = rfm_segments(policy or RfmPolicy(), recency, frequency, monetary)
    table = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary_fen": monetary,
            "segment": [s.value for s in segments],
            "segment_zh": [s.zh for s in segments],
        },
        index=last.index,
    )
    return _out(table, polars)
