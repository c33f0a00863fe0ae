"""Container workloads compiled to CloudFormation: what a user relies on, and cfn-lint clean."""

from __future__ import annotations

import pytest

from core.analysis import analyze
from core.compile import CompileError
from core.compile.ec2_capacity import AMI_PARAMETERS
from tests.conftest import SHARED, yaml
from tests.core.compile_support import compile_yaml, container, lint_errors, of_type, props, template_of

WORKER = """
serviceName: bots
resources:
  discordBot:
    type: worker-service
    properties:
      packaging:
        type: stacktape-image-buildpack
        properties:
          entryfilePath: ./src/index.ts
      resources:
        cpu: 0.25
        memory: 512
      environment:
        - name: DISCORD_BOT_TOKEN
          value: $Secret('discord-bot-token')
        - name: DB_PASSWORD
          value: $Secret('db.password')
        - name: WORKERS
          value: 4
      internalHealthCheck:
        healthCheckCommand: ['CMD-SHELL', 'test -f /tmp/ok']
        intervalSeconds: 20
        startPeriodSeconds: 30
      stopTimeout: 30
      logging:
        retentionDays: 14
"""

MULTI = """
resources:
  api:
    type: multi-container-workload
    properties:
      resources:
        cpu: 0.5
        memory: 1024
      enableRemoteSessions: true
      scaling:
        minInstances: 1
        maxInstances: 3
        scalingPolicy:
          keepAvgCpuUtilizationUnder: 70
      containers:
        - name: web
          packaging:
            type: custom-dockerfile
            properties:
              buildContextPath: ./web
              command: ['python', 'server.py']
          environment:
            - name: PORT
              value: 3000
            - name: CACHE_URL
              value: redis://localhost:6379
          dependsOn:
            - containerName: cache
              condition: HEALTHY
          internalHealthCheck:
            healthCheckCommand: ['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1']
            intervalSeconds: 20
            retries: 2
        - name: cache
          packaging:
            type: prebuilt-image
            properties:
              image: public.ecr.aws/docker/library/redis:7-alpine
          essential: false
          internalHealthCheck:
            healthCheckCommand: ['CMD', 'redis-cli', 'ping']
          logging:
            disabled: true
          events:
            - type: workload-internal
              properties:
                containerPort: 6379
"""

EC2_WARM = """
resources:
  renderer:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: ghcr.io/acme/renderer:1.4
      resources:
        instanceTypes: [c5.large]
        enableWarmPool: true
      scaling:
        minInstances: 1
        maxInstances: 5
"""

NAT = """
stackConfig:
  vpc:
    nat:
      availabilityZones: 1
resources:
  crawler:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: ghcr.io/acme/crawler:2
      resources:
        cpu: 1
        memory: 2048
      usePrivateSubnetsWithNAT: true
  reporter:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: ghcr.io/acme/reporter:2
      resources:
        cpu: 0.25
        memory: 512
"""


@pytest.mark.parametrize("config", [WORKER, MULTI, EC2_WARM, NAT], ids=["worker", "multi", "ec2-warm", "nat"])
def test_every_compiled_template_passes_cfn_lint(config):
    assert lint_errors(template_of(config)) == []


# --- worker-service on Fargate ------------------------------------------------------------------


