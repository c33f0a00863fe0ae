"""connectTo: least-privilege IAM scoped to the target's ARNs, network access, and the STP_ variables (cfn-lint clean)."""

from __future__ import annotations

import json

import pytest
from troposphere import GetAtt, awslambda, ec2, iam

from core.cli import main
from core.compile import registry
from core.compile.vpc import network
from core.model.params import AWS_MACROS
from tests.conftest import EXAMPLES
from tests.core.compile_support import compile_yaml, container_env, lint_errors, of_type, props, role_statements, template_of

TARGETS = """
resources:
  uploads:
    type: bucket
  jobs:
    type: sqs-queue
  alerts:
    type: sns-topic
  orders:
    type: dynamo-db-table
    properties:
      primaryKey:
        partitionKey: {name: id, type: string}
      streamType: NEW_IMAGE
  sessions:
    type: dynamo-db-table
    properties:
      primaryKey:
        partitionKey: {name: id, type: string}
  bus:
    type: event-bus
    properties:
      archivation: {enabled: true}
  shared:
    type: efs-filesystem
"""

APP = """
  app:
    type: worker-service
    properties:
      packaging: {{type: prebuilt-image, properties: {{image: 'acme/app:1'}}}}
      resources: {{cpu: 0.25, memory: 512}}
      connectTo: [{targets}]
"""


def _config(*targets: str, base: str = TARGETS) -> str:
    return base + APP.format(targets=", ".join(f"'{t}'" for t in targets))


def _statements(t, workload="App") -> list:
    return role_statements(t, f"{workload}TaskRole")


def _env(t, workload="app", td="AppTaskDefinition") -> dict:
    return container_env(t, td, workload)


def test_everything_connected_at_once_passes_cfn_lint():
    t = template_of(_config("uploads", "jobs", "alerts", "orders", "sessions", "bus", "shared", "aws:ses"))
    assert lint_errors(t) == []


# --- IAM and variables per target type -----------------------------------------------------------


def test_bucket_list_on_the_bucket_and_object_access_on_its_objects():
    t = template_of(_config("uploads"))
    assert _statements(t) == [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
         "Resource": {"Fn::GetAtt": ["UploadsBucket", "Arn"]}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectAttributes", "s3:PutObject", "s3:DeleteObject",
                                       "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
         "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/*"}},
    ]
    assert _env(t) == {"STP_UPLOADS_NAME": {"Ref": "UploadsBucket"}, "STP_UPLOADS_ARN": {"Fn::GetAtt": ["UploadsBucket", "Arn"]}}


def test_queue_send_receive_delete_on_that_queue():
    t = template_of(_config("jobs"))
    assert _statements(t) == [{
        "Effect": "Allow",
        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                   "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
        "Resource": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
    }]
    assert _env(t) == {"STP_JOBS_ARN": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
                       "STP_JOBS_NAME": {"Fn::GetAtt": ["JobsQueue", "QueueName"]}, "STP_JOBS_URL": {"Ref": "JobsQueue"}}


def test_topic_publish_only():
    t = template_of(_config("alerts"))
    assert _statements(t) == [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": {"Ref": "AlertsTopic"}}]
    assert _env(t) == {"STP_ALERTS_ARN": {"Ref": "AlertsTopic"}, "STP_ALERTS_NAME": {"Fn::GetAtt": ["AlertsTopic", "TopicName"]}}


def test_table_items_on_the_table_queries_on_its_indexes_and_its_stream():
    t = template_of(_config("orders"))
    assert _statements(t) == [
        {"Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem",
                    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"],
         "Resource": {"Fn::GetAtt": ["OrdersTable", "Arn"]}},
        {"Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:Scan"], "Resource": {"Fn::Sub": "${OrdersTable.Arn}/index/*"}},
        {"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
         "Resource": {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}},
    ]
    assert _env(t) == {"STP_ORDERS_NAME": {"Ref": "OrdersTable"}, "STP_ORDERS_ARN": {"Fn::GetAtt": ["OrdersTable", "Arn"]},
                       "STP_ORDERS_STREAM_ARN": {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}}


def test_table_without_a_stream_gets_no_stream_access_and_no_stream_variable():
    t = template_of(_config("sessions"))
    assert not any("dynamodb:GetRecords" in s["Action"] for s in _statements(t))
    assert _env(t) == {"STP_SESSIONS_NAME": {"Ref": "SessionsTable"}, "STP_SESSIONS_ARN": {"Fn::GetAtt": ["SessionsTable", "Arn"]}}


def test_event_bus_put_events_and_only_its_arn_variable():
    t = template_of(_config("bus"))
    assert _statements(t) == [{"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": {"Fn::GetAtt": ["BusEventBus", "Arn"]}}]
    assert _env(t) == {"STP_BUS_ARN": {"Fn::GetAtt": ["BusEventBus", "Arn"]}}  # archiveArn is not injected


