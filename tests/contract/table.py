"""Which recordings each wire format reads: the contract suite's one table.

A wire module is any module in `llmkit.registry.DEFAULT` (plus the toy wire of
the tests). Adding a wire format or a route is one row here: the fixture dirs
(`fixtures/<dir>`) and the corpus dirs (`../shared/corpus/<dir>`, optionally
only the recordings of one endpoint path) it reads, a model its
`build_request` takes, and, where the stream holds its own non-streamed twin
(the Responses API's terminal event), how to find it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import httpx
import httpx_sse

from llmkit.protocols import Sse
from llmkit.registry import DEFAULT
from tests.replay import CORPUS, FIXTURES

TOY = "tests.toy_wire"


def same_stem_json(path: Path) -> bytes | None:
    """The non-streamed body recorded beside a stream: `x.sse` and `x.json`."""
    twin = path.with_suffix(".json")
    return twin.read_bytes() if twin.exists() else None


def terminal_response(path: Path) -> bytes | None:
    """Responses API: the terminal event carries the whole response, exactly
    what the non-streamed call returns (`response.completed` / `.incomplete`)."""
    for ev in reversed(sse_events(path.read_bytes())):
        if ev.event in ("response.completed", "response.incomplete"):
            return json.dumps(json.loads(ev.data)["response"]).encode()
    return None


class Wire(NamedTuple):
    fixtures: tuple[str, ...]
    # (corpus dir, endpoint path suffix or "" for every recording in the dir)
    corpus: tuple[tuple[str, str], ...]
    model: str  # a model id the wire's `build_request` takes
    twin: Callable[[Path], bytes | None] = same_stem_json
    # corpus recordings the wire cannot read yet, and why (a strict xfail:
    # reading one later fails the suite until its entry goes)
    gaps: tuple[tuple[str, str], ...] = ()


_P = "llmkit.providers."
WIRES: dict[str, Wire] = {
    _P + "anthropic": Wire(
        ("anthropic",),
        (("anthropic", ""), ("vertex-anthropic", "")),
        "claude-sonnet-4-5",
    ),
    _P + "openai": Wire(
        ("openai",),
        (("openai", ""), ("azure-openai", "/chat/completions")),
        "gpt-4o",
    ),
    _P + "xai": Wire(("xai",), (("xai", ""),), "grok-4"),
    _P + "google": Wire(
        ("google",),
        (("google", ""), ("vertex-gemini", "")),
        "gemini-2.5-flash",
    ),
    _P + "responses": Wire(
        ("openai-responses",),
        (("openai-responses", ""), ("azure-openai", "/responses")),
        "gpt-5",
        terminal_response,
    ),
    _P + "xai_responses": Wire(
        ("xai-responses",), (("xai-responses", ""),), "grok-4", terminal_response
    ),
    TOY: Wire(("toy",), (), "toy-1"),
}

# Corpus dirs no wire reads yet, and why.
UNREAD = {
    # AWS event-stream framing (binary, not SSE): read through the Bedrock route's
    # framing, streamed == plain and any chunk cuts, in tests/routes/test_bedrock_corpus.py
    "bedrock-anthropic": "AWS event-stream framing; see tests/routes/test_bedrock_corpus.py",
}

# Every wire the registry can send to has a row, and nothing else does.
REGISTERED = sorted({ep.wire for ep in DEFAULT.endpoints.values()})
NAMES = sorted({*REGISTERED, TOY})


def module(name: str) -> ModuleType:
    return importlib.import_module(name)


def short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def sse_events(data: bytes) -> list[Sse]:
    """The SSE events of some bytes, read by httpx-sse's public API."""
    resp = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=data)
    return [Sse(event=e.event, data=e.data) for e in httpx_sse.EventSource(resp).iter_sse()]


def _files(name: str, suffix: str) -> list[Path]:
    dirs = [FIXTURES / d for d in WIRES[name].fixtures]
    return [p for d in dirs if d.is_dir() for p in sorted(d.glob(f"*{suffix}"))]


def streams(name: str) -> list[Path]:
    return _files(name, ".sse")


def bodies(name: str) -> list[Path]:
    """Recorded whole bodies: answers, errors, model pages (not requests or headers)."""
    skip = (".headers.json", ".request.json")
    return [p for p in _files(name, ".json") if not p.name.endswith(skip)]


def corpus_rows() -> list[tuple[str, dict[str, str]]]:
    """(wire, MANIFEST row) for every recording some wire reads; [] when absent."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    lines = manifest.read_text().splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, ln.split("\t"), strict=True)) for ln in lines[1:] if ln.strip()]
    seen = {r["file"]: r for r in rows}  # the manifest repeats some rows
    return [
        (name, row)
        for name in NAMES
        for d, endpoint in WIRES[name].corpus
        for row in seen.values()
        if row["file"].startswith(f"{d}/") and endpoint in row["endpoint"]
    ]
