"""Conformance over every Google item in the shared corpus of real
recorded traffic (`replay.CORPUS`).

Streams and bodies are checked against expectations computed here from the
raw JSON, independently of the provider; every stream must fold to the parse
of its equivalent non-streamed body, and every body to the same Response when
served as a stream. Recorded request bodies must be what llmkit would send for
the same conversation, compared semantically after these documented
normalizations: `systemInstruction.role` (Gemini ignores it; llmkit omits it),
snake_case keys (accepted by Gemini on input; llmkit sends camelCase),
`responseModalities` (not an llmkit option), and tool schemas (recorded in
Gemini's OpenAPI `parameters` with upper-case types; llmkit sends the JSON
Schema as `parametersJsonSchema`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from llmkit import errors
from llmkit.providers import google
from llmkit.types import (
    ChatRequest,
    Message,
    Options,
    Reasoning,
    ResponseFormat,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Tool,
    ToolChoice,
    Usage,
)
from tests.replay import CORPUS, base_url_of, corpus_params, corpus_rows, done, drive_stream

# Every test here reads the shared corpus: without it, each skips saying so.
pytestmark = pytest.mark.usefixtures("corpus")

ROWS = corpus_rows("google")

REQ = ChatRequest(model="gemini-x", messages=[Message(role="user", content=[Text(text="q")])])


def rows(kind: str) -> list[Any]:
    found = [r for r in ROWS if r["kind"] == kind]
    return corpus_params(found, [Path(r["file"]).stem for r in found])


def sse_chunks(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(e[6:]) for e in data.decode().split("\r\n\r\n") if e.startswith("data: ")]


def merged(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed body equivalent to a stream: all parts in order, the
    last usage, finishReason, modelVersion and responseId."""
    parts = [
        p
        for c in chunks
        for cand in c.get("candidates", [])
        for p in cand.get("content", {}).get("parts", [])
    ]
    finish = [
        cand["finishReason"]
        for c in chunks
        for cand in c.get("candidates", [])
        if "finishReason" in cand
    ]
    body = {
        k: chunks[-1][k] for k in ("usageMetadata", "modelVersion", "responseId") if k in chunks[-1]
    }
    return {
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": finish[-1]}],
        **body,
    }


def expect(body: dict[str, Any], r: Any, row: dict[str, str]) -> None:
    """Check a Response against the raw body and the manifest's features."""
    parts = body["candidates"][0]["content"].get("parts", [])
    text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    thought = "".join(p.get("text", "") for p in parts if p.get("thought"))
    calls = [p["functionCall"] for p in parts if "functionCall" in p]
    assert r.text == text and r.thinking == thought
    assert [(c.name, c.arguments) for c in r.tool_calls] == [(c["name"], c["args"]) for c in calls]
    assert [c.id for c in r.tool_calls if not c.id.startswith("llmkit-")] == [
        c["id"] for c in calls if "id" in c
    ]
    sigs = [p["thoughtSignature"] for p in parts if "thoughtSignature" in p]
    assert [p.signature for p in r.message.content if getattr(p, "signature", None)] == sigs
    u = body["usageMetadata"]
    assert r.usage == Usage(
        input_tokens=u.get("promptTokenCount", 0) + u.get("toolUsePromptTokenCount", 0),
        output_tokens=u.get("candidatesTokenCount", 0) + u.get("thoughtsTokenCount", 0),
        cache_read_tokens=u.get("cachedContentTokenCount", 0),
        reasoning_tokens=u.get("thoughtsTokenCount", 0),
    )
    features = row["features"].split(",")
    raw = next(f.removeprefix("finish:") for f in features if f.startswith("finish:"))
    assert r.finish.raw == raw
    assert (
        r.finish.reason == {"STOP": "tool_calls" if calls else "stop", "MAX_TOKENS": "length"}[raw]
    )
    assert ("tools" in features) == bool(calls)
    assert ("thought_signature" in features) == bool(sigs)
    assert r.model == body.get("modelVersion", "") and r.id == body.get("responseId")


