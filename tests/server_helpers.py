"""Running llmkit's server for real: uvicorn on a free loopback port in a
thread, with the vendor played by a scripted httpx transport (the toy wire
format, so no real provider is involved)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import uvicorn

from llmkit import registry as r
from llmkit.server import ServerConfig, create_app, uvicorn_options

TOY = r.Endpoint(
    name="toy", wire="tests.toy_wire", base_url="https://toy.invalid", key_env=("TOY_API_KEY",)
)
REG = r.Registry(endpoints={"toy": TOY}, prefixes={"toy-": "toy"})

# A script item: bytes are sent, a float sleeps that long, a threading.Event
# holds the body until it is set, and BLOCK never ends.
BLOCK = object()
Item = bytes | float | threading.Event | object


class Script(httpx.AsyncByteStream):
    """A vendor body played item by item, noting when the server closes it."""

    def __init__(self, items: Iterable[Item]) -> None:
        self.items = list(items)
        self.closed = threading.Event()

    async def __aiter__(self) -> Any:
        for item in self.items:
            if isinstance(item, bytes):
                yield item
            elif isinstance(item, float):
                await anyio.sleep(item)
            elif isinstance(item, threading.Event):
                while not item.is_set():
                    await anyio.sleep(0.005)
            else:
                await anyio.sleep(3600)

    async def aclose(self) -> None:
        self.closed.set()


class Vendor:
    """A fake vendor: each request gets the next answer (the last one repeats).
    An answer is (status, headers, body items) or an exception to raise."""

    def __init__(self, *answers: tuple[int, dict[str, str], list[Item]] | BaseException) -> None:
        self.answers = answers
        self.seen: list[httpx.Request] = []
        self.bodies: list[Script] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        answer = self.answers[min(len(self.seen), len(self.answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        status, headers, items = answer
        body = Script(items)
        self.bodies.append(body)
        first = next((i for i in items if isinstance(i, bytes)), b"")
        kind = "application/json" if first.lstrip()[:1] in (b"{", b"[") else "text/event-stream"
        return httpx.Response(status, headers={"content-type": kind, **headers}, stream=body)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


def sse_vendor(body: bytes) -> Vendor:
    return Vendor((200, {}, [body]))


def config(vendor: Vendor, **kw: Any) -> ServerConfig:
    """Server config for tests: the toy registry, the fake vendor, no retries
    and no token unless given (whatever the environment says)."""
    return ServerConfig(
        **{"registry": REG, "http_client": vendor.client, "max_retries": 0, "token": None, **kw}
    )


@contextmanager
def running(cfg: ServerConfig) -> Iterator[str]:
    """Serve `create_app(cfg)` on a free loopback port; yield its base URL."""
    # proto given explicitly: asyncio sets TCP_NODELAY only on sockets whose
    # proto is IPPROTO_TCP, and without it every response waits 40 ms for an ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = uvicorn_options(cfg)  # what `serve` runs: its timeouts and limits
    server = uvicorn.Server(
        uvicorn.Config(create_app(cfg), log_level="info", timeout_graceful_shutdown=2, **options)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started or not thread.is_alive(), 10)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _wait(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.005)


def frames(raw: bytes) -> list[tuple[str, str]]:
    """(event, data) per SSE frame, and ("", comment) per comment, in order."""
    out = []
    for block in raw.decode().split("\n\n"):
        if block.startswith(": "):
            out.append(("", block[2:]))
        elif block:
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            out.append((fields["event"], fields["data"]))
    return out
