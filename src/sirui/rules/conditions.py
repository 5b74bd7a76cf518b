"""Conditions: composable eligibility predicates that say why they failed.

A condition is a frozen policy evaluated against `Facts` (who, what, when,
where). ``a & b``, ``a | b`` and ``~a`` build `AllOf`, `AnyOf` and `Not`.
`Condition.evaluate` returns a `Verdict`: ``ok`` and, on failure, the
reasons (for `AnyOf`, the reason of every branch that failed).

    >>> from sirui.rules import TierIn, NewCustomer
    >>> rule = TierIn(frozenset({"gold", "diamond"})) | NewCustomer()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.nouns import Cart, Fulfillment, Line, Member, Order, _line_tuple
from sirui.core.registry import policy, policy_family
from sirui.core.windows import DateTime, MemberDay, MemberWeek, Window, aware
from sirui.core.zh import zh_datetime
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "AllOf",
    "Always",
    "AmountAtLeast",
    "AnyOf",
    "CategoryIn",
    "ChannelIn",
    "Condition",
    "Facts",
    "FulfillmentIs",
    "HasTag",
    "InMemberWeek",
    "NewCustomer",
    "Not",
    "OnMemberDay",
    "QuantityAtLeast",
    "SkuIn",
    "StoreIn",
    "TierIn",
    "Verdict",
    "WithinWindow",
]

NO_MEMBER = reason_code("condition.no_member", zh="需要会员身份", en="Requires a member")
TIER_NOT_IN = reason_code(
    "condition.tier_not_in", zh="仅限{allowed}等级会员", en="Only for tiers: {allowed}"
)
TAG_MISSING = reason_code(
    "condition.tag_missing", zh="仅限带有标签“{tag}”的会员", en="Only for members tagged {tag}"
)
NOT_NEW = reason_code(
    "condition.not_new_customer", zh="仅限新客（首单）", en="Only for new customers (first order)"
)
STORE_NOT_IN = reason_code(
    "condition.store_not_in", zh="仅限门店：{allowed}", en="Only in stores: {allowed}"
)
CATEGORY_NOT_IN = reason_code(
    "condition.category_not_in",
    zh="购物车中没有指定类目商品：{allowed}",
    en="No item from categories: {allowed}",
)
SKU_NOT_IN = reason_code(
    "condition.sku_not_in", zh="购物车中没有指定商品：{allowed}", en="No item among: {allowed}"
)
BELOW_AMOUNT = reason_code(
    "condition.below_amount",
    zh="金额满{threshold}可用，还差{short}",
    en="Needs {threshold} or more; {short} to go",
)
BELOW_QUANTITY = reason_code(
    "condition.below_quantity",
    zh="需购买满{n}件，还差{short}件",
    en="Needs {n} items or more; {short} to go",
)
OUTSIDE_WINDOW = reason_code(
    "condition.outside_window",
    zh="不在活动时间内（{start_zh} 至 {end_zh}）",
    en="Outside the window {start} to {end}",
)
NOT_MEMBER_DAY = reason_code("condition.not_member_day", zh="仅限会员日", en="Only on member day")
NOT_MEMBER_WEEK = reason_code(
    "condition.not_member_week", zh="仅限会员周", en="Only in member week"
)
CHANNEL_NOT_IN = reason_code(
    "condition.channel_not_in", zh="仅限渠道：{allowed}", en="Only through channels: {allowed}"
)
WRONG_FULFILLMENT = reason_code(
    "condition.wrong_fulfillment", zh="仅限{mode_zh}订单", en="Only for {mode} orders"
)
EXCLUDED = reason_code(
    "condition.excluded", zh="不满足条件：非（{what}）", en="Excluded: not ({what})"
)


@attrs.frozen(slots=True)
class Facts:
    """What a condition may look at: member, lines, amount, store, channel, time.

    ``amount`` is what thresholds compare against; it defaults to the sum of
    ``lines`` (a pipeline passes the running amount after earlier stages).
    """

    now: DateTime = attrs.field(converter=aware)
    member: Member | None = None
    lines: tuple[Line, ...] = attrs.field(default=(), converter=_line_tuple)
    amount: Money | None = None
    store: str | None = None
    channel: str | None = None
    fulfillment: Fulfillment | None = None

    @classmethod
    def of_cart(cls, cart: Cart, now: DateTime, amount: Money | None = None) -> Facts:
        return cls(now, cart.member, cart.lines, amount, cart.store, cart.channel, cart.fulfillment)

    @classmethod
    def of_order(cls, order: Order, now: DateTime | None = None) -> Facts:
        return cls(
            now or order.paid_at or order.placed_at,
            order.member,
            order.lines,
            None,
            order.store,
            order.attribution.channel,
            order.fulfillment,
        )

    @property
    def total(self) -> Money:
        if self.amount is not None:
            return self.amount
        cur = self.lines[0].unit_price.currency if self.lines else "CNY"
        return Money(sum(ln.unit_price.minor * ln.quantity for ln in self.lines), cur)

    @property
    def quantity(self) -> int:
        return sum(ln.quantity for ln in self.lines if not ln.gift)


@attrs.frozen(slots=True)
class Verdict:
    """A condition's answer: ``ok``, and the reasons when not."""

    ok: bool
    reasons: tuple[Reason, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


_PASS = Verdict(True)


def _fail(reason: Reason) -> Verdict:
    return Verdict(False, (reason,))


@policy_family
class Condition:
    """An eligibility predicate. Combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def evaluate(self, facts: Facts) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def holds(self, facts: Facts) -> bool:
        return self.evaluate(facts).ok

    def describe(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__

    def __and__(self, other: Condition) -> AllOf:
        return AllOf(_flatten(AllOf, (self, other)))

    def __or__(self, other: Condition) -> AnyOf:
        return AnyOf(_flatten(AnyOf, (self, other)))

    def __invert__(self) -> Condition:
        return self.of if isinstance(self, Not) else Not(self)


def _flatten(kind: type[AllOf] | type[AnyOf], items: Iterable[Condition]) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for c in items:
        if not isinstance(c, Condition):
            raise invalid("condition", c, "must be a Condition")
        out.extend(c.items if isinstance(c, kind) else (c,))
    return tuple(out)


def _conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    items = tuple(value)
    for i, c in enumerate(items):
        if not isinstance(c, Condition):
            raise invalid(f"items[{i}]", c, "must be a Condition")
    return items


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if len(value) == 0:
        raise invalid(attribute.name, value, "must not be empty")


def _str_set(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


@policy("condition.always")
@attrs.frozen(slots=True)
class Always(Condition):
    """Always true: the default condition of a rule without restrictions."""

    def evaluate(self, facts: Facts) -> Verdict:
        return _PASS

    def describe(self) -> str:
        return "always"


@policy("condition.all_of")
@attrs.frozen(slots=True)
class AllOf(Condition):
    """Every item holds (``a & b``). Fails with the reasons of every failing item."""

    items: tuple[Condition, ...] = attrs.field(converter=_conditions, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        reasons: list[Reason] = []
        for c in self.items:
            v = c.evaluate(facts)
            if not v.ok:
                reasons.extend(v.reasons)
        return Verdict(False, tuple(reasons)) if reasons else _PASS

    def holds(self, facts: Facts) -> bool:
        return all(c.holds(facts) for c in self.items)

    def describe(self) -> str:
        return " and ".join(f"({c.describe()})" for c in self.items)


@policy("condition.any_of")
@attrs.frozen(slots=True)
class AnyOf(Condition):
    """At least one item holds (``a | b``)."""

    items: tuple[Condition, ...] = attrs.field(converter=_conditions, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        reasons: list[Reason] = []
        for c in self.items:
            v = c.evaluate(facts)
            if v.ok:
                return _PASS
            reasons.extend(v.reasons)
        return Verdict(False, tuple(reasons))

    def holds(self, facts: Facts) -> bool:
        return any(c.holds(facts) for c in self.items)

    def describe(self) -> str:
        return " or ".join(f"({c.describe()})" for c in self.items)


@policy("condition.not")
@attrs.frozen(slots=True)
class Not(Condition):
    """The item does not hold (``~a``)."""

    of: Condition

    def evaluate(self, facts: Facts) -> Verdict:
        return _fail(EXCLUDED(what=self.of.describe())) if self.of.holds(facts) else _PASS

    def describe(self) -> str:
        return f"not ({self.of.describe()})"


@policy("condition.tier_in")
@attrs.frozen(slots=True)
class TierIn(Condition):
    """The member's tier is one of ``tiers`` (仅限等级)."""

    tiers: frozenset[str] = attrs.field(converter=_str_set, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        m = facts.member
        if m is None:
            return _fail(NO_MEMBER())
        return _PASS if m.tier in self.tiers else _fail(TIER_NOT_IN(allowed=self.tiers))

    def describe(self) -> str:
        return f"tier in {sorted(self.tiers)}"


@policy("condition.has_tag")
@attrs.frozen(slots=True)
class HasTag(Condition):
    """The member carries ``tag`` (会员标签)."""

    tag: str

    def evaluate(self, facts: Facts) -> Verdict:
        m = facts.member
        if m is None:
            return _fail(NO_MEMBER())
        return _PASS if self.tag in m.tags else _fail(TAG_MISSING(tag=self.tag))

    def describe(self) -> str:
        return f"has tag {self.tag}"


@policy("condition.new_customer")
@attrs.frozen(slots=True)
class NewCustomer(Condition):
    """The member has no paid order yet (新客)."""

    def evaluate(self, facts: Facts) -> Verdict:
        m = facts.member
        if m is None:
            return _fail(NO_MEMBER())
        return _PASS if m.is_new_customer else _fail(NOT_NEW())

    def describe(self) -> str:
        return "new customer"


@policy("condition.store_in")
@attrs.frozen(slots=True)
class StoreIn(Condition):
    """The order's store is one of ``stores`` (适用门店)."""

    stores: frozenset[str] = attrs.field(converter=_str_set, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        return _PASS if facts.store in self.stores else _fail(STORE_NOT_IN(allowed=self.stores))

    def describe(self) -> str:
        return f"store in {sorted(self.stores)}"


def _paths(value: Iterable[str] | str) -> frozenset[str]:
    items = (value,) if isinstance(value, str) else tuple(value)
    out = set()
    for p in items:
        if not isinstance(p, str) or not p.strip("/ "):
            raise invalid("categories", p, "must be a category path like '母婴/奶粉'")
        out.add("/".join(x.strip() for x in p.split("/") if x.strip()))
    return frozenset(out)


@policy("condition.category_in")
@attrs.frozen(slots=True)
class CategoryIn(Condition):
    """Some (non-gift) line is in one of ``categories`` (paths like ``"母婴/奶粉"``)."""

    categories: frozenset[str] = attrs.field(converter=_paths, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        for ln in facts.lines:
            if not ln.gift and any(ln.sku.in_category(p) for p in self.categories):
                return _PASS
        return _fail(CATEGORY_NOT_IN(allowed=self.categories))

    def describe(self) -> str:
        return f"category in {sorted(self.categories)}"


@policy("condition.sku_in")
@attrs.frozen(slots=True)
class SkuIn(Condition):
    """Some (non-gift) line is one of ``skus``."""

    skus: frozenset[str] = attrs.field(converter=_str_set, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        if any(ln.sku.id in self.skus and not ln.gift for ln in facts.lines):
            return _PASS
        return _fail(SKU_NOT_IN(allowed=self.skus))

    def describe(self) -> str:
        return f"sku in {sorted(self.skus)}"


def _threshold(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or value.minor < 0:
        raise invalid(attribute.name, value, "must be Money >= 0", "e.g. Money.of('99')")


@policy("condition.amount_at_least")
@attrs.frozen(slots=True)
class AmountAtLeast(Condition):
    """The amount reaches ``threshold`` (满X元)."""

    threshold: Money = attrs.field(validator=_threshold)

    def evaluate(self, facts: Facts) -> Verdict:
        total = facts.total
        if total >= self.threshold:
            return _PASS
        return _fail(BELOW_AMOUNT(threshold=self.threshold, short=self.threshold - total))

    def describe(self) -> str:
        return f"amount >= {self.threshold}"


def _at_least_one(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 1:
        raise invalid(attribute.name, value, "must be an int >= 1")


@policy("condition.quantity_at_least")
@attrs.frozen(slots=True)
class QuantityAtLeast(Condition):
    """The cart holds at least ``n`` items, gifts not counted (满N件)."""

    n: int = attrs.field(validator=_at_least_one)

    def evaluate(self, facts: Facts) -> Verdict:
        q = facts.quantity
        return _PASS if q >= self.n else _fail(BELOW_QUANTITY(n=self.n, short=self.n - q))

    def describe(self) -> str:
        return f"quantity >= {self.n}"


@policy("condition.within_window")
@attrs.frozen(slots=True)
class WithinWindow(Condition):
    """``now`` falls in ``window`` (活动时间)."""

    window: Window

    def evaluate(self, facts: Facts) -> Verdict:
        if self.window.contains(facts.now):
            return _PASS
        start, end = self.window.start, self.window.end
        return _fail(OUTSIDE_WINDOW(
            start=start.isoformat(), end="-" if end is None else end.isoformat(),
            start_zh=zh_datetime(start), end_zh="长期有效" if end is None else zh_datetime(end),
        ))

    def describe(self) -> str:
        return f"within {self.window.start.isoformat()}..{self.window.end}"


@policy("condition.on_member_day")
@attrs.frozen(slots=True)
class OnMemberDay(Condition):
    """``now`` is a member day (会员日)."""

    day: MemberDay

    def evaluate(self, facts: Facts) -> Verdict:
        return _PASS if self.day.is_member_day(facts.now) else _fail(NOT_MEMBER_DAY())

    def describe(self) -> str:
        return "member day"


@policy("condition.in_member_week")
@attrs.frozen(slots=True)
class InMemberWeek(Condition):
    """``now`` is in member week (会员周)."""

    week: MemberWeek

    def evaluate(self, facts: Facts) -> Verdict:
        return _PASS if self.week.contains(facts.now) else _fail(NOT_MEMBER_WEEK())

    def describe(self) -> str:
        return "member week"


@policy("condition.channel_in")
@attrs.frozen(slots=True)
class ChannelIn(Condition):
    """The order came through one of ``channels`` (小程序, 社群, 直播, ...)."""

    channels: frozenset[str] = attrs.field(converter=_str_set, validator=_non_empty)

    def evaluate(self, facts: Facts) -> Verdict:
        if facts.channel in self.channels:
            return _PASS
        return _fail(CHANNEL_NOT_IN(allowed=self.channels))

    def describe(self) -> str:
        return f"channel in {sorted(self.channels)}"


_MODE_ZH = {Fulfillment.DELIVERY: "配送", Fulfillment.PICKUP: "到店自提"}


@policy("condition.fulfillment_is")
@attrs.frozen(slots=True)
class FulfillmentIs(Condition):
    """The order is fulfilled by ``mode`` (delivery or store pickup)."""

    mode: Fulfillment

    def evaluate(self, facts: Facts) -> Verdict:
        if facts.fulfillment is self.mode:
            return _PASS
        return _fail(WRONG_FULFILLMENT(mode=self.mode.value, mode_zh=_MODE_ZH[self.mode]))

    def describe(self) -> str:
        return f"fulfillment is {self.mode.value}"
