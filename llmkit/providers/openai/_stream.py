"""The streaming fold over Chat Completions chunks.

Framing: `data: {chunk}` events, then `data: [DONE]`; no `event:` names. A chunk
carries `choices[0].delta` fragments (`content`, xAI's `reasoning_content`,
`refusal`, `tool_calls`), maybe a `finish_reason`, and with
`stream_options.include_usage` a last usage-only chunk with `"choices": []`.
Only choice 0 is followed (llmkit never asks for `n > 1`).

Tool calls are assembled by their wire `index`: the first fragment has the id
and name, later ones only argument text; xAI sends each call whole in one
fragment. Fragments of parallel calls may interleave, so calls end together,
at `finish_reason` (or `[DONE]`). An id repeated on a later fragment (some
compatible servers do this) does not start a new call.

Parts get their `index` on first appearance; the final message lists them in
that order, which for every vendor order seen (reasoning, text, calls) is the
order `parse_response` gives the same exchange.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmkit.errors import StreamError
from llmkit.protocols import SseEvent
from llmkit.providers._common import Rope, decode, rope_add, rope_text, tool_call
from llmkit.providers.openai import _wire as w
from llmkit.providers.openai._response import _error, filters, map_finish, map_usage, response
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    Part,
    Response,
    StreamEvent,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageUpdate,
)

replace = msgspec.structs.replace


class _Call(msgspec.Struct, frozen=True, gc=False):
    wire: int  # the vendor's tool_calls[].index
    at: int  # our part index
    id: str
    name: str


class State(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Frozen values never form a reference cycle: the collector skips them."""

    dialect: w.WireDialect
    model: str
    id: str | None = None
    size: int = 0  # parts so far; the next part's index
    thinking: Rope = None
    thinking_at: int = -1
    text: Rope = None
    text_at: int = -1
    calls: tuple[_Call, ...] = ()
    # Every call's argument text, one cons list (k, chunk, next) for all: a
    # fragment costs one tuple, and calls end together, so one walk splits it.
    args: Any = None
    refused: bool = False
    finish_raw: str | None = None
    finished: bool = False  # a finish_reason arrived
    done: bool = False  # [DONE] arrived
    usage: Usage | None = None
    extra: dict[str, Any] | None = None  # Azure's content filter results


def start(req: ChatRequest, d: w.WireDialect) -> State:
    return State(dialect=d, model=req.model)


def step(s: State, ev: SseEvent) -> tuple[State, list[StreamEvent]]:
    data = ev.data
    if data == "[DONE]":
        return replace(s, done=True), []
    if s.done or not data:
        return s, []
    try:  # inlined `decode`: this runs for every chunk
        c = w.completion.decode(data)
    except msgspec.DecodeError:
        c = decode(w.completion, data, s.dialect.provider)  # raises llmkit's DecodeError
    if c.error is not None:  # the HTTP status was 200 long ago: none is invented
        raise _error(None, {}, c, data.encode(), s.dialect)
    if not s.id and c.id:  # Azure opens with an id-less chunk: "" is no id
        s = replace(s, id=c.id, model=c.model or s.model)
    if c.prompt_filter_results:
        s = replace(s, extra=filters(s.extra, c.prompt_filter_results, None))
    out: list[StreamEvent] = []
    for ch in c.choices:
        if ch.index == 0:
            if ch.delta is not None:
                s = _delta(s, ch.delta, out)
            if ch.finish_reason is not None and not s.finished:
                s = _finish(s, ch.finish_reason, out)
            if ch.content_filter_results:
                s = replace(s, extra=filters(s.extra, None, ch.content_filter_results))
    if c.usage is not None:
        usage = map_usage(c.usage, s.dialect)
        s = replace(s, usage=usage)
        out.append(UsageUpdate(usage=usage))
    return s, out


