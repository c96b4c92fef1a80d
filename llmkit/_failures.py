"""A failed attempt as an llmkit error, and whether to try again: a vendor's
error status through the provider's `parse_error` (`_api_error`), a network
error (`_network_error`), the wait before the next attempt (`retry_after`,
`_delay`); and the key kept out of every error the transport raises
(`_keyless`)."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import TypeVar

import httpx

from llmkit._call import Call, RetryPolicy
from llmkit.errors import (
    ApiError,
    ConnectionFailed,
    LlmkitError,
    Timeout,
    redact,
    redact_text,
)
from llmkit.providers._common import retry_after_seconds
from llmkit.types import Response


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    lowered = {k.lower(): v for k, v in headers.items()}
    seconds = retry_after_seconds(lowered)
    value = lowered.get("retry-after")
    if seconds is not None or not value:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _delay(policy: RetryPolicy, attempt: int, err: LlmkitError, end: float | None) -> float | None:
    """Seconds to wait before the next attempt, or None to stop retrying: the
    vendor asked for longer than `max_delay`, or the wait would pass the deadline."""
    if attempt >= policy.max_retries:
        return None
    if isinstance(err, ApiError):
        if err.headers.get("x-should-retry") == "false" or not err.retryable:
            return None
    elif not isinstance(err, (ConnectionFailed, Timeout)):
        return None
    advised = err.retry_after if isinstance(err, ApiError) else None
    if advised is not None and not advised <= policy.max_delay:  # NaN too
        return None
    wait = (
        advised
        if advised is not None
        else random.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))
    )
    return None if end is not None and time.monotonic() + wait >= end else wait


_TRANSPORT_HEADERS = (
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "request-id",
    "x-request-id",
)


def _api_error(
    call: Call, status: int, headers: httpx.Headers, body: bytes, where: str = ""
) -> ApiError:
    p = call.provider
    err = p.parse_error(status, headers, body)
    if call.route is not None:
        err = call.route.refine_error(err, status, headers, body)
    if status == 404 and where:  # a wrong base URL (a proxy, a gateway) shows where it went
        err.message = f"{err.message} ({where})"
        err.args = (err.message,)
    if err.retry_after is None:
        err.retry_after = retry_after(headers)
    if err.request_id is None:
        err.request_id = headers.get("request-id") or headers.get("x-request-id")
    # Only what the transport itself reads is added; the rest stays as the
    # provider chose (OpenAI's parse_error keeps a whitelist: no set-cookie).
    own = {k: headers[k] for k in _TRANSPORT_HEADERS if k in headers}
    err.headers = {**own, **err.headers}
    err.provider = call.name
    return _keyless(call, err)


_E = TypeVar("_E", bound=LlmkitError)


def _secrets(call: Call) -> list[str]:
    """The key, or the credential's secret strings (a token, an AWS secret key
    and session token), as sent."""
    if call.key is not None:
        return [call.key.reveal()]
    return [] if call.credential is None else call.credential.secrets()


def _keyless(call: Call, err: _E) -> _E:
    """Every error the transport raises passes here: a vendor that echoes the
    key (in a 401 body, a header, a mid-stream error event) must not get it
    into our error, whatever the key's shape."""
    for secret in _secrets(call) or [""]:
        redact(err, secret)
    return err


def _without_key(text: str, call: Call) -> str:
    for secret in _secrets(call):
        text = redact_text(text, secret)
    return text


def _network_error(call: Call, e: httpx.HTTPError, partial: Response | None = None) -> LlmkitError:
    if isinstance(e, httpx.TimeoutException):
        return Timeout(f"timed out: {type(e).__name__}", provider=call.name, partial=partial)
    text = _without_key(f"{type(e).__name__}: {e}", call)
    return _keyless(call, ConnectionFailed(text, provider=call.name, partial=partial))


def _cause(call: Call, e: Exception) -> Exception | None:
    """What to chain a network error to: not an httpx error whose text holds
    the key (httpx quotes a header it refuses to send)."""
    return None if _without_key(str(e), call) != str(e) else e
