"""OpenAI Chat Completions streaming: the fold, replayed through the real transport."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.errors import ServerError, StreamError
from llmkit.protocols import Sse
from llmkit.providers import openai
from llmkit.types import (
    ChatRequest,
    Finish,
    Finished,
    Message,
    StreamEvent,
    Text,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageUpdate,
)
from tests.replay import FIXTURES, done, drive_stream

REQ = ChatRequest(model="gpt-4o", messages=[Message(role="user", content=[Text(text="hi")])])
SREQ = ChatRequest(model="gpt-4o", messages=REQ.messages, stream=True)


def fixture(name: str) -> bytes:
    return (FIXTURES / "openai" / name).read_bytes()


def render_stream(body: dict[str, Any], *, xai: bool = False, size: int = 3) -> bytes:
    """A non-streamed completion rendered as the stream the vendor would send
    for it: OpenAI style (`usage: null`, `obfuscation`, `finish_reason: null`,
    arguments in `size`-character fragments) or xAI style (no null keys, each
    call whole in one chunk). Both end with a usage-only chunk and [DONE]."""
    choice = body["choices"][0]
    msg = choice["message"]
    head = {k: body[k] for k in ("id", "object", "created", "model") if k in body}
    head["object"] = "chat.completion.chunk"

    def cut(text: str) -> list[str]:
        return [text[i : i + size] for i in range(0, len(text), size)]

    deltas: list[dict[str, Any]] = []
    deltas += [{"reasoning_content": t} for t in cut(msg.get("reasoning_content") or "")]
    deltas += [{"content": t} for t in cut(msg.get("content") or "")]
    deltas += [{"refusal": t} for t in cut(msg.get("refusal") or "")]
    for i, call in enumerate(msg.get("tool_calls") or []):
        f = call["function"]
        first = {"index": i, "id": call["id"], "type": "function", "function": {"name": f["name"]}}
        if xai:
            first["function"]["arguments"] = f["arguments"]
            deltas.append({"tool_calls": [first]})
            continue
        first["function"]["arguments"] = ""
        deltas.append({"tool_calls": [first]})
        deltas += [
            {"tool_calls": [{"index": i, "function": {"arguments": a}}]}
            for a in cut(f["arguments"])
        ]
    if deltas:
        deltas[0] = {"role": "assistant", **deltas[0]}

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        if xai:
            ch: dict[str, Any] = {"index": 0, "delta": delta}
            if finish is not None:
                ch["finish_reason"] = finish
            return {**head, "choices": [ch]}
        ch = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**head, "choices": [ch], "usage": None, "obfuscation": "pAdD1nG"}

    chunks = [chunk(d, None) for d in deltas] + [chunk({}, choice["finish_reason"])]
    chunks.append({**head, "choices": [], "usage": body["usage"]})
    lines = [f"data: {json.dumps(c, separators=(',', ':'))}\n\n" for c in chunks]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def kinds(events: Sequence[StreamEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


PAIRS = ["text", "reasoning_cached", "tool_call", "parallel_tools", "structured", "refusal"]


@pytest.mark.parametrize("name", [*PAIRS, "invalid_arguments"])
@pytest.mark.parametrize("size", [1, 4, 1000])
def test_rendered_streams_fold_to_the_non_streamed_parse(name: str, size: int) -> None:
    body = fixture(f"{name}.json")
    events = drive_stream(openai, SREQ, render_stream(json.loads(body), size=size))
    assert done(events) == openai.parse_response(body)


def test_text_stream_events() -> None:
    events = drive_stream(openai, SREQ, fixture("text.sse"))
    assert kinds(events) == (
        ["TextStart"] + ["TextDelta"] * 7 + ["TextEnd", "Finished", "UsageUpdate", "Done"]
    )
    assert {e.index for e in events if isinstance(e, TextDelta)} == {0}
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == (
        "The capital of France is Paris."
    )
    assert events[-3] == Finished(finish=Finish(reason="stop", raw="stop"))
    assert events[-2] == UsageUpdate(usage=Usage(input_tokens=24, output_tokens=8))


def test_interleaved_parallel_calls_never_mix() -> None:
    events = drive_stream(openai, SREQ, fixture("parallel_tools.sse"))
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [(s.index, s.name) for s in starts] == [(1, "get_weather"), (2, "get_time")]
    by_index: dict[int, str] = {}
    for e in events:
        if isinstance(e, ToolCallDelta):
            by_index[e.index] = by_index.get(e.index, "") + e.arguments
    assert by_index == {1: '{"city": "Oslo"}', 2: '{"timezone": "Europe/Oslo"}'}
    ends = [e for e in events if isinstance(e, ToolCallEnd)]
    assert [(e.index, e.call.arguments) for e in ends] == [
        (1, {"city": "Oslo"}),
        (2, {"timezone": "Europe/Oslo"}),
    ]
    # every end precedes Finished; the text part came first, so it is index 0
    assert kinds(events).index("Finished") > kinds(events).index("ToolCallEnd")
    r = done(events)
    assert r.text == "Checking both." and isinstance(r.message.content[0], Text)
    assert [c.raw_arguments for c in r.tool_calls] == [
        '{"city": "Oslo"}',
        '{"timezone": "Europe/Oslo"}',
    ]
    assert r.finish == Finish(reason="tool_calls", raw="tool_calls")


def test_usage_only_final_chunk_normalizes_usage() -> None:
    r = done(drive_stream(openai, SREQ, fixture("reasoning_cached.sse")))
    # OpenAI's completion_tokens already includes the 192 reasoning tokens
    assert r.usage == Usage(
        input_tokens=2310, output_tokens=203, cache_read_tokens=2048, reasoning_tokens=192
    )


def test_refusal_streams_as_text_and_finishes_as_content_filter() -> None:
    events = drive_stream(openai, SREQ, fixture("refusal.sse"))
    assert done(events).text == "I'm sorry, I can't help with that."
    assert Finished(finish=Finish(reason="content_filter", raw="stop")) in events


@given(size=st.integers(min_value=1, max_value=12))
def test_any_fragment_size_assembles_the_same_calls(size: int) -> None:
    body = fixture("parallel_tools.json")
    events = drive_stream(openai, SREQ, render_stream(json.loads(body), size=size))
    assert done(events) == openai.parse_response(body)


def test_error_object_mid_stream_is_typed_with_the_partial() -> None:
    with pytest.raises(ServerError) as info:
        drive_stream(openai, SREQ, fixture("stream_error.sse"))
    err = info.value
    assert err.status is None  # the 200 came long ago; no status is invented
    assert err.error_type == "server_error" and "Sorry about that" in err.message
    assert err.partial is not None and err.partial.text == "Once upon a"
    assert err.partial.finish.reason == "error"


def test_stream_cut_before_the_end_is_a_stream_error_with_the_partial() -> None:
    data = fixture("tool_call.sse")
    cut = data[: data.index(b'"finish_reason":"tool_calls"')]
    cut = cut[: cut.rindex(b"\n\n") + 2]
    with pytest.raises(StreamError, match="finish_reason") as info:
        drive_stream(openai, SREQ, cut)
    partial = info.value.partial
    assert partial is not None and partial.tool_calls[0].name == "get_weather"
    assert partial.tool_calls[0].raw_arguments == '{"city":"Lisbon","unit":"c"}'


def test_malformed_chunk_is_a_stream_error_not_a_key_error() -> None:
    data = fixture("text.sse").replace(b'"content":" Paris"', b'"content": Paris"')
    with pytest.raises(StreamError, match="unreadable openai body") as info:
        drive_stream(openai, SREQ, data)
    assert info.value.partial is not None and info.value.partial.text == "The capital of France is"


def _fold(*chunks: dict[str, Any] | str) -> tuple[list[StreamEvent], openai.State]:
    s = openai.start(SREQ)
    out: list[StreamEvent] = []
    for c in chunks:
        s, evs = openai.step(s, Sse(data=c if isinstance(c, str) else json.dumps(c)))
        out += evs
    return out + openai.finish(s), s


def _tc(index: int, **kw: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, **kw}]}}]}


def test_a_repeated_id_on_the_same_index_does_not_start_a_new_call() -> None:
    fn = {"name": "f", "arguments": '{"a":'}
    events, _ = _fold(
        {"id": "c1", "model": "m", "choices": []},
        _tc(0, id="call_1", type="function", function=fn),
        _tc(0, id="call_1", function={"arguments": " 1}"}),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        "[DONE]",
    )
    assert kinds(events).count("ToolCallStart") == 1
    assert done(events).tool_calls == [
        ToolCall(id="call_1", name="f", arguments={"a": 1}, raw_arguments='{"a": 1}')
    ]


def test_done_without_finish_reason_still_closes_the_calls() -> None:
    events, _ = _fold(_tc(0, id="call_9", function={"name": "g", "arguments": "{}"}), "[DONE]")
    assert kinds(events) == ["ToolCallStart", "ToolCallDelta", "ToolCallEnd", "Finished", "Done"]
    assert done(events).finish == Finish(reason="tool_calls", raw=None)


def test_other_choices_and_events_after_done_are_ignored() -> None:
    events, s = _fold(
        {"choices": [{"index": 1, "delta": {"content": "second choice"}}]},
        {"choices": [{"index": 0, "delta": {"content": "first"}, "finish_reason": "stop"}]},
        "[DONE]",
        {"choices": [{"index": 0, "delta": {"content": "late"}}]},
    )
    assert done(events).text == "first" and s.done


def test_invalid_arguments_are_flagged_not_raised() -> None:
    r = openai.parse_response(fixture("invalid_arguments.json"))
    (call,) = r.tool_calls
    assert not call.ok and call.arguments == {} and "not valid JSON" in (call.error or "")
    assert call.raw_arguments == '{"title": "Groceries", "body": "eggs, mi'
    assert r.finish == Finish(reason="length", raw="length")


def test_per_event_state_holds_ropes_not_growing_strings() -> None:
    # 200 deltas: the state keeps a rope (O(1) appends), joined once at the end
    chunks = [{"choices": [{"index": 0, "delta": {"content": "ab"}}]}] * 200
    events, s = _fold(*chunks, "[DONE]")
    assert isinstance(s.text, tuple) and done(events).text == "ab" * 200


def test_a_stream_cut_before_done_is_broken_even_after_finish_reason() -> None:
    """The usage chunk and [DONE] follow the finish_reason; losing them must not
    pass as a whole answer with zero usage."""
    data = fixture("text.sse")
    cut = data[: data.index(b'"choices":[]')]
    cut = cut[: cut.rindex(b"\n\n") + 2]
    with pytest.raises(StreamError, match=r"before \[DONE\]") as info:
        drive_stream(openai, SREQ, cut)
    partial = info.value.partial
    assert partial is not None and partial.text and partial.finish.reason == "stop"
