"""Every field is documented (hover text comes from here) and coverage of the official schema holds."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from core.model.paths import coverage
from core.model.registry import RESOURCE_MODELS
from core.analysis.schema_errors import models_at


def _all_models():
    seen, todo = set(), list(RESOURCE_MODELS.values())
    try:
        from core.model.config import StacktapeConfig

        todo.append(StacktapeConfig)
    except ImportError:
        pass
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        for f in m.model_fields.values():
            ann = f.annotation
            for sub in _nested(ann):
                todo.append(sub)
    return seen


def _nested(ann):
    from typing import get_args

    found = list(models_at(ann))
    for arg in get_args(ann):
        found.extend(_nested(arg))
    return [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)]


def test_every_field_has_a_description():
    missing = [f"{m.__name__}.{name}" for m in _all_models() for name, f in m.model_fields.items()
               if not (f.description and len(f.description) > 8)]
    assert missing == []


CORE_TYPES = ["multi-container-workload", "worker-service", "web-service", "private-service", "http-api-gateway",
              "application-load-balancer", "network-load-balancer"]
CONNECTED_TYPES = ["bucket", "sqs-queue", "sns-topic", "dynamo-db-table", "event-bus", "function",
                   "relational-database", "redis-cluster"]


@pytest.mark.parametrize("rtype,floor", [(t, 0.95) for t in CORE_TYPES] + [(t, 0.80) for t in CONNECTED_TYPES])
def test_model_covers_the_official_property_paths(shared, rtype, floor):
    reference = json.loads((shared / "reference" / "stacktape-properties.json").read_text())
    model = RESOURCE_MODELS.get(rtype)
    assert model is not None, f"{rtype} is not modelled"
    share, missing = coverage(model, reference[rtype]["properties"])
    assert share >= floor, f"{rtype}: {share:.1%} covered; missing e.g. {missing[:15]}"
