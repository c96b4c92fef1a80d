"""Anthropic errors (status and error.type -> llmkit kinds, headers kept) and
models (catalog, live listing through the real transport)."""

from __future__ import annotations

import json
from typing import Any

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
    PermissionDenied,
    RateLimited,
    ServerError,
)
from llmkit.protocols import Provider
from llmkit.providers import anthropic
from llmkit.registry import DEFAULT, resolve
from llmkit.types import ChatRequest, Message, Text
from tests.replay import FIXTURES, call_for, drive_chat

DIR = FIXTURES / "anthropic"
REQ = ChatRequest(
    model="claude-sonnet-4-5", messages=[Message(role="user", content=[Text(text="hi")])]
)


def recorded(name: str) -> tuple[int, dict[str, str], bytes]:
    meta = json.loads((DIR / f"{name}.headers.json").read_text())
    return meta["status"], meta["headers"], (DIR / f"{name}.json").read_bytes()


def test_module_is_a_provider_and_is_routed_for_claude() -> None:
    p: Provider[anthropic.State] = anthropic  # mypy checks the module against the Protocol
    assert p.NAME == "anthropic"
    assert DEFAULT.endpoints["anthropic"].key_env == ("ANTHROPIC_API_KEY",)
    assert resolve("claude-opus-5-5", DEFAULT).endpoint.wire == "llmkit.providers.anthropic"


def test_429_through_the_transport_keeps_rate_limit_headers() -> None:
    status, headers, body = recorded("error_429")
    with pytest.raises(RateLimited) as info:
        drive_chat(anthropic, REQ, body, status=status, headers=headers)
    err = info.value
    assert err.status == 429
    assert err.error_type == "rate_limit_error"
    assert err.request_id == "req_011CVq2Wn5Ek8Rt1Yu4Io7Pa"
    assert err.retry_after == 17.0
    assert err.retryable
    assert err.headers["anthropic-ratelimit-input-tokens-remaining"] == "0"
    assert err.headers["anthropic-ratelimit-requests-reset"] == "2026-11-23T21:15:01Z"
    assert "450,000 input tokens per minute" in str(err)


def test_529_is_overloaded_and_retried_by_the_transport() -> None:
    status, headers, body = recorded("error_529")
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return httpx.Response(status, headers=headers, content=body)
        return httpx.Response(200, content=(DIR / "text.json").read_bytes())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        resp = tr.chat(call_for(anthropic, max_retries=1), client, REQ)
    assert len(attempts) == 2
    assert resp.text.startswith("Bonjour")
    err = anthropic.parse_error(status, headers, body)
    assert isinstance(err, Overloaded)
    assert (err.status, err.retryable, err.request_id) == (
        529,
        True,
        "req_011CVr3Xo6Fl9Su2Zv5Jp8Qb",
    )


@pytest.mark.parametrize(
    ("name", "kind", "retryable"),
    [
        ("error_400_context", ContextTooLong, False),
        ("error_413", InvalidRequest, False),
        ("error_429_spend_limit", RateLimited, False),  # the monthly cap: do not retry
    ],
)
def test_recorded_error_kinds(name: str, kind: type[ApiError], retryable: bool) -> None:
    status, headers, body = recorded(name)
    err = anthropic.parse_error(status, headers, body)
    assert type(err) is kind
    assert err.status == status
    assert err.retryable is retryable
    assert err.request_id == headers["request-id"]


