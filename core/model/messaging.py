"""Messaging: `sqs-queue` (SQS), `sns-topic` (SNS) and `event-bus` (EventBridge).

Queues, topics and buses are named by Stacktape, so none of them has a name
property; other resources point at them by their key under `resources`.
A queue can itself subscribe to an event bus (`events`), with the same
integration shape functions and batch jobs use.

Limits AWS enforces on single values (visibility timeout, retention, message
size…) are checked where the value is written; rules that tie several keys
together (FIFO-only options, "exactly one of" choices, what an event-bus
subscription needs from a FIFO queue) live in model validators and report the
key at fault. Values that are directives are never judged: they resolve later.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.model.alarms import SqsQueueAlarm
from core.model.base import DIRECTIVE_OK, AnyValue, Bool, F, OneOf, StpModel, Str
from core.model.checks import Bounds
from core.model.checks import fail as _fail
from core.model.checks import plain as _plain
from core.model.checks import problem as _problem
from core.model.common import EventBusSubscriptionProps
from core.model.workloads import _Resource

# --- facts ------------------------------------------------------------------------------------------

VISIBILITY_TIMEOUT_RANGE = (0, 43_200)  # seconds; 12 hours
MESSAGE_RETENTION_RANGE = (60, 1_209_600)  # seconds; 1 minute to 14 days
DELIVERY_DELAY_RANGE = (0, 900)  # seconds; 15 minutes
LONG_POLLING_RANGE = (0, 20)  # seconds
MESSAGE_SIZE_RANGE = (1_024, 262_144)  # bytes; 1 KiB to 256 KiB
MAX_RECEIVE_COUNT_RANGE = (1, 1_000)
PARTNER_EVENT_SOURCE = re.compile(r"aws\.partner(/[.\-_A-Za-z0-9]+){2,}")


# --- helpers ------------------------------------------------------------------------------------------


def _ranged(kind, key: str, low, high, unit: str):
    """A number of ``kind`` that must lie in ``low..high``; a directive in its place is accepted."""

    def check(value):
        if low <= value <= high:
            return value
        raise PydanticCustomError(
            "out_of_range",
            "{detail}",
            {"detail": f"'{key}' must be between {low} and {high} {unit}, got {value:g}"},
        )

    return Annotated[kind, AfterValidator(check), Bounds(low, high), DIRECTIVE_OK]


# --- sqs-queue ----------------------------------------------------------------------------------------


class SqsEventBusEventProps(EventBusSubscriptionProps):
    messageGroupId: Str | None = F(
        "Message group the delivered events join; required when the queue is FIFO (events of one group are handed"
        " out in order), not allowed on a standard queue.",
        None,
    )


class SqsEventBusEvent(StpModel):
    type: Literal["event-bus"] = F("Deliver events from an EventBridge event bus into this queue as messages.")
    properties: SqsEventBusEventProps = F("Which bus, which events and how each message is built.")


class SqsRedrivePolicy(StpModel):
    targetSqsQueueName: Str | None = F(
        "Name of the `sqs-queue` resource of this stack that receives messages which failed too often (the"
        " dead-letter queue). Give this or `targetSqsQueueArn`.",
        None,
        ref="sqs-queue",
    )
    targetSqsQueueArn: Str | None = F(
        "ARN of a queue outside this stack to use as the dead-letter queue. Give this or `targetSqsQueueName`.",
        None,
    )
    maxReceiveCount: _ranged(int, "maxReceiveCount", *MAX_RECEIVE_COUNT_RANGE, "receives") = F(
        "How many times a message may be received without being deleted before it moves to the dead-letter"
        " queue, 1-1000."
    )

    @model_validator(mode="after")
    def _one_target(self):
        given = [k for k in ("targetSqsQueueName", "targetSqsQueueArn") if getattr(self, k) is not None]
        if len(given) != 1:
            _fail(type(self).__name__, [_problem(
                (given[-1],) if given else (),
                "Give exactly one dead-letter queue: 'targetSqsQueueName' (a queue of this stack) or"
                " 'targetSqsQueueArn' (any other queue)" + (", not both" if given else ""),
                getattr(self, given[-1]) if given else None,
            )])
        return self


class SqsPolicyStatement(StpModel):
    Effect: OneOf("Allow", "Deny") = F("`Allow` grants the listed actions, `Deny` refuses them.")
    Action: list[Str] = F(
        "Queue actions the statement covers, each starting with `sqs:`, e.g. `sqs:SendMessage`; `sqs:*` covers all."
    )
    Principal: AnyValue = F(
        "Who the statement is about: `'*'` for anyone, or a map such as `{Service: sns.amazonaws.com}` or"
        " `{AWS: 'arn:aws:iam::123456789012:root'}`."
    )
    Condition: AnyValue = F(
        "Optional IAM condition block limiting when the statement applies, e.g. on `aws:SourceArn`.", None
    )

    @model_validator(mode="after")
    def _queue_actions(self):
        problems = [
            _problem(("Action", i), f"'{action}' is not a queue action: a queue policy only takes 'sqs:...' actions"
                     " (or '*')", action)
            for i, action in enumerate(self.Action)
            if (plain := _plain(action)) is not None and plain != "*" and not plain.lower().startswith("sqs:")
        ]
        _fail(type(self).__name__, problems)
        return self


class SqsQueueProps(StpModel):
    delayMessagesSecond: _ranged(int, "delayMessagesSecond", *DELIVERY_DELAY_RANGE, "seconds") = F(
        "Seconds every new message stays hidden before consumers can receive it, 0-900 (15 minutes). Default: 0.",
        0,
    )
    maxMessageSizeBytes: _ranged(int, "maxMessageSizeBytes", *MESSAGE_SIZE_RANGE, "bytes") = F(
        "Largest message the queue accepts, in bytes: 1024 (1 KiB) to 262144 (256 KiB). Default: 262144.", 262_144
    )
    messageRetentionPeriodSeconds: _ranged(int, "messageRetentionPeriodSeconds", *MESSAGE_RETENTION_RANGE, "seconds") = F(
        "Seconds a message is kept when nobody deletes it: 60 (1 minute) to 1209600 (14 days). Default: 345600"
        " (4 days).",
        345_600,
    )
    longPollingSeconds: _ranged(int, "longPollingSeconds", *LONG_POLLING_RANGE, "seconds") = F(
        "Seconds a receive call waits for a message to arrive before answering empty, 0-20. Anything above 0"
        " means long polling (fewer empty answers, lower cost). Default: 0 (answer at once).",
        0,
    )
    visibilityTimeoutSeconds: _ranged(int, "visibilityTimeoutSeconds", *VISIBILITY_TIMEOUT_RANGE, "seconds") = F(
        "Seconds a received message stays hidden from other consumers while it is processed, 0-43200 (12 hours)."
        " Not deleted by then, it becomes visible again and is retried. Keep it above the processing time (for a"
        " function consumer: above its timeout). Default: 30.",
        30,
    )
    fifoEnabled: Bool = F(
        "Make a FIFO queue: strict order within a message group and no duplicates, at lower throughput. Can only"
        " be chosen when the queue is created. Default: false (a standard queue).",
        False,
    )
    fifoHighThroughput: Bool | None = F(
        "FIFO queues only: raise the throughput limit by keeping order (and deduplication) per message group"
        " instead of per queue.",
        None,
    )
    contentBasedDeduplication: Bool | None = F(
        "FIFO queues only: treat messages with the same body sent within 5 minutes as duplicates, so senders"
        " need not pass a deduplication id. Needed when an event bus delivers into the queue.",
        None,
    )
    redrivePolicy: SqsRedrivePolicy | None = F(
        "Move messages that keep failing to a dead-letter queue after `maxReceiveCount` receives.", None
    )
    alarms: list[SqsQueueAlarm] | None = F(
        "Alarms on the queue (e.g. messages waiting too long, too many received) and who gets notified. They add"
        " to alarms defined globally for the account.",
        None,
    )
    disabledGlobalAlarms: list[Str] | None = F("Names of globally defined alarms that should not watch this queue.", None)
    policyStatements: list[SqsPolicyStatement] | None = F(
        "Extra statements for the queue's resource policy, e.g. to let another account or an AWS service send"
        " messages. Added to the statements Stacktape generates.",
        None,
    )
    events: list[SqsEventBusEvent] | None = F(
        "Event-bus subscriptions: matching events are delivered into this queue as messages.", None
    )

    @model_validator(mode="after")
    def _fifo_rules(self):
        if isinstance(self.fifoEnabled, str):
            return self  # a directive decides later
        fifo = self.fifoEnabled
        problems: list[InitErrorDetails] = []
        if fifo is not True:
            for key in ("fifoHighThroughput", "contentBasedDeduplication"):
                if _plain(getattr(self, key)) is True:
                    problems.append(_problem(
                        (key,), f"'{key}' only applies to FIFO queues; set 'fifoEnabled: true' or remove it", True
                    ))
        for i, event in enumerate(self.events or ()):
            group = event.properties.messageGroupId
            if fifo is not True and group is not None:
                problems.append(_problem(
                    ("events", i, "properties", "messageGroupId"),
                    "'messageGroupId' only applies to FIFO queues; this queue is a standard queue",
                    group,
                ))
            if fifo is True and group is None:
                # reported like any missing key: the subscription cannot work without it
                problems.append(InitErrorDetails(
                    type="missing", loc=("events", i, "properties", "messageGroupId"), input=None
                ))
        dedup = self.contentBasedDeduplication
        if fifo is True and self.events and dedup is not True and not isinstance(dedup, str):
            # on the key when it is written, else on 'fifoEnabled', next to where it belongs
            problems.append(_problem(
                ("contentBasedDeduplication",) if dedup is not None else ("fifoEnabled",),
                "EventBridge only delivers into a FIFO queue that has 'contentBasedDeduplication: true'; this queue"
                " receives events from an event bus ('events')" + ("" if dedup is not None else ", so add it"),
                dedup,
            ))
        _fail(type(self).__name__, problems)
        return self


class SqsQueue(_Resource):
    type: Literal["sqs-queue"] = F(
        "A message queue (Amazon SQS) that holds messages until a consumer receives and deletes them."
    )
    properties: SqsQueueProps | None = F(
        "Timeouts, retention, FIFO mode, dead-letter queue and event subscriptions. May be left out to take every"
        " default.",
        None,
    )


# --- sns-topic ----------------------------------------------------------------------------------------


def _short(value: str, most: int, key: str) -> str:
    if "$" in value or len(value) <= most:
        return value
    raise PydanticCustomError(
        "too_long_text", "{detail}", {"detail": f"'{key}' may have at most {most} characters, got {len(value)}"}
    )


SmsDisplayName = Annotated[Str, AfterValidator(lambda v: _short(v, 100, "smsDisplayName"))]


class SnsTopicProps(StpModel):
    smsDisplayName: SmsDisplayName | None = F(
        "Sender name shown to subscribers receiving the topic's messages as SMS (at most 100 characters).", None
    )
    fifoEnabled: Bool = F(
        "Make a FIFO topic: messages reach subscribed FIFO queues in order and without duplicates. Can only be"
        " chosen when the topic is created. Default: false.",
        False,
    )
    contentBasedDeduplication: Bool = F(
        "FIFO topics only: treat messages with the same body published within 5 minutes as duplicates, so"
        " publishers need not pass a deduplication id. Default: false.",
        False,
    )

    @model_validator(mode="after")
    def _fifo_rules(self):
        if _plain(self.contentBasedDeduplication) is True and _plain(self.fifoEnabled) is False:
            _fail(type(self).__name__, [_problem(
                ("contentBasedDeduplication",),
                "'contentBasedDeduplication' only applies to FIFO topics; set 'fifoEnabled: true' or remove it",
                True,
            )])
        return self


class SnsTopic(_Resource):
    type: Literal["sns-topic"] = F(
        "A publish/subscribe topic (Amazon SNS): every message published to it is pushed to all its subscribers"
        " (queues, functions, HTTP endpoints, e-mail, SMS)."
    )
    properties: SnsTopicProps | None = F("FIFO mode and the SMS sender name. May be left out to take every default.", None)


# --- event-bus ----------------------------------------------------------------------------------------


def _not_negative(value: int, key: str) -> int:
    if value >= 0:
        return value
    raise PydanticCustomError("out_of_range", "{detail}", {"detail": f"'{key}' cannot be negative, got {value}"})


def _partner_source(value: str) -> str:
    if "$" in value or PARTNER_EVENT_SOURCE.fullmatch(value):
        return value
    raise PydanticCustomError(
        "invalid_setting",
        "{detail}",
        {"detail": f"'{value}' is not a partner event source name; those look like"
                   " 'aws.partner/<partner>/<account or tenant>/<source>'"},
    )


ArchiveDays = Annotated[int, AfterValidator(lambda v: _not_negative(v, "retentionDays")), Bounds(0), DIRECTIVE_OK]
PartnerEventSource = Annotated[Str, AfterValidator(_partner_source)]


class EventBusArchivation(StpModel):
    enabled: Bool = F(
        "Keep a copy of every event sent to the bus in an archive, from which past events can be replayed."
        " Turning it off later deletes the archive with its events. Default: false.",
        False,
    )
    retentionDays: ArchiveDays | None = F(
        "Days archived events are kept. Unset (or 0): kept forever.", None
    )


class EventBusProps(StpModel):
    eventSourceName: PartnerEventSource | None = F(
        "Turn this into a partner event bus fed by a SaaS partner's event source, named like"
        " `aws.partner/<partner>/<id>/<source>`. The source must already be offered to your account. Leave out"
        " for an ordinary bus your own code publishes to.",
        None,
    )
    archivation: EventBusArchivation | None = F(
        "Archive the bus's events so they can be replayed later (for debugging, testing or recovery).", None
    )


class EventBus(_Resource):
    type: Literal["event-bus"] = F(
        "A custom EventBridge event bus: producers publish events to it and rules deliver matching events to"
        " functions, queues, batch jobs and other targets."
    )
    properties: EventBusProps | None = F("Partner event source and archiving. May be left out to take every default.", None)


RESOURCES = {"sqs-queue": SqsQueue, "sns-topic": SnsTopic, "event-bus": EventBus}
