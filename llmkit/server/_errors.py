"""Errors as JSON: llmkit's typed errors, and the server's own refusals, mapped to
HTTP statuses."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.responses import Response

from llmkit import api
from llmkit import registry as _registry
from llmkit.errors import (
    ApiError,
    ConnectionFailed,
    DecodeError,
    LlmkitError,
    MissingApiKey,
    Overloaded,
    RateLimited,
    StreamError,
    Timeout,
    UnknownModel,
    Unsupported,
    scrub,
)
from llmkit.messages import InvalidMessages
from llmkit.registry import Registry
from llmkit.structured import InvalidResponseFormat, StructuredOutputError
from llmkit.testing import ReplayMismatch
from llmkit.tools import ToolDefinitionError

log = logging.getLogger("llmkit.server")


class Rejected(Exception):
    """A request the server refuses before calling llmkit."""

    def __init__(self, status: int, type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type, message


class ErrorInfo(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: str
    message: str
    status: int | None = None
    provider: str | None = None
    request_id: str | None = None
    vendor_type: str | None = None
    retry_after: float | None = None


class ErrorBody(msgspec.Struct, frozen=True):
    error: ErrorInfo


# First match along the error's MRO wins; vendor statuses are handled first.
_STATUS: Mapping[type[Exception], int] = {
    api.InvalidArgument: 400,
    InvalidMessages: 400,
    UnknownModel: 400,
    MissingApiKey: 400,
    Unsupported: 400,
    InvalidResponseFormat: 400,
    ToolDefinitionError: 400,
    RateLimited: 429,
    Overloaded: 503,
    Timeout: 504,
    ConnectionFailed: 502,
    StreamError: 502,
    DecodeError: 502,
    StructuredOutputError: 502,
    ReplayMismatch: 502,  # the "vendor" (a recording) has no answer for this request
    ApiError: 502,
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def http_status(e: Exception) -> int:
    if isinstance(e, Rejected):
        return e.status
    if isinstance(e, ApiError) and e.status is not None:
        if 400 <= e.status < 500:
            return e.status
        return 503 if isinstance(e, Overloaded) else 502
    return next((_STATUS[c] for c in type(e).__mro__ if c in _STATUS), 500)


def _redact(text: str, reg: Registry) -> str:
    """Belt and braces: no configured key value leaves the server."""
    for ep in reg.endpoints.values():
        key = _registry.find_key(ep)
        value = key.reveal().strip() if key is not None else ""  # as sent: stripped
        if value:
            text = text.replace(value, "***")
    return scrub(text)


def error_info(e: Exception, reg: Registry) -> ErrorInfo:
    if isinstance(e, Rejected):
        return ErrorInfo(type=e.type, message=e.message)
    if not isinstance(e, LlmkitError):
        log.error("unexpected error", exc_info=e)
        return ErrorInfo(type="internal_error", message="internal server error")
    kind = _CAMEL.sub("_", type(e).__name__).lower()
    log.info("%s: %s", kind, _redact(str(e), reg))
    info = ErrorInfo(type=kind, message=_redact(e.message, reg), provider=e.provider)
    if isinstance(e, ApiError):
        info = msgspec.structs.replace(
            info,
            status=e.status,
            request_id=e.request_id,
            vendor_type=e.error_type,
            retry_after=e.retry_after,
        )
    return info


_enc = msgspec.json.Encoder()


def error_response(e: Exception, reg: Registry) -> Response:
    info = error_info(e, reg)
    status = http_status(e)
    headers = {}
    if info.retry_after is not None and math.isfinite(info.retry_after) and status in (429, 503):
        headers["retry-after"] = str(math.ceil(info.retry_after))
    if status in (408, 413):  # the rest of the body may still be coming: close, do not read it
        headers["connection"] = "close"
    return json_response(ErrorBody(info), status, headers)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(_enc.encode(body), status, headers, media_type="application/json")
