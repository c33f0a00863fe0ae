"""The `function` model as a user meets it: real configs pass, mistakes are reported at the key at fault."""

from __future__ import annotations

import json

import pytest

from core.analysis import analyze
from core.model.function import RESOURCES, Function
from core.model.paths import coverage
from core.source import compose, to_data
from tests.conftest import SHARED, yaml
from tests.core.corpus_support import assert_marked_lines_fail, corpus_resources, faulty_lines
from tests.core.model_support import analysis_errors

FN = ("resources", "fn", "properties")

# Resources an event may point at; the function under test is appended below them.
_STACK = """
resources:
  api:
    type: http-api-gateway
  lb:
    type: application-load-balancer
  jobs:
    type: sqs-queue
  deadLetters:
    type: sqs-queue
  alerts:
    type: sns-topic
  bus:
    type: event-bus
  uploads:
    type: bucket
  orders:
    type: dynamo-db-table
    properties:
      primaryKey:
        partitionKey: {name: id, type: string}
      streamType: NEW_AND_OLD_IMAGES
  clicks:
    type: kinesis-stream
  shared:
    type: efs-filesystem
  smokeTest:
    type: function
    properties:
      packaging:
        type: stacktape-lambda-buildpack
        properties:
          entryfilePath: src/smoke.ts
"""


def _config(fn_props: str) -> str:
    """The stack above plus a function `fn` with the given (YAML) properties."""
    body = "\n".join("      " + line if line.strip() else line for line in yaml(fn_props).splitlines())
    return yaml(_STACK) + "  fn:\n    type: function\n    properties:\n" + body + "\n"


_PACKAGING = """
packaging:
  type: stacktape-lambda-buildpack
  properties:
    entryfilePath: src/handler.ts
"""


def _fn(extra: str = "") -> str:
    return _config(yaml(_PACKAGING) + yaml(extra))


def _at(text: str, path: tuple) -> list:
    """Errors reported exactly at ``path``."""
    return [d for d in analysis_errors(text) if tuple(d.path) == path]


# --- a realistic function is clean ------------------------------------------------------------------


REALISTIC = """
packaging:
  type: stacktape-lambda-buildpack
  properties:
    entryfilePath: src/handler.ts
    handlerFunction: main
    includeFiles: [templates/**]
    languageSpecificConfig:
      nodeVersion: 22
      outputModuleFormat: esm
runtime: nodejs22.x
architecture: arm64
memory: 1024
timeout: 30
storage: 1024
joinDefaultVpc: true
environment:
  - name: STAGE
    value: $Stage()
  - name: RETRIES
    value: 3
connectTo:
  - jobs
  - orders
  - aws:ses
iamRoleStatements:
  - Resource: ['*']
    Action: ['bedrock:InvokeModel']
layers: ['arn:aws:lambda:eu-west-1:123456789012:layer:tools:4']
provisionedConcurrency: 2
reservedConcurrency: 10
destinations:
  onSuccess: $ResourceParam('jobs', 'arn')
  onFailure: arn:aws:sqs:eu-west-1:123456789012:failed
url:
  enabled: true
  authMode: AWS_IAM
  cors:
    enabled: true
    allowedOrigins: ['https://app.example.com']
deployment:
  strategy: Canary10Percent5Minutes
  beforeAllowTrafficFunction: smokeTest
logging:
  retentionDays: 30
alarms:
  - trigger:
      type: lambda-error-rate
      properties:
        thresholdPercent: 5
volumeMounts:
  - type: efs
    properties:
      efsFilesystemName: shared
      mountPath: /mnt/shared
tags:
  - name: team
    value: payments
events:
  - type: http-api-gateway
    properties:
      httpApiGatewayName: api
      path: /orders/{id}
      method: GET
      payloadFormat: '2.0'
  - type: application-load-balancer
    properties:
      loadBalancerName: lb
      priority: 10
      paths: ['/orders/*']
      methods: [GET, POST]
  - type: sqs
    properties:
      sqsQueueName: jobs
      batchSize: 50
      maxBatchWindowSeconds: 5
  - type: sns
    properties:
      snsTopicName: alerts
      filterPolicy: {severity: [high]}
      onDeliveryFailure:
        sqsQueueName: deadLetters
  - type: event-bus
    properties:
      eventBusName: bus
      eventPattern:
        source: [shop.orders]
        detail-type: [Order Placed]
        detail: {status: [paid]}
      inputPath: $.detail
  - type: event-bus
    properties:
      useDefaultBus: true
      eventPattern:
        source: [aws.ec2]
  - type: schedule
    properties:
      scheduleRate: rate(1 hour)
      input: {task: cleanup}
  - type: schedule
    properties:
      scheduleRate: cron(0 10 ? * MON-FRI *)
  - type: s3
    properties:
      bucketArn: $ResourceParam('uploads', 'arn')
      s3EventType: s3:ObjectCreated:*
      filterRule: {prefix: incoming/, suffix: .csv}
  - type: kinesis-stream
    properties:
      kinesisStreamName: clicks
      autoCreateConsumer: true
      startingPosition: LATEST
      onFailure:
        type: sqs
        arn: $ResourceParam('deadLetters', 'arn')
  - type: dynamo-db-stream
    properties:
      streamArn: $ResourceParam('orders', 'streamArn')
      batchSize: 100
      bisectBatchOnFunctionError: true
      maximumRetryAttempts: 3
  - type: kafka-topic
    properties:
      customKafkaConfiguration:
        bootstrapServers: ['broker-1.example.com:9092']
        topicName: payments
        authentication:
          type: SASL_SCRAM_512_AUTH
          properties:
            authenticationSecretArn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka
  - type: cloudwatch-log
    properties:
      logGroupArn: arn:aws:logs:eu-west-1:123456789012:log-group:/app
      filter: ERROR
  - type: cloudwatch-alarm
    properties:
      alarmName: high-latency
"""


