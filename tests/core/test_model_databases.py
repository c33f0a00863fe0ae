"""relational-database and redis-cluster models: real configs pass, wrong ones fail at the right key."""

from __future__ import annotations

import copy

import pytest

from core.model.databases import RESOURCES, RedisCluster, RelationalDatabase
from core.source import compose, to_data
from tests.core.corpus_support import assert_marked_lines_fail, corpus_resources
from tests.core.model_support import load, validation_errors

DB_TYPES = tuple(RESOURCES)


def _errors(model, body) -> list[tuple[tuple, str, str]]:
    """(location, error type, message) of every problem; [] when the body is valid."""
    return [(tuple(e["loc"]), e["type"], e["msg"]) for e in validation_errors(model, body)]


def _locs(model, body) -> set[tuple]:
    """Error locations with pydantic's union-branch steps removed (only keys and list indexes)."""
    out = set()
    for loc, _, _ in _errors(model, body):
        out.add(tuple(step for step in loc if not (isinstance(step, str) and (step[:1].isupper() or step in _TAGS))))
    return out


_TAGS = {
    "postgres", "mysql", "mariadb", "oracle-ee", "oracle-se2", "sqlserver-ee", "sqlserver-ex", "sqlserver-se",
    "sqlserver-web", "aurora-postgresql", "aurora-mysql", "aurora-postgresql-serverless", "aurora-mysql-serverless",
    "aurora-postgresql-serverless-v2", "aurora-mysql-serverless-v2",
}  # fmt: skip


def _db(**engine_and_props) -> dict:
    """A minimal valid postgres database, with top-level properties replaced as given."""
    body = {
        "type": "relational-database",
        "properties": {
            "credentials": {"masterUserPassword": "$Secret('db.password')"},
            "engine": {"type": "postgres", "properties": {"version": "16.6", "primaryInstance": {"instanceSize": "db.t4g.micro"}}},
        },
    }
    body["properties"].update(copy.deepcopy(engine_and_props))
    return body


def _redis(**props) -> dict:
    body = {
        "type": "redis-cluster",
        "properties": {"defaultUserPassword": "$Secret('redis.password')", "instanceSize": "cache.t4g.micro"},
    }
    body["properties"].update(props)
    return body


# --- the real-world corpus -------------------------------------------------------------------------


@pytest.mark.parametrize("body", corpus_resources(DB_TYPES) or [pytest.param(None, id="no-corpus")])
def test_corpus_databases_validate(shared, body):
    assert _errors(RESOURCES[body["type"]], body) == []


def test_corpus_has_both_types(shared):
    kinds = {p.values[0]["type"] for p in corpus_resources(DB_TYPES)}
    assert kinds == set(DB_TYPES)


@pytest.mark.parametrize("name", ["09-invalid-database-engine.yml", "15-invalid-redis-config.yml"])
def test_broken_corpus_files_fail_on_every_marked_line(shared, name):
    assert_marked_lines_fail((shared / "corpus" / "config-errors" / name).read_text())


# --- relational-database: engines ------------------------------------------------------------------


def test_full_rds_engine_validates_with_defaults():
    body = load(
        """
        type: relational-database
        properties:
          credentials:
            masterUserName: app_admin
            masterUserPassword: $Secret('db.password')
          engine:
            type: mysql
            properties:
              version: '8.0.40'
              dbName: shop
              port: 3307
              storage:
                initialSize: 50
                maxSize: 500
              primaryInstance:
                instanceSize: db.r6g.large
                multiAz: true
              readReplicas:
                - instanceSize: db.t4g.medium
          accessibility:
            accessibilityMode: whitelisted-ips-only
            whitelistedIps: [203.0.113.7/32, 198.51.100.0/24, 192.0.2.1]
          automatedBackupRetentionDays: 7
          deletionProtection: true
          preferredMaintenanceWindow: Sun:02:00-Sun:04:00
          disabledGlobalAlarms: [db-cpu-high]
          logging:
            retentionDays: 30
            logTypes: [error, slowquery]
            engineSpecificOptions:
              long_query_time: 0.5
              server_audit_events: [CONNECT, QUERY_DDL]
            logForwarding:
              type: datadog
              properties:
                apiKey: $Secret('datadog.key')
          dev:
            remote: true
        overrides:
          DbInstance:
            StorageType: gp3
        """
    )
    db = RelationalDatabase.model_validate(body)
    engine = db.properties.engine
    assert engine.type == "mysql" and engine.properties.readReplicas[0].instanceSize == "db.t4g.medium"
    assert engine.properties.disableAutoMinorVersionUpgrade is False
    assert db.properties.logging.engineSpecificOptions.log_statement == "ddl"  # default kept


