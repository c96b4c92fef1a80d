"""Hypothesis builders for llmkit's unified types."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import msgspec
from hypothesis import strategies as st

import llmkit
from llmkit.structured import split_options
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
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
    Usage,
)

# what a part can be stamped with: the vendor that made it
PROVIDERS = st.sampled_from(
    list(
        dict.fromkeys(
            llmkit.registry.wire(ep).NAME for ep in llmkit.registry.DEFAULT.endpoints.values()
        )
    )
)
text = st.text(max_size=40)
ident = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
b64 = st.binary(max_size=24).map(lambda b: __import__("base64").b64encode(b).decode())
opt = st.none() | text

json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10)
json_value: st.SearchStrategy[Any] = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
json_object = st.dictionaries(st.text(max_size=8), json_value, max_size=4)

texts = st.builds(
    Text,
    text=text,
    signature=st.none() | b64,
    citations=st.none() | st.lists(json_object, max_size=2),
    provider=st.none() | PROVIDERS,
)
images = st.one_of(
    st.builds(Image, media_type=st.sampled_from(["image/png", "image/jpeg"]), data=b64),
    st.builds(Image, url=st.just("https://example.com/cat.png")),
)
documents = st.one_of(
    st.builds(Document, data=b64, title=st.none() | text),
    st.builds(Document, url=st.just("https://example.com/a.pdf")),
)
tool_calls = st.builds(
    ToolCall,
    id=ident,
    name=ident,
    arguments=json_object,
    raw_arguments=st.none() | text,
    error=st.none() | text,
    signature=st.none() | b64,
    provider=st.none() | PROVIDERS,
)
tool_results = st.builds(
    ToolResult,
    tool_call_id=ident,
    content=text | st.lists(texts | images, max_size=2),
    name=st.none() | ident,
    is_error=st.booleans(),
)
thinking = st.builds(
    Thinking,
    text=text,
    signature=st.none() | b64,
    redacted=st.none() | b64,
    provider=st.none() | PROVIDERS,
)
raws = st.builds(Raw, provider=PROVIDERS, data=json_object)
parts: st.SearchStrategy[Part] = st.one_of(
    texts, images, documents, tool_calls, tool_results, thinking, raws
)
messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    content=st.lists(parts, max_size=4),
    name=st.none() | ident,
    cache=st.booleans(),
    provider=st.none() | PROVIDERS,
    model=st.none() | ident,
)
tools = st.builds(Tool, name=ident, description=text, parameters=json_object)
counts = st.integers(0, 10**7)
usages = st.builds(
    Usage,
    input_tokens=counts,
    output_tokens=counts,
    cache_read_tokens=counts,
    cache_write_tokens=counts,
    reasoning_tokens=counts,
)


# ---- well-formed requests (tests/test_request_validity.py) -----------------------
#
# Conversations a caller could really send: every tool call answered, tools made
# by @llmkit.tool from Python functions, structured output from generated Struct
# types, options across their range. What varies is what real histories carry:
# whitespace-only texts, other vendors' ids and thinking, media, cache marks.


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


class Leg(msgspec.Struct, kw_only=True):
    origin: str
    destination: str
    date: str | None = None


class Trip(msgspec.Struct, kw_only=True):
    """A trip of one or more legs."""

    legs: list[Leg]
    travellers: int = 1
    notes: str | None = None


class Node(msgspec.Struct, kw_only=True):
    name: str
    children: list[Node] = []


def get_weather(city: str, unit: Unit = Unit.C) -> str:
    """The current weather in a city.

    Args:
        city: The city's name.
        unit: Temperature unit.
    """
    return city


def search(
    query: Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="What to find")],
    limit: Annotated[int, msgspec.Meta(ge=1, le=10, description="Hits wanted, 1 to 10")] = 5,
    site: str | None = None,
) -> str:
    """Search the web."""
    return query


def book(trip: Trip, confirm: bool = False) -> str:
    """Book a trip."""
    return "ok"


def code(airport: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")], mode: Literal["arr", "dep"]
         ) -> str:  # fmt: skip
    """Flights at an airport."""
    return airport


def tag(items: list[str], labels: dict[str, str] | None = None) -> str:
    """Tag items."""
    return ""


def outline(root: Node) -> str:
    """Store an outline."""
    return root.name


def now() -> str:
    """The time."""
    return ""


FUNCTION_TOOLS = [llmkit.tool(f) for f in (get_weather, search, book, code, tag, outline, now)]
TOOL_NAMES = [t.name for t in FUNCTION_TOOLS]

request_tools = st.lists(
    st.builds(
        lambda t, strict, cache: msgspec.structs.replace(t.spec, strict=strict, cache=cache),
        st.sampled_from(FUNCTION_TOOLS),
        st.sampled_from([None, None, True, False]),
        st.booleans(),
    ),
    max_size=4,
    unique_by=lambda t: t.name,
)

# Ids as other endpoints make them: Claude, OpenAI, Responses item|call pairs,
# OpenAI-compatible servers (`functions.name:0`), CLIs (`Bash:12`), llmkit's own
# Gemini ids, long ones, non-ASCII.
FOREIGN_IDS = st.sampled_from([
    "toolu_01A09q90qw90lq917835lq9", "call_abc123", "call_Wv1sYp7hPq4x0eM2nQ3r8TzK",
    "fc_68e1b7c2a9f48190|call_Q2x", "functions.get_weather:0", "Bash:12", "tool.call.3",
    "llmkit-gemini-resp9-0", "6f1c8a2e-3b9d-4f7a-9c1e-0d2b4a6c8e1f", "x" * 41, "call_" + "9" * 60,
    "呼叫-1", "id with spaces",
])  # fmt: skip
_MODEL_OF = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-5", "xai": "grok-4.7",
             "google": "gemini-3.8-flash"}  # fmt: skip
VENDORS = st.sampled_from(list(_MODEL_OF))
_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)
_PDF = "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg=="

call_arguments = st.sampled_from([{}, {"city": "Paris"}, {"query": "weather", "limit": 3},
                                  {"trip": {"legs": [{"origin": "CDG", "destination": "JFK"}]}},
                                  {"n": 1.5, "flag": True, "none": None, "ü": ["x"]}])  # fmt: skip
words = st.sampled_from(["Hello.", "What's the weather in Paris?", "Use the tool.", "Thanks!",
                         "Ünïcödé ✓", "a" * 300])  # fmt: skip
blank = st.sampled_from(["", " ", "\n\n", "\t \n"])
user_parts = st.builds(
    lambda first, rest: [first, *rest],
    words.map(lambda t: Text(text=t)),
    st.lists(
        st.one_of(
            words.map(lambda t: Text(text=t)),
            blank.map(lambda t: Text(text=t)),
            st.sampled_from(["image/png", "image/jpeg", "image/webp", "image/gif"]).map(
                lambda m: Image(media_type=m, data=_PNG)
            ),
            st.sampled_from(
                [
                    Image(url="https://example.com/cat.png"),
                    Document(data=_PDF, title="report.pdf"),
                    Document(data=_PDF),
                    Document(media_type="text/plain", data="aGVsbG8gd29ybGQ="),
                ]
            ),
            st.sampled_from(
                [Text(text="See the link.")] * 4 + [Document(url="https://example.com/a.pdf")]
            ),
        ),
        max_size=2,
    ),
).flatmap(st.permutations)


# Tool results with an image are rarer: Chat Completions has no place for one.
_RESULT_PARTS = [[Text(text="42")]] * 3 + [[Text(text="Here:"), Image(media_type="image/png",
                                                                      data=_PNG)]]  # fmt: skip


@st.composite
def assistant_turn(draw: st.DrawFn, tool_names: list[str]) -> list[Message]:
    """One assistant message (maybe with thinking and tool calls, stamped by the
    vendor that made it) and, when it called tools, the results of every call."""
    vendor = draw(VENDORS)
    parts: list[Part] = []
    if draw(st.booleans()):
        signed = draw(st.booleans())
        parts.append(Thinking(text=draw(words | blank), provider=vendor,
                              signature=draw(b64) if signed else None))  # fmt: skip
    if draw(st.booleans()):
        parts.append(Thinking(redacted=draw(b64), provider="anthropic"))
    if draw(st.booleans()) or not tool_names:
        sig = draw(st.none() | b64) if vendor == "google" else None
        stamp = vendor if sig else None
        parts.append(Text(text=draw(words | blank), signature=sig, provider=stamp))
    calls = []
    for k in range(draw(st.integers(0, 2)) if tool_names else 0):
        id_ = draw(FOREIGN_IDS) + (f"_{k}" if k else "")
        sig = draw(st.none() | b64) if vendor == "google" and not k else None
        calls.append(ToolCall(id=id_, name=draw(st.sampled_from(tool_names)),
                              arguments=draw(call_arguments), signature=sig,
                              provider=vendor))  # fmt: skip
    parts += calls
    turn = [Message(role="assistant", content=parts, provider=vendor, model=_MODEL_OF[vendor],
                    cache=draw(st.booleans()))]  # fmt: skip
    if calls:
        results: list[Part] = [
            ToolResult(tool_call_id=c.id, name=c.name, is_error=draw(st.booleans()),
                       content=draw(words | blank | st.lists(words.map(lambda t: Text(text=t)),
                                    min_size=1, max_size=2) | st.sampled_from(_RESULT_PARTS)))
            for c in calls
        ]  # fmt: skip
        turn.append(Message(role="tool", content=results, cache=draw(st.booleans())))
    return turn


@st.composite
def conversations(draw: st.DrawFn, tool_names: list[str],
                  histories: st.SearchStrategy[list[Message]] | None = None,
                  ) -> list[Message]:  # fmt: skip
    """System text, then user turns each maybe answered by an assistant turn,
    ending on the user's side (rarely, on an assistant prefill). `histories`
    (e.g. parsed vendor fixtures) may stand in for generated turns."""
    out: list[Message] = []
    if draw(st.booleans()):
        out.append(Message(role="system", content=[Text(text=draw(words | blank))],
                           cache=draw(st.booleans())))  # fmt: skip
    for _ in range(draw(st.integers(1, 3))):
        out.append(Message(role="user", content=draw(user_parts), cache=draw(st.booleans())))
        if histories is not None and draw(st.integers(0, 3)) == 0:
            out += draw(histories)
        elif draw(st.booleans()):
            out += draw(assistant_turn(tool_names))
    last = out[-1].role
    # 5, not 0: hypothesis draws 0 far above 1/10 (one conversation in six ended
    # on a prefill, Claude 4.6+ refuses it, and the validity check built too few).
    prefill = last == "assistant" and draw(st.integers(0, 9)) == 5
    if (last == "assistant" and not prefill) or (last == "tool" and draw(st.booleans())):
        out.append(Message(role="user", content=[Text(text=draw(words))]))
    return out


_FIELD_TYPES: list[Any] = [int, str, float, bool, list[int], list[str], str | None,
                           Literal["a", "b"], Unit, Leg, list[Leg], dict[str, int],
                           Annotated[int, msgspec.Meta(ge=0, le=100)],
                           Annotated[str, msgspec.Meta(max_length=20)]]  # fmt: skip
_DEFAULTS = {int: 0, str: "", float: 0.0, bool: False, str | None: None}


@st.composite
def struct_types(draw: st.DrawFn) -> type:
    """A Struct type to ask for as structured output: nested Structs, Optional,
    defaults, lists, dicts, enums, Literal, constrained numbers and strings."""
    names = draw(st.lists(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), min_size=1,
                          max_size=4, unique=True))  # fmt: skip
    fields: list[Any] = []
    for n in names:
        tp = draw(st.sampled_from(_FIELD_TYPES))
        if tp in _DEFAULTS and draw(st.booleans()):
            fields.append((n, tp, _DEFAULTS[tp]))
        else:
            fields.insert(0, (n, tp))
    return msgspec.defstruct(draw(st.sampled_from(["Answer", "Weather", "Report"])), fields,
                             kw_only=True)  # fmt: skip


response_formats = st.one_of(
    st.none(),
    st.none(),
    struct_types().map(lambda t: split_options({"response_format": t})[0]["response_format"]),
    st.just(ResponseFormat()),  # JSON mode, no schema
    st.just(ResponseFormat(name="answer", schema={
        "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
        "additionalProperties": False})),  # a hand-written schema
)  # fmt: skip


def _mostly_none(values: list[Any], weight: int = 3) -> st.SearchStrategy[Any]:
    """None `weight` times as often as each value: options a caller rarely sets,
    so that most generated requests are ones a model can serve."""
    return st.sampled_from([None] * weight * len(values) + values)


reasonings = st.none() | st.builds(
    Reasoning,
    effort=st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh", "max", None]),
    budget=_mostly_none([0, 512, 1024, 2048, 8192, 32768], 2),
    include=st.booleans(),
)
request_options = st.builds(
    Options,
    max_tokens=st.none() | st.sampled_from([16, 1024, 4096, 32000, 64000]),
    temperature=_mostly_none([0.0, 0.7, 1.0, 1.5]),
    top_p=_mostly_none([0.5, 0.95, 1.0]),
    stop=st.sampled_from([[]] * 6 + [["\n\nHuman:"], ["END", "STOP"]]),
    seed=_mostly_none([42], 6),
    reasoning=reasonings,
    response_format=response_formats,
    foreign_thinking=st.sampled_from(["drop", "text"]),
)


@st.composite
def chat_requests(draw: st.DrawFn, models: list[str],
                  histories: st.SearchStrategy[list[Message]] | None = None,
                  ) -> ChatRequest:  # fmt: skip
    """A request for one of `models`, as a caller of llmkit could make it."""
    tools = draw(request_tools)
    names = [t.name for t in tools] or draw(st.sampled_from([[], TOOL_NAMES]))
    # Without tools a choice is rare and never a named one (that is the caller's error).
    modes = ["auto", "none", "required", "tool"] if tools else [None] * 9 + ["auto", "none"]
    mode = draw(st.sampled_from([None, *modes]))
    choice = None if mode is None else ToolChoice(
        mode=mode, name=draw(st.sampled_from(names)) if mode == "tool" else None,
        parallel=draw(_mostly_none([True, False], 1)))  # fmt: skip
    return ChatRequest(
        model=draw(st.sampled_from(models)),
        messages=draw(conversations(names, histories)),
        tools=tools,
        tool_choice=choice,
        options=draw(request_options),
        stream=draw(st.booleans()),
    )
