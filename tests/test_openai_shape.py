"""Messages in OpenAI's Chat Completions shape (what OpenAI SDK and LiteLLM
users hold) are accepted anywhere messages are, and converted losslessly."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import llmkit
from llmkit import registry
from llmkit.messages import InvalidMessages, to_messages
from llmkit.providers import openai
from llmkit.types import Image, Message, Text, ToolCall, ToolResult
from tests import vendor_bodies as vb
from tests.strategies import b64, ident, json_object, text

OPENAI_HISTORY: list[dict[str, Any]] = [
    {"role": "developer", "content": "Be brief."},
    {"role": "user", "name": "ann", "content": [
        {"type": "text", "text": "What is on these, and the weather in Paris?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
    ]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "14°C"},
]  # fmt: skip


def test_an_openai_sdk_history_becomes_llmkit_messages() -> None:
    sys, usr, asst, tool = to_messages(OPENAI_HISTORY)
    assert sys == Message(role="system", content=[Text(text="Be brief.")])
    assert usr.name == "ann" and usr.content[1:] == [
        Image(url="https://example.com/cat.png"),
        Image(media_type="image/png", data="iVBORw0KGgo="),
    ]
    assert asst.content == [ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"},
                                     raw_arguments='{"city": "Paris"}')]  # fmt: skip
    assert tool.content == [ToolResult(tool_call_id="call_1", name="get_weather", content="14°C")]


# OpenAI through Chat Completions whatever the default routes it to.
CHAT_COMPLETIONS = llmkit.with_endpoint(
    registry.DEFAULT, "openai", base_url="https://api.openai.com/v1", wire="openai"
)


def _sent(vendor: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "application/json"},
                              content=vb.reply(vendor, "Sunny."))  # fmt: skip

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        llmkit.chat_sync(vb.MODELS[vendor], history, api_key="k", http_client=client,
                         registry=CHAT_COMPLETIONS)  # fmt: skip
    body: dict[str, Any] = json.loads(seen[0].content)
    return body


def test_sent_to_openai_it_is_the_same_json() -> None:
    sent = _sent("openai", OPENAI_HISTORY)["messages"]
    # the documented normalizations only: developer -> system, null content dropped
    want = [{**OPENAI_HISTORY[0], "role": "system"}, OPENAI_HISTORY[1],
            {k: v for k, v in OPENAI_HISTORY[2].items() if k != "content"},
            {k: v for k, v in OPENAI_HISTORY[3].items() if k != "name"}]  # fmt: skip
    assert sent == want


def test_sent_to_claude_the_tool_call_and_result_carry_over() -> None:
    sent = _sent("anthropic", OPENAI_HISTORY)
    assert sent["system"] == [{"type": "text", "text": "Be brief."}]
    (call,) = sent["messages"][1]["content"]
    assert call == {"type": "tool_use", "id": "call_1", "name": "get_weather",
                    "input": {"city": "Paris"}}  # fmt: skip
    assert sent["messages"][2]["content"][0]["tool_use_id"] == "call_1"
    images = [b for b in sent["messages"][0]["content"] if b["type"] == "image"]
    assert [b["source"]["type"] for b in images] == ["url", "base64"]


def test_an_orphan_openai_tool_message_is_refused_like_any_other() -> None:
    with pytest.raises(InvalidMessages, match="answers no call"):
        llmkit.chat_sync("gpt-4o", ["hi", OPENAI_HISTORY[3]], api_key="k")


@pytest.mark.parametrize(
    "bad",
    [
        {"role": "tool", "tool_call_id": "c"},  # fine for OpenAI (no content): accepted
        {"role": "wizard", "content": None},
        {"role": "assistant", "tool_calls": "nope"},
        {"role": "assistant", "content": "x", "function_call": {"name": "f", "arguments": "{}"}},
    ],
)
def test_what_neither_shape_reads_is_a_clear_error(bad: dict[str, Any]) -> None:
    if bad.get("role") == "tool":
        assert to_messages(bad)[0].content == [ToolResult(tool_call_id="c")]
        return
    with pytest.raises(InvalidMessages, match=r"messages"):
        to_messages(bad)


# ---- lossless, for any history OpenAI's shape can hold --------------------------------

_texts = st.builds(lambda t: {"type": "text", "text": t}, text)
_images = st.one_of(
    st.builds(lambda d: {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{d}"}},
              b64),
    st.builds(lambda n: {"type": "image_url", "image_url": {"url": f"https://x.test/{n}.png"}},
              ident),
)  # fmt: skip
# a single text part would come back as a plain string (a documented normalization)
_user_content = text | st.lists(_texts | _images, min_size=2, max_size=4)
_arguments = json_object.map(json.dumps) | text  # the model's exact text, JSON or not


@st.composite
def openai_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": draw(text)}]
    for _ in range(draw(st.integers(1, 3))):
        user: dict[str, Any] = {"role": "user", "content": draw(_user_content)}
        if draw(st.booleans()):
            user["name"] = draw(ident)
        out.append(user)
        ids = draw(st.lists(ident, max_size=3, unique=True))
        calls = [
            {"id": i, "type": "function", "function": {"name": draw(ident), "arguments": a}}
            for i, a in zip(ids, draw(st.lists(_arguments, min_size=len(ids), max_size=len(ids))),
                            strict=True)
        ]  # fmt: skip
        assistant: dict[str, Any] = {"role": "assistant"}
        if not calls or draw(st.booleans()):
            assistant["content"] = draw(text)
        if calls:
            assistant["tool_calls"] = calls
        out.append(assistant)
        out += [{"role": "tool", "tool_call_id": i, "content": draw(text)} for i in ids]
    return out


@given(openai_histories())
def test_openai_shaped_history_round_trips_exactly(history: list[dict[str, Any]]) -> None:
    messages = to_messages(history)
    assert messages == openai.messages_from_wire(history)
    assert openai.messages_to_wire(messages) == history
    assert to_messages(json.loads(json.dumps(history))) == messages  # as it arrives over HTTP


# ---- LiteLLM-style model names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "hint"),
    [
        ("anthropic/claude-sonnet-4-20250514", "write 'anthropic:claude-sonnet-4-20250514'"),
        ("gemini/gemini-2.5-flash", "write 'google:gemini-2.5-flash'"),
        ("xai/grok-4", "write 'xai:grok-4'"),
    ],
)
def test_litellm_style_model_names_get_a_hint(model: str, hint: str) -> None:
    with pytest.raises(llmkit.UnknownModel, match=hint):
        llmkit.chat_sync(model, "hi", api_key="k")


def test_no_hint_for_a_slash_that_names_no_provider() -> None:
    with pytest.raises(llmkit.UnknownModel) as e:
        llmkit.chat_sync("meta-llama/Llama-3", "hi", api_key="k")
    assert "write '" not in str(e.value)


_roles = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", ""])
_keys = st.sampled_from(["content", "tool_calls", "tool_call_id", "name", "refusal", "type",
                         "function", "image_url", "url", "id", "arguments", "text"])  # fmt: skip
_anything = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


@given(_roles, st.dictionaries(_keys, _anything, max_size=4))
def test_any_dict_is_a_message_or_invalid_messages(role: str, rest: dict[str, Any]) -> None:
    """Whatever a caller hands over: a Message, or InvalidMessages, never a raw exception."""
    with contextlib.suppress(InvalidMessages):
        (m,) = to_messages({"role": role, **rest})
        assert msgspec.convert(msgspec.to_builtins(m), Message, strict=True) == m  # well-typed