@pytest.mark.parametrize(
    "engine",
    [
        {"type": "aurora-postgresql", "properties": {"version": "16.6", "instances": [{"instanceSize": "db.r6g.large"}] * 2}},
        {"type": "aurora-mysql", "properties": {"version": "8.0.mysql_aurora.3.08.0", "port": 3306, "instances": [{"instanceSize": "db.t4g.medium"}]}},
        {"type": "aurora-postgresql-serverless"},
        {"type": "aurora-mysql-serverless", "properties": {"minCapacity": 1, "maxCapacity": 8, "pauseAfterSeconds": 900}},
        {"type": "aurora-postgresql-serverless-v2", "properties": {"version": "16.11", "minCapacity": 0.5, "maxCapacity": 2, "serverlessReadersCount": 2}},
        {"type": "aurora-mysql-serverless-v2", "properties": {"version": "8.0.mysql_aurora.3.08.0", "maxCapacity": 16}},
        {"type": "sqlserver-ex", "properties": {"version": "16.00.4150.1.v1", "primaryInstance": {"instanceSize": "db.t3.micro"}}},
        {"type": "oracle-se2", "properties": {"version": "19.0.0.0.ru-2024-10.rur-2024-10.r1", "dbName": "ORCL", "primaryInstance": {"instanceSize": "db.m5.large"}}},
        {"type": "postgres", "properties": {"version": "$Var('pgVersion')", "primaryInstance": {"instanceSize": "$Var('size')"}}},
    ],
    ids=lambda e: e["type"],
)
def test_every_engine_shape_validates(engine):
    body = _db(engine=engine)
    if engine["type"] == "aurora-postgresql-serverless":
        body["properties"]["accessibility"] = {"accessibilityMode": "vpc"}
    body = _load_roundtrip(body)
    assert _errors(RelationalDatabase, body) == []


def _load_roundtrip(body: dict) -> dict:
    """Pass a body through the YAML layer so directives become Directive values, as in real use."""
    import json

    return to_data(compose(json.dumps(body)).root).data


def test_serverless_v2_defaults():
    db = RelationalDatabase.model_validate(_db(engine={"type": "aurora-postgresql-serverless-v2", "properties": {"version": "16.6"}}))
    props = db.properties.engine.properties
    assert (props.minCapacity, props.maxCapacity, props.serverlessReadersCount) == (0.5, 10, 0)


def test_unknown_engine_type_is_rejected_and_the_version_still_checked():
    errors = _errors(RelationalDatabase, _db(engine={"type": "postgresql", "properties": {"version": "15", "primaryInstance": {"instanceSize": "db.t3.small"}}}))
    kinds = {(loc, kind) for loc, kind, _ in errors}
    assert (("properties", "engine"), "union_tag_invalid") in kinds
    assert (("properties", "engine", "properties", "version"), "invalid_setting") in kinds


def test_unknown_engine_type_alone_gives_one_error():
    errors = _errors(RelationalDatabase, _db(engine={"type": "postgresql", "properties": {"version": "15.4"}}))
    assert [kind for _, kind, _ in errors] == ["union_tag_invalid"]


def test_engine_without_type_is_rejected():
    errors = _errors(RelationalDatabase, _db(engine={"properties": {"version": "16.6"}}))
    assert [kind for _, kind, _ in errors] == ["union_tag_not_found"]


@pytest.mark.parametrize("version", ["15", "16", "latest", "v16.6"])
def test_incomplete_engine_version_is_rejected(version):
    body = _db(engine={"type": "postgres", "properties": {"version": version, "primaryInstance": {"instanceSize": "db.t4g.micro"}}})
    assert _locs(RelationalDatabase, body) == {("properties", "engine", "properties", "version")}


def test_numeric_version_is_a_type_error():
    body = _db(engine={"type": "postgres", "properties": {"version": 16.6, "primaryInstance": {"instanceSize": "db.t4g.micro"}}})
    assert [kind for _, kind, _ in _errors(RelationalDatabase, body)] == ["string_type"]


