"""Small structures shared by many resource types."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, create_model, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.model.base import DIRECTIVE_OK, AnyValue, Bool, F, Int, Num, OneOf, Scalar, StpModel, Str
from core.model.checks import at_most_one, fail, one_of, plain, problem

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
RetentionDays = OneOf(*RETENTION_DAYS)


def retention_days(what: str, default: int):
    """A documented `retentionDays` field: ``what`` (one sentence), then the allowed values and the default."""
    return F(f"{what} One of {', '.join(map(str, RETENTION_DAYS))}. Default: {default}.", default)


class Tag(StpModel):
    name: Str = F("Tag key as it will appear on the AWS resource.")
    value: Str = F("Tag value.")


class EnvironmentVar(StpModel):
    name: Str = F("Name of the variable the process will see, e.g. `DATABASE_URL`.")
    value: Scalar = F(
        "Value of the variable. Numbers and booleans are turned into text. A directive such as"
        " `$Secret('db.password')` or `$ResourceParam('db', 'host')` is resolved at deploy time."
    )


class IamRoleStatement(StpModel):
    Sid: Str | None = F("Optional identifier of the statement, unique within the role policy.", None)
    Effect: OneOf("Allow", "Deny") = F("Whether the statement grants (`Allow`, the default) or refuses (`Deny`) access.", "Allow")
    Action: list[Str] | None = F(
        "IAM actions the statement covers, e.g. `s3:GetObject` or `sqs:*`.", None
    )
    Resource: list[AnyValue] = F(
        "ARNs the statement applies to. `$CfResourceParam('LogicalId', 'Arn')` and"
        " `$ResourceParam(...)` are allowed, as is `*` for every resource."
    )
    Condition: AnyValue = F("Optional IAM condition block, written exactly as in an IAM policy.", None)


# --- log forwarding -------------------------------------------------------------------------------


class HttpEndpointLogForwardingProps(StpModel):
    endpointUrl: Str = F("HTTPS address that receives the log batches from Kinesis Data Firehose.")
    accessKey: Str | None = F(
        "Credential sent with every request to the endpoint. Prefer `$Secret(...)` so it never sits in the file.", None
    )
    gzipEncodingEnabled: Bool = F("Compress each batch with gzip before sending. Default: false.", False)
    parameters: dict[str, Str] | None = F("Extra key/value pairs Firehose attaches to every request.", None)
    retryDuration: Int = F(
        "How long, in seconds, Firehose keeps retrying a failed delivery before it stores the batch"
        " in a backup bucket. Default: 300.",
        300,
    )


class HttpEndpointLogForwarding(StpModel):
    type: Literal["http-endpoint"] = F("Send logs to any HTTPS endpoint that speaks the Firehose HTTP protocol.")
    properties: HttpEndpointLogForwardingProps = F("Where and how to deliver the logs.")


class DatadogLogForwardingProps(StpModel):
    apiKey: Str = F("Datadog API key. Use `$Secret(...)` to keep it out of the config.")
    endpointUrl: Str | None = F(
        "Where your Datadog account receives logs: a full intake URL, a site such as `datadoghq.eu` or"
        " `us5.datadoghq.com`, or its short name (`eu`, `us3`, `us5`, `ap1`). Default: the US1 site.", None
    )


class DatadogLogForwarding(StpModel):
    type: Literal["datadog"] = F("Send logs to Datadog.")
    properties: DatadogLogForwardingProps = F("Datadog credentials and intake.")


class HighlightLogForwardingProps(StpModel):
    projectId: Str = F("Your Highlight project id.")
    endpointUrl: Str = F(
        "Highlight's Firehose intake. Default: `https://pub.highlight.io/v1/logs/firehose`.",
        "https://pub.highlight.io/v1/logs/firehose",
    )


class HighlightLogForwarding(StpModel):
    type: Literal["highlight"] = F("Send logs to Highlight.io.")
    properties: HighlightLogForwardingProps = F("Highlight project to send to.")


LogForwarding = Annotated[
    Union[HttpEndpointLogForwarding, DatadogLogForwarding, HighlightLogForwarding],
    Field(discriminator="type"),
]


class ResourceLogging(StpModel):
    """Logging of a container or function: CloudWatch log group and optional forwarding."""

    disabled: Bool = F("Turn off log collection entirely (no log group is created). Default: false.", False)
    retentionDays: RetentionDays = retention_days("Days to keep log events before CloudWatch deletes them.", 90)
    logForwarding: LogForwarding | None = F(
        "Also ship every log line to a third-party service (HTTP endpoint, Datadog or Highlight)"
        " through Kinesis Data Firehose.",
        None,
    )


_DNS_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_DOMAIN_NAME_RX = re.compile(rf"(\*\.)?(?:{_DNS_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.?")


def _check_domain_name(value: str) -> str:
    """A DNS host name (labels of letters, digits and inner dashes; a top-level label starting with a letter)."""
    if "$" in value or (len(value) <= 253 and _DOMAIN_NAME_RX.fullmatch(value)):
        return value  # text holding a directive resolves later
    raise PydanticCustomError(
        "invalid_domain_name",
        "'{value}' is not a domain name: write a full host name such as 'api.example.com' (letters, digits, dashes"
        " and dots; the last part starts with a letter)",
        {"value": value},
    )


DomainName = Annotated[Str, AfterValidator(_check_domain_name)]


class CustomDomain(StpModel):
    domainName: DomainName = F(
        "Fully qualified domain name, e.g. `api.example.com`. Its hosted zone must exist in Route 53 of the account."
    )
    customCertificateArn: Str | None = F(
        "ARN of an ACM certificate to use instead of the one created automatically for the domain.", None
    )
    disableDnsRecordCreation: Bool = F(
        "Do not create the DNS record pointing the domain at this resource (manage DNS yourself). Default: false.",
        False,
    )


class Cors(StpModel):
    enabled: Bool = F("Answer CORS pre-flight requests and add CORS headers to responses.", False)
    allowedOrigins: list[Str] = F("Origins allowed to call, e.g. `https://app.example.com`. Default: `*` (any).", default_factory=lambda: ["*"])
    allowedHeaders: list[Str] | None = F("Request headers a browser may send (`Access-Control-Allow-Headers`).", None)
    allowedMethods: list[OneOf("GET", "PUT", "HEAD", "POST", "DELETE", "PATCH", "OPTIONS", "*")] | None = F(
        "HTTP methods allowed cross-origin (`Access-Control-Allow-Methods`).", None
    )
    allowCredentials: Bool | None = F("Let browsers send cookies and auth headers cross-origin.", None)
    exposedResponseHeaders: list[Str] | None = F("Response headers scripts may read (`Access-Control-Expose-Headers`).", None)
    maxAge: Num | None = F("Seconds a browser may cache a pre-flight answer.", None)


ConnectToTarget = Str


# --- HTTP API authorizers (used by container and function http-api-gateway events) -------------


class CognitoAuthorizerProps(StpModel):
    userPoolName: Str = F("Name of the `user-auth-pool` resource whose JWTs are accepted.", ref="user-auth-pool")
    identitySources: list[Str] | None = F(
        "Where the token is read from, e.g. `$request.header.Authorization` (the default).", None
    )


class CognitoAuthorizer(StpModel):
    type: Literal["cognito"] = F("Accept requests carrying a valid JWT issued by a Cognito user pool.")
    properties: CognitoAuthorizerProps = F("The user pool and where to find the token.")


class LambdaAuthorizerProps(StpModel):
    functionName: Str = F("Name of the `function` resource that decides whether a request is allowed.", ref="function")
    iamResponse: Bool | None = F(
        "The function answers with an IAM policy (payload 1.0 style) instead of a simple `isAuthorized` flag.", None
    )
    identitySources: list[Str] | None = F(
        "Request parts that make up the caching key and must be present, e.g. `$request.header.Authorization`.", None
    )
    cacheResultSeconds: Int | None = F("Seconds to cache the function's answer per identity. 0 turns caching off.", None)


class LambdaAuthorizer(StpModel):
    type: Literal["lambda"] = F("Let a function of yours decide whether each request is allowed.")
    properties: LambdaAuthorizerProps = F("The authorizer function and caching.")


HttpApiAuthorizer = Annotated[Union[CognitoAuthorizer, LambdaAuthorizer], Field(discriminator="type")]


# --- ARNs -----------------------------------------------------------------------------------------

_NAME_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def Arn(what: str, hint: str, param: str | None = "arn"):  # noqa: N802 - reads like a type
    """Text that must be an ARN (or a directive producing one, e.g. `$ResourceParam('x', 'arn')`)."""

    def validate(value: str) -> str:
        if "$" in value or value.startswith("arn:"):
            return value
        message = f"'{value}' is not an ARN; '{what}' takes the ARN of {hint}"
        if param is not None and _NAME_LIKE.fullmatch(value):
            message += f". For a resource of this stack write $ResourceParam('{value}', '{param}')"
        raise PydanticCustomError("invalid_setting", "{detail}", {"detail": message})

    return Annotated[Str, AfterValidator(validate)]


# --- event-bus subscriptions (function and sqs-queue events) -------------------------------------------

# EventBridge matches on envelope fields, two of which contain a dash; a model built from a
# mapping keeps those keys exactly as written in YAML (no aliases), so messages,
# suggestions and hover text name them correctly.
EVENT_PATTERN_KEYS = ("version", "detail-type", "source", "account", "region", "resources", "detail", "replay-name")
PatternValue = Annotated[list[AnyValue] | dict[str, AnyValue], DIRECTIVE_OK]
_PATTERN_DOCS = {
    "version": "Match on the event's schema version (usually `'0'`), as a list of accepted values.",
    "detail-type": "Match on the kind of event, e.g. `['OrderPlaced']`: a list of accepted values or filter objects"
    " such as `{prefix: 'Order'}`.",
    "source": "Match on who sent the event, e.g. `['my.app']` or `['aws.s3']`: a list of accepted values or filter"
    " objects.",
    "account": "Match on the AWS account id the event came from, as a list of accepted ids.",
    "region": "Match on the AWS region the event came from, e.g. `['eu-west-1']`.",
    "resources": "Match on the ARNs listed in the event's `resources` field, as a list.",
    "detail": "Match on the event body: a map mirroring the body's structure whose leaves are lists of accepted"
    " values or filter objects (`{numeric: ['>', 100]}`, `{exists: true}`, `{anything-but: [...]}`).",
    "replay-name": "Match only events re-sent from an archive replay of this name (or `{exists: false}` to skip"
    " replayed events).",
}
EventBusPattern = create_model(
    "EventBusPattern",
    __base__=StpModel,
    __doc__="Which events an event-bus subscription receives. Every listed field must match; a field left out"
    " matches anything. Values are lists (any element may match) or, for `detail`, nested maps.",
    __module__=__name__,
    **{key: (PatternValue | None, F(_PATTERN_DOCS[key], None)) for key in EVENT_PATTERN_KEYS},
)


class EventInputTransformer(StpModel):
    inputPathsMap: Annotated[dict[str, Str], DIRECTIVE_OK] | None = F(
        "Names for pieces of the event, each taken with a JSONPath expression, e.g. `orderId: $.detail.id`. The"
        " names can then be used as `<orderId>` placeholders in `inputTemplate`.",
        None,
    )
    inputTemplate: AnyValue = F(
        "The payload delivered instead of the event: text or a map in which `<name>` placeholders are replaced"
        " with the values picked by `inputPathsMap`."
    )


# What EventBridge delivers to a target (schedules and event-bus subscriptions): the event itself unless one of
# these is given. Models using it check `at_most_one(self, TARGET_INPUT_KEYS)`.
class EventTargetInput(StpModel):
    input: AnyValue = F(
        "A fixed payload delivered instead of the event itself. At most one of `input`, `inputPath` and"
        " `inputTransformer`.",
        None,
    )
    inputPath: Str | None = F(
        "JSONPath selecting the part of the event to deliver, e.g. `$.detail`. At most one of `input`,"
        " `inputPath` and `inputTransformer`.",
        None,
    )
    inputTransformer: EventInputTransformer | None = F(
        "Build the delivered payload from pieces of the event. At most one of `input`, `inputPath` and"
        " `inputTransformer`.",
        None,
    )


TARGET_INPUT_KEYS = ("input", "inputPath", "inputTransformer")


class DeliveryFailureQueue(StpModel):
    """Where SNS or EventBridge puts what it could not deliver: exactly one of the two keys."""

    sqsQueueName: Str | None = F(
        "Name of the `sqs-queue` resource of this stack that keeps messages or events which could not be"
        " delivered. Give this or `sqsQueueArn`.",
        None,
        ref="sqs-queue",
    )
    sqsQueueArn: Arn("sqsQueueArn", "an SQS queue") | None = F(
        "ARN of an SQS queue outside this stack that keeps messages or events which could not be delivered. Give"
        " this or `sqsQueueName`.",
        None,
    )

    @model_validator(mode="after")
    def _one_queue(self):
        fail(type(self).__name__, one_of(self, ("sqsQueueName", "sqsQueueArn")))
        return self


class _EventBusSource(StpModel):
    eventBusName: Str | None = F(
        "Name of the `event-bus` resource of this stack to receive events from. Use exactly one of"
        " `eventBusName`, `eventBusArn` or `useDefaultBus`.",
        None,
        ref="event-bus",
    )
    eventBusArn: Arn("eventBusArn", "an EventBridge event bus") | None = F(
        "ARN of an event bus that is not part of this stack. Use exactly one of `eventBusName`, `eventBusArn` or"
        " `useDefaultBus`.",
        None,
    )
    useDefaultBus: Bool | None = F(
        "Receive from the account's default event bus, where AWS services publish their events. Use exactly one"
        " of `eventBusName`, `eventBusArn` or `useDefaultBus`.",
        None,
    )
    eventPattern: EventBusPattern = F(
        "Filter deciding which events are delivered, in EventBridge pattern syntax: e.g. `source: ['my.app']`"
        " with `detail-type: ['OrderPlaced']`."
    )
    onDeliveryFailure: DeliveryFailureQueue | None = F(
        "An SQS queue that keeps events EventBridge gave up delivering (after its retries), so none are lost"
        " silently.",
        None,
    )


# The bus keys come first: pydantic lists the fields of the last base first.
class EventBusSubscriptionProps(EventTargetInput, _EventBusSource):
    """What a resource receives from an event bus: which bus, which events and in what shape."""

    @model_validator(mode="after")
    def _choices(self):
        problems: list[InitErrorDetails] = []
        buses = [k for k in ("eventBusName", "eventBusArn") if getattr(self, k) is not None]
        if self.useDefaultBus is not None and plain(self.useDefaultBus) is not False:
            buses.append("useDefaultBus")  # `false` chooses nothing; a directive counts
        if not buses:
            problems.append(problem(
                (),
                "Set one of 'eventBusName' (a bus of this stack), 'eventBusArn' (any other bus) or"
                " 'useDefaultBus: true' (the account's default bus): an event-bus subscription listens to exactly"
                " one bus",
                None,
            ))
        for key in buses[1:]:
            problems.append(problem(
                (key,),
                f"'{key}' cannot be combined with '{buses[0]}': an event-bus subscription listens to exactly one"
                " bus, so set only one of 'eventBusName', 'eventBusArn' or 'useDefaultBus'",
                getattr(self, key),
            ))
        problems.extend(at_most_one(self, TARGET_INPUT_KEYS))
        fail(type(self).__name__, problems)
        return self
