"""OpenTelemetry traces, following the GenAI semantic conventions.

When `opentelemetry-api` is imported by the application and a tracer
provider is configured, llmkit makes one span per model call (operation
`chat`), one `execute_tool` span per tool the loop runs and one
`invoke_agent` span around a run, so the calls and tools of a run nest
under it. Otherwise nothing is imported and nothing is done: the check is one
dict lookup (`sys.modules`), so llmkit never imports OpenTelemetry itself.

We follow the GenAI semantic conventions of semconv **1.44.0**
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/, still in
development and changing between releases), and say so in each span's
schema URL. Message content (`gen_ai.input.messages`, `gen_ai.output.messages`,
`gen_ai.system_instructions`, tool arguments and results) is recorded only
when the caller opts in: `llmkit.tracing.capture_content(True)` or the
instrumentations' usual `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from llmkit.types import (
    ChatRequest,
    Done,
    Image,
    Message,
    Response,
    StreamEvent,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
)

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanKind, Tracer

    from llmkit._closing import EventStream
    from llmkit.transport import Call

T = TypeVar("T")

SEMCONV_VERSION = "1.44.0"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

# Attribute names (gen_ai.* from the GenAI registry; server.*, error.type general)
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE = "gen_ai.request.temperature"
REQUEST_TOP_P = "gen_ai.request.top_p"
REQUEST_SEED = "gen_ai.request.seed"
REQUEST_STOP = "gen_ai.request.stop_sequences"
REQUEST_STREAM = "gen_ai.request.stream"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
AGENT_NAME = "gen_ai.agent.name"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"

# llmkit endpoint → the conventions' well-known provider names; others go as named
PROVIDER_NAMES = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openai-chat": "openai",
    "xai": "x_ai",
    "xai-chat": "x_ai",
    "google": "gcp.gemini",
}

_capture: bool | None = None  # None: the env var decides
_tracers: dict[int, Tracer] = {}


def capture_content(on: bool | None) -> None:
    """Record message content on spans (True), never (False), or as
    `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` says (None)."""
    global _capture
    _capture = on


def _capturing() -> bool:
    if _capture is not None:
        return _capture
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("true", "1")


def tracer() -> Tracer | None:
    """The tracer, or None when the application has not configured
    OpenTelemetry (or does not use it at all)."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    key = id(provider)
    found = _tracers.get(key)
    if found is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            ours = version("llmkit")
        except PackageNotFoundError:  # run from a source tree
            ours = None
        found = provider.get_tracer("llmkit", ours, schema_url=SCHEMA_URL)
        _tracers.clear()  # one provider at a time: never keep an old one alive
        _tracers[key] = found
    return found


# ---- content, in the conventions' message shapes (only when opted in)


