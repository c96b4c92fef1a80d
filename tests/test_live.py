"""The real APIs, end to end (opt in: `pytest -m live`; each vendor runs only
when its key is set). Small, cheap prompts; a tool loop that switches vendor."""

from __future__ import annotations

import os

import pytest

import llmkit
from llmkit.types import Done, TextDelta

pytestmark = pytest.mark.live

MODELS = {
    "anthropic": ("ANTHROPIC_API_KEY", "claude-haiku-4-5"),
    "openai": ("OPENAI_API_KEY", "gpt-4o-mini"),
    "xai": ("XAI_API_KEY", "grok-4-fast-non-reasoning"),
    "google": ("GEMINI_API_KEY", "gemini-2.5-flash"),
}


def _model(vendor: str) -> str:
    env, model = MODELS[vendor]
    if not (os.environ.get(env) or (vendor == "google" and os.environ.get("GOOGLE_API_KEY"))):
        pytest.skip(f"{env} unset")
    return model


@llmkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize("vendor", sorted(MODELS))
def test_chat_and_stream(vendor: str) -> None:
    model = _model(vendor)
    r = llmkit.chat_sync(model, "Reply with the single word: pong", max_tokens=64)
    assert "pong" in r.text.lower() and r.provider == vendor and r.usage.input_tokens > 0
    events = list(llmkit.stream_sync(model, "Count from 1 to 5.", max_tokens=64))
    last = events[-1]
    assert isinstance(last, Done)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == last.response.text


@pytest.mark.parametrize("vendor", sorted(MODELS))
def test_tool_loop(vendor: str) -> None:
    result = llmkit.run_sync(_model(vendor), "Use the add tool to add 19 and 23.",
                             tools=[add], max_steps=3, max_tokens=256)  # fmt: skip
    assert result.stop == "done" and "42" in result.response.text


@pytest.mark.parametrize(("first", "second"), [("anthropic", "google"), ("google", "xai"),
                                               ("openai", "anthropic")])  # fmt: skip
def test_switching_vendor_after_a_tool_call(first: str, second: str) -> None:
    a, b = _model(first), _model(second)
    step = llmkit.run_sync(a, "Use the add tool to add 19 and 23.", tools=[add], max_steps=1,
                           max_tokens=256)  # fmt: skip
    history = [*step.messages, llmkit.user("What was the result? Answer with the number.")]
    r = llmkit.chat_sync(b, history, tools=[add], max_tokens=256)
    assert "42" in r.text