@pytest.mark.parametrize(
    "engine,where",
    [
        # keys of another engine shape are unknown here
        ({"type": "aurora-postgresql", "properties": {"version": "16.6", "primaryInstance": {"instanceSize": "db.r6g.large"}}},
         {("properties", "engine", "properties", "primaryInstance"), ("properties", "engine", "properties", "instances")}),
        ({"type": "postgres", "properties": {"version": "16.6", "instances": [{"instanceSize": "db.r6g.large"}]}},
         {("properties", "engine", "properties", "instances"), ("properties", "engine", "properties", "primaryInstance")}),
        ({"type": "aurora-mysql-serverless", "properties": {"serverlessReadersCount": 1}},
         {("properties", "engine", "properties", "serverlessReadersCount")}),
        ({"type": "aurora-mysql-serverless-v2", "properties": {"version": "8.0.mysql_aurora.3.08.0", "pauseAfterSeconds": 600}},
         {("properties", "engine", "properties", "pauseAfterSeconds")}),
        ({"type": "postgres", "properties": {"version": "16.6", "primaryInstance": {"instanceSize": "db.t4g.micro"}, "minCapacity": 2}},
         {("properties", "engine", "properties", "minCapacity")}),
        # required per shape
        ({"type": "aurora-postgresql-serverless-v2", "properties": {"minCapacity": 1}},
         {("properties", "engine", "properties", "version")}),
        ({"type": "aurora-mysql", "properties": {"version": "8.0.mysql_aurora.3.08.0", "instances": []}},
         {("properties", "engine", "properties", "instances")}),
        ({"type": "postgres"}, {("properties", "engine", "properties")}),
    ],
)
def test_engine_shapes_are_kept_apart(engine, where):
    assert _locs(RelationalDatabase, _db(engine=engine)) == where


@pytest.mark.parametrize(
    "engine,key",
    [
        ({"type": "aurora-postgresql-serverless", "properties": {"minCapacity": 1}}, "minCapacity"),  # PostgreSQL v1 starts at 2
        ({"type": "aurora-mysql-serverless", "properties": {"maxCapacity": 384}}, "maxCapacity"),
        ({"type": "aurora-mysql-serverless", "properties": {"minCapacity": 8, "maxCapacity": 4}}, "maxCapacity"),
        ({"type": "aurora-mysql-serverless", "properties": {"pauseAfterSeconds": 60}}, "pauseAfterSeconds"),
        ({"type": "aurora-postgresql-serverless-v2", "properties": {"version": "16.6", "minCapacity": 0.25}}, "minCapacity"),
        ({"type": "aurora-postgresql-serverless-v2", "properties": {"version": "16.6", "minCapacity": 4, "maxCapacity": 2}}, "maxCapacity"),
        ({"type": "aurora-mysql-serverless-v2", "properties": {"version": "8.0.mysql_aurora.3.08.0", "serverlessReadersCount": -1}}, "serverlessReadersCount"),
        ({"type": "sqlserver-se", "properties": {"version": "16.00.4150.1.v1", "dbName": "app", "primaryInstance": {"instanceSize": "db.m5.large"}}}, "dbName"),
        ({"type": "postgres", "properties": {"version": "16.6", "port": "5432", "primaryInstance": {"instanceSize": "db.t4g.micro"}}}, "port"),
        ({"type": "postgres", "properties": {"version": "16.6", "port": 80, "primaryInstance": {"instanceSize": "db.t4g.micro"}}}, "port"),
        ({"type": "postgres", "properties": {"version": "16.6", "dbName": "my-app", "primaryInstance": {"instanceSize": "db.t4g.micro"}}}, "dbName"),
    ],
)
def test_engine_values_out_of_range_are_rejected(engine, key):
    assert _locs(RelationalDatabase, _db(engine=engine)) == {("properties", "engine", "properties", key)}


def test_instance_size_shape_and_storage_order():
    engine = {
        "type": "postgres",
        "properties": {
            "version": "16.6",
            "primaryInstance": {"instanceSize": "t3.micro"},
            "storage": {"initialSize": 100, "maxSize": 50},
        },
    }
    assert _locs(RelationalDatabase, _db(engine=engine)) == {
        ("properties", "engine", "properties", "primaryInstance", "instanceSize"),
        ("properties", "engine", "properties", "storage", "maxSize"),
    }
    engine["properties"]["primaryInstance"]["instanceSize"] = "db.t3.micro"
    engine["properties"]["storage"]["maxSize"] = 100  # equal sizes: no growth, still valid
    assert _errors(RelationalDatabase, _db(engine=engine)) == []


# --- relational-database: the rest --------------------------------------------------------------


