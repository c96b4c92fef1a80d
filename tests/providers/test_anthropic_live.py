"""The real Messages API (opt in: `pytest -m live` with ANTHROPIC_API_KEY set)."""

from __future__ import annotations

import os

import pytest

import llmkit.api as api
from llmkit.types import Done, TextDelta, Tool, ToolChoice

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("ANTHROPIC_API_KEY"), reason="ANTHROPIC_API_KEY unset"),
]
MODEL = "claude-haiku-4-5"


def test_live_chat_and_stream_agree_on_shape() -> None:
    resp = api.chat_sync(MODEL, "Reply with the single word: pong", max_tokens=16)
    assert resp.provider == "anthropic"
    assert "pong" in resp.text.lower()
    assert resp.usage.input_tokens > 0
    events = list(api.stream_sync(MODEL, "Count from 1 to 5.", max_tokens=64))
    last = events[-1]
    assert isinstance(last, Done)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == last.response.text


def test_live_tool_call() -> None:
    weather = Tool(
        name="get_weather",
        description="Current weather for a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
    resp = api.chat_sync(
        MODEL,
        "What's the weather in Oslo?",
        tools=[weather],
        tool_choice=ToolChoice(mode="tool", name="get_weather"),
        max_tokens=128,
    )
    (call,) = resp.tool_calls
    assert call.name == "get_weather"
    assert "oslo" in str(call.arguments.get("city", "")).lower()
