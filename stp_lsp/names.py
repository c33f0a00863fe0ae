"""The names navigation works on: core's symbol index, with every span checked against the text.

Definitions (resource keys, container names) and property references come
from ``analysis.symbols`` unchanged when their span covers exactly the name.
A span covering the name with its quotes is narrowed; a span that does not
show the name at all is dropped and counted in ``unreliable``, so rename
refuses rather than edit the wrong text. ``$ResourceParam('name', …)``
arguments are positioned by core (nested and repeated directives included).
"""

from __future__ import annotations

from dataclasses import replace

from core.analysis.symbols import Definition, Reference, SymbolIndex
from core.source.span import Span
from stp_lsp.positions import Positions


def exact_span(positions: Positions, span: Span | None, name: str) -> Span | None:
    """``span`` narrowed to exactly ``name`` (dropping quotes), or None when it does not show the name."""
    if span is None or span.line != span.end_line:
        return None
    text = positions.text_of(span)
    if text == name:
        return span
    if len(text) == len(name) + 2 and text[0] in ("'", '"') and text[-1] == text[0] and text[1:-1] == name:
        return Span(span.line, span.col + 1, span.end_line, span.end_col - 1)
    return None


class NameIndex(SymbolIndex):
    """A ``SymbolIndex`` whose spans are exactly the names in the current text."""

    unreliable: list  # definitions / references whose place in the text could not be confirmed

    @classmethod
    def build(cls, analysis, positions: Positions) -> NameIndex:
        idx = cls()
        idx.unreliable = []
        core = analysis.symbols
        for key, d in core.resources.items():
            idx._add_definition(idx.resources, key, d, positions)
        for key, d in core.containers.items():
            idx._add_definition(idx.containers, key, d, positions)
        for r in core.references:
            span = exact_span(positions, r.span, r.name)
            if span is None:
                idx.unreliable.append(r)
            else:
                idx.references.append(replace(r, span=span) if span != r.span else r)
        return idx

    def _add_definition(self, table: dict, key, d: Definition, positions: Positions) -> None:
        span = exact_span(positions, d.span, d.name)
        if span is None:
            self.unreliable.append(d)
            # keep it: hover and go-to-definition still work on the approximate place
            table[key] = d
        else:
            table[key] = replace(d, span=span) if span != d.span else d

    def occurrences(self, target: Definition | Reference) -> tuple[Definition | None, list[Reference]]:
        """The definition of the name at ``target`` (if any) and every reference to it."""
        if isinstance(target, Definition):
            return target, self.references_to(target)
        d = self.definition_of(target)
        if d is not None:
            return d, self.references_to(d)
        same = [r for r in self.references if r.kind == target.kind and r.name == target.name
                and (r.kind != "container" or r.owner == target.owner)]
        return None, same

    def unreliable_for(self, name: str, kind: str) -> list:
        return [u for u in self.unreliable if u.name == name and u.kind == kind]
