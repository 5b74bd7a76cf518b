"""Attribution (业绩归属): whom an order, or one of its lines, belongs to.

Candidates, in the order the policy chooses:

* the guide or seller whose share link the order came through (分享链接),
  if the link was opened within ``share_window_days`` before payment;
* the member's exclusive guide (专属导购), or the guide recorded on the order;
* nobody: the order then belongs to its store alone.

``precedence`` decides whether a valid share link beats the exclusive guide
(the common rule) or the reverse. A self-purchase (自购: the chosen guide's
own member id placed the order) earns commission only if
``self_purchase_earns``; otherwise the order still counts for the store and
the result says why the guide gets nothing.

Invariants: the result always names the store when the order or the guide
has one; ``guide`` is ``None`` exactly when no commission is owed to a guide,
and ``reason`` says which rule decided.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from sirui.commission.paid import CommissionOrder, CommissionOrderLine
from sirui.core.nouns import Guide
from sirui.core.registry import policy
from sirui.core.validators import non_negative_int
from sirui.core.windows import DateTime
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "Attributed",
    "AttributionPolicy",
    "AttributionSource",
    "Precedence",
]

BY_SHARE_LINK = reason_code(
    "attribution.share_link",
    zh="通过{guide}的分享链接下单", en="Ordered through {guide}'s share link",
)
BY_EXCLUSIVE = reason_code(
    "attribution.exclusive_guide",
    zh="会员的专属导购为{guide}", en="The member's exclusive guide is {guide}",
)
STORE_ONLY = reason_code(
    "attribution.store_only", zh="无导购归属，业绩归门店", en="No guide; the store keeps the sale",
)
LINK_EXPIRED = reason_code(
    "attribution.link_expired",
    zh="分享链接已超过{days}天有效期", en="The share link is older than {days} days",
)
SELF_PURCHASE = reason_code(
    "attribution.self_purchase",
    # zh names no guide id (a shopper-facing text); the id stays in the reason's params.
    zh="导购本人自购，不计提成", en="Guide {guide} bought for themself: no commission",
)


class Precedence(enum.Enum):
    """Which claim wins when both a share link and an exclusive guide exist."""

    SHARE_LINK_FIRST = "share_link_first"
    """A valid share link beats the exclusive guide (谁分享归谁)."""
    EXCLUSIVE_FIRST = "exclusive_first"
    """The exclusive guide keeps their member (专属导购优先)."""


class AttributionSource(enum.Enum):
    SHARE_LINK = "share_link"
    EXCLUSIVE_GUIDE = "exclusive_guide"
    STORE = "store"


@attrs.frozen(slots=True)
class Attributed:
    """The answer: the guide owed commission (or None), the store, and why."""

    guide: str | None
    store: str | None
    source: AttributionSource
    reason: Reason
    self_purchase: bool = False


@policy("attribution.policy")
@attrs.frozen(slots=True)
class AttributionPolicy:
    """How orders are attributed to guides (业绩归属规则).

    >>> AttributionPolicy(share_window_days=7).precedence
    <Precedence.SHARE_LINK_FIRST: 'share_link_first'>
    """

    precedence: Precedence = Precedence.SHARE_LINK_FIRST
    share_window_days: int = attrs.field(default=15, validator=non_negative_int)
    """A share link counts for this many days after it was opened (0: same moment only)."""
    self_purchase_earns: bool = False

    def attribute(
        self, order: CommissionOrder, guides: Mapping[str, Guide] | None = None
    ) -> Attributed:
        """Attribute the whole order (line-level share links ignored)."""
        a = order.order.attribution
        return self._decide(order, a.share_by, a.shared_at, guides or {})

    def attribute_line(
        self,
        order: CommissionOrder,
        line: CommissionOrderLine,
        guides: Mapping[str, Guide] | None = None,
    ) -> Attributed:
        """Attribute one line: its own share link if it has one, else the order's."""
        if line.share_by is not None:
            return self._decide(order, line.share_by, line.shared_at, guides or {})
        return self.attribute(order, guides)

    def _link_valid(self, shared_at: DateTime | None, paid_at: DateTime) -> bool:
        if shared_at is None:
            # A link without a timestamp is taken at face value: the host vouches for it.
            return True
        return shared_at <= paid_at <= shared_at.add(days=self.share_window_days)

    def _decide(
        self,
        order: CommissionOrder,
        share_by: str | None,
        shared_at: DateTime | None,
        guides: Mapping[str, Guide],
    ) -> Attributed:
        o = order.order
        exclusive = o.member.guide or o.attribution.guide
        link_ok = share_by is not None and self._link_valid(shared_at, order.paid_at)
        candidates: list[tuple[str, AttributionSource]] = []
        if link_ok and share_by is not None:
            candidates.append((share_by, AttributionSource.SHARE_LINK))
        if exclusive is not None:
            candidates.append((exclusive, AttributionSource.EXCLUSIVE_GUIDE))
        if self.precedence is Precedence.EXCLUSIVE_FIRST:
            candidates.sort(key=lambda c: c[1] is not AttributionSource.EXCLUSIVE_GUIDE)
        if not candidates:
            reason = (LINK_EXPIRED(days=self.share_window_days) if share_by is not None
                      else STORE_ONLY())
            return Attributed(None, o.store, AttributionSource.STORE, reason)
        guide_id, source = candidates[0]
        guide = guides.get(guide_id)
        store = o.store or (guide.store if guide is not None else None)
        is_self = guide is not None and guide.member_id is not None and (
            guide.member_id == o.member.id
        )
        if is_self and not self.self_purchase_earns:
            return Attributed(None, store, source, SELF_PURCHASE(guide=guide_id), True)
        reason = (BY_SHARE_LINK(guide=guide_id) if source is AttributionSource.SHARE_LINK
                  else BY_EXCLUSIVE(guide=guide_id))
        return Attributed(guide_id, store, source, reason, is_self)
