"""Entries, draws and claims for one member: the lottery state machine.

Theory of operation
-------------------
A host keeps one `PoolState` per pool and one `MemberLottery` per member and
campaign. To apply a command it builds ``LotteryState(campaign, pool,
member)`` (three references, nothing copied) and calls
``state.handle(command, now=..., rng=...)``. The outcome carries the new
pool and member values and the events; the host persists both rows and the
events in one transaction.

Commands and what they do:

=====================  ==================================================
`GrantOrderEntries`    a paid order over the threshold grants entries
`BuyEntries`           entries bought with points (host debits the points)
`GrantActionEntries`   a share or a review grants entries (capped per day)
`Draw`                 uses one entry and draws a prize
`ClaimPrize`           the winner claims a prize in store before its due time
`ExpireDue`            lapses entries and claims whose time has passed
=====================  ==================================================

Legality is two tables, read before any business check. `PHASE_TRANSITIONS`
says which commands the campaign takes in its phase at ``now``: while it is
``OPEN`` (no window, or ``now`` inside it) every command; once ``CLOSED``
(before or after the window) only `ClaimPrize` and `ExpireDue`, so winners
can still collect and the host can still sweep; a miss is ``lottery.not_open``.
Claims move ``PENDING -> CLAIMED`` or ``PENDING -> EXPIRED`` (the table
`CLAIM_TRANSITIONS`); nothing leaves CLAIMED or EXPIRED, and a `ClaimPrize`
the table refuses says why (``already_claimed``, ``claim_expired``).

Entry choice: `Draw` with ``entry_id=None`` uses a free daily draw if one is
left today, else the granted entry that expires first (ties: granted first).
An order-free prize (免单) can only be won on an entry granted by an order;
on other entries it counts as unavailable for that draw.

Time changes nothing by itself: an entry or a claim past its time is
refused when used, and only `ExpireDue` (from the host's scheduler) removes
lapsed entries and expires claims, as an `Accepted` with their events; a
sweep with nothing due is refused (``lottery.nothing_due``) and changes
nothing.

Idempotency: each member's record keeps a `CommandLog` of the commands it
accepted (`sirui.rules.commandlog`); a replay returns the original events
and leaves the state as it is, also after the host saved and reloaded it;
the same id with other content raises `IdConflictError`. Rejected commands
are not recorded, so a retry is evaluated afresh. The log grows with that
member's own commands only (a few per day) and `PruneLog` forgets those
older than ``LotteryCampaign.log_retention_days``; the pool aggregate holds
no per-member data. An order already rewarded stays refused after its
command id is forgotten (``rewarded_orders``).
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Mapping
from typing import Any, Final

import attrs

from sirui.campaigns.lottery._events import (
    DrawLost,
    EntriesGranted,
    EntryExpired,
    EntrySource,
    OrderFreeRefundDue,
    PointsSpentOnEntries,
    PrizeClaimDue,
    PrizeClaimed,
    PrizeClaimExpired,
    PrizeWon,
)
from sirui.campaigns.lottery._policy import LotteryCampaign, OrderFreeReward
from sirui.campaigns.lottery._pool import MemberDraws, PoolState, draw
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.windows import DateTime, DaysAfterClaim, aware, local_date
from sirui.core.zh import zh_datetime
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "CLAIM_TRANSITIONS",
    "PHASE_TRANSITIONS",
    "Action",
    "BuyEntries",
    "Claim",
    "ClaimPrize",
    "ClaimStatus",
    "Command",
    "Draw",
    "Entry",
    "ExpireDue",
    "GrantActionEntries",
    "GrantOrderEntries",
    "LotteryPhase",
    "LotteryState",
    "MemberLottery",
]

NO_ENTRIES = reason_code(
    "lottery.no_entries", zh="暂无抽奖机会", en="No lottery entries left"
)
ENTRY_EXPIRED = reason_code(
    "lottery.entry_expired", zh="抽奖机会已过期", en="The lottery entry has expired"
)
NOT_OPEN = reason_code(
    "lottery.not_open", zh="抽奖活动未开始或已结束", en="The lottery {campaign} is not open"
)
BELOW_THRESHOLD = reason_code(
    "lottery.below_threshold",
    zh="订单实付满{threshold}可抽奖",
    en="Orders paying {threshold} or more earn a draw",
)
NOT_OFFERED = reason_code(
    "lottery.not_offered",
    zh="本活动不支持{source_zh}获得抽奖机会",
    en="{source} entries are not offered",
)
DAILY_LIMIT = reason_code(
    "lottery.daily_limit_reached",
    zh="今日{source_zh}抽奖机会已达上限{limit}次",
    en="Today's limit of {limit} {source} entries is reached",
)
CLAIM_EXPIRED = reason_code(
    "lottery.claim_expired",
    zh="领奖期限已过（截止{due_by_zh}）",
    en="The claim period ended at {due_by}",
)

#: How zh messages name each entry source.
_SOURCE_ZH: Final = {
    EntrySource.FREE_DAILY: "每日免费", EntrySource.ORDER: "下单", EntrySource.POINTS: "积分兑换",
    EntrySource.SHARE: "分享", EntrySource.REVIEW: "评价",
}


def _source(source: EntrySource) -> dict[str, str]:
    return {"source": source.value, "source_zh": _SOURCE_ZH[source]}
ALREADY_CLAIMED = reason_code(
    "lottery.already_claimed", zh="奖品已领取", en="The prize was already claimed"
)
NOTHING_DUE = reason_code(
    "lottery.nothing_due",
    zh="没有到期的抽奖机会或奖品",
    en="No entry or claim is due to expire",
)
DUPLICATE_ORDER = reason_code(
    "lottery.order_already_rewarded",
    zh="订单{order_id}已获得过抽奖机会",
    en="Order {order_id} already earned its entries",
)


class Action(enum.Enum):
    """A member action that may grant entries."""

    SHARE = "share"
    REVIEW = "review"


@attrs.frozen(slots=True)
class GrantOrderEntries:
    """A paid order (实付 ``paid``) asks for its entries."""

    id: str
    order_id: str
    paid: Money


@attrs.frozen(slots=True)
class BuyEntries:
    """Buy ``count`` entries with points (the host checks and debits the balance)."""

    id: str
    count: int = 1


@attrs.frozen(slots=True)
class GrantActionEntries:
    """A share or review grants entries."""

    id: str
    action: Action


@attrs.frozen(slots=True)
class Draw:
    """Use one entry (``entry_id``, or the best one when None) and draw."""

    id: str
    entry_id: str | None = None


@attrs.frozen(slots=True)
class ClaimPrize:
    """Claim a won prize in store."""

    id: str
    claim_id: str
    store_id: str


@attrs.frozen(slots=True)
class ExpireDue:
    """Lapse entries and claims whose time has passed (run it from a scheduler)."""

    id: str


Command = GrantOrderEntries | BuyEntries | GrantActionEntries | Draw | ClaimPrize | ExpireDue


@attrs.frozen(slots=True)
class Entry:
    """One unused entry (抽奖机会)."""

    id: str
    source: EntrySource
    granted_at: DateTime
    expires_at: DateTime
    order_id: str | None = None
    order_paid: Money | None = None


class ClaimStatus(enum.Enum):
    PENDING = "pending"
    CLAIMED = "claimed"
    EXPIRED = "expired"


CLAIM_TRANSITIONS: Final[Mapping[tuple[ClaimStatus, type], ClaimStatus]] = {
    (ClaimStatus.PENDING, ClaimPrize): ClaimStatus.CLAIMED,
    (ClaimStatus.PENDING, ExpireDue): ClaimStatus.EXPIRED,
}


class LotteryPhase(enum.Enum):
    """Where the campaign stands at ``now`` (`LotteryCampaign.window`)."""

    OPEN = "open"
    CLOSED = "closed"


_OPEN, _CLOSED = LotteryPhase.OPEN, LotteryPhase.CLOSED

#: ``(phase, command type) -> phase``: what the campaign takes; a miss is ``lottery.not_open``.
PHASE_TRANSITIONS: Final[Mapping[tuple[LotteryPhase, type], LotteryPhase]] = {
    (_OPEN, GrantOrderEntries): _OPEN,
    (_OPEN, BuyEntries): _OPEN,
    (_OPEN, GrantActionEntries): _OPEN,
    (_OPEN, Draw): _OPEN,
    (_OPEN, ClaimPrize): _OPEN,
    (_OPEN, ExpireDue): _OPEN,
    (_CLOSED, ClaimPrize): _CLOSED,
    (_CLOSED, ExpireDue): _CLOSED,
}
_COMMANDS: Final = frozenset(kind for _, kind in PHASE_TRANSITIONS)


@attrs.frozen(slots=True)
class Claim:
    """A prize waiting to be claimed in store (``id`` is the winning draw's id)."""

    id: str
    prize_id: str
    won_at: DateTime
    due_by: DateTime
    status: ClaimStatus = ClaimStatus.PENDING
    store_id: str | None = None


@attrs.frozen(slots=True)
class _Today:
    day: dt.date
    free_used: int = 0
    bought: int = 0
    shares: int = 0
    reviews: int = 0


@attrs.frozen(slots=True)
class MemberLottery:
    """One member's lottery record (会员抽奖记录): entries, draws, claims, command log."""

    member_id: str
    draws: MemberDraws
    entries: tuple[Entry, ...] = ()
    claims: tuple[Claim, ...] = ()
    today: _Today | None = None
    rewarded_orders: frozenset[str] = frozenset()
    log: CommandLog = attrs.field(factory=CommandLog)
    """The commands this member accepted, with their events (idempotency)."""

    @classmethod
    def new(cls, member_id: str, campaign: LotteryCampaign) -> MemberLottery:
        return cls(member_id, MemberDraws.new(member_id, campaign.pool))

    def free_left(self, campaign: LotteryCampaign, now: DateTime) -> int:
        """Free daily draws left today."""
        day = local_date(now, campaign.tz)
        used = self.today.free_used if self.today is not None and self.today.day == day else 0
        return campaign.entries.free_daily - used

    def usable_entries(self, now: DateTime) -> tuple[Entry, ...]:
        """Granted entries not yet expired at ``now``."""
        return tuple(e for e in self.entries if now < e.expires_at)

    def claim(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise InvalidCommandError(
            f"claim_id={claim_id!r}: member {self.member_id} has no such claim"
        )


@attrs.frozen(slots=True)
class LotteryState:
    """What one command needs: the campaign, the pool aggregate, one member's record."""

    campaign: LotteryCampaign
    pool: PoolState
    member: MemberLottery

    def handle(
        self, command: Command | PruneLog, *, now: DateTime, rng: random.Random | None = None
    ) -> Accepted[LotteryState] | Rejected[LotteryState]:
        """Apply ``command`` at ``now``; `Draw` needs ``rng`` (``secrets.SystemRandom()``)."""
        now = aware(now)
        if isinstance(command, PruneLog):
            log, pruned = self.member.log.prune(command, now, self.campaign.log_retention_days)
            return Accepted(self._with(self.pool, attrs.evolve(self.member, log=log)), pruned)
        if type(command) not in _COMMANDS:
            raise InvalidCommandError(f"command={command!r}: not a lottery command")
        replay = self.member.log.replay(self, command)
        if replay is not None:
            return replay
        if transition(PHASE_TRANSITIONS, self.phase(now), command) is None:
            return Rejected(NOT_OPEN(campaign=self.campaign.id), self)
        out = self._apply(command, now, rng)
        if isinstance(out, Reason):
            return Rejected(out, self)
        pool, member, events = out
        member = attrs.evolve(member, log=member.log.record(command, events, now))
        return Accepted(self._with(pool, member), events)

    def phase(self, now: DateTime) -> LotteryPhase:
        """``OPEN`` inside the campaign window (or without one), else ``CLOSED``."""
        w = self.campaign.window
        return _OPEN if w is None or w.contains(aware(now)) else _CLOSED

    def _with(self, pool: PoolState, member: MemberLottery) -> LotteryState:
        return LotteryState(self.campaign, pool, member)

    def _apply(
        self, cmd: Command, now: DateTime, rng: random.Random | None
    ) -> Reason | tuple[PoolState, MemberLottery, tuple[Any, ...]]:
        if isinstance(cmd, Draw):
            if rng is None:
                raise InvalidCommandError(
                    "Draw needs rng=secrets.SystemRandom() (or a seeded random.Random)"
                )
            return self._draw(cmd, now, rng)
        if isinstance(cmd, ClaimPrize):
            return self._claim(cmd, now)
        if isinstance(cmd, ExpireDue):
            return self._expire(cmd, now)
        return self._grant(cmd, now)

    # -- entries --------------------------------------------------------------------------

    def _today(self, now: DateTime) -> _Today:
        day = local_date(now, self.campaign.tz)
        t = self.member.today
        return t if t is not None and t.day == day else _Today(day)

    def _grant(
        self, cmd: GrantOrderEntries | BuyEntries | GrantActionEntries, now: DateTime
    ) -> Reason | tuple[PoolState, MemberLottery, tuple[Any, ...]]:
        rules, m = self.campaign.entries, self.member
        today = self._today(now)
        events: list[Any] = []
        order_id: str | None = None
        paid: Money | None = None
        rewarded = m.rewarded_orders
        if isinstance(cmd, GrantOrderEntries):
            if rules.order_threshold is None:
                return NOT_OFFERED(**_source(EntrySource.ORDER))
            if cmd.order_id in rewarded:
                return DUPLICATE_ORDER(order_id=cmd.order_id)
            n = rules.entries_for_order(cmd.paid)
            if n == 0:
                return BELOW_THRESHOLD(threshold=rules.order_threshold)
            source, order_id, paid = EntrySource.ORDER, cmd.order_id, cmd.paid
            rewarded = rewarded | {cmd.order_id}
        elif isinstance(cmd, BuyEntries):
            if rules.points_per_entry is None:
                return NOT_OFFERED(**_source(EntrySource.POINTS))
            if type(cmd.count) is not int or cmd.count < 1:
                raise invalid("count", cmd.count, "must be an int >= 1")
            limit = rules.points_entries_per_day
            if today.bought + cmd.count > limit:
                return DAILY_LIMIT(**_source(EntrySource.POINTS), limit=limit)
            n, source = cmd.count, EntrySource.POINTS
            today = attrs.evolve(today, bought=today.bought + n)
            events.append(PointsSpentOnEntries(m.member_id, n * rules.points_per_entry, n))
        else:
            share = cmd.action is Action.SHARE
            n = rules.share_entries if share else rules.review_entries
            limit = rules.shares_per_day if share else rules.reviews_per_day
            source = EntrySource.SHARE if share else EntrySource.REVIEW
            if n == 0:
                return NOT_OFFERED(**_source(source))
            done = today.shares if share else today.reviews
            if done >= limit:
                return DAILY_LIMIT(**_source(source), limit=limit)
            if share:
                today = attrs.evolve(today, shares=done + 1)
            else:
                today = attrs.evolve(today, reviews=done + 1)
        expires = DaysAfterClaim(rules.entry_valid_days, self.campaign.tz).window_for(now).end
        assert expires is not None
        new = tuple(
            Entry(f"{cmd.id}:{k}", source, now, expires, order_id, paid) for k in range(n)
        )
        events.insert(0, EntriesGranted(m.member_id, tuple(e.id for e in new), source, expires,
                                        order_id))
        member = attrs.evolve(m, entries=m.entries + new, today=today, rewarded_orders=rewarded)
        return self.pool, member, tuple(events)

    def _pick(self, cmd: Draw, now: DateTime) -> Reason | Entry:
        m = self.member
        if cmd.entry_id is not None:
            for e in m.entries:
                if e.id == cmd.entry_id:
                    return e if now < e.expires_at else ENTRY_EXPIRED()
            return NO_ENTRIES()
        if m.free_left(self.campaign, now) > 0:
            end = DaysAfterClaim(1, self.campaign.tz).window_for(now).end
            assert end is not None
            return Entry(f"{cmd.id}:free", EntrySource.FREE_DAILY, now, end)
        usable = [(e.expires_at, i) for i, e in enumerate(m.entries) if now < e.expires_at]
        if usable:
            return m.entries[min(usable)[1]]
        return ENTRY_EXPIRED() if m.entries else NO_ENTRIES()

    # -- draw -----------------------------------------------------------------------------

    def _draw(
        self, cmd: Draw, now: DateTime, rng: random.Random
    ) -> Reason | tuple[PoolState, MemberLottery, tuple[Any, ...]]:
        entry = self._pick(cmd, now)
        if isinstance(entry, Reason):
            return entry
        m = self.member
        got = draw(self.pool, m.draws, rng, now, order_free_ok=entry.order_id is not None)
        if isinstance(got, Reason):
            return got
        prize = got.prize
        events: list[Any] = []
        if prize.reward.is_loss:
            events.append(DrawLost(m.member_id, cmd.id, entry.id, prize.id))
        else:
            events.append(PrizeWon(m.member_id, cmd.id, entry.id, prize.id, prize.reward,
                                   got.guaranteed))
        reward = prize.reward
        if isinstance(reward, OrderFreeReward):
            assert entry.order_id is not None
            assert entry.order_paid is not None
            amount = reward.refund_for(entry.order_paid)
            events.append(OrderFreeRefundDue(m.member_id, cmd.id, entry.order_id, amount))
        claims = m.claims
        if prize.claim_in_store_days is not None:
            due = DaysAfterClaim(prize.claim_in_store_days, self.campaign.tz).window_for(now).end
            assert due is not None
            claims = (*claims, Claim(cmd.id, prize.id, now, due))
            events.append(PrizeClaimDue(m.member_id, cmd.id, prize.id, due))
        today = self._today(now)
        if entry.source is EntrySource.FREE_DAILY:
            today = attrs.evolve(today, free_used=today.free_used + 1)
            entries = m.entries
        else:
            entries = tuple(e for e in m.entries if e.id != entry.id)
        member = attrs.evolve(m, draws=got.member, entries=entries, claims=claims, today=today)
        return got.pool, member, tuple(events)

    # -- claims and expiry ----------------------------------------------------------------

    def _claim(
        self, cmd: ClaimPrize, now: DateTime
    ) -> Reason | tuple[PoolState, MemberLottery, tuple[Any, ...]]:
        m = self.member
        c = m.claim(cmd.claim_id)
        status = transition(CLAIM_TRANSITIONS, c.status, cmd)
        if status is None:
            return ALREADY_CLAIMED() if c.status is ClaimStatus.CLAIMED else (
                CLAIM_EXPIRED(due_by=c.due_by, due_by_zh=zh_datetime(c.due_by, self.campaign.tz)))
        if now >= c.due_by:
            return CLAIM_EXPIRED(due_by=c.due_by, due_by_zh=zh_datetime(c.due_by, self.campaign.tz))
        done = attrs.evolve(c, status=status, store_id=cmd.store_id)
        claims = tuple(done if x.id == c.id else x for x in m.claims)
        event = PrizeClaimed(m.member_id, c.id, c.prize_id, cmd.store_id, now)
        return self.pool, attrs.evolve(m, claims=claims), (event,)

    def _expire(
        self, cmd: ExpireDue, now: DateTime
    ) -> Reason | tuple[PoolState, MemberLottery, tuple[Any, ...]]:
        m = self.member
        events: list[Any] = [
            EntryExpired(m.member_id, e.id, e.source, e.expires_at)
            for e in m.entries if now >= e.expires_at
        ]
        claims = []
        for c in m.claims:
            status = transition(CLAIM_TRANSITIONS, c.status, cmd)
            if status is not None and now >= c.due_by:
                c = attrs.evolve(c, status=status)
                events.append(PrizeClaimExpired(m.member_id, c.id, c.prize_id, c.due_by))
            claims.append(c)
        if not events:
            return NOTHING_DUE()
        member = attrs.evolve(m, entries=m.usable_entries(now), claims=tuple(claims))
        return self.pool, member, tuple(events)
