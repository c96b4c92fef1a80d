"""Non-streamed responses, usage, finish reasons, errors and model lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from llmkit.protocols import HttpRequest
from llmkit.providers._common import decode, tool_call
from llmkit.providers.openai import _wire as w
from llmkit.types import (
    Finish,
    FinishReason,
    Message,
    ModelInfo,
    Part,
    Response,
    Text,
    Thinking,
    Usage,
)

_FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",  # legacy functions API
    "content_filter": "content_filter",
}


def map_finish(raw: str | None, has_calls: bool, refused: bool) -> Finish:
    """Tool use is decided by the presence of calls: a forced `tool_choice`
    can end with `stop`. A refusal is a content filter whatever the raw word."""
    if refused:
        return Finish(reason="content_filter", raw=raw)
    if has_calls and raw in ("stop", None):
        return Finish(reason="tool_calls", raw=raw)
    return Finish(reason=_FINISH.get(raw or "", "other"), raw=raw)


def map_usage(u: w.WireUsage, d: w.WireDialect) -> Usage:
    """To llmkit's meaning: input includes cached, output includes reasoning.
    xAI's `completion_tokens` leaves reasoning out, OpenAI's counts it."""
    p = u.prompt_tokens_details
    c = u.completion_tokens_details
    reasoning = (c.reasoning_tokens or 0) if c is not None else 0
    output = u.completion_tokens or 0
    return Usage(
        input_tokens=u.prompt_tokens or 0,
        output_tokens=output + reasoning if d.reasoning_outside_completion else output,
        cache_read_tokens=(p.cached_tokens or 0) if p is not None else 0,
        cache_write_tokens=(p.cache_write_tokens or 0) if p is not None else 0,
        reasoning_tokens=reasoning,
    )


def parse(body: bytes, d: w.WireDialect) -> Response:
    c: w.Completion = decode(w.completion, body, d.provider)
    if c.error is not None:
        raise _error(None, {}, c, body, d)
    choice = c.choices[0] if c.choices else w.Choice()
    m = choice.message or w.WireMessage()
    parts: list[Part] = []
    if m.reasoning_content:
        parts.append(Thinking(text=m.reasoning_content, provider=d.provider))
    text = (m.content or "") + (m.refusal or "")
    if text:
        parts.append(Text(text=text))
    for call in m.tool_calls or ():
        f = call.function or w.Function()
        parts.append(tool_call(call.id or "", f.name or "", f.arguments or "", keep_raw=True))
    finish = map_finish(choice.finish_reason, bool(m.tool_calls), bool(m.refusal))
    usage = map_usage(c.usage, d) if c.usage is not None else Usage()
    extra = filters(None, c.prompt_filter_results, choice.content_filter_results)
    return response(c.id, c.model or "", parts, finish, usage, d, extra)


def filters(
    kept: dict[str, Any] | None, prompt: list[Any] | None, content: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Azure OpenAI's content filter results, kept on `Response.extra` (a
    stream keeps the last non-empty `content_filter_results` of its chunks)."""
    if prompt:
        kept = {**(kept or {}), "prompt_filter_results": prompt}
    if content:
        kept = {**(kept or {}), "content_filter_results": content}
    return kept


def response(
    id: str | None,
    model: str,
    parts: list[Part],
    finish: Finish,
    usage: Usage,
    d: w.WireDialect,
    extra: dict[str, Any] | None = None,
) -> Response:
    return Response(
        message=Message(role="assistant", content=parts, provider=d.provider, model=model or None),
        finish=finish,
        usage=usage,
        model=model,
        provider=d.provider,
        id=id,
        extra=extra or {},
    )


# ---- errors --------------------------------------------------------------------

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


# ---- models --------------------------------------------------------------------


def build_list_models(base_url: str) -> HttpRequest:
    # `GET /models` is one page on OpenAI, xAI and the compatible servers.
    return HttpRequest(
        method="GET", url=f"{base_url}/models", headers={"accept": "application/json"}
    )


def parse_list_models(body: bytes, d: w.WireDialect) -> tuple[list[ModelInfo], str | None]:
    listing: w.ModelList = decode(w.model_list, body, d.provider)
    return [ModelInfo(id=m.id, provider=d.provider, available=True) for m in listing.data], None
