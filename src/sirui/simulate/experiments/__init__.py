"""Experiments (A/B 实验): deterministic arms, per-arm metrics, differences, sample sizes.

The seeds' operators test a landing page (活动页), a message (文案) or a
price strategy (价格策略) on part of their members before rolling it out.

* `Experiment` is the policy: a name, arms with integer weights (the first
  is the control), an optional salt. `Experiment.arm_of` gives a member's
  arm as a pure function of the name, the salt and the id (SHA-256; see
  `sirui.simulate.experiments._assign`), the same in a backend, a notebook
  and a batch job. It round-trips through `sirui.config` like any policy.
* `assign_arms` assigns a frame or a list of member ids.
* `analyze_experiment` reads the experiment's orders (and visits, for
  conversion) and gives an `ExperimentResult`: per-arm AOV, conversion,
  sales per visitor, repurchase rate, cost rate, gross margin and margin
  per visitor; each arm's difference from control with a confidence
  interval and a p-value (z-tests with the delta method, or a member
  bootstrap with a seed); and a sample ratio check. Pandas in gives pandas
  out, polars gives polars.
* `sample_size_proportions` and `sample_size_means` size a test before it
  starts.

Needs the ``analysis`` extra (numpy, pandas) for frames; assignment and
sample sizes need only the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sirui.core.registry import renamed as _renamed
from sirui.simulate._frames import is_polars, to_pandas, to_polars
from sirui.simulate.experiments._analysis import METHODS, METRICS, ExperimentMetric, compute
from sirui.simulate.experiments._assign import Arm, Experiment, position
from sirui.simulate.experiments._report import ExperimentResult, srm_p_value
from sirui.simulate.experiments._stats import (
    SampleSize,
    chi2_sf,
    normal_quantile,
    sample_size_means,
    sample_size_proportions,
)
from sirui.simulate.inputs import InputError

__all__ = [
    "METHODS",
    "METRICS",
    "Arm",
    "Experiment",
    "ExperimentMetric",
    "ExperimentResult",
    "SampleSize",
    "analyze_experiment",
    "assign_arms",
    "chi2_sf",
    "normal_quantile",
    "position",
    "sample_size_means",
    "sample_size_proportions",
]


def assign_arms(experiment: Experiment, members: Any) -> Any:
    """Each member's arm: a frame of ``member_id`` and ``arm``.

    ``members`` is a frame with a ``member_id`` column (pandas or polars;
    polars in gives polars out, one row per input row, in order) or an
    iterable of ids (gives pandas).
    """
    import pandas as pd

    from sirui.simulate.experiments._analysis import _ids

    if hasattr(members, "columns"):
        frame = to_pandas(members)
        if "member_id" not in frame.columns:
            raise InputError("members: missing column member_id")
        ids = _ids(frame["member_id"], "members").tolist()
    elif isinstance(members, Iterable) and not isinstance(members, str | bytes):
        ids = list(members)
    else:
        raise InputError("members: give a frame with a member_id column or a list of ids")
    out = pd.DataFrame({"member_id": ids, "arm": experiment.assign(ids)})
    return to_polars(out) if is_polars(members) else out


def analyze_experiment(
    experiment: Experiment,
    orders: Any,
    visits: Any = None,
    *,
    alpha: float = 0.05,
    method: str = "z",
    rng: Any = None,
    n_boot: int = 2000,
) -> ExperimentResult:
    """Per-arm metrics and each arm's difference from control.

    Args:
        experiment: the experiment; every member's arm is ``experiment.arm_of``.
        orders: the experiment's orders (pandas or polars): one row per order or
            per order line (rows sharing an ``order_id`` are one order) with
            ``member_id`` and an amount in integer fen: ``paid_fen``,
            ``goods_paid_fen`` (a simulation's result) or ``sales_fen``, else
            ``unit_price_fen * quantity``. The discount comes from
            ``discount_fen``, or list price (``original_fen``, or
            ``unit_price_fen * quantity``) minus the amount paid; the cost from
            ``cost_fen`` or ``unit_cost_fen * quantity``. Metrics whose inputs
            are missing are left out. Pass only the orders placed while the
            experiment ran, by the members it reached.
        visits: optional frame with ``member_id`` (one row per visit, any
            other columns ignored): adds conversion, sales and margin per
            visitor, and the sample ratio check.
        alpha: the significance level; intervals are ``1 - alpha``.
        method: ``"z"`` (the default): the two-proportion z-test for rates,
            z-tests with Welch's unpooled variances and the delta method for
            means and ratios; ``"bootstrap"``: members resampled within each
            arm ``n_boot`` times, percentile intervals, p-values from the
            share of resampled differences on the far side of zero. See
            `sirui.simulate.experiments._stats`.
        rng: for ``method="bootstrap"`` (required there): an int seed, a
            ``numpy.random.Generator`` or a ``random.Random``; the same seed
            gives the same intervals.
        n_boot: bootstrap resamples (at least 100).
    """
    arms, diffs, visitors = compute(
        experiment, orders, visits, alpha=alpha, method=method, rng=rng, n_boot=n_boot
    )
    result = ExperimentResult(
        experiment, arms, diffs, alpha, method, srm_p_value(visitors, experiment)
    )
    polars = is_polars(orders) or (visits is not None and is_polars(visits))
    return result.to_polars() if polars else result

#: Old names kept one release (see CHANGELOG); each warns and names the new one.
__getattr__ = _renamed(__name__, {"Metric": "ExperimentMetric"})
