"""Connecting: clear messages for a missing profile, credentials or region, and for a local AWS that is down."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
)

from core.aws import AwsProblem, connect
from core.aws.session import Target, as_problem, is_transient, problem_from
from tests.aws.support import stp


def test_unknown_profile_is_named(tmp_path):
    r = stp("info", "--stage", "dev", "--project", "demo", "--profile", "nope")
    assert r.code == 1
    assert "AWS profile 'nope' is not in ~/.aws/config" in r.err
    assert "Traceback" not in r.text


def test_aws_profile_variable_naming_a_missing_profile(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    r = stp("secret", "list")
    assert r.code == 1
    assert "AWS_PROFILE='ghost' names a profile that does not exist" in r.err


def test_no_credentials_names_profile_and_region(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # it would win over the profile's region
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = eu-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    r = stp("info", "--stage", "dev", "--project", "demo", "--profile", "dev")
    assert r.code == 1
    assert "no AWS credentials for profile 'dev' in region eu-west-2" in r.err
    assert "aws sso login --profile dev" in r.err
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    r = stp("secret", "list", "--region", "eu-central-1")
    assert r.code == 1 and "no AWS credentials for the default profile" in r.err and "eu-central-1" in r.err


def test_no_region(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    r = stp("info", "--stage", "dev", "--project", "demo")
    assert r.code == 1
    assert "no AWS region: pass --region" in r.err


def test_local_and_profile_do_not_mix():
    r = stp("info", "--stage", "dev", "--project", "demo", "--local", "--profile", "x")
    assert r.code == 2 and "--profile and --local do not go together" in r.err


def test_a_local_aws_that_is_down():
    from core.aws.stacks import find_stack
    from core.local.server import free_port

    aws = connect(local=True, endpoint=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AwsProblem, match=r"the local AWS at http://127.0.0.1:\d+ does not answer: start it with"):
        find_stack(aws, "x-dev")


def test_clients_use_adaptive_retries_on_aws_and_few_locally():
    real = connect(region="eu-west-1")
    cfg = real.client("cloudformation").meta.config
    assert cfg.retries["mode"] == "adaptive" and cfg.retries["total_max_attempts"] >= 5
    assert real.region == "eu-west-1" and real.describe() == "AWS (the default credentials, region eu-west-1)"
    local = connect(local=True, endpoint="http://127.0.0.1:1")
    assert local.client("s3").meta.config.retries["mode"] == "standard"
    assert local.region == "us-east-1"
    assert local.client("s3").meta.endpoint_url == "http://127.0.0.1:1"


def test_error_translation():
    target = Target(profile="prod", region="eu-west-1")
    expired = ClientError({"Error": {"Code": "ExpiredToken", "Message": "token expired"}}, "DescribeStacks")
    assert "aws sso login --profile prod" in str(problem_from(expired, target, "eu-west-1"))
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "CreateChangeSet")
    assert "not allowed to call CreateChangeSet" in str(problem_from(denied, target, "eu-west-1"))
    assert as_problem(ValueError("x")) is None
    assert is_transient(ConnectionClosedError(endpoint_url="x"))
    assert is_transient(EndpointConnectionError(endpoint_url="x"))
    assert is_transient(ClientError({"Error": {"Code": "Throttling", "Message": "slow"}}, "DescribeStackEvents"))
    assert not is_transient(denied)
