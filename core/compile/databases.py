"""Databases: `relational-database` (RDS instance or Aurora cluster) and `redis-cluster` (ElastiCache).

Both live in the stack's VPC with a subnet group and a security group of their own
(``<Name>SecurityGroup``: connectTo hooks admit the workloads that list the database there).
A relational database sits in the public subnets and is publicly accessible only when its
`accessibility` lets outside addresses in (`internet`, or whitelisted IPs); otherwise it is in
the private subnets. Redis is always private.

Passwords never enter the template as text. Each database gets a generated Secrets Manager
secret (``<Name>MasterUserSecret`` with `username` and `password`, ``<Name>AuthTokenSecret`` for
Redis) whose value comes from the config: `$Secret(...)` and other directives become dynamic
references that CloudFormation resolves when deploying; a password written as plain text is
handed to CloudFormation as a hidden (NoEcho) parameter the deploy step fills from the config
(listed in ``ctx.artifacts``), with a warning. The database, and every connection string
`connectTo` and `$ResourceParam` give out, read the password from that secret.

Explicit identifiers (``<stack>-<name>``) name the instance or cluster so their exported logs
land in log groups created beforehand with the configured retention. Data is kept: instances,
clusters and Redis groups are snapshotted when deleted or replaced.
"""

from __future__ import annotations

import hashlib
import re

from troposphere import GetAtt, Ref, Sub, Tags, ec2, logs, rds, secretsmanager
from troposphere import elasticache as ec

from core.compile.directives import is_intrinsic, known_now, text
from core.compile.naming import pascal
from core.compile.registry import compiler, params
from core.compile.vpc import VPC_CIDR, network
from core.compile.workload_hooks import ParamAbsent
from core.model.databases import (
    AURORA_ENGINE_TYPES,
    AURORA_SERVERLESS_V1_TYPES,
    AURORA_SERVERLESS_V2_TYPES,
    MYSQL_FAMILY,
    POSTGRES_FAMILY,
)

DEFAULT_DB_NAME = "defdb"
DEFAULT_USER = "db_master_user"
MAX_IDENTIFIER = 63
ORACLE_MAX_SID = 8
SERVERLESS_INSTANCE_CLASS = "db.serverless"
DEFAULT_LOG_RETENTION = 90
_IDENT_CHARS = re.compile(r"[^a-z0-9]+")


def engine_kind(engine_type: str) -> str:
    """'rds' (one instance), 'aurora' (provisioned cluster), 'serverless-v2' or 'serverless-v1'."""
    if engine_type in AURORA_ENGINE_TYPES:
        return "aurora"
    if engine_type in AURORA_SERVERLESS_V2_TYPES:
        return "serverless-v2"
    if engine_type in AURORA_SERVERLESS_V1_TYPES:
        return "serverless-v1"
    return "rds"


def aws_engine(engine_type: str) -> str:
    """The RDS `Engine` value."""
    if engine_type.startswith("aurora-postgresql"):
        return "aurora-postgresql"
    if engine_type.startswith("aurora-mysql"):
        return "aurora-mysql"
    return engine_type


def default_port(engine_type: str) -> int:
    if engine_type in POSTGRES_FAMILY:
        return 5432
    if engine_type in MYSQL_FAMILY:
        return 3306
    if engine_type.startswith("oracle"):
        return 1521
    return 1433  # SQL Server


# exported logs: engine → (allowed, default)
LOG_TYPES = {
    "postgres": (("postgresql", "upgrade"), ("postgresql",)),
    "aurora-postgresql": (("postgresql",), ("postgresql",)),
    "mysql": (("audit", "error", "general", "slowquery"), ("error", "slowquery")),
    "mariadb": (("audit", "error", "general", "slowquery"), ("error", "slowquery")),
    "aurora-mysql": (("audit", "error", "general", "slowquery"), ("error", "slowquery")),
    "oracle": (("alert", "audit", "listener", "trace", "oemagent"), ("alert", "listener")),
    "sqlserver": (("agent", "error"), ("agent", "error")),
}


def _log_family(engine: str) -> str:
    if engine.startswith("oracle"):
        return "oracle"
    if engine.startswith("sqlserver"):
        return "sqlserver"
    return engine


