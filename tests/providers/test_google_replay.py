"""What goes back to Gemini from earlier turns: signatures, ids, tool results,
and history from other vendors."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from llmkit.providers import google
from llmkit.types import (
    ChatRequest,
    Document,
    Image,
    Message,
    Options,
    Raw,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
)
from tests.replay import FIXTURES, base_url_of

G = FIXTURES / "google"
HI = [Message(role="user", content=[Text(text="hi")])]


def body(model: str = "gemini-3.8-flash", **kw: Any) -> Any:
    req = ChatRequest(model=model, **kw)
    hr = google.build_request(req, base_url_of(google))
    return json.loads(hr.body or b"")


ANTHROPIC_TURN = Message(
    role="assistant",
    provider="anthropic",
    content=[
        Thinking(text="Let me think.", signature="anthropic-sig", provider="anthropic"),
        Thinking(redacted="opaque", provider="anthropic"),
        Text(text="Calling.", signature="not-gemini", provider="anthropic"),
        ToolCall(id="toolu_01", name="f", arguments={"x": 1}, provider="anthropic", signature="s"),
        Raw(provider="anthropic", data={"type": "server_tool_use"}),
    ],
)


@pytest.mark.parametrize(
    ("policy", "parts"),
    [
        (
            "drop",
            [
                {"text": "Calling."},
                {
                    "functionCall": {"name": "f", "args": {"x": 1}, "id": "toolu_01"},
                    "thoughtSignature": "skip_thought_signature_validator",
                },
            ],
        ),
        (
            "text",
            [
                {"text": "Let me think."},
                {"text": "Calling."},
                {
                    "functionCall": {"name": "f", "args": {"x": 1}, "id": "toolu_01"},
                    "thoughtSignature": "skip_thought_signature_validator",
                },
            ],
        ),
    ],
)
def test_history_from_another_vendor(policy: str, parts: list[dict[str, Any]]) -> None:
    """Foreign thinking follows the policy; foreign signatures and Raw parts
    never reach Gemini; foreign call ids are echoed (Gemini accepts client ids)."""
    result = Message(role="tool", content=[ToolResult(tool_call_id="toolu_01", content="2")])
    options = msgspec.convert({"foreign_thinking": policy}, Options)
    got = body(messages=[*HI, ANTHROPIC_TURN, result], options=options)
    assert got["contents"][1:] == [
        {"role": "model", "parts": parts},
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "f", "response": {"result": "2"}, "id": "toolu_01"}}
            ],
        },
    ]


def test_foreign_calls_get_the_documented_sentinel_only_where_gemini_validates() -> None:
    """Gemini 3+ rejects unsigned function calls
    (https://ai.google.dev/gemini-api/docs/thought-signatures); Google's
    documented sentinel goes on the first call of such a turn, never on a call
    Gemini signed itself, and not at all for models that do not validate."""
    calls = Message(role="assistant", content=[
        ToolCall(id="a", name="f", provider="openai"),
        ToolCall(id="b", name="g", provider="openai"),
    ])  # fmt: skip
    results = Message(role="tool", content=[
        ToolResult(tool_call_id="a", content="1"), ToolResult(tool_call_id="b", content="2"),
    ])  # fmt: skip
    turn = body(messages=[*HI, calls, results])["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in turn] == [google.SKIP_SIGNATURE, None]
    old = body(model="gemini-2.5-flash", messages=[*HI, calls, results])["contents"][1]["parts"]
    assert all("thoughtSignature" not in p for p in old)
    own = google.parse_response((G / "thinking.json").read_bytes()).message
    assert google.SKIP_SIGNATURE not in json.dumps(body(messages=[*HI, own]))


def test_google_signatures_go_back_on_their_parts() -> None:
    turn = google.parse_response((G / "thinking.json").read_bytes()).message
    got = body(messages=[*HI, turn])
    original = json.loads((G / "thinking.json").read_bytes())
    assert got["contents"][1] == original["candidates"][0]["content"]


@pytest.mark.parametrize(
    ("result", "wire"),
    [
        (ToolResult(tool_call_id="c", content="sunny"), {"response": {"result": "sunny"}}),
        (
            ToolResult(tool_call_id="c", content="boom", is_error=True),
            {"response": {"error": "boom"}},
        ),
        (ToolResult(tool_call_id="c", content='{"t": 21}'), {"response": {"t": 21}}),
        (
            ToolResult(tool_call_id="c", content='{"t": 21}', is_error=True),
            {"response": {"error": {"t": 21}}},
        ),
        (ToolResult(tool_call_id="c", content="[1, 2]"), {"response": {"result": "[1, 2]"}}),
        (
            ToolResult(tool_call_id="c", content=[Text(text="a"), Text(text="b")]),
            {"response": {"result": "ab"}},
        ),
        (
            ToolResult(
                tool_call_id="c",
                content=[Text(text="chart:"), Image(media_type="image/png", data="AAAA")],
            ),
            {
                "response": {"result": "chart:"},
                "parts": [{"inlineData": {"mimeType": "image/png", "data": "AAAA"}}],
            },
        ),
        (
            ToolResult(tool_call_id="c", content=[Document(data="JVBE")]),
            {
                "response": {},
                "parts": [{"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}}],
            },
        ),
    ],
)
def test_tool_result_shapes(result: ToolResult, wire: dict[str, Any]) -> None:
    messages = [
        *HI,
        Message(role="assistant", content=[ToolCall(id="c", name="f")]),
        Message(role="tool", content=[result]),
    ]
    got = body(messages=messages)["contents"][2]["parts"][0]["functionResponse"]
    assert got == {"name": "f", "id": "c", **wire}


def test_results_for_synthesized_ids_carry_no_id() -> None:
    turn = google.parse_response((G / "function_call.json").read_bytes()).message
    call = turn.content[0]
    assert isinstance(call, ToolCall)
    tool = Message(role="tool", content=[ToolResult(tool_call_id=call.id, content="ok")])
    contents = body(messages=[*HI, turn, tool])["contents"]
    assert "id" not in contents[1]["parts"][0]["functionCall"]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"result": "ok"}}}
    ]
