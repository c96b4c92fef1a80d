"""The Responses API fold, on our fixtures (recorded shape, fixtures/openai-responses
and fixtures/xai-responses), replayed through the real transport."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import ApiError, RateLimited, ServerError, StreamError
from llmkit.protocols import Provider
from llmkit.providers import responses, xai_responses
from llmkit.types import (
    ChatRequest,
    Done,
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
from tests.replay import FIXTURES, done, drive_stream

REQ = ChatRequest(model="m", messages=[Message(role="user", content=[Text(text="q")])], stream=True)
OA = FIXTURES / "openai-responses"
XA = FIXTURES / "xai-responses"


def sse(name: str, vendor: str = "openai") -> bytes:
    return ((OA if vendor == "openai" else XA) / name).read_bytes()


def terminal(data: bytes) -> dict[str, Any]:
    """The `response` of the stream's terminal event: what a non-streamed call returns."""
    last = [json.loads(line[5:]) for line in data.decode().splitlines() if line.startswith("data:")]
    return next(e["response"] for e in reversed(last) if e["type"].startswith("response."))


def as_data_only(data: bytes) -> bytes:
    """The same events framed as `data:` lines only, ending with `data: [DONE]`."""
    lines = [ln for ln in data.decode().splitlines() if ln.startswith("data:")]
    return ("".join(f"{ln}\n\n" for ln in lines) + "data: [DONE]\n\n").encode()


STREAMS = [
    ("openai", responses, n)
    for n in (
        "text.sse", "parallel_tools.sse", "reasoning_turn1.sse", "reasoning_turn2.sse",
        "incomplete.sse", "refusal.sse", "hosted_and_function.sse", "structured.sse",
    )
] + [("xai", xai_responses, "reasoning_store_false.sse")]  # fmt: skip


@pytest.mark.parametrize(("vendor", "p", "name"), STREAMS)
def test_both_framings_give_the_same_events(vendor: str, p: Provider, name: str) -> None:
    data = sse(name, vendor)
    assert drive_stream(p, REQ, as_data_only(data)) == drive_stream(p, REQ, data)


def test_text() -> None:
    events = drive_stream(responses, REQ, sse("text.sse"))
    first = next(e for e in events if isinstance(e, TextDelta))
    assert first == TextDelta(index=0, text="Hello! How ")
    r = done(events)
    assert r.text == "Hello! How can I help you today?" and r.provider == "openai"
    assert r.finish.reason == "stop" and r.finish.raw == "completed"
    assert r.usage == Usage(input_tokens=18, output_tokens=10)
    assert r.id == "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9001" and r.model == "gpt-4.1-2025-04-14"
    assert isinstance(events[-3], UsageUpdate) and isinstance(events[-2], Finished)


def test_parallel_calls_keyed_by_item_paired_by_call_id() -> None:
    events = drive_stream(responses, REQ, sse("parallel_tools.sse"))
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    ends = [e for e in events if isinstance(e, ToolCallEnd)]
    assert starts == [
        ToolCallStart(index=1, id="call_PkT3vW9qLm2XyZ8aBc4DeF6g", name="get_weather"),
        ToolCallStart(index=2, id="call_Qr5sTu7vWx9yZa1bCd3eFg5h", name="get_weather"),
    ]
    assert [e.call.arguments for e in ends] == [{"city": "Paris"}, {"city": "Oslo"}]
    assert ends[0].call.signature == "fc_07e1c9a4b2d3f5e6016a3c7a2b9f8e7d6c5b4a3f2e1d0c9b8a"
    r = done(events)
    assert r.finish.reason == "tool_calls" and r.tool_calls == [e.call for e in ends]
    assert r.usage.reasoning_tokens == 64 and r.usage.output_tokens == 121


def test_encrypted_reasoning_keeps_the_final_copy_never_the_provisional_one() -> None:
    data = sse("reasoning_turn1.sse")
    events = [json.loads(ln[5:]) for ln in data.decode().splitlines() if ln.startswith("data:")]
    added = next(e for e in events if e["type"] == "response.output_item.added")["item"]
    final = terminal(data)["output"][0]["encrypted_content"]
    assert added["encrypted_content"] != final  # the recorded shape: three different copies
    r = done(drive_stream(responses, REQ, data))
    first, second = r.message.content[0], r.message.content[1]
    assert isinstance(first, Thinking) and isinstance(second, Thinking)
    assert first.signature == final and first.id == second.id and first.id.startswith("rs_")
    assert first.text.startswith("**Checking the weather**") and second.signature is None
    assert r.thinking.count("**") == 4
    assert isinstance(r.message.content[2], ToolCall)


def test_incomplete_is_a_length_finish_with_the_text_so_far() -> None:
    r = done(drive_stream(responses, REQ, sse("incomplete.sse")))
    assert r.finish.reason == "length" and r.finish.raw == "max_output_tokens"
    assert r.text.endswith("a Celtic")


