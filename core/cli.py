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


def cmd_local_start(args) -> int:
    from core.local import server

    def waiting(port, log):
        print(f"starting local AWS on port {port} (loading moto takes a few seconds)...", file=sys.stderr)

    try:
        st = server.start(args.port, time_scale=args.time_scale, resource_delay=args.resource_delay,
                          verbose=args.verbose, on_spawn=waiting)
    except server.LocalServerError as exc:
        print(f"stp local start: {exc}", file=sys.stderr)
        return 1
    print(st.summary())
    return 0


def cmd_local_stop(args) -> int:
    from core.local import server

    try:
        st = server.stop()
    except server.LocalServerError as exc:
        print(f"stp local stop: {exc}", file=sys.stderr)
        return 1
    print(f"stopped local AWS at {st.endpoint} (pid {st.pid})" if st.pid else st.summary().splitlines()[0])
    return 0


def cmd_local_status(args) -> int:
    from core.local import server

    st = server.status()
    print(json.dumps(st.to_json(), indent=2) if args.format == "json" else st.summary())
    return 0 if st.running else 1


def _local_parser(sub) -> None:
    from core.local.config import delay_spec_argument, time_scale_argument

    loc = sub.add_parser(
        "local",
        help="run the local AWS (moto server) in the background",
        description="Start, stop or inspect the local AWS: a moto server extended for stacktape stacks, running in"
        " the background on 127.0.0.1 (port 4566 unless --port or STP_LOCAL_PORT). Commands with --local use it.",
    )
    local_sub = loc.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    st = local_sub.add_parser("start", help="start it (or report the one already running)")
    st.add_argument("--port", type=int, help="port to listen on (default: $STP_LOCAL_PORT or 4566; 0: any free port)")
    st.add_argument(
        "--time-scale",
        type=time_scale_argument,
        help="simulated seconds per real second for slow AWS processes such as gradual deployments (default: 1)",
    )
    st.add_argument(
        "--resource-delay",
        type=delay_spec_argument,
        metavar="SPEC",
        help="seconds each CloudFormation resource takes, e.g. 0.05 or 0.05,AWS::ECS::Service=2 (default: 0.05)",
    )
    st.add_argument("--verbose", action="store_true", help="log every request to the server log")
    st.set_defaults(func=cmd_local_start)
    sp = local_sub.add_parser("stop", help="stop it")
    sp.set_defaults(func=cmd_local_stop)
    ss = local_sub.add_parser("status", help="whether it runs, where, since when (exit code 1 when it does not)")
    ss.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    ss.set_defaults(func=cmd_local_status)


# --- AWS: deploy, delete, info, logs, secret (each over core/aws) ------------------------------------


def _aws_command(fn):
    """AwsProblem (and any boto3 error that slipped through) → one line on stderr and its exit code."""
    import functools

    @functools.wraps(fn)
    def run(args) -> int:
        from core.aws import as_problem

        try:
            return fn(args)
        except Exception as exc:
            problem = as_problem(exc)
            if problem is None:
                raise
            print(f"stp {args.command}: {problem}", file=sys.stderr)
            return problem.code

    return run


def _connect(args):
    from core.aws import connect

    def waiting(port, log):
        print(f"starting local AWS on port {port} (loading moto takes a few seconds)...", file=sys.stderr)

    return connect(local=args.local, profile=args.profile, region=args.region, on_local_start=waiting)


_SERVICE_NAME = re.compile(r"^serviceName:[ \t]*(['\"]?)([A-Za-z0-9][-A-Za-z0-9]*)\1[ \t]*(#.*)?$", re.MULTILINE)


def _stack_of(args) -> tuple[str, str]:
    """(project, stage) from the options, the project defaulting to the config's serviceName or folder.

    A plain `serviceName: name` line is read directly (no full analysis: info and logs stay fast)."""
    stage = _stack_part(args.stage, "--stage")
    if args.project:
        return _stack_part(args.project, "--project"), stage
    path = resolve_config(args.path)
    text = read_text(path)
    plain = _SERVICE_NAME.search(text)
    if plain:
        return plain.group(2), stage
    if not re.search(r"^serviceName\s*:", text, re.MULTILINE):
        return _default_project(argparse.Namespace(config=None), path), stage
    from core.analysis import analyze

    return _default_project(analyze(text), path), stage


