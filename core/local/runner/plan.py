"""What to run for a stack: its ECS services' containers, as ECS would start them, read from the local AWS.

`snapshot(stack)` (under `state.LOCK`, quick, copies everything it reads) collects per ECS service of a
stack compiled by stp (the template has `Metadata.Stp`): the stp resource it belongs to, its desired
count, the registered task definition's containers (environment already resolved by moto), their log
configuration and port mappings, and the target groups the service is registered in.

`plan(snapshot, endpoint)` (no lock: reads the config from disk) decides per container how it runs
(`commands.local_command` on the container's packaging from the config in the source folder) or why it
does not, and builds the environment ECS would give it, pointed at the local AWS.

The source folder (the config's folder, where entry files are relative to) comes from the deploy step:
`Metadata.Stp.sourceDir` of the template, else the stack tag `stp:source-dir`. The config file is
`Metadata.Stp.configFile` (tag `stp:config-file`), absolute or relative to it, else its stacktape.yml.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.local.runner.commands import LocalCommand, NotRunnable, local_command

log = logging.getLogger("stp.local.runner")

WORKLOAD_TYPES = ("multi-container-workload", "web-service", "private-service", "worker-service")
CONFIG_NAMES = ("stacktape.yml", "stacktape.yaml")
SOURCE_DIR_TAG = "stp:source-dir"
CONFIG_FILE_TAG = "stp:config-file"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# What a process inherits from the server's environment (ECS containers inherit nothing from a host; a local
# process needs to find its tools).
INHERITED = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TEMP", "TMP",
             "SYSTEMROOT", "NODE_PATH", "NVM_DIR", "VIRTUAL_ENV", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


# ---------------------------------------------------------------- what the local AWS holds (under the lock)


@dataclass
class ContainerInfo:
    name: str
    essential: bool
    environment: dict[str, str]
    secrets: list[dict[str, str]]
    port_mappings: list[int]
    stop_timeout: float
    depends_on: list[tuple[str, str]]
    log_group: str | None
    stream_prefix: str | None
    image: str | None


@dataclass
class ServiceInfo:
    resource: str  # the stp resource
    resource_type: str
    logical_id: str
    name: str
    cluster: str
    arn: str
    desired_count: int
    task_definition: str
    containers: list[ContainerInfo]
    target_groups: list[dict[str, Any]]  # {"targetGroupArn", "containerName", "containerPort", "alternate"?}


@dataclass
class StackSnapshot:
    stack_id: str
    name: str
    account_id: str
    region: str
    status: str
    stp: dict[str, Any]
    tags: dict[str, str]
    services: list[ServiceInfo]
    resolved_secrets: dict[str, str] = field(default_factory=dict)  # reference -> value

    @property
    def source_dir(self) -> Path | None:
        value = self.stp.get("sourceDir") or self.tags.get(SOURCE_DIR_TAG)
        return Path(str(value)).expanduser() if value else None

    @property
    def config_file(self) -> Path | None:
        source = self.source_dir
        value = self.stp.get("configFile") or self.tags.get(CONFIG_FILE_TAG)
        if value:
            path = Path(str(value)).expanduser()
            return path if path.is_absolute() or source is None else source / path
        if source is None:
            return None
        for name in CONFIG_NAMES:
            if (source / name).is_file():
                return source / name
        return source / CONFIG_NAMES[0]


def stp_metadata(template: dict[str, Any]) -> dict[str, Any] | None:
    metadata = template.get("Metadata") if isinstance(template, dict) else None
    stp = metadata.get("Stp") if isinstance(metadata, dict) else None
    return stp if isinstance(stp, dict) else None


def _tags(stack: Any) -> dict[str, str]:
    tags = getattr(stack, "tags", None) or {}
    if isinstance(tags, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in tags if isinstance(t, dict)}
    return {str(k): str(v) for k, v in dict(tags).items()}


def snapshot(stack: Any) -> StackSnapshot | None:
    """What the runner needs of a stack, copied out of moto (call under state.LOCK); None: not an stp stack."""
    from moto.ecs.models import ecs_backends

    template = getattr(stack, "template_dict", None) or {}
    stp = stp_metadata(template)
    if stp is None:
        return None
    resources = template.get("Resources") or {}
    parsed = stack.resource_map._parsed_resources
    ecs = ecs_backends[stack.account_id][stack.region_name]
    services: list[ServiceInfo] = []
    for resource, entry in (stp.get("resources") or {}).items():
        if not isinstance(entry, dict) or entry.get("type") not in WORKLOAD_TYPES:
            continue
        for lid in entry.get("logicalIds") or ():
            if (resources.get(lid) or {}).get("Type") != "AWS::ECS::Service":
                continue
            service = parsed.get(lid)
            if service is None or not hasattr(service, "task_definition") or getattr(service, "status", "") != "ACTIVE":
                continue
            try:
                task_definition = ecs.describe_task_definition(service.task_definition)
            except Exception:  # noqa: BLE001 - a service without its task definition runs nothing
                log.warning("stack %s: task definition %s of %s not found", stack.name, service.task_definition, lid)
                continue
            services.append(ServiceInfo(
                resource=resource, resource_type=entry["type"], logical_id=lid, name=service.name,
                cluster=service.cluster_name, arn=service.arn, desired_count=int(service.desired_count or 0),
                task_definition=task_definition.arn,
                containers=[_container(c) for c in copy.deepcopy(task_definition.container_definitions)],
                target_groups=_target_groups(service.load_balancers),
            ))
    snap = StackSnapshot(stack_id=stack.stack_id, name=stack.name, account_id=stack.account_id,
                         region=stack.region_name, status=stack.status, stp=copy.deepcopy(stp), tags=_tags(stack),
                         services=services)
    snap.resolved_secrets = _resolve_references(snap)
    return snap


def _container(c: dict[str, Any]) -> ContainerInfo:
    from core.local.extensions.registry import camel

    c = camel(c)  # a task definition updated through CloudFormation keeps moto's PascalCase keys
    options = ((c.get("logConfiguration") or {}).get("options") or {}) \
        if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs" else {}
    env = {str(e.get("name")): "" if e.get("value") is None else str(e.get("value"))
           for e in c.get("environment") or () if isinstance(e, dict) and e.get("name")}
    ports = []
    for mapping in c.get("portMappings") or ():
        port = mapping.get("containerPort") if isinstance(mapping, dict) else None
        if port is not None and int(port) not in ports:
            ports.append(int(port))
    return ContainerInfo(
        name=str(c.get("name")),
        essential=c.get("essential", True) not in (False, "false", "False"),
        environment=env,
        secrets=[s for s in c.get("secrets") or () if isinstance(s, dict)],
        port_mappings=ports,
        stop_timeout=float(c.get("stopTimeout") or 30),
        depends_on=[(str(d.get("containerName")), str(d.get("condition") or "START")) for d in c.get("dependsOn") or ()
                    if isinstance(d, dict)],
        log_group=options.get("awslogs-group"),
        stream_prefix=options.get("awslogs-stream-prefix"),
        image=c.get("image"),
    )


def _target_groups(load_balancers: Any) -> list[dict[str, Any]]:
    out = []
    for lb in load_balancers or ():
        if not isinstance(lb, dict):
            continue
        arn = lb.get("targetGroupArn") or lb.get("TargetGroupArn")
        container = lb.get("containerName") or lb.get("ContainerName")
        port = lb.get("containerPort") or lb.get("ContainerPort")
        if arn:
            out.append({"targetGroupArn": str(getattr(arn, "physical_resource_id", arn)), "containerName": container,
                        "containerPort": int(port) if port else None})
        advanced = lb.get("advancedConfiguration") or lb.get("AdvancedConfiguration") or {}
        alternate = advanced.get("alternateTargetGroupArn") or advanced.get("AlternateTargetGroupArn")
        if alternate:
            out.append({"targetGroupArn": str(getattr(alternate, "physical_resource_id", alternate)),
                        "containerName": container, "containerPort": int(port) if port else None, "alternate": True})
    return out


# ---------------------------------------------------------------- dynamic references in the environment

_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]+)\}\}")


def _resolve_references(snap: StackSnapshot) -> dict[str, str]:
    """`{{resolve:secretsmanager:...}}` / `{{resolve:ssm:...}}` in environments and `secrets` of containers, read
    from the local AWS (CloudFormation resolves them on AWS; moto does not)."""
    wanted: set[str] = set()
    for service in snap.services:
        for c in service.containers:
            for value in c.environment.values():
                wanted.update(m.group(0) for m in _REFERENCE.finditer(value))
            for secret in c.secrets:
                wanted.add(str(secret.get("valueFrom")))
    out = {}
    for ref in wanted:
        value = _lookup(snap, ref)
        if value is not None:
            out[ref] = value
    return out


def _lookup(snap: StackSnapshot, ref: str) -> str | None:
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.ssm.models import ssm_backends

    match = _REFERENCE.fullmatch(ref)
    if match:
        service, spec = match.groups()
    elif ref.startswith("arn:") and ":secretsmanager:" in ref:
        service, spec = "secretsmanager", ref
    elif ref.startswith("arn:") and ":ssm:" in ref:
        service, spec = "ssm", ref.split(":parameter", 1)[-1]
    else:
        service, spec = "ssm", ref
    try:
        if service == "secretsmanager":
            secret_id, key = _secret_spec(spec)
            backend = secretsmanager_backends[snap.account_id][snap.region]
            value = backend.get_secret_value(secret_id, None, None).get("SecretString")
            if key and value is not None:
                value = json.loads(value).get(key)
            return None if value is None else str(value)
        name = re.sub(r":\d+$", "", spec)  # a trailing :VERSION
        parameter = ssm_backends[snap.account_id][snap.region].get_parameter(name)
        return None if parameter is None else str(parameter.value)
    except Exception:  # noqa: BLE001 - left unresolved; the process sees the reference text
        return None


def _secret_spec(spec: str) -> tuple[str, str | None]:
    """`name:SecretString:key` or an ARN (`arn:...:secret:name-AbCdEf:key::`) -> (secret id, json key)."""
    if spec.startswith("arn:"):
        parts = spec.split(":")
        secret_id = ":".join(parts[:7])
        key = parts[7] if len(parts) > 7 and parts[7] else None
        return secret_id, key
    parts = spec.split(":")
    key = parts[2] if len(parts) > 2 and parts[1] == "SecretString" and parts[2] else None
    return parts[0], key


# ---------------------------------------------------------------- the plan (no lock)


@dataclass
class ContainerPlan:
    info: ContainerInfo
    command: LocalCommand | None
    reason: str | None  # why it does not run (command is None)
    environment: dict[str, str]  # without PORT and the task id (set per task)

    @property
    def runnable(self) -> bool:
        return self.command is not None


@dataclass
class ServicePlan:
    info: ServiceInfo
    containers: list[ContainerPlan]
    desired: int  # tasks to run locally (capped)

    @property
    def runnable(self) -> bool:
        return any(c.runnable for c in self.containers)

    @property
    def key(self) -> str:
        return f"{self.info.cluster}/{self.info.name}"

    def fingerprint(self) -> str:
        return json.dumps([self.desired, self.info.task_definition,
                           [(c.info.name, c.command.argv if c.command else c.reason, c.environment)
                            for c in self.containers]], sort_keys=True, default=str)


def max_tasks() -> int:
    try:
        return max(0, int(os.environ.get("STP_LOCAL_MAX_TASKS", "2")))
    except ValueError:
        return 2


def rewrite_urls(value: str, endpoint: str, region: str) -> str:
    """AWS endpoints of local resources in a value, as the local AWS's address seen from this machine."""
    value = re.sub(rf"https://sqs\.{re.escape(region)}\.amazonaws\.com(?=/)", endpoint, value)
    value = re.sub(r"https://queue\.amazonaws\.com(?=/)", endpoint, value)
    return re.sub(r"https?://(?:[a-z0-9-]+\.)*localhost(?::\d+)?(?=/|$)", endpoint, value)


