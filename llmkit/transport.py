"""The one module that touches the network (httpx, anyio).

It turns a provider's HttpRequest into an httpx request, adds the key last,
retries what is safe to retry, maps non-2xx answers through the provider's
`parse_error`, and drives the provider's streaming fold over the events of
the body's framing (SSE, `llmkit._sse`, unless a route says otherwise). Each
sync function has its async twin right below it.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import httpx
import msgspec

from llmkit import _sse

# The default clients' home is llmkit._clients; these names stay importable here.
from llmkit._clients import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from llmkit._clients import _async_clients as _async_clients
from llmkit._clients import default_async_client as default_async_client
from llmkit._clients import default_client as default_client
from llmkit._clients import loop_local as loop_local
from llmkit._clients import using_transport as using_transport
from llmkit._closing import EventStream, _Open
from llmkit.errors import (
    ApiError,
    ConnectionFailed,
    DecodeError,
    InvalidArgument,
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


Finish = Callable[[Response], Response]


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Exponential backoff with full jitter. The vendor's retry-after advice is
    followed when it asks for at most `max_delay` seconds; longer advice (up to
    a day has been seen) ends the retries at once, so the error, with its
    `retry_after`, reaches the caller instead of a silent long wait."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 20.0


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """What llmkit buffers from a vendor, in bytes. A streamed event (an SSE
    event, an AWS event-stream frame) still incomplete after `max_line` bytes
    ends the stream with a StreamError (the bytes of finished events are only
    ever as many as one network read holds); beyond `max_body` a whole body is
    a DecodeError; an error body is read up to `max_error_body` and the rest
    is dropped."""

    # one event: Gemini sends a whole chunk, images included, in one data line
    max_line: int = 16 * 2**20
    max_body: int = 64 * 2**20
    max_error_body: int = 2**20


# Between-bytes limits: 10 s to connect (or to get a pooled connection), 120 s
# of silence otherwise. Not the SDKs' 600 s: a stall is found in two minutes.


def timeout_from(t: float | httpx.Timeout | None) -> httpx.Timeout:
    """A call's `timeout`: seconds for each network step (connect and pool
    capped at 10 s), an httpx.Timeout as given, or None for no limit at all."""
    if t is None or isinstance(t, httpx.Timeout):
        return httpx.Timeout(None) if t is None else t
    return httpx.Timeout(t, connect=min(t, 10.0), pool=min(t, 10.0))


class Call(msgspec.Struct, frozen=True, kw_only=True):
    """One resolved call: who to ask, with what key, under which name.
    `name` differs from `provider.NAME` for OpenAI-compatible endpoints.
    `deadline` bounds the whole call in seconds: retries, waits and the
    entire stream."""

    # A provider module. A Struct field holds a module under a Protocol type as
    # well as anything else; only decoding a Call (never done) would need more.
    provider: Provider[Any]
    name: str
    base_url: str
    key: Secret | None
    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    deadline: float | None = None
    retry: RetryPolicy = RetryPolicy()
    limits: Limits = Limits()
    # Cloud routes (see registry.Endpoint): a refreshing credential (sent as
    # a bearer token, or given to `signer`), the header a static key goes in,
    # the RouteShape module, the request signer and the non-SSE framing module.
    credential: Any = None  # llmkit.auth.Credential
    key_header: str = ""
    route: Any = None
    signer: Any = None
    framing: Any = None


def _request(call: Call, req: ChatRequest) -> HttpRequest:
    """The wire's request, reshaped by the call's cloud route, if any. A route
    whose model ids are not the wire's (Bedrock's `us.anthropic.…-v1:0`) names
    the wire's model (`wire_model`), so the request is built with its facts."""
    p: Provider[Any] = call.provider
    if call.route is None:
        return p.build_request(req, call.base_url)
    to_wire = getattr(call.route, "wire_model", None)
    built = req if to_wire is None else msgspec.structs.replace(req, model=to_wire(req.model))
    out: HttpRequest = call.route.rewrite(p.build_request(built, call.base_url), req, call.base_url)
    return out


