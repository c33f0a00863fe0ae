"""Analysis: text → diagnostics, typed model and symbol index (one pure function)."""

from core.analysis.analyze import Analysis, analyze
from core.analysis.diagnostics import Diagnostic

__all__ = ["Analysis", "analyze", "Diagnostic"]
