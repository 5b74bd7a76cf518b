"""The member's wallet: claim, lock, use, unlock, return, expire; limits and quota."""

from __future__ import annotations

import attrs
import pytest

from promotions._shop import NOW, WEEK, y
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidValueError
from sirui.core.windows import DaysAfterClaim, FixedValidity, Window
from sirui.promotions import (
    TRANSITIONS,
    AmountOffCoupon,
    ClaimCoupon,
    CouponExpired,
    CouponLocked,
    CouponQuota,
    CouponReturned,
    CouponStatus,
    ExpireCoupons,
    LockCoupon,
    ReturnCoupon,
    UnlockCoupon,
    UseCoupon,
    Wallet,
    claim_coupon,
)
from sirui.promotions.wallet import (
    ALREADY_USED,
    CLAIM_CLOSED,
    LIMIT_REACHED,
    LOCKED_BY_OTHER,
    NOT_LOCKED_BY,
    NOT_STARTED,
)
from sirui.rules import LogPruned, PruneLog

T = AmountOffCoupon("m100-10", validity=WEEK, off=y(10), threshold=y(100), per_member_limit=2)
LIMITED = AmountOffCoupon("hot", validity=WEEK, off=y(50), threshold=y(200), total_quota=2)
SOLD = AmountOffCoupon("buy1get100", validity=WEEK, off=y(100), threshold=y(200), sale_price=y(1))


def claimed(wallet: Wallet | None = None, cid: str = "c1") -> Wallet:
    out = (wallet or Wallet("m1")).handle(ClaimCoupon(f"claim-{cid}", cid, T), now=NOW)
    assert out.ok
    return out.state


def test_claim_lock_use_and_never_twice() -> None:
    w = claimed()
    assert w.status_of("c1") is CouponStatus.AVAILABLE
    assert [c.id for c in w.available(NOW)] == ["c1"]
    w = w.handle(LockCoupon("k1", "c1", "o1"), now=NOW).state
    assert w.status_of("c1") is CouponStatus.LOCKED
    assert w.available(NOW) == ()
    w = w.handle(UseCoupon("u1", "c1", "o1"), now=NOW).state
    assert w.status_of("c1") is CouponStatus.USED
    again = w.handle(UseCoupon("u2", "c1", "o2"), now=NOW)
    assert not again.ok
    assert again.reason.code == "coupon.already_used"


def test_a_cancelled_order_unlocks_and_another_order_cannot_take_a_held_coupon() -> None:
    w = claimed().handle(LockCoupon("k1", "c1", "o1"), now=NOW).state
    other = w.handle(LockCoupon("k2", "c1", "o2"), now=NOW)
    assert other.reason.code == "coupon.locked"
    w = w.handle(UnlockCoupon("un1", "c1", "o1"), now=NOW).state
    assert w.status_of("c1") is CouponStatus.AVAILABLE
    assert w.handle(LockCoupon("k2", "c1", "o2"), now=NOW).ok


def test_full_refund_returns_the_coupon_while_valid_else_it_expires() -> None:
    w = claimed().handle(UseCoupon("u1", "c1", "o1"), now=NOW).state
    back = w.handle(ReturnCoupon("r1", "c1", "o1"), now=NOW.add(days=1))
    assert back.state.status_of("c1") is CouponStatus.AVAILABLE
    late = w.handle(ReturnCoupon("r1", "c1", "o1"), now=NOW.add(days=30))
    assert late.state.status_of("c1") is CouponStatus.EXPIRED
    assert late.events == (CouponReturned("m1", "c1", "o1", CouponStatus.EXPIRED),)
    wrong = w.handle(ReturnCoupon("r2", "c1", "o9"), now=NOW)
    assert wrong.reason.code == "coupon.not_used_by_order"


def test_expire_sweeps_only_available_coupons_past_their_end() -> None:
    w = claimed(claimed(cid="c1"), cid="c2")
    w = w.handle(LockCoupon("k1", "c2", "o1"), now=NOW).state
    out = w.handle(ExpireCoupons("x1"), now=NOW.add(days=8))
    assert out.events == (CouponExpired("m1", "c1"),)
    assert out.state.status_of("c1") is CouponStatus.EXPIRED
    assert out.state.status_of("c2") is CouponStatus.LOCKED
    late_lock = w.handle(LockCoupon("k9", "c1", "o2"), now=NOW.add(days=8))
    assert late_lock.reason.code == "coupon.wallet_expired"


def test_two_per_member_the_third_claim_is_refused() -> None:
    w = claimed(claimed(cid="c1"), cid="c2")
    third = w.handle(ClaimCoupon("claim-c3", "c3", T), now=NOW)
    assert third.reason.code == "coupon.member_limit_reached"


