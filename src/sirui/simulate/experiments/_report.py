"""The result of an experiment's analysis: frames, and a report in yuan and percentages."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import attrs

from sirui.simulate._display import count, pct, points, yuan
from sirui.simulate._frames import is_polars, to_pandas, to_polars
from sirui.simulate.experiments._analysis import METRICS
from sirui.simulate.experiments._assign import Experiment

__all__ = ["ExperimentResult"]

_LABELS = {m.key: m.label for m in METRICS}
_UNITS = {m.key: m.unit for m in METRICS}
#: A sample ratio mismatch is flagged below this p-value (the usual threshold).
SRM_ALPHA = 0.001


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _value(v: Any, unit: str) -> str:
    if _missing(v):
        return "—"
    return yuan(round(v)) if unit == "fen" else pct(v)


def _delta(v: Any, unit: str) -> str:
    if _missing(v):
        return "—"
    if unit == "fen":
        return yuan(round(v), signed=True)
    return points(v, signed=True) if v else "0.00 pp"


def _p(v: Any) -> str:
    if _missing(v):
        return "—"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        first = f"{cells[0]:<{widths[0]}}"
        rest = [f"{c:>{w}}" for c, w in zip(cells[1:], widths[1:])]
        return "  " + "  ".join([first, *rest]).rstrip()

    return "\n".join(line(r) for r in [head, *rows])


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


@attrs.frozen(eq=False)  # frames do not compare with ==; compare ``differences.equals(...)``
class ExperimentResult:
    """Per-arm figures and each arm's difference from control, with intervals and p-values.

    ``arms``: one row per arm (indexed by arm; with polars frames the arm is
    the first column): weight and expected share, visitors (when visits were
    given), buyers, orders, sales and, where known, list-price sales,
    discount and cost in integer fen, then every metric (rates as fractions,
    money figures rounded to the fen).

    ``differences``: one row per treatment arm and metric: ``control`` and
    ``value`` (the arm's figure), ``diff`` (arm minus control) with its
    interval ``ci_low``..``ci_high`` at ``1 - alpha``, ``lift``
    (``diff / control``), ``p_value`` (two-sided), ``significant``
    (``p_value < alpha``) and the ``method`` that produced them. ``unit`` says
    how to read the row: ``"rate"`` rows are fractions, ``"fen"`` rows are
    rounded to the fen.

    No correction for testing several metrics and arms is applied: with
    seven metrics and one treatment, up to about one experiment in three
    shows some "significant" difference at alpha 0.05 when nothing changed;
    decide the primary metric before the test starts.
    """

    experiment: Experiment
    arms: Any
    differences: Any
    alpha: float
    method: str
    """``"z"`` or ``"bootstrap"``."""
    srm_p_value: float | None = None
    """Sample ratio check (visits given): the chi-square p-value of the visitors
    per arm against the weights. Below 0.001 the split is broken (a filter that
    depends on the arm, a bug in exposure logging) and no difference can be trusted."""

    @property
    def is_polars(self) -> bool:
        return is_polars(self.differences)

    def to_polars(self) -> ExperimentResult:
        """The same result with polars frames (the arm becomes the first column of ``arms``)."""
        return attrs.evolve(
            self, arms=to_polars(self.arms, "arm"), differences=to_polars(self.differences)
        )

    def to_pandas(self) -> ExperimentResult:
        """The same result with pandas frames (``arms`` indexed by arm)."""
        arms = to_pandas(self.arms)
        if "arm" in arms.columns:
            arms = arms.set_index("arm")
        return attrs.evolve(self, arms=arms, differences=to_pandas(self.differences))

    @property
    def sample_ratio_mismatch(self) -> bool:
        """True when the visitors per arm do not match the weights (p below 0.001)."""
        return self.srm_p_value is not None and self.srm_p_value < SRM_ALPHA

    def difference(self, metric: str, arm: str | None = None) -> dict[str, Any]:
        """One row of ``differences`` as a dict (``arm`` defaults to the only/first treatment)."""
        arm = arm or self.experiment.arm_names[1]
        rows = to_pandas(self.differences)
        hit = rows[(rows["metric"] == metric) & (rows["arm"] == arm)]
        if len(hit) == 0:
            known = sorted(set(rows["metric"]))
            raise KeyError(f"no difference for metric={metric!r}, arm={arm!r}; metrics: {known}")
        return dict(hit.iloc[0])

    # -- display ---------------------------------------------------------------------------

    def _header(self) -> list[str]:
        exp = self.experiment
        how = "z-tests" if self.method == "z" else "member bootstrap"
        level = f"{(1 - self.alpha) * 100:g}%"
        lines = [
            f"Experiment {exp.name}: {', '.join(exp.arm_names[1:])} vs {exp.control} "
            f"({how}, two-sided, {level} intervals)"
        ]
        if self.srm_p_value is not None:
            verdict = (
                "SAMPLE RATIO MISMATCH: the split is broken, do not trust the differences"
                if self.sample_ratio_mismatch
                else "visitors split as the weights say"
            )
            lines.append(f"Sample ratio check: chi-square p = {_p(self.srm_p_value)} ({verdict})")
        return lines

    def _arm_table(self) -> tuple[list[str], list[list[str]]]:
        arms = self.to_pandas().arms
        counts = [c for c in ("visitors", "buyers", "orders") if c in arms.columns]
        metrics = [m.key for m in METRICS if m.key in arms.columns]
        head = ["arm", "share", *counts, "sales", *(_LABELS[k] for k in metrics)]
        rows = []
        for name, r in arms.iterrows():
            rows.append(
                [
                    str(name),
                    pct(r["share"]),
                    *(count(r[c]) for c in counts),
                    yuan(r["sales_fen"]),
                    *(_value(r[k], _UNITS[k]) for k in metrics),
                ]
            )
        return head, rows

    def _diff_tables(self) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
        diffs = self.to_pandas().differences
        control = self.experiment.control
        level = f"{(1 - self.alpha) * 100:g}% interval"
        out = []
        for arm in self.experiment.arm_names[1:]:
            part = diffs[diffs["arm"] == arm]
            head = ["metric", control, arm, "difference", level, "lift", "p-value"]
            rows = []
            methods: dict[str, list[str]] = {}
            for _, r in part.iterrows():
                unit = r["unit"]
                star = " *" if r["significant"] else ""
                rows.append(
                    [
                        _LABELS[r["metric"]],
                        _value(r["control"], unit),
                        _value(r["value"], unit),
                        _delta(r["diff"], unit),
                        f"{_delta(r['ci_low'], unit)} to {_delta(r['ci_high'], unit)}",
                        "—" if _missing(r["lift"]) else pct(r["lift"], signed=True),
                        _p(r["p_value"]) + star,
                    ]
                )
                methods.setdefault(r["method"], []).append(_LABELS[r["metric"]])
            notes = [f"{', '.join(ms)}: {how}" for how, ms in methods.items()]
            out.append((f"{arm} vs {control}", head, rows, notes))
        return out

    def to_text(self) -> str:
        """The report for terminals: money as yuan (¥1,234.56), rates as %, * where p < alpha."""
        parts = ["\n".join(self._header()), "Arms\n" + _text_table(*self._arm_table())]
        for title, head, rows, notes in self._diff_tables():
            parts.append(f"{title}\n{_text_table(head, rows)}")
            parts.append("\n".join(f"  {n}" for n in notes))
        parts.append(f"* p < {self.alpha:g}; no correction for several metrics or arms")
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        return f"<ExperimentResult {self.to_text()}>"

    def _repr_html_(self) -> str:
        doc = [f"<h4>{html.escape(line)}</h4>" for line in self._header()[:1]]
        doc += [f"<p>{html.escape(line)}</p>" for line in self._header()[1:]]
        doc.append(_html_table(*self._arm_table()))
        for title, head, rows, notes in self._diff_tables():
            doc.append(f"<h5>{html.escape(title)}</h5>")
            doc.append(_html_table(head, rows))
            doc.append(
                "<p><small>"
                + "<br>".join(html.escape(n) for n in notes)
                + f"<br>* p &lt; {self.alpha:g}; no correction for several metrics or arms"
                "</small></p>"
            )
        return "".join(doc)


def srm_p_value(visitors: Mapping[str, int] | None, experiment: Experiment) -> float | None:
    """The chi-square p-value of the visitors per arm against the weights (None without visits)."""
    from sirui.simulate.experiments._stats import chi2_sf

    if visitors is None:
        return None
    total = sum(visitors.values())
    if total == 0:
        return None
    shares = experiment.shares
    stat = sum(
        (visitors[a] - total * shares[a]) ** 2 / (total * shares[a]) for a in experiment.arm_names
    )
    return chi2_sf(stat, len(visitors) - 1)
