"""The pricing contract: stages, per-line adjustments and the running price state.

Theory of operation: a quote runs *steps* in stage order (DESIGN.md's price
pipeline). Each step reads a `PriceState` — every line with its current
amount — and returns a new one with its `Adjustment` appended (or a
`NotApplied` saying why not). An adjustment is allocated to lines to the
fen, only over the lines it is eligible for, never more than a line's
current amount, so every later stage, refund and commission can work per
line. Mechanics implement steps without importing the checkout (which sits
above them); the checkout composes them.

Invariants kept here, whatever a step does:

* a line's amount never drops below zero;
* an adjustment's allocations sum exactly to its amount;
* line order never matters: states hold lines sorted by id, and allocation
  ties break by that order;
* a line an adjustment ``blocks`` for a stage is not offered to that stage.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money, allocate_int, split_int
from sirui.core.nouns import Cart, Line
from sirui.core.windows import DateTime, aware
from sirui.rules.reasons import Reason

if TYPE_CHECKING:
    # Imported when first needed: importing the checkout need not define
    # every condition type (see `sirui.rules`).
    from sirui.rules.conditions import Facts
    from sirui.rules.scope import ItemScope

__all__ = [
    "SHIPPING_INDEX",
    "SHIPPING_LINE",
    "Adjustment",
    "FenAdjustment",
    "FenCart",
    "FenSkip",
    "FenState",
    "NotApplied",
    "PriceState",
    "PricedLine",
    "PricingStep",
    "Stage",
    "allocate_fen",
    "allocate_off",
    "reason_of",
    "times_fen",
]

SHIPPING_LINE = "__shipping__"
"""Pseudo line id that shipping adjustments are allocated to."""


class Stage(enum.IntEnum):
    """The fixed stages of the price pipeline, in order."""

    ACTIVITY = 1
    """Activity price: seckill, group-buy, bargain, limited-time (活动价)."""
    MEMBER = 2
    """Member price: tier discount, paid-card discount (会员价)."""
    PROMOTION = 3
    """Order promotions: full reduction, N-for-X, Nth item, gifts (促销)."""
    COUPON = 4
    """Coupons (优惠券)."""
    POINTS = 5
    """Points deduction (积分抵扣)."""
    SHIPPING = 6
    """Shipping fee and free shipping (运费)."""

    @property
    def zh(self) -> str:
        return _STAGE_ZH[self]


_STAGE_ZH = {
    Stage.ACTIVITY: "活动价",
    Stage.MEMBER: "会员价",
    Stage.PROMOTION: "促销",
    Stage.COUPON: "优惠券",
    Stage.POINTS: "积分抵扣",
    Stage.SHIPPING: "运费",
}


@attrs.frozen(slots=True)
class PricedLine:
    """A cart line and its current amount in the pipeline."""

    line: Line
    amount: Money
    blocked: frozenset[Stage] = frozenset()
    """Stages that may no longer discount this line (e.g. coupons on a seckill price)."""
    activity: str | None = None
    """The activity that priced this line at stage 1, if any."""

    @property
    def id(self) -> str:
        return self.line.id

    @property
    def original(self) -> Money:
        return self.line.amount

    def open_to(self, stage: Stage) -> bool:
        return stage not in self.blocked and not self.line.gift


@attrs.frozen(slots=True)
class Adjustment:
    """A price change made by one rule at one stage, allocated to lines.

    ``amount`` is the discount (positive takes money off). ``allocations``
    maps line ids to their share and sums exactly to ``amount``; shipping
    adjustments allocate to `SHIPPING_LINE`.
    """

    rule: str
    stage: Stage
    amount: Money
    allocations: tuple[tuple[str, Money], ...]
    reason: Reason
    kind: str = ""
    """The policy type (``"promotion.full_reduction"``)."""
    fingerprint: str | None = None
    blocks: frozenset[Stage] = frozenset()
    """Stages the adjusted lines are closed to afterwards."""
    activity: str | None = None

    def __attrs_post_init__(self) -> None:
        cur = self.amount.currency
        if any(m.currency != cur for _, m in self.allocations):
            raise invalid("allocations", self.allocations, f"shares must be in {cur}")
        total = Money(sum(m.minor for _, m in self.allocations), cur)
        if total != self.amount:
            raise invalid(
                "allocations", self.allocations, f"sum to {total}, not the amount {self.amount}"
            )
        if any(m.minor < 0 for _, m in self.allocations):
            raise invalid("allocations", self.allocations, "a share must not be negative")

    def share_of(self, line_id: str) -> Money:
        for lid, m in self.allocations:
            if lid == line_id:
                return m
        return Money.zero(self.amount.currency)


@attrs.frozen(slots=True)
class NotApplied:
    """A rule the pipeline considered and did not apply, with the reason."""

    rule: str
    stage: Stage
    reason: Reason
    kind: str = ""


def times_fen(fen: int, rate: Decimal) -> int:
    """``fen * rate`` rounded half-up, exactly (`Money.times` for ``fen, rate >= 0``)."""
    p, q = rate.as_integer_ratio()
    return (2 * fen * p + q) // (2 * q)


def allocate_fen(
    total: int, rooms: Sequence[int], weights: Sequence[int] | None = None
) -> list[int]:
    """`allocate_off` in fen: ``total`` over lines with ``rooms`` left, by ``weights``.

    The total is capped at the rooms' sum; shares are proportional to the
    weights (the rooms by default, or when every weight is zero) by largest
    remainder, and never exceed a line's room: any excess moves to lines with
    room, in order. Lines come in id order; a share may be zero.
    """
    total = min(total, sum(rooms))
    if total <= 0:
        return [0] * len(rooms)
    ws = rooms if weights is None or not any(weights) else weights
    # Weights that sum to the total are the largest-remainder split already
    # (each line's own discount, as member and activity prices give).
    wsum = sum(ws)
    if wsum == total:
        shares = list(ws)
    elif ws is rooms:  # the rooms: ints >= 0, and they sum above the total
        shares = split_int(total, ws, wsum)
    else:
        shares = allocate_int(total, ws)
    if ws is rooms:
        return shares
    # Proportional shares by current amount never exceed a line's amount, but
    # explicit weights might: move any excess to lines with room, in id order.
    excess = sum(max(s - r, 0) for s, r in zip(shares, rooms, strict=True))
    if excess:
        shares = [min(s, r) for s, r in zip(shares, rooms, strict=True)]
        for i, room in enumerate(rooms):
            take = min(room - shares[i], excess)
            shares[i] += take
            excess -= take
    return shares


def allocate_off(
    amount: Money, lines: Sequence[PricedLine], weights: Sequence[Money] | None = None
) -> tuple[tuple[str, Money], ...]:
    """Allocate a discount over ``lines`` in proportion to their current amounts.

    The discount is capped at the lines' total (a line never goes below
    zero). Lines are taken in id order so the result does not depend on
    cart order. ``weights`` overrides the proportions (same order as ``lines``).
    """
    if amount.minor < 0:
        raise invalid("amount", amount, "a discount must be >= 0")
    cur = amount.currency
    pairs = list(zip(lines, weights)) if weights is not None else [(ln, ln.amount) for ln in lines]
    if any(pairs[k][0].id > pairs[k + 1][0].id for k in range(len(pairs) - 1)):
        pairs.sort(key=lambda p: p[0].id)
    rooms = [ln.amount.minor for ln, _ in pairs]
    if min(amount.minor, sum(rooms)) <= 0:
        return ()
    ws = []
    for _, w in pairs:
        if w.currency != cur or w.minor < 0:
            raise invalid("weights", w, f"weights must be Money >= 0 in {cur}")
        ws.append(w.minor)
    shares = allocate_fen(amount.minor, rooms, ws)
    return tuple((ln.id, Money._raw(sh, cur)) for (ln, _), sh in zip(pairs, shares) if sh)


def _sorted_lines(lines: Iterable[PricedLine]) -> tuple[PricedLine, ...]:
    return tuple(sorted(lines, key=lambda pl: pl.id))


@attrs.frozen(slots=True)
class PriceState:
    """The running state of a quote: lines with current amounts, and what was done.

    Build the first one with `PriceState.start`; steps return new states
    through `apply` and `skip`.
    """

    cart: Cart
    now: DateTime = attrs.field(converter=aware)
    lines: tuple[PricedLine, ...] = attrs.field(converter=_sorted_lines)
    adjustments: tuple[Adjustment, ...] = ()
    not_applied: tuple[NotApplied, ...] = ()
    shipping_fee: Money | None = None
    """The shipping fee before shipping discounts (set by the shipping step)."""
    points_used: int = 0
    gifts: tuple[Line, ...] = ()
    extras: tuple[tuple[str, Any], ...] = ()
    """Step outputs that are not money (``("points_to_earn", 120)``)."""

    @classmethod
    def start(cls, cart: Cart, now: DateTime) -> PriceState:
        return cls(cart, now, tuple(PricedLine(ln, ln.amount) for ln in cart.lines))

    @property
    def currency(self) -> str:
        return self.cart.currency

    def line(self, line_id: str) -> PricedLine:
        for pl in self.lines:
            if pl.id == line_id:
                return pl
        raise InvalidValueError(f"line_id={line_id!r}: no such line", field="line_id")

    def eligible(self, stage: Stage, scope: ItemScope | None = None) -> tuple[PricedLine, ...]:
        """Lines open to ``stage``, in ``scope``, with something left to discount."""
        return tuple(
            pl
            for pl in self.lines
            if stage not in pl.blocked
            and not pl.line.gift
            and pl.amount.minor > 0
            and (scope is None or scope.matches(pl.line.sku))
        )

    def subtotal(self, lines: Iterable[PricedLine] | None = None) -> Money:
        """Current amount of ``lines`` (all lines by default), shipping excluded."""
        chosen = self.lines if lines is None else lines
        return Money(sum(pl.amount.minor for pl in chosen), self.currency)

    def facts(self, lines: Sequence[PricedLine] | None = None) -> Facts:
        """Facts for conditions, with ``amount`` the current subtotal of ``lines``."""
        from sirui.rules.conditions import Facts

        chosen = self.lines if lines is None else tuple(lines)
        c = self.cart
        return Facts(
            self.now,
            c.member,
            tuple(pl.line for pl in chosen),
            self.subtotal(chosen),
            c.store,
            c.channel,
            c.fulfillment,
        )

    def stage_total(self, stage: Stage) -> Money:
        return sum(
            (a.amount for a in self.adjustments if a.stage is stage), Money.zero(self.currency)
        )

    def _with(self, **changes: Any) -> PriceState:
        """A copy with ``changes``, skipping the converters (inputs are already checked).

        Steps call this thousands of times per second in a simulation; the
        lines stay sorted because only their amounts change.
        """
        new = object.__new__(PriceState)
        for a in _STATE_FIELDS:
            object.__setattr__(new, a, changes[a] if a in changes else getattr(self, a))
        return new

    def apply(self, adj: Adjustment) -> PriceState:
        """Record ``adj`` and take its allocations off the lines (shipping aside)."""
        shares = dict(adj.allocations)
        new_lines = []
        for pl in self.lines:
            share = shares.pop(pl.id, None)
            if share is None:
                new_lines.append(pl)
                continue
            if adj.stage in pl.blocked or pl.line.gift:
                raise invalid(
                    "allocations",
                    pl.id,
                    f"line is closed to stage {adj.stage.name}",
                    cls=InvalidValueError,
                )
            if share.minor > pl.amount.minor or share.currency != pl.amount.currency:
                raise invalid(
                    "allocations",
                    (pl.id, share),
                    f"exceeds the line's amount {pl.amount}",
                    cls=InvalidValueError,
                )
            new_lines.append(
                PricedLine(
                    pl.line,
                    Money._raw(pl.amount.minor - share.minor, share.currency),
                    pl.blocked | adj.blocks if adj.blocks else pl.blocked,
                    adj.activity or pl.activity,
                )
            )
        shipping_share = shares.pop(SHIPPING_LINE, None)
        if shares:
            raise invalid("allocations", sorted(shares), "unknown line ids", cls=InvalidValueError)
        if shipping_share is not None:
            fee = self.shipping_fee or Money.zero(self.currency)
            already = sum(
                (a.share_of(SHIPPING_LINE) for a in self.adjustments), Money.zero(self.currency)
            )
            if shipping_share > fee - already:
                raise invalid(
                    "allocations",
                    shipping_share,
                    "exceeds the remaining shipping fee",
                    cls=InvalidValueError,
                )
        return self._with(lines=tuple(new_lines), adjustments=(*self.adjustments, adj))

    def skip(self, rule: str, stage: Stage, reason: Reason, kind: str = "") -> PriceState:
        """Record that ``rule`` was considered and not applied, and why."""
        return self._with(not_applied=(*self.not_applied, NotApplied(rule, stage, reason, kind)))

    def with_extra(self, key: str, value: Any) -> PriceState:
        return self._with(extras=(*self.extras, (key, value)))

    def extra(self, key: str, default: Any = None) -> Any:
        for k, v in reversed(self.extras):
            if k == key:
                return v
        return default


_STATE_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(PriceState))


@runtime_checkable
class PricingStep(Protocol):
    """Anything that can take part in the pipeline: a stage and an ``apply``.

    Implementations are frozen values built from a policy and, when needed,
    the member's facts (points balance, chosen coupons). ``apply`` must not
    mutate its input and must only discount lines open to its stage.
    """

    @property
    def stage(self) -> Stage: ...

    def price(self, state: PriceState) -> PriceState: ...


# -- the same state in fen ------------------------------------------------------------
#
# A quote that only runs built-in policies prices on plain ints: `FenState`
# holds what `PriceState` holds (line amounts, the stages closed to each
# line, the adjustments and skips made so far, the shipping fee, gifts and
# extras), with lines as indices into a `FenCart` and amounts in fen.
# Adjustments and skips are recorded as small tuples whose reasons may be
# left as callables; the checkout turns them into `Adjustment`, `NotApplied`
# and `Reason` objects only when a quote's explanations are read. Policies
# that can price this way have a ``price_fen`` method next to ``price``, and
# the two must agree exactly (a property test compares whole quotes).

SHIPPING_INDEX = -1
"""Line index of `SHIPPING_LINE` in a `FenAdjustment`'s shares."""

