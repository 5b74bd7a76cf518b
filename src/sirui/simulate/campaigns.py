"""Campaigns in the what-if: seckill and group-buy stock and limits, lottery prize pools.

Theory of operation. A campaign couples members: a flash sale's 200 units
go to the first 200 buyers, whoever they are. So campaigns are replayed
over the whole history, in the order of the history (first come, first
served), through the campaign machines themselves, before the member pass
prices the orders (`replay_campaigns`):

* **seckill** (`SeckillCampaign`): an order line of a slot's item placed
  while the slot is open for the member (`SeckillCampaign.status`, early
  access by the members table's tier) is an attempt. Each attempt reserves
  the line's units at the placing time through `SeckillCampaign.reserve`
  on the bucket `bucket_for` names (`split_stock`: the campaign's buckets),
  is confirmed at the payment (`StockSlice.handle(Confirm)`; a payment after
  the timeout is refused and the stock released at the deadline with
  `Expire`), and refunded when the history refunds every unit
  (`SeckillRefund`: the stock and the quota come back as the campaign says). An
  accepted attempt is priced at the seckill price (`SeckillPriceStep` in the
  order's activity stage); a refused one (``seckill.sold_out``,
  ``seckill.limit_reached``, ``seckill.not_eligible``, ...) means the order
  did not happen;
* **group-buy** (`GroupBuyPolicy`): orders with the same ``group_id`` that
  hold the policy's SKU formed one group; the first placed opens it
  (`OpenGroup`), the others join (`JoinGroup`), each pays its seat at its
  payment (`PaySeat`), and the group is settled at its deadline
  (`GroupTick`), every command decided on the group's `GroupSlice` (kept
  by `GroupBuyCampaign`). A paid seat of a group that succeeded is priced
  at the seat's price (`GroupBuyPriceStep`); a refused open or join (stock,
  limits, conditions), a seat paid too late or a failed group
  (``groupbuy.group_failed``) means the order did not happen;
* **lottery** (`LotteryCampaign`): after pricing, every order paid (goods,
  as `EntryRules.entries_for_order` reads them) in the campaign's window
  asks for its entries (`GrantOrderEntries`) and draws them at once
  (`Draw`), in payment order, on `LotteryState` with a random generator
  seeded by the campaign id, so a baseline and a proposal draw the same
  numbers (`lottery_summary`). The pool's inventories, daily caps and
  member limits are the budget; the prizes won and their cost (cash, the
  free orders' refunds, points at the scenario's point value) go to the
  summary. Lottery prizes do not change the orders' rows.

An order that did not happen keeps its row, so two runs line up order for
order (`compare`): its figures are zero, its tiers the members table's,
its ``reasons`` the campaign's refusal (`lost_row`). The summary counts
them (``orders_lost``, ``campaign_outcomes``: every attempt by outcome).

Assumptions, stated in the analyst guide: the history's demand is the
demand (a refused buyer does not come back at list price); admission reads
the members table's tier and tags, not the tier a ladder moved the member
to; waiting lists are not promoted (a buyer put on one is counted
``seckill.waitlisted``); a group's ladder price and the leader's red
packet are not settled (seats pay the price they joined at); an order in
both a seckill slot and a failed group keeps its seckill units sold.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from sirui.campaigns.groupbuy import (
    GroupBuyCampaign,
    GroupBuyPolicy,
    GroupBuyPriceStep,
    GroupFailed,
    GroupOpened,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    OpenGroup,
    PaySeat,
)
from sirui.campaigns.groupbuy import GroupMemberJoined as SeatTaken
from sirui.campaigns.groupbuy import SeatReleased as SeatReleasedEvent
from sirui.campaigns.lottery import (
    Draw,
    GrantOrderEntries,
    LotteryCampaign,
    LotteryState,
    MemberLottery,
    PoolState,
    PrizeWon,
)
from sirui.campaigns.lottery._policy import (
    CashReward,
    OrderFreeReward,
    PointsReward,
)
from sirui.campaigns.seckill import (
    Cancel,
    Confirm,
    Expire,
    MemberRecord,
    Reserve,
    SeckillCampaign,
    SeckillPriceStep,
    SeckillRefund,
    SlotPhase,
    StockSlice,
    Waitlisted,
    bucket_for,
)
from sirui.core.money import Money
from sirui.core.nouns import Member
from sirui.rules.pricing import Stage
from sirui.rules.reasons import reason_code

__all__ = [
    "CampaignReplay",
    "Offer",
    "campaign_skus",
    "has_campaigns",
    "lost_row",
    "lottery_summary",
    "replay_campaigns",
]

GROUP_FAILED = reason_code(
    "groupbuy.group_failed",
    zh="拼团未在截止时间前成团，订单已退款",
    en="The group did not fill before its deadline; the order was refunded",
)
WAITLISTED = reason_code(
    "seckill.waitlisted",
    zh="已抢光，排队未等到释放的库存",
    en="Sold out; queued on the waiting list, which the replay does not promote",
)
SEAT_RELEASED = reason_code(
    "groupbuy.seat_released",
    zh="拼团座位未在支付时限内支付，已释放",
    en="The seat was not paid within the payment window and was released",
)


def has_campaigns(scenario: Any) -> bool:
    """True if the scenario replays seckill, group-buy or lottery campaigns."""
    return bool(scenario.seckill or scenario.group_buys or scenario.lotteries)


def campaign_skus(scenario: Any) -> frozenset[str]:
    """SKUs whose order lines may take part in a seckill or group-buy campaign."""
    skus = {it.sku for c in scenario.seckill for s in c.slots for it in s.items}
    return frozenset(skus | {p.sku for p in scenario.group_buys})


@attrs.frozen
class Offer:
    """An activity price a campaign gives order lines: what the engines price with."""

    kind: str
    """``"seckill"`` or ``"groupbuy"``."""
    rule: str
    """The adjustment's rule (``seckill:<campaign>``, ``groupbuy:<policy>``)."""
    policy: Any
    slot_id: str | None = None
    closes_coupons: bool = False
    """Lines it prices are closed to the coupon stage."""
    kind_tag: str = ""
    """The adjustment's kind."""


