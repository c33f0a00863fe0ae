"""Parameters each resource type exposes.

They are what `$ResourceParam('name', 'param')` may ask for and what
`connectTo` injects as `STP_<NAME>_<PARAM>` environment variables
(`connect=True`). Descriptions are shown on hover and completion.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    connect: bool = True  # injected by connectTo


def _p(*items) -> dict[str, Param]:
    return {i[0]: Param(*i) for i in items}


_WORKLOAD_URLS = ()

RESOURCE_PARAMS: dict[str, dict[str, Param]] = {
    "bucket": _p(("name", "Bucket name."), ("arn", "Bucket ARN.")),
    "sqs-queue": _p(("arn", "Queue ARN."), ("name", "Queue name."), ("url", "Queue URL, used to send and receive messages.")),
    "sns-topic": _p(("arn", "Topic ARN."), ("name", "Topic name.")),
    "dynamo-db-table": _p(
        ("name", "Table name."), ("arn", "Table ARN."), ("streamArn", "ARN of the table's change stream (when streams are on).")
    ),
    "event-bus": _p(("arn", "Event bus ARN."), ("archiveArn", "ARN of the event archive, when archiving is on.", False)),
    "function": _p(("arn", "Function ARN."), ("logGroupArn", "ARN of the function's log group.", False), ("url", "Function URL, when enabled.", False)),
    "relational-database": _p(
        ("connectionString", "Connection URL with user, password, host, port and database name."),
        ("jdbcConnectionString", "The same connection in JDBC form."),
        ("host", "Host name of the primary instance or cluster writer endpoint."),
        ("port", "Port the database listens on."),
        ("dbName", "Name of the database created at start.", False),
        ("readerHost", "Reader endpoint of an Aurora cluster.", False),
        ("readerConnectionString", "Connection URL of the Aurora reader endpoint.", False),
        ("readerJdbcConnectionString", "JDBC connection of the Aurora reader endpoint.", False),
    ),
    "redis-cluster": _p(
        ("host", "Primary endpoint host."), ("readerHost", "Reader endpoint host."), ("port", "Port Redis listens on."),
        ("sharding", "Whether sharding is on.", False),
    ),
    "http-api-gateway": _p(
        ("url", "Default URL of the API (execute-api domain).", False),
        ("domain", "Default domain name of the API.", False),
        ("customDomains", "Custom domains of the API.", False),
        ("customDomainUrl", "URL of the first custom domain.", False),
        ("cdnDomain", "Domain of the CDN in front of the API.", False),
        ("cdnUrl", "URL of the CDN in front of the API.", False),
    ),
    "application-load-balancer": _p(
        ("domain", "DNS name of the load balancer.", False),
        ("arn", "Load balancer ARN.", False),
        ("canonicalHostedZoneId", "Hosted zone id, for alias DNS records.", False),
        ("customDomains", "Custom domains of the load balancer.", False),
        ("cdnDomain", "Domain of the CDN in front of the load balancer.", False),
        ("cdnUrl", "URL of the CDN in front of the load balancer.", False),
    ),
    "network-load-balancer": _p(
        ("domain", "DNS name of the load balancer.", False),
        ("arn", "Load balancer ARN.", False),
        ("canonicalHostedZoneId", "Hosted zone id, for alias DNS records.", False),
        ("customDomains", "Custom domains of the load balancer.", False),
    ),
    "web-service": _p(
        ("url", "Public URL of the service.", False),
        ("domain", "Domain name of the service.", False),
        ("customDomains", "Custom domains of the service.", False),
        ("cdnDomain", "Domain of the CDN in front of the service.", False),
        ("cdnUrl", "URL of the CDN in front of the service.", False),
    ),
    "private-service": _p(("address", "host:port other workloads of the stack use to reach the service.")),
    "worker-service": {},
    "multi-container-workload": {},
    "efs-filesystem": _p(("arn", "File system ARN.", False), ("id", "File system id.", False)),
    "user-auth-pool": _p(("id", "User pool id."), ("clientId", "Id of the pool's app client."), ("arn", "User pool ARN."), ("domain", "Hosted UI domain.", False)),
    "batch-job": _p(("jobDefinitionArn", "ARN of the job definition."), ("stateMachineArn", "ARN of the state machine that runs the job.")),
    "state-machine": _p(("arn", "State machine ARN."), ("name", "State machine name.")),
    "kinesis-stream": _p(("arn", "Stream ARN."), ("name", "Stream name.")),
    "mongo-db-atlas-cluster": _p(("connectionString", "Connection string of the cluster.")),
    "upstash-redis": _p(
        ("host", "Host."), ("port", "Port."), ("password", "Password."), ("restToken", "REST API token."),
        ("restUrl", "REST API URL."), ("redisUrl", "redis:// URL."),
    ),
    "hosting-bucket": _p(("url", "URL of the hosted site.", False), ("bucketName", "Name of the underlying bucket.", False)),
    "convex": _p(("url", "URL of the Convex backend.", False), ("siteUrl", "URL of Convex HTTP actions.", False)),
    "open-search-domain": _p(("domainEndpoint", "Endpoint of the domain."), ("arn", "Domain ARN.")),
}

# connectTo targets that are AWS services rather than resources of the stack
AWS_MACROS = {
    "aws:ses": "Full access to Amazon SES (sending e-mail).",
}

CONNECTABLE_TYPES = tuple(
    t
    for t in (
        "bucket", "sqs-queue", "sns-topic", "dynamo-db-table", "event-bus", "function", "relational-database",
        "redis-cluster", "batch-job", "user-auth-pool", "state-machine", "kinesis-stream", "mongo-db-atlas-cluster",
        "upstash-redis", "private-service", "web-service", "worker-service", "multi-container-workload",
        "open-search-domain", "efs-filesystem", "hosting-bucket",
    )
)  # fmt: skip


def params_of(resource_type: str) -> dict[str, Param] | None:
    """Parameters of a type, or None when we do not know the type's parameters."""
    return RESOURCE_PARAMS.get(resource_type)
