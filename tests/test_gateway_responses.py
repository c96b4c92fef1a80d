"""`POST /v1/responses` with the official `openai` SDK over a loopback
socket, upstreams (Claude, Gemini, GPT) replayed from fixtures: what the
SDK gets, streamed or not, is what llmkit made of the same upstream bytes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pydantic
import pytest

from llmkit.server import responses_compat as rc
from llmkit.types import Response, Thinking, ToolCall, ToolResult
from tests.gateway_helpers import (
    CLAUDE,
    GEMINI,
    GPT,
    UPSTREAMS,
    answer,
    gateway,
    llmkit_answer,
    status_answer,
)
from tests.replay import FIXTURES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CASES = [(up, case) for up, (_, cases) in UPSTREAMS.items() for case in cases]
TOOLS: Any = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    }
]


def client(url: str, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, **kw)


def same_as_llmkit(resp: Any, mine: Response) -> None:
    calls = [(o.name, json.loads(o.arguments)) for o in resp.output if o.type == "function_call"]
    summaries = [s.text for o in resp.output if o.type == "reasoning" for s in o.summary]
    assert resp.output_text == mine.text
    assert calls == [(c.name, c.arguments) for c in mine.tool_calls]
    assert "".join(summaries) == mine.thinking
    u = resp.usage
    assert (u.input_tokens, u.output_tokens) == (mine.usage.input_tokens, mine.usage.output_tokens)
    assert u.input_tokens_details.cached_tokens == mine.usage.cache_read_tokens
    assert u.output_tokens_details.reasoning_tokens == mine.usage.reasoning_tokens


@pytest.mark.parametrize(("upstream", "case"), CASES)
def test_sdk_create_and_stream_helper_hold_what_llmkit_made(upstream: str, case: str) -> None:
    model, fixtures = UPSTREAMS[upstream]
    mine = llmkit_answer(model, fixtures[case])
    with gateway(answer(fixtures[case])) as url:
        c = client(url)
        whole = c.responses.create(model=model, input="Hi", store=False)
        with c.responses.stream(model=model, input="Hi") as s:
            deltas = "".join(e.delta for e in s if e.type == "response.output_text.delta")
            final = s.get_final_response()
    same_as_llmkit(whole, mine)
    same_as_llmkit(final, mine)
    assert deltas == mine.text
    assert whole.status == final.status == "completed"
    assert [o.id for o in final.output] != [o.id for o in whole.output]  # fresh ids per response
    assert all(o.id.startswith(("msg_", "fc_", "rs_")) for o in final.output)


def test_stream_framing() -> None:
    with gateway(answer("openai-responses/parallel_tools.sse")) as url:
        body = {"model": GPT, "input": "Hi", "stream": True, "tools": TOOLS}
        raw = httpx.post(f"{url}/v1/responses", json=body).text
    names = [line[7:] for line in raw.splitlines() if line.startswith("event: ")]
    datas = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert [d["type"] for d in datas] == names
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    added = [d["output_index"] for d in datas if d["type"] == "response.output_item.added"]
    done = [d["output_index"] for d in datas if d["type"] == "response.output_item.done"]
    assert added == done == list(range(len(added)))
    assert "response.function_call_arguments.delta" in names
    assert "[DONE]" not in raw
    final = datas[-1]["response"]
    assert final["tools"] == TOOLS  # request settings echoed
    assert final["store"] is False


@pytest.mark.parametrize("upstream", ["claude", "gemini", "gpt"])
def test_tool_round_trip(upstream: str) -> None:
    model, fixtures = UPSTREAMS[upstream]
    vendor = answer(fixtures["tool"], fixtures["text"])
    with gateway(vendor) as url:
        c = client(url)
        first = c.responses.create(model=model, input="Hi", tools=TOOLS, tool_choice="auto")
        calls = [o for o in first.output if o.type == "function_call"]
        assert calls
        outputs = [
            {"type": "function_call_output", "call_id": o.call_id, "output": f"sunny:{o.arguments}"}
            for o in calls
        ]
        turn: Any = [
            {"role": "user", "content": "Hi"},
            *[o.model_dump(exclude_none=True) for o in first.output],
            *outputs,
        ]
        second = c.responses.create(model=model, input=turn, tools=TOOLS)
    assert second.output_text
    sent = vendor.seen[1].content.decode()
    for o in calls:
        assert json.dumps(f"sunny:{o.arguments}", ensure_ascii=False)[1:-1] in sent


def test_claude_thinking_survives_a_responses_client() -> None:
    vendor = answer("anthropic/thinking_tool.sse", "anthropic/text.sse")
    with gateway(vendor) as url:
        c = client(url)
        with c.responses.stream(model=CLAUDE, input="Hi", tools=TOOLS) as s:
            first = s.get_final_response()
        call = next(o for o in first.output if o.type == "function_call")
        turn: Any = [
            {"role": "user", "content": "Hi"},
            *[o.model_dump(exclude_none=True) for o in first.output],
            {"type": "function_call_output", "call_id": call.call_id, "output": "18 C"},
        ]
        c.responses.create(model=CLAUDE, input=turn, tools=TOOLS)
    sent = json.loads(vendor.seen[1].content)
    thinking = sent["messages"][1]["content"][0]
    assert thinking["type"] == "thinking"
    assert thinking["signature"].startswith("EqQBCkYIBxgCKkB")
    assert thinking["thinking"].startswith("The user wants the weather")


class Answer(pydantic.BaseModel):
    city: str
    celsius: int


@pytest.mark.parametrize(("model", "fixture"), [(GPT, "openai-responses/structured.sse")])
def test_structured_output(model: str, fixture: str) -> None:
    vendor = answer(fixture)
    with gateway(vendor) as url:
        parsed = client(url).responses.parse(model=model, input="Hi", text_format=Answer)
    sent = json.loads(vendor.seen[0].content)
    assert sent["text"]["format"]["type"] == "json_schema"
    assert sent["text"]["format"]["name"] == "Answer"
    mine = llmkit_answer(model, fixture)
    assert parsed.output_text == mine.text
    assert parsed.output_parsed == Answer.model_validate_json(mine.text)


def test_options_reach_the_upstream() -> None:
    vendor = answer("google/text.sse")
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    fmt: Any = {"format": {"type": "json_schema", "name": "a", "schema": schema, "strict": True}}
    with gateway(vendor) as url:
        client(url).responses.create(
            model=GEMINI,
            input=[
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ],
            instructions="You are terse.",
            max_output_tokens=321,
            temperature=0.5,
            text=fmt,
            reasoning={"effort": "low"},
            tools=TOOLS,
            tool_choice={"type": "function", "name": "get_weather"},
        )
    sent = json.loads(vendor.seen[0].content)
    config = sent["generationConfig"]
    assert config["maxOutputTokens"] == 321
    assert config["temperature"] == 0.5
    assert config["responseMimeType"] == "application/json"
    assert [p["text"] for p in sent["systemInstruction"]["parts"]] == [
        "You are terse.",
        "Be brief.",
    ]
    assert sent["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"] == ["get_weather"]


@pytest.mark.parametrize(
    "extra",
    [{"previous_response_id": "resp_1"}, {"store": True}, {"conversation": "conv_1"}],
)
def test_state_is_refused_with_a_clear_400(extra: dict[str, Any]) -> None:
    vendor = answer("openai-responses/text.sse")
    with gateway(vendor) as url:
        with pytest.raises(openai.BadRequestError) as caught:
            client(url).responses.create(model=GPT, input="Hi", extra_body=extra)
    err = caught.value.body
    assert isinstance(err, dict)
    assert err["type"] == "invalid_request_error"
    assert next(iter(extra)) in err["message"]
    assert "stateless" in err["message"]
    assert vendor.seen == []


@pytest.mark.parametrize(
    ("status", "fixture", "error"),
    [
        (429, "openai/error_429_rate_limit.json", openai.RateLimitError),
        (400, "openai/error_400_context_length.json", openai.BadRequestError),
        (401, "openai/error_401_invalid_api_key.json", openai.AuthenticationError),
    ],
)
def test_vendor_errors_raise_the_sdk_class(status: int, fixture: str, error: type) -> None:
    body = (FIXTURES / fixture).read_bytes()
    with gateway(status_answer(status, body)) as url:
        c = client(url)
        with pytest.raises(error):
            c.responses.create(model=GPT, input="Hi")
        with pytest.raises(error), c.responses.stream(model=GPT, input="Hi") as s:
            s.get_final_response()


def test_mid_stream_error_is_an_error_event_the_sdk_raises() -> None:
    with gateway(answer("anthropic/error_midstream.sse")) as url:
        c = client(url)
        with (
            pytest.raises(openai.APIError) as caught,
            c.responses.stream(model=CLAUDE, input="Hi") as s,
        ):
            s.get_final_response()
    assert "overloaded" in str(caught.value).lower()


# ---- the pure mapping ------------------------------------------------------------


def call(body: dict[str, Any]) -> rc.Call:
    base = {"model": GPT, "input": "Hi"}
    return rc.parse_request(rc.decode_body(json.dumps({**base, **body}).encode()))


def test_input_items_become_messages() -> None:
    items = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBO"},
            ],
        },
        {
            "type": "reasoning",
            "id": "rs_x",
            "summary": [{"type": "summary_text", "text": "hm"}],
            "encrypted_content": "gAAAA-not-ours",
        },
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": '{"a": 1}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "2"},
    ]
    msgs = call({"input": items}).messages
    assert [m.role for m in msgs] == ["user", "assistant", "tool"]
    image = msgs[0].content[1]
    assert (getattr(image, "media_type", None), getattr(image, "data", None)) == (
        "image/png",
        "iVBO",
    )
    assert msgs[1].content == [
        Thinking(text="hm"),  # not minted here: nobody's
        ToolCall(id="call_1", name="f", arguments={"a": 1}, raw_arguments='{"a": 1}'),
    ]
    assert msgs[2].content == [ToolResult(tool_call_id="call_1", content="2")]


def test_minted_reasoning_tokens_round_trip() -> None:
    p = Thinking(text="t", signature="sig", provider="google", id="rs_9")
    assert rc.unmint(rc.mint(p), "t") == p
    assert rc.unmint(rc.MINT + "%%%", "t") == Thinking(text="t")
    assert rc.unmint("gAAAA", "t") == Thinking(text="t")
