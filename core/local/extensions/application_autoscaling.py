"""AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy, backed by moto's application-autoscaling.

`describe_scalable_targets` / `describe_scaling_policies` show them (with the CloudWatch alarms moto
makes for target tracking). As on AWS, the target's Ref is "<ResourceId>|<ScalableDimension>|<ServiceNamespace>"
and a policy's Ref is its ARN; a policy may name its target by that id (`ScalingTargetId`).
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends

from core.local.extensions.base import ExtensionModel
from core.local.extensions.registry import register


def _backend(model: ExtensionModel):
    return applicationautoscaling_backends[model.account_id][model.region_name]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class ScalableTarget(ExtensionModel):
    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
    ATTRIBUTES = ("Id",)
    REPLACE_ON = ("ResourceId", "ScalableDimension", "ServiceNamespace")

    def _register(self):
        suspended = self.prop("SuspendedState")
        target = _backend(self).register_scalable_target(
            namespace=self.prop("ServiceNamespace"),
            r_id=self.prop("ResourceId"),
            dimension=self.prop("ScalableDimension"),
            min_capacity=_int(self.prop("MinCapacity")),
            max_capacity=_int(self.prop("MaxCapacity")),
            role_arn=self.prop("RoleARN") or (
                f"arn:aws:iam::{self.account_id}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_ECSService"
            ),
            suspended_state=suspended,
        )
        if suspended is not None:
            target.suspended_state = suspended
        for action in self.prop("ScheduledActions") or []:
            _backend(self).put_scheduled_action(
                service_namespace=self.prop("ServiceNamespace"),
                schedule=action.get("Schedule"),
                timezone=action.get("Timezone"),
                scheduled_action_name=action.get("ScheduledActionName"),
                resource_id=self.prop("ResourceId"),
                scalable_dimension=self.prop("ScalableDimension"),
                start_time=action.get("StartTime"),
                end_time=action.get("EndTime"),
                scalable_target_action=action.get("ScalableTargetAction"),
            )
        return target

    def _create(self) -> None:
        self.target = self._register()

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.target = self._register()

    def _delete(self) -> None:
        backend = _backend(self)
        namespace, r_id, dimension = self.prop("ServiceNamespace"), self.prop("ResourceId"), self.prop("ScalableDimension")
        for key, policy in list(backend.policies.items()):  # AWS deletes the target's policies with it
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del backend.policies[key]
        backend.scheduled_actions = [
            a for a in backend.scheduled_actions
            if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)
        ]
        if backend._scalable_target_exists(r_id, dimension):
            backend.deregister_scalable_target(namespace, r_id, dimension)

    @property
    def physical_resource_id(self) -> str:
        return f"{self.prop('ResourceId')}|{self.prop('ScalableDimension')}|{self.prop('ServiceNamespace')}"

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id


class ScalingPolicy(ExtensionModel):
    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
    ATTRIBUTES = ("Arn",)
    REPLACE_ON = ("PolicyName", "ResourceId", "ScalableDimension", "ServiceNamespace", "ScalingTargetId")

    def _target(self) -> tuple[str, str, str]:
        target_id = self.prop("ScalingTargetId")
        if target_id:
            resource_id, dimension, namespace = str(target_id).split("|")
            return namespace, resource_id, dimension
        return self.prop("ServiceNamespace"), self.prop("ResourceId"), self.prop("ScalableDimension")

    def _put(self):
        namespace, resource_id, dimension = self._target()
        if not _backend(self)._scalable_target_exists(resource_id, dimension):
            from moto.applicationautoscaling.exceptions import AWSValidationException

            raise AWSValidationException(
                f"No scalable target registered for service namespace: {namespace}, resource ID: {resource_id},"
                f" scalable dimension: {dimension}"
            )
        policy_type = self.prop("PolicyType")
        body = {
            "StepScaling": self.prop("StepScalingPolicyConfiguration"),
            "TargetTrackingScaling": self.prop("TargetTrackingScalingPolicyConfiguration"),
            "PredictiveScaling": self.prop("PredictiveScalingPolicyConfiguration"),
        }.get(policy_type)
        return _backend(self).put_scaling_policy(
            policy_name=self.prop("PolicyName") or self.name,
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=body or {},
            policy_type=policy_type,
        )

    def _create(self) -> None:
        self.policy = self._put()

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.policy.delete_alarms(self.account_id, self.region_name)
        self.policy = self._put()

    def _delete(self) -> None:
        backend = _backend(self)
        key = self.policy.formulate_key(
            self.policy.service_namespace, self.policy.resource_id, self.policy.scalable_dimension, self.policy.policy_name
        )
        if key in backend.policies:
            backend.delete_scaling_policy(
                self.policy.policy_name, self.policy.service_namespace, self.policy.resource_id,
                self.policy.scalable_dimension,
            )

    @property
    def physical_resource_id(self) -> str:
        return self.policy.policy_arn

    def attribute(self, name: str) -> Any:
        return self.policy.policy_arn


MODELS = (ScalableTarget, ScalingPolicy)


def install() -> None:
    register(*MODELS)
