"""Relational databases and Redis clusters compiled to CloudFormation: what a user relies on, and cfn-lint clean."""

from __future__ import annotations

import json

import pytest

from core.compile import compiler as compiler_module
from core.compile.context import CompileContext
from tests.core.compile_support import compile_yaml, lint_errors, of_type, problems_of, props, template_of

POSTGRES = """
resources:
  db:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('db-password')
      engine:
        type: postgres
        properties:
          version: '16.6'
          primaryInstance: {instanceSize: db.t4g.micro, multiAz: true}
          readReplicas: [{instanceSize: db.t4g.small}]
          storage: {initialSize: 50, maxSize: 500}
      automatedBackupRetentionDays: 7
      deletionProtection: true
      preferredMaintenanceWindow: Sun:02:00-Sun:04:00
      logging:
        retentionDays: 30
        engineSpecificOptions: {log_statement: all, log_connections: true}
"""

AURORA = """
resources:
  orders:
    type: relational-database
    properties:
      credentials:
        masterUserName: shop_admin
        masterUserPassword: $Secret('orders-db.password')
      accessibility: {accessibilityMode: scoping-workloads-in-vpc}
      engine:
        type: aurora-mysql
        properties:
          version: '8.0.mysql_aurora.3.08.0'
          dbName: orders
          instances: [{instanceSize: db.r6g.large}, {instanceSize: db.r6g.large}]
      logging:
        logTypes: [error, slowquery, audit]
        engineSpecificOptions: {long_query_time: 2, server_audit_events: [CONNECT, QUERY_DDL]}
"""

SERVERLESS = """
resources:
  analytics:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('analytics-db')
      accessibility: {accessibilityMode: vpc}
      engine:
        type: aurora-postgresql-serverless-v2
        properties:
          version: '16.6'
          minCapacity: 0
          maxCapacity: 200
          serverlessReadersCount: 1
"""

MYSQL_AUDIT = """
resources:
  legacy:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('legacy-db')
      accessibility:
        accessibilityMode: whitelisted-ips-only
        whitelistedIps: [203.0.113.7, 198.51.100.0/24]
      engine:
        type: mysql
        properties:
          version: '8.0.40'
          primaryInstance: {instanceSize: db.t4g.micro}
      logging:
        logTypes: [error, slowquery, general, audit]
"""

ORACLE_SQLSERVER = """
resources:
  erp:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('erp-db')
      accessibility: {accessibilityMode: vpc}
      engine:
        type: oracle-se2
        properties:
          version: '19.0.0.0.ru-2024-10.rur-2024-10.r1'
          primaryInstance: {instanceSize: db.m5.large}
  reporting:
    type: relational-database
    properties:
      credentials:
        masterUserPassword: $Secret('reporting-db')
      engine:
        type: sqlserver-ex
        properties:
          version: '16.00.4150.1.v1'
          primaryInstance: {instanceSize: db.t3.small}
"""

REDIS = """
resources:
  cache:
    type: redis-cluster
    properties:
      defaultUserPassword: $Secret('redis-password')
      instanceSize: cache.t4g.micro
      numReplicaNodes: 1
      enableAutomaticFailover: true
      automatedBackupRetentionDays: 3
      logging: {format: text, retentionDays: 14}
  sessions:
    type: redis-cluster
    properties:
      defaultUserPassword: $Secret('redis-password')
      instanceSize: cache.r7g.large
      engineVersion: '7.1'
      enableSharding: true
      numShards: 3
      numReplicaNodes: 1
      accessibility: {accessibilityMode: scoping-workloads-in-vpc}
"""

CLIENTS = """
  api:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/api.ts}}
      joinDefaultVpc: true
      connectTo: [orders, sessions]
  worker:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/worker:1'}}
      resources: {cpu: 0.25, memory: 512}
      connectTo: [orders]
"""


def _env(template: dict, function: str) -> dict:
    return props(template, function)["Environment"]["Variables"]


