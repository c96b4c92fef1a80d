"""Vertex's streamed function-call arguments (`partialArgs`): tool-call start,
argument deltas that concatenate to the arguments' JSON, end; for the corpus
recording, a fixture in the exact shape, and any JSON arguments hypothesis
draws, split anywhere."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

import llmkit
from llmkit.errors import DecodeError
from llmkit.protocols import Sse
from llmkit.providers import google
from llmkit.providers.google import _partial_args as pa
from llmkit.types import Done, ToolCallDelta, ToolCallEnd, ToolCallStart
from tests import replay
from tests.routes import helpers as h

CORPUS_FILE = "vertex-gemini/ver_partial_args_array_missing_terminal_stream.sse"
FIXTURE = replay.FIXTURES / "vertex-gemini" / "partial_args_nested.sse"


def _calls(events: list[Any]) -> list[tuple[ToolCallStart, str, ToolCallEnd]]:
    """Each call's start, its deltas joined, its end; checking they nest."""
    out, open_, text = [], None, ""
    for ev in events:
        if isinstance(ev, ToolCallStart):
            assert open_ is None
            open_, text = ev, ""
        elif isinstance(ev, ToolCallDelta):
            assert open_ is not None and ev.index == open_.index
            text += ev.arguments
        elif isinstance(ev, ToolCallEnd):
            assert open_ is not None and ev.index == open_.index
            out.append((open_, text, ev))
            open_ = None
    assert open_ is None
    return out


def test_the_fixture_streams_calls() -> None:
    events = h.stream("vertex:gemini-3-flash-preview", FIXTURE.read_bytes())
    calls = _calls(events)
    assert [c[0].name for c in calls] == ["book", "ping", "confirm"]
    book = calls[0][2].call
    assert book.arguments == {
        "trip": {
            "city": 'San "Francisco"\n☀',
            "legs": [{"day": 3, "price": 12.5}, {"day": 4, "seat class": ""}],
        },
        "refundable": False,
        "note": None,
    }
    assert book.signature == "c2lnbmF0dXJlLWZpeHR1cmU="
    for _, text, end in calls:
        assert json.loads(text) == end.call.arguments
    assert calls[1][2].call.arguments == {} and calls[2][2].call.arguments == {}
    done = replay.done(events)
    assert [replace(c, provider="google") for c in done.tool_calls] == [c[2].call for c in calls]
    assert done.finish.reason == "tool_calls" and done.text == "Booking both."
    assert len({c[0].id for c in calls}) == 3


def test_the_corpus_recording_without_a_close() -> None:
    if not (h.CORPUS / CORPUS_FILE).exists():
        pytest.skip("no corpus")
    events = h.stream("vertex:gemini-3-flash-preview", h.read(CORPUS_FILE))
    [(start, text, end)] = _calls(events)
    assert start.name == "writeItems" and json.loads(text) == end.call.arguments
    assert end.call.arguments["operations"][1] == {
        "action": "add",
        "description": "Ripe yellow banana",
        "itemid": "banana_001",
        "price": 0.3,
    }


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("$.a", ("a",)),
        ("$.a.b[0].c", ("a", "b", 0, "c")),
        ("$.operations[12].price", ("operations", 12, "price")),
        ("$['seat class']", ("seat class",)),
        ('$["it\'s"][1]', ("it's", 1)),
        ("$['a\\'b']", ("a'b",)),
    ],
)
def test_json_paths(path: str, keys: tuple[Any, ...]) -> None:
    assert pa.parse_path(path) == keys


@pytest.mark.parametrize("path", ["a.b", "$", "$[0]", "$.a[", "$..a"])
def test_unreadable_paths_are_decode_errors(path: str) -> None:
    with pytest.raises(DecodeError):
        pa.parse_path(path)


# ---- any arguments, any split ------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][\w-]*\Z")
keys = st.text(st.sampled_from("ab_ 'x\\-é"), min_size=1, max_size=4)
fractions = st.floats(allow_nan=False, allow_infinity=False, width=32).filter(
    lambda f: not f.is_integer()
)
leaf = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | fractions | st.text(max_size=12)
values = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=10,
)
arguments = st.dictionaries(keys, values, min_size=0, max_size=4)


def _step_name(k: Any) -> str:
    if isinstance(k, int):
        return f"[{k}]"
    if _IDENT.match(k):
        return f".{k}"
    return "['" + k.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _leaves(v, (*path, i))]
    return [(path, value)]


