"""Gemini non-streamed answers, errors and model listing (no network)."""

from __future__ import annotations

import httpx
import pytest

from llmkit import errors
from llmkit import transport as tr
from llmkit.providers import google
from llmkit.providers.google import _wire
from llmkit.providers.google._stream import State, _map_finish, _map_usage
from llmkit.types import (
    ChatRequest,
    Finish,
    Image,
    Message,
    Raw,
    Response,
    Text,
    Thinking,
    Usage,
)
from tests.replay import FIXTURES, TEST_KEY, call_for, drive_chat

G = FIXTURES / "google"


def parse(name: str) -> Response:
    return google.parse_response((G / name).read_bytes())


def test_text_keeps_signature_on_its_part() -> None:
    r = parse("text.json")
    (part,) = r.message.content
    assert isinstance(part, Text) and part.provider == "google"
    assert part.text == "Três cidades portuguesas à beira-mar: Porto, Lisboa e Faro."
    assert part.signature is not None and len(part.signature) == 320
    assert r.finish == Finish(reason="stop", raw="STOP")
    # 17 candidates + 151 thoughts generated; thoughts are reasoning.
    assert r.usage == Usage(input_tokens=12, output_tokens=168, reasoning_tokens=151)
    assert (r.model, r.provider, r.id) == ("gemini-3.8-flash", "google", "kQ8jacW2Ocz-vdIP7pqt4Ao")
    assert (r.message.role, r.message.provider, r.message.model) == (
        "assistant",
        "google",
        "gemini-3.8-flash",
    )


def test_thought_parts_become_thinking_and_cached_tokens_are_input() -> None:
    r = parse("thinking.json")
    thinking, text = r.message.content
    assert isinstance(thinking, Thinking) and thinking.provider == "google"
    assert thinking.signature is None and thinking.text.startswith("**Comparing")
    assert isinstance(text, Text) and text.text == "17 + 25 = 42, and doubled that is **84**."
    assert text.signature and text.provider == "google"
    assert r.thinking == thinking.text
    assert r.usage == Usage(
        input_tokens=1040, output_tokens=111, cache_read_tokens=1024, reasoning_tokens=96
    )


def test_function_call_without_id_gets_a_stable_one() -> None:
    r = parse("function_call.json")
    (call,) = r.tool_calls
    assert call.id == "llmkit-gemini-Lw8jaZ2hB7DavdIPzrO8mQ4-0"
    assert call.id == parse("function_call.json").tool_calls[0].id  # deterministic
    assert call.name == "get_weather"
    # args is an object; the whole float 3.0 is the int 3, like the official SDK.
    assert call.arguments == {"city": "Lisbon", "days": 3}
    assert type(call.arguments["days"]) is int
    assert call.raw_arguments is None and call.ok
    assert call.signature and call.provider == "google"
    assert r.finish == Finish(reason="tool_calls", raw="STOP")


def test_parallel_calls_keep_vendor_ids_and_the_first_call_signature() -> None:
    first, second = parse("parallel_calls.json").tool_calls
    assert (first.id, second.id) == ("k3v9q2lx", "p8d0m1zr")
    assert first.signature is not None and second.signature is None
    assert second.arguments == {"timezone": "Europe/Lisbon"}


def test_max_tokens_with_no_parts() -> None:
    r = parse("max_tokens_empty.json")
    assert r.message.content == []
    assert r.finish == Finish(reason="length", raw="MAX_TOKENS")
    assert r.usage == Usage(input_tokens=9, output_tokens=63, reasoning_tokens=63)


def test_prompt_blocked_has_no_candidates() -> None:
    r = parse("safety_block.json")
    assert r.message.content == []
    assert r.finish == Finish(reason="content_filter", raw="SAFETY")
    assert r.usage == Usage(input_tokens=14)


def test_unmodeled_parts_are_kept_raw_in_order() -> None:
    r = parse("code_execution.json")
    assert [type(p) for p in r.message.content] == [Text, Raw, Raw, Text]
    code = r.message.content[1]
    assert code == Raw(
        provider="google",
        data={"executableCode": {"language": "PYTHON", "code": "print(sum(range(101)))\n"}},
    )
    # toolUsePromptTokenCount is prompt the model read: counted as input.
    assert r.usage == Usage(input_tokens=170, output_tokens=52)


