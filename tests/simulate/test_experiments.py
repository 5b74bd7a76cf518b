"""Experiments (A/B 实验): stable arms, balanced splits, honest differences, sample sizes."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.config import dump, dumps_json, load, loads_json
from sirui.core import ConfigError
from sirui.core.errors import InvalidPolicyError, InvalidValueError
from sirui.simulate import (
    Experiment,
    InputError,
    analyze_experiment,
    assign_arms,
    sample_size_means,
    sample_size_proportions,
)
from sirui.simulate.experiments import Arm, chi2_sf, normal_quantile, position

LANDING = Experiment("landing-page-2026-07", {"control": 1, "new_banner": 1})
PRICE = Experiment("price-strategy", {"A": 2, "B": 1, "C": 1}, salt="2026Q3")

# -- assignment --------------------------------------------------------------------------


def test_known_assignments_are_pinned() -> None:
    # Literals: any platform, any Python, any process must give exactly these.
    assert position(LANDING.name, "", "M000001") == 2392464705778722847
    assert position(LANDING.name, "", "会员-0042") == 12504535406664952205
    assert [LANDING.arm_of(m) for m in ("M000001", "M000002", "M000003", "会员-0042", 12345)] == [
        "control", "new_banner", "control", "new_banner", "control",
    ]
    assert PRICE.assign(f"M{i:06d}" for i in range(1, 13)) == [
        "C", "C", "C", "A", "A", "A", "A", "A", "A", "C", "A", "B",
    ]


def test_position_is_sha256_of_length_prefixed_parts() -> None:
    def netstring(s: str) -> bytes:
        b = s.encode("utf-8")
        return f"{len(b)}:".encode() + b + b","

    key = netstring(PRICE.name) + netstring(PRICE.salt) + netstring("M000042")
    h = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
    assert position(PRICE.name, PRICE.salt, "M000042") == h
    assert PRICE.point("M000042") == h / 2**64
    # (h * total weight) >> 64 is the slot; A holds slots 0-1, B slot 2, C slot 3
    assert PRICE.arm_of("M000042") == "AABC"[(h * 4) >> 64]


def test_assignment_is_the_same_in_another_process() -> None:
    ids = [f"M{i:06d}" for i in range(2000)]
    code = (
        "import json, sys\n"
        "from sirui.simulate.experiments import Experiment\n"
        "exp = Experiment('price-strategy', {'A': 2, 'B': 1, 'C': 1}, salt='2026Q3')\n"
        "print(json.dumps(exp.assign(json.load(sys.stdin))))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # str hashing differs; arms must not
    out = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(ids), capture_output=True, text=True,
        check=True, env=env,
    )
    assert json.loads(out.stdout) == PRICE.assign(ids)


def test_int_ids_are_their_decimal_text() -> None:
    assert LANDING.arm_of(12345) == LANDING.arm_of("12345")
    assert LANDING.arm_of(np.int64(12345)) == LANDING.arm_of("12345")  # type: ignore[arg-type]
    for bad in (1.0, True, "", None):
        with pytest.raises(InvalidValueError, match="member_id"):
            LANDING.arm_of(bad)  # type: ignore[arg-type]


#: Chi-square critical values at alpha = 0.001 (any statistics table), by degrees of freedom.
CHI2_CRITICAL_0001 = {1: 10.828, 2: 13.816, 3: 16.266}


@pytest.mark.parametrize(
    "experiment",
    [
        LANDING,
        PRICE,
        Experiment("wording-test", {"old": 9, "new": 1}),
        Experiment("coupon-page", {"a": 1, "b": 1, "c": 1, "d": 1}, salt="s"),
    ],
    ids=lambda e: e.name,
)
def test_split_is_balanced_within_sampling_error(experiment: Experiment) -> None:
    n = 20_000
    arms = experiment.assign(f"M{i:06d}" for i in range(n))
    observed = {a: arms.count(a) for a in experiment.arm_names}
    stat = sum(
        (observed[a] - n * s) ** 2 / (n * s) for a, s in experiment.shares.items()
    )
    assert stat < CHI2_CRITICAL_0001[len(observed) - 1], observed


names = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
ids = st.one_of(st.text(min_size=1, max_size=30), st.integers(min_value=0, max_value=10**15))


@st.composite
def experiments(draw: st.DrawFn) -> Experiment:
    arm_names = draw(st.lists(names, min_size=2, max_size=5, unique=True))
    weights = draw(
        st.lists(st.integers(1, 1000), min_size=len(arm_names), max_size=len(arm_names))
    )
    return Experiment(
        draw(names),
        tuple(Arm(n, w, draw(st.text(max_size=10))) for n, w in zip(arm_names, weights)),
        salt=draw(st.text(max_size=10)),
        description=draw(st.text(max_size=20)),
    )


@given(experiments(), ids)
def test_arm_is_a_pure_function_of_name_salt_and_id(exp: Experiment, member: Any) -> None:
    arm = exp.arm_of(member)
    assert arm in exp.arm_names
    assert arm == exp.arm_of(member) == Experiment(exp.name, exp.arms, exp.salt).arm_of(member)
    assert 0 <= exp.point(member) < 1
    # the arm is the interval of [0, 1) holding the member's point
    edges = np.cumsum([a.weight for a in exp.arms]) / exp.total_weight
    assert exp.arm_names[int(np.searchsorted(edges, exp.point(member), side="right"))] == arm


@given(st.integers(2, 100), st.integers(1, 100), st.data())
def test_ramping_up_never_moves_anyone_out_of_the_growing_arm(
    control: int, treatment: int, data: st.DataObject
) -> None:
    step = data.draw(st.integers(1, control - 1))
    before = Experiment("ramp", {"control": control, "treatment": treatment})
    after = Experiment("ramp", {"control": control - step, "treatment": treatment + step})
    members = data.draw(st.lists(ids, min_size=1, max_size=50))
    for m in members:
        if before.arm_of(m) == "treatment":
            assert after.arm_of(m) == "treatment"


@given(experiments())
def test_experiment_round_trips_through_config(exp: Experiment) -> None:
    assert load(dump(exp)) == exp
    assert loads_json(dumps_json(exp)) == exp


def test_experiment_document_reads_like_the_operator_wrote_it() -> None:
    doc = {
        "type": "experiment.ab_test",
        "name": "landing-page-2026-07",
        "arms": [
            {"type": "experiment.arm", "name": "control"},
            {"type": "experiment.arm", "name": "new_banner", "description": "满199减30 banner"},
        ],
    }
    exp = load(doc)
    assert exp.arm_names == ("control", "new_banner") and exp.control == "control"
    assert exp.arm_of("M000001") == LANDING.arm_of("M000001")  # descriptions do not move arms
    with pytest.raises(ConfigError, match="at least 2 arms"):
        load({**doc, "arms": doc["arms"][:1]})


@pytest.mark.parametrize(
    ("arms", "match"),
    [
        ({"only": 1}, "at least 2 arms"),
        ({"a": 1, "b": 0}, "weight=0"),
        ({"a": 1, "b": 1.5}, "weight=1.5"),
        ((Arm("a"), Arm("a")), "unique"),
        ("ab", "Arm values"),
    ],
)
def test_invalid_experiments_cannot_be_built(arms: Any, match: str) -> None:
    with pytest.raises(InvalidPolicyError, match=match):
        Experiment("x", arms)


def test_assign_arms_frames() -> None:
    members = pd.DataFrame({"member_id": ["M000001", "M000002", "M000003"]})
    out = assign_arms(LANDING, members)
    assert list(out["arm"]) == ["control", "new_banner", "control"]
    pl = pytest.importorskip("polars")
    polars_out = assign_arms(LANDING, pl.from_pandas(members))
    assert isinstance(polars_out, pl.DataFrame)
    assert polars_out["arm"].to_list() == list(out["arm"])
    assert list(assign_arms(LANDING, [12345, "M000002"])["arm"]) == ["control", "new_banner"]
    with pytest.raises(InputError, match="member_id"):
        assign_arms(LANDING, pd.DataFrame({"id": ["M1"]}))


# -- analysis ----------------------------------------------------------------------------


def _synthetic(
    seed: int,
    exp: Experiment = LANDING,
    *,
    n: int = 20_000,
    conversion: tuple[float, float] = (0.10, 0.10),
    aov_fen: tuple[int, int] = (10_000, 10_000),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visits and orders: control and every other arm convert and spend as given."""
    rng = np.random.default_rng(seed)
    members = np.array([f"S{seed}-{i:06d}" for i in range(n)], dtype=object)
    treated = np.array(exp.assign(members)) != exp.control
    buys = rng.random(n) < np.where(treated, conversion[1], conversion[0])
    orders_each = np.where(buys, 1 + rng.poisson(0.4, n), 0)
    who = np.repeat(members, orders_each)
    mean = np.repeat(np.where(treated, aov_fen[1], aov_fen[0]), orders_each)
    paid = np.rint(rng.gamma(4.0, mean / 4.0)).astype(np.int64)
    orders = pd.DataFrame(
        {
            "order_id": [f"O{seed}-{i}" for i in range(len(who))],
            "member_id": who,
            "paid_fen": paid,
            "discount_fen": paid // 20,
            "cost_fen": paid * 3 // 5,
        }
    )
    return orders, pd.DataFrame({"member_id": members})


