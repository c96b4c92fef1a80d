"""A Responses request body as an llmkit call (https://platform.openai.com/docs/api-reference/responses),
stateless."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec
from msgspec.structs import replace

from llmkit.providers._common import tool_call
from llmkit.server._body import decode_json
from llmkit.server._errors import Rejected
from llmkit.types import (
    Document,
    Image,
    Message,
    Part,
    Reasoning,
    ResponseFormat,
    Role,
    Text,
    Thinking,
    Tool,
    ToolChoice,
    ToolResult,
)


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


def decode_body(body: bytes) -> ResponsesBody:
    """The request body, or a 400 saying what is wrong (stateful asks too)."""
    raw = decode_json(body, bad_request)
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
    """The request settings a Response repeats (https://platform.openai.com/docs/api-reference/responses)."""
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
