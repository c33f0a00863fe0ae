"""Storage: `bucket` (S3), `dynamo-db-table` (DynamoDB), `efs-filesystem` (EFS), and EFS volume mounts.

Data outlives a mistaken change: buckets, tables and file systems carry
``UpdateReplacePolicy: Retain`` (a replacement never destroys the old data)
and an explicit ``DeletionPolicy: Delete`` (deleting the stack removes them,
like every other resource of the stack). Names are left to CloudFormation.

- bucket: ACLs off (bucket owner enforced), public access blocked unless an
  accessibility mode opens reads (and writes) to everyone through the bucket
  policy; the policy also takes `accessPolicyStatements` and statements other
  modules add (``bucket_policy``);
- dynamo-db-table: on demand unless `provisionedThroughput`, whose read and
  write scaling drive the table and each global secondary index alike;
- efs-filesystem: encrypted, one mount target per availability zone (in the
  private subnets, reachable from the public ones too) behind its own security
  group, which admits NFS (2049) only from workloads that mount or connect to
  it. Mounts use TLS and IAM authorization with the task role.
"""

from __future__ import annotations

import re

from troposphere import GetAtt, Ref, Sub, Tags, ec2, ecs, efs, s3
from troposphere import applicationautoscaling as aas
from troposphere import dynamodb as ddb

from core.compile.directives import sub_of, text
from core.compile.messaging import resource_policy
from core.compile.policies import allow, config_statement, policy_document
from core.compile.registry import attribute_params, compiler, hook, params
from core.compile.vpc import network
from core.compile.workload_hooks import ParamAbsent

NFS_PORT = 2049
CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")  # what S3 accepts
PUBLIC_ACTIONS = {
    "public-read": ["s3:GetObject"],
    "public-read-write": ["s3:GetObject", "s3:PutObject"],
}
KEY_TYPES = {"string": "S", "number": "N", "binary": "B"}
MAX_GSI = 20
EFS_CLIENT_ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"]
_VOLUME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def _keep_data(resource):
    resource.DeletionPolicy = "Delete"
    resource.UpdateReplacePolicy = "Retain"
    return resource


def _model(ctx, name: str):
    entry = ctx.analysis.resources.get(name)
    return entry.model if entry is not None else None


# --- bucket --------------------------------------------------------------------------------------


def bucket_policy(ctx, bucket: str) -> list:
    """Statements of the policy of `bucket` ``bucket``; append before FINISH_ORDER (the CDN module adds its own)."""

    def build(statements):
        ctx.add(bucket, s3.BucketPolicy(
            ctx.id(bucket, "BucketPolicy"), Bucket=Ref(ctx.id(bucket, "Bucket")), PolicyDocument=policy_document(statements),
        ))

    return resource_policy(ctx, "bucket", bucket, build)


def objects_arn(bucket_arn):
    """``<bucket arn>/*``: every object of a bucket."""
    return sub_of([bucket_arn, "/*"])


@compiler("bucket")
def compile_bucket(ctx, name: str, model) -> None:
    p = model.properties
    where = f"resources.{name}.properties"
    bucket = _keep_data(s3.Bucket(
        ctx.id(name, "Bucket"),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
    ))
    arn = GetAtt(bucket, "Arn")
    mode = "private"
    statements: list = []
    if p is not None:
        if p.accessibility is not None:
            mode = ctx.static(p.accessibility.accessibilityMode, f"{where}.accessibility.accessibilityMode", "private")
            statements = _access_statements(ctx, p.accessibility, f"{where}.accessibility")
        _bucket_settings(ctx, name, bucket, p, where)
    public = mode in PUBLIC_ACTIONS
    bucket.PublicAccessBlockConfiguration = s3.PublicAccessBlockConfiguration(
        BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=not public, RestrictPublicBuckets=not public,
    )
    ctx.add(name, bucket)
    if public:
        bucket_policy(ctx, name).append({
            "Sid": "PublicRead" if mode == "public-read" else "PublicReadWrite",
            "Effect": "Allow", "Principal": "*", "Action": PUBLIC_ACTIONS[mode], "Resource": objects_arn(arn),
        })
    bucket_policy(ctx, name).extend(statements)
    ctx.output(name, "bucketName", ctx.id(name, "BucketName"), Ref(bucket), f"Name of bucket {name}")