def identifier(ctx, name: str, suffix: str = "") -> str:
    """A DB/cache identifier: lowercase letters, digits and single dashes, starting with a letter (≤ 63)."""
    base = _IDENT_CHARS.sub("-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", f"{ctx.stack_name}-{name}").lower()).strip("-")
    if not base[:1].isalpha():
        base = "db-" + base
    limit = MAX_IDENTIFIER - len(suffix)
    if len(base) > limit:
        base = f"{base[:limit - 9].rstrip('-')}-{hashlib.sha1(base.encode()).hexdigest()[:8]}"
    return base + suffix


def _props(ctx, name: str):
    return ctx.analysis.resources[name].model.properties


# --- passwords ---------------------------------------------------------------------------------------


def password_secret(ctx, name: str, lid_part: str, value, where: str, *, username: str | None = None):
    """A generated secret holding the password (and user name); its value never appears in the template."""
    resolved = ctx.resolve(value, where, None)
    if resolved is None:
        return None
    if not is_intrinsic(resolved) and not str(resolved).startswith("{{resolve:"):
        param = ctx.parameter(
            name, ctx.id(name, lid_part, "Password"), Type="String", NoEcho=True, MinLength=1,
            Description=f"Password of {name}, taken from the config by the deploy step (kept out of the template)",
        )
        ctx.artifacts[param.title] = {"kind": "secret-value", "resource": name, "path": where, "parameters": [param.title]}
        ctx.warn(where, "the password is written in the config as plain text; stp keeps it out of the template (a"
                        " hidden parameter), but store it in a secret and write $Secret('<name>') instead")
        resolved = Ref(param)
    fields = f'"username":"{username}",' if username is not None else ""
    body = '{' + fields + '"password":"${Password}"}'
    return ctx.add(name, secretsmanager.Secret(
        ctx.id(name, lid_part, "Secret"), Description=f"Credentials of {name} in {ctx.stack_name}",
        SecretString=Sub(body, Password=resolved),
    ))


def _password_ref(secret_lid: str) -> str:
    """Text for Fn::Sub: a dynamic reference to the password in the generated secret."""
    return "{{resolve:secretsmanager:${" + secret_lid + "}:SecretString:password}}"


# --- network -----------------------------------------------------------------------------------------


def _cidr_description(cidr: str) -> str:
    return {VPC_CIDR: "the stack's VPC", "0.0.0.0/0": "any address (the internet)"}.get(cidr, "whitelisted addresses")


def _security_group(ctx, name: str, what: str, port: int, cidrs: list):
    return ctx.add(name, ec2.SecurityGroup(
        ctx.id(name, "SecurityGroup"), GroupDescription=f"{what} {name} in {ctx.stack_name}", VpcId=network(ctx).vpc,
        SecurityGroupIngress=[
            ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp=c,
                                  Description=_cidr_description(c))
            for c in cidrs
        ],
        Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
    ))


def _accessibility(ctx, name: str, acc, engine_type: str, where: str) -> tuple[bool, list]:
    """(publicly accessible, CIDRs admitted on the port) of a relational database."""
    mode = ctx.static(acc.accessibilityMode, f"{where}.accessibilityMode", "internet") if acc is not None else "internet"
    force_private = bool(ctx.static(acc.forceDisablePublicIp, f"{where}.forceDisablePublicIp", False)) \
        if acc is not None and acc.forceDisablePublicIp is not None else False
    whitelist = [text(ctx.static(ip, f"{where}.whitelistedIps", "")) for ip in (acc.whitelistedIps or ())] \
        if acc is not None else []
    whitelist = [ip if "/" in ip else (f"{ip}/128" if ":" in ip else f"{ip}/32") for ip in whitelist if ip]
    if mode == "internet":
        public, cidrs = True, ["0.0.0.0/0"]
    elif mode == "vpc":
        public, cidrs = bool(whitelist), [VPC_CIDR] + whitelist
    elif mode == "scoping-workloads-in-vpc":
        public, cidrs = bool(whitelist), whitelist
    else:  # whitelisted-ips-only
        public, cidrs = True, whitelist
        if not whitelist:
            ctx.warn(where, "whitelisted-ips-only without whitelistedIps: nothing can connect to the database")
    if force_private and public:
        public = False
        if whitelist:
            ctx.warn(where, "forceDisablePublicIp gives the database no public address, so whitelisted addresses"
                            " outside the VPC cannot reach it")
    return public, list(dict.fromkeys(cidrs))


# --- relational-database -----------------------------------------------------------------------------


