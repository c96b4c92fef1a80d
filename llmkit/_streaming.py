"""Streaming: the provider's fold driven over the events of the body's
framing (SSE, `llmkit._sse`, unless a route says otherwise), as the events
arrive. `stream`/`astream` give the events, a broken stream raises its error
with the partial response attached, and a framed stream that fails before its
first event is sent again. Each sync function has its async twin right below
it."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx

from llmkit import _sse
from llmkit._bodies import _aerror_body, _error_body
from llmkit._call import Call, _renamed, _request
from llmkit._clients import default_async_client, default_client
from llmkit._closing import EventStream, _Open
from llmkit._deadlines import _end, _late, _within
from llmkit._failures import _delay, _keyless, _network_error, _secrets
from llmkit._sending import _log, _log_retry, asend, send
from llmkit.errors import ApiError, DecodeError, LlmkitError, StreamError, redact
from llmkit.protocols import HttpRequest, Provider
from llmkit.types import ChatRequest, Done, Response, StreamEvent

Finish = Callable[[Response], Response]


def _framing(call: Call) -> Any:
    """The call's stream framing module (`llmkit.protocols.Framing`)."""
    return _sse if call.framing is None else call.framing


def _not_sse(call: Call, r: httpx.Response, body: bytes) -> StreamError:
    kind = r.headers.get("content-type", "nothing")
    want = _framing(call).CONTENT_TYPE
    err = StreamError(
        f"expected {want}, got {kind}",
        provider=call.name,
        body=body.decode("utf-8", "replace"),
    )
    return _keyless(call, err)


def _is_stream(call: Call, r: httpx.Response) -> bool:
    """The body is in the call's stream framing (SSE unless the route says)."""
    return str(_framing(call).CONTENT_TYPE) in r.headers.get("content-type", "")


def _broken(call: Call, p: Provider[Any], state: Any, e: Exception) -> LlmkitError:
    """The error that ends a stream, with the partial response attached (and,
    like `e` itself, without the key)."""
    for secret in _secrets(call) or [""]:
        redact(e, secret)
    err = _keyless(call, _ending(call, p, state, e))
    _log.debug("stream from %s broke: %s: %s", call.name, type(err).__name__, err)
    return err


def _ending(call: Call, p: Provider[Any], state: Any, e: Exception) -> LlmkitError:
    partial = _renamed(call, p.snapshot(state))
    if isinstance(e, DecodeError):  # an unreadable event is a broken stream, whoever read it
        return StreamError(e.message, provider=call.name, body=e.body, partial=partial)
    if isinstance(e, LlmkitError):
        e.provider = call.name
        if e.partial is None:
            e.partial = partial
        return e
    assert isinstance(e, httpx.HTTPError)
    return _network_error(call, e, partial)


def _done(call: Call, ev: StreamEvent, finish: Finish | None) -> StreamEvent:
    if not isinstance(ev, Done):
        return ev
    resp = ev.response if ev.response.provider == call.name else _renamed(call, ev.response)
    if finish is not None:
        resp = finish(resp)
    return ev if resp is ev.response else Done(response=resp)


# A framing is a pure fold over the body's bytes (SSE: llmkit._sse; AWS
# event-stream: llmkit.routes._eventstream), each event bounded by
# Limits.max_line. The events of each network chunk come as one list: the
# stream fold loops over it, so a generator is resumed once per chunk, not
# once per event (hot path).
def _framed(call: Call, chunks: Iterator[bytes], end: float | None) -> Iterator[list[Any]]:
    f = _framing(call)
    state, limit = f.start(), call.limits.max_line
    for chunk in chunks:
        if end is not None and time.monotonic() > end:
            raise _late(call)
        state, batch = f.feed(state, chunk, limit)
        if batch:
            yield batch
    yield f.end(state)


async def _aframed(
    call: Call, chunks: AsyncIterator[bytes], end: float | None
) -> AsyncIterator[list[Any]]:
    f = _framing(call)
    state, limit = f.start(), call.limits.max_line
    async for chunk in chunks:
        state, batch = f.feed(state, chunk, limit)
        if batch:
            yield batch
    yield f.end(state)


# A framed stream can say it failed before its first event (Bedrock sends a
# throttlingException frame after HTTP 200). Nothing was generated then, so the
# call is sent again as an error status would be: same policy, same deadline.
# Only the framing's own errors before any event count; after one, never.
def _framed_retried(
    call: Call,
    client: httpx.Client,
    hr: HttpRequest,
    r: httpx.Response,
    end: float | None,
    h: _Open,
) -> Iterator[list[Any]]:
    attempt = 0
    while True:
        batches = _framed(call, r.iter_bytes(), end)
        try:
            return itertools.chain([next(batches)], batches)
        except ApiError as e:
            err, wait = e, _delay(call.retry, attempt, e, end)
            if wait is None:
                raise
        r.close()
        _log_retry(call, attempt, wait, err)
        time.sleep(wait)
        attempt += 1
        r = send(call, client, hr, end)
        h.release = r.close
        if not _is_stream(call, r):
            raise _not_sse(call, r, _error_body(call, r, end))


