"""Our CloudFormation backend: moto's, with stack operations handed to the asynchronous engine.

`install()` makes `cloudformation_backends` build `LocalCloudFormationBackend` for every account and
region. What changes against moto (the API stays moto's):

- CreateStack / UpdateStack / DeleteStack / ExecuteChangeSet validate synchronously (template,
  parameters, circular dependencies, stack state) and return while the engine works in the background;
- CancelUpdateStack (moto has none) stops a running update, which then rolls back;
- CreateChangeSet computes per-resource Changes (Add/Modify/Remove, Replacement, Details) and follows
  AWS on ChangeSetType: UPDATE (the default) needs an existing stack, CREATE refuses an existing one
  (unless it is still REVIEW_IN_PROGRESS); executing a change set removes the stack's other ones;
- outputs and exports are computed once resources are complete (moto evaluates them on demand, which
  would create every resource at once).
"""

from __future__ import annotations

import contextvars
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.utils import (
    generate_changeset_id,
    generate_stack_id,
    validate_create_change_set,
)

from core.local.extensions.cloudformation import engine
from core.local.extensions.cloudformation import graph as g
from core.local.extensions.cloudformation.changes import resource_changes

# Options of the current request that moto's response handlers do not pass to the backend.
REQUEST_OPTIONS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("stp_cfn_request",
                                                                                      default=None)


def request_options() -> dict[str, Any]:
    return REQUEST_OPTIONS.get() or {}

OUTPUT_STATES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_IN_PROGRESS",
                 "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_IN_PROGRESS",
                 "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED", "DELETE_IN_PROGRESS",
                 "DELETE_FAILED"}


