"""CloudFormation templates the local AWS tests deploy (as dicts; `body()` makes the TemplateBody)."""

from __future__ import annotations

import copy
import json
from typing import Any


def body(template: dict[str, Any]) -> str:
    return json.dumps(template)


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def att(name: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, attribute]}


NETWORK: dict[str, Any] = {
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
    "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": ref("Vpc"), "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"}},
    "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": ref("Vpc"), "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-1b"}},
    "ServiceSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "api tasks", "VpcId": ref("Vpc")}},
}

# A web service behind an HTTP API (VPC link), registered in Cloud Map, with service connect and autoscaling.
FULL: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "stp local: every gap moto has, in one stack",
    "Resources": {
        **NETWORK,
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {}},
        "TaskDefinition": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Family": "api", "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"], "Cpu": "256",
            "Memory": "512",
            "ContainerDefinitions": [{"Name": "web", "Image": "nginx:alpine", "Essential": True,
                                      "PortMappings": [{"ContainerPort": 80, "Name": "web"}]}]}},
        "Namespace": {"Type": "AWS::ServiceDiscovery::PrivateDnsNamespace", "Properties": {
            "Name": "internal.local", "Vpc": ref("Vpc")}},
        "ConnectNamespace": {"Type": "AWS::ServiceDiscovery::HttpNamespace", "Properties": {"Name": "connect"}},
        "DiscoveryService": {"Type": "AWS::ServiceDiscovery::Service", "Properties": {
            "Name": "api", "NamespaceId": att("Namespace", "Id"),
            "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}], "RoutingPolicy": "MULTIVALUE"},
            "HealthCheckCustomConfig": {"FailureThreshold": 1}}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "Cluster": ref("Cluster"),
            "TaskDefinition": ref("TaskDefinition"),
            "DesiredCount": 2,
            "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1, "Base": 1}],
            "DeploymentConfiguration": {
                "MaximumPercent": 200, "MinimumHealthyPercent": 50,
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}},
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "Subnets": [ref("SubnetA"), ref("SubnetB")], "SecurityGroups": [ref("ServiceSecurityGroup")],
                "AssignPublicIp": "DISABLED"}},
            "ServiceRegistries": [{"RegistryArn": att("DiscoveryService", "Arn")}],
            "ServiceConnectConfiguration": {
                "Enabled": True, "Namespace": att("ConnectNamespace", "Arn"),
                "Services": [{"PortName": "web", "DiscoveryName": "api",
                              "ClientAliases": [{"Port": 80, "DnsName": "api"}]}]},
            "HealthCheckGracePeriodSeconds": 30,
            "EnableExecuteCommand": True,
            "EnableECSManagedTags": True,
            "PropagateTags": "SERVICE",
            "Tags": [{"Key": "team", "Value": "platform"}]}},
        "ScalableTarget": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
            "MinCapacity": 2, "MaxCapacity": 6,
            "ResourceId": {"Fn::Join": ["/", ["service", ref("Cluster"), att("Service", "Name")]]}}},
        "CpuPolicy": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
            "PolicyName": "cpu", "PolicyType": "TargetTrackingScaling", "ScalingTargetId": ref("ScalableTarget"),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}},
        "VpcLink": {"Type": "AWS::ApiGatewayV2::VpcLink", "Properties": {
            "Name": "api-link", "SubnetIds": [ref("SubnetA"), ref("SubnetB")],
            "SecurityGroupIds": [ref("ServiceSecurityGroup")]}},
        "HttpApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": "api", "ProtocolType": "HTTP",
            "CorsConfiguration": {"AllowOrigins": ["*"], "AllowMethods": ["GET"]}}},
        "Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": ref("HttpApi"), "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY",
            "ConnectionType": "VPC_LINK", "ConnectionId": ref("VpcLink"),
            "IntegrationUri": att("DiscoveryService", "Arn"), "PayloadFormatVersion": "1.0"}},
        "Authorizer": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
            "ApiId": ref("HttpApi"), "AuthorizerType": "JWT", "Name": "jwt",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Audience": ["api"], "Issuer": "https://issuer.example.com"}}},
        "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": ref("HttpApi"), "RouteKey": "ANY /{proxy+}",
            "AuthorizationType": "JWT", "AuthorizerId": ref("Authorizer"),
            "Target": {"Fn::Join": ["/", ["integrations", ref("Integration")]]}}},
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": ref("HttpApi"), "StageName": "$default", "AutoDeploy": True}},
        "DeployApp": {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "ECS"}},
    },
    "Outputs": {
        "ApiEndpoint": {"Value": att("HttpApi", "ApiEndpoint")},
        "ApiId": {"Value": ref("HttpApi")},
        "RouteId": {"Value": att("Route", "RouteId")},
        "IntegrationId": {"Value": att("Integration", "IntegrationId")},
        "VpcLinkId": {"Value": att("VpcLink", "VpcLinkId")},
        "NamespaceId": {"Value": att("Namespace", "Id")},
        "HostedZoneId": {"Value": att("Namespace", "HostedZoneId")},
        "DiscoveryServiceArn": {"Value": att("DiscoveryService", "Arn")},
        "ClusterName": {"Value": ref("Cluster")},
        "ServiceName": {"Value": att("Service", "Name")},
        "ServiceArn": {"Value": att("Service", "ServiceArn")},
        "ScalableTargetId": {"Value": ref("ScalableTarget")},
        "PolicyArn": {"Value": att("CpuPolicy", "Arn")},
        "DeployAppName": {"Value": ref("DeployApp")},
    },
}


