"""`POST /v1/responses` for clients that speak OpenAI's Responses API
(PROTOCOLS 2.5, 10.3), stateless: the request becomes an llmkit call, and
llmkit's answer or stream events become the Response object or its events.

Decisions worth knowing:
- Nothing is stored: `previous_response_id`, `conversation`, `background`
  and `store: true` are refused with a 400 (an absent `store` is taken as
  false, so the official SDKs work unchanged); every answer says `store: false`.
- Reasoning from any vendor comes back as a `reasoning` item: its text as
  the summary, and in `encrypted_content` a token minted here (`llmkit:` +
  base64 JSON of the producer, its signature or redacted data, and its item
  id). A client replaying the item gives the producer its own thinking back;
  a reasoning item the gateway did not mint (or a broken token) is nobody's,
  so `Options.foreign_thinking` decides it (dropped by default).
- One output item per part of llmkit's answer: a `message` per text part, a
  `function_call` per call, a `reasoning` per thinking part. Item ids derive
  from the response id and the part's index, so the stream's items and the
  final response's agree.
- `text.format` json_schema -> `ResponseFormat`; `json_object` and plain
  text need no option. `reasoning.effort` -> `Reasoning(effort)`;
  `max_output_tokens` -> `max_tokens`; `prompt_cache_key` -> `cache_key`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec
from msgspec.structs import replace

from llmkit.errors import Overloaded
from llmkit.providers._common import Rope, rope_add, rope_text, tool_call
from llmkit.providers._ids import RESPONSES, fit_id
from llmkit.server._body import MAX_DEPTH, _too_deep
from llmkit.server._errors import Rejected
from llmkit.types import (
    Document,
    Done,
    Image,
    Message,
    Part,
    Reasoning,
    ResponseFormat,
    Role,
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
    ToolResult,
    Usage,
)
from llmkit.types import Response as ChatResponse

# ---- request ---------------------------------------------------------------------


class ResponsesBody(msgspec.Struct, frozen=True, kw_only=True):
    """The Responses request fields the gateway reads (others are ignored)."""

    model: str
    input: str | list[dict[str, Any]] = []
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    text: dict[str, Any] | None = None
    max_output_tokens: int | None = None
    reasoning: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    prompt_cache_key: str | None = None
    stream: bool = False
    store: bool | None = None
    previous_response_id: str | None = None
    conversation: Any = None
    background: bool | None = None


class Call(msgspec.Struct, frozen=True, kw_only=True):
    """The arguments of `llmkit.chat`/`stream`, and the request settings a
    Response echoes."""

    model: str
    messages: list[Message]
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    options: dict[str, Any] = {}
    stream: bool = False
    echo: dict[str, Any] = {}


def bad_request(message: str) -> Rejected:
    return Rejected(400, "invalid_request_error", message)


_decode_any = msgspec.json.Decoder()


def decode_body(body: bytes) -> ResponsesBody:
    """The request body, or a 400 saying what is wrong (stateful asks too)."""
    try:
        raw = _decode_any.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as e:
        raise bad_request(f"request body is not valid JSON: {e}") from e
    except RecursionError:
        raise bad_request(f"request body nests deeper than {MAX_DEPTH}") from None
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(raw):
        raise bad_request(f"request body nests deeper than {MAX_DEPTH}")
    try:
        b = msgspec.convert(raw, ResponsesBody)
    except msgspec.ValidationError as e:
        raise bad_request(str(e)) from e
    stateful = (
        ("previous_response_id", b.previous_response_id is not None),
        ("conversation", b.conversation is not None),
        ("store", b.store is True),
        ("background", b.background is True),
    )
    for name, asked in stateful:
        if asked:
            raise bad_request(
                f"`{name}` is not supported: this gateway is stateless and stores nothing; "
                "send the whole conversation in `input` with `store: false`"
            )
    return b


# -- minted reasoning tokens: whose thinking it was, and what to give it back


MINT = "llmkit:"


def mint(p: Thinking) -> str:
    data = {"p": p.provider, "s": p.signature, "r": p.redacted, "i": p.id}
    blob = msgspec.json.encode({k: v for k, v in data.items() if v is not None})
    return MINT + base64.urlsafe_b64encode(blob).decode()


def unmint(token: str | None, text: str) -> Thinking:
    """The thinking a reasoning item stands for; nobody's unless minted here."""
    if token and token.startswith(MINT):
        try:
            data = msgspec.json.decode(base64.urlsafe_b64decode(token[len(MINT) :]))
        except (binascii.Error, ValueError, msgspec.DecodeError):
            data = None
        if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            return Thinking(
                text=text, provider=data.get("p"), signature=data.get("s"),
                redacted=data.get("r"), id=data.get("i"),
            )  # fmt: skip
    return Thinking(text=text)


# -- input items


def _data_url(url: str) -> tuple[str, str] | None:
    """`data:<type>;base64,<data>` as (type, data)."""
    head, sep, data = url.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    return head[5:-7], data


