"""Golden tests: compiled templates compared with stored copies, so any change in output is seen and reviewed.

- ``tests/core/golden/<example>.json``: the whole template of ``examples/<example>/stacktape.yml``
  (stage ``dev``, project from its ``serviceName``, region ``us-east-1``);
- ``tests/core/golden/snippets/<name>.json``: for small inline configs, one per container event type
  (and per `loadBalancing` of the one-container services) and one per deployment strategy, only the
  resources that carry traffic and releases: the ECS service's ``DeploymentConfiguration``,
  ``DeploymentController``, ``LoadBalancers``, ``ServiceConnectConfiguration`` and ``ServiceRegistries``,
  the containers' ``PortMappings``, and every listener, listener rule, target group, HTTP API route,
  integration and VPC link, and Cloud Map namespace and service.

On a mismatch the failure lists the changed paths (``~`` changed, ``+`` added, ``-`` removed). When the
change is intended, rewrite the golden files and review their git diff::

    STP_UPDATE_GOLDEN=1 pytest tests/core/test_compile_golden.py

(A missing golden file fails the same way and is created by the same command.) Every template is
also cfn-lint clean, and a golden file no test produces any more fails ``test_no_stale_golden_files``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analysis import analyze
from core.compile import compile_stack
from core.compile.deployments import STRATEGIES
from tests.conftest import EXAMPLES
from tests.core.compile_support import compile_yaml, lint_errors
from tests.core.golden_support import GOLDEN, check_golden, updating

STAGE, REGION = "dev", "us-east-1"
SNIPPETS = GOLDEN / "snippets"
_EXAMPLES = sorted(EXAMPLES.glob("*/stacktape.yml"))


def compile_example(path: Path) -> dict:
    analysis = analyze(path.read_text())
    assert analysis.ok, [f"{d.span.line + 1}: {d.message}" for d in analysis.errors]
    project = (analysis.data or {}).get("serviceName") or path.parent.name
    return compile_stack(analysis, STAGE, project, REGION).template


@pytest.mark.parametrize("path", _EXAMPLES, ids=[p.parent.name for p in _EXAMPLES])
def test_example_template_matches_golden(path: Path):
    template = compile_example(path)
    assert lint_errors(template) == []
    check_golden(GOLDEN / f"{path.parent.name}.json", template)


# --- snippets ------------------------------------------------------------------------------------------

SNIPPET_TYPES = {
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::VpcLink",
    "AWS::ServiceDiscovery::Service",
    "AWS::ServiceDiscovery::HttpNamespace",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
}
SERVICE_KEYS = ("DeploymentConfiguration", "DeploymentController", "LoadBalancers", "ServiceConnectConfiguration",
                "ServiceRegistries")


def snippet(template: dict) -> dict:
    """The traffic and release resources of a template (see the module docstring)."""
    out = {}
    for lid, res in template["Resources"].items():
        kind = res["Type"]
        p = res.get("Properties", {})
        if kind in SNIPPET_TYPES:
            out[lid] = res
        elif kind == "AWS::ECS::Service":
            out[lid] = {"Type": kind, "Properties": {k: p[k] for k in SERVICE_KEYS if k in p}}
        elif kind == "AWS::ECS::TaskDefinition":
            out[lid] = {"Type": kind, "PortMappings": {c["Name"]: c.get("PortMappings", []) for c in p["ContainerDefinitions"]}}
    return out


IMAGE = "{type: prebuilt-image, properties: {image: 'acme/app:1'}}"
SIDE_IMAGE = "{type: prebuilt-image, properties: {image: 'acme/side:1'}}"


def _workload(events: str, front: str = "", deployment: str = "", more: str = "") -> str:
    """A multi-container workload `api` (container `web`, plus `side`) whose `web` has ``events`` (YAML list
    items at 12 spaces), after the resources ``front`` and followed by ``more``."""
    return f"""
