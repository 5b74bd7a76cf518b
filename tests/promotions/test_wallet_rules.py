"""Wallet rules pinned by mutation testing.

`python scripts/mutation.py src/sirui/promotions/wallet.py`.

Every refusal names the coupon and the order it is about, so the host can
tell the member which coupon and which order; each rule is stated on the
smallest wallet that shows it.
"""

from __future__ import annotations

import pytest

from promotions._shop import NOW, WEEK, y
from sirui.core.errors import InvalidCommandError, InvalidValueError
from sirui.promotions import (
    AmountOffCoupon,
    ClaimCoupon,
    CouponQuota,
    CouponStatus,
    ExpireCoupons,
    LockCoupon,
    ReturnCoupon,
    UnlockCoupon,
    UseCoupon,
    Wallet,
    claim_coupon,
)
from sirui.rules import Rejected

T = AmountOffCoupon("m100-10", validity=WEEK, off=y(10), threshold=y(100))
SOLD = AmountOffCoupon("buy1get100", validity=WEEK, off=y(100), threshold=y(200), sale_price=y(1))
ONE_EACH_TWO_IN_ALL = AmountOffCoupon(
    "hot", validity=WEEK, off=y(50), threshold=y(200), per_member_limit=1, total_quota=1
)


def ok(outcome: object) -> Wallet:
    assert outcome.ok, outcome  # type: ignore[attr-defined]
    return outcome.state  # type: ignore[attr-defined]


def wallet(*cids: str) -> Wallet:
    w = Wallet("m1")
    for cid in cids:
        w = ok(w.handle(ClaimCoupon(f"claim-{cid}", cid, T), now=NOW))
    return w


def refused(w: Wallet, command: object, when: object = NOW) -> tuple[str, dict[str, object]]:
    out = w.handle(command, now=when)  # type: ignore[arg-type]
    assert isinstance(out, Rejected), out
    assert out.state is w
    return out.reason.code, dict(out.reason.params)


def test_each_refusal_names_the_coupon_and_the_order() -> None:
    w = wallet("c1")
    assert refused(w, UseCoupon("u9", "c9", "o1")) == ("coupon.not_in_wallet", {"coupon": "c9"})
    assert refused(w, ReturnCoupon("r1", "c1", "o1")) == (
        "coupon.not_used_by_order",
        {"coupon": "c1", "order": "o1"},
    )
    assert refused(w, UnlockCoupon("un1", "c1", "o1")) == (
        "coupon.not_locked_by_order",
        {"coupon": "c1", "order": "o1"},
    )
    locked = ok(w.handle(LockCoupon("k1", "c1", "o1"), now=NOW))
    assert refused(locked, LockCoupon("k2", "c1", "o2")) == (
        "coupon.locked",
        {"coupon": "c1", "order": "o1"},
    )
    assert refused(locked, UseCoupon("u2", "c1", "o2")) == (
        "coupon.locked",
        {"coupon": "c1", "order": "o1"},
    )
    assert refused(locked, UnlockCoupon("un2", "c1", "o2")) == (
        "coupon.not_locked_by_order",
        {"coupon": "c1", "order": "o2"},
    )
    used = ok(locked.handle(UseCoupon("u1", "c1", "o1"), now=NOW))
    assert refused(used, ReturnCoupon("r2", "c1", "o2")) == (
        "coupon.not_used_by_order",
        {"coupon": "c1", "order": "o2"},
    )
    assert refused(used, UnlockCoupon("un3", "c1", "o1")) == (
        "coupon.already_used",
        {"coupon": "c1"},
    )


def test_an_expired_coupon_is_refused_by_name_whether_or_not_expiry_ran() -> None:
    w = wallet("c1")
    later = NOW.add(days=30)
    assert refused(w, LockCoupon("k1", "c1", "o1"), later)[1] == {"coupon": "c1"}
    expired = ok(w.handle(ExpireCoupons("e1"), now=later))
    assert refused(expired, LockCoupon("k1", "c1", "o1"), later) == (
        "coupon.wallet_expired",
        {"coupon": "c1"},
    )


def test_a_command_the_table_lacks_says_the_status_and_the_command() -> None:
    locked = ok(wallet("c1").handle(LockCoupon("k1", "c1", "o1"), now=NOW))
    used = ok(locked.handle(UseCoupon("u1", "c1", "o1"), now=NOW))
    assert refused(used, LockCoupon("k2", "c1", "o2"))[0] == "coupon.already_used"
    assert refused(locked, ReturnCoupon("r1", "c1", "o1"))[0] == "coupon.not_used_by_order"
    # AVAILABLE -> Unlock is not in the table: refused as "not locked by that order"
    assert refused(wallet("c1"), UnlockCoupon("un", "c1", "o1"))[0] == (
        "coupon.not_locked_by_order"
    )


