"""Functions compiled to AWS Lambda: what a user relies on in the template, and cfn-lint clean."""

from __future__ import annotations

import json

import pytest

from core.compile import compiler as compiler_module
from core.compile.context import CompileContext
from tests.conftest import EXAMPLES
from tests.core.compile_support import compile_yaml, lint_errors, of_type, problems_of, props, role_statements, template_of

ACCOUNT = "123456789012"

API = """
resources:
  gateway:
    type: http-api-gateway
  lb:
    type: application-load-balancer
  api:
    type: function
    properties:
      packaging:
        type: stacktape-lambda-buildpack
        properties:
          entryfilePath: ./src/handlers/api.ts
      memory: 512
      timeout: 20
      environment:
        - name: MODE
          value: prod
        - name: TOKEN
          value: $Secret('api-token')
        - name: RETRIES
          value: 3
      iamRoleStatements:
        - Action: ['s3:GetObject']
          Resource: ['arn:aws:s3:::reports/*']
      events:
        - type: http-api-gateway
          properties: {httpApiGatewayName: gateway, method: GET, path: '/users/{id}'}
        - type: http-api-gateway
          properties: {httpApiGatewayName: gateway, method: '*', path: '/v2/{proxy+}', payloadFormat: '2.0'}
        - type: application-load-balancer
          properties: {loadBalancerName: lb, priority: 5, paths: ['/api/*'], methods: [get]}
"""

TRIGGERS = f"""
resources:
  jobs:
    type: sqs-queue
    properties:
      visibilityTimeoutSeconds: 120
  dlq:
    type: sqs-queue
  news:
    type: sns-topic
  bus:
    type: event-bus
  worker:
    type: function
    properties:
      packaging: {{type: custom-artifact, properties: {{packagePath: dist/worker.zip, handler: 'index.mjs:main'}}}}
      runtime: nodejs20.x
      timeout: 60
      events:
        - type: sqs
          properties: {{sqsQueueName: jobs, batchSize: 50, maxBatchWindowSeconds: 5}}
        - type: sns
          properties: {{snsTopicName: news, filterPolicy: {{kind: [order]}}, onDeliveryFailure: {{sqsQueueName: dlq}}}}
        - type: event-bus
          properties: {{eventBusName: bus, eventPattern: {{source: [shop]}}}}
        - type: schedule
          properties: {{scheduleRate: rate(5 minutes), input: {{task: cleanup}}}}
        - type: kinesis-stream
          properties:
            streamArn: 'arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks'
            autoCreateConsumer: true
            startingPosition: LATEST
            maximumRetryAttempts: 3
            bisectBatchOnFunctionError: true
            onFailure: {{type: sqs, arn: 'arn:aws:sqs:us-east-1:{ACCOUNT}:clicks-failed'}}
        - type: dynamo-db-stream
          properties: {{streamArn: 'arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/stream/2024-01-01T00:00:00.000'}}
        - type: cloudwatch-log
          properties: {{logGroupArn: 'arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web', filter: ERROR}}
        - type: cloudwatch-alarm
          properties: {{alarmName: high-cpu}}
        - type: kafka-topic
          properties:
            customKafkaConfiguration:
              bootstrapServers: ['b1.example.com:9092']
              topicName: orders
              authentication:
                type: SASL_SCRAM_512_AUTH
                properties: {{authenticationSecretArn: 'arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:kafka'}}
      destinations:
        onFailure: 'arn:aws:sqs:us-east-1:{ACCOUNT}:failed'
"""

VPC_WARM = """
resources:
  reports:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: app/reports.py, handlerFunction: run}}
      architecture: arm64
      joinDefaultVpc: true
      provisionedConcurrency: 2
      reservedConcurrency: 10
      storage: 2048
      layers: ['arn:aws:lambda:us-east-1:123456789012:layer:libs:3']
      logging: {retentionDays: 14}
      url:
        enabled: true
        cors: {enabled: true, allowedOrigins: ['https://app.example.com']}
      tags:
        - {name: team, value: data}
      events:
        - type: schedule
          properties: {scheduleRate: 'cron(0 6 * * ? *)'}
"""

CANARY = (EXAMPLES / "canary-alb" / "stacktape.yml").read_text()


