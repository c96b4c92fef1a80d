"""The streaming fold over Messages API server-sent events (https://platform.claude.com/docs/en/build-with-claude/streaming).

message_start -> (content_block_start -> content_block_delta* ->
content_block_stop)* -> message_delta+ -> message_stop, with `ping` anywhere.
Open blocks are keyed by their index, so two tool calls never share a buffer,
and each finished block goes through the same block -> part mapping as
`parse_response`: `Done.response` equals the non-streamed answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from msgspec.structs import replace

from llmkit.errors import StreamError
from llmkit.protocols import SseEvent
from llmkit.providers._common import Rope, parse_arguments, rope_add, rope_text, tool_call
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    Part,
    Response,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ThinkingDelta,
    ThinkingEnd,
    ThinkingStart,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)

from ._response import error_from_wire, response_from_wire
from ._wire import (
    NAME,
    BlockDelta,
    BlockStart,
    BlockStop,
    Delta,
    MessageDelta,
    MessageStart,
    WireErrorBody,
    WireMessage,
    WireUsage,
    _map_finish,
    _map_usage,
    encoder,
    from_wire_block,
    merge_usage,
    type_decoder,
)

T = TypeVar("T")
Events = list[StreamEvent]


class _Open(msgspec.Struct, frozen=True, gc=False):
    """A content block between its start and stop. `kind` is text, thinking,
    tool, or other (a block llmkit keeps as it came, e.g. redacted_thinking)."""

    kind: str
    block: dict[str, Any]
    text: Rope = None  # text, thinking, or partial JSON, by kind
    signature: str | None = None
    citations: Any = None  # cons list of citation objects, newest first


class State(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The fold's state: finished parts, open blocks, usage and stop so far.

    The block deltas last went to (`at`; -1 when none) is kept apart from the
    other open blocks, its text beside it: the API streams one block at a time,
    so a delta costs one tuple and one State, not a dict and two Structs.
    Frozen values never form a reference cycle, so the collector skips them."""

    model: str
    message: WireMessage | None = None  # from message_start: id, model
    usage: WireUsage = WireUsage()
    open: dict[int, _Open] = {}  # open blocks but the current one
    at: int = -1  # the current block's index
    cur: _Open | None = None  # the current block; its `text` is stale...
    cur_text: Rope = None  # ...this is its text
    done: Any = None  # cons list of (index, Part, next): O(1) append
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stopped: bool = False


def start(req: ChatRequest) -> State:
    return State(model=req.model)


def _current(s: State) -> _Open:
    """The current block, whole."""
    assert s.cur is not None
    return replace(s.cur, text=s.cur_text)


def _blocks(s: State) -> dict[int, _Open]:
    """Every open block by index."""
    return s.open if s.cur is None else {**s.open, s.at: _current(s)}


def _focus(s: State, i: int) -> State:
    """`s` with open block `i` current (unchanged when `i` is not open)."""
    if i == s.at or i not in s.open:
        return s
    b = s.open[i]
    rest = {k: v for k, v in s.open.items() if k != i}
    if s.cur is not None:
        rest[s.at] = _current(s)
    return replace(s, open=rest, at=i, cur=b, cur_text=b.text)


# ---- finishing blocks and responses ---------------------------------------------------


def _citations(cons: Any) -> list[Any]:
    out = []
    while cons is not None:
        out.append(cons[0])
        cons = cons[1]
    return out[::-1]


def _part(b: _Open) -> Part:
    """A finished block as the part `parse_response` would make of it."""
    if b.kind == "tool":
        return tool_call(b.block["id"], b.block["name"], _tool_json(b), keep_raw=False)
    block = b.block
    if b.kind == "text":
        block = {**block, "text": rope_text(b.text)}
        if b.citations is not None:
            block["citations"] = [*(block.get("citations") or ()), *_citations(b.citations)]
    elif b.kind == "thinking":
        block = {**block, "thinking": rope_text(b.text), "signature": b.signature or ""}
    elif b.text is not None:  # e.g. server_tool_use: its input streams as JSON too
        args, error = parse_arguments(rope_text(b.text))
        if error is None:
            block = {**block, "input": args}
    return from_wire_block(block)


