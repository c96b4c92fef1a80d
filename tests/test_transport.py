"""The I/O layer, driven through httpx.MockTransport with the toy wire format:
retries, typed errors, streams that break, sync/async parity, both backends."""

from __future__ import annotations

import email.utils
import inspect
import logging
import time
import typing
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

import llmkit
from llmkit import transport as tr
from llmkit.errors import (
    ApiError,
    ConnectionFailed,
    DecodeError,
    InvalidRequest,
    Overloaded,
    RateLimited,
    ServerError,
    StreamError,
    Timeout,
)
from llmkit.registry import Secret
from llmkit.types import ChatRequest, Done, Message, Text, TextDelta, Usage
from tests import toy_wire as toy
from tests.replay import TEST_KEY, call_for

REQ = ChatRequest(model="toy-1", messages=[Message(role="user", content=[Text(text="hi")])])
SREQ = ChatRequest(model="toy-1", messages=REQ.messages, stream=True)
OK_BODY = b'{"id":"r1","text":"hello","finish":"stop","input":3,"output":1}'
STREAM = toy.sse(
    ("delta", {"text": "hel"}),
    ("ping", {}),
    ("delta", {"text": "lo"}),
    ("end", {"id": "r1", "text": "", "finish": "stop", "input": 3, "output": 1}),
)
ERR_429 = b'{"error":{"type":"rate_limit","message":"slow down"}}'

Answer = tuple[int, dict[str, str], bytes] | Exception


