"""An ECS service keeps everything it was created with, whether through CloudFormation or the ECS API.

moto's AWS::ECS::Service model passes only cluster, name, task definition and desired count to the
backend, and its CreateService drops deployment configuration, capacity provider strategy, placement,
health check grace period, execute command, managed tags and service connect. Here
(patches on `moto.ecs.models.Service` and the ECS CreateService handler):

- every property is kept and shown by `describe_services` in the API's shape (deploymentConfiguration,
  loadBalancers, networkConfiguration, serviceRegistries, capacityProviderStrategy, placement*, ...);
  service connect settings and the Cloud Map services they create appear on the PRIMARY deployment;
- a service created by CloudFormation is at steady state when its resource completes (running count =
  desired count, rollout COMPLETED), as CloudFormation waits for that on AWS;
- GetAtt `Name` and `ServiceArn` work; a CloudFormation update changes the service in place (a new
  PRIMARY deployment when the task definition or the deployment-relevant settings change) or replaces
  it (cluster, name, role, scheduling strategy or deployment controller changed); deleting the stack
  deletes the service.

`start_deployment(service, ...)` is where a new deployment is made; the ECS deployment simulation
(`ecs_deployments`: ListServiceDeployments, lifecycle stages on the scaled clock) registers itself as
`deployment_observer` and takes over from there: it is told when a service is created and when a deployment
starts, and while it simulates one, `mark_steady` leaves the service alone.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow
from moto.ecs import models as ecs_models
from moto.ecs.models import Cluster, TaskDefinition, ecs_backends
from moto.moto_api._internal import mock_random

from core.local.extensions.registry import camel

REPLACE_ON = ("Cluster", "ServiceName", "Role", "SchedulingStrategy", "DeploymentController")

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

# API parameter -> Service attribute, for what moto's Service does not keep by itself.
EXTRA_API_FIELDS = {
    "deploymentConfiguration": "deployment_configuration",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "enableExecuteCommand": "enable_execute_command",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}
DEPLOYMENT_API_FIELDS = ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations")

# Set by ecs_deployments.install(): an object with created(service, params, steady),
# started(service, deployment, previous, params, origin) -> bool (True: it simulates the rollout) and
# simulating(service) -> bool. None: deployments complete at once, as before.
deployment_observer: Any = None


def _name_of(value: Any, kind: type) -> Any:
    if isinstance(value, Cluster):
        return value.name
    if isinstance(value, TaskDefinition):
        return value.arn
    return value.physical_resource_id if hasattr(value, "physical_resource_id") else value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def api_parameters(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation properties of AWS::ECS::Service as CreateService parameters."""
    out: dict[str, Any] = {}
    for key, value in properties.items():
        if value is None:
            continue
        if key == "PlacementStrategies":
            out["placementStrategy"] = camel(value)
        elif key == "Role":
            out["role"] = value
        elif key == "EnableECSManagedTags":
            out["enableECSManagedTags"] = _bool(value)
        elif key in ("EnableExecuteCommand", "ForceNewDeployment"):
            out[key[0].lower() + key[1:]] = _bool(value)
        elif key in ("DesiredCount", "HealthCheckGracePeriodSeconds"):
            out[key[0].lower() + key[1:]] = int(value)
        else:
            out[key[0].lower() + key[1:]] = camel(value)
    return out


def apply_extras(service: Any, params: dict[str, Any], *, steady: bool) -> None:
    """Keep the parameters moto's Service ignores; with steady=True the service is at steady state."""
    for api_name, attribute in EXTRA_API_FIELDS.items():
        if api_name in params:
            setattr(service, attribute, params[api_name])
    if getattr(service, "deployment_configuration", None) is None and service.deployment_controller.get("type") == "ECS":
        service.deployment_configuration = dict(DEFAULT_DEPLOYMENT_CONFIGURATION)
    if params.get("capacityProviderStrategy") and not params.get("launchType"):
        service.launch_type = None  # a strategy replaces the launch type, as on AWS
    if not hasattr(service, "created_at"):
        service.created_at = utcnow()
        service.created_by = f"arn:aws:iam::{service._account_id}:role/stp-local"
    for deployment in service.deployments:
        _describe_deployment(service, deployment, params)
    if steady:
        mark_steady(service)