@pytest.mark.parametrize(
    ("status", "error_type", "message", "kind"),
    [
        (400, "invalid_request_error", "max_tokens: 5000000 > 128000", InvalidRequest),
        (400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum",
         ContextTooLong),
        (400, "invalid_request_error",
         "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000",
         ContextTooLong),
        (401, "authentication_error", "invalid x-api-key", AuthenticationError),
        (402, "billing_error", "credit balance too low", PermissionDenied),
        (403, "permission_error", "no access", PermissionDenied),
        (404, "not_found_error", "model: claude-x", NotFound),
        (413, "request_too_large", "too big", InvalidRequest),
        (429, "rate_limit_error", "slow down", RateLimited),
        (500, "api_error", "internal", ServerError),
        (504, "timeout_error", "timed out", ServerError),
        (529, "overloaded_error", "Overloaded", Overloaded),
        (418, "brand_new_error", "teapot", ApiError),
    ],
)  # fmt: skip
def test_error_type_table(status: int, error_type: str, message: str, kind: type[ApiError]) -> None:
    body = json.dumps(
        {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_1"}
    ).encode()
    err = anthropic.parse_error(status, {}, body)
    assert type(err) is kind
    assert (err.status, err.error_type, err.message, err.request_id) == (
        status,
        error_type,
        message,
        "req_1",
    )


def test_non_json_error_body() -> None:
    html = b"<html><body>502 Bad Gateway</body></html>"
    err = anthropic.parse_error(502, {"Request-Id": "req_9", "Retry-After": "3"}, html)
    assert isinstance(err, ServerError)
    assert err.message == "<html><body>502 Bad Gateway</body></html>"
    assert err.request_id == "req_9"  # header names are case-insensitive
    assert err.retry_after == 3.0
    assert err.error_type is None


def test_retry_after_ms_wins_and_http_dates_are_left_to_the_transport() -> None:
    body = b'{"type":"error","error":{"type":"rate_limit_error","message":"x"}}'
    assert anthropic.parse_error(429, {"retry-after-ms": "1500"}, body).retry_after == 1.5
    date = {"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}
    assert anthropic.parse_error(429, date, body).retry_after is None


def test_error_messages_never_carry_a_key() -> None:
    key = "-".join(["sk", "ant", "api03", "x" * 40])  # assembled: no key-shaped literal
    leaked = f"invalid x-api-key: {key}"
    body = json.dumps(
        {"type": "error", "error": {"type": "authentication_error", "message": leaked}}
    )
    err = anthropic.parse_error(401, {}, body.encode())
    assert "xxxxxxxx" not in str(err)
    assert "xxxxxxxx" not in err.body


def test_unreadable_success_body_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        anthropic.parse_response(b'{"content": "not a list"')
    with pytest.raises(DecodeError):
        anthropic.parse_response(b'{"content": 3}')


# ---- models -------------------------------------------------------------------------------


def test_catalog() -> None:
    ids = [m.id for m in anthropic.MODELS]
    assert len(ids) == len(set(ids))
    assert "claude-sonnet-4-20250514" in ids
    assert "claude-opus-5-5" in ids
    for m in anthropic.MODELS:
        assert m.provider == "anthropic"
        assert m.context_window and m.max_output and m.context_window > m.max_output
        assert "tools" in m.capabilities
        assert any(c.startswith("thinking.types.") for c in m.capabilities)
    info = anthropic.model_info("claude-haiku-4-5-20251001")
    assert info is not None
    assert info.id == "claude-haiku-4-5"
    assert anthropic.model_info("claude-unknown") is None


def test_live_listing_pages_through_the_transport() -> None:
    pages = {
        None: (DIR / "models_page1.json").read_bytes(),
        "claude-sonnet-5-5": (DIR / "models_page2.json").read_bytes(),
    }
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        assert request.headers["anthropic-version"] == "2023-06-01"
        return httpx.Response(200, content=pages[request.url.params.get("after_id")])

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        models = tr.list_models(call_for(anthropic), client)
    assert [str(u) for u in seen] == [
        "https://api.anthropic.com/v1/models?limit=1000",
        "https://api.anthropic.com/v1/models?limit=1000&after_id=claude-sonnet-5-5",
    ]
    assert [m.id for m in models] == [
        "claude-opus-5-5",
        "claude-sonnet-5-5",
        "claude-haiku-4-5-20251001",
    ]
    opus = models[0]
    assert (opus.name, opus.context_window, opus.max_output, opus.available) == (
        "Claude Opus 5.5",
        1_000_000,
        128_000,
        True,
    )
    assert "thinking.types.adaptive" in opus.capabilities
    assert "thinking.types.enabled" not in opus.capabilities
    assert "effort.xhigh" in opus.capabilities
    assert "effort" not in models[2].capabilities


def test_parse_list_models_last_page() -> None:
    page: dict[str, Any] = {"data": [], "has_more": False, "last_id": None}
    assert anthropic.parse_list_models(json.dumps(page).encode()) == ([], None)
