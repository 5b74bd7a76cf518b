"""Discounts by rate and by item count: 折扣, N元任选, 第N件X折, 买N送M.

* `PercentageDiscount` (打折): the eligible lines at ``rate`` (0.9 is 9折),
  the discount optionally capped (最高减50). ``rounding_scope`` says where
  the fraction of a fen is rounded (half up): once on the eligible subtotal
  (`RoundingScope.PER_ORDER`, the default) or on each line
  (`RoundingScope.PER_LINE`, as 会员价 does).
* `BundlePrice` (N元任选): any ``n`` eligible items for ``price``; the most
  expensive items are bundled first (the shopper's best choice), as many
  bundles as the items allow (or ``max_bundles``).
* `NthItemDiscount` (第N件X折, 第二件半价): every ``n``-th item at ``rate``;
  within each group the dearer items count first, so the discounted ones are
  the cheaper of each set.
* `BuyNGetMFree` (买N送M): in each set of ``buy + free`` items, the ``free``
  cheapest are free; as many sets as the items allow (or ``max_sets``: 每单限
  1次 is ``max_sets=1``, the sets that save most kept).

Items are units of lines. A line's current amount is split equally over its
units (largest remainder, so the units sum to the line exactly). Groups are
per SKU by default (``per_sku=True``: 同款第二件半价); ``per_sku=False`` pools
every eligible item (任选). Units sort by value, then line id, then position,
so the result never depends on cart order. The discount is computed exactly,
rounded once (half-up), then allocated over the lines that contributed, in
proportion to what each contributed.
"""

from __future__ import annotations

import enum
import itertools
import operator
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.nouns import Line
from sirui.core.registry import policy
from sirui.core.validators import (
    is_instance_of,
    opt_positive_money,
    positive_int,
    positive_money,
)
from sirui.promotions.base import NOTHING_OFF, PromotionBase, gate_fen, pay_rate, take_fen
from sirui.rules.pricing import FenState, PricedLine, PriceState, Stage, times_fen
from sirui.rules.reasons import reason_code

__all__ = [
    "BundlePrice",
    "BuyNGetMFree",
    "NthItemDiscount",
    "PercentageDiscount",
    "RoundingScope",
    "units_of",
]

BELOW_QUANTITY = reason_code(
    "promotion.below_quantity",
    zh="满{n}件可享优惠，还差{short}件",
    en="Buy {n} items to get the offer; {short} to go",
)
PERCENTAGE_APPLIED = reason_code(
    "promotion.percentage", zh="{rate}折，减{off}", en="Pay {rate} of the price: {off} off"
)
BUNDLE_APPLIED = reason_code(
    "promotion.bundle_price",
    zh="{price}任选{n}件（{bundles}组），减{off}",
    en="Any {n} for {price} ({bundles} sets): {off} off",
)
NTH_APPLIED = reason_code(
    "promotion.nth_item",
    zh="第{n}件{rate}折（{count}件），减{off}",
    en="Every item number {n} at {rate} ({count} items): {off} off",
)
FREE_APPLIED = reason_code(
    "promotion.buy_n_get_m",
    zh="买{buy}送{free}（{count}件免费），减{off}",
    en="Buy {buy} get {free} free ({count} items free): {off} off",
)


def _zhe(rate: Decimal) -> str:
    """9.5折 style of a pay rate (0.95 -> 9.5)."""
    return f"{(rate * 10).normalize():f}"


@attrs.frozen(slots=True)
class _Unit:
    value: int
    line: PricedLine
    position: int


def units_of(lines: Iterable[PricedLine]) -> list[_Unit]:
    """Every unit of ``lines`` with its share of the line's current amount (fen)."""
    lines = tuple(lines)
    rows = _unit_rows([(pl.id, pl.line, pl.amount.minor) for pl in lines])
    return [_Unit(-r[0], lines[r[3]], r[2]) for r in rows]


_Row = tuple[int, str, int, int, str]
"""A unit: its value negated (dearest sorts first), line id, position, line number, SKU id."""


