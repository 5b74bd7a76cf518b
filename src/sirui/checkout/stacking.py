"""Stacking rules (叠加规则): which promotions and coupons combine, and in what order.

The checkout asks a `StackingPolicy` four questions, and nothing else:

* the priority of a promotion within its stage (higher applies first; the
  policy may override the promotion's own ``priority`` by id);
* the exclusion groups a promotion belongs to (its own ``group`` and any
  group the policy lists it in): at most one promotion of a group applies,
  the one that saves the shopper most;
* whether a promotion is exclusive (its own flag, or listed by the policy):
  when it applies, no other promotion of its stage does;
* how many coupons of each slot (kind) an order may use, whether a coupon
  stacks with promotions, and the order in which coupon slots apply.

The defaults follow common Chinese mall behaviour (有赞/微盟-style malls):
one store coupon (店铺券), one item or exchange coupon (商品券/兑换券) and one
free-shipping coupon (运费券) per order; coupons stack with order promotions
unless the coupon template or the policy says otherwise; item and exchange
coupons apply before the store coupon, so a store coupon's threshold is
checked against the amount left after item coupons.

Invariants: a policy is data (round-trips through `sirui.config`), slot
limits are >= 0, no slot appears in two limits, priorities are unique per id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, Generic, Protocol, TypeVar

import attrs

from sirui.core.errors import invalid
from sirui.core.registry import policy
from sirui.core.validators import int_at_least, optional
from sirui.rules.reasons import reason_code

__all__ = [
    "DEFAULT_COUPON_ORDER",
    "DEFAULT_SLOT_LIMITS",
    "ExclusionGroup",
    "RulePriority",
    "SlotLimit",
    "StackingOptions",
    "StackingPolicy",
    "stacking_options",
]

EXCLUDED_BY_GROUP = reason_code(
    "stacking.excluded_by_group",
    zh="与“{chosen}”同属互斥组{group}，后者更优惠（省{chosen_saves}，本活动省{saves}）",
    en="Same exclusion group {group} as {chosen}, which saves more ({chosen_saves} vs {saves})",
)
EXCLUDED_BY_EXCLUSIVE = reason_code(
    "stacking.excluded_by_exclusive",
    zh="活动“{chosen}”不与其他活动同享，且更优惠（省{chosen_saves}，其他组合省{saves}）",
    en="Exclusive promotion {chosen} applies alone and saves more ({chosen_saves} vs {saves})",
)
EXCLUSIVE_SAVES_LESS = reason_code(
    "stacking.exclusive_saves_less",
    zh="该活动不与其他活动同享，单独使用省{saves}，少于其他组合的{chosen_saves}",
    en="Exclusive: alone it saves {saves}, less than the other promotions' {chosen_saves}",
)
SLOT_FULL = reason_code(
    "stacking.slot_full",
    zh="每单限用{limit}张{slot_zh}，已选{chosen}（共省{combination}，本券单用省{alone}）",
    en="At most {limit} {slot} coupon(s) per order; chose {chosen} "
    "(saves {combination}; this one alone saves {alone})",
)
PINNED_OVER_LIMIT = reason_code(
    "stacking.pinned_over_limit",
    zh="每单限用{limit}张{slot_zh}，已选{chosen}",
    en="At most {limit} {slot} coupon(s) per order; {chosen} already chosen",
)

#: How zh messages name each coupon slot (店铺券, 平台券, ...); others show as "<slot>券".
SLOT_NAMES_ZH: Final = {
    "store": "店铺券", "platform": "平台券", "item": "商品券", "shipping": "运费券",
    "exchange": "兑换券", "member": "会员券", "new_customer": "新客券",
}


def slot_label_zh(slots: Iterable[str]) -> str:
    """``店铺券/平台券``: the zh name of a slot group, never the raw slot ids."""
    return "/".join(SLOT_NAMES_ZH.get(s, f"{s}券") for s in sorted(slots))


ORDER_LIMIT = reason_code(
    "stacking.order_limit",
    zh="每单最多用{limit}张券",
    en="At most {limit} coupon(s) per order",
)
COMBINATION_SAVES_MORE = reason_code(
    "stacking.combination_saves_more",
    zh="所选组合更优惠：组合省{combination}，本券单用省{alone}",
    en="The chosen combination saves more: {combination}; this coupon alone saves {alone}",
)
KEEPS_ORDER_MINIMUM = reason_code(
    "stacking.keeps_order_minimum",
    zh="用此券后订单低于起送（起购）金额，已改选满足的组合（组合省{combination}，本券单用省{alone}）",
    en="With this coupon the order would fall below its minimum; the chosen combination "
    "keeps it ({combination} off; this coupon alone saves {alone})",
)
SAME_TEMPLATE = reason_code(
    "stacking.same_template",
    zh="同款券已用{chosen}（更早到期）",
    en="A coupon of the same kind, {chosen}, is used instead (it expires sooner)",
)
NOT_WITH_PROMOTIONS = reason_code(
    "stacking.not_with_promotions",
    zh="该券不与促销活动同享",
    en="This coupon does not stack with promotions",
)

_DEFAULT_ORDER: Final = ("exchange", "item", "store", "shipping")
DEFAULT_COUPON_ORDER: Final[tuple[str, ...]] = _DEFAULT_ORDER
"""Slots apply in this order: exchange and item coupons before store, shipping last."""


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    # A Python converter: attrs reads a builtin's signature by tokenizing its
    # text signature, which costs more at import than the class itself.
    return tuple(value)


def _frozenset(value: Iterable[Any]) -> frozenset[Any]:
    return frozenset(value)


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not value:
        raise invalid(attribute.name, value, "must not be empty")


def _strs(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    out = frozenset(value)
    for s in out:
        if not isinstance(s, str) or not s:
            raise invalid("slots", s, "must be non-empty strings")
    return out


def _count(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise invalid(attribute.name, value, "must be an int >= 0", "use 0 to forbid the slot")


@policy("stacking.slot_limit")
@attrs.frozen(slots=True)
class SlotLimit:
    """At most ``max_coupons`` coupons per order among ``slots`` (每单限用张数).

    ``SlotLimit({"item", "exchange"}, 1)``: one item *or* exchange coupon.
    """

    slots: frozenset[str] = attrs.field(converter=_strs, validator=_non_empty)
    max_coupons: int = attrs.field(default=1, validator=_count)


@policy("stacking.rule_priority")
@attrs.frozen(slots=True)
class RulePriority:
    """Override one promotion's priority by id (higher applies first)."""

    rule: str = attrs.field(validator=_non_empty)
    priority: int = 0

    def __attrs_post_init__(self) -> None:
        if type(self.priority) is not int:
            raise invalid("priority", self.priority, "must be an int")