def test_analysis_recovers_a_planted_effect() -> None:
    orders, visits = _synthetic(1, conversion=(0.10, 0.13), aov_fen=(10_000, 11_000))
    res = analyze_experiment(LANDING, orders, visits)
    conv = res.difference("conversion")
    assert conv["ci_low"] < 0.03 < conv["ci_high"]  # the true difference is inside
    assert conv["p_value"] < 0.001 and conv["significant"]
    assert conv["method"].startswith("two-proportion z-test")
    aov = res.difference("aov_fen", "new_banner")
    assert aov["ci_low"] < 1_000 < aov["ci_high"]
    assert aov["p_value"] < 0.001 and aov["unit"] == "fen"
    assert aov["method"] == "z-test, delta-method variance of a ratio"
    assert res.difference("repurchase_rate")["p_value"] > 0.05  # nothing planted there
    assert not res.sample_ratio_mismatch
    # the per-arm table adds up to the input
    assert res.arms["orders"].sum() == len(orders)
    assert res.arms["sales_fen"].sum() == orders["paid_fen"].sum()
    assert res.arms["visitors"].sum() == len(visits)
    assert res.arms.loc["control", "conversion"] == pytest.approx(
        res.arms.loc["control", "buyers"] / res.arms.loc["control", "visitors"]
    )


