"""The copy-on-write structures under the ledgers, against plain lists and dicts."""

from __future__ import annotations

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from examples_budget import scaled
from sirui.core.persistent import PMap, SortedRun


@attrs.frozen
class Item:
    exp: int
    seq: int
    points: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.exp, self.seq)


def shrink(item: Item, taken: int) -> Item:
    return attrs.evolve(item, points=item.points - taken)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(0, 300), st.integers(1, 50)),
        st.tuples(st.just("take"), st.integers(0, 300), st.integers(1, 400)),
        st.tuples(st.just("drop"), st.integers(0, 300), st.just(0)),
        st.tuples(st.just("replace"), st.integers(0, 10_000), st.integers(0, 9)),
    ),
    max_size=120,
)


@settings(max_examples=scaled(40))
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(1, 50)), max_size=700), ops, st.booleans()
)
def test_sorted_run_agrees_with_a_sorted_list(
    initial: list[tuple[int, int]], script: list[tuple[str, int, int]], build: bool
) -> None:
    seq = 0
    model: list[Item] = []
    for exp, pts in initial:
        model.append(Item(exp, seq, pts))
        seq += 1
    run: SortedRun[Item] = SortedRun(tuple(model)) if build else SortedRun()
    if not build:  # one item at a time: chunks grow past 256 and split
        for it in model:
            run = run.insert(it)
    # half the items again through insert, to grow and split chunks
    for exp, pts in initial[: len(initial) // 2]:
        it = Item(exp, seq, pts)
        seq += 1
        model.append(it)
        run = run.insert(it)
    for op, a, b in script:
        model.sort(key=lambda i: i.key)
        cut = (a, 2**62)
        if op == "insert":
            it = Item(a, seq, b)
            seq += 1
            model.append(it)
            run = run.insert(it)
        elif op == "take":
            avail = sum(i.points for i in model if i.key > cut)
            n = min(b, avail)
            run, taken = run.take_after(cut, n, shrink)
            left, want = n, []
            new_model = []
            for i in model:
                if i.key > cut and left > 0:
                    t = min(i.points, left)
                    left -= t
                    want.append((i.key, t))
                    if t < i.points:
                        new_model.append(shrink(i, t))
                else:
                    new_model.append(i)
            model = new_model
            assert [(i.key, t) for i, t in taken] == want
        elif op == "drop":
            run = run.drop_upto(cut)
            model = [i for i in model if i.key > cut]
        elif model:
            target = model[a % len(model)]
            found = run.find(target.key)
            assert found == target
            new = None if b == 0 else attrs.evolve(target, points=b)
            run = run.replace(target.key, new)
            model = [i for i in model if i.key != target.key] + ([new] if new else [])
        model.sort(key=lambda i: i.key)
        assert list(run) == model
        for t in (0, 100, 200, 301):
            assert run.total_after((t, 2**62)) == sum(i.points for i in model if i.key > (t, 2**62))
    assert run.find((10**9, 0)) is None


def test_inserting_a_thousand_items_splits_chunks_and_keeps_order() -> None:
    run: SortedRun[Item] = SortedRun()
    items = [Item((i * 7919) % 1000, i, 1) for i in range(1000)]
    for it in items:
        run = run.insert(it)
    assert list(run) == sorted(items, key=lambda i: i.key)
    assert len(run._chunks) > 3
    assert all(len(c) <= 256 for c in run._chunks)
    assert run.total_after((499, 2**62)) == 500


@given(st.lists(st.tuples(st.text(max_size=3), st.integers()), max_size=200))
def test_pmap_agrees_with_a_dict(pairs: list[tuple[str, int]]) -> None:
    m: PMap[str, int] = PMap()
    d: dict[str, int] = {}
    snapshots = []
    for k, v in pairs:
        snapshots.append((m, dict(d)))
        m = m.set(k, v)
        d[k] = v
        assert m.get(k) == v
        assert k in m
    assert dict(m.items()) == d
    assert len(m) == len(d)
    for snap, was in snapshots:  # older versions never change
        assert dict(snap.items()) == was