def base_environment() -> dict[str, str]:
    return {k: os.environ[k] for k in INHERITED if os.environ.get(k)}


def container_environment(snap: StackSnapshot, container: ContainerInfo, endpoint: str) -> dict[str, str]:
    """The container's environment as ECS sets it, pointed at the local AWS (PORT and task id come per task)."""
    env = base_environment()
    for name, value in container.environment.items():
        for ref, resolved in snap.resolved_secrets.items():
            value = value.replace(ref, resolved)
        env[name] = rewrite_urls(value, endpoint, snap.region)
    for secret in container.secrets:
        resolved = snap.resolved_secrets.get(str(secret.get("valueFrom")))
        if resolved is not None and secret.get("name"):
            env[str(secret["name"])] = resolved
    env.update(LOCAL_CREDENTIALS)
    env.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": snap.region,
        "AWS_REGION": snap.region,
        "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
        "PYTHONUNBUFFERED": "1",  # lines reach the log as they are printed, not when a buffer fills
        "STP_LOCAL": "1",
    })
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return env


_analysis_cache: dict[str, tuple[float, Any]] = {}


def config_containers(config_file: Path, resource: str) -> dict[str, Any]:
    """Container name -> packaging of one workload of the config (analysed with stp's own analysis)."""
    from core.analysis import analyze
    from core.compile.workload_spec import expand

    key = str(config_file)
    mtime = config_file.stat().st_mtime
    cached = _analysis_cache.get(key)
    if cached is None or cached[0] != mtime:
        analysis = analyze(config_file.read_text(encoding="utf-8"))
        _analysis_cache[key] = cached = (mtime, analysis)
    entry = cached[1].resources.get(resource)
    if entry is None or getattr(entry, "model", None) is None:
        raise NotRunnable(f"the config {config_file} has no valid resource {resource!r} (any more?)")
    spec = expand(resource, entry.type, entry.model)
    return {c.name: c.packaging for c in spec.containers}