def test_a_coupon_back_in_the_wallet_is_held_by_no_order() -> None:
    locked = ok(wallet("c1").handle(LockCoupon("k1", "c1", "o1"), now=NOW))
    assert locked.entries.get("c1").order_id == "o1"
    unlocked = ok(locked.handle(UnlockCoupon("un1", "c1", "o1"), now=NOW))
    assert unlocked.entries.get("c1").order_id is None
    used = ok(unlocked.handle(UseCoupon("u1", "c1", "o2"), now=NOW))
    assert used.entries.get("c1").order_id == "o2"
    back = ok(used.handle(ReturnCoupon("r1", "c1", "o2"), now=NOW))
    assert back.entries.get("c1").order_id is None
    assert back.entries.get("c1").status is CouponStatus.AVAILABLE


def test_a_sold_coupon_says_the_price_and_what_was_paid() -> None:
    w = Wallet("m1")
    assert refused(w, ClaimCoupon("cl1", "c1", SOLD)) == (
        "coupon.payment_mismatch",
        {"price": y(1), "paid": y(0)},
    )
    assert refused(w, ClaimCoupon("cl1", "c1", SOLD, paid=y("0.5"))) == (
        "coupon.payment_mismatch",
        {"price": y(1), "paid": y("0.5")},
    )
    assert refused(w, ClaimCoupon("cl1", "c1", T, paid=y(2))) == (
        "coupon.payment_mismatch",
        {"price": y(0), "paid": y(2)},
    )
    usd = refused(w, ClaimCoupon("cl1", "c1", T, paid=y(2).__class__(200, "USD")))
    assert usd[1]["price"] == y(0).__class__(0, "USD")


def test_the_members_own_limit_is_said_before_the_quota_is_gone() -> None:
    quota, w = CouponQuota(), Wallet("m1")
    first = claim_coupon(quota, w, ClaimCoupon("cl1", "c1", ONE_EACH_TWO_IN_ALL), now=NOW)
    assert first.ok
    again = claim_coupon(
        first.state.quota,
        first.state.wallet,
        ClaimCoupon("cl2", "c2", ONE_EACH_TWO_IN_ALL),
        now=NOW,
    )
    assert isinstance(again, Rejected) and again.reason.code == "coupon.member_limit_reached"
    other = claim_coupon(
        first.state.quota, Wallet("m2"), ClaimCoupon("cl3", "c3", ONE_EACH_TWO_IN_ALL), now=NOW
    )
    assert isinstance(other, Rejected) and other.reason.code == "coupon.quota_exhausted"
    assert dict(other.reason.params) == {"quota": 1}
    assert other.state.quota == first.state.quota


def test_claim_coupon_takes_only_a_claim() -> None:
    with pytest.raises(InvalidCommandError) as info:
        claim_coupon(CouponQuota(), Wallet("m1"), UseCoupon("u1", "c1", "o1"), now=NOW)  # type: ignore[arg-type]
    assert str(info.value).startswith("command=UseCoupon(") and str(info.value).endswith(
        ": claim_coupon takes a ClaimCoupon"
    )


def test_host_bugs_are_raised_with_the_fix() -> None:
    limited = AmountOffCoupon("hot", validity=WEEK, off=y(50), threshold=y(200), total_quota=2)
    with pytest.raises(InvalidCommandError) as info:
        Wallet("m1").handle(ClaimCoupon("cl1", "c1", limited), now=NOW)
    assert str(info.value) == (
        "template='hot' has total_quota=2; claim it through "
        "claim_coupon(quota, wallet, command, now=...) so the quota is kept"
    )
    with pytest.raises(InvalidCommandError) as info:
        wallet("c1").handle(ClaimCoupon("cl2", "c1", T), now=NOW)
    assert str(info.value) == (
        "coupon_id='c1' is already in wallet 'm1'; give every claimed coupon its own id"
    )
    with pytest.raises(InvalidCommandError) as info:
        Wallet("m1").handle("use", now=NOW)  # type: ignore[arg-type]
    assert str(info.value) == (
        "command='use': a Wallet takes ClaimCoupon, LockCoupon, UnlockCoupon, "
        "UseCoupon, ReturnCoupon, ExpireCoupons or PruneLog"
    )


def test_an_empty_command_id_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        UseCoupon("", "c1", "o1")
    assert type(info.value) is InvalidValueError
    assert (info.value.field, info.value.value) == ("id", "")
    assert str(info.value) == "id='': must be a non-empty string"
