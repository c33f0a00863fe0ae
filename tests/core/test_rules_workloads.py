"""Semantic rules of container workloads (core/analysis/rules/workloads.py).

Each rule gets a config that breaks it (code, severity and line of the
diagnostic) and one that is fine (no diagnostic of that code).
"""

import textwrap

from core.analysis import analyze
from tests.core.rule_support import assert_clean, assert_error, cfg, found, line_of


def worker(extra: str = "", resources: str = "cpu: 0.25\nmemory: 512") -> str:
    """A worker-service; ``resources`` goes under properties.resources, ``extra`` under properties."""
    def block(text: str, n: int) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * n) + "\n" if text.strip() else ""

    return (
        "resources:\n"
        "  worker:\n"
        "    type: worker-service\n"
        "    properties:\n"
        "      packaging: {type: prebuilt-image, properties: {image: busybox}}\n"
        "      resources:\n" + block(resources, 8) + block(extra, 6)
    )


WORKER = worker()


def two_containers(first_extra: str = "", second_extra: str = "", second_name: str = "b", props_extra: str = "") -> str:
    """A multi-container workload with containers 'a' and ``second_name``; extra YAML goes into each."""
    def block(text: str) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * 10) + "\n" if text.strip() else ""

    return (
        "resources:\n"
        "  app:\n"
        "    type: multi-container-workload\n"
        "    properties:\n"
        "      resources:\n"
        "        cpu: 0.5\n"
        "        memory: 1024\n"
        "      containers:\n"
        "        - name: a\n"
        "          packaging: {type: prebuilt-image, properties: {image: nginx}}\n"
        + block(first_extra)
        + f"        - name: {second_name}\n"
        "          packaging: {type: prebuilt-image, properties: {image: redis}}\n"
        + block(second_extra)
        + textwrap.indent(textwrap.dedent(props_extra).strip("\n"), " " * 6)
        + "\n"
    )


# --- containers ----------------------------------------------------------------------------------


def test_duplicate_container_name():
    text = two_containers(second_name="a")
    d = assert_error(text, "duplicate-container-name", "- name: a", nth=2)
    assert "line 9" in d.message
    assert_clean(two_containers(), "duplicate-container-name")


def test_duplicate_side_container_name():
    text = worker("""
              sideContainers:
                - name: init
                  containerType: run-on-init
                  packaging: {type: prebuilt-image, properties: {image: migrate}}
                - name: init
                  containerType: always-running
                  packaging: {type: prebuilt-image, properties: {image: proxy}}
        """)
    assert_error(text, "duplicate-container-name", "- name: init", nth=2)
    assert_clean(text.replace("- name: init", "- name: proxy", 2).replace("- name: proxy", "- name: init", 1),
                 "duplicate-container-name")


def test_container_depends_on_itself():
    text = two_containers(first_extra="dependsOn: [{containerName: a, condition: START}]")
    assert_error(text, "container-depends-on-itself", "containerName: a")
    assert_clean(two_containers(first_extra="dependsOn: [{containerName: b, condition: START}]"),
                 "container-depends-on-itself")


def test_container_dependency_cycle():
    text = two_containers(
        first_extra="dependsOn: [{containerName: b, condition: START}]",
        second_extra="dependsOn: [{containerName: a, condition: START}]",
    )
    d = assert_error(text, "container-dependency-cycle", "containerName: b")
    assert "a → b → a" in d.message
    assert_clean(two_containers(first_extra="dependsOn: [{containerName: b, condition: START}]"),
                 "container-dependency-cycle")


def test_depends_on_healthy_needs_a_health_check():
    text = two_containers(first_extra="dependsOn: [{containerName: b, condition: HEALTHY}]")
    assert_error(text, "depends-on-healthy-without-health-check", "condition: HEALTHY")
    ok = two_containers(
        first_extra="dependsOn: [{containerName: b, condition: HEALTHY}]",
        second_extra="internalHealthCheck: {healthCheckCommand: ['CMD-SHELL', 'redis-cli ping']}",
    )
    assert_clean(ok, "depends-on-healthy-without-health-check")


