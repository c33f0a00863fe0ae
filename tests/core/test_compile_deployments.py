"""Gradual deployments compiled to ECS's native canary / linear / blue-green strategies (no CodeDeploy)."""

from __future__ import annotations

import json

import pytest

from core.compile import CompileError, registry
from core.compile.deployments import STRATEGIES
from tests.conftest import EXAMPLES
from tests.core.compile_support import compile_yaml, lint_errors, of_type, props

API = """
variables:
  strategy: Canary10Percent5Minutes
resources:
  lb:
    type: application-load-balancer
  api:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      scaling: {minInstances: 2, maxInstances: 4}
      deployment:
        strategy: $Var('strategy')
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          loadBalancerHealthCheck: {healthcheckPath: /health}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, containerPort: 8080, priority: 3, paths: ['/api/*']}
            - type: application-load-balancer
              properties: {loadBalancerName: lb, containerPort: 8080, priority: 7, hosts: [admin.example.com]}
"""

# hook functions: the function compiler is not written yet, so each function's Lambda stands in as a
# CloudFormation resource under the logical id the function compiler will give it (<Name>Function)
FUNCTIONS = """
  checkRelease:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/check.py}}
  smokeTest:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/smoke.py}}
"""
LAMBDAS = """
cloudformationResources:
  HookRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}
  CheckReleaseFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: $CfResourceParam('HookRole', 'Arn')
      Code: {ZipFile: 'def handler(event, context): return {"hookStatus": "SUCCEEDED"}'}
  SmokeTestFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: $CfResourceParam('HookRole', 'Arn')
      Code: {ZipFile: 'def handler(event, context): return {"hookStatus": "SUCCEEDED"}'}
"""
HOOKS = FUNCTIONS + LAMBDAS


def _with(text: str, deployment: str) -> str:
    return text.replace("        strategy: $Var('strategy')\n", "        strategy: $Var('strategy')\n" + deployment)


def _compile(text, strategy="Canary10Percent5Minutes"):
    return compile_yaml(text.replace("strategy: Canary10Percent5Minutes", f"strategy: {strategy}")).template


@pytest.fixture
def functions(monkeypatch):
    monkeypatch.setitem(registry.COMPILERS, "function", lambda ctx, name, model: None)


