"""The public calls, end to end through a registry entry and an injected
httpx client: argument handling, keys, options, sync/async twins."""

from __future__ import annotations

import json

import httpx
import pytest

import llmkit
from llmkit import registry as r
from llmkit.api import InvalidArgument, build_chat_request
from llmkit.errors import MissingApiKey, UnknownModel
from llmkit.types import Done, Reasoning, ToolChoice
from tests import toy_wire as toy
from tests.test_transport import OK_BODY, STREAM

REG = r.Registry(
    endpoints={
        "toy": r.Endpoint(
            name="toy",
            wire="tests.toy_wire",
            base_url="https://toy.invalid",
            key_env=("TOY_API_KEY",),
        ),
        "local": r.Endpoint(
            name="local", wire="tests.toy_wire", base_url="http://127.0.0.1:9", key_required=False
        ),
    },
    prefixes={"toy-": "toy"},
)


def client(body: bytes, seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        kind = "text/event-stream" if body.startswith(b"event:") else "application/json"
        return httpx.Response(200, headers={"content-type": kind}, content=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


def aclient(body: bytes, seen: list[httpx.Request]) -> httpx.AsyncClient:
    sync = client(body, seen)
    handler = sync._transport.handler  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def test_chat_sync_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "env-key")
    seen: list[httpx.Request] = []
    resp = llmkit.chat_sync(
        "toy-1", {"role": "user", "content": "Hello"}, registry=REG,
        http_client=client(OK_BODY, seen), temperature=0.2, extra={"flag": True},
    )  # fmt: skip
    assert resp.text == "hello" and resp.provider == "toy"
    sent = json.loads(seen[0].content)
    assert sent["model"] == "toy-1" and sent["flag"] is True
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]
    assert seen[0].headers["authorization"] == "Bearer env-key"


def test_explicit_provider_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    llmkit.chat_sync(
        "toy:custom-model", "hi", registry=REG, api_key="explicit",
        base_url="https://gateway.example/v1/", http_client=client(OK_BODY, seen),
    )  # fmt: skip
    assert str(seen[0].url) == "https://gateway.example/v1/toy"
    assert json.loads(seen[0].content)["model"] == "custom-model"
    assert seen[0].headers["authorization"] == "Bearer explicit"


def test_keyless_endpoint_sends_no_auth() -> None:
    seen: list[httpx.Request] = []
    llmkit.chat_sync("local:m", "hi", registry=REG, http_client=client(OK_BODY, seen))
    assert "authorization" not in seen[0].headers


def test_missing_key_fails_before_any_io(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    seen: list[httpx.Request] = []
    with pytest.raises(MissingApiKey, match="TOY_API_KEY"):
        llmkit.chat_sync("toy-1", "hi", registry=REG, http_client=client(OK_BODY, seen))
    assert seen == []


def test_unknown_model_fails_before_any_io() -> None:
    with pytest.raises(UnknownModel, match="toy-"):
        llmkit.chat_sync("mystery", "hi", registry=REG)


def test_unknown_option_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument, match="temprature"):
        build_chat_request("m", "hi", temprature=0.5)


def test_options_tools_and_tool_choice_are_converted() -> None:
    req = build_chat_request(
        "m", "hi",
        tools=[{"name": "get_weather", "parameters": {"type": "object"}}],
        tool_choice="get_weather",
        reasoning={"effort": "high"}, stop=["\n\n"], max_tokens=50,
    )  # fmt: skip
    assert req.tools[0].name == "get_weather"
    assert req.tool_choice == ToolChoice(mode="tool", name="get_weather")
    assert req.options.reasoning == Reasoning(effort="high")
    assert (req.options.stop, req.options.max_tokens) == (["\n\n"], 50)
    assert build_chat_request("m", "x", tool_choice="required").tool_choice == ToolChoice(
        mode="required"
    )


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"tools": [{"description": "no name"}]}, r"tools\[0\]"),
        ({"tool_choice": {"mode": "sometimes"}}, "tool_choice"),
        ({"reasoning": {"effort": "extreme"}}, "options"),
    ],
)
def test_bad_arguments(kw: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        build_chat_request("m", "hi", **kw)  # type: ignore[arg-type]


def test_no_messages_is_an_error() -> None:
    with pytest.raises(InvalidArgument, match="at least one"):
        build_chat_request("m", [])


def test_stream_sync_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "k")
    seen: list[httpx.Request] = []
    events = list(llmkit.stream_sync("toy-1", "hi", registry=REG, http_client=client(STREAM, seen)))
    assert isinstance(events[-1], Done) and events[-1].response.text == "hello"
    assert json.loads(seen[0].content)["stream"] is True


@pytest.mark.anyio
async def test_async_twins_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "k")
    seen: list[httpx.Request] = []
    resp = await llmkit.chat("toy-1", "hi", registry=REG, http_client=aclient(OK_BODY, seen))
    events = [
        ev async for ev in llmkit.stream("toy-1", "hi", registry=REG,
                                         http_client=aclient(STREAM, seen))
    ]  # fmt: skip
    assert resp == llmkit.chat_sync("toy-1", "hi", registry=REG, http_client=client(OK_BODY, seen))
    assert events == list(
        llmkit.stream_sync("toy-1", "hi", registry=REG, http_client=client(STREAM, seen))
    )


