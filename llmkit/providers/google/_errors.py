"""Gemini error bodies (`google.rpc.Status` as JSON) to llmkit errors.

Body: {"error": {"code": 429, "message", "status": "RESOURCE_EXHAUSTED",
"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
"retryDelay": "36s"}, ...]}}; wrapped in a JSON array when `alt=sse` is not
used. No rate-limit headers are documented, so `RetryInfo` gives `retry_after`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from llmkit.errors import (
    ApiError,
    AuthenticationError,
    ContextTooLong,
    InvalidRequest,
    NotFound,
    Overloaded,
    PermissionDenied,
    RateLimited,
    ServerError,
    api_error,
)
from llmkit.providers.google import _wire as w

NAME = "google"

# google.rpc.Code names, as Gemini puts them in `error.status`.
_KIND: Mapping[str, type[ApiError]] = {
    "INVALID_ARGUMENT": InvalidRequest,
    "FAILED_PRECONDITION": InvalidRequest,  # free tier unavailable, billing
    "OUT_OF_RANGE": InvalidRequest,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "RESOURCE_EXHAUSTED": RateLimited,
    "UNAVAILABLE": Overloaded,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
    "DEADLINE_EXCEEDED": ServerError,
    "ABORTED": ServerError,
}
# A bad key is a 400 INVALID_ARGUMENT whose ErrorInfo says why.
_BY_REASON: Mapping[str, type[ApiError]] = {
    "API_KEY_INVALID": AuthenticationError,
    "API_KEY_EXPIRED": AuthenticationError,
    "API_KEY_SERVICE_BLOCKED": PermissionDenied,
}
_TOO_LONG = re.compile(r"input token count.*exceeds the maximum", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")  # protobuf Duration JSON: "34.4s"


def _retry_delay(e: w.Error) -> float | None:
    for d in e.details:
        if d.retry_delay is not None and (m := _DURATION.match(d.retry_delay)):
            return float(m.group(1))
    return None


def _per_day(e: w.Error) -> bool:
    """A daily quota will not come back in seconds: retrying only burns calls."""
    return any("PerDay" in v.quota_id for d in e.details for v in d.violations)


def _kind(e: w.Error) -> type[ApiError] | None:
    for d in e.details:
        if d.reason is not None and d.reason in _BY_REASON:
            return _BY_REASON[d.reason]
    if e.status == "INVALID_ARGUMENT" and _TOO_LONG.search(e.message):
        return ContextTooLong
    return _KIND.get(e.status or "")


def from_error(
    e: w.Error, status: int | None, body: str, headers: Mapping[str, str] | None = None
) -> ApiError:
    return api_error(
        NAME,
        status,
        e.message,
        error_type=e.status,
        kind=_kind(e),
        retry_after=_retry_delay(e),
        body=body,
        headers=headers,
        retryable=False if _per_day(e) else None,
    )


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    """The llmkit error for a non-2xx Gemini answer."""
    text = body.decode("utf-8", "replace")
    try:
        parsed = w.ERROR.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):  # an HTML page from a proxy, say
        return api_error(NAME, status, f"HTTP {status}", body=text, headers=headers)
    if isinstance(parsed, list):
        if not parsed:
            return api_error(NAME, status, f"HTTP {status}", body=text, headers=headers)
        parsed = parsed[0]
    return from_error(parsed.error, status, text, headers)
