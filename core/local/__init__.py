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

Where the next pieces go (not built yet):
- ECS service deployments (ListServiceDeployments / DescribeServiceDeployments / StopServiceDeployment):
  an `extensions/ecs_deployments.py` that takes over from `ecs_service.start_deployment`, keeps the old
  deployment ACTIVE while the new one moves through its lifecycle stages on `clock.CLOCK`, shifts the
  weights of the service's `advancedConfiguration.productionListenerRule` (both target groups are kept on
  the service), honours bake times, lifecycle hooks and the circuit breaker; a background thread that
  takes `state.LOCK` per step and stops on `state.shutting_down`, like the CloudFormation engine.
- Local workloads as processes: a runner next to `serve` that starts the containers' commands as
  processes and writes their output into moto's CloudWatch Logs backend in-process (the log groups the
  stack created), so `logs.filter_log_events` and a Live Tail endpoint (moto has no StartLiveTail) see it.
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
