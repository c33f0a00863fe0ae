"""Reading and changing the forward weights of an ELBv2 listener rule in moto's backend (for ECS deployments).

An ECS blue/green, canary or linear deployment shifts traffic by rewriting the weights of the rule's forward
action between the service's two target groups. `set_weights` does that in-process, the way
`ModifyRule` would, so `describe_rules` shows `ForwardConfig.TargetGroups[].Weight` moving. A rule whose
forward action names a single `TargetGroupArn` becomes a `ForwardConfig` holding the target groups asked for.
"""

from __future__ import annotations

import copy
from typing import Any

MAX_WEIGHT = 999  # ELBv2 accepts weights 0..999


def _backend(arn: str):
    from moto.elbv2.models import elbv2_backends

    parts = arn.split(":")
    if len(parts) < 6:
        return None
    region, account = parts[3], parts[4]
    return elbv2_backends[account][region]


def find_rule(rule_arn: str) -> Any | None:
    """The listener rule (moto FakeListenerRule/FakeRule) with this ARN, or None."""
    backend = _backend(rule_arn or "")
    if backend is None:
        return None
    for balancer in list(backend.load_balancers.values()):
        for listener in list(balancer.listeners.values()):
            for rule in list(listener.rules.values()):
                if rule.arn == rule_arn:
                    return rule
    return None


def _forward_action(rule: Any) -> Any | None:
    for action in rule.actions:
        if getattr(action, "type", None) == "forward":
            return action
    return None


def weights(rule_arn: str) -> dict[str, int]:
    """Target group ARN → weight of the rule's forward action ({} when there is no such rule or action)."""
    rule = find_rule(rule_arn)
    action = _forward_action(rule) if rule is not None else None
    if action is None:
        return {}
    data = action.data
    groups = (data.get("ForwardConfig") or {}).get("TargetGroups")
    if groups:
        return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups if g.get("TargetGroupArn")}
    if data.get("TargetGroupArn"):
        return {data["TargetGroupArn"]: 1}
    return {}


def set_weights(rule_arn: str, new_weights: dict[str, int]) -> bool:
    """Give these target groups these weights in the rule's forward action (others keep theirs).

    Returns False when the rule or its forward action does not exist (nothing changed)."""
    from moto.elbv2.models import FakeAction

    rule = find_rule(rule_arn)
    action = _forward_action(rule) if rule is not None else None
    if action is None:
        return False
    data = copy.deepcopy(action.data)
    config = data.get("ForwardConfig") or {}
    groups = list(config.get("TargetGroups") or [])
    if not groups and data.get("TargetGroupArn"):
        groups = [{"TargetGroupArn": data["TargetGroupArn"], "Weight": 1}]
    known = {g.get("TargetGroupArn") for g in groups}
    for arn in new_weights:
        if arn not in known:
            groups.append({"TargetGroupArn": arn})
    for group in groups:
        if group.get("TargetGroupArn") in new_weights:
            group["Weight"] = max(0, min(MAX_WEIGHT, int(new_weights[group["TargetGroupArn"]])))
    config["TargetGroups"] = groups
    data["ForwardConfig"] = config
    data.pop("TargetGroupArn", None)
    index = rule.actions.index(action)
    rule.actions = [*rule.actions[:index], FakeAction(data), *rule.actions[index + 1:]]
    return True


def percent_weights(new_percent: float) -> tuple[int, int]:
    """(old, new) integer weights for `new_percent` % of the traffic on the new target group.

    Whole percentages become weights out of 100; fractions (canary 2.5 %) weights out of 1000."""
    new_percent = max(0.0, min(100.0, float(new_percent)))
    if float(new_percent).is_integer():
        return 100 - int(new_percent), int(new_percent)
    return round((100.0 - new_percent) * 10), round(new_percent * 10)