def test_model_made_image_and_signed_image() -> None:
    body = (
        b'{"candidates":[{"content":{"role":"model","parts":['
        b'{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},'
        b'{"inlineData":{"mimeType":"image/png","data":"AAAA"},"thoughtSignature":"c2ln"}]},'
        b'"finishReason":"STOP"}]}'
    )
    img, signed = google.parse_response(body).message.content
    assert img == Image(media_type="image/png", data="iVBORw0KGgo=")
    # llmkit's Image has no signature field: keep the whole part for replay.
    assert signed == Raw(
        provider="google",
        data={"inlineData": {"mimeType": "image/png", "data": "AAAA"}, "thoughtSignature": "c2ln"},
    )


def test_only_candidate_zero_is_read() -> None:
    body = (
        b'{"candidates":[{"index":1,"content":{"parts":[{"text":"B"}]},"finishReason":"STOP"},'
        b'{"index":0,"content":{"parts":[{"text":"A"}]},"finishReason":"MAX_TOKENS"}]}'
    )
    r = google.parse_response(body)
    assert (r.text, r.finish.raw) == ("A", "MAX_TOKENS")


@pytest.mark.parametrize(
    ("raw", "calls", "reason"),
    [
        ("STOP", 0, "stop"),
        ("STOP", 2, "tool_calls"),
        ("MAX_TOKENS", 0, "length"),
        ("MAX_TOKENS", 1, "length"),
        ("SAFETY", 0, "content_filter"),
        ("RECITATION", 0, "content_filter"),
        ("BLOCKLIST", 0, "content_filter"),
        ("PROHIBITED_CONTENT", 0, "content_filter"),
        ("SPII", 0, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", 0, "error"),
        ("UNEXPECTED_TOOL_CALL", 0, "error"),
        ("OTHER", 0, "other"),
        ("LANGUAGE", 0, "other"),
        ("SOMETHING_NEWER", 0, "other"),
    ],
)
def test_finish_reason_table(raw: str, calls: int, reason: str) -> None:
    assert _map_finish(State(finish_raw=raw, calls=calls)) == Finish(reason=reason, raw=raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("meta", "usage"),
    [
        ({}, Usage()),
        (
            {"promptTokenCount": 5, "candidatesTokenCount": 3},
            Usage(input_tokens=5, output_tokens=3),
        ),
        (
            {
                "promptTokenCount": 5000,
                "cachedContentTokenCount": 4096,
                "candidatesTokenCount": 7,
                "thoughtsTokenCount": 93,
                "toolUsePromptTokenCount": 11,
            },
            Usage(
                input_tokens=5011, output_tokens=100, cache_read_tokens=4096, reasoning_tokens=93
            ),
        ),
    ],
)
def test_usage_table(meta: dict[str, int], usage: Usage) -> None:
    import msgspec

    assert _map_usage(msgspec.convert(meta, _wire.UsageMetadata)) == usage


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"candidates": [',
        b'{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[1]}}]}}]}',
        b'{"candidates":[{"content":{"parts":[{"text": 5}]}}]}',
        b'{"candidates": {"oops": 1}}',
    ],
)
def test_malformed_bodies_are_decode_errors(body: bytes) -> None:
    with pytest.raises(errors.DecodeError) as e:
        google.parse_response(body)
    assert e.value.provider == "google"


def test_chat_through_the_real_transport() -> None:
    req = ChatRequest(
        model="gemini-3.8-flash", messages=[Message(role="user", content=[Text(text="hi")])]
    )
    r = drive_chat(google, req, (G / "parallel_calls.json").read_bytes())
    assert r == parse("parallel_calls.json")


