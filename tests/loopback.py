"""A misbehaving vendor on 127.0.0.1, for faults a MockTransport cannot play:
real sockets, httpcore's connection pool, cut and stalled connections.

Each request gets `answer(n)` (n counts requests from 0): a list of raw
bytes to send, floats to sleep, and CUT to drop the connection. After the
list the connection stays open for the next request (keep-alive).
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

CUT = object()
Item = bytes | float | object


def head(status: int = 200, kind: str = "text/event-stream", length: int | None = None,
         extra: str = "") -> bytes:  # fmt: skip
    size = f"content-length: {length}\r\n" if length is not None else ""
    chunked = "" if length is not None else "transfer-encoding: chunked\r\n"
    return (f"HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\n{size}{chunked}{extra}\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One piece of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


END = b"0\r\n\r\n"


def whole(status: int, body: bytes, kind: str = "application/json", extra: str = "") -> bytes:
    return head(status, kind, len(body), extra) + body


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        while not self.server.stopping.is_set():
            length = 0
            line = self.rfile.readline()
            if not line:
                return
            while line not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
                line = self.rfile.readline()
            self.rfile.read(length)
            with self.server.lock:
                n = self.server.count
                self.server.count += 1
            for item in self.server.answer(n):
                if item is CUT:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(item, float):
                    if self.server.stopping.wait(item):
                        return
                else:
                    assert isinstance(item, bytes)
                    try:
                        self.wfile.write(item)
                        self.wfile.flush()
                    except OSError:
                        return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: Callable[[int], list[Item]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.count = 0
        self.connections = 0  # accepted, in all
        self.lock = threading.Lock()
        self.stopping = threading.Event()


@contextmanager
def vendor(answer: Callable[[int], list[Item]]) -> Iterator[_Server]:
    """Serve `answer` on a free port; `server.server_address[1]` is the port."""
    server = _Server(answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def base_url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def watchdog(fn: Callable[[], object], seconds: float) -> object:
    """Run `fn` in a daemon thread; fail if it has not returned in `seconds`
    (a deadlocked test must fail, never hang the suite)."""
    out: list[object] = []
    err: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:
            err.append(e)

    t = threading.Thread(target=run, daemon=True)
    start = time.monotonic()
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {time.monotonic() - start:.1f} s: deadlocked"
    if err:
        raise err[0]
    return out[0] if out else None
