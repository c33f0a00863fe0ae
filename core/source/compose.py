"""Fast positioned parse: YAML text → ruamel node tree.

Analysis runs on every keystroke, so it uses libyaml through ruamel's C
extension and skips implicit tag resolution (the converter types plain
scalars itself, which is several times cheaper than ruamel's Python
resolver). The garbage collector is paused during compose: the tree is
acyclic and tens of thousands of short-lived objects otherwise trigger
collections that double the time.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from core.source.span import Span

try:  # the C extension ships as ruamel.yaml.clib
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # pragma: no cover - exercised only without the clib wheel
    _CParser = None


@dataclass(slots=True)
class SyntaxProblem:
    message: str
    span: Span


@dataclass(slots=True)
class ComposeResult:
    root: object | None
    problem: SyntaxProblem | None = None


PLAIN = "plain"  # the tag we give implicitly-typed nodes; the converter resolves them

try:
    from ruamel.yaml.tag import Tag as _Tag

    # one shared tag object: ruamel's Node wraps any str tag in a new Tag otherwise
    _PLAIN_TAG = _Tag(suffix=PLAIN)
except ImportError:  # pragma: no cover
    _PLAIN_TAG = PLAIN


if _CParser is not None:

    class _FastComposer(_CParser):
        """libyaml composer that leaves implicit scalars untyped."""

        def resolve(self, kind, value, implicit):  # noqa: D401 - libyaml callback
            return _PLAIN_TAG

        def descend_resolver(self, current_node, current_index):
            pass

        def ascend_resolver(self):
            pass


def _pure_compose(text: str):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).compose(text)


def compose(text: str) -> ComposeResult:
    """Compose ``text`` into a node tree, or describe the first syntax error."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        if _CParser is not None:
            root = _FastComposer(text).get_single_node()
        else:
            root = _pure_compose(text)
        return ComposeResult(root)
    except Exception as exc:  # libyaml and ruamel raise a family of MarkedYAMLError
        return ComposeResult(None, _describe(exc, text))
    finally:
        if enabled:
            gc.enable()


def _describe(exc: Exception, text: str) -> SyntaxProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    if not problem:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}"
    if context:
        message += f" ({context})"
    if "expected a single document" in str(exc):
        message = "A stacktape config holds one YAML document; remove the extra '---' document"
    if mark is None:
        return SyntaxProblem(message, Span(0, 0, 0, 1))
    line, col = mark.line, mark.column
    lines = text.splitlines()
    if line >= len(lines):  # error at end of input: point at the last character
        line = max(len(lines) - 1, 0)
        col = len(lines[line]) if lines else 0
        return SyntaxProblem(message, Span(line, max(col - 1, 0), line, max(col, 1)))
    width = len(lines[line])
    end = col + 1 if col < width else col
    if col >= width and width:
        col, end = width - 1, width
    return SyntaxProblem(message, Span(line, col, line, max(end, col + 1)))
