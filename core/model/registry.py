"""Which resource types exist and which model validates each.

Every official type name is known here, so a type we do not model yet is
recognised (and gets an information note) while a misspelt one is an error
with a suggestion. Each model module exports ``RESOURCES = {type: Model}``;
add a new module to ``_MODULES`` to register its types.
"""

from __future__ import annotations

import importlib

from core.model.base import StpModel

ALL_RESOURCE_TYPES = (
    "agentcore-browser", "agentcore-code-interpreter", "agentcore-gateway", "agentcore-memory",
    "agentcore-runtime", "application-load-balancer", "astro-web", "aws-cdk-construct", "bastion",
    "batch-job", "bucket", "convex", "custom-resource-definition", "custom-resource-instance",
    "deployment-script", "dynamo-db-table", "edge-lambda-function", "efs-filesystem", "event-bus",
    "function", "hosting-bucket", "http-api-gateway", "kinesis-stream", "mongo-db-atlas-cluster",
    "multi-container-workload", "network-load-balancer", "nextjs-web", "nuxt-web", "open-search-domain",
    "private-service", "redis-cluster", "relational-database", "remix-web", "sns-topic", "solidstart-web",
    "sqs-queue", "state-machine", "sveltekit-web", "tanstack-web", "upstash-redis", "user-auth-pool",
    "web-app-firewall", "web-service", "worker-service",
)  # fmt: skip

_MODULES = (
    "core.model.workloads",
    "core.model.ingress",
    "core.model.function",
    "core.model.messaging",
    "core.model.storage",
    "core.model.databases",
)


def _collect() -> dict[str, type[StpModel]]:
    models: dict[str, type[StpModel]] = {}
    for name in _MODULES:
        module = importlib.import_module(name)
        models.update(getattr(module, "RESOURCES", {}))
    unknown = set(models) - set(ALL_RESOURCE_TYPES)
    if unknown:  # a typo in a model module must not go unnoticed
        raise RuntimeError(f"models registered for unknown resource types: {sorted(unknown)}")
    return models


RESOURCE_MODELS: dict[str, type[StpModel]] = _collect()


def model_for(resource_type: str) -> type[StpModel] | None:
    return RESOURCE_MODELS.get(resource_type)
