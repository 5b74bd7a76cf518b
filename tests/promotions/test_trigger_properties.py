"""Trigger decisions are pure: the claim key never depends on ``now``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sirui.core.money import Money
from sirui.core.nouns import Order
from sirui.core.windows import DateTime
from sirui.promotions import (
    AfterPaymentGift,
    ContentShared,
    Decision,
    InviteReward,
    IssueTrigger,
    LastOrderAged,
    MemberInvited,
    MemberJoined,
    NewMemberGiftPack,
    OrderPaid,
    OrderUnpaid,
    RepurchaseIncentive,
    ShareToGet,
    UnpaidOrderReminder,
)
from sirui.testing import aware_datetimes, members, orders
from sirui.testing.promotions import triggers


@st.composite
def signal_for(draw: st.DrawFn, trigger: IssueTrigger, now: DateTime) -> Any:
    if isinstance(trigger, NewMemberGiftPack):
        m = draw(members())
        joined = now.subtract(minutes=draw(st.integers(0, 60 * 24 * 5)))
        return MemberJoined(m.__class__(m.id, joined_at=joined))
    if isinstance(trigger, AfterPaymentGift):
        return OrderPaid(draw(orders(paid=draw(st.booleans()))), Money(draw(st.integers(0, 10**5))))
    if isinstance(trigger, ShareToGet):
        return ContentShared("m1", f"s{draw(st.integers(0, 9))}", draw(st.integers(0, 6)))
    if isinstance(trigger, UnpaidOrderReminder):
        o: Order = draw(orders(paid=draw(st.booleans())))
        return OrderUnpaid(o)
    if isinstance(trigger, RepurchaseIncentive):
        return LastOrderAged("m1", now.subtract(days=draw(st.integers(0, 120))))
    assert isinstance(trigger, InviteReward)
    m = draw(members())
    inviter = draw(st.sampled_from(["m1", "m2"]))
    return MemberInvited("m1", m.__class__(m.id, invited_by=inviter, paid_orders=m.paid_orders))


@given(st.data(), triggers(), aware_datetimes())
def test_the_claim_key_depends_on_the_signal_not_on_now(
    data: st.DataObject, trigger: IssueTrigger, now: DateTime
) -> None:
    signal = data.draw(signal_for(trigger, now))
    later = now + timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 60)))
    a = trigger.decide(signal, now=now)
    b = trigger.decide(signal, now=later)
    assert a.key == b.key
    assert a.trigger == trigger.id
    assert a.templates == trigger.templates
    if a.at is not None:  # "look again at" is only ever in the future, and only for NOT_YET
        assert a.decision is Decision.NOT_YET
        assert a.at > now
    if a.decision is not Decision.ISSUE:
        assert a.claims({}) == ()
    assert trigger.decide(signal, now=now) == a  # deterministic
