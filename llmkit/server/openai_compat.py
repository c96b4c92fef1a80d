"""The OpenAI Chat Completions dialect of the gateway, as pure functions.

The reverse of `llmkit.providers.openai`: an OpenAI-shaped request body
becomes llmkit messages, tools and options (`parse_request`); an llmkit
`Response` becomes a `chat.completion` body (`completion_body`); llmkit stream
events become `chat.completion.chunk` frames through a fold (`start`, `step`)
ending in `data: [DONE]`; any error becomes OpenAI's envelope
`{"error": {"message", "type", "param", "code"}}` (`error_body`).

Chunks follow what the openai SDK's `accumulate_delta` expects (PROTOCOLS
§10.1): it concatenates repeated strings, so `role`, and a tool call's `id`,
`type` and `function.name`, are sent once; every tool-call fragment carries
its call's `index` (0, 1, ... in the order calls start). No I/O, clock or
randomness here: ids and timestamps come from the caller.

Continuity: Claude's signed thinking (and other vendors' opaque reasoning) must
go back with the turn's tool calls (Anthropic refuses a tool loop with thinking
on whose last assistant turn starts without it), but Chat Completions has no
field for it. It rides in the first tool call's id, which every client echoes
(`call_x.lk1.<base64url(zlib(msgpack(thinking parts)))>`), and is restored
from there. In a stream that has shown thinking, tool calls are therefore sent
whole at the end, once the signatures are known.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from llmkit.errors import ApiError, LlmkitError, UnknownModel
from llmkit.providers import openai as openai_wire
from llmkit.registry import Registry
from llmkit.server._errors import Rejected, error_info, http_status
from llmkit.types import (
    Done,
    Effort,
    FinishReason,
    Message,
    ModelInfo,
    Raw,
    Reasoning,
    Response,
    ResponseFormat,
    StreamEvent,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolChoice,
    ToolResult,
    Usage,
)

# ---- request ------------------------------------------------------------------


class BadParam(Rejected):
    """A 400 naming the request field at fault (OpenAI's `param`)."""

    def __init__(self, param: str, message: str, code: str = "invalid_value") -> None:
        super().__init__(400, code, message)
        self.param = param


class _Function(msgspec.Struct, frozen=True):
    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class _ToolIn(msgspec.Struct, frozen=True):
    type: str
    function: _Function | None = None


class _Name(msgspec.Struct, frozen=True):
    name: str


class _NamedChoice(msgspec.Struct, frozen=True):
    type: str
    function: _Name | None = None


class _JsonSchema(msgspec.Struct, frozen=True):
    name: str = "response"
    schema: dict[str, Any] | None = None
    strict: bool | None = None


class _Format(msgspec.Struct, frozen=True):
    type: str
    json_schema: _JsonSchema | None = None


class _StreamOptions(msgspec.Struct, frozen=True):
    include_usage: bool = False


class _Body(msgspec.Struct, frozen=True, kw_only=True):
    """The fields llmkit honours or must refuse; others (`user`, `metadata`,
    `store`, `service_tier`, ...) change nothing about the answer and are ignored."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[_ToolIn] | None = None
    tool_choice: str | _NamedChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: _Format | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    reasoning_effort: Effort | None = None
    prompt_cache_key: str | None = None
    stream: bool | None = False
    stream_options: _StreamOptions | None = None
    # Refused unless left at their defaults: llmkit cannot honour them everywhere.
    n: int | None = None
    logprobs: bool | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logit_bias: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None


class ChatCompletionsCall(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed request: `api.chat`/`api.stream` arguments, `model` as the client wrote it."""

    model: str
    messages: list[Message]
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    options: dict[str, Any] = {}
    stream: bool = False
    include_usage: bool = False


_decode_body = msgspec.json.Decoder(_Body)
# (field, value it may have) for what llmkit cannot do on every upstream.
_DEFAULTS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("n", (None, 1)),
    ("logprobs", (None, False)),
    ("frequency_penalty", (None, 0, 0.0)),
    ("presence_penalty", (None, 0, 0.0)),
    ("logit_bias", (None, {})),
    ("audio", (None,)),
)


