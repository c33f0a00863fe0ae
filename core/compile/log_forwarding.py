"""Log forwarding: CloudWatch Logs → Kinesis Data Firehose → an HTTP endpoint, Datadog or Highlight.

Registered as the ``log-forwarding`` hooks (``http-endpoint``, ``datadog``, ``highlight``); the hook
receives ``(ctx, workload, container, log_group)`` where only ``workload.name`` and, on
``container``, ``name``, ``id_part``, ``path`` and ``logging.logForwarding`` are read, so anything
with a log group (a function, a database log) can use it with a small stand-in object.

What one forwarding config of one resource gets (shared by all its containers that forward the
same way; a second, different config of the same type in one resource gets the container's name in
its ids):

- ``<Name><Type>LogDelivery``: a Firehose delivery stream (direct put, encrypted with an AWS-owned
  key) with an HTTP endpoint destination: the endpoint URL (Datadog: its Firehose intake for the
  chosen site, US1 by default; Highlight: its intake, the project id sent as the
  ``x-highlight-project`` attribute), the access key (see below), retries, and a backup of every
  batch that could not be delivered in the stack's ``LogForwardingBackupBucket`` under
  ``<name>/<type>/``;
- ``<Name><Type>LogDeliveryRole``: the role Firehose uses, which may only write that prefix of
  the backup bucket (assumable by Firehose for this account only);
- ``<Name><Type>LogSubscriptionRole``: the role CloudWatch Logs uses, which may only put records
  into that one delivery stream;
- ``<Name><Container>LogForwardingFilter``: one ``AWS::Logs::SubscriptionFilter`` per log group,
  sending every line to the stream.

Access keys never enter the template as text: ``$Secret(...)`` (or ``$SsmParam``) becomes a dynamic
reference CloudFormation resolves at deploy time. A key written in plain text is passed as a
hidden (NoEcho) parameter the deploy step fills from the config (listed in ``ctx.artifacts``,
the same way database passwords are), with a warning.

The backup bucket is kept when the stack is deleted or the bucket replaced (it can hold log
batches that never reached their destination, and CloudFormation cannot delete a bucket that is
not empty); its objects expire after 90 days, the default retention of container logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlparse

from troposphere import GetAtt, Ref, Sub, firehose, iam, logs, s3

from core.compile.context import SHARED
from core.compile.directives import is_intrinsic, sub_of, text
from core.compile.naming import pascal
from core.compile.policies import POLICY_VERSION, allow_statement, role_policy
from core.compile.registry import hook

BACKUP_BUCKET = "LogForwardingBackupBucket"
BACKUP_EXPIRATION_DAYS = 90
MAX_RETRY_SECONDS = 7200  # what Firehose accepts for RetryOptions.DurationInSeconds

# Datadog site → its Kinesis Data Firehose intake (https://docs.datadoghq.com/getting_started/site/)
DATADOG_SITES = {
    "datadoghq.com": "https://aws-kinesis-http-intake.logs.datadoghq.com/v1/input",  # US1
    "us3.datadoghq.com": "https://aws-kinesis-http-intake.logs.us3.datadoghq.com/v1/input",
    "us5.datadoghq.com": "https://aws-kinesis-http-intake.logs.us5.datadoghq.com/v1/input",
    "datadoghq.eu": "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input",
    "ap1.datadoghq.com": "https://aws-kinesis-http-intake.logs.ap1.datadoghq.com/v1/input",
    "ddog-gov.com": "https://aws-kinesis-http-intake.logs.ddog-gov.com/v1/input",  # US1-FED
}
DATADOG_DEFAULT_SITE = "datadoghq.com"
DATADOG_SITE_ALIASES = {"us1": "datadoghq.com", "us3": "us3.datadoghq.com", "us5": "us5.datadoghq.com",
                        "eu": "datadoghq.eu", "eu1": "datadoghq.eu", "ap1": "ap1.datadoghq.com",
                        "us1-fed": "ddog-gov.com", "gov": "ddog-gov.com"}
HIGHLIGHT_URL = "https://pub.highlight.io/v1/logs/firehose"
HIGHLIGHT_PROJECT_ATTRIBUTE = "x-highlight-project"

# per type: endpoint name shown in the Firehose console, request encoding, buffering (seconds, MiB)
_SETTINGS = {
    "http-endpoint": {"name": None, "encoding": None, "buffer": (60, 1)},
    "datadog": {"name": "Datadog", "encoding": "GZIP", "buffer": (60, 4)},  # Datadog's recommended settings
    "highlight": {"name": "Highlight", "encoding": "NONE", "buffer": (60, 1)},
}
DEFAULT_RETRY_SECONDS = 300

# what Firehose needs on its backup bucket
_BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
_OBJECT_ACTIONS = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]


@dataclass
class _Stream:
    stream: firehose.DeliveryStream
    logs_role: iam.Role


def _state(ctx) -> dict:
    return ctx.extra.setdefault("log_forwarding", {"streams": {}, "bases": {}})


def _config_key(forwarding) -> str:
    return json.dumps(forwarding.model_dump(), sort_keys=True, default=str)


def forward_logs(ctx, workload, container, log_group) -> None:
    """The ``log-forwarding`` hook: subscribe ``log_group`` (a LogGroup or its logical id) to the delivery stream
    of the container's forwarding config, creating the stream on first use."""
    forwarding = container.logging.logForwarding
    owner = workload.name
    where = f"{container.path}.logging.logForwarding" if container.path else owner
    stream = _stream_for(ctx, owner, forwarding, where, container)
    if stream is None:
        return
    group = log_group if isinstance(log_group, str) else log_group.title
    ctx.add(owner, logs.SubscriptionFilter(
        ctx.id(owner, container.id_part, "LogForwardingFilter"),
        LogGroupName=Ref(group), FilterPattern="",
        DestinationArn=GetAtt(stream.stream, "Arn"), RoleArn=GetAtt(stream.logs_role, "Arn"),
    ))