EXPECTED = {
    "Canary10Percent5Minutes": ("CANARY", {"CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5}}),
    "Canary10Percent10Minutes": ("CANARY", {"CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 10}}),
    "Canary10Percent15Minutes": ("CANARY", {"CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 15}}),
    "Canary10Percent30Minutes": ("CANARY", {"CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 30}}),
    "Linear10PercentEvery1Minute": ("LINEAR", {"LinearConfiguration": {"StepPercent": 10.0, "StepBakeTimeInMinutes": 1}}),
    "Linear10PercentEvery2Minutes": ("LINEAR", {"LinearConfiguration": {"StepPercent": 10.0, "StepBakeTimeInMinutes": 2}}),
    "Linear10PercentEvery3Minutes": ("LINEAR", {"LinearConfiguration": {"StepPercent": 10.0, "StepBakeTimeInMinutes": 3}}),
    "Linear10PercentEvery10Minutes": ("LINEAR", {"LinearConfiguration": {"StepPercent": 10.0, "StepBakeTimeInMinutes": 10}}),
    "AllAtOnce": ("BLUE_GREEN", {}),
}


@pytest.mark.parametrize("strategy", list(EXPECTED))
def test_every_strategy_compiles_to_a_native_ecs_strategy(strategy):
    t = _compile(API, strategy)
    kind, extra = EXPECTED[strategy]
    config = props(t, "ApiService")["DeploymentConfiguration"]
    assert config["Strategy"] == kind and config["BakeTimeInMinutes"] == 5
    for key in ("CanaryConfiguration", "LinearConfiguration"):
        assert config.get(key) == extra.get(key)
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert props(t, "ApiService")["DeploymentController"] == {"Type": "ECS"}
    assert not [r for r in t["Resources"].values() if r["Type"].startswith("AWS::CodeDeploy::")]
    assert "Transform" not in t and "Hooks" not in t  # standard CloudFormation only
    assert lint_errors(t) == []


def test_the_strategies_are_the_documented_ones():
    assert set(STRATEGIES) == set(EXPECTED)


def test_strategy_written_literally_and_the_plural_minute_spelling():
    t = compile_yaml(API.replace("$Var('strategy')", "Linear10PercentEvery1Minutes")).template
    assert props(t, "ApiService")["DeploymentConfiguration"]["LinearConfiguration"]["StepBakeTimeInMinutes"] == 1


def test_each_rule_gets_a_target_group_pair_that_ecs_shifts():
    t = _compile(API)
    groups = sorted(of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup"))
    assert groups == [
        "ApiLbListener80Rule3AlternateTargetGroup", "ApiLbListener80Rule3TargetGroup",
        "ApiLbListener80Rule7AlternateTargetGroup", "ApiLbListener80Rule7TargetGroup",
    ]
    blue, green = props(t, "ApiLbListener80Rule3TargetGroup"), props(t, "ApiLbListener80Rule3AlternateTargetGroup")
    assert green == blue  # same port, protocol and health check
    assert green["HealthCheckPath"] == "/health" and green["TargetType"] == "ip"
    rule = props(t, "ApiLbListener80Rule3")
    assert rule["Actions"] == [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": {"Ref": "ApiLbListener80Rule3TargetGroup"}, "Weight": 100},
        {"TargetGroupArn": {"Ref": "ApiLbListener80Rule3AlternateTargetGroup"}, "Weight": 0},
    ]}}]
    assert rule["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}]
    entries = props(t, "ApiService")["LoadBalancers"]
    assert entries[0] == {
        "ContainerName": "web", "ContainerPort": 8080, "TargetGroupArn": {"Ref": "ApiLbListener80Rule3TargetGroup"},
        "AdvancedConfiguration": {
            "AlternateTargetGroupArn": {"Ref": "ApiLbListener80Rule3AlternateTargetGroup"},
            "ProductionListenerRule": {"Ref": "ApiLbListener80Rule3"},
            "RoleArn": {"Fn::GetAtt": ["ApiDeploymentRole", "Arn"]},
        },
    }
    assert entries[1]["AdvancedConfiguration"]["ProductionListenerRule"] == {"Ref": "ApiLbListener80Rule7"}


def test_ecs_assumes_a_role_to_change_the_load_balancer():
    t = _compile(API)
    role = props(t, "ApiDeploymentRole")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}]
    assert "Policies" not in role  # no hook functions to invoke


def test_no_deployment_keeps_the_rolling_update():
    t = compile_yaml(API.replace("      deployment:\n        strategy: $Var('strategy')\n", "")).template
    config = props(t, "ApiService")["DeploymentConfiguration"]
    assert "Strategy" not in config and "DeploymentController" not in props(t, "ApiService")
    assert sorted(of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup")) == ["ApiLbPort8080TargetGroup"]
    assert "ApiDeploymentRole" not in t["Resources"]


# --- hook functions and test traffic --------------------------------------------------------------


def test_hook_functions_run_as_ecs_lifecycle_hooks(functions):
    text = _with(API, "        beforeAllowTrafficFunction: smokeTest\n        afterTrafficShiftFunction: checkRelease\n") + HOOKS
    t = _compile(text)
    config = props(t, "ApiService")["DeploymentConfiguration"]
    role = {"Fn::GetAtt": ["ApiDeploymentRole", "Arn"]}
    assert config["LifecycleHooks"] == [
        {"HookTargetArn": {"Fn::GetAtt": ["SmokeTestFunction", "Arn"]}, "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
         "RoleArn": role},
        {"HookTargetArn": {"Fn::GetAtt": ["CheckReleaseFunction", "Arn"]},
         "LifecycleStages": ["POST_PRODUCTION_TRAFFIC_SHIFT"], "RoleArn": role},
    ]
    [policy] = props(t, "ApiDeploymentRole")["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [
        {"Fn::GetAtt": ["SmokeTestFunction", "Arn"]}, {"Fn::GetAtt": ["CheckReleaseFunction", "Arn"]}]}]
    assert lint_errors(t) == []


def test_before_allow_traffic_gets_a_test_listener_next_to_the_default_one(functions):
    t = _compile(_with(API, "        beforeAllowTrafficFunction: smokeTest\n") + HOOKS)
    listener = props(t, "LbAlbListener8080")  # default listener is HTTP 80: test traffic on 8080
    assert listener["Protocol"] == "HTTP" and listener["DefaultActions"][0]["Type"] == "fixed-response"
    assert 8080 in [r["FromPort"] for r in props(t, "LbAlbSecurityGroup")["SecurityGroupIngress"]]
    test_rule = props(t, "ApiLbListener80Rule3TestRule")
    assert test_rule["ListenerArn"] == {"Ref": "LbAlbListener8080"}
    assert test_rule["Priority"] == 3  # the production rule's priority is free on the test listener
    assert test_rule["Conditions"] == props(t, "ApiLbListener80Rule3")["Conditions"]
    assert test_rule["Actions"] == props(t, "ApiLbListener80Rule3")["Actions"]
    advanced = props(t, "ApiService")["LoadBalancers"][0]["AdvancedConfiguration"]
    assert advanced["TestListenerRule"] == {"Ref": "ApiLbListener80Rule3TestRule"}
    assert {"ApiLbListener80Rule3TestRule", "ApiLbListener80Rule7TestRule"} <= set(t["Resources"]["ApiService"]["DependsOn"])
    assert lint_errors(t) == []


def test_test_listener_port_on_https_load_balancer():
    text = _with(API, "        testListenerPort: 9443\n").replace(
        "    type: application-load-balancer\n", "    type: application-load-balancer\n    properties:\n"
        "      customDomains: [{domainName: api.example.com}]\n", 1)
    t = _compile(text)
    test = props(t, "LbAlbListener9443")
    assert test["Protocol"] == "HTTPS" and test["Certificates"] == props(t, "LbAlbListener443")["Certificates"]
    assert props(t, "ApiLbListener443Rule7TestRule")["ListenerArn"] == {"Ref": "LbAlbListener9443"}
    assert lint_errors(t) == []


CUSTOM = """
resources:
  lb:
    type: application-load-balancer
    properties:
      listeners:
        - {port: 80, protocol: HTTP}
        - {port: 8080, protocol: HTTP}
  api:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      deployment:
        strategy: AllAtOnce
        testListenerPort: 8080
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, listenerPort: 80, containerPort: 8080, priority: 1, paths: ['*']}
  other:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/other:1'}}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, listenerPort: 8080, containerPort: 80, priority: 1, paths: ['/other/*']}
"""


def test_test_rule_on_a_custom_listener_avoids_priorities_other_events_declare():
    t = compile_yaml(CUSTOM).template
    assert props(t, "OtherLbListener8080Rule1")["Priority"] == 1  # declared later, but never taken by stp
    test_rule = props(t, "ApiLbListener80Rule1TestRule")
    assert test_rule["ListenerArn"] == {"Ref": "LbAlbListener8080"} and test_rule["Priority"] == 2
    assert props(t, "ApiService")["DeploymentConfiguration"]["Strategy"] == "BLUE_GREEN"
    assert lint_errors(t) == []


def test_test_listener_port_must_differ_from_the_production_one():
    with pytest.raises(CompileError) as err:
        compile_yaml(CUSTOM.replace("testListenerPort: 8080", "testListenerPort: 80"))
    assert "port 80 serves production traffic" in str(err.value)


def test_web_service_with_its_own_alb_and_a_canary():
    t = compile_yaml("""
        resources:
          shop:
            type: web-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: 'acme/shop:1'}}
              resources: {cpu: 0.25, memory: 512}
              loadBalancing: {type: application-load-balancer}
              deployment: {strategy: Canary10Percent15Minutes}
    """).template
    entry = props(t, "ShopService")["LoadBalancers"][0]
    assert entry["TargetGroupArn"] == {"Ref": "ShopAlbListener80Rule1TargetGroup"}
    assert entry["AdvancedConfiguration"]["ProductionListenerRule"] == {"Ref": "ShopAlbListener80Rule1"}
    config = props(t, "ShopService")["DeploymentConfiguration"]
    assert config["CanaryConfiguration"] == {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 15}
    assert lint_errors(t) == []


def test_network_load_balancer_traffic_cannot_be_shifted():
    text = API.replace("resources:\n  lb:\n", "resources:\n  nlb:\n    type: network-load-balancer\n    properties:\n"
                       "      listeners: [{port: 9000, protocol: TCP}]\n  lb:\n", 1) + """
            - type: network-load-balancer
              properties: {loadBalancerName: nlb, listenerPort: 9000, containerPort: 9000}
"""
    with pytest.raises(CompileError) as err:
        compile_yaml(text)
    assert "network-load-balancer traffic, which ECS cannot shift" in str(err.value)


# --- examples ------------------------------------------------------------------------------------


def test_canary_example_compiles_with_its_hook_function():
    t = compile_yaml((EXAMPLES / "canary-alb" / "stacktape.yml").read_text()).template
    assert t["Resources"]["CheckReleaseFunction"]["Type"] == "AWS::Lambda::Function"
    config = props(t, "ApiService")["DeploymentConfiguration"]
    assert config["Strategy"] == "CANARY"
    assert config["CanaryConfiguration"] == {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5}
    assert config["LifecycleHooks"][0]["HookTargetArn"] == {"Fn::GetAtt": ["CheckReleaseFunction", "Arn"]}
    assert "codedeploy" not in json.dumps(t["Resources"]).lower()
    assert lint_errors(t) == []