def parse_request(body: bytes) -> ChatCompletionsCall:
    """A Chat Completions body → llmkit call arguments, or a `BadParam`/`Rejected` 400."""
    try:
        b = _decode_body.decode(body)
    except msgspec.ValidationError as e:
        raise BadParam(_path_of(str(e)), f"request body: {e}") from e
    except (msgspec.DecodeError, UnicodeDecodeError) as e:
        raise Rejected(400, "invalid_json", f"request body is not valid JSON: {e}") from e
    for field, allowed in _DEFAULTS:
        if getattr(b, field) not in allowed:
            raise BadParam(field, f"`{field}` is not supported by this gateway", "unsupported")
    messages = _messages(b.messages)
    return ChatCompletionsCall(
        model=b.model,
        messages=messages,
        tools=[_tool(i, t) for i, t in enumerate(b.tools or [])],
        tool_choice=_tool_choice(b.tool_choice, b.parallel_tool_calls),
        options=_options(b),
        stream=bool(b.stream),
        include_usage=bool(b.stream and b.stream_options and b.stream_options.include_usage),
    )


def _path_of(message: str) -> str:
    """msgspec's `... - at `$.messages[0]`` → `messages[0]` (OpenAI's `param`)."""
    _, sep, at = message.rpartition("at `$.")
    return at.rstrip("`") if sep else ""


def _messages(wire: list[dict[str, Any]]) -> list[Message]:
    if not wire:
        raise BadParam("messages", "`messages` must hold at least one message")
    messages = [_restore(_message(i, m)) for i, m in enumerate(wire)]
    for i, m in enumerate(messages):
        for p in m.content:
            if isinstance(p, Raw):  # input_audio, file ids: no other upstream takes them
                kind = p.data.get("type") if isinstance(p.data, dict) else None
                raise BadParam(
                    f"messages[{i}].content",
                    f"content part type {kind!r} is not supported by this gateway",
                    "unsupported",
                )
    return messages


_CARRY = ".lk1."
_MAX_CARRIED = 4 << 20  # bytes of thinking a tool-call id may unpack to
_thinking_list = msgspec.msgpack.Decoder(list[Thinking])
_msgpack = msgspec.msgpack.Encoder()


def carry_id(call_id: str, parts: list[Thinking]) -> str:
    """`call_id` with `parts` packed in (see the module docstring)."""
    blob = base64.urlsafe_b64encode(zlib.compress(_msgpack.encode(parts))).rstrip(b"=")
    return f"{call_id}{_CARRY}{blob.decode()}"


def _unpack(packed: str) -> list[Thinking]:
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
        unzip = zlib.decompressobj()
        data = unzip.decompress(raw, _MAX_CARRIED)
        if unzip.unconsumed_tail:
            raise ValueError("too large")
        return _thinking_list.decode(data)
    except (ValueError, binascii.Error, zlib.error, msgspec.DecodeError) as e:
        raise BadParam("messages", f"a tool call id this gateway made was altered: {e}") from e


def _carries(p: object) -> bool:
    return (isinstance(p, ToolCall) and _CARRY in p.id) or (
        isinstance(p, ToolResult) and _CARRY in p.tool_call_id
    )