@attrs.frozen
class CampaignReplay:
    """What the campaigns decided, for the member pass and the summary."""

    lost: Mapping[str, str] = attrs.Factory(dict)
    """Orders that did not happen, with the refusal's reason code."""
    steps: Mapping[str, tuple[Any, ...]] = attrs.Factory(dict)
    """Per order, the pricing steps of its accepted attempts (in the activity stage)."""
    seckill: Mapping[tuple[str, str], tuple[int, int, int]] = attrs.Factory(dict)
    """(order id, SKU) -> (index in ``offers``, units sold, seckill price in fen)."""
    group: Mapping[tuple[str, str], tuple[int, int]] = attrs.Factory(dict)
    """(order id, line id) -> (index in ``offers``, the seat's unit price in fen)."""
    offers: tuple[Offer, ...] = ()
    outcomes: Mapping[str, int] = attrs.Factory(dict)
    """Attempts by outcome (reason code; ``seckill.sold``, ``groupbuy.succeeded`` for the
    accepted ones)."""


def replay_campaigns(
    scenario: Any, orders: Any, members: Any, timezone: str | None
) -> CampaignReplay:
    """Replay the scenario's seckill and group-buy campaigns over the history.

    ``orders``: order lines (a pandas DataFrame; only the orders holding a
    campaign SKU matter, others may be left out); ``members``: the members
    table. Rows are checked as `simulate` checks them; rejected orders take
    no part.
    """
    import pandas as pd

    from sirui.simulate.inputs import _text, prepare

    if not (scenario.seckill or scenario.group_buys) or len(orders) == 0:
        return CampaignReplay()
    skus = campaign_skus(scenario)
    take = orders["order_id"].isin(orders.loc[orders["sku"].astype(str).isin(skus), "order_id"])
    rows = orders[take]
    if len(rows) == 0:
        return CampaignReplay()
    wanted = set(rows["member_id"].astype(str))
    mdf = members[members["member_id"].astype(str).isin(wanted)]
    if len(mdf) == 0:
        return CampaignReplay()
    prepared = prepare(rows, mdf, timezone)
    groups: dict[str, str] = {}
    if "group_id" in rows.columns:
        for oid, gid in zip(rows["order_id"].astype(str), rows["group_id"], strict=True):
            text = _text(gid)
            if text is not None:
                groups.setdefault(oid, text)
    replay = _Replay(scenario, prepared.members)
    replay.seckill(prepared.orders)
    replay.group_buys(prepared.orders, groups)
    del pd
    steps = {
        # The seckill prices first, then the group seats, whichever the replay settled first.
        k: tuple(sorted(v, key=lambda step: not isinstance(step, SeckillPriceStep)))
        for k, v in replay.steps.items()
    }
    return CampaignReplay(
        dict(replay.lost), steps, dict(replay.seckill_units), dict(replay.group_lines),
        tuple(replay.offers), dict(sorted(replay.outcomes.items())),
    )


