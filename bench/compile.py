"""How long compiling takes for configs with 10, 100 and 500 container workloads.

Each workload is a worker-service (built from source, scaling, health check,
secrets and directives in its environment) or, every fourth one, a
multi-container workload with a sidecar on a workload-internal port in
private subnets behind NAT; every eighth runs on EC2 (Graviton). So the
bench covers what `stp compile` handles today. Prints the median and best
of several runs, the time per workload (flat = linear growth) and the ratio
to the target (500 workloads in under 2 s); analysis time is shown beside it.
Run: python bench/compile.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.analysis import analyze  # noqa: E402
from core.compile import compile_template  # noqa: E402

TARGET_MS = {500: 2000.0}
SIZES = (10, 100, 500)

_WORKER = """\
  worker{i}:
    type: worker-service
    properties:
      packaging:
        type: stacktape-image-buildpack
        properties:
          entryfilePath: src/worker{i}.ts
      resources:
        cpu: 0.5
        memory: 1024
      scaling:
        minInstances: 1
        maxInstances: 4
        scalingPolicy:
          keepAvgCpuUtilizationUnder: 70
      environment:
        - name: STAGE
          value: $Stage()
        - name: API_TOKEN
          value: $Secret('worker{i}.token')
        - name: QUEUE_NAME
          value: $Format('{{}}-jobs-{i}', $Stage())
      internalHealthCheck:
        healthCheckCommand: ['CMD-SHELL', 'test -f /tmp/healthy']
      logging:
        retentionDays: 14
"""

_MULTI = """\
  app{i}:
    type: multi-container-workload
    properties:
      resources:
{resources}
      usePrivateSubnetsWithNAT: true
      scaling:
        minInstances: 1
        maxInstances: 3
      containers:
        - name: app
          packaging:
            type: custom-dockerfile
            properties:
              buildContextPath: services/app{i}
          environment:
            - name: CACHE_URL
              value: redis://localhost:6379
          dependsOn:
            - containerName: cache
              condition: START
        - name: cache
          packaging:
            type: prebuilt-image
            properties:
              image: public.ecr.aws/docker/library/redis:7-alpine
          essential: false
          events:
            - type: workload-internal
              properties:
                containerPort: 6379
"""
_FARGATE = "        cpu: 1\n        memory: 2048"
_EC2 = "        instanceTypes: [c6g.large]"


def generate(workloads: int) -> str:
    parts = ["serviceName: bench-compile\nresources:\n"]
    for i in range(workloads):
        if i % 4 == 3:
            parts.append(_MULTI.format(i=i, resources=_EC2 if i % 8 == 7 else _FARGATE))
        else:
            parts.append(_WORKER.format(i=i))
    return "".join(parts)


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"{'workloads':>9} {'resources':>9} {'compile ms':>11} {'best ms':>8} {'ms/workload':>12} {'target':>7}"
          f" {'ratio':>6} {'analyze ms':>11} {'JSON KB':>8}")
    for n in SIZES:
        analysis = analyze(generate(n))
        assert analysis.ok, analysis.errors[:3]  # a bench on an invalid config measures nothing
        template = compile_template(analysis, "bench", "bench-compile", "us-east-1")
        times = timed(lambda: compile_template(analysis, "bench", "bench-compile", "us-east-1"), args.runs)
        med = statistics.median(times)
        an = statistics.median(timed(lambda: analyze(generate(n)), max(1, args.runs // 2)))
        target = TARGET_MS.get(n)
        ratio = f"{med / target:.2f}" if target else "-"
        size_kb = len(json.dumps(template)) / 1024
        print(f"{n:>9} {len(template['Resources']):>9} {med:>11.1f} {min(times):>8.1f} {med / n:>12.2f}"
              f" {str(int(target)) if target else '-':>7} {ratio:>6} {an:>11.1f} {size_kb:>8.0f}")


if __name__ == "__main__":
    main()
