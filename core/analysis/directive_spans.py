"""Where a directive's arguments sit in the file, so findings about one argument underline just it."""

from __future__ import annotations

from core.source.span import Span


def arg_span(site, sub, index: int = 0) -> Span | None:
    """The span of argument ``index`` of ``sub`` (the site's directive or one nested in it), quotes excluded.

    Argument offsets count from the start of the whole scalar, nested directives included. Directives in
    scalars spanning several lines, or whose source differs from their value (escapes), get None: their
    columns cannot be mapped back simply, and no place is better than a wrong one.
    """
    node = site.node
    if node.start_mark.line != node.end_mark.line or len(sub.arg_offsets) <= index or len(sub.args) <= index:
        return None
    arg = sub.args[index]
    if not isinstance(arg, str) or hasattr(arg, "args"):  # a nested directive, not a literal
        return None
    text = str(site.directive)
    quote = 1 if node.style in ("'", '"') else 0
    if node.end_mark.column - node.start_mark.column != len(text) + 2 * quote:
        return None  # the source differs from the value (escapes in quotes): offsets would not map back
    at = sub.arg_offsets[index]
    quoted = 1 if at < len(text) and text[at] in "'\"" else 0
    start = node.start_mark.column + quote + at + quoted
    return Span(node.start_mark.line, start, node.start_mark.line, start + len(arg))
