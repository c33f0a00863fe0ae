"""Log forwarding compiled: CloudWatch Logs → Kinesis Data Firehose → HTTP endpoint / Datadog / Highlight.

What a user checks in the template: the endpoint URL, the key as a dynamic reference (never the
secret itself), one subscription filter per log group, one delivery stream per resource and
forwarding config, roles that can do only their one job, and cfn-lint clean.
"""

from __future__ import annotations

import json

import pytest

from core.compile import CompileError
from core.compile.log_forwarding import BACKUP_BUCKET, DATADOG_SITES, HIGHLIGHT_URL
from tests.core.compile_support import compile_yaml, lint_errors, of_type, props

STREAM = "AWS::KinesisFirehose::DeliveryStream"
FILTER = "AWS::Logs::SubscriptionFilter"


def _workload(forwarding: str, *, side_forwarding: str | None = None) -> str:
    """A multi-container workload whose `web` container forwards with ``forwarding`` (YAML, indented for the
    `logForwarding:` key) and whose `side` container forwards with ``side_forwarding`` (the same by default)."""
    side = forwarding if side_forwarding is None else side_forwarding
    return f"""
resources:
  api:
    type: multi-container-workload
    properties:
      resources: {{cpu: 0.5, memory: 1024}}
      containers:
        - name: web
          packaging: {{type: prebuilt-image, properties: {{image: 'nginx:1.27'}}}}
          logging:
            retentionDays: 14
            logForwarding:
{forwarding}
        - name: side
          packaging: {{type: prebuilt-image, properties: {{image: 'busybox:1.36'}}}}
          essential: false
          logging:
            logForwarding:
{side}
"""


DATADOG = """\
              type: datadog
              properties:
                apiKey: $Secret('datadog.apiKey')
"""
HIGHLIGHT = """\
              type: highlight
              properties:
                projectId: abc123
"""
HTTP = """\
              type: http-endpoint
              properties:
                endpointUrl: https://logs.example.com/firehose
                accessKey: $Secret('log-sink')
                gzipEncodingEnabled: true
                retryDuration: 900
                parameters:
                  env: $Stage()
                  team: core
"""


def _only(template: dict, cfn_type: str) -> tuple[str, dict]:
    found = of_type(template, cfn_type)
    assert len(found) == 1, sorted(found)
    lid, res = next(iter(found.items()))
    return lid, res["Properties"]


def _destination(template: dict) -> dict:
    return _only(template, STREAM)[1]["HttpEndpointDestinationConfiguration"]


def _statements(template: dict, role: str) -> list:
    return [s for p in props(template, role)["Policies"] for s in p["PolicyDocument"]["Statement"]]


# --- per type -------------------------------------------------------------------------------------


def test_datadog_stream_uses_the_us1_intake_and_the_key_as_a_dynamic_reference():
    result = compile_yaml(_workload(DATADOG))
    t = result.template
    d = _destination(t)
    assert d["EndpointConfiguration"]["Url"] == DATADOG_SITES["datadoghq.com"]
    assert d["EndpointConfiguration"]["AccessKey"] == "{{resolve:secretsmanager:datadog:SecretString:apiKey}}"
    assert d["RequestConfiguration"]["ContentEncoding"] == "GZIP"
    assert d["S3BackupMode"] == "FailedDataOnly"
    assert "Parameters" not in t and result.warnings == []
    assert lint_errors(t) == []


@pytest.mark.parametrize("site, host", [
    ("eu", "datadoghq.eu"), ("datadoghq.eu", "datadoghq.eu"), ("us5.datadoghq.com", "us5.datadoghq.com"),
    ("https://app.datadoghq.eu", "datadoghq.eu"),
])
def test_datadog_site_picks_its_intake(site, host):
    fwd = DATADOG + f"                endpointUrl: '{site}'\n"
    assert _destination(compile_yaml(_workload(fwd)).template)["EndpointConfiguration"]["Url"] == DATADOG_SITES[host]


def test_datadog_full_intake_address_is_kept():
    url = "https://aws-kinesis-http-intake.logs.us3.datadoghq.com/v1/input"
    fwd = DATADOG + f"                endpointUrl: {url}\n"
    assert _destination(compile_yaml(_workload(fwd)).template)["EndpointConfiguration"]["Url"] == url


