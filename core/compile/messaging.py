"""Messaging: `sqs-queue`, `sns-topic` and `event-bus`, with their parameters.

Names are left to CloudFormation (unique per stack, no clash between stages),
except where AWS needs one: an event bus has a required name
(``<stack>-<resource>``, or the partner source's name) and a FIFO topic's
name must end in `.fifo`. Queues are encrypted with SQS-managed keys.

Resource policies are built once per queue or topic, after every hook has
run, from the statements gathered in ``resource_policy``: a queue receives
statements from its own `policyStatements`, from its event-bus subscriptions
(EventBridge may send into it only from that rule) and from any subscription
elsewhere that names it as `onDeliveryFailure` queue. One policy per
resource matters: two `AWS::SQS::QueuePolicy` on one queue overwrite each other.

Event-bus subscriptions share one shape for queues, functions and batch jobs;
``event_rule`` builds the rule for any of them.
"""

from __future__ import annotations

import json
import re

from troposphere import GetAtt, Ref, events, sns, sqs

from core.compile.context import FINISH_ORDER
from core.compile.directives import is_intrinsic, known_now, text
from core.compile.policies import config_statement, policy_document, service_may_send
from core.compile.registry import attribute_params, compiler, params
from core.compile.workload_hooks import ParamAbsent

MAX_TOPIC_NAME = 256
MAX_BUS_NAME = 256
MAX_TARGET_ID = 64
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_BUS_NAME_CHARS = re.compile(r"[^A-Za-z0-9/._-]+")
_TARGET_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


# --- resource policies (queues, topics, buckets) ---------------------------------------------------


def resource_policy(ctx, kind: str, name: str, build) -> list:
    """The statements of the resource policy of resource ``name`` (``kind``: 'queue', 'topic', 'bucket').

    Append statements to the list returned, before ``FINISH_ORDER``; ``build(statements)`` runs once then
    (only when some statement was added) and adds the policy resource.
    """
    store = ctx.extra.setdefault("resource-policies", {})
    key = (kind, name)
    if key not in store:
        store[key] = []
        ctx.defer(lambda: build(store[key]) if store[key] else None, FINISH_ORDER)
    return store[key]


def queue_policy(ctx, queue: str) -> list:
    """Statements of the policy of `sqs-queue` ``queue`` (see ``resource_policy``)."""

    def build(statements):
        ctx.add(queue, sqs.QueuePolicy(
            ctx.id(queue, "QueuePolicy"), Queues=[Ref(ctx.id(queue, "Queue"))], PolicyDocument=policy_document(statements),
        ))

    return resource_policy(ctx, "queue", queue, build)


def topic_policy(ctx, topic: str) -> list:
    """Statements of the policy of `sns-topic` ``topic`` (see ``resource_policy``)."""

    def build(statements):
        ctx.add(topic, sns.TopicPolicy(
            ctx.id(topic, "TopicPolicy"), Topics=[Ref(ctx.id(topic, "Topic"))], PolicyDocument=policy_document(statements),
        ))

    return resource_policy(ctx, "topic", topic, build)


# --- event-bus subscriptions -------------------------------------------------------------------------


