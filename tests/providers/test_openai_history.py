"""Conversation history <-> Chat Completions `messages`, both directions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.providers import openai
from llmkit.types import (
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
from tests.strategies import ident, json_object, text

# ---- history ----------------------------------------------------------------------


def wire(*messages: Message, **options: Any) -> list[dict[str, Any]]:
    return openai.messages_to_wire(list(messages), Options(**options))


def test_tool_results_in_a_user_message_go_first_as_tool_messages() -> None:
    m = Message(
        role="user",
        content=[
            ToolResult(tool_call_id="call_a", content="1"),
            Text(text="and now?"),
            ToolResult(tool_call_id="call_b", content=[Text(text="2"), Text(text="3")]),
        ],
    )
    assert wire(m) == [
        {"role": "tool", "tool_call_id": "call_a", "content": "1"},
        {
            "role": "tool",
            "tool_call_id": "call_b",
            "content": [{"type": "text", "text": "2"}, {"type": "text", "text": "3"}],
        },
        {"role": "user", "content": "and now?"},
    ]


def test_inline_images_and_pdfs_become_data_urls() -> None:
    m = Message(
        role="user",
        content=[
            Image(media_type="image/png", data="iVBORw0K"),
            Document(data="JVBERi0x", title="spec.pdf"),
        ],
    )
    assert wire(m) == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
                {
                    "type": "file",
                    "file": {
                        "file_data": "data:application/pdf;base64,JVBERi0x",
                        "filename": "spec.pdf",
                    },
                },
            ],
        }
    ]


THINKING_TURN = Message(
    role="assistant",
    content=[
        Thinking(text="Let me think.", signature="sig", provider="anthropic"),
        Thinking(text="own reasoning", provider="xai"),
        Thinking(redacted="opaque", provider="anthropic"),
        Text(text="Answer."),
        Raw(provider="anthropic", data={"type": "server_tool_use"}),
        Raw(provider="openai", data={"type": "refusal", "refusal": "no"}),
    ],
)


def test_thinking_is_dropped_by_default_and_raw_kept_only_for_openai() -> None:
    assert wire(THINKING_TURN) == [
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Answer."}, {"type": "refusal", "refusal": "no"}],
        }
    ]


def test_thinking_as_text_when_asked_never_with_signatures() -> None:
    (msg,) = wire(THINKING_TURN, foreign_thinking="text")
    assert msg["content"][:3] == [
        {"type": "text", "text": "Let me think."},
        {"type": "text", "text": "own reasoning"},
        {"type": "text", "text": "Answer."},
    ]
    assert "sig" not in json.dumps(msg)


def test_tool_call_arguments_replay_the_exact_text_or_encode_the_dict() -> None:
    exact = ToolCall(id="c1", name="f", arguments={"a": 1}, raw_arguments='{ "a" : 1 }')
    built = ToolCall(id="c2", name="g", arguments={"b": [1, "x"]})
    broken = ToolCall(id="c3", name="h", raw_arguments='{"a": ', error="not JSON")
    (msg,) = wire(Message(role="assistant", content=[exact, built, broken]))
    assert "content" not in msg
    assert [c["function"]["arguments"] for c in msg["tool_calls"]] == [
        '{ "a" : 1 }',
        '{"b":[1,"x"]}',
        '{"a": ',
    ]


WIRE_HISTORIES = [
    [{"role": "system", "content": "s"}, {"role": "user", "content": "u", "name": "ann"}],
    [
        {
            "role": "system",
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x.test/cat.png"}},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                {
                    "type": "file",
                    "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"},
                },
                {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
                {"type": "file", "file": {"file_id": "file-abc123"}},
            ],
        },
    ],
    [
        {"role": "user", "content": "2+3 and 2*3"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "mul", "arguments": "{not json"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "5"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "6"}]},
        {"role": "assistant", "content": "5 and 6", "name": "calc"},
        {"role": "assistant", "content": ""},
    ],
]


@pytest.mark.parametrize("history", WIRE_HISTORIES)
def test_wire_to_unified_to_wire_is_the_identity(history: list[dict[str, Any]]) -> None:
    assert openai.messages_to_wire(openai.messages_from_wire(history)) == history


def test_documented_wire_normalizations() -> None:
    history = [
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": None, "refusal": "I can't."},
    ]
    assert openai.messages_to_wire(openai.messages_from_wire(history)) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "I can't."},
    ]


# Unified messages made only of what Chat Completions carries.
_user_parts = st.lists(
    st.one_of(
        st.builds(Text, text=text),
        st.builds(Image, url=st.just("https://example.com/cat.png")),
        st.builds(Image, media_type=st.sampled_from(["image/png", "image/webp"]), data=ident),
    ),
    min_size=1,
    max_size=3,
)
_calls = st.builds(ToolCall, id=ident, name=ident, arguments=json_object).map(
    lambda c: ToolCall(
        id=c.id, name=c.name, arguments=c.arguments, raw_arguments=json.dumps(c.arguments)
    )
)
_messages = st.one_of(
    st.builds(lambda p, n: Message(role="user", content=p, name=n), _user_parts, st.none() | ident),
    st.builds(lambda t: Message(role="system", content=[Text(text=t)]), text),
    st.builds(
        lambda t, cs: Message(role="assistant", content=[Text(text=t), *cs]),
        text,
        st.lists(_calls, max_size=2),
    ),
    st.builds(
        lambda i, c: Message(role="tool", content=[ToolResult(tool_call_id=i, content=c)]),
        ident,
        text,
    ),
)


@given(st.lists(_messages, max_size=5))
def test_unified_to_wire_to_unified_is_the_identity(messages: list[Message]) -> None:
    assert openai.messages_from_wire(openai.messages_to_wire(messages)) == messages
    # ...and the wire JSON is stable through another trip
    wired = openai.messages_to_wire(messages)
    assert openai.messages_to_wire(openai.messages_from_wire(wired)) == wired
