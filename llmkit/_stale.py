"""Retry once without reasoning items the vendor could not use.

Reasoning replayed to the Responses API is only valid for the key, model and
deployment that made it; after a change (or for an item sent without its
encrypted content) the vendor answers `invalid_encrypted_content` or "Item
'rs_…' not found". llmkit then sends the same conversation once more without
this endpoint's reasoning items, and logs that it did: the answer is worth
more than the old reasoning. Which errors qualify is the provider's to say
(its optional `is_stale_reasoning`); the retry is here, above the transport.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from llmkit._closing import EventStream
from llmkit.errors import ApiError
from llmkit.types import ChatRequest, Response, StreamEvent, Thinking

if TYPE_CHECKING:
    from llmkit.transport import Call

log = logging.getLogger("llmkit")


def _own_reasoning(p: Any, to: str) -> bool:
    return isinstance(p, Thinking) and p.provider == to and bool(p.id or p.signature)


def without_reasoning(call: Call, req: ChatRequest, err: ApiError) -> ChatRequest | None:
    """`req` minus this endpoint's reasoning items when `err` says they were
    stale, else None (the error stands)."""
    stale = getattr(call.provider, "is_stale_reasoning", None)
    to = req.endpoint or call.name
    if stale is None or not stale(err):
        return None
    if not any(_own_reasoning(p, to) for m in req.messages for p in m.content):
        return None
    log.warning(
        "llmkit: %s could not use the replayed reasoning (%s); retrying once without it",
        call.name, err.error_type or err.status,
    )  # fmt: skip
    messages = [
        replace(m, content=[p for p in m.content if not _own_reasoning(p, to)])
        for m in req.messages
    ]
    return replace(req, messages=messages)


def chat(call: Call, req: ChatRequest, send: Callable[[ChatRequest], Response]) -> Response:
    try:
        return send(req)
    except ApiError as e:
        again = without_reasoning(call, req, e)
        if again is None:
            raise
    return send(again)


async def achat(
    call: Call, req: ChatRequest, send: Callable[[ChatRequest], Awaitable[Response]]
) -> Response:
    try:
        return await send(req)
    except ApiError as e:
        again = without_reasoning(call, req, e)
        if again is None:
            raise
    return await send(again)


def _may_retry(call: Call, req: ChatRequest) -> bool:
    to = req.endpoint or call.name
    return getattr(call.provider, "is_stale_reasoning", None) is not None and any(
        _own_reasoning(p, to) for m in req.messages for p in m.content
    )


def stream(
    call: Call, req: ChatRequest, open: Callable[[ChatRequest], EventStream[StreamEvent]]
) -> EventStream[StreamEvent]:
    """The stream, retried once without reasoning when the vendor refused it
    (before any event). Wrapped only when a retry could happen: a wrapper costs
    a little on every event."""
    if not _may_retry(call, req):
        return open(req)
    # an EventStream, as the transport's own: closed by the caller, never by the
    # garbage collector while a connection pool's lock may be held (_closing)
    return EventStream(lambda _: _retrying(call, req, open))


def _retrying(
    call: Call, req: ChatRequest, open: Callable[[ChatRequest], Iterator[StreamEvent]]
) -> Iterator[StreamEvent]:
    with contextlib.closing(open(req)) as events:  # type: ignore[type-var]
        try:
            first = next(events, None)
        except ApiError as e:
            again = without_reasoning(call, req, e)
            if again is None:
                raise
        else:
            if first is not None:
                yield first
                yield from events
            return
    with contextlib.closing(open(again)) as events:  # type: ignore[type-var]
        yield from events


def astream(
    call: Call, req: ChatRequest, open: Callable[[ChatRequest], AsyncIterator[StreamEvent]]
) -> AsyncIterator[StreamEvent]:
    return _aretrying(call, req, open) if _may_retry(call, req) else open(req)


async def _aretrying(
    call: Call, req: ChatRequest, open: Callable[[ChatRequest], AsyncIterator[StreamEvent]]
) -> AsyncIterator[StreamEvent]:
    async with contextlib.aclosing(open(req)) as events:  # type: ignore[type-var]
        try:
            first = await anext(events, None)
        except ApiError as e:
            again = without_reasoning(call, req, e)
            if again is None:
                raise
        else:
            if first is not None:
                yield first
                async for ev in events:
                    yield ev
            return
    async with contextlib.aclosing(open(again)) as events:  # type: ignore[type-var]
        async for ev in events:
            yield ev
