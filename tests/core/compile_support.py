"""Helpers shared by the compiler tests: compile an inline config, lint a template."""

from __future__ import annotations

import json

from core.analysis import analyze
from core.compile import compile_stack
from tests.conftest import yaml


def compile_yaml(text: str, *, stage: str = "dev", project: str = "demo", region: str = "us-east-1"):
    """Compile an inline config (dedented) that must be valid; returns the CompileResult."""
    analysis = analyze(yaml(text))
    assert analysis.ok, [f"{d.span.line + 1}: {d.message}" for d in analysis.errors]
    return compile_stack(analysis, stage, project, region)


def lint_errors(template: dict, regions=("us-east-1", "eu-west-1")) -> list[str]:
    """cfn-lint errors (rule ids E…) of a template; warnings and informational matches are ignored."""
    from cfnlint.api import lint
    from cfnlint.config import ManualArgs

    matches = lint(json.dumps(template), config=ManualArgs(regions=list(regions)))
    return [f"{m.rule.id} {m.message} at {'/'.join(map(str, m.path or ()))}" for m in matches if m.rule.id.startswith("E")]


def of_type(template: dict, cfn_type: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def props(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id].get("Properties", {})


def container(template: dict, task_definition: str, name: str) -> dict:
    defs = props(template, task_definition)["ContainerDefinitions"]
    return next(c for c in defs if c["Name"] == name)