def test_a_realistic_function_with_many_events_is_clean():
    a = analyze(_config(REALISTIC), strict=True)
    assert a.errors == [], [f"{d.span.line + 1}: [{d.code}] {d.message}" for d in a.errors]
    assert not [d for d in a.diagnostics if d.severity == "warning"]


def test_every_event_type_of_the_reference_is_used_in_the_realistic_config():
    data = to_data(compose(_config(REALISTIC)).root).data
    used = {e["type"] for e in data["resources"]["fn"]["properties"]["events"]}
    reference = json.loads((SHARED / "reference" / "stacktape-properties.json").read_text()) if SHARED.is_dir() else None
    if reference is None:
        pytest.skip("../shared is not present")
    assert used == set(reference["function"]["properties"]["properties.events[].type"]["enum"])


def test_custom_artifact_with_a_compiled_runtime_is_clean():
    text = _config(
        """
        packaging:
          type: custom-artifact
          properties:
            packagePath: target/lambda/bootstrap.zip
            handler: bootstrap:handler
        runtime: provided.al2023
        events:
          - type: http-api-gateway
            properties: {httpApiGatewayName: api, path: '/{proxy+}', method: '*'}
        """
    )
    assert analysis_errors(text) == []


# --- wrong values, unknown keys, wrong event types ----------------------------------------------------


def test_a_wrong_runtime_is_reported_on_runtime_with_a_suggestion():
    errs = _at(_fn("runtime: nodejs21.x"), FN + ("runtime",))
    assert len(errs) == 1 and errs[0].code == "invalid-value"
    assert "nodejs22.x" in errs[0].message or "nodejs20.x" in errs[0].message


def test_a_misspelt_key_is_reported_with_the_right_name():
    errs = _at(_fn("timout: 30"), FN + ("timout",))
    assert [e.code for e in errs] == ["unknown-property"]
    assert "Did you mean 'timeout'" in errs[0].message


def test_a_wrong_event_type_is_reported_on_its_type():
    text = _fn(
        """
        events:
          - type: sqs
            properties: {sqsQueueName: jobs}
          - type: scheduled
            properties: {scheduleRate: rate(5 minutes)}
        """
    )
    errs = analysis_errors(text)
    assert [(e.code, tuple(e.path)) for e in errs] == [("invalid-type-name", FN + ("events", 1, "type"))]
    assert "Did you mean 'schedule'" in errs[0].message


def test_an_unknown_key_inside_an_event_is_reported_there():
    errs = analysis_errors(_fn("events: [{type: sqs, properties: {sqsQueueNam: jobs}}]"))
    assert [(e.code, tuple(e.path)) for e in errs] == [
        ("unknown-property", FN + ("events", 0, "properties", "sqsQueueNam"))
    ]


def test_an_unknown_packaging_type_is_reported():
    text = _config("packaging:\n  type: stacktape-image-buildpack\n  properties: {entryfilePath: a.ts}\n")
    errs = analysis_errors(text)
    assert [(e.code, tuple(e.path)) for e in errs] == [("invalid-type-name", FN + ("packaging", "type"))]


def test_packaging_is_required():
    errs = analysis_errors(_config("memory: 512\n"))
    assert [(e.code, e.path[-1]) for e in errs] == [("missing-property", "packaging")]


