"""uvicorn's HTTP/1.1 protocol with a deadline on request heads.

The protocol is uvicorn's httptools one when `httptools` is installed (the
`server` extra installs it: its C parser costs about 100 µs less per request
than h11's, measured on an echo app), else its h11 one.

uvicorn closes a connection that idles after a response (`timeout_keep_alive`)
but has no timer before a request: a client that connects and says nothing, or
sends its headers a byte at a time, holds the connection forever. This adds
one: a request head must be complete `header_timeout` seconds after the
connection opens, or after the first byte of a later request, or the
connection is closed. (Slow bodies are the app's: `read_body` has its own
deadline and answers 408.) Imported only by `uvicorn_options`, when serving.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

Protocol = type[asyncio.Protocol]
_MADE: dict[str, Protocol] = {}


def base() -> type[Any]:
    """uvicorn's httptools protocol when httptools is installed, else h11's."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools
        return H11Protocol
    return HttpToolsProtocol


def __getattr__(name: str) -> Protocol:
    """`HeadDeadline_10000ms` and the like, made on demand: uvicorn's workers
    are spawned processes that unpickle their config, and so find the protocol
    class by this name."""
    if name.startswith("HeadDeadline_") and name.endswith("ms"):
        ms = name.removeprefix("HeadDeadline_").removesuffix("ms")
        if ms.isdigit():
            return with_header_timeout(int(ms) / 1000)
    raise AttributeError(name)


def with_header_timeout(header_timeout: float) -> Protocol:
    """uvicorn's protocol (`base()`) closing connections whose request head
    is not complete in time. A class because uvicorn instantiates one per
    connection; one class per timeout, named so that it pickles (see
    `__getattr__`)."""
    name = f"HeadDeadline_{round(header_timeout * 1000)}ms"
    if name not in _MADE:
        cls = _make(header_timeout)
        cls.__name__ = cls.__qualname__ = name
        _MADE[name] = cls
    return _MADE[name]


def _make(header_timeout: float) -> Protocol:
    class HeadDeadline(base()):  # type: ignore[misc]
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self.cycle is None or self.cycle.response_complete:  # waiting for a head
                self._arm()
            super().data_received(data)
            if self.cycle is not None and not self.cycle.response_complete:  # it came
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _too_slow(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeadDeadline
