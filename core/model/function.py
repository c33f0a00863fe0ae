"""Serverless functions: the `function` resource type (AWS Lambda).

A function is code that runs on demand. `packaging` says where the code comes from (our
zero-config buildpack or a zip you build yourself); `events` say what invokes it. Each event is a
union on `type`:

- request/response: `http-api-gateway`, `application-load-balancer`;
- queues and streams, read in batches: `sqs`, `kinesis-stream`, `dynamo-db-stream`, `kafka-topic`;
- notifications: `sns`, `event-bus`, `s3`, `cloudwatch-log`, `cloudwatch-alarm`;
- time: `schedule`.

Properties that name another resource of the stack (`httpApiGatewayName`, `sqsQueueName`, ...)
are declared with ``ref=``, so the reference rule checks them. Properties that take an ARN
(`bucketArn`, `streamArn`, `logGroupArn`, ...) do not name resources: write an ARN or
`$ResourceParam('name', 'arn')`. Checks that involve more than one field (either a name or an
ARN, volume mounts needing the VPC, provisioned vs. reserved concurrency, ...) live in model
validators and report on the exact key at fault. Directive values are never judged.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.model.alarms import FunctionAlarm
from core.model.base import DIRECTIVE_OK, AnyValue, Bool, F, OneOf, StpModel, Str
from core.model.cdn import CdnConfig
from core.model.checks import fail as _fail
from core.model.checks import plain as _plain
from core.model.checks import at_most_one as _at_most_one
from core.model.checks import one_of as _one_of
from core.model.checks import problem as _problem
from core.model.common import (
    TARGET_INPUT_KEYS,
    Arn,
    ConnectToTarget,
    Cors,
    DeliveryFailureQueue,
    EnvironmentVar,
    EventBusSubscriptionProps,
    EventTargetInput,
    HttpApiAuthorizer,
    IamRoleStatement,
    ResourceLogging,
    RetentionDays,
    Tag,
    retention_days,
)
from core.model.packaging import LanguageSpecificConfig
from core.model.workloads import HTTP_METHODS, AlbRuleConditions, EfsMountProps, _Resource

# --- facts ------------------------------------------------------------------------------------------

RUNTIMES = (
    "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
    "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
    "java8", "java8.al2", "java11", "java17",
    "dotnet6", "dotnet7", "dotnet8",
    "ruby3.3",
    "provided.al2", "provided.al2023",
)  # fmt: skip
RUNTIMES_WITHOUT_ARM = ("java8",)  # the Amazon Linux 1 runtime has no Graviton build

LAMBDA_DEPLOYMENT_STRATEGIES = (
    "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes", "AllAtOnce",
)  # fmt: skip

S3_EVENT_TYPES = (
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
)  # fmt: skip

EVENT_TYPES = (
    "http-api-gateway", "application-load-balancer", "sqs", "sns", "event-bus", "schedule", "s3",
    "kinesis-stream", "dynamo-db-stream", "kafka-topic", "cloudwatch-log", "cloudwatch-alarm",
)  # fmt: skip

MEMORY_MB = (128, 10240)
TIMEOUT_SECONDS = (1, 900)
STORAGE_MB = (512, 10240)
MAX_LAYERS = 5
MAX_TAGS = 50
MAX_BATCH_SIZE = 10000
MAX_BATCH_WINDOW_SECONDS = 300


# --- helpers ------------------------------------------------------------------------------------------


def _shaped(check, problem: str):
    """A text that must pass ``check``; text holding a directive (`$...`) is left alone."""

    def validate(value: str) -> str:
        if "$" in value:
            return value
        message = check(value)
        if message is None:
            return value
        raise PydanticCustomError("invalid_setting", "{detail}", {"detail": problem.format(value=value, why=message)})

    return AfterValidator(validate)


_RATE_RX = re.compile(r"rate\(\s*(\d+)\s+([a-z]+)\s*\)")
_RATE_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}
_CRON_RX = re.compile(r"cron\((.*)\)")


def _schedule_problem(value: str) -> str | None:
    """Why ``value`` is not an EventBridge schedule expression, or None when it is one."""
    text = value.strip()
    rate = _RATE_RX.fullmatch(text)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        singular = {v: k for k, v in _RATE_UNITS.items()}.get(unit, unit)
        if singular not in _RATE_UNITS:
            return f"'{unit}' is not a rate unit (use minute(s), hour(s) or day(s))"
        if count < 1:
            return "the rate must be at least 1"
        wanted = singular if count == 1 else _RATE_UNITS[singular]
        if unit != wanted:
            return f"write 'rate({count} {wanted})': the unit is singular for 1 and plural otherwise"
        return None
    cron = _CRON_RX.fullmatch(text)
    if cron:
        fields = cron.group(1).split()
        if len(fields) == 5:
            return (
                "it has 5 fields like a Unix crontab; AWS cron expressions have 6 (minutes hours day-of-month"
                " month day-of-week year), e.g. 'cron(0 10 * * ? *)'"
            )
        if len(fields) != 6:
            return f"it has {len(fields)} fields; AWS cron expressions have 6 (minutes hours day-of-month month day-of-week year)"
        if (fields[2] == "?") == (fields[4] == "?"):
            return "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be '?'"
        return None
    return "write 'rate(<number> <unit>)', e.g. 'rate(5 minutes)', or an AWS cron expression, e.g. 'cron(0 10 * * ? *)'"


ScheduleExpression = Annotated[
    Str, _shaped(_schedule_problem, "'{value}' is not a schedule expression: {why}")
]


def _mount_path_problem(value: str) -> str | None:
    return None if value.startswith("/mnt/") and len(value) > len("/mnt/") else "Lambda mounts file systems under '/mnt/'"


MountPath = Annotated[
    Str, _shaped(_mount_path_problem, "'{value}' cannot be a mount path: {why}, e.g. '/mnt/data'")
]


def _ranged(low: int, high: int):
    return Annotated[int, Field(ge=low, le=high), DIRECTIVE_OK]


MemoryMb = _ranged(*MEMORY_MB)
TimeoutSeconds = _ranged(*TIMEOUT_SECONDS)
StorageMb = _ranged(*STORAGE_MB)
BatchSize = _ranged(1, MAX_BATCH_SIZE)
BatchWindow = Annotated[float, Field(ge=0, le=MAX_BATCH_WINDOW_SECONDS), DIRECTIVE_OK]
RetryAttempts = _ranged(-1, 10000)
ParallelizationFactor = _ranged(1, 10)
Concurrency = Annotated[int, Field(ge=0), DIRECTIVE_OK]


# --- packaging ------------------------------------------------------------------------------------------


class LambdaLanguageSpecificConfig(LanguageSpecificConfig):
    """Build options for the language detected from the entry file, as they apply to a function."""

    nodeVersion: OneOf(16, 17, 18, 19, 20, 21, 22, 23, 24) = F(
        "Major Node.js version the code is bundled for; keep it in line with the `nodejs<version>.x` runtime."
        " Default: 18.",
        18,
    )
    pythonVersion: OneOf(2.7, 3.6, 3.7, 3.8, 3.9, 3.11, 3.12, 3.13, 3.14) | None = F(
        "Python version dependencies are installed for. Keep it in line with the `python3.x` runtime.", None
    )
    javaVersion: OneOf(8, 11, 17, 19) | None = F("Java version the code is compiled for.", None)
    phpVersion: OneOf(8.2, 8.3) | None = F("PHP version the code is packaged for.", None)
    dotnetVersion: OneOf(6, 8) | None = F(".NET version the project is built for.", None)
    rubyVersion: OneOf(3.2, 3.3) | None = F("Ruby version the gems are installed for.", None)


class LambdaBuildpackProps(StpModel):
    entryfilePath: Str = F(
        "Path (from the project root) to the source file holding the handler, e.g. `src/handlers/api.ts` or"
        " `app/main.py`. Its extension decides the language and so how the code is bundled."
    )
    handlerFunction: Str | None = F(
        "Name of the function in the entry file that Lambda calls for each invocation. Unset: the buildpack's"
        " usual handler name for the language.",
        None,
    )
    includeFiles: list[Str] | None = F(
        "Extra files or glob patterns (relative to the config file) to put into the zip, e.g. templates the code"
        " reads at run time.",
        None,
    )
    excludeFiles: list[Str] | None = F("Files or glob patterns to leave out of the zip.", None)
    excludeDependencies: list[Str] | None = F(
        "Dependencies to leave out of the package, e.g. ones a layer already provides.", None
    )
    languageSpecificConfig: LambdaLanguageSpecificConfig | None = F(
        "Options for the detected language: Node.js version and module format, Python version and package"
        " manager, Java build tool and so on.",
        None,
    )


class LambdaBuildpack(StpModel):
    type: Literal["stacktape-lambda-buildpack"] = F(
        "Build the zip from your source with zero configuration: the code is bundled, dependencies added and"
        " the result cached by checksum."
    )
    properties: LambdaBuildpackProps = F("Entry file, handler name and what to add or leave out.")


class CustomArtifactProps(StpModel):
    packagePath: Str = F(
        "Path to the deployment package you built yourself. A zip is uploaded as it is; a folder or any other"
        " file is zipped first."
    )
    handler: Str | None = F(
        "What Lambda calls, written `<file path inside the package>:<function name>`, e.g. `index.js:handler`.",
        None,
    )


class CustomArtifact(StpModel):
    type: Literal["custom-artifact"] = F("Deploy a package you built yourself (zip file or folder).")
    properties: CustomArtifactProps = F("Where the package is and what Lambda calls in it.")


LambdaPackaging = Annotated[Union[LambdaBuildpack, CustomArtifact], Field(discriminator="type")]


# --- events: request / response ------------------------------------------------------------------------


class LambdaHttpApiEventProps(StpModel):
    httpApiGatewayName: Str = F(
        "Name of the `http-api-gateway` resource whose matching requests invoke the function.", ref="http-api-gateway"
    )
    method: OneOf(*HTTP_METHODS) = F(
        "HTTP method of the route, or `*` for every method. One of " + ", ".join(HTTP_METHODS) + "."
    )
    path: Str = F(
        "URL path of the route: exact (`/users`), with a parameter (`/users/{id}`, passed to the function in the"
        " event's path parameters) or greedy (`/files/{proxy+}`, everything below). The most specific route wins."
    )
    authorizer: HttpApiAuthorizer | None = F(
        "Reject requests with a 401 unless a Cognito JWT is valid or an authorizer function allows them.", None
    )
    payloadFormat: OneOf("1.0", "2.0") = F(
        "Layout of the event the function receives: `1.0` (REST-API style, the default) or `2.0` (newer,"
        " flatter). Write it quoted.",
        "1.0",
    )


class LambdaHttpApiEvent(StpModel):
    type: Literal["http-api-gateway"] = F("Invoke the function for requests an HTTP API Gateway route receives.")
    properties: LambdaHttpApiEventProps = F("Which gateway and route, and how requests are checked.")


class _AlbToFunction(StpModel):
    loadBalancerName: Str = F(
        "Name of the `application-load-balancer` resource whose matching requests invoke the function.",
        ref="application-load-balancer",
    )


class LambdaAlbEventProps(AlbRuleConditions, _AlbToFunction):
    pass


class LambdaAlbEvent(StpModel):
    type: Literal["application-load-balancer"] = F(
        "Invoke the function for requests matching a rule of an Application Load Balancer."
    )
    properties: LambdaAlbEventProps = F("Which load balancer, the rule's priority and its conditions.")


# --- events: queues and streams ------------------------------------------------------------------------


class SqsEventProps(StpModel):
    sqsQueueName: Str | None = F(
        "Name of the `sqs-queue` resource to consume. Give this or `sqsQueueArn`.", None, ref="sqs-queue"
    )
    sqsQueueArn: Arn("sqsQueueArn", "an SQS queue") | None = F(
        "ARN of a queue managed outside this stack. Give this or `sqsQueueName`.", None
    )
    batchSize: BatchSize = F(
        "Most messages handed to one invocation, 1-10000 (FIFO queues: at most 10). Default: 10.", 10
    )
    maxBatchWindowSeconds: BatchWindow | None = F(
        "Seconds to keep gathering messages before invoking, 0-300. Unset: invoke as soon as messages arrive.", None
    )

    @model_validator(mode="after")
    def _source(self):
        _fail(type(self).__name__, _one_of(self, ("sqsQueueName", "sqsQueueArn")))
        return self


class SqsEvent(StpModel):
    type: Literal["sqs"] = F(
        "Invoke the function with batches of messages from an SQS queue. A queue should have a single consumer;"
        " for fan-out use SNS or an event bus."
    )
    properties: SqsEventProps = F("Which queue and how messages are batched.")


class StreamFailureDestination(StpModel):
    type: OneOf("sns", "sqs") = F("Kind of destination: `sqs` (a queue) or `sns` (a topic).")
    arn: Arn("arn", "an SQS queue or SNS topic") = F(
        "ARN of the queue or topic that receives a record of each batch that failed every retry."
    )


class _StreamEventProps(StpModel):
    maxBatchWindowSeconds: BatchWindow | None = F(
        "Seconds to keep gathering records before invoking, 0-300.", None
    )
    startingPosition: OneOf("LATEST", "TRIM_HORIZON") = F(
        "Where reading starts when the mapping is created: `TRIM_HORIZON` (oldest available record, the"
        " default) or `LATEST` (only records added from now on).",
        "TRIM_HORIZON",
    )
    maximumRetryAttempts: RetryAttempts | None = F(
        "How often a failed batch is retried, -1 (until the records expire) to 10000. The whole batch is retried,"
        " so the handler must cope with records it has already seen.",
        None,
    )
    onFailure: StreamFailureDestination | None = F(
        "Queue or topic told about batches that still fail after the last retry.", None
    )
    parallelizationFactor: ParallelizationFactor | None = F(
        "Batches from one shard processed at the same time, 1-10. Default: 1.", None
    )
    bisectBatchOnFunctionError: Bool | None = F(
        "When a batch fails, split it in half and retry the halves separately, to isolate a bad record.", None
    )


class KinesisEventProps(_StreamEventProps):
    kinesisStreamName: Str | None = F(
        "Name of the `kinesis-stream` resource to read. Give this or `streamArn`.", None, ref="kinesis-stream"
    )
    streamArn: Arn("streamArn", "a Kinesis data stream") | None = F(
        "ARN of a stream managed outside this stack. Give this or `kinesisStreamName`.", None
    )
    consumerArn: Arn("consumerArn", "a Kinesis stream consumer", None) | None = F(
        "Read through this existing enhanced fan-out consumer. Not together with `autoCreateConsumer`.", None
    )
    autoCreateConsumer: Bool | None = F(
        "Create a dedicated enhanced fan-out consumer for this function: its own read throughput per shard and"
        " lower latency. Not together with `consumerArn`.",
        None,
    )
    batchSize: BatchSize = F("Most records handed to one invocation, 1-10000. Default: 10.", 10)

    @model_validator(mode="after")
    def _source(self):
        problems = _one_of(self, ("kinesisStreamName", "streamArn"))
        if self.consumerArn is not None and _plain(self.autoCreateConsumer) is True:
            problems.append(_problem(
                ("autoCreateConsumer",),
                "'autoCreateConsumer' cannot be combined with 'consumerArn': either name an existing consumer or"
                " let one be created",
                True,
            ))
        _fail(type(self).__name__, problems)
        return self


class KinesisEvent(StpModel):
    type: Literal["kinesis-stream"] = F("Invoke the function with batches of records from a Kinesis data stream.")
    properties: KinesisEventProps = F("Which stream, how it is read and what happens to failing batches.")


class DynamoDbStreamEventProps(_StreamEventProps):
    streamArn: Arn("streamArn", "a DynamoDB table stream", "streamArn") = F(
        "ARN of the table's change stream, e.g. `$ResourceParam('myTable', 'streamArn')` (the table needs"
        " `streamType` set)."
    )
    batchSize: BatchSize = F("Most change records handed to one invocation. Default: 100.", 100)


class DynamoDbStreamEvent(StpModel):
    type: Literal["dynamo-db-stream"] = F(
        "Invoke the function with batches of item changes (inserts, updates, deletes) of a DynamoDB table."
    )
    properties: DynamoDbStreamEventProps = F("Which table stream, how it is read and what happens to failing batches.")


class KafkaSaslAuthProps(StpModel):
    authenticationSecretArn: Arn("authenticationSecretArn", "a Secrets Manager secret", None) = F(
        "ARN of a Secrets Manager secret holding a JSON object with `username` and `password`."
    )


class KafkaSaslAuth(StpModel):
    type: Literal["BASIC_AUTH", "SASL_SCRAM_256_AUTH", "SASL_SCRAM_512_AUTH"] = F(
        "Log in with user name and password: `BASIC_AUTH` (SASL/PLAIN), `SASL_SCRAM_256_AUTH` or"
        " `SASL_SCRAM_512_AUTH`."
    )
    properties: KafkaSaslAuthProps = F("Where the credentials are stored.")


class KafkaMtlsAuthProps(StpModel):
    clientCertificate: Arn("clientCertificate", "a Secrets Manager secret", None) = F(
        "ARN of a secret holding the client certificate chain and private key (PEM), plus the key's password if"
        " it has one."
    )
    serverRootCaCertificate: Arn("serverRootCaCertificate", "a Secrets Manager secret", None) | None = F(
        "ARN of a secret holding the root CA certificate the brokers' certificates are signed with.", None
    )


class KafkaMtlsAuth(StpModel):
    type: Literal["MTLS"] = F("Authenticate with a client TLS certificate (mutual TLS).")
    properties: KafkaMtlsAuthProps = F("Where the certificates are stored.")


KafkaAuthentication = Annotated[Union[KafkaSaslAuth, KafkaMtlsAuth], Field(discriminator="type")]


class CustomKafkaConfiguration(StpModel):
    bootstrapServers: list[Str] = F("Broker addresses written `host:port`.", min_length=1)
    topicName: Str = F("Topic whose records invoke the function.")
    authentication: KafkaAuthentication = F("How the function's poller logs in to the brokers: SASL or mutual TLS.")


class KafkaTopicEventProps(StpModel):
    customKafkaConfiguration: CustomKafkaConfiguration | None = F(
        "Brokers, topic and credentials of the Kafka cluster to read.", None
    )
    batchSize: BatchSize = F("Most records handed to one invocation, 1-10000. Default: 100.", 100)
    maxBatchWindowSeconds: BatchWindow = F(
        "Seconds to keep gathering records before invoking, 0-300. Default: 0.5.", 0.5
    )


class KafkaTopicEvent(StpModel):
    type: Literal["kafka-topic"] = F("Invoke the function with batches of records from a Kafka topic.")
    properties: KafkaTopicEventProps = F("Which cluster and topic, and how records are batched.")


# --- events: notifications and time ----------------------------------------------------------------------


class SnsEventProps(StpModel):
    snsTopicName: Str | None = F(
        "Name of the `sns-topic` resource to subscribe to. Give this or `snsTopicArn`.", None, ref="sns-topic"
    )
    snsTopicArn: Arn("snsTopicArn", "an SNS topic") | None = F(
        "ARN of a topic managed outside this stack. Give this or `snsTopicName`.", None
    )
    filterPolicy: AnyValue = F(
        "SNS subscription filter policy: only messages whose attributes match it invoke the function. Written as"
        " in the SNS documentation.",
        None,
    )
    onDeliveryFailure: DeliveryFailureQueue | None = F(
        "Queue that keeps messages SNS could not deliver to the function.", None
    )

    @model_validator(mode="after")
    def _source(self):
        _fail(type(self).__name__, _one_of(self, ("snsTopicName", "snsTopicArn")))
        return self


class SnsEvent(StpModel):
    type: Literal["sns"] = F("Invoke the function for every message published to an SNS topic.")
    properties: SnsEventProps = F("Which topic, which messages and where undeliverable ones go.")


class ScheduleEventProps(EventTargetInput):
    scheduleRate: ScheduleExpression = F(
        "When to run: `rate(<number> <unit>)` with unit minute(s), hour(s) or day(s), e.g. `rate(5 minutes)`, or a"
        " six-field AWS cron expression in UTC, e.g. `cron(0 10 * * ? *)`."
    )

    @model_validator(mode="after")
    def _input(self):
        _fail(type(self).__name__, _at_most_one(self, TARGET_INPUT_KEYS))
        return self


class ScheduleEvent(StpModel):
    type: Literal["schedule"] = F("Invoke the function on a fixed rate or cron schedule.")
    properties: ScheduleEventProps = F("The schedule and, optionally, the payload to send.")


class EventBusEvent(StpModel):
    type: Literal["event-bus"] = F("Invoke the function for events on an EventBridge bus that match a pattern.")
    properties: EventBusSubscriptionProps = F("Which bus, which events and what payload is sent.")


class S3FilterRule(StpModel):
    prefix: Str | None = F("Only objects whose key starts with this, e.g. `uploads/`.", None)
    suffix: Str | None = F("Only objects whose key ends with this, e.g. `.jpg`.", None)


class S3EventProps(StpModel):
    bucketArn: Arn("bucketArn", "an S3 bucket") = F(
        "ARN of the bucket to watch, usually `$ResourceParam('<bucket resource>', 'arn')`."
    )
    s3EventType: OneOf(*S3_EVENT_TYPES) = F(
        "Which bucket event invokes the function, e.g. `s3:ObjectCreated:*` (any new object) or"
        " `s3:ObjectRemoved:Delete`."
    )
    filterRule: S3FilterRule | None = F("Narrow the objects by key prefix and/or suffix.", None)


class S3Event(StpModel):
    type: Literal["s3"] = F("Invoke the function when objects in an S3 bucket are created, removed, restored ...")
    properties: S3EventProps = F("Which bucket, which event and which objects.")


class CloudwatchLogEventProps(StpModel):
    logGroupArn: Arn("logGroupArn", "a CloudWatch log group", "logGroupArn") = F(
        "ARN of the log group whose new entries invoke the function."
    )
    filter: Str | None = F(
        "CloudWatch Logs filter pattern; only matching entries are sent, e.g. `ERROR`. Unset: every entry.", None
    )


class CloudwatchLogEvent(StpModel):
    type: Literal["cloudwatch-log"] = F(
        "Invoke the function with new entries of a CloudWatch log group (delivered gzipped and base64-encoded)."
    )
    properties: CloudwatchLogEventProps = F("Which log group and which entries.")


class AlarmEventProps(StpModel):
    alarmName: Str = F("Name of the alarm whose state change invokes the function.")


class AlarmEvent(StpModel):
    type: Literal["cloudwatch-alarm"] = F("Invoke the function when a CloudWatch alarm changes state.")
    properties: AlarmEventProps = F("Which alarm.")


FunctionEvent = Annotated[
    Union[
        LambdaHttpApiEvent, LambdaAlbEvent, SqsEvent, SnsEvent, EventBusEvent, ScheduleEvent, S3Event, KinesisEvent,
        DynamoDbStreamEvent, KafkaTopicEvent, CloudwatchLogEvent, AlarmEvent,
    ],
    Field(discriminator="type"),
]  # fmt: skip


# --- other settings ----------------------------------------------------------------------------------------


class LambdaUrl(StpModel):
    enabled: Bool = F("Give the function its own HTTPS address (`https://<id>.lambda-url.<region>.on.aws`).")
    authMode: OneOf("NONE", "AWS_IAM") = F(
        "Who may call the URL: `NONE` (anyone, the default) or `AWS_IAM` (only signed requests of principals"
        " allowed to invoke the function).",
        "NONE",
    )
    cors: Cors | None = F("Cross-origin (CORS) answers of the URL; they replace CORS headers the code sets.", None)
    responseStreamEnabled: Bool | None = F(
        "Send the response as the code produces it instead of all at once: faster first byte and up to 20 MB"
        " instead of 6 MB. The handler must use Lambda's streaming API.",
        None,
    )


class LambdaDeployment(StpModel):
    strategy: OneOf(*LAMBDA_DEPLOYMENT_STRATEGIES) = F(
        "How invocations move to a new version: `Canary10Percent<N>Minutes` sends 10 % first and the rest after N"
        " minutes (5, 10, 15 or 30); `Linear10PercentEvery<N>Minute(s)` moves 10 % every N minutes (1, 2, 3 or 10);"
        " `AllAtOnce` switches at once. A failing hook function stops the shift and rolls it back."
    )
    beforeAllowTrafficFunction: Str | None = F(
        "Name of a `function` run before the new version gets any traffic (e.g. smoke tests); it reports success"
        " or failure to CodeDeploy, and failure rolls back.",
        None,
        ref="function",
    )
    afterTrafficShiftFunction: Str | None = F(
        "Name of a `function` run once all traffic has moved; it reports success or failure to CodeDeploy.",
        None,
        ref="function",
    )


class LambdaDestinations(StpModel):
    onSuccess: Arn("onSuccess", "an SQS queue, SNS topic, event bus or function") | None = F(
        "ARN (SQS queue, SNS topic, event bus or function) that receives the result of each successful"
        " asynchronous invocation, e.g. `$ResourceParam('doneQueue', 'arn')`.",
        None,
    )
    onFailure: Arn("onFailure", "an SQS queue, SNS topic, event bus or function") | None = F(
        "ARN (SQS queue, SNS topic, event bus or function) that receives the details of each asynchronous"
        " invocation that failed after its retries.",
        None,
    )


class FunctionLogging(ResourceLogging):
    retentionDays: RetentionDays = retention_days("Days CloudWatch keeps the function's log events.", 180)


class LambdaEfsMountProps(EfsMountProps):
    mountPath: MountPath = F("Where the file system appears in the function; must be under `/mnt/`, e.g. `/mnt/data`.")


class EfsMount(StpModel):
    type: Literal["efs"] = F("Mount an EFS file system (persistent, shared between invocations and functions).")
    properties: LambdaEfsMountProps = F("Which file system and where it appears.")


class StacktapeIntrinsic(StpModel):
    name: Str = F("Name of the intrinsic function that produces the value.")
    payload: AnyValue = F("Arguments of the intrinsic function.")


class S3FilesMountProps(StpModel):
    accessPointArn: Str | StacktapeIntrinsic = F("ARN of an existing S3 Files access point to mount.")
    mountPath: MountPath = F("Where the files appear in the function; must be under `/mnt/`, e.g. `/mnt/models`.")


class S3FilesMount(StpModel):
    type: Literal["s3files"] = F("Mount an S3 bucket as files through an S3 Files access point.")
    properties: S3FilesMountProps = F("Which access point and where it appears.")


LambdaVolumeMount = Annotated[Union[EfsMount, S3FilesMount], Field(discriminator="type")]


class FunctionProps(StpModel):
    packaging: LambdaPackaging = F(
        "Where the code comes from: `stacktape-lambda-buildpack` (built from your source) or `custom-artifact`"
        " (a package you built)."
    )
    events: list[FunctionEvent] | None = F(
        "What invokes the function: HTTP routes, queues, topics, streams, schedules, bucket and log events ..."
        " Permissions for each are set up automatically.",
        None,
    )
    runtime: OneOf(*RUNTIMES) | None = F(
        "Language runtime, e.g. `nodejs22.x`, `python3.13` or `provided.al2023` (Go, Rust, other compiled code)."
        " With the buildpack it is detected from the entry file; set it to pin a version.",
        None,
    )
    architecture: OneOf("x86_64", "arm64") = F(
        "Processor type: `x86_64` (default) or `arm64` (Graviton: cheaper per GB-second). The buildpack builds for"
        " it; a custom artifact must be compiled for it.",
        "x86_64",
    )
    memory: MemoryMb | None = F(
        "Memory in MB, 128-10240. CPU grows with it (about one vCPU per 1769 MB), so more memory can make code"
        " faster and even cheaper.",
        None,
    )
    timeout: TimeoutSeconds = F(
        "Seconds an invocation may run before it is stopped, 1-900. Default: 10.", 10
    )
    storage: StorageMb = F("Size of the `/tmp` directory in MB, 512-10240. Default: 512.", 512)
    environment: list[EnvironmentVar] | None = F(
        "Environment variables of the function. `connectTo` adds `STP_<NAME>_<PARAM>` variables on its own.", None
    )
    connectTo: list[ConnectToTarget] | None = F(
        "Resources of this stack (or `aws:ses`) the function may use: IAM permissions and `STP_<NAME>_<PARAM>`"
        " environment variables are set up for each.",
        None,
        ref="connectable",
    )
    iamRoleStatements: list[IamRoleStatement] | None = F("Raw IAM statements added to the function's role.", None)
    joinDefaultVpc: Bool = F(
        "Run the function inside the stack's VPC so it reaches VPC-only resources (databases, Redis, EFS). It then"
        " has no direct internet access (S3 and DynamoDB still work). Needed for `volumeMounts`. Default: false.",
        False,
    )
    volumeMounts: list[LambdaVolumeMount] | None = F(
        "File systems mounted into the function that outlive invocations (EFS or S3 Files). Needs"
        " `joinDefaultVpc: true`.",
        None,
    )
    layers: list[Str] | None = F("ARNs of Lambda layers to add (shared libraries, extensions), at most 5.", None, max_length=MAX_LAYERS)
    provisionedConcurrency: Concurrency | None = F(
        "Instances kept initialised and ready so requests meet no cold start. Billed while idle; makes deploys a"
        " few minutes longer.",
        None,
    )
    reservedConcurrency: Concurrency | None = F(
        "Concurrent executions set aside for this function and also its upper limit (e.g. to protect a database)."
        " Costs nothing extra. `0` stops all invocations.",
        None,
    )
    destinations: LambdaDestinations | None = F(
        "Where results of asynchronous invocations go, on success and on failure.", None
    )
    url: LambdaUrl | None = F("A dedicated HTTPS URL for the function, without an API gateway.", None)
    cdn: CdnConfig | None = F("Put a CloudFront CDN in front of the function's URL for caching at the edge.", None)
    deployment: LambdaDeployment | None = F(
        "Move invocations to new versions gradually (canary or linear) with automatic rollback.", None
    )
    logging: FunctionLogging | None = F("CloudWatch log retention of the function, and optional forwarding.", None)
    alarms: list[FunctionAlarm] | None = F(
        "Alarms on the function's error rate or duration, and who is notified. They add to alarms defined"
        " globally.",
        None,
    )
    disabledGlobalAlarms: list[Str] | None = F("Names of globally defined alarms that should not watch this function.", None)
    tags: list[Tag] | None = F("Tags put on the function, on top of the stack's tags. At most 50.", None, max_length=MAX_TAGS)

    @model_validator(mode="after")
    def _combinations(self):
        problems: list[InitErrorDetails] = []
        if self.volumeMounts and _plain(self.joinDefaultVpc) is False:
            problems.append(_problem(
                ("volumeMounts",),
                "Volume mounts are reached through the VPC: set 'joinDefaultVpc: true' to use them",
                None,
            ))
        provisioned, reserved = _plain(self.provisionedConcurrency), _plain(self.reservedConcurrency)
        if isinstance(provisioned, int) and isinstance(reserved, int) and provisioned > reserved:
            problems.append(_problem(
                ("provisionedConcurrency",),
                f"'provisionedConcurrency' ({provisioned}) cannot exceed 'reservedConcurrency' ({reserved})",
                provisioned,
            ))
        if _plain(self.architecture) == "arm64" and _plain(self.runtime) in RUNTIMES_WITHOUT_ARM:
            problems.append(_problem(
                ("runtime",),
                f"Runtime '{self.runtime}' does not run on arm64; use 'java8.al2' or a newer Java runtime, or"
                " architecture 'x86_64'",
                self.runtime,
            ))
        _fail(type(self).__name__, problems)
        return self


class Function(_Resource):
    type: Literal["function"] = F(
        "Code run on demand by AWS Lambda, invoked by HTTP requests, queues, schedules and other events; billed"
        " per invocation and duration."
    )
    properties: FunctionProps = F("Code packaging, triggers, memory and time limits, access and deployment of the function.")


RESOURCES = {"function": Function}
