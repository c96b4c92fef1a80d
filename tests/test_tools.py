"""Tools from Python functions: schemas, argument validation, running calls."""

from __future__ import annotations

import enum
from typing import Annotated, Literal

import anyio
import msgspec
import pytest

import llmkit
from llmkit.loop import run_calls
from llmkit.tools import ToolDefinitionError, by_name, json_schema, prepare
from llmkit.types import ToolCall, ToolResult


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Place(msgspec.Struct):
    city: str
    country: str | None = None


def get_weather(place: Place, unit: Unit = Unit.CELSIUS, days: int = 1) -> str:
    """Weather forecast for a place.

    Longer notes that are not part of the description.

    Args:
        place: Where to look.
        unit: Temperature unit
            for the answer.
        days: How many days ahead.
    """
    return f"{place.city}: 14 {unit.value} for {days} day(s)"


def test_schema_from_signature_and_docstring() -> None:
    t = llmkit.tool(get_weather)
    assert t.spec.name == "get_weather"
    assert t.spec.description == "Weather forecast for a place."
    p = t.spec.parameters
    assert p["type"] == "object" and p["required"] == ["place"]
    assert p["additionalProperties"] is False
    assert p["properties"]["place"] == {"description": "Where to look.", "$ref": "#/$defs/Place"}
    assert p["properties"]["unit"]["description"] == "Temperature unit for the answer."
    assert p["properties"]["days"] == {
        "description": "How many days ahead.", "type": "integer", "default": 1,
    }  # fmt: skip
    assert p["$defs"]["Unit"] == {"title": "Unit", "enum": ["celsius", "fahrenheit"]}
    assert p["$defs"]["Place"]["required"] == ["city"]


@pytest.mark.parametrize(
    ("hint", "schema"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (list[str], {"type": "array", "items": {"type": "string"}}),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (Literal["a", "b"], {"enum": ["a", "b"]}),
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
    ],
)
def test_parameter_types(hint: object, schema: dict[str, object]) -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return x

    f.__annotations__ = {"x": hint}
    assert llmkit.tool(f).spec.parameters["properties"]["x"] == schema


def test_json_schema_of_a_struct_is_self_contained() -> None:
    s = json_schema(Place)
    assert s["type"] == "object" and "$defs" not in s and "title" not in s


def test_decorator_with_options_and_bad_definitions() -> None:
    @llmkit.tool(name="wipe", description="Delete everything.", approval=True)
    def dangerous(confirm: bool) -> str:
        return "gone"

    assert (dangerous.name, dangerous.spec.description, dangerous.approval) == (
        "wipe", "Delete everything.", True,
    )  # fmt: skip

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(ToolDefinitionError, match="needs a type hint"):
        llmkit.tool(untyped)

    def star(*args: int) -> None:
        pass

    with pytest.raises(ToolDefinitionError, match="must be named"):
        llmkit.tool(star)
    with pytest.raises(ToolDefinitionError, match="two tools"):
        by_name([dangerous, dangerous])


TOOLS = by_name([llmkit.tool(get_weather)])


def call(args: dict[str, object], name: str = "get_weather", **kw: object) -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=args, **kw)  # type: ignore[arg-type]


def test_valid_arguments_are_converted() -> None:
    got = prepare(TOOLS, call({"place": {"city": "Paris"}, "unit": "fahrenheit", "days": 3.0}))
    assert not isinstance(got, ToolResult)
    _, kwargs = got
    assert kwargs == {"place": Place(city="Paris"), "unit": Unit.FAHRENHEIT, "days": 3}


@pytest.mark.parametrize(
    ("c", "expected"),
    [
        (call({"unit": "kelvin"}), "Invalid arguments for get_weather"),
        (call({"place": {"city": "X"}, "extra": 1}), "Invalid arguments for get_weather"),
        (call({"place": {"city": 5}}), "Expected `str`, got `int`"),
        (call({}, name="launch"), "Unknown tool 'launch'. Available tools: get_weather."),
        (call({}, raw_arguments="{oops", error="bad JSON"), "were not valid JSON (bad JSON)"),
    ],
)
def test_bad_calls_become_error_results(c: ToolCall, expected: str) -> None:
    result = llmkit.call_tool_sync(TOOLS, c)
    assert result.is_error and result.tool_call_id == "c1" and expected in str(result.content)


