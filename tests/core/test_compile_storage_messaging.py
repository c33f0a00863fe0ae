"""Buckets, tables, file systems, queues, topics and event buses compiled to CloudFormation (cfn-lint clean)."""

from __future__ import annotations

import pytest

from core.compile import CompileError
from tests.core.compile_support import compile_yaml, container, container_env, lint_errors, of_type, problems_by_place, props, role_statements, template_of

BUCKET = """
resources:
  uploads:
    type: bucket
    properties:
      versioning: true
      encryption: true
      accessibility:
        accessibilityMode: public-read
        accessPolicyStatements:
          - Sid: PartnerUploads
            Principal: {AWS: 'arn:aws:iam::123456789012:root'}
            Action: ['s3:PutObject']
            Resource:
              - $Format('{}/incoming/*', $ResourceParam('uploads', 'arn'))
      cors:
        enabled: true
        corsRules:
          - allowedOrigins: ['https://app.example.com']
            allowedMethods: [GET, PUT]
            exposedResponseHeaders: [ETag]
            maxAge: 600
      lifecycleRules:
        - type: expiration
          properties: {daysAfterUpload: 365, prefix: tmp/}
        - type: class-transition
          properties: {daysAfterUpload: 30, storageClass: STANDARD_IA, tags: [{key: tier, value: cold}]}
        - type: non-current-version-expiration
          properties: {daysAfterVersioned: 10}
        - type: non-current-version-class-transition
          properties: {daysAfterVersioned: 30, storageClass: GLACIER}
        - type: abort-incomplete-multipart-upload
          properties: {daysAfterInitiation: 2}
      enableEventBusNotifications: true
"""

PLAIN_BUCKET = """
resources:
  files:
    type: bucket
"""

TABLES = """
resources:
  orders:
    type: dynamo-db-table
    properties:
      primaryKey:
        partitionKey: {name: pk, type: string}
        sortKey: {name: createdAt, type: number}
      provisionedThroughput:
        readUnits: 5
        writeUnits: 2
        readScaling: {minUnits: 5, maxUnits: 50, keepUtilizationUnder: 70}
        writeScaling: {minUnits: 2, maxUnits: 20, keepUtilizationUnder: 60}
      streamType: NEW_AND_OLD_IMAGES
      enablePointInTimeRecovery: true
      secondaryIndexes:
        - name: byCustomer
          partitionKey: {name: customerId, type: string}
          sortKey: {name: createdAt, type: number}
          projections: [total]
  sessions:
    type: dynamo-db-table
    properties:
      primaryKey:
        partitionKey: {name: id, type: binary}
      secondaryIndexes:
        - name: byUser
          partitionKey: {name: userId, type: string}
        - name: byDevice
          partitionKey: {name: deviceId, type: string}
          projections: []
"""

EFS = """
resources:
  shared:
    type: efs-filesystem
    properties:
      throughputMode: provisioned
      provisionedThroughputInMibps: 10
      backupEnabled: true
  app:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.5, memory: 1024}
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'nginx:1'}}
          volumeMounts:
            - type: efs
              properties: {efsFilesystemName: shared, mountPath: /data}
            - type: efs
              properties: {efsFilesystemName: shared, mountPath: /cache, rootDirectory: /cache}
        - name: sidecar
          packaging: {type: prebuilt-image, properties: {image: 'busybox:1'}}
          essential: false
          volumeMounts:
            - type: efs
              properties: {efsFilesystemName: shared, mountPath: /data}
"""

