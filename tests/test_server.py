"""The HTTP server over a real socket: uvicorn on a loopback port, httpx as the
client, the vendor played by a scripted transport speaking the toy wire."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import anyio
import httpx
import msgspec

import llmkit
from llmkit.registry import Secret
from llmkit.server import ServerConfig, create_app, replay_config
from llmkit.types import Done, Response, StreamEvent, TextDelta
from tests import toy_wire as toy
from tests.server_helpers import BLOCK, REG, Vendor, config, frames, running, sse_vendor
from tests.test_transport import OK_BODY, STREAM

HELLO = {"model": "toy-1", "messages": [{"role": "user", "content": "Hello"}]}
END = ("end", {"id": "r1", "finish": "stop", "input": 3, "output": 2})
_event = msgspec.json.Decoder(StreamEvent)


@pytest.fixture(autouse=True)
def _toy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "toy-key-for-tests")
    monkeypatch.delenv("LLMKIT_SERVER_TOKEN", raising=False)


def post(url: str, body: object, path: str = "/api/chat/stream", **kw: object) -> httpx.Response:
    kw.setdefault("timeout", 10)
    return httpx.post(url + path, json=body, **kw)  # type: ignore[arg-type]


def direct_events(body: bytes) -> list[StreamEvent]:
    """What llmkit's own stream yields for the same vendor answer."""
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body)))  # fmt: skip
    return list(llmkit.stream_sync("toy-1", "Hello", registry=REG, http_client=client))


# ---- streaming -------------------------------------------------------------------


def test_stream_frames_every_event_in_order() -> None:
    vendor = sse_vendor(STREAM)
    with running(config(vendor)) as url:
        r = post(url, HELLO)
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    got = frames(r.content)
    assert [name for name, _ in got] == ["text_delta", "text_delta", "usage", "finish", "done"]
    assert r.content.startswith(
        b'event: text_delta\ndata: {"type":"text_delta","index":0,"text":"hel"}\n\n'
    )
    assert [_event.decode(data) for _, data in got] == direct_events(STREAM)
    done = json.loads(got[-1][1])
    assert (done["text"], done["tool_calls"]) == ("hello", [])
    sent = json.loads(vendor.seen[0].content)
    assert sent["stream"] is True and sent["messages"][0]["content"][0]["text"] == "Hello"
    assert vendor.seen[0].headers["authorization"] == "Bearer toy-key-for-tests"


def test_events_are_flushed_as_the_vendor_sends_them() -> None:
    gate = threading.Event()
    rest = toy.sse(("delta", {"text": "b"}), END)
    vendor = Vendor((200, {}, [toy.sse(("delta", {"text": "a"})), gate, rest]))
    with running(config(vendor)) as url, httpx.Client(timeout=10) as client:
        with client.stream("POST", url + "/api/chat/stream", json=HELLO) as r:
            lines = r.iter_lines()
            assert next(lines) == "event: text_delta"  # while the vendor still holds "b"
            assert json.loads(next(lines)[6:])["text"] == "a"
            gate.set()
            tail = frames("\n".join(lines).encode().strip() + b"\n\n")
    assert [name for name, _ in tail] == ["text_delta", "usage", "finish", "done"]


def test_keep_alive_comments_fill_silences() -> None:
    a, b = toy.sse(("delta", {"text": "a"})), toy.sse(("delta", {"text": "b"}), END)
    vendor = Vendor((200, {}, [0.3, a, 0.3, b]))
    with running(config(vendor, keep_alive=0.05)) as url:
        r = post(url, HELLO)
    names = [name for name, _ in frames(r.content)]
    assert r.status_code == 200 and names[0] == ""  # the status line did not wait 0.3 s
    first, second = (
        names.index("text_delta"),
        names.index("text_delta", names.index("text_delta") + 1),
    )
    assert "" in names[first:second]
    assert set(names[:first]) == {""} and names[second:] == [
        "text_delta",
        "usage",
        "finish",
        "done",
    ]