def _unit_rows(lines: Sequence[tuple[str, Line, int]]) -> list[_Row]:
    """Units of ``(line id, cart line, fen)``: each line split equally, largest remainder."""
    out: list[_Row] = []
    for k, (lid, line, amount) in enumerate(lines):
        q = line.quantity
        base, extra = divmod(amount, q)
        sku = line.sku.id
        # The first ``extra`` units carry the remainder's fen.
        out += [(-base - 1, lid, i, k, sku) for i in range(extra)]
        out += [(-base, lid, i, k, sku) for i in range(extra, q)]
    return out


def _groups(rows: list[_Row], per_sku: bool) -> list[list[_Row]]:
    """Units by SKU (SKU order) or pooled, each group dearest first, then line id, position."""
    if not per_sku:
        return [sorted(rows)]
    by_sku: dict[str, list[_Row]] = {}
    for _, units in itertools.groupby(rows, _LINE):  # a line's units come together
        chunk = list(units)
        by_sku.setdefault(chunk[0][4], []).extend(chunk)
    return [sorted(by_sku[k]) for k in sorted(by_sku)]


_LINE = operator.itemgetter(3)


def _sums(picked: Iterable[_Row]) -> dict[int, int]:
    """Fen of the picked units per line number."""
    out: dict[int, int] = {}
    for r in picked:
        out[r[3]] = out.get(r[3], 0) - r[0]
    return out


def _half_up(num: int, den: int) -> int:
    return (2 * num + den) // (2 * den)


def _spread(
    parts: dict[int, int], num: int, den: int, per_line: bool = False
) -> tuple[int, list[int], list[int]]:
    """Each line's part times ``num / den`` exactly; the total rounded once (half-up).

    Returns the total and, in line order, the contributing line numbers and
    their weights (each part rounded, at least 1 fen). With ``per_line``
    each line's part is rounded on its own and the total is their sum (the
    weights are then the shares; a line whose part rounds to 0 drops out).
    """
    chosen = sorted(k for k, v in parts.items() if v * num > 0)
    if per_line:
        offs = [_half_up(parts[k] * num, den) for k in chosen]
        kept = [(k, o) for k, o in zip(chosen, offs, strict=True) if o]
        return sum(offs), [k for k, _ in kept], [o for _, o in kept]
    total = _half_up(sum(parts.values()) * num, den)
    return total, chosen, [max(_half_up(parts[k] * num, den), 1) for k in chosen]


def _nth_picked(rows: list[_Row], n: int, per_sku: bool) -> tuple[list[_Row], int]:
    """Every ``n``-th unit of each group, and the size of the largest group."""
    groups = _groups(rows, per_sku)
    return [r for g in groups for r in g[n - 1 :: n]], max(len(g) for g in groups)


def _free_picked(
    rows: list[_Row], buy: int, free: int, per_sku: bool, max_sets: int | None = None
) -> tuple[list[_Row], int]:
    """The ``free`` cheapest of each set of ``buy + free`` units, and the largest group size.

    With ``max_sets`` only the sets whose free units are worth most count
    (ties: the earlier group, then the earlier set). Within a group units go
    dearest first, so the sets kept are each group's first ones.
    """
    size = buy + free
    groups = _groups(rows, per_sku)
    most = max(len(g) for g in groups)
    sets = [g[start : start + size][buy:] for g in groups for start in range(0, len(g), size)]
    sets = [s for s in sets if s]
    if max_sets is not None and len(sets) > max_sets:
        # sorted() is stable: equal savings keep group order, then set order.
        sets = sorted(sets, key=lambda s: sum(r[0] for r in s))[:max_sets]
    return [r for s in sets for r in s], most


def _rows_of(lines: Sequence[PricedLine]) -> list[_Row]:
    return _unit_rows([(pl.id, pl.line, pl.amount.minor) for pl in lines])


def _rows_fen(fs: FenState, idx: Sequence[int]) -> list[_Row]:
    b, amounts = fs.base, fs.amounts
    return _unit_rows([(b.ids[i], b.lines[i], amounts[i]) for i in idx])


def _ratio(rate: Decimal) -> tuple[int, int]:
    """``1 - rate`` as ``(numerator, denominator)``: the share an item at ``rate`` saves."""
    p, q = rate.as_integer_ratio()
    return q - p, q