def _describe_deployment(service: Any, deployment: dict[str, Any], params: dict[str, Any]) -> None:
    deployment["launchType"] = service.launch_type
    if getattr(service, "capacity_provider_strategy", None):
        deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
    if params.get("networkConfiguration"):
        deployment["networkConfiguration"] = params["networkConfiguration"]
    for name in DEPLOYMENT_API_FIELDS:
        if name in params:
            deployment[name] = params[name]
    connect = params.get("serviceConnectConfiguration")
    if connect and connect.get("enabled"):
        deployment["serviceConnectResources"] = _service_connect_resources(service, connect)


def _service_connect_resources(service: Any, connect: dict[str, Any]) -> list[dict[str, str]]:
    """The Cloud Map service ECS makes per service connect entry, in the namespace when it exists locally."""
    from moto.servicediscovery.models import servicediscovery_backends

    cloud_map = servicediscovery_backends[service._account_id][service.region_name]
    wanted = connect.get("namespace") or ""
    namespace = next(
        (ns for ns in cloud_map.namespaces.values() if wanted in (ns.name, ns.arn, ns.id)), None
    )
    resources = []
    for entry in connect.get("services") or []:
        discovery_name = entry.get("discoveryName") or entry.get("portName")
        arn = None
        if namespace is not None:
            existing = next(
                (s for s in cloud_map.services.values() if s.namespace_id == namespace.id and s.name == discovery_name),
                None,
            )
            if existing is None:
                existing = cloud_map.create_service(
                    name=discovery_name, namespace_id=namespace.id, creator_request_id=service.name,
                    description=f"ECS service connect: {service.name}", dns_config=None, health_check_config=None,
                    health_check_custom_config=None, tags=[], service_type="HTTP",
                )
            arn = existing.arn
        resources.append({"discoveryName": discovery_name, **({"discoveryArn": arn} if arn else {})})
    return resources


def mark_steady(service: Any) -> None:
    """Running count = desired count and the PRIMARY deployment COMPLETED (what CloudFormation waits for)."""
    if deployment_observer is not None and deployment_observer.simulating(service):
        return  # a simulated rollout moves the counts and completes the deployment itself
    backend = service._backend
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        backend.update_cluster_resources(cluster, -service.running_count, task_state="RUNNING")
        backend.update_cluster_resources(cluster, -service.pending_count, task_state="PENDING")
    service.running_count = service.desired_count
    service.pending_count = 0
    if cluster is not None:
        backend.update_cluster_resources(cluster, service.running_count, task_state="RUNNING")
    for deployment in service.deployments:
        if deployment.get("status") == "PRIMARY":
            deployment.update(
                desiredCount=service.desired_count,
                runningCount=service.desired_count,
                pendingCount=0,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
                updatedAt=utcnow(),
            )
    service.events.insert(0, {
        "id": str(mock_random.uuid4()),
        "createdAt": utcnow(),
        "message": f"(service {service.name}) has reached a steady state.",
    })


def start_deployment(service: Any, params: dict[str, Any], *, origin: str = "cloudformation") -> dict[str, Any]:
    """A new PRIMARY deployment of the service's current task definition; the previous one is dropped, unless
    the deployment simulation (`deployment_observer`) takes over: then it stays ACTIVE while traffic shifts.
    `origin`: "cloudformation" (a stack update) or "api" (UpdateService).
    """
    previous = list(service.deployments)
    now = utcnow()
    deployment = {
        "id": f"ecs-svc/{mock_random.randint(0, 32**12)}",
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": service.platform_version,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment in progress.",
    }
    service.deployments = [deployment]
    _describe_deployment(service, deployment, params)
    if deployment_observer is not None:
        deployment_observer.started(service, deployment, previous, params, origin)
    return deployment


# ---------------------------------------------------------------- CloudFormation model methods


def _create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json["Properties"]
    params = api_parameters(properties)
    backend = ecs_backends[account_id][region_name]
    service = backend.create_service(
        _name_of(properties.get("Cluster") or "default", Cluster),
        resource_name,
        params.get("desiredCount", 1 if params.get("schedulingStrategy") != "DAEMON" else 0),
        task_definition_str=_name_of(properties.get("TaskDefinition"), TaskDefinition),
        load_balancers=params.get("loadBalancers"),
        scheduling_strategy=params.get("schedulingStrategy"),
        tags=params.get("tags"),
        deployment_controller=params.get("deploymentController"),
        launch_type=params.get("launchType"),
        service_registries=params.get("serviceRegistries"),
        platform_version=params.get("platformVersion"),
        propagate_tags=params.get("propagateTags") or "NONE",
        network_configuration=params.get("networkConfiguration"),
        role_arn=params.get("role"),
    )
    service.cf_properties = dict(properties)
    apply_extras(service, params, steady=True)
    if deployment_observer is not None:
        deployment_observer.created(service, params, True)
    return service


