"""Every stream fold is pure: `step` leaves the state it was given as it was,
and the same state and event always give the same answer. The folds keep the
part being streamed apart from the rest of their state for speed; this checks
that no such shortcut shares anything a later step changes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx_sse
import pytest

from llmkit.errors import LlmkitError
from llmkit.providers import anthropic, google, openai, responses, xai, xai_responses
from llmkit.types import ChatRequest, Message, Text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REQ = ChatRequest(model="m", messages=[Message(role="user", content=[Text(text="hi")])])
PROVIDERS = {"anthropic": anthropic, "openai": openai, "xai": xai, "google": google,
             "openai-responses": responses, "xai-responses": xai_responses}  # fmt: skip


def _events(body: bytes) -> list[httpx_sse.ServerSentEvent]:
    decoder = httpx_sse._decoders.SSEDecoder()
    out = []
    for line in body.decode().replace("\r\n", "\n").split("\n"):
        ev = decoder.decode(line)
        if ev is not None:
            out.append(ev)
    return out


STREAMS = sorted(
    (vendor, path.name)
    for vendor in PROVIDERS
    if (FIXTURES / vendor).is_dir()
    for path in (FIXTURES / vendor).glob("*.sse")
)


def _answer(p: Any, state: Any, ev: httpx_sse.ServerSentEvent) -> Any:
    try:
        return p.step(state, ev)
    except LlmkitError as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize(("vendor", "name"), STREAMS)
def test_step_leaves_its_state_alone_and_repeats_itself(vendor: str, name: str) -> None:
    p = PROVIDERS[vendor]
    state = p.start(REQ)
    for ev in _events((FIXTURES / vendor / name).read_bytes()):
        before = copy.deepcopy(state)
        first = _answer(p, state, ev)
        assert state == before  # nothing reachable from the old state changed
        assert _answer(p, state, ev) == first  # and stepping it again is the same step
        if not isinstance(first, tuple) or isinstance(first[0], str):
            return  # the stream ended in an error: nothing more to fold
        state = first[0]


def _sse(kind: str, data: dict[str, Any]) -> httpx_sse.ServerSentEvent:
    return httpx_sse.ServerSentEvent(event=kind, data=json.dumps({"type": kind, **data}))


def _tool_delta(i: int, text: str) -> httpx_sse.ServerSentEvent:
    delta = {"type": "input_json_delta", "partial_json": text}
    return _sse("content_block_delta", {"index": i, "delta": delta})


def test_interleaved_anthropic_blocks_stay_pure() -> None:
    # Deltas alternate between two open tool blocks, so the block being
    # streamed changes on every event.
    start = {"type": "tool_use", "name": "f", "input": {}}
    message = {"id": "m", "model": "m", "role": "assistant", "content": [], "usage": {}}
    events = [
        _sse("message_start", {"message": message}),
        _sse("content_block_start", {"index": 0, "content_block": {**start, "id": "a"}}),
        _sse("content_block_start", {"index": 1, "content_block": {**start, "id": "b"}}),
        *(_tool_delta(i % 2, t) for i, t in enumerate(['{"x"', '{"y"', ": 1}", ": 2}"])),
        _sse("content_block_stop", {"index": 1}),
        _sse("content_block_stop", {"index": 0}),
        _sse("message_delta", {"delta": {"stop_reason": "tool_use"}, "usage": {}}),
        _sse("message_stop", {}),
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