def event_rule(ctx, owner: str, lid: str, sub, where: str, target_arn, *, target_id: str,
               message_group=None, role_arn=None):
    """An EventBridge rule delivering the events ``sub`` (EventBusSubscriptionProps) selects to ``target_arn``.

    The rule is added (owned by ``owner``) and returned; an `onDeliveryFailure` queue of the stack gets the
    permission to receive from it. None when the subscription cannot be compiled (problems are recorded).
    """
    rule = events.Rule(lid, State="ENABLED")
    if sub.eventBusName is not None:
        bus = text(ctx.static(sub.eventBusName, f"{where}.eventBusName", ""))
        if ctx.type_of(bus) != "event-bus":
            ctx.invalid(where, f"eventBusName '{bus}' is not an event-bus of this stack")
            return None
        rule.EventBusName = ctx.resource_param(bus, "arn")
    elif sub.eventBusArn is not None:
        rule.EventBusName = ctx.resolve(sub.eventBusArn, f"{where}.eventBusArn")
    pattern = ctx.resolve(sub.eventPattern.model_dump(exclude_none=True), f"{where}.eventPattern", {})
    if not pattern:
        ctx.invalid(where, "eventPattern is empty; EventBridge needs at least one field to match, e.g. source: ['my.app']")
        return None
    rule.EventPattern = pattern
    target = events.Target(Arn=target_arn, Id=_TARGET_ID_CHARS.sub("-", target_id)[:MAX_TARGET_ID])
    if message_group is not None:
        target.SqsParameters = events.SqsParameters(MessageGroupId=message_group)
    if role_arn is not None:
        target.RoleArn = role_arn
    if not target_input(ctx, target, sub, where):
        return None
    failure = sub.onDeliveryFailure
    if failure is not None:
        fwhere = f"{where}.onDeliveryFailure"
        if failure.sqsQueueName is not None:
            dlq = text(ctx.static(failure.sqsQueueName, f"{fwhere}.sqsQueueName", ""))
            if ctx.type_of(dlq) != "sqs-queue":
                ctx.invalid(fwhere, f"sqsQueueName '{dlq}' is not an sqs-queue of this stack")
                return None
            if queue_is_fifo(ctx, dlq):
                ctx.invalid(fwhere, f"'{dlq}' is a FIFO queue, but EventBridge keeps undelivered events only in"
                                    " standard queues; name a standard queue")
                return None
            dlq_arn = ctx.resource_param(dlq, "arn")
            queue_policy(ctx, dlq).append(
                service_may_send("events.amazonaws.com", "sqs:SendMessage", dlq_arn, GetAtt(lid, "Arn"))
            )
        else:
            dlq_arn = ctx.resolve(failure.sqsQueueArn, f"{fwhere}.sqsQueueArn")
        target.DeadLetterConfig = events.DeadLetterConfig(Arn=dlq_arn)
    rule.Targets = [target]
    return ctx.add(owner, rule)


def target_input(ctx, target, p, where: str) -> bool:
    """Set what EventBridge delivers to ``target``: the event, unless ``p`` (an EventTargetInput) gives a fixed
    `input` (as JSON text), an `inputPath` or an `inputTransformer`. False when that cannot be compiled."""
    if p.input is not None:
        value = ctx.resolve(p.input, f"{where}.input", None)
        if is_intrinsic(value):
            ctx.unsupported(f"{where}.input", "an input with values known only at deploy time is not compiled yet")
            return False
        target.Input = json.dumps(value, separators=(",", ":"))
    elif p.inputPath is not None:
        target.InputPath = ctx.text(p.inputPath, f"{where}.inputPath")
    elif p.inputTransformer is not None:
        tr = p.inputTransformer
        template = ctx.resolve(tr.inputTemplate, f"{where}.inputTransformer.inputTemplate")
        if is_intrinsic(template):
            ctx.unsupported(where, "inputTransformer.inputTemplate with values known only at deploy time is not compiled yet")
            return False
        transformer = events.InputTransformer(
            InputTemplate=template if isinstance(template, str) else json.dumps(template, separators=(",", ":"))
        )
        if tr.inputPathsMap:
            transformer.InputPathsMap = ctx.resolve(dict(tr.inputPathsMap), f"{where}.inputTransformer.inputPathsMap", {})
        target.InputTransformer = transformer
    return True


# --- sqs-queue ---------------------------------------------------------------------------------------


def _static_bool(ctx, value, where: str) -> bool | None:
    return None if value is None else bool(ctx.static(value, where, False))


def queue_is_fifo(ctx, name: str) -> bool | None:
    """Whether `sqs-queue` ``name`` is FIFO (None when it cannot be known now)."""
    entry = ctx.analysis.resources.get(name)
    props = entry.model.properties if entry is not None and entry.model is not None else None
    if props is None:
        return False
    value = known_now(ctx, props.fifoEnabled)  # a problem is reported where the queue itself is compiled
    return None if value is None else bool(value)


