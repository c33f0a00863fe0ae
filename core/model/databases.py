"""Managed databases: `relational-database` (RDS / Aurora) and `redis-cluster` (ElastiCache).

The database `engine` is a union on `type` with four shapes:

- single-instance RDS engines (`postgres`, `mysql`, `mariadb`, `oracle-*`, `sqlserver-*`):
  a `primaryInstance`, optional `readReplicas` and auto-growing `storage`;
- Aurora clusters (`aurora-postgresql`, `aurora-mysql`): a list of `instances`;
- Aurora Serverless v1 (`aurora-*-serverless`): `minCapacity`/`maxCapacity` in power-of-two
  capacity units and optional pausing;
- Aurora Serverless v2 (`aurora-*-serverless-v2`): capacity in half-unit steps and reader count.

Checks that need more than one field (engine-specific log options, capacity ranges, sharding
settings) live in model validators and report on the exact key at fault. Values that are
directives are never judged: they resolve at deploy time.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.model.alarms import RelationalDatabaseAlarm
from core.model.base import DIRECTIVE_OK, Bool, F, Int, Num, OneOf, StpModel, Str
from core.model.checks import fail as _fail
from core.model.checks import plain as _plain
from core.model.checks import problem as _problem
from core.model.common import LogForwarding, RetentionDays, retention_days
from core.model.workloads import _Resource
from core.source.directives import Directive

# --- facts ------------------------------------------------------------------------------------------

RDS_ENGINE_TYPES = (
    "postgres", "mysql", "mariadb", "oracle-ee", "oracle-se2",
    "sqlserver-ee", "sqlserver-ex", "sqlserver-se", "sqlserver-web",
)  # fmt: skip
AURORA_ENGINE_TYPES = ("aurora-postgresql", "aurora-mysql")
AURORA_SERVERLESS_V1_TYPES = ("aurora-postgresql-serverless", "aurora-mysql-serverless")
AURORA_SERVERLESS_V2_TYPES = ("aurora-postgresql-serverless-v2", "aurora-mysql-serverless-v2")
ENGINE_TYPES = RDS_ENGINE_TYPES + AURORA_ENGINE_TYPES + AURORA_SERVERLESS_V1_TYPES + AURORA_SERVERLESS_V2_TYPES

POSTGRES_FAMILY = frozenset(t for t in ENGINE_TYPES if "postgres" in t)
MYSQL_FAMILY = frozenset(t for t in ENGINE_TYPES if "mysql" in t or t == "mariadb")

POSTGRES_LOG_OPTIONS = ("log_connections", "log_disconnections", "log_lock_waits", "log_min_duration_statement", "log_statement")
MYSQL_LOG_OPTIONS = ("long_query_time", "server_audit_events")
AUDIT_EVENTS = ("CONNECT", "QUERY", "QUERY_DDL", "QUERY_DML", "QUERY_DML_NO_SELECT", "QUERY_DCL")

# Aurora Serverless v1 only scales between fixed capacity steps, different per engine.
SERVERLESS_V1_CAPACITIES = {
    "aurora-mysql-serverless": (1, 2, 4, 8, 16, 32, 64, 128, 256),
    "aurora-postgresql-serverless": (2, 4, 8, 16, 32, 64, 192, 384),
}

VERSION_EXAMPLES = {
    "postgres": "16.6", "aurora-postgresql": "16.6", "aurora-postgresql-serverless": "13.12",
    "aurora-postgresql-serverless-v2": "16.6", "mysql": "8.0.40", "mariadb": "10.11.9",
    "aurora-mysql": "8.0.mysql_aurora.3.08.0", "aurora-mysql-serverless": "5.7.mysql_aurora.2.11.4",
    "aurora-mysql-serverless-v2": "8.0.mysql_aurora.3.08.0",
    "oracle-ee": "19.0.0.0.ru-2024-10.rur-2024-10.r1", "oracle-se2": "19.0.0.0.ru-2024-10.rur-2024-10.r1",
    "sqlserver-ee": "16.00.4150.1.v1", "sqlserver-ex": "16.00.4150.1.v1", "sqlserver-se": "16.00.4150.1.v1",
    "sqlserver-web": "16.00.4150.1.v1",
}  # fmt: skip

REDIS_VERSIONS = ("6.0", "6.2", "7.0", "7.1")
REDIS_INSTANCE_SIZES = tuple(
    f"cache.{family}.{size}"
    for family, sizes in (
        ("t2", ("micro", "small", "medium")),
        ("t3", ("micro", "small", "medium")),
        ("t4g", ("micro", "small", "medium")),
        ("m4", ("large", "xlarge", "2xlarge", "4xlarge", "10xlarge")),
        ("m5", ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge")),
        ("m6g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
        ("m7g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
        ("r4", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")),
        ("r5", ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge")),
        ("r6g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
        ("r7g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
    )
    for size in sizes
)


# --- helpers ------------------------------------------------------------------------------------------


def _again(err: dict) -> InitErrorDetails:
    """Turn a reported error back into something ``from_exception_data`` accepts."""
    ctx = err.get("ctx")
    try:
        ValidationError.from_exception_data("probe", [InitErrorDetails(type=err["type"], loc=(), input=None, ctx=ctx or {})])
        detail = InitErrorDetails(type=err["type"], loc=err["loc"], input=err["input"])
        if ctx:
            detail["ctx"] = ctx
        return detail
    except (KeyError, TypeError, ValueError):  # our own error kinds: keep the rendered message
        return InitErrorDetails(
            type=PydanticCustomError(err["type"], "{detail}", {"detail": err["msg"]}), loc=err["loc"], input=err["input"]
        )


def _shaped(check, problem: str):
    """A text that must pass ``check``; text holding a directive (`$...`) is left alone."""

    def validate(value: str) -> str:
        if "$" in value or check(value):
            return value
        raise PydanticCustomError("invalid_setting", "{detail}", {"detail": problem.format(value=value)})

    return AfterValidator(validate)


def _matches(regex: str):
    rx = re.compile(regex)
    return lambda value: rx.fullmatch(value) is not None


def _is_ip_or_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


_VERSION_SHAPE = re.compile(r"\d+(\.[0-9A-Za-z_-]+)+")


def _version_problem(version, engine_type: str | None) -> str | None:
    """Why ``version`` is not a usable engine version, or None when it is (or cannot be judged)."""
    # Plain `str` fields hand back plain text, so a directive is recognised by its `$`.
    if not isinstance(version, str) or "$" in version or _VERSION_SHAPE.fullmatch(version):
        return None
    example = VERSION_EXAMPLES.get(engine_type or "", "16.6")
    return (
        f"'{version}' is not a full engine version: give major and minor version (and patch where the engine"
        f" has one), e.g. '{example}'"
    )


_DAY_TIME = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d"

InstanceSize = Annotated[
    Str,
    _shaped(
        _matches(r"db\.[a-z0-9-]+(\.[a-z0-9]+)+"),
        "'{value}' is not an RDS instance class; those look like 'db.t4g.micro' or 'db.r6g.large'",
    ),
]
DatabaseName = Annotated[
    Str,
    _shaped(
        _matches(r"[A-Za-z][A-Za-z0-9_]{0,62}"),
        "'{value}' cannot be a database name: start with a letter and use only letters, digits and"
        " underscores (at most 63 characters)",
    ),
]
MasterUserName = Annotated[
    Str,
    _shaped(
        _matches(r"[A-Za-z][A-Za-z0-9_]{0,62}"),
        "'{value}' cannot be a master user name: start with a letter and use only letters, digits and underscores",
    ),
]
MasterPassword = Annotated[
    Str,
    _shaped(
        lambda v: len(v) >= 8 and all(33 <= ord(c) <= 126 and c not in '/"@' for c in v),
        "The master password must be at least 8 printable ASCII characters without spaces, '/', '\"' or '@'",
    ),
]
RedisPassword = Annotated[
    Str,
    _shaped(
        lambda v: 16 <= len(v) <= 128 and all(32 <= ord(c) <= 126 and c not in '/"@' for c in v),
        "The Redis password must be 16-128 printable ASCII characters without '/', '\"' or '@'",
    ),
]
MaintenanceWindow = Annotated[
    Str,
    _shaped(
        _matches(f"{_DAY_TIME}-{_DAY_TIME}"),
        "'{value}' is not a maintenance window; write it as 'Day:HH:MM-Day:HH:MM' in UTC with days Mon-Sun,"
        " e.g. 'Sun:02:00-Sun:04:00'",
    ),
]
IpRange = Annotated[
    Str,
    _shaped(_is_ip_or_cidr, "'{value}' is neither an IP address nor a CIDR range such as '203.0.113.7/32'"),
]
BackupDays = Annotated[int, Field(ge=0, le=35), DIRECTIVE_OK]
Port = Annotated[int, Field(ge=1150, le=65535), DIRECTIVE_OK]
Count = Annotated[int, Field(ge=0), DIRECTIVE_OK]
GiB = Annotated[int, Field(ge=20, le=65536), DIRECTIVE_OK]


# --- shared pieces ----------------------------------------------------------------------------------


class DevMode(StpModel):
    remote: Bool = F(
        "During `stacktape dev`, connect to the deployed AWS copy instead of starting a local one in Docker."
        " Default: false (local container).",
        False,
    )


# --- relational-database: engines ---------------------------------------------------------------------


class _SharedEngineProps(StpModel):
    version: Str = F(
        "The engine version to run, written as text with at least a major and a minor part. Examples: `'16.6'`"
        " for PostgreSQL, `'8.0.40'` for MySQL, `'8.0.mysql_aurora.3.08.0'` for Aurora MySQL. Quote it so YAML"
        " keeps it text."
    )
    dbName: DatabaseName | None = F(
        "Name of the database created together with the server. Default: `defdb`. For Oracle this is the SID"
        " (at most 8 characters); SQL Server engines take none.",
        None,
    )
    disableAutoMinorVersionUpgrade: Bool = F(
        "Keep the exact version: do not apply minor upgrades (e.g. 16.4 to 16.5) in the maintenance window."
        " Default: false (minor upgrades are applied automatically).",
        False,
    )


class RdsInstance(StpModel):
    instanceSize: InstanceSize = F(
        "The instance class, which fixes vCPUs and memory. Examples: `db.t4g.micro` (burstable, for development),"
        " `db.m7g.large` (general purpose), `db.r6g.large` (memory heavy)."
    )
    multiAz: Bool | None = F(
        "Keep a synchronous standby copy in a second availability zone that takes over automatically if this"
        " instance or its zone fails. Roughly doubles the instance price. Default: false.",
        None,
    )


class RdsStorage(StpModel):
    initialSize: GiB = F("Disk space allocated at creation, in GiB (at least 20). Default: 20.", 20)
    maxSize: GiB = F(
        "Upper limit in GiB up to which the disk grows on its own when it runs low on free space. Default: 200.", 200
    )

    @model_validator(mode="after")
    def _growth_fits(self):
        initial, most = _plain(self.initialSize), _plain(self.maxSize)
        if isinstance(initial, int) and isinstance(most, int) and most < initial:
            _fail(type(self).__name__, [_problem(("maxSize",), f"'maxSize' ({most} GiB) is below 'initialSize' ({initial} GiB)", most)])
        return self


class RdsEngineProps(_SharedEngineProps):
    port: Port | None = F(
        "TCP port the server accepts connections on (1150-65535). Default: the engine's usual port - 5432 for"
        " PostgreSQL, 3306 for MySQL and MariaDB, 1521 for Oracle, 1433 for SQL Server.",
        None,
    )
    storage: RdsStorage | None = F("Disk size at creation and how far it may grow by itself.", None)
    primaryInstance: RdsInstance = F("The instance that serves writes (and reads not sent to a replica).")
    readReplicas: list[RdsInstance] | None = F(
        "Extra read-only copies, each with its own address, kept up to date asynchronously. Use them to take"
        " read traffic off the primary.",
        None,
    )


class RdsEngine(StpModel):
    type: Literal[
        "postgres", "mysql", "mariadb", "oracle-ee", "oracle-se2",
        "sqlserver-ee", "sqlserver-ex", "sqlserver-se", "sqlserver-web",
    ] = F(
        "A classic RDS server with a fixed instance size: `postgres`, `mysql`, `mariadb`, Oracle (`oracle-ee`,"
        " `oracle-se2`) or SQL Server (`sqlserver-ee`, `sqlserver-se`, `sqlserver-web`, `sqlserver-ex`)."
    )  # fmt: skip
    properties: RdsEngineProps = F("Version, instance sizes, replicas and storage of the server.")

    @model_validator(mode="after")
    def _engine_rules(self):
        problems = _engine_version_problems(self)
        if self.type.startswith("sqlserver") and self.properties.dbName is not None:
            problems.append(_problem(
                ("properties", "dbName"),
                "SQL Server engines create no initial database, so 'dbName' cannot be set; create databases yourself"
                " after deployment",
                self.properties.dbName,
            ))
        _fail(type(self).__name__, problems)
        return self


class AuroraInstance(StpModel):
    instanceSize: InstanceSize = F(
        "The instance class of this cluster member. Examples: `db.t4g.medium` (burstable), `db.r6g.large`"
        " (memory optimised). Aurora does not offer the smallest micro classes."
    )


class AuroraEngineProps(_SharedEngineProps):
    port: Port | None = F(
        "TCP port of the cluster (1150-65535). Default: 5432 for Aurora PostgreSQL, 3306 for Aurora MySQL.", None
    )
    instances: list[AuroraInstance] = F(
        "Members of the cluster. The first one is the writer; every further one is a reader that also takes over"
        " as writer if the writer fails. All share the same storage volume.",
        min_length=1,
    )


class AuroraEngine(StpModel):
    type: Literal["aurora-postgresql", "aurora-mysql"] = F(
        "An Aurora cluster of provisioned instances on shared, self-replicating storage: `aurora-postgresql` or"
        " `aurora-mysql`."
    )
    properties: AuroraEngineProps = F("Version and instances of the cluster.")

    @model_validator(mode="after")
    def _engine_rules(self):
        _fail(type(self).__name__, _engine_version_problems(self))
        return self


class AuroraServerlessEngineProps(StpModel):
    version: Str | None = F(
        "Engine version, e.g. `'13.12'` for PostgreSQL. Default: the version AWS currently offers for Serverless v1.",
        None,
    )
    dbName: DatabaseName | None = F("Name of the database created with the cluster. Default: `defdb`.", None)
    disableAutoMinorVersionUpgrade: Bool = F(
        "Do not apply minor version upgrades automatically. Default: false.", False
    )
    minCapacity: Num = F(
        "Fewest Aurora capacity units (ACU, about 2 GiB of memory each) the cluster scales down to. Aurora MySQL"
        " takes 1, 2, 4, 8, 16, 32, 64, 128 or 256; Aurora PostgreSQL 2, 4, 8, 16, 32, 64, 192 or 384. Default: 2.",
        2,
    )
    maxCapacity: Num = F(
        "Most capacity units the cluster scales up to; same allowed steps as `minCapacity`. Default: 4.", 4
    )
    pauseAfterSeconds: Int | None = F(
        "Pause the cluster after this many seconds without connections (300-86400); while paused only storage is"
        " billed and the first new connection waits for it to resume. Unset: never pause.",
        None,
    )


class AuroraServerlessEngine(StpModel):
    type: Literal["aurora-postgresql-serverless", "aurora-mysql-serverless"] = F(
        "Aurora Serverless v1 (`aurora-postgresql-serverless`, `aurora-mysql-serverless`): scales in coarse steps"
        " and can pause when idle. Older generation; prefer the `-v2` engines for new databases. Reachable only"
        " from inside the VPC."
    )
    properties: AuroraServerlessEngineProps | None = F(
        "Version, capacity range and pausing. May be left out to take every default.", None
    )

    @model_validator(mode="after")
    def _engine_rules(self):
        props = self.properties
        if props is None:
            return self
        problems = _engine_version_problems(self)
        allowed = SERVERLESS_V1_CAPACITIES[self.type]
        for key in ("minCapacity", "maxCapacity"):
            if key not in props.model_fields_set:
                continue
            value = _plain(getattr(props, key))
            if isinstance(value, (int, float)) and value not in allowed:
                problems.append(_problem(
                    ("properties", key),
                    f"{value:g} is not a capacity {self.type} can use; allowed: {', '.join(map(str, allowed))}",
                    value,
                ))
        problems.extend(_capacity_order(props))
        pause = _plain(props.pauseAfterSeconds)
        if isinstance(pause, int) and not 300 <= pause <= 86400:
            problems.append(_problem(
                ("properties", "pauseAfterSeconds"), f"'pauseAfterSeconds' must be between 300 and 86400, got {pause}", pause
            ))
        _fail(type(self).__name__, problems)
        return self


class AuroraServerlessV2EngineProps(_SharedEngineProps):
    minCapacity: Num = F(
        "Fewest Aurora capacity units (ACU, about 2 GiB of memory each) kept running, in steps of 0.5. Default: 0.5.",
        0.5,
    )
    maxCapacity: Num = F(
        "Most capacity units the database may scale up to, in steps of 0.5 (up to 128, or 256 on recent"
        " versions). Caps the cost. Default: 10.",
        10,
    )
    serverlessReadersCount: Count = F(
        "Reader instances added next to the single writer; each scales within the same capacity range and can"
        " take over if the writer fails. Default: 0 (writer only).",
        0,
    )


class AuroraServerlessV2Engine(StpModel):
    type: Literal["aurora-postgresql-serverless-v2", "aurora-mysql-serverless-v2"] = F(
        "Aurora Serverless v2 (`aurora-postgresql-serverless-v2`, `aurora-mysql-serverless-v2`): capacity follows"
        " the load in half-unit steps and you pay per capacity-unit hour. A good default for new databases."
    )
    properties: AuroraServerlessV2EngineProps = F("Version, capacity range and readers.")

    @model_validator(mode="after")
    def _engine_rules(self):
        props = self.properties
        problems = _engine_version_problems(self)
        for key in ("minCapacity", "maxCapacity"):
            value = _plain(getattr(props, key))
            if isinstance(value, (int, float)) and (value * 2 != int(value * 2) or not 0 <= value <= 256):
                problems.append(_problem(
                    ("properties", key), f"'{key}' must be a multiple of 0.5 between 0.5 and 256, got {value:g}", value
                ))
        problems.extend(_capacity_order(props))
        _fail(type(self).__name__, problems)
        return self


def _engine_version_problems(engine) -> list[InitErrorDetails]:
    props = engine.properties
    message = _version_problem(getattr(props, "version", None), engine.type)
    return [_problem(("properties", "version"), message, props.version)] if message else []


def _capacity_order(props) -> list[InitErrorDetails]:
    low, high = _plain(props.minCapacity), _plain(props.maxCapacity)
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and high < low:
        return [_problem(("properties", "maxCapacity"), f"'maxCapacity' ({high:g}) is below 'minCapacity' ({low:g})", high)]
    return []


def _check_unknown_engine(value, handler):
    """When the engine `type` is unknown, still check what every engine shares (its version).

    Without this a wrong type hides every other mistake in the block until it is fixed.
    """
    try:
        return handler(value)
    except ValidationError as exc:
        errors = exc.errors()
        if not (len(errors) == 1 and errors[0]["type"] == "union_tag_invalid" and errors[0]["loc"] == ()):
            raise
        props = value.get("properties") if isinstance(value, dict) else None
        message = _version_problem(props.get("version"), None) if isinstance(props, dict) else None
        if message is None:
            raise
        _fail(exc.title, [_again(errors[0]), _problem(("properties", "version"), message, props.get("version"))])
        raise


DatabaseEngine = Annotated[
    Union[RdsEngine, AuroraEngine, AuroraServerlessEngine, AuroraServerlessV2Engine],
    Field(discriminator="type"),
    WrapValidator(_check_unknown_engine),
]


# --- relational-database: the rest --------------------------------------------------------------------


class DatabaseCredentials(StpModel):
    masterUserName: MasterUserName = F(
        "User name of the administrator account. Default: `db_master_user`. Changing it later replaces the"
        " database, and with it all data.",
        "db_master_user",
    )
    masterUserPassword: MasterPassword = F(
        "The password of the administrator account. At least 8 printable characters without spaces, `/`, `\"`"
        " or `@`. Write `$Secret('name')` rather than the password itself."
    )


class DatabaseAccessibility(StpModel):
    accessibilityMode: OneOf("internet", "vpc", "scoping-workloads-in-vpc", "whitelisted-ips-only") = F(
        "Who may open a connection. `internet` (the default when `accessibility` is left out): anyone who has the"
        " credentials. `vpc`: resources inside the stack's VPC, plus `whitelistedIps`. `scoping-workloads-in-vpc`:"
        " only resources that list this database in `connectTo`, plus `whitelistedIps`. `whitelisted-ips-only`:"
        " only the addresses in `whitelistedIps`. Aurora Serverless v1 works only with the two VPC modes."
    )
    forceDisablePublicIp: Bool | None = F(
        "Give the database no public IP address at all, so even whitelisted outside addresses cannot reach it."
        " For Aurora this can only be chosen when the cluster is created.",
        None,
    )
    whitelistedIps: list[IpRange] | None = F(
        "IP addresses or CIDR ranges (e.g. `203.0.113.7/32`) allowed in from outside. They add to VPC access in the"
        " two VPC modes, are the only way in with `whitelisted-ips-only`, and change nothing with `internet`.",
        None,
    )


class DatabaseLogOptions(StpModel):
    """Engine-specific switches of the database log: PostgreSQL keys or MySQL/MariaDB keys, never both."""

    log_connections: Bool = F("PostgreSQL: write a log line for every new client connection. Default: false.", False)
    log_disconnections: Bool = F("PostgreSQL: write a log line when a session ends, with its duration. Default: false.", False)
    log_lock_waits: Bool = F(
        "PostgreSQL: log sessions that wait longer than the deadlock timeout for a lock, to find contention."
        " Default: false.",
        False,
    )
    log_min_duration_statement: Int = F(
        "PostgreSQL: log every statement that runs at least this many milliseconds. `0` logs all statements,"
        " `-1` none. Default: 10000.",
        10000,
    )
    log_statement: OneOf("none", "ddl", "mod", "all") = F(
        "PostgreSQL: which statements to log regardless of duration: `none`, `ddl` (schema changes such as CREATE"
        " and ALTER; the default), `mod` (schema changes plus INSERT, UPDATE, DELETE and similar) or `all`.",
        "ddl",
    )
    long_query_time: Num = F(
        "MySQL/MariaDB: queries running longer than this many seconds go to the slow-query log; fractions"
        " allowed, `-1` turns it off. Default: 10.",
        10,
    )
    server_audit_events: list[OneOf(*AUDIT_EVENTS)] = F(
        "MySQL/MariaDB: what the audit log records: `CONNECT` (logins and logouts), `QUERY` (every statement),"
        " `QUERY_DDL`, `QUERY_DML`, `QUERY_DML_NO_SELECT` or `QUERY_DCL` (only that kind of statement)."
        " Default: `[QUERY_DDL]`.",
        default_factory=lambda: ["QUERY_DDL"],
    )


class DatabaseLogging(StpModel):
    disabled: Bool = F("Export no database logs to CloudWatch at all. Default: false.", False)
    retentionDays: RetentionDays = retention_days("Days CloudWatch keeps the exported log events.", 90)
    logTypes: list[Str] | None = F(
        "Which of the engine's logs to export. PostgreSQL: `postgresql`; MySQL and MariaDB: `audit`, `error`,"
        " `general`, `slowquery`; Oracle: `alert`, `audit`, `listener`, `trace`; SQL Server: `agent`, `error`."
        " Default: the engine's main logs.",
        None,
    )
    engineSpecificOptions: DatabaseLogOptions | None = F(
        "Fine-tuning of what gets logged: slow statements, connections and statement kinds for PostgreSQL engines,"
        " slow-query threshold and audit events for MySQL/MariaDB engines. Oracle and SQL Server take none.",
        None,
    )
    logForwarding: LogForwarding | None = F(
        "Also ship the exported log lines to a third-party service (HTTP endpoint, Datadog or Highlight)"
        " through Kinesis Data Firehose.",
        None,
    )


class RelationalDatabaseProps(StpModel):
    credentials: DatabaseCredentials = F("The administrator user name and password. Both appear in the generated connection string.")
    engine: DatabaseEngine = F(
        "The database engine and the kind of servers it runs on. Choose by `type`: a single RDS server (`postgres`,"
        " `mysql`, `mariadb`, `oracle-*`, `sqlserver-*`), an Aurora cluster (`aurora-postgresql`, `aurora-mysql`)"
        " or Aurora Serverless (`aurora-*-serverless-v2`, or the older `aurora-*-serverless`)."
    )
    accessibility: DatabaseAccessibility | None = F(
        "Network access to the database. Default: reachable from the internet (still password-protected).", None
    )
    alarms: list[RelationalDatabaseAlarm] | None = F(
        "Alarms on the database's metrics (CPU, free memory and storage, connections, latency) and who is notified."
        " They add to alarms defined globally for the account.",
        None,
    )
    disabledGlobalAlarms: list[Str] | None = F("Names of globally defined alarms that should not watch this database.", None)
    automatedBackupRetentionDays: BackupDays = F(
        "Days automated daily snapshots are kept, 0-35; `0` turns automated backups off (single-instance RDS only;"
        " Aurora keeps at least one day). Default: 1.",
        1,
    )
    deletionProtection: Bool = F(
        "Refuse to delete the database, also when the stack is deleted, until this is turned off again. Default: false.",
        False,
    )
    preferredMaintenanceWindow: MaintenanceWindow | None = F(
        "Weekly UTC time range in which AWS may patch or upgrade the database, written `Day:HH:MM-Day:HH:MM`, e.g."
        " `Sun:02:00-Sun:04:00`. The database can be briefly unavailable then. Default: a window AWS picks.",
        None,
    )
    logging: DatabaseLogging | None = F("Which database logs go to CloudWatch, how long they stay and where else they are sent.", None)
    dev: DevMode | None = F("How `stacktape dev` provides this database: a local container (default) or the deployed one.", None)

    @model_validator(mode="after")
    def _engine_dependent_rules(self):
        engine_type = self.engine.type
        problems: list[InitErrorDetails] = []
        options = self.logging.engineSpecificOptions if self.logging else None
        if options is not None:
            allowed = (
                POSTGRES_LOG_OPTIONS if engine_type in POSTGRES_FAMILY
                else MYSQL_LOG_OPTIONS if engine_type in MYSQL_FAMILY
                else ()
            )  # fmt: skip
            for key in sorted(options.model_fields_set - set(allowed)):
                family = "PostgreSQL" if key in POSTGRES_LOG_OPTIONS else "MySQL/MariaDB"
                problems.append(_problem(
                    ("logging", "engineSpecificOptions", key),
                    f"'{key}' is a {family} log option; engine '{engine_type}' does not support it"
                    + (f" (allowed here: {', '.join(allowed)})" if allowed else " (it takes no engine-specific log options)"),
                    getattr(options, key),
                ))
        mode = _plain(self.accessibility.accessibilityMode) if self.accessibility else None
        if engine_type in AURORA_SERVERLESS_V1_TYPES and mode in ("internet", "whitelisted-ips-only"):
            problems.append(_problem(
                ("accessibility", "accessibilityMode"),
                f"Aurora Serverless v1 has no public endpoint, so '{mode}' cannot work; use 'vpc' or"
                " 'scoping-workloads-in-vpc'",
                mode,
            ))
        _fail(type(self).__name__, problems)
        return self


class RelationalDatabase(_Resource):
    type: Literal["relational-database"] = F(
        "A managed SQL database (PostgreSQL, MySQL, MariaDB, Oracle or SQL Server) on Amazon RDS or Aurora."
    )
    properties: RelationalDatabaseProps = F("Engine, credentials, network access, backups and logging of the database.")


# --- redis-cluster ------------------------------------------------------------------------------------


class RedisAccessibility(StpModel):
    accessibilityMode: OneOf("vpc", "scoping-workloads-in-vpc") = F(
        "Who may connect. `vpc` (the default when `accessibility` is left out): anything running inside the stack's"
        " VPC. `scoping-workloads-in-vpc`: only resources that list this cluster in `connectTo`. The cluster never"
        " has a public address; reach it from your machine through a bastion."
    )


class RedisLogging(StpModel):
    disabled: Bool = F("Do not send the slow-query log to CloudWatch. Default: false.", False)
    format: OneOf("json", "text") = F("Shape of each log entry: `json` (default) or plain `text`.", "json")
    retentionDays: RetentionDays = retention_days("Days CloudWatch keeps the log events.", 90)
    logForwarding: LogForwarding | None = F(
        "Also ship every log entry to a third-party service (HTTP endpoint, Datadog or Highlight) through"
        " Kinesis Data Firehose.",
        None,
    )


# Blocks people bring over from relational-database or from raw ElastiCache templates. Each is
# reported as unknown anyway; the entries inside are pointed to where their setting really lives.
_REDIS_FOREIGN_BLOCKS = {
    "engine": "redis-cluster has no 'engine' block: it always runs Redis on ElastiCache",
    "defaultUserConfig": "redis-cluster has no per-user settings: the default user has full access and only its"
    " password is set, with 'defaultUserPassword'",
    "userConfig": "redis-cluster has no per-user settings: only the default user's password is set, with"
    " 'defaultUserPassword'",
}
_REDIS_SETTING_HOMES = {
    "type": "there is no engine type to choose",
    "version": "set 'engineVersion' directly under properties, as text: one of " + ", ".join(REDIS_VERSIONS),
    "engineVersion": "set 'engineVersion' directly under properties, as text: one of " + ", ".join(REDIS_VERSIONS),
    "nodeType": "set 'instanceSize' directly under properties, e.g. cache.t4g.micro",
    "cacheNodeType": "set 'instanceSize' directly under properties, e.g. cache.t4g.micro",
    "instanceSize": "set 'instanceSize' directly under properties, e.g. cache.t4g.micro",
    "password": "set 'defaultUserPassword' directly under properties",
    "passwords": "set 'defaultUserPassword' directly under properties",
    "port": "set 'port' directly under properties",
}


def _foreign_entries(node, loc: tuple, why: str) -> list[InitErrorDetails]:
    out: list[InitErrorDetails] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)) and value:
                out.extend(_foreign_entries(value, loc + (key,), why))
            elif isinstance(key, str):
                home = _REDIS_SETTING_HOMES.get(key)
                out.append(_problem(loc + (key,), f"{why}; " + (home or f"'{key}' is ignored"), value))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out.extend(_foreign_entries(item, loc + (i,), why))
    return out


class RedisClusterProps(StpModel):
    defaultUserPassword: RedisPassword = F(
        "The password every client must give to log in as the default Redis user. 16-128 printable ASCII"
        " characters without `/`, `\"` or `@`; traffic is always encrypted. Write `$Secret('name')` rather than"
        " the password itself."
    )
    instanceSize: OneOf(*REDIS_INSTANCE_SIZES) = F(
        "The node type used for every node, primary and replicas alike. Examples: `cache.t4g.micro` for"
        " development, `cache.r7g.large` for large data sets. Can be changed later without losing data."
    )
    engineVersion: OneOf(*REDIS_VERSIONS) = F(
        "Redis version, as text: `'6.0'`, `'6.2'` (the default), `'7.0'` or `'7.1'`.", "6.2"
    )
    port: Annotated[int, Field(ge=1, le=65535), DIRECTIVE_OK] = F("TCP port the nodes listen on. Default: 6379.", 6379)
    numReplicaNodes: Count = F(
        "Read replicas per shard. They spread read load and can replace a failed primary. Cannot be changed later"
        " on a sharded cluster. Default: 0.",
        0,
    )
    enableAutomaticFailover: Bool | None = F(
        "Promote a replica automatically when the primary fails. Needs at least one replica (`numReplicaNodes`);"
        " add the replicas in one deployment and turn this on in the next. Always on for sharded clusters.",
        None,
    )
    enableSharding: Bool | None = F(
        "Spread the keys over several shards, each with its own primary and replicas (cluster mode). Can only be"
        " chosen when the cluster is created. Default: false.",
        None,
    )
    numShards: Annotated[int, Field(ge=1, le=500), DIRECTIVE_OK] = F(
        "Number of shards; only with `enableSharding: true`. Default: 1.", 1
    )
    automatedBackupRetentionDays: BackupDays = F(
        "Days automated daily snapshots are kept, 0-35; `0` (the default) takes no automated snapshots.", 0
    )
    accessibility: RedisAccessibility | None = F("Network access to the cluster. Default: anything inside the stack's VPC.", None)
    logging: RedisLogging | None = F("The slow-query log: whether it goes to CloudWatch, its format and how long it stays.", None)
    dev: DevMode | None = F("How `stacktape dev` provides this cluster: a local Redis container (default) or the deployed one.", None)

    @model_validator(mode="wrap")
    @classmethod
    def _explain_foreign_blocks(cls, data: Any, handler):
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            extra = [
                problem
                for key, why in _REDIS_FOREIGN_BLOCKS.items()
                if isinstance(data.get(key), (dict, list))
                for problem in _foreign_entries(data[key], (key,), why)
            ]
            if not extra:
                raise
            _fail(exc.title, [_again(e) for e in exc.errors()] + extra)
            raise

    @model_validator(mode="after")
    def _replica_rules(self):
        problems: list[InitErrorDetails] = []
        sharding = _plain(self.enableSharding)
        if "numShards" in self.model_fields_set and sharding is not True and not isinstance(self.enableSharding, Directive):
            problems.append(_problem(
                ("numShards",), "'numShards' only takes effect with 'enableSharding: true'", self.numShards
            ))
        replicas = _plain(self.numReplicaNodes)
        if _plain(self.enableAutomaticFailover) is True and replicas == 0:
            problems.append(_problem(
                ("enableAutomaticFailover",),
                "Automatic failover needs at least one replica to promote; set 'numReplicaNodes' to 1 or more",
                True,
            ))
        _fail(type(self).__name__, problems)
        return self


class RedisCluster(_Resource):
    type: Literal["redis-cluster"] = F(
        "A managed Redis cluster on Amazon ElastiCache, reachable only from inside the stack's VPC."
    )
    properties: RedisClusterProps = F("Node size, replicas, sharding, password, backups and logging of the cluster.")


RESOURCES = {"relational-database": RelationalDatabase, "redis-cluster": RedisCluster}
