"""Per-arm metrics of an experiment and each arm's difference from control.

The unit of analysis is the member, because members were randomised: every
figure is a ratio of two sums over an arm's members, ``sum(x) / sum(y)``,

| metric | x per member | y per member | over |
|---|---|---|---|
| ``conversion`` | bought (0/1) | 1 | visitors (visits given) |
| ``sales_per_visitor_fen`` | sales | 1 | visitors (visits given) |
| ``aov_fen`` (客单价) | sales | orders | buyers |
| ``repurchase_rate`` (复购率) | 2+ orders (0/1) | bought (0/1) | buyers |
| ``cost_rate`` (费比) | discount | sales at list price | buyers (discount known) |
| ``gross_margin`` (毛利率) | sales - cost | sales | buyers (cost known) |
| ``margin_per_visitor_fen`` | sales - cost | 1 | visitors (visits and cost given) |

so a member's several orders are counted together, as the delta method and
the member bootstrap both require. *Visitors* are the members in the visits
frame together with every buyer (a buyer visited, whatever the log says).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.simulate._frames import to_pandas
from sirui.simulate.experiments._assign import Experiment
from sirui.simulate.experiments._stats import normal_quantile, two_sided_p
from sirui.simulate.inputs import InputError

__all__ = ["METHODS", "METRICS", "ExperimentMetric", "compute"]

#: Analysis methods: ``"z"`` (z-tests, delta method) and ``"bootstrap"`` (members resampled).
METHODS = ("z", "bootstrap")


@attrs.frozen
class ExperimentMetric:
    """One figure compared between arms: a ratio of two per-member sums."""

    key: str
    label: str
    kind: str
    """``"proportion"``, ``"mean"`` (y is 1 for everyone) or ``"ratio"``."""
    unit: str
    """``"rate"`` (a fraction) or ``"fen"``."""
    x: str
    y: str
    needs: tuple[str, ...] = ()
    """The inputs the metric needs: ``"visits"``, ``"discount"``, ``"cost"``."""


_M = ExperimentMetric
METRICS: tuple[ExperimentMetric, ...] = (
    _M("conversion", "conversion", "proportion", "rate", "bought", "one", ("visits",)),
    _M("aov_fen", "AOV", "ratio", "fen", "sales", "orders"),
    _M(
        "sales_per_visitor_fen", "sales per visitor", "mean", "fen", "sales", "one", ("visits",)
    ),
    _M("repurchase_rate", "repurchase rate", "proportion", "rate", "repeat", "bought"),
    _M("cost_rate", "cost rate", "ratio", "rate", "discount", "gmv", ("discount",)),
    _M("gross_margin", "gross margin", "ratio", "rate", "margin", "sales", ("cost",)),
    _M(
        "margin_per_visitor_fen", "margin per visitor", "mean", "fen", "margin", "one",
        ("visits", "cost"),
    ),
)


def _ids(s: Any, table: str) -> Any:
    """Member ids as text (integer ids as their decimal text, as `Experiment.arm_of` reads them)."""
    import pandas as pd

    if s.isna().any():
        raise InputError(f"{table}: member_id is empty in {int(s.isna().sum())} row(s)")
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
        raise InputError(f"{table}: member_id must be text or integer ids, not {s.dtype}")
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("int64").astype(str).astype(object)
    bad = s.map(lambda v: not (isinstance(v, str) and v) and type(v) is not int)
    if bad.any():
        raise InputError(
            f"{table}: member_id must be non-empty text; bad value {s[bad].iloc[0]!r}"
        )
    return s.astype(str).astype(object)


def _fen(o: Any, column: str) -> Any:
    import pandas as pd

    s = o[column]
    if not pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise InputError(f"orders: {column} must be integer fen (got {s.dtype})")
    if s.isna().any():
        raise InputError(f"orders: {column} is empty in {int(s.isna().sum())} row(s)")
    return s.astype("int64")


def _amounts(o: Any) -> dict[str, Any]:
    """Per row: sales, and list amount, discount and cost where the columns allow."""
    cols = set(o.columns)
    list_amount = None
    if {"unit_price_fen", "quantity"} <= cols:
        list_amount = _fen(o, "unit_price_fen") * _fen(o, "quantity")
    out: dict[str, Any] = {}
    sales_col = next((c for c in ("paid_fen", "goods_paid_fen", "sales_fen") if c in cols), None)
    if sales_col is not None:
        out["sales"] = _fen(o, sales_col)
    elif list_amount is not None:
        out["sales"] = list_amount
    else:
        raise InputError(
            "orders: no amount column; give paid_fen, goods_paid_fen or sales_fen "
            "(or unit_price_fen and quantity)"
        )
    gmv = _fen(o, "original_fen") if "original_fen" in cols else list_amount
    if "discount_fen" in cols:
        out["discount"] = _fen(o, "discount_fen")
        out["gmv"] = gmv if gmv is not None else out["sales"] + out["discount"]
    elif gmv is not None and sales_col is not None:
        out["discount"], out["gmv"] = gmv - out["sales"], gmv
    if "cost_fen" in cols:
        out["cost"] = _fen(o, "cost_fen")
    elif {"unit_cost_fen", "quantity"} <= cols:
        out["cost"] = _fen(o, "unit_cost_fen") * _fen(o, "quantity")
    return out


def _units(experiment: Experiment, orders: Any, visits: Any) -> tuple[Any, set[str]]:
    """One row per member analysed: arm, and the sums every metric reads; the inputs present."""
    import numpy as np
    import pandas as pd

    o = to_pandas(orders)
    if "member_id" not in o.columns:
        raise InputError("orders: missing column member_id")
    ids = _ids(o["member_id"], "orders")
    amounts = {k: v.to_numpy() for k, v in _amounts(o).items()}
    rows = pd.DataFrame({"member_id": ids.to_numpy(), **amounts})
    have = {"discount"} if "discount" in rows.columns else set()
    if "cost" in rows.columns:
        have.add("cost")
    g = rows.groupby("member_id", sort=True)
    units = g.sum()
    if "order_id" in o.columns:
        units["orders"] = (
            pd.DataFrame({"member_id": ids.to_numpy(), "order_id": o["order_id"].to_numpy()})
            .groupby("member_id", sort=True)["order_id"]
            .nunique()
        )
    else:
        units["orders"] = g.size()
    if visits is not None:
        v = to_pandas(visits)
        if "member_id" not in v.columns:
            raise InputError("visits: missing column member_id")
        visitors = pd.Index(_ids(v["member_id"], "visits").unique())
        units = units.reindex(units.index.union(visitors), fill_value=0)
        have.add("visits")
    units = units.astype("int64")
    units["arm"] = experiment.assign(units.index.tolist())
    units["one"] = 1
    units["bought"] = (units["orders"] > 0).astype("int64")
    units["repeat"] = (units["orders"] >= 2).astype("int64")
    if "cost" in units.columns:
        units["margin"] = units["sales"] - units["cost"]
    for c in ("discount", "gmv", "cost", "margin"):
        if c not in units.columns:
            units[c] = np.zeros(len(units), dtype=np.int64)
    return units, have


@attrs.frozen
class _Estimate:
    """One arm's figure for one metric: the ratio, its variance, the sums behind it."""

    value: float
    variance: float
    successes: float
    """sum(x): the successes of a proportion."""
    trials: float
    """sum(y): the trials of a proportion."""