def _restore(m: Message) -> Message:
    """A message with the ids this gateway made back to the vendor's, and the
    thinking they carried put back before the turn's other parts."""
    if not any(_carries(p) for p in m.content):
        return m
    carried: list[Thinking] = []
    parts: list[Any] = []
    for p in m.content:
        if isinstance(p, ToolCall) and _CARRY in p.id:
            call_id, _, packed = p.id.partition(_CARRY)
            carried += _unpack(packed)
            parts.append(msgspec.structs.replace(p, id=call_id))
        elif isinstance(p, ToolResult) and _CARRY in p.tool_call_id:
            call_id = p.tool_call_id.partition(_CARRY)[0]
            parts.append(msgspec.structs.replace(p, tool_call_id=call_id))
        else:
            parts.append(p)
    if carried:  # they replace what the client made of `reasoning_content`
        parts = carried + [p for p in parts if not isinstance(p, Thinking)]
    return msgspec.structs.replace(m, content=parts)


def _opaque(resp: Response) -> list[Thinking]:
    """The thinking that must go back with this turn's tool calls."""
    return [
        p
        for p in resp.message.content
        if isinstance(p, Thinking) and (p.signature or p.redacted or p.id)
    ]


def _message(i: int, wire: dict[str, Any]) -> Message:
    """One message in OpenAI's shape, read by the OpenAI provider's own history
    decoder (so `reasoning_content`, as this gateway sends it, comes back too),
    then checked as llmkit checks any caller's message."""
    try:
        (m,) = openai_wire.messages_from_wire([wire])
        if m.role == "tool" and isinstance(wire.get("name"), str):  # the tool's name
            m = msgspec.structs.replace(
                m, content=[msgspec.structs.replace(p, name=wire["name"]) for p in m.content]
            )
        return msgspec.convert(msgspec.to_builtins(m), Message, strict=True)
    except (LlmkitError, AttributeError, TypeError, ValueError) as e:
        where = f"messages[{i}]"
        raise BadParam(where, f"{where}: not a Chat Completions message: {e}") from e


def _tool(i: int, t: _ToolIn) -> Tool:
    if t.type != "function" or t.function is None:
        raise BadParam(f"tools[{i}].type", f"tool type {t.type!r} is not supported; use function")
    f = t.function
    params = f.parameters if f.parameters is not None else {"type": "object", "properties": {}}
    return Tool(name=f.name, description=f.description, parameters=params, strict=f.strict)


_CHOICE_WORDS: Mapping[str, Literal["auto", "none", "required"]] = {
    "auto": "auto",
    "none": "none",
    "required": "required",
}


def _tool_choice(choice: str | _NamedChoice | None, parallel: bool | None) -> ToolChoice | None:
    if choice is None:
        return None if parallel is None else ToolChoice(parallel=parallel)
    if isinstance(choice, str):
        if choice not in _CHOICE_WORDS:
            raise BadParam("tool_choice", f"tool_choice {choice!r}: use auto, none or required")
        return ToolChoice(mode=_CHOICE_WORDS[choice], parallel=parallel)
    if choice.type != "function" or choice.function is None:
        raise BadParam("tool_choice", f"tool_choice type {choice.type!r} is not supported")
    return ToolChoice(mode="tool", name=choice.function.name, parallel=parallel)


def _options(b: _Body) -> dict[str, Any]:
    max_tokens = b.max_completion_tokens if b.max_completion_tokens is not None else b.max_tokens
    given = (
        ("max_tokens", max_tokens),
        ("temperature", b.temperature),
        ("top_p", b.top_p),
        ("seed", b.seed),
        ("cache_key", b.prompt_cache_key),
    )
    out: dict[str, Any] = {k: v for k, v in given if v is not None}
    if b.stop:
        out["stop"] = [b.stop] if isinstance(b.stop, str) else b.stop
    if b.reasoning_effort is not None:
        out["reasoning"] = Reasoning(effort=b.reasoning_effort)
    if b.response_format is not None:
        out.update(_response_format(b.response_format))
    return out


def _response_format(f: _Format) -> dict[str, Any]:
    if f.type == "text":
        return {}
    if f.type == "json_object":
        return {"response_format": ResponseFormat()}
    if f.type == "json_schema" and f.json_schema is not None and f.json_schema.schema is not None:
        s = f.json_schema
        strict = bool(s.strict)  # OpenAI's default is not strict
        return {"response_format": ResponseFormat(schema=s.schema, name=s.name, strict=strict)}
    raise BadParam(
        "response_format", "response_format: use text, json_object or json_schema with a schema"
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


def _call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": _arguments(call)},
    }


