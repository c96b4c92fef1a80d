"""Per-event streaming cost of llmkit against the floor, and import time.

The floor is what any client must at least do: httpx + httpx-sse framing and a
msgspec decode of each event. Streams come from a fake vendor in its own
process on loopback (benchmarks/fake_vendor.py); the figure is the client's CPU
time per streamed event, median of several runs with the spread. Every client's
accumulated text is checked so none can skip work.

    uv run python benchmarks/bench.py [--events 2000] [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx_sse
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fake_vendor

import llmkit

HERE = Path(__file__).resolve().parent

# vendor → (model, path on the fake server, how the floor finds the text)
VENDORS: dict[str, tuple[str, str, Callable[[Any], str]]] = {
    "anthropic": (
        "claude-sonnet-4-20250514",
        "/v1/messages",
        lambda d: d.get("delta", {}).get("text", "") if d.get("type") == "content_block_delta"
        else "",
    ),
    "openai": (
        "gpt-4o",
        "/chat/completions",
        lambda d: (d["choices"][0]["delta"].get("content") or "") if d.get("choices") else "",
    ),
    "google": (
        "gemini-2.5-flash",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        lambda d: "".join(p.get("text", "") for p in d["candidates"][0]["content"]["parts"]),
    ),
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def floor_sync(client: httpx.Client, url: str, pick: Callable[[Any], str]) -> str:
    decode = msgspec.json.Decoder().decode
    out = []
    with httpx_sse.connect_sse(client, "POST", url, content=b"{}") as es:
        for ev in es.iter_sse():
            if ev.data != "[DONE]":
                out.append(pick(decode(ev.data)))
    return "".join(out)


async def floor_async(client: httpx.AsyncClient, url: str, pick: Callable[[Any], str]) -> str:
    decode = msgspec.json.Decoder().decode
    out = []
    async with httpx_sse.aconnect_sse(client, "POST", url, content=b"{}") as es:
        async for ev in es.aiter_sse():
            if ev.data != "[DONE]":
                out.append(pick(decode(ev.data)))
    return "".join(out)


def llmkit_sync(client: httpx.Client, base: str, model: str) -> str:
    out = []
    for ev in llmkit.stream_sync(model, "hi", base_url=base, api_key="bench", http_client=client):
        if isinstance(ev, llmkit.TextDelta):
            out.append(ev.text)
        elif isinstance(ev, llmkit.Done):
            assert ev.response.text == "".join(out)
    return "".join(out)


async def llmkit_async(client: httpx.AsyncClient, base: str, model: str) -> str:
    out = []
    async for ev in llmkit.stream(model, "hi", base_url=base, api_key="bench", http_client=client):
        if isinstance(ev, llmkit.TextDelta):
            out.append(ev.text)
        elif isinstance(ev, llmkit.Done):
            assert ev.response.text == "".join(out)
    return "".join(out)


def _cpu(fn: Callable[[], str], expected: str) -> float:
    t = time.process_time()
    got = fn()
    spent = time.process_time() - t
    assert got == expected, f"text mismatch: {got[:40]!r} vs {expected[:40]!r}"
    return spent


def measure(url: str, n: int, runs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with httpx.Client(timeout=60) as sc:
        for vendor, (model, path, pick) in VENDORS.items():
            rows += _measure_vendor(sc, vendor, url, model, url + path, pick, n, runs)
    return rows


def _measure_vendor(
    sc: httpx.Client,
    vendor: str,
    base: str,
    model: str,
    url: str,
    pick: Callable[[Any], str],
    n: int,
    runs: int,
) -> list[dict[str, Any]]:
    expected = fake_vendor.expected_text(n)
    syncs: dict[str, Callable[[], str]] = {
        "floor sync": lambda: floor_sync(sc, url, pick),
        "llmkit sync": lambda: llmkit_sync(sc, base, model),
    }
    asyncs: dict[str, Callable[[httpx.AsyncClient], Any]] = {
        "floor async": lambda c: floor_async(c, url, pick),
        "llmkit async": lambda c: llmkit_async(c, base, model),
    }
    rows = []
    for name, fn in syncs.items():
        fn()  # warm up: connection, imports
        rows.append(_row(vendor, name, [_cpu(fn, expected) for _ in range(runs)], n))
    for name, afn in asyncs.items():
        rows.append(_row(vendor, name, _async_runs(afn, expected, runs), n))
    return rows


def _async_runs(afn: Callable[[httpx.AsyncClient], Any], expected: str, runs: int) -> list[float]:
    async def main() -> list[float]:
        async with httpx.AsyncClient(timeout=60) as c:
            await afn(c)
            spent = []
            for _ in range(runs):
                t = time.process_time()
                got = await afn(c)
                spent.append(time.process_time() - t)
                assert got == expected
            return spent

    return anyio.run(main)


def _row(vendor: str, client: str, secs: list[float], n: int) -> dict[str, Any]:
    per = sorted(s / n * 1e6 for s in secs)
    return {
        "vendor": vendor,
        "client": client,
        "us_per_event": statistics.median(per),
        "min": per[0],
        "max": per[-1],
    }


def import_time(stmt: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fake_vendor.py"), str(port), str(args.events)]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        rows = measure(url, args.events, args.runs)
    finally:
        server.terminate()
    imports = {
        "import llmkit": import_time("import llmkit"),
        "import llmkit + transport + providers": import_time(
            "import llmkit, llmkit.transport, llmkit.providers.anthropic, "
            "llmkit.providers.openai, llmkit.providers.google"
        ),
        "import httpx, httpx_sse, msgspec, anyio": import_time(
            "import httpx, httpx_sse, msgspec, anyio"
        ),
    }
    floors = {(r["vendor"], r["client"].split()[1]): r["us_per_event"] for r in rows
              if r["client"].startswith("floor")}  # fmt: skip
    for r in rows:
        r["x_floor"] = r["us_per_event"] / floors[(r["vendor"], r["client"].split()[1])]
    if args.json:
        print(json.dumps({"events": args.events, "runs": args.runs, "stream": rows,
                          "import_s": imports}, indent=2))  # fmt: skip
        return
    print(f"client CPU per streamed event, {args.events} events, median of {args.runs} runs")
    print(f"{'vendor':<10} {'client':<13} {'µs/event':>9} {'min':>7} {'max':>7} {'× floor':>8}")
    for r in rows:
        print(f"{r['vendor']:<10} {r['client']:<13} {r['us_per_event']:>9.2f} {r['min']:>7.2f} "
              f"{r['max']:>7.2f} {r['x_floor']:>8.2f}")  # fmt: skip
    print()
    for k, v in imports.items():
        print(f"{k:<42} {v * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
