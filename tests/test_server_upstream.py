"""The server's upstream transport (`llmkit.server._upstream.PooledTransport`)
over real sockets: sequential traffic on one pool and one connection, a burst
spread over pools whose connections stay warm, idle pools closed, every
connection given back on error and on cancellation, and queueing at the cap."""

from __future__ import annotations

import anyio
import httpx
import pytest

from llmkit.server._upstream import PooledTransport
from tests.loopback import END, base_url, chunk, head, vendor, whole

pytestmark = pytest.mark.anyio


def _ok(n: int) -> list[object]:
    return [whole(200, b'{"n": %d}' % n)]


def _slow(seconds: float) -> object:
    """A streamed answer that takes `seconds` to finish."""
    return lambda n: [head(200), chunk(b"data: 1\n\n"), seconds, chunk(b"data: 2\n\n"), END]


async def _stream(client: httpx.AsyncClient, url: str) -> bytes:
    async with client.stream("GET", url) as r:
        return await r.aread()


async def test_sequential_requests_stay_on_one_pool_and_one_connection() -> None:
    with vendor(_ok) as server:
        t = PooledTransport(per_pool=2)
        async with httpx.AsyncClient(transport=t) as client:
            for i in range(20):
                assert (await client.get(base_url(server))).json() == {"n": i}
            assert (t.pools, t.in_use, server.connections) == (1, 0, 1)


async def test_a_burst_spreads_over_pools_keeps_them_warm_and_idle_ones_close() -> None:
    with vendor(_slow(0.2)) as server:
        t = PooledTransport(per_pool=2, keepalive_expiry=0.5)
        async with httpx.AsyncClient(transport=t) as client:
            seen: list[int] = []

            async def burst() -> None:
                async with anyio.create_task_group() as tg:
                    for _ in range(6):
                        tg.start_soon(_stream, client, base_url(server))
                    await anyio.sleep(0.1)
                    seen.append(t.pools)

            await burst()
            await burst()  # within the keep-alive: the same six connections
            assert seen == [3, 3] and server.connections == 6 and t.in_use == 0
            await anyio.sleep(0.7)
            await _stream(client, base_url(server))  # pools idle past the keep-alive close
            assert t.pools == 1 and t.in_use == 0


async def test_every_connection_is_given_back_on_error_and_on_cancellation() -> None:
    from tests.loopback import CUT

    with vendor(lambda n: [CUT] if n == 0 else [5.0]) as server:
        t = PooledTransport(per_pool=1)
        async with httpx.AsyncClient(transport=t) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(base_url(server))
            assert t.in_use == 0
            with anyio.move_on_after(0.2):  # waiting for a head that never comes
                await client.get(base_url(server))
            assert t.in_use == 0


async def test_at_the_cap_a_request_waits_for_the_least_busy_pool() -> None:
    with vendor(_slow(0.2)) as server:
        t = PooledTransport(per_pool=1, max_connections=2)
        async with httpx.AsyncClient(transport=t, timeout=10) as client:
            got: list[bytes] = []

            async def one() -> None:
                got.append(await _stream(client, base_url(server)))

            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(one)
            assert got == [b"data: 1\n\ndata: 2\n\n"] * 3
            assert (t.pools, t.in_use, server.connections) == (2, 0, 2)
