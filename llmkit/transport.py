"""The one module that touches the network (httpx, httpx-sse, anyio).

It turns a provider's HttpRequest into an httpx request, adds the key last,
retries what is safe to retry, maps non-2xx answers through the provider's
`parse_error`, and drives the provider's streaming fold over SSE events. Each
sync function has its async twin right below it.
"""

from __future__ import annotations

import contextvars
import email.utils
import logging
import random
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import httpx
import httpx_sse
import msgspec

from llmkit.errors import (
    ApiError,
    ConnectionFailed,
    DecodeError,
    LlmkitError,
    StreamError,
    Timeout,
    redact,
    redact_text,
)
from llmkit.protocols import HttpRequest, Provider
from llmkit.providers._common import retry_after_seconds
from llmkit.registry import Secret
from llmkit.types import ChatRequest, Done, ModelInfo, Response, StreamEvent

# ---- logging: DEBUG lines for each request, retry and broken stream. URLs and
# llmkit errors carry no key (the key is added to headers last; errors are redacted).
_log = logging.getLogger("llmkit")


def _log_request(hr: HttpRequest, t0: float, r: httpx.Response | None, err: Any = None) -> None:
    if _log.isEnabledFor(logging.DEBUG):
        ms = (time.monotonic() - t0) * 1000
        rid = r.headers.get("request-id") or r.headers.get("x-request-id") if r else None
        status = r.status_code if r is not None else type(err).__name__
        _log.debug("%s %s -> %s in %.0f ms (request id %s)", hr.method, hr.url, status, ms, rid)


def _log_retry(call: Call, attempt: int, delay: float, err: LlmkitError) -> None:
    _log.debug("retry %d of %d to %s in %.2f s after: %s",
               attempt + 1, call.retry.max_retries, call.name, delay, err)  # fmt: skip


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Exponential backoff with full jitter, honouring the vendor's
    retry-after advice up to `max_delay`."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 60.0


class Call(msgspec.Struct, frozen=True, kw_only=True):
    """One resolved call: who to ask, with what key, under which name.
    `name` differs from `provider.NAME` for OpenAI-compatible endpoints."""

    provider: Any  # a Provider module; Any because msgspec cannot type modules
    name: str
    base_url: str
    key: Secret | None
    timeout: float | httpx.Timeout | None = None
    retry: RetryPolicy = RetryPolicy()


# ---- requests and errors ---------------------------------------------------


def _to_httpx(
    client: httpx.Client | httpx.AsyncClient, call: Call, hr: HttpRequest
) -> httpx.Request:
    p: Provider = call.provider
    headers = dict(hr.headers)
    if call.key is not None:
        headers.update(p.auth_headers(call.key.reveal()))  # last, never logged
    timeout = call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT
    return client.build_request(
        hr.method, hr.url, headers=headers, content=hr.body, timeout=timeout
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    lowered = {k.lower(): v for k, v in headers.items()}
    seconds = retry_after_seconds(lowered)
    value = lowered.get("retry-after")
    if seconds is not None or not value:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _delay(policy: RetryPolicy, attempt: int, err: LlmkitError) -> float:
    advised = err.retry_after if isinstance(err, ApiError) else None
    if advised is not None:
        return min(advised, policy.max_delay)
    return random.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))


def _should_retry(err: LlmkitError, attempt: int, policy: RetryPolicy) -> bool:
    if attempt >= policy.max_retries:
        return False
    if isinstance(err, ApiError):
        if err.headers.get("x-should-retry") == "false":
            return False
        return err.retryable
    return isinstance(err, (ConnectionFailed, Timeout))


def _api_error(
    call: Call, status: int, headers: httpx.Headers, body: bytes, where: str = ""
) -> ApiError:
    p: Provider = call.provider
    err = p.parse_error(status, headers, body)
    if status == 404 and where:  # a wrong base URL (a proxy, a gateway) shows where it went
        err.message = f"{err.message} ({where})"
        err.args = (err.message,)
    if err.retry_after is None:
        err.retry_after = retry_after(headers)
    if err.request_id is None:
        err.request_id = headers.get("request-id") or headers.get("x-request-id")
    err.headers = {**headers, **err.headers}
    err.provider = call.name
    return _keyless(call, err)