def _input_part(p: dict[str, Any]) -> Part:
    kind = p.get("type")
    if kind in ("input_text", "output_text", "text") and isinstance(p.get("text"), str):
        return Text(text=p["text"])
    if kind == "refusal" and isinstance(p.get("refusal"), str):
        return Text(text=p["refusal"])
    if kind == "input_image" and isinstance(p.get("image_url"), str):
        inline = _data_url(p["image_url"])
        if inline is None:
            return Image(url=p["image_url"])
        return Image(media_type=inline[0], data=inline[1])
    if kind == "input_file":
        title = p.get("filename") if isinstance(p.get("filename"), str) else None
        if isinstance(p.get("file_data"), str):
            inline = _data_url(p["file_data"])
            if inline is not None:
                return Document(media_type=inline[0], data=inline[1], title=title)
        if isinstance(p.get("file_url"), str):
            return Document(url=p["file_url"], title=title)
    raise bad_request(f"input content of type {kind!r} is not supported (file ids need storage)")


def _content(value: Any) -> list[Part]:
    if isinstance(value, str):
        return [Text(text=value)]
    if not isinstance(value, list):
        raise bad_request("message content is a string or a list of parts")
    return [_input_part(p) if isinstance(p, dict) else _input_part({}) for p in value]


_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
}


def _summary(item: dict[str, Any]) -> str:
    parts = item.get("summary") or []
    return "\n\n".join(str(s.get("text", "")) for s in parts if isinstance(s, dict))


def _item(item: dict[str, Any]) -> tuple[Role, list[Part]]:
    kind = item.get("type", "message")
    if kind == "message":
        role = _ROLES.get(str(item.get("role")))
        if role is None:
            raise bad_request(f"input message role {item.get('role')!r} is not supported")
        return role, _content(item.get("content", ""))
    if kind == "function_call":
        args = item.get("arguments", "")
        call_id, name = item.get("call_id"), item.get("name")
        if not (isinstance(call_id, str) and isinstance(name, str) and isinstance(args, str)):
            raise bad_request("a function_call item needs `call_id`, `name` and `arguments`")
        return "assistant", [tool_call(call_id, name, args, keep_raw=True)]
    if kind == "function_call_output":
        call_id, output = item.get("call_id"), item.get("output", "")
        if not isinstance(call_id, str):
            raise bad_request("a function_call_output item needs a `call_id`")
        content = output if isinstance(output, str) else _content(output)
        return "tool", [ToolResult(tool_call_id=call_id, content=content)]  # type: ignore[arg-type]
    if kind == "reasoning":
        token = item.get("encrypted_content")
        return "assistant", [unmint(token if isinstance(token, str) else None, _summary(item))]
    raise bad_request(f"input items of type {kind!r} are not supported")


def history(b: ResponsesBody) -> list[Message]:
    out: list[Message] = []
    if b.instructions:
        out.append(Message(role="system", content=[Text(text=b.instructions)]))
    items = [{"role": "user", "content": b.input}] if isinstance(b.input, str) else b.input
    for item in items:
        role, parts = _item(item if isinstance(item, dict) else {"type": None})
        if out and out[-1].role == role and role in ("assistant", "tool"):
            out[-1] = replace(out[-1], content=[*out[-1].content, *parts])
        else:
            out.append(Message(role=role, content=parts))
    return out


def _tool(t: dict[str, Any]) -> Tool:
    if t.get("type") != "function" or not isinstance(t.get("name"), str):
        raise bad_request(f"tools: only function tools are served here, not {t.get('type')!r}")
    params = t.get("parameters")
    return Tool(
        name=t["name"],
        description=str(t.get("description") or ""),
        parameters=params if isinstance(params, dict) else {"type": "object", "properties": {}},
        strict=t.get("strict") if isinstance(t.get("strict"), bool) else None,
    )


_MODES = {"auto": "auto", "none": "none", "required": "required"}


def _tool_choice(c: str | dict[str, Any] | None, parallel: bool | None) -> ToolChoice | None:
    if c is None:
        return None if parallel is None else ToolChoice(parallel=parallel)
    if isinstance(c, str) and c in _MODES:
        return ToolChoice(mode=_MODES[c], parallel=parallel)  # type: ignore[arg-type]
    if isinstance(c, dict) and c.get("type") == "function" and isinstance(c.get("name"), str):
        return ToolChoice(mode="tool", name=c["name"], parallel=parallel)
    raise bad_request(f"tool_choice {c!r} is not supported (auto, none, required or a function)")


def _options(b: ResponsesBody) -> dict[str, Any]:
    given = {
        "max_tokens": b.max_output_tokens,
        "temperature": b.temperature,
        "top_p": b.top_p,
        "cache_key": b.prompt_cache_key,
    }
    out: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    effort = (b.reasoning or {}).get("effort")
    if effort is not None:
        out["reasoning"] = Reasoning(effort=effort)
    fmt = (b.text or {}).get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        if not isinstance(fmt.get("schema"), dict):
            raise bad_request("text.format: json_schema needs a `schema` object")
        name = str(fmt.get("name") or "response")
        strict = fmt.get("strict") is not False
        out["response_format"] = ResponseFormat(schema=fmt["schema"], name=name, strict=strict)
    return out