ReasonLike = Reason | Callable[[], Reason]
"""A reason, or what builds it when it is read (a `ReasonCode` with no parameters will do)."""


class FenAdjustment(NamedTuple):
    """An `Adjustment` in fen: ``shares`` are ``(line index, fen)``, none of them zero."""

    rule: str
    stage: Stage
    amount: int
    shares: tuple[tuple[int, int], ...]
    reason: ReasonLike
    kind: str
    policy: object
    """The policy whose fingerprint the adjustment carries."""
    blocks: frozenset[Stage] = frozenset()
    activity: str | None = None


class FenSkip(NamedTuple):
    """A `NotApplied` in fen."""

    rule: str
    stage: Stage
    reason: ReasonLike
    kind: str = ""


def reason_of(reason: ReasonLike) -> Reason:
    """The `Reason` of a `FenAdjustment` or `FenSkip`, built now if it was deferred."""
    return reason if isinstance(reason, Reason) else reason()


_SAME: dict[int, tuple[ItemScope, ItemScope | None]] = {}
_BY_VALUE: dict[ItemScope, ItemScope] = {}


def _same_scope(scope: ItemScope | None) -> ItemScope | None:
    """The first scope seen equal to ``scope``, None for every item.

    Rules often repeat a category's scope, and most cover everything.
    """
    if scope is None:
        return None
    hit = _SAME.get(id(scope))
    if hit is not None and hit[0] is scope:
        return hit[1]
    if len(_SAME) >= 4096:
        _SAME.clear()
        _BY_VALUE.clear()
    same = None if scope.is_everything else _BY_VALUE.setdefault(scope, scope)
    _SAME[id(scope)] = (scope, same)
    return same


