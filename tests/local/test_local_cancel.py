"""CancelUpdateStack on the local AWS: only while UPDATE_IN_PROGRESS; it stops the update and rolls it back."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.local import templates as T
from tests.local.conftest import events, outputs, wait_stack

SLOW = {"stp:local": {"delay": 30}}  # far longer than the test may take: only a cancel ends it in time
NOT_NOW = "CancelUpdateStack cannot be called from current stack status"


def wait_resource(cfn, stack: str, logical_id: str, status: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        rows = {r["LogicalResourceId"]: r["ResourceStatus"]
                for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]}
        if rows.get(logical_id) == status:
            return
        assert time.monotonic() < deadline, f"{logical_id} never reached {status}: {rows}"
        time.sleep(0.02)


def slow_update() -> dict:
    """Old small() plus: Logs retention 7 -> 14 (quick), a new queue (quick), the Topic renamed (slow)."""
    template = T.small(Added={"Type": "AWS::SQS::Queue", "Properties": {}})
    template["Resources"]["Logs"]["Properties"]["RetentionInDays"] = 14
    template["Resources"]["Topic"]["Properties"]["DisplayName"] = "renamed"
    template["Resources"]["Topic"]["Metadata"] = SLOW
    return template


def assert_rolled_back(cfn, aws, stack_name: str, before: int, started: float) -> list[dict]:
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert time.monotonic() - started < 10, "the cancel did not interrupt the slow resource"
    evs = events(cfn, stack_name)[before:]
    stages = [(e["ResourceStatus"], e.get("ResourceStatusReason")) for e in evs if e["LogicalResourceId"] == stack_name]
    assert [s for s, _ in stages] == ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                                      "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]
    assert stages[1][1] == "User Initiated"
    per = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in evs
           if e["LogicalResourceId"] != stack_name]
    rollback_at = next(i for i, e in enumerate(evs) if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS")
    # the resource in flight is cancelled, before the rollback starts
    assert ("Topic", "UPDATE_FAILED", "Resource update cancelled") in per
    cancelled_at = next(i for i, e in enumerate(evs) if e["ResourceStatus"] == "UPDATE_FAILED")
    assert cancelled_at < rollback_at
    rolled = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in evs[rollback_at:]]
    # modified resources get their old properties back, the added one is deleted in the cleanup
    for lid in ("Logs", "Topic"):
        assert (lid, "UPDATE_IN_PROGRESS") in rolled and (lid, "UPDATE_COMPLETE") in rolled, (lid, rolled)
    cleanup = rolled.index((stack_name, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert rolled.index(("Added", "DELETE_IN_PROGRESS")) > cleanup
    assert rolled.index(("Added", "DELETE_COMPLETE")) > cleanup
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"{stack_name}-Logs")["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [7]
    rows = {r["LogicalResourceId"]: r["ResourceStatus"]
            for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]}
    assert set(rows) == {"Queue", "Logs", "Topic"}
    assert all(s in ("UPDATE_COMPLETE", "CREATE_COMPLETE") for s in rows.values()), rows
    assert outputs(stack)["QueueUrl"]
    topic_arn = next(r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=stack_name)[
        "StackResourceSummaries"] if r["LogicalResourceId"] == "Topic")
    name = aws("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"].get("DisplayName", "")
    assert name != "renamed"
    return evs


def test_cancel_stops_a_running_update_and_rolls_it_back(cfn, aws, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    assert wait_stack(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    before = len(events(cfn, stack_name))
    started = time.monotonic()
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(slow_update()))
    wait_resource(cfn, stack_name, "Topic", "UPDATE_IN_PROGRESS")
    wait_resource(cfn, stack_name, "Added", "CREATE_COMPLETE")
    cfn.cancel_update_stack(StackName=stack_name)
    assert_rolled_back(cfn, aws, stack_name, before, started)
    with pytest.raises(ClientError, match=NOT_NOW):  # nothing left to cancel
        cfn.cancel_update_stack(StackName=stack_name)
    # the stack takes updates again, and a new update is not hit by the old cancel
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(T.small(Added={"Type": "AWS::SQS::Queue"})))
    assert wait_stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"


def test_cancel_of_an_executing_change_set(cfn, aws, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    wait_stack(cfn, stack_name)
    before = len(events(cfn, stack_name))
    cfn.create_change_set(StackName=stack_name, ChangeSetName="slow", TemplateBody=T.body(slow_update()),
                          ChangeSetType="UPDATE")
    deadline = time.monotonic() + 5
    while cfn.describe_change_set(StackName=stack_name, ChangeSetName="slow")["Status"] != "CREATE_COMPLETE":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="slow")
    wait_resource(cfn, stack_name, "Topic", "UPDATE_IN_PROGRESS")
    cfn.cancel_update_stack(StackName=stack_name)
    try:  # asked again: accepted while the stack is still UPDATE_IN_PROGRESS, refused once it rolls back
        cfn.cancel_update_stack(StackName=stack_name)
    except ClientError as exc:
        assert exc.response["Error"]["Message"] == NOT_NOW
    assert_rolled_back(cfn, aws, stack_name, before, started)


def test_cancel_is_refused_outside_update_in_progress(cfn, stack_name):
    with pytest.raises(ClientError) as missing:
        cfn.cancel_update_stack(StackName=stack_name)
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    assert "does not exist" in missing.value.response["Error"]["Message"]
    template = T.small()
    template["Resources"]["Topic"]["Metadata"] = {"stp:local": {"delay": 0.5}}
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template))
    with pytest.raises(ClientError) as creating:  # a creation cannot be cancelled (delete the stack instead)
        cfn.cancel_update_stack(StackName=stack_name)
    assert creating.value.response["Error"]["Code"] == "ValidationError"
    assert creating.value.response["Error"]["Message"] == NOT_NOW
    assert creating.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert wait_stack(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError, match=NOT_NOW):
        cfn.cancel_update_stack(StackName=stack_name)
    evs = events(cfn, stack_name)
    assert not any("ROLLBACK" in e["ResourceStatus"] for e in evs)