@pytest.mark.parametrize(
    "config", [POSTGRES, AURORA, SERVERLESS, MYSQL_AUDIT, ORACLE_SQLSERVER, REDIS, AURORA + REDIS.split("resources:\n")[1]
               + CLIENTS],
    ids=["postgres", "aurora", "serverless-v2", "mysql-audit", "oracle-sqlserver", "redis", "clients"],
)
def test_every_compiled_template_passes_cfn_lint(config):
    assert lint_errors(template_of(config)) == []


# --- passwords ------------------------------------------------------------------------------------


def test_the_password_lives_in_a_generated_secret_and_never_in_the_template():
    t = template_of(POSTGRES)
    secret = props(t, "DbMasterUserSecret")
    assert secret["SecretString"] == {"Fn::Sub": ['{"username":"db_master_user","password":"${Password}"}',
                                                  {"Password": "{{resolve:secretsmanager:db-password}}"}]}
    assert props(t, "DbInstance")["MasterUserPassword"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${DbMasterUserSecret}:SecretString:password}}"}
    assert t["Outputs"]["DbCredentialsSecretArn"]["Value"] == {"Ref": "DbMasterUserSecret"}


def test_a_plain_text_password_becomes_a_hidden_parameter_the_deploy_step_fills(monkeypatch):
    seen = {}

    class Capturing(CompileContext):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            seen["ctx"] = self

    monkeypatch.setattr(compiler_module, "CompileContext", Capturing)
    result = compile_yaml(POSTGRES.replace("$Secret('db-password')", "n0t-in-the-template"))
    t = result.template
    assert "n0t-in-the-template" not in json.dumps(t)
    param = t["Parameters"]["DbMasterUserPassword"]
    assert param["NoEcho"] is True and param["Type"] == "String"
    assert props(t, "DbMasterUserSecret")["SecretString"]["Fn::Sub"][1] == {"Password": {"Ref": "DbMasterUserPassword"}}
    assert seen["ctx"].artifacts["DbMasterUserPassword"] == {
        "kind": "secret-value", "resource": "db", "path": "resources.db.properties.credentials.masterUserPassword",
        "parameters": ["DbMasterUserPassword"],
    }
    [warning] = result.warnings
    assert "plain text" in warning.message and "$Secret(" in warning.message


# --- RDS instance -------------------------------------------------------------------------------


