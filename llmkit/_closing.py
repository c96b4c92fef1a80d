"""Sync streams that close deterministically, never from the garbage collector.

A generator suspended inside an open httpx response is closed by the cyclic
garbage collector when it is dropped inside a reference cycle, at whatever
point the collector happens to run. If that point is inside httpcore while
the same thread holds the connection pool's lock (during the next request),
closing the response waits on that lock forever: httpcore's own body iterator
closes its response when a GeneratorExit reaches it.

So the iterators of an open stream stay reachable from `_OPEN` until the
stream is closed, which keeps them out of cyclic garbage. The `EventStream`
handed to the caller closes the response when it is exhausted, when it
raises, on `close()` and at the end of a `with` block, all in the caller's
own code. Once neither it nor its iterator is held, a guard's finalizer only
queues the close for a daemon thread, which then takes the pool lock like
any other thread (`SimpleQueue.put` is safe to call from a finalizer;
starting a thread or taking a lock is not).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterator
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


class _Open:
    """One open stream: its outermost iterator, and what closes its response
    (set once the response exists)."""

    __slots__ = ("iterator", "release")

    def __init__(self) -> None:
        self.iterator: Iterator[object] | None = None
        self.release: Callable[[], None] | None = None

    def close(self) -> None:
        release, self.release = self.release, None
        iterator, self.iterator = self.iterator, None
        try:
            if release is not None:
                release()
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:  # its response is closed: nothing left to wait on
                with contextlib.suppress(ValueError):  # closed from another thread mid-step
                    close()
            _OPEN.discard(self)


_OPEN: set[_Open] = set()
_ORPHANS: queue.SimpleQueue[_Open] = queue.SimpleQueue()
_closer_lock = threading.Lock()
_closer: threading.Thread | None = None


def _close_orphans() -> None:
    while True:
        h = _ORPHANS.get()
        with contextlib.suppress(Exception):  # a connection that fails to close is gone anyway
            h.close()
        del h


def _start_closer() -> None:
    global _closer
    with _closer_lock:
        if _closer is None or not _closer.is_alive():
            _closer = threading.Thread(target=_close_orphans, name="llmkit-closer", daemon=True)
            _closer.start()


def _forget_closer() -> None:
    global _closer, _closer_lock
    _closer, _closer_lock = None, threading.Lock()  # threads do not survive a fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_closer)


class _Guard:
    """Queues its stream's close when the last thing holding it goes: the
    EventStream and the iterators it handed out each hold it, and it holds
    neither, so dropping them is never a reference cycle of its own."""

    __slots__ = ("open",)

    def __init__(self, h: _Open) -> None:
        self.open = h

    def __del__(self) -> None:
        h = self.open
        try:
            if h in _OPEN:
                _ORPHANS.put(h)
        except TypeError:  # at interpreter exit, when this module's globals are gone
            pass


class EventStream(Iterator[T]):
    """An iterator over a stream's events that is also a context manager.
    The response is closed when the events run out, when iterating raises, on
    `close()` or on leaving a `with` block; one dropped unfinished is closed
    soon after by a background thread.

    `make` gives the events, or with `batched` lists of them (the transport's
    fold gives each SSE event's list whole: a generator resumed per list,
    not per event)."""

    __slots__ = ("_it", "_next", "_open")

    def __init__(self, make: Callable[[_Open], Iterator[Any]], *, batched: bool = False) -> None:
        _start_closer()  # here, never from the finalizer
        self._open = h = _Open()
        it = make(h)
        h.iterator = it
        # `next(it, guard)` until it gives the guard: an iterator made of
        # builtins (no Python frame per event) that holds the guard, so a loop
        # keeps the stream open however little else names it.
        guard = _Guard(h)
        each: Iterator[Any] = iter(partial(next, it, guard), guard)
        self._it: Iterator[T] = itertools.chain.from_iterable(each) if batched else each
        self._next = self._it.__next__
        _OPEN.add(h)

    def __iter__(self) -> Iterator[T]:
        """The events. The same iterator every time, so `next` and `for` may
        take turns; a stream made by the transport closes its response itself
        when its events run out or iterating raises; `__next__`, `close()` and
        `with` close it always."""
        return self._it

    def __next__(self) -> T:
        try:
            return self._next()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the response now (a no-op once closed)."""
        self._open.close()

    def __enter__(self) -> EventStream[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