resources:
{front}
  api:
    type: multi-container-workload
    properties:
      resources: {{cpu: 0.25, memory: 512}}
      scaling: {{minInstances: 2, maxInstances: 4}}
{deployment}
      containers:
        - name: web
          packaging: {IMAGE}
          events:
{events}
        - name: side
          packaging: {SIDE_IMAGE}
          essential: false
{more}
"""


EVENT_SNIPPETS = {
    "event-http-api-gateway": _workload(
        front="  gateway:\n    type: http-api-gateway",
        events="""\
            - type: http-api-gateway
              properties: {httpApiGatewayName: gateway, containerPort: 3000, path: '/{proxy+}', method: '*'}
            - type: http-api-gateway
              properties: {httpApiGatewayName: gateway, containerPort: 3000, path: /health, method: GET}""",
    ),
    "event-application-load-balancer": _workload(
        front="  lb:\n    type: application-load-balancer",
        events="""\
            - type: application-load-balancer
              properties:
                loadBalancerName: lb
                containerPort: 8080
                priority: 10
                paths: ['/api/*']
                methods: [GET, POST]
                hosts: ['api.example.com']
                headers: [{headerName: X-Tenant, values: [acme]}]
            - type: application-load-balancer
              properties:
                loadBalancerName: lb
                containerPort: 8080
                priority: 20
                paths: ['*']
                queryParams: [{paramName: v, values: ['2']}]
                sourceIps: [10.0.0.0/8]""",
    ),
    "event-network-load-balancer": _workload(
        front="""\
  nlb:
    type: network-load-balancer
    properties:
      listeners:
        - {port: 5432, protocol: TCP}
        - {port: 443, protocol: TLS, customCertificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/abc']}""",
        events="""\
            - type: network-load-balancer
              properties: {loadBalancerName: nlb, listenerPort: 5432, containerPort: 5432}
            - type: network-load-balancer
              properties: {loadBalancerName: nlb, listenerPort: 443, containerPort: 8443}""",
    ),
    "event-service-connect": _workload(
        events="""\
            - type: service-connect
              properties: {containerPort: 8080, alias: orders, protocol: http}
            - type: service-connect
              properties: {containerPort: 9090}""",
    ),
    "event-workload-internal": _workload(
        events="""\
            - type: workload-internal
              properties: {containerPort: 6379}""",
    ),
}


def _service(kind: str, load_balancing: str = "", extra: str = "") -> str:
    return f"""
resources:
  app:
    type: {kind}
    properties:
      packaging: {IMAGE}
      resources: {{cpu: 0.25, memory: 512}}
      port: 8080
{load_balancing}{extra}
"""


SERVICE_SNIPPETS = {
    "web-service-default-http-api-gateway": _service("web-service"),
    "web-service-application-load-balancer": _service("web-service", "      loadBalancing: {type: application-load-balancer}\n"),
    "web-service-network-load-balancer": _service("web-service", """\
      loadBalancing:
        type: network-load-balancer
        properties:
          ports:
            - {port: 9000, containerPort: 8080, protocol: TCP}
"""),
    "private-service-default-service-connect": _service("private-service"),
    "private-service-application-load-balancer": _service(
        "private-service", "      loadBalancing: {type: application-load-balancer}\n"),
}


def _deployment(strategy: str) -> str:
    return _service("web-service", "      loadBalancing: {type: application-load-balancer}\n",
                    f"      deployment: {{strategy: {strategy}}}\n")


DEPLOYMENT_SNIPPETS = {f"deployment-{s}": _deployment(s) for s in STRATEGIES}

HOOK_FUNCTION = """
  {name}:
    type: function
    properties:
      packaging:
        type: stacktape-lambda-buildpack
        properties: {{entryfilePath: ./src/{name}.ts}}"""
DEPLOYMENT_SNIPPETS["deployment-hooks-and-test-listener"] = _workload(
    front="  lb:\n    type: application-load-balancer",
    deployment="""\
      deployment:
        strategy: Linear10PercentEvery1Minute
        beforeAllowTrafficFunction: smokeTest
        afterTrafficShiftFunction: checkRelease
        testListenerPort: 9443""",
    events="""\
            - type: application-load-balancer
              properties: {loadBalancerName: lb, containerPort: 8080, priority: 1, paths: ['*']}""",
    more=HOOK_FUNCTION.format(name="smokeTest") + HOOK_FUNCTION.format(name="checkRelease"),
)

SNIPPET_CONFIGS = {**EVENT_SNIPPETS, **SERVICE_SNIPPETS, **DEPLOYMENT_SNIPPETS}


@pytest.mark.parametrize("name", sorted(SNIPPET_CONFIGS))
def test_snippet_matches_golden(name: str):
    template = compile_yaml(SNIPPET_CONFIGS[name], stage=STAGE, project="golden", region=REGION).template
    assert lint_errors(template) == []
    part = snippet(template)
    assert any(r["Type"] == "AWS::ECS::Service" for r in part.values())
    check_golden(SNIPPETS / f"{name}.json", part)


def test_every_deployment_strategy_has_a_snippet():
    assert {n.removeprefix("deployment-") for n in DEPLOYMENT_SNIPPETS} >= set(STRATEGIES)


def test_no_stale_golden_files():
    """A golden file no test writes any more is removed (when updating) or reported."""
    wanted = {GOLDEN / f"{p.parent.name}.json" for p in _EXAMPLES} | {SNIPPETS / f"{n}.json" for n in SNIPPET_CONFIGS}
    stale = sorted(p for p in GOLDEN.rglob("*.json") if p not in wanted)
    if updating():
        for p in stale:
            p.unlink()
        return
    assert stale == [], f"golden files without a test (remove them, or run with STP_UPDATE_GOLDEN=1): {stale}"
