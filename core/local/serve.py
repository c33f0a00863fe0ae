"""The local AWS server process: moto's WSGI app plus our in-process extensions.

    python -m core.local.serve --port 4566 [--host 127.0.0.1] [--time-scale X] [--resource-delay SPEC]

Start it through `core.local.server` (`stp local start`), which runs it detached and records it.
Besides every moto endpoint it answers:

    GET  /_stp/health   {"service": "stp-local", "pid", "port", "started_at", "moto_version", ...}
    GET  /_stp/runner   the stacks' workloads running as local processes (core.local.runner)
    GET  /_stp/config   the tunables (time scale, resource delays)
    POST /_stp/config   change them: {"time_scale": 10, "resource_delay": "0.1,AWS::ECS::Service=1"}

Every moto request runs under `state.LOCK`, the same lock the background CloudFormation engine takes
for each step, so requests never see a half-applied change.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

SERVICE_NAME = "stp-local"
HEALTH_PATH = "/_stp/health"
CONFIG_PATH = "/_stp/config"


def build_app(config_overrides: dict[str, Any] | None = None, port: int | None = None):
    """moto's dispatcher app with our extensions installed, wrapped by the /_stp endpoints and the lock."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        create_backend_app,
    )

    from core.local import state
    from core.local.config import CONFIG
    from core.local.extensions import install

    if config_overrides:
        CONFIG.update({k: v for k, v in config_overrides.items() if v is not None})
    install()
    interceptors = _install_local_runs(port)
    moto_app = DomainDispatcherApplication(create_backend_app)
    started_at = time.time()

    def health() -> dict[str, Any]:
        import moto

        return {
            "service": SERVICE_NAME,
            "pid": os.getpid(),
            "port": port,
            "started_at": started_at,
            "moto_version": moto.__version__,
            **CONFIG.to_json(),
        }

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        for intercept in interceptors:  # streaming answers (Live Tail) and /_stp/runner: before moto, unlocked
            handler = intercept(environ)
            if handler is not None:
                return handler(environ, start_response)
        if path.startswith("/_stp/"):
            return _stp_endpoint(environ, start_response, path, health)
        with state.LOCK:
            return moto_app(environ, start_response)

    return app


def _install_local_runs(port: int | None) -> list:
    """Live Tail that follows and CloudWatch filter patterns (`extensions.logs_tail`), SQS long polls that let
    other requests through (`runner.longpoll`), and the runner of the stacks' container workloads
    (`core.local.runner`); returns their WSGI interceptors."""
    from core.local import runner
    from core.local.extensions import logs_tail
    from core.local.runner import longpoll

    logs_tail.install()
    longpoll.install()
    runner.install(port)
    return [logs_tail.intercept, runner.intercept]


def _stp_endpoint(environ, start_response, path: str, health):
    from core.local.config import CONFIG, ConfigError

    method = environ.get("REQUEST_METHOD", "GET")
    status, body = "404 Not Found", {"error": f"no such endpoint {path}"}
    if path == HEALTH_PATH and method == "GET":
        status, body = "200 OK", health()
    elif path == CONFIG_PATH and method == "GET":
        status, body = "200 OK", CONFIG.to_json()
    elif path == CONFIG_PATH and method == "POST":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            values = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(values, dict):
                raise ConfigError("expected a JSON object")
            CONFIG.update(values)
            status, body = "200 OK", CONFIG.to_json()
        except (ValueError, ConfigError) as exc:
            status, body = "400 Bad Request", {"error": str(exc)}
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _request_handler(verbose: bool):
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        def log_request(self, code="-", size="-"):  # one line per request only with --verbose
            if verbose:
                super().log_request(code, size)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.local.serve", description="Run the stp local AWS server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument("--time-scale", help="simulated seconds per real second for simulated AWS processes")
    parser.add_argument("--resource-delay", help="seconds each CloudFormation resource takes, e.g. 0.05,AWS::ECS::Service=1")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    # moto builds some URLs (queue URLs, callbacks) from MOTO_PORT; it must be set before moto is imported.
    os.environ["MOTO_PORT"] = str(args.port)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import make_server

    from core.local.config import CONFIG, ConfigError, LocalConfig

    try:
        env_config = LocalConfig.from_env()
        overrides: dict[str, Any] = {"time_scale": env_config.time_scale, "type_delays": env_config.type_delays,
                                     "resource_delay": env_config.resource_delay}
        if args.time_scale is not None:
            overrides["time_scale"] = args.time_scale
        CONFIG.update(overrides)
        if args.resource_delay is not None:
            CONFIG.apply_delay_spec(args.resource_delay)
    except ConfigError as exc:
        print(f"stp local: {exc}", file=sys.stderr)
        return 2

    app = build_app(port=args.port)
    try:
        server = make_server(args.host, args.port, app, threaded=True, request_handler=_request_handler(args.verbose))
    except OSError as exc:
        print(f"stp local: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    def shut_down(signum, frame):  # serve_forever runs in this thread: shut it down from another one
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    print(f"stp local AWS listening on http://{args.host}:{args.port} (pid {os.getpid()}, moto server)", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        from core.local import state

        state.shutting_down.set()
        server.server_close()
        from core.local import runner

        runner.shutdown()  # the workloads' processes stop with the server
    print("stp local AWS stopped", flush=True)
    sys.stderr.flush()
    os._exit(0)  # all state is in memory: skip the interpreter's slow teardown of moto's thousands of objects


if __name__ == "__main__":
    sys.exit(main())
