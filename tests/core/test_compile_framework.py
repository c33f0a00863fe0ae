"""The compiler framework: directives, logical ids, plug-in hooks, overrides, and `stp compile`."""

from __future__ import annotations

import json

import pytest
from troposphere import Ref

from core.analysis import analyze
from core.cli import main
from core.compile import CompileError, compile_template
from core.compile import registry
from core.compile.naming import LogicalIds, logical_id, pascal
from core.compile.workload_hooks import env_name
from tests.conftest import yaml
from tests.core.compile_support import compile_yaml, container, container_env, lint_errors, problems_by_place, props

BASE = """
serviceName: shop
variables:
  region_label: eu
  sizes:
    retention: 30
resources:
  api:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: $Format('ghcr.io/acme/api:{}', $Stage())
      resources:
        cpu: 0.25
        memory: 512
      environment:
{env}
      logging:
        retentionDays: $Var('sizes').retention
"""


def _config(*pairs) -> str:
    env = "\n".join(f"        - name: {n}\n          value: {v}" for n, v in pairs) or "        []"
    return BASE.replace("{env}", env)


def _env_of(template: dict) -> dict:
    return container_env(template, "ApiTaskDefinition", "api")


# --- directives ----------------------------------------------------------------------------------


def test_directives_become_values_or_intrinsics():
    t = compile_yaml(_config(
        ("SECRET", "$Secret('db-credentials.password')"),
        ("WHOLE_SECRET", "$Secret('api-key')"),
        ("STAGE", "$Stage()"),
        ("REGION", "$Region()"),
        ("ACCOUNT", "$AwsAccountId()"),
        ("LABEL", "$Format('{}-{}-{}', $ProjectName(), $Stage(), $Region())"),
        ("VAR", "$Var('region_label')"),
        ("FLAG", "true"),
        ("SSM", "$SsmParam('/shop/flag')"),
    ), stage="prod", project="shop").template
    env = _env_of(t)
    assert env["SECRET"] == "{{resolve:secretsmanager:db-credentials:SecretString:password}}"
    assert env["WHOLE_SECRET"] == "{{resolve:secretsmanager:api-key}}"
    assert env["STAGE"] == "prod"
    assert env["REGION"] == {"Ref": "AWS::Region"}
    assert env["ACCOUNT"] == {"Ref": "AWS::AccountId"}
    assert env["LABEL"] == {"Fn::Sub": "shop-prod-${AWS::Region}"}
    assert env["VAR"] == "eu" and env["FLAG"] == "true"
    assert env["SSM"] == "{{resolve:ssm:/shop/flag}}"
    assert container(t, "ApiTaskDefinition", "api")["Image"] == "ghcr.io/acme/api:prod"
    assert props(t, "ApiLogGroup")["RetentionInDays"] == 30
    assert "password" not in json.dumps(t).replace("SecretString:password", "")  # never a value, only the reference
    assert lint_errors(t) == []


