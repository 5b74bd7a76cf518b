"""The statistics behind experiments: z-tests, the delta method, chi-square, sample sizes.

Standard library only (no SciPy): normal quantiles and probabilities come
from `statistics.NormalDist` (Wichura's AS 241 for the quantile, exact to
double precision) and `math.erfc`; the chi-square tail is the regularised
upper incomplete gamma function, by its series below ``a + 1`` and Lentz's
continued fraction above (Numerical Recipes, 6.2), good to about 1e-12.

Methods, named in every report:

* a proportion (conversion, repurchase rate): the two-proportion z-test,
  the pooled proportion under the null hypothesis for the p-value and the
  unpooled (Wald) standard error for the confidence interval;
* a mean per member (sales per visitor): a z-test with each arm's own
  variance (Welch's unpooled standard error; the normal rather than the t
  distribution, since experiments have hundreds of members per arm or more);
* a ratio of two sums over members (AOV = sales / orders, cost rate,
  gross margin): the same z-test with the delta-method variance of a ratio,
  which counts a member's orders together (members, not orders, were
  randomised);
* sample sizes: the normal-theory formulas of Fleiss (proportions, as R's
  ``power.prop.test``) and of the two-sample z-test for means, plus
  Guenther's (1981) correction ``z_{1-alpha/2}**2 / 4`` per arm, which makes
  the latter agree with the t-test's exact answer to within one member.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import attrs

from sirui.core.errors import InvalidValueError, invalid

__all__ = [
    "SampleSize",
    "chi2_sf",
    "normal_quantile",
    "sample_size_means",
    "sample_size_proportions",
    "two_sided_p",
]

_NORMAL = NormalDist()


def normal_quantile(p: float) -> float:
    """The standard normal quantile: ``normal_quantile(0.975) == 1.959963984540054``."""
    return _NORMAL.inv_cdf(p)


def two_sided_p(z: float) -> float:
    """The two-sided p-value of a standard normal statistic, accurate far into the tails."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _gamma_q(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x)."""
    if x <= 0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return math.exp(log_front) * h


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with ``df`` degrees of freedom."""
    if df < 1:
        raise invalid("df", df, "must be an int >= 1", cls=InvalidValueError)
    return _gamma_q(df / 2, x / 2)


@attrs.frozen
class SampleSize:
    """Members needed per arm to detect an effect, and how they were computed."""

    control: int
    treatment: int
    method: str

    @property
    def total(self) -> int:
        return self.control + self.treatment

    def __str__(self) -> str:
        return (
            f"{self.control:,} control + {self.treatment:,} treatment = "
            f"{self.total:,} members ({self.method})"
        )


def _check_design(alpha: float, power: float, ratio: float) -> tuple[float, float]:
    if not 0 < alpha < 1:
        raise invalid("alpha", alpha, "must be in (0, 1)", "0.05 is usual", cls=InvalidValueError)
    if not 0 < power < 1:
        raise invalid("power", power, "must be in (0, 1)", "0.8 is usual", cls=InvalidValueError)
    if not ratio > 0 or math.isinf(ratio):
        raise invalid(
            "ratio", ratio, "must be > 0", "treatment members per control member",
            cls=InvalidValueError,
        )
    return normal_quantile(1 - alpha / 2), normal_quantile(power)


def sample_size_proportions(
    baseline: float,
    target: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> SampleSize:
    """Members per arm to tell a rate ``target`` from ``baseline`` (two-sided, two proportions).

    ``ratio`` is treatment members per control member (an experiment split
    90/10 has ``ratio=10/90``). With equal arms this is R's
    ``power.prop.test``: ``sample_size_proportions(0.5, 0.75, power=0.9)``
    needs 77 per arm (76.7 rounded up).
    """
    for field, p in (("baseline", baseline), ("target", target)):
        if not 0 < p < 1:
            raise invalid(field, p, "must be a rate in (0, 1)", cls=InvalidValueError)
    if baseline == target:
        raise invalid("target", target, "must differ from baseline", cls=InvalidValueError)
    za, zb = _check_design(alpha, power, ratio)
    k = ratio
    pooled = (baseline + k * target) / (1 + k)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    alt_sd = math.sqrt(baseline * (1 - baseline) + target * (1 - target) / k)
    n = ((za * null_sd + zb * alt_sd) / (target - baseline)) ** 2
    control = math.ceil(n - 1e-9)
    return SampleSize(control, math.ceil(k * n - 1e-9), "two-proportion z-test (Fleiss)")


def sample_size_means(
    effect_fen: float,
    sd_fen: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> SampleSize:
    """Members per arm to detect a difference ``effect_fen`` in a mean with spread ``sd_fen``.

    For money figures (sales per member, AOV) in fen; any unit works as long
    as both are in it. The two-sample z-test formula plus Guenther's
    correction: a difference of half a standard deviation at alpha 0.05 and
    power 0.8 needs 64 per arm, as Cohen's table and the t-test give.
    """
    if not effect_fen or not math.isfinite(effect_fen):
        raise invalid("effect_fen", effect_fen, "must be a non-zero difference",
                      cls=InvalidValueError)
    if not sd_fen > 0 or not math.isfinite(sd_fen):
        raise invalid("sd_fen", sd_fen, "must be > 0", cls=InvalidValueError)
    za, zb = _check_design(alpha, power, ratio)
    k = ratio
    n = (1 + 1 / k) * (sd_fen * (za + zb) / effect_fen) ** 2 + za**2 / 4
    return SampleSize(
        math.ceil(n - 1e-9),
        math.ceil(k * n - 1e-9),
        "two-sample z-test with Guenther's correction",
    )
