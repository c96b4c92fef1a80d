"""Claude on Bedrock through llmkit's public API and real transport
(httpx.MockTransport): the signed request exactly as botocore signs it, the
Bedrock API key as a bearer, streams in AWS event-stream framing cut
anywhere, exception frames and x-amzn-ErrorType answers as typed errors,
retries, cancellation, and no AWS secret in any error."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import anyio
import botocore.auth
import httpx
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

import llmkit
from llmkit import auth, registry
from llmkit.errors import (
    AuthenticationError,
    MissingConfig,
    PermissionDenied,
    RateLimited,
    StreamError,
)
from llmkit.routes import _aws
from llmkit.routes import _eventstream as es
from llmkit.types import Done, StreamEvent
from tests import replay
from tests.replay import CORPUS, ROOT, chunks
from tests.routes.test_bedrock_corpus import fold

ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken0123456789"
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1example0123456789"
MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
HOST = "https://bedrock-runtime.us-west-2.amazonaws.com"
STREAM = CORPUS / "bedrock-anthropic" / "fan_haiku45_simple_stream.eventstream"
JSON = CORPUS / "bedrock-anthropic" / "fan_haiku45_simple.json"
OWN = ROOT / "fixtures" / "bedrock-anthropic"
EVENTSTREAM = {"content-type": "application/vnd.amazon.eventstream"}
JSON_TYPE = {"content-type": "application/json"}


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Static credentials from the env, nothing else of the chain (no files,
    no instance metadata), and fresh caches."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(auth, "_by_name", {})
    _aws._session.cache_clear()
    yield
    _aws._session.cache_clear()


def served(
    body: bytes, *, headers: dict[str, str], cuts: Any = (), seen: list[Any]
) -> httpx.MockTransport:
    return replay.transport(body, cuts=cuts, content_type=headers["content-type"], seen=seen)


def _botocore_signature(request: httpx.Request) -> str:
    return _sigv4(request, "bedrock")


def test_a_call_is_signed_exactly_as_botocore_signs_it() -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(JSON.read_bytes(), headers=JSON_TYPE, seen=seen)) as c:
        resp = llmkit.chat_sync(f"bedrock:{MODEL}", "Hi", http_client=c, temperature=0.5)
    [sent] = seen
    assert str(sent.url) == f"{HOST}/model/{MODEL.replace(':', '%3A')}/invoke"
    assert sent.headers["authorization"] == _botocore_signature(sent)
    assert (
        "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token"
        in (sent.headers["authorization"])
    )
    assert sent.headers["x-amz-security-token"] == TOKEN
    body = json.loads(sent.content)
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert "model" not in body and "stream" not in body
    assert body["temperature"] == 0.5  # Haiku 4.5's catalog facts applied: the id was mapped
    assert resp.provider == "bedrock" and resp.model == "claude-haiku-4-5-20251001"
    assert resp.text == json.loads(JSON.read_bytes())["content"][0]["text"]


def test_a_bedrock_api_key_is_a_bearer_and_nothing_is_signed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(JSON.read_bytes(), headers=JSON_TYPE, seen=seen)) as c:
        llmkit.chat_sync(f"bedrock:{MODEL}", "Hi", http_client=c)
    [sent] = seen
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-amz-date" not in sent.headers and "x-amz-security-token" not in sent.headers


def _stream(cuts: Any = (), path: Any = STREAM, **kw: Any) -> tuple[list[StreamEvent], list[Any]]:
    seen: list[httpx.Request] = []
    tr = served(path.read_bytes(), headers=EVENTSTREAM, cuts=cuts, seen=seen)
    with httpx.Client(transport=tr) as c:
        return list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c, **kw)), seen


@settings(max_examples=20)
@given(cuts=st.lists(st.integers(0, 4000), max_size=15))
def test_a_stream_through_the_transport_is_the_pure_fold_whatever_the_chunks(
    cuts: list[int],
) -> None:
    events, seen = _stream(cuts)
    expected = fold(es.events(STREAM.read_bytes()))
    assert [e for e in events if not isinstance(e, Done)] == expected[:-1]
    assert isinstance(events[-1], Done)
    assert events[-1].response.text == expected[-1].response.text  # type: ignore[union-attr]
    assert events[-1].response.provider == "bedrock"
    [sent] = seen
    assert str(sent.url).endswith("%3A0/invoke-with-response-stream")
    assert sent.headers["accept"] == "application/vnd.amazon.eventstream"
    assert sent.headers["authorization"] == _botocore_signature(sent)


@pytest.mark.anyio
async def test_an_async_stream_byte_by_byte() -> None:
    seen: list[httpx.Request] = []
    data = STREAM.read_bytes()
    tr = served(data, headers=EVENTSTREAM, cuts=range(len(data)), seen=seen)
    async with httpx.AsyncClient(transport=tr) as c:
        events = [e async for e in llmkit.stream(f"bedrock:{MODEL}", "Hi", http_client=c)]
    sync_events, _ = _stream()
    assert events == sync_events


def test_a_streamed_answer_to_a_plain_call_folds() -> None:
    """chat() answered by an event stream (a replayed streamed recording)."""
    seen: list[httpx.Request] = []
    tr = served(STREAM.read_bytes(), headers=EVENTSTREAM, seen=seen)
    with httpx.Client(transport=tr) as c:
        resp = llmkit.chat_sync(f"bedrock:{MODEL}", "Hi", http_client=c)
    events, _ = _stream()
    assert resp == events[-1].response  # type: ignore[union-attr]


def test_an_exception_frame_mid_stream_is_a_typed_error_with_the_partial() -> None:
    got: list[StreamEvent] = []
    with pytest.raises(RateLimited) as info:
        got += _stream(cuts=[30, 400], path=OWN / "throttled_midstream.eventstream")[0]
    err = info.value
    assert (err.provider, err.error_type, err.status) == ("bedrock", "throttlingException", None)
    assert err.partial is not None and err.partial.text == "Olá! Tudo "
    # the stream broke inside the list: what the caller saw is the partial


@pytest.mark.anyio
async def test_an_exception_frame_mid_stream_async() -> None:
    data = (OWN / "throttled_midstream.eventstream").read_bytes()
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=served(data, headers=EVENTSTREAM, seen=seen)) as c:
        with pytest.raises(RateLimited) as info:
            async for _ in llmkit.stream(f"bedrock:{MODEL}", "Hi", http_client=c):
                pass
    assert info.value.partial is not None and info.value.partial.text == "Olá! Tudo "


def test_a_stream_cut_inside_a_frame_is_a_stream_error_with_the_partial() -> None:
    data = (OWN / "thinking_tool_stream.eventstream").read_bytes()
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(data[:-7], headers=EVENTSTREAM, seen=seen)) as c:
        with pytest.raises(StreamError, match="ended inside a frame") as info:
            list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c))
    assert info.value.partial is not None and info.value.partial.tool_calls


def test_a_json_answer_to_a_stream_call_is_refused_with_its_body() -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(b'{"a":1}', headers=JSON_TYPE, seen=seen)) as c:
        with pytest.raises(StreamError, match=r"application/vnd\.amazon\.eventstream"):
            list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c))


def _errors(status: int, kind: str, message: str, then_ok: bool = True) -> Any:
    answers = [
        httpx.Response(
            status,
            headers={"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/", **JSON_TYPE},
            json={"message": message},
        ),
        httpx.Response(200, headers=JSON_TYPE, content=JSON.read_bytes()),
    ]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen) - 1, 1 if then_ok else 0)]

    return httpx.MockTransport(handler), seen


def test_throttling_is_retried_like_a_429_and_each_attempt_signed_anew() -> None:
    tr, seen = _errors(429, "ThrottlingException", "Too many requests")
    with httpx.Client(transport=tr) as c, mock.patch("time.sleep"):
        resp = llmkit.chat_sync(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=1)
    assert len(seen) == 2 and resp.text
    assert all(r.headers["authorization"] == _botocore_signature(r) for r in seen)


@pytest.mark.parametrize(
    ("status", "kind", "cls"),
    [
        (403, "AccessDeniedException", PermissionDenied),
        (403, "UnrecognizedClientException", AuthenticationError),
    ],
)
def test_refusals_are_typed_and_not_retried(status: int, kind: str, cls: type[Exception]) -> None:
    tr, seen = _errors(status, kind, f"no: {SECRET} {TOKEN}", then_ok=False)
    with httpx.Client(transport=tr) as c:
        with pytest.raises(cls) as info:
            llmkit.chat_sync(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=2)
    assert len(seen) == 1
    text = f"{info.value!s} {info.value.args} {getattr(info.value, 'body', '')} {info.value!r}"
    assert SECRET not in text and TOKEN not in text  # echoed secrets are redacted


def test_no_region_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(MissingConfig, match="AWS_REGION"):
        llmkit.chat_sync(f"bedrock:{MODEL}", "Hi")


def test_the_runtime_endpoint_env_var_moves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    vpce = "https://vpce-0abc.bedrock-runtime.eu-west-1.vpce.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", vpce)
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(JSON.read_bytes(), headers=JSON_TYPE, seen=seen)) as c:
        llmkit.chat_sync(f"bedrock:{MODEL}", "Hi", http_client=c)
    assert str(seen[0].url).startswith(f"{vpce}/model/")
    assert "/eu-west-1/bedrock/aws4_request" in seen[0].headers["authorization"]


def test_bedrock_is_available_only_with_credentials_and_a_region() -> None:
    base = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    ready = {**base, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_REGION": "us-east-1"}
    assert "bedrock" in registry.available(env=ready)
    assert "bedrock" in registry.available(
        env={**base, "AWS_BEARER_TOKEN_BEDROCK": API_KEY, "AWS_DEFAULT_REGION": "eu-west-1"}
    )
    assert "bedrock" not in registry.available(env={**base, "AWS_REGION": "us-east-1"})
    assert "bedrock" not in registry.available(env={**base, "AWS_ACCESS_KEY_ID": ACCESS})


@pytest.mark.anyio
async def test_cancelling_a_bedrock_stream_closes_it() -> None:
    closed = anyio.Event()
    first = STREAM.read_bytes()[:937]  # the first two frames, whole

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield first
            await anyio.sleep(3600)

        async def aclose(self) -> None:
            closed.set()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=EVENTSTREAM, stream=Slow())

    got: list[StreamEvent] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
        with anyio.fail_after(20), anyio.CancelScope() as scope:
            async for ev in llmkit.stream(f"bedrock:{MODEL}", "Hi", http_client=c):
                got.append(ev)
                scope.cancel()  # at the next await: the read of more frames
        with anyio.fail_after(5):
            await closed.wait()
    # the events of the first two frames (message_start, a block's start), then cancelled
    assert 1 <= len(got) <= 2 and scope.cancelled_caught


def test_closing_a_sync_bedrock_stream_closes_the_response() -> None:
    closed: list[bool] = []
    data = STREAM.read_bytes()

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield from chunks(data, range(0, len(data), 100))

        def close(self) -> None:
            closed.append(True)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=EVENTSTREAM, stream=Body())

    with httpx.Client(transport=httpx.MockTransport(handler)) as c:
        with llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c) as events:
            next(iter(events))
        assert closed == [True]


# ---- the routes that need no Bedrock framing: Mantle and Claude Platform on AWS ----

SSE = replay.FIXTURES / "anthropic" / "parallel_tools.sse"
SSE_TYPE = {"content-type": "text/event-stream"}


def _sigv4(request: httpx.Request, service: str) -> str:
    """What botocore's SigV4Auth gives for the request as sent, at its own
    X-Amz-Date: the headers llmkit signed are those httpx did not add."""
    added = {"host", "content-length", "accept-encoding", "user-agent", "connection"}
    signed = {k: v for k, v in request.headers.items() if k not in added}
    for k in ("authorization", "x-amz-date", "x-amz-security-token"):
        signed.pop(k, None)
    when = datetime.datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    ref = AWSRequest(
        method=request.method, url=str(request.url), data=request.content, headers=signed
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        auth_ = botocore.auth.SigV4Auth(Credentials(ACCESS, SECRET, TOKEN), service, "us-west-2")
        auth_.add_auth(ref)
    return str(ref.headers["Authorization"])


@pytest.mark.parametrize(
    ("name", "url", "service"),
    [
        (
            "bedrock-mantle",
            "https://bedrock-mantle.us-west-2.api.aws/anthropic/v1/messages",
            "bedrock-mantle",
        ),
        (
            "anthropic-aws",
            "https://aws-external-anthropic.us-west-2.api.aws/v1/messages",
            "aws-external-anthropic",
        ),
    ],
)
def test_messages_routes_on_aws_are_signed_for_their_service(
    monkeypatch: pytest.MonkeyPatch, name: str, url: str, service: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_AWS_WORKSPACE_ID", "wrkspc_01Example")
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(SSE.read_bytes(), headers=SSE_TYPE, seen=seen)) as c:
        events = list(llmkit.stream_sync(f"{name}:claude-sonnet-4-5", "Hi", http_client=c))
    [sent] = seen
    assert str(sent.url) == url
    assert sent.headers["authorization"] == _sigv4(sent, service)
    assert f"/us-west-2/{service}/aws4_request" in sent.headers["authorization"]
    body = json.loads(sent.content)
    assert body["model"] == "claude-sonnet-4-5" and body["stream"] is True  # first-party body
    assert sent.headers["anthropic-version"] == "2023-06-01"
    workspace = sent.headers.get("anthropic-workspace-id")
    assert workspace == ("wrkspc_01Example" if name == "anthropic-aws" else None)
    assert isinstance(events[-1], Done) and events[-1].response.provider == name


@pytest.mark.parametrize(
    ("name", "var"),
    [("bedrock-mantle", "AWS_BEARER_TOKEN_BEDROCK"), ("anthropic-aws", "ANTHROPIC_AWS_API_KEY")],
)
def test_messages_routes_on_aws_take_an_api_key_as_a_bearer(
    monkeypatch: pytest.MonkeyPatch, name: str, var: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_AWS_WORKSPACE_ID", "wrkspc_01Example")
    monkeypatch.setenv(var, API_KEY)
    seen: list[httpx.Request] = []
    with httpx.Client(transport=served(SSE.read_bytes(), headers=SSE_TYPE, seen=seen)) as c:
        list(llmkit.stream_sync(f"{name}:claude-sonnet-4-5", "Hi", http_client=c))
    assert seen[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-api-key" not in seen[0].headers and "x-amz-date" not in seen[0].headers


def test_claude_platform_on_aws_needs_a_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_AWS_WORKSPACE_ID", raising=False)
    with pytest.raises(MissingConfig, match="ANTHROPIC_AWS_WORKSPACE_ID"):
        llmkit.chat_sync("anthropic-aws:claude-sonnet-4-5", "Hi")
    base = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    env = {**base, "ANTHROPIC_AWS_API_KEY": API_KEY, "AWS_REGION": "us-west-2"}
    assert "anthropic-aws" not in registry.available(env=env)
    assert "anthropic-aws" in registry.available(
        env={**env, "ANTHROPIC_AWS_WORKSPACE_ID": "wrkspc_1"}
    )


# ---- an exception before the first event is sent again, like an error status -----

THROTTLED_AT_START = (OWN / "throttled_at_start.eventstream").read_bytes()


def _sequence(*bodies: bytes) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """Answers in turn (the last one repeated), each as a streamed event-stream body."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = bodies[min(len(seen), len(bodies)) - 1]
        return httpx.Response(200, headers=EVENTSTREAM, stream=replay._Body(chunks(body, [20])))

    return httpx.MockTransport(handler), seen


