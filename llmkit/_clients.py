"""The default httpx clients llmkit sends with when the caller gives none:
one sync client per process, one async client per event loop (connections
cannot cross loops), each closed with its loop; and `using_transport`, which
puts a transport of the caller's (replay, recording) under them."""

from __future__ import annotations

import contextlib
import contextvars
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import httpx

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0, pool=10.0)


# Clients the default ones give way to, set only inside `using_transport`
# (llmkit.testing's replay and record modes): a sync client, the async
# transport, and that transport's clients, one per event loop.
_Override = tuple[httpx.Client, httpx.AsyncBaseTransport, "weakref.WeakKeyDictionary[Any, Any]"]
_override: contextvars.ContextVar[_Override | None] = contextvars.ContextVar(
    "llmkit_transport_override", default=None
)


@contextmanager
def using_transport(
    sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport | None = None
) -> Iterator[None]:
    """Inside this block, calls without an `http_client` go through `sync` /
    `async_` (one object may serve both, as httpx.MockTransport does). Each
    event loop gets its own async client over `async_`."""
    if async_ is None:
        assert isinstance(sync, httpx.AsyncBaseTransport), "pass an async transport too"
        async_ = sync
    sync_client = httpx.Client(transport=sync, timeout=DEFAULT_TIMEOUT)
    token = _override.set((sync_client, async_, weakref.WeakKeyDictionary()))
    try:
        yield
    finally:
        _override.reset(token)
        sync_client.close()


_sync_client: httpx.Client | None = None
_sync_lock = threading.Lock()
# One pooled AsyncClient per event loop: connections cannot cross loops.
_async_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def default_client() -> httpx.Client:
    override = _override.get()
    if override is not None:
        return override[0]
    global _sync_client
    with _sync_lock:
        if _sync_client is None or _sync_client.is_closed:
            _sync_client = httpx.Client(timeout=DEFAULT_TIMEOUT)
        return _sync_client


def default_async_client() -> httpx.AsyncClient:
    """The running event loop's default client, closed when the loop ends."""
    override = _override.get()
    if override is not None:
        inner = override[1]
        return loop_local(override[2], lambda: httpx.AsyncClient(transport=inner))
    return loop_local(_async_clients, lambda: httpx.AsyncClient(timeout=DEFAULT_TIMEOUT))


_Closable = TypeVar("_Closable", httpx.AsyncClient, httpx.AsyncBaseTransport)


def loop_local(
    cache: weakref.WeakKeyDictionary[Any, Any], make: Callable[[], _Closable]
) -> _Closable:
    """The running event loop's entry in `cache`, made on first use and closed
    (awaited, in that loop) when the loop shuts its async generators down, as
    `asyncio.run` and `trio.run` do; the pooled sockets refer to the loop, so
    a loop's entry would otherwise keep it, and them, alive for ever."""
    loop = anyio.lowlevel.current_token().native_token
    entry = cache.get(loop)
    if entry is not None and not getattr(entry[0], "is_closed", False):
        return entry[0]  # type: ignore[no-any-return]
    for other in [k for k in cache if _ended(k)]:
        del cache[other]  # its sockets go with it, at the next garbage collection
    thing = make()
    guard = _closed_at_loop_end(thing, cache, loop)
    with contextlib.suppress(StopIteration):  # run it to its `yield`: the loop now tracks it
        guard.asend(None).send(None)
    cache[loop] = (thing, guard)
    return thing


def _ended(loop: Any) -> bool:
    """An asyncio loop closed without shutting its generators down (a manual
    `loop.close()`); trio's tokens have no such state."""
    is_closed = getattr(loop, "is_closed", None)
    return bool(is_closed is not None and is_closed())


async def _closed_at_loop_end(
    thing: httpx.AsyncClient | httpx.AsyncBaseTransport,
    cache: weakref.WeakKeyDictionary[Any, Any],
    loop: Any,
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if cache.get(loop, (None,))[0] is thing:
            del cache[loop]
        await thing.aclose()