def test_depends_on_completion_of_an_essential_container():
    text = two_containers(first_extra="dependsOn: [{containerName: b, condition: SUCCESS}]")
    assert_error(text, "depends-on-essential-container", "condition: SUCCESS")
    ok = two_containers(first_extra="dependsOn: [{containerName: b, condition: SUCCESS}]", second_extra="essential: false")
    assert_clean(ok, "depends-on-essential-container")
    run_on_init = worker("""
              sideContainers:
                - name: migrate
                  containerType: run-on-init
                  packaging: {type: prebuilt-image, properties: {image: migrate}}
                - name: proxy
                  containerType: always-running
                  packaging: {type: prebuilt-image, properties: {image: proxy}}
                  dependsOn: [{containerName: migrate, condition: COMPLETE}]
        """)
    assert_clean(run_on_init, "depends-on-essential-container")


def test_duplicate_container_port():
    text = two_containers(
        first_extra="events: [{type: workload-internal, properties: {containerPort: 3000}}]",
        second_extra="events: [{type: service-connect, properties: {containerPort: 3000}}]",
    )
    d = assert_error(text, "duplicate-container-port", "containerPort: 3000", nth=2)
    assert "container 'a'" in d.message
    same_container = two_containers(first_extra="""
        events:
          - {type: workload-internal, properties: {containerPort: 3000}}
          - {type: service-connect, properties: {containerPort: 3000}}
        """, second_extra="events: [{type: workload-internal, properties: {containerPort: 6379}}]")
    assert_clean(same_container, "duplicate-container-port")


# --- compute resources ---------------------------------------------------------------------------


def test_fargate_cpu_memory_pair():
    text = WORKER.replace("memory: 512", "memory: 4096")
    d = assert_error(text, "fargate-cpu-memory", "memory: 4096")
    assert "512, 1024 or 2048" in d.message and "cpu 0.5, 1 or 2" in d.message
    d = assert_error(WORKER.replace("cpu: 0.25", "cpu: 4").replace("memory: 512", "memory: 4096"),
                     "fargate-cpu-memory", "memory: 4096")
    assert "8192 to 30720 (in steps of 1024)" in d.message
    assert_clean(WORKER, "fargate-cpu-memory")
    assert_clean(WORKER.replace("cpu: 0.25", "cpu: 16").replace("memory: 512", "memory: 122880"), "fargate-cpu-memory")
    assert_clean(WORKER.replace("memory: 512", "memory: $Var('mem')"), "fargate-cpu-memory")
    ec2 = worker(resources="cpu: 0.25\nmemory: 4096\ninstanceTypes: [c5.large]")
    assert_clean(ec2, "fargate-cpu-memory")


def test_resources_need_cpu_and_memory_or_instance_types():
    text = worker(resources="memory: 512")
    d = assert_error(text, "workload-resources-incomplete", "resources:", nth=2)
    assert "cpu" in d.message
    empty = worker(resources="architecture: arm64")
    assert_error(empty, "workload-resources-incomplete", "resources:", nth=2)
    assert_clean(WORKER, "workload-resources-incomplete")
    ec2 = worker(resources="instanceTypes: [c5.large]")
    assert_clean(ec2, "workload-resources-incomplete")


def test_warm_pool_needs_exactly_one_instance_type():
    text = worker(resources="instanceTypes: [c5.large, c5.xlarge]\nenableWarmPool: true")
    assert_error(text, "warm-pool-instance-types", "enableWarmPool")
    fargate = worker(resources="cpu: 0.25\nmemory: 512\nenableWarmPool: true")
    assert_error(fargate, "warm-pool-instance-types", "enableWarmPool")
    ok = worker(resources="instanceTypes: [c5.large]\nenableWarmPool: true")
    assert_clean(ok, "warm-pool-instance-types")


def test_architecture_only_on_fargate():
    text = worker(resources="instanceTypes: [c6g.large]\narchitecture: arm64")
    assert_error(text, "architecture-fargate-only", "architecture")
    assert_clean(worker(resources="cpu: 0.25\nmemory: 512\narchitecture: arm64"), "architecture-fargate-only")


# --- scaling -------------------------------------------------------------------------------------


def test_min_instances_at_least_one():
    text = worker("    scaling: {minInstances: 0, maxInstances: 2}\n")
    d = assert_error(text, "scaling-instances", "minInstances: 0")
    assert "zero" in d.message
    assert_clean(worker("    scaling: {minInstances: 1, maxInstances: 2}\n"), "scaling-instances")