async def _aframed_retried(
    call: Call, client: httpx.AsyncClient, hr: HttpRequest, r: httpx.Response, end: float | None
) -> tuple[httpx.Response, AsyncIterator[list[Any]]]:
    """The async twin; it returns the response now open (the caller closes
    it), and closes it itself when it raises (the caller holds the first one)."""
    attempt = 0
    try:
        while True:
            chunks = r.aiter_bytes() if end is None else _achunks(call, r, end)
            batches = _aframed(call, chunks, end)
            try:
                first = await batches.__anext__()
                return r, _prepend(first, batches)
            except ApiError as e:
                err, wait = e, _delay(call.retry, attempt, e, end)
                if wait is None:
                    raise
            await r.aclose()
            _log_retry(call, attempt, wait, err)
            await anyio.sleep(wait)
            attempt += 1
            r = await asend(call, client, hr, end)
            if not _is_stream(call, r):
                raise _not_sse(call, r, await _aerror_body(call, r, end))
    except BaseException:
        await r.aclose()
        raise


async def _prepend(first: list[Any], rest: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
    yield first
    async for batch in rest:
        yield batch


async def _achunks(call: Call, r: httpx.Response, end: float | None) -> AsyncIterator[bytes]:
    """The body's chunks, each awaited under what is left of the deadline."""
    chunks = r.aiter_bytes()
    while True:
        try:
            with _within(call, end):
                chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        yield chunk


def stream(
    call: Call, client: httpx.Client | None, req: ChatRequest, finish: Finish | None = None
) -> EventStream[StreamEvent]:
    """The provider's fold over the SSE events of one streamed call (the
    default client when `client` is None), as an iterator that is also a
    context manager; nothing is sent before the first `next`. `finish` maps
    the final response."""
    return EventStream(lambda h: _fold(call, client, req, finish, h), batched=True)


def _fold(
    call: Call, client: httpx.Client | None, req: ChatRequest, finish: Finish | None, h: _Open
) -> Iterator[list[StreamEvent]]:
    """Each SSE event's events, as the list the fold made (see `stream`)."""
    # The response is closed here when the events run out or iterating raises,
    # in the caller's own `next` (EventStream iterates this generator without a
    # frame of its own); on `close()` or when dropped, by the EventStream (see
    # llmkit._closing): never by the collector, hence no try/finally.
    p = call.provider
    step = p.step
    try:
        end = _end(call)
        client = client or default_client()
        hr = _request(call, req)
        r = send(call, client, hr, end)
        h.release = r.close
        if not _is_stream(call, r):
            raise _not_sse(call, r, _error_body(call, r, end))
        state = p.start(req)
        try:
            if call.framing is None:
                batches: Iterator[list[Any]] = _framed(call, r.iter_bytes(), end)
            else:
                batches = _framed_retried(call, client, hr, r, end, h)
            for batch in batches:
                for sse in batch:
                    state, out = step(state, sse)
                    yield out
            out = p.finish(state)
        except (LlmkitError, httpx.HTTPError) as e:
            raise _broken(call, p, state, e) from e
        yield [_done(call, ev, finish) for ev in out]
    except GeneratorExit:
        raise  # EventStream.close: it releases the response itself
    except BaseException:
        h.close()
        raise
    h.close()


async def astream(
    call: Call, client: httpx.AsyncClient | None, req: ChatRequest, finish: Finish | None = None
) -> AsyncIterator[StreamEvent]:
    p = call.provider
    step = p.step
    end = _end(call)
    client = client or default_async_client()  # here, inside the running event loop
    hr = _request(call, req)
    r = await asend(call, client, hr, end)
    try:
        if not _is_stream(call, r):
            raise _not_sse(call, r, await _aerror_body(call, r, end))
        state = p.start(req)
        try:
            if call.framing is None:
                chunks = r.aiter_bytes() if end is None else _achunks(call, r, end)
                batches: AsyncIterator[list[Any]] = _aframed(call, chunks, end)
            else:
                r, batches = await _aframed_retried(call, client, hr, r, end)
            async for batch in batches:
                for sse in batch:
                    state, out = step(state, sse)
                    for ev in out:
                        yield ev
            out = p.finish(state)
        except (LlmkitError, httpx.HTTPError) as e:
            raise _broken(call, p, state, e) from e
        for ev in out:
            yield _done(call, ev, finish)
    finally:
        await r.aclose()