_E = TypeVar("_E", bound=LlmkitError)
_T = TypeVar("_T")


def _keyless(call: Call, err: _E) -> _E:
    """Every error the transport raises passes here: a vendor that echoes the
    key (in a 401 body, a header, a mid-stream error event) must not get it
    into our error, whatever the key's shape."""
    redact(err, None if call.key is None else call.key.reveal())
    return err


def _without_key(text: str, key: Secret | None) -> str:
    return redact_text(text, None if key is None else key.reveal())


def _network_error(call: Call, e: httpx.HTTPError, partial: Response | None = None) -> LlmkitError:
    if isinstance(e, httpx.TimeoutException):
        return Timeout(f"timed out: {type(e).__name__}", provider=call.name, partial=partial)
    text = _without_key(f"{type(e).__name__}: {e}", call.key)
    return _keyless(call, ConnectionFailed(text, provider=call.name, partial=partial))


def _cause(call: Call, e: Exception) -> Exception | None:
    """What to chain a network error to: not an httpx error whose text holds
    the key (httpx quotes a header it refuses to send)."""
    return None if _without_key(str(e), call.key) != str(e) else e


def _renamed(call: Call, resp: Response) -> Response:
    """A compatible endpoint answers in its wire module's name; report it, and
    stamp its parts, under its own, so its signatures and raw blocks are never
    taken for the real vendor's (llmkit.handoff compares these names)."""
    if call.name == resp.provider:
        return resp
    wire, name = resp.provider, call.name
    content = [
        msgspec.structs.replace(p, provider=name) if getattr(p, "provider", None) == wire else p
        for p in resp.message.content
    ]
    message = msgspec.structs.replace(resp.message, provider=call.name, content=content)
    return msgspec.structs.replace(resp, provider=call.name, message=message)


# ---- default clients ---------------------------------------------------------

_DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)

# Clients the default ones give way to, set only inside `using_transport`
# (llmkit.testing's replay and record modes).
_override: contextvars.ContextVar[tuple[httpx.Client, httpx.AsyncClient] | None] = (
    contextvars.ContextVar("llmkit_transport_override", default=None)
)


@contextmanager
def using_transport(
    sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport | None = None
) -> Iterator[None]:
    """Inside this block, calls without an `http_client` go through `sync` /
    `async_` (one object may serve both, as httpx.MockTransport does)."""
    if async_ is None:
        assert isinstance(sync, httpx.AsyncBaseTransport), "pass an async transport too"
        async_ = sync
    sync_client = httpx.Client(transport=sync, timeout=_DEFAULT_TIMEOUT)
    async_client = httpx.AsyncClient(transport=async_, timeout=_DEFAULT_TIMEOUT)
    token = _override.set((sync_client, async_client))
    try:
        yield
    finally:
        _override.reset(token)
        sync_client.close()  # the async one holds nothing that outlives this block


