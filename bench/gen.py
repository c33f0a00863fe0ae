"""Generate realistic stacktape.yml configs of a given size (shared by the benches)."""

from __future__ import annotations

_WORKLOAD = """\
  api{i}:
    type: multi-container-workload
    properties:
      resources:
        cpu: 0.5
        memory: 1024
      scaling:
        minInstances: 1
        maxInstances: 4
        scalingPolicy:
          keepAvgCpuUtilizationUnder: 70
      connectTo:
        - bucket{i}
        - queue{i}
      containers:
        - name: app
          packaging:
            type: stacktape-image-buildpack
            properties:
              entryfilePath: src/api{i}/index.ts
          environment:
            - name: PORT
              value: 3000
            - name: DB_PASSWORD
              value: $Secret('db{i}.password')
            - name: BUCKET
              value: $ResourceParam('bucket{i}', 'name')
          events:
            - type: http-api-gateway
              properties:
                httpApiGatewayName: gateway
                containerPort: 3000
                path: /api{i}/{{proxy+}}
                method: '*'
          internalHealthCheck:
            healthCheckCommand: ['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1']
            intervalSeconds: 20
        - name: sidecar
          packaging:
            type: prebuilt-image
            properties:
              image: public.ecr.aws/docker/library/redis:7
          dependsOn:
            - containerName: app
              condition: START
          events:
            - type: workload-internal
              properties:
                containerPort: 6379
  bucket{i}:
    type: bucket
  queue{i}:
    type: sqs-queue
"""

_HEADER = """\
serviceName: bench-app
resources:
  gateway:
    type: http-api-gateway
"""


def generate(lines: int) -> str:
    """A valid config of roughly ``lines`` lines."""
    per = _WORKLOAD.count("\n")
    n = max(1, (lines - _HEADER.count("\n")) // per)
    text = _HEADER + "".join(_WORKLOAD.format(i=i) for i in range(n))
    pad = max(0, lines - text.count("\n")) // 4
    # top up with small topics so sizes match what is asked
    text += "".join(f"  topic{i}:\n    type: sns-topic\n    properties:\n      fifoEnabled: false\n" for i in range(pad))
    return text
