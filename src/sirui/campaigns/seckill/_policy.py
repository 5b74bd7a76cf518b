"""Seckill campaign policy (秒杀活动): slots, items, limits, eligibility, fulfillment.

A campaign holds slots; a slot is a recurring daily time (每日10:00-10:30 in
the store's zone, a `DailySlot`) or a one-off window, with the items sold in
it, each at a seckill price with a stock per occurrence. Before a slot opens
it may be shown (预告, ``preview_minutes``) with a countdown; members of
higher tiers may buy ``early_access`` minutes early. Limits per member are
per item: per slot occurrence, per local day and per campaign.

Invariants checked on construction (typed errors, never silent):

* one-off windows have an end after their start and aware datetimes;
* the same item is never in two slots whose times overlap;
* a seckill price is positive and not above the original price; stock >= 0;
* a limit, when set, is at least 1.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping

import attrs
import pendulum
from pendulum import DateTime

from sirui.campaigns._checks import flag, key_part
from sirui.campaigns.seckill._buckets import split_stock
from sirui.campaigns.seckill._messages import Reserve
from sirui.campaigns.seckill._stock import StockCounter, StockRules, StockSlice
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment, Member
from sirui.core.registry import policy
from sirui.core.validators import non_negative_int, opt_positive_int, positive_int, positive_money
from sirui.core.windows import DEFAULT_TZ, DailySlot, Window, aware, local_date, zone
from sirui.core.zh import zh_datetime
from sirui.rules.conditions import Always, Condition, Facts
from sirui.rules.outcome import Accepted, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "Admission",
    "EarlyAccess",
    "PurchaseLimits",
    "SeckillCampaign",
    "SeckillItem",
    "SeckillSlot",
    "SlotPhase",
    "SlotStatus",
]

NOT_STARTED = reason_code(
    "seckill.not_started", zh="秒杀未开始，{opens_at_zh}开抢", en="Not started; opens at {opens_at}"
)
ENDED = reason_code("seckill.ended", zh="秒杀已结束", en="The seckill has ended")
SLOT_ENDED = reason_code(
    "seckill.slot_ended",
    zh="本场秒杀已结束，下一场{opens_at_zh}开抢",
    en="This slot has ended; the next one opens at {opens_at}",
)
PICKUP_NOT_ALLOWED = reason_code(
    "seckill.pickup_not_allowed",
    zh="抢购商品不允许到店自提",
    en="Seckill items cannot be picked up in store",
)
NOT_IN_SLOT = reason_code(
    "seckill.not_in_slot", zh="商品{sku}不在本场秒杀中", en="{sku} is not sold in this slot"
)
NOT_ELIGIBLE = reason_code(
    "seckill.not_eligible", zh="不满足参与条件：{detail_zh}", en="Not eligible: {detail}"
)


@policy("seckill.limits")
@attrs.frozen(slots=True)
class PurchaseLimits:
    """Per-member purchase limits per item (限购); None leaves a limit open."""

    per_slot: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Units per member in one slot occurrence (每场限购)."""
    per_day: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Units per member per local day (每日限购)."""
    per_campaign: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Units per member over the whole campaign (活动限购)."""
    per_order: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Units in one order (每单限购), whatever the member bought before."""


@policy("seckill.item")
@attrs.frozen(slots=True)
class SeckillItem:
    """An item in a slot (秒杀商品): seckill price, original price, stock per occurrence.

    ``buckets`` splits each occurrence's stock into that many counters
    (分段库存) so a host can spread the load over several keys.
    """

    sku: str = attrs.field(validator=key_part)
    price: Money = attrs.field(validator=positive_money)
    original_price: Money = attrs.field(validator=positive_money)
    stock: int = attrs.field(validator=non_negative_int)
    buckets: int = attrs.field(default=1, validator=positive_int)

    def __attrs_post_init__(self) -> None:
        if self.price.currency != self.original_price.currency:
            raise invalid("price", self.price, "currency differs from original_price")
        if self.price > self.original_price:
            raise invalid("price", self.price, f"is above original_price={self.original_price}",
                          "a seckill price must not exceed the original")
        if self.buckets > max(self.stock, 1):
            raise invalid("buckets", self.buckets, f"exceeds stock={self.stock}",
                          "use at most one bucket per unit")


def _items(value: Iterable[SeckillItem]) -> tuple[SeckillItem, ...]:
    items = tuple(value)
    seen: set[str] = set()
    for i, it in enumerate(items):
        if not isinstance(it, SeckillItem):
            raise invalid(f"items[{i}]", it, "must be a SeckillItem")
        if it.sku in seen:
            raise invalid(f"items[{i}].sku", it.sku, "appears twice in the slot")
        seen.add(it.sku)
    if not items:
        raise invalid("items", (), "a slot needs at least one item")
    return items


@policy("seckill.slot")
@attrs.frozen(slots=True)
class SeckillSlot:
    """A seckill slot (秒杀场次): a daily time (``daily``) or a one-off ``window``.

    ``preview_minutes`` before each occurrence the slot is shown with a
    countdown but not buyable (预告).
    """

    id: str = attrs.field(validator=key_part)
    items: tuple[SeckillItem, ...] = attrs.field(converter=_items)
    daily: DailySlot | None = None
    window: Window | None = None
    preview_minutes: int = attrs.field(default=0, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        if (self.daily is None) == (self.window is None):
            raise invalid("daily", self.daily, "set exactly one of daily and window",
                          "DailySlot for 每日场次, Window for a one-off slot")
        if self.window is not None and self.window.end is None:
            raise invalid("window", self.window, "a one-off slot needs an end")

    def item(self, sku: str) -> SeckillItem | None:
        for it in self.items:
            if it.sku == sku:
                return it
        return None

    def occurrences(self, start: DateTime, end: DateTime) -> Iterator[Window]:
        """Occurrences that overlap ``[start, end)``, in time order."""
        if self.window is not None:
            if self.window.overlaps(Window(start, end)):
                yield self.window
            return
        assert self.daily is not None
        w = self.daily.next_occurrence(start.subtract(days=1))
        while w.start < end:
            assert w.end is not None
            if w.end > start:
                yield w
            w = self.daily.next_occurrence(w.end)

    def previous(self, now: DateTime) -> Window | None:
        """The latest occurrence that ended at or before ``now`` within a day (daily slots)."""
        if self.daily is None:
            return None
        ended = [w for w in self.occurrences(now.subtract(days=1), now)
                 if w.end is not None and w.end <= now]
        return ended[-1] if ended else None

    def occurrence(self, now: DateTime) -> Window | None:
        """The occurrence open at ``now``, else the next one (None if none is left)."""
        if self.window is not None:
            return None if self.window.is_before(now) else self.window
        assert self.daily is not None
        return self.daily.next_occurrence(now)


def _overlap(a: SeckillSlot, b: SeckillSlot) -> bool:
    if a.window is not None:
        a, b = b, a
    if b.window is not None:
        assert b.window.end is not None
        return any(True for _ in a.occurrences(b.window.start, b.window.end))
    # Two daily slots repeat weekly at worst: compare a fortnight of occurrences.
    assert a.daily is not None
    start = pendulum.datetime(2026, 1, 5, tz=zone(a.daily.tz))
    end = start.add(days=15)
    bs = list(b.occurrences(start, end))
    return any(x.overlaps(y) for x in a.occurrences(start, end) for y in bs)


def _slots(value: Iterable[SeckillSlot]) -> tuple[SeckillSlot, ...]:
    slots = tuple(value)
    if not slots:
        raise invalid("slots", (), "a campaign needs at least one slot")
    ids: set[str] = set()
    for i, s in enumerate(slots):
        if not isinstance(s, SeckillSlot):
            raise invalid(f"slots[{i}]", s, "must be a SeckillSlot")
        if s.id in ids:
            raise invalid(f"slots[{i}].id", s.id, "duplicate slot id")
        ids.add(s.id)
    for i, a in enumerate(slots):
        for b in slots[i + 1:]:
            shared = {it.sku for it in a.items} & {it.sku for it in b.items}
            if shared and _overlap(a, b):
                raise invalid(
                    "slots", (a.id, b.id), f"overlap in time and share items {sorted(shared)}",
                    "move one slot, or sell the item in one of them only",
                )
    return slots


@policy("seckill.early_access")
@attrs.frozen(slots=True)
class EarlyAccess:
    """Members of ``tier`` may buy ``minutes`` before a slot opens (优先购)."""

    tier: str
    minutes: int = attrs.field(validator=positive_int)


def _early(value: Mapping[str, int] | Iterable[EarlyAccess]) -> tuple[EarlyAccess, ...]:
    if isinstance(value, Mapping):
        return tuple(EarlyAccess(t, m) for t, m in sorted(value.items()))
    items = tuple(value)
    tiers = [e.tier for e in items]
    if len(set(tiers)) != len(tiers):
        raise invalid("early_access", tiers, "a tier appears twice")
    return tuple(sorted(items, key=lambda e: e.tier))


class SlotPhase(enum.Enum):
    """Where a slot stands for a member at a moment."""

    UPCOMING = "upcoming"
    """Not shown yet."""
    PREVIEW = "preview"
    """Shown with a countdown, not buyable (预告)."""
    OPEN = "open"
    """Buyable (抢购中); for early-access tiers, from their early start."""
    ENDED = "ended"
    """No occurrence left (已结束)."""
    CLOSED = "closed"
    """Today's occurrence has closed (本场已结束); ``occurrence`` is the next one.

    A daily slot reads CLOSED from the end of an occurrence until the end of
    that local day, unless the next occurrence's preview or opening comes
    first; then UPCOMING again until its preview."""


@attrs.frozen(slots=True)
class SlotStatus:
    """A slot's phase for a member at ``now``, with its occurrence and countdown."""

    slot_id: str
    phase: SlotPhase
    occurrence: Window | None
    """The open occurrence, else the next one; None once ended."""
    opens_at: DateTime | None
    """When this member may start buying (earlier with early access)."""
    countdown_seconds: int
    """Whole seconds until ``opens_at`` (rounded up), 0 once open (倒计时)."""
    slot_key: str | None
    """The stock key of the occurrence (see `SeckillCampaign.slot_key`)."""


