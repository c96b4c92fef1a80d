"""The streaming fold over Responses API events.

Framing: `event: <type>` + `data: <json>` whose `type` equals the event name,
and no `[DONE]` (OpenAI); some servers and fixtures send data-only frames and
a final `data: [DONE]`: both are read, dispatching on the JSON `type`.
`sequence_number` and `obfuscation` are not needed and not read.

Parts get their `index` when their item is added (`response.output_item.added`):
each item takes the next free index (a reasoning summary part or a message
content part more takes the next ones), which is the position
`parse_response` gives it, since items are added in output order. Events:
- `output_text` / `refusal` deltas -> TextDelta; reasoning summary and
  reasoning text deltas -> ThinkingDelta; a text part opens (TextStart) with
  its first delta, a reasoning item's first part (ThinkingStart) when the item
  is added (it is in the answer even when no summary streams), its later ones
  with their first delta; all of an item's parts close (TextEnd / ThinkingEnd)
  at its `output_item.done`, any still open at the terminal event;
- a `function_call` item -> ToolCallStart at `added` (id = `call_id`), its
  argument deltas (keyed by item id) -> ToolCallDelta, and ToolCallEnd at its
  `output_item.done` with the final item;
- `response.completed` / `.incomplete` -> UsageUpdate, Finished, and `Done` at
  the end, whose Response is the non-streamed parse of the terminal event's
  `response` (all items again, authoritative: the `encrypted_content` on
  `output_item.added` is provisional and is never kept);
- `response.failed` and `error` events (flat or nested) raise a typed ApiError
  carrying what arrived. Lifecycle events (`created`, `in_progress`, `queued`,
  `content_part.*`), `*.done` texts, hosted-tool progress events and unknown
  events are skipped before decoding.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmkit.errors import DecodeError, StreamError
from llmkit.protocols import SseEvent
from llmkit.providers._common import decode, tool_call
from llmkit.providers.responses import _errors, _response
from llmkit.providers.responses import _wire as w
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    Message,
    Part,
    Response,
    StreamEvent,
    Text,
    TextEnd,
    TextStart,
    Thinking,
    ThinkingDelta,
    ThinkingEnd,
    ThinkingStart,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from llmkit.types import TextDelta as TextOut

replace = msgspec.structs.replace

_TEXT, _THINKING, _CALL = 0, 1, 2
_REASONING_TEXT = 1 << 20  # sub-index offset: reasoning_text parts follow the summary parts


class _Item(msgspec.Struct, frozen=True, gc=False):
    output_index: int
    id: str
    kind: str
    base: int  # index of its first part
    call_id: str = ""
    name: str = ""


class _Slot(msgspec.Struct, frozen=True, gc=False):
    """One part receiving deltas."""

    item: str
    sub: int
    at: int
    kind: int


class State(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    dialect: w.Dialect
    model: str
    id: str | None = None
    size: int = 0  # parts so far; the next part's index
    items: tuple[_Item, ...] = ()
    slots: tuple[_Slot, ...] = ()
    last: _Slot | None = None  # the slot of the previous delta: the hot path
    # Every delta's text, one cons list (at, chunk, next) for all parts.
    chunks: Any = None
    done: tuple[tuple[int, msgspec.Raw], ...] = ()  # finished items, by output_index
    ended: tuple[ToolCall, ...] = ()  # calls ended so far (their arguments parsed once)
    blocks: tuple[tuple[int, int, str], ...] = ()  # open text/thinking parts: (at, kind, item)
    final: Response | None = None


def start(req: ChatRequest, d: w.Dialect) -> State:
    return State(dialect=d, model=req.model)


_BY_NAME = w.BY_NAME
_TEXT_DELTA, _REFUSAL_DELTA, _ARGS_DELTA = w.TextDelta, w.RefusalDelta, w.ArgsDelta


def step(s: State, ev: SseEvent) -> tuple[State, list[StreamEvent]]:
    decoder = _BY_NAME.get(ev.event)
    if decoder is None:  # a data-only frame, or an event we skip undecoded
        return _unnamed(s, ev)
    if s.final is not None:
        return s, []
    data = ev.data
    try:  # inlined `_decode`: this runs for every event
        e = decoder.decode(data)
    except msgspec.DecodeError:
        e = _decode(s, decoder, data)
    kind = type(e)  # identity, not isinstance: a failed isinstance on a Struct is slow
    last = s.last  # the hot path: more text or arguments for the part of the previous delta
    if last is not None and (
        (kind is _TEXT_DELTA and last.kind == _TEXT and last.sub == e.content_index)
        or (kind is _ARGS_DELTA and last.kind == _CALL)
    ) and last.item == e.item_id:  # fmt: skip
        out = TextOut(index=last.at, text=e.delta) if kind is _TEXT_DELTA else (
            ToolCallDelta(index=last.at, arguments=e.delta))  # fmt: skip
        return replace(s, chunks=(last.at, e.delta, s.chunks)), [out]
    return _apply(s, e, data)


def _apply(s: State, e: Any, data: str) -> tuple[State, list[StreamEvent]]:
    """One decoded event, the general way."""
    kind = type(e)
    if kind is _TEXT_DELTA or kind is _REFUSAL_DELTA:
        s, at, out = _slot(s, e.item_id, e.content_index, _TEXT)
        out.append(TextOut(index=at, text=e.delta))
        return replace(s, chunks=(at, e.delta, s.chunks)), out
    if kind is _ARGS_DELTA:
        s, at, out = _slot(s, e.item_id, 0, _CALL)
        out.append(ToolCallDelta(index=at, arguments=e.delta))
        return replace(s, chunks=(at, e.delta, s.chunks)), out
    return _other(s, e, data)


def _unnamed(s: State, ev: SseEvent) -> tuple[State, list[StreamEvent]]:
    """Data-only framing dispatches on the JSON `type`; with `event:` lines,
    lifecycle events, hosted-tool progress and newer events are skipped."""
    data = ev.data
    if ev.event != "message" or s.final is not None or not data or data == "[DONE]":
        return s, []
    e = _decode(s, w.event, data)
    return (s, []) if e is None else _apply(s, e, data)


def _decode(s: State, decoder: msgspec.json.Decoder[Any], data: str) -> Any:
    """The event, or None for a data-only frame of an event we skip."""
    try:
        return decoder.decode(data)
    except msgspec.ValidationError:
        if decoder is w.event and decode(w.typed, data, s.dialect.provider).type not in w.KNOWN:
            return None
        raise DecodeError(
            f"malformed {s.dialect.provider} event", provider=s.dialect.provider, body=data
        ) from None
    except msgspec.DecodeError:
        return decode(decoder, data, s.dialect.provider)  # raises llmkit's DecodeError


def _other(s: State, e: Any, data: str) -> tuple[State, list[StreamEvent]]:
    match e:
        case w.SummaryDelta(item_id=item, summary_index=sub, delta=delta):
            s, at, out = _slot(s, item, sub, _THINKING)
            out.append(ThinkingDelta(index=at, text=delta))
            return replace(s, chunks=(at, delta, s.chunks)), out
        case w.ReasoningDelta(item_id=item, content_index=sub, delta=delta):
            s, at, out = _slot(s, item, _REASONING_TEXT + sub, _THINKING)
            out.append(ThinkingDelta(index=at, text=delta))
            return replace(s, chunks=(at, delta, s.chunks)), out
        case w.ItemAdded(output_index=i, item=it):
            return _added(s, i, it)
        case w.ItemDone(output_index=i, item=raw):
            return _item_done(s, i, raw)
        case w.Completed(response=r) | w.Incomplete(response=r):
            return _terminal(s, r)
        case w.Failed(response=r):
            raise _response.failed(_with_items(s, r), data, s.dialect, s.model)
        case w.ErrorEvent():
            raise _errors.from_event(e, data, s.dialect, snapshot(s))
        case w.Created(response=r):
            return replace(s, id=r.id or s.id, model=r.model or s.model), []
    return s, []  # pragma: no cover - every decoded event is matched above


def _find(s: State, item_id: str) -> _Item | None:
    for it in reversed(s.items):
        if it.id == item_id:
            return it
    return None


def _str(x: Any) -> str:
    return x if isinstance(x, str) else ""


def _added(s: State, i: int, it: w.ItemHead) -> tuple[State, list[StreamEvent]]:
    base = s.size
    entry = _Item(i, _str(it.id), _str(it.type), base, _str(it.call_id), _str(it.name))
    # a message reserves its first content part, the others their one part
    s = replace(s, items=(*s.items, entry), size=base + 1)
    if entry.kind == "reasoning":
        s = replace(s, blocks=(*s.blocks, (base, _THINKING, entry.id)))
        return s, [ThinkingStart(index=base)]
    if entry.kind != "function_call":
        return s, []
    slot = _Slot(entry.id, 0, base, _CALL)
    s = replace(s, slots=(*s.slots, slot), last=slot)
    return s, [ToolCallStart(index=base, id=entry.call_id, name=entry.name)]


def _slot(s: State, item_id: str, sub: int, kind: int) -> tuple[State, int, list[StreamEvent]]:
    """The index of the part receiving this delta, opening it if new (with
    its Start event, unless its item's add opened it)."""
    for slot in reversed(s.slots):
        if slot.item == item_id and slot.sub == sub and slot.kind == kind:
            return (s if s.last is slot else replace(s, last=slot)), slot.at, []
    entry = _find(s, item_id)
    if entry is None:  # deltas for an item never added: it starts here
        entry = _Item(-1, item_id, "", s.size)
        s = replace(s, items=(*s.items, entry))
    offset = sub
    if sub >= _REASONING_TEXT:  # after the summary parts seen so far
        seen = sum(1 for x in s.slots if x.item == item_id and x.sub < _REASONING_TEXT)
        offset = seen + sub - _REASONING_TEXT
    slot = _Slot(item_id, sub, entry.base + offset, kind)
    s = replace(s, slots=(*s.slots, slot), last=slot, size=max(s.size, slot.at + 1))
    if kind == _CALL:  # a call never added: its id and name come at its done
        return s, slot.at, [ToolCallStart(index=slot.at, id="", name="")]
    if (slot.at, kind, item_id) in s.blocks:
        return s, slot.at, []
    s = replace(s, blocks=(*s.blocks, (slot.at, kind, item_id)))
    return s, slot.at, [TextStart(index=slot.at) if kind == _TEXT else ThinkingStart(index=slot.at)]


def _close(s: State, item_id: str | None) -> tuple[State, list[StreamEvent]]:
    """End the open text and thinking parts of one item (of all when None)."""
    ending = sorted(b for b in s.blocks if item_id is None or b[2] == item_id)
    if not ending:
        return s, []
    rest = tuple(b for b in s.blocks if b not in ending)
    out: list[StreamEvent] = [
        TextEnd(index=at) if kind == _TEXT else ThinkingEnd(index=at) for at, kind, _ in ending
    ]
    return replace(s, blocks=rest), out


def _item_done(s: State, i: int, raw: msgspec.Raw) -> tuple[State, list[StreamEvent]]:
    s = replace(s, done=(*s.done, (i, raw)))
    it = _response.modelled(raw, s.dialect)
    if it is None:
        return s, []
    if it.type != "function_call":
        return _close(s, it.id or "")
    out: list[StreamEvent] = []
    entry = _find(s, it.id or "")
    if entry is None:  # never added: started and ended here
        s, at, _ = _slot(s, it.id or "", 0, _CALL)
        out.append(ToolCallStart(index=at, id=it.call_id or "", name=it.name or ""))
    else:
        at = entry.base
    call = tool_call(
        it.call_id or "", it.name or "", it.arguments or "", keep_raw=True,
        signature=it.id, provider=s.dialect.provider,
    )  # fmt: skip
    out.append(ToolCallEnd(index=at, call=call))
    return replace(s, ended=(*s.ended, call)), out


def _with_items(s: State, r: w.WireResponse) -> w.WireResponse:
    """A terminal response whose `output` is empty is given the items already done."""
    if r.output or not s.done:
        return r
    return replace(r, output=[raw for _, raw in sorted(s.done, key=lambda x: x[0])])


def _terminal(s: State, r: w.WireResponse) -> tuple[State, list[StreamEvent]]:
    known = {c.signature: c for c in s.ended if c.signature is not None}
    final = _response.response(_with_items(s, r), s.dialect, s.model, known)
    s, out = _close(s, None)
    s = replace(s, final=final)
    return s, [*out, UsageUpdate(usage=final.usage), Finished(finish=final.finish)]


# ---- what arrived so far -----------------------------------------------------------


def _texts(s: State) -> dict[int, str]:
    chunks: dict[int, list[str]] = {}
    node = s.chunks
    while node is not None:
        chunks.setdefault(node[0], []).append(node[1])
        node = node[2]
    return {at: "".join(reversed(parts)) for at, parts in chunks.items()}


def snapshot(s: State) -> Response:
    """The Response so far: the final one after a terminal event; else the
    finished items, then what the open ones had received."""
    if s.final is not None:
        return s.final
    d = s.dialect
    parts: dict[int, Part] = {}
    finished = set()
    for i, raw in s.done:
        got, _ = _response.item_parts(raw, d)
        entry = next((x for x in s.items if x.output_index == i), None)
        base = entry.base if entry is not None else max(parts, default=-1) + 1
        if entry is not None:
            finished.add(entry.id)
        parts.update(enumerate(got, base))
    texts = _texts(s)
    for slot in s.slots:
        if slot.item in finished:
            continue
        text = texts.get(slot.at, "")
        if slot.kind == _TEXT:
            parts[slot.at] = Text(text=text, signature=slot.item, provider=d.provider)
        elif slot.kind == _THINKING:
            parts[slot.at] = Thinking(text=text, id=slot.item, provider=d.provider)
        else:
            entry = _find(s, slot.item)
            parts[slot.at] = tool_call(
                entry.call_id if entry else "", entry.name if entry else "", text,
                keep_raw=True, signature=slot.item, provider=d.provider,
            )  # fmt: skip
    content = [parts[k] for k in sorted(parts)]
    return Response(
        message=Message(
            role="assistant", content=content, provider=d.provider, model=s.model or None
        ),
        finish=Finish(reason="error"),
        model=s.model,
        provider=d.provider,
        id=s.id,
    )


def finish(s: State) -> list[StreamEvent]:
    if s.final is None:
        raise StreamError(
            "stream ended before response.completed", provider=s.dialect.provider,
            partial=snapshot(s),
        )  # fmt: skip
    return [Done(response=s.final)]