def _tool_json(b: _Open) -> str:
    if b.text is not None:
        return rope_text(b.text)
    start_input = b.block.get("input")  # complete input in the start block, no deltas
    return encoder.encode(start_input).decode() if start_input else ""


def snapshot(state: State) -> Response:
    """Everything received so far as a Response (open blocks included); a
    stream that has not stopped has `finish.reason == "error"`."""
    items: list[tuple[int, Part]] = []
    node = state.done
    while node is not None:
        items.append((node[0], node[1]))
        node = node[2]
    items += [(i, _part(b)) for i, b in _blocks(state).items()]
    items.sort(key=lambda x: x[0])
    m = replace(
        state.message or WireMessage(model=state.model),
        usage=state.usage,
        stop_reason=state.stop_reason,
        stop_sequence=state.stop_sequence,
    )
    resp = response_from_wire(m, [p for _, p in items])
    if state.stop_reason is None:
        resp = replace(resp, finish=Finish(reason="error", raw=None))
    return resp


def finish(state: State) -> list[StreamEvent]:
    if not state.stopped or state.stop_reason is None:
        what = "a stop_reason" if state.stopped else "message_stop"
        raise StreamError(
            f"the stream ended without {what}", provider=NAME, partial=snapshot(state)
        )
    # Blocks the stream never stopped are in the response: close them too.
    ends = [e for i, b in sorted(_blocks(state).items()) for e in _end(i, b.kind, _part(b))]
    return [*ends, Done(response=snapshot(state))]


# ---- events ----------------------------------------------------------------------------


def _fail(state: State, event: str, why: str, data: str = "") -> StreamError:
    return StreamError(
        f"{event}: {why}", provider=NAME, event=event, body=data, partial=snapshot(state)
    )


def _decode(dec: msgspec.json.Decoder[T], state: State, event: str, data: str) -> T:
    try:
        return dec.decode(data)
    except msgspec.DecodeError as e:
        raise _fail(state, event, f"unreadable event ({e})", data) from e


_start_dec = msgspec.json.Decoder(MessageStart)
_block_start_dec = msgspec.json.Decoder(BlockStart)
_delta_dec = msgspec.json.Decoder(BlockDelta)
_stop_dec = msgspec.json.Decoder(BlockStop)
_message_delta_dec = msgspec.json.Decoder(MessageDelta)
_error_dec = msgspec.json.Decoder(WireErrorBody)


def _message_start(s: State, data: str) -> tuple[State, Events]:
    if s.message is not None:
        raise _fail(s, "message_start", "a second message_start", data)
    m = _decode(_start_dec, s, "message_start", data).message
    done: Any = None  # content is [] in practice; blocks given here still count
    for i, block in enumerate(m.content):
        done = (i, from_wire_block(block), done)
    s = replace(s, message=m, usage=m.usage, done=done)
    return s, [UsageUpdate(usage=_map_usage(m.usage))]


def _kind(block: dict[str, Any]) -> str:
    kind = str(block.get("type"))
    if kind in ("text", "thinking"):  # streamable only when the start is well-formed
        return kind if isinstance(block.get(kind, ""), str) else "other"
    if kind == "tool_use" and isinstance(from_wire_block(block), ToolCall):
        return "tool"
    return "other"