def test_refusal_is_text_with_a_content_filter_finish() -> None:
    r = done(drive_stream(responses, REQ, sse("refusal.sse")))
    assert r.text == "I'm sorry, but I can't help with that."
    assert r.finish.reason == "content_filter"


def test_hosted_tools_are_raw_parts_never_tool_calls() -> None:
    r = done(drive_stream(responses, REQ, sse("hosted_and_function.sse")))
    raw, text, call = r.message.content
    assert isinstance(raw, Raw) and raw.data["type"] == "web_search_call"
    assert isinstance(text, Text) and text.phase == "commentary" and text.citations
    assert isinstance(call, ToolCall) and r.tool_calls == [call]


def test_failed_is_a_typed_error_with_the_partial_response() -> None:
    with pytest.raises(ServerError) as e:
        drive_stream(responses, REQ, sse("failed.sse"))
    assert e.value.status is None and e.value.error_type == "server_error"
    assert e.value.partial is not None and e.value.partial.text == "Here is the first part of the"


@pytest.mark.parametrize(
    ("name", "kind", "code", "retryable"),
    [
        ("error_event.sse", RateLimited, "credit_balance_exhausted", False),
        ("error_event_flat.sse", RateLimited, "rate_limit_exceeded", True),
    ],
)
def test_error_events_in_both_shapes(
    name: str, kind: type[ApiError], code: str, retryable: bool
) -> None:
    with pytest.raises(kind) as e:
        drive_stream(responses, REQ, sse(name))
    assert e.value.status is None and e.value.error_type == code
    assert e.value.retryable is retryable and e.value.partial is not None


def test_xai_reasoning_with_store_false() -> None:
    events = drive_stream(xai_responses, REQ, sse("reasoning_store_false.sse", "xai"))
    r = done(events)
    thinking, call = r.message.content
    assert isinstance(thinking, Thinking) and thinking.provider == "xai"
    assert thinking.signature and thinking.id == "rs_3b7e9a2c-5d1f-4e8a-b6c4-1f2e3d4c5b6a"
    assert isinstance(call, ToolCall) and call.id == "call_58213047"
    # output includes reasoning on Responses, for xAI as for OpenAI
    assert r.usage == Usage(input_tokens=312, output_tokens=143, cache_read_tokens=256,
                            reasoning_tokens=118)  # fmt: skip


def test_a_cut_stream_is_a_stream_error_with_what_arrived() -> None:
    data = sse("parallel_tools.sse")
    cut = data[: data.index(b"event: response.output_item.done", data.index(b"Oslo"))]
    with pytest.raises(StreamError) as e:
        drive_stream(responses, REQ, cut)
    partial = e.value.partial
    assert partial is not None and [c.arguments for c in partial.tool_calls] == [
        {"city": "Paris"}, {"city": "Oslo"},
    ]  # fmt: skip
    assert partial.finish.reason == "error"


def test_unknown_and_lifecycle_events_are_skipped() -> None:
    data = sse("text.sse")
    extra = (b'event: response.future_thing\ndata: {"type":"response.future_thing","x":1}\n\n'
             b'data: {"type":"response.queued","response":{}}\n\n')  # fmt: skip
    assert drive_stream(responses, REQ, extra + data) == drive_stream(responses, REQ, data)


def test_events_after_the_end_are_ignored() -> None:
    events = drive_stream(responses, REQ, sse("text.sse") + b"data: [DONE]\n\n")
    assert isinstance(events[-1], Done)


@settings(max_examples=60)
@given(st.sampled_from(STREAMS), st.data())
def test_a_stream_cut_anywhere_keeps_every_delta_in_its_partial(
    case: tuple[str, Provider, str], data: st.DataObject
) -> None:
    """Cut between any two events: the StreamError's partial holds, at each
    index, exactly what the deltas before the cut said."""
    vendor, p, name = case
    raw = sse(name, vendor)
    frames = raw.split(b"\n\n")[:-1]
    keep = data.draw(st.integers(0, len(frames) - 2))  # never the terminal event
    cut = b"".join(f + b"\n\n" for f in frames[:keep])
    seen: list[StreamEvent] = []
    with pytest.raises(StreamError) as e:
        for ev in _events(p, cut):  # one at a time: what came before the error
            seen.append(ev)  # noqa: PERF402
    partial = e.value.partial
    assert partial is not None
    texts: dict[int, str] = {}
    for ev in seen:
        if isinstance(ev, TextDelta | ThinkingDelta):
            texts[ev.index] = texts.get(ev.index, "") + ev.text
        elif isinstance(ev, ToolCallDelta):
            texts[ev.index] = texts.get(ev.index, "") + ev.arguments
    for at, text in texts.items():
        part = partial.message.content[at]
        got = part.raw_arguments if isinstance(part, ToolCall) else part.text  # type: ignore[union-attr]
        assert got == text


def _events(p: Provider, body: bytes) -> Any:
    import httpx

    from llmkit import transport as tr
    from tests.replay import call_for
    from tests.replay import transport as serve

    with httpx.Client(transport=serve(body)) as client:
        yield from tr.stream(call_for(p), client, REQ)