def test_list_models_marks_availability(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    reg = r.Registry(endpoints={"toy": REG.endpoints["toy"]}, prefixes={})
    assert [(m.id, m.available) for m in llmkit.list_models_sync(registry=reg)] == [
        ("toy-1", False)
    ]
    monkeypatch.setenv("TOY_API_KEY", "k")
    assert llmkit.list_models_sync(registry=reg)[0].available


def test_list_models_live_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "k")
    reg = r.Registry(endpoints={"toy": REG.endpoints["toy"]}, prefixes={})
    seen: list[httpx.Request] = []
    body = b'{"models":["toy-1","toy-2"]}'
    models = llmkit.list_models_sync(live=True, registry=reg, http_client=client(body, seen))
    assert [(m.id, m.available, m.context_window) for m in models] == [
        ("toy-1", True, 1000),
        ("toy-2", True, None),
    ]
    assert toy.MODELS[0].context_window == 1000


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import llmkit, sys; print(sorted(m for m in sys.modules if m.startswith("
    code += "('httpx', 'anyio', 'httpx_sse', 'llmkit.providers', 'llmkit.transport'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.anyio
async def test_closing_a_structured_stream_closes_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio
    import msgspec

    monkeypatch.setenv("TOY_API_KEY", "k")
    closed = anyio.Event()
    first = toy.sse(("delta", {"text": "{"}))

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield first
            await anyio.sleep(3600)

        async def aclose(self) -> None:
            closed.set()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Slow())

    class Shape(msgspec.Struct):
        n: int

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        events = llmkit.stream("toy-1", "hi", registry=REG, http_client=client,
                               response_format=Shape)  # fmt: skip
        assert isinstance(await events.__anext__(), llmkit.TextDelta)
        await events.aclose()  # type: ignore[attr-defined]
        with anyio.fail_after(5):
            await closed.wait()


# ---- a built-in vendor behind a proxy ------------------------------------------------


def _proxy(seen: list[httpx.Request], status: int = 200) -> httpx.Client:
    from tests.replay import FIXTURES

    body = (FIXTURES / "anthropic" / "text.json").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status != 200:
            return httpx.Response(status, json={"type": "error", "error": {
                "type": "not_found_error", "message": "Not Found"}})  # fmt: skip
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_anthropic_behind_a_proxy_keeps_its_wire_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmkit import registry

    monkeypatch.setattr(registry, "_current", registry.DEFAULT)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-proxy-test")
    llmkit.register("anthropic", base_url="https://llm-proxy.corp.example")
    seen: list[httpx.Request] = []
    r = llmkit.chat_sync("claude-sonnet-4-20250514", "Hi", http_client=_proxy(seen))
    assert r.provider == "anthropic" and r.text
    assert str(seen[0].url) == "https://llm-proxy.corp.example/v1/messages"
    assert seen[0].headers["x-api-key"] == "sk-ant-proxy-test"


@pytest.mark.parametrize(
    ("model", "var", "url"),
    [
        ("claude-sonnet-4-20250514", "ANTHROPIC_BASE_URL", "https://gw.example/v1/messages"),
        ("gpt-4o", "OPENAI_BASE_URL", "https://gw.example/"),  # whichever OpenAI API serves it
        ("gemini-2.5-flash", "GOOGLE_GEMINI_BASE_URL",
         "https://gw.example/v1beta/models/gemini-2.5-flash:generateContent"),
    ],
)  # fmt: skip
def test_sdk_base_url_env_vars_are_honoured(
    model: str, var: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, "https://gw.example/")
    seen: list[httpx.Request] = []
    with pytest.raises(llmkit.NotFound):
        llmkit.chat_sync(model, "Hi", api_key="k", http_client=_proxy(seen, status=404))
    assert str(seen[0].url).startswith(url) and len(seen) == 1


def test_a_404_names_the_url_it_went_to(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    client = _proxy(seen, 404)
    with pytest.raises(llmkit.NotFound) as e:
        llmkit.chat_sync(
            "claude-sonnet-4-20250514", "Hi", api_key="k", base_url="https://wrong.example/api",
            http_client=client,
        )  # fmt: skip
    assert "POST https://wrong.example/api/v1/messages" in str(e.value)


# ---- one capability vocabulary -------------------------------------------------------


def test_every_catalog_speaks_the_shared_capability_words() -> None:
    from llmkit.types import CAPABILITIES

    models = llmkit.list_models_sync()
    by_vendor: dict[str, set[str]] = {}
    for m in models:
        shared = [c for c in m.capabilities if c in CAPABILITIES]
        assert {"text", "tools", "streaming"} <= set(shared), m.id
        assert m.capabilities[: len(shared)] == shared, m.id  # the shared words come first
        by_vendor.setdefault(m.provider, set()).update(shared)
    vendors = {r.wire(ep).NAME for ep in r.DEFAULT.endpoints.values()}
    for vendor in vendors:
        assert {"images", "json_schema", "reasoning"} <= by_vendor[vendor], vendor
    with_images = {m.provider for m in models if "images" in m.capabilities}
    assert vendors <= with_images


def test_claude_keeps_its_own_capability_names_beside_the_shared_ones() -> None:
    from llmkit.providers.anthropic import _models

    claude = {m.id: m for m in _models.MODELS}["claude-opus-4-6"]
    assert {"images", "documents", "json_schema", "reasoning"} <= set(claude.capabilities)
    assert {"image_input", "structured_outputs", "tool_choice.forced"} <= set(claude.capabilities)
    body = json.dumps({"data": [{"id": "claude-x", "display_name": "X", "type": "model",
                                 "created_at": "2026-01-01T00:00:00Z",
                                 "capabilities": {"image_input": {"supported": True}}}],
                       "has_more": False, "first_id": None, "last_id": None}).encode()  # fmt: skip
    (live,), _ = _models.parse_list_models(body)
    assert live.capabilities == ["text", "images", "streaming", "image_input"]
