"""Streaming events out as server-sent events, cancelled when the client leaves."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar, get_args

import anyio
import msgspec
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from llmkit.registry import Registry
from llmkit.server._errors import ErrorBody, error_info, error_response
from llmkit.types import Done, StreamEvent
from llmkit.types import Response as ChatResponse

log = logging.getLogger("llmkit.server")
_enc = msgspec.json.Encoder()
T = TypeVar("T")
S = TypeVar("S")

_FRAME_HEAD: Mapping[type, bytes] = {
    cls: f"event: {cls.__struct_config__.tag}\ndata: ".encode() for cls in get_args(StreamEvent)
}
_DONE_HEAD = _FRAME_HEAD[Done]
_KEEP_ALIVE = b": keep-alive\n\n"
# Frames wait in the buffer while the upstream chunk that carried them is
# folded; past this size the pump writes them itself (a slow client then holds
# the pump back, not the server's memory).
_HIGH_WATER = 64 * 1024
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


def _add_frame(buf: bytearray, ev: StreamEvent) -> None:
    """Append `ev`'s frame to `buf`, encoding in place (no per-event bytes)."""
    head = _FRAME_HEAD[type(ev)]
    if head is _DONE_HEAD:
        buf += _frame(ev)
        return
    buf += head
    _enc.encode_into(ev, buf, -1)
    buf += b"\n\n"


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone (the body has been read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _aclose(it: AsyncIterator[Any]) -> None:
    aclose: Callable[[], Awaitable[None]] | None = getattr(it, "aclose", None)
    if aclose is not None:
        await aclose()


class _Progress(msgspec.Struct):
    """How far one response has got (mutable, owned by one response): frames
    not yet written, and `wake`, set when `pending` gets its first frame."""

    last: float
    wake: anyio.Event
    pending: bytearray = msgspec.field(default_factory=bytearray)
    started: bool = False
    ended: bool = False


def _error_frame(e: Exception, reg: Registry) -> bytes:
    return b"event: error\ndata: " + _enc.encode(ErrorBody(error_info(e, reg))) + b"\n\n"


def folding(
    state: S, step: Callable[[S, StreamEvent], tuple[S, bytes]]
) -> tuple[Callable[[StreamEvent], bytes], Callable[[], S]]:
    """A dialect's pure stream fold, held for one response: the `frame` to
    give `event_stream`, and what the fold's state is now (for an error frame
    that must continue the dialect's sequence)."""
    box = [state]

    def frame(ev: StreamEvent) -> bytes:
        box[0], out = step(box[0], ev)
        return out

    return frame, lambda: box[0]


def event_stream(
    events: AsyncIterator[Any],
    keep_alive: float,
    reg: Registry,
    *,
    frame: Callable[[Any], bytes] = _frame,
    error_frame: Callable[[Exception, Registry], bytes] = _error_frame,
    error_reply: Callable[[Exception, Registry], Response] = error_response,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI response of /api/chat/stream, or of another dialect's stream
    given its `frame` (the bytes for one event), `error_frame` (for an error
    after the stream began) and `error_reply` (the HTTP error before it).

    Four tasks share one `send`, under a lock: the pump folds upstream events
    into frames in a buffer, a writer writes the buffer whenever the pump
    waits for the network (so the events of one upstream chunk go out in one
    write, and each event as it comes when they trickle), a ticker writes
    keep-alives (starting the response if the first event is slow), a watcher
    cancels everything when the client disconnects. The status line waits for
    the first event, so an error before any event is a proper HTTP error.
    Other dialects (`/v1/messages`, ...) pass their own `frame` for each event
    (bytes; empty writes nothing), and their own error frame and error response."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        out = _Progress(last=anyio.current_time(), wake=anyio.Event())
        lock = anyio.Lock(fast_acquire=True)  # uncontended: no checkpoint

        async def write(data: bytes) -> None:
            if not out.started:
                out.started = True
                await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
            await send({"type": "http.response.body", "body": data, "more_body": True})
            out.last = anyio.current_time()

        async def flush() -> None:
            """Write the pending frames (call under the lock)."""
            # A new signal before taking the frames (a later frame sets it); the
            # old one is set, so a writer still waiting on it wakes and re-reads.
            stale, out.wake = out.wake, anyio.Event()
            stale.set()
            if out.pending:
                data, out.pending = bytes(out.pending), bytearray()
                await write(data)

        async def fail(e: Exception) -> None:
            await flush()
            if not out.started:
                out.ended = True
                await error_reply(e, reg)(scope, receive, send)
                return
            await write(error_frame(e, reg))

        async def end() -> None:
            await flush()
            if not out.ended:
                out.ended = True
                if not out.started:  # a stream with no events at all
                    await write(b"")
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def pump(done: anyio.CancelScope) -> None:
            in_place = frame is _frame  # llmkit's own frames: encoded into the buffer
            try:
                while True:
                    try:
                        ev = await anext(events)
                        # the buffer after the await: the writer swaps in a new one
                        pending = out.pending
                        mark = len(pending)
                        try:
                            if in_place:
                                _add_frame(pending, ev)
                            else:
                                pending += frame(ev)
                        except Exception:
                            del pending[mark:]  # no half-encoded frame goes out
                            raise
                    except StopAsyncIteration:
                        break
                    except Exception as e:  # upstream failed: its error is the last frame
                        async with lock:
                            await fail(e)
                        break
                    if len(pending) > _HIGH_WATER:
                        async with lock:
                            await flush()
                    elif len(pending) > mark and not out.wake.is_set():
                        out.wake.set()
                async with lock:
                    await end()
            except OSError:  # ASGI 2.4 servers raise when the client has gone
                log.info("client disconnected mid-stream; cancelling upstream")
            finally:
                with anyio.CancelScope(shield=True):
                    await _aclose(events)  # closes the upstream response now, not at GC
                done.cancel()

        async def drain(done: anyio.CancelScope) -> None:
            while not out.ended:
                await out.wake.wait()  # runs once the pump awaits the network
                async with lock:
                    try:
                        await flush()
                    except OSError:
                        done.cancel()

        async def tick(done: anyio.CancelScope) -> None:
            while not out.ended:
                await anyio.sleep(max(0.0, out.last + keep_alive - anyio.current_time()))
                async with lock:
                    if out.ended or anyio.current_time() - out.last < keep_alive:
                        continue
                    try:
                        await write(_KEEP_ALIVE)
                    except OSError:
                        done.cancel()

        async def watch(done: anyio.CancelScope) -> None:
            await _disconnected(receive)
            if not out.ended:  # after our last byte, uvicorn reports a disconnect too
                log.info("client disconnected mid-stream; cancelling upstream")
                done.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(tick, tg.cancel_scope)
            tg.start_soon(watch, tg.cancel_scope)
            tg.start_soon(drain, tg.cancel_scope)
            await pump(tg.cancel_scope)

    return app


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
