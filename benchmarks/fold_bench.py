"""The fold alone: each provider's `step` over pre-parsed SSE events, against the
floor's work on the same events (a msgspec decode and taking the text out; no
sockets, no framing). For profiling the hot path.

    uv run python benchmarks/fold_bench.py [--events 2000] [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx_sse
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fake_vendor
from clients import PICK

from llmkit.providers import anthropic, google, openai, responses
from llmkit.types import ChatRequest, Done, Message, Text

REQ = ChatRequest(model="bench", messages=[Message(role="user", content=[Text(text="hi")])])


def events(body: bytes) -> list[httpx_sse.ServerSentEvent]:
    """The events httpx-sse would hand the fold for `body`."""
    dec = httpx_sse._decoders.SSEDecoder()
    out = []
    for line in body.decode().splitlines():
        ev = dec.decode(line)
        if ev is not None:
            out.append(ev)
    return out


def run_fold(p: Any, evs: list[httpx_sse.ServerSentEvent]) -> Any:
    step = p.step
    s = p.start(REQ)
    for ev in evs:
        s, _ = step(s, ev)
    (done,) = p.finish(s)
    assert isinstance(done, Done)
    return done.response


def run_decode(evs: list[httpx_sse.ServerSentEvent], pick: Callable[[Any], str | None]) -> None:
    """The floor's work per event: decode, and take out the text."""
    decode = msgspec.json.Decoder().decode
    out = []
    for ev in evs:
        if ev.data != "[DONE]":
            out.append(pick(decode(ev.data)) or "")


def best(fn: Callable[[], Any], n: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    n = args.events
    cases = {
        "anthropic text": (anthropic, fake_vendor.anthropic_stream(n), PICK["anthropic", "text"]),
        "anthropic tool": (
            anthropic,
            fake_vendor.anthropic_tool_stream(n),
            PICK["anthropic", "tool"],
        ),
        "openai text": (openai, fake_vendor.openai_stream(n), PICK["openai", "text"]),
        "openai tool": (openai, fake_vendor.openai_tool_stream(n), PICK["openai", "tool"]),
        "responses text": (
            responses,
            fake_vendor.responses_stream(n),
            PICK["responses", "text"],
        ),
        "responses tool": (
            responses,
            fake_vendor.responses_tool_stream(n),
            PICK["responses", "tool"],
        ),
        "google text": (google, fake_vendor.google_stream(n), PICK["google", "text"]),
        "google tool": (google, fake_vendor.google_tool_stream(n), PICK["google", "tool"]),
    }
    print(f"{'case':<16} {'events':>7} {'floor µs':>10} {'fold µs':>8} {'fold/floor':>11}")
    for name, (p, body, pick) in cases.items():
        evs = events(body)
        run_fold(p, evs)
        d = best(lambda evs=evs, pick=pick: run_decode(evs, pick), len(evs), args.runs)
        f = best(lambda p=p, evs=evs: run_fold(p, evs), len(evs), args.runs)
        print(f"{name:<16} {len(evs):>7} {d:>10.2f} {f:>8.2f} {f / d:>11.2f}")


if __name__ == "__main__":
    main()
