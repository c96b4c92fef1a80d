"""Unified types: JSON round-trips and the accepted input shapes."""

import re

import msgspec
import pytest
from hypothesis import given

import llmkit
from llmkit.messages import InvalidMessages, decode_messages, encode_messages, to_messages
from llmkit.types import (
    Done,
    Finish,
    Message,
    Part,
    Response,
    StreamEvent,
    Text,
    TextDelta,
    Thinking,
    ToolCall,
    ToolResult,
    Usage,
)
from tests import strategies as s

enc = msgspec.json.Encoder()


@given(s.messages)
def test_message_json_round_trip(m: Message) -> None:
    assert msgspec.json.decode(enc.encode(m), type=Message) == m


@given(s.parts)
def test_part_json_round_trip_through_the_union(p: Part) -> None:
    assert msgspec.json.decode(enc.encode(p), type=Part) == p


@given(st_msgs=s.messages.map(lambda m: [m, m]))
def test_messages_through_the_input_decoder(st_msgs: list[Message]) -> None:
    assert decode_messages(encode_messages(st_msgs)) == st_msgs


@given(s.usages)
def test_usage_round_trip(u: Usage) -> None:
    assert msgspec.json.decode(enc.encode(u), type=Usage) == u


@given(s.messages, s.usages)
def test_stream_events_round_trip(m: Message, u: Usage) -> None:
    events: list[StreamEvent] = [
        TextDelta(index=0, text="hi"),
        Done(response=Response(message=m, usage=u, finish=Finish(reason="length", raw="x"))),
    ]
    back = msgspec.json.decode(enc.encode(events), type=list[StreamEvent])
    assert back == events


def test_part_json_shape_is_tagged_by_type() -> None:
    m = Message(role="assistant", content=[Text(text="hi"), ToolCall(id="c1", name="f")])
    assert msgspec.json.decode(enc.encode(m)) == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "hi"},
            {"type": "tool_call", "id": "c1", "name": "f"},
        ],
    }


def test_plain_dict_with_string_content() -> None:
    assert to_messages({"role": "user", "content": "Hello"}) == [
        Message(role="user", content=[Text(text="Hello")])
    ]


def test_plain_string_is_one_user_turn() -> None:
    assert to_messages("Hi") == [llmkit.user("Hi")]


def test_mixed_list_of_inputs() -> None:
    got = to_messages(
        [
            {"role": "system", "content": "Be brief."},
            "What is 2+2?",
            Message(role="assistant", content=[Text(text="4")]),
            {
                "role": "tool",
                "content": [{"type": "tool_result", "tool_call_id": "c1", "content": "ok"}],
            },
        ]
    )
    assert [m.role for m in got] == ["system", "user", "assistant", "tool"]
    assert got[3].content == [ToolResult(tool_call_id="c1", content="ok")]


def test_dict_parts_of_every_kind() -> None:
    (m,) = to_messages(
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "text": "hmm", "signature": "sig", "provider": "anthropic"},
                {"type": "tool_call", "id": "c", "name": "f", "arguments": {"x": 1}},
            ],
        }
    )
    assert m.content == [
        Thinking(text="hmm", signature="sig", provider="anthropic"),
        ToolCall(id="c", name="f", arguments={"x": 1}),
    ]


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"role": "robot", "content": "x"}, "messages"),
        ([{"role": "user", "content": 5}], "messages[0]"),
        (["ok", {"role": "user", "content": [{"type": "nope"}]}], "messages[1]"),
        ([{"role": "user", "content": "x", "colour": "red"}], "messages[0]"),
        (None, "messages"),
        (["ok", 42], "messages[1]"),
    ],
)
def test_bad_message_input_says_where(bad: object, where: str) -> None:
    with pytest.raises(InvalidMessages, match="^" + re.escape(where)):
        to_messages(bad)  # type: ignore[arg-type]


def test_response_views() -> None:
    r = Response(
        message=Message(
            role="assistant",
            content=[
                Thinking(text="a"),
                Text(text="b"),
                ToolCall(id="1", name="f", arguments={"q": 1}),
                Text(text="c"),
            ],
        ),
        finish=Finish(reason="tool_calls", raw="tool_use"),
    )
    assert (r.text, r.thinking, r.finish_reason) == ("bc", "a", "tool_calls")
    assert [c.arguments for c in r.tool_calls] == [{"q": 1}]


def test_usage_total_and_invalid_tool_call_flag() -> None:
    assert Usage(input_tokens=3, output_tokens=4).total_tokens == 7
    bad = ToolCall(id="1", name="f", raw_arguments="{oops", error="not JSON")
    assert not bad.ok and ToolCall(id="1", name="f").ok


def test_structs_are_frozen() -> None:
    m = llmkit.user("x")
    with pytest.raises(AttributeError):
        m.role = "assistant"  # type: ignore[misc]


@pytest.mark.parametrize("body", [b'[{"role":"user","content":"\xff"}]', b"[", b"\xff\xfe"])
def test_messages_from_bytes_that_are_not_json_or_not_utf8_are_a_typed_error(body: bytes) -> None:
    with pytest.raises(InvalidMessages, match=r"^messages: "):
        decode_messages(body)