def test_worker_service_expands_to_one_container_fargate_service():
    t = template_of(WORKER, project="bots")
    ids = set(t["Resources"])
    assert {
        "DiscordBotCluster", "DiscordBotTaskDefinition", "DiscordBotService", "DiscordBotTaskRole",
        "DiscordBotExecutionRole", "DiscordBotSecurityGroup", "DiscordBotLogGroup",
    } <= ids
    td = props(t, "DiscordBotTaskDefinition")
    assert td["RequiresCompatibilities"] == ["FARGATE"] and td["NetworkMode"] == "awsvpc"
    assert (td["Cpu"], td["Memory"]) == ("256", "512")
    assert td["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}
    assert td["Family"] == "bots-dev-discordBot"
    [c] = td["ContainerDefinitions"]
    assert c["Name"] == "discordBot" and c["Essential"] is True and c["StopTimeout"] == 30
    assert c["Image"] == {"Ref": "DiscordBotImage"}  # built from source: the deploy step fills the parameter
    assert t["Parameters"]["DiscordBotImage"]["Type"] == "String"
    assert t["Metadata"]["Stp"]["images"] == {
        "DiscordBotImage": {"resource": "discordBot", "container": "discordBot", "packaging": "stacktape-image-buildpack"}
    }
    assert c["Environment"] == [
        {"Name": "DISCORD_BOT_TOKEN", "Value": "{{resolve:secretsmanager:discord-bot-token}}"},
        {"Name": "DB_PASSWORD", "Value": "{{resolve:secretsmanager:db:SecretString:password}}"},
        {"Name": "WORKERS", "Value": "4"},
    ]
    assert c["HealthCheck"] == {
        "Command": ["CMD-SHELL", "test -f /tmp/ok"], "Interval": 20, "Timeout": 5, "Retries": 3, "StartPeriod": 30,
    }
    assert "PortMappings" not in c  # nothing reaches a worker
    assert c["LogConfiguration"]["LogDriver"] == "awslogs"
    assert c["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "DiscordBotLogGroup"}
    assert props(t, "DiscordBotLogGroup")["RetentionInDays"] == 14


def test_fargate_service_runs_in_public_subnets_with_a_public_ip_and_no_nat():
    t = template_of(WORKER)
    svc = t["Resources"]["DiscordBotService"]
    assert svc["Properties"]["LaunchType"] == "FARGATE"
    net = svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert net["AssignPublicIp"] == "ENABLED"
    assert net["Subnets"] == [{"Ref": "VpcPublicSubnet1"}, {"Ref": "VpcPublicSubnet2"}]
    assert net["SecurityGroups"] == [{"Ref": "DiscordBotSecurityGroup"}]
    assert svc["DependsOn"] == ["VpcPublicDefaultRoute"]
    assert svc["Properties"]["EnableExecuteCommand"] is False
    assert svc["Properties"]["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert not of_type(t, "AWS::EC2::NatGateway")
    assert len(of_type(t, "AWS::EC2::Subnet")) == 4  # 2 public + 2 private
    azs = [props(t, f"VpcPublicSubnet{n}")["AvailabilityZone"] for n in (1, 2)]
    assert azs == [{"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Fn::Select": [1, {"Fn::GetAZs": ""}]}]


def test_outputs_give_the_dashboard_service_cluster_and_log_group():
    t = template_of(WORKER)
    assert t["Outputs"]["DiscordBotServiceName"]["Value"] == {"Fn::GetAtt": ["DiscordBotService", "Name"]}
    assert t["Outputs"]["DiscordBotClusterName"]["Value"] == {"Ref": "DiscordBotCluster"}
    assert t["Outputs"]["DiscordBotLogGroupName"]["Value"] == {"Ref": "DiscordBotLogGroup"}
    meta = t["Metadata"]["Stp"]["resources"]["discordBot"]
    assert meta["type"] == "worker-service"
    assert meta["outputs"] == {
        "serviceName": "DiscordBotServiceName", "clusterName": "DiscordBotClusterName",
        "logGroup:discordBot": "DiscordBotLogGroupName",
    }
    assert "DiscordBotTaskDefinition" in meta["logicalIds"]


def test_real_starter_config_compiles(shared):
    text = (SHARED / "corpus" / "starters" / "discord-bot.yml").read_text()
    t = compile_yaml(text).template
    assert "BotService" in t["Resources"]
    assert lint_errors(t) == []


# --- multi-container workload -------------------------------------------------------------------


def test_multi_container_workload_internal_port_health_check_and_dependencies():
    t = template_of(MULTI)
    web = container(t, "ApiTaskDefinition", "web")
    cache = container(t, "ApiTaskDefinition", "cache")
    assert web["Image"] == {"Ref": "ApiWebImage"} and web["Command"] == ["python", "server.py"]
    assert cache["Image"] == "public.ecr.aws/docker/library/redis:7-alpine"
    assert "ApiCacheImage" not in t.get("Parameters", {})
    assert cache["PortMappings"] == [{"ContainerPort": 6379, "Protocol": "tcp"}]  # workload-internal: port only
    assert "PortMappings" not in web
    assert web["DependsOn"] == [{"ContainerName": "cache", "Condition": "HEALTHY"}]
    assert web["Essential"] is True and cache["Essential"] is False
    assert web["Environment"] == [{"Name": "PORT", "Value": "3000"}, {"Name": "CACHE_URL", "Value": "redis://localhost:6379"}]
    assert web["HealthCheck"]["Retries"] == 2 and web["HealthCheck"]["Interval"] == 20
    assert cache["HealthCheck"]["Command"] == ["CMD", "redis-cli", "ping"]
    # one log group per container, none where logging is disabled
    assert "ApiWebLogGroup" in t["Resources"] and "ApiCacheLogGroup" not in t["Resources"]
    assert props(t, "ApiWebLogGroup")["RetentionInDays"] == 90
    assert "LogConfiguration" not in cache
    # no ingress module is involved: nothing outside the task talks to a workload-internal port
    assert not of_type(t, "AWS::EC2::SecurityGroupIngress")
    assert props(t, "ApiTaskDefinition")["Cpu"] == "512"


def test_remote_sessions_turn_on_ecs_exec_and_its_permissions():
    t = template_of(MULTI)
    assert props(t, "ApiService")["EnableExecuteCommand"] is True
    [policy] = props(t, "ApiTaskRole")["Policies"]
    actions = [a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"]]
    assert "ssmmessages:OpenDataChannel" in actions


def test_scaling_target_and_cpu_and_memory_policies():
    t = template_of(MULTI)
    target = props(t, "ApiScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert target["ResourceId"] == {"Fn::Join": ["/", ["service", {"Ref": "ApiCluster"}, {"Fn::GetAtt": ["ApiService", "Name"]}]]}
    cpu = props(t, "ApiCpuScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]
    mem = props(t, "ApiMemoryScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]
    assert cpu["TargetValue"] == 70 and cpu["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert mem["TargetValue"] == 80 and mem["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageMemoryUtilization"
    assert cpu["ScaleInCooldown"] > cpu["ScaleOutCooldown"]  # out fast, in slowly
    assert props(t, "ApiService")["DesiredCount"] == 1


def test_no_scaling_resources_when_the_instance_count_is_fixed():
    t = template_of(WORKER)
    assert not of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert props(t, "DiscordBotService")["DesiredCount"] == 1


def test_scaling_max_without_a_policy_tracks_the_default_80_percent():
    t = template_of(WORKER.replace("      stopTimeout: 30\n", "      stopTimeout: 30\n      scaling:\n        maxInstances: 3\n"))
    assert props(t, "DiscordBotScalableTarget")["MaxCapacity"] == 3
    assert props(t, "DiscordBotCpuScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 80


def test_side_containers_of_a_one_container_service():
    t = template_of("""
        resources:
          jobs:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: 'acme/jobs:1'}}
              resources: {cpu: 0.25, memory: 512}
              sideContainers:
                - name: migrate
                  containerType: run-on-init
                  packaging: {type: prebuilt-image, properties: {image: 'acme/migrate:1'}}
                - name: agent
                  containerType: always-running
                  packaging: {type: prebuilt-image, properties: {image: 'acme/agent:1'}}
    """)
    main = container(t, "JobsTaskDefinition", "jobs")
    assert main["DependsOn"] == [{"ContainerName": "migrate", "Condition": "SUCCESS"}]
    assert container(t, "JobsTaskDefinition", "migrate")["Essential"] is False
    assert container(t, "JobsTaskDefinition", "agent")["Essential"] is True
    assert {"JobsLogGroup", "JobsMigrateLogGroup", "JobsAgentLogGroup"} <= set(t["Resources"])
    assert lint_errors(t) == []


# --- EC2 -----------------------------------------------------------------------------------------


def test_ec2_workload_with_warm_pool():
    t = template_of(EC2_WARM)
    td = props(t, "RendererTaskDefinition")
    assert td["RequiresCompatibilities"] == ["EC2"] and td["NetworkMode"] == "awsvpc"
    assert td["Memory"] == str(int(4096 * 0.9)) and "Cpu" not in td  # sized from c5.large; CPU shared
    lt = props(t, "RendererLaunchTemplate")["LaunchTemplateData"]
    assert lt["InstanceType"] == "c5.large"
    assert lt["ImageId"] == {"Ref": "EcsAmiX8664"}
    assert t["Parameters"]["EcsAmiX8664"] == {
        "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        "Default": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
        "Description": t["Parameters"]["EcsAmiX8664"]["Description"],
    }
    user_data = lt["UserData"]["Fn::Base64"]["Fn::Sub"][0]
    assert "ECS_CLUSTER=${Cluster}" in user_data and "ECS_WARM_POOLS_CHECK=true" in user_data
    asg = props(t, "RendererAutoScalingGroup")
    assert (asg["MinSize"], asg["MaxSize"]) == ("0", "5")
    assert asg["LaunchTemplate"]["LaunchTemplateId"] == {"Ref": "RendererLaunchTemplate"}
    pool = props(t, "RendererWarmPool")
    assert pool["AutoScalingGroupName"] == {"Ref": "RendererAutoScalingGroup"} and pool["PoolState"] == "Stopped"
    cp = props(t, "RendererCapacityProvider")["AutoScalingGroupProvider"]
    assert cp["ManagedScaling"] == {"Status": "ENABLED", "TargetCapacity": 100}
    assoc = props(t, "RendererCapacityProviderAssociation")
    assert assoc["Cluster"] == {"Ref": "RendererCluster"}
    svc = t["Resources"]["RendererService"]
    assert "LaunchType" not in svc["Properties"]
    assert svc["Properties"]["CapacityProviderStrategy"] == [{"CapacityProvider": {"Ref": "RendererCapacityProvider"}, "Weight": 1}]
    assert svc["Properties"]["PlacementStrategies"] == [{"Type": "binpack", "Field": "memory"}]
    assert "RendererCapacityProviderAssociation" in svc["DependsOn"]
    assert svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert props(t, "RendererInstanceProfile")["Roles"] == [{"Ref": "RendererInstanceRole"}]


def test_ec2_instances_are_refreshed_weekly():
    t = template_of(EC2_WARM)
    schedule = props(t, "RendererInstanceRefreshSchedule")
    assert schedule["ScheduleExpression"] == "cron(0 3 ? * SUN *)" and schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["Target"]["Arn"] == {"Fn::Sub": "arn:${AWS::Partition}:scheduler:::aws-sdk:autoscaling:startInstanceRefresh"}
    assert schedule["Target"]["Input"]["Fn::Sub"][1] == {"Group": {"Ref": "RendererAutoScalingGroup"}}
    [statement] = props(t, "RendererInstanceRefreshRole")["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "autoscaling:StartInstanceRefresh"


def test_ec2_without_nat_warns_that_tasks_have_no_internet():
    result = compile_yaml(EC2_WARM)
    assert any("usePrivateSubnetsWithNAT" in w.message for w in result.warnings)


def test_arm_instances_use_the_arm64_ami_and_several_types_a_mixed_policy():
    t = template_of(EC2_WARM.replace("[c5.large]", "[c7g.xlarge, m7g.large]").replace("enableWarmPool: true", "cpu: 1"))
    lt = props(t, "RendererLaunchTemplate")["LaunchTemplateData"]
    assert lt["ImageId"] == {"Ref": "EcsAmiArm64"}
    assert t["Parameters"]["EcsAmiArm64"]["Default"] == AMI_PARAMETERS["arm64"][1]
    assert "InstanceType" not in lt
    policy = props(t, "RendererAutoScalingGroup")["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == ["c7g.xlarge", "m7g.large"]
    assert policy["InstancesDistribution"]["OnDemandAllocationStrategy"] == "prioritized"
    td = props(t, "RendererTaskDefinition")
    assert td["Memory"] == str(int(8192 * 0.9)) and td["Cpu"] == "1024"  # smallest memory of the two
    assert not of_type(t, "AWS::AutoScaling::WarmPool")
    assert lint_errors(t) == []


@pytest.mark.parametrize(
    "resources, message",
    [
        ("instanceTypes: [x2iedn.xlarge]", "stp does not know how much memory x2iedn.xlarge has"),
        ("instanceTypes: [c5.large, c6g.large]", "mixes CPU architectures"),
        ("instanceTypes: [t3.small]\n        memory: 4096", "does not fit on t3.small"),
    ],
)
def test_resources_that_cannot_work_are_explained(resources, message):
    text = EC2_WARM.replace("instanceTypes: [c5.large]\n        enableWarmPool: true", resources)
    with pytest.raises(CompileError) as err:
        compile_yaml(text)
    assert message in str(err.value)
    assert err.value.problems[0].where == "renderer"


@pytest.mark.parametrize(
    "resources, code, message",
    [
        ("instanceTypes: [c5.large, t3.large]\n        enableWarmPool: true", "warm-pool-instance-types", "single instance type"),
        ("cpu: 0.25\n        memory: 4096", "fargate-cpu-memory", "must be 512, 1024 or 2048 MiB"),
        ("cpu: 1", "workload-resources-incomplete", "needs both cpu and memory"),
    ],
)
def test_resources_the_validator_rejects_never_reach_the_compiler(resources, code, message):
    analysis = analyze(yaml(EC2_WARM.replace("instanceTypes: [c5.large]\n        enableWarmPool: true", resources)))
    assert not analysis.ok
    assert [(d.code, message in d.message) for d in analysis.errors] == [(code, True)]


def test_unknown_instance_type_is_fine_when_memory_is_given():
    t = template_of(EC2_WARM.replace("[c5.large]\n        enableWarmPool: true", "[x2iedn.xlarge]\n        memory: 100000"))
    assert props(t, "RendererTaskDefinition")["Memory"] == "100000"


# --- NAT -----------------------------------------------------------------------------------------


def test_nat_only_for_the_workload_that_asks_and_with_the_configured_gateway_count():
    t = template_of(NAT)
    assert list(of_type(t, "AWS::EC2::NatGateway")) == ["VpcNatGateway1"]  # nat.availabilityZones: 1
    routes = {k: v["Properties"] for k, v in of_type(t, "AWS::EC2::Route").items()}
    assert routes["VpcPrivateDefaultRoute1"]["NatGatewayId"] == {"Ref": "VpcNatGateway1"}
    assert routes["VpcPrivateDefaultRoute2"]["NatGatewayId"] == {"Ref": "VpcNatGateway1"}
    crawler = t["Resources"]["CrawlerService"]
    net = crawler["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert net["Subnets"] == [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}]
    assert net["AssignPublicIp"] == "DISABLED"
    assert crawler["DependsOn"] == ["VpcPrivateDefaultRoute1", "VpcPrivateDefaultRoute2"]
    reporter = props(t, "ReporterService")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert reporter["AssignPublicIp"] == "ENABLED" and reporter["Subnets"][0] == {"Ref": "VpcPublicSubnet1"}


def test_nat_defaults_to_one_gateway_per_zone():
    t = template_of(NAT.replace("stackConfig:\n  vpc:\n    nat:\n      availabilityZones: 1\n", ""))
    assert sorted(of_type(t, "AWS::EC2::NatGateway")) == ["VpcNatGateway1", "VpcNatGateway2"]
    assert len(of_type(t, "AWS::EC2::EIP")) == 2


# --- ids -----------------------------------------------------------------------------------------


def test_logical_ids_do_not_move_when_another_resource_is_added():
    before = template_of(WORKER)
    after = template_of(WORKER + NAT.split("resources:\n", 1)[1])
    for lid, res in before["Resources"].items():
        assert after["Resources"][lid]["Type"] == res["Type"]
    assert props(after, "DiscordBotTaskDefinition") == props(before, "DiscordBotTaskDefinition")


def test_container_names_with_dashes_become_pascal_case_ids():
    t = template_of(MULTI.replace("name: cache", "name: redis-cache").replace("containerName: cache", "containerName: redis-cache"))
    assert "ApiRedisCacheLogGroup" not in t["Resources"]  # logging disabled on it
    assert container(t, "ApiTaskDefinition", "redis-cache")["PortMappings"][0]["ContainerPort"] == 6379
    t = template_of(MULTI.replace("name: web", "name: web-app"))
    assert "ApiWebAppLogGroup" in t["Resources"] and "ApiWebAppImage" in t["Parameters"]


def test_bench_config_compiles_and_lints_clean():
    """The bench measures a config that really compiles (workers, sidecars, EC2, NAT)."""
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench_compile", ROOT / "bench" / "compile.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = compile_yaml(bench.generate(10))
    t = result.template
    assert len(of_type(t, "AWS::ECS::Service")) == 10
    assert of_type(t, "AWS::ECS::CapacityProvider") and of_type(t, "AWS::EC2::NatGateway")
    assert lint_errors(t) == []
