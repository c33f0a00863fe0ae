"""Semantic rules: one module per group, each rule a function with a stable code.

A rule takes the RuleContext and reports through ``ctx.report``. Register with
``@rule("code", "what it checks")``; the registry runs them in module order
and isolates failures so one broken rule never hides the others' results.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Rule:
    code: str
    summary: str
    check: Callable


RULES: list[Rule] = []


def rule(code: str, summary: str):
    def register(fn):
        RULES.append(Rule(code, summary, fn))
        return fn

    return register


_GROUPS = ("names", "references", "directives", "workloads", "ingress")


_loaded = False


def load_rules() -> list[Rule]:
    """Import every rule group once (importing one group on its own must not hide the others)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for g in _GROUPS:
            try:
                importlib.import_module(f"core.analysis.rules.{g}")
            except ModuleNotFoundError as exc:  # a group not written yet
                if exc.name != f"core.analysis.rules.{g}":
                    raise
    return RULES
