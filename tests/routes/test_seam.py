"""The route seam: a route module reshapes the wire's request, credentials
go on last (a static key in its header, a refreshing token as a bearer, a
signer over the final request), and a non-SSE framing feeds the same fold.
A toy route and framing (tests/routes/toy_route.py) stand for the clouds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import llmkit
from llmkit import auth, registry
from llmkit.errors import (
    AuthenticationError,
    CredentialError,
    MissingApiKey,
    StreamError,
)
from llmkit.registry import Endpoint, Registry
from llmkit.types import Text
from tests import replay
from tests.routes import toy_route

ANTHROPIC = replay.FIXTURES / "anthropic"


def _toy_registry(**kw: Any) -> Registry:
    ep = Endpoint(
        name="toy",
        wire="llmkit.providers.anthropic",
        base_url="",  # the route says where, from the env
        route="tests.routes.toy_route",
        **{"auth": "bearer", "key_env": ("TOY_KEY",), "key_required": False, **kw},
    )
    return Registry(endpoints={"toy": ep}, prefixes={})


@pytest.fixture(autouse=True)
def _tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "SIGNERS", {"toy-sign": "tests.routes.toy_route:sign"})
    monkeypatch.setattr(registry, "FRAMINGS", {"toy-frames": "tests.routes.toy_route"})
    monkeypatch.delenv("TOY_KEY", raising=False)
    monkeypatch.setenv("TOY_REGION", "r9")
    yield


def _events_of(sse_body: bytes) -> list[bytes]:
    """The JSON payloads of an SSE recording, in order."""
    return [
        line[len(b"data: ") :]
        for line in sse_body.splitlines()
        if line.startswith(b"data: ") and b'"ping"' not in line
    ]


class Tokens:
    """A credential source: each call a new token, valid `ttl` seconds."""

    def __init__(self, ttl: float = 3600.0, delay: float = 0.0) -> None:
        self.calls = 0
        self.ttl = ttl
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self) -> tuple[str, float]:
        time.sleep(self.delay)
        with self.lock:
            self.calls += 1
            return f"tok-{self.calls}-0123456789abcdef", time.time() + self.ttl


def test_the_route_places_url_and_body_and_the_token_goes_on_last() -> None:
    seen: list[httpx.Request] = []
    body = (ANTHROPIC / "text.json").read_bytes()
    tokens = Tokens()
    with httpx.Client(transport=replay.transport(body, seen=seen)) as client:
        r = llmkit.chat_sync(
            "toy:claude-x", "hi", api_key=tokens, registry=_toy_registry(), http_client=client
        )
    assert r.provider == "toy" and r.text
    sent = seen[0]
    assert str(sent.url) == "https://toy.example/r9/models/claude-x:invoke"
    assert sent.headers["authorization"] == "Bearer tok-1-0123456789abcdef"
    assert "x-api-key" not in sent.headers
    sent_body = json.loads(sent.content)
    assert "model" not in sent_body and sent_body["toy_version"] == "toy-2026"


def test_a_static_key_goes_in_the_routes_header_and_moves_the_base_url() -> None:
    seen: list[httpx.Request] = []
    body = (ANTHROPIC / "text.json").read_bytes()
    reg = _toy_registry(key_header="api-key")
    with httpx.Client(transport=replay.transport(body, seen=seen)) as client:
        llmkit.chat_sync("toy:m", "hi", api_key="static-key-123", registry=reg, http_client=client)
    assert seen[0].headers["api-key"] == "static-key-123"
    assert "authorization" not in seen[0].headers
    assert str(seen[0].url).startswith("https://toy.example/keyed/models/m:")


def test_a_bearer_route_without_key_or_source_says_what_to_set() -> None:
    with pytest.raises(MissingApiKey, match="TOY_KEY"):
        llmkit.chat_sync("toy:m", "hi", registry=_toy_registry())


def test_tokens_are_cached_and_refreshed_before_expiry() -> None:
    tokens = Tokens(ttl=3600)
    cred = auth.Credential(tokens)
    assert cred.get() == cred.get() == "tok-1-0123456789abcdef"
    assert tokens.calls == 1
    short = Tokens(ttl=auth.DEFAULT_MARGIN - 1)  # already inside the refresh margin
    cred = auth.Credential(short)
    assert cred.get() != cred.get()
    assert short.calls == 2
    assert "tok" not in repr(cred)


def test_one_refresh_serves_many_threads() -> None:
    tokens = Tokens(delay=0.05)
    cred = auth.Credential(tokens)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(cred.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tokens.calls == 1 and len(set(got)) == 1


@pytest.mark.anyio
async def test_one_refresh_serves_many_tasks_without_blocking_the_loop() -> None:
    tokens = Tokens(delay=0.2)
    body = (ANTHROPIC / "text.json").read_bytes()
    reg = _toy_registry()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(10):
            await anyio.sleep(0.01)
            ticks += 1

    async with httpx.AsyncClient(transport=replay.transport(body)) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            for _ in range(6):
                tg.start_soon(
                    partial(
                        llmkit.chat, "toy:m", "hi", api_key=tokens, registry=reg, http_client=client
                    )
                )
    assert tokens.calls == 1
    assert ticks == 10  # the loop ran while the token was fetched


def test_a_failing_source_is_a_credential_error_chained_to_its_cause() -> None:
    def broken() -> str:
        raise OSError("metadata server unreachable")

    with pytest.raises(CredentialError) as info:
        llmkit.chat_sync("toy:m", "hi", api_key=broken, registry=_toy_registry())
    assert isinstance(info.value.__cause__, OSError)


def test_an_echoed_token_is_redacted_from_errors() -> None:
    token = "ya29.a0AfH6SMC-secret-token-value-1234567890"
    echo = json.dumps(
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": f"bad token {token}"},
        }
    ).encode()
    with (
        httpx.Client(transport=replay.transport(echo, status=401)) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        llmkit.chat_sync(
            "toy:m",
            "hi",
            api_key=lambda: token,
            registry=_toy_registry(),
            http_client=client,
            max_retries=0,
        )
    assert token not in str(info.value) and token not in str(info.value.body)


def test_the_signer_signs_the_final_request_last() -> None:
    seen: list[httpx.Request] = []
    body = (ANTHROPIC / "text.json").read_bytes()
    reg = _toy_registry(auth="toy-sign")
    creds = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with httpx.Client(transport=replay.transport(body, seen=seen)) as client:
        llmkit.chat_sync("toy:m", "hi", api_key=lambda: creds, registry=reg, http_client=client)
    sent = seen[0]
    signature = sent.headers["x-toy-signature"]
    assert signature.startswith(f"AKIDEXAMPLE/{len(sent.content)}:")  # the final body
    assert "authorization" not in sent.headers  # a signer, not a bearer


def _framed_stream_body() -> bytes:
    return toy_route.frame(_events_of((ANTHROPIC / "tool_use.sse").read_bytes()))


def _stream(body: bytes, cuts: list[int] = (), **kw: Any) -> list[Any]:  # type: ignore[assignment]
    reg = _toy_registry(framing="toy-frames")
    t = replay.transport(body, cuts=cuts, content_type=toy_route.CONTENT_TYPE)
    with httpx.Client(transport=t) as client:
        key = "k" * 20
        return list(
            llmkit.stream_sync("toy:m", "hi", api_key=key, registry=reg, http_client=client, **kw)
        )


def test_a_framed_stream_folds_like_its_sse() -> None:
    sse = (ANTHROPIC / "tool_use.sse").read_bytes()
    with httpx.Client(transport=replay.transport(sse)) as client:
        want = list(llmkit.stream_sync("anthropic:m", "hi", api_key="k" * 20, http_client=client))
    got = _stream(_framed_stream_body())
    assert got[:-1] == want[:-1]
    a, b = replay.done(got), replay.done(want)
    assert (a.message.content, a.finish, a.usage) == (b.message.content, b.finish, b.usage)
    assert a.provider == "toy"


@given(st.lists(st.integers(1, 4000), max_size=12))
def test_frame_boundaries_change_nothing(cuts: list[int]) -> None:
    body = _framed_stream_body()
    assert _stream(body, cuts) == _stream(body)


def test_a_frame_over_the_limit_ends_the_stream() -> None:
    with pytest.raises(StreamError, match="over 100 bytes"):
        _stream(_framed_stream_body(), limits=llmkit.transport.Limits(max_line=100))


def test_a_body_cut_inside_a_frame_is_a_stream_error_with_the_partial() -> None:
    body = _framed_stream_body()
    with pytest.raises(StreamError) as info:
        _stream(body[: len(body) - 5])
    assert info.value.partial is not None


def test_a_non_stream_answer_to_a_plain_call_is_parsed_as_json() -> None:
    body = (ANTHROPIC / "text.json").read_bytes()
    reg = _toy_registry(framing="toy-frames")
    with httpx.Client(transport=replay.transport(body)) as client:
        r = llmkit.chat_sync("toy:m", "hi", api_key="k" * 20, registry=reg, http_client=client)
    assert isinstance(r.message.content[0], Text)


def test_route_readiness_decides_availability(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = _toy_registry()
    assert registry.available(reg, {"TOY_REGION": "x"}) == ["toy"]
    assert registry.available(reg, {}) == []


def test_the_route_refines_the_wires_errors() -> None:
    body = (ANTHROPIC / "error_429.json").read_bytes()
    t = replay.transport(body, status=429, headers={"x-toy-error": "ToyThrottled"})
    with (
        httpx.Client(transport=t) as client,
        pytest.raises(llmkit.RateLimited, match="ToyThrottled"),
    ):
        llmkit.chat_sync(
            "toy:m",
            "hi",
            api_key="k" * 20,
            registry=_toy_registry(),
            http_client=client,
            max_retries=0,
        )


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_401_renews_the_token_once(asynchronous: bool) -> None:
    tokens = Tokens()
    seen: list[str] = []
    ok = (ANTHROPIC / "text.json").read_bytes()
    refused = json.dumps(
        {"type": "error", "error": {"type": "authentication_error", "message": "expired"}}
    )

    def answer(r: httpx.Request) -> httpx.Response:
        seen.append(r.headers["authorization"])
        status = 401 if len(seen) == 1 else 200
        body = refused.encode() if status == 401 else ok
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    reg = _toy_registry()
    if asynchronous:

        async def go() -> None:
            async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
                await llmkit.chat(
                    "toy:m", "hi", api_key=tokens, registry=reg, http_client=client, max_retries=0
                )

        anyio.run(go)
    else:
        with httpx.Client(transport=httpx.MockTransport(answer)) as client:
            llmkit.chat_sync(
                "toy:m", "hi", api_key=tokens, registry=reg, http_client=client, max_retries=0
            )
    assert seen == ["Bearer tok-1-0123456789abcdef", "Bearer tok-2-0123456789abcdef"]


def test_a_second_401_is_the_error() -> None:
    refused = json.dumps(
        {"type": "error", "error": {"type": "authentication_error", "message": "no"}}
    )
    t = replay.transport(refused.encode(), status=401)
    tokens = Tokens()
    with httpx.Client(transport=t) as client, pytest.raises(AuthenticationError):
        llmkit.chat_sync(
            "toy:m",
            "hi",
            api_key=tokens,
            registry=_toy_registry(),
            http_client=client,
            max_retries=0,
        )
    assert tokens.calls == 2
