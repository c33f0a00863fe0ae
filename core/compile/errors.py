"""What can stop a compile, collected rather than raised one at a time.

A config can be valid and still not compilable: it may use a resource type
or a feature no compiler module handles yet, or a value that only fails once
combined with others (Fargate CPU/memory pairs, instance sizes). Every such
problem is gathered so the user sees all of them in one run.
"""

from __future__ import annotations

from dataclasses import dataclass

UNSUPPORTED = "unsupported"  # valid config, but stp cannot compile it yet
INVALID = "invalid"  # the values cannot work on AWS


@dataclass(frozen=True)
class Problem:
    where: str  # a resource name or a config path such as "stackConfig.vpc"
    message: str
    kind: str = INVALID

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class CompileError(Exception):
    """The config cannot be turned into a template; ``problems`` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def unsupported_only(self) -> bool:
        return all(p.kind == UNSUPPORTED for p in self.problems)
