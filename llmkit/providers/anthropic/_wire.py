"""Anthropic wire shapes and the block <-> part mapping both directions share.

Envelopes and stream events are typed Structs with decoders built once, here.
Content blocks stay plain dicts: a block llmkit does not model (server tools,
citations, a type newer than us) must come back byte for byte as `Raw`, and a
dict keeps every key. Messages API reference: https://platform.claude.com/docs/en/api/messages.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec

from llmkit.types import (
    Document,
    Finish,
    FinishReason,
    Image,
    Part,
    Raw,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    Usage,
)

NAME = "anthropic"
# The `anthropic-version` llmkit speaks. Anthropic's newer 2026-10-21 (sent by
# the official SDKs since Python 2.0.0 / TS 1.0.0) removes `temperature`,
# `top_p` and `top_k` for every model, 400 even at their defaults, and adds only
# prohibitions (a document block in an assistant turn, cited text in a user
# turn) [https://platform.claude.com/docs/en/api/versioning and
# https://platform.claude.com/docs/en/api/migration-2026-10-21; codersera.com and
# qiita.com/khronov migration write-ups]. Under
# 2023-06-01 Haiku 4.5 and Opus/Sonnet 4.5-4.6 still take sampling parameters,
# which llmkit's options offer for every vendor; the migration write-ups advise
# keeping 2023-06-01 for workloads that need them, and a 2.x SDK pinned to it
# still gets temperature through (qiita.com/khronov, 2026-11-07). Nothing llmkit
# sends needs 2026-10-21, and per-model sampling is checked from the catalog
# (`_models.SAMPLING`), so the newest models get `Unsupported`, not a 400.
# The versioning page says previous versions "are considered deprecated and may
# be unavailable for new users": when 2023-06-01 goes, switch here, send the key
# as `Authorization: Bearer` (as the new SDKs do), make every `SAMPLING` entry
# accept nothing and add the two block rules to `_request`.
VERSION = "2023-06-01"


# ---- envelopes -----------------------------------------------------------------


class WireUsage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """`usage` as Anthropic sends it: `input_tokens` is only the uncached part.
    In `message_delta` every field but `output_tokens` may be absent (None)."""

    input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    output_tokens: int | None = None
    output_tokens_details: dict[str, Any] | None = None
    # the cache writes by TTL: {"ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"}
    cache_creation: dict[str, Any] | None = None


class WireMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None = None
    model: str = ""
    role: str = "assistant"
    content: list[dict[str, Any]] = []
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: WireUsage = WireUsage()


class WireError(msgspec.Struct, frozen=True, kw_only=True):
    type: str = ""
    message: str = ""
    details: dict[str, Any] | None = None


class WireErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Error bodies and the mid-stream `error` event share this shape."""

    error: WireError = WireError()
    request_id: str | None = None


# ---- stream events -------------------------------------------------------------
# `gc=False`: decoded JSON holds no reference cycles, so these need no tracking
# by the cycle collector; a delta then decodes ~20% faster.


class MessageStart(msgspec.Struct, frozen=True):
    message: WireMessage


class BlockStart(msgspec.Struct, frozen=True):
    index: int
    content_block: dict[str, Any]


