"""The ``sirui`` command line: demo, schema, reasons, validate; simulate and quote.

Exit codes (the table in ``docs/guides/cli.md``):

* 0: done.
* 1: invalid input. A file named on the command line was read, but its
  content is wrong: not UTF-8, not JSON or TOML, the wrong shape, invalid
  values, a table without its columns, a cart that cannot be priced; or
  ``simulate`` rejected a larger share of rows than ``--max-rejected`` allows.
* 2: usage. The command line cannot be run as given: an unknown command or
  option, a bad option value (time zone, schema type, built-in scenario,
  size), a named file that does not exist or cannot be opened, an output
  folder that cannot be written, or a dependency of the command that is not
  installed.

Every failure prints one line per problem on stderr (``sirui quote: cart.json:
$.lines[0].quantity: expected an integer, got float 2.7``), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import json
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from sirui.core.errors import ConfigError

__all__ = [
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "build_parser",
    "config_lines",
    "load_file",
    "main",
    "output_folder",
    "read_data",
    "require",
    "writing",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

ANALYSIS_HINT = "pip install 'sirui[analysis]'"
DEMO_SIZES = ("tiny", "small", "medium")

#: Subcommands contributed by the analyst toolkit: name -> (help, add_arguments, run).
Command = tuple[
    str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace, TextIO], int]
]


class CommandError(Exception):
    """A command cannot finish: its exit code and one line per problem for stderr."""

    def __init__(self, code: int, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.code = code
        self.lines = lines


# -- reading and writing files named on the command line -------------------------------


def _cannot(path: str, doing: str, exc: Exception) -> CommandError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return CommandError(EXIT_USAGE, f"{path}: cannot {doing}: {reason}")


def _parse(raw: bytes, *, toml: bool) -> Any:
    kind = "TOML" if toml else "JSON"
    try:
        text = raw.decode("utf-8")
        return tomllib.loads(text) if toml else json.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError([("$", f"not UTF-8 text: {exc.reason} at byte {exc.start}")]) from None
    except RecursionError:
        raise ConfigError([("$", f"not valid {kind}: nested too deeply")]) from None
    except ValueError as exc:
        raise ConfigError([("$", f"not valid {kind}: {exc}")]) from None


def read_data(path: str) -> Any:
    """Plain data from a ``.json`` file (``.toml`` by its suffix) named on the command line.

    Raises `CommandError` (exit 2) if the file cannot be opened and
    `ConfigError` if its bytes are not UTF-8 JSON or TOML.
    """
    try:
        raw = Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte or a lone surrogate
        raise _cannot(path, "read", exc) from None
    return _parse(raw, toml=path.lower().endswith(".toml"))


def load_file(path: str, cls: type[Any] | None = None) -> Any:
    """A policy (of ``cls`` if given) from a file, through `sirui.config`'s strict converter."""
    from sirui.config import load

    data = read_data(path)
    return load(data, cls) if cls is not None else load(data)


def config_lines(where: str, exc: ConfigError) -> list[str]:
    """One line per problem: ``where: $.path: what is wrong``."""
    return [f"{where}: {path}: {msg}" for path, msg in exc.problems] or [f"{where}: {exc}"]


