"""The embedded local AWS: a moto server extended in-process with what stacktape stacks need.

- `server`  start/stop/status of the background server process (`stp local start|stop|status`; for
            `--local` on other commands: `ensure_running()`, then `boto3.client(svc, **client_options())`).
- `serve`   the server process itself: `python -m core.local.serve --port N` (moto's WSGI app + ours).
- `config`  tunables of the running server (time scale, simulated resource durations), `/_stp/config`.
- `clock`   simulated time, `--time-scale` times faster than real time.
- `state`   the lock every request and background simulation step holds; the shutdown event.
- `extensions/` one module per gap in moto (see its docstring): CloudFormation models for the types moto
            skips, placeholders for any other unknown type, a complete ECS service, deletes and in-place
            updates moto lacks, and an asynchronous CloudFormation engine (per-resource events, rollback,
            change sets with real Changes).

Clients reach the server only over HTTP (boto3 with `endpoint_url`); nothing here patches boto3.

- `extensions/ecs_deployments` service deployments on the scaled clock (List/Describe/StopServiceDeployment,
            DescribeServiceRevisions, ContinueServiceDeployment): lifecycle stages, listener-rule weights
            shifting per strategy (`extensions/elbv2_weights`), hooks, rollback.
- `extensions/logs_tail` a Live Tail that follows, and CloudWatch filter patterns.
- `runner/` deployed container workloads run as local processes with their AWS environment; their output
            goes into the stack's log groups; an ALB listener proxy routes by rule weights.
"""

from core.local.server import (
    LocalServerError,
    ServerStatus,
    client_options,
    endpoint_url,
    ensure_running,
    start,
    status,
    stop,
)

__all__ = ["LocalServerError", "ServerStatus", "client_options", "endpoint_url", "ensure_running", "start", "status",
           "stop"]