@compiler("sqs-queue")
def compile_sqs_queue(ctx, name: str, model) -> None:
    from core.model.messaging import SqsQueueProps

    p = model.properties if model.properties is not None else SqsQueueProps()
    where = f"resources.{name}.properties"
    st = lambda value, key, default: ctx.static(value, f"{where}.{key}", default)  # noqa: E731
    fifo = bool(st(p.fifoEnabled, "fifoEnabled", False))
    queue = sqs.Queue(
        ctx.id(name, "Queue"),
        DelaySeconds=int(st(p.delayMessagesSecond, "delayMessagesSecond", 0)),
        MaximumMessageSize=int(st(p.maxMessageSizeBytes, "maxMessageSizeBytes", 262_144)),
        MessageRetentionPeriod=int(st(p.messageRetentionPeriodSeconds, "messageRetentionPeriodSeconds", 345_600)),
        ReceiveMessageWaitTimeSeconds=int(st(p.longPollingSeconds, "longPollingSeconds", 0)),
        VisibilityTimeout=int(st(p.visibilityTimeoutSeconds, "visibilityTimeoutSeconds", 30)),
        SqsManagedSseEnabled=True,
    )
    dedup = _static_bool(ctx, p.contentBasedDeduplication, f"{where}.contentBasedDeduplication")
    high = _static_bool(ctx, p.fifoHighThroughput, f"{where}.fifoHighThroughput")
    if fifo:
        queue.FifoQueue = True
        if dedup is not None:
            queue.ContentBasedDeduplication = dedup
        if high:
            queue.DeduplicationScope = "messageGroup"
            queue.FifoThroughputLimit = "perMessageGroupId"
    else:
        for key, value in (("contentBasedDeduplication", dedup), ("fifoHighThroughput", high)):
            if value:
                ctx.invalid(f"{where}.{key}", f"'{key}' only applies to FIFO queues; set 'fifoEnabled: true' or remove it")
    if p.redrivePolicy is not None:
        redrive = _redrive(ctx, name, p.redrivePolicy, fifo, f"{where}.redrivePolicy")
        if redrive is not None:
            queue.RedrivePolicy = redrive
    ctx.add(name, queue)
    arn = GetAtt(queue, "Arn")

    for i, st_model in enumerate(p.policyStatements or ()):
        queue_policy(ctx, name).append(config_statement(ctx, st_model, f"{where}.policyStatements[{i}]", resource=arn))

    for i, ev in enumerate(p.events or ()):
        ewhere = f"{where}.events[{i}].properties"
        group = ctx.text(ev.properties.messageGroupId, f"{ewhere}.messageGroupId") \
            if ev.properties.messageGroupId is not None else None
        if fifo and group is None:
            ctx.invalid(ewhere, "a FIFO queue only receives events with a messageGroupId; add one")
            continue
        if fifo and not dedup:
            ctx.invalid(f"{where}.contentBasedDeduplication", "EventBridge only delivers into a FIFO queue that has"
                                                               " 'contentBasedDeduplication: true'")
            continue
        rule = event_rule(ctx, name, ctx.id(name, f"Event{i + 1}", "Rule"), ev.properties, ewhere, arn, target_id=name,
                          message_group=group if fifo else None)
        if rule is not None:
            queue_policy(ctx, name).append(service_may_send("events.amazonaws.com", "sqs:SendMessage", arn, GetAtt(rule, "Arn")))

    if p.alarms:
        ctx.unsupported(name, "alarms on the queue are not compiled yet")
    ctx.output(name, "queueUrl", ctx.id(name, "QueueUrl"), Ref(queue), f"URL of queue {name}")
    ctx.output(name, "queueArn", ctx.id(name, "QueueArn"), arn, f"ARN of queue {name}")


def _redrive(ctx, name: str, rp, fifo: bool, where: str):
    count = int(ctx.static(rp.maxReceiveCount, f"{where}.maxReceiveCount", 1))
    if rp.targetSqsQueueName is not None:
        target = text(ctx.static(rp.targetSqsQueueName, f"{where}.targetSqsQueueName", ""))
        if ctx.type_of(target) != "sqs-queue":
            ctx.invalid(where, f"targetSqsQueueName '{target}' is not an sqs-queue of this stack")
            return None
        if target == name:
            ctx.invalid(where, f"queue '{name}' cannot be its own dead-letter queue; name another queue")
            return None
        target_fifo = queue_is_fifo(ctx, target)
        if target_fifo is not None and target_fifo != fifo:
            kind = "FIFO" if fifo else "standard"
            ctx.invalid(where, f"the dead-letter queue of a {kind} queue must also be {kind}, but '{target}' is"
                               f" {'FIFO' if target_fifo else 'standard'}")
            return None
        dlq_arn = ctx.resource_param(target, "arn")
    else:
        dlq_arn = ctx.resolve(rp.targetSqsQueueArn, f"{where}.targetSqsQueueArn")
    return sqs.RedrivePolicy(deadLetterTargetArn=dlq_arn, maxReceiveCount=count)