def output_folder(path: str) -> Path:
    """The output folder, created if missing; exit 2 if it cannot be."""
    folder = Path(path)
    try:
        if folder.exists() and not folder.is_dir():
            raise CommandError(EXIT_USAGE, f"{path}: exists and is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise _cannot(path, "create the output folder", exc) from None
    return folder


@contextlib.contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Writing the outputs: an `OSError` (disk full, permissions) becomes exit 2."""
    try:
        yield
    except OSError as exc:
        raise _cannot(str(exc.filename or folder), "write", exc) from None


def require(*modules: str, what: str = "") -> None:
    """Exit 2 with an install hint, before any work, if a module the command needs is missing.

    ``what`` names the option that needs it (``--compare``), if not the whole command.
    """
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            needs = f"needs {exc.name or name}, which is not installed: {ANALYSIS_HINT}"
            raise CommandError(EXIT_USAGE, f"{what} {needs}" if what else needs) from None


# -- commands --------------------------------------------------------------------------


def _cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.config import json_schema, schema_targets

    if args.type:
        targets = schema_targets()
        if args.type not in targets:
            close = difflib.get_close_matches(args.type, targets, n=3)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise CommandError(
                EXIT_USAGE,
                f"unknown type {args.type!r}; {hint}`sirui schema --list` lists them all",
            )
        schema: Any = json_schema(targets[args.type])
    elif args.list:
        out.write("".join(f"{name}\n" for name in sorted(schema_targets())))
        return EXIT_OK
    elif args.all:
        from sirui.config import schemas

        schema = schemas()
    else:
        schema = json_schema()
    out.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def _policies(path: str, document: bool) -> tuple[Any, ...]:
    from sirui.config import load, load_document

    data = read_data(path)
    return load_document(data) if document else (load(data),)


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.config import fingerprint

    unreadable: list[str] = []
    invalid = 0
    for path in args.files:
        try:
            policies = _policies(path, args.document)
        except CommandError as exc:
            unreadable += exc.lines
            continue
        except ConfigError as exc:
            out.write(f"{path}: INVALID\n{exc}\n")
            invalid += 1
            continue
        for p in policies:
            out.write(f"{path}: ok {type(p).__name__} {fingerprint(p)}\n")
    if unreadable:
        raise CommandError(EXIT_USAGE, *unreadable)
    if invalid:
        raise CommandError(
            EXIT_INVALID, f"{invalid} of {len(args.files)} file(s) invalid; problems listed above"
        )
    return EXIT_OK


def _cmd_reasons(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.core.registry import load_builtins
    from sirui.rules.reasons import CATALOGUE

    load_builtins()
    entries = [
        {"code": e.code, "params": sorted(e.params), "zh": e.zh, "en": e.en}
        for e in sorted(CATALOGUE.values(), key=lambda e: e.code)
        if not args.prefix or e.code.startswith(args.prefix)
    ]
    out.write(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    require("sirui.simulate", "numpy", "pandas", "matplotlib")
    folder = output_folder(args.out)
    from sirui._demo import run_demo

    with writing(folder):
        return run_demo(out, args)


# -- the parser ------------------------------------------------------------------------


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sirui")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from sirui import __version__

        return __version__


def _needs_analysis(missing: str | None) -> Callable[[argparse.Namespace, TextIO], int]:
    def run(args: argparse.Namespace, out: TextIO) -> NoReturn:
        raise CommandError(
            EXIT_USAGE,
            f"needs the analysis extra ({missing or 'a module'} is missing): {ANALYSIS_HINT}",
        )

    return run


def _takes_anything(p: argparse.ArgumentParser) -> None:
    p.set_defaults(any_arguments=True)


def _extra_commands() -> dict[str, Command]:
    """``simulate`` and ``quote`` live with the analyst toolkit; without it they say so."""
    try:
        from sirui.simulate import cli_commands
    except ModuleNotFoundError as exc:
        run = _needs_analysis(exc.name)
        return {
            "simulate": ("replay order history (needs sirui[analysis])", _takes_anything, run),
            "quote": ("price one cart (needs sirui[analysis])", _takes_anything, run),
        }
    extra: dict[str, Command] = cli_commands()
    return extra


def _add_core_commands(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the built-in sample: quotes, members, a what-if",
        description="A guided run over the built-in sample chain: a quote explained, tiers, "
        "points, seckill, red packets, and a what-if comparison written as an HTML report. "
        f"Needs the analysis extra ({ANALYSIS_HINT}).",
    )
    demo.add_argument("--out", default="sirui-report", help="folder for the HTML report")
    demo.add_argument(
        "--size", default="small", choices=DEMO_SIZES, help="sample size (default: small)"
    )
    demo.set_defaults(run=_cmd_demo)

    schema = sub.add_parser(
        "schema",
        help="print JSON Schemas of policies, states, commands, events, carts and quotes",
        description="Print the JSON Schema of every policy type (the default), of every "
        "value type (--all: states, commands, events, Cart, Quote ...), or of one type by "
        "its tag or wire name, for admin UIs and other teams' services.",
    )
    schema.add_argument(
        "type", nargs="?",
        help="one type, e.g. promotion.full_reduction or loyalty.points.PointsLedger",
    )
    schema_what = schema.add_mutually_exclusive_group()
    schema_what.add_argument("--all", action="store_true",
                             help="every value type, as {wire name: schema}")
    schema_what.add_argument("--list", action="store_true", help="list the type names")
    schema.set_defaults(run=_cmd_schema)

    reasons = sub.add_parser(
        "reasons",
        help="print the reason-code catalogue (zh/en) as JSON",
        description="Print every reason code with its parameters and its Chinese and English "
        "messages, as JSON, for services that show or translate sirui's decisions.",
    )
    reasons.add_argument("prefix", nargs="?", help="only codes starting with it, e.g. seckill.")
    reasons.set_defaults(run=_cmd_reasons)

    validate = sub.add_parser(
        "validate",
        help="check policy files; list every problem",
        description="Check .json or .toml policy files through the strict converter and list "
        "every problem with its path ($.tiers[2].threshold: ...). Exit 1 if any file is invalid.",
    )
    validate.add_argument("files", nargs="+", help=".json or .toml policy files")
    validate.add_argument(
        "--document",
        action="store_true",
        help="files hold a list of policies ({'policies': [...]})",
    )
    validate.set_defaults(run=_cmd_validate)


def build_parser(extra: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    """The ``sirui`` parser; ``extra`` defaults to the analyst toolkit's commands."""
    parser = argparse.ArgumentParser(
        prog="sirui",
        description="Private-domain retail rules: demo, simulate, quote, schema, validate. "
        "Exit codes: 0 done, 1 invalid input, 2 usage.",
    )
    parser.add_argument("--version", action="version", version=f"sirui {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_core_commands(sub)
    for name, (help_text, add_args, run) in sorted((extra or _extra_commands()).items()):
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(run=run)
    return parser


def _parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> Any:
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "any_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run ``sirui``; return the exit code (0 done, 1 invalid input, 2 usage)."""
    parser = build_parser()
    try:
        args = _parse_args(parser, argv)
    except SystemExit as exc:  # --help, --version, and usage errors (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_OK if exc.code is None else 2
    try:
        code: int = args.run(args, out if out is not None else sys.stdout)
    except CommandError as exc:
        for line in exc.lines:
            print(f"sirui {args.command}: {' '.join(line.split())}", file=sys.stderr)
        return exc.code
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