class Delta(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Every `content_block_delta` delta in one flat Struct (cheaper than a
    tagged union, and an unknown delta type decodes instead of failing)."""

    type: str
    text: str = ""
    partial_json: str = ""
    thinking: str = ""
    signature: str = ""
    citation: Any = None


class BlockDelta(msgspec.Struct, frozen=True, gc=False):
    index: int
    delta: Delta


class BlockStop(msgspec.Struct, frozen=True, gc=False):
    index: int


class StopDelta(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    stop_reason: str | None = None
    stop_sequence: str | None = None


class MessageDelta(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    delta: StopDelta = StopDelta()
    usage: WireUsage = WireUsage()


class TypeOnly(msgspec.Struct, frozen=True, gc=False):
    """For an SSE event without an `event:` line: the name is in `data.type`."""

    type: str = ""


message_decoder = msgspec.json.Decoder(WireMessage)
error_decoder = msgspec.json.Decoder(WireErrorBody)
type_decoder = msgspec.json.Decoder(TypeOnly)
any_decoder = msgspec.json.Decoder()
encoder = msgspec.json.Encoder()


# ---- enums and usage -------------------------------------------------------------

_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",  # a server-tool loop paused: resend the turn to continue
}


def _map_finish(raw: str | None) -> Finish:
    return Finish(reason=_FINISH.get(raw or "", "other"), raw=raw)


def _map_usage(u: WireUsage) -> Usage:
    """Anthropic counts cached prompt tokens beside `input_tokens`; llmkit's
    `input_tokens` is the whole prompt: input + cache creation + cache read
    (https://platform.claude.com/docs/en/build-with-claude/prompt-caching#tracking-cache-performance)."""
    write = u.cache_creation_input_tokens or 0
    read = u.cache_read_input_tokens or 0
    details = u.output_tokens_details or {}
    thinking = details.get("thinking_tokens")
    # a 1h write costs 2x the input price, a 5m one 1.25x: keep them apart
    # (https://platform.claude.com/docs/en/build-with-claude/prompt-caching#1-hour-cache-duration)
    hour = (u.cache_creation or {}).get("ephemeral_1h_input_tokens")
    return Usage(
        input_tokens=(u.input_tokens or 0) + write + read,
        output_tokens=u.output_tokens or 0,
        cache_read_tokens=read,
        cache_write_tokens=write,
        reasoning_tokens=thinking if isinstance(thinking, int) else 0,
        cache_write_1h_tokens=min(hour, write) if isinstance(hour, int) else 0,
    )


def merge_usage(old: WireUsage, new: WireUsage) -> WireUsage:
    """`message_delta` usage is cumulative: overwrite what it carries, never add."""
    return WireUsage(
        input_tokens=old.input_tokens if new.input_tokens is None else new.input_tokens,
        cache_creation_input_tokens=(
            old.cache_creation_input_tokens
            if new.cache_creation_input_tokens is None
            else new.cache_creation_input_tokens
        ),
        cache_read_input_tokens=(
            old.cache_read_input_tokens
            if new.cache_read_input_tokens is None
            else new.cache_read_input_tokens
        ),
        output_tokens=old.output_tokens if new.output_tokens is None else new.output_tokens,
        output_tokens_details=new.output_tokens_details or old.output_tokens_details,
        cache_creation=new.cache_creation or old.cache_creation,
    )


# ---- blocks -> parts -------------------------------------------------------------
# A block becomes a typed part only when the part can say everything the block
# said; any other key (a 1h cache ttl, a file source) makes it Raw so
# it is replayed untouched. `caller` on tool_use is the one key dropped: it is
# response-only metadata ({"type": "direct"} for client tools).


def _raw(b: dict[str, Any]) -> Raw:
    return Raw(provider=NAME, data=b)


def _keys_ok(b: dict[str, Any], allowed: frozenset[str]) -> bool:
    return all(k in allowed or b[k] is None for k in b)


_TEXT_KEYS = frozenset({"type", "text", "citations"})  # empty citations only
_THINKING_KEYS = frozenset({"type", "thinking", "signature"})
_REDACTED_KEYS = frozenset({"type", "data"})
_TOOL_USE_KEYS = frozenset({"type", "id", "name", "input", "caller"})
_MEDIA_KEYS = frozenset({"type", "source"})
_DOC_KEYS = frozenset({"type", "source", "title"})
_RESULT_KEYS = frozenset({"type", "tool_use_id", "content", "is_error"})


def _text(b: dict[str, Any]) -> Part:
    text, cites = b.get("text"), b.get("citations")
    if not isinstance(text, str) or not b.keys() <= _TEXT_KEYS:
        return _raw(b)
    if cites and isinstance(cites, list):  # Claude's citation objects, replayed only to Claude
        return Text(text=text, citations=cites, provider=NAME)
    return Text(text=text) if not cites else _raw(b)


def _thinking(b: dict[str, Any]) -> Part:
    text, sig = b.get("thinking"), b.get("signature")
    if _keys_ok(b, _THINKING_KEYS) and isinstance(text, str) and isinstance(sig, str):
        return Thinking(text=text, signature=sig, provider=NAME)
    return _raw(b)


def _redacted(b: dict[str, Any]) -> Part:
    data = b.get("data")
    if _keys_ok(b, _REDACTED_KEYS) and isinstance(data, str):
        return Thinking(redacted=data, provider=NAME)
    return _raw(b)


def _tool_use(b: dict[str, Any]) -> Part:
    id_, name, args = b.get("id"), b.get("name"), b.get("input", {})
    if not (_keys_ok(b, _TOOL_USE_KEYS) and isinstance(id_, str) and isinstance(name, str)):
        return _raw(b)
    if isinstance(args, dict):
        return ToolCall(id=id_, name=name, arguments=args)
    why = f"tool_use input is JSON {type(args).__name__}, not an object"
    return ToolCall(id=id_, name=name, error=why)


def _source(b: dict[str, Any]) -> dict[str, Any] | None:
    src = b.get("source")
    return src if isinstance(src, dict) else None


def _image(b: dict[str, Any]) -> Part:
    src = _source(b)
    if src is not None and _keys_ok(b, _MEDIA_KEYS):
        kind = src.get("type")
        if kind == "base64" and src.keys() == {"type", "media_type", "data"}:
            return Image(media_type=src["media_type"], data=src["data"])
        if kind == "url" and src.keys() == {"type", "url"}:
            return Image(url=src["url"])
    return _raw(b)


def _document(b: dict[str, Any]) -> Part:
    src, title = _source(b), b.get("title")
    if src is None or not _keys_ok(b, _DOC_KEYS) or not isinstance(title, (str, type(None))):
        return _raw(b)
    kind = src.get("type")
    if kind == "base64" and src.keys() == {"type", "media_type", "data"}:
        return Document(media_type=src["media_type"], data=src["data"], title=title)
    if kind == "url" and src.keys() == {"type", "url"}:
        return Document(url=src["url"], title=title)
    if kind == "text" and src.keys() == {"type", "media_type", "data"}:
        # llmkit's Document.data is base64 for every media type.
        data = base64.b64encode(str(src["data"]).encode()).decode()
        return Document(media_type=src["media_type"], data=data, title=title)
    return _raw(b)


def _tool_result(b: dict[str, Any]) -> Part:
    id_, content, is_error = b.get("tool_use_id"), b.get("content", ""), b.get("is_error", False)
    if not (_keys_ok(b, _RESULT_KEYS) and isinstance(id_, str) and isinstance(is_error, bool)):
        return _raw(b)
    if isinstance(content, list):
        parts = [from_wire_block(c) if isinstance(c, dict) else None for c in content]
        if any(not isinstance(p, (Text, Image, Document)) for p in parts):
            return _raw(b)  # e.g. a search_result block: ToolResult cannot hold it
        return ToolResult(tool_call_id=id_, content=parts, is_error=is_error)  # type: ignore[arg-type]
    if isinstance(content, str):
        return ToolResult(tool_call_id=id_, content=content, is_error=is_error)
    return _raw(b)


_FROM_WIRE = {
    "text": _text,
    "thinking": _thinking,
    "redacted_thinking": _redacted,
    "tool_use": _tool_use,
    "image": _image,
    "document": _document,
    "tool_result": _tool_result,
}


def from_wire_block(b: dict[str, Any]) -> Part:
    """One Anthropic content block as a llmkit part (Raw when not modelled)."""
    kind = b.get("type")
    conv = _FROM_WIRE.get(kind) if isinstance(kind, str) else None
    return _raw(b) if conv is None else conv(b)


def text_document_data(data: str) -> str | None:
    """A text/plain Document's base64 data as text (None if not UTF-8 base64)."""
    try:
        return base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
