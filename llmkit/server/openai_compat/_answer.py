"""llmkit answers → a `chat.completion` body, `chat.completion.chunk` frames
(a fold), and the `/v1/models` list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmkit.server.openai_compat._carry import call_id, opaque_parts
from llmkit.types import (
    Done,
    FinishReason,
    ModelInfo,
    Response,
    StreamEvent,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
)

# ---- whole answers --------------------------------------------------------------

# llmkit's reason -> OpenAI's word; a turn with tool calls says tool_calls whatever
# the vendor said (Gemini reports STOP beside function calls).
_FINISH: Mapping[FinishReason, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "error": "stop",
    "other": "stop",
}


def _map_finish(resp: Response) -> str:
    word = _FINISH[resp.finish.reason]
    return "tool_calls" if word == "stop" and resp.tool_calls else word


def _usage(u: Usage) -> dict[str, Any]:
    # llmkit's input counts cached tokens and output counts reasoning, as OpenAI's do.
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    }


def _arguments(call: ToolCall) -> str:
    if call.raw_arguments is not None:
        return call.raw_arguments
    return _enc.encode(call.arguments).decode()


def _call(call: ToolCall, thinking: list[Thinking]) -> dict[str, Any]:
    return {
        "id": call_id(call, thinking),
        "type": "function",
        "function": {"name": call.name, "arguments": _arguments(call)},
    }


def completion_body(resp: Response, *, id: str, created: int, model: str) -> bytes:
    """The `chat.completion` object for a whole answer."""
    text, calls = resp.text, resp.tool_calls
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        thinking = opaque_parts(resp)
        message["tool_calls"] = [_call(c, thinking if n == 0 else []) for n, c in enumerate(calls)]
    if resp.thinking:
        message["reasoning_content"] = resp.thinking
    choice = {"index": 0, "message": message, "finish_reason": _map_finish(resp), "logprobs": None}
    body = {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [choice],
        "usage": _usage(resp.usage),
    }
    return _enc.encode(body)


# ---- streams ----------------------------------------------------------------------


class ChunkState(msgspec.Struct, frozen=True, kw_only=True):
    """The fold's state: each chunk's fixed head and tail bytes, whether the
    role chunk went out, and the OpenAI `index` of each llmkit tool-call part
    (with whether its arguments were streamed)."""

    head: bytes
    tail: bytes
    rest: bytes  # the tail after `finish_reason`
    usage_head: bytes
    include_usage: bool
    started: bool = False
    calls: tuple[tuple[int, int, bool], ...] = ()  # (llmkit index, openai index, args sent)
    hold: bool = False  # thinking was shown: tool calls wait for Done (see module docstring)
    pending: tuple[tuple[int, str, str], ...] = ()  # started calls not sent yet: (index, id, name)
    whole_calls: bool = False  # send each call at its end (its own signature is known then)


def start(
    *, id: str, created: int, model: str, include_usage: bool, whole_calls: bool = False
) -> ChunkState:
    """The fold's first state. `whole_calls` for upstreams whose calls arrive
    whole and signed (Gemini): each goes out at its end, its signature in its id."""
    envelope = _enc.encode(
        {"id": id, "object": "chat.completion.chunk", "created": created, "model": model}
    )[:-1]
    rest = b',"logprobs":null}]' + (b',"usage":null' if include_usage else b"") + b"}\n\n"
    return ChunkState(
        head=b"data: " + envelope + b',"choices":[{"index":0,"delta":',
        tail=b',"finish_reason":null' + rest,
        rest=rest,
        usage_head=b"data: " + envelope + b',"choices":[],"usage":',
        include_usage=include_usage,
        whole_calls=whole_calls,
    )


_ROLE = b'{"role":"assistant","content":""}'
DONE = b"data: [DONE]\n\n"


def _chunk(s: ChunkState, delta: Any) -> bytes:
    return s.head + _enc.encode(delta) + s.tail


def step(s: ChunkState, ev: StreamEvent) -> tuple[ChunkState, bytes]:
    """One llmkit event → the SSE bytes to send (often one chunk, maybe none)."""
    if type(ev) is TextDelta and s.started and ev.text:  # the hot path: one text chunk
        return s, s.head + b'{"content":' + _enc.encode(ev.text) + b"}" + s.tail
    pre = b""
    if not s.started:
        s = msgspec.structs.replace(s, started=True)
        pre = s.head + _ROLE + s.tail
    match ev:
        case TextDelta(text=text):
            return s, pre + _chunk(s, {"content": text}) if text else pre
        case ThinkingDelta(text=text):
            s = s if s.hold else msgspec.structs.replace(s, hold=True)
            return s, pre + _chunk(s, {"reasoning_content": text}) if text else pre
        case ToolCallStart() | ToolCallDelta() | ToolCallEnd() if s.hold:
            return s, pre
        case ToolCallStart(index=i, id=ident, name=name):
            # Opened at its first arguments, or at its end when they come whole
            # (Gemini), when the call's own signature is known.
            return msgspec.structs.replace(s, pending=(*s.pending, (i, ident, name))), pre
        case ToolCallDelta() if s.whole_calls:
            return s, pre
        case ToolCallDelta(index=i, arguments=args):
            s, out = _open_pending(s, i, None) if args else (s, b"")
            s, more = _call_args(s, i, args)
            return s, pre + out + more
        case ToolCallEnd(index=i, call=call):
            return _close_call(s, i, call, pre)
        case Done(response=resp):
            if s.hold:
                s, held = _held_calls(s, resp)
                pre += held
            return s, pre + _finish(s, resp)
        case _:  # usage and finish: said once, at Done
            return s, pre


def _open_call(s: ChunkState, i: int, call_id: str, name: str) -> tuple[ChunkState, bytes]:
    n = len(s.calls)
    s = msgspec.structs.replace(s, calls=(*s.calls, (i, n, False)))
    first = {"index": n, "id": call_id, "type": "function"}
    return s, _chunk(s, {"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]})


def _call_args(s: ChunkState, i: int, args: str) -> tuple[ChunkState, bytes]:
    n = next((c[1] for c in s.calls if c[0] == i), None)
    if n is None or not args:
        return s, b""
    if not next(c[2] for c in s.calls if c[0] == i):
        s = msgspec.structs.replace(
            s, calls=tuple((a, b, sent or a == i) for a, b, sent in s.calls)
        )
    return s, _chunk(s, {"tool_calls": [{"index": n, "function": {"arguments": args}}]})


def _open_pending(s: ChunkState, i: int, call: ToolCall | None) -> tuple[ChunkState, bytes]:
    """The first chunk of call `i` if it is still pending (or, with `call`,
    never started): its id carrying the call's own signature when known."""
    started = next((p for p in s.pending if p[0] == i), None)
    if started is None and call is None:
        return s, b""
    s = msgspec.structs.replace(s, pending=tuple(p for p in s.pending if p[0] != i))
    if call is not None:
        return _open_call(s, i, call_id(call, []), call.name)
    assert started is not None
    return _open_call(s, i, started[1], started[2])


