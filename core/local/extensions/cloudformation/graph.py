"""Which resources of a template depend on which: DependsOn, Ref, Fn::GetAtt and Fn::Sub references.

moto orders creation by DependsOn only and lets Ref/GetAtt create referenced resources lazily; the
engine needs the full graph to report resources in the order AWS would and to delete in reverse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def references(value: Any) -> set[str]:
    """Logical ids (and parameter names) a template fragment refers to; GetAtt gives the resource part."""
    found: set[str] = set()
    _collect(value, found, attributes=None)
    return found


def attribute_references(value: Any) -> set[tuple[str, str]]:
    """(logical id, attribute) pairs of Fn::GetAtt and ${X.Attr} in a fragment."""
    found: set[tuple[str, str]] = set()
    _collect(value, set(), attributes=found)
    return found


def _collect(value: Any, found: set[str], attributes: set[tuple[str, str]] | None) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1) if isinstance(item, str) else item
                if isinstance(target, list) and target and isinstance(target[0], str):
                    found.add(target[0])
                    if attributes is not None and len(target) > 1 and isinstance(target[1], str):
                        attributes.add((target[0], target[1]))
                else:
                    _collect(item, found, attributes)
            elif key == "Fn::Sub":
                text, variables = (item[0], item[1]) if isinstance(item, list) and len(item) == 2 else (item, {})
                local = set(variables) if isinstance(variables, dict) else set()
                if isinstance(text, str):
                    for name in _SUB_VARIABLE.findall(text):
                        name = name.strip()
                        head, _, attr = name.partition(".")
                        if head not in local:
                            found.add(head)
                            if attr and attributes is not None:
                                attributes.add((head, attr))
                if isinstance(variables, dict):
                    _collect(variables, found, attributes)
            else:
                _collect(item, found, attributes)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found, attributes)


def depends_on(resource: dict[str, Any]) -> set[str]:
    raw = resource.get("DependsOn") or []
    return {raw} if isinstance(raw, str) else {d for d in raw if isinstance(d, str)}


def dependencies(resources: dict[str, Any], among: Iterable[str] | None = None) -> dict[str, set[str]]:
    """For each resource (of `among`, default all), the resources of `among` it needs first."""
    names = set(resources if among is None else among)
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        if name not in names:
            continue
        body = resource if isinstance(resource, dict) else {}
        needed = depends_on(body) | references({k: v for k, v in body.items() if k not in ("DependsOn", "Type")})
        graph[name] = {n for n in needed if n in names and n != name}
    return graph


class CircularDependency(ValueError):
    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(f"Circular dependency between resources: [{', '.join(sorted(names))}]")


def topological(graph: dict[str, set[str]], order: Iterable[str]) -> list[str]:
    """Resources so that each comes after what it needs; ties keep `order` (template order)."""
    position = {name: i for i, name in enumerate(order)}
    remaining = {name: set(needs) for name, needs in graph.items()}
    result: list[str] = []
    while remaining:
        ready = sorted((n for n, needs in remaining.items() if not needs), key=lambda n: position.get(n, 1 << 30))
        if not ready:
            raise CircularDependency(list(remaining))
        for name in ready:
            result.append(name)
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return result


def reverse(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Dependents instead of dependencies: the order to delete in."""
    out: dict[str, set[str]] = {name: set() for name in graph}
    for name, needs in graph.items():
        for need in needs:
            out.setdefault(need, set()).add(name)
    return out
