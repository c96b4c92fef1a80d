"""The tool loop: ask the model, run the tools it calls, send the results
back, until it answers without calling a tool, a call needs the caller's
approval, or `max_steps` model turns have been spent.

The history is plain unified messages, so a step may go to another model
(`model=["claude-…", "gemini-…"]` picks per step) and the caller can carry on
anywhere with `RunResult.messages`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from llmkit import api
from llmkit.errors import LlmkitError
from llmkit.messages import MessagesLike, to_messages
from llmkit.tools import FunctionTool, by_name, call_tool, run_async
from llmkit.types import (
    Done,
    Message,
    Response,
    RunDone,
    RunEvent,
    RunResult,
    Tool,
    ToolCall,
    ToolExecuted,
    ToolResult,
)

Models = str | Sequence[str]


def _model_at(model: Models, step: int) -> str:
    """Step `step` (from 0) uses the matching model; the last one repeats."""
    if isinstance(model, str):
        return model
    if not model:
        raise api.InvalidArgument("model: give at least one model")
    return model[min(step, len(model) - 1)]


def _setup(
    messages: MessagesLike, tools: Sequence[FunctionTool], max_steps: int
) -> tuple[list[Message], dict[str, FunctionTool], list[Tool]]:
    """The history to extend, tools by name, and what the model is shown."""
    if max_steps < 1:
        raise api.InvalidArgument("max_steps must be 1 or more")
    return to_messages(messages), by_name(list(tools)), [t.spec for t in tools]


def _split(
    table: dict[str, FunctionTool], calls: list[ToolCall]
) -> tuple[list[ToolCall], list[ToolCall]]:
    """Calls to run now, and calls that wait for the caller's approval."""
    pending = [c for c in calls if c.name in table and table[c.name].approval]
    return [c for c in calls if c not in pending], pending


async def run_calls(table: dict[str, FunctionTool], calls: list[ToolCall]) -> list[ToolResult]:
    """Run calls concurrently (one task each), results in the calls' order."""
    import anyio

    results: list[ToolResult | None] = [None] * len(calls)

    async def one(i: int, call: ToolCall) -> None:
        results[i] = await call_tool(table, call)

    async with anyio.create_task_group() as tg:
        for i, call in enumerate(calls):
            tg.start_soon(one, i, call)
    return [r for r in results if r is not None]


def _step_end(
    history: list[Message], resp: Response, results: list[ToolResult], pending: list[ToolCall],
    step: int, max_steps: int,
) -> RunResult | None:  # fmt: skip
    """Append the step to `history`; the RunResult when the loop ends here."""
    history.append(resp.message)
    if results:
        history.append(Message(role="tool", content=list(results)))
    if not resp.tool_calls:
        return RunResult(response=resp, messages=history, steps=step + 1)
    if pending:
        return RunResult(
            response=resp, messages=history, steps=step + 1, stop="approval", pending=pending
        )
    if step + 1 == max_steps:
        return RunResult(response=resp, messages=history, steps=max_steps, stop="max_steps")
    return None


async def run(
    model: Models,
    messages: MessagesLike,
    *,
    tools: Sequence[FunctionTool],
    max_steps: int = 8,
    **kwargs: Any,
) -> RunResult:
    """The tool loop. `kwargs` are `llmkit.chat`'s (options, tool_choice,
    http_client, ...)."""
    history, table, specs = _setup(messages, tools, max_steps)
    for step in range(max_steps):
        resp = await api.chat(_model_at(model, step), history, tools=specs, **kwargs)
        auto, pending = _split(table, resp.tool_calls)
        results = await run_calls(table, auto)
        end = _step_end(history, resp, results, pending, step, max_steps)
        if end is not None:
            return end
    raise AssertionError("unreachable: the last step always ends the loop")


def run_sync(
    model: Models,
    messages: MessagesLike,
    *,
    tools: Sequence[FunctionTool],
    max_steps: int = 8,
    **kwargs: Any,
) -> RunResult:
    """The sync twin of `run`; a step's calls still run concurrently (in an
    event loop of their own, sync functions in worker threads)."""
    history, table, specs = _setup(messages, tools, max_steps)
    for step in range(max_steps):
        resp = api.chat_sync(_model_at(model, step), history, tools=specs, **kwargs)
        auto, pending = _split(table, resp.tool_calls)
        results = run_async(run_calls, table, auto) if auto else []
        end = _step_end(history, resp, results, pending, step, max_steps)
        if end is not None:
            return end
    raise AssertionError("unreachable: the last step always ends the loop")


async def run_stream(
    model: Models,
    messages: MessagesLike,
    *,
    tools: Sequence[FunctionTool],
    max_steps: int = 8,
    **kwargs: Any,
) -> AsyncIterator[RunEvent]:
    """`run`, streamed: every step's stream events, a `ToolExecuted` per tool
    result, and last `RunDone(result)`."""
    history, table, specs = _setup(messages, tools, max_steps)
    for step in range(max_steps):
        resp = None
        async for ev in api.stream(_model_at(model, step), history, tools=specs, **kwargs):
            yield ev
            if isinstance(ev, Done):
                resp = ev.response
        if resp is None:
            raise LlmkitError("the stream ended without a response")
        auto, pending = _split(table, resp.tool_calls)
        results = await run_calls(table, auto)
        for r in results:
            yield ToolExecuted(result=r)
        end = _step_end(history, resp, results, pending, step, max_steps)
        if end is not None:
            yield RunDone(result=end)
            return


def run_stream_sync(
    model: Models,
    messages: MessagesLike,
    *,
    tools: Sequence[FunctionTool],
    max_steps: int = 8,
    **kwargs: Any,
) -> Iterator[RunEvent]:
    """The sync twin of `run_stream`."""
    history, table, specs = _setup(messages, tools, max_steps)
    for step in range(max_steps):
        resp = None
        for ev in api.stream_sync(_model_at(model, step), history, tools=specs, **kwargs):
            yield ev
            if isinstance(ev, Done):
                resp = ev.response
        if resp is None:
            raise LlmkitError("the stream ended without a response")
        auto, pending = _split(table, resp.tool_calls)
        results = run_async(run_calls, table, auto) if auto else []
        for r in results:
            yield ToolExecuted(result=r)
        end = _step_end(history, resp, results, pending, step, max_steps)
        if end is not None:
            yield RunDone(result=end)
            return
