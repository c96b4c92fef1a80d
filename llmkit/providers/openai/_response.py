"""Non-streamed responses, usage and finish reasons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmkit.providers._common import decode, tool_call
from llmkit.providers.openai import _wire as w
from llmkit.providers.openai._errors import _error
from llmkit.types import (
    Finish,
    FinishReason,
    Message,
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


def _map_finish(raw: str | None, has_calls: bool, refused: bool) -> Finish:
    """Tool use is decided by the presence of calls: a forced `tool_choice`
    can end with `stop`. A refusal is a content filter whatever the raw word."""
    if refused:
        return Finish(reason="content_filter", raw=raw)
    if has_calls and raw in ("stop", None):
        return Finish(reason="tool_calls", raw=raw)
    return Finish(reason=_FINISH.get(raw or "", "other"), raw=raw)


def _map_usage(u: w.WireUsage, d: w.WireDialect) -> Usage:
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
    finish = _map_finish(choice.finish_reason, bool(m.tool_calls), bool(m.refusal))
    usage = _map_usage(c.usage, d) if c.usage is not None else Usage()
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


__all__ = ["_error", "_map_finish", "_map_usage", "parse", "response"]
