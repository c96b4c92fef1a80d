"""Requests to the Responses API: exact bodies, what is refused before any I/O,
the history replayed (reasoning in place, only to its own endpoint), routing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec
import pytest

import llmkit
from llmkit import registry
from llmkit.errors import Unsupported
from llmkit.providers import openai, responses, xai_responses
from llmkit.types import (
    ChatRequest,
    Document,
    Image,
    Message,
    Options,
    Reasoning,
    ResponseFormat,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
)
from tests.replay import FIXTURES, TEST_KEY, base_url_of, done, drive_stream, sent_json, transport

WEATHER = Tool(
    name="get_weather",
    description="Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
OA = FIXTURES / "openai-responses"
HI = [Message(role="system", content=[Text(text="Be brief.")]),
      Message(role="user", content=[Text(text="Hi")])]  # fmt: skip


def body(req: ChatRequest, p: Any = responses) -> dict[str, Any]:
    hr = p.build_request(req, base_url_of(p))
    assert hr.url == f"{base_url_of(p)}/responses" and hr.method == "POST"
    assert hr.body is not None
    out: dict[str, Any] = json.loads(hr.body)
    return out


def test_text_body_exactly() -> None:
    req = ChatRequest(model="gpt-4.1", messages=HI, options=Options(max_tokens=50), stream=True)
    assert body(req) == {
        "model": "gpt-4.1",
        "instructions": "Be brief.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
        "max_output_tokens": 50,
        "store": False,  # and no `include`: gpt-4.1 has no reasoning to give
        "stream": True,
    }
    hr = responses.build_request(req, "https://api.openai.com/v1")
    assert hr.headers == {"content-type": "application/json", "accept": "text/event-stream"}


def test_tools_choice_reasoning_and_cache_key_exactly() -> None:
    strict = Tool(name="find", parameters={
        "type": "object",
        "properties": {"q": {"type": "string"}, "limit": {"type": "integer"},
                       "where": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "required": ["q"]}, strict=True)  # fmt: skip
    req = ChatRequest(
        model="gpt-5.6-sol", messages=HI[1:], tools=[WEATHER, strict],
        tool_choice=ToolChoice(mode="tool", name="find", parallel=False),
        options=Options(reasoning=Reasoning(effort="max"), cache_key="conv-42",
                        extra={"service_tier": "flex"}),
    )  # fmt: skip
    b = body(req)
    assert b["tools"] == [
        {"type": "function", "name": "get_weather", "description": "Current weather for a city.",
         "parameters": WEATHER.parameters, "strict": False},
        {"type": "function", "name": "find", "strict": True, "parameters": {
            "type": "object", "additionalProperties": False, "required": ["q", "limit", "where"],
            "properties": {
                "q": {"type": "string"},
                "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "where": {"anyOf": [{"type": "object", "additionalProperties": False,
                                     "properties": {"city": {"anyOf": [{"type": "string"},
                                                                       {"type": "null"}]}},
                                     "required": ["city"]},
                                    {"type": "null"}]}}}},  # _schema.openai_strict
    ]  # fmt: skip
    assert b["tool_choice"] == {"type": "function", "name": "find"}
    assert b["parallel_tool_calls"] is False
    assert b["reasoning"] == {"effort": "max", "summary": "auto"}
    assert b["prompt_cache_key"] == "conv-42" and b["service_tier"] == "flex"


@pytest.mark.parametrize(
    ("model", "reasoning", "expected"),
    [
        ("gpt-5.6-sol", None, {"summary": "auto"}),  # a reasoning model: summaries come back
        ("gpt-5.6-sol", Reasoning(effort="none"), {"effort": "none"}),
        ("gpt-5.6-sol", Reasoning(effort="low", include=False), {"effort": "low"}),
        ("gpt-4.1", None, None),
    ],
)
def test_reasoning_field(model: str, reasoning: Reasoning | None, expected: Any) -> None:
    b = body(ChatRequest(model=model, messages=HI, options=Options(reasoning=reasoning)))
    assert b.get("reasoning") == expected
    assert ("include" in b) == (model != "gpt-4.1")


def test_structured_output_is_text_format_with_a_strict_schema() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    fmt = ResponseFormat(schema=schema, name="weather")
    b = body(ChatRequest(model="gpt-4o", messages=HI, options=Options(response_format=fmt)))
    assert b["text"] == {
        "format": {
            "type": "json_schema",
            "name": "weather",
            "strict": True,
            "schema": {**schema, "additionalProperties": False},
        }
    }
    plain = ResponseFormat()
    b = body(ChatRequest(model="gpt-4o", messages=HI, options=Options(response_format=plain)))
    assert b["text"] == {"format": {"type": "json_object"}}


@pytest.mark.parametrize(
    ("p", "model", "options", "words"),
    [
        (responses, "gpt-4o", Options(stop=["END"]), "stop sequences"),
        (xai_responses, "grok-4.7", Options(stop=["END"]), "stop sequences"),
        (responses, "gpt-4o", Options(seed=1), "seed"),
        (responses, "gpt-6-astra", Options(reasoning=Reasoning(effort="none")),
         "'none' on gpt-6-astra (it takes: low, medium, high, xhigh, max)"),
        (responses, "gpt-5.6-sol", Options(reasoning=Reasoning(effort="minimal")),
         "'minimal' on gpt-5.6-sol (it takes: none, low, medium, high, xhigh, max)"),
        (responses, "gpt-5.6-sol", Options(temperature=0.2),
         "temperature on reasoning model gpt-5.6-sol (it takes them only with reasoning effort"),
        (responses, "gpt-6.1-sol", Options(top_p=0.9, reasoning=Reasoning(effort="low")),
         "top_p on reasoning model gpt-6.1-sol (it takes them never)"),
        (responses, "gpt-5.6-sol", Options(reasoning=Reasoning(budget=2000)), "token budget"),
        (responses, "gpt-4o", Options(max_tokens=20_000), "gpt-4o (it writes at most 16384)"),
        (xai_responses, "grok-4.20-non-reasoning", Options(reasoning=Reasoning(effort="low")),
         "'low' on grok-4.20-non-reasoning (it takes: no reasoning effort)"),
        (xai_responses, "grok-4.5", Options(reasoning=Reasoning(effort="xhigh")),
         "(it takes: low, medium, high)"),
    ],
)  # fmt: skip
def test_what_the_model_cannot_serve_is_unsupported_before_io(
    p: Any, model: str, options: Options, words: str
) -> None:
    with pytest.raises(Unsupported) as e:
        p.build_request(ChatRequest(model=model, messages=HI, options=options), "http://x")
    assert words in str(e.value)


def test_xai_takes_documents_by_url_only() -> None:
    pdf = Message(role="user", content=[Document(data="JVBER")])
    with pytest.raises(Unsupported, match="by URL"):
        body(ChatRequest(model="grok-4.7", messages=[pdf]), xai_responses)
    url = Message(role="user", content=[Document(url="https://x/a.pdf")])
    b = body(ChatRequest(model="grok-4.7", messages=[url]), xai_responses)
    assert b["input"][0]["content"] == [{"type": "input_file", "file_url": "https://x/a.pdf"}]


def test_sampling_where_the_model_takes_it() -> None:
    o = Options(temperature=0.2, reasoning=Reasoning(effort="none"))
    assert body(ChatRequest(model="gpt-5.6-sol", messages=HI, options=o))["temperature"] == 0.2
    b = body(ChatRequest(model="grok-4.7", messages=HI, options=Options(seed=7, top_p=0.9)),
             xai_responses)  # fmt: skip
    assert b["seed"] == 7 and b["top_p"] == 0.9


def test_tool_choice_without_tools() -> None:
    assert "tool_choice" not in body(ChatRequest(model="gpt-4o", messages=HI,
                                                 tool_choice=ToolChoice(mode="none")))  # fmt: skip
    with pytest.raises(Unsupported):
        body(ChatRequest(model="gpt-4o", messages=HI, tool_choice=ToolChoice(mode="required")))


def test_xai_body_exactly() -> None:
    closed = Tool(
        name="t",
        parameters={
            "type": "object",
            "additionalProperties": False,
            "properties": {"a": {"type": "object", "additionalProperties": False}},
        },
    )
    said = Message(
        role="assistant", content=[Text(text="Hello", signature="msg_1", provider="xai")]
    )
    req = ChatRequest(model="grok-4.7", messages=[*HI, said, HI[1]], tools=[closed],
                      options=Options(reasoning=Reasoning(effort="high")))  # fmt: skip
    assert body(req, xai_responses) == {
        "model": "grok-4.7",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        ],
        "tools": [{"type": "function", "name": "t",
                   "parameters": {"type": "object", "properties": {"a": {"type": "object"}}}}],
        "reasoning": {"effort": "high"},
        "store": False,
        "include": ["reasoning.encrypted_content"],
    }  # fmt: skip


def test_user_parts_and_tool_results_with_images() -> None:
    png = "iVBORw0KGgo="
    user = Message(role="user", content=[
        Text(text="Look"), Image(media_type="image/png", data=png), Image(url="https://x/y.png"),
        Document(data="JVBER", title="a.pdf"), Document(url="https://x/b.pdf")])  # fmt: skip
    call = Message(role="assistant", content=[ToolCall(id="call_1", name="shot", arguments={})])
    result = Message(role="tool", content=[ToolResult(tool_call_id="call_1", content=[
        Text(text="here"), Image(media_type="image/png", data=png)])])  # fmt: skip
    b = body(ChatRequest(model="gpt-4o", messages=[user, call, result]))
    assert b["input"] == [
        {"role": "user", "content": [
            {"type": "input_text", "text": "Look"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{png}"},
            {"type": "input_image", "image_url": "https://x/y.png"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBER",
             "filename": "a.pdf"},
            {"type": "input_file", "file_url": "https://x/b.pdf"}]},
        {"type": "function_call", "call_id": "call_1", "name": "shot", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": [
            {"type": "input_text", "text": "here"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{png}"}]},
    ]  # fmt: skip


# ---- reasoning that survives the next turn --------------------------------------------


def _turn2(endpoint: str = "", foreign_thinking: str = "drop") -> ChatRequest:
    """The conversation after reasoning_turn1.sse and the tool's answer."""
    q = Message(role="user", content=[Text(text="Weather in Paris?")])
    req = ChatRequest(model="gpt-6.1-sol", messages=[q], tools=[WEATHER], stream=True)
    said = done(drive_stream(responses, req, (OA / "reasoning_turn1.sse").read_bytes())).message
    result = Message(role="tool", content=[
        ToolResult(tool_call_id=said.content[-1].id, content="14°C, light rain")])  # type: ignore[union-attr]  # fmt: skip
    opts = Options(reasoning=Reasoning(effort="high"), foreign_thinking=foreign_thinking)  # type: ignore[arg-type]
    return ChatRequest(model="gpt-6.1-sol", messages=[q, said, result], tools=[WEATHER],
                       options=opts, stream=True, endpoint=endpoint)  # fmt: skip


