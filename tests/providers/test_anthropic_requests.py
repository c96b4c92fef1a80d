"""Building Anthropic requests: the exact JSON body for each message shape,
options, thinking, caching, refusals before I/O, and history both ways."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, target
from hypothesis import strategies as st
from msgspec.structs import replace

from llmkit import transport as tr
from llmkit.errors import Unsupported
from llmkit.providers import anthropic
from llmkit.types import (
    ChatRequest,
    Document,
    Image,
    Message,
    Options,
    Part,
    Raw,
    Reasoning,
    ResponseFormat,
    Role,
    Sampling,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
)
from tests.replay import FIXTURES, TEST_KEY, base_url_of, call_for, done, drive_stream, transport

DIR = FIXTURES / "anthropic"
MODEL = "claude-sonnet-4-5"


def msg(role: Role, *parts: Part | str, cache: bool = False) -> Message:
    content = [Text(text=p) if isinstance(p, str) else p for p in parts]
    return Message(role=role, content=content, cache=cache)


def body(
    *messages: Message, model: str = MODEL, tools: list[Tool] | None = None, **kw: Any
) -> dict[str, Any]:
    choice = kw.pop("tool_choice", None)
    stream = kw.pop("stream", False)
    req = ChatRequest(
        model=model,
        messages=list(messages),
        tools=tools or [],
        tool_choice=choice,
        options=Options(**kw),
        stream=stream,
    )
    hr = anthropic.build_request(req, base_url_of(anthropic))
    assert hr.body is not None
    out: dict[str, Any] = json.loads(hr.body)
    return out


def wire_messages(*messages: Message, **kw: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = body(*messages, **kw)["messages"]
    return out


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


WEATHER = Tool(
    name="get_weather",
    description="Weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CALL = ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Oslo"})


# ---- the request itself ---------------------------------------------------------------


def test_simple_request_exact_body_headers_and_url() -> None:
    req = ChatRequest(
        model=MODEL, messages=[msg("system", "Be brief."), msg("user", "Hi")], stream=True
    )
    hr = anthropic.build_request(req, "https://proxy.example/anthropic/")
    assert hr.method == "POST"
    assert hr.url == "https://proxy.example/anthropic/v1/messages"
    assert hr.headers == {
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        "accept": "text/event-stream",
    }
    assert hr.body is not None
    assert json.loads(hr.body) == {
        "model": MODEL,
        "max_tokens": 64000,
        "system": [text("Be brief.")],
        "messages": [{"role": "user", "content": [text("Hi")]}],
        "stream": True,
    }


def test_the_key_only_comes_from_auth_headers() -> None:
    assert anthropic.auth_headers("k-123") == {"x-api-key": "k-123"}
    seen: list[httpx.Request] = []
    req = ChatRequest(model=MODEL, messages=[msg("user", "Hi")])
    hr = anthropic.build_request(req, base_url_of(anthropic))
    assert TEST_KEY not in repr(hr)
    with httpx.Client(transport=transport((DIR / "text.json").read_bytes(), seen=seen)) as c:
        tr.chat(call_for(anthropic), c, req)
    assert seen[0].headers["x-api-key"] == TEST_KEY
    assert seen[0].headers["anthropic-version"] == "2023-06-01"
    assert seen[0].url == "https://api.anthropic.com/v1/messages"


@pytest.mark.parametrize(
    ("model", "given", "sent"),
    [
        ("claude-opus-5-5", None, 128000),
        ("claude-haiku-4-5-20251001", None, 64000),  # a dated snapshot of a catalog id
        ("claude-sonnet-4-20250514", None, 64000),
        ("claude-sonnet-4-0", None, 64000),  # an alias
        ("claude-3-opus-20240229", None, anthropic.FALLBACK_MAX_TOKENS),  # not in the catalog
        ("claude-opus-5-5", 300, 300),
    ],
)
def test_max_tokens_defaults_from_the_catalog(model: str, given: int | None, sent: int) -> None:
    assert body(msg("user", "Hi"), model=model, max_tokens=given)["max_tokens"] == sent


def test_sampling_options_and_extra() -> None:
    b = body(
        msg("user", "Hi"),
        max_tokens=100,
        temperature=0.2,
        stop=["\n\nHuman:", "END"],
        extra={"metadata": {"user_id": "u-1"}, "top_k": 5, "temperature": 0.3},
    )
    assert b == {
        "model": MODEL,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [text("Hi")]}],
        "stop_sequences": ["\n\nHuman:", "END"],
        "temperature": 0.3,  # extra wins
        "top_k": 5,
        "metadata": {"user_id": "u-1"},
    }


@pytest.mark.parametrize(
    ("model", "kw", "sent"),
    [
        ("claude-haiku-4-5", {"temperature": 0.2}, {"temperature": 0.2}),
        ("claude-haiku-4-5-20251001", {"top_p": 0.9}, {"top_p": 0.9}),
        ("claude-opus-4-6", {"extra": {"top_k": 5}}, {"top_k": 5}),
        ("claude-sonnet-4-6", {"temperature": 0.0, "extra": {"top_k": 5}},  # not in the catalog
         {"temperature": 0.0, "top_k": 5}),
        # 1.0 is the default: left out where it would be refused, same sampling
        ("claude-sonnet-4-5", {"temperature": 1.0, "top_p": 0.9}, {"top_p": 0.9}),
        ("claude-opus-5-5", {"temperature": 1.0}, {}),
        ("claude-opus-4-7", {"extra": {"temperature": 1.0}}, {}),
        ("claude-sonnet-4-5", {"temperature": 1.0}, {"temperature": 1.0}),
        ("claude-3-5-sonnet-20241022", {"temperature": 0.5, "top_p": 0.9},
         {"temperature": 0.5, "top_p": 0.9}),
        # thinking takes the default temperature only, and top_p from 0.95
        ("claude-sonnet-4-5", {"temperature": 1.0, "reasoning": Reasoning(budget=2000)}, {}),
        ("claude-opus-4-6", {"top_p": 0.95, "reasoning": Reasoning(effort="low")},
         {"top_p": 0.95}),
    ],
)  # fmt: skip
def test_sampling_is_sent_where_the_model_takes_it(
    model: str, kw: dict[str, Any], sent: dict[str, Any]
) -> None:
    b = body(msg("user", "Hi"), model=model, **kw)
    assert {k: b[k] for k in ("temperature", "top_p", "top_k") if k in b} == sent


@pytest.mark.parametrize(
    ("model", "kw", "match"),
    [
        # 400 "`temperature` is deprecated for this model."
        ("claude-opus-5-5", {"temperature": 0.2},
         r"^temperature on claude-opus-5-5 \(it takes no sampling parameters\)$"),
        ("claude-opus-4-7", {"top_p": 0.9}, "top_p on claude-opus-4-7"),  # by prefix
        ("claude-sonnet-5", {"extra": {"top_k": 3}}, "top_k on claude-sonnet-5"),
        ("claude-opus-9", {"temperature": 0.0}, "temperature on claude-opus-9"),  # newer: none
        # 400 "`temperature` and `top_p` cannot both be specified for this model."
        ("claude-sonnet-4-5", {"temperature": 0.2, "top_p": 0.9},
         r"^temperature together with top_p on claude-sonnet-4-5 \(it takes one or the other\)$"),
        ("claude-haiku-4-5", {"top_p": 0.9, "extra": {"temperature": 0.3}}, "together"),
        # 400 "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode"
        ("claude-sonnet-4-5", {"temperature": 0.2, "reasoning": Reasoning(budget=2000)},
         "^temperature other than 1 while thinking on claude-sonnet-4-5$"),
        ("claude-haiku-4-5", {"extra": {"top_k": 5}, "reasoning": Reasoning(effort="high")},
         "^top_k while thinking on claude-haiku-4-5$"),
        ("claude-opus-4-6", {"top_p": 0.9, "reasoning": Reasoning(effort="low")},
         r"^top_p 0.9 while thinking on claude-opus-4-6 \(it takes 0.95 to 1\)$"),
    ],
)  # fmt: skip
def test_sampling_a_model_refuses_is_unsupported(
    model: str, kw: dict[str, Any], match: str
) -> None:
    seen: list[httpx.Request] = []
    req = ChatRequest(model=model, messages=[msg("user", "Hi")], options=Options(**kw))
    with httpx.Client(transport=transport((DIR / "text.json").read_bytes(), seen=seen)) as c:
        with pytest.raises(Unsupported) as e:
            tr.chat(call_for(anthropic), c, req)
    assert re.search(match, e.value.feature) and e.value.provider == "anthropic"
    assert seen == []


def test_every_catalog_model_says_what_sampling_it_takes() -> None:
    takes = {m.id: m.sampling for m in anthropic.MODELS}
    assert all(s is not None for s in takes.values())
    assert takes["claude-opus-4-8"] == takes["claude-sonnet-5"] == Sampling(accepts=())
    assert takes["claude-haiku-4-5"] == Sampling(temperature_with_top_p=False)


@pytest.mark.parametrize(
    ("betas", "header"),
    [
        (["context-1m-2025-08-07", "cache-diagnosis-2026-04-07"],
         "context-1m-2025-08-07,cache-diagnosis-2026-04-07"),
        ("context-1m-2025-08-07", "context-1m-2025-08-07"),
    ],
)  # fmt: skip
def test_betas_from_extra_go_to_the_header(betas: Any, header: str) -> None:
    req = ChatRequest(
        model=MODEL, messages=[msg("user", "Hi")], options=Options(extra={"betas": betas})
    )
    hr = anthropic.build_request(req, base_url_of(anthropic))
    assert hr.headers["anthropic-beta"] == header
    assert hr.body is not None
    assert "betas" not in json.loads(hr.body)


# ---- message shapes ---------------------------------------------------------------------


def test_system_messages_are_lifted_and_same_role_turns_merged() -> None:
    b = body(
        msg("system", "One."),
        msg("user", "a"),
        msg("user", "b"),
        msg("system", "Two."),
        msg("assistant", "c"),
        msg("assistant", "d"),
    )
    assert b["system"] == [text("One."), text("Two.")]
    assert b["messages"] == [
        {"role": "user", "content": [text("a"), text("b")]},
        {"role": "assistant", "content": [text("c"), text("d")]},
    ]


def test_tool_results_follow_the_tool_use_first_in_a_user_turn() -> None:
    assert wire_messages(
        msg("user", "Weather in Oslo and Kyiv?"),
        msg("assistant", "Checking.", CALL, ToolCall(id="toolu_02", name="get_weather")),
        Message(
            role="tool",
            content=[
                ToolResult(tool_call_id="toolu_01", content="-3 C", name="get_weather"),
                ToolResult(
                    tool_call_id="toolu_02",
                    content=[Text(text="timeout"), Text(text="")],
                    is_error=True,
                ),
            ],
        ),
        msg("user", "And tomorrow?"),
    ) == [
        {"role": "user", "content": [text("Weather in Oslo and Kyiv?")]},
        {
            "role": "assistant",
            "content": [
                text("Checking."),
                {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": "get_weather",
                    "input": {"city": "Oslo"},
                },
                {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": "-3 C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_02",
                    "content": [text("timeout")],
                    "is_error": True,
                },
                text("And tomorrow?"),
            ],
        },
    ]


def test_tool_results_are_moved_before_text_in_the_same_turn() -> None:
    result = ToolResult(tool_call_id="toolu_01", content="ok")
    assert wire_messages(
        msg("assistant", CALL), msg("user", "note"), Message(role="tool", content=[result])
    )[1] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": "ok"},
            text("note"),
        ],
    }


def test_images_and_documents() -> None:
    pdf = Document(data="JVBERi0xLjQK", title="Spec")
    assert wire_messages(
        msg(
            "user",
            "Look:",
            Image(media_type="image/png", data="iVBORw0KGgo="),
            Image(url="https://example.org/cat.jpg"),
            pdf,
            Document(url="https://example.org/paper.pdf"),
            Document(media_type="text/plain", data="aMOpbGxv"),  # "héllo"
        )
    ) == [
        {
            "role": "user",
            "content": [
                text("Look:"),
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
                {"type": "image", "source": {"type": "url", "url": "https://example.org/cat.jpg"}},
                {
                    "type": "document",
                    "source": {
                        "type": "base64",
                        "media_type": "application/pdf",
                        "data": "JVBERi0xLjQK",
                    },
                    "title": "Spec",
                },
                {
                    "type": "document",
                    "source": {"type": "url", "url": "https://example.org/paper.pdf"},
                },
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "héllo"},
                },
            ],
        }
    ]


def test_empty_text_and_empty_messages_are_not_sent() -> None:
    assert wire_messages(msg("user", "a"), msg("assistant", ""), msg("user", "", "b")) == [
        {"role": "user", "content": [text("a"), text("b")]}
    ]


def test_whitespace_only_text_is_not_sent_and_leaves_no_empty_turn() -> None:
    # 400 "text content blocks must contain non-whitespace text":
    # an earlier assistant reply of "\n\n" vanishes and the user turns around it merge.
    b = body(
        msg("system", " \n", "Be brief."),
        msg("user", "a", " \n"),
        msg("assistant", "\n\n"),
        msg("user", "\t", Raw(provider="anthropic", data=text("  ")), "b"),
        msg("assistant", Thinking(text=" ", provider="openai"), " "),
        foreign_thinking="text",
    )
    assert b["system"] == [text("Be brief.")]
    assert b["messages"] == [{"role": "user", "content": [text("a"), text("b")]}]


def test_tool_results_with_whitespace_only_text_send_no_content() -> None:
    results = msg(
        "tool",
        ToolResult(tool_call_id="toolu_01", content=" \n"),
        ToolResult(tool_call_id="toolu_02", content=[Text(text="\n"), Text(text="x")]),
        ToolResult(tool_call_id="toolu_03", content=[Text(text=" ")], is_error=True),
    )
    calls = msg("assistant", CALL, *(replace(CALL, id=f"toolu_0{i}") for i in (2, 3)))
    assert wire_messages(msg("user", "q"), calls, results)[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_01"},
        {"type": "tool_result", "tool_use_id": "toolu_02", "content": [text("x")]},
        {"type": "tool_result", "tool_use_id": "toolu_03", "is_error": True},
    ]


def test_a_cache_breakpoint_never_lands_on_blank_text() -> None:
    sent = wire_messages(msg("user", "a", " ", cache=True), msg("assistant", "\n", cache=True))
    assert sent == [
        {"role": "user", "content": [{**text("a"), "cache_control": {"type": "ephemeral"}}]}
    ]


# ---- thinking across turns and vendors ------------------------------------------------------


SIGNED = Thinking(text="hmm", signature="EqQBsig==", provider="anthropic")
REDACTED = Thinking(redacted="EmwKAhgB", provider="anthropic")
GEMINI = Thinking(text="gemini thought", signature="CiQBthought", provider="google")


def test_claude_thinking_is_replayed_verbatim_with_signatures() -> None:
    turn = wire_messages(msg("user", "q"), msg("assistant", REDACTED, SIGNED, CALL))[1]
    assert turn["content"][:2] == [
        {"type": "redacted_thinking", "data": "EmwKAhgB"},
        {"type": "thinking", "thinking": "hmm", "signature": "EqQBsig=="},
    ]


@pytest.mark.parametrize(
    ("policy", "sent"),
    [("drop", [text("answer")]), ("text", [text("gemini thought"), text("answer")])],
)
def test_foreign_thinking_is_never_a_claude_thinking_block(
    policy: str, sent: list[dict[str, Any]]
) -> None:
    gemini_text = Text(text="answer", signature="CiQBsig", provider="google")
    unsigned = Thinking(text="", provider="openai")
    turn = wire_messages(
        msg("user", "q"),
        msg("assistant", GEMINI, unsigned, gemini_text, Raw(provider="google", data={"x": 1})),
        foreign_thinking=policy,
    )[1]
    assert turn == {"role": "assistant", "content": sent}


def test_anthropic_raw_blocks_are_replayed_untouched() -> None:
    block = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    turn = wire_messages(msg("user", "q"), msg("assistant", Raw(provider="anthropic", data=block)))
    assert turn[1]["content"] == [block]


# ---- caching --------------------------------------------------------------------------------

EPHEMERAL = {"type": "ephemeral"}


def test_cache_breakpoints_on_system_tools_and_messages() -> None:
    cached_tool = Tool(name="t", parameters={"type": "object"}, cache=True)
    b = body(
        msg("system", "Long instructions.", cache=True),
        msg("user", "Doc:", Image(url="https://e.org/x.png"), cache=True),
        msg("assistant", "ok"),
        tools=[WEATHER, cached_tool],
    )
    assert b["system"] == [{**text("Long instructions."), "cache_control": EPHEMERAL}]
    assert b["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city.",
            "input_schema": WEATHER.parameters,
        },
        {"name": "t", "input_schema": {"type": "object"}, "cache_control": EPHEMERAL},
    ]
    assert b["messages"][0]["content"] == [
        text("Doc:"),
        {
            "type": "image",
            "source": {"type": "url", "url": "https://e.org/x.png"},
            "cache_control": EPHEMERAL,
        },
    ]
    assert b["messages"][1]["content"] == [text("ok")]


def test_cache_breakpoint_skips_thinking_blocks() -> None:
    # 400 "thinking.cache_control: Extra inputs are not permitted"
    cached = {"cache_control": EPHEMERAL}
    call = {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Oslo"}}
    signed = {"type": "thinking", "thinking": "hmm", "signature": "EqQBsig=="}
    sent = wire_messages(
        msg("user", "q"),
        msg("assistant", SIGNED, CALL, SIGNED, cache=True),
        msg("tool", ToolResult(tool_call_id="toolu_01", content="4"), cache=True),
        msg("assistant", REDACTED, SIGNED, cache=True),  # nothing here can carry one
    )
    assert sent == [
        {"role": "user", "content": [text("q")]},
        {"role": "assistant", "content": [signed, {**call, **cached}, signed]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": "4", **cached}
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "redacted_thinking", "data": "EmwKAhgB"}, signed],
        },
    ]


def test_at_most_four_breakpoints_the_last_ones_kept() -> None:
    cached = {"cache_control": EPHEMERAL}
    hour = {"type": "ephemeral", "ttl": "1h"}
    b = body(
        msg("system", "S", cache=True),
        msg("user", "a", cache=True),
        msg("assistant", "b", cache=True),
        msg("user", Raw(provider="anthropic", data={**text("c"), "cache_control": hour})),
        msg("assistant", "d", cache=True),
        tools=[replace(WEATHER, cache=True)],
    )
    assert "cache_control" not in b["tools"][0]
    assert b["system"] == [text("S")]
    assert b["messages"] == [
        {"role": "user", "content": [{**text("a"), **cached}]},
        {"role": "assistant", "content": [{**text("b"), **cached}]},
        {"role": "user", "content": [{**text("c"), "cache_control": hour}]},
        {"role": "assistant", "content": [{**text("d"), **cached}]},
    ]
    four = body(msg("system", "S", cache=True), msg("user", "a", cache=True), tools=[
        replace(WEATHER, cache=True), replace(WEATHER, name="w2", cache=True)])  # fmt: skip
    assert [t.get("cache_control") for t in four["tools"]] == [EPHEMERAL, EPHEMERAL]
    assert four["system"][0]["cache_control"] == EPHEMERAL


UNCACHEABLE = ("thinking", "redacted_thinking")
_any_text = st.text(st.sampled_from("a \n\t"), max_size=3)
_cache_part = st.one_of(
    _any_text.map(lambda t: Text(text=t)),
    st.sampled_from([SIGNED, REDACTED, CALL, Image(url="https://e.org/x.png")]),
    st.builds(ToolResult, tool_call_id=st.just("toolu_01"), content=_any_text),
    _any_text.map(lambda t: Raw(provider="anthropic", data=text(t))),
)
_cache_message = st.builds(
    Message,
    role=st.sampled_from(["user", "assistant"]),
    content=st.lists(_cache_part, min_size=1, max_size=3),
    cache=st.sampled_from([True, True, False]),  # often past the limit of four
)


@given(
    st.lists(_any_text, max_size=2),
    st.lists(_cache_message, min_size=1, max_size=8),
    st.lists(st.booleans(), max_size=3),
)
def test_any_history_sends_valid_text_and_at_most_four_breakpoints(
    system: list[str], history: list[Message], tool_cache: list[bool]
) -> None:
    tools = [Tool(name=f"t{i}", cache=c) for i, c in enumerate(tool_cache)]
    messages = [msg("system", s, cache=True) for s in system] + history
    try:
        b = body(*messages, tools=tools)
    except Unsupported as e:  # nothing left to send
        assert "without any user or assistant message" in e.feature
        return
    blocks = b.get("tools", []) + b.get("system", [])
    blocks += [blk for m in b["messages"] for blk in m["content"]]
    assert all(m["content"] for m in b["messages"])
    assert all(blk["text"].strip() for blk in blocks if blk.get("type") == "text")
    marked = [blk for blk in blocks if "cache_control" in blk]
    target(float(sum(m.cache for m in messages) + sum(tool_cache)))  # seek more than four
    assert len(marked) <= 4  # the API's limit
    assert not any(blk.get("type") in UNCACHEABLE for blk in marked)
    # The latest breakpoint asked for is kept, in the last turn when that
    # message sends anything that can carry one.
    _, alone = anthropic.messages_to_wire([replace(history[-1], cache=False)])
    own = [blk for m in alone for blk in m["content"] if blk["type"] not in UNCACHEABLE]
    if history[-1].cache and own:
        assert any("cache_control" in blk for blk in b["messages"][-1]["content"])


# ---- tools ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        (ToolChoice(), {"type": "auto"}),
        (ToolChoice(mode="required"), {"type": "any"}),
        (ToolChoice(mode="none"), {"type": "none"}),
        (ToolChoice(mode="tool", name="get_weather"), {"type": "tool", "name": "get_weather"}),
        (ToolChoice(parallel=False), {"type": "auto", "disable_parallel_tool_use": True}),
        (
            ToolChoice(mode="required", parallel=True),
            {"type": "any", "disable_parallel_tool_use": False},
        ),
        (ToolChoice(mode="none", parallel=False), {"type": "none"}),
    ],
)
def test_tool_choice(choice: ToolChoice, sent: dict[str, Any]) -> None:
    b = body(msg("user", "q"), tools=[WEATHER], tool_choice=choice)
    assert b["tool_choice"] == sent


def test_strict_tools() -> None:
    strict = Tool(name="f", description="", parameters={"type": "object"}, strict=True)
    # a bare object is a tool without arguments, closed for strict mode
    closed = {"type": "object", "properties": {}, "additionalProperties": False}
    assert body(msg("user", "q"), tools=[strict])["tools"] == [
        {"name": "f", "input_schema": closed, "strict": True}
    ]


def test_tool_choice_without_tools() -> None:
    assert "tool_choice" not in body(msg("user", "q"), tool_choice=ToolChoice(mode="auto"))
    with pytest.raises(Unsupported, match="without tools"):
        body(msg("user", "q"), tool_choice=ToolChoice(mode="required"))


# ---- reasoning, structured output -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "reasoning", "thinking", "config"),
    [
        # manual-thinking models: a budget, or one picked from the effort level
        ("claude-sonnet-4-5", Reasoning(budget=4000), {"type": "enabled", "budget_tokens": 4000}, None),  # noqa: E501
        ("claude-sonnet-4-5", Reasoning(effort="high"), {"type": "enabled", "budget_tokens": 16384}, None),  # noqa: E501
        ("claude-haiku-4-5", Reasoning(), {"type": "enabled", "budget_tokens": 8192}, None),
        ("claude-sonnet-4-5", Reasoning(effort="none"), None, None),
        # adaptive models: effort goes to output_config
        ("claude-sonnet-5-5", Reasoning(effort="low"), {"type": "adaptive"}, {"effort": "low"}),
        ("claude-sonnet-5-5", Reasoning(effort="minimal"), {"type": "adaptive"}, {"effort": "low"}),
        ("claude-opus-5-5", Reasoning(effort="max", include=False),
         {"type": "adaptive", "display": "omitted"}, {"effort": "max"}),
        ("claude-opus-5-5", Reasoning(budget=5000), {"type": "adaptive"}, None),
        # both kinds: a budget picks manual thinking, effort still applies
        ("claude-opus-4-6", Reasoning(budget=2048, effort="medium"),
         {"type": "enabled", "budget_tokens": 2048}, {"effort": "medium"}),
        ("claude-opus-4-6", Reasoning(effort="high"), {"type": "adaptive"}, {"effort": "high"}),
        # not in the catalog: assume both kinds
        ("claude-next-9", Reasoning(budget=3000), {"type": "enabled", "budget_tokens": 3000}, None),
        ("claude-next-9", Reasoning(effort="high"), {"type": "adaptive"}, {"effort": "high"}),
    ],
)  # fmt: skip
def test_reasoning_maps_to_what_the_model_supports(
    model: str,
    reasoning: Reasoning,
    thinking: dict[str, Any] | None,
    config: dict[str, Any] | None,
) -> None:
    b = body(msg("user", "q"), model=model, reasoning=reasoning)
    assert b.get("thinking") == thinking
    assert b.get("output_config") == config


def test_manual_thinking_with_tools_asks_for_interleaved_thinking() -> None:
    req = ChatRequest(
        model="claude-sonnet-4-20250514",
        messages=[msg("user", "q")],
        tools=[WEATHER],
        options=Options(reasoning=Reasoning(budget=4000)),
    )
    hr = anthropic.build_request(req, base_url_of(anthropic))
    assert hr.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"


def test_structured_output() -> None:
    given = {"type": "object", "properties": {"n": {"type": "integer"}}}
    schema = {**given, "additionalProperties": False}  # Claude's dialect closes objects
    b = body(msg("user", "q"), response_format=ResponseFormat(schema=given))
    assert b["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    b = body(
        msg("user", "q"),
        model="claude-opus-5-5",
        reasoning=Reasoning(effort="low"),
        response_format=ResponseFormat(schema=given),
    )
    assert b["output_config"] == {
        "effort": "low",
        "format": {"type": "json_schema", "schema": schema},
    }


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"seed": 7}, "seed"),
        ({"model": "claude-opus-4-6", "reasoning": Reasoning(effort="xhigh")}, "xhigh"),
        ({"model": "claude-opus-5-5", "reasoning": Reasoning(effort="none")}, "thinking off"),
        ({"reasoning": Reasoning(budget=512)}, "budget"),
        ({"reasoning": Reasoning(budget=4096), "max_tokens": 4096}, "budget"),
        ({"reasoning": Reasoning(budget=2000), "tools": [WEATHER],
          "tool_choice": ToolChoice(mode="required")}, "forcing a tool"),
        ({"model": "claude-opus-5-5", "tools": [WEATHER],
          "tool_choice": ToolChoice(mode="tool", name="get_weather")}, "forcing a tool call on"),
        ({"model": "claude-sonnet-5-5", "tools": [WEATHER],
          "tool_choice": ToolChoice(mode="required")}, "forcing a tool call on"),
        ({"tools": [WEATHER], "tool_choice": ToolChoice(mode="tool")}, "tool name"),
        ({"response_format": ResponseFormat()}, "schema"),
        ({"model": "claude-sonnet-4-20250514", "reasoning": Reasoning(budget=2000),
          "response_format": ResponseFormat(schema={"type": "object"})}, "forcing a tool"),
        ({"model": "claude-sonnet-4-20250514", "tools": [WEATHER],
          "tool_choice": ToolChoice(mode="required"),
          "response_format": ResponseFormat(schema={"type": "object"})}, "structured output"),
    ],
)  # fmt: skip
def test_impossible_requests_are_refused_before_any_io(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(Unsupported, match=match) as info:
        body(msg("user", "q"), **kw)
    assert info.value.provider == "anthropic"


@pytest.mark.parametrize(
    ("part", "match"),
    [
        (Image(data="AAAA"), "media_type"),
        (Image(), "neither"),
        (Document(media_type="application/msword", data="AAAA"), "msword"),
        (Document(media_type="text/plain", data="%%%"), "base64"),
        (Document(), "neither"),
    ],
)
def test_unsendable_parts(part: Part, match: str) -> None:
    with pytest.raises(Unsupported, match=match):
        body(msg("user", "q", part))


def test_system_messages_hold_text_only() -> None:
    with pytest.raises(Unsupported, match="system"):
        body(msg("system", Image(url="https://e.org/x.png")), msg("user", "q"))
    with pytest.raises(Unsupported, match="without any user"):
        body(msg("system", "only a system prompt"))


# ---- a multi-turn tool loop through the real transport -----------------------------------------


def test_multi_turn_tool_loop_sends_the_exact_next_body() -> None:
    tool = Tool(
        name="exchange_rate",
        description="Today's exchange rate between two currencies.",
        parameters={
            "type": "object",
            "properties": {
                "from": {"type": "string", "description": "ISO 4217 code"},
                "to": {"type": "string", "description": "ISO 4217 code"},
            },
            "required": ["from", "to"],
        },
        cache=True,
    )
    history = [
        msg("system", "You convert currencies. Always use today's rate.", cache=True),
        msg("user", "How much is 250 EUR in JPY?"),
    ]
    opts = Options(reasoning=Reasoning(effort="high"))

    def request(messages: list[Message]) -> ChatRequest:
        return ChatRequest(
            model="claude-opus-5-5", messages=messages, tools=[tool], options=opts, stream=True
        )

    turn1 = done(drive_stream(anthropic, request(history), (DIR / "multi_turn_1.sse").read_bytes()))
    assert turn1.usage.cache_write_tokens == 1650
    (call,) = turn1.tool_calls
    history += [
        turn1.message,
        Message(role="tool", content=[ToolResult(tool_call_id=call.id, content="163.5")]),
        msg("user", "Round to the nearest yen, please."),
    ]
    seen: list[httpx.Request] = []
    answer = (DIR / "multi_turn_2.sse").read_bytes()
    with httpx.Client(transport=transport(answer, seen=seen)) as client:
        turn2 = done(list(tr.stream(call_for(anthropic), client, request(history))))
    expected = json.loads((DIR / "multi_turn_2.request.json").read_text())
    assert json.loads(seen[0].content) == expected
    assert turn2.text == "250 EUR is about 40,875 JPY at 163.5 JPY/EUR."
    assert turn2.usage.cache_read_tokens == 1650
    assert turn2.usage.input_tokens == 120 + 1650 + 130


# ---- history both ways --------------------------------------------------------------------------

# Canonical Anthropic conversations: wire -> unified -> wire must give them back.
WIRE_CASES: list[tuple[Any, list[dict[str, Any]]]] = [
    (
        [text("sys"), {**text("cached sys"), "cache_control": EPHEMERAL}, text("after")],
        [{"role": "user", "content": [text("hi")]}],
    ),
    (
        None,
        [
            {
                "role": "user",
                "content": [
                    text("q"),
                    {**text("cached"), "cache_control": EPHEMERAL},
                    text("more"),
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "redacted_thinking", "data": "EmwK"},
                    {"type": "thinking", "thinking": "", "signature": "EqQB"},
                    text("Let me check."),
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "f",
                        "input": {"a": [1, {"b": None}]},
                    },
                    {
                        "type": "server_tool_use",
                        "id": "srv_1",
                        "name": "web_search",
                        "input": {"q": "x"},
                    },
                    {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": []},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "1"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": [
                            text("a"),
                            {"type": "image", "source": {"type": "url", "url": "u"}},
                        ],
                        "is_error": True,
                    },
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_3",
                        "content": [
                            {
                                "type": "search_result",
                                "source": "s",
                                "title": "t",
                                "content": [text("c")],
                            }
                        ],
                    },
                    {"type": "tool_result", "tool_use_id": "toolu_4", "cache_control": EPHEMERAL},
                    text("thanks"),
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/gif", "data": "R0lG"},
                    },
                    {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": "plain ✓"},
                        "title": "T",
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "JVBE",
                        },
                        "citations": {"enabled": True},
                    },
                    {**text("1h cache"), "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                    {"type": "text", "text": "cited", "citations": [{"type": "char_location"}]},
                ],
            },
        ],
    ),
]


@pytest.mark.parametrize(("system", "messages"), WIRE_CASES)
def test_wire_to_unified_to_wire_is_the_identity(
    system: Any, messages: list[dict[str, Any]]
) -> None:
    unified = anthropic.messages_from_wire(system, messages)
    assert anthropic.messages_to_wire(unified) == (system, messages)


def test_wire_history_reads_as_llmkit_messages() -> None:
    system, messages = WIRE_CASES[1]
    got = anthropic.messages_from_wire(system, messages)
    assert [m.role for m in got] == ["user", "user", "assistant", "tool", "user", "tool", "user"]
    assert got[0] == msg("user", "q", "cached", cache=True)
    assert got[3].content[0] == ToolResult(tool_call_id="toolu_1", content="1")
    assert got[3].content[1] == ToolResult(
        tool_call_id="toolu_2", content=[Text(text="a"), Image(url="u")], is_error=True
    )
    # a search_result: ToolResult cannot hold it, so the whole block stays Raw
    assert got[4].content == [Raw(provider="anthropic", data=messages[2]["content"][2])]
    assert got[2].content[:2] == [
        Thinking(redacted="EmwK", provider="anthropic"),
        Thinking(text="", signature="EqQB", provider="anthropic"),
    ]


def test_equivalent_wire_spellings_are_normalized() -> None:
    unified = anthropic.messages_from_wire(
        "sys",
        [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "t",
                        "name": "f",
                        "input": {},
                        "caller": {"type": "direct"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": "x", "is_error": False}
                ],
            },
        ],
    )
    assert anthropic.messages_to_wire(unified) == (
        [text("sys")],
        [
            {"role": "user", "content": [text("hi")]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}],
            },
        ],
    )


# Unified conversations with no two adjacent turns that Anthropic would merge:
# unified -> wire -> unified is then exactly the identity.
_word = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
_prose = _word.filter(str.strip)  # whitespace-only text is not sent: not canonical
# Ids Anthropic accepts; others are mapped to stand-ins (test_tool_call_ids below)
_id = st.text(st.sampled_from("abcXYZ019_-"), min_size=1, max_size=8)
_b64 = st.sampled_from(["iVBORw0KGgo=", "R0lGODlh", "JVBERi0x"])
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | _word,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_word, inner, max_size=3),
    max_leaves=6,
)
_user_part = st.one_of(
    _prose.map(lambda t: Text(text=t)),
    st.builds(Image, media_type=st.just("image/png"), data=_b64),
    st.builds(Image, url=_word),
    st.builds(Document, data=_b64, title=st.none() | _word),
    st.builds(Document, url=_word),
)
_assistant_part = st.one_of(
    _prose.map(lambda t: Text(text=t)),
    st.builds(ToolCall, id=_id, name=_word, arguments=st.dictionaries(_word, _json, max_size=3)),
    st.builds(Thinking, text=st.just("") | _word, signature=_b64, provider=st.just("anthropic")),
    st.builds(Thinking, redacted=_b64, provider=st.just("anthropic")),
)
_result = st.builds(
    ToolResult,
    tool_call_id=_id,
    content=_prose | st.lists(_prose.map(lambda t: Text(text=t)), min_size=1, max_size=2),
    is_error=st.booleans(),
)


def _msg(role: Role, parts: st.SearchStrategy[Any]) -> st.SearchStrategy[Message]:
    return st.builds(Message, role=st.just(role), content=st.lists(parts, min_size=1, max_size=4))


_user_turn = st.one_of(
    _msg("user", _user_part).map(lambda m: [m]),
    _msg("tool", _result).map(lambda m: [m]),
    st.tuples(_msg("tool", _result), _msg("user", _user_part)).map(list),
)
_conversation = st.lists(
    st.tuples(_user_turn, _msg("assistant", _assistant_part)), min_size=1, max_size=3
).map(lambda turns: [m for user, asst in turns for m in [*user, asst]])


@given(_conversation, st.lists(_prose, max_size=2))  # blank system text is not sent either
def test_unified_to_wire_to_unified_is_the_identity(
    conversation: list[Message], system: list[str]
) -> None:
    messages = [msg("system", s) for s in system[:1]] + conversation
    system_wire, wire = anthropic.messages_to_wire(messages)
    assert anthropic.messages_from_wire(system_wire, wire) == messages


def test_unified_round_trip_merges_adjacent_turns() -> None:
    messages = [msg("user", "a"), msg("user", "b", cache=True), msg("user", "c")]
    assert anthropic.messages_from_wire(*anthropic.messages_to_wire(messages)) == [
        msg("user", "a", "b", cache=True),
        msg("user", "c"),
    ]


# Canonical Anthropic JSON, generated: wire -> unified -> wire gives it back.
def _cached(block: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    cache = st.sampled_from([None, EPHEMERAL, {"type": "ephemeral", "ttl": "1h"}])
    return st.tuples(block, cache).map(
        lambda bc: bc[0] if bc[1] is None else {**bc[0], "cache_control": bc[1]}
    )


_w_text = _prose.map(text)
_w_image = st.one_of(
    st.builds(
        lambda d: {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": d},
        },
        _b64,
    ),
    st.builds(lambda u: {"type": "image", "source": {"type": "url", "url": u}}, _word),
    st.builds(lambda f: {"type": "image", "source": {"type": "file", "file_id": f}}, _word),
)
_w_document = st.builds(
    lambda src, title: {"type": "document", "source": src, **({"title": title} if title else {})},
    st.one_of(
        st.builds(lambda d: {"type": "base64", "media_type": "application/pdf", "data": d}, _b64),
        st.builds(lambda t: {"type": "text", "media_type": "text/plain", "data": t}, _word),
        st.builds(lambda u: {"type": "url", "url": u}, _word),
    ),
    st.none() | _word,
)
_w_result = st.builds(
    lambda id_, content, err: {"type": "tool_result", "tool_use_id": id_, **content, **err},
    _id,
    st.one_of(
        st.just({}),
        _prose.map(lambda t: {"content": t}),
        st.lists(_w_text | _w_image, min_size=1, max_size=2).map(lambda c: {"content": c}),
    ),
    st.sampled_from([{}, {"is_error": True}]),
)
_w_unknown = st.builds(lambda k, v: {"type": f"x_{k}", "value": v}, _word, _json)
_w_user = (
    st.tuples(
        st.lists(_cached(_w_result), max_size=2),
        st.lists(_cached(_w_text | _w_image | _w_document | _w_unknown), max_size=3),
    )
    .map(lambda rb: rb[0] + rb[1])
    .filter(bool)
)
_w_assistant = st.lists(
    st.one_of(
        _cached(_w_text),
        st.builds(
            lambda t, s: {"type": "thinking", "thinking": t, "signature": s},
            st.just("") | _word,
            _b64,
        ),
        st.builds(lambda d: {"type": "redacted_thinking", "data": d}, _b64),
        _cached(
            st.builds(
                lambda i, n, a: {"type": "tool_use", "id": i, "name": n, "input": a},
                _id,
                _word,
                st.dictionaries(_word, _json, max_size=3),
            )
        ),
        _w_unknown,
    ),
    min_size=1,
    max_size=4,
)
_w_conversation = st.lists(st.tuples(_w_user, _w_assistant), min_size=1, max_size=3).map(
    lambda turns: [
        m
        for user, asst in turns
        for m in ({"role": "user", "content": user}, {"role": "assistant", "content": asst})
    ]
)


@given(st.none() | st.lists(_cached(_w_text), min_size=1, max_size=2), _w_conversation)
def test_generated_wire_to_unified_to_wire_is_the_identity(
    system: list[dict[str, Any]] | None, messages: list[dict[str, Any]]
) -> None:
    unified = anthropic.messages_from_wire(system, messages)
    assert anthropic.messages_to_wire(unified) == (system, messages)


def test_structured_output_without_native_support_is_a_forced_tool() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    got = body(
        msg("user", "q"), model="claude-sonnet-4-20250514", tools=[WEATHER],
        response_format=ResponseFormat(schema=schema, name="Answer"),
    )  # fmt: skip
    assert got["tools"][-1] == {
        "name": "Answer", "description": "Give the answer in this shape.", "input_schema": schema,
    }  # fmt: skip
    # beside the caller's tools: one of them or the answer ("any"); alone: forced
    assert got["tool_choice"] == {"type": "any"}
    assert "output_config" not in got
    alone = body(
        msg("user", "q"), model="claude-sonnet-4-20250514",
        response_format=ResponseFormat(schema=schema, name="Answer"),
    )  # fmt: skip
    assert alone["tool_choice"] == {"type": "tool", "name": "Answer"}
    with pytest.raises(Unsupported, match="beside a tool of that name"):
        body(msg("user", "q"), model="claude-sonnet-4-20250514", tools=[WEATHER],
             response_format=ResponseFormat(schema=schema, name=WEATHER.name))  # fmt: skip


@pytest.mark.parametrize("model", ["claude-sonnet-4-20250514", "claude-sonnet-4-5"])
def test_structured_output_as_a_tool_needs_an_object(model: str) -> None:
    """A forced tool's input_schema must be an object (a 400 otherwise); an
    array answer took that fallback (no native support, or a dict inside)."""
    schema = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}
    with pytest.raises(Unsupported, match="other than an object"):
        body(msg("user", "q"), model=model, response_format=ResponseFormat(schema=schema))


def test_strict_tools_need_structured_outputs() -> None:
    """400 "'claude-sonnet-4-20250514' does not support strict tools." before I/O."""
    strict = replace(WEATHER, strict=True)
    with pytest.raises(Unsupported, match="no structured outputs"):
        body(msg("user", "q"), model="claude-sonnet-4-20250514", tools=[strict])
    assert body(msg("user", "q"), model="claude-sonnet-4-5", tools=[strict])["tools"][0]["strict"]


def test_a_raw_tool_result_sends_no_blank_text() -> None:
    """Blank text is a 400 inside a tool_result too, kept whole as Raw or not."""
    raw = Raw(provider="anthropic", data={
        "type": "tool_result", "tool_use_id": "t1", "cache_control": {"type": "ephemeral"},
        "content": [{"type": "text", "text": " \n"}, {"type": "text", "text": "42"}]})  # fmt: skip
    _, wire = anthropic.messages_to_wire([Message(role="user", content=[raw])])
    assert wire[0]["content"][0]["content"] == [{"type": "text", "text": "42"}]
    blank = Raw(provider="anthropic", data={**raw.data, "content": [{"type": "text", "text": ""}]})
    _, wire = anthropic.messages_to_wire([Message(role="user", content=[blank])])
    assert "content" not in wire[0]["content"][0]
