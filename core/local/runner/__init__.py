"""Local runs: the container workloads of stacks deployed to the local AWS run as processes on this machine.

When a stack compiled by stp (its template has `Metadata.Stp`) reaches CREATE_COMPLETE or UPDATE_COMPLETE,
every ECS service of it gets its tasks started as ECS would start them, `desiredCount` copies (at most
`$STP_LOCAL_MAX_TASKS`, default 2), each container that is built from source as a process:

- `commands`  how a container runs without its image (`python FILE`, `node FILE`, tsx, startCmd …), or why not
              (custom Dockerfiles and prebuilt images are not run: the reason is reported);
- `plan`      what to run, read from the local AWS under `state.LOCK`: the registered task definition's
              containers with their environment (intrinsics resolved by moto; `{{resolve:...}}` references
              read from its Secrets Manager / SSM), plus `PORT`, `AWS_ENDPOINT_URL`, test credentials and the
              region, so boto3 (or any AWS SDK) in the program talks to the local AWS; `STP_*` values that are
              AWS endpoints of local resources (queue URLs) point at the local server;
- `tasks`     a task per desired count: processes in their own process groups, output line by line into
              the container's CloudWatch log group, stream `<prefix>/<container>/<task id>`; a task whose
              essential container exits is replaced after a backoff, its exit code logged;
- `logsink`   batched, ordered writes into moto's logs backend (in-process);
- `manager`   follows the CloudFormation engine (`engine.stack_event`): start on create/update complete,
              restart on every update, stop on delete; `GET /_stp/runner` describes what runs,
              `POST /_stp/runner/restart {"stack": NAME}` starts new tasks of a stack;
- `longpoll`  SQS long polls (ReceiveMessage with WaitTimeSeconds) give `state.LOCK` up while they wait, so a
              worker polling its queue does not stall every other request (installed by `serve`);
- `proxy`     a local HTTP port per application load balancer of a running stack that forwards to the tasks
              by the listener rules (conditions, priorities, forward weights read live from moto).

Contract with the deploy step (`stp deploy --local`): it sets `Metadata.Stp.sourceDir` of the template to the
config's folder (absolute path; entry files are relative to it) and, when the config file is not
`stacktape.yml` there, `Metadata.Stp.configFile`; the stack tags `stp:source-dir` / `stp:config-file` work
too. Image parameters get any non-empty value (`artifacts.local_image_uri`): the image is not used. Without
a source folder nothing runs and each container says why. Every update restarts the tasks (the code may
have changed); when a deploy finds no changes to make, it can `POST /_stp/runner/restart` so the new code
runs anyway.

Switch it off with `STP_LOCAL_RUN_WORKLOADS=0` in the server's environment.
"""

from __future__ import annotations

import os
import threading

from core.local.runner.manager import Runner

RUNNER_PATH = "/_stp/runner"
RESTART_PATH = "/_stp/runner/restart"

_runner: Runner | None = None
_proxies = None
_lock = threading.Lock()


def enabled() -> bool:
    return os.environ.get("STP_LOCAL_RUN_WORKLOADS", "1").strip().lower() not in ("0", "false", "no", "off")


def install(port: int | None, host: str = "127.0.0.1") -> Runner | None:
    """Start the runner of this server process and hook it into the CloudFormation engine (once)."""
    global _runner, _proxies
    with _lock:
        if _runner is not None or port is None or not enabled():
            return _runner
        from core.local.extensions.cloudformation import engine
        from core.local.runner.proxy import LoadBalancerProxies

        local_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        runner = Runner(f"http://{local_host}:{port}")
        proxies = LoadBalancerProxies(runner)
        original = engine.stack_event

        def stack_event(stack, status, reason=None):
            original(stack, status, reason)
            runner.notify(stack, status)
            proxies.notify(stack, status)

        stack_event._stp_runner = True  # type: ignore[attr-defined]
        engine.stack_event = stack_event
        _runner, _proxies = runner, proxies
        return runner


def runner() -> Runner | None:
    return _runner


def intercept(environ):
    """A WSGI app for the runner's own endpoints, else None:

        GET  /_stp/runner           what runs: stacks, services, tasks (pids, ports, log streams), load balancers
        POST /_stp/runner/restart   {"stack": NAME}: new tasks for every service of the stack (like ECS's
                                    force-new-deployment; for a deploy whose code changed but template did not)
    """
    if _runner is None:
        return None
    path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
    if path == RUNNER_PATH and method == "GET":
        return _runner.http
    if path == RESTART_PATH and method == "POST":
        return _runner.http_restart
    return None


def shutdown(timeout: float = 8.0) -> None:
    """Stop every local task and proxy (the server is stopping)."""
    if _proxies is not None:
        _proxies.close()
    if _runner is not None:
        _runner.close(timeout)
