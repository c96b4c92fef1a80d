"""Conformance against recorded OpenAI traffic in the shared corpus
(`replay.CORPUS`; skipped when absent).

Each response is checked against an oracle computed here straight from the
recorded JSON (text, tool calls, reasoning, usage, finish); each recorded
request is rebuilt from the equivalent llmkit conversation. Known, documented
differences between a recorded request and ours (`normalize_recorded`):
- the recorder's SDK adds defaults (`n: 1`, `stream: false`) and sends empty
  tool descriptions; we leave defaults out;
- OpenAI: fantasy sends `max_tokens` to gpt-4o; llmkit always sends
  `max_completion_tokens` to OpenAI (required by its reasoning models);
- `response_format.json_schema.description` has no field in ResponseFormat;
- `prompt_cache_breakpoint` on a text part has no field in llmkit;
- fantasy echoes xAI `reasoning_content` in assistant history; llmkit never
  sends reasoning back on Chat Completions (see `_history`).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from llmkit.providers import openai
from llmkit.types import (
    ChatRequest,
    Options,
    Reasoning,
    Response,
    ResponseFormat,
    Tool,
    ToolChoice,
    Usage,
)
from tests.providers.test_openai_stream import render_stream
from tests.replay import CORPUS, base_url_of, corpus_params, corpus_rows, done, drive_stream

# Every test here reads the shared corpus: without it, each skips saying so.
pytestmark = pytest.mark.usefixtures("corpus")


def rows(vendor: str, kind: str) -> list[Any]:
    found = [r for r in corpus_rows(vendor) if r["kind"] == kind]
    return corpus_params(found, [r["file"].split("/")[-1] for r in found])


def request_rows(vendor: str) -> list[Any]:
    found = [r for r in corpus_rows(vendor) if r["request_file"]]
    return corpus_params(found, [r["request_file"].split("/")[-1] for r in found])


# ---- an oracle straight from the recorded JSON ------------------------------------


def expected_usage(u: dict[str, Any] | None, reasoning_outside: bool) -> Usage:
    if not u:
        return Usage()
    p = u.get("prompt_tokens_details") or {}
    r = (u.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    out = u["completion_tokens"] + (r if reasoning_outside else 0)
    # llmkit's meaning: total = input + output, whatever the vendor's split
    assert u["total_tokens"] == u["prompt_tokens"] + out
    return Usage(
        input_tokens=u["prompt_tokens"],
        output_tokens=out,
        cache_read_tokens=p.get("cached_tokens") or 0,
        cache_write_tokens=p.get("cache_write_tokens") or 0,
        reasoning_tokens=r,
    )


def oracle_from_body(body: dict[str, Any]) -> dict[str, Any]:
    msg = body["choices"][0]["message"]
    return {
        "text": (msg.get("content") or "") + (msg.get("refusal") or ""),
        "thinking": msg.get("reasoning_content") or "",
        "calls": [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in msg.get("tool_calls") or []
        ],
        "finish": body["choices"][0]["finish_reason"],
        "usage": body.get("usage"),
    }


def oracle_from_stream(data: bytes) -> dict[str, Any]:
    text, thinking, finish, usage = "", "", None, None
    calls: dict[int, list[str]] = {}
    for event in data.decode().split("\n\n"):
        payload = event.removeprefix("data: ")
        if not payload.strip() or payload == "[DONE]":
            continue
        chunk = json.loads(payload)
        usage = chunk.get("usage") or usage
        for ch in chunk["choices"]:
            d = ch.get("delta") or {}
            text += (d.get("content") or "") + (d.get("refusal") or "")
            thinking += d.get("reasoning_content") or ""
            for tc in d.get("tool_calls") or []:
                c = calls.setdefault(tc["index"], ["", "", ""])
                c[0] = c[0] or tc.get("id", "")
                c[1] = c[1] or tc.get("function", {}).get("name", "")
                c[2] += tc.get("function", {}).get("arguments") or ""
            finish = ch.get("finish_reason") or finish
    return {
        "text": text,
        "thinking": thinking,
        "calls": [tuple(calls[i]) for i in sorted(calls)],
        "finish": finish,
        "usage": usage,
    }


def check(r: Response, want: dict[str, Any], provider: ModuleType, reasoning_outside: bool) -> None:
    assert r.text == want["text"]
    assert r.thinking == want["thinking"]
    assert [(c.id, c.name, c.raw_arguments) for c in r.tool_calls] == want["calls"]
    for c in r.tool_calls:
        assert c.ok and c.arguments == json.loads(c.raw_arguments or "{}")
    assert r.finish.raw == want["finish"]
    assert r.finish.reason == ("tool_calls" if want["calls"] else "stop")
    assert r.usage == expected_usage(want["usage"], reasoning_outside)
    assert r.provider == provider.NAME


# ---- recorded requests -------------------------------------------------------------

_MODELED = {
    "model", "messages", "tools", "tool_choice", "max_tokens", "max_completion_tokens",
    "reasoning_effort", "response_format", "stream", "stream_options", "n",
}  # fmt: skip


def equivalent_request(provider: ModuleType, rec: dict[str, Any]) -> ChatRequest:
    """The llmkit conversation a user would write for a recorded request."""
    tools = [
        Tool(
            name=t["function"]["name"],
            description=t["function"].get("description", ""),
            parameters=t["function"]["parameters"],
            strict=t["function"].get("strict"),
        )
        for t in rec.get("tools", [])
    ]
    tc = rec.get("tool_choice")
    choice = None
    if isinstance(tc, str):
        choice = ToolChoice(mode=tc)  # type: ignore[arg-type]
    elif tc is not None:
        choice = ToolChoice(mode="tool", name=tc["function"]["name"])
    rf = rec.get("response_format")
    fmt = None
    if rf is not None:
        js = rf.get("json_schema")
        fmt = (
            ResponseFormat(schema=js["schema"], name=js["name"], strict=js["strict"])
            if js
            else ResponseFormat()
        )
    options = Options(
        max_tokens=rec.get("max_tokens", rec.get("max_completion_tokens")),
        reasoning=Reasoning(effort=rec["reasoning_effort"]) if "reasoning_effort" in rec else None,
        response_format=fmt,
        extra={k: v for k, v in rec.items() if k not in _MODELED},
    )
    return ChatRequest(
        model=rec["model"],
        messages=provider.messages_from_wire(rec["messages"]),
        tools=tools,
        tool_choice=choice,
        options=options,
        stream=bool(rec.get("stream")),
    )


def normalize_recorded(rec: dict[str, Any], provider: ModuleType) -> dict[str, Any]:
    """The recorded body with the documented differences (module docstring) applied."""
    out = {k: v for k, v in rec.items() if (k, v) not in (("n", 1), ("stream", False))}
    if provider is openai and "max_tokens" in out:
        out["max_completion_tokens"] = out.pop("max_tokens")
    if "json_schema" in out.get("response_format", {}):
        out["response_format"]["json_schema"].pop("description", None)
    for t in out.get("tools", []):
        if t["function"].get("description") == "":
            del t["function"]["description"]
    for m in out["messages"]:
        m.pop("reasoning_content", None)
        for part in m["content"] if isinstance(m.get("content"), list) else []:
            part.pop("prompt_cache_breakpoint", None)
    return out


def check_request(provider: ModuleType, row: dict[str, str]) -> None:
    rec = json.loads((CORPUS / row["request_file"]).read_bytes())
    assert row["endpoint"].startswith("/v1/chat/completions")
    hr = provider.build_request(equivalent_request(provider, rec), base_url_of(provider))
    assert hr.url == base_url_of(provider) + "/chat/completions"
    assert json.loads(hr.body) == normalize_recorded(rec, provider)


# ---- OpenAI ------------------------------------------------------------------------


@pytest.mark.parametrize("row", rows("openai", "json"))
def test_recorded_responses(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    r = openai.parse_response(data)
    check(r, oracle_from_body(json.loads(data)), openai, reasoning_outside=False)
    assert r.model == row["model"]
    # the same exchange streamed folds to the same Response
    req = ChatRequest(model=row["model"], messages=[], stream=True)
    assert done(drive_stream(openai, req, render_stream(json.loads(data)))) == r


@pytest.mark.parametrize("row", rows("openai", "stream"))
def test_recorded_streams(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    req = ChatRequest(model=row["model"], messages=[], stream=True)
    r = done(drive_stream(openai, req, data))
    check(r, oracle_from_stream(data), openai, reasoning_outside=False)
    assert r.model == row["model"]


@pytest.mark.parametrize("row", rows("openai", "error"))
def test_recorded_errors(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    err = openai.parse_error(int(row["http_status"]), {}, data)
    body = json.loads(data)["error"]
    assert (err.status, err.message, err.error_type) == (
        int(row["http_status"]),
        body["message"],
        body["code"],
    )
    expected = {400: "InvalidRequest", 404: "NotFound"}[int(row["http_status"])]
    assert type(err).__name__ == expected and not err.retryable


@pytest.mark.parametrize("row", request_rows("openai"))
def test_recorded_requests_are_reproducible(row: dict[str, str]) -> None:
    check_request(openai, row)


@pytest.mark.parametrize("row", request_rows("openai"))
def test_recorded_histories_survive_the_round_trip(row: dict[str, str]) -> None:
    rec = json.loads((CORPUS / row["request_file"]).read_bytes())
    wire = openai.messages_to_wire(openai.messages_from_wire(rec["messages"]))
    assert wire == normalize_recorded(rec, openai)["messages"]
