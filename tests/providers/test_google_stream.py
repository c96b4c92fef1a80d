"""Gemini `streamGenerateContent?alt=sse` through llmkit's real transport."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit import errors
from llmkit.protocols import Sse
from llmkit.providers import google
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    Message,
    Response,
    StreamEvent,
    Text,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageUpdate,
)
from tests.replay import FIXTURES, done, drive_stream

G = FIXTURES / "google"
REQ = ChatRequest(
    model="gemini-3.8-flash",
    messages=[Message(role="user", content=[Text(text="hi")])],
    stream=True,
)
STREAMS = sorted(p.name for p in G.glob("*.sse"))


def events(name: str, cuts: tuple[int, ...] = ()) -> list[StreamEvent]:
    return drive_stream(google, REQ, (G / name).read_bytes(), cuts=cuts)


def fold(chunks: list[dict[str, Any]]) -> Response:
    """The pure fold over chunks given as JSON objects (no transport)."""
    s = google.start(REQ)
    for c in chunks:
        s, _ = google.step(s, Sse(data=json.dumps(c)))
    last = google.finish(s)[-1]
    assert isinstance(last, Done)
    return last.response


def test_text_stream_events() -> None:
    evs = events("text.sse")
    deltas = [e for e in evs if isinstance(e, TextDelta)]
    assert [d.index for d in deltas] == [0, 0, 0]
    assert "".join(d.text for d in deltas) == done(evs).text
    # usageMetadata on every chunk is a running total: reported when it changes.
    usages = [e.usage for e in evs if isinstance(e, UsageUpdate)]
    assert [u.output_tokens for u in usages] == [159, 164, 168]
    assert done(evs).usage == usages[-1]
    assert isinstance(evs[-2], Finished) and evs[-2].finish == Finish(reason="stop", raw="STOP")
    # The signature came on a last empty part: it lands on the streamed text.
    (part,) = done(evs).message.content
    assert isinstance(part, Text) and part.signature and part.provider == "google"


def test_thinking_then_text_indices() -> None:
    evs = events("thinking.sse")
    kinds = [(type(e).__name__, e.index) for e in evs if isinstance(e, (TextDelta, ThinkingDelta))]
    assert kinds == [("ThinkingDelta", 0), ("ThinkingDelta", 0), ("TextDelta", 1), ("TextDelta", 1)]
    assert done(evs).usage.cache_read_tokens == 1024


def test_parallel_calls_arrive_whole() -> None:
    evs = events("parallel_calls.sse")
    calls = [e for e in evs if isinstance(e, (ToolCallStart, ToolCallDelta, ToolCallEnd))]
    assert [(type(e).__name__, e.index) for e in calls] == [
        ("ToolCallStart", 0),
        ("ToolCallDelta", 0),
        ("ToolCallEnd", 0),
        ("ToolCallStart", 1),
        ("ToolCallDelta", 1),
        ("ToolCallEnd", 1),
    ]
    start, delta, end = calls[:3]
    assert (
        isinstance(start, ToolCallStart) and start.id == "k3v9q2lx" and start.name == "get_weather"
    )
    assert isinstance(delta, ToolCallDelta) and json.loads(delta.arguments) == {"city": "Lisbon"}
    assert isinstance(end, ToolCallEnd) and end.call == done(evs).tool_calls[0]
    # The trailing {"text": ""} adds no part.
    assert len(done(evs).message.content) == 2
    assert done(evs).finish == Finish(reason="tool_calls", raw="STOP")


def test_safety_stop_keeps_the_text_so_far() -> None:
    r = done(events("safety_stop.sse"))
    assert r.text == "Here is a general overview of how"
    assert r.finish == Finish(reason="content_filter", raw="SAFETY")


def test_blocked_prompt_stream() -> None:
    body = json.loads((G / "safety_block.json").read_bytes())
    data = b"data: " + json.dumps(body).encode() + b"\r\n\r\n"
    evs = drive_stream(google, REQ, data)
    assert done(evs) == google.parse_response((G / "safety_block.json").read_bytes())
    assert done(evs).finish.reason == "content_filter"


def test_error_object_mid_stream_is_typed_with_partial() -> None:
    with pytest.raises(errors.Overloaded) as e:
        events("stream_error.sse")
    err = e.value
    assert err.status == 503 and err.error_type == "UNAVAILABLE" and err.retryable
    assert err.partial is not None and err.partial.text == "The first part of a long answer"
    assert err.partial.finish.reason == "error"


def test_stream_without_finish_reason_is_cut_short() -> None:
    data = (G / "text.sse").read_bytes()
    cut = data[: data.rindex(b"data: ")]  # drop the last chunk
    with pytest.raises(errors.StreamError) as e:
        drive_stream(google, REQ, cut)
    assert e.value.partial is not None
    assert e.value.partial.text == "Três cidades portuguesas à beira-mar: Porto, Lisboa e Faro."
    assert e.value.partial.message.content[0].signature is None  # type: ignore[union-attr]


def test_malformed_chunk_is_a_stream_error_with_partial() -> None:
    data = (G / "text.sse").read_bytes().replace(b'"index": 0}],"usageMetadata"', b'"index": 0}', 1)
    with pytest.raises(errors.StreamError) as e:
        drive_stream(google, REQ, data)
    assert e.value.partial is not None and e.value.partial.provider == "google"


# ---- invariance -------------------------------------------------------------------


def _split_text(part: dict[str, Any], cuts: list[int]) -> list[dict[str, Any]]:
    """One text part as the stream sends it: pieces, the signature last."""
    text, sig = part["text"], part.get("thoughtSignature")
    flag = {"thought": True} if part.get("thought") else {}
    edges = [0, *sorted({c % (len(text) + 1) for c in cuts}), len(text)]
    pieces = [{"text": text[a:b], **flag} for a, b in pairwise(edges)]
    if sig is not None:
        pieces.append({"text": "", "thoughtSignature": sig, **flag})
    return pieces


@given(
    st.sampled_from(["text.json", "thinking.json", "parallel_calls.json", "code_execution.json"]),
    st.lists(st.integers(0, 200), max_size=5),
    st.lists(st.integers(1, 4), min_size=1, max_size=8),
)
def test_any_streaming_of_a_body_folds_to_its_parse(
    name: str, cuts: list[int], sizes: list[int]
) -> None:
    """Render a non-streamed body as a stream (text parts in pieces, the
    signature on an empty last part, parts spread over chunks): Done equals
    the non-streamed parse."""
    body = json.loads((G / name).read_bytes())
    cand = body["candidates"][0]
    parts = []
    for p in cand["content"]["parts"]:
        parts += _split_text(p, cuts) if "text" in p else [p]
    chunks, i = [], 0
    while i < len(parts) or not chunks:
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(
            {
                "candidates": [
                    {"content": {"parts": parts[i : i + size], "role": "model"}, "index": 0}
                ],
                "usageMetadata": {"promptTokenCount": 1},
                "modelVersion": body["modelVersion"],
                "responseId": body["responseId"],
            }
        )
        i += size
    chunks[-1]["candidates"][0]["finishReason"] = cand["finishReason"]
    chunks[-1]["usageMetadata"] = body["usageMetadata"]
    assert fold(chunks) == google.parse_response((G / name).read_bytes())


def test_signature_boundaries_are_kept() -> None:
    def chunk(*parts: dict[str, Any]) -> dict[str, Any]:
        return {"candidates": [{"content": {"parts": list(parts)}, "index": 0}]}

    last = chunk({"text": "c"})
    last["candidates"][0]["finishReason"] = "STOP"
    r = fold(
        [
            chunk({"text": "a", "thoughtSignature": "s1"}),  # a signed part ends there
            chunk({"text": "b"}),
            chunk({"thoughtSignature": "s2"}),  # signature-only part: an empty text
            last,
        ]
    )
    assert r.message.content == [
        Text(text="a", signature="s1", provider="google"),
        Text(text="b", signature="s2", provider="google"),
        Text(text="c"),
    ]


def test_empty_signed_part_after_a_call_is_kept() -> None:
    body = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"functionCall": {"name": "f", "args": {}}},
                        {"text": "", "thoughtSignature": "c2ln"},
                    ]
                },
                "finishReason": "STOP",
            }
        ],
    }
    r = fold([body])
    assert r.message.content[1] == Text(text="", signature="c2ln", provider="google")
    assert r == google.parse_response(msgspec.json.encode(body))


def test_usage_is_latest_not_summed() -> None:
    evs = events("thinking.sse")
    assert done(evs).usage == Usage(
        input_tokens=1040, output_tokens=111, cache_read_tokens=1024, reasoning_tokens=96
    )


@pytest.mark.parametrize("name", [n for n in STREAMS if n != "stream_error.sse"])
def test_one_finished_with_the_final_finish_then_done(name: str) -> None:
    evs = events(name)
    finished = [e for e in evs if isinstance(e, Finished)]
    assert len(finished) == 1 and finished[0].finish == done(evs).finish
    assert sum(isinstance(e, Done) for e in evs) == 1
    # Every delta's index is a part of the final message, of the right kind.
    content = done(evs).message.content
    for e in evs:
        if isinstance(e, (TextDelta, ThinkingDelta)):
            assert type(content[e.index]).__name__ == (
                "Text" if isinstance(e, TextDelta) else "Thinking"
            )
        if isinstance(e, ToolCallEnd):
            assert content[e.index] == e.call


def test_error_object_without_code_has_no_status() -> None:
    s = google.start(REQ)
    s, _ = google.step(s, Sse(data='{"candidates":[{"content":{"parts":[{"text":"so far"}]}}]}'))
    with pytest.raises(errors.RateLimited) as e:
        google.step(s, Sse(data='{"error":{"message":"slow down","status":"RESOURCE_EXHAUSTED"}}'))
    assert e.value.status is None and e.value.retryable  # llmkit never invents a status
    assert e.value.partial is not None and e.value.partial.text == "so far"


def test_blank_events_are_ignored() -> None:
    s = google.start(REQ)
    assert google.step(s, Sse(data="")) == (s, [])


SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=4)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([3.0, -0.0, 1e300, 2.5])
)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=4))
def test_call_arguments_get_whole_numbers_as_the_walk_over_them_gives(args: dict[str, Any]) -> None:
    """The decoders' float hook (`_wire.whole_number`) gives what walking the
    decoded arguments (`whole_floats`, the history path's way) gives, streamed
    and whole: 3.0 is 3 at any depth, 2.5 stays, the argument text is their JSON."""
    from llmkit.providers.google._history import whole_floats

    content = {"role": "model", "parts": [{"functionCall": {"name": "f", "args": args}}]}
    chunk = {"candidates": [{"content": content, "finishReason": "STOP", "index": 0}]}
    body = json.dumps(chunk).encode()  # json writes floats with a fraction or exponent
    want = whole_floats(msgspec.json.decode(json.dumps(args)))
    (call,) = google.parse_response(body).tool_calls
    assert call.arguments == want and repr(call.arguments) == repr(want)  # ints stay ints
    _, out = google.step(google.start(REQ), Sse(data=body.decode()))
    (delta,) = [e for e in out if isinstance(e, ToolCallDelta)]
    assert msgspec.json.decode(delta.arguments) == want


def test_a_long_text_keeps_few_objects_and_every_character() -> None:
    """Every 64 streamed text chunks are merged into one (`rope_merged`): the
    answer is the same, and the fold keeps ~n/64 pieces alive, not n."""
    from llmkit.providers._common import cons_items

    words = [f"w{i} " for i in range(1000)]
    s = google.start(REQ)
    for w_ in words:
        chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": w_}]},
                                 "index": 0}]}  # fmt: skip
        s, _ = google.step(s, Sse(data=json.dumps(chunk)))
    assert len(cons_items(s.rope)) <= 64 + 1000 // 64
    last = {"candidates": [{"content": {"role": "model", "parts": [{"text": "."}]},
                            "finishReason": "STOP", "index": 0}]}  # fmt: skip
    s, _ = google.step(s, Sse(data=json.dumps(last)))
    (done,) = google.finish(s)
    assert isinstance(done, Done) and done.response.text == "".join(words) + "."