def _print_diagnostics(shown_name: str, analysis) -> None:
    color = _use_color(sys.stderr)
    for d in analysis.diagnostics:
        if d.severity in ("error", "warning"):
            sev = f"\x1b[{_COLORS[d.severity]}m{d.severity}\x1b[0m" if color else d.severity
            print(f"{shown_name}:{d.span.line + 1}:{d.span.col + 1}: {sev}[{d.code}] {d.message}", file=sys.stderr)


@_aws_command
def cmd_deploy(args) -> int:
    from core.analysis import analyze
    from core.aws.console import Console
    from core.aws.deploy import Prepared, deploy
    from core.compile import CompileError, compile_stack

    path = resolve_config(args.path)
    stage = _stack_part(args.stage, "--stage")
    analysis = analyze(read_text(path))
    _print_diagnostics(str(path), analysis)
    if not analysis.ok:
        print(_summary(str(path), analysis), file=sys.stderr)
        return 1
    project = _stack_part(args.project, "--project") if args.project else _default_project(analysis, path)
    aws = _connect(args)
    try:
        result = compile_stack(analysis, stage, project, aws.region)
    except CompileError as exc:
        print(f"stp deploy: cannot compile {path}:", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(f"{path}: warning: {w}", file=sys.stderr)
    return deploy(aws, Prepared(path, analysis, result, project, stage), Console(), yes=args.yes)


@_aws_command
def cmd_delete(args) -> int:
    from core.aws.console import Console
    from core.aws.stacks import delete, stack_name

    project, stage = _stack_of(args)
    return delete(_connect(args), stack_name(project, stage), Console(), yes=args.yes)


@_aws_command
def cmd_info(args) -> int:
    from core.aws.console import Console
    from core.aws.stacks import render_info, stack_info, stack_name

    project, stage = _stack_of(args)
    aws = _connect(args)
    info = stack_info(aws, stack_name(project, stage))
    if info is None:
        print(f"stp info: stack {stack_name(project, stage)} does not exist in {aws.describe()}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(info.to_json(), indent=2, default=str))
    else:
        render_info(info, Console())
    return 0


@_aws_command
def cmd_logs(args) -> int:
    from core.aws.console import wants_color
    from core.aws.logs import show_logs
    from core.aws.stacks import stack_name

    project, stage = _stack_of(args)
    show_logs(_connect(args), stack_name(project, stage), args.resource, sys.stdout, container=args.container,
              since=args.since, until=args.until, pattern=args.filter, follow=args.follow,
              color=wants_color(sys.stdout), on_note=lambda m: print(m, file=sys.stderr))
    return 0


@_aws_command
def cmd_rollout(args) -> int:
    from core.aws.console import Console
    from core.aws.rollouts import run
    from core.aws.stacks import stack_name

    project, stage = _stack_of(args)
    return run(_connect(args), stack_name(project, stage), args.resource, Console(), stop=args.stop,
               follow=args.watch, yes=args.yes, fmt=args.format)

@_aws_command
def cmd_secret_set(args) -> int:
    from core.aws.secrets import set_secret

    value = sys.stdin.read().rstrip("\n") if args.value == "-" else args.value
    done = set_secret(_connect(args), args.name, value, args.description)
    print(f"{done} secret {args.name}")
    return 0


@_aws_command
def cmd_secret_list(args) -> int:
    from core.aws.secrets import list_secrets

    found = list_secrets(_connect(args))
    if args.format == "json":
        print(json.dumps([s.to_json() for s in found], indent=2))
        return 0
    if not found:
        print("no secrets", file=sys.stderr)
        return 0
    width = max(len(s.name) for s in found)
    for s in found:
        when = s.last_changed.strftime("%Y-%m-%d %H:%M") if s.last_changed else "-"
        print(f"{s.name.ljust(width)}  {when}  {s.description}".rstrip())
    return 0


def _aws_options(p, stack: bool = True) -> None:
    p.add_argument("--local", action="store_true", help="use the local AWS (started if it is not running)")
    p.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default credentials)")
    p.add_argument("--region", help="AWS region (default: the profile's; us-east-1 with --local)")
    if stack:
        p.add_argument("--stage", required=True, help="stage of the stack, e.g. dev or production")
        p.add_argument("--project", help="project name (default: serviceName of the config, else its folder's name)")


def _aws_parsers(sub) -> None:
    path_help = "config file or folder holding stacktape.yml (default: current folder)"
    d = sub.add_parser(
        "deploy", help="deploy a config as the stack <project>-<stage>",
        description="Validate and compile a stacktape.yml, upload what the template needs (code packages, images),"
        " show the changes as a CloudFormation change set, ask, then deploy and follow the stack's events until it"
        " settles. Exit code 1 when the deployment fails (the root cause is printed), 2 on bad usage.",
    )
    d.add_argument("path", nargs="?", help=path_help)
    _aws_options(d)
    d.add_argument("-y", "--yes", action="store_true", help="deploy without asking (needed when input is not a terminal)")
    d.set_defaults(func=cmd_deploy)

    x = sub.add_parser("delete", help="delete the stack <project>-<stage>",
                       description="Delete the stack (after asking), follow its events, then remove its deployment"
                       " bucket.")
    x.add_argument("path", nargs="?", help=path_help)
    _aws_options(x)
    x.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    x.set_defaults(func=cmd_delete)

    i = sub.add_parser("info", help="show a deployed stack: status, outputs, resources",
                       description="Show the stack's status, when it was last updated, its outputs, and each config"
                       " resource with the AWS resources it consists of.")
    i.add_argument("path", nargs="?", help=path_help)
    _aws_options(i)
    i.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    i.set_defaults(func=cmd_info)

    lg = sub.add_parser("logs", help="print (and follow) the logs of a resource",
                        description="Print the log events of a resource's containers (or function), merged in time"
                        " order, each line prefixed with container/task id.")
    lg.add_argument("resource", help="name of the resource in the config")
    lg.add_argument("path", nargs="?", help=path_help)
    _aws_options(lg)
    lg.add_argument("--container", help="only this container of the resource")
    lg.add_argument("--since", default="10m", help="start: 30s, 10m, 2h, 1d ago, or an ISO time (default: 10m)")
    lg.add_argument("--until", help="end: same forms as --since (default: now)")
    lg.add_argument("--filter", help="CloudWatch Logs filter pattern, e.g. ERROR or '\"exact phrase\"'")
    lg.add_argument("-f", "--follow", action="store_true", help="keep printing new events until Ctrl-C")
    lg.set_defaults(func=cmd_logs)

    ro = sub.add_parser("rollout", help="show, follow or roll back the current deployment of a container workload",
                        description="The current ECS deployment of a resource's service: strategy (canary, linear,"
                        " blue/green, rolling), lifecycle stage, status, production traffic on the old and new revision"
                        " (from the listener rule weights) and bake time left. --watch redraws until the deployment"
                        " ends (exit code 0 when it succeeds, 1 when it rolls back); --stop rolls it back.")
    ro.add_argument("resource", help="name of the resource in the config")
    ro.add_argument("path", nargs="?", help=path_help)
    _aws_options(ro)
    ro.add_argument("--watch", action="store_true", help="redraw until the deployment reaches a terminal state")
    ro.add_argument("--stop", action="store_true", help="roll the deployment back to the previous revision (asks first)")
    ro.add_argument("-y", "--yes", action="store_true", help="with --stop: roll back without asking")
    ro.add_argument("--format", choices=("text", "json"), default="text",
                    help="output format (default: text; with --watch, json prints one object per line per change)")
    ro.set_defaults(func=cmd_rollout)

    sec = sub.add_parser("secret", help="create, update and list secrets ($Secret in configs)",
                         description="Secrets in AWS Secrets Manager, read by $Secret('name') or $Secret('name.key')."
                         " Values are never printed.")
    sec_sub = sec.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    ss = sec_sub.add_parser("set", help="create a secret or store a new value")
    ss.add_argument("name", help="secret name")
    ss.add_argument("value", help="the value; a JSON object for $Secret('name.key'); - reads it from standard input")
    ss.add_argument("--description", help="description shown in `stp secret list`")
    _aws_options(ss, stack=False)
    ss.set_defaults(func=cmd_secret_set)
    sl = sec_sub.add_parser("list", help="list secret names (never values)")
    _aws_options(sl, stack=False)
    sl.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    sl.set_defaults(func=cmd_secret_list)


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

    _aws_parsers(sub)
    _local_parser(sub)
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


def run() -> None:
    """The `stp` command: `main`, then leave at once.

    Interpreter teardown (boto3's clients, pydantic's schemas, thread pools) costs 0.3-0.5 s that a user
    waiting for `stp deploy` to return would feel; everything worth keeping is flushed first.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
