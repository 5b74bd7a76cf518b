"""The columnar engine: the same rules, priced a whole history at a time with numpy.

Theory of operation. The exact engine (`sirui.simulate.engine`) prices one
order at a time through `sirui.checkout.quote`, carrying every member's
state. Most of an order's result depends only on the order itself, the
member's tier when it was paid and how many orders they had paid before,
so the whole history can be priced as columns:

1. the activity and member stages: limited-time prices (限时价), the
   campaigns' prices (seckill units, group seats: `_campaigns`), member
   price promotions by tier (会员价), then the tier benefits' rate per SKU,
   as exact rationals rounded by each rule's mode;
2. every promotion of the promotion stage (满减, 每满减, 打折, 第N件X折,
   买N送M, N元任选, 新客立减, 满赠), in the pipeline's order (priority, then id): its window, its
   scope, its condition (evaluated as columns, with the first failing
   reason), its threshold, rate or n-th units against the eligible lines'
   current amounts, and the allocation over those lines by the
   largest-remainder method in line-id order, exactly as
   `sirui.rules.allocate_off`; exclusion groups and exclusive offers are
   resolved per order by the option that saves most;
3. the coupon stage (`_coupons`): what a member's wallet holds depends on
   their earlier orders, so each template the triggers issue is priced on
   every order as columns, and each member's wallet is then walked through
   their orders with plain values, making the checkout's choice of one
   coupon per order from those columns; a template's total quota shared by
   every member is settled to a fixed point (`price_rounds`);
4. the shipping fee: none for pickup, none from the tier's free-shipping
   threshold, else the base fee, then 满额包邮 offers waive what is left;
5. points: the earning lines' paid total times the rate and the tier
   multiplier, rounded, capped, and allocated per line in cart order;
6. guide commission: the first rule covering each line's SKU on what the
   line paid, for orders a share link (within its window) or an exclusive
   guide attributes;
7. refunds: each returned unit's share of the line's paid amount, points
   and commission (`Money.split`), and the shipping with the last unit, as
   the checkout's refund does.

Without a tier ladder the tier is the members table's. With one, tiers
follow the orders: `_follow_ladder` prices at assumed tiers, replays each
member's standing through the ladder's own state machine, and repeats for
the members whose tiers came out otherwise until nothing changes.

Every figure is integer arithmetic on fen, and the test suite checks the
result frame equals the exact engine's, column for column, on generated
and drawn histories and random scenarios, and that it drew every kernel
(`KERNELS`). `columnar_plan` says whether a scenario qualifies, and if not,
why (the exact engine then runs); `simulate` picks the engine with
``engine="auto"``.

Input is read the same way: rows that pass a vectorised check (canonical
ISO 8601 times with an offset, integer amounts, known members, consistent
order headers) become columns directly; every other order goes through the
exact engine's per-row checks, so a bad row is rejected with the same reason
either way, and an unusual but valid one is still priced.

The package: `_input` reads and checks (`prepare_batch`), `_batch` holds
the columns (`Batch`), `_plan` decides what qualifies (`columnar_plan`),
`_price` prices (`price_batch`) with `_stage` (the promotion stage),
`_conditions` (promotion conditions), `_coupons` (wallets and the coupon
stage), `_campaigns` (campaign prices) and `_arith` (exact integer
arithmetic on columns).
"""

from __future__ import annotations

from typing import Any

import attrs

from sirui.simulate.columnar._batch import Batch, MemberInfo, batch_from_records
from sirui.simulate.columnar._input import prepare_batch
from sirui.simulate.columnar._plan import KERNELS, ColumnarPlan, columnar_plan
from sirui.simulate.columnar._price import price_batch, price_rounds
from sirui.simulate.engine import start_tiers
from sirui.simulate.inputs import RejectedRow

__all__ = [
    "KERNELS",
    "Batch",
    "ColumnarPlan",
    "ColumnarRun",
    "MemberInfo",
    "batch_from_records",
    "columnar_plan",
    "columnar_run",
    "prepare_batch",
    "price_batch",
    "price_rounds",
    "run_columnar",
]