@pytest.mark.parametrize(
    "setting,key",
    [
        ("memory: 64", ("memory",)),
        ("memory: 20000", ("memory",)),
        ("timeout: 0", ("timeout",)),
        ("timeout: 901", ("timeout",)),
        ("storage: 256", ("storage",)),
        ("reservedConcurrency: -1", ("reservedConcurrency",)),
        ("layers: [a, b, c, d, e, f]", ("layers",)),
        ("memory: '512'", ("memory",)),
        ("architecture: arm", ("architecture",)),
        ("logging: {retentionDays: 100}", ("logging", "retentionDays")),
        ("events: [{type: sqs, properties: {sqsQueueName: jobs, batchSize: 0}}]", ("events", 0, "properties", "batchSize")),
        ("events: [{type: sqs, properties: {sqsQueueName: jobs, maxBatchWindowSeconds: 301}}]",
         ("events", 0, "properties", "maxBatchWindowSeconds")),
        ("events: [{type: kinesis-stream, properties: {kinesisStreamName: clicks, parallelizationFactor: 11}}]",
         ("events", 0, "properties", "parallelizationFactor")),
        ("events: [{type: http-api-gateway, properties: {httpApiGatewayName: api, path: /, method: FETCH}}]",
         ("events", 0, "properties", "method")),
        ("events: [{type: s3, properties: {bucketArn: 'arn:aws:s3:::b', s3EventType: 's3:ObjectCreated'}}]",
         ("events", 0, "properties", "s3EventType")),
    ],
)  # fmt: skip
def test_out_of_range_and_wrong_values_are_reported_at_their_key(setting, key):
    errs = analysis_errors(_fn(setting))
    assert [tuple(e.path) for e in errs] == [FN + key], [e.message for e in errs]


def test_range_messages_name_the_limit():
    (err,) = analysis_errors(_fn("memory: 64"))
    assert "128" in err.message and "64" in err.message


# --- references inside a function are checked -------------------------------------------------------


@pytest.mark.parametrize(
    "event,key",
    [
        ("{type: sqs, properties: {sqsQueueName: jobz}}", ("sqsQueueName",)),
        ("{type: sns, properties: {snsTopicName: alertz}}", ("snsTopicName",)),
        ("{type: event-bus, properties: {eventBusName: buz, eventPattern: {source: [a]}}}", ("eventBusName",)),
        ("{type: kinesis-stream, properties: {kinesisStreamName: clickz}}", ("kinesisStreamName",)),
        ("{type: http-api-gateway, properties: {httpApiGatewayName: apii, path: /, method: GET}}", ("httpApiGatewayName",)),
        ("{type: application-load-balancer, properties: {loadBalancerName: lbb, priority: 1, paths: [/]}}",
         ("loadBalancerName",)),
        ("{type: sns, properties: {snsTopicName: alerts, onDeliveryFailure: {sqsQueueName: dead}}}",
         ("onDeliveryFailure", "sqsQueueName")),
        (("{type: http-api-gateway, properties: {httpApiGatewayName: api, path: /, method: GET,"
          " authorizer: {type: lambda, properties: {functionName: authz}}}}"), ("authorizer", "properties", "functionName")),
    ],
)  # fmt: skip
def test_an_event_naming_a_missing_resource_gives_a_reference_error(event, key):
    errs = analysis_errors(_fn(f"events: [{event}]"))
    assert [(e.code, tuple(e.path)) for e in errs] == [("unknown-reference", FN + ("events", 0, "properties") + key)]


def test_a_missing_queue_gets_a_did_you_mean():
    (err,) = analysis_errors(_fn("events: [{type: sqs, properties: {sqsQueueName: jobz}}]"))
    assert "sqs-queue" in err.message and "Did you mean 'jobs'" in err.message


def test_an_event_naming_a_resource_of_the_wrong_type_is_reported():
    errs = analysis_errors(_fn("events: [{type: sqs, properties: {sqsQueueName: alerts}}]"))
    assert [(e.code, tuple(e.path)) for e in errs] == [
        ("wrong-reference-type", FN + ("events", 0, "properties", "sqsQueueName"))
    ]


@pytest.mark.parametrize(
    "setting,path",
    [
        ("connectTo: [jobs, nothing]", ("connectTo", 1)),
        ("deployment: {strategy: AllAtOnce, afterTrafficShiftFunction: missing}", ("deployment", "afterTrafficShiftFunction")),
        ("joinDefaultVpc: true\nvolumeMounts: [{type: efs, properties: {efsFilesystemName: disk, mountPath: /mnt/d}}]",
         ("volumeMounts", 0, "properties", "efsFilesystemName")),
    ],
)  # fmt: skip
def test_references_outside_events_are_checked_too(setting, path):
    errs = analysis_errors(_fn(setting))
    assert [(e.code, tuple(e.path)) for e in errs] == [("unknown-reference", FN + path)]


