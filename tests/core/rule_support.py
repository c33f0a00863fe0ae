"""Helpers shared by the semantic-rule tests: analyse a config, find a rule's diagnostics, check lines."""

from __future__ import annotations

import textwrap

from core.analysis import analyze

SCHEMA_CODES = {"yaml-syntax", "invalid-type", "invalid-type-name", "invalid-value", "missing-property", "unknown-property"}


def cfg(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def found(text: str, code: str):
    return [d for d in analyze(text, strict=True).diagnostics if d.code == code]


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line that is ``needle`` (ignoring indentation), else that contains it."""
    lines = text.splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if line.strip() == needle]
    hits = hits or [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth - 1]


def assert_error(text: str, code: str, needle: str, nth: int = 1, count: int = 1):
    """Exactly ``count`` errors of ``code``; the first on the line holding ``needle``."""
    ds = found(text, code)
    assert len(ds) == count, [(d.code, d.span.line + 1, d.message) for d in analyze(text).diagnostics]
    d = ds[0]
    assert d.severity == "error"
    assert d.span.line + 1 == line_of(text, needle, nth)
    return d


def assert_clean(text: str, code: str):
    """Schema-valid (or the rule would not even look at it) and no diagnostic of ``code``."""
    diagnostics = analyze(text, strict=True).diagnostics
    assert [d for d in diagnostics if d.code in SCHEMA_CODES] == []
    assert [d for d in diagnostics if d.code == code] == [], [d.message for d in diagnostics if d.code == code]
