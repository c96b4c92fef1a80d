"""`POST /v1/messages` with the official `anthropic` SDK over a loopback
socket, upstreams (Claude, Gemini, GPT) replayed from fixtures: what the
SDK gets, streamed or not, is what llmkit made of the same upstream bytes."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest

from llmkit.registry import Secret
from llmkit.server import anthropic_compat as ac
from llmkit.types import Response, Text, Thinking, ToolCall, ToolResult
from tests.gateway_helpers import (
    CLAUDE,
    GEMINI,
    UPSTREAMS,
    answer,
    gateway,
    llmkit_answer,
    status_answer,
)
from tests.replay import FIXTURES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HI = [{"role": "user", "content": "Hi"}]
CASES = [(up, case) for up, (_, cases) in UPSTREAMS.items() for case in cases]


def client(url: str, **kw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0, **kw)


def same_as_llmkit(msg: Any, mine: Response) -> None:
    """Text, thinking, tool calls and usage the SDK holds are llmkit's."""
    text = "".join(b.text for b in msg.content if b.type == "text")
    thinking = "".join(b.thinking for b in msg.content if b.type == "thinking")
    calls = [(b.name, b.input) for b in msg.content if b.type == "tool_use"]
    assert text == mine.text
    assert thinking == mine.thinking
    assert calls == [(c.name, c.arguments) for c in mine.tool_calls]
    u = msg.usage
    prompt = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
    assert (prompt, u.output_tokens) == (mine.usage.input_tokens, mine.usage.output_tokens)
    assert u.cache_read_input_tokens == mine.usage.cache_read_tokens
    assert msg.stop_reason == ac.stop_reason(mine.finish, mine.provider)


@pytest.mark.parametrize(("upstream", "case"), CASES)
def test_sdk_create_and_stream_helper_hold_what_llmkit_made(upstream: str, case: str) -> None:
    model, fixtures = UPSTREAMS[upstream]
    mine = llmkit_answer(model, fixtures[case])
    with gateway(answer(fixtures[case])) as url:
        c = client(url)
        whole = c.messages.create(model=model, max_tokens=1000, messages=HI)
        with c.messages.stream(model=model, max_tokens=1000, messages=HI) as s:
            streamed_text = "".join(s.text_stream)
            final = s.get_final_message()
    same_as_llmkit(whole, mine)
    same_as_llmkit(final, mine)
    assert streamed_text == mine.text
    assert whole.model == final.model == model
    assert whole.id.startswith("msg_")


def test_the_stream_is_the_full_event_sequence() -> None:
    with gateway(answer("anthropic/thinking_tool.sse")) as url:
        body = {"model": CLAUDE, "max_tokens": 2000, "messages": HI, "stream": True}
        raw = httpx.post(f"{url}/v1/messages?beta=true", json=body).text  # Claude Code's path
    names = [line[7:] for line in raw.splitlines() if line.startswith("event: ")]
    datas = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert [d["type"] for d in datas] == names  # every frame named, and as its data says
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    deltas = [d["delta"]["type"] for d in datas if d["type"] == "content_block_delta"]
    assert deltas[-1] == "input_json_delta"
    assert deltas.index("signature_delta") < deltas.index("input_json_delta")
    starts = [d["index"] for d in datas if d["type"] == "content_block_start"]
    stops = [d["index"] for d in datas if d["type"] == "content_block_stop"]
    assert starts == stops == [0, 1]  # one block open at a time
    assert datas[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}


def test_claude_thinking_signature_survives_the_round_trip_through_the_client() -> None:
    vendor = answer("anthropic/thinking_tool.sse", "anthropic/text.sse")
    with gateway(vendor) as url:
        c = client(url)
        kw: Any = {
            "model": CLAUDE,
            "max_tokens": 4000,
            "thinking": {"type": "enabled", "budget_tokens": 2000},
        }
        with c.messages.stream(messages=HI, **kw) as s:
            first = s.get_final_message()
        call = first.content[-1]
        assert call.type == "tool_use"
        turn = [
            *HI,
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18 C"}],
            },
        ]
        c.messages.create(messages=turn, **kw)
    sent = json.loads(vendor.seen[1].content)
    thinking = sent["messages"][1]["content"][0]
    assert thinking["type"] == "thinking"
    assert first.content[0].type == "thinking"
    assert thinking["signature"] == first.content[0].signature
    assert thinking["signature"].startswith("EqQBCkYIBxgCKkB")
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2000}


