"""Tunables of the local AWS server process.

Set at start (`stp local start --time-scale X --resource-delay SPEC`, or the `STP_LOCAL_TIME_SCALE` /
`STP_LOCAL_RESOURCE_DELAY` environment variables) and adjustable while it runs through
`POST /_stp/config` (what tests use to slow one stack down).

Resource delay SPEC: a default in seconds, optionally followed by per-type overrides, e.g.
`0.05` or `0.05,AWS::ECS::Service=0.5,AWS::EC2::NatGateway=1`. A template can also override one
resource with `Metadata: {"stp:local": {"delay": 2}}`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

DEFAULT_RESOURCE_DELAY = 0.05
MAX_RESOURCE_DELAY = 3600.0

ENV_TIME_SCALE = "STP_LOCAL_TIME_SCALE"
ENV_RESOURCE_DELAY = "STP_LOCAL_RESOURCE_DELAY"


class ConfigError(ValueError):
    """A tunable given a value it cannot take."""


def parse_time_scale(value: str | float) -> float:
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"time scale {value!r} is not a number") from None
    if not scale > 0:
        raise ConfigError(f"time scale must be greater than 0, got {value!r}")
    return scale


def _seconds(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not a number of seconds") from None
    if not 0 <= value <= MAX_RESOURCE_DELAY:
        raise ConfigError(f"{what}: {value} is outside 0..{MAX_RESOURCE_DELAY:g} seconds")
    return value


def parse_delay_spec(spec: str) -> tuple[float | None, dict[str, float]]:
    """`0.05,AWS::ECS::Service=0.5` -> (0.05, {"AWS::ECS::Service": 0.5}); the default may be left out."""
    default: float | None = None
    per_type: dict[str, float] = {}
    for part in (p.strip() for p in str(spec).split(",")):
        if not part:
            continue
        if "=" in part:
            type_name, _, value = part.partition("=")
            type_name = type_name.strip()
            if not type_name.count("::") >= 2:
                raise ConfigError(f"resource delay: {type_name!r} is not a resource type like AWS::ECS::Service")
            per_type[type_name] = _seconds(value.strip(), f"resource delay of {type_name}")
        else:
            default = _seconds(part, "resource delay")
    return default, per_type


def time_scale_argument(text: str) -> float:
    """argparse `type=` for --time-scale: the error names what is wrong."""
    import argparse

    try:
        return parse_time_scale(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def delay_spec_argument(text: str) -> str:
    """argparse `type=` for --resource-delay: checks the SPEC, keeps it as text for the server."""
    import argparse

    try:
        parse_delay_spec(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


@dataclass
class LocalConfig:
    """What the server process simulates with. One instance per process: `CONFIG`."""

    time_scale: float = 1.0
    resource_delay: float = DEFAULT_RESOURCE_DELAY
    type_delays: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LocalConfig:
        env = os.environ if environ is None else environ
        config = cls()
        if env.get(ENV_TIME_SCALE):
            config.time_scale = parse_time_scale(env[ENV_TIME_SCALE])
        if env.get(ENV_RESOURCE_DELAY):
            config.apply_delay_spec(env[ENV_RESOURCE_DELAY])
        return config

    def apply_delay_spec(self, spec: str) -> None:
        default, per_type = parse_delay_spec(spec)
        with self._lock:
            if default is not None:
                self.resource_delay = default
            self.type_delays.update(per_type)

    def update(self, values: dict[str, Any]) -> None:
        """Apply a JSON object of changes: {"time_scale": 10, "resource_delay": "0.1,AWS::X::Y=1"}."""
        unknown = set(values) - {"time_scale", "resource_delay", "type_delays"}
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        if "time_scale" in values:
            scale = parse_time_scale(values["time_scale"])
            with self._lock:
                self.time_scale = scale
        if "resource_delay" in values:
            self.apply_delay_spec(str(values["resource_delay"]))
        if "type_delays" in values:
            types = {str(k): _seconds(str(v), f"resource delay of {k}") for k, v in dict(values["type_delays"]).items()}
            with self._lock:
                self.type_delays = types

    def delay_for(self, resource_type: str, metadata: Any = None) -> float:
        """Simulated seconds one resource operation takes (create, update or delete)."""
        local = metadata.get("stp:local") if isinstance(metadata, dict) else None
        if isinstance(local, dict) and local.get("delay") is not None:
            try:
                return _seconds(str(local["delay"]), "stp:local delay")
            except ConfigError:
                pass
        with self._lock:
            return self.type_delays.get(resource_type, self.resource_delay)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "time_scale": self.time_scale,
                "resource_delay": self.resource_delay,
                "type_delays": dict(self.type_delays),
            }


CONFIG = LocalConfig()