def _bucket_settings(ctx, name: str, bucket, p, where: str) -> None:
    if p.versioning is not None:
        on = bool(ctx.static(p.versioning, f"{where}.versioning", False))
        # written false: suspend explicitly, so turning versioning off later really stops it
        bucket.VersioningConfiguration = s3.VersioningConfiguration(Status="Enabled" if on else "Suspended")
    if p.encryption is not None and ctx.static(p.encryption, f"{where}.encryption", False):
        bucket.BucketEncryption = s3.BucketEncryption(ServerSideEncryptionConfiguration=[
            s3.ServerSideEncryptionRule(ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"))
        ])
    if p.cors is not None and ctx.static(p.cors.enabled, f"{where}.cors.enabled", False):
        rules = _cors_rules(ctx, p.cors.corsRules, f"{where}.cors.corsRules")
        if rules:
            bucket.CorsConfiguration = s3.CorsConfiguration(CorsRules=rules)
    if p.lifecycleRules:
        bucket.LifecycleConfiguration = s3.LifecycleConfiguration(
            Rules=[_lifecycle_rule(ctx, rule, i, f"{where}.lifecycleRules[{i}]") for i, rule in enumerate(p.lifecycleRules)]
        )
    if ctx.static(p.enableEventBusNotifications, f"{where}.enableEventBusNotifications", False):
        bucket.NotificationConfiguration = s3.NotificationConfiguration(
            EventBridgeConfiguration=s3.EventBridgeConfiguration(EventBridgeEnabled=True)
        )
    if p.cdn is not None and ctx.static(p.cdn.enabled, f"{where}.cdn.enabled", False):
        ctx.unsupported(name, "cdn (CloudFront in front of the bucket) is not compiled yet")
    if p.directoryUpload is not None:
        ctx.unsupported(name, "directoryUpload (uploading a folder on every deploy) is not compiled yet")


def _access_statements(ctx, acc, where: str) -> list:
    out = []
    for i, st in enumerate(acc.accessPolicyStatements or ()):
        swhere = f"{where}.accessPolicyStatements[{i}]"
        if not st.Action:
            ctx.invalid(swhere, "the statement has no Action; list the S3 actions it allows or denies")
            continue
        out.append(config_statement(ctx, st, swhere))
    return out


def _cors_rules(ctx, rules, where: str) -> list:
    if not rules:  # enabled without rules: any origin, every method, any header
        return [s3.CorsRules(AllowedOrigins=["*"], AllowedMethods=list(CORS_METHODS), AllowedHeaders=["*"])]
    out = []
    for i, r in enumerate(rules):
        rwhere = f"{where}[{i}]"
        methods: list[str] = []
        for m in r.allowedMethods or ("*",):
            m = ctx.static(m, f"{rwhere}.allowedMethods")
            if m == "PATCH":
                ctx.invalid(f"{rwhere}.allowedMethods", "S3 does not accept PATCH in CORS rules; use GET, PUT, HEAD, POST"
                                                        " or DELETE (or '*')")
                continue
            for x in CORS_METHODS if m == "*" else (m,):
                if x not in methods:
                    methods.append(x)
        rule = s3.CorsRules(
            AllowedOrigins=[ctx.text(o, f"{rwhere}.allowedOrigins") for o in r.allowedOrigins or ("*",)],
            AllowedMethods=methods or list(CORS_METHODS),
            AllowedHeaders=[ctx.text(h, f"{rwhere}.allowedHeaders") for h in r.allowedHeaders or ("*",)],
        )
        if r.exposedResponseHeaders:
            rule.ExposedHeaders = [ctx.text(h, f"{rwhere}.exposedResponseHeaders") for h in r.exposedResponseHeaders]
        if r.maxAge is not None:
            rule.MaxAge = int(ctx.static(r.maxAge, f"{rwhere}.maxAge", 0))
        out.append(rule)
    return out


def _lifecycle_rule(ctx, rule, i: int, where: str):
    p = rule.properties
    days = lambda key: int(ctx.static(getattr(p, key), f"{where}.properties.{key}", 1))  # noqa: E731
    out = s3.LifecycleRule(Id=f"{rule.type}-{i + 1}", Status="Enabled")
    if p.prefix is not None:
        out.Prefix = ctx.text(p.prefix, f"{where}.properties.prefix")
    if getattr(p, "tags", None):
        out.TagFilters = [
            s3.TagFilter(Key=ctx.text(t.key, f"{where}.properties.tags"), Value=ctx.text(t.value, f"{where}.properties.tags"))
            for t in p.tags
        ]
    storage_class = lambda: ctx.static(p.storageClass, f"{where}.properties.storageClass", "GLACIER")  # noqa: E731
    if rule.type == "expiration":
        out.ExpirationInDays = days("daysAfterUpload")
    elif rule.type == "class-transition":
        out.Transitions = [s3.LifecycleRuleTransition(StorageClass=storage_class(), TransitionInDays=days("daysAfterUpload"))]
    elif rule.type == "non-current-version-expiration":
        out.NoncurrentVersionExpiration = s3.NoncurrentVersionExpiration(NoncurrentDays=days("daysAfterVersioned"))
    elif rule.type == "non-current-version-class-transition":
        out.NoncurrentVersionTransitions = [
            s3.NoncurrentVersionTransition(StorageClass=storage_class(), TransitionInDays=days("daysAfterVersioned"))
        ]
    else:  # abort-incomplete-multipart-upload
        out.AbortIncompleteMultipartUpload = s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=days("daysAfterInitiation"))
    return out


