"""History both ways: llmkit messages <-> Anthropic `system` + `messages`
(https://platform.claude.com/docs/en/api/messages).

`_to_wire_messages` (the package's `messages_to_wire`) is what requests use;
`_from_wire_messages` (`messages_from_wire`) reads Anthropic JSON back into
llmkit messages, so that

- wire -> unified -> wire is the identity on *canonical* Anthropic JSON: the
  form `messages_to_wire` emits. Equivalent spellings are normalized: string
  content becomes one text block, `system` is always a list of text blocks,
  `is_error: false`, empty or null `citations` and empty tool_result content are
  omitted, `caller` on tool_use is dropped. A block llmkit cannot model
  faithfully (citations, a `ttl` cache_control, a file source, server tools,
  types newer than us) is kept whole as `Raw` and replayed byte for byte.
- unified -> wire -> unified is the identity up to merged turns: consecutive
  same-role messages become one message, `tool` + `user` messages (both are
  Anthropic user turns) split back at the tool_result run, messages are split
  after each cache breakpoint, empty and whitespace-only text parts (the API
  refuses both) and messages left empty are dropped, tool-call ids the API
  refuses are replaced by stand-ins (`llmkit.providers._ids`), ToolResult.name,
  Message.name and other vendors' signatures are not sent (Anthropic has no
  place for them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmkit.errors import Unsupported
from llmkit.providers._common import never
from llmkit.providers._ids import ANTHROPIC, fit_id
from llmkit.providers.handoff import carry
from llmkit.types import (
    Document,
    ForeignThinking,
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

from ._rules import EPHEMERAL, blank, cache_last
from ._wire import NAME, from_wire_block, text_document_data

_DEFAULT_OPTIONS = Options()


def _unsupported(feature: str) -> Unsupported:
    return Unsupported(feature, provider=NAME)


# ---- parts -> blocks -------------------------------------------------------------


def _image(p: Image) -> dict[str, Any]:
    if p.data is not None:
        if not p.media_type:
            raise _unsupported("an inline image without media_type")
        source = {"type": "base64", "media_type": p.media_type, "data": p.data}
    elif p.url is not None:
        source = {"type": "url", "url": p.url}
    else:
        raise _unsupported("an image with neither data nor url")
    return {"type": "image", "source": source}


def _document(p: Document) -> dict[str, Any]:
    if p.data is not None and p.media_type == "application/pdf":
        source = {"type": "base64", "media_type": p.media_type, "data": p.data}
    elif p.data is not None and p.media_type == "text/plain":
        text = text_document_data(p.data)
        if text is None:
            raise _unsupported("a text/plain document whose data is not base64 UTF-8")
        source = {"type": "text", "media_type": p.media_type, "data": text}
    elif p.data is not None:
        raise _unsupported(f"{p.media_type} documents (PDF and text/plain only)")
    elif p.url is not None:
        source = {"type": "url", "url": p.url}
    else:
        raise _unsupported("a document with neither data nor url")
    block: dict[str, Any] = {"type": "document", "source": source}
    if p.title is not None:
        block["title"] = p.title
    return block


def _tool_result(p: ToolResult, foreign: ForeignThinking) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": fit_id(p.tool_call_id, ANTHROPIC),
    }
    if isinstance(p.content, str):
        content: str | list[dict[str, Any]] = "" if blank(p.content) else p.content
    else:
        content = [b for c in p.content if (b := _block(c, foreign)) is not None]
    if content:
        block["content"] = content
    if p.is_error:
        block["is_error"] = True
    return block


def _thinking(p: Thinking, foreign: ForeignThinking) -> dict[str, Any] | None:
    """Claude's own thinking (other vendors' was settled by `carry`) goes back
    verbatim (https://platform.claude.com/docs/en/build-with-claude/extended-thinking
    #preserving-thinking-blocks); without a signature the API would reject it as
    thinking, so it then follows `foreign_thinking` like anyone else's."""
    if p.redacted is not None:
        return {"type": "redacted_thinking", "data": p.redacted}
    if p.signature is not None:
        return {"type": "thinking", "thinking": p.text, "signature": p.signature}
    if foreign == "text" and not blank(p.text):
        return {"type": "text", "text": p.text}
    return None


def _block(part: Part, foreign: ForeignThinking) -> dict[str, Any] | None:
    p = carry(part, NAME, foreign)
    match p:
        case None:
            return None
        case Text(text=text, citations=cites):
            if blank(text):
                return None  # the API rejects empty and whitespace-only text blocks
            return {"type": "text", "text": text, "citations": cites} if cites else {
                "type": "text", "text": text,
            }  # fmt: skip
        case Image():
            return _image(p)
        case Document():
            return _document(p)
        case ToolCall(id=id_, name=name, arguments=args):
            return {"type": "tool_use", "id": fit_id(id_, ANTHROPIC), "name": name, "input": args}
        case ToolResult():
            return _tool_result(p, foreign)
        case Thinking():
            return _thinking(p, foreign)
        case Raw(data=data):
            return _raw(data) if isinstance(data, dict) else None
        case _:
            never(p)


# The id field of each block type that names a client tool call.
_ID_KEYS = {"tool_use": "id", "tool_result": "tool_use_id"}


def _raw(data: dict[str, Any]) -> dict[str, Any] | None:
    """A block kept whole goes back as it came, except that blank text is not
    sent and a tool call's id is fitted like a modelled one's, so a Raw
    tool_result (extra keys, unusual content) still pairs with its call."""
    kind = data.get("type")
    if kind == "text" and blank(str(data.get("text", ""))):
        return None
    inner = data.get("content")
    if kind == "tool_result" and isinstance(inner, list):  # its blocks obey the same rule
        kept = [b for b in inner if not (isinstance(b, dict) and _raw(b) is None)]
        if len(kept) < len(inner):  # none left: no content, as for a modelled result
            rest = {k: v for k, v in data.items() if k != "content"}
            data = {**rest, "content": kept} if kept else rest
    key = _ID_KEYS.get(str(kind))
    if key is not None and isinstance(data.get(key), str):
        fitted = fit_id(data[key], ANTHROPIC)
        return data if fitted == data[key] else {**data, key: fitted}
    return data


# ---- history ---------------------------------------------------------------------


def _results_first(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """tool_result blocks must open the user turn that follows the tool_use."""
    results = [b for b in blocks if b.get("type") == "tool_result"]
    if not results or len(results) == len(blocks) or blocks[: len(results)] == results:
        return blocks
    return results + [b for b in blocks if b.get("type") != "tool_result"]


def _system_block(b: dict[str, Any]) -> dict[str, Any]:
    if b.get("type") != "text":
        raise _unsupported(f"{b.get('type')} content in a system message (text only)")
    return b


def _to_wire_messages(
    messages: Sequence[Message], options: Options = _DEFAULT_OPTIONS
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """llmkit messages as Anthropic's `(system, messages)`: system messages are
    lifted into `system`, tool messages become user turns, same-role turns are
    merged and `Message.cache` puts `cache_control` on the message's last block
    that can carry one (not thinking); when none of its blocks can (or none is
    sent), on the last such block before it: the longest prefix the API allows.
    `options.foreign_thinking` decides other vendors' thinking."""
    system: list[dict[str, Any]] = []
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for m in messages:
        blocks = [b for p in m.content if (b := _block(p, options.foreign_thinking)) is not None]
        if m.cache:
            earlier = [system] if m.role == "system" else [system, *(b for _, b in turns)]
            cache_last([*earlier, blocks])
        if not blocks:
            continue
        if m.role == "system":
            system += [_system_block(b) for b in blocks]
            continue
        role = "assistant" if m.role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    wire = [
        {"role": role, "content": _results_first(blocks) if role == "user" else blocks}
        for role, blocks in turns
    ]
    return system or None, wire


def _split(role: Role, blocks: list[Any]) -> list[Message]:
    """One wire turn as llmkit messages: a run of tool_result blocks in a user
    turn is a `tool` message, and each cache breakpoint ends a message."""
    out: list[Message] = []
    cur: list[Part] = []
    cur_role: Role = role

    def flush(cache: bool) -> None:
        nonlocal cur
        if cur:
            out.append(Message(role=cur_role, content=cur, cache=cache))
            cur = []

    for b in blocks:
        cached = isinstance(b, dict) and b.get("cache_control") == EPHEMERAL
        if cached:
            b = {k: v for k, v in b.items() if k != "cache_control"}
        part = from_wire_block(b) if isinstance(b, dict) else Raw(provider=NAME, data=b)
        r: Role = "tool" if role == "user" and isinstance(part, ToolResult) else role
        if r != cur_role:
            flush(False)
            cur_role = r
        cur.append(part)
        if cached:
            flush(True)
    flush(False)
    return out


def _content(value: Any) -> list[Any]:
    return [{"type": "text", "text": value}] if isinstance(value, str) else list(value or [])


def _from_wire_messages(
    system: str | list[dict[str, Any]] | None, messages: Sequence[dict[str, Any]]
) -> list[Message]:
    """Anthropic's `system` and `messages` (decoded JSON) as llmkit messages;
    the inverse of `messages_to_wire` (see the module docstring)."""
    out = _split("system", _content(system))
    for wm in messages:
        role: Role = "assistant" if wm.get("role") == "assistant" else "user"
        out += _split(role, _content(wm.get("content")))
    return out