@pytest.mark.parametrize(
    ("tail", "error"),
    [
        (
            toy.sse(("error", {"type": "overloaded", "message": "busy"})),
            {"type": "overloaded", "message": "busy", "vendor_type": "overloaded"},
        ),
        (b"", {"type": "stream_error", "message": "stream ended before `end`"}),
    ],
)
def test_error_after_the_stream_began_is_an_error_event(tail: bytes, error: dict[str, str]) -> None:
    vendor = sse_vendor(toy.sse(("delta", {"text": "a"})) + tail)
    with running(config(vendor)) as url:
        r = post(url, HELLO)
    assert r.status_code == 200
    got = frames(r.content)
    assert [name for name, _ in got] == ["text_delta", "error"]
    assert json.loads(got[1][1]) == {"error": {**error, "provider": "toy"}}


def test_vendor_error_event_before_any_event_gets_an_http_status() -> None:
    vendor = sse_vendor(toy.sse(("error", {"type": "overloaded", "message": "busy"})))
    with running(config(vendor)) as url:
        r = post(url, HELLO)
    assert (r.status_code, r.headers["content-type"]) == (503, "application/json")
    assert r.json()["error"] == {
        "type": "overloaded", "message": "busy", "vendor_type": "overloaded", "provider": "toy"
    }  # fmt: skip


# ---- the non-streaming endpoint and the model list --------------------------------------


def test_chat_returns_the_response_json() -> None:
    vendor = Vendor((200, {}, [OK_BODY]))
    with running(config(vendor)) as url:
        r = post(url, {**HELLO, "temperature": 0.5, "extra": {"flag": 1}}, "/api/chat")
    assert r.status_code == 200
    body = r.json()
    assert body["text"] == "hello" and body["tool_calls"] == []
    answer = httpx.MockTransport(lambda _: httpx.Response(200, content=OK_BODY))
    direct = llmkit.chat_sync(
        "toy-1", "Hello", registry=REG, http_client=httpx.Client(transport=answer)
    )
    assert msgspec.json.decode(r.content, type=Response) == direct
    sent = json.loads(vendor.seen[0].content)
    assert sent["stream"] is False and sent["flag"] == 1  # options reach the provider


def test_models_with_and_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    vendor = Vendor((200, {}, [b'{"models":["toy-1","toy-2"]}']))
    with running(config(vendor)) as url:
        monkeypatch.delenv("TOY_API_KEY")
        without = httpx.get(url + "/api/chat/models").json()["models"]
        monkeypatch.setenv("TOY_API_KEY", "k")
        with_key = httpx.get(url + "/api/chat/models").json()["models"]
        live = httpx.get(url + "/api/chat/models?live=true").json()["models"]
        bad = httpx.get(url + "/api/chat/models?live=perhaps")
    expected = {
        "id": "toy-1", "provider": "toy", "name": "", "context_window": 1000,
        "max_output": 100, "capabilities": [], "available": False, "sampling": None,
    }  # fmt: skip
    assert without == [expected]
    assert with_key == [{**expected, "available": True}]
    assert [(m["id"], m["available"]) for m in live] == [("toy-1", True), ("toy-2", True)]
    assert len(vendor.seen) == 1 and vendor.seen[0].url.path == "/models"
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_query"


