"""Error bodies: OpenAI's `{"error": {...}}` and xAI's flat `{"code", "error"}`."""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import (
    ApiError,
    AuthenticationError,
    ContextTooLong,
    DecodeError,
    InvalidRequest,
    NotFound,
    Overloaded,
    PermissionDenied,
    RateLimited,
    ServerError,
    api_error,
)
from llmkit.providers._common import decode
from llmkit.providers.openai import _wire as w

# Vendor error codes and types, most specific first (code, then type).
_KIND: Mapping[str, type[ApiError]] = {
    "context_length_exceeded": ContextTooLong,
    "string_above_max_length": ContextTooLong,
    "insufficient_quota": RateLimited,
    "rate_limit_exceeded": RateLimited,
    "invalid_api_key": AuthenticationError,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDenied,
    "model_not_found": NotFound,
    "server_is_overloaded": Overloaded,
    "slow_down": Overloaded,
    "server_error": ServerError,
    "unsupported_parameter": InvalidRequest,
    "unsupported_value": InvalidRequest,
}  # `invalid_request_error` is OpenAI's type for 400, 401 and 404 alike: the status decides
# Quota and billing errors come as 429 but waiting does not help.
_NOT_RETRYABLE = frozenset(
    {"insufficient_quota", "billing_hard_limit_reached", "access_terminated"}
)
_KEEP_HEADERS = ("x-request-id", "retry-after", "retry-after-ms", "x-should-retry")


def parse_error(
    status: int | None, headers: Mapping[str, str], body: bytes, d: w.WireDialect
) -> ApiError:
    try:
        c: w.Completion = decode(w.completion, body, d.provider)
    except DecodeError:  # not JSON (a proxy's HTML page): the text is the message
        c = w.Completion()
    return _error(status, headers, c, body, d)


def _error(
    status: int | None, headers: Mapping[str, str], c: w.Completion, body: bytes, d: w.WireDialect
) -> ApiError:
    text = body.decode("utf-8", "replace")
    if isinstance(c.error, w.ErrorObject):  # OpenAI {"error": {...}}
        e = c.error
        message, code = e.message or "", e.code
        error_type = e.type
    else:  # xAI flat {"code": "...", "error": "message"}, or no JSON at all
        message, code, error_type = c.error or text.strip(), c.code, None
    code = str(code) if code is not None else None
    kind = _KIND.get(code or "") or _KIND.get(error_type or "")
    h = {k.lower(): v for k, v in headers.items()}
    kept = {k: v for k, v in h.items() if k in _KEEP_HEADERS or k.startswith("x-ratelimit-")}
    return api_error(
        d.provider,
        status,
        message,
        error_type=code or error_type,
        kind=kind,
        request_id=h.get("x-request-id"),
        retry_after=_retry_after(h) if status == 429 else None,
        body=text,
        headers=kept,
        retryable=False if code in _NOT_RETRYABLE else None,
    )


def _retry_after(h: Mapping[str, str]) -> float | None:
    """`retry-after` wins (the transport reads it); else the reset time of the
    exhausted `x-ratelimit-*` limit (durations like `1s`, `6m0s`, `12ms`)."""
    if "retry-after" in h or "retry-after-ms" in h:
        return None
    waits = [
        duration(h.get(f"x-ratelimit-reset-{what}", ""))
        for what in ("requests", "tokens")
        if h.get(f"x-ratelimit-remaining-{what}") == "0"
    ]
    known = [x for x in waits if x is not None]
    return max(known) if known else None


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str) -> float | None:
    """Go-style durations as OpenAI sends them: `1s`, `6m0s`, `12ms`, `1h2m3.5s`."""
    total, num, i = 0.0, "", 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            num += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in _UNITS or not num:
            return None
        total += float(num) * _UNITS[unit]
        num, i = "", i + len(unit)
    return total if text and not num else None