def _echo(b: ResponsesBody) -> dict[str, Any]:
    """The request settings a Response repeats (PROTOCOLS 10.3)."""
    return {
        "model": b.model,
        "instructions": b.instructions,
        "tools": b.tools or [],
        "tool_choice": b.tool_choice or "auto",
        "parallel_tool_calls": b.parallel_tool_calls is not False,
        "text": b.text or {"format": {"type": "text"}},
        "reasoning": b.reasoning or {},
        "max_output_tokens": b.max_output_tokens,
        "temperature": b.temperature,
        "top_p": b.top_p,
        "store": False,
        "metadata": {},
    }


def parse_request(b: ResponsesBody, target: str = "") -> Call:
    """A decoded Responses request as an llmkit call."""
    return Call(
        model=b.model,
        messages=history(b),
        tools=[_tool(t) for t in b.tools or ()],
        tool_choice=_tool_choice(b.tool_choice, b.parallel_tool_calls),
        options=_options(b),
        stream=b.stream,
        echo=_echo(b),
    )


# ---- response --------------------------------------------------------------------


def wire_usage(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cache_read_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.total_tokens,
    }


def _ids(resp_id: str, i: int) -> tuple[str, str, str]:
    base = f"{resp_id.removeprefix('resp_')}_{i}"
    return f"msg_{base}", f"fc_{base}", f"rs_{base}"


def _message(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    if status == "in_progress":
        content = []
    return {"type": "message", "id": item_id, "role": "assistant", "status": status,
            "content": content}  # fmt: skip


def _call_item(item_id: str, c: ToolCall, status: str, args: str) -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": fit_id(c.id, RESPONSES),
            "name": c.name, "arguments": args, "status": status}  # fmt: skip


def _reasoning_item(item_id: str, text: str, token: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "reasoning", "id": item_id, "summary": []}
    if text:
        item["summary"] = [{"type": "summary_text", "text": text}]
    if token is not None:
        item["encrypted_content"] = token
    return item


def output_item(p: Part, resp_id: str, i: int) -> dict[str, Any] | None:
    """Part `i` of an answer as an output item (None: nothing to show)."""
    msg_id, fc_id, rs_id = _ids(resp_id, i)
    match p:
        case Text(text=text) if text:
            return _message(msg_id, text, "completed")
        case ToolCall(raw_arguments=raw, arguments=args):
            json = raw if raw is not None else msgspec.json.encode(args).decode()
            return _call_item(fc_id, p, "completed", json)
        case Thinking(provider=who) if who is not None:
            return _reasoning_item(rs_id, p.text, mint(p))
        case Thinking(text=text) if text:
            return _reasoning_item(rs_id, text, None)
        case _:
            return None


_TERMINAL = {"completed": "completed", "incomplete": "incomplete"}
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def response_body(
    resp: ChatResponse, resp_id: str, echo: dict[str, Any], status: str = "completed"
) -> dict[str, Any]:
    """llmkit's Response as a Responses `response` object."""
    out = [
        item
        for i, p in enumerate(resp.message.content)
        if (item := output_item(p, resp_id, i)) is not None
    ]
    why = _INCOMPLETE.get(resp.finish.reason) if status == "completed" else None
    return {
        **_head(resp_id, echo, "incomplete" if why else status),
        "incomplete_details": {"reason": why} if why else None,
        "output": out,
        "usage": wire_usage(resp.usage),
    }


def _head(resp_id: str, echo: dict[str, Any], status: str) -> dict[str, Any]:
    return {"id": resp_id, "object": "response", "status": status, "error": None,
            "incomplete_details": None, **echo, "output": [], "usage": None}  # fmt: skip


# ---- errors ----------------------------------------------------------------------

_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                429: "rate_limit_exceeded"}  # fmt: skip


def error_body(status: int, message: str, e: Exception | None = None) -> dict[str, Any]:
    """OpenAI's error envelope (PROTOCOLS 2.6)."""
    kind = _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    if isinstance(e, Overloaded):
        kind = "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


# ---- streaming -------------------------------------------------------------------

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
    return _ids(s.id, s.at)[_ID_AT[s.kind]]


def _item_now(s: Out, status: str) -> dict[str, Any]:
    msg_id, fc_id, rs_id = _ids(s.id, s.at)
    text = rope_text(s.text)
    if s.kind == "message":
        return _message(msg_id, text, status)
    if s.kind == "function_call":
        assert s.call is not None
        return _call_item(fc_id, s.call, status, text)
    return _reasoning_item(rs_id, text, None)  # the token comes in the final response


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
        head = _head(s.id, s.echo, "in_progress")
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
    """An error after the stream began (PROTOCOLS 2.5: `error` event), in both
    shapes seen live: flat (the SDK's event type) and nested under `error`
    (the SDK raises APIError on any frame with an `error` key)."""
    body = error_body(status, message)["error"]
    ev = {"type": "error", "code": body["type"], "message": message, "param": None, "error": body}
    return _frames(s, [ev])[1]
