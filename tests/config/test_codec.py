"""The codec for every value: tags, versions, migrations, slots typed Any, and hostile input.

Whatever a stored document holds (truncated, another type, a newer or an
older schema, a hand-edited field, a bomb of nesting or digits), loading it
raises `ConfigError` and nothing else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import (
    MONEY_PATTERN,
    dump,
    dumps_json,
    dumps_toml,
    json_schema,
    load,
    load_path,
    loads_json,
    loads_toml,
    migration,
    schema_version,
    schemas,
    to_plain,
    wire_name,
)
from sirui.core import ConfigError
from sirui.core.errors import SiruiError
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.registry import resolve_wire
from sirui.loyalty.points import Earn, PointsLedger, Spend
from sirui.rules import (
    Accepted,
    AmountAtLeast,
    CommandLog,
    LogPruned,
    PruneLog,
    Rejected,
    event_to_dict,
    reason_code,
)

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
SHORT = reason_code("codec_test.short", zh="还差{short}", en="{short} to go")


def ledger() -> PointsLedger:
    led = PointsLedger.open("m1")
    led = led.handle(Earn("e1", 300, source="signin"), now=NOW).state
    led = led.handle(Earn("e2", 200, order_id="o1"), now=NOW.add(days=1)).state
    return led.handle(Spend("s1", 250, order_id="o2"), now=NOW.add(days=2)).state


def reload(value: Any, cls: Any = None) -> Any:
    return loads_json(dumps_json(value), cls or type(value))


# -- documents: a type tag and a schema version ----------------------------------------------


def test_a_stored_state_says_what_it_is_and_which_schema_wrote_it() -> None:
    data = dump(ledger())
    assert data["type"] == "loyalty.points.PointsLedger" == wire_name(PointsLedger)
    assert data["schema"] == schema_version(PointsLedger) == 1
    assert reload(ledger()) == ledger()
    assert loads_json(dumps_json(ledger())) == ledger(), "the tag alone picks the class"


def test_policies_keep_their_tags_and_fingerprints() -> None:
    rule = AmountAtLeast(Money.of("299"))
    assert dump(rule) == {"type": "condition.amount_at_least", "threshold": "299.00"}
    assert load({"type": "condition.amount_at_least", "threshold": "299", "schema": 1}) == rule


def test_money_alone_is_text() -> None:
    assert dump(Money.of("12.3")) == "12.30"
    assert dump(Money.of("12.3", "USD")) == "12.30 USD"
    assert load("¥299", Money) == Money.of("299")
    assert loads_json('"12.30 USD"', Money) == Money.of("12.30", "USD")


def test_reasons_keep_typed_parameters() -> None:
    r = SHORT(short=Money.of("11.10"))
    assert dump(r)["params"] == {"short": {"type": "core.Money", "value": "11.10"}}
    back = reload(r)
    assert back == r and back.params["short"] == Money.of("11.10")
    assert back.en == "¥11.10 to go"


def test_outcomes_round_trip_with_their_state_and_events() -> None:
    led = ledger()
    acc: Accepted[PointsLedger] = led.handle(Earn("e3", 5), now=NOW.add(days=3))
    assert reload(acc, Accepted) == acc
    rej = led.handle(Spend("s2", 10_000), now=NOW.add(days=3))
    assert isinstance(rej, Rejected)
    assert reload(rej, Rejected) == rej


def test_a_command_log_keeps_commands_and_events_by_their_type() -> None:
    log = CommandLog().record(PruneLog("p1", 3), [LogPruned(NOW, 2)], NOW)
    data = dump(log)
    assert data == [{
        "command": {"type": "rules.PruneLog", "id": "p1", "retention_days": 3},
        "events": [{"type": "rules.LogPruned", "before": "2026-11-11T10:00:00+08:00",
                    "removed": 2}],
        "at": "2026-11-11T10:00:00+08:00",
    }]
    assert load(json.loads(json.dumps(data)), CommandLog) == log


class Colour(enum.Enum):
    RED = "red"


@attrs.frozen
class Bag:
    """A host value with a slot typed Any."""

    item: Any
    items: PMap[Any, int] = attrs.field(factory=PMap)


@pytest.mark.parametrize(
    "item",
    [
        "text", 3, True, None, Money.of("1.50"), Decimal("0.95"), NOW, dt.date(2026, 1, 2),
        dt.time(10, 30), dt.timedelta(seconds=90), frozenset({"a", "b"}), ("a", (1, 2)),
        SHORT(short=Money(5)), PruneLog("p", 1), AmountAtLeast(Money.of("9")),
        {"k": Money(1), 2: "x"},
    ],
    ids=lambda v: type(v).__name__,
)
def test_a_slot_typed_any_holds_any_value_by_its_tag(item: Any) -> None:
    bag = Bag(item, PMap.from_items([(("k", 1), 2), ("s", 3)]))
    assert reload(bag) == bag


def test_a_slot_typed_any_refuses_what_is_not_exact() -> None:
    with pytest.raises(TypeError, match="floats are not exact"):
        dump(Bag(0.1))
    with pytest.raises(TypeError, match="cannot write"):
        dump(Bag(object()))
    with pytest.raises(ConfigError, match=r"\$\.item"):
        load({"item": 0.5}, Bag)
    with pytest.raises(ConfigError, match="needs a 'type'"):
        load({"item": {"a": 1}}, Bag)
    with pytest.raises(ConfigError, match="not a known sirui type"):
        load({"item": {"type": "loyalty.points.Nope"}}, Bag)


def test_persistent_maps_are_objects_when_keyed_by_text() -> None:
    m = PMap.from_items([("b", 2), ("a", 1)])
    assert dump(m) == {"a": 1, "b": 2}
    assert load({"a": 1, "b": 2}, PMap[str, int]) == m
    assert load([["a", 1], ["b", 2]], PMap[Any, int]) == m
    keyed = PMap.from_items([(("a", 1), 2)])
    assert dump(keyed) == [[["a", 1], 2]]
    assert load([[["a", 1], 2]], PMap[tuple[str, int], int]) == keyed
    with pytest.raises(ConfigError, match="twice"):
        load([[["a", 1], 1], [["a", 1], 2]], PMap[tuple[str, int], int])


# -- wire names -------------------------------------------------------------------------------


def test_events_go_by_qualified_wire_names() -> None:
    from sirui.campaigns.assist import AssistCompleted as AssistDone
    from sirui.loyalty.points import TaskCompleted as PointsDone

    assert wire_name(AssistDone) == "campaigns.assist.AssistCompleted"
    assert wire_name(PointsDone) == "loyalty.points.TaskCompleted"
    out = ledger().handle(Earn("e9", 1), now=NOW.add(days=3))
    assert event_to_dict(out.events[0])["event"] == "loyalty.points.PointsEarned"


def test_only_public_names_resolve() -> None:
    assert resolve_wire("loyalty.points.PointsLedger") is PointsLedger
    assert resolve_wire("loyalty.points.ledger.PointsLedger") is None  # not its wire name
    assert resolve_wire("os.path") is None
    assert resolve_wire("loyalty.points.__class__") is None
    assert resolve_wire("loyalty..x") is None


# -- versions and migrations -----------------------------------------------------------------


@attrs.frozen
class Ticket:
    """A host value whose layout changed: ``seats`` was ``count`` in schema 1."""

    id: str
    seats: int


@migration(Ticket, 1)
def _ticket_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    doc["seats"] = doc.pop("count")
    return doc


def test_an_older_document_is_migrated_and_a_newer_one_refused() -> None:
    assert schema_version(Ticket) == 2
    assert dump(Ticket("t", 2))["schema"] == 2
    assert load({"schema": 1, "id": "t", "count": 2}, Ticket) == Ticket("t", 2)
    assert load({"id": "t", "count": 2}, Ticket) == Ticket("t", 2), "no schema: version 1"
    assert load(dump(Ticket("t", 2)), Ticket) == Ticket("t", 2)
    with pytest.raises(ConfigError) as info:
        load({"schema": 3, "id": "t", "seats": 2}, Ticket)
    assert info.value.problems[0][0] == "$.schema"
    assert "newer sirui" in info.value.problems[0][1]


@attrs.frozen
class Seat:
    n: int


@attrs.frozen
class Row:
    seat: Seat


# Only 2 -> 3 is known: a schema-1 Seat can no longer be read.
migration(Seat, 2)(lambda doc: doc)


def test_a_version_no_migration_reaches_is_refused_with_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        load({"seat": {"schema": 1, "n": 1}}, Row)
    assert [p for p, _ in info.value.problems] == ["$.seat.schema"]
    assert "no migration from version 1" in info.value.problems[0][1]
    assert load({"seat": {"schema": 2, "n": 1}}, Row) == Row(Seat(1))
    assert dump(Row(Seat(1))) == {"type": wire_name(Row), "schema": 1,
                                  "seat": {"schema": 3, "n": 1}}


# -- hostile input: only ConfigError ---------------------------------------------------------


def _only_config_error(fn: Any, *args: Any) -> None:
    with contextlib.suppress(ConfigError):
        fn(*args)


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, '{"a":' * 100_000, "1e400", "-1e400", "NaN", "Infinity", "1" * 5000,
     '{"type": "loyalty.points.PointsLedger", "schema": 1', "\udcff", ""],
    ids=lambda t: repr(t[:12]),
)
def test_hostile_json_text_raises_config_error(text: str) -> None:
    for cls in (None, PointsLedger, Bag, Money):
        with pytest.raises(ConfigError):
            loads_json(text, cls)


@pytest.mark.parametrize(
    "text",
    ["a = " + "[" * 100_000, "a = " + "{b = " * 10_000, "a = 1" + "0" * 5000, "a = inf",
     "a = nan", "a = 1979-05-27T07:32:00Z", "= ="],
    ids=lambda t: repr(t[:12]),
)
def test_hostile_toml_text_raises_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        loads_toml(text, Bag)


def test_huge_numbers_are_refused() -> None:
    with pytest.raises(ConfigError, match="out of range"):
        load({"id": "t", "seats": 10**5000, "schema": 2}, Ticket)
    with pytest.raises(ConfigError, match="expected an integer"):
        loads_json('{"id": "t", "seats": 1e400, "schema": 2}', Ticket)
    with pytest.raises(ConfigError, match="out of range"):
        load({"item": 2**64}, Bag)
    with pytest.raises(ConfigError, match="no exponent"):
        load({"item": {"type": "decimal", "value": "1e999999"}}, Bag)


def test_deeply_nested_data_raises_config_error() -> None:
    deep: Any = []
    for _ in range(50_000):
        deep = [deep]
    with pytest.raises(ConfigError, match="nested too deeply"):
        load({"item": deep}, Bag)
    cond: Any = {"type": "condition.always"}
    for _ in range(5_000):
        cond = {"type": "condition.not", "of": cond}
    with pytest.raises(ConfigError, match="nested too deeply"):
        load(cond)


def test_bytes_and_files_of_any_encoding(tmp_path: Path) -> None:
    text = dumps_json(ledger())
    assert loads_json(text.encode("utf-8"), PointsLedger) == ledger()
    assert loads_json(b"\xef\xbb\xbf" + text.encode("utf-8"), PointsLedger) == ledger()
    with pytest.raises(ConfigError, match="not UTF-8"):
        loads_json("会员".encode("gbk"), Money)
    bad = tmp_path / "bad.json"
    bad.write_bytes('{"type": "condition.has_tag", "tag": "会员"}'.encode("gbk"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_path(bad)
    (tmp_path / "rule.toml").write_bytes(b"type = 'condition.has_tag'\ntag = 'vip'\n")
    assert dump(load_path(tmp_path / "rule.toml")) == {"type": "condition.has_tag", "tag": "vip"}
    with pytest.raises(ConfigError, match="cannot read"):
        load_path(tmp_path)
    with pytest.raises(ConfigError):
        loads_json(3, Money)  # type: ignore[arg-type]


def test_a_document_of_another_type_is_refused_at_its_tag() -> None:
    data = dump(ledger())
    data["type"] = "loyalty.points.StoredValueAccount"
    with pytest.raises(ConfigError) as info:
        load(data, PointsLedger)
    assert info.value.problems[0][0] == "$.type"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:4]):
            out += _paths(v, (*prefix, i))
    return out


STORED = dump(ledger())
STORED_TEXT = json.dumps(STORED)
PATHS = _paths(STORED)


@given(st.sampled_from(PATHS), json_values, st.booleans())
def test_hand_edited_documents_only_raise_config_error(
    path: tuple[Any, ...], new: Any, delete: bool
) -> None:
    doc = json.loads(STORED_TEXT)
    node = doc
    for step in path[:-1]:
        node = node[step]
    if path and delete and isinstance(node, dict):
        del node[path[-1]]
    elif path:
        node[path[-1]] = new
    else:
        doc = new
    _only_config_error(load, doc, PointsLedger)
    _only_config_error(load, doc)


@given(st.integers(0, len(STORED_TEXT) - 1))
def test_truncated_documents_raise_config_error(cut: int) -> None:
    with pytest.raises(ConfigError):
        loads_json(STORED_TEXT[:cut], PointsLedger)


# -- schemas for the doors -------------------------------------------------------------------


def test_schemas_cover_states_commands_events_carts_and_quotes() -> None:
    every = schemas()
    for name in ("loyalty.points.PointsLedger", "loyalty.points.Earn",
                 "loyalty.points.PointsEarned", "core.Cart", "checkout.Quote",
                 "rules.Reason", "rules.LoggedCommand", "promotion.full_reduction"):
        assert name in every, name
    schema = json_schema(PointsLedger)
    assert schema["title"] == "loyalty.points.PointsLedger"


def test_to_plain_has_no_header() -> None:
    assert "type" not in to_plain(ledger())
    assert dumps_toml(AmountAtLeast(Money.of("1"))).startswith('type = "condition')


# -- the money pattern of the schemas reads what Money.parse reads ----------------------------

MONEY_TOKENS = [
    *"0123456789.,-+ ", "０", "５", "９", "．", "，", "－", "＋", "\u3000", "\t",
    "¥", "￥", "$", "US$", "HK$", "NT$", "MOP$", "JP¥", "JP￥", "₩", "€", "£",
    "RMB", "rmb", "CNY", "USD", "JPY", "BHD", "XYZ", "元", "块", "e", "1,000", ",000",
]
money_texts = st.lists(st.sampled_from(MONEY_TOKENS), max_size=9).map("".join)


@pytest.mark.parametrize("text", ["¥299", "299", "１００元", "￥１００．５", "-¥1,234.50",
                                  "12.30 USD", "US$5", " 12.3 ", "JP¥1,000", "+.5", "1.500"])
def test_the_money_pattern_takes_every_form_money_parse_reads(text: str) -> None:
    Money.parse(text)
    assert re.search(MONEY_PATTERN, text)
    validator = jsonschema.Draft202012Validator(json_schema(AmountAtLeast))
    assert validator.is_valid({"type": "condition.amount_at_least", "threshold": text})


@given(money_texts | st.text(max_size=12))
def test_what_money_parse_reads_the_pattern_takes(text: str) -> None:
    try:
        Money.parse(text)
    except SiruiError:
        return
    assert re.search(MONEY_PATTERN, text), text