def _parameter_family(engine: str, version: str) -> str | None:
    """Parameter-group family of an engine version (None when it cannot be told)."""
    parts = version.split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    major, minor = parts[0], parts[1]
    if engine in ("postgres", "aurora-postgresql"):
        return f"{engine}{major}" if int(major) >= 10 else f"{engine}{major}.{minor}"
    if engine in ("mysql", "mariadb", "aurora-mysql"):
        return f"{engine}{major}.{minor}"
    return None


def _log_settings(ctx, name: str, props, engine: str, where: str) -> tuple[list, int, dict, list]:
    """(exported log types, retention days, engine parameters, audit events for an option group)."""
    lg = props.logging
    lwhere = f"{where}.logging"
    if lg is not None and ctx.static(lg.disabled, f"{lwhere}.disabled", False):
        return [], 0, {}, []
    allowed, default = LOG_TYPES[_log_family(engine)]
    types = default
    if lg is not None and lg.logTypes is not None:
        types = [text(ctx.static(t, f"{lwhere}.logTypes", "")) for t in lg.logTypes]
        wrong = [t for t in types if t not in allowed]
        if wrong:
            ctx.invalid(f"{lwhere}.logTypes", f"{engine} exports no '{wrong[0]}' log; its logs are: {', '.join(allowed)}")
            types = [t for t in types if t in allowed]
    days = int(ctx.static(lg.retentionDays, f"{lwhere}.retentionDays", DEFAULT_LOG_RETENTION)) if lg is not None \
        else DEFAULT_LOG_RETENTION
    if lg is not None and lg.logForwarding is not None:
        ctx.unsupported(f"{lwhere}.logForwarding", f"log forwarding to {lg.logForwarding.type} is not compiled yet")
    opts = lg.engineSpecificOptions if lg is not None else None
    opath = f"{lwhere}.engineSpecificOptions"
    parameters: dict = {}
    audit: list = []
    if engine in ("postgres", "aurora-postgresql") and opts is not None:
        flag = lambda v, k: "1" if ctx.static(v, f"{opath}.{k}", False) else "0"
        parameters = {
            "log_connections": flag(opts.log_connections, "log_connections"),
            "log_disconnections": flag(opts.log_disconnections, "log_disconnections"),
            "log_lock_waits": flag(opts.log_lock_waits, "log_lock_waits"),
            "log_min_duration_statement": text(int(ctx.static(opts.log_min_duration_statement,
                                                              f"{opath}.log_min_duration_statement", 10000))),
            "log_statement": text(ctx.static(opts.log_statement, f"{opath}.log_statement", "ddl")),
        }
    elif engine in ("mysql", "mariadb", "aurora-mysql"):
        if "slowquery" in types:
            long_query = ctx.static(opts.long_query_time, f"{opath}.long_query_time", 10) if opts is not None else 10
            parameters["slow_query_log"] = "1" if long_query != -1 else "0"
            if long_query != -1:
                parameters["long_query_time"] = text(long_query)
        if "general" in types:
            parameters["general_log"] = "1"
        if parameters and engine != "aurora-mysql":
            parameters["log_output"] = "FILE"
        if "audit" in types:
            audit = [text(ctx.static(e, f"{opath}.server_audit_events", "")) for e in opts.server_audit_events] \
                if opts is not None else ["QUERY_DDL"]
            if engine == "aurora-mysql":
                parameters["server_audit_logging"] = "1"
                parameters["server_audit_events"] = ",".join(audit)
                audit = []
    return list(types), days, parameters, audit


def _log_groups(ctx, name: str, kind: str, ident: str, types: list, days: int) -> list[str]:
    """Log groups RDS exports into, created first so they keep the configured retention."""
    out = []
    for t in types:
        group = ctx.add(name, logs.LogGroup(
            ctx.id(name, pascal(t), "LogGroup"), LogGroupName=f"/aws/rds/{kind}/{ident}/{t}", RetentionInDays=days,
            DeletionPolicy="Delete", UpdateReplacePolicy="Delete",
        ))
        out.append(group.title)
    return out


