"""Any llmkit event sequence, relayed as `/v1/messages` or `/v1/responses`
SSE events, is accumulated by the official SDK's own stream accumulator
into the content llmkit's `Done` holds (pure: no server, no socket)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from hypothesis import given
from hypothesis import strategies as st
from openai import NOT_GIVEN
from openai._models import construct_type
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ResponseStreamEvent

from llmkit.server import anthropic_compat as ac
from llmkit.server import responses_compat as rc
from llmkit.server._sse import event_stream
from llmkit.types import (
    Done,
    Finish,
    Finished,
    Message,
    Part,
    Response,
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
from tests.gateway_helpers import KEYLESS

text = st.text(min_size=1, max_size=30)
args = st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)
parts = st.one_of(
    st.builds(Text, text=text),
    st.builds(Thinking, text=text, signature=st.just("c2ln"), provider=st.just("anthropic")),
    st.builds(Thinking, text=text, provider=st.sampled_from(["google", "openai"])),
    # Claude's redacted thinking: never streamed, only in Done
    st.builds(Thinking, redacted=st.just("cmVk"), provider=st.just("anthropic")),
    st.builds(
        ToolCall,
        id=st.from_regex(r"toolu_[a-z0-9]{4}", fullmatch=True),
        name=st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
        arguments=args,
    ),
)
usages = st.builds(
    Usage,
    input_tokens=st.integers(100, 10_000),
    output_tokens=st.integers(0, 10_000),
    cache_read_tokens=st.integers(0, 100),
)


def _pieces(data: st.DataObject, s: str) -> list[str]:
    """`s` cut at drawn places (each piece non-empty)."""
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(s) - 1)), max_size=4)))
    edges = [0, *(c for c in cuts if c < len(s)), len(s)]
    return [s[a:b] for a, b in itertools.pairwise(edges) if s[a:b]]


def events_for(data: st.DataObject, content: list[Part], usage: Usage) -> list[StreamEvent]:
    """The events an llmkit fold emits for an answer of `content`."""
    out: list[StreamEvent] = [UsageUpdate(usage=Usage(input_tokens=usage.input_tokens))]
    for i, p in enumerate(content):
        match p:
            case Text(text=t):
                out += [TextDelta(index=i, text=x) for x in _pieces(data, t)]
            case Thinking(redacted=r) if r is not None:
                pass
            case Thinking(text=t, signature=sig):
                out += [ThinkingDelta(index=i, text=x) for x in _pieces(data, t)]
                if sig is not None:
                    out.append(ThinkingDelta(index=i, text="", signature=sig))
            case ToolCall(id=id_, name=name, arguments=a):
                raw = json.dumps(a)
                out.append(ToolCallStart(index=i, id=id_, name=name))
                if data.draw(st.booleans()):  # streamed, or whole at the end
                    out += [ToolCallDelta(index=i, arguments=x) for x in _pieces(data, raw)]
                out.append(ToolCallEnd(index=i, call=p))
    reason = "tool_calls" if any(isinstance(p, ToolCall) for p in content) else "stop"
    resp = Response(
        message=Message(role="assistant", content=content),
        finish=Finish(reason=reason),
        usage=usage,
        provider="anthropic",
    )
    return [*out, UsageUpdate(usage=usage), Finished(finish=resp.finish), Done(response=resp)]


def sse(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for frame in raw.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.split("\n") if line)
        if lines:
            data = json.loads(lines["data"])
            assert data["type"] == lines["event"]
            out.append(data)
    return out


@given(st.data(), st.lists(parts, max_size=5), usages)
def test_anthropic_sdk_accumulates_what_llmkit_answered(
    data: st.DataObject, content: list[Part], usage: Usage
) -> None:
    s, raw = ac.start("msg_1", "any-model", claude=True), b""
    for ev in events_for(data, content, usage):
        s, out = ac.step(s, ev)
        raw += out
    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    for ev in sse(raw):
        if ev["type"] != "ping":
            snapshot = accumulate_event(event=ev, current_snapshot=snapshot, json_bufs=json_bufs)
    assert snapshot is not None
    got = [b.model_dump(exclude_none=True) for b in snapshot.content]
    want = [b for p in content if (b := ac.block(p)) is not None]
    assert [{k: v for k, v in b.items() if k != "parsed_output"} for b in got] == want
    expected = ac.wire_usage(usage)
    assert {k: getattr(snapshot.usage, k) for k in expected} == expected
    assert snapshot.stop_reason == ("tool_use" if "tool_use" in raw.decode() else "end_turn")


@given(st.data(), st.lists(parts, max_size=5), usages)
def test_openai_sdk_accumulates_what_llmkit_answered(
    data: st.DataObject, content: list[Part], usage: Usage
) -> None:
    echo = {"model": "any-model", "tools": [], "tool_choice": "auto", "created_at": 0}
    s, raw = rc.start("resp_1", echo), b""
    for ev in events_for(data, content, usage):
        s, out = rc.step(s, ev)
        raw += out
    state: Any = ResponseStreamState(input_tools=[], text_format=NOT_GIVEN)
    events = sse(raw)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    snapshot: Any = None
    for ev in events[:-1]:  # the accumulated snapshot, not the final response's copy
        state.handle_event(construct_type(type_=ResponseStreamEvent, value=ev))
        snapshot = state._ResponseStreamState__current_snapshot
    assert events[-1]["type"] == "response.completed"
    texts = [c.text for o in snapshot.output if o.type == "message" for c in o.content]
    assert texts == [p.text for p in content if isinstance(p, Text)]
    calls = [
        (o.name, json.loads(o.arguments)) for o in snapshot.output if o.type == "function_call"
    ]
    assert calls == [(p.name, p.arguments) for p in content if isinstance(p, ToolCall)]
    # the SDK's snapshot keeps reasoning items as added: their text is in `.done`
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    thinking = ["".join(x["text"] for x in o["summary"]) for o in done if o["type"] == "reasoning"]
    assert thinking == [p.text for p in content if isinstance(p, Thinking) and not p.redacted]
    # the final response is whole; the stream has every part that streams (not
    # Claude's redacted thinking), in the same order and with the same ids
    final = events[-1]["response"]
    redacted = [p for p in content if isinstance(p, Thinking) and p.redacted]
    assert len(final["output"]) == len(snapshot.output) + len(redacted)
    final["output"] = [o for o in final["output"] if o["id"] in {x.id for x in snapshot.output}]
    assert [o["id"] for o in final["output"]] == [o.id for o in snapshot.output]

    # each item's `.done` is the final response's item (whose reasoning holds the token)
    def plain(o: dict[str, Any]) -> dict[str, Any]:  # arguments: the same JSON, any spacing
        o = {k: v for k, v in o.items() if k != "encrypted_content"}
        return {**o, "arguments": json.loads(o["arguments"])} if "arguments" in o else o

    assert [plain(o) for o in done] == [plain(o) for o in final["output"]]
    assert final["usage"]["input_tokens"] == usage.input_tokens


@pytest.mark.anyio
async def test_a_relay_that_fails_ends_the_stream_with_an_error_frame() -> None:
    """A dialect's frame function raising is an error frame, never a hang or
    a raw exception out of the app."""

    async def events() -> AsyncIterator[StreamEvent]:
        yield TextDelta(index=0, text="a")
        yield TextDelta(index=0, text="b")

    def frame(ev: StreamEvent) -> bytes:
        assert isinstance(ev, TextDelta)
        if ev.text == "b":
            raise ValueError("relay bug")
        return b"data: a\n\n"

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        return {}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app = event_stream(events(), 15.0, KEYLESS, frame=frame)
    with anyio.fail_after(5):
        await app({"type": "http"}, receive, send)
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert body.startswith(b"data: a\n\nevent: error\n")
    assert b"internal_error" in body
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
