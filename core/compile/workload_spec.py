"""One shape for every container workload, and what plug-ins receive.

`web-service`, `private-service` and `worker-service` are a
`multi-container-workload` with one main container plus side containers;
expanding them here means the ECS compiler has a single code path. The
traffic a one-container service gets from its `loadBalancing` becomes an
*implicit* event on the main container, so the ingress module handles it
the same way as an explicit `events:` entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.model.common import EnvironmentVar

SINGLE_CONTAINER_TYPES = ("worker-service", "web-service", "private-service")
WORKLOAD_TYPES = ("multi-container-workload",) + SINGLE_CONTAINER_TYPES
DEFAULT_SERVICE_PORT = 3000


@dataclass
class ContainerSpec:
    name: str
    id_part: str  # the container's share of logical ids ("" for the main container of a one-container service)
    packaging: Any
    essential: bool
    environment: list = field(default_factory=list)  # EnvironmentVar models, in order
    depends_on: list = field(default_factory=list)  # (container name, condition)
    health_check: Any = None
    stop_timeout: Any = 2
    logging: Any = None
    volume_mounts: list = field(default_factory=list)
    events: list = field(default_factory=list)  # event models as written (or synthesised, see EventTarget.implicit)
    lb_health_check: Any = None
    path: str = ""  # config path, for messages


@dataclass
class WorkloadSpec:
    name: str
    type: str
    props: Any  # the validated `properties` model (resources, scaling, connectTo …)
    containers: list[ContainerSpec]
    deployment: Any = None
    implicit_events: list = field(default_factory=list)  # (container name, port, event type, settings)


@dataclass
class EventTarget:
    """A container port that something outside the task sends traffic to; what ingress hooks receive.

    ``event`` is the event model as written (``type`` and ``properties``), or None for traffic a
    one-container service gets from its `loadBalancing`; ``settings`` then holds that model (or None
    for the default). ``workload`` is the CompiledWorkload (service, task definition, security group).
    """

    workload: Any
    container: str
    port: int
    event_type: str
    event: Any = None
    settings: Any = None

    @property
    def implicit(self) -> bool:
        return self.event is None


def expand(name: str, rtype: str, model) -> WorkloadSpec:
    props = model.properties
    if rtype == "multi-container-workload":
        containers = [
            ContainerSpec(
                name=c.name, id_part=c.name, packaging=c.packaging,
                essential=True if c.essential is None else c.essential,
                environment=list(c.environment or ()), depends_on=[(d.containerName, d.condition) for d in c.dependsOn or ()],
                health_check=c.internalHealthCheck, stop_timeout=c.stopTimeout, logging=c.logging,
                volume_mounts=list(c.volumeMounts or ()), events=list(c.events or ()),
                lb_health_check=c.loadBalancerHealthCheck, path=f"resources.{name}.properties.containers[{i}]",
            )
            for i, c in enumerate(props.containers)
        ]
        return WorkloadSpec(name, rtype, props, containers, deployment=props.deployment)
    return _expand_single(name, rtype, props)


def _expand_single(name: str, rtype: str, props) -> WorkloadSpec:
    env = list(props.environment or ())
    implicit: list = []
    port = None
    if rtype in ("web-service", "private-service"):
        port = props.port if props.port is not None else DEFAULT_SERVICE_PORT
        if not any(e.name == "PORT" for e in env):
            env.insert(0, EnvironmentVar(name="PORT", value=port))
        lb = props.loadBalancing
        default = "http-api-gateway" if rtype == "web-service" else "service-connect"
        kind = lb.type if lb is not None else default
        if kind == "network-load-balancer":  # one event per exposed port
            for p in lb.properties.ports:
                implicit.append((name, p.containerPort if p.containerPort is not None else p.port, kind, p))
        else:
            implicit.append((name, port, kind, lb))
    side = list(props.sideContainers or ())
    init_names = [s.name for s in side if s.containerType == "run-on-init"]
    main = ContainerSpec(
        name=name, id_part="", packaging=props.packaging, essential=True, environment=env,
        depends_on=[(n, "SUCCESS") for n in init_names],  # init containers must finish well before the app starts
        health_check=props.internalHealthCheck, stop_timeout=props.stopTimeout, logging=props.logging,
        volume_mounts=list(props.volumeMounts or ()), path=f"resources.{name}.properties",
    )
    containers = [main]
    for i, s in enumerate(side):
        essential = s.essential if s.essential is not None else s.containerType == "always-running"
        containers.append(ContainerSpec(
            name=s.name, id_part=s.name, packaging=s.packaging, essential=essential,
            environment=list(s.environment or ()), depends_on=[(d.containerName, d.condition) for d in s.dependsOn or ()],
            health_check=s.internalHealthCheck, stop_timeout=s.stopTimeout, logging=s.logging,
            volume_mounts=list(s.volumeMounts or ()), path=f"resources.{name}.properties.sideContainers[{i}]",
        ))
    deployment = getattr(props, "deployment", None)
    return WorkloadSpec(name, rtype, props, containers, deployment=deployment, implicit_events=implicit)


@dataclass
class CompiledWorkload:
    """The ECS resources of one workload, for hooks that extend them (ingress, connectTo, deployments).

    Hooks may append to ``service.LoadBalancers``, add ingress rules to ``security_group``, add
    environment variables with ``add_environment`` and IAM statements to ``task_statements`` (put into
    the task role's policy once every hook has run).
    """

    spec: WorkloadSpec
    cluster: Any
    task_definition: Any
    service: Any
    security_group: Any
    task_role: Any
    execution_role: Any
    launch_type: str  # "FARGATE" or "EC2"
    private: bool  # runs in private subnets behind NAT
    containers: dict = field(default_factory=dict)  # container name → troposphere ContainerDefinition
    log_groups: dict = field(default_factory=dict)  # container name → LogGroup (absent when logging is off)
    events: list = field(default_factory=list)  # EventTarget per port that receives outside traffic
    task_statements: list = field(default_factory=list)
    execution_statements: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    def add_environment(self, container: str, name: str, value) -> None:
        """Add (or replace) an environment variable of one container."""
        from troposphere import ecs

        env = self.containers[container].properties.setdefault("Environment", [])
        env[:] = [e for e in env if e.properties.get("Name") != name]
        env.append(ecs.Environment(Name=name, Value=value))