def _close_call(s: ChunkState, i: int, call: ToolCall, pre: bytes) -> tuple[ChunkState, bytes]:
    """Arguments that arrived whole (Gemini sends calls complete) go out here."""
    known = next((c for c in s.calls if c[0] == i), None)
    out = pre
    if known is None:
        s, opened = _open_pending(s, i, call)
        out += opened
        known = s.calls[-1]
    if not known[2]:
        s, args = _call_args(s, i, _arguments(call))
        out += args
    return s, out


def _held_calls(s: ChunkState, resp: Response) -> tuple[ChunkState, bytes]:
    """The tool calls not sent yet, each whole; the first carries the thinking."""
    out, thinking = b"", opaque_parts(resp)
    sent = {c[0] for c in s.calls}
    for i, p in enumerate(resp.message.content):
        if isinstance(p, ToolCall) and i not in sent:
            s, opened = _open_call(s, i, call_id(p, thinking), p.name)
            thinking = []
            s, args = _call_args(s, i, _arguments(p))
            out += opened + args
    return s, out


def _finish(s: ChunkState, resp: Response) -> bytes:
    out = s.head + b'{},"finish_reason":"' + _map_finish(resp).encode() + b'"' + s.rest
    if s.include_usage:
        out += s.usage_head + _enc.encode(_usage(resp.usage)) + b"}\n\n"
    return out + DONE


def _model_list(models: list[ModelInfo], aliases: Mapping[str, str]) -> list[dict[str, Any]]:
    data = [
        {"id": m.id, "object": "model", "created": 0, "owned_by": m.provider}
        for m in models
        if m.available
    ]
    data += [
        {"id": name, "object": "model", "created": 0, "owned_by": _owner(target)}
        for name, target in aliases.items()
    ]
    return data


def models_body(models: list[ModelInfo], aliases: Mapping[str, str]) -> bytes:
    """`GET /v1/models`: the available models, then the aliases (owned by
    their target's provider)."""
    return _enc.encode({"object": "list", "data": _model_list(models, aliases)})


def model_body(models: list[ModelInfo], aliases: Mapping[str, str], id: str) -> bytes | None:
    """`GET /v1/models/{id}`: one entry of that list, or None."""
    found = [m for m in _model_list(models, aliases) if m["id"] == id]
    return _enc.encode(found[-1]) if found else None  # an alias shadows a model


def _owner(target: str) -> str:
    provider, sep, _ = target.partition(":")
    return provider if sep else "llmkit"


_enc = msgspec.json.Encoder()
