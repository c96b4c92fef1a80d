"""Conformance against recorded xAI traffic in the shared corpus
(`replay.CORPUS`; skipped when absent).

Same oracle as the OpenAI corpus test, with xAI's usage rule: reasoning tokens
are outside `completion_tokens`, so llmkit's output is completion + reasoning
(checked against the recorded `total_tokens`).
"""

from __future__ import annotations

import json

import pytest

from llmkit.providers import xai
from llmkit.types import ChatRequest, Thinking
from tests.providers.test_openai_corpus import (
    check,
    check_request,
    normalize_recorded,
    oracle_from_body,
    oracle_from_stream,
    request_rows,
    rows,
)
from tests.providers.test_openai_stream import render_stream
from tests.replay import CORPUS, done, drive_stream

# Every test here reads the shared corpus: without it, each skips saying so.
pytestmark = pytest.mark.usefixtures("corpus")


@pytest.mark.parametrize("row", rows("xai", "json"))
def test_recorded_responses(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    r = xai.parse_response(data)
    check(r, oracle_from_body(json.loads(data)), xai, reasoning_outside=True)
    assert r.model == row["model"]
    if r.thinking:  # reasoning comes first, as ours
        assert r.message.content[0] == Thinking(text=r.thinking, provider="xai")
    req = ChatRequest(model=row["model"], messages=[], stream=True)
    streamed = render_stream(json.loads(data), xai=True)
    assert done(drive_stream(xai, req, streamed)) == r


@pytest.mark.parametrize("row", rows("xai", "stream"))
def test_recorded_streams(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    req = ChatRequest(model=row["model"], messages=[], stream=True)
    r = done(drive_stream(xai, req, data))
    check(r, oracle_from_stream(data), xai, reasoning_outside=True)


@pytest.mark.parametrize("row", request_rows("xai"))
def test_recorded_requests_are_reproducible(row: dict[str, str]) -> None:
    check_request(xai, row)


@pytest.mark.parametrize("row", request_rows("xai"))
def test_recorded_histories_survive_the_round_trip(row: dict[str, str]) -> None:
    rec = json.loads((CORPUS / row["request_file"]).read_bytes())
    wire = xai.messages_to_wire(xai.messages_from_wire(rec["messages"]))
    assert wire == normalize_recorded(rec, xai)["messages"]
