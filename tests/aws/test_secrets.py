"""`stp secret set|list` against the local AWS; values never appear in any output."""

from __future__ import annotations

import json

import pytest

from core.aws import secrets
from tests.aws.support import stp, unique


@pytest.mark.slow  # starts the local AWS when run first
def test_set_create_update_and_list_without_values(aws_server, aws):
    name = unique("db-")
    r = stp("secret", "set", name, '{"password": "hunter2", "user": "app"}', "--local", "--description", "db login")
    assert r.code == 0 and r.out.strip() == f"created secret {name}"
    r = stp("secret", "set", name, '{"password": "hunter3", "user": "app"}', "--local")
    assert r.code == 0 and r.out.strip() == f"updated secret {name}"
    value = aws.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    assert json.loads(value) == {"password": "hunter3", "user": "app"}

    plain = unique("plain-")
    r = stp("secret", "set", plain, "-", "--local", stdin="s3cr3t-from-stdin\n")
    assert r.code == 0
    assert aws.client("secretsmanager").get_secret_value(SecretId=plain)["SecretString"] == "s3cr3t-from-stdin"

    listed = stp("secret", "list", "--local")
    assert listed.code == 0
    rows = {line.split()[0]: line for line in listed.out.splitlines()}
    assert name in rows and plain in rows and "db login" in rows[name]
    js = json.loads(stp("secret", "list", "--local", "--format", "json").out)
    assert {s["name"] for s in js} >= {name, plain}
    for out in (listed.text, json.dumps(js)):
        assert "hunter" not in out and "s3cr3t" not in out


@pytest.mark.slow
def test_bad_values_are_refused(aws_server):
    r = stp("secret", "set", unique("x-"), '{"password": oops}', "--local")
    assert r.code == 2 and "looks like JSON but is not valid JSON" in r.err and "oops" not in r.err
    r = stp("secret", "set", unique("x-"), "", "--local")
    assert r.code == 2 and "empty" in r.err


def test_references_in_a_template():
    template = {"Resources": {"T": {"Properties": {"Env": [
        {"Value": "{{resolve:secretsmanager:db:SecretString:password}}"},
        {"Value": "{{resolve:secretsmanager:db:SecretString:user}}"},
        {"Value": "{{resolve:secretsmanager:plain}}"},
        {"Value": "{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:123:secret:x-AbCd:SecretString:k}}"},
        {"Value": "{{resolve:ssm:/not/a/secret}}"},
    ]}}}}
    refs = secrets.references(template)
    assert set(refs) == {"db", "plain", "arn:aws:secretsmanager:eu-west-1:123:secret:x-AbCd"}
    assert refs["db"].keys == {"password", "user"} and refs["plain"].keys == set()
    assert refs["arn:aws:secretsmanager:eu-west-1:123:secret:x-AbCd"].keys == {"k"}
