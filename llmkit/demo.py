"""`llmkit demo`: one conversation across three vendors.

Claude answers and asks for a tool; llmkit runs the tool here, locally; Gemini
continues from the tool result; Grok takes the follow-up question. Offline (the
default) every vendor answer is replayed from `fixtures/demo/` through the real
HTTP and SSE code; `--live` sends the same script to the real APIs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from llmkit._render import Style, render, style_for, usage_line
from llmkit.errors import LlmkitError
from llmkit.types import Message, Response, Text, Tool, ToolCall, ToolResult

if TYPE_CHECKING:
    import httpx

# Installed from a wheel the recordings sit in the package; in a checkout, in fixtures/.
_HERE = Path(__file__).resolve().parent
FIXTURES = next(
    (p for p in (_HERE / "_demo", _HERE.parent / "fixtures" / "demo") if p.is_dir()),
    _HERE.parent / "fixtures" / "demo",
)

CLAUDE = "claude-sonnet-4-20250514"
GEMINI = "gemini-2.5-flash"
GROK = "grok-4-fast-non-reasoning"

WEATHER_TOOL = Tool(
    name="get_weather",
    description="Current weather for a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
        "required": ["city"],
    },
)

_WEATHER = {"paris": "14°C, light rain, wind 18 km/h", "tokyo": "21°C, clear"}


def get_weather(city: str) -> str:
    """The local tool: canned weather, so the demo needs no weather service."""
    return _WEATHER.get(city.strip().lower(), "no data for that city")


def run_tool(call: ToolCall) -> ToolResult:
    city = call.arguments.get("city")
    if call.name != "get_weather" or not isinstance(city, str):
        return ToolResult(
            tool_call_id=call.id, name=call.name, content="unknown tool or bad arguments",
            is_error=True,
        )  # fmt: skip
    return ToolResult(tool_call_id=call.id, name=call.name, content=get_weather(city))


@contextlib.contextmanager
def _client(live: bool) -> Iterator[httpx.Client | None]:
    if live:
        yield None
        return
    if not FIXTURES.is_dir():
        raise LlmkitError(f"the offline demo needs its recordings in {FIXTURES}")
    import httpx

    from llmkit.testing import replay_transport

    with httpx.Client(transport=replay_transport(FIXTURES, match="path")) as client:
        yield client


def _turn(
    model: str,
    history: list[Message],
    client: httpx.Client | None,
    out: TextIO,
    st: Style,
) -> Response:
    from llmkit.api import stream_sync

    out.write(f"\n{st.bold}── {model} ──{st.reset}\n")
    key = None if client is None else "replay"
    events = stream_sync(model, history, tools=[WEATHER_TOOL], http_client=client, api_key=key,
                         max_tokens=400)  # fmt: skip
    resp = render(events, out, st)
    if resp is None:
        raise LlmkitError(f"{model} ended without an answer")
    out.write(f"{st.dim}{usage_line(resp)}{st.reset}\n")
    return resp


def run(*, live: bool, out: TextIO) -> int:
    st = style_for(out)
    mode = "live: real vendor APIs" if live else f"offline: replaying recordings in {FIXTURES}"
    out.write(f"{st.bold}llmkit demo{st.reset} ({mode})\n")
    history = [
        Message(role="system", content=[Text(text="You are a concise travel assistant.")]),
        Message(role="user", content=[Text(text="What's the weather in Paris right now?")]),
    ]
    out.write(f"\nuser: {history[-1].text}\n")
    with _client(live) as client:
        first = _turn(CLAUDE, history, client, out, st)
        history.append(first.message)
        results = [run_tool(c) for c in first.tool_calls]
        for r in results:
            out.write(f"{st.cyan}[tool result, run locally] {r.content}{st.reset}\n")
        if results:
            history.append(Message(role="tool", content=list(results)))
        history.append(_turn(GEMINI, history, client, out, st).message)
        follow_up = "Suggest one indoor activity there, in one sentence."
        out.write(f"\nuser: {follow_up}\n")
        history.append(Message(role="user", content=[Text(text=follow_up)]))
        _turn(GROK, history, client, out, st)
    out.write(f"\n{st.dim}one conversation, three vendors: {len(history) + 1} messages{st.reset}\n")
    return 0
