"""Replaying recorded vendor bytes through llmkit's real transport.

`transport(...)` is an httpx.MockTransport serving one canned answer (SSE or
JSON), optionally cut into chunks at given byte offsets, and recording every
request it saw. `drive_stream` / `drive_chat` run llmkit.transport exactly as
the public API does, so the real SSE parsing path runs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmkit import transport as tr
from llmkit.protocols import Provider
from llmkit.registry import DEFAULT, Secret
from llmkit.types import ChatRequest, Done, Response, StreamEvent

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"
TEST_KEY = "test-key-not-real"


def chunks(data: bytes, cuts: Iterable[int] = ()) -> list[bytes]:
    edges = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts

    async def __aiter__(self) -> Any:
        for p in self.parts:
            yield p


def transport(
    body: bytes,
    *,
    status: int = 200,
    cuts: Iterable[int] = (),
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    seen: list[httpx.Request] | None = None,
) -> httpx.MockTransport:
    """Serve `body` for every request (SSE when it does not start with `{`/`[`)."""
    parts = chunks(body, cuts)
    if content_type is None:
        content_type = (
            "application/json" if body.lstrip()[:1] in (b"{", b"[") else "text/event-stream"
        )

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            request.read()
            seen.append(request)
        return httpx.Response(
            status,
            headers={"content-type": content_type, **(headers or {})},
            stream=_Body(parts),
        )

    return httpx.MockTransport(handler)


def base_url_of(p: Any) -> str:
    """Where the built-in endpoint on wire module `p` sends (base URLs live on
    endpoints, not on wire modules); a test wire's own `DEFAULT_BASE_URL`."""
    for ep in DEFAULT.endpoints.values():
        if ep.wire == p.__name__:
            return ep.base_url
    return str(p.DEFAULT_BASE_URL)


def call_for(
    p: Provider[Any], *, name: str | None = None, base_url: str | None = None, max_retries: int = 0
) -> tr.Call:
    return tr.Call(
        provider=p,
        name=name or p.NAME,
        base_url=base_url or base_url_of(p),
        key=Secret(TEST_KEY),
        retry=tr.RetryPolicy(max_retries=max_retries, base_delay=0),
    )


def drive_stream(
    p: Provider, req: ChatRequest, body: bytes, cuts: Iterable[int] = (), **kw: Any
) -> list[StreamEvent]:
    """All stream events for `body` served as the vendor's answer."""
    with httpx.Client(transport=transport(body, cuts=cuts, **kw)) as client:
        return list(tr.stream(call_for(p), client, req))


async def adrive_stream(
    p: Provider, req: ChatRequest, body: bytes, cuts: Iterable[int] = (), **kw: Any
) -> list[StreamEvent]:
    async with httpx.AsyncClient(transport=transport(body, cuts=cuts, **kw)) as client:
        return [ev async for ev in tr.astream(call_for(p), client, req)]


def drive_chat(p: Provider, req: ChatRequest, body: bytes, **kw: Any) -> Response:
    with httpx.Client(transport=transport(body, **kw)) as client:
        return tr.chat(call_for(p), client, req)


def done(events: list[StreamEvent]) -> Response:
    last = events[-1]
    assert isinstance(last, Done), f"stream did not end with Done: {last!r}"
    return last.response


def sent_json(seen: list[httpx.Request]) -> Any:
    return json.loads(seen[-1].content)


NO_CORPUS = "no-corpus"


def corpus_params(items: list[Any], ids: list[str] | None = None, width: int = 1) -> list[Any]:
    """Parameters for a test over corpus recordings (`width` values each);
    without the corpus, one placeholder, so the test runs once and the
    `corpus` fixture it asks for skips it, saying why."""
    if not items:
        return [pytest.param(*[None] * width, id=NO_CORPUS)]
    if width > 1:
        return [pytest.param(*x, id=i) for x, i in zip(items, ids or map(str, items), strict=True)]
    return [pytest.param(x, id=i) for x, i in zip(items, ids or map(str, items), strict=True)]


def corpus_rows(vendor: str) -> list[dict[str, str]]:
    """MANIFEST.tsv rows for one vendor; [] when the corpus is absent."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    lines = manifest.read_text().splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, line.split("\t"), strict=True)) for line in lines[1:] if line.strip()]
    return [r for r in rows if r["vendor"] == vendor]