def test_max_instances_not_below_min():
    text = worker("    scaling:\n      minInstances: 5\n      maxInstances: 2\n")
    d = assert_error(text, "scaling-instances", "maxInstances: 2")
    assert d.path[-1] == "maxInstances"
    default_max = worker("    scaling:\n      minInstances: 3\n")
    assert_error(default_max, "scaling-instances", "minInstances: 3")
    assert_clean(worker("    scaling:\n      minInstances: 2\n      maxInstances: 2\n"), "scaling-instances")
    assert_clean(worker("    scaling:\n      minInstances: $Var('n')\n      maxInstances: 2\n"), "scaling-instances")


def test_scaling_policy_percentages():
    text = worker("    scaling:\n      maxInstances: 3\n      scalingPolicy:\n        keepAvgCpuUtilizationUnder: 150\n")
    assert_error(text, "scaling-policy-percent", "keepAvgCpuUtilizationUnder")
    assert_clean(text.replace("150", "70"), "scaling-policy-percent")


# --- timeouts and health checks ------------------------------------------------------------------


def test_stop_timeout_range():
    text = worker("    stopTimeout: 300\n")
    assert_error(text, "stop-timeout-range", "stopTimeout")
    side = two_containers(second_extra="stopTimeout: 1")
    assert_error(side, "stop-timeout-range", "stopTimeout: 1")
    assert_clean(worker("    stopTimeout: 120\n"), "stop-timeout-range")


def test_internal_health_check_ranges():
    text = worker("""
              internalHealthCheck:
                healthCheckCommand: ['CMD-SHELL', 'true']
                intervalSeconds: 2
                timeoutSeconds: 90
                retries: 0
                startPeriodSeconds: 301
        """)
    ds = found(text, "internal-health-check-range")
    assert [d.span.line + 1 for d in ds] == [line_of(text, k) for k in ("intervalSeconds", "timeoutSeconds",
                                                                       "retries", "startPeriodSeconds")]
    assert all(d.severity == "error" for d in ds)
    ok = worker("""
              internalHealthCheck:
                healthCheckCommand: ['CMD-SHELL', 'true']
                intervalSeconds: 300
                timeoutSeconds: 60
                retries: 10
                startPeriodSeconds: 0
        """)
    assert_clean(ok, "internal-health-check-range")


def test_health_check_command_prefix_is_a_warning():
    text = worker("    internalHealthCheck: {healthCheckCommand: ['curl', '-f', 'http://localhost/']}\n")
    [d] = found(text, "health-check-command")
    assert d.severity == "warning" and d.span.line + 1 == line_of(text, "healthCheckCommand")
    assert_clean(worker("    internalHealthCheck: {healthCheckCommand: ['CMD', 'true']}\n"), "health-check-command")


def test_load_balancer_health_check_ranges():
    text = two_containers(first_extra="loadBalancerHealthCheck: {healthcheckInterval: 400}")
    assert_error(text, "lb-health-check-range", "healthcheckInterval")
    assert_error(two_containers(first_extra="loadBalancerHealthCheck: {healthcheckTimeout: 1}"),
                 "lb-health-check-range", "healthcheckTimeout")
    ok = two_containers(first_extra="loadBalancerHealthCheck: {healthcheckInterval: 300, healthcheckTimeout: 120}")
    assert_clean(ok, "lb-health-check-range")