def completion_body(resp: Response, *, id: str, created: int, model: str) -> bytes:
    """The `chat.completion` object for a whole answer."""
    text, calls = resp.text, resp.tool_calls
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        message["tool_calls"] = [_call(c) for c in calls]
        if opaque := _opaque(resp):
            message["tool_calls"][0]["id"] = carry_id(calls[0].id, opaque)
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


def start(*, id: str, created: int, model: str, include_usage: bool) -> ChunkState:
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
        case ToolCallStart(index=i, id=call_id, name=name):
            s, out = _open_call(s, i, call_id, name)
            return s, pre + out
        case ToolCallDelta(index=i, arguments=args):
            s, out = _call_args(s, i, args)
            return s, pre + out
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


def _close_call(s: ChunkState, i: int, call: ToolCall, pre: bytes) -> tuple[ChunkState, bytes]:
    """Arguments that arrived whole (Gemini sends calls complete) go out here."""
    known = next((c for c in s.calls if c[0] == i), None)
    out = pre
    if known is None:
        s, opened = _open_call(s, i, call.id, call.name)
        out += opened
        known = s.calls[-1]
    if not known[2]:
        s, args = _call_args(s, i, _arguments(call))
        out += args
    return s, out


def _held_calls(s: ChunkState, resp: Response) -> tuple[ChunkState, bytes]:
    """The tool calls not sent yet, each whole; the first carries the thinking."""
    out, opaque = b"", _opaque(resp)
    sent = {c[0] for c in s.calls}
    for i, p in enumerate(resp.message.content):
        if isinstance(p, ToolCall) and i not in sent:
            call_id = carry_id(p.id, opaque) if opaque else p.id
            opaque = []
            s, opened = _open_call(s, i, call_id, p.name)
            s, args = _call_args(s, i, _arguments(p))
            out += opened + args
    return s, out


def _finish(s: ChunkState, resp: Response) -> bytes:
    out = s.head + b'{},"finish_reason":"' + _map_finish(resp).encode() + b'"' + s.rest
    if s.include_usage:
        out += s.usage_head + _enc.encode(_usage(resp.usage)) + b"}\n\n"
    return out + DONE


# ---- errors and models --------------------------------------------------------------

_ERROR_TYPES: Mapping[int, str] = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


def error_status(e: Exception) -> int:
    """A vendor's status passes through unchanged (a 529 stays a 529); an
    unknown model is OpenAI's 404; the rest as the server maps them."""
    if isinstance(e, ApiError) and e.status is not None:
        return e.status
    if isinstance(e, UnknownModel):
        return 404
    return http_status(e)


def error_type(status: int) -> str:
    if status >= 500:
        return "api_error"
    return _ERROR_TYPES.get(status, "invalid_request_error")


def envelope(status: int, message: str, code: str | None, param: str | None = None) -> bytes:
    """OpenAI's error envelope."""
    info = {"message": message, "type": error_type(status), "param": param, "code": code}
    return _enc.encode({"error": info})


def error_body(e: Exception, reg: Registry) -> tuple[int, bytes]:
    """(HTTP status, OpenAI error JSON) for any exception, key values redacted."""
    status, info = error_status(e), error_info(e, reg)
    code = info.vendor_type or ("model_not_found" if status == 404 else info.type)
    return status, envelope(status, info.message, code, getattr(e, "param", None))


def error_frame(e: Exception, reg: Registry) -> bytes:
    """A failure after the stream began: one `data: {"error": ...}` frame (the
    SDK raises on it); no `[DONE]` follows."""
    return b"data: " + error_body(e, reg)[1] + b"\n\n"


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