QUEUES = """
resources:
  dlq:
    type: sqs-queue
    properties:
      fifoEnabled: true
      messageRetentionPeriodSeconds: 1209600
  jobs:
    type: sqs-queue
    properties:
      fifoEnabled: true
      fifoHighThroughput: true
      contentBasedDeduplication: true
      delayMessagesSecond: 5
      visibilityTimeoutSeconds: 120
      longPollingSeconds: 20
      maxMessageSizeBytes: 65536
      redrivePolicy: {targetSqsQueueName: dlq, maxReceiveCount: 3}
      policyStatements:
        - Effect: Allow
          Principal: {Service: sns.amazonaws.com}
          Action: ['sqs:SendMessage']
          Condition: {ArnLike: {'aws:SourceArn': 'arn:aws:sns:*:123456789012:*'}}
      events:
        - type: event-bus
          properties:
            eventBusName: bus
            messageGroupId: orders
            eventPattern:
              source: [my.app]
              detail-type: [OrderPlaced]
            inputPath: $.detail
            onDeliveryFailure: {sqsQueueName: undelivered}
  undelivered:
    type: sqs-queue
  audit:
    type: sqs-queue
    properties:
      redrivePolicy: {targetSqsQueueArn: 'arn:aws:sqs:us-east-1:123456789012:elsewhere', maxReceiveCount: 5}
      events:
        - type: event-bus
          properties:
            useDefaultBus: true
            eventPattern: {source: [aws.s3], detail: {bucket: {name: [uploads]}}}
            input: {kind: upload}
        - type: event-bus
          properties:
            eventBusArn: arn:aws:events:us-east-1:123456789012:event-bus/partners
            eventPattern: {source: [partner]}
            inputTransformer:
              inputPathsMap: {id: $.detail.id}
              inputTemplate: '{"id": <id>}'
  bus:
    type: event-bus
    properties:
      archivation: {enabled: true, retentionDays: 30}
"""

TOPICS = """
resources:
  news:
    type: sns-topic
  alerts:
    type: sns-topic
    properties:
      fifoEnabled: true
      contentBasedDeduplication: true
      smsDisplayName: Alerts
  partnerBus:
    type: event-bus
    properties:
      eventSourceName: aws.partner/saas.example/1234/orders
  plainBus:
    type: event-bus
    properties:
      archivation: {enabled: true}
"""


@pytest.mark.parametrize(
    "config", [BUCKET, PLAIN_BUCKET, TABLES, EFS, QUEUES, TOPICS],
    ids=["bucket", "plain-bucket", "tables", "efs", "queues", "topics"],
)
def test_every_compiled_template_passes_cfn_lint(config):
    assert lint_errors(template_of(config)) == []


def _with_reader(config: str, *params: str) -> str:
    """``config`` plus a worker whose environment reads the given ``resource:param`` values."""
    env = "\n".join(
        f"        - name: V{i}\n          value: $ResourceParam('{p.split(':')[0]}', '{p.split(':')[1]}')"
        for i, p in enumerate(params)
    )
    return config + f"""
  reader:
    type: worker-service
    properties:
      packaging: {{type: prebuilt-image, properties: {{image: 'acme/reader:1'}}}}
      resources: {{cpu: 0.25, memory: 512}}
      environment:
{env}
"""


def _env(template, workload="reader") -> dict:
    return container_env(template, f"{workload[0].upper()}{workload[1:]}TaskDefinition", workload)


# --- bucket --------------------------------------------------------------------------------------


def test_a_plain_bucket_is_private_owner_enforced_and_keeps_data_on_replacement():
    t = template_of(PLAIN_BUCKET)
    res = t["Resources"]["FilesBucket"]
    assert res["Type"] == "AWS::S3::Bucket"
    assert (res["DeletionPolicy"], res["UpdateReplacePolicy"]) == ("Delete", "Retain")
    p = res["Properties"]
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    }
    assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "BucketName" not in p  # CloudFormation picks a unique name per stage
    for absent in ("VersioningConfiguration", "CorsConfiguration", "LifecycleConfiguration", "NotificationConfiguration"):
        assert absent not in p
    assert not of_type(t, "AWS::S3::BucketPolicy")
    assert t["Outputs"]["FilesBucketName"]["Value"] == {"Ref": "FilesBucket"}
    assert t["Metadata"]["Stp"]["resources"]["files"]["outputs"] == {"bucketName": "FilesBucketName"}