def test_a_deployment_hook_must_be_a_function():
    errs = analysis_errors(_fn("deployment: {strategy: AllAtOnce, beforeAllowTrafficFunction: jobs}"))
    assert [e.code for e in errs] == ["wrong-reference-type"]


# --- rules that involve more than one key ------------------------------------------------------------


@pytest.mark.parametrize(
    "setting,key,words",
    [
        ("events: [{type: sqs, properties: {sqsQueueName: jobs, sqsQueueArn: 'arn:aws:sqs:eu-west-1:1:q'}}]",
         ("events", 0, "properties", "sqsQueueArn"), "only one"),
        ("events: [{type: sns, properties: {snsTopicName: alerts, snsTopicArn: 'arn:aws:sns:eu-west-1:1:t'}}]",
         ("events", 0, "properties", "snsTopicArn"), "only one"),
        ("events: [{type: event-bus, properties: {eventBusName: bus, useDefaultBus: true, eventPattern: {source: [a]}}}]",
         ("events", 0, "properties", "useDefaultBus"), "only one"),
        ("events: [{type: kinesis-stream, properties: {kinesisStreamName: clicks, streamArn: 'arn:aws:kinesis:x'}}]",
         ("events", 0, "properties", "streamArn"), "only one"),
        (("events: [{type: kinesis-stream, properties: {kinesisStreamName: clicks, consumerArn: 'arn:aws:kinesis:c',"
          " autoCreateConsumer: true}}]"), ("events", 0, "properties", "autoCreateConsumer"), "consumerArn"),
        ("events: [{type: schedule, properties: {scheduleRate: rate(5 minutes), input: {a: 1}, inputPath: $.detail}}]",
         ("events", 0, "properties", "inputPath"), "at most one"),
        (("events: [{type: sns, properties: {snsTopicName: alerts, onDeliveryFailure: {sqsQueueName: jobs,"
          " sqsQueueArn: 'arn:aws:sqs:x'}}}]"), ("events", 0, "properties", "onDeliveryFailure", "sqsQueueArn"), "only one"),
        ("volumeMounts: [{type: efs, properties: {efsFilesystemName: shared, mountPath: /mnt/d}}]",
         ("volumeMounts",), "joinDefaultVpc"),
        ("provisionedConcurrency: 5\nreservedConcurrency: 2", ("provisionedConcurrency",), "reservedConcurrency"),
        ("runtime: java8\narchitecture: arm64", ("runtime",), "arm64"),
    ],
)  # fmt: skip
def test_conflicting_or_incomplete_settings_are_reported_at_the_key_at_fault(setting, key, words):
    errs = analysis_errors(_fn(setting))
    assert [(e.code, tuple(e.path)) for e in errs] == [("invalid-value", FN + key)], [e.message for e in errs]
    assert words in errs[0].message


@pytest.mark.parametrize(
    "event",
    [
        "{type: sqs, properties: {batchSize: 5}}",
        "{type: sns, properties: {}}",
        "{type: kinesis-stream, properties: {batchSize: 5}}",
        "{type: event-bus, properties: {eventPattern: {source: [a]}}}",
        "{type: event-bus, properties: {useDefaultBus: false, eventPattern: {source: [a]}}}",
    ],
)
def test_an_event_without_its_source_is_reported(event):
    (err,) = analysis_errors(_fn(f"events: [{event}]"))
    assert err.code == "invalid-value" and err.message.startswith("Set one of")
    assert tuple(err.path[: len(FN) + 3]) == FN + ("events", 0, "properties")


# --- shapes of text values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate,words",
    [
        ("every 5 minutes", "rate(<number> <unit>)"),
        ("rate(1 hours)", "rate(1 hour)"),
        ("rate(5 minute)", "rate(5 minutes)"),
        ("rate(5 weeks)", "not a rate unit"),
        ("cron(0 10 * * *)", "5 fields"),
        ("cron(0 10 * * MON *)", "'?'"),
    ],
)
def test_bad_schedule_expressions_are_explained(rate, words):
    errs = analysis_errors(_fn(f"events: [{{type: schedule, properties: {{scheduleRate: '{rate}'}}}}]"))
    assert [tuple(e.path) for e in errs] == [FN + ("events", 0, "properties", "scheduleRate")]
    assert words in errs[0].message