def _parts(m: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in m.content:
        if isinstance(p, Text):
            out.append({"type": "text", "content": p.text})
        elif isinstance(p, Thinking):
            out.append({"type": "reasoning", "content": p.text})
        elif isinstance(p, ToolCall):
            out.append({"type": "tool_call", "id": p.id, "name": p.name, "arguments": p.arguments})
        elif isinstance(p, ToolResult):
            out.append({"type": "tool_call_response", "id": p.tool_call_id, "response": _result(p)})
        elif isinstance(p, Image):
            out.append({"type": "uri" if p.url else "blob", "modality": "image"})
    return out


def _result(r: ToolResult) -> str:
    if isinstance(r.content, str):
        return r.content
    return "".join(p.text for p in r.content if isinstance(p, Text))


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _inputs(req: ChatRequest) -> dict[str, str]:
    system = [p for m in req.messages if m.role == "system" for p in _parts(m)]
    rest = [{"role": m.role, "parts": _parts(m)} for m in req.messages if m.role != "system"]
    out = {INPUT_MESSAGES: _json(rest)}
    if system:
        out[SYSTEM_INSTRUCTIONS] = _json(system)
    return out


def _outputs(resp: Response) -> str:
    message = {"role": "assistant", "parts": _parts(resp.message),
               "finish_reason": resp.finish.reason}  # fmt: skip
    return _json([message])


# ---- spans


def _server(base_url: str) -> dict[str, Any]:
    from urllib.parse import urlsplit

    u = urlsplit(base_url)
    out: dict[str, Any] = {}
    if u.hostname:
        out[SERVER_ADDRESS] = u.hostname
        out[SERVER_PORT] = u.port or (443 if u.scheme == "https" else 80)
    return out


def _request_attributes(call: Call, req: ChatRequest) -> dict[str, Any]:
    o = req.options
    attrs: dict[str, Any] = {
        OPERATION: "chat",
        PROVIDER: PROVIDER_NAMES.get(call.name, call.name),
        REQUEST_MODEL: req.model,
        REQUEST_STREAM: req.stream,
        **_server(call.base_url),
    }
    asked = (
        (REQUEST_MAX_TOKENS, o.max_tokens), (REQUEST_TEMPERATURE, o.temperature),
        (REQUEST_TOP_P, o.top_p), (REQUEST_SEED, o.seed),
        (REQUEST_STOP, list(o.stop) if o.stop else None),
    )  # fmt: skip
    attrs.update({key: value for key, value in asked if value is not None})
    if _capturing():
        attrs.update(_inputs(req))
    return attrs


def answered(span: Span, resp: Response) -> None:
    u = resp.usage
    attrs: dict[str, Any] = {
        FINISH_REASONS: [resp.finish.raw or resp.finish.reason],
        INPUT_TOKENS: u.input_tokens,
        OUTPUT_TOKENS: u.output_tokens,
        CACHE_READ_TOKENS: u.cache_read_tokens,
        CACHE_WRITE_TOKENS: u.cache_write_tokens,
        REASONING_TOKENS: u.reasoning_tokens,
    }
    if resp.model:
        attrs[RESPONSE_MODEL] = resp.model
    if resp.id:
        attrs[RESPONSE_ID] = resp.id
    if _capturing():
        attrs[OUTPUT_MESSAGES] = _outputs(resp)
    span.set_attributes(attrs)


def failed(span: Span, err: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute(ERROR_TYPE, type(err).__qualname__)
    span.set_status(Status(StatusCode.ERROR, str(err)[:500]))
    if isinstance(err, Exception):
        span.record_exception(err)


@contextlib.contextmanager
def _current(t: Tracer, name: str, attrs: dict[str, Any]) -> Iterator[Span]:
    """A CLIENT/INTERNAL span made current for the block, its error recorded."""

    with t.start_as_current_span(
        name,
        kind=_kind(attrs),
        attributes=attrs,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as e:
            failed(span, e)
            raise


def chat_span(call: Call, req: ChatRequest) -> contextlib.AbstractContextManager[Span | None]:
    """The span of one whole-answer model call, or a no-op."""
    t = tracer()
    if t is None:
        return contextlib.nullcontext()
    return _current(t, f"chat {req.model}", _request_attributes(call, req))


def _seen(span: Span, ev: object, since: float | None) -> None:
    """What a chat span learns from a stream event: the time to the first
    one (`since`, then None), the answer at `Done`."""
    if since is not None:
        span.set_attribute(FIRST_CHUNK, time.perf_counter() - since)
    if isinstance(ev, Done):
        answered(span, ev.response)


def _start(t: Tracer, name: str, attrs: dict[str, Any]) -> Span:
    return t.start_span(name, kind=_kind(attrs), attributes=attrs)


def _kind(attrs: dict[str, Any]) -> SpanKind:
    """A model call goes out to a server (CLIENT); tools and runs are ours."""
    from opentelemetry.trace import SpanKind

    return SpanKind.CLIENT if attrs.get(OPERATION) == "chat" else SpanKind.INTERNAL


# The span starts at the first iteration, inside the generator: a stream
# closed or dropped before it was iterated sent nothing, and a generator that
# never started never runs its `finally`, so a span started outside would
# never end. It is current only while the generator fetches the next event,
# never while the caller's code runs between events: a context attached in a
# generator must be detached before it yields.


async def _atraced(
    t: Tracer, name: str, attrs: dict[str, Any], events: AsyncIterator[Any], watch: bool
) -> AsyncIterator[Any]:
    from opentelemetry import context, trace

    span = _start(t, name, attrs)
    current = trace.set_span_in_context(span)  # current only while fetching an event
    since: float | None = time.perf_counter()
    try:
        async with contextlib.aclosing(events):  # type: ignore[type-var]
            while True:
                token = context.attach(current)
                try:
                    ev = await anext(events, _END)
                finally:
                    context.detach(token)
                if ev is _END:
                    return
                if watch:
                    _seen(span, ev, since)
                    since = None
                yield ev
    except GeneratorExit:  # the caller closed the stream early: no error of the call's
        raise
    except BaseException as e:
        failed(span, e)
        raise
    finally:
        span.end()


def _traced(
    t: Tracer, name: str, attrs: dict[str, Any], events: Iterator[Any], watch: bool
) -> Iterator[Any]:
    from opentelemetry import context, trace

    span = _start(t, name, attrs)
    current = trace.set_span_in_context(span)  # current only while fetching an event
    since: float | None = time.perf_counter()
    try:
        with contextlib.closing(events):  # type: ignore[type-var]
            while True:
                token = context.attach(current)
                try:
                    ev = next(events, _END)
                finally:
                    context.detach(token)
                if ev is _END:
                    return
                if watch:
                    _seen(span, ev, since)
                    since = None
                yield ev
    except GeneratorExit:  # the caller closed the stream early: no error of the call's
        raise
    except BaseException as e:
        failed(span, e)
        raise
    finally:
        span.end()


_END = object()


def astream(
    call: Call, req: ChatRequest, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[StreamEvent]:
    """`events`, inside a chat span covering the whole stream (unchanged,
    and unwrapped, when tracing is off)."""
    t = tracer()
    if t is None:
        return events
    return _atraced(t, f"chat {req.model}", _request_attributes(call, req), events, True)


def stream(
    call: Call, req: ChatRequest, open: Callable[[], EventStream[StreamEvent]]
) -> EventStream[StreamEvent]:
    """The sync twin: `open()` gives the EventStream; the traced one closes it."""
    t = tracer()
    if t is None:
        return open()
    from llmkit._closing import EventStream

    attrs = _request_attributes(call, req)
    return EventStream(lambda _: _traced(t, f"chat {req.model}", attrs, open(), True))


# ---- tools and runs


def tool_span(call: ToolCall) -> contextlib.AbstractContextManager[Span | None]:
    t = tracer()
    if t is None:
        return contextlib.nullcontext()
    attrs: dict[str, Any] = {
        OPERATION: "execute_tool",
        TOOL_NAME: call.name,
        TOOL_CALL_ID: call.id,
        TOOL_TYPE: "function",
    }
    if _capturing():
        attrs[TOOL_ARGUMENTS] = call.arguments
    return _current(t, f"execute_tool {call.name}", attrs)


def tool_result(span: Span | None, result: ToolResult) -> None:
    if span is None:
        return
    if result.is_error:
        span.set_attribute(ERROR_TYPE, "tool_error")
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR))
    if _capturing():
        span.set_attribute(TOOL_RESULT, _result(result))


AGENT = "llmkit.run"


def _run_attributes() -> dict[str, Any]:
    return {OPERATION: "invoke_agent", AGENT_NAME: AGENT}


def run_span() -> contextlib.AbstractContextManager[Span | None]:
    t = tracer()
    if t is None:
        return contextlib.nullcontext()
    return _current(t, f"invoke_agent {AGENT}", _run_attributes())


def arun(events: AsyncIterator[Any]) -> AsyncIterator[Any]:
    t = tracer()
    if t is None:
        return events
    return _atraced(t, f"invoke_agent {AGENT}", _run_attributes(), events, False)


def run(open: Callable[[], Iterator[T]]) -> Iterator[T]:
    t = tracer()
    if t is None:
        return open()
    from llmkit._closing import EventStream

    return EventStream(
        lambda _: _traced(t, f"invoke_agent {AGENT}", _run_attributes(), open(), False)
    )