def full() -> dict[str, Any]:
    return copy.deepcopy(FULL)


def small(**extra_resources: Any) -> dict[str, Any]:
    """A quick stack: a queue, a log group, a topic using them (dependency chain), plus extra resources."""
    resources = {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {
            "DisplayName": {"Fn::Join": ["-", [att("Queue", "QueueName"), ref("Logs")]]}}},
        **extra_resources,
    }
    return {"Resources": resources, "Outputs": {"QueueUrl": {"Value": ref("Queue")}}}


# A public VPC with an ALB in front of an ECS service released as a canary: the shape `stp compile` emits.
ALB: dict[str, Any] = {
    "Resources": {
        **NETWORK,
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "IgwAttachment": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": ref("Vpc"), "InternetGatewayId": ref("Igw")}},
        "RouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
        "DefaultRoute": {"Type": "AWS::EC2::Route", "DependsOn": "IgwAttachment", "Properties": {
            "RouteTableId": ref("RouteTable"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": ref("Igw")}},
        "SubnetARoutes": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "SubnetId": ref("SubnetA"), "RouteTableId": ref("RouteTable")}},
        "SubnetBRoutes": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "SubnetId": ref("SubnetB"), "RouteTableId": ref("RouteTable")}},
        "AlbSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "alb", "VpcId": ref("Vpc")}},
        "AlbToService": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": ref("ServiceSecurityGroup"), "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
            "SourceSecurityGroupId": ref("AlbSecurityGroup")}},
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "DependsOn": "IgwAttachment", "Properties": {
            "Subnets": [ref("SubnetA"), ref("SubnetB")], "SecurityGroups": [ref("AlbSecurityGroup")]}},
        "Blue": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 8080, "Protocol": "HTTP", "TargetType": "ip", "VpcId": ref("Vpc")}},
        "Green": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 8080, "Protocol": "HTTP", "TargetType": "ip", "VpcId": ref("Vpc")}},
        "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": ref("Alb"), "Port": 80, "Protocol": "HTTP",
            "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}},
        "Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {
            "ListenerArn": ref("Listener"), "Priority": 1,
            "Conditions": [{"Field": "path-pattern", "Values": ["/*"]}],
            "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                {"TargetGroupArn": ref("Blue"), "Weight": 100}, {"TargetGroupArn": ref("Green"), "Weight": 0}]}}]}},
        "Cluster": {"Type": "AWS::ECS::Cluster"},
        "TaskDefinition": FULL["Resources"]["TaskDefinition"],
        "Service": {"Type": "AWS::ECS::Service", "DependsOn": ["Rule"], "Properties": {
            "Cluster": ref("Cluster"), "TaskDefinition": ref("TaskDefinition"), "DesiredCount": 2,
            "LaunchType": "FARGATE",
            "DeploymentController": {"Type": "ECS"},
            "DeploymentConfiguration": {
                "Strategy": "CANARY", "BakeTimeInMinutes": 5,
                "CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5},
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}},
            "LoadBalancers": [{"ContainerName": "web", "ContainerPort": 8080, "TargetGroupArn": ref("Blue"),
                               "AdvancedConfiguration": {"AlternateTargetGroupArn": ref("Green"),
                                                         "ProductionListenerRule": ref("Rule"),
                                                         "RoleArn": "arn:aws:iam::123456789012:role/ecs-lb"}}],
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "Subnets": [ref("SubnetA"), ref("SubnetB")], "SecurityGroups": [ref("ServiceSecurityGroup")],
                "AssignPublicIp": "ENABLED"}}}},
    },
    "Outputs": {
        "VpcId": {"Value": ref("Vpc")},
        "ClusterName": {"Value": ref("Cluster")},
        "ServiceName": {"Value": att("Service", "Name")},
        "BlueArn": {"Value": ref("Blue")},
        "GreenArn": {"Value": ref("Green")},
        "RuleArn": {"Value": ref("Rule")},
        "TaskDefinitionArn": {"Value": ref("TaskDefinition")},
    },
}


def alb() -> dict[str, Any]:
    return copy.deepcopy(ALB)
