"""Whole Responses answers and error bodies (fixtures in the recorded shape)."""

from __future__ import annotations

from pathlib import Path

import httpx
import msgspec
import pytest

import llmkit
from llmkit.errors import InvalidRequest, NotFound, RateLimited, Unsupported
from llmkit.providers import responses, xai_responses
from llmkit.types import ChatRequest, Finish, Message, Options, Raw, Text, ToolCall, Usage
from tests.replay import CORPUS, FIXTURES, TEST_KEY, base_url_of, transport

OA = FIXTURES / "openai-responses"
XA = FIXTURES / "xai-responses"


def test_text_exactly() -> None:
    r = responses.parse_response((OA / "text.json").read_bytes())
    assert r.message == Message(
        role="assistant", provider="openai", model="gpt-4.1-2025-04-14",
        content=[Text(text="Hello! How can I help you today?", provider="openai",
                      signature="msg_0a1b2c3d4e5f60718293a4b5c6d7e8f9002")],
    )  # fmt: skip
    assert r.finish == Finish(reason="stop", raw="completed")
    assert r.usage == Usage(input_tokens=18, output_tokens=10)


def test_refusal_and_hosted_items() -> None:
    r = responses.parse_response((OA / "refusal.json").read_bytes())
    assert r.finish.reason == "content_filter" and r.text.startswith("I'm sorry")
    r = responses.parse_response((OA / "hosted_and_function.json").read_bytes())
    assert [type(p) for p in r.message.content] == [Raw, Text, ToolCall]
    assert r.finish.reason == "tool_calls"


class Weather(msgspec.Struct):
    city: str
    celsius: int


STRUCTURED = [
    ("gpt-4o", OA / "structured.json"),
    ("grok-4.20-non-reasoning", XA / "structured.json"),
]


@pytest.mark.parametrize(("model", "path"), STRUCTURED)
def test_structured_output_through_the_public_api(model: str, path: Path) -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(path.read_bytes(), seen=seen)) as client:
        r = llmkit.chat_sync(model, "Weather in Paris as JSON", response_format=Weather,
                             http_client=client, api_key=TEST_KEY)  # fmt: skip
    assert r.parsed == Weather(city="Paris", celsius=14)
    assert seen[0].url.path.endswith("/responses")
    fmt = msgspec.json.decode(seen[0].content)["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["strict"] is True


def test_xai_flat_error_body() -> None:
    err = xai_responses.parse_error(400, {}, (XA / "error_400_flat.json").read_bytes())
    assert isinstance(err, InvalidRequest) and err.provider == "xai"
    assert err.message == "Argument not supported on this model: stop"
    assert err.error_type == "Client specified an invalid argument"


def test_stale_reasoning_errors_are_recognized() -> None:
    stale = responses.parse_error(
        400, {}, (OA / "error_400_invalid_encrypted_content.json").read_bytes()
    )
    gone = responses.parse_error(404, {}, (OA / "error_404_item_not_found.json").read_bytes())
    assert isinstance(stale, InvalidRequest) and isinstance(gone, NotFound)
    assert responses.is_stale_reasoning(stale) and responses.is_stale_reasoning(gone)
    other = responses.parse_error(400, {}, b'{"error": {"message": "bad", "code": null}}')
    assert not responses.is_stale_reasoning(other)


def test_insufficient_quota_is_not_retried() -> None:
    body = CORPUS / "openai-responses" / "vercel_error_429_insufficient_quota.json"
    data = body.read_bytes() if body.exists() else (
        b'{"error": {"message": "quota", "type": "insufficient_quota", "param": null,'
        b' "code": "insufficient_quota"}}')  # fmt: skip
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(data, status=429, seen=seen)) as client, \
            pytest.raises(RateLimited) as e:  # fmt: skip
        llmkit.chat_sync("gpt-4o", "hi", http_client=client, api_key=TEST_KEY, max_retries=2)
    assert len(seen) == 1 and not e.value.retryable


def test_xai_penalties_are_unsupported_on_responses() -> None:
    req = ChatRequest(model="grok-4.7", messages=[Message(role="user", content=[Text(text="q")])],
                      options=Options(extra={"presence_penalty": 0.5}))  # fmt: skip
    with pytest.raises(Unsupported, match="presence_penalty"):
        xai_responses.build_request(req, base_url_of(xai_responses))