@pytest.mark.parametrize(
    "props,where",
    [
        ({"accessibility": {"accessibilityMode": "public"}}, ("properties", "accessibility", "accessibilityMode")),
        ({"accessibility": {"whitelistedIps": ["203.0.113.7/32"]}}, ("properties", "accessibility", "accessibilityMode")),
        ({"accessibility": {"accessibilityMode": "vpc", "whitelistedIps": ["my-office"]}}, ("properties", "accessibility", "whitelistedIps", 0)),
        ({"automatedBackupRetentionDays": 40}, ("properties", "automatedBackupRetentionDays")),
        ({"deletionProtection": "yes"}, ("properties", "deletionProtection")),
        ({"preferredMaintenanceWindow": "Sunday 2am"}, ("properties", "preferredMaintenanceWindow")),
        ({"preferredMaintenanceWindow": "Sun:25:00-Sun:26:00"}, ("properties", "preferredMaintenanceWindow")),
        ({"logging": {"retentionDays": 10}}, ("properties", "logging", "retentionDays")),
        ({"logging": {"format": "json"}}, ("properties", "logging", "format")),  # that key is Redis-only
        ({"logging": {"engineSpecificOptions": {"log_statement": "everything"}}}, ("properties", "logging", "engineSpecificOptions", "log_statement")),
        ({"logging": {"engineSpecificOptions": {"long_query_time": 2}}}, ("properties", "logging", "engineSpecificOptions", "long_query_time")),
        ({"logging": {"engineSpecificOptions": {"server_audit_events": ["EVERYTHING"]}}}, ("properties", "logging", "engineSpecificOptions", "server_audit_events", 0)),
        ({"credentials": {"masterUserPassword": "short"}}, ("properties", "credentials", "masterUserPassword")),
        ({"credentials": {"masterUserPassword": "has@sign123"}}, ("properties", "credentials", "masterUserPassword")),
        ({"credentials": {"masterUsername": "admin", "masterUserPassword": "longenough1"}}, ("properties", "credentials", "masterUsername")),
        ({"credentials": {"masterUserName": "1admin", "masterUserPassword": "longenough1"}}, ("properties", "credentials", "masterUserName")),
        ({"credentials": {"masterUserName": "admin"}}, ("properties", "credentials", "masterUserPassword")),
        ({"dev": {"remote": "true"}}, ("properties", "dev", "remote")),
        ({"backupRetentionDays": 3}, ("properties", "backupRetentionDays")),
    ],
)
def test_database_settings_are_checked(props, where):
    assert _locs(RelationalDatabase, _db(**props)) == {where}


def test_postgres_log_options_fit_postgres_only():
    pg_options = {"logging": {"engineSpecificOptions": {"log_connections": True, "log_min_duration_statement": 500}}}
    assert _errors(RelationalDatabase, _db(**pg_options)) == []
    mysql = {"type": "mariadb", "properties": {"version": "10.11.9", "primaryInstance": {"instanceSize": "db.t4g.micro"}}}
    assert _locs(RelationalDatabase, _db(engine=mysql, **pg_options)) == {
        ("properties", "logging", "engineSpecificOptions", "log_connections"),
        ("properties", "logging", "engineSpecificOptions", "log_min_duration_statement"),
    }
    oracle = {"type": "oracle-ee", "properties": {"version": "19.0.0.0.ru-2024-10.rur-2024-10.r1", "primaryInstance": {"instanceSize": "db.m5.large"}}}
    errors = _errors(RelationalDatabase, _db(engine=oracle, logging={"engineSpecificOptions": {"long_query_time": 1}}))
    assert len(errors) == 1 and "takes no engine-specific log options" in errors[0][2]


def test_serverless_v1_cannot_be_public():
    body = _db(engine={"type": "aurora-mysql-serverless"}, accessibility={"accessibilityMode": "internet"})
    assert _locs(RelationalDatabase, body) == {("properties", "accessibility", "accessibilityMode")}


def test_missing_required_and_unknown_top_level_keys():
    body = _db()
    del body["properties"]["credentials"]
    assert _locs(RelationalDatabase, body) == {("properties", "credentials")}
    body = _db()
    del body["properties"]["engine"]
    assert _locs(RelationalDatabase, body) == {("properties", "engine")}
    assert _locs(RelationalDatabase, {**_db(), "type": "relational-db"}) == {("type",)}
    assert _locs(RelationalDatabase, {**_db(), "propertiez": {}}) == {("propertiez",)}


def test_alarms_are_accepted_as_a_list():
    alarm = {
        "trigger": {"type": "database-cpu-utilization", "properties": {"thresholdPercent": 85}},
        "notificationTargets": [{"type": "email", "properties": {"sender": "a@example.com", "recipient": "b@example.com"}}],
    }
    assert _errors(RelationalDatabase, _db(alarms=[alarm])) == []
    assert _locs(RelationalDatabase, _db(alarms=alarm)) == {("properties", "alarms")}