sqs_queue_param = attribute_params("sqs-queue", "Queue", {"arn": "Arn", "name": "QueueName", "url": "Ref"})


# --- sns-topic ---------------------------------------------------------------------------------------


@compiler("sns-topic")
def compile_sns_topic(ctx, name: str, model) -> None:
    p = model.properties
    where = f"resources.{name}.properties"
    topic = sns.Topic(ctx.id(name, "Topic"))
    if p is not None:
        fifo = bool(ctx.static(p.fifoEnabled, f"{where}.fifoEnabled", False))
        dedup = bool(ctx.static(p.contentBasedDeduplication, f"{where}.contentBasedDeduplication", False))
        if fifo:
            topic.FifoTopic = True
            # CloudFormation's generated names lack the '.fifo' suffix AWS requires, so a FIFO topic is named here
            base = _NAME_CHARS.sub("-", f"{ctx.stack_name}-{name}")[: MAX_TOPIC_NAME - len(".fifo")]
            topic.TopicName = f"{base}.fifo"
            topic.ContentBasedDeduplication = dedup
        elif dedup:
            ctx.invalid(f"{where}.contentBasedDeduplication",
                        "'contentBasedDeduplication' only applies to FIFO topics; set 'fifoEnabled: true' or remove it")
        if p.smsDisplayName is not None:
            topic.DisplayName = ctx.text(p.smsDisplayName, f"{where}.smsDisplayName")
    ctx.add(name, topic)
    ctx.output(name, "topicArn", ctx.id(name, "TopicArn"), Ref(topic), f"ARN of topic {name}")


sns_topic_param = attribute_params("sns-topic", "Topic", {"arn": "Ref", "name": "TopicName"})


# --- event-bus ---------------------------------------------------------------------------------------


def _bus_props(ctx, name: str):
    entry = ctx.analysis.resources.get(name)
    return entry.model.properties if entry is not None and entry.model is not None else None


def _archive_enabled(ctx, name: str, props) -> bool:
    arch = props.archivation if props is not None else None
    if arch is None:
        return False
    return bool(ctx.static(arch.enabled, f"resources.{name}.properties.archivation.enabled", False))


@compiler("event-bus")
def compile_event_bus(ctx, name: str, model) -> None:
    p = model.properties
    where = f"resources.{name}.properties"
    bus = events.EventBus(ctx.id(name, "EventBus"))
    source = ctx.static(p.eventSourceName, f"{where}.eventSourceName") if p is not None and p.eventSourceName else None
    if source:
        # a partner event bus carries the name of the partner event source it receives from
        bus.Name = bus.EventSourceName = text(source)
    else:
        bus.Name = _BUS_NAME_CHARS.sub("-", f"{ctx.stack_name}-{name}")[:MAX_BUS_NAME]
    ctx.add(name, bus)
    if _archive_enabled(ctx, name, p):
        archive = events.Archive(
            ctx.id(name, "Archive"), SourceArn=GetAtt(bus, "Arn"), Description=f"Events of bus {name} of {ctx.stack_name}",
        )
        days = p.archivation.retentionDays
        days = int(ctx.static(days, f"{where}.archivation.retentionDays", 0)) if days is not None else 0
        if days > 0:  # 0 or unset: kept forever
            archive.RetentionDays = days
        ctx.add(name, archive)
    ctx.output(name, "eventBusArn", ctx.id(name, "EventBusArn"), GetAtt(bus, "Arn"), f"ARN of event bus {name}")


@params("event-bus")
def event_bus_param(ctx, name: str, param: str):
    if param == "arn":
        return GetAtt(ctx.id(name, "EventBus"), "Arn")
    if param == "archiveArn":
        if not _archive_enabled(ctx, name, _bus_props(ctx, name)):
            raise ParamAbsent(f"event-bus '{name}' keeps no archive; set archivation.enabled: true")
        return GetAtt(ctx.id(name, "Archive"), "Arn")
    return None