def _delta(s: State, d: w.WireMessage, out: list[StreamEvent]) -> State:
    content = d.content
    if content and s.text_at >= 0 and not (d.reasoning_content or d.refusal or d.tool_calls):
        out.append(TextDelta(index=s.text_at, text=content))  # the hot path: more text
        return replace(s, text=(content, s.text))
    frags = d.tool_calls
    if frags and len(frags) == 1 and s.calls and not (content or d.reasoning_content or d.refusal):
        # The other hot path: more arguments for the last call, nothing to fill in.
        frag, call, k = frags[0], s.calls[-1], len(s.calls) - 1
        f = frag.function
        if (frag.index == call.wire and f is not None and f.arguments
                and (call.id or not frag.id) and (call.name or not f.name)):  # fmt: skip
            out.append(ToolCallDelta(index=call.at, arguments=f.arguments))
            return replace(s, args=(k, f.arguments, s.args))
    if d.reasoning_content:
        at = s.thinking_at if s.thinking_at >= 0 else s.size
        s = replace(
            s, thinking=rope_add(s.thinking, d.reasoning_content), thinking_at=at,
            size=max(s.size, at + 1),
        )  # fmt: skip
        out.append(ThinkingDelta(index=at, text=d.reasoning_content))
    for text in (content, d.refusal):
        if text:
            at = s.text_at if s.text_at >= 0 else s.size
            s = replace(s, text=rope_add(s.text, text), text_at=at, size=max(s.size, at + 1))
            out.append(TextDelta(index=at, text=text))
    if d.refusal:
        s = replace(s, refused=True)
    for frag in d.tool_calls or ():
        s = _fragment(s, frag, out)
    return s


def _fragment(s: State, frag: w.WireToolCall, out: list[StreamEvent]) -> State:
    f = frag.function
    args = (f.arguments or "") if f is not None else ""
    wire = _wire_index(s, frag)
    for k, call in enumerate(s.calls):
        if call.wire == wire:
            name = f.name if f is not None else None
            if (frag.id and not call.id) or (name and not call.name):
                call = replace(call, id=call.id or frag.id or "", name=call.name or name or "")
                s = replace(s, calls=(*s.calls[:k], call, *s.calls[k + 1 :]))
            if args:
                out.append(ToolCallDelta(index=call.at, arguments=args))
                s = replace(s, args=(k, args, s.args))
            return s
    call = _Call(wire=wire, at=s.size, id=frag.id or "", name=(f and f.name) or "")
    out.append(ToolCallStart(index=call.at, id=call.id, name=call.name))
    s = replace(s, calls=(*s.calls, call), size=s.size + 1)
    if args:
        out.append(ToolCallDelta(index=call.at, arguments=args))
        s = replace(s, args=(len(s.calls) - 1, args, s.args))
    return s


def _wire_index(s: State, frag: w.WireToolCall) -> int:
    if frag.index is not None:
        return frag.index
    # No index (a few compatible servers): a new id is a new call, else the last one.
    last = s.calls[-1] if s.calls else None
    if last is None or (frag.id and frag.id != last.id):
        return max((c.wire for c in s.calls), default=-1) + 1
    return last.wire


def _calls(s: State) -> list[ToolCall]:
    """Every call so far, its argument text split out of `s.args` in one walk."""
    chunks: list[list[str]] = [[] for _ in s.calls]
    node = s.args
    while node is not None:
        chunks[node[0]].append(node[1])
        node = node[2]
    return [
        tool_call(c.id, c.name, "".join(reversed(parts)), keep_raw=True)
        for c, parts in zip(s.calls, chunks, strict=True)
    ]


def _finish(s: State, raw: str | None, out: list[StreamEvent]) -> State:
    out += [ToolCallEnd(index=c.at, call=tc) for c, tc in zip(s.calls, _calls(s), strict=True)]
    s = replace(s, finish_raw=raw, finished=True)
    out.append(Finished(finish=map_finish(raw, bool(s.calls), s.refused)))
    return s


def snapshot(s: State) -> Response:
    """What arrived so far, in the shape `parse_response` gives."""
    parts: list[tuple[int, Part]] = [(c.at, tc) for c, tc in zip(s.calls, _calls(s), strict=True)]
    if s.thinking_at >= 0:
        parts.append(
            (s.thinking_at, Thinking(text=rope_text(s.thinking), provider=s.dialect.provider))
        )
    if s.text_at >= 0:
        parts.append((s.text_at, Text(text=rope_text(s.text))))
    parts.sort(key=lambda p: p[0])
    if s.finished or s.done:
        finish = map_finish(s.finish_raw, bool(s.calls), s.refused)
    else:
        finish = Finish(reason="error")
    parts_ = [p for _, p in parts]
    return response(s.id, s.model, parts_, finish, s.usage or Usage(), s.dialect, s.extra)


def finish(s: State) -> list[StreamEvent]:
    # `[DONE]` is the end: a stream cut after its finish_reason but before the
    # usage chunk llmkit asks for (include_usage) would otherwise pass as whole.
    if not s.done:
        what = "[DONE]" if s.finished else "a finish_reason or [DONE]"
        raise StreamError(
            f"stream ended before {what}", provider=s.dialect.provider, partial=snapshot(s)
        )
    out: list[StreamEvent] = []
    if not s.finished:  # [DONE] without a finish_reason: close what is open
        s = _finish(s, None, out)
    out.append(Done(response=snapshot(s)))
    return out