def test_a_throttling_frame_before_any_event_is_retried() -> None:
    tr, seen = _sequence(THROTTLED_AT_START, STREAM.read_bytes())
    with httpx.Client(transport=tr) as c, mock.patch("time.sleep") as slept:
        events = list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=1))
    assert len(seen) == 2 and isinstance(events[-1], Done)
    assert slept.call_count == 1
    assert seen[1].headers["authorization"] == _botocore_signature(seen[1])  # signed anew
    assert events == _stream()[0]


@pytest.mark.anyio
async def test_a_throttling_frame_before_any_event_is_retried_async() -> None:
    tr, seen = _sequence(THROTTLED_AT_START, THROTTLED_AT_START, STREAM.read_bytes())
    async with httpx.AsyncClient(transport=tr) as c:
        with mock.patch("anyio.sleep", return_value=None) as slept:
            events = [
                e
                async for e in llmkit.stream(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=2)
            ]
    assert len(seen) == 3 and isinstance(events[-1], Done) and slept.call_count == 2


def test_retries_end_with_the_typed_error() -> None:
    tr, seen = _sequence(THROTTLED_AT_START)
    with httpx.Client(transport=tr) as c, mock.patch("time.sleep"):
        with pytest.raises(RateLimited) as info:
            list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=2))
    assert len(seen) == 3 and info.value.provider == "bedrock"
    assert info.value.partial is not None and info.value.partial.text == ""


def test_a_validation_frame_before_any_event_is_not_retried() -> None:
    from llmkit.errors import InvalidRequest
    from tests.routes import aws_frames as enc

    bad = enc.exception("validationException", {"message": "messages: too short"})
    tr, seen = _sequence(bad, STREAM.read_bytes())
    with httpx.Client(transport=tr) as c:
        with pytest.raises(InvalidRequest):
            list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=2))
    assert len(seen) == 1


def test_an_exception_after_an_event_is_never_retried() -> None:
    tr, seen = _sequence(
        (OWN / "throttled_midstream.eventstream").read_bytes(), STREAM.read_bytes()
    )
    with httpx.Client(transport=tr) as c, mock.patch("time.sleep"):
        with pytest.raises(RateLimited) as info:
            list(llmkit.stream_sync(f"bedrock:{MODEL}", "Hi", http_client=c, max_retries=2))
    assert len(seen) == 1 and info.value.partial is not None
    assert info.value.partial.text == "Olá! Tudo "
