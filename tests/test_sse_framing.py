"""llmkit's SSE framing (`llmkit._sse`) against httpx-sse, the reference:
the same events for any bytes cut anywhere, and nothing buffered past the
cap. httpx-sse is read through its public API (`EventSource.iter_sse`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import httpx
import httpx_sse
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from llmkit import _sse
from llmkit.errors import StreamError

NO_CAP = 2**62

# Pieces SSE is made of, in proportions that make every rule come up: fields
# with and without a value or the space after the colon, comments, ids (with
# NUL), retries (numbers and not), unknown fields, every line ending, text
# that is not ASCII and bytes that are not UTF-8.
PIECES = st.sampled_from(
    [
        b"data:", b"data: ", b"data", b"event:", b"event: ", b"id:", b"id: 7", b"id: a\x00b",
        b"retry: 10", b"retry: x", b":", b": ping", b"other: 1", b"x", b"{\"a\": 1}", b" ",
        b"caf\xc3\xa9", b"\xe2\x82", b"\xff", b"\n", b"\n", b"\n", b"\n\n", b"\r\n", b"\r",
        b"message_delta", b"[DONE]",
    ]
)  # fmt: skip
FIELD = st.sampled_from(
    [b"data:", b"data: ", b"data: ", b"data", b"event:", b"event: ", b"id:", b"id: ", b"retry:",
     b"retry: ", b":", b"other:", b""]
)  # fmt: skip
VALUE = st.lists(
    st.sampled_from(
        [b"", b" ", b"x", b" x", b"+1", b"10", b"-", b"caf\xc3\xa9", b"\xe2\x82", b"\xff", b"\x00",
         b'{"a": 1}', b"[DONE]", b":", b"data: x"]
    ),
    max_size=4,
)  # fmt: skip
LINE = st.builds(lambda f, v: [f, *v], FIELD, VALUE)
EOL = st.sampled_from([b"\n", b"\r\n", b"\r"])
# lines (a third of them blank, which dispatch) with any line endings, and
# maybe a last line without one; or any pieces at all
BODIES = st.one_of(
    st.builds(
        lambda lines, tail: b"".join(line + eol for line, eol in lines) + tail,
        st.lists(st.tuples(st.one_of(LINE.map(b"".join), st.just(b"")), EOL), max_size=16),
        st.one_of(st.just(b""), LINE.map(b"".join)),
    ),
    st.lists(PIECES, max_size=40).map(b"".join),
)


def chunked(body: bytes, cuts: list[int]) -> list[bytes]:
    at = sorted({c for c in cuts if 0 < c < len(body)})
    return [body[a:b] for a, b in zip([0, *at], [*at, len(body)], strict=True)]


def reference(chunks: list[bytes]) -> list[tuple[str, str]]:
    """What httpx-sse's public API reads from a response with these chunks."""
    r = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))
    return [(e.event, e.data) for e in httpx_sse.EventSource(r).iter_sse()]


def ours(chunks: list[bytes], cap: int = NO_CAP) -> list[tuple[str, str]]:
    return [(e.event, e.data) for batch in _sse.decode(chunks, cap) for e in batch]


@settings(max_examples=200)  # cheap, and the one that holds every rule to the reference
@given(BODIES, st.lists(st.integers(0, 200), max_size=8))
def test_the_same_events_as_httpx_sse_for_any_bytes_cut_anywhere(
    body: bytes, cuts: list[int]
) -> None:
    chunks = chunked(body, cuts)
    got = ours(chunks)
    event("dispatched" if got else "nothing dispatched")
    assert got == reference(chunks)


# Gemini's shape: one-line events each ending in CRLF CRLF, which `_sse` reads
# without rewriting line breaks; sometimes with a block or break of another
# kind in it, after which that chunk must be read the general way.
CRLF_EVENT = st.one_of(
    st.builds(lambda v: b"data: " + b"".join(v) + b"\r\n\r\n", VALUE),
    st.sampled_from(
        [b"data:x\r\n\r\n", b": ping\r\n\r\n", b"id: 5\r\n\r\n", b"\r\n\r\n",
         b"event: e\r\n\r\n", b"data: a\r\ndata: b\r\n\r\n", b"data: a\n\n", b"data: a\r\r",
         b"\r", b"\n", b"\r\n", b"data: x"]
    ),
)  # fmt: skip
CRLF_BODIES = st.lists(
    st.one_of(CRLF_EVENT, st.builds(lambda v: b"data: " + b"".join(v) + b"\r\n\r\n", VALUE)),
    max_size=12,
).map(b"".join)


@settings(max_examples=200)
@given(CRLF_BODIES, st.lists(st.integers(0, 200), max_size=8))
def test_crlf_events_read_without_rewriting_breaks_are_httpx_sses(
    body: bytes, cuts: list[int]
) -> None:
    chunks = chunked(body, cuts)
    fast = []
    crlf = _sse._crlf

    def spy(*args: Any) -> Any:
        got = crlf(*args)
        fast.append(got is not None and bool(got[1]))
        return got

    with mock.patch.object(_sse, "_crlf", spy):
        got = ours(chunks)
    event("some events read the CRLF way" if any(fast) else "none read the CRLF way")
    assert got == reference(chunks)
    assert ours([body[i : i + 1] for i in range(len(body))]) == got


