"""Names defined in a config and every place that refers to them.

Resource names (keys under `resources:`), container names and script names
(keys under `scripts:`, named by hooks) are the definitions; `connectTo` items, `*Name` properties, `dependsOn`, deployment
hooks and `$ResourceParam` arguments are the references. The language server
answers go-to-definition, find-references and rename from this index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.source.span import Span


@dataclass(slots=True)
class Definition:
    name: str
    kind: str  # "resource" | "container" | "script"
    type: str | None
    span: Span  # the name itself
    path: tuple
    owner: str | None = None  # the resource a container belongs to


@dataclass(slots=True)
class Reference:
    name: str
    kind: str  # "resource" | "container" | "script"
    expected: tuple  # acceptable resource types ("*" any, "connectable" for connectTo)
    span: Span  # exactly the name inside the value
    path: tuple
    owner: str | None = None  # resource holding the reference (for containers: the workload)
    via: str = "property"  # "property" | "directive"


@dataclass
class SymbolIndex:
    resources: dict[str, Definition] = field(default_factory=dict)
    containers: dict[tuple[str, str], Definition] = field(default_factory=dict)
    scripts: dict[str, Definition] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)

    def definition_of(self, ref: Reference) -> Definition | None:
        if ref.kind == "container":
            return self.containers.get((ref.owner, ref.name))
        if ref.kind == "script":
            return self.scripts.get(ref.name)
        return self.resources.get(ref.name)

    def at(self, line: int, col: int) -> Definition | Reference | None:
        """The definition or reference whose name covers the position."""
        for ref in self.references:
            if ref.span.contains(line, col):
                return ref
        for d in [*self.resources.values(), *self.containers.values(), *self.scripts.values()]:
            if d.span.contains(line, col):
                return d
        return None

    def references_to(self, d: Definition) -> list[Reference]:
        if d.kind == "container":
            return [r for r in self.references if r.kind == "container" and r.owner == d.owner and r.name == d.name]
        return [r for r in self.references if r.kind == d.kind and r.name == d.name]