def plan(snap: StackSnapshot, endpoint: str) -> list[ServicePlan]:
    cap = max_tasks()
    source = snap.source_dir
    config = snap.config_file
    plans = []
    for service in snap.services:
        packagings: dict[str, Any] = {}
        problem: str | None = None
        if source is not None and config is not None:
            try:
                if not config.is_file():
                    raise NotRunnable(f"the config {config} does not exist")
                packagings = config_containers(config, service.resource)
            except NotRunnable as exc:
                problem = str(exc)
            except Exception as exc:  # noqa: BLE001 - a config that cannot be read runs nothing
                problem = f"the config {config} could not be read: {type(exc).__name__}: {exc}"
        containers = []
        for container in service.containers:
            command, reason = None, problem
            if reason is None:
                try:
                    packaging = packagings.get(container.name)
                    if packaging is None and source is not None:
                        raise NotRunnable(f"the config has no container {container.name!r} in {service.resource}")
                    command = local_command(packaging, source) if packaging is not None else local_command(
                        {"type": _packaging_type(snap, service, container), "properties": {"image": container.image}},
                        source)
                except NotRunnable as exc:
                    reason = str(exc)
            containers.append(ContainerPlan(container, command, reason,
                                            container_environment(snap, container, endpoint)))
        plans.append(ServicePlan(service, containers, desired=min(service.desired_count, cap)))
    return plans


def _packaging_type(snap: StackSnapshot, service: ServiceInfo, container: ContainerInfo) -> str:
    """The packaging type when the config is not at hand: Metadata.Stp.images knows the built ones."""
    for image in (snap.stp.get("images") or {}).values():
        if isinstance(image, dict) and image.get("resource") == service.resource and image.get("container") == container.name:
            return str(image.get("packaging"))
    return "prebuilt-image"
