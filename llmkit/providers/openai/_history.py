"""Conversation history: llmkit Messages <-> Chat Completions `messages`.

Wire -> unified -> wire is the identity on the vendor's JSON for what Chat
Completions carries, except these normalizations:

- a `developer` message comes back as `system` (OpenAI treats them alike);
- `"content": null` and a missing `content` are the same; a one-element list
  holding a single text part becomes a plain string;
- part options llmkit does not model are dropped (`image_url.detail`,
  `prompt_cache_breakpoint`); parts it does not know at all (`input_audio`,
  `file` by `file_id`) are kept as `Raw` and replayed untouched to this provider;
- an assistant `refusal` becomes text; `reasoning_content` sent back in history
  (some clients do) becomes Thinking, which is not sent again (below).

Unified -> wire -> unified is the identity except: tool-call ids the dialect's
rule refuses are replaced by stand-ins (`llmkit.providers._ids`); Thinking is
never sent as reasoning (Chat Completions has no input field for it, for any
vendor, xAI's own `reasoning_content` included): `options.foreign_thinking`
drops it (default) or sends its text as text; signatures are never sent; Raw
parts of other providers are skipped; ToolResult `is_error`/`name` and Message
`cache` have no field; tool results in a user message are sent first, as
`role: tool` messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmkit.errors import DecodeError, Unsupported
from llmkit.providers._common import image_url, tool_call
from llmkit.providers._ids import fit_id
from llmkit.providers.handoff import carry
from llmkit.providers.openai._wire import WireDialect, encoder
from llmkit.types import (
    Document,
    Image,
    Message,
    Options,
    Part,
    Raw,
    Role,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
)

Wire = dict[str, Any]


# ---- unified -> wire -----------------------------------------------------------


def _to_wire_messages(messages: Sequence[Message], options: Options, d: WireDialect) -> list[Wire]:
    out: list[Wire] = []
    for m in messages:
        if m.role == "assistant":
            out.append(_assistant_to_wire(m, options, d))
            continue
        results = [p for p in m.content if isinstance(p, ToolResult)]
        out += [_tool_result_to_wire(r, d) for r in results]
        rest = [p for p in m.content if not isinstance(p, ToolResult)] if results else m.content
        if m.role == "tool":
            if rest:
                raise Unsupported(
                    "parts other than tool results in a tool message", provider=d.provider
                )
        elif rest or not results:
            out.append(_named({"role": m.role, "content": _content(rest, m.role, options, d)}, m))
    return out


def _named(wire: Wire, m: Message) -> Wire:
    if m.name is not None:
        wire["name"] = m.name
    return wire


def _content(
    parts: Sequence[Part], role: str, options: Options, d: WireDialect
) -> str | list[Wire]:
    wire = [w for p in parts if (w := _part_to_wire(p, role, options, d)) is not None]
    if len(wire) == 1 and wire[0].get("type") == "text" and len(wire[0]) == 2:
        return str(wire[0]["text"])
    return wire


def _part_to_wire(part: Part, role: str, options: Options, d: WireDialect) -> Wire | None:
    p = carry(part, d.provider, options.foreign_thinking)
    match p:
        case None:
            return None
        case Text(text=text):
            return {"type": "text", "text": text}
        case Thinking(text=text):  # the vendor's own: Chat Completions has no field for it
            keep = options.foreign_thinking == "text" and text
            return {"type": "text", "text": text} if keep else None
        case Raw(data=data):
            return data if isinstance(data, dict) else None
        case Image() if role == "user":
            return {"type": "image_url", "image_url": {"url": image_url(p, d.provider)}}
        case Document() if role == "user":
            return {"type": "file", "file": _file(p, d)}
        case Image() | Document() | ToolCall() | ToolResult():
            raise Unsupported(f"{p.__class__.__name__} in a {role} message", provider=d.provider)
    return None  # pragma: no cover - every Part is matched above


def _file(p: Document, d: WireDialect) -> Wire:
    # Chat Completions takes files inline or by uploaded file_id, never by URL.
    if p.data is None:
        raise Unsupported("documents by URL (send the bytes inline)", provider=d.provider)
    out: Wire = {"file_data": f"data:{p.media_type};base64,{p.data}"}
    if p.title is not None:
        out["filename"] = p.title
    return out


def _assistant_to_wire(m: Message, options: Options, d: WireDialect) -> Wire:
    calls = [_call_to_wire(p, d) for p in m.content if isinstance(p, ToolCall)]
    others = [p for p in m.content if not isinstance(p, ToolCall)]
    content = _content(others, "assistant", options, d)
    wire: Wire = {"role": "assistant"}
    if isinstance(content, str) or content:  # "" is kept: xAI sends it beside tool calls
        wire["content"] = content
    elif not calls:
        wire["content"] = ""
    if calls:
        wire["tool_calls"] = calls
    return _named(wire, m)


def _call_to_wire(c: ToolCall, d: WireDialect) -> Wire:
    # The exact text the model sent is replayed when we have it (byte for byte,
    # even if it was not valid JSON); otherwise the decoded arguments.
    args = c.raw_arguments if c.raw_arguments is not None else encoder.encode(c.arguments).decode()
    return {
        "id": fit_id(c.id, d.ids),
        "type": "function",
        "function": {"name": c.name, "arguments": args},
    }


def _tool_result_to_wire(r: ToolResult, d: WireDialect) -> Wire:
    if isinstance(r.content, str):
        content: str | list[Wire] = r.content
    else:
        if not all(isinstance(p, Text) for p in r.content):
            raise Unsupported("images or documents in tool results", provider=d.provider)
        content = [{"type": "text", "text": p.text} for p in r.content if isinstance(p, Text)]
    return {"role": "tool", "tool_call_id": fit_id(r.tool_call_id, d.ids), "content": content}


# ---- wire -> unified -----------------------------------------------------------


def _from_wire_messages(wire: Sequence[Mapping[str, Any]], d: WireDialect) -> list[Message]:
    return [_message_from_wire(w, d) for w in wire]


_ROLES: Mapping[str, Role] = {"system": "system", "developer": "system", "user": "user"}


def _message_from_wire(w: Mapping[str, Any], d: WireDialect) -> Message:
    role = w.get("role")
    name = w.get("name")
    if role == "assistant":
        return Message(role="assistant", content=_assistant_parts(w, d), name=name)
    if role == "tool":
        result = ToolResult(tool_call_id=str(w.get("tool_call_id", "")), content=_result(w, d))
        return Message(role="tool", content=[result])
    if isinstance(role, str) and role in _ROLES:
        content = w.get("content")
        parts: list[Part] = (
            [Text(text=content)] if isinstance(content, str) else _parts(content or [], d)
        )
        return Message(role=_ROLES[role], content=parts, name=name)
    raise DecodeError(f"unsupported message role {role!r}", provider=d.provider, body=str(w))


def _assistant_parts(w: Mapping[str, Any], d: WireDialect) -> list[Part]:
    parts: list[Part] = []
    if w.get("reasoning_content"):
        parts.append(Thinking(text=w["reasoning_content"], provider=d.provider))
    content = w.get("content")
    if isinstance(content, str):
        parts.append(Text(text=content))
    elif content:
        parts += _parts(content, d)
    if w.get("refusal"):
        parts.append(Text(text=w["refusal"]))
    for c in w.get("tool_calls") or []:
        f = c.get("function") or {}
        parts.append(
            tool_call(c.get("id", ""), f.get("name", ""), f.get("arguments", ""), keep_raw=True)
        )
    return parts


def _result(w: Mapping[str, Any], d: WireDialect) -> str | list[Text | Image | Document]:
    content = w.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    return [p for p in _parts(content, d) if isinstance(p, Text)]


def _parts(wire: Sequence[Mapping[str, Any]], d: WireDialect) -> list[Part]:
    return [_part_from_wire(p, d) for p in wire]


def _part_from_wire(p: Mapping[str, Any], d: WireDialect) -> Part:
    kind = p.get("type")
    if kind == "text":
        return Text(text=p.get("text", ""))
    if kind == "image_url":
        url = (p.get("image_url") or {}).get("url", "")
        media_type, data = _split_data_url(url)
        return Image(media_type=media_type, data=data) if data is not None else Image(url=url)
    file = p.get("file") or {}
    if kind == "file" and "file_data" in file:
        media_type, data = _split_data_url(file["file_data"])
        if data is not None and media_type is not None:
            return Document(media_type=media_type, data=data, title=file.get("filename"))
    return Raw(provider=d.provider, data=dict(p))


def _split_data_url(url: str) -> tuple[str | None, str | None]:
    """`data:image/png;base64,AAAA` -> ("image/png", "AAAA"); else (None, None)."""
    head, sep, data = url.partition(",")
    if not (sep and head.startswith("data:") and head.endswith(";base64")):
        return None, None
    return head[5:-7], data
