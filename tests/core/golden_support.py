"""Golden files: compare compiled JSON with a stored copy, show what changed path by path, rewrite on demand.

``check_golden(path, actual)`` fails with a readable list of changed paths
(``~ Resources.ApiService.Properties.DesiredCount: 1 → 2``, ``+`` added, ``-`` removed) when ``actual``
differs from the JSON stored at ``path``. With ``STP_UPDATE_GOLDEN=1`` in the environment it writes
``actual`` there instead (and passes), so an intended change is accepted with::

    STP_UPDATE_GOLDEN=1 pytest tests/core/test_compile_golden.py

Files are written with sorted keys and two-space indents, so their own git diffs stay small.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_ENV = "STP_UPDATE_GOLDEN"
MAX_LINES = 80
MAX_VALUE = 140


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "").strip() not in ("", "0", "false", "no")


def dump(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def normalized(data):
    """``data`` as it reads back from a golden file (tuples become lists, keys strings)."""
    return json.loads(json.dumps(data))


def _show(value) -> str:
    out = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return out if len(out) <= MAX_VALUE else out[: MAX_VALUE - 1] + "…"


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def diff_paths(expected, actual, path: str = "") -> list[str]:
    """One line per changed leaf or subtree: ``~ path: old → new``, ``+ path: value``, ``- path: value``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines: list[str] = []
        for key in expected:
            if key not in actual:
                lines.append(f"- {_join(path, key)}: {_show(expected[key])}")
            else:
                lines.extend(diff_paths(expected[key], actual[key], _join(path, key)))
        for key in actual:
            if key not in expected:
                lines.append(f"+ {_join(path, key)}: {_show(actual[key])}")
        return lines
    if isinstance(expected, list) and isinstance(actual, list):
        lines = []
        for i in range(min(len(expected), len(actual))):
            lines.extend(diff_paths(expected[i], actual[i], _join(path, i)))
        for i in range(len(actual), len(expected)):
            lines.append(f"- {_join(path, i)}: {_show(expected[i])}")
        for i in range(len(expected), len(actual)):
            lines.append(f"+ {_join(path, i)}: {_show(actual[i])}")
        return lines
    if expected == actual and type(expected) is type(actual):
        return []
    return [f"~ {path or '<root>'}: {_show(expected)} → {_show(actual)}"]


def check_golden(path: Path, actual) -> None:
    """Assert ``actual`` equals the golden JSON at ``path`` (or rewrite it when updating)."""
    actual = normalized(actual)
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or json.loads(path.read_text()) != actual:
            path.write_text(dump(actual))
        return
    if not path.exists():
        pytest.fail(f"no golden file {path.relative_to(GOLDEN.parent)}; create it with {UPDATE_ENV}=1 pytest {_test_hint()}")
    expected = json.loads(path.read_text())
    if expected == actual:
        return
    lines = diff_paths(expected, actual)
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(f"… and {len(lines) - MAX_LINES} more")
    pytest.fail(
        f"compiled output differs from {path.relative_to(GOLDEN.parent)} ({len(lines)} change(s); - golden, + now):\n  "
        + "\n  ".join(shown)
        + f"\nIf the change is intended, accept it with: {UPDATE_ENV}=1 pytest {_test_hint()}",
        pytrace=False,
    )


def _test_hint() -> str:
    return "tests/core/test_compile_golden.py"
