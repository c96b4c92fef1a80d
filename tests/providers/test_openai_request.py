"""Building Chat Completions requests: options, tools, history, per-model rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit.errors import Unsupported
from llmkit.providers import openai
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
from tests.replay import FIXTURES, TEST_KEY, base_url_of

HI = [Message(role="user", content=[Text(text="hi")])]
WEATHER = Tool(
    name="get_weather",
    description="Current weather for a city",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    strict=True,
)


def body(req: ChatRequest, base_url: str = base_url_of(openai)) -> dict[str, Any]:
    hr = openai.build_request(req, base_url)
    assert hr.body is not None
    return dict(json.loads(hr.body))


def opts(**kw: Any) -> ChatRequest:
    return ChatRequest(model="gpt-4o", messages=HI, options=Options(**kw))


def test_http_shape_and_no_key_in_the_request() -> None:
    hr = openai.build_request(ChatRequest(model="gpt-4o", messages=HI), "https://api.openai.com/v1")
    assert (hr.method, hr.url) == ("POST", "https://api.openai.com/v1/chat/completions")
    assert hr.headers == {"content-type": "application/json"}
    assert hr.body == b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
    assert openai.auth_headers(TEST_KEY) == {"authorization": f"Bearer {TEST_KEY}"}


def test_the_multi_turn_fixture_is_reproduced_exactly() -> None:
    call = ToolCall(
        id="call_Vb1GQz0u9Xr3KkYQe8pNw2Lt",
        name="get_weather",
        arguments={"city": "Lisbon"},
        raw_arguments='{"city": "Lisbon"}',
    )
    messages = [
        Message(role="system", content=[Text(text="You are a terse travel assistant.")]),
        Message(
            role="user",
            content=[
                Text(text="What's the weather where this photo was taken?"),
                Image(url="https://upload.example.org/lisbon-tram.jpg"),
            ],
        ),
        Message(role="assistant", content=[Text(text="Looks like Lisbon; checking."), call]),
        Message(
            role="tool",
            content=[ToolResult(tool_call_id=call.id, content='{"temp_c":19,"sky":"clear"}')],
        ),
        Message(role="user", content=[Text(text="And tomorrow?")], name="rita"),
    ]
    req = ChatRequest(
        model="gpt-4.1",
        messages=messages,
        tools=[WEATHER],
        tool_choice=ToolChoice(mode="auto", parallel=False),
        options=Options(max_tokens=300, temperature=0.2, stop=["\n\n"], seed=7),
        stream=True,
    )
    expected = json.loads((FIXTURES / "openai" / "multi_turn.request.json").read_bytes())
    assert body(req) == expected
    hr = openai.build_request(req, base_url_of(openai))
    assert hr.headers["accept"] == "text/event-stream"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"max_tokens": 50}, {"max_completion_tokens": 50}),
        ({"temperature": 0.0, "top_p": 0.5}, {"temperature": 0.0, "top_p": 0.5}),
        ({"stop": ["END", "##"]}, {"stop": ["END", "##"]}),
        ({"seed": 42}, {"seed": 42}),
        ({"response_format": ResponseFormat()}, {"response_format": {"type": "json_object"}}),
        (
            {"response_format": ResponseFormat(schema={"type": "object"}, name="P", strict=False)},
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "P", "schema": {"type": "object"}, "strict": False},
                }
            },
        ),
        (
            {"extra": {"service_tier": "flex", "store": False}},
            {"service_tier": "flex", "store": False},
        ),
        ({"max_tokens": 5, "extra": {"max_completion_tokens": 9}}, {"max_completion_tokens": 9}),
    ],
)
def test_options_map_to_their_wire_keys(options: dict[str, Any], expected: dict[str, Any]) -> None:
    b = body(opts(**options))
    assert {k: v for k, v in b.items() if k not in ("model", "messages")} == expected


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ToolChoice(mode="auto"), {"tool_choice": "auto"}),
        (ToolChoice(mode="none"), {"tool_choice": "none"}),
        (ToolChoice(mode="required"), {"tool_choice": "required"}),
        (
            ToolChoice(mode="tool", name="get_weather", parallel=True),
            {
                "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                "parallel_tool_calls": True,
            },
        ),
    ],
)
def test_tool_choice(choice: ToolChoice, expected: dict[str, Any]) -> None:
    b = body(ChatRequest(model="gpt-4o", messages=HI, tools=[WEATHER], tool_choice=choice))
    assert b["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": WEATHER.parameters,
                "strict": True,
            },
        }
    ]
    assert {k: v for k, v in b.items() if k in ("tool_choice", "parallel_tool_calls")} == expected


def test_a_bare_tool_omits_unset_description_and_strict() -> None:
    b = body(ChatRequest(model="gpt-4o", messages=HI, tools=[Tool(name="noop")]))
    assert b["tools"] == [
        {
            "type": "function",
            "function": {"name": "noop", "parameters": {"type": "object", "properties": {}}},
        }
    ]


def test_streaming_asks_for_usage() -> None:
    b = body(ChatRequest(model="gpt-4o", messages=HI, stream=True))
    assert (b["stream"], b["stream_options"]) == (True, {"include_usage": True})


@pytest.mark.parametrize("model", ["o3", "o4-mini", "gpt-5", "gpt-5.6-sol", "gpt-6-sol"])
def test_reasoning_models_refuse_sampling_unless_effort_is_none(model: str) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(temperature=0.3))
    with pytest.raises(Unsupported, match="temperature/top_p"):
        openai.build_request(req, base_url_of(openai))
    ok = Options(top_p=0.9, reasoning=Reasoning(effort="none"), max_tokens=10)
    b = body(ChatRequest(model=model, messages=HI, options=ok))
    assert (b["top_p"], b["reasoning_effort"], b["max_completion_tokens"]) == (0.9, "none", 10)


@pytest.mark.parametrize(
    ("reasoning", "effort"),
    [(Reasoning(effort="low"), "low"), (Reasoning(effort="high", budget=9000), "high")],
)
def test_reasoning_maps_to_reasoning_effort(reasoning: Reasoning, effort: str) -> None:
    b = body(ChatRequest(model="o3", messages=HI, options=Options(reasoning=reasoning)))
    assert b["reasoning_effort"] == effort


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4.1", "gpt-5-chat-latest"])
def test_non_reasoning_models_refuse_reasoning(model: str) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(reasoning=Reasoning(effort="low")))
    with pytest.raises(Unsupported, match=f"reasoning on {model}"):
        openai.build_request(req, base_url_of(openai))


def test_tool_choice_without_tools_is_left_out() -> None:
    for mode in ("auto", "none"):
        got = body(ChatRequest(model="gpt-4o", messages=HI, tool_choice=ToolChoice(mode=mode)))
        assert "tool_choice" not in got and "parallel_tool_calls" not in got


@pytest.mark.parametrize(
    "model", ["gpt-4o", "gpt-4.1-mini", "gpt-5-chat-latest", "chatgpt-4o-latest"]
)
def test_non_reasoning_models_take_sampling(model: str) -> None:
    assert (
        body(ChatRequest(model=model, messages=HI, options=Options(temperature=1.5)))["temperature"]
        == 1.5
    )


@pytest.mark.parametrize(
    ("req", "match"),
    [
        (
            ChatRequest(model="o3", messages=HI, options=Options(reasoning=Reasoning(budget=2048))),
            "budget",
        ),
        (
            ChatRequest(
                model="gpt-4o",
                messages=HI,
                tools=[Tool(name="f")],
                tool_choice=ToolChoice(mode="tool"),
            ),
            "name",
        ),
        (
            ChatRequest(model="gpt-4o", messages=HI, tool_choice=ToolChoice(mode="required")),
            "without tools",
        ),
        (
            ChatRequest(
                model="gpt-4o",
                messages=[Message(role="user", content=[Document(url="https://x.test/a.pdf")])],
            ),
            "documents by URL",
        ),
        (
            ChatRequest(
                model="gpt-4o", messages=[Message(role="user", content=[Image(data="AA")])]
            ),
            "media_type",
        ),
        (
            ChatRequest(
                model="gpt-4o",
                messages=[Message(role="assistant", content=[Image(url="https://x.test/a.png")])],
            ),
            "Image in a assistant message",
        ),
        (
            ChatRequest(
                model="gpt-4o",
                messages=[
                    Message(
                        role="tool",
                        content=[ToolResult(tool_call_id="c", content=[Image(url="https://x/y")])],
                    )
                ],
            ),
            "tool results",
        ),
    ],
)
def test_impossible_requests_are_unsupported_before_any_io(req: ChatRequest, match: str) -> None:
    with pytest.raises(Unsupported, match=match) as info:
        openai.build_request(req, base_url_of(openai))
    assert info.value.provider == "openai"


@pytest.mark.parametrize(
    ("model", "effort", "refused"),
    [
        ("gpt-5.6-sol", "max", "reasoning effort 'max'"),  # Responses only
        ("gpt-5.6-sol", "minimal", "reasoning effort 'minimal'"),
        ("gpt-6-astra", "none", "reasoning effort 'none'"),
        ("gpt-6.1-sol", "none", "reasoning effort 'none'"),
        ("gpt-6-sol", "xhigh", None),
        ("gpt-6-astra", "low", None),
    ],
)
def test_chat_completions_efforts_per_model(model: str, effort: Any, refused: str | None) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(reasoning=Reasoning(effort=effort)))
    if refused is None:
        assert body(req)["reasoning_effort"] == effort
        return
    with pytest.raises(Unsupported, match=f"{refused} on {model}.*Responses"):
        body(req)


@pytest.mark.parametrize(
    ("model", "effort", "ok"),
    [
        ("gpt-5.4", None, True),  # text A: only with an effort set
        ("gpt-5.4", "low", False),
        ("gpt-5.6-terra", None, False),  # text B: the default effort counts
        ("gpt-5.6-terra", "none", True),
        ("gpt-6-sol", "high", False),
        ("gpt-6-astra", "low", False),  # takes no `none`: tools only on Responses
        ("gpt-4o", None, True),
    ],
)
def test_function_tools_with_reasoning_on_chat_completions(
    model: str, effort: Any, ok: bool
) -> None:
    reasoning = Reasoning(effort=effort) if effort is not None else None
    tool = Tool(name="now", description="The time.")
    req = ChatRequest(model=model, messages=HI, tools=[tool], options=Options(reasoning=reasoning))
    if ok:
        assert body(req)["tools"][0]["function"]["name"] == "now"
        return
    with pytest.raises(Unsupported, match=f"function tools with reasoning on {model}.*openai:"):
        body(req)
