"""sqs-queue, sns-topic, event-bus, bucket, dynamo-db-table and efs-filesystem, as a user meets them.

Everything goes through ``analyze(text)``: realistic configs are clean, a wrong value, an unknown
key or a rule spanning several keys is reported at the key at fault, and names of other
resources are checked like every other reference.
"""

from __future__ import annotations

import pytest

from core.analysis import analyze
from core.model.messaging import RESOURCES as MESSAGING
from core.model.registry import model_for
from core.model.storage import RESOURCES as STORAGE
from tests.conftest import yaml
from tests.core.corpus_support import corpus_data, valid_corpus_files
from tests.core.model_support import analysis_errors

TYPES = tuple(MESSAGING) + tuple(STORAGE)


def _only(text: str, code: str | None = None):
    """The single error of ``text`` (optionally of ``code``); fails listing all errors otherwise."""
    errs = [d for d in analysis_errors(text) if code is None or d.code == code]
    assert len(errs) == 1, [(d.code, d.dotted_path, d.message) for d in analysis_errors(text)]
    return errs[0]


def _line(text: str, needle: str) -> int:
    """0-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)


def _resource(name: str, body: str, *others: str) -> str:
    """A config with one resource ``name`` (``body`` is its YAML, indented as under the name)."""
    out = "resources:\n  " + name + ":\n" + "\n".join("    " + line for line in yaml(body).splitlines()) + "\n"
    for extra in others:
        out += "\n".join("  " + line for line in yaml(extra).splitlines()) + "\n"
    return out


def _queue_event(props: str, queue_props: str = "") -> str:
    """A queue `q` subscribed to an event bus with subscription ``props`` (its other properties: ``queue_props``)."""
    body = "type: sqs-queue\nproperties:\n" + "".join("  " + line + "\n" for line in yaml(queue_props).splitlines())
    body += "  events:\n    - type: event-bus\n      properties:\n"
    body += "".join("        " + line + "\n" for line in yaml(props).splitlines())
    return _resource("q", body, "bus:\n  type: event-bus\n")


# --- registration and the real-world corpus ------------------------------------------------------------


def test_the_six_types_are_modelled():
    assert set(MESSAGING) == {"sqs-queue", "sns-topic", "event-bus"}
    assert set(STORAGE) == {"bucket", "dynamo-db-table", "efs-filesystem"}
    assert all(model_for(t) is not None for t in TYPES)


def _corpus_files():
    out = []
    for path in valid_corpus_files():
        bodies = ((corpus_data(path) or {}).get("resources") or {}).values()
        if any(isinstance(b, dict) and b.get("type") in TYPES for b in bodies):
            out.append(pytest.param(path, id=path.stem))
    return out


@pytest.mark.parametrize("path", _corpus_files() or [pytest.param(None, id="no-corpus")])
def test_corpus_configs_using_these_types_are_clean(shared, path):
    errs = analysis_errors(path.read_text())
    assert errs == [], [(d.span.line + 1, d.code, d.message) for d in errs]


def test_broken_queue_and_topic_file_fails_on_every_marked_queue_and_topic_line(shared):
    text = (shared / "corpus" / "config-errors" / "22-invalid-sqs-sns.yml").read_text()
    lines = text.splitlines()
    error_lines = {d.span.line for d in analysis_errors(text)}
    end = _line(text, "myFunction:")  # the function part belongs to another model
    marked = [i for i in range(end) if " # " in lines[i] and not lines[i].lstrip().startswith("#")]
    assert len(marked) == 7
    assert [lines[i].strip() for i in marked if i not in error_lines] == []


# --- realistic configs -------------------------------------------------------------------------------------

FULL = yaml(
    """
    resources:
      orderEvents:
        type: event-bus
        properties:
          archivation:
            enabled: true
            retentionDays: 30
      failedEvents:
        type: sqs-queue
        properties:
          messageRetentionPeriodSeconds: 1209600
      ordersDlq:
        type: sqs-queue
        properties:
          fifoEnabled: true
      orders:
        type: sqs-queue
        properties:
          fifoEnabled: true
          fifoHighThroughput: true
          contentBasedDeduplication: true
          visibilityTimeoutSeconds: 180
          longPollingSeconds: 20
          delayMessagesSecond: 5
          maxMessageSizeBytes: 65536
          redrivePolicy:
            targetSqsQueueName: ordersDlq
            maxReceiveCount: 5
          policyStatements:
            - Effect: Allow
              Action: ['sqs:SendMessage']
              Principal: {Service: sns.amazonaws.com}
              Condition:
                ArnEquals:
                  aws:SourceArn: arn:aws:sns:eu-west-1:123456789012:orders
          events:
            - type: event-bus
              properties:
                eventBusName: orderEvents
                messageGroupId: orders
                eventPattern:
                  source: [shop.orders]
                  detail-type: [OrderPlaced, {prefix: Order}]
                  detail:
                    total: [{numeric: ['>', 100]}]
                inputPath: $.detail
                onDeliveryFailure:
                  sqsQueueName: failedEvents
      s3Events:
        type: sqs-queue
        properties:
          events:
            - type: event-bus
              properties:
                useDefaultBus: true
                eventPattern:
                  source: [aws.s3]
                  replay-name: [{exists: false}]
                inputTransformer:
                  inputPathsMap: {key: $.detail.object.key}
                  inputTemplate: {objectKey: <key>}
      notifications:
        type: sns-topic
        properties:
          smsDisplayName: MyShop
          fifoEnabled: true
          contentBasedDeduplication: true
      assets:
        type: bucket
        properties:
          versioning: true
          encryption: true
          enableEventBusNotifications: true
          accessibility:
            accessibilityMode: public-read
            accessPolicyStatements:
              - Principal: {AWS: 'arn:aws:iam::123456789012:root'}
                Action: ['s3:PutObject']
                Resource: ["$ResourceParam('assets', 'arn')"]
          cors:
            enabled: true
            corsRules:
              - allowedOrigins: ['https://app.example.com']
                allowedMethods: [GET, PUT]
                allowedHeaders: ['*']
                exposedResponseHeaders: [ETag]
                maxAge: 3600
          directoryUpload:
            directoryPath: ./dist
            headersPreset: single-page-app
            excludeFilesPatterns: ['**/*.map']
            fileOptions:
              - includePattern: '*.html'
                headers:
                  - key: Cache-Control
                    value: no-cache
                tags:
                  - key: kind
                    value: page
          lifecycleRules:
            - type: class-transition
              properties:
                daysAfterUpload: 30
                storageClass: STANDARD_IA
                prefix: logs/
            - type: expiration
              properties:
                daysAfterUpload: 365
                tags:
                  - key: temporary
                    value: 'true'
            - type: non-current-version-expiration
              properties:
                daysAfterVersioned: 30
            - type: non-current-version-class-transition
              properties:
                daysAfterVersioned: 0
                storageClass: GLACIER
            - type: abort-incomplete-multipart-upload
              properties:
                daysAfterInitiation: 7
      orderTable:
        type: dynamo-db-table
        properties:
          primaryKey:
            partitionKey: {name: pk, type: string}
            sortKey: {name: sk, type: string}
          streamType: NEW_AND_OLD_IMAGES
          enablePointInTimeRecovery: true
          provisionedThroughput:
            readUnits: 5
            writeUnits: 5
            readScaling: {minUnits: 5, maxUnits: 50, keepUtilizationUnder: 70}
            writeScaling: {minUnits: 5, maxUnits: 20, keepUtilizationUnder: 70}
          secondaryIndexes:
            - name: byCustomer
              partitionKey: {name: customerId, type: string}
              sortKey: {name: sk, type: string}
              projections: [total, status]
          dev:
            remote: true
      shared:
        type: efs-filesystem
        properties:
          backupEnabled: true
          throughputMode: provisioned
          provisionedThroughputInMibps: 50
    """
)


def test_a_config_using_every_feature_is_clean():
    a = analyze(FULL, strict=True)
    assert a.diagnostics == [], [(d.span.line + 1, d.code, d.message) for d in a.diagnostics]
    assert {e.type for e in a.resources.values()} == set(TYPES)
    assert all(e.model is not None for e in a.resources.values())


def test_bare_resources_take_every_default():
    text = yaml(
        """
        resources:
          q: {type: sqs-queue}
          t: {type: sns-topic}
          b: {type: event-bus}
          files: {type: bucket}
          disk: {type: efs-filesystem}
        """
    )
    a = analyze(text, strict=True)
    assert a.diagnostics == []
    assert a.resources["disk"].model.properties is None


def test_directives_are_not_judged():
    text = _resource(
        "q",
        """
        type: sqs-queue
        properties:
          fifoEnabled: $CliArgs('fifo')
          contentBasedDeduplication: true
          visibilityTimeoutSeconds: $CliArgs('visibility')
          policyStatements:
            - Effect: Allow
              Action: [$CliArgs('action')]
              Principal: '*'
        """,
    )
    assert analysis_errors(text) == []


# --- wrong values, unknown keys, missing keys ----------------------------------------------------------


def test_wrong_enum_value_names_the_allowed_ones():
    text = _resource(
        "table",
        """
        type: dynamo-db-table
        properties:
          primaryKey:
            partitionKey: {name: id, type: str}
          streamType: NEW_IMAGES
        """,
    )
    errs = {d.dotted_path: d for d in analysis_errors(text)}
    assert set(errs) == {
        "resources.table.properties.primaryKey.partitionKey.type",
        "resources.table.properties.streamType",
    }
    stream = errs["resources.table.properties.streamType"]
    assert stream.code == "invalid-value" and "Did you mean 'NEW_IMAGE'?" in stream.message
    assert "'binary'" in errs["resources.table.properties.primaryKey.partitionKey.type"].message


def test_unknown_key_suggests_the_real_one():
    text = _resource("q", "type: sqs-queue\nproperties:\n  visibilityTimeout: 60\n")
    d = _only(text)
    assert d.code == "unknown-property" and "Did you mean 'visibilityTimeoutSeconds'?" in d.message
    assert d.span.line == _line(text, "visibilityTimeout:")


@pytest.mark.parametrize(
    "pattern,code,key,words",
    [
        ("detail_type: [OrderPlaced]", "unknown-property", "detail_type", "Did you mean 'detail-type'?"),  # dashed keys
        ("source: shop.orders", "invalid-type", "source", ""),  # values are lists or maps
    ],
)
def test_event_pattern_keys_and_values_are_checked(pattern, code, key, words):
    d = _only(_queue_event(f"useDefaultBus: true\neventPattern:\n  {pattern}\n"))
    assert d.code == code and d.dotted_path.endswith(f"eventPattern.{key}") and words in d.message


def test_unknown_lifecycle_rule_type_and_storage_class():
    text = _resource(
        "files",
        """
        type: bucket
        properties:
          lifecycleRules:
            - type: expire
              properties: {daysAfterUpload: 3}
            - type: class-transition
              properties: {daysAfterUpload: 90, storageClass: GLACIER_IR}
        """,
    )
    errs = {d.dotted_path: d for d in analysis_errors(text)}
    assert errs["resources.files.properties.lifecycleRules[0].type"].code == "invalid-type-name"
    assert "Did you mean 'expiration'?" in errs["resources.files.properties.lifecycleRules[0].type"].message
    assert errs["resources.files.properties.lifecycleRules[1].properties.storageClass"].code == "invalid-value"


def test_lifecycle_rule_fields_belong_to_their_type():
    text = _resource(
        "files",
        """
        type: bucket
        properties:
          versioning: true
          lifecycleRules:
            - type: non-current-version-expiration
              properties: {daysAfterUpload: 30}
        """,
    )
    errs = {(d.code, d.dotted_path) for d in analysis_errors(text)}
    assert ("unknown-property", "resources.files.properties.lifecycleRules[0].properties.daysAfterUpload") in errs
    assert any(code == "missing-property" and "daysAfterVersioned" in path for code, path in errs)


def test_dynamo_table_needs_a_partition_key():
    text = _resource("table", "type: dynamo-db-table\nproperties:\n  primaryKey:\n    sortKey: {name: sk, type: string}\n")
    d = _only(text)
    assert d.code == "missing-property" and d.dotted_path == "resources.table.properties.primaryKey.partitionKey"
    text = _resource("table", "type: dynamo-db-table\n")
    assert _only(text).code == "missing-property"


def test_bucket_versioning_is_a_switch_not_a_map():
    text = _resource("files", "type: bucket\nproperties:\n  versioning:\n    enabled: true\n")
    d = _only(text)
    assert d.code == "invalid-type" and d.dotted_path == "resources.files.properties.versioning"


# --- single-value limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key,value,words",
    [
        ("visibilityTimeoutSeconds", 50000, "between 0 and 43200 seconds"),
        ("messageRetentionPeriodSeconds", 30, "between 60 and 1209600 seconds"),
        ("delayMessagesSecond", 1000, "between 0 and 900 seconds"),
        ("longPollingSeconds", 21, "between 0 and 20 seconds"),
        ("maxMessageSizeBytes", 512, "between 1024 and 262144 bytes"),
    ],
)
def test_queue_limits(key, value, words):
    text = _resource("q", f"type: sqs-queue\nproperties:\n  {key}: {value}\n")
    d = _only(text)
    assert d.code == "invalid-value" and d.dotted_path == f"resources.q.properties.{key}"
    assert words in d.message and str(value) in d.message
    assert d.span.line == _line(text, key)


def test_queue_limits_accept_their_bounds():
    text = _resource(
        "q",
        """
        type: sqs-queue
        properties:
          visibilityTimeoutSeconds: 43200
          messageRetentionPeriodSeconds: 60
          delayMessagesSecond: 900
          longPollingSeconds: 0
          maxMessageSizeBytes: 1024
        """,
    )
    assert analysis_errors(text) == []


def test_max_receive_count_range():
    text = _resource(
        "q",
        "type: sqs-queue\nproperties:\n  redrivePolicy:\n    targetSqsQueueName: dlq\n    maxReceiveCount: 0\n",
        "dlq:\n  type: sqs-queue\n",
    )
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.redrivePolicy.maxReceiveCount" and "between 1 and 1000" in d.message


# --- rules across keys: messaging ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["contentBasedDeduplication", "fifoHighThroughput"])
def test_fifo_only_queue_options(key):
    text = _resource("q", f"type: sqs-queue\nproperties:\n  {key}: true\n")
    d = _only(text)
    assert d.dotted_path == f"resources.q.properties.{key}" and "fifoEnabled: true" in d.message
    assert d.span.line == _line(text, key)
    assert analysis_errors(text.replace("properties:\n", "properties:\n      fifoEnabled: true\n")) == []
    assert analysis_errors(text.replace(": true", ": false")) == []  # switching it off explicitly is harmless


def test_fifo_only_topic_option():
    text = _resource("t", "type: sns-topic\nproperties:\n  contentBasedDeduplication: true\n")
    d = _only(text)
    assert d.dotted_path == "resources.t.properties.contentBasedDeduplication" and "FIFO topics" in d.message


def test_redrive_policy_takes_exactly_one_target():
    text = _resource(
        "q",
        """
        type: sqs-queue
        properties:
          redrivePolicy:
            targetSqsQueueName: dlq
            targetSqsQueueArn: arn:aws:sqs:eu-west-1:123456789012:dlq
            maxReceiveCount: 3
        """,
        "dlq:\n  type: sqs-queue\n",
    )
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.redrivePolicy.targetSqsQueueArn" and "not both" in d.message
    text = _resource("q", "type: sqs-queue\nproperties:\n  redrivePolicy:\n    maxReceiveCount: 3\n")
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.redrivePolicy" and "targetSqsQueueName" in d.message


def test_event_subscription_listens_to_exactly_one_bus():
    text = _queue_event("eventBusName: bus\nuseDefaultBus: true\neventPattern: {source: [shop]}\n")
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.events[0].properties.useDefaultBus"
    assert "exactly one bus" in d.message
    text = _queue_event("useDefaultBus: false\neventPattern: {source: [shop]}\n")
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.events[0].properties" and "eventBusName" in d.message


def test_event_subscription_shapes_the_payload_one_way():
    text = _queue_event("eventBusName: bus\neventPattern: {source: [shop]}\ninput: {fixed: 1}\ninputPath: $.detail\n")
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.events[0].properties.inputPath" and "'input'" in d.message


def test_delivery_failure_queue_takes_exactly_one_of_name_and_arn():
    text = _queue_event(
        """
        eventBusName: bus
        eventPattern: {source: [shop]}
        onDeliveryFailure:
          sqsQueueName: q
          sqsQueueArn: arn:aws:sqs:eu-west-1:123456789012:failed
        """
    )
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.events[0].properties.onDeliveryFailure.sqsQueueArn"


def test_message_group_follows_the_queue_kind():
    standard = _queue_event("eventBusName: bus\nmessageGroupId: g\neventPattern: {source: [shop]}\n")
    d = _only(standard)
    assert d.dotted_path == "resources.q.properties.events[0].properties.messageGroupId"
    assert d.span.line == _line(standard, "messageGroupId")
    fifo = _queue_event(
        "eventBusName: bus\neventPattern: {source: [shop]}\n", "fifoEnabled: true\ncontentBasedDeduplication: true\n"
    )
    d = _only(fifo)
    assert d.code == "missing-property" and d.dotted_path == "resources.q.properties.events[0].properties.messageGroupId"
    assert "required when the queue is FIFO" in d.message


def test_event_bus_into_fifo_queue_needs_content_based_deduplication():
    text = _queue_event("eventBusName: bus\nmessageGroupId: g\neventPattern: {source: [shop]}\n", "fifoEnabled: true\n")
    d = _only(text)
    assert "contentBasedDeduplication: true" in d.message and "add it" in d.message
    assert d.span.line == _line(text, "fifoEnabled")  # where the missing key belongs
    text = _queue_event(
        "eventBusName: bus\nmessageGroupId: g\neventPattern: {source: [shop]}\n",
        "fifoEnabled: true\ncontentBasedDeduplication: false\n",
    )
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.contentBasedDeduplication"
    assert d.span.line == _line(text, "contentBasedDeduplication")


def test_queue_policy_takes_only_queue_actions():
    text = _resource(
        "q",
        """
        type: sqs-queue
        properties:
          policyStatements:
            - Effect: Allow
              Action: ['sqs:SendMessage', 's3:GetObject']
              Principal: '*'
        """,
    )
    d = _only(text)
    assert d.dotted_path == "resources.q.properties.policyStatements[0].Action[1]" and "sqs:" in d.message


def test_partner_event_source_name_shape():
    text = _resource("bus", "type: event-bus\nproperties:\n  eventSourceName: my-saas-events\n")
    d = _only(text)
    assert d.dotted_path == "resources.bus.properties.eventSourceName" and "aws.partner/" in d.message
    ok = text.replace("my-saas-events", "aws.partner/saas.example.com/1234/orders")
    assert analysis_errors(ok) == []


# --- rules across keys: storage ----------------------------------------------------------------------------


def test_old_version_rules_need_versioning():
    text = _resource(
        "files",
        """
        type: bucket
        properties:
          lifecycleRules:
            - type: expiration
              properties: {daysAfterUpload: 30}
            - type: non-current-version-expiration
              properties: {daysAfterVersioned: 30}
        """,
    )
    d = _only(text)
    assert d.dotted_path == "resources.files.properties.lifecycleRules[1].type" and "versioning: true" in d.message
    assert d.span.line == _line(text, "non-current-version-expiration")
    assert analysis_errors(text.replace("properties:\n", "properties:\n      versioning: true\n", 1)) == []


def test_unfinished_uploads_cannot_be_selected_by_tag():
    text = _resource(
        "files",
        """
        type: bucket
        properties:
          lifecycleRules:
            - type: abort-incomplete-multipart-upload
              properties:
                daysAfterInitiation: 2
                tags:
                  - {key: kind, value: upload}
        """,
    )
    d = _only(text)
    assert d.dotted_path == "resources.files.properties.lifecycleRules[0].properties.tags"


@pytest.mark.parametrize("rule,key", [("class-transition", "daysAfterUpload"),
                                      ("non-current-version-class-transition", "daysAfterVersioned")])
def test_infrequent_access_classes_need_thirty_days(rule, key):
    text = _resource(
        "files",
        f"""
        type: bucket
        properties:
          versioning: true
          lifecycleRules:
            - type: {rule}
              properties:
                {key}: 10
                storageClass: ONEZONE_IA
        """,
    )
    d = _only(text)
    assert d.dotted_path == f"resources.files.properties.lifecycleRules[0].properties.{key}"
    assert "30 days" in d.message
    assert analysis_errors(text.replace("ONEZONE_IA", "GLACIER")) == []


def test_expiration_needs_at_least_one_day():
    text = _resource(
        "files", "type: bucket\nproperties:\n  lifecycleRules:\n    - type: expiration\n      properties: {daysAfterUpload: 0}\n"
    )
    d = _only(text)
    assert d.code == "invalid-value" and d.dotted_path.endswith("lifecycleRules[0].properties.daysAfterUpload")


def test_wrong_bucket_cors_method_and_accessibility_mode():
    text = _resource(
        "files",
        """
        type: bucket
        properties:
          accessibility: {accessibilityMode: public}
          cors:
            enabled: true
            corsRules:
              - allowedMethods: [GET, FETCH]
        """,
    )
    paths = {d.dotted_path: d.code for d in analysis_errors(text)}
    assert paths == {
        "resources.files.properties.accessibility.accessibilityMode": "invalid-value",
        "resources.files.properties.cors.corsRules[0].allowedMethods[1]": "invalid-value",
    }


def test_sort_key_must_differ_from_partition_key():
    text = _resource(
        "table",
        "type: dynamo-db-table\nproperties:\n  primaryKey:\n    partitionKey: {name: id, type: string}\n"
        "    sortKey: {name: id, type: string}\n",
    )
    d = _only(text)
    assert d.dotted_path == "resources.table.properties.primaryKey.sortKey.name"


def test_key_attribute_keeps_one_type_across_indexes():
    text = _resource(
        "table",
        """
        type: dynamo-db-table
        properties:
          primaryKey:
            partitionKey: {name: pk, type: string}
            sortKey: {name: createdAt, type: string}
          secondaryIndexes:
            - name: byStatus
              partitionKey: {name: status, type: string}
              sortKey: {name: createdAt, type: number}
        """,
    )
    d = _only(text)
    assert d.dotted_path == "resources.table.properties.secondaryIndexes[0].sortKey.type"
    assert "primaryKey.sortKey" in d.message


def test_index_names_are_unique_and_well_formed():
    text = _resource(
        "table",
        """
        type: dynamo-db-table
        properties:
          primaryKey:
            partitionKey: {name: pk, type: string}
          secondaryIndexes:
            - name: byStatus
              partitionKey: {name: status, type: string}
            - name: byStatus
              partitionKey: {name: owner, type: string}
            - name: by owner
              partitionKey: {name: owner, type: string}
        """,
    )
    paths = [d.dotted_path for d in analysis_errors(text)]
    assert paths == [
        "resources.table.properties.secondaryIndexes[1].name",
        "resources.table.properties.secondaryIndexes[2].name",
    ]


def test_provisioned_throughput_scaling_limits():
    text = _resource(
        "table",
        """
        type: dynamo-db-table
        properties:
          primaryKey:
            partitionKey: {name: pk, type: string}
          provisionedThroughput:
            readUnits: 0
            writeUnits: 5
            readScaling: {minUnits: 10, maxUnits: 5, keepUtilizationUnder: 70}
            writeScaling: {minUnits: 1, maxUnits: 5, keepUtilizationUnder: 95}
        """,
    )
    paths = {d.dotted_path.removeprefix("resources.table.properties.provisionedThroughput.") for d in analysis_errors(text)}
    assert paths == {"readUnits", "readScaling.maxUnits", "writeScaling.keepUtilizationUnder"}


def test_provisioned_efs_throughput_goes_with_provisioned_mode():
    missing = _resource("disk", "type: efs-filesystem\nproperties:\n  throughputMode: provisioned\n")
    d = _only(missing)
    assert d.code == "missing-property" and d.dotted_path == "resources.disk.properties.provisionedThroughputInMibps"
    assert "throughputMode: provisioned" in d.message
    extra = _resource("disk", "type: efs-filesystem\nproperties:\n  provisionedThroughputInMibps: 100\n")
    d = _only(extra)
    assert d.dotted_path == "resources.disk.properties.provisionedThroughputInMibps" and "'elastic'" in d.message


# --- references ----------------------------------------------------------------------------------------


def test_redrive_target_must_exist():
    text = _resource(
        "orders",
        "type: sqs-queue\nproperties:\n  redrivePolicy:\n    targetSqsQueueName: ordersDql\n    maxReceiveCount: 3\n",
        "ordersDlq:\n  type: sqs-queue\n",
    )
    d = _only(text)
    assert d.code == "unknown-reference" and "Did you mean 'ordersDlq'?" in d.message
    assert d.span.line == _line(text, "targetSqsQueueName")
    assert text.splitlines()[d.span.line][d.span.col:d.span.end_col] == "ordersDql"


def test_redrive_target_must_be_a_queue():
    text = _resource(
        "orders",
        "type: sqs-queue\nproperties:\n  redrivePolicy:\n    targetSqsQueueName: files\n    maxReceiveCount: 3\n",
        "files:\n  type: bucket\n",
    )
    d = _only(text)
    assert d.code == "wrong-reference-type" and "'files' is a bucket" in d.message


def test_event_bus_and_failure_queue_names_are_references():
    text = _queue_event("eventBusName: buss\neventPattern: {source: [shop]}\nonDeliveryFailure: {sqsQueueName: failed}\n")
    errs = [d for d in analysis_errors(text) if d.code == "unknown-reference"]
    assert [d.dotted_path.rsplit(".", 1)[-1] for d in errs] == ["eventBusName", "sqsQueueName"]
    assert "Did you mean 'bus'?" in errs[0].message
    a = analyze(text.replace("buss", "bus"))
    refs = [r.name for r in a.symbols.references_to(a.symbols.resources["bus"])]
    assert refs == ["bus"]


def test_reference_errors_still_show_next_to_other_mistakes():
    text = _queue_event(
        "eventBusName: bus\neventPattern: {source: [shop]}\n",
        "fifoEnabled: true\nvisibilityTimeoutSeconds: 99999\nredrivePolicy: {targetSqsQueueName: dlqq, maxReceiveCount: 3}\n",
    )
    codes = sorted((d.code, d.dotted_path.removeprefix("resources.q.properties.")) for d in analysis_errors(text))
    assert ("unknown-reference", "redrivePolicy.targetSqsQueueName") in codes
    assert ("invalid-value", "visibilityTimeoutSeconds") in codes
