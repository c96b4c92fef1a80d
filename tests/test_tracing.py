"""OpenTelemetry spans, recorded by the SDK's in-memory exporter, for calls
through the real transport (vendors answer with recorded bodies)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv.attributes import error_attributes, server_attributes
from opentelemetry.trace import SpanKind, StatusCode

import llmkit
from llmkit import tracing
from llmkit.errors import Overloaded

FIX = Path(__file__).resolve().parent.parent / "fixtures"
CLAUDE = "claude-sonnet-4-5"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """A configured SDK tracer provider, seen by llmkit as the global one
    (the process's real global stays untouched for the other tests)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real")
    tracing.capture_content(None)
    monkeypatch.delenv(tracing.CAPTURE_ENV, raising=False)
    yield exporter
    tracing.capture_content(None)


def _response(name: str) -> httpx.Response:
    body = (FIX / name).read_bytes()
    meta = FIX / name.replace(".json", ".headers.json")
    if name.endswith(".json") and meta.exists():
        m = json.loads(meta.read_text())
        return httpx.Response(m["status"], headers=m["headers"], content=body)
    kind = "text/event-stream" if name.endswith(".sse") else "application/json"
    return httpx.Response(200, headers={"content-type": kind}, content=body)


def replies(*names: str) -> httpx.MockTransport:
    queue = list(names)

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return _response(queue.pop(0) if len(queue) > 1 else queue[0])

    return httpx.MockTransport(handler)


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_attribute_names_are_the_conventions_own() -> None:
    """Fails when a name drifts from the pinned semantic conventions."""
    assert tracing.OPERATION == gen_ai.GEN_AI_OPERATION_NAME
    assert tracing.PROVIDER == gen_ai.GEN_AI_PROVIDER_NAME
    assert tracing.REQUEST_MODEL == gen_ai.GEN_AI_REQUEST_MODEL
    assert tracing.RESPONSE_MODEL == gen_ai.GEN_AI_RESPONSE_MODEL
    assert tracing.FINISH_REASONS == gen_ai.GEN_AI_RESPONSE_FINISH_REASONS
    assert tracing.INPUT_TOKENS == gen_ai.GEN_AI_USAGE_INPUT_TOKENS
    assert tracing.OUTPUT_TOKENS == gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS
    assert tracing.CACHE_READ_TOKENS == gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
    assert tracing.CACHE_WRITE_TOKENS == gen_ai.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
    assert tracing.REASONING_TOKENS == gen_ai.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS
    assert tracing.INPUT_MESSAGES == gen_ai.GEN_AI_INPUT_MESSAGES
    assert tracing.OUTPUT_MESSAGES == gen_ai.GEN_AI_OUTPUT_MESSAGES
    assert tracing.SYSTEM_INSTRUCTIONS == gen_ai.GEN_AI_SYSTEM_INSTRUCTIONS
    assert tracing.TOOL_NAME == gen_ai.GEN_AI_TOOL_NAME
    assert tracing.TOOL_CALL_ID == gen_ai.GEN_AI_TOOL_CALL_ID
    assert tracing.TOOL_ARGUMENTS == gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS
    assert tracing.TOOL_RESULT == gen_ai.GEN_AI_TOOL_CALL_RESULT
    assert tracing.FIRST_CHUNK == gen_ai.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK
    assert tracing.ERROR_TYPE == error_attributes.ERROR_TYPE
    assert tracing.SERVER_ADDRESS == server_attributes.SERVER_ADDRESS
    assert tracing.PROVIDER_NAMES["google"] == gen_ai.GenAiProviderNameValues.GCP_GEMINI.value
    assert tracing.PROVIDER_NAMES["xai"] == gen_ai.GenAiProviderNameValues.X_AI.value


def test_a_chat_is_one_client_span(spans: InMemorySpanExporter) -> None:
    with httpx.Client(transport=replies("anthropic/text.json")) as client:
        resp = llmkit.chat_sync(CLAUDE, "hi", http_client=client, max_tokens=100, temperature=0.5)
    (span,) = spans.get_finished_spans()
    assert span.name == f"chat {CLAUDE}" and span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.schema_url == tracing.SCHEMA_URL
    a = attrs(span)
    assert a == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": CLAUDE,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.stream": False,
        "server.address": "api.anthropic.com",
        "server.port": 443,
        "gen_ai.response.model": resp.model,
        "gen_ai.response.id": resp.id,
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": resp.usage.input_tokens,
        "gen_ai.usage.output_tokens": resp.usage.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": resp.usage.cache_read_tokens,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }
    assert "test-key-not-real" not in json.dumps(a)


def test_content_is_recorded_only_when_asked(spans: InMemorySpanExporter) -> None:
    convo = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    with httpx.Client(transport=replies("anthropic/text.json")) as client:
        llmkit.chat_sync(CLAUDE, convo, http_client=client)
        tracing.capture_content(True)
        resp = llmkit.chat_sync(CLAUDE, convo, http_client=client)
    quiet, told = spans.get_finished_spans()
    assert not {k for k in attrs(quiet) if "messages" in k or "instructions" in k}
    a = attrs(told)
    assert json.loads(a["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(a["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    ]
    (out,) = json.loads(a["gen_ai.output.messages"])
    assert out["role"] == "assistant" and out["finish_reason"] == "stop"
    assert out["parts"][-1] == {"type": "text", "content": resp.text}


def test_the_env_var_opts_in(spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tracing.CAPTURE_ENV, "true")
    with httpx.Client(transport=replies("anthropic/text.json")) as client:
        llmkit.chat_sync(CLAUDE, "hi", http_client=client)
    assert "gen_ai.input.messages" in attrs(spans.get_finished_spans()[0])


def test_an_error_marks_the_span(spans: InMemorySpanExporter) -> None:
    with httpx.Client(transport=replies("anthropic/error_529.json")) as client:
        with pytest.raises(Overloaded):
            llmkit.chat_sync(CLAUDE, "hi", http_client=client, max_retries=0)
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "Overloaded"


def test_each_hop_of_a_fallback_chain_is_a_span(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-real")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.anthropic.com":
            return _response("anthropic/error_529.json")
        return _response("openai-responses/text.json")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        llmkit.chat_sync(CLAUDE, "hi", fallbacks=["gpt-4.1"], http_client=client, max_retries=0)
    first, second = spans.get_finished_spans()
    assert attrs(first)["error.type"] == "Overloaded"
    assert attrs(second)["gen_ai.provider.name"] == "openai" and "error.type" not in attrs(second)


def test_a_sync_stream_is_one_span_until_done(spans: InMemorySpanExporter) -> None:
    with httpx.Client(transport=replies("anthropic/tool_use.sse")) as client:
        with llmkit.stream_sync(CLAUDE, "hi", http_client=client) as events:
            first = next(events)
            assert not spans.get_finished_spans()  # open while the stream is
            rest = list(events)
    (span,) = spans.get_finished_spans()
    a = attrs(span)
    assert first is not None and rest
    assert a["gen_ai.request.stream"] is True and a["gen_ai.response.time_to_first_chunk"] >= 0
    assert a["gen_ai.response.finish_reasons"] == ("tool_use",) and a["gen_ai.usage.output_tokens"]


def test_a_stream_closed_early_still_ends_its_span(spans: InMemorySpanExporter) -> None:
    with httpx.Client(transport=replies("anthropic/tool_use.sse")) as client:
        with llmkit.stream_sync(CLAUDE, "hi", http_client=client) as events:
            next(events)
    (span,) = spans.get_finished_spans()
    assert "gen_ai.usage.input_tokens" not in attrs(span)
    # closing early is the caller's choice, not a failed call
    assert span.status.status_code is StatusCode.UNSET and "error.type" not in attrs(span)


@pytest.mark.anyio
async def test_an_async_stream_closed_early_is_no_error(spans: InMemorySpanExporter) -> None:
    async with httpx.AsyncClient(transport=replies("anthropic/tool_use.sse")) as client:
        events = llmkit.stream(CLAUDE, "hi", http_client=client)
        await anext(events)
        await events.aclose()  # type: ignore[attr-defined]
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.UNSET and "error.type" not in attrs(span)


@pytest.mark.anyio
async def test_an_async_stream_is_one_span(spans: InMemorySpanExporter) -> None:
    async with httpx.AsyncClient(transport=replies("anthropic/tool_use.sse")) as client:
        got = [e async for e in llmkit.stream(CLAUDE, "hi", http_client=client)]
    (span,) = spans.get_finished_spans()
    assert got and attrs(span)["gen_ai.response.finish_reasons"] == ("tool_use",)
    # the stream's span was never left current for the caller's code
    assert trace.get_current_span() is trace.INVALID_SPAN


@llmkit.tool
def get_weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city."""
    return f"22 degrees {unit} in {city}"


def _nested(found: list[ReadableSpan]) -> tuple[ReadableSpan, list[ReadableSpan]]:
    (run,) = [s for s in found if s.name == "invoke_agent llmkit.run"]
    children = [
        s for s in found if s.parent is not None and s.parent.span_id == run.context.span_id
    ]
    return run, children


def test_a_run_nests_its_calls_and_tools(spans: InMemorySpanExporter) -> None:
    with httpx.Client(transport=replies("anthropic/tool_use.sse", "anthropic/text.json")) as client:
        llmkit.run_sync(CLAUDE, "Weather in São Paulo?", tools=[get_weather], http_client=client)
    run, children = _nested(list(spans.get_finished_spans()))
    assert attrs(run)["gen_ai.operation.name"] == "invoke_agent"
    assert [s.name for s in children] == [
        f"chat {CLAUDE}",
        "execute_tool get_weather",
        f"chat {CLAUDE}",
    ]
    tool = attrs(children[1])
    assert tool["gen_ai.operation.name"] == "execute_tool" and tool["gen_ai.tool.call.id"]
    assert "gen_ai.tool.call.arguments" not in tool


def test_tool_content_when_asked(spans: InMemorySpanExporter) -> None:
    tracing.capture_content(True)
    with httpx.Client(transport=replies("anthropic/tool_use.sse", "anthropic/text.json")) as client:
        llmkit.run_sync(CLAUDE, "Weather?", tools=[get_weather], http_client=client)
    (tool,) = [attrs(s) for s in spans.get_finished_spans() if s.name.startswith("execute_tool")]
    assert tool["gen_ai.tool.call.result"] == "22 degrees celsius in São Paulo"
    assert "São Paulo" in str(tool["gen_ai.tool.call.arguments"])


@pytest.mark.anyio
async def test_a_streamed_run_nests_too(spans: InMemorySpanExporter) -> None:
    transport = replies("anthropic/tool_use.sse", "anthropic/multi_turn_2.sse")
    async with httpx.AsyncClient(transport=transport) as client:
        events = [
            e async for e in llmkit.run_stream(CLAUDE, "Weather?", tools=[get_weather],
                                               http_client=client)
        ]  # fmt: skip
    assert isinstance(events[-1], llmkit.RunDone)
    _, children = _nested(list(spans.get_finished_spans()))
    assert sorted(s.name for s in children) == sorted(
        [f"chat {CLAUDE}", "execute_tool get_weather", f"chat {CLAUDE}"]
    )


def test_without_a_configured_provider_nothing_happens() -> None:
    assert tracing.tracer() is None  # opentelemetry is imported here, but not configured
    code = (
        "import sys, httpx, llmkit\n"
        "body = open('fixtures/anthropic/text.json', 'rb').read()\n"
        "t = httpx.MockTransport(lambda r: httpx.Response(200, content=body))\n"
        "client = httpx.Client(transport=t)\n"
        "llmkit.chat_sync('claude-sonnet-4-5', 'hi', api_key='k', http_client=client)\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


class _Open(SpanProcessor):
    """The spans started and not yet ended."""

    def __init__(self) -> None:
        self.open: set[int] = set()

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.open.add(span.context.span_id)

    def on_end(self, span: ReadableSpan) -> None:
        self.open.discard(span.context.span_id)


@pytest.fixture
def open_spans(monkeypatch: pytest.MonkeyPatch) -> _Open:
    provider, opened = TracerProvider(), _Open()
    provider.add_span_processor(opened)
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real")
    return opened


def test_a_stream_closed_or_dropped_before_its_first_event_leaves_no_open_span(
    open_spans: _Open,
) -> None:
    with httpx.Client(transport=replies("anthropic/tool_use.sse")) as client:
        llmkit.stream_sync(CLAUDE, "hi", http_client=client).close()
        with llmkit.stream_sync(CLAUDE, "hi", http_client=client):
            pass
        llmkit.run_stream_sync(CLAUDE, "hi", tools=[get_weather], http_client=client).close()
        llmkit.stream_sync(CLAUDE, "hi", http_client=client)  # dropped
        gc.collect()
    assert open_spans.open == set()


@pytest.mark.anyio
async def test_an_async_stream_closed_before_its_first_event_leaves_no_open_span(
    open_spans: _Open,
) -> None:
    async with httpx.AsyncClient(transport=replies("anthropic/tool_use.sse")) as client:
        events = llmkit.stream(CLAUDE, "hi", http_client=client)
        await events.aclose()  # type: ignore[attr-defined]
        run = llmkit.run_stream(CLAUDE, "hi", tools=[get_weather], http_client=client)
        await run.aclose()  # type: ignore[attr-defined]
    assert open_spans.open == set()


def test_import_llmkit_loads_neither_tracing_nor_fallbacks() -> None:
    """Both load on the first call that needs them, so `import llmkit` is as
    light as before them (their compile alone was ~4 ms without .pyc files)."""
    mods = "('llmkit.tracing', 'llmkit.fallback')"
    code = f"import sys, llmkit; print([m for m in {mods} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_time_to_first_chunk_is_the_first_events(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = iter(range(1000))  # tracing's clock moves one second per reading
    monkeypatch.setattr(tracing, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))
    with httpx.Client(transport=replies("anthropic/tool_use.sse")) as client:
        events = list(llmkit.stream_sync(CLAUDE, "hi", http_client=client))
    (span,) = spans.get_finished_spans()
    assert len(events) > 3 and attrs(span)["gen_ai.response.time_to_first_chunk"] == 1.0