class RoundingScope(enum.Enum):
    """Where a percentage discount rounds the fraction of a fen (half up, 四舍五入)."""

    PER_ORDER = "per_order"
    """Once, on the eligible subtotal; the discount is then allocated over the
    lines by their amounts, exactly (the default: the shopper's total is the
    subtotal at the rate)."""
    PER_LINE = "per_line"
    """On each line, as 会员价 does: each line keeps its own rounded discount,
    so a line's price is the line at the rate whatever else is in the cart."""


_rounding_scope = is_instance_of(
    RoundingScope, "a RoundingScope", "e.g. RoundingScope.PER_LINE (config: \"per_line\")"
)


@policy("promotion.percentage")
@attrs.frozen(slots=True)
class PercentageDiscount(PromotionBase):
    """打折: the eligible lines at ``rate`` of their price, the discount capped at ``cap``.

    ``rounding_scope`` (default `RoundingScope.PER_ORDER`) rounds the discount
    once on the eligible subtotal; `RoundingScope.PER_LINE` rounds it on each
    line and sums. The cap applies to the total either way (a capped
    per-line discount is allocated in proportion to the lines' own discounts).
    """

    rate: Decimal = attrs.field(kw_only=True, converter=pay_rate)
    cap: Money | None = attrs.field(default=None, kw_only=True, validator=opt_positive_money)
    rounding_scope: RoundingScope = attrs.field(
        default=RoundingScope.PER_ORDER, kw_only=True, validator=_rounding_scope
    )

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def discount_for(self, base: Money) -> Money:
        """The discount on one amount ``base`` (an order's subtotal, or one line), capped."""
        off = base - base.times(self.rate)
        return off if self.cap is None else off.min(self.cap)

    def discount_for_fen(self, base: int) -> int:
        """`discount_for` in fen."""
        off = base - times_fen(base, self.rate)
        return off if self.cap is None else min(off, self.cap.minor)

    def line_discounts_fen(self, amounts: Sequence[int]) -> list[int]:
        """Each amount's own discount at the rate, rounded half up, before the cap."""
        p, q = self.rate.as_integer_ratio()
        return [a - (2 * a * p + q) // (2 * q) for a in amounts]

    def _per_line(self, amounts: Sequence[int]) -> tuple[int, list[int], bool]:
        """(total off, each line's discount, whether the weights are the shares exactly)."""
        offs = self.line_discounts_fen(amounts)
        total = sum(offs)
        if self.cap is not None and total > self.cap.minor:
            return self.cap.minor, offs, False
        return total, offs, True

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        weights: list[Money] | None = None
        if self.rounding_scope is RoundingScope.PER_LINE:
            cur = state.currency
            total, offs, _ = self._per_line([pl.amount.minor for pl in lines])
            lines = tuple(pl for pl, o in zip(lines, offs, strict=True) if o)
            weights = [Money(o, cur) for o in offs if o]
            off = Money(total, cur)
        else:
            off = self.discount_for(state.subtotal(lines))
        if off.is_zero():
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        reason = PERCENTAGE_APPLIED(rate=_zhe(self.rate), off=off)
        return self._apply(state, off, lines, reason=reason, weights=weights)

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        weights: list[int] | None = None
        exact = False
        if self.rounding_scope is RoundingScope.PER_LINE:
            amounts = fs.amounts
            off, offs, exact = self._per_line([amounts[i] for i in idx])
            idx = [i for i, o in zip(idx, offs, strict=True) if o]
            weights = [o for o in offs if o]
        else:
            off = self.discount_for_fen(fs.subtotal(idx))
        if off == 0:
            fs.skip(self.id, self.stage, NOTHING_OFF, self.kind)
            return
        cur = fs.currency
        take_fen(self, fs, self.stage, off, idx, blocks=self.blocks, weights=weights, exact=exact,
                 reason=lambda: PERCENTAGE_APPLIED(rate=_zhe(self.rate), off=Money._raw(off, cur)))


@policy("promotion.bundle_price")
@attrs.frozen(slots=True)
class BundlePrice(PromotionBase):
    """N元任选: any ``n`` eligible items for ``price`` (3件99元), repeated per set."""

    n: int = attrs.field(kw_only=True, validator=positive_int)
    price_per_bundle: Money = attrs.field(kw_only=True, validator=positive_money)
    max_bundles: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.max_bundles is not None and (
            type(self.max_bundles) is not int or self.max_bundles < 1
        ):
            raise invalid("max_bundles", self.max_bundles, "must be an int >= 1 or None")
        if self.n < 2:
            raise invalid(
                "n", self.n, "must be >= 2 for a bundle", "use a member or activity price"
            )

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def _bundle(self, rows: list[_Row]) -> tuple[int, int, dict[int, int]] | int:
        """``(bundles, fen off, fen bundled per line number)``, or the units short of a bundle."""
        rows.sort()
        bundles = len(rows) // self.n
        if self.max_bundles is not None:
            bundles = min(bundles, self.max_bundles)
        if bundles == 0:
            return self.n - len(rows)
        bundled = rows[: bundles * self.n]
        return bundles, -sum(r[0] for r in bundled) - self.price_per_bundle.minor * bundles, \
            _sums(bundled)

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        found = self._bundle(_rows_of(lines))
        if isinstance(found, int):
            return state.skip(
                self.id, self.stage, BELOW_QUANTITY(n=self.n, short=found), self.kind
            )
        bundles, off_minor, parts = found
        if off_minor <= 0:
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        chosen = [pl for k, pl in enumerate(lines) if k in parts]
        weights = [Money(parts[k], state.currency) for k, pl in enumerate(lines) if k in parts]
        off = Money(off_minor, state.currency)
        reason = BUNDLE_APPLIED(price=self.price_per_bundle, n=self.n, bundles=bundles, off=off)
        return self._apply(state, off, chosen, reason=reason, weights=weights)

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        found = self._bundle(_rows_fen(fs, idx))
        if isinstance(found, int):
            short = found
            fs.skip(self.id, self.stage, lambda: BELOW_QUANTITY(n=self.n, short=short), self.kind)
            return
        bundles, off_minor, parts = found
        if off_minor <= 0:
            fs.skip(self.id, self.stage, NOTHING_OFF, self.kind)
            return
        at = [k for k in range(len(idx)) if k in parts]
        off = Money._raw(off_minor, fs.currency)
        take_fen(self, fs, self.stage, off_minor, [idx[k] for k in at],
                 weights=[parts[k] for k in at], blocks=self.blocks,
                 reason=lambda: BUNDLE_APPLIED(price=self.price_per_bundle, n=self.n,
                                               bundles=bundles, off=off))


@policy("promotion.nth_item")
@attrs.frozen(slots=True)
class NthItemDiscount(PromotionBase):
    """第N件X折: every ``n``-th item at ``rate`` (第二件半价: ``n=2, rate=0.5``).

    ``rounding_scope`` (default `RoundingScope.PER_ORDER`) rounds the discount
    once over every discounted item; `RoundingScope.PER_LINE` rounds each
    line's part and sums (two lines of 9.99 at 第二件半价 take 9.99 off per
    order, 5.00 + 5.00 per line).
    """

    n: int = attrs.field(kw_only=True, validator=positive_int)
    rate: Decimal = attrs.field(kw_only=True, converter=pay_rate)
    per_sku: bool = attrs.field(default=True, kw_only=True)
    rounding_scope: RoundingScope = attrs.field(
        default=RoundingScope.PER_ORDER, kw_only=True, validator=_rounding_scope
    )

    def __attrs_post_init__(self) -> None:
        if self.n < 2:
            raise invalid(
                "n", self.n, "must be >= 2", "for every item at a rate use PercentageDiscount"
            )
        if self.rate == 1:
            raise invalid("rate", self.rate, "must be below 1 to give anything")

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        picked, most = _nth_picked(_rows_of(lines), self.n, self.per_sku)
        if not picked:
            return state.skip(
                self.id, self.stage, BELOW_QUANTITY(n=self.n, short=self.n - most), self.kind
            )
        total, at, weights = _spread(
            _sums(picked), *_ratio(self.rate), self.rounding_scope is RoundingScope.PER_LINE
        )
        if total == 0:
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        cur = state.currency
        off = Money(total, cur)
        reason = NTH_APPLIED(n=self.n, rate=_zhe(self.rate), count=len(picked), off=off)
        return self._apply(
            state, off, [lines[k] for k in at], reason=reason,
            weights=[Money(w, cur) for w in weights],
        )

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        picked, most = _nth_picked(_rows_fen(fs, idx), self.n, self.per_sku)
        if not picked:
            fs.skip(self.id, self.stage,
                    lambda: BELOW_QUANTITY(n=self.n, short=self.n - most), self.kind)
            return
        total, at, weights = _spread(
            _sums(picked), *_ratio(self.rate), self.rounding_scope is RoundingScope.PER_LINE
        )
        if total == 0:
            fs.skip(self.id, self.stage, NOTHING_OFF, self.kind)
            return
        off, count = Money._raw(total, fs.currency), len(picked)
        take_fen(self, fs, self.stage, total, [idx[k] for k in at], weights=weights,
                 blocks=self.blocks,
                 reason=lambda: NTH_APPLIED(n=self.n, rate=_zhe(self.rate), count=count, off=off))


@policy("promotion.buy_n_get_m")
@attrs.frozen(slots=True)
class BuyNGetMFree(PromotionBase):
    """买N送M: in each set of ``buy + free`` items the ``free`` cheapest cost nothing.

    ``max_sets`` limits how many sets an order gets free items for (每单限
    ``max_sets`` 次); ``None`` (the default) is as many as the items allow. The
    sets kept are those that save the shopper most. 买2送1, once per order,
    on six items at 10 yuan pays 50:

    >>> from sirui.core.nouns import Cart, Line, Member, Sku
    >>> from sirui.core import Money
    >>> from sirui.rules import PriceState
    >>> import pendulum
    >>> six = Cart(Member("m"), (Line("L1", Sku("A", Money.of("10")), 6),))
    >>> s = PriceState.start(six, pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
    >>> BuyNGetMFree("b2g1", buy=2, free=1, max_sets=1).price(s).subtotal()
    Money('50.00', 'CNY')
    """

    buy: int = attrs.field(kw_only=True, validator=positive_int)
    free: int = attrs.field(kw_only=True, validator=positive_int)
    per_sku: bool = attrs.field(default=True, kw_only=True)
    max_sets: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.max_sets is not None and (type(self.max_sets) is not int or self.max_sets < 1):
            raise invalid(
                "max_sets", self.max_sets, "must be an int >= 1 or None",
                "use None for no limit, 1 for once per order (每单限1次)",
            )

    @property
    def stage(self) -> Stage:
        return Stage.PROMOTION

    def price(self, state: PriceState) -> PriceState:
        lines, skipped = self._gate(state)
        if skipped is not None:
            return skipped
        picked, most = _free_picked(_rows_of(lines), self.buy, self.free, self.per_sku,
                                     self.max_sets)
        if not picked:
            need = self.buy + 1
            return state.skip(
                self.id, self.stage, BELOW_QUANTITY(n=need, short=need - most), self.kind
            )
        total, at, weights = _spread(_sums(picked), 1, 1)
        if total == 0:
            return state.skip(self.id, self.stage, NOTHING_OFF(), self.kind)
        cur = state.currency
        off = Money(total, cur)
        reason = FREE_APPLIED(buy=self.buy, free=self.free, count=len(picked), off=off)
        return self._apply(
            state, off, [lines[k] for k in at], reason=reason,
            weights=[Money(w, cur) for w in weights],
        )

    def price_fen(self, fs: FenState) -> None:
        """`price` in fen."""
        idx = gate_fen(self, fs, self.stage, self.window)
        if idx is None:
            return
        picked, most = _free_picked(_rows_fen(fs, idx), self.buy, self.free, self.per_sku,
                                     self.max_sets)
        if not picked:
            need = self.buy + 1
            fs.skip(self.id, self.stage,
                    lambda: BELOW_QUANTITY(n=need, short=need - most), self.kind)
            return
        total, at, weights = _spread(_sums(picked), 1, 1)
        if total == 0:
            fs.skip(self.id, self.stage, NOTHING_OFF, self.kind)
            return
        off, count = Money._raw(total, fs.currency), len(picked)
        take_fen(self, fs, self.stage, total, [idx[k] for k in at], weights=weights,
                 blocks=self.blocks,
                 reason=lambda: FREE_APPLIED(buy=self.buy, free=self.free, count=count, off=off))