def test_highlight_sends_the_project_id_as_an_attribute_and_no_key():
    t = compile_yaml(_workload(HIGHLIGHT)).template
    d = _destination(t)
    assert d["EndpointConfiguration"]["Url"] == HIGHLIGHT_URL
    assert "AccessKey" not in d["EndpointConfiguration"]
    assert d["RequestConfiguration"]["CommonAttributes"] == [
        {"AttributeName": "x-highlight-project", "AttributeValue": "abc123"}
    ]
    assert lint_errors(t) == []


def test_http_endpoint_settings_reach_the_stream():
    t = compile_yaml(_workload(HTTP), stage="prod").template
    d = _destination(t)
    assert d["EndpointConfiguration"] == {
        "Url": "https://logs.example.com/firehose", "Name": "logs.example.com",
        "AccessKey": "{{resolve:secretsmanager:log-sink}}",
    }
    assert d["RequestConfiguration"] == {"ContentEncoding": "GZIP", "CommonAttributes": [
        {"AttributeName": "env", "AttributeValue": "prod"}, {"AttributeName": "team", "AttributeValue": "core"},
    ]}
    assert d["RetryOptions"] == {"DurationInSeconds": 900}
    assert lint_errors(t) == []


def test_plain_access_key_becomes_a_hidden_parameter_with_a_warning():
    fwd = HTTP.replace("$Secret('log-sink')", "s3cr3t-token")
    result = compile_yaml(_workload(fwd))
    t = result.template
    assert "s3cr3t-token" not in json.dumps(t)
    key = _destination(t)["EndpointConfiguration"]["AccessKey"]
    param = key["Ref"]
    assert t["Parameters"][param]["NoEcho"] is True
    path = "resources.api.properties.containers[0].logging.logForwarding.properties.accessKey"
    assert result.artifacts[param] == {"kind": "secret-value", "resource": "api", "path": path, "parameters": [param]}
    assert [w.where for w in result.warnings] == [path]
    assert "$Secret" in result.warnings[0].message
    assert lint_errors(t) == []


def test_plain_datadog_key_is_hidden_too():
    result = compile_yaml(_workload(DATADOG.replace("$Secret('datadog.apiKey')", "0123456789abcdef")))
    assert "0123456789abcdef" not in json.dumps(result.template)
    assert len(result.warnings) == 1 and len(result.artifacts) == 1


def test_a_plain_http_address_is_refused():
    with pytest.raises(CompileError) as err:
        compile_yaml(_workload(HTTP.replace("https://logs.example.com", "http://logs.example.com")))
    assert any("https://" in p.message and p.where.endswith("endpointUrl") for p in err.value.problems)


# --- structure: sharing, filters, roles -------------------------------------------------------------


def test_containers_with_the_same_config_share_one_stream_and_each_log_group_gets_a_filter():
    t = compile_yaml(_workload(DATADOG)).template
    stream, _ = _only(t, STREAM)
    filters = of_type(t, FILTER)
    groups = sorted(f["Properties"]["LogGroupName"]["Ref"] for f in filters.values())
    assert groups == ["ApiSideLogGroup", "ApiWebLogGroup"]
    for f in filters.values():
        assert f["Properties"]["DestinationArn"] == {"Fn::GetAtt": [stream, "Arn"]}
        assert f["Properties"]["FilterPattern"] == ""
    assert len(of_type(t, "AWS::S3::Bucket")) == 1


def test_different_configs_in_one_resource_get_their_own_streams():
    other = DATADOG.replace("$Secret('datadog.apiKey')", "$Secret('datadog.other')")
    t = compile_yaml(_workload(DATADOG, side_forwarding=other)).template
    streams = of_type(t, STREAM)
    assert sorted(streams) == ["ApiDatadogLogDelivery", "ApiSideDatadogLogDelivery"]
    targets = {f["Properties"]["LogGroupName"]["Ref"]: f["Properties"]["DestinationArn"]["Fn::GetAtt"][0]
               for f in of_type(t, FILTER).values()}
    assert targets == {"ApiWebLogGroup": "ApiDatadogLogDelivery", "ApiSideLogGroup": "ApiSideDatadogLogDelivery"}
    assert lint_errors(t) == []


