"""Semantic rules of load balancers and HTTP API gateways (core/analysis/rules/ingress.py).

Each rule gets a config that breaks it (code, severity and line of the
diagnostic) and one that is fine (no diagnostic of that code).
"""

import textwrap

from core.analysis import analyze
from tests.core.rule_support import assert_clean, assert_error, cfg


def workload(events: str, name: str = "app", container: str = "api", lb: str = "") -> str:
    """Resources: optional load balancer YAML ``lb`` then a workload whose one container has ``events``."""
    return (
        "resources:\n"
        + textwrap.indent(textwrap.dedent(lb).strip("\n"), "  ") + ("\n" if lb.strip() else "")
        + f"  {name}:\n"
        "    type: multi-container-workload\n"
        "    properties:\n"
        "      resources: {cpu: 0.25, memory: 512}\n"
        "      containers:\n"
        f"        - name: {container}\n"
        "          packaging: {type: prebuilt-image, properties: {image: api}}\n"
        "          events:\n"
        + textwrap.indent(textwrap.dedent(events).strip("\n"), " " * 12) + "\n"
    )


DEFAULT_ALB = """
lb:
  type: application-load-balancer
"""

CUSTOM_ALB = """
lb:
  type: application-load-balancer
  properties:
    listeners:
      - {port: 443, protocol: HTTPS}
      - {port: 8080, protocol: HTTP}
"""

NLB = """
nlb:
  type: network-load-balancer
  properties:
    listeners:
      - {port: 5432, protocol: TCP}
      - {port: 6379, protocol: TCP}
"""


def alb(priority=1, extra="paths: ['/*']", port=80) -> str:
    return ("- type: application-load-balancer\n"
            f"  properties: {{loadBalancerName: lb, containerPort: {port}, priority: {priority}, {extra}}}")


def nlb(listener, port) -> str:
    return ("- type: network-load-balancer\n"
            f"  properties: {{loadBalancerName: nlb, listenerPort: {listener}, containerPort: {port}}}")


def http(path="/{proxy+}", method="'*'", port=3000, extra="") -> str:
    return ("- type: http-api-gateway\n"
            f"  properties: {{httpApiGatewayName: gw, containerPort: {port}, path: '{path}', method: {method}{extra}}}")


GATEWAY = "gw:\n  type: http-api-gateway\n"


# --- application load balancer ---------------------------------------------------------------------


def test_alb_priority_conflict_within_a_workload():
    text = workload(alb(1) + "\n" + alb(1, "paths: ['/admin/*']"), lb=DEFAULT_ALB)
    d = assert_error(text, "alb-priority-conflict", "priority: 1", nth=2)
    assert "container 'api' of 'app'" in d.message
    assert_clean(workload(alb(1) + "\n" + alb(2, "paths: ['/admin/*']"), lb=DEFAULT_ALB), "alb-priority-conflict")


def test_alb_priority_conflict_across_resources():
    text = workload(alb(5), lb=DEFAULT_ALB) + workload(alb(5, port=81), name="other", container="web")[len("resources:\n"):]
    assert_error(text, "alb-priority-conflict", "priority: 5", nth=2)
    ok = workload(alb(5), lb=DEFAULT_ALB) + workload(alb(6, port=81), name="other", container="web")[len("resources:\n"):]
    assert_clean(ok, "alb-priority-conflict")


def test_alb_priority_is_per_listener():
    same = workload(alb(1, "paths: ['/*'], listenerPort: 443") + "\n" + alb(1, "paths: ['/*'], listenerPort: 443"),
                    lb=CUSTOM_ALB)
    assert_error(same, "alb-priority-conflict", "priority: 1", nth=2)
    other_listener = workload(alb(1, "paths: ['/*'], listenerPort: 443") + "\n" + alb(1, "paths: ['/*'], listenerPort: 8080"),
                              lb=CUSTOM_ALB)
    assert_clean(other_listener, "alb-priority-conflict")


def test_alb_priority_range():
    text = workload(alb(0), lb=DEFAULT_ALB)
    assert_error(text, "alb-priority-range", "priority: 0")
    assert_error(workload(alb(50001), lb=DEFAULT_ALB), "alb-priority-range", "priority: 50001")
    assert_clean(workload(alb(50000), lb=DEFAULT_ALB), "alb-priority-range")


