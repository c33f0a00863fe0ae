"""CloudFormation on the local AWS behaves like AWS's: asynchronous, per-resource events, failures roll back."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.local import templates as T
from tests.local.conftest import events, outputs, wait_stack

SLOW = {"stp:local": {"delay": 0.8}}


def resource_events(evs: list[dict]) -> list[dict]:
    return [e for e in evs if e["ResourceType"] != "AWS::CloudFormation::Stack"]


def test_create_returns_at_once_and_progresses_in_the_background(cfn, stack_name):
    template = T.small()
    template["Resources"]["Topic"]["Metadata"] = SLOW
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template))
    first = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    assert first["StackStatus"] == "CREATE_IN_PROGRESS"
    assert "Outputs" not in first
    # While the slow resource is being created, it is listed as in progress with its physical id.
    deadline = time.monotonic() + 5
    while True:
        rows = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]}
        if rows.get("Topic", {}).get("ResourceStatus") == "CREATE_IN_PROGRESS":
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.02)
    assert rows["Queue"]["ResourceStatus"] == "CREATE_COMPLETE"
    assert rows["Topic"]["PhysicalResourceId"].startswith("arn:aws:sns:")
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(stack)["QueueUrl"].startswith("https://sqs.us-east-1.amazonaws.com/")


def test_events_are_per_resource_in_dependency_order(cfn, stack_name):
    template = T.full()
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template))
    assert wait_stack(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    evs = events(cfn, stack_name)
    assert (evs[0]["LogicalResourceId"], evs[0]["ResourceStatus"], evs[0]["ResourceStatusReason"]) == (
        stack_name, "CREATE_IN_PROGRESS", "User Initiated")
    assert (evs[-1]["LogicalResourceId"], evs[-1]["ResourceStatus"]) == (stack_name, "CREATE_COMPLETE")
    per_resource = resource_events(evs)
    resources = template["Resources"]
    for name, body in resources.items():
        statuses = [e["ResourceStatus"] for e in per_resource if e["LogicalResourceId"] == name]
        assert statuses == ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"], (name, statuses)
        mine = [e for e in per_resource if e["LogicalResourceId"] == name]
        assert mine[0].get("PhysicalResourceId", "") == ""  # AWS: no physical id on the very first event
        assert mine[1]["ResourceStatusReason"] == "Resource creation Initiated" and mine[1]["PhysicalResourceId"]
        assert mine[2]["ResourceType"] == body["Type"]
    position = {(e["LogicalResourceId"], e["ResourceStatus"]): i for i, e in enumerate(per_resource)}
    started = {}
    for i, e in enumerate(per_resource):
        started.setdefault(e["LogicalResourceId"], i)
    # Each resource starts only after everything it references is complete.
    needs = {
        "SubnetA": ["Vpc"], "ServiceSecurityGroup": ["Vpc"], "Namespace": ["Vpc"],
        "DiscoveryService": ["Namespace"],
        "Service": ["Cluster", "TaskDefinition", "SubnetA", "SubnetB", "ServiceSecurityGroup", "DiscoveryService",
                    "ConnectNamespace"],
        "ScalableTarget": ["Service", "Cluster"], "CpuPolicy": ["ScalableTarget"],
        "Route": ["HttpApi", "Integration", "Authorizer"], "Integration": ["HttpApi", "VpcLink", "DiscoveryService"],
    }
    for name, deps in needs.items():
        for dep in deps:
            assert position[(dep, "CREATE_COMPLETE")] < started[name], f"{name} started before {dep} completed"
    # Independent resources overlap, as on AWS (several in progress at once).
    assert started["Cluster"] < position[("Vpc", "CREATE_COMPLETE")]


def test_failing_resource_rolls_the_stack_back(cfn, aws, stack_name):
    template = T.small(Broken={"Type": "AWS::SQS::Queue", "DependsOn": "Topic",
                               "Metadata": {"stp:local": {"fail": "Queue quota exceeded"}}, "Properties": {}})
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template))
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    evs = events(cfn, stack_name)
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in evs]
    failed = next(e for e in evs if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Broken" and failed["ResourceStatusReason"] == "Queue quota exceeded"
    rollback = next(e for e in evs if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Broken]. Rollback requested by user.")
    assert statuses.index(("Broken", "CREATE_FAILED")) < statuses.index((stack_name, "ROLLBACK_IN_PROGRESS"))
    # Everything created is deleted again, dependents first.
    assert statuses.index(("Topic", "DELETE_COMPLETE")) < statuses.index(("Queue", "DELETE_IN_PROGRESS"))
    assert statuses[-1] == (stack_name, "ROLLBACK_COMPLETE")
    assert cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"] == []
    assert not [u for u in aws("sqs").list_queues().get("QueueUrls", []) if stack_name in u]
    # A rolled-back stack cannot be updated, only deleted.
    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE state and can not be updated"):
        cfn.update_stack(StackName=stack_name, TemplateBody=T.body(T.small()))


def test_moto_error_becomes_create_failed_with_its_message(cfn, stack_name):
    template = T.small(Service={"Type": "AWS::ECS::Service", "Properties": {"Cluster": "no-such-cluster",
                                                                            "DesiredCount": 1}})
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template), OnFailure="DO_NOTHING")
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Service]."
    failed = [e for e in events(cfn, stack_name) if e["ResourceStatus"] == "CREATE_FAILED"]
    service = next(e for e in failed if e["LogicalResourceId"] == "Service")
    assert 'Resource handler returned message: "Cluster not found."' in service["ResourceStatusReason"]
    assert "HandlerErrorCode: NotFound" in service["ResourceStatusReason"]
    # OnFailure=DO_NOTHING: no rollback, the created resources stay.
    assert not any(e["ResourceStatus"].startswith("ROLLBACK") for e in events(cfn, stack_name))
    rows = {r["LogicalResourceId"]: r["ResourceStatus"]
            for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]}
    assert rows["Queue"] == "CREATE_COMPLETE" and rows["Service"] == "CREATE_FAILED"


def test_template_errors_are_api_errors(cfn, stack_name):
    cyclic = {"Resources": {
        "A": {"Type": "AWS::SQS::Queue", "DependsOn": "B"},
        "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"}}}
    with pytest.raises(ClientError, match=r"Circular dependency between resources: \[A, B\]"):
        cfn.create_stack(StackName=stack_name, TemplateBody=T.body(cyclic))
    with pytest.raises(ClientError, match="Resources member must be defined"):
        cfn.create_stack(StackName=stack_name, TemplateBody='{"Outputs": {}}')


def test_update_adds_modifies_and_removes_in_cleanup(cfn, aws, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    stack = wait_stack(cfn, stack_name)
    queue_url = outputs(stack)["QueueUrl"]
    template = T.small(Extra={"Type": "AWS::SQS::Queue", "Properties": {}})
    template["Resources"]["Logs"]["Properties"]["RetentionInDays"] = 14
    del template["Resources"]["Queue"]
    template["Resources"]["Topic"]["Properties"]["DisplayName"] = "renamed"
    template["Outputs"] = {}
    before = len(events(cfn, stack_name))
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(template))
    assert cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "UPDATE_IN_PROGRESS"
    assert wait_stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"
    update = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cfn, stack_name)[before:]]
    assert ("Logs", "UPDATE_COMPLETE") in update and ("Extra", "CREATE_COMPLETE") in update
    cleanup = update.index((stack_name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert update.index(("Queue", "DELETE_IN_PROGRESS")) > cleanup
    assert update[-1] == (stack_name, "UPDATE_COMPLETE")
    assert queue_url not in aws("sqs").list_queues().get("QueueUrls", [])
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"{stack_name}-Logs")["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [14]  # updated in place, same log group


def test_failing_update_rolls_back_to_the_old_properties(cfn, aws, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    wait_stack(cfn, stack_name)
    template = T.small(Added={"Type": "AWS::SQS::Queue", "Properties": {}})
    template["Resources"]["Logs"]["Properties"]["RetentionInDays"] = 30
    template["Resources"]["Topic"]["Metadata"] = {"stp:local": {"fail": "Topic update refused"}}
    template["Resources"]["Topic"]["Properties"]["DisplayName"] = "changed"
    before = len(events(cfn, stack_name))
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(template))
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    evs = events(cfn, stack_name)[before:]
    failed = next(e for e in evs if e["ResourceStatus"] == "UPDATE_FAILED")
    assert (failed["LogicalResourceId"], failed["ResourceStatusReason"]) == ("Topic", "Topic update refused")
    stages = [e["ResourceStatus"] for e in evs if e["LogicalResourceId"] == stack_name]
    assert stages == ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                      "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]
    rollback_reason = next(e for e in evs if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS")
    assert "failed to update: [Topic]" in rollback_reason["ResourceStatusReason"]
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"{stack_name}-Logs")["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [7]  # back to the old value
    rows = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]}
    assert rows == {"Queue", "Logs", "Topic"}  # the added queue was deleted again
    assert outputs(stack)["QueueUrl"]  # old outputs still there
    # A stack in UPDATE_ROLLBACK_COMPLETE can be updated again.
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(T.small(Added={"Type": "AWS::SQS::Queue"})))
    assert wait_stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"


def test_no_op_update_is_refused(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    wait_stack(cfn, stack_name)
    with pytest.raises(ClientError, match="No updates are to be performed"):
        cfn.update_stack(StackName=stack_name, TemplateBody=T.body(T.small()))


def test_delete_is_asynchronous_and_deletes_resources(cfn, aws, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.full()))
    stack = wait_stack(cfn, stack_name)
    out = outputs(stack)
    cfn.delete_stack(StackName=stack_name)
    assert cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "DELETE_IN_PROGRESS"
    stack_id = stack["StackId"]
    deadline = time.monotonic() + 20
    while cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.03)
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError, match=f"Stack with id {stack_name} does not exist"):
        cfn.describe_stacks(StackName=stack_name)
    evs = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cfn, stack_id)]
    for name in T.FULL["Resources"]:
        assert (name, "DELETE_COMPLETE") in evs, name
    assert evs.index(("Service", "DELETE_COMPLETE")) < evs.index(("Cluster", "DELETE_IN_PROGRESS"))
    service = aws("ecs").describe_services(cluster=out["ClusterName"], services=[out["ServiceName"]])["services"]
    assert [s["status"] for s in service] == ["INACTIVE"]
    assert aws("apigatewayv2").get_apis()["Items"] == [] or out["ApiId"] not in {
        a["ApiId"] for a in aws("apigatewayv2").get_apis()["Items"]}
    # Deleting a stack that does not exist succeeds, as on AWS.
    cfn.delete_stack(StackName=stack_name)


def test_retained_resource_survives_stack_deletion(cfn, aws, stack_name):
    template = {"Resources": {"Kept": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain",
                                       "Properties": {"QueueName": f"{stack_name}-kept"}}}}
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template))
    stack = wait_stack(cfn, stack_name)
    cfn.delete_stack(StackName=stack_name)
    while cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_IN_PROGRESS":
        time.sleep(0.03)
    assert ("Kept", "DELETE_SKIPPED") in [(e["LogicalResourceId"], e["ResourceStatus"])
                                          for e in events(cfn, stack["StackId"])]
    assert aws("sqs").get_queue_url(QueueName=f"{stack_name}-kept")["QueueUrl"]


def test_deleting_a_networked_stack_leaves_nothing_behind(cfn, aws, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.alb()))
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    # The service keeps its canary release settings and both target groups (for the deployment simulation).
    service = aws("ecs").describe_services(cluster=out["ClusterName"], services=[out["ServiceName"]])["services"][0]
    assert service["deploymentConfiguration"]["strategy"] == "CANARY"
    assert service["deploymentConfiguration"]["canaryConfiguration"] == {"canaryPercent": 10.0,
                                                                         "canaryBakeTimeInMinutes": 5}
    (balancer,) = service["loadBalancers"]
    assert balancer["targetGroupArn"] == out["BlueArn"]
    assert balancer["advancedConfiguration"]["alternateTargetGroupArn"] == out["GreenArn"]
    assert balancer["advancedConfiguration"]["productionListenerRule"] == out["RuleArn"]

    cfn.delete_stack(StackName=stack_name)
    while cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_IN_PROGRESS":
        time.sleep(0.03)
    deleted = cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    assert deleted["StackStatus"] == "DELETE_COMPLETE", deleted.get("StackStatusReason")
    ec2, elb = aws("ec2"), aws("elbv2")
    assert out["VpcId"] not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert not ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [out["VpcId"]]}])["RouteTables"]
    assert not [g for g in ec2.describe_internet_gateways()["InternetGateways"]
                if any(a["VpcId"] == out["VpcId"] for a in g.get("Attachments", []))]
    assert out["BlueArn"] not in [g["TargetGroupArn"] for g in elb.describe_target_groups()["TargetGroups"]]
    task = aws("ecs").describe_task_definition(taskDefinition=out["TaskDefinitionArn"])["taskDefinition"]
    assert task["status"] == "INACTIVE"


def test_iam_resources_need_capabilities(cfn, stack_name):
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}}}
    template = {"Resources": {"Role": role}}
    with pytest.raises(ClientError, match=r"Requires capabilities : \[CAPABILITY_IAM\]") as refused:
        cfn.create_stack(StackName=stack_name, TemplateBody=T.body(template))
    assert refused.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    named = {"Resources": {"Role": {**role, "Properties": {**role["Properties"], "RoleName": stack_name}}}}
    with pytest.raises(ClientError, match="CAPABILITY_NAMED_IAM"):
        cfn.create_stack(StackName=stack_name, TemplateBody=T.body(named), Capabilities=["CAPABILITY_IAM"])
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(named), Capabilities=["CAPABILITY_NAMED_IAM"])
    stack = wait_stack(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Capabilities"] == ["CAPABILITY_NAMED_IAM"]


def test_update_with_disable_rollback_stops_at_update_failed(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=T.body(T.small()))
    wait_stack(cfn, stack_name)
    template = T.small()
    template["Resources"]["Topic"]["Metadata"] = {"stp:local": {"fail": "nope"}}
    template["Resources"]["Topic"]["Properties"]["DisplayName"] = "changed"
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(template), DisableRollback=True)
    stack = wait_stack(cfn, stack_name)
    assert (stack["StackStatus"], stack["StackStatusReason"]) == (
        "UPDATE_FAILED", "The following resource(s) failed to update: [Topic].")
    assert not any("ROLLBACK" in e["ResourceStatus"] for e in events(cfn, stack_name))
    # From UPDATE_FAILED the stack can be updated again.
    del template["Resources"]["Topic"]["Metadata"]
    cfn.update_stack(StackName=stack_name, TemplateBody=T.body(template))
    assert wait_stack(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"
