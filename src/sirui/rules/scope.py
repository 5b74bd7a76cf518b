"""Item scope (商品范围): which SKUs a rule applies to.

The *range* of django-oscar's offer model, as a value: include by SKU, SPU,
category path or tag (nothing included means every item), then exclude by
the same keys. Gift lines are never in scope.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from sirui.core.nouns import Line, Sku, category_in
from sirui.core.registry import policy
from sirui.rules.conditions import _paths, _str_set

__all__ = ["ItemScope"]


def _opt_paths(value: Iterable[str] | str) -> frozenset[str]:
    return _paths(value) if value else frozenset()


@policy("scope.items")
@attrs.frozen(slots=True)
class ItemScope:
    """Which items a rule covers: everything by default.

    >>> from sirui.rules import ItemScope
    >>> milk = ItemScope(categories=frozenset({"母婴/奶粉"}), exclude_tags=frozenset({"特价"}))
    """

    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_str_set)
    spus: frozenset[str] = attrs.field(default=frozenset(), converter=_str_set)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_opt_paths)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_str_set)
    exclude_skus: frozenset[str] = attrs.field(default=frozenset(), converter=_str_set)
    exclude_categories: frozenset[str] = attrs.field(default=frozenset(), converter=_opt_paths)
    exclude_tags: frozenset[str] = attrs.field(default=frozenset(), converter=_str_set)
    _memo: dict[int, tuple[Sku, bool]] = attrs.field(
        factory=dict, init=False, eq=False, repr=False, hash=False
    )
    _by_category: dict[tuple[str, ...], bool] = attrs.field(
        factory=dict, init=False, eq=False, repr=False, hash=False
    )

    @property
    def category_only(self) -> bool:
        """True if a SKU's category alone decides (no SKU, SPU or tag named, in or out)."""
        return not (self.skus or self.spus or self.tags or self.exclude_skus or self.exclude_tags)

    def covers_category(self, category: tuple[str, ...]) -> bool:
        """For a `category_only` scope: whether the SKUs of ``category`` are in it.

        Answers are memoised per category (a value: it holds across carts,
        whichever SKU objects carry it).
        """
        hit = self._by_category.get(category)
        if hit is None:
            own = "/".join(category)
            hit = (
                not self.categories or any(category_in(own, p) for p in self.categories)
            ) and not any(category_in(own, p) for p in self.exclude_categories)
            if len(self._by_category) >= 4096:  # pragma: no mutate (equivalent: bounds the memo)
                self._by_category.clear()
            self._by_category[category] = hit
        return hit

    @property
    def is_everything(self) -> bool:
        return not (
            self.skus
            or self.spus
            or self.categories
            or self.tags
            or self.exclude_skus
            or self.exclude_categories
            or self.exclude_tags
        )

    def matches(self, sku: Sku) -> bool:
        """True if ``sku`` is in scope. Answers are memoised per SKU object.

        Scopes and SKUs are immutable, so the answer never changes; the memo
        (bounded, keyed by identity and holding the SKU so the id cannot be
        reused) saves the category walks a checkout repeats for every rule.
        """
        hit = self._memo.get(id(sku))
        if hit is not None and hit[0] is sku:
            return hit[1]
        answer = self._match(sku)
        if len(self._memo) >= 4096:
            self._memo.clear()
        self._memo[id(sku)] = (sku, answer)
        return answer

    def _match(self, sku: Sku) -> bool:
        if self.is_everything:
            return True
        included = (
            not (self.skus or self.spus or self.categories or self.tags)
            or sku.id in self.skus
            or (sku.spu is not None and sku.spu in self.spus)
            or any(sku.in_category(p) for p in self.categories)
            or not self.tags.isdisjoint(sku.tags)
        )
        if not included:
            return False
        return not (
            sku.id in self.exclude_skus
            or any(sku.in_category(p) for p in self.exclude_categories)
            or not self.exclude_tags.isdisjoint(sku.tags)
        )

    def lines(self, lines: Iterable[Line]) -> tuple[Line, ...]:
        """The non-gift lines in scope, in the given order."""
        return tuple(ln for ln in lines if not ln.gift and self.matches(ln.sku))
