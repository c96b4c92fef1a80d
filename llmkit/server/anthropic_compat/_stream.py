"""llmkit's stream events as Messages SSE events (https://platform.claude.com/docs/en/build-with-claude/streaming):
a fold."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec.structs import replace

from llmkit.server.anthropic_compat._response import (
    block,
    error_body,
    stop_reason,
    tool_use_block,
    wire_usage,
)
from llmkit.types import (
    Done,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageUpdate,
)
from llmkit.types import Response as ChatResponse

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
    next: int = 0  # the part after the last one opened
    held: int = -1  # the first part skipped by the stream, once Claude's stream skipped one
    claude: bool = False


def start(msg_id: str, model: str, claude: bool = False) -> Out:
    """`claude`: the answer comes from Claude, whose stream leaves out blocks
    llmkit does not stream (redacted_thinking): when one is skipped, the rest
    of the answer is held and sent in order, whole, from `Done` (clients must
    replay Claude's blocks in order)."""
    return Out(id=msg_id, model=model, claude=claude)


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
    if not s.kind:  # no block open
        return s, b""
    stop = frame("content_block_stop", {"type": "content_block_stop", "index": s.blocks - 1})
    return replace(s, at=-1, kind="", sent_json=False), stop


def _open(s: Out, i: int, content: dict[str, Any]) -> tuple[Out, bytes]:
    """Block `i` as the open one, ending the one before."""
    if s.at == i:
        return s, b""
    s, out = _close(s)
    ev = {"type": "content_block_start", "index": s.blocks, "content_block": content}
    s = replace(s, at=i, kind=content["type"], blocks=s.blocks + 1, next=max(s.next, i + 1))
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
    if s.held >= 0 and not isinstance(ev, Done):
        return s, head
    i = getattr(ev, "index", s.at)  # part events have one
    if s.claude and i != s.at and i > s.next:  # a block came that the stream left out
        s, out = _close(s)
        return replace(s, held=s.next), head + out
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
            s, out = _open(s, i, tool_use_block(ToolCall(id=id_, name=name)))
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


def _whole(s: Out, b: dict[str, Any]) -> tuple[Out, bytes]:
    """A block that was not streamed: its start, its content as deltas, its stop."""
    kind = b["type"]
    content = {"text": _TEXT, "thinking": _THINKING}.get(kind, b)
    if kind == "tool_use":
        content = {**b, "input": {}}
    s, out = _open(s, -2 - s.blocks, content)  # a new block, not a part of the stream
    deltas: dict[str, list[dict[str, Any]]] = {
        "text": [{"type": "text_delta", "text": b.get("text")}],
        "thinking": [{"type": "thinking_delta", "thinking": b.get("thinking")},
                     {"type": "signature_delta", "signature": b.get("signature")}],
        "tool_use": [{"type": "input_json_delta", "partial_json": _json(b.get("input"))}],
    }  # fmt: skip
    for d in deltas.get(kind, []):
        if any(v for k, v in d.items() if k != "type"):
            out += _delta(s, d)
    s, stop = _close(s)
    return s, out + stop


def _json(value: Any) -> str:
    return _enc.encode(value).decode() if value else ""


def _done(s: Out, resp: ChatResponse, head: bytes) -> tuple[Out, bytes]:
    s, out = _close(s)
    rest = resp.message.content[s.held if s.held >= 0 else s.next :]
    for b in (block(p) for p in rest):
        if b is not None:
            s, more = _whole(s, b)
            out += more
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason(resp.finish, resp.provider), "stop_sequence": None},
        "usage": wire_usage(resp.usage),
    }
    end = frame("message_delta", delta) + frame("message_stop", {"type": "message_stop"})
    return replace(s, usage=resp.usage), head + out + end


def error_frame(status: int, message: str, e: Exception | None = None) -> bytes:
    """An error after the stream began (https://platform.claude.com/docs/en/build-with-claude/streaming)."""
    return frame("error", error_body(status, message, e))
