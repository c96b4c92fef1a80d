"""Tools from plain Python functions, and running the calls a model asks for.

`tool(fn)` reads the function's signature and docstring once: name, the
description (the docstring's first paragraph), and a JSON Schema made by
msgspec from the type hints (Structs, enums, Literal, Optional, lists, dicts;
`Annotated[..., msgspec.Meta(...)]` constraints and descriptions are kept).
The arguments a model sends are validated and converted by msgspec before the
function runs; bad arguments, unknown tools and exceptions become error tool
results the model can act on, never an exception in the caller.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, get_type_hints, overload

import msgspec

from llmkit.errors import (
    ToolDefinitionError as ToolDefinitionError,  # defined in errors; kept importable here
)
from llmkit.structured import convert_as
from llmkit.types import Tool, ToolCall, ToolResult

T = TypeVar("T")


class FunctionTool(msgspec.Struct, frozen=True, kw_only=True):
    """A Python function the model may call: `spec` is what the model sees,
    `params` the Struct its arguments are validated into."""

    spec: Tool
    fn: Callable[..., Any]
    params: type[msgspec.Struct]
    approval: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^\s+(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


def _doc_parts(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """The description (first paragraph) and Google-style `Args:` entries."""
    doc = inspect.getdoc(fn) or ""
    paragraphs = doc.split("\n\n")
    summary = " ".join(paragraphs[0].split()) if doc else ""
    args: dict[str, str] = {}
    in_args, current = False, ""
    for line in doc.splitlines():
        if _ARGS_HEADER.match(line):
            in_args = True
            continue
        if in_args:
            m = _ARG_LINE.match(line)
            if m:
                current = m.group(1)
                args[current] = m.group(2).strip()
            elif line.strip() and line.startswith((" ", "\t")) and current:
                args[current] += " " + line.strip()
            elif line.strip():
                in_args = False
    return summary, args


def json_schema(tp: Any) -> dict[str, Any]:
    """A self-contained JSON Schema for a type: the top-level `$ref` msgspec
    makes is inlined, the other definitions stay under `$defs`."""
    (top,), defs = msgspec.json.schema_components([tp], ref_template="#/$defs/{name}")
    ref = top.get("$ref", "")
    name = ref.removeprefix("#/$defs/") if ref.startswith("#/$defs/") else None
    schema = dict(defs.pop(name)) if name else dict(top)
    schema.pop("title", None)
    if defs:
        schema["$defs"] = defs
    return schema


def _unwrapped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A `functools.partial`'s function (its hints and name); its signature
    stays the partial's, so bound arguments are not asked of the model."""
    return fn.func if isinstance(fn, functools.partial) else fn


def _params_struct(fn: Callable[..., Any], name: str) -> type[msgspec.Struct]:
    try:
        hints = get_type_hints(_unwrapped(fn), include_extras=True)  # keep Annotated Meta
    except Exception as e:
        raise ToolDefinitionError(f"tool {name}: cannot read type hints: {e}") from e
    fields: list[Any] = []
    bound = fn.keywords if isinstance(fn, functools.partial) else {}
    for p in inspect.signature(fn).parameters.values():
        if p.name in bound:
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise ToolDefinitionError(f"tool {name}: parameter {p.name!r} must be named")
        if p.name not in hints:
            raise ToolDefinitionError(f"tool {name}: parameter {p.name!r} needs a type hint")
        if p.default is p.empty:
            fields.append((p.name, hints[p.name]))
        else:
            fields.append((p.name, hints[p.name], p.default))
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)


def _make(fn: Callable[..., Any], name: str | None, description: str | None, approval: bool,
          ) -> FunctionTool:  # fmt: skip
    tool_name = name or str(getattr(_unwrapped(fn), "__name__", ""))
    if not tool_name.isidentifier():
        raise ToolDefinitionError(f"{fn!r} has no usable name: give one, tool(fn, name=...)")
    params = _params_struct(fn, tool_name)
    summary, arg_docs = _doc_parts(fn)
    try:
        schema = json_schema(params)
    except (TypeError, ValueError) as e:
        raise ToolDefinitionError(f"tool {tool_name}: {e}") from e
    props = schema.get("properties", {})
    for arg, text in arg_docs.items():
        if arg in props and "description" not in props[arg]:
            props[arg] = {"description": text, **props[arg]}
    spec = Tool(name=tool_name, description=description or summary, parameters=schema)
    return FunctionTool(spec=spec, fn=fn, params=params, approval=approval)