def test_rds_instance_settings():
    t = template_of(POSTGRES, project="shop")
    res = t["Resources"]["DbInstance"]
    p = res["Properties"]
    assert (p["Engine"], p["EngineVersion"], p["DBInstanceClass"]) == ("postgres", "16.6", "db.t4g.micro")
    assert (p["DBInstanceIdentifier"], p["DBName"], p["Port"]) == ("shop-dev-db", "defdb", "5432")
    assert (p["AllocatedStorage"], p["MaxAllocatedStorage"], p["StorageType"]) == ("50", 500, "gp3")
    assert p["StorageEncrypted"] is True and p["MultiAZ"] is True
    assert (p["BackupRetentionPeriod"], p["DeletionProtection"]) == (7, True)
    assert p["PreferredMaintenanceWindow"] == "sun:02:00-sun:04:00"
    assert (res["DeletionPolicy"], res["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")  # data outlives the stack


def test_maintenance_window_must_be_long_enough():
    problems = problems_of(POSTGRES.replace("Sun:02:00-Sun:04:00", "Sun:23:50-Mon:00:10"))
    assert [p.message for p in problems] == ["'Sun:23:50-Mon:00:10' is shorter than 30 minutes, the least RDS accepts"]
    t = template_of(POSTGRES.replace("Sun:02:00-Sun:04:00", "Sat:23:30-Sun:00:30"))
    assert props(t, "DbInstance")["PreferredMaintenanceWindow"] == "sat:23:30-sun:00:30"


def test_default_accessibility_is_the_internet_in_public_subnets():
    t = template_of(POSTGRES)
    p = props(t, "DbInstance")
    assert p["PubliclyAccessible"] is True
    assert props(t, "DbSubnetGroup")["SubnetIds"] == [{"Ref": "VpcPublicSubnet1"}, {"Ref": "VpcPublicSubnet2"}]
    [rule] = props(t, "DbSecurityGroup")["SecurityGroupIngress"]
    assert (rule["CidrIp"], rule["FromPort"], rule["ToPort"]) == ("0.0.0.0/0", 5432, 5432)
    assert p["VPCSecurityGroups"] == [{"Ref": "DbSecurityGroup"}]
    assert "VpcPublicDefaultRoute" in t["Resources"]["DbInstance"]["DependsOn"]


@pytest.mark.parametrize(
    "accessibility, public, cidrs",
    [
        ("{accessibilityMode: vpc}", False, ["10.0.0.0/16"]),
        ("{accessibilityMode: vpc, whitelistedIps: [203.0.113.7]}", True, ["10.0.0.0/16", "203.0.113.7/32"]),
        ("{accessibilityMode: scoping-workloads-in-vpc}", False, []),
        ("{accessibilityMode: whitelisted-ips-only, whitelistedIps: [198.51.100.0/24]}", True, ["198.51.100.0/24"]),
        ("{accessibilityMode: internet, forceDisablePublicIp: true}", False, ["0.0.0.0/0"]),
    ],
)
def test_accessibility_decides_subnets_public_address_and_admitted_ranges(accessibility, public, cidrs):
    t = template_of(POSTGRES.replace("      automatedBackupRetentionDays: 7\n",
                                  f"      automatedBackupRetentionDays: 7\n      accessibility: {accessibility}\n"))
    assert props(t, "DbInstance")["PubliclyAccessible"] is public
    kind = "Public" if public else "Private"
    assert props(t, "DbSubnetGroup")["SubnetIds"][0] == {"Ref": f"Vpc{kind}Subnet1"}
    assert [r["CidrIp"] for r in props(t, "DbSecurityGroup")["SecurityGroupIngress"]] == cidrs


def test_logs_are_exported_into_log_groups_with_retention_and_parameters():
    t = template_of(POSTGRES)
    p = props(t, "DbInstance")
    assert p["EnableCloudwatchLogsExports"] == ["postgresql"]
    assert props(t, "DbPostgresqlLogGroup") == {"LogGroupName": "/aws/rds/instance/demo-dev-db/postgresql",
                                                "RetentionInDays": 30}
    assert "DbPostgresqlLogGroup" in t["Resources"]["DbInstance"]["DependsOn"]
    group = props(t, "DbParameterGroup")
    assert group["Family"] == "postgres16"
    assert group["Parameters"]["log_statement"] == "all" and group["Parameters"]["log_connections"] == "1"
    assert p["DBParameterGroupName"] == {"Ref": "DbParameterGroup"}


def test_logging_can_be_turned_off():
    t = template_of(POSTGRES.replace("        retentionDays: 30\n        engineSpecificOptions: {log_statement: all,"
                                  " log_connections: true}\n", "        disabled: true\n"))
    assert "EnableCloudwatchLogsExports" not in props(t, "DbInstance")
    assert not of_type(t, "AWS::Logs::LogGroup") and not of_type(t, "AWS::RDS::DBParameterGroup")


def test_mysql_audit_log_uses_the_audit_plugin_option_group():
    t = template_of(MYSQL_AUDIT)
    p = props(t, "LegacyInstance")
    assert p["EnableCloudwatchLogsExports"] == ["error", "slowquery", "general", "audit"]
    option = props(t, "LegacyOptionGroup")
    assert (option["EngineName"], option["MajorEngineVersion"]) == ("mysql", "8.0")
    assert option["OptionConfigurations"] == [{"OptionName": "MARIADB_AUDIT_PLUGIN", "OptionSettings": [
        {"Name": "SERVER_AUDIT_EVENTS", "Value": "QUERY_DDL"}]}]
    params = props(t, "LegacyParameterGroup")
    assert params["Family"] == "mysql8.0"
    assert params["Parameters"] == {"slow_query_log": "1", "long_query_time": "10", "general_log": "1",
                                    "log_output": "FILE"}
    assert [r["CidrIp"] for r in props(t, "LegacySecurityGroup")["SecurityGroupIngress"]] == [
        "203.0.113.7/32", "198.51.100.0/24"]


def test_read_replicas_follow_the_primary():
    t = template_of(POSTGRES)
    replica = t["Resources"]["DbReadReplica1"]
    p = replica["Properties"]
    assert p["SourceDBInstanceIdentifier"] == {"Ref": "DbInstance"} and p["DBInstanceClass"] == "db.t4g.small"
    assert "MasterUserPassword" not in p and "DBName" not in p
    assert replica["DeletionPolicy"] == "Delete"  # a replica holds no data of its own
    assert t["Outputs"]["DbReadReplica1Host"]["Value"] == {"Fn::GetAtt": ["DbReadReplica1", "Endpoint.Address"]}


def test_read_replicas_need_backups():
    problems = problems_of(POSTGRES.replace("automatedBackupRetentionDays: 7", "automatedBackupRetentionDays: 0"))
    assert [p.message for p in problems] == [
        "read replicas copy from automated backups; set automatedBackupRetentionDays to 1 or more"]


def test_oracle_and_sql_server_licenses_and_names():
    t = template_of(ORACLE_SQLSERVER)
    erp = props(t, "ErpInstance")
    assert (erp["Engine"], erp["LicenseModel"], erp["Port"], erp["DBName"]) == ("oracle-se2", "license-included", "1521",
                                                                              "defdb")
    assert erp["EnableCloudwatchLogsExports"] == ["alert", "listener"]
    rep = props(t, "ReportingInstance")
    assert (rep["Engine"], rep["LicenseModel"], rep["Port"]) == ("sqlserver-ex", "license-included", "1433")
    assert "DBName" not in rep  # SQL Server creates no database


# --- Aurora -------------------------------------------------------------------------------------


def test_aurora_cluster_with_writer_and_reader_instances():
    t = template_of(AURORA)
    cluster = t["Resources"]["OrdersCluster"]
    c = cluster["Properties"]
    assert (c["Engine"], c["EngineVersion"], c["DatabaseName"], c["Port"]) == (
        "aurora-mysql", "8.0.mysql_aurora.3.08.0", "orders", 3306)
    assert (c["MasterUsername"], c["DBClusterIdentifier"]) == ("shop_admin", "demo-dev-orders")
    assert c["VpcSecurityGroupIds"] == [{"Ref": "OrdersSecurityGroup"}]
    assert c["BackupRetentionPeriod"] == 1 and c["StorageEncrypted"] is True
    assert cluster["DeletionPolicy"] == "Snapshot"
    for n in (1, 2):
        inst = props(t, f"OrdersInstance{n}")
        assert inst["DBClusterIdentifier"] == {"Ref": "OrdersCluster"} and inst["DBInstanceClass"] == "db.r6g.large"
        assert inst["PubliclyAccessible"] is False
    assert props(t, "OrdersSubnetGroup")["SubnetIds"][0] == {"Ref": "VpcPrivateSubnet1"}
    assert props(t, "OrdersSecurityGroup")["SecurityGroupIngress"] == []  # only connectTo opens it
    assert t["Outputs"]["OrdersReaderHost"]["Value"] == {"Fn::GetAtt": ["OrdersCluster", "ReadEndpoint.Address"]}


def test_aurora_mysql_logs_go_into_the_cluster_parameter_group():
    t = template_of(AURORA)
    params = props(t, "OrdersParameterGroup")
    assert t["Resources"]["OrdersParameterGroup"]["Type"] == "AWS::RDS::DBClusterParameterGroup"
    assert params["Family"] == "aurora-mysql8.0"
    assert params["Parameters"] == {"slow_query_log": "1", "long_query_time": "2", "server_audit_logging": "1",
                                    "server_audit_events": "CONNECT,QUERY_DDL"}
    assert props(t, "OrdersAuditLogGroup")["LogGroupName"] == "/aws/rds/cluster/demo-dev-orders/audit"


def test_serverless_v2_scales_between_capacities_with_readers():
    t = template_of(SERVERLESS)
    c = props(t, "AnalyticsCluster")
    assert c["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.0, "MaxCapacity": 200.0}
    assert [props(t, f"AnalyticsInstance{n}")["DBInstanceClass"] for n in (1, 2)] == ["db.serverless"] * 2
    assert [r["CidrIp"] for r in props(t, "AnalyticsSecurityGroup")["SecurityGroupIngress"]] == ["10.0.0.0/16"]


def test_aurora_serverless_v1_is_explained():
    text = SERVERLESS.replace("aurora-postgresql-serverless-v2", "aurora-postgresql-serverless").replace(
        "          minCapacity: 0\n          maxCapacity: 200\n          serverlessReadersCount: 1\n", "").replace(
        "version: '16.6'", "version: '13.12'")
    [problem] = problems_of(text)
    assert "Aurora Serverless v1 has reached its end of life" in problem.message
    assert "aurora-postgresql-serverless-v2" in problem.message


# --- parameters and connectTo ---------------------------------------------------------------------


def test_connection_parameters():
    text = POSTGRES + AURORA.split("resources:\n")[1] + """
  app:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/app.ts}}
      environment:
        - {name: PG, value: "$ResourceParam('db', 'connectionString')"}
        - {name: PG_JDBC, value: "$ResourceParam('db', 'jdbcConnectionString')"}
        - {name: PG_HOST, value: "$ResourceParam('db', 'host')"}
        - {name: PG_PORT, value: "$ResourceParam('db', 'port')"}
        - {name: PG_DB, value: "$ResourceParam('db', 'dbName')"}
        - {name: MY, value: "$ResourceParam('orders', 'connectionString')"}
        - {name: MY_READER, value: "$ResourceParam('orders', 'readerJdbcConnectionString')"}
        - {name: MY_READER_HOST, value: "$ResourceParam('orders', 'readerHost')"}
"""
    t = template_of(text)
    env = _env(t, "AppFunction")
    pw = "{{resolve:secretsmanager:${%s}:SecretString:password}}"
    assert env["PG"] == {"Fn::Sub": f"postgresql://db_master_user:{pw % 'DbMasterUserSecret'}@"
                                    "${DbInstance.Endpoint.Address}:5432/defdb"}
    assert env["PG_JDBC"] == {"Fn::Sub": "jdbc:postgresql://${DbInstance.Endpoint.Address}:5432/defdb?user="
                                         f"db_master_user&password={pw % 'DbMasterUserSecret'}"}
    assert env["PG_HOST"] == {"Fn::GetAtt": ["DbInstance", "Endpoint.Address"]}
    assert (env["PG_PORT"], env["PG_DB"]) == ("5432", "defdb")
    assert env["MY"] == {"Fn::Sub": f"mysql://shop_admin:{pw % 'OrdersMasterUserSecret'}@"
                                    "${OrdersCluster.Endpoint.Address}:3306/orders"}
    assert "${OrdersCluster.ReadEndpoint.Address}" in env["MY_READER"]["Fn::Sub"]
    assert env["MY_READER_HOST"] == {"Fn::GetAtt": ["OrdersCluster", "ReadEndpoint.Address"]}
    assert lint_errors(t) == []


@pytest.mark.parametrize(
    "resource, param, message",
    [
        ("db", "readerHost", "'readerHost' is the reader endpoint of an Aurora cluster"),
        ("reporting", "dbName", "runs SQL Server, which creates no database"),
    ],
)
def test_parameters_a_database_does_not_have_are_explained(resource, param, message):
    text = POSTGRES + ORACLE_SQLSERVER.split("resources:\n")[1] + f"""
  app:
    type: function
    properties:
      packaging: {{type: stacktape-lambda-buildpack, properties: {{entryfilePath: src/app.ts}}}}
      environment:
        - {{name: VALUE, value: "$ResourceParam('{resource}', '{param}')"}}
"""
    assert any(message in p.message for p in problems_of(text))


def test_connect_to_opens_the_database_to_the_connecting_resource_and_injects_its_parameters():
    t = template_of(AURORA + REDIS.split("resources:\n")[1] + CLIENTS)
    ingress = of_type(t, "AWS::EC2::SecurityGroupIngress")
    from_function = [r["Properties"] for r in ingress.values()
                     if r["Properties"]["SourceSecurityGroupId"] == {"Ref": "ApiSecurityGroup"}]
    assert {(r["GroupId"]["Ref"], r["FromPort"]) for r in from_function} == {("OrdersSecurityGroup", 3306),
                                                                              ("SessionsSecurityGroup", 6379)}
    assert any(r["Properties"]["SourceSecurityGroupId"] == {"Ref": "WorkerSecurityGroup"} for r in ingress.values())
    env = _env(t, "ApiFunction")
    assert env["STP_ORDERS_HOST"] == {"Fn::GetAtt": ["OrdersCluster", "Endpoint.Address"]}
    assert env["STP_SESSIONS_HOST"] == {"Fn::GetAtt": ["SessionsReplicationGroup", "ConfigurationEndPoint.Address"]}
    assert "STP_ORDERS_CONNECTION_STRING" in env and "STP_SESSIONS_PORT" in env
    assert "STP_ORDERS_READER_HOST" not in env  # not a connectTo parameter


# --- redis-cluster ------------------------------------------------------------------------------


def test_redis_replication_group_with_replica_and_failover():
    t = template_of(REDIS)
    res = t["Resources"]["CacheReplicationGroup"]
    g = res["Properties"]
    assert (g["Engine"], g["EngineVersion"], g["CacheNodeType"], g["Port"]) == ("redis", "6.2", "cache.t4g.micro", 6379)
    assert (g["NumCacheClusters"], g["AutomaticFailoverEnabled"], g["MultiAZEnabled"]) == (2, True, True)
    assert g["TransitEncryptionEnabled"] is True and g["AtRestEncryptionEnabled"] is True
    assert g["AuthToken"] == {"Fn::Sub": "{{resolve:secretsmanager:${CacheAuthTokenSecret}:SecretString:password}}"}
    assert props(t, "CacheAuthTokenSecret")["SecretString"]["Fn::Sub"][1] == {
        "Password": "{{resolve:secretsmanager:redis-password}}"}
    assert g["SnapshotRetentionLimit"] == 3 and res["DeletionPolicy"] == "Snapshot"
    assert g["CacheSubnetGroupName"] == {"Ref": "CacheSubnetGroup"}
    assert props(t, "CacheSubnetGroup")["SubnetIds"] == [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}]
    [rule] = props(t, "CacheSecurityGroup")["SecurityGroupIngress"]
    assert (rule["CidrIp"], rule["FromPort"]) == ("10.0.0.0/16", 6379)
    [logs] = g["LogDeliveryConfigurations"]
    assert (logs["LogType"], logs["LogFormat"]) == ("slow-log", "text")
    assert logs["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"] == {"Ref": "CacheSlowLogGroup"}
    assert props(t, "CacheSlowLogGroup")["RetentionInDays"] == 14
    assert t["Outputs"]["CacheHost"]["Value"] == {"Fn::GetAtt": ["CacheReplicationGroup", "PrimaryEndPoint.Address"]}


def test_sharded_redis_cluster():
    t = template_of(REDIS)
    g = props(t, "SessionsReplicationGroup")
    assert (g["NumNodeGroups"], g["ReplicasPerNodeGroup"]) == (3, 1)
    assert "NumCacheClusters" not in g
    assert g["AutomaticFailoverEnabled"] is True
    assert g["CacheParameterGroupName"] == "default.redis7.cluster.on"
    assert props(t, "SessionsSecurityGroup")["SecurityGroupIngress"] == []  # scoping-workloads-in-vpc


def test_redis_parameters():
    text = REDIS + """
  app:
    type: function
    properties:
      packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: src/app.ts}}
      environment:
        - {name: HOST, value: "$ResourceParam('cache', 'host')"}
        - {name: READER, value: "$ResourceParam('cache', 'readerHost')"}
        - {name: PORT, value: "$ResourceParam('cache', 'port')"}
        - {name: SHARDED, value: "$ResourceParam('sessions', 'sharding')"}
"""
    env = _env(template_of(text), "AppFunction")
    assert env == {"HOST": {"Fn::GetAtt": ["CacheReplicationGroup", "PrimaryEndPoint.Address"]},
                   "READER": {"Fn::GetAtt": ["CacheReplicationGroup", "ReaderEndPoint.Address"]},
                   "PORT": "6379", "SHARDED": "true"}
    problems = problems_of(text.replace("$ResourceParam('cache', 'readerHost')", "$ResourceParam('sessions', 'readerHost')"))
    assert any("is sharded" in p.message for p in problems)