def test_cf_resource_param_points_at_cloudformation_resources():
    text = _config(("TOPIC_ARN", "$CfResourceParam('Alerts', 'Ref')"),
                                ("TOPIC_NAME", "$CfResourceParam('Alerts', 'TopicName')")) + """
      iamRoleStatements:
        - Action: ['sns:Publish']
          Resource:
            - $CfResourceParam('Alerts', 'Ref')
cloudformationResources:
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: $Format('alerts-{}', $Stage())
"""
    t = compile_yaml(text).template
    env = _env_of(t)
    assert env["TOPIC_ARN"] == {"Ref": "Alerts"}
    assert env["TOPIC_NAME"] == {"Fn::GetAtt": ["Alerts", "TopicName"]}
    assert t["Resources"]["Alerts"] == {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "alerts-dev"}}
    [policy] = props(t, "ApiTaskRole")["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "Alerts"}]}]
    assert lint_errors(t) == []


def test_cf_resource_param_to_a_missing_id_is_reported():
    with pytest.raises(CompileError, match="'Nope', which is not in the template"):
        compile_yaml(_config(("X", "$CfResourceParam('Nope', 'Arn')")))


@pytest.mark.parametrize(
    "value, message",
    [
        ("$File('config.json').db", "$File() reads a file when deploying"),
        ("$ResourceParam('files', 'arn')", "parameter 'arn' of bucket 'files' is not compiled yet"),
        ("$Format('{}-{}', $Stage())", "2 '{}' placeholder(s) but 1 value(s)"),
    ],
)
def test_directives_the_compiler_cannot_resolve_are_reported_with_their_path(value, message, monkeypatch):
    monkeypatch.setitem(registry.PARAMS, "bucket", lambda ctx, name, param: None)  # a parameter nobody provides
    problems = problems_by_place(_config(("X", value)) + "  files:\n    type: bucket\n")
    assert message in problems["resources.api.properties.environment[0].value"]


# --- ids -----------------------------------------------------------------------------------------


def test_pascal_case_ids():
    assert pascal("apiServer") == "ApiServer"
    assert pascal("api-server_2") == "ApiServer2"
    assert logical_id("apiServer", "", "web-app", "LogGroup") == "ApiServerWebAppLogGroup"
    assert env_name("myDatabase", "connectionString") == "STP_MY_DATABASE_CONNECTION_STRING"
    assert env_name("jobs", "url") == "STP_JOBS_URL"


def test_id_clash_names_both_owners():
    ids = LogicalIds()
    ids.claim("ApiWebLogGroup", "api")
    with pytest.raises(CompileError, match="already used by resource 'api'"):
        ids.claim("ApiWebLogGroup", "apiWeb", "LogGroup")


def test_generated_id_clashing_with_a_cloudformation_resource_is_an_error():
    text = _config() + "cloudformationResources:\n  ApiService:\n    Type: AWS::SNS::Topic\n"
    with pytest.raises(CompileError, match="'ApiService'.*already used by cloudformationResources"):
        compile_yaml(text)


# --- overrides and outputs -----------------------------------------------------------------------


def test_overrides_patch_generated_properties():
    text = _config().replace("resources:\n  api:\n    type: worker-service\n", "resources:\n  api:\n    type: worker-service\n    overrides:\n      ApiService:\n        DeploymentConfiguration.MaximumPercent: 150\n        HealthCheckGracePeriodSeconds: 30\n      ApiLogGroup:\n        LogGroupClass: INFREQUENT_ACCESS\n")
    t = compile_yaml(text).template
    assert props(t, "ApiService")["DeploymentConfiguration"]["MaximumPercent"] == 150
    assert props(t, "ApiService")["DeploymentConfiguration"]["MinimumHealthyPercent"] == 100
    assert props(t, "ApiLogGroup")["LogGroupClass"] == "INFREQUENT_ACCESS"


def test_override_of_an_unknown_id_lists_the_real_ones():
    text = _config().replace("    type: worker-service\n", "    type: worker-service\n    overrides:\n      ApiServise:\n        DesiredCount: 2\n")
    with pytest.raises(CompileError) as err:
        compile_yaml(text)
    assert "'ApiServise' is not a logical id generated for 'api'" in str(err.value)
    assert "ApiService" in str(err.value)


def test_stack_outputs_from_the_config():
    text = _config() + """
stackConfig:
  outputs:
    - name: ImageTag
      value: $Format('tag-{}', $Stage())
      export: true
"""
    t = compile_yaml(text).template
    assert t["Outputs"]["ImageTag"] == {"Value": "tag-dev", "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-ImageTag"}}}


# --- plug-ins ------------------------------------------------------------------------------------

WEB = """
resources:
  shopFront:
    type: web-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: ghcr.io/acme/front:3
      port: 8080
      resources:
        cpu: 0.5
        memory: 1024
"""


def test_web_service_without_an_ingress_module_is_reported_not_compiled_yet(monkeypatch):
    monkeypatch.delitem(registry.HOOKS, ("event", "http-api-gateway"))
    with pytest.raises(CompileError) as err:
        compile_yaml(WEB)
    assert err.value.unsupported_only
    assert "traffic from http-api-gateway to port 8080 (loadBalancing) is not compiled yet" in str(err.value)