def test_bootstrap_agrees_with_the_z_tests_and_is_reproducible() -> None:
    orders, visits = _synthetic(2, conversion=(0.10, 0.13), aov_fen=(10_000, 11_000), n=8_000)
    z = analyze_experiment(LANDING, orders, visits)
    boot = analyze_experiment(LANDING, orders, visits, method="bootstrap", rng=7, n_boot=500)
    for metric in ("conversion", "aov_fen", "sales_per_visitor_fen"):
        a, b = z.difference(metric), boot.difference(metric)
        assert a["diff"] == b["diff"]  # same point estimate
        width_z, width_b = a["ci_high"] - a["ci_low"], b["ci_high"] - b["ci_low"]
        assert 0.75 < width_b / width_z < 1.33, metric
        assert b["method"].startswith("member bootstrap, 500 resamples")
    again = analyze_experiment(LANDING, orders, visits, method="bootstrap", rng=7, n_boot=500)
    assert again.differences.equals(boot.differences)
    import random

    other = analyze_experiment(
        LANDING, orders, visits, method="bootstrap", rng=random.Random(8), n_boot=500
    )
    assert not other.differences["ci_low"].equals(boot.differences["ci_low"])
    with pytest.raises(InvalidValueError, match="rng"):
        analyze_experiment(LANDING, orders, visits, method="bootstrap")


def test_aa_split_finds_nothing_beyond_its_alpha() -> None:
    exp = Experiment("aa-check", {"a": 1, "b": 1})
    keys = ("conversion", "aov_fen", "sales_per_visitor_fen", "repurchase_rate")
    p_values = []
    for seed in range(20):
        orders, visits = _synthetic(100 + seed, exp, n=6_000)
        res = analyze_experiment(exp, orders, visits)
        p_values += [res.difference(k)["p_value"] for k in keys]
    false_alarms = sum(p < 0.05 for p in p_values)
    # 80 tests at alpha 0.05 expect 4; 11 or more would happen with probability < 0.003
    assert false_alarms <= 10, false_alarms
    assert 0.3 < float(np.mean(p_values)) < 0.7  # p-values spread as under the null


def test_sample_ratio_mismatch_is_flagged() -> None:
    orders, visits = _synthetic(3)
    arms = np.array(LANDING.assign(visits["member_id"]))
    drop = np.flatnonzero(arms == "new_banner")[:1000]  # a logging bug loses treated visits
    res = analyze_experiment(LANDING, orders, visits.drop(index=drop))
    assert res.srm_p_value is not None and res.srm_p_value < 0.001
    assert res.sample_ratio_mismatch
    assert "SAMPLE RATIO MISMATCH" in res.to_text()


