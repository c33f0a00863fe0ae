"""What a rule sees: the typed resources, where things are, and a way to report."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.analysis.diagnostics import ERROR, Diagnostic
from core.analysis.partial import near_dropped
from core.source.locate import Locator
from core.source.span import Span


@dataclass(slots=True)
class ResourceEntry:
    name: str
    type: str | None
    data: object  # the raw mapping as written
    model: object | None = None  # the validated pydantic model, when it validated
    modelled: bool = False  # do we have a model for this type at all
    dropped: tuple = ()  # absolute paths set aside to get a partial model (see analysis.partial)

    @property
    def path(self) -> tuple:
        return ("resources", self.name)

    @property
    def props(self):
        """The validated `properties` model (or None)."""
        return getattr(self.model, "properties", None) if self.model is not None else None


@dataclass
class RuleContext:
    data: dict
    resources: dict[str, ResourceEntry]
    locator: Locator
    directives: list  # DirectiveSite list from the converter
    symbols: object
    diagnostics: list[Diagnostic] = field(default_factory=list)
    dropped: set = field(default_factory=set)  # parts of resources already reported as invalid

    def span(self, path: tuple, on: str = "value") -> Span:
        if on == "key":
            s = self.locator.key_span(path)
        else:
            s = self.locator.value_span(path)
        return s or self.locator.nearest_span(path)[0]

    def report(self, code: str, message: str, path: tuple, *, on: str = "value", severity: str = ERROR,
               span: Span | None = None, **data) -> None:
        if self.dropped and near_dropped(tuple(path), self.dropped):
            return  # computed from a partial model next to something already reported
        self.diagnostics.append(Diagnostic(code, message, span or self.span(path, on), severity, tuple(path), data))

    def of_type(self, *types: str):
        """Validated resources of the given types."""
        for entry in self.resources.values():
            if entry.type in types and entry.model is not None:
                yield entry
