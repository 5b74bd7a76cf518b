"""The ``sirui`` command line: demo, schema, validate (and more as mechanics land).

Exit codes: 0 success; 1 the input was read but is invalid (config errors,
rejected rows); 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

__all__ = ["main"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

#: Subcommands contributed by mechanics: name -> (help, add_arguments, run).
Command = tuple[
    str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace, TextIO], int]
]
_EXTRA: dict[str, Command] = {}


def _cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.config import json_schema, policy_types

    if args.type:
        types = policy_types()
        if args.type not in types:
            print(f"unknown policy type {args.type!r}; known: {', '.join(types)}", file=sys.stderr)
            return EXIT_USAGE
        schema = json_schema(types[args.type])
    else:
        schema = json_schema()
    out.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from sirui.config import ConfigError, fingerprint, load_path
    from sirui.config import load_document as _load_doc

    worst = EXIT_OK
    for path in args.files:
        try:
            if args.document:
                text = _read(path)
                policies = _load_doc(
                    json.loads(text) if not path.endswith(".toml") else _toml(text)
                )
            else:
                policies = (load_path(path),)
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            worst = max(worst, EXIT_USAGE)
            continue
        except (ConfigError, ValueError) as exc:
            out.write(f"{path}: INVALID\n{exc}\n")
            worst = max(worst, EXIT_INVALID)
            continue
        for p in policies:
            out.write(f"{path}: ok {type(p).__name__} {fingerprint(p)}\n")
    return worst


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _toml(text: str) -> object:
    import tomllib

    return tomllib.loads(text)


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
    from sirui._demo import run_demo

    return run_demo(out, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sirui", description="Private-domain retail rules: demo, simulate, quote, schema."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the built-in sample: quotes, members, a what-if")
    demo.add_argument("--out", default="sirui-report", help="folder for the HTML report")
    demo.add_argument("--size", default="small", help="sample size: small (default) or medium")
    demo.set_defaults(run=_cmd_demo)

    schema = sub.add_parser("schema", help="print the JSON Schema of policies")
    schema.add_argument("type", nargs="?", help="one policy type, e.g. promotion.full_reduction")
    schema.set_defaults(run=_cmd_schema)

    reasons = sub.add_parser("reasons", help="print the reason-code catalogue (zh/en) as JSON")
    reasons.add_argument("prefix", nargs="?", help="only codes starting with it, e.g. seckill.")
    reasons.set_defaults(run=_cmd_reasons)

    validate = sub.add_parser("validate", help="check policy files; list every problem")
    validate.add_argument("files", nargs="+", help=".json or .toml policy files")
    validate.add_argument(
        "--document",
        action="store_true",
        help="files hold a list of policies ({'policies': [...]})",
    )
    validate.set_defaults(run=_cmd_validate)

    for name, (help_text, add_args, run) in sorted(_EXTRA.items()):
        p = sub.add_parser(name, help=help_text)
        add_args(p)
        p.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    _load_extras()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    stream = out if out is not None else sys.stdout
    code: int = args.run(args, stream)
    return code


def _load_extras() -> None:
    """Commands that live with the analyst toolkit register themselves here."""
    try:
        from sirui.simulate import cli_commands
    except ModuleNotFoundError:
        return
    _EXTRA.update(cli_commands())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