def test_reasoning_goes_back_verbatim_and_in_place() -> None:
    expected = json.loads((OA / "reasoning_turn2.request.json").read_text())
    assert body(_turn2()) == expected
    items = expected["input"]
    assert [i.get("type", "message") for i in items] == [
        "message", "reasoning", "function_call", "function_call_output"]  # fmt: skip
    # the final copy of the encrypted content, and both summary parts, as they came
    sse = (FIXTURES / "openai-responses" / "reasoning_turn1.sse").read_text()
    completed = json.loads(sse.rstrip().splitlines()[-1][5:])["response"]["output"][0]
    assert items[1] == {"type": "reasoning", "id": completed["id"],
                        "summary": completed["summary"],
                        "encrypted_content": completed["encrypted_content"]}  # fmt: skip


def test_reasoning_never_reaches_another_endpoint() -> None:
    for endpoint in ("xai", "azure-gpt", "ollama"):
        b = body(_turn2(endpoint))
        assert all(i.get("type") != "reasoning" for i in b["input"]), endpoint
        call = next(i for i in b["input"] if i.get("type") == "function_call")
        assert "id" not in call  # the fc_ item id is OpenAI's own too
    as_text = body(_turn2("xai", foreign_thinking="text"))["input"]
    city = "**Choosing the city**\n\nParis, France is the obvious reading."
    assert {"role": "assistant", "content": city} in as_text