def _engine_groups(ctx, name: str, engine: str, version, parameters: dict, audit: list, cluster: bool, where: str):
    """(parameter group, option group) carrying the log settings, or None for either."""
    if not parameters and not audit:
        return None, None
    v = known_now(ctx, version)
    family = _parameter_family(engine, str(v)) if v is not None else None
    if family is None:
        ctx.invalid(f"{where}.engine.properties.version", "the log settings go into a parameter group made for the engine"
                                                          " version, so the version must be known when compiling")
        return None, None
    pg = None
    if parameters:
        cls = rds.DBClusterParameterGroup if cluster else rds.DBParameterGroup
        pg = ctx.add(name, cls(ctx.id(name, "ParameterGroup"), Family=family, Parameters=parameters,
                               Description=f"Log settings of {name} in {ctx.stack_name}"))
    og = None
    if audit:
        major = ".".join(str(v).split(".")[:2])
        og = ctx.add(name, rds.OptionGroup(
            ctx.id(name, "OptionGroup"), EngineName=engine, MajorEngineVersion=major,
            OptionGroupDescription=f"Audit log of {name} in {ctx.stack_name}",
            OptionConfigurations=[rds.OptionConfiguration(
                OptionName="MARIADB_AUDIT_PLUGIN",
                OptionSettings=[rds.OptionSetting(Name="SERVER_AUDIT_EVENTS", Value=",".join(audit))],
            )],
        ))
    return pg, og


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_MAINTENANCE_MINUTES = 30
WEEK_MINUTES = 7 * 24 * 60


def _maintenance_window(ctx, value, where: str) -> str | None:
    """The window in RDS's form (`sun:02:00-sun:04:00`); RDS needs at least 30 minutes."""
    if value is None:
        return None
    window = text(ctx.static(value, where, "")).lower()
    m = re.fullmatch(r"([a-z]{3}):(\d\d):(\d\d)-([a-z]{3}):(\d\d):(\d\d)", window)
    if m is None or m.group(1) not in _DAYS or m.group(4) not in _DAYS:
        return window or None  # the validator explains the format
    start = _DAYS.index(m.group(1)) * 1440 + int(m.group(2)) * 60 + int(m.group(3))
    end = _DAYS.index(m.group(4)) * 1440 + int(m.group(5)) * 60 + int(m.group(6))
    if (end - start) % WEEK_MINUTES < MIN_MAINTENANCE_MINUTES:
        ctx.invalid(where, f"'{text(value)}' is shorter than {MIN_MAINTENANCE_MINUTES} minutes, the least RDS accepts")
        return None
    return window


