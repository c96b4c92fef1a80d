"""Fallback chains: when a model fails for a reason another model may not
share, the same request goes to the next model of the chain.

`llmkit.chat(model, messages, fallbacks=[...])` (and `stream`, `run` and the
sync twins) tries `model`, then each fallback in order. A model counts as
failed only after its own retries, and only for an error that says the
vendor, not the request, is at fault: 429, 5xx and 529 (`RateLimited`,
`ServerError`, `Overloaded`), `Timeout` and `ConnectionFailed`, plus any
class the caller lists in `fallback_on`. Anything else (a bad request, a
missing key) is raised at once: the next model would fail the same way.

A stream falls back only before its first event: once text has reached the
caller, a second answer would contradict it. Each hop builds its own request
from the unified conversation, so the cross-vendor policy (llmkit.handoff)
holds on every hop: one vendor's reasoning, signatures and encrypted items
never reach another. The answer carries the failures before it
(`Response.attempts`), and so does the error when every model failed
(`LlmkitError.attempts`, the last error being the one raised).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from msgspec.structs import replace

from llmkit.errors import (
    ApiError,
    ConnectionFailed,
    InvalidArgument,
    LlmkitError,
    Overloaded,
    RateLimited,
    ServerError,
    Timeout,
    scrub,
)
from llmkit.types import Attempt, Done, Response, StreamEvent

if TYPE_CHECKING:
    from llmkit._closing import EventStream

log = logging.getLogger("llmkit")

FALLBACK_ON: tuple[type[LlmkitError], ...] = (
    RateLimited,
    Overloaded,
    ServerError,
    Timeout,
    ConnectionFailed,
)
"""The errors after which the next model of a chain is tried."""

ErrorClasses = Sequence[type[BaseException]]
T_co = TypeVar("T_co", covariant=True)


class Hop(Protocol[T_co]):
    """One model's call, `deadline` being what is left of the whole call's."""

    def __call__(self, *, model: str, deadline: float | None) -> T_co: ...


def chain(model: str, fallbacks: Sequence[str]) -> list[str]:
    """`model` then `fallbacks`, checked: a bare string would read as one
    model per character."""
    if isinstance(fallbacks, str):
        raise InvalidArgument(f"fallbacks: a list of models, not one string ({fallbacks!r})")
    out = [model, *fallbacks]
    for i, m in enumerate(out[1:]):
        if not isinstance(m, str) or not m:
            raise InvalidArgument(f"fallbacks[{i}]: a model name, got {m!r}")
    return out


def classes(fallback_on: ErrorClasses) -> tuple[type[BaseException], ...]:
    """FALLBACK_ON and the caller's classes. Only Exception's: cancellation
    (asyncio's CancelledError, trio's Cancelled), KeyboardInterrupt and
    SystemExit must end the call, never move it to the next model."""
    extra = tuple(fallback_on)
    for c in extra:
        if not (isinstance(c, type) and issubclass(c, Exception)):
            raise InvalidArgument(
                f"fallback_on: exception classes (Exception subclasses), got {c!r}"
            )
    return FALLBACK_ON + extra


def _attempt(model: str, err: BaseException) -> Attempt:
    return Attempt(
        model=model,
        error=type(err).__name__,
        # an llmkit error's message is scrubbed already; a caller's class may not be
        message=scrub(getattr(err, "message", None) or str(err)),
        status=err.status if isinstance(err, ApiError) else None,
    )


class _Chain:
    """Where a chain stands: the failures so far and the time left. (State of
    one call, never shared.)"""

    __slots__ = ("attempts", "ends", "models")

    def __init__(self, models: Sequence[str], deadline: float | None) -> None:
        self.models = models
        self.attempts: list[Attempt] = []
        self.ends = None if deadline is None else time.monotonic() + deadline

    def hops(self) -> Iterator[tuple[str, float | None]]:
        """Each model with the seconds left of the whole call's deadline."""
        for model in self.models:
            if self.ends is None:
                yield model, None
            else:
                yield model, max(self.ends - time.monotonic(), 1e-3)

    def failed(self, model: str, err: BaseException) -> None:
        """Record `err` and go on, or raise it when no model is left to try
        (or no time): the last error is the one raised, carrying the others."""
        out_of_time = self.ends is not None and time.monotonic() >= self.ends
        if len(self.attempts) == len(self.models) - 1 or out_of_time:  # the hop's index
            if isinstance(err, LlmkitError):
                err.attempts = tuple(self.attempts)
            raise err
        self.attempts.append(_attempt(model, err))
        nxt = self.models[len(self.attempts)]
        log.warning("llmkit: %s failed (%s); falling back to %s", model, type(err).__name__, nxt)

    def raised(self, err: LlmkitError) -> None:
        """An error that ends the chain (one the next model would share, or
        one after a stream began) still carries the failures before it."""
        if self.attempts:
            err.attempts = tuple(self.attempts)

    def stamped(self, resp: Response) -> Response:
        return replace(resp, attempts=tuple(self.attempts)) if self.attempts else resp

    def done(self, ev: StreamEvent) -> StreamEvent:
        if self.attempts and isinstance(ev, Done):
            return Done(response=self.stamped(ev.response))
        return ev