def test_gemini_chunks_take_the_crlf_way() -> None:
    """The shape the fast way is for does take it (else the test above proves
    nothing about it): events, a cut mid-event and mid-break, and the rest."""
    body = b'data: {"a": 1}\r\n\r\ndata: {"b": 2}\r\n\r\ndata: {"c"'
    state, batch = _sse._crlf(_sse.start(), body, NO_CAP) or (None, [])
    assert state is not None and [e.data for e in batch] == ['{"a": 1}', '{"b": 2}']
    assert bytes(state.buf) == b'data: {"c"'
    state, batch = _sse._crlf(state, b': 3}\r\n\r\ndata: {"d": 4}\r\n\r\n', NO_CAP) or (None, [])
    assert state is not None and [e.data for e in batch] == ['{"c": 3}', '{"d": 4}']
    assert _sse._crlf(state, b"data: x\r\n\r\ndata: y\r\n", NO_CAP) is None  # a break in the rest
    assert _sse._crlf(state, b"data: x\r\ndata: y\r\n\r\n", NO_CAP) is None  # two lines
    # a CR held back from the chunk before ends a line: a blank one here, which
    # dispatches once an id is set
    chunks = [b"id: 5\r\n\r\n\r", b"data: x\r\n\r\n"]
    assert ours(chunks) == reference(chunks) == [("message", ""), ("message", ""), ("message", "x")]


@given(BODIES)
def test_byte_by_byte_is_the_same_as_whole(body: bytes) -> None:
    """Every split point at once: CRLF halves, UTF-8 sequences, `\\n\\n` halves."""
    assert ours([body[i : i + 1] for i in range(len(body))]) == ours([body])


def test_the_shapes_vendors_send() -> None:
    body = (
        b'event: message_start\ndata: {"a":1}\n\n'  # Anthropic, xAI, Responses
        b'data: {"b":2}\n\n'  # Chat Completions, Gemini
        b'data: {"c":3}\r\n\r\n'  # Gemini's CRLF
        b": keep-alive\n\n"  # a comment: nothing
        b"event: ping\ndata:\n\n"  # empty data
        b"data: one\ndata: two\n\n"  # data lines join with LF
        b"data: [DONE]\n\n"
        b"data: cut short"  # no blank line after it: never dispatched
    )
    want = [
        ("message_start", '{"a":1}'),
        ("message", '{"b":2}'),
        ("message", '{"c":3}'),
        ("ping", ""),
        ("message", "one\ntwo"),
        ("message", "[DONE]"),
    ]
    assert ours([body]) == want == reference([body])


def test_a_cr_at_the_very_end_ends_its_line() -> None:
    assert ours([b"data: x\n", b"\r"]) == [("message", "x")] == reference([b"data: x\n", b"\r"])


def _endless(pulled: list[int]) -> Iterator[bytes]:
    yield b"data: first\n\n"
    for _ in range(1000):
        pulled[0] += 1
        yield b"data: " + b"x" * 4096


def test_an_event_without_end_stops_at_the_cap_not_the_body() -> None:
    pulled = [0]
    got: list[str] = []
    with pytest.raises(StreamError, match="max_line"):
        for batch in _sse.decode(_endless(pulled), 64 * 1024):
            got += [e.data for e in batch]
    assert got == ["first"] and pulled[0] == 64 * 1024 // 4102 + 1  # the first chunk over it


EVENT = st.lists(LINE.map(b"".join).filter(bool), min_size=1, max_size=4).map(b"\n".join)
EVENTS = st.lists(EVENT, max_size=6)


@given(EVENTS, st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_the_cap_is_the_longest_event_and_holds_for_any_chunking(
    events: list[bytes], eol: bytes
) -> None:
    """Bytes held for one event: its lines and their breaks, without the
    blank line (each break counted as one byte, whatever the line ending). At
    that cap the stream passes fed byte by byte (every event is held whole at
    some point); one byte less trips it."""
    body = b"".join((e + b"\n\n").replace(b"\n", eol) for e in events)
    one_by_one = [body[i : i + 1] for i in range(len(body))]
    longest = max((len(e) + 1 for e in events), default=0)
    assert ours(one_by_one, longest) == ours([body]) == reference([body])
    if longest:
        with pytest.raises(StreamError, match="max_line"):
            ours(one_by_one, longest - 1)


def test_the_events_before_an_event_over_the_cap_reach_the_fold_first() -> None:
    got: list[str] = []
    with pytest.raises(StreamError, match="max_line"):
        for batch in _sse.decode([b"data: a\n\ndata: b\n\ndata: " + b"x" * 100], 50):
            got += [e.data for e in batch]
    assert got == ["a", "b"]


@pytest.mark.parametrize(
    "body",
    [
        b"event:\ndata: x\n\n",  # an empty event name is "message"
        b"event: e\n\n",  # a name alone dispatches (httpx-sse)
        b"retry: +5\n\n",  # a retry that int() reads dispatches an empty event
        b"retry: 5x\n\n",  # one it does not, nothing
        b"id: 1\n\ndata: x\n\n\n\n",  # once an id is set, every blank line dispatches
        b"id: 1\n\n\n",  # ... to the very end
        b"id: 1\r\n\r\n\r",
        b"id: a\x00b\n\n\n",  # an id with NUL is ignored
        b"data:  two spaces\n\n",  # only one space after the colon is dropped
        b"\n\n\ndata: x\n\n",
    ],
)
def test_each_rule_of_the_format_as_httpx_sse_reads_it(body: bytes) -> None:
    one_by_one = [body[i : i + 1] for i in range(len(body))]
    assert ours([body]) == ours(one_by_one) == reference([body])