def test_order_lines_count_orders_once_and_give_margin() -> None:
    lines = pd.DataFrame(
        {
            "order_id": ["O1", "O1", "O2", "O3"],
            "member_id": ["M000001", "M000001", "M000001", "M000002"],
            "unit_price_fen": [26800, 1990, 12900, 8900],
            "quantity": [1, 2, 1, 1],
            "unit_cost_fen": [19800, 900, 8200, 5100],
        }
    )
    res = analyze_experiment(LANDING, lines)
    arms = res.arms
    assert arms.loc["control", "orders"] == 2 and arms.loc["new_banner", "orders"] == 1
    assert arms.loc["control", "sales_fen"] == 26800 + 2 * 1990 + 12900
    assert arms.loc["control", "aov_fen"] == (26800 + 2 * 1990 + 12900) // 2
    assert arms.loc["control", "repurchase_rate"] == 1.0
    assert arms.loc["control", "gross_margin"] == pytest.approx(
        1 - (19800 + 2 * 900 + 8200) / (26800 + 2 * 1990 + 12900)
    )
    # list prices only: no discount to speak of, no visits: no conversion
    assert "cost_rate" not in arms.columns and "conversion" not in arms.columns
    assert set(res.differences["metric"]) == {"aov_fen", "repurchase_rate", "gross_margin"}


def test_simulation_results_can_be_analysed(tiny: dict[str, Any], baseline: Any) -> None:
    from sirui.simulate import simulate

    result = simulate(tiny["orders"], tiny["members"], baseline)
    res = analyze_experiment(LANDING, result.orders)
    frame = result.orders
    assert res.arms["discount_fen"].sum() == frame["discount_fen"].sum()
    assert res.arms["gmv_fen"].sum() == frame["original_fen"].sum()
    assert res.arms["sales_fen"].sum() == frame["goods_paid_fen"].sum()
    assert "cost_rate" in set(res.differences["metric"])


def test_polars_in_polars_out() -> None:
    pl = pytest.importorskip("polars")
    orders, visits = _synthetic(4, n=2_000)
    res = analyze_experiment(LANDING, pl.from_pandas(orders), pl.from_pandas(visits))
    assert res.is_polars
    assert isinstance(res.arms, pl.DataFrame) and isinstance(res.differences, pl.DataFrame)
    assert res.arms.columns[0] == "arm"
    back = res.to_pandas()
    same = analyze_experiment(LANDING, orders, visits)
    pd.testing.assert_frame_equal(back.arms, same.arms)
    pd.testing.assert_frame_equal(back.differences, same.differences)
    assert back.to_polars().arms.equals(res.arms)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([f"M{i:03d}" for i in range(12)]),
            st.integers(0, 10**7),
            st.integers(0, 10**5),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_arms_add_up_to_the_orders(rows: list[tuple[str, int, int]]) -> None:
    orders = pd.DataFrame(rows, columns=["member_id", "paid_fen", "discount_fen"])
    res = analyze_experiment(PRICE, orders)
    arms = res.arms
    assert arms["orders"].sum() == len(orders)
    assert arms["sales_fen"].sum() == orders["paid_fen"].sum()
    assert arms["discount_fen"].sum() == orders["discount_fen"].sum()
    assert arms["buyers"].sum() == orders["member_id"].nunique()
    for arm, row in arms.iterrows():
        mine = orders[[PRICE.arm_of(m) == arm for m in orders["member_id"]]]
        assert row["orders"] == len(mine)
    d = res.differences
    assert list(d["arm"].unique()) == [a for a in ("B", "C") if a in set(d["arm"])]
    ok = d["p_value"].dropna()
    assert ((ok >= 0) & (ok <= 1)).all()


def test_bad_inputs_are_refused_with_the_column_named() -> None:
    good = pd.DataFrame({"member_id": ["M1"], "paid_fen": [100]})
    with pytest.raises(InputError, match="member_id"):
        analyze_experiment(LANDING, good.rename(columns={"member_id": "who"}))
    with pytest.raises(InputError, match="integer fen"):
        analyze_experiment(LANDING, good.assign(paid_fen=[1.5]))
    with pytest.raises(InputError, match="no amount column"):
        analyze_experiment(LANDING, good.drop(columns="paid_fen"))
    with pytest.raises(InputError, match="visits: missing column member_id"):
        analyze_experiment(LANDING, good, pd.DataFrame({"visitor": ["M1"]}))
    with pytest.raises(InvalidValueError, match="alpha"):
        analyze_experiment(LANDING, good, alpha=1.5)
    with pytest.raises(InvalidValueError, match="method"):
        analyze_experiment(LANDING, good, method="bayes")


