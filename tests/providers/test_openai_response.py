"""Non-streamed responses, finish reasons, usage, errors and model listing."""

from __future__ import annotations

import json

import httpx
import pytest

from llmkit import transport as tr
from llmkit.errors import (
    ApiError,
    AuthenticationError,
    ContextTooLong,
    DecodeError,
    InvalidRequest,
    NotFound,
    Overloaded,
    RateLimited,
    ServerError,
)
from llmkit.providers import openai
from llmkit.providers.openai import _errors, _response
from llmkit.providers.openai._wire import CompletionDetails, PromptDetails, WireUsage
from llmkit.types import ChatRequest, Finish, Message, ModelInfo, Text, ToolCall, Usage
from tests.replay import FIXTURES, call_for, drive_chat, transport

REQ = ChatRequest(model="gpt-4o", messages=[Message(role="user", content=[Text(text="hi")])])


def fixture(name: str) -> bytes:
    return (FIXTURES / "openai" / name).read_bytes()


def test_text_response_through_the_transport() -> None:
    r = drive_chat(openai, REQ, fixture("text.json"))
    assert r.message == Message(
        role="assistant",
        content=[Text(text="The capital of France is Paris.")],
        provider="openai",
        model="gpt-4o-2024-08-06",
    )
    assert r.id is not None and r.id.startswith("chatcmpl-")
    assert (r.model, r.provider) == ("gpt-4o-2024-08-06", "openai")
    assert r.finish == Finish(reason="stop", raw="stop")
    assert r.usage == Usage(input_tokens=24, output_tokens=8)


def test_tool_calls_keep_the_exact_argument_text() -> None:
    r = openai.parse_response(fixture("parallel_tools.json"))
    assert r.text == "Checking both."
    assert r.tool_calls[0] == ToolCall(
        id=r.tool_calls[0].id,
        name="get_weather",
        arguments={"city": "Oslo"},
        raw_arguments='{"city": "Oslo"}',
    )
    assert r.tool_calls[1].arguments == {"timezone": "Europe/Oslo"}
    assert r.finish_reason == "tool_calls"


def test_structured_output_is_json_text() -> None:
    r = openai.parse_response(fixture("structured.json"))
    assert json.loads(r.text) == {"name": "Ada", "born": 1815}


def test_refusal_is_text_with_a_content_filter_finish() -> None:
    r = openai.parse_response(fixture("refusal.json"))
    assert r.text == "I'm sorry, I can't help with that."
    assert r.finish == Finish(reason="content_filter", raw="stop")


@pytest.mark.parametrize(
    ("raw", "has_calls", "refused", "reason"),
    [
        ("stop", False, False, "stop"),
        ("length", False, False, "length"),
        ("tool_calls", True, False, "tool_calls"),
        ("stop", True, False, "tool_calls"),  # forced tool_choice can say "stop"
        ("length", True, False, "length"),
        ("content_filter", False, False, "content_filter"),
        ("function_call", True, False, "tool_calls"),
        ("stop", False, True, "content_filter"),
        ("eos_token", False, False, "other"),  # a compatible server's own word
        (None, False, False, "other"),
    ],
)
def test_finish_mapping(raw: str | None, has_calls: bool, refused: bool, reason: str) -> None:
    assert _response._map_finish(raw, has_calls, refused) == Finish(reason=reason, raw=raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("usage", "xai", "expected"),
    [
        (
            WireUsage(
                prompt_tokens=2310,
                completion_tokens=203,
                prompt_tokens_details=PromptDetails(cached_tokens=2048, cache_write_tokens=100),
                completion_tokens_details=CompletionDetails(reasoning_tokens=192),
            ),
            False,
            Usage(
                input_tokens=2310,
                output_tokens=203,
                cache_read_tokens=2048,
                cache_write_tokens=100,
                reasoning_tokens=192,
            ),
        ),
        (  # xAI: 291 + 26 + 196 = 513 total; reasoning is outside completion_tokens
            WireUsage(
                prompt_tokens=291,
                completion_tokens=26,
                prompt_tokens_details=PromptDetails(cached_tokens=244),
                completion_tokens_details=CompletionDetails(reasoning_tokens=196),
            ),
            True,
            Usage(input_tokens=291, output_tokens=222, cache_read_tokens=244, reasoning_tokens=196),
        ),
        (WireUsage(prompt_tokens=None, completion_tokens=None), False, Usage()),  # nulls
    ],
)
def test_usage_normalization(usage: WireUsage, xai: bool, expected: Usage) -> None:
    from llmkit.providers import xai as xai_module

    dialect = xai_module.DIALECT if xai else openai.DIALECT
    assert _response._map_usage(usage, dialect) == expected


