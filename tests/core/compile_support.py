"""Helpers shared by the compiler tests: compile an inline config, lint a template."""

from __future__ import annotations

import json

import pytest

from core.analysis import analyze
from core.compile import CompileError, compile_stack
from tests.conftest import yaml


def compile_yaml(text: str, *, stage: str = "dev", project: str = "demo", region: str = "us-east-1"):
    """Compile an inline config (dedented) that must be valid; returns the CompileResult."""
    analysis = analyze(yaml(text))
    assert analysis.ok, [f"{d.span.line + 1}: {d.message}" for d in analysis.errors]
    return compile_stack(analysis, stage, project, region)


def template_of(text: str, **kw) -> dict:
    """The template of an inline config that must compile (see ``compile_yaml``)."""
    return compile_yaml(text, **kw).template


def problems_of(text: str, **kw) -> list:
    """The problems an inline config, valid as a config, fails to compile with."""
    with pytest.raises(CompileError) as err:
        compile_yaml(text, **kw)
    return err.value.problems


def problems_by_place(text: str, **kw) -> dict:
    """``problems_of`` as ``{where: message}``."""
    return {p.where: p.message for p in problems_of(text, **kw)}


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


def container_env(template: dict, task_definition: str, name: str) -> dict:
    """The environment variables of container ``name``, as ``{name: value}``."""
    return {e["Name"]: e["Value"] for e in container(template, task_definition, name).get("Environment", [])}


def role_statements(template: dict, role: str) -> list:
    """The statements of the inline policy of IAM role ``role`` (a logical id); [] when it has none."""
    policies = props(template, role).get("Policies", [])
    return policies[0]["PolicyDocument"]["Statement"] if policies else []
