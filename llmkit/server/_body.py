"""Reading a chat request body: size, media type, fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import msgspec
from starlette.requests import Request

from llmkit.server._errors import Rejected
from llmkit.types import Options


class ChatHead(msgspec.Struct, frozen=True, kw_only=True):
    """The fixed fields of a chat body; every other key must be an Options field."""

    model: str
    messages: str | list[Any] | dict[str, Any]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None


_decode_object = msgspec.json.Decoder(dict[str, Any])
_HEAD_FIELDS = frozenset(ChatHead.__struct_fields__)
_OPTION_FIELDS = frozenset(Options.__struct_fields__)
# Keyword arguments of llmkit.chat/stream a request must never set.
_SERVER_ONLY = ("api_key", "base_url", "http_client", "registry", "timeout", "max_retries")
# JSON nesting a request may use. Real chat bodies nest under 20 levels (a tool
# schema inside a tool inside the list); llmkit's converters recurse, so a body
# 1,000 levels deep must be refused up front, not die in a RecursionError.
MAX_DEPTH = 64


_decode_any = msgspec.json.Decoder()


def _too_deep(value: Any) -> bool:
    """Whether `value` nests more than MAX_DEPTH containers (iterative, so
    the check itself cannot overflow the stack)."""
    todo = [(value, 1)]
    while todo:
        v, depth = todo.pop()
        items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        if items is None:
            continue
        if depth > MAX_DEPTH:
            return True
        todo += [(x, depth + 1) for x in items if isinstance(x, (dict, list))]
    return False


async def read_body(request: Request, limit: int, timeout: float = 30.0) -> bytes:
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != "application/json":
        raise Rejected(415, "unsupported_media_type", "send the body as application/json")
    too_big = Rejected(413, "body_too_large", f"request body is over {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    try:
        with anyio.fail_after(timeout):  # a trickling body must not hold the connection
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_big
                chunks.append(chunk)
    except TimeoutError:
        raise Rejected(408, "body_timeout", f"request body not read in {timeout:g} s") from None
    return b"".join(chunks)


def decode_json(body: bytes, bad: Callable[[str], Exception]) -> Any:
    """A gateway dialect's request body as JSON values, or `bad(message)`
    raised: not JSON, not UTF-8 (inside strings too), nested past MAX_DEPTH."""
    try:
        raw = _decode_any.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as e:
        raise bad(f"request body is not valid JSON: {e}") from e
    except RecursionError:
        raise bad(f"request body nests deeper than {MAX_DEPTH}") from None
    # Counting brackets is a cheap bound: fewer containers than the cap, no walk.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(raw):
        raise bad(f"request body nests deeper than {MAX_DEPTH}")
    return raw


def parse_chat(body: bytes) -> tuple[ChatHead, dict[str, Any]]:
    """The fixed fields and the options, or a 400 saying what is wrong."""
    try:
        raw = _decode_object.decode(body)
    except msgspec.ValidationError as e:
        raise Rejected(400, "invalid_body", f"request body: {e}") from e
    except (msgspec.DecodeError, UnicodeDecodeError) as e:  # invalid UTF-8 inside a string
        raise Rejected(400, "invalid_json", f"request body is not valid JSON: {e}") from e
    except RecursionError:
        raise Rejected(400, "too_deep", f"request body nests deeper than {MAX_DEPTH}") from None
    # Counting brackets is a cheap bound: fewer containers than the cap, no walk.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(raw):
        raise Rejected(400, "too_deep", f"request body nests deeper than {MAX_DEPTH}")
    for name in _SERVER_ONLY:
        if name in raw:
            raise Rejected(
                400, "forbidden_field",
                f"`{name}` cannot be set by a request: keys, base URLs and clients "
                "are server configuration",
            )  # fmt: skip
    try:
        head = msgspec.convert(raw, ChatHead)
    except msgspec.ValidationError as e:
        raise Rejected(400, "invalid_body", f"request body: {e}") from e
    options = {k: v for k, v in raw.items() if k not in _HEAD_FIELDS}
    unknown = sorted(options.keys() - _OPTION_FIELDS)
    if unknown:
        known = ", ".join(sorted(_HEAD_FIELDS | _OPTION_FIELDS))
        raise Rejected(400, "unknown_field", f"unknown field `{unknown[0]}`; fields are: {known}")
    return head, options
