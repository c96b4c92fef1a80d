"""The server holding up against clients that misbehave: a strict Host check,
slow and idle connections closed on deadlines (over a real loopback socket),
a replay mismatch answered without bodies; and what llmkit does with invalid
UTF-8 inside a vendor's SSE stream."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import anyio
import httpx

import llmkit
from llmkit.server import ServerConfig, create_app, replay_config
from tests import toy_wire as toy
from tests.server_helpers import REG, Vendor, config, running, sse_vendor
from tests.test_transport import STREAM

HELLO = {"model": "toy-1", "messages": "Hello"}


@pytest.fixture(autouse=True)
def _toy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "toy-key-for-tests")
    monkeypatch.delenv("LLMKIT_SERVER_TOKEN", raising=False)


# ---- Host ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("localhost", True),
        ("localhost:8100", True),
        ("LocalHost:8100", True),
        ("127.0.0.1:8100", True),
        ("[::1]:8100", True),
        ("[::1]", True),
        ("[0:0:0:0:0:0:0:1]:80", True),
        ("localhost:8100@evil.example", False),
        ("evil.example@localhost:8100", False),
        ("[::1]evil.example", False),
        ("[::1]:8100evil", False),
        ("localhost:abc", False),
        ("localhost:99999", False),
        ("localhost:", False),
        (" localhost", False),
        ("localhost ", False),
        ("local host", False),
        ("localhost\t", False),
        ("::1", False),  # unbracketed IPv6 is not a Host a browser sends
        ("[::1", False),
        ("[localhost]", False),
        ("", False),
        ("attacker.example:8100", False),
        ("localhost.evil.example", False),
    ],
)
def test_host_header_is_parsed_strictly(host: str, ok: bool) -> None:
    async def get() -> httpx.Response:
        app = create_app(config(sse_vendor(STREAM)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
            return await c.get("/healthz", headers={"host": host})

    r = anyio.run(get)
    assert (r.status_code == 200) is ok, (host, r.status_code)
    if not ok:
        assert r.json()["error"]["type"] == "untrusted_host"


# ---- replay mismatch ---------------------------------------------------------------


def test_replay_mismatch_is_a_502_without_bodies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TOY_API_KEY")
    (tmp_path / "0001.sse").write_bytes(STREAM)
    record = {
        "request": {"method": "POST", "host": "toy.invalid", "path": "/toy",
                    "body": {"model": "toy-1", "messages": ["a recorded secret prompt"]}},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream"},
                     "body_file": "0001.sse"},
    }  # fmt: skip
    (tmp_path / "0001.json").write_text(json.dumps(record))
    cfg = replay_config(tmp_path, ServerConfig(registry=REG, token=None))
    with running(cfg) as url:
        for path in ("/api/chat", "/api/chat/stream"):
            body = {"model": "toy-2", "messages": "a private question"}
            r = httpx.post(url + path, json=body, timeout=10)
            assert r.status_code == 502, r.text
            error = r.json()["error"]
            assert (
                error["type"] == "replay_mismatch" and "closest recording: 0001" in error["message"]
            )
            assert "private question" not in r.text and "recorded secret" not in r.text


# ---- slow and idle clients, over a real socket -----------------------------------------

FAST = {"header_timeout": 0.4, "body_timeout": 0.4, "idle_timeout": 0.4}


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=5)
    return s


def _closed_within(s: socket.socket, seconds: float, trickle: bytes = b"") -> tuple[bool, bytes]:
    """Whether the server closes `s` within `seconds` while we send `trickle`
    a byte every 50 ms; and what it answered."""
    s.settimeout(0.05)
    got = b""
    deadline = time.monotonic() + seconds
    for i in range(10**6):
        if time.monotonic() > deadline:
            return False, got
        try:
            if i < len(trickle):
                s.send(trickle[i : i + 1])
            chunk = s.recv(4096)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got


@pytest.fixture(params=["httptools", "h11"])
def protocol(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """uvicorn's protocol the head deadline is built on: httptools (the
    `server` extra installs it), or h11 when it is not installed."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from llmkit.server import _protocol

    if request.param == "h11":
        monkeypatch.setattr(_protocol, "base", lambda: H11Protocol)
    else:
        pytest.importorskip("httptools")
    monkeypatch.setattr(_protocol, "_MADE", {})
    made = _protocol.with_header_timeout(FAST["header_timeout"])
    assert made.__mro__[1].__name__ == ("H11Protocol" if request.param == "h11" else
                                        "HttpToolsProtocol")  # fmt: skip
    return str(request.param)


