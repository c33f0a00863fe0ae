"""Stack operations run in the background the way CloudFormation runs them.

CreateStack / UpdateStack / DeleteStack / ExecuteChangeSet return at once; a thread per operation
walks the resources in dependency order, several at a time (a resource starts when everything it
needs is complete), each taking its simulated duration (`config.CONFIG.delay_for`), and writes the
per-resource events AWS writes:

    CREATE_IN_PROGRESS (no physical id) -> CREATE_IN_PROGRESS "Resource creation Initiated" -> CREATE_COMPLETE

The first failure (a moto error while creating/updating the resource, or a failure injected with
`Metadata: {"stp:local": {"fail": "reason"}}`) becomes `CREATE_FAILED`/`UPDATE_FAILED` with a
ResourceStatusReason, resources still in flight are cancelled, and the stack rolls back:

    create: ROLLBACK_IN_PROGRESS, delete what was created (reverse order), ROLLBACK_COMPLETE
            (OnFailure=DO_NOTHING / DisableRollback: CREATE_FAILED; OnFailure=DELETE: then deleted)
    update: UPDATE_ROLLBACK_IN_PROGRESS, re-apply the old properties of updated resources,
            UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, delete what was added, UPDATE_ROLLBACK_COMPLETE

Removed resources are deleted in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, after everything else succeeded.
CancelUpdateStack (only while UPDATE_IN_PROGRESS) sets `runtime.cancel`: the update stops starting resources,
those in flight end UPDATE_FAILED/CREATE_FAILED "Resource update/creation cancelled", and the stack rolls back as
above with the reason "User Initiated".
Each step holds `state.LOCK` (shared with the request handlers) and never while waiting.
"""

from __future__ import annotations

import contextlib
import copy
import heapq
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.cloudformation.models import Event
from moto.core.utils import utcnow

from core.local import state
from core.local.config import CONFIG
from core.local.extensions.cloudformation import graph as g

log = logging.getLogger("stp.local.cloudformation")

_thread = threading.local()  # .active: this thread runs an operation (nested stacks then run inline)

UPDATABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED", "IMPORT_COMPLETE",
             "IMPORT_ROLLBACK_COMPLETE"}
SKIP = "skip"  # step result: nothing to do (DeletionPolicy: Retain)


@dataclass
class ResourceRecord:
    """What ListStackResources shows for one resource."""

    logical_id: str
    resource_type: str
    status: str
    reason: str | None = None
    physical_id: str | None = None
    updated: datetime = field(default_factory=utcnow)
    touched: bool = False  # the current operation has started on it

    def set(self, status: str, reason: str | None = None) -> None:
        self.status, self.reason, self.updated = status, reason, utcnow()


class StackRuntime:
    """Engine state attached to each stack (`stack.runtime`)."""

    def __init__(self) -> None:
        self.records: dict[str, ResourceRecord] = {}
        self.op_lock = threading.Lock()  # one operation at a time per stack
        self.thread: threading.Thread | None = None
        self.operations = 0  # started and not finished (changed under state.LOCK)
        self.cancel = threading.Event()  # CancelUpdateStack: the running update stops and rolls back

    @property
    def idle(self) -> bool:
        return self.operations == 0


class InjectedFailure(Exception):
    pass


def is_model(value: Any) -> bool:
    """A created resource object in moto's resource map (not a parameter value, mapping or None)."""
    return value is not None and not isinstance(value, str | int | float | bool | list | dict)