@policy("stacking.exclusion_group")
@attrs.frozen(slots=True)
class ExclusionGroup:
    """Promotions of which at most one applies (互斥组); the best for the shopper wins."""

    name: str = attrs.field(validator=_non_empty)
    rules: frozenset[str] = attrs.field(converter=_strs, validator=_non_empty)


DEFAULT_SLOT_LIMITS: Final[tuple[SlotLimit, ...]] = (
    SlotLimit(frozenset({"store"}), 1),
    SlotLimit(frozenset({"item", "exchange"}), 1),
    SlotLimit(frozenset({"shipping"}), 1),
)
"""One store coupon, one item-or-exchange coupon and one shipping coupon per order."""


def _check_limits(_inst: object, _attr: object, value: tuple[SlotLimit, ...]) -> None:
    seen: set[str] = set()
    for i, lim in enumerate(value):
        if not isinstance(lim, SlotLimit):
            raise invalid(f"slot_limits[{i}]", lim, "must be a SlotLimit")
        dup = seen & lim.slots
        if dup:
            raise invalid(
                f"slot_limits[{i}].slots", sorted(dup), "slot already limited by an earlier entry",
                "merge the two limits",
            )
        seen |= lim.slots


def _check_priorities(_inst: object, _attr: object, value: tuple[RulePriority, ...]) -> None:
    ids = [p.rule for p in value]
    if len(ids) != len(set(ids)):
        raise invalid("priorities", sorted(ids), "a rule has two priorities", "keep one per rule")


_opt_count = optional(_count)


