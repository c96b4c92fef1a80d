"""Sending one request, with retries: the provider's HttpRequest becomes an
httpx request with the credentials added last, and `send`/`asend` return the
first 2xx answer, its body not read yet; an error status or a network error is
retried as the call's RetryPolicy and deadline allow, and raised as an llmkit
error otherwise. The async twin is right below `send`."""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import httpx
import msgspec

from llmkit._bodies import _aerror_body, _error_body
from llmkit._call import Call
from llmkit._deadlines import _capped, _pool_exhausted, _within
from llmkit._failures import _api_error, _cause, _delay, _network_error
from llmkit.errors import ApiError, InvalidArgument, LlmkitError
from llmkit.protocols import HttpRequest, Provider

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


# ---- the request sent: credentials go on last ---------------------------------


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