def failure_reason(exc: BaseException) -> str:
    """ResourceStatusReason for an exception raised while provisioning (AWS's wording for handler errors)."""
    if isinstance(exc, InjectedFailure):
        return str(exc)
    code = getattr(exc, "code", None) or getattr(exc, "error_type", None)
    message = getattr(exc, "message", None) or getattr(exc, "description", None) or str(exc)
    if code or type(exc).__module__.startswith("moto"):
        handler_code = {
            "ValidationError": "InvalidRequest", "ValidationException": "InvalidRequest",
            "InvalidParameterException": "InvalidRequest", "InvalidParameterValue": "InvalidRequest",
            "AlreadyExistsException": "AlreadyExists", "ResourceAlreadyExistsException": "AlreadyExists",
            "EntityAlreadyExists": "AlreadyExists",
        }.get(str(code), "NotFound" if "NotFound" in str(code) else "GeneralServiceException")
        return (f'Resource handler returned message: "{message}" (RequestToken: {uuid.uuid4()},'
                f" HandlerErrorCode: {handler_code})")
    log.error("local AWS internal error while provisioning:\n%s", "".join(traceback.format_exception(exc)))
    return f"Internal error of the local AWS (moto) while provisioning this resource: {type(exc).__name__}: {exc}"


def injected_failure(resource: dict[str, Any], action: str) -> str | None:
    local = (resource.get("Metadata") or {}).get("stp:local") if isinstance(resource.get("Metadata"), dict) else None
    if not isinstance(local, dict) or not local.get("fail"):
        return None
    when = local.get("failOn") or ["CREATE", "UPDATE"]
    if action not in ([when] if isinstance(when, str) else when):
        return None
    return local["fail"] if isinstance(local["fail"], str) else f"Injected failure ({action})"


# ---------------------------------------------------------------- events


def resource_event(stack, logical_id: str, resource_type: str, status: str, reason: str | None = None,
                   physical_id: str | None = None) -> None:
    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=physical_id or "",
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    try:
        event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    except Exception:  # noqa: BLE001 - a notification topic that is gone must not break the operation
        log.warning("could not notify %s", stack.notification_arns)
    stack.events.append(event)


def stack_event(stack, status: str, reason: str | None = None) -> None:
    stack.status = status
    stack.status_reason = reason
    stack._add_stack_event(status, resource_status_reason=reason)


# ---------------------------------------------------------------- the scheduler


class Walk:
    """Runs steps over a dependency graph: a node starts when all it needs are done; steps overlap in time.

    step(node) -> (seconds, error | None | SKIP): starts the node (under the lock)
    finish(node, error) -> bool: ends it after its seconds (under the lock); False = it failed
    cancel(node): a node still in flight when another one failed (stop_on_failure only), or when ``abort`` is set
    abort: once set, no node starts any more, those in flight are cancelled and `run` returns (``aborted``)
    """

    def __init__(self, graph: dict[str, set[str]], order: list[str], step: Callable, finish: Callable,
                 cancel: Callable | None = None, *, stop_on_failure: bool = True, inline: bool = False,
                 abort: threading.Event | None = None):
        self.graph, self.order = graph, order
        self.step, self.finish, self.cancel = step, finish, cancel
        self.stop_on_failure, self.inline = stop_on_failure, inline
        self.abort = abort
        self.aborted = False

    def _sleep(self, seconds: float) -> bool:
        """Wait; True when the server shuts down or the walk is aborted meanwhile."""
        if self.abort is None:
            return state.shutting_down.wait(seconds)
        end = time.monotonic() + seconds
        while True:
            if state.shutting_down.is_set() or self.abort.is_set():
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.abort.wait(min(left, 0.1))

    def _abort(self, inflight: list) -> None:
        self.aborted = True
        while inflight:
            _, _, other, _ = heapq.heappop(inflight)
            with state.LOCK:
                if self.cancel is not None:
                    self.cancel(other)

    def run(self) -> tuple[list[str], list[str]]:
        """(failed nodes, nodes never started because something they need failed)."""
        done: set[str] = set()
        failed: list[str] = []
        pending = [n for n in self.order if n in self.graph]
        inflight: list[tuple[float, int, str, Any]] = []
        seq = 0
        while True:
            if self.abort is not None and self.abort.is_set():
                self._abort(inflight)
                return failed, pending
            if not (failed and self.stop_on_failure):
                ready = [n for n in pending if self.graph[n] <= done]
                for node in ready:
                    pending.remove(node)
                    with state.LOCK:
                        seconds, error = self.step(node)
                    due = time.monotonic() + (0.0 if self.inline else seconds)
                    heapq.heappush(inflight, (due, seq, node, error))
                    seq += 1
            if not inflight:
                return failed, pending
            due, _, node, error = heapq.heappop(inflight)
            wait = due - time.monotonic()
            if wait > 0 and self._sleep(wait):
                if state.shutting_down.is_set():
                    return failed or [node], pending
                heapq.heappush(inflight, (due, 0, node, error))
                self._abort(inflight)
                return failed, pending
            with state.LOCK:
                ok = self.finish(node, error)
            if ok:
                done.add(node)
            else:
                failed.append(node)
                if self.stop_on_failure:
                    while inflight:
                        _, _, other, _ = heapq.heappop(inflight)
                        with state.LOCK:
                            if self.cancel is not None:
                                self.cancel(other)
                    return failed, pending