class FenCart:
    """The fixed part of a `FenState`: the cart's lines in id order, read once into ints."""

    __slots__ = (
        "_all", "_by_category", "_by_sku", "_scopes", "cart", "currency", "ids", "lines", "now",
        "originals",
    )

    def __init__(self, cart: Cart, now: DateTime) -> None:
        lines = cart.lines
        ids = [ln.id for ln in lines]
        if ids != sorted(ids):
            lines = tuple(sorted(lines, key=lambda ln: ln.id))
            ids = [ln.id for ln in lines]
        self.cart = cart
        self.now = now
        self.currency = cart.currency
        self.lines = lines
        self.ids = ids
        self.originals = [ln.unit_price.minor * ln.quantity for ln in lines]
        self._all = tuple(i for i, ln in enumerate(lines) if not ln.gift)
        self._scopes: dict[int, tuple[ItemScope | None, tuple[int, ...]]] = {}
        self._by_sku: dict[str, tuple[int, ...]] | None = None
        self._by_category: dict[tuple[str, ...], list[int]] | None = None

    def of_sku(self, sku: str) -> tuple[int, ...]:
        """Indices of the lines of SKU ``sku``, gifts included, in line order."""
        by_sku = self._by_sku
        if by_sku is None:
            found: dict[str, list[int]] = {}
            for i, ln in enumerate(self.lines):
                found.setdefault(ln.sku.id, []).append(i)
            by_sku = self._by_sku = {k: tuple(v) for k, v in found.items()}
        return by_sku.get(sku, ())

    def in_scope(self, scope: ItemScope | None) -> tuple[int, ...]:
        """Indices of the lines that are not gifts and are in ``scope`` (None: every line)."""
        # By identity: rules share scope objects, and hashing a scope costs more.
        return self.in_same_scope(_same_scope(scope))

    def in_same_scope(self, same: ItemScope | None) -> tuple[int, ...]:
        """`in_scope` of a scope `_same_scope` gave."""
        if same is None:
            return self._all
        hit = self._scopes.get(id(same))
        if hit is not None and hit[0] is same:
            return hit[1]
        if same.category_only:
            # One answer per category in the cart, not one per line.
            covers = same.covers_category
            groups = [ix for cat, ix in self._categories().items() if covers(cat)]
            found = tuple(groups[0] if len(groups) == 1 else sorted(itertools.chain(*groups)))
        else:
            matches, lines = same.matches, self.lines
            found = tuple([i for i in self._all if matches(lines[i].sku)])
        self._scopes[id(same)] = (same, found)
        return found

    def _categories(self) -> dict[tuple[str, ...], list[int]]:
        """The lines that are not gifts by their SKU's category, in line order."""
        found = self._by_category
        if found is None:
            found = self._by_category = {}
            lines = self.lines
            for i in self._all:
                found.setdefault(lines[i].sku.category, []).append(i)
        return found