def test_a_raising_tool_becomes_an_error_result() -> None:
    def boom(x: int) -> int:
        raise ValueError("no such thing")

    r = llmkit.call_tool_sync(by_name([llmkit.tool(boom)]), call({"x": 1}, name="boom"))
    assert r.is_error and r.content == "boom failed: ValueError: no such thing"


def test_results_are_text_or_json() -> None:
    def structured(n: int) -> dict[str, object]:
        return {"n": n, "ok": True}

    r = llmkit.call_tool_sync(by_name([llmkit.tool(structured)]), call({"n": 2}, name="structured"))
    assert (r.content, r.is_error, r.name) == ('{"n":2,"ok":true}', False, "structured")


@pytest.mark.anyio
async def test_async_and_sync_tools_under_the_event_loop() -> None:
    async def double(n: int) -> int:
        await anyio.sleep(0)
        return n * 2

    table = by_name([llmkit.tool(double), llmkit.tool(get_weather)])
    a = await llmkit.call_tool(table, call({"n": 21}, name="double"))
    b = await llmkit.call_tool(table, call({"place": {"city": "Oslo"}}))
    assert (a.content, b.content) == ("42", "Oslo: 14 celsius for 1 day(s)")


def test_sync_twin_runs_async_tools() -> None:
    async def double(n: int) -> int:
        return n * 2

    assert (
        llmkit.call_tool_sync(by_name([llmkit.tool(double)]), call({"n": 4}, "double")).content
        == "8"
    )


@pytest.mark.anyio
async def test_parallel_calls_run_concurrently_and_keep_order() -> None:
    # Each call waits for the other to start: only concurrent execution finishes.
    started = {"a": anyio.Event(), "b": anyio.Event()}

    async def meet(me: str, other: str) -> str:
        started[me].set()
        with anyio.fail_after(5):
            await started[other].wait()
        return me

    table = by_name([llmkit.tool(meet)])
    calls = [
        ToolCall(id="1", name="meet", arguments={"me": "a", "other": "b"}),
        ToolCall(id="2", name="meet", arguments={"me": "b", "other": "a"}),
    ]
    results = await run_calls(table, calls)
    assert [(r.tool_call_id, r.content) for r in results] == [("1", "a"), ("2", "b")]


def pick(n: Annotated[int, msgspec.Meta(ge=1, le=10, description="How many")] = 1) -> int:
    """Pick a few."""
    return n


def test_annotated_constraints_are_kept_in_the_schema_and_enforced() -> None:
    t = llmkit.tool(pick)
    assert t.spec.parameters["properties"]["n"] == {
        "description": "How many", "type": "integer", "minimum": 1, "maximum": 10, "default": 1,
    }  # fmt: skip
    tools = by_name([t])
    result = llmkit.call_tool_sync(tools, call({"n": 500}, name="pick"))
    assert result.is_error and "Expected `int` <= 10" in str(result.content)
    assert llmkit.call_tool_sync(tools, call({"n": 7}, name="pick")).content == "7"


def test_null_for_an_argument_with_a_default_is_that_default() -> None:
    # what a strict tool's caller sends for "not given" (OpenAI strict mode)
    got = prepare(TOOLS, call({"place": {"city": "Oslo", "country": None}, "unit": None,
                               "days": None}))  # fmt: skip
    assert not isinstance(got, ToolResult)
    assert got[1] == {"place": Place(city="Oslo"), "unit": Unit.CELSIUS, "days": 1}
    bad = llmkit.call_tool_sync(TOOLS, call({"place": None}))
    assert bad.is_error and "Expected `object`, got `null`" in str(bad.content)


def test_a_partial_is_a_tool_without_its_bound_arguments() -> None:
    import functools

    def forecast(city: str, days: int, api_base: str) -> str:
        """Forecast for a city."""
        return f"{city} {days} {api_base}"

    t = llmkit.tool(functools.partial(forecast, api_base="https://wx.test"))
    assert t.name == "forecast" and set(t.spec.parameters["properties"]) == {"city", "days"}
    call = llmkit.ToolCall(id="c", name="forecast", arguments={"city": "Oslo", "days": 2})
    assert llmkit.call_tool_sync({"forecast": t}, call).content == "Oslo 2 https://wx.test"


def test_a_callable_without_a_name_needs_one() -> None:
    from llmkit.tools import ToolDefinitionError

    class Lookup:
        def __call__(self, city: str) -> str:
            return city

    with pytest.raises(ToolDefinitionError, match="give one, tool"):
        llmkit.tool(Lookup())
