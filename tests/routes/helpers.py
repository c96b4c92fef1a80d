"""Driving a cloud route end to end (llmkit's public calls, the real
transport) against canned vendor bytes, and the corpus table the routes'
recordings run through (rows shaped for tests/contract: file, model string)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

import llmkit
from llmkit.types import Response, StreamEvent
from tests import replay

CORPUS = replay.CORPUS

# A token source standing for Google ADC / Entra: no expiry, so called each time.
TOKEN = "ya29.test-token-0123456789abcdef"


def token() -> str:
    return TOKEN


def stream(
    model: str,
    body: bytes,
    cuts: Iterable[int] = (),
    seen: list[httpx.Request] | None = None,
    api_key: Any = token,
    **kw: Any,
) -> list[StreamEvent]:
    t = replay.transport(body, cuts=cuts, seen=seen)
    with httpx.Client(transport=t) as client:
        return list(
            llmkit.stream_sync(
                model, "hi", api_key=api_key, http_client=client, max_retries=0, **kw
            )
        )


def chat(
    model: str,
    body: bytes,
    seen: list[httpx.Request] | None = None,
    api_key: Any = token,
    status: int = 200,
    **kw: Any,
) -> Response:
    t = replay.transport(body, seen=seen, status=status)
    with httpx.Client(transport=t) as client:
        return llmkit.chat_sync(
            model, "hi", api_key=api_key, http_client=client, max_retries=0, **kw
        )


def corpus_table(folder: str, model_for: Any) -> list[tuple[str, str, str]]:
    """(file, kind, model string) for each MANIFEST row of a corpus folder."""
    return [
        (r["file"], r["kind"], model_for(r))
        for r in replay.corpus_rows(folder)
        if not r["file"].endswith(".request.json")
    ]


def read(file: str) -> bytes:
    return Path(CORPUS, file).read_bytes()
