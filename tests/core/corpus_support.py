"""Helpers shared by the tests that read the real-world corpus in ../shared (see ``tests.conftest.SHARED``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.analysis import analyze
from core.source import compose, to_data
from tests.conftest import SHARED

_COMMENTED = re.compile(r"^\s*[^#\s].*\s#\s*\S")


def valid_corpus_files() -> list[Path]:
    """The corpus configs meant to be valid: the starters and the test stacks not named ``invalid``."""
    return sorted((SHARED / "corpus" / "starters").glob("*.yml")) + sorted(
        p for p in (SHARED / "corpus" / "test-stacks").glob("*.yml") if "invalid" not in p.name
    )


def corpus_data(path: Path):
    return to_data(compose(path.read_text()).root).data


def corpus_resources(types) -> list:
    """``pytest.param(body, id="<file>:<name>")`` for every resource of one of ``types`` in the valid corpus."""
    found = []
    for path in valid_corpus_files():
        for name, body in ((corpus_data(path) or {}).get("resources") or {}).items():
            if isinstance(body, dict) and body.get("type") in types:
                found.append(pytest.param(body, id=f"{path.stem}:{name}"))
    return found


def faulty_lines(text: str) -> list[int]:
    """0-based lines of a broken corpus file whose trailing comment says what is wrong."""
    return [i for i, line in enumerate(text.splitlines()) if _COMMENTED.match(line) and "'#" not in line]


def assert_marked_lines_fail(text: str, lines: list[int] | None = None, analysis=None) -> None:
    """Every faulty line of a broken corpus file (or each of ``lines``) carries an error, and there is one."""
    lines = faulty_lines(text) if lines is None else lines
    analysis = analysis if analysis is not None else analyze(text, strict=True)
    error_lines = {d.span.line for d in analysis.errors}
    assert lines and [text.splitlines()[i].strip() for i in lines if i not in error_lines] == []