@compiler("relational-database")
def compile_relational_database(ctx, name: str, model) -> None:
    props = model.properties
    where = f"resources.{name}.properties"
    engine_type = props.engine.type
    kind = engine_kind(engine_type)
    ep = props.engine.properties
    epath = f"{where}.engine.properties"
    if kind == "serverless-v1":
        ctx.invalid(f"{where}.engine.type", f"Aurora Serverless v1 has reached its end of life and AWS no longer creates"
                                            f" such clusters; use {engine_type}-v2")
        return
    engine = aws_engine(engine_type)
    port = int(ctx.static(ep.port, f"{epath}.port", default_port(engine_type))) \
        if getattr(ep, "port", None) is not None else default_port(engine_type)
    user = text(ctx.static(props.credentials.masterUserName, f"{where}.credentials.masterUserName", DEFAULT_USER))
    db_name = None
    if not engine.startswith("sqlserver"):
        db_name = text(ctx.static(ep.dbName, f"{epath}.dbName", DEFAULT_DB_NAME)) if ep.dbName is not None \
            else DEFAULT_DB_NAME
        if engine.startswith("oracle") and len(db_name) > ORACLE_MAX_SID:
            ctx.invalid(f"{epath}.dbName", f"an Oracle database name (SID) has at most {ORACLE_MAX_SID} characters;"
                                           f" '{db_name}' has {len(db_name)}")
            return
    public, cidrs = _accessibility(ctx, name, props.accessibility, engine_type, f"{where}.accessibility")
    net = network(ctx)
    secret = password_secret(ctx, name, "MasterUser", props.credentials.masterUserPassword,
                             f"{where}.credentials.masterUserPassword", username=user)
    if secret is None:
        return
    password = Sub(_password_ref(secret.title))
    sg = _security_group(ctx, name, "Database", port, cidrs)
    subnets = ctx.add(name, rds.DBSubnetGroup(
        ctx.id(name, "SubnetGroup"), DBSubnetGroupDescription=f"{'Public' if public else 'Private'} subnets of {name}"
                                                               f" in {ctx.stack_name}",
        SubnetIds=list(net.subnets(not public)),
    ))
    backups = int(ctx.static(props.automatedBackupRetentionDays, f"{where}.automatedBackupRetentionDays", 1))
    protect = bool(ctx.static(props.deletionProtection, f"{where}.deletionProtection", False))
    window = _maintenance_window(ctx, props.preferredMaintenanceWindow, f"{where}.preferredMaintenanceWindow")
    minor_upgrades = not bool(ctx.static(ep.disableAutoMinorVersionUpgrade, f"{epath}.disableAutoMinorVersionUpgrade",
                                         False))
    types, days, parameters, audit = _log_settings(ctx, name, props, engine, where)
    cluster_like = kind != "rds"
    pg, og = _engine_groups(ctx, name, engine, ep.version, parameters, audit, cluster_like, where)
    depends = [net.public_route_id] if public else []
    if props.alarms:
        ctx.unsupported(f"{where}.alarms", "alarms on a database are not compiled yet")

    if kind == "rds":
        ident = identifier(ctx, name)
        depends += _log_groups(ctx, name, "instance", ident, types, days)
        storage = ep.storage
        initial = int(ctx.static(storage.initialSize, f"{epath}.storage.initialSize", 20)) if storage is not None else 20
        most = int(ctx.static(storage.maxSize, f"{epath}.storage.maxSize", 200)) if storage is not None else 200
        multi_az = bool(ctx.static(ep.primaryInstance.multiAz, f"{epath}.primaryInstance.multiAz", False)) \
            if ep.primaryInstance.multiAz is not None else False
        if multi_az and engine in ("sqlserver-ex", "sqlserver-web"):
            ctx.invalid(f"{epath}.primaryInstance.multiAz", f"{engine} has no Multi-AZ standby; use sqlserver-se or"
                                                            " sqlserver-ee")
            return
        inst = rds.DBInstance(
            ctx.id(name, "Instance"), DBInstanceIdentifier=ident, Engine=engine,
            EngineVersion=ctx.text(ep.version, f"{epath}.version"),
            DBInstanceClass=text(ctx.static(ep.primaryInstance.instanceSize, f"{epath}.primaryInstance.instanceSize", "")),
            AllocatedStorage=str(initial), StorageType="gp3", StorageEncrypted=True, MultiAZ=multi_az,
            MasterUsername=user, MasterUserPassword=password, Port=str(port),
            DBSubnetGroupName=Ref(subnets), VPCSecurityGroups=[Ref(sg)], PubliclyAccessible=public,
            BackupRetentionPeriod=backups, DeletionProtection=protect, AutoMinorVersionUpgrade=minor_upgrades,
            CopyTagsToSnapshot=True, DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot",
            Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
        )
        if most > initial:
            inst.MaxAllocatedStorage = most
        if db_name is not None:
            inst.DBName = db_name
        if engine == "oracle-ee":
            inst.LicenseModel = "bring-your-own-license"
        elif engine.startswith(("oracle", "sqlserver")):
            inst.LicenseModel = "license-included"
        if types:
            inst.EnableCloudwatchLogsExports = types
        if pg is not None:
            inst.DBParameterGroupName = Ref(pg)
        if og is not None:
            inst.OptionGroupName = Ref(og)
        if window:
            inst.PreferredMaintenanceWindow = window
        if depends:
            inst.DependsOn = depends
        ctx.add(name, inst)
        replicas = ep.readReplicas or ()
        if replicas and backups == 0:
            ctx.invalid(f"{where}.automatedBackupRetentionDays", "read replicas copy from automated backups; set"
                                                                 " automatedBackupRetentionDays to 1 or more")
            return
        if replicas and engine in ("sqlserver-ex", "sqlserver-web", "sqlserver-se"):
            ctx.invalid(f"{epath}.readReplicas", f"{engine} has no read replicas (SQL Server offers them on sqlserver-ee)")
            return
        for i, r in enumerate(replicas):
            rpath = f"{epath}.readReplicas[{i}]"
            replica = rds.DBInstance(
                ctx.id(name, f"ReadReplica{i + 1}"), SourceDBInstanceIdentifier=Ref(inst), Engine=engine,
                DBInstanceClass=text(ctx.static(r.instanceSize, f"{rpath}.instanceSize", "")),
                PubliclyAccessible=public, VPCSecurityGroups=[Ref(sg)], AutoMinorVersionUpgrade=minor_upgrades,
                DeletionPolicy="Delete", UpdateReplacePolicy="Delete", Tags=Tags(Name=f"{ctx.stack_name}-{name}-replica-{i + 1}"),
            )
            if r.multiAz is not None and ctx.static(r.multiAz, f"{rpath}.multiAz", False):
                replica.no_validation()  # troposphere still refuses Multi-AZ replicas, which RDS has long offered
                replica.MultiAZ = True
            if pg is not None:
                replica.DBParameterGroupName = Ref(pg)
            ctx.add(name, replica)
            ctx.output(name, f"replicaHost:{i + 1}", ctx.id(name, f"ReadReplica{i + 1}", "Host"),
                       GetAtt(replica, "Endpoint.Address"), f"Host of read replica {i + 1} of {name}")
        ctx.output(name, "host", ctx.id(name, "Host"), GetAtt(inst, "Endpoint.Address"), f"Host of database {name}")
    else:
        ident = identifier(ctx, name)
        depends += _log_groups(ctx, name, "cluster", ident, types, days)
        if backups < 1:
            ctx.warn(f"{where}.automatedBackupRetentionDays", "Aurora always keeps at least one day of backups; using 1")
            backups = 1
        cluster = rds.DBCluster(
            ctx.id(name, "Cluster"), DBClusterIdentifier=ident, Engine=engine,
            EngineVersion=ctx.text(ep.version, f"{epath}.version"), Port=port, MasterUsername=user,
            MasterUserPassword=password, DBSubnetGroupName=Ref(subnets), VpcSecurityGroupIds=[Ref(sg)],
            BackupRetentionPeriod=backups, DeletionProtection=protect, StorageEncrypted=True, CopyTagsToSnapshot=True,
            DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot", Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
        )
        if db_name is not None:
            cluster.DatabaseName = db_name
        if types:
            cluster.EnableCloudwatchLogsExports = types
        if pg is not None:
            cluster.DBClusterParameterGroupName = Ref(pg)
        if window:
            cluster.PreferredMaintenanceWindow = window
        if depends:
            cluster.DependsOn = depends
        if kind == "serverless-v2":
            low = ctx.static(ep.minCapacity, f"{epath}.minCapacity", 0.5)
            high = ctx.static(ep.maxCapacity, f"{epath}.maxCapacity", 10)
            scaling = rds.ServerlessV2ScalingConfiguration()
            # set directly: troposphere's checks predate scaling to 0 (auto-pause) and up to 256 capacity units
            scaling.properties.update(MinCapacity=float(low), MaxCapacity=float(high))
            cluster.ServerlessV2ScalingConfiguration = scaling
            readers = int(ctx.static(ep.serverlessReadersCount, f"{epath}.serverlessReadersCount", 0))
            sizes = [SERVERLESS_INSTANCE_CLASS] * (1 + readers)
        else:
            sizes = [text(ctx.static(m.instanceSize, f"{epath}.instances[{i}].instanceSize", ""))
                     for i, m in enumerate(ep.instances)]
        ctx.add(name, cluster)
        for i, size in enumerate(sizes):
            ctx.add(name, rds.DBInstance(
                ctx.id(name, f"Instance{i + 1}"), DBClusterIdentifier=Ref(cluster), Engine=engine, DBInstanceClass=size,
                PubliclyAccessible=public, DBSubnetGroupName=Ref(subnets), AutoMinorVersionUpgrade=minor_upgrades,
                PromotionTier=min(i, 15), Tags=Tags(Name=f"{ctx.stack_name}-{name}-{i + 1}"),
            ))
        ctx.output(name, "host", ctx.id(name, "Host"), GetAtt(cluster, "Endpoint.Address"), f"Writer host of {name}")
        ctx.output(name, "readerHost", ctx.id(name, "ReaderHost"), GetAtt(cluster, "ReadEndpoint.Address"),
                   f"Reader host of {name}")
    ctx.output(name, "port", ctx.id(name, "Port"), str(port), f"Port of database {name}")
    ctx.output(name, "credentialsSecretArn", ctx.id(name, "CredentialsSecretArn"), Ref(secret),
               f"Secrets Manager secret holding the user name and password of {name}")