def _estimate(x: Any, y: Any, kind: str) -> _Estimate:
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sx, sy = float(x.sum()), float(y.sum())
    if sy <= 0:
        return _Estimate(float("nan"), float("nan"), sx, sy)
    r = sx / sy
    if kind == "proportion":
        return _Estimate(r, r * (1 - r) / sy, sx, sy)
    m = int((y > 0).sum())
    if m < 2:
        return _Estimate(r, float("nan"), sx, sy)
    resid = x[y > 0] - r * y[y > 0]
    return _Estimate(r, float(resid @ resid) / sy**2 * m / (m - 1), sx, sy)


def _z_difference(c: _Estimate, t: _Estimate, kind: str, z_crit: float) -> tuple[float, ...]:
    """(difference, CI low, CI high, p-value) of treatment minus control."""
    import math

    diff = t.value - c.value
    se = math.sqrt(t.variance + c.variance)
    if kind == "proportion" and c.trials > 0 and t.trials > 0:
        pooled = (c.successes + t.successes) / (c.trials + t.trials)
        null_se = math.sqrt(pooled * (1 - pooled) * (1 / c.trials + 1 / t.trials))
    else:
        null_se = se
    if math.isnan(diff) or math.isnan(se):
        return diff, float("nan"), float("nan"), float("nan")
    p = (1.0 if diff == 0 else 0.0) if null_se == 0 else two_sided_p(diff / null_se)
    return diff, diff - z_crit * se, diff + z_crit * se, p


def _generator(rng: Any) -> Any:
    import numpy as np

    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, random.Random):
        return np.random.default_rng(rng.getrandbits(128))
    if type(rng) is int:
        return np.random.default_rng(rng)
    raise invalid(
        "rng", rng, "method='bootstrap' needs an rng: an int seed, a numpy Generator or a "
        "random.Random", "pass rng=2026 to get the same intervals on every run",
        cls=InvalidValueError,
    )


