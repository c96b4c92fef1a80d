"""Block boundary events (issue 14): text, thinking and tool-call blocks open
with a Start event and close with an End event, keyed by the part's index.

For every streamed fixture and recording of every wire, cut anywhere: each
Start has exactly one End after it, every delta sits between its block's Start
and End, no index starts twice, and a finished stream's Done holds at each
started index a part of that block's kind whose text is what its deltas said.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit import transport as tr
from llmkit._render import Style, render
from llmkit.errors import LlmkitError
from llmkit.protocols import Provider
from llmkit.providers import anthropic, google, openai, responses, xai, xai_responses
from llmkit.types import (
    ChatRequest,
    Done,
    Message,
    StreamEvent,
    Text,
    TextDelta,
    TextEnd,
    TextStart,
    Thinking,
    ThinkingDelta,
    ThinkingEnd,
    ThinkingStart,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
)
from tests.replay import CORPUS, FIXTURES, call_for, transport

REQ = ChatRequest(model="m", messages=[Message(role="user", content=[Text(text="q")])], stream=True)
WIRES: dict[str, Provider] = {
    "anthropic": anthropic, "openai": openai, "xai": xai, "google": google,
    "openai-responses": responses, "xai-responses": xai_responses,
}  # fmt: skip
# Recordings in the shared corpus served by the same wires (cloud routes' own
# framings aside).
CORPUS_WIRES = {**WIRES, "vertex-anthropic": anthropic, "vertex-gemini": google}

_OPENS: dict[type, str] = {TextStart: "text", ThinkingStart: "thinking", ToolCallStart: "tool"}
_DELTAS: dict[type, str] = {TextDelta: "text", ThinkingDelta: "thinking", ToolCallDelta: "tool"}
_ENDS: dict[type, str] = {TextEnd: "text", ThinkingEnd: "thinking", ToolCallEnd: "tool"}
_PARTS: dict[str, type] = {"text": Text, "thinking": Thinking, "tool": ToolCall}


def _streams() -> list[Any]:
    found = [(p, WIRES[p.parent.name]) for v in WIRES for p in sorted((FIXTURES / v).glob("*.sse"))]
    found += [
        (p, wire)
        for v, wire in CORPUS_WIRES.items()
        for p in sorted((CORPUS / v).glob("*.sse"))
        if CORPUS.is_dir()
    ]
    return [pytest.param(path, wire, id=f"{path.parent.name}/{path.name}") for path, wire in found]


STREAMS = _streams()


def events_of(wire: Provider, body: bytes, cuts: list[int]) -> tuple[list[StreamEvent], bool]:
    """The events the stream gave (up to a typed error), and whether it ended in Done."""
    got: list[StreamEvent] = []
    with httpx.Client(transport=transport(body, cuts=cuts)) as client:
        try:
            got.extend(tr.stream(call_for(wire), client, REQ))  # keeps what came before
        except LlmkitError:  # a recorded error: what came before it still holds
            return got, False
    return got, True


def check_blocks(events: list[StreamEvent], complete: bool) -> None:
    open_: dict[int, str] = {}  # index -> kind of the blocks open now
    started: dict[int, str] = {}
    said: dict[int, list[str]] = {}
    for ev in events:
        kind = type(ev)
        if kind in _OPENS:
            i = ev.index  # type: ignore[attr-defined]
            assert i not in started, f"block {i} started twice: {ev!r}"
            started[i] = open_[i] = _OPENS[kind]
            said[i] = []
        elif kind in _DELTAS:
            i = ev.index  # type: ignore[attr-defined]
            assert open_.get(i) == _DELTAS[kind], f"{ev!r} outside an open {_DELTAS[kind]} block"
            said[i].append(ev.text if kind is not ToolCallDelta else ev.arguments)  # type: ignore[attr-defined]
        elif kind in _ENDS:
            i = ev.index  # type: ignore[attr-defined]
            assert open_.pop(i, None) == _ENDS[kind], f"{ev!r} ends no open block"
        elif isinstance(ev, Done):
            assert ev is events[-1]
            assert not open_, f"blocks {sorted(open_)} never ended"
            content = ev.response.message.content
            for i, k in started.items():
                part = content[i]
                assert isinstance(part, _PARTS[k]), f"block {i} is a {k}, the part {part!r}"
                if isinstance(part, (Text, Thinking)):
                    assert "".join(said[i]) == part.text
    assert complete == isinstance(events[-1] if events else None, Done)


@pytest.mark.parametrize(("path", "wire"), STREAMS)
@settings(max_examples=20)  # per stream: about a hundred streams
@given(data=st.data())
def test_blocks_open_and_close_whatever_the_chunking(
    path: Path, wire: Provider, data: st.DataObject
) -> None:
    body = path.read_bytes()
    cuts = data.draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=8), label="cuts")
    whole, complete = events_of(wire, body, [])
    got, _ = events_of(wire, body, cuts)
    assert got == whole
    check_blocks(got, complete)


def test_every_wire_has_a_stream_with_each_block_kind() -> None:
    """The property above is not vacuous: each wire's fixtures open text blocks,
    and thinking and tool blocks where the wire streams them."""
    seen: dict[str, set[str]] = {}
    for param in STREAMS:
        path, wire = param.values
        if path.parent.parent != FIXTURES:
            continue
        got, _ = events_of(wire, path.read_bytes(), [])
        seen.setdefault(path.parent.name, set()).update(
            _OPENS[type(e)] for e in got if type(e) in _OPENS
        )
    assert seen == {
        "anthropic": {"text", "thinking", "tool"},
        "openai": {"text", "tool"},
        "xai": {"text", "thinking", "tool"},
        "google": {"text", "thinking", "tool"},
        "openai-responses": {"text", "thinking", "tool"},
        "xai-responses": {"thinking", "tool"},
    }


def test_a_block_ends_when_another_kind_starts() -> None:
    """Chat Completions has no blocks: reasoning, then text, then a call, then
    text again give four blocks, each closed when the next opens."""
    chunks = [
        {"reasoning_content": "hm"},
        {"content": "Let me look."},
        {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}]},
        {"content": "done"},
    ]
    body = b"".join(
        b'data: {"id":"x","model":"m","choices":[{"index":0,"delta":%s}]}\n\n'
        % json.dumps(d).encode()
        for d in chunks
    )
    body += b'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
    body += b"data: [DONE]\n\n"
    got, complete = events_of(xai, body, [])
    check_blocks(got, complete)
    names = [type(e).__name__ for e in got if type(e) in {**_OPENS, **_ENDS}]
    assert names == [
        "ThinkingStart", "ThinkingEnd", "TextStart", "TextEnd", "ToolCallStart",
        "TextStart", "TextEnd", "ToolCallEnd",
    ]  # fmt: skip
    kinds = [type(p).__name__ for p in got[-1].response.message.content]  # type: ignore[attr-defined]
    assert kinds == ["Thinking", "Text", "ToolCall", "Text"]


def test_render_ends_the_thinking_when_its_block_does() -> None:
    events: list[StreamEvent] = [
        ThinkingStart(index=0), ThinkingDelta(index=0, text="hm"), ThinkingEnd(index=0),
        TextStart(index=1), TextDelta(index=1, text="Hi"), TextEnd(index=1),
        TextStart(index=2), TextDelta(index=2, text=" there"), TextEnd(index=2),
    ]  # fmt: skip
    out = io.StringIO()
    render(events, out, Style(dim="<", reset=">"))
    assert out.getvalue() == "<[thinking] hm>\nHi there"


def test_the_server_sends_block_boundaries() -> None:
    pytest.importorskip("starlette")
    from llmkit.server._sse import _frame

    assert _frame(ThinkingEnd(index=2)) == (
        b'event: thinking_end\ndata: {"type":"thinking_end","index":2}\n\n'
    )


def test_a_responses_call_never_added_still_opens_and_closes() -> None:
    """Without `output_item.added` (a proxy that drops it), a call's first
    argument delta opens its block and its `output_item.done` closes it."""
    frames = (FIXTURES / "openai-responses" / "parallel_tools.sse").read_bytes().split(b"\n\n")
    body = b"\n\n".join(
        f for f in frames if not (b"output_item.added" in f and b'"function_call"' in f)
    )
    assert len(body) < sum(map(len, frames))
    got, complete = events_of(responses, body, [])
    check_blocks(got, complete)
    assert complete and sum(isinstance(e, ToolCallStart) for e in got) >= 2
