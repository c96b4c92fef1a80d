"""Where each provider sends a schema, in which dialect, and how the answer
comes back: `response_format=SomeStruct` (the README's Weather), strict and
plain tools, and what happens to a schema a dialect cannot express. Requests
go through the real transport (httpx.MockTransport); answers are made in the
vendors' recorded shapes (tests/vendor_bodies.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import httpx
import msgspec
import pytest

import llmkit
from llmkit.errors import Unsupported
from llmkit.types import Tool
from tests.replay import TEST_KEY, sent_json, transport
from tests.vendor_bodies import reply

MODELS = {
    "openai": "gpt-4o",  # Responses
    "xai": "grok-4.7",  # Responses
    "openai-chat": "openai-chat:gpt-4o",  # Chat Completions
    "xai-chat": "xai-chat:grok-4.7",
    "anthropic": "claude-sonnet-4-5",
    "google": "gemini-2.5-flash",
}
KEYS = ("OPENAI_API_KEY", "XAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in KEYS:
        monkeypatch.setenv(k, TEST_KEY)


class Weather(msgspec.Struct):
    city: str
    celsius: int


def chat(vendor: str, answer: str | None = None, calls: Any = None, **kw: Any) -> tuple[Any, Any]:
    """The response and the JSON body sent, for one call to `vendor`."""
    seen: list[httpx.Request] = []
    body = reply(vendor, answer, calls)
    with httpx.Client(transport=transport(body, seen=seen)) as client:
        r = llmkit.chat_sync(MODELS[vendor], "Weather in Paris as JSON", http_client=client, **kw)
    return r, sent_json(seen)


WEATHER_CLOSED = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "celsius": {"type": "integer"}},
    "required": ["city", "celsius"],
    "additionalProperties": False,
}


def _format(vendor: str, sent: dict[str, Any]) -> dict[str, Any]:
    """The json_schema format sent by an OpenAI-shaped wire: name, schema, strict."""
    fmt: dict[str, Any] = _schema_sent(vendor, sent)
    return fmt if vendor in ("openai", "xai") else fmt["json_schema"]


def _function(vendor: str, sent: dict[str, Any], i: int = 0) -> dict[str, Any]:
    """Tool `i` as an OpenAI-shaped wire sends it: parameters, strict (flat on
    Responses, under `function` on Chat Completions)."""
    tool: dict[str, Any] = sent["tools"][i]
    return tool if vendor in ("openai", "xai") else tool["function"]


def _schema_sent(vendor: str, sent: dict[str, Any]) -> Any:
    if vendor in ("openai", "xai"):
        return sent["text"]["format"]
    if vendor in ("openai-chat", "xai-chat"):
        return sent["response_format"]
    if vendor == "anthropic":
        return sent["output_config"]
    return sent["generationConfig"]


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        ("openai", {"type": "json_schema", "name": "Weather", "schema": WEATHER_CLOSED,
                    "strict": True}),
        ("xai", {"type": "json_schema", "name": "Weather", "schema": WEATHER_CLOSED,
                 "strict": True}),
        ("openai-chat", {"type": "json_schema",
                         "json_schema": {"name": "Weather", "schema": WEATHER_CLOSED,
                                         "strict": True}}),
        ("xai-chat", {"type": "json_schema",
                      "json_schema": {"name": "Weather", "schema": WEATHER_CLOSED,
                                      "strict": True}}),
        ("anthropic", {"format": {"type": "json_schema", "schema": WEATHER_CLOSED}}),
        ("google", {"responseMimeType": "application/json", "responseJsonSchema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "celsius": {"type": "integer"}},
            "required": ["city", "celsius"],
        }}),
    ],
)  # fmt: skip
def test_readme_weather(vendor: str, expected: dict[str, Any]) -> None:
    r, sent = chat(vendor, '{"city": "Paris", "celsius": 14}', response_format=Weather)
    assert _schema_sent(vendor, sent) == expected
    assert r.parsed == Weather(city="Paris", celsius=14)


class Reading(msgspec.Struct):
    city: str
    celsius: int = 0
    unit: Literal["C", "F"] = "C"
    note: str | None = None
    tags: list[str] = []


@pytest.mark.parametrize("vendor", ["openai", "openai-chat"])
def test_openai_strict_optional_fields_are_required_and_nullable(vendor: str) -> None:
    answer = '{"city": "Oslo", "celsius": null, "unit": null, "note": null, "tags": null}'
    r, sent = chat(vendor, answer, response_format=Reading)
    assert _format(vendor, sent)["schema"] == {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "celsius": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "unit": {"anyOf": [{"enum": ["C", "F"]}, {"type": "null"}]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
        },
        "required": ["city", "celsius", "unit", "note", "tags"],
        "additionalProperties": False,
    }
    assert r.parsed == Reading(city="Oslo")  # each null is the field's default


def test_openai_strict_nulls_in_a_stream_decode_to_defaults() -> None:
    seen: list[httpx.Request] = []
    answer = '{"city": "Oslo", "celsius": 3, "unit": null, "note": null, "tags": ["x"]}'
    with httpx.Client(transport=transport(reply("openai", answer, stream=True), seen=seen)) as c:
        events = list(llmkit.stream_sync("gpt-4o", "q", http_client=c, response_format=Reading))
    done = events[-1]
    assert isinstance(done, llmkit.Done)
    assert done.response.parsed == Reading(city="Oslo", celsius=3, tags=["x"])


def test_a_null_for_a_required_field_is_still_an_error() -> None:
    with pytest.raises(llmkit.StructuredOutputError, match="Expected `str`"):
        chat("openai", '{"city": null, "celsius": 1}', response_format=Weather)


class Inventory(msgspec.Struct):
    counts: dict[str, int]


INVENTORY = {
    "type": "object",
    "properties": {"counts": {"type": "object", "additionalProperties": {"type": "integer"}}},
    "required": ["counts"],
}


@pytest.mark.parametrize("vendor", ["openai", "xai", "openai-chat", "xai-chat"])
def test_a_dict_is_sent_as_given_without_strict(vendor: str) -> None:
    r, sent = chat(vendor, '{"counts": {"a": 1}}', response_format=Inventory)
    fmt = _format(vendor, sent)
    assert (fmt["schema"], fmt["strict"]) == (INVENTORY, False)
    assert r.parsed == Inventory(counts={"a": 1})


def test_claude_takes_a_dict_through_a_forced_tool() -> None:
    calls = [("toolu_1", "Inventory", {"counts": {"a": 1}})]
    r, sent = chat("anthropic", None, calls, response_format=Inventory)
    assert "output_config" not in sent
    assert sent["tools"] == [
        {"name": "Inventory", "description": "Give the answer in this shape.",
         "input_schema": INVENTORY},
    ]  # fmt: skip
    assert sent["tool_choice"] == {"type": "tool", "name": "Inventory"}
    assert r.parsed == Inventory(counts={"a": 1})


def test_claude_refuses_a_dict_while_thinking_before_any_io() -> None:
    with pytest.raises(Unsupported, match="dict"):
        chat("anthropic", "{}", response_format=Inventory, reasoning={"budget": 2000})


def test_strict_tools_that_cannot_be_strict_are_refused_before_any_io() -> None:
    tool = Tool(name="count", parameters=msgspec.json.schema(Inventory), strict=True)
    for vendor in ("openai", "openai-chat", "anthropic"):
        with pytest.raises(Unsupported, match=r"strict tool 'count'.*dict"):
            chat(vendor, "ok", tools=[tool])


class Place(msgspec.Struct, frozen=True):
    city: str
    country: str | None = None


def forecast(place: Place, days: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1) -> str:
    """Forecast for a place."""
    return f"{place.city}: {days}"


@pytest.mark.parametrize("vendor", ["openai", "openai-chat"])
def test_strict_tool_schemas_per_vendor(vendor: str) -> None:
    spec = llmkit.tool(forecast).spec
    strict = msgspec.structs.replace(spec, strict=True)
    _, sent = chat(vendor, "ok", tools=[strict])
    params = _function(vendor, sent)["parameters"]
    assert params["properties"]["days"] == {
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": 10}, {"type": "null"}]
    }
    assert params["required"] == ["place", "days"] and _function(vendor, sent)["strict"]
    _, sent = chat("anthropic", "ok", tools=[strict])
    schema = sent["tools"][0]["input_schema"]
    assert schema["properties"]["days"] == {
        "type": "integer", "description": "{minimum: 1, maximum: 10, default: 1}"
    }  # fmt: skip
    assert schema["required"] == ["place"] and schema["additionalProperties"] is False


@pytest.mark.parametrize(("openai", "xai"), [("openai", "xai"), ("openai-chat", "xai-chat")])
def test_plain_tools_are_sent_as_made_except_where_a_vendor_needs_its_dialect(
    openai: str, xai: str
) -> None:
    spec = llmkit.tool(forecast).spec
    assert spec.parameters["additionalProperties"] is False  # forbid_unknown_fields
    _, sent = chat(openai, "ok", tools=[spec])
    assert _function(openai, sent)["parameters"] == spec.parameters
    _, sent = chat("anthropic", "ok", tools=[spec])
    assert sent["tools"][0]["input_schema"] == spec.parameters
    # xAI refuses `additionalProperties: false` in tool schemas that have properties
    _, sent = chat(xai, "ok", tools=[spec])
    xai_params = _function(xai, sent)["parameters"]
    assert "additionalProperties: false" not in json.dumps(xai_params).replace('"', "")
    assert xai_params == {k: v for k, v in spec.parameters.items() if k != "additionalProperties"}
    # Gemini: its subset (no `default`, `$ref` without siblings)
    _, sent = chat("google", "ok", tools=[spec])
    gparams = sent["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"]
    assert "default" not in json.dumps(gparams)
    assert gparams["properties"]["days"] == {"type": "integer", "minimum": 1, "maximum": 10}


class Shape(msgspec.Struct, frozen=True, tag=True):
    pass


class Circle(Shape, frozen=True):
    r: float


class Square(Shape, frozen=True):
    side: float


class Drawing(msgspec.Struct):
    shapes: list[Circle | Square]
    label: Literal["a", None] = None


def test_gemini_response_schema_dialect() -> None:
    answer = '{"shapes": [{"type": "Circle", "r": 1.5}], "label": "a"}'
    r, sent = chat("google", answer, response_format=Drawing)
    schema = sent["generationConfig"]["responseJsonSchema"]
    assert schema["properties"] == {
        "shapes": {
            "type": "array",
            "items": {"anyOf": [{"$ref": "#/$defs/Circle"}, {"$ref": "#/$defs/Square"}]},
        },
        "label": {"anyOf": [{"enum": ["a"]}, {"type": "null"}]},
    }
    assert r.parsed == Drawing(shapes=[Circle(r=1.5)], label="a")
