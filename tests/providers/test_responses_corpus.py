"""Conformance against the recorded Responses traffic in the shared corpus
(`replay.CORPUS`: openai-responses/, xai-responses/, and azure-openai/'s
/responses calls; skipped when absent).

Each response is checked against an oracle computed here straight from the
recorded JSON (text, reasoning summaries, tool calls by call_id, hosted items,
usage, finish). Each stream's `Done` must equal the non-streamed parse of its
terminal event's `response`, whatever the chunking or the framing; each JSON
body, streamed in OpenAI's event shape, must give the same Response.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit.errors import ApiError, RateLimited
from llmkit.protocols import Provider
from llmkit.providers import responses, xai_responses
from llmkit.types import ChatRequest, Message, Raw, Response, Text, Thinking, ToolCall, Usage
from tests import vendor_bodies as vb
from tests.contract.test_streams import deltas_add_up
from tests.providers.test_responses_stream import as_data_only, terminal
from tests.replay import CORPUS, corpus_params, corpus_rows, done, drive_stream

# Every test here reads the shared corpus: without it, each skips saying so.
pytestmark = pytest.mark.usefixtures("corpus")

REQ = ChatRequest(model="m", messages=[Message(role="user", content=[Text(text="q")])], stream=True)


def _rows(kind: str) -> list[Any]:
    found = [
        (r, xai_responses if r["vendor"] == "xai-responses" else responses)
        for v in ("openai-responses", "xai-responses", "azure-openai")
        for r in corpus_rows(v)
        if r["kind"] == kind and r["endpoint"].endswith("/responses")
    ]
    return corpus_params(found, [r["file"] for r, _ in found], width=2)


# ---- the oracle -----------------------------------------------------------------------


def oracle(body: dict[str, Any]) -> dict[str, Any]:
    out = body["output"]
    u = body.get("usage") or {}
    details = u.get("input_tokens_details") or {}
    assert u.get("total_tokens") == u.get("input_tokens", 0) + u.get("output_tokens", 0)
    calls = [(i["call_id"], i["name"], i["arguments"]) for i in out if i["type"] == "function_call"]
    texts = [
        c.get("text") or c.get("refusal") or ""
        for i in out if i["type"] == "message" for c in i["content"]
    ]  # fmt: skip
    summaries = [s["text"] for i in out if i["type"] == "reasoning" for s in i.get("summary", [])]
    hosted = [i["type"] for i in out if i["type"] not in ("message", "function_call", "reasoning")]
    reason = "tool_calls" if calls else "stop"
    if body["status"] == "incomplete":
        reason = {"max_output_tokens": "length"}.get(body["incomplete_details"]["reason"], "other")
    return {
        "text": "".join(texts),
        "thinking": "".join(summaries),
        "calls": calls,
        "hosted": hosted,
        "finish": reason,
        "usage": Usage(
            input_tokens=u.get("input_tokens", 0),
            output_tokens=u.get("output_tokens", 0),
            cache_read_tokens=details.get("cached_tokens") or 0,
            cache_write_tokens=details.get("cache_write_tokens") or 0,
            reasoning_tokens=(u.get("output_tokens_details") or {}).get("reasoning_tokens") or 0,
        ),
        "encrypted": [i.get("encrypted_content") for i in out if i["type"] == "reasoning"],
    }


def check(r: Response, expected: dict[str, Any], p: Provider) -> None:
    assert r.text == expected["text"]
    assert r.thinking == expected["thinking"]
    assert [(c.id, c.name, c.raw_arguments) for c in r.tool_calls] == expected["calls"]
    assert all(c.ok for c in r.tool_calls)
    assert [x.data["type"] for x in r.message.content if isinstance(x, Raw)] == expected["hosted"]
    assert r.finish.reason == expected["finish"]
    assert r.usage == expected["usage"]
    firsts = [x for x in r.message.content if isinstance(x, Thinking) and x.signature is not None]
    assert [x.signature for x in firsts] == [e for e in expected["encrypted"] if e]
    assert all(getattr(x, "provider", p.NAME) == p.NAME for x in r.message.content)


# ---- the recordings -------------------------------------------------------------------


@pytest.mark.parametrize(("row", "p"), _rows("json"))
def test_recorded_responses(row: dict[str, str], p: Provider) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    r = p.parse_response(data)
    check(r, oracle(json.loads(data)), p)
    # the same response streamed in the vendor's event shape gives the same Response
    assert done(drive_stream(p, REQ, vb.responses_sse(json.loads(data)))) == r


@pytest.mark.parametrize(("row", "p"), _rows("stream"))
def test_recorded_streams(row: dict[str, str], p: Provider) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    events = drive_stream(p, REQ, data)
    r = done(events)
    final = terminal(data)
    assert r == p.parse_response(json.dumps(final).encode()), "streamed equals non-streamed"
    check(r, oracle(final), p)
    deltas_add_up(events)
    assert drive_stream(p, REQ, as_data_only(data)) == events


@pytest.mark.parametrize(("row", "p"), _rows("error"))
def test_recorded_errors(row: dict[str, str], p: Provider) -> None:
    body = json.loads((CORPUS / row["file"]).read_bytes())
    status = int(row["http_status"])
    err = p.parse_error(status, {}, json.dumps(body).encode())
    assert isinstance(err, ApiError) and err.status == status
    assert err.message == body["error"]["message"]
    if body["error"]["code"] == "insufficient_quota":
        assert isinstance(err, RateLimited) and not err.retryable


def test_provisional_encrypted_content_is_never_kept() -> None:
    rows = [r for r in corpus_rows("openai-responses") if "encrypted_content" in r["features"]]
    seen = 0
    for row in rows:
        if row["kind"] != "stream":
            continue
        data = (CORPUS / row["file"]).read_bytes()
        lines = [json.loads(ln[5:]) for ln in data.decode().splitlines() if ln.startswith("data:")]
        provisional = {
            e["item"]["encrypted_content"] for e in lines
            if e["type"] == "response.output_item.added" and e["item"].get("encrypted_content")
        }  # fmt: skip
        r = done(drive_stream(responses, REQ, data))
        kept = {x.signature for x in r.message.content if isinstance(x, Thinking) and x.signature}
        assert kept and not kept & provisional
        seen += 1
    assert seen >= 1 or not rows


def test_hosted_items_never_become_tool_calls() -> None:
    for row in corpus_rows("openai-responses") + corpus_rows("xai-responses"):
        if "hosted:" not in row["features"] or row["kind"] == "error":
            continue
        p = xai_responses if row["vendor"] == "xai-responses" else responses
        data = (CORPUS / row["file"]).read_bytes()
        r = p.parse_response(data) if row["kind"] == "json" else done(drive_stream(p, REQ, data))
        assert all(isinstance(c, ToolCall) for c in r.tool_calls)
        assert any(isinstance(x, Raw) for x in r.message.content), row["file"]
