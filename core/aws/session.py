"""The one place that makes boto3 clients: real AWS (profile, region, assumed role) or the local AWS.

    aws = connect(local=False, profile="prod", region="eu-west-1")
    cfn = aws.client("cloudformation")

Every client shares one botocore session and one retry configuration (adaptive mode: exponential
backoff with jitter plus client-side rate limiting when AWS throttles). Whatever goes wrong while
finding credentials, the region or the endpoint becomes an ``AwsProblem`` whose message names the
profile and region and says what to do; ``problem_from`` turns any other botocore error into one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions as bx
from botocore.config import Config

LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

# errors that mean "the connection dropped or timed out": a watcher retries them
TRANSIENT = (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ReadTimeoutError, bx.ConnectTimeoutError,
             bx.ProxyConnectionError, bx.ResponseStreamingError, bx.IncompleteReadError, bx.HTTPClientError)
THROTTLING = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
              "ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout"}
_AUTH_CODES = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
               "SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthFailure", "RequestExpired",
               "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken"}


class AwsProblem(Exception):
    """Something about AWS that stops a command; the message is meant for the user as it is."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Target:
    """Where commands go: the local AWS, or real AWS with a profile/region (None: the usual lookup)."""

    local: bool = False
    profile: str | None = None
    region: str | None = None
    role_arn: str | None = None
    endpoint: str | None = None  # set for the local AWS once it runs

    def describe(self, region: str | None = None) -> str:
        if self.local:
            return f"the local AWS at {self.endpoint}" if self.endpoint else "the local AWS"
        profile = f"profile '{self.profile}'" if self.profile else "the default credentials"
        return f"AWS ({profile}, region {region or self.region or 'not set'})"


def retry_config(local: bool, **overrides: Any) -> Config:
    if local:  # one process on this machine: fail fast when it is gone, never throttle
        base: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 2}, "connect_timeout": 3,
                                "read_timeout": 60}
    else:
        base = {"retries": {"mode": "adaptive", "max_attempts": 10}, "connect_timeout": 10, "read_timeout": 70}
    base.update(max_pool_connections=32, user_agent_extra="stp", tcp_keepalive=True)
    base.update(overrides)
    return Config(**base)


@dataclass
class Aws:
    """A connected target: clients, the region and (once asked) the account id."""

    target: Target
    session: boto3.session.Session
    region: str
    _clients: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _account: str | None = None

    @property
    def local(self) -> bool:
        return self.target.local

    @property
    def endpoint(self) -> str | None:
        return self.target.endpoint

    def client(self, service: str, **config: Any):
        """A boto3 client (one per service and config; boto3 clients are safe to share between threads)."""
        key = (service, tuple(sorted(config.items())))
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                kwargs: dict[str, Any] = {"region_name": self.region, "config": retry_config(self.local, **config)}
                if self.local:
                    kwargs["endpoint_url"] = self.target.endpoint
                with translated(self.target, self.region):
                    found = self._clients[key] = self.session.client(service, **kwargs)
        return found

    def account_id(self) -> str:
        if self._account is None:
            with translated(self.target, self.region):
                self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def describe(self) -> str:
        return self.target.describe(self.region)

    def call(self, fn: Callable, **kwargs: Any):
        """``fn(**kwargs)`` with botocore errors turned into AwsProblem."""
        with translated(self.target, self.region):
            return fn(**kwargs)


def connect(local: bool = False, profile: str | None = None, region: str | None = None, *,
            role_arn: str | None = None, endpoint: str | None = None,
            on_local_start: Callable[[int, Any], None] | None = None) -> Aws:
    """Connect to the local AWS (started if it is not running) or to real AWS; raises AwsProblem."""
    if local:
        if profile:
            raise AwsProblem("--profile and --local do not go together: the local AWS takes any credentials", 2)
        if endpoint is None:
            from core.local import server

            try:
                endpoint = server.ensure_running(on_spawn=on_local_start).endpoint
            except server.LocalServerError as exc:
                raise AwsProblem(f"cannot reach the local AWS: {exc}") from None
        target = Target(local=True, region=region, endpoint=endpoint)
        session = boto3.session.Session(region_name=region or LOCAL_REGION, **LOCAL_CREDENTIALS)
        return Aws(target, session, region or LOCAL_REGION)
    target = Target(profile=profile, region=region, role_arn=role_arn)
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except bx.ProfileNotFound:
        raise AwsProblem(_no_profile(profile)) from None
    except bx.BotoCoreError as exc:
        raise AwsProblem(f"cannot read the AWS configuration: {exc}") from None
    resolved = session.region_name
    if not resolved:
        where = f"profile '{profile}' in ~/.aws/config" if profile else "AWS_REGION or ~/.aws/config"
        raise AwsProblem(f"no AWS region: pass --region (or set region in {where})")
    with translated(target, resolved):
        creds = session.get_credentials()
        if creds is None:
            raise bx.NoCredentialsError()
        creds.get_frozen_credentials()  # SSO / assume-role profiles fetch here: fail now with a clear message
    if role_arn:
        session = _assumed(session, role_arn, target, resolved)
    return Aws(target, session, resolved)