bucket_param = attribute_params("bucket", "Bucket", {"name": "Ref", "arn": "Arn"})


# --- dynamo-db-table -----------------------------------------------------------------------------


def _key_schema(ctx, pk, sk, where: str, attributes: dict) -> list:
    schema = []
    for key, kind, kwhere in ((pk, "HASH", f"{where}.partitionKey"), (sk, "RANGE", f"{where}.sortKey")):
        if key is None:
            continue
        attr = text(ctx.static(key.name, f"{kwhere}.name", ""))
        attributes.setdefault(attr, KEY_TYPES[ctx.static(key.type, f"{kwhere}.type", "string")])
        schema.append(ddb.KeySchema(AttributeName=attr, KeyType=kind))
    return schema


def table_has_stream(ctx, name: str) -> bool:
    model = _model(ctx, name)
    if model is None or model.properties.streamType is None:
        return False
    return bool(ctx.static(model.properties.streamType, f"resources.{name}.properties.streamType", None))


@compiler("dynamo-db-table")
def compile_dynamo_db_table(ctx, name: str, model) -> None:
    p = model.properties
    where = f"resources.{name}.properties"
    attributes: dict[str, str] = {}
    table = _keep_data(ddb.Table(
        ctx.id(name, "Table"),
        KeySchema=_key_schema(ctx, p.primaryKey.partitionKey, p.primaryKey.sortKey, f"{where}.primaryKey", attributes),
    ))
    pt = p.provisionedThroughput
    throughput = None
    if pt is None:
        table.BillingMode = "PAY_PER_REQUEST"
    else:
        table.BillingMode = "PROVISIONED"
        throughput = ddb.ProvisionedThroughput(
            ReadCapacityUnits=int(ctx.static(pt.readUnits, f"{where}.provisionedThroughput.readUnits", 1)),
            WriteCapacityUnits=int(ctx.static(pt.writeUnits, f"{where}.provisionedThroughput.writeUnits", 1)),
        )
        table.ProvisionedThroughput = throughput
    indexes = []
    if len(p.secondaryIndexes or ()) > MAX_GSI:
        ctx.invalid(f"{where}.secondaryIndexes", f"a table has at most {MAX_GSI} global secondary indexes")
    for i, ix in enumerate(p.secondaryIndexes or ()):
        iwhere = f"{where}.secondaryIndexes[{i}]"
        gsi = ddb.GlobalSecondaryIndex(
            IndexName=text(ctx.static(ix.name, f"{iwhere}.name", "")),
            KeySchema=_key_schema(ctx, ix.partitionKey, ix.sortKey, iwhere, attributes),
            Projection=_projection(ctx, ix.projections, f"{iwhere}.projections"),
        )
        if throughput is not None:
            gsi.ProvisionedThroughput = throughput
        indexes.append(gsi)
    if indexes:
        table.GlobalSecondaryIndexes = indexes
    table.AttributeDefinitions = [ddb.AttributeDefinition(AttributeName=a, AttributeType=t) for a, t in attributes.items()]
    if p.streamType is not None and table_has_stream(ctx, name):
        table.StreamSpecification = ddb.StreamSpecification(StreamViewType=ctx.static(p.streamType, f"{where}.streamType"))
    if p.enablePointInTimeRecovery is not None and ctx.static(p.enablePointInTimeRecovery, f"{where}.enablePointInTimeRecovery", False):
        table.PointInTimeRecoverySpecification = ddb.PointInTimeRecoverySpecification(PointInTimeRecoveryEnabled=True)
    ctx.add(name, table)
    if pt is not None:
        targets = [("", Sub(f"table/${{{table.title}}}"), "table")]
        targets += [(g.IndexName, Sub(f"table/${{{table.title}}}/index/{g.IndexName}"), "index") for g in indexes]
        for label, scaling in (("Read", pt.readScaling), ("Write", pt.writeScaling)):
            if scaling is not None:
                for part, resource_id, dimension in targets:
                    _table_scaling(ctx, name, table, part, label, scaling, resource_id, dimension,
                                   f"{where}.provisionedThroughput.{label.lower()}Scaling")
    ctx.output(name, "tableName", ctx.id(name, "TableName"), Ref(table), f"Name of table {name}")


