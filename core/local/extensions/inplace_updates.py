"""In-place CloudFormation updates for moto models that have none.

A moto model without `update_from_cloudformation_json` can only be replaced (the engine deletes it and
creates it again under the same name). For the log group that would drop its log streams on a mere
retention change, so it is updated in place here, as AWS does.
"""

from __future__ import annotations

from typing import Any

from moto.logs.models import LogGroup, logs_backends


def _log_group_update(cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
                      account_id: str, region_name: str) -> Any:
    properties = cloudformation_json.get("Properties") or {}
    name = properties.get("LogGroupName")
    backend = logs_backends[account_id][region_name]
    if name and name != original_resource.name:  # LogGroupName: replacement
        replacement = cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
        original_resource.delete(account_id, region_name)
        return replacement
    original_resource.retention_in_days = properties.get("RetentionInDays")
    original_resource.kms_key_id = properties.get("KmsKeyId")
    tags = {t["Key"]: t["Value"] for t in properties.get("Tags") or [] if isinstance(t, dict)}
    if tags:
        backend.tag_resource(original_resource.arn, tags)
    return original_resource


def install() -> None:
    LogGroup.update_from_cloudformation_json = classmethod(_log_group_update)