@attrs.frozen(slots=True)
class Admission:
    """Whether a member may reserve an item now, and where its stock lives."""

    reason: Reason | None
    slot_key: str | None = None
    item: SeckillItem | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


@policy("seckill.campaign")
@attrs.frozen(slots=True)
class SeckillCampaign:
    """A seckill campaign (秒杀活动): slots of items at seckill prices.

    ``period`` bounds which daily occurrences exist (活动周期). Seckill
    prices block coupons and points unless ``stack_coupons`` /
    ``stack_points`` say otherwise; store pickup is refused unless
    ``allow_pickup``. A refunded paid order gives its units back to the
    stock if ``refund_returns_stock`` and to the member's limits if
    ``refund_returns_quota`` (both off: the units stay sold and counted).
    """

    id: str = attrs.field(validator=key_part)
    slots: tuple[SeckillSlot, ...] = attrs.field(converter=_slots)
    period: Window | None = None
    limits: PurchaseLimits = PurchaseLimits()
    eligibility: Condition = Always()  # noqa: RUF009 - a frozen value, safe to share
    early_access: tuple[EarlyAccess, ...] = attrs.field(default=(), converter=_early)
    allow_pickup: bool = False
    stack_coupons: bool = False
    stack_points: bool = False
    payment_timeout_minutes: int = attrs.field(default=5, validator=positive_int)
    waiting_list: bool = False
    low_stock_threshold: int | None = attrs.field(default=None, validator=opt_positive_int)
    tz: str = DEFAULT_TZ
    """The zone of per-day limits (the store's zone)."""
    name: str = ""
    refund_returns_stock: bool = attrs.field(default=False, validator=flag)
    refund_returns_quota: bool = attrs.field(default=False, validator=flag)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """How long the stock machines keep released reservations for replays before
    `PruneLog` forgets them (a retry older than this is decided afresh)."""

    def __attrs_post_init__(self) -> None:
        zone(self.tz)
        if not isinstance(self.eligibility, Condition):
            raise invalid("eligibility", self.eligibility, "must be a Condition")

    # -- lookups ---------------------------------------------------------------------

    def slot(self, slot_id: str) -> SeckillSlot:
        for s in self.slots:
            if s.id == slot_id:
                return s
        raise InvalidCommandError(
            f"slot_id={slot_id!r}: no such slot in campaign {self.id!r}; "
            f"slots are {[s.id for s in self.slots]}"
        )

    def early_minutes(self, tier: str | None) -> int:
        """Early-access minutes for ``tier`` (0 without early access)."""
        for e in self.early_access:
            if e.tier == tier:
                return e.minutes
        return 0

    def slot_key(self, slot_id: str, occurrence: Window) -> str:
        """The stable key of one occurrence: ``"<campaign>/<slot>@<start ISO>"``."""
        return f"{self.id}/{slot_id}@{occurrence.start.isoformat()}"

    def stock_rules(self) -> StockRules:
        """The rules the stock machine enforces for this campaign."""
        lim = self.limits
        return StockRules(
            self.payment_timeout_minutes, lim.per_slot, lim.per_day, lim.per_campaign,
            self.waiting_list, self.low_stock_threshold, self.tz,
            per_order=lim.per_order, refund_returns_stock=self.refund_returns_stock,
            refund_returns_quota=self.refund_returns_quota,
            log_retention_days=self.log_retention_days,
        )

    def counters(self, slot_id: str, occurrence: Window) -> dict[str, tuple[StockCounter, ...]]:
        """Fresh stock counters of one occurrence, by SKU (split into the item's buckets)."""
        key = self.slot_key(slot_id, occurrence)
        return {it.sku: split_stock(key, it.sku, it.stock, it.buckets)
                for it in self.slot(slot_id).items}

    # -- time ------------------------------------------------------------------------

    def _occurrence(self, slot: SeckillSlot, now: DateTime) -> Window | None:
        occ = slot.occurrence(now)
        p = self.period
        if occ is None or p is None:
            return occ
        if occ.start < p.start:
            occ = slot.occurrence(p.start)
            if occ is None:
                return None
        if p.end is not None and occ.start >= p.end:
            return None
        return occ

    def status(self, slot_id: str, now: DateTime, tier: str | None = None) -> SlotStatus:
        """The slot's phase, occurrence and countdown for a member of ``tier``."""
        now = aware(now)
        slot = self.slot(slot_id)
        occ = self._occurrence(slot, now)
        if occ is None:
            return SlotStatus(slot_id, SlotPhase.ENDED, None, None, 0, None)
        opens = occ.start.subtract(minutes=self.early_minutes(tier))
        key = self.slot_key(slot_id, occ)
        if now >= opens:
            return SlotStatus(slot_id, SlotPhase.OPEN, occ, opens, 0, key)
        left = opens - now
        seconds = left.days * 86400 + left.seconds + (1 if left.microseconds else 0)
        preview = occ.start.subtract(minutes=slot.preview_minutes)
        if now >= preview:
            phase = SlotPhase.PREVIEW
        elif self._closed_today(slot, now):
            phase = SlotPhase.CLOSED
        else:
            phase = SlotPhase.UPCOMING
        return SlotStatus(slot_id, phase, occ, opens, seconds, key)

    def _closed_today(self, slot: SeckillSlot, now: DateTime) -> bool:
        """True if an occurrence of ``slot`` in the period ended earlier on now's local day."""
        last = slot.previous(now)
        if last is None or last.end is None:
            return False
        p = self.period
        if p is not None and (last.start < p.start or (p.end is not None and last.start >= p.end)):
            return False
        assert slot.daily is not None
        return local_date(last.end, slot.daily.tz) == local_date(now, slot.daily.tz)

    # -- admission -------------------------------------------------------------------

    def admit(
        self,
        member: Member,
        sku: str,
        slot_id: str,
        *,
        now: DateTime,
        fulfillment: Fulfillment = Fulfillment.DELIVERY,
        store: str | None = None,
        channel: str | None = None,
    ) -> Admission:
        """May ``member`` reserve ``sku`` in ``slot_id`` at ``now``? (Stock aside.)

        Checks, in order: fulfillment, the item, the slot's time for the
        member's tier, then ``eligibility``, which sees the member, time,
        store, channel and fulfillment (not cart lines). A daily slot whose
        occurrence closed earlier today is refused with ``seckill.slot_ended``
        and the next opening; before an occurrence, ``seckill.not_started``.

        The stock machine (`StockSlice`) does not check the slot's time:
        call this first (or `reserve`, which does both).
        """
        now = aware(now)
        if fulfillment is Fulfillment.PICKUP and not self.allow_pickup:
            return Admission(PICKUP_NOT_ALLOWED())
        slot = self.slot(slot_id)
        item = slot.item(sku)
        if item is None:
            return Admission(NOT_IN_SLOT(sku=sku))
        st = self.status(slot_id, now, member.tier)
        if st.phase is SlotPhase.ENDED:
            return Admission(ENDED())
        if st.phase is not SlotPhase.OPEN:
            assert st.opens_at is not None
            when = {"opens_at": st.opens_at, "opens_at_zh": zh_datetime(st.opens_at, self.tz)}
            if st.phase is SlotPhase.CLOSED:
                return Admission(SLOT_ENDED(**when))
            return Admission(NOT_STARTED(**when))
        verdict = self.eligibility.evaluate(
            Facts(now, member, (), None, store, channel, fulfillment)
        )
        if not verdict.ok:
            detail = "; ".join(r.code for r in verdict.reasons)
            detail_zh = "；".join(r.zh for r in verdict.reasons)
            return Admission(NOT_ELIGIBLE(detail=detail, detail_zh=detail_zh))
        return Admission(None, st.slot_key, item)

    def reserve(
        self,
        stock: StockSlice,
        command: Reserve,
        *,
        member: Member,
        slot_id: str,
        now: DateTime,
        fulfillment: Fulfillment = Fulfillment.DELIVERY,
        store: str | None = None,
        channel: str | None = None,
    ) -> Accepted[StockSlice] | Rejected[StockSlice]:
        """`admit` then reserve on ``stock`` (whose counter must be this occurrence's)."""
        if command.member_id != member.id:
            raise InvalidCommandError(
                f"command.member_id={command.member_id!r} is not member.id={member.id!r}"
            )
        if stock.order is not None:
            # A replay is decided by the stored reservation, whatever the clock says now.
            return stock.handle(command, now=now)
        adm = self.admit(member, stock.counter.sku, slot_id, now=now, fulfillment=fulfillment,
                         store=store, channel=channel)
        if adm.reason is not None:
            return Rejected(adm.reason, stock)
        if adm.slot_key != stock.counter.slot_key:
            raise InvalidCommandError(
                f"counter.slot_key={stock.counter.slot_key!r}: the open occurrence is "
                f"{adm.slot_key!r}; load that occurrence's bucket"
            )
        return stock.handle(command, now=now)