def test_load_balancer_health_check_timeout_below_interval():
    text = two_containers(first_extra="""
        loadBalancerHealthCheck:
          healthcheckInterval: 10
          healthcheckTimeout: 10
        """)
    d = assert_error(text, "lb-health-check-range", "healthcheckTimeout")
    assert "shorter than the interval" in d.message
    # the interval defaults to 5 seconds
    assert_error(two_containers(first_extra="loadBalancerHealthCheck: {healthcheckTimeout: 6}"),
                 "lb-health-check-range", "healthcheckTimeout")
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
                  ports: [{port: 443}]
                  healthcheckInterval: 10
                  healthcheckTimeout: 30
        """)
    assert_error(web, "lb-health-check-range", "healthcheckTimeout")
    assert_clean(web.replace("healthcheckTimeout: 30", "healthcheckTimeout: 9"), "lb-health-check-range")


# --- gradual deployments -------------------------------------------------------------------------

ALB_APP = cfg("""
    resources:
      lb:
        type: application-load-balancer
      app:
        type: multi-container-workload
        properties:
          resources: {cpu: 0.5, memory: 1024}
          containers:
            - name: api
              packaging: {type: prebuilt-image, properties: {image: api}}
              events:
                - type: application-load-balancer
                  properties: {loadBalancerName: lb, containerPort: 80, priority: 1, paths: ['*']}
          deployment:
            strategy: Canary10Percent5Minutes
    """)


def test_deployment_needs_an_alb_event():
    text = cfg("""
        resources:
          app:
            type: multi-container-workload
            properties:
              resources: {cpu: 0.5, memory: 1024}
              containers:
                - name: api
                  packaging: {type: prebuilt-image, properties: {image: api}}
                  events: [{type: workload-internal, properties: {containerPort: 80}}]
              deployment:
                strategy: AllAtOnce
        """)
    assert_error(text, "deployment-needs-alb", "deployment:")
    assert_clean(ALB_APP, "deployment-needs-alb")


def test_web_service_deployment_needs_alb_load_balancing():
    text = cfg("""
        resources:
          web:
            type: web-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: nginx}}
              resources: {cpu: 0.25, memory: 512}
              deployment:
                strategy: Linear10PercentEvery1Minutes
        """)
    d = assert_error(text, "deployment-needs-alb", "deployment:")
    assert "HTTP API Gateway" in d.message
    ok = text.replace("      deployment:", "      loadBalancing: {type: application-load-balancer}\n      deployment:")
    assert_clean(ok, "deployment-needs-alb")


def test_deployment_allows_one_alb_container():
    second = cfg("""
                - name: admin
                  packaging: {type: prebuilt-image, properties: {image: admin}}
                  events:
                    - type: application-load-balancer
                      properties: {loadBalancerName: lb, containerPort: 81, priority: 2, paths: ['/admin/*']}
        """)
    text = ALB_APP.replace("      deployment:", textwrap.indent(second, " " * 8).rstrip("\n") + "\n      deployment:")
    assert_error(text, "deployment-single-alb-container", "- type: application-load-balancer", nth=2)
    assert_clean(text.replace("      deployment:\n        strategy: Canary10Percent5Minutes\n", ""),
                 "deployment-single-alb-container")
    assert_clean(ALB_APP, "deployment-single-alb-container")


def test_deployment_with_service_connect():
    text = ALB_APP.replace("paths: ['*']}", "paths: ['*']}\n            - type: service-connect\n"
                                            "              properties: {containerPort: 80}")
    assert_error(text, "deployment-with-service-connect", "- type: service-connect")
    assert_clean(ALB_APP, "deployment-with-service-connect")


def test_deployment_test_listener_port_with_custom_listeners():
    text = cfg("""
        resources:
          lb:
            type: application-load-balancer
            properties:
              listeners:
                - {port: 443, protocol: HTTPS}
          check:
            type: function
            properties:
              packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: check.ts}}
          app:
            type: multi-container-workload
            properties:
              resources: {cpu: 0.5, memory: 1024}
              containers:
                - name: api
                  packaging: {type: prebuilt-image, properties: {image: api}}
                  events:
                    - type: application-load-balancer
                      properties: {loadBalancerName: lb, listenerPort: 443, containerPort: 80, priority: 1, paths: ['*']}
              deployment:
                strategy: Canary10Percent5Minutes
                beforeAllowTrafficFunction: check
        """)
    assert_error(text, "deployment-test-listener-port", "beforeAllowTrafficFunction")
    assert_clean(text + "        testListenerPort: 8443\n", "deployment-test-listener-port")
    assert_clean(ALB_APP.replace("Minutes\n", "Minutes\n        beforeAllowTrafficFunction: check\n"),
                 "deployment-test-listener-port")


def test_valid_workloads_are_clean():
    codes = {d.code for d in analyze(ALB_APP, strict=True).diagnostics}
    assert not codes & {"deployment-needs-alb", "fargate-cpu-memory", "workload-resources-incomplete"}
    assert analyze(WORKER, strict=True).errors == []
