"""Reading a response's body, bounded: a success body whole (at most
`Limits.max_body` bytes, within the deadline), and the start of an error body
(at most `Limits.max_error_body`). Each sync function has its async twin
right below it."""

from __future__ import annotations

import contextlib
import time

import httpx

from llmkit._call import Call
from llmkit._deadlines import _late, _within
from llmkit._failures import _cause, _network_error
from llmkit.errors import DecodeError, Timeout


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