# ---------------------------------------------------------------- operations


def start(stack, backend, kind: str, **kwargs: Any) -> None:
    """Run `Operation.<kind>(**kwargs)` in the background (inline when called from an operation: nested stacks)."""
    operation = Operation(stack, backend)
    stack.runtime.operations += 1
    if kind in ("update", "execute"):
        stack.runtime.cancel.clear()  # a cancel of an earlier update does not stop this one
    if getattr(_thread, "active", False):
        operation.inline = True
        operation.guarded(kind, kwargs)
        return
    thread = threading.Thread(target=operation.guarded, args=(kind, kwargs), name=f"cfn-{kind}-{stack.name}",
                              daemon=True)
    stack.runtime.thread = thread
    thread.start()


class Operation:
    def __init__(self, stack, backend):
        self.stack = stack
        self.backend = backend
        self.inline = False

    # ------------------------------------------------------------ plumbing

    @property
    def rm(self):
        return self.stack.resource_map

    @property
    def records(self) -> dict[str, ResourceRecord]:
        return self.stack.runtime.records

    def guarded(self, kind: str, kwargs: dict[str, Any]) -> None:
        was_active = getattr(_thread, "active", False)
        _thread.active = True
        try:
            with self.stack.runtime.op_lock if not self.inline else contextlib.nullcontext():
                getattr(self, kind)(**kwargs)
        except Exception as exc:  # noqa: BLE001 - the stack must not stay IN_PROGRESS forever
            log.error("stack %s: %s failed:\n%s", self.stack.name, kind, traceback.format_exc())
            with state.LOCK:
                creating = kind == "create" or (kind == "execute" and kwargs["change_set"].change_set_type == "CREATE")
                failed = "CREATE_FAILED" if creating else "DELETE_FAILED" if kind == "delete" else "UPDATE_ROLLBACK_FAILED"
                stack_event(self.stack, failed, f"Internal error of the local AWS: {type(exc).__name__}: {exc}")
        finally:
            _thread.active = was_active
            with state.LOCK:
                self.stack.runtime.operations -= 1

    def _resources(self, template: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resources of the template whose Condition holds."""
        template = self.stack.template_dict if template is None else template
        resources = template.get("Resources") or {}
        conditions = getattr(self.rm, "lazy_condition_map", {}) or {}
        return {k: v for k, v in resources.items()
                if not (isinstance(v, dict) and v.get("Condition")) or conditions.get(v["Condition"], True)}

    def _delay(self, resource: dict[str, Any]) -> float:
        return 0.0 if self.inline else CONFIG.delay_for(resource.get("Type", ""), resource.get("Metadata"))

    def _record(self, logical_id: str, resource: dict[str, Any], status: str) -> ResourceRecord:
        record = self.records.get(logical_id)
        if record is None:
            record = self.records[logical_id] = ResourceRecord(logical_id, resource.get("Type", ""), status)
        record.resource_type = resource.get("Type", record.resource_type)
        record.set(status)
        record.touched = True
        return record

    def _event(self, record: ResourceRecord, status: str, reason: str | None = None, physical: bool = True) -> None:
        record.set(status, reason)
        resource_event(self.stack, record.logical_id, record.resource_type, status, reason,
                       record.physical_id if physical else None)

    def _physical_id(self, logical_id: str, instance: Any) -> str:
        value = getattr(instance, "physical_resource_id", None)
        return str(value) if value is not None else logical_id

    def _tag_ec2(self, logical_id: str, instance: Any) -> None:
        from moto.ec2 import models as ec2_models
        from moto.ec2.models.core import TaggedEC2Resource

        if isinstance(instance, TaggedEC2Resource):
            tags = dict(self.rm.tags)
            tags["aws:cloudformation:logical-id"] = logical_id
            ec2_models.ec2_backends[self.stack.account_id][self.stack.region_name].create_tags(
                [instance.physical_resource_id], tags)

    def _note(self, instance: Any) -> str | None:
        from core.local.extensions.placeholders import is_placeholder

        if is_placeholder(instance):
            return f"stp local: {instance.cf_resource_type} is not emulated; created as a placeholder"
        return None

    # ------------------------------------------------------------ create

    def create(self) -> None:
        stack = self.stack
        for record in self.records.values():
            record.touched = False
        resources = self._resources()
        graph = g.dependencies(resources)
        failed, _ = Walk(graph, g.topological(graph, resources), self._create_step, self._create_finish,
                         self._cancel("CREATE_FAILED", "Resource creation cancelled"), inline=self.inline).run()
        if not failed:
            with state.LOCK:
                problem = self._finish_outputs()
            if problem is None:
                with state.LOCK:
                    stack_event(stack, "CREATE_COMPLETE")
                return
            failure = problem
        else:
            failure = f"The following resource(s) failed to create: [{', '.join(sorted(failed))}]."
        if stack.on_failure == "DO_NOTHING":
            with state.LOCK:
                stack_event(stack, "CREATE_FAILED", failure)
            return
        with state.LOCK:
            stack_event(stack, "ROLLBACK_IN_PROGRESS", f"{failure} Rollback requested by user.")
        touched = [lid for lid, r in self.records.items() if r.touched]
        rolled_back = self._delete_resources(touched, resources)
        with state.LOCK:
            stack_event(stack, "ROLLBACK_COMPLETE" if rolled_back else "ROLLBACK_FAILED",
                        None if rolled_back else "The following resource(s) failed to delete during rollback.")
        if rolled_back and stack.on_failure == "DELETE":
            self.delete()

    def _create_step(self, logical_id: str):
        resource = self._resources()[logical_id]
        record = self._record(logical_id, resource, "CREATE_IN_PROGRESS")
        record.physical_id = None
        self._event(record, "CREATE_IN_PROGRESS", physical=False)
        try:
            injected = injected_failure(resource, "CREATE")
            if injected:
                raise InjectedFailure(injected)
            instance = self.rm[logical_id]
            if instance is None:
                raise InjectedFailure(f"Resource type {resource.get('Type')} could not be created by the local AWS")
            self._tag_ec2(logical_id, instance)
            record.physical_id = self._physical_id(logical_id, instance)
            self._event(record, "CREATE_IN_PROGRESS", "Resource creation Initiated")
            return self._delay(resource), None
        except Exception as exc:  # noqa: BLE001 - any provisioning error fails the resource, as on AWS
            return self._delay(resource), failure_reason(exc)

    def _create_finish(self, logical_id: str, error: Any) -> bool:
        record = self.records[logical_id]
        if error:
            self._event(record, "CREATE_FAILED", error)
            return False
        self._event(record, "CREATE_COMPLETE", self._note(self.rm._parsed_resources.get(logical_id)))
        return True

    def _cancel(self, status: str, reason: str):
        def cancel(logical_id: str) -> None:
            self._event(self.records[logical_id], status, reason)
        return cancel

    def _finish_outputs(self) -> str | None:
        """Outputs and exports of the completed stack; a problem with them fails the operation."""
        try:
            self.stack.refresh_outputs()
            for export in self.stack.exports:
                owner = self.backend.exports.get(export.name)
                if owner is not None and owner.exporting_stack_id != self.stack.stack_id:
                    return f"Export with name {export.name} is already exported by stack {owner.exporting_stack_id}."
            for name in [n for n, e in self.backend.exports.items() if e.exporting_stack_id == self.stack.stack_id]:
                del self.backend.exports[name]
            for export in self.stack.exports:
                self.backend.exports[export.name] = export
        except Exception as exc:  # noqa: BLE001 - an output that cannot be resolved fails the stack, as on AWS
            return f"Template error: outputs could not be resolved: {failure_reason(exc)}"
        return None

    # ------------------------------------------------------------ delete

    def delete(self) -> None:
        stack = self.stack
        with state.LOCK:
            if stack.status == "DELETE_COMPLETE":
                return
            if stack.status != "DELETE_IN_PROGRESS":  # else the backend already reported it
                stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
            for record in self.records.values():
                record.touched = False
        resources = self._resources()
        existing = [lid for lid in resources if lid in self.records or is_model(self.rm._parsed_resources.get(lid))]
        ok = self._delete_resources(existing, resources, retain=True)
        with state.LOCK:
            if not ok:
                failed = sorted(lid for lid, r in self.records.items() if r.status == "DELETE_FAILED")
                stack_event(stack, "DELETE_FAILED", f"The following resource(s) failed to delete: [{', '.join(failed)}].")
                return
            stack_event(stack, "DELETE_COMPLETE")
            stack.deletion_time = utcnow()
            self.backend.stacks.pop(stack.stack_id, None)
            self.backend.deleted_stacks[stack.stack_id] = stack
            for name in [n for n, e in self.backend.exports.items() if e.exporting_stack_id == stack.stack_id]:
                del self.backend.exports[name]

    def _delete_resources(self, logical_ids: list[str], resources: dict[str, Any], *, retain: bool = False) -> bool:
        """Delete these resources, dependents first; True when all are gone (or retained)."""
        if not logical_ids:
            return True
        known = {lid: resources.get(lid) or {"Type": self.records[lid].resource_type} for lid in logical_ids}
        graph = g.reverse(g.dependencies(known))
        order = list(reversed(g.topological(g.dependencies(known), list(known))))

        def step(logical_id: str):
            resource = known[logical_id]
            record = self._record(logical_id, resource, "DELETE_IN_PROGRESS")
            if retain and resource.get("DeletionPolicy") == "Retain":
                return 0.0, SKIP
            self._event(record, "DELETE_IN_PROGRESS")
            try:
                injected = injected_failure(resource, "DELETE")
                if injected:
                    raise InjectedFailure(injected)
                instance = self.rm._parsed_resources.get(logical_id)
                if is_model(instance):
                    self.rm._delete_resource(instance, resource)
                self.rm._parsed_resources.pop(logical_id, None)
                return self._delay(resource), None
            except Exception as exc:  # noqa: BLE001
                return self._delay(resource), failure_reason(exc)

        def finish(logical_id: str, error: Any) -> bool:
            record = self.records[logical_id]
            if error == SKIP:
                self._event(record, "DELETE_SKIPPED")
                self.records.pop(logical_id, None)
                return True
            if error:
                self._event(record, "DELETE_FAILED", error)
                return False
            self._event(record, "DELETE_COMPLETE")
            self.records.pop(logical_id, None)
            return True

        failed, blocked = Walk(graph, order, step, finish, stop_on_failure=False, inline=self.inline).run()
        return not failed and not blocked

    # ------------------------------------------------------------ update

    def update(self, template: str, template_dict: dict[str, Any], parameters: dict[str, Any],
               changes: list[dict[str, Any]], tags: dict[str, str] | None = None,
               change_set: Any = None, disable_rollback: bool = False) -> None:
        from core.local.extensions.cloudformation.changes import actions

        stack = self.stack
        with state.LOCK:
            for record in self.records.values():
                record.touched = False
            old_body, old_dict, old_params = stack.template, stack.template_dict, dict(stack.parameters or {})
            old_resources = self._resources()
            acts = actions(changes)
            stack.switch_template(template_dict, parameters)
            if tags is not None:
                stack.tags = tags
            new_resources = self._resources()
        apply = [lid for lid in new_resources if lid in acts["Add"] or lid in acts["Modify"]]
        graph = g.dependencies(new_resources, among=apply)
        kinds = {lid: ("Add" if lid in acts["Add"] or lid not in self.records else "Modify") for lid in apply}
        cancel = stack.runtime.cancel
        walk = Walk(graph, g.topological(graph, new_resources),
                    lambda lid: self._update_step(lid, new_resources[lid], kinds[lid]),
                    lambda lid, err: self._update_finish(lid, err, kinds[lid]),
                    self._cancel_update(kinds), inline=self.inline, abort=None if self.inline else cancel)
        failed, _ = walk.run()
        problem = None
        cancelled = walk.aborted
        if not failed and not cancelled:
            with state.LOCK:  # CancelUpdateStack holds the lock too: it comes before this point or is refused
                cancelled = cancel.is_set()
                if not cancelled:
                    problem = self._finish_outputs()
                if not cancelled and problem is None:
                    stack_event(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
                    stack.template = template
                    stack.last_updated_time = utcnow()
        if not failed and not cancelled and problem is None:
            removed = [lid for lid in acts["Remove"] if lid in self.records or lid in self.rm._parsed_resources]
            self._delete_resources(removed, old_resources, retain=True)  # cleanup failures do not fail the update
            with state.LOCK:
                stack_event(stack, "UPDATE_COMPLETE")
                if change_set is not None:
                    change_set.execution_status = "EXECUTE_COMPLETE"
            return
        # Roll back.
        if failed:
            verbs = {"Add": "create", "Modify": "update"}
            by_verb: dict[str, list[str]] = {}
            for lid in failed:
                by_verb.setdefault(verbs[kinds[lid]], []).append(lid)
            problem = " ".join(f"The following resource(s) failed to {verb}: [{', '.join(sorted(ids))}]."
                               for verb, ids in by_verb.items())
        elif cancelled:
            problem = "User Initiated"
        if disable_rollback and not cancelled:  # DisableRollback: stop where it failed
            with state.LOCK:
                stack_event(stack, "UPDATE_FAILED", problem)
                stack.template = template
                if change_set is not None:
                    change_set.execution_status = "EXECUTE_FAILED"
            return
        with state.LOCK:
            stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", problem)
            stack.switch_template(old_dict, old_params)
            stack.template = old_body
            if change_set is not None:
                change_set.execution_status = "EXECUTE_FAILED"
        modified = [lid for lid in old_resources if kinds.get(lid) == "Modify" and self.records.get(lid)
                    and self.records[lid].touched]
        old_graph = g.dependencies(old_resources, among=modified)
        reverted_failed, _ = Walk(old_graph, g.topological(old_graph, old_resources),
                                  lambda lid: self._update_step(lid, old_resources[lid], "Modify", rollback=True),
                                  lambda lid, err: self._update_finish(lid, err, "Modify"),
                                  stop_on_failure=False, inline=self.inline).run()
        with state.LOCK:
            stack_event(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        added = [lid for lid in apply if kinds[lid] == "Add" and self.records.get(lid) and self.records[lid].touched]
        removed_ok = self._delete_resources(added, new_resources)
        with state.LOCK:
            self.stack.refresh_outputs(quiet=True)
            if reverted_failed or not removed_ok:
                stack_event(stack, "UPDATE_ROLLBACK_FAILED",
                            f"The following resource(s) failed to roll back: [{', '.join(sorted(reverted_failed))}].")
            else:
                stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")

    def _update_step(self, logical_id: str, resource: dict[str, Any], kind: str, rollback: bool = False):
        if kind == "Add":
            return self._create_step(logical_id)
        from moto.cloudformation.parsing import parse_and_update_resource

        record = self._record(logical_id, resource, "UPDATE_IN_PROGRESS")
        self._event(record, "UPDATE_IN_PROGRESS")
        try:
            injected = None if rollback else injected_failure(resource, "UPDATE")
            if injected:
                raise InjectedFailure(injected)
            updated = parse_and_update_resource(logical_id, resource, self.rm, account_id=self.stack.account_id,
                                                region_name=self.stack.region_name)
            if updated is None:  # moto's model cannot update: replace it
                updated = self._recreate(logical_id, resource)
            if updated is not None:
                updated.logical_resource_id = logical_id
                self.rm._parsed_resources[logical_id] = updated
                self._tag_ec2(logical_id, updated)
                record.physical_id = self._physical_id(logical_id, updated)
            return self._delay(resource), None
        except Exception as exc:  # noqa: BLE001
            return self._delay(resource), failure_reason(exc)

    def _recreate(self, logical_id: str, resource: dict[str, Any]) -> Any:
        """Delete and create again, under the old name unless the template names it (moto has no update)."""
        from moto.cloudformation.parsing import (
            get_name_type_map,
            parse_and_create_resource,
        )

        old = self.rm._parsed_resources.pop(logical_id, None)
        body = copy.deepcopy(resource)
        name_property = get_name_type_map().get(resource.get("Type", ""))
        properties = body.setdefault("Properties", {})
        old_name = getattr(old, "name", None)
        if name_property and name_property not in properties and isinstance(old_name, str):
            properties[name_property] = old_name
        if is_model(old):
            self.rm._delete_resource(old, resource)
        created = parse_and_create_resource(logical_id, body, self.rm, account_id=self.stack.account_id,
                                            region_name=self.stack.region_name)
        if created is not None:
            self.rm._parsed_resources[logical_id] = created
        return created

    def _update_finish(self, logical_id: str, error: Any, kind: str) -> bool:
        if kind == "Add":
            return self._create_finish(logical_id, error)
        record = self.records[logical_id]
        if error:
            self._event(record, "UPDATE_FAILED", error)
            return False
        self._event(record, "UPDATE_COMPLETE")
        return True

    def _cancel_update(self, kinds: dict[str, str]):
        def cancel(logical_id: str) -> None:
            if kinds[logical_id] == "Add":
                self._event(self.records[logical_id], "CREATE_FAILED", "Resource creation cancelled")
            else:
                self._event(self.records[logical_id], "UPDATE_FAILED", "Resource update cancelled")
        return cancel

    # ------------------------------------------------------------ change sets

    def execute(self, change_set: Any, disable_rollback: bool = False) -> None:
        """A CREATE change set creates the stack (the backend already switched it to the template); an UPDATE
        one updates it."""
        if change_set.change_set_type == "CREATE":
            self.create()
            with state.LOCK:
                change_set.execution_status = (
                    "EXECUTE_COMPLETE" if self.stack.status == "CREATE_COMPLETE" else "EXECUTE_FAILED")
            return
        self.update(change_set.template, change_set.template_dict, change_set.parameters, change_set.changes,
                    tags=change_set.tags or None, change_set=change_set, disable_rollback=disable_rollback)
