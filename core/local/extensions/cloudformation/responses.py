"""Patches on moto's CloudFormation request handlers (`CloudFormationResponse`).

- CreateStack / UpdateStack / ExecuteChangeSet pass OnFailure / DisableRollback to the backend;
- CreateChangeSet leaves ChangeSetType unset when the request does (moto assumes CREATE, AWS UPDATE);
- Describe/Delete/ExecuteChangeSet and ListChangeSets look the change set up within StackName;
- CancelUpdateStack (missing in moto) reaches the backend;
- DescribeChangeSet returns the engine's Changes (dicts) as they are;
- ListStackResources / DescribeStackResources / DescribeStackResource report each resource's own status
  and reason (moto reports the stack's status, or CREATE_COMPLETE, for every resource).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult, EmptyResult

from core.local.extensions.cloudformation.backend import REQUEST_OPTIONS

Response = cfn_responses.CloudFormationResponse


def _with_options(method, read):
    def handler(self):
        token = REQUEST_OPTIONS.set(read(self))
        try:
            return method(self)
        finally:
            REQUEST_OPTIONS.reset(token)

    handler._stp = True  # type: ignore[attr-defined]
    return handler


def _create_options(self) -> dict[str, Any]:
    on_failure = self._get_param("OnFailure")
    if on_failure is None and self._get_param("DisableRollback") is not None:
        on_failure = "DO_NOTHING" if self._get_bool_param("DisableRollback", False) else "ROLLBACK"
    return {"on_failure": on_failure or "ROLLBACK", "capabilities": self._get_param("Capabilities", [])}


def _rollback_options(self) -> dict[str, Any]:
    options: dict[str, Any] = {"capabilities": self._get_param("Capabilities", [])}
    if self._get_param("DisableRollback") is not None:
        options["disable_rollback"] = self._get_bool_param("DisableRollback", False)
    return options


def create_change_set(self) -> ActionResult:
    stack_name = self._get_param("StackName")
    change_set_name = self._get_param("ChangeSetName")
    stack_body = self._get_param("TemplateBody")
    template_url = self._get_param("TemplateURL")
    change_set_type = self._get_param("ChangeSetType")  # None: AWS's default (UPDATE), decided by the backend
    use_previous = self._get_bool_param("UsePreviousTemplate", False)
    backend = self.cloudformation_backend
    stack = backend._live_stack(stack_name)
    if use_previous:
        if stack is None:
            raise ValidationError(message=f"Stack [{stack_name}] does not exist")
        stack_body = stack.template
    elif template_url:
        stack_body = self._get_stack_from_s3_url(template_url)
    if not stack_body:
        raise ValidationError(message="Either Template URL or Template Body must be specified.")
    parameters = {}
    for param in self._get_param("Parameters", []):
        if param.get("UsePreviousValue"):
            if stack is None or param["ParameterKey"] not in (stack.parameters or {}):
                raise ValidationError(message=f"Parameter {param['ParameterKey']} has no previous value")
            parameters[param["ParameterKey"]] = stack.parameters[param["ParameterKey"]]
        else:
            parameters[param["ParameterKey"]] = param.get("ParameterValue")
    tags = {item["Key"]: item["Value"] for item in self._get_param("Tags", [])}
    token = REQUEST_OPTIONS.set({"capabilities": self._get_param("Capabilities", [])})
    try:
        change_set_id, stack_id = backend.create_change_set(
            stack_name=stack_name,
            change_set_name=change_set_name,
            template=stack_body,
            parameters=parameters,
            description=self._get_param("Description"),
            notification_arns=self._get_param("NotificationARNs", []),
            tags=tags,
            role_arn=self._get_param("RoleARN"),
            change_set_type=change_set_type,
        )
    finally:
        REQUEST_OPTIONS.reset(token)
    return ActionResult({"Id": change_set_id, "StackId": stack_id})


def describe_change_set(self) -> ActionResult:
    change_set = self.cloudformation_backend.describe_change_set(
        self._get_param("ChangeSetName"), self._get_param("StackName"))
    return ActionResult(change_set)


def delete_change_set(self) -> ActionResult:
    self.cloudformation_backend.delete_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
    return EmptyResult()


def execute_change_set(self) -> ActionResult:
    token = REQUEST_OPTIONS.set(_rollback_options(self))
    try:
        self.cloudformation_backend.execute_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
    finally:
        REQUEST_OPTIONS.reset(token)
    return EmptyResult()


def cancel_update_stack(self) -> ActionResult:
    self.cloudformation_backend.cancel_update_stack(self._get_param("StackName"))
    return EmptyResult()


def list_change_sets(self) -> ActionResult:
    change_sets = self.cloudformation_backend.list_change_sets(self._get_param("StackName"))
    return ActionResult({"Summaries": change_sets})


# ---------------------------------------------------------------- resources with their own status


def _rows(stack) -> list[dict[str, Any]]:
    runtime = getattr(stack, "runtime", None)
    if runtime is None:  # a stack moto made by itself (stack sets): moto's view
        return [
            {
                "LogicalResourceId": getattr(r, "logical_resource_id", ""),
                "PhysicalResourceId": getattr(r, "physical_resource_id", ""),
                "ResourceType": getattr(r, "cf_resource_type", ""),
                "ResourceStatus": "CREATE_COMPLETE",
                "Timestamp": stack.creation_time,
            }
            for r in stack.resource_map._parsed_resources.values()
            if hasattr(r, "logical_resource_id")
        ]
    template = stack.template_dict.get("Resources") or {}
    order = {name: i for i, name in enumerate(template)}
    rows = []
    for record in sorted(runtime.records.values(), key=lambda r: order.get(r.logical_id, 1 << 30)):
        row = {
            "LogicalResourceId": record.logical_id,
            "ResourceType": record.resource_type,
            "ResourceStatus": record.status,
            "Timestamp": record.updated,
        }
        if record.physical_id:
            row["PhysicalResourceId"] = record.physical_id
        if record.reason:
            row["ResourceStatusReason"] = record.reason
        rows.append(row)
    return rows


def _with_stack(stack, row: dict[str, Any]) -> dict[str, Any]:
    return {"StackName": stack.name, "StackId": stack.stack_id, **row}


def list_stack_resources(self) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    summaries = []
    for row in _rows(stack):
        summary = dict(row)
        summary["LastUpdatedTimestamp"] = summary.pop("Timestamp")
        summaries.append(summary)
    return ActionResult({"StackResourceSummaries": summaries})


def describe_stack_resources(self) -> ActionResult:
    stack_name = self._get_param("StackName")
    if not stack_name:
        raise ValidationError(message="StackName is required (PhysicalResourceId lookup is not supported locally)")
    stack = self.cloudformation_backend.get_stack(stack_name)
    logical = self._get_param("LogicalResourceId")
    rows = [_with_stack(stack, r) for r in _rows(stack) if logical is None or r["LogicalResourceId"] == logical]
    return ActionResult({"StackResources": rows})


def describe_stack_resource(self) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    logical = self._get_param("LogicalResourceId")
    for row in _rows(stack):
        if row["LogicalResourceId"] == logical:
            detail = _with_stack(stack, row)
            detail["LastUpdatedTimestamp"] = detail.pop("Timestamp")
            metadata = ((stack.template_dict.get("Resources") or {}).get(logical) or {}).get("Metadata")
            if metadata is not None:
                import json

                detail["Metadata"] = json.dumps(metadata)
            return ActionResult({"StackResourceDetail": detail})
    raise ValidationError(stack.name, message=f"Resource {logical} does not exist for stack {stack.name}")


def _changes(changes: list[Any]) -> list[Any]:
    return [c if isinstance(c, dict) else cfn_responses.ChangeDTO(c) for c in changes]


def install() -> None:
    if getattr(Response.create_stack, "_stp", False):
        return
    Response.create_stack = _with_options(Response.create_stack, _create_options)
    Response.update_stack = _with_options(Response.update_stack, _rollback_options)
    Response.create_change_set = create_change_set
    Response.describe_change_set = describe_change_set
    Response.delete_change_set = delete_change_set
    Response.execute_change_set = execute_change_set
    Response.list_change_sets = list_change_sets
    Response.cancel_update_stack = cancel_update_stack
    Response.list_stack_resources = list_stack_resources
    Response.describe_stack_resources = describe_stack_resources
    Response.describe_stack_resource = describe_stack_resource
    Response.RESPONSE_KEY_PATH_TO_TRANSFORMER = {
        **Response.RESPONSE_KEY_PATH_TO_TRANSFORMER,
        "DescribeChangeSetOutput.Changes": _changes,
    }
