"""Shared fixtures. Reference material in ../shared is optional: tests that need it skip."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared (reference corpus) is not present in this checkout")
    return SHARED


def yaml(text: str) -> str:
    """Dedent an inline YAML config."""
    return textwrap.dedent(text).lstrip("\n")
