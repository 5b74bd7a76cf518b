"""The shared command log: the idempotency rules every machine keeps."""

from __future__ import annotations

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.rules import Accepted, CommandLog, LoggedCommand, LogPruned, PruneLog, transition
from sirui.rules.commandlog import DEFAULT_RETENTION_DAYS

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")


@attrs.frozen
class Add:
    id: str
    n: int


def test_a_new_id_is_decided_afresh() -> None:
    assert CommandLog().seen(Add("a", 1)) is None
    assert CommandLog().replay("state", Add("a", 1)) is None


def test_an_accepted_id_replays_its_events_and_keeps_the_current_state() -> None:
    log = CommandLog().record(Add("a", 1), ("added",), NOW)
    assert log.seen(Add("a", 1)) == ("added",)
    assert log.replay("now-state", Add("a", 1)) == Accepted("now-state", ("added",))


def test_the_same_id_with_other_content_raises() -> None:
    log = CommandLog().record(Add("a", 1), (), NOW)
    with pytest.raises(IdConflictError, match="new id"):
        log.seen(Add("a", 2))


@pytest.mark.parametrize("bad", ["", None, 7])
def test_a_command_needs_a_non_empty_string_id(bad: object) -> None:
    with pytest.raises(InvalidCommandError, match="non-empty string id"):
        CommandLog().record(Add(bad, 1), (), NOW)  # type: ignore[arg-type]


def test_recording_leaves_the_old_log_untouched() -> None:
    empty = CommandLog()
    one = empty.record(Add("a", 1), (), NOW)
    assert len(empty) == 0 and len(one) == 1 and "a" in one and "a" not in empty


def test_prune_forgets_ids_older_than_the_retention_and_records_itself() -> None:
    log = CommandLog().record(Add("old", 1), (), NOW)
    log = log.record(Add("new", 1), (), NOW.add(days=20))
    pruned, events = log.prune(PruneLog("p1"), NOW.add(days=31), retention_days=15)
    assert events == (LogPruned(NOW.add(days=16), 1),)
    assert "old" not in pruned and "new" in pruned and "p1" in pruned
    # the command's own retention wins over the policy's
    _, events = log.prune(PruneLog("p2", retention_days=0, ), NOW.add(days=31), retention_days=99)
    assert events[0].removed == 2


def test_prune_without_a_retention_uses_the_default() -> None:
    log = CommandLog().record(Add("a", 1), (), NOW)
    kept, events = log.prune(PruneLog("p"), NOW.add(days=DEFAULT_RETENTION_DAYS))
    assert events[0].removed == 0 and "a" in kept
    gone, events = log.prune(PruneLog("p"), NOW.add(days=DEFAULT_RETENTION_DAYS, seconds=1))
    assert events[0].removed == 1 and "a" not in gone


def test_a_negative_retention_is_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        PruneLog("p", retention_days=-1)


def test_a_log_cannot_hold_one_id_twice() -> None:
    e = LoggedCommand(Add("a", 1), (), NOW)
    with pytest.raises(InvalidPolicyError, match="same command id twice"):
        CommandLog([e, e])


def test_the_table_decides() -> None:
    table = {("open", Add): "open"}
    assert transition(table, "open", Add("a", 1)) == "open"
    assert transition(table, "closed", Add("a", 1)) is None


@given(st.lists(st.tuples(st.text(min_size=1, max_size=5), st.integers(0, 50)), max_size=30))
def test_logs_compare_by_content_whatever_the_order(items: list[tuple[str, int]]) -> None:
    unique = dict(items)
    a, b = CommandLog(), CommandLog()
    for k, day in unique.items():
        a = a.record(Add(k, day), (day,), NOW.add(days=day))
    for k, day in reversed(list(unique.items())):
        b = b.record(Add(k, day), (day,), NOW.add(days=day))
    assert a == b and hash(a) == hash(b) and len(a) == len(unique)
    assert [e.at for e in a] == sorted(e.at for e in a)


def test_prune_event_round_trips() -> None:
    event = LogPruned(NOW, 3)
    assert load(dump(event), LogPruned) == event
