"""What analysis reports: one problem, its place and how bad it is."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.source.span import Span

ERROR, WARNING, INFORMATION, HINT = "error", "warning", "information", "hint"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFORMATION: 2, HINT: 3}


@dataclass(slots=True)
class Diagnostic:
    code: str  # stable, kebab-case, e.g. "unknown-property"
    message: str
    span: Span  # 0-based
    severity: str = ERROR
    path: tuple = ()  # config path of the offending key or value
    # machine-readable hints for quick fixes, e.g. {"replace_with": ["environment"]}
    data: dict = field(default_factory=dict)

    @property
    def dotted_path(self) -> str:
        return format_path(self.path)

    def to_json(self, file: str | None = None) -> dict:
        """The `stp validate --format json` shape (1-based lines and columns)."""
        return {
            "file": file,
            "line": self.span.line + 1,
            "column": self.span.col + 1,
            "endLine": self.span.end_line + 1,
            "endColumn": self.span.end_col + 1,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": self.dotted_path,
        }


def format_path(path) -> str:
    """``("resources", "api", "properties", "containers", 0, "name")`` → ``resources.api.properties.containers[0].name``."""
    out = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        else:
            out.append(("." if out else "") + str(step))
    return "".join(out)