def _replicates(x: Any, y: Any, n_boot: int, gen: Any) -> Any:
    """Bootstrap ratios (n_boot x metrics): members resampled with replacement within the arm."""
    import numpy as np

    n = x.shape[0]
    out = np.empty((n_boot, x.shape[1]))
    if n == 0:
        out[:] = np.nan
        return out
    chunk = max(1, min(n_boot, 4_000_000 // n))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        picks = gen.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + size] = (counts @ x) / (counts @ y)
    return out


def _boot_difference(c: Any, t: Any, diff: float, alpha: float) -> tuple[float, ...]:
    """(difference, percentile CI low, high, p-value) from bootstrap replicates of each arm."""
    import numpy as np

    d = t - c
    d = d[~np.isnan(d)]
    if len(d) == 0 or np.isnan(diff):
        return diff, float("nan"), float("nan"), float("nan")
    low, high = np.quantile(d, [alpha / 2, 1 - alpha / 2])
    below, above = int((d <= 0).sum()), int((d >= 0).sum())
    p = min(1.0, 2 * (min(below, above) + 1) / (len(d) + 1))
    return diff, float(low), float(high), p


def compute(
    experiment: Experiment,
    orders: Any,
    visits: Any,
    *,
    alpha: float,
    method: str,
    rng: Any,
    n_boot: int,
) -> tuple[Any, Any, Any]:
    """The arms frame, the differences frame, and the visitors per arm (or None)."""
    import numpy as np
    import pandas as pd

    if not 0 < alpha < 1:
        raise invalid("alpha", alpha, "must be in (0, 1)", "0.05 is usual", cls=InvalidValueError)
    if method not in METHODS:
        raise invalid("method", method, f"must be one of {METHODS}", cls=InvalidValueError)
    if type(n_boot) is not int or n_boot < 100:
        raise invalid("n_boot", n_boot, "must be an int >= 100", cls=InvalidValueError)
    gen = _generator(rng) if method == "bootstrap" else None
    units, have = _units(experiment, orders, visits)
    metrics = [m for m in METRICS if set(m.needs) <= have]
    by_arm = {name: units[units["arm"] == name] for name in experiment.arm_names}
    estimates = {
        name: {m.key: _estimate(u[m.x], u[m.y], m.kind) for m in metrics}
        for name, u in by_arm.items()
    }
    arms = _arms_frame(experiment, by_arm, estimates, metrics, have)
    boots: dict[str, Any] = {}
    if gen is not None:
        for name, u in by_arm.items():
            x = u[[m.x for m in metrics]].to_numpy(dtype=np.float64)
            y = u[[m.y for m in metrics]].to_numpy(dtype=np.float64)
            boots[name] = _replicates(x, y, n_boot, gen)
    z_crit = normal_quantile(1 - alpha / 2)
    control = experiment.control
    rows = []
    for arm in experiment.arm_names[1:]:
        for j, m in enumerate(metrics):
            c, t = estimates[control][m.key], estimates[arm][m.key]
            if gen is None:
                diff, low, high, p = _z_difference(c, t, m.kind, z_crit)
                how = _Z_METHOD[m.kind]
            else:
                diff, low, high, p = _boot_difference(
                    boots[control][:, j], boots[arm][:, j], t.value - c.value, alpha
                )
                how = f"member bootstrap, {n_boot:,} resamples, percentile interval"
            rows.append(
                {
                    "arm": arm,
                    "metric": m.key,
                    "unit": m.unit,
                    "control": c.value,
                    "value": t.value,
                    "diff": diff,
                    "ci_low": low,
                    "ci_high": high,
                    "lift": diff / c.value if c.value else float("nan"),
                    "p_value": p,
                    "significant": bool(p < alpha),
                    "method": how,
                }
            )
    diffs = pd.DataFrame(rows, columns=_DIFF_COLUMNS)
    money = diffs["unit"] == "fen"
    for col in ("control", "value", "diff", "ci_low", "ci_high"):
        diffs[col] = diffs[col].astype("float64")
        diffs.loc[money, col] = _round_fen(diffs.loc[money, col].to_numpy())
    visitors = (
        {name: len(u) for name, u in by_arm.items()} if "visits" in have else None
    )
    return arms, diffs, visitors


_Z_METHOD = {
    "proportion": "two-proportion z-test (pooled p-value, Wald interval)",
    "mean": "z-test, unpooled (Welch) variances",
    "ratio": "z-test, delta-method variance of a ratio",
}

_DIFF_COLUMNS = [
    "arm", "metric", "unit", "control", "value", "diff", "ci_low", "ci_high", "lift",
    "p_value", "significant", "method",
]


def _round_fen(v: Any) -> Any:
    """Fen figures rounded to the fen, half away from zero (NaN stays NaN)."""
    import numpy as np

    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _arms_frame(
    experiment: Experiment,
    by_arm: dict[str, Any],
    estimates: dict[str, dict[str, _Estimate]],
    metrics: Sequence[ExperimentMetric],
    have: set[str],
) -> Any:
    import pandas as pd

    shares = experiment.shares
    rows = []
    for a in experiment.arms:
        u = by_arm[a.name]
        row: dict[str, Any] = {"arm": a.name, "weight": a.weight, "share": shares[a.name]}
        if "visits" in have:
            row["visitors"] = len(u)
        row["buyers"] = int(u["bought"].sum())
        row["orders"] = int(u["orders"].sum())
        row["sales_fen"] = int(u["sales"].sum())
        if "discount" in have:
            row["gmv_fen"] = int(u["gmv"].sum())
            row["discount_fen"] = int(u["discount"].sum())
        if "cost" in have:
            row["cost_fen"] = int(u["cost"].sum())
        for m in metrics:
            row[m.key] = estimates[a.name][m.key].value
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("arm")
    for m in metrics:
        if m.unit == "fen":
            rounded = _round_fen(frame[m.key].to_numpy())
            frame[m.key] = rounded if pd.isna(rounded).any() else rounded.astype("int64")
    return frame