class _Stages:
    """A progress bar (``tqdm.auto``) that advances once per stage, naming the running one."""

    def __init__(self, progress: bool, desc: str, names: tuple[str, ...]) -> None:
        self.names = names
        self.done = 0
        self.bar: Any = None
        if progress:
            from tqdm.auto import tqdm  # a widget in notebooks, text in terminals

            self.bar = tqdm(total=len(names), desc=desc, unit="stage")
            self.bar.set_postfix_str(names[0])

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.done < len(self.names):
                self.bar.set_postfix_str(self.names[self.done])

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@attrs.frozen
class ColumnarRun:
    """One columnar run: the rows, tiers and rejects, with what a driver merges by."""

    frame: Any
    tiers: dict[str, str | None]
    rejected: tuple[RejectedRow, ...]
    paid_ns: Any
    """Each row's payment instant (nanoseconds since the epoch)."""
    claims: list[tuple[tuple[Any, ...], str, str]]
    """Claims of coupons with a total quota (see `price_rounds`)."""


def run_columnar(
    plan: ColumnarPlan,
    orders: Any,
    members: Any,
    timezone: str | None,
    tz: str,
    *,
    progress: bool = False,
) -> tuple[Any, dict[str, str | None], tuple[RejectedRow, ...]] | None:
    """Check and price ``orders``: the result rows, every member's final tier, the rejects.

    None when an amount could overflow 64-bit integers: the caller replays
    on the exact engine, whose integers have no bound. With ``progress`` a
    ``tqdm.auto`` bar advances per stage: reading and checking the input,
    then pricing.
    """
    done = columnar_run(plan, orders, members, timezone, tz, progress=progress)
    return None if done is None else (done.frame, done.tiers, done.rejected)


def columnar_run(
    plan: ColumnarPlan,
    orders: Any,
    members: Any,
    timezone: str | None,
    tz: str,
    *,
    progress: bool = False,
    refused: frozenset[str] | None = None,
    campaigns: Any = None,
) -> ColumnarRun | None:
    """`run_columnar` with the payment instants and quota claims (for `simulate_dask`).

    ``refused``: see `price_rounds` (None settles coupon quotas in this run).
    ``campaigns`` (`sirui.simulate.campaigns.CampaignReplay`): the orders
    campaigns refused (rows of zero figures) and the accepted units' prices.
    """
    stages = _Stages(progress, plan.scenario.name, ("check input", "price"))
    try:
        batch, tiers, rejected = prepare_batch(orders, members, timezone)
        stages.advance()
        try:
            if campaigns is None:
                frame, final, claims = price_rounds(plan, batch, tz, refused)
            else:
                frame, final, claims = _with_lost(plan, batch, tz, refused, campaigns)
        except OverflowError:
            return None
        stages.advance()
    finally:
        stages.close()
    return ColumnarRun(
        frame, {**start_tiers(tiers, plan.scenario), **final}, rejected, batch.paid_ns, claims
    )


def _with_lost(
    plan: ColumnarPlan, batch: Batch, tz: str, refused: frozenset[str] | None, campaigns: Any
) -> tuple[Any, dict[str, str | None], list[Any]]:
    """Price the orders campaigns let happen; the others get a row of zero figures."""
    import numpy as np
    import pandas as pd

    from sirui.simulate.campaigns import lost_row
    from sirui.simulate.columnar._arith import _months
    from sirui.simulate.columnar._campaigns import with_campaigns

    kept_batch, kept, lost = with_campaigns(batch, campaigns)
    frame, final, claims = price_rounds(plan, kept_batch, tz, refused)
    if not len(lost):
        return frame, final, claims
    months = _months(batch.paid_ns[lost], tz)
    starts = start_tiers(
        {str(m): t for m, t in zip(batch.member_id[lost], batch.tier[lost], strict=True)},
        plan.scenario,
    )
    rows = [
        lost_row(
            order_id=oid, member_id=mid, store_id=store, guide_id=guide, paid_at=paid,
            month=month, tier=starts[mid], code=campaigns.lost[oid],
        )
        for oid, mid, store, guide, paid, month in zip(
            batch.order_id[lost], batch.member_id[lost], batch.store_id[lost],
            batch.guide_id[lost], batch.paid_at[lost], months, strict=True,
        )
    ]
    whole = pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)
    place = np.argsort(np.concatenate([kept, lost]), kind="stable")
    # Column types as a frame of all the rows at once infers them (the exact engine's).
    return whole.take(place).reset_index(drop=True).infer_objects(), final, claims
