"""`POST /v1/messages` for clients that speak Anthropic's Messages API
(PROTOCOLS 10.2): the request body becomes an llmkit call, and llmkit's
answer or stream events become the Messages body or its SSE events.

The reverse of `llmkit.providers.anthropic`: history is read with its
`messages_from_wire`, so what Claude accepts from the client reaches any
model. Pure functions; the handler in `_app` does the I/O.

Decisions worth knowing:
- `cache_control` of any ttl marks a cache breakpoint (`Message.cache`,
  `Tool.cache`); other vendors ignore it.
- `thinking` maps to `Reasoning`: enabled -> `budget`, adaptive -> the
  `output_config.effort` if any, `display: "omitted"` -> `include=False`,
  disabled -> none. `top_k` reaches Claude only (the other vendors' bodies
  have no such key); `metadata` and unknown fields are ignored.
- Thinking goes out with Claude's signature when Claude made it. Other
  vendors' reasoning goes out as thinking text with an empty signature; when
  the client sends it back, a thinking block without a signature is nobody's
  (provider None), so `Options.foreign_thinking` decides it: dropped by default.
  A signature the gateway did not see made by Claude is never invented.
- Tool-call ids are fitted to Claude's id pattern (`fit_id`): clients replay
  them, and some validate them.
- One content block is open at a time; the stream's `message_delta` carries
  the final usage and stop reason from `Done`.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec.structs import replace

from llmkit.errors import Overloaded
from llmkit.providers._ids import ANTHROPIC, fit_id
from llmkit.providers.anthropic import NAME as CLAUDE
from llmkit.providers.anthropic import messages_from_wire
from llmkit.providers.anthropic._rules import EPHEMERAL
from llmkit.server._body import MAX_DEPTH, _too_deep
from llmkit.server._errors import Rejected
from llmkit.types import (
    Done,
    Finish,
    Message,
    Part,
    Raw,
    Reasoning,
    ResponseFormat,
    StreamEvent,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolChoice,
    Usage,
    UsageUpdate,
)
from llmkit.types import Response as ChatResponse

# ---- request ---------------------------------------------------------------------


class MessagesBody(msgspec.Struct, frozen=True, kw_only=True):
    """The Messages request fields the gateway reads (others are ignored)."""

    model: str
    max_tokens: int
    messages: list[dict[str, Any]]
    system: str | list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    stream: bool = False


class Call(msgspec.Struct, frozen=True, kw_only=True):
    """What a request asks llmkit for: the arguments of `llmkit.chat`/`stream`."""

    model: str
    messages: list[Message]
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    options: dict[str, Any] = {}
    stream: bool = False


_decode_any = msgspec.json.Decoder()


def bad_request(message: str) -> Rejected:
    return Rejected(400, "invalid_request_error", message)


def _cached(block: Any) -> Any:
    """A block whose `cache_control` (any ttl) is the plain ephemeral one the
    provider's reader turns into a breakpoint; inside a tool_result, where
    llmkit has no breakpoint, none (else the result could not be modelled)."""
    if not isinstance(block, dict):
        return block
    inner = block.get("content")
    if block.get("type") == "tool_result" and isinstance(inner, list):
        plain = [
            {k: v for k, v in b.items() if k != "cache_control"}
            for b in inner
            if isinstance(b, dict)
        ]
        if len(plain) == len(inner):
            block = {**block, "content": plain}
    if isinstance(block.get("cache_control"), dict):
        return {**block, "cache_control": EPHEMERAL}
    return block


def _own(part: Part) -> Part:
    """Thinking without a signature came from another vendor through us: it is
    nobody's, so `foreign_thinking` decides it everywhere."""
    if isinstance(part, Thinking) and part.redacted is None and not part.signature:
        return Thinking(text=part.text)
    return part


