"""Secrets Manager: `stp secret set|list`, and the check that every `$Secret` a template uses exists.

A config's `$Secret('name')` / `$Secret('name.key')` compiles to a dynamic reference
(``{{resolve:secretsmanager:name:SecretString:key}}``) that CloudFormation resolves while it
deploys; a missing secret or key would fail the deployment half-way, so the deploy step checks
them first. Values are never printed, logged or put into an error message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from core.aws.session import Aws, AwsProblem, error_code, translated

_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:([^}]+)\}\}")


@dataclass
class SecretRef:
    secret_id: str
    keys: set[str] = field(default_factory=set)


def references(template: dict) -> dict[str, SecretRef]:
    """Secret id → the JSON keys read from it, for every Secrets Manager dynamic reference in the template."""
    found: dict[str, SecretRef] = {}
    for body in _REFERENCE.findall(json.dumps(template)):
        parts = body.split(":")
        if parts[0] == "arn" and len(parts) >= 7:  # arn:aws:secretsmanager:region:account:secret:name-XyZ
            secret_id, rest = ":".join(parts[:7]), parts[7:]
        else:
            secret_id, rest = parts[0], parts[1:]
        ref = found.setdefault(secret_id, SecretRef(secret_id))
        if len(rest) >= 2 and rest[0] == "SecretString" and rest[1]:
            ref.keys.add(rest[1])
    return found


def check_references(aws: Aws, template: dict) -> list[str]:
    """Problems with the secrets the template reads (empty when all exist and hold the keys it reads)."""
    sm = aws.client("secretsmanager")
    problems: list[str] = []
    for ref in references(template).values():
        shown = f"$Secret('{ref.secret_id}')" if not ref.keys else ", ".join(
            f"$Secret('{ref.secret_id}.{k}')" for k in sorted(ref.keys))
        with translated(aws.target, aws.region, f"checking secret {ref.secret_id}"):
            try:
                described = sm.describe_secret(SecretId=ref.secret_id)
            except Exception as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
                problems.append(f"secret '{ref.secret_id}' does not exist (used as {shown})")
                continue
            if described.get("DeletedDate"):
                problems.append(f"secret '{ref.secret_id}' is scheduled for deletion (used as {shown})")
                continue
            if not ref.keys:
                continue
            try:
                value = sm.get_secret_value(SecretId=ref.secret_id).get("SecretString")
            except Exception as exc:
                if error_code(exc) in ("AccessDeniedException", "AccessDenied", "ResourceNotFoundException"):
                    continue
                raise
        try:
            data = json.loads(value) if value is not None else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            problems.append(f"secret '{ref.secret_id}' is not a JSON object, but {shown} reads a key from it")
            continue
        missing = sorted(k for k in ref.keys if k not in data)
        if missing:
            problems.append(f"secret '{ref.secret_id}' has no key {', '.join(repr(k) for k in missing)}"
                            f" (used as {shown}); it has: {', '.join(sorted(data)) or 'no keys'}")
    return problems


# --------------------------------------------------------------------------------------------- set / list


def parse_value(value: str) -> str:
    """The text to store: JSON objects/arrays are checked (and kept as written), anything else as it is."""
    stripped = value.strip()
    if stripped.startswith(("{", "[")):
        try:
            json.loads(stripped)
        except ValueError as exc:
            raise AwsProblem(f"the value looks like JSON but is not valid JSON ({exc.msg} at position {exc.pos});"
                             " quote it as plain text or fix it", 2) from None
    return value


def set_secret(aws: Aws, name: str, value: str, description: str | None = None) -> str:
    """Create the secret, or store a new version of it; returns "created" or "updated"."""
    if not value:
        raise AwsProblem("the secret value is empty", 2)
    value = parse_value(value)
    sm = aws.client("secretsmanager")
    with translated(aws.target, aws.region, f"setting secret {name}"):
        try:
            kwargs = {"Name": name, "SecretString": value, **({"Description": description} if description else {})}
            sm.create_secret(**kwargs)
            return "created"
        except Exception as exc:
            code = error_code(exc)
            if code == "InvalidRequestException" and "deletion" in str(exc).lower():
                raise AwsProblem(f"secret '{name}' is scheduled for deletion; restore it first with"
                                 f" `aws secretsmanager restore-secret --secret-id {name}`") from None
            if code != "ResourceExistsException":
                raise
        sm.put_secret_value(SecretId=name, SecretString=value)
        if description:
            sm.update_secret(SecretId=name, Description=description)
    return "updated"


@dataclass
class SecretSummary:
    name: str
    description: str
    last_changed: datetime | None
    created: datetime | None

    def to_json(self) -> dict:
        iso = lambda d: d.isoformat() if isinstance(d, datetime) else None
        return {"name": self.name, "description": self.description, "lastChanged": iso(self.last_changed),
                "created": iso(self.created)}


def list_secrets(aws: Aws) -> list[SecretSummary]:
    sm = aws.client("secretsmanager")
    out: list[SecretSummary] = []
    with translated(aws.target, aws.region, "listing secrets"):
        for page in sm.get_paginator("list_secrets").paginate():
            for s in page.get("SecretList") or ():
                if s.get("DeletedDate"):
                    continue
                out.append(SecretSummary(s["Name"], s.get("Description") or "",
                                         s.get("LastChangedDate") or s.get("CreatedDate"), s.get("CreatedDate")))
    return sorted(out, key=lambda s: s.name)