# --- relational-database parameters ---------------------------------------------------------------


def _schemes(engine_type: str) -> tuple[str, str]:
    """(URL scheme, JDBC sub-protocol)."""
    if engine_type in POSTGRES_FAMILY:
        return "postgresql", "postgresql"
    if engine_type == "mariadb":
        return "mysql", "mariadb"
    if engine_type in MYSQL_FAMILY:
        return "mysql", "mysql"
    if engine_type.startswith("oracle"):
        return "oracle", "oracle"
    return "sqlserver", "sqlserver"


def _endpoint(ctx, name: str, kind: str, reader: bool) -> str:
    """``${Id.Attr}`` of the writer (or reader) address, for Fn::Sub."""
    if kind == "rds":
        return "${" + ctx.id(name, "Instance") + ".Endpoint.Address}"
    return "${" + ctx.id(name, "Cluster") + (".ReadEndpoint" if reader else ".Endpoint") + ".Address}"


def _connection(ctx, name: str, props, *, reader: bool, jdbc: bool):
    engine_type = props.engine.type
    ep = props.engine.properties
    kind = engine_kind(engine_type)
    user = text(known_now(ctx, props.credentials.masterUserName, DEFAULT_USER))
    port = known_now(ctx, getattr(ep, "port", None), None) or default_port(engine_type)
    db = text(known_now(ctx, ep.dbName, DEFAULT_DB_NAME) or DEFAULT_DB_NAME) if ep is not None and ep.dbName is not None \
        else DEFAULT_DB_NAME
    host = _endpoint(ctx, name, kind, reader)
    pw = _password_ref(ctx.id(name, "MasterUser", "Secret"))
    scheme, sub = _schemes(engine_type)
    if scheme == "sqlserver":
        body = f"jdbc:sqlserver://{host}:{port};user={user};password={pw}" if jdbc \
            else f"sqlserver://{host}:{port};user={user};password={pw}"
    elif scheme == "oracle":
        body = f"jdbc:oracle:thin:{user}/{pw}@{host}:{port}:{db}" if jdbc else f"oracle://{user}:{pw}@{host}:{port}/{db}"
    elif jdbc:
        body = f"jdbc:{sub}://{host}:{port}/{db}?user={user}&password={pw}"
    else:
        body = f"{scheme}://{user}:{pw}@{host}:{port}/{db}"
    return Sub(body)