@pytest.mark.parametrize("upstream", ["gemini", "gpt"])
def test_other_vendors_thinking_is_shown_unsigned_and_dropped_on_replay(upstream: str) -> None:
    model, fixtures = UPSTREAMS[upstream]
    vendor = answer(fixtures["thinking"], fixtures["text"], "anthropic/text.sse")
    with gateway(vendor) as url:
        c = client(url)
        with c.messages.stream(model=model, max_tokens=1000, messages=HI) as s:
            first = s.get_final_message()
        thinking = [b for b in first.content if b.type == "thinking"]
        assert thinking
        assert all(b.signature == "" for b in thinking)
        replay = [b.model_dump() for b in first.content]
        calls = [b for b in first.content if b.type == "tool_use"]
        results = [{"type": "tool_result", "tool_use_id": b.id, "content": "ok"} for b in calls]
        turn = [
            *HI,
            {"role": "assistant", "content": replay},
            {"role": "user", "content": results or "go on"},
        ]
        c.messages.create(model=model, max_tokens=1000, messages=turn)
        # and to Claude, the same history never carries an unsigned thinking block
        c.messages.create(model=CLAUDE, max_tokens=1000, messages=turn)
    sent = vendor.seen[1].content.decode()
    for b in thinking:
        assert b.thinking[:30] not in sent  # foreign_thinking="drop"
    to_claude = json.loads(vendor.seen[2].content)
    assert all(b["type"] != "thinking" for m in to_claude["messages"] for b in m["content"])


