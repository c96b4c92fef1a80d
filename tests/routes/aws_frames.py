"""A small AWS event-stream encoder for tests (botocore has a parser only):
the exact frame layout AWS documents (and botocore parses), so tests can make any frame,
well-formed or not, and check llmkit's decoder against botocore's."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

# (type byte, value) pairs, so a test picks the wire type of each header.
Header = tuple[int, Any]


def _value(kind: int, value: Any) -> bytes:
    if kind in (0, 1):
        return b""
    if kind in (2, 3, 4, 5, 8):
        size = {2: 1, 3: 2, 4: 4, 5: 8, 8: 8}[kind]
        return int(value).to_bytes(size, "big", signed=True)
    if kind in (6, 7):
        raw = value.encode() if kind == 7 else bytes(value)
        return struct.pack("!H", len(raw)) + raw
    assert kind == 9 and len(value) == 16
    return bytes(value)


def headers(hs: dict[str, Header]) -> bytes:
    out = b""
    for name, (kind, value) in hs.items():
        raw = name.encode()
        out += bytes([len(raw)]) + raw + bytes([kind]) + _value(kind, value)
    return out


def frame(hs: dict[str, Header], payload: bytes) -> bytes:
    h = headers(hs)
    total = 12 + len(h) + len(payload) + 4
    prelude = struct.pack("!II", total, len(h))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + h + payload
    return body + struct.pack("!I", zlib.crc32(body))


def chunk(event: dict[str, Any], filler: str = "abcdefgh") -> bytes:
    """A Bedrock `chunk` event carrying one Anthropic stream event."""
    inner = base64.b64encode(json.dumps(event, separators=(",", ":")).encode()).decode()
    payload = json.dumps({"bytes": inner, "p": filler}, separators=(",", ":")).encode()
    return frame(
        {
            ":event-type": (7, "chunk"),
            ":content-type": (7, "application/json"),
            ":message-type": (7, "event"),
        },
        payload,
    )


def exception(kind: str, body: dict[str, Any]) -> bytes:
    return frame(
        {
            ":exception-type": (7, kind),
            ":content-type": (7, "application/json"),
            ":message-type": (7, "exception"),
        },
        json.dumps(body).encode(),
    )


def stream(events: list[dict[str, Any]]) -> bytes:
    return b"".join(chunk(e) for e in events)
