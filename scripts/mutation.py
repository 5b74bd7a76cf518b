"""Mutation testing of one money-moving module against its own mirror tests.

    pip install -e '.[mutation]'
    python scripts/mutation.py src/sirui/core/money.py        # one module: score and survivors
    python scripts/mutation.py src/sirui/core/money.py --diffs  # ... and each survivor's diff
    python scripts/mutation.py --table                        # every module in MODULES, a table

mutmut 3 writes its mutated tree (``mutants/``) into the directory it runs in,
so each run works in a scratch copy under a temporary directory: ``src/``,
``tests/`` and ``pyproject.toml`` as they are in the working tree (committed
or not), never the shared tree itself. The ``[tool.mutmut]`` table of
``pyproject.toml`` holds the settings every run shares; this script adds the
module to mutate (``only_mutate``) and its mirror tests
(``pytest_add_cli_args_test_selection``) from ``MODULES`` to the copy's table.

The score is ``killed / (killed + survived + no tests)``: a mutant no selected
test reaches counts as a survivor. Timeouts (the mutant made the tests hang,
so it was detected) are listed apart and left out of the score. Hypothesis
draws its example counts from the profile (``SIRUI_HYPOTHESIS_PROFILE``,
``ci`` by default) with a fixed seed, so a rerun gives the same verdicts.

An equivalent mutant (one no test can tell from the original) is marked in
the module with ``# pragma: no mutate (equivalent: <reason>)`` on its line.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> the test files (globs, relative to the repository) that mirror it.
MODULES: dict[str, tuple[str, ...]] = {
    "src/sirui/core/money.py": ("tests/core/test_money*.py",),
    "src/sirui/core/windows.py": ("tests/core/test_windows*.py",),
    "src/sirui/campaigns/seckill/_stock.py": ("tests/campaigns/seckill/test_seckill_stock*.py",),
    "src/sirui/campaigns/seckill/_records.py": (
        "tests/campaigns/seckill/test_seckill_stock*.py",
        "tests/campaigns/seckill/test_seckill_records*.py",
    ),
    "src/sirui/promotions/wallet.py": ("tests/promotions/test_wallet*.py",),
    "src/sirui/loyalty/points/ledger.py": ("tests/loyalty/points/test_ledger*.py",),
    "src/sirui/loyalty/points/stored_value.py": ("tests/loyalty/points/test_stored_value*.py",),
    "src/sirui/checkout/refunds.py": ("tests/checkout/test_refunds*.py",),
    "src/sirui/commission/settlement.py": ("tests/commission/test_settlement*.py",),
    "src/sirui/commission/sharing.py": ("tests/commission/test_sharing*.py",),
    "src/sirui/checkout/combination.py": ("tests/checkout/test_combination*.py",),
    "src/sirui/checkout/_pipeline.py": (
        "tests/checkout/test_combination*.py",
        "tests/checkout/test_pipeline*.py",
    ),
}

# What the copy needs: the package, the tests (with their conftest), the docs some
# tests read (mutmut copies them on into mutants/: `also_copy`) and the config.
COPIED = ("src", "tests", "docs", "pyproject.toml")


def tests_for(module: str) -> list[str]:
    """The mirror test files of ``module`` that exist now, sorted."""
    found: set[str] = set()
    for pattern in MODULES[module]:
        found.update(str(Path(p).relative_to(ROOT)) for p in glob.glob(str(ROOT / pattern)))
    return sorted(found)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def mutmut_table(module: str, tests: list[str]) -> str:
    """The copy's ``[tool.mutmut]``: the shared settings plus this module and its tests."""
    shared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    settings = dict(shared.get("tool", {}).get("mutmut", {}))
    settings["only_mutate"] = [module]
    settings["pytest_add_cli_args_test_selection"] = tests
    return "[tool.mutmut]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in settings.items())


def _without_mutmut_table(pyproject: str) -> str:
    """``pyproject`` less its ``[tool.mutmut]`` table (the copy gets its own)."""
    out: list[str] = []
    skipping = False
    for line in pyproject.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.strip() == "[tool.mutmut]"
        if not skipping:
            out.append(line)
    return "".join(out)