@overload
def tool(fn: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(
    *, name: str | None = None, description: str | None = None, approval: bool = False
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    approval: bool = False,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Describe `fn` as a tool; usable bare (`tool(fn)`, `@tool`) or with
    options (`@tool(approval=True)`: the tool loop stops and hands such calls
    back to the caller instead of running them)."""
    if fn is not None:
        return _make(fn, name, description, approval)
    return lambda f: _make(f, name, description, approval)


# ---- running calls -------------------------------------------------------------


def _error(call: ToolCall, text: str) -> ToolResult:
    return ToolResult(tool_call_id=call.id, name=call.name, content=text, is_error=True)


def _content(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return msgspec.json.encode(value).decode()
    except TypeError:
        return str(value)


def prepare(
    tools: Mapping[str, FunctionTool], call: ToolCall
) -> tuple[FunctionTool, dict[str, Any]] | ToolResult:
    """The tool and its validated keyword arguments, or the error result to
    send back instead (unknown tool, unreadable or invalid arguments)."""
    t = tools.get(call.name)
    if t is None:
        known = ", ".join(sorted(tools)) or "none"
        return _error(call, f"Unknown tool {call.name!r}. Available tools: {known}.")
    if not call.ok:
        return _error(call, f"Arguments for {call.name} were not valid JSON ({call.error}).")
    try:
        obj = convert_as(call.arguments, t.params)
    except msgspec.ValidationError as e:
        return _error(call, f"Invalid arguments for {call.name}: {e}. Fix them and call again.")
    kwargs = {f: getattr(obj, f) for f in obj.__struct_fields__}
    return t, kwargs


def _raised(call: ToolCall, e: Exception) -> ToolResult:
    return _error(call, f"{call.name} failed: {type(e).__name__}: {e}")


async def call_tool(tools: Mapping[str, FunctionTool], call: ToolCall) -> ToolResult:
    """Run one call; sync functions run in a worker thread so the event loop
    stays free. Never raises for the tool's own failures."""
    from llmkit import tracing  # not on `import llmkit`'s path

    with tracing.tool_span(call) as span:
        result = await _call_tool(tools, call)
        tracing.tool_result(span, result)
    return result


async def _call_tool(tools: Mapping[str, FunctionTool], call: ToolCall) -> ToolResult:
    import anyio.to_thread

    prepared = prepare(tools, call)
    if isinstance(prepared, ToolResult):
        return prepared
    t, kwargs = prepared
    try:
        if t.is_async:
            value = await t.fn(**kwargs)
        else:
            value = await anyio.to_thread.run_sync(lambda: t.fn(**kwargs))
    except Exception as e:
        return _raised(call, e)
    return ToolResult(tool_call_id=call.id, name=call.name, content=_content(value))


def _loop_running() -> bool:
    """Whether this thread is inside an event loop (Jupyter, an async web
    handler), where `anyio.run` refuses to start another."""
    import asyncio

    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    try:
        return trio is not None and trio.lowlevel.current_trio_token() is not None
    except RuntimeError:
        return False


def run_async(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`anyio.run(fn, *args)` for the sync twins; from a thread that already
    runs a loop it runs in a thread of its own (with this context's variables),
    so they work from Jupyter and async handlers as `chat_sync` does."""
    import anyio

    if not _loop_running():
        return anyio.run(fn, *args)
    ctx = contextvars.copy_context()
    out: list[T] = []
    err: list[BaseException] = []

    def fresh_loop() -> T:
        sniffio = sys.modules.get("sniffio")  # anyio asks it which loop runs; not the caller's
        if sniffio is not None:
            sniffio.current_async_library_cvar.set(None)
        return anyio.run(fn, *args)

    def target() -> None:
        try:
            out.append(ctx.run(fresh_loop))
        except BaseException as e:
            err.append(e)

    t = threading.Thread(target=target, name="llmkit-run-async", daemon=True)
    t.start()
    t.join()
    if err:
        raise err[0]
    return out[0]


def call_tool_sync(tools: Mapping[str, FunctionTool], call: ToolCall) -> ToolResult:
    """The sync twin of `call_tool` (an async tool runs in its own event loop)."""
    from llmkit import tracing

    with tracing.tool_span(call) as span:
        result = _call_tool_sync(tools, call)
        tracing.tool_result(span, result)
    return result


def _call_tool_sync(tools: Mapping[str, FunctionTool], call: ToolCall) -> ToolResult:
    prepared = prepare(tools, call)
    if isinstance(prepared, ToolResult):
        return prepared
    t, kwargs = prepared
    try:
        if t.is_async:

            async def once() -> Any:
                return await t.fn(**kwargs)

            value = run_async(once)
        else:
            value = t.fn(**kwargs)
    except Exception as e:
        return _raised(call, e)
    return ToolResult(tool_call_id=call.id, name=call.name, content=_content(value))


def by_name(tools: list[FunctionTool] | tuple[FunctionTool, ...]) -> dict[str, FunctionTool]:
    out: dict[str, FunctionTool] = {}
    for t in tools:
        if t.name in out:
            raise ToolDefinitionError(f"two tools are named {t.name!r}")
        out[t.name] = t
    return out
