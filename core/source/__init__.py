"""Text → positioned YAML tree.

Two readers live here: a fast one for analysis (C-backed compose, no type
resolution, every node keeps its start/end marks) and a round-trip one for
edits that must keep comments and formatting.
"""

from core.source.span import Span
from core.source.compose import ComposeResult, compose
from core.source.convert import Converted, to_data
from core.source.locate import Locator

__all__ = ["Span", "ComposeResult", "compose", "Converted", "to_data", "Locator"]
