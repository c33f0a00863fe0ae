"""Container workloads: multi-container-workload and the one-container services.

`web-service`, `private-service` and `worker-service` are a
`multi-container-workload` with a single main container (plus optional side
containers) and an opinionated way traffic reaches it.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from core.model.alarms import ALB_TRIGGERS, HTTP_API_TRIGGERS, WebServiceAlarm
from core.model.checks import fail as _fail
from core.model.checks import problem as _problem
from core.model.base import AnyValue, Bool, F, Int, Num, OneOf, StpModel, Str
from core.model.cdn import CdnConfig
from core.model.common import (
    ConnectToTarget,
    Cors,
    CustomDomain,
    EnvironmentVar,
    HttpApiAuthorizer,
    IamRoleStatement,
    ResourceLogging,
)
from core.model.packaging import ContainerPackaging

FARGATE_CPUS = (0.25, 0.5, 1, 2, 4, 8, 16)
# The official schema lists five; ECS's native canary/linear strategies take any bake time, so the
# other steps Lambda offers are accepted too (and `...Every1Minute`, Lambda's spelling, beside `...1Minutes`).
CONTAINER_DEPLOYMENT_STRATEGIES = (
    "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes", "AllAtOnce",
)  # fmt: skip
HTTP_METHODS = ("*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


# --- events: how traffic reaches a container port ---------------------------------------------


class HttpApiEventProps(StpModel):
    httpApiGatewayName: Str = F("Name of the `http-api-gateway` resource that forwards requests to this container.", ref="http-api-gateway")
    containerPort: Int = F("Port the container listens on for these requests.")
    path: Str = F(
        "URL path to match, e.g. `/users/{id}` or `/{proxy+}` for everything below. `*` matches any path"
        " (only together with method `*`)."
    )
    method: OneOf(*HTTP_METHODS) = F("HTTP method to match, or `*` for any. One of " + ", ".join(HTTP_METHODS) + ".")
    authorizer: HttpApiAuthorizer | None = F("Check a JWT or call a function before a request reaches the container.", None)
    payloadFormat: OneOf("1.0", "2.0") = F("Shape of the event the gateway builds: `1.0` (default) or `2.0`.", "1.0")


class HttpApiEvent(StpModel):
    type: Literal["http-api-gateway"] = F("Receive requests from an HTTP API Gateway.")
    properties: HttpApiEventProps = F("Which gateway, route and port.")


class LbHeaderCondition(StpModel):
    headerName: Str = F("Header to inspect, e.g. `X-Tenant`.")
    values: list[Str] = F("The rule matches when the header has any of these values (`*` and `?` wildcards allowed).")


class LbQueryParamCondition(StpModel):
    paramName: Str = F("Query-string parameter to inspect.")
    values: list[Str] = F("The rule matches when the parameter has any of these values.")


# The listener rule an `application-load-balancer` event adds (container and function events): its priority,
# listener and the conditions requests must meet. Give it as the first base, before the class with the keys that
# say where the traffic goes: pydantic lists the fields of the last base first.
class AlbRuleConditions(StpModel):
    priority: Int = F(
        "Position of this rule among the load balancer's rules: lower numbers are checked first and the first"
        " match wins. Unique per load balancer and listener, 1-50000."
    )
    listenerPort: Int | None = F(
        "Port of the listener the rule is added to. Needed only when the load balancer defines custom `listeners`.",
        None,
    )
    paths: list[Str] | None = F(
        "URL paths that match, case-sensitive; `*` and `?` wildcards allowed, e.g. `/api/*`.", None
    )
    methods: list[Str] | None = F("HTTP methods that match, e.g. `GET`, `POST`.", None)
    hosts: list[Str] | None = F(
        "Host names (from the `Host` header) that match, wildcards allowed, e.g. `*.example.com`.", None
    )
    headers: list[LbHeaderCondition] | None = F("Header conditions; every one must match.", None)
    queryParams: list[LbQueryParamCondition] | None = F("Query-string conditions; every one must match.", None)
    sourceIps: list[Str] | None = F(
        "Client address ranges in CIDR form, e.g. `10.0.0.0/8`. Behind a proxy this is the proxy's address.", None
    )


class _AlbToContainer(StpModel):
    loadBalancerName: Str = F("Name of the `application-load-balancer` resource that forwards requests here.", ref="application-load-balancer")
    containerPort: Int = F("Port the container listens on for these requests.")


class AlbEventProps(AlbRuleConditions, _AlbToContainer):
    pass


class AlbEvent(StpModel):
    type: Literal["application-load-balancer"] = F("Receive requests from an Application Load Balancer rule.")
    properties: AlbEventProps = F("Which load balancer, rule conditions and port.")


class NlbEventProps(StpModel):
    loadBalancerName: Str = F("Name of the `network-load-balancer` resource that forwards traffic here.", ref="network-load-balancer")
    listenerPort: Int = F("Port of the load balancer listener whose traffic comes to this container.")
    containerPort: Int = F("Port the container listens on.")


class NlbEvent(StpModel):
    type: Literal["network-load-balancer"] = F("Receive TCP/TLS traffic from a Network Load Balancer listener.")
    properties: NlbEventProps = F("Which load balancer listener and port.")


class InternalEventProps(StpModel):
    containerPort: Int = F("Port opened to the other containers of the same workload (reachable on localhost).")


class InternalEvent(StpModel):
    type: Literal["workload-internal"] = F("Open a port to the other containers of this workload only.")
    properties: InternalEventProps = F("The port to open.")


class ServiceConnectEventProps(StpModel):
    containerPort: Int = F("Port other workloads of the stack reach this container on.")
    alias: Str | None = F(
        "Host name other workloads use, e.g. `orders` for `http://orders:8080`. Default: the resource name and the"
        " container name joined with a dash.",
        None,
    )
    protocol: OneOf("http", "http2", "grpc") | None = F(
        "Application protocol of the port (`http`, `http2` or `grpc`); enables protocol-aware metrics.", None
    )


class ServiceConnectEvent(StpModel):
    type: Literal["service-connect"] = F("Open a port to other workloads of the stack through ECS Service Connect.")
    properties: ServiceConnectEventProps = F("The port and the name to reach it by.")


ContainerEvent = Annotated[
    Union[HttpApiEvent, AlbEvent, NlbEvent, InternalEvent, ServiceConnectEvent],
    Field(discriminator="type"),
]


# --- containers ---------------------------------------------------------------------------------


class ContainerDependency(StpModel):
    containerName: Str = F("Name of another container of the same workload.", ref="container")
    condition: OneOf("START", "COMPLETE", "SUCCESS", "HEALTHY") = F(
        "When this container may start: `START` once the other has started, `COMPLETE` once it has exited,"
        " `SUCCESS` once it has exited with code 0, `HEALTHY` once its health check passes."
    )


class ContainerHealthCheck(StpModel):
    healthCheckCommand: list[Str] = F(
        "Command run inside the container; exit code 0 means healthy. Start with `CMD` (run directly) or"
        " `CMD-SHELL` (run in a shell), e.g. `['CMD-SHELL', 'curl -f http://localhost/ || exit 1']`."
    )
    intervalSeconds: Int = F("Seconds between checks, 5-300. Default: 30.", 30)
    timeoutSeconds: Int = F("Seconds a check may take before it counts as failed, 2-60. Default: 5.", 5)
    retries: Int = F("Failed checks in a row before the container is marked unhealthy, 1-10. Default: 3.", 3)
    startPeriodSeconds: Int | None = F(
        "Grace period after start, 0-300 seconds, during which failed checks do not count.", None
    )


class LoadBalancerHealthCheck(StpModel):
    healthcheckPath: Str = F("Path the load balancer requests to check the container (HTTP checks). Default: `/`.", "/")
    healthcheckInterval: Int = F("Seconds between checks, 5-300. Default: 5.", 5)
    healthcheckTimeout: Int = F("Seconds to wait for an answer, 2-120. Default: 4.", 4)
    healthCheckPort: Int | None = F("Port to check. Default: the port traffic goes to.", None)
    healthCheckProtocol: OneOf("HTTP", "TCP") | None = F(
        "`HTTP` (expects a 2xx answer on the path) or `TCP` (a connection is enough).", None
    )


# An EFS mount of a container; a function's (`LambdaEfsMountProps`) takes the same keys, its mount path under `/mnt/`.
class EfsMountProps(StpModel):
    efsFilesystemName: Str = F("Name of the `efs-filesystem` resource to mount.", ref="efs-filesystem")
    mountPath: Str = F("Absolute path inside the container where the file system appears, e.g. `/data`.")
    rootDirectory: Str = F("Folder of the file system to mount. Default: `/` (all of it).", "/")


class EfsVolumeMount(StpModel):
    type: Literal["efs"] = F("Mount an EFS file system (persistent, shared between instances).")
    properties: EfsMountProps = F("Which file system and where.")


class _ContainerBase(StpModel):
    name: Str = F("Name of the container, unique within the workload. Other containers refer to it by this name.")
    packaging: ContainerPackaging = F("How the container image is built or where it is pulled from.")
    essential: Bool | None = F(
        "If an essential container stops, the whole workload instance is replaced. Default: true for"
        " containers, false for side containers that only run on init.",
        None,
    )
    logging: ResourceLogging | None = F("Where stdout/stderr go and for how long they are kept.", None)
    dependsOn: list[ContainerDependency] | None = F("Containers that must reach a state before this one starts.", None)
    environment: list[EnvironmentVar] | None = F("Environment variables of the container.", None)
    internalHealthCheck: ContainerHealthCheck | None = F(
        "A command run inside the container to tell whether it is healthy.", None
    )
    stopTimeout: Int = F(
        "Seconds between SIGTERM and SIGKILL when the container is stopped, 2-120. Default: 2.", 2
    )
    volumeMounts: list[EfsVolumeMount] | None = F("Persistent volumes to mount into the container.", None)


class WorkloadContainer(_ContainerBase):
    events: list[ContainerEvent] | None = F(
        "Ports of this container and what sends traffic to them (API gateway, load balancers, other containers).",
        None,
    )
    loadBalancerHealthCheck: LoadBalancerHealthCheck | None = F(
        "How load balancers check this container before sending it traffic.", None
    )


class SideContainer(_ContainerBase):
    containerType: OneOf("run-on-init", "always-running") = F(
        "`run-on-init`: runs to completion before the main container starts (migrations, setup)."
        " `always-running`: runs beside the main container (proxies, agents)."
    )


# --- workload-wide settings ----------------------------------------------------------------------


class WorkloadResources(StpModel):
    cpu: OneOf(*FARGATE_CPUS) | None = F(
        "Virtual CPUs for one workload instance, shared by its containers. On Fargate one of 0.25, 0.5, 1, 2, 4, 8"
        " or 16, and the memory must fit the CPU size.",
        None,
    )
    memory: Int | None = F(
        "Memory in MiB for one workload instance, shared by its containers. On Fargate it must be a size allowed"
        " for the chosen CPU (e.g. 512-2048 for 0.25 vCPU). On EC2 it defaults to what the smallest listed"
        " instance type can give.",
        None,
    )
    instanceTypes: list[Str] | None = F(
        "Run on EC2 instances of these types instead of Fargate, e.g. `c5.large`. The first is preferred.",
        None,
    )
    enableWarmPool: Bool | None = F(
        "Keep stopped, pre-initialised EC2 instances ready so scaling out is faster. Needs exactly one instance type.",
        None,
    )
    architecture: OneOf("x86_64", "arm64") = F(
        "CPU architecture of Fargate tasks: `x86_64` (default) or `arm64` (Graviton, cheaper). Fargate only.",
        "x86_64",
    )


class ScalingPolicy(StpModel):
    keepAvgCpuUtilizationUnder: Num = F(
        "Target average CPU use in percent (1-100). Above it instances are added. Default: 80.", 80
    )
    keepAvgMemoryUtilizationUnder: Num = F(
        "Target average memory use in percent (1-100). Above it instances are added. Default: 80.", 80
    )


class WorkloadScaling(StpModel):
    minInstances: Int = F("Fewest instances kept running, at least 1 (container workloads never scale to zero). Default: 1.", 1)
    maxInstances: Int = F("Most instances scaling may add. Default: 1.", 1)
    scalingPolicy: ScalingPolicy | None = F(
        "Scale out when average CPU or memory use goes above a target; scale in (more slowly) when both are below.",
        None,
    )


class WorkloadDeployment(StpModel):
    strategy: OneOf(*CONTAINER_DEPLOYMENT_STRATEGIES) = F(
        "How traffic moves to a new version: `Canary10Percent<N>Minutes` sends 10 % first and the rest after N"
        " minutes (5, 10, 15 or 30); `Linear10PercentEvery<N>Minutes` moves another 10 % every N minutes (1, 2, 3"
        " or 10); `AllAtOnce` switches everything at once (blue/green). Needs an application-load-balancer event."
    )
    beforeAllowTrafficFunction: Str | None = F(
        "Name of a `function` run before any production traffic reaches the new version; it reports success or failure"
        " and can test the new version through the test listener.",
        None,
        ref="function",
    )
    afterTrafficShiftFunction: Str | None = F(
        "Name of a `function` run after all traffic has moved; failure rolls the deployment back.", None, ref="function"
    )
    testListenerPort: Int | None = F(
        "Load balancer port serving the new version only, for tests in `beforeAllowTrafficFunction`. Needed with"
        " custom listeners.",
        None,
    )


class _WorkloadCommon(StpModel):
    resources: WorkloadResources = F(
        "CPU and memory (Fargate) or EC2 instance types the workload runs on."
    )
    scaling: WorkloadScaling | None = F("How many instances run and when more are added.", None)
    enableRemoteSessions: Bool = F(
        "Allow interactive shells into running containers (ECS Exec), e.g. with `stacktape container:session`."
        " Default: false.",
        False,
    )
    usePrivateSubnetsWithNAT: Bool = F(
        "Run in private subnets and reach the internet through a NAT gateway (a fixed outbound IP; NAT costs extra)."
        " Default: false (public subnets with a public IP).",
        False,
    )
    connectTo: list[ConnectToTarget] | None = F(
        "Resources of this stack (or `aws:ses`) the workload may use: IAM permissions, network access and"
        " `STP_<NAME>_<PARAM>` environment variables are set up for each.",
        None,
        ref="connectable",
    )
    iamRoleStatements: list[IamRoleStatement] | None = F("Raw IAM statements added to the workload's role.", None)


class MultiContainerWorkloadProps(_WorkloadCommon):
    containers: list[WorkloadContainer] = F("The containers of one workload instance. They share CPU, memory and network.")
    deployment: WorkloadDeployment | None = F(
        "Shift traffic to new versions gradually (canary or linear) instead of a rolling update.", None
    )


class _Resource(StpModel):
    overrides: dict[str, AnyValue] | None = F(
        "Patch properties of the CloudFormation resources generated for this resource, by logical id.", None
    )


class MultiContainerWorkload(_Resource):
    type: Literal["multi-container-workload"] = F("One or more containers running continuously, each with its own traffic sources.")
    properties: MultiContainerWorkloadProps = F("Containers, resources, scaling and deployment.")


class _SingleContainerProps(_WorkloadCommon):
    packaging: ContainerPackaging = F("How the container image is built or where it is pulled from.")
    environment: list[EnvironmentVar] | None = F("Environment variables of the container.", None)
    logging: ResourceLogging | None = F("Where stdout/stderr go and for how long they are kept.", None)
    internalHealthCheck: ContainerHealthCheck | None = F("A command run inside the container to tell whether it is healthy.", None)
    stopTimeout: Int = F("Seconds between SIGTERM and SIGKILL when the container is stopped, 2-120. Default: 2.", 2)
    volumeMounts: list[EfsVolumeMount] | None = F("Persistent volumes to mount into the container.", None)
    sideContainers: list[SideContainer] | None = F(
        "Helper containers run beside the main one (sidecars) or before it (init containers).", None
    )


class WorkerServiceProps(_SingleContainerProps):
    pass


class WorkerService(_Resource):
    type: Literal["worker-service"] = F("A continuously running container that nothing outside can reach: queue consumers, background jobs.")
    properties: WorkerServiceProps = F("The container, its resources and scaling.")


class NlbPort(StpModel):
    port: Int = F("Port the network load balancer listens on.")
    containerPort: Int | None = F("Port of the container it forwards to. Default: the same as `port`.", None)
    protocol: OneOf("TLS", "TCP") = F("`TLS` (default, terminated with a certificate) or plain `TCP`.", "TLS")


class WebServiceLoadBalancingProps(StpModel):
    ports: list[NlbPort] = F("Ports the network load balancer exposes.")
    healthcheckPath: Str = F("Path requested by HTTP health checks. Default: `/`.", "/")
    healthcheckInterval: Int = F("Seconds between health checks. Default: 5.", 5)
    healthcheckTimeout: Int = F("Seconds to wait for a health-check answer. Default: 4.", 4)
    healthCheckPort: Int | None = F("Port to health-check. Default: the traffic port.", None)
    healthCheckProtocol: OneOf("HTTP", "TCP") = F("`TCP` (default) or `HTTP` health checks.", "TCP")


class WebServiceHttpApiLb(StpModel):
    type: Literal["http-api-gateway"] = F("Front the service with an HTTP API Gateway (default; pay per request).")


class WebServiceAlbLb(StpModel):
    type: Literal["application-load-balancer"] = F("Front the service with an Application Load Balancer (flat hourly price; needed for gradual deployments).")


class WebServiceNlbLb(StpModel):
    type: Literal["network-load-balancer"] = F("Front the service with a Network Load Balancer (TCP/TLS, any protocol).")
    properties: WebServiceLoadBalancingProps = F("Ports and health checks of the network load balancer.")


WebServiceLoadBalancing = Annotated[
    Union[WebServiceHttpApiLb, WebServiceAlbLb, WebServiceNlbLb], Field(discriminator="type")
]


class WebServiceProps(_SingleContainerProps):
    port: Int | None = F("Port your app listens on; it is also passed as the `PORT` variable. Default: 3000.", None)
    loadBalancing: WebServiceLoadBalancing | None = F(
        "What sits in front of the service: `http-api-gateway` (default), `application-load-balancer` or"
        " `network-load-balancer`.",
        None,
    )
    cors: Cors | None = F("Cross-origin (CORS) settings, answered by the gateway or load balancer.", None)
    customDomains: list[CustomDomain] | None = F("Domains that point at the service, with TLS certificates.", None)
    cdn: CdnConfig | None = F(
        "Put a CloudFront distribution in front of the service (edge caching, route rewrites, edge functions)."
        " Works with an `http-api-gateway` or `application-load-balancer` in front, not with a network load"
        " balancer.",
        None,
    )
    alarms: list[WebServiceAlarm] | None = F(
        "Alarms on the metrics of what fronts the service (error rate and latency of the HTTP API Gateway, or"
        " error rate, unhealthy targets and any metric of the load balancer) and who is notified. They add to"
        " alarms defined globally for the account.",
        None,
    )
    disabledGlobalAlarms: list[Str] | None = F("Names of globally defined alarms not to apply to this service.", None)
    useFirewall: Str | None = F("Name of a `web-app-firewall` resource that filters traffic to the service.", None, ref="web-app-firewall")
    deployment: WorkloadDeployment | None = F(
        "Shift traffic to new versions gradually. Needs `loadBalancing` of type `application-load-balancer`.", None
    )

    @model_validator(mode="after")
    def _alarms_and_cdn_fit_the_front(self):
        """Alarm triggers watch what fronts the service; a network load balancer takes neither alarms nor a CDN."""
        front = self.loadBalancing.type if self.loadBalancing is not None else "http-api-gateway"
        problems = []
        if front == "network-load-balancer":
            if self.cdn is not None and self.cdn.enabled is not False:
                problems.append(_problem(
                    ("cdn",),
                    "A CDN can only be put in front of an HTTP API Gateway or an application load balancer, not a"
                    " network load balancer; change 'loadBalancing' or remove 'cdn'",
                    None,
                ))
            if self.alarms:
                problems.append(_problem(
                    ("alarms",),
                    "There are no alarm triggers for a network load balancer; alarms need an HTTP API Gateway or an"
                    " application load balancer in front of the service",
                    None,
                ))
        else:
            fitting, other = (
                (HTTP_API_TRIGGERS, "an HTTP API Gateway (the default)") if front == "http-api-gateway"
                else (ALB_TRIGGERS, "an application load balancer")
            )  # fmt: skip
            for i, alarm in enumerate(self.alarms or ()):
                kind = alarm.trigger.type
                if kind not in fitting:
                    problems.append(_problem(
                        ("alarms", i, "trigger", "type"),
                        f"'{kind}' does not fit this service: it is behind {other}, so use one of"
                        f" {', '.join(fitting)}",
                        kind,
                    ))
        _fail(type(self).__name__, problems)
        return self


class WebService(_Resource):
    type: Literal["web-service"] = F("A continuously running container with a public HTTPS URL.")
    properties: WebServiceProps = F("The container, how traffic reaches it, resources and scaling.")


class PrivateServiceLb(StpModel):
    type: OneOf("service-connect", "application-load-balancer") = F(
        "`service-connect` (default, cheapest): reachable by other workloads through ECS Service Connect;"
        " `application-load-balancer`: an internal load balancer (also reachable by functions)."
    )


class PrivateServiceProps(_SingleContainerProps):
    port: Int = F("Port your app listens on; it is also passed as the `PORT` variable. Default: 3000.", 3000)
    protocol: OneOf("http", "http2", "grpc") | None = F("Application protocol of the port: `http`, `http2` or `grpc`.", None)
    loadBalancing: PrivateServiceLb | None = F("How other resources of the stack reach the service.", None)


class PrivateService(_Resource):
    type: Literal["private-service"] = F("A continuously running container reachable only from inside the stack's VPC.")
    properties: PrivateServiceProps = F("The container, port, resources and scaling.")


RESOURCES = {
    "multi-container-workload": MultiContainerWorkload,
    "worker-service": WorkerService,
    "web-service": WebService,
    "private-service": PrivateService,
}