@pytest.mark.parametrize("row", rows("stream"))
def test_stream(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    evs = drive_stream(google, REQ, data)
    r = done(evs)
    body = merged(sse_chunks(data))
    expect(body, r, row)
    assert r == google.parse_response(json.dumps(body).encode())
    for i, part in enumerate(r.message.content):  # deltas rebuild each part
        if isinstance(part, (Text, Thinking)):
            deltas = [e for e in evs if isinstance(e, (TextDelta, ThinkingDelta)) and e.index == i]
            assert "".join(e.text for e in deltas) == part.text


@pytest.mark.parametrize("row", rows("json"))
def test_body(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    r = google.parse_response(data)
    expect(json.loads(data), r, row)
    as_stream = b"data: " + json.dumps(json.loads(data)).encode() + b"\r\n\r\n"
    assert done(drive_stream(google, REQ, as_stream)) == r


@pytest.mark.parametrize("row", rows("error"))
def test_error(row: dict[str, str]) -> None:
    data = (CORPUS / row["file"]).read_bytes()
    status = int(row["http_status"])
    e = google.parse_error(status, {}, data)
    vendor = json.loads(data)["error"]
    assert type(e) is errors.error_class(status)
    assert (e.status, e.error_type, e.message) == (status, vendor["status"], vendor["message"])
    delay = [d["retryDelay"] for d in vendor.get("details", []) if "retryDelay" in d]
    assert e.retry_after == (float(delay[0].rstrip("s")) if delay else None)
    assert e.retryable == (status in (429, 500, 503))


# ---- recorded requests ------------------------------------------------------------------


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): _norm(v) for k, v in value.items() if k != "responseModalities"}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _schema(s: dict[str, Any]) -> dict[str, Any]:
    """Gemini OpenAPI Schema (upper-case types) to JSON Schema."""
    out = {k: (_schema(v) if isinstance(v, dict) else v) for k, v in s.items() if k != "properties"}
    if "type" in s:
        out["type"] = s["type"].lower()
    if "properties" in s:
        out["properties"] = {k: _schema(v) for k, v in s["properties"].items()}
    return out


def _tool(d: dict[str, Any]) -> Tool:
    params = d.get("parametersJsonSchema") or _schema(d.get("parameters", {}))
    return Tool(name=d["name"], description=d.get("description", ""), parameters=params)


def _options(g: dict[str, Any]) -> Options:
    t = g.get("thinkingConfig")
    reasoning = None
    if t is not None:
        effort = t["thinkingLevel"].lower() if "thinkingLevel" in t else None
        reasoning = Reasoning(
            effort=effort, budget=t.get("thinkingBudget"), include=t.get("includeThoughts", False)
        )
    fmt = None
    if "responseMimeType" in g:
        fmt = ResponseFormat(schema=g.get("responseJsonSchema"))
    return Options(
        max_tokens=g.get("maxOutputTokens"),
        temperature=g.get("temperature"),
        reasoning=reasoning,
        response_format=fmt,
    )


_MODES = {"AUTO": "auto", "ANY": "required", "NONE": "none"}


def _choice(config: dict[str, Any], tools: list[Tool]) -> ToolChoice:
    """llmkit's ToolChoice for a functionCallingConfig. Allowed names that are
    all the declared tools mean no restriction (ANY alone says the same)."""
    names = config.get("allowedFunctionNames", [])
    if len(names) == 1:
        return ToolChoice(mode="tool", name=names[0])
    assert sorted(names) in ([], sorted(t.name for t in tools))
    config.pop("allowedFunctionNames", None)
    return ToolChoice(mode=_MODES[config["mode"]])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "row",
    corpus_params(
        [r for r in ROWS if r["request_file"]],
        [Path(r["file"]).stem for r in ROWS if r["request_file"]],
    ),
)
def test_recorded_request(row: dict[str, str]) -> None:
    expected = _norm(json.loads((CORPUS / row["request_file"]).read_bytes()))
    if "systemInstruction" in expected:
        expected["systemInstruction"] = {"parts": expected["systemInstruction"]["parts"]}
    system = expected.get("systemInstruction")
    messages = google.messages_from_wire(system, expected["contents"])
    # Wire -> llmkit -> wire is the identity on real recorded history.
    assert google.messages_to_wire(messages, Options()) == (system, expected["contents"])

    decls = [d for t in expected.pop("tools", []) for d in t["functionDeclarations"]]
    tools = [_tool(d) for d in decls]
    if tools:
        expected["tools"] = [
            {
                "functionDeclarations": [
                    {
                        "name": t.name,
                        "parametersJsonSchema": t.parameters,
                        **({"description": t.description} if t.description else {}),
                    }
                    for t in tools
                ]
            }
        ]
    choice = None
    if "toolConfig" in expected:
        choice = _choice(expected["toolConfig"]["functionCallingConfig"], tools)
    if expected.get("generationConfig") == {}:
        del expected["generationConfig"]
    options = _options(expected.get("generationConfig", {}))
    model = row["endpoint"].split("/models/")[1].split(":")[0]
    req = ChatRequest(
        model=model,
        messages=messages,
        tools=tools,
        tool_choice=choice,
        options=options,
        stream=row["kind"] == "stream",
    )

    hr = google.build_request(req, base_url_of(google))
    assert json.loads(hr.body or b"") == expected
    path = row["endpoint"].split("?")[0]  # some rows keep the query
    assert hr.url == base_url_of(google) + path + ("?alt=sse" if req.stream else "")
