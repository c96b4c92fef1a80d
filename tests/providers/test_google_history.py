"""History both ways: Gemini contents <-> llmkit messages."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from llmkit.providers import google
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
from tests.replay import FIXTURES

G = FIXTURES / "google"


def roundtrip(contents: list[dict[str, Any]], system: dict[str, Any] | None = None) -> None:
    messages = google.messages_from_wire(system, contents)
    assert google.messages_to_wire(messages, Options()) == (system, contents)


def test_fixture_request_round_trips() -> None:
    sent = json.loads((G / "function_response_turn.request.json").read_bytes())
    roundtrip(sent["contents"], sent["systemInstruction"])
    messages = google.messages_from_wire(sent["systemInstruction"], sent["contents"])
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool"]
    call, result = messages[2].content[0], messages[3].content[0]
    assert isinstance(call, ToolCall) and isinstance(result, ToolResult)
    # No ids on the wire: the response is matched to its call by name and order.
    assert result.tool_call_id == call.id and call.id.startswith("llmkit-gemini-")
    assert result.content == '{"forecast":["sun","sun","rain"],"max_c":24}'


def test_model_turns_from_responses_round_trip() -> None:
    for name in ["text", "thinking", "function_call", "parallel_calls", "code_execution"]:
        content = json.loads((G / f"{name}.json").read_bytes())["candidates"][0]["content"]
        roundtrip([{"role": "user", "parts": [{"text": "q"}]}, content])


def test_tricky_parts_round_trip() -> None:
    contents = [
        {
            "role": "user",
            "parts": [
                {"text": "look"},
                {"inlineData": {"mimeType": "image/webp", "data": "UklGRg=="}},
                {"inlineData": {"mimeType": "audio/mp3", "data": "SUQz"}},  # no llmkit audio part
                {
                    "fileData": {
                        "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/x"
                    }
                },
                {
                    "inline_data": {"mime_type": "image/png", "data": "AAAA"}
                },  # snake_case is accepted
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "", "thought": True, "thoughtSignature": "dGg="},
                {"thoughtSignature": "b25seQ=="},  # signature only
                {"functionCall": {"name": "add", "args": {"a": 1}}, "thoughtSignature": "c2ln"},
                {"functionCall": {"name": "add", "args": {"a": 2}}},
                {"functionCall": {"name": "mul", "args": {}, "id": "m1"}},
                {"text": "", "thoughtSignature": "ZW5k"},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "add", "response": {"result": '{"json": 1}'}}},
                {"functionResponse": {"name": "add", "response": {"error": "overflow"}}},
                {
                    "functionResponse": {
                        "name": "mul",
                        "id": "m1",
                        "response": {"error": {"code": 3}},
                    }
                },
                {
                    "functionResponse": {
                        "name": "img",
                        "response": {"result": "see"},
                        "parts": [{"inlineData": {"mimeType": "image/png", "data": "AA"}}],
                    }
                },
                {"text": "thanks"},
            ],
        },
    ]
    roundtrip(contents)
    user, model, results = google.messages_from_wire(None, contents)
    assert [type(p) for p in user.content] == [Text, Image, Raw, Image, Raw]
    assert model.content[0] == Thinking(text="", signature="dGg=", provider="google")
    assert isinstance(model.content[1], Raw)
    first, second, third = (p for p in model.content if isinstance(p, ToolCall))
    assert third.id == "m1"
    r1, r2, r3, r4, _ = results.content
    assert isinstance(r1, ToolResult) and isinstance(r2, ToolResult) and isinstance(r3, ToolResult)
    assert (r1.tool_call_id, r2.tool_call_id, r3.tool_call_id) == (first.id, second.id, "m1")
    assert (r1.content, r1.is_error) == ('{"result":"{\\"json\\": 1}"}', False)
    assert (r2.content, r2.is_error) == ("overflow", True)
    assert (r3.content, r3.is_error) == ('{"code":3}', True)
    assert isinstance(r4, ToolResult) and r4.content == [
        Text(text="see"),
        Image(media_type="image/png", data="AA"),
    ]
    assert results.role == "user"  # mixed with text: not a pure tool turn


def test_unified_round_trip_up_to_normalization() -> None:
    messages = [
        Message(role="system", content=[Text(text="sys")]),
        Message(
            role="user",
            content=[
                Text(text="hi"),
                Image(media_type="image/png", data="AAAA"),
                Image(url="https://x.test/a.png"),
                Document(media_type="application/pdf", url="gs://b/f.pdf"),
            ],
        ),
        Message(
            role="assistant",
            content=[
                Thinking(text="hmm", signature="c2ln", provider="google"),
                Text(text="ok", signature="dA==", provider="google"),
                ToolCall(
                    id="v1",
                    name="f",
                    arguments={"x": [1, 2.5]},
                    signature="Zg==",
                    provider="google",
                ),
                ToolCall(id="v2", name="g", provider="google"),
            ],
        ),
        Message(
            role="tool",
            content=[
                ToolResult(tool_call_id="v1", name="f", content="done"),
                ToolResult(tool_call_id="v2", name="g", content='{"a":1}', is_error=True),
            ],
        ),
        Message(
            role="assistant",
            content=[Raw(provider="google", data={"executableCode": {"code": "1"}})],
        ),
    ]
    system, contents = google.messages_to_wire(messages)  # options default to Options()
    assert google.messages_from_wire(system, contents) == messages


def test_normalizations_are_the_documented_ones() -> None:
    messages = [
        Message(role="user", content=[Text(text="a")], name="ann", cache=True),
        Message(role="user", content=[Text(text="b")]),
        Message(
            role="assistant",
            provider="google",
            model="gemini-3.8-flash",
            content=[ToolCall(id="llmkit-gemini-r-0", name="f", provider="google")],
        ),
        Message(
            role="tool",
            content=[ToolResult(tool_call_id="llmkit-gemini-r-0", content=[Text(text="x")])],
        ),
        Message(role="user", content=[Text(text="more")]),
    ]
    back = google.messages_from_wire(*google.messages_to_wire(messages, Options()))
    assert back == [
        Message(role="user", content=[Text(text="a"), Text(text="b")]),
        Message(
            role="assistant",
            content=[ToolCall(id="llmkit-gemini-1-0", name="f", provider="google")],
        ),
        Message(
            role="user",
            content=[
                ToolResult(tool_call_id="llmkit-gemini-1-0", name="f", content="x"),
                Text(text="more"),
            ],
        ),
    ]


# ---- property: any Gemini contents round-trip ---------------------------------------

_text = st.text(max_size=8)
_sig = st.none() | st.sampled_from(["c2ln", "QUJD", "dGhvdWdodA=="])
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_name = st.sampled_from(["add", "mul", "get_weather"])


def _with(part: dict[str, Any], sig: str | None) -> dict[str, Any]:
    return {**part, "thoughtSignature": sig} if sig is not None else part


def _fc(name: str, args: dict[str, Any], id: str | None) -> dict[str, Any]:
    return {"name": name, "args": args, **({"id": id} if id else {})}


_said = st.text(min_size=1, max_size=8)  # an empty text part goes out only signed


def _sent(part: dict[str, Any]) -> bool:
    return part["text"] != "" or "thoughtSignature" in part


_model_part = st.one_of(
    st.builds(lambda t, s: _with({"text": t}, s), _text, _sig).filter(_sent),
    st.builds(lambda t, s: _with({"text": t, "thought": True}, s), _text, _sig).filter(_sent),
    st.builds(
        lambda n, a, i, s: _with({"functionCall": _fc(n, a, i)}, s),
        _name,
        st.dictionaries(_text, _json, max_size=3),
        st.none() | st.just("id7"),
        _sig,
    ),
    st.just({"executableCode": {"language": "PYTHON", "code": "print(1)"}}),
)
_user_part = st.one_of(
    st.builds(lambda t: {"text": t}, _said),
    st.builds(
        lambda n, r, i: {
            "functionResponse": {"name": n, "response": r, **({"id": i} if i else {})}
        },
        _name,
        st.dictionaries(st.sampled_from(["result", "error", "x"]), _json, max_size=2),
        st.none() | st.just("id7"),
    ),
    st.builds(
        lambda m, d: {"inlineData": {"mimeType": m, "data": d}},
        st.sampled_from(["image/png", "application/pdf", "video/mp4"]),
        st.just("AAAA"),
    ),
)


@st.composite
def _contents(draw: st.DrawFn) -> list[dict[str, Any]]:
    turns = draw(st.integers(1, 4))
    return [
        {
            "role": role,
            "parts": draw(
                st.lists(_model_part if role == "model" else _user_part, min_size=1, max_size=4)
            ),
        }
        for role in (["user", "model"] * turns)[:turns]
    ]


@given(_contents(), st.none() | st.builds(lambda t: {"parts": [{"text": t}]}, _said))
def test_any_alternating_contents_round_trip(
    contents: list[dict[str, Any]], system: dict[str, Any] | None
) -> None:
    roundtrip(contents, system)


def test_id_less_results_are_sent_in_call_order() -> None:
    """Gemini pairs id-less responses with calls by name and order, so results
    that came back out of order are put in call order, name by name."""
    body = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {
                            "functionCall": {"name": "weather", "args": {"city": "Porto"}},
                            "thoughtSignature": "c2ln",
                        },
                        {"functionCall": {"name": "time", "args": {}}},
                        {"functionCall": {"name": "weather", "args": {"city": "Faro"}}},
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "responseId": "r1",
    }
    turn = google.parse_response(json.dumps(body).encode()).message
    porto, clock, faro = (p for p in turn.content if isinstance(p, ToolCall))
    messages = [
        Message(role="user", content=[Text(text="weather and time?")]),
        turn,
        Message(role="tool", content=[ToolResult(tool_call_id=faro.id, content="rain")]),
        Message(role="tool", content=[ToolResult(tool_call_id=clock.id, content="12:00")]),
        Message(role="tool", content=[ToolResult(tool_call_id=porto.id, content="sun")]),
    ]
    _, contents = google.messages_to_wire(messages)
    assert contents[2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "weather", "response": {"result": "sun"}}},
            {"functionResponse": {"name": "time", "response": {"result": "12:00"}}},
            {"functionResponse": {"name": "weather", "response": {"result": "rain"}}},
        ],
    }
    back = google.messages_from_wire(None, contents)
    results = [p for p in back[2].content if isinstance(p, ToolResult)]
    calls = [p for p in back[1].content if isinstance(p, ToolCall)]
    assert [(r.tool_call_id, r.content) for r in results] == [
        (calls[0].id, "sun"),
        (calls[1].id, "12:00"),
        (calls[2].id, "rain"),
    ]


def test_empty_text_is_not_sent_unless_signed() -> None:
    """Gemini: 400 "Unable to submit request because it has an empty text parameter"."""
    system, contents = google.messages_to_wire([
        Message(role="system", content=[Text(text="")]),
        Message(role="user", content=[Text(text=""), Text(text="q")]),
        Message(role="assistant", content=[Text(text="")], provider="google"),
        Message(role="assistant", content=[Text(text="", signature="c2ln", provider="google")]),
        Message(role="user", content=[Text(text="")]),
    ])  # fmt: skip
    assert system is None
    assert contents == [
        {"role": "user", "parts": [{"text": "q"}]},
        {"role": "model", "parts": [{"text": "", "thoughtSignature": "c2ln"}]},
    ]