for _kind in _SETTINGS:
    hook("log-forwarding", _kind)(forward_logs)


def _stream_for(ctx, owner: str, forwarding, where: str, container) -> _Stream | None:
    state = _state(ctx)
    key = (owner, _config_key(forwarding))
    if key in state["streams"]:
        return state["streams"][key]
    kind = forwarding.type
    base = pascal(kind)
    used = state["bases"].setdefault(owner, set())
    if base in used:  # another config of the same type in this resource: name it after this container
        base = pascal(container.id_part or container.name) + base
    used.add(base)
    destination = _destination(ctx, owner, base, kind, forwarding.properties, f"{where}.properties")
    if destination is None:
        state["streams"][key] = None
        return None
    stream = _build(ctx, owner, base, kind, destination)
    state["streams"][key] = stream
    return stream


# --- destination per type ----------------------------------------------------------------------------


def _destination(ctx, owner: str, base: str, kind: str, p, where: str) -> dict | None:
    """EndpointConfiguration / RequestConfiguration pieces of one forwarding config (None after a problem)."""
    settings = _SETTINGS[kind]
    attributes: list = []
    key = None
    retry = DEFAULT_RETRY_SECONDS
    encoding = settings["encoding"]
    if kind == "http-endpoint":
        url = _url(ctx, p.endpointUrl, f"{where}.endpointUrl")
        if p.accessKey is not None:
            key = _access_key(ctx, owner, base, p.accessKey, f"{where}.accessKey", "access key")
        encoding = "GZIP" if ctx.static(p.gzipEncodingEnabled, f"{where}.gzipEncodingEnabled", False) else "NONE"
        for name, value in (p.parameters or {}).items():
            attributes.append(firehose.HttpEndpointCommonAttribute(
                AttributeName=str(name), AttributeValue=ctx.text(value, f"{where}.parameters.{name}")))
        retry = int(ctx.static(p.retryDuration, f"{where}.retryDuration", DEFAULT_RETRY_SECONDS))
        if not 0 <= retry <= MAX_RETRY_SECONDS:
            ctx.invalid(f"{where}.retryDuration", f"Firehose retries for 0 to {MAX_RETRY_SECONDS} seconds; {retry} is"
                                                  " out of range")
            retry = DEFAULT_RETRY_SECONDS
    elif kind == "datadog":
        url = _datadog_url(ctx, p.endpointUrl, f"{where}.endpointUrl")
        key = _access_key(ctx, owner, base, p.apiKey, f"{where}.apiKey", "Datadog API key")
    else:  # highlight
        url = _url(ctx, p.endpointUrl, f"{where}.endpointUrl")
        attributes.append(firehose.HttpEndpointCommonAttribute(
            AttributeName=HIGHLIGHT_PROJECT_ATTRIBUTE, AttributeValue=ctx.text(p.projectId, f"{where}.projectId")))
    if url is None or key is False:
        return None
    endpoint = firehose.HttpEndpointConfiguration(Url=url, Name=settings["name"] or _host(url) or "HTTP endpoint")
    if key is not None:
        endpoint.AccessKey = key
    request = firehose.HttpEndpointRequestConfiguration(ContentEncoding=encoding)
    if attributes:
        request.CommonAttributes = attributes
    return {"endpoint": endpoint, "request": request, "retry": retry, "buffer": settings["buffer"]}


def _url(ctx, value, where: str):
    url = ctx.resolve(value, where, None)
    if url is None or is_intrinsic(url):
        return url
    url = text(url)
    if not url.startswith("https://") or not urlparse(url).netloc:
        ctx.invalid(where, f"'{url}' is not an HTTPS address; Firehose delivers only to https:// endpoints")
        return None
    return url


