"""Packed partition frames come back equal, values and column types, to the frames they were."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from examples_budget import scaled
from sirui.simulate._wire import merge_order, merged, pack


def _old_merge(frames: list[Any], ns: Any) -> Any:
    """What `simulate_dask` did before packing: concatenate, infer, take in merge order."""
    whole = pd.concat(frames, ignore_index=True).infer_objects()
    ids = whole["order_id"].to_numpy()
    return whole.take(merge_order(ns, lambda rows: ids[rows])).reset_index(drop=True)


def _trip(obj: Any) -> Any:
    buffers: list[Any] = []
    data = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    return pickle.loads(data, buffers=buffers)


def _frame(rows: int, seed: int, first: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    few = np.array(["normal", "silver", "gold", None], dtype=object)
    return pd.DataFrame({
        "order_id": pd.array([f"O{first + i:06d}" for i in range(rows)], dtype="str"),
        "tier": pd.array(few[rng.integers(0, 4, rows)], dtype="str"),
        "paid_at": pd.array([f"t{rng.integers(0, 10**9)}" for _ in range(rows)], dtype="str"),
        "small": rng.integers(-100, 100, rows).astype(np.int64),
        "large": (rng.integers(0, 3, rows) * 2**40).astype(np.int64),
        "zero": np.zeros(rows, dtype=np.int64),
    })


def test_a_packed_frame_unpacks_to_itself() -> None:
    frame = _frame(3000, seed=1).assign(
        ratio=np.linspace(0, 1, 3000), flag=True, raw=[Decimal(i) for i in range(3000)],
    )
    packed = _trip(pack(frame))
    assert len(packed) == 3000
    assert not packed.simple  # float, bool and object columns go as they are
    kinds = {name: kind for name, (kind, _, _) in packed.columns.items()}
    assert kinds["tier"] == "codes" and kinds["order_id"] == "text"
    assert kinds["small"] == kinds["large"] == "int"
    assert packed.columns["zero"][2].dtype == np.int8
    assert packed.columns["large"][2].dtype == np.int64
    assert packed.frame().equals(frame)


def test_partitions_merge_in_payment_order_then_order_id() -> None:
    a, b = _frame(2000, seed=2), _frame(1500, seed=3, first=5000)
    # Half the rows paid at one of a few instants, in both partitions: ties across them.
    rng = np.random.default_rng(4)
    ns_a = np.sort(rng.integers(0, 50, len(a)))
    ns_b = np.sort(rng.integers(0, 50, len(b)))
    a = a.assign(order_id=pd.array(rng.permutation(a["order_id"].to_numpy()), dtype="str"))
    ns = np.concatenate([ns_a, ns_b])
    got = merged([_trip(pack(a)), _trip(pack(b))], ns)
    assert got.equals(_old_merge([a, b], ns))
    keys = list(zip(ns[merge_order(ns, lambda r: pd.concat([a, b])["order_id"].to_numpy()[r])],
                    got["order_id"], strict=True))
    assert keys == sorted(keys)


def test_a_column_packed_differently_in_each_partition_merges_as_one() -> None:
    a = _frame(2000, seed=5)
    b = _frame(2000, seed=6, first=9000).assign(  # many values here: sent as text
        tier=lambda f: pd.array([f"tier{i}" for i in range(len(f))], dtype="str"),
    )
    ns = np.arange(4000)
    pa_, pb = pack(a), pack(b)
    assert pa_.columns["tier"][0] == "codes" and pb.columns["tier"][0] == "text"
    assert merged([pa_, pb], ns).equals(_old_merge([a, b], ns))


def test_partitions_of_other_column_types_are_concatenated_as_before() -> None:
    a = _frame(100, seed=7)
    b = _frame(100, seed=8, first=500).astype({"small": object, "tier": object})
    ns = np.arange(200)[::-1].copy()
    got = merged([pack(a), pack(b)], ns)
    assert got.equals(_old_merge([a, b], ns))


@settings(max_examples=scaled(20), deadline=None)
@given(
    sizes=st.lists(st.integers(0, 300), min_size=1, max_size=4),
    instants=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
)
def test_merged_equals_concatenated(sizes: list[int], instants: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames, stamps, first = [], [], 0
    for k, rows in enumerate(sizes):
        if rows == 0:
            continue
        frames.append(_frame(rows, seed=seed + k, first=first))
        stamps.append(np.sort(rng.integers(0, instants, rows)))
        first += rows
    if not frames:
        return
    ns = np.concatenate(stamps)
    assert merged([_trip(pack(f)) for f in frames], ns).equals(_old_merge(frames, ns))


def test_order_id_hashes_depend_on_the_text_only() -> None:
    import pyarrow as pa

    from sirui.simulate._wire import id_hashes, unique_ids

    texts = ["O1", "", "订单7", "O10", "O01"]
    plain = id_hashes(texts)
    assert (id_hashes(pa.array(["x", *texts], type=pa.string()).slice(1)) == plain).all()
    assert (id_hashes(np.asarray(texts, dtype=object)) == plain).all()
    assert len(set(plain.tolist())) == len(texts)
    # A value's hash is its own, whatever else is hashed with it.
    alone = [int(id_hashes([t])[0]) for t in texts]
    assert plain.tolist() == alone
    assert id_hashes(["O1", "x" * 3_000_000, *texts])[2:].tolist() == alone
    ids = pd.Series(["O1", None, "O1", 7], dtype=object)
    assert unique_ids(ids).to_pylist() == ["O1", "7"]
    assert len(id_hashes([])) == 0


@settings(max_examples=scaled(20), deadline=None)
@given(st.lists(st.text(max_size=12), max_size=50, unique=True))
def test_distinct_ids_rarely_share_a_hash(texts: list[str]) -> None:
    from sirui.simulate._wire import id_hashes

    hashes = id_hashes(texts)
    assert len(set(hashes.tolist())) == len(texts)
    assert (id_hashes(list(reversed(texts))) == hashes[::-1]).all()