# ---- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "cls", "error_type", "retry_after", "retryable"),
    [
        ("error_429.json", 429, errors.RateLimited, "RESOURCE_EXHAUSTED", 36.0, True),
        ("error_429_per_day.json", 429, errors.RateLimited, "RESOURCE_EXHAUSTED", 25923.0, False),
        ("error_400.json", 400, errors.InvalidRequest, "INVALID_ARGUMENT", None, False),
        (
            "error_400_api_key.json",
            400,
            errors.AuthenticationError,
            "INVALID_ARGUMENT",
            None,
            False,
        ),
        ("error_400_too_long.json", 400, errors.ContextTooLong, "INVALID_ARGUMENT", None, False),
    ],
)
def test_error_bodies(
    name: str,
    status: int,
    cls: type[errors.ApiError],
    error_type: str,
    retry_after: float | None,
    retryable: bool,
) -> None:
    e = google.parse_error(status, {}, (G / name).read_bytes())
    assert type(e) is cls
    assert (e.status, e.error_type, e.retry_after, e.retryable) == (
        status,
        error_type,
        retry_after,
        retryable,
    )
    assert e.provider == "google" and e.message and "HTTP" not in e.message


@pytest.mark.parametrize(
    ("status", "grpc", "cls"),
    [
        (403, "PERMISSION_DENIED", errors.PermissionDenied),
        (404, "NOT_FOUND", errors.NotFound),
        (401, "UNAUTHENTICATED", errors.AuthenticationError),
        (400, "FAILED_PRECONDITION", errors.InvalidRequest),
        (500, "INTERNAL", errors.ServerError),
        (503, "UNAVAILABLE", errors.Overloaded),
        (504, "DEADLINE_EXCEEDED", errors.ServerError),
    ],
)
def test_error_kind_follows_grpc_status(status: int, grpc: str, cls: type[errors.ApiError]) -> None:
    body = b'{"error": {"code": %d, "message": "m", "status": "%s"}}' % (status, grpc.encode())
    e = google.parse_error(status, {}, body)
    assert type(e) is cls and e.retryable == (status >= 500)


def test_non_json_error_body_keeps_status_and_text() -> None:
    e = google.parse_error(502, {}, b"<html>Bad Gateway</html>")
    assert type(e) is errors.ServerError and e.status == 502 and e.retryable
    assert "Bad Gateway" in e.body


def test_rate_limit_through_transport_carries_retry_delay() -> None:
    req = ChatRequest(
        model="gemini-3.8-flash", messages=[Message(role="user", content=[Text(text="hi")])]
    )
    with pytest.raises(errors.RateLimited) as e:
        drive_chat(google, req, (G / "error_429.json").read_bytes(), status=429)
    assert e.value.retry_after == 36.0 and e.value.status == 429


# ---- models -----------------------------------------------------------------------


def test_catalog() -> None:
    ids = [m.id for m in google.MODELS]
    assert "gemini-4-argon" in ids and "gemini-3.8-flash" in ids
    assert all(m.provider == "google" and m.id.startswith("gemini-") for m in google.MODELS)
    assert len(set(ids)) == len(ids)


def test_live_listing_is_paged() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = "models_page2.json" if "pageToken" in request.url.params else "models_page1.json"
        return httpx.Response(200, content=(G / page).read_bytes())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        models = tr.list_models(call_for(google), client)
    assert [m.id for m in models] == ["gemini-4-argon", "gemini-3.8-flash", "gemini-2.0-flash"]
    argon = models[0]
    assert (argon.name, argon.context_window, argon.max_output) == (
        "Gemini 4 Argon",
        1048576,
        65536,
    )
    assert argon.capabilities == ["text", "reasoning"] and argon.available
    assert models[2].capabilities == ["text"]
    assert [r.url.params.get("pageToken") for r in seen] == [None, "Ch5nZW1pbmktZW1iZWRkaW5nLTAwMQ"]
    assert all(r.url.path == "/v1beta/models" and r.method == "GET" for r in seen)
    assert all(r.headers["x-goog-api-key"] == TEST_KEY and TEST_KEY not in str(r.url) for r in seen)


def test_list_models_request() -> None:
    hr = google.build_list_models("https://example.test/", None)
    assert hr.url == "https://example.test/v1beta/models?pageSize=1000"
    hr = google.build_list_models("https://example.test", "a b")
    assert hr.url == "https://example.test/v1beta/models?pageSize=1000&pageToken=a+b"


def test_error_inside_a_200_body_raises() -> None:
    body = b'{"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}'
    with pytest.raises(errors.ServerError) as e:
        google.parse_response(body)
    assert e.value.status == 500 and e.value.error_type == "INTERNAL"