def _datadog_url(ctx, value, where: str):
    """The intake of a Datadog site: a full https:// address, a site (`datadoghq.eu`, `us5.datadoghq.com`) or its
    short name (`eu`, `us5`); US1 when not given."""
    if value is None:
        return DATADOG_SITES[DATADOG_DEFAULT_SITE]
    resolved = ctx.resolve(value, where, None)
    if resolved is None or is_intrinsic(resolved):
        return resolved
    site = text(resolved).strip().lower().removeprefix("https://").rstrip("/")
    site = DATADOG_SITE_ALIASES.get(site, site).removeprefix("app.")
    if site in DATADOG_SITES:
        return DATADOG_SITES[site]
    return _url(ctx, value, where)


def _host(url) -> str | None:
    if is_intrinsic(url):
        return None
    return urlparse(str(url)).netloc[:100] or None


def _access_key(ctx, owner: str, base: str, value, where: str, what: str):
    """The key as a dynamic reference (or an intrinsic); a plain key becomes a NoEcho parameter. False after a
    problem."""
    resolved = ctx.resolve(value, where, None)
    if resolved is None:
        return False
    if is_intrinsic(resolved) or str(resolved).startswith("{{resolve:"):
        return resolved
    param = ctx.parameter(
        owner, ctx.id(owner, base, "LogDeliveryKey"), Type="String", NoEcho=True, MinLength=1,
        Description=f"The {what} logs of {owner} are forwarded with, taken from the config by the deploy step"
                    " (kept out of the template)",
    )
    ctx.artifacts[param.title] = {"kind": "secret-value", "resource": owner, "path": where, "parameters": [param.title]}
    ctx.warn(where, f"the {what} is written in the config as plain text; stp keeps it out of the template (a hidden"
                    " parameter), but store it in a secret and write $Secret('<name>') instead")
    return Ref(param)


# --- resources -----------------------------------------------------------------------------------------


def _backup_bucket(ctx):
    existing = ctx.template.resources.get(BACKUP_BUCKET)
    if existing is not None:
        return existing
    return ctx.add(SHARED, s3.Bucket(
        BACKUP_BUCKET,
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True),
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[
            s3.ServerSideEncryptionRule(ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"))
        ]),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="ExpireUndeliveredLogs", Status="Enabled", ExpirationInDays=BACKUP_EXPIRATION_DAYS,
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
        )]),
        DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
    ))


def _firehose_trust() -> dict:
    """Firehose may assume the role only for this account (it passes the account id as the external id)."""
    return {"Version": POLICY_VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": Ref("AWS::AccountId")}},
    }]}


def _logs_trust() -> dict:
    """CloudWatch Logs may assume the role only for log groups of this account and region."""
    return {"Version": POLICY_VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringLike": {"aws:SourceArn": Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*")}},
    }]}


def _build(ctx, owner: str, base: str, kind: str, d: dict) -> _Stream:
    bucket = _backup_bucket(ctx)
    bucket_arn = GetAtt(bucket, "Arn")
    prefix = f"{owner}/{kind}/"
    delivery_role = ctx.add(owner, iam.Role(
        ctx.id(owner, base, "LogDeliveryRole"), AssumeRolePolicyDocument=_firehose_trust(),
        Policies=[role_policy(f"{ctx.stack_name}-{owner}-{kind}-log-delivery", [
            allow_statement(_BUCKET_ACTIONS, [bucket_arn]),
            allow_statement(_OBJECT_ACTIONS, [sub_of([bucket_arn, f"/{prefix}*"])]),
        ])],
    ))
    interval, size = d["buffer"]
    stream = ctx.add(owner, firehose.DeliveryStream(
        ctx.id(owner, base, "LogDelivery"),
        DeliveryStreamType="DirectPut",
        DeliveryStreamEncryptionConfigurationInput=firehose.DeliveryStreamEncryptionConfigurationInput(KeyType="AWS_OWNED_CMK"),
        HttpEndpointDestinationConfiguration=firehose.HttpEndpointDestinationConfiguration(
            EndpointConfiguration=d["endpoint"],
            RequestConfiguration=d["request"],
            BufferingHints=firehose.BufferingHints(IntervalInSeconds=interval, SizeInMBs=size),
            RetryOptions=firehose.RetryOptions(DurationInSeconds=d["retry"]),
            RoleARN=GetAtt(delivery_role, "Arn"),
            S3BackupMode="FailedDataOnly",
            S3Configuration=firehose.S3DestinationConfiguration(
                BucketARN=bucket_arn, RoleARN=GetAtt(delivery_role, "Arn"), Prefix=prefix,
                CompressionFormat="UNCOMPRESSED",
            ),
        ),
    ))
    logs_role = ctx.add(owner, iam.Role(
        ctx.id(owner, base, "LogSubscriptionRole"), AssumeRolePolicyDocument=_logs_trust(),
        Policies=[role_policy(f"{ctx.stack_name}-{owner}-{kind}-log-subscription", [
            allow_statement(["firehose:PutRecord", "firehose:PutRecordBatch"], [GetAtt(stream, "Arn")]),
        ])],
    ))
    return _Stream(stream, logs_role)
