"""The gateway's Chat Completions mapping as pure functions: any llmkit event
sequence folds into chunks that the openai SDK's own stream accumulator turns
back into the same text, tool calls, finish reason and usage; request bodies
map to llmkit arguments (table tests, no HTTP)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("openai")

from hypothesis import given
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from llmkit.server import openai_compat as oc
from llmkit.types import (
    Done,
    Finish,
    Finished,
    Image,
    Message,
    Reasoning,
    Response,
    ResponseFormat,
    StreamEvent,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolChoice,
    ToolResult,
    Usage,
    UsageUpdate,
)


@st.composite
def pieces(draw: st.DrawFn, whole: str) -> list[str]:
    """`whole` cut at arbitrary points."""
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(whole) - 1)), max_size=4)))
    edges = [0, *[c for c in cuts if c < len(whole)], len(whole)]
    return [whole[a:b] for a, b in itertools.pairwise(edges)] or [""]


text_st = st.text(st.characters(codec="utf-8"), max_size=20)
args_st = st.dictionaries(
    st.text(max_size=5), st.integers() | st.text(max_size=5) | st.booleans(), max_size=3
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[StreamEvent], Response]:
    """A stream as llmkit's folds emit it: each part's deltas in order, tool calls
    with their arguments streamed in pieces or only whole at the end, then usage,
    the finish and Done."""
    kinds = draw(st.lists(st.sampled_from(["text", "thinking", "call"]), max_size=6))
    events: list[StreamEvent] = []
    parts: list[Any] = []
    for i, kind in enumerate(kinds):
        if kind == "call":
            args = draw(args_st)
            raw = json.dumps(args)
            streamed = draw(st.booleans())
            # A call's own signature comes with calls that arrive whole (Gemini).
            signed = not streamed and draw(st.booleans())
            sig = {"signature": f"gsig-{i}", "provider": "google"} if signed else {}
            call = ToolCall(id=f"call_{i}", name=f"f{i}", arguments=args, raw_arguments=raw, **sig)
            events.append(ToolCallStart(index=i, id=call.id, name=call.name))
            if streamed:
                events += [ToolCallDelta(index=i, arguments=p) for p in draw(pieces(raw))]
            events.append(ToolCallEnd(index=i, call=call))
            parts.append(call)
        else:
            text = draw(text_st)
            delta = TextDelta if kind == "text" else ThinkingDelta
            events += [delta(index=i, text=p) for p in draw(pieces(text))]
            signed = kind == "thinking" and draw(st.booleans())
            sig = f"sig-{i}" if signed else None
            parts.append(
                Text(text=text)
                if kind == "text"
                else Thinking(text=text, signature=sig, provider="anthropic" if signed else None)
            )
    usage = Usage(input_tokens=draw(st.integers(0, 10**6)), output_tokens=draw(st.integers(0, 99)))
    # (the SDK's helper raises on length and content_filter: tested apart)
    reason = draw(st.sampled_from(["stop", "tool_calls"]))
    resp = Response(
        message=Message(role="assistant", content=parts), finish=Finish(reason=reason), usage=usage
    )
    events += [UsageUpdate(usage=usage), Finished(finish=resp.finish), Done(response=resp)]
    return events, resp


def sdk_final(events: list[StreamEvent], whole_calls: bool = False) -> Any:
    """What the openai SDK's `chat.completions.stream` helper accumulates."""
    s = oc.start(id="chatcmpl-1", created=1, model="m", include_usage=True, whole_calls=whole_calls)
    out = b""
    for ev in events:
        s, data = oc.step(s, ev)
        out += data
    frames = out.decode().split("\n\n")
    assert frames[-2:] == ["data: [DONE]", ""]
    state = ChatCompletionStreamState()
    for frame in frames[:-2]:
        assert frame.startswith("data: ")
        state.handle_chunk(ChatCompletionChunk.model_validate_json(frame[6:]))
    return state.get_final_completion()


@given(streams(), st.booleans())
def test_the_sdk_accumulates_what_llmkit_streamed(
    case: tuple[list[StreamEvent], Response], whole_calls: bool
) -> None:
    events, resp = case
    final = sdk_final(events, whole_calls)
    message = final.choices[0].message
    assert (message.content or "") == resp.text
    calls = message.tool_calls or []
    got = [(c.id.partition(".lk1.")[0], c.function.name, json.loads(c.function.arguments))
           for c in calls]  # fmt: skip
    assert got == [(c.id, c.name, c.arguments) for c in resp.tool_calls]
    # The client sends the turn back: llmkit gets its tool calls and signed thinking again.
    results = [{"role": "tool", "tool_call_id": c.id, "content": "ok"} for c in calls]
    history = [{"role": "user", "content": "Hi"}, message.model_dump(exclude_none=True), *results]
    back = oc.parse_request(json.dumps({"model": "m", "messages": history}).encode()).messages
    content = resp.message.content
    signed = [p for p in content if isinstance(p, Thinking) and p.signature]
    replayed = [
        p for p in back[1].content if isinstance(p, ToolCall) or getattr(p, "signature", None)
    ]
    # Streamed, signed thinking rides on the first call after thinking began.
    think = next((i for i, p in enumerate(content) if isinstance(p, Thinking)), len(content))
    if any(isinstance(p, ToolCall) for p in content[think:]):
        assert replayed == [*signed, *resp.tool_calls]
    elif calls:
        assert replayed == resp.tool_calls  # their own signatures included
    if calls:
        assert [r.content[0].tool_call_id for r in back[2:]] == [c.id for c in resp.tool_calls]
    # a turn with tool calls ends tool_calls, whatever the vendor said (Gemini says STOP)
    finish = "tool_calls" if resp.tool_calls else resp.finish.reason
    assert final.choices[0].finish_reason == finish
    assert final.usage is not None
    assert final.usage.prompt_tokens == resp.usage.input_tokens
    assert final.usage.completion_tokens == resp.usage.output_tokens


