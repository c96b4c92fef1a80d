"""Reasoning continuity through Chat Completions, which has no field for it:
the opaque thinking of a turn (Claude's signed thinking, a Responses model's
encrypted reasoning) rides in the first tool call's id, which every client
echoes (`call_x.lk1.<base64url(zlib(msgpack(thinking parts)))>`), and is
restored from it. Claude refuses a tool loop with thinking on whose last
assistant turn starts without its thinking. A call's own signature (Gemini's
thought signature on a function call) rides in that call's id the same way."""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

import msgspec

from llmkit.server.openai_compat._errors import BadParam
from llmkit.types import (
    Message,
    Response,
    Thinking,
    ToolCall,
    ToolResult,
)

_CARRY = ".lk1."
_MAX_CARRIED = 4 << 20  # bytes of thinking a tool-call id may unpack to
_carried = msgspec.msgpack.Decoder(list[Thinking | ToolCall])
_msgpack = msgspec.msgpack.Encoder()


def carry_id(call_id: str, parts: list[Thinking | ToolCall]) -> str:
    """`call_id` with `parts` packed in (see the module docstring)."""
    blob = base64.urlsafe_b64encode(zlib.compress(_msgpack.encode(parts))).rstrip(b"=")
    return f"{call_id}{_CARRY}{blob.decode()}"


def call_id(call: ToolCall, thinking: list[Thinking]) -> str:
    """The id a client sees for `call`: with `thinking` and the call's own
    signature (Gemini's thought signature on a function call) packed in, if any."""
    own = call.signature is not None
    stub = [ToolCall(id=call.id, name=call.name, signature=call.signature, provider=call.provider)]
    parts: list[Thinking | ToolCall] = [*thinking, *(stub if own else [])]
    return carry_id(call.id, parts) if parts else call.id


def _unpack(packed: str) -> list[Thinking | ToolCall]:
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
        unzip = zlib.decompressobj()
        data = unzip.decompress(raw, _MAX_CARRIED)
        if unzip.unconsumed_tail:
            raise ValueError("too large")
        return _carried.decode(data)
    except (ValueError, binascii.Error, zlib.error, msgspec.DecodeError) as e:
        raise BadParam("messages", f"a tool call id this gateway made was altered: {e}") from e


def _carries(p: object) -> bool:
    return (isinstance(p, ToolCall) and _CARRY in p.id) or (
        isinstance(p, ToolResult) and _CARRY in p.tool_call_id
    )


def restore(m: Message) -> Message:
    """A message with the ids this gateway made back to the vendor's, the
    thinking they carried put back before the turn's other parts, and each
    call's own signature back on it."""
    if not any(_carries(p) for p in m.content):
        return m
    thinking: list[Thinking] = []
    parts: list[Any] = []
    for p in m.content:
        if isinstance(p, ToolCall) and _CARRY in p.id:
            plain, _, packed = p.id.partition(_CARRY)
            p = msgspec.structs.replace(p, id=plain)
            for item in _unpack(packed):
                if isinstance(item, Thinking):
                    thinking.append(item)
                elif item.id == plain:
                    p = msgspec.structs.replace(p, signature=item.signature, provider=item.provider)
            parts.append(p)
        elif isinstance(p, ToolResult) and _CARRY in p.tool_call_id:
            plain = p.tool_call_id.partition(_CARRY)[0]
            parts.append(msgspec.structs.replace(p, tool_call_id=plain))
        else:
            parts.append(p)
    if thinking:  # it replaces what the client made of `reasoning_content`
        parts = thinking + [p for p in parts if not isinstance(p, Thinking)]
    return msgspec.structs.replace(m, content=parts)


def opaque_parts(resp: Response) -> list[Thinking]:
    """The thinking that must go back with this turn's tool calls."""
    return [
        p
        for p in resp.message.content
        if isinstance(p, Thinking) and (p.signature or p.redacted or p.id)
    ]