@pytest.mark.parametrize("upstream", ["claude", "gemini", "gpt"])
def test_tool_round_trip(upstream: str) -> None:
    model, fixtures = UPSTREAMS[upstream]
    vendor = answer(fixtures["tool"], fixtures["text"])
    tools = [
        {
            "name": "get_weather",
            "description": "Weather.",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    with gateway(vendor) as url:
        c = client(url)
        first = c.messages.create(
            model=model, max_tokens=1000, messages=HI, tools=tools, tool_choice={"type": "auto"}
        )
        calls = [b for b in first.content if b.type == "tool_use"]
        assert calls and first.stop_reason == "tool_use"
        results = [
            {"type": "tool_result", "tool_use_id": b.id, "content": f"sunny in {b.input}"}
            for b in calls
        ]
        turn = [
            *HI,
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {"role": "user", "content": results},
        ]
        second = c.messages.create(model=model, max_tokens=1000, messages=turn, tools=tools)
    assert second.stop_reason == "end_turn"
    sent = vendor.seen[1].content.decode()
    for b in calls:
        assert f"sunny in {b.input}" in sent
        assert b.name in sent


def test_options_reach_the_upstream() -> None:
    vendor = answer("google/text.sse")
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    with gateway(vendor) as url:
        client(url).messages.create(
            model=GEMINI,
            max_tokens=321,
            messages=HI,
            stop_sequences=["END"],
            system=[
                {
                    "type": "text",
                    "text": "Be brief.",
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                }
            ],
            metadata={"user_id": "u1"},
            extra_body={
                "output_config": {"format": {"type": "json_schema", "schema": schema}},
                "temperature": 0.5,
                "top_p": 0.9,
                "top_k": 7,
            },  # SDK 2.x: not typed
        )
    sent = json.loads(vendor.seen[0].content)
    config = sent["generationConfig"]
    assert config["maxOutputTokens"] == 321
    assert config["temperature"] == 0.5
    assert config["stopSequences"] == ["END"]
    assert config["responseMimeType"] == "application/json"
    assert "topK" not in config and "top_k" not in sent  # Claude's only
    assert sent["systemInstruction"]["parts"] == [{"text": "Be brief."}]


@pytest.mark.parametrize(
    ("status", "fixture", "error"),
    [
        (429, "anthropic/error_429.json", anthropic.RateLimitError),
        (400, "anthropic/error_400_context.json", anthropic.BadRequestError),
        (529, "anthropic/error_529.json", anthropic.APIStatusError),
    ],
)
def test_vendor_errors_raise_the_sdk_class(status: int, fixture: str, error: type) -> None:
    body = (FIXTURES / fixture).read_bytes()
    with gateway(status_answer(status, body)) as url:
        c = client(url)
        with pytest.raises(error) as caught:
            c.messages.create(model=CLAUDE, max_tokens=10, messages=HI)
        with pytest.raises(error), c.messages.stream(model=CLAUDE, max_tokens=10, messages=HI) as s:
            s.get_final_message()
    e = caught.value
    assert isinstance(e, anthropic.APIStatusError)
    assert e.body["type"] == "error"
    assert e.body["error"]["type"] == ac.error_type(e.status_code)
    if status == 529:
        assert e.status_code == 503
        assert e.body["error"]["type"] == "overloaded_error"


def test_mid_stream_error_is_an_error_event_the_sdk_raises() -> None:
    with gateway(answer("anthropic/error_midstream.sse")) as url:
        c = client(url)
        with pytest.raises(anthropic.APIStatusError) as caught:
            with c.messages.stream(model=CLAUDE, max_tokens=10, messages=HI) as s:
                s.get_final_message()
    assert "overloaded" in str(caught.value).lower()


def test_bad_requests_are_400_in_anthropics_envelope() -> None:
    vendor = answer("anthropic/text.sse")
    with gateway(vendor) as url:
        c = client(url)
        for bad in [
            {"tool_choice": {"type": "sometimes"}},
            {"thinking": {"type": "enabled"}},
            {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},
        ]:
            with pytest.raises(anthropic.BadRequestError) as caught:
                c.messages.create(model=CLAUDE, max_tokens=10, messages=HI, extra_body=bad)
            assert caught.value.body["error"]["type"] == "invalid_request_error"
        with pytest.raises(anthropic.BadRequestError):
            c.messages.create(model="nobody-1", max_tokens=10, messages=HI)
        r = httpx.post(
            f"{url}/v1/messages", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert r.status_code == 400
        assert r.json()["type"] == "error"
        with pytest.raises(anthropic.NotFoundError):
            c.messages.count_tokens(model=CLAUDE, messages=HI)
    assert vendor.seen == []


def test_gateway_token_as_x_api_key_or_bearer() -> None:
    body = {"model": CLAUDE, "max_tokens": 10, "messages": HI}
    version = {"anthropic-version": "2026-10-21", "anthropic-beta": "whatever-2026-01-01"}
    with gateway(answer("anthropic/text.sse"), token=Secret("s3cret-token")) as url:
        for auth in [{"x-api-key": "s3cret-token"}, {"authorization": "Bearer s3cret-token"}]:
            r = httpx.post(f"{url}/v1/messages", json=body, headers={**auth, **version})
            assert r.status_code == 200, r.text
        sdk = anthropic.Anthropic(base_url=url, api_key="s3cret-token", max_retries=0)
        assert sdk.messages.create(model=CLAUDE, max_tokens=10, messages=HI).content
        claude_code = anthropic.Anthropic(base_url=url, auth_token="s3cret-token", max_retries=0)
        assert claude_code.messages.create(model=CLAUDE, max_tokens=10, messages=HI).content
        with pytest.raises(anthropic.AuthenticationError):
            client(url).messages.create(model=CLAUDE, max_tokens=10, messages=HI)
        r = httpx.post(f"{url}/v1/messages", json=body, headers={"x-api-key": "s3cret-tokeN"})
        assert r.status_code == 401


# ---- the pure mapping ------------------------------------------------------------


def call(body: dict[str, Any], target: str = "anthropic") -> ac.Call:
    base = {"model": CLAUDE, "max_tokens": 100, "messages": HI}
    return ac.parse_request(ac.decode_body(json.dumps({**base, **body}).encode()), target)


@pytest.mark.parametrize(
    ("given", "mode", "name", "parallel"),
    [
        ({"type": "auto"}, "auto", None, None),
        ({"type": "any"}, "required", None, None),
        ({"type": "tool", "name": "f"}, "tool", "f", None),
        ({"type": "none"}, "none", None, None),
        ({"type": "auto", "disable_parallel_tool_use": True}, "auto", None, False),
    ],
)
def test_tool_choice(
    given: dict[str, Any], mode: str, name: str | None, parallel: bool | None
) -> None:
    c = call({"tool_choice": given}).tool_choice
    assert c is not None
    assert (c.mode, c.name, c.parallel) == (mode, name, parallel)


@pytest.mark.parametrize(
    ("thinking", "config", "expected"),
    [
        ({"type": "enabled", "budget_tokens": 2048}, {}, {"budget": 2048}),
        ({"type": "adaptive"}, {"effort": "high"}, {"effort": "high"}),
        ({"type": "adaptive", "display": "omitted"}, {}, {"include": False}),
        ({"type": "disabled"}, {}, None),
        (None, {"effort": "low"}, {"effort": "low"}),
    ],
)
def test_thinking_becomes_reasoning(
    thinking: dict[str, Any] | None, config: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    body: dict[str, Any] = {"output_config": config}
    if thinking is not None:
        body["thinking"] = thinking
    got = call(body).options.get("reasoning")
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert {k: getattr(got, k) for k in expected} == expected


def test_top_k_goes_to_claude_only() -> None:
    assert call({"top_k": 5}).options["extra"] == {"top_k": 5}
    assert "extra" not in call({"top_k": 5}, target="google").options


def test_unsigned_thinking_from_a_client_is_nobodys() -> None:
    history = [
        *HI,
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "mine?", "signature": ""},
                {"type": "thinking", "thinking": "Claude's", "signature": "c2ln"},
                {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
            ],
        },
    ]
    parts = call({"messages": history}).messages[1].content
    assert parts == [
        Thinking(text="mine?"),
        Thinking(text="Claude's", signature="c2ln", provider="anthropic"),
        ToolCall(id="toolu_1", name="f", arguments={"a": 1}),
    ]


def test_cache_control_anywhere_is_a_breakpoint_not_a_raw_block() -> None:
    mark = {"type": "ephemeral", "ttl": "1h"}
    use = {"type": "tool_use", "id": "t1", "name": "f", "input": {}}
    text = {"type": "text", "text": "18 C", "cache_control": mark}
    result = {"type": "tool_result", "tool_use_id": "t1", "cache_control": mark, "content": [text]}
    history = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]
    msgs = call(
        {"messages": history, "system": [{"type": "text", "text": "S", "cache_control": mark}]}
    )
    assert msgs.messages[0].cache
    assert msgs.messages[-1].content == [ToolResult(tool_call_id="t1", content=[Text(text="18 C")])]
    assert msgs.messages[-1].cache


def test_claude_blocks_the_stream_leaves_out_come_in_order() -> None:
    """redacted_thinking is not streamed by llmkit: the relay holds the rest
    of the answer and sends it whole, so the client replays Claude's order."""
    with gateway(answer("anthropic/redacted_thinking.sse")) as url:
        c = client(url)
        whole = c.messages.create(model=CLAUDE, max_tokens=1000, messages=HI)
        with c.messages.stream(model=CLAUDE, max_tokens=1000, messages=HI) as s:
            final = s.get_final_message()
    assert [b.type for b in whole.content] == ["redacted_thinking", "thinking", "text"]
    assert [b.model_dump(exclude={"parsed_output"}) for b in final.content] == [
        b.model_dump() for b in whole.content
    ]