def test_builtin_catalog_lists_claude(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's example: Claude models are listed, available with the key."""
    anthropic = pytest.importorskip("llmkit.providers.anthropic")
    if not getattr(anthropic, "MODELS", ()):
        pytest.skip("the anthropic provider has no catalog yet")
    reg = llmkit.Registry(
        endpoints={"anthropic": llmkit.registry.DEFAULT.endpoints["anthropic"]}, prefixes={}
    )
    with running(config(Vendor(), registry=reg)) as url:
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
        off = httpx.get(url + "/api/chat/models").json()["models"]
        monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
        on = httpx.get(url + "/api/chat/models").json()["models"]
    assert any(m["id"].startswith("claude-") for m in off)
    assert not any(m["available"] for m in off) and all(m["available"] for m in on)


# ---- bad input -----------------------------------------------------------------------

BAD = [
    (b'{"model": "toy-1", "messages": [', 400, "invalid_json", "not valid JSON"),
    (b"[]", 400, "invalid_body", "Expected `object`, got `array`"),
    (b'{"model": 5, "messages": "hi"}', 400, "invalid_body", "`$.model`"),
    (b'{"model": "toy-1"}', 400, "invalid_body", "missing required field `messages`"),
    (b'{"model": "toy-1", "messages": [{"role": "robot", "content": "x"}]}', 400,
     "invalid_messages", "messages[0]"),
    (b'{"model": "toy-1", "messages": []}', 400, "invalid_argument", "at least one message"),
    (b'{"model": "toy-1", "messages": "hi", "temperature": "hot"}', 400, "invalid_argument",
     "temperature"),
    (b'{"model": "toy-1", "messages": "hi", "temprature": 1}', 400, "unknown_field",
     "`temprature`"),
    (b'{"model": "toy-1", "messages": "hi", "stream": true}', 400, "unknown_field", "`stream`"),
    (b'{"model": "toy-1", "messages": "hi", "tools": [{"description": "x"}]}', 400,
     "invalid_argument", "tools[0]"),
    (b'{"model": "mystery-9", "messages": "hi"}', 400, "unknown_model", "mystery-9"),
    *[
        (json.dumps({**HELLO, field: value}).encode(), 400, "forbidden_field", f"`{field}`")
        for field, value in [("base_url", "http://169.254.169.254"), ("api_key", "mine"),
                             ("http_client", {}), ("registry", {}), ("timeout", 1)]
    ],
]  # fmt: skip


@pytest.mark.parametrize("path", ["/api/chat/stream", "/api/chat"])
def test_bad_input_is_a_clear_4xx_and_never_reaches_the_vendor(path: str) -> None:
    vendor = Vendor((200, {}, [OK_BODY]))
    with running(config(vendor)) as url, httpx.Client(base_url=url, timeout=10) as client:
        for body, status, kind, message in BAD:
            r = client.post(path, content=body, headers={"content-type": "application/json"})
            assert (r.status_code, r.headers["content-type"]) == (status, "application/json"), body
            error = r.json()["error"]
            assert error["type"] == kind and message in error["message"], (body, error)
        plain = client.post(path, content=json.dumps(HELLO), headers={"content-type": "text/plain"})
        assert (
            plain.status_code == 415 and plain.json()["error"]["type"] == "unsupported_media_type"
        )
    assert vendor.seen == []


def test_provider_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_API_KEY")
    vendor = sse_vendor(STREAM)
    with running(config(vendor)) as url:
        r = post(url, HELLO)
    assert r.status_code == 400
    assert r.json() == {
        "error": {"type": "missing_api_key", "message": "no API key for toy: set TOY_API_KEY",
                  "provider": "toy"}
    }  # fmt: skip
    assert vendor.seen == []


def test_oversized_bodies_are_refused() -> None:
    vendor = sse_vendor(STREAM)
    big = json.dumps({**HELLO, "messages": "x" * 5000}).encode()

    def chunked() -> Iterator[bytes]:  # no content-length: the limit counts as it reads
        yield big[:100]
        yield big[100:]

    with running(config(vendor, max_body_bytes=1000)) as url, httpx.Client(timeout=10) as client:
        headers = {"content-type": "application/json"}
        declared = client.post(url + "/api/chat", content=big, headers=headers)
        streamed = client.post(url + "/api/chat/stream", content=chunked(), headers=headers)
        small = client.post(url + "/api/chat/stream", json=HELLO)
    for r in (declared, streamed):
        assert r.status_code == 413
        assert r.json()["error"] == {
            "type": "body_too_large",
            "message": "request body is over 1000 bytes",
        }
    assert small.status_code == 200 and len(vendor.seen) == 1


# ---- vendor and network errors before the stream ---------------------------------------


@pytest.mark.parametrize("path", ["/api/chat/stream", "/api/chat"])
@pytest.mark.parametrize(
    ("status", "headers", "ours", "kind"),
    [
        (429, {"retry-after": "7", "request-id": "req_1"}, 429, "rate_limited"),
        (400, {}, 400, "invalid_request"),
        (401, {}, 401, "authentication_error"),
        (500, {}, 502, "server_error"),
        (503, {}, 503, "overloaded"),
    ],
)
def test_vendor_errors_keep_their_status_class(
    path: str, status: int, headers: dict[str, str], ours: int, kind: str
) -> None:
    body = b'{"error":{"type":"vendor_word","message":"vendor says no"}}'
    with running(config(Vendor((status, headers, [body])))) as url:
        r = post(url, HELLO, path)
    assert r.status_code == ours
    error = r.json()["error"]
    assert (error["type"], error["status"], error["provider"]) == (kind, status, "toy")
    assert (error["message"], error["vendor_type"]) == ("vendor says no", "vendor_word")
    if status == 429:
        assert r.headers["retry-after"] == "7"
        assert (error["retry_after"], error["request_id"]) == (7.0, "req_1")


@pytest.mark.parametrize(
    ("exc", "status", "kind"),
    [
        (httpx.ReadTimeout("slow"), 504, "timeout"),
        (httpx.ConnectError("refused"), 502, "connection_failed"),
    ],
)
def test_network_errors(exc: Exception, status: int, kind: str) -> None:
    with running(config(Vendor(exc))) as url:
        r = post(url, HELLO)
    assert r.status_code == status and r.json()["error"]["type"] == kind


def test_unexpected_errors_are_a_bare_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with running(config(Vendor(RuntimeError("kaboom")))) as url:
        streamed, plain = post(url, HELLO), post(url, HELLO, "/api/chat")
    for r in (streamed, plain):
        assert r.status_code == 500
        assert r.json() == {"error": {"type": "internal_error", "message": "internal server error"}}
    logged = [rec for rec in caplog.records if rec.name == "llmkit.server" and rec.exc_info]
    assert len(logged) == 2 and "kaboom" in caplog.text


def test_keys_never_reach_a_response_or_a_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = "toy-live-Zq81xV04"  # not key-shaped: only exact redaction can catch it
    monkeypatch.setenv("TOY_API_KEY", key)
    echo = {"type": "auth", "message": f"bad key {key}"}
    vendor = Vendor(
        (401, {}, [json.dumps({"error": echo}).encode()]),
        (200, {}, [toy.sse(("delta", {"text": "a"}), ("error", echo))]),
    )
    with running(config(vendor)) as url:
        before, after = post(url, HELLO), post(url, HELLO)
    assert before.status_code == 401 and after.status_code == 200
    assert "bad key ***" in before.text and "bad key ***" in after.text
    for text in (before.text, after.text, caplog.text):
        assert key not in text
    assert all(req.headers["authorization"] == f"Bearer {key}" for req in vendor.seen)


# ---- disconnects ---------------------------------------------------------------------


def test_client_disconnect_mid_stream_closes_the_upstream_response() -> None:
    vendor = Vendor((200, {}, [toy.sse(("delta", {"text": "a"})), BLOCK]))
    with running(config(vendor)) as url:
        with httpx.Client(timeout=10) as client:
            with client.stream("POST", url + "/api/chat/stream", json=HELLO) as r:
                lines = r.iter_lines()  # kept: a dropped iterator closes the response
                assert next(lines) == "event: text_delta"
                assert not vendor.bodies[0].closed.wait(0.1), "closed while the client listens"
        assert vendor.bodies[0].closed.wait(5), "upstream body never closed"


def test_client_leaving_before_the_first_event_closes_the_upstream_response() -> None:
    vendor = Vendor((200, {}, [BLOCK]))
    with running(config(vendor)) as url:
        with pytest.raises(httpx.ReadTimeout):
            post(url, HELLO, timeout=0.3)  # no status line yet: it waits for the first event
        assert vendor.bodies[0].closed.wait(5), "upstream body never closed"


def test_client_disconnect_cancels_a_pending_chat() -> None:
    cancelled = threading.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        try:
            await anyio.sleep(3600)
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    cfg = config(
        Vendor(), http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    with running(cfg) as url:
        with pytest.raises(httpx.ReadTimeout):
            post(url, HELLO, "/api/chat", timeout=0.3)
        assert cancelled.wait(5), "upstream request was not cancelled"


# ---- auth, hosts, CORS, routing ---------------------------------------------------------


def test_bearer_token() -> None:
    with running(config(sse_vendor(STREAM), token=Secret("s3cret"))) as url:
        missing = httpx.get(url + "/api/chat/models")
        wrong = httpx.get(url + "/api/chat/models", headers={"authorization": "Bearer nope"})
        right = httpx.get(url + "/api/chat/models", headers={"authorization": "Bearer s3cret"})
        stream = post(url, HELLO, headers={"authorization": "Bearer s3cret"})
        unauth_stream = post(url, HELLO)
        health = httpx.get(url + "/healthz")
    for r in (missing, wrong, unauth_stream):
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["type"] == "unauthorized"
    assert right.status_code == 200 and stream.status_code == 200
    assert health.json() == {"status": "ok"}


@pytest.mark.anyio
async def test_bearer_token_holds_when_mounted_under_a_prefix() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    inner = create_app(config(sse_vendor(STREAM), token=Secret("s3cret")))
    outer = Starlette(routes=[Mount("/llm", app=inner)])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        assert (await client.get("/llm/api/chat/models")).status_code == 401
        assert (await client.get("/llm/anything")).status_code == 401
        auth = {"authorization": "Bearer s3cret"}
        assert (await client.get("/llm/api/chat/models", headers=auth)).status_code == 200
        assert (await client.get("/llm/healthz")).json() == {"status": "ok"}


def test_token_defaults_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMKIT_SERVER_TOKEN", "from-env")
    cfg = ServerConfig()
    assert cfg.token == Secret("from-env") and "from-env" not in repr(cfg)
    monkeypatch.delenv("LLMKIT_SERVER_TOKEN")
    assert ServerConfig().token is None


def test_foreign_host_header_is_refused() -> None:
    with running(config(sse_vendor(STREAM))) as url:
        evil = httpx.get(url + "/healthz", headers={"host": "attacker.example:8100"})
        local = httpx.get(url + "/healthz", headers={"host": "localhost:8100"})
    assert evil.status_code == 400 and evil.json()["error"]["type"] == "untrusted_host"
    assert local.status_code == 200


def test_cors_is_off_unless_configured() -> None:
    preflight = {
        "origin": "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    with running(config(sse_vendor(STREAM))) as url:
        off = httpx.options(url + "/api/chat", headers=preflight)
    with running(config(sse_vendor(STREAM), cors_origins=("http://app.example",))) as url:
        on = httpx.options(url + "/api/chat", headers=preflight)
    assert "access-control-allow-origin" not in off.headers
    assert off.json()["error"]["type"] == "method_not_allowed"
    assert on.status_code == 200
    assert on.headers["access-control-allow-origin"] == "http://app.example"


def test_unknown_routes_answer_json() -> None:
    with running(config(sse_vendor(STREAM))) as url:
        r = httpx.get(url + "/api/nothing")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"


# ---- load --------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn serves on asyncio; test_server_asgi runs the server on trio


N_STREAMS, N_DELTAS = 100, 40


@pytest.mark.anyio
async def test_100_concurrent_streams_deliver_every_event_in_order() -> None:
    deltas = [toy.sse(("delta", {"text": f"{i},"})) for i in range(N_DELTAS)]
    vendor = Vendor((200, {}, [x for d in deltas for x in (d, 0.0)] + [toy.sse(END)]))
    results: dict[int, list[StreamEvent]] = {}

    async def one(client: httpx.AsyncClient, n: int) -> None:
        async with client.stream("POST", "/api/chat/stream", json=HELLO) as r:
            assert r.status_code == 200
            results[n] = [_event.decode(d) for _, d in frames(await r.aread())]

    with running(config(vendor)) as url:
        limits = httpx.Limits(max_connections=N_STREAMS)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
            started = time.perf_counter()
            with anyio.fail_after(20):
                async with anyio.create_task_group() as tg:
                    for n in range(N_STREAMS):
                        tg.start_soon(one, client, n)
            elapsed = time.perf_counter() - started
    assert len(vendor.seen) == N_STREAMS and len(results) == N_STREAMS
    text = "".join(f"{i}," for i in range(N_DELTAS))
    for events in results.values():
        assert [ev.text for ev in events if isinstance(ev, TextDelta)] == [
            f"{i}," for i in range(N_DELTAS)
        ]
        assert isinstance(events[-1], Done) and events[-1].response.text == text
        assert len(events) == N_DELTAS + 3
    print(f"{N_STREAMS} streams x {N_DELTAS + 3} events in {elapsed:.2f}s")


# ---- packaging ---------------------------------------------------------------------


def test_core_library_does_not_import_the_server_stack() -> None:
    code = (
        "import sys, llmkit, llmkit.api, llmkit.transport\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')"
        " or m == 'llmkit.server'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_replay_mode_serves_recordings_without_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TOY_API_KEY")
    (tmp_path / "0001.sse").write_bytes(STREAM)
    record = {
        "request": {"method": "POST", "host": "toy.invalid", "path": "/toy",
                    "body": {"model": "toy-1"}},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream"},
                     "body_file": "0001.sse"},
    }  # fmt: skip
    (tmp_path / "0001.json").write_text(json.dumps(record))
    cfg = replay_config(tmp_path, ServerConfig(registry=REG, token=None))
    with running(cfg) as url:
        streamed = post(url, HELLO)
        models = httpx.get(url + "/api/chat/models").json()["models"]
    assert [name for name, _ in frames(streamed.content)][-1] == "done"
    assert json.loads(frames(streamed.content)[-1][1])["text"] == "hello"
    assert models[0]["available"] is True


def test_serve_binds_loopback_by_default(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"from llmkit.server import serve; serve(port={port}, log_level='warning')"
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        assert r.json() == {"status": "ok"}
        evil = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"host": "evil.example"})
        assert evil.status_code == 400
    finally:
        proc.terminate()
        proc.wait(10)


def test_replay_mode_answers_plain_chat_from_the_demo_recordings() -> None:
    """The README's `llmkit serve --replay fixtures/demo` then `POST /api/chat`:
    the demo holds streamed recordings only."""
    demo = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
    with running(replay_config(demo, ServerConfig(token=None))) as url:
        r = post(url, {"model": "claude-sonnet-4-20250514", "messages": "Weather?"}, "/api/chat")
    assert r.status_code == 200, r.text
    assert r.json()["provider"] == "anthropic" and r.json()["message"]["content"]


def test_a_refused_host_names_the_setting_that_allows_it() -> None:
    with running(config(sse_vendor(STREAM))) as url:
        evil = httpx.get(url + "/healthz", headers={"host": "app.internal:8100"})
    message = evil.json()["error"]["message"]
    assert "'app.internal'" in message and "ServerConfig(allowed_hosts=" in message
