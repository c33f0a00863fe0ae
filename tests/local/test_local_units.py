"""The pure parts of the local AWS: configuration, simulated clock, dependency graph, change computation."""

from __future__ import annotations

import pytest

from core.local.clock import Clock
from core.local.config import (
    ConfigError,
    LocalConfig,
    parse_delay_spec,
    parse_time_scale,
)
from core.local.extensions.cloudformation import graph
from core.local.extensions.cloudformation.changes import (
    requires_recreation,
    resource_changes,
)
from core.local.server import ServerStatus, format_duration


def test_delay_spec():
    assert parse_delay_spec("0.05") == (0.05, {})
    assert parse_delay_spec("0.1,AWS::ECS::Service=2") == (0.1, {"AWS::ECS::Service": 2.0})
    assert parse_delay_spec("AWS::EC2::NatGateway=1") == (None, {"AWS::EC2::NatGateway": 1.0})
    with pytest.raises(ConfigError, match="not a number of seconds"):
        parse_delay_spec("fast")
    with pytest.raises(ConfigError, match="not a resource type"):
        parse_delay_spec("Queue=1")
    with pytest.raises(ConfigError, match="outside"):
        parse_delay_spec("-1")


def test_delay_per_type_and_per_resource():
    config = LocalConfig.from_env({"STP_LOCAL_RESOURCE_DELAY": "0.2,AWS::ECS::Service=3", "STP_LOCAL_TIME_SCALE": "60"})
    assert config.time_scale == 60
    assert config.delay_for("AWS::SQS::Queue") == 0.2
    assert config.delay_for("AWS::ECS::Service") == 3
    assert config.delay_for("AWS::SQS::Queue", {"stp:local": {"delay": 0}}) == 0
    config.update({"resource_delay": "0.5", "time_scale": 2})
    assert (config.resource_delay, config.time_scale) == (0.5, 2)
    with pytest.raises(ConfigError, match="unknown settings"):
        config.update({"speed": 1})
    with pytest.raises(ConfigError):
        parse_time_scale("-3")


def test_clock_runs_faster_by_its_scale():
    clock = Clock(scale=1000)
    start = clock.now()
    assert clock.sleep(60)  # a simulated minute: 0.06 real seconds
    assert clock.now() - start >= 60
    assert clock.real_seconds(600) == pytest.approx(0.6)


def test_references_of_ref_getatt_and_sub():
    fragment = {
        "A": {"Ref": "Queue"},
        "B": {"Fn::GetAtt": ["Topic", "Arn"]},
        "C": {"Fn::GetAtt": "Table.StreamArn"},
        "D": {"Fn::Sub": "${Bucket.Arn}/*:${AWS::Region}:${!Literal}:${Local}"},
        "E": {"Fn::Sub": ["${Local}-${Api}", {"Local": {"Ref": "Param"}}]},
    }
    assert graph.references(fragment) == {"Queue", "Topic", "Table", "Bucket", "AWS::Region", "Local", "Api", "Param"}
    assert ("Bucket", "Arn") in graph.attribute_references(fragment)


def test_topological_order_and_cycles():
    resources = {"C": {"DependsOn": ["B"]}, "B": {"Properties": {"X": {"Ref": "A"}}}, "A": {}, "Z": {}}
    deps = graph.dependencies(resources)
    assert graph.topological(deps, list(resources)) == ["A", "Z", "B", "C"]
    assert graph.reverse(deps)["A"] == {"B"}
    with pytest.raises(graph.CircularDependency, match=r"\[A, B\]"):
        graph.topological(graph.dependencies({"A": {"DependsOn": "B"}, "B": {"DependsOn": "A"}}), ["A", "B"])


def test_replacement_rules():
    assert requires_recreation("AWS::ECS::TaskDefinition", "Cpu") == "Always"
    assert requires_recreation("AWS::ECS::TaskDefinition", "Tags") == "Never"
    assert requires_recreation("AWS::EC2::Subnet", "CidrBlock") == "Always"
    assert requires_recreation("AWS::ECS::Service", "DesiredCount") == "Never"
    assert requires_recreation("AWS::ECS::Service", "ServiceName") == "Always"
    assert requires_recreation("AWS::DynamoDB::Table", "AttributeDefinitions") == "Conditionally"


def test_parameter_change_is_a_static_parameter_reference():
    template = {"Parameters": {"Size": {"Type": "Number"}},
                "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {"Ref": "Size"}}}}}
    (change,) = resource_changes(template, template, old_parameters={"Size": 1}, new_parameters={"Size": 2})
    rc = change["ResourceChange"]
    assert (rc["Action"], rc["Replacement"]) == ("Modify", "False")
    assert rc["Details"] == [{"Target": {"Attribute": "Properties", "Name": "DelaySeconds", "RequiresRecreation": "Never"},
                              "Evaluation": "Static", "ChangeSource": "ParameterReference", "CausingEntity": "Size"}]


def test_tags_and_metadata_scopes():
    old = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "a", "Value": "1"}]}}}}
    new = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": {"x": 1},
                               "Properties": {"Tags": [{"Key": "a", "Value": "2"}]}}}}
    (change,) = resource_changes(old, new)
    assert change["ResourceChange"]["Scope"] == ["Tags", "Metadata"]
    assert change["ResourceChange"]["Details"][0]["Target"] == {"Attribute": "Tags", "RequiresRecreation": "Never"}


def test_status_summary_texts():
    assert format_duration(3725) == "1h 2m"
    running = ServerStatus(state="running", port=4566, pid=42, started_at=0.0, log_file="/x/server.log", reused=True)
    assert running.summary().startswith("local AWS is already running at http://127.0.0.1:4566 (pid 42")
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:4566" in running.summary()
    assert "restart it" in ServerStatus(state="unresponsive", port=1, pid=2, started_at=0.0).summary()
