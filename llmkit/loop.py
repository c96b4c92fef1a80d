"""The tool loop: ask the model, run the tools it calls, send the results
back, until it answers without calling a tool, a call needs the caller's
approval, or `max_steps` model turns have been spent.

The history is plain unified messages, so a step may go to another model
(`model=["claude-…", "gemini-…"]` picks per step) and the caller can carry on
anywhere with `RunResult.messages`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import msgspec

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
    StepStart,
    Tool,
    ToolCall,
    ToolExecuted,
    ToolResult,
    Usage,
)

Models = str | Sequence[str]


def _model_at(model: Models, step: int) -> str:
    """Step `step` (from 0) uses the matching model; the last one repeats."""
    if isinstance(model, str):
        return model
    if not model:
        raise api.InvalidArgument("model: give at least one model")
    return model[min(step, len(model) - 1)]


def _function_tools(tools: Sequence[FunctionTool]) -> list[FunctionTool]:
    """The loop runs its tools, so each must be a `tool(fn)`: a schema dict or
    a bare function is refused here, saying what to write instead."""
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Iterable):
        raise api.InvalidArgument("tools: expected a list of llmkit.tool(fn)")
    out = list(tools)
    for i, t in enumerate(out):
        if isinstance(t, FunctionTool):
            continue
        if isinstance(t, (Mapping, Tool)):
            hint = "the loop runs its tools, so it needs llmkit.tool(fn), not a schema"
        elif callable(t):
            hint = "wrap the function: llmkit.tool(fn)"
        else:
            hint = "expected llmkit.tool(fn)"
        raise api.InvalidArgument(f"tools[{i}]: {hint} (got {type(t).__name__})")
    return out


def _setup(
    messages: MessagesLike, tools: Sequence[FunctionTool], max_steps: int
) -> tuple[list[Message], dict[str, FunctionTool], list[Tool]]:
    """The history to extend, tools by name, and what the model is shown."""
    if max_steps < 1:
        raise api.InvalidArgument("max_steps must be 1 or more")
    fns = _function_tools(tools)
    return to_messages(messages), by_name(fns), [t.spec for t in fns]


def _split(table: dict[str, FunctionTool], resp: Response) -> tuple[list[ToolCall], list[ToolCall]]:
    """Calls to run now, and calls that wait for the caller's approval. A
    response that carries the structured answer ends the run: nothing runs."""
    calls = [] if resp.parsed is not None else resp.tool_calls
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


def _plus(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        cache_read_tokens=a.cache_read_tokens + b.cache_read_tokens,
        cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
        reasoning_tokens=a.reasoning_tokens + b.reasoning_tokens,
        cache_write_1h_tokens=a.cache_write_1h_tokens + b.cache_write_1h_tokens,
    )


def _answer_result(c: ToolCall) -> ToolResult:
    """A result for each call of the step that gave the structured answer, so
    the history stays a valid conversation to continue."""
    return ToolResult(tool_call_id=c.id, name=c.name, content="answer received")


def _step_end(
    history: list[Message], resp: Response, results: list[ToolResult], pending: list[ToolCall],
    step: int, max_steps: int, usage: Usage, answers: list[Response],
) -> RunResult | None:  # fmt: skip
    """Append the step to `history`; the RunResult when the loop ends here
    (`usage` is the run's total so far and `answers` every step's response,
    this step included)."""
    history.append(resp.message)
    if results:
        history.append(Message(role="tool", content=list(results)))
    done = RunResult(
        response=resp, messages=history, steps=step + 1, usage=usage, responses=answers
    )
    if not resp.tool_calls:
        return done
    if resp.parsed is not None:  # the structured answer, through the answer tool
        history.append(Message(role="tool", content=[_answer_result(c) for c in resp.tool_calls]))
        return done
    if pending:
        return msgspec.structs.replace(done, stop="approval", pending=pending)
    if step + 1 == max_steps:
        return msgspec.structs.replace(done, stop="max_steps")
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
    from llmkit import tracing  # not on `import llmkit`'s path

    with tracing.run_span():
        return await _run(model, history, table, specs, max_steps, kwargs)


async def _run(
    model: Models, history: list[Message], table: dict[str, FunctionTool], specs: list[Tool],
    max_steps: int, kwargs: dict[str, Any],
) -> RunResult:  # fmt: skip
    total, answers = Usage(), list[Response]()
    for step in range(max_steps):
        resp = await api.chat(_model_at(model, step), history, tools=specs, **kwargs)
        auto, pending = _split(table, resp)
        results = await run_calls(table, auto)
        total = _plus(total, resp.usage)
        answers.append(resp)
        end = _step_end(history, resp, results, pending, step, max_steps, total, list(answers))
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
    from llmkit import tracing  # not on `import llmkit`'s path

    with tracing.run_span():
        return _run_sync(model, history, table, specs, max_steps, kwargs)


def _run_sync(
    model: Models, history: list[Message], table: dict[str, FunctionTool], specs: list[Tool],
    max_steps: int, kwargs: dict[str, Any],
) -> RunResult:  # fmt: skip
    total, answers = Usage(), list[Response]()
    for step in range(max_steps):
        resp = api.chat_sync(_model_at(model, step), history, tools=specs, **kwargs)
        auto, pending = _split(table, resp)
        results = run_async(run_calls, table, auto) if auto else []
        total = _plus(total, resp.usage)
        answers.append(resp)
        end = _step_end(history, resp, results, pending, step, max_steps, total, list(answers))
        if end is not None:
            return end
    raise AssertionError("unreachable: the last step always ends the loop")


def run_stream(
    model: Models,
    messages: MessagesLike,
    *,
    tools: Sequence[FunctionTool],
    max_steps: int = 8,
    **kwargs: Any,
) -> AsyncIterator[RunEvent]:
    """`run`, streamed: every step's stream events, a `ToolExecuted` per tool
    result, a `StepStart` before each step after the first, and last
    `RunDone(result)`."""
    from llmkit import tracing  # not on `import llmkit`'s path

    return tracing.arun(_run_stream(model, messages, tools, max_steps, kwargs))


async def _run_stream(
    model: Models, messages: MessagesLike, tools: Sequence[FunctionTool], max_steps: int,
    kwargs: dict[str, Any],
) -> AsyncIterator[RunEvent]:  # fmt: skip
    history, table, specs = _setup(messages, tools, max_steps)
    total, answers = Usage(), list[Response]()
    for step in range(max_steps):
        if step:
            yield StepStart(step=step, model=_model_at(model, step))
        resp = None
        async for ev in api.stream(_model_at(model, step), history, tools=specs, **kwargs):
            yield ev
            if isinstance(ev, Done):
                resp = ev.response
        if resp is None:
            raise LlmkitError("the stream ended without a response")
        auto, pending = _split(table, resp)
        results = await run_calls(table, auto)
        for r in results:
            yield ToolExecuted(result=r)
        total = _plus(total, resp.usage)
        answers.append(resp)
        end = _step_end(history, resp, results, pending, step, max_steps, total, list(answers))
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
    from llmkit import tracing  # not on `import llmkit`'s path

    return tracing.run(partial(_run_stream_sync, model, messages, tools, max_steps, kwargs))


def _run_stream_sync(
    model: Models, messages: MessagesLike, tools: Sequence[FunctionTool], max_steps: int,
    kwargs: dict[str, Any],
) -> Iterator[RunEvent]:  # fmt: skip
    history, table, specs = _setup(messages, tools, max_steps)
    total, answers = Usage(), list[Response]()
    for step in range(max_steps):
        if step:
            yield StepStart(step=step, model=_model_at(model, step))
        resp = None
        for ev in api.stream_sync(_model_at(model, step), history, tools=specs, **kwargs):
            yield ev
            if isinstance(ev, Done):
                resp = ev.response
        if resp is None:
            raise LlmkitError("the stream ended without a response")
        auto, pending = _split(table, resp)
        results = run_async(run_calls, table, auto) if auto else []
        for r in results:
            yield ToolExecuted(result=r)
        total = _plus(total, resp.usage)
        answers.append(resp)
        end = _step_end(history, resp, results, pending, step, max_steps, total, list(answers))
        if end is not None:
            yield RunDone(result=end)
            return


# ---- after an approval stop ------------------------------------------------------

REJECTED = "The user declined this call; do not retry it."


def _answered(result: RunResult, results: list[ToolResult]) -> list[Message]:
    """`result.messages` with `results` joined to the step's tool message (the
    calls the loop did run), in the order the model made the calls."""
    history = list(result.messages)
    done: list[ToolResult] = []
    if history and history[-1].role == "tool":
        done = [p for p in history.pop().content if isinstance(p, ToolResult)]
    order = {c.id: k for k, c in enumerate(result.response.tool_calls)}
    merged = sorted(done + results, key=lambda r: order.get(r.tool_call_id, len(order)))
    return [*history, Message(role="tool", content=list(merged))]


def _decided(result: RunResult, reject: Iterable[str] | bool, reason: str
             ) -> tuple[list[ToolCall], list[ToolResult]]:  # fmt: skip
    """Pending calls to run, and error results for those refused."""
    if result.stop != "approval":
        raise api.InvalidArgument("this run did not stop for approval; nothing is pending")
    ids = {c.id for c in result.pending} if reject is True else set(reject or ())
    unknown = ids - {c.id for c in result.pending}
    if unknown:
        raise api.InvalidArgument(f"reject: no pending call with id {sorted(unknown)[0]!r}")
    refused = [
        ToolResult(tool_call_id=c.id, name=c.name, content=reason, is_error=True)
        for c in result.pending
        if c.id in ids
    ]
    return [c for c in result.pending if c.id not in ids], refused


def reject(result: RunResult, reason: str = REJECTED) -> list[Message]:
    """The history with every pending call refused (an error result carrying
    `reason`), ready to pass back to `run` so the model can carry on."""
    _, refused = _decided(result, True, reason)
    return _answered(result, refused)


async def approve(
    result: RunResult, tools: Sequence[FunctionTool], *, reject: Iterable[str] = (),
    reason: str = REJECTED,
) -> list[Message]:  # fmt: skip
    """Run the pending calls (all but the ids in `reject`, which are refused
    with `reason`) and return the history with every call answered, ready to
    pass back to `run`."""
    run_now, refused = _decided(result, reject, reason)
    results = await run_calls(by_name(_function_tools(tools)), run_now)
    return _answered(result, results + refused)


def approve_sync(
    result: RunResult, tools: Sequence[FunctionTool], *, reject: Iterable[str] = (),
    reason: str = REJECTED,
) -> list[Message]:  # fmt: skip
    """The sync twin of `approve`."""
    run_now, refused = _decided(result, reject, reason)
    table = by_name(_function_tools(tools))
    results = run_async(run_calls, table, run_now) if run_now else []
    return _answered(result, results + refused)
