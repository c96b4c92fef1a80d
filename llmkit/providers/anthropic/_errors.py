"""Error bodies and mid-stream `error` events
(https://platform.claude.com/docs/en/api/errors)."""

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
from llmkit.providers._common import retry_after_seconds

from ._wire import NAME, WireErrorBody, error_decoder

# Anthropic's `error.type` -> llmkit's class; it wins over the status table.
_KIND: Mapping[str, type[ApiError]] = {
    "invalid_request_error": InvalidRequest,
    "request_too_large": InvalidRequest,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDenied,
    "billing_error": PermissionDenied,
    "not_found_error": NotFound,
    "rate_limit_error": RateLimited,
    "overloaded_error": Overloaded,
    "api_error": ServerError,
    "timeout_error": ServerError,
    "conflict_error": ServerError,
}
# "prompt is too long: 208310 tokens > 200000 maximum",
# "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000"
_CONTEXT = re.compile(r"prompt is too long|exceeds? (the )?context (limit|window)", re.I)
_NO_RETRY_CODES = frozenset({"enforced_spend_limit_reached"})  # the monthly cap: waiting won't help


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """All headers, names lowercased: request-id, retry-after(-ms),
    x-should-retry and anthropic-ratelimit-* are the ones that matter."""
    return {k.lower(): v for k, v in headers.items()}


def error_from_wire(
    status: int | None, e: WireErrorBody, *, body: str, headers: Mapping[str, str]
) -> ApiError:
    """The typed error for an error body or a mid-stream `error` event (then
    `status` is None: the HTTP status was 200 and llmkit never invents one)."""
    kind = _KIND.get(e.error.type)
    if kind is InvalidRequest and _CONTEXT.search(e.error.message):
        kind = ContextTooLong
    code = (e.error.details or {}).get("error_code")
    retryable = False if code in _NO_RETRY_CODES else None
    return api_error(
        NAME,
        status,
        e.error.message,
        error_type=e.error.type or None,
        kind=kind,
        request_id=e.request_id or headers.get("request-id"),
        retry_after=retry_after_seconds(headers),
        body=body,
        headers=headers,
        retryable=retryable,
    )


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    kept = _lower(headers)
    text = body.decode("utf-8", "replace")
    try:
        wire = error_decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):  # a proxy's HTML page, an empty body
        wire = WireErrorBody()
    if not wire.error.message:
        wire = msgspec.structs.replace(
            wire, error=msgspec.structs.replace(wire.error, message=text.strip()[:500])
        )
    return error_from_wire(status, wire, body=text, headers=kept)