def test_a_container_without_logs_gets_no_filter():
    # the side container (the only one whose `logging:` opens with `logForwarding:`) turns its logs off
    text = _workload(HIGHLIGHT).replace("          logging:\n            logForwarding:", "          logging:\n"
                                        "            disabled: true\n            logForwarding:", 1)
    t = compile_yaml(text).template
    assert "ApiSideLogGroup" not in t["Resources"]
    assert [f["Properties"]["LogGroupName"]["Ref"] for f in of_type(t, FILTER).values()] == ["ApiWebLogGroup"]


def test_roles_are_scoped_to_their_stream_and_backup_prefix():
    t = compile_yaml(_workload(DATADOG)).template
    stream, p = _only(t, STREAM)
    d = p["HttpEndpointDestinationConfiguration"]
    delivery_role = d["RoleARN"]["Fn::GetAtt"][0]
    assert d["S3Configuration"]["RoleARN"]["Fn::GetAtt"][0] == delivery_role
    assert d["S3Configuration"]["BucketARN"] == {"Fn::GetAtt": [BACKUP_BUCKET, "Arn"]}
    prefix = d["S3Configuration"]["Prefix"]
    assert prefix == "api/datadog/"

    trust = props(t, delivery_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust[0]["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust[0]["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}
    statements = _statements(t, delivery_role)
    resources = [r for s in statements for r in s["Resource"]]
    assert {"Fn::GetAtt": [BACKUP_BUCKET, "Arn"]} in resources
    assert {"Fn::Sub": f"${{{BACKUP_BUCKET}.Arn}}/{prefix}*"} in resources
    assert all("*" not in a for s in statements for a in s["Action"])

    logs_role = next(iter(of_type(t, FILTER).values()))["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    trust = props(t, logs_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust[0]["Principal"] == {"Service": "logs.amazonaws.com"}
    assert "aws:SourceArn" in trust[0]["Condition"]["StringLike"]
    assert _statements(t, logs_role) == [{"Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                                          "Resource": [{"Fn::GetAtt": [stream, "Arn"]}]}]


def test_backup_bucket_is_private_and_shared_by_every_resource():
    text = _workload(DATADOG) + """
  worker:
    type: worker-service
    properties:
      resources: {cpu: 0.25, memory: 512}
      packaging: {type: prebuilt-image, properties: {image: 'busybox:1.36'}}
      logging:
        logForwarding:
          type: highlight
          properties: {projectId: p1}
"""
    t = compile_yaml(text).template
    assert sorted(of_type(t, STREAM)) == ["ApiDatadogLogDelivery", "WorkerHighlightLogDelivery"]
    buckets = of_type(t, "AWS::S3::Bucket")
    assert list(buckets) == [BACKUP_BUCKET]
    b = buckets[BACKUP_BUCKET]
    assert b["DeletionPolicy"] == "Retain"
    assert all(b["Properties"]["PublicAccessBlockConfiguration"].values())
    assert b["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90
    assert t["Metadata"]["Stp"]["shared"]["logicalIds"].count(BACKUP_BUCKET) == 1
    assert lint_errors(t) == []


def test_one_container_service_forwards_its_log_group():
    t = compile_yaml("""
resources:
  worker:
    type: worker-service
    properties:
      resources: {cpu: 0.25, memory: 512}
      packaging: {type: prebuilt-image, properties: {image: 'busybox:1.36'}}
      logging:
        logForwarding:
          type: datadog
          properties: {apiKey: $Secret('dd')}
""").template
    (lid, f), = of_type(t, FILTER).items()
    assert lid == "WorkerLogForwardingFilter"
    assert f["Properties"]["LogGroupName"] == {"Ref": "WorkerLogGroup"}
    assert lint_errors(t) == []


def test_function_logs_are_forwarded():
    t = compile_yaml("""
resources:
  handler:
    type: function
    properties:
      packaging:
        type: stacktape-lambda-buildpack
        properties: {entryfilePath: ./src/handler.ts}
      logging:
        logForwarding:
          type: http-endpoint
          properties:
            endpointUrl: https://logs.example.com/in
            accessKey: $Secret('sink.key')
""").template
    (_, f), = of_type(t, FILTER).items()
    assert f["Properties"]["LogGroupName"] == {"Ref": "HandlerLogGroup"}
    assert _destination(t)["EndpointConfiguration"]["AccessKey"] == "{{resolve:secretsmanager:sink:SecretString:key}}"
    assert lint_errors(t) == []