def test_a_quota_of_two_across_members() -> None:
    q = CouponQuota()
    a = claim_coupon(q, Wallet("a"), ClaimCoupon("a1", "a1", LIMITED), now=NOW)
    b = claim_coupon(a.state.quota, Wallet("b"), ClaimCoupon("b1", "b1", LIMITED), now=NOW)
    assert b.state.quota.issued_of("hot") == 2
    c = claim_coupon(b.state.quota, Wallet("c"), ClaimCoupon("c1", "c1", LIMITED), now=NOW)
    assert not c.ok
    assert c.reason.code == "coupon.quota_exhausted"
    assert c.state.quota.remaining(LIMITED) == 0


def test_a_quota_template_cannot_bypass_the_quota() -> None:
    with pytest.raises(InvalidCommandError, match="claim_coupon"):
        Wallet("a").handle(ClaimCoupon("a1", "a1", LIMITED), now=NOW)


def test_replaying_a_claim_claims_once_and_a_changed_replay_is_an_error() -> None:
    cmd = ClaimCoupon("claim-1", "c1", T)
    first = Wallet("m1").handle(cmd, now=NOW)
    replay = first.state.handle(cmd, now=NOW.add(minutes=5))
    assert replay.ok
    assert replay.events == first.events
    assert replay.state is first.state
    assert first.state.claimed_count("m100-10") == 1
    with pytest.raises(IdConflictError):
        first.state.handle(ClaimCoupon("claim-1", "c2", T), now=NOW)
    q = CouponQuota()
    one = claim_coupon(q, Wallet("a"), ClaimCoupon("a1", "a1", LIMITED), now=NOW)
    two = claim_coupon(one.state.quota, one.state.wallet, ClaimCoupon("a1", "a1", LIMITED), now=NOW)
    assert two.state.quota.issued_of("hot") == 1


def test_a_coupon_of_another_members_wallet_is_rejected() -> None:
    w = claimed()
    out = Wallet("m2").handle(LockCoupon("k1", "c1", "o1"), now=NOW)
    assert out.reason.code == "coupon.not_in_wallet"
    assert w.status_of("c1") is CouponStatus.AVAILABLE


def test_one_yuan_buys_the_100_yuan_coupon_and_nothing_less() -> None:
    unpaid = Wallet("m1").handle(ClaimCoupon("s1", "s1", SOLD), now=NOW)
    assert unpaid.reason.code == "coupon.payment_mismatch"
    bought = Wallet("m1").handle(ClaimCoupon("s1", "s1", SOLD, paid=y(1)), now=NOW)
    assert bought.ok
    assert bought.events[0].paid == y(1)


def test_claiming_the_same_coupon_id_twice_is_misuse() -> None:
    with pytest.raises(InvalidCommandError, match="coupon_id"):
        claimed().handle(ClaimCoupon("claim-other", "c1", T), now=NOW)


def test_events_are_plain_data_for_the_host_to_store() -> None:
    from sirui.rules import event_to_dict

    out = Wallet("m1").handle(ClaimCoupon("k1", "c1", T), now=NOW)
    d = event_to_dict(out.events[0])
    assert d["event"].rpartition(".")[2] == "CouponClaimed"
    assert (d["member_id"], d["coupon_id"], d["template_id"]) == ("m1", "c1", "m100-10")
    assert d["valid_until"] == "2026-11-18T00:00:00+08:00"
    w = claimed().handle(UseCoupon("u1", "c1", "o1"), now=NOW).state
    back = w.handle(ReturnCoupon("r1", "c1", "o1"), now=NOW)
    assert event_to_dict(back.events[0])["status"] == "available"


def test_a_wallet_cannot_be_changed_behind_its_back() -> None:
    w = claimed()
    with pytest.raises(TypeError):
        w.entries["c9"] = w.entries.get("c1")  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        w.entries = w.entries.set("c9", w.entries.get("c1"))  # type: ignore[misc]
    with pytest.raises(InvalidCommandError, match="Wallet takes"):
        w.handle("use c1", now=NOW)  # type: ignore[arg-type]


def test_wallets_compare_by_content_log_included() -> None:
    assert claimed() == claimed()
    assert claimed() != Wallet("m1")
    used = claimed().handle(UseCoupon("u1", "c1", "o1"), now=NOW).state
    used_later = claimed().handle(UseCoupon("u1", "c1", "o1"), now=NOW.add(hours=1)).state
    assert used.entries == used_later.entries
    assert used != used_later, "the log says when u1 was accepted"
    # a wallet built from plain dicts is the same value as one built by commands
    rebuilt = Wallet("m1", dict(claimed().entries.items()), {"m100-10": 1}, claimed().log)
    assert rebuilt == claimed()


def test_an_empty_command_id_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="id"):
        ClaimCoupon("", "c1", T)
    with pytest.raises(InvalidValueError, match="id"):
        LockCoupon("", "c1", "o1")
    smuggled = LockCoupon("k1", "c1", "o1")
    object.__setattr__(smuggled, "id", "")
    with pytest.raises(InvalidCommandError, match="non-empty string id"):
        claimed().handle(smuggled, now=NOW)


