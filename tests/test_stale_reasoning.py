"""Reasoning the vendor can no longer use (another key, model or deployment; an
item without its encrypted content): llmkit sends the conversation once more
without that endpoint's reasoning items, and says so in the log."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

import llmkit
from llmkit.errors import InvalidRequest, NotFound
from llmkit.types import Message, Text, Thinking, ToolResult
from tests.replay import FIXTURES, TEST_KEY

OA = FIXTURES / "openai-responses"


def _history() -> list[Message]:
    turn1 = (OA / "reasoning_turn1.sse").read_bytes()
    with httpx.Client(transport=_serve([(200, turn1)])[0]) as client:
        events = list(llmkit.stream_sync("gpt-6.1-sol", "Weather in Paris?", http_client=client,
                                         api_key=TEST_KEY))  # fmt: skip
    message = events[-1].response.message  # type: ignore[attr-defined]
    assert any(isinstance(p, Thinking) and p.signature for p in message.content)
    call = message.content[-1]
    result = Message(role="tool", content=[ToolResult(tool_call_id=call.id, content="14°C")])
    return [Message(role="user", content=[Text(text="Weather in Paris?")]), message, result]


def _serve(answers: list[tuple[int, bytes]]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        status, body = queue.pop(0)
        kind = "application/json" if body.lstrip().startswith(b"{") else "text/event-stream"
        return httpx.Response(status, headers={"content-type": kind}, content=body)

    return httpx.MockTransport(handler), seen


def _kinds(request: httpx.Request) -> list[str]:
    return [i.get("type", "message") for i in json.loads(request.content)["input"]]


STALE = (OA / "error_400_invalid_encrypted_content.json").read_bytes()
GONE = (OA / "error_404_item_not_found.json").read_bytes()
TEXT = (OA / "text.json").read_bytes()


@pytest.mark.parametrize("error", [STALE, GONE])
def test_chat_retries_once_without_the_reasoning(
    error: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    history = _history()
    t, seen = _serve([(400 if error is STALE else 404, error), (200, TEXT)])
    with httpx.Client(transport=t) as client, caplog.at_level(logging.WARNING, "llmkit"):
        r = llmkit.chat_sync("gpt-6.1-sol", history, http_client=client, api_key=TEST_KEY,
                             max_retries=0)  # fmt: skip
    assert r.text == "Hello! How can I help you today?"
    assert len(seen) == 2
    assert "reasoning" in _kinds(seen[0]) and "reasoning" not in _kinds(seen[1])
    assert _kinds(seen[1]) == ["message", "function_call", "function_call_output"]
    assert "retrying once without it" in caplog.text


def test_a_stream_retries_too() -> None:
    history = _history()
    t, seen = _serve([(400, STALE), (200, (OA / "text.sse").read_bytes())])
    with httpx.Client(transport=t) as client:
        events = list(llmkit.stream_sync("gpt-6.1-sol", history, http_client=client,
                                         api_key=TEST_KEY))  # fmt: skip
    assert events[-1].response.text.startswith("Hello")  # type: ignore[attr-defined]
    assert len(seen) == 2 and "reasoning" not in _kinds(seen[1])


@pytest.mark.anyio
async def test_async_chat_and_stream_retry() -> None:
    history = _history()
    t, seen = _serve(
        [(400, STALE), (200, TEXT), (404, GONE), (200, (OA / "text.sse").read_bytes())]
    )
    async with httpx.AsyncClient(transport=t) as client:
        r = await llmkit.chat("gpt-6.1-sol", history, http_client=client, api_key=TEST_KEY)
        events = [e async for e in llmkit.stream("gpt-6.1-sol", history, http_client=client,
                                                 api_key=TEST_KEY)]  # fmt: skip
    assert r.text.startswith("Hello") and events[-1].response.text.startswith("Hello")  # type: ignore[attr-defined]
    assert [("reasoning" in _kinds(s)) for s in seen] == [True, False, True, False]


def test_only_once_and_only_for_stale_reasoning() -> None:
    history = _history()
    t, seen = _serve([(400, STALE), (400, STALE)])
    with httpx.Client(transport=t) as client, pytest.raises(InvalidRequest):
        llmkit.chat_sync("gpt-6.1-sol", history, http_client=client, api_key=TEST_KEY)
    assert len(seen) == 2
    other = b'{"error": {"message": "bad", "type": "invalid_request_error", "code": null}}'
    t, seen = _serve([(400, other)])
    with httpx.Client(transport=t) as client, pytest.raises(InvalidRequest):
        llmkit.chat_sync("gpt-6.1-sol", history, http_client=client, api_key=TEST_KEY)
    assert len(seen) == 1


def test_no_retry_without_reasoning_to_drop() -> None:
    t, seen = _serve([(404, GONE)])
    with httpx.Client(transport=t) as client, pytest.raises(NotFound):
        llmkit.chat_sync("gpt-6.1-sol", "hi", http_client=client, api_key=TEST_KEY)
    assert len(seen) == 1