def test_empty_choices_and_unknown_fields_decode() -> None:
    body = b'{"id":"x","model":"m","choices":[],"usage":null,"brand_new_field":{"a":1}}'
    r = openai.parse_response(body)
    assert r.message.content == [] and r.usage == Usage() and r.finish.reason == "other"


def test_unreadable_body_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="unreadable openai body"):
        openai.parse_response(b"<html>502 Bad Gateway</html>")


def test_an_error_object_in_a_200_body_raises_it() -> None:
    with pytest.raises(ServerError) as info:
        openai.parse_response(b'{"error":{"message":"boom","type":"server_error"}}')
    assert info.value.status is None


# ---- errors --------------------------------------------------------------------

ERRORS = [
    ("error_400_context_length.json", 400, ContextTooLong, "context_length_exceeded", False),
    ("error_429_rate_limit.json", 429, RateLimited, "rate_limit_exceeded", True),
    ("error_429_insufficient_quota.json", 429, RateLimited, "insufficient_quota", False),
    ("error_401_invalid_api_key.json", 401, AuthenticationError, "invalid_api_key", False),
    ("error_503_overloaded.json", 503, Overloaded, "server_is_overloaded", True),
]


@pytest.mark.parametrize(("name", "status", "kind", "code", "retryable"), ERRORS)
def test_error_bodies_map_to_kinds(
    name: str, status: int, kind: type[ApiError], code: str, retryable: bool
) -> None:
    err = openai.parse_error(status, {"X-Request-Id": "req_abc"}, fixture(name))
    assert type(err) is kind
    assert (err.status, err.error_type, err.retryable) == (status, code, retryable)
    assert err.request_id == "req_abc" and err.provider == "openai"
    assert err.message == json.loads(fixture(name))["error"]["message"]


def test_429_keeps_rate_limit_headers_and_waits_for_the_exhausted_limit() -> None:
    headers: dict[str, str] = json.loads(fixture("error_429_rate_limit.headers.json"))
    err = openai.parse_error(429, headers, fixture("error_429_rate_limit.json"))
    assert err.retry_after == pytest.approx(1.384)  # tokens are exhausted; requests are not
    assert err.headers["x-ratelimit-remaining-tokens"] == "0"
    assert err.request_id == headers["x-request-id"]


def test_429_through_the_transport_uses_retry_after_first() -> None:
    seen: list[httpx.Request] = []
    headers = {**json.loads(fixture("error_429_rate_limit.headers.json")), "retry-after": "3"}
    body = fixture("error_429_rate_limit.json")
    with httpx.Client(transport=transport(body, status=429, headers=headers, seen=seen)) as c:
        with pytest.raises(RateLimited) as info:
            tr.chat(call_for(openai), c, REQ)
    assert info.value.retry_after == 3.0 and info.value.retryable and len(seen) == 1


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("12ms", 0.012), ("1h2m3.5s", 3723.5), ("", None), ("5x", None)],
)
def test_ratelimit_durations(text: str, seconds: float | None) -> None:
    assert _errors.duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_non_json_error_body_keeps_its_text() -> None:
    err = openai.parse_error(502, {}, b"<html>Bad gateway</html>")
    assert type(err) is ServerError and err.message == "<html>Bad gateway</html>"
    assert err.retryable


def test_unknown_code_falls_back_to_the_status() -> None:
    body = b'{"error":{"message":"nope","type":"weird_error","code":"brand_new"}}'
    assert type(openai.parse_error(404, {}, body)) is NotFound
    assert type(openai.parse_error(400, {}, body)) is InvalidRequest
    # OpenAI types a missing key `invalid_request_error` too: the 401 decides
    no_key = (
        b'{"error":{"message":"You didn\'t provide an API key.","type":"invalid_request_error"}}'
    )
    assert type(openai.parse_error(401, {}, no_key)) is AuthenticationError


# ---- models --------------------------------------------------------------------


def test_list_models_live() -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(fixture("models.json"), seen=seen)) as c:
        models = tr.list_models(call_for(openai), c)
    assert seen[0].method == "GET" and str(seen[0].url) == "https://api.openai.com/v1/models"
    assert models[:2] == [
        ModelInfo(id="gpt-6-astra", provider="openai", available=True),
        ModelInfo(id="gpt-5.6-sol", provider="openai", available=True),
    ]
    assert models[-1].id.startswith("ft:gpt-4o-mini")


def test_catalog_entries_are_well_formed() -> None:
    ids = [m.id for m in openai.MODELS]
    assert len(ids) == len(set(ids)) and "gpt-6-astra" in ids and "o4-mini" in ids
    for m in openai.MODELS:
        assert m.provider == "openai" and m.context_window and m.max_output
        assert "tools" in m.capabilities