def test_own_message_items_keep_id_phase_and_annotations() -> None:
    ann = {
        "type": "url_citation",
        "start_index": 0,
        "end_index": 2,
        "url": "https://u",
        "title": "t",
    }
    said = Message(role="assistant", content=[
        Text(text="a", signature="msg_1", phase="commentary", citations=[ann], provider="openai"),
        Text(text="b", signature="msg_1", phase="commentary", provider="openai"),
        Text(text="plain")])  # fmt: skip
    b = body(ChatRequest(model="gpt-5.6-sol", messages=[HI[1], said, HI[1]]))
    assert b["input"][1:3] == [
        {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
         "phase": "commentary", "content": [
             {"type": "output_text", "text": "a", "annotations": [ann]},
             {"type": "output_text", "text": "b", "annotations": []}]},
        {"role": "assistant", "content": "plain"},
    ]  # fmt: skip
    b = body(ChatRequest(model="gpt-5.6-sol", messages=[HI[1], said, HI[1]], endpoint="azure"))
    assert b["input"][1] == {"role": "assistant", "content": "a"}


def test_thinking_without_encrypted_content_is_not_replayed() -> None:
    said = Message(
        role="assistant", content=[Thinking(text="hmm", provider="openai"), Text(text="ok")]
    )
    b = body(ChatRequest(model="gpt-5.6-sol", messages=[HI[1], said, HI[1]]))
    assert [i.get("type") for i in b["input"]] == [None, None, None]


