"""Holding up under faults (issue 16, the client side): a misbehaving vendor on
loopback, and what llmkit must do about it. Every test that could hang runs
under a watchdog or a deadline."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import llmkit
import llmkit.testing
from llmkit import registry as r
from llmkit import transport as tr
from llmkit.errors import (
    ConnectionFailed,
    DecodeError,
    InvalidApiKey,
    InvalidArgument,
    LlmkitError,
    Overloaded,
    RateLimited,
    ServerError,
    StreamError,
    Timeout,
)
from llmkit.providers import anthropic
from llmkit.testing import recording_transport
from llmkit.types import ChatRequest, Done, Message, Text
from tests import loopback as lb
from tests.replay import FIXTURES, TEST_KEY, call_for, transport

REQ = ChatRequest(model="claude-x", messages=[Message(role="user", content=[Text(text="hi")])])
SREQ = ChatRequest(model="claude-x", messages=REQ.messages, stream=True)
SSE = (FIXTURES / "anthropic" / "text.sse").read_bytes()
FIRST = SSE[: SSE.index(b"\n\n", SSE.index(b"content_block_delta")) + 2]  # up to a text delta
JSON = (FIXTURES / "anthropic" / "text.json").read_bytes()
ERR_429 = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
ERR_500 = b'{"type":"error","error":{"type":"api_error","message":"Internal server error"}}'


def call(server: Any = None, *, max_retries: int = 0, **kw: Any) -> tr.Call:
    """Anthropic's wire format, at the loopback vendor when one is given."""
    url = lb.base_url(server) if server is not None else None
    if "timeout" in kw:
        kw["timeout"] = tr.timeout_from(kw["timeout"])
    return msgspec.structs.replace(call_for(anthropic, base_url=url, max_retries=max_retries), **kw)


def registry_at(server: Any) -> r.Registry:
    return llmkit.with_endpoint(r.current(), "loop", base_url=lb.base_url(server), wire="anthropic")


def half_open_stream(n: int) -> list[lb.Item]:
    """A stream that sends its first events, then holds the connection."""
    return [lb.head(), lb.chunk(FIRST), 30.0]


# ---- 1. sync streams close deterministically, never from the GC -------------------


class _CollectingLock:
    """httpcore's pool lock, running the cyclic GC each time the test's thread
    takes it: what a default-settings GC does now and then, here every time."""

    def __init__(self, real: Any) -> None:
        self.real, self.owner = real, threading.current_thread()

    def __enter__(self) -> None:
        self.real.__enter__()
        if threading.current_thread() is self.owner:
            gc.collect()

    def __exit__(self, *exc: Any) -> None:
        self.real.__exit__(*exc)


def _drop_in_a_cycle(events: Iterator[Any]) -> None:
    next(events)
    cycle: list[Any] = [events]
    cycle.append(cycle)


def _pool(transport: httpx.HTTPTransport) -> Any:
    pool = transport._pool
    pool._optional_thread_lock = _CollectingLock(pool._optional_thread_lock)
    return pool


def test_a_stream_dropped_in_a_cycle_never_deadlocks_the_next_request() -> None:
    with lb.vendor(half_open_stream) as server:

        def run() -> None:  # all of it in the watchdog's thread: a deadlock blocks only that
            transport = httpx.HTTPTransport()
            _pool(transport)
            before = set(_open_streams())  # other tests' streams may still be referenced
            with httpx.Client(transport=transport) as client:
                for _ in range(5):
                    _drop_in_a_cycle(tr.stream(call(server), client, SREQ))
                gc.collect()
                deadline = time.monotonic() + 20  # and the dropped streams get closed
                while _open_streams() - before and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert not _open_streams() - before

        lb.watchdog(run, 30)


def _open_streams() -> set[Any]:
    from llmkit import _closing

    return _closing._OPEN


def test_a_recorded_stream_dropped_in_a_cycle_never_deadlocks(tmp_path: Path) -> None:
    with lb.vendor(half_open_stream) as server:

        def run() -> None:
            inner = httpx.HTTPTransport()
            _pool(inner)
            with httpx.Client(transport=recording_transport(tmp_path, inner)) as client:
                for _ in range(5):
                    _drop_in_a_cycle(tr.stream(call(server), client, SREQ))

        lb.watchdog(run, 10)


