"""Application load balancers of running stacks, served on local ports and forwarding to the local tasks.

For every listener of an `application` load balancer of a stack that reached CREATE/UPDATE_COMPLETE, a
small threaded HTTP server listens on a free port of 127.0.0.1 (the same port for the listener's life;
HTTPS listeners are served as plain HTTP). Each request is routed like the ALB routes it, from the
listener's rules as moto holds them *now* (so weight shifts of a canary are followed): rules by priority,
conditions `path-pattern`, `host-header`, `http-request-method`, `http-header`, `query-string`,
`source-ip`; then the action: `forward` (a target group chosen by the forward weights, then a running
task of a service registered in it, round robin), `fixed-response`, `redirect`. No healthy target: 503,
a target that does not answer: 502, as the ALB answers.

Tasks count as registered in their service's target group and in its alternate one (blue/green and
canary deployments): locally, the current tasks serve both.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.client
import ipaddress
import itertools
import logging
import random
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.local import state

log = logging.getLogger("stp.local.runner")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}
START_STATES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
STOP_STATES = {"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_COMPLETE", "DELETE_COMPLETE"}


def _g(data: Any, key: str, default: Any = None) -> Any:
    """A key of a moto structure in either spelling (CloudFormation's `Field` or the API's `field`)."""
    if not isinstance(data, dict):
        return getattr(data, key, default)
    if key in data:
        return data[key]
    return data.get(key[0].lower() + key[1:], default)


def _wild(pattern: str, value: str, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def condition_matches(condition: dict[str, Any], request: dict[str, Any]) -> bool:
    field = _g(condition, "Field")
    if field == "path-pattern":
        values = _g(_g(condition, "PathPatternConfig") or {}, "Values") or _g(condition, "Values") or []
        return any(_wild(str(v), request["path"]) for v in values)
    if field == "host-header":
        values = _g(_g(condition, "HostHeaderConfig") or {}, "Values") or _g(condition, "Values") or []
        host = request["headers"].get("host", "").split(":")[0]
        return any(_wild(str(v), host, case=False) for v in values)
    if field == "http-request-method":
        values = _g(_g(condition, "HttpRequestMethodConfig") or {}, "Values") or _g(condition, "Values") or []
        return request["method"] in [str(v) for v in values]
    if field == "http-header":
        config = _g(condition, "HttpHeaderConfig") or {}
        name = str(_g(config, "HttpHeaderName") or "").lower()
        value = request["headers"].get(name)
        return value is not None and any(_wild(str(v), value, case=False) for v in _g(config, "Values") or [])
    if field == "query-string":
        pairs = urllib.parse.parse_qsl(request["query"], keep_blank_values=True)
        for wanted in _g(_g(condition, "QueryStringConfig") or {}, "Values") or []:
            key, value = _g(wanted, "Key"), str(_g(wanted, "Value") or "")
            if any((key is None or _wild(str(key), k, case=False)) and _wild(value, v, case=False) for k, v in pairs):
                return True
        return False
    if field == "source-ip":
        values = _g(_g(condition, "SourceIpConfig") or {}, "Values") or _g(condition, "Values") or []
        try:
            ip = ipaddress.ip_address(request["client"])
            return any(ip in ipaddress.ip_network(str(v), strict=False) for v in values)
        except ValueError:
            return False
    return False


def choose_target_group(action: Any, rng: random.Random) -> str | None:
    """The target group a forward action sends this request to (weighted)."""
    data = getattr(action, "data", action) if not isinstance(action, dict) else action
    config = _g(data, "ForwardConfig")
    groups = [(str(_g(g, "TargetGroupArn")), int(_g(g, "Weight", 1) or 0)) for g in (_g(config, "TargetGroups") or [])] \
        if config else []
    if not groups:
        arn = _g(data, "TargetGroupArn")
        return str(arn) if arn else None
    total = sum(w for _, w in groups)
    if total <= 0:
        return groups[0][0]
    pick = rng.uniform(0, total)
    for arn, weight in groups:
        pick -= weight
        if pick <= 0 and weight > 0:
            return arn
    return next(arn for arn, w in reversed(groups) if w > 0)


class ListenerProxy:
    def __init__(self, proxies: LoadBalancerProxies, stack_id: str, account_id: str, region: str, lb_arn: str,
                 listener_arn: str, listener_port: int, dns_name: str, port: int = 0):
        self.proxies, self.stack_id = proxies, stack_id
        self.account_id, self.region = account_id, region
        self.lb_arn, self.listener_arn, self.listener_port, self.dns_name = lb_arn, listener_arn, listener_port, dns_name
        self.rng = random.Random()
        self.counter = itertools.count()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # quiet
                log.debug("alb %s: " + fmt, proxy.listener_port, *args)

            def _handle(self):
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                                       name=f"stp-local-alb-{self.port}")
        self.thread.start()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------ routing

    def _rules(self) -> list[tuple[Any, list[dict], list[Any]]]:
        from moto.elbv2.models import elbv2_backends

        with state.LOCK:
            backend = elbv2_backends[self.account_id][self.region]
            listener = None
            for lb in backend.load_balancers.values():
                listener = lb.listeners.get(self.listener_arn) or listener
            if listener is None:
                return []
            rules = list(listener.rules.values())
            out = []
            for rule in rules:
                priority = rule.priority
                order = float("inf") if priority == "default" or getattr(rule, "is_default", False) else int(priority)
                out.append((order, list(rule.conditions or []), list(rule.actions or [])))
        return sorted(out, key=lambda r: r[0])

    def route(self, request: dict[str, Any]) -> tuple[str, Any]:
        for _, conditions, actions in self._rules():
            if all(condition_matches(c, request) for c in conditions):
                for action in actions:
                    kind = _g(getattr(action, "data", action), "Type")
                    if kind in ("forward", "fixed-response", "redirect"):
                        return kind, action
                return "none", None
        return "none", None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = {"method": handler.command, "path": parsed.path or "/", "query": parsed.query, "headers": headers,
                   "client": handler.client_address[0]}
        kind, action = self.route(request)
        if kind == "fixed-response":
            config = _g(getattr(action, "data", action), "FixedResponseConfig") or {}
            self._reply(handler, int(_g(config, "StatusCode", 200)), str(_g(config, "MessageBody") or "").encode(),
                        _g(config, "ContentType") or "text/plain")
            return
        if kind == "redirect":
            config = _g(getattr(action, "data", action), "RedirectConfig") or {}
            host = str(_g(config, "Host") or "#{host}").replace("#{host}", headers.get("host", ""))
            path = str(_g(config, "Path") or "/#{path}").replace("/#{path}", parsed.path or "/")
            query = str(_g(config, "Query") or "#{query}").replace("#{query}", parsed.query)
            location = f"http://{host}{path}" + (f"?{query}" if query else "")
            code = 301 if str(_g(config, "StatusCode", "HTTP_301")).endswith("301") else 302
            handler.send_response(code)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if kind != "forward":
            self._reply(handler, 404, b"No rule of this load balancer's listener matches the request")
            return
        group = choose_target_group(action, self.rng)
        targets = self.proxies.targets(group) if group else []
        if not targets:
            self._reply(handler, 503, b"503 Service Temporarily Unavailable: no running local task in the target group")
            return
        port = targets[next(self.counter) % len(targets)]
        forward = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
        forward["Host"] = headers.get("host", f"127.0.0.1:{self.port}")
        forward["X-Forwarded-For"] = request["client"]
        forward["X-Forwarded-Proto"] = "http"
        forward["X-Forwarded-Port"] = str(self.listener_port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(handler.command, handler.path, body=body or None, headers=forward)
            response = connection.getresponse()
            data = response.read()
        except OSError:
            self._reply(handler, 502, b"502 Bad Gateway: the local task did not answer")
            return
        finally:
            connection.close()
        handler.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "text/plain") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def describe(self) -> dict[str, Any]:
        return {"stackId": self.stack_id, "loadBalancerArn": self.lb_arn, "listenerArn": self.listener_arn, "dnsName": self.dns_name,
                "listenerPort": self.listener_port, "localPort": self.port, "url": f"http://127.0.0.1:{self.port}"}


class LoadBalancerProxies:
    """The listener proxies of every running stack."""

    def __init__(self, runner: Any):
        self.runner = runner
        self._lock = threading.Lock()
        self._proxies: dict[str, ListenerProxy] = {}  # listener arn -> proxy
        self._queue: list[tuple[Any, str]] = []
        self._wake = threading.Event()
        self._closed = False
        runner.proxies = self
        self._thread = threading.Thread(target=self._loop, daemon=True, name="stp-local-alb")
        self._thread.start()

    def notify(self, stack: Any, status: str) -> None:  # under state.LOCK: only queue
        if status in START_STATES or status in STOP_STATES:
            with self._lock:
                self._queue.append((stack, status))
            self._wake.set()

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(0.5)
            self._wake.clear()
            with self._lock:
                work, self._queue = self._queue, []
            for stack, status in work:
                try:
                    self._apply(stack, status)
                except Exception:
                    log.exception("local load balancer proxy for %s failed", getattr(stack, "name", "?"))

    def _apply(self, stack: Any, status: str) -> None:
        listeners = self._listeners(stack) if status in START_STATES else []
        wanted = {arn for arn, *_ in listeners}
        with self._lock:
            stale = [p for arn, p in self._proxies.items() if p.stack_id == stack.stack_id and arn not in wanted]
            for proxy in stale:
                self._proxies.pop(proxy.listener_arn, None)
        for proxy in stale:
            proxy.close()
        for arn, lb_arn, port, dns in listeners:
            with self._lock:
                if arn in self._proxies:
                    continue
            proxy = ListenerProxy(self, stack.stack_id, stack.account_id, stack.region_name, lb_arn, arn, port, dns)
            with self._lock:
                self._proxies[arn] = proxy

    def _listeners(self, stack: Any) -> list[tuple[str, str, int, str]]:
        from moto.elbv2.models import FakeLoadBalancer

        from core.local.runner.plan import stp_metadata

        out = []
        with state.LOCK:
            if stack.status not in START_STATES or stp_metadata(getattr(stack, "template_dict", {}) or {}) is None:
                return []
            for resource in list(stack.resource_map._parsed_resources.values()):
                if not isinstance(resource, FakeLoadBalancer) or getattr(resource, "type", "application") != "application":
                    continue
                for listener in resource.listeners.values():
                    if str(listener.protocol).upper() in ("HTTP", "HTTPS"):
                        out.append((listener.arn, resource.arn, int(listener.port), resource.dns_name))
        return out

    def targets(self, target_group_arn: str) -> list[int]:
        """Local ports of running tasks registered in the target group."""
        ports = []
        for stack in self.runner.describe(load_balancers=False)["stacks"].values():
            for service in stack["services"]:
                for registration in service["targetGroups"]:
                    if registration["targetGroupArn"] != target_group_arn:
                        continue
                    for task in service["tasks"]:
                        for container in task.get("containers", ()):
                            if container["name"] == registration["containerName"] and container["running"] \
                                    and container["port"]:
                                ports.append(container["port"])
        return ports

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [p.describe() for p in self._proxies.values()]

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        with self._lock:
            proxies, self._proxies = list(self._proxies.values()), {}
        for proxy in proxies:
            proxy.close()
