"""Errors a request answers with when the user asked for something that cannot be done."""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException

REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed


class RequestFailed(JsonRpcException):
    """A refusal the client shows to the user as is (e.g. "'my-queue' is not a valid resource name")."""

    CODE = REQUEST_FAILED
    MESSAGE = "Request failed"


class _QuietRefusals(logging.Filter):
    """pygls logs every failed request with a traceback; refusals are answers, not crashes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, RequestFailed)


def quiet_refusals() -> None:
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_QuietRefusals())