@pytest.fixture
def context(monkeypatch):
    """The CompileContext of the next compile (for what the deploy step reads besides the template)."""
    seen = {}

    class Capturing(CompileContext):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            seen["ctx"] = self

    monkeypatch.setattr(compiler_module, "CompileContext", Capturing)
    return seen


@pytest.mark.parametrize("config", [API, TRIGGERS, VPC_WARM, CANARY], ids=["api", "triggers", "vpc-warm", "canary"])
def test_every_compiled_template_passes_cfn_lint(config):
    assert lint_errors(template_of(config)) == []


# --- the function -------------------------------------------------------------------------------


def test_function_runtime_handler_code_and_limits():
    t = template_of(API, project="shop")
    fn = props(t, "ApiFunction")
    assert fn["FunctionName"] == "shop-dev-api"
    assert (fn["Runtime"], fn["Handler"]) == ("nodejs22.x", "src/handlers/api.handler")
    assert fn["Code"] == {"S3Bucket": {"Ref": "ApiCodeBucket"}, "S3Key": {"Ref": "ApiCodeKey"}}
    assert (fn["MemorySize"], fn["Timeout"], fn["EphemeralStorage"]) == (512, 20, {"Size": 512})
    assert fn["Architectures"] == ["x86_64"]
    assert fn["Role"] == {"Fn::GetAtt": ["ApiRole", "Arn"]}
    assert fn["Environment"]["Variables"] == {
        "MODE": "prod", "TOKEN": "{{resolve:secretsmanager:api-token}}", "RETRIES": "3",
    }
    assert "VpcConfig" not in fn and "ReservedConcurrentExecutions" not in fn
    for p in ("ApiCodeBucket", "ApiCodeKey"):
        assert t["Parameters"][p]["Type"] == "String"


def test_code_packages_are_recorded_for_the_deploy_step(context):
    compile_yaml(API)
    assert context["ctx"].artifacts["ApiCode"] == {
        "kind": "lambda-package", "resource": "api", "packaging": "stacktape-lambda-buildpack",
        "bucketParameter": "ApiCodeBucket", "keyParameter": "ApiCodeKey",
        "runtime": "nodejs22.x", "handler": "src/handlers/api.handler", "architecture": "x86_64",
    }