@policy("stacking.policy")
@attrs.frozen(slots=True)
class StackingPolicy:
    """How promotions and coupons combine on one order (叠加与互斥规则).

    Attributes:
        priorities: per-promotion priority overrides (higher applies first).
        exclusion_groups: extra exclusion groups, besides each promotion's ``group``.
        exclusive: promotion ids treated as exclusive, besides their own flag.
        coupons_with_promotions: the mall-wide default for coupons stacking with
            promotions; a template's ``stacks_with_promotions=False`` also stops it.
            A coupon that does not stack only sees lines no promotion discounted.
        slot_limits: coupons per order by slot (kind).
        other_slot_limit: the limit for a slot not named in ``slot_limits``.
        max_coupons: a cap on coupons per order over all slots (None: no cap).
        coupon_order: the order slots apply in; unnamed slots follow, by name.
        max_search_nodes: a safety budget for the best-combination search; a
            search that would exceed it falls back to the best found and
            marks the quote ``search_exact=False``.
    """

    priorities: tuple[RulePriority, ...] = attrs.field(
        default=(), converter=_tuple, validator=_check_priorities
    )
    exclusion_groups: tuple[ExclusionGroup, ...] = attrs.field(default=(), converter=_tuple)
    exclusive: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset)
    coupons_with_promotions: bool = True
    slot_limits: tuple[SlotLimit, ...] = attrs.field(
        default=DEFAULT_SLOT_LIMITS, converter=_tuple, validator=_check_limits
    )
    other_slot_limit: int = attrs.field(default=1, validator=_count)
    max_coupons: int | None = attrs.field(default=None, validator=_opt_count)
    coupon_order: tuple[str, ...] = attrs.field(default=_DEFAULT_ORDER, converter=_tuple)
    max_search_nodes: int = attrs.field(default=200_000, validator=int_at_least(100))

    def __attrs_post_init__(self) -> None:
        if len(set(self.coupon_order)) != len(self.coupon_order):
            raise invalid("coupon_order", self.coupon_order, "names a slot twice")

    # -- promotions -------------------------------------------------------------------

    def priority_of(self, rule: str, own: int) -> int:
        for p in self.priorities:
            if p.rule == rule:
                return p.priority
        return own

    def groups_of(self, rule: str, own: str | None) -> frozenset[str]:
        """The exclusion groups ``rule`` is in (its own group first-class)."""
        out = {g.name for g in self.exclusion_groups if rule in g.rules}
        if own:
            out.add(own)
        return frozenset(out)

    def is_exclusive(self, rule: str, own: bool) -> bool:
        return own or rule in self.exclusive

    # -- coupons ----------------------------------------------------------------------

    def coupon_stacks(self, template_flag: bool) -> bool:
        """Whether a coupon of a template with ``stacks_with_promotions=template_flag`` stacks."""
        return self.coupons_with_promotions and template_flag

    def limit_group(self, slot: str) -> tuple[frozenset[str], int]:
        """The slots sharing ``slot``'s limit, and that limit."""
        for lim in self.slot_limits:
            if slot in lim.slots:
                return lim.slots, lim.max_coupons
        return frozenset({slot}), self.other_slot_limit

    def slot_rank(self, slot: str) -> tuple[int, str]:
        """Sort key of a slot in application order."""
        try:
            return (self.coupon_order.index(slot), slot)
        except ValueError:
            return (len(self.coupon_order), slot)


class _Stackable(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def exclusive(self) -> bool: ...


P = TypeVar("P", bound=_Stackable)


@attrs.frozen
class StackingOptions(Generic[P]):
    """The ways a stage's conflicting promotions may be combined, in trial order.

    ``options`` holds every choice of at most one promotion per exclusion
    group together with the promotions in no group (each in stage order),
    then each exclusive promotion alone. The checkout prices every option
    from the same state and keeps the one that saves most (ties: the earlier).
    """

    options: tuple[tuple[P, ...], ...]
    exclusive: tuple[P, ...]
    conflicting: tuple[tuple[P, frozenset[str]], ...]
    """The grouped promotions with their groups."""

    @property
    def shared(self) -> int:
        """How many options come before the exclusive ones."""
        return len(self.options) - len(self.exclusive)


def stacking_options(promos: Sequence[P], policy: StackingPolicy) -> StackingOptions[P] | None:
    """The options for ``promos`` (in stage order), or None when nothing conflicts."""
    exclusive = [p for p in promos if policy.is_exclusive(p.id, p.exclusive)]
    grouped = [(p, policy.groups_of(p.id, p.group)) for p in promos if p not in exclusive]
    if not exclusive and all(not g for _, g in grouped):
        return None
    free = [p for p, g in grouped if not g]
    conflicting = [(p, g) for p, g in grouped if g]
    options: list[tuple[P, ...]] = []

    def choose(i: int, used: frozenset[str], picked: tuple[P, ...]) -> None:
        if i == len(conflicting):
            chosen = set(picked) | set(free)
            options.append(tuple(p for p in promos if p in chosen))
            return
        p, groups = conflicting[i]
        if not (groups & used):
            choose(i + 1, used | groups, (*picked, p))
        choose(i + 1, used, picked)

    choose(0, frozenset(), ())
    options += [(e,) for e in exclusive]
    return StackingOptions(tuple(options), tuple(exclusive), tuple(conflicting))
