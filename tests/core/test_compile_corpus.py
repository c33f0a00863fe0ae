"""The real-world corpus compiled: every config stp can compile yields a cfn-lint clean template.

Each valid corpus config (``../shared/corpus/starters`` and ``test-stacks``, see
``tests.core.corpus_support``) is analysed, and when it validates clean and uses only resource
types a compiler module handles (``core.compile.registry.COMPILERS``) it is compiled (stage
``dev``, project from its ``serviceName``, region ``us-east-1``) and linted: zero cfn-lint errors.

Configs left out are skipped with the reason (see them with ``pytest -rs``):

- ``resource types not compiled: …`` — a type no compiler module handles yet;
- ``features not compiled: …`` — the compiler reports only "not compiled yet" problems (a setting
  of a compiled type that no module handles yet, e.g. a CDN in front of a web service);
- ``does not validate clean`` — not expected for this corpus (``test_corpus`` guards it).

A compile that fails for any other reason (an *invalid* problem on a valid config) fails the test.
``test_corpus_compile_summary`` prints the whole table (``pytest -s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from core.analysis import analyze
from core.compile import CompileError, compile_stack
from core.compile.registry import COMPILERS, load_families
from tests.core.compile_support import lint_errors
from tests.core.corpus_support import corpus_data, valid_corpus_files

STAGE, REGION = "dev", "us-east-1"
_FILES = valid_corpus_files()

COMPILED, SKIPPED_TYPES, SKIPPED_FEATURES, NOT_VALID, FAILED = (
    "compiled", "resource types not compiled", "features not compiled", "does not validate clean", "compile failed",
)


@dataclass
class Outcome:
    status: str
    detail: list = field(default_factory=list)
    template: dict | None = None

    @property
    def reason(self) -> str:
        return f"{self.status}: {', '.join(map(str, self.detail))}" if self.detail else self.status


def project_of(path: Path) -> str:
    data = corpus_data(path) or {}
    name = data.get("serviceName") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else path.stem


@cache
def outcome(path: Path) -> Outcome:
    load_families()
    analysis = analyze(path.read_text())
    if not analysis.ok:
        return Outcome(NOT_VALID, [f"{d.span.line + 1}: {d.message}" for d in analysis.errors[:3]])
    missing = sorted({e.type for e in analysis.resources.values() if e.type not in COMPILERS})
    if missing:
        return Outcome(SKIPPED_TYPES, missing)
    try:
        result = compile_stack(analysis, STAGE, project_of(path), REGION)
    except CompileError as exc:
        return Outcome(SKIPPED_FEATURES if exc.unsupported_only else FAILED, [str(p) for p in exc.problems])
    return Outcome(COMPILED, template=result.template)


@pytest.mark.parametrize("path", _FILES, ids=[f"{p.parent.name}/{p.stem}" for p in _FILES])
def test_corpus_config_compiles_lint_clean(shared, path: Path):
    out = outcome(path)
    if out.status == FAILED:
        pytest.fail(f"{path.name} is valid but does not compile:\n  " + "\n  ".join(out.detail))
    if out.status != COMPILED:
        pytest.skip(out.reason)
    errors = lint_errors(out.template)
    assert errors == [], f"{path.name}: cfn-lint errors:\n  " + "\n  ".join(errors)


def test_corpus_compile_summary(shared):
    """Print which corpus configs compile and why the others are left out; most of the corpus must compile."""
    rows = [(p, outcome(p)) for p in _FILES]
    width = max(len(p.name) for p, _ in rows)
    lines = [f"{p.name:<{width}}  {o.reason}" for p, o in rows]
    by_status: dict[str, int] = {}
    for _, o in rows:
        by_status[o.status] = by_status.get(o.status, 0) + 1
    print("\ncorpus compile results:\n  " + "\n  ".join(lines))
    print("totals: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))
    assert by_status.get(FAILED, 0) == 0, [f"{p.name}: {o.detail}" for p, o in rows if o.status == FAILED]
    assert by_status.get(COMPILED, 0) >= len(rows) // 3, "far fewer corpus configs compile than expected"