def build_scratch(module: str, tests: list[str]) -> Path:
    """A temporary copy of the working tree's src/, tests/ and pyproject.toml."""
    scratch = Path(tempfile.mkdtemp(prefix="sirui-mutation-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "mutants")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=ignore)
        else:
            shutil.copy2(source, scratch / name)
    pyproject = _without_mutmut_table((scratch / "pyproject.toml").read_text("utf-8"))
    (scratch / "pyproject.toml").write_text(
        pyproject.rstrip("\n") + "\n\n" + mutmut_table(module, tests), "utf-8"
    )
    return scratch


def _mutmut(scratch: Path, *args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.setdefault("SIRUI_HYPOTHESIS_PROFILE", "ci")
    # mutmut in its own process group, so an interrupted run takes its workers with it.
    proc = subprocess.Popen(
        [sys.executable, "-m", "mutmut", *args],
        cwd=scratch,
        env=env,
        text=True,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, None)


_COUNTED = frozenset({"killed", "survived", "no tests", "timeout"})

# Prints the diff of each mutant named on the command line, in one process.
_SHOW = """
import sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
for name in sys.argv[1:]:
    print(f"--- {name}")
    print(get_diff_for_mutant(name))
"""


def _statuses(scratch: Path) -> dict[str, str]:
    """mutant name -> status, from ``mutmut results --all true``."""
    done = _mutmut(scratch, "results", "--all", "true", quiet=True)
    out: dict[str, str] = {}
    for line in done.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            out[name] = status
    return out


def run_module(
    module: str,
    *,
    jobs: int,
    diffs: bool,
    keep: bool,
    quiet: bool,
    tests: list[str] | None = None,
) -> dict[str, object]:
    """Mutate ``module``, run its mirror tests (or ``tests``) on each mutant, return the counts."""
    tests = tests or tests_for(module)
    if not tests:
        raise SystemExit(f"{module}: no mirror tests match {MODULES[module]}")
    scratch = build_scratch(module, tests)
    started = time.monotonic()
    try:
        print(f"== {module} against {' '.join(tests)} (in {scratch})", flush=True)
        done = _mutmut(scratch, "run", "--max-children", str(jobs), quiet=quiet)
        if done.returncode != 0:
            if quiet and done.stdout:
                print(done.stdout[-4000:])
            raise SystemExit(f"{module}: mutmut run failed ({done.returncode})")
        statuses = _statuses(scratch)
        counts = {s: sum(1 for v in statuses.values() if v == s) for s in set(statuses.values())}
        killed = counts.get("killed", 0)
        survived = counts.get("survived", 0)
        no_tests = counts.get("no tests", 0)
        reached = killed + survived + no_tests
        row: dict[str, object] = {
            "module": module,
            "killed": killed,
            "survived": survived,
            "no tests": no_tests,
            "timeout": counts.get("timeout", 0),
            "other": sum(n for s, n in counts.items() if s not in _COUNTED),
            "score": 100.0 * killed / reached if reached else 100.0,
            "minutes": (time.monotonic() - started) / 60,
        }
        left = sorted(n for n, s in statuses.items() if s in {"survived", "no tests"})
        for name in left:
            print(f"    {statuses[name]}: {name}")
        if diffs and left:
            subprocess.run([sys.executable, "-c", _SHOW, *left], cwd=scratch, check=False)
        return row
    finally:
        if keep:
            print(f"    kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def print_table(rows: list[dict[str, object]]) -> None:
    head = ("module", "killed", "survived", "no tests", "timeout", "score")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        module = str(r["module"]).removeprefix("src/sirui/")
        print(
            f"| `{module}` | {r['killed']} | {r['survived']} | {r['no tests']} "
            f"| {r['timeout']} | {r['score']:.1f}% |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths, e.g. src/sirui/core/money.py")
    parser.add_argument("--table", action="store_true", help="run every module in MODULES")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="mutmut children (default 2)")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument(
        "--tests", nargs="+", default=None, help="these test files instead of the mirror tests"
    )
    parser.add_argument("--min-score", type=float, default=None, help="exit 1 below this score")
    args = parser.parse_args(argv)
    # A SIGTERM unwinds like Ctrl-C, so the scratch copy is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    modules = list(MODULES) if args.table else args.modules
    if not modules:
        parser.error("name a module (see MODULES) or pass --table")
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"not in MODULES: {', '.join(unknown)}; known: {', '.join(MODULES)}")

    rows = []
    for module in modules:
        row = run_module(
            module,
            jobs=args.jobs,
            diffs=args.diffs,
            keep=args.keep,
            quiet=args.table,
            tests=args.tests,
        )
        print(
            f"    {module}: killed {row['killed']}, survived {row['survived']}, "
            f"no tests {row['no tests']}, timeout {row['timeout']}, "
            f"score {row['score']:.1f}% ({row['minutes']:.1f} min)",
            flush=True,
        )
        rows.append(row)
    print()
    print_table(rows)
    if args.min_score is not None and any(float(str(r["score"])) < args.min_score for r in rows):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