def test_idle_and_slow_connections_are_closed(protocol: str) -> None:
    with running(config(sse_vendor(STREAM), **FAST)) as url:
        start = time.monotonic()
        with _connect(url) as silent:  # connects and never says a word
            closed, _ = _closed_within(silent, 3)
        assert closed and time.monotonic() - start >= 0.35
        head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
        with _connect(url) as slowloris:  # a header byte every 50 ms, never finishing
            closed, answer = _closed_within(slowloris, 3, head)
        assert closed and answer == b""
        post = b"POST /api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        with _connect(url) as trickle:  # the head at once, the body a byte every 50 ms
            trickle.sendall(post + b"Content-Length: 200\r\n\r\n")
            closed, answer = _closed_within(trickle, 3, b"{" * 200)
        assert closed and answer.startswith(b"HTTP/1.1 408 ") and b"body_timeout" in answer
        with _connect(url) as idle:  # one request, then silence on a keep-alive connection
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            closed, answer = _closed_within(idle, 3)
        assert closed and answer.startswith(b"HTTP/1.1 200 ")
        with _connect(url) as second:  # a second request's head may not trickle either
            second.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            closed, answer = _closed_within(second, 3, b"GET /healthz HTTP/1.1\r\nHost: loc" * 5)
        assert closed and answer.count(b"HTTP/1.1 200 ") == 1


def test_prompt_clients_are_unaffected_by_the_deadlines(protocol: str) -> None:
    with running(config(sse_vendor(STREAM), **FAST)) as url, httpx.Client() as client:
        for _ in range(3):  # keep-alive reuse inside the idle timeout
            r = client.post(url + "/api/chat/stream", json=HELLO, timeout=10)
            assert r.status_code == 200 and r.content.endswith(b"\n\n")


# ---- invalid UTF-8 inside a vendor's stream ---------------------------------------------


def test_invalid_utf8_in_a_vendor_stream_is_replaced_not_raised() -> None:
    """Documented in the README: httpx decodes SSE text with errors="replace",
    so a vendor's broken byte arrives as U+FFFD and the stream goes on."""
    broken = toy.sse(("delta", {"text": "caf"})).replace(b'caf"', b'caf\xc3"')
    body = broken + toy.sse(("end", {"id": "r1", "finish": "stop", "input": 1, "output": 1}))
    handler = httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body))  # fmt: skip
    with httpx.Client(transport=handler) as client:
        events = list(llmkit.stream_sync("toy-1", "hi", registry=REG, http_client=client))
    assert events[-1].response.text == "caf\ufffd"  # type: ignore[union-attr]


# ---- retry-after values that are no advice ---------------------------------------------


@pytest.mark.parametrize("value", ["inf", "1e309", "nan", "-inf"])
def test_infinite_retry_after_is_no_advice_and_no_500(value: str) -> None:
    from llmkit.providers._common import retry_after_seconds

    assert retry_after_seconds({"retry-after": value}) is None
    assert retry_after_seconds({"retry-after-ms": value, "retry-after": "2"}) == 2.0
    vendor = Vendor((429, {"retry-after": value}, [b'{"error": {"message": "slow"}}']))
    with running(config(vendor)) as url:
        r = httpx.post(url + "/api/chat", json=HELLO, timeout=10)
    assert r.status_code == 429 and "retry-after" not in r.headers