def test_with_closes_the_connection_at_once_and_break_soon_after() -> None:
    with lb.vendor(half_open_stream) as server:
        with httpx.Client(limits=httpx.Limits(max_connections=1)) as client:
            pool = client._transport._pool  # type: ignore[attr-defined]

            def run() -> None:
                for _ in range(3):
                    with tr.stream(call(server, timeout=5.0), client, SREQ) as ev:
                        next(ev)
                    assert pool.connections == []
                for _ in range(3):  # one connection: each must be back before the next
                    for _ev in tr.stream(call(server, timeout=5.0), client, SREQ):
                        break

            lb.watchdog(run, 20)
            deadline = time.monotonic() + 5
            while pool.connections and time.monotonic() < deadline:
                time.sleep(0.01)
            assert pool.connections == []


def test_stream_sync_is_a_context_manager_and_an_iterator() -> None:
    with lb.vendor(half_open_stream) as server:
        reg = registry_at(server)

        def run() -> None:
            client = httpx.Client(limits=httpx.Limits(max_connections=1))
            for _ in range(3):  # one connection: each `with` must give it back
                with llmkit.stream_sync("loop:claude-x", "hi", api_key=TEST_KEY, registry=reg,
                                        http_client=client, timeout=5.0) as events:  # fmt: skip
                    assert next(events) is not None
            client.close()

        lb.watchdog(run, 20)


def test_a_full_stream_is_unchanged_and_closed() -> None:
    with lb.vendor(lambda n: [lb.head(), lb.chunk(SSE), lb.END]) as server:
        with httpx.Client() as client:
            events = tr.stream(call(server), client, SREQ)
            got = list(events)
    assert isinstance(got[-1], Done) and got[-1].response.text
    assert events._open not in _open_streams()


def test_a_for_loop_keeps_its_stream_open_though_nothing_else_holds_it() -> None:
    """`for ev in stream(...)`: once the loop has its iterator, nothing names the
    EventStream any more. The iterator must hold it, or its finalizer would have
    the closer thread shut the response mid-loop."""
    pieces = [lb.head(), lb.chunk(FIRST), 0.05, lb.chunk(SSE[len(FIRST) :]), lb.END]
    before = set(_open_streams())
    with lb.vendor(lambda n: pieces) as server, httpx.Client() as client:
        got = []
        for ev in tr.stream(call(server, timeout=5.0), client, SREQ):
            got.append(ev)
            gc.collect()
            time.sleep(0.02)  # the closer thread's turn
            assert len(_open_streams() - before) == 1  # still open, not queued for closing
    assert isinstance(got[-1], Done) and got[-1].response.text
    assert not _open_streams() - before  # and closed once the events ran out


def test_a_for_loop_that_raises_has_closed_the_response() -> None:
    with lb.vendor(lambda n: [lb.head(), lb.chunk(FIRST), lb.CUT]) as server:
        with httpx.Client(limits=httpx.Limits(max_connections=1)) as client:
            events = tr.stream(call(server, timeout=5.0), client, SREQ)
            with pytest.raises(LlmkitError) as e:
                for _ in events:
                    pass
            assert e.value.partial is not None and events._open not in _open_streams()
            pool = client._transport._pool  # type: ignore[attr-defined]
            assert pool.connections == []


def test_next_and_for_take_turns_without_losing_an_event() -> None:
    """One SSE event's events come as one list (a Gemini call's start, its
    arguments, its end and the usage): `next` may stop inside it, a `for`
    go on from there, and `next` again after a `break`."""
    from llmkit.providers import google

    body = (FIXTURES / "google" / "parallel_calls.sse").read_bytes()
    req = ChatRequest(model="gemini-x", messages=REQ.messages, stream=True)
    with httpx.Client(transport=transport(body)) as client:
        whole = list(tr.stream(call_for(google), client, req))
        events = tr.stream(call_for(google), client, req)
        got = [next(events)]
        for ev in events:
            got.append(ev)
            if len(got) == 3:
                break
        got += [next(events), *events]
    assert len(whole) > 5 and got == whole


def test_a_stream_is_closed_once_neither_it_nor_its_iterator_is_held() -> None:
    with lb.vendor(half_open_stream) as server, httpx.Client() as client:
        before = set(_open_streams())
        events = tr.stream(call(server, timeout=5.0), client, SREQ)
        it = iter(events)
        next(it)
        del events
        gc.collect()
        time.sleep(0.05)  # the closer thread's turn
        assert len(_open_streams() - before) == 1  # the iterator alone keeps it open
        del it
        deadline = time.monotonic() + 5
        while _open_streams() - before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _open_streams() - before


