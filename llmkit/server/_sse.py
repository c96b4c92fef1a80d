"""Streaming events out as server-sent events, cancelled when the client leaves."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar, get_args

import anyio
import msgspec
from starlette.types import Receive, Scope, Send

from llmkit.registry import Registry
from llmkit.server._errors import ErrorBody, error_info, error_response
from llmkit.types import Done, StreamEvent
from llmkit.types import Response as ChatResponse

log = logging.getLogger("llmkit.server")
_enc = msgspec.json.Encoder()
T = TypeVar("T")

_FRAME_HEAD: Mapping[type, bytes] = {
    cls: f"event: {cls.__struct_config__.tag}\ndata: ".encode() for cls in get_args(StreamEvent)
}
_KEEP_ALIVE = b": keep-alive\n\n"
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx and friends: do not buffer the stream
]


def views(resp: ChatResponse) -> dict[str, Any]:
    """Convenience views clients would otherwise compute from `message`."""
    return {"text": resp.text, "tool_calls": msgspec.to_builtins(resp.tool_calls)}


def _frame(ev: StreamEvent) -> bytes:
    if isinstance(ev, Done):
        data = {"type": "done", "response": msgspec.to_builtins(ev.response), **views(ev.response)}
        return b"event: done\ndata: " + _enc.encode(data) + b"\n\n"
    return _FRAME_HEAD[type(ev)] + _enc.encode(ev) + b"\n\n"


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone (the body has been read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _aclose(it: AsyncIterator[Any]) -> None:
    aclose: Callable[[], Awaitable[None]] | None = getattr(it, "aclose", None)
    if aclose is not None:
        await aclose()


async def _pump(
    events: AsyncIterator[StreamEvent], tx: anyio.abc.ObjectSendStream[StreamEvent | Exception]
) -> None:
    """Upstream events into the channel; an error is the last item."""
    async with tx:
        try:
            async for ev in events:
                await tx.send(ev)
        except Exception as e:
            await tx.send(e)
        finally:
            with anyio.CancelScope(shield=True):
                await _aclose(events)  # closes the upstream response now, not at GC


class EventStream:
    """The ASGI response of /api/chat/stream.

    Three tasks share one `send`, under a lock: the pump feeds upstream events
    through a rendezvous channel, a ticker writes keep-alives (starting the
    response if the first event is slow), a watcher cancels everything when the
    client disconnects. The status line waits for the first item, so an error
    before any event is a proper HTTP error."""

    def __init__(self, events: AsyncIterator[StreamEvent], keep_alive: float, reg: Registry):
        self.events, self.keep_alive, self.reg = events, keep_alive, reg
        self.lock = anyio.Lock()
        self.started = self.ended = False
        self.last = anyio.current_time()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tx, rx = anyio.create_memory_object_stream[StreamEvent | Exception](0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(_pump, self.events, tx)
            tg.start_soon(self._tick, send, tg.cancel_scope)
            tg.start_soon(self._watch, receive, tg.cancel_scope)
            try:
                async with rx:
                    async for item in rx:
                        async with self.lock:
                            await self._emit(item, scope, receive, send)
                        if isinstance(item, Exception):
                            break
                async with self.lock:
                    await self._end(send)
            except OSError:  # ASGI 2.4 servers raise when the client has gone
                log.info("client disconnected mid-stream; cancelling upstream")
            tg.cancel_scope.cancel()

    async def _emit(self, item: StreamEvent | Exception, scope: Scope, r: Receive, s: Send) -> None:
        if isinstance(item, Exception):
            if not self.started:
                self.ended = True
                await error_response(item, self.reg)(scope, r, s)
                return
            data = _enc.encode(ErrorBody(error_info(item, self.reg)))
            await self._write(s, b"event: error\ndata: " + data + b"\n\n")
        else:
            await self._write(s, _frame(item))

    async def _write(self, send: Send, data: bytes) -> None:
        if not self.started:
            self.started = True
            await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        await send({"type": "http.response.body", "body": data, "more_body": True})
        self.last = anyio.current_time()

    async def _end(self, send: Send) -> None:
        if not self.ended:
            self.ended = True
            if not self.started:  # a stream with no events at all
                await self._write(send, b"")
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _tick(self, send: Send, scope: anyio.CancelScope) -> None:
        while not self.ended:
            await anyio.sleep(max(0.0, self.last + self.keep_alive - anyio.current_time()))
            async with self.lock:
                if self.ended or anyio.current_time() - self.last < self.keep_alive:
                    continue
                try:
                    await self._write(send, _KEEP_ALIVE)
                except OSError:
                    scope.cancel()

    async def _watch(self, receive: Receive, scope: anyio.CancelScope) -> None:
        await _disconnected(receive)
        if not self.ended:  # after our last byte, uvicorn reports a disconnect too
            log.info("client disconnected mid-stream; cancelling upstream")
            scope.cancel()


async def unless_disconnected(receive: Receive, work: Callable[[], Awaitable[T]]) -> T | None:
    """`work()`'s result, or None if the client left first (work is cancelled)."""
    out: list[T] = []
    failed: list[Exception] = []

    async def run(scope: anyio.CancelScope) -> None:
        try:
            out.append(await work())
        except Exception as e:
            failed.append(e)
        scope.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run, tg.cancel_scope)
        await _disconnected(receive)
        tg.cancel_scope.cancel()
    if failed:
        raise failed[0]
    return out[0] if out else None