@params("relational-database")
def relational_database_param(ctx, name: str, param: str):
    props = _props(ctx, name)
    engine_type = props.engine.type
    kind = engine_kind(engine_type)
    if kind == "serverless-v1":
        raise ParamAbsent(f"relational-database '{name}' uses Aurora Serverless v1, which AWS no longer creates")
    ep = props.engine.properties
    if param in ("readerHost", "readerConnectionString", "readerJdbcConnectionString") and kind == "rds":
        raise ParamAbsent(f"'{param}' is the reader endpoint of an Aurora cluster; '{name}' is a single {engine_type}"
                          " instance (its read replicas each have their own host)")
    if param == "host":
        return GetAtt(ctx.id(name, "Instance"), "Endpoint.Address") if kind == "rds" \
            else GetAtt(ctx.id(name, "Cluster"), "Endpoint.Address")
    if param == "readerHost":
        return GetAtt(ctx.id(name, "Cluster"), "ReadEndpoint.Address")
    if param == "port":
        return text(known_now(ctx, getattr(ep, "port", None), None) or default_port(engine_type))
    if param == "dbName":
        if engine_type.startswith("sqlserver"):
            raise ParamAbsent(f"relational-database '{name}' runs SQL Server, which creates no database")
        return text(known_now(ctx, ep.dbName, DEFAULT_DB_NAME) or DEFAULT_DB_NAME) if ep.dbName is not None \
            else DEFAULT_DB_NAME
    if param in ("connectionString", "readerConnectionString"):
        return _connection(ctx, name, props, reader=param.startswith("reader"), jdbc=False)
    if param in ("jdbcConnectionString", "readerJdbcConnectionString"):
        return _connection(ctx, name, props, reader=param.startswith("reader"), jdbc=True)
    return None


# --- redis-cluster -----------------------------------------------------------------------------------


def _redis_family(version: str) -> str:
    return "redis6.x" if version.startswith("6") else "redis7"