def test_event_hook_receives_the_container_and_port(monkeypatch):
    seen = []

    def attach(ctx, target):
        seen.append((target.workload.name, target.container, target.port, target.event_type, target.implicit))
        from troposphere import ec2

        ctx.add(target.workload.name, ec2.SecurityGroupIngress(
            ctx.id(target.workload.name, "IngressFromGateway"), GroupId=Ref(target.workload.security_group),
            IpProtocol="tcp", FromPort=target.port, ToPort=target.port, CidrIp="10.0.0.0/16",
        ))

    monkeypatch.setitem(registry.HOOKS, ("event", "http-api-gateway"), attach)
    t = compile_yaml(WEB).template
    assert seen == [("shopFront", "shopFront", 8080, "http-api-gateway", True)]
    main_container = container(t, "ShopFrontTaskDefinition", "shopFront")
    assert main_container["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
    assert main_container["Environment"] == [{"Name": "PORT", "Value": "8080"}]  # web-service passes its port
    assert "ShopFrontIngressFromGateway" in t["Metadata"]["Stp"]["resources"]["shopFront"]["logicalIds"]
    assert lint_errors(t) == []


def test_connect_hook_and_parameters_inject_stp_variables(monkeypatch):
    text = """
        resources:
          orders:
            type: private-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: 'acme/orders:1'}}
              resources: {cpu: 0.25, memory: 512}
          worker:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: 'acme/worker:1'}}
              resources: {cpu: 0.25, memory: 512}
              connectTo: [orders]
    """
    connected = []
    monkeypatch.setitem(registry.HOOKS, ("event", "service-connect"), lambda ctx, target: None)
    monkeypatch.setitem(registry.HOOKS, ("connect", "private-service"), lambda ctx, w, name: connected.append((w.name, name)))
    monkeypatch.setitem(registry.PARAMS, "private-service", lambda ctx, name, param: f"{name}:3000" if param == "address" else None)
    t = compile_yaml(text).template
    assert connected == [("worker", "orders")]
    env = container(t, "WorkerTaskDefinition", "worker")["Environment"]
    assert env == [{"Name": "STP_ORDERS_ADDRESS", "Value": "orders:3000"}]


def test_compile_refuses_an_invalid_analysis():
    analysis = analyze(yaml("resources:\n  a:\n    type: worker-service\n    properties: {}\n"))
    with pytest.raises(CompileError, match="fix them first"):
        compile_template(analysis, "dev", "p", "us-east-1")


# --- stp compile -----------------------------------------------------------------------------------

CONFIG = yaml(_config(("A", "1")))


def test_cli_writes_the_template_to_stdout(tmp_path, capsys):
    cfg = tmp_path / "stacktape.yml"
    cfg.write_text(CONFIG)
    assert main(["compile", str(cfg), "--stage", "dev"]) == 0
    out = capsys.readouterr()
    template = json.loads(out.out)
    assert template["Metadata"]["Stp"]["project"] == "shop"  # from serviceName
    assert "ApiService" in template["Resources"]
    assert "compiled stack shop-dev" in out.err


def test_cli_output_file_project_and_region(tmp_path, capsys):
    folder = tmp_path / "my_shop"
    folder.mkdir()
    (folder / "stacktape.yml").write_text(CONFIG.replace("serviceName: shop\n", ""))
    target = tmp_path / "t.json"
    assert main(["compile", str(folder), "--stage", "qa", "-o", str(target), "--region", "eu-west-1"]) == 0
    meta = json.loads(target.read_text())["Metadata"]["Stp"]
    assert (meta["project"], meta["stage"], meta["region"]) == ("my-shop", "qa", "eu-west-1")  # folder name, made safe
    assert capsys.readouterr().out == ""
    assert main(["compile", str(folder), "--stage", "qa", "-o", str(target), "--project", "other"]) == 0
    assert json.loads(target.read_text())["Metadata"]["Stp"]["project"] == "other"


def test_cli_prints_validation_errors_and_exits_1(tmp_path, capsys):
    cfg = tmp_path / "stacktape.yml"
    text = CONFIG.replace("memory: 512", "memory: '512'")
    cfg.write_text(text)
    assert main(["compile", str(cfg), "--stage", "dev"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    line = text.splitlines().index("        memory: '512'") + 1
    assert f"{cfg}:{line}:17: error[invalid-type]" in out.err


def test_cli_names_resources_whose_type_is_not_compiled_yet(tmp_path, capsys):
    cfg = tmp_path / "stacktape.yml"
    cfg.write_text("resources:\n  flow:\n    type: state-machine\n  pool:\n    type: user-auth-pool\n")
    assert main(["compile", str(cfg), "--stage", "dev"]) == 1
    err = capsys.readouterr().err
    assert "flow: resource type 'state-machine' is not compiled yet" in err
    assert "pool: resource type 'user-auth-pool' is not compiled yet" in err
    listed = err.split("handles these resource types so far: ")[1].split("\n")[0].split(", ")
    assert "multi-container-workload" in listed and "state-machine" not in listed
    assert "Traceback" not in err


def test_cli_needs_a_stage_and_checks_it(tmp_path, capsys):
    cfg = tmp_path / "stacktape.yml"
    cfg.write_text(CONFIG)
    with pytest.raises(SystemExit) as exc:
        main(["compile", str(cfg)])
    assert exc.value.code == 2
    assert main(["compile", str(cfg), "--stage", "my stage"]) == 2
    assert "--stage 'my stage'" in capsys.readouterr().err
