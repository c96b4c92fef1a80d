"""The AWS event-stream decoder against botocore's own parser (the oracle),
on generated frames cut anywhere, on corrupt and oversized frames, and on
every recorded Bedrock stream in the corpus."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import anyio
import pytest
from botocore.eventstream import EventStreamBuffer, ParserError
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import (
    ApiError,
    InvalidRequest,
    Overloaded,
    RateLimited,
    ServerError,
    StreamError,
)
from llmkit.protocols import Sse
from llmkit.routes import _eventstream as es
from tests.replay import CORPUS, chunks
from tests.routes import aws_frames as enc

BEDROCK = CORPUS / "bedrock-anthropic"
STREAMS = sorted(BEDROCK.glob("*.eventstream"))

# ---- generated frames ---------------------------------------------------------

_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1).filter(
    lambda s: len(s.encode()) < 256
)
_values: st.SearchStrategy[tuple[int, Any]] = st.one_of(
    st.just((0, True)),
    st.just((1, False)),
    st.integers(-(2**7), 2**7 - 1).map(lambda v: (2, v)),
    st.integers(-(2**15), 2**15 - 1).map(lambda v: (3, v)),
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (4, v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: (5, v)),
    st.binary(max_size=300).map(lambda v: (6, v)),
    st.text(max_size=100).map(lambda v: (7, v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: (8, v)),
    st.binary(min_size=16, max_size=16).map(lambda v: (9, v)),
)
_frames = st.tuples(st.dictionaries(_names, _values, max_size=6), st.binary(max_size=600))


def _botocore(data: bytes) -> list[tuple[dict[str, Any], bytes]]:
    buf = EventStreamBuffer()
    buf.add_data(data)
    return [(m.headers, m.payload) for m in buf]


def _ours(parts: list[bytes]) -> list[tuple[dict[str, Any], bytes]]:
    buf, out = bytearray(), []
    for part in parts:
        buf += part
        out += [(f.headers, f.payload) for f in es.take_frames(buf)]
    assert not buf
    return out


_EDGES: list[tuple[int, Any]] = [
    (0, True),
    (1, False),
    *[
        (k, v)
        for k, b in ((2, 8), (3, 16), (4, 32), (5, 64), (8, 64))
        for v in (-(2 ** (b - 1)), -1, 2 ** (b - 1) - 1)
    ],
    (6, b""),
    (6, b"\x00\xff" * 300),
    (7, ""),
    (7, "é😀"),
    (9, bytes(range(16))),
]


@pytest.mark.parametrize("header", _EDGES, ids=repr)
def test_every_header_type_at_its_edges_decodes_as_botocore_does(header: tuple[int, Any]) -> None:
    data = enc.frame({":h": header, "x": (7, "y")}, b"payload")
    assert _ours([data]) == _botocore(data) == [({":h": header[1], "x": "y"}, b"payload")]


@settings(max_examples=200)  # cheap: a few ms each
@given(st.lists(_frames, max_size=5), st.lists(st.integers(0, 5000), max_size=12))
def test_frames_decode_as_botocore_decodes_them_whatever_the_chunks(
    frames: list[tuple[dict[str, Any], bytes]], cuts: list[int]
) -> None:
    data = b"".join(enc.frame(h, p) for h, p in frames)
    expected = _botocore(data)
    assert _ours(chunks(data, cuts)) == expected
    assert [(h, p) for h, p in expected] == [
        ({k: v for k, (_, v) in h.items()}, p) for h, p in frames
    ]


@given(_frames, st.data())
def test_any_corrupt_byte_is_a_stream_error_as_botocore_refuses_it(
    frame: tuple[dict[str, Any], bytes], data: st.DataObject
) -> None:
    raw = bytearray(enc.frame(*frame))
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    with pytest.raises(ParserError):
        _botocore(bytes(raw))  # the oracle sees the damage too (or waits for bytes)
        raise ParserError("botocore is still waiting for the rest")
    with pytest.raises(StreamError, match="malformed AWS event stream"):
        es.frames(bytes(raw))


def test_a_huge_declared_frame_is_refused_from_its_prelude_alone() -> None:
    prelude = struct.pack("!II", 2**31, 0)
    prelude += struct.pack("!I", __import__("zlib").crc32(prelude))
    buf = bytearray(prelude)  # 12 bytes: nothing more is waited for
    with pytest.raises(StreamError, match="over the limit"):
        es.take_frames(buf)
    small = enc.frame({}, b"x" * 100)
    with pytest.raises(StreamError, match="over the limit"):
        es.take_frames(bytearray(small), max_frame=64)
    assert es.take_frames(bytearray(small), max_frame=len(small))[0].payload == b"x" * 100


def test_headers_over_their_declared_length_or_unknown_types_are_stream_errors() -> None:
    for bad in (b"\x03abc\x07\x00\x09hi", b"\x01a\x0b", b"\x01a\x04\x00\x01"):
        raw = enc.frame({}, b"")
        total = 16 + len(bad)
        prelude = struct.pack("!II", total, len(bad))
        prelude += struct.pack("!I", __import__("zlib").crc32(prelude))
        body = prelude + bad
        raw = body + struct.pack("!I", __import__("zlib").crc32(body))
        with pytest.raises(StreamError, match="malformed"):
            es.frames(raw)


def test_a_stream_cut_inside_a_frame_is_a_stream_error() -> None:
    data = enc.stream([{"type": "message_stop"}])
    with pytest.raises(StreamError, match="ended inside a frame"):
        list(es.decode([data[:-1]]))
    with pytest.raises(StreamError, match="ended inside a frame"):
        list(es.decode([data[:5]]))


# ---- frames -> events ---------------------------------------------------------


def test_a_chunk_event_is_the_anthropic_event_it_carries() -> None:
    ev = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "é"}}
    [got] = es.events(enc.chunk(ev))
    assert got == Sse(event="content_block_delta", data=json.dumps(ev, separators=(",", ":")))


def test_other_events_are_skipped_and_unknown_message_types_refused() -> None:
    other = enc.frame(
        {":message-type": (7, "event"), ":event-type": (7, "initial-response")}, b"{}"
    )
    assert es.events(other) == []
    odd = enc.frame({":message-type": (7, "mystery")}, b"{}")
    with pytest.raises(StreamError, match="mystery"):
        es.events(odd)


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"bytes": "***"}', b'{"bytes": "bm90IGpzb24="}', b"{}"],
)
def test_an_unreadable_chunk_is_a_stream_error(payload: bytes) -> None:
    frame = enc.frame({":message-type": (7, "event"), ":event-type": (7, "chunk")}, payload)
    with pytest.raises(StreamError, match="unreadable Bedrock chunk"):
        es.events(frame)


@pytest.mark.parametrize(
    ("kind", "cls", "retryable"),
    [
        ("throttlingException", RateLimited, True),
        ("serviceUnavailableException", Overloaded, True),
        ("internalServerException", ServerError, True),
        ("modelTimeoutException", ServerError, True),
        ("modelStreamErrorException", ServerError, False),
        ("validationException", InvalidRequest, False),
        ("somethingNewException", ApiError, False),
    ],
)
def test_exception_frames_are_typed_errors(kind: str, cls: type[ApiError], retryable: bool) -> None:
    data = enc.stream([{"type": "ping"}]) + enc.exception(kind, {"message": "Too many tokens"})
    seen: list[Sse] = []
    with pytest.raises(ApiError) as info:
        for batch in es.decode(chunks(data, [7, 40])):
            seen += batch
    err = info.value
    assert type(err) is cls
    assert (err.error_type, err.message, err.status, err.retryable) == (
        kind,
        "Too many tokens",
        None,  # mid-stream: the HTTP status was 200, and none is invented
        retryable,
    )
    assert [e.event for e in seen] == ["ping"]


def test_a_model_stream_error_keeps_the_models_status() -> None:
    body = {"message": "boom", "originalStatusCode": 529, "originalMessage": "Overloaded"}
    with pytest.raises(ServerError) as info:
        es.events(enc.exception("modelStreamErrorException", body))
    assert "model status 529" in info.value.message
    assert info.value.retryable


def test_an_event_stream_error_message_is_an_api_error() -> None:
    frame = enc.frame(
        {
            ":message-type": (7, "error"),
            ":error-code": (7, "InternalFailure"),
            ":error-message": (7, "it broke"),
        },
        b"",
    )
    with pytest.raises(ApiError, match="it broke") as info:
        es.events(frame)
    assert info.value.error_type == "InternalFailure"


# ---- the corpus -----------------------------------------------------------------


def _botocore_events(data: bytes) -> list[Sse]:
    out = []
    for headers, payload in _botocore(data):
        assert headers[":message-type"] == "event" and headers[":event-type"] == "chunk"
        inner = base64.b64decode(json.loads(payload)["bytes"])
        out.append(Sse(event=json.loads(inner)["type"], data=inner.decode()))
    return out


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_corpus_streams_decode_as_botocore_decodes_them(path: Path) -> None:
    data = path.read_bytes()
    got = es.events(data)
    assert got == _botocore_events(data)
    assert got[0].event == "message_start" and got[-1].event == "message_stop"


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
@given(cuts=st.lists(st.integers(0, 20000), max_size=20))
def test_corpus_streams_are_the_same_events_whatever_the_chunks(
    path: Path, cuts: list[int]
) -> None:
    data = path.read_bytes()
    batches = list(es.decode(chunks(data, cuts)))
    assert all(batches)
    assert [e for b in batches for e in b] == es.events(data)


def test_corpus_streams_byte_by_byte_async() -> None:
    data = STREAMS[0].read_bytes()

    async def bytewise() -> Any:
        for i in range(len(data)):
            yield data[i : i + 1]

    async def run() -> list[Sse]:
        return [e async for b in es.adecode(bytewise()) for e in b]

    assert anyio.run(run) == es.events(data)


def test_the_corpus_has_the_recordings_the_issue_names() -> None:
    assert len(STREAMS) == 5