async def achat(
    models: Sequence[str],
    on: tuple[type[BaseException], ...],
    deadline: float | None,
    send: Hop[Awaitable[Response]],
) -> Response:
    state = _Chain(models, deadline)
    for model, left in state.hops():
        try:
            resp = await send(model=model, deadline=left)
        except on as e:
            state.failed(model, e)
            continue
        except LlmkitError as e:
            state.raised(e)
            raise
        return state.stamped(resp)
    raise AssertionError("unreachable: the last model's error is raised")


def chat(
    models: Sequence[str],
    on: tuple[type[BaseException], ...],
    deadline: float | None,
    send: Hop[Response],
) -> Response:
    state = _Chain(models, deadline)
    for model, left in state.hops():
        try:
            resp = send(model=model, deadline=left)
        except on as e:
            state.failed(model, e)
            continue
        except LlmkitError as e:
            state.raised(e)
            raise
        return state.stamped(resp)
    raise AssertionError("unreachable: the last model's error is raised")


async def astream(
    models: Sequence[str],
    on: tuple[type[BaseException], ...],
    deadline: float | None,
    open: Hop[AsyncIterator[StreamEvent]],
) -> AsyncIterator[StreamEvent]:
    state = _Chain(models, deadline)
    try:
        for model, left in state.hops():
            try:
                events = open(model=model, deadline=left)
            except on as e:
                state.failed(model, e)
                continue
            async with contextlib.aclosing(events):  # type: ignore[type-var]
                try:
                    first = await anext(events, None)
                except on as e:
                    state.failed(model, e)
                    continue
                if first is not None:
                    yield state.done(first)
                    if not state.attempts:  # the first model answers: nothing to stamp
                        async for ev in events:
                            yield ev
                        return
                    async for ev in events:
                        yield state.done(ev)
                return
    except LlmkitError as e:
        state.raised(e)
        raise


def stream(
    models: Sequence[str],
    on: tuple[type[BaseException], ...],
    deadline: float | None,
    open: Hop[EventStream[StreamEvent]],
) -> EventStream[StreamEvent]:
    # an EventStream, as the transport's own: closed by the caller, never by
    # the garbage collector while a connection pool's lock may be held
    from llmkit._closing import EventStream

    return EventStream(lambda _: _falling_back(_Chain(models, deadline), on, open))


def _falling_back(
    state: _Chain,
    on: tuple[type[BaseException], ...],
    open: Hop[EventStream[StreamEvent]],
) -> Iterator[StreamEvent]:
    try:
        for model, left in state.hops():
            try:
                events = open(model=model, deadline=left)
            except on as e:
                state.failed(model, e)
                continue
            with events:
                try:
                    first = next(events, None)
                except on as e:
                    state.failed(model, e)
                    continue
                if first is not None:
                    yield state.done(first)
                    if not state.attempts:  # the first model answers: nothing to stamp
                        yield from events
                        return
                    for ev in events:
                        yield state.done(ev)
                return
    except LlmkitError as e:
        state.raised(e)
        raise
