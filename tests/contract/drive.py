"""Running a wire two ways: as a pure fold over parsed events (the reference)
and through llmkit's public API and real transport over `httpx.MockTransport`.
Outcomes compare whole: every event, then `Done` or the typed error with the
partial response it carries."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, NamedTuple

import httpx

import llmkit
from llmkit.errors import LlmkitError
from llmkit.protocols import SseEvent
from llmkit.registry import DEFAULT, with_endpoint
from llmkit.types import ChatRequest, Message, StreamEvent, Text
from tests.contract.table import WIRES, module
from tests.replay import TEST_KEY, transport

QUESTION = [Message(role="user", content=[Text(text="q")])]


def request(name: str) -> ChatRequest:
    return ChatRequest(model=WIRES[name].model, messages=QUESTION, stream=True)


class Outcome(NamedTuple):
    events: list[StreamEvent]
    error: tuple[str, str, Any] | None  # (type, message, partial)


def _error(e: LlmkitError) -> tuple[str, str, Any]:
    return type(e).__name__, str(e), getattr(e, "partial", None)


def fold(p: Any, req: ChatRequest, events: Iterable[SseEvent], *, pure: bool = False) -> Outcome:
    """`start`, `step` each event, `finish`. With `pure`, every step is checked
    to leave its state as it was and to give the same answer twice."""
    out: list[StreamEvent] = []
    s = p.start(req)
    try:
        for ev in events:
            if pure:
                before = copy.deepcopy(s)
                try:
                    first: Any = p.step(s, ev)
                except LlmkitError as e:
                    first = _error(e)
                assert s == before, "step changed the state it was given"
                try:
                    again: Any = p.step(s, ev)
                except LlmkitError as e:
                    again = _error(e)
                assert again == first, "the same step gave another answer"
                if not isinstance(first, tuple) or isinstance(first[0], str):
                    return Outcome(out, first)
                s, got = first
            else:
                s, got = p.step(s, ev)
            out += got
        out += p.finish(s)
    except LlmkitError as e:
        return Outcome(out, _error(e))
    return Outcome(out, None)


def _model(name: str) -> str:
    # The endpoint is named as the wire names itself, so what the transport
    # stamps on the answer is what `parse_response` stamps.
    return f"{module(name).NAME}:{WIRES[name].model}"


def _registry(name: str) -> llmkit.registry.Registry:
    url = "https://contract.invalid"
    return with_endpoint(DEFAULT, module(name).NAME, base_url=url, wire=name)


def through_transport(name: str, data: bytes, cuts: Iterable[int] = ()) -> Outcome:
    """The events llmkit.stream_sync yields when the vendor sends `data`."""
    out: list[StreamEvent] = []
    mock = transport(data, cuts=cuts, content_type="text/event-stream")
    with httpx.Client(transport=mock) as client:
        try:
            with llmkit.stream_sync(
                _model(name), QUESTION, api_key=TEST_KEY, http_client=client,
                registry=_registry(name), max_retries=0,
            ) as events:  # fmt: skip
                out.extend(events)
        except LlmkitError as e:
            return Outcome(out, _error(e))
    return Outcome(out, None)


async def athrough_transport(name: str, data: bytes, cuts: Iterable[int] = ()) -> Outcome:
    out: list[StreamEvent] = []
    mock = transport(data, cuts=cuts, content_type="text/event-stream")
    async with httpx.AsyncClient(transport=mock) as client:
        try:
            events = llmkit.stream(
                _model(name), QUESTION, api_key=TEST_KEY, http_client=client,
                registry=_registry(name), max_retries=0,
            )  # fmt: skip
            async for ev in events:
                out.append(ev)
        except LlmkitError as e:
            return Outcome(out, _error(e))
    return Outcome(out, None)


def chat_through_transport(name: str, body: bytes) -> Any:
    """What llmkit.chat_sync returns when the vendor answers `body`."""
    mock = transport(body, content_type="application/json")
    with httpx.Client(transport=mock) as client:
        return llmkit.chat_sync(
            _model(name), QUESTION, api_key=TEST_KEY, http_client=client,
            registry=_registry(name), max_retries=0,
        )  # fmt: skip