# ---- routing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "endpoint", "wire"),
    [
        ("gpt-6.1-sol", "openai", "llmkit.providers.responses"),
        ("o4-mini", "openai", "llmkit.providers.responses"),
        ("grok-4.7", "xai", "llmkit.providers.xai_responses"),
        ("openai-chat:gpt-4o", "openai-chat", "llmkit.providers.openai"),
        ("xai-chat:grok-3-mini", "xai-chat", "llmkit.providers.xai"),
    ],
)
def test_routing(model: str, endpoint: str, wire: str) -> None:
    route = registry.resolve(model, registry.DEFAULT)
    assert route.endpoint.name == endpoint and route.endpoint.wire == wire


def test_a_deployment_on_the_responses_wire_stamps_its_own_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = registry.with_endpoint(registry.DEFAULT, "azure", wire="responses",
                                 base_url="https://r.openai.azure.com/openai/v1")  # fmt: skip
    seen: list[httpx.Request] = []
    data = (FIXTURES / "openai-responses" / "reasoning_turn1.sse").read_bytes()
    with httpx.Client(transport=transport(data, seen=seen)) as client:
        events = list(
            llmkit.stream_sync(
                "azure:gpt-6.1-sol",
                "Weather?",
                tools=[WEATHER],
                registry=reg,
                http_client=client,
                api_key=TEST_KEY,
            )
        )
    said = done(events).message
    assert str(seen[0].url) == "https://r.openai.azure.com/openai/v1/responses"
    assert {getattr(p, "provider", None) for p in said.content} == {"azure"}
    answer = ToolResult(tool_call_id="call_Zk8LmN2pQr4StU6vWx8Yz0Ab", content="14")
    result = Message(role="tool", content=[answer])
    history = [Message(role="user", content=[Text(text="Weather?")]), said, result]
    to_openai = body(ChatRequest(model="gpt-6.1-sol", messages=history, endpoint="openai"))
    to_azure = body(ChatRequest(model="gpt-6.1-sol", messages=history, endpoint="azure"))
    assert "reasoning" not in [i.get("type") for i in to_openai["input"]]
    assert "reasoning" in [i.get("type") for i in to_azure["input"]]


def test_end_to_end_through_the_public_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    seen: list[httpx.Request] = []
    data = (FIXTURES / "openai-responses" / "text.json").read_bytes()
    with httpx.Client(transport=transport(data, seen=seen)) as client:
        r = llmkit.chat_sync("gpt-4.1", "Hi", http_client=client)
    assert r.text == "Hello! How can I help you today?" and r.provider == "openai"
    assert str(seen[0].url) == "https://api.openai.com/v1/responses"
    assert seen[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert sent_json(seen)["input"][-1]["content"] == [{"type": "input_text", "text": "Hi"}]


def test_moving_to_chat_completions_leaves_responses_items_behind() -> None:
    """A Responses answer with a hosted item and encrypted reasoning, continued on
    `openai-chat:`: Chat Completions gets the text and the call, nothing raw."""
    said = responses.parse_response((OA / "hosted_and_function.json").read_bytes())
    said = msgspec.structs.replace(said.message, provider="openai")
    result = Message(role="tool", content=[ToolResult(tool_call_id=said.content[-1].id,  # type: ignore[union-attr]
                                                      content="14")])  # fmt: skip
    req = ChatRequest(model="gpt-4o", messages=[HI[1], said, result], endpoint="openai-chat")
    sent = json.loads(openai.build_request(req, "https://api.openai.com/v1").body or b"")
    assistant = sent["messages"][1]
    assert "web_search_call" not in json.dumps(sent)
    assert assistant["content"].startswith("Searching found rain")
    assert assistant["tool_calls"][0]["id"] == "call_Hs6TuV8wXy0ZaB2cDe4FgH6i"
