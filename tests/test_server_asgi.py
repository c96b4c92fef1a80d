"""The server's streaming machinery on both anyio backends, driven as a bare
ASGI app (uvicorn runs only asyncio; this checks the anyio code under trio
too): keep-alives, framing, and a disconnect closing the upstream body."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("starlette")

import anyio

from llmkit.server import create_app
from tests import toy_wire as toy
from tests.server_helpers import BLOCK, Vendor, config, frames

HELLO = json.dumps({"model": "toy-1", "messages": "Hello"}).encode()
END = ("end", {"id": "r1", "finish": "stop", "input": 1, "output": 1})


@pytest.fixture(autouse=True)
def _toy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "k")


async def call(app: Any, body: bytes, gone: anyio.Event, sent: list[dict[str, Any]]) -> None:
    """POST /api/chat/stream; the client disconnects when `gone` is set."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/chat/stream", "raw_path": b"/api/chat/stream", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8100),
        "headers": [(b"host", b"localhost:8100"), (b"content-type", b"application/json")],
    }  # fmt: skip
    await app(scope, receive, send)


@pytest.mark.anyio
async def test_keep_alive_then_events_in_order() -> None:
    delta = toy.sse(("delta", {"text": "a"}))
    vendor = Vendor((200, {}, [0.2, delta, toy.sse(END)]))
    sent: list[dict[str, Any]] = []
    with anyio.fail_after(5):
        await call(create_app(config(vendor, keep_alive=0.02)), HELLO, anyio.Event(), sent)
    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent[1:])
    names = [name for name, _ in frames(body)]
    assert names[0] == "" and names[names.index("text_delta") :] == [
        "text_delta", "usage", "finish", "done",
    ]  # fmt: skip
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert vendor.bodies[0].closed.is_set()


@pytest.mark.anyio
async def test_disconnect_closes_the_upstream_body() -> None:
    vendor = Vendor((200, {}, [toy.sse(("delta", {"text": "a"})), BLOCK]))
    sent: list[dict[str, Any]] = []
    gone = anyio.Event()
    app = create_app(config(vendor))
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, app, HELLO, gone, sent)
            while not any(b"text_delta" in m.get("body", b"") for m in sent):
                await anyio.sleep(0.005)
            assert not vendor.bodies[0].closed.is_set()
            gone.set()
    assert vendor.bodies[0].closed.is_set()
    assert all(m.get("more_body", True) for m in sent[1:])  # the response never completed
