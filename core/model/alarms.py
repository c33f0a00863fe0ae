"""Alarms attached to one resource: `alarms[]` of web-service, http-api-gateway,
application-load-balancer, sqs-queue, function and relational-database.

Every alarm has the same frame (`_AlarmBase`): how the metric is evaluated (`evaluation`), who is
told (`notificationTargets`, a union on `type`), a `description` and `includeInHistory`. What
differs per resource type is the `trigger`, a union on `trigger.type`: each resource type accepts
only the triggers that watch its own metrics. A web-service accepts the triggers of whatever is in
front of it (HTTP API Gateway or application load balancer).

Each trigger's `properties` hold one threshold in the unit its name says (`thresholdPercent`,
`thresholdMilliseconds`, `thresholdMB`, ...) and, where it makes sense, how values are aggregated
(`statistic`) and compared (`comparisonOperator`); their defaults differ per trigger and are
stated on each field.

Checks across fields report on the key at fault: the evaluation period is a multiple of 60
seconds and `breachedPeriods` cannot exceed `evaluationPeriods`. Directive values are never
judged: they resolve at deploy time.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator
from pydantic_core import InitErrorDetails

from core.model.base import DIRECTIVE_OK, Bool, F, Num, OneOf, StpModel, Str
from core.model.checks import fail as _fail
from core.model.checks import plain as _plain
from core.model.checks import problem as _problem

# --- facts ------------------------------------------------------------------------------------------

COMPARISON_OPERATORS = (
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
)  # fmt: skip
STATISTICS = ("avg", "sum", "min", "max", "p90", "p95", "p99")
NOTIFICATION_TARGET_TYPES = ("slack", "ms-teams", "email", "discord", "webhook")

ALB_METRICS = (
    "ActiveConnectionCount", "AnomalousHostCount", "ClientTLSNegotiationErrorCount", "ConsumedLCUs",
    "DesyncMitigationMode_NonCompliant_Request_Count", "DroppedInvalidHeaderRequestCount", "ELBAuthError",
    "ELBAuthFailure", "ELBAuthLatency", "ELBAuthRefreshTokenSuccess", "ELBAuthSuccess",
    "ELBAuthUserClaimsSizeExceeded", "ForwardedInvalidHeaderRequestCount", "GrpcRequestCount",
    "HTTPCode_ELB_3XX_Count", "HTTPCode_ELB_4XX_Count", "HTTPCode_ELB_500_Count", "HTTPCode_ELB_502_Count",
    "HTTPCode_ELB_503_Count", "HTTPCode_ELB_504_Count", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_2XX_Count",
    "HTTPCode_Target_3XX_Count", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count",
    "HTTP_Fixed_Response_Count", "HTTP_Redirect_Count", "HTTP_Redirect_Url_Limit_Exceeded_Count",
    "HealthyHostCount", "HealthyStateDNS", "HealthyStateRouting", "IPv6ProcessedBytes", "IPv6RequestCount",
    "LambdaInternalError", "LambdaTargetProcessedBytes", "LambdaUserError", "MitigatedHostCount",
    "NewConnectionCount", "NonStickyRequestCount", "ProcessedBytes", "RejectedConnectionCount", "RequestCount",
    "RequestCountPerTarget", "RuleEvaluations", "TargetConnectionErrorCount", "TargetResponseTime",
    "TargetTLSNegotiationErrorCount", "UnHealthyHostCount", "UnhealthyRoutingRequestCount", "UnhealthyStateDNS",
    "UnhealthyStateRouting",
)  # fmt: skip

# Trigger types per resource family (the `type` of `trigger`).
HTTP_API_TRIGGERS = ("http-api-gateway-error-rate", "http-api-gateway-latency")
ALB_TRIGGERS = (
    "application-load-balancer-error-rate", "application-load-balancer-unhealthy-targets",
    "application-load-balancer-custom",
)  # fmt: skip
SQS_TRIGGERS = ("sqs-queue-received-messages-count", "sqs-queue-not-empty")
LAMBDA_TRIGGERS = ("lambda-error-rate", "lambda-duration")
DATABASE_TRIGGERS = (
    "database-read-latency", "database-write-latency", "database-cpu-utilization", "database-free-storage",
    "database-free-memory", "database-connection-count",
)  # fmt: skip

# Workloads an application load balancer can send traffic to (targets of the unhealthy-targets alarm).
ALB_TARGET_TYPES = ("web-service", "private-service", "multi-container-workload", "function")

Percent = Annotated[float, Field(ge=0, le=100), DIRECTIVE_OK]
NonNegative = Annotated[float, Field(ge=0), DIRECTIVE_OK]
PositiveInt = Annotated[int, Field(ge=1), DIRECTIVE_OK]
Comparison = OneOf(*COMPARISON_OPERATORS)
Statistic = OneOf(*STATISTICS)


# --- helpers ------------------------------------------------------------------------------------------


def _comparison(default: str):
    return F(
        "How the aggregated value is compared with the threshold: `GreaterThanThreshold`,"
        " `GreaterThanOrEqualToThreshold`, `LessThanThreshold` or `LessThanOrEqualToThreshold`."
        f" Default here: `{default}`.",
        default,
    )


def _statistic(default: str):
    return F(
        "How the values within one period are combined before the comparison: `avg`, `sum`, `min`, `max`, or the"
        f" percentiles `p90`, `p95`, `p99`. Default here: `{default}`.",
        default,
    )


# --- evaluation and notification targets ----------------------------------------------------------


class AlarmEvaluation(StpModel):
    period: PositiveInt = F(
        "Length of one evaluation period in seconds; the metric is aggregated over each period. A multiple of 60."
        " Default: 60.",
        60,
    )
    evaluationPeriods: PositiveInt = F(
        "How many of the most recent periods are looked at each time the alarm is evaluated. Default: 1.", 1
    )
    breachedPeriods: PositiveInt = F(
        "How many of those periods must cross the threshold for the alarm to fire; at most `evaluationPeriods`."
        " E.g. 3 of 5 ignores short spikes. Default: 1.",
        1,
    )

    @model_validator(mode="after")
    def _periods_fit(self):
        problems: list[InitErrorDetails] = []
        period = _plain(self.period)
        if period is not None and period % 60:
            problems.append(_problem(
                ("period",), f"'period' must be a multiple of 60 seconds (60, 120, 300, ...), got {period}", period
            ))
        breached, window = _plain(self.breachedPeriods), _plain(self.evaluationPeriods)
        if breached is not None and window is not None and breached > window:
            problems.append(_problem(
                ("breachedPeriods",),
                f"'breachedPeriods' ({breached}) cannot be more than 'evaluationPeriods' ({window}): only"
                f" {window} period(s) are looked at",
                breached,
            ))
        _fail(type(self).__name__, problems)
        return self


class SlackTargetProps(StpModel):
    conversationId: Str = F("Id of the Slack channel or direct conversation to post to, e.g. `C0123456789`.")
    accessToken: Str = F(
        "Bot token (`xoxb-...`) of a Slack app allowed to post there. Keep it in a secret: `$Secret('slack.token')`."
    )


class SlackTarget(StpModel):
    type: Literal["slack"] = F("Post a message to a Slack channel or conversation.")
    properties: SlackTargetProps | None = F("Which conversation and the bot token to post with.", None)


class MsTeamsTargetProps(StpModel):
    webhookUrl: Str = F("Incoming-webhook address of the Teams channel. Keep it in a secret, e.g. `$Secret('teams.webhook')`.")


class MsTeamsTarget(StpModel):
    type: Literal["ms-teams"] = F("Post a message to a Microsoft Teams channel.")
    properties: MsTeamsTargetProps | None = F("The channel's incoming webhook.", None)


class EmailTargetProps(StpModel):
    sender: Str = F("Address the notification is sent from; it must be verified in Amazon SES.")
    recipient: Str = F("Address the notification is sent to.")


class EmailTarget(StpModel):
    type: Literal["email"] = F("Send an e-mail (through Amazon SES).")
    properties: EmailTargetProps = F("Sender and recipient addresses.")


class DiscordTargetProps(StpModel):
    webhookUrl: Str = F("Webhook address of the Discord channel. Keep it in a secret, e.g. `$Secret('discord.webhook')`.")


class DiscordTarget(StpModel):
    type: Literal["discord"] = F("Post a message to a Discord channel.")
    properties: DiscordTargetProps | None = F("The channel's webhook.", None)


class WebhookTargetProps(StpModel):
    url: Str = F("Address that receives an HTTP POST with the alarm details as JSON.")
    secret: Str | None = F(
        "Shared key used to sign each payload with HMAC-SHA256, so the receiver can check it came from you."
        " Keep it in a secret.",
        None,
    )
    headers: dict[str, Str] | None = F("Extra HTTP headers sent with every request, as name: value pairs.", None)


class WebhookTarget(StpModel):
    type: Literal["webhook"] = F("Send the alarm details to any HTTP endpoint of yours.")
    properties: WebhookTargetProps | None = F("Where to send and how to sign the request.", None)


AlarmNotificationTarget = Annotated[
    Union[SlackTarget, MsTeamsTarget, EmailTarget, DiscordTarget, WebhookTarget],
    Field(discriminator="type"),
]


class _AlarmBase(StpModel):
    evaluation: AlarmEvaluation | None = F(
        "How the metric is judged: the period length and how many periods must cross the threshold."
        " Default: a single 60-second period.",
        None,
    )
    notificationTargets: list[AlarmNotificationTarget] | None = F(
        "Where to send a message when the alarm fires or recovers: `slack`, `ms-teams`, `email`, `discord` or"
        " `webhook`. Without targets the alarm is still visible in the console.",
        None,
    )
    description: Str | None = F(
        "Your own explanation of the alarm, shown in notifications and in the AWS console instead of the"
        " generated one.",
        None,
    )
    includeInHistory: Bool = F(
        "Record the alarm's state changes in the monitoring history (console). Default: true.", True
    )


# --- triggers: http-api-gateway ---------------------------------------------------------------------


class RequestErrorRateProps(StpModel):  # HTTP API Gateway and application load balancer alike
    thresholdPercent: Percent = F(
        "Share of requests, in percent (0-100), answered with a 4xx or 5xx status that makes the alarm fire."
    )
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class HttpApiErrorRateTrigger(StpModel):
    type: Literal["http-api-gateway-error-rate"] = F("Fire when too large a share of the API's requests fail (4xx/5xx).")
    properties: RequestErrorRateProps = F("The error-rate threshold.")


class HttpApiLatencyProps(StpModel):
    thresholdMilliseconds: NonNegative = F(
        "Time from receiving a request to returning the response, in milliseconds, that makes the alarm fire."
    )
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class HttpApiLatencyTrigger(StpModel):
    type: Literal["http-api-gateway-latency"] = F("Fire when the API answers too slowly.")
    properties: HttpApiLatencyProps = F("The latency threshold and how latencies are aggregated.")


HttpApiGatewayTrigger = Annotated[Union[HttpApiErrorRateTrigger, HttpApiLatencyTrigger], Field(discriminator="type")]


# --- triggers: application-load-balancer ------------------------------------------------------------


class AlbErrorRateTrigger(StpModel):
    type: Literal["application-load-balancer-error-rate"] = F(
        "Fire when too large a share of the load balancer's requests fail (4xx/5xx)."
    )
    properties: RequestErrorRateProps = F("The error-rate threshold.")


class AlbUnhealthyTargetsProps(StpModel):
    thresholdPercent: Percent = F(
        "Share of targets, in percent (0-100), failing their health checks that makes the alarm fire. It is"
        " checked for each target group; one group over the threshold is enough."
    )
    onlyIncludeTargets: list[Str] | None = F(
        "Names of the workloads behind the load balancer to watch. Not set: all of them.",
        None,
        ref=ALB_TARGET_TYPES,
    )
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class AlbUnhealthyTargetsTrigger(StpModel):
    type: Literal["application-load-balancer-unhealthy-targets"] = F(
        "Fire when too many of the load balancer's targets are unhealthy."
    )
    properties: AlbUnhealthyTargetsProps = F("The unhealthy-share threshold and which targets count.")


class AlbCustomProps(StpModel):
    metric: OneOf(*ALB_METRICS) = F(
        "CloudWatch metric of the load balancer to watch, e.g. `TargetResponseTime` (seconds),"
        " `HTTPCode_Target_5XX_Count` or `RejectedConnectionCount`."
    )
    threshold: Num = F("Value of the metric, in the metric's own unit, that makes the alarm fire.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class AlbCustomTrigger(StpModel):
    type: Literal["application-load-balancer-custom"] = F("Fire on any CloudWatch metric of the load balancer.")
    properties: AlbCustomProps = F("The metric, its threshold and how it is aggregated and compared.")


AlbTrigger = Annotated[
    Union[AlbErrorRateTrigger, AlbUnhealthyTargetsTrigger, AlbCustomTrigger], Field(discriminator="type")
]


# --- triggers: sqs-queue ------------------------------------------------------------------------------


class SqsReceivedCountProps(StpModel):
    thresholdCount: NonNegative = F("Number of messages received per period (aggregated by `statistic`) that makes the alarm fire.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class SqsReceivedCountTrigger(StpModel):
    type: Literal["sqs-queue-received-messages-count"] = F("Fire when the queue receives too many messages.")
    properties: SqsReceivedCountProps = F("The message-count threshold.")


class SqsNotEmptyTrigger(StpModel):
    type: Literal["sqs-queue-not-empty"] = F(
        "Fire while the queue holds or moves messages (visible, in flight, received or sent), e.g. on a"
        " dead-letter queue. Takes no properties."
    )


SqsQueueTrigger = Annotated[Union[SqsReceivedCountTrigger, SqsNotEmptyTrigger], Field(discriminator="type")]


# --- triggers: function -------------------------------------------------------------------------------


class LambdaErrorRateProps(StpModel):
    thresholdPercent: Percent = F("Share of invocations, in percent (0-100), that end in an error and make the alarm fire.")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class LambdaErrorRateTrigger(StpModel):
    type: Literal["lambda-error-rate"] = F("Fire when too large a share of the function's invocations fail.")
    properties: LambdaErrorRateProps = F("The error-rate threshold.")


class LambdaDurationProps(StpModel):
    thresholdMilliseconds: NonNegative = F("Run time of an invocation, in milliseconds, that makes the alarm fire.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class LambdaDurationTrigger(StpModel):
    type: Literal["lambda-duration"] = F("Fire when the function runs too long.")
    properties: LambdaDurationProps = F("The duration threshold and how durations are aggregated.")


FunctionTrigger = Annotated[Union[LambdaErrorRateTrigger, LambdaDurationTrigger], Field(discriminator="type")]


# --- triggers: relational-database --------------------------------------------------------------------


class DatabaseLatencyProps(StpModel):
    thresholdSeconds: NonNegative = F("Average time one disk I/O operation takes, in seconds (e.g. 0.02), that makes the alarm fire.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class DatabaseReadLatencyTrigger(StpModel):
    type: Literal["database-read-latency"] = F("Fire when disk reads of the database get slow.")
    properties: DatabaseLatencyProps = F("The read-latency threshold.")


class DatabaseWriteLatencyTrigger(StpModel):
    type: Literal["database-write-latency"] = F("Fire when disk writes of the database get slow.")
    properties: DatabaseLatencyProps = F("The write-latency threshold.")


class DatabaseCpuProps(StpModel):
    thresholdPercent: Percent = F("CPU use of the database, in percent (0-100), that makes the alarm fire.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class DatabaseCpuTrigger(StpModel):
    type: Literal["database-cpu-utilization"] = F("Fire when the database's CPU is busy for too long.")
    properties: DatabaseCpuProps = F("The CPU threshold.")


class DatabaseFreeStorageProps(StpModel):
    thresholdMB: NonNegative = F("Free disk space, in MB, below which the alarm fires.")
    statistic: Statistic = _statistic("min")
    comparisonOperator: Comparison = _comparison("LessThanThreshold")


class DatabaseFreeStorageTrigger(StpModel):
    type: Literal["database-free-storage"] = F("Fire when the database is running out of disk space.")
    properties: DatabaseFreeStorageProps = F("The free-space threshold.")


class DatabaseFreeMemoryProps(StpModel):
    thresholdMB: NonNegative = F("Free memory, in MB, below which the alarm fires.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("LessThanThreshold")


class DatabaseFreeMemoryTrigger(StpModel):
    type: Literal["database-free-memory"] = F("Fire when the database is running low on memory.")
    properties: DatabaseFreeMemoryProps = F("The free-memory threshold.")


class DatabaseConnectionCountProps(StpModel):
    thresholdCount: NonNegative = F("Number of open client connections that makes the alarm fire.")
    statistic: Statistic = _statistic("avg")
    comparisonOperator: Comparison = _comparison("GreaterThanThreshold")


class DatabaseConnectionCountTrigger(StpModel):
    type: Literal["database-connection-count"] = F("Fire when too many clients are connected to the database.")
    properties: DatabaseConnectionCountProps = F("The connection-count threshold.")


RelationalDatabaseTrigger = Annotated[
    Union[
        DatabaseReadLatencyTrigger, DatabaseWriteLatencyTrigger, DatabaseCpuTrigger, DatabaseFreeStorageTrigger,
        DatabaseFreeMemoryTrigger, DatabaseConnectionCountTrigger,
    ],
    Field(discriminator="type"),
]

WebServiceTrigger = Annotated[
    Union[
        HttpApiErrorRateTrigger, HttpApiLatencyTrigger, AlbErrorRateTrigger, AlbUnhealthyTargetsTrigger,
        AlbCustomTrigger,
    ],
    Field(discriminator="type"),
]


# --- alarms per resource type -------------------------------------------------------------------------


class HttpApiGatewayAlarm(_AlarmBase):
    trigger: HttpApiGatewayTrigger = F(
        "What fires the alarm: `http-api-gateway-error-rate` (share of failed requests) or"
        " `http-api-gateway-latency` (response time)."
    )


class AlbAlarm(_AlarmBase):
    trigger: AlbTrigger = F(
        "What fires the alarm: `application-load-balancer-error-rate` (share of failed requests),"
        " `application-load-balancer-unhealthy-targets` (share of unhealthy targets) or"
        " `application-load-balancer-custom` (any load balancer metric)."
    )


class WebServiceAlarm(_AlarmBase):
    trigger: WebServiceTrigger = F(
        "What fires the alarm. The triggers must fit what is in front of the service: `http-api-gateway-*` for"
        " an HTTP API Gateway (the default), `application-load-balancer-*` for an application load balancer."
    )


class SqsQueueAlarm(_AlarmBase):
    trigger: SqsQueueTrigger = F(
        "What fires the alarm: `sqs-queue-received-messages-count` (too many messages) or `sqs-queue-not-empty`"
        " (any message at all)."
    )


class FunctionAlarm(_AlarmBase):
    trigger: FunctionTrigger = F(
        "What fires the alarm: `lambda-error-rate` (share of failed invocations) or `lambda-duration` (run time)."
    )


class RelationalDatabaseAlarm(_AlarmBase):
    trigger: RelationalDatabaseTrigger = F(
        "What fires the alarm: `database-cpu-utilization`, `database-free-memory`, `database-free-storage`,"
        " `database-connection-count`, `database-read-latency` or `database-write-latency`."
    )