def scripted(answers: list[Answer], seen: list[httpx.Request]) -> httpx.MockTransport:
    """Answer requests in order; an Exception is raised instead of answering."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        a = answers[min(len(seen), len(answers)) - 1]
        if isinstance(a, Exception):
            raise a
        status, headers, body = a
        kind = "text/event-stream" if body.startswith(b"event:") else "application/json"
        return httpx.Response(status, headers={"content-type": kind, **headers}, content=body)

    return httpx.MockTransport(handler)


def run_sync(
    answers: list[Answer], fn: Callable[[tr.Call, httpx.Client], Any], **call_kw: Any
) -> tuple[Any, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=scripted(answers, seen)) as client:
        return fn(call_for(toy, **call_kw), client), seen


# ---- non-streaming ---------------------------------------------------------


def test_chat_adds_the_key_last_and_parses() -> None:
    resp, seen = run_sync([(200, {}, OK_BODY)], lambda c, cl: tr.chat(c, cl, REQ))
    assert resp.text == "hello" and resp.usage == Usage(input_tokens=3, output_tokens=1)
    assert seen[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert seen[0].url == "https://toy.invalid/toy"
    hr = toy.build_request(REQ, toy.DEFAULT_BASE_URL)
    assert TEST_KEY not in repr(hr)


def test_429_with_retry_after_then_200() -> None:
    answers: list[Answer] = [(429, {"retry-after": "0"}, ERR_429), (200, {}, OK_BODY)]
    resp, seen = run_sync(answers, lambda c, cl: tr.chat(c, cl, REQ), max_retries=2)
    assert resp.text == "hello" and len(seen) == 2


def test_gives_up_after_max_retries_with_the_typed_error() -> None:
    answers: list[Answer] = [(429, {"retry-after": "0", "x-request-id": "req_9"}, ERR_429)]
    with pytest.raises(RateLimited) as e:
        run_sync(answers, lambda c, cl: tr.chat(c, cl, REQ), max_retries=2)
    err = e.value
    assert (err.status, err.error_type, err.message, err.retry_after) == (
        429, "rate_limit", "slow down", 0.0,
    )  # fmt: skip
    assert err.retryable and err.provider == "toy"


def test_attempts_are_one_plus_max_retries() -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=scripted([(503, {}, b"{}")], seen)) as client:
        with pytest.raises(Overloaded):
            tr.chat(call_for(toy, max_retries=3), client, REQ)
    assert len(seen) == 4


def test_client_errors_are_not_retried() -> None:
    seen: list[httpx.Request] = []
    body = b'{"error":{"type":"invalid","message":"bad field"}}'
    with httpx.Client(transport=scripted([(400, {}, body)], seen)) as client:
        with pytest.raises(InvalidRequest, match="bad field"):
            tr.chat(call_for(toy, max_retries=2), client, REQ)
    assert len(seen) == 1


def test_x_should_retry_false_is_honoured() -> None:
    answers: list[Answer] = [(500, {"x-should-retry": "false"}, b"{}"), (200, {}, OK_BODY)]
    with pytest.raises(ServerError):
        run_sync(answers, lambda c, cl: tr.chat(c, cl, REQ), max_retries=2)


def test_connection_errors_are_retried_then_typed() -> None:
    answers: list[Answer] = [httpx.ConnectError("refused"), (200, {}, OK_BODY)]
    resp, seen = run_sync(answers, lambda c, cl: tr.chat(c, cl, REQ), max_retries=1)
    assert resp.text == "hello" and len(seen) == 2
    with pytest.raises(ConnectionFailed, match="refused"):
        run_sync([httpx.ConnectError("refused")], lambda c, cl: tr.chat(c, cl, REQ))


def test_timeouts_become_llmkit_timeout() -> None:
    with pytest.raises(Timeout) as e:
        run_sync([httpx.ReadTimeout("slow")], lambda c, cl: tr.chat(c, cl, REQ))
    assert isinstance(e.value.__cause__, httpx.ReadTimeout)


def test_unreadable_success_body_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="unreadable toy body"):
        run_sync([(200, {}, b"{not json")], lambda c, cl: tr.chat(c, cl, REQ))


def test_an_echoed_key_is_redacted_from_errors() -> None:
    body = b'{"error":{"type":"auth","message":"bad key ' + TEST_KEY.encode() + b'"}}'
    with pytest.raises(ApiError) as e:
        run_sync([(401, {}, body)], lambda c, cl: tr.chat(c, cl, REQ))
    err = e.value
    for text in (str(err), repr(err), err.body, err.message, str(err.args)):
        assert TEST_KEY not in text


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert tr.retry_after(headers) == expected


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    got = tr.retry_after({"retry-after": when})
    assert got is not None and 25 < got <= 31


def test_backoff_is_capped_and_follows_advice() -> None:
    policy = tr.RetryPolicy(base_delay=1.0, max_delay=5.0, max_retries=20)
    assert tr._delay(policy, 0, RateLimited("x", retry_after=3.0), None) == 3.0
    for advice in (120.0, 86400.0, float("inf"), float("nan")):  # longer than we wait: give up
        assert tr._delay(policy, 0, RateLimited("x", retry_after=advice), None) is None
    waits = [tr._delay(policy, 10, ServerError("x"), None) for _ in range(50)]
    assert all(w is not None and 0 <= w <= 5.0 for w in waits)
    soon = time.monotonic() + 2.0  # a wait that would pass the deadline is not taken
    assert tr._delay(policy, 0, RateLimited("x", retry_after=3.0), soon) is None


# ---- streaming --------------------------------------------------------------


def test_stream_events_and_done() -> None:
    events, _ = run_sync([(200, {}, STREAM)], lambda c, cl: list(tr.stream(c, cl, SREQ)))
    assert events[:2] == [TextDelta(index=0, text="hel"), TextDelta(index=0, text="lo")]
    assert isinstance(events[-1], Done) and events[-1].response.text == "hello"
    assert events[-1].response == toy.parse_response(OK_BODY)


def test_stream_retries_before_the_first_event() -> None:
    answers: list[Answer] = [(529, {}, b"{}"), httpx.ConnectError("x"), (200, {}, STREAM)]
    events, seen = run_sync(answers, lambda c, cl: list(tr.stream(c, cl, SREQ)), max_retries=2)
    assert len(seen) == 3 and isinstance(events[-1], Done)


def test_no_retry_once_the_stream_has_begun() -> None:
    broken = toy.sse(
        ("delta", {"text": "par"}), ("error", {"type": "overloaded", "message": "busy"})
    )
    answers: list[Answer] = [(200, {}, broken), (200, {}, STREAM)]
    got: list[Any] = []
    seen: list[httpx.Request] = []
    with httpx.Client(transport=scripted(answers, seen)) as client:
        with pytest.raises(Overloaded) as e:
            got.extend(tr.stream(call_for(toy, max_retries=3), client, SREQ))
    assert len(seen) == 1
    assert e.value.status is None and e.value.message == "busy"
    assert e.value.partial is not None and e.value.partial.text == "par"


def test_truncated_stream_keeps_the_partial_response() -> None:
    cut = toy.sse(("delta", {"text": "half an ans"}))
    with pytest.raises(StreamError) as e:
        run_sync([(200, {}, cut)], lambda c, cl: list(tr.stream(c, cl, SREQ)))
    assert e.value.partial is not None and e.value.partial.text == "half an ans"


def test_malformed_event_is_a_typed_error_with_partial() -> None:
    bad = toy.sse(("delta", {"text": "ok"})) + b"event: delta\ndata: {nope\n\n"
    with pytest.raises(StreamError) as e:
        run_sync([(200, {}, bad)], lambda c, cl: list(tr.stream(c, cl, SREQ)))
    assert e.value.partial is not None and e.value.partial.text == "ok"


def test_connection_drop_mid_stream_keeps_the_partial() -> None:
    def body() -> Iterator[bytes]:
        yield toy.sse(("delta", {"text": "so far"}))
        raise httpx.RemoteProtocolError("peer closed connection")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ConnectionFailed) as e:
            list(tr.stream(call_for(toy, max_retries=2), client, SREQ))
    assert e.value.partial is not None and e.value.partial.text == "so far"


def test_a_non_sse_success_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="expected text/event-stream, got application/json"):
        run_sync([(200, {}, OK_BODY)], lambda c, cl: list(tr.stream(c, cl, SREQ)))


def test_error_status_before_the_stream_is_the_vendor_error() -> None:
    with pytest.raises(RateLimited, match="slow down"):
        run_sync([(429, {}, ERR_429)], lambda c, cl: list(tr.stream(c, cl, SREQ)))


def test_compatible_endpoint_name_is_reported() -> None:
    resp, _ = run_sync([(200, {}, OK_BODY)], lambda c, cl: tr.chat(c, cl, REQ), name="my-gateway")
    assert resp.provider == "my-gateway"
    events, _ = run_sync(
        [(200, {}, STREAM)], lambda c, cl: list(tr.stream(c, cl, SREQ)), name="my-gateway"
    )
    assert events[-1].response.provider == "my-gateway"
    with pytest.raises(RateLimited) as e:
        run_sync([(429, {}, ERR_429)], lambda c, cl: tr.chat(c, cl, REQ), name="my-gateway")
    assert e.value.provider == "my-gateway"


def test_list_models_follows_pages() -> None:
    answers: list[Answer] = [
        (200, {}, b'{"models":["a","b"],"next":"p2"}'),
        (200, {}, b'{"models":["c"]}'),
    ]
    models, seen = run_sync(answers, tr.list_models)
    assert [m.id for m in models] == ["a", "b", "c"]
    assert str(seen[1].url).endswith("?page=p2")


# ---- async: asyncio and trio --------------------------------------------------


@pytest.mark.anyio
async def test_async_matches_sync() -> None:
    sync_events, _ = run_sync([(200, {}, STREAM)], lambda c, cl: list(tr.stream(c, cl, SREQ)))
    sync_resp, _ = run_sync([(200, {}, OK_BODY)], lambda c, cl: tr.chat(c, cl, REQ))
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=scripted([(200, {}, STREAM)], seen)) as client:
        events = [ev async for ev in tr.astream(call_for(toy), client, SREQ)]
    async with httpx.AsyncClient(transport=scripted([(200, {}, OK_BODY)], seen)) as client:
        resp = await tr.achat(call_for(toy), client, REQ)
    assert events == sync_events and resp == sync_resp


@pytest.mark.anyio
async def test_async_retry_then_success() -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [(429, {"retry-after": "0"}, ERR_429), (200, {}, STREAM)]
    async with httpx.AsyncClient(transport=scripted(answers, seen)) as client:
        events = [ev async for ev in tr.astream(call_for(toy, max_retries=1), client, SREQ)]
    assert len(seen) == 2 and isinstance(events[-1], Done)


@pytest.mark.anyio
async def test_async_errors_keep_partial() -> None:
    cut = toy.sse(("delta", {"text": "abc"}))
    async with httpx.AsyncClient(transport=scripted([(200, {}, cut)], [])) as client:
        with pytest.raises(StreamError) as e:
            async for _ in tr.astream(call_for(toy), client, SREQ):
                pass
    assert e.value.partial is not None and e.value.partial.text == "abc"


@pytest.mark.anyio
async def test_cancellation_closes_the_connection() -> None:
    closed = anyio.Event()
    first = toy.sse(("delta", {"text": "a"}))

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield first
            await anyio.sleep(3600)

        async def aclose(self) -> None:
            closed.set()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Slow())

    got = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with anyio.move_on_after(0.2):
            async for ev in tr.astream(call_for(toy), client, SREQ):
                got.append(ev)
        with anyio.fail_after(5):
            await closed.wait()
    assert got == [TextDelta(index=0, text="a")]


@pytest.mark.anyio
async def test_default_async_client_is_per_event_loop() -> None:
    a = tr.default_async_client()
    assert tr.default_async_client() is a
    await a.aclose()
    assert tr.default_async_client() is not a


def test_secret_never_shows_in_a_call_repr() -> None:
    call = call_for(toy)
    assert TEST_KEY not in repr(call) and isinstance(call.key, Secret)


def test_a_network_error_quoting_the_key_does_not_leak_it() -> None:
    # httpx refuses some header values and quotes them in its error
    leak = httpx.LocalProtocolError(f"Illegal header value b'Bearer {TEST_KEY}\\n'")
    with pytest.raises(ConnectionFailed) as e:
        run_sync([leak], lambda c, cl: tr.chat(c, cl, REQ))
    assert TEST_KEY not in str(e.value) and e.value.__cause__ is None
    assert "Illegal header value" in str(e.value)


# ---- logging (logger "llmkit", DEBUG) --------------------------------------------


def test_debug_log_has_each_request_retry_and_broken_stream_and_never_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    leak = httpx.LocalProtocolError(f"Illegal header value b'Bearer {TEST_KEY}\\n'")
    echo = b'{"error":{"type":"rate_limit","message":"slow down, ' + TEST_KEY.encode() + b'"}}'
    cut = toy.sse(("delta", {"text": "half"}))
    answers: list[Answer] = [leak, (429, {"retry-after": "0", "request-id": "req_7"}, echo),
                             (200, {}, cut)]  # fmt: skip
    with caplog.at_level(logging.DEBUG, logger="llmkit"), pytest.raises(StreamError):
        run_sync(answers, lambda c, cl: list(tr.stream(c, cl, SREQ)), max_retries=2)
    lines = [r.getMessage() for r in caplog.records if r.name == "llmkit"]
    assert len(lines) == 6, lines
    assert lines[0].startswith("POST https://toy.invalid/toy -> ConnectionFailed in ")
    assert lines[1].startswith("retry 1 of 2 to toy in 0.") and "Illegal header value" in lines[1]
    assert lines[2].startswith("POST https://toy.invalid/toy -> 429 in ")
    assert lines[2].endswith("(request id req_7)")
    assert lines[3].startswith("retry 2 of 2 to toy in 0.00 s after: [toy] slow down")
    assert lines[4].startswith("POST https://toy.invalid/toy -> 200 in ")
    assert lines[5].startswith("stream from toy broke: StreamError: ")
    assert TEST_KEY not in caplog.text


def test_nothing_is_logged_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    answers: list[Answer] = [(429, {"retry-after": "0"}, ERR_429), (200, {}, OK_BODY)]
    with caplog.at_level(logging.INFO, logger="llmkit"):
        run_sync(answers, lambda c, cl: tr.chat(c, cl, REQ), max_retries=2)
    assert caplog.records == []


def test_error_headers_stay_as_the_provider_chose() -> None:
    """OpenAI's parse_error keeps a whitelist of headers; the transport adds
    only those it reads itself (retry advice, request ids), never the rest."""
    headers = {"set-cookie": "session=secret", "x-request-id": "req_1", "retry-after": "0",
               "x-should-retry": "false", "content-type": "application/json"}  # fmt: skip
    body = b'{"error": {"message": "slow down", "type": "rate_limit_error"}}'
    mock = httpx.MockTransport(lambda r: httpx.Response(429, headers=headers, content=body))
    with httpx.Client(transport=mock) as client, pytest.raises(llmkit.RateLimited) as e:
        llmkit.chat_sync("openai-chat:gpt-4o", "hi", api_key="sk-test-0123456789",
                         http_client=client)  # fmt: skip
    assert "set-cookie" not in e.value.headers
    assert e.value.headers["x-should-retry"] == "false" and e.value.request_id == "req_1"


# What llmkit, its tests, benchmarks and README reach through llmkit.transport;
# the code lives in private modules (llmkit._call, _sending, _streaming, ...).
FACE = ("Call", "Limits", "RetryPolicy", "timeout_from", "retry_after", "send", "asend",
        "chat", "achat", "stream", "astream", "list_models", "alist_models", "fetch", "afetch",
        "default_client", "default_async_client", "using_transport", "loop_local",
        "DEFAULT_TIMEOUT", "Finish", "_request", "_delay", "_async_clients")  # fmt: skip


@pytest.mark.parametrize("name", FACE)
def test_the_transport_module_keeps_the_names_it_had(name: str) -> None:
    thing = getattr(tr, name)
    if typing.get_origin(thing) is not None:  # a type alias (3.10 calls Callable[...] a class)
        return
    if inspect.isfunction(thing) or inspect.isclass(thing):  # re-exported, not a second copy
        assert thing.__module__.startswith("llmkit._"), (name, thing.__module__)
