"""Turning what callers hand us into llmkit Messages, and the JSON shape.

Accepted anywhere messages are taken: a plain string (one user turn), a
Message, a dict in llmkit's JSON shape (`{"role": "user", "content": "Hi"}`,
content a string or a list of parts), or a list mixing those.

Dicts in OpenAI's Chat Completions shape, as OpenAI SDK and LiteLLM users hold
them, are accepted too: assistant `tool_calls` with JSON-string arguments (the
exact text is kept), `role: "tool"` with `tool_call_id`, `image_url` parts (a
URL or a data URL), `name` fields, `developer` as `system`. They are read by
the OpenAI provider's own history decoder, so sending them back to OpenAI gives
the same JSON (`image_url.detail` aside); parts llmkit does not model stay as
OpenAI-only `Raw` parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import msgspec

from llmkit.errors import (
    InvalidMessages as InvalidMessages,  # defined in errors; kept importable here
)
from llmkit.errors import LlmkitError
from llmkit.types import Message, Part, Role, Text, ToolCall, ToolResult

MessageLike: TypeAlias = "str | Message | Mapping[str, Any]"
MessagesLike: TypeAlias = (
    "str | Message | Mapping[str, Any] | Iterable[str | Message | Mapping[str, Any]]"
)


class _MessageIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a caller may send: like Message, but content may be a string."""

    role: Role
    content: str | list[Part] = []
    name: str | None = None
    cache: bool = False
    provider: str | None = None
    model: str | None = None


_decode_in = msgspec.json.Decoder(list[_MessageIn])


def _from_in(m: _MessageIn) -> Message:
    content: list[Part] = [Text(text=m.content)] if isinstance(m.content, str) else m.content
    return Message(
        role=m.role,
        content=content,
        name=m.name,
        cache=m.cache,
        provider=m.provider,
        model=m.model,
    )


def _one(x: str | Message | Mapping[str, Any], where: str) -> Message:
    if isinstance(x, Message):
        return x
    if isinstance(x, str):
        return Message(role="user", content=[Text(text=x)])
    if not isinstance(x, Mapping):
        raise InvalidMessages(f"{where}: expected a string, a Message or a dict, got {x!r}")
    try:
        return _from_in(msgspec.convert(x, _MessageIn, strict=True))
    except msgspec.ValidationError as e:
        if _openai_shaped(x):
            return _from_openai(x, where)
        raise InvalidMessages(f"{where}: {e}") from e


# What only OpenAI's message shape has (llmkit's has none of these).
_OPENAI_KEYS = frozenset({"tool_calls", "tool_call_id", "refusal"})
_OPENAI_PARTS = frozenset({"image_url", "input_audio", "file"})


def _openai_shaped(x: Mapping[str, Any]) -> bool:
    content = x.get("content")
    parts = content if isinstance(content, list) else []
    return (
        not _OPENAI_KEYS.isdisjoint(x)
        or x.get("role") == "developer"
        or ("content" in x and content is None)
        or any(isinstance(p, Mapping) and p.get("type") in _OPENAI_PARTS for p in parts)
    )


def _from_openai(x: Mapping[str, Any], where: str) -> Message:
    from llmkit.providers import openai  # imported only when such a dict arrives

    try:
        (m,) = openai.messages_from_wire([x])
        if m.role == "tool" and "name" in x:  # the tool's name, kept on the result
            m = msgspec.structs.replace(
                m, content=[msgspec.structs.replace(p, name=x["name"]) for p in m.content]
            )
        # The decoder trusts its vendor's types; a caller's dict gets checked.
        return msgspec.convert(msgspec.to_builtins(m), Message, strict=True)
    except (LlmkitError, AttributeError, TypeError, ValueError) as e:
        raise InvalidMessages(f"{where}: not a message in llmkit's or OpenAI's shape: {e}") from e


def to_messages(x: MessagesLike) -> list[Message]:
    if isinstance(x, (str, Message, Mapping)):
        return [_one(x, "messages")]
    if not isinstance(x, Iterable):
        raise InvalidMessages(f"messages: expected a string, a message or a list, got {x!r}")
    return [_one(m, f"messages[{i}]") for i, m in enumerate(x)]


_ANSWER_HINT = (
    "answer pending calls with llmkit.approve(result, tools) or llmkit.reject(result), "
    "or add a ToolResult with that tool_call_id"
)


def check_history(messages: list[Message]) -> None:
    """Every vendor refuses a history where a tool call has no result before
    the next assistant turn, or a result answers no call (or one already
    answered); say so here, naming the message, rather than in a vendor 400."""
    open_calls: dict[str, tuple[int, str]] = {}  # id -> (message index, tool name)
    answered: set[str] = set()
    for i, m in enumerate(messages):
        if m.role == "assistant":
            _unanswered(open_calls)
        for p in m.content:
            if isinstance(p, ToolCall):
                if p.id in open_calls or p.id in answered:
                    raise InvalidMessages(f"messages[{i}]: tool call id {p.id!r} is used twice")
                open_calls[p.id] = (i, p.name)
            elif isinstance(p, ToolResult):
                if p.tool_call_id in answered:
                    raise InvalidMessages(
                        f"messages[{i}]: tool call {p.tool_call_id!r} is answered twice"
                    )
                if p.tool_call_id not in open_calls:
                    raise InvalidMessages(
                        f"messages[{i}]: tool result for {p.tool_call_id!r} answers no call "
                        "in the assistant turn before it"
                    )
                del open_calls[p.tool_call_id]
                answered.add(p.tool_call_id)
    _unanswered(open_calls)


def _unanswered(open_calls: dict[str, tuple[int, str]]) -> None:
    if open_calls:
        call_id, (i, name) = next(iter(open_calls.items()))
        more = f" (and {len(open_calls) - 1} more)" if len(open_calls) > 1 else ""
        raise InvalidMessages(
            f"messages[{i}]: tool call {call_id!r} ({name}) has no result{more}; {_ANSWER_HINT}"
        )


def user(text: str) -> Message:
    return Message(role="user", content=[Text(text=text)])


def system(text: str) -> Message:
    return Message(role="system", content=[Text(text=text)])


def assistant(text: str) -> Message:
    return Message(role="assistant", content=[Text(text=text)])


def decode_messages(data: bytes | str) -> list[Message]:
    """Messages from JSON text in llmkit's shape (a list)."""
    try:
        return [_from_in(m) for m in _decode_in.decode(data)]
    except (msgspec.DecodeError, UnicodeDecodeError) as e:  # bytes that are not UTF-8 too
        raise InvalidMessages(f"messages: {e}") from e


_encoder = msgspec.json.Encoder()


def encode_messages(messages: Iterable[Message]) -> bytes:
    return _encoder.encode(list(messages))