def _block_start(s: State, data: str) -> tuple[State, Events]:
    ev = _decode(_block_start_dec, s, "content_block_start", data)
    if s.message is None:
        raise _fail(s, "content_block_start", "before message_start", data)
    if ev.index in s.open or ev.index == s.at:
        raise _fail(s, "content_block_start", f"block {ev.index} is already open", data)
    block = ev.content_block
    b = _Open(kind=_kind(block), block=block)
    out: Events = []
    if b.kind == "tool":
        out.append(ToolCallStart(index=ev.index, id=block["id"], name=block["name"]))
    elif b.kind == "text":
        out.append(TextStart(index=ev.index))
        if block.get("text"):
            b = replace(b, text=rope_add(None, block["text"]))
            out.append(TextDelta(index=ev.index, text=block["text"]))
    elif b.kind == "thinking":
        out.append(ThinkingStart(index=ev.index))
        b = replace(b, text=rope_add(None, block.get("thinking") or ""))
        b = replace(b, signature=block.get("signature") or None)
        if block.get("thinking"):
            out.append(ThinkingDelta(index=ev.index, text=block["thinking"]))
    return replace(s, open=_blocks(s), at=ev.index, cur=b, cur_text=b.text), out


# Each delta type: the block kinds it may extend, and how.
def _text_delta(i: int, b: _Open, d: Delta) -> tuple[_Open, Events]:
    ev: Events = [TextDelta(index=i, text=d.text)] if d.text else []
    return replace(b, text=rope_add(b.text, d.text)), ev


def _thinking_delta(i: int, b: _Open, d: Delta) -> tuple[_Open, Events]:
    ev: Events = [ThinkingDelta(index=i, text=d.thinking)] if d.thinking else []
    return replace(b, text=rope_add(b.text, d.thinking)), ev


def _signature_delta(i: int, b: _Open, d: Delta) -> tuple[_Open, Events]:
    # set, not appended; told now so a relay can end the block before Done
    return replace(b, signature=d.signature), [
        ThinkingDelta(index=i, text="", signature=d.signature)
    ]


def _json_delta(i: int, b: _Open, d: Delta) -> tuple[_Open, Events]:
    text = rope_add(b.text, d.partial_json) if b.text is not None else (d.partial_json, None)
    if b.kind != "tool" or not d.partial_json:
        return replace(b, text=text), []
    return replace(b, text=text), [ToolCallDelta(index=i, arguments=d.partial_json)]


def _citation_delta(i: int, b: _Open, d: Delta) -> tuple[_Open, Events]:
    return replace(b, citations=(d.citation, b.citations)), []


_DELTAS: dict[str, tuple[frozenset[str], Callable[[int, _Open, Delta], tuple[_Open, Events]]]] = {
    "text_delta": (frozenset({"text"}), _text_delta),
    "thinking_delta": (frozenset({"thinking"}), _thinking_delta),
    "signature_delta": (frozenset({"thinking"}), _signature_delta),
    "input_json_delta": (frozenset({"tool", "other"}), _json_delta),
    "citations_delta": (frozenset({"text"}), _citation_delta),
}


def _block_delta(s: State, data: str) -> tuple[State, Events]:
    try:  # inlined `_decode`: this is the event nearly every chunk carries
        ev = _delta_dec.decode(data)
    except msgspec.DecodeError as e:
        raise _fail(s, "content_block_delta", f"unreadable event ({e})", data) from e
    i, d = ev.index, ev.delta
    if i == s.at:  # the hot path: one more chunk of the block being streamed
        kind, t = s.cur.kind, d.type  # type: ignore[union-attr]
        if t == "text_delta" and kind == "text":
            if not d.text:
                return s, []
            return replace(s, cur_text=(d.text, s.cur_text)), [TextDelta(index=i, text=d.text)]
        if t == "input_json_delta" and kind == "tool" and d.partial_json and s.cur_text:
            out: Events = [ToolCallDelta(index=i, arguments=d.partial_json)]
            return replace(s, cur_text=(d.partial_json, s.cur_text)), out
        if t == "thinking_delta" and kind == "thinking" and d.thinking:
            out = [ThinkingDelta(index=i, text=d.thinking)]
            return replace(s, cur_text=(d.thinking, s.cur_text)), out
    return _other_delta(_focus(s, i), i, d, data)