def _projection(ctx, projections, where: str):
    if projections is None:
        return ddb.Projection(ProjectionType="ALL")
    if not projections:
        return ddb.Projection(ProjectionType="KEYS_ONLY")
    return ddb.Projection(ProjectionType="INCLUDE", NonKeyAttributes=[text(ctx.static(a, where, "")) for a in projections])


def _table_scaling(ctx, name, table, part, label, scaling, resource_id, dimension, where) -> None:
    lo = int(ctx.static(scaling.minUnits, f"{where}.minUnits", 1))
    hi = int(ctx.static(scaling.maxUnits, f"{where}.maxUnits", lo))
    target = ctx.add(name, aas.ScalableTarget(
        ctx.id(name, part, label, "ScalableTarget"),
        MinCapacity=lo, MaxCapacity=max(lo, hi), ResourceId=resource_id, ServiceNamespace="dynamodb",
        ScalableDimension=f"dynamodb:{dimension}:{label}CapacityUnits",
    ))
    ctx.add(name, aas.ScalingPolicy(
        ctx.id(name, part, label, "ScalingPolicy"),
        PolicyName=f"{ctx.stack_name}-{name}{'-' + part if part else ''}-{label.lower()}"[:256],
        PolicyType="TargetTrackingScaling", ScalingTargetId=Ref(target),
        TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
            TargetValue=float(ctx.static(scaling.keepUtilizationUnder, f"{where}.keepUtilizationUnder", 70)),
            PredefinedMetricSpecification=aas.PredefinedMetricSpecification(
                PredefinedMetricType=f"DynamoDB{label}CapacityUtilization"
            ),
        ),
    ))


@params("dynamo-db-table")
def dynamo_db_table_param(ctx, name: str, param: str):
    lid = ctx.id(name, "Table")
    if param == "name":
        return Ref(lid)
    if param == "arn":
        return GetAtt(lid, "Arn")
    if param == "streamArn":
        if not table_has_stream(ctx, name):
            raise ParamAbsent(f"dynamo-db-table '{name}' has no stream; set streamType to record its changes")
        return GetAtt(lid, "StreamArn")
    return None


# --- efs-filesystem ------------------------------------------------------------------------------


@compiler("efs-filesystem")
def compile_efs_filesystem(ctx, name: str, model) -> None:
    p = model.properties
    where = f"resources.{name}.properties"
    net = network(ctx)
    sg = ctx.add(name, ec2.SecurityGroup(
        ctx.id(name, "SecurityGroup"),
        GroupDescription=f"NFS access to file system {name} of {ctx.stack_name}",
        VpcId=net.vpc, Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
    ))
    mode = ctx.static(p.throughputMode, f"{where}.throughputMode", "elastic") if p is not None else "elastic"
    backup = bool(ctx.static(p.backupEnabled, f"{where}.backupEnabled", False)) if p is not None and p.backupEnabled is not None else False
    fs = _keep_data(efs.FileSystem(
        ctx.id(name, "FileSystem"),
        Encrypted=True, PerformanceMode="generalPurpose", ThroughputMode=mode,
        BackupPolicy=efs.BackupPolicy(Status="ENABLED" if backup else "DISABLED"),
        FileSystemTags=Tags(Name=f"{ctx.stack_name}-{name}"),
    ))
    if mode == "provisioned":
        fs.ProvisionedThroughputInMibps = float(ctx.static(p.provisionedThroughputInMibps,
                                                           f"{where}.provisionedThroughputInMibps", 1))
    ctx.add(name, fs)
    for i, subnet in enumerate(net.private_subnets):
        ctx.add(name, efs.MountTarget(
            mount_target_id(ctx, name, i), FileSystemId=Ref(fs), SubnetId=subnet, SecurityGroups=[Ref(sg)],
        ))
    ctx.output(name, "fileSystemId", ctx.id(name, "FileSystemId"), Ref(fs), f"Id of file system {name}")


