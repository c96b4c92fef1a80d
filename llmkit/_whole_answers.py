"""Calls answered by one whole body, read (bounded) and then parsed: `chat`
(a JSON answer, or a whole event stream folded into one Response),
`list_models` (page after page) and `fetch` (one plain JSON request, as token
counts are). Each sync function has its async twin right below it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx

from llmkit._bodies import _aread_body, _read_body
from llmkit._call import Call, _renamed, _request
from llmkit._deadlines import _end
from llmkit._failures import _keyless
from llmkit._sending import asend, send
from llmkit._streaming import _broken, _framed, _is_stream
from llmkit.errors import LlmkitError, StreamError
from llmkit.protocols import HttpRequest
from llmkit.types import ChatRequest, Done, ModelInfo, Response

_T = TypeVar("_T")


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