def _key_headers(call: Call, key: str) -> dict[str, str]:
    if not call.key_header:
        p: Provider[Any] = call.provider
        return p.auth_headers(key)
    if call.key_header == "bearer":
        return {"Authorization": f"Bearer {key}"}
    return {call.key_header: key}


def _credential(call: Call) -> Any:
    """The call's credential, refreshed when due (may block: a token fetch)."""
    return None if call.credential is None else call.credential.get()


async def _acredential(call: Call) -> Any:
    """`_credential` without blocking the event loop: a refresh runs in a
    worker thread (the Credential's lock makes one refresh serve all)."""
    if call.credential is None:
        return None
    got = call.credential.fresh()
    return got if got is not None else await anyio.to_thread.run_sync(call.credential.get)


# ---- requests and errors ---------------------------------------------------


def _to_httpx(
    client: httpx.Client | httpx.AsyncClient,
    call: Call,
    hr: HttpRequest,
    end: float | None,
    cred: Any = None,
) -> httpx.Request:
    """Credentials go on last, never logged: a static key in its header, a
    refreshed token as a bearer, or the signer's signature over the final request."""
    headers = dict(hr.headers)
    if call.key is not None:
        headers.update(_key_headers(call, call.key.reveal()))
    elif cred is not None and call.signer is None:
        headers["Authorization"] = f"Bearer {cred}"
    if call.signer is not None and cred is not None:
        hr = call.signer(msgspec.structs.replace(hr, headers=headers), cred)
        headers = dict(hr.headers)
    try:
        return client.build_request(
            hr.method, hr.url, headers=headers, content=hr.body, timeout=_capped(call.timeout, end)
        )
    except httpx.InvalidURL as e:  # a malformed base_url; httpx quotes the URL, never a header
        raise InvalidArgument(f"{call.name}: not a usable URL: {e}", provider=call.name) from None
    except UnicodeEncodeError:  # a header value outside ASCII: maybe the key, so say nothing more
        raise InvalidArgument(
            f"{call.name}: a header (the API key?) holds non-ASCII characters", provider=call.name
        ) from None


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


def _delay(policy: RetryPolicy, attempt: int, err: LlmkitError, end: float | None) -> float | None:
    """Seconds to wait before the next attempt, or None to stop retrying: the
    vendor asked for longer than `max_delay`, or the wait would pass the deadline."""
    if attempt >= policy.max_retries:
        return None
    if isinstance(err, ApiError):
        if err.headers.get("x-should-retry") == "false" or not err.retryable:
            return None
    elif not isinstance(err, (ConnectionFailed, Timeout)):
        return None
    advised = err.retry_after if isinstance(err, ApiError) else None
    if advised is not None and not advised <= policy.max_delay:  # NaN too
        return None
    wait = (
        advised
        if advised is not None
        else random.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))
    )
    return None if end is not None and time.monotonic() + wait >= end else wait


_TRANSPORT_HEADERS = (
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "request-id",
    "x-request-id",
)


def _api_error(
    call: Call, status: int, headers: httpx.Headers, body: bytes, where: str = ""
) -> ApiError:
    p = call.provider
    err = p.parse_error(status, headers, body)
    if call.route is not None:
        err = call.route.refine_error(err, status, headers, body)
    if status == 404 and where:  # a wrong base URL (a proxy, a gateway) shows where it went
        err.message = f"{err.message} ({where})"
        err.args = (err.message,)
    if err.retry_after is None:
        err.retry_after = retry_after(headers)
    if err.request_id is None:
        err.request_id = headers.get("request-id") or headers.get("x-request-id")
    # Only what the transport itself reads is added; the rest stays as the
    # provider chose (OpenAI's parse_error keeps a whitelist: no set-cookie).
    own = {k: headers[k] for k in _TRANSPORT_HEADERS if k in headers}
    err.headers = {**own, **err.headers}
    err.provider = call.name
    return _keyless(call, err)


_E = TypeVar("_E", bound=LlmkitError)
_T = TypeVar("_T")


def _secrets(call: Call) -> list[str]:
    """The key, or the credential's secret strings (a token, an AWS secret key
    and session token), as sent."""
    if call.key is not None:
        return [call.key.reveal()]
    return [] if call.credential is None else call.credential.secrets()