def mount_target_id(ctx, name: str, i: int) -> str:
    return ctx.id(name, f"MountTarget{i + 1}")


efs_filesystem_param = attribute_params("efs-filesystem", "FileSystem", {"id": "Ref", "arn": "Arn"})


def efs_access(ctx, source, fs_name: str) -> None:
    """Let ``source`` (a compiled workload, or anything with ``name``, ``task_statements`` and
    ``security_group``) mount file system ``fs_name``: IAM client access and NFS through its security group."""
    done = ctx.extra.setdefault("efs-access", set())
    if (source.name, fs_name) in done:
        return
    done.add((source.name, fs_name))
    allow(source, EFS_CLIENT_ACTIONS, ctx.resource_param(fs_name, "arn"))
    sg = getattr(source, "security_group", None)
    if sg is not None:
        ctx.add(source.name, ec2.SecurityGroupIngress(
            ctx.id(fs_name, "From", source.name, "Ingress"),
            GroupId=Ref(ctx.id(fs_name, "SecurityGroup")), IpProtocol="tcp", FromPort=NFS_PORT, ToPort=NFS_PORT,
            SourceSecurityGroupId=Ref(sg), Description=f"NFS from {source.name}"[:255],
        ))


@hook("volume", "efs")
def efs_volume(ctx, cw, c, mount) -> None:
    """Mount an `efs-filesystem` into a container: a task volume (one per file system and folder) and a mount point."""
    i = next((n for n, m in enumerate(c.volume_mounts) if m is mount), 0)
    where = f"{c.path}.volumeMounts[{i}].properties"
    mp = mount.properties
    fs_name = text(ctx.static(mp.efsFilesystemName, f"{where}.efsFilesystemName", ""))
    if ctx.type_of(fs_name) != "efs-filesystem":
        ctx.invalid(where, f"efsFilesystemName '{fs_name}' is not an efs-filesystem of this stack")
        return
    root = text(ctx.static(mp.rootDirectory, f"{where}.rootDirectory", "/"))
    path = text(ctx.static(mp.mountPath, f"{where}.mountPath", ""))
    if not root.startswith("/"):
        ctx.invalid(where, f"rootDirectory '{root}' must be an absolute folder of the file system, e.g. /data")
        return
    if not path.startswith("/"):
        ctx.invalid(where, f"mountPath '{path}' must be an absolute path inside the container, e.g. /mnt/data")
        return
    volumes = ctx.extra.setdefault("efs-volumes", {}).setdefault(cw.name, {})  # (fs, root) → volume name
    volume = volumes.get((fs_name, root))
    if volume is None:
        base = _VOLUME_CHARS.sub("-", f"efs-{fs_name}{'' if root == '/' else root}").strip("-")[:250]
        volume = base
        n = 2
        while volume in volumes.values():
            volume, n = f"{base}-{n}", n + 1
        volumes[(fs_name, root)] = volume
        cw.task_definition.properties.setdefault("Volumes", []).append(ecs.Volume(
            Name=volume,
            EFSVolumeConfiguration=ecs.EFSVolumeConfiguration(
                FilesystemId=ctx.resource_param(fs_name, "id"), RootDirectory=root, TransitEncryption="ENABLED",
                AuthorizationConfig=ecs.AuthorizationConfig(IAM="ENABLED"),
            ),
        ))
    points = cw.containers[c.name].properties.setdefault("MountPoints", [])
    if any(pt.properties.get("ContainerPath") == path for pt in points):
        ctx.invalid(where, f"container '{c.name}' already mounts a volume at {path}")
        return
    points.append(ecs.MountPoint(ContainerPath=path, SourceVolume=volume, ReadOnly=False))
    efs_access(ctx, cw, fs_name)
    # tasks can only mount once the file system is reachable in their zone
    net = network(ctx)
    _depends_on(cw.service, *[mount_target_id(ctx, fs_name, n) for n in range(len(net.private_subnets))])


def _depends_on(resource, *ids: str) -> None:
    current = resource.resource.get("DependsOn", [])
    current = [current] if isinstance(current, str) else list(current)
    resource.DependsOn = current + [i for i in ids if i not in current]