# --- redis-cluster ------------------------------------------------------------------------------------


def test_full_redis_cluster_validates_with_defaults():
    body = load(
        """
        type: redis-cluster
        properties:
          defaultUserPassword: $Secret('redis.password')
          instanceSize: cache.r7g.large
          engineVersion: '7.1'
          port: 6380
          enableSharding: true
          numShards: 3
          numReplicaNodes: 1
          enableAutomaticFailover: true
          automatedBackupRetentionDays: 7
          accessibility:
            accessibilityMode: scoping-workloads-in-vpc
          logging:
            format: text
            retentionDays: 365
            logForwarding:
              type: highlight
              properties:
                projectId: abc123
          dev:
            remote: false
        """
    )
    assert _errors(RedisCluster, body) == []
    minimal = RedisCluster.model_validate(_redis()).properties
    assert (minimal.engineVersion, minimal.port, minimal.numReplicaNodes, minimal.numShards) == ("6.2", 6379, 0, 1)
    assert minimal.present() == {"defaultUserPassword", "instanceSize"}


@pytest.mark.parametrize(
    "props,where",
    [
        ({"instanceSize": "cache.wrong.size"}, ("properties", "instanceSize")),
        ({"instanceSize": "db.t4g.micro"}, ("properties", "instanceSize")),
        ({"engineVersion": 7}, ("properties", "engineVersion")),
        ({"engineVersion": "5.0"}, ("properties", "engineVersion")),
        ({"accessibility": {"accessibilityMode": "internet"}}, ("properties", "accessibility", "accessibilityMode")),
        ({"logging": {"format": "yaml"}}, ("properties", "logging", "format")),
        ({"logging": {"logTypes": ["slowlog"]}}, ("properties", "logging", "logTypes")),
        ({"numReplicaNodes": "1"}, ("properties", "numReplicaNodes")),
        ({"automatedBackupRetentionDays": 36}, ("properties", "automatedBackupRetentionDays")),
        ({"numShards": 3}, ("properties", "numShards")),  # without enableSharding
        ({"enableAutomaticFailover": True}, ("properties", "enableAutomaticFailover")),  # no replica to promote
        ({"defaultUserPassword": "too-short"}, ("properties", "defaultUserPassword")),
        ({"defaultUserPassword": "sixteen-chars-but/slash"}, ("properties", "defaultUserPassword")),
        ({"nodeType": "cache.t4g.micro"}, ("properties", "nodeType")),
    ],
)
def test_redis_settings_are_checked(props, where):
    assert _locs(RedisCluster, _redis(**props)) == {where}


def test_redis_missing_required():
    body = _redis()
    del body["properties"]["defaultUserPassword"]
    assert _locs(RedisCluster, body) == {("properties", "defaultUserPassword")}
    assert _locs(RedisCluster, {"type": "redis-cluster"}) == {("properties",)}


def test_redis_foreign_engine_block_points_each_setting_home():
    body = _redis(engine={"type": "elasticache", "properties": {"version": 7, "nodeType": "cache.t4g.micro"}})
    errors = {loc: msg for loc, _, msg in _errors(RedisCluster, body)}
    assert ("properties", "engine") in errors  # still an unknown key
    assert "engineVersion" in errors[("properties", "engine", "properties", "version")]
    assert "instanceSize" in errors[("properties", "engine", "properties", "nodeType")]
    assert ("properties", "engine", "type") in errors


def test_redis_foreign_block_keeps_other_errors():
    body = {"type": "redis-cluster", "properties": {"defaultUserConfig": {"accessString": "on ~* +@all"}}}
    locs = _locs(RedisCluster, body)
    assert {("properties", "defaultUserPassword"), ("properties", "instanceSize"), ("properties", "defaultUserConfig"),
            ("properties", "defaultUserConfig", "accessString")} == locs


def test_directives_are_accepted_where_values_are_checked():
    body = _load_roundtrip(_redis(
        defaultUserPassword="$Secret('redis.password')",
        numReplicaNodes="$Var('replicas')",
        enableAutomaticFailover=True,
        automatedBackupRetentionDays="$Var('days')",
    ))
    assert _errors(RedisCluster, body) == []
    db = _load_roundtrip(_db(preferredMaintenanceWindow="$Var('window')", automatedBackupRetentionDays="$Var('days')"))
    assert _errors(RelationalDatabase, db) == []
