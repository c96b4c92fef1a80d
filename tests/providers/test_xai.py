"""xAI (Grok): OpenAI's wire functions with xAI's dialect."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import llmkit
from llmkit import transport as tr
from llmkit.errors import ContextTooLong, InvalidRequest, NotFound, RateLimited, Unsupported
from llmkit.protocols import Sse
from llmkit.providers import xai
from llmkit.types import (
    ChatRequest,
    Effort,
    Finish,
    Image,
    Message,
    ModelInfo,
    Options,
    Reasoning,
    Text,
    Thinking,
    ThinkingDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolChoice,
    ToolResult,
    Usage,
)
from tests.providers.test_openai_stream import render_stream
from tests.replay import FIXTURES, TEST_KEY, base_url_of, call_for, done, drive_stream, transport

HI = [Message(role="user", content=[Text(text="hi")])]
SREQ = ChatRequest(model="grok-3-mini", messages=HI, stream=True)


def fixture(name: str) -> bytes:
    return (FIXTURES / "xai" / name).read_bytes()


def body(req: ChatRequest) -> dict[str, Any]:
    hr = xai.build_request(req, base_url_of(xai))
    assert hr.url == "https://api.x.ai/v1/chat/completions" and hr.body is not None
    return dict(json.loads(hr.body))


# ---- requests ----------------------------------------------------------------------


def test_the_multi_turn_fixture_is_reproduced_exactly() -> None:
    calls = [
        ToolCall(
            id="call_61803398",
            name="get_weather",
            arguments={"city": "Nairobi"},
            raw_arguments='{"city":"Nairobi"}',
        ),
        ToolCall(
            id="call_27182818",
            name="get_weather",
            arguments={"city": "Lagos"},
            raw_arguments='{"city":"Lagos"}',
        ),
    ]
    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/"
        "iZk9HQAAAABJRU5ErkJggg=="
    )
    messages = [
        Message(role="system", content=[Text(text="Answer briefly.")]),
        Message(
            role="user",
            content=[
                Text(text="Which two cities are in this picture?"),
                Image(media_type="image/png", data=png),
            ],
        ),
        # xAI's own earlier reasoning: Chat Completions has no field for it
        Message(
            role="assistant",
            content=[Thinking(text="Two skylines...", provider="xai"), Text(text=""), *calls],
        ),
        Message(
            role="tool",
            content=[
                ToolResult(tool_call_id="call_61803398", content="24C, light rain"),
                ToolResult(tool_call_id="call_27182818", content=[Text(text="31C, humid")]),
            ],
        ),
    ]
    req = ChatRequest(
        model="grok-3-mini",
        messages=messages,
        tools=[
            Tool(
                name="get_weather",
                parameters={
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            )
        ],
        tool_choice=ToolChoice(mode="tool", name="get_weather"),
        options=Options(max_tokens=1024, reasoning=Reasoning(effort="high")),
    )
    assert body(req) == json.loads(fixture("multi_turn.request.json"))


@pytest.mark.parametrize(
    ("model", "effort", "ok"),
    [
        ("grok-3-mini", "low", True),
        ("grok-3-mini", "high", True),
        ("grok-3-mini", "medium", False),
        ("grok-3-mini-fast", "high", True),
        ("grok-4", "low", False),
        ("grok-4-fast-reasoning", "high", False),
        ("grok-4-1-fast-reasoning", "low", False),
        ("grok-code-fast-1", "low", False),
        ("grok-4.3", "none", True),
        ("grok-4.3", "xhigh", False),
        ("grok-4.5", "none", False),
        ("grok-4.5", "medium", True),
        ("grok-4.7", "xhigh", True),
        ("grok-4.20-reasoning", "high", False),
        ("grok-4.20-non-reasoning", "none", False),
        ("grok-4.20-0309-reasoning", "low", False),
        ("grok-4.20-multi-agent", "xhigh", True),
        ("grok-4.6", "max", False),
        ("grok-5", "max", True),  # newer than our table: the caller knows best
    ],
)
def test_reasoning_effort_per_model(model: str, effort: Effort, ok: bool) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(reasoning=Reasoning(effort=effort)))
    if ok:
        assert body(req)["reasoning_effort"] == effort
    else:
        with pytest.raises(Unsupported, match=f"reasoning effort '{effort}' on {model}") as info:
            xai.build_request(req, base_url_of(xai))
        assert info.value.provider == "xai"


@pytest.mark.parametrize(
    "model", ["grok-3-mini", "grok-4.5", "grok-4-fast-reasoning", "grok-code-fast-1"]
)
@pytest.mark.parametrize(
    ("options", "what"),
    [
        ({"stop": ["END"]}, "stop"),
        ({"extra": {"presence_penalty": 0.5}}, "presence_penalty"),
        ({"extra": {"frequency_penalty": 0.1}}, "frequency_penalty"),
    ],
)
def test_reasoning_models_reject_stop_and_penalties(
    model: str, options: dict[str, Any], what: str
) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(**options))
    with pytest.raises(Unsupported, match=f"{what} on reasoning model {model}"):
        xai.build_request(req, base_url_of(xai))


@pytest.mark.parametrize("model", ["grok-3", "grok-2-vision-1212", "grok-4.20-non-reasoning"])
def test_non_reasoning_models_take_stop_and_penalties(model: str) -> None:
    o = Options(stop=["END"], temperature=0.7, top_p=0.95, extra={"presence_penalty": 0.5})
    b = body(ChatRequest(model=model, messages=HI, options=o))
    assert (b["stop"], b["presence_penalty"], b["temperature"]) == (["END"], 0.5, 0.7)


def test_max_tokens_and_streaming_keys() -> None:
    b = body(
        ChatRequest(model="grok-4.5", messages=HI, options=Options(max_tokens=77), stream=True)
    )
    assert b == {
        "model": "grok-4.5",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 77,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_own_thinking_is_text_only_when_asked() -> None:
    m = Message(role="assistant", content=[Thinking(text="hmm", provider="xai"), Text(text="ok")])
    assert xai.messages_to_wire([m]) == [{"role": "assistant", "content": "ok"}]
    assert xai.messages_to_wire([m], Options(foreign_thinking="text"))[0]["content"] == [
        {"type": "text", "text": "hmm"},
        {"type": "text", "text": "ok"},
    ]


# ---- responses and streams ---------------------------------------------------------


def test_reasoning_response() -> None:
    r = xai.parse_response(fixture("reasoning.json"))
    assert r.message.content == [
        Thinking(text="The user wants a haiku about rain. Five-seven-five.", provider="xai"),
        Text(text="Soft rain on tin roofs\u2014\nthe city exhales slowly,\npuddles hold the sky."),
    ]
    # completion 18 + reasoning 211; total 19 + 18 + 211 = 248 as xAI reports
    assert r.usage == Usage(
        input_tokens=19, output_tokens=229, cache_read_tokens=3, reasoning_tokens=211
    )
    assert r.usage.total_tokens == json.loads(fixture("reasoning.json"))["usage"]["total_tokens"]


@pytest.mark.parametrize(
    "name", ["reasoning", "parallel_tools", "reasoning_tool", "structured", "multi_turn"]
)
def test_rendered_streams_fold_to_the_non_streamed_parse(name: str) -> None:
    data = fixture(f"{name}.json")
    events = drive_stream(xai, SREQ, render_stream(json.loads(data), xai=True, size=2))
    assert done(events) == xai.parse_response(data)


def test_whole_calls_in_one_chunk() -> None:
    events = drive_stream(xai, SREQ, fixture("parallel_tools.sse"))
    calls = [e for e in events if isinstance(e, (ToolCallStart, ToolCallDelta, ToolCallEnd))]
    assert [(type(e).__name__, e.index) for e in calls] == [
        ("ToolCallStart", 0),
        ("ToolCallDelta", 0),
        ("ToolCallStart", 1),
        ("ToolCallDelta", 1),
        ("ToolCallEnd", 0),
        ("ToolCallEnd", 1),
    ]
    ends = [e.call.arguments for e in calls if isinstance(e, ToolCallEnd)]
    assert ends == [{"city": "Nairobi"}, {"city": "Lagos"}]
    r = done(events)
    assert r.finish == Finish(reason="tool_calls", raw="tool_calls") and r.text == ""


def test_reasoning_deltas_come_first_with_index_zero() -> None:
    events = drive_stream(xai, SREQ, fixture("reasoning_tool.sse"))
    thinking = [e for e in events if isinstance(e, ThinkingDelta)]
    assert {e.index for e in thinking} == {0} and len(thinking) == 7
    start = next(e for e in events if isinstance(e, ToolCallStart))
    assert (start.index, start.name) == (1, "list_files")
    assert done(events).tool_calls[0].arguments == {"path": "src", "recursive": True}


def test_flat_error_object_mid_stream() -> None:
    s = xai.start(SREQ)
    s, _ = xai.step(s, Sse(data='{"id":"a","choices":[{"index":0,"delta":{"content":"par"}}]}'))
    with pytest.raises(llmkit.ApiError) as info:
        xai.step(s, Sse(data='{"code":"Internal error","error":"Service temporarily unavailable"}'))
    assert info.value.status is None and info.value.message == "Service temporarily unavailable"
    assert xai.snapshot(s).text == "par"


# ---- errors and models -------------------------------------------------------------

ERRORS = [
    ("error_400_flat.json", 400, InvalidRequest, "Client specified an invalid argument"),
    ("error_404_flat.json", 404, NotFound, "Some requested entity was not found"),
    ("error_429_flat.json", 429, RateLimited, "Some resource has been exhausted"),
    ("error_400_context.json", 400, ContextTooLong, "context_length_exceeded"),
]


@pytest.mark.parametrize(("name", "status", "kind", "error_type"), ERRORS)
def test_both_error_shapes(name: str, status: int, kind: type[Exception], error_type: str) -> None:
    err = xai.parse_error(status, {"x-request-id": "abc-123"}, fixture(name))
    raw = json.loads(fixture(name))
    message = raw["error"] if isinstance(raw["error"], str) else raw["error"]["message"]
    assert type(err) is kind and err.provider == "xai"
    assert (err.status, err.error_type, err.message, err.request_id) == (
        status,
        error_type,
        message,
        "abc-123",
    )
    assert err.retryable == (status == 429)


def test_routed_by_prefix_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", TEST_KEY)
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(fixture("structured.json"), seen=seen)) as client:
        r = llmkit.chat_sync(
            "xai-chat:grok-4.5",  # Chat Completions, by explicit opt-in
            "Who wrote the first compiler? JSON please.",
            http_client=client,
            response_format={"schema": {"type": "object"}, "name": "person"},
        )
    assert json.loads(r.text) == {"name": "Grace Hopper", "born": 1906}
    assert r.provider == "xai-chat" and seen[0].url.path == "/v1/chat/completions"
    assert seen[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert json.loads(seen[0].content)["response_format"]["type"] == "json_schema"


def test_list_models() -> None:
    with httpx.Client(transport=transport(fixture("models.json"))) as client:
        models = tr.list_models(call_for(xai), client)
    assert models[0] == ModelInfo(id="grok-4.7", provider="xai", available=True)
    assert [m.id for m in models] == ["grok-4.7", "grok-4.5", "grok-code-fast-1", "grok-3-mini"]
    catalog = {m.id for m in xai.MODELS}
    assert {"grok-4.7", "grok-4.5", "grok-4.3", "grok-3-mini"} <= catalog
    assert all(m.provider == "xai" and m.context_window for m in xai.MODELS)
