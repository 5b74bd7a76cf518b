"""The synthetic chain is deterministic and realistic enough for the rules."""

from __future__ import annotations

import pytest

from sirui.simulate import generate
from sirui.simulate.sample import CATALOGUE


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert generate("tiny", seed=1) == generate("tiny", seed=1)
    assert generate("tiny", seed=1).orders != generate("tiny", seed=2).orders


def test_small_dataset_shape() -> None:
    d = generate("small")
    assert len(d.stores) == 4 and len(d.guides) == 12 and len(d.members) == 600
    assert len({r["order_id"] for r in d.orders}) == 2500
    skus = {c[0] for c in CATALOGUE}
    assert all(r["sku"] in skus and r["quantity"] >= 1 for r in d.orders)
    assert all(isinstance(r["unit_price_fen"], int) for r in d.orders)
    refunded = [r for r in d.orders if r["refunded_quantity"]]
    assert 0 < len(refunded) < len(d.orders) // 10
    assert all(r["refunded_at"] > r["paid_at"] for r in refunded)
    assert {r["fulfillment"] for r in d.orders} == {"delivery", "pickup"}
    assert len(d.traffic) == 4 * 92


def test_custom_counts_and_bad_sizes() -> None:
    d = generate({"stores": 1, "guides": 1, "members": 5, "orders": 9}, seed=3)
    assert len({r["order_id"] for r in d.orders}) == 9
    with pytest.raises(ValueError, match="size"):
        generate("huge")
    with pytest.raises(ValueError, match="counts"):
        generate({"orders": 0})
