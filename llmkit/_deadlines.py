"""Deadlines: `Call.deadline` bounds a whole call (retries, waits and the
entire stream). The time left caps each network step's timeout (`_capped`),
and async code still running when it passes is cancelled (`_within`, asyncio
and trio alike); either way the caller gets a Timeout, as when the pool has
no free connection (`_pool_exhausted`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx

from llmkit._call import Call
from llmkit.errors import Timeout
from llmkit.types import Response


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
