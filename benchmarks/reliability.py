"""The attack harness: a misbehaving loopback vendor and hostile clients against
llmkit, bounded in cases and time, loopback only. Prints cases and failures per
category; exits 1 when any case fails (or the time budget ran out first).

    uv run --extra server python benchmarks/reliability.py [--seed N] [--budget S]

A case passes when llmkit gives a complete answer or a typed `LlmkitError`,
in time, never a raw exception, a hang, a silently truncated answer, a key in
any error, a 500 from the server or a connection the server keeps open.

Vendor categories (each over Anthropic, OpenAI, xAI and Gemini wire formats,
with recorded-shape bodies from fixtures/): `cut` (the body ends at an event
boundary or a random byte, EOF-delimited or chunked), `reset` (TCP RST
mid-body), `stall` (silence before the status line or mid-stream, under a
0.5 s read timeout), `garbage` (random bytes under assorted statuses and
content types), `retry_after` (odd retry-after values), `secret` (a vendor
echoing keys of random shapes), `resend` (a 200 answer reset midway with
retries on: the request must not be sent again), `flood` (one SSE event or JSON
body that never ends, 32 MB: the client must stop reading at its cap).
Server categories: `server_input` (bad bodies, and vendor answers the server
must map) and `server_slow` (idle and trickling connections under short
deadlines).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx

import llmkit
from llmkit.errors import LlmkitError
from llmkit.transport import Limits

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CASE_TIMEOUT = 5.0
WIRES = {  # wire module: (model, recorded stream, recorded JSON answer)
    "anthropic": ("claude-sonnet-4-5", "anthropic/text.sse", "anthropic/text.json"),
    "openai": ("gpt-4o", "openai/text.sse", "openai/text.json"),
    "xai": ("grok-4", "openai/text.sse", "openai/text.json"),
    "responses": ("gpt-4o", "openai-responses/text.sse", "openai-responses/text.json"),
    "google": ("gemini-2.5-flash", "google/text.sse", "google/text.json"),
}
RELEASE = threading.Event()  # set at the end: every stalled vendor handler returns


# ---- the misbehaving vendor: raw bytes on a loopback socket -------------------------

Act = Callable[[socket.socket], None]
_acts: dict[str, Act] = {}
_hits: dict[str, int] = defaultdict(int)  # requests per case
_sent: dict[str, int] = defaultdict(int)  # body bytes the client took, for `flood`


def _head(status: int, kind: str, extra: str = "", chunked: bool = False) -> bytes:
    framing = "Transfer-Encoding: chunked\r\n" if chunked else "Connection: close\r\n"
    return (f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n{framing}{extra}\r\n").encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n" if data else b""


def _send(
    status: int,
    kind: str,
    body: bytes,
    *,
    cut: int | None = None,
    chunked: bool = False,
    extra: str = "",
    reset: bool = False,
    stall: bool = False,
) -> Act:
    """An answer: `body` up to `cut`, then a close, a reset or a stall."""

    def act(s: socket.socket) -> None:
        part = body if cut is None else body[:cut]
        s.sendall(_head(status, kind, extra, chunked) + (_chunk(part) if chunked else part))
        if stall:
            RELEASE.wait(60)
        elif reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        elif chunked and cut is None:
            s.sendall(b"0\r\n\r\n")

    return act


FLOOD = 32 * 1024 * 1024


def _flood(kind: str) -> Act:
    """One event (or JSON body) that never ends: 32 MB, 1 MB at a time; how
    much the client took is noted, to see whether anything capped it."""

    def act(s: socket.socket) -> None:
        case = threading.current_thread().name
        s.sendall(_head(200, kind) + (b"data: " if "event" in kind else b'{"id": "'))
        for _ in range(FLOOD // 2**20):
            s.sendall(b"x" * 2**20)
            _sent[case] += 2**20

    return act


class _Vendor(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        s: socket.socket = self.request
        s.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            more = s.recv(65536)
            if not more:
                return
            data += more
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(rest) < length:
            rest += s.recv(65536)
        case = head.split(b" ")[1].split(b"/")[1].decode()
        _hits[case] += 1
        threading.current_thread().name = case
        with contextlib.suppress(OSError):  # the client left first
            _acts[case](s)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


# ---- running one case -----------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.cases: dict[str, int] = defaultdict(int)
        self.failures: dict[str, list[str]] = defaultdict(list)
        self.seconds: dict[str, float] = defaultdict(float)

    def record(self, category: str, name: str, problem: str | None, took: float) -> None:
        self.cases[category] += 1
        self.seconds[category] += took
        if problem:
            self.failures[category].append(f"{name}: {problem}")


def _reg(port: int, case: str, wire: str) -> llmkit.Registry:
    base = f"http://127.0.0.1:{port}/{case}"
    return llmkit.with_endpoint(llmkit.registry.DEFAULT, "h", base_url=base, wire=wire)


async def _ask(
    port: int, case: str, wire: str, stream: bool, key: str = "harness-key-0001", **kw: Any
) -> llmkit.Response:
    model = WIRES[wire][0]
    args: dict[str, Any] = {
        "registry": _reg(port, case, wire),
        "api_key": key,
        "max_retries": 0,
        "timeout": 0.5,
        # the caps are settings: a smaller one than the flood proves it holds
        "limits": Limits(max_line=FLOOD // 4, max_body=FLOOD // 4),
        **kw,
    }
    if not stream:
        return await llmkit.chat(f"h:{model}", "hi", **args)
    done = None
    async for ev in llmkit.stream(f"h:{model}", "hi", **args):
        if isinstance(ev, llmkit.Done):
            done = ev.response
    if done is None:
        raise AssertionError("stream ended without Done and without an error")
    return done


async def _outcome(work: Callable[[], Awaitable[Any]]) -> tuple[Any, str | None]:
    """(result or LlmkitError, problem): a raw exception or a hang is a problem."""
    try:
        with anyio.fail_after(CASE_TIMEOUT):
            return await work(), None
    except LlmkitError as e:
        return e, None
    except TimeoutError:
        return None, f"hang (> {CASE_TIMEOUT:g} s)"
    except Exception as e:  # the finding: a raw exception left llmkit
        return e, f"raw {type(e).__name__}: {str(e)[:120]}"


# ---- vendor categories ----------------------------------------------------------------


def _cuts(body: bytes, rng: random.Random, n: int) -> list[int]:
    edges = [i + 2 for i in range(len(body)) if body.startswith(b"\n\n", i)]
    return sorted(
        set(rng.sample(edges, min(n, len(edges))) + [rng.randrange(len(body)) for _ in range(n)])
    )


async def vendor_cases(port: int, rng: random.Random, tally: Tally, budget: float) -> None:
    n = 0

    def case(act: Act) -> str:
        nonlocal n
        n += 1
        _acts[f"c{n}"] = act
        return f"c{n}"

    deadline = time.monotonic() + budget
    for wire, (_, sse_file, json_file) in WIRES.items():
        sse = (FIXTURES / sse_file).read_bytes()
        whole = (FIXTURES / json_file).read_bytes()
        whole_stream = case(_send(200, "text/event-stream", sse))
        full, _ = await _outcome(partial(_ask, port, whole_stream, wire, True))
        reference = full.text if isinstance(full, llmkit.Response) else None
        for category, name, act, stream in _plans(wire, sse, whole, rng):
            if time.monotonic() > deadline:
                tally.record(category, name, "not run: time budget spent", 0)
                continue
            started, c = time.monotonic(), case(act)
            retries = 2 if category == "resend" else 0
            got, problem = await _outcome(partial(_ask, port, c, wire, stream, max_retries=retries))
            if problem is None:
                problem = _judge(category, got, reference, stream, c)
            tally.record(category, name, problem, time.monotonic() - started)
        await secret_cases(port, rng, tally, wire, case)


Plan = tuple[str, str, Act, bool]  # category, case name, the vendor's act, streamed


def _plans(wire: str, sse: bytes, whole: bytes, rng: random.Random) -> list[Plan]:
    plans: list[Plan] = []
    for cut in _cuts(sse, rng, 6):
        chunked = rng.random() < 0.5
        plans.append(
            (
                "cut",
                f"{wire} stream cut at {cut}/{len(sse)}{' chunked' * chunked}",
                _send(200, "text/event-stream", sse, cut=cut, chunked=chunked),
                True,
            )
        )
    for cut in (rng.randrange(len(whole)) for _ in range(2)):
        plans.append(
            (
                "cut",
                f"{wire} JSON cut at {cut}",
                _send(200, "application/json", whole, cut=cut),
                False,
            )
        )
    for cut in (rng.randrange(1, len(sse)) for _ in range(3)):
        plans.append(
            (
                "reset",
                f"{wire} reset at {cut}",
                _send(200, "text/event-stream", sse, cut=cut, reset=True),
                True,
            )
        )
    plans.append(
        ("stall", f"{wire} silent before the status line", lambda s: RELEASE.wait(60), True)
    )
    for cut in (rng.randrange(1, len(sse)) for _ in range(2)):
        plans.append(
            (
                "stall",
                f"{wire} stream stalls at {cut}",
                _send(200, "text/event-stream", sse, cut=cut, stall=True),
                True,
            )
        )
    for _ in range(6):
        status = rng.choice([200, 200, 400, 401, 404, 429, 500, 502, 503, 529])
        kind = rng.choice(["application/json", "text/event-stream", "text/html", ""])
        junk = rng.randbytes(rng.randrange(0, 3000))
        plans.append(
            (
                "garbage",
                f"{wire} {status} {kind or 'no type'} {len(junk)} B",
                _send(status, kind, junk),
                rng.random() < 0.5,
            )
        )
    for value in (
        "-5",
        "nan",
        "inf",
        "1e309",
        "99999999999",
        "soon",
        "",
        "0x10",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ):
        err = json.dumps({"error": {"type": "rate_limit_error", "message": "slow"}}).encode()
        plans.append(
            (
                "retry_after",
                f"{wire} retry-after {value!r}",
                _send(429, "application/json", err, extra=f"Retry-After: {value}\r\n"),
                False,
            )
        )
    for stream, at in ((False, len(whole) // 2), (True, len(sse) // 2)):
        kind = "text/event-stream" if stream else "application/json"
        body = sse if stream else whole
        length = f"Content-Length: {len(body)}\r\n" if not stream else ""
        plans.append(
            (
                "resend",
                f"{wire} {'stream' if stream else 'JSON'} reset at {at}, retries on",
                _send(200, kind, body, cut=at, reset=True, extra=length),
                stream,
            )
        )
    plans.append(("flood", f"{wire} endless SSE event", _flood("text/event-stream"), True))
    plans.append(("flood", f"{wire} endless JSON body", _flood("application/json"), False))
    return plans


def _judge(category: str, got: Any, reference: str | None, stream: bool, case: str) -> str | None:
    if category == "resend" and _hits[case] != 1:
        return f"sent {_hits[case]} times after the vendor's answer had begun"
    if category == "flood" and _sent[case] >= FLOOD:
        return f"took all {FLOOD >> 20} MB of one unfinished event or body: no cap"
    if isinstance(got, llmkit.Response):
        if category in ("stall", "reset", "garbage", "retry_after", "resend", "flood"):
            return f"answered {got.text[:40]!r} where an error was due"
        if stream and reference is not None and got.text != reference:
            return f"silently truncated: {got.text[-30:]!r}"
        return None
    if category == "stall" and not isinstance(got, llmkit.Timeout):
        return f"{type(got).__name__} where a Timeout was due"
    if category == "retry_after":
        ra = getattr(got, "retry_after", None)
        if not isinstance(got, llmkit.RateLimited):
            return f"{type(got).__name__}, not RateLimited"
        if ra is not None and not (0 <= ra < float("inf")):
            return f"retry_after {ra!r} is not a finite, non-negative number"
    return None


_SHAPES = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$%&'*+/=?^`|\"\\:;,"


async def secret_cases(
    port: int, rng: random.Random, tally: Tally, wire: str, case: Callable[[Act], str]
) -> None:
    for i in range(6):
        key = rng.choice(["gsk_", "sk-", "", "tok"]) + "".join(
            rng.choice(_SHAPES) for _ in range(rng.randrange(8, 48))
        )
        said = json.dumps({"error": {"type": "authentication_error", "message": f"bad {key}"}})
        if i % 2 == 0:
            act = _send(401, "application/json", said.encode(), extra=f"X-Echo: {key}\r\n")
        else:
            event = {"error": {"message": f"bad key {key}", "type": "server_error"}}
            if wire == "anthropic":
                event = {"type": "error", "error": {"type": "api_error", "message": f"bad {key}"}}
            frame = (
                "event: error\n" if wire == "anthropic" else ""
            ) + f"data: {json.dumps(event)}\n\n"
            act = _send(200, "text/event-stream", frame.encode())
        started = time.monotonic()
        got, problem = await _outcome(partial(_ask, port, case(act), wire, i % 2 == 1, key=key))
        if problem is None and not isinstance(got, LlmkitError):
            problem = "no error for an error answer"
        if problem is None:
            seen = [
                str(got),
                repr(got),
                repr(getattr(got, "body", "")),
                repr(getattr(got, "headers", {})),
                "".join(traceback.format_exception(got)),
            ]
            seen.append(repr(getattr(got, "partial", None)))
            text = "\n".join(seen)
            forms = {key, json.dumps(key)[1:-1], repr(key)[1:-1]}
            if any(f in text for f in forms):
                problem = f"key {key[:6]}… shows in the error"
        tally.record("secret", f"{wire} key #{i}", problem, time.monotonic() - started)


# ---- server categories ----------------------------------------------------------------


def _serve_llmkit(vendor_port: int, rng: random.Random) -> tuple[str, Callable[[], None]]:
    """llmkit's server on a free loopback port, its vendors the misbehaving one."""
    import uvicorn

    from llmkit.server import ServerConfig, create_app, uvicorn_options

    _acts["s-ok"] = _send(200, "text/event-stream", (FIXTURES / "openai/text.sse").read_bytes())
    _acts["s-junk"] = _send(200, "application/json", rng.randbytes(200))
    _acts["s-429"] = _send(
        429, "application/json", b'{"error":{"message":"x"}}', extra="Retry-After: 1e309\r\n"
    )
    reg = llmkit.registry.DEFAULT
    for name in ("s-ok", "s-junk", "s-429"):
        reg = llmkit.with_endpoint(
            reg, name, base_url=f"http://127.0.0.1:{vendor_port}/{name}", key_env="HARNESS_KEY"
        )
    cfg = ServerConfig(
        registry=reg,
        token=None,
        max_retries=0,
        header_timeout=0.5,
        body_timeout=0.5,
        idle_timeout=0.5,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(cfg),
            log_level="critical",
            timeout_graceful_shutdown=1,
            **uvicorn_options(cfg),
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(5)

    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop


def _bad_bodies(rng: random.Random) -> list[tuple[str, bytes]]:
    ok = {"model": "s-ok:gpt-4o", "messages": "hi"}
    deep = "[" * 5000 + "]" * 5000
    out = [
        ("nested 5000", json.dumps(ok)[:-1].encode() + b', "extra": ' + deep.encode() + b"}"),
        ("invalid UTF-8 in a string", b'{"model": "s-ok:gpt-4o", "messages": "caf\xc3"}'),
        ("lone surrogate bytes", b'{"model": "s-ok:gpt-4o", "messages": "\xed\xa0\x80"}'),
        ("not an object", b"[1, 2, 3]"),
        ("wrong types", b'{"model": 5, "messages": {"role": 7}}'),
        ("odd options", b'{"model": "s-ok:gpt-4o", "messages": "hi", "response_format": []}'),
        ("odd tools", b'{"model": "s-ok:gpt-4o", "messages": "hi", "tools": [{"x": 1}]}'),
        ("vendor says 200 junk", b'{"model": "s-junk:gpt-4o", "messages": "hi"}'),
        ("vendor retry-after 1e309", b'{"model": "s-429:gpt-4o", "messages": "hi"}'),
    ]
    raw = json.dumps(ok).encode()
    out += [(f"cut at {i}", raw[:i]) for i in rng.sample(range(len(raw)), 4)]
    out += [(f"{n} random bytes", rng.randbytes(n)) for n in (1, 17, 300)]
    return out


def server_input_cases(url: str, rng: random.Random, tally: Tally) -> None:
    with httpx.Client(timeout=CASE_TIMEOUT) as client:
        for name, body in _bad_bodies(rng):
            for path in ("/api/chat", "/api/chat/stream"):
                started = time.monotonic()
                try:
                    r = client.post(
                        url + path, content=body, headers={"content-type": "application/json"}
                    )
                    problem = f"answered {r.status_code}" if r.status_code == 500 else None
                except httpx.HTTPError as e:
                    problem = f"{type(e).__name__}"
                tally.record("server_input", f"{path} {name}", problem, time.monotonic() - started)


def _closed_within(url: str, seconds: float, first: bytes, trickle: bytes) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(first)
        s.settimeout(0.05)
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline:
            try:
                if i < len(trickle):
                    s.send(trickle[i : i + 1])
                    i += 1
                if not s.recv(4096):
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
    return False


def server_slow_cases(url: str, tally: Tally) -> None:
    post = b"POST /api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    cases = [
        ("silent connection", b"", b""),
        ("trickling headers", b"GET /healthz HTTP/1.1\r\n", b"X-Slow: " + b"a" * 400),
        ("trickling body", post + b"Content-Length: 500\r\n\r\n", b"{" * 500),
        ("idle keep-alive", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", b""),
    ]
    for name, first, trickle in cases:
        started = time.monotonic()
        ok = _closed_within(url, 4.0, first, trickle)
        problem = None if ok else "still open after 4 s (deadlines 0.5 s)"
        tally.record("server_slow", name, problem, time.monotonic() - started)


# ---- main -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--budget", type=float, default=45.0, help="seconds for the vendor cases")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.monotonic()
    vendor = _Server(("127.0.0.1", 0), _Vendor)
    threading.Thread(target=vendor.serve_forever, daemon=True).start()
    port = vendor.server_address[1]
    try:
        anyio.run(vendor_cases, port, rng, tally, args.budget)
        try:
            import llmkit.server  # noqa: F401
        except ImportError:
            print("server categories skipped: needs the `server` extra", file=sys.stderr)
        else:
            import os

            os.environ["HARNESS_KEY"] = "harness-server-key"
            url, stop = _serve_llmkit(port, rng)
            try:
                server_input_cases(url, rng, tally)
                server_slow_cases(url, tally)
            finally:
                stop()
    finally:
        RELEASE.set()
        vendor.shutdown()
    return _report(tally, time.monotonic() - started)


def _report(tally: Tally, took: float) -> int:
    print(f"{'category':<14}{'cases':>7}{'failed':>8}{'seconds':>9}")
    for cat in tally.cases:
        print(
            f"{cat:<14}{tally.cases[cat]:>7}{len(tally.failures[cat]):>8}{tally.seconds[cat]:>9.1f}"
        )
    total, failed = sum(tally.cases.values()), sum(map(len, tally.failures.values()))
    print(f"{'total':<14}{total:>7}{failed:>8}{took:>9.1f}")
    for cat, problems in tally.failures.items():
        for p in problems[:5]:
            print(f"  FAIL {cat}: {p}")
        if len(problems) > 5:
            print(f"  ... and {len(problems) - 5} more in {cat}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
