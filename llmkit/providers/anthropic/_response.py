"""Non-streaming answers (https://platform.claude.com/docs/en/api/messages)."""

from __future__ import annotations

from llmkit.providers._common import decode
from llmkit.types import Message, Part, Response

from ._errors import error_from_wire, parse_error
from ._wire import NAME, WireMessage, _map_finish, _map_usage, from_wire_block, message_decoder


def response_from_wire(m: WireMessage, parts: list[Part]) -> Response:
    """The Response for a message envelope and its converted blocks; the stream
    fold ends in the same call, so both paths agree by construction."""
    return Response(
        message=Message(role="assistant", content=parts, provider=NAME, model=m.model or None),
        finish=_map_finish(m.stop_reason),
        usage=_map_usage(m.usage),
        model=m.model,
        provider=NAME,
        id=m.id,
    )


def parse_response(body: bytes) -> Response:
    m: WireMessage = decode(message_decoder, body, NAME)
    return response_from_wire(m, [from_wire_block(b) for b in m.content])


# `error_from_wire` is imported from here by the stream fold (edited on another branch).
__all__ = ["error_from_wire", "parse_error", "parse_response", "response_from_wire"]