class _Replay:
    """The replay's own storage: what a host keeps under its keys, in dicts."""

    def __init__(self, scenario: Any, members: Mapping[str, Member]) -> None:
        self.sc = scenario
        self.members = members
        self.lost: dict[str, str] = {}
        self.steps: dict[str, list[Any]] = {}
        self.seckill_units: dict[tuple[str, str], tuple[int, int, int]] = {}
        self.group_lines: dict[tuple[str, str], tuple[int, int]] = {}
        self.offers: list[Offer] = []
        self.outcomes: dict[str, int] = {}
        self.seats: dict[str, tuple[str, str, Any, Any]] = {}
        """Order -> (policy id, group id, record, the seat's `GroupMemberJoined`)."""

    def _count(self, code: str) -> None:
        self.outcomes[code] = self.outcomes.get(code, 0) + 1

    def _offer(self, offer: Offer) -> int:
        if offer not in self.offers:
            self.offers.append(offer)
        return self.offers.index(offer)

    # -- seckill -----------------------------------------------------------------------

    def seckill(self, records: Sequence[Any]) -> None:
        """Every seckill attempt in the history, first come first served by placing time.

        The host's keys, as dicts: a `StockCounter` per (occurrence, SKU,
        bucket), a `MemberRecord` per (campaign, member), and each reservation
        (by reservation id: the order id and the SKU) with its campaign, slot
        and counter key. At one instant: stock released (a payment deadline,
        a refund) before new reservations, reservations before payments.
        """
        import heapq

        self.stock: dict[tuple[str, str, int], Any] = {}
        self.records: dict[tuple[str, str], MemberRecord] = {}
        self.held: dict[str, tuple[SeckillCampaign, str, tuple[str, str, int], Any]] = {}
        self.queue: list[tuple[Any, int, str, Any]] = []
        attempts: dict[str, list[tuple[SeckillCampaign, str, str, int]]] = {}
        by_id = {}
        for rec in records:
            tier = self.members[rec.member_id].tier
            by_sku: dict[str, int] = {}
            for ln in rec.lines:
                by_sku[ln.sku.id] = by_sku.get(ln.sku.id, 0) + ln.quantity
            for sku, qty in by_sku.items():
                found = self._slot_for(sku, rec.placed_at, tier)
                if found is not None:
                    attempts.setdefault(rec.order_id, []).append((*found, sku, qty))
            if rec.order_id in attempts:
                by_id[rec.order_id] = rec
                self.queue.append((rec.placed_at, 2, rec.order_id, rec.order_id))
        heapq.heapify(self.queue)
        while self.queue:
            at, kind, oid, payload = heapq.heappop(self.queue)
            if kind == 2:
                self._reserve(by_id[oid], attempts[oid], at)
            else:
                self._settle(kind, payload, at)

    def _slot_for(self, sku: str, at: Any, tier: str | None) -> tuple[SeckillCampaign, str] | None:
        for c in self.sc.seckill:
            for slot in c.slots:
                if slot.item(sku) is None:
                    continue
                if c.status(slot.id, at, tier).phase is SlotPhase.OPEN:
                    return c, slot.id
        return None

    def _slice(
        self, c: SeckillCampaign, slot_id: str, sku: str, member_id: str, at: Any
    ) -> tuple[tuple[str, str, int], StockSlice]:
        """The slice a reserve is decided on: the member's bucket of this occurrence's stock."""
        st = c.status(slot_id, at, self.members[member_id].tier)
        item = c.slot(slot_id).item(sku)
        assert st.occurrence is not None
        assert st.slot_key is not None
        assert item is not None
        key = (st.slot_key, sku, bucket_for(member_id, item.buckets))
        if key not in self.stock:
            for counter in c.counters(slot_id, st.occurrence)[sku]:
                self.stock[(st.slot_key, sku, counter.bucket)] = counter
        record = self.records.get((c.id, member_id)) or MemberRecord(member_id)
        return key, StockSlice(c.stock_rules(), self.stock[key], record)

    def _reserve(
        self, rec: Any, attempts: list[tuple[SeckillCampaign, str, str, int]], at: Any
    ) -> None:
        """Reserve every seckill SKU of the order; one refusal and the order did not happen."""
        import heapq

        oid = rec.order_id
        taken: list[str] = []
        refused: str | None = None
        for c, slot_id, sku, qty in attempts:
            rid = f"{oid}/{sku}"
            key, sl = self._slice(c, slot_id, sku, rec.member_id, at)
            out = c.reserve(
                sl, Reserve(rid, rec.member_id, qty), member=self.members[rec.member_id],
                slot_id=slot_id, now=at, fulfillment=rec.fulfillment, store=rec.store_id,
                channel=rec.attribution.channel,
            )
            if not out.ok:
                refused = out.reason.code
                break
            self._keep(rid, c, slot_id, key, out.state)
            taken.append(rid)
            if any(isinstance(e, Waitlisted) for e in out.events):
                refused = WAITLISTED.code
                break
        if refused is not None:
            for rid in taken:  # the order did not happen: what it holds goes back at once
                self._command(rid, Cancel(rid), at)
            self._lose(oid, refused)
            return
        for rid in taken:
            res = self.held[rid][3]
            if rec.paid_at >= res.expires_at:  # paid too late: the stock goes back at the deadline
                heapq.heappush(self.queue, (res.expires_at, 0, oid, rid))
            heapq.heappush(self.queue, (rec.paid_at, 3, oid, rid))
            sku = rid.rsplit("/", 1)[1]
            mine = {ln.id: ln.quantity for ln in rec.lines if ln.sku.id == sku}
            back = [(q, when) for lid, q, when in rec.refunds if lid in mine]
            if back and sum(q for q, _ in back) == sum(mine.values()):
                heapq.heappush(self.queue, (max(w for _, w in back), 1, oid, rid))

    def _keep(
        self, rid: str, c: SeckillCampaign, slot_id: str, key: tuple[str, str, int],
        sl: StockSlice,
    ) -> None:
        """Store what a command changed, as the host writes its three records back."""
        self.stock[key] = sl.counter
        self.records[(c.id, sl.member.member_id)] = sl.member
        self.held[rid] = (c, slot_id, key, sl.order)

    def _command(self, rid: str, command: Any, at: Any) -> Any:
        """``command`` on reservation ``rid``'s slice; the outcome (stored when accepted)."""
        c, slot_id, key, res = self.held[rid]
        sl = StockSlice(c.stock_rules(), self.stock[key], self.records[(c.id, res.member_id)], res)
        out = sl.handle(command, now=at)
        if out.ok:
            self._keep(rid, c, slot_id, key, out.state)
        return out

    def _lose(self, oid: str, code: str) -> None:
        self.lost[oid] = code
        self._count(code)

    def _settle(self, kind: int, rid: str, at: Any) -> None:
        """A payment deadline passed (0), a refund (1) or the payment (3) of a reservation."""
        oid = rid.rsplit("/", 1)[0]
        if oid in self.lost and kind != 0:
            return
        out = self._command(rid, {0: Expire, 1: SeckillRefund, 3: Confirm}[kind](rid), at)
        if kind != 3:
            return
        if not out.ok:
            self._lose(oid, out.reason.code)
            for other in [r for r in self.held if r != rid and r.rsplit("/", 1)[0] == oid]:
                self._command(other, Cancel(other), at)  # the order's other units go back
            return
        self._count("seckill.sold")
        c, slot_id, _key, confirmed = self.held[rid]
        index = self._offer(Offer(
            "seckill", f"seckill:{c.id}", c, slot_id, not c.stack_coupons, "seckill.campaign",
        ))
        item = c.slot(slot_id).item(confirmed.sku)
        assert item is not None
        self.steps.setdefault(oid, []).append(SeckillPriceStep(c, slot_id, (confirmed,)))
        self.seckill_units[(oid, confirmed.sku)] = (index, confirmed.quantity, item.price.minor)

    # -- group-buy ---------------------------------------------------------------------

    def group_buys(self, records: Sequence[Any], groups: Mapping[str, str]) -> None:
        """Every history group through the group-buy machine, in the order of events."""
        import heapq

        campaigns = {p.id: GroupBuyCampaign.start(p) for p in self.sc.group_buys}
        by_group: dict[tuple[str, str], list[Any]] = {}
        for rec in records:
            gid = groups.get(rec.order_id)
            if gid is None or rec.order_id in self.lost:
                continue
            policy = next(
                (p for p in self.sc.group_buys if any(ln.sku.id == p.sku for ln in rec.lines)),
                None,
            )
            if policy is not None:
                by_group.setdefault((policy.id, gid), []).append(rec)
        queue: list[tuple[Any, int, str, int, Any]] = []
        seq = 0
        for (pid, gid), recs in by_group.items():
            recs.sort(key=lambda r: (r.placed_at, r.order_id))
            for i, rec in enumerate(recs):
                seq += 1
                queue.append((rec.placed_at, 2, rec.order_id, seq, (pid, gid, i == 0, rec)))
        heapq.heapify(queue)
        members_of: dict[tuple[str, str], list[str]] = {}
        # At one instant: a deadline first (a payment at the deadline is late), then the
        # payments, then the joins (a member may join once the leader has paid).
        while queue:
            at, kind, oid, _s, payload = heapq.heappop(queue)
            if kind == 2:
                seq += 1
                self._join(campaigns, payload, at, members_of=members_of, queue=queue, seq=seq)
            elif kind == 1:
                self._pay(campaigns, oid, at, members_of)
            else:
                self._tick(campaigns, payload, at, members_of)

    def _join(
        self, campaigns: dict[str, GroupBuyCampaign], payload: Any, at: Any, *,
        members_of: dict[tuple[str, str], list[str]], queue: list[Any], seq: int,
    ) -> None:
        import heapq

        pid, gid, _first, rec = payload
        policy = campaigns[pid].policy
        qty = sum(ln.quantity for ln in rec.lines if ln.sku.id == policy.sku)
        member = self.members[rec.member_id]
        # The first member whose seat the machine takes opens the group (the history's
        # leader may have been refused).
        cmd_type = JoinGroup if campaigns[pid].groups.get(gid) is not None else OpenGroup
        out = campaigns[pid].handle(
            cmd_type(rec.order_id, gid, member, qty, rec.fulfillment), now=at
        )
        if not out.ok:
            self.lost[rec.order_id] = out.reason.code
            self._count(out.reason.code)
            return
        campaigns[pid] = out.state
        join = next(e for e in out.events if isinstance(e, SeatTaken))
        self.seats[rec.order_id] = (pid, gid, rec, join)
        members_of.setdefault((pid, gid), []).append(rec.order_id)
        heapq.heappush(queue, (rec.paid_at, 1, rec.order_id, seq, None))
        opened = next((e for e in out.events if isinstance(e, GroupOpened)), None)
        if opened is not None:
            heapq.heappush(queue, (opened.deadline, 0, rec.order_id, seq, (pid, gid)))
        self._settled(campaigns[pid].policy, gid, out.events, members_of)

    def _pay(
        self, campaigns: dict[str, GroupBuyCampaign], oid: str, at: Any,
        members_of: dict[tuple[str, str], list[str]],
    ) -> None:
        pid, gid, _rec, join = self.seats[oid]
        if oid in self.lost:  # its group failed before it paid
            return
        out = campaigns[pid].handle(PaySeat(f"{oid}/pay", gid, join.join_id), now=at)
        if not out.ok:
            self.lost[oid] = out.reason.code
            self._count(out.reason.code)
            members_of[(pid, gid)].remove(oid)
            return
        campaigns[pid] = out.state
        self._settled(campaigns[pid].policy, gid, out.events, members_of)

    def _tick(
        self, campaigns: dict[str, GroupBuyCampaign], payload: Any, at: Any,
        members_of: dict[tuple[str, str], list[str]],
    ) -> None:
        pid, gid = payload
        out = campaigns[pid].handle(GroupTick(f"{gid}/deadline", gid), now=at)
        if out.ok:
            campaigns[pid] = out.state
            self._settled(campaigns[pid].policy, gid, out.events, members_of)

    def _settled(
        self, policy: GroupBuyPolicy, gid: str, events: Iterable[Any],
        members_of: dict[tuple[str, str], list[str]],
    ) -> None:
        """A group's outcome: its paid seats priced (succeeded) or its orders lost (failed)."""
        orders = members_of.get((policy.id, gid), [])
        for e in events:
            if isinstance(e, SeatReleasedEvent):
                oid = next((o for o in orders if self.seats[o][3].join_id == e.join_id), None)
                if oid is not None and oid not in self.lost:
                    self.lost[oid] = SEAT_RELEASED.code
                    self._count(SEAT_RELEASED.code)
                    orders.remove(oid)
            elif isinstance(e, GroupFailed):
                for oid in orders:
                    if oid not in self.lost:
                        self.lost[oid] = GROUP_FAILED.code
                        self._count(GROUP_FAILED.code)
                members_of[(policy.id, gid)] = []
            elif isinstance(e, GroupSucceeded):
                index = self._offer(Offer(
                    "groupbuy", f"groupbuy:{policy.id}", policy, None,
                    Stage.COUPON in policy.closed_stages, "groupbuy.policy",
                ))
                for oid in orders:
                    self._count("groupbuy.succeeded")
                    _pid, _gid, rec, join = self.seats[oid]
                    for ln in rec.lines:
                        if ln.sku.id == policy.sku:
                            self.steps.setdefault(oid, []).append(
                                GroupBuyPriceStep(policy, ln.id, join.unit_price)
                            )
                            self.group_lines[(oid, ln.id)] = (index, join.unit_price.minor)


