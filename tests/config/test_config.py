"""Policies as data: round-trips, fingerprints, schema, and total error handling."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from typing import Any

import jsonschema
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import (
    dump,
    dumps_json,
    dumps_toml,
    fingerprint,
    json_schema,
    load,
    load_document,
    load_path,
    loads_json,
    loads_toml,
    policy_types,
)
from sirui.core import ConfigError
from sirui.core.money import Money
from sirui.core.windows import DaysAfterClaim, FixedValidity, Validity, Window
from sirui.rules import AmountAtLeast, Condition, ItemScope, NewCustomer, TierIn, WithinWindow
from sirui.testing import conditions

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
RULE = TierIn({"gold", "diamond"}) & AmountAtLeast(Money.of("299")) | NewCustomer()


def test_dump_is_plain_data_with_type_tags() -> None:
    assert dump(RULE) == {
        "type": "condition.any_of",
        "items": [
            {
                "type": "condition.all_of",
                "items": [
                    {"type": "condition.tier_in", "tiers": ["diamond", "gold"]},
                    {"type": "condition.amount_at_least", "threshold": "299.00"},
                ],
            },
            {"type": "condition.new_customer"},
        ],
    }


def test_json_and_toml_round_trip() -> None:
    w = WithinWindow(Window(NOW, NOW.add(days=3)))
    for p in (RULE, w, ItemScope(categories={"母婴/奶粉"}), DaysAfterClaim(7, starts_after_days=1)):
        assert loads_json(dumps_json(p)) == p
        assert loads_toml(dumps_toml(p)) == p
    assert load(dump(FixedValidity(Window(NOW, None))), Validity) == FixedValidity(Window(NOW))


def test_fingerprint_is_stable_and_sensitive() -> None:
    fp = fingerprint(RULE)
    assert fp.startswith("sha256:") and len(fp) == 71
    assert fingerprint(loads_json(dumps_json(RULE))) == fp
    assert fingerprint(TierIn({"gold"})) != fingerprint(TierIn({"silver"}))
    # Set order and hash seeds never change a fingerprint.
    code = (
        "from sirui.rules import TierIn, AmountAtLeast, NewCustomer;"
        "from sirui.core.money import Money; from sirui.config import fingerprint;"
        "print(fingerprint(TierIn({'gold','diamond'}) & AmountAtLeast(Money.of('299'))"
        " | NewCustomer()))"
    )
    for seed in ("0", "1", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout.strip()
        assert out == fp


@given(conditions())
def test_generated_conditions_round_trip(cond: Condition) -> None:
    data = dump(cond)
    assert load(data) == cond
    assert load(json.loads(json.dumps(data)), Condition) == cond
    assert fingerprint(load(data)) == fingerprint(cond)


def test_every_problem_is_listed_with_its_path() -> None:
    doc = {
        "type": "condition.all_of",
        "items": [
            {"type": "condition.quantity_at_least", "n": 0},
            {"type": "condition.nope"},
            {"type": "condition.amount_at_least", "threshold": 5.5, "extra": 1},
            {"type": "condition.tier_in"},
            {
                "type": "condition.within_window",
                "window": {"start": "2026-11-11T10:00:00", "end": "2026-11-11T09:00:00+08:00"},
            },
        ],
    }
    with pytest.raises(ConfigError) as info:
        load(doc)
    paths = [p for p, _ in info.value.problems]
    assert paths == [
        "$.items[0].n",
        "$.items[1].type",
        "$.items[2].threshold",
        "$.items[2].extra",
        "$.items[3].tiers",
        "$.items[4].window.start",
    ]
    assert "must be an int >= 1" in str(info.value)
    assert "required field is missing" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "path", "fragment"),
    [
        ({"type": "condition.tier_in", "tiers": "gold"}, "$.tiers", "expected a list"),
        ({"type": "condition.quantity_at_least", "n": 2.0}, "$.n", "expected an integer"),
        ({"type": "condition.quantity_at_least", "n": True}, "$.n", "expected an integer"),
        ({"type": "condition.has_tag", "tag": 5}, "$.tag", "expected a string"),
        ({"type": "condition.fulfillment_is", "mode": "drone"}, "$.mode", "is not one of"),
        ({"type": "condition.not", "of": {"type": "scope.items"}}, "$.of.type", "not a known"),
        ({"type": "condition.not", "of": 3}, "$.of", "expected an object"),
        ({"type": "condition.not", "of": {}}, "$.of.type", "missing 'type'"),
        ({"items": []}, "$.type", "required"),
        ({"type": "x.y"}, "$.type", "unknown policy type"),
        (
            {"type": "validity.days_after_claim", "days": 7, "tz": "Mars/Base"},
            "$.tz",
            "unknown time zone",
        ),
    ],
)
def test_bad_documents_name_the_path(doc: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(doc)
    assert info.value.problems[0][0] == path
    assert fragment in info.value.problems[0][1]


def test_documents_of_many_policies() -> None:
    policies = load_document({"policies": [dump(RULE), dump(ItemScope(tags={"x"}))]})
    assert policies == (RULE, ItemScope(tags={"x"}))
    with pytest.raises(ConfigError) as info:
        load_document([dump(RULE), {"type": "condition.has_tag"}, {"type": "nope.x"}])
    assert [p for p, _ in info.value.problems] == ["$[1].tag", "$[2].type"]
    with pytest.raises(ConfigError):
        load_document({"policies": 3})


def test_files_and_text(tmp_path: Any) -> None:
    (tmp_path / "rule.toml").write_text(dumps_toml(RULE), encoding="utf-8")
    (tmp_path / "rule.json").write_text(dumps_json(RULE), encoding="utf-8")
    assert load_path(tmp_path / "rule.toml") == RULE == load_path(tmp_path / "rule.json")
    with pytest.raises(ConfigError, match="cannot read"):
        load_path(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        loads_json("{")
    with pytest.raises(ConfigError, match="not valid TOML"):
        loads_toml("a = ")


def test_schema_describes_and_validates_every_type() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(policy_types()) <= set(schema["$defs"])
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(dump(RULE))
    validator.validate(dump(WithinWindow(Window(NOW, NOW.add(days=1)))))
    assert not validator.is_valid({"type": "condition.quantity_at_least", "n": "3"})
    one = json_schema(TierIn)
    assert one["title"] == "condition.tier_in"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
tags = st.sampled_from([*sorted(policy_types()), "nope", "condition.", ""])


@given(json_values)
def test_junk_only_ever_raises_config_error(junk: Any) -> None:
    with contextlib.suppress(ConfigError):
        load(junk)


@given(tags, st.dictionaries(st.text(max_size=12), json_values, max_size=5))
def test_junk_with_real_tags_only_ever_raises_config_error(tag: str, body: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        load({"type": tag, **body})


@given(st.text(max_size=200))
def test_junk_text_only_ever_raises_config_error(text: str) -> None:
    for fn in (loads_json, loads_toml):
        with contextlib.suppress(ConfigError):
            fn(text)


@given(st.from_type(type).filter(lambda t: t is not type(None)))
def test_any_python_type_as_target_only_raises_config_error(target: type) -> None:
    with contextlib.suppress(ConfigError):
        load({"type": "condition.always"}, target)