def test_bucket_versioning_encryption_cors_lifecycle_and_event_bus_notifications():
    p = props(template_of(BUCKET), "UploadsBucket")
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    assert p["BucketEncryption"] == {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]}
    assert p["CorsConfiguration"] == {"CorsRules": [{
        "AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"],
        "ExposedHeaders": ["ETag"], "MaxAge": 600,
    }]}
    assert p["LifecycleConfiguration"]["Rules"] == [
        {"Id": "expiration-1", "Status": "Enabled", "Prefix": "tmp/", "ExpirationInDays": 365},
        {"Id": "class-transition-2", "Status": "Enabled", "TagFilters": [{"Key": "tier", "Value": "cold"}],
         "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]},
        {"Id": "non-current-version-expiration-3", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 10}},
        {"Id": "non-current-version-class-transition-4", "Status": "Enabled",
         "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER", "TransitionInDays": 30}]},
        {"Id": "abort-incomplete-multipart-upload-5", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    ]
    assert p["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}


def test_public_read_opens_object_reads_through_the_bucket_policy_only():
    t = template_of(BUCKET)
    block = props(t, "UploadsBucket")["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    policy = props(t, "UploadsBucketPolicy")
    assert policy["Bucket"] == {"Ref": "UploadsBucket"}
    assert policy["PolicyDocument"]["Statement"] == [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
         "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/*"}},
        {"Sid": "PartnerUploads", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": ["s3:PutObject"], "Resource": [{"Fn::Sub": "${UploadsBucket.Arn}/incoming/*"}]},
    ]


def test_public_read_write_also_lets_anyone_upload():
    t = template_of(PLAIN_BUCKET + "    properties:\n      accessibility:\n        accessibilityMode: public-read-write\n")
    [statement] = props(t, "FilesBucketPolicy")["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["s3:GetObject", "s3:PutObject"] and statement["Principal"] == "*"
    assert lint_errors(t) == []


def test_cors_without_rules_is_permissive_and_star_means_every_method_s3_knows():
    t = template_of(PLAIN_BUCKET + "    properties:\n      cors:\n        enabled: true\n")
    assert props(t, "FilesBucket")["CorsConfiguration"]["CorsRules"] == [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT", "HEAD", "POST", "DELETE"], "AllowedHeaders": ["*"]}
    ]
    t = template_of(PLAIN_BUCKET + "    properties:\n      cors:\n        enabled: true\n        corsRules:\n"
                                "          - allowedMethods: ['*']\n")
    assert props(t, "FilesBucket")["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["GET", "PUT", "HEAD", "POST", "DELETE"]
    t = template_of(PLAIN_BUCKET + "    properties:\n      cors:\n        enabled: false\n")
    assert "CorsConfiguration" not in props(t, "FilesBucket")


def test_patch_in_bucket_cors_is_refused_because_s3_does_not_support_it():
    problems = problems_by_place(PLAIN_BUCKET + "    properties:\n      cors:\n        enabled: true\n        corsRules:\n"
                                        "          - allowedMethods: [GET, PATCH]\n")
    assert "S3 does not accept PATCH" in problems["resources.files.properties.cors.corsRules[0].allowedMethods"]


def test_versioning_written_false_is_suspended_explicitly():
    t = template_of(PLAIN_BUCKET + "    properties:\n      versioning: false\n")
    assert props(t, "FilesBucket")["VersioningConfiguration"] == {"Status": "Suspended"}


@pytest.mark.parametrize(
    "extra, message",
    [
        ("cdn:\n        enabled: true\n", "cdn (CloudFront in front of the bucket) is not compiled yet"),
        ("directoryUpload:\n        directoryPath: ./public\n", "directoryUpload (uploading a folder on every deploy) is not compiled yet"),
    ],
)
def test_bucket_features_of_other_modules_are_reported_not_silently_dropped(extra, message):
    with pytest.raises(CompileError) as err:
        compile_yaml(PLAIN_BUCKET + "    properties:\n      " + extra)
    assert err.value.unsupported_only
    assert message in str(err.value)


def test_bucket_parameters():
    env = _env(template_of(_with_reader(PLAIN_BUCKET, "files:name", "files:arn")))
    assert env == {"V0": {"Ref": "FilesBucket"}, "V1": {"Fn::GetAtt": ["FilesBucket", "Arn"]}}


# --- dynamo-db-table -----------------------------------------------------------------------------


def test_on_demand_table_keys_and_index_projections():
    t = template_of(TABLES)
    p = props(t, "SessionsTable")
    assert p["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in p
    assert p["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert p["AttributeDefinitions"] == [
        {"AttributeName": "id", "AttributeType": "B"}, {"AttributeName": "userId", "AttributeType": "S"},
        {"AttributeName": "deviceId", "AttributeType": "S"},
    ]
    by_user, by_device = p["GlobalSecondaryIndexes"]
    assert by_user == {"IndexName": "byUser", "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
                       "Projection": {"ProjectionType": "ALL"}}
    assert by_device["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    for absent in ("StreamSpecification", "PointInTimeRecoverySpecification", "TableName"):
        assert absent not in p
    assert (t["Resources"]["SessionsTable"]["DeletionPolicy"], t["Resources"]["SessionsTable"]["UpdateReplacePolicy"]) == ("Delete", "Retain")
    assert t["Outputs"]["SessionsTableName"]["Value"] == {"Ref": "SessionsTable"}


def test_provisioned_table_with_stream_recovery_and_shared_attribute_definitions():
    p = props(template_of(TABLES), "OrdersTable")
    assert p["BillingMode"] == "PROVISIONED"
    assert p["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    assert p["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "createdAt", "KeyType": "RANGE"}]
    # createdAt is a key of the table and of the index: defined once
    assert [a["AttributeName"] for a in p["AttributeDefinitions"]] == ["pk", "createdAt", "customerId"]
    [gsi] = p["GlobalSecondaryIndexes"]
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]}
    assert gsi["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_provisioned_throughput_scales_the_table_and_each_index():
    t = template_of(TABLES)
    targets = {k: v["Properties"] for k, v in of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget").items()}
    assert sorted(targets) == [
        "OrdersByCustomerReadScalableTarget", "OrdersByCustomerWriteScalableTarget",
        "OrdersReadScalableTarget", "OrdersWriteScalableTarget",
    ]
    assert targets["OrdersReadScalableTarget"] == {
        "MinCapacity": 5, "MaxCapacity": 50, "ResourceId": {"Fn::Sub": "table/${OrdersTable}"},
        "ServiceNamespace": "dynamodb", "ScalableDimension": "dynamodb:table:ReadCapacityUnits",
    }
    index = targets["OrdersByCustomerWriteScalableTarget"]
    assert index["ResourceId"] == {"Fn::Sub": "table/${OrdersTable}/index/byCustomer"}
    assert index["ScalableDimension"] == "dynamodb:index:WriteCapacityUnits" and (index["MinCapacity"], index["MaxCapacity"]) == (2, 20)
    write = props(t, "OrdersWriteScalingPolicy")
    assert write["PolicyType"] == "TargetTrackingScaling" and write["ScalingTargetId"] == {"Ref": "OrdersWriteScalableTarget"}
    config = write["TargetTrackingScalingPolicyConfiguration"]
    assert config == {"TargetValue": 60.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"}}


def test_provisioned_throughput_without_scaling_stays_fixed():
    t = template_of("""
        resources:
          orders:
            type: dynamo-db-table
            properties:
              primaryKey:
                partitionKey: {name: pk, type: string}
              provisionedThroughput: {readUnits: 3, writeUnits: 1}
    """)
    assert props(t, "OrdersTable")["ProvisionedThroughput"] == {"ReadCapacityUnits": 3, "WriteCapacityUnits": 1}
    assert not of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert lint_errors(t) == []


def test_table_parameters_and_a_stream_arn_only_when_there_is_a_stream():
    env = _env(template_of(_with_reader(TABLES, "orders:name", "orders:arn", "orders:streamArn")))
    assert env == {"V0": {"Ref": "OrdersTable"}, "V1": {"Fn::GetAtt": ["OrdersTable", "Arn"]},
                   "V2": {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}}
    problems = problems_by_place(_with_reader(TABLES, "sessions:streamArn"))
    assert "dynamo-db-table 'sessions' has no stream; set streamType" in problems["resources.reader.properties.environment[0].value"]


# --- efs-filesystem ------------------------------------------------------------------------------


def test_file_system_is_encrypted_with_a_mount_target_per_zone_behind_its_own_security_group():
    t = template_of(EFS)
    fs = t["Resources"]["SharedFileSystem"]
    assert (fs["DeletionPolicy"], fs["UpdateReplacePolicy"]) == ("Delete", "Retain")
    assert fs["Properties"] == {
        "Encrypted": True, "PerformanceMode": "generalPurpose", "ThroughputMode": "provisioned",
        "ProvisionedThroughputInMibps": 10.0, "BackupPolicy": {"Status": "ENABLED"},
        "FileSystemTags": [{"Key": "Name", "Value": "demo-dev-shared"}],
    }
    targets = {k: v["Properties"] for k, v in of_type(t, "AWS::EFS::MountTarget").items()}
    assert targets == {
        f"SharedMountTarget{n}": {"FileSystemId": {"Ref": "SharedFileSystem"}, "SubnetId": {"Ref": f"VpcPrivateSubnet{n}"},
                                  "SecurityGroups": [{"Ref": "SharedSecurityGroup"}]}
        for n in (1, 2)
    }
    assert "SecurityGroupIngress" not in props(t, "SharedSecurityGroup")  # only clients get in, one rule each
    assert t["Outputs"]["SharedFileSystemId"]["Value"] == {"Ref": "SharedFileSystem"}


def test_file_system_defaults_to_elastic_throughput_without_backups():
    t = template_of("resources:\n  files:\n    type: efs-filesystem\n")
    p = props(t, "FilesFileSystem")
    assert p["ThroughputMode"] == "elastic" and p["BackupPolicy"] == {"Status": "DISABLED"}
    assert "ProvisionedThroughputInMibps" not in p
    assert lint_errors(t) == []


def test_efs_volume_mounts_become_task_volumes_mount_points_iam_and_nfs_access():
    t = template_of(EFS)
    td = props(t, "AppTaskDefinition")
    config = {"FilesystemId": {"Ref": "SharedFileSystem"}, "TransitEncryption": "ENABLED", "AuthorizationConfig": {"IAM": "ENABLED"}}
    assert td["Volumes"] == [  # one volume per file system and folder, shared by the containers
        {"Name": "efs-shared", "EFSVolumeConfiguration": {**config, "RootDirectory": "/"}},
        {"Name": "efs-shared-cache", "EFSVolumeConfiguration": {**config, "RootDirectory": "/cache"}},
    ]
    assert container(t, "AppTaskDefinition", "web")["MountPoints"] == [
        {"ContainerPath": "/data", "SourceVolume": "efs-shared", "ReadOnly": False},
        {"ContainerPath": "/cache", "SourceVolume": "efs-shared-cache", "ReadOnly": False},
    ]
    assert container(t, "AppTaskDefinition", "sidecar")["MountPoints"] == [
        {"ContainerPath": "/data", "SourceVolume": "efs-shared", "ReadOnly": False}
    ]
    [statement] = role_statements(t, "AppTaskRole")
    assert statement == {
        "Effect": "Allow",
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"],
        "Resource": {"Fn::GetAtt": ["SharedFileSystem", "Arn"]},
    }
    [ingress] = of_type(t, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"] == {
        "GroupId": {"Ref": "SharedSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
        "SourceSecurityGroupId": {"Ref": "AppSecurityGroup"}, "Description": "NFS from app",
    }
    # tasks start only once they can reach the file system
    assert {"SharedMountTarget1", "SharedMountTarget2"} <= set(t["Resources"]["AppService"]["DependsOn"])


def test_one_container_service_mounts_efs_too():
    t = template_of("""
        resources:
          files:
            type: efs-filesystem
          jobs:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: 'acme/jobs:1'}}
              resources: {cpu: 0.25, memory: 512}
              volumeMounts:
                - type: efs
                  properties: {efsFilesystemName: files, mountPath: /mnt/files, rootDirectory: /jobs}
    """)
    assert container(t, "JobsTaskDefinition", "jobs")["MountPoints"] == [
        {"ContainerPath": "/mnt/files", "SourceVolume": "efs-files-jobs", "ReadOnly": False}
    ]
    assert lint_errors(t) == []


@pytest.mark.parametrize(
    "change, where, message",
    [
        ("mountPath: /data}", "mountPath: data}", "mountPath 'data' must be an absolute path"),
        ("mountPath: /cache, rootDirectory: /cache}", "mountPath: /cache, rootDirectory: cache}", "rootDirectory 'cache' must be an absolute folder"),
        ("mountPath: /cache, rootDirectory: /cache}", "mountPath: /data, rootDirectory: /cache}", "already mounts a volume at /data"),
    ],
)
def test_efs_mounts_that_cannot_work_are_explained(change, where, message):
    problems = problems_by_place(EFS.replace(change, where, 1))
    assert any(message in m for m in problems.values()), problems


def test_efs_parameters():
    env = _env(template_of(_with_reader(EFS, "shared:id", "shared:arn")))
    assert env == {"V0": {"Ref": "SharedFileSystem"}, "V1": {"Fn::GetAtt": ["SharedFileSystem", "Arn"]}}


# --- sqs-queue -----------------------------------------------------------------------------------


def test_a_plain_queue_takes_the_documented_defaults_and_is_encrypted():
    t = template_of("resources:\n  jobs:\n    type: sqs-queue\n")
    assert props(t, "JobsQueue") == {
        "DelaySeconds": 0, "MaximumMessageSize": 262144, "MessageRetentionPeriod": 345600,
        "ReceiveMessageWaitTimeSeconds": 0, "VisibilityTimeout": 30, "SqsManagedSseEnabled": True,
    }
    assert not of_type(t, "AWS::SQS::QueuePolicy")
    assert t["Outputs"]["JobsQueueUrl"]["Value"] == {"Ref": "JobsQueue"}
    assert t["Outputs"]["JobsQueueArn"]["Value"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}


def test_fifo_queue_with_high_throughput_timeouts_and_a_dead_letter_queue_of_the_stack():
    p = props(template_of(QUEUES), "JobsQueue")
    assert p == {
        "DelaySeconds": 5, "MaximumMessageSize": 65536, "MessageRetentionPeriod": 345600,
        "ReceiveMessageWaitTimeSeconds": 20, "VisibilityTimeout": 120, "SqsManagedSseEnabled": True,
        "FifoQueue": True, "ContentBasedDeduplication": True,
        "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId",
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["DlqQueue", "Arn"]}, "maxReceiveCount": 3},
    }
    assert "QueueName" not in p  # CloudFormation names it (and adds .fifo)


def test_dead_letter_queue_outside_the_stack_by_arn():
    p = props(template_of(QUEUES), "AuditQueue")
    assert p["RedrivePolicy"] == {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:elsewhere", "maxReceiveCount": 5}
    assert "FifoQueue" not in p


def test_event_bus_subscription_becomes_a_rule_the_queue_policy_admits_only_from_that_rule():
    t = template_of(QUEUES)
    rule = props(t, "JobsEvent1Rule")
    assert rule["EventBusName"] == {"Fn::GetAtt": ["BusEventBus", "Arn"]}
    assert rule["EventPattern"] == {"source": ["my.app"], "detail-type": ["OrderPlaced"]}
    assert rule["Targets"] == [{
        "Arn": {"Fn::GetAtt": ["JobsQueue", "Arn"]}, "Id": "jobs", "SqsParameters": {"MessageGroupId": "orders"},
        "InputPath": "$.detail", "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["UndeliveredQueue", "Arn"]}},
    }]
    policy = props(t, "JobsQueuePolicy")
    assert policy["Queues"] == [{"Ref": "JobsQueue"}]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": ["sqs:SendMessage"],
         "Resource": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
         "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}},
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
         "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["JobsEvent1Rule", "Arn"]}}}},
    ]
    # the queue that keeps undelivered events accepts them from that rule only
    [dlq_statement] = props(t, "UndeliveredQueuePolicy")["PolicyDocument"]["Statement"]
    assert dlq_statement["Resource"] == {"Fn::GetAtt": ["UndeliveredQueue", "Arn"]}
    assert dlq_statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["JobsEvent1Rule", "Arn"]}}}


def test_default_bus_fixed_input_and_input_transformer():
    t = template_of(QUEUES)
    first, second = props(t, "AuditEvent1Rule"), props(t, "AuditEvent2Rule")
    assert "EventBusName" not in first  # the account's default bus
    assert first["EventPattern"] == {"source": ["aws.s3"], "detail": {"bucket": {"name": ["uploads"]}}}
    assert first["Targets"][0]["Input"] == '{"kind":"upload"}'
    assert second["EventBusName"] == "arn:aws:events:us-east-1:123456789012:event-bus/partners"
    assert second["Targets"][0]["InputTransformer"] == {"InputTemplate": '{"id": <id>}', "InputPathsMap": {"id": "$.detail.id"}}
    assert [s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in props(t, "AuditQueuePolicy")["PolicyDocument"]["Statement"]] == [
        {"Fn::GetAtt": ["AuditEvent1Rule", "Arn"]}, {"Fn::GetAtt": ["AuditEvent2Rule", "Arn"]},
    ]


@pytest.mark.parametrize(
    "change, where, message",
    [
        ("  dlq:\n    type: sqs-queue\n    properties:\n      fifoEnabled: true\n",
         "  dlq:\n    type: sqs-queue\n    properties:\n      fifoEnabled: false\n",
         "the dead-letter queue of a FIFO queue must also be FIFO, but 'dlq' is standard"),
        ("targetSqsQueueName: dlq", "targetSqsQueueName: jobs", "cannot be its own dead-letter queue"),
        ("onDeliveryFailure: {sqsQueueName: undelivered}", "onDeliveryFailure: {sqsQueueName: dlq}",
         "EventBridge keeps undelivered events only in standard queues"),
    ],
)
def test_queue_settings_that_cannot_work_are_explained(change, where, message):
    assert change in QUEUES
    problems = problems_by_place(QUEUES.replace(change, where))
    assert any(message in m for m in problems.values()), problems


def test_queue_alarms_are_reported_as_not_compiled_yet():
    with pytest.raises(CompileError) as err:
        compile_yaml("""
            resources:
              jobs:
                type: sqs-queue
                properties:
                  alarms:
                    - trigger: {type: sqs-queue-not-empty}
        """)
    assert err.value.unsupported_only and "alarms on the queue are not compiled yet" in str(err.value)


def test_queue_parameters():
    env = _env(template_of(_with_reader(QUEUES, "jobs:arn", "jobs:name", "jobs:url")))
    assert env == {"V0": {"Fn::GetAtt": ["JobsQueue", "Arn"]}, "V1": {"Fn::GetAtt": ["JobsQueue", "QueueName"]},
                   "V2": {"Ref": "JobsQueue"}}


# --- sns-topic -----------------------------------------------------------------------------------


def test_topics_standard_is_named_by_cloudformation_fifo_gets_a_fifo_name():
    t = template_of(TOPICS)
    assert props(t, "NewsTopic") == {}
    assert props(t, "AlertsTopic") == {
        "FifoTopic": True, "TopicName": "demo-dev-alerts.fifo", "ContentBasedDeduplication": True, "DisplayName": "Alerts",
    }
    assert t["Outputs"]["AlertsTopicArn"]["Value"] == {"Ref": "AlertsTopic"}


def test_topic_parameters():
    env = _env(template_of(_with_reader(TOPICS, "news:arn", "news:name")))
    assert env == {"V0": {"Ref": "NewsTopic"}, "V1": {"Fn::GetAtt": ["NewsTopic", "TopicName"]}}


# --- event-bus -----------------------------------------------------------------------------------


def test_event_bus_names_archive_and_partner_source():
    t = template_of(TOPICS + QUEUES.split("resources:\n", 1)[1].split("  dlq:")[0] + "  bus:\n    type: event-bus\n"
                 "    properties:\n      archivation: {enabled: true, retentionDays: 30}\n")
    assert props(t, "BusEventBus") == {"Name": "demo-dev-bus"}
    assert props(t, "BusArchive") == {
        "SourceArn": {"Fn::GetAtt": ["BusEventBus", "Arn"]}, "Description": "Events of bus bus of demo-dev", "RetentionDays": 30,
    }
    assert "RetentionDays" not in props(t, "PlainBusArchive")  # kept forever
    assert props(t, "PartnerBusEventBus") == {
        "Name": "aws.partner/saas.example/1234/orders", "EventSourceName": "aws.partner/saas.example/1234/orders",
    }
    assert "PartnerBusArchive" not in t["Resources"]
    assert lint_errors(t) == []


def test_event_bus_parameters_and_archive_arn_only_with_an_archive():
    env = _env(template_of(_with_reader(TOPICS, "plainBus:arn", "plainBus:archiveArn")))
    assert env == {"V0": {"Fn::GetAtt": ["PlainBusEventBus", "Arn"]}, "V1": {"Fn::GetAtt": ["PlainBusArchive", "Arn"]}}
    problems = problems_by_place(_with_reader(TOPICS, "partnerBus:archiveArn"))
    assert "event-bus 'partnerBus' keeps no archive" in problems["resources.reader.properties.environment[0].value"]
