"""Building Gemini requests: URL, headers, body (exact), options and policy."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmkit import errors
from llmkit.providers import google
from llmkit.types import (
    ChatRequest,
    Document,
    Image,
    Message,
    Options,
    Reasoning,
    ResponseFormat,
    Text,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
)
from tests.replay import FIXTURES, TEST_KEY, base_url_of, drive_chat, drive_stream, sent_json

G = FIXTURES / "google"
BASE = base_url_of(google)
HI = [Message(role="user", content=[Text(text="hi")])]


def body(req: ChatRequest) -> Any:
    hr = google.build_request(req, BASE)
    assert hr.body is not None
    return json.loads(hr.body)


def req(**kw: Any) -> ChatRequest:
    return ChatRequest(
        model=kw.pop("model", "gemini-3.8-flash"), messages=kw.pop("messages", HI), **kw
    )


def test_url_headers_and_minimal_body() -> None:
    hr = google.build_request(req(), BASE)
    assert hr.method == "POST"
    assert hr.url == f"{BASE}/v1beta/models/gemini-3.8-flash:generateContent"
    assert hr.headers == {"content-type": "application/json"}
    assert json.loads(hr.body or b"") == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    s = google.build_request(req(model="models/gemini-3.8-flash", stream=True), BASE + "/")
    assert s.url == f"{BASE}/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse"


def test_module_is_the_routed_provider() -> None:
    from llmkit import registry
    from llmkit.protocols import Provider

    for model in ("gemini-3.8-flash", "models/gemini-2.5-pro", "google:gemini-4-argon"):
        route = registry.resolve(model, registry.DEFAULT)
        assert registry.wire(route.endpoint) is google
    assert route.endpoint.key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert route.endpoint.base_url == "https://generativelanguage.googleapis.com"
    members = [m for m in dir(Provider) if not m.startswith("_")]
    assert members and all(callable(getattr(google, m)) or m.isupper() for m in members)
    assert not hasattr(google, "DEFAULT_BASE_URL") and not hasattr(google, "KEY_ENV")


def test_unsupported_is_raised_before_any_request() -> None:
    seen: list[httpx.Request] = []
    bad = req(tool_choice=ToolChoice(mode="tool"))
    with pytest.raises(errors.Unsupported):
        drive_chat(google, bad, (G / "text.json").read_bytes(), seen=seen)
    assert seen == []


def test_key_only_in_header() -> None:
    assert google.auth_headers("k") == {"x-goog-api-key": "k"}
    seen: list[httpx.Request] = []
    drive_stream(google, req(stream=True), (G / "text.sse").read_bytes(), seen=seen)
    (r,) = seen
    assert r.headers["x-goog-api-key"] == TEST_KEY
    assert TEST_KEY not in str(r.url) and r.url.params.get("alt") == "sse"
    assert TEST_KEY.encode() not in r.content


def test_function_response_turn_exact_body() -> None:
    """Turn 2 after function_call.json, sent through the real transport."""
    turn1 = google.parse_response((G / "function_call.json").read_bytes())
    call = turn1.tool_calls[0]
    messages = [
        Message(role="system", content=[Text(text="You are a concise weather assistant.")]),
        Message(
            role="user", content=[Text(text="What's the weather in Lisbon for the next 3 days?")]
        ),
        turn1.message,
        Message(
            role="tool",
            content=[
                ToolResult(
                    tool_call_id=call.id,
                    content='{"forecast": ["sun", "sun", "rain"], "max_c": 24}',
                )
            ],
        ),
    ]
    weather = Tool(
        name="get_weather",
        description="Forecast for a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    )
    r = req(
        model="gemini-2.5-flash",
        messages=messages,
        tools=[weather],
        tool_choice=ToolChoice(mode="auto"),
        options=Options(max_tokens=1024),
        stream=True,
    )
    seen: list[httpx.Request] = []
    evs = drive_stream(google, r, (G / "function_response_turn.sse").read_bytes(), seen=seen)
    assert sent_json(seen) == json.loads((G / "function_response_turn.request.json").read_bytes())
    assert seen[0].url.path.endswith("gemini-2.5-flash:streamGenerateContent")
    assert evs[-1].response.text.endswith("highs around 24 °C.")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("options", "config"),
    [
        (Options(), None),
        (
            Options(max_tokens=5, temperature=0.0, top_p=0.9, seed=7),
            {"maxOutputTokens": 5, "temperature": 0.0, "topP": 0.9, "seed": 7},
        ),
        (Options(stop=["END", "\n\n"]), {"stopSequences": ["END", "\n\n"]}),
        (Options(response_format=ResponseFormat()), {"responseMimeType": "application/json"}),
        (
            Options(
                response_format=ResponseFormat(schema={"type": "object"}, name="x", strict=False)
            ),
            {"responseMimeType": "application/json", "responseJsonSchema": {"type": "object"}},
        ),
    ],
)
def test_generation_config(options: Options, config: dict[str, Any] | None) -> None:
    assert body(req(options=options)).get("generationConfig") == config


@pytest.mark.parametrize(
    ("model", "reasoning", "thinking"),
    [
        (
            "gemini-3.8-flash",
            Reasoning(effort="minimal"),
            {"includeThoughts": True, "thinkingLevel": "MINIMAL"},
        ),
        (
            "gemini-3.8-flash",
            Reasoning(effort="medium", include=False),
            {"thinkingLevel": "MEDIUM"},
        ),
        # 3.x Pro takes low/high only; 4 Argon low..high.
        (
            "gemini-3.1-pro-preview",
            Reasoning(effort="medium"),
            {"includeThoughts": True, "thinkingLevel": "HIGH"},
        ),
        (
            "gemini-3.1-pro-preview",
            Reasoning(effort="none"),
            {"includeThoughts": True, "thinkingLevel": "LOW"},
        ),
        (
            "gemini-4-argon",
            Reasoning(effort="minimal"),
            {"includeThoughts": True, "thinkingLevel": "LOW"},
        ),
        (
            "gemini-4-argon",
            Reasoning(effort="max"),
            {"includeThoughts": True, "thinkingLevel": "HIGH"},
        ),
        # A level wins over a budget on 3.x+; never both.
        (
            "gemini-3.8-flash",
            Reasoning(effort="high", budget=2048),
            {"includeThoughts": True, "thinkingLevel": "HIGH"},
        ),
        (
            "gemini-3.8-flash",
            Reasoning(budget=2048),
            {"includeThoughts": True, "thinkingBudget": 2048},
        ),
        # 2.x: budgets only.
        (
            "gemini-2.5-flash",
            Reasoning(budget=128),
            {"includeThoughts": True, "thinkingBudget": 128},
        ),
        (
            "gemini-2.5-flash",
            Reasoning(effort="high", budget=-1),
            {"includeThoughts": True, "thinkingBudget": -1},
        ),
        ("gemini-2.5-flash", Reasoning(effort="none", include=False), {"thinkingBudget": 0}),
        (
            "gemini-2.5-pro",
            Reasoning(effort="low"),
            {"includeThoughts": True, "thinkingBudget": 1024},
        ),
    ],
)
def test_thinking_config(model: str, reasoning: Reasoning, thinking: dict[str, Any]) -> None:
    got = body(req(model=model, options=Options(reasoning=reasoning)))
    assert got["generationConfig"] == {"thinkingConfig": thinking}


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        (ToolChoice(mode="auto"), {"mode": "AUTO"}),
        (ToolChoice(mode="none"), {"mode": "NONE"}),
        (ToolChoice(mode="required"), {"mode": "ANY"}),
        (ToolChoice(mode="tool", name="f"), {"mode": "ANY", "allowedFunctionNames": ["f"]}),
        (ToolChoice(mode="auto", parallel=True), {"mode": "AUTO"}),
    ],
)
def test_tool_choice(choice: ToolChoice, config: dict[str, Any]) -> None:
    got = body(req(tools=[Tool(name="f")], tool_choice=choice))
    assert got["toolConfig"] == {"functionCallingConfig": config}
    assert got["tools"] == [
        {
            "functionDeclarations": [
                {"name": "f", "parametersJsonSchema": {"type": "object", "properties": {}}}
            ]
        }
    ]


@pytest.mark.parametrize("mode", ["auto", "none"])
def test_no_tool_config_without_function_declarations(mode: Any) -> None:
    # 400 "Function calling config is set without function_declarations",
    # also when the only tools are built-in ones given through `extra`.
    search = {"tools": [{"googleSearch": {}}]}
    got = body(req(tool_choice=ToolChoice(mode=mode), options=Options(extra=search)))
    assert got == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **search}


def test_extra_is_merged_last_and_deep() -> None:
    options = Options(
        max_tokens=10,
        extra={
            "generationConfig": {"topK": 40, "maxOutputTokens": 20},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "cachedContent": "cachedContents/abc",
        },
    )
    got = body(req(options=options))
    assert got["generationConfig"] == {"maxOutputTokens": 20, "topK": 40}
    assert got["cachedContent"] == "cachedContents/abc" and len(got["safetySettings"]) == 1


@pytest.mark.parametrize(
    ("kw", "feature"),
    [
        (
            {"tools": [Tool(name="f")], "tool_choice": ToolChoice(mode="auto", parallel=False)},
            "parallel",
        ),
        ({"tools": [Tool(name="f")], "tool_choice": ToolChoice(mode="tool")}, "without a name"),
        ({"tool_choice": ToolChoice(mode="required")}, "'required' without tools"),
        ({"tool_choice": ToolChoice(mode="tool", name="f")}, "'tool' without tools"),
        ({"messages": [Message(role="user", content=[Image(data="AAAA")])]}, "media_type"),
        (
            {"messages": [Message(role="user", content=[Image(media_type="image/png")])]},
            "without data",
        ),
        ({"messages": [Message(role="user", content=[ToolCall(id="a", name="f")])]}, "tool_call"),
        (
            {"messages": [Message(role="assistant", content=[ToolResult(tool_call_id="a")])]},
            "tool_result",
        ),
        ({"messages": [Message(role="tool", content=[ToolResult(tool_call_id="nope")])]}, "nope"),
        ({"messages": [Message(role="system", content=[Image(url="https://x/y.png")])]}, "system"),
        (
            {
                "messages": [
                    Message(
                        role="tool",
                        content=[
                            ToolResult(
                                tool_call_id="a", name="f", content=[Image(url="https://x/y.png")]
                            )
                        ],
                    )
                ]
            },
            "URL",
        ),
    ],
)
def test_unsupported_before_io(kw: dict[str, Any], feature: str) -> None:
    with pytest.raises(errors.Unsupported) as e:
        google.build_request(req(**kw), BASE)
    assert feature in e.value.feature and e.value.provider == "google"


def test_system_media_and_merging() -> None:
    messages = [
        Message(role="system", content=[Text(text="Be brief.")]),
        Message(
            role="user",
            content=[
                Text(text="Compare"),
                Image(data="iVBORw0KGgoAAAA"),  # media type sniffed: PNG
                Image(media_type="image/jpeg", url="https://example.test/a.jpg"),
                Document(data="JVBERi0x", title="dropped: Gemini has no title"),
                Document(
                    media_type="text/plain",
                    url="https://generativelanguage.googleapis.com/v1beta/files/f1",
                ),
            ],
        ),
        Message(role="user", content=[Text(text="and answer in French")]),
        Message(role="system", content=[Text(text="Use metric units.")]),
    ]
    got = body(req(messages=messages))
    assert got["systemInstruction"] == {
        "parts": [{"text": "Be brief."}, {"text": "Use metric units."}]
    }
    assert got["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "Compare"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAA"}},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.test/a.jpg"}},
                {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0x"}},
                {
                    "fileData": {
                        "mimeType": "text/plain",
                        "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/f1",
                    }
                },
                {"text": "and answer in French"},
            ],
        }
    ]
