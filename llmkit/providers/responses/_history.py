"""Conversation history: llmkit Messages -> Responses `instructions` + `input` items.

- system messages -> `instructions` (joined by a blank line);
- user parts -> a user message with `input_text`, `input_image` (URL or data
  URL), `input_file` (`file_data` data URL, or `file_url`); tool results ->
  `function_call_output` items (`output` a string, or `input_text` /
  `input_image` parts), sent before the rest of their message;
- assistant parts, in their original order: this endpoint's own reasoning
  (Thinking with an id and encrypted content; consecutive parts of one item
  regrouped) -> `reasoning` items replayed as they came; its own text ->
  `message` items with their id, `phase` and annotations; other text ->
  plain assistant messages; tool calls -> `function_call` items (`call_id`,
  exact argument text, the `fc_` id when it is this endpoint's); this
  endpoint's `Raw` items (hosted tools) verbatim.
Everything first goes through `handoff.carry` with the endpoint's name, so
another vendor's (or another deployment's) reasoning, ids and raw items never
arrive here; thinking without encrypted content cannot be replayed (the
vendor keeps nothing with `store: false`) and follows `foreign_thinking`.
Message `name` and `cache` have no field on Responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmkit.errors import Unsupported
from llmkit.providers._common import image_url
from llmkit.providers._ids import RESPONSES, fit_id
from llmkit.providers.handoff import carry
from llmkit.providers.responses._wire import Dialect, encoder
from llmkit.types import (
    Document,
    Image,
    Message,
    Options,
    Part,
    Raw,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
)

Wire = dict[str, Any]


def _to_wire_messages(
    messages: Sequence[Message], options: Options, d: Dialect, to: str
) -> tuple[str | None, list[Wire]]:
    """(`instructions`, `input` items) for a conversation sent to endpoint `to`."""
    instructions: list[str] = []
    items: list[Wire] = []
    for m in messages:
        if m.role == "system":
            instructions.append(_system_text(m, d))
        elif m.role == "assistant":
            items += _assistant(m, options, d, to)
        else:
            items += _user(m, options, d, to)
    return ("\n\n".join(instructions) if instructions else None), items


def _system_text(m: Message, d: Dialect) -> str:
    if not all(isinstance(p, Text) for p in m.content):
        raise Unsupported("parts other than text in a system message", provider=d.provider)
    return "".join(p.text for p in m.content if isinstance(p, Text))


def _user(m: Message, options: Options, d: Dialect, to: str) -> list[Wire]:
    results = [p for p in m.content if isinstance(p, ToolResult)]
    out = [_result(r, d) for r in results]
    rest = [p for p in m.content if not isinstance(p, ToolResult)]
    if m.role == "tool" and rest:
        raise Unsupported("parts other than tool results in a tool message", provider=d.provider)
    wire = [w for p in rest if (w := _input_part(p, options, d, to)) is not None]
    if wire or not results:
        out.append({"role": "user", "content": wire})
    return out


def _input_part(part: Part, options: Options, d: Dialect, to: str) -> Wire | None:
    match carry(part, to, options.foreign_thinking):
        case None:
            return None
        case Text(text=text):
            return {"type": "input_text", "text": text}
        case Thinking(text=text):  # our own reasoning in a user turn: only its text can go
            keep = options.foreign_thinking == "text" and text
            return {"type": "input_text", "text": text} if keep else None
        case Raw(data=data):
            return data if isinstance(data, dict) else None
        case Image() as p:
            return {"type": "input_image", "image_url": image_url(p, d.provider)}
        case Document() as p:
            return _file(p, d)
        case ToolCall() | ToolResult() as p:
            raise Unsupported(f"{p.__class__.__name__} in a user message", provider=d.provider)
    return None  # pragma: no cover - every Part is matched above


def _file(p: Document, d: Dialect) -> Wire:
    if p.data is None:
        return {"type": "input_file", "file_url": p.url or ""}
    if not d.inline_files:
        raise Unsupported("documents sent inline (send them by URL)", provider=d.provider)
    out: Wire = {"type": "input_file", "file_data": f"data:{p.media_type};base64,{p.data}"}
    out["filename"] = p.title or "document.pdf"  # required beside file_data
    return out


def _result(r: ToolResult, d: Dialect) -> Wire:
    if isinstance(r.content, str):
        output: str | list[Wire] = r.content
    else:
        output = []
        for p in r.content:
            if isinstance(p, Text):
                output.append({"type": "input_text", "text": p.text})
            elif isinstance(p, Image):
                output.append({"type": "input_image", "image_url": image_url(p, d.provider)})
            else:
                output.append(_file(p, d))
    return {
        "type": "function_call_output",
        "call_id": fit_id(r.tool_call_id, RESPONSES),
        "output": output,
    }


# ---- assistant turns -----------------------------------------------------------


def _assistant(m: Message, options: Options, d: Dialect, to: str) -> list[Wire]:
    items: list[Wire] = []
    for part in m.content:
        p = carry(part, to, options.foreign_thinking)
        match p:
            case None:
                continue
            case Thinking(id=id, signature=sig, text=text) if id and sig is not None:
                items.append(_reasoning(id, sig, text, d))
            case Thinking(id=id, text=text) if id and _extends(items, id):
                if text:
                    items[-1]["summary"].append({"type": "summary_text", "text": text})
            case Thinking(text=text):  # no encrypted content: nothing the vendor can verify
                if options.foreign_thinking == "text" and text:
                    items.append({"role": "assistant", "content": text})
            case Text(signature=sig, provider=producer) if sig and producer == to and d.items:
                _own_text(items, p)
            case Text(text=text):
                items.append({"role": "assistant", "content": text})
            case ToolCall():
                items.append(_call(p))
            case Raw(data=data):
                if isinstance(data, dict):
                    items.append(data)
            case Image() | Document() | ToolResult():
                raise Unsupported(
                    f"{p.__class__.__name__} in an assistant message", provider=d.provider
                )
    return items


def _reasoning(id: str, encrypted: str, text: str, d: Dialect) -> Wire:
    summary = [{"type": "summary_text", "text": text}] if text else []
    out: Wire = {"type": "reasoning", "id": id, "summary": summary}
    if d.reasoning_status:
        out["status"] = "completed"
    out["encrypted_content"] = encrypted
    return out


def _extends(items: list[Wire], id: str) -> bool:
    return bool(items) and items[-1].get("type") == "reasoning" and items[-1].get("id") == id


def _own_text(items: list[Wire], p: Text) -> None:
    """A part of one of our message items: joins the item it came from."""
    content = {"type": "output_text", "text": p.text, "annotations": p.citations or []}
    last = items[-1] if items else None
    if last is not None and last.get("type") == "message" and last.get("id") == p.signature:
        last["content"].append(content)
        return
    item: Wire = {"type": "message", "role": "assistant", "id": p.signature,
                  "status": "completed", "content": [content]}  # fmt: skip
    if p.phase is not None:
        item["phase"] = p.phase
    items.append(item)


def _call(c: ToolCall) -> Wire:
    # The exact text the model sent when we have it, else the decoded arguments.
    args = c.raw_arguments if c.raw_arguments is not None else encoder.encode(c.arguments).decode()
    call_id = fit_id(c.id, RESPONSES)
    out: Wire = {"type": "function_call", "call_id": call_id, "name": c.name, "arguments": args}
    if c.signature is not None:  # our own fc_ item id (carry drops other vendors' signatures)
        out["id"] = c.signature
    return out
