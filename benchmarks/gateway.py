"""llmkit's server against LiteLLM's proxy, as gateways on the same loopback
upstream (the fake vendor, Anthropic wire format), driven by the same async
client (httpx), each in its own process.

Each round, for each gateway in turn (rounds interleave the gateways, and each
round's first gateway alternates):
- 300 sequential whole answers of 40 deltas, each one paired with the same
  request sent straight to the upstream: added latency is the gateway's p50
  minus the direct p50; CPU per request is the gateway process's own CPU time
  (from /proc, its children included) over the requests;
- then 100 concurrent streams of 500 events, from a client of their own:
  gateway CPU per streamed event, and events/s.
Figures are medians of the rounds; max/min of the rounds' CPU per request says
whether a burst of streams leaves the next round's requests dearer.

llmkit is driven through `/v1/chat/completions` when its server has that
endpoint (the path LiteLLM serves), else through `/api/chat*`; the table says
which. LiteLLM needs the `bench` group (`litellm[proxy]`); without it only
llmkit runs.

    uv run --group bench python benchmarks/bench.py --gateway [--rounds 3] [--json]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec

HERE = Path(__file__).resolve().parent
MASTER_KEY = "sk-bench-litellm-master"  # a local, throwaway proxy key
Row = dict[str, Any]


class _Delta(msgspec.Struct, frozen=True):
    content: str | None = None


class _Choice(msgspec.Struct):
    delta: _Delta = _Delta()


class _Chunk(msgspec.Struct):
    choices: list[_Choice] = []


class _LlmkitDelta(msgspec.Struct):
    text: str = ""


_chunk = msgspec.json.Decoder(_Chunk)
_llmkit_delta = msgspec.json.Decoder(_LlmkitDelta)


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (/proc)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _cpu(p)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return total


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Gateway(msgspec.Struct):
    """One gateway under test: how to reach it and what to send it."""

    name: str
    pid: int
    url: str
    path: str  # "openai" (/v1/chat/completions) or "api" (/api/chat*)
    headers: dict[str, str]
    model: str  # with "{n}" for the answer's length

    def request(self, n: int, stream: bool) -> tuple[str, dict[str, Any]]:
        m = self.model.format(n=n)
        if self.path == "api":
            return self.url + ("/api/chat/stream" if stream else "/api/chat"), {
                "model": m, "messages": "hi"}  # fmt: skip
        body: dict[str, Any] = {"model": m, "messages": [{"role": "user", "content": "hi"}]}
        return self.url + "/v1/chat/completions", {**body, "stream": stream}


async def whole(client: httpx.AsyncClient, gw: Gateway, n: int) -> str:
    url, body = gw.request(n, stream=False)
    r = await client.post(url, json=body, headers=gw.headers)
    r.raise_for_status()
    data = r.json()
    return str(data["text"] if gw.path == "api" else data["choices"][0]["message"]["content"])


async def streamed(client: httpx.AsyncClient, gw: Gateway, n: int) -> tuple[int, str]:
    """(text deltas, text) of one streamed answer."""
    url, body = gw.request(n, stream=True)
    count, parts = 0, []
    async with client.stream("POST", url, json=body, headers=gw.headers) as r:
        r.raise_for_status()
        is_delta = False
        async for line in r.aiter_lines():
            if gw.path == "api":
                if line.startswith("event: "):
                    is_delta = line == "event: text_delta"
                    if line == "event: error":
                        raise RuntimeError(f"{gw.name} sent an error frame")
                elif is_delta and line.startswith("data: "):
                    parts.append(_llmkit_delta.decode(line[6:]).text)
                    count += 1
            elif line.startswith("data: {"):
                for choice in _chunk.decode(line[6:]).choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        count += 1
    return count, "".join(parts)


async def direct(client: httpx.AsyncClient, base: str, n: int) -> str:
    body = {"model": f"claude-bench-text-{n}", "max_tokens": 1024,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    r = await client.post(base + "/v1/messages", json=body, headers={"x-api-key": "bench"})
    r.raise_for_status()
    return "".join(b["text"] for b in r.json()["content"])


async def sequential(
    client: httpx.AsyncClient, gw: Gateway, base: str, n: int, requests: int, want: str
) -> Row:
    """`requests` whole answers through `gw`, each paired with one sent direct."""
    for _ in range(3):  # warm: connections, lazy imports
        await whole(client, gw, n)
        await direct(client, base, n)
    through, straight = [], []
    cpu0 = tree_cpu(gw.pid)
    for _ in range(requests):
        t = time.perf_counter()
        assert await direct(client, base, n) == want
        t1 = time.perf_counter()
        assert await whole(client, gw, n) == want, f"{gw.name}: wrong text"
        through.append(time.perf_counter() - t1)
        straight.append(t1 - t)
    cpu = tree_cpu(gw.pid) - cpu0
    return {"added_p50_ms": (statistics.median(through) - statistics.median(straight)) * 1e3,
            "direct_p50_ms": statistics.median(straight) * 1e3,
            "cpu_ms_per_request": cpu / requests * 1e3}  # fmt: skip


async def burst(gw: Gateway, n: int, streams: int, want: str) -> Row:
    """`streams` concurrent streams, from a client of their own: the burst's
    connections are closed with it, as those of many clients would be. (One
    client kept for everything scans its ~100 idle connections on each later
    request, httpx's pool does that, and its requests come 4x further apart;
    a gateway, any gateway, then runs cold and costs about twice the CPU per
    request: that was most of the rise after a burst this benchmark showed.)"""
    limits = httpx.Limits(max_connections=streams, max_keepalive_connections=streams)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        count, text = await streamed(client, gw, n)  # warm
        assert (count, text) == (n, want), f"{gw.name}: {count} of {n} deltas"
        cpu0, t = tree_cpu(gw.pid), time.perf_counter()
        got = await asyncio.gather(*(streamed(client, gw, n) for _ in range(streams)))
        secs, cpu = time.perf_counter() - t, tree_cpu(gw.pid) - cpu0
    assert all(g == (n, want) for g in got), f"{gw.name}: a stream lost deltas"
    events = streams * n
    return {"cpu_us_per_event": cpu / events * 1e6, "events_per_s": events / secs}


def rounds(gws: list[Gateway], base: str, args: Any) -> dict[str, list[Row]]:
    import fake_vendor as fv

    want_whole, want_stream = fv.expected_text(args.words), fv.expected_text(args.stream_events)

    async def main() -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {gw.name: [] for gw in gws}
        async with httpx.AsyncClient(timeout=300) as client:
            for i in range(args.rounds):
                for gw in gws if i % 2 == 0 else gws[::-1]:
                    print(f"gateway: round {i + 1}, {gw.name}", file=sys.stderr, flush=True)
                    row = await sequential(client, gw, base, args.words, args.requests, want_whole)
                    row |= await burst(gw, args.stream_events, args.streams, want_stream)
                    out[gw.name].append(row)
                    await asyncio.sleep(0.5)  # let the other gateway's stragglers settle
        return out

    return asyncio.run(main())


# ---- processes ------------------------------------------------------------------------


def start_llmkit(base: str, port: int, start: Any) -> subprocess.Popen[bytes]:
    return start([str(HERE / "serve_llmkit.py"), str(port), base], port)  # type: ignore[no-any-return]


def llmkit_path(url: str, forced: str) -> str:
    """'openai' when the server answers /v1/chat/completions, else 'api'."""
    if forced != "auto":
        return forced
    hi = [{"role": "user", "content": "hi"}]
    body = {"model": "anthropic:claude-bench-text-1", "messages": hi}
    r = httpx.post(url + "/v1/chat/completions", json=body, timeout=30)
    return "api" if r.status_code in (404, 405) else "openai"


def litellm_config(base: str, sizes: tuple[int, ...]) -> str:
    lines = ["model_list:"]
    for n in sizes:
        lines += [f"  - model_name: claude-bench-text-{n}", "    litellm_params:",
                  f"      model: anthropic/claude-bench-text-{n}",
                  f"      api_base: {base}", "      api_key: bench"]  # fmt: skip
    return "\n".join(lines) + "\n"


def start_litellm(base: str, port: int, sizes: tuple[int, ...]) -> subprocess.Popen[bytes] | None:
    try:
        import litellm.proxy.proxy_server  # noqa: F401  (the proxy's extra dependencies)
    except ImportError:
        return None
    cfg = Path(tempfile.mkdtemp()) / "litellm.yaml"
    cfg.write_text(litellm_config(base, sizes))
    env = {**os.environ, "LITELLM_MASTER_KEY": MASTER_KEY, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "LITELLM_LOG": "ERROR"}  # fmt: skip
    cmd = [sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(cfg),
           "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=1).is_success:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("LiteLLM's proxy did not start")
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("LiteLLM's proxy did not answer in 60 s")


def litellm_version() -> str:
    from importlib.metadata import version

    return version("litellm")


# ---- figures --------------------------------------------------------------------------------


def summary(per_round: dict[str, list[Row]], gws: list[Gateway]) -> list[Row]:
    out = []
    for gw in gws:
        rs = per_round[gw.name]
        cpu_req = [r["cpu_ms_per_request"] for r in rs]
        row: Row = {"gateway": gw.name, "path": gw.path, "rounds": rs}
        for key in ("added_p50_ms", "cpu_ms_per_request", "cpu_us_per_event", "events_per_s"):
            vals = sorted(r[key] for r in rs)
            row[key] = statistics.median(vals)
            row[key + "_spread"] = (vals[0], vals[-1])
        row["cpu_request_max_over_min"] = max(cpu_req) / min(cpu_req)
        out.append(row)
    return out


def targets(rows: list[Row]) -> list[Row]:
    me = next(r for r in rows if r["gateway"] == "llmkit")
    out = [
        {"target": "added p50 ≤ 0.6 ms per whole answer",
         "value": f"{me['added_p50_ms']:.2f} ms", "met": me["added_p50_ms"] <= 0.6},
        {"target": "≤ 12 µs server CPU per streamed event (100 streams)",
         "value": f"{me['cpu_us_per_event']:.1f} µs", "met": me["cpu_us_per_event"] <= 12},
        {"target": "CPU per request steady across bursts (max/min ≤ 1.3)",
         "value": f"{me['cpu_request_max_over_min']:.2f}",
         "met": me["cpu_request_max_over_min"] <= 1.3},
    ]  # fmt: skip
    peer = next((r for r in rows if r["gateway"] != "llmkit"), None)
    if peer is not None:
        x = peer["cpu_us_per_event"] / me["cpu_us_per_event"]
        out.append({"target": "≥ 15× less CPU per streamed event than LiteLLM's proxy",
                    "value": f"{x:.1f}×", "met": x >= 15})  # fmt: skip
    return out


def print_table(res: dict[str, Any]) -> None:
    m = res["meta"]
    print(f"Gateways on one loopback upstream (Anthropic wire): {m['requests']} sequential whole "
          f"answers of {m['words']} deltas, then {m['streams']} concurrent streams of "
          f"{m['stream_events']} events; median of {m['rounds']} interleaved rounds "
          f"[min–max]; Python {m['python']}, {m['cpus']} CPUs")  # fmt: skip
    if m.get("note"):
        print(m["note"])
    print(f"\n{'gateway':<46} {'added p50':>17} {'CPU/request':>17} {'CPU/event':>17} "
          f"{'events/s':>18} {'max/min':>8}")  # fmt: skip
    for r in res["gateways"]:

        def cell(key: str, fmt: str, r: Row = r) -> str:
            lo, hi = r[key + "_spread"]
            return f"{format(r[key], fmt)} [{format(lo, fmt)}–{format(hi, fmt)}]"

        print(f"{r['label']:<46} {cell('added_p50_ms', '.2f'):>17} "
              f"{cell('cpu_ms_per_request', '.2f'):>17} {cell('cpu_us_per_event', '.1f'):>17} "
              f"{cell('events_per_s', ',.0f'):>18} "
              f"{r['cpu_request_max_over_min']:>8.2f}")  # fmt: skip
    print("(added p50 and CPU/request in ms, CPU/event in µs)")
    print("\nPer round (added p50 ms, CPU ms/request, CPU µs/event, events/s)")
    for r in res["gateways"]:
        for i, x in enumerate(r["rounds"], 1):
            print(f"  {r['gateway']:<8} round {i}: {x['added_p50_ms']:6.2f} "
                  f"{x['cpu_ms_per_request']:6.2f} {x['cpu_us_per_event']:7.1f} "
                  f"{x['events_per_s']:9,.0f}")  # fmt: skip
    print("\nTargets")
    for t in res["targets"]:
        print(f"{'met    ' if t['met'] else 'NOT MET'}  {t['target']:<56} {t['value']}")


def run(base: str, args: Any, start: Any, free_port: Any) -> dict[str, Any]:
    """Start the gateways on `base`, run the rounds, stop them; the figures."""
    import platform

    sizes = (args.words, args.stream_events)
    procs: list[subprocess.Popen[bytes]] = []
    gws: list[Gateway] = []
    try:
        port = free_port()
        procs.append(start_llmkit(base, port, start))
        url = f"http://127.0.0.1:{port}"
        path = llmkit_path(url, args.llmkit_path)
        model = "anthropic:claude-bench-text-{n}"
        gws.append(Gateway("llmkit", procs[-1].pid, url, path, {}, model))
        if not args.no_peers:
            port = free_port()
            peer = start_litellm(base, port, sizes)
            if peer is not None:
                procs.append(peer)
                gws.append(Gateway("litellm", peer.pid, f"http://127.0.0.1:{port}", "openai",
                                   {"authorization": f"Bearer {MASTER_KEY}"},
                                   "claude-bench-text-{n}"))  # fmt: skip
        per_round = rounds(gws, base, args)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
    rows = summary(per_round, gws)
    paths = {"openai": "/v1/chat/completions", "api": "/api/chat*"}
    for r in rows:
        name = "llmkit serve" if r["gateway"] == "llmkit" else f"LiteLLM proxy {litellm_version()}"
        r["label"] = f"{name} ({paths[r['path']]})"
    note = ""
    if len(gws) == 1:
        note = "LiteLLM's proxy is not installed (`uv run --group bench ...` adds it)"
    elif gws[0].path != "openai":
        note = ("llmkit's server has no /v1/chat/completions yet: it is driven through /api/chat*, "
                "LiteLLM through /v1/chat/completions")  # fmt: skip
    meta = {"rounds": args.rounds, "requests": args.requests, "words": args.words,
            "streams": args.streams, "stream_events": args.stream_events,
            "python": platform.python_version(), "cpus": os.cpu_count(), "note": note}  # fmt: skip
    return {"meta": meta, "gateways": rows, "targets": targets(rows)}