def _keyless(call: Call, err: _E) -> _E:
    """Every error the transport raises passes here: a vendor that echoes the
    key (in a 401 body, a header, a mid-stream error event) must not get it
    into our error, whatever the key's shape."""
    for secret in _secrets(call) or [""]:
        redact(err, secret)
    return err


def _without_key(text: str, call: Call) -> str:
    for secret in _secrets(call):
        text = redact_text(text, secret)
    return text


def _network_error(call: Call, e: httpx.HTTPError, partial: Response | None = None) -> LlmkitError:
    if isinstance(e, httpx.TimeoutException):
        return Timeout(f"timed out: {type(e).__name__}", provider=call.name, partial=partial)
    text = _without_key(f"{type(e).__name__}: {e}", call)
    return _keyless(call, ConnectionFailed(text, provider=call.name, partial=partial))


def _cause(call: Call, e: Exception) -> Exception | None:
    """What to chain a network error to: not an httpx error whose text holds
    the key (httpx quotes a header it refuses to send)."""
    return None if _without_key(str(e), call) != str(e) else e


def _renamed(call: Call, resp: Response) -> Response:
    """A compatible endpoint answers in its wire module's name; report it, and
    stamp its parts, under its own, so its signatures and raw blocks are never
    taken for the real vendor's (llmkit.providers.handoff compares these names)."""
    if call.name == resp.provider:
        return resp
    wire, name = resp.provider, call.name
    content = [
        msgspec.structs.replace(p, provider=name) if getattr(p, "provider", None) == wire else p
        for p in resp.message.content
    ]
    message = msgspec.structs.replace(resp.message, provider=call.name, content=content)
    return msgspec.structs.replace(resp, provider=call.name, message=message)


# ---- deadlines ------------------------------------------------------------------


def _end(call: Call) -> float | None:
    return None if call.deadline is None else time.monotonic() + call.deadline


def _capped(t: httpx.Timeout, end: float | None) -> httpx.Timeout:
    """`t` with no step longer than the time left."""
    if end is None:
        return t
    left = max(end - time.monotonic(), 0.001)
    steps = (t.connect, t.read, t.write, t.pool)
    c, r, w, p = (left if s is None else min(s, left) for s in steps)
    return httpx.Timeout(connect=c, read=r, write=w, pool=p)


def _late(call: Call, partial: Response | None = None) -> Timeout:
    return Timeout(f"the deadline of {call.deadline} s passed", provider=call.name, partial=partial)


@contextmanager
def _within(call: Call, end: float | None) -> Iterator[None]:
    """Async: cancel what runs inside once the deadline passes (asyncio and
    trio alike), and say so as a Timeout."""
    if end is None:
        yield
        return
    try:
        with anyio.fail_after(max(end - time.monotonic(), 0.0)):
            yield
    except TimeoutError:
        raise _late(call) from None


def _pool_exhausted(call: Call) -> Timeout:
    return Timeout(
        f"no free connection in the pool within {call.timeout.pool} s: too many streams "
        "open at once (close the ones you stopped reading, or pass an http_client with "
        "larger httpx.Limits)",
        provider=call.name,
    )


# ---- reading bodies ---------------------------------------------------------------


def _too_big(call: Call, data: bytearray) -> DecodeError:
    return DecodeError(
        f"response body over {call.limits.max_body} bytes (Limits.max_body)",
        provider=call.name,
        body=bytes(data[:2000]).decode("utf-8", "replace"),
    )


def _read_body(call: Call, r: httpx.Response, end: float | None) -> bytes:
    """A success body, whole. The response has started, so a break here is
    raised, never retried: the vendor may already be generating (and billing)."""
    data = bytearray()
    try:
        for chunk in r.iter_bytes():
            data += chunk
            if len(data) > call.limits.max_body:
                raise _too_big(call, data)
            if end is not None and time.monotonic() > end:
                raise _late(call)
    except httpx.HTTPError as e:
        raise _network_error(call, e) from _cause(call, e)
    return bytes(data)


