"""Bad input gets a clear error: whatever JSON a vendor sends, in whatever
shape, every provider answers with a response or a typed llmkit error, never a
KeyError, TypeError, AttributeError or IndexError. Hypothesis mutates real
fixture events (keys dropped, values swapped for other JSON) and invents bodies."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx_sse
from hypothesis import given
from hypothesis import strategies as st

from llmkit.errors import ApiError, LlmkitError
from llmkit.protocols import Provider, Sse
from llmkit.providers import anthropic, google, openai, responses, xai, xai_responses
from llmkit.types import ChatRequest, Message, Options, Text, Tool
from tests import strategies as s
from tests.replay import FIXTURES, base_url_of

PROVIDERS: dict[str, Provider] = {
    "anthropic": anthropic, "openai": openai, "xai": xai, "google": google,
    "openai-responses": responses, "xai-responses": xai_responses,
}  # fmt: skip
REQ = ChatRequest(model="m", messages=[Message(role="user", content=[Text(text="q")])], stream=True)

json_leaf = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5)
json_value: st.SearchStrategy[Any] = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _events(path: Path) -> list[Sse]:
    """A fixture's SSE events, parsed the way the transport parses them."""
    lines = httpx_sse._decoders.SSELineDecoder()
    decoder = httpx_sse._decoders.SSEDecoder()
    out = []
    for line in [*lines.decode(path.read_text()), *lines.flush(), ""]:
        ev = decoder.decode(line)
        if ev is not None:
            out.append(Sse(event=ev.event, data=ev.data))
    return out


STREAMS = {
    v: [e for p in sorted((FIXTURES / v).glob("*.sse")) for e in _events(p)] for v in PROVIDERS
}


def _paths(obj: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [at, *(p for k, v in obj.items() for p in _paths(v, (*at, k)))]
    if isinstance(obj, list):
        return [at, *(p for i, v in enumerate(obj) for p in _paths(v, (*at, i)))]
    return [at]


def _mutate(obj: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        if drop and not rest:
            return {k: v for k, v in obj.items() if k != head}
        return {**obj, head: _mutate(obj[head], rest, new, drop)}
    copy = list(obj)
    copy[head] = _mutate(obj[head], rest, new, drop)
    return copy


@st.composite
def broken_streams(draw: st.DrawFn, vendor: str) -> list[Sse]:
    """A real stream with a few of its events bent out of shape."""
    events = list(draw(st.sampled_from([STREAMS[vendor]])))
    start = draw(st.integers(0, max(0, len(events) - 12)))
    events = events[start : start + 12]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(events) - 1))
        try:
            data = json.loads(events[i].data)
        except ValueError:
            continue
        path = draw(st.sampled_from(_paths(data)))
        bent = _mutate(data, path, draw(json_value), draw(st.booleans()))
        events[i] = Sse(event=events[i].event, data=json.dumps(bent))
    return events


def _fold(p: Provider, events: list[Sse]) -> None:
    s = p.start(REQ)
    try:
        for ev in events:
            s, _ = p.step(s, ev)
        p.finish(s)
    except LlmkitError:
        p.snapshot(s)  # what the transport attaches to the error must build too


@given(st.data())
def test_bent_streams_give_typed_errors_only(data: st.DataObject) -> None:
    vendor = data.draw(st.sampled_from(sorted(PROVIDERS)))
    _fold(PROVIDERS[vendor], data.draw(broken_streams(vendor)))


@given(st.sampled_from(sorted(PROVIDERS)), json_value)
def test_any_json_body_is_a_response_or_a_typed_error(vendor: str, body: Any) -> None:
    with contextlib.suppress(LlmkitError):
        PROVIDERS[vendor].parse_response(json.dumps(body).encode())


@given(
    st.sampled_from(sorted(PROVIDERS)), st.integers(400, 599), json_value | st.binary(max_size=20)
)
def test_any_error_body_maps_to_an_api_error(vendor: str, status: int, body: Any) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    err = PROVIDERS[vendor].parse_error(status, {}, raw)
    assert isinstance(err, ApiError) and err.status == status


@given(
    st.sampled_from(sorted(PROVIDERS)),
    st.lists(st.tuples(st.text(max_size=20), json_value), max_size=5),
)
def test_invented_events_give_typed_errors_only(vendor: str, raw: list[tuple[str, Any]]) -> None:
    names = ["message_start", "content_block_start", "content_block_delta", "message_delta",
             "error", "message", ""]  # fmt: skip
    events = [Sse(event=names[len(n) % len(names)], data=json.dumps(d)) for n, d in raw]
    _fold(PROVIDERS[vendor], events)


@given(
    st.sampled_from(sorted(PROVIDERS)),
    st.lists(s.messages, min_size=1, max_size=5),
    st.lists(s.tools, max_size=2),
    st.sampled_from(["drop", "text"]),
)
def test_any_history_builds_a_request_or_says_what_is_unsupported(
    vendor: str, history: list[Message], tools: list[Tool], policy: str
) -> None:
    p = PROVIDERS[vendor]
    model = {"anthropic": "claude-sonnet-4-5", "google": "gemini-3.8-flash"}.get(vendor, "gpt-4o")
    options = Options(foreign_thinking=policy)  # type: ignore[arg-type]
    req = ChatRequest(model=model, messages=history, tools=tools, options=options)
    try:
        hr = p.build_request(req, base_url_of(p))
    except LlmkitError:
        return
    json.loads(hr.body or b"{}")
