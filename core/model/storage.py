"""Storage: `bucket` (S3), `dynamo-db-table` (DynamoDB) and `efs-filesystem` (EFS).

Bucket lifecycle rules are a union on `type` (expire objects, move them to a cheaper
storage class, the same two for old versions, and clean-up of unfinished uploads).
A DynamoDB table runs on demand unless `provisionedThroughput` is given; its keys and
those of its secondary indexes share one set of attribute definitions, so an
attribute must have the same type everywhere.

Rules that tie several keys together (lifecycle rules that need versioning, storage
class minimums, key attribute types, provisioned EFS throughput) live in model
validators and report the key at fault. Values that are directives are never
judged: they resolve at deploy time.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.model.base import DIRECTIVE_OK, AnyValue, Bool, F, OneOf, StpModel, Str
from core.model.cdn import BucketCdnConfig
from core.model.checks import Bounds
from core.model.checks import fail as _fail
from core.model.checks import plain as _plain
from core.model.checks import problem as _problem
from core.model.workloads import _Resource

# --- facts ------------------------------------------------------------------------------------------

BUCKET_ACCESS_MODES = ("private", "public-read", "public-read-write")
HEADER_PRESETS = (
    "single-page-app", "static-website", "gatsby-static-website", "astro-static-website",
    "sveltekit-static-website", "nuxt-static-website",
)  # fmt: skip
STORAGE_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE")
# S3 refuses to move objects into the infrequent-access classes before they are 30 days old.
MIN_DAYS_BEFORE_CLASS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
BUCKET_CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE", "PATCH", "*")
KEY_TYPES = ("string", "number", "binary")
STREAM_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
SCALING_TARGET_RANGE = (20, 90)  # percent; what DynamoDB auto scaling accepts as target utilisation
INDEX_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
EFS_THROUGHPUT_MODES = ("elastic", "provisioned", "bursting")


# --- helpers ------------------------------------------------------------------------------------------


def _at_least(kind, low, what: str):
    """A number of ``kind`` that is at least ``low``; a directive in its place is accepted."""

    def check(value):
        if value >= low:
            return value
        raise PydanticCustomError("out_of_range", "{detail}", {"detail": f"{what} must be at least {low:g}, got {value:g}"})

    return Annotated[kind, AfterValidator(check), Bounds(low), DIRECTIVE_OK]


Days = _at_least(int, 1, "A number of days")
DaysOrZero = _at_least(int, 0, "A number of days")
Units = _at_least(int, 1, "Capacity units")


def _check_target(value):
    low, high = SCALING_TARGET_RANGE
    if low <= value <= high:
        return value
    raise PydanticCustomError(
        "out_of_range", "{detail}", {"detail": f"The target utilisation must be between {low} and {high} percent, got {value:g}"}
    )


UtilisationTarget = Annotated[float, AfterValidator(_check_target), Bounds(*SCALING_TARGET_RANGE), DIRECTIVE_OK]


class KeyValue(StpModel):
    key: Str = F("The name (key) part of the pair.")
    value: Str = F("The value part of the pair.")


# --- bucket: access, CORS, upload ---------------------------------------------------------------------


class BucketPolicyStatement(StpModel):
    Sid: Str | None = F("Optional label of the statement, unique within the bucket policy.", None)
    Effect: OneOf("Allow", "Deny") = F("`Allow` (default) grants the listed actions, `Deny` refuses them.", "Allow")
    Action: list[Str] | None = F("S3 actions the statement covers, e.g. `s3:GetObject`; `s3:*` covers all.", None)
    Principal: AnyValue = F(
        "Who the statement is about: `'*'` for anyone, or a map such as `{AWS: 'arn:aws:iam::123456789012:root'}` or"
        " `{Service: cloudfront.amazonaws.com}`."
    )
    Resource: list[AnyValue] = F(
        "ARNs the statement applies to: the bucket itself (`arn:aws:s3:::name`) and/or its objects"
        " (`arn:aws:s3:::name/*`). `$ResourceParam('thisBucket', 'arn')` gives the bucket's ARN."
    )
    Condition: AnyValue = F("Optional IAM condition block limiting when the statement applies.", None)


class BucketAccessibility(StpModel):
    accessibilityMode: OneOf(*BUCKET_ACCESS_MODES) = F(
        "Ready-made access levels. `private` (default): only resources and identities given IAM permissions can"
        " read or write. `public-read`: anyone on the internet can read (download) objects; writing still needs"
        " permissions. `public-read-write`: anyone can also upload and overwrite.",
        "private",
    )
    accessPolicyStatements: list[BucketPolicyStatement] | None = F(
        "Extra statements for the bucket policy, for access the modes do not cover (another account, a specific"
        " role, conditions).",
        None,
    )


class BucketCorsRule(StpModel):
    allowedOrigins: list[Str] | None = F(
        "Web origins that may call the bucket from a browser, e.g. `https://app.example.com`; `*` allows any.", None
    )
    allowedHeaders: list[Str] | None = F("Request headers browsers may send with the cross-origin request.", None)
    allowedMethods: list[OneOf(*BUCKET_CORS_METHODS)] | None = F(
        "HTTP methods allowed cross-origin: " + ", ".join(f"`{m}`" for m in BUCKET_CORS_METHODS) + " (`*` for all).",
        None,
    )
    exposedResponseHeaders: list[Str] | None = F(
        "Response headers that scripts in the browser may read, e.g. `ETag`.", None
    )
    maxAge: _at_least(int, 0, "'maxAge'") | None = F(
        "Seconds browsers may cache the answer to a pre-flight request.", None
    )


class BucketCors(StpModel):
    enabled: Bool = F(
        "Answer browsers' cross-origin (CORS) requests. Without `corsRules`, a permissive rule is used: any origin,"
        " every method."
    )
    corsRules: list[BucketCorsRule] | None = F(
        "Your own CORS rules; for each request the first rule that matches is used.", None
    )


class DirectoryUploadFileOptions(StpModel):
    includePattern: Str = F("Glob of the files these options apply to, relative to the directory, e.g. `*.html` or `assets/**`.")
    excludePattern: Str | None = F("Glob of files to leave out even though they match `includePattern`.", None)
    headers: list[KeyValue] | None = F(
        "HTTP headers stored with the matching files and sent when they are downloaded (also through a CDN), e.g."
        " `Cache-Control`.",
        None,
    )
    tags: list[KeyValue] | None = F(
        "Tags put on the matching objects; lifecycle rules can select objects by tag.", None
    )


class DirectoryUpload(StpModel):
    directoryPath: Str = F(
        "Local folder, relative to the project root, whose content is uploaded on every deploy. The bucket is made"
        " to mirror it: objects not in the folder are deleted, so do not use this for buckets your app writes to."
    )
    fileOptions: list[DirectoryUploadFileOptions] | None = F(
        "Headers or tags for files matching given patterns.", None
    )
    excludeFilesPatterns: list[Str] | None = F("Globs of files not to upload, relative to `directoryPath`.", None)
    headersPreset: OneOf(*HEADER_PRESETS) | None = F(
        "Caching headers tuned for a kind of site. `single-page-app`: HTML is never cached, fingerprinted assets"
        " forever. `static-website`: cached by the CDN, not by browsers. `gatsby-static-website`,"
        " `astro-static-website`, `sveltekit-static-website`, `nuxt-static-website`: the same idea, following"
        " each framework's build output. `fileOptions` headers take precedence.",
        None,
    )
    disableS3TransferAcceleration: Bool = F(
        "Upload through the regular S3 endpoint instead of the accelerated one: slower from far away, but without"
        " the per-GB acceleration fee. Default: false.",
        False,
    )


# --- bucket: lifecycle rules --------------------------------------------------------------------------


class _LifecycleFilter(StpModel):
    prefix: Str | None = F("Apply the rule only to objects whose key starts with this, e.g. `logs/`.", None)
    tags: list[KeyValue] | None = F("Apply the rule only to objects carrying all these tags.", None)


class ExpirationProps(_LifecycleFilter):
    daysAfterUpload: Days = F("Delete objects this many days after they were uploaded (at least 1).")


class ExpirationRule(StpModel):
    type: Literal["expiration"] = F("Delete objects once they reach a given age.")
    properties: ExpirationProps = F("Age at which objects are deleted and which objects the rule affects.")


class ClassTransitionProps(_LifecycleFilter):
    daysAfterUpload: DaysOrZero = F(
        "Move objects this many days after upload. `STANDARD_IA` and `ONEZONE_IA` need at least 30."
    )
    storageClass: OneOf(*STORAGE_CLASSES) = F(
        "Where objects move: `STANDARD_IA` / `ONEZONE_IA` (infrequent access, instant reads; one-zone is cheaper"
        " but kept in a single zone), `INTELLIGENT_TIERING` (AWS moves objects by access pattern), `GLACIER`"
        " (archive, retrieval in minutes to hours) or `DEEP_ARCHIVE` (cheapest, retrieval within about 12 hours)."
    )


class ClassTransitionRule(StpModel):
    type: Literal["class-transition"] = F("Move objects to a cheaper storage class once they reach a given age.")
    properties: ClassTransitionProps = F("Age, target storage class and which objects the rule affects.")


class NonCurrentExpirationProps(_LifecycleFilter):
    daysAfterVersioned: Days = F(
        "Delete an old version this many days after a newer version replaced it (at least 1). Needs"
        " `versioning: true`."
    )


class NonCurrentExpirationRule(StpModel):
    type: Literal["non-current-version-expiration"] = F(
        "Delete old (non-current) versions of objects some time after they were replaced. Needs `versioning: true`."
    )
    properties: NonCurrentExpirationProps = F("When old versions are deleted and which objects the rule affects.")


class NonCurrentClassTransitionProps(_LifecycleFilter):
    daysAfterVersioned: DaysOrZero = F(
        "Move an old version this many days after a newer version replaced it. `STANDARD_IA` and `ONEZONE_IA` need"
        " at least 30."
    )
    storageClass: OneOf(*STORAGE_CLASSES) = F(
        "Where old versions move: `STANDARD_IA`, `ONEZONE_IA`, `INTELLIGENT_TIERING`, `GLACIER` or `DEEP_ARCHIVE`."
    )


class NonCurrentClassTransitionRule(StpModel):
    type: Literal["non-current-version-class-transition"] = F(
        "Move old (non-current) versions to a cheaper storage class. Needs `versioning: true`."
    )
    properties: NonCurrentClassTransitionProps = F("When old versions move, where to, and which objects the rule affects.")


class AbortUploadProps(_LifecycleFilter):
    daysAfterInitiation: Days = F(
        "Discard the parts of a multipart upload not completed this many days after it started (at least 1)."
    )


class AbortUploadRule(StpModel):
    type: Literal["abort-incomplete-multipart-upload"] = F(
        "Clean up multipart uploads that were never finished; their parts are otherwise stored (and billed) forever."
    )
    properties: AbortUploadProps = F("How long unfinished uploads may stay. Selecting by `tags` is not possible here.")


LifecycleRule = Annotated[
    ExpirationRule | ClassTransitionRule | NonCurrentExpirationRule | NonCurrentClassTransitionRule | AbortUploadRule,
    Field(discriminator="type"),
]
_NEEDS_VERSIONING = ("non-current-version-expiration", "non-current-version-class-transition")


# --- bucket ----------------------------------------------------------------------------------------------


class BucketProps(StpModel):
    directoryUpload: DirectoryUpload | None = F(
        "Upload a local folder into the bucket on every deploy (static sites, assets). Replaces what was there.", None
    )
    accessibility: BucketAccessibility | None = F(
        "Who may read and write objects. Default: private (only resources and identities with IAM permissions).", None
    )
    cors: BucketCors | None = F("Cross-origin (CORS) settings, for browsers that talk to the bucket directly.", None)
    versioning: Bool | None = F(
        "Keep every version of an object when it is overwritten or deleted, so mistakes can be undone. Old versions"
        " are billed as storage; pair with a non-current-version lifecycle rule.",
        None,
    )
    encryption: Bool | None = F("Encrypt stored objects at rest with S3-managed keys (AES-256).", None)
    lifecycleRules: list[LifecycleRule] | None = F(
        "Rules that delete objects or move them to cheaper storage classes as they age, and clean up unfinished"
        " uploads.",
        None,
    )
    enableEventBusNotifications: Bool = F(
        "Publish bucket events (object created, deleted, restored…) to the account's default EventBridge bus,"
        " where functions and queues can subscribe to them. Default: false.",
        False,
    )
    cdn: BucketCdnConfig | None = F(
        "Serve the bucket through a CloudFront CDN: cached close to users, custom domains, SPA route rewrites.", None
    )

    @model_validator(mode="after")
    def _lifecycle_rules(self):
        problems: list[InitErrorDetails] = []
        versioned = _plain(self.versioning)
        undecided = versioned is None and self.versioning is not None  # a directive
        for i, rule in enumerate(self.lifecycleRules or ()):
            props = rule.properties
            if rule.type in _NEEDS_VERSIONING and versioned is not True and not undecided:
                problems.append(_problem(
                    ("lifecycleRules", i, "type"),
                    f"A '{rule.type}' rule acts on old object versions, which only exist with 'versioning: true'"
                    " on the bucket",
                    rule.type,
                ))
            if rule.type == "abort-incomplete-multipart-upload" and props.tags:
                problems.append(_problem(
                    ("lifecycleRules", i, "properties", "tags"),
                    "S3 cannot select unfinished uploads by tag; use 'prefix' or no filter",
                    None,
                ))
            storage_class = _plain(getattr(props, "storageClass", None))
            least = MIN_DAYS_BEFORE_CLASS.get(storage_class)
            if least is not None:
                key = "daysAfterUpload" if rule.type == "class-transition" else "daysAfterVersioned"
                days = _plain(getattr(props, key))
                if isinstance(days, int) and days < least:
                    problems.append(_problem(
                        ("lifecycleRules", i, "properties", key),
                        f"S3 moves objects to {storage_class} only after at least {least} days; got {days}",
                        days,
                    ))
        _fail(type(self).__name__, problems)
        return self


class Bucket(_Resource):
    type: Literal["bucket"] = F(
        "An S3 bucket for files of any kind: uploads, images, backups, static sites. Pay for what is stored and"
        " transferred."
    )
    properties: BucketProps | None = F(
        "Access, CORS, versioning, lifecycle rules, folder upload and CDN. May be left out to take every default.",
        None,
    )


# --- dynamo-db-table ------------------------------------------------------------------------------------


class KeyAttribute(StpModel):
    name: Str = F("Name of the item attribute used as the key.")
    type: OneOf(*KEY_TYPES) = F(
        "Type of the key attribute: `string`, `number` or `binary`. Every item must have the attribute with this type."
    )


class PrimaryKey(StpModel):
    partitionKey: KeyAttribute = F(
        "The attribute DynamoDB hashes to place items. Alone (no `sortKey`) it must be unique per item."
    )
    sortKey: KeyAttribute | None = F(
        "A second key attribute: items sharing a partition key are stored sorted by it and must differ in it,"
        " which allows range queries within a partition.",
        None,
    )


class SecondaryIndex(StpModel):
    name: Str = F("Name of the global secondary index, used when querying it: 3-255 letters, digits, `_`, `-` or `.`.")
    partitionKey: KeyAttribute = F("Attribute the index is partitioned by.")
    sortKey: KeyAttribute | None = F("Attribute the index is sorted by within a partition.", None)
    projections: list[Str] | None = F(
        "Extra attributes copied into the index, so queries on it can return them. The table's and the index's key"
        " attributes are always included. Default: all attributes are copied.",
        None,
    )


class ThroughputScaling(StpModel):
    minUnits: Units = F("Fewest capacity units auto scaling goes down to (at least 1).")
    maxUnits: Units = F("Most capacity units auto scaling goes up to.")
    keepUtilizationUnder: UtilisationTarget = F(
        "Target share of the provisioned capacity to use, in percent (20-90): above it capacity is added, well"
        " below it removed."
    )

    @model_validator(mode="after")
    def _order(self):
        low, high = _plain(self.minUnits), _plain(self.maxUnits)
        if isinstance(low, int) and isinstance(high, int) and high < low:
            _fail(type(self).__name__, [_problem(("maxUnits",), f"'maxUnits' ({high}) is below 'minUnits' ({low})", high)])
        return self


class ProvisionedThroughput(StpModel):
    readUnits: Units = F(
        "Read capacity units per second: one is a strongly consistent read (or two eventually consistent ones) of"
        " an item up to 4 KB. Reads beyond it are throttled."
    )
    writeUnits: Units = F("Write capacity units per second: one is a write of an item up to 1 KB. Writes beyond it are throttled.")
    readScaling: ThroughputScaling | None = F("Let read capacity follow the load within limits.", None)
    writeScaling: ThroughputScaling | None = F("Let write capacity follow the load within limits.", None)


class DynamoDevMode(StpModel):
    remote: Bool = F(
        "During `stacktape dev`, use the deployed table instead of a local DynamoDB container. Default: false.", False
    )


class DynamoDbTableProps(StpModel):
    primaryKey: PrimaryKey = F(
        "The key identifying each item: a partition key, optionally with a sort key. Cannot be changed after the"
        " table is created."
    )
    provisionedThroughput: ProvisionedThroughput | None = F(
        "Pay for fixed read/write capacity (optionally auto-scaled). Left out, the table runs on demand and is"
        " billed per request.",
        None,
    )
    enablePointInTimeRecovery: Bool | None = F(
        "Keep continuous backups so the table can be restored (into a new table) to any second of the last 35"
        " days. Costs extra.",
        None,
    )
    streamType: OneOf(*STREAM_TYPES) | None = F(
        "Record every item change in a stream that functions or batch jobs can consume. What each record holds:"
        " `KEYS_ONLY` (the keys), `NEW_IMAGE` (the item after the change), `OLD_IMAGE` (before) or"
        " `NEW_AND_OLD_IMAGES` (both). Unset: no stream.",
        None,
    )
    secondaryIndexes: list[SecondaryIndex] | None = F(
        "Global secondary indexes: extra keys the table can be queried by.", None
    )
    dev: DynamoDevMode | None = F("How `stacktape dev` provides this table: a local container (default) or the deployed one.", None)

    @model_validator(mode="after")
    def _key_rules(self):
        problems: list[InitErrorDetails] = []
        declared: dict[str, tuple[str, tuple]] = {}

        def declare(attr: KeyAttribute, loc: tuple):
            name, kind = _plain(attr.name), _plain(attr.type)
            if name is None or kind is None:
                return
            if name in declared and declared[name][0] != kind:
                first_kind, first_loc = declared[name]
                problems.append(_problem(
                    loc + ("type",),
                    f"Attribute '{name}' is already a {first_kind} key at {_dotted(first_loc)}; one attribute can"
                    f" have only one key type",
                    kind,
                ))
            declared.setdefault(name, (kind, loc))

        key = self.primaryKey
        declare(key.partitionKey, ("primaryKey", "partitionKey"))
        if key.sortKey is not None:
            if _plain(key.sortKey.name) is not None and key.sortKey.name == key.partitionKey.name:
                problems.append(_problem(
                    ("primaryKey", "sortKey", "name"),
                    f"'{key.sortKey.name}' is already the partition key; the sort key must be another attribute",
                    key.sortKey.name,
                ))
            else:
                declare(key.sortKey, ("primaryKey", "sortKey"))
        seen_names: dict[str, int] = {}
        for i, index in enumerate(self.secondaryIndexes or ()):
            name = _plain(index.name)
            if name is not None and not INDEX_NAME.fullmatch(name):
                problems.append(_problem(
                    ("secondaryIndexes", i, "name"),
                    f"'{name}' cannot be an index name: use 3-255 letters, digits, '_', '-' or '.'",
                    name,
                ))
            elif name is not None and name in seen_names:
                problems.append(_problem(
                    ("secondaryIndexes", i, "name"),
                    f"Another index (secondaryIndexes[{seen_names[name]}]) is already named '{name}'",
                    name,
                ))
            if name is not None:
                seen_names.setdefault(name, i)
            declare(index.partitionKey, ("secondaryIndexes", i, "partitionKey"))
            if index.sortKey is not None:
                if _plain(index.sortKey.name) is not None and index.sortKey.name == index.partitionKey.name:
                    problems.append(_problem(
                        ("secondaryIndexes", i, "sortKey", "name"),
                        f"'{index.sortKey.name}' is already this index's partition key; the sort key must be another"
                        " attribute",
                        index.sortKey.name,
                    ))
                else:
                    declare(index.sortKey, ("secondaryIndexes", i, "sortKey"))
        _fail(type(self).__name__, problems)
        return self


def _dotted(loc: tuple) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else (("." if n else "") + step) for n, step in enumerate(loc))


class DynamoDbTable(_Resource):
    type: Literal["dynamo-db-table"] = F(
        "A DynamoDB table: a serverless key-value and document database with single-digit millisecond latency."
    )
    properties: DynamoDbTableProps = F("Keys, capacity mode, indexes, change stream and backups of the table.")


# --- efs-filesystem -------------------------------------------------------------------------------------


class EfsFilesystemProps(StpModel):
    backupEnabled: Bool | None = F(
        "Back the file system up daily with AWS Backup (incremental, kept 35 days).", None
    )
    throughputMode: OneOf(*EFS_THROUGHPUT_MODES) = F(
        "How throughput is provided. `elastic` (default): follows demand, billed per use - best for spiky loads."
        " `provisioned`: a fixed rate you pay for, set in `provisionedThroughputInMibps` - for steady heavy loads."
        " `bursting`: grows with the amount stored, with burst credits - for small, mostly idle file systems.",
        "elastic",
    )
    provisionedThroughputInMibps: _at_least(float, 1, "'provisionedThroughputInMibps'") | None = F(
        "Guaranteed throughput in MiB/s (at least 1); required with `throughputMode: provisioned` and only used"
        " then. Billed whether used or not.",
        None,
    )

    @model_validator(mode="after")
    def _provisioned(self):
        mode = _plain(self.throughputMode)
        if mode is None:
            return self
        if mode == "provisioned" and self.provisionedThroughputInMibps is None:
            # reported like any missing key: the mode cannot work without it
            _fail(type(self).__name__, [InitErrorDetails(type="missing", loc=("provisionedThroughputInMibps",), input=None)])
        if mode != "provisioned" and self.provisionedThroughputInMibps is not None:
            _fail(type(self).__name__, [_problem(
                ("provisionedThroughputInMibps",),
                f"'provisionedThroughputInMibps' only applies with 'throughputMode: provisioned' (it is '{mode}')",
                self.provisionedThroughputInMibps,
            )])
        return self


class EfsFilesystem(_Resource):
    type: Literal["efs-filesystem"] = F(
        "An EFS network file system: persistent storage that containers can mount and share, growing as needed."
    )
    properties: EfsFilesystemProps | None = F(
        "Throughput mode and backups. May be left out to take every default.", None
    )


RESOURCES = {"bucket": Bucket, "dynamo-db-table": DynamoDbTable, "efs-filesystem": EfsFilesystem}