def _parts(args: dict[str, Any], cuts: Any, close: bool) -> list[dict[str, Any]]:
    """The functionCall parts Vertex would send for `args`."""
    parts: list[dict[str, Any]] = [{"name": "f", "willContinue": True}]
    for path, v in _leaves(args):
        jp = "$" + "".join(map(_step_name, path))
        if isinstance(v, str):
            at = cuts(len(v))
            frags = [v[a:b] for a, b in zip([0, *at], [*at, len(v)], strict=True)] + [""]
            entries = [{"jsonPath": jp, "stringValue": f, "willContinue": True} for f in frags[:-1]]
            entries.append({"jsonPath": jp, "stringValue": ""})
        elif v is None:
            entries = [{"jsonPath": jp, "nullValue": "NULL_VALUE"}]
        elif isinstance(v, bool):
            entries = [{"jsonPath": jp, "boolValue": v}]
        else:
            entries = [{"jsonPath": jp, "numberValue": v}]
        parts += [{"partialArgs": [e], "willContinue": True} for e in entries]
    if close:
        parts.append({})
    elif len(parts) == 1:  # no arguments and no close: the call comes whole
        parts = [{"name": "f"}]
    else:  # the last argument part ends the call (seen in recorded Vertex traffic, May 2026)
        parts[-1] = {"partialArgs": parts[-1]["partialArgs"]}
    return parts


def _fold(fcs: list[dict[str, Any]]) -> list[Any]:
    s, out = google.start(None), []  # type: ignore[arg-type]
    for fc in fcs:
        s, evs = google.step(
            s,
            Sse(data=json.dumps({"candidates": [{"content": {"parts": [{"functionCall": fc}]}}]})),
        )
        out += evs
    s, evs = google.step(s, Sse(data=json.dumps({"candidates": [{"finishReason": "STOP"}]})))
    return out + evs + google.finish(s)


@given(arguments, st.data(), st.booleans())
def test_any_arguments_stream_back_whole(args: dict[str, Any], data: Any, close: bool) -> None:
    def cuts(n: int) -> list[int]:
        return sorted(set(data.draw(st.lists(st.integers(0, n), max_size=3))))

    events = _fold(_parts(args, cuts, close))
    [(start, text, end)] = _calls(events)
    assert start.name == "f"
    assert end.call.arguments == args
    assert json.loads(text) == args
    assert isinstance(events[-1], Done) and events[-1].response.tool_calls == [end.call]


@llmkit.tool
def book(trip: dict[str, Any], refundable: bool = True, note: str | None = None) -> str:
    """Book a trip."""
    return "booked"


def _function_calling(seen: list[httpx.Request]) -> Any:
    return json.loads(seen[0].content).get("toolConfig", {}).get("functionCallingConfig", {})


def test_the_option_asks_vertex_to_stream_arguments() -> None:
    """`stream_tool_arguments=True` on a streamed call with tools sets the
    field, and the stream it asks for folds into whole calls."""
    seen: list[httpx.Request] = []
    events = h.stream(
        "vertex:gemini-3-flash-preview", FIXTURE.read_bytes(), seen=seen,
        tools=[book], tool_choice="book", stream_tool_arguments=True,
    )  # fmt: skip
    assert _function_calling(seen) == {
        "mode": "ANY",
        "allowedFunctionNames": ["book"],
        "streamFunctionCallArguments": True,
    }
    assert [c[0].name for c in _calls(events)] == ["book", "ping", "confirm"]


def test_the_option_is_sent_only_where_vertex_takes_it() -> None:
    gemini = (replay.FIXTURES / "google" / "text.json").read_bytes()
    never: list[httpx.Request] = []
    # a plain call: Vertex refuses the field on generateContent
    h.chat("vertex:gemini-2.5-flash", gemini, seen=never, tools=[book], stream_tool_arguments=True)
    # no tools: nothing to stream
    h.stream(
        "vertex:gemini-2.5-flash", FIXTURE.read_bytes(), seen=never, stream_tool_arguments=True
    )
    assert [_function_calling([r]) for r in never] == [{}, {}]
    # the Gemini API has no such field: there the option changes nothing
    plain: list[httpx.Request] = []
    h.stream("google:gemini-2.5-flash", (replay.FIXTURES / "google" / "text.sse").read_bytes(),
             seen=plain, api_key="AIza-test-key-not-real", tools=[book],
             stream_tool_arguments=True)  # fmt: skip
    assert "streamFunctionCallArguments" not in plain[0].content.decode()