def test_alb_event_needs_a_condition():
    text = workload(cfg("""
        - type: application-load-balancer
          properties:
            loadBalancerName: lb
            containerPort: 80
            priority: 1
        """), lb=DEFAULT_ALB)
    d = assert_error(text, "alb-event-without-condition", "properties:", nth=2)
    assert "paths" in d.message
    assert_error(workload(alb(1, "paths: []"), lb=DEFAULT_ALB), "alb-event-without-condition", "properties: {loadBalancerName")
    for extra in ("hosts: [api.example.com]", "methods: [GET]", "sourceIps: [10.0.0.0/8]",
                  "headers: [{headerName: X-Tenant, values: [a]}]", "queryParams: [{paramName: v, values: ['2']}]"):
        assert_clean(workload(alb(1, extra), lb=DEFAULT_ALB), "alb-event-without-condition")


def test_alb_listener_port_not_allowed_with_default_listeners():
    text = workload(alb(1, "paths: ['/*'], listenerPort: 443"), lb=DEFAULT_ALB)
    assert_error(text, "alb-listener-port-not-allowed", "listenerPort: 443")
    assert_clean(workload(alb(1), lb=DEFAULT_ALB), "alb-listener-port-not-allowed")


def test_alb_listener_port_required_with_custom_listeners():
    text = workload(alb(1), lb=CUSTOM_ALB)
    d = assert_error(text, "alb-listener-port-required", "properties: {loadBalancerName")
    assert "443, 8080" in d.message
    assert_clean(workload(alb(1, "paths: ['/*'], listenerPort: 8080"), lb=CUSTOM_ALB), "alb-listener-port-required")


def test_alb_listener_port_must_be_a_listener():
    text = workload(alb(1, "paths: ['/*'], listenerPort: 80"), lb=CUSTOM_ALB)
    d = assert_error(text, "alb-listener-port-unknown", "listenerPort: 80")
    assert "443, 8080" in d.message
    assert_clean(workload(alb(1, "paths: ['/*'], listenerPort: 443"), lb=CUSTOM_ALB), "alb-listener-port-unknown")
    assert_clean(workload(alb(1, "paths: ['/*'], listenerPort: $Var('port')"), lb=CUSTOM_ALB), "alb-listener-port-unknown")


# --- network load balancer -------------------------------------------------------------------------


def test_nlb_listener_port_must_be_a_listener():
    text = workload(nlb(5432, 5432) + "\n" + nlb(6379, 6379) + "\n" + nlb(27017, 27017), lb=NLB)
    d = assert_error(text, "nlb-listener-port-unknown", "listenerPort: 27017")
    assert "5432, 6379" in d.message
    assert_clean(workload(nlb(5432, 5432) + "\n" + nlb(6379, 6379), lb=NLB), "nlb-listener-port-unknown")


def test_nlb_listener_feeds_one_container_only():
    text = workload(nlb(5432, 5432) + "\n" + nlb(6379, 6379), lb=NLB) + workload(
        nlb(5432, 5433), name="replica", container="db")[len("resources:\n"):]
    d = assert_error(text, "nlb-listener-conflict", "listenerPort: 5432", nth=2)
    assert "container 'api' of 'app'" in d.message
    assert_clean(workload(nlb(5432, 5432) + "\n" + nlb(6379, 6379), lb=NLB), "nlb-listener-conflict")


def test_nlb_listener_without_target():
    text = workload(nlb(5432, 5432), lb=NLB)
    assert_error(text, "nlb-listener-without-target", "port: 6379")
    assert_clean(workload(nlb(5432, 5432) + "\n" + nlb(6379, 6379), lb=NLB), "nlb-listener-without-target")
    # a listener port chosen at deploy time could be any of them
    assert_clean(workload(nlb(5432, 5432) + "\n" + nlb("$Var('p')", 6379), lb=NLB), "nlb-listener-without-target")


