"""Small structures shared by many resource types."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from core.model.base import AnyValue, Bool, F, Int, Num, OneOf, Scalar, StpModel, Str

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)


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
        "Datadog intake address for your Datadog site. Defaults to the US1 site's Firehose intake.", None
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
    retentionDays: OneOf(*RETENTION_DAYS) = F(
        "Days to keep log events before CloudWatch deletes them. One of "
        + ", ".join(map(str, RETENTION_DAYS))
        + ". Default: 90.",
        90,
    )
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
