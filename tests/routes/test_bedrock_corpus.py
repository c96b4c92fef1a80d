"""Every recorded Bedrock answer in the shared corpus (bedrock-anthropic) through llmkit.

Streams (binary event-stream bodies) are decoded and folded by the Anthropic
wire, and checked against the reference reading of `test_anthropic_corpus`
(a dict accumulator independent of llmkit's fold); the folded Response is
what the non-streamed parse of the same message gives. Non-streamed answers
parse, and the same message sent back as event-stream frames folds to the
same Response. Rows are one per recording, shaped for the shared contract
table (file, kind, status, model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.errors import ApiError, InvalidRequest, PermissionDenied, RateLimited
from llmkit.protocols import Sse
from llmkit.providers import anthropic
from llmkit.routes import _eventstream as es
from llmkit.routes import bedrock
from llmkit.types import ChatRequest, Done, Message, Response, StreamEvent, Text
from tests.providers.test_anthropic_corpus import accumulate, expected, observed, sse_events
from tests.providers.test_anthropic_stream import render_sse
from tests.replay import CORPUS, ROOT, chunks, corpus_rows
from tests.routes import aws_frames as enc

ROWS = list({r["file"]: r for r in corpus_rows("bedrock-anthropic")}.values())
REQ = ChatRequest(
    model="claude-sonnet-4-5", messages=[Message(role="user", content=[Text(text="hi")])]
)
# CountTokens is another operation (a token count, not a message): not a chat
# answer, so not parsed as one. llmkit has no Bedrock token counting yet.
NOT_CHAT = "/count-tokens"


def _rows(kind: str, chat_only: bool = True) -> list[Any]:
    rows = [
        pytest.param(r, id=r["file"].split("/")[-1])
        for r in ROWS
        if r["kind"] == kind and not (chat_only and r["endpoint"].endswith(NOT_CHAT))
    ]
    return rows or [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))]


def fold(events: list[Sse]) -> list[StreamEvent]:
    s = anthropic.start(REQ)
    out: list[StreamEvent] = []
    for ev in events:
        s, evs = anthropic.step(s, ev)
        out += evs
    return out + anthropic.finish(s)


def done(events: list[StreamEvent]) -> Response:
    last = events[-1]
    assert isinstance(last, Done)
    return last.response


def _pairs(events: list[Sse]) -> list[tuple[str, Any]]:
    return [(e.event, json.loads(e.data)) for e in events]


def test_the_manifest_has_every_recording() -> None:
    if not ROWS:
        pytest.skip(f"no corpus at {CORPUS}")
    assert len(ROWS) == 16
    assert sum(r["kind"] == "stream" for r in ROWS) == 5


@pytest.mark.parametrize("row", _rows("stream"))
def test_recorded_stream(row: dict[str, str]) -> None:
    events = es.events((CORPUS / row["file"]).read_bytes())
    message = accumulate(_pairs(events))
    resp = done(fold(events))
    assert observed(resp) == expected(message)
    assert resp.model == row["model"]
    assert resp.id.startswith("msg_bdrk_")
    assert resp == anthropic.parse_response(json.dumps(message).encode())
    stop = next(f for f in row["features"].split(",") if f.startswith("stop:"))
    assert resp.finish.raw == stop.removeprefix("stop:")


@pytest.mark.parametrize("row", _rows("stream"))
@given(cuts=st.lists(st.integers(0, 20000), max_size=25))
def test_recorded_stream_whatever_the_chunks(row: dict[str, str], cuts: list[int]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    events = [e for batch in es.decode(chunks(data, cuts)) for e in batch]
    assert fold(events) == fold(es.events(data))


@pytest.mark.parametrize("row", _rows("json"))
def test_recorded_json(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    message = json.loads(data)
    resp = anthropic.parse_response(data)
    assert observed(resp) == expected(message)
    assert resp.model == row["model"]
    # streamed as Bedrock streams it, the same message gives the same Response
    frames = enc.stream([d for _, d in sse_events(render_sse(message))])
    assert done(fold(es.events(frames))) == resp


@pytest.mark.parametrize("row", _rows("error", chat_only=False))  # any operation's error
def test_recorded_error(row: dict[str, str]) -> None:
    err = bedrock.parse_error(int(row["http_status"]), {}, (CORPUS / row["file"]).read_bytes())
    assert type(err) is InvalidRequest and err.message


@pytest.mark.parametrize("row", _rows("json") + _rows("stream"))
def test_recorded_requests_are_bedrock_bodies(row: dict[str, str]) -> None:
    """What the recording clients sent is the shape `to_bedrock` makes: no
    model, no stream, the Bedrock anthropic_version."""
    request_file = row["request_file"]
    if not request_file:
        pytest.skip("no request recorded")
    body = json.loads((CORPUS / request_file).read_text())
    assert body["anthropic_version"] == bedrock.ANTHROPIC_VERSION
    assert "model" not in body and "stream" not in body


# ---- our own fixtures, in the exact shape ------------------------------------------

OWN = ROOT / "fixtures" / "bedrock-anthropic"


@pytest.mark.parametrize("path", sorted(OWN.glob("*.eventstream")), ids=lambda p: p.stem)
def test_own_fixtures_are_frames_botocore_reads(path: Path) -> None:
    from botocore.eventstream import EventStreamBuffer

    buf = EventStreamBuffer()
    buf.add_data(path.read_bytes())
    theirs = [(m.headers, m.payload) for m in buf]
    assert [(f.headers, f.payload) for f in es.frames(path.read_bytes())] == theirs


def test_own_thinking_and_tool_stream_folds() -> None:
    resp = done(fold(es.events((OWN / "thinking_tool_stream.eventstream").read_bytes())))
    [call] = resp.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "toolu_bdrk_01FixtureToolCall00000000",
        "weather",
        {"location": "Lisbon"},
    )
    assert resp.thinking == "The user wants the weather; call the tool."
    assert (resp.finish.reason, resp.usage.output_tokens) == ("tool_calls", 61)


def test_own_throttled_stream_is_a_rate_limit_after_its_text() -> None:
    data = (OWN / "throttled_midstream.eventstream").read_bytes()
    seen: list[Sse] = []
    with pytest.raises(RateLimited) as info:
        for batch in es.decode(chunks(data, range(0, len(data), 50))):
            seen += batch
    assert info.value.retryable and info.value.status is None
    s = anthropic.start(REQ)
    for ev in seen:
        s, _ = anthropic.step(s, ev)
    assert anthropic.snapshot(s).text == "Olá! Tudo "


@pytest.mark.parametrize(
    ("name", "status", "kind", "cls"),
    [
        ("error_429_throttling.json", 429, "ThrottlingException", RateLimited),
        ("error_403_access_denied.json", 403, "AccessDeniedException", PermissionDenied),
    ],
)
def test_own_error_bodies(name: str, status: int, kind: str, cls: type[ApiError]) -> None:
    body = (OWN / name).read_bytes()
    err = bedrock.parse_error(
        status, {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/"}, body
    )
    assert type(err) is cls and err.message == json.loads(body)["message"]


# ---- requests: what the recording clients sent, rebuilt by llmkit -----------------


@pytest.mark.parametrize("row", _rows("json") + _rows("stream"))
def test_recorded_request_is_rebuilt(row: dict[str, str]) -> None:
    """The recorded conversation in llmkit's types, sent to the model's Bedrock
    id through the route as the transport composes it, is the recorded body
    (up to the spellings `test_anthropic_corpus` treats as equal)."""
    from llmkit import transport as tr
    from tests.providers.test_anthropic_corpus import _canonical, unified

    recorded = json.loads((CORPUS / row["request_file"]).read_text())
    model = f"us.anthropic.{row['model']}-v1:0"
    stream = row["kind"] == "stream"
    req = msgspec.structs.replace(unified({**recorded, "model": model}), stream=stream)
    req = msgspec.structs.replace(
        req,
        options=msgspec.structs.replace(
            req.options,
            extra={k: v for k, v in req.options.extra.items() if k != "anthropic_version"},
        ),
    )
    base = bedrock.host("us-east-1")
    call = tr.Call(provider=anthropic, name="bedrock", base_url=base, key=None, route=bedrock)
    hr = tr._request(call, req)
    op = "invoke-with-response-stream" if stream else "invoke"
    assert hr.url == f"{base}/model/{model.replace(':', '%3A')}/{op}"
    assert _canonical(json.loads(hr.body or b"")) == _canonical(recorded)
