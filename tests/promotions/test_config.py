"""Every generated promotion, coupon template and trigger round-trips through config."""

from __future__ import annotations

import json

from hypothesis import given

from sirui.config import dump, fingerprint, load, loads_json
from sirui.promotions import CouponTemplate, IssueTrigger, Promotion
from sirui.testing.promotions import coupon_templates, promotions, triggers


@given(promotions())
def test_promotions_round_trip(p: Promotion) -> None:
    assert load(dump(p)) == p
    assert load(dump(p), Promotion) == p
    assert loads_json(json.dumps(dump(p))) == p
    assert fingerprint(load(dump(p))) == fingerprint(p)


@given(coupon_templates())
def test_coupon_templates_round_trip(t: CouponTemplate) -> None:
    assert load(dump(t)) == t
    assert load(dump(t), CouponTemplate) == t


@given(triggers())
def test_triggers_round_trip(t: IssueTrigger) -> None:
    assert load(dump(t)) == t
    assert load(dump(t), IssueTrigger) == t


def test_a_bad_tier_in_a_document_names_its_path() -> None:
    import pytest

    from sirui.core.errors import ConfigError

    doc = {
        "type": "promotion.full_reduction",
        "id": "d11",
        "tiers": [{"threshold": "299", "off": "40"}, {"threshold": "199", "off": "20"}],
    }
    with pytest.raises(ConfigError, match="tiers"):
        load(doc)


def test_every_promotion_coupon_and_trigger_type_has_a_json_schema() -> None:
    from sirui.config import json_schema
    from sirui.core.registry import policy_types

    tags = [t for t in policy_types() if t.split(".")[0] in ("promotion", "coupon", "trigger")]
    assert len(tags) >= 22
    for tag in tags:
        schema = json.dumps(json_schema(policy_types()[tag]))
        assert tag in schema