@pytest.mark.parametrize(
    ("reason", "word"),
    [("length", "length"), ("content_filter", "content_filter"), ("other", "stop")],
)
def test_finish_words(reason: Any, word: str) -> None:
    resp = Response(message=Message(role="assistant"), finish=Finish(reason=reason))
    start = oc.start(id="x", created=1, model="m", include_usage=False)
    _, out = oc.step(start, Done(response=resp))
    last = json.loads(out.decode().split("\n\n")[-3][6:])
    assert last["choices"][0]["finish_reason"] == word
    assert (
        json.loads(oc.completion_body(resp, id="x", created=1, model="m"))["choices"][0][
            "finish_reason"
        ]
        == word
    )


def test_no_usage_chunk_unless_asked() -> None:
    resp = Response(message=Message(role="assistant", content=[Text(text="hi")]))
    s = oc.start(id="x", created=1, model="m", include_usage=False)
    out = b""
    for ev in (TextDelta(index=0, text="hi"), Done(response=resp)):
        s, data = oc.step(s, ev)
        out += data
    chunks = [json.loads(f[6:]) for f in out.decode().split("\n\n")[:-2]]
    assert all(c["choices"] and "usage" not in c for c in chunks)


# ---- requests -------------------------------------------------------------------------


def body(**kw: Any) -> bytes:
    hi = [{"role": "user", "content": "Hi"}]
    return json.dumps({"model": "m", "messages": hi, **kw}).encode()


PNG = "iVBORw0KGgo="


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        ({"max_tokens": 5}, lambda c: c.options["max_tokens"] == 5),
        ({"max_tokens": 5, "max_completion_tokens": 9}, lambda c: c.options["max_tokens"] == 9),
        ({"stop": "END"}, lambda c: c.options["stop"] == ["END"]),
        ({"seed": 3, "top_p": 0.5}, lambda c: (c.options["seed"], c.options["top_p"]) == (3, 0.5)),
        ({"reasoning_effort": "low"}, lambda c: c.options["reasoning"] == Reasoning(effort="low")),
        ({"response_format": {"type": "json_object"}},
         lambda c: c.options["response_format"] == ResponseFormat()),
        ({"response_format": {"type": "json_schema", "json_schema": {
            "name": "p", "schema": {"type": "object"}, "strict": True}}},
         lambda c: c.options["response_format"]
         == ResponseFormat(schema={"type": "object"}, name="p")),
        ({"response_format": {"type": "text"}}, lambda c: "response_format" not in c.options),
        ({"tool_choice": "required"}, lambda c: c.tool_choice == ToolChoice(mode="required")),
        ({"tool_choice": {"type": "function", "function": {"name": "f"}},
          "parallel_tool_calls": False},
         lambda c: c.tool_choice == ToolChoice(mode="tool", name="f", parallel=False)),
        ({"parallel_tool_calls": True}, lambda c: c.tool_choice == ToolChoice(parallel=True)),
        ({"stream": True}, lambda c: c.stream and not c.include_usage),
        ({"stream": True, "stream_options": {"include_usage": True}}, lambda c: c.include_usage),
        ({"user": "u", "metadata": {"a": "b"}, "store": False}, lambda c: c.options == {}),
    ],
)  # fmt: skip
def test_request_fields_map_to_llmkit(fields: dict[str, Any], check: Any) -> None:
    assert check(oc.parse_request(body(**fields)))


def test_messages_in_openai_shape() -> None:
    call = oc.parse_request(
        body(
            messages=[
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "Look"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "f", "arguments": '{"a": 1}'}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
            ],
            tools=[{"type": "function",
                    "function": {"name": "f", "parameters": {"type": "object"}}}],
        )
    )  # fmt: skip
    system, user, assistant, tool = call.messages
    assert system == Message(role="system", content=[Text(text="Be brief.")])
    assert user.content == [Text(text="Look"), Image(media_type="image/png", data=PNG)]
    (tc,) = assistant.content
    assert isinstance(tc, ToolCall) and (tc.id, tc.name, tc.arguments) == ("call_1", "f", {"a": 1})
    assert tc.raw_arguments == '{"a": 1}'
    assert tool.content == [ToolResult(tool_call_id="call_1", content="ok")]
    assert [t.name for t in call.tools] == ["f"]


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (body(n=3), "n"),
        (body(logit_bias={"1": 2}), "logit_bias"),
        (body(tools=[{"type": "custom", "custom": {"name": "x"}}]), "tools[0].type"),
        (body(tool_choice={"type": "allowed_tools"}), "tool_choice"),
        (body(response_format={"type": "json_schema"}), "response_format"),
        (body(messages=[]), "messages"),
        (body(messages=[{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]),
         "messages[0].content"),
        (body(temperature="hot"), "temperature"),
    ],
)  # fmt: skip
def test_bad_requests_name_the_param(raw: bytes, param: str) -> None:
    with pytest.raises(oc.BadParam) as e:
        oc.parse_request(raw)
    assert e.value.param == param and e.value.status == 400


def test_error_envelope_passes_vendor_status_through() -> None:
    from llmkit.errors import RateLimited, UnknownModel
    from llmkit.registry import current

    status, raw = oc.error_body(RateLimited("slow", provider="anthropic", status=429), current())
    assert status == 429
    assert json.loads(raw)["error"]["type"] == "rate_limit_error"
    status, raw = oc.error_body(UnknownModel("zz", known=()), current())
    assert status == 404 and json.loads(raw)["error"]["code"] == "model_not_found"