_sync_client: httpx.Client | None = None
_sync_lock = threading.Lock()
# One pooled AsyncClient per event loop: connections cannot cross loops.
_async_clients: weakref.WeakKeyDictionary[object, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def default_client() -> httpx.Client:
    override = _override.get()
    if override is not None:
        return override[0]
    global _sync_client
    with _sync_lock:
        if _sync_client is None or _sync_client.is_closed:
            _sync_client = httpx.Client(timeout=_DEFAULT_TIMEOUT)
        return _sync_client


def default_async_client() -> httpx.AsyncClient:
    override = _override.get()
    if override is not None:
        return override[1]
    loop = anyio.lowlevel.current_token().native_token
    client = _async_clients.get(loop)
    if client is None or client.is_closed:
        client = _async_clients[loop] = httpx.AsyncClient(timeout=_DEFAULT_TIMEOUT)
    return client


# ---- sending, with retries -----------------------------------------------------


def send(
    call: Call, client: httpx.Client, hr: HttpRequest, *, stream: bool = False
) -> httpx.Response:
    """Send with retries; return the first 2xx answer. With `stream`, its body
    is not read yet and the caller must close it."""
    attempt = 0
    while True:
        t0 = time.monotonic()
        try:
            r = client.send(_to_httpx(client, call, hr), stream=stream)
        except httpx.HTTPError as e:
            err: LlmkitError = _network_error(call, e)
            _log_request(hr, t0, None, err)
            if not _should_retry(err, attempt, call.retry):
                raise err from _cause(call, e)
        else:
            _log_request(hr, t0, r)
            if r.is_success:
                return r
            try:
                err = _api_error(call, r.status_code, r.headers, r.read(), f"{hr.method} {hr.url}")
            finally:
                r.close()
            if not _should_retry(err, attempt, call.retry):
                raise err
        delay = _delay(call.retry, attempt, err)
        _log_retry(call, attempt, delay, err)
        time.sleep(delay)
        attempt += 1


async def asend(
    call: Call, client: httpx.AsyncClient, hr: HttpRequest, *, stream: bool = False
) -> httpx.Response:
    attempt = 0
    while True:
        t0 = time.monotonic()
        try:
            r = await client.send(_to_httpx(client, call, hr), stream=stream)
        except httpx.HTTPError as e:
            err: LlmkitError = _network_error(call, e)
            _log_request(hr, t0, None, err)
            if not _should_retry(err, attempt, call.retry):
                raise err from _cause(call, e)
        else:
            _log_request(hr, t0, r)
            if r.is_success:
                return r
            try:
                err = _api_error(
                    call, r.status_code, r.headers, await r.aread(), f"{hr.method} {hr.url}"
                )
            finally:
                await r.aclose()
            if not _should_retry(err, attempt, call.retry):
                raise err
        delay = _delay(call.retry, attempt, err)
        _log_retry(call, attempt, delay, err)
        await anyio.sleep(delay)
        attempt += 1


def chat(call: Call, client: httpx.Client, req: ChatRequest) -> Response:
    p: Provider = call.provider
    r = send(call, client, p.build_request(req, call.base_url))
    if _is_sse(r):
        return _folded(call, req, r)
    return _renamed(call, _parsed(call, p.parse_response, r.content))


async def achat(call: Call, client: httpx.AsyncClient, req: ChatRequest) -> Response:
    p: Provider = call.provider
    r = await asend(call, client, p.build_request(req, call.base_url))
    if _is_sse(r):
        return _folded(call, req, r)
    return _renamed(call, _parsed(call, p.parse_response, r.content))


def _parsed(call: Call, parse: Callable[[bytes], _T], body: bytes) -> _T:
    try:
        return parse(body)
    except LlmkitError as e:
        _keyless(call, e)
        raise


def _folded(call: Call, req: ChatRequest, r: httpx.Response) -> Response:
    """A whole (already read) event stream answering a non-streamed call, as a
    replayed streamed recording does: the fold gives the same Response."""
    p: Provider = call.provider
    state = p.start(req)
    try:
        for sse in httpx_sse.EventSource(r).iter_sse():
            state, _ = p.step(state, sse)
        out = p.finish(state)
    except (LlmkitError, httpx.HTTPError, httpx_sse.SSEError) as e:
        raise _broken(call, p, state, e) from e
    done = [ev.response for ev in out if isinstance(ev, Done)]
    if not done:
        raise StreamError("the stream ended without a response", provider=call.name)
    return _renamed(call, done[-1])


# ---- streaming ---------------------------------------------------------------


def _not_sse(call: Call, r: httpx.Response, body: bytes) -> StreamError:
    kind = r.headers.get("content-type", "nothing")
    err = StreamError(
        f"expected text/event-stream, got {kind}",
        provider=call.name,
        body=body.decode("utf-8", "replace"),
    )
    return _keyless(call, err)


def _is_sse(r: httpx.Response) -> bool:
    return "text/event-stream" in r.headers.get("content-type", "")


def _broken(call: Call, p: Provider, state: Any, e: Exception) -> LlmkitError:
    """The error that ends a stream, with the partial response attached (and,
    like `e` itself, without the key)."""
    redact(e, None if call.key is None else call.key.reveal())
    err = _keyless(call, _ending(call, p, state, e))
    _log.debug("stream from %s broke: %s: %s", call.name, type(err).__name__, err)
    return err


def _ending(call: Call, p: Provider, state: Any, e: Exception) -> LlmkitError:
    partial = _renamed(call, p.snapshot(state))
    if isinstance(e, DecodeError):  # an unreadable event is a broken stream, whoever read it
        return StreamError(e.message, provider=call.name, body=e.body, partial=partial)
    if isinstance(e, LlmkitError):
        e.provider = call.name
        if e.partial is None:
            e.partial = partial
        return e
    if isinstance(e, httpx_sse.SSEError):
        return StreamError(f"malformed SSE: {e}", provider=call.name, partial=partial)
    assert isinstance(e, httpx.HTTPError)
    return _network_error(call, e, partial)


def _done(call: Call, ev: StreamEvent) -> StreamEvent:
    if isinstance(ev, Done) and ev.response.provider != call.name:
        return Done(response=_renamed(call, ev.response))
    return ev


def stream(call: Call, client: httpx.Client | None, req: ChatRequest) -> Iterator[StreamEvent]:
    """The provider's fold over the SSE events of one streamed call (the
    default client when `client` is None)."""
    p: Provider = call.provider
    step = p.step
    r = send(call, client or default_client(), p.build_request(req, call.base_url), stream=True)
    try:
        if not _is_sse(r):
            raise _not_sse(call, r, r.read())
        state = p.start(req)
        try:
            for sse in httpx_sse.EventSource(r).iter_sse():
                state, out = step(state, sse)
                for ev in out:  # cheaper than `yield from` for a list of one
                    yield ev
            out = p.finish(state)
        except (LlmkitError, httpx.HTTPError, httpx_sse.SSEError) as e:
            raise _broken(call, p, state, e) from e
        for ev in out:
            yield _done(call, ev)
    finally:
        r.close()


async def astream(
    call: Call, client: httpx.AsyncClient | None, req: ChatRequest
) -> AsyncIterator[StreamEvent]:
    p: Provider = call.provider
    step = p.step
    client = client or default_async_client()  # here, inside the running event loop
    r = await asend(call, client, p.build_request(req, call.base_url), stream=True)
    try:
        if not _is_sse(r):
            raise _not_sse(call, r, await r.aread())
        state = p.start(req)
        try:
            async for sse in httpx_sse.EventSource(r).aiter_sse():
                state, out = step(state, sse)
                for ev in out:
                    yield ev
            out = p.finish(state)
        except (LlmkitError, httpx.HTTPError, httpx_sse.SSEError) as e:
            raise _broken(call, p, state, e) from e
        for ev in out:
            yield _done(call, ev)
    finally:
        await r.aclose()


# ---- model listing -------------------------------------------------------------


def list_models(call: Call, client: httpx.Client) -> list[ModelInfo]:
    p: Provider = call.provider
    models: list[ModelInfo] = []
    page: str | None = None
    while True:
        r = send(call, client, p.build_list_models(call.base_url, page))
        batch, page = _parsed(call, p.parse_list_models, r.content)
        models += batch
        if not page:
            return models


async def alist_models(call: Call, client: httpx.AsyncClient) -> list[ModelInfo]:
    p: Provider = call.provider
    models: list[ModelInfo] = []
    page: str | None = None
    while True:
        r = await asend(call, client, p.build_list_models(call.base_url, page))
        batch, page = _parsed(call, p.parse_list_models, r.content)
        models += batch
        if not page:
            return models
