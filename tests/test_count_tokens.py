"""Token counting through the real transport: the count request is the chat
request moved to the vendor's counting endpoint, checked against the official
SDKs' parameter types for those endpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_type_hints

import httpx
import pytest
from anthropic.types import message_count_tokens_params
from openai.types.responses import input_token_count_params

import llmkit
from llmkit.api import CallSpec, _prepare
from llmkit.errors import DecodeError, RateLimited, Unsupported

FIX = Path(__file__).resolve().parent.parent / "fixtures"
SYSTEM = "You answer in one word."


@llmkit.tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


CONVERSATION = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "Weather in Paris?"},
]


def vendor(answer: str | httpx.Response, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=json.loads((FIX / answer).read_text()))

    return httpx.MockTransport(handler)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "XAI_API_KEY"):
        monkeypatch.setenv(env, f"test-{env.lower()}-not-real")


def chat_body(model: str, **options: Any) -> dict[str, Any]:
    """What `chat` would send for the same arguments."""
    spec = CallSpec(model=model, messages=CONVERSATION, tools=[get_weather], options=options)
    call, req, _ = _prepare(spec)
    body: dict[str, Any] = json.loads(call.provider.build_request(req, call.base_url).body)
    return body


def count(model: str, answer: str | httpx.Response, **options: Any) -> tuple[int, httpx.Request]:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=vendor(answer, seen)) as client:
        n = llmkit.count_tokens_sync(
            model, CONVERSATION, tools=[get_weather], http_client=client, **options
        )
    (request,) = seen
    return n, request


def test_claude_counts_the_messages_body_on_its_endpoint() -> None:
    opts = {"reasoning": {"budget": 2048}, "max_tokens": 4096}
    n, request = count("claude-sonnet-4-5", "count_tokens/anthropic.json", **opts)
    assert n == 2095
    assert str(request.url) == "https://api.anthropic.com/v1/messages/count_tokens"
    assert request.headers["x-api-key"] == "test-anthropic_api_key-not-real"
    assert request.headers["anthropic-version"] == "2023-06-01"
    sent = json.loads(request.content)
    allowed = set(get_type_hints(message_count_tokens_params.MessageCountTokensParams))
    assert set(sent) <= allowed
    # exactly what chat would send, minus what the endpoint does not take
    assert sent == {k: v for k, v in chat_body("claude-sonnet-4-5", **opts).items() if k in allowed}
    assert sent["system"] and sent["tools"] and sent["thinking"]["budget_tokens"] == 2048


def test_gpt_counts_the_responses_body_on_its_endpoint() -> None:
    opts = {"reasoning": {"effort": "low"}, "max_tokens": 500}
    n, request = count("gpt-5", "count_tokens/openai-responses.json", **opts)
    assert n == 81
    assert str(request.url) == "https://api.openai.com/v1/responses/input_tokens"
    assert request.headers["authorization"] == "Bearer test-openai_api_key-not-real"
    sent = json.loads(request.content)
    allowed = set(get_type_hints(input_token_count_params.InputTokenCountParams))
    assert set(sent) <= allowed
    assert sent == {k: v for k, v in chat_body("gpt-5", **opts).items() if k in allowed}
    assert sent["instructions"] == SYSTEM and sent["tools"][0]["name"] == "get_weather"
    assert "store" not in sent and "include" not in sent and "max_output_tokens" not in sent


def test_gemini_counts_the_whole_generate_request() -> None:
    opts = {"temperature": 0.2}
    n, request = count("gemini-2.5-flash", "count_tokens/google.json", **opts)
    assert n == 64
    assert str(request.url) == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens"
    )
    assert json.loads(request.content) == {
        "generateContentRequest": {
            "model": "models/gemini-2.5-flash",
            **chat_body("gemini-2.5-flash", **opts),
        }
    }


@pytest.mark.parametrize("model", ["grok-4", "xai-chat:grok-4", "openai-chat:gpt-4.1"])
def test_no_counting_endpoint_is_unsupported_before_any_io(model: str) -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=vendor("count_tokens/anthropic.json", seen)) as client:
        with pytest.raises(Unsupported):
            llmkit.count_tokens_sync(model, "hi", http_client=client)
    assert seen == []


def test_errors_are_typed_and_retried_as_any_call() -> None:
    limited = httpx.Response(
        429, headers={"retry-after": "0"},
        json={"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}},
    )  # fmt: skip
    seen: list[httpx.Request] = []
    with httpx.Client(transport=vendor(limited, seen)) as client:
        with pytest.raises(RateLimited, match="Slow down"):
            llmkit.count_tokens_sync("claude-sonnet-4-5", "hi", http_client=client, max_retries=1)
    assert len(seen) == 2
    odd = httpx.Response(200, json={"tokens": 3})
    with pytest.raises(DecodeError, match="input_tokens"):
        count("claude-sonnet-4-5", odd)


@pytest.mark.anyio
async def test_async_twin() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=vendor("count_tokens/google.json", seen)) as client:
        n = await llmkit.count_tokens("gemini-2.5-flash", "hi", http_client=client)
    assert n == 64 and seen[0].url.path.endswith(":countTokens")
