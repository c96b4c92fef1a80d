"""Anthropic responses and streaming: fixtures replayed through the real
transport (httpx.MockTransport), the fold event by event, byte-cut invariance,
and Done == parse_response."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from llmkit import transport as tr
from llmkit.errors import ApiError, LlmkitError, Overloaded, StreamError
from llmkit.protocols import Sse
from llmkit.providers import anthropic
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    Message,
    Raw,
    StreamEvent,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageUpdate,
)
from tests.replay import (
    FIXTURES,
    adrive_stream,
    call_for,
    done,
    drive_stream,
    transport,
)

DIR = FIXTURES / "anthropic"
REQ = ChatRequest(
    model="claude-sonnet-4-5",
    messages=[Message(role="user", content=[Text(text="hi")])],
    stream=True,
)


def fixture(name: str) -> bytes:
    return (DIR / name).read_bytes()


def collect(body: bytes, cuts: Any = ()) -> tuple[list[StreamEvent], LlmkitError | None]:
    """Events up to the end or the error, through the real sync transport."""
    events: list[StreamEvent] = []
    with httpx.Client(transport=transport(body, cuts=cuts)) as client:
        try:
            events.extend(tr.stream(call_for(anthropic), client, REQ))
        except LlmkitError as e:
            return events, e
    return events, None


def fold(events: list[dict[str, Any]]) -> tuple[anthropic.State, list[StreamEvent]]:
    """Run the pure fold over wire events given as dicts (no HTTP)."""
    state = anthropic.start(REQ)
    out: list[StreamEvent] = []
    for e in events:
        state, evs = anthropic.step(state, Sse(e["type"], json.dumps(e)))
        out += evs
    return state, out


# ---- rendering a non-streamed message as the stream the API would send ------------


def _sse(ev: dict[str, Any]) -> str:
    return f"event: {ev['type']}\ndata: {json.dumps(ev, ensure_ascii=False)}\n\n"


def _halves(s: str) -> list[str]:
    return [s[: len(s) // 2], s[len(s) // 2 :]] if s else []


def _block_events(i: int, b: dict[str, Any]) -> list[dict[str, Any]]:
    kind = b["type"]
    deltas: list[dict[str, Any]] = []
    if kind == "text":
        start = {**b, "text": ""}
        deltas = [{"type": "text_delta", "text": t} for t in _halves(b["text"])]
    elif kind == "thinking":
        start = {**b, "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": t} for t in _halves(b["thinking"])]
        deltas.append({"type": "signature_delta", "signature": b["signature"]})
    elif kind in ("tool_use", "server_tool_use"):
        start = {**b, "input": {}}
        args = json.dumps(b["input"]) if b["input"] else ""
        deltas = [{"type": "input_json_delta", "partial_json": t} for t in ["", *_halves(args)]]
    else:  # redacted_thinking, server tool results: complete at the start
        start = b
    return [
        {"type": "content_block_start", "index": i, "content_block": start},
        *({"type": "content_block_delta", "index": i, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": i},
    ]


def render_sse(message: dict[str, Any]) -> bytes:
    """The SSE stream of a non-streamed Messages API answer, the way the API
    splits it: usage arrives twice (input on message_start, totals after)."""
    first_usage = {**message["usage"], "output_tokens": 1}
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {**message, "content": [], "stop_reason": None, "usage": first_usage},
        },
        {"type": "ping"},
    ]
    for i, b in enumerate(message["content"]):
        events += _block_events(i, b)
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": message["usage"],
        },
        {"type": "message_stop"},
    ]
    return "".join(_sse(e) for e in events).encode()


# ---- fixtures, event by event -----------------------------------------------------


def test_text_stream_events() -> None:
    events = drive_stream(anthropic, REQ, fixture("text.sse"))
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert texts == [
        "Bonjour ! Ça",
        " va très bien, merci.",
        " 😊 Et",
        " vous ? — 日本語",
        "も少し話せます。",
    ]
    assert all(e.index == 0 for e in events if isinstance(e, TextDelta))
    first, last_usage = events[0], [e for e in events if isinstance(e, UsageUpdate)][-1]
    # Anthropic's input_tokens is only the uncached part; llmkit's is the whole prompt.
    assert first == UsageUpdate(
        usage=Usage(input_tokens=14 + 2048, output_tokens=1, cache_read_tokens=2048)
    )
    assert last_usage.usage == Usage(input_tokens=2062, output_tokens=31, cache_read_tokens=2048)
    assert events[-2] == Finished(finish=Finish(reason="stop", raw="end_turn"))
    resp = done(events)
    assert resp.text == "Bonjour ! Ça va très bien, merci. 😊 Et vous ? — 日本語も少し話せます。"
    assert resp.id == "msg_01XbQmT8vR2nLk7hYpWc3sJd"
    assert resp.model == "claude-sonnet-4-5-20250929"
    assert resp.provider == "anthropic"


def test_tool_use_stream() -> None:
    events = drive_stream(anthropic, REQ, fixture("tool_use.sse"))
    tool_events = [e for e in events if isinstance(e, (ToolCallStart, ToolCallDelta, ToolCallEnd))]
    call = ToolCall(
        id="toolu_01QmX7aKp2VdR9wZt4LcJ8Ns",
        name="get_weather",
        arguments={"city": "São Paulo", "unit": "celsius"},
    )
    assert tool_events == [
        ToolCallStart(index=1, id=call.id, name="get_weather"),
        ToolCallDelta(index=1, arguments='{"city": "S'),
        ToolCallDelta(index=1, arguments="ão Pa"),
        ToolCallDelta(index=1, arguments='ulo", "unit"'),
        ToolCallDelta(index=1, arguments=': "celsius"}'),
        ToolCallEnd(index=1, call=call),
    ]
    resp = done(events)
    assert resp.tool_calls == [call]
    assert call.raw_arguments is None  # Anthropic's wire holds an object, not text
    assert resp.finish == Finish(reason="tool_calls", raw="tool_use")
    assert resp.text == "I'll check the weather in São Paulo for you."


def test_parallel_tool_calls_keep_their_own_arguments() -> None:
    resp = done(drive_stream(anthropic, REQ, fixture("parallel_tools.sse")))
    calls = [(i, p.id, p.name, p.arguments) for i, p in enumerate(resp.message.content)
             if isinstance(p, ToolCall)]  # fmt: skip
    assert calls == [
        (1, "toolu_01A3nFb7Qe5Wk2Rt8Yp4Lm6C", "get_weather", {"city": "Oslo"}),
        (2, "toolu_01Z9cVx4Bn7Mq2Kw5Tr8Hy3D", "get_weather", {"city": "Kyiv"}),
        (3, "toolu_01P5sDf8Gh2Jk4Lz6Xc9Vb1N", "get_time", {}),  # only "" fragments: no args
    ]


def test_interleaved_tool_deltas_are_kept_apart_by_index() -> None:
    """The API streams blocks one after another, but the fold keys buffers by
    index, so even interleaved fragments cannot mix."""

    def delta(i: int, s: str) -> dict[str, Any]:
        return {
            "type": "content_block_delta",
            "index": i,
            "delta": {"type": "input_json_delta", "partial_json": s},
        }

    def tool_start(i: int, name: str) -> dict[str, Any]:
        block = {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": {}}
        return {"type": "content_block_start", "index": i, "content_block": block}

    state, _ = fold(
        [
            {"type": "message_start", "message": {"id": "msg_1", "model": "m", "content": []}},
            tool_start(0, "a"),
            tool_start(1, "b"),
            delta(1, '{"x": '),
            delta(0, '{"y": "'),
            delta(1, "1}"),
            delta(0, 'two"}'),
            {"type": "content_block_stop", "index": 1},
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {}},
            {"type": "message_stop"},
        ]
    )
    (ev,) = anthropic.finish(state)
    assert isinstance(ev, Done)
    assert ev.response.tool_calls == [
        ToolCall(id="toolu_0", name="a", arguments={"y": "two"}),
        ToolCall(id="toolu_1", name="b", arguments={"x": 1}),
    ]


def test_thinking_with_signature_then_tool_use() -> None:
    events = drive_stream(anthropic, REQ, fixture("thinking_tool.sse"))
    deltas = [e for e in events if isinstance(e, ThinkingDelta)]
    thinking = [e.text for e in deltas if e.signature is None]
    assert thinking == [
        "The user wants the",
        " weather in Florence.",
        " I should call get_weather",
        ' with "Florence, IT".',
    ]  # the empty thinking_delta before the signature emits nothing
    # the signature_delta: one event, no text, before the block ends
    assert [(e.text, e.signature is not None) for e in deltas[len(thinking) :]] == [("", True)]
    resp = done(events)
    part = resp.message.content[0]
    assert isinstance(part, Thinking)
    assert part.text == "".join(thinking)
    assert part.provider == "anthropic"
    assert part.signature is not None
    assert part.signature.startswith("EqQBCkYIBxgCKkB")
    assert part.signature.endswith("GAE=")
    assert deltas[-1].signature == part.signature
    assert resp.tool_calls[0].arguments == {"city": "Florence, IT"}
    assert resp.usage == Usage(input_tokens=431, output_tokens=121, reasoning_tokens=64)


def test_redacted_thinking_is_kept_verbatim() -> None:
    resp = done(drive_stream(anthropic, REQ, fixture("redacted_thinking.sse")))
    redacted, thinking, text = resp.message.content
    assert isinstance(redacted, Thinking)
    assert redacted.redacted is not None
    assert redacted.redacted.startswith("EmwKAhgBEgy3va3pzix")
    assert (redacted.text, redacted.signature, redacted.provider) == ("", None, "anthropic")
    assert isinstance(thinking, Thinking)
    assert thinking.signature
    assert text == Text(text="The answer is 42.")


def test_unknown_events_blocks_and_deltas_are_skipped_not_fatal() -> None:
    events = drive_stream(anthropic, REQ, fixture("server_tools.sse"))
    resp = done(events)
    use, result, text = resp.message.content
    # Server tool blocks are kept whole (input assembled from its JSON deltas)
    # so the next turn can replay them to Anthropic.
    assert use == Raw(
        provider="anthropic",
        data={
            "type": "server_tool_use",
            "id": "srvtoolu_01Bn4Mk7Lj2Hg5Fd8Sa3Qw6E",
            "name": "web_search",
            "input": {"query": "oldest lighthouse Norway"},
        },
    )
    assert isinstance(result, Raw)
    assert result.data["type"] == "web_search_tool_result"
    assert text == Text(text="The oldest is Lindesnes.")
    assert not [e for e in events if isinstance(e, (ToolCallStart, ToolCallDelta))]
    assert resp == anthropic.parse_response(fixture("server_tools.json"))


def test_error_event_mid_stream_is_typed_and_carries_the_partial() -> None:
    events, err = collect(fixture("error_midstream.sse"))
    assert [e.text for e in events if isinstance(e, TextDelta)] == [
        "Here is a long",
        " story about a lighthouse",
    ]
    assert isinstance(err, Overloaded)
    assert err.status is None  # the HTTP status was 200: never invent one
    assert err.error_type == "overloaded_error"
    assert err.request_id == "req_011CVw8Xk3Lm5Np7Qr9St2Uv"
    assert err.retryable
    assert err.partial is not None
    assert err.partial.text == "Here is a long story about a lighthouse"
    assert err.partial.finish.reason == "error"
    assert err.partial.usage.input_tokens == 25


@pytest.mark.anyio
async def test_async_error_mid_stream() -> None:
    with pytest.raises(Overloaded) as info:
        await adrive_stream(anthropic, REQ, fixture("error_midstream.sse"))
    assert info.value.partial is not None
    assert info.value.partial.text.startswith("Here is a long")


# ---- byte cuts ------------------------------------------------------------------------


# ---- Done == parse_response ---------------------------------------------------------


MESSAGES: list[dict[str, Any]] = [
    {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-5-5",
        "content": [
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "thinking", "thinking": "Let me think… 🤔", "signature": "EqQBsig=="},
            {"type": "text", "text": "Two calls:"},
            {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {"q": "ä", "n": [1, 2]}},
            {"type": "tool_use", "id": "toolu_b", "name": "g", "input": {}},
            {"type": "mystery_block", "payload": {"x": 1}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "cache_creation_input_tokens": 20,
            "cache_read_input_tokens": 30,
            "output_tokens": 99,
            "output_tokens_details": {"thinking_tokens": 40},
        },
    },
    {
        "id": "msg_02",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": "cut off here"}],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 3},
    },
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m["id"])
def test_done_equals_parse_response_of_the_same_message(message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    streamed = done(drive_stream(anthropic, REQ, render_sse(message)))
    assert streamed == anthropic.parse_response(body)


def test_parse_response_mapping() -> None:
    resp = anthropic.parse_response(json.dumps(MESSAGES[0]).encode())
    assert resp.usage == Usage(
        input_tokens=60,
        output_tokens=99,
        cache_read_tokens=30,
        cache_write_tokens=20,
        reasoning_tokens=40,
    )
    assert resp.finish == Finish(reason="tool_calls", raw="tool_use")
    assert resp.message.content[-1] == Raw(
        provider="anthropic", data={"type": "mystery_block", "payload": {"x": 1}}
    )
    assert resp.message.provider == "anthropic"
    assert resp.message.model == "claude-opus-5-5"
    assert resp.thinking == "Let me think… 🤔"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "other"),
        ("something_new", "other"),
    ],
)
def test_stop_reasons(raw: str, reason: str) -> None:
    body = {**MESSAGES[1], "stop_reason": raw}
    assert anthropic.parse_response(json.dumps(body).encode()).finish == Finish(
        reason=reason,  # type: ignore[arg-type]
        raw=raw,
    )


def test_text_block_with_citations_is_kept_whole() -> None:
    citation = {"type": "char_location", "cited_text": "Paris", "document_index": 0}
    block = {"type": "text", "text": "Paris.", "citations": [citation]}
    message: dict[str, Any] = {**MESSAGES[1], "content": [block], "stop_reason": "end_turn"}
    parsed = anthropic.parse_response(json.dumps(message).encode())
    assert parsed.message.content == [
        Text(text="Paris.", citations=[citation], provider="anthropic")
    ]
    assert parsed.text == "Paris."
    replayed = anthropic.messages_to_wire([parsed.message])[1][0]["content"]
    assert replayed == [block]
    # streamed: the text arrives as deltas, the citation as citations_delta
    start = {"type": "text", "text": "", "citations": []}
    state, events = fold(
        [
            {"type": "message_start", "message": {**message, "content": [], "stop_reason": None}},
            {"type": "content_block_start", "index": 0, "content_block": start},
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Paris."},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "citations_delta", "citation": citation},
            },
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": message["usage"],
            },
            {"type": "message_stop"},
        ]
    )
    assert TextDelta(index=0, text="Paris.") in events
    (ev,) = anthropic.finish(state)
    assert isinstance(ev, Done)
    assert ev.response == parsed


# ---- broken streams ---------------------------------------------------------------------

START: dict[str, Any] = {
    "type": "message_start",
    "message": {"id": "msg_x", "model": "m", "content": []},
}
TEXT0: dict[str, Any] = {
    "type": "content_block_start",
    "index": 0,
    "content_block": {"type": "text", "text": ""},
}


def test_stream_without_message_stop_is_a_stream_error_with_the_partial() -> None:
    body = fixture("text.sse")
    cut = body.index(b"event: message_delta")
    with pytest.raises(StreamError) as info:
        drive_stream(anthropic, REQ, body[:cut])
    assert "message_stop" in str(info.value)
    assert info.value.partial is not None
    assert info.value.partial.text.startswith("Bonjour")
    assert info.value.partial.finish.reason == "error"


def test_message_stop_without_stop_reason_is_a_stream_error() -> None:
    state, _ = fold([START, {"type": "message_stop"}])
    with pytest.raises(StreamError, match="stop_reason"):
        anthropic.finish(state)


@pytest.mark.parametrize(
    ("events", "match"),
    [
        ([START, {"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta"}}],
         "block 3 is not open"),
        ([START, {"type": "content_block_stop", "index": 0}], "block 0 is not open"),
        ([TEXT0], "before message_start"),
        ([START, START], "second message_start"),
        ([START, TEXT0, TEXT0], "already open"),
        ([START, TEXT0, {"type": "content_block_delta", "index": 0,
                         "delta": {"type": "input_json_delta", "partial_json": "{"}}],
         "input_json_delta for a text block"),
    ],
)  # fmt: skip
def test_out_of_order_events_are_clear_stream_errors(
    events: list[dict[str, Any]], match: str
) -> None:
    with pytest.raises(StreamError, match=match) as info:
        fold(events)
    assert info.value.provider == "anthropic"


@pytest.mark.parametrize(
    "event",
    ["message_start", "content_block_start", "content_block_delta", "message_delta", "error"],
)
def test_malformed_json_in_a_known_event_is_a_stream_error(event: str) -> None:
    state = anthropic.start(REQ)
    with pytest.raises(StreamError, match="unreadable") as info:
        anthropic.step(state, Sse(event, '{"type": "' + event + '", "index": '))
    assert info.value.event == event


def test_wrong_types_in_a_known_event_are_a_stream_error() -> None:
    state, _ = fold([START, TEXT0])
    with pytest.raises(StreamError):
        anthropic.step(state, Sse("content_block_delta", '{"index": "zero", "delta": {}}'))


def test_ping_unknown_events_and_missing_event_lines() -> None:
    state = anthropic.start(REQ)
    for ev in [Sse("ping", '{"type": "ping"}'), Sse("brand_new_event", "not even json")]:
        assert anthropic.step(state, ev) == (state, [])
    # without an `event:` line (httpx-sse says "message") the JSON type decides
    state2, out = anthropic.step(state, Sse("message", json.dumps(START)))
    assert isinstance(out[0], UsageUpdate)
    assert state2 != state


def test_invalid_tool_json_is_flagged_not_raised() -> None:
    block = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
    _, events = fold(
        [
            START,
            {"type": "content_block_start", "index": 0, "content_block": block},
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '{"a": '},
            },
            {"type": "content_block_stop", "index": 0},
        ]
    )
    end = events[-1]
    assert isinstance(end, ToolCallEnd)
    assert end.call.arguments == {}
    assert end.call.error is not None
    assert not end.call.ok


def test_message_delta_usage_overwrites_never_adds() -> None:
    usage = {"input_tokens": 7, "cache_read_input_tokens": 3, "output_tokens": 1}
    start = {**START, "message": {**START["message"], "usage": usage}}
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
    _, events = fold(
        [
            start,
            {**delta, "usage": {"output_tokens": 5}},
            {**delta, "usage": {"output_tokens": 9, "input_tokens": 8}},
        ]
    )
    updates = [e.usage for e in events if isinstance(e, UsageUpdate)]
    assert updates == [
        Usage(input_tokens=10, output_tokens=1, cache_read_tokens=3),
        Usage(input_tokens=10, output_tokens=5, cache_read_tokens=3),
        Usage(input_tokens=11, output_tokens=9, cache_read_tokens=3),
    ]
    assert sum(isinstance(e, Finished) for e in events) == 1


def test_snapshot_includes_open_blocks() -> None:
    state, _ = fold(
        [
            START,
            TEXT0,
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "half a sent"},
            },
        ]
    )
    partial = anthropic.snapshot(state)
    assert partial.text == "half a sent"
    assert partial.finish.reason == "error"


def test_api_error_is_raised_for_error_events_of_any_type() -> None:
    state, _ = fold([START])
    data = '{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}'
    with pytest.raises(ApiError) as info:
        anthropic.step(state, Sse("error", data))
    assert info.value.status is None
    assert not info.value.retryable


def test_blocks_already_in_message_start_are_kept() -> None:
    start = {**START, "message": {**START["message"], "content": [{"type": "text", "text": "a"}]}}
    state, _ = fold(
        [
            start,
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "text", "text": "b"},
            },
            {"type": "content_block_stop", "index": 1},
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}},
            {"type": "message_stop"},
        ]
    )
    (ev,) = anthropic.finish(state)
    assert isinstance(ev, Done)
    assert ev.response.message.content == [Text(text="a"), Text(text="b")]


def test_malformed_block_start_is_kept_raw_like_the_non_streamed_parse() -> None:
    odd = {"type": "text", "text": 42}
    state, events = fold(
        [
            START,
            {"type": "content_block_start", "index": 0, "content_block": odd},
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "x"},
            },
            {"type": "content_block_stop", "index": 0},
        ]
    )
    assert not [e for e in events if isinstance(e, TextDelta)]
    assert anthropic.snapshot(state).message.content == [Raw(provider="anthropic", data=odd)]


# ---- purity with interleaved blocks (every fixture's fold: tests/contract) ----------


def _purity_sse(kind: str, data: dict[str, Any]) -> Sse:
    return Sse(event=kind, data=json.dumps({"type": kind, **data}))


def _tool_delta(i: int, text: str) -> Sse:
    delta = {"type": "input_json_delta", "partial_json": text}
    return _purity_sse("content_block_delta", {"index": i, "delta": delta})


def test_interleaved_anthropic_blocks_stay_pure() -> None:
    # Deltas alternate between two open tool blocks, so the block being
    # streamed changes on every event.
    start = {"type": "tool_use", "name": "f", "input": {}}
    message = {"id": "m", "model": "m", "role": "assistant", "content": [], "usage": {}}
    events = [
        _purity_sse("message_start", {"message": message}),
        _purity_sse("content_block_start", {"index": 0, "content_block": {**start, "id": "a"}}),
        _purity_sse("content_block_start", {"index": 1, "content_block": {**start, "id": "b"}}),
        *(_tool_delta(i % 2, t) for i, t in enumerate(['{"x"', '{"y"', ": 1}", ": 2}"])),
        _purity_sse("content_block_stop", {"index": 1}),
        _purity_sse("content_block_stop", {"index": 0}),
        _purity_sse("message_delta", {"delta": {"stop_reason": "tool_use"}, "usage": {}}),
        _purity_sse("message_stop", {}),
    ]
    state = anthropic.start(REQ)
    for ev in events:
        before = copy.deepcopy(state)
        first = anthropic.step(state, ev)
        assert state == before
        assert anthropic.step(state, ev) == first
        state = first[0]
    (done,) = anthropic.finish(state)
    calls = done.response.tool_calls  # type: ignore[union-attr]
    assert [(c.id, c.arguments) for c in calls] == [("a", {"x": 1}), ("b", {"y": 2})]