async def _aread_body(call: Call, r: httpx.Response, end: float | None) -> bytes:
    data = bytearray()
    try:
        with _within(call, end):
            async for chunk in r.aiter_bytes():
                data += chunk
                if len(data) > call.limits.max_body:
                    raise _too_big(call, data)
    except httpx.HTTPError as e:
        raise _network_error(call, e) from _cause(call, e)
    return bytes(data)


def _error_body(call: Call, r: httpx.Response, end: float | None) -> bytes:
    """The start of an error body (or of a body that should have been SSE):
    enough to read the vendor's message. Whatever stops the reading (the cap,
    the deadline, a cut or stalled connection), the status already says what
    happened, so what arrived is the body."""
    data = bytearray()
    with contextlib.suppress(httpx.HTTPError):
        for chunk in r.iter_bytes():
            data += chunk
            if len(data) >= call.limits.max_error_body or (
                end is not None and time.monotonic() > end
            ):
                break
    r.close()
    return bytes(data[: call.limits.max_error_body])


async def _aerror_body(call: Call, r: httpx.Response, end: float | None) -> bytes:
    data = bytearray()
    with contextlib.suppress(httpx.HTTPError, Timeout), _within(call, end):
        async for chunk in r.aiter_bytes():
            data += chunk
            if len(data) >= call.limits.max_error_body:
                break
    await r.aclose()
    return bytes(data[: call.limits.max_error_body])


# ---- sending, with retries -----------------------------------------------------


def _refused_credential(call: Call, err: LlmkitError) -> bool:
    """A 401 to a refreshing credential: the cached one may be revoked."""
    return call.credential is not None and isinstance(err, ApiError) and err.status == 401


def send(call: Call, client: httpx.Client, hr: HttpRequest, end: float | None) -> httpx.Response:
    """Send with retries; return the first 2xx answer, its body not read yet
    (the caller closes it). Only attempts that got no answer, or an error
    status, are retried: a 2xx response has started, and is never re-sent."""
    attempt, renewed = 0, False
    while True:
        t0 = time.monotonic()
        cred = _credential(call)
        try:
            r = client.send(_to_httpx(client, call, hr, end, cred), stream=True)
        except httpx.PoolTimeout as e:
            raise _pool_exhausted(call) from e
        except httpx.HTTPError as e:
            err: LlmkitError = _network_error(call, e)
            _log_request(hr, t0, None, err)
            cause: BaseException | None = _cause(call, e)
        else:
            _log_request(hr, t0, r)
            if r.is_success:
                return r
            where = f"{hr.method} {hr.url}"
            err, cause = (
                _api_error(call, r.status_code, r.headers, _error_body(call, r, end), where),
                None,
            )
        if not renewed and _refused_credential(call, err):
            call.credential.invalidate()  # revoked or expired early: one more try, a new one
            renewed = True
            continue
        wait = _delay(call.retry, attempt, err, end)
        if wait is None:
            raise err from cause
        _log_retry(call, attempt, wait, err)
        time.sleep(wait)
        attempt += 1


async def asend(
    call: Call, client: httpx.AsyncClient, hr: HttpRequest, end: float | None
) -> httpx.Response:
    attempt, renewed = 0, False
    while True:
        t0 = time.monotonic()
        cred = await _acredential(call)
        try:
            with _within(call, end):
                r = await client.send(_to_httpx(client, call, hr, end, cred), stream=True)
        except httpx.PoolTimeout as e:
            raise _pool_exhausted(call) from e
        except httpx.HTTPError as e:
            err: LlmkitError = _network_error(call, e)
            _log_request(hr, t0, None, err)
            cause: BaseException | None = _cause(call, e)
        else:
            _log_request(hr, t0, r)
            if r.is_success:
                return r
            body = await _aerror_body(call, r, end)
            where = f"{hr.method} {hr.url}"
            err, cause = _api_error(call, r.status_code, r.headers, body, where), None
        if not renewed and _refused_credential(call, err):
            call.credential.invalidate()  # revoked or expired early: one more try, a new one
            renewed = True
            continue
        wait = _delay(call.retry, attempt, err, end)
        if wait is None:
            raise err from cause
        _log_retry(call, attempt, wait, err)
        await anyio.sleep(wait)
        attempt += 1