@compiler("redis-cluster")
def compile_redis_cluster(ctx, name: str, model) -> None:
    p = model.properties
    where = f"resources.{name}.properties"
    st = lambda value, key, default=None: ctx.static(value, f"{where}.{key}", default)
    port = int(st(p.port, "port", 6379))
    version = text(st(p.engineVersion, "engineVersion", "6.2"))
    replicas = int(st(p.numReplicaNodes, "numReplicaNodes", 0))
    sharded = bool(st(p.enableSharding, "enableSharding", False)) if p.enableSharding is not None else False
    failover = bool(st(p.enableAutomaticFailover, "enableAutomaticFailover", False)) \
        if p.enableAutomaticFailover is not None else False
    if failover and replicas == 0 and not sharded:
        ctx.invalid(f"{where}.enableAutomaticFailover", "automatic failover needs at least one replica to promote; set"
                                                        " numReplicaNodes to 1 or more")
        return
    mode = ctx.static(p.accessibility.accessibilityMode, f"{where}.accessibility.accessibilityMode", "vpc") \
        if p.accessibility is not None else "vpc"
    net = network(ctx)
    secret = password_secret(ctx, name, "AuthToken", p.defaultUserPassword, f"{where}.defaultUserPassword")
    if secret is None:
        return
    sg = _security_group(ctx, name, "Redis cluster", port, [VPC_CIDR] if mode == "vpc" else [])
    subnets = ctx.add(name, ec.SubnetGroup(
        ctx.id(name, "SubnetGroup"), Description=f"Private subnets of {name} in {ctx.stack_name}",
        SubnetIds=list(net.private_subnets),
    ))
    group = ec.ReplicationGroup(
        ctx.id(name, "ReplicationGroup"), ReplicationGroupDescription=f"Redis {name} of {ctx.stack_name}",
        Engine="redis", EngineVersion=version, CacheNodeType=text(st(p.instanceSize, "instanceSize", "")), Port=port,
        CacheSubnetGroupName=Ref(subnets), SecurityGroupIds=[Ref(sg)],
        TransitEncryptionEnabled=True, AtRestEncryptionEnabled=True, AuthToken=Sub(_password_ref(secret.title)),
        SnapshotRetentionLimit=int(st(p.automatedBackupRetentionDays, "automatedBackupRetentionDays", 0)),
        AutoMinorVersionUpgrade=True, DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot",
        Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
    )
    if sharded:
        group.NumNodeGroups = int(st(p.numShards, "numShards", 1))
        group.ReplicasPerNodeGroup = replicas
        group.AutomaticFailoverEnabled = True  # required in cluster mode
        group.MultiAZEnabled = replicas > 0
        group.CacheParameterGroupName = f"default.{_redis_family(version)}.cluster.on"
    else:
        group.NumCacheClusters = 1 + replicas
        group.AutomaticFailoverEnabled = failover
        group.MultiAZEnabled = failover
    lg = p.logging
    if not (lg is not None and st(lg.disabled, "logging.disabled", False)):
        days = int(st(lg.retentionDays, "logging.retentionDays", DEFAULT_LOG_RETENTION)) if lg is not None \
            else DEFAULT_LOG_RETENTION
        log_group = ctx.add(name, logs.LogGroup(ctx.id(name, "SlowLogGroup"), RetentionInDays=days,
                                                DeletionPolicy="Delete", UpdateReplacePolicy="Delete"))
        fmt = st(lg.format, "logging.format", "json") if lg is not None else "json"
        group.LogDeliveryConfigurations = [ec.LogDeliveryConfigurationRequest(
            DestinationType="cloudwatch-logs", LogFormat=fmt, LogType="slow-log",
            DestinationDetails=ec.DestinationDetails(
                CloudWatchLogsDetails=ec.CloudWatchLogsDestinationDetails(LogGroup=Ref(log_group))),
        )]
        if lg is not None and lg.logForwarding is not None:
            ctx.unsupported(f"{where}.logging.logForwarding", f"log forwarding to {lg.logForwarding.type} is not compiled yet")
    ctx.add(name, group)
    host = GetAtt(group, "ConfigurationEndPoint.Address" if sharded else "PrimaryEndPoint.Address")
    ctx.output(name, "host", ctx.id(name, "Host"), host, f"Host of Redis cluster {name}")
    ctx.output(name, "port", ctx.id(name, "Port"), str(port), f"Port of Redis cluster {name}")
    ctx.output(name, "authTokenSecretArn", ctx.id(name, "AuthTokenSecretArn"), Ref(secret),
               f"Secrets Manager secret holding the password of {name}")


@params("redis-cluster")
def redis_cluster_param(ctx, name: str, param: str):
    p = _props(ctx, name)
    sharded = bool(known_now(ctx, p.enableSharding, False)) if p.enableSharding is not None else False
    lid = ctx.id(name, "ReplicationGroup")
    if param == "host":
        return GetAtt(lid, "ConfigurationEndPoint.Address" if sharded else "PrimaryEndPoint.Address")
    if param == "readerHost":
        if sharded:
            raise ParamAbsent(f"redis-cluster '{name}' is sharded: clients reach every shard, replicas included,"
                              " through its host (the configuration endpoint)")
        return GetAtt(lid, "ReaderEndPoint.Address")
    if param == "port":
        return text(known_now(ctx, p.port, 6379) or 6379)
    if param == "sharding":
        return "true" if sharded else "false"
    return None
