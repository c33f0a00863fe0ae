"""Logical ids: readable, stable, derived from resource names.

``apiServer`` + ``TaskDefinition`` → ``ApiServerTaskDefinition``. The id
depends only on names in the config, never on order or counters, so adding
or removing one resource leaves every other id (and the deploy diff) alone.
Two names can still meet on one id (``apiWeb``+``LogGroup`` and ``api``
container ``web``); the registry catches that instead of silently letting
one resource replace another.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.compile.errors import CompileError, Problem

_WORDS = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=4096)
def pascal(name: str) -> str:
    """``api-server`` / ``api_server`` / ``apiServer`` → ``ApiServer`` (letters and digits only)."""
    return "".join(w[0].upper() + w[1:] for w in _WORDS.findall(str(name)))


def logical_id(*parts: str) -> str:
    return "".join(pascal(p) for p in parts if p)


class LogicalIds:
    """Every logical id in the template, with who asked for it."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}  # logical id → owner (resource name or section)
        self.by_owner: dict[str, list[str]] = {}

    def claim(self, lid: str, owner: str, what: str = "") -> str:
        if not lid or not lid.isalnum() or len(lid) > 255:
            raise CompileError([Problem(owner, f"'{lid}' cannot be a CloudFormation logical id (letters and digits only)")])
        prev = self.owner.get(lid)
        if prev is not None:
            raise CompileError([
                Problem(owner, f"logical id '{lid}'{' for ' + what if what else ''} is already used by {_describe(prev)};"
                               " rename one of them")
            ])
        self.owner[lid] = owner
        self.by_owner.setdefault(owner, []).append(lid)
        return lid

    def __contains__(self, lid: str) -> bool:
        return lid in self.owner


def _describe(owner: str) -> str:
    if owner.startswith("<"):
        return owner.strip("<>")
    return f"resource '{owner}'"
