"""The server's upstream connections: several small httpx pools, not one big one.

httpcore's pool looks at every connection it holds twice per request (to
assign the request, and again when the response closes): each idle
connection is asked whether it expired, which is an attribute lookup and a
`poll()` of its socket, about 10 µs. A gateway that has just served 100
concurrent streams holds tens of idle upstream connections for the next
`keepalive_expiry` seconds, and every request in that time pays for all of
them twice: measured on the gateway benchmark, 16 idle connections took a
proxied request from 1.3 to 1.9 ms of server CPU.

So requests go to the first of several pools that has a free connection
(`per_pool` each): sequential traffic stays on the first pool and its few
connections, a burst spreads over more pools, and a pool idle for
`keepalive_expiry` is closed with its connections. Connections stay warm for
concurrent traffic (no reconnecting as a small `max_keepalive_connections`
would), and a request looks at `per_pool` connections at most.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import httpx


class _Pool:
    """One httpx transport and how many of its connections are in use."""

    __slots__ = ("active", "idle_since", "transport")

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.active = 0
        self.idle_since = time.monotonic()

    def release(self) -> None:
        self.active -= 1
        if not self.active:
            self.idle_since = time.monotonic()


class _Released(httpx.AsyncByteStream):
    """A response body that gives its connection's place back when closed."""

    def __init__(self, stream: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    def __aiter__(self) -> AsyncIterator[bytes]:  # the body's own iterator: no hop per chunk
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        pool: _Pool | None
        pool, self._pool = self._pool, None
        try:
            await self._stream.aclose()
        finally:
            if pool is not None:
                pool.release()


class PooledTransport(httpx.AsyncBaseTransport):
    """An httpx transport over pools of `per_pool` connections each, made by
    `make(limits)` (an `httpx.AsyncHTTPTransport` by default), at most
    `max_connections` connections in all."""

    def __init__(
        self,
        per_pool: int = 2,
        max_connections: int = 1000,
        keepalive_expiry: float = 5.0,
        make: Callable[[httpx.Limits], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._limits = httpx.Limits(
            max_connections=per_pool,
            max_keepalive_connections=per_pool,
            keepalive_expiry=keepalive_expiry,
        )
        self._make = make or (lambda limits: httpx.AsyncHTTPTransport(limits=limits))
        self._per, self._expiry = per_pool, keepalive_expiry
        self._most = max(1, -(-max_connections // per_pool))
        self._pools: list[_Pool] = []

    @property
    def pools(self) -> int:
        """How many pools are open now."""
        return len(self._pools)

    @property
    def in_use(self) -> int:
        """Connections taken by a request whose response is not closed yet."""
        return sum(p.active for p in self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = await self._pick()
        pool.active += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, pool)
        return response

    async def _pick(self) -> _Pool:
        """The first pool with a free connection, a new one when none has and
        there may be more, else the least busy (which queues the request);
        pools other than the first idle past the keep-alive are closed."""
        pools, now = self._pools, time.monotonic()
        stale = [p for p in pools[1:] if not p.active and now - p.idle_since > self._expiry]
        if stale:
            self._pools = pools = [p for p in pools if p not in stale]
            for p in stale:
                await p.transport.aclose()
        for p in pools:
            if p.active < self._per:
                return p
        if len(pools) < self._most:
            pools.append(_Pool(self._make(self._limits)))
            return pools[-1]
        return min(pools, key=lambda p: p.active)

    async def aclose(self) -> None:
        pools, self._pools = self._pools, []
        for p in pools:
            await p.transport.aclose()