def _other_delta(s: State, i: int, d: Delta, data: str) -> tuple[State, Events]:
    """Any delta but the hot path's, with block `i` current if it is open."""
    if i != s.at:
        raise _fail(s, "content_block_delta", f"block {i} is not open", data)
    b = _current(s)
    rule = _DELTAS.get(d.type)
    if rule is None:  # a delta type newer than us
        return s, []
    kinds, apply = rule
    if b.kind not in kinds:
        if b.kind == "other":
            return s, []  # whatever an unknown block streams, it is kept as it started
        why = f"{d.type} for a {b.block.get('type')} block ({i})"
        raise _fail(s, "content_block_delta", why, data)
    b, out = apply(i, b, d)
    return replace(s, cur=b, cur_text=b.text), out


def _block_stop(s: State, data: str) -> tuple[State, Events]:
    i = _decode(_stop_dec, s, "content_block_stop", data).index
    if i == s.at:
        b = _current(s)
        part = _part(b)
        s = replace(s, at=-1, cur=None, cur_text=None, done=(i, part, s.done))
    else:
        if i not in s.open:
            raise _fail(s, "content_block_stop", f"block {i} is not open", data)
        b = s.open[i]
        part = _part(b)
        rest = {k: v for k, v in s.open.items() if k != i}
        s = replace(s, open=rest, done=(i, part, s.done))
    return s, _end(i, b.kind, part)


def _end(i: int, kind: str, part: Part) -> Events:
    """The event that closes block `i` (none for a block kept as it came)."""
    if kind == "text":
        return [TextEnd(index=i)]
    if kind == "thinking":
        return [ThinkingEnd(index=i)]
    return [ToolCallEnd(index=i, call=part)] if isinstance(part, ToolCall) else []


def _message_delta(s: State, data: str) -> tuple[State, Events]:
    ev = _decode(_message_delta_dec, s, "message_delta", data)
    if s.message is None:
        raise _fail(s, "message_delta", "before message_start", data)
    first_stop = s.stop_reason is None and ev.delta.stop_reason is not None
    s = replace(
        s,
        usage=merge_usage(s.usage, ev.usage),
        stop_reason=ev.delta.stop_reason or s.stop_reason,
        stop_sequence=ev.delta.stop_sequence or s.stop_sequence,
    )
    out: Events = [UsageUpdate(usage=_map_usage(s.usage))]
    if first_stop:
        out.append(Finished(finish=_map_finish(s.stop_reason)))
    return s, out


def _message_stop(s: State, data: str) -> tuple[State, Events]:
    if s.message is None:
        raise _fail(s, "message_stop", "before message_start", data)
    return replace(s, stopped=True), []


def _error(s: State, data: str) -> tuple[State, Events]:
    """An error after the 200 (an `error` event; see
    https://platform.claude.com/docs/en/build-with-claude/streaming#error-events):
    typed like an error response, with no status, carrying what had arrived."""
    wire = _decode(_error_dec, s, "error", data)
    err = error_from_wire(None, wire, body=data, headers={})
    err.partial = snapshot(s)
    raise err


_HANDLERS: dict[str, Callable[[State, str], tuple[State, Events]]] = {
    "message_start": _message_start,
    "content_block_start": _block_start,
    "content_block_delta": _block_delta,
    "content_block_stop": _block_stop,
    "message_delta": _message_delta,
    "message_stop": _message_stop,
    "error": _error,
}


def step(state: State, ev: SseEvent) -> tuple[State, list[StreamEvent]]:
    name = ev.event
    if name == "content_block_delta":  # nearly every event: skip the table
        return _block_delta(state, ev.data)
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(state, ev.data)
    if ev.event != "message":  # ping, or an event newer than us
        return state, []
    try:  # no `event:` line (a proxy dropped it): the JSON type says
        handler = _HANDLERS.get(type_decoder.decode(ev.data).type)
    except msgspec.DecodeError:
        return state, []
    return (state, []) if handler is None else handler(state, ev.data)