def test_report_reads_in_yuan_and_percent() -> None:
    orders, visits = _synthetic(5, conversion=(0.10, 0.13), aov_fen=(10_000, 11_000), n=6_000)
    res = analyze_experiment(LANDING, orders, visits)
    text = res.to_text()
    assert text.startswith("Experiment landing-page-2026-07: new_banner vs control")
    assert "new_banner vs control" in text and "95% interval" in text
    conv = res.difference("conversion")
    assert f"{conv['value'] * 100:.2f}%" in text  # rates as percentages
    assert f"{conv['diff'] * 100:+.2f} pp" in text  # rate differences in percentage points
    aov = int(res.arms.loc["control", "aov_fen"])
    assert f"¥{aov // 100:,}.{aov % 100:02d}" in text  # money as yuan with separators
    sales = int(res.arms.loc["control", "sales_fen"])
    assert f"¥{sales // 100:,}.{sales % 100:02d}" in text and "," in f"{sales // 100:,}"
    assert "two-proportion z-test" in text and "delta-method" in text
    doc = res._repr_html_()
    assert doc.count("<table>") == 2 and "¥" in doc and "%" in doc
    assert repr(res).startswith("<ExperimentResult Experiment landing-page-2026-07")


# -- statistics ----------------------------------------------------------------------------


def test_sample_sizes_match_textbook_figures() -> None:
    # R's power.prop.test(p1 = .50, p2 = .75, power = .90): n = 76.7 per group.
    assert sample_size_proportions(0.50, 0.75, power=0.90).control == 77
    # Cohen (1988), Table 2.4.1: d = 0.5 at two-sided alpha .05 and power .80 needs 64 per group
    # (R's power.t.test(delta = .5, power = .8): 63.77).
    n = sample_size_means(50, 100)
    assert (n.control, n.treatment, n.total) == (64, 64, 128)
    # 10% -> 12% conversion, the usual A/B question: the formula by hand
    za, zb = normal_quantile(0.975), normal_quantile(0.8)
    by_hand = (za * math.sqrt(2 * 0.11 * 0.89) + zb * math.sqrt(0.1 * 0.9 + 0.12 * 0.88)) ** 2
    assert sample_size_proportions(0.10, 0.12).control == math.ceil(by_hand / 0.02**2) == 3841


def test_unequal_splits_need_more_members_in_total() -> None:
    even = sample_size_proportions(0.10, 0.12)
    skewed = sample_size_proportions(0.10, 0.12, ratio=1 / 9)  # a 90/10 split
    assert skewed.total > even.total
    assert skewed.treatment == pytest.approx(skewed.control / 9, abs=1)
    assert "members" in str(skewed)


@given(
    st.floats(0.01, 0.9),
    st.floats(0.005, 0.09),
    st.sampled_from([0.01, 0.05, 0.1]),
    st.sampled_from([0.8, 0.9]),
)
def test_bigger_effects_need_fewer_members(
    p: float, lift: float, alpha: float, power: float
) -> None:
    small = sample_size_proportions(p, p + lift / 2, alpha=alpha, power=power)
    large = sample_size_proportions(p, p + lift, alpha=alpha, power=power)
    assert large.control <= small.control
    assert sample_size_proportions(p, p + lift, alpha=alpha, power=0.95).control >= large.control


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sample_size_proportions(0.1, 0.1), "differ"),
        (lambda: sample_size_proportions(0, 0.1), "baseline"),
        (lambda: sample_size_proportions(0.1, 0.2, power=1), "power"),
        (lambda: sample_size_means(0, 100), "effect_fen"),
        (lambda: sample_size_means(10, -1), "sd_fen"),
        (lambda: sample_size_means(10, 100, ratio=0), "ratio"),
    ],
)
def test_sample_size_misuse_is_refused(call: Any, match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        call()


def test_chi_square_tail_matches_closed_forms() -> None:
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(10.828, 1) == pytest.approx(0.001, rel=1e-3)
    for x in (0.1, 1.0, 4.0, 30.0):
        assert chi2_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-9)
        assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-9)
        # df = 4: exp(-x/2) * (1 + x/2)
        assert chi2_sf(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-9)
    assert chi2_sf(0, 3) == 1.0