def _update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                     region_name):
    new = cloudformation_json["Properties"]
    old = getattr(original_resource, "cf_properties", {})
    backend = ecs_backends[account_id][region_name]
    if any(_plain(old.get(k)) != _plain(new.get(k)) for k in REPLACE_ON):
        replacement = _create_from_cloudformation_json(cls, new_resource_name, cloudformation_json, account_id,
                                                       region_name)
        backend.delete_service(original_resource.cluster_name, original_resource.name, force=True)
        return replacement
    params = api_parameters(new)
    service = original_resource
    task_definition = _name_of(new.get("TaskDefinition"), TaskDefinition)
    if task_definition:
        service.task_definition = backend.describe_task_definition(task_definition).arn
    service.desired_count = params.get("desiredCount", service.desired_count)
    service.load_balancers = params.get("loadBalancers", [])
    service.service_registries = params.get("serviceRegistries", [])
    service.platform_version = params.get("platformVersion")
    service.propagate_tags = params.get("propagateTags") or "NONE"
    if params.get("networkConfiguration"):
        service.network_configuration = service._validate_network(params["networkConfiguration"])
    if "tags" in params:
        service.tags = params["tags"]
    if params.get("launchType"):
        service.launch_type = params["launchType"]
    for attribute in EXTRA_API_FIELDS.values():
        if hasattr(service, attribute):
            setattr(service, attribute, None)
    deployment_changed = any(
        _plain(old.get(k)) != _plain(new.get(k))
        for k in ("TaskDefinition", "NetworkConfiguration", "LoadBalancers", "ServiceConnectConfiguration",
                  "CapacityProviderStrategy", "LaunchType", "PlatformVersion", "VolumeConfigurations",
                  "ServiceRegistries", "ForceNewDeployment")
    )
    if deployment_changed and service.deployment_controller.get("type", "ECS") == "ECS":
        start_deployment(service, params)
    service.cf_properties = dict(new)
    apply_extras(service, params, steady=True)
    return service


def _plain(value: Any) -> Any:
    if hasattr(value, "physical_resource_id"):
        return value.physical_resource_id
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _delete(self, account_id: str, region_name: str) -> None:
    backend = ecs_backends[account_id][region_name]
    if f"{self.cluster_name}:{self.name}" in backend.services and self.status == "ACTIVE":
        backend.delete_service(self.cluster_name, self.name, force=True)
        self.desired_count = 0
        self.running_count = 0


def _has_cfn_attr(cls, attr: str) -> bool:
    return attr in ("Name", "ServiceArn")


def _get_cfn_attribute(self, attribute_name: str) -> Any:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attribute_name == "Name":
        return self.name
    if attribute_name == "ServiceArn":
        return self.arn
    raise UnformattedGetAttTemplateException()


# ---------------------------------------------------------------- the ECS API


def _patch_create_service_api() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service
    if getattr(original, "_stp", False):
        return

    def create_service(self):
        result = original(self)
        service = result.result["service"]
        params = {name: self._get_param(name) for name in (*EXTRA_API_FIELDS, *DEPLOYMENT_API_FIELDS,
                                                            "networkConfiguration", "launchType")}
        params = {k: v for k, v in params.items() if v is not None}
        apply_extras(service, params, steady=False)
        if deployment_observer is not None:
            deployment_observer.created(service, params, False)
        return result

    create_service._stp = True  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.create_service = create_service


def install() -> None:
    service_cls = ecs_models.Service
    service_cls.create_from_cloudformation_json = classmethod(_create_from_cloudformation_json)
    service_cls.update_from_cloudformation_json = classmethod(_update_from_cloudformation_json)
    service_cls.has_cfn_attr = classmethod(_has_cfn_attr)
    service_cls.get_cfn_attribute = _get_cfn_attribute
    service_cls.delete = _delete
    _patch_create_service_api()
    from core.local.extensions import ecs_deployments  # service deployments on the scaled clock

    ecs_deployments.install()
