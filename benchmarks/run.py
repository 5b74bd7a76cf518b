"""Run every benchmark and print a table; ``--json PATH`` writes the figures.

Usage::

    python benchmarks/run.py            # full run
    python benchmarks/run.py --quick    # short run (fewer repeats, skips heavy cases)
    python benchmarks/run.py --json out.json -k quote

Each ``benchmarks/bench_*.py`` module defines ``cases(quick: bool) -> list[Case]``
and may define ``ratios(medians: dict[str, float]) -> dict[str, float]``.
Timings are per call: each repeat times ``number`` calls and divides.
Benchmarks measure; they never assert a speed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Case  # noqa: E402


def _load_modules(only: str | None) -> list[Any]:
    mods = []
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None
        assert spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods.append(mod)
    return mods


def _autorange(fn: Any, target_s: float) -> int:
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target_s or number >= 1_000_000:
            return number
        number *= 2 if dt > target_s / 10 else 10


def measure(case: Case, quick: bool) -> dict[str, float]:
    if case.timer is not None:
        repeats = case.repeats or (5 if quick else 11)
        times = [case.timer() for _ in range(repeats)]
        return {
            "median_s": statistics.median(times),
            "min_s": min(times),
            "max_s": max(times),
            "calls_per_repeat": 1,
            "repeats": repeats,
        }
    fn = case.setup() if case.setup is not None else case.fn
    assert fn is not None
    repeats = case.repeats if case.repeats else (3 if quick else 7)
    number = case.number or _autorange(fn, 0.02 if quick else 0.1)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "calls_per_repeat": number,
        "repeats": repeats,
    }


def _fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:8.1f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.3f} s "


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; skip heavy cases")
    ap.add_argument("--json", metavar="PATH", help="write figures as JSON")
    ap.add_argument("-k", metavar="SUBSTR", help="only cases whose name contains SUBSTR")
    args = ap.parse_args(argv)

    results: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    mods = _load_modules(args.k)
    print(f"{'case':<36} {'median':>11} {'min':>11} {'max':>11}  calls")
    for mod in mods:
        for case in mod.cases(args.quick):
            if args.k and args.k not in case.name:
                continue
            if case.heavy and args.quick:
                skipped[case.name] = "heavy case skipped by --quick"
                continue
            try:
                r = measure(case, args.quick)
            except Exception as exc:  # a missing optional peer (e.g. django-oscar)
                skipped[case.name] = f"{type(exc).__name__}: {exc}"
                print(f"{case.name:<36} skipped: {skipped[case.name]}")
                continue
            results[case.name] = r
            print(
                f"{case.name:<36} {_fmt(r['median_s'])} {_fmt(r['min_s'])} {_fmt(r['max_s'])}"
                f"  {int(r['calls_per_repeat'])}x{int(r['repeats'])}"
            )
    medians = {k: v["median_s"] for k, v in results.items()}
    ratios: dict[str, float] = {}
    for mod in mods:
        fn = getattr(mod, "ratios", None)
        if fn is not None:
            ratios.update(fn(medians))
    if ratios:
        print()
        print(f"{'ratio':<36} {'value':>11}")
        for name, value in sorted(ratios.items()):
            print(f"{name:<36} {value:11.2f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"cases": results, "ratios": ratios, "skipped": skipped}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