class Stack(cfn_models.Stack):  # the class name matters: moto's serializer maps StackStatus -> Stack.status
    """A stack whose resources the engine provisions; `runtime.records` is what ListStackResources shows."""

    def __init__(self, *args: Any, on_failure: str = "ROLLBACK", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.runtime = engine.StackRuntime()
        self.on_failure = on_failure
        self.disable_rollback = on_failure == "DO_NOTHING"
        self.status_reason: str | None = None
        self.last_updated_time = None
        self.deletion_time = None
        self.capabilities: list[str] = []
        self._outputs: list[dict[str, Any]] | None = None
        self._exports: list[cfn_models.Export] = []

    @property
    def outputs(self) -> list[dict[str, Any]] | None:  # type: ignore[override]
        return self._outputs if self.status in OUTPUT_STATES else None

    @property
    def exports(self) -> list[cfn_models.Export]:  # type: ignore[override]
        return self._exports

    @property
    def stack_resources(self) -> list[Any]:  # type: ignore[override]
        parsed = self.resource_map._parsed_resources
        return [parsed[lid] for lid in self.runtime.records if engine.is_model(parsed.get(lid))]

    def refresh_outputs(self, quiet: bool = False) -> None:
        """Evaluate Outputs (and their exports) now that the resources exist."""
        self.output_map = self._create_output_map()
        try:
            self._outputs = cfn_models.Stack.outputs.fget(self)  # type: ignore[attr-defined]
            self._exports = list(self.output_map.exports)
        except Exception:
            if not quiet:
                raise

    def switch_template(self, template_dict: dict[str, Any], parameters: dict[str, Any]) -> None:
        """Point moto's resource map at another template and parameters; created resources stay."""
        rm = self.resource_map
        rm._template = template_dict
        rm.input_parameters = parameters
        rm.resolved_parameters = {}
        rm.load_mapping()
        rm.transform_mapping()
        rm.load_parameters()
        rm.load_conditions()
        rm._resource_json_map = template_dict.get("Resources") or {}
        self.template_dict = template_dict
        self.parameters = parameters
        self.description = template_dict.get("Description")
        self.output_map = self._create_output_map()


class ChangeSet(cfn_models.ChangeSet):
    """A change set with AWS's per-resource Changes (dicts in the API shape)."""

    def __init__(self, *, resolved_parameters: dict[str, Any], conditions: dict[str, bool], **kwargs: Any):
        self._resolved = resolved_parameters
        self._conditions = conditions
        self.capabilities: list[str] = []
        self.include_nested_stacks = False
        super().__init__(**kwargs)

    def diff(self) -> list[dict[str, Any]]:  # type: ignore[override]
        stack = self.stack
        if self.change_set_type == "CREATE":
            return resource_changes({}, self.template_dict, new_parameters=self._resolved,
                                    new_conditions=self._conditions)
        records = getattr(stack, "runtime", None)
        physical = {lid: r.physical_id for lid, r in records.records.items()} if records else {}
        return resource_changes(
            stack.template_dict,
            self.template_dict,
            old_parameters=dict(stack.resource_map.resolved_parameters),
            new_parameters=self._resolved,
            physical_ids=physical,
            old_conditions=dict(getattr(stack.resource_map, "lazy_condition_map", {}) or {}),
            new_conditions=self._conditions,
        )


IAM_TYPES = {"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group",
             "AWS::IAM::InstanceProfile", "AWS::IAM::AccessKey", "AWS::IAM::UserToGroupAddition"}
IAM_NAMES = {"RoleName", "ManagedPolicyName", "UserName", "GroupName", "InstanceProfileName"}


class InsufficientCapabilities(ValidationError):
    code = "InsufficientCapabilitiesException"

    def __init__(self, needed: str):
        super().__init__(message=f"Requires capabilities : [{needed}]")


def check_capabilities(template_dict: dict[str, Any], capabilities: list[str] | None) -> None:
    """IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM, as on AWS."""
    given = set(capabilities or [])
    needed = None
    for resource in (template_dict.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") not in IAM_TYPES:
            continue
        named = bool(IAM_NAMES & set(resource.get("Properties") or {}))
        if named:
            needed = "CAPABILITY_NAMED_IAM"
            break
        needed = needed or "CAPABILITY_IAM"
    if needed == "CAPABILITY_NAMED_IAM" and "CAPABILITY_NAMED_IAM" not in given:
        raise InsufficientCapabilities(needed)
    if needed == "CAPABILITY_IAM" and not given & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
        raise InsufficientCapabilities(needed)


def _check_template(template_dict: dict[str, Any]) -> None:
    if not isinstance(template_dict, dict) or not isinstance(template_dict.get("Resources"), dict):
        raise ValidationError(message="Template format error: At least one Resources member must be defined.")
    try:
        g.topological(g.dependencies(template_dict["Resources"]), list(template_dict["Resources"]))
    except g.CircularDependency as exc:
        raise ValidationError(message=str(exc)) from None


class LocalCloudFormationBackend(cfn_models.CloudFormationBackend):
    @property
    def _url_module(self) -> Any:  # moto finds a backend's routes next to the backend class's module
        from moto.cloudformation import urls

        return urls

    def _parse(self, template: str) -> dict[str, Any]:
        try:
            template_dict = cfn_models.Stack.parse_template(template)
        except Exception as exc:  # noqa: BLE001 - YAML and JSON both failed
            raise ValidationError(message=f"Template format error: {exc}") from None
        _check_template(template_dict)
        return template_dict

    def _validated_map(self, name: str, template_dict: dict[str, Any], parameters: dict[str, Any]) -> ResourceMap:
        """A resource map loaded (parameters, conditions, outputs checked) but creating nothing."""
        resource_map = ResourceMap(
            generate_stack_id(name, self.region_name, self.account_id), name, parameters, {},
            region_name=self.region_name, account_id=self.account_id, template=template_dict,
            cross_stack_resources=self.exports,
        )
        resource_map.load()
        return resource_map

    def _live_stack(self, name_or_id: str) -> Stack | None:
        for stack in self.stacks.values():
            if stack.name == name_or_id or stack.stack_id == name_or_id:
                return stack
        return None

    # ------------------------------------------------------------ stacks

    def create_stack(self, name: str, template: str, parameters: dict[str, Any], notification_arns=None, tags=None,
                     role_arn=None, enable_termination_protection=False, timeout_in_mins=None,
                     stack_policy_body=None) -> Stack:
        if self._live_stack(name) is not None:
            raise AlreadyExistsException(f"Stack [{name}] already exists")
        template_dict = self._parse(template)
        options = request_options()
        if "capabilities" in options:  # a CreateStack request (not a nested stack)
            check_capabilities(template_dict, options["capabilities"])
        stack = Stack(
            stack_id=generate_stack_id(name, self.region_name, self.account_id),
            name=name, template=template, parameters=parameters, account_id=self.account_id,
            region_name=self.region_name, notification_arns=notification_arns, tags=tags, role_arn=role_arn,
            cross_stack_resources=self.exports, enable_termination_protection=enable_termination_protection,
            timeout_in_mins=timeout_in_mins, stack_policy_body=stack_policy_body,
            on_failure=options.get("on_failure", "ROLLBACK"),
        )
        stack.capabilities = list(options.get("capabilities") or [])
        self.stacks[stack.stack_id] = stack
        engine.stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated")
        engine.start(stack, self, "create")
        return stack

    def update_stack(self, name: str, template: str, role_arn: str | None, parameters: list[dict[str, Any]],
                     tags: dict[str, str] | None) -> Stack:
        stack = self.get_stack(name)
        if not isinstance(stack, Stack):
            return super().update_stack(name, template, role_arn, parameters, tags)
        if stack.status not in engine.UPDATABLE:
            raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
        resolved = self._resolve_update_parameters(instance=stack, incoming_params=parameters)
        template_dict = self._parse(template)
        check = self._validated_map(stack.name, template_dict, resolved)
        if "capabilities" in request_options():
            check_capabilities(template_dict, request_options()["capabilities"])
            stack.capabilities = list(request_options()["capabilities"])
        if template_dict == stack.template_dict and check.resolved_parameters == stack.resource_map.resolved_parameters \
                and (tags is None or tags == stack.tags):
            raise ValidationError(stack.name, message="No updates are to be performed.")
        changes = resource_changes(
            stack.template_dict, template_dict,
            old_parameters=dict(stack.resource_map.resolved_parameters),
            new_parameters=dict(check.resolved_parameters),
            physical_ids={lid: r.physical_id for lid, r in stack.runtime.records.items()},
            old_conditions=dict(stack.resource_map.lazy_condition_map),
            new_conditions=dict(check.lazy_condition_map),
        )
        stack.role_arn = role_arn or stack.role_arn
        engine.stack_event(stack, "UPDATE_IN_PROGRESS", "User Initiated")
        engine.start(stack, self, "update", template=template, template_dict=template_dict, parameters=resolved,
                     changes=changes, tags=tags, disable_rollback=request_options().get("disable_rollback", False))
        return stack

    def delete_stack(self, name_or_stack_id: str) -> None:
        stack = self._live_stack(name_or_stack_id)
        if stack is None:
            return  # deleting a stack that does not exist succeeds, as on AWS
        if not isinstance(stack, Stack):
            return super().delete_stack(name_or_stack_id)
        if stack.status in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
            return
        if stack.enable_termination_protection:
            raise ValidationError(message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is"
                                  " enabled")
        if stack.runtime.idle:  # else it starts once the running operation ends
            engine.stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
        engine.start(stack, self, "delete")

    def cancel_update_stack(self, name_or_stack_id: str) -> None:
        """Stop the running update and roll it back (the engine does it), as AWS does; only while
        UPDATE_IN_PROGRESS."""
        stack = self._live_stack(name_or_stack_id)
        if stack is None:
            raise ValidationError(name_or_stack_id)
        if not isinstance(stack, Stack) or stack.status != "UPDATE_IN_PROGRESS":
            raise ValidationError(message="CancelUpdateStack cannot be called from current stack status")
        stack.runtime.cancel.set()

    # ------------------------------------------------------------ change sets

    def create_change_set(self, stack_name: str, change_set_name: str, template: str, parameters: dict[str, str],
                          description: str, change_set_type: str | None, notification_arns=None, tags=None,
                          role_arn=None) -> tuple[str, str]:
        validate_create_change_set(change_set_name)
        change_set_type = change_set_type or "UPDATE"  # AWS's default
        if change_set_type not in ("CREATE", "UPDATE"):
            raise ValidationError(message=f"ChangeSetType {change_set_type} is not supported by the local AWS")
        stack = self._live_stack(stack_name)
        if change_set_type == "UPDATE":
            if stack is None:
                raise ValidationError(message=f"Stack [{stack_name}] does not exist")
            if stack.status not in engine.UPDATABLE:
                raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be"
                                      " updated.")
        elif stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise ValidationError(message=
                f"Stack [{stack_name}] already exists and cannot be created again with the changeSet"
                f" [{change_set_name}].")
        for existing in self.change_sets.values():
            if existing.change_set_name == change_set_name and stack is not None \
                    and existing.stack_id == stack.stack_id:
                raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
        template_dict = self._parse(template)
        check = self._validated_map(stack_name, template_dict, parameters)
        check_capabilities(template_dict, request_options().get("capabilities"))
        if stack is None:
            stack = Stack(
                stack_id=generate_stack_id(stack_name, self.region_name, self.account_id), name=stack_name,
                template={}, parameters=parameters, account_id=self.account_id, region_name=self.region_name,
                notification_arns=notification_arns, tags=tags, role_arn=role_arn,
                cross_stack_resources=self.exports,
            )
            self.stacks[stack.stack_id] = stack
            engine.stack_event(stack, "REVIEW_IN_PROGRESS", "User Initiated")
        change_set = ChangeSet(
            resolved_parameters=dict(check.resolved_parameters),
            conditions=dict(check.lazy_condition_map),
            change_set_type=change_set_type,
            change_set_id=generate_changeset_id(change_set_name, self.region_name, self.account_id),
            change_set_name=change_set_name, stack=stack, template=template, parameters=parameters,
            description=description, notification_arns=notification_arns, tags=tags, role_arn=role_arn,
        )
        change_set.capabilities = list(request_options().get("capabilities") or [])
        if change_set_type == "UPDATE" and not change_set.changes and (not tags or tags == stack.tags):
            change_set.status = "FAILED"
            change_set.execution_status = "UNAVAILABLE"
            change_set.status_reason = ("The submitted information didn't contain changes. Submit different"
                                        " information to create a change set.")
        else:
            change_set.status = "CREATE_COMPLETE"
            change_set.execution_status = "AVAILABLE"
        self.change_sets[change_set.change_set_id] = change_set
        return change_set.change_set_id, stack.stack_id

    def _find_change_set(self, change_set_name: str, stack_name: str | None = None):
        if change_set_name in self.change_sets:
            return self.change_sets[change_set_name]
        stack = self._live_stack(stack_name) if stack_name else None
        for change_set in self.change_sets.values():
            if change_set.change_set_name == change_set_name and (stack is None or change_set.stack_id == stack.stack_id):
                return change_set
        if stack_name and stack is None:
            raise ValidationError(message=f"Stack [{stack_name}] does not exist")
        from moto.cloudformation.exceptions import CloudFormationError

        class ChangeSetNotFound(CloudFormationError):
            code = "ChangeSetNotFound"

        raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist")

    def describe_change_set(self, change_set_name: str, stack_name: str | None = None):  # type: ignore[override]
        return self._find_change_set(change_set_name, stack_name)

    def delete_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:  # type: ignore[override]
        change_set = self._find_change_set(change_set_name, stack_name)
        self.change_sets.pop(change_set.change_set_id, None)

    def list_change_sets(self, stack_name: str | None = None):  # type: ignore[override]
        stack = self._live_stack(stack_name) if stack_name else None
        return [cs for cs in self.change_sets.values() if stack is None or cs.stack_id == stack.stack_id]

    def execute_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self._find_change_set(change_set_name, stack_name)
        stack = self.stacks.get(change_set.stack_id)
        if not isinstance(change_set, ChangeSet) or not isinstance(stack, Stack):
            return super().execute_change_set(change_set_name, stack_name)
        if change_set.execution_status != "AVAILABLE":
            from moto.cloudformation.exceptions import CloudFormationError

            class InvalidChangeSetStatus(CloudFormationError):
                code = "InvalidChangeSetStatus"

            raise InvalidChangeSetStatus(
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of"
                f" [{change_set.execution_status}]")
        disable_rollback = request_options().get("disable_rollback", False)
        if change_set.change_set_type == "CREATE":
            stack.disable_rollback = disable_rollback
            stack.on_failure = "DO_NOTHING" if disable_rollback else "ROLLBACK"
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        for other in [cs for cs in self.change_sets.values() if cs.stack_id == stack.stack_id and cs is not change_set]:
            self.change_sets.pop(other.change_set_id, None)
        stack.capabilities = list(change_set.capabilities)
        if change_set.change_set_type == "CREATE":
            stack.template = change_set.template
            stack.switch_template(change_set.template_dict, change_set.parameters)
            if change_set.tags:
                stack.tags = change_set.tags
            engine.stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated")
        else:
            if stack.status not in engine.UPDATABLE:
                raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be"
                                      " updated.")
            engine.stack_event(stack, "UPDATE_IN_PROGRESS", "User Initiated")
        engine.start(stack, self, "execute", change_set=change_set, disable_rollback=disable_rollback)


def install() -> None:
    cfn_models.cloudformation_backends.backend = LocalCloudFormationBackend
    for account in cfn_models.cloudformation_backends.values():  # backends made before install (none normally)
        account.backend = LocalCloudFormationBackend
        for region in list(account):
            old = account[region]
            if not isinstance(old, LocalCloudFormationBackend):
                account[region] = LocalCloudFormationBackend(region, old.account_id)
