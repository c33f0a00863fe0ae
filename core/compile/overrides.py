"""`overrides`: patch properties of the resources stp generated for one config resource.

Keys are logical ids the resource produced (``ApiServerService``); values map
property names, or dotted paths into nested properties
(``DeploymentConfiguration.MaximumPercent``, ``ContainerDefinitions.0.Cpu``),
to new values. This is the escape hatch for settings stp does not model, so
a wrong id is reported with the ids that do exist.
"""

from __future__ import annotations

from troposphere import encode_to_dict

from core.compile.context import CompileContext


def apply_overrides(ctx: CompileContext, template: dict) -> None:
    resources = template.get("Resources", {})
    for name, entry in ctx.analysis.resources.items():
        patches = getattr(entry.model, "overrides", None) if entry.model is not None else None
        if not patches:
            continue
        owned = ctx.ids.by_owner.get(name, [])
        for lid, patch in patches.items():
            where = f"resources.{name}.overrides.{lid}"
            if lid not in owned or lid not in resources:
                ids = ", ".join(i for i in owned if i in resources) or "none"
                ctx.invalid(where, f"'{lid}' is not a logical id generated for '{name}'; its ids are: {ids}")
                continue
            if not isinstance(patch, dict):
                ctx.invalid(where, "an override is a map of property names (or dotted paths) to values")
                continue
            props = resources[lid].setdefault("Properties", {})
            for path, value in patch.items():
                problem = _set(props, str(path).split("."), encode_to_dict(ctx.resolve(value, f"{where}.{path}")))
                if problem:
                    ctx.invalid(where, f"cannot set '{path}': {problem}")


def _set(node, keys: list[str], value) -> str | None:
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                return f"'{key}' is not an index of a list of {len(node)}"
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            return f"'{'.'.join(keys[:i])}' is not a map or a list"
    return None