def chat(call: Call, client: httpx.Client, req: ChatRequest) -> Response:
    p = call.provider
    end = _end(call)
    r = send(call, client, _request(call, req), end)
    try:
        body = _read_body(call, r, end)
    finally:
        r.close()
    if _is_stream(call, r):
        return _folded(call, req, body)
    return _renamed(call, _parsed(call, p.parse_response, body))


async def achat(call: Call, client: httpx.AsyncClient, req: ChatRequest) -> Response:
    p = call.provider
    end = _end(call)
    r = await asend(call, client, _request(call, req), end)
    try:
        body = await _aread_body(call, r, end)
    finally:
        await r.aclose()
    if _is_stream(call, r):
        return _folded(call, req, body)
    return _renamed(call, _parsed(call, p.parse_response, body))


def _parsed(call: Call, parse: Callable[[bytes], _T], body: bytes) -> _T:
    try:
        return parse(body)
    except LlmkitError as e:
        _keyless(call, e)
        raise


def _folded(call: Call, req: ChatRequest, body: bytes) -> Response:
    """A whole (already read, so bounded) event stream answering a
    non-streamed call, as a replayed streamed recording does: the fold gives
    the same Response."""
    p = call.provider
    state = p.start(req)
    try:
        for batch in _framed(call, iter([body]), None):
            for sse in batch:
                state, _ = p.step(state, sse)
        out = p.finish(state)
    except (LlmkitError, httpx.HTTPError) as e:
        raise _broken(call, p, state, e) from e
    done = [ev.response for ev in out if isinstance(ev, Done)]
    if not done:
        raise StreamError("the stream ended without a response", provider=call.name)
    return _renamed(call, done[-1])


# ---- streaming ---------------------------------------------------------------


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
    return EventStream(lambda h: _fold(call, client, req, finish, h))


def _fold(
    call: Call, client: httpx.Client | None, req: ChatRequest, finish: Finish | None, h: _Open
) -> Iterator[StreamEvent]:
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
                    for ev in out:  # cheaper than `yield from` for a list of one
                        yield ev
            out = p.finish(state)
        except (LlmkitError, httpx.HTTPError) as e:
            raise _broken(call, p, state, e) from e
        for ev in out:
            yield _done(call, ev, finish)
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


# ---- model listing -------------------------------------------------------------


def list_models(call: Call, client: httpx.Client) -> list[ModelInfo]:
    p = call.provider
    models: list[ModelInfo] = []
    page: str | None = None
    end = _end(call)
    while True:
        r = send(call, client, p.build_list_models(call.base_url, page), end)
        try:
            body = _read_body(call, r, end)
        finally:
            r.close()
        batch, page = _parsed(call, p.parse_list_models, body)
        models += batch
        if not page:
            return models


async def alist_models(call: Call, client: httpx.AsyncClient) -> list[ModelInfo]:
    p = call.provider
    models: list[ModelInfo] = []
    page: str | None = None
    end = _end(call)
    while True:
        r = await asend(call, client, p.build_list_models(call.base_url, page), end)
        try:
            body = await _aread_body(call, r, end)
        finally:
            await r.aclose()
        batch, page = _parsed(call, p.parse_list_models, body)
        models += batch
        if not page:
            return models


def fetch(call: Call, client: httpx.Client, hr: HttpRequest, parse: Callable[[bytes], _T]) -> _T:
    """One plain JSON request (token counts), retried and bounded as a chat."""
    end = _end(call)
    r = send(call, client, hr, end)
    try:
        body = _read_body(call, r, end)
    finally:
        r.close()
    return _parsed(call, parse, body)


async def afetch(
    call: Call, client: httpx.AsyncClient, hr: HttpRequest, parse: Callable[[bytes], _T]
) -> _T:
    end = _end(call)
    r = await asend(call, client, hr, end)
    try:
        body = await _aread_body(call, r, end)
    finally:
        await r.aclose()
    return _parsed(call, parse, body)
