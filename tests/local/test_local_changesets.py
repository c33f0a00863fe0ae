"""Change sets on the local AWS: AWS's ChangeSetType rules and real per-resource Changes."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.local import templates as T
from tests.local.conftest import outputs, wait_stack


def changes_of(cfn, stack: str, change_set: str) -> dict[str, dict]:
    described = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}


def test_without_change_set_type_a_missing_stack_is_an_error(cfn, stack_name):
    with pytest.raises(ClientError, match=rf"Stack \[{stack_name}\] does not exist"):
        cfn.create_change_set(StackName=stack_name, ChangeSetName="first", TemplateBody=T.body(T.small()))
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=stack_name)


def test_create_change_set_then_execute(cfn, stack_name):
    created = cfn.create_change_set(StackName=stack_name, ChangeSetName="first", ChangeSetType="CREATE",
                                    TemplateBody=T.body(T.small()))
    assert created["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    described = cfn.describe_change_set(StackName=stack_name, ChangeSetName="first")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Action"] for c in described["Changes"]} == {
        "Queue": "Add", "Logs": "Add", "Topic": "Add"}
    # CREATE again while it is only under review is fine; on a created stack it is not.
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="first")
    assert cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE" and outputs(stack)["QueueUrl"]
    assert cfn.describe_change_set(StackName=stack_name, ChangeSetName="first")["ExecutionStatus"] == "EXECUTE_COMPLETE"
    with pytest.raises(ClientError, match="already exists"):
        cfn.create_change_set(StackName=stack_name, ChangeSetName="again", ChangeSetType="CREATE",
                              TemplateBody=T.body(T.small()))
    with pytest.raises(ClientError, match="cannot be executed in its current execution status"):
        cfn.execute_change_set(StackName=stack_name, ChangeSetName="first")


def test_update_change_set_lists_add_modify_remove_with_replacement(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.full()))
    stack = wait_stack(cfn, stack_name)
    template = T.full()
    service = template["Resources"]["Service"]["Properties"]
    service["DesiredCount"] = 3
    template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] = "nginx:1.27"
    template["Resources"]["Namespace"]["Properties"]["Name"] = "internal2.local"
    del template["Resources"]["DeployApp"]
    del template["Outputs"]["DeployAppName"]
    template["Resources"]["Alerts"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
    cfn.create_change_set(StackName=stack_name, ChangeSetName="bump", TemplateBody=T.body(template))  # UPDATE
    changes = changes_of(cfn, stack_name, "bump")
    assert changes["Alerts"]["Action"] == "Add"
    assert changes["DeployApp"]["Action"] == "Remove" and changes["DeployApp"]["PhysicalResourceId"]
    task = changes["TaskDefinition"]
    assert (task["Action"], task["Replacement"]) == ("Modify", "True")
    assert task["Details"][0]["Target"] == {"Attribute": "Properties", "Name": "ContainerDefinitions",
                                            "RequiresRecreation": "Always"}
    svc = changes["Service"]
    assert (svc["Action"], svc["Replacement"]) == ("Modify", "False")
    assert svc["PhysicalResourceId"] == outputs(stack)["ServiceArn"]
    by_name = {d["Target"]["Name"]: d for d in svc["Details"]}
    assert by_name["DesiredCount"]["ChangeSource"] == "DirectModification"
    assert by_name["DesiredCount"]["Target"]["RequiresRecreation"] == "Never"
    assert (by_name["TaskDefinition"]["Evaluation"], by_name["TaskDefinition"]["ChangeSource"],
            by_name["TaskDefinition"]["CausingEntity"]) == ("Dynamic", "ResourceReference", "TaskDefinition")
    assert changes["Namespace"]["Replacement"] == "True"  # a new name replaces the namespace
    assert changes["DiscoveryService"]["Replacement"] == "Conditional"  # its NamespaceId may change
    assert "Cluster" not in changes and "Vpc" not in changes
    # Executing it applies it.
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="bump")
    assert wait_stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"


def test_change_set_without_changes_fails(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    wait_stack(cfn, stack_name)
    cfn.create_change_set(StackName=stack_name, ChangeSetName="same", TemplateBody=T.body(T.small()))
    described = cfn.describe_change_set(StackName=stack_name, ChangeSetName="same")
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert "didn't contain changes" in described["StatusReason"]


def test_change_sets_are_scoped_to_their_stack(cfn, stack_name):
    other = f"{stack_name}-b"
    for name in (stack_name, other):
        cfn.create_stack(StackName=name, TemplateBody=T.body(T.small()))
        wait_stack(cfn, name)
        cfn.create_change_set(StackName=name, ChangeSetName="grow",
                              TemplateBody=T.body(T.small(More={"Type": "AWS::SQS::Queue"})))
    listed = cfn.list_change_sets(StackName=other)["Summaries"]
    assert [s["StackName"] for s in listed] == [other]
    cfn.delete_change_set(StackName=stack_name, ChangeSetName="grow")
    assert cfn.list_change_sets(StackName=stack_name)["Summaries"] == []
    assert changes_of(cfn, other, "grow")["More"]["Action"] == "Add"