# ---- 2. a closed event loop's default client is freed ----------------------------------


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
@pytest.mark.parametrize(("backend", "loops"), [("asyncio", 120), ("trio", 40)])
def test_event_loops_that_end_do_not_leak_clients_or_sockets(backend: str, loops: int) -> None:
    with lb.vendor(lambda n: [lb.whole(200, JSON)]) as server:
        reg = registry_at(server)

        def one() -> None:
            anyio.run(lambda: llmkit.chat("loop:claude-x", "hi", api_key=TEST_KEY, registry=reg),
                      backend=backend)  # fmt: skip

        for _ in range(10):
            one()
        gc.collect()
        fds, rss = _fds(), _rss()
        lb.watchdog(lambda: [one() for _ in range(loops)], 90)
        gc.collect()
        assert _fds() <= fds + 2
        assert len(tr._async_clients) <= 1
        assert _rss() - rss < 30 * 2**20  # it was +0.8 MB a loop


# ---- 3. only llmkit errors leave llmkit -------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("fault", ["cut", "stall"])
def test_a_broken_error_body_is_the_vendor_error_and_is_retried(stream: bool, fault: str) -> None:
    body = ERR_500[:30]
    bad: list[lb.Item] = [lb.head(500, "application/json", len(ERR_500)), body]
    bad.append(lb.CUT if fault == "cut" else 30.0)
    good = [lb.head(), lb.chunk(SSE), lb.END] if stream else [lb.whole(200, JSON)]
    with lb.vendor(lambda n: bad if n == 0 else good) as server:
        c = call(server, max_retries=1, timeout=1.0)
        with httpx.Client() as client:
            got = list(tr.stream(c, client, SREQ)) if stream else tr.chat(c, client, REQ)
        assert server.count == 2
        c0 = call(server, timeout=1.0)
        server.count = 0
        with httpx.Client() as client, pytest.raises(ServerError) as e:
            list(tr.stream(c0, client, SREQ)) if stream else tr.chat(c0, client, REQ)
    assert e.value.status == 500 and e.value.provider == "anthropic"
    assert got is not None


def test_a_cut_non_sse_success_body_is_a_stream_error() -> None:
    answer = [lb.head(200, "text/html", 1000), b"<html>", lb.CUT]
    with lb.vendor(lambda n: answer) as server, httpx.Client() as client:
        with pytest.raises(StreamError, match="expected text/event-stream") as e:
            list(tr.stream(call(server), client, SREQ))
    assert "<html>" in e.value.body


