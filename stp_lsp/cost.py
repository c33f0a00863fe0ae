"""A rough monthly Fargate price of a container workload, from its cpu, memory and instance counts.

On-demand Fargate, us-east-1, Linux/x86. Everything else a workload may
cost (load balancers, NAT gateways, data transfer, logs, EC2 capacity) is
left out, and the hover says so.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
PLATFORM = "Linux/x86"
VCPU_HOUR_USD = 0.04048
GB_HOUR_USD = 0.004445
HOURS_PER_MONTH = 730

WORKLOAD_TYPES = ("multi-container-workload", "web-service", "private-service", "worker-service")


@dataclass(frozen=True)
class Estimate:
    cpu: float
    memory_mib: int
    min_instances: int
    max_instances: int
    arm64: bool = False

    @property
    def memory_gb(self) -> float:
        return self.memory_mib / 1024

    @property
    def per_instance_hour(self) -> float:
        return self.cpu * VCPU_HOUR_USD + self.memory_gb * GB_HOUR_USD

    @property
    def per_instance_month(self) -> float:
        return self.per_instance_hour * HOURS_PER_MONTH

    @property
    def low(self) -> float:
        return self.per_instance_month * self.min_instances

    @property
    def high(self) -> float:
        return self.per_instance_month * self.max_instances


def _number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def estimate(resource_type: str | None, body) -> Estimate | str | None:
    """An estimate for a workload's raw data, a sentence saying why there is none, or None (not a workload)."""
    if resource_type not in WORKLOAD_TYPES:
        return None
    props = body.get("properties") if isinstance(body, dict) else None
    props = props if isinstance(props, dict) else {}
    res = props.get("resources") if isinstance(props.get("resources"), dict) else {}
    if res.get("instanceTypes"):
        return "Runs on EC2 instances (`instanceTypes`), so the Fargate price does not apply."
    cpu, memory = _number(res.get("cpu")), _number(res.get("memory"))
    if cpu is None or memory is None:
        missing = " and ".join(k for k, v in (("cpu", cpu), ("memory", memory)) if v is None)
        return f"No Fargate estimate: `resources.{missing}` is not a plain number."
    scaling = props.get("scaling") if isinstance(props.get("scaling"), dict) else {}
    lo = _number(scaling.get("minInstances"))
    hi = _number(scaling.get("maxInstances"))
    lo = int(lo) if lo is not None and lo >= 1 else 1
    hi = int(hi) if hi is not None and hi >= lo else lo
    return Estimate(float(cpu), int(memory), lo, hi, res.get("architecture") == "arm64")


def _usd(x: float) -> str:
    return f"{x:,.2f} USD"


def _num(x: float) -> str:
    return f"{x:g}"


def render(est: Estimate | str) -> str:
    """Markdown for a hover."""
    if isinstance(est, str):
        return est
    per = est.per_instance_month
    lines = [
        (f"**Estimated Fargate cost:** {_usd(per)}/month per instance"
         f" ({_num(est.cpu)} vCPU, {_num(est.memory_gb)} GB)"),
    ]
    if est.min_instances == est.max_instances:
        n = est.min_instances
        lines.append(f"{n} instance{'s' if n != 1 else ''}: **{_usd(est.low)}/month**")
    else:
        lines.append(f"{est.min_instances}–{est.max_instances} instances: **{_usd(est.low)} – {_usd(est.high)}/month**")
    lines.append(
        f"Prices used: {REGION}, {PLATFORM}, {VCPU_HOUR_USD} USD per vCPU-hour and {GB_HOUR_USD} USD per GB-hour,"
        f" {HOURS_PER_MONTH} hours a month ({_num(est.cpu)} × {VCPU_HOUR_USD} + {_num(est.memory_gb)} × {GB_HOUR_USD}"
        f" = {est.per_instance_hour:.7g} USD per instance-hour)."
    )
    note = "Not included: load balancers, NAT gateways, data transfer, logs."
    if est.arm64:
        note = "arm64 (Graviton) is billed at lower rates than the x86 prices used here. " + note
    lines.append(note)
    return "  \n".join(lines[:2]) + "\n\n" + "\n\n".join(lines[2:])
