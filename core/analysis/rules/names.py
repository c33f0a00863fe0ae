"""Resource names: the keys under `resources:`."""

from __future__ import annotations

import re

from core.analysis.rules import rule

_NAME = re.compile(r"[A-Za-z0-9]+\Z")


@rule("resource-name", "Resource names contain only letters and digits")
def resource_names(ctx):
    for name in ctx.resources:
        if not _NAME.match(str(name)):
            fixed = re.sub(r"[^A-Za-z0-9]+(.)?", lambda m: (m.group(1) or "").upper(), str(name))
            ctx.report(
                "resource-name",
                f"Resource name '{name}' may contain only letters and digits (it becomes part of AWS names"
                f" and logical ids)." + (f" Try '{fixed}'." if fixed else ""),
                ("resources", name),
                on="key",
                replace_with=[fixed] if fixed else [],
            )