def history(body: MessagesBody) -> list[Message]:
    system = body.system
    if isinstance(system, list):
        system = [_cached(b) for b in system]
    wire = []
    for m in body.messages:
        content = m.get("content")
        if isinstance(content, list):
            m = {**m, "content": [_cached(b) for b in content]}
        wire.append(m)
    return [
        replace(m, content=[_own(p) for p in m.content]) for m in messages_from_wire(system, wire)
    ]


def _tool(t: dict[str, Any]) -> Tool:
    kind = t.get("type", "custom")
    if kind != "custom" or not isinstance(t.get("name"), str):
        raise bad_request(f"tools: only client tools are served here, not {kind!r}")
    schema = t.get("input_schema")
    return Tool(
        name=t["name"],
        description=str(t.get("description") or ""),
        parameters=schema if isinstance(schema, dict) else {"type": "object", "properties": {}},
        strict=t.get("strict") if isinstance(t.get("strict"), bool) else None,
        cache=isinstance(t.get("cache_control"), dict),
    )


_CHOICE: dict[str, Literal["auto", "none", "required", "tool"]] = {
    "auto": "auto",
    "any": "required",
    "tool": "tool",
    "none": "none",
}


def _tool_choice(c: dict[str, Any] | None) -> ToolChoice | None:
    if c is None:
        return None
    mode = _CHOICE.get(str(c.get("type")))
    if mode is None:
        raise bad_request(f"tool_choice.type: {c.get('type')!r} is not auto, any, tool or none")
    name = c.get("name") if mode == "tool" else None
    if mode == "tool" and not isinstance(name, str):
        raise bad_request("tool_choice: type 'tool' needs a `name`")
    no_parallel = c.get("disable_parallel_tool_use")
    parallel = None if not isinstance(no_parallel, bool) else not no_parallel
    return ToolChoice(mode=mode, name=name, parallel=parallel)


def _reasoning(thinking: dict[str, Any] | None, config: dict[str, Any]) -> Reasoning | None:
    effort = config.get("effort")
    kind = None if thinking is None else thinking.get("type")
    if kind in (None, "disabled"):
        return None if effort is None else Reasoning(effort=effort)
    include = thinking is None or thinking.get("display") != "omitted"
    if kind == "enabled":
        budget = thinking.get("budget_tokens") if thinking else None
        if not isinstance(budget, int):
            raise bad_request("thinking: type 'enabled' needs an integer `budget_tokens`")
        return Reasoning(budget=budget, effort=effort, include=include)
    if kind == "adaptive":
        return Reasoning(effort=effort, include=include)
    raise bad_request(f"thinking.type: {kind!r} is not enabled, adaptive or disabled")


def _options(body: MessagesBody, target: str) -> dict[str, Any]:
    config = body.output_config or {}
    sampling = {"temperature": body.temperature, "top_p": body.top_p}
    out: dict[str, Any] = {k: v for k, v in sampling.items() if v is not None}
    out["max_tokens"] = body.max_tokens
    if body.stop_sequences:
        out["stop"] = list(body.stop_sequences)
    if body.top_k is not None and target == CLAUDE:
        out["extra"] = {"top_k": body.top_k}
    reasoning = _reasoning(body.thinking, config)
    if reasoning is not None:
        out["reasoning"] = reasoning
    fmt = config.get("format")
    if isinstance(fmt, dict):
        if fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            raise bad_request("output_config.format: only json_schema with a `schema` is served")
        out["response_format"] = ResponseFormat(schema=fmt["schema"])
    return out


def decode_body(body: bytes) -> MessagesBody:
    """The request body, or a 400 saying what is wrong."""
    try:
        raw = _decode_any.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as e:
        raise bad_request(f"request body is not valid JSON: {e}") from e
    except RecursionError:
        raise bad_request(f"request body nests deeper than {MAX_DEPTH}") from None
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(raw):
        raise bad_request(f"request body nests deeper than {MAX_DEPTH}")
    try:
        return msgspec.convert(raw, MessagesBody)
    except msgspec.ValidationError as e:
        raise bad_request(str(e)) from e