def test_file_system_client_access_and_nfs_from_the_workload():
    t = template_of(_config("shared"))
    assert _statements(t) == [{
        "Effect": "Allow",
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"],
        "Resource": {"Fn::GetAtt": ["SharedFileSystem", "Arn"]},
    }]
    assert props(t, "SharedFromAppIngress") == {
        "GroupId": {"Ref": "SharedSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
        "SourceSecurityGroupId": {"Ref": "AppSecurityGroup"}, "Description": "NFS from app",
    }
    assert _env(t) == {}  # its parameters are not injected


def test_aws_ses_macro():
    t = template_of(_config("aws:ses"))
    assert _statements(t) == [{"Effect": "Allow", "Action": ["ses:*"], "Resource": "*"}]
    assert _env(t) == {}


def test_every_aws_macro_has_a_connect_hook():
    registry.load_families()
    assert all(("connect", m) in registry.HOOKS for m in AWS_MACROS)


def test_a_target_listed_twice_is_granted_once():
    t = template_of(_config("jobs", "jobs", "shared", "shared"))
    assert len(_statements(t)) == 2
    assert len(of_type(t, "AWS::EC2::SecurityGroupIngress")) == 1


def test_only_the_connecting_workload_gets_access():
    text = _config("jobs") + """
  other:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/other:1'}}
      resources: {cpu: 0.25, memory: 512}
"""
    t = template_of(text)
    assert "Policies" not in props(t, "OtherTaskRole")
    assert _env(t, "other", "OtherTaskDefinition") == {}


def test_every_container_of_a_multi_container_workload_gets_the_variables():
    t = template_of(TARGETS + """
  app:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      connectTo: [jobs]
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
        - name: agent
          packaging: {type: prebuilt-image, properties: {image: 'acme/agent:1'}}
""")
    for name in ("web", "agent"):
        assert _env(t, name)["STP_JOBS_URL"] == {"Ref": "JobsQueue"}
    assert lint_errors(t) == []


# --- workloads as targets ------------------------------------------------------------------------


WORKLOADS = """
resources:
  api:
    type: private-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/api:1'}}
      resources: {cpu: 0.25, memory: 512}
      port: 8080
  bot:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/bot:1'}}
      resources: {cpu: 0.25, memory: 512}
"""


def test_private_service_target_admits_the_workload_on_its_port_and_gives_its_address():
    t = template_of(_config("api", base=WORKLOADS))
    assert props(t, "ApiFromAppPort8080Ingress") == {
        "GroupId": {"Ref": "ApiSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
        "SourceSecurityGroupId": {"Ref": "AppSecurityGroup"}, "Description": "app (connectTo) to api port 8080",
    }
    assert _env(t) == {"STP_API_ADDRESS": "api:8080"}
    assert _statements(t) == []  # network only
    assert lint_errors(t) == []


def test_worker_target_has_no_port_to_reach_and_says_so():
    result = compile_yaml(_config("bot", base=WORKLOADS))
    assert any("listens on no port" in w.message for w in result.warnings)
    assert not any("Bot" in k and "Ingress" in k for k in result.template["Resources"])


# --- databases (their compiler is another module's: stood in for here) ----------------------------


DATABASES = """
resources:
  pg:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('db-pass')
      engine:
        type: postgres
        properties:
          version: '16.6'
          primaryInstance: {instanceSize: db.t4g.micro}
  my:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('db-pass')
      engine:
        type: mysql
        properties:
          version: '8.0.40'
          port: 3307
          primaryInstance: {instanceSize: db.t4g.micro}
  cache:
    type: redis-cluster
    properties:
      defaultUserPassword: $Secret('redis-pass')
      instanceSize: cache.t4g.micro
      engineVersion: '7.1'
"""


def _stand_in_database(ctx, name, model):
    """What connectTo relies on from the database modules: a security group at <Name>SecurityGroup."""
    ctx.add(name, ec2.SecurityGroup(ctx.id(name, "SecurityGroup"), GroupDescription=f"{name}", VpcId=network(ctx).vpc))


def _database_params(ctx, name, param, port=None):
    """Parameters as a database module might give them; the port, unless given, only known at deploy time."""
    if param == "port":
        return port if port is not None else GetAtt(ctx.id(name, "SecurityGroup"), "GroupId")
    return {"host": f"{name}.internal", "connectionString": f"postgres://{name}", "readerHost": f"{name}-ro.internal",
            "jdbcConnectionString": f"jdbc:postgresql://{name}"}.get(param)


@pytest.fixture
def databases(monkeypatch):
    registry.load_families()
    for rtype in ("relational-database", "redis-cluster"):
        monkeypatch.setitem(registry.COMPILERS, rtype, _stand_in_database)
    monkeypatch.setitem(registry.PARAMS, "relational-database", _database_params)
    monkeypatch.setitem(registry.PARAMS, "redis-cluster", _database_params)
    return monkeypatch


def test_databases_admit_the_workload_on_their_port_without_iam(databases):
    t = template_of(_config("pg", "my", "cache", base=DATABASES))
    rules = {k: (v["Properties"]["GroupId"], v["Properties"]["FromPort"], v["Properties"]["SourceSecurityGroupId"])
             for k, v in of_type(t, "AWS::EC2::SecurityGroupIngress").items()}
    assert rules == {
        "PgFromAppPort5432Ingress": ({"Ref": "PgSecurityGroup"}, 5432, {"Ref": "AppSecurityGroup"}),  # engine default
        "MyFromAppPort3307Ingress": ({"Ref": "MySecurityGroup"}, 3307, {"Ref": "AppSecurityGroup"}),  # configured
        "CacheFromAppPort6379Ingress": ({"Ref": "CacheSecurityGroup"}, 6379, {"Ref": "AppSecurityGroup"}),
    }
    assert _statements(t) == []
    env = _env(t)  # injected by workload_hooks from the database modules' parameters
    assert env["STP_PG_HOST"] == "pg.internal" and env["STP_PG_CONNECTION_STRING"] == "postgres://pg"
    assert env["STP_CACHE_HOST"] == "cache.internal" and env["STP_CACHE_READER_HOST"] == "cache-ro.internal"
    assert lint_errors(t) == []


def test_database_port_parameter_wins_when_it_is_known_now(databases):
    databases.setitem(registry.PARAMS, "relational-database", lambda ctx, name, param: _database_params(ctx, name, param, "5433"))
    databases.setitem(registry.PARAMS, "redis-cluster", lambda ctx, name, param: _database_params(ctx, name, param, "7000"))
    t = template_of(_config("my", "cache", base=DATABASES))
    assert {"MyFromAppPort5433Ingress", "CacheFromAppPort7000Ingress"} <= set(t["Resources"])


def test_database_module_without_the_expected_security_group_is_reported(databases):
    databases.setitem(registry.COMPILERS, "relational-database", lambda ctx, name, model: None)
    databases.setitem(registry.PARAMS, "relational-database", lambda ctx, name, param: _database_params(ctx, name, param, "5432"))
    from core.compile import CompileError

    with pytest.raises(CompileError) as err:
        compile_yaml(_config("pg", base=DATABASES))
    assert "connectTo relational-database 'pg': network access is not compiled yet (the template has no security" \
           " group 'PgSecurityGroup'" in str(err.value)


# --- functions (compiled by another module: stood in for here) -----------------------------------


def _stand_in_function(ctx, name, model):
    role = ctx.add(name, iam.Role(ctx.id(name, "Role"), AssumeRolePolicyDocument={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))
    ctx.add(name, awslambda.Function(ctx.id(name, "Function"), Role=GetAtt(role, "Arn"), Runtime="python3.12",
                                     Handler="index.handler", Code=awslambda.Code(ZipFile="def handler(e, c): pass")))


def test_function_target_invoke_on_the_function_and_its_versions(monkeypatch):
    registry.load_families()
    monkeypatch.setitem(registry.COMPILERS, "function", _stand_in_function)
    monkeypatch.setitem(registry.PARAMS, "function",
                        lambda ctx, name, param: GetAtt(ctx.id(name, "Function"), "Arn") if param == "arn" else None)
    t = template_of(_config("resize", base="""
resources:
  resize:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/resize.ts}}
"""))
    assert _statements(t) == [{
        "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
        "Resource": [{"Fn::GetAtt": ["ResizeFunction", "Arn"]}, {"Fn::Sub": "${ResizeFunction.Arn}:*"}],
    }]
    assert _env(t) == {"STP_RESIZE_ARN": {"Fn::GetAtt": ["ResizeFunction", "Arn"]}}
    assert lint_errors(t) == []


def test_target_without_parameters_is_reported_with_the_workload(monkeypatch):
    registry.load_families()
    monkeypatch.setitem(registry.COMPILERS, "function", _stand_in_function)
    monkeypatch.delitem(registry.PARAMS, "function", raising=False)
    from core.compile import CompileError

    with pytest.raises(CompileError) as err:
        compile_yaml(_config("resize", base="""
resources:
  resize:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/resize.ts}}
"""))
    assert {(p.where, p.message) for p in err.value.problems} >= {
        ("app", "connectTo 'resize': parameter 'arn' of function 'resize' is not compiled yet"),
    }


# --- the example ---------------------------------------------------------------------------------


def test_queue_worker_example_compiles_lint_clean_with_access_and_variables(capsys):
    assert main(["compile", str(EXAMPLES / "queue-worker"), "--stage", "dev"]) == 0
    t = json.loads(capsys.readouterr().out)
    assert lint_errors(t) == []
    env = _env(t, "worker", "WorkerTaskDefinition")
    assert env["STP_JOBS_URL"] == {"Ref": "JobsQueue"} and env["STP_RESULTS_NAME"] == {"Ref": "ResultsBucket"}
    assert env["RESULTS_ARN"] == {"Fn::GetAtt": ["ResultsBucket", "Arn"]}  # $ResourceParam in the config
    resources = [s["Resource"] for s in _statements(t, "Worker")]
    assert resources == [{"Fn::GetAtt": ["JobsQueue", "Arn"]}, {"Fn::GetAtt": ["ResultsBucket", "Arn"]},
                         {"Fn::Sub": "${ResultsBucket.Arn}/*"}]
    assert props(t, "JobsQueue")["VisibilityTimeout"] == 60