def _assumed(session: boto3.session.Session, role_arn: str, target: Target, region: str) -> boto3.session.Session:
    """A session whose credentials come from sts:AssumeRole and refresh themselves before they expire."""
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        DeferredRefreshableCredentials,
    )
    from botocore.session import Session as CoreSession

    fetcher = AssumeRoleCredentialFetcher(
        client_creator=session._session.create_client,
        source_credentials=session.get_credentials(),
        role_arn=role_arn,
        extra_args={"RoleSessionName": "stp"},
    )
    core = CoreSession()
    core._credentials = DeferredRefreshableCredentials(
        method="assume-role", refresh_using=fetcher.fetch_credentials)
    assumed = boto3.session.Session(botocore_session=core, region_name=region)
    with translated(target, region):
        assumed.get_credentials().get_frozen_credentials()
    return assumed


def _no_profile(profile: str | None) -> str:
    import os

    if profile:
        return (f"AWS profile '{profile}' is not in ~/.aws/config or ~/.aws/credentials; list yours with"
                " `aws configure list-profiles`, or use --local for the local AWS")
    return (f"AWS_PROFILE={os.environ.get('AWS_PROFILE')!r} names a profile that does not exist; unset it or pass"
            " --profile")


class translated:
    """Context manager: botocore errors inside become AwsProblem (ClientErrors of a service too)."""

    def __init__(self, target: Target, region: str | None = None, what: str | None = None):
        self.target, self.region, self.what = target, region, what

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, AwsProblem) or not isinstance(exc, (bx.BotoCoreError, bx.ClientError)):
            return False
        raise problem_from(exc, self.target, self.region, self.what) from None


def problem_from(exc: BaseException, target: Target, region: str | None = None, what: str | None = None) -> AwsProblem:
    """A user-facing AwsProblem for a botocore error."""
    where = target.describe(region)
    prefix = f"{what}: " if what else ""
    profile = f" --profile {target.profile}" if target.profile else ""
    if isinstance(exc, bx.ProfileNotFound):
        return AwsProblem(_no_profile(target.profile))
    if isinstance(exc, bx.NoRegionError):
        return AwsProblem("no AWS region: pass --region" + (f" (or set region in profile '{target.profile}')"
                                                            if target.profile else " (or set AWS_REGION)"))
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        who = f"profile '{target.profile}'" if target.profile else "the default profile (or AWS_ACCESS_KEY_ID)"
        return AwsProblem(f"no AWS credentials for {who} in region {region or target.region or 'not set'}: run"
                          f" `aws configure{profile}` or `aws sso login{profile}`, or use --local for the local AWS")
    if isinstance(exc, (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError, bx.SSOError)):
        return AwsProblem(f"the AWS SSO session of {where} has expired or is missing: run `aws sso login{profile}`")
    if isinstance(exc, bx.CredentialRetrievalError):
        return AwsProblem(f"cannot get credentials for {where}: {exc}")
    if isinstance(exc, bx.EndpointConnectionError):
        if target.local:
            return AwsProblem(f"{prefix}the local AWS at {target.endpoint} does not answer: start it with"
                              " `stp local start` (or check `stp local status`)")
        return AwsProblem(f"{prefix}cannot connect to AWS at {getattr(exc, 'kwargs', {}).get('endpoint_url', '?')}:"
                          f" check the network and that region '{region}' exists")
    if isinstance(exc, TRANSIENT):
        return AwsProblem(f"{prefix}the connection to {where} failed: {exc}")
    if isinstance(exc, bx.ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        op = getattr(exc, "operation_name", "") or "request"
        if code in _AUTH_CODES:
            return AwsProblem(f"AWS rejected the credentials of {where} ({code}: {message}); refresh them with"
                              f" `aws sso login{profile}` or `aws configure{profile}`")
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return AwsProblem(f"{prefix}not allowed to call {op} in {where}: {message}")
        return AwsProblem(f"{prefix}{op} failed in {where}: {code}: {message}")
    return AwsProblem(f"{prefix}{exc}")


def error_code(exc: BaseException) -> str:
    if isinstance(exc, bx.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    if isinstance(exc, bx.ClientError):
        return str(exc.response.get("Error", {}).get("Message", ""))
    return str(exc)


def is_transient(exc: BaseException) -> bool:
    """A dropped connection, a timeout or throttling that outlived botocore's own retries: try again later."""
    return isinstance(exc, TRANSIENT) or error_code(exc) in THROTTLING


def as_problem(exc: BaseException, target: Target | None = None) -> AwsProblem | None:
    """The AwsProblem for an exception from boto3/botocore (None for anything else)."""
    if isinstance(exc, AwsProblem):
        return exc
    if isinstance(exc, (bx.BotoCoreError, bx.ClientError)):
        return problem_from(exc, target or Target())
    return None
