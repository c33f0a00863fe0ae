"""AWS::CodeDeploy::Application / ::DeploymentGroup backed by moto's codedeploy; ::DeploymentConfig as a record.

The application and deployment group show up in the codedeploy API (`get_application`,
`get_deployment_group`) with their ECS services, load balancer info and blue/green settings. moto's
codedeploy has no custom deployment configs, so a DeploymentConfig only keeps its properties
(`DEPLOYMENT_CONFIGS`, for the deployment simulation to read) and its name.
"""

from __future__ import annotations

from typing import Any

from moto.codedeploy.models import codedeploy_backends

from core.local.extensions.base import ExtensionModel
from core.local.extensions.registry import camel, register, tags_as_list

# name -> CloudFormation properties of the deployment configs stacks created (per account and region)
DEPLOYMENT_CONFIGS: dict[tuple[str, str, str], dict[str, Any]] = {}


def _backend(model: ExtensionModel):
    return codedeploy_backends[model.account_id][model.region_name]


class Application(ExtensionModel):
    TYPE = "AWS::CodeDeploy::Application"
    NAME_PROPERTY = "ApplicationName"
    REPLACE_ON = ("ApplicationName", "ComputePlatform")

    def _create(self) -> None:
        _backend(self).create_application(self.name, self.prop("ComputePlatform") or "Server",
                                          tags_as_list(self.prop("Tags")))

    def _update(self, old_properties: dict[str, Any]) -> None:
        if self.prop("Tags"):
            _backend(self).tag_resource(_backend(self)._application_arn(self.name), tags_as_list(self.prop("Tags")))

    def _delete(self) -> None:
        backend = _backend(self)
        backend.applications.pop(self.name, None)
        backend.deployment_groups.pop(self.name, None)

    @property
    def physical_resource_id(self) -> str:
        return self.name


class DeploymentGroup(ExtensionModel):
    TYPE = "AWS::CodeDeploy::DeploymentGroup"
    NAME_PROPERTY = "DeploymentGroupName"
    REPLACE_ON = ("ApplicationName", "DeploymentGroupName")

    def _arguments(self) -> dict[str, Any]:
        p = self.prop
        ec2_filters = p("Ec2TagFilters")
        return {
            "deployment_config_name": p("DeploymentConfigName"),
            "ec2_tag_filters": camel(ec2_filters),
            "on_premises_instance_tag_filters": camel(p("OnPremisesInstanceTagFilters")),
            "auto_scaling_groups": p("AutoScalingGroups"),
            "service_role_arn": p("ServiceRoleArn"),
            "trigger_configurations": camel(p("TriggerConfigurations")),
            "alarm_configuration": camel(p("AlarmConfiguration")),
            "auto_rollback_configuration": camel(p("AutoRollbackConfiguration")),
            "outdated_instances_strategy": p("OutdatedInstancesStrategy"),
            "deployment_style": camel(p("DeploymentStyle")),
            "blue_green_deployment_configuration": camel(p("BlueGreenDeploymentConfiguration")),
            "load_balancer_info": camel(p("LoadBalancerInfo")),
            "ec2_tag_set": camel(p("Ec2TagSet")),
            "ecs_services": camel(p("ECSServices")),
            "on_premises_tag_set": camel(p("OnPremisesTagSet")),
            "tags": tags_as_list(p("Tags")),
            "termination_hook_enabled": p("TerminationHookEnabled"),
        }

    def _create(self) -> None:
        self.group_id = _backend(self).create_deployment_group(self.prop("ApplicationName"), self.name,
                                                               **self._arguments())

    def _update(self, old_properties: dict[str, Any]) -> None:
        backend = _backend(self)
        backend.deployment_groups.get(self.prop("ApplicationName"), {}).pop(self.name, None)
        self._create()

    def _delete(self) -> None:
        _backend(self).deployment_groups.get(self.prop("ApplicationName"), {}).pop(self.name, None)

    @property
    def physical_resource_id(self) -> str:
        return self.name


class DeploymentConfig(ExtensionModel):
    TYPE = "AWS::CodeDeploy::DeploymentConfig"
    NAME_PROPERTY = "DeploymentConfigName"
    REPLACE_ON = ("DeploymentConfigName", "ComputePlatform", "TrafficRoutingConfig", "MinimumHealthyHosts")

    def _create(self) -> None:
        DEPLOYMENT_CONFIGS[(self.account_id, self.region_name, self.name)] = dict(self.properties)

    def _delete(self) -> None:
        DEPLOYMENT_CONFIGS.pop((self.account_id, self.region_name, self.name), None)

    @property
    def physical_resource_id(self) -> str:
        return self.name


MODELS = (Application, DeploymentGroup, DeploymentConfig)


def install() -> None:
    register(*MODELS)
