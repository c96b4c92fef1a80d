"""AWS event-stream framing (`application/vnd.amazon.eventstream`), decoded
into the events the Anthropic fold reads. Pure: bytes in, events out.

A message (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html,
the same framing; botocore `eventstream.py`) is a 12-byte prelude
(`total_length` u32 BE, `headers_length` u32 BE, CRC32 of those 8 bytes), the
headers, the payload and a CRC32 of everything before it. Bedrock sends one
`chunk` event per Anthropic stream event, its JSON base64-encoded in the
payload's `bytes`; an `exception` message (after HTTP 200) ends the stream,
and becomes the typed llmkit error its `:exception-type` names.

`decode` / `adecode` fold network chunks, cut anywhere, into one list of
events per chunk (as the transport's SSE reader does). What they buffer is at
most one frame, and a frame is refused, before its bytes arrive, when its
prelude declares more than `max_frame` bytes or more headers or payload than
AWS allows.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from types import MappingProxyType

import msgspec

from llmkit.errors import (
    ApiError,
    InvalidRequest,
    LlmkitError,
    Overloaded,
    RateLimited,
    ServerError,
    StreamError,
)
from llmkit.protocols import Sse

PRELUDE = 12  # total_length, headers_length, prelude CRC
MIN_FRAME = PRELUDE + 4  # and the message CRC
MAX_HEADERS = 128 * 1024  # botocore `_MAX_HEADERS_LENGTH`
MAX_PAYLOAD = 24 * 1024 * 1024  # botocore `_MAX_PAYLOAD_LENGTH`
MAX_FRAME = MIN_FRAME + MAX_HEADERS + MAX_PAYLOAD

HeaderValue = bool | int | bytes | str


class Frame(msgspec.Struct, frozen=True):
    """One decoded message. Header values as botocore gives them: bool, int
    (byte, short, int, long; a timestamp in ms), bytes (byte array; a UUID's
    16 bytes) or str."""

    headers: Mapping[str, HeaderValue]
    payload: bytes


_PRELUDE = struct.Struct("!III")
_U32 = struct.Struct("!I")


def _broken(why: str, data: bytes | bytearray | memoryview = b"") -> StreamError:
    return StreamError(
        f"malformed AWS event stream: {why}",
        event="aws-eventstream",
        body=bytes(data[:200]).hex(),
    )


# type byte -> (fixed size, or -1 for a u16 length prefix; how to read it)
_FIXED: dict[int, tuple[int, Callable[[bytes], HeaderValue]]] = {
    2: (1, lambda b: int.from_bytes(b, "big", signed=True)),
    3: (2, lambda b: int.from_bytes(b, "big", signed=True)),
    4: (4, lambda b: int.from_bytes(b, "big", signed=True)),
    5: (8, lambda b: int.from_bytes(b, "big", signed=True)),
    8: (8, lambda b: int.from_bytes(b, "big", signed=True)),  # timestamp, ms since epoch
    9: (16, bytes),  # uuid
}


def _headers(raw: memoryview) -> dict[str, HeaderValue]:
    out: dict[str, HeaderValue] = {}
    i, n = 0, len(raw)
    try:
        while i < n:
            size = raw[i]
            name = bytes(raw[i + 1 : i + 1 + size]).decode("utf-8")
            i += 1 + size
            kind = raw[i]
            i += 1
            value: HeaderValue
            if kind in (0, 1):
                value = kind == 0
            elif kind in (6, 7):
                (length,) = struct.unpack_from("!H", raw, i)
                data = bytes(raw[i + 2 : i + 2 + length])
                if len(data) != length:
                    raise IndexError
                value = data.decode("utf-8") if kind == 7 else data
                i += 2 + length
            elif kind in _FIXED:
                size, read = _FIXED[kind]
                data = bytes(raw[i : i + size])
                if len(data) != size:
                    raise IndexError
                value = read(data)
                i += size
            else:
                raise _broken(f"unknown header value type {kind}")
            if name in out:
                raise _broken(f"duplicate header {name!r}")
            out[name] = value
    except (IndexError, struct.error, UnicodeDecodeError):
        raise _broken("headers run past their declared length", raw) from None
    return out


def _prelude(buf: bytes | bytearray, max_frame: int) -> tuple[int, int]:
    """Total and headers length of the frame starting `buf`, checked: its CRC,
    and limits, so an absurd length is refused before we wait for its bytes."""
    total, hlen, crc = _PRELUDE.unpack_from(buf)
    if zlib.crc32(memoryview(buf)[:8]) != crc:
        raise _broken("prelude CRC mismatch", buf[:PRELUDE])
    if total < MIN_FRAME or hlen > total - MIN_FRAME:
        raise _broken(f"lengths {total}/{hlen} do not fit together", buf[:PRELUDE])
    if hlen > MAX_HEADERS or total - MIN_FRAME - hlen > MAX_PAYLOAD or total > max_frame:
        raise _broken(f"a frame of {total} bytes ({hlen} of headers) is over the limit")
    return total, hlen


def _frame_at(buf: bytearray, at: int, max_frame: int) -> Frame | None:
    """The whole frame at `buf[at:]`, or None while its bytes are still coming."""
    if len(buf) - at < PRELUDE:
        return None
    total, hlen = _prelude(bytes(buf[at : at + PRELUDE]), max_frame)
    if len(buf) - at < total:
        return None
    frame = bytes(buf[at : at + total])  # one copy per frame, whatever the chunking
    (crc,) = _U32.unpack_from(frame, total - 4)
    if zlib.crc32(memoryview(frame)[: total - 4]) != crc:
        raise _broken("message CRC mismatch", frame[:PRELUDE])
    return Frame(_headers_of(frame[PRELUDE : PRELUDE + hlen]), frame[PRELUDE + hlen : -4])


# Bedrock sends the same three headers on every chunk frame: their parse is
# kept (read-only), for a few header blocks, which halves the cost of a frame.
_SEEN: dict[bytes, Mapping[str, HeaderValue]] = {}
_SEEN_MAX = 32


def _headers_of(raw: bytes) -> Mapping[str, HeaderValue]:
    hit = _SEEN.get(raw)
    if hit is None:
        hit = MappingProxyType(_headers(memoryview(raw)))
        if len(_SEEN) < _SEEN_MAX:
            _SEEN[raw] = hit
    return hit


def _frames(buf: bytearray, max_frame: int) -> Iterator[Frame]:
    """The whole frames at the start of `buf`, removed from it once taken;
    what is left is the start of the next frame (no more than `max_frame`
    bytes will gather). A bad frame raises after the good ones before it."""
    at = 0
    try:
        while (frame := _frame_at(buf, at, max_frame)) is not None:
            at += _U32.unpack_from(buf, at)[0]
            yield frame
    finally:
        del buf[:at]


def take_frames(buf: bytearray, max_frame: int = MAX_FRAME) -> list[Frame]:
    """The whole frames at the start of `buf`, removed from it."""
    return list(_frames(buf, max_frame))


# ---- frames -> the Anthropic fold's events ------------------------------------


class _Chunk(msgspec.Struct):
    data: bytes = msgspec.field(name="bytes")  # base64 in the JSON; `p` is filler


class _Typed(msgspec.Struct):
    type: str


class _Exception(msgspec.Struct):
    message: str = ""
    originalStatusCode: int | None = None  # the vendor's names
    originalMessage: str | None = None


_chunk = msgspec.json.Decoder(_Chunk).decode
_typed = msgspec.json.Decoder(_Typed).decode
_exception = msgspec.json.Decoder(_Exception).decode

# Bedrock's stream exceptions (botocore bedrock-runtime `ResponseStream`) and
# the class each is; the HTTP status AWS documents for it decides retrying.
# Mid-stream the status stays None: the HTTP answer was 200.
_EXCEPTIONS: dict[str, tuple[type[ApiError], bool]] = {
    "throttlingException": (RateLimited, True),  # 429
    "serviceUnavailableException": (Overloaded, True),  # 503
    "internalServerException": (ServerError, True),  # 500
    "modelTimeoutException": (ServerError, True),  # 408
    "modelStreamErrorException": (ServerError, False),  # 424: see originalStatusCode
    "validationException": (InvalidRequest, False),  # 400
}


def _exception_error(frame: Frame) -> ApiError:
    kind = str(frame.headers.get(":exception-type", "exception"))
    body = frame.payload.decode("utf-8", "replace")
    try:
        exc = _exception(frame.payload)
    except msgspec.DecodeError:
        exc = _Exception(message=body)
    cls, retryable = _EXCEPTIONS.get(kind, (ApiError, False))
    message = exc.message or exc.originalMessage or kind
    if exc.originalStatusCode is not None:  # the model's own failure, as Bedrock relays it
        message = f"{message} (model status {exc.originalStatusCode})"
        retryable = retryable or exc.originalStatusCode in (429, 500, 502, 503, 504, 529)
    return cls(message, error_type=kind, body=body, retryable=retryable)


def to_events(frame: Frame) -> list[Sse]:
    """A `chunk` event as the Anthropic SSE event it carries (event = its
    `type`, data = its JSON); other events (none are documented) are nothing;
    an exception or error message raises its typed llmkit error."""
    kind = frame.headers.get(":message-type")
    if kind == "event":
        if frame.headers.get(":event-type") != "chunk":
            return []
        try:
            data = _chunk(frame.payload).data
            return [Sse(event=_typed(data).type, data=data.decode("utf-8"))]
        except (msgspec.DecodeError, UnicodeDecodeError) as e:
            raise StreamError(
                f"unreadable Bedrock chunk: {e}",
                event="chunk",
                body=frame.payload.decode("utf-8", "replace"),
            ) from None
    if kind == "exception":
        raise _exception_error(frame)
    if kind == "error":  # an event-stream level error: code and message in headers
        code = str(frame.headers.get(":error-code", "error"))
        raise ApiError(str(frame.headers.get(":error-message", code)), error_type=code)
    raise _broken(f"unknown :message-type {kind!r}")


def _batch(buf: bytearray, chunk: bytes, max_frame: int) -> tuple[list[Sse], LlmkitError | None]:
    """The events of one more chunk, and the error that ends the stream
    there, if one does: the events before it still reach the fold first."""
    buf += chunk
    out: list[Sse] = []
    try:
        for frame in _frames(buf, max_frame):
            out += to_events(frame)
    except LlmkitError as e:
        return out, e
    return out, None


def _ended(buf: bytearray) -> None:
    if buf:
        raise _broken(f"the stream ended inside a frame ({len(buf)} bytes left)", buf)


# ---- the transport's Framing (llmkit.protocols.Framing) --------------------------

CONTENT_TYPE = "application/vnd.amazon.eventstream"


class State(msgspec.Struct, frozen=True):
    """The bytes of the frame not yet whole (a bytearray grown in place: a
    frame may come in many chunks, and copying it at each would be quadratic),
    and an error met after some events of a chunk, raised at the next call."""

    buf: bytearray
    error: LlmkitError | None = None


def start() -> State:
    return State(bytearray())


def feed(state: State, chunk: bytes, max_frame: int = MAX_FRAME) -> tuple[State, list[Sse]]:
    if state.error is not None:
        raise state.error
    batch, err = _batch(state.buf, chunk, max_frame)
    if err is not None and not batch:
        raise err
    return (state if err is None else State(state.buf, err)), batch


def end(state: State) -> list[Sse]:
    if state.error is not None:
        raise state.error
    _ended(state.buf)
    return []


def decode(chunks: Iterable[bytes], max_frame: int = MAX_FRAME) -> Iterator[list[Sse]]:
    """The events of each network chunk, as one list (empty lists skipped)."""
    state = start()
    for chunk in chunks:
        state, batch = feed(state, chunk, max_frame)
        if batch:
            yield batch
    end(state)


async def adecode(
    chunks: AsyncIterable[bytes], max_frame: int = MAX_FRAME
) -> AsyncIterator[list[Sse]]:
    state = start()
    async for chunk in chunks:
        state, batch = feed(state, chunk, max_frame)
        if batch:
            yield batch
    end(state)


def frames(body: bytes, max_frame: int = MAX_FRAME) -> list[Frame]:
    """Every frame of a whole body (one that must end on a frame boundary)."""
    buf = bytearray(body)
    out = take_frames(buf, max_frame)
    _ended(buf)
    return out


def events(body: bytes, max_frame: int = MAX_FRAME) -> list[Sse]:
    """Every event of a whole body, e.g. a recorded stream."""
    return [ev for batch in decode([body], max_frame) for ev in batch]


__all__ = [
    "CONTENT_TYPE",
    "Frame",
    "State",
    "adecode",
    "decode",
    "end",
    "events",
    "feed",
    "frames",
    "start",
    "take_frames",
    "to_events",
]