def test_log_group_with_retention_and_a_role_of_its_own():
    t = template_of(API)
    lg = t["Resources"]["ApiLogGroup"]
    assert lg["Properties"] == {"LogGroupName": "/aws/lambda/demo-dev-api", "RetentionInDays": 180}
    assert lg["DeletionPolicy"] == "Delete"
    assert props(t, "ApiFunction")["LoggingConfig"] == {"LogGroup": {"Ref": "ApiLogGroup"}}
    role = props(t, "ApiRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]
    [policy] = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::reports/*"]}]
    assert t["Outputs"]["ApiFunctionName"]["Value"] == {"Ref": "ApiFunction"}
    assert t["Outputs"]["ApiLogGroupName"]["Value"] == {"Ref": "ApiLogGroup"}


def test_disabled_logging_has_no_log_group_and_no_log_permissions():
    t = template_of(VPC_WARM.replace("logging: {retentionDays: 14}", "logging: {disabled: true}"))
    assert "ReportsLogGroup" not in t["Resources"] and "LoggingConfig" not in props(t, "ReportsFunction")
    role = props(t, "ReportsRole")
    assert "ManagedPolicyArns" not in role  # neither basic (logs) nor VPC access (it includes logs) …
    actions = [a for s in role["Policies"][0]["PolicyDocument"]["Statement"] for a in s["Action"]]
    assert "ec2:CreateNetworkInterface" in actions  # … but the VPC still works
    assert not any(a.startswith("logs:") for a in actions)


@pytest.mark.parametrize(
    "entry, extra, runtime, handler",
    [
        ("src/index.ts", "", "nodejs22.x", "src/index.handler"),
        ("src/index.ts", "languageSpecificConfig: {nodeVersion: 20}", "nodejs20.x", "src/index.handler"),
        ("app/main.py", "handlerFunction: lambda_handler", "python3.13", "app.main.lambda_handler"),
        ("app/main.py", "languageSpecificConfig: {pythonVersion: 3.12}", "python3.12", "app.main.handler"),
        ("src/main/java/com/acme/Handler.java", "", "java21", "com.acme.Handler::handleRequest"),
        ("cmd/api/main.go", "", "provided.al2023", "bootstrap"),
        ("lib/handler.rb", "", "ruby3.3", "lib/handler.handler"),
    ],
)
def test_runtime_and_handler_follow_the_entry_file(entry, extra, runtime, handler):
    text = f"""
        resources:
          fn:
            type: function
            properties:
              packaging:
                type: stacktape-lambda-buildpack
                properties:
                  entryfilePath: {entry}
                  {extra}
    """
    fn = props(template_of(text), "FnFunction")
    assert (fn["Runtime"], fn["Handler"]) == (runtime, handler)


@pytest.mark.parametrize(
    "packaging, runtime, expected",
    [
        ("{packagePath: dist.zip, handler: 'index.mjs:main'}", "nodejs20.x", ("nodejs20.x", "index.main")),
        ("{packagePath: dist.zip, handler: 'app/main.py:handler'}", None, ("python3.13", "app.main.handler")),
        ("{packagePath: dist.zip, handler: 'index.handler'}", "nodejs22.x", ("nodejs22.x", "index.handler")),
        ("{packagePath: bootstrap.zip}", "provided.al2023", ("provided.al2023", "bootstrap")),
    ],
)
def test_custom_artifacts_take_their_handler_as_written(packaging, runtime, expected):
    text = f"""
        resources:
          fn:
            type: function
            properties:
              packaging: {{type: custom-artifact, properties: {packaging}}}
    """ + (f"          runtime: {runtime}\n" if runtime else "")
    fn = props(template_of(text), "FnFunction")
    assert (fn["Runtime"], fn["Handler"]) == expected


@pytest.mark.parametrize(
    "packaging, message",
    [
        ("{type: custom-artifact, properties: {packagePath: dist.zip}}", "a custom artifact needs its runtime"),
        ("{type: custom-artifact, properties: {packagePath: dist.zip}}\n              runtime: nodejs22.x",
         "say what Lambda calls"),
        ("{type: stacktape-lambda-buildpack, properties: {entryfilePath: index.php}}", "PHP has no Lambda runtime"),
        ("{type: stacktape-lambda-buildpack, properties: {entryfilePath: src/a.ts}}\n              runtime: python3.12",
         "runtime 'python3.12' cannot run 'src/a.ts'"),
        (("{type: stacktape-lambda-buildpack, properties: {entryfilePath: src/a.ts, languageSpecificConfig:"
          " {nodeVersion: 21}}}"), "Lambda has no Node.js 21 runtime"),
    ],
)
def test_packaging_that_cannot_run_is_explained(packaging, message):
    problems = problems_of(f"""
        resources:
          fn:
            type: function
            properties:
              packaging: {packaging}
    """)
    assert any(message in p.message for p in problems), problems


def test_reserved_environment_names_are_refused():
    problems = problems_of(API.replace("name: MODE", "name: AWS_REGION"))
    assert [p.message for p in problems] == ["Lambda sets AWS_REGION itself; pick another variable name"]
    assert problems[0].where == "resources.api.properties.environment[0]"
    problems = problems_of(API.replace("name: MODE", "name: X"))
    assert "'X' cannot be a Lambda environment variable name" in problems[0].message


# --- VPC, concurrency, URL ------------------------------------------------------------------------


def test_function_in_the_vpc_runs_in_private_subnets_with_s3_and_dynamodb_endpoints():
    t = template_of(VPC_WARM)
    fn = props(t, "ReportsFunction")
    assert fn["VpcConfig"] == {
        "SubnetIds": [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}],
        "SecurityGroupIds": [{"Ref": "ReportsSecurityGroup"}],
    }
    assert props(t, "ReportsSecurityGroup")["VpcId"] == {"Ref": "Vpc"}
    assert not of_type(t, "AWS::EC2::NatGateway")  # no internet, no NAT cost …
    endpoints = of_type(t, "AWS::EC2::VPCEndpoint")  # … but S3 and DynamoDB work
    assert sorted(endpoints) == ["VpcDynamoDbEndpoint", "VpcS3Endpoint"]
    assert endpoints["VpcS3Endpoint"]["Properties"]["RouteTableIds"] == [
        {"Ref": "VpcPrivateRouteTable1"}, {"Ref": "VpcPrivateRouteTable2"}]
    managed = props(t, "ReportsRole")["ManagedPolicyArns"]
    assert {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"} in managed
    assert (fn["Architectures"], fn["EphemeralStorage"], fn["ReservedConcurrentExecutions"]) == (["arm64"], {"Size": 2048}, 10)
    assert fn["Layers"] == ["arn:aws:lambda:us-east-1:123456789012:layer:libs:3"]
    assert fn["Tags"] == [{"Key": "team", "Value": "data"}]
    assert props(t, "ReportsLogGroup")["RetentionInDays"] == 14


def test_provisioned_concurrency_keeps_an_alias_warm_and_triggers_invoke_it():
    t = template_of(VPC_WARM)
    alias = props(t, "ReportsAlias")
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"] == {"Fn::GetAtt": ["ReportsVersion", "Version"]}
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    [rule] = of_type(t, "AWS::Events::Rule").values()
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": "ReportsAlias"}
    assert props(t, "ReportsEvent1Permission")["FunctionName"] == {"Ref": "ReportsAlias"}
    assert props(t, "ReportsUrl")["Qualifier"] == "live"


def test_a_new_version_is_published_when_configuration_or_code_changes():
    def description(text):
        return props(template_of(text), "ReportsVersion")["Description"]["Fn::Join"][1]

    before = description(VPC_WARM)
    assert before[1] == {"Ref": "ReportsCodeKey"}  # new code: new key, new version
    assert description(VPC_WARM) == before  # stable
    assert description(VPC_WARM.replace("storage: 2048", "storage: 4096")) != before


def test_public_function_url_with_cors():
    t = template_of(VPC_WARM)
    url = props(t, "ReportsUrl")
    assert (url["AuthType"], url["InvokeMode"]) == ("NONE", "BUFFERED")
    assert url["Cors"]["AllowOrigins"] == ["https://app.example.com"]
    assert props(t, "ReportsUrlPermission")["Action"] == "lambda:InvokeFunctionUrl"
    assert props(t, "ReportsUrlPermission")["FunctionUrlAuthType"] == "NONE"
    assert props(t, "ReportsUrlInvokePermission")["InvokedViaFunctionUrl"] is True
    assert t["Outputs"]["ReportsFunctionUrl"]["Value"] == {"Fn::GetAtt": ["ReportsUrl", "FunctionUrl"]}


def test_iam_protected_url_grants_nobody():
    t = template_of(VPC_WARM.replace("        enabled: true\n", "        enabled: true\n        authMode: AWS_IAM\n"))
    assert props(t, "ReportsUrl")["AuthType"] == "AWS_IAM"
    assert "ReportsUrlPermission" not in t["Resources"]


def test_destinations_of_asynchronous_invocations():
    t = template_of(TRIGGERS)
    config = props(t, "WorkerEventInvokeConfig")
    assert config["Qualifier"] == "$LATEST"
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": f"arn:aws:sqs:us-east-1:{ACCOUNT}:failed"}}
    statements = role_statements(t, "WorkerRole")
    assert any(s["Resource"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:failed" and "sqs:SendMessage" in s["Action"]
               for s in statements)


# --- request / response events --------------------------------------------------------------------


def test_http_api_routes_reach_the_function_through_lambda_integrations():
    t = template_of(API)
    integ = props(t, "ApiGatewayIntegration")
    assert integ == {"ApiId": {"Ref": "GatewayHttpApi"}, "IntegrationType": "AWS_PROXY",
                     "IntegrationUri": {"Fn::GetAtt": ["ApiFunction", "Arn"]}, "PayloadFormatVersion": "1.0"}
    assert props(t, "ApiGatewayIntegrationV2")["PayloadFormatVersion"] == "2.0"
    route = props(t, "ApiGatewayGetUsersIdRoute")
    assert route["RouteKey"] == "GET /users/{id}"
    assert route["Target"] == {"Fn::Join": ["/", ["integrations", {"Ref": "ApiGatewayIntegration"}]]}
    assert props(t, "ApiGatewayAnyV2ProxyRoute")["Target"]["Fn::Join"][1][1] == {"Ref": "ApiGatewayIntegrationV2"}
    perm = props(t, "ApiGatewayPermission")  # one per gateway
    assert perm["Principal"] == "apigateway.amazonaws.com"
    assert perm["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${GatewayHttpApi}/*"}
    assert len(of_type(t, "AWS::Lambda::Permission")) == 2  # the gateway's and the load balancer's


def test_http_api_warns_when_the_function_may_outlive_the_gateway():
    result = compile_yaml(API.replace("timeout: 20", "timeout: 60"))
    assert any("answers 503 after 30 seconds" in w.message for w in result.warnings)


def test_load_balancer_rules_forward_to_a_lambda_target_group():
    t = template_of(API)
    tg = t["Resources"]["ApiLbTargetGroup"]
    assert tg["Properties"]["TargetType"] == "lambda"
    assert tg["Properties"]["Targets"] == [{"Id": {"Fn::GetAtt": ["ApiFunction", "Arn"]}}]
    assert tg["DependsOn"] == ["ApiLbPermission"]  # registering the function needs the permission first
    assert props(t, "ApiLbPermission")["Principal"] == "elasticloadbalancing.amazonaws.com"
    rule = props(t, "ApiLbListener80Rule5")
    assert rule["ListenerArn"] == {"Ref": "LbAlbListener80"} and rule["Priority"] == 5
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "ApiLbTargetGroup"}}]
    fields = {c["Field"]: c for c in rule["Conditions"]}
    assert fields["path-pattern"]["PathPatternConfig"]["Values"] == ["/api/*"]
    assert fields["http-request-method"]["HttpRequestMethodConfig"]["Values"] == ["GET"]


# --- queues, streams, notifications ---------------------------------------------------------------


def test_queue_of_the_stack_is_read_in_batches():
    t = template_of(TRIGGERS)
    mapping = props(t, "WorkerEvent1EventSourceMapping")
    assert mapping == {"EventSourceArn": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
                       "FunctionName": {"Fn::GetAtt": ["WorkerFunction", "Arn"]},
                       "BatchSize": 50, "MaximumBatchingWindowInSeconds": 5}
    statements = role_statements(t, "WorkerRole")
    read = next(s for s in statements if "sqs:ReceiveMessage" in s["Action"])
    assert read["Resource"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]} and "sqs:DeleteMessage" in read["Action"]


@pytest.mark.parametrize(
    "change, message",
    [
        (("visibilityTimeoutSeconds: 120", "visibilityTimeoutSeconds: 30"),
         ("queue 'jobs' hides a received message for 30 seconds (visibilityTimeoutSeconds), less than the function's"
          " timeout of 60 seconds")),
        (("batchSize: 50, maxBatchWindowSeconds: 5", "batchSize: 50"),
         "batches of more than 10 messages need a batching window"),
        (("maxBatchWindowSeconds: 5", "maxBatchWindowSeconds: 2.5"), "Lambda batches in whole seconds"),
    ],
)
def test_queue_settings_that_cannot_work_are_explained(change, message):
    problems = problems_of(TRIGGERS.replace(*change))
    assert any(message in p.message for p in problems), problems


def test_topic_subscription_with_filter_and_dead_letter_queue():
    t = template_of(TRIGGERS)
    sub = t["Resources"]["WorkerEvent2Subscription"]
    assert sub["Properties"] == {
        "Protocol": "lambda", "Endpoint": {"Fn::GetAtt": ["WorkerFunction", "Arn"]}, "TopicArn": {"Ref": "NewsTopic"},
        "FilterPolicy": {"kind": ["order"]}, "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["DlqQueue", "Arn"]}},
    }
    assert sub["DependsOn"] == ["WorkerEvent2Permission"]
    perm = props(t, "WorkerEvent2Permission")
    assert (perm["Principal"], perm["SourceArn"]) == ("sns.amazonaws.com", {"Ref": "NewsTopic"})
    [statement] = props(t, "DlqQueuePolicy")["PolicyDocument"]["Statement"]  # SNS may fill the queue, from that topic
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "NewsTopic"}}}


def test_event_bus_schedule_and_alarm_rules_invoke_the_function():
    t = template_of(TRIGGERS)
    bus = props(t, "WorkerEvent3Rule")
    assert bus["EventBusName"] == {"Fn::GetAtt": ["BusEventBus", "Arn"]}
    assert bus["EventPattern"] == {"source": ["shop"]}
    schedule = props(t, "WorkerEvent4Schedule")
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["Targets"] == [{"Arn": {"Fn::GetAtt": ["WorkerFunction", "Arn"]}, "Id": "worker",
                                    "Input": '{"task":"cleanup"}'}]
    alarm = props(t, "WorkerEvent8Rule")
    assert alarm["EventPattern"] == {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
                                     "detail": {"alarmName": ["high-cpu"]}}
    for n, rule in ((3, "WorkerEvent3Rule"), (4, "WorkerEvent4Schedule"), (8, "WorkerEvent8Rule")):
        perm = props(t, f"WorkerEvent{n}Permission")
        assert (perm["Principal"], perm["SourceArn"]) == ("events.amazonaws.com", {"Fn::GetAtt": [rule, "Arn"]})


def test_streams_are_read_with_their_settings():
    t = template_of(TRIGGERS)
    consumer = props(t, "WorkerEvent5StreamConsumer")
    assert consumer["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
    kinesis = props(t, "WorkerEvent5EventSourceMapping")
    assert kinesis["EventSourceArn"] == {"Fn::GetAtt": ["WorkerEvent5StreamConsumer", "ConsumerARN"]}
    assert (kinesis["StartingPosition"], kinesis["BatchSize"], kinesis["MaximumRetryAttempts"]) == ("LATEST", 10, 3)
    assert kinesis["BisectBatchOnFunctionError"] is True
    assert kinesis["DestinationConfig"] == {"OnFailure": {"Destination": f"arn:aws:sqs:us-east-1:{ACCOUNT}:clicks-failed"}}
    dynamo = props(t, "WorkerEvent6EventSourceMapping")
    assert (dynamo["StartingPosition"], dynamo["BatchSize"]) == ("TRIM_HORIZON", 100)
    actions = {a for s in role_statements(t, "WorkerRole") for a in s["Action"]}
    assert {"kinesis:SubscribeToShard", "kinesis:GetRecords", "dynamodb:GetRecords", "sqs:SendMessage"} <= actions


def test_kafka_topic_of_a_self_managed_cluster():
    t = template_of(TRIGGERS)
    mapping = props(t, "WorkerEvent9EventSourceMapping")
    assert mapping["Topics"] == ["orders"]
    assert mapping["SelfManagedEventSource"] == {"Endpoints": {"KafkaBootstrapServers": ["b1.example.com:9092"]}}
    assert mapping["SourceAccessConfigurations"] == [
        {"Type": "SASL_SCRAM_512_AUTH", "URI": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:kafka"}]
    assert "MaximumBatchingWindowInSeconds" not in mapping  # 0.5 s is Lambda's own default


def test_log_group_subscription():
    t = template_of(TRIGGERS)
    filt = t["Resources"]["WorkerEvent7SubscriptionFilter"]
    assert filt["Properties"] == {"LogGroupName": "/app/web", "DestinationArn": {"Fn::GetAtt": ["WorkerFunction", "Arn"]},
                                  "FilterPattern": "ERROR"}
    assert filt["DependsOn"] == ["WorkerEvent7Permission"]
    perm = props(t, "WorkerEvent7Permission")
    assert perm["Principal"] == "logs.amazonaws.com"
    assert perm["SourceArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web:*"


def test_log_group_of_another_function_is_found_by_its_arn():
    text = VPC_WARM + """
  watcher:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/watch.ts}}
      events:
        - type: cloudwatch-log
          properties: {logGroupArn: "$ResourceParam('reports', 'logGroupArn')"}
"""
    t = template_of(text)
    assert props(t, "WatcherEvent1SubscriptionFilter")["LogGroupName"] == {
        "Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": ["ReportsLogGroup", "Arn"]}]}]}
    assert lint_errors(t) == []


def test_a_function_cannot_read_its_own_logs():
    text = VPC_WARM + """        - type: cloudwatch-log
          properties: {logGroupArn: "$ResourceParam('reports', 'logGroupArn')"}
"""
    assert "cannot receive its own log group" in problems_of(text)[0].message


def test_s3_events_are_reported_as_owned_by_the_bucket():
    problems = problems_of(API + """        - type: s3
          properties: {bucketArn: 'arn:aws:s3:::uploads', s3EventType: 's3:ObjectCreated:*'}
""")
    [p] = problems
    assert p.kind == "unsupported" and p.where == "resources.api.properties.events[3]"
    assert "bucket's own notification configuration" in p.message


# --- connectTo, parameters, deployments -----------------------------------------------------------


def test_connect_to_grants_access_and_injects_variables():
    t = template_of(TRIGGERS.replace("      timeout: 60\n", "      timeout: 60\n      connectTo: [news, 'aws:ses']\n"))
    env = props(t, "WorkerFunction")["Environment"]["Variables"]
    assert env["STP_NEWS_ARN"] == {"Ref": "NewsTopic"}
    statements = role_statements(t, "WorkerRole")
    assert {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": {"Ref": "NewsTopic"}} in statements
    assert any(s["Action"] == ["ses:*"] for s in statements)


def test_function_parameters():
    text = VPC_WARM + """
  caller:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/call.ts}}
      environment:
        - {name: TARGET, value: "$ResourceParam('reports', 'arn')"}
        - {name: URL, value: "$ResourceParam('reports', 'url')"}
        - {name: LOGS, value: "$ResourceParam('reports', 'logGroupArn')"}
"""
    env = props(template_of(text), "CallerFunction")["Environment"]["Variables"]
    assert env == {"TARGET": {"Fn::GetAtt": ["ReportsFunction", "Arn"]},
                   "URL": {"Fn::GetAtt": ["ReportsUrl", "FunctionUrl"]},
                   "LOGS": {"Fn::GetAtt": ["ReportsLogGroup", "Arn"]}}
    problems = problems_of(text.replace("      url:\n        enabled: true\n", "      url:\n        enabled: false\n"))
    assert any("function 'reports' has no URL; set url.enabled: true" in p.message for p in problems)


def test_features_not_compiled_yet_are_reported():
    problems = problems_of(API.replace("      memory: 512\n", """      memory: 512
      deployment: {strategy: Canary10Percent5Minutes}
      alarms:
        - trigger: {type: lambda-error-rate, properties: {thresholdPercent: 5}}
""").replace("          entryfilePath: ./src/handlers/api.ts\n", "          entryfilePath: ./src/handlers/api.ts\n      url: {enabled: true}\n      cdn: {enabled: true}\n"))
    messages = {p.where: p.message for p in problems if p.kind == "unsupported"}
    assert "gradual deployment of a function" in messages["resources.api.properties.deployment"]
    assert "alarms on a function" in messages["resources.api.properties.alarms"]
    assert "CDN" in messages["resources.api.properties.cdn"]


def test_efs_file_system_is_mounted_through_an_access_point():
    text = VPC_WARM.replace("      joinDefaultVpc: true\n", """      joinDefaultVpc: true
      volumeMounts:
        - type: efs
          properties: {efsFilesystemName: files, rootDirectory: /reports, mountPath: /mnt/reports}
""") + """
  files:
    type: efs-filesystem
"""
    t = template_of(text)
    ap = props(t, "ReportsFilesAccessPoint")
    assert ap["FileSystemId"] == {"Ref": "FilesFileSystem"}
    assert ap["RootDirectory"] == {"Path": "/reports", "CreationInfo": {"OwnerUid": "1000", "OwnerGid": "1000",
                                                                        "Permissions": "755"}}
    fn = t["Resources"]["ReportsFunction"]
    assert fn["Properties"]["FileSystemConfigs"] == [{"Arn": {"Fn::GetAtt": ["ReportsFilesAccessPoint", "Arn"]},
                                                      "LocalMountPath": "/mnt/reports"}]
    assert {"FilesMountTarget1", "FilesMountTarget2"} <= set(fn["DependsOn"])
    nfs = [r["Properties"] for r in of_type(t, "AWS::EC2::SecurityGroupIngress").values()]
    assert any(r["SourceSecurityGroupId"] == {"Ref": "ReportsSecurityGroup"} and r["FromPort"] == 2049 for r in nfs)
    actions = {a for s in role_statements(t, "ReportsRole") for a in s["Action"]}
    assert "elasticfilesystem:ClientMount" in actions
    assert lint_errors(t) == []


def test_canary_example_runs_its_hook_function_as_an_ecs_lifecycle_hook():
    t = template_of(CANARY)
    hook = props(t, "ApiService")["DeploymentConfiguration"]["LifecycleHooks"][0]
    assert hook["HookTargetArn"] == {"Fn::GetAtt": ["CheckReleaseFunction", "Arn"]}
    assert props(t, "CheckReleaseFunction")["Timeout"] == 60
    assert "CheckReleaseCodeBucket" in t["Parameters"]
    assert "codedeploy" not in json.dumps(t["Resources"]).lower()