def test_a_per_member_limit_of_one_counts_the_used_and_expired_coupon_too() -> None:
    one = AmountOffCoupon("one", validity=WEEK, off=y(10), threshold=y(100), per_member_limit=1)
    w = Wallet("m1").handle(ClaimCoupon("k1", "c1", one), now=NOW).state
    second = w.handle(ClaimCoupon("k2", "c2", one), now=NOW)
    assert second.reason == LIMIT_REACHED(limit=1)
    assert second.state is w
    used = w.handle(UseCoupon("u1", "c1", "o1"), now=NOW).state
    assert used.handle(ClaimCoupon("k2", "c2", one), now=NOW).reason.code == (
        "coupon.member_limit_reached"
    )
    gone = w.handle(ExpireCoupons("x1"), now=NOW.add(days=8)).state
    assert gone.status_of("c1") is CouponStatus.EXPIRED
    assert gone.handle(ClaimCoupon("k2", "c2", one), now=NOW.add(days=8)).reason.code == (
        "coupon.member_limit_reached"
    )
    assert Wallet("m2").handle(ClaimCoupon("k1", "c1", one), now=NOW).ok  # per member


def test_no_claim_once_the_validity_has_ended() -> None:
    double11 = AmountOffCoupon(
        "d11", off=y(20), threshold=y(200),
        validity=FixedValidity(Window(NOW.subtract(days=1), NOW.add(days=1))),
    )
    assert Wallet("m1").handle(ClaimCoupon("k1", "c1", double11), now=NOW).ok
    late = Wallet("m1").handle(ClaimCoupon("k1", "c1", double11), now=NOW.add(days=1))
    assert late.reason == CLAIM_CLOSED()
    assert not late.events


def test_locking_again_for_the_same_order_is_refused_and_the_original_lock_replays() -> None:
    lock = LockCoupon("k1", "c1", "o1")
    w = claimed().handle(lock, now=NOW).state
    again = w.handle(LockCoupon("k2", "c1", "o1"), now=NOW)
    assert again.reason == LOCKED_BY_OTHER(coupon="c1", order="o1")
    assert again.state is w
    retry = w.handle(lock, now=NOW.add(minutes=1))
    assert retry.ok and retry.state is w
    assert retry.events == (CouponLocked("m1", "c1", "o1"),)


def test_no_lock_before_the_validity_starts() -> None:
    next_day = AmountOffCoupon("nd", off=y(10), threshold=y(100),
                               validity=DaysAfterClaim(7, starts_after_days=1))
    w = Wallet("m1").handle(ClaimCoupon("k1", "c1", next_day), now=NOW).state
    early = w.handle(LockCoupon("l1", "c1", "o1"), now=NOW)
    assert early.reason == NOT_STARTED(coupon="c1")
    assert early.state is w
    assert w.handle(UseCoupon("u1", "c1", "o1"), now=NOW).reason.code == "coupon.not_started"
    assert w.handle(LockCoupon("l1", "c1", "o1"), now=NOW.add(days=1).start_of("day")).ok


def test_the_table_decides_before_the_business_checks() -> None:
    assert TRANSITIONS[(CouponStatus.AVAILABLE, LockCoupon)] is CouponStatus.LOCKED
    assert (CouponStatus.USED, LockCoupon) not in TRANSITIONS
    w = claimed().handle(UseCoupon("u1", "c1", "o1"), now=NOW).state
    # used and expired: the table refuses before the validity is even looked at
    late = w.handle(LockCoupon("l1", "c1", "o1"), now=NOW.add(days=30))
    assert late.reason == ALREADY_USED(coupon="c1")
    assert claimed().handle(UnlockCoupon("n1", "c1", "o1"), now=NOW).reason == (
        NOT_LOCKED_BY(coupon="c1", order="o1")
    )


def test_prune_forgets_old_ids_and_keeps_recent_ones() -> None:
    w = claimed()  # claim-c1 at NOW
    w = w.handle(ExpireCoupons("x1"), now=NOW.add(days=40)).state
    out = w.handle(PruneLog("p1"), now=NOW.add(days=41))
    assert out.events == (LogPruned(NOW.add(days=11), 1),)
    assert "claim-c1" not in out.state.log and "x1" in out.state.log and "p1" in out.state.log
    assert out.state.entries == w.entries
    # the sweep is still remembered; the pruned claim is decided afresh (the coupon id is taken)
    swept = out.state.handle(ExpireCoupons("x1"), now=NOW.add(days=41))
    assert swept.state is out.state and swept.events == (CouponExpired("m1", "c1"),)
    with pytest.raises(InvalidCommandError, match="already in wallet"):
        out.state.handle(ClaimCoupon("claim-c1", "c1", T), now=NOW.add(days=41))
