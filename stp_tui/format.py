"""Small text helpers shared by the screens: status colours, ages, times (always UTC: stable snapshots)."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text


def status_style(status: str) -> str:
    status = status or ""
    if status.endswith("_FAILED") or status in ("FAILED", "STOPPED", "ROLLBACK_FAILED"):
        return "bold red"
    if "ROLLBACK" in status:
        return "red" if status.endswith("ROLLBACK_COMPLETE") else "magenta"
    if status.endswith("_IN_PROGRESS") or status in ("IN_PROGRESS", "PENDING", "PROVISIONING", "ACTIVATING",
                                                     "DEACTIVATING", "STOPPING", "DEPROVISIONING"):
        return "yellow"
    if status.endswith("_COMPLETE") or status in ("RUNNING", "HEALTHY", "SUCCESSFUL", "COMPLETED", "ACTIVE"):
        return "green"
    if status in ("NOT_DEPLOYED", ""):
        return "dim"
    return "default"


def status_text(status: str) -> Text:
    return Text(status or "-", style=status_style(status))


def age(when: datetime | None, now: datetime) -> str:
    """k9s-style age: 40s, 12m, 5h, 3d."""
    if when is None:
        return "-"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        h, m = divmod(seconds // 60, 60)
        return f"{h}h{m}m" if m and h < 10 else f"{h}h"
    return f"{seconds // 86400}d"


def stamp(when: datetime | None) -> str:
    if when is None:
        return "-"
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def clock(when: datetime | None) -> str:
    if when is None:
        return "-"
    return when.astimezone(timezone.utc).strftime("%H:%M:%S")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def short_id(value: str, keep: int = 40) -> str:
    if not value:
        return ""
    if value.startswith("arn:"):
        value = value.split(":", 5)[-1]
    if len(value) > keep:
        return value[: keep // 2 - 1] + "…" + value[-(keep // 2):]
    return value