def test_invalid_utf8_in_a_503_body_is_typed_and_retried() -> None:
    bad = b'{"type":"error","error":{"type":"overloaded_error","message":"\xff\xfe"}}'
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, content=bad, headers={"content-type": "application/json"})
        return httpx.Response(200, content=JSON, headers={"content-type": "application/json"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert tr.chat(call(max_retries=1), client, REQ).text
        seen.clear()
        with pytest.raises(Overloaded):
            tr.chat(call_for(anthropic), client, REQ)


def test_invalid_utf8_in_a_success_body_is_a_decode_error() -> None:
    bad = JSON.replace(b'"text":"', b'"text":"\xc3\x28', 1)
    assert bad != JSON
    ok = httpx.MockTransport(lambda q: httpx.Response(200, content=bad))
    with httpx.Client(transport=ok) as client, pytest.raises(DecodeError):
        tr.chat(call_for(anthropic), client, REQ)


@pytest.mark.parametrize("url", ["http://[::1", "http://host:port", "http://\x00x/"])
def test_a_malformed_base_url_is_an_invalid_argument(url: str) -> None:
    with pytest.raises(InvalidArgument):
        llmkit.chat_sync("claude-x", "hi", api_key=TEST_KEY, base_url=url, max_retries=0)


def test_a_non_ascii_key_in_the_environment_is_typed_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "sk-ant-é-" + "s3cr3t" * 4
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    for var in ("OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(InvalidApiKey) as e:
        llmkit.list_models_sync(live=True, http_client=httpx.Client(transport=lb_never()))
    assert "s3cr3t" not in repr(e.value) + str(e.value)


def lb_never() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    return httpx.MockTransport(handler)


# ---- 6. deadlines, default timeouts, retry waits ----------------------------------------


def drip(n: int) -> list[lb.Item]:
    """One byte every 50 ms, for ever: no read timeout ever fires."""
    return [lb.head(), *[x for b in FIRST for x in (lb.chunk(bytes([b])), 0.05)]]


def test_a_drip_stream_ends_at_the_deadline_sync() -> None:
    with lb.vendor(drip) as server, httpx.Client() as client:
        start = time.monotonic()
        with pytest.raises(Timeout, match="deadline"):
            lb.watchdog(lambda: list(tr.stream(call(server, deadline=1.0), client, SREQ)), 10)
    assert time.monotonic() - start < 3


def test_a_drip_body_ends_at_the_deadline_sync() -> None:
    answer = [
        lb.head(200, "application/json"),
        *[x for _ in range(400) for x in (lb.chunk(b" "), 0.05)],
    ]
    with lb.vendor(lambda n: answer) as server, httpx.Client() as client:
        start = time.monotonic()
        with pytest.raises(Timeout, match="deadline"):
            lb.watchdog(lambda: tr.chat(call(server, deadline=1.0), client, REQ), 10)
    assert time.monotonic() - start < 3


@pytest.mark.anyio
async def test_a_drip_stream_ends_at_the_deadline_async() -> None:
    with lb.vendor(drip) as server:
        async with httpx.AsyncClient() as client:
            start = time.monotonic()
            with anyio.fail_after(10), pytest.raises(Timeout, match="deadline") as e:
                async for _ in tr.astream(call(server, deadline=1.0), client, SREQ):
                    pass
    assert time.monotonic() - start < 3
    assert e.value.partial is not None


@pytest.mark.anyio
async def test_a_stall_before_headers_ends_at_the_deadline_async() -> None:
    with lb.vendor(lambda n: [30.0]) as server:
        async with httpx.AsyncClient() as client:
            start = time.monotonic()
            with anyio.fail_after(10), pytest.raises(Timeout):
                await tr.achat(call(server, deadline=0.5, max_retries=5), client, REQ)
    assert time.monotonic() - start < 2


def test_a_stall_before_headers_ends_at_the_deadline_sync() -> None:
    with lb.vendor(lambda n: [30.0]) as server, httpx.Client() as client:
        start = time.monotonic()
        with pytest.raises(Timeout):
            lb.watchdog(lambda: tr.chat(call(server, deadline=0.5, max_retries=5), client, REQ), 10)
    assert time.monotonic() - start < 2 and server.count == 1


def test_retries_never_wait_past_the_deadline() -> None:
    answer = [lb.whole(503, ERR_500, extra="retry-after: 5\r\n")]
    with lb.vendor(lambda n: answer) as server, httpx.Client() as client:
        start = time.monotonic()
        with pytest.raises(ServerError):
            lb.watchdog(lambda: tr.chat(call(server, deadline=2.0, max_retries=3), client, REQ), 10)
        assert server.count == 1 and time.monotonic() - start < 1.5


@pytest.mark.parametrize("advice", ["86400", "1e400", "nan", "-5", "soon", ""])
def test_retry_after_from_zero_to_a_day_and_invalid(advice: str) -> None:
    answer = [lb.whole(429, ERR_429, extra=f"retry-after: {advice}\r\n")]
    with lb.vendor(lambda n: answer) as server, httpx.Client() as client:
        start = time.monotonic()
        with pytest.raises(RateLimited):
            lb.watchdog(lambda: tr.chat(call(server, max_retries=2), client, REQ), 10)
    assert time.monotonic() - start < 3  # a day's advice is not waited for; junk is backoff


def test_timeout_none_means_no_limit_and_bad_values_are_refused() -> None:
    assert tr.timeout_from(None) == httpx.Timeout(None)
    assert tr.timeout_from(1.0) == httpx.Timeout(1.0)
    assert tr.timeout_from(300.0) == httpx.Timeout(300.0, connect=10.0, pool=10.0)
    assert tr.Call(provider=anthropic, name="a", base_url="", key=None).timeout == (
        httpx.Timeout(120.0, connect=10.0, pool=10.0)
    )
    for bad in ({"timeout": -1}, {"timeout": 0}, {"deadline": float("nan")}):
        with pytest.raises(InvalidArgument):
            llmkit.chat_sync("claude-x", "hi", api_key=TEST_KEY, **bad)


def test_an_exhausted_pool_is_a_quick_clear_error() -> None:
    with lb.vendor(half_open_stream) as server:
        with httpx.Client(limits=httpx.Limits(max_connections=1)) as client:
            c = call(server, timeout=httpx.Timeout(5.0, pool=0.3), max_retries=2)
            with tr.stream(c, client, SREQ) as first:
                next(first)
                with pytest.raises(Timeout, match="no free connection") as e:
                    lb.watchdog(lambda: next(tr.stream(c, client, SREQ)), 5)
    assert "close the ones you stopped reading" in str(e.value)


def test_the_cli_gives_up_at_its_timeout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmkit import cli

    with lb.vendor(drip) as server:
        monkeypatch.setattr(r, "_current", registry_at(server))
        start = time.monotonic()
        code = lb.watchdog(lambda: cli.main(["chat", "loop:claude-x", "hi", "--timeout", "1"]), 10)
    assert code == 1 and time.monotonic() - start < 3
    assert "deadline of 1.0 s passed" in capsys.readouterr().err
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(SystemExit):
            cli.parser().parse_args(["chat", "m", "hi", "--timeout", bad])


# ---- 7. bounded buffers ------------------------------------------------------------------


def test_an_endless_sse_event_is_a_stream_error_at_the_cap() -> None:
    pulled = [0]

    def body() -> Iterator[bytes]:
        yield FIRST
        for _ in range(200):
            pulled[0] += 1
            yield b"data: " + b"x" * 65536

    def handler(q: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    c = call(limits=tr.Limits(max_line=2**20))
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(StreamError, match="max_line") as e:
            list(tr.stream(c, client, SREQ))
    assert pulled[0] <= 17 and e.value.partial is not None and e.value.partial.text


def _endless(status: int, kind: str, pulled: list[int]) -> httpx.MockTransport:
    """A 13 MB body (endless, as far as a 1 MiB cap can tell), counting the
    64 KiB chunks read from it."""

    def body() -> Iterator[bytes]:
        yield b"<html>" if "html" in kind else b'{"error":{"message":"'
        for _ in range(200):
            pulled[0] += 1
            yield b"y" * 65536

    return httpx.MockTransport(
        lambda q: httpx.Response(status, headers={"content-type": kind}, content=body())
    )


def test_a_huge_error_body_is_read_only_up_to_its_cap() -> None:
    pulled = [0]
    with httpx.Client(transport=_endless(400, "application/json", pulled)) as client:
        with pytest.raises(llmkit.InvalidRequest) as e:
            tr.chat(call_for(anthropic), client, REQ)
    assert pulled[0] <= 17 and e.value.status == 400


def test_a_huge_html_success_is_capped_on_both_paths() -> None:
    pulled = [0]
    with httpx.Client(transport=_endless(200, "text/html", pulled)) as client:
        with pytest.raises(StreamError, match="expected text/event-stream"):
            list(tr.stream(call_for(anthropic), client, SREQ))
        assert pulled[0] <= 17
        pulled[0] = 0
        with pytest.raises(DecodeError, match="max_body"):
            tr.chat(call(limits=tr.Limits(max_body=2**20)), client, REQ)
    assert pulled[0] <= 17


# ---- 9. a response that has started is never re-sent --------------------------------------


@pytest.mark.parametrize("fault", ["cut", "stall"])
def test_a_200_whose_body_breaks_is_not_sent_again(fault: str) -> None:
    answer: list[lb.Item] = [lb.head(200, "application/json", len(JSON)), JSON[:40]]
    answer.append(lb.CUT if fault == "cut" else 30.0)
    with lb.vendor(lambda n: answer) as server, httpx.Client() as client:
        c = call(server, max_retries=3, timeout=0.5)
        with pytest.raises((ConnectionFailed, Timeout)):
            lb.watchdog(lambda: tr.chat(c, client, REQ), 10)
    assert server.count == 1


# ---- 10. recording across event loops ------------------------------------------------------


def test_recording_serves_a_new_event_loop_each_time(tmp_path: Path) -> None:
    with lb.vendor(lambda n: [lb.whole(200, JSON)]) as server:
        reg = registry_at(server)

        async def one() -> str:
            resp = await llmkit.chat("loop:claude-x", "hi", api_key=TEST_KEY, registry=reg)
            return resp.text

        with llmkit.testing.recording(tmp_path):
            texts = [asyncio.run(one()) for _ in range(3)]
    assert all(texts) and len(list(tmp_path.glob("[0-9][0-9][0-9][0-9].json"))) == 3


# the bytes one event holds before the blank line after it: its lines, LF-ended
LONGEST = max(len(ev) + 1 for ev in SSE.replace(b"\r\n", b"\n").split(b"\n\n") if ev)


@given(st.lists(st.integers(1, len(SSE) - 1), max_size=12))
def test_the_event_cap_never_trips_below_it_wherever_the_chunks_are_cut(cuts: list[int]) -> None:
    """A cap of the longest event passes the stream whole for any chunking
    (the count survives events split across chunks); fed byte by byte, so
    that every event is held unfinished at some point, one byte less stops it."""
    from tests.replay import transport

    def run(cap: int, cuts: list[int]) -> list[Any]:
        with httpx.Client(transport=transport(SSE, cuts=cuts)) as client:
            return list(tr.stream(call(limits=tr.Limits(max_line=cap)), client, SREQ))

    assert isinstance(run(LONGEST, cuts)[-1], Done)
    with pytest.raises(StreamError, match="max_line"):
        run(LONGEST - 1, list(range(1, len(SSE))))
