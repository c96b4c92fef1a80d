"""Schemas the real APIs accept (opt in: `pytest -m live`; each vendor runs
only when its key is set): a structured answer with nested Structs, Optional
and defaulted fields, enums, Literal, a tagged union and constraints; a strict
tool; a dict, which strict modes cannot express."""

from __future__ import annotations

import enum
from typing import Annotated, Literal

import msgspec
import pytest

import llmkit
from tests.test_live import MODELS, _model

pytestmark = pytest.mark.live


class Transport(enum.Enum):
    TRAIN = "train"
    PLANE = "plane"
    CAR = "car"


class Walk(msgspec.Struct, frozen=True, tag=True):
    km: Annotated[float, msgspec.Meta(ge=0, le=50)]


class Museum(msgspec.Struct, frozen=True, tag=True):
    name: str
    free: bool = False


class Day(msgspec.Struct, frozen=True):
    city: str
    activity: Walk | Museum
    note: str | None = None


class Trip(msgspec.Struct, frozen=True):
    title: Annotated[str, msgspec.Meta(max_length=60, description="A short title")]
    transport: Transport
    pace: Literal["slow", "fast"] = "slow"
    days: Annotated[list[Day], msgspec.Meta(min_length=1, max_length=3)] = []
    budget_eur: int | None = None


PROMPT = "Plan a two-day trip from Paris to Lyon by train: one walk, one museum."


@pytest.mark.parametrize("vendor", sorted(MODELS))
def test_structured_output_with_a_rich_type(vendor: str) -> None:
    r = llmkit.chat_sync(_model(vendor), PROMPT, response_format=Trip, max_tokens=1024)
    assert isinstance(r.parsed, Trip) and r.parsed.days


class Tally(msgspec.Struct):
    counts: dict[str, int]


@pytest.mark.parametrize("vendor", sorted(MODELS))
def test_a_dict_answer(vendor: str) -> None:
    r = llmkit.chat_sync(_model(vendor), "Count the letters of 'abba' as a map letter -> count.",
                         response_format=Tally, max_tokens=256)  # fmt: skip
    assert isinstance(r.parsed, Tally) and r.parsed.counts.get("a") == 2


@llmkit.tool
def pick(n: Annotated[int, msgspec.Meta(ge=1, le=10, description="How many")],
         unit: Transport = Transport.CAR, note: str | None = None) -> str:  # fmt: skip
    """Pick n vehicles."""
    return f"{n} x {unit.value}"


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_a_strict_tool(vendor: str) -> None:
    spec = msgspec.structs.replace(pick.spec, strict=True)
    r = llmkit.chat_sync(_model(vendor), "Pick 3 trains with the pick tool.", tools=[spec],
                         tool_choice="required", max_tokens=256)  # fmt: skip
    call = r.tool_calls[0]
    result = llmkit.call_tool_sync({"pick": pick}, call)
    assert not result.is_error and result.content == "3 x train"


@pytest.mark.parametrize("vendor", sorted(MODELS))
def test_a_tool_with_constraints_and_defaults(vendor: str) -> None:
    result = llmkit.run_sync(_model(vendor), "Use the pick tool to pick 2 planes.",
                             tools=[pick], max_steps=3, max_tokens=256)  # fmt: skip
    assert result.stop == "done" and "plane" in result.response.text.lower()
