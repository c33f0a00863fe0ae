"""The real-world corpus: valid configs stay clean, broken ones are caught on the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analysis import analyze
from core.model.registry import RESOURCE_MODELS
from tests.conftest import EXAMPLES, SHARED
from tests.core.corpus_support import faulty_lines, valid_corpus_files

_VALID = valid_corpus_files()
_BROKEN = sorted((SHARED / "corpus" / "config-errors").glob("*.yml"))


def _ids(paths):
    return [p.stem for p in paths]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/stacktape.yml")), ids=lambda p: p.parent.name)
def test_examples_validate_clean(path: Path):
    a = analyze(path.read_text(), strict=True)
    assert a.errors == [], [f"{d.span.line + 1}: {d.message}" for d in a.errors]
    assert not [d for d in a.diagnostics if d.severity == "warning"]


@pytest.mark.parametrize("path", _VALID, ids=_ids(_VALID))
def test_valid_corpus_has_no_errors(shared, path: Path):
    a = analyze(path.read_text(), strict=True)
    assert a.errors == [], [f"{path.name}:{d.span.line + 1}: [{d.code}] {d.message}" for d in a.errors]


def _resource_type_at(analysis, line: int):
    path, _ = analysis.locator.path_at(line, len(analysis.text.splitlines()[line]) - 1)
    if len(path) >= 2 and path[0] == "resources":
        body = analysis.data["resources"].get(path[1])
        return body.get("type") if isinstance(body, dict) else None
    return "top-level"


def test_broken_corpus_errors_land_on_the_commented_lines(shared):
    checked, missed = 0, []
    for path in _BROKEN:
        text = path.read_text()
        a = analyze(text, strict=True)
        error_lines = {d.span.line for d in a.errors}
        for line in faulty_lines(text):
            rtype = _resource_type_at(a, line)
            if isinstance(rtype, str) and rtype != "top-level" and rtype not in RESOURCE_MODELS and _is_official(rtype):
                continue  # a type we do not model yet is exempt
            checked += 1
            if line not in error_lines:
                missed.append(f"{path.name}:{line + 1}: {text.splitlines()[line].strip()}")
    assert checked >= 10
    share = 1 - len(missed) / checked
    assert share >= 0.9, f"{share:.0%} of {checked} faulty lines caught; missed:\n" + "\n".join(missed)


def _is_official(rtype: str) -> bool:
    from core.model.registry import ALL_RESOURCE_TYPES

    return rtype in ALL_RESOURCE_TYPES
