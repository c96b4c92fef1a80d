"""llmkit's stream events as Responses SSE events (https://platform.openai.com/docs/api-reference/responses-streaming):
a fold."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec.structs import replace

from llmkit.providers._common import Rope, rope_add, rope_text
from llmkit.server.responses_compat._response import (
    call_item,
    error_body,
    item_ids,
    message_item,
    reasoning_item,
    response_body,
    response_head,
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
)

_enc = msgspec.json.Encoder()


class Out(msgspec.Struct, frozen=True, kw_only=True):
    """The relay's state: the next sequence number and output index, and the
    open item (llmkit part `at`, -1 for none), its kind, ids and text so far."""

    id: str
    echo: dict[str, Any]
    seq: int = 0
    items: int = 0  # output items added so far
    at: int = -1
    kind: str = ""
    call: ToolCall | None = None
    text: Rope = None


def start(resp_id: str, echo: dict[str, Any]) -> Out:
    return Out(id=resp_id, echo=echo)


def _frames(s: Out, events: list[dict[str, Any]]) -> tuple[Out, bytes]:
    out = []
    for n, ev in enumerate(events, s.seq):
        ev["sequence_number"] = n
        out.append(b"event: " + ev["type"].encode() + b"\ndata: " + _enc.encode(ev) + b"\n\n")
    return replace(s, seq=s.seq + len(events)), b"".join(out)


_ID_AT = {"message": 0, "function_call": 1, "reasoning": 2}


def _item_id(s: Out) -> str:
    """The open item's id (cheap: deltas need it, not the text so far)."""
    return item_ids(s.id, s.at)[_ID_AT[s.kind]]


def _item_now(s: Out, status: str) -> dict[str, Any]:
    msg_id, fc_id, rs_id = item_ids(s.id, s.at)
    text = rope_text(s.text)
    if s.kind == "message":
        return message_item(msg_id, text, status)
    if s.kind == "function_call":
        assert s.call is not None
        return call_item(fc_id, s.call, status, text)
    return reasoning_item(rs_id, text, None)  # the token comes in the final response


def _close(s: Out) -> tuple[Out, list[dict[str, Any]]]:
    if s.at < 0:
        return s, []
    idx, text = s.items - 1, rope_text(s.text)
    item_id = _item_id(s)
    evs: list[dict[str, Any]] = []
    if s.kind == "message":
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        at = {"item_id": item_id, "output_index": idx, "content_index": 0}
        evs += [
            {"type": "response.output_text.done", **at, "text": text, "logprobs": []},
            {"type": "response.content_part.done", **at, "part": part},
        ]
    elif s.kind == "function_call":
        evs.append({"type": "response.function_call_arguments.done", "item_id": item_id,
                    "output_index": idx, "arguments": text})  # fmt: skip
    elif text:
        part = {"type": "summary_text", "text": text}
        at = {"item_id": item_id, "output_index": idx, "summary_index": 0}
        evs += [
            {"type": "response.reasoning_summary_text.done", **at, "text": text},
            {"type": "response.reasoning_summary_part.done", **at, "part": part},
        ]
    done = {"type": "response.output_item.done", "output_index": idx,
            "item": _item_now(s, "completed")}  # fmt: skip
    return replace(s, at=-1, kind="", call=None, text=None), [*evs, done]


def _open(s: Out, i: int, kind: str, call: ToolCall | None = None) -> tuple[Out, list[Any]]:
    if s.at == i:
        return s, []
    s, evs = _close(s)
    s = replace(s, at=i, kind=kind, call=call, items=s.items + 1)
    item = _item_now(s, "in_progress")
    evs.append({"type": "response.output_item.added", "output_index": s.items - 1, "item": item})
    at = {"item_id": item["id"], "output_index": s.items - 1}
    if kind == "message":
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        evs.append({"type": "response.content_part.added", **at, "content_index": 0, "part": part})
    return s, evs


def _text(s: Out, i: int, kind: str, delta: str) -> tuple[Out, list[Any]]:
    s, evs = _open(s, i, kind)
    at = {"item_id": _item_id(s), "output_index": s.items - 1}
    if kind == "message":
        evs.append({"type": "response.output_text.delta", **at, "content_index": 0,
                    "delta": delta, "logprobs": []})  # fmt: skip
    else:
        if s.text is None:
            part = {"type": "summary_text", "text": ""}
            evs.append({"type": "response.reasoning_summary_part.added", **at,
                        "summary_index": 0, "part": part})  # fmt: skip
        evs.append({"type": "response.reasoning_summary_text.delta", **at,
                    "summary_index": 0, "delta": delta})  # fmt: skip
    return replace(s, text=rope_add(s.text, delta)), evs


def _args(s: Out, delta: str) -> tuple[Out, list[Any]]:
    item_id = _item_id(s)
    ev = {"type": "response.function_call_arguments.delta", "item_id": item_id,
          "output_index": s.items - 1, "delta": delta}  # fmt: skip
    return replace(s, text=rope_add(s.text, delta)), [ev]


_TEXT_DELTA = (
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"'
)
_TEXT_DELTA_REST = (
    b'%b","output_index":%d,"content_index":0,"delta":%b,"logprobs":[],"sequence_number":%d}\n\n'
)


def step(s: Out, ev: StreamEvent) -> tuple[Out, bytes]:
    """One llmkit event as the Responses SSE frames it makes (maybe none)."""
    if type(ev) is TextDelta and ev.index == s.at and s.kind == "message":  # the hot path
        data = _TEXT_DELTA_REST % (_item_id(s).encode(), s.items - 1, _enc.encode(ev.text), s.seq)
        return replace(s, seq=s.seq + 1, text=(ev.text, s.text)), _TEXT_DELTA + data
    evs: list[dict[str, Any]] = []
    if s.seq == 0:
        head = response_head(s.id, s.echo, "in_progress")
        evs += [{"type": "response.created", "response": head},
                {"type": "response.in_progress", "response": head}]  # fmt: skip
    match ev:
        case TextDelta(index=i, text=text):
            s, more = _text(s, i, "message", text)
        case ThinkingDelta(index=i, signature=sig) if sig is not None:
            s, more = _open(s, i, "reasoning")
        case ThinkingDelta(index=i, text=text):
            s, more = _text(s, i, "reasoning", text)
        case ToolCallStart(index=i, id=id_, name=name):
            s, more = _open(s, i, "function_call", ToolCall(id=id_, name=name))
        case ToolCallDelta(index=i, arguments=args) if i == s.at:
            s, more = _args(s, args)

        case ToolCallEnd(index=i, call=call) if i == s.at:
            more = []
            if s.text is None:  # the arguments came whole: one delta
                raw = call.raw_arguments or msgspec.json.encode(call.arguments).decode()
                s, more = _args(s, raw)
            s, done = _close(s)
            more += done
        case Done(response=resp):
            s, more = _close(s)
            final = response_body(resp, s.id, s.echo)
            kind = (
                "response.incomplete" if final["status"] == "incomplete" else "response.completed"
            )
            more.append({"type": kind, "response": final})
        case _:
            more = []
    return _frames(s, [*evs, *more])


def error_frame(status: int, message: str, s: Out) -> bytes:
    """An error after the stream began (the `error` event,
    https://platform.openai.com/docs/api-reference/responses-streaming), in both
    shapes seen live: flat (the SDK's event type) and nested under `error`
    (the SDK raises APIError on any frame with an `error` key)."""
    body = error_body(status, message)["error"]
    ev = {"type": "error", "code": body["type"], "message": message, "param": None, "error": body}
    return _frames(s, [ev])[1]
