"""EC2 instance sizes stp knows, for sizing tasks when `memory` is not given.

Only the common general-purpose, compute and memory families are listed: a
type outside the table still works when the config sets `memory`; otherwise
the compiler says so instead of guessing. The CPU architecture comes from
the name itself (Graviton families carry a `g` after the generation digit:
`t4g`, `m7g`, `c7gn`), so it never needs the table.
"""

from __future__ import annotations

import re

# size → (vCPU, memory GiB) per family shape
_SIZES_T = {"nano": (2, 0.5), "micro": (2, 1), "small": (2, 2), "medium": (2, 4), "large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32)}
_SIZES_M = {"large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32), "4xlarge": (16, 64), "8xlarge": (32, 128)}
_SIZES_C = {"large": (2, 4), "xlarge": (4, 8), "2xlarge": (8, 16), "4xlarge": (16, 32)}
_SIZES_R = {"large": (2, 16), "xlarge": (4, 32), "2xlarge": (8, 64), "4xlarge": (16, 128)}
_FAMILIES = {
    **{f: _SIZES_T for f in ("t3", "t3a", "t4g")},
    **{f: _SIZES_M for f in ("m5", "m5a", "m6i", "m6a", "m6g", "m7i", "m7a", "m7g")},
    **{f: _SIZES_C for f in ("c5", "c5a", "c6i", "c6a", "c6g", "c7i", "c7a", "c7g")},
    **{f: _SIZES_R for f in ("r5", "r5a", "r6i", "r6a", "r6g", "r7i", "r7g")},
}
INSTANCE_TYPES: dict[str, tuple[int, int]] = {
    f"{fam}.{size}": (cpu, int(gib * 1024)) for fam, sizes in _FAMILIES.items() for size, (cpu, gib) in sizes.items()
}

# the ECS agent, the OS and the kernel keep part of the memory; tasks get the rest
_USABLE_SHARE = 0.9

_FAMILY = re.compile(r"([a-z]+)(\d+)([a-z\-]*)\.")


def architecture(instance_type: str) -> str:
    """`arm64` for Graviton types, `x86_64` otherwise."""
    m = _FAMILY.match(instance_type)
    return "arm64" if m and "g" in m.group(3) else "x86_64"


def known_families() -> str:
    return ", ".join(_FAMILIES)


def usable_memory(instance_type: str) -> int | None:
    """MiB a task can reserve on one instance of this type (None if the type is not in the table)."""
    known = INSTANCE_TYPES.get(instance_type)
    if known is None:
        return None
    return int(known[1] * _USABLE_SHARE)