def lost_row(
    *, order_id: str, member_id: str, store_id: Any, guide_id: Any, paid_at: str, month: str,
    tier: str | None, code: str,
) -> dict[str, Any]:
    """The row of an order that did not happen: zero figures, the refusal as its reason."""
    from sirui.simulate.inputs import ROW_COLUMNS

    row: dict[str, Any] = dict.fromkeys(ROW_COLUMNS, 0)
    row.update(
        order_id=order_id, member_id=member_id, store_id=store_id, guide_id=guide_id,
        paid_at=paid_at, month=month, tier_before=tier, tier_after=tier, rules="",
        reasons=code,
    )
    return row


def lottery_summary(scenario: Any, frame: Any) -> dict[str, Any]:
    """Draw every lottery over the priced orders (payment order); what was won and its cost.

    ``frame``: the result rows (orders that did not happen are skipped).
    """
    import pandas as pd

    from sirui.simulate.inputs import _time

    if not scenario.lotteries or len(frame) == 0:
        return {}
    rows = frame[frame["original_fen"] > 0]
    prizes: dict[str, int] = {}
    cost = 0
    draws = entries = 0
    point_value = scenario.point_value_fen
    for campaign in scenario.lotteries:
        rng = random.Random(f"sirui-lottery:{campaign.id}")
        pool: PoolState | None = None
        records: dict[str, MemberLottery] = {}
        for oid, mid, paid_at, goods in zip(
            rows["order_id"], rows["member_id"], rows["paid_at"], rows["goods_paid_fen"],
            strict=True,
        ):
            now = _time(paid_at, "paid_at", None)
            if campaign.window is not None and not campaign.window.contains(now):
                continue
            paid = Money(int(goods))
            n = campaign.entries.entries_for_order(paid)
            if n == 0:
                continue
            if pool is None:
                pool = PoolState.open(campaign.pool, now)
            member = records.get(mid) or MemberLottery.new(mid, campaign)
            state = LotteryState(campaign, pool, member)
            out = state.handle(GrantOrderEntries(f"{oid}/entries", oid, paid), now=now, rng=rng)
            if not out.ok:
                continue
            state = out.state
            entries += n
            for k in range(n):
                drawn = state.handle(Draw(f"{oid}/draw/{k}"), now=now, rng=rng)
                if not drawn.ok:
                    break
                state = drawn.state
                draws += 1
                for e in drawn.events:
                    if isinstance(e, PrizeWon):
                        prizes[e.prize_id] = prizes.get(e.prize_id, 0) + 1
                        cost += _prize_cost(campaign, e.prize_id, paid, point_value)
            pool, records[mid] = state.pool, state.member
    del pd
    return {
        "lottery_entries": entries,
        "lottery_draws": draws,
        "lottery_prizes": dict(sorted(prizes.items())),
        "lottery_cost_fen": cost,
    }


def _prize_cost(campaign: LotteryCampaign, prize_id: str, paid: Money, point_value: Any) -> int:
    """What a prize costs the merchant in fen, where the policy says: cash, a free order's
    refund, points at the scenario's point value; items and coupons are counted, not priced."""
    prize = next(p for p in campaign.pool.prizes if p.id == prize_id)
    reward = prize.reward
    if isinstance(reward, CashReward):
        return reward.amount.minor
    if isinstance(reward, OrderFreeReward):
        return reward.refund_for(paid).minor
    if isinstance(reward, PointsReward):
        return int(reward.points * point_value)
    return 0
