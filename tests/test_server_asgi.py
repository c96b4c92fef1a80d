"""The server's streaming machinery on both anyio backends, driven as a bare
ASGI app (uvicorn runs only asyncio; this checks the anyio code under trio
too): keep-alives, framing, and a disconnect closing the upstream body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _body_messages(sent: list[dict[str, Any]]) -> list[bytes]:
    return [m["body"] for m in sent if m["type"] == "http.response.body" and m["body"]]


@pytest.mark.anyio
async def test_the_events_of_one_upstream_chunk_go_out_in_one_write() -> None:
    """Frames wait while the pump folds a chunk and are written when it waits
    for the network: one ASGI send per upstream chunk, not per event."""
    first = toy.sse(*(("delta", {"text": t}) for t in "abc"))
    vendor = Vendor((200, {}, [first, 0.05, toy.sse(("delta", {"text": "d"}), END)]))
    sent: list[dict[str, Any]] = []
    with anyio.fail_after(5):
        await call(create_app(config(vendor)), HELLO, anyio.Event(), sent)
    writes = [[name for name, _ in frames(b)] for b in _body_messages(sent)]
    assert writes[0] == ["text_delta"] * 3
    assert writes[1] == ["text_delta", "usage", "finish", "done"]
    assert len(writes) == 2


@pytest.mark.anyio
async def test_a_large_chunk_is_written_in_bounded_pieces() -> None:
    """However many events one chunk holds, the buffer is written once it
    passes its high-water mark, so no write (and no buffer) grows past it."""
    from llmkit.server._sse import _HIGH_WATER

    texts = [f"{i:04d}" + "x" * 3000 for i in range(60)]  # ~180 KB in one chunk
    vendor = Vendor((200, {}, [toy.sse(*(("delta", {"text": t}) for t in texts), END)]))
    sent: list[dict[str, Any]] = []
    with anyio.fail_after(5):
        await call(create_app(config(vendor)), HELLO, anyio.Event(), sent)
    writes = _body_messages(sent)
    assert len(writes) >= 3
    # one frame past the mark at most; the last write holds the done frame,
    # which carries the whole answer (twice: response and text) by design
    assert max(len(w) for w in writes[:-1]) <= _HIGH_WATER + 3100
    got = [json.loads(d)["text"] for n, d in frames(b"".join(writes)) if n == "text_delta"]
    assert got == texts


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=15, deadline=None)
@given(chunks=st.lists(st.lists(st.text("ab é", min_size=1, max_size=4), min_size=1,
                                max_size=4), min_size=1, max_size=4))  # fmt: skip
def test_frames_keep_order_and_chunks_whatever_the_chunking(
    backend: str, chunks: list[list[str]]
) -> None:
    """For any grouping of deltas into upstream chunks (with a pause after
    each), every delta is framed once, in order, and each chunk's deltas
    share one write."""
    items: list[Any] = []
    for chunk in chunks:
        items += [toy.sse(*(("delta", {"text": t}) for t in chunk)), 0.01]
    vendor = Vendor((200, {}, [*items, toy.sse(END)]))
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        with anyio.fail_after(10):
            await call(create_app(config(vendor)), HELLO, anyio.Event(), sent)

    anyio.run(run, backend=backend)
    writes = [[(n, d) for n, d in frames(b) if n == "text_delta"] for b in _body_messages(sent)]
    per_write = [[json.loads(d)["text"] for _, d in w] for w in writes if w]
    assert per_write == chunks


@pytest.mark.anyio
async def test_frames_after_a_frame_past_the_mark_still_go_out_before_the_next_chunk() -> None:
    """The pump's own write (one frame past the high-water mark) must not
    leave the writer waiting on a stale signal: the small delta after it is
    written while the vendor is silent, not held until the stream ends."""
    big = "x" * 70_000
    chunk = toy.sse(("delta", {"text": big}), ("delta", {"text": "small"}))
    first = toy.sse(("delta", {"text": "a"}))
    vendor = Vendor((200, {}, [first, 0.05, chunk, 0.1, toy.sse(END)]))
    sent: list[dict[str, Any]] = []
    with anyio.fail_after(5):
        await call(create_app(config(vendor)), HELLO, anyio.Event(), sent)
    writes = [[n for n, _ in frames(b)] for b in _body_messages(sent)]
    assert writes == [["text_delta"]] * 3 + [["usage", "finish", "done"]]
