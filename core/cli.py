"""`stp`: the command line over core. Each subcommand is a few lines over a module."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

DEFAULT_CONFIG_NAMES = ("stacktape.yml", "stacktape.yaml")

_COLORS = {"error": "31", "warning": "33", "information": "36", "hint": "2"}


class UsageError(Exception):
    """A problem with how the command was called or with its input files."""


def resolve_config(path: str | None) -> Path:
    """The config file a command works on: the argument, or stacktape.yml here."""
    p = Path(path) if path else Path.cwd()
    if p.is_dir():
        for name in DEFAULT_CONFIG_NAMES:
            if (p / name).is_file():
                return p / name
        raise UsageError(f"no stacktape.yml in {p}; pass the config file's path")
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    return p


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def _use_color(stream) -> bool:
    return stream.isatty() and os.environ.get("NO_COLOR") is None


def cmd_validate(args) -> int:
    from core.analysis import analyze

    path = resolve_config(args.path)
    analysis = analyze(read_text(path))
    diags = [d for d in analysis.diagnostics if _shown(d.severity, args)]
    shown_name = str(path)
    if args.format == "json":
        json.dump([d.to_json(shown_name) for d in diags], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        color = _use_color(sys.stdout)
        for d in diags:
            sev = f"\x1b[{_COLORS[d.severity]}m{d.severity}\x1b[0m" if color else d.severity
            print(f"{shown_name}:{d.span.line + 1}:{d.span.col + 1}: {sev}[{d.code}] {d.message}")
        print(_summary(shown_name, analysis), file=sys.stderr)
    return 0 if analysis.ok else 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(name: str, analysis) -> str:
    count = {s: sum(1 for d in analysis.diagnostics if d.severity == s) for s in ("error", "warning", "information")}
    if analysis.ok:
        text = f"{name}: valid, {_plural(len(analysis.resources), 'resource')}"
    else:
        text = f"{name}: {_plural(count['error'], 'error')}"
    if count["warning"]:
        text += f", {_plural(count['warning'], 'warning')}"
    if count["information"]:
        text += f", {_plural(count['information'], 'note')}"
    return text


def _shown(severity: str, args) -> bool:
    order = ["error", "warning", "information", "hint"]
    return order.index(severity) <= order.index(args.min_severity)


def cmd_schema(args) -> int:
    from core.schema import config_json_schema

    text = json.dumps(config_json_schema(), indent=2 if not args.compact else None)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


_NAME_CHARS = re.compile(r"[A-Za-z][-A-Za-z0-9]*")


def cmd_compile(args) -> int:
    from core.analysis import analyze
    from core.compile import CompileError, compile_stack
    from core.compile.registry import compiled_types

    path = resolve_config(args.path)
    stage = _stack_part(args.stage, "--stage")
    analysis = analyze(read_text(path))
    shown_name = str(path)
    color = _use_color(sys.stderr)
    for d in analysis.diagnostics:
        if d.severity in ("error", "warning"):
            sev = f"\x1b[{_COLORS[d.severity]}m{d.severity}\x1b[0m" if color else d.severity
            print(f"{shown_name}:{d.span.line + 1}:{d.span.col + 1}: {sev}[{d.code}] {d.message}", file=sys.stderr)
    if not analysis.ok:
        print(_summary(shown_name, analysis), file=sys.stderr)
        return 1
    project = _stack_part(args.project, "--project") if args.project else _default_project(analysis, path)
    try:
        result = compile_stack(analysis, stage, project, args.region)
    except CompileError as exc:
        yet = " yet" if exc.unsupported_only else ""
        print(f"stp compile: cannot compile {shown_name}{yet}:", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        if any(p.kind == "unsupported" for p in exc.problems):
            print(f"stp compile handles these resource types so far: {', '.join(compiled_types())}", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(f"{shown_name}: warning: {w}", file=sys.stderr)
    template = result.template
    n_res = len(template.get("Resources", {}))
    text = json.dumps(template, indent=None if args.compact else 2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    where = f" to {args.output}" if args.output else ""
    images = f", {_plural(len(result.images), 'image')} to build" if result.images else ""
    print(f"{shown_name}: compiled stack {project}-{stage}{where}: {_plural(n_res, 'resource')}{images}", file=sys.stderr)
    return 0


def _stack_part(value: str, option: str) -> str:
    """Stage and project name become the stack name `<project>-<stage>`: letters, digits and dashes."""
    if not re.fullmatch(r"[A-Za-z0-9][-A-Za-z0-9]*", value or ""):
        raise UsageError(f"{option} {value!r}: use letters, digits and dashes (it becomes part of the stack name)")
    return value


def _default_project(analysis, path: Path) -> str:
    """`serviceName` of the config, else the config folder's name made stack-name safe."""
    service = getattr(analysis.config, "serviceName", None) if analysis.config is not None else None
    if service and not str(service).startswith("$"):
        return str(service)
    folder = re.sub(r"[^A-Za-z0-9]+", "-", path.resolve().parent.name).strip("-")
    if not _NAME_CHARS.fullmatch(folder or ""):
        folder = f"stp-{folder}" if folder else "stp"
    return folder


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stp",
        description="Check, compile and run stacktape.yml infrastructure configs.",
        epilog="Run 'stp COMMAND --help' for the options of a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser(
        "validate",
        help="check a config and list its problems",
        description="Check a stacktape.yml: YAML syntax, properties of every resource, references between"
        " resources and deployment rules. Prints FILE:LINE:COL: SEVERITY[CODE] MESSAGE per problem and exits"
        " with 1 when there is an error.",
    )
    v.add_argument("path", nargs="?", help="config file or folder holding stacktape.yml (default: current folder)")
    v.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    v.add_argument(
        "--min-severity",
        choices=("error", "warning", "information", "hint"),
        default="information",
        help="hide problems below this severity (default: information)",
    )
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser(
        "schema",
        help="print the JSON Schema of stacktape.yml",
        description="Print a JSON Schema generated from stp's models, for JSON-schema-aware YAML editors.",
    )
    s.add_argument("-o", "--output", help="write to this file instead of standard output")
    s.add_argument("--compact", action="store_true", help="no indentation")
    s.set_defaults(func=cmd_schema)

    c = sub.add_parser(
        "compile",
        help="turn a config into a CloudFormation template",
        description="Validate a stacktape.yml and compile it into one CloudFormation template (JSON). Makes no AWS"
        " calls: container images built from source become template parameters the deploy step fills. Exits with 1"
        " when the config has errors or uses something the compiler does not handle yet.",
    )
    c.add_argument("path", nargs="?", help="config file or folder holding stacktape.yml (default: current folder)")
    c.add_argument("--stage", required=True, help="stage to compile for, e.g. dev or production")
    c.add_argument("--project", help="project name (default: serviceName of the config, else the config folder's name)")
    c.add_argument("--region", default="us-east-1", help="AWS region the stack is meant for (default: us-east-1)")
    c.add_argument("-o", "--output", help="write the template to this file instead of standard output")
    c.add_argument("--compact", action="store_true", help="no indentation")
    c.set_defaults(func=cmd_compile)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"stp {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