@pytest.mark.parametrize("rate", ["rate(1 minute)", "rate(10 days)", "cron(15 2 1 * ? *)", "$Var('schedule')"])
def test_good_schedule_expressions_pass(rate):
    text = "variables:\n  schedule: rate(2 hours)\n" + _fn(f"events: [{{type: schedule, properties: {{scheduleRate: \"{rate}\"}}}}]")
    assert analysis_errors(text) == []


def test_a_resource_name_where_an_arn_belongs_gets_the_directive_to_write():
    text = _fn("events: [{type: s3, properties: {bucketArn: uploads, s3EventType: 's3:ObjectCreated:*'}}]")
    (err,) = analysis_errors(text)
    assert tuple(err.path) == FN + ("events", 0, "properties", "bucketArn")
    assert "$ResourceParam('uploads', 'arn')" in err.message


def test_destinations_take_arns():
    (err,) = analysis_errors(_fn("destinations: {onFailure: jobs}"))
    assert tuple(err.path) == FN + ("destinations", "onFailure") and "not an ARN" in err.message


def test_dynamo_stream_arn_hint_uses_the_stream_param():
    (err,) = analysis_errors(_fn("events: [{type: dynamo-db-stream, properties: {streamArn: orders}}]"))
    assert "$ResourceParam('orders', 'streamArn')" in err.message


def test_mount_paths_must_be_under_mnt():
    text = _fn("joinDefaultVpc: true\nvolumeMounts: [{type: efs, properties: {efsFilesystemName: shared, mountPath: /data}}]")
    (err,) = analysis_errors(text)
    assert tuple(err.path) == FN + ("volumeMounts", 0, "properties", "mountPath") and "/mnt/" in err.message


def test_directives_are_accepted_where_values_are_checked():
    text = _fn(
        """
        memory: $Var('memory')
        timeout: $Var('timeout')
        runtime: $Var('runtime')
        destinations:
          onSuccess: $CfResourceParam('Queue', 'Arn')
        events:
          - type: sqs
            properties:
              sqsQueueArn: $Var('queueArn')
              batchSize: $Var('batch')
        """
    )
    variables = "variables:\n  memory: 512\n  timeout: 20\n  runtime: nodejs22.x\n  queueArn: arn:aws:sqs:x\n  batch: 5\n"
    assert analysis_errors(variables + text) == []


# --- the real-world corpus and the reference -------------------------------------------------------------


@pytest.mark.parametrize("body", corpus_resources(("function",)) or [pytest.param(None, id="no-corpus")])
def test_corpus_functions_validate(shared, body):
    Function.model_validate(body)


def _faulty_function_lines(text: str, analysis) -> list[int]:
    out = []
    lines = text.splitlines()
    for i in faulty_lines(text):
        path, _ = analysis.locator.path_at(i, len(lines[i]) - 1)
        if len(path) >= 2 and path[0] == "resources":
            body = analysis.data["resources"].get(path[1])
            if isinstance(body, dict) and body.get("type") == "function":
                out.append(i)
    return out


@pytest.mark.parametrize(
    "name",
    ["04-unknown-property.yml", "05-wrong-type-value.yml", "06-multiple-resources-errors.yml",
     "08-invalid-event-type.yml", "12-invalid-environment-vars.yml", "22-invalid-sqs-sns.yml"],
)  # fmt: skip
def test_broken_corpus_functions_fail_on_every_marked_line(shared, name):
    text = (shared / "corpus" / "config-errors" / name).read_text()
    analysis = analyze(text, strict=True)
    assert_marked_lines_fail(text, _faulty_function_lines(text, analysis), analysis)


def test_model_covers_at_least_nine_tenths_of_the_official_paths(shared):
    reference = json.loads((shared / "reference" / "stacktape-properties.json").read_text())
    share, missing = coverage(Function, reference["function"]["properties"])
    assert share >= 0.9, f"{share:.1%} covered; missing e.g. {missing[:15]}"


def test_function_is_registered():
    from core.model.registry import RESOURCE_MODELS

    assert RESOURCES == {"function": Function} and RESOURCE_MODELS["function"] is Function


def test_event_pattern_keys_are_the_hyphenated_event_fields():
    text = _fn(
        """
        events:
          - type: event-bus
            properties:
              useDefaultBus: true
              eventPattern:
                detail_type: [Order Placed]
        """
    )
    (err,) = analysis_errors(text)
    assert err.code == "unknown-property" and "Did you mean 'detail-type'" in err.message
