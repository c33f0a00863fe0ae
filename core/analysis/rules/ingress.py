"""Ingress: how events of containers and functions attach to load balancers and HTTP API gateways.

These checks span resources (a priority is unique per load balancer across the
whole config, a network-load-balancer listener feeds exactly one container…),
so they read the events as written, type-checking every value they use: a
resource that failed schema validation still takes part, and nothing here
depends on the event models of resource types stp does not model yet
(functions, batch jobs). Values that are directives are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.analysis.rules import rule
from core.analysis.rules.workloads import fmt, num

ALB_CONDITIONS = ("paths", "methods", "hosts", "headers", "queryParams", "sourceIps")
_EVENT_OWNERS = ("multi-container-workload", "function", "batch-job")


@dataclass
class Event:
    resource: str
    rtype: str
    container: object  # container name (multi-container-workload) or None
    cindex: int | None  # index of the container
    path: tuple  # path of the event mapping
    type: object
    props: dict

    def at(self, key: str) -> tuple:
        return self.path + ("properties", key)

    @property
    def owner(self) -> str:
        if self.rtype == "multi-container-workload":
            return f"container '{self.container}' of '{self.resource}'"
        return f"{'batch job' if self.rtype == 'batch-job' else 'function'} '{self.resource}'"

    @property
    def is_container(self) -> bool:
        return self.rtype == "multi-container-workload"


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v) -> list:
    return v if isinstance(v, list) else []


def events(ctx, *types: str):
    """Every event of the config (of the given types), in config order."""
    for name, entry in ctx.resources.items():
        if entry.type not in _EVENT_OWNERS:
            continue
        props = _dict(_dict(entry.data).get("properties"))
        base = entry.path + ("properties",)
        if entry.type == "multi-container-workload":
            holders = [(c, i, base + ("containers", i)) for i, c in enumerate(_list(props.get("containers")))]
        else:
            holders = [(props, None, base)]
        for holder, ci, hpath in holders:
            holder = _dict(holder)
            cname = holder.get("name") if ci is not None else None
            for j, ev in enumerate(_list(holder.get("events"))):
                ev = _dict(ev)
                etype = ev.get("type")
                if types and etype not in types:
                    continue
                yield Event(name, entry.type, cname, ci, hpath + ("events", j), etype, _dict(ev.get("properties")))


@dataclass
class Listeners:
    custom: bool  # the load balancer declares its own listeners
    ports: list | None  # their ports; None when some port is not a plain number
    path: tuple  # path of the `listeners` list


def listeners(ctx, lb_name, lb_type: str) -> Listeners | None:
    """Listeners of the named load balancer, or None when it is not a load balancer of that type."""
    target = ctx.resources.get(lb_name) if isinstance(lb_name, str) else None
    if target is None or target.type != lb_type:
        return None
    props = _dict(target.data).get("properties")
    if props is not None and not isinstance(props, dict):
        return None
    raw = (props or {}).get("listeners")
    lpath = target.path + ("properties", "listeners")
    if raw is None:
        return Listeners(False, [], lpath)
    if not isinstance(raw, list) or not raw:
        return None  # a directive or an empty list: nothing certain to check against
    ports = [num(_dict(li).get("port")) for li in raw]
    return Listeners(True, None if None in ports else ports, lpath)


def _ports_text(ports) -> str:
    return ", ".join(fmt(p) for p in ports)


def _nth(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _line(ctx, path) -> int:
    return ctx.span(path).line + 1


# --- application load balancer ---------------------------------------------------------------------


@rule("alb-priority-conflict", "Rule priorities are unique per application load balancer and listener")
def alb_priorities(ctx):
    seen: dict = {}
    for ev in events(ctx, "application-load-balancer"):
        lb = ev.props.get("loadBalancerName")
        info = listeners(ctx, lb, "application-load-balancer")
        prio = num(ev.props.get("priority"))
        if info is None or prio is None:
            continue
        if info.custom:
            port = ev.props.get("listenerPort")
            if port is not None and num(port) is None:
                continue  # a directive: the listener is not known until deploy time
            key = (lb, num(port))
        else:
            key = (lb, None)
        first = seen.setdefault((key, prio), ev)
        if first is ev:
            continue
        on_listener = f" on listener {fmt(key[1])}" if key[1] is not None else ""
        ctx.report(
            "alb-priority-conflict",
            f"Priority {fmt(prio)} is already used on load balancer '{lb}'{on_listener} by {first.owner}"
            f" (line {_line(ctx, first.at('priority'))}). Each rule of a load balancer needs its own priority;"
            " lower numbers are evaluated first.",
            ev.at("priority"),
        )


@rule("alb-priority-range", "Rule priorities are from 1 to 50000")
def alb_priority_range(ctx):
    for ev in events(ctx, "application-load-balancer"):
        prio = num(ev.props.get("priority"))
        if prio is not None and not 1 <= prio <= 50000:
            ctx.report(
                "alb-priority-range",
                f"A load-balancer rule priority must be a whole number from 1 to 50000 (got {fmt(prio)}).",
                ev.at("priority"),
            )


@rule("alb-event-without-condition", "Application-load-balancer events have at least one routing condition")
def alb_conditions(ctx):
    for ev in events(ctx, "application-load-balancer"):
        if "loadBalancerName" not in ev.props:
            continue  # not a usable event at all; the schema check says what is missing
        if any(ev.props.get(k) not in (None, [], {}) for k in ALB_CONDITIONS):
            continue
        ctx.report(
            "alb-event-without-condition",
            "A load-balancer rule needs at least one condition telling which requests it takes: add paths (e.g."
            " ['/*'] for all), methods, hosts, headers, queryParams or sourceIps.",
            ev.path + ("properties",),
            on="key",
        )


def _alb_listener_events(ctx):
    for ev in events(ctx, "application-load-balancer"):
        lb = ev.props.get("loadBalancerName")
        info = listeners(ctx, lb, "application-load-balancer")
        if info is not None:
            yield ev, lb, info, ev.props.get("listenerPort")


@rule("alb-listener-port-not-allowed", "listenerPort is only used with load balancers that declare listeners")
def alb_listener_port_not_allowed(ctx):
    for ev, lb, info, port in _alb_listener_events(ctx):
        if not info.custom and port is not None:
            ctx.report(
                "alb-listener-port-not-allowed",
                f"Load balancer '{lb}' has no custom listeners (it uses the default HTTPS 443 listener, with"
                " HTTP 80 redirecting to it), so there is no listener to choose. Remove listenerPort, or declare"
                f" listeners on '{lb}'.",
                ev.at("listenerPort"),
                on="key",
            )


@rule("alb-listener-port-required", "Events of load balancers with custom listeners say which listener they use")
def alb_listener_port_required(ctx):
    for ev, lb, info, port in _alb_listener_events(ctx):
        if info.custom and port is None:
            known = f" ({_ports_text(info.ports)})" if info.ports else ""
            ctx.report(
                "alb-listener-port-required",
                f"Load balancer '{lb}' declares its own listeners{known}: add listenerPort to say which one this"
                " rule attaches to.",
                ev.path + ("properties",),
                on="key",
                allowed=[fmt(p) for p in info.ports or []],
            )


@rule("alb-listener-port-unknown", "listenerPort is one of the load balancer's listener ports")
def alb_listener_port_unknown(ctx):
    for ev, lb, info, port in _alb_listener_events(ctx):
        value = num(port)
        if info.custom and value is not None and info.ports is not None and value not in info.ports:
            ctx.report(
                "alb-listener-port-unknown",
                f"Load balancer '{lb}' has no listener on port {fmt(value)}. Its listeners: {_ports_text(info.ports)}.",
                ev.at("listenerPort"),
                allowed=[fmt(p) for p in info.ports],
            )


# --- network load balancer -------------------------------------------------------------------------


@rule("nlb-listener-port-unknown", "Network-load-balancer events name a listener port of the load balancer")
def nlb_listener_port(ctx):
    for ev in events(ctx, "network-load-balancer"):
        lb = ev.props.get("loadBalancerName")
        info = listeners(ctx, lb, "network-load-balancer")
        port = num(ev.props.get("listenerPort"))
        if info is None or port is None or info.ports is None or not info.custom:
            continue
        if port not in info.ports:
            ctx.report(
                "nlb-listener-port-unknown",
                f"Network load balancer '{lb}' has no listener on port {fmt(port)}. Its listeners:"
                f" {_ports_text(info.ports)}. Use one of them, or add a listener for {fmt(port)} to '{lb}'.",
                ev.at("listenerPort"),
                allowed=[fmt(p) for p in info.ports],
            )


def _nlb_users(ctx):
    """(load balancer, listener port) → the container events using it; and the load balancers
    some event reaches through a listener port that is a directive (unknown until deploy time)."""
    users: dict = {}
    unsure: set = set()
    for ev in events(ctx, "network-load-balancer"):
        lb = ev.props.get("loadBalancerName")
        if not isinstance(lb, str):
            continue
        port = num(ev.props.get("listenerPort"))
        if port is None:
            unsure.add(lb)
            continue
        users.setdefault((lb, port), []).append(ev)
    return users, unsure


@rule("nlb-listener-conflict", "A network-load-balancer listener forwards to one container only")
def nlb_listener_conflict(ctx):
    users, _ = _nlb_users(ctx)
    for (lb, port), evs in users.items():
        for ev in evs[1:]:
            ctx.report(
                "nlb-listener-conflict",
                f"Listener {fmt(port)} of network load balancer '{lb}' already forwards to {evs[0].owner}"
                f" (line {_line(ctx, evs[0].at('listenerPort'))}); a listener can send its traffic to one container"
                " only. Add another listener to the load balancer for this container.",
                ev.at("listenerPort"),
            )


@rule("nlb-listener-without-target", "Every network-load-balancer listener forwards to a container")
def nlb_listener_without_target(ctx):
    users, unsure = _nlb_users(ctx)
    for entry in ctx.resources.values():
        if entry.type != "network-load-balancer" or entry.name in unsure:
            continue
        lpath = entry.path + ("properties", "listeners")
        for i, li in enumerate(_list(_dict(_dict(entry.data).get("properties")).get("listeners"))):
            port = num(_dict(li).get("port"))
            if port is not None and (entry.name, port) not in users:
                ctx.report(
                    "nlb-listener-without-target",
                    f"No container receives the traffic of listener {fmt(port)}. Add a network-load-balancer event"
                    f" with loadBalancerName '{entry.name}' and listenerPort {fmt(port)} to a container, or remove"
                    " this listener.",
                    lpath + (i, "port"),
                )


@rule("duplicate-listener-port", "Listener ports of a load balancer are unique")
def duplicate_listener_ports(ctx):
    for entry in ctx.resources.values():
        props = _dict(_dict(entry.data).get("properties"))
        base = entry.path + ("properties",)
        if entry.type in ("application-load-balancer", "network-load-balancer"):
            items, lpath, what = _list(props.get("listeners")), base + ("listeners",), "listener"
        elif entry.type == "web-service":
            lbp = _dict(props.get("loadBalancing"))
            if lbp.get("type") != "network-load-balancer":
                continue
            items = _list(_dict(lbp.get("properties")).get("ports"))
            lpath, what = base + ("loadBalancing", "properties", "ports"), "port"
        else:
            continue
        seen: dict = {}
        for i, li in enumerate(items):
            port = num(_dict(li).get("port"))
            if port is None:
                continue
            first = seen.setdefault(port, i)
            if first != i:
                ctx.report(
                    "duplicate-listener-port",
                    f"Port {fmt(port)} is already declared (the {_nth(first + 1)} {what}, line {_line(ctx, lpath + (first, 'port'))})."
                    " A load balancer listens on each port once; remove this entry or use another port.",
                    lpath + (i, "port"),
                )


# --- http api gateway ------------------------------------------------------------------------------


@rule("http-api-single-port", "All http-api-gateway events of a workload go to one container port")
def http_api_single_port(ctx):
    first: dict = {}
    for ev in events(ctx, "http-api-gateway"):
        if not ev.is_container:
            continue
        port = num(ev.props.get("containerPort"))
        if port is None:
            continue
        prev = first.setdefault(ev.resource, ev)
        if prev is ev:
            continue
        prev_port = num(prev.props.get("containerPort"))
        if port == prev_port:
            continue
        if prev.cindex == ev.cindex:
            fix = f"Use containerPort {fmt(prev_port)} here too, or route this traffic through a load balancer."
        else:
            fix = (f"Move this route to container '{prev.container}' (port {fmt(prev_port)}), or route this traffic"
                   " through a load balancer.")
        ctx.report(
            "http-api-single-port",
            f"An HTTP API gateway reaches a workload through a single container port, and {prev.owner} already"
            f" receives gateway requests on port {fmt(prev_port)} (line {_line(ctx, prev.at('containerPort'))}). {fix}",
            ev.at("containerPort"),
            replace_with=[fmt(prev_port)] if prev.cindex == ev.cindex else [],
        )


@rule("http-api-catch-all-path", "Path '*' is used only with method '*'")
def http_api_catch_all(ctx):
    for ev in events(ctx, "http-api-gateway"):
        path, method = ev.props.get("path"), ev.props.get("method")
        if path == "*" and type(method) is str and method != "*":
            ctx.report(
                "http-api-catch-all-path",
                f"Path '*' is the gateway's catch-all route and only works with method '*'. To catch every path"
                f" for {method} only, use path '/{{proxy+}}'; otherwise set method to '*'.",
                ev.at("path"),
                replace_with=["/{proxy+}"],
            )


@rule("http-api-payload-format", "Container routes of an HTTP API use payload format 1.0")
def http_api_payload_format(ctx):
    for ev in events(ctx, "http-api-gateway"):
        if ev.is_container and type(ev.props.get("payloadFormat")) is str and ev.props["payloadFormat"] != "1.0":
            ctx.report(
                "http-api-payload-format",
                "Requests the gateway forwards to a container always use payload format 1.0 (format 2.0 exists for"
                " functions only). Remove payloadFormat or set it to '1.0'.",
                ev.at("payloadFormat"),
                replace_with=["1.0"],
            )


@rule("http-api-route-conflict", "Each route (method and path) of an HTTP API gateway is defined once")
def http_api_routes(ctx):
    seen: dict = {}
    for ev in events(ctx, "http-api-gateway"):
        gw, path, method = ev.props.get("httpApiGatewayName"), ev.props.get("path"), ev.props.get("method")
        if not all(type(v) is str for v in (gw, path, method)):
            continue
        key = (gw, method.upper(), path)
        first = seen.setdefault(key, ev)
        if first is not ev:
            ctx.report(
                "http-api-route-conflict",
                f"Route {method.upper()} {path} of gateway '{gw}' is already taken by {first.owner}"
                f" (line {_line(ctx, first.at('path'))}); a gateway sends each route to one target. Change the path"
                " or the method.",
                ev.at("path"),
            )