class FenState:
    """`PriceState` in fen, changed in place: copy a state before trying something on it."""

    __slots__ = (
        "_seen", "adjustments", "amounts", "base", "blocked", "dry", "extras", "gifts",
        "not_applied", "shipping_fee",
    )

    def __init__(self, base: FenCart, extras: tuple[tuple[str, Any], ...] = ()) -> None:
        """The state before any stage: every line at its cart amount."""
        self.base = base
        self.amounts = list(base.originals)
        self.blocked = [0] * len(base.ids)
        """Per line, a bit ``1 << stage`` for every stage closed to it."""
        self.adjustments: tuple[FenAdjustment, ...] = ()
        self.not_applied: tuple[FenSkip, ...] = ()
        self.shipping_fee: int | None = None
        self.gifts: tuple[Line, ...] = ()
        self.extras = extras
        self.dry = False
        """Record what each adjustment takes off, without allocating it (see `dry_copy`)."""
        self._seen: dict[Any, Any] = {}
        """`eligible` answers (and their totals) while the amounts and closed stages last."""

    def copy(self) -> FenState:
        new = object.__new__(FenState)
        new.base = self.base
        new.amounts = self.amounts[:]
        # Shared: `apply` replaces ``blocked`` rather than changing it.
        new.blocked = self.blocked
        new.adjustments = self.adjustments
        new.not_applied = self.not_applied
        new.shipping_fee = self.shipping_fee
        new.gifts = self.gifts
        new.extras = self.extras
        new.dry = self.dry
        # Equal amounts, equal answers: `apply` gives a state its own memo.
        new._seen = self._seen
        return new

    def dry_copy(self) -> FenState:
        """A copy for asking what a rule alone would take off, at a fraction of the cost.

        Its adjustments carry the amount allocating would take, but no shares;
        it shares this state's line amounts, which it never changes.
        """
        new = self.copy()
        new.amounts = self.amounts
        new.dry = True
        return new

    @property
    def currency(self) -> str:
        return self.base.currency

    def eligible(self, stage: Stage, scope: ItemScope | None = None) -> list[int]:
        """`PriceState.eligible` as line indices (a list the caller must not change)."""
        blocked = self.blocked
        same = _same_scope(scope)
        key = (stage, id(same))
        hit = self._seen.get(key)
        if hit is not None and hit[0] is blocked and hit[1] is same:
            cached: list[int] = hit[2]
            return cached
        bit, amounts = 1 << stage, self.amounts
        found = [
            i for i in self.base.in_same_scope(same) if amounts[i] > 0 and not blocked[i] & bit
        ]
        self._seen[key] = (blocked, same, found)
        self._seen[id(found)] = (found, sum([amounts[i] for i in found]))
        return found

    def subtotal(self, idx: Iterable[int] | None = None) -> int:
        if idx is None:
            return sum(self.amounts)
        # The total of a list `eligible` gave is kept with it.
        hit = self._seen.get(id(idx))
        if hit is not None and hit[0] is idx:
            total: int = hit[1]
            return total
        amounts = self.amounts
        return sum(amounts[i] for i in idx)

    def stage_total(self, stage: Stage) -> int:
        return sum(a.amount for a in self.adjustments if a.stage is stage)

    def shipping_left(self) -> int:
        """The shipping fee not yet waived (`remaining_shipping_fee` in fen)."""
        fee = self.shipping_fee or 0
        return fee - sum(
            f for a in self.adjustments if a.stage is Stage.SHIPPING
            for i, f in a.shares if i == SHIPPING_INDEX
        )

    def facts(self, idx: Sequence[int] | None = None) -> Facts:
        """`PriceState.facts` over the lines ``idx`` (every line by default)."""
        from sirui.rules.conditions import Facts

        b = self.base
        chosen = range(len(b.ids)) if idx is None else idx
        c = b.cart
        return Facts(
            b.now, c.member, tuple(b.lines[i] for i in chosen),
            Money._raw(self.subtotal(chosen), b.currency), c.store, c.channel, c.fulfillment,
        )

    def skip(self, rule: str, stage: Stage, reason: ReasonLike, kind: str = "") -> None:
        self.not_applied = (*self.not_applied, FenSkip(rule, stage, reason, kind))

    def apply(self, adj: FenAdjustment) -> None:
        """Record ``adj`` and take its shares off the lines (the shipping share aside)."""
        if self.dry and any(i != SHIPPING_INDEX for i, _ in adj.shares):
            raise RuntimeError("a dry state shares its amounts: it never allocates")
        amounts, changed = self.amounts, False
        for i, fen in adj.shares:
            if i != SHIPPING_INDEX:
                amounts[i] -= fen
                changed = True
        if changed:
            self._seen = {}
        if adj.blocks:
            bits = sum(1 << s for s in adj.blocks)
            blocked = self.blocked[:]
            for i, _ in adj.shares:
                if i != SHIPPING_INDEX:
                    blocked[i] |= bits
            self.blocked = blocked
        self.adjustments = (*self.adjustments, adj)

    def with_extra(self, key: str, value: Any) -> None:
        self.extras = (*self.extras, (key, value))

    def extra(self, key: str, default: Any = None) -> Any:
        for k, v in reversed(self.extras):
            if k == key:
                return v
        return default