def parse_request(b: MessagesBody, target: str) -> Call:
    """A decoded Messages request as an llmkit call; `target` is the provider
    NAME the model routes to (a few fields only some vendors take)."""
    return Call(
        model=b.model,
        messages=history(b),
        tools=[_tool(t) for t in b.tools or ()],
        tool_choice=_tool_choice(b.tool_choice),
        options=_options(b, target),
        stream=b.stream,
    )


# ---- response --------------------------------------------------------------------

_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
    "other": "end_turn",
}
_CLAUDE_STOPS = frozenset(
    {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
     "model_context_window_exceeded"}
)  # fmt: skip


def stop_reason(finish: Finish, provider: str) -> str:
    """Claude's own word when Claude answered, else ours mapped to it."""
    if provider == CLAUDE and finish.raw in _CLAUDE_STOPS:
        return finish.raw
    return _STOP[finish.reason]


def wire_usage(u: Usage) -> dict[str, int]:
    """Anthropic's `input_tokens` is the uncached part only (PROTOCOLS 1.3)."""
    uncached = max(0, u.input_tokens - u.cache_read_tokens - u.cache_write_tokens)
    return {
        "input_tokens": uncached,
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
        "cache_read_input_tokens": u.cache_read_tokens,
    }


def _tool_use(c: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": fit_id(c.id, ANTHROPIC), "name": c.name, "input": {}}


def block(p: Part) -> dict[str, Any] | None:
    """An answer's part as a content block (None: nothing to show for it)."""
    match p:
        case Text(text=text, citations=cites, provider=who):
            if cites and who == CLAUDE:
                return {"type": "text", "text": text, "citations": cites}
            return {"type": "text", "text": text}
        case Thinking(redacted=data, provider=who) if data is not None:
            return {"type": "redacted_thinking", "data": data} if who == CLAUDE else None
        case Thinking(text=text, signature=sig, provider=who) if who == CLAUDE and sig:
            return {"type": "thinking", "thinking": text, "signature": sig}
        case Thinking(text=text) if text:  # another vendor's: shown, never signed
            return {"type": "thinking", "thinking": text, "signature": ""}
        case ToolCall(arguments=args):
            return {**_tool_use(p), "input": args}
        case Raw(provider=who, data=data):
            return data if who == CLAUDE and isinstance(data, dict) else None
        case _:
            return None  # images, documents and results are not assistant output


def response_body(resp: ChatResponse, model: str, msg_id: str) -> dict[str, Any]:
    """llmkit's Response as a Messages response; `model` is the client's name."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [b for p in resp.message.content if (b := block(p)) is not None],
        "stop_reason": stop_reason(resp.finish, resp.provider),
        "stop_sequence": None,
        "usage": wire_usage(resp.usage),
    }


# ---- errors ----------------------------------------------------------------------

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int, e: Exception | None = None) -> str:
    if isinstance(e, Overloaded) or status == 503:
        return "overloaded_error"
    return _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def error_body(status: int, message: str, e: Exception | None = None) -> dict[str, Any]:
    """Anthropic's error envelope (PROTOCOLS 1.6)."""
    return {"type": "error", "error": {"type": error_type(status, e), "message": message}}


# ---- streaming -------------------------------------------------------------------

_enc = msgspec.json.Encoder()


def frame(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + _enc.encode(data) + b"\n\n"


class Out(msgspec.Struct, frozen=True, kw_only=True):
    """The relay's state: which llmkit part is the open content block (`at`,
    -1 for none), its kind and Anthropic index, and the usage so far."""

    id: str
    model: str
    started: bool = False
    blocks: int = 0  # content blocks started so far
    at: int = -1
    kind: str = ""
    sent_json: bool = False  # the open tool_use block has had input_json_delta
    usage: Usage = Usage()


def start(msg_id: str, model: str) -> Out:
    return Out(id=msg_id, model=model)


def _message_start(s: Out) -> bytes:
    message: dict[str, Any] = {
        "id": s.id,
        "type": "message",
        "role": "assistant",
        "model": s.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": wire_usage(s.usage),
    }
    start = frame("message_start", {"type": "message_start", "message": message})
    return start + frame("ping", {"type": "ping"})


def _close(s: Out) -> tuple[Out, bytes]:
    if s.at < 0:
        return s, b""
    stop = frame("content_block_stop", {"type": "content_block_stop", "index": s.blocks - 1})
    return replace(s, at=-1, kind="", sent_json=False), stop


def _open(s: Out, i: int, content: dict[str, Any]) -> tuple[Out, bytes]:
    """Block `i` as the open one, ending the one before."""
    if s.at == i:
        return s, b""
    s, out = _close(s)
    ev = {"type": "content_block_start", "index": s.blocks, "content_block": content}
    s = replace(s, at=i, kind=content["type"], blocks=s.blocks + 1)
    return s, out + frame("content_block_start", ev)


def _delta(s: Out, delta: dict[str, Any]) -> bytes:
    ev = {"type": "content_block_delta", "index": s.blocks - 1, "delta": delta}
    return frame("content_block_delta", ev)


_TEXT = {"type": "text", "text": ""}
_THINKING = {"type": "thinking", "thinking": "", "signature": ""}


_TEXT_DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'


def step(s: Out, ev: StreamEvent) -> tuple[Out, bytes]:
    """One llmkit event as the Messages SSE frames it makes (maybe none)."""
    if type(ev) is TextDelta and ev.index == s.at and s.kind == "text":  # the hot path
        frame = b'%d,"delta":{"type":"text_delta","text":%b}}\n\n' % (
            s.blocks - 1,
            _enc.encode(ev.text),
        )
        return s, _TEXT_DELTA + frame
    head = b""
    if isinstance(ev, UsageUpdate):
        s = replace(s, usage=ev.usage)
    if not s.started:
        s = replace(s, started=True)
        head = _message_start(s)
    match ev:
        case TextDelta(index=i, text=text):
            s, out = _open(s, i, _TEXT)
            return s, head + out + _delta(s, {"type": "text_delta", "text": text})
        case ThinkingDelta(index=i, text=text, signature=sig):
            s, out = _open(s, i, _THINKING)
            if sig is not None:
                return s, head + out + _delta(s, {"type": "signature_delta", "signature": sig})
            return s, head + out + _delta(s, {"type": "thinking_delta", "thinking": text})
        case ToolCallStart(index=i, id=id_, name=name):
            s, out = _open(s, i, _tool_use(ToolCall(id=id_, name=name)))
            return s, head + out
        case ToolCallDelta(index=i, arguments=args) if i == s.at and s.kind == "tool_use":
            d = _delta(s, {"type": "input_json_delta", "partial_json": args})
            return replace(s, sent_json=True), head + d
        case ToolCallEnd(index=i, call=call) if i == s.at and s.kind == "tool_use":
            out = b""
            if not s.sent_json and call.arguments:  # arguments came whole
                json = _enc.encode(call.arguments).decode()
                out = _delta(s, {"type": "input_json_delta", "partial_json": json})
            s, stop = _close(s)
            return s, head + out + stop
        case Done(response=resp):
            return _done(s, resp, head)
        case _:  # usage, finish (Done has both), a delta for a block already ended
            return s, head


def _done(s: Out, resp: ChatResponse, head: bytes) -> tuple[Out, bytes]:
    s, out = _close(s)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason(resp.finish, resp.provider), "stop_sequence": None},
        "usage": wire_usage(resp.usage),
    }
    end = frame("message_delta", delta) + frame("message_stop", {"type": "message_stop"})
    return replace(s, usage=resp.usage), head + out + end


def error_frame(status: int, message: str, e: Exception | None = None) -> bytes:
    """An error after the stream began (PROTOCOLS 1.4)."""
    return frame("error", error_body(status, message, e))


__all__ = [
    "Call",
    "MessagesBody",
    "Out",
    "block",
    "error_body",
    "error_frame",
    "parse_request",
    "response_body",
    "start",
    "step",
    "stop_reason",
    "wire_usage",
]