def test_duplicate_listener_port():
    text = workload(alb(1, "paths: ['/*'], listenerPort: 443"), lb=CUSTOM_ALB.replace("port: 8080", "port: 443"))
    d = assert_error(text, "duplicate-listener-port", "{port: 443", nth=2)
    assert "the 1st listener" in d.message
    assert_clean(workload(alb(1, "paths: ['/*'], listenerPort: 443"), lb=CUSTOM_ALB), "duplicate-listener-port")
    web = cfg("""
        resources:
          web:
            type: web-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: nginx}}
              resources: {cpu: 0.25, memory: 512}
              loadBalancing:
                type: network-load-balancer
                properties:
                  ports:
                    - {port: 443, containerPort: 3000}
                    - {port: 443, containerPort: 3001}
        """)
    assert_error(web, "duplicate-listener-port", "{port: 443", nth=2)
    assert_clean(web.replace("{port: 443, containerPort: 3001}", "{port: 8443, containerPort: 3001}"),
                 "duplicate-listener-port")


# --- http api gateway ------------------------------------------------------------------------------


def test_http_api_events_of_a_workload_use_one_port():
    text = workload(http("/users", "GET", 3000) + "\n" + http("/orders", "GET", 4000), lb=GATEWAY)
    d = assert_error(text, "http-api-single-port", "containerPort: 4000")
    assert "port 3000" in d.message
    assert_clean(workload(http("/users", "GET", 3000) + "\n" + http("/orders", "GET", 3000), lb=GATEWAY),
                 "http-api-single-port")


def test_catch_all_path_needs_catch_all_method():
    text = workload(http("*", "GET"), lb=GATEWAY)
    d = assert_error(text, "http-api-catch-all-path", "path: '*'")
    assert "/{proxy+}" in d.message
    assert_clean(workload(http("*", "'*'"), lb=GATEWAY), "http-api-catch-all-path")
    assert_clean(workload(http("/{proxy+}", "GET"), lb=GATEWAY), "http-api-catch-all-path")


def test_container_routes_use_payload_format_1_0():
    text = workload(http(extra=", payloadFormat: '2.0'"), lb=GATEWAY)
    assert_error(text, "http-api-payload-format", "payloadFormat")
    assert_clean(workload(http(extra=", payloadFormat: '1.0'"), lb=GATEWAY), "http-api-payload-format")


def test_http_api_route_defined_once():
    text = workload(http("/users", "GET") + "\n" + http("/users", "get"), lb=GATEWAY)
    d = assert_error(text, "http-api-route-conflict", "path: '/users'", nth=2)
    assert "GET /users" in d.message
    assert_clean(workload(http("/users", "GET") + "\n" + http("/users", "POST"), lb=GATEWAY), "http-api-route-conflict")


def test_valid_ingress_setup_has_no_errors():
    text = workload(alb(1, "paths: ['/*'], listenerPort: 443") + "\n" + nlb(5432, 5432) + "\n" + nlb(6379, 6379),
                    lb=CUSTOM_ALB + NLB)
    assert analyze(text, strict=True).errors == []


def test_function_rules_share_priorities_with_containers():
    text = workload(alb(3), lb=DEFAULT_ALB) + textwrap.indent(cfg("""
          handler:
            type: function
            properties:
              packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: handler.ts}}
              events:
                - type: application-load-balancer
                  properties: {loadBalancerName: lb, priority: 3, paths: ['/fn/*']}
        """), "  ")
    d = assert_error(text, "alb-priority-conflict", "priority: 3", nth=2)
    assert "container 'api' of 'app'" in d.message
    assert_clean(text.replace("priority: 3, paths: ['/fn/*']", "priority: 4, paths: ['/fn/*']"), "alb-priority-conflict")


def test_http_api_routes_of_two_containers_need_one_port():
    text = cfg("""
        resources:
          gw:
            type: http-api-gateway
          app:
            type: multi-container-workload
            properties:
              resources: {cpu: 0.25, memory: 512}
              containers:
                - name: web
                  packaging: {type: prebuilt-image, properties: {image: web}}
                  events: [{type: http-api-gateway, properties: {httpApiGatewayName: gw, containerPort: 80, path: /, method: GET}}]
                - name: api
                  packaging: {type: prebuilt-image, properties: {image: api}}
                  events: [{type: http-api-gateway, properties: {httpApiGatewayName: gw, containerPort: 3000, path: /api, method: GET}}]
        """)
    d = assert_error(text, "http-api-single-port", "containerPort: 3000")
    assert "Move this route to container 'web'" in d.message
